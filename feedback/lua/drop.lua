-- Drop an article's state from Redis, only when all its votes are flushed to SQLite.
-- KEYS: shard meta hash, shard touched zset, article hash.
-- ARGV: article digest, and how many ms the article must have gone untouched ('' = any).
-- Returns 1 when the article is gone, 0 when it must stay.
local meta, touched, key = KEYS[1], KEYS[2], KEYS[3]

local last_event = redis.call('HGET', key, '#e')
if last_event then
  local flushed = redis.call('HGET', meta, 'flushed')
  if not flushed or older(flushed, last_event) then return 0 end
end
if ARGV[2] ~= '' then
  local touched_at = redis.call('ZSCORE', touched, ARGV[1])
  if touched_at and tonumber(touched_at) > now_ms() - tonumber(ARGV[2]) then return 0 end
end
redis.call('DEL', key)
redis.call('ZREM', touched, ARGV[1])
return 1
