/* ctfreak.c: ocf:ctfreak:ctfreak, the CTFreak instance (start, stop, health):
 * the OCF contract, its actions and their sequencing.  The instance's process
 * is instance.c's, the checks validate.c's, the database dbgate.c's.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/fsafe.h"
#include "common/http.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/ra.h"
#include "dbgate.h"
#include "instance.h"
#include "validate.h"

extern const char ctfreak_metadata[];
extern const struct ra_param_def ctfreak_params[];

#define START_POLL_MS 50

/* The health check (/isalive, as url names it): asked by common/http.c, which
 * also judges the answer. */
static enum ra_http_verdict health_check(struct ra_ctx *ctx, const struct ra_deadline *d,
                                         char *detail, size_t len)
{
    struct ra_http_check check = {
        .url = ra_param(ctx, "url"),
        .expect_body = ra_param(ctx, "expect_body"),
        .connect_timeout_ms = ra_param_ms(ctx, "connect_timeout"),
        .request_timeout_ms = ra_param_ms(ctx, "request_timeout"),
        .ca_file = ra_param(ctx, "ca_file"),
        .client_cert = ra_param(ctx, "client_cert"),
        .client_key = ra_param(ctx, "client_key"),
        .tls_verify = ra_param_bool(ctx, "tls_verify"),
    };

    return ra_http_get(&check, d, detail, len);
}

/* ---- start ------------------------------------------------------------------------------ */

enum start_outcome {
    START_HEALTHY,
    START_DIED,
    START_TIMED_OUT,
};

/* Time kept back from the start wait to stop a failed instance and judge
 * the database before the action's own deadline. */
static long start_reserve_ms(const struct ra_ctx *ctx)
{
    long r = ra_deadline_remaining_ms(&ctx->deadline) / 4;

    return r < 300 ? 300 : (r > 5000 ? 5000 : r);
}

/* Waits until /isalive answers as expected, the process dies, or the wait
 * deadline (the action's minus a reserve). */
static enum start_outcome wait_healthy(struct ra_ctx *ctx, pid_t pid, char *detail,
                                       size_t len)
{
    struct ra_deadline wait;

    ra_deadline_init(&wait, ra_deadline_remaining_ms(&ctx->deadline) - start_reserve_ms(ctx));
    for (;;) {
        if (!ra_proc_alive(pid)) {
            snprintf(detail, len, "the process (pid %d) exited during start", (int) pid);
            return START_DIED;
        }
        if (health_check(ctx, &wait, detail, len) == RA_HTTP_OK) {
            return START_HEALTHY;
        }
        if (!ra_deadline_sleep_ms(&wait, START_POLL_MS)) {
            return START_TIMED_OUT;
        }
    }
}

/* A start failed.  Case 2 of the vendor's guide: with a healthy database,
 * failing over would hit the same problem on the standby. */
static int start_failed(struct ra_ctx *ctx, const struct instance *inst, const char *why,
                        const char *what)
{
    char err[512] = "";
    enum db_state st = db_state_check(ctx, err, sizeof(err));
    bool healthy_db = st == DB_PRIMARY || st == DB_NOT_CONFIGURED;

    if (healthy_db && strcmp(ra_param(ctx, "on_start_failure"), "block") == 0) {
        /* Pacemaker keeps 128 characters of a reason: the advice comes first,
         * the details go to the log. */
        ra_log_err("CTFreak failed to start (%s%s) while its database is %s. Send %s to "
                   "CTFreak support, restore the config folder and the database from the "
                   "same backup, then run 'pcs resource cleanup'", why, what,
                   db_state_str(st), inst->logfile);
        ra_exit_reason("no failover (replication is not a backup): CTFreak fails to start "
                       "while its database is healthy; restore from backup");
        return OCF_ERR_CONFIGURED;
    }
    ra_exit_reason("CTFreak failed to start (%s%s); database %s; see %s", why, what,
                   db_state_str(st), inst->logfile);
    return OCF_ERR_GENERIC;
}

static int action_start(struct ra_ctx *ctx)
{
    char detail[512] = "";
    struct instance inst;
    struct ra_deadline stop_by;
    enum start_outcome outcome;
    bool by_scan = false;
    pid_t pid;
    int rc;

    rc = instance_load(ctx, &inst);
    if (rc == OCF_SUCCESS) {
        rc = validate_instance(ctx, &inst);
    }
    if (rc != OCF_SUCCESS) {
        goto done;
    }
    pid = instance_pid(&inst, &by_scan);
    if (pid > 0) {
        ra_log_info("already running (pid %d%s)", (int) pid,
                    by_scan ? ", found in /proc" : "");
        if (by_scan) {
            (void) ra_pidfile_write(inst.pidfile, pid);
        }
    } else {
        rc = db_allows_start(ctx, &inst);
        if (rc != OCF_SUCCESS) {
            goto done;
        }
        ra_log_repeat_clear(instance_repeat_file(&inst));
        if (log_file_usable(&inst) != 0) {
            rc = OCF_ERR_GENERIC;
            goto done;
        }
        rc = instance_launch(&inst, &pid);
        if (rc != 0) {
            ra_exit_reason("cannot launch %s: %s", inst.binary, strerror(-rc));
            rc = OCF_ERR_GENERIC;
            goto done;
        }
    }
    outcome = wait_healthy(ctx, pid, detail, sizeof(detail));
    if (outcome == START_HEALTHY) {
        ra_log_info("started: %s", detail);
        rc = OCF_SUCCESS;
        goto done;
    }
    /* Never leave a half-started instance behind; keep time to judge the database. */
    ra_deadline_init(&stop_by, ra_deadline_remaining_ms(&ctx->deadline) / 2);
    (void) instance_terminate(&stop_by, pid);
    (void) ra_file_remove(inst.pidfile);
    rc = start_failed(ctx, &inst,
                      outcome == START_TIMED_OUT ? "not healthy before the start timeout: " : "",
                      detail);

done:
    instance_free(&inst);
    return rc;
}

/* ---- stop -------------------------------------------------------------------------------- */

static int action_stop(struct ra_ctx *ctx)
{
    struct instance inst;
    pid_t pids[16];
    size_t n;
    bool by_scan = false;
    pid_t pid;
    int rc = OCF_SUCCESS;

    if (instance_load(ctx, &inst) != OCF_SUCCESS) {
        /* Nothing could have started with these parameters. */
        instance_free(&inst);
        return OCF_SUCCESS;
    }
    pid = instance_pid(&inst, &by_scan);
    if (pid > 0 && !instance_terminate(&ctx->deadline, pid)) {
        ra_exit_reason("pid %d survived SIGKILL", (int) pid);
        rc = OCF_ERR_GENERIC;
    }
    /* Copies started by hand with the same config folder must go too. */
    n = ra_proc_find(&inst.match, pids, sizeof(pids) / sizeof(pids[0]));
    for (size_t i = 0; i < n && i < sizeof(pids) / sizeof(pids[0]); i++) {
        ra_log_warn("stopping another process of this instance (pid %d)", (int) pids[i]);
        if (!instance_terminate(&ctx->deadline, pids[i])) {
            ra_exit_reason("pid %d survived SIGKILL", (int) pids[i]);
            rc = OCF_ERR_GENERIC;
        }
    }
    if (rc == OCF_SUCCESS) {
        (void) ra_file_remove(inst.pidfile);
        ra_log_repeat_clear(instance_repeat_file(&inst));
        ra_log_info("stopped");
    }
    instance_free(&inst);
    return rc;
}

/* ---- monitor ------------------------------------------------------------------------------ */

static int monitor_database(struct ra_ctx *ctx, const struct instance *inst)
{
    char err[512] = "";
    enum db_state st = db_state_check(ctx, err, sizeof(err));

    if (st == DB_PRIMARY || st == DB_NOT_CONFIGURED) {
        return OCF_SUCCESS;
    }
    ra_exit_reason_repeat(instance_repeat_file(inst), db_state_str(st), "the database is %s%s%s", db_state_str(st),
                          *err != '\0' ? ": " : "", err);
    return OCF_ERR_GENERIC;
}

static int monitor_instance(struct ra_ctx *ctx, const struct instance *inst)
{
    char detail[512] = "";
    enum ra_http_verdict v;
    bool by_scan = false;
    pid_t pid = instance_pid(inst, &by_scan);
    pid_t old = 0;

    if (pid == 0) {
        if (ra_pidfile_read(inst->pidfile, inst->user_known ? inst->uid : (uid_t) -1,
                            &old) == RA_PIDFILE_OK) {
            ra_exit_reason_repeat(instance_repeat_file(inst), "gone",
                                  "CTFreak (pid %d) is gone without being stopped", (int) old);
            return OCF_ERR_GENERIC;
        }
        return OCF_NOT_RUNNING;
    }
    if (by_scan) {
        ra_log_notice("found CTFreak running as pid %d without a valid pid file "
                      "(started outside Pacemaker?): adopting it", (int) pid);
        (void) ra_pidfile_write(inst->pidfile, pid);
    }
    v = health_check(ctx, &ctx->deadline, detail, sizeof(detail));
    if (v != RA_HTTP_OK) {
        ra_exit_reason_repeat(instance_repeat_file(inst), ra_http_verdict_str(v),
                              "health check failed (%s): %s",
                              ra_http_verdict_str(v), detail);
        return OCF_ERR_GENERIC;
    }
    if (ctx->check_level >= 10) {
        int rc = monitor_database(ctx, inst);

        if (rc != OCF_SUCCESS) {
            return rc;
        }
    }
    ra_log_repeat_clear(instance_repeat_file(inst));
    return OCF_SUCCESS;
}

static int action_monitor(struct ra_ctx *ctx)
{
    struct instance inst;
    int rc = instance_load(ctx, &inst);

    if (rc == OCF_SUCCESS) {
        rc = validate_configuration(ctx);
    }
    if (rc == OCF_SUCCESS) {
        rc = monitor_instance(ctx, &inst);
        /* A probe on a node without the software: simply not running here. */
        if (rc == OCF_NOT_RUNNING && !ctx->is_probe) {
            int node_rc = validate_node(ctx, &inst);

            rc = node_rc == OCF_SUCCESS ? OCF_NOT_RUNNING : node_rc;
        }
    }
    instance_free(&inst);
    return rc;
}

/* ---- validate-all, reload-agent -------------------------------------------------------------- */

static int action_validate(struct ra_ctx *ctx)
{
    struct instance inst;
    int rc = instance_load(ctx, &inst);

    if (rc == OCF_SUCCESS) {
        rc = validate_instance(ctx, &inst);
    }
    instance_free(&inst);
    return rc;
}

static int action_reload_agent(struct ra_ctx *ctx)
{
    int rc = validate_configuration(ctx);

    if (rc == OCF_SUCCESS) {
        ra_log_info("reloaded: the next monitor uses the new health-check parameters");
    }
    return rc;
}

static const struct ra_action actions[] = {
    { "start", action_start },
    { "stop", action_stop },
    { "monitor", action_monitor },
    { "validate-all", action_validate },
    { "reload-agent", action_reload_agent },
    { NULL, NULL },
};

static const struct ra_agent agent = {
    .name = "ctfreak",
    .metadata = ctfreak_metadata,
    .params = ctfreak_params,
    .actions = actions,
};

int main(int argc, char **argv)
{
    return ra_main(&agent, argc, argv);
}
