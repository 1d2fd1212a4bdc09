-- Where the flusher resumes reading a shard's stream of this lifetime (epoch), given SQLite's
-- position in it; and whether Redis lost events SQLite has applied from it.
-- KEYS: shard meta hash, shard event stream, shard touched zset, shard behind set.
-- ARGV: SQLite's last applied stream id of the shard in this epoch.
-- Returns the id to read after: SQLite's, unless Redis lost events up to it. Then the id Redis
-- last knew flushed ('0-0' when none): the events after it that Redis still has, or took since,
-- are all unapplied or replays (which change nothing), and its loaded articles, which may lack
-- what it lost (SQLite has it), are listed in the behind set to be dropped once flushed.
local meta, events, touched, behind = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local applied = ARGV[1]
local flushed = redis.call('HGET', meta, 'flushed') or '0-0'
if not older(flushed, applied) then return applied end
-- Committed but not acknowledged (a flusher died in between): the event is still here.
if #redis.call('XRANGE', events, applied, applied) == 1 then return applied end
-- Redis's data is older than SQLite's position: a replica promoted before it received the last
-- events, or a restart from an older snapshot or AOF.
local digests = redis.call('ZRANGE', touched, 0, -1)
for i = 1, #digests, 1000 do
  redis.call('SADD', behind, unpack(digests, i, math.min(i + 999, #digests)))
end
return flushed
