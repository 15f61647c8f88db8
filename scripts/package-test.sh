#!/usr/bin/env bash
# Builds the .deb packages (scripts/package.sh), installs oxm-server with dpkg -i, checks what it
# put where, starts the INSTALLED /usr/bin/oxm-server once as user oxm (health check, a token from
# the installed `oxm-server token`, one heartbeat, SIGTERM → exit 0), installs oxm-admin and runs
# `oxm-admin --help`, then purges both. Needs root; changes this machine's package set
# while it runs. Does not start systemd: the unit is checked with systemd-analyze only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-pkg}"
[ "$(id -u)" -eq 0 ] || { echo "package-test: run as root (sudo $0): it installs packages" >&2; exit 1; }
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
step() { echo "package-test: $*"; }

debs="$(BUILD_DIR="$build" "$root/scripts/package.sh" | grep '\.deb$')"
server_deb="$(grep '/oxm-server_[^/]*\.deb$' <<<"$debs")" || fail "no oxm-server .deb built"
admin_deb="$(grep '/oxm-admin_[^/]*\.deb$' <<<"$debs")" || fail "no oxm-admin .deb built"
step "built $server_deb and $admin_deb"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" || true; fi
  [ -n "${KEEP_INSTALLED:-}" ] || dpkg --purge oxm-admin oxm-server >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# Start from a machine without the packages (a previous run kept them with KEEP_INSTALLED=1).
dpkg --purge oxm-admin oxm-server >/dev/null 2>&1 || true

# --- the package metadata --------------------------------------------------------------------
fields="$(dpkg-deb -f "$server_deb" Package Version Section Maintainer Depends)"
grep -q '^Depends:.*libqt6core6' <<<"$fields" || fail "oxm-server Depends lacks the Qt runtime (dpkg-shlibdeps): $fields"
grep -q '^Depends:.*libqt6sql6-sqlite' <<<"$fields" || fail "oxm-server Depends lacks the SQLite driver"
[ "$(dpkg-deb --ctrl-tarfile "$server_deb" | tar -xO ./conffiles)" = "/etc/oxm/oxm.conf" ] \
  || fail "oxm-server conffiles is not /etc/oxm/oxm.conf"

# --- install oxm-server ------------------------------------------------------------------------
step "dpkg -i $(basename "$server_deb")"
if ! dpkg -i "$server_deb" >"$work/dpkg.log" 2>&1; then
  step "dpkg -i left dependencies open; apt-get -f install"
  env DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq >>"$work/dpkg.log" 2>&1 \
    || { cat "$work/dpkg.log" >&2; fail "oxm-server did not install"; }
fi
installed oxm-server || { cat "$work/dpkg.log" >&2; fail "oxm-server is not installed"; }

[ -x /usr/bin/oxm-server ] || fail "/usr/bin/oxm-server missing"
[ -f /lib/systemd/system/oxm-server.service ] || fail "unit missing"
[ -f /etc/oxm/oxm.conf ] || fail "/etc/oxm/oxm.conf missing"
dpkg-query -W -f='${Conffiles}' oxm-server | grep -q '/etc/oxm/oxm.conf' || fail "oxm.conf is not a registered conffile"
getent passwd oxm >/dev/null || fail "user oxm missing"
getent group oxm >/dev/null || fail "group oxm missing"
[ "$(getent passwd oxm | cut -d: -f6)" = /var/lib/oxm ] || fail "oxm's home is not /var/lib/oxm"
[ "$(stat -c '%a %U %G' /etc/oxm/jwt-secret)" = "640 root oxm" ] \
  || fail "/etc/oxm/jwt-secret is $(stat -c '%a %U %G' /etc/oxm/jwt-secret), want 640 root oxm"
[ "$(wc -c </etc/oxm/jwt-secret)" -eq 65 ] || fail "the secret is not 32 bytes as hex plus a newline"
[ "$(stat -c '%a %U %G' /var/lib/oxm)" = "750 oxm oxm" ] || fail "/var/lib/oxm is $(stat -c '%a %U %G' /var/lib/oxm)"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /lib/systemd/system/oxm-server.service || fail "systemd-analyze verify"
fi
step "files, user, conffile and secret in place"

# --- run the installed server once, as oxm ----------------------------------------------------
chown oxm:oxm "$work"
chmod 0755 "$work"
db="$work/oxm.sqlite"
as_oxm=(setpriv --reuid=oxm --regid=oxm --init-groups --inh-caps=-all env -i PATH=/usr/bin:/bin HOME=/var/lib/oxm)
out="$("${as_oxm[@]}" /usr/bin/oxm-server tenant add acme --database "sqlite:$db" --jwt-secret-file /etc/oxm/jwt-secret)"
[ "$out" = "registered tenant acme" ] || fail "oxm-server tenant add: $out"
# setpriv and env exec, so $! is the server's own PID. Port 0: the kernel picks a free port, the server prints it. The rest comes from /etc/oxm/oxm.conf.
"${as_oxm[@]}" /usr/bin/oxm-server --listen 127.0.0.1:0 --database "sqlite:$db" --jwt-secret-file /etc/oxm/jwt-secret \
  >"$work/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do
  port="$(sed -n 's|^oxm-server listening on http://127\.0\.0\.1:\([0-9]*\)/oxm/v1.*|\1|p' "$work/server.log")"
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "the server exited at start"; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/server.log" >&2; fail "the server did not report its port"; }
[ "$(readlink "/proc/$server_pid/exe")" = /usr/bin/oxm-server ] || fail "PID $server_pid is not /usr/bin/oxm-server"
[ "$(stat -c %U "/proc/$server_pid")" = oxm ] || fail "the server does not run as oxm"
base="http://127.0.0.1:$port"
step "installed oxm-server (PID $server_pid, user oxm) on $base"

health="$(curl -sS -w '\n%{http_code}' "$base/healthz")"
[ "$(tail -n1 <<<"$health")" = 200 ] || fail "GET /healthz: $health"
python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1]) == {"status": "ok"} else 1)' "$(head -n1 <<<"$health")" \
  || fail "GET /healthz body: $(head -n1 <<<"$health")"

token="$("${as_oxm[@]}" /usr/bin/oxm-server token --tenant acme --user alice --device tv1 --jwt-secret-file /etc/oxm/jwt-secret)"
[ -n "$token" ] || fail "oxm-server token printed nothing"
code="$(curl -sS -o "$work/hb.out" -w '%{http_code}' -X PUT -H "Authorization: Bearer $token" \
  "$base/oxm/v1/streams/movie-1/streaming?progress=42")"
[ "$code" = 204 ] || fail "heartbeat: $code $(cat "$work/hb.out")"
resume="$(curl -sS -H "Authorization: Bearer $token" "$base/oxm/v1/streams/movie-1")"
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if (r["tenantId"],r["userId"],r["assetId"],r["progress"])==("acme","alice","movie-1",42) else 1)' \
  "$resume" || fail "resume point after the heartbeat: $resume"
step "healthz 200, heartbeat 204, resume point 42"

kill -TERM "$server_pid"
rc=0; wait "$server_pid" || rc=$?
server_pid=""
[ "$rc" -eq 0 ] || { cat "$work/server.log" >&2; fail "oxm-server exited $rc after SIGTERM"; }
[ -s "$db" ] || fail "no database at $db"
step "SIGTERM → exit 0"

# --- oxm-admin -------------------------------------------------------------------------------
step "dpkg -i $(basename "$admin_deb")"
if ! dpkg -i "$admin_deb" >"$work/dpkg-admin.log" 2>&1; then
  env DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq >>"$work/dpkg-admin.log" 2>&1 \
    || { cat "$work/dpkg-admin.log" >&2; fail "oxm-admin did not install"; }
fi
installed oxm-admin || { cat "$work/dpkg-admin.log" >&2; fail "oxm-admin is not installed"; }
for f in /usr/bin/oxm-admin /usr/share/applications/oxm-admin.desktop /usr/share/metainfo/org.oxm.admin.metainfo.xml \
         /usr/share/icons/hicolor/scalable/apps/oxm-admin.svg /usr/share/icons/hicolor/256x256/apps/oxm-admin.png; do
  [ -f "$f" ] || fail "$f missing"
done
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate /usr/share/applications/oxm-admin.desktop || fail "desktop-file-validate"
fi
if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net /usr/share/metainfo/org.oxm.admin.metainfo.xml >/dev/null || fail "appstreamcli validate"
fi
export XDG_RUNTIME_DIR="$work/runtime"; mkdir -m 700 "$XDG_RUNTIME_DIR"
QT_QPA_PLATFORM=offscreen /usr/bin/oxm-admin --help >"$work/admin-help.txt" 2>&1 \
  || { cat "$work/admin-help.txt" >&2; fail "oxm-admin --help"; }
grep -q '^Usage: .*oxm-admin' "$work/admin-help.txt" || fail "oxm-admin --help printed no usage"
step "oxm-admin installed, desktop entry and metainfo valid, --help runs"

# --- removal ----------------------------------------------------------------------------------
if [ -z "${KEEP_INSTALLED:-}" ]; then
  dpkg --purge oxm-admin oxm-server >/dev/null
  [ ! -e /usr/bin/oxm-server ] && [ ! -e /etc/oxm ] && [ ! -e /lib/systemd/system/oxm-server.service ] \
    || fail "purge left files behind"
  step "purged"
fi
step "OK"
