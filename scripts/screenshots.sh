#!/usr/bin/env bash
# Renders every oxm-admin screen to PNGs (docs/screenshots/ unless a directory is given), with
# demo traffic sent over real HTTP to the app's own embedded API: tenants and policies, the demo
# catalog (resources/demo-catalog.json), tokens, heartbeats from several users and devices
# (some refused), watchlists, resume points and a stream ended by the admin. Needs no display
# (Qt's offscreen platform) and never touches your settings or database (temporary ones).
# Builds first if needed; BUILD_DIR picks the build directory (default ./build).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
out="${1:-$root/docs/screenshots}"
if [ ! -x "$build/app/oxm-admin" ]; then
    BUILD_DIR="$build" "$root/scripts/build.sh"
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
export QT_QPA_PLATFORM=offscreen QT_SCALE_FACTOR=1
mkdir -p "$out"
"$build/app/oxm-admin" --screenshots "$out"
