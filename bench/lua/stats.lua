-- Shared by every case: numbers each wrk thread and, when the run ends, writes what wrk
-- measured as JSON to $BENCH_WRK_RESULT (the harness reads that rather than wrk's text).
-- POST cases add request()/response(), which keep per-thread `acked`, `statuses`, `ids`.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

local function json_number_map(map)
   local parts = {}
   for key, value in pairs(map or {}) do
      table.insert(parts, string.format('"%s": %d', tostring(key), value))
   end
   return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
   local acked, statuses, ids = 0, {}, {}
   local counted = false
   for _, thread in ipairs(threads) do
      local thread_acked = thread:get("acked")
      if thread_acked ~= nil then
         counted = true
         acked = acked + thread_acked
         for status, count in pairs(thread:get("statuses") or {}) do
            statuses[status] = (statuses[status] or 0) + count
         end
         for _, id in ipairs(thread:get("ids") or {}) do
            table.insert(ids, id)
         end
      end
   end
   local out = assert(io.open(os.getenv("BENCH_WRK_RESULT"), "w"))
   out:write("{")
   out:write(string.format('"requests": %d, "duration_us": %d, "bytes": %d, ',
      summary.requests, summary.duration, summary.bytes))
   out:write(string.format(
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ',
      summary.errors.connect, summary.errors.read, summary.errors.write,
      summary.errors.status, summary.errors.timeout))
   out:write(string.format(
      '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}',
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean))
   if counted then
      out:write(string.format(', "acked": %d, "statuses": %s, "ids": [%s]',
         acked, json_number_map(statuses), table.concat(ids, ",")))
   end
   out:write("}\n")
   out:close()
end
