#!/usr/bin/env bash
# Runs the Postman collection docs/oxm.postman_collection.json with newman (tools/newman, pinned by
# its package-lock.json) against a live oxm-server: a fresh server on 127.0.0.1 (a port it picks),
# a fresh temporary SQLite database and a secret generated here; a subscriber and an admin token of
# the same tenant are minted with `oxm-server token`. Exits non-zero if any assertion fails, or if
# the server does not start or does not exit 0 on SIGTERM.
#
# BUILD_DIR: the build to test (default build/, built already, e.g. by scripts/build.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
server="$build/app/oxm-server"
tools="$root/tools/newman"
tenant=postman-tenant

[[ -x "$server" ]] || { echo "postman-test: no server at $server (build first)" >&2; exit 1; }

# npm ci once per lock file.
if ! cmp -s "$tools/package-lock.json" "$tools/node_modules/.oxm-installed-lock.json" 2>/dev/null; then
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$tools/package-lock.json" "$tools/node_modules/.oxm-installed-lock.json"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/oxm-postman.XXXXXX")"
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

OXM_JWT_SECRET="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
export OXM_JWT_SECRET
database="sqlite:$work/oxm.sqlite"

# Port 0: the server binds a free port and prints it ("listening on http://127.0.0.1:PORT/oxm/v1").
"$server" --listen 127.0.0.1:0 --database "$database" >"$work/server.log" 2>&1 &
pid=$!
base=""
for _ in $(seq 100); do
  base="$(sed -n 's|^.*listening on \(http://127\.0\.0\.1:[0-9]*\)/.*$|\1|p' "$work/server.log" | head -n1)"
  [[ -n "$base" ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$base" ]]; then
  echo "postman-test: oxm-server did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
session="$("$server" --database "$database" token --tenant "$tenant" --user postman-user)"
admin="$("$server" --database "$database" token --tenant "$tenant" --user postman-admin --role admin)"

status=0
"$tools/node_modules/.bin/newman" run "$root/docs/oxm.postman_collection.json" \
  --env-var "OXMServer=$base" --env-var "sessiontoken=$session" --env-var "admintoken=$admin" \
  --env-var "tenant=$tenant" --env-var "assetID=postman-asset-1" \
  --reporters cli --timeout-request 10000 --timeout 120000 --color off || status=$?

kill -TERM "$pid"
server_status=0
wait "$pid" || server_status=$?
pid=""
if [[ $server_status -ne 0 ]]; then
  echo "postman-test: oxm-server exited with status $server_status on SIGTERM:" >&2
  cat "$work/server.log" >&2
  status=1
fi
if [[ $status -ne 0 ]]; then echo "postman-test: FAILED" >&2; else echo "postman-test: passed"; fi
exit "$status"
