# shellcheck shell=bash
# tests/lib/check.sh: the one assertion vocabulary of every shell suite
# (agent and cluster tiers, sourced). A check prints one line, PASS: or FAIL:
# and the sentence; the suite ends with `summary NAME`, whose status is the
# suite's. Licence: GPL-2.0-or-later.
#
#   check SENTENCE CMD...             PASS when CMD succeeds (its output is shown
#                                     only when it fails: the last 5 lines)
#   check_eq SENTENCE EXPECTED ACTUAL PASS when the two strings are equal
#   check_rc SENTENCE EXPECTED ACTUAL [DETAIL]   the same for exit codes
#   pass SENTENCE / fail SENTENCE     a verdict reached by other means
#   not CMD...                        CMD's status inverted (for check and waits)
#   (waits: wait.sh, sourced here: poll and wait_for)
#   info TEXT                         an indented line that is not a verdict
#   summary NAME                      "NAME: P passed, F failed", the failed
#                                     sentences, status 0 only if none failed
#
# CHECK_ON_FAIL, when set, names a command run after every FAIL line (a suite
# shows there what explains a failure: the agent's last stderr, say).

# shellcheck source=wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

PASSES=0
FAILS=0
FAILED=()

pass() { PASSES=$((PASSES + 1)); echo "PASS: $*"; }

fail() {
    FAILS=$((FAILS + 1))
    FAILED+=("$*")
    echo "FAIL: $*"
    [ -z "${CHECK_ON_FAIL:-}" ] || $CHECK_ON_FAIL
}

check() {
    local what=$1 out rc
    shift
    out=$(mktemp /tmp/ctfha-check.XXXXXX) || { fail "$what (mktemp)"; return 1; }
    "$@" > "$out" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        pass "$what"
    else
        fail "$what"
        tail -n 5 "$out" | sed 's/^/    | /'
    fi
    rm -f "$out"
    return $rc
}

check_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (expected '$2', got '$3')"; fi
}

check_rc() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (expected rc $2, got $3) ${4:-}"; fi
}

not() { ! "$@"; }

info() { echo "      $*"; }

summary() {
    local f
    echo "--- ${1:+$1: }$PASSES passed, $FAILS failed"
    for f in "${FAILED[@]}"; do echo "    failed: $f"; done
    [ "$FAILS" -eq 0 ]
}
