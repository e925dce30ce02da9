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

/* Is secret shown in out, apart from where it is a part of what is shown
 * legitimately ("scheme://[***@]host[:port]/path", across the separators
 * too)? */
static bool shows(const char *out, const char *secret, CURLU *u)
{
    char *scheme;
    char *host;
    char *port;
    char *path;
    char legit[4096];
    char masked[4096];

    if (secret == NULL || strlen(secret) < 3 || strstr(out, secret) == NULL) {
        return false;
    }
    scheme = url_part(u, CURLUPART_SCHEME);
    host = url_part(u, CURLUPART_HOST);
    port = url_part(u, CURLUPART_PORT);
    path = url_part(u, CURLUPART_PATH);
    snprintf(legit, sizeof(legit), "%s://%s%s%s%s", scheme != NULL ? scheme : "",
             host != NULL ? host : "", port != NULL ? ":" : "", port != NULL ? port : "",
             path != NULL ? path : "");
    snprintf(masked, sizeof(masked), "%s://***@%s%s%s%s", scheme != NULL ? scheme : "",
             host != NULL ? host : "", port != NULL ? ":" : "", port != NULL ? port : "",
             path != NULL ? path : "");
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    return strstr(legit, secret) == NULL && strstr(masked, secret) == NULL
           && strstr("http https ftp", secret) == NULL;
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
        FUZZ_ASSERT(!shows(out, query, u), "\"%s\" shows the query \"%s\" of \"%s\"",
                    out, query, url);
        curl_free(pw);
        curl_free(query);
    }
    curl_url_cleanup(u);
    free(url);
    return 0;
}
