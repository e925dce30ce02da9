/* test_cs_rules.c: unit tests of agents/confsync/cs_rules.c (exclude
 * patterns and peer lists).  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agents/confsync/cs_rules.h"

static void exclude_check_refuses_filter_rule_syntax(void **state)
{
    (void) state;
    assert_non_null(cs_exclude_why_bad("!"));
    assert_non_null(cs_exclude_why_bad("+ *.conf"));
    assert_non_null(cs_exclude_why_bad("- *.conf"));
    assert_non_null(cs_exclude_why_bad(""));
    assert_non_null(cs_exclude_why_bad("a\nb"));
    assert_non_null(cs_exclude_why_bad(" lead"));
    assert_non_null(cs_exclude_why_bad("trail "));
    assert_non_null(cs_exclude_why_bad("/"));
}

static void exclude_check_accepts_plain_patterns(void **state)
{
    (void) state;
    assert_null(cs_exclude_why_bad("*.swp"));
    assert_null(cs_exclude_why_bad("*~"));
    assert_null(cs_exclude_why_bad(".#*"));
    assert_null(cs_exclude_why_bad("!important"));
    assert_null(cs_exclude_why_bad("/logs/tmp/"));
    assert_null(cs_exclude_why_bad("+x"));
    assert_null(cs_exclude_why_bad("a b"));
}

static void excludes_build_names_the_bad_pattern(void **state)
{
    const char *words[] = { "*.swp", "!", "*~" };
    struct cs_excludes ex;
    const char *why = NULL;
    const char *bad = NULL;
    (void) state;

    assert_int_equal(cs_excludes_build(&ex, words, 3, &why, &bad), -EINVAL);
    assert_string_equal(bad, "!");
    assert_non_null(why);
    cs_excludes_free(&ex);
}

static void excludes_match_like_rsync(void **state)
{
    const char *words[] = { "*.swp", "cache/", "/logs/tmp", "a/*.log" };
    struct cs_excludes ex;
    const char *why = NULL;
    const char *bad = NULL;
    (void) state;

    assert_int_equal(cs_excludes_build(&ex, words, 4, &why, &bad), 0);
    assert_true(cs_excludes_match(&ex, "d/x.swp", "x.swp", false));
    assert_true(cs_excludes_match(&ex, "d/cache", "cache", true));
    assert_false(cs_excludes_match(&ex, "d/cache", "cache", false));
    assert_true(cs_excludes_match(&ex, "logs/tmp", "tmp", true));
    assert_false(cs_excludes_match(&ex, "x/logs/tmp", "tmp", true));
    assert_true(cs_excludes_match(&ex, "a/1.log", "1.log", false));
    assert_false(cs_excludes_match(&ex, "config.json", "config.json", false));
    cs_excludes_free(&ex);
}

static void excludes_match_stops_wildcards_at_slashes_like_rsync(void **state)
{
    const char *words[] = { "a*b/c", "foo/bar", "/top/**.tmp" };
    struct cs_excludes ex;
    const char *why = NULL;
    const char *bad = NULL;
    (void) state;

    /* What rsync 3.2 does with these rules in a filter file. */
    assert_int_equal(cs_excludes_build(&ex, words, 3, &why, &bad), 0);
    assert_true(cs_excludes_match(&ex, "axb/c", "c", false));
    assert_false(cs_excludes_match(&ex, "ax/yb/c", "c", false));
    assert_true(cs_excludes_match(&ex, "foo/bar", "bar", false));
    assert_true(cs_excludes_match(&ex, "x/foo/bar", "bar", false));
    assert_false(cs_excludes_match(&ex, "x/xfoo/bar", "bar", false));
    assert_true(cs_excludes_match(&ex, "top/a/b/c.tmp", "c.tmp", false));
    assert_false(cs_excludes_match(&ex, "x/top/a.tmp", "a.tmp", false));
    cs_excludes_free(&ex);
}

static void excludes_filter_holds_every_pattern_of_a_long_list(void **state)
{
    const char *words[100];
    char names[100][16];
    struct cs_excludes ex;
    const char *why = NULL;
    const char *bad = NULL;
    size_t len = 0;
    char *text = NULL;
    size_t lines = 0;
    (void) state;

    for (int i = 0; i < 100; i++) {
        snprintf(names[i], sizeof(names[i]), "*.x%d", i);
        words[i] = names[i];
    }
    assert_int_equal(cs_excludes_build(&ex, words, 100, &why, &bad), 0);
    text = cs_excludes_filter(&ex, "", &len);
    assert_non_null(text);
    for (char *p = text; *p != '\0'; p++) {
        lines += *p == '\n';
    }
    assert_int_equal(lines, 100);
    assert_non_null(strstr(text, "- *.x99\n"));
    assert_int_equal(strncmp(text, "- *.x0\n", 7), 0);
    free(text);
    cs_excludes_free(&ex);
}

static void excludes_filter_moves_anchored_patterns_under_the_prefix(void **state)
{
    const char *words[] = { "/logs/tmp/", "*.swp" };
    struct cs_excludes ex;
    const char *why = NULL;
    const char *bad = NULL;
    size_t len = 0;
    char *text = NULL;
    (void) state;

    assert_int_equal(cs_excludes_build(&ex, words, 2, &why, &bad), 0);
    text = cs_excludes_filter(&ex, "/config", &len);
    assert_string_equal(text, "- /config/logs/tmp/\n- *.swp\n");
    free(text);
    cs_excludes_free(&ex);
}

static void excludes_filter_escapes_wildcards_in_the_prefix(void **state)
{
    const char *words[] = { "/cache/", "/*.log" };
    struct cs_excludes ex;
    const char *why = NULL;
    const char *bad = NULL;
    size_t len = 0;
    char *text;
    (void) state;

    /* A folder named "conf[1]" must not read as the class "[1]". */
    assert_int_equal(cs_excludes_build(&ex, words, 2, &why, &bad), 0);
    text = cs_excludes_filter(&ex, "/conf[1]", &len);
    assert_string_equal(text, "- /conf\\[1]/cache/\n- /conf\\[1]/*.log\n");
    free(text);
    /* Without any wildcard rsync compares plainly: a backslash stays. */
    text = cs_excludes_filter(&ex, "/a\\b", &len);
    assert_string_equal(text, "- /a\\b/cache/\n- /a\\\\b/*.log\n");
    free(text);
    cs_excludes_free(&ex);
}

static void peer_parse_splits_node_host_and_port(void **state)
{
    struct cs_peer_spec p;
    const char *why = NULL;
    (void) state;

    assert_int_equal(cs_peer_parse("n1=10.0.0.1:2222", &p, &why), 0);
    assert_string_equal(p.node, "n1");
    assert_string_equal(p.host, "10.0.0.1");
    assert_string_equal(p.port, "2222");
    assert_int_equal(cs_peer_parse("n2=node2.example", &p, &why), 0);
    assert_string_equal(p.host, "node2.example");
    assert_string_equal(p.port, "");
    assert_int_equal(cs_peer_parse("n3=fd00::1", &p, &why), 0);
    assert_string_equal(p.host, "fd00::1");
    assert_string_equal(p.port, "");
}

static void peer_parse_refuses_bad_or_too_long_text(void **state)
{
    struct cs_peer_spec p;
    const char *why = NULL;
    char longname[200];
    (void) state;

    assert_int_equal(cs_peer_parse("n1", &p, &why), -EINVAL);
    assert_int_equal(cs_peer_parse("=10.0.0.1", &p, &why), -EINVAL);
    assert_int_equal(cs_peer_parse("n1=", &p, &why), -EINVAL);
    assert_int_equal(cs_peer_parse("n1=-oProxyCommand", &p, &why), -EINVAL);
    assert_int_equal(cs_peer_parse("n1=$(x)", &p, &why), -EINVAL);
    assert_int_equal(cs_peer_parse("n1=h:99999", &p, &why), -EINVAL);
    assert_int_equal(cs_peer_parse("n1=h:x", &p, &why), -EINVAL);
    assert_int_equal(cs_peer_parse("n1=:22", &p, &why), -EINVAL);
    memset(longname, 'a', sizeof(longname));
    memcpy(longname + 150, "=h", 3);
    assert_int_equal(cs_peer_parse(longname, &p, &why), -EINVAL);
    assert_non_null(strstr(why, "too long"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exclude_check_refuses_filter_rule_syntax),
        cmocka_unit_test(exclude_check_accepts_plain_patterns),
        cmocka_unit_test(excludes_build_names_the_bad_pattern),
        cmocka_unit_test(excludes_match_like_rsync),
        cmocka_unit_test(excludes_match_stops_wildcards_at_slashes_like_rsync),
        cmocka_unit_test(excludes_filter_holds_every_pattern_of_a_long_list),
        cmocka_unit_test(excludes_filter_moves_anchored_patterns_under_the_prefix),
        cmocka_unit_test(excludes_filter_escapes_wildcards_in_the_prefix),
        cmocka_unit_test(peer_parse_splits_node_host_and_port),
        cmocka_unit_test(peer_parse_refuses_bad_or_too_long_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
