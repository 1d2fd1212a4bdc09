-- New and changed votes spread over ARTICLES articles and READERS readers.
local articles = tonumber(os.getenv("BENCH_ARTICLES") or "10000")
local readers = tonumber(os.getenv("BENCH_READERS") or "100000")
local site = os.getenv("BENCH_SITE") or "bench"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(seed * 7919 + os.time())
end

request = function()
  local path = string.format("/api/v1/sites/%s/articles/article-%d/rating", site, math.random(articles))
  local body = string.format('{"score":%d,"reader":"bench-reader-%08d"}', math.random(5), math.random(readers))
  return wrk.format("PUT", path, {["Content-Type"] = "application/json"}, body)
end
