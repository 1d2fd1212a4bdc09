-- One article's summary, over `articles` articles.
request = function()
  return wrk.format("GET", string.format("/api/v1/sites/%s/articles/article-%d", site, math.random(articles)))
end
