/* test_redact.c: unit tests of common/redact.c (conninfo and URLs shown
 * without their secrets).  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "redact.h"

/* --- ra_redact_conninfo -------------------------------------------------------- */

static void conninfo_keyword_form_hides_the_password(void **state)
{
    char out[256];
    (void) state;

    ra_redact_conninfo("host=db1 port=5432 user=app password=s3cret dbname=ct",
                       out, sizeof(out));
    assert_null(strstr(out, "s3cret"));
    assert_non_null(strstr(out, "password=***"));
    assert_non_null(strstr(out, "host=db1"));
    assert_non_null(strstr(out, "user=app"));
    assert_non_null(strstr(out, "dbname=ct"));
}

static void conninfo_hides_the_sslpassword(void **state)
{
    char out[256];
    (void) state;

    ra_redact_conninfo("host=db1 sslkey=/k sslpassword=keypass", out, sizeof(out));
    assert_null(strstr(out, "keypass"));
    assert_non_null(strstr(out, "sslpassword=***"));
    assert_non_null(strstr(out, "sslkey=/k"));
}

static void conninfo_quoted_password_with_blanks_is_hidden_whole(void **state)
{
    char out[256];
    (void) state;

    ra_redact_conninfo("host=db1 password='Top Sec \\' Wrd' user=app", out,
                       sizeof(out));
    assert_null(strstr(out, "Top"));
    assert_null(strstr(out, "Sec"));
    assert_null(strstr(out, "Wrd"));
    assert_non_null(strstr(out, "password=***"));
    assert_non_null(strstr(out, "user=app"));
}

static void conninfo_uri_form_hides_the_password_in_authority_and_query(void **state)
{
    char out[256];
    (void) state;

    ra_redact_conninfo("postgresql://app:uri-secret@db1:5433/ct?sslpassword=q-secret"
                       "&application_name=agent", out, sizeof(out));
    assert_null(strstr(out, "uri-secret"));
    assert_null(strstr(out, "q-secret"));
    assert_non_null(strstr(out, "password=***"));
    assert_non_null(strstr(out, "sslpassword=***"));
    assert_non_null(strstr(out, "host=db1"));
    assert_non_null(strstr(out, "port=5433"));
    assert_non_null(strstr(out, "application_name=agent"));
}

static void conninfo_value_with_blanks_is_shown_quoted_and_reparses(void **state)
{
    char out[256];
    char *err = NULL;
    PQconninfoOption *opts;
    const char *app = NULL;
    (void) state;

    ra_redact_conninfo("host=db1 application_name='my app\\'s'", out, sizeof(out));
    assert_string_equal(out, "host=db1 application_name='my app\\'s'");
    opts = PQconninfoParse(out, &err);
    assert_non_null(opts);
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "application_name") == 0) {
            app = o->val;
            assert_string_equal(app, "my app's");
        }
    }
    assert_non_null(app);
    PQconninfoFree(opts);
}

static void conninfo_unparsable_input_shows_nothing_of_it(void **state)
{
    static const char *const bad[] = {
        "host=db1 password secret-a",               /* missing '=' */
        "host=db1 password='secret-b",              /* unterminated quote */
        "host=db1 nosuchkey=secret-c",              /* unknown keyword */
        "postgresql://app:secret-d@db1/ct?nosuch=x",
        "postgresql://app:secret-e@[::1/ct",         /* libpq quotes all of it */
        NULL,
    };
    char out[256];
    (void) state;

    for (size_t i = 0; bad[i] != NULL; i++) {
        ra_redact_conninfo(bad[i], out, sizeof(out));
        assert_string_equal(out, "(unparsable conninfo)");
        assert_null(strstr(out, "secret"));
    }
    ra_redact_conninfo(NULL, out, sizeof(out));
    assert_string_equal(out, "(unparsable conninfo)");
}

static void conninfo_too_long_for_the_buffer_is_cut_between_pairs(void **state)
{
    char out[24];
    (void) state;

    /* libpq's keyword order: user, password, dbname, host; 24 bytes hold
     * the first two pairs, not a part of the third */
    ra_redact_conninfo("host=db1 user=app password=longsecretvalue dbname=ct", out,
                       sizeof(out));
    assert_string_equal(out, "user=app password=***");
}

/* --- ra_redact_url ---------------------------------------------------------------- */

static void url_user_and_password_are_replaced(void **state)
{
    char out[256];
    (void) state;

    ra_redact_url("https://admin:pa55word@ct.example:6700/isalive", out, sizeof(out));
    assert_string_equal(out, "https://***@ct.example:6700/isalive");
}

static void url_user_alone_is_replaced_too(void **state)
{
    char out[256];
    (void) state;

    ra_redact_url("http://token-as-user@127.0.0.1/isalive", out, sizeof(out));
    assert_string_equal(out, "http://***@127.0.0.1/isalive");
}

static void url_query_and_fragment_are_dropped(void **state)
{
    char out[256];
    (void) state;

    ra_redact_url("http://127.0.0.1:6700/isalive?token=abc123&x=1#frag", out,
                  sizeof(out));
    assert_string_equal(out, "http://127.0.0.1:6700/isalive");
}

static void url_password_holding_at_signs_or_hashes_never_shows(void **state)
{
    static const char *const urls[] = {
        "http://Usr:S1@S2@host.example/isalive",
        "http://Usr:S1#S2@host.example/isalive",
        "http://Usr:S1?S2@host.example/isalive",
        "http://Usr:S1/S2@host.example/isalive",
        NULL,
    };
    char out[256];
    (void) state;

    for (size_t i = 0; urls[i] != NULL; i++) {
        ra_redact_url(urls[i], out, sizeof(out));
        assert_null(strstr(out, "S1"));
        assert_null(strstr(out, "S2"));
        assert_null(strstr(out, "Usr"));
    }
}

static void url_without_secrets_is_shown_as_is(void **state)
{
    char out[256];
    (void) state;

    ra_redact_url("http://127.0.0.1:6700/isalive", out, sizeof(out));
    assert_string_equal(out, "http://127.0.0.1:6700/isalive");
    ra_redact_url("https://[::1]/isalive", out, sizeof(out));
    assert_string_equal(out, "https://[::1]/isalive");
}

static void url_unparsable_shows_nothing_of_it(void **state)
{
    char out[256];
    (void) state;

    ra_redact_url("http://us er:secret@ho st/", out, sizeof(out));
    assert_string_equal(out, "(unparsable URL)");
    ra_redact_url("", out, sizeof(out));
    assert_string_equal(out, "(unparsable URL)");
    ra_redact_url(NULL, out, sizeof(out));
    assert_string_equal(out, "");
}

static void url_too_long_for_the_buffer_is_cut_and_terminated(void **state)
{
    char out[16];
    (void) state;

    ra_redact_url("http://user:secret@127.0.0.1:6700/isalive", out, sizeof(out));
    assert_string_equal(out, "http://***@127.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conninfo_keyword_form_hides_the_password),
        cmocka_unit_test(conninfo_hides_the_sslpassword),
        cmocka_unit_test(conninfo_quoted_password_with_blanks_is_hidden_whole),
        cmocka_unit_test(conninfo_uri_form_hides_the_password_in_authority_and_query),
        cmocka_unit_test(conninfo_value_with_blanks_is_shown_quoted_and_reparses),
        cmocka_unit_test(conninfo_unparsable_input_shows_nothing_of_it),
        cmocka_unit_test(conninfo_too_long_for_the_buffer_is_cut_between_pairs),
        cmocka_unit_test(url_user_and_password_are_replaced),
        cmocka_unit_test(url_user_alone_is_replaced_too),
        cmocka_unit_test(url_query_and_fragment_are_dropped),
        cmocka_unit_test(url_password_holding_at_signs_or_hashes_never_shows),
        cmocka_unit_test(url_without_secrets_is_shown_as_is),
        cmocka_unit_test(url_unparsable_shows_nothing_of_it),
        cmocka_unit_test(url_too_long_for_the_buffer_is_cut_and_terminated),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
