-- Set a hot article's count of approved comments again after editors changed SQLite's.
-- KEYS: shard meta hash, article hash, article's unflushed comments hash.
-- ARGV: SQLite's flush epoch and last applied stream id for the shard ('' when none), and the
--       article's approved comments in SQLite as of that id (one snapshot).
-- Returns 1 when done (or the article is cold: its next load reads SQLite), 0 when SQLite's
-- position is of another epoch.
local meta, key, comments = KEYS[1], KEYS[2], KEYS[3]
-- A load that read SQLite before the editors' change must read it again.
redis.call('HINCRBY', meta, 'stale_drops', 1)
if redis.call('EXISTS', key) == 0 then return 1 end
if ARGV[1] ~= redis.call('HGET', meta, 'epoch') then return 0 end
local approved = tonumber(ARGV[3])
local entries = redis.call('HGETALL', comments)
for j = 1, #entries, 2 do
  -- Comments SQLite did not have at that position: approved ones count on top.
  if (ARGV[2] == '' or older(ARGV[2], entries[j])) and cjson.decode(entries[j + 1])['status'] == 'approved' then
    approved = approved + 1
  end
end
redis.call('HSET', key, '#c', approved)
return 1
