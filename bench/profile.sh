#!/usr/bin/env bash
# Where a heartbeat's time goes: oxm-server (the Release build of bench/run.sh) under
# valgrind --tool=callgrind while wrk sends heartbeats (PROGRESS=1: with progress, the durable
# write; 0: admission only) from USERS users; prints the top functions by inclusive and by self
# cost, per request. (This machine's perf cannot count instructions: `perf stat -e instructions`
# says <not supported> in the VM, so callgrind it is.)
#   bash bench/profile.sh            knobs: BENCH_BUILD_DIR, PROGRESS (1), DURATION (20), USERS (200)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bench="$root/bench"
build="${BENCH_BUILD_DIR:-$(cd "$root/.." && pwd)/build-release}"
duration="${DURATION:-20}"; users="${USERS:-200}"; progress="${PROGRESS:-1}"
command -v valgrind >/dev/null || { echo "apt-get install valgrind"; exit 1; }
dir="$(mktemp -d /tmp/oxm-profile.XXXXXX)"
export OXM_JWT_SECRET="profile-secret" BENCH_DIR="$bench"
g++ -O2 -std=gnu++20 -fPIC -I"$root/service" $(pkg-config --cflags Qt6Core) "$bench/minttokens.cpp" \
  "$build/service/liboxm_service.a" $(pkg-config --libs Qt6Core) -lcrypto -o "$dir/mint"
"$dir/mint" bench u "$users" >"$dir/tokens.txt"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$build/app/oxm-server" --database "sqlite:$dir/p.sqlite" tenant add bench >/dev/null
valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" \
  "$build/app/oxm-server" --listen 127.0.0.1:$port --database "sqlite:$dir/p.sqlite" --threads 1 >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.2; done
TOKENS="$dir/tokens.txt" FIRST=0 USERS=$users STREAMS=3 PROGRESS=$progress \
  wrk -t1 -c8 -d"${duration}s" --timeout 10s -s "$bench/heartbeats.lua" "http://127.0.0.1:$port" | tee "$dir/wrk.out" | grep -E 'requests in|Requests/sec|Non-2xx'
requests=$(awk '/requests in/ {print $1}' "$dir/wrk.out")
kill -TERM $pid; wait $pid 2>/dev/null || true
echo "== $requests requests (start-up included in the totals); Ir per request = total / $requests"
cp "$dir/callgrind.out" "${KEEP:-/tmp}/oxm-callgrind.out" && echo "(kept: ${KEEP:-/tmp}/oxm-callgrind.out)"
callgrind_annotate --inclusive=yes "$dir/callgrind.out" >"$dir/inclusive.txt" 2>/dev/null || true
callgrind_annotate "$dir/callgrind.out" >"$dir/self.txt" 2>/dev/null || true
echo "== inclusive, with Ir per request"
awk -v n="$requests" '/^ *[0-9,]+ \(/ {v=$1; gsub(",","",v); printf "%9.0f/req  %s\n", v/n, $0}' "$dir/inclusive.txt" | head -80 | cut -c1-230
echo "== self cost, with Ir per request"
awk -v n="$requests" '/^ *[0-9,]+ \(/ {v=$1; gsub(",","",v); printf "%9.0f/req  %s\n", v/n, $0}' "$dir/self.txt" | head -40 | cut -c1-230
