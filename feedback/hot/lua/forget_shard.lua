-- After an older archive was restored and the shard's stream flushed into it: forget the shard's
-- articles and stream as a wiped Redis would have, so that every article is read back from the
-- restored archive (whose votes may lack some that Redis counts) and the next event starts a
-- new epoch. Rate limits and address caps stay.
-- KEYS: shard meta hash, shard event stream, shard touched zset, shard unflushed-comments hash.
-- Returns 1 when forgotten, 0 when events wait in the stream (flush them, then call again).
local meta, events, touched, waiting = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('XLEN', events) > 0 then return 0 end
-- Every loaded article is in the touched set (lua/load.lua adds it, only a drop removes it).
local prefix = shard_prefix(meta)
for _, digest in ipairs(redis.call('ZRANGE', touched, 0, -1)) do
  redis.call('UNLINK', prefix .. 'a:' .. digest, prefix .. 'c:' .. digest)
end
redis.call('UNLINK', meta, events, touched, waiting)
return 1
