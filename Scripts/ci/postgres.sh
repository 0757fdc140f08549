#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: Debian's PostgreSQL, `initdb` + `pg_ctl` as the
# unprivileged `postgres` user (the current user when not root), data in a fresh temporary folder,
# listening on 127.0.0.1 only (port $SEGSTATION_PG_PORT, default 11211), trust authentication.
#
#   eval "$(bash Scripts/ci/postgres.sh start)"   # exports SEGSTATION_TEST_POSTGRES and SEGSTATION_PG_DIR
#   bash Scripts/ci/postgres.sh stop "$SEGSTATION_PG_DIR"
#
# `start` prints only the export lines on stdout (messages go to stderr) and exits non-zero when
# the server cannot start; the PostgreSQL tests then skip with the reason.
set -euo pipefail
port=${SEGSTATION_PG_PORT:-11211}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "postgres.sh: PostgreSQL is not installed (Debian package postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
    dir=$(mktemp -d /tmp/segstation-pg.XXXXXX)
    chmod 0700 "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U segstation --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # Loopback only, the socket in the temporary folder, no durability (a test cluster).
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >&2 || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U segstation segstation >&2
    echo "export SEGSTATION_TEST_POSTGRES=postgresql://segstation@127.0.0.1:$port/segstation"
    echo "export SEGSTATION_PG_DIR=$dir"
    ;;
stop)
    dir=${2:?usage: postgres.sh stop DIR}
    if [ -d "$dir/data" ]; then as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true; fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: postgres.sh start | stop DIR" >&2
    exit 64
    ;;
esac
