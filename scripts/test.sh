#!/usr/bin/env bash
# Sets up, builds and runs every test suite (CTest). Exits non-zero if any test fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup-debian.sh"
"$root/scripts/build.sh"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
export QT_QPA_PLATFORM=offscreen
ctest --test-dir "${BUILD_DIR:-$root/build}" --output-on-failure --timeout 600
# The second backend combination (issue 5): a throwaway PostgreSQL 15 and Redis 7 on free loopback
# ports; the integration suite (unchanged), the store and stream-state suites, two instances
# racing over them, then the deployment of docs/deploy.md (nginx in front of two instances).
"$root/scripts/with-backends.sh" ctest --test-dir "${BUILD_DIR:-$root/build}" --output-on-failure --timeout 600 \
  -R '^(api|sqlitestore|postgres|serveroptions|policyservice|streamregistry|admissionrace|cluster|redisactivestreams)$'
BUILD_DIR="${BUILD_DIR:-$root/build}" "$root/scripts/with-backends.sh" "$root/scripts/deploy-test.sh"
# The OpenAPI document lints clean and every response the HTTP suites receive validates against it.
"$root/scripts/openapi-lint.sh"
BUILD_DIR="${BUILD_DIR:-$root/build}" "$root/scripts/openapi-validate.sh"
# The Postman collection (the seed's requests) passes under newman against a fresh server.
BUILD_DIR="${BUILD_DIR:-$root/build}" "$root/scripts/postman-test.sh"
# The .deb packages of that build install, and the installed oxm-server serves once (needs root).
BUILD_DIR="${BUILD_DIR:-$root/build}" "$root/scripts/package-test.sh"
# The whole suite under ASan+UBSan (GUI included), the libFuzzer targets briefly, the race suites
# under TSan (tests/sanitizers/README.md).
"$root/scripts/ci-sanitizers.sh" "$root"
