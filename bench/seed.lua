-- Seeding with an exact count: each wrk thread sends its share of the first requests of
-- USERS x STREAMS (user-major: all streams of a user, then the next user) and stops once it has
-- that many answers; requests sent past the share repeat its last one (a refresh, not a new
-- stream). Each thread then writes a file in the directory SEED_DONE (see request()).
-- MODE=heartbeat: PUT /streams/asset-s/streaming?device=dev-s (no progress: the active
-- set only). MODE=watchlist: PUT /towatch/asset-s. Needs -t N and -c C equal to env WRK_THREADS
-- and WRK_CONNS. Non-2xx answers show in wrk's own summary ("Non-2xx or 3xx responses").
local lib = dofile(os.getenv("BENCH_DIR") .. "/lib.lua")
local tokens, streams, mode, share, first, sent, conns
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  tokens = lib.tokens()
  streams = lib.streams()
  mode = os.getenv("MODE") or "heartbeat"
  local threads = tonumber(os.getenv("WRK_THREADS") or "1")
  local total = #tokens * streams
  share = math.floor(total / threads)
  first = id * share
  if id == threads - 1 then share = total - first end
  -- wrk calls thread 0's request() once before the run to check the request it makes
  -- (script_verify_request) and drops it: thread 0 starts one early, so index 0 is sent again.
  sent = id == 0 and -1 or 0
  conns = math.ceil(tonumber(os.getenv("WRK_CONNS") or "1") / threads)
end

local function nth(i)
  local u = tokens[math.floor(i / streams) + 1]
  local s = i % streams
  local auth = { ["Authorization"] = "Bearer " .. u }
  if mode == "watchlist" then
    return wrk.format("PUT", "/oxm/v1/towatch/asset-" .. s, auth)
  end
  return wrk.format("PUT", "/oxm/v1/streams/asset-" .. s .. "/streaming?device=dev-" .. s, auth)
end

-- wrk calls response() only for answers that carry a header, and OXM's 204 carries none, so
-- progress is counted here: wrk sends a connection's next request only after its previous
-- answer, so once share + (this thread's connections) requests have been made, at least `share`
-- have been answered. The thread then writes "<id> <sent>" to a file in the directory
-- SEED_DONE; the caller waits for every thread's file, gives the last answers a moment, ends
-- wrk with SIGINT (its main thread would sleep the whole -d) and counts what the server holds.
function request()
  local i = math.max(0, math.min(sent, share - 1))
  sent = sent + 1
  if sent == share + conns then
    local f = assert(io.open(os.getenv("SEED_DONE") .. "/" .. id, "w"))
    f:write(id .. " " .. sent .. "\n")
    f:close()
  end
  return nth(first + i)
end
