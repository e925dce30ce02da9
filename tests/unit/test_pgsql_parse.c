/* test_pgsql_parse.c: unit tests of agents/pgsql/parse.c (the pgsql agent's
 * parsers of outside text).  Licence: GPL-2.0-or-later. */
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

#include "parse.h"

static const char controldata[] =
    "pg_control version number:            1300\n"
    "Database cluster state:               in archive recovery\n"
    "Latest checkpoint location:           0/3000060\n"
    "Latest checkpoint's REDO location:    0/3000028\n"
    "Latest checkpoint's TimeLineID:       4\n"
    "Minimum recovery ending location:     1/A0\n"
    "Min recovery ending loc's timeline:   5\n"
    "wal_level setting:                    replica\n";

static void lsn_parse_reads_both_halves(void **state)
{
    uint64_t lsn = 0;
    char buf[32];
    (void) state;

    assert_int_equal(pgi_lsn_parse("1A/2B", &lsn), 0);
    assert_true(lsn == ((uint64_t) 0x1A << 32 | 0x2B));
    pgi_lsn_format(lsn, buf, sizeof(buf));
    assert_string_equal(buf, "1A/2B");
}

static void lsn_parse_refuses_what_is_no_lsn(void **state)
{
    uint64_t lsn = 0;
    (void) state;

    assert_int_not_equal(pgi_lsn_parse(NULL, &lsn), 0);
    assert_int_not_equal(pgi_lsn_parse("", &lsn), 0);
    assert_int_not_equal(pgi_lsn_parse("12345", &lsn), 0);
    assert_int_not_equal(pgi_lsn_parse("/", &lsn), 0);
}

static void controldata_parse_reads_every_field(void **state)
{
    struct pg_control cd;
    (void) state;

    assert_int_equal(pgi_controldata_parse(controldata, &cd), 0);
    assert_string_equal(cd.state, "in archive recovery");
    assert_true(cd.ckpt == 0x3000060);
    assert_true(cd.redo == 0x3000028);
    assert_int_equal(cd.tli, 4);
    assert_true(cd.minrec == ((uint64_t) 1 << 32 | 0xA0));
    assert_int_equal(cd.minrec_tli, 5);
    assert_string_equal(cd.wal_level, "replica");
}

static void controldata_parse_refuses_a_missing_field(void **state)
{
    struct pg_control cd;
    char *cut = strdup(controldata);
    (void) state;

    assert_non_null(cut);
    *strstr(cut, "wal_level") = '\0';
    assert_int_not_equal(pgi_controldata_parse(cut, &cd), 0);
    assert_int_not_equal(pgi_controldata_parse(NULL, &cd), 0);
    assert_int_not_equal(pgi_controldata_parse("", &cd), 0);
    free(cut);
}

static void controldata_parse_refuses_a_value_too_long_instead_of_cutting_it(void **state)
{
    struct pg_control cd;
    char *out = NULL;
    char longstate[200];
    (void) state;

    memset(longstate, 'x', sizeof(longstate) - 1);
    longstate[sizeof(longstate) - 1] = '\0';
    assert_true(asprintf(&out, "Database cluster state: %s\n%s", longstate,
                         strchr(controldata, '\n') + 1) > 0);
    assert_int_not_equal(pgi_controldata_parse(out, &cd), 0);
    free(out);
}

static void controldata_parse_refuses_a_timeline_that_is_no_number(void **state)
{
    struct pg_control cd;
    char *bad = strdup(controldata);
    (void) state;

    assert_non_null(bad);
    memcpy(strstr(bad, "TimeLineID:       4") + 18, "x", 1);
    assert_int_not_equal(pgi_controldata_parse(bad, &cd), 0);
    free(bad);
}

static void pidfile_parse_reads_pid_port_and_socket_folder(void **state)
{
    struct pg_pidfile pf;
    (void) state;

    assert_int_equal(pgi_pidfile_parse("4242\n/var/lib/pg\n1700000000\n5432\n"
                                       "/run/postgresql\n*\n", &pf), 0);
    assert_int_equal(pf.pid, 4242);
    assert_string_equal(pf.port, "5432");
    assert_string_equal(pf.sockdir, "/run/postgresql");
}

static void pidfile_parse_refuses_what_names_no_pid(void **state)
{
    struct pg_pidfile pf;
    (void) state;

    assert_int_not_equal(pgi_pidfile_parse("", &pf), 0);
    assert_int_not_equal(pgi_pidfile_parse("1\n", &pf), 0);
    assert_int_not_equal(pgi_pidfile_parse("-5\n", &pf), 0);
    assert_int_not_equal(pgi_pidfile_parse("99999999999999\n", &pf), 0);
    assert_int_not_equal(pgi_pidfile_parse("12abc\n", &pf), 0);
    /* Line 1 is the pid: not a number after blanks or on a later line. */
    assert_int_not_equal(pgi_pidfile_parse(" 4242\n", &pf), 0);
    assert_int_not_equal(pgi_pidfile_parse("\n\n4242\n", &pf), 0);
    assert_int_not_equal(pgi_pidfile_parse("+4242\n", &pf), 0);
}

static void location_parse_reads_the_last_primary_claim(void **state)
{
    unsigned tli = 0;
    uint64_t lsn = 0;
    bool last = false;
    (void) state;

    assert_int_equal(pgi_location_parse("3:0/5000:last-primary", &tli, &lsn,
                                        &last), 0);
    assert_int_equal(tli, 3);
    assert_true(lsn == 0x5000);
    assert_true(last);
    assert_int_equal(pgi_location_parse("3:0/5000", &tli, &lsn, &last), 0);
    assert_false(last);
    assert_int_not_equal(pgi_location_parse("x:0/5000", &tli, &lsn, &last), 0);
    /* A timeline is plain decimal: no blank, no sign, no wrap-around. */
    assert_int_not_equal(pgi_location_parse(" 3:0/5000", &tli, &lsn, &last), 0);
    assert_int_not_equal(pgi_location_parse("-1:0/5000", &tli, &lsn, &last), 0);
    assert_int_not_equal(pgi_location_parse("4294967299:0/5000", &tli, &lsn,
                                            &last), 0);
    assert_int_not_equal(pgi_location_parse("3:", &tli, &lsn, &last), 0);
    assert_int_not_equal(pgi_location_parse(NULL, &tli, &lsn, &last), 0);
}

static void diverged_compares_with_the_primarys_history(void **state)
{
    struct pg_primary_view v = { .tli = 3, .flush = 0x9000,
                                 .history = (char *) "1\t0/3000\tno recovery target\n"
                                            "2\t0/6000\tno recovery target\n" };
    char why[256];
    (void) state;

    assert_false(pgi_diverged(&v, 3, 0x8000, why, sizeof(why)));
    assert_true(pgi_diverged(&v, 3, 0xA000, why, sizeof(why)));
    assert_false(pgi_diverged(&v, 2, 0x6000, why, sizeof(why)));
    assert_true(pgi_diverged(&v, 2, 0x6001, why, sizeof(why)));
    assert_true(pgi_diverged(&v, 4, 0x1000, why, sizeof(why)));
    assert_true(pgi_diverged(&v, 7, 0x1000, why, sizeof(why)));
}

static void diverged_on_timeline_one_compares_with_the_flush_position(void **state)
{
    struct pg_primary_view v = { .tli = 1, .flush = 0x5000, .history = NULL };
    char why[256];
    (void) state;

    assert_false(pgi_diverged(&v, 1, 0x5000, why, sizeof(why)));
    assert_true(pgi_diverged(&v, 1, 0x5001, why, sizeof(why)));
    assert_non_null(strstr(why, "ahead of the primary's 0/5000"));
}

static void diverged_when_the_local_timeline_is_missing_from_the_history(void **state)
{
    struct pg_primary_view v = { .tli = 4, .flush = 0x9000,
                                 .history = (char *) "1\t0/3000\tno recovery target\n"
                                            "3\t0/7000\tno recovery target\n" };
    char why[256];
    (void) state;

    /* timeline 2 forked off elsewhere: not an ancestor of the primary's 4 */
    assert_true(pgi_diverged(&v, 2, 0x1000, why, sizeof(why)));
    assert_non_null(strstr(why, "not in the history"));
    assert_false(pgi_diverged(&v, 3, 0x6FFF, why, sizeof(why)));
    assert_false(pgi_diverged(&v, 1, 0x2000, why, sizeof(why)));
    assert_true(pgi_diverged(&v, 1, 0x3001, why, sizeof(why)));
}

static void control_end_is_the_newest_of_checkpoint_and_recovery_end(void **state)
{
    struct pg_control cd = { .state = "in archive recovery", .ckpt = 0x3000060,
                             .tli = 4, .minrec = 0x4000000, .minrec_tli = 5 };
    unsigned tli = 0;
    uint64_t lsn = 0;
    (void) state;

    pgi_control_end(&cd, &tli, &lsn);
    assert_int_equal(tli, 5);
    assert_true(lsn == 0x4000000);
    cd.minrec = 0;
    cd.minrec_tli = 0;
    pgi_control_end(&cd, &tli, &lsn);
    assert_int_equal(tli, 4);
    assert_true(lsn == 0x3000060);
}

static void control_end_of_a_clean_primary_shutdown_is_past_its_checkpoint(void **state)
{
    struct pg_control cd = { .state = "shut down", .ckpt = 0x3000060, .tli = 2,
                             .minrec = 0, .minrec_tli = 0 };
    unsigned tli = 0;
    uint64_t lsn = 0;
    (void) state;

    pgi_control_end(&cd, &tli, &lsn);
    assert_int_equal(tli, 2);
    assert_true(lsn == 0x3000061);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lsn_parse_reads_both_halves),
        cmocka_unit_test(lsn_parse_refuses_what_is_no_lsn),
        cmocka_unit_test(controldata_parse_reads_every_field),
        cmocka_unit_test(controldata_parse_refuses_a_missing_field),
        cmocka_unit_test(controldata_parse_refuses_a_value_too_long_instead_of_cutting_it),
        cmocka_unit_test(controldata_parse_refuses_a_timeline_that_is_no_number),
        cmocka_unit_test(pidfile_parse_reads_pid_port_and_socket_folder),
        cmocka_unit_test(pidfile_parse_refuses_what_names_no_pid),
        cmocka_unit_test(location_parse_reads_the_last_primary_claim),
        cmocka_unit_test(diverged_compares_with_the_primarys_history),
        cmocka_unit_test(diverged_on_timeline_one_compares_with_the_flush_position),
        cmocka_unit_test(diverged_when_the_local_timeline_is_missing_from_the_history),
        cmocka_unit_test(control_end_is_the_newest_of_checkpoint_and_recovery_end),
        cmocka_unit_test(control_end_of_a_clean_primary_shutdown_is_past_its_checkpoint),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
