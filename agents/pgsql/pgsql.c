/* pgsql.c: ocf:ctfreak:pgsql, the promotable PostgreSQL streaming
 * replication agent: the OCF contract (the actions, and the start, rejoin
 * and promote sequencing).  Licence: GPL-2.0-or-later. */
#include "config.h"

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
#include "proc.h"
#include "ra.h"

#include "election.h"
#include "instance.h"
#include "rebuild.h"
#include "slots.h"
#include "standbys.h"
#include "state.h"
#include "validate.h"

extern const char pgsql_metadata[];
extern const struct ra_param_def pgsql_params[];

#define STANDBY_FAST_STOP_MS 5000
#define PROMOTE_POLL_MS 10

/* ---- monitor ---------------------------------------------------------- */

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

/* A standby stops streaming whenever its primary goes away, and a failover
 * promotes it seconds later.  Were that reported at once (degraded), the
 * node being promoted would carry a failure of its unpromoted monitor, and
 * Pacemaker (2.1) waits that monitor's timeout plus cluster-delay (70 s)
 * for the cancel of a failed monitor started by a DC that has just died.
 * So "not streaming" is news only after it lasted NOT_STREAMING_GRACE_S,
 * counted from a state file's creation (removed when streaming again and
 * at start/stop): no fork, and a write only when the state changes. */
#define NOT_STREAMING_GRACE_S 30

static void not_streaming_path(const struct pg_inst *pg, char *path, size_t len)
{
    if (ra_state_path(pg->ctx, "not-streaming", path, len) != 0) {
        path[0] = '\0';
    }
}

static bool not_streaming_for_long(const struct pg_inst *pg)
{
    char path[PATH_MAX];
    struct stat sb;

    not_streaming_path(pg, path, sizeof(path));
    if (path[0] == '\0') {
        return true;
    }
    if (lstat(path, &sb) != 0) {
        (void) ra_file_touch(path, 0600, RA_FSAFE_KEEP, RA_FSAFE_KEEP);
        return false;
    }
    return time(NULL) - sb.st_mtime >= NOT_STREAMING_GRACE_S;
}

static void not_streaming_clear(const struct pg_inst *pg)
{
    char path[PATH_MAX];

    not_streaming_path(pg, path, sizeof(path));
    if (path[0] != '\0') {
        (void) ra_file_remove(path);
    }
}

/* With rewind=true: could pg_rewind run if this node had to rejoin the
 * primary it streams from?  Asked at the first streaming monitor after a
 * start and again when the timeline changes (a new primary), never in
 * between: the state file holds the timeline last asked about.  The
 * <rsc>-rewind attribute says "ready" or "missing: ..."; one log line names
 * what is missing and how to grant it, long before a failover needs it. */
static void rewind_watch(struct pg_inst *pg, PGconn *local,
                         const struct pg_status *st)
{
    char path[PATH_MAX];
    char tli[16];
    char *seen = NULL;
    size_t len = 0;
    char missing[128];
    char why[256];
    char value[160];

    if (!ra_param_bool(pg->ctx, "rewind")) {
        attr_show(pg, NULL, "rewind", NULL);
        return;
    }
    if (ra_state_path(pg->ctx, "rewind-checked", path, sizeof(path)) != 0) {
        return;
    }
    snprintf(tli, sizeof(tli), "%u", st->tli);
    if (ra_file_slurp(path, 0, sizeof(tli), &seen, &len) == 0
        && strcmp(seen, tli) == 0) {
        free(seen);
        return;
    }
    free(seen);
    if (pgi_rewind_readiness(pg, local, st->conninfo, missing, sizeof(missing),
                             why, sizeof(why)) != 0) {
        return;             /* asked again at the next monitor */
    }
    (void) ra_file_replace(path, tli, strlen(tli), 0600, 0, 0);
    if (missing[0] == '\0') {
        attr_show(pg, NULL, "rewind", "ready");
        return;
    }
    snprintf(value, sizeof(value), "missing: %s", missing);
    attr_show(pg, NULL, "rewind", value);
    ra_log_warn("pg_rewind could not run from the primary if this node had to "
                "rejoin it: missing %s%s%s (grants: ctfreak-ha-pg-setup, or the "
                "README's PostgreSQL section)", missing,
                why[0] != '\0' ? " | " : "", why);
}

static void rewind_watch_reset(const struct pg_inst *pg)
{
    char path[PATH_MAX];

    if (ra_state_path(pg->ctx, "rewind-checked", path, sizeof(path)) == 0) {
        (void) ra_file_remove(path);
    }
}

static int monitor_standby(struct pg_inst *pg, PGconn *conn,
                           const struct pg_status *st)
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
        if (!not_streaming_for_long(pg)) {
            return OCF_SUCCESS;
        }
        ra_log_repeat(path, LOG_WARNING, "standby not streaming for %d s or "
                      "more | receiver=%s", NOT_STREAMING_GRACE_S,
                      st->receiver[0] != '\0' ? st->receiver : "none");
        ra_exit_reason("standby not streaming for %d s or more (receiver %s)",
                       NOT_STREAMING_GRACE_S,
                       st->receiver[0] != '\0' ? st->receiver : "none");
        return OCF_DEGRADED;
    }
    not_streaming_clear(pg);
    rewind_watch(pg, conn, st);
    if (maxlag > 0 && st->lag > maxlag) {
        ra_log_repeat(path, LOG_WARNING, "standby lags beyond maxlag | lag=%lld "
                      "maxlag=%lld", st->lag, maxlag);
        return OCF_DEGRADED;
    }
    ra_log_repeat_clear(path);
    return OCF_SUCCESS;
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
    if (!pg_installed(&pg, why, sizeof(why))) {
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
        rc = monitor_standby(&pg, conn, &st);
    } else if (ctx->is_probe
               && (s == PG_CRASHED_PRIMARY || s == PG_CRASHED_STANDBY)) {
        /* A node back from a power-off or a fence: nothing runs, and the
         * start (always as a standby) does the crash recovery, and pg_rewind
         * or the refusal when the timeline diverged.  Reporting a failure
         * here made Pacemaker demote, stop, then start it (two more rounds of
         * notifications on the rejoin's path) and left a "Failed Resource
         * Action" after every rejoin. */
        ra_log_notice("not running (%s, not shut down cleanly): the start "
                      "rejoins it as a standby", pg_state_str(s));
        rc = OCF_NOT_RUNNING;
    } else {
        rc = state_to_ocf(s);
    }
    if (conn != NULL) {
        PQfinish(conn);
    }
    return rc;
}

/* ---- start ------------------------------------------------------------ */

/* A diverged instance that pg_rewind did not (or may not) bring back:
 * re-cloned with rebuild=basebackup (aside: where the old data waits), else
 * refused with the advice first (Pacemaker keeps 128 characters). */
static int rebuild_or_refuse(struct pg_inst *pg, const char *conninfo,
                             bool from_primary, const char *why, char *aside,
                             size_t asidelen)
{
    char err[512];

    if (strcmp(ra_param(pg->ctx, "rebuild"), "basebackup") != 0 || !from_primary) {
        if (!ra_param_bool(pg->ctx, "rewind")) {
            ra_exit_reason("timeline diverged from the primary: set rewind=true "
                           "or rebuild=basebackup, or run pg_rewind or "
                           "pg_basebackup by hand (%s)", why);
        } else {
            ra_exit_reason("pg_rewind failed; set rebuild=basebackup, or rebuild "
                           "this standby with pg_basebackup");
        }
        return OCF_ERR_GENERIC;
    }
    ra_log_notice("timeline diverged from the primary (%s): rebuild with "
                  "pg_basebackup", why);
    if (pgi_rebuild(pg, conninfo, aside, asidelen, err, sizeof(err)) != 0) {
        ra_log_err("rebuild refused or failed: %s", err);
        ra_exit_reason("rebuild of this standby failed, old data kept: %s", err);
        return OCF_ERR_GENERIC;
    }
    return OCF_SUCCESS;
}

/* Before a start: a crashed or diverged ex-primary never comes back as a
 * primary; returns an OCF code. */
static int rejoin_check(struct pg_inst *pg, enum pg_state s,
                        struct pg_control *cd, bool *primary_seen,
                        char *aside, size_t asidelen)
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
    pgi_control_end(cd, &tli, &lsn);
    if (timeline_check(pg, conninfo, tli, lsn, why, sizeof(why)) != TL_DIVERGED) {
        goto done;
    }
    if (ra_param_bool(pg->ctx, "rewind")) {
        ra_log_notice("timeline diverged from the primary (%s): pg_rewind", why);
        if (pgi_rewind(pg, conninfo) == 0) {
            goto done;
        }
        snprintf(why, sizeof(why), "pg_rewind failed");
    }
    rc = rebuild_or_refuse(pg, conninfo, *primary_seen, why, aside, asidelen);
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

/* After a rebuild: the old data directory goes once the copy streams
 * (within the start's budget, less STANDBY_FAST_STOP_MS for the rest);
 * else it stays, and the log says where. */
static void rebuild_finish(struct pg_inst *pg, const char *aside)
{
    struct pg_status st;
    struct pg_control cd;

    while (ra_deadline_remaining_ms(&pg->ctx->deadline) > STANDBY_FAST_STOP_MS) {
        if (instance_state(pg, &st, &cd, NULL) == PG_STANDBY
            && strcmp(st.receiver, "streaming") == 0) {
            pgi_rebuild_done(pg, aside);
            return;
        }
        (void) ra_deadline_sleep_ms(&pg->ctx->deadline, 200);
    }
    ra_log_warn("rebuild: the copy does not stream yet; the old data directory "
                "stays at %s (remove it once the standby streams)", aside);
}

static int start_standby(struct pg_inst *pg)
{
    char aside[PATH_MAX + 64] = "";
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
    rc = rejoin_check(pg, s, &cd, &primary_seen, aside, sizeof(aside));
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    if (pgi_server_log_ready(pg) != 0) {
        return OCF_ERR_PERM;
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
    if (rc == OCF_SUCCESS && aside[0] != '\0') {
        rebuild_finish(pg, aside);
    }
    if (rc == OCF_SUCCESS && !primary_seen) {
        candidate_set(pg);
    } else if (rc == OCF_SUCCESS) {
        last_primary_mark(pg, false);
    }
    return rc;
}

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
    not_streaming_clear(&pg);
    rewind_watch_reset(&pg);
    (void) priv_set(&pg, NULL, "shutdown-lsn", NULL);
    return start_standby(&pg);
}

/* ---- stop ------------------------------------------------------------- */

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
    not_streaming_clear(&pg);
    if (!pg_installed(&pg, why, sizeof(why))) {
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

/* ---- promote ---------------------------------------------------------- */

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
    rc = election_allows_promote(&pg, &st);
    if (rc != OCF_SUCCESS) {
        goto done;
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
         * costs a Pacemaker CLI call, here on the failover's path. */
        ra_log_notice("promoted");
    }
done:
    if (conn != NULL) {
        PQfinish(conn);
    }
    return rc;
}

/* ---- demote ----------------------------------------------------------- */

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
    if (s == PG_CRASHED_PRIMARY) {
        /* Demoted by the recovery of a failed promoted instance (a probe or
         * monitor that found it crashed): a stop and a start follow, and the
         * start rejoins it (crash recovery, pg_rewind or rebuild).  Rejoining
         * here too did the work twice, the stop throwing the first away. */
        ra_log_notice("crashed primary: nothing runs to demote; the start that "
                      "follows rejoins it");
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

/* ---- notify ----------------------------------------------------------- */

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
        slots_pre_start(pg, nt);
    }
    if (ra_notify_is(nt, RA_NOTIFY_POST, RA_NOTIFY_STOP)
        && strcmp(synchronous_mode(pg), "off") != 0) {
        standbys_stopped(pg, nt);
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
            rc = election_pre_promote(&pg, &nt);
        } else {
            notify_dispatch(&pg, &nt);
        }
    }
    ra_notify_free(&nt);
    return rc;
}

/* ---- validate-all, reload-agent --------------------------------------- */

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

/* ---- the agent -------------------------------------------------------- */

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
