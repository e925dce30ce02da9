#!/bin/sh
# configs/ctfreak-ha-alert.sh: a Pacemaker alert agent that tells an admin what matters in a CTFreak
# cluster, one line per event. Licence: GPL-2.0-or-later.
#
# Install it on every node as an executable (e.g. /usr/local/lib/ctfreak-ha/ctfreak-ha-alert.sh,
# root:root 0755) and register it once with configs/pcs-alert.sh (or the crmsh lines in
# configs/README.md). Pacemaker runs it as the hacluster user for each event it selects; it
# reports:
#   - CTFreak blocked by Case 2 (the ctfreak resource's start returned "not configured": no
#     failover; restore from backup, README "Case 2: restore")
#   - a failover or switchover: PostgreSQL promoted on a node; CTFreak started on a node
#   - a node fenced, a node lost by or back in the cluster
#   - the standby out of sync (PGSQL-sync "disconnected", "async" or "potential", PGSQL-lag
#     "behind") and back in sync
#   - the config folder's lag past lag_threshold (confsync-lag "behind") and back in sync
# and nothing else (routine monitors and attribute values are not news).
#
# Where the line goes is the recipient's value:
#   /path/file        appended to that file (the directory must be writable by hacluster)
#   user@example.com  mailed with sendmail(8) (any MTA providing /usr/sbin/sendmail)
#   anything else     logged with logger(1) under the tag ctfreak-ha-alert
# Lines start with the event's time in ISO 8601 with the zone, e.g.
#   2026-12-05T09:14:03+01:00 ctfreak-ha: node2: failover: PostgreSQL promoted (the primary)
#
# Options (pcs alert create ... options NAME=VALUE): ctfreak_resource (default ctfreak),
# pgsql_resource (default pgsqld), confsync_attribute (default confsync-lag).
set -u

ctf=${ctfreak_resource:-ctfreak}
pg=${pgsql_resource:-pgsqld}
cs=${confsync_attribute:-confsync-lag}
node=${CRM_alert_node:-?}

when() {
    if [ -n "${CRM_alert_timestamp_epoch:-}" ]; then
        date -d "@$CRM_alert_timestamp_epoch" '+%Y-%m-%dT%H:%M:%S%:z' 2>/dev/null && return
    fi
    date '+%Y-%m-%dT%H:%M:%S%:z'
}

# The news in one line, or nothing.
news() {
    case ${CRM_alert_kind:-} in
    resource)
        rsc=${CRM_alert_rsc:-} task=${CRM_alert_task:-} rc=${CRM_alert_rc:-}
        # a clone instance's history carries its instance number (pgsqld:0)
        rsc=${rsc%%:*}
        if [ "$rsc" = "$ctf" ] && [ "$task" = start ] && [ "$rc" = 6 ]; then
            echo "CTFreak BLOCKED (Case 2: it fails to start while its database is healthy); no failover. Send the instance log to CTFreak support, then restore the config folder and the database from the same backup (README, \"Case 2: restore\"); crm_mon -1 shows the reason"
        elif [ "$rsc" = "$ctf" ] && [ "$task" = start ] && [ "$rc" = 0 ]; then
            echo "CTFreak started here (it serves clients on the floating IP)"
        elif [ "$rsc" = "$pg" ] && [ "$task" = promote ] && [ "$rc" = 0 ]; then
            echo "failover: PostgreSQL promoted (the primary)"
        elif [ "$rsc" = "$pg" ] && [ "$task" = promote ]; then
            echo "PostgreSQL promotion FAILED (${CRM_alert_desc:-rc $rc})"
        fi ;;
    fencing)
        echo "fencing: ${CRM_alert_desc:-node $node fenced} (rc ${CRM_alert_rc:-?})" ;;
    node)
        case ${CRM_alert_desc:-} in
        lost) echo "left the cluster" ;;
        member) echo "joined the cluster" ;;
        esac ;;
    attribute)
        name=${CRM_alert_attribute_name:-} value=${CRM_alert_attribute_value:-}
        case $name:$value in
        "$pg-sync:disconnected" | "$pg-sync:async" | "$pg-sync:potential")
            echo "standby OUT OF SYNC: $name=$value (not every commit is on it: a failover now could not promote it)" ;;
        "$pg-sync:sync" | "$pg-sync:quorum")
            echo "standby in sync again ($name=$value)" ;;
        "$pg-lag:behind")
            echo "standby BEHIND: $name=$value (16 MiB or more of WAL not yet flushed there)" ;;
        "$cs:behind")
            echo "config folder BEHIND: $name=$value (a change older than lag_threshold is not on the standby; crm_mon -1 says why)" ;;
        "$cs:in-sync")
            echo "config folder in sync again ($name=$value)" ;;
        esac ;;
    esac
}

msg=$(news)
[ -n "$msg" ] || exit 0
line="$(when) ctfreak-ha: $node: $msg"
to=${CRM_alert_recipient:-}
case $to in
/*)
    # one write of a short line with O_APPEND: concurrent alerts do not mix
    printf '%s\n' "$line" >> "$to" ;;
*@*)
    printf 'To: %s\nSubject: ctfreak-ha: %s: %.60s\n\n%s\n' "$to" "$node" "$msg" "$line" |
        /usr/sbin/sendmail -t -i ;;
*)
    logger -t ctfreak-ha-alert -- "$line" ;;
esac
