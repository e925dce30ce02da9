/* instance.c: the CTFreak instance as the parameters describe it: its pid,
 * its log file, launching it and stopping it.  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "instance.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsafe.h"
#include "common/log.h"
#include "common/logfile.h"
#include "common/proc.h"
#include "common/ra.h"
#include "common/run.h"
#include "common/words.h"

#define STOP_KILL_RESERVE_MS 2000

/* ---- the instance ------------------------------------------------------------------ */

void instance_free(struct instance *inst)
{
    ra_words_free(inst->args);
    inst->args = NULL;
}

/* Fills inst from the parameters; returns OCF_SUCCESS or OCF_ERR_CONFIGURED. */
int instance_load(struct ra_ctx *ctx, struct instance *inst)
{
    const char *why = NULL;
    const char *p;

    memset(inst, 0, sizeof(*inst));
    inst->binary = ra_param(ctx, "binary");
    inst->config_dir = ra_param(ctx, "config_dir");
    inst->user = ra_param(ctx, "user");
    inst->args = ra_words_split(ra_param(ctx, "args"), &why);
    if (inst->args == NULL) {
        ra_exit_reason("parameter args=\"%s\" %s", ra_param(ctx, "args"), why);
        return OCF_ERR_CONFIGURED;
    }
    inst->user_known = ra_user_lookup(inst->user, &inst->uid, &inst->gid) == 0;
    if (!inst->user_known) {
        inst->uid = (uid_t) -1;     /* no process runs as that: none is ours */
    }

    p = ra_param(ctx, "pidfile");
    if (*p != '\0') {
        if (ra_logfile_path(ctx, "pidfile", NULL, inst->pidfile,
                            sizeof(inst->pidfile)) != 0) {
            return OCF_ERR_CONFIGURED;
        }
    } else if (ra_state_path(ctx, "pid", inst->pidfile, sizeof(inst->pidfile)) != 0) {
        ra_exit_reason("cannot use HA_RSCTMP=%s for the pid file", ctx->rsctmp);
        return OCF_ERR_CONFIGURED;
    }
    if (ra_logfile_path(ctx, "log_file", ctx->instance, inst->logfile,
                        sizeof(inst->logfile)) != 0) {
        return OCF_ERR_CONFIGURED;
    }
    if (ra_state_path(ctx, "monitor-failure", inst->repeat_file,
                      sizeof(inst->repeat_file)) != 0) {
        inst->repeat_file[0] = '\0';
    }
    inst->match_args[0] = "-c";
    inst->match_args[1] = inst->config_dir;
    inst->match_args[2] = NULL;
    inst->match.exe = inst->binary;
    inst->match.args = inst->match_args;
    /* Any local user can run a process named like ours. */
    inst->match.uid = &inst->uid;
    return OCF_SUCCESS;
}

const char *instance_repeat_file(const struct instance *inst)
{
    return inst->repeat_file[0] != '\0' ? inst->repeat_file : NULL;
}

/* The running instance, if any.  *by_scan: found in /proc, not via the pid file. */
pid_t instance_pid(const struct instance *inst, bool *by_scan)
{
    pid_t pid = 0;
    enum ra_pidfile_status st;

    st = ra_pidfile_read(inst->pidfile, inst->user_known ? inst->uid : (uid_t) -1, &pid);
    if (st == RA_PIDFILE_UNTRUSTED || st == RA_PIDFILE_INVALID) {
        ra_log_warn("pid file %s is %s: ignoring it, looking in /proc",
                    inst->pidfile, ra_pidfile_status_str(st));
    } else if (st == RA_PIDFILE_OK && !ra_proc_matches(pid, &inst->match)) {
        ra_log_info("pid file %s names pid %d, which is not this instance "
                    "(stale or reused): looking in /proc", inst->pidfile, (int) pid);
    }
    return ra_proc_locate(st == RA_PIDFILE_OK ? inst->pidfile : NULL,
                          inst->user_known ? inst->uid : (uid_t) -1,
                          &inst->match, by_scan);
}

/* Does any process of the CTFreak binary run on this node (any folder) as
 * the CTFreak user? */
bool instance_binary_runs_here(const struct instance *inst)
{
    struct ra_proc_match any = { .exe = inst->binary, .args = NULL,
                                 .uid = &inst->uid };
    pid_t pid;

    return ra_proc_find(&any, &pid, 1) > 0;
}

/* ---- launch and stop ---------------------------------------------------------------- */

/* The log file as the daemon will get it (fsafe: no link followed, no FIFO,
 * one link, root's or the CTFreak user's; a new one is the user's).
 * Returns 0 or -1 with the reason given. */
int log_file_usable(const struct instance *inst)
{
    return ra_logfile_ready("log_file", inst->logfile, inst->uid, inst->gid);
}

int instance_launch(const struct instance *inst, pid_t *pid)
{
    size_t nargs = 0;
    const char **argv;
    struct ra_daemon_opts opts = {
        .user = inst->user,
        .cwd = inst->config_dir,
        .log_file = inst->logfile,
        .pid_file = inst->pidfile,
    };
    int rc;

    while (inst->args[nargs] != NULL) {
        nargs++;
    }
    argv = calloc(nargs + 5, sizeof(*argv));
    if (argv == NULL) {
        return -ENOMEM;
    }
    argv[0] = inst->binary;
    argv[1] = "-c";
    argv[2] = inst->config_dir;
    argv[3] = "run";
    for (size_t i = 0; i < nargs; i++) {
        argv[4 + i] = inst->args[i];
    }
    rc = ra_daemon_start(argv, &opts, pid);
    if (rc == 0) {
        ra_log_info("launched %s -c %s run (pid %d, user %s, log %s)", inst->binary,
                    inst->config_dir, (int) *pid, inst->user, inst->logfile);
    }
    free(argv);
    return rc;
}

/* Signals pid and its process group (the instance's children). */
static void signal_instance(pid_t pid, int sig)
{
    pid_t pgid = getpgid(pid);

    kill(pid, sig);
    if (pgid > 1 && pgid != getpgid(0)) {
        kill(-pgid, sig);
    }
}

/* SIGTERM, wait until the deadline d minus a reserve, SIGKILL, wait. */
bool instance_terminate(const struct ra_deadline *d, pid_t pid)
{
    struct ra_deadline term;
    long left = ra_deadline_remaining_ms(d);

    ra_deadline_init(&term, left > STOP_KILL_RESERVE_MS * 2 ? left - STOP_KILL_RESERVE_MS
                                                             : left / 2);
    signal_instance(pid, SIGTERM);
    if (ra_proc_wait_gone(pid, &term)) {
        return true;
    }
    ra_log_warn("pid %d ignored SIGTERM: sending SIGKILL", (int) pid);
    signal_instance(pid, SIGKILL);
    return ra_proc_wait_gone(pid, d);
}
