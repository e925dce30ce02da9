/* pgsql.c: ocf:ctfreak:pgsql, the promotable PostgreSQL streaming
 * replication agent (actions).  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "pgsql.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "deadline.h"
#include "fsafe.h"
#include "log.h"
#include "notify.h"
#include "pg.h"
#include "proc.h"
#include "ra.h"
#include "redact.h"
#include "run.h"
#include "trust.h"

extern const char pgsql_metadata[];
extern const struct ra_param_def pgsql_params[];

#define SCORE_PRIMARY "1001"
#define SCORE_BEST 1000
#define SCORE_NOT_READY "-1"
#define SCORE_GONE "-1000"
#define STANDBY_FAST_STOP_MS 5000
#define PROMOTE_POLL_MS 10

/* What one libpq round trip tells about the local instance. */
struct pg_status {
    bool primary;
    unsigned tli;
    uint64_t lsn;               /* primary: current; standby: received/replayed */
    uint64_t replay;            /* standby: replayed */
    char receiver[32];          /* WAL receiver status, "" when none */
    long long lag;              /* standby: bytes behind the sender, -1 unknown */
    char conninfo[8192];        /* primary_conninfo */
    char ssn[8192];             /* synchronous_standby_names */
    char data_directory[PATH_MAX]; /* the server's own */
};

enum pg_state {
    PG_ERROR,                   /* cannot tell: reason printed */
    PG_WRONG_SERVER,            /* pghost:pgport answers for another data
                                 * directory: reason printed */
    PG_STOPPED,                 /* cleanly shut down (or never started) */
    PG_CRASHED_PRIMARY,
    PG_CRASHED_STANDBY,
    PG_NOT_READY,               /* postmaster alive, no connection */
    PG_PRIMARY,
    PG_STANDBY,
};

static void candidate_withdraw(struct pg_inst *pg);
static void candidate_forget(struct pg_inst *pg);
static void slots_drop_stale_local(struct pg_inst *pg);

static const char *pg_state_str(enum pg_state s)
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

/* ---- small helpers ----------------------------------------------------- */

static void attr_name(const struct pg_inst *pg, const char *what, char *buf,
                      size_t len)
{
    snprintf(buf, len, "%s-%s", pg->base, what);
}

/* Node attributes are informative: a failure is logged, never fatal. */
static void attr_show(struct pg_inst *pg, const char *node, const char *what,
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

static int priv_set(struct pg_inst *pg, const char *node, const char *what,
                    const char *value)
{
    char name[192];

    attr_name(pg, what, name, sizeof(name));
    return value != NULL
           ? ra_attr_set(pg->ctx, RA_ATTR_PRIVATE, name, node, value)
           : ra_attr_del(pg->ctx, RA_ATTR_PRIVATE, name, node);
}

static char *priv_get(struct pg_inst *pg, const char *node, const char *what)
{
    char name[192];
    char *v = NULL;

    attr_name(pg, what, name, sizeof(name));
    if (ra_attr_get(pg->ctx, RA_ATTR_PRIVATE, name, node, &v) != 0) {
        return NULL;
    }
    return v;
}

static void score_set(struct pg_inst *pg, const char *node, const char *score)
{
    if (ra_attr_set(pg->ctx, RA_ATTR_PROMOTION, "", node, score) != 0) {
        ra_log_warn("cannot set the promotion score | node=%s score=%s",
                    node != NULL ? node : pg->ctx->node, score);
    }
}

/* Score of another node, within ATTR_OTHER_MS of the action's deadline.
 * Returns false when it could not be set. */
#define ATTR_OTHER_MS 1500

static bool score_set_bounded(struct pg_inst *pg, const char *node,
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

static const char *synchronous_mode(const struct pg_inst *pg)
{
    return ra_param(pg->ctx, "synchronous");
}

/* ---- state ------------------------------------------------------------- */

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
        ra_log_info("postmaster %d is alive but refuses connections: %s",
                    (int) pid, conn_err);
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
    if (strcmp(cd->state, "shut down") == 0
        || strcmp(cd->state, "shut down in recovery") == 0) {
        return PG_STOPPED;
    }
    if (strcmp(cd->state, "in production") == 0) {
        return PG_CRASHED_PRIMARY;
    }
    /* in archive recovery, in crash recovery, starting up, shutting down. */
    return PG_CRASHED_STANDBY;
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
static enum pg_state instance_state(struct pg_inst *pg, struct pg_status *st,
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

static bool installed(struct pg_inst *pg, char *why, size_t len)
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

/* ---- attributes shown in crm_mon -A ------------------------------------ */

static void show_local(struct pg_inst *pg, const struct pg_status *st)
{
    char buf[32];

    attr_show(pg, NULL, "role", st->primary ? "primary" : "standby");
    snprintf(buf, sizeof(buf), "%u", st->tli);
    attr_show(pg, NULL, "timeline", buf);
    pgi_lsn_format(st->lsn, buf, sizeof(buf));
    attr_show(pg, NULL, "lsn", buf);
    if (st->primary) {
        attr_show(pg, NULL, "receiver", NULL);
        attr_show(pg, NULL, "sync", "primary");
        attr_show(pg, NULL, "lag", "0");
    } else {
        attr_show(pg, NULL, "receiver", st->receiver[0] != '\0' ? st->receiver
                                                                 : "none");
    }
}

static void show_stopped(struct pg_inst *pg)
{
    static const char *const names[] = { "role", "timeline", "lsn", "receiver",
                                         "sync", "lag", NULL };

    for (size_t i = 0; names[i] != NULL; i++) {
        attr_show(pg, NULL, names[i], NULL);
    }
}

/* ---- the primary's view of its standbys -------------------------------- */

struct standby_row {
    char name[128];
    char state[32];
    char sync[16];
    long long lag;
};

static const char standbys_sql[] =
    "SELECT application_name, state, sync_state,"
    " coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn), -1)::bigint"
    " FROM pg_stat_replication"
    " WHERE application_name NOT IN ('', 'walreceiver', 'pg_basebackup',"
    "                                'pg_receivewal')"
    " ORDER BY state = 'streaming' DESC, flush_lsn DESC NULLS LAST,"
    "          application_name";

/* The standbys this primary has seen, one name a line in a state file: a
 * standby that is gone gets a negative score without asking the cluster. */
static size_t known_read(struct pg_inst *pg, char names[][128], size_t max)
{
    char path[PATH_MAX];
    char line[160];
    size_t n = 0;
    FILE *f;

    if (ra_state_path(pg->ctx, "standbys", path, sizeof(path)) != 0
        || (f = fopen(path, "re")) == NULL) {
        return 0;
    }
    while (n < max && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] != '\0') {
            snprintf(names[n++], 128, "%.127s", line);
        }
    }
    fclose(f);
    return n;
}

static void known_write(struct pg_inst *pg, char names[][128], size_t n)
{
    char path[PATH_MAX];
    char tmp[PATH_MAX + 8];
    FILE *f;

    if (ra_state_path(pg->ctx, "standbys", path, sizeof(path)) != 0) {
        return;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "we");
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\n", names[i]);
    }
    if (fclose(f) == 0) {
        (void) rename(tmp, path);
    }
}

static void known_reset(struct pg_inst *pg)
{
    char path[PATH_MAX];

    if (ra_state_path(pg->ctx, "standbys", path, sizeof(path)) == 0) {
        unlink(path);
    }
}

/* Sets synchronous_standby_names when it differs (ALTER SYSTEM + reload). */
static void ssn_apply(struct pg_inst *pg, PGconn *conn, const char *current,
                      const char *want)
{
    char err[256];
    char *lit;
    char *sql = NULL;
    PGresult *res;

    if (strcmp(current, want) == 0) {
        return;
    }
    lit = PQescapeLiteral(conn, want, strlen(want));
    if (lit == NULL || asprintf(&sql, "ALTER SYSTEM SET synchronous_standby_names"
                                " = %s", lit) < 0) {
        PQfreemem(lit);
        return;
    }
    res = pgi_exec(pg, conn, sql, 0, NULL, err, sizeof(err));
    if (res != NULL) {
        PQclear(res);
        res = pgi_exec(pg, conn, "SELECT pg_reload_conf()", 0, NULL, err,
                       sizeof(err));
    }
    if (res == NULL) {
        ra_log_err("cannot set synchronous_standby_names: %s", err);
    } else {
        ra_log_notice("synchronous_standby_names changed | from='%s' to='%s'",
                      current, want);
        PQclear(res);
    }
    PQfreemem(lit);
    free(sql);
}

/* Physical slot name of a node: lower-case alphanumerics and "_". */
static void slot_name(const char *node, char *buf, size_t len)
{
    size_t o = 0;

    for (; *node != '\0' && o + 1 < len; node++) {
        char c = *node;

        buf[o++] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c
                   : (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : '_';
    }
    buf[o] = '\0';
}

/* ---- replication slots (slots=true) -------------------------------------
 *
 * One physical slot per standby node, named after the node (slot_name()).
 * The primary creates the slots of every other cluster node at promote, of a
 * node whose instance starts (pre-start notification) and of every standby it
 * sees.  It records the slots it created in SLOTS_RECORD (data directory,
 * owned by system_user) so it never drops a slot an admin created.  A recorded
 * slot is dropped when it is inactive and its node is no longer a cluster node
 * (crm_node -l, at most every SLOTS_CHECK_S while such a slot exists); a slot
 * of a node that is merely down is kept: that is what slots are for.  A node
 * that starts as a standby drops the inactive slots it kept from its time as
 * primary: on a standby they would only hold back its own WAL. */
#define SLOTS_RECORD "ctfreak-ha-slots"
#define SLOTS_MAX 32
#define SLOTS_CHECK_S 60

static bool slots_on(const struct pg_inst *pg)
{
    return ra_param_bool(pg->ctx, "slots");
}

static bool name_in(char names[][128], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* The record (in the data directory, which the system user writes: read
 * and replaced through fsafe, never following what is planted there). */
static size_t slots_record_read(struct pg_inst *pg, char names[][128],
                                size_t max)
{
    char path[PATH_MAX];
    char *buf = NULL;
    char *save = NULL;
    size_t len = 0;
    size_t n = 0;
    int rc;

    pgi_path(pg, SLOTS_RECORD, path, sizeof(path));
    rc = ra_file_slurp(path, pg->uid, SLOTS_MAX * 129, &buf, &len);
    if (rc != 0) {
        if (rc != -ENOENT) {
            ra_log_warn("%s ignored: %s", path, strerror(-rc));
        }
        return 0;
    }
    for (char *l = strtok_r(buf, "\n", &save); l != NULL && n < max;
         l = strtok_r(NULL, "\n", &save)) {
        if (strlen(l) < 128 && !name_in(names, n, l)) {
            snprintf(names[n++], 128, "%s", l);
        }
    }
    free(buf);
    return n;
}

static void slots_record_write(struct pg_inst *pg, char names[][128], size_t n)
{
    char path[PATH_MAX];
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    int rc;

    pgi_path(pg, SLOTS_RECORD, path, sizeof(path));
    if (n == 0) {
        (void) ra_file_remove(path);
        return;
    }
    f = open_memstream(&buf, &len);
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\n", names[i]);
    }
    /* pg_basebackup and pg_rewind read every file of the data directory:
     * a new file, the system user's. */
    rc = fclose(f) != 0 ? -ENOMEM
         : ra_file_replace(path, buf, len, 0600, pg->uid, pg->gid);
    if (rc != 0) {
        ra_log_warn("cannot write %s: %s", path, strerror(-rc));
    }
    free(buf);
}

/* The cluster's nodes (crm_node -l: members and lost ones alike).
 * Returns how many, or -1 when the list is unknown. */
static int cluster_nodes(struct pg_inst *pg, char names[][128], size_t max)
{
    const char *argv[] = { "crm_node", "-l", NULL };
    struct ra_run_opts opts = { .deadline = &pg->ctx->deadline,
                                .timeout_ms = 5000 };
    struct ra_run_result res;
    char *save = NULL;
    size_t n = 0;

    if (ra_run(argv, &opts, &res) != 0) {
        return -1;
    }
    if (res.exit_status != 0) {
        ra_log_warn("crm_node -l failed: %s", res.err);
        ra_run_result_free(&res);
        return -1;
    }
    /* "<id> <name> <state>" */
    for (char *l = strtok_r(res.out, "\n", &save); l != NULL && n < max;
         l = strtok_r(NULL, "\n", &save)) {
        char name[128];

        if (sscanf(l, "%*s %127s", name) == 1) {
            snprintf(names[n++], 128, "%s", name);
        }
    }
    ra_run_result_free(&res);
    return (int) n;
}

/* The same, as slot names. */
static int cluster_node_slots(struct pg_inst *pg, char names[][128], size_t max)
{
    int n = cluster_nodes(pg, names, max);

    for (int i = 0; i < n; i++) {
        char slot[128];

        slot_name(names[i], slot, sizeof(slot));
        memcpy(names[i], slot, sizeof(slot));
    }
    return n;
}

/* The cluster's nodes, cached in a state file (a steady monitor forks
 * nothing): asked again when older than NODES_TTL_S, or when a name is
 * missing (missing != NULL) and the cache is older than NODES_RETRY_S.
 * When crm_node fails the cache is used, however old.  Returns how many, or
 * -1 when unknown. */
#define NODES_TTL_S 600
#define NODES_RETRY_S 60

static int nodes_cache_read(const char *path, char names[][128], size_t max)
{
    char line[160];
    int n = 0;
    FILE *f = fopen(path, "re");

    if (f == NULL) {
        return -1;
    }
    while ((size_t) n < max && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] != '\0') {
            snprintf(names[n++], 128, "%.127s", line);
        }
    }
    fclose(f);
    return n;
}

static int cluster_nodes_cached(struct pg_inst *pg, char names[][128],
                                size_t max, const char *missing)
{
    char path[PATH_MAX];
    struct stat sb;
    time_t now = time(NULL);
    bool have = false;
    long age = 0;
    int n;
    FILE *f;

    if (ra_state_path(pg->ctx, "cluster-nodes", path, sizeof(path)) != 0) {
        return cluster_nodes(pg, names, max);
    }
    have = stat(path, &sb) == 0;
    age = have ? (long) (now - sb.st_mtime) : 0;
    n = have ? nodes_cache_read(path, names, max) : -1;
    if (n >= 0 && age >= 0 && age < NODES_TTL_S
        && (missing == NULL || name_in(names, (size_t) n, missing)
            || age < NODES_RETRY_S)) {
        return n;
    }
    {
        char fresh[SLOTS_MAX][128];
        int nf = cluster_nodes(pg, fresh, SLOTS_MAX);

        if (nf < 0) {
            return n;           /* the old list, or unknown */
        }
        n = 0;
        f = fopen(path, "we");
        for (int i = 0; i < nf && (size_t) n < max; i++) {
            memcpy(names[n++], fresh[i], 128);
            if (f != NULL) {
                fprintf(f, "%s\n", fresh[i]);
            }
        }
        if (f != NULL) {
            fclose(f);
        }
    }
    return n;
}

/* Runs one slot statement (parameter $1 = the slot); a returned row means it
 * acted, which is logged as "replication slot <slot> <done>". */
static bool slot_apply(struct pg_inst *pg, PGconn *conn, const char *sql,
                       const char *slot, const char *verb, const char *done)
{
    const char *params[1] = { slot };
    char err[256];
    PGresult *res = pgi_exec(pg, conn, sql, 1, params, err, sizeof(err));

    if (res == NULL) {
        ra_log_warn("cannot %s replication slot %s: %s", verb, slot, err);
        return false;
    }
    if (PQntuples(res) == 1) {
        ra_log_notice("replication slot %s %s", slot, done);
    }
    PQclear(res);
    return true;
}

static bool slot_create(struct pg_inst *pg, PGconn *conn, const char *slot)
{
    return slot_apply(pg, conn,
                      "SELECT pg_create_physical_replication_slot($1, true)"
                      " WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots"
                      "                   WHERE slot_name = $1)",
                      slot, "create", "created");
}

static bool slot_drop(struct pg_inst *pg, PGconn *conn, const char *slot)
{
    return slot_apply(pg, conn,
                      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                      " WHERE slot_name = $1 AND slot_type = 'physical' AND NOT active",
                      slot, "drop", "dropped");
}

/* Creates (and records) the slots of the nodes named in the list. */
static void slots_create(struct pg_inst *pg, PGconn *conn, char nodes[][128],
                         size_t n)
{
    char rec[SLOTS_MAX][128];
    size_t nrec = slots_record_read(pg, rec, SLOTS_MAX);
    size_t before = nrec;
    char self[128];

    slot_name(pg->ctx->node, self, sizeof(self));
    for (size_t i = 0; i < n; i++) {
        char slot[128];

        slot_name(nodes[i], slot, sizeof(slot));
        if (slot[0] == '\0' || strcmp(slot, self) == 0
            || !slot_create(pg, conn, slot)) {
            continue;
        }
        if (!name_in(rec, nrec, slot) && nrec < SLOTS_MAX) {
            snprintf(rec[nrec++], 128, "%.127s", slot);
        }
    }
    if (nrec != before) {
        slots_record_write(pg, rec, nrec);
    }
}

/* Primary, at promote: a slot for every other cluster node, up or down. */
static void slots_promote(struct pg_inst *pg, PGconn *conn)
{
    char nodes[SLOTS_MAX][128];
    int n;

    if (!slots_on(pg)) {
        return;
    }
    n = cluster_node_slots(pg, nodes, SLOTS_MAX);
    if (n < 0) {
        ra_log_warn("cluster nodes unknown: slots created as standbys connect");
        return;
    }
    slots_create(pg, conn, nodes, (size_t) n);
}

/* Primary monitor: slots of the standbys seen; drops the recorded slots of
 * nodes that left the cluster.  One query when nothing changes. */
static void slots_monitor(struct pg_inst *pg, PGconn *conn, char known[][128],
                          size_t nknown)
{
    char have[SLOTS_MAX][128];
    char idle[SLOTS_MAX][128];
    char rec[SLOTS_MAX][128];
    size_t nhave = 0;
    size_t nidle = 0;
    size_t nrec;
    char err[256];
    char missing[SLOTS_MAX][128];
    size_t nmissing = 0;
    char path[PATH_MAX];
    struct stat sb;
    PGresult *res;

    res = pgi_exec(pg, conn, "SELECT slot_name, active FROM pg_replication_slots"
                   " WHERE slot_type = 'physical'", 0, NULL, err, sizeof(err));
    if (res == NULL) {
        ra_log_warn("cannot list replication slots: %s", err);
        return;
    }
    for (int i = 0; i < PQntuples(res) && nhave < SLOTS_MAX; i++) {
        snprintf(have[nhave++], 128, "%.127s", PQgetvalue(res, i, 0));
        if (strcmp(PQgetvalue(res, i, 1), "f") == 0 && nidle < SLOTS_MAX) {
            snprintf(idle[nidle++], 128, "%.127s", PQgetvalue(res, i, 0));
        }
    }
    PQclear(res);
    for (size_t k = 0; k < nknown; k++) {
        char slot[128];

        slot_name(known[k], slot, sizeof(slot));
        if (!name_in(have, nhave, slot)) {
            snprintf(missing[nmissing++], 128, "%.127s", known[k]);
        }
    }
    if (nmissing > 0) {
        slots_create(pg, conn, missing, nmissing);
    }
    /* Inactive recorded slots: is their node still in the cluster? */
    nrec = slots_record_read(pg, rec, SLOTS_MAX);
    bool suspect = false;

    for (size_t i = 0; i < nrec; i++) {
        suspect = suspect || name_in(idle, nidle, rec[i])
                  || !name_in(have, nhave, rec[i]);
    }
    if (!suspect || ra_state_path(pg->ctx, "slots-checked", path,
                                  sizeof(path)) != 0) {
        return;
    }
    if (stat(path, &sb) == 0 && time(NULL) - sb.st_mtime < SLOTS_CHECK_S
        && time(NULL) >= sb.st_mtime) {
        return;
    }
    FILE *f = fopen(path, "we");

    if (f != NULL) {
        fclose(f);
    }
    char nodes[SLOTS_MAX][128];
    int nn = cluster_node_slots(pg, nodes, SLOTS_MAX);
    size_t keep = 0;

    if (nn < 0) {
        return;                 /* unknown: never drop */
    }
    for (size_t i = 0; i < nrec; i++) {
        if (!name_in(have, nhave, rec[i])) {
            continue;           /* gone already (dropped by an admin) */
        }
        if (name_in(idle, nidle, rec[i]) && !name_in(nodes, (size_t) nn, rec[i])) {
            ra_log_notice("node of replication slot %s is no longer in the "
                          "cluster: dropping the slot", rec[i]);
            if (slot_drop(pg, conn, rec[i])) {
                continue;
            }
        }
        if (keep != i) {
            memmove(rec[keep], rec[i], 128);
        }
        keep++;
    }
    if (keep != nrec) {
        slots_record_write(pg, rec, keep);
    }
}

/* A node that starts as a standby: the inactive slots it kept from its time
 * as primary (recorded, or named after a cluster node) only hold back WAL. */
static void slots_drop_stale_local(struct pg_inst *pg)
{
    char rec[SLOTS_MAX][128];
    char nodes[SLOTS_MAX][128];
    size_t nrec;
    int nn;
    char err[256];
    PGconn *conn;
    PGresult *res;

    if (!slots_on(pg)) {
        return;
    }
    nrec = slots_record_read(pg, rec, SLOTS_MAX);
    nn = cluster_node_slots(pg, nodes, SLOTS_MAX);
    for (int i = 0; i < nn && nrec < SLOTS_MAX; i++) {
        if (!name_in(rec, nrec, nodes[i])) {
            snprintf(rec[nrec++], 128, "%.127s", nodes[i]);
        }
    }
    if (nrec == 0 || (conn = pgi_connect(pg, err, sizeof(err))) == NULL) {
        return;
    }
    res = pgi_exec(pg, conn, "SELECT slot_name FROM pg_replication_slots"
                   " WHERE slot_type = 'physical' AND NOT active", 0, NULL,
                   err, sizeof(err));
    for (int i = 0; res != NULL && i < PQntuples(res); i++) {
        if (name_in(rec, nrec, PQgetvalue(res, i, 0))) {
            ra_log_notice("standby: dropping replication slot %s left from "
                          "its time as primary", PQgetvalue(res, i, 0));
            (void) slot_drop(pg, conn, PQgetvalue(res, i, 0));
        }
    }
    PQclear(res);
    PQfinish(conn);
    slots_record_write(pg, rec, 0);
}

/* application_name is chosen by whoever connects with replication rights (a
 * Barman receiver, pg_receivewal): only a name of a cluster node other than
 * this one, held by a single walsender, is a standby of ours.  *dup tells a
 * node name used twice: neither can be told from the other. */
static bool standby_trusted(struct pg_inst *pg, PGresult *res, int row,
                            char nodes[][128], int nn, bool *dup)
{
    const char *name = PQgetvalue(res, row, 0);

    *dup = false;
    if (strcmp(name, pg->ctx->node) == 0 || nn < 0
        || !name_in(nodes, (size_t) nn, name)) {
        return false;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        *dup = *dup || (i != row && strcmp(PQgetvalue(res, i, 0), name) == 0);
    }
    return true;
}

/* Which rows of pg_stat_replication are standbys of ours (see above);
 * trusted[row] set, unknown names logged once. */
static void standbys_trust(struct pg_inst *pg, PGresult *res, bool *trusted,
                           bool *dup)
{
    char nodes[SLOTS_MAX][128];
    char ignored[PATH_MAX] = "";
    char twice[PATH_MAX] = "";
    int nn;

    nn = cluster_nodes_cached(pg, nodes, SLOTS_MAX, NULL);
    for (int i = 0; i < PQntuples(res) && nn >= 0; i++) {
        if (!name_in(nodes, (size_t) nn, PQgetvalue(res, i, 0))
            && strcmp(PQgetvalue(res, i, 0), pg->ctx->node) != 0) {
            /* a node that joined since: ask the cluster again (bounded) */
            nn = cluster_nodes_cached(pg, nodes, SLOTS_MAX, PQgetvalue(res, i, 0));
            break;
        }
    }
    if (nn < 0) {
        ra_log_repeat(NULL, LOG_WARNING, "the cluster's nodes are unknown "
                      "(crm_node -l): no standby is scored");
    }
    /* A receiver that stays (a backup tool) is logged once, not at every
     * monitor. */
    const char *ign = ra_state_path(pg->ctx, "walsender-ignored", ignored,
                                    sizeof(ignored)) == 0 ? ignored : NULL;
    const char *two = ra_state_path(pg->ctx, "walsender-twice", twice,
                                    sizeof(twice)) == 0 ? twice : NULL;

    for (int i = 0; i < PQntuples(res); i++) {
        trusted[i] = standby_trusted(pg, res, i, nodes, nn, &dup[i]);
        if (!trusted[i] && nn >= 0
            && strcmp(PQgetvalue(res, i, 0), pg->ctx->node) != 0) {
            ra_log_repeat(ign, LOG_INFO, "walsender of '%s' ignored: not a "
                          "node of this cluster", PQgetvalue(res, i, 0));
        } else if (dup[i]) {
            ra_log_repeat(two, LOG_WARNING, "several walsenders named '%s': "
                          "none is scored", PQgetvalue(res, i, 0));
        }
    }
}

/* Scores, sync state and lag of every standby, from pg_stat_replication.
 * Returns how many standbys stream. */
static int primary_check_standbys(struct pg_inst *pg, PGconn *conn,
                                  const struct pg_status *st)
{
    enum { MAXN = 32 };
    char known[MAXN][128];
    size_t nknown = known_read(pg, known, MAXN);
    size_t nknown_before = nknown;
    const char *mode = synchronous_mode(pg);
    bool sync = strcmp(mode, "off") != 0;
    long long maxlag = ra_param_int(pg->ctx, "maxlag");
    char err[256];
    char *healthy = NULL;
    size_t hlen = 0;
    FILE *hf = NULL;
    char *want = NULL;
    bool *trusted = NULL;
    bool *dup = NULL;
    PGresult *res;
    int streaming = 0;
    int rank = 0;

    res = pgi_exec(pg, conn, standbys_sql, 0, NULL, err, sizeof(err));
    if (res == NULL) {
        ra_log_err("cannot read pg_stat_replication: %s", err);
        return -1;
    }
    trusted = calloc((size_t) PQntuples(res) + 1, sizeof(*trusted));
    dup = calloc((size_t) PQntuples(res) + 1, sizeof(*dup));
    hf = open_memstream(&healthy, &hlen);
    if (trusted == NULL || dup == NULL || hf == NULL) {
        ra_log_err("out of memory");
        streaming = -1;
        goto done;
    }
    standbys_trust(pg, res, trusted, dup);
    /* A standby that (re)connects: its node may have left and rejoined the
     * cluster meanwhile, which erased its score behind the attribute cache's
     * back.  Forget the cache so every value is written again once. */
    for (int i = 0; i < PQntuples(res); i++) {
        const char *n = PQgetvalue(res, i, 0);
        bool seen = !trusted[i];

        for (size_t k = 0; k < nknown && !seen; k++) {
            seen = strcmp(known[k], n) == 0;
        }
        if (!seen) {
            ra_log_info("standby %s connected: attribute cache reset", n);
            ra_attr_cache_reset(pg->ctx);
            break;
        }
    }
    for (int i = 0; i < PQntuples(res); i++) {
        struct standby_row r;
        char score[16];
        char lag[24];
        bool seen = false;

        if (!trusted[i]) {
            continue;
        }
        snprintf(r.name, sizeof(r.name), "%s", PQgetvalue(res, i, 0));
        snprintf(r.state, sizeof(r.state), "%s", PQgetvalue(res, i, 1));
        snprintf(r.sync, sizeof(r.sync), "%s", PQgetvalue(res, i, 2));
        r.lag = strtoll(PQgetvalue(res, i, 3), NULL, 10);
        for (size_t k = 0; k < nknown; k++) {
            seen = seen || strcmp(known[k], r.name) == 0;
        }
        if (!seen && nknown < MAXN) {
            snprintf(known[nknown++], 128, "%s", r.name);
        }
        if (strcmp(r.state, "streaming") != 0 || dup[i]) {
            snprintf(score, sizeof(score), "%s", SCORE_NOT_READY);
        } else if (maxlag > 0 && r.lag > maxlag) {
            snprintf(score, sizeof(score), "%s", SCORE_NOT_READY);
            ra_log_repeat(NULL, LOG_INFO, "%s lags %lld bytes (maxlag %lld)",
                          r.name, r.lag, maxlag);
        } else {
            streaming++;
            fprintf(hf, "%s\"%s\"", streaming > 1 ? ", " : "", r.name);
            if (sync && strcmp(r.sync, "sync") != 0
                && strcmp(r.sync, "quorum") != 0) {
                /* Not known to hold every commit yet. */
                snprintf(score, sizeof(score), "%s", SCORE_NOT_READY);
            } else {
                snprintf(score, sizeof(score), "%d", SCORE_BEST - 10 * rank++);
            }
        }
        score_set(pg, r.name, score);
        attr_show(pg, r.name, "sync", r.sync);
        snprintf(lag, sizeof(lag), "%lld", r.lag);
        attr_show(pg, r.name, "lag", lag);
    }
    /* Known standbys without a row are not connected.  The node of one may
     * have left the cluster (Pacemaker erased its attributes, and a value set
     * for it never becomes visible): each write is bounded so the fallback of
     * synchronous_standby_names below is never starved, and a node whose score
     * cannot be written is forgotten until it connects again. */
    size_t kept = 0;

    for (size_t k = 0; k < nknown; k++) {
        bool connected = false;

        for (int i = 0; i < PQntuples(res); i++) {
            connected = connected || (trusted[i]
                                      && strcmp(PQgetvalue(res, i, 0), known[k]) == 0);
        }
        if (!connected && !score_set_bounded(pg, known[k], SCORE_GONE)) {
            ra_log_notice("the score of %s cannot be set (node offline?): "
                          "forgotten until it connects again", known[k]);
            nknown_before = SIZE_MAX;       /* rewrite the list */
            continue;
        }
        if (!connected) {
            attr_show(pg, known[k], "sync", "disconnected");
        }
        if (kept != k) {
            memmove(known[kept], known[k], sizeof(known[k]));
        }
        kept++;
    }
    nknown = kept;
    if (nknown != nknown_before) {
        known_write(pg, known, nknown);
    }
    score_set(pg, NULL, SCORE_PRIMARY);

    /* Scores are lowered above before a standby leaves the sync set here. */
    if (fclose(hf) != 0) {
        hf = NULL;
        ra_log_err("out of memory");
        streaming = -1;
        goto done;
    }
    hf = NULL;
    if (strcmp(mode, "on") == 0) {
        if (healthy[0] != '\0' && asprintf(&want, "ANY 1 (%s)", healthy) < 0) {
            want = NULL;
        }
        ssn_apply(pg, conn, st->ssn, want != NULL ? want : "");
    } else if (strcmp(mode, "strict") == 0) {
        ssn_apply(pg, conn, st->ssn, "ANY 1 (*)");
    }
    if (slots_on(pg)) {
        slots_monitor(pg, conn, known, nknown);
    }
done:
    if (hf != NULL) {
        fclose(hf);
    }
    free(healthy);
    free(want);
    free(trusted);
    free(dup);
    PQclear(res);
    return streaming;
}

/* ---- timelines --------------------------------------------------------- */

enum tl_verdict { TL_UNKNOWN, TL_OK, TL_DIVERGED };

static enum tl_verdict timeline_check(struct pg_inst *pg, const char *conninfo,
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

/* ---- monitor ----------------------------------------------------------- */

static int monitor_primary(struct pg_inst *pg, PGconn *conn,
                           const struct pg_status *st)
{
    int streaming = primary_check_standbys(pg, conn, st);
    char path[PATH_MAX];

    show_local(pg, st);
    (void) ra_state_path(pg->ctx, "degraded", path, sizeof(path));
    if (streaming == 0) {
        ra_log_repeat(path, LOG_WARNING, "primary without a streaming standby");
        return OCF_DEGRADED_PROMOTED;
    }
    ra_log_repeat_clear(path);
    return OCF_RUNNING_PROMOTED;
}

static int monitor_standby(struct pg_inst *pg, const struct pg_status *st)
{
    long long maxlag = ra_param_int(pg->ctx, "maxlag");
    char path[PATH_MAX];
    char why[256];

    show_local(pg, st);
    (void) ra_state_path(pg->ctx, "degraded", path, sizeof(path));
    if (strcmp(st->receiver, "streaming") != 0) {
        /* Only off the steady path: ask the primary about timelines. */
        enum tl_verdict v = timeline_check(pg, st->conninfo, st->tli,
                                           st->replay, why, sizeof(why));

        if (v == TL_DIVERGED) {
            ra_exit_reason("standby diverged from the primary: rebuild it or "
                           "set rewind=true and restart it (%s)", why);
            return OCF_ERR_GENERIC;
        }
        if (v == TL_OK) {
            candidate_withdraw(pg);
        }
        ra_log_repeat(path, LOG_WARNING, "standby not streaming | receiver=%s",
                      st->receiver[0] != '\0' ? st->receiver : "none");
        return OCF_DEGRADED;
    }
    if (maxlag > 0 && st->lag > maxlag) {
        ra_log_repeat(path, LOG_WARNING, "standby lags beyond maxlag | lag=%lld "
                      "maxlag=%lld", st->lag, maxlag);
        return OCF_DEGRADED;
    }
    ra_log_repeat_clear(path);
    return OCF_SUCCESS;
}

static int state_to_ocf(enum pg_state s)
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

static int pgsql_monitor(struct ra_ctx *ctx)
{
    struct pg_inst pg;
    struct pg_status st;
    struct pg_control cd;
    PGconn *conn = NULL;
    enum pg_state s;
    char why[PATH_MAX + 64];
    int rc = pgi_init(&pg, ctx);

    if (rc != OCF_SUCCESS) {
        return ctx->is_probe ? OCF_NOT_RUNNING : rc;
    }
    if (!installed(&pg, why, sizeof(why))) {
        if (ctx->is_probe) {
            return OCF_NOT_RUNNING;
        }
        ra_exit_reason("%s", why);
        return OCF_ERR_INSTALLED;
    }
    s = instance_state(&pg, &st, &cd, &conn);
    if (s == PG_PRIMARY) {
        rc = monitor_primary(&pg, conn, &st);
    } else if (s == PG_STANDBY) {
        rc = monitor_standby(&pg, &st);
    } else {
        rc = state_to_ocf(s);
    }
    if (conn != NULL) {
        PQfinish(conn);
    }
    return rc;
}

/* ---- start ------------------------------------------------------------- */

/* Cold start of the whole cluster (or of every node that holds data): no
 * primary sets scores yet, so every standby that started cleanly with no
 * primary reachable and no score becomes a candidate with the lowest positive
 * score.  Pacemaker then promotes one of them, and the pre-promote election
 * (every candidate publishes timeline + LSN) refuses the promotion of any node
 * that another candidate is ahead of.  The "candidate" state file lets the
 * standby's monitor withdraw that score once a primary turns out to exist. */
#define SCORE_CANDIDATE "1"

static void candidate_set(struct pg_inst *pg)
{
    char path[PATH_MAX];
    char *score = NULL;
    FILE *f;

    if (ra_attr_get(pg->ctx, RA_ATTR_PROMOTION, "", NULL, &score) != 0) {
        ra_log_warn("cannot read the promotion score: not a candidate");
        return;
    }
    if (score != NULL) {
        ra_log_info("no primary reachable; keeping the promotion score %s", score);
        free(score);
        return;
    }
    ra_log_notice("no primary reachable and no promotion score: candidate for "
                  "promotion (score " SCORE_CANDIDATE "); the pre-promote "
                  "election picks the node with the newest data");
    score_set(pg, NULL, SCORE_CANDIDATE);
    if (ra_state_path(pg->ctx, "candidate", path, sizeof(path)) == 0
        && (f = fopen(path, "we")) != NULL) {
        fclose(f);
    }
}

static void candidate_forget(struct pg_inst *pg)
{
    char path[PATH_MAX];

    if (ra_state_path(pg->ctx, "candidate", path, sizeof(path)) == 0) {
        (void) unlink(path);
    }
}

/* The "last primary" mark: beside the data directory (never inside it, where
 * pg_basebackup or pg_rewind would copy it to another node), set by a
 * successful promote and cleared once another node is promoted or a primary
 * answers at start.  In an election between candidates holding the same WAL
 * position (a stale node can catch up by cascading from the other standby),
 * the node that was primary last wins: its config folder holds the newest
 * files too. */
static void last_primary_path(const struct pg_inst *pg, char *buf, size_t len)
{
    snprintf(buf, len, "%s.ctfreak-ha-last-primary", pg->datadir);
}

static bool last_primary_marked(const struct pg_inst *pg)
{
    char path[PATH_MAX];

    last_primary_path(pg, path, sizeof(path));
    return ra_file_exists(path);
}

/* The folder is the system user's: the mark is a new root file put in place
 * (a link planted at its name is replaced, never followed). */
static void last_primary_mark(const struct pg_inst *pg, bool on)
{
    char path[PATH_MAX];
    char line[300];
    int rc;

    last_primary_path(pg, path, sizeof(path));
    if (!on) {
        if (ra_file_remove(path) == 0) {
            ra_log_info("no longer the last primary (%s removed)", path);
        }
        return;
    }
    snprintf(line, sizeof(line), "%s\n", pg->ctx->node);
    rc = ra_file_replace(path, line, strlen(line), 0644, RA_FSAFE_KEEP, 0);
    if (rc != 0) {
        ra_log_warn("cannot write %s: %s", path, strerror(-rc));
    }
}

/* Monitor of a standby that does not stream although a primary answers: a
 * cold-start candidacy no longer applies (the primary's monitor scores the
 * standbys it sees).  Only the candidate's own value is withdrawn. */
static void candidate_withdraw(struct pg_inst *pg)
{
    char path[PATH_MAX];
    char *score = NULL;

    if (ra_state_path(pg->ctx, "candidate", path, sizeof(path)) != 0
        || access(path, F_OK) != 0) {
        return;
    }
    (void) unlink(path);
    if (ra_attr_get(pg->ctx, RA_ATTR_PROMOTION, "", NULL, &score) == 0
        && score != NULL && strcmp(score, SCORE_CANDIDATE) == 0) {
        ra_log_notice("a primary is running and this standby does not stream "
                      "from it: cold-start candidacy withdrawn");
        if (ra_attr_del(pg->ctx, RA_ATTR_PROMOTION, "", NULL) != 0) {
            ra_log_warn("cannot delete the promotion score");
        }
    }
    free(score);
}


/* Before a start: a crashed or diverged ex-primary never comes back as a
 * primary; returns an OCF code. */
static int rejoin_check(struct pg_inst *pg, enum pg_state s,
                        struct pg_control *cd, bool *primary_seen)
{
    char *conninfo = pgi_setting(pg, "primary_conninfo");
    struct pg_primary_view v;
    char err[256];
    char why[256];
    unsigned tli;
    uint64_t lsn;
    int rc = OCF_SUCCESS;

    if (conninfo == NULL || conninfo[0] == '\0') {
        ra_log_info("no primary_conninfo: no timeline check before start");
        goto done;
    }
    if (pgi_primary_view(pg, conninfo, &v, err, sizeof(err)) != 0) {
        ra_log_info("no timeline check before start: primary not reachable: %s",
                    err);
        goto done;
    }
    *primary_seen = !v.is_standby;
    pgi_primary_view_free(&v);
    if (s == PG_CRASHED_PRIMARY) {
        /* Find the true end of the local WAL: crash recovery in single-user
         * mode (no connection accepted, no new timeline). */
        char sig[PATH_MAX];

        ra_log_notice("crashed ex-primary: crash recovery before rejoining");
        pgi_path(pg, "standby.signal", sig, sizeof(sig));
        (void) ra_file_remove(sig);
        if (pgi_crash_recovery(pg) != 0 || pgi_controldata(pg, cd) != 0) {
            ra_exit_reason("crash recovery of the ex-primary failed; see the "
                           "PostgreSQL log");
            rc = OCF_ERR_GENERIC;
            goto done;
        }
    }
    if (cd->state[0] == '\0') {
        goto done;              /* a fresh base backup */
    }
    tli = cd->tli > cd->minrec_tli ? cd->tli : cd->minrec_tli;
    lsn = cd->minrec > cd->ckpt ? cd->minrec : cd->ckpt;
    if (strcmp(cd->state, "shut down") == 0) {
        lsn = cd->ckpt + 1;     /* its shutdown checkpoint record */
    }
    if (timeline_check(pg, conninfo, tli, lsn, why, sizeof(why)) != TL_DIVERGED) {
        goto done;
    }
    if (!ra_param_bool(pg->ctx, "rewind")) {
        /* Pacemaker keeps the first 128 characters: the advice first. */
        ra_exit_reason("timeline diverged from the primary: set rewind=true, or "
                       "run pg_rewind or pg_basebackup by hand (%s)", why);
        rc = OCF_ERR_GENERIC;
        goto done;
    }
    ra_log_notice("timeline diverged from the primary (%s): pg_rewind", why);
    if (pgi_rewind(pg, conninfo) != 0) {
        ra_exit_reason("pg_rewind failed; rebuild this standby with "
                       "pg_basebackup");
        rc = OCF_ERR_GENERIC;
    }
done:
    free(conninfo);
    return rc;
}

/* Waits until the server (launched as pid, 0: already running) accepts
 * connections as a standby. */
static int start_wait(struct pg_inst *pg, pid_t launched)
{
    struct pg_status st;
    struct pg_control cd;
    enum pg_state s;

    for (;;) {
        s = instance_state(pg, &st, &cd, NULL);
        if (s == PG_STANDBY) {
            show_local(pg, &st);
            return OCF_SUCCESS;
        }
        if (s == PG_PRIMARY) {
            ra_exit_reason("started as a primary although standby.signal exists");
            return OCF_ERR_GENERIC;
        }
        if (s != PG_NOT_READY && !(launched > 0 && ra_proc_alive(launched))) {
            ra_exit_reason("postgres exited during start (%s); see the "
                           "PostgreSQL log", pg_state_str(s));
            return OCF_ERR_GENERIC;
        }
        if (!ra_deadline_sleep_ms(&pg->ctx->deadline, 100)) {
            ra_exit_reason("not accepting connections before the start timeout");
            return OCF_ERR_GENERIC;
        }
    }
}

static int meta_check(void)
{
    long pmax = ra_meta_promoted_max();

    if (getenv("OCF_RESKEY_CRM_meta_clone_max") == NULL && pmax < 0) {
        return OCF_SUCCESS;     /* not run by a cluster: nothing to check */
    }
    if (pmax != 1) {
        ra_exit_reason("the resource must be promotable with promoted-max=1");
        return OCF_ERR_CONFIGURED;
    }
    if (!ra_meta_notify()) {
        ra_exit_reason("the resource must have notify=true");
        return OCF_ERR_CONFIGURED;
    }
    return OCF_SUCCESS;
}

static int start_standby(struct pg_inst *pg)
{
    struct pg_status st;
    struct pg_control cd;
    enum pg_state s = instance_state(pg, &st, &cd, NULL);
    bool primary_seen = false;
    bool stale = false;
    pid_t launched = 0;
    int rc;

    switch (s) {
    case PG_STANDBY:
        ra_log_info("already running as a standby");
        show_local(pg, &st);
        return OCF_SUCCESS;
    case PG_PRIMARY:
        ra_exit_reason("running as a primary: a start must leave a standby");
        return OCF_ERR_GENERIC;
    case PG_NOT_READY:
        return start_wait(pg, 0);
    case PG_WRONG_SERVER:
        return OCF_ERR_CONFIGURED;
    case PG_ERROR:
        return OCF_ERR_GENERIC;
    default:
        break;
    }
    /* A postmaster.pid naming a dead (or zombie) postmaster would make
     * postgres refuse to start. */
    (void) pgi_postmaster(pg, &stale);
    if (stale) {
        pgi_stale_cleanup(pg);
    }
    rc = rejoin_check(pg, s, &cd, &primary_seen);
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    if (pgi_standby_signal_write(pg) != 0) {
        ra_exit_reason("cannot write standby.signal in %s", pg->datadir);
        return OCF_ERR_GENERIC;
    }
    rc = pgi_server_launch(pg, &launched);
    if (rc != 0) {
        ra_exit_reason("cannot launch %s: %s", pg->postgres, strerror(-rc));
        return OCF_ERR_GENERIC;
    }
    rc = start_wait(pg, launched);
    if (rc == OCF_SUCCESS) {
        slots_drop_stale_local(pg);
    }
    if (rc == OCF_SUCCESS && !primary_seen) {
        candidate_set(pg);
    } else if (rc == OCF_SUCCESS) {
        last_primary_mark(pg, false);
    }
    return rc;
}

static int validate_config(struct pg_inst *pg);

static int pgsql_start(struct ra_ctx *ctx)
{
    struct pg_inst pg;
    int rc = pgi_init(&pg, ctx);

    /* Bad input changes nothing: the checks of validate-all come first. */
    if (rc == OCF_SUCCESS) {
        rc = validate_config(&pg);
    }
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    ra_attr_cache_reset(ctx);
    (void) priv_set(&pg, NULL, "shutdown-lsn", NULL);
    return start_standby(&pg);
}

/* ---- stop -------------------------------------------------------------- */

static int stop_server(struct pg_inst *pg, long fast_max_ms)
{
    bool stale = false;
    pid_t pid = pgi_postmaster(pg, &stale);

    if (pid == 0) {
        if (stale) {
            ra_log_info("postmaster.pid names a dead postmaster: already stopped");
        }
        return OCF_SUCCESS;
    }
    if (!pgi_server_stop(pg, pid, fast_max_ms)) {
        ra_exit_reason("postmaster %d did not stop before the timeout", (int) pid);
        return OCF_ERR_GENERIC;
    }
    ra_log_info("stopped | pid=%d", (int) pid);
    return OCF_SUCCESS;
}

static int pgsql_stop(struct ra_ctx *ctx)
{
    struct pg_inst pg;
    char why[PATH_MAX + 64];
    int rc = pgi_init(&pg, ctx);

    if (rc != OCF_SUCCESS) {
        return rc;
    }
    if (!installed(&pg, why, sizeof(why))) {
        ra_log_info("%s: nothing to stop", why);
        return OCF_SUCCESS;
    }
    {
        /* A standby loses nothing to an immediate shutdown (it replays its WAL
         * at the next start), and its fast shutdown can hang (seen after a
         * cold start, streaming from a peer that was a standby too): at most
         * STANDBY_FAST_STOP_MS of it.  A primary keeps the whole budget: its
         * shutdown checkpoint is what a switchover target must receive. */
        struct pg_status st;
        struct pg_control cd;
        enum pg_state s = instance_state(&pg, &st, &cd, NULL);

        if (s == PG_WRONG_SERVER) {
            return OCF_ERR_CONFIGURED;  /* never "stopped" while it runs */
        }
        rc = stop_server(&pg, s == PG_STANDBY ? STANDBY_FAST_STOP_MS : 0);
    }
    if (rc == OCF_SUCCESS) {
        show_stopped(&pg);
        ra_attr_cache_reset(ctx);
        known_reset(&pg);
        candidate_forget(&pg);
    }
    return rc;
}

/* ---- promote ----------------------------------------------------------- */

/* Compares the local location with the other candidates of the election.
 * Returns NULL or (malloc'd) the name of a node that is ahead. */
static char *election_better(struct pg_inst *pg, const struct pg_status *st,
                             const char *nodes)
{
    char *list = strdup(nodes);
    char *save = NULL;
    char *better = NULL;
    unsigned best_tli = st->tli;
    uint64_t best_lsn = st->lsn;
    bool best_last = last_primary_marked(pg);

    for (char *n = list != NULL ? strtok_r(list, " ", &save) : NULL; n != NULL;
         n = strtok_r(NULL, " ", &save)) {
        struct ra_deadline wait;
        char *loc = NULL;
        unsigned tli;
        uint64_t lsn;
        bool last = false;

        if (strcmp(n, pg->ctx->node) == 0 || strcmp(n, "-") == 0) {
            continue;           /* "-": no other candidate */
        }
        /* Attributes of other nodes arrive asynchronously. */
        ra_deadline_init(&wait, ra_deadline_cap_ms(&pg->ctx->deadline, 5000));
        while ((loc = priv_get(pg, n, "lsn-location")) == NULL
               && ra_deadline_sleep_ms(&wait, 100)) {
        }
        if (pgi_location_parse(loc, &tli, &lsn, &last) != 0) {
            ra_log_warn("no location published by %s: left out of the election",
                        n);
            free(loc);
            continue;
        }
        ra_log_info("election: %s is at %s", n, loc);
        if (tli > best_tli || (tli == best_tli && lsn > best_lsn)
            || (tli == best_tli && lsn == best_lsn && last && !best_last)) {
            best_tli = tli;
            best_lsn = lsn;
            best_last = last;
            free(better);
            better = strdup(n);
        }
        free(loc);
    }
    free(list);
    return better;
}

static void promoted_sync_setup(struct pg_inst *pg, PGconn *conn,
                                const struct pg_status *st)
{
    const char *mode = synchronous_mode(pg);

    /* A new primary starts asynchronous ("on") until its monitor has seen a
     * healthy standby; "strict" waits for any standby from the start. */
    if (strcmp(mode, "on") == 0) {
        ssn_apply(pg, conn, st->ssn, "");
    } else if (strcmp(mode, "strict") == 0) {
        ssn_apply(pg, conn, st->ssn, "ANY 1 (*)");
    }
}

/* pg_promote() without waiting, then pg_is_in_recovery() every
 * PROMOTE_POLL_MS: pg_promote(true) checks only every 100 ms. */
static int promote_now(struct pg_inst *pg, PGconn *conn)
{
    char v[16] = "";
    char err[256];
    PGresult *res;

    res = pgi_exec(pg, conn, "SELECT pg_promote(false)", 0, NULL, err, sizeof(err));
    if (res == NULL) {
        ra_exit_reason("pg_promote failed: %s", err);
        return OCF_ERR_GENERIC;
    }
    PQclear(res);
    for (;;) {
        if (pgi_query_value(pg, conn, "SELECT pg_is_in_recovery()", v, sizeof(v),
                            err, sizeof(err)) != 0) {
            ra_exit_reason("promotion not confirmed: %s", err);
            return OCF_ERR_GENERIC;
        }
        if (strcmp(v, "f") == 0) {
            return OCF_SUCCESS;
        }
        if (!ra_deadline_sleep_ms(&pg->ctx->deadline, PROMOTE_POLL_MS)) {
            ra_exit_reason("still in recovery after pg_promote, at the promote timeout");
            return OCF_ERR_GENERIC;
        }
    }
}

static int pgsql_promote(struct ra_ctx *ctx)
{
    struct pg_inst pg;
    struct pg_status st;
    struct pg_control cd;
    PGconn *conn = NULL;
    enum pg_state s;
    char *flag = NULL;
    char *nodes = NULL;
    char *better = NULL;
    int rc = pgi_init(&pg, ctx);

    if (rc != OCF_SUCCESS) {
        return rc;
    }
    s = instance_state(&pg, &st, &cd, &conn);
    if (s == PG_PRIMARY) {
        ra_log_info("already a primary");
        rc = OCF_SUCCESS;
        goto done;
    }
    if (s != PG_STANDBY) {
        ra_exit_reason("cannot promote: instance is %s", pg_state_str(s));
        rc = OCF_ERR_GENERIC;
        goto done;
    }
    flag = priv_get(&pg, NULL, "cancel-switchover");
    if (flag != NULL) {
        (void) priv_set(&pg, NULL, "cancel-switchover", NULL);
        ra_exit_reason("switchover cancelled: this standby did not receive the "
                       "old primary's shutdown checkpoint");
        rc = OCF_ERR_GENERIC;
        goto done;
    }
    free(flag);
    flag = priv_get(&pg, NULL, "recover");
    nodes = priv_get(&pg, NULL, "election-nodes");
    if (flag != NULL) {
        ra_log_info("recovering the previous primary: no election");
    } else if (nodes == NULL) {
        ra_log_notice("no election took place (no pre-promote notification, "
                      "e.g. crm_resource --force-promote): promoting as asked");
    } else {
        better = election_better(&pg, &st, nodes);
        if (better != NULL) {
            ra_exit_reason("cannot promote: %s is ahead of this node", better);
            score_set(&pg, NULL, "1");
            score_set(&pg, better, "1000");
            rc = OCF_ERR_GENERIC;
            goto done;
        }
    }
    rc = promote_now(&pg, conn);
    if (rc == OCF_SUCCESS) {
        known_reset(&pg);
        candidate_forget(&pg);
        score_set(&pg, NULL, SCORE_PRIMARY);
        last_primary_mark(&pg, true);
        slots_promote(&pg, conn);
        promoted_sync_setup(&pg, conn, &st);
        /* crm_mon's attributes (role, timeline...) are left to the monitor
         * Pacemaker runs next, beside CTFreak's start: each changed one
         * costs two Pacemaker CLI calls, here on the failover's path. */
        ra_log_notice("promoted");
    }
done:
    free(flag);
    free(nodes);
    free(better);
    if (conn != NULL) {
        PQfinish(conn);
    }
    return rc;
}

/* ---- demote ------------------------------------------------------------ */

static int pgsql_demote(struct ra_ctx *ctx)
{
    struct pg_inst pg;
    struct pg_status st;
    struct pg_control cd;
    enum pg_state s;
    char lsn[32];
    int rc = pgi_init(&pg, ctx);

    if (rc != OCF_SUCCESS) {
        return rc;
    }
    s = instance_state(&pg, &st, &cd, NULL);
    if (s == PG_STANDBY) {
        ra_log_info("already a standby");
        return OCF_SUCCESS;
    }
    if (s == PG_PRIMARY || s == PG_NOT_READY) {
        rc = stop_server(&pg, 0);
        if (rc != OCF_SUCCESS) {
            return rc;
        }
        /* A planned demote hands the role over: no tie-break claim left. */
        last_primary_mark(&pg, false);
        /* Its shutdown checkpoint: the switchover target must have it. */
        if (pgi_controldata(&pg, &cd) == 0
            && strcmp(cd.state, "shut down") == 0) {
            pgi_lsn_format(cd.ckpt, lsn, sizeof(lsn));
            ra_log_info("shut down cleanly | checkpoint=%s", lsn);
            (void) priv_set(&pg, NULL, "shutdown-lsn", lsn);
        }
    }
    return start_standby(&pg);
}

/* ---- notify ------------------------------------------------------------ */

static void election_cleanup(struct pg_inst *pg)
{
    (void) priv_set(pg, NULL, "lsn-location", NULL);
    (void) priv_set(pg, NULL, "election-nodes", NULL);
    (void) priv_set(pg, NULL, "cancel-switchover", NULL);
    (void) priv_set(pg, NULL, "recover", NULL);
}

/* The promote target of a planned switchover checks it received the old
 * primary's shutdown checkpoint. */
static void switchover_check(struct pg_inst *pg, const char *old_primary)
{
    struct ra_deadline wait;
    char *shut = NULL;
    uint64_t ckpt = 0;
    char err[256];
    char v[32];
    uint64_t recv = 0;
    PGconn *conn;

    ra_deadline_init(&wait, ra_deadline_cap_ms(&pg->ctx->deadline, 5000));
    while ((shut = priv_get(pg, old_primary, "shutdown-lsn")) == NULL
           && ra_deadline_sleep_ms(&wait, 100)) {
    }
    if (shut == NULL || pgi_lsn_parse(shut, &ckpt) != 0) {
        ra_log_warn("switchover from %s: its shutdown checkpoint is unknown",
                    old_primary);
        (void) priv_set(pg, NULL, "cancel-switchover", "1");
        free(shut);
        return;
    }
    conn = pgi_connect(pg, err, sizeof(err));
    while (conn != NULL
           && pgi_query_value(pg, conn, "SELECT coalesce(pg_last_wal_receive_lsn(),"
                              " '0/0')", v, sizeof(v), err, sizeof(err)) == 0
           && pgi_lsn_parse(v, &recv) == 0 && recv <= ckpt
           && ra_deadline_sleep_ms(&wait, 100)) {
    }
    if (conn != NULL) {
        PQfinish(conn);
    }
    if (recv > ckpt) {
        ra_log_notice("switchover from %s is safe: received %s past its "
                      "shutdown checkpoint %s", old_primary, v, shut);
    } else {
        ra_log_err("switchover from %s is not safe: shutdown checkpoint %s not "
                   "received", old_primary, shut);
        (void) priv_set(pg, NULL, "cancel-switchover", "1");
    }
    free(shut);
}

static void checkpoint(struct pg_inst *pg)
{
    char err[256];
    PGconn *conn = pgi_connect(pg, err, sizeof(err));
    PGresult *res = conn != NULL ? pgi_exec(pg, conn, "CHECKPOINT", 0, NULL,
                                            err, sizeof(err))
                                 : NULL;

    if (res == NULL) {
        ra_log_warn("CHECKPOINT failed: %s", err);
    }
    PQclear(res);
    PQfinish(conn);
}

/* An active standby (not this node) that published the shutdown checkpoint
 * of its demote, not yet cleared by a post-promote notification. */
static bool demoted_peer(struct pg_inst *pg, const struct ra_notify *nt,
                         char *out, size_t outlen)
{
    const struct ra_nodes *l = &nt->lists[RA_NODES_UNPROMOTED];
    bool found = false;

    for (size_t i = 0; i < l->count && !found; i++) {
        const char *n = l->names[i];
        char *shut;

        if (strcmp(n, pg->ctx->node) == 0
            || ra_notify_has(nt, RA_NODES_STOP, n)) {
            continue;
        }
        shut = strlen(n) < outlen ? priv_get(pg, n, "shutdown-lsn") : NULL;
        if (shut != NULL) {
            snprintf(out, outlen, "%s", n);
            found = true;
        }
        free(shut);
    }
    return found;
}

/* The target of the promotion records the election's candidates: active +
 * starting - stopping (a list of any length). */
static void election_nodes_record(struct pg_inst *pg,
                                  const struct ra_notify *nt)
{
    char *nodes = ra_notify_nodes_after(nt, pg->ctx->node);

    if (nodes == NULL) {
        ra_log_err("out of memory: election candidates not recorded");
        return;
    }
    (void) priv_set(pg, NULL, "election-nodes", nodes[0] != '\0' ? nodes : "-");
    free(nodes);
}

/* Publishes this standby's location for the election. */
static void location_publish(struct pg_inst *pg)
{
    char loc[64];
    char lsn[32];
    struct pg_status st;
    struct pg_control cd;

    /* A restartpoint brings the control file to the replayed timeline. */
    checkpoint(pg);
    (void) instance_state(pg, &st, &cd, NULL);
    pgi_lsn_format(st.lsn, lsn, sizeof(lsn));
    snprintf(loc, sizeof(loc), "%u:%s%s", st.tli, lsn,
             last_primary_marked(pg) ? ":last-primary" : "");
    ra_log_info("election: this node is at %s", loc);
    (void) priv_set(pg, NULL, "lsn-location", loc);
}

static int notify_pre_promote(struct pg_inst *pg, const struct ra_notify *nt)
{
    const char *target = ra_notify_promote_target(nt);
    const char *old = NULL;
    char peer[256];
    struct pg_status st;
    struct pg_control cd;
    bool me;

    if (target == NULL) {
        return OCF_SUCCESS;
    }
    me = strcmp(target, pg->ctx->node) == 0;
    election_cleanup(pg);
    /* The primary recovers in place: no election. */
    if (ra_notify_is_recovery(nt)) {
        ra_log_warn("recovery of the primary on %s", target);
        if (me) {
            (void) priv_set(pg, NULL, "recover", "1");
        }
        return OCF_SUCCESS;
    }
    old = me ? ra_notify_switchover_from(nt) : NULL;
    if (old != NULL) {
        switchover_check(pg, old);
    } else if (me && demoted_peer(pg, nt, peer, sizeof(peer))) {
        /* The demote ran in an earlier transition (aborted by an attribute
         * change before the promote): the old primary's published shutdown
         * checkpoint still tells a switchover. */
        switchover_check(pg, peer);
    }
    if (instance_state(pg, &st, &cd, NULL) != PG_STANDBY) {
        ra_log_warn("not a running standby: no location published");
        return OCF_SUCCESS;
    }
    location_publish(pg);
    if (me) {
        election_nodes_record(pg, nt);
    }
    return OCF_SUCCESS;
}

/* The primary creates the slots of the standbys about to start, so they can
 * stream at once (primary_slot_name). */
static void notify_pre_start_slots(struct pg_inst *pg,
                                   const struct ra_notify *nt)
{
    const struct ra_nodes *l = &nt->lists[RA_NODES_START];
    char nodes[SLOTS_MAX][128];
    size_t n = 0;
    struct pg_status st;
    struct pg_control cd;
    PGconn *conn = NULL;

    for (size_t i = 0; i < l->count && n < SLOTS_MAX; i++) {
        snprintf(nodes[n++], 128, "%.127s", l->names[i]);
    }
    if (n > 0 && instance_state(pg, &st, &cd, &conn) == PG_PRIMARY) {
        slots_create(pg, conn, nodes, n);
    }
    if (conn != NULL) {
        PQfinish(conn);
    }
}

/* Primary, post-stop: a stopped standby (its node fenced, or its server
 * stopped) leaves the synchronous set now, not when wal_sender_timeout and
 * the next monitor notice it: commits waiting for it go on at once.  Its
 * walsender may outlive a fenced node's dead connection: it is ended. */
static void notify_post_stop_primary(struct pg_inst *pg,
                                     const struct ra_notify *nt)
{
    const struct ra_nodes *l = &nt->lists[RA_NODES_STOP];
    struct pg_status st;
    struct pg_control cd;
    PGconn *conn = NULL;

    if (l->count == 0
        || instance_state(pg, &st, &cd, &conn) != PG_PRIMARY || conn == NULL) {
        if (conn != NULL) {
            PQfinish(conn);
        }
        return;
    }
    for (size_t i = 0; i < l->count; i++) {
        const char *n = l->names[i];
        const char *params[1] = { n };
        char err[256];
        PGresult *res;

        if (strcmp(n, pg->ctx->node) == 0) {
            continue;
        }
        res = pgi_exec(pg, conn, "SELECT count(pg_terminate_backend(pid, 1000))"
                       " FROM pg_stat_replication WHERE application_name = $1",
                       1, params, err, sizeof(err));
        if (res == NULL) {
            ra_log_warn("cannot end the walsender of stopped standby %s: %s", n, err);
            continue;
        }
        if (strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
            ra_log_notice("standby %s stopped: its walsender ended", n);
        }
        PQclear(res);
    }
    /* the monitor's own reckoning, without the stopped ones */
    (void) primary_check_standbys(pg, conn, &st);
    PQfinish(conn);
}

static void notify_dispatch(struct pg_inst *pg, const struct ra_notify *nt)
{
    if (ra_notify_is(nt, RA_NOTIFY_POST, RA_NOTIFY_PROMOTE)) {
        election_cleanup(pg);
        (void) priv_set(pg, NULL, "shutdown-lsn", NULL);
        if (!ra_notify_has(nt, RA_NODES_PROMOTE, pg->ctx->node)) {
            last_primary_mark(pg, false);
        }
    }
    if (ra_notify_is(nt, RA_NOTIFY_PRE, RA_NOTIFY_START) && slots_on(pg)) {
        notify_pre_start_slots(pg, nt);
    }
    if (ra_notify_is(nt, RA_NOTIFY_POST, RA_NOTIFY_STOP)
        && strcmp(synchronous_mode(pg), "off") != 0) {
        notify_post_stop_primary(pg, nt);
    }
}

static int pgsql_notify(struct ra_ctx *ctx)
{
    struct ra_notify nt;
    struct pg_inst pg;
    int rc = pgi_init(&pg, ctx);

    if (rc != OCF_SUCCESS) {
        return OCF_SUCCESS;
    }
    if (ra_notify_from_env(&nt) != 0) {
        ra_log_err("out of memory: notification ignored");
        return OCF_SUCCESS;
    }
    if (nt.type != RA_NOTIFY_TYPE_UNKNOWN && nt.op != RA_NOTIFY_OP_UNKNOWN) {
        ra_log_debug("notify %s-%s", nt.type_str, nt.op_str);
        if (ra_notify_is(&nt, RA_NOTIFY_PRE, RA_NOTIFY_PROMOTE)) {
            rc = notify_pre_promote(&pg, &nt);
        } else {
            notify_dispatch(&pg, &nt);
        }
    }
    ra_notify_free(&nt);
    return rc;
}

/* ---- validate-all ------------------------------------------------------ */

/* bindir and its programs: there, and root's or system_user's (they run
 * as system_user; a folder another user owns would choose what runs as
 * system_user, with the cluster's data and replication credentials). */
static int check_binaries(struct pg_inst *pg)
{
    const char *bins[] = { "postgres", "pg_controldata",
                           ra_param_bool(pg->ctx, "rewind") ? "pg_rewind" : NULL,
                           NULL };
    char path[PATH_MAX];
    int rc = ra_param_trusted("bindir", pg->bindir, pg->uid);

    for (size_t i = 0; rc == OCF_SUCCESS && bins[i] != NULL; i++) {
        snprintf(path, sizeof(path), "%s/%s", pg->bindir, bins[i]);
        if (access(path, X_OK) != 0) {
            ra_exit_reason("parameter bindir: %s is missing or not executable", path);
            return OCF_ERR_INSTALLED;
        }
        rc = ra_param_trusted("bindir", path, pg->uid);
    }
    return rc;
}

static int check_version(struct pg_inst *pg)
{
    const char *argv[] = { pg->postgres, "-V", NULL };
    struct ra_run_opts opts = { .deadline = &pg->ctx->deadline, .env = NULL,
                                .user = pg->user };
    struct ra_run_result res;
    char path[PATH_MAX];
    char *data_ver = NULL;
    size_t len = 0;
    int bin_major = 0;
    int data_major;
    const char *p;

    if (ra_run(argv, &opts, &res) != 0) {
        ra_exit_reason("cannot run %s -V", pg->postgres);
        return OCF_ERR_INSTALLED;
    }
    /* "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)" */
    p = strstr(res.out, ") ");
    bin_major = p != NULL ? atoi(p + 2) : 0;
    ra_run_result_free(&res);
    if (bin_major < 12) {
        ra_exit_reason("PostgreSQL 12 or later is required (%s)", pg->postgres);
        return OCF_ERR_INSTALLED;
    }
    pgi_path(pg, "PG_VERSION", path, sizeof(path));
    if (ra_file_slurp(path, pg->uid, 64, &data_ver, &len) != 0) {
        ra_exit_reason("%s is missing or not a regular file: not a PostgreSQL "
                       "data directory", path);
        return OCF_ERR_INSTALLED;
    }
    data_major = atoi(data_ver);
    free(data_ver);
    if (data_major != bin_major) {
        ra_exit_reason("data directory is version %d but %s is version %d",
                       data_major, pg->postgres, bin_major);
        return OCF_ERR_INSTALLED;
    }
    return OCF_SUCCESS;
}

static int check_datadir(struct pg_inst *pg)
{
    struct stat sb;

    if (stat(pg->datadir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        ra_exit_reason("parameter datadir: data directory %s does not exist",
                       pg->datadir);
        return OCF_ERR_INSTALLED;
    }
    if (sb.st_uid != pg->uid) {
        ra_exit_reason("parameter datadir: data directory %s is not owned by %s",
                       pg->datadir, pg->user);
        return OCF_ERR_PERM;
    }
    if ((sb.st_mode & 0077) != 0 && (sb.st_mode & 0027) != 0) {
        ra_exit_reason("parameter datadir: data directory %s must be mode 0700 "
                       "or 0750", pg->datadir);
        return OCF_ERR_PERM;
    }
    return OCF_SUCCESS;
}

/* pgdata: the folder of postgresql.conf (postgres -D), root's or
 * system_user's. */
static int check_pgdata(struct pg_inst *pg)
{
    char conf[PATH_MAX];
    struct stat sb;

    if (stat(pg->pgdata, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        ra_exit_reason("parameter pgdata: %s is not a folder", pg->pgdata);
        return OCF_ERR_INSTALLED;
    }
    if (sb.st_uid != 0 && sb.st_uid != pg->uid) {
        ra_exit_reason("parameter pgdata: %s is owned by neither root nor %s",
                       pg->pgdata, pg->user);
        return OCF_ERR_PERM;
    }
    snprintf(conf, sizeof(conf), "%s/postgresql.conf", pg->pgdata);
    if (stat(conf, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        ra_exit_reason("parameter pgdata: %s holds no postgresql.conf", pg->pgdata);
        return OCF_ERR_INSTALLED;
    }
    return OCF_SUCCESS;
}

/* pghost: an existing socket folder (absolute), or a host name or address. */
static int check_pghost(struct pg_inst *pg)
{
    const char *h = pg->pghost;
    struct stat sb;

    if (h[0] == '/') {
        if (strcspn(h, "\n\t") != strlen(h) || stat(h, &sb) != 0
            || !S_ISDIR(sb.st_mode)) {
            ra_exit_reason("parameter pghost: the socket folder does not exist");
            return OCF_ERR_INSTALLED;
        }
        return OCF_SUCCESS;
    }
    if (h[0] == '\0' || h[0] == '-' || strlen(h) > 253
        || strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789.:-%") != strlen(h)) {
        ra_exit_reason("parameter pghost is neither an absolute socket folder "
                       "nor a host name or address (value not shown)");
        return OCF_ERR_CONFIGURED;
    }
    return OCF_SUCCESS;
}

static int check_start_opts(struct pg_inst *pg)
{
    const char *err = NULL;
    char **w = ra_words_split(ra_param(pg->ctx, "start_opts"), &err);

    if (w == NULL) {
        ra_exit_reason("parameter start_opts %s", err != NULL ? err : "cannot be split");
        return OCF_ERR_CONFIGURED;
    }
    ra_words_free(w);
    return OCF_SUCCESS;
}

/* Does conninfo set application_name to node? */
static bool conninfo_has_appname(const char *conninfo, const char *node)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    bool found = false;

    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "application_name") == 0 && o->val != NULL) {
            found = strcmp(o->val, node) == 0;
        }
    }
    PQconninfoFree(opts);
    return found;
}

/* The settings replication under this agent needs (postgres -C). */
static int check_settings(struct pg_inst *pg)
{
    char *v;
    char want[300];
    int rc = OCF_SUCCESS;

    v = pgi_setting(pg, "hot_standby");
    if (v == NULL) {
        /* pgdata was checked: most likely an option postgres refuses. */
        ra_exit_reason("postgres -C -D pgdata start_opts fails: check start_opts "
                       "and postgresql.conf in pgdata (postgres's message is logged)");
        return OCF_ERR_CONFIGURED;
    }
    if (strcmp(v, "on") != 0) {
        ra_exit_reason("hot_standby must be on (is %s)", v != NULL ? v : "?");
        rc = OCF_ERR_ARGS;
    }
    free(v);
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    v = pgi_setting(pg, "wal_level");
    if (v == NULL || (strcmp(v, "replica") != 0 && strcmp(v, "logical") != 0)) {
        ra_exit_reason("wal_level must be replica or logical (is %s)",
                       v != NULL ? v : "?");
        rc = OCF_ERR_ARGS;
    }
    free(v);
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    v = pgi_setting(pg, "recovery_target_timeline");
    if (v == NULL || strcmp(v, "latest") != 0) {
        ra_exit_reason("recovery_target_timeline must be 'latest' (is %s)",
                       v != NULL ? v : "?");
        rc = OCF_ERR_ARGS;
    }
    free(v);
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    if (slots_on(pg)) {
        char slot[128];

        slot_name(pg->ctx->node, slot, sizeof(slot));
        v = pgi_setting(pg, "primary_slot_name");
        if (v == NULL || strcmp(v, slot) != 0) {
            ra_exit_reason("slots=true: primary_slot_name must be '%s' (is '%s')",
                           slot, v != NULL ? v : "?");
            rc = OCF_ERR_ARGS;
        }
        free(v);
        if (rc != OCF_SUCCESS) {
            return rc;
        }
    }
    v = pgi_setting(pg, "primary_conninfo");
    snprintf(want, sizeof(want), "application_name=%s", pg->ctx->node);
    if (v == NULL || !conninfo_has_appname(v, pg->ctx->node)) {
        char shown[512];

        /* Its password never shown. */
        ra_exit_reason("primary_conninfo must contain %s (is '%s')", want,
                       v != NULL ? ra_redact_conninfo(v, shown, sizeof(shown))
                                 : "?");
        rc = OCF_ERR_ARGS;
    }
    free(v);
    return rc;
}

/* Everything validate-all checks, in the order a bad value is best named
 * (start runs it too, before it changes anything). */
static int validate_config(struct pg_inst *pg)
{
    int (*const checks[])(struct pg_inst *) = {
        check_pghost, check_start_opts, check_binaries, check_pgdata,
        check_datadir, check_version, check_settings, NULL,
    };
    int rc = OCF_SUCCESS;

    for (size_t i = 0; rc == OCF_SUCCESS && checks[i] != NULL; i++) {
        rc = checks[i](pg);
    }
    return rc == OCF_SUCCESS ? meta_check() : rc;
}

static int pgsql_validate(struct ra_ctx *ctx)
{
    struct pg_inst pg;
    int rc = pgi_init(&pg, ctx);

    return rc == OCF_SUCCESS ? validate_config(&pg) : rc;
}

static int pgsql_reload_agent(struct ra_ctx *ctx)
{
    ra_log_info("reloadable parameters take effect at the next monitor");
    (void) ctx;
    return OCF_SUCCESS;
}

static const struct ra_action actions[] = {
    { "start", pgsql_start },
    { "stop", pgsql_stop },
    { "monitor", pgsql_monitor },
    { "promote", pgsql_promote },
    { "demote", pgsql_demote },
    { "notify", pgsql_notify },
    { "validate-all", pgsql_validate },
    { "reload-agent", pgsql_reload_agent },
    { NULL, NULL },
};

static const struct ra_agent agent = {
    "pgsql", pgsql_metadata, pgsql_params, actions
};

int main(int argc, char **argv)
{
    /* pg_controldata and postgres -C speak the C locale to us; children
     * inherit the environment first, so set it here too. */
    setenv("LC_ALL", "C", 1);
    return ra_main(&agent, argc, argv);
}
