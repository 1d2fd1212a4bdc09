-- Read many articles' summaries (and, for some, one reader's score).
-- KEYS: article hashes. ARGV: pairs of (position in KEYS, reader) for the articles whose
-- reader's score is asked for (a list page asks for none, and sends no arguments).
-- Returns 8 integers per article: loaded (0 = cold, or a stale copy fenced until the flusher
-- drops it: load it and retry), the histogram for
-- scores 1..5, the approved comments, and the reader's score, counted or suspect (0 = none or
-- not asked).
local readers = {}
for i = 1, #ARGV, 2 do readers[tonumber(ARGV[i])] = ARGV[i + 1] end
-- The reply is built by position: `#out` on a growing table costs a search each time.
local out, n = {}, 0
for i = 1, #KEYS do
  local reader = readers[i]
  local values
  if reader then
    values = redis.call('HMGET', KEYS[i], '#1', '#2', '#3', '#4', '#5', '#c', '#f', reader, '!' .. reader)
  else
    values = redis.call('HMGET', KEYS[i], '#1', '#2', '#3', '#4', '#5', '#c', '#f')
  end
  if not values[1] or values[7] then
    for j = 1, 8 do out[n + j] = 0 end
  else
    out[n + 1] = 1
    for j = 1, 6 do out[n + 1 + j] = tonumber(values[j] or '0') end
    out[n + 8] = tonumber(values[8] or values[9] or '0')
  end
  n = n + 8
end
return out
