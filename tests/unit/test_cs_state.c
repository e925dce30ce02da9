/* test_cs_state.c: unit tests of agents/confsync/cs_state.c (what the
 * agent makes of the watcher's state).  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agents/confsync/cs_state.h"

static void lag_class_ignores_what_is_in_flight_under_a_steady_load(void **state)
{
    (void) state;

    assert_string_equal(cs_lag_class(0, 60000), "in-sync");
    assert_string_equal(cs_lag_class(CS_PENDING_MS - 1, 60000), "in-sync");
    assert_string_equal(cs_lag_class(CS_PENDING_MS, 60000), "pending");
    assert_string_equal(cs_lag_class(60000, 60000), "pending");
    assert_string_equal(cs_lag_class(60001, 60000), "behind");
    /* a threshold below the pending window: behind wins */
    assert_string_equal(cs_lag_class(3000, 2000), "behind");
}

static void pending_saturates_and_counts_a_full_sync_as_one(void **state)
{
    struct cs_state st;
    (void) state;

    memset(&st, 0, sizeof(st));
    st.npeers = 3;
    st.peers[0].pending = 4;
    st.peers[1].pending = -1;
    st.peers[2].pending = 0;
    assert_int_equal(cs_state_pending(&st), 5);
    st.peers[2].pending = LONG_MAX;
    assert_true(cs_state_pending(&st) == LONG_MAX);
}

static void oldest_change_is_the_oldest_over_all_peers(void **state)
{
    struct cs_state st;
    (void) state;

    memset(&st, 0, sizeof(st));
    assert_true(cs_state_oldest_ms(&st) == 0);
    st.npeers = 3;
    st.peers[0].oldest_mono_ms = 900;
    st.peers[1].oldest_mono_ms = 0;
    st.peers[2].oldest_mono_ms = 400;
    assert_true(cs_state_oldest_ms(&st) == 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lag_class_ignores_what_is_in_flight_under_a_steady_load),
        cmocka_unit_test(pending_saturates_and_counts_a_full_sync_as_one),
        cmocka_unit_test(oldest_change_is_the_oldest_over_all_peers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
