-- wrk script for the web-page benchmark: GET the URL's path over and over, optionally with a
-- Cookie header (a signed-in page), and print one machine-readable summary line.
-- usage: wrk ... -s page.lua URL [-- COOKIE]     e.g. -- "stoa_session=abc..."
-- done() prints one line starting with "BENCH " (same fields as bench/lib/rotate.lua, plus the
-- bytes read per request).

function init(args)
   if args[1] ~= nil and #args[1] > 0 then
      wrk.headers["Cookie"] = args[1]
   end
   req = wrk.format("GET")
end

function request()
   return req
end

function done(summary, latency, requests)
   local secs = summary.duration / 1e6
   local e = summary.errors
   local per = 0
   if summary.requests > 0 then per = summary.bytes / summary.requests end
   io.write(string.format(
      "BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f bytes_per_req=%.0f err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000, per,
      e.connect, e.read, e.write, e.status, e.timeout))
end
