-- wrk script for the benchmark's Gatehouse workloads. Arguments after `--`:
--
--   login              TENANT    users.tsv   POST /Login
--   refresh            TENANT    tokens.tsv  POST /RefreshToken (rotating refresh tokens)
--   initiate_auth      CLIENT_ID users.tsv   Cognito InitiateAuth USER_PASSWORD_AUTH
--   refresh_token_auth CLIENT_ID tokens.tsv  Cognito InitiateAuth REFRESH_TOKEN_AUTH
--   get_tokens         CLIENT_ID tokens.tsv  Cognito GetTokensFromRefreshToken, for a client
--                                            with refresh-token rotation (rotating tokens)
--   jwks                                     GET of the URL
-- then the number of wrk threads (-t), so each thread can take its share of the tokens, and
-- optionally a pause in ms each connection waits after an answer before its next request
-- (bench/triggers.py paces a load with it).
--
-- users.tsv: username<TAB>password; tokens.tsv: username<TAB>refresh token.
-- Sign-ins cycle through every user, each thread starting at a different one.
-- /RefreshToken and get_tokens rotate: a presented token is consumed and the answer carries
-- its successor.
-- Presenting a consumed token again is reuse (401, session revoked), which is not what is
-- measured, so each thread keeps a queue of live tokens: one is taken per request and the
-- successor from the answer goes back in. REFRESH_TOKEN_AUTH keeps the refresh token (as
-- Cognito does without rotation), so those tokens simply cycle.
--
-- A response is ok only when it is 2xx and carries the expected members ("AccessToken" and
-- for sign-ins and /RefreshToken "RefreshToken"; '"keys"' for JWKS). 429 answers are counted
-- apart from failures: they are deliberate load shedding. The last line printed is
-- `RESULT {json}` with latencies in ms.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local function json_escape(s)
  return (s:gsub('\\', '\\\\'):gsub('"', '\\"'))
end

local function read_pairs(file)
  local rows = {}
  for line in io.lines(file) do
    local a, b = line:match("^([^\t]+)\t([^\t\r\n]+)")
    if a then rows[#rows + 1] = { a, b } end
  end
  assert(#rows > 0, "nothing read from " .. file)
  return rows
end

local login_headers = { ["Content-Type"] = "application/json" }
local cognito_headers = {
  ["Content-Type"] = "application/x-amz-json-1.1",
  ["X-Amz-Target"] = "AWSCognitoIdentityProviderService.InitiateAuth",
}

local get_tokens_headers = {
  ["Content-Type"] = "application/x-amz-json-1.1",
  ["X-Amz-Target"] = "AWSCognitoIdentityProviderService.GetTokensFromRefreshToken",
}

-- The request presenting one rotating token, per mode.
local rotating_builders = {
  refresh = function(token)
    return wrk.format("POST", nil, login_headers,
      string.format('{"RefreshToken":"%s","TenantName":"%s"}', json_escape(token), json_escape(scope)))
  end,
  get_tokens = function(token)
    return wrk.format("POST", nil, get_tokens_headers,
      string.format('{"RefreshToken":"%s","ClientId":"%s"}', json_escape(token), json_escape(scope)))
  end,
}

local builders = {
  login = function(row)
    return wrk.format("POST", nil, login_headers, string.format(
      '{"UserName":"%s","TenantName":"%s","Password":"%s"}',
      json_escape(row[1]), json_escape(scope), json_escape(row[2])))
  end,
  initiate_auth = function(row)
    return wrk.format("POST", nil, cognito_headers, string.format(
      '{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"%s","AuthParameters":{"USERNAME":"%s","PASSWORD":"%s"}}',
      json_escape(scope), json_escape(row[1]), json_escape(row[2])))
  end,
  refresh_token_auth = function(row)
    return wrk.format("POST", nil, cognito_headers, string.format(
      '{"AuthFlow":"REFRESH_TOKEN_AUTH","ClientId":"%s","AuthParameters":{"REFRESH_TOKEN":"%s"}}',
      json_escape(scope), json_escape(row[2])))
  end,
}

function init(args)
  mode = args[1]
  ok, shed, non2xx, invalid, starved = 0, 0, 0, 0, 0
  sample_error = ""
  if mode == "jwks" then
    fixed = { wrk.format("GET", nil, nil, nil) }
    expected = { '"keys"' }
    cursor = 0
    return
  end
  scope = args[2]
  local rows = read_pairs(assert(args[3], "missing file argument"))
  local thread_count = tonumber(args[4] or "1")
  local pause = tonumber(args[5] or "0")
  if pause > 0 then
    function delay() return pause end
  end
  rotating_refresh = rotating_builders[mode]
  if rotating_refresh then
    queue, head, tail = {}, 1, 0
    for i, row in ipairs(rows) do
      if (i - 1) % thread_count == id - 1 then
        tail = tail + 1
        queue[tail] = row[2]
      end
    end
    assert(tail > 0, "no refresh tokens for thread " .. id)
    expected = { '"AccessToken"', '"RefreshToken"' }
    return
  end
  local build = assert(builders[mode], "unknown mode " .. tostring(mode))
  fixed = {}
  for i, row in ipairs(rows) do fixed[i] = build(row) end
  cursor = ((id - 1) * 7919) % #fixed
  expected = { '"AccessToken"' }
  if mode ~= "refresh_token_auth" then expected[2] = '"RefreshToken"' end
end

function request()
  if not rotating_refresh then
    cursor = cursor % #fixed + 1
    return fixed[cursor]
  end
  if head > tail then
    -- every live token of this thread is in flight or was lost to a failed answer
    starved = starved + 1
    return rotating_refresh("no-live-token-left")
  end
  local token = queue[head]
  queue[head] = nil
  head = head + 1
  return rotating_refresh(token)
end

local function keep_sample(status, body)
  if sample_error == "" then
    sample_error = (status .. " " .. (body or ""):sub(1, 160)):gsub("[\r\n\t]", " ")
  end
end

function response(status, _, body)
  if status == 429 then
    shed = shed + 1
    keep_sample(status, body)
    return
  end
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    keep_sample(status, body)
    return
  end
  for _, marker in ipairs(expected) do
    if not body or not body:find(marker, 1, true) then
      invalid = invalid + 1
      keep_sample(status, body)
      return
    end
  end
  ok = ok + 1
  if rotating_refresh then
    local successor = body:match('"RefreshToken"%s*:%s*"([^"]+)"')
    if successor then
      tail = tail + 1
      queue[tail] = successor
    end
  end
end

function done(summary, latency, _)
  local totals = { ok = 0, shed = 0, non2xx = 0, invalid = 0, starved = 0 }
  local first_error = ""
  for _, t in ipairs(threads) do
    for k in pairs(totals) do totals[k] = totals[k] + t:get(k) end
    local e = t:get("sample_error")
    if first_error == "" and e and e ~= "" then first_error = e end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,'
    .. '"max_ms":%.3f,"mean_ms":%.3f,"ok":%d,"shed_429":%d,"non2xx":%d,"invalid":%d,"starved":%d,'
    .. '"err_connect":%d,"err_read":%d,"err_write":%d,"err_timeout":%d,"sample_error":"%s"}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000, totals.ok, totals.shed, totals.non2xx, totals.invalid,
    totals.starved, e.connect, e.read, e.write, e.timeout, json_escape(first_error)))
end
