-- Appended to requests.lua for the fixed-rate runs (wrk2 is not in Debian).
--
-- Every request gets a slot on one fixed schedule, `interval_ms` apart (the harness writes
-- the rate on the first line below); wrk's delay() hook holds each connection until its
-- slot. A connection that is late sends at once, so the schedule catches up rather than
-- drifting, as long as enough connections are idle (few are busy at half the saturating
-- rate). Latency is timed by wrk from the moment the request is written, not from its
-- slot: with every connection busy that would hide queueing (coordinated omission), which
-- is why the harness reports the achieved rate next to the p99.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local next_slot = nil

function delay()
  local now = now_ms()
  if next_slot == nil then
    next_slot = now
  end
  next_slot = next_slot + interval_ms
  local wait = next_slot - now
  if wait <= 0 then
    return 0
  end
  return math.floor(wait + 0.5)
end
