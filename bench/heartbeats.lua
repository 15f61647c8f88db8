-- Heartbeats with progress: PUT /oxm/v1/streams/asset-s/streaming?device=dev-s&progress=N for
-- USERS distinct users (their own tokens) x STREAMS streams each, round robin, so that every
-- request is a different (user, asset, device) than the one before. PROGRESS=0 leaves out
-- &progress (admission only, no durable write). See lib.lua for the other variables.
local lib = dofile(os.getenv("BENCH_DIR") .. "/lib.lua")
local reqs, k

function init(args)
  local tokens = lib.tokens()
  local streams = lib.streams()
  local progress = os.getenv("PROGRESS") ~= "0"
  reqs = {}
  for s = 0, streams - 1 do
    for u = 1, #tokens do
      local path = "/oxm/v1/streams/asset-" .. s .. "/streaming?device=dev-" .. s
      if progress then
        reqs[#reqs + 1] = lib.template("PUT", path .. "&progress=@N@", tokens[u])
      else
        reqs[#reqs + 1] = wrk.format("PUT", path, { ["Authorization"] = "Bearer " .. tokens[u] })
      end
    end
  end
  k = 0
end

function request()
  k = k + 1
  local r = reqs[(k % #reqs) + 1]
  if type(r) == "string" then return r end
  return r[1] .. k .. r[2]
end
