#!/bin/sh
# Runs postgres from Debian's package on $PGPORT with its data in $PGDATA (created on first start).
# postgres refuses to run as root: as root, the data folder belongs to `postgres` and runuser
# switches to it. `exec` keeps postgres the process stack started, so stop signals reach it.
set -eu
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "pg.sh: postgres not found (apt-get install postgresql)" >&2; exit 127; }
mkdir -p "$PGDATA"
data=$(cd "$PGDATA" && pwd)
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$data" && chmod 0700 "$data"
if [ ! -s "$data/PG_VERSION" ]; then
  as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
fi
exec_owner() { if [ "$(id -u)" = 0 ]; then exec runuser -u postgres -- "$@"; else exec "$@"; fi; }
exec_owner "$bin/postgres" -D "$data" -p "$PGPORT" -c listen_addresses=127.0.0.1 -k "$data"
