#!/usr/bin/env bash
# Starts a throw-away PostgreSQL on loopback for the store's tests and
# prints its DSN. Installs Debian's postgresql when it is missing. Any
# failure exits non-zero: CI must not skip the PostgreSQL tests silently.
set -euo pipefail
if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
dir=$(mktemp -d /tmp/scimgw-pg.XXXXXX)
run() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
  run() { su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; }
fi
run "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# A port below Linux's ephemeral range (32768–60999), so that no outgoing
# connection holds it; another listener may, so try a few.
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 12000))
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && continue # taken
  if run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null; then
    echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    exit 0
  fi
done
cat "$dir/server.log" >&2
exit 1
