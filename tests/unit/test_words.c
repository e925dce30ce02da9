/* test_words.c: unit tests of common/words.c (a value split into words).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "words.h"

/* --- ra_words_split ---------------------------------------------------------- */

/* Splits s and compares with want (NULL-terminated). */
static void assert_words(const char *s, const char *const *want)
{
    const char *err = "unset";
    char **w = ra_words_split(s, &err);
    size_t i = 0;

    assert_non_null(w);
    assert_null(err);
    for (; want[i] != NULL; i++) {
        assert_non_null(w[i]);
        assert_string_equal(w[i], want[i]);
    }
    assert_null(w[i]);
    ra_words_free(w);
}

static void words_split_splits_plain_words_at_blanks(void **state)
{
    (void) state;
    assert_words("a b c", (const char *const[]) { "a", "b", "c", NULL });
    assert_words("  -c   /etc/x\t--flag\n", (const char *const[]) {
                     "-c", "/etc/x", "--flag", NULL });
    assert_words("one", (const char *const[]) { "one", NULL });
}

static void words_split_groups_quoted_text(void **state)
{
    (void) state;
    assert_words("a \"b c\" 'd e'", (const char *const[]) {
                     "a", "b c", "d e", NULL });
    assert_words("x\"y z\"w", (const char *const[]) { "xy zw", NULL });
    assert_words("'a\"b' \"c'd\"", (const char *const[]) { "a\"b", "c'd", NULL });
    assert_words("\"\" ''", (const char *const[]) { "", "", NULL });
}

static void words_split_honours_backslash_escapes(void **state)
{
    (void) state;
    assert_words("a\\ b", (const char *const[]) { "a b", NULL });
    assert_words("\\\"x\\\"", (const char *const[]) { "\"x\"", NULL });
    assert_words("\"a\\\"b\"", (const char *const[]) { "a\"b", NULL });
    assert_words("c:\\\\dir", (const char *const[]) { "c:\\dir", NULL });
    /* inside single quotes a backslash is literal */
    assert_words("'a\\b'", (const char *const[]) { "a\\b", NULL });
}

static void words_split_keeps_shell_metacharacters_literal(void **state)
{
    (void) state;
    assert_words("$(rm -rf /)", (const char *const[]) { "$(rm", "-rf", "/)", NULL });
    assert_words("'$(rm -rf /)'", (const char *const[]) { "$(rm -rf /)", NULL });
    assert_words("a;b | c", (const char *const[]) { "a;b", "|", "c", NULL });
    assert_words("`id` $HOME ~ * > /tmp/x &&",
                 (const char *const[]) { "`id`", "$HOME", "~", "*", ">",
                                         "/tmp/x", "&&", NULL });
    assert_words("\"$(id)\"", (const char *const[]) { "$(id)", NULL });
}

static void words_split_rejects_unterminated_quote(void **state)
{
    static const char *const bad[] = { "a \"b c", "'x", "ok 'also \"ok\"",
                                       "\"", NULL };
    (void) state;

    for (size_t i = 0; bad[i] != NULL; i++) {
        const char *err = NULL;

        assert_null(ra_words_split(bad[i], &err));
        assert_non_null(err);
        assert_string_equal(err, "has an unterminated quote");
    }
}

static void words_split_rejects_trailing_lone_backslash(void **state)
{
    const char *err = NULL;
    (void) state;

    assert_null(ra_words_split("a b\\", &err));
    assert_string_equal(err, "ends with a lone backslash");
}

static void words_split_returns_empty_array_for_blank_input(void **state)
{
    static const char *const blank[] = { "", "   ", " \t\n ", NULL };
    (void) state;

    for (size_t i = 0; blank[i] != NULL; i++) {
        const char *err = "unset";
        char **w = ra_words_split(blank[i], &err);

        assert_non_null(w);
        assert_null(err);
        assert_null(w[0]);
        ra_words_free(w);
    }
    ra_words_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words_split_splits_plain_words_at_blanks),
        cmocka_unit_test(words_split_groups_quoted_text),
        cmocka_unit_test(words_split_honours_backslash_escapes),
        cmocka_unit_test(words_split_keeps_shell_metacharacters_literal),
        cmocka_unit_test(words_split_rejects_unterminated_quote),
        cmocka_unit_test(words_split_rejects_trailing_lone_backslash),
        cmocka_unit_test(words_split_returns_empty_array_for_blank_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
