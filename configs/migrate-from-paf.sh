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
#   2. maintenance-mode=true: Pacemaker stops acting, every service keeps running;
#   3. removes recovery_template (PAF's; PostgreSQL 12+ reads primary_conninfo
#      from its configuration, which ocf:ctfreak:pgsql uses as PAF does, with
#      application_name = the node's name) and turns the primitive into
#      ocf:$CTFREAK_OCF_PROVIDER:pgsql: PAF's bindir, pgdata, datadir, pghost,
#      pgport, system_user, start_opts and maxlag mean the same here;
#   4. re-probes the resource: the new agent finds the primary and the
#      standbys as they run, and publishes its promotion scores;
#   5. removes PAF's permanent promotion scores (crm_master --lifetime forever),
#      which would otherwise outlive the migration in the nodes section;
#   6. maintenance-mode back to what it was.
# If a step fails, the cluster stays in maintenance mode with a message; the
# services run on; nothing was restarted.
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

# 2. Pacemaker stops acting
was=$(crm_attribute --type crm_config --name maintenance-mode --query --quiet 2>/dev/null || true)
crm_attribute --type crm_config --name maintenance-mode --update true
say "maintenance mode on (was: ${was:-unset})"

# 3. the agent
crm_resource --resource "$R" --delete-parameter recovery_template >/dev/null 2>&1 || true
cibadmin --modify --scope resources \
    --xml-text "<primitive id=\"$R\" class=\"ocf\" provider=\"$CTFREAK_OCF_PROVIDER\" type=\"pgsql\"/>" \
    || die "the primitive could not be changed (maintenance mode stays on)"
say "$R is now ocf:$CTFREAK_OCF_PROVIDER:pgsql"

# 4. probes by the new agent; its promotion scores
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

# 5. PAF's permanent scores
for n in $nodes; do
    crm_attribute --node "$n" --name "master-$R" --lifetime forever --delete >/dev/null 2>&1 || true
done

# 6. back to normal
if [ -n "$was" ] && [ "$was" != false ]; then
    say "maintenance mode left on, as it was"
else
    crm_attribute --type crm_config --name maintenance-mode --delete
    say "maintenance mode off: the cluster manages $R with ocf:$CTFREAK_OCF_PROVIDER:pgsql"
fi
