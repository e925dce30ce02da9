/* test_notify.c: unit tests of common/notify.c (a Pacemaker notification
 * parsed once, its predicates).  Licence: GPL-2.0-or-later. */
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

#include "notify.h"

#define P "OCF_RESKEY_CRM_meta_notify_"

/* Parses envp, asserting success. */
static void parse(struct ra_notify *n, char *const *envp)
{
    assert_int_equal(ra_notify_parse(n, envp), 0);
}

static void type_and_operation_are_read(void **state)
{
    char *env[] = { "PATH=/bin", P "type=pre", P "operation=promote", NULL };
    struct ra_notify n;
    (void) state;

    parse(&n, env);
    assert_int_equal(n.type, RA_NOTIFY_PRE);
    assert_int_equal(n.op, RA_NOTIFY_PROMOTE);
    assert_true(ra_notify_is(&n, RA_NOTIFY_PRE, RA_NOTIFY_PROMOTE));
    assert_false(ra_notify_is(&n, RA_NOTIFY_POST, RA_NOTIFY_PROMOTE));
    assert_string_equal(n.type_str, "pre");
    ra_notify_free(&n);
}

static void unknown_or_missing_type_and_operation_match_nothing(void **state)
{
    char *none[] = { NULL };
    char *odd[] = { P "type=during", P "operation=migrate_to", NULL };
    char *prefix[] = { P "type_x=pre", P "operationx=start", NULL };
    struct ra_notify n;
    (void) state;

    parse(&n, none);
    assert_int_equal(n.type, RA_NOTIFY_TYPE_UNKNOWN);
    assert_int_equal(n.op, RA_NOTIFY_OP_UNKNOWN);
    assert_string_equal(n.type_str, "");
    ra_notify_free(&n);
    parse(&n, odd);
    assert_int_equal(n.type, RA_NOTIFY_TYPE_UNKNOWN);
    assert_int_equal(n.op, RA_NOTIFY_OP_UNKNOWN);
    ra_notify_free(&n);
    parse(&n, prefix);
    assert_int_equal(n.type, RA_NOTIFY_TYPE_UNKNOWN);
    assert_int_equal(n.op, RA_NOTIFY_OP_UNKNOWN);
    ra_notify_free(&n);
}

static void node_lists_are_split_at_blanks_in_order(void **state)
{
    char *env[] = { P "active_uname= node1\tnode2  node3 ", P "stop_uname= ", NULL };
    struct ra_notify n;
    (void) state;

    parse(&n, env);
    assert_int_equal(n.lists[RA_NODES_ACTIVE].count, 3);
    assert_string_equal(n.lists[RA_NODES_ACTIVE].names[0], "node1");
    assert_string_equal(n.lists[RA_NODES_ACTIVE].names[2], "node3");
    assert_string_equal(ra_notify_first(&n, RA_NODES_ACTIVE), "node1");
    assert_int_equal(n.lists[RA_NODES_STOP].count, 0);
    assert_null(ra_notify_first(&n, RA_NODES_STOP));
    assert_null(ra_notify_first(&n, RA_NODES_START));
    ra_notify_free(&n);
}

static void membership_is_whole_names_only(void **state)
{
    char *env[] = { P "start_uname=node10 node2", NULL };
    struct ra_notify n;
    (void) state;

    parse(&n, env);
    assert_true(ra_notify_has(&n, RA_NODES_START, "node2"));
    assert_true(ra_notify_has(&n, RA_NODES_START, "node10"));
    assert_false(ra_notify_has(&n, RA_NODES_START, "node1"));
    assert_false(ra_notify_has(&n, RA_NODES_START, ""));
    assert_false(ra_notify_has(&n, RA_NODES_START, NULL));
    assert_false(ra_notify_has(&n, RA_NODES_STOP, "node2"));
    ra_notify_free(&n);
}

static void new_role_names_win_over_master_and_slave(void **state)
{
    char *both[] = { P "master_uname=old1", P "promoted_uname=new1",
                     P "slave_uname=old2", P "unpromoted_uname= ", NULL };
    char *legacy[] = { P "master_uname=old1", P "slave_uname=old2 old3", NULL };
    struct ra_notify n;
    (void) state;

    parse(&n, both);
    assert_true(ra_notify_has(&n, RA_NODES_PROMOTED, "new1"));
    assert_false(ra_notify_has(&n, RA_NODES_PROMOTED, "old1"));
    /* set, even if empty: the old name is not read */
    assert_int_equal(n.lists[RA_NODES_UNPROMOTED].count, 0);
    ra_notify_free(&n);
    parse(&n, legacy);
    assert_true(ra_notify_has(&n, RA_NODES_PROMOTED, "old1"));
    assert_true(ra_notify_has(&n, RA_NODES_UNPROMOTED, "old3"));
    ra_notify_free(&n);
}

static void promotion_of_the_promoted_node_is_a_recovery(void **state)
{
    char *recover[] = { P "promote_uname=node1", P "promoted_uname=node1", NULL };
    char *failover[] = { P "promote_uname=node2", P "promoted_uname=node1", NULL };
    char *none[] = { P "promoted_uname=node1", NULL };
    struct ra_notify n;
    (void) state;

    parse(&n, recover);
    assert_string_equal(ra_notify_promote_target(&n), "node1");
    assert_true(ra_notify_is_recovery(&n));
    ra_notify_free(&n);
    parse(&n, failover);
    assert_false(ra_notify_is_recovery(&n));
    ra_notify_free(&n);
    parse(&n, none);
    assert_null(ra_notify_promote_target(&n));
    assert_false(ra_notify_is_recovery(&n));
    ra_notify_free(&n);
}

static void demoted_node_that_keeps_running_makes_a_switchover(void **state)
{
    char *sw[] = { P "demote_uname=node1", P "promote_uname=node2",
                   P "stop_uname= ", NULL };
    char *fail[] = { P "demote_uname=node1", P "promote_uname=node2",
                     P "stop_uname=node1", NULL };
    char *plain[] = { P "promote_uname=node2", NULL };
    struct ra_notify n;
    (void) state;

    parse(&n, sw);
    assert_string_equal(ra_notify_switchover_from(&n), "node1");
    ra_notify_free(&n);
    parse(&n, fail);
    assert_null(ra_notify_switchover_from(&n));
    ra_notify_free(&n);
    parse(&n, plain);
    assert_null(ra_notify_switchover_from(&n));
    ra_notify_free(&n);
}

static void nodes_after_are_active_and_starting_minus_stopping_and_self(void **state)
{
    char *env[] = { P "active_uname=node1 node2 node3", P "start_uname=node4 node5",
                    P "stop_uname=node3 node5", NULL };
    char *empty[] = { P "active_uname=node1", NULL };
    struct ra_notify n;
    char *got;
    (void) state;

    parse(&n, env);
    got = ra_notify_nodes_after(&n, "node1");
    assert_non_null(got);
    assert_string_equal(got, "node2 node4 ");
    free(got);
    ra_notify_free(&n);
    parse(&n, empty);
    got = ra_notify_nodes_after(&n, "node1");
    assert_non_null(got);
    assert_string_equal(got, "");
    free(got);
    ra_notify_free(&n);
}

static void a_list_of_hundreds_of_long_names_is_read_whole(void **state)
{
    enum { N = 400 };
    size_t len = N * 41 + 64;
    char *var = malloc(len);
    char *env[] = { var, NULL };
    struct ra_notify n;
    size_t o;
    (void) state;

    assert_non_null(var);
    o = (size_t) snprintf(var, len, P "active_uname=");
    for (int i = 0; i < N; i++) {
        o += (size_t) snprintf(var + o, len - o, "%039d ", i);
    }
    parse(&n, env);
    assert_int_equal(n.lists[RA_NODES_ACTIVE].count, N);
    assert_true(ra_notify_has(&n, RA_NODES_ACTIVE,
                              "000000000000000000000000000000000000399"));
    ra_notify_free(&n);
    free(var);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_and_operation_are_read),
        cmocka_unit_test(unknown_or_missing_type_and_operation_match_nothing),
        cmocka_unit_test(node_lists_are_split_at_blanks_in_order),
        cmocka_unit_test(membership_is_whole_names_only),
        cmocka_unit_test(new_role_names_win_over_master_and_slave),
        cmocka_unit_test(promotion_of_the_promoted_node_is_a_recovery),
        cmocka_unit_test(demoted_node_that_keeps_running_makes_a_switchover),
        cmocka_unit_test(nodes_after_are_active_and_starting_minus_stopping_and_self),
        cmocka_unit_test(a_list_of_hundreds_of_long_names_is_read_whole),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
