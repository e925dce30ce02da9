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
CTFREAK_QUORUM_NODE=$NODE3
export PRIORITY_FENCING_DELAY CTFREAK_QUORUM_NODE
exec sh "$here/pcs-2node.sh"
