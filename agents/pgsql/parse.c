/* parse.c: the pgsql agent's parsers of outside text (pg_controldata output,
 * postmaster.pid, LSNs, election locations, notification node lists,
 * timeline histories): pure functions, for unit tests and fuzzers.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pgi_lsn_parse(const char *s, uint64_t *lsn)
{
    unsigned int hi = 0;
    unsigned int lo = 0;

    if (s == NULL || sscanf(s, "%X/%X", &hi, &lo) != 2) {
        return -EINVAL;
    }
    *lsn = ((uint64_t) hi << 32) | lo;
    return 0;
}

void pgi_lsn_format(uint64_t lsn, char *buf, size_t len)
{
    snprintf(buf, len, "%X/%X", (unsigned int) (lsn >> 32),
             (unsigned int) (lsn & 0xffffffffu));
}

/* The value after "label:" in pg_controldata's output, trimmed.  A value
 * longer than the buffer is refused, never cut. */
static bool cd_field(const char *out, const char *label, char *buf, size_t len)
{
    size_t ll = strlen(label);
    const char *p = out;
    size_t n;

    while (p != NULL && *p != '\0') {
        if (strncmp(p, label, ll) == 0 && p[ll] == ':') {
            p += ll + 1;
            p += strspn(p, " \t");
            n = strcspn(p, "\n");
            while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
                n--;
            }
            if (n >= len) {
                return false;
            }
            memcpy(buf, p, n);
            buf[n] = '\0';
            return true;
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return false;
}

/* A decimal unsigned number and nothing else. */
static bool uint_parse(const char *s, unsigned *v)
{
    char *end = NULL;
    unsigned long n;

    if (s[0] < '0' || s[0] > '9') {
        return false;
    }
    errno = 0;
    n = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || n > UINT32_MAX) {
        return false;
    }
    *v = (unsigned) n;
    return true;
}

int pgi_controldata_parse(const char *out, struct pg_control *cd)
{
    char v[64];

    memset(cd, 0, sizeof(*cd));
    if (out != NULL
        && cd_field(out, "Database cluster state", cd->state, sizeof(cd->state))
        && cd_field(out, "Latest checkpoint location", v, sizeof(v))
        && pgi_lsn_parse(v, &cd->ckpt) == 0
        && cd_field(out, "Latest checkpoint's REDO location", v, sizeof(v))
        && pgi_lsn_parse(v, &cd->redo) == 0
        && cd_field(out, "Latest checkpoint's TimeLineID", v, sizeof(v))
        && uint_parse(v, &cd->tli)
        && cd_field(out, "Minimum recovery ending location", v, sizeof(v))
        && pgi_lsn_parse(v, &cd->minrec) == 0
        && cd_field(out, "Min recovery ending loc's timeline", v, sizeof(v))
        && uint_parse(v, &cd->minrec_tli)
        && cd_field(out, "wal_level setting", cd->wal_level,
                    sizeof(cd->wal_level))) {
        return 0;
    }
    return -EPROTO;
}

int pgi_pidfile_parse(const char *buf, struct pg_pidfile *pf)
{
    const char *p = buf;
    char *end = NULL;
    long pid;

    memset(pf, 0, sizeof(*pf));
    /* Digits first: strtol would skip blanks and newlines (a pid on line 3). */
    if (p[0] < '0' || p[0] > '9') {
        return -EINVAL;
    }
    errno = 0;
    pid = strtol(p, &end, 10);
    if (errno != 0 || end == p || pid <= 1 || pid > INT32_MAX
        || (*end != '\n' && *end != '\0')) {
        return -EINVAL;
    }
    pf->pid = (pid_t) pid;
    /* Lines: pid, data directory, start time, port, socket directory. */
    for (int line = 1; line <= 5 && p != NULL; line++) {
        size_t n = strcspn(p, "\n");

        if (line == 4 && n < sizeof(pf->port)) {
            memcpy(pf->port, p, n);
            pf->port[n] = '\0';
        } else if (line == 5 && n < sizeof(pf->sockdir)) {
            memcpy(pf->sockdir, p, n);
            pf->sockdir[n] = '\0';
        }
        p = p[n] == '\n' ? p + n + 1 : NULL;
    }
    return 0;
}

int pgi_location_parse(const char *s, unsigned *tli, uint64_t *lsn, bool *last)
{
    char l[32];
    char *end = NULL;
    unsigned long t;

    /* Digits first: "%u" would take blanks, a sign and wrap around. */
    if (s == NULL || s[0] < '0' || s[0] > '9') {
        return -EINVAL;
    }
    errno = 0;
    t = strtoul(s, &end, 10);
    if (errno != 0 || t > UINT32_MAX || *end != ':'
        || sscanf(end + 1, "%31[^:]", l) != 1) {
        return -EINVAL;
    }
    *tli = (unsigned) t;
    *last = strstr(s, ":last-primary") != NULL;
    return pgi_lsn_parse(l, lsn);
}

void pgi_location_format(unsigned tli, uint64_t lsn, bool last, char *buf,
                         size_t len)
{
    char l[32];

    pgi_lsn_format(lsn, l, sizeof(l));
    snprintf(buf, len, "%u:%s%s", tli, l, last ? ":last-primary" : "");
}

void pgi_control_end(const struct pg_control *cd, unsigned *tli,
                     uint64_t *lsn)
{
    *tli = cd->tli > cd->minrec_tli ? cd->tli : cd->minrec_tli;
    *lsn = cd->minrec > cd->ckpt ? cd->minrec : cd->ckpt;
    if (strcmp(cd->state, "shut down") == 0) {
        *lsn = cd->ckpt + 1;    /* its shutdown checkpoint record */
    }
}

bool pgi_diverged(const struct pg_primary_view *v, unsigned tli, uint64_t lsn,
                  char *why, size_t whylen)
{
    char a[32];
    char b[32];
    const char *p = v->history;

    pgi_lsn_format(lsn, a, sizeof(a));
    if (tli == v->tli) {
        pgi_lsn_format(v->flush, b, sizeof(b));
        snprintf(why, whylen, "local %s is ahead of the primary's %s on timeline %u",
                 a, b, tli);
        return lsn > v->flush;
    }
    if (tli > v->tli) {
        snprintf(why, whylen, "local timeline %u is newer than the primary's %u",
                 tli, v->tli);
        return true;
    }
    /* History lines: "<parent tli>\t<switchpoint>\t<reason>". */
    while (p != NULL && *p != '\0') {
        unsigned t = 0;
        char sw[32];
        uint64_t s = 0;

        if (sscanf(p, "%u %31s", &t, sw) == 2 && t == tli
            && pgi_lsn_parse(sw, &s) == 0) {
            pgi_lsn_format(s, b, sizeof(b));
            snprintf(why, whylen, "timeline %u forked off at %s but the local "
                     "WAL reaches %s on it", tli, b, a);
            return lsn > s;
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    snprintf(why, whylen, "local timeline %u is not in the history of the "
             "primary's timeline %u", tli, v->tli);
    return true;
}
