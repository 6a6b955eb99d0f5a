// The Redis store's Lua scripts (redis_store.cc). Multi-key writes run as one script
// each, so they are atomic; they are sent by SHA (EVALSHA) and reloaded with EVAL after
// a Redis restart. The key layout is in authgate/session/redis_store.h.
#pragma once

namespace authgate::session::detail {

// Writes a record and its index entries if the version precondition holds.
// Returns the new version, or -1 on conflict (version or public id taken).
inline constexpr const char* kPutScript = R"lua(
local cur = redis.call('HGET', KEYS[1], 'v')
local expected = tonumber(ARGV[1])
if expected >= 0 then
  local c = 0
  if cur then c = tonumber(cur) end
  if c ~= expected then return -1 end
end
local owner = redis.call('GET', KEYS[4])
if owner and owner ~= ARGV[9] then return -1 end
local nv = 1
if cur then nv = tonumber(cur) + 1 end
redis.call('HSET', KEYS[1], 'v', nv, 'd', ARGV[2], 's', ARGV[3], 'sid', ARGV[4], 'p', ARGV[5],
           'c', ARGV[6], 'e', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
local function extend(k)
  if redis.call('PTTL', k) < tonumber(ARGV[8]) then redis.call('PEXPIRE', k, ARGV[8]) end
end
redis.call('SADD', KEYS[2], ARGV[9])
extend(KEYS[2])
if ARGV[4] ~= '' then
  redis.call('SADD', KEYS[3], ARGV[9])
  extend(KEYS[3])
end
redis.call('SET', KEYS[4], ARGV[9], 'PX', ARGV[8])
redis.call('ZADD', KEYS[5], ARGV[7], ARGV[9])
redis.call('ZADD', KEYS[6], 0, ARGV[9])
return nv
)lua";

// KEYS: record, exp zset, all zset. ARGV: prefix, key.
inline constexpr const char* kEraseScript = R"lua(
local f = redis.call('HMGET', KEYS[1], 's', 'sid', 'p')
redis.call('DEL', KEYS[1])
if f[1] then redis.call('SREM', ARGV[1] .. 'u:' .. f[1], ARGV[2]) end
if f[2] and f[2] ~= '' then redis.call('SREM', ARGV[1] .. 'sid:' .. f[2], ARGV[2]) end
if f[3] and redis.call('GET', ARGV[1] .. 'p:' .. f[3]) == ARGV[2] then
  redis.call('DEL', ARGV[1] .. 'p:' .. f[3])
end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
)lua";

// KEYS: exp zset, all zset. ARGV: now ms, limit, prefix. Returns key + 7 fields per
// removed record.
inline constexpr const char* kPurgeScript = R"lua(
local ks = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
for _, k in ipairs(ks) do
  local rk = ARGV[3] .. 's:' .. k
  local f = redis.call('HMGET', rk, 'v', 'd', 's', 'sid', 'p', 'c', 'e')
  redis.call('ZREM', KEYS[1], k)
  if f[1] and tonumber(f[7]) > tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], f[7], k)
  else
    redis.call('ZREM', KEYS[2], k)
    if f[1] then
      redis.call('DEL', rk)
      redis.call('SREM', ARGV[3] .. 'u:' .. f[3], k)
      if f[4] ~= '' then redis.call('SREM', ARGV[3] .. 'sid:' .. f[4], k) end
      if redis.call('GET', ARGV[3] .. 'p:' .. f[5]) == k then
        redis.call('DEL', ARGV[3] .. 'p:' .. f[5])
      end
      table.insert(out, k)
      for i = 1, 7 do table.insert(out, f[i]) end
    end
  end
end
return out
)lua";

// Compare-and-pexpire / compare-and-delete on the owner token.
inline constexpr const char* kExtendScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
)lua";
inline constexpr const char* kUnlockScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

}  // namespace authgate::session::detail
