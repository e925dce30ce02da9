/* dbgate.c: the ctfreak agent's database: its state and start's gate, the
 * rule that two CTFreak instances never share one database.  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "dbgate.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/deadline.h"
#include "common/log.h"
#include "common/pg.h"
#include "common/ra.h"

#define DB_GATE_WAIT_MS 5000
#define DB_GATE_POLL_MS 200

const char *db_state_str(enum db_state s)
{
    switch (s) {
    case DB_NOT_CONFIGURED: return "not configured";
    case DB_PRIMARY:        return "primary";
    case DB_STANDBY:        return "a standby (in recovery)";
    case DB_UNREACHABLE:    return "unreachable";
    case DB_ERROR:          return "in error";
    }
    return "unknown";
}

/* ---- the database ---------------------------------------------------------------------- */

static PGconn *db_connect(struct ra_ctx *ctx, char *err, size_t len)
{
    return ra_pg_connect(ra_param(ctx, "db_conninfo"), &ctx->deadline,
                         ra_param_ms(ctx, "connect_timeout"), err, len);
}

/* Is the database reachable, and primary? */
static enum db_state db_role_of(struct ra_ctx *ctx, PGconn *conn, char *err, size_t len)
{
    PGresult *res = ra_pg_exec(conn, "SELECT pg_is_in_recovery()", 0, NULL,
                               &ctx->deadline, err, len);
    enum db_state st;

    if (res == NULL) {
        return DB_ERROR;
    }
    st = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? DB_STANDBY : DB_PRIMARY;
    PQclear(res);
    return st;
}

enum db_state db_state_check(struct ra_ctx *ctx, char *err, size_t len)
{
    enum db_state st;
    PGconn *conn;

    if (*ra_param(ctx, "db_conninfo") == '\0') {
        return DB_NOT_CONFIGURED;
    }
    conn = db_connect(ctx, err, len);
    if (conn == NULL) {
        return DB_UNREACHABLE;
    }
    st = db_role_of(ctx, conn, err, len);
    PQfinish(conn);
    return st;
}

/* The role CTFreak connects as: db_role, else the user of db_conninfo. */
static char *db_ctfreak_role(struct ra_ctx *ctx, PGconn *conn)
{
    const char *role = ra_param(ctx, "db_role");

    return strdup(*role != '\0' ? role : PQuser(conn));
}

/* Is addr (text from host(client_addr); NULL for a unix socket) one of
 * this node's addresses? */
static bool addr_is_local(const char *addr)
{
    struct ifaddrs *ifs = NULL;
    bool local = false;

    if (addr == NULL || strcmp(addr, "127.0.0.1") == 0 || strcmp(addr, "::1") == 0) {
        return true;
    }
    if (getifaddrs(&ifs) != 0) {
        return false;
    }
    for (struct ifaddrs *i = ifs; i != NULL && !local; i = i->ifa_next) {
        char buf[INET6_ADDRSTRLEN] = "";

        if (i->ifa_addr == NULL) {
            continue;
        }
        if (i->ifa_addr->sa_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *) (void *) i->ifa_addr)->sin_addr,
                      buf, sizeof(buf));
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *) (void *) i->ifa_addr)->sin6_addr,
                      buf, sizeof(buf));
        }
        local = buf[0] != '\0' && strcmp(buf, addr) == 0;
    }
    freeifaddrs(ifs);
    return local;
}

/* A session of CTFreak's role from this node while no CTFreak process runs
 * here is left by a dead local instance (e.g. a backend still waiting for a
 * synchronous standby after its client died): end it. */
static bool db_end_leftover(struct ra_ctx *ctx, PGconn *conn, const char *pid,
                            const char *from)
{
    char err[256] = "";
    const char *params[1] = { pid };
    PGresult *res = ra_pg_exec(conn, "SELECT pg_terminate_backend($1::int, 2000)", 1,
                               params, &ctx->deadline, err, sizeof(err));
    bool ended = res != NULL && strcmp(PQgetvalue(res, 0, 0), "t") == 0;

    ra_log_warn("session %s from %s belongs to no running CTFreak process on this "
                "node (left by a dead instance): %s", pid, from,
                ended ? "terminated" : err[0] != '\0' ? err : "could not terminate it");
    PQclear(res);
    return ended;
}

/* Another CTFreak instance connected to the database?  Fills who; returns
 * 1 yes, 0 no, -1 could not tell (err set).  Sessions left by a dead local
 * instance are ended, not counted. */
static int db_other_instance(struct ra_ctx *ctx, const struct instance *inst,
                             PGconn *conn, char *who, size_t wlen, char *err, size_t elen)
{
    static const char sql[] =
        "SELECT pid, host(client_addr), application_name "
        "FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend' "
        "AND application_name <> 'ctfreak-ha-agent'";
    char *role = db_ctfreak_role(ctx, conn);
    const char *params[1] = { role };
    bool local_binary = instance_binary_runs_here(inst);
    PGresult *res;
    int found = 0;

    if (role == NULL) {
        snprintf(err, elen, "out of memory");
        return -1;
    }
    res = ra_pg_exec(conn, sql, 1, params, &ctx->deadline, err, elen);
    if (res == NULL) {
        free(role);
        return -1;
    }
    for (int i = 0; i < PQntuples(res) && found == 0; i++) {
        const char *addr = PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1);
        const char *from = addr != NULL ? addr : "local socket";

        if (!local_binary && addr_is_local(addr)
            && db_end_leftover(ctx, conn, PQgetvalue(res, i, 0), from)) {
            continue;
        }
        snprintf(who, wlen, "role %s, backend pid %s, from %s, application \"%s\"", role,
                 PQgetvalue(res, i, 0), from, PQgetvalue(res, i, 2));
        found = 1;
    }
    PQclear(res);
    free(role);
    return found;
}

/* Start's database gate: primary, reachable, and nobody else's.  Returns
 * OCF_SUCCESS, or OCF_ERR_GENERIC with why filled (*busy set when another
 * instance's session is the reason). */
static int db_gate(struct ra_ctx *ctx, const struct instance *inst, char *why, size_t wlen,
                   bool *busy)
{
    char err[512] = "";
    char who[512] = "";
    enum db_state st;
    PGconn *conn;
    int other;

    conn = db_connect(ctx, err, sizeof(err));
    if (conn == NULL) {
        snprintf(why, wlen, "the database is unreachable: %s", err);
        return OCF_ERR_GENERIC;
    }
    st = db_role_of(ctx, conn, err, sizeof(err));
    if (st != DB_PRIMARY) {
        snprintf(why, wlen, "the database is %s%s%s", db_state_str(st),
                 *err != '\0' ? ": " : "", err);
        PQfinish(conn);
        return OCF_ERR_GENERIC;
    }
    other = db_other_instance(ctx, inst, conn, who, sizeof(who), err, sizeof(err));
    PQfinish(conn);
    if (other < 0) {
        snprintf(why, wlen, "cannot check for another CTFreak instance: %s", err);
        return OCF_ERR_GENERIC;
    }
    if (other > 0) {
        *busy = true;
        snprintf(why, wlen, "another CTFreak instance is connected to the database (%s); "
                 "two instances must never share one database", who);
        return OCF_ERR_GENERIC;
    }
    return OCF_SUCCESS;
}

/* The gate.  Another instance's session is asked about again for up to
 * DB_GATE_WAIT_MS: it is often over in a moment (an instance that just died,
 * its backend still finishing), and a refused start is retried by Pacemaker
 * at once, in a tight loop.  A database that is down or a standby is refused
 * at once: Pacemaker has to act on it, and a waiting start would hold up the
 * transition that does.  Returns OCF_SUCCESS or the code to refuse with
 * (reason given). */
int db_allows_start(struct ra_ctx *ctx, const struct instance *inst)
{
    struct ra_deadline wait;
    char why[1200] = "";
    bool said = false;
    long budget;

    if (*ra_param(ctx, "db_conninfo") == '\0') {
        return OCF_SUCCESS;
    }
    /* at most a third of the start's time: launching needs the rest */
    budget = ra_deadline_remaining_ms(&ctx->deadline) / 3;
    ra_deadline_init(&wait, budget < DB_GATE_WAIT_MS ? budget : DB_GATE_WAIT_MS);
    for (;;) {
        bool busy = false;

        if (db_gate(ctx, inst, why, sizeof(why), &busy) == OCF_SUCCESS) {
            break;
        }
        if (!busy) {
            ra_exit_reason("not starting: %s", why);
            return OCF_ERR_GENERIC;
        }
        if (!said) {
            ra_log_info("waiting up to %ld ms: %s", ra_deadline_remaining_ms(&wait), why);
            said = true;
        }
        if (!ra_deadline_sleep_ms(&wait, DB_GATE_POLL_MS)) {
            ra_exit_reason("not starting: %s", why);
            return OCF_ERR_GENERIC;
        }
    }
    if (said) {
        ra_log_info("the database allows the start now");
    }
    return OCF_SUCCESS;
}
