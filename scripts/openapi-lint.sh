#!/usr/bin/env bash
# Lints docs/openapi.yaml with Redocly CLI (pinned in tools/openapi/package-lock.json) under
# tools/openapi/redocly.yaml: every rule problem is an error. Exits non-zero on any problem.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/openapi-tools.sh"
cd "$root/tools/openapi"
# The ignore file beside redocly.yaml names docs/openapi.yaml relative to this directory.
NO_UPDATE_NOTIFIER=1 REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  node_modules/.bin/redocly lint ../../docs/openapi.yaml --config redocly.yaml --format stylish
