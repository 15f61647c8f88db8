-- wrk script: heartbeats for 100 streams of one subscriber (distinct assets and devices).
-- TOKEN comes from the environment; PROGRESS=1 adds &progress=N (a durable write per request).
local token = os.getenv("TOKEN")
local progress = os.getenv("PROGRESS") == "1"
wrk.method = "PUT"
wrk.headers["Authorization"] = "Bearer " .. token
local counter = 0
request = function()
  counter = counter + 1
  local n = counter % 100
  local path = "/oxm/v1/streams/asset-" .. n .. "/streaming?device=dev-" .. n
  if progress then path = path .. "&progress=" .. counter end
  return wrk.format(nil, path)
end
