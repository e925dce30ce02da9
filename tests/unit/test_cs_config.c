/* test_cs_config.c: unit tests of agents/confsync/cs_config.c, the agent ->
 * watcher channel (what the agent writes, the watcher reads back).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agents/confsync/cs_config.h"

static const char *excludes[] = { "*.tmp", "license/**", NULL };
static const char *peers[] = { "node2=192.168.234.2", "node3=[fd00::3]:2222", NULL };

static struct cs_config sample(void)
{
    return (struct cs_config) {
        .instance = "confsync", .node = "node1", .source = true,
        .dir = "/var/lib/ctfreak", .state = "/run/resource-agents/confsync.state",
        .quarantine = "/var/lib/ctfreak.quarantine", .transport = "rsyncd",
        .ssh_user = "root", .ssh_key = "", .known_hosts = "",
        .rsyncd_port = "8730", .secrets_file = "/etc/ctfreak-ha/confsync.secrets",
        .delay_ms = 250, .excludes = excludes, .nexcludes = 2,
        .peers = peers, .npeers = 2,
    };
}

static int argc_of(const char **argv)
{
    int n = 0;

    while (argv[n] != NULL) {
        n++;
    }
    return n;
}

/* Everything the agent writes is what the watcher reads back. */
static void config_round_trips_through_the_command_line(void **state)
{
    struct cs_config in = sample(), out;
    char *storage = NULL;
    const char **argv = cs_config_argv(&in, "/usr/libexec/ctfreak-ha/confsync-watcher", &storage);
    const char *why = NULL;

    (void) state;
    assert_non_null(argv);
    assert_string_equal(argv[0], "/usr/libexec/ctfreak-ha/confsync-watcher");
    assert_int_equal(cs_config_parse(argc_of(argv), (char **) argv, &out, &why), 0);
    assert_true(out.source);
    assert_string_equal(out.instance, in.instance);
    assert_string_equal(out.node, in.node);
    assert_string_equal(out.dir, in.dir);
    assert_string_equal(out.state, in.state);
    assert_string_equal(out.quarantine, in.quarantine);
    assert_string_equal(out.transport, in.transport);
    assert_string_equal(out.ssh_user, in.ssh_user);
    assert_string_equal(out.ssh_key, "");
    assert_string_equal(out.known_hosts, "");
    assert_string_equal(out.rsyncd_port, in.rsyncd_port);
    assert_string_equal(out.secrets_file, in.secrets_file);
    assert_int_equal(out.delay_ms, 250);
    assert_int_equal(out.nexcludes, 2);
    assert_string_equal(out.excludes[0], "*.tmp");
    assert_string_equal(out.excludes[1], "license/**");
    assert_null(out.excludes[2]);
    assert_int_equal(out.npeers, 2);
    assert_string_equal(out.peers[1], "node3=[fd00::3]:2222");
    assert_null(out.peers[2]);
    cs_config_free(&out);
    free(argv);
    free(storage);
}

static void a_receiver_with_no_lists_round_trips(void **state)
{
    struct cs_config in = sample(), out;
    char *storage = NULL;
    const char **argv;
    const char *why = NULL;

    (void) state;
    in.source = false;
    in.nexcludes = 0;
    in.npeers = 0;
    argv = cs_config_argv(&in, "w", &storage);
    assert_non_null(argv);
    assert_int_equal(cs_config_parse(argc_of(argv), (char **) argv, &out, &why), 0);
    assert_false(out.source);
    assert_int_equal(out.nexcludes, 0);
    assert_int_equal(out.npeers, 0);
    cs_config_free(&out);
    free(argv);
    free(storage);
}

/* Each option dropped in turn: refused, the flag named (no default of the
 * watcher's own can stand in for the meta-data's). */
static void every_option_is_required(void **state)
{
    struct cs_config in = sample(), out;
    char *storage = NULL;
    const char **argv = cs_config_argv(&in, "w", &storage);
    int argc = argc_of(argv);
    char **cut = calloc((size_t) argc + 1, sizeof(char *));
    const char *why = NULL;

    (void) state;
    assert_non_null(cut);
    for (int drop = 1; drop < argc; drop += 2) {
        int n = 0;

        if (strcmp(argv[drop], "--exclude") == 0 || strcmp(argv[drop], "--peer") == 0) {
            continue;
        }
        for (int i = 0; i < argc; i++) {
            if (i != drop && i != drop + 1) {
                cut[n++] = (char *) argv[i];
            }
        }
        cut[n] = NULL;
        why = NULL;
        assert_int_equal(cs_config_parse(n, cut, &out, &why), -EINVAL);
        assert_string_equal(why, argv[drop]);
        cs_config_free(&out);
    }
    free(cut);
    free(argv);
    free(storage);
}

static void bad_values_are_refused(void **state)
{
    char *role[] = { "w", "--role", "primary", NULL };
    char *delay[] = { "w", "--delay", "-5", NULL };
    char *delay2[] = { "w", "--delay", "10ms", NULL };
    char *dangling[] = { "w", "--dir", NULL };
    char *unknown[] = { "w", "--bogus", "x", NULL };
    char **cases[] = { role, delay, delay2, dangling, unknown };
    const char *expect[] = { "--role is neither source nor receiver",
                             "--delay is not a number of milliseconds",
                             "--delay is not a number of milliseconds",
                             "an option without its value", "unknown option" };
    struct cs_config out;

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why = NULL;
        int argc = 0;

        while (cases[i][argc] != NULL) {
            argc++;
        }
        assert_int_equal(cs_config_parse(argc, cases[i], &out, &why), -EINVAL);
        assert_string_equal(why, expect[i]);
        cs_config_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_round_trips_through_the_command_line),
        cmocka_unit_test(a_receiver_with_no_lists_round_trips),
        cmocka_unit_test(every_option_is_required),
        cmocka_unit_test(bad_values_are_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
