-- Read many articles' histograms (and, for some, one reader's score).
-- KEYS: article hashes. ARGV: pairs of (position in KEYS, reader) for the articles whose
-- reader's score is asked for (a list page asks for none, and sends no arguments).
-- Returns 7 integers per article: loaded (0 = cold: load it and retry), the histogram for
-- scores 1..5, and the reader's score (0 = none or not asked).
local readers = {}
for i = 1, #ARGV, 2 do readers[tonumber(ARGV[i])] = ARGV[i + 1] end
local out = {}
for i = 1, #KEYS do
  local reader = readers[i]
  local values = redis.call('HMGET', KEYS[i], '#1', '#2', '#3', '#4', '#5', reader or '#1')
  if not values[1] then
    for _ = 1, 7 do out[#out + 1] = 0 end
  else
    out[#out + 1] = 1
    for j = 1, 5 do out[#out + 1] = tonumber(values[j]) end
    out[#out + 1] = reader and tonumber(values[6] or '0') or 0
  end
end
return out
