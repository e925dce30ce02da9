/* instance.h: the CTFreak instance as the ctfreak agent sees it (its
 * parameters, its process, launch and stop): instance.c's API.  Licence: GPL-2.0-or-later. */
#ifndef CTFREAK_INSTANCE_H
#define CTFREAK_INSTANCE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/deadline.h"
#include "common/proc.h"
#include "common/ra.h"

/* The instance as the parameters describe it. */
struct instance {
    const char *binary;
    const char *config_dir;
    const char *user;
    char **args;                    /* extra words after "run" */
    uid_t uid;
    gid_t gid;
    bool user_known;
    char pidfile[PATH_MAX];
    char logfile[PATH_MAX];
    char repeat_file[PATH_MAX];     /* remembers a repeating monitor failure */
    const char *match_args[3];      /* "-c", config_dir */
    struct ra_proc_match match;     /* .uid: only user's processes are ours */
};

/* Fills inst from the parameters; returns OCF_SUCCESS or OCF_ERR_CONFIGURED
 * (reason given).  instance_free releases it either way. */
int instance_load(struct ra_ctx *ctx, struct instance *inst);
void instance_free(struct instance *inst);

/* The file remembering a repeating monitor failure, or NULL. */
const char *instance_repeat_file(const struct instance *inst);

/* The running instance, if any (0: none).  *by_scan: found in /proc, not
 * via the pid file. */
pid_t instance_pid(const struct instance *inst, bool *by_scan);

/* Does any process of the CTFreak binary run on this node (any folder) as
 * the CTFreak user? */
bool instance_binary_runs_here(const struct instance *inst);

/* The log file as the daemon will get it (fsafe: no link followed, no FIFO,
 * one link, root's or the CTFreak user's; a new one is the user's).
 * Returns 0 or -1 with the reason given. */
int log_file_usable(const struct instance *inst);

/* Launches binary -c config_dir run args... as the CTFreak user, detached;
 * fills *pid.  Returns 0 or -errno. */
int instance_launch(const struct instance *inst, pid_t *pid);

/* SIGTERM to pid and its process group, wait until the deadline d minus a
 * reserve, SIGKILL, wait.  Returns true when it is gone. */
bool instance_terminate(const struct ra_deadline *d, pid_t pid);

#endif
