#!/usr/bin/env bash
# The admin app's GUI responsiveness under a heartbeat load: oxm-admin (under xvfb-run) reports
# the worst event-loop stall every 5 s while wrk sends heartbeats with progress to its embedded
# API. Load starts after the first report (start-up and window creation are not counted); the
# last line, "worst stall under load: N ms", is the worst report while wrk ran.
# Standalone: bash bench/gui-stall.sh. Called by bench/run.sh with TOKENS (a token file),
# USERS, STREAMS, SERVER_CPU / WRK_CPU (taskset pinning) and CONNS.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
port="${PORT:-18601}"; duration="${DURATION:-20}"; conns="${CONNS:-64}"
dir="$(mktemp -d)"; db="sqlite:$dir/bench.sqlite"
export OXM_JWT_SECRET="${OXM_JWT_SECRET:-bench-secret}" XDG_CONFIG_HOME="$dir/config" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
export BENCH_DIR="$root/bench"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
pin_server=(); pin_wrk=()
[ -n "${SERVER_CPU:-}" ] && pin_server=(taskset -c "$SERVER_CPU")
[ -n "${WRK_CPU:-}" ] && pin_wrk=(taskset -c "$WRK_CPU")
# Its own process group, so that the cleanup ends xvfb-run, Xvfb and oxm-admin together.
"${pin_server[@]}" setsid xvfb-run -a "$build/app/oxm-admin" --listen 127.0.0.1:$port --database "$db" --report-stalls 5 >"$dir/admin.log" 2>&1 &
pid=$!
trap 'kill -- -$pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
if [ -z "${TOKENS:-}" ]; then
  export TOKENS="$dir/tokens.txt" USERS="${USERS:-50}" STREAMS="${STREAMS:-3}"
  for i in $(seq 0 $(( USERS - 1 ))); do
    "$build/app/oxm-server" --database "$db.tokens" token --tenant bench --user "u$i" --ttl 3600 >>"$TOKENS"
  done
fi
# The first report covers start-up; the load starts after it.
for _ in $(seq 100); do grep -q 'worst stall' "$dir/admin.log" && break; sleep 0.1; done
before=$(grep -c 'worst stall' "$dir/admin.log" || true)
FIRST=0 PROGRESS=1 "${pin_wrk[@]}" wrk -t1 -c"$conns" -d"${duration}s" --latency -s "$root/bench/heartbeats.lua" "http://127.0.0.1:$port" \
  | grep -E 'Requests/sec|  50%|  99%|Non-2xx|Socket errors'
sleep 5.5 # the report of the last window
grep 'worst stall' "$dir/admin.log" | tail -n +$(( before + 1 ))
grep 'worst stall' "$dir/admin.log" | tail -n +$(( before + 1 )) \
  | awk '{for (i = 1; i <= NF; ++i) if ($i == "stall") {v = $(i + 1); if (v > m) m = v; break}} END {print "worst stall under load: " m+0 " ms"}'
