/* dbgate.h: the ctfreak agent's database: its state (primary, standby,
 * unreachable) and start's gate, "never two CTFreak instances on one
 * database": dbgate.c's API.  Licence: GPL-2.0-or-later. */
#ifndef CTFREAK_DBGATE_H
#define CTFREAK_DBGATE_H

#include "common/ra.h"
#include "instance.h"

enum db_state {
    DB_NOT_CONFIGURED,
    DB_PRIMARY,
    DB_STANDBY,
    DB_UNREACHABLE,
    DB_ERROR,
};

const char *db_state_str(enum db_state s);

/* The database's state now (DB_NOT_CONFIGURED without db_conninfo), err
 * filled when it is unreachable or in error. */
enum db_state db_state_check(struct ra_ctx *ctx, char *err, size_t len);

/* Start's database gate: primary, reachable, and nobody else's, another
 * instance's session asked about again for a few seconds.  Returns
 * OCF_SUCCESS or the code to refuse the start with (reason given). */
int db_allows_start(struct ra_ctx *ctx, const struct instance *inst);

#endif
