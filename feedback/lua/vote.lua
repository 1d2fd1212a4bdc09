-- Apply a batch of vote changes to hot articles, in order.
-- KEYS: shard meta hash, shard event stream, shard touched zset, then one article hash per vote.
-- ARGV: epoch to create the shard's stream lifetime with, then per vote: digest, site, article,
--       reader, score (0 withdraws).
-- Returns 6 integers per vote: loaded (0 = cold: load it and retry), then the article's
-- histogram for scores 1..5 after the change.
local meta, events, touched = KEYS[1], KEYS[2], KEYS[3]
redis.call('HSETNX', meta, 'epoch', ARGV[1])
local now = now_ms()
local out = {}
for i = 1, #KEYS - 3 do
  local key = KEYS[3 + i]
  local base = 1 + (i - 1) * 5
  local digest, site, article, reader = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4]
  local score = tonumber(ARGV[base + 5])
  if redis.call('EXISTS', key) == 0 then
    for _ = 1, 6 do out[#out + 1] = 0 end
  else
    local previous = tonumber(redis.call('HGET', key, reader) or '0')
    if previous ~= score then
      if previous > 0 then redis.call('HINCRBY', key, '#' .. previous, -1) end
      if score > 0 then
        redis.call('HSET', key, reader, score)
        redis.call('HINCRBY', key, '#' .. score, 1)
      else
        redis.call('HDEL', key, reader)
      end
      local id = redis.call('XADD', events, '*', 's', site, 'a', article, 'r', reader, 'v', score)
      redis.call('HSET', key, '#e', id)
    end
    redis.call('ZADD', touched, now, digest)
    out[#out + 1] = 1
    local counts = redis.call('HMGET', key, '#1', '#2', '#3', '#4', '#5')
    for j = 1, 5 do out[#out + 1] = tonumber(counts[j]) end
  end
end
return out
