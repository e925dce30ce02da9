/* fuzz_redact_conninfo.c: ra_redact_conninfo on a conninfo from the input,
 * keyword or URI form, with a known password added: whenever libpq reads
 * that password (or sslpassword) from it, the redacted text never shows it.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <libpq-fe.h>

#include "fuzz.h"
#include "redact.h"

#define SECRET "Zq7pSECRETw3x"

/* The value libpq reads for keyword, malloc'd, or NULL. */
static char *conninfo_value(const char *conninfo, const char *keyword)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    char *v = NULL;

    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (strcmp(o->keyword, keyword) == 0 && o->val != NULL) {
            v = strdup(o->val);
        }
    }
    PQconninfoFree(opts);
    return v;
}

/* Does a value other than the passwords hold the marker (a backslash or a
 * percent escape can spell it without the input holding it)? */
static bool marker_elsewhere(const char *conninfo)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    bool found = false;

    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        found = found || (o->val != NULL && strstr(o->val, "SECRET") != NULL
                          && strcmp(o->keyword, "password") != 0
                          && strcmp(o->keyword, "sslpassword") != 0);
    }
    PQconninfoFree(opts);
    return found;
}

/* The input with the secret placed as the form of byte 0 says. */
static char *conninfo_build(const uint8_t *data, size_t size)
{
    char *rest = fuzz_cstr(data + 1, size - 1);
    size_t len = strlen(rest) + 64;
    char *c = malloc(len);

    switch (data[0] % 4) {
    case 0:
        snprintf(c, len, "%s password=" SECRET, rest);
        break;
    case 1:
        snprintf(c, len, "password='" SECRET "' %s", rest);
        break;
    case 2:
        snprintf(c, len, "postgresql://u:" SECRET "@%s", rest);
        break;
    default:
        snprintf(c, len, "%s sslpassword=" SECRET, rest);
        break;
    }
    free(rest);
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[1024];
    char small[24];
    char *conninfo;
    char *pw;
    char *sslpw;
    PQconninfoOption *opts;

    if (size < 1 || memmem(data, size, "SECRET", 6) != NULL) {
        return 0;   /* the marker must come from us only */
    }
    conninfo = conninfo_build(data, size);
    if (marker_elsewhere(conninfo)) {
        free(conninfo);
        return 0;
    }
    pw = conninfo_value(conninfo, "password");
    sslpw = conninfo_value(conninfo, "sslpassword");
    ra_redact_conninfo(conninfo, out, sizeof(out));
    FUZZ_ASSERT(strnlen(out, sizeof(out)) < sizeof(out), "not terminated");
    if ((pw != NULL && strstr(pw, SECRET) != NULL)
        || (sslpw != NULL && strstr(sslpw, SECRET) != NULL)) {
        FUZZ_ASSERT(strstr(out, "SECRET") == NULL, "\"%s\" shows the password", out);
    }
    /* Cut short, it is cut between pairs: a prefix of the whole. */
    ra_redact_conninfo(conninfo, small, sizeof(small));
    FUZZ_ASSERT(strnlen(small, sizeof(small)) < sizeof(small), "not terminated");
    FUZZ_ASSERT(strncmp(out, small, strlen(small)) == 0,
                "\"%s\" is not a prefix of \"%s\"", small, out);
    /* Whatever libpq cannot parse is never echoed. */
    opts = PQconninfoParse(conninfo, NULL);
    if (opts == NULL) {
        FUZZ_ASSERT(strcmp(out, "(unparsable conninfo)") == 0, "\"%s\"", out);
    }
    PQconninfoFree(opts);
    free(pw);
    free(sslpw);
    free(conninfo);
    return 0;
}
