#!/usr/bin/env bash
# Runs HTTP integration suites with every response they receive recorded (OXM_RECORD_RESPONSES,
# tests/testsupport.cpp), then validates each recorded response against docs/openapi.yaml
# (tools/openapi/validate-responses.mjs: documented status, required headers, media type, body
# schema). Exits non-zero if a suite fails or any response does not match, listing mismatches.
#
# BUILD_DIR: the build to test (default build/, built already, e.g. by scripts/build.sh).
# OXM_VALIDATE_SUITES: the CTest names to run (default "api badinput openapi metrics storagefaults").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
suites="${OXM_VALIDATE_SUITES:-api badinput openapi metrics storagefaults}"
source "$root/scripts/openapi-tools.sh"

recording="$(mktemp "${TMPDIR:-/tmp}/oxm-responses.XXXXXX.jsonl")"
trap 'rm -f "$recording"' EXIT
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
export QT_QPA_PLATFORM=offscreen
OXM_RECORD_RESPONSES="$recording" ctest --test-dir "$build" --output-on-failure --timeout 600 \
  -R "^($(echo "$suites" | tr ' ' '|'))\$"
node "$root/tools/openapi/validate-responses.mjs" "$root/docs/openapi.yaml" "$recording"
