-- POST /new?uri=... , Isso's own API (JSON, as its client sends it).
local path = "/new?uri=" .. os.getenv("BENCH_ISSO_URI")
local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}

function request()
   local key, text, email = unique_comment()
   local body = string.format(
      '{"text": "%s", "author": "Reader %s", "email": "%s", "website": null, "parent": null}',
      text, key, email)
   return wrk.format("POST", path, headers, body)
end
