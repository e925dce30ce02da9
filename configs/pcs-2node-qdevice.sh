#!/bin/sh
# configs/pcs-2node-qdevice.sh: the recommended pcs configuration of a 2-node CTFreak cluster with a quorum
# device (corosync-qdevice on both nodes voting through corosync-qnetd on a third machine). Licence: GPL-2.0-or-later.
#
# Run it once, as root, on one node of a running 2-node cluster whose corosync
# quorum section is configs/corosync-2node-qdevice.conf (no "two_node", a
# device with algorithm ffsplit and heuristics pinging the clients' side),
# with fencing devices created, PostgreSQL set up as primary + streaming
# standby and the CTFreak config folder on both nodes. With pcsd on the three
# machines, the device is added by:
#   arbiter:  pcs qdevice setup model net --enable --start
#   one node: pcs quorum device add model net host=<arbiter> algorithm=ffsplit \
#                 timeout=1500 sync_timeout=5000 \
#                 heuristics mode=sync timeout=1000 \
#                 exec_ping="/bin/ping -q -c 1 -W 1 <gateway>"
#
# The resources and constraints are those of configs/pcs-2node.sh, run from
# this script's folder with the same environment variables (see its header),
# except PRIORITY_FENCING_DELAY, which is always 0 here. What changes:
#
#   priority-fencing-delay=0   Nobody races. On a split, the arbiter gives its
#                              vote to one side (the one that reaches the
#                              clients: heuristics); that side keeps quorum
#                              and fences the other at once. When the active
#                              node dies, the survivor fences it at once too
#                              (the delay would only make it wait).
#   no-quorum-policy=demote    What a node does when it loses quorum (cut off
#                              from its peer and the arbiter, or on the side
#                              the arbiter did not choose): it demotes its
#                              PostgreSQL and config folder to standbys and
#                              stops CTFreak and the floating IP, at once and
#                              without waiting to be fenced. So it never serves
#                              clients or accepts writes beside the new
#                              primary, even if fencing it fails. "stop" would
#                              be as safe but leaves nothing running: "demote"
#                              keeps the database a warm standby, so when
#                              quorum comes back (the network heals while the
#                              other node cannot take over, or the arbiter
#                              returns) the cluster only has to promote it.
#                              Pacemaker's default, "stop", is kept for the
#                              resources that are not promotable.
#
# Node-specific values: the environment variables of configs/pcs-2node.sh.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

# The quorum device must be configured, and two_node must be gone: with
# two_node a split is again decided by a fence race, with no delay to make the
# active node win it.
if ! corosync-cmapctl -g quorum.device.model >/dev/null 2>&1; then
    echo "pcs-2node-qdevice.sh: corosync has no quorum device (quorum.device); see configs/corosync-2node-qdevice.conf" >&2
    exit 1
fi
if corosync-cmapctl -g quorum.two_node 2>/dev/null | grep -q '= 1$'; then
    echo "pcs-2node-qdevice.sh: corosync has two_node: 1; remove it when a quorum device votes" >&2
    exit 1
fi

pcs property set no-quorum-policy=demote
PRIORITY_FENCING_DELAY=0 sh "$here/pcs-2node.sh"
