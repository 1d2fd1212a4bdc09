-- The baseline: GET /hello.
request = function()
  return wrk.format("GET", "/hello")
end
