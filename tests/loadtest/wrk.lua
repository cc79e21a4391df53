-- One kind of request for wrk (tests/loadtest): WRK_METHOD on the paths of
-- WRK_PATHS in turn, with WRK_BODY; thread n sends the n-th cookie of
-- WRK_COOKIES and its CSRF token (the part after "csrftoken="). done() prints
-- one JSON line: counts, errors, answers other than WRK_EXPECT, percentiles.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function words(text)
  local list = {}
  for word in string.gmatch(text or "", "%S+") do table.insert(list, word) end
  return list
end

function init(args)
  paths = words(os.getenv("WRK_PATHS") or "/")
  method = os.getenv("WRK_METHOD") or "GET"
  body = os.getenv("WRK_BODY")
  expect = tonumber(os.getenv("WRK_EXPECT") or "200")
  headers = {["Accept-Language"] = "it"}
  local cookies = words(os.getenv("WRK_COOKIES"))
  if #cookies > 0 then
    local cookie = cookies[(id % #cookies) + 1]
    headers["Cookie"] = cookie
    headers["X-CSRFToken"] = string.match(cookie, "csrftoken=([^;]+)")
  end
  if body then headers["Content-Type"] = "application/x-www-form-urlencoded" end
  counter = id
  unexpected = 0
end

function request()
  counter = counter + 1
  return wrk.format(method, paths[(counter % #paths) + 1], headers, body)
end

function response(status, response_headers, response_body)
  if status ~= expect then unexpected = unexpected + 1 end
end

function done(summary, latency, requests)
  local total_unexpected = 0
  for _, thread in ipairs(threads) do total_unexpected = total_unexpected + thread:get("unexpected") end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"unexpected": %d, "p50_ms": %.1f, "p95_ms": %.1f, "p99_ms": %.1f, "max_ms": %.1f}\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.status, e.timeout, total_unexpected,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
