-- A list page: 20 articles' summaries in one request, over `articles` articles.
request = function()
  local ids = {}
  for i = 1, 20 do ids[i] = "article-" .. math.random(articles) end
  return wrk.format("GET", string.format("/api/v1/sites/%s/summaries?articles=%s", site, table.concat(ids, ",")))
end
