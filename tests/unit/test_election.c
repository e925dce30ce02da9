/* test_election.c: unit tests of the pgsql agent's election decisions
 * (agents/pgsql/election.c): the order of candidates, switchover safety,
 * cold-start candidacy, the published location.  Licence: GPL-2.0-or-later. */
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

#include "election.h"
#include "parse.h"

#define LSN(hi, lo) (((uint64_t) (hi) << 32) | (lo))

/* The election as election_better runs it: the local node first, each
 * other candidate replacing the best when it is ahead.  Returns the index
 * of the node promoted (0: the local one). */
static size_t winner(const struct pg_location *locs, size_t n)
{
    size_t best = 0;

    for (size_t i = 1; i < n; i++) {
        if (location_ahead(&locs[i], &locs[best])) {
            best = i;
        }
    }
    return best;
}

static void a_newer_timeline_is_ahead_even_with_a_lower_lsn(void **state)
{
    struct pg_location a = { 3, LSN(0, 0x5000), false };
    struct pg_location b = { 2, LSN(1, 0), true };
    (void) state;

    assert_true(location_ahead(&a, &b));
    assert_false(location_ahead(&b, &a));
}

static void on_one_timeline_the_further_lsn_is_ahead(void **state)
{
    struct pg_location a = { 2, LSN(0, 0x6000), false };
    struct pg_location b = { 2, LSN(0, 0x5FFF), true };
    (void) state;

    assert_true(location_ahead(&a, &b));
    assert_false(location_ahead(&b, &a));
}

static void at_the_same_position_the_last_primary_is_ahead(void **state)
{
    struct pg_location last = { 2, LSN(0, 0x6000), true };
    struct pg_location other = { 2, LSN(0, 0x6000), false };
    (void) state;

    assert_true(location_ahead(&last, &other));
    assert_false(location_ahead(&other, &last));
}

static void equal_locations_are_not_ahead_of_each_other(void **state)
{
    struct pg_location a = { 2, LSN(0, 0x6000), false };
    struct pg_location b = a;
    struct pg_location c = { 2, LSN(0, 0x6000), true };
    struct pg_location d = c;
    (void) state;

    assert_false(location_ahead(&a, &b));
    assert_false(location_ahead(&c, &d));
}

static void the_election_promotes_the_newest_data_whatever_the_order(void **state)
{
    struct pg_location locs[] = {
        { 2, LSN(0, 0x5000), true },    /* local: was primary, behind */
        { 3, LSN(0, 0x1000), false },   /* promoted since: newer timeline */
        { 2, LSN(0, 0x9000), false },
    };
    struct pg_location swapped[] = { locs[2], locs[0], locs[1] };
    (void) state;

    assert_int_equal(winner(locs, 3), 1);
    assert_int_equal(winner(swapped, 3), 2);
}

static void the_local_node_keeps_the_promotion_on_a_tie(void **state)
{
    struct pg_location locs[] = {
        { 4, LSN(0, 0x7000), false },
        { 4, LSN(0, 0x7000), false },
        { 4, LSN(0, 0x6000), true },
    };
    (void) state;

    assert_int_equal(winner(locs, 3), 0);
}

static void a_stale_last_primary_that_caught_up_wins_the_tie_break(void **state)
{
    struct pg_location locs[] = {
        { 5, LSN(0, 0x8000), false },
        { 5, LSN(0, 0x8000), true },
    };
    (void) state;

    assert_int_equal(winner(locs, 2), 1);
}

static void switchover_is_safe_only_past_the_shutdown_checkpoint(void **state)
{
    (void) state;

    assert_false(switchover_safe(LSN(0, 0x3000000), LSN(0, 0x3000028)));
    assert_false(switchover_safe(LSN(0, 0x3000028), LSN(0, 0x3000028)));
    assert_true(switchover_safe(LSN(0, 0x30000A0), LSN(0, 0x3000028)));
    assert_false(switchover_safe(0, 0));
}

static void a_standby_without_any_score_becomes_a_candidate(void **state)
{
    (void) state;

    assert_true(candidacy_applies(NULL));
    assert_false(candidacy_applies("1"));
    assert_false(candidacy_applies("-1000"));
    assert_false(candidacy_applies("1000"));
}

static void only_the_candidate_score_itself_is_withdrawn(void **state)
{
    (void) state;

    assert_true(candidacy_is_ours("1"));
    assert_false(candidacy_is_ours("1000"));
    assert_false(candidacy_is_ours("-1"));
    assert_false(candidacy_is_ours("10"));
    assert_false(candidacy_is_ours(NULL));
}

static void a_published_location_reads_back_the_same(void **state)
{
    const struct pg_location in[] = {
        { 1, 0, false },
        { 7, LSN(0x1A, 0x2B3C), true },
        { 4294967295u, UINT64_MAX, false },
    };
    (void) state;

    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        char buf[64];
        struct pg_location out = { 0, 0, !in[i].last_primary };

        pgi_location_format(in[i].tli, in[i].lsn, in[i].last_primary, buf,
                            sizeof(buf));
        assert_int_equal(pgi_location_parse(buf, &out.tli, &out.lsn,
                                            &out.last_primary), 0);
        assert_int_equal(out.tli, in[i].tli);
        assert_true(out.lsn == in[i].lsn);
        assert_int_equal(out.last_primary, in[i].last_primary);
    }
}

static void a_location_is_written_as_timeline_lsn_and_claim(void **state)
{
    char buf[64];
    (void) state;

    pgi_location_format(3, LSN(0, 0x5000), true, buf, sizeof(buf));
    assert_string_equal(buf, "3:0/5000:last-primary");
    pgi_location_format(12, LSN(1, 0xA0), false, buf, sizeof(buf));
    assert_string_equal(buf, "12:1/A0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_newer_timeline_is_ahead_even_with_a_lower_lsn),
        cmocka_unit_test(on_one_timeline_the_further_lsn_is_ahead),
        cmocka_unit_test(at_the_same_position_the_last_primary_is_ahead),
        cmocka_unit_test(equal_locations_are_not_ahead_of_each_other),
        cmocka_unit_test(the_election_promotes_the_newest_data_whatever_the_order),
        cmocka_unit_test(the_local_node_keeps_the_promotion_on_a_tie),
        cmocka_unit_test(a_stale_last_primary_that_caught_up_wins_the_tie_break),
        cmocka_unit_test(switchover_is_safe_only_past_the_shutdown_checkpoint),
        cmocka_unit_test(a_standby_without_any_score_becomes_a_candidate),
        cmocka_unit_test(only_the_candidate_score_itself_is_withdrawn),
        cmocka_unit_test(a_published_location_reads_back_the_same),
        cmocka_unit_test(a_location_is_written_as_timeline_lsn_and_claim),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
