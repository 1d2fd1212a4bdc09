-- Prepended to every scenario script: its parameters, and a random seed per wrk thread.
articles = tonumber(os.getenv("BENCH_ARTICLES") or "10000")
readers = tonumber(os.getenv("BENCH_READERS") or "100000")
site = os.getenv("BENCH_SITE") or "bench"
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  math.randomseed(seed * 7919 + os.time())
end
