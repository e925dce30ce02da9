/* election.h: who may be promoted: the cold-start candidacy, the locations
 * published in the pre-promote notification, switchover safety and the
 * last-primary tie-break.  Licence: GPL-2.0-or-later. */
#ifndef PGSQL_ELECTION_H
#define PGSQL_ELECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "instance.h"
#include "notify.h"
#include "state.h"

/* ---- the decisions (pure) ---- */

/* Where a candidate's WAL ends, as published ("tli:X/Y[:last-primary]"). */
struct pg_location {
    unsigned tli;
    uint64_t lsn;
    bool last_primary;          /* it was the primary last */
};

/* Is a ahead of b: a newer timeline, or further on the same one, or at the
 * same position while a was the last primary and b was not (its config
 * folder holds the newest files too)?  The election promotes a node no other
 * candidate is ahead of. */
bool location_ahead(const struct pg_location *a, const struct pg_location *b);

/* A switchover target is safe to promote once it received WAL past the old
 * primary's shutdown checkpoint. */
bool switchover_safe(uint64_t received, uint64_t shutdown_ckpt);

/* A standby with no primary reachable becomes a cold-start candidate only
 * when it has no promotion score at all (score NULL). */
bool candidacy_applies(const char *score);
/* Is score the candidate's own (the one a monitor may withdraw)? */
bool candidacy_is_ours(const char *score);

/* ---- the election's steps (attributes, files, the local server) ---- */

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
