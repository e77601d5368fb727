#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL 15 cluster for tests and benchmarks.
#   scripts/postgres.sh start   -> prints the admin URL on stdout
#   scripts/postgres.sh stop
# The cluster lives in a temporary directory recorded in .herald/pg-dir, runs
# as the `postgres` user (PostgreSQL refuses root), listens on 127.0.0.1 only,
# on HERALD_PG_PORT (default 55432), with fsync off (test data only).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=.herald/pg-dir
PGBIN=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PGBIN="$d"; done
mkdir -p .herald

start() {
  if [ -z "$PGBIN" ]; then
    echo "PostgreSQL server binaries not found; installing postgresql" >&2
    apt-get install -y postgresql >&2 || { apt-get update >&2 && apt-get install -y postgresql >&2; }
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PGBIN="$d"; done
  fi
  if [ -f "$STATE" ] && [ -d "$(cat "$STATE")/data" ] &&
     runuser -u postgres -- "$PGBIN/pg_ctl" -D "$(cat "$STATE")/data" status >/dev/null 2>&1; then
    echo "postgres://postgres@127.0.0.1:$(cat "$(cat "$STATE")/port")/postgres"
    return
  fi
  # The first free port from HERALD_PG_PORT (default 55432) up: another
  # cluster (an earlier run, another checkout) may hold the usual one.
  local PORT="${HERALD_PG_PORT:-55432}"
  while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done
  local dir
  dir=$(mktemp -d /tmp/herald-pg.XXXXXX)
  chown postgres:postgres "$dir"
  runuser -u postgres -- "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w \
    -o "-p $PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
    start >&2 || { cat "$dir/pg.log" >&2; exit 1; }
  echo "$PORT" > "$dir/port"
  echo "$dir" > "$STATE"
  echo "postgres://postgres@127.0.0.1:$PORT/postgres"
}

stop() {
  [ -f "$STATE" ] || return 0
  local dir; dir=$(cat "$STATE")
  if [ -d "$dir/data" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir"
  fi
  rm -f "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
