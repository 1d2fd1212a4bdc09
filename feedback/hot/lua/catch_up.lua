-- After behind.lua found that Redis came back with less than it had, and SQLite marked the
-- articles it got events of since stale: record SQLite's position as flushed, and make sure the
-- stream's next ids come after it (the flusher reads after it), should Redis's clock be behind
-- the one that numbered the lost events.
-- KEYS: shard meta hash, shard event stream.
-- ARGV: the epoch SQLite's position was read in, SQLite's last applied id.
local meta, events = KEYS[1], KEYS[2]
if redis.call('HGET', meta, 'epoch') ~= ARGV[1] then return 0 end
if redis.call('EXISTS', events) == 1 then
  local info = redis.call('XINFO', 'STREAM', events)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' and older(info[i + 1], ARGV[2]) then redis.call('XSETID', events, ARGV[2]) end
  end
end
redis.call('HSET', meta, 'flushed', ARGV[2])
return 1
