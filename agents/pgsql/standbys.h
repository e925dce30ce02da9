/* standbys.h: the primary's standbys (pg_stat_replication), their promotion
 * scores and synchronous_standby_names.  Licence: GPL-2.0-or-later. */
#ifndef PGSQL_STANDBYS_H
#define PGSQL_STANDBYS_H

#include "instance.h"
#include "notify.h"
#include "state.h"

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
