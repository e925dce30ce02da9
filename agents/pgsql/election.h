/* election.h: who may be promoted: the cold-start candidacy, the locations
 * published in the pre-promote notification, switchover safety and the
 * last-primary tie-break.  Licence: GPL-2.0-or-later. */
#ifndef PGSQL_ELECTION_H
#define PGSQL_ELECTION_H

#include <stdbool.h>

#include "instance.h"
#include "notify.h"
#include "state.h"

/* A standby that started with no primary reachable: candidate (score 1)
 * unless it has a score; withdrawn by a standby's monitor once a primary
 * answers; forgotten at stop and promote. */
void candidate_set(struct pg_inst *pg);
void candidate_withdraw(struct pg_inst *pg);
void candidate_forget(struct pg_inst *pg);

/* The "last primary" mark beside the data directory. */
void last_primary_mark(const struct pg_inst *pg, bool on);

/* Pre-promote notification: switchover check, location published, the
 * candidates recorded by the target.  Returns an OCF code. */
int election_pre_promote(struct pg_inst *pg, const struct ra_notify *nt);
/* Post-promote: the election's attributes cleared. */
void election_cleanup(struct pg_inst *pg);

/* At promote: may this standby (at st) be promoted?  OCF_SUCCESS, or an
 * error with the reason printed (and the scores turned to the node ahead). */
int election_allows_promote(struct pg_inst *pg, const struct pg_status *st);

#endif
