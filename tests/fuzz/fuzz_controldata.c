/* fuzz_controldata.c: pgi_controldata_parse on the input as pg_controldata's
 * output (a binary in bindir, reading a control file postgres owns): the
 * texts kept are bounded single lines, and what is accepted reads back the
 * same when printed as pg_controldata would.  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>

#include "fuzz.h"
#include "parse.h"

static void text_check(const char *what, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);

    FUZZ_ASSERT(n < cap, "%s is not terminated", what);
    FUZZ_ASSERT(strchr(s, '\n') == NULL, "%s holds a newline", what);
    FUZZ_ASSERT(n == 0 || (strchr(" \t", s[0]) == NULL && strchr(" \t", s[n - 1]) == NULL),
                "%s \"%s\" is not trimmed", what, s);
}

/* The fields the agent reads, printed in pg_controldata's layout. */
static char *controldata_print(const struct pg_control *cd)
{
    char ckpt[32];
    char redo[32];
    char minrec[32];
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    if (f == NULL) {
        abort();
    }
    pgi_lsn_format(cd->ckpt, ckpt, sizeof(ckpt));
    pgi_lsn_format(cd->redo, redo, sizeof(redo));
    pgi_lsn_format(cd->minrec, minrec, sizeof(minrec));
    fprintf(f, "pg_control version number:            1300\n"
            "Database cluster state:               %s\n"
            "Latest checkpoint location:           %s\n"
            "Latest checkpoint's REDO location:    %s\n"
            "Latest checkpoint's TimeLineID:       %u\n"
            "Minimum recovery ending location:     %s\n"
            "Min recovery ending loc's timeline:   %u\n"
            "wal_level setting:                    %s\n",
            cd->state, ckpt, redo, cd->tli, minrec, cd->minrec_tli, cd->wal_level);
    if (fclose(f) != 0) {
        abort();
    }
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    struct pg_control cd;
    struct pg_control again;
    char *printed;
    int rc = pgi_controldata_parse(text, &cd);

    FUZZ_ASSERT(rc == 0 || rc == -EPROTO, "rc %d", rc);
    if (rc == 0) {
        text_check("state", cd.state, sizeof(cd.state));
        text_check("wal_level", cd.wal_level, sizeof(cd.wal_level));
        printed = controldata_print(&cd);
        FUZZ_ASSERT(pgi_controldata_parse(printed, &again) == 0, "printed:\n%s", printed);
        FUZZ_ASSERT(strcmp(cd.state, again.state) == 0
                    && strcmp(cd.wal_level, again.wal_level) == 0
                    && cd.ckpt == again.ckpt && cd.redo == again.redo
                    && cd.tli == again.tli && cd.minrec == again.minrec
                    && cd.minrec_tli == again.minrec_tli,
                    "differs after a round trip:\n%s", printed);
        free(printed);
    }
    FUZZ_ASSERT(pgi_controldata_parse(NULL, &again) == -EPROTO, "NULL accepted");
    free(text);
    return 0;
}
