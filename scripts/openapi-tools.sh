#!/usr/bin/env bash
# Installs the pinned npm tools of tools/openapi (package-lock.json) with `npm ci`, once per
# lock file; sourced by scripts/openapi-lint.sh and scripts/openapi-validate.sh.
tools="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools/openapi" && pwd)"
if ! cmp -s "$tools/package-lock.json" "$tools/node_modules/.oxm-installed-lock.json" 2>/dev/null; then
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$tools/package-lock.json" "$tools/node_modules/.oxm-installed-lock.json"
fi
