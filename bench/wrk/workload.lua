-- One request shape for wrk, configured by the environment (see e2e/src/bench/wrk.rs):
--   BENCH_METHOD   GET or POST
--   BENCH_BODY     form body; "{token}" is replaced by a token of the pool
--   BENCH_AUTH     Authorization header value; "{token}" likewise
--   BENCH_TOKENS   a file with one token per line (the pool), optional
--   BENCH_ROTATE   "1": each token is used once, and the refresh_token of each answer joins the
--                  pool (refresh token rotation); needs more tokens than connections
-- At the end it prints one line "BENCH_RESULT {json}" with the counts and latency percentiles.

local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local auth = os.getenv("BENCH_AUTH")
local tokens_file = os.getenv("BENCH_TOKENS")
local rotate = os.getenv("BENCH_ROTATE") == "1"

local pool, first, last = {}, 1, 0
local fixed = nil

local function push(token)
  last = last + 1
  pool[last] = token
end

local function take()
  if first > last then
    return "pool-empty"
  end
  local token = pool[first]
  if rotate then
    pool[first] = nil
    first = first + 1
  else
    first = first + 1
    if first > last then first = 1 end
  end
  return token
end

local function build(token)
  local headers = {}
  if body then headers["Content-Type"] = "application/x-www-form-urlencoded" end
  if auth then headers["Authorization"] = (auth:gsub("{token}", token)) end
  local payload = body and (body:gsub("{token}", token)) or nil
  return wrk.format(method, nil, headers, payload)
end

function init(args)
  if tokens_file then
    for line in io.lines(tokens_file) do
      if #line > 0 then push(line) end
    end
  else
    fixed = build("")
  end
end

function request()
  if fixed then return fixed end
  return build(take())
end

if rotate then
  function response(status, headers, answer)
    local token = answer:match('"refresh_token"%s*:%s*"([^"]+)"')
    if token then push(token) end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
