-- Whether Redis came back with less than it had (an AOF that lost its last second, a replica
-- promoted before it had everything, a restart from an older snapshot): SQLite applied events of
-- this shard's stream that Redis no longer has.
-- KEYS: shard meta hash, shard event stream.
-- ARGV: SQLite's last applied id of the shard, in the epoch Redis has.
-- Returns false when Redis has every event SQLite applied, else the last id Redis knows flushed
-- ('0-0' when none): what it holds up to there SQLite has too.
local meta, events = KEYS[1], KEYS[2]
local applied = ARGV[1]
local flushed = redis.call('HGET', meta, 'flushed') or '0-0'
if not older(flushed, applied) then return false end
-- Committed but not acknowledged (a flusher died in between): the event is still here.
if #redis.call('XRANGE', events, applied, applied) == 1 then return false end
return flushed
