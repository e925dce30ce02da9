/* parse.h: the pgsql agent's parsers of outside text and its pure
 * verdicts on them (parse.c: unit-tested, fuzzable).  Licence: GPL-2.0-or-later. */
#ifndef PGSQL_PARSE_H
#define PGSQL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <sys/types.h>

/* What pg_controldata (LC_ALL=C) says. */
struct pg_control {
    char state[48];             /* "in production", "shut down", ... */
    uint64_t ckpt;              /* Latest checkpoint location */
    uint64_t redo;              /* Latest checkpoint's REDO location */
    unsigned tli;               /* Latest checkpoint's TimeLineID */
    uint64_t minrec;            /* Minimum recovery ending location */
    unsigned minrec_tli;
    char wal_level[24];
};

/* What postmaster.pid says (lines 1, 4 and 5). */
struct pg_pidfile {
    pid_t pid;
    char port[16];
    char sockdir[PATH_MAX];
};

/* What the primary says about its timelines (replication protocol). */
struct pg_primary_view {
    unsigned tli;
    uint64_t flush;
    bool is_standby;            /* in_hot_standby: not a primary, no verdict */
    char *history;              /* TIMELINE_HISTORY content, NULL on timeline 1 */
};

/* "X/Y" <-> 64-bit LSN. */
int pgi_lsn_parse(const char *s, uint64_t *lsn);
void pgi_lsn_format(uint64_t lsn, char *buf, size_t len);

/* pg_controldata's output (LC_ALL=C).  Returns 0 or -EPROTO (a field missing,
 * malformed or too long). */
int pgi_controldata_parse(const char *out, struct pg_control *cd);

/* postmaster.pid's content.  Returns 0 or -EINVAL (no pid above 1 on line 1);
 * a port or socket folder too long is left empty. */
int pgi_pidfile_parse(const char *buf, struct pg_pidfile *pf);

/* "tli:X/Y[:last-primary]" published in the pre-promote notification.
 * Returns 0 or -EINVAL. */
int pgi_location_parse(const char *s, unsigned *tli, uint64_t *lsn, bool *last);
/* The same, written (len: 64 is enough). */
void pgi_location_format(unsigned tli, uint64_t lsn, bool last, char *buf,
                         size_t len);

/* Where the local WAL ends by the control file of a stopped server: the
 * newest of the checkpoint and the minimum recovery end (past the shutdown
 * checkpoint record of a clean primary shutdown), on its timeline. */
void pgi_control_end(const struct pg_control *cd, unsigned *tli,
                     uint64_t *lsn);

/* True when a node at (tli, lsn) is not on the primary's history: it holds
 * WAL the primary does not have.  why explains. */
bool pgi_diverged(const struct pg_primary_view *v, unsigned tli, uint64_t lsn,
                  char *why, size_t whylen);

#endif
