/* fuzz_pidfile.c: ra_pidfile_read on a file holding the input (a pid file
 * may sit in a folder the service user can write): a pid is accepted only
 * when the file (64 bytes at most) is a number above 1 and nothing else but
 * blanks.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <ctype.h>
#include <limits.h>

#include "fuzz.h"
#include "proc.h"

/* The reference: optional blanks, an optional sign, digits, then only
 * newlines, spaces and carriage returns (what a pid file may end with). */
static bool pid_text(const char *s, long long *v)
{
    char *end = NULL;
    const char *p = s;

    while (isspace((unsigned char) *p)) {
        p++;
    }
    if (*p == '+' || *p == '-') {
        p++;
    }
    if (!isdigit((unsigned char) *p)) {
        return false;
    }
    *v = strtoll(s, &end, 10);
    end += strspn(end, "\n \r");
    return *end == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    char text[72];
    pid_t pid = -1;
    long long v = 0;
    enum ra_pidfile_status st;

    snprintf(path, sizeof(path), "%s/pid", fuzz_scratch());
    fuzz_write_file(path, data, size);
    st = ra_pidfile_read(path, (uid_t) -1, &pid);
    FUZZ_ASSERT(st == RA_PIDFILE_OK || st == RA_PIDFILE_INVALID, "status %s",
                ra_pidfile_status_str(st));
    if (st != RA_PIDFILE_OK) {
        FUZZ_ASSERT(pid == 0, "pid %d with status %s", (int) pid,
                    ra_pidfile_status_str(st));
        return 0;
    }
    FUZZ_ASSERT(pid > 1, "pid %d accepted", (int) pid);
    /* The whole file is read (it is refused above 64 bytes), up to a NUL. */
    FUZZ_ASSERT(size <= 64, "a file of %zu bytes accepted", size);
    memcpy(text, data, size);
    text[size] = '\0';
    FUZZ_ASSERT(pid_text(text, &v) && v == pid && v <= INT_MAX,
                "\"%s\" accepted as pid %d", text, (int) pid);
    return 0;
}
