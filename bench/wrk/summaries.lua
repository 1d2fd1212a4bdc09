-- A list page: 20 articles' summaries in one request, over ARTICLES articles.
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
  local ids = {}
  for i = 1, 20 do ids[i] = "article-" .. math.random(articles) end
  return wrk.format("GET", string.format("/api/v1/sites/%s/summaries?articles=%s", site, table.concat(ids, ",")))
end
