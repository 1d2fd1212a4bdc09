-- After SQLite committed a flush up to ARGV[2]: record it, trim the applied entries, and mark
-- when their articles last changed (what eviction of idle articles goes by; votes leave that
-- to the flusher, since a sorted-set update per vote would double their cost to Redis).
-- KEYS: shard meta hash, shard event stream, shard touched zset.
-- ARGV: epoch the entries were read in, last applied id, first id to keep, the precision in ms
--       of the marks, then pairs of (ms of an article's last applied event, its digest).
local meta, events, touched = KEYS[1], KEYS[2], KEYS[3]
if redis.call('HGET', meta, 'epoch') ~= ARGV[1] then return 0 end
-- Trimming first frees memory even when Redis is full (where the HSET is refused), so a full
-- Redis recovers as the flusher drains it.
redis.call('XTRIM', events, 'MINID', ARGV[3])
-- Never back (a flusher that lost its lease may acknowledge late): behind.lua reads a `flushed`
-- older than SQLite's position, with that entry trimmed, as a Redis that lost events.
local flushed = redis.call('HGET', meta, 'flushed')
if not flushed or older(flushed, ARGV[2]) then redis.call('HSET', meta, 'flushed', ARGV[2]) end
if #ARGV > 4 then
  -- Reading marks is cheap, moving them in the sorted set is not: only marks older than the
  -- precision move. Never back: a load marks its article with the time it was loaded.
  local precision, digests = tonumber(ARGV[4]), {}
  for i = 6, #ARGV, 2 do digests[#digests + 1] = ARGV[i] end
  local marks, moves = redis.call('ZMSCORE', touched, unpack(digests)), {}
  for j = 1, #digests do
    local at = tonumber(ARGV[3 + 2 * j])
    if not marks[j] or tonumber(marks[j]) < at - precision then
      moves[#moves + 1] = at
      moves[#moves + 1] = digests[j]
    end
  end
  if #moves > 0 then redis.call('ZADD', touched, 'GT', unpack(moves)) end
end
return 1
