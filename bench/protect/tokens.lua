-- wrk script: one bearer token per request, cycling through TOKENS_FILE (one per line).
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do
  if #line > 0 then tokens[#tokens + 1] = line end
end
local i = 0
request = function()
  i = i + 1
  if i > #tokens then i = 1 end
  return wrk.format("GET", "/api/items", { ["Authorization"] = "Bearer " .. tokens[i] })
end
