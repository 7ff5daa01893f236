-- POST /api/v3/comments/ with the form token the harness fetched from
-- /api/v3/comments/form-token/ (the timing rule is off: COMMENTS_RATE_LIMITS=off).
-- With BENCH_CONFIRMED_EMAIL and BENCH_CONFIRMATION (case post_ours), every comment is a
-- returning reader's: one confirmed address with an approved comment, sending the proof
-- the API gave it. Without them (post_ours_first), every comment is a new address's first.
local page_id = tonumber(os.getenv("BENCH_PAGE_ID"))
local form_token = os.getenv("BENCH_FORM_TOKEN")
local confirmed_email = os.getenv("BENCH_CONFIRMED_EMAIL")
local confirmation = os.getenv("BENCH_CONFIRMATION") or ""
local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}

function request()
   local key, text, email = unique_comment()
   local body = string.format(
      '{"page": %d, "author_name": "Reader %s", "author_email": "%s", "body": "%s", '
      .. '"token": "%s", "confirmation": "%s"}',
      page_id, key, confirmed_email or email, text, form_token, confirmation)
   return wrk.format("POST", "/api/v3/comments/", headers, body)
end
