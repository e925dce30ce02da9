# bench/lib/stacks.sh: the two stacks the benchmarks compare in the cluster harness -- ours
# (configs/pcs-2node*.sh) and the peers' (PAF pgsqlms + ocf:heartbeat:anything + lsyncd) -- and
# what the benchmarks ask of either: is it healthy, where is it active. Sourced after
# tests/lib/cluster.sh by bench/failover and bench/steady. Licence: GPL-2.0-or-later.
# shellcheck shell=bash

LSYNCD_PORT=8731

# ---------------------------------------------------------------- the peers' stack
# Per node: an rsync daemon receiving the folder, and an lsyncd configuration
# pushing to the other node (lsyncd runs only on the active node).
# Everything runs as PEER_USER: ocf:heartbeat:anything starts programs with
# "su - USER", and root's login profile on this dev VM hangs (pyenv rehash).
PEER_USER=ctfbench
peers_files() { # K
    local k=$1 peer=$((3 - $1))
    # PAF starts postgres with pg_ctl and no log file: keep its log
    printf '%s\n' "logging_collector = on" "log_directory = '/var/log/postgresql'" \
        "log_filename = 'paf-postgresql.log'" | pg_conf_add "$k" zz-bench-log || return 1
    ctl exec "$k" bash -ec "
        chown -R $PEER_USER: /var/lib/postgresql/ctfreak $INSTANCE_LOG
        cat > /var/lib/postgresql/ctfreak/rsyncd.conf <<EOF
use chroot = no
pid file = /tmp/lsyncd-rsyncd.pid
[ctfreak]
path = $CONFIG_DIR
read only = no
auth users = lsyncd
secrets file = $HA/lsyncd.secrets
EOF
        cat > /var/lib/postgresql/ctfreak/lsyncd.lua <<EOF
settings { nodaemon = true, insist = true, logfile = '/var/lib/postgresql/ctfreak/lsyncd.log' }
sync { default.rsync, source = '$CONFIG_DIR/', delay = 1,
       target = 'rsync://lsyncd@$SUBNET.$peer:$LSYNCD_PORT/ctfreak/',
       rsync = { archive = true, password_file = '$HA/lsyncd.pass' } }
EOF"
}
# The layout's part of the peers' configuration: what configs/pcs-2node.sh,
# pcs-2node-qdevice.sh and pcs-3node.sh set for ours, set the same way for the
# peers (pcs -f lines for a CIB copy in $cib). The fence device is the
# harness's fence-ctf.
peers_layout() { # LAYOUT
    local gw=$SUBNET.254
    case $1 in
    2node) echo 'pcs -f $cib property set priority-fencing-delay=5s' ;;
    2node-ping)
        echo 'pcs -f $cib property set priority-fencing-delay=5s'
        echo "pcs -f \$cib stonith create fence-ping fence_heuristics_ping ping_targets=$gw" \
            "ping_count=2 ping_good_count=1 ping_interval=1 ping_timeout=1" \
            "pcmk_host_list='node1 node2' op monitor interval=60s"
        echo 'pcs -f $cib stonith level add 1 node1 fence-ping fence-ctf'
        echo 'pcs -f $cib stonith level add 1 node2 fence-ping fence-ctf' ;;
    2node-qdevice)
        echo 'pcs -f $cib property set priority-fencing-delay=0'
        echo 'pcs -f $cib property set no-quorum-policy=demote' ;;
    3node)
        echo 'pcs -f $cib property set priority-fencing-delay=0'
        local r
        for r in pgsql-clone rsyncd-clone lsyncd ctfreak ctfreak-ip; do
            echo "pcs -f \$cib constraint location add loc-$r-not-on-node3 $r node3 -INFINITY resource-discovery=never"
        done ;;
    *) echo "echo 'unknown layout $1' >&2; exit 1" ;;
    esac
}
peers_setup() { # LAYOUT
    id "$PEER_USER" >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /bin/sh "$PEER_USER"
    printf 'lsyncd:%s\n' "$(head -c 9 /dev/urandom | base64)" > "$HA/lsyncd.secrets"
    cut -d: -f2 "$HA/lsyncd.secrets" > "$HA/lsyncd.pass"
    chmod 600 "$HA/lsyncd.secrets" "$HA/lsyncd.pass"
    chown "$PEER_USER" "$HA/lsyncd.secrets" "$HA/lsyncd.pass"
    peers_files 1 && peers_files 2 || return 1
    # PAF's pgdata is where postgresql.conf lives; datadir only when the data
    # lives elsewhere (Debian's layout). PG_LAYOUT=paf: PAF's quick start.
    local paf_dirs="pgdata=$PG_CONFDIR"
    [ "$PG_DATADIR" = "$PG_CONFDIR" ] || paf_dirs="$paf_dirs datadir=$PG_DATADIR"
    ctl exec 1 bash -ec "
        cib=/tmp/peers-cib.xml; pcs cluster cib \$cib; cp \$cib \$cib.orig
        pcs -f \$cib resource create pgsqld ocf:heartbeat:pgsqlms \
            bindir=$PG_BINDIR $paf_dirs \
            op start timeout=60s op stop timeout=60s op promote timeout=30s \
            op demote timeout=120s op notify timeout=60s \
            op monitor interval=3s timeout=10s role=Promoted \
            op monitor interval=4s timeout=10s role=Unpromoted \
            promotable pgsql-clone promoted-max=1 notify=true
        pcs -f \$cib resource create rsyncd ocf:heartbeat:anything binfile=/usr/bin/rsync \
            cmdline_options='--daemon --no-detach --port=$LSYNCD_PORT --config=/var/lib/postgresql/ctfreak/rsyncd.conf' \
            user=$PEER_USER pidfile=/tmp/rsyncd-anything.pid \
            op monitor interval=10s clone rsyncd-clone
        pcs -f \$cib resource create lsyncd ocf:heartbeat:anything binfile=/usr/bin/lsyncd \
            cmdline_options='/var/lib/postgresql/ctfreak/lsyncd.lua' \
            user=$PEER_USER pidfile=/tmp/lsyncd-anything.pid op monitor interval=10s
        pcs -f \$cib resource create ctfreak ocf:heartbeat:anything binfile='$BIN' \
            cmdline_options='-c $CONFIG_DIR run --listen 0.0.0.0 --port $HTTP_PORT --interval-ms ${STANDIN_INTERVAL_MS:-200}' \
            logfile='$INSTANCE_LOG' errlogfile='$INSTANCE_LOG' \
            user=$PEER_USER pidfile=/tmp/ctfreak-anything.pid \
            op monitor interval=3s timeout=20s meta priority=10
        pcs -f \$cib resource create ctfreak-ip ocf:heartbeat:IPaddr2 ip=$VIP cidr_netmask=24 nic=eth0 \
            op monitor interval=10s
        pcs -f \$cib constraint colocation add lsyncd with Promoted pgsql-clone INFINITY
        pcs -f \$cib constraint colocation add ctfreak with lsyncd INFINITY
        pcs -f \$cib constraint colocation add ctfreak-ip with ctfreak INFINITY
        pcs -f \$cib constraint order promote pgsql-clone then start lsyncd
        pcs -f \$cib constraint order start lsyncd then start ctfreak
        pcs -f \$cib constraint order start ctfreak then start ctfreak-ip
        $(peers_layout "${1:-2node}")
        pcs cluster cib-push \$cib diff-against=\$cib.orig"
}

# ---------------------------------------------------------------- state of either stack
STATE_SNIP='
loc() { crm_resource --locate -r "$1" 2>/dev/null | sed -n "s/.*running on: node\([0-9]\)\( Promoted\)\{0,1\} *$/\1\2/p"; }
pg=$(loc pgsql-clone)
p=$(grep Promoted <<<"$pg" | cut -c1); s=$(grep -v Promoted <<<"$pg" | head -n1)
case $1 in ours*) f=$(loc confsync-clone | grep Promoted | cut -c1) ;; *) f=$(loc lsyncd | head -n1) ;; esac
echo "${p:--} ${s:--} ${f:--} $(loc ctfreak | head -n1 | grep . || echo -) $(loc ctfreak-ip | head -n1 | grep . || echo -)"
'
# PAF keeps its scores in the nodes section (crm_master --lifetime forever)
stack_promotable() { # STACK K
    local v
    case $1 in ours*) promotable "$2"; return ;; esac
    v=$(ctl exec "$2" crm_attribute -N "node$2" -n master-pgsqld -l forever -G -q 2>/dev/null)
    [ -n "$v" ] && [ "$v" -gt 0 ] 2>/dev/null
}
healthy() { # STACK: prints the active node
    local st p s f c ip
    running 1 && running 2 || return 1
    [ "$(ctl online 1)" = "${ONLINE:-node1 node2}" ] || return 1
    st=$(ctl exec 1 bash -c "$STATE_SNIP" _ "$1" 2>/dev/null) || return 1
    read -r p s f c ip <<<"$st"
    [ "$p" != - ] && [ "$s" != - ] && [ "$p" != "$s" ] && [ "$f" = "$p" ] && [ "$c" = "$p" ] && [ "$ip" = "$p" ] || return 1
    streaming "$s" && stack_promotable "$1" "$s" && answers || return 1
    echo "$p"
}
wait_healthy() { # STACK SECS
    local t0=$EPOCHREALTIME a
    while :; do
        a=$(healthy "$1") && { echo "$a"; return 0; }
        awk -v a="$t0" -v b="$EPOCHREALTIME" -v s="$2" 'BEGIN{exit !(b-a > s)}' && return 1
        sleep 0.3
    done
}
active_from() { # STACK K
    local st; st=$(ctl exec "$2" bash -c "$STATE_SNIP" _ "$1" 2>/dev/null) || return 1
    set -- $st
    [ "$4" != - ] && echo "$4"
}
