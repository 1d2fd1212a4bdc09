-- Apply a batch of vote changes to hot articles, in order.
-- KEYS: shard meta hash, shard event stream, then one article hash per vote.
-- ARGV: epoch to create the shard's stream lifetime with; the vote rate limit as count and
--       period in ms ('' = none); the cap of distinct readers per address per article per day
--       ('' = none); then per vote one change:
--       "address<TAB>title<TAB>url<TAB>score<TAB>reader<TAB>site<TAB>article" (score 0 withdraws;
--       address, title, url '' = not given). From its score on, the change is also the event
--       appended to the stream: one argument per vote keeps the client's work small (the format
--       is hot/packing.py's). A title or url new to the article goes to the stream once (`m`).
-- Returns 8 integers per vote: status (0 = cold, or a stale copy fenced until the flusher drops
-- it: load it and retry; 1 = applied; 2 = over the rate limit, nothing applied; 3 = applied, and
-- the cap made the reader's vote suspect), the article's histogram for scores 1..5 after the
-- change, its approved comments, and for status 2 the ms to wait.
--
-- A reader's vote is counted, or suspect: past the cap of distinct readers its address brought
-- to this article today. A suspect vote is kept in the field '!reader' (its events go to the
-- stream as 's', not 'e') and counts in no histogram; it stays suspect when changed. The event
-- that made it suspect also carries `k`, the address's cluster label (hot/packing.py); a
-- counted vote never pays for it.
local meta, events = KEYS[1], KEYS[2]
local votes = #KEYS - 2
-- A script is not rolled back when it fails half-way, and reading a key that is not an article
-- hash fails: so every vote's state is read before any is written, and a batch is applied whole
-- or not at all. A state read then serves its vote unless an earlier vote wrote to its article.
-- A vote's state: counts, approved comments, the reader's score (counted, suspect), the fence
-- (drop.lua) and, only when its page sent a title or url, the article's ([10], [11]: false when
-- it has none yet).
local function read_state(key, reader, about)
  if not about then return redis.call('HMGET', key, '#1', '#2', '#3', '#4', '#5', '#c', reader, '!' .. reader, '#f') end
  return redis.call('HMGET', key, '#1', '#2', '#3', '#4', '#5', '#c', reader, '!' .. reader, '#f', '#t', '#u')
end
local changes, addresses, readers, sites, articles, scores, states = {}, {}, {}, {}, {}, {}, {}
local titles, urls = {}, {}
for i = 1, votes do
  local address, title, url, change = string.match(ARGV[4 + i], '^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$')
  local score, reader, site, article = string.match(change, '^(%d)\t([^\t]+)\t([^\t]+)\t(.*)$')
  changes[i], addresses[i], readers[i], sites[i], scores[i] = change, address, reader, site, tonumber(score)
  articles[i], titles[i], urls[i] = article, title, url
  states[i] = read_state(KEYS[2 + i], reader, title ~= '' or url ~= '')
end
redis.call('HSETNX', meta, 'epoch', ARGV[1])
local rate_count, rate_period, cap = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local prefix = shard_prefix(meta)
local now = now_ms()
local day = math.floor(now / 86400000)
local written = {}
-- The reply is built by position: `#out` on a growing table costs a search each time.
local out, n = {}, 0
for i = 1, votes do
  local key = KEYS[2 + i]
  local change, address, reader, site, score = changes[i], addresses[i], readers[i], sites[i], scores[i]
  local state = states[i]
  if written[key] then
    state = read_state(key, reader, titles[i] ~= '' or urls[i] ~= '')
  end
  -- Tables are made at their full size: growing one to six entries costs more than filling it.
  local counts = {0, 0, 0, 0, 0, 0}
  for j = 1, 6 do counts[j] = tonumber(state[j] or '0') end
  local status, wait = 1, 0
  if not state[1] or state[9] then
    status = 0
  else
    wait = rate_limit(prefix, 'v', rate_count, rate_period, site, reader, address, now)
    if wait > 0 then status = 2 end
  end
  if status == 1 then
    if state[10] ~= nil and note_about(events, key, site, articles[i], titles[i], urls[i], state[10], state[11]) then
      written[key] = true
    end
    local counted, suspect_score = tonumber(state[7] or '0'), tonumber(state[8] or '0')
    local suspect = suspect_score > 0
    local cluster = false
    if counted == 0 and not suspect and score > 0 and cap and address ~= '' then
      -- A reader without a vote on this article: unless decided today already (a withdrawn
      -- vote), count it against its address's cap for today, and remember the decision.
      local decided_readers = prefix .. 'cap:' .. digest_of(key) .. ':' .. day
      local decided = redis.call('HGET', decided_readers, 'r:' .. reader)
      if decided then
        suspect = decided == 's'
      else
        suspect = redis.call('HINCRBY', decided_readers, address, 1) > cap
        redis.call('HSET', decided_readers, 'r:' .. reader, suspect and 's' or 'c')
        redis.call('EXPIRE', decided_readers, 86400)
      end
      -- A keyed hash already, truncated again: the archive can group readers by address but
      -- never learn the day's hash, let alone the address.
      if suspect then
        cluster = string.sub(redis.sha1hex(address), 1, 10)
        status = 3
      end
    end
    local field, previous = reader, counted
    if suspect then field, previous = '!' .. reader, suspect_score end
    if previous ~= score then
      local id
      if cluster then
        id = redis.call('XADD', events, '*', 's', change, 'k', cluster)
      else
        id = redis.call('XADD', events, '*', suspect and 's' or 'e', change)
      end
      -- One HSET writes the vote, the event id and the new counts (read above, in this call).
      local fields, m = {'#e', id, false, false, false, false, false, false}, 2
      if not suspect then
        if previous > 0 then
          counts[previous] = counts[previous] - 1
          fields[m + 1], fields[m + 2], m = '#' .. previous, counts[previous], m + 2
        end
        if score > 0 then
          counts[score] = counts[score] + 1
          fields[m + 1], fields[m + 2], m = '#' .. score, counts[score], m + 2
        end
      end
      if score > 0 then
        fields[m + 1], fields[m + 2], m = field, score, m + 2
      else
        redis.call('HDEL', key, field)
      end
      redis.call('HSET', key, unpack(fields, 1, m))
      written[key] = true
    end
  end
  out[n + 1] = status
  for j = 1, 6 do out[n + 1 + j] = counts[j] end
  out[n + 8] = wait
  n = n + 8
end
return out
