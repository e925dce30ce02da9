/* test_standbys.c: unit tests of the primary's decisions about its standbys
 * (agents/pgsql/standbys.c): which walsenders are ours, their verdicts and
 * scores, synchronous_standby_names.  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "standbys.h"

/* A pg_stat_replication row. */
static struct standby_row row(const char *state, const char *sync, long long lag)
{
    struct standby_row r;

    snprintf(r.name, sizeof(r.name), "node2");
    snprintf(r.state, sizeof(r.state), "%s", state);
    snprintf(r.sync, sizeof(r.sync), "%s", sync);
    r.lag = lag;
    return r;
}

static void a_standby_not_streaming_is_not_ready(void **state)
{
    struct standby_row r = row("catchup", "async", 0);
    (void) state;

    assert_int_equal(standby_judge(&r, false, 0, false), STANDBY_NOT_READY);
    r = row("startup", "sync", 0);
    assert_int_equal(standby_judge(&r, false, 0, true), STANDBY_NOT_READY);
}

static void a_name_used_by_two_walsenders_is_not_ready(void **state)
{
    struct standby_row r = row("streaming", "sync", 0);
    (void) state;

    assert_int_equal(standby_judge(&r, true, 0, false), STANDBY_NOT_READY);
}

static void a_standby_beyond_maxlag_is_lagging(void **state)
{
    struct standby_row r = row("streaming", "sync", 1001);
    (void) state;

    assert_int_equal(standby_judge(&r, false, 1000, false), STANDBY_LAGGING);
    r.lag = 1000;
    assert_int_equal(standby_judge(&r, false, 1000, false), STANDBY_HEALTHY);
    /* maxlag 0: no limit */
    r.lag = 1LL << 40;
    assert_int_equal(standby_judge(&r, false, 0, false), STANDBY_HEALTHY);
    assert_false(standby_is_healthy(STANDBY_LAGGING));
}

static void with_synchronous_on_an_async_standby_is_healthy_but_unranked(void **state)
{
    struct standby_row r = row("streaming", "async", 0);
    (void) state;

    assert_int_equal(standby_judge(&r, false, 0, true), STANDBY_UNSYNCED);
    assert_true(standby_is_healthy(STANDBY_UNSYNCED));
    r = row("streaming", "potential", 0);
    assert_int_equal(standby_judge(&r, false, 0, true), STANDBY_UNSYNCED);
}

static void with_synchronous_on_a_sync_or_quorum_standby_is_ranked(void **state)
{
    struct standby_row r = row("streaming", "sync", 0);
    (void) state;

    assert_int_equal(standby_judge(&r, false, 0, true), STANDBY_HEALTHY);
    r = row("streaming", "quorum", 0);
    assert_int_equal(standby_judge(&r, false, 0, true), STANDBY_HEALTHY);
    assert_true(standby_is_healthy(STANDBY_HEALTHY));
}

static void with_synchronous_off_every_streaming_standby_is_ranked(void **state)
{
    struct standby_row r = row("streaming", "async", 0);
    (void) state;

    assert_int_equal(standby_judge(&r, false, 0, false), STANDBY_HEALTHY);
    assert_false(standby_is_healthy(STANDBY_NOT_READY));
}

static void ranked_standbys_score_below_the_primary_in_steps_of_ten(void **state)
{
    (void) state;

    assert_int_equal(standby_rank_score(0), 1000);
    assert_int_equal(standby_rank_score(1), 990);
    assert_int_equal(standby_rank_score(2), 980);
    assert_true(standby_rank_score(0) < atoi(SCORE_PRIMARY));
    assert_true(standby_rank_score(31) > atoi(SCORE_NOT_READY));
}

static void lag_is_shown_as_a_class_that_a_steady_load_does_not_move(void **state)
{
    (void) state;

    assert_string_equal(standby_lag_class(0), "<1MB");
    assert_string_equal(standby_lag_class(1024 * 1024 - 1), "<1MB");
    assert_string_equal(standby_lag_class(1024 * 1024), "<16MB");
    assert_string_equal(standby_lag_class(16LL * 1024 * 1024 - 1), "<16MB");
    assert_string_equal(standby_lag_class(16LL * 1024 * 1024), "behind");
    assert_string_equal(standby_lag_class(1LL << 40), "behind");
    assert_string_equal(standby_lag_class(-1), "unknown");
}

static void synchronous_on_lists_the_healthy_standbys_or_none(void **state)
{
    char *want = NULL;
    (void) state;

    assert_int_equal(ssn_wanted("on", "\"node2\", \"node3\"", &want), 0);
    assert_non_null(want);
    assert_string_equal(want, "ANY 1 (\"node2\", \"node3\")");
    free(want);
    assert_int_equal(ssn_wanted("on", "", &want), 0);
    assert_non_null(want);
    assert_string_equal(want, "");
    free(want);
}

static void synchronous_strict_waits_for_any_standby(void **state)
{
    char *want = NULL;
    (void) state;

    assert_int_equal(ssn_wanted("strict", "", &want), 0);
    assert_non_null(want);
    assert_string_equal(want, "ANY 1 (*)");
    free(want);
    assert_int_equal(ssn_wanted("strict", "\"node2\"", &want), 0);
    assert_string_equal(want, "ANY 1 (*)");
    free(want);
}

static void synchronous_off_leaves_the_setting_alone(void **state)
{
    char *want = (char *) "unchanged";
    (void) state;

    assert_int_equal(ssn_wanted("off", "\"node2\"", &want), 0);
    assert_null(want);
}

static void only_a_cluster_node_other_than_self_is_a_standby_of_ours(void **state)
{
    char nodes[3][128] = { "node1", "node2", "node3" };
    (void) state;

    assert_true(standby_is_ours("node2", "node1", nodes, 3));
    assert_false(standby_is_ours("node1", "node1", nodes, 3));
    assert_false(standby_is_ours("barman", "node1", nodes, 3));
    assert_false(standby_is_ours("node3", "node1", nodes, 2));
    assert_false(standby_is_ours("node2", "node1", nodes, -1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_standby_not_streaming_is_not_ready),
        cmocka_unit_test(a_name_used_by_two_walsenders_is_not_ready),
        cmocka_unit_test(a_standby_beyond_maxlag_is_lagging),
        cmocka_unit_test(with_synchronous_on_an_async_standby_is_healthy_but_unranked),
        cmocka_unit_test(with_synchronous_on_a_sync_or_quorum_standby_is_ranked),
        cmocka_unit_test(with_synchronous_off_every_streaming_standby_is_ranked),
        cmocka_unit_test(ranked_standbys_score_below_the_primary_in_steps_of_ten),
        cmocka_unit_test(synchronous_on_lists_the_healthy_standbys_or_none),
        cmocka_unit_test(synchronous_strict_waits_for_any_standby),
        cmocka_unit_test(synchronous_off_leaves_the_setting_alone),
        cmocka_unit_test(only_a_cluster_node_other_than_self_is_a_standby_of_ours),
        cmocka_unit_test(lag_is_shown_as_a_class_that_a_steady_load_does_not_move),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
