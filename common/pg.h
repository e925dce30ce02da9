/* pg.h: libpq with the action's deadline (connect, query, cancel).
 * Licence: GPL-2.0-or-later. */
#ifndef RA_PG_H
#define RA_PG_H

#include <stddef.h>
#include <libpq-fe.h>

#include "deadline.h"

/* Connects with conninfo (a libpq connection string or URI) before the
 * deadline (and within limit_ms if > 0).  Returns the connection or NULL with
 * the reason in err. */
PGconn *ra_pg_connect(const char *conninfo, const struct ra_deadline *d,
                      long limit_ms, char *err, size_t errlen);

/* Same, with keywords that replace (or add to) those of conninfo, e.g.
 * {"replication", NULL} / {"true", NULL}: URIs and keyword strings alike.
 * Host names are looked up before the deadline and passed as hostaddr (libpq's
 * own lookup cannot be bounded); nothing of conninfo is put in err. */
PGconn *ra_pg_connect_params(const char *conninfo, const char *const *over_keys,
                             const char *const *over_vals,
                             const struct ra_deadline *d, long limit_ms,
                             char *err, size_t errlen);

/* Runs sql with text params; waits at most until the deadline, cancelling the
 * query when it passes
 * (the cancel request itself is bounded too).  Returns the result (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK) or NULL with the reason in err. */
PGresult *ra_pg_exec(PGconn *conn, const char *sql, int nparams,
                     const char *const *params, const struct ra_deadline *d,
                     char *err, size_t errlen);

/* Copies one line of a libpq error message (no trailing newline). */
void ra_pg_errcpy(char *dst, size_t len, const char *msg);

#endif
