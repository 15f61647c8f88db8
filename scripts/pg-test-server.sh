#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests (issue 5): 127.0.0.1 only, a free port, everything in DIR.
#   pg-test-server.sh start DIR     initdb (first time) + start; prints the server URL
#                                   (postgresql://oxm:<%-encoded password>@127.0.0.1:PORT/postgres)
#   pg-test-server.sh restart DIR   pg_ctl restart -m fast (clients' connections are cut)
#   pg-test-server.sh stop DIR      fast shutdown (then immediate), by the postmaster's PID
#   pg-test-server.sh url DIR       prints the URL again
# As root (CI), initdb and postgres run as the unprivileged user "nobody" (setpriv), which owns DIR
# (DIR's parent must be searchable by nobody).
# PostgreSQL binaries: $OXM_PG_BIN, else /usr/lib/postgresql/15/bin (Debian 12 package postgresql-15).
set -euo pipefail

cmd=${1:?usage: pg-test-server.sh start|restart|stop|url DIR}
dir=${2:?usage: pg-test-server.sh start|restart|stop|url DIR}
bin=${OXM_PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$bin/postgres" ] || { echo "pg-test-server: no PostgreSQL binaries in $bin (apt-get install postgresql-15, or set OXM_PG_BIN)" >&2; exit 2; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

url() {
  local password port
  password=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read().strip(), safe=""))' "$dir/password")
  port=$(cat "$dir/port")
  echo "postgresql://oxm:${password}@127.0.0.1:${port}/postgres"
}

pg_ctl_() {
  # -w: wait until the server accepts connections (or has stopped); -t: at most 60 s.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 "$@" >/dev/null
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      mkdir -p "$dir/socket"
      # A password with characters that must be %-encoded in the URL.
      printf 'oxm p@ss:w/rd%%%s\n' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$dir/password"
      free_port > "$dir/port"
      [ "$(id -u)" -eq 0 ] && chown -R nobody:nogroup "$dir"
      chmod 700 "$dir"
      as_owner "$bin/initdb" -D "$dir/data" -U oxm --pwfile="$dir/password" --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
      cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $(cat "$dir/port")
unix_socket_directories = '$dir/socket'
max_connections = 300
# throwaway test data: no fsync
fsync = off
full_page_writes = off
CONF
    fi
    pg_ctl_ start || { cat "$dir/postgres.log" >&2; exit 1; }
    url
    ;;
  restart)
    pg_ctl_ restart -m fast || { tail -20 "$dir/postgres.log" >&2; exit 1; }
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      pid=$(head -1 "$dir/data/postmaster.pid")
      kill -INT "$pid" 2>/dev/null || true # fast shutdown
      for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
      kill -QUIT "$pid" 2>/dev/null || true # immediate shutdown
      sleep 1
      kill -KILL "$pid" 2>/dev/null || true
    fi
    ;;
  url)
    url
    ;;
  *)
    echo "pg-test-server: unknown command $cmd" >&2; exit 2 ;;
esac
