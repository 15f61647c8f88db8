#!/usr/bin/env bash
# Sets up, builds and runs the main job: oxm-admin, the desktop app with the embedded API on
# SQLite (http://127.0.0.1:8080/oxm/v1 by default). Without a display it runs headless.
# Extra arguments go to oxm-admin (e.g. --listen 127.0.0.1:9090 --database sqlite:/tmp/oxm.sqlite).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup-debian.sh"
"$root/scripts/build.sh"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
exec "${BUILD_DIR:-$root/build}/app/oxm-admin" "$@"
