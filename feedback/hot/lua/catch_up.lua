-- After Redis came back with less than it had (an AOF that lost its last second, a replica
-- promoted before it had everything): move the shard's stream past the events SQLite applied
-- that Redis no longer has, so that its next events get later ids than those (the flusher
-- reads after SQLite's position), and record them as flushed.
-- KEYS: shard meta hash, shard event stream.
-- ARGV: the epoch SQLite's position was read in, SQLite's last applied id.
-- Returns 1 when moved, 0 when Redis is in another epoch or already past that id.
local meta, events = KEYS[1], KEYS[2]
if redis.call('HGET', meta, 'epoch') ~= ARGV[1] then return 0 end
if redis.call('EXISTS', events) == 1 then
  local info = redis.call('XINFO', 'STREAM', events)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' and not older(info[i + 1], ARGV[2]) then return 0 end
  end
  redis.call('XSETID', events, ARGV[2])
else
  -- A stream emptied by trimming keeps its key: this one was lost. An entry added and deleted
  -- leaves it empty, with that id as its last.
  redis.call('XADD', events, ARGV[2], 'x', '')
  redis.call('XDEL', events, ARGV[2])
end
redis.call('HSET', meta, 'flushed', ARGV[2])
return 1
