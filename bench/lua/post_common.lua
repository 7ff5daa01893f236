-- Comment POSTs: every request carries a text and an email no other request has, so no
-- duplicate rule can refuse it; response() counts what the server acknowledged (2xx) and
-- keeps the ids it answered with, for the harness to look up in the database afterwards.

acked = 0
statuses = {}
ids = {}
local counter = 0
local run_tag = os.getenv("BENCH_RUN_TAG") or "bench"

function unique_comment()
   counter = counter + 1
   local key = string.format("%s-t%d-n%d", run_tag, thread_number, counter)
   local text = string.format(
      "%s: dry needling helped my calf cramps after three sessions, "
      .. "but I would like to see a larger trial before recommending it.", key)
   return key, text, string.format("%s@bench.example", key)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status >= 200 and status < 300 then
      acked = acked + 1
      local id = body:match('"id"%s*:%s*(%d+)')
      if id then
         table.insert(ids, tonumber(id))
      end
   end
end
