#!/usr/bin/env bash
# Installs the Debian 12 packages OXM needs to build, run and test (skips what is installed).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config curl
  qt6-base-dev qt6-httpserver-dev qt6-websockets-dev qt6-charts-dev libqt6opengl6-dev
  libqt6sql6-sqlite libqt6sql6-psql postgresql-15 libgl-dev libcpp-jwt-dev nlohmann-json3-dev libssl-dev libhttp-parser-dev
  redis-server libhiredis-dev nginx-light
  xvfb xauth fonts-dejavu-core
  openssl util-linux python3 python3-yaml prometheus
  dpkg-dev desktop-file-utils appstream systemd
  clang-14 libclang-rt-14-dev llvm-14
)

# Node.js >= 20.19 with npm (the OpenAPI lint and response validation, tools/openapi): Debian 12's
# own nodejs is 18, too old for Redocly 2; the machines OXM builds on have Node 20.
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>=22||(a===20&&b>=19)?0:1)' 2>/dev/null \
  || { echo "setup: Node.js >= 20.19 (or 22.12) with npm is needed for tools/openapi (e.g. NodeSource nodejs 20/22)" >&2; exit 1; }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
