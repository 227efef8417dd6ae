-- wrk: GET one path, each request with the next session cookie of a file (one token a line),
-- so 50 connections read as many different residents. Each thread starts at its own offset.
-- wrk -s bench/wrk_sessions.lua URL -- TOKENS_FILE PATH COOKIE_NAME [OTHER_COOKIES]
-- OTHER_COOKIES ("name=value; ...") go with every request, as a browser sends back the
-- cookies it was given (the CSRF cookie: without it every request would be a first visit).

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

local queue = {}
local n = 0

function init(args)
  local path = args[2] or "/"
  local cookie = args[3] or "quartier_session"
  local others = args[4] and ("; " .. args[4]) or ""
  for token in io.lines(args[1]) do
    queue[#queue + 1] = wrk.format("GET", path, {["Cookie"] = cookie .. "=" .. token .. others})
  end
  n = (id or 1) * 7
end

function request()
  n = n % #queue + 1
  return queue[n]
end
