/* test_state.c: unit tests of agents/pgsql/state.c's pure decisions (the
 * state of a stopped server, the names of states).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "state.h"

static void a_clean_shutdown_is_stopped(void **state)
{
    (void) state;

    assert_int_equal(pg_state_of_control("shut down"), PG_STOPPED);
    assert_int_equal(pg_state_of_control("shut down in recovery"), PG_STOPPED);
}

static void a_server_down_in_production_is_a_crashed_primary(void **state)
{
    (void) state;

    assert_int_equal(pg_state_of_control("in production"), PG_CRASHED_PRIMARY);
}

static void a_server_down_in_any_other_state_is_a_crashed_standby(void **state)
{
    (void) state;

    assert_int_equal(pg_state_of_control("in archive recovery"), PG_CRASHED_STANDBY);
    assert_int_equal(pg_state_of_control("in crash recovery"), PG_CRASHED_STANDBY);
    assert_int_equal(pg_state_of_control("shutting down"), PG_CRASHED_STANDBY);
    assert_int_equal(pg_state_of_control("shut down "), PG_CRASHED_STANDBY);
}

static void every_state_has_its_own_name(void **state)
{
    (void) state;

    for (int a = PG_ERROR; a <= PG_STANDBY; a++) {
        assert_string_not_equal(pg_state_str((enum pg_state) a), "?");
        for (int b = a + 1; b <= PG_STANDBY; b++) {
            assert_string_not_equal(pg_state_str((enum pg_state) a),
                                    pg_state_str((enum pg_state) b));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_clean_shutdown_is_stopped),
        cmocka_unit_test(a_server_down_in_production_is_a_crashed_primary),
        cmocka_unit_test(a_server_down_in_any_other_state_is_a_crashed_standby),
        cmocka_unit_test(every_state_has_its_own_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
