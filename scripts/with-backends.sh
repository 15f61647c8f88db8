#!/usr/bin/env bash
# Runs CMD with throwaway backends for the scale-out tests (issue 5):
#   scripts/with-backends.sh ctest --test-dir build -R 'api|sqlitestore|postgres'
# starts PostgreSQL 15 (scripts/pg-test-server.sh: initdb in a temp dir, 127.0.0.1, a free port;
# as root the server runs as "nobody") and, when redis-server is installed, Redis 7
# (127.0.0.1, a free port, no persistence); exports OXM_TEST_POSTGRES_URL and OXM_TEST_REDIS_URL;
# runs CMD; stops both by PID, also when CMD fails or the script is interrupted; exits with CMD's
# status. OXM_WITH_BACKENDS_KEEP=1 keeps the temp dir (logs) for a post-mortem.
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: scripts/with-backends.sh CMD [ARGS...]" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxm-backends.XXXXXX")
chmod 755 "$tmp"
redis_pid=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [ -n "$redis_pid" ] && { kill -TERM "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; }
  "$here/pg-test-server.sh" stop "$tmp/pg" || true
  if [ "${OXM_WITH_BACKENDS_KEEP:-0}" = 1 ]; then
    echo "with-backends: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

OXM_TEST_POSTGRES_URL=$("$here/pg-test-server.sh" start "$tmp/pg")
export OXM_TEST_POSTGRES_URL
echo "with-backends: PostgreSQL $("${OXM_PG_BIN:-/usr/lib/postgresql/15/bin}/postgres" --version | awk '{print $3}') on 127.0.0.1:$(cat "$tmp/pg/port")" >&2

if command -v redis-server >/dev/null; then
  redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  mkdir -p "$tmp/redis"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp/redis" \
    --logfile "$tmp/redis/redis.log" &
  redis_pid=$!
  for _ in $(seq 1 100); do
    if command -v redis-cli >/dev/null; then
      redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && break
    else
      (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break
    fi
    kill -0 "$redis_pid" 2>/dev/null || { cat "$tmp/redis/redis.log" >&2; echo "with-backends: redis-server exited" >&2; exit 1; }
    sleep 0.1
  done
  export OXM_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
  echo "with-backends: Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$redis_port" >&2
else
  echo "with-backends: redis-server not installed; OXM_TEST_REDIS_URL not set" >&2
fi

set +e
"$@"
status=$?
set -e
exit "$status"
