-- wrk script for bench/soak/run.mjs: a fixed pause before each request on every
-- connection, so the offered rate is about connections * 1000 / (DELAY_MS + latency),
-- and a session cookie on every request.
local delay_ms = tonumber(os.getenv("SOAK_DELAY_MS") or "0")
local cookie = os.getenv("SOAK_COOKIE") or ""

function request()
  return wrk.format("GET", nil, { ["Cookie"] = cookie, ["Accept"] = "application/json" })
end

function delay()
  return delay_ms
end
