# shellcheck shell=bash
# tests/lib/cluster.sh: shared by the cluster suites, scripts/demo and bench/: sets up
# PostgreSQL, the CTFreak stand-in and its config folder in a harness cluster. Licence: GPL-2.0-or-later.
#
# The caller sets TOP (source tree) and STANDIN (built stand-in), and may set
# CLUSTER_ID / CLUSTER_RUN (exported to tests/cluster/ctl).

# shellcheck source=wait.sh
. "$TOP/tests/lib/wait.sh"

CTL=$TOP/tests/cluster/ctl
: "${CLUSTER_ID:=ctfha}" "${CLUSTER_RUN:=$TOP/tests/cluster/run}"
export CLUSTER_ID CLUSTER_RUN
SUBNET=192.168.234
VIP=$SUBNET.100
CLIENT_ADDR=$SUBNET.250
HTTP_PORT=6700
# Host files every node sees (the run dir is visible at the same path in the
# nodes and removed by `ctl down`).
HA=$CLUSTER_RUN/ctfreak-ha
BIN=$HA/bin/ctfreak
# The config folder must be per node: the harness gives each node its own
# /var/lib/postgresql, so the demo keeps it there. On real servers use e.g.
# /var/lib/ctfreak/config.
CONFIG_DIR=/var/lib/postgresql/ctfreak/config
INSTANCE_LOG=/var/log/postgresql/ctfreak-instance.log
REPL_PASS=repl-demo-secret
CTF_PASS=ctfreak-demo-secret

ctl() { "$CTL" "$@"; }
# host path of a node's per-node directory: nodedir K lib-postgresql
nodedir() { echo "$CLUSTER_RUN/node$1/$2"; }
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}'; }

# use_own_provider NAME: the agents of this build (BUILDDIR) installed for the
# run as ocf:NAME:* (the shared /usr/lib/ocf/resource.d/ctfreak may change
# under a long run), else (no build) the installed ocf:ctfreak:*; sets
# CTFREAK_OCF_PROVIDER for config_env.
use_own_provider() {
    local a dir=/usr/lib/ocf/resource.d/$1
    if ! [ -x "${BUILDDIR:-}/pgsql" ] && [ -x /usr/lib/ocf/resource.d/ctfreak/pgsql ]; then
        export CTFREAK_OCF_PROVIDER=ctfreak
        return 0
    fi
    mkdir -p "$dir" || return 1
    for a in pgsql confsync ctfreak confsync-watcher; do
        install -m 0755 "$BUILDDIR/$a" "$dir/$a" || { echo "FAIL: no $BUILDDIR/$a (make)"; return 1; }
    done
    export CTFREAK_OCF_PROVIDER=$1
}
drop_own_provider() {
    [ "${CTFREAK_OCF_PROVIDER:-ctfreak}" = ctfreak ] || rm -rf "/usr/lib/ocf/resource.d/$CTFREAK_OCF_PROVIDER"
}

# The environment configs/pcs-*.sh is given (node-specific values).
config_env() {
    printf '%s\n' \
        "NODE1=node1" "NODE2=node2" \
        "NODE1_ADDR=$SUBNET.1" "NODE2_ADDR=$SUBNET.2" "NODE3=node3" \
        "CTFREAK_VIP=$VIP" "CTFREAK_VIP_CIDR=24" "CTFREAK_VIP_NIC=eth0" \
        "CTFREAK_BINARY=$BIN" "CTFREAK_CONFIG_DIR=$CONFIG_DIR" \
        "CTFREAK_USER=ctfreak" \
        "CTFREAK_ARGS=--listen 0.0.0.0 --port $HTTP_PORT --interval-ms ${STANDIN_INTERVAL_MS:-200}" \
        "CTFREAK_URL=http://127.0.0.1:$HTTP_PORT/isalive" \
        "CTFREAK_LOG_FILE=$INSTANCE_LOG" \
        "CTFREAK_DB=host=127.0.0.1 dbname=ctfreak user=ctfreak passfile=$HA/ctfreak.pgpass connect_timeout=3" \
        "CTFREAK_OCF_PROVIDER=${CTFREAK_OCF_PROVIDER:-ctfreak}" \
        "CONFSYNC_TRANSPORT=rsyncd" "CONFSYNC_SECRETS=$HA/confsync.secrets"
    # bench/failover's "ours-async" stack
    [ -z "${PGSQL_SYNCHRONOUS:-}" ] || printf '%s\n' "PGSQL_SYNCHRONOUS=$PGSQL_SYNCHRONOUS"
}

# config_env plus the defaults of configs/pcs-2node.sh, for the crmsh file
# (envsubst has no defaults).
config_env_full() {
    config_env
    printf '%s\n' PRIORITY_FENCING_DELAY=5s PGSQL_BINDIR=$PG_BINDIR \
        PGSQL_PGDATA=$PG_CONFDIR PGSQL_DATADIR=$PG_DATADIR \
        PGSQL_SYNCHRONOUS=on PGSQL_REBUILD=off PGSQL_START_TIMEOUT=60s
}

# Host side: the ctfreak user, the "CTFreak binary" (the stand-in), secrets.
setup_host() {
    id ctfreak >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin ctfreak
    mkdir -p "$HA/bin" && chmod 755 "$HA" "$HA/bin" "$CLUSTER_RUN" || return 1
    install -m 755 "$STANDIN" "$BIN" || return 1
    # The nodes have their own /tmp: a checkout under /tmp is invisible to
    # them, so the configuration files they run are copied into the run dir.
    rm -rf "$HA/configs" && cp -r "$TOP/configs" "$HA/configs" || return 1
    printf 'confsync:%s\n' "$(head -c 12 /dev/urandom | base64)" > "$HA/confsync.secrets"
    chmod 600 "$HA/confsync.secrets"
    # the agent (root) checks the database as the ctfreak role
    printf '*:*:ctfreak:ctfreak:%s\n' "$CTF_PASS" > "$HA/ctfreak.pgpass"
    chmod 600 "$HA/ctfreak.pgpass"
}

# PostgreSQL's layout on the nodes (set PG_LAYOUT before sourcing this file):
#   debian (default): pg_createcluster 15 main, configuration in PG_CONFDIR
#     /etc/postgresql/15/main (settings in its conf.d), data in PG_DATADIR
#     /var/lib/postgresql/15/main;
#   paf: as PAF's quick start and RHEL set it up: initdb, postgresql.conf and
#     pg_hba.conf inside the data directory (PG_CONFDIR = PG_DATADIR), started
#     with pg_ctl, no /etc/postgresql at all. PAF's documentation uses
#     /var/lib/pgsql/15/data; the harness gives each node its own
#     /var/lib/postgresql (the postgres home), so the data directory is
#     /var/lib/postgresql/15/data here.
: "${PG_LAYOUT:=debian}"
case $PG_LAYOUT in
paf) PG_DATADIR=/var/lib/postgresql/15/data PG_CONFDIR=/var/lib/postgresql/15/data ;;
*) PG_DATADIR=/var/lib/postgresql/15/main PG_CONFDIR=/etc/postgresql/15/main ;;
esac
PG_BINDIR=/usr/lib/postgresql/15/bin

# The settings streaming replication needs here, the same in both layouts.
PG_HA_SETTINGS="listen_addresses = '*'
wal_level = replica
hot_standby = on
wal_log_hints = on
max_wal_senders = 10
wal_keep_size = 256MB
# A lost standby is noticed in seconds, not after the default 60 s: with
# synchronous=on, commits wait until the agent drops it from the synchronous
# standbys.
wal_sender_timeout = 3s
recovery_target_timeline = 'latest'
hot_standby_feedback = on"
PG_HA_HBA="host replication replicator $SUBNET.0/24 scram-sha-256
host postgres    replicator $SUBNET.0/24 scram-sha-256"

# pg_conf_add K NAME: settings from stdin added to node K's configuration:
# conf.d/NAME.conf (debian), appended to postgresql.conf under a "# NAME"
# line (paf: what an admin of that layout edits).
pg_conf_add() { # K NAME
    local text; text=$(cat)
    case $PG_LAYOUT in
    paf) ctl as postgres "$1" bash -ec 'printf "\n# %s\n%s\n" "$1" "$2" >> "$3/postgresql.conf"' \
        _ "$2" "$text" "$PG_CONFDIR" ;;
    *) ctl exec "$1" bash -ec 'printf "%s\n" "$2" > "$3/conf.d/$1.conf"' \
        _ "$2" "$text" "$PG_CONFDIR" ;;
    esac
}

# pg_server K start|stop: node K's server outside Pacemaker (set-up only).
pg_server() { # K ACTION
    case $PG_LAYOUT in
    paf) ctl as postgres "$1" pg_ctl -D "$PG_DATADIR" -w -m fast \
        -l /var/log/postgresql/postgresql-15-setup.log "$2" >/dev/null ;;
    *) ctl exec "$1" pg_ctlcluster 15 main "$2" ;;
    esac
}

# The cluster on node K, configured for streaming replication: Debian's
# 15/main, or (PG_LAYOUT=paf) initdb's data directory holding its
# configuration. Checksums and wal_log_hints, peer/scram authentication, the
# replication lines of pg_hba and the replication role's passfile either way.
pg_create() { # K
    case $PG_LAYOUT in
    paf)
        ctl as postgres "$1" initdb -D "$PG_DATADIR" -U postgres --data-checksums \
            --auth-local=peer --auth-host=scram-sha-256 >/dev/null || return 1
        pg_conf_add "$1" ctfreak-ha <<<"$PG_HA_SETTINGS" || return 1
        ctl as postgres "$1" bash -ec 'printf "%s\n" "$1" >> "$2/pg_hba.conf"' \
            _ "$PG_HA_HBA" "$PG_CONFDIR" || return 1 ;;
    *)
        ctl exec "$1" pg_createcluster 15 main -p 5432 -- --data-checksums \
            --auth-local=peer --auth-host=scram-sha-256 >/dev/null || return 1
        pg_conf_add "$1" ctfreak-ha <<<"$PG_HA_SETTINGS" || return 1
        ctl exec "$1" bash -ec 'printf "%s\n" "$1" >> "$2/pg_hba.conf"' \
            _ "$PG_HA_HBA" "$PG_CONFDIR" || return 1 ;;
    esac
    ctl exec "$1" bash -ec "
        printf '*:*:*:replicator:%s\n' '$REPL_PASS' > /var/lib/postgresql/.pgpass
        chown postgres:postgres /var/lib/postgresql/.pgpass
        chmod 600 /var/lib/postgresql/.pgpass"
}

# node P: primary with the replication role (allowed to run pg_rewind) and
# CTFreak's database; node S: its streaming standby (pg_basebackup -R; in the
# paf layout the copy brings postgresql.conf and pg_hba.conf along).
# Both are stopped at the end: Pacemaker starts them.
setup_postgresql() { # P S
    local p=$1 s=$2
    pg_create "$p" && pg_create "$s" || return 1
    pg_server "$p" start || return 1
    ctl as postgres "$p" psql -qX -v ON_ERROR_STOP=1 <<EOF || return 1
CREATE ROLE replicator REPLICATION LOGIN PASSWORD '$REPL_PASS';
GRANT EXECUTE ON function pg_catalog.pg_ls_dir(text, boolean, boolean) TO replicator;
GRANT EXECUTE ON function pg_catalog.pg_stat_file(text, boolean) TO replicator;
GRANT EXECUTE ON function pg_catalog.pg_read_binary_file(text) TO replicator;
GRANT EXECUTE ON function pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) TO replicator;
GRANT pg_checkpoint TO replicator;
CREATE ROLE ctfreak LOGIN PASSWORD '$CTF_PASS';
CREATE DATABASE ctfreak OWNER ctfreak;
EOF
    ctl exec "$s" rm -rf "$PG_DATADIR" || return 1
    ctl as postgres "$s" pg_basebackup -h "node$p" -U replicator -D "$PG_DATADIR" \
        -R -X stream -c fast -d "application_name=node$s" || return 1
    ctl as postgres "$p" psql -qX -v ON_ERROR_STOP=1 -c \
        "ALTER SYSTEM SET primary_conninfo = 'host=node$s port=5432 user=replicator passfile=''/var/lib/postgresql/.pgpass'' application_name=node$p'" || return 1
    # Stop both with the same WAL: the standby streams, then the primary's
    # shutdown checkpoint reaches it, so either can be promoted first.
    pg_server "$s" start || return 1
    poll 30 streaming "$s" || return 1
    pg_server "$p" stop || return 1
    sleep 1
    pg_server "$s" stop || return 1
}

# The config folder on node K (CTFreak's config file: here the stand-in's).
setup_config_dir() { # K
    ctl exec "$1" bash -ec "
        mkdir -p $CONFIG_DIR/logs
        printf 'conninfo=host=127.0.0.1 dbname=ctfreak user=ctfreak password=%s\n' '$CTF_PASS' > $CONFIG_DIR/standin.conf
        chown -R ctfreak: $CONFIG_DIR; chmod 750 $CONFIG_DIR; chmod 640 $CONFIG_DIR/standin.conf
        touch $INSTANCE_LOG; chown ctfreak $INSTANCE_LOG"
}

setup_config_dir_all() { # N
    local k
    for ((k = 1; k <= $1; k++)); do setup_config_dir "$k" || return 1; done
}

# Applies configs/FILE verbatim inside node 1 with the node-specific values.
apply_config() { # pcs-2node.sh | pcs-3node.sh | pcs-2node-qdevice.sh
    local -a envs=()
    local l
    while IFS= read -r l; do envs+=("$l"); done < <(config_env)
    # CONFIG_ENV_EXTRA: more NAME=value words (no blank inside a value)
    for l in ${CONFIG_ENV_EXTRA:-}; do envs+=("$l"); done
    ctl exec 1 env "${envs[@]}" sh "$HA/configs/$1"
}

# The client: an address on the switch, polling /isalive through the floating IP.
sw() { nsenter --net="/run/netns/$CLUSTER_ID-sw" "$@"; }
client_setup() {
    sw ip addr add "$CLIENT_ADDR/24" dev br0 2>/dev/null || true
}
isalive() { # prints the HTTP code and body, e.g. "200 true"; fails if none
    sw curl -s -m "${1:-1}" -w ' %{http_code}' "http://$VIP:$HTTP_PORT/isalive" 2>/dev/null \
        | awk '{print $2, $1}'
}

# ---------------------------------------------------------------- probes shared by e2e/run and bench/failover
running() { ctl pid "$1" >/dev/null 2>&1; }
live_node() { local k; for k in 1 2; do running "$k" && { echo "$k"; return 0; }; done; return 1; }
answers() { [ "$(isalive)" = "200 true" ]; }
streaming() { [ "$(ctl as postgres "$1" psql -XAtc "select status from pg_stat_wal_receiver" 2>/dev/null)" = streaming ]; }
is_primary() { [ "$(ctl as postgres "$1" psql -XAtc 'select pg_is_in_recovery()' 2>/dev/null)" = f ]; }
not_primary() { ! is_primary "$1"; }
lost_by() { ! ctl exec "$1" crm_node -l 2>/dev/null | grep "node$2 member" > /dev/null; } # K GONE: node K no longer lists nodeGONE
fenced_more() { [ "$(ctl fenced-count "node$1")" -gt "$2" ]; } # K COUNT: nodeK fenced more than COUNT times
# promotable K: node K's promotion score is positive (with synchronous=on:
# the standby is known to hold every commit), seen from node K
promotable() {
    local v; v=$(ctl exec "$1" crm_attribute -N "node$1" -n master-pgsqld -l reboot -G -q 2>/dev/null)
    [ -n "$v" ] && [ "$v" -gt 0 ] 2>/dev/null
}

# The client: polls /isalive through the floating IP every 0.1 s from the
# switch, one line per answer: "<epoch> <http code>" (000: no answer).
client_pid=""
client_start() { # LOG
    client_setup
    ( trap 'exit 0' TERM
      while :; do
          r=$(sw curl -s -m 0.5 -o /dev/null -w '%{http_code}' "http://$VIP:$HTTP_PORT/isalive" 2>/dev/null)
          echo "$EPOCHREALTIME ${r:-000}"
          sleep 0.1
      done >> "$1" ) &
    client_pid=$!
}
client_stop() {
    [ -n "$client_pid" ] || return 0
    kill -TERM "$client_pid" 2>/dev/null; wait "$client_pid" 2>/dev/null; client_pid=""
}

# Executions the stand-ins acknowledged (committed, then log file written),
# from the instance logs of both nodes (kept on disk through power-offs).
acked() {
    local k
    for k in 1 2; do
        grep -ho 'execution [0-9]* recorded' "$(nodedir "$k" log-postgresql)/ctfreak-instance.log" 2>/dev/null
    done | awk '{print $2}' | sort -u
}
max_acked() { acked | sort -n | tail -n 1; }
present_rows() { ctl as postgres "$1" psql -XAtc 'select id from ctfreak_executions' ctfreak 2>/dev/null | sort -u; }
exec_ids_in() { find "$1" -name 'exec-*.log' -printf '%f\n' 2>/dev/null | sed -n 's/^exec-\([0-9]*\)\.log$/\1/p' | sort -u; }
present_files() { exec_ids_in "$(nodedir "$1" lib-postgresql)/ctfreak/config/logs"; }
quarantined_files() { exec_ids_in "$(nodedir "$1" lib-postgresql)/ctfreak/config.quarantine"; }
# acknowledged executions whose row / log file is absent on node K.  The
# acknowledgements are read before the rows/files are listed: the stand-in
# writes the row and the file before it logs "recorded", so an id read first
# is always in a listing taken after it (reading both at once races).
missing_rows() { local a; a=$(acked); comm -23 <(printf '%s' "${a:+$a$'\n'}") <(present_rows "$1"); }
missing_files() { local a; a=$(acked); comm -23 <(printf '%s' "${a:+$a$'\n'}") <(present_files "$1"); }

# ---------------------------------------------------------------- roles and watchers shared by e2e/run and qdevice/run
# Where everything runs, seen from node K: "P S CP CS F IP" (node numbers, - if none)
STATE_SNIP='
loc() { crm_resource --locate -r "$1" 2>/dev/null | sed -n "s/.*running on: node\([0-9]\)\( Promoted\)\{0,1\} *$/\1\2/p"; }
pg=$(loc pgsql-clone); cs=$(loc confsync-clone)
p=$(grep Promoted <<<"$pg" | cut -c1); s=$(grep -v Promoted <<<"$pg" | head -n1)
cp=$(grep Promoted <<<"$cs" | cut -c1); cs2=$(grep -v Promoted <<<"$cs" | head -n1)
echo "${p:--} ${s:--} ${cp:--} ${cs2:--} $(loc ctfreak | head -n1 | grep . || echo -) $(loc ctfreak-ip | head -n1 | grep . || echo -)"
'
state() { ctl exec "$1" bash -c "$STATE_SNIP" 2>/dev/null; }

# healthy: every node up and seen online, one node promoted with confsync,
# CTFreak and the IP, another a streaming standby with confsync receiving;
# prints the active node.  NNODES (default 2) nodes, ONLINE what crm_node
# lists ("node1 node2"); a caller may define healthy_extra (e.g. the quorum
# device's vote) as one more condition.
healthy() {
    local st p s cp cs f ip k
    for ((k = 1; k <= ${NNODES:-2}; k++)); do running "$k" || return 1; done
    [ "$(ctl online 1)" = "${ONLINE:-node1 node2}" ] || return 1
    if declare -F healthy_extra >/dev/null; then healthy_extra || return 1; fi
    st=$(state 1) || return 1
    read -r p s cp cs f ip <<<"$st"
    [ "$p" != - ] && [ "$s" != - ] && [ "$p" != "$s" ] || return 1
    [ "$cp" = "$p" ] && [ "$cs" = "$s" ] && [ "$f" = "$p" ] && [ "$ip" = "$p" ] || return 1
    streaming "$s" && promotable "$s" && answers || return 1
    echo "$p"
}
wait_healthy() { # SECS: prints the active node
    local secs=$1 t0=$EPOCHREALTIME a
    while :; do
        a=$(healthy) && { echo "$a"; return 0; }
        awk -v a="$t0" -v b="$EPOCHREALTIME" -v s="$secs" 'BEGIN{exit !(b-a > s)}' && return 1
        sleep 0.3
    done
}
active_from() { # K: the node running ctfreak, seen from node K
    local st; st=$(state "$1") || return 1
    set -- $st
    [ "$5" != - ] && echo "$5"
}
ctf_running_on() { ctl exec "$1" pgrep -f "^$BIN -c " >/dev/null 2>&1; }

# One loop inside each node, samples every 0.2 s: is PostgreSQL a primary,
# how many CTFreak processes. It dies with the node; restarted after power-on.
WATCH_SNIP='
while :; do
    pg=$(PGCONNECT_TIMEOUT=1 runuser -u postgres -- psql -XAtqc "select pg_is_in_recovery()" 2>/dev/null)
    n=$(pgrep -fc "^$1 -c ")
    echo "$EPOCHREALTIME $(hostname) pg=${pg:--} ctf=${n:-0}"
    sleep 0.2
done >> /var/log/postgresql/e2e-watch.log 2>/dev/null
'
watch_start() { # K
    ctl exec "$1" bash -c "$WATCH_SNIP" e2e-watch "$BIN" >/dev/null 2>&1 &
}
watch_logs() { local k; for k in 1 2; do echo "$(nodedir "$k" log-postgresql)/e2e-watch.log"; done; }
