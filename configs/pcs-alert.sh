#!/bin/sh
# configs/pcs-alert.sh: registers configs/ctfreak-ha-alert.sh as a Pacemaker alert, so an admin is told
# (a file, a mail or syslog) when CTFreak is blocked by Case 2, after every failover, when the standby
# falls out of sync and when the config folder's lag passes lag_threshold. Licence: GPL-2.0-or-later.
#
# Run it once, as root, on one node of the running cluster, after installing the alert agent on
# every node (same path everywhere):
#   install -D -m 0755 ctfreak-ha-alert.sh /usr/local/lib/ctfreak-ha/ctfreak-ha-alert.sh
# Environment:
#   CTFREAK_ALERT      the alert agent's path on the nodes [/usr/local/lib/ctfreak-ha/ctfreak-ha-alert.sh]
#   CTFREAK_ALERT_TO   where the lines go: a file (writable by hacluster: Pacemaker runs alerts as
#                      that user), a mail address, or "syslog" [/var/log/pacemaker/ctfreak-ha-alerts.log]
#   PGSQL_RESOURCE     the ocf:ctfreak:pgsql primitive's name [pgsqld]
#   CTFREAK_RESOURCE   the ocf:ctfreak:ctfreak primitive's name [ctfreak]
# Running it again replaces the alert (same id, ctfreak-ha).
#
# The alert selects node, fencing and resource events and three attributes (the standby's sync
# state and lag class, the folder's lag class). pcs has no way to select attributes, so the alert
# is written with cibadmin. The crmsh equivalent is in configs/README.md.
set -eu

: "${CTFREAK_ALERT:=/usr/local/lib/ctfreak-ha/ctfreak-ha-alert.sh}"
: "${CTFREAK_ALERT_TO:=/var/log/pacemaker/ctfreak-ha-alerts.log}"
: "${PGSQL_RESOURCE:=pgsqld}" "${CTFREAK_RESOURCE:=ctfreak}"

# The values go into XML attributes: refuse what would need escaping.
for v in "$CTFREAK_ALERT" "$CTFREAK_ALERT_TO" "$PGSQL_RESOURCE" "$CTFREAK_RESOURCE"; do
    case $v in
    *[\"\<\>\&\']* | "")
        echo "pcs-alert.sh: refusing an empty value or one with \" ' < > &: $v" >&2
        exit 1 ;;
    esac
done

xml="<alert id=\"ctfreak-ha\" path=\"$CTFREAK_ALERT\" description=\"CTFreak HA: Case 2, failovers, standby and folder out of sync\">
  <select>
    <select_nodes/>
    <select_fencing/>
    <select_resources/>
    <select_attributes>
      <attribute id=\"ctfreak-ha-sel-sync\" name=\"$PGSQL_RESOURCE-sync\"/>
      <attribute id=\"ctfreak-ha-sel-lag\" name=\"$PGSQL_RESOURCE-lag\"/>
      <attribute id=\"ctfreak-ha-sel-folder\" name=\"confsync-lag\"/>
    </select_attributes>
  </select>
  <meta_attributes id=\"ctfreak-ha-meta\">
    <nvpair id=\"ctfreak-ha-meta-timeout\" name=\"timeout\" value=\"30s\"/>
  </meta_attributes>
  <instance_attributes id=\"ctfreak-ha-options\">
    <nvpair id=\"ctfreak-ha-opt-pgsql\" name=\"pgsql_resource\" value=\"$PGSQL_RESOURCE\"/>
    <nvpair id=\"ctfreak-ha-opt-ctfreak\" name=\"ctfreak_resource\" value=\"$CTFREAK_RESOURCE\"/>
  </instance_attributes>
  <recipient id=\"ctfreak-ha-to\" value=\"$CTFREAK_ALERT_TO\"/>
</alert>"

cibadmin --delete --xpath "//alerts/alert[@id='ctfreak-ha']" >/dev/null 2>&1 || true
# The alerts section is optional in the CIB: create it with the alert when absent.
if cibadmin --query --scope alerts >/dev/null 2>&1; then
    cibadmin --create --scope alerts --xml-text "$xml"
else
    cibadmin --create --scope configuration --xml-text "<alerts>$xml</alerts>"
fi
echo "alert ctfreak-ha: $CTFREAK_ALERT -> $CTFREAK_ALERT_TO"
