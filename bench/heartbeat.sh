#!/usr/bin/env bash
# Heartbeat throughput of oxm-server on loopback: without progress (in-memory admission only) and
# with progress (a committed SQLite write per request). Bounded: DURATION seconds per run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${BUILD_DIR:-$root/build}/app/oxm-server"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
port="${PORT:-18600}"; duration="${DURATION:-10}"; conns="${CONNS:-64}"
dir="$(mktemp -d)"; db="sqlite:$dir/bench.sqlite"
export OXM_JWT_SECRET=bench-secret
"$bin" --listen 127.0.0.1:$port --database "$db" --threads "${THREADS:-2}" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
export TOKEN="$("$bin" --database "$db" token --tenant bench --user viewer --ttl 3600)"
for p in 0 1; do
  echo "== heartbeats, progress=$p, wrk -t1 -c$conns -d${duration}s"
  PROGRESS=$p wrk -t1 -c"$conns" -d"${duration}s" --latency -s "$root/bench/heartbeat.lua" "http://127.0.0.1:$port" \
    | grep -E 'Requests/sec|  50%|  99%|Non-2xx|Socket errors'
done
