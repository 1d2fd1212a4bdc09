-- Drop an article's state from Redis, only when all its events are flushed to SQLite.
-- KEYS: shard meta hash, shard touched zset, article hash, article's unflushed comments hash.
-- ARGV: how many ms the article must have gone untouched ('' = any: a stale article, changed in
--       SQLite behind Redis's back; loads that read SQLite before this then read it again).
-- Returns 1 when the article is gone, 0 when it must stay. A stale article that must stay (its
-- last events are not flushed yet) is fenced ('#f'): votes, reads and comments treat it as cold
-- and loads wait, so it gets no new event, and the drop after the next flush of its shard
-- succeeds however busy the article is.
local meta, touched, key, comments = KEYS[1], KEYS[2], KEYS[3], KEYS[4]

local last_event = redis.call('HGET', key, '#e')
if last_event then
  local flushed = redis.call('HGET', meta, 'flushed')
  if not flushed or older(flushed, last_event) then
    if ARGV[1] == '' then redis.call('HSET', key, '#f', 1) end
    return 0
  end
end
if ARGV[1] ~= '' then
  local touched_at = redis.call('ZSCORE', touched, digest_of(key))
  if touched_at and tonumber(touched_at) > now_ms() - tonumber(ARGV[1]) then return 0 end
end
if ARGV[1] == '' then redis.call('HINCRBY', meta, 'stale_drops', 1) end
redis.call('DEL', key, comments)
redis.call('ZREM', touched, digest_of(key))
return 1
