#!/usr/bin/env bash
# Run MLOps Atlas as several Streamlit processes behind nginx, on this machine (see docs/workshop.md).
#
#   scripts/cluster.sh start  [-n PROCESSES] [-p PORT] [-d DIR] [-a APP] [-b BACKEND_BASE_PORT]
#   scripts/cluster.sh status [-d DIR]
#   scripts/cluster.sh stop   [-d DIR]
#
# start: starts PROCESSES app processes on 127.0.0.1:BACKEND_BASE_PORT+1.. with the SAME
#        server.cookieSecret, waits until each answers GET /_stcore/health, renders
#        deploy/nginx/atlas.conf.template into DIR and starts Debian's nginx with its own prefix,
#        pid and logs in DIR (`nginx -p DIR -c DIR/nginx.conf`), listening on 127.0.0.1:PORT.
#        The processes share state only through the database: set ATLAS_DATABASE_URL to a
#        PostgreSQL URL (required for app.py; several hosts cannot share a SQLite file).
# stop:  stops nginx and every process it started (by the pids it recorded in DIR).
#
# Environment: ATLAS_DATABASE_URL (required for app.py), ATLAS_COOKIE_SECRET (generated into
# DIR/cookie_secret when unset), ATLAS_PUBLIC_BASE_URL (the address phones use, e.g. the venue
# name of this machine), ATLAS_RESEARCHER_SECRET, NGINX (default /usr/sbin/nginx),
# PYTHON (default .venv/bin/python). Every wait is bounded; nothing here loops forever.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

CMD="${1:-}"
shift || true
N=2
PORT=8600
DIR="${TMPDIR:-/tmp}/atlas-cluster"
APP="app.py"
BASE=""
while getopts "n:p:d:a:b:" opt; do
  case "$opt" in
    n) N="$OPTARG" ;;
    p) PORT="$OPTARG" ;;
    d) DIR="$OPTARG" ;;
    a) APP="$OPTARG" ;;
    b) BASE="$OPTARG" ;;
    *) echo "unknown option" >&2; exit 2 ;;
  esac
done
BASE="${BASE:-$((PORT + 100))}"
NGINX="${NGINX:-/usr/sbin/nginx}"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
HEALTH_TIMEOUT=90

wait_healthy() {  # url, seconds[, pid that must stay alive]
  local url="$1" deadline=$((SECONDS + $2)) pid="${3:-}"
  while [ $SECONDS -lt $deadline ]; do
    if [ "$(curl -s --max-time 2 "$url" || true)" = "ok" ]; then return 0; fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.3
  done
  return 1
}

start() {
  if [ "$APP" = "app.py" ] && [ -z "${ATLAS_DATABASE_URL:-}" ]; then
    echo "ATLAS_DATABASE_URL is not set: the processes must share a PostgreSQL database" >&2
    exit 2
  fi
  mkdir -p "$DIR/tmp" "$DIR/logs"
  chmod 755 "$DIR"   # when run as root, nginx workers (user nobody) must reach DIR/tmp
  if [ -z "${ATLAS_COOKIE_SECRET:-}" ]; then
    if [ ! -s "$DIR/cookie_secret" ]; then
      (umask 077; "$PYTHON" -c "import secrets; print(secrets.token_urlsafe(32))" > "$DIR/cookie_secret")
    fi
    ATLAS_COOKIE_SECRET=$(cat "$DIR/cookie_secret")
  fi
  local upstreams=""
  for i in $(seq 1 "$N"); do
    local port=$((BASE + i))
    # Same cookie secret everywhere: the XSRF cookie one process signs must verify on the others.
    # (Streamlit refuses the secret as a command-line flag, so it goes through the environment.)
    STREAMLIT_SERVER_COOKIE_SECRET="$ATLAS_COOKIE_SECRET" "$PYTHON" -m streamlit run "$APP" \
      --server.address 127.0.0.1 --server.port "$port" --server.headless true \
      --server.fileWatcherType none --runner.postScriptGC false \
      --browser.gatherUsageStats false --global.developmentMode false \
      > "$DIR/logs/app-$i.log" 2>&1 &
    echo $! > "$DIR/app-$i.pid"
    echo "$port" > "$DIR/app-$i.port"
    upstreams+="        server 127.0.0.1:${port} max_fails=2 fail_timeout=10s;"$'\n'
  done
  for i in $(seq 1 "$N"); do
    local port
    port=$(cat "$DIR/app-$i.port")
    if ! wait_healthy "http://127.0.0.1:${port}/_stcore/health" "$HEALTH_TIMEOUT" "$(cat "$DIR/app-$i.pid")"; then
      echo "process $i (port $port) did not become healthy; log: $DIR/logs/app-$i.log" >&2
      stop
      exit 1
    fi
  done
  "$PYTHON" - "$REPO/deploy/nginx/atlas.conf.template" "$DIR/nginx.conf" "$DIR" "127.0.0.1:$PORT" \
    "$upstreams" <<'PY'
import sys
template, out, prefix, listen, upstreams = sys.argv[1:]
text = open(template, encoding="utf-8").read()
text = (text.replace("@@PREFIX@@", prefix).replace("@@LISTEN@@", listen)
        .replace("@@UPSTREAMS@@", upstreams.rstrip("\n")))
open(out, "w", encoding="utf-8").write(text)
PY
  "$NGINX" -t -q -p "$DIR" -c "$DIR/nginx.conf"
  "$NGINX" -p "$DIR" -c "$DIR/nginx.conf"
  if ! wait_healthy "http://127.0.0.1:${PORT}/_stcore/health" 30; then
    echo "nginx did not proxy /_stcore/health; see $DIR/error.log" >&2
    stop
    exit 1
  fi
  echo "MLOps Atlas: $N processes behind nginx at http://127.0.0.1:${PORT} (state in $DIR)"
}

status() {
  local rc=0
  for pidfile in "$DIR"/app-*.pid; do
    [ -e "$pidfile" ] || continue
    local i port
    i=$(basename "$pidfile" .pid)
    port=$(cat "$DIR/$i.port")
    if [ "$(curl -s --max-time 2 "http://127.0.0.1:${port}/_stcore/health" || true)" = "ok" ]; then
      echo "$i port $port: ok (pid $(cat "$pidfile"))"
    else
      echo "$i port $port: DOWN"; rc=1
    fi
  done
  if [ -s "$DIR/nginx.pid" ] && kill -0 "$(cat "$DIR/nginx.pid")" 2>/dev/null; then
    echo "nginx: running (pid $(cat "$DIR/nginx.pid"))"
  else
    echo "nginx: not running"; rc=1
  fi
  return $rc
}

stop() {
  if [ -s "$DIR/nginx.pid" ] && kill -0 "$(cat "$DIR/nginx.pid")" 2>/dev/null; then
    "$NGINX" -p "$DIR" -c "$DIR/nginx.conf" -s quit || true
    for _ in $(seq 1 50); do
      [ -s "$DIR/nginx.pid" ] && kill -0 "$(cat "$DIR/nginx.pid")" 2>/dev/null || break
      sleep 0.1
    done
  fi
  for pidfile in "$DIR"/app-*.pid; do
    [ -e "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

case "$CMD" in
  start) start ;;
  status) status ;;
  stop) stop ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
