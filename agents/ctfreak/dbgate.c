/* dbgate.c: the ctfreak agent's database: its state and start's gate, the
 * rule that two CTFreak instances never share one database.  The decisions
 * are pure functions; the rest asks PostgreSQL.  Licence: GPL-2.0-or-later. */
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

/* ---- the decisions ------------------------------------------------------------------- */

enum db_state db_state_from_recovery(const char *answer)
{
    return answer != NULL && strcmp(answer, "t") == 0 ? DB_STANDBY : DB_PRIMARY;
}

/* Is addr (NULL for a unix socket) one of this node's addresses? */
static bool addr_is_local(const char *addr, const struct db_node *node)
{
    if (addr == NULL || strcmp(addr, "127.0.0.1") == 0 || strcmp(addr, "::1") == 0) {
        return true;
    }
    for (size_t i = 0; i < node->naddrs; i++) {
        if (node->addrs[i][0] != '\0' && strcmp(node->addrs[i], addr) == 0) {
            return true;
        }
    }
    return false;
}

enum db_session_verdict db_session_judge(const struct db_session *s,
                                         const struct db_node *node)
{
    return !node->binary_runs && addr_is_local(s->addr, node) ? DB_SESSION_LEFTOVER
                                                               : DB_SESSION_OTHER_INSTANCE;
}

void db_session_describe(const struct db_session *s, const char *role, char *who,
                         size_t len)
{
    snprintf(who, len, "role %s, backend pid %s, from %s, application \"%s\"", role,
             s->pid, s->addr != NULL ? s->addr : "local socket", s->application);
}

enum db_gate_verdict db_gate_judge(const struct db_gate_facts *f, char *why, size_t wlen)
{
    if (f->state == DB_NOT_CONFIGURED) {
        return DB_GATE_OPEN;
    }
    if (f->state == DB_UNREACHABLE) {
        snprintf(why, wlen, "the database is unreachable: %s", f->err);
        return DB_GATE_CLOSED;
    }
    if (f->state != DB_PRIMARY) {
        snprintf(why, wlen, "the database is %s%s%s", db_state_str(f->state),
                 *f->err != '\0' ? ": " : "", f->err);
        return DB_GATE_CLOSED;
    }
    if (f->other < 0) {
        snprintf(why, wlen, "cannot check for another CTFreak instance: %s", f->err);
        return DB_GATE_CLOSED;
    }
    if (f->other > 0) {
        snprintf(why, wlen, "another CTFreak instance is connected to the database (%s); "
                 "two instances must never share one database", f->who);
        return DB_GATE_BUSY;
    }
    return DB_GATE_OPEN;
}

/* ---- the database's state ------------------------------------------------------------- */

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
    st = db_state_from_recovery(PQgetvalue(res, 0, 0));
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

/* ---- the other-instance rule ---------------------------------------------------------- */

/* The role CTFreak connects as: db_role, else the user of db_conninfo. */
static char *db_ctfreak_role(struct ra_ctx *ctx, PGconn *conn)
{
    const char *role = ra_param(ctx, "db_role");

    return strdup(*role != '\0' ? role : PQuser(conn));
}

/* This node's interface addresses, as inet_ntop writes them, in a new array
 * (*n of them; NULL and 0 when they cannot be listed or no memory is left:
 * then only the loopback and unix sockets count as this node's). */
static char (*node_addrs(size_t *n))[INET6_ADDRSTRLEN]
{
    struct ifaddrs *ifs = NULL;
    char (*addrs)[INET6_ADDRSTRLEN];
    size_t max = 0;

    *n = 0;
    if (getifaddrs(&ifs) != 0) {
        return NULL;
    }
    for (struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next) {
        max++;
    }
    addrs = calloc(max > 0 ? max : 1, sizeof(*addrs));
    for (struct ifaddrs *i = ifs; i != NULL && addrs != NULL; i = i->ifa_next) {
        if (i->ifa_addr == NULL) {
            continue;
        }
        if (i->ifa_addr->sa_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *) (void *) i->ifa_addr)->sin_addr,
                      addrs[*n], sizeof(addrs[*n]));
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *) (void *) i->ifa_addr)->sin6_addr,
                      addrs[*n], sizeof(addrs[*n]));
        }
        if (addrs[*n][0] != '\0') {
            (*n)++;
        }
    }
    freeifaddrs(ifs);
    return addrs;
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

/* The first session in res that is another instance's, leftovers ended on
 * the way.  Fills who; returns 1 found, 0 none. */
static int db_first_other_session(struct ra_ctx *ctx, PGconn *conn, PGresult *res,
                                  struct db_node *node, const char *role,
                                  char *who, size_t wlen)
{
    char (*addrs)[INET6_ADDRSTRLEN] = NULL;
    int found = 0;

    if (!node->binary_runs && PQntuples(res) > 0) {
        addrs = node_addrs(&node->naddrs);
        node->addrs = (const char (*)[INET6_ADDRSTRLEN]) addrs;
    }
    for (int i = 0; i < PQntuples(res) && found == 0; i++) {
        struct db_session s = {
            .pid = PQgetvalue(res, i, 0),
            .addr = PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1),
            .application = PQgetvalue(res, i, 2),
        };

        if (db_session_judge(&s, node) == DB_SESSION_LEFTOVER
            && db_end_leftover(ctx, conn, s.pid,
                               s.addr != NULL ? s.addr : "local socket")) {
            continue;
        }
        db_session_describe(&s, role, who, wlen);
        found = 1;
    }
    free(addrs);
    return found;
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
    struct db_node node = { .binary_runs = instance_binary_runs_here(inst) };
    PGresult *res;
    int found;

    if (role == NULL) {
        snprintf(err, elen, "out of memory");
        return -1;
    }
    res = ra_pg_exec(conn, sql, 1, params, &ctx->deadline, err, elen);
    if (res == NULL) {
        free(role);
        return -1;
    }
    found = db_first_other_session(ctx, conn, res, &node, role, who, wlen);
    PQclear(res);
    free(role);
    return found;
}

/* ---- the gate ------------------------------------------------------------------------- */

/* Start's database gate, asked once.  Returns OCF_SUCCESS, or
 * OCF_ERR_GENERIC with why filled (*busy set when another instance's
 * session is the reason). */
static int db_gate(struct ra_ctx *ctx, const struct instance *inst, char *why, size_t wlen,
                   bool *busy)
{
    char err[512] = "";
    char who[512] = "";
    struct db_gate_facts f = { .state = DB_UNREACHABLE, .other = -1, .err = err,
                               .who = who };
    PGconn *conn = db_connect(ctx, err, sizeof(err));

    if (conn != NULL) {
        f.state = db_role_of(ctx, conn, err, sizeof(err));
        if (f.state == DB_PRIMARY) {
            f.other = db_other_instance(ctx, inst, conn, who, sizeof(who), err,
                                        sizeof(err));
        }
        PQfinish(conn);
    }
    switch (db_gate_judge(&f, why, wlen)) {
    case DB_GATE_OPEN:
        return OCF_SUCCESS;
    case DB_GATE_BUSY:
        *busy = true;
        break;
    case DB_GATE_CLOSED:
        break;
    }
    return OCF_ERR_GENERIC;
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
