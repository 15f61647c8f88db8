#!/usr/bin/env bash
# The admin app's GUI responsiveness under a heartbeat load: oxm-admin (under xvfb-run) reports
# the worst event-loop stall every 5 s while wrk sends heartbeats to its embedded API.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
port="${PORT:-18601}"; duration="${DURATION:-20}"
dir="$(mktemp -d)"; db="sqlite:$dir/bench.sqlite"
export OXM_JWT_SECRET=bench-secret XDG_CONFIG_HOME="$dir/config" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
# Its own process group, so that the cleanup ends xvfb-run, Xvfb and oxm-admin together.
setsid xvfb-run -a "$build/app/oxm-admin" --listen 127.0.0.1:$port --database "$db" --report-stalls 5 >"$dir/admin.log" 2>&1 &
pid=$!
trap 'kill -- -$pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
export TOKEN="$("$build/app/oxm-server" --database "$db" token --tenant bench --user viewer --ttl 3600)"
PROGRESS=1 wrk -t2 -c64 -d"${duration}s" -s "$root/bench/heartbeat.lua" "http://127.0.0.1:$port" | grep -E 'Requests/sec|Non-2xx'
sleep 1
grep -i stall "$dir/admin.log" || cat "$dir/admin.log"
