-- Shared by the wrk scripts of bench/run.sh (loaded with dofile; wrk runs LuaJIT, Lua 5.1).
-- Environment: TOKENS (a file, one token per line: line i is user "u<i>"), FIRST (first line
-- used, 0-based), USERS (how many lines from FIRST), STREAMS (streams per user: asset-s on
-- device dev-s, s = 0..STREAMS-1).
local lib = {}

function lib.tokens()
  local first = tonumber(os.getenv("FIRST") or "0")
  local users = tonumber(os.getenv("USERS") or "0")
  local list = {}
  local n = 0
  local file = os.getenv("TOKENS")
  assert(file, "set TOKENS")
  for line in io.lines(file) do
    if n >= first then
      list[#list + 1] = line
      if users > 0 and #list >= users then break end
    end
    n = n + 1
  end
  assert(#list > 0, "no tokens read")
  return list
end

function lib.streams() return tonumber(os.getenv("STREAMS") or "3") end

-- A request split around its one varying number: prefix .. n .. suffix (the request line and
-- headers are formatted once by wrk.format, so request() only concatenates three strings).
function lib.template(method, path_with_marker, token)
  local text = wrk.format(method, path_with_marker, { ["Authorization"] = "Bearer " .. token })
  local at = assert(text:find("@N@", 1, true))
  return { text:sub(1, at - 1), text:sub(at + 3) }
end

return lib
