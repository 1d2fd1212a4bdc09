-- Helpers prepended to every script.

-- Whether stream id `a` ("ms-seq") comes before stream id `b`.
local function older(a, b)
  local a_ms, a_seq = string.match(a, '^(%d+)-(%d+)$')
  local b_ms, b_seq = string.match(b, '^(%d+)-(%d+)$')
  a_ms, a_seq, b_ms, b_seq = tonumber(a_ms), tonumber(a_seq), tonumber(b_ms), tonumber(b_seq)
  return a_ms < b_ms or (a_ms == b_ms and a_seq < b_seq)
end

-- Redis's clock in milliseconds.
local function now_ms()
  local clock = redis.call('TIME')
  return clock[1] * 1000 + math.floor(clock[2] / 1000)
end

-- The digest of an article, its name in the touched set: the last 32 characters of its key.
local function digest_of(key)
  return string.sub(key, -32)
end

-- The prefix of a shard's keys, "feedback:{s}:", from its meta hash's key.
local function shard_prefix(meta)
  return string.sub(meta, 1, -5)
end

-- Rate limits, as a generic cell rate algorithm: `count` requests per `period` ms, in bursts of
-- up to `count`. A key holds the "theoretical arrival time" of the next request. The keys share
-- the shard's hash tag, so they live in the slot of the script's declared keys.
-- Returns how many ms to wait (0 = allowed now) and the arrival time to store when taken.
local function rate_wait(key, count, period, now)
  local arrival = tonumber(redis.call('GET', key) or '0')
  if arrival < now then arrival = now end
  local next_arrival = arrival + period / count
  local wait = next_arrival - now - period
  if wait > 0 then return math.ceil(wait), nil end
  return 0, next_arrival
end

-- Check one request against the limits of its reader and of its address ('' = unknown), and
-- take from both only when both allow it. `kind` names the action ('v'ote, 'c'omment);
-- `count` nil = no limit. Returns how many ms to wait, 0 = allowed and counted.
local function rate_limit(prefix, kind, count, period, site, reader, address, now)
  if not count then return 0 end
  local keys = {prefix .. 'rate:' .. kind .. ':' .. site .. ':r:' .. reader}
  if address ~= '' then keys[2] = prefix .. 'rate:' .. kind .. ':' .. site .. ':a:' .. address end
  local arrivals = {}
  local longest = 0
  for i, key in ipairs(keys) do
    local wait, arrival = rate_wait(key, count, period, now)
    if wait > longest then longest = wait end
    arrivals[i] = arrival
  end
  if longest > 0 then return longest end
  for i, key in ipairs(keys) do
    redis.call('SET', key, tostring(arrivals[i]), 'PX', math.ceil(arrivals[i] - now))
  end
  return 0
end

-- Record the title and url a page gave its article with a vote or comment ('' = not given),
-- when they differ from those the article's hash holds (`known_title`, `known_url`, nil when
-- none): in the hash, and once in the stream as an `m` event ("title<TAB>url<TAB>site<TAB>article",
-- see hot/packing.py). Returns true when it wrote.
local function note_about(events, key, site, article, title, url, known_title, known_url)
  if (title == '' or title == known_title) and (url == '' or url == known_url) then return false end
  if title == '' then title = known_title or '' end
  if url == '' then url = known_url or '' end
  local id = redis.call('XADD', events, '*', 'm', title .. '\t' .. url .. '\t' .. site .. '\t' .. article)
  redis.call('HSET', key, '#t', title, '#u', url, '#e', id)
  return true
end
