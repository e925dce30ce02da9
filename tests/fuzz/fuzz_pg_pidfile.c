/* fuzz_pg_pidfile.c: pgi_pidfile_parse on the input as postmaster.pid (a
 * file the postgres user writes): a pid is the decimal number that is line 1
 * and nothing else; port and socket folder are lines 4 and 5 whole, or
 * empty.  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>

#include "fuzz.h"
#include "parse.h"

/* Line number line (1-based) of text into buf, or "" when it has none. */
static void line_get(const char *text, int line, char *buf, size_t cap)
{
    const char *p = text;
    size_t n;

    for (int i = 1; i < line && p != NULL; i++) {
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    n = p != NULL ? strcspn(p, "\n") : 0;
    if (p == NULL || n >= cap) {
        buf[0] = '\0';
        return;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
}

/* The reference: line 1 is digits only, a number from 2 to INT32_MAX. */
static long long pid_line(const char *line)
{
    long long v = 0;

    if (line[0] == '\0' || strspn(line, "0123456789") != strlen(line)) {
        return -1;
    }
    for (const char *c = line; *c != '\0'; c++) {
        v = v * 10 + (*c - '0');
        if (v > INT32_MAX) {
            return -1;
        }
    }
    return v > 1 ? v : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    char *line = malloc(size + 1);
    struct pg_pidfile pf;
    int rc;
    long long want;

    if (line == NULL) {
        abort();
    }
    rc = pgi_pidfile_parse(text, &pf);
    line_get(text, 1, line, size + 1);
    want = pid_line(line);
    FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "rc %d", rc);
    if (rc != 0) {
        FUZZ_ASSERT(pf.pid == 0 && pf.port[0] == '\0' && pf.sockdir[0] == '\0',
                    "refused but filled");
        FUZZ_ASSERT(want < 0, "line 1 \"%s\" refused", line);
    } else {
        FUZZ_ASSERT(want == pf.pid, "pid %d from line 1 \"%s\"", (int) pf.pid, line);
        line_get(text, 4, line, sizeof(pf.port));
        FUZZ_ASSERT(strcmp(line, pf.port) == 0, "port \"%s\"", pf.port);
        line_get(text, 5, line, sizeof(pf.sockdir));
        FUZZ_ASSERT(strcmp(line, pf.sockdir) == 0, "socket folder \"%s\"", pf.sockdir);
    }
    free(line);
    free(text);
    return 0;
}
