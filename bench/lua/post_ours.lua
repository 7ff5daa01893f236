-- POST /api/v3/comments/ with the form token the harness fetched from
-- /api/v3/comments/form-token/ (the timing rule is off: COMMENTS_RATE_LIMITS=off).
local page_id = tonumber(os.getenv("BENCH_PAGE_ID"))
local form_token = os.getenv("BENCH_FORM_TOKEN")
local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}

function request()
   local key, text, email = unique_comment()
   local body = string.format(
      '{"page": %d, "author_name": "Reader %s", "author_email": "%s", "body": "%s", "token": "%s"}',
      page_id, key, email, text, form_token)
   return wrk.format("POST", "/api/v3/comments/", headers, body)
end
