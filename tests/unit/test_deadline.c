/* test_deadline.c: unit tests of common/deadline.c (an action's time budget).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "deadline.h"

/* Scheduling slack allowed on a loaded 2-core machine (and under valgrind). */
#define SLACK_MS 150

static void deadline_init_leaves_the_whole_timeout_remaining(void **state)
{
    struct ra_deadline d;
    long left;
    (void) state;

    ra_deadline_init(&d, 10000);
    left = ra_deadline_remaining_ms(&d);
    assert_in_range(left, 10000 - SLACK_MS, 10000);
    assert_false(ra_deadline_passed(&d));
}

static void deadline_init_handles_sub_second_carry(void **state)
{
    struct ra_deadline d;
    (void) state;

    /* 999 ms added to any tv_nsec must normalise into tv_sec. */
    for (int i = 0; i < 20; i++) {
        ra_deadline_init(&d, 1999);
        assert_in_range(d.end.tv_nsec, 0, 999999999);
        assert_in_range(ra_deadline_remaining_ms(&d), 1999 - SLACK_MS, 1999);
    }
}

static void deadline_with_zero_or_negative_timeout_has_already_passed(void **state)
{
    struct ra_deadline d;
    (void) state;

    ra_deadline_init(&d, 0);
    assert_true(ra_deadline_passed(&d));
    assert_int_equal(ra_deadline_remaining_ms(&d), 0);
    ra_deadline_init(&d, -5000);
    assert_true(ra_deadline_passed(&d));
    assert_int_equal(ra_deadline_remaining_ms(&d), 0);
}

static void deadline_remaining_never_goes_negative_after_it_passed(void **state)
{
    struct ra_deadline d;
    (void) state;

    ra_deadline_init(&d, 30);
    assert_false(ra_deadline_sleep_ms(&d, 1000));
    assert_true(ra_deadline_passed(&d));
    assert_int_equal(ra_deadline_remaining_ms(&d), 0);
    assert_int_equal(ra_deadline_cap_ms(&d, 100), 0);
    assert_int_equal(ra_deadline_cap_ms(&d, 0), 0);
}

static void deadline_cap_returns_the_smaller_of_limit_and_time_left(void **state)
{
    struct ra_deadline d;
    (void) state;

    ra_deadline_init(&d, 5000);
    assert_int_equal(ra_deadline_cap_ms(&d, 200), 200);
    assert_in_range(ra_deadline_cap_ms(&d, 60000), 5000 - SLACK_MS, 5000);
    /* limit <= 0: no limit */
    assert_in_range(ra_deadline_cap_ms(&d, 0), 5000 - SLACK_MS, 5000);
    assert_in_range(ra_deadline_cap_ms(&d, -1), 5000 - SLACK_MS, 5000);
}

static void deadline_sleep_sleeps_the_requested_time_when_there_is_room(void **state)
{
    struct ra_deadline d;
    long long t0;
    long long took;
    (void) state;

    ra_deadline_init(&d, 5000);
    t0 = ra_now_ms();
    assert_true(ra_deadline_sleep_ms(&d, 100));
    took = ra_now_ms() - t0;
    assert_in_range(took, 99, 100 + SLACK_MS);
}

static void deadline_sleep_never_sleeps_past_the_deadline(void **state)
{
    struct ra_deadline d;
    long long t0;
    long long took;
    (void) state;

    ra_deadline_init(&d, 150);
    t0 = ra_now_ms();
    assert_false(ra_deadline_sleep_ms(&d, 5000));
    took = ra_now_ms() - t0;
    assert_in_range(took, 100, 150 + SLACK_MS);
    assert_true(ra_deadline_passed(&d));
}

static void deadline_sleep_returns_at_once_when_already_passed(void **state)
{
    struct ra_deadline d;
    long long t0;
    (void) state;

    ra_deadline_init(&d, 0);
    t0 = ra_now_ms();
    assert_false(ra_deadline_sleep_ms(&d, 2000));
    assert_in_range(ra_now_ms() - t0, 0, SLACK_MS);
}

static void now_ms_is_monotonic(void **state)
{
    long long a;
    long long b;
    (void) state;

    a = ra_now_ms();
    b = ra_now_ms();
    assert_true(a > 0);
    assert_true(b >= a);
}

/* The budget ra_deadline_for_action leaves for op_timeout_ms. */
static long budget_for(long op_timeout_ms)
{
    struct ra_deadline d;

    ra_deadline_for_action(&d, op_timeout_ms);
    return ra_deadline_remaining_ms(&d);
}

static void deadline_for_action_keeps_a_ten_percent_margin(void **state)
{
    (void) state;
    /* 20 s: 2 s margin */
    assert_in_range(budget_for(20000), 18000 - SLACK_MS, 18000);
    /* 10 s: 1 s margin */
    assert_in_range(budget_for(10000), 9000 - SLACK_MS, 9000);
}

static void deadline_for_action_keeps_at_least_half_a_second(void **state)
{
    (void) state;
    /* 10% of 3 s is 300 ms: raised to 500 ms */
    assert_in_range(budget_for(3000), 2500 - SLACK_MS, 2500);
    /* 10% of 5 s is exactly 500 ms */
    assert_in_range(budget_for(5000), 4500 - SLACK_MS, 4500);
}

static void deadline_for_action_keeps_at_most_five_seconds(void **state)
{
    (void) state;
    /* 10% of 120 s is 12 s: capped to 5 s */
    assert_in_range(budget_for(120000), 115000 - SLACK_MS, 115000);
    assert_in_range(budget_for(50000), 45000 - SLACK_MS, 45000);
}

static void deadline_for_action_never_takes_more_than_half(void **state)
{
    (void) state;
    /* 600 ms: the 500 ms minimum would leave 100 ms; half is kept instead */
    assert_in_range(budget_for(600), 300 - SLACK_MS, 300);
    assert_in_range(budget_for(1000), 500 - SLACK_MS, 500);
    assert_int_equal(budget_for(0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deadline_init_leaves_the_whole_timeout_remaining),
        cmocka_unit_test(deadline_init_handles_sub_second_carry),
        cmocka_unit_test(deadline_with_zero_or_negative_timeout_has_already_passed),
        cmocka_unit_test(deadline_remaining_never_goes_negative_after_it_passed),
        cmocka_unit_test(deadline_cap_returns_the_smaller_of_limit_and_time_left),
        cmocka_unit_test(deadline_sleep_sleeps_the_requested_time_when_there_is_room),
        cmocka_unit_test(deadline_sleep_never_sleeps_past_the_deadline),
        cmocka_unit_test(deadline_sleep_returns_at_once_when_already_passed),
        cmocka_unit_test(now_ms_is_monotonic),
        cmocka_unit_test(deadline_for_action_keeps_a_ten_percent_margin),
        cmocka_unit_test(deadline_for_action_keeps_at_least_half_a_second),
        cmocka_unit_test(deadline_for_action_keeps_at_most_five_seconds),
        cmocka_unit_test(deadline_for_action_never_takes_more_than_half),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
