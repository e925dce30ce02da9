/* standbys.h: the primary's standbys (pg_stat_replication), their promotion
 * scores and synchronous_standby_names.  Licence: GPL-2.0-or-later. */
#ifndef PGSQL_STANDBYS_H
#define PGSQL_STANDBYS_H

#include "instance.h"
#include "notify.h"
#include "state.h"

#include <stdbool.h>

#define KNOWN_MAX 32            /* standbys a primary keeps track of */

/* One row of pg_stat_replication. */
struct standby_row {
    char name[128];             /* application_name */
    char state[32];             /* "streaming", "catchup", ... */
    char sync[16];              /* sync_state: "async", "sync", "quorum", ... */
    long long lag;              /* bytes its flush is behind, -1 unknown */
};

/* ---- the decisions (pure) ---- */

/* application_name is chosen by whoever connects with replication rights:
 * only the name of a cluster node (nodes, nn of them; nn < 0: unknown) other
 * than self is a standby of ours. */
bool standby_is_ours(const char *name, const char *self, char nodes[][128],
                     int nn);

/* What the primary makes of one of its standbys. */
enum standby_verdict {
    STANDBY_NOT_READY,          /* not streaming, or its name is used twice */
    STANDBY_LAGGING,            /* streams, more than maxlag (> 0) behind */
    STANDBY_UNSYNCED,           /* healthy, but synchronous is on and it is
                                 * not known to hold every commit yet */
    STANDBY_HEALTHY,            /* healthy and holds every commit: ranked */
};
enum standby_verdict standby_judge(const struct standby_row *r, bool dup,
                                   long long maxlag, bool sync);
/* Healthy standbys form the synchronous set (synchronous=on). */
bool standby_is_healthy(enum standby_verdict v);
/* Score of the rank-th ranked standby (0: the first in pg_stat_replication's
 * order, streaming and furthest first): 1000, 990, 980... */
int standby_rank_score(int rank);
/* The lag a person (and an exporter) reads in crm_mon -A: a class that does
 * not move under a steady load.  "<1MB", "<16MB", "behind" (16 MiB or more),
 * "unknown" (lag < 0). */
const char *standby_lag_class(long long lag);
/* synchronous_standby_names for mode given the healthy standbys (quoted,
 * comma-separated): on: "ANY 1 (<healthy>)" or "" when none; strict:
 * "ANY 1 (*)"; off: *want NULL (left alone).  Returns 0 or -ENOMEM. */
int ssn_wanted(const char *mode, const char *healthy, char **want);

/* ---- the primary's work ---- */

/* The synchronous parameter: "off", "on" or "strict". */
const char *synchronous_mode(const struct pg_inst *pg);

/* Scores, sync state and lag of every standby, synchronous_standby_names
 * and slots.  Returns how many standbys stream, or -1. */
int primary_check_standbys(struct pg_inst *pg, PGconn *conn,
                           const struct pg_status *st);
/* Forgets the standbys seen (at stop and promote). */
void known_reset(struct pg_inst *pg);
/* A new primary's synchronous_standby_names. */
void promoted_sync_setup(struct pg_inst *pg, PGconn *conn,
                         const struct pg_status *st);
/* Post-stop notification on the primary: the stopped standbys' walsenders
 * end and they leave the synchronous set now. */
void standbys_stopped(struct pg_inst *pg, const struct ra_notify *nt);

#endif
