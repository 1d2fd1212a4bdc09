-- Apply a batch of vote changes to hot articles, in order.
-- KEYS: shard meta hash, shard event stream, shard touched zset, then one article hash per vote.
-- ARGV: epoch to create the shard's stream lifetime with, then per vote one change:
--       "score<TAB>reader<TAB>site<TAB>article" (score 0 withdraws), which is also the event
--       appended to the stream. One argument per vote keeps the client's work per vote small.
-- Returns 6 integers per vote: loaded (0 = cold: load it and retry), then the article's
-- histogram for scores 1..5 after the change.
local meta, events, touched = KEYS[1], KEYS[2], KEYS[3]
-- A script is not rolled back when it fails half-way: check every key before writing any, so
-- that a batch is applied whole or not at all.
for i = 4, #KEYS do
  local kind = redis.call('TYPE', KEYS[i])['ok']
  if kind ~= 'hash' and kind ~= 'none' then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is a ' .. kind .. ', not an article hash')
  end
end
redis.call('HSETNX', meta, 'epoch', ARGV[1])
local now = now_ms()
local out = {}
for i = 1, #KEYS - 3 do
  local key, change = KEYS[3 + i], ARGV[1 + i]
  local score, reader = string.match(change, '^(%d)\t([^\t]+)\t')
  score = tonumber(score)
  local state = redis.call('HMGET', key, '#1', '#2', '#3', '#4', '#5', reader)
  if not state[1] then
    for _ = 1, 6 do out[#out + 1] = 0 end
  else
    local counts = {tonumber(state[1]), tonumber(state[2]), tonumber(state[3]), tonumber(state[4]), tonumber(state[5])}
    local previous = tonumber(state[6] or '0')
    if previous ~= score then
      local id = redis.call('XADD', events, '*', 'e', change)
      if previous > 0 then
        redis.call('HINCRBY', key, '#' .. previous, -1)
        counts[previous] = counts[previous] - 1
      end
      if score > 0 then
        redis.call('HINCRBY', key, '#' .. score, 1)
        counts[score] = counts[score] + 1
        redis.call('HSET', key, reader, score, '#e', id)
      else
        redis.call('HDEL', key, reader)
        redis.call('HSET', key, '#e', id)
      end
    end
    redis.call('ZADD', touched, now, digest_of(key))
    out[#out + 1] = 1
    for j = 1, 5 do out[#out + 1] = counts[j] end
  end
end
return out
