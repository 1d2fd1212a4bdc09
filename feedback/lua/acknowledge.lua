-- After SQLite committed a flush up to ARGV[2]: record it and trim the applied entries.
-- KEYS: shard meta hash, shard event stream.
-- ARGV: epoch the entries were read in, last applied id, first id to keep.
local meta, events = KEYS[1], KEYS[2]
if redis.call('HGET', meta, 'epoch') ~= ARGV[1] then return 0 end
-- Trimming first frees memory even when Redis is full (where the HSET is refused), so a full
-- Redis recovers as the flusher drains it.
redis.call('XTRIM', events, 'MINID', ARGV[3])
redis.call('HSET', meta, 'flushed', ARGV[2])
return 1
