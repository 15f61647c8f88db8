#!/usr/bin/env bash
# Builds OXM with sanitizers and runs the tests under them (tests/sanitizers/README.md).
#   scripts/sanitize.sh asan   whole suite (GUI included) under AddressSanitizer + UBSan + LeakSanitizer
#   scripts/sanitize.sh tsan   the multi-threaded suites under ThreadSanitizer
#   scripts/sanitize.sh [all]  both
# Build directories: $ASAN_BUILD_DIR (default ./build-asan), $TSAN_BUILD_DIR (default ./build-tsan).
# Exits non-zero if a build fails, a test fails or a sanitizer reports anything.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
supp="$root/tests/sanitizers"
mode="${1:-all}"
case "$mode" in asan|tsan|all) ;; *) echo "usage: $0 [asan|tsan|all]" >&2; exit 2 ;; esac

# The suites that run threads against each other (HTTP worker threads, the SQLite writer thread,
# the resume-point pool, or threads of their own) and so are worth ThreadSanitizer's time.
tsan_tests=(admissionrace streamregistry sqlitestore durability storagefaults api frontdoor policyservice)

"$root/scripts/setup-debian.sh"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
export QT_QPA_PLATFORM=offscreen
jobs="$(nproc)"

# configure DIR GUI(ON|OFF) SANITIZER-FLAGS
configure() {
    # Debug (-O1 -g instead of -O0): Q_ASSERT and assert() stay on, frames stay readable.
    cmake -S "$root" -B "$1" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DCMAKE_CXX_FLAGS="$3 -fno-omit-frame-pointer" \
        -DCMAKE_EXE_LINKER_FLAGS="$3" -DOXM_BUILD_GUI="$2" -DBUILD_TESTING=ON >/dev/null
}

run_asan() {
    local build="${ASAN_BUILD_DIR:-$root/build-asan}"
    echo "sanitize: ASan+UBSan build in $build"
    configure "$build" ON "-fsanitize=address,undefined -fno-sanitize-recover=undefined"
    cmake --build "$build" -j "$jobs"
    (
        export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:detect_odr_violation=2"
        export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
        export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp"
        ctest --test-dir "$build" --output-on-failure --timeout 900
    )
}

run_tsan() {
    local build="${TSAN_BUILD_DIR:-$root/build-tsan}"
    echo "sanitize: TSan build in $build (${tsan_tests[*]})"
    configure "$build" OFF "-fsanitize=thread"
    # Only the suites that need it, plus oxm-server: durability starts it as a child process.
    cmake --build "$build" -j "$jobs" --target oxm-server "${tsan_tests[@]/#/tst_}"
    (
        # halt_on_error=0: report every race of a run; the process still exits 66 if any was found.
        # die_after_fork=0: QProcess (durability starts oxm-server) forks a threaded process and
        # execs at once, which is safe; TSan would otherwise kill the test at the fork.
        export TSAN_OPTIONS="halt_on_error=0:exitcode=66:die_after_fork=0:second_deadlock_stack=1:history_size=4:suppressions=$supp/tsan.supp"
        local regex
        regex="^($(IFS='|'; echo "${tsan_tests[*]}"))\$"
        ctest --test-dir "$build" --output-on-failure --timeout 900 -R "$regex"
    )
}

case "$mode" in
    asan) run_asan ;;
    tsan) run_tsan ;;
    all) run_asan; run_tsan ;;
esac
