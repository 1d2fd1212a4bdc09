-- Read many articles' histograms (and one reader's score for each).
-- KEYS: article hashes. ARGV: per article, the reader whose score to return ('' = none).
-- Returns 7 integers per article: loaded (0 = cold: load it and retry), the histogram for
-- scores 1..5, and the reader's score (0 = none).
local out = {}
for i = 1, #KEYS do
  local reader = ARGV[i]
  if reader == '' then reader = '#1' end
  local values = redis.call('HMGET', KEYS[i], '#1', '#2', '#3', '#4', '#5', reader)
  if not values[1] then
    for _ = 1, 7 do out[#out + 1] = 0 end
  else
    out[#out + 1] = 1
    for j = 1, 5 do out[#out + 1] = tonumber(values[j]) end
    out[#out + 1] = ARGV[i] ~= '' and tonumber(values[6] or '0') or 0
  end
end
return out
