-- Apply a batch of vote changes to hot articles, in order.
-- KEYS: shard meta hash, shard event stream, then one article hash per vote.
-- ARGV: epoch to create the shard's stream lifetime with; the vote rate limit as count and
--       period in ms ('' = none); the cap of distinct readers per address per article per day
--       ('' = none); then per vote one change: "address<TAB>score<TAB>reader<TAB>site<TAB>article"
--       (score 0 withdraws; address '' = unknown). Without its address, the change is also the
--       event appended to the stream: one argument per vote keeps the client's work small.
-- Returns 8 integers per vote: status (0 = cold: load it and retry; 1 = applied; 2 = over the
-- rate limit, nothing applied), the article's histogram for scores 1..5 after the change, its
-- approved comments, and for status 2 the ms to wait.
--
-- A reader's vote is counted, or suspect: past the cap of distinct readers its address brought
-- to this article today. A suspect vote is kept in the field '!reader' (its events go to the
-- stream as 's', not 'e') and counts in no histogram; it stays suspect when changed.
local meta, events = KEYS[1], KEYS[2]
-- A script is not rolled back when it fails half-way: check every key before writing any, so
-- that a batch is applied whole or not at all.
for i = 3, #KEYS do
  local kind = redis.call('TYPE', KEYS[i])['ok']
  if kind ~= 'hash' and kind ~= 'none' then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is a ' .. kind .. ', not an article hash')
  end
end
redis.call('HSETNX', meta, 'epoch', ARGV[1])
local rate_count, rate_period, cap = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local prefix = shard_prefix(meta)
local now = now_ms()
local day = math.floor(now / 86400000)
local out = {}
for i = 1, #KEYS - 2 do
  local key = KEYS[2 + i]
  local address, change = string.match(ARGV[4 + i], '^([^\t]*)\t(.*)$')
  local score, reader, site = string.match(change, '^(%d)\t([^\t]+)\t([^\t]+)\t')
  score = tonumber(score)
  local state = redis.call('HMGET', key, '#1', '#2', '#3', '#4', '#5', '#c', reader, '!' .. reader)
  local counts = {}
  for j = 1, 6 do counts[j] = tonumber(state[j] or '0') end
  local status, wait = 1, 0
  if not state[1] then
    status = 0
  else
    wait = rate_limit(prefix, 'v', rate_count, rate_period, site, reader, address, now)
    if wait > 0 then status = 2 end
  end
  if status == 1 then
    local counted, suspect_score = tonumber(state[7] or '0'), tonumber(state[8] or '0')
    local suspect = suspect_score > 0
    if counted == 0 and not suspect and score > 0 and cap and address ~= '' then
      -- A reader without a vote on this article: unless decided today already (a withdrawn
      -- vote), count it against its address's cap for today, and remember the decision.
      local readers = prefix .. 'cap:' .. digest_of(key) .. ':' .. day
      local decided = redis.call('HGET', readers, 'r:' .. reader)
      if decided then
        suspect = decided == 's'
      else
        suspect = redis.call('HINCRBY', readers, address, 1) > cap
        redis.call('HSET', readers, 'r:' .. reader, suspect and 's' or 'c')
        redis.call('EXPIRE', readers, 86400)
      end
    end
    local field, previous = reader, counted
    if suspect then field, previous = '!' .. reader, suspect_score end
    if previous ~= score then
      local id = redis.call('XADD', events, '*', suspect and 's' or 'e', change)
      if not suspect then
        if previous > 0 then
          redis.call('HINCRBY', key, '#' .. previous, -1)
          counts[previous] = counts[previous] - 1
        end
        if score > 0 then
          redis.call('HINCRBY', key, '#' .. score, 1)
          counts[score] = counts[score] + 1
        end
      end
      if score > 0 then
        redis.call('HSET', key, field, score, '#e', id)
      else
        redis.call('HDEL', key, field)
        redis.call('HSET', key, '#e', id)
      end
    end
  end
  out[#out + 1] = status
  for j = 1, 6 do out[#out + 1] = counts[j] end
  out[#out + 1] = wait
end
return out
