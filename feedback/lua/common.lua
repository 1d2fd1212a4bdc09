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
