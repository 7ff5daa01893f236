-- GET cases that read one thing in several requests (our thread, page by page): each
-- connection asks for the paths in $BENCH_GET_PATHS (space-separated) in turn, so the
-- requests of a run split evenly between them.
local paths = {}
for path in string.gmatch(os.getenv("BENCH_GET_PATHS") or "", "%S+") do
   table.insert(paths, path)
end
local position = 0

function request()
   position = position % #paths + 1
   return wrk.format("GET", paths[position])
end
