/* dbgate.h: the ctfreak agent's database: its state (primary, standby,
 * unreachable) and start's gate, "never two CTFreak instances on one
 * database": dbgate.c's API.  Licence: GPL-2.0-or-later. */
#ifndef CTFREAK_DBGATE_H
#define CTFREAK_DBGATE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

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

/* ---- the decisions (pure) ---- */

/* The state pg_is_in_recovery()'s answer names: "t" a standby, any other
 * answer the primary. */
enum db_state db_state_from_recovery(const char *answer);

/* A session of CTFreak's role, as the gate's query returns it (neither the
 * agent's own nor a non-client backend: the query leaves those out). */
struct db_session {
    const char *pid;                /* backend pid, as text */
    const char *addr;               /* host(client_addr); NULL: a unix socket */
    const char *application;        /* application_name */
};

/* This node as the gate sees it. */
struct db_node {
    bool binary_runs;               /* a CTFreak process runs here (any folder) */
    const char (*addrs)[INET6_ADDRSTRLEN]; /* its interfaces' addresses */
    size_t naddrs;
};

enum db_session_verdict {
    DB_SESSION_OTHER_INSTANCE,      /* another instance's: the start must wait */
    DB_SESSION_LEFTOVER,            /* left by a dead local instance: end it */
};

/* A session from this node (a unix socket, the loopback, one of the node's
 * addresses) while no CTFreak process runs here is a leftover; any other
 * session is another instance's. */
enum db_session_verdict db_session_judge(const struct db_session *s,
                                         const struct db_node *node);

/* Names the session for a message: "role R, backend pid P, from A,
 * application "N"" ("from local socket" for a unix socket). */
void db_session_describe(const struct db_session *s, const char *role,
                         char *who, size_t len);

/* What start's gate found out about the database. */
struct db_gate_facts {
    enum db_state state;            /* DB_UNREACHABLE: no connection */
    int other;                      /* another instance connected (asked of a
                                     * primary only): 1 yes, 0 no, -1 cannot tell */
    const char *err;                /* what went wrong ("" if nothing) */
    const char *who;                /* the other instance's session (other > 0) */
};

enum db_gate_verdict {
    DB_GATE_OPEN,                   /* start */
    DB_GATE_BUSY,                   /* another instance: ask again a moment later */
    DB_GATE_CLOSED,                 /* refuse the start at once */
};

/* The gate's verdict: a primary that no other instance uses (or no database
 * at all) lets the start go on.  Fills why for a verdict other than open. */
enum db_gate_verdict db_gate_judge(const struct db_gate_facts *f, char *why,
                                   size_t wlen);

/* ---- asking the database ---- */

/* The database's state now (DB_NOT_CONFIGURED without db_conninfo), err
 * filled when it is unreachable or in error. */
enum db_state db_state_check(struct ra_ctx *ctx, char *err, size_t len);

/* Start's database gate: primary, reachable, and nobody else's, another
 * instance's session asked about again for a few seconds.  Returns
 * OCF_SUCCESS or the code to refuse the start with (reason given). */
int db_allows_start(struct ra_ctx *ctx, const struct instance *inst);

#endif
