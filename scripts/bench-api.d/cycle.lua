-- wrk script: create -> start -> end, over and over; run with one connection per thread
-- (-t N -c N) so each thread's state is one connection's. args: guild, key, organizer base.
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  guild, key = args[1], args[2]
  organizer = string.format("7000000000000%05d", tonumber(args[3]) + tid)
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key }
  step, run = 0, nil
end

function request()
  local base = "/v1/guilds/" .. guild .. "/runs"
  if step == 0 then
    return wrk.format("POST", base, headers,
      '{"organizer_id":"' .. organizer .. '","dungeon":"shatters"}')
  elseif step == 1 then
    return wrk.format("POST", base .. "/" .. run .. "/start", headers)
  else
    return wrk.format("POST", base .. "/" .. run .. "/end", headers)
  end
end

function response(status, headers, body)
  if status >= 300 then
    failed = (failed or 0) + 1
    step = 0
    return
  end
  if step == 0 then
    run = string.match(body, '"id":(%d+)')
    step = 1
  elseif step == 1 then
    step = 2
  else
    step = 0
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
