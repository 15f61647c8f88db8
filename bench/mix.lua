-- The realistic mix, per 100 requests: 90 heartbeats with progress, 4 resume-point reads
-- (GET /streams/asset-s), 3 stops with progress (PUT /streams/asset-s/stopped), 2 watchlist
-- reads (GET /towatch?full=true), 1 history (GET /streams/history). Users, assets and devices
-- as in heartbeats.lua; the kinds are interleaved (not in runs of 90).
local lib = dofile(os.getenv("BENCH_DIR") .. "/lib.lua")
local tokens, streams, watchUsers, k
local kinds = {}

function init(args)
  tokens = lib.tokens()
  streams = lib.streams()
  watchUsers = math.min(#tokens, tonumber(os.getenv("WATCH_USERS") or "0") or 0)
  if watchUsers < 1 then watchUsers = #tokens end
  -- slot -> kind, spread over the 100 slots
  for i = 0, 99 do kinds[i] = "hb" end
  for _, i in ipairs({ 5, 30, 55, 80 }) do kinds[i] = "get" end
  for _, i in ipairs({ 17, 50, 83 }) do kinds[i] = "stop" end
  for _, i in ipairs({ 40, 90 }) do kinds[i] = "watch" end
  kinds[67] = "history"
  k = 0
end

function request()
  k = k + 1
  local u = tokens[(k % #tokens) + 1]
  local s = math.floor(k / #tokens) % streams
  local auth = { ["Authorization"] = "Bearer " .. u }
  local kind = kinds[k % 100]
  if kind == "hb" then
    return wrk.format("PUT", "/oxm/v1/streams/asset-" .. s .. "/streaming?device=dev-" .. s .. "&progress=" .. k, auth)
  elseif kind == "get" then
    return wrk.format("GET", "/oxm/v1/streams/asset-" .. s, auth)
  elseif kind == "stop" then
    return wrk.format("PUT", "/oxm/v1/streams/asset-" .. s .. "/stopped?device=dev-" .. s .. "&progress=" .. k, auth)
  elseif kind == "watch" then
    -- only the first WATCH_USERS users have a watchlist (5 catalog assets each)
    local w = tokens[(k % watchUsers) + 1]
    return wrk.format("GET", "/oxm/v1/towatch?full=true", { ["Authorization"] = "Bearer " .. w })
  else
    return wrk.format("GET", "/oxm/v1/streams/history", auth)
  end
end
