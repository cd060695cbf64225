-- Checks health.lua the way Argo CD runs it (Lua 5.1, the object in the global `obj`):
--   lua5.1 docs/argocd/health_test.lua   (run by `make lint`)
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
local script = assert(loadfile(dir .. "/health.lua"))

-- Argo CD opens only Lua's base and table libraries (no string, os, io or math): so does this.
local base = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawset", "select",
  "tonumber", "tostring", "type", "unpack", "xpcall",
}

local function health(object)
  local env = { obj = object, table = table }
  for _, name in ipairs(base) do
    env[name] = _G[name]
  end
  setfenv(script, env)
  return script()
end

local function object(generation, observed, conditions)
  return {
    metadata = { name = "demo", generation = generation },
    status = observed and { observedGeneration = observed, conditions = conditions } or nil,
  }
end

local function ready(status, reason, message)
  return { type = "Ready", status = status, reason = reason, message = message }
end

local cases = {
  { "no status yet", object(1, nil), "Progressing" },
  { "an older generation observed", object(3, 2, { ready("True", "Available", "served") }), "Progressing" },
  { "no Ready condition", object(1, 1, {}), "Progressing" },
  { "Ready=True", object(2, 2, { ready("True", "Available", "served by 2 pods") }), "Healthy", "Available: served by 2 pods" },
  { "rolling out", object(1, 1, { ready("False", "Progressing", "1 of 2 pods serve generation 1") }), "Progressing" },
  { "a passing write failure", object(1, 1, { ready("False", "ApplyFailed", "timeout") }), "Progressing" },
  { "an invalid spec", object(1, 1, { ready("False", "InvalidSpec", "spec.email: required") }), "Degraded", "InvalidSpec: spec.email: required" },
  { "a missing Secret", object(1, 1, { ready("False", "SecretNotFound", "db/url") }), "Degraded" },
  { "a second ConsentPolicy", object(1, 1, { ready("False", "Conflict", "other") }), "Degraded" },
  { "a stuck rollout", object(4, 4, { ready("False", "ProgressDeadlineExceeded", "image") }), "Degraded" },
  { "a reason this script does not know, with Stalled=True", object(1, 1, {
      ready("False", "SomethingNew", "x"), { type = "Stalled", status = "True", reason = "SomethingNew" },
    }), "Degraded" },
  { "Ready=Unknown", object(1, 1, { ready("Unknown", "InvalidSpec", "") }), "Progressing" },
}

local failed = 0
for _, case in ipairs(cases) do
  local name, input, status, message = case[1], case[2], case[3], case[4]
  local hs = health(input)
  if hs.status ~= status or (message and hs.message ~= message) or type(hs.message) ~= "string" then
    failed = failed + 1
    print(string.format("FAIL %s: got %s (%s), want %s (%s)", name, hs.status, tostring(hs.message), status, tostring(message)))
  end
end
print(string.format("health.lua: %d cases, %d failures", #cases, failed))
os.exit(failed == 0 and 0 or 1)
