#!/bin/sh
# configs/migrate-from-paf.sh: a running PAF resource (ocf:heartbeat:pgsqlms)
# becomes ocf:ctfreak:pgsql in place: no re-clone, no restart of PostgreSQL,
# the resource's name, its clone, its constraints and the resources that
# depend on it unchanged.  Licence: GPL-2.0-or-later.
#
# Run as root on one node of the running cluster, with the ctfreak-ha package
# installed on every node and the cluster healthy (one primary, every standby
# streaming):
#
#   PGSQL_RESOURCE=pgsqld sh migrate-from-paf.sh
#
# What it does, with Pacemaker's own tools (so it works under pcs and crmsh):
#   1. checks that PGSQL_RESOURCE is a pgsqlms primitive in a promotable clone;
#   2. reads the server's place from PAF's parameters: bindir, pgdata, pghost,
#      pgport and system_user as PAF runs them (its own default where the
#      resource sets none: PAF's defaults, /usr/bin and /var/lib/pgsql/data,
#      are not ocf:ctfreak:pgsql's), datadir only if the resource sets it
#      (unset, both agents take pgdata itself when it is the data directory,
#      PAF's and RHEL's layout); and has the new agent validate them on this
#      node (validate-all) before anything changes;
#   3. maintenance-mode=true: Pacemaker stops acting, every service keeps running;
#   4. writes the parameters PAF took from its defaults into the resource,
#      removes recovery_template (PAF's; PostgreSQL 12+ reads primary_conninfo
#      from its configuration, which ocf:ctfreak:pgsql uses as PAF does, with
#      application_name = the node's name) and turns the primitive into
#      ocf:$CTFREAK_OCF_PROVIDER:pgsql: PAF's bindir, pgdata, datadir, pghost,
#      pgport, system_user, start_opts and maxlag mean the same here;
#   5. re-probes the resource: the new agent finds the primary and the
#      standbys as they run, and publishes its promotion scores;
#   6. removes PAF's permanent promotion scores (crm_master --lifetime forever),
#      which would otherwise outlive the migration in the nodes section;
#   7. maintenance-mode back to what it was.
# If step 1 or 2 fails nothing was changed; if a later step fails, the cluster
# stays in maintenance mode with a message; the services run on; nothing was
# restarted.
#
# Environment: PGSQL_RESOURCE [pgsqld], CTFREAK_OCF_PROVIDER [ctfreak],
# MIGRATE_WAIT seconds to wait for the probes [60].
set -eu

: "${PGSQL_RESOURCE:=pgsqld}" "${CTFREAK_OCF_PROVIDER:=ctfreak}" "${MIGRATE_WAIT:=60}"
R=$PGSQL_RESOURCE

say() { echo "migrate-from-paf: $*"; }
die() { echo "migrate-from-paf: $*" >&2; exit 1; }

# 1. what is there
xml=$(cibadmin --query --scope resources) || die "cannot read the CIB"
prim=$(printf '%s\n' "$xml" | grep -E "<primitive [^>]*id=\"$R\"" | head -n 1)
[ -n "$prim" ] || die "no primitive $R in the CIB"
case $prim in
*'provider="heartbeat"'*'type="pgsqlms"'* | *'type="pgsqlms"'*'provider="heartbeat"'*) ;;
*'type="pgsql"'*"provider=\"$CTFREAK_OCF_PROVIDER\""* | *"provider=\"$CTFREAK_OCF_PROVIDER\""*'type="pgsql"'*)
    say "$R is already ocf:$CTFREAK_OCF_PROVIDER:pgsql: nothing to do"; exit 0 ;;
*) die "$R is not ocf:heartbeat:pgsqlms: $prim" ;;
esac
[ -x "/usr/lib/ocf/resource.d/$CTFREAK_OCF_PROVIDER/pgsql" ] \
    || die "ocf:$CTFREAK_OCF_PROVIDER:pgsql is not installed on this node"
nodes=$(crm_node -l | awk '{print $2}')
[ -n "$nodes" ] || die "crm_node -l lists no node"
promoted() { crm_resource --locate -r "$R" 2>/dev/null | grep -c 'Promoted' || true; }
[ "$(promoted)" = 1 ] || die "$R is not promoted on exactly one node: migrate a healthy cluster"

# 2. where the server is, as PAF runs it
param() { crm_resource --resource "$R" --get-parameter "$1" --quiet 2>/dev/null || true; }
paf_md=$(crm_resource --show-metadata ocf:heartbeat:pgsqlms 2>/dev/null || true)
[ -n "$paf_md" ] || say "PAF's meta-data cannot be read here: PAF 2.3's defaults are assumed"
paf_default() { # NAME FALLBACK: the installed PAF's default (its meta-data), else FALLBACK
    d=$(printf '%s\n' "$paf_md" | awk -v n="$1" '
        /<parameter / { p = ($0 ~ "name=\"" n "\"") }
        p && /<content / { if (match($0, /default="[^"]*"/)) print substr($0, RSTART + 9, RLENGTH - 10); exit }')
    echo "${d:-$2}"
}
# bindir, pgdata, pghost, pgport, system_user: the resource's value, else
# PAF's default (listed in $defaulted, written in step 4)
defaulted="" bindir="" pgdata="" pghost="" pgport="" system_user=""
for spec in bindir=/usr/bin pgdata=/var/lib/pgsql/data pghost=/var/run/postgresql \
    pgport=5432 system_user=postgres; do
    p=${spec%%=*}
    v=$(param "$p")
    if [ -z "$v" ]; then
        v=$(paf_default "$p" "${spec#*=}")
        defaulted="$defaulted$p=$v
"
    fi
    eval "$p=\$v"
done
datadir=$(param datadir) start_opts=$(param start_opts)
shown_datadir=${datadir:-"unset (the data directory in pgdata)"}
say "PostgreSQL as PAF runs it: bindir=$bindir pgdata=$pgdata datadir=$shown_datadir pghost=$pghost pgport=$pgport system_user=$system_user"
set -- --option "bindir=$bindir" --option "pgdata=$pgdata" --option "pghost=$pghost" \
    --option "pgport=$pgport" --option "system_user=$system_user"
[ -z "$datadir" ] || set -- "$@" --option "datadir=$datadir"
[ -z "$start_opts" ] || set -- "$@" --option "start_opts=$start_opts"
out=$(crm_resource --validate --class ocf --provider "$CTFREAK_OCF_PROVIDER" --agent pgsql "$@" 2>&1) \
    || die "ocf:$CTFREAK_OCF_PROVIDER:pgsql refuses these parameters on this node, nothing changed: $(printf '%s\n' "$out" | head -n 1)"

# 3. Pacemaker stops acting
was=$(crm_attribute --type crm_config --name maintenance-mode --query --quiet 2>/dev/null || true)
crm_attribute --type crm_config --name maintenance-mode --update true
say "maintenance mode on (was: ${was:-unset})"

# 4. the agent, told where the server is
while IFS='=' read -r p v; do
    [ -n "$p" ] || continue
    crm_resource --resource "$R" --set-parameter "$p" --parameter-value "$v" >/dev/null \
        || die "parameter $p could not be set (maintenance mode stays on)"
    say "$p=$v (PAF's default) written into $R"
done <<EOF
$defaulted
EOF
crm_resource --resource "$R" --delete-parameter recovery_template >/dev/null 2>&1 || true
cibadmin --modify --scope resources \
    --xml-text "<primitive id=\"$R\" class=\"ocf\" provider=\"$CTFREAK_OCF_PROVIDER\" type=\"pgsql\"/>" \
    || die "the primitive could not be changed (maintenance mode stays on)"
say "$R is now ocf:$CTFREAK_OCF_PROVIDER:pgsql"

# 5. probes by the new agent; its promotion scores
crm_resource --refresh --resource "$R" >/dev/null
i=0
while :; do
    scored=0
    for n in $nodes; do
        v=$(crm_attribute --node "$n" --name "master-$R" --lifetime reboot --query --quiet 2>/dev/null || true)
        [ -n "$v" ] && scored=$((scored + 1))
    done
    [ "$(promoted)" = 1 ] && [ "$scored" -ge 1 ] && break
    i=$((i + 1))
    [ "$i" -le "$MIGRATE_WAIT" ] || die "after ${MIGRATE_WAIT} s the new agent has not found one primary with its score (crm_mon -1 -A; maintenance mode stays on)"
    sleep 1
done
say "the new agent sees the primary and its standbys"

# 6. PAF's permanent scores
for n in $nodes; do
    crm_attribute --node "$n" --name "master-$R" --lifetime forever --delete >/dev/null 2>&1 || true
done

# 7. back to normal
if [ -n "$was" ] && [ "$was" != false ]; then
    say "maintenance mode left on, as it was"
else
    crm_attribute --type crm_config --name maintenance-mode --delete
    say "maintenance mode off: the cluster manages $R with ocf:$CTFREAK_OCF_PROVIDER:pgsql"
fi
