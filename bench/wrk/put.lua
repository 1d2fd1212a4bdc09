-- New and changed votes spread over `articles` articles and `readers` readers.
request = function()
  local path = string.format("/api/v1/sites/%s/articles/article-%d/rating", site, math.random(articles))
  local body = string.format('{"score":%d,"reader":"bench-reader-%08d"}', math.random(5), math.random(readers))
  return wrk.format("PUT", path, {["Content-Type"] = "application/json"}, body)
end
