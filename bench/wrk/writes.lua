-- wrk script for the write path: each line of the file is "METHOD PATH BODY" (the body is
-- the rest of the line, JSON), sent in turn with its Content-Type, so that every request
-- writes for a different customer. The figures are printed as requests.lua prints them.
--
-- usage: wrk -s writes.lua -H 'Authorization: ...' URL -- LINES_FILE

local requests = {}
local count = 0
local index = 0

function init(args)
  local file = args[1]
  if file == nil then
    error("usage: wrk -s writes.lua URL -- LINES_FILE")
  end
  -- wrk.format uses the table given instead of wrk.headers (the -H ones): copy them in.
  local headers = { ["Content-Type"] = "application/json" }
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  for line in io.lines(file) do
    local method, path, body = line:match("^(%u+) (%S+) (.*)$")
    if method ~= nil then
      count = count + 1
      requests[count] = wrk.format(method, path, headers, body)
    end
  end
  if count == 0 then
    error("no requests in " .. file)
  end
  index = (wrk.thread and tonumber(wrk.thread:get("offset")) or 0) % count
end

function setup(thread)
  _thread_number = (_thread_number or 0) + 1
  thread:set("offset", tostring((_thread_number - 1) * 7919))
end

function request()
  index = index + 1
  if index > count then
    index = 1
  end
  return requests[index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
