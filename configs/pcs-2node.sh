#!/bin/sh
# configs/pcs-2node.sh: the recommended pcs configuration of a 2-node CTFreak active/standby cluster.
# Licence: GPL-2.0-or-later.
#
# Run it once, as root, on one node of a running 2-node cluster (corosync
# "two_node: 1", fencing devices created, PostgreSQL set up as primary +
# streaming standby, the CTFreak config folder on both nodes). It builds the
# whole configuration in a copy of the CIB and pushes it in one step, so
# nothing starts before every constraint exists:
#
#   pgsql-clone     ocf:ctfreak:pgsql     promotable, promoted-max=1, notify=true
#   confsync-clone  ocf:ctfreak:confsync  promotable, promoted-max=1 (config folder)
#   ctfreak         ocf:ctfreak:ctfreak   the instance, priority 10
#   ctfreak-ip      ocf:heartbeat:IPaddr2 the clients' floating address
#
#   promote pgsql -> promote confsync -> start ctfreak, all on one node, and
#   the floating IP there once the database is promoted (beside the folder's
#   promotion and CTFreak's start, not after them: a failover is that much
#   shorter); the orders are symmetrical, so the IP and CTFreak are stopped
#   before the config folder and then the database are demoted.
#
# Node-specific values come from the environment (defaults in brackets):
#   NODE1 NODE2            node names as corosync knows them [node1 node2]
#   NODE1_ADDR NODE2_ADDR  their replication addresses [192.168.234.1 .2]
#   CTFREAK_VIP            floating address [192.168.234.100]
#   CTFREAK_VIP_CIDR       its prefix length [24]
#   CTFREAK_VIP_NIC        interface carrying it [eth0]
#   CTFREAK_BINARY         CTFreak binary [/usr/local/bin/ctfreak]
#   CTFREAK_CONFIG_DIR     config folder, same path on both nodes [/var/lib/ctfreak/config]
#   CTFREAK_USER           user CTFreak runs as [ctfreak]
#   CTFREAK_ARGS           extra arguments after "run" []
#   CTFREAK_URL            health check [http://127.0.0.1:6700/isalive]
#   CTFREAK_LOG_FILE       CTFreak's stdout/stderr [/var/log/ctfreak-ha/ctfreak.log]
#   CTFREAK_DB             libpq conninfo of CTFreak's database, for the agent's
#                          checks; the agent connects as root, so the password
#                          is in root's passfile (written by ctfreak-ha-pg-setup
#                          --app-user), never here [host=127.0.0.1
#                          dbname=ctfreak user=ctfreak passfile=/root/.pgpass]
#   PGSQL_BINDIR PGSQL_PGDATA PGSQL_DATADIR  [/usr/lib/postgresql/15/bin,
#                          /etc/postgresql/15/main, /var/lib/postgresql/15/main]
#   PGSQL_SYNCHRONOUS      off | on | strict [on: no committed row lost on
#                          failover; falls back to async while the standby is gone]
#   PGSQL_REBUILD          off | basebackup [off]; basebackup: an ex-primary
#                          pg_rewind cannot bring back is re-cloned from the
#                          primary at start (raise PGSQL_START_TIMEOUT to cover
#                          the copy: about database size / disk or network speed)
#   PGSQL_START_TIMEOUT    the pgsqld start timeout [60s]
#   CTFREAK_FOLDER_SYNC    confsync | none [confsync]; none: the config folder
#                          is replicated outside the cluster (DRBD, storage)
#   CONFSYNC_TRANSPORT     rsyncd | ssh [rsyncd]
#   CONFSYNC_SECRETS       rsyncd secrets file, same on both nodes [/etc/ctfreak-ha/confsync.secrets]
#   CONFSYNC_SSH_KEY       ssh key (transport=ssh) []
#   CTFREAK_OCF_PROVIDER   OCF provider of the three agents [ctfreak] (tests of
#                          a build installed under another name)
#   CTFREAK_QUORUM_NODE    a quorum-only node that must run none of these
#                          resources (set by pcs-3node.sh) []
#   PRIORITY_FENCING_DELAY delay before fencing the node running CTFreak in a
#                          fence race [5s]; must exceed your fence device's
#                          time to power a node off
#   FENCE_PING_TARGETS     addresses on the clients' side (the default gateway;
#                          comma-separated) []: when set, a node that cannot
#                          ping one of them cannot fence the other, so a node
#                          cut off from its network loses the fence race even
#                          while it runs CTFreak (fence_heuristics_ping in front
#                          of the real device, in a fencing topology). Without
#                          it, the active node wins every race, isolated or not
#   FENCE_DEVICE1 FENCE_DEVICE2  the fence devices of NODE1 and NODE2, with
#                          FENCE_PING_TARGETS [required then; may be the same]
set -eu

: "${NODE1:=node1}" "${NODE2:=node2}"
: "${NODE1_ADDR:=192.168.234.1}" "${NODE2_ADDR:=192.168.234.2}"
: "${CTFREAK_VIP:=192.168.234.100}" "${CTFREAK_VIP_CIDR:=24}" "${CTFREAK_VIP_NIC:=eth0}"
: "${CTFREAK_BINARY:=/usr/local/bin/ctfreak}"
: "${CTFREAK_CONFIG_DIR:=/var/lib/ctfreak/config}"
: "${CTFREAK_USER:=ctfreak}" "${CTFREAK_ARGS:=}"
: "${CTFREAK_URL:=http://127.0.0.1:6700/isalive}"
: "${CTFREAK_LOG_FILE:=/var/log/ctfreak-ha/ctfreak.log}"
: "${CTFREAK_DB:=host=127.0.0.1 dbname=ctfreak user=ctfreak passfile=/root/.pgpass}"
: "${PGSQL_BINDIR:=/usr/lib/postgresql/15/bin}"
: "${PGSQL_PGDATA:=/etc/postgresql/15/main}" "${PGSQL_DATADIR:=/var/lib/postgresql/15/main}"
: "${PGSQL_SYNCHRONOUS:=on}" "${PGSQL_REBUILD:=off}" "${PGSQL_START_TIMEOUT:=60s}"
: "${CTFREAK_FOLDER_SYNC:=confsync}"
: "${CONFSYNC_TRANSPORT:=rsyncd}" "${CONFSYNC_SECRETS:=/etc/ctfreak-ha/confsync.secrets}"
: "${CONFSYNC_SSH_KEY:=}"
: "${PRIORITY_FENCING_DELAY:=5s}"
: "${CTFREAK_OCF_PROVIDER:=ctfreak}"
: "${CTFREAK_QUORUM_NODE:=}"
: "${FENCE_PING_TARGETS:=}" "${FENCE_DEVICE1:=}" "${FENCE_DEVICE2:=}"
P=$CTFREAK_OCF_PROVIDER

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cib=$work/cib.xml
pcs cluster cib "$cib"
cp "$cib" "$work/orig.xml"

# Fencing is required: a node that cannot be fenced can never be failed over
# from safely. Create the devices first (e.g. pcs stonith create ipmi-node1
# fence_ipmilan ip=... pcmk_host_list=node1 ...).
if ! cibadmin -Q -o resources | grep -q 'class="stonith"'; then
    echo "pcs-2node.sh: no fencing device is configured; create one first" >&2
    exit 1
fi
pcs -f "$cib" property set stonith-enabled=true
# Both halves of a 2-node cluster stay quorate on a split (two_node), so the
# nodes race to fence each other: the one running CTFreak (priority 10) is
# fenced only after this delay, and wins.
pcs -f "$cib" property set priority-fencing-delay="$PRIORITY_FENCING_DELAY"
# Connectivity-aware fencing (two nodes and nothing else): the race above
# lets the node running CTFreak win even when it is the one cut off from its
# network, and then nobody serves clients. With FENCE_PING_TARGETS each fence
# action first pings the clients' side from the node that would fence; a
# node that reaches nobody fails that first step and cannot fence its peer,
# which fences it once priority-fencing-delay has passed.  Two pings a second
# apart, one answer enough: a healthy node pays about a second; an isolated
# one fails in two.
if [ -n "$FENCE_PING_TARGETS" ]; then
    if [ -z "$FENCE_DEVICE1" ] || [ -z "$FENCE_DEVICE2" ]; then
        echo "pcs-2node.sh: FENCE_PING_TARGETS needs FENCE_DEVICE1 and FENCE_DEVICE2" \
            "(the fence devices of $NODE1 and $NODE2)" >&2
        exit 1
    fi
    pcs -f "$cib" stonith create fence-ping fence_heuristics_ping \
        ping_targets="$FENCE_PING_TARGETS" ping_count=2 ping_good_count=1 \
        ping_interval=1 ping_timeout=1 pcmk_host_list="$NODE1 $NODE2" \
        op monitor interval=60s
    pcs -f "$cib" stonith level add 1 "$NODE1" fence-ping "$FENCE_DEVICE1"
    pcs -f "$cib" stonith level add 1 "$NODE2" fence-ping "$FENCE_DEVICE2"
fi
pcs -f "$cib" resource defaults update resource-stickiness=1
# A failed start is retried in place instead of banning the node at once:
# CTFreak's start fails while its database is being recovered (or while a
# dead instance's session is still open), and succeeds seconds later. A start
# failure with a healthy database is still final (the agent returns
# OCF_ERR_CONFIGURED: blocked everywhere, no failover).
pcs -f "$cib" property set start-failure-is-fatal=false

# PostgreSQL: a standby on every node, the best one promoted. Monitors are
# cheap (one libpq connection, no fork), so they run every few seconds.
pcs -f "$cib" resource create pgsqld ocf:$P:pgsql \
    bindir="$PGSQL_BINDIR" pgdata="$PGSQL_PGDATA" datadir="$PGSQL_DATADIR" \
    synchronous="$PGSQL_SYNCHRONOUS" rewind=true rebuild="$PGSQL_REBUILD" \
    op start timeout="$PGSQL_START_TIMEOUT" op stop timeout=60s \
    op promote timeout=30s op demote timeout=120s op notify timeout=60s \
    op monitor interval=3s timeout=10s role=Promoted \
    op monitor interval=4s timeout=10s role=Unpromoted \
    promotable pgsql-clone promoted-max=1 notify=true

# The config folder: pushed from the promoted node to the other one.
if [ "$CTFREAK_FOLDER_SYNC" = confsync ]; then
    if [ "$CONFSYNC_TRANSPORT" = rsyncd ]; then
        set -- transport=rsyncd secrets_file="$CONFSYNC_SECRETS"
    else
        set -- transport=ssh ssh_key="$CONFSYNC_SSH_KEY"
    fi
    pcs -f "$cib" resource create confsync ocf:$P:confsync \
        dir="$CTFREAK_CONFIG_DIR" "$@" \
        peers="$NODE1=$NODE1_ADDR $NODE2=$NODE2_ADDR" \
        op start timeout=30s op stop timeout=120s \
        op promote timeout=30s op demote timeout=120s op notify timeout=20s \
        op monitor interval=5s timeout=20s role=Promoted \
        op monitor interval=6s timeout=20s role=Unpromoted \
        promotable confsync-clone promoted-max=1 notify=true
fi

# The instance. A start failure while its database is healthy blocks the
# resource (no failover: the standby holds the same state).
pcs -f "$cib" resource create ctfreak ocf:$P:ctfreak \
    binary="$CTFREAK_BINARY" config_dir="$CTFREAK_CONFIG_DIR" \
    user="$CTFREAK_USER" args="$CTFREAK_ARGS" url="$CTFREAK_URL" \
    log_file="$CTFREAK_LOG_FILE" db_conninfo="$CTFREAK_DB" \
    on_start_failure=block \
    op start timeout=60s op stop timeout=60s \
    op monitor interval=3s timeout=20s \
    op monitor interval=30s timeout=30s OCF_CHECK_LEVEL=10 \
    meta priority=10

pcs -f "$cib" resource create ctfreak-ip ocf:heartbeat:IPaddr2 \
    ip="$CTFREAK_VIP" cidr_netmask="$CTFREAK_VIP_CIDR" nic="$CTFREAK_VIP_NIC" \
    op monitor interval=10s timeout=20s

# Together on one node...
if [ "$CTFREAK_FOLDER_SYNC" = confsync ]; then
    pcs -f "$cib" constraint colocation add Promoted confsync-clone with Promoted pgsql-clone \
        INFINITY id=col-confsync-with-pgsql
    pcs -f "$cib" constraint colocation add ctfreak with Promoted confsync-clone \
        INFINITY id=col-ctfreak-with-confsync
else
    pcs -f "$cib" constraint colocation add ctfreak with Promoted pgsql-clone \
        INFINITY id=col-ctfreak-with-pgsql
fi
pcs -f "$cib" constraint colocation add ctfreak-ip with ctfreak \
    INFINITY id=col-ip-with-ctfreak
# ...in this order (and the reverse order when stopping / demoting).  The
# config folder is promoted only once the database's promotion succeeded: the
# pgsql agent refuses to promote a node with older data (a cold start where
# Pacemaker first picks the stale node), and a folder promoted beside it there
# would push that node's older folder over the newest one (whose newer files
# would end up in its quarantine instead of in use).  That order is one-way
# (symmetrical=false): demoting the database does not wait for the folder's
# last flush, which can take up to rsync's 30 s I/O timeout when the link to
# the peer was cut with a push in flight (a node that lost quorum must step
# down at once).
if [ "$CTFREAK_FOLDER_SYNC" = confsync ]; then
    pcs -f "$cib" constraint order promote pgsql-clone then promote confsync-clone \
        symmetrical=false id=ord-pgsql-then-confsync
    pcs -f "$cib" constraint order promote confsync-clone then start ctfreak \
        id=ord-confsync-then-ctfreak
fi
pcs -f "$cib" constraint order promote pgsql-clone then start ctfreak \
    id=ord-pgsql-then-ctfreak
# The floating IP does not wait for CTFreak's start: started beside it (and
# beside the folder's promotion), it is up when CTFreak answers instead of
# some 0.3-0.5 s after (IPaddr2's start); until then a client's connection
# is refused at once instead of timing out.
pcs -f "$cib" constraint order promote pgsql-clone then start ctfreak-ip \
    id=ord-pgsql-then-ip

# A quorum-only node (3-node variant): nothing runs or is even probed there.
if [ -n "$CTFREAK_QUORUM_NODE" ]; then
    for rsc in pgsql-clone confsync-clone ctfreak ctfreak-ip; do
        if [ "$rsc" = confsync-clone ] && [ "$CTFREAK_FOLDER_SYNC" != confsync ]; then
            continue
        fi
        pcs -f "$cib" constraint location add "loc-$rsc-not-on-quorum-node" \
            "$rsc" "$CTFREAK_QUORUM_NODE" -INFINITY resource-discovery=never
    done
fi

crm_verify -x "$cib" -V
pcs cluster cib-push "$cib" diff-against="$work/orig.xml"
