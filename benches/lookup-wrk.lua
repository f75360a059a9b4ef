-- wrk script for benches/lookup.sh: cycles through the 436 points of
-- derived/bpe-94-lookup-sample.csv (path in $LOOKUP_SAMPLE) as /api/lookup?lon=…&lat=….
-- With $LOOKUP_PATH=search, cycles through search queries instead.
local requests = {}
if os.getenv("LOOKUP_PATH") == "search" then
  for _, q in ipairs({"creteil", "Cr%C3%A9teuil", "vitry%20sur%20seine", "champigny%20haut",
                      "cre", "bords%20de%20marne", "mairie%20de%20vincennes", "es%20noiseau"}) do
    requests[#requests + 1] = "/api/search?limit=8&q=" .. q
  end
else
  for line in io.lines(os.getenv("LOOKUP_SAMPLE")) do
    local lon, lat = line:match('^[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,([^,]*),([^,]*),')
    if lon and tonumber(lon) then
      requests[#requests + 1] = "/api/lookup?lon=" .. lon .. "&lat=" .. lat
    end
  end
end
local i = 0
request = function()
  i = i % #requests + 1
  return wrk.format("GET", requests[i])
end
