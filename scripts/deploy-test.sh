#!/usr/bin/env bash
# The deployment of docs/deploy.md, tested: two oxm-server instances over one PostgreSQL and one
# Redis, behind nginx running packaging/nginx/oxm.conf (only its ports rewritten). Checks through
# nginx that limits hold across the instances, that both instances serve, that a resume point
# written through one is read through the other, and that the device of a heartbeat without one
# is the client's address from X-Forwarded-For (the instances trust nginx, contract §5).
#
# Needs OXM_TEST_POSTGRES_URL and OXM_TEST_REDIS_URL (run it under scripts/with-backends.sh) and
# nginx (scripts/setup-debian.sh installs it). BUILD_DIR: the build to test (default build/).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
server="$build/app/oxm-server"
[[ -x "$server" ]] || { echo "deploy-test: no server at $server (build first)" >&2; exit 1; }
: "${OXM_TEST_POSTGRES_URL:?deploy-test: run under scripts/with-backends.sh (no PostgreSQL)}"
: "${OXM_TEST_REDIS_URL:?deploy-test: run under scripts/with-backends.sh (no Redis)}"

work="$(mktemp -d "${TMPDIR:-/tmp}/oxm-deploy.XXXXXX")"
pids=()
cleanup() {
  local status=$?
  for p in "${pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then kill -TERM "$p" 2>/dev/null || true; fi
  done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ $status -ne 0 ]]; then
    for log in "$work"/*.log; do echo "--- $log" >&2; tail -n 30 "$log" >&2 || true; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/jwt-secret"
chmod 600 "$work/jwt-secret"
common=(--database "$OXM_TEST_POSTGRES_URL" --redis "$OXM_TEST_REDIS_URL" --jwt-secret-file "$work/jwt-secret")

port1="$(free_port)"; port2="$(free_port)"; nginx_port="$(free_port)"
start_instance() { # name port
  "$server" "${common[@]}" --listen "127.0.0.1:$2" --trusted-proxy 127.0.0.1 >"$work/$1.log" 2>&1 &
  pids+=($!)
}
start_instance instance1 "$port1"
start_instance instance2 "$port2"

# packaging/nginx/oxm.conf as shipped, with the ports of this run.
sed -e "s/127\.0\.0\.1:8081/127.0.0.1:$port1/" -e "s/127\.0\.0\.1:8082/127.0.0.1:$port2/" \
    -e "s/listen 80;/listen 127.0.0.1:$nginx_port;/" "$root/packaging/nginx/oxm.conf" >"$work/oxm.conf"
grep -q "127.0.0.1:$port1" "$work/oxm.conf" && grep -q "127.0.0.1:$port2" "$work/oxm.conf" \
  && grep -q "listen 127.0.0.1:$nginx_port;" "$work/oxm.conf" \
  || { echo "deploy-test: packaging/nginx/oxm.conf no longer has the ports this test rewrites" >&2; exit 1; }
mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 256; }
http {
    access_log $work/nginx-access.log;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    include $work/oxm.conf;
}
EOF
nginx -t -q -c "$work/nginx.conf" -p "$work/nginx" 2>"$work/nginx-check.log" \
  || { cat "$work/nginx-check.log" >&2; exit 1; }
nginx -c "$work/nginx.conf" -p "$work/nginx" >"$work/nginx.log" 2>&1 &
pids+=($!)

for port in "$port1" "$port2" "$nginx_port"; do
  for _ in $(seq 150); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
    sleep 0.1
  done
  curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" || { echo "deploy-test: nothing answers on $port" >&2; exit 1; }
done

tenant="deploy-$RANDOM$RANDOM"
token() { "$server" "${common[@]}" token --tenant "$tenant" "$@"; }
export DEPLOY_ADMIN_TOKEN="$(token --user deploy-admin --role admin)"
export DEPLOY_USER_TOKEN="$(token --user viewer-1)"
export DEPLOY_USER2_TOKEN="$(token --user viewer-2)"
export DEPLOY_NGINX="http://127.0.0.1:$nginx_port" DEPLOY_I1="http://127.0.0.1:$port1" DEPLOY_I2="http://127.0.0.1:$port2"
export DEPLOY_TENANT="$tenant"

python3 - <<'EOF'
import json, os, sys, urllib.request, urllib.error

nginx, i1, i2 = os.environ["DEPLOY_NGINX"], os.environ["DEPLOY_I1"], os.environ["DEPLOY_I2"]
admin, user, tenant = os.environ["DEPLOY_ADMIN_TOKEN"], os.environ["DEPLOY_USER_TOKEN"], os.environ["DEPLOY_TENANT"]
failures = []

def call(base, method, path, token=None, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + "/oxm/v1" + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw else None)

def expect(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r}, want {want!r}")

def heartbeats_served(base):
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("oxm_heartbeats_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return total

before = (heartbeats_served(i1), heartbeats_served(i2))

# /metrics is not served through nginx (per instance, tenant IDs in labels).
for path in ("/metrics", "/oxm/v1/metrics"):
    try:
        with urllib.request.urlopen(nginx + path, timeout=10) as r:
            failures.append(f"{path} through nginx answered {r.status}, want 404")
    except urllib.error.HTTPError as e:
        expect(f"{path} through nginx", e.code, 404)

# A limit of 2 streams per user, set through nginx (contract §4).
status, body = call(nginx, "PUT", f"/streampolicy/{tenant}", admin, {"maxPerUser": 2, "maxPerAsset": 0, "maxDevices": 0})
expect("policy PUT", status, 200)

# Six distinct first heartbeats through nginx (round robin over both instances): 2 admitted.
admitted = refused = 0
for n in range(6):
    status, body = call(nginx, "PUT", f"/streams/asset-{n}/streaming?device=tv-{n}&progress=10", user)
    if status == 204:
        admitted += 1
    elif status == 409 and body and body.get("errorCode") == 1050:
        refused += 1
    else:
        failures.append(f"heartbeat {n}: unexpected {status} {body}")
expect("admitted across the instances (maxPerUser 2)", admitted, 2)
expect("refused 409/1050", refused, 4)

after = (heartbeats_served(i1), heartbeats_served(i2))
if not (after[0] > before[0] and after[1] > before[1]):
    failures.append(f"nginx did not spread heartbeats over both instances: {before} -> {after}")

# Both instances see the same active streams.
for name, base in (("instance 1", i1), ("instance 2", i2)):
    status, body = call(base, "GET", "/streams/counts?include=device", user)
    expect(f"counts via {name}", (status, body), (200, {"asset-0": {"tv-0": 1}, "asset-1": {"tv-1": 1}}))

# A resume point written through instance 1 is read through instance 2 (asset-0 or asset-1 were admitted,
# their progress 10 recorded; write a new one explicitly through one instance).
status, _ = call(i1, "PUT", "/streams/asset-0/streaming?device=tv-0&progress=1234", user)
expect("progress through instance 1", status, 204)
status, body = call(i2, "GET", "/streams/asset-0", user)
expect("resume point read through instance 2: status", status, 200)
if status == 200:
    expect("resume point read through instance 2: progress", body.get("progress"), 1234)

# Stopping through instance 2 frees a slot for instance 1.
status, _ = call(i2, "PUT", "/streams/asset-0/stopped?device=tv-0", user)
expect("stop through instance 2", status, 204)
status, _ = call(i1, "PUT", "/streams/asset-5/streaming?device=tv-5", user)
expect("admission after the stop, through instance 1", status, 204)

# No device parameter and no device claim: the device is the client's address, taken from
# X-Forwarded-For because nginx (127.0.0.1) is a trusted proxy of both instances (contract §5).
# A second viewer fills its limit of 2 and reads its streams' devices from the refusal.
user2 = os.environ["DEPLOY_USER2_TOKEN"]
status, _ = call(nginx, "PUT", "/streams/asset-a/streaming", user2, headers={"X-Forwarded-For": "203.0.113.7"})
expect("heartbeat without device through nginx", status, 204)
status, _ = call(nginx, "PUT", "/streams/asset-b/streaming?device=phone", user2)
expect("second heartbeat of viewer 2", status, 204)
status, body = call(nginx, "PUT", "/streams/asset-c/streaming?device=tablet", user2)
expect("third heartbeat of viewer 2 (maxPerUser 2)", status, 409)
if status == 409 and body:
    devices = sorted(s.get("device") for s in body.get("streams", []))
    expect("devices of viewer 2's active streams", devices, ["203.0.113.7", "phone"])

if failures:
    print("deploy-test: FAILED", *failures, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print("deploy-test: 2 instances behind nginx: limits across instances, shared resume points, stop/admit across instances: ok")
EOF
