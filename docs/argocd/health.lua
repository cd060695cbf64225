-- Argo CD health of a Vestibule object (Tenant, Client, SocialProvider, ConsentPolicy, MfaPolicy),
-- read from the status the operator writes (operator/src/conditions.rs):
--   Progressing  the operator has not seen the current generation, or reported no Ready yet,
--                or Ready=False for a passing reason (rolling out, retrying);
--   Healthy      Ready=True;
--   Degraded     Ready=False for a reason that needs a person (the same list as the operator's
--                Stalled condition), or Stalled=True.
-- The message is the Ready condition's.
local hs = { status = "Progressing", message = "Waiting for the operator to report status" }

-- Reasons after which nothing changes until someone acts: Reason::progress() == Stalled.
local terminal = {
  InvalidSpec = true,
  TenantNotFound = true,
  NamespaceNotAllowed = true,
  SecretNotFound = true,
  Conflict = true,
  ClientIdConflict = true,
  PolicyV1Unavailable = true,
  NameConflict = true,
  SigningKeysLost = true,
  ConfigTooLarge = true,
  WriteRefused = true,
  ProgressDeadlineExceeded = true,
}

if obj.status == nil then
  return hs
end

local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local ready = nil
local stalled = false
if obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Ready" then
      ready = condition
    elseif condition.type == "Stalled" and condition.status == "True" then
      stalled = true
    end
  end
end
if ready == nil then
  return hs
end

local reason = ready.reason or ""
if ready.message ~= nil and ready.message ~= "" then
  hs.message = reason .. ": " .. ready.message
else
  hs.message = reason
end
if ready.status == "True" then
  hs.status = "Healthy"
elseif ready.status == "False" and (terminal[reason] or stalled) then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
return hs
