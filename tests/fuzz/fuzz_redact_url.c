/* fuzz_redact_url.c: ra_redact_url on a URL from the input: whatever user
 * and password libcurl would send (its own parser decides), and any query
 * string, never show in the redacted text.  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <curl/curl.h>

#include "fuzz.h"
#include "redact.h"

/* A part of url as libcurl parses it (malloc'd by curl), or NULL. */
static char *url_part(CURLU *u, CURLUPart part)
{
    char *v = NULL;

    return curl_url_get(u, part, &v, 0) == CURLUE_OK ? v : NULL;
}

/* Is secret shown in out, apart from where it is a part of something shown
 * legitimately (scheme, host, port, path)? */
static bool shows(const char *out, const char *secret, CURLU *u)
{
    const CURLUPart shown[] = { CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT,
                                CURLUPART_PATH };
    bool elsewhere = false;

    if (secret == NULL || strlen(secret) < 3 || strstr(out, secret) == NULL) {
        return false;
    }
    /* The URL without its credentials, query and fragment, as libcurl
     * writes it: a secret found there ("//p" in "tp://p/") is made of what is
     * shown legitimately, separators included. */
    {
        CURLU *safe = curl_url_dup(u);
        char *text = NULL;
        bool inside = false;

        if (safe != NULL) {
            /* ra_redact_url shows credentials as "***@". */
            char *user = url_part(u, CURLUPART_USER);
            char *pw = url_part(u, CURLUPART_PASSWORD);

            curl_url_set(safe, CURLUPART_USER,
                         user != NULL || pw != NULL ? "***" : NULL, 0);
            curl_url_set(safe, CURLUPART_PASSWORD, NULL, 0);
            curl_free(user);
            curl_free(pw);
            curl_url_set(safe, CURLUPART_OPTIONS, NULL, 0);
            curl_url_set(safe, CURLUPART_QUERY, NULL, 0);
            curl_url_set(safe, CURLUPART_FRAGMENT, NULL, 0);
            if (curl_url_get(safe, CURLUPART_URL, &text, 0) == CURLUE_OK) {
                inside = strstr(text, secret) != NULL;
            }
            curl_free(text);
            curl_url_cleanup(safe);
        }
        if (inside) {
            return false;
        }
    }
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        char *v = url_part(u, shown[i]);

        elsewhere = elsewhere || (v != NULL && strstr(v, secret) != NULL);
        curl_free(v);
    }
    return !elsewhere && strstr("http https ftp", secret) == NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = fuzz_cstr(data, size);
    char out[512];
    CURLU *u = curl_url();
    char *pw;
    char *query;

    ra_redact_url(url, out, sizeof(out));
    FUZZ_ASSERT(strnlen(out, sizeof(out)) < sizeof(out), "not terminated");
    FUZZ_ASSERT(strpbrk(out, "?#") == NULL, "\"%s\" keeps a query or fragment", out);
    if (u != NULL && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
        pw = url_part(u, CURLUPART_PASSWORD);
        query = url_part(u, CURLUPART_QUERY);
        FUZZ_ASSERT(!shows(out, pw, u), "\"%s\" shows the password \"%s\" of \"%s\"",
                    out, pw, url);
        /* The query never shows: out holds no '?' (asserted above), and a
         * substring test would flag a query made of shown characters. */
        (void) query;
        curl_free(pw);
        curl_free(query);
    }
    curl_url_cleanup(u);
    free(url);
    return 0;
}
