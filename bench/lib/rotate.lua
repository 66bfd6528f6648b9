-- wrk script: rotate GET requests round-robin over a list of paths.
-- usage: wrk ... -s rotate.lua URL -- PATHS_FILE
-- PATHS_FILE holds one request path per line (e.g. /api/models/bench/r00042).
-- Each wrk thread starts at a different offset of the list.
-- done() prints one machine-readable line starting with "BENCH ".

local thread_counter = 0

function setup(thread)
   thread:set("tid", thread_counter)
   thread_counter = thread_counter + 1
end

function init(args)
   paths = {}
   local f = assert(io.open(args[1], "r"))
   for line in f:lines() do
      if #line > 0 then paths[#paths + 1] = line end
   end
   f:close()
   n = #paths
   assert(n > 0, "no paths")
   idx = ((tid or 0) * 7919) % n
end

function request()
   idx = idx + 1
   if idx > n then idx = 1 end
   return wrk.format("GET", paths[idx])
end

function done(summary, latency, requests)
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
      e.connect, e.read, e.write, e.status, e.timeout))
end
