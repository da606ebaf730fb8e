#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Starts or stops a throw-away PostgreSQL cluster on loopback for the market
# tests. PostgreSQL refuses to run as root, so as root the cluster belongs to
# the `postgres` system user (runuser). Usage:
#   pg.sh start STATE_DIR   -> writes STATE_DIR/dsn (postgres://…) and STATE_DIR/cluster (data path)
#   pg.sh stop STATE_DIR
set -euo pipefail
cmd=${1:?start|stop}; state=${2:?state dir}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$PGBIN/initdb" ]] || { echo "pg.sh: PostgreSQL server binaries not found; install the postgresql package (installer/setup.sh deps)" >&2; exit 1; }
RUN=()
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || { echo "pg.sh: running as root but there is no 'postgres' user; install the postgresql package" >&2; exit 1; }
  RUN=(runuser -u postgres --)
fi
case "$cmd" in
  start)
    mkdir -p "$state"
    if [[ -f "$state/cluster" ]]; then "$0" stop "$state" || true; fi
    cluster=$(mktemp -d /tmp/atelier-market-pg.XXXXXX)
    chmod 755 "$cluster"
    [[ ${#RUN[@]} -gt 0 ]] && chown postgres "$cluster"
    "${RUN[@]}" "$PGBIN/initdb" -D "$cluster/data" -U atelier --auth=trust -E UTF8 --no-sync >"$cluster/initdb.log" 2>&1 \
      || { cat "$cluster/initdb.log" >&2; exit 1; }
    for _ in $(seq 1 20); do
      port=$(shuf -i 20000-60000 -n 1)
      (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && continue
      if "${RUN[@]}" "$PGBIN/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 30 \
           -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster -c max_connections=200" start >/dev/null; then
        echo "$cluster" > "$state/cluster"
        echo "postgres://atelier@127.0.0.1:$port/postgres" > "$state/dsn"
        echo "pg.sh: PostgreSQL running on 127.0.0.1:$port ($cluster)"
        exit 0
      fi
    done
    cat "$cluster/server.log" >&2 || true
    echo "pg.sh: could not start PostgreSQL" >&2
    exit 1
    ;;
  stop)
    [[ -f "$state/cluster" ]] || exit 0
    cluster=$(cat "$state/cluster")
    "${RUN[@]}" "$PGBIN/pg_ctl" -D "$cluster/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$cluster" "$state/cluster" "$state/dsn"
    ;;
  *) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
