#!/usr/bin/env bash
# Builds the Debian packages oxm-server and oxm-admin with CPack (docs/packages.md) and prints
# the paths of the .deb files. BUILD_DIR (default ./build-pkg) is (re)configured for the /usr
# prefix; pointing it at an existing build (e.g. ./build from scripts/build.sh) reuses that build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-pkg}"
if [ -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_INSTALL_PREFIX=/usr >/dev/null   # keep that build's other settings
else
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOXM_BUILD_GUI=ON \
    -DBUILD_TESTING=OFF -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
fi
cmake --build "$build" -j "$(nproc)"
rm -f "$build"/*.deb
(cd "$build" && cpack -G DEB >/dev/null)
ls -1 "$build"/*.deb
