-- Drop up to ARGV[1] of the articles resume.lua listed as perhaps behind SQLite, each once all
-- its events are flushed (the next request loads it from SQLite, which has everything).
-- KEYS: shard meta hash, shard touched zset, shard behind set.
-- Returns how many stay listed: those with events not flushed yet, and those not tried.
local meta, touched, behind = KEYS[1], KEYS[2], KEYS[3]
local prefix = shard_prefix(meta)
local flushed = redis.call('HGET', meta, 'flushed')
local dropped = 0
for _, digest in ipairs(redis.call('SRANDMEMBER', behind, tonumber(ARGV[1]))) do
  local key = prefix .. 'a:' .. digest
  local last_event = redis.call('HGET', key, '#e')
  if not last_event or (flushed and not older(flushed, last_event)) then
    redis.call('DEL', key, prefix .. 'c:' .. digest)
    redis.call('ZREM', touched, digest)
    redis.call('SREM', behind, digest)
    dropped = dropped + 1
  end
end
-- As a stale drop: a load that read SQLite before it reads again.
if dropped > 0 then redis.call('HINCRBY', meta, 'stale_drops', 1) end
return redis.call('SCARD', behind)
