#!/bin/sh
# configs/pcs-3node.sh: the recommended pcs configuration with two data nodes and a quorum-only third node.
# Licence: GPL-2.0-or-later.
#
# Same resources, constraints and environment variables as pcs-2node.sh (run
# it from the same folder), plus NODE3, the quorum node: it runs no database,
# no config folder and no CTFreak, only corosync and pacemaker (and fencing),
# so a network cut of either data node leaves a majority that fences it and
# fails over: no fence race, no priority-fencing-delay needed (set to 0).
# Corosync: a plain 3-node quorum section (no two_node). Nothing is probed on
# NODE3 (resource-discovery=never): it needs no PostgreSQL at all.
set -eu

: "${NODE3:=node3}"
here=$(cd "$(dirname "$0")" && pwd)
PRIORITY_FENCING_DELAY=${PRIORITY_FENCING_DELAY:-0}
export PRIORITY_FENCING_DELAY
sh "$here/pcs-2node.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pcs cluster cib "$work/cib.xml"
cp "$work/cib.xml" "$work/orig.xml"
for rsc in pgsql-clone confsync-clone ctfreak ctfreak-ip; do
    if [ "$rsc" = confsync-clone ] && [ "${CTFREAK_FOLDER_SYNC:-confsync}" != confsync ]; then
        continue
    fi
    pcs -f "$work/cib.xml" constraint location add "loc-$rsc-not-on-quorum-node" \
        "$rsc" "$NODE3" -INFINITY resource-discovery=never
done
crm_verify -x "$work/cib.xml" -V
pcs cluster cib-push "$work/cib.xml" diff-against="$work/orig.xml"
