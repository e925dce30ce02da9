/* test_dbgate.c: unit tests of the ctfreak agent's database gate
 * (agents/ctfreak/dbgate.c): the database's state, whose session a row of
 * pg_stat_activity is, and whether the start may go on.  Licence: GPL-2.0-or-later. */
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

#include "dbgate.h"

/* This node: two interface addresses, the loopback among them as
 * getifaddrs lists it. */
static const char node_addrs[][INET6_ADDRSTRLEN] = { "127.0.0.1", "10.0.0.1",
                                                    "fe80::1" };

static struct db_node node(bool binary_runs)
{
    struct db_node n = { .binary_runs = binary_runs, .addrs = node_addrs,
                         .naddrs = sizeof(node_addrs) / sizeof(node_addrs[0]) };

    return n;
}

static struct db_session session(const char *addr)
{
    struct db_session s = { .pid = "4242", .addr = addr, .application = "ctfreak" };

    return s;
}

static void a_database_in_recovery_is_a_standby(void **state)
{
    (void) state;

    assert_int_equal(db_state_from_recovery("t"), DB_STANDBY);
    assert_int_equal(db_state_from_recovery("f"), DB_PRIMARY);
}

static void an_unparsable_recovery_answer_counts_as_primary_as_it_always_did(void **state)
{
    (void) state;

    /* Only "t" names a standby. */
    assert_int_equal(db_state_from_recovery(""), DB_PRIMARY);
    assert_int_equal(db_state_from_recovery("true"), DB_PRIMARY);
    assert_int_equal(db_state_from_recovery("T"), DB_PRIMARY);
    assert_int_equal(db_state_from_recovery(NULL), DB_PRIMARY);
}

static void a_session_from_another_node_is_another_instance(void **state)
{
    struct db_session s = session("10.0.0.2");
    struct db_node here = node(false);
    (void) state;

    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_OTHER_INSTANCE);
    here = node(true);
    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_OTHER_INSTANCE);
}

static void our_own_nodes_session_without_a_ctfreak_process_here_is_a_leftover(void **state)
{
    static const char *const ours[] = { "127.0.0.1", "::1", "10.0.0.1", "fe80::1" };
    struct db_node here = node(false);
    struct db_session s = session(NULL);     /* a unix socket */
    (void) state;

    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_LEFTOVER);
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
        s = session(ours[i]);
        assert_int_equal(db_session_judge(&s, &here), DB_SESSION_LEFTOVER);
    }
}

static void our_own_nodes_session_while_ctfreak_runs_here_is_another_instance(void **state)
{
    struct db_node here = node(true);
    struct db_session s = session(NULL);
    (void) state;

    /* start found no process of this instance: the one running here uses
     * another config folder, or was started by hand. */
    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_OTHER_INSTANCE);
    s = session("127.0.0.1");
    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_OTHER_INSTANCE);
    s = session("10.0.0.1");
    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_OTHER_INSTANCE);
}

static void without_the_nodes_addresses_only_socket_and_loopback_are_ours(void **state)
{
    struct db_node here = { .binary_runs = false, .addrs = NULL, .naddrs = 0 };
    struct db_session s = session("10.0.0.1");
    (void) state;

    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_OTHER_INSTANCE);
    s = session("::1");
    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_LEFTOVER);
    s = session(NULL);
    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_LEFTOVER);
}

static void an_empty_or_unparsable_address_is_not_this_nodes(void **state)
{
    static const char empty_slot[][INET6_ADDRSTRLEN] = { "" };
    struct db_node here = node(false);
    struct db_session s = session("");
    (void) state;

    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_OTHER_INSTANCE);
    s = session("not-an-address");
    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_OTHER_INSTANCE);
    s = session("10.0.0.1 ");
    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_OTHER_INSTANCE);
    /* an interface whose address could not be written matches nothing */
    here.addrs = empty_slot;
    here.naddrs = 1;
    s = session("");
    assert_int_equal(db_session_judge(&s, &here), DB_SESSION_OTHER_INSTANCE);
}

static void a_session_is_named_by_role_pid_origin_and_application(void **state)
{
    struct db_session s = { .pid = "77", .addr = "10.0.0.2", .application = "" };
    char who[512];
    (void) state;

    db_session_describe(&s, "ctfreak", who, sizeof(who));
    assert_string_equal(who, "role ctfreak, backend pid 77, from 10.0.0.2, "
                        "application \"\"");
    s.addr = NULL;
    s.application = "psql";
    db_session_describe(&s, "ctfreak", who, sizeof(who));
    assert_string_equal(who, "role ctfreak, backend pid 77, from local socket, "
                        "application \"psql\"");
    db_session_describe(&s, "ctfreak", who, 12);
    assert_string_equal(who, "role ctfrea");
}

static void a_primary_with_no_other_session_opens_the_gate(void **state)
{
    struct db_gate_facts f = { .state = DB_PRIMARY, .other = 0, .err = "", .who = "" };
    char why[256] = "untouched";
    (void) state;

    assert_int_equal(db_gate_judge(&f, why, sizeof(why)), DB_GATE_OPEN);
    assert_string_equal(why, "untouched");
    f.state = DB_NOT_CONFIGURED;
    f.other = -1;
    assert_int_equal(db_gate_judge(&f, why, sizeof(why)), DB_GATE_OPEN);
}

static void another_instances_session_makes_the_start_wait(void **state)
{
    struct db_gate_facts f = { .state = DB_PRIMARY, .other = 1, .err = "",
                               .who = "role ctfreak, backend pid 77" };
    char why[256] = "";
    (void) state;

    assert_int_equal(db_gate_judge(&f, why, sizeof(why)), DB_GATE_BUSY);
    assert_string_equal(why, "another CTFreak instance is connected to the database "
                        "(role ctfreak, backend pid 77); two instances must never "
                        "share one database");
}

static void a_session_check_that_failed_closes_the_gate(void **state)
{
    struct db_gate_facts f = { .state = DB_PRIMARY, .other = -1,
                               .err = "permission denied", .who = "" };
    char why[256] = "";
    (void) state;

    assert_int_equal(db_gate_judge(&f, why, sizeof(why)), DB_GATE_CLOSED);
    assert_string_equal(why, "cannot check for another CTFreak instance: "
                        "permission denied");
}

static void a_database_not_primary_closes_the_gate_at_once(void **state)
{
    struct db_gate_facts f = { .state = DB_STANDBY, .other = -1, .err = "", .who = "" };
    char why[256] = "";
    (void) state;

    assert_int_equal(db_gate_judge(&f, why, sizeof(why)), DB_GATE_CLOSED);
    assert_string_equal(why, "the database is a standby (in recovery)");
    f.state = DB_ERROR;
    f.err = "timeout";
    assert_int_equal(db_gate_judge(&f, why, sizeof(why)), DB_GATE_CLOSED);
    assert_string_equal(why, "the database is in error: timeout");
    f.state = DB_UNREACHABLE;
    f.err = "connection refused";
    assert_int_equal(db_gate_judge(&f, why, sizeof(why)), DB_GATE_CLOSED);
    assert_string_equal(why, "the database is unreachable: connection refused");
    /* another instance is asked about on a primary only */
    f.state = DB_STANDBY;
    f.other = 1;
    f.err = "";
    assert_int_equal(db_gate_judge(&f, why, sizeof(why)), DB_GATE_CLOSED);
}

static void every_database_state_has_a_name(void **state)
{
    (void) state;

    assert_string_equal(db_state_str(DB_NOT_CONFIGURED), "not configured");
    assert_string_equal(db_state_str(DB_PRIMARY), "primary");
    assert_string_equal(db_state_str(DB_STANDBY), "a standby (in recovery)");
    assert_string_equal(db_state_str(DB_UNREACHABLE), "unreachable");
    assert_string_equal(db_state_str(DB_ERROR), "in error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_database_in_recovery_is_a_standby),
        cmocka_unit_test(an_unparsable_recovery_answer_counts_as_primary_as_it_always_did),
        cmocka_unit_test(a_session_from_another_node_is_another_instance),
        cmocka_unit_test(our_own_nodes_session_without_a_ctfreak_process_here_is_a_leftover),
        cmocka_unit_test(our_own_nodes_session_while_ctfreak_runs_here_is_another_instance),
        cmocka_unit_test(without_the_nodes_addresses_only_socket_and_loopback_are_ours),
        cmocka_unit_test(an_empty_or_unparsable_address_is_not_this_nodes),
        cmocka_unit_test(a_session_is_named_by_role_pid_origin_and_application),
        cmocka_unit_test(a_primary_with_no_other_session_opens_the_gate),
        cmocka_unit_test(another_instances_session_makes_the_start_wait),
        cmocka_unit_test(a_session_check_that_failed_closes_the_gate),
        cmocka_unit_test(a_database_not_primary_closes_the_gate_at_once),
        cmocka_unit_test(every_database_state_has_a_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
