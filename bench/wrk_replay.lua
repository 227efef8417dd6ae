-- wrk: send prepared raw HTTP requests, each once, from the file ARGS[1].<thread number>
-- (records: a line with the byte length, then that many bytes). A thread that runs out starts
-- again from its first request (the node then refuses replays); "Wrapped" says if that happened.
-- wrk -t2 -s bench/wrk_replay.lua URL -- PREFIX

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local queue = {}
local n = 0
wrapped = 0

function init(args)
  local f = assert(io.open(args[1] .. "." .. id, "rb"))
  while true do
    local line = f:read("*l")
    if not line then break end
    queue[#queue + 1] = f:read(tonumber(line))
  end
  f:close()
end

function request()
  n = n + 1
  if n > #queue then
    n = 1
    wrapped = wrapped + 1
  end
  return queue[n]
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("wrapped")
  end
  io.write(string.format("Wrapped: %d\n", total))
end
