-- Load a cold article's state, read from SQLite, unless it is loaded already or stale.
-- KEYS: shard meta hash, shard touched zset, article hash, article's unflushed comments hash.
-- ARGV: SQLite's flush epoch and last applied stream id for the shard ('' when none), the
--       shard's count of stale drops read before SQLite was, the article's approved comments,
--       then reader, score pairs (a suspect vote's reader as '!reader': kept, not counted).
-- Returns 1 when the article is loaded (by this call or an earlier one), 0 when the snapshot may
-- be older than SQLite now is, so the caller reads SQLite again: the flusher has applied events
-- since (an evicted article's later votes would be missing from it), or dropped a stale article
-- (one changed in SQLite behind Redis's back, perhaps this one, after the snapshot); 2 when the
-- article is a stale copy fenced (drop.lua) whose last events are not flushed yet: serve it from
-- SQLite meanwhile. A fenced copy whose events are flushed is dropped here, as the flusher would
-- (so a fence whose stale mark is gone does not outlive it), and 0 answered.
local meta, touched, key, comments = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('EXISTS', key) == 1 then
  if redis.call('HEXISTS', key, '#f') == 1 then
    local last_event = redis.call('HGET', key, '#e')
    local flushed = redis.call('HGET', meta, 'flushed')
    if last_event and (not flushed or older(flushed, last_event)) then return 2 end
    redis.call('HINCRBY', meta, 'stale_drops', 1)
    redis.call('DEL', key, comments)
    redis.call('ZREM', touched, digest_of(key))
    return 0
  end
  -- Loaded by a version without comments: SQLite then has all of them.
  redis.call('HSETNX', key, '#c', ARGV[4])
  return 1
end

if (redis.call('HGET', meta, 'stale_drops') or '0') ~= ARGV[3] then return 0 end
local flushed = redis.call('HGET', meta, 'flushed')
if flushed then
  if ARGV[1] ~= redis.call('HGET', meta, 'epoch') or ARGV[2] == '' or older(ARGV[2], flushed) then
    return 0
  end
end

local counts = {0, 0, 0, 0, 0}
for i = 5, #ARGV, 2 do
  local score = tonumber(ARGV[i + 1])
  redis.call('HSET', key, ARGV[i], score)
  if string.sub(ARGV[i], 1, 1) ~= '!' then counts[score] = counts[score] + 1 end
end
redis.call('HSET', key, '#1', counts[1], '#2', counts[2], '#3', counts[3], '#4', counts[4], '#5', counts[5],
  '#c', ARGV[4])
redis.call('ZADD', touched, now_ms(), digest_of(key))
return 1
