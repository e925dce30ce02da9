/* redact.c: connection strings and URLs without their secrets.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "redact.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <libpq-fe.h>

/* Keywords whose value is a secret (the password itself, or a file or
 * command that yields one is harmless to name, so only these). */
static bool secret_keyword(const char *kw)
{
    return strcmp(kw, "password") == 0 || strcmp(kw, "sslpassword") == 0;
}

/* Writes one keyword=value pair at out (quoted as libpq reads it back when
 * the value holds blanks, quotes or backslashes).  Returns the length
 * written, or -1 when it does not fit (nothing of it is kept then). */
static int pair_put(char *out, size_t len, bool first, const char *kw,
                    const char *val)
{
    bool quote = strpbrk(val, " \t\n\r\f\v'\\") != NULL;
    size_t o = 0;
    int n = snprintf(out, len, "%s%s=%s", first ? "" : " ", kw,
                     quote ? "'" : "");

    if (n < 0 || (size_t) n >= len) {
        return -1;
    }
    o = (size_t) n;
    for (const char *p = val; *p != '\0'; p++) {
        if (o + 3 > len) {
            return -1;
        }
        if (quote && (*p == '\'' || *p == '\\')) {
            out[o++] = '\\';
        }
        out[o++] = *p;
    }
    if (quote) {
        if (o + 2 > len) {
            return -1;
        }
        out[o++] = '\'';
    }
    out[o] = '\0';
    return (int) o;
}

const char *ra_redact_conninfo(const char *conninfo, char *out, size_t len)
{
    PQconninfoOption *opts;
    char *err = NULL;
    size_t o = 0;

    if (len == 0) {
        return out;
    }
    out[0] = '\0';
    opts = conninfo != NULL ? PQconninfoParse(conninfo, &err) : NULL;
    if (opts == NULL) {
        PQfreemem(err);         /* libpq's message may quote the text */
        snprintf(out, len, "(unparsable conninfo)");
        return out;
    }
    for (PQconninfoOption *p = opts; p->keyword != NULL; p++) {
        int n;

        if (p->val == NULL || p->val[0] == '\0') {
            continue;
        }
        n = pair_put(out + o, len - o, o == 0, p->keyword,
                     secret_keyword(p->keyword) ? "***" : p->val);
        if (n < 0) {
            out[o] = '\0';      /* cut at a pair boundary, never in a value */
            break;
        }
        o += (size_t) n;
    }
    PQconninfoFree(opts);
    return out;
}

/* The parts of a URL that may be shown, as libcurl itself reads the URL:
 * what it would send as credentials is exactly what is left out. */
static bool url_show(CURLU *u, char *out, size_t len)
{
    char *scheme = NULL;
    char *host = NULL;
    char *port = NULL;
    char *path = NULL;
    char *user = NULL;
    char *pass = NULL;
    bool ok = false;

    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK
        && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        bool auth = curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK
                    || curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK;

        (void) curl_url_get(u, CURLUPART_PORT, &port, 0);
        (void) curl_url_get(u, CURLUPART_PATH, &path, 0);
        snprintf(out, len, "%s://%s%s%s%s%s", scheme, auth ? "***@" : "", host,
                 port != NULL ? ":" : "", port != NULL ? port : "",
                 path != NULL ? path : "");
        ok = true;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(user);
    curl_free(pass);
    return ok;
}

const char *ra_redact_url(const char *url, char *out, size_t len)
{
    CURLU *u;

    if (len == 0) {
        return out;
    }
    out[0] = '\0';
    if (url == NULL) {
        return out;
    }
    u = curl_url();
    if (u == NULL
        || curl_url_set(u, CURLUPART_URL, url,
                        CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK
        || !url_show(u, out, len)) {
        snprintf(out, len, "(unparsable URL)");
    }
    curl_url_cleanup(u);
    return out;
}
