-- One article's summary, over ARTICLES articles.
local articles = tonumber(os.getenv("BENCH_ARTICLES") or "10000")
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
  return wrk.format("GET", string.format("/api/v1/sites/%s/articles/article-%d", site, math.random(articles)))
end
