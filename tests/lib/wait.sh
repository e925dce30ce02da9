# shellcheck shell=bash
# tests/lib/wait.sh: the one way a test waits for something (sourced by
# check.sh and cluster.sh, so by every suite, the demo and the benchmarks).
# Licence: GPL-2.0-or-later.
#
#   poll SECONDS CMD...       runs CMD (its output discarded) until it succeeds,
#                             every POLL_STEP seconds (default 0.1); fails when
#                             SECONDS have passed. A cluster probe (ctl exec,
#                             psql in a node) costs tens of ms: 0.1 s is enough.
#   wait_for SECONDS CMD...   the same every 50 ms, for the agent suites' local
#                             checks (a file, a process, a port).

poll() {
    local end=$(( ${EPOCHREALTIME/./} + $1 * 1000000 )) step=${POLL_STEP:-0.1}
    shift
    until "$@" > /dev/null 2>&1; do
        [ "${EPOCHREALTIME/./}" -ge "$end" ] && return 1
        sleep "$step"
    done
}

wait_for() { POLL_STEP=0.05 poll "$@"; }
