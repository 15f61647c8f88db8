#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang-14, ASan + UBSan) and runs each one over its
# seed corpus (tests/fuzz/README.md).
#
#   scripts/fuzz.sh [SECONDS]          CI: each target for SECONDS (default 60); exits 1 on the
#                                      first crash, leak, timeout or failed check.
#   scripts/fuzz.sh --long [SECONDS] [RUNS]
#                                      long run: both targets at once, each until RUNS executions
#                                      (default 10000000) or SECONDS (default 7200); a crash is
#                                      recorded and the target restarted; exits 1 if any crashed.
#
# $FUZZ_TARGETS picks targets (default "fuzz_request fuzz_token"). FUZZ_SKIP_BUILD=1 runs the
# targets already built in $FUZZ_BUILD_DIR (e.g. build-san/asan of scripts/ci-sanitizers.sh).
# Build directory: $FUZZ_BUILD_DIR (default ./build-fuzz). New corpus entries go to
# $FUZZ_BUILD_DIR/fuzz-work/<target> (the seed corpus in the repository is only read), logs to
# $FUZZ_BUILD_DIR/fuzz-logs, crashing inputs to $FUZZ_BUILD_DIR/fuzz-artifacts/<target>.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
read -r -a targets <<<"${FUZZ_TARGETS:-fuzz_request fuzz_token}"

long=0
if [ "${1:-}" = "--long" ]; then
    long=1
    shift
    seconds="${1:-7200}"
    runs="${2:-10000000}"
else
    seconds="${1:-60}"
    runs=-1
fi
case "$seconds$runs" in *[!0-9-]*) echo "usage: $0 [SECONDS] | --long [SECONDS] [RUNS]" >&2; exit 2 ;; esac

if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
    "$root/scripts/setup-debian.sh"
    if ! command -v clang++-14 >/dev/null; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        echo "fuzz: installing clang-14"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang-14 >/dev/null
    fi

    CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja -DOXM_BUILD_FUZZ=ON -DOXM_BUILD_GUI=OFF \
        -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
fi

# Smaller ASan quarantine and allocation stacks: ~1.5x the executions per second; a crash found
# this way is replayed with the defaults by running the target on the artifact.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16:malloc_context_size=5}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
mkdir -p "$build/fuzz-logs"

# run TARGET SECONDS RUNS KEEP_GOING: prints "<target> <executions> <crashes>" at the end.
run() {
    local target="$1" budget="$2" maxruns="$3" keep="$4"
    local work="$build/fuzz-work/$target" artifacts="$build/fuzz-artifacts/$target"
    mkdir -p "$work" "$artifacts"
    local deadline=$(( $(date +%s) + budget )) executed=0 crashes=0 round=0 rc
    while :; do
        local left=$(( deadline - $(date +%s) ))
        [ "$left" -gt 0 ] || break
        local left_runs=-1
        if [ "$maxruns" -ge 0 ]; then
            left_runs=$(( maxruns - executed ))
            [ "$left_runs" -gt 0 ] || break
        fi
        round=$((round + 1))
        local log="$build/fuzz-logs/$target.$round.log"
        set +e
        "$build/tests/fuzz/$target" -max_total_time="$left" -runs="$left_runs" -timeout=20 \
            -dict="$root/tests/fuzz/$target.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
            "$work" "$root/tests/fuzz/corpus/$target" >"$log" 2>&1
        rc=$?
        set -e
        local n
        n=$(grep -a 'stat::number_of_executed_units' "$log" | tail -n 1 | awk '{print $2}' || true)
        executed=$(( executed + ${n:-0} ))
        if [ "$rc" -ne 0 ]; then
            crashes=$((crashes + 1))
            echo "fuzz: $target failed (exit $rc), log $log:" >&2
            grep -a -E 'OXM fuzz check failed|ERROR: |runtime error|SUMMARY|Test unit written' "$log" >&2 || tail -n 30 "$log" >&2
            [ "$keep" -eq 1 ] || break
        fi
    done
    echo "$target $executed $crashes"
}

status=0
if [ "$long" -eq 0 ]; then
    for t in "${targets[@]}"; do
        read -r name executed crashes < <(run "$t" "$seconds" "$runs" 0)
        echo "fuzz: $name: $executed executions, $crashes crashes"
        [ "$crashes" -eq 0 ] || status=1
    done
else
    for t in "${targets[@]}"; do
        run "$t" "$seconds" "$runs" 1 >"$build/fuzz-logs/$t.summary" &
    done
    wait
    for t in "${targets[@]}"; do
        read -r name executed crashes <"$build/fuzz-logs/$t.summary"
        echo "fuzz: $name: $executed executions, $crashes crashes (artifacts in $build/fuzz-artifacts/$name)"
        [ "$crashes" -eq 0 ] || status=1
    done
fi
exit "$status"
