# shellcheck shell=bash
# tests/lib/fakes.sh: Pacemaker's command-line tools faked on an agent's PATH
# (sourced by the agent suites; the cluster suites run the real ones).
# Licence: GPL-2.0-or-later.
#
#   fake_pcmk_attrs BINDIR      attrd_updater, crm_attribute and crm_node that
#       keep values in $FAKE_ATTRS/<node>/<name> (crm_attribute: the promotion
#       score, promotion-$OCF_RESOURCE_INSTANCE), log each argv to
#       $FAKE_ATTRS/calls.log, and list the nodes of $FAKE_ATTRS/nodes
#       (crm_node -l). The agent's environment must carry FAKE_ATTRS.
#   fake_pcmk_offline BINDIR LOG RC [TOOLS...]   tools (default attrd_updater
#       crm_attribute crm_node crm_resource) that append their argv to LOG and
#       fail with RC, as on a node whose cluster is not running.

fake_pcmk_attrs() {
    local bin=$1
    cat > "$bin/attrd_updater" <<'EOF'
#!/bin/bash
echo "attrd_updater $*" >> "$FAKE_ATTRS/calls.log"
name= node= op= val=
while [ $# -gt 0 ]; do
    case $1 in
    -n) name=$2; shift ;;
    -N) node=$2; shift ;;
    -U|-B) op=U; val=$2; shift ;;
    -Q) op=Q ;;
    -D) op=D ;;
    esac
    shift
done
f=$FAKE_ATTRS/$node/$name
case $op in
U) mkdir -p "$FAKE_ATTRS/$node"; printf '%s' "$val" > "$f" ;;
D) rm -f "$f" ;;
Q) [ -f "$f" ] || exit 6; echo "name=\"$name\" host=\"$node\" value=\"$(cat "$f")\"" ;;
esac
exit 0
EOF
    cat > "$bin/crm_attribute" <<'EOF'
#!/bin/bash
echo "crm_attribute $*" >> "$FAKE_ATTRS/calls.log"
node= op= val=
while [ $# -gt 0 ]; do
    case $1 in
    -N) node=$2; shift ;;
    -v) op=U; val=$2; shift ;;
    -G) op=Q ;;
    -D) op=D ;;
    esac
    shift
done
f=$FAKE_ATTRS/$node/promotion-$OCF_RESOURCE_INSTANCE
case $op in
U) mkdir -p "$FAKE_ATTRS/$node"; printf '%s' "$val" > "$f" ;;
D) rm -f "$f" ;;
Q) [ -f "$f" ] || exit 6; cat "$f"; echo ;;
esac
exit 0
EOF
    cat > "$bin/crm_node" <<'EOF'
#!/bin/bash
echo "crm_node $*" >> "$FAKE_ATTRS/calls.log"
[ "$1" = -l ] && [ -f "$FAKE_ATTRS/nodes" ] || exit 1
i=0
while read -r n; do i=$((i + 1)); echo "$i $n member"; done < "$FAKE_ATTRS/nodes"
EOF
    chmod 755 "$bin/attrd_updater" "$bin/crm_attribute" "$bin/crm_node"
}

fake_pcmk_offline() {
    local bin=$1 log=$2 rc=$3 tool say=
    shift 3
    [ $# -gt 0 ] || set -- attrd_updater crm_attribute crm_node crm_resource
    for tool in "$@"; do
        # 102 is Pacemaker's "not connected": say it as the real tools do
        [ "$rc" = 102 ] && say="echo \"$tool: could not connect to the cluster (test)\" >&2"
        printf '#!/bin/sh\necho "%s $*" >> "%s"\n%s\nexit %d\n' "$tool" "$log" "$say" "$rc" > "$bin/$tool"
        chmod 755 "$bin/$tool"
    done
}
