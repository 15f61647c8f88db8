#!/usr/bin/env bash
# Issue 6: OXM against the machine's HTTP ceiling (nginx `return 204;`), in one sitting.
#
#   bash bench/run.sh            (from a clean clone; installs nginx, wrk, xvfb if missing)
#
# 1. heartbeats with progress (USERS users x STREAMS streams, distinct assets and devices):
#    OXM and nginx, req/s, p50/p99, OXM/nginx ratio;
# 2. the realistic mix (90 % heartbeats, 4 % resume-point reads, 3 % stops, 2 % watchlist
#    full=true, 1 % history), OXM and nginx;
# 3. scaling: heartbeats (no progress) refreshing 1,000 streams while 1k, 100k and 1M streams
#    are held active; server CPU per heartbeat, req/s, and resident memory per active stream;
#    then PAIRED rounds (3) against two servers in turn, one holding 1k and one 1M streams;
# 4. oxm-admin (under xvfb-run) under the heartbeat load of 1: the GUI event loop's worst stall;
# and what limits 1: the same heartbeats against QHttpServer 6.4 alone answering 204
# (bench/qhttpserver204.cpp) and against oxm-server with fsync a no-op (eatmydata).
# Prints one summary table (also written to $OUT, default bench/last-run.md).
#
# Pinned (taskset): the server (nginx or oxm-server, all its threads) on SERVER_CPU, wrk on
# WRK_CPU, so both get one core each. Loopback only; every wrk run is bounded (DURATION s).
# Knobs: BENCH_BUILD_DIR (default ../build-release next to the checkout), DURATION (10), WARMUP (3),
# CONNS (64), USERS (2000), STREAMS (3), THREADS (oxm-server --threads, 1), SERVER_CPU (0),
# WRK_CPU (1), SCALE (1; 0 skips the 100k/1M points), SCALE_MAX (1000000), PAIRED (3), GUI (1), OUT,
# BUILD (1; 0 uses the build as it is), SEED_BUDGET (300 s per seeding step).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bench="$root/bench"
build="${BENCH_BUILD_DIR:-$(cd "$root/.." && pwd)/build-release}"
DURATION="${DURATION:-10}"; WARMUP="${WARMUP:-3}"; CONNS="${CONNS:-64}"
USERS="${USERS:-2000}"; STREAMS="${STREAMS:-3}"; THREADS="${THREADS:-1}"
SERVER_CPU="${SERVER_CPU:-0}"; WRK_CPU="${WRK_CPU:-1}"
SCALE="${SCALE:-1}"; SCALE_MAX="${SCALE_MAX:-1000000}"; GUI="${GUI:-1}"
OUT="${OUT:-$bench/last-run.md}"
export BENCH_DIR="$bench"

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# --- what it needs ----------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v taskset >/dev/null || missing+=(util-linux)
command -v curl >/dev/null || missing+=(curl)
command -v eatmydata >/dev/null || missing+=(eatmydata)
[ "$GUI" = 1 ] && { command -v xvfb-run >/dev/null || missing+=(xvfb xauth); }
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

# --- a Release build of its own ---------------------------------------------------------------
log "building Release in $build"
launcher=(); command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
gui_flag=OFF; [ "$GUI" = 1 ] && gui_flag=ON
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
    -DOXM_BUILD_GUI="$gui_flag" "${launcher[@]}" >/dev/null
fi
if [ "${BUILD:-1}" = 1 ]; then
  nice -n 5 cmake --build "$build" -j"$(nproc)" >/dev/null || die "build (see: cmake --build $build)"
fi
server="$build/app/oxm-server"
[ -x "$server" ] || die "no $server"

dir="$(mktemp -d /tmp/oxm-bench.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

# The server's own TokenIssuer in one process for many users (oxm-server token is one process
# per token).
g++ -O2 -std=gnu++20 -fPIC -I"$root/service" $(pkg-config --cflags Qt6Core) "$bench/minttokens.cpp" \
  "$build/service/liboxm_service.a" $(pkg-config --libs Qt6Core) -lcrypto -o "$dir/oxm-bench-mint" \
  || die "compiling bench/minttokens.cpp"
# The stack's own ceiling: QHttpServer 6.4 answering 204 with nothing behind it.
g++ -O2 -std=gnu++20 -fPIC $(pkg-config --cflags Qt6HttpServer) "$bench/qhttpserver204.cpp" \
  $(pkg-config --libs Qt6HttpServer) -o "$dir/qhttpserver204" || die "compiling bench/qhttpserver204.cpp"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; die "no answer from $1"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime of the whole process
hz="$(getconf CLK_TCK)"

# wrk on WRK_CPU; result file gets wrk's output. Args: name seconds threads conns script url
run_wrk() {
  local name="$1" secs="$2" threads="$3" conns="$4" script="$5" url="$6"
  taskset -c "$WRK_CPU" wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 5s --latency -s "$bench/$script" "$url" \
    >"$dir/$name.wrk" 2>"$dir/$name.err" || die "wrk $name: $(cat "$dir/$name.err")"
}
# Exact seeding with seed.lua. Args: name wrk-threads conns url cpus; env FIRST USERS STREAMS MODE.
# Waits for every thread's done file, then ends wrk (its main thread would sleep the whole -d).
seed() {
  local name="$1" threads="$2" conns="$3" url="$4" cpus="$5" done_dir="$dir/$1.done" wrk_pid n answers bad
  mkdir -p "$done_dir"
  SEED_DONE="$done_dir" WRK_THREADS="$threads" WRK_CONNS="$conns" taskset -c "$cpus" wrk -t"$threads" -c"$conns" -d900s --timeout 30s \
    -s "$bench/seed.lua" "$url" >"$dir/$name.wrk" 2>&1 &
  wrk_pid=$!
  for _ in $(seq $(( ${SEED_BUDGET:-300} * 10 ))); do
    n=$(find "$done_dir" -type f | wc -l)
    [ "$n" -ge "$threads" ] && break
    kill -0 "$wrk_pid" 2>/dev/null || break
    sleep 0.1
  done
  sleep 1 # the last requests of the share are answered within milliseconds
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" || true
  [ "$(find "$done_dir" -type f | wc -l)" -ge "$threads" ] \
    || log "WARNING: seeding $name stopped after ${SEED_BUDGET:-300} s (SEED_BUDGET) before its share; measuring what is held"
  ! grep -q 'Non-2xx' "$dir/$name.wrk" || die "seeding $name: $(grep 'Non-2xx' "$dir/$name.wrk")"
}
# Fields of a wrk result: rps, p50 and p99 in ms, requests, non-2xx, socket errors
ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }
rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' "$dir/$1.wrk"; }
pct() { awk -v p="$2%" '$1 == p {print $2}' "$dir/$1.wrk" | ms; }
requests() { awk '/requests in/ {print $1}' "$dir/$1.wrk"; }
non2xx() { awk '/Non-2xx/ {print $NF}' "$dir/$1.wrk" | grep . || echo 0; }
sockerr() { awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10}' "$dir/$1.wrk" | grep . || echo 0; }

secret="bench-secret-$(date +%s)"
export OXM_JWT_SECRET="$secret"
tenant=bench

# --- tokens -------------------------------------------------------------------------------------
scale_users=$(( SCALE_MAX / 4 )); [ "$SCALE" = 1 ] || scale_users=250
total_users=$(( scale_users > USERS ? scale_users : USERS ))
t0=$(date +%s.%N)
for i in $(seq 20); do "$server" --database "sqlite:$dir/tokens.sqlite" token --tenant $tenant --user "probe-$i" >/dev/null; done
t1=$(date +%s.%N)
"$dir/oxm-bench-mint" $tenant u "$total_users" 7200 >"$dir/tokens.txt"
t2=$(date +%s.%N)
token_cli_ms=$(echo "($t1 - $t0) * 1000 / 20" | bc -l)
mint_s=$(echo "$t2 - $t1" | bc -l)
log "tokens: oxm-server token $(printf %.1f "$token_cli_ms") ms each; $total_users minted in one process in $(printf %.2f "$mint_s") s"
export TOKENS="$dir/tokens.txt"

# --- nginx --------------------------------------------------------------------------------------
nginx_port=$(free_port)
mkdir -p "$dir/nginx"
user_line=""; [ "$(id -u)" = 0 ] && user_line="user root;"
sed -e "s|@DIR@|$dir/nginx|g" -e "s|@PORT@|$nginx_port|g" -e "s|@USER@|$user_line|" "$bench/nginx.conf.in" >"$dir/nginx/nginx.conf"
taskset -c "$SERVER_CPU" "$nginx_bin" -p "$dir/nginx" -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf" &
nginx_pid=$!
pids+=($nginx_pid)
declare -A cpu_us
nginx_url="http://127.0.0.1:$nginx_port"
wait_http "$nginx_url/"

# --- oxm-server on a fresh database ----------------------------------------------------------
start_oxm() { # name port extra-args...: starts, waits for healthz, sets oxm_pid ($WRAP: a wrapper command)
  local name="$1" port="$2"; shift 2
  taskset -c "$SERVER_CPU" ${WRAP:-} "$server" --listen "127.0.0.1:$port" --database "sqlite:$dir/$name.sqlite" \
    --threads "$THREADS" "$@" >"$dir/$name.log" 2>&1 &
  oxm_pid=$!
  pids+=($oxm_pid)
  wait_http "http://127.0.0.1:$port/healthz"
}
prepare_db() { # name: tenant and catalog before the server starts
  "$server" --database "sqlite:$dir/$1.sqlite" tenant add $tenant >/dev/null
  python3 -c 'import json,sys; json.dump([{"id": "asset-%d" % i, "title": "Asset %d" % i, "durationSeconds": 3600 + i} for i in range(50)], sys.stdout)' >"$dir/catalog.json"
  "$server" --database "sqlite:$dir/$1.sqlite" catalog import "$dir/catalog.json" >/dev/null
}
set_policy() { # port: maxPerUser 5, maxPerAsset 2, maxDevices 5 (admits every stream of the runs)
  local admin code
  admin=$("$server" --database "sqlite:$dir/tokens.sqlite" token --tenant $tenant --user bench-admin --role admin)
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"maxPerUser":5,"maxPerAsset":2,"maxDevices":5}' "http://127.0.0.1:$1/oxm/v1/streampolicy/$tenant")
  [ "$code" = 200 ] || die "policy PUT answered $code"
}

prepare_db main
oxm_port=$(free_port)
start_oxm main "$oxm_port"
main_pid=$oxm_pid
oxm_url="http://127.0.0.1:$oxm_port"
set_policy "$oxm_port"
# Watchlist adds are answered after their own commit (no group commit across requests of one
# HTTP thread), so only WATCH_USERS users get a list; the mix reads those users' lists.
WATCH_USERS="${WATCH_USERS:-200}"
log "seeding watchlists: $WATCH_USERS users x 5 assets"
w0=$(date +%s.%N)
FIRST=0 USERS=$WATCH_USERS STREAMS=5 MODE=watchlist seed seed-watch 1 16 "$oxm_url" "$WRK_CPU"
w1=$(date +%s.%N)
watch_rate=$(echo "$WATCH_USERS * 5 / ($w1 - $w0)" | bc -l | xargs printf %.0f)

load="$(cat /proc/loadavg | cut -d' ' -f1-3)"
log "load average before the runs: $load"

# --- 1 and 2: heartbeats and the mix, OXM then nginx, same script -------------------------------
for test in heartbeats mix; do
  for target in oxm nginx; do
    url=$oxm_url; [ $target = nginx ] && url=$nginx_url
    log "$test against $target: ${WARMUP}s warm-up, ${DURATION}s measured, wrk -t1 -c$CONNS"
    WATCH_USERS=$WATCH_USERS FIRST=0 USERS=$USERS STREAMS=$STREAMS PROGRESS=1 run_wrk "$test-$target-warm" "$WARMUP" 1 "$CONNS" $test.lua "$url"
    procs=$main_pid; [ $target = nginx ] && procs="$nginx_pid $(pgrep -P "$nginx_pid" | tr '\n' ' ')"
    c0=0; for p in $procs; do c0=$(( c0 + $(cpu_ticks "$p") )); done
    WATCH_USERS=$WATCH_USERS FIRST=0 USERS=$USERS STREAMS=$STREAMS PROGRESS=1 run_wrk "$test-$target" "$DURATION" 1 "$CONNS" $test.lua "$url"
    c1=0; for p in $procs; do c1=$(( c1 + $(cpu_ticks "$p") )); done
    cpu_us["$test-$target"]=$(echo "($c1 - $c0) * 1000000 / $hz / $(requests "$test-$target")" | bc -l | xargs printf %.1f)
  done
done
# The token cache's worth, same binary and sitting, on heartbeats without progress (the write
# would hide it): USERS users (cached), then NOCACHE_USERS users round robin, more than the
# cache's 16,384 slots, so each token has been evicted before it comes back (nearly every
# request verifies the HS256 signature and parses the JSON again).
NOCACHE_USERS="${NOCACHE_USERS:-40000}"
[ "$NOCACHE_USERS" -gt "$total_users" ] && NOCACHE_USERS=$total_users
for variant in cached nocache; do
  n=$USERS; [ $variant = nocache ] && n=$NOCACHE_USERS
  log "heartbeats without progress against oxm from $n users ($variant)"
  FIRST=0 USERS=$n STREAMS=1 PROGRESS=0 run_wrk "admit-$variant-warm" "$WARMUP" 1 "$CONNS" heartbeats.lua "$oxm_url"
  c0=$(cpu_ticks "$main_pid")
  FIRST=0 USERS=$n STREAMS=1 PROGRESS=0 run_wrk "admit-$variant" "$DURATION" 1 "$CONNS" heartbeats.lua "$oxm_url"
  c1=$(cpu_ticks "$main_pid")
  cpu_us[admit-$variant]=$(echo "($c1 - $c0) * 1000000 / $hz / $(requests "admit-$variant")" | bc -l | xargs printf %.1f)
done
main_rss=$(rss_kb "$main_pid")

# --- what limits runs 1-2: the same heartbeats against two ceilings -----------------------------
# a) QHttpServer 6.4 alone (bench/qhttpserver204.cpp: the heartbeat's route answering 204, no
#    token, no admission, no storage): what the stack OXM must be built on costs by itself;
# b) oxm-server with fsync made a no-op (eatmydata: LD_PRELOAD, for measurement only; the
#    commit is then not durable): what the wait for the resume point's durable group commit costs.
qhs_port=$(free_port)
taskset -c "$SERVER_CPU" "$dir/qhttpserver204" "$qhs_port" >"$dir/qhs.log" 2>&1 &
qhs_pid=$!
pids+=($qhs_pid)
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "http://127.0.0.1:$qhs_port/oxm/v1/streams/a/streaming")" = 204 ] && break
  sleep 0.1
done
prepare_db nofsync
nofsync_port=$(free_port)
WRAP=eatmydata start_oxm nofsync "$nofsync_port"
nofsync_pid=$oxm_pid
set_policy "$nofsync_port"
for ceiling in qhs nofsync; do
  url="http://127.0.0.1:$qhs_port"; p=$qhs_pid
  [ $ceiling = nofsync ] && { url="http://127.0.0.1:$nofsync_port"; p=$nofsync_pid; }
  log "heartbeats with progress against the ceiling $ceiling"
  FIRST=0 USERS=$USERS STREAMS=$STREAMS PROGRESS=1 run_wrk "ceiling-$ceiling-warm" "$WARMUP" 1 "$CONNS" heartbeats.lua "$url"
  c0=$(cpu_ticks "$p")
  FIRST=0 USERS=$USERS STREAMS=$STREAMS PROGRESS=1 run_wrk "ceiling-$ceiling" "$DURATION" 1 "$CONNS" heartbeats.lua "$url"
  c1=$(cpu_ticks "$p")
  cpu_us[ceiling-$ceiling]=$(echo "($c1 - $c0) * 1000000 / $hz / $(requests "ceiling-$ceiling")" | bc -l | xargs printf %.1f)
done
kill "$qhs_pid" "$nofsync_pid" 2>/dev/null || true
wait "$qhs_pid" "$nofsync_pid" 2>/dev/null || true

# --- 4: the admin app under the heartbeat load ------------------------------------------------
gui_result="(skipped)"
if [ "$GUI" = 1 ] && [ -x "$build/app/oxm-admin" ]; then
  log "oxm-admin under the heartbeat load (bench/gui-stall.sh)"
  gui_out=$(BUILD_DIR="$build" PORT=$(free_port) DURATION=$(( DURATION * 2 )) USERS=$USERS STREAMS=$STREAMS \
    SERVER_CPU="$SERVER_CPU" WRK_CPU="$WRK_CPU" CONNS="$CONNS" bash "$bench/gui-stall.sh" 2>&1) || true
  echo "$gui_out" >"$dir/gui.out"
  grep -q '^worst stall under load:' "$dir/gui.out" || die "gui-stall: $gui_out"
  gui_stall=$(awk '/^worst stall under load:/ {print $5}' "$dir/gui.out")
  gui_rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$dir/gui.out")
  gui_result="$gui_stall ms"
fi

# --- 3: scaling with 1k, 100k, 1M active streams held ------------------------------------------
# A fresh server with a stream timeout long enough to hold every stream for the whole run.
# Measured load: heartbeats without progress refreshing users 0..249 x 4 streams (1,000 streams);
# held: users 250.. x 4 streams, seeded with first heartbeats (seed.lua: an exact count).
scale_points=(1000); [ "$SCALE" = 1 ] && scale_points=(1000 $(( SCALE_MAX / 10 )) "$SCALE_MAX")
prepare_db scale
scale_port=$(free_port)
start_oxm scale "$scale_port" --stream-timeout 7200
scale_pid=$oxm_pid
scale_url="http://127.0.0.1:$scale_port"
set_policy "$scale_port"
held=1000 # the measured streams themselves
declare -A s_rps s_p50 s_p99 s_us s_rss s_seed s_active
for point in "${scale_points[@]}"; do
  if [ "$point" -gt "$held" ]; then
    add=$(( point - held )); first_user=$(( held / 4 ))
    log "seeding $add more streams (users $first_user..$(( first_user + add / 4 - 1 )) x 4), server on both cores meanwhile"
    taskset -a -p -c 0-$(( $(nproc) - 1 )) "$scale_pid" >/dev/null
    s0=$(date +%s.%N)
    FIRST=$first_user USERS=$(( add / 4 )) STREAMS=4 MODE=heartbeat seed "seed-$point" 2 64 "$scale_url" 0-$(( $(nproc) - 1 ))
    s1=$(date +%s.%N)
    taskset -a -p -c "$SERVER_CPU" "$scale_pid" >/dev/null
    s_seed[$point]=$(echo "$add / ($s1 - $s0)" | bc -l | xargs printf %.0f)
    held=$point
  fi
  log "scaling: $point active streams held: ${WARMUP}s warm-up, ${DURATION}s measured"
  FIRST=0 USERS=250 STREAMS=4 PROGRESS=0 run_wrk "scale-$point-warm" "$WARMUP" 1 "$CONNS" heartbeats.lua "$scale_url"
  c0=$(cpu_ticks "$scale_pid")
  FIRST=0 USERS=250 STREAMS=4 PROGRESS=0 run_wrk "scale-$point" "$DURATION" 1 "$CONNS" heartbeats.lua "$scale_url"
  c1=$(cpu_ticks "$scale_pid")
  s_rps[$point]=$(rps "scale-$point"); s_p50[$point]=$(pct "scale-$point" 50); s_p99[$point]=$(pct "scale-$point" 99)
  s_us[$point]=$(echo "($c1 - $c0) * 1000000 / $hz / $(requests "scale-$point")" | bc -l | xargs printf %.1f)
  s_rss[$point]=$(rss_kb "$scale_pid")
  # The count really held, from /metrics (after the RSS reading: the scrape copies the active set).
  s_active[$point]=$(curl -s "$scale_url/metrics" | awk -v t="oxm_active_streams{tenant=\"$tenant\"}" '$1 == t {print $2}')
  [ "$(non2xx "scale-$point")" = 0 ] || die "scaling $point: $(non2xx "scale-$point") non-2xx"
done
last=${scale_points[-1]}
for point in "${scale_points[@]}"; do
  [ "${s_active[$point]}" = "$point" ] || log "WARNING: /metrics counted ${s_active[$point]} active streams, not $point"
done
# Paired: a second server holding only the 1,000 measured streams, measured in turn with the one
# holding $last (same load, same core, PAIRED rounds of small then large): slow drifts of a
# shared machine hit both sides of a pair alike, where the sweep above measures 1k minutes
# before 1M.
PAIRED="${PAIRED:-3}"; paired=()
if [ "${#scale_points[@]}" -gt 1 ] && [ "$PAIRED" -gt 0 ]; then
  prepare_db small
  small_port=$(free_port)
  start_oxm small "$small_port" --stream-timeout 7200
  small_pid=$oxm_pid
  set_policy "$small_port"
  for round in $(seq "$PAIRED"); do
    pair=""
    for side in small large; do
      url="http://127.0.0.1:$small_port"; p=$small_pid
      [ $side = large ] && { url=$scale_url; p=$scale_pid; }
      log "paired scaling, round $round: $side"
      FIRST=0 USERS=250 STREAMS=4 PROGRESS=0 run_wrk "pair-$round-$side-warm" "$WARMUP" 1 "$CONNS" heartbeats.lua "$url"
      c0=$(cpu_ticks "$p")
      FIRST=0 USERS=250 STREAMS=4 PROGRESS=0 run_wrk "pair-$round-$side" "$DURATION" 1 "$CONNS" heartbeats.lua "$url"
      c1=$(cpu_ticks "$p")
      pair="$pair $(echo "($c1 - $c0) * 1000000 / $hz / $(requests "pair-$round-$side")" | bc -l)"
    done
    paired+=("$pair")
  done
fi

# --- summary ------------------------------------------------------------------------------------
ratio() { echo "$1 / $2" | bc -l | xargs printf %.2f; }
{
  echo "## bench/run.sh — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(lscpu | awk -F: '/Model name/ {gsub(/^ +/,"",$2); print $2}')), load before: $load"
  echo
  echo "oxm-server Release, --threads $THREADS, pinned to CPU $SERVER_CPU; nginx 1 worker pinned to CPU $SERVER_CPU; wrk -t1 -c$CONNS on CPU $WRK_CPU; ${DURATION} s per run after ${WARMUP} s warm-up; $USERS users x $STREAMS streams."
  echo
  echo "| run | req/s | p50 ms | p99 ms | non-2xx | OXM/nginx | server CPU µs / request | OXM/nginx by CPU |"
  echo "|---|---|---|---|---|---|---|---|"
  for test in heartbeats mix; do
    for target in oxm nginx; do
      r="$test-$target"
      rel=""; relcpu=""
      if [ $target = oxm ]; then
        rel=$(ratio "$(rps "$r")" "$(rps "$test-nginx")")
        relcpu=$(ratio "${cpu_us[$test-nginx]}" "${cpu_us[$r]}")
      fi
      echo "| $test, $target | $(rps "$r") | $(pct "$r" 50) | $(pct "$r" 99) | $(non2xx "$r")$( [ "$(sockerr "$r")" != 0 ] && echo " (+$(sockerr "$r") socket errors)") | $rel | ${cpu_us[$r]} | $relcpu |"
    done
  done
  for variant in cached nocache; do
    r=admit-$variant; what="$USERS users, token cache hits"; [ $variant = nocache ] && what="$NOCACHE_USERS users, token cache defeated"
    echo "| heartbeats without progress, oxm, $what | $(rps $r) | $(pct $r 50) | $(pct $r 99) | $(non2xx $r) | $(ratio "$(rps $r)" "$(rps heartbeats-nginx)") | ${cpu_us[$r]} | $(ratio "${cpu_us[heartbeats-nginx]}" "${cpu_us[$r]}") |"
  done
  for ceiling in qhs nofsync; do
    r=ceiling-$ceiling; what="ceiling: bare QHttpServer 6.4, 204, nothing behind it"
    [ $ceiling = nofsync ] && what="ceiling: heartbeats with progress, oxm, fsync a no-op (eatmydata, not durable)"
    echo "| $what | $(rps $r) | $(pct $r 50) | $(pct $r 99) | $(non2xx $r) | $(ratio "$(rps $r)" "$(rps heartbeats-nginx)") | ${cpu_us[$r]} | $(ratio "${cpu_us[heartbeats-nginx]}" "${cpu_us[$r]}") |"
  done
  echo
  echo "| active streams held (/metrics) | heartbeat req/s | p50 ms | p99 ms | server CPU µs / heartbeat | RSS MiB | seeded at (streams/s) |"
  echo "|---|---|---|---|---|---|---|"
  for point in "${scale_points[@]}"; do
    echo "| ${s_active[$point]} | ${s_rps[$point]} | ${s_p50[$point]} | ${s_p99[$point]} | ${s_us[$point]} | $(( ${s_rss[$point]} / 1024 )) | ${s_seed[$point]:--} |"
  done
  echo
  first=${scale_points[0]}
  echo "- cost ratio ${last}/${first} (CPU per heartbeat): $(ratio "${s_us[$last]}" "${s_us[$first]}"); throughput ratio ${first}/${last}: $(ratio "${s_rps[$first]}" "${s_rps[$last]}")"
  if [ "${#paired[@]}" -gt 0 ]; then
    ratios=""; pairs=""
    for pair in "${paired[@]}"; do
      read -r small large <<<"$pair"
      ratios="$ratios $(ratio "$large" "$small")"
      pairs="$pairs $(printf '%.1f/%.1f' "$large" "$small")"
    done
    median=$(printf '%s\n' $ratios | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}')
    echo "- paired cost ratio ${last}/${first} (two servers measured in turn, CPU µs per heartbeat large/small):$pairs → ratios$ratios, **median $median**"
  fi
  if [ "${#scale_points[@]}" -gt 1 ]; then
    mid=${scale_points[1]}
    a_first=${s_active[$first]}; a_mid=${s_active[$mid]}; a_last=${s_active[$last]}
    echo "- resident memory per active stream (VmRSS delta / streams added): $(( (${s_rss[$last]} - ${s_rss[$first]}) * 1024 / (a_last - a_first) )) bytes (${a_first} → ${a_last}); $(( (${s_rss[$last]} - ${s_rss[$mid]}) * 1024 / (a_last - a_mid) )) bytes (${a_mid} → ${a_last})"
  fi
  echo "- oxm-admin under the heartbeat load: worst GUI stall $gui_result (${gui_rps:-?} req/s)"
  echo "- tokens: \`oxm-server token\` $(printf %.1f "$token_cli_ms") ms per token (one process each); $total_users minted by bench/minttokens.cpp in $(printf %.2f "$mint_s") s"
  echo "- watchlist seeding (PUT /towatch, one commit per request): $watch_rate req/s"
  echo "- oxm-server RSS after runs 1-2: $(( main_rss / 1024 )) MiB"
} | tee "$OUT"
