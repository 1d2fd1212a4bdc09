-- The comments that SQLite does not have yet, and forget those it has.
-- KEYS: shard meta hash, then unflushed comments hashes (of articles, or the shard's).
-- ARGV: 'prune' to forget the flushed ones (the flusher), '' to only read (a request).
-- Returns the JSON of each comment not yet flushed, of all the given articles.
local flushed = redis.call('HGET', KEYS[1], 'flushed')
local out = {}
for i = 2, #KEYS do
  local entries = redis.call('HGETALL', KEYS[i])
  for j = 1, #entries, 2 do
    if not flushed or older(flushed, entries[j]) then
      out[#out + 1] = entries[j + 1]
    elseif ARGV[1] == 'prune' then
      redis.call('HDEL', KEYS[i], entries[j])
    end
  end
end
return out
