#!/usr/bin/env bash
# kill -9 under load, longer than the CTest run: client threads send heartbeats with increasing
# progress while oxm-server is SIGKILLed at random moments KILLS times and restarted on the same
# database. Prints acknowledged-and-lost (must be 0) and the restart time (process start ->
# GET /healthz 200). Runs tests/tst_killunderload (issue 4) with OXM_KILL_ROUNDS=KILLS.
# Knobs: KILLS (default 20), CLIENTS (client threads, default 4), SEED, BUILD_DIR.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
test_bin="$build/tests/tst_killunderload"
[ -x "$test_bin" ] || { echo "build first: $test_bin is missing"; exit 1; }
export OXM_SERVER_BINARY="$build/app/oxm-server" QT_QPA_PLATFORM=offscreen
export OXM_KILL_ROUNDS="${KILLS:-20}" OXM_KILL_CLIENTS="${CLIENTS:-4}"
[ -n "${SEED:-}" ] && export OXM_KILL_SEED="$SEED"
status=0
"$test_bin" -maxwarnings 0 2>&1 | sed -n -e 's/^QINFO  : KillUnderLoadTest::[A-Za-z]*() //p' -e '/^FAIL/,/Loc:/p' -e '/^Totals/p' || status=$?
exit "$status"
