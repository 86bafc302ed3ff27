-- wrk script: cycle through a file of request paths (one per line), so that every request
-- asks about a different customer, and print the run's figures as one JSON line.
--
-- usage: wrk -s requests.lua URL -- PATHS_FILE
-- Each wrk thread starts at a different offset in the file. All requests are pre-formatted in
-- init(), so request() costs the load generator next to nothing.

local requests = {}
local count = 0
local index = 0

function init(args)
  local file = args[1]
  if file == nil then
    error("usage: wrk -s requests.lua URL -- PATHS_FILE")
  end
  for line in io.lines(file) do
    if #line > 0 then
      count = count + 1
      requests[count] = wrk.format("GET", line)
    end
  end
  if count == 0 then
    error("no request paths in " .. file)
  end
  index = (wrk.thread and tonumber(wrk.thread:get("offset")) or 0) % count
end

function setup(thread)
  -- Spread the threads over the file (thread ids are not exposed, so number them here).
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
