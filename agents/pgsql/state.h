/* state.h: what the local instance is now (one libpq round trip, or the
 * control file), the attributes that show and publish it, and the promotion
 * scores.  Licence: GPL-2.0-or-later. */
#ifndef PGSQL_STATE_H
#define PGSQL_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "instance.h"

/* Promotion scores (crm_attribute --promotion). */
#define SCORE_PRIMARY "1001"
#define SCORE_BEST 1000
#define SCORE_NOT_READY "-1"
#define SCORE_GONE "-1000"

/* What one libpq round trip tells about the local instance. */
struct pg_status {
    bool primary;
    unsigned tli;
    uint64_t lsn;               /* primary: current; standby: received/replayed */
    uint64_t replay;            /* standby: replayed */
    char receiver[32];          /* WAL receiver status, "" when none */
    long long lag;              /* standby: bytes behind the sender, -1 unknown */
    char conninfo[8192];        /* primary_conninfo */
    char ssn[8192];             /* synchronous_standby_names */
    char data_directory[PATH_MAX]; /* the server's own */
};

enum pg_state {
    PG_ERROR,                   /* cannot tell: reason printed */
    PG_WRONG_SERVER,            /* pghost:pgport answers for another data
                                 * directory: reason printed */
    PG_STOPPED,                 /* cleanly shut down (or never started) */
    PG_CRASHED_PRIMARY,
    PG_CRASHED_STANDBY,
    PG_NOT_READY,               /* postmaster alive, no connection */
    PG_PRIMARY,
    PG_STANDBY,
};

/* "primary", "crashed standby", ... */
const char *pg_state_str(enum pg_state s);

/* The state of a server that is down, from its control file's state
 * ("shut down", "in production", ...): stopped or crashed (pure). */
enum pg_state pg_state_of_control(const char *cluster_state);

/* The OCF code of a state that is neither primary nor standby (reason
 * printed). */
int state_to_ocf(enum pg_state s);

/* One connection, one query: the state of the instance.  conn is left open
 * for the caller when out_conn is not NULL and the server is up. */
enum pg_state instance_state(struct pg_inst *pg, struct pg_status *st,
                             struct pg_control *cd, PGconn **out_conn);

/* Are postgres and the data directory there?  why explains when not. */
bool pg_installed(struct pg_inst *pg, char *why, size_t len);

/* ---- attributes: <resource>-<what> on a node (NULL: the local one) ---- */

/* Shown in crm_mon -A (value NULL: deleted); a failure is logged only. */
void attr_show(struct pg_inst *pg, const char *node, const char *what,
               const char *value);
/* Private (never in the CIB): set (value NULL: delete) and read (malloc'd,
 * NULL when unset or unreadable).  priv_set returns 0 or -errno. */
int priv_set(struct pg_inst *pg, const char *node, const char *what,
             const char *value);
char *priv_get(struct pg_inst *pg, const char *node, const char *what);

/* The promotion score of node (NULL: the local one); a failure is logged. */
void score_set(struct pg_inst *pg, const char *node, const char *score);
/* The same for another node, bounded to ATTR_OTHER_MS of the deadline.
 * Returns false when it could not be set. */
bool score_set_bounded(struct pg_inst *pg, const char *node, const char *score);

/* The role, timeline, lsn and receiver in crm_mon -A; all deleted. */
void show_local(struct pg_inst *pg, const struct pg_status *st);
void show_stopped(struct pg_inst *pg);

/* ---- timelines ---- */

enum tl_verdict { TL_UNKNOWN, TL_OK, TL_DIVERGED };

/* Asks the primary of conninfo whether (tli, lsn) is on its history. */
enum tl_verdict timeline_check(struct pg_inst *pg, const char *conninfo,
                               unsigned tli, uint64_t lsn, char *why,
                               size_t whylen);

#endif
