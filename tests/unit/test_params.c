/* test_params.c: unit tests of common/params.c (parsers, checks, loading).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "params.h"
#include "ra.h"

/* No bounds: min > max. */
#define NO_MIN 1
#define NO_MAX 0

/* --- ra_parse_bool ----------------------------------------------------------- */

static void parse_bool_accepts_every_true_spelling(void **state)
{
    static const char *const yes[] = { "1", "true", "TRUE", "yes", "Yes", "on",
                                       "y", "Y", NULL };
    (void) state;

    for (size_t i = 0; yes[i] != NULL; i++) {
        bool b = false;

        assert_int_equal(ra_parse_bool(yes[i], &b), 0);
        assert_true(b);
    }
}

static void parse_bool_accepts_every_false_spelling(void **state)
{
    static const char *const no[] = { "0", "false", "False", "no", "NO", "off",
                                      "n", NULL };
    (void) state;

    for (size_t i = 0; no[i] != NULL; i++) {
        bool b = true;

        assert_int_equal(ra_parse_bool(no[i], &b), 0);
        assert_false(b);
    }
}

static void parse_bool_rejects_bad_input_and_leaves_output_alone(void **state)
{
    static const char *const bad[] = { "", "2", "truee", "yess", " true",
                                       "true ", "t", "enable", "-1", NULL };
    (void) state;

    for (size_t i = 0; bad[i] != NULL; i++) {
        bool b = true;

        assert_int_equal(ra_parse_bool(bad[i], &b), -EINVAL);
        assert_true(b);
    }
    assert_int_equal(ra_parse_bool(NULL, &(bool) { false }), -EINVAL);
}

/* --- ra_parse_int ------------------------------------------------------------ */

static void parse_int_accepts_good_input(void **state)
{
    long long v = 0;
    (void) state;

    assert_int_equal(ra_parse_int("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(ra_parse_int("42", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(ra_parse_int("-17", &v), 0);
    assert_int_equal(v, -17);
    assert_int_equal(ra_parse_int("9223372036854775807", &v), 0);
    assert_true(v == LLONG_MAX);
}

static void parse_int_rejects_bad_input(void **state)
{
    static const char *const bad[] = { "", " 1", "1 ", "1.5", "12abc", "abc",
                                       "0x10", "99999999999999999999", "-", NULL };
    (void) state;

    for (size_t i = 0; bad[i] != NULL; i++) {
        long long v = 7;

        assert_int_equal(ra_parse_int(bad[i], &v), -EINVAL);
        assert_int_equal(v, 7);
    }
    assert_int_equal(ra_parse_int(NULL, &(long long) { 0 }), -EINVAL);
}

/* --- ra_parse_duration_ms ---------------------------------------------------- */

static void parse_duration_reads_seconds_by_default_and_every_suffix(void **state)
{
    static const struct {
        const char *s;
        long ms;
    } good[] = {
        { "0", 0 }, { "5", 5000 }, { "5s", 5000 }, { "5sec", 5000 },
        { "500ms", 500 }, { "500msec", 500 }, { "2m", 120000 },
        { "2min", 120000 }, { "1ms", 1 },
    };
    (void) state;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        long ms = -1;

        assert_int_equal(ra_parse_duration_ms(good[i].s, &ms), 0);
        assert_int_equal(ms, good[i].ms);
    }
}

static void parse_duration_rejects_bad_input(void **state)
{
    static const char *const bad[] = { "", "s", "-5", "+5", " 5", "5 s", "5h",
                                       "5secs", "1.5", "5S", "99999999999999999999",
                                       "9223372036854775807ms0", NULL };
    (void) state;

    for (size_t i = 0; bad[i] != NULL; i++) {
        long ms = 7;

        assert_int_equal(ra_parse_duration_ms(bad[i], &ms), -EINVAL);
        assert_int_equal(ms, 7);
    }
    assert_int_equal(ra_parse_duration_ms(NULL, &(long) { 0 }), -EINVAL);
}

static void parse_duration_rejects_overflow_of_the_multiplier(void **state)
{
    long ms = 7;
    (void) state;

    /* LONG_MAX seconds cannot be expressed in milliseconds. */
    assert_int_equal(ra_parse_duration_ms("9223372036854775807", &ms), -EINVAL);
    assert_int_equal(ra_parse_duration_ms("9223372036854775807min", &ms), -EINVAL);
    assert_int_equal(ms, 7);
    assert_int_equal(ra_parse_duration_ms("9223372036854775807ms", &ms), 0);
    assert_true(ms == LONG_MAX);
}

/* --- ra_param_check ---------------------------------------------------------- */

/* value must be rejected (for reason, unless NULL). */
static void assert_rejected(const struct ra_param_def *def, const char *value,
                            const char *reason)
{
    const char *why = ra_param_check(def, value);

    assert_non_null(why);
    if (reason != NULL) {
        assert_string_equal(why, reason);
    }
}

static void param_check_accepts_any_string(void **state)
{
    const struct ra_param_def def = { "s", RA_PARAM_STRING, NULL, false, false,
                                      NULL, NO_MIN, NO_MAX };
    (void) state;

    assert_null(ra_param_check(&def, "anything at all $(x) ;|"));
    assert_null(ra_param_check(&def, NULL));
    assert_null(ra_param_check(&def, ""));
}

static void param_check_rejects_control_characters_in_a_string(void **state)
{
    const struct ra_param_def def = { "s", RA_PARAM_STRING, NULL, false, false,
                                      NULL, NO_MIN, NO_MAX };
    (void) state;

    assert_rejected(&def, "a\rb", "holds a control character other than tab or newline");
    assert_rejected(&def, "a\033[2Jb", NULL);
    assert_rejected(&def, "a\x7f", NULL);
    /* word lists (args, excludes) may be split at tabs and newlines */
    assert_null(ra_param_check(&def, "--port 1\t--x\n--y"));
    assert_null(ra_param_check(&def, "caf\xc3\xa9"));
}

static void param_check_of_a_path_wants_it_absolute_and_on_one_line(void **state)
{
    const struct ra_param_def def = { "config_dir", RA_PARAM_PATH, NULL, false, false,
                                      NULL, NO_MIN, NO_MAX };
    (void) state;

    assert_rejected(&def, "etc/ctfreak", "is not an absolute path");
    assert_rejected(&def, "-rf", "is not an absolute path");
    assert_rejected(&def, "./x", "is not an absolute path");
    assert_rejected(&def, "/etc/ctfreak\n/etc/passwd",
                    "holds a control character (a newline, tab or escape)");
    assert_rejected(&def, "/etc/\tx", NULL);
    assert_null(ra_param_check(&def, "/etc/ctfreak"));
    assert_null(ra_param_check(&def, "/srv/with space/ctfreak"));
    assert_null(ra_param_check(&def, ""));
}

static void param_check_of_a_name_refuses_options_blanks_and_controls(void **state)
{
    const struct ra_param_def def = { "user", RA_PARAM_NAME, NULL, false, false,
                                      NULL, NO_MIN, NO_MAX };
    (void) state;

    assert_rejected(&def, "-oProxyCommand=x", "starts with '-' (it would read as an option)");
    assert_rejected(&def, "ct freak", "holds a blank or a control character");
    assert_rejected(&def, "ctfreak\n", "holds a blank or a control character");
    assert_null(ra_param_check(&def, "ctfreak"));
    assert_null(ra_param_check(&def, "ctfreak-ha_2"));
}

static void param_check_rejects_missing_required_value(void **state)
{
    const struct ra_param_def def = { "s", RA_PARAM_STRING, NULL, true, false,
                                      NULL, NO_MIN, NO_MAX };
    (void) state;

    assert_rejected(&def, NULL, "is required");
    assert_rejected(&def, "", "is required");
    assert_null(ra_param_check(&def, "x"));
}

static void param_check_accepts_integer_within_range(void **state)
{
    const struct ra_param_def def = { "port", RA_PARAM_INTEGER, NULL, false,
                                      false, NULL, 1, 65535 };
    (void) state;

    assert_null(ra_param_check(&def, "1"));
    assert_null(ra_param_check(&def, "5432"));
    assert_null(ra_param_check(&def, "65535"));
}

static void param_check_rejects_integer_out_of_range(void **state)
{
    const struct ra_param_def def = { "port", RA_PARAM_INTEGER, NULL, false,
                                      false, NULL, 1, 65535 };
    (void) state;

    assert_rejected(&def, "0", "is out of range");
    assert_rejected(&def, "65536", "is out of range");
    assert_rejected(&def, "-1", "is out of range");
}

static void param_check_rejects_non_integer(void **state)
{
    const struct ra_param_def def = { "port", RA_PARAM_INTEGER, NULL, false,
                                      false, NULL, 1, 65535 };
    (void) state;

    assert_rejected(&def, "54x", "is not an integer");
    assert_rejected(&def, "five", "is not an integer");
}

static void param_check_ignores_bounds_when_min_exceeds_max(void **state)
{
    const struct ra_param_def def = { "n", RA_PARAM_INTEGER, NULL, false,
                                      false, NULL, NO_MIN, NO_MAX };
    (void) state;

    assert_null(ra_param_check(&def, "-1000000"));
    assert_null(ra_param_check(&def, "1000000"));
}

static void param_check_validates_boolean(void **state)
{
    const struct ra_param_def def = { "b", RA_PARAM_BOOLEAN, "false", false,
                                      false, NULL, NO_MIN, NO_MAX };
    (void) state;

    assert_null(ra_param_check(&def, "true"));
    assert_null(ra_param_check(&def, "no"));
    assert_rejected(&def, "maybe", "is not a boolean (true/false)");
}

static void param_check_accepts_only_listed_select_options(void **state)
{
    const struct ra_param_def def = { "mode", RA_PARAM_SELECT, "a", false,
                                      false, "a|b", NO_MIN, NO_MAX };
    (void) state;

    assert_null(ra_param_check(&def, "a"));
    assert_null(ra_param_check(&def, "b"));
    /* bad_input: prefixes, concatenations, the separator, case */
    assert_rejected(&def, "c", "is not one of the allowed values");
    assert_rejected(&def, "ab", NULL);
    assert_rejected(&def, "a|b", NULL);
    assert_rejected(&def, "|", NULL);
    assert_rejected(&def, "A", NULL);
    assert_rejected(&def, "b ", NULL);
}

static void param_check_accepts_second_within_bounds_in_any_unit(void **state)
{
    const struct ra_param_def def = { "t", RA_PARAM_SECOND, "5", false, false,
                                      NULL, 1, 300 };
    (void) state;

    assert_null(ra_param_check(&def, "1"));
    assert_null(ra_param_check(&def, "300"));
    assert_null(ra_param_check(&def, "300s"));
    assert_null(ra_param_check(&def, "5min"));
    assert_null(ra_param_check(&def, "1000ms"));
    assert_null(ra_param_check(&def, "1500ms"));
}

static void param_check_rejects_second_out_of_bounds(void **state)
{
    const struct ra_param_def def = { "t", RA_PARAM_SECOND, "5", false, false,
                                      NULL, 1, 300 };
    (void) state;

    assert_rejected(&def, "0", "is out of range");
    assert_rejected(&def, "301", "is out of range");
    assert_rejected(&def, "6min", "is out of range");
    assert_rejected(&def, "500ms", "is out of range");
    assert_rejected(&def, "999ms", "is out of range");
}

static void param_check_rejects_second_just_above_max_in_milliseconds(void **state)
{
    const struct ra_param_def def = { "t", RA_PARAM_SECOND, "5", false, false,
                                      NULL, 1, 300 };
    (void) state;

    /* 300.5 s is more than the 300 s maximum. */
    assert_rejected(&def, "300500ms", "is out of range");
    assert_rejected(&def, "300001ms", "is out of range");
}

static void param_check_rejects_malformed_second(void **state)
{
    const struct ra_param_def def = { "t", RA_PARAM_SECOND, "5", false, false,
                                      NULL, 1, 300 };
    (void) state;

    assert_rejected(&def, "5h", "is not a duration in seconds (e.g. 5, 5s, 500ms, 1min)");
    assert_rejected(&def, "-5", NULL);
}

/* --- ra_params_load ---------------------------------------------------------- */

static const struct ra_param_def load_defs[] = {
    { "utest_port", RA_PARAM_INTEGER, "8080", false, false, NULL, 1, 65535 },
    { "utest_mode", RA_PARAM_SELECT, "a", false, false, "a|b", NO_MIN, NO_MAX },
    { "utest_flag", RA_PARAM_BOOLEAN, "false", false, false, NULL, NO_MIN, NO_MAX },
    { "utest_timeout", RA_PARAM_SECOND, "5s", false, false, NULL, 1, 60 },
    { "utest_name", RA_PARAM_STRING, NULL, false, false, NULL, NO_MIN, NO_MAX },
    { NULL, RA_PARAM_STRING, NULL, false, false, NULL, NO_MIN, NO_MAX },
};

static int load_env_clear(void **state)
{
    (void) state;
    for (size_t i = 0; load_defs[i].name != NULL; i++) {
        char key[128];

        snprintf(key, sizeof(key), "OCF_RESKEY_%s", load_defs[i].name);
        unsetenv(key);
    }
    unsetenv("OCF_RESKEY_utest_req");
    return 0;
}

static void params_load_applies_defaults_when_nothing_is_set(void **state)
{
    struct ra_params p;
    (void) state;

    assert_int_equal(ra_params_load(&p, load_defs), OCF_SUCCESS);
    assert_int_equal(p.count, 5);
    assert_ptr_equal(p.defs, load_defs);
    assert_string_equal(p.values[0], "8080");
    assert_string_equal(p.values[1], "a");
    assert_string_equal(p.values[2], "false");
    assert_string_equal(p.values[3], "5s");
    assert_null(p.values[4]);
    ra_params_free(&p);
    assert_null(p.values);
    assert_int_equal(p.count, 0);
}

static void params_load_takes_values_from_the_environment(void **state)
{
    struct ra_params p;
    (void) state;

    setenv("OCF_RESKEY_utest_port", "9090", 1);
    setenv("OCF_RESKEY_utest_mode", "b", 1);
    setenv("OCF_RESKEY_utest_flag", "yes", 1);
    setenv("OCF_RESKEY_utest_timeout", "1500ms", 1);
    setenv("OCF_RESKEY_utest_name", "hello world", 1);
    assert_int_equal(ra_params_load(&p, load_defs), OCF_SUCCESS);
    assert_string_equal(p.values[0], "9090");
    assert_string_equal(p.values[1], "b");
    assert_string_equal(p.values[2], "yes");
    assert_string_equal(p.values[3], "1500ms");
    assert_string_equal(p.values[4], "hello world");
    ra_params_free(&p);
}

static void params_load_treats_empty_value_as_the_default(void **state)
{
    struct ra_params p;
    (void) state;

    setenv("OCF_RESKEY_utest_port", "", 1);
    setenv("OCF_RESKEY_utest_mode", "", 1);
    setenv("OCF_RESKEY_utest_name", "", 1);
    assert_int_equal(ra_params_load(&p, load_defs), OCF_SUCCESS);
    assert_string_equal(p.values[0], "8080");
    assert_string_equal(p.values[1], "a");
    /* no default: the empty value stays */
    assert_string_equal(p.values[4], "");
    ra_params_free(&p);
}

static void params_load_rejects_bad_value_as_not_configured(void **state)
{
    static const char *const bad[][2] = {
        { "OCF_RESKEY_utest_port", "70000" },
        { "OCF_RESKEY_utest_port", "http" },
        { "OCF_RESKEY_utest_mode", "c" },
        { "OCF_RESKEY_utest_flag", "perhaps" },
        { "OCF_RESKEY_utest_timeout", "2min" },
    };
    (void) state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ra_params p;

        load_env_clear(NULL);
        setenv(bad[i][0], bad[i][1], 1);
        assert_int_equal(ra_params_load(&p, load_defs), OCF_ERR_CONFIGURED);
        /* params is filled either way */
        assert_non_null(p.values);
        assert_int_equal(p.count, 5);
        ra_params_free(&p);
    }
}

static void params_load_rejects_missing_required_parameter(void **state)
{
    static const struct ra_param_def defs[] = {
        { "utest_req", RA_PARAM_STRING, NULL, true, false, NULL, NO_MIN, NO_MAX },
        { NULL, RA_PARAM_STRING, NULL, false, false, NULL, NO_MIN, NO_MAX },
    };
    struct ra_params p;
    (void) state;

    assert_int_equal(ra_params_load(&p, defs), OCF_ERR_CONFIGURED);
    ra_params_free(&p);
    setenv("OCF_RESKEY_utest_req", "", 1);
    assert_int_equal(ra_params_load(&p, defs), OCF_ERR_CONFIGURED);
    ra_params_free(&p);
    setenv("OCF_RESKEY_utest_req", "set", 1);
    assert_int_equal(ra_params_load(&p, defs), OCF_SUCCESS);
    assert_string_equal(p.values[0], "set");
    ra_params_free(&p);
}

static void params_load_accepts_an_empty_table(void **state)
{
    static const struct ra_param_def defs[] = {
        { NULL, RA_PARAM_STRING, NULL, false, false, NULL, NO_MIN, NO_MAX },
    };
    struct ra_params p;
    (void) state;

    assert_int_equal(ra_params_load(&p, defs), OCF_SUCCESS);
    assert_int_equal(p.count, 0);
    ra_params_free(&p);
}

static void param_accessors_parse_loaded_values(void **state)
{
    struct ra_ctx ctx;
    (void) state;

    memset(&ctx, 0, sizeof(ctx));
    setenv("OCF_RESKEY_utest_port", "9090", 1);
    setenv("OCF_RESKEY_utest_flag", "on", 1);
    setenv("OCF_RESKEY_utest_timeout", "2s", 1);
    assert_int_equal(ra_params_load(&ctx.params, load_defs), OCF_SUCCESS);
    assert_int_equal(ra_param_int(&ctx, "utest_port"), 9090);
    assert_true(ra_param_bool(&ctx, "utest_flag"));
    assert_int_equal(ra_param_ms(&ctx, "utest_timeout"), 2000);
    assert_string_equal(ra_param(&ctx, "utest_mode"), "a");
    /* unset, no default: the empty string, never NULL */
    assert_string_equal(ra_param(&ctx, "utest_name"), "");
    ra_params_free(&ctx.params);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_bool_accepts_every_true_spelling),
        cmocka_unit_test(parse_bool_accepts_every_false_spelling),
        cmocka_unit_test(parse_bool_rejects_bad_input_and_leaves_output_alone),
        cmocka_unit_test(parse_int_accepts_good_input),
        cmocka_unit_test(parse_int_rejects_bad_input),
        cmocka_unit_test(parse_duration_reads_seconds_by_default_and_every_suffix),
        cmocka_unit_test(parse_duration_rejects_bad_input),
        cmocka_unit_test(parse_duration_rejects_overflow_of_the_multiplier),
        cmocka_unit_test(param_check_accepts_any_string),
        cmocka_unit_test(param_check_rejects_missing_required_value),
        cmocka_unit_test(param_check_rejects_control_characters_in_a_string),
        cmocka_unit_test(param_check_of_a_path_wants_it_absolute_and_on_one_line),
        cmocka_unit_test(param_check_of_a_name_refuses_options_blanks_and_controls),
        cmocka_unit_test(param_check_accepts_integer_within_range),
        cmocka_unit_test(param_check_rejects_integer_out_of_range),
        cmocka_unit_test(param_check_rejects_non_integer),
        cmocka_unit_test(param_check_ignores_bounds_when_min_exceeds_max),
        cmocka_unit_test(param_check_validates_boolean),
        cmocka_unit_test(param_check_accepts_only_listed_select_options),
        cmocka_unit_test(param_check_accepts_second_within_bounds_in_any_unit),
        cmocka_unit_test(param_check_rejects_second_out_of_bounds),
        cmocka_unit_test(param_check_rejects_second_just_above_max_in_milliseconds),
        cmocka_unit_test(param_check_rejects_malformed_second),
        cmocka_unit_test_setup_teardown(params_load_applies_defaults_when_nothing_is_set,
                                        load_env_clear, load_env_clear),
        cmocka_unit_test_setup_teardown(params_load_takes_values_from_the_environment,
                                        load_env_clear, load_env_clear),
        cmocka_unit_test_setup_teardown(params_load_treats_empty_value_as_the_default,
                                        load_env_clear, load_env_clear),
        cmocka_unit_test_setup_teardown(params_load_rejects_bad_value_as_not_configured,
                                        load_env_clear, load_env_clear),
        cmocka_unit_test_setup_teardown(params_load_rejects_missing_required_parameter,
                                        load_env_clear, load_env_clear),
        cmocka_unit_test(params_load_accepts_an_empty_table),
        cmocka_unit_test_setup_teardown(param_accessors_parse_loaded_values,
                                        load_env_clear, load_env_clear),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
