/* redact.c: connection strings and URLs without their secrets.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "redact.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

/* Keywords whose value is a secret (the password itself, or a file or
 * command that yields one is harmless to name, so only these). */
static int secret_keyword(const char *kw)
{
    return strcmp(kw, "password") == 0 || strcmp(kw, "sslpassword") == 0;
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
        PQfreemem(err);
        snprintf(out, len, "(unparsable conninfo)");
        return out;
    }
    for (PQconninfoOption *p = opts; p->keyword != NULL; p++) {
        int n;

        if (p->val == NULL || p->val[0] == '\0') {
            continue;
        }
        n = snprintf(out + o, len - o, "%s%s=%s", o > 0 ? " " : "",
                     p->keyword, secret_keyword(p->keyword) ? "***" : p->val);
        if (n < 0 || (size_t) n >= len - o) {
            /* Cut at a pair boundary, never inside a value. */
            out[o] = '\0';
            break;
        }
        o += (size_t) n;
    }
    PQconninfoFree(opts);
    return out;
}

const char *ra_redact_url(const char *url, char *out, size_t len)
{
    const char *auth;
    const char *end;
    const char *at;
    const char *query;

    if (len == 0) {
        return out;
    }
    if (url == NULL) {
        out[0] = '\0';
        return out;
    }
    query = url + strcspn(url, "?#");
    auth = strstr(url, "://");
    auth = auth != NULL && auth < query ? auth + 3 : url;
    end = auth + strcspn(auth, "/?#");
    at = memchr(auth, '@', (size_t) (end - auth));
    if (at != NULL) {
        snprintf(out, len, "%.*s***%.*s", (int) (auth - url), url,
                 (int) (query - at), at);
    } else {
        snprintf(out, len, "%.*s", (int) (query - url), url);
    }
    return out;
}
