-- wrk script: each request joins a raider who is not in the run yet.
-- args: guild, key, raiders, comma-separated run ids, first slot.
-- Request i (over all threads) joins raider i % raiders into run floor(i / raiders).
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  guild, key, raiders = args[1], args[2], tonumber(args[3])
  runs = {}
  for id in string.gmatch(args[4], "[^,]+") do table.insert(runs, id) end
  slot = tonumber(args[5]) + tid
  stride = tonumber(args[6])
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key }
end

function request()
  local i = slot
  slot = slot + stride
  local run = runs[(math.floor(i / raiders) % #runs) + 1]
  local user = string.format("6000000000000%05d", i % raiders)
  return wrk.format("POST", "/v1/guilds/" .. guild .. "/runs/" .. run .. "/participants",
    headers, '{"user_id":"' .. user .. '"}')
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
