/* state.c: what the local instance is now (status query, control file),
 * the attributes that show it, the promotion scores.  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attr.h"
#include "deadline.h"
#include "log.h"
#include "ra.h"

const char *pg_state_str(enum pg_state s)
{
    switch (s) {
    case PG_ERROR:           return "unknown";
    case PG_WRONG_SERVER:    return "another server";
    case PG_STOPPED:         return "stopped";
    case PG_CRASHED_PRIMARY: return "crashed primary";
    case PG_CRASHED_STANDBY: return "crashed standby";
    case PG_NOT_READY:       return "not accepting connections";
    case PG_PRIMARY:         return "primary";
    case PG_STANDBY:         return "standby";
    }
    return "?";
}

enum pg_state pg_state_of_control(const char *cluster_state)
{
    if (strcmp(cluster_state, "shut down") == 0
        || strcmp(cluster_state, "shut down in recovery") == 0) {
        return PG_STOPPED;
    }
    if (strcmp(cluster_state, "in production") == 0) {
        return PG_CRASHED_PRIMARY;
    }
    /* in archive recovery, in crash recovery, starting up, shutting down. */
    return PG_CRASHED_STANDBY;
}

static const char status_sql[] =
    "SELECT pg_is_in_recovery(),"
    " CASE WHEN pg_is_in_recovery() THEN greatest("
    "   (SELECT received_tli FROM pg_stat_wal_receiver WHERE received_tli > 0),"
    "   (SELECT timeline_id FROM pg_control_checkpoint()),"
    "   (SELECT min_recovery_end_timeline FROM pg_control_recovery()))"
    "  ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))"
    "       ::bit(32)::int END,"
    " CASE WHEN pg_is_in_recovery()"
    "  THEN greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"
    "  ELSE pg_current_wal_lsn() END,"
    " coalesce(pg_last_wal_replay_lsn(), '0/0'),"
    " coalesce((SELECT status FROM pg_stat_wal_receiver), ''),"
    " coalesce((SELECT greatest(pg_wal_lsn_diff(latest_end_lsn, flushed_lsn), 0)"
    "           ::bigint FROM pg_stat_wal_receiver), -1),"
    " current_setting('primary_conninfo'),"
    " current_setting('synchronous_standby_names'),"
    " current_setting('data_directory')";

static void attr_name(const struct pg_inst *pg, const char *what, char *buf,
                      size_t len)
{
    snprintf(buf, len, "%s-%s", pg->base, what);
}

/* Node attributes are informative: a failure is logged, never fatal. */
void attr_show(struct pg_inst *pg, const char *node, const char *what,
                      const char *value)
{
    char name[192];

    attr_name(pg, what, name, sizeof(name));
    if (value != NULL) {
        (void) ra_attr_set(pg->ctx, RA_ATTR_TRANSIENT, name, node, value);
    } else {
        (void) ra_attr_del(pg->ctx, RA_ATTR_TRANSIENT, name, node);
    }
}

int priv_set(struct pg_inst *pg, const char *node, const char *what,
                    const char *value)
{
    char name[192];

    attr_name(pg, what, name, sizeof(name));
    return value != NULL
           ? ra_attr_set(pg->ctx, RA_ATTR_PRIVATE, name, node, value)
           : ra_attr_del(pg->ctx, RA_ATTR_PRIVATE, name, node);
}

char *priv_get(struct pg_inst *pg, const char *node, const char *what)
{
    char name[192];
    char *v = NULL;

    attr_name(pg, what, name, sizeof(name));
    if (ra_attr_get(pg->ctx, RA_ATTR_PRIVATE, name, node, &v) != 0) {
        return NULL;
    }
    return v;
}

void score_set(struct pg_inst *pg, const char *node, const char *score)
{
    if (ra_attr_set(pg->ctx, RA_ATTR_PROMOTION, "", node, score) != 0) {
        ra_log_warn("cannot set the promotion score | node=%s score=%s",
                    node != NULL ? node : pg->ctx->node, score);
    }
}

/* Score of another node, within ATTR_OTHER_MS of the action's deadline. */
#define ATTR_OTHER_MS 1500

bool score_set_bounded(struct pg_inst *pg, const char *node,
                              const char *score)
{
    struct ra_deadline saved = pg->ctx->deadline;
    int rc;

    ra_deadline_init(&pg->ctx->deadline,
                     ra_deadline_cap_ms(&saved, ATTR_OTHER_MS));
    rc = ra_attr_set(pg->ctx, RA_ATTR_PROMOTION, "", node, score);
    pg->ctx->deadline = saved;
    return rc == 0;
}

static int status_query(struct pg_inst *pg, PGconn *conn, struct pg_status *st,
                        char *err, size_t errlen)
{
    PGresult *res = pgi_exec(pg, conn, status_sql, 0, NULL, err, errlen);
    int rc = -1;

    memset(st, 0, sizeof(*st));
    if (res == NULL) {
        return -1;
    }
    if (PQntuples(res) != 1 || PQnfields(res) != 9) {
        snprintf(err, errlen, "unexpected answer to the status query");
        goto done;
    }
    st->primary = strcmp(PQgetvalue(res, 0, 0), "f") == 0;
    if (sscanf(PQgetvalue(res, 0, 1), "%u", &st->tli) != 1) {
        st->tli = 0;
    }
    if (pgi_lsn_parse(PQgetvalue(res, 0, 2), &st->lsn) != 0) {
        st->lsn = 0;
    }
    if (pgi_lsn_parse(PQgetvalue(res, 0, 3), &st->replay) != 0) {
        st->replay = 0;
    }
    snprintf(st->receiver, sizeof(st->receiver), "%s", PQgetvalue(res, 0, 4));
    st->lag = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
    /* Never cut: a shortened conninfo would connect elsewhere. */
    if ((size_t) PQgetlength(res, 0, 6) >= sizeof(st->conninfo)
        || (size_t) PQgetlength(res, 0, 7) >= sizeof(st->ssn)) {
        snprintf(err, errlen, "primary_conninfo or synchronous_standby_names "
                 "longer than %zu bytes: not supported", sizeof(st->ssn) - 1);
        goto done;
    }
    snprintf(st->conninfo, sizeof(st->conninfo), "%s", PQgetvalue(res, 0, 6));
    snprintf(st->ssn, sizeof(st->ssn), "%s", PQgetvalue(res, 0, 7));
    snprintf(st->data_directory, sizeof(st->data_directory), "%s",
             PQgetvalue(res, 0, 8));
    rc = 0;
done:
    PQclear(res);
    return rc;
}

/* Decides the state of a server that accepts no connection. */
static enum pg_state state_from_disk(struct pg_inst *pg, struct pg_control *cd,
                                     const char *conn_err)
{
    bool stale = false;
    pid_t pid = pgi_postmaster(pg, &stale);

    if (pid > 0) {
        char said[sizeof(pg->not_ready_said)];

        /* Bounded so that the comparison key always fits: a longer error
         * differing only past 200 bytes counts as the same reason. */
        snprintf(said, sizeof(said), "%d %.200s", (int) pid, conn_err);
        if (strcmp(said, pg->not_ready_said) != 0) {
            ra_log_info("postmaster %d is alive but refuses connections: %s",
                        (int) pid, conn_err);
            memcpy(pg->not_ready_said, said, sizeof(said));
        }
        return PG_NOT_READY;
    }
    if (pgi_exists(pg, "backup_label") && !pgi_exists(pg, "postmaster.pid")) {
        /* A fresh base backup, never started: its control file still says
         * "in production". */
        memset(cd, 0, sizeof(*cd));
        return PG_STOPPED;
    }
    if (pgi_controldata(pg, cd) != 0) {
        ra_exit_reason("cannot read the control file of %s", pg->datadir);
        return PG_ERROR;
    }
    return pg_state_of_control(cd->state);
}

/* Is the server that answers on pghost:pgport the one in datadir?  A
 * mismatch (PAF's layout with datadir left at another default, or a port
 * shared by two clusters) would make stop report success for a server it
 * never stopped. */
static bool same_server(const struct pg_inst *pg, const struct pg_status *st)
{
    char a[PATH_MAX];
    char b[PATH_MAX];

    if (strcmp(st->data_directory, pg->datadir) == 0) {
        return true;
    }
    return realpath(st->data_directory, a) != NULL
           && realpath(pg->datadir, b) != NULL && strcmp(a, b) == 0;
}

/* One connection, one query: the state of the instance.  conn is left open
 * for the caller when out_conn is not NULL and the server is up. */
enum pg_state instance_state(struct pg_inst *pg, struct pg_status *st,
                                    struct pg_control *cd, PGconn **out_conn)
{
    char err[512] = "";
    PGconn *conn = pgi_connect(pg, err, sizeof(err));
    enum pg_state s;

    memset(st, 0, sizeof(*st));
    memset(cd, 0, sizeof(*cd));
    if (out_conn != NULL) {
        *out_conn = NULL;
    }
    if (conn == NULL) {
        return state_from_disk(pg, cd, err);
    }
    if (status_query(pg, conn, st, err, sizeof(err)) != 0) {
        ra_exit_reason("status query failed: %s", err);
        PQfinish(conn);
        return PG_ERROR;
    }
    if (!same_server(pg, st)) {
        ra_exit_reason("the server on %s port %s runs data directory %s, not "
                       "datadir %s: set datadir, pghost or pgport to one "
                       "server", pg->pghost, pg->port, st->data_directory,
                       pg->datadir);
        PQfinish(conn);
        return PG_WRONG_SERVER;
    }
    s = st->primary ? PG_PRIMARY : PG_STANDBY;
    if (out_conn != NULL) {
        *out_conn = conn;
    } else {
        PQfinish(conn);
    }
    return s;
}

bool pg_installed(struct pg_inst *pg, char *why, size_t len)
{
    struct stat sb;

    if (access(pg->postgres, X_OK) != 0) {
        snprintf(why, len, "%s is not executable", pg->postgres);
        return false;
    }
    if (stat(pg->datadir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(why, len, "data directory %s does not exist", pg->datadir);
        return false;
    }
    return true;
}

void show_local(struct pg_inst *pg, const struct pg_status *st)
{
    char buf[32];

    attr_show(pg, NULL, "role", st->primary ? "primary" : "standby");
    snprintf(buf, sizeof(buf), "%u", st->tli);
    attr_show(pg, NULL, "timeline", buf);
    /* The LSN moves with every commit: shown, it would be an attribute
     * change, a scheduler run and a new exporter series at every monitor.
     * The election publishes it privately when it needs it.  (Deleted for
     * clusters upgraded from a version that showed it; cached: no exec.) */
    attr_show(pg, NULL, "lsn", NULL);
    if (st->primary) {
        attr_show(pg, NULL, "receiver", NULL);
        attr_show(pg, NULL, "sync", "primary");
        attr_show(pg, NULL, "lag", NULL);
    } else {
        attr_show(pg, NULL, "receiver", st->receiver[0] != '\0' ? st->receiver
                                                                 : "none");
    }
}

void show_stopped(struct pg_inst *pg)
{
    static const char *const names[] = { "role", "timeline", "lsn", "receiver",
                                         "sync", "lag", "rewind", NULL };

    for (size_t i = 0; names[i] != NULL; i++) {
        attr_show(pg, NULL, names[i], NULL);
    }
}

enum tl_verdict timeline_check(struct pg_inst *pg, const char *conninfo,
                                      unsigned tli, uint64_t lsn, char *why,
                                      size_t whylen)
{
    struct pg_primary_view v;
    char err[256];
    enum tl_verdict verdict;

    if (conninfo == NULL || conninfo[0] == '\0') {
        snprintf(why, whylen, "no primary_conninfo");
        return TL_UNKNOWN;
    }
    if (pgi_primary_view(pg, conninfo, &v, err, sizeof(err)) != 0) {
        snprintf(why, whylen, "primary not reachable: %.200s", err);
        return TL_UNKNOWN;
    }
    if (v.is_standby) {
        snprintf(why, whylen, "upstream is a standby");
        verdict = TL_UNKNOWN;
    } else {
        verdict = pgi_diverged(&v, tli, lsn, why, whylen) ? TL_DIVERGED : TL_OK;
    }
    pgi_primary_view_free(&v);
    return verdict;
}

int state_to_ocf(enum pg_state s)
{
    switch (s) {
    case PG_STOPPED:
        return OCF_NOT_RUNNING;
    case PG_CRASHED_PRIMARY:
        ra_exit_reason("primary crashed: not running and not shut down cleanly");
        return OCF_FAILED_PROMOTED;
    case PG_CRASHED_STANDBY:
        ra_exit_reason("standby crashed: not running and not shut down cleanly");
        return OCF_ERR_GENERIC;
    case PG_NOT_READY:
        ra_exit_reason("postmaster running but not accepting connections");
        return OCF_ERR_GENERIC;
    case PG_WRONG_SERVER:
        return OCF_ERR_CONFIGURED;
    case PG_ERROR:
    default:
        return OCF_ERR_GENERIC;
    }
}
