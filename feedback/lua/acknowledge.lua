-- After SQLite committed a flush up to ARGV[2]: record it, trim the applied entries, and mark
-- when their articles last changed (what eviction of idle articles goes by; votes leave that
-- to the flusher, since a sorted-set update per vote would double their cost to Redis).
-- KEYS: shard meta hash, shard event stream, shard touched zset.
-- ARGV: epoch the entries were read in, last applied id, first id to keep, then pairs of (ms of
--       an article's last applied event, its digest).
local meta, events, touched = KEYS[1], KEYS[2], KEYS[3]
if redis.call('HGET', meta, 'epoch') ~= ARGV[1] then return 0 end
-- Trimming first frees memory even when Redis is full (where the HSET is refused), so a full
-- Redis recovers as the flusher drains it.
redis.call('XTRIM', events, 'MINID', ARGV[3])
redis.call('HSET', meta, 'flushed', ARGV[2])
if #ARGV > 3 then
  -- GT: a load marks its article with the time it was loaded, which may be later.
  redis.call('ZADD', touched, 'GT', unpack(ARGV, 4))
end
return 1
