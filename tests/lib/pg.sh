# shellcheck shell=bash
# tests/lib/pg.sh: a scratch directory and real PostgreSQL servers on
# loopback, for the agent suites (sourced; the checks are tests/lib/check.sh).
# Licence: GPL-2.0-or-later.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

t_scratch() {   # creates $SCRATCH (world-traversable for the postgres user)
    SCRATCH=$(mktemp -d /tmp/ctfha-test.XXXXXX)
    chmod 755 "$SCRATCH"
    # PostgreSQL logs and sockets live here too.
    chgrp postgres "$SCRATCH" && chmod 1777 "$SCRATCH"
}

free_port() {   # a TCP port nobody listens on
    local p
    for p in $(shuf -i 20000-40000 -n 50); do
        if ! ss -Hltn "sport = :$p" | grep -q .; then echo "$p"; return 0; fi
    done
    return 1
}

as_pg() { runuser -u postgres -- "$@"; }

# pg_primary NAME PORT: initdb + start a primary in $SCRATCH/NAME, socket in $SCRATCH
pg_primary() {
    local dir=$SCRATCH/$1 port=$2
    install -d -o postgres -m 700 "$dir"
    as_pg "$PGBIN/initdb" -D "$dir" -U postgres -A trust --no-sync >/dev/null || return 1
    cat >> "$dir/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SCRATCH'
wal_level = replica
max_wal_senders = 10
hot_standby = on
fsync = off
CONF
    echo "host replication all 127.0.0.1/32 trust" >> "$dir/pg_hba.conf"
    as_pg "$PGBIN/pg_ctl" -D "$dir" -l "$SCRATCH/$1.log" -w -s start || return 1
}

# pg_standby NAME PORT PRIMARY_PORT: base backup + start a streaming standby
pg_standby() {
    local dir=$SCRATCH/$1 port=$2 pport=$3
    install -d -o postgres -m 700 "$dir"
    as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$pport" -U postgres -D "$dir" -R -X stream -c fast \
        --no-sync >/dev/null || return 1
    sed -i "s/^port = .*/port = $port/" "$dir/postgresql.conf"
    as_pg "$PGBIN/pg_ctl" -D "$dir" -l "$SCRATCH/$1.log" -w -s start || return 1
}

pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$SCRATCH/$1" -m fast -w -s stop 2>/dev/null; }

# psql_at PORT SQL: one value
psql_at() { as_pg psql -h "$SCRATCH" -p "$1" -U postgres -d postgres -XAtqc "$2"; }
