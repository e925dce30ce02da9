# tests/agents/lib/common.sh: helpers for agent tests (sourced): assertions,
# a scratch directory, real PostgreSQL servers on loopback.
# Licence: GPL-2.0-or-later.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
T_PASS=0
T_FAIL=0
T_FAILED=()

t_scratch() {   # creates $SCRATCH (world-traversable for the postgres user)
    SCRATCH=$(mktemp -d /tmp/ctfha-test.XXXXXX)
    chmod 755 "$SCRATCH"
    # PostgreSQL logs and sockets live here too.
    chgrp postgres "$SCRATCH" && chmod 1777 "$SCRATCH"
}

pass() { T_PASS=$((T_PASS + 1)); echo "PASS: $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); T_FAILED+=("$*"); echo "FAIL: $*"; }

# check "sentence" EXPECTED_RC ACTUAL_RC [detail]
check_rc() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (expected rc $2, got $3) ${4:-}"; fi
}

# check "sentence" COMMAND...: passes when the command succeeds
check() {
    local what=$1; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

t_summary() {
    echo "--- $T_PASS passed, $T_FAIL failed"
    local f
    for f in "${T_FAILED[@]}"; do echo "    failed: $f"; done
    [ "$T_FAIL" -eq 0 ]
}

# wait_for SECONDS COMMAND...: polls every 50 ms
wait_for() {
    local end=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
    while ! "$@" 2>/dev/null; do
        [ $(( $(date +%s%N) / 1000000 )) -ge $end ] && return 1
        sleep 0.05
    done
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
    as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$pport" -U postgres -D "$dir" -R -X stream \
        --no-sync >/dev/null || return 1
    sed -i "s/^port = .*/port = $port/" "$dir/postgresql.conf"
    as_pg "$PGBIN/pg_ctl" -D "$dir" -l "$SCRATCH/$1.log" -w -s start || return 1
}

pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$SCRATCH/$1" -m fast -w -s stop 2>/dev/null; }

# psql_at PORT SQL: one value
psql_at() { as_pg psql -h "$SCRATCH" -p "$1" -U postgres -d postgres -XAtqc "$2"; }
