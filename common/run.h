/* run.h: child processes without a shell (argv, user, deadline, output) and
 * the daemon launcher.  Licence: GPL-2.0-or-later. */
#ifndef RA_RUN_H
#define RA_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "deadline.h"

struct ra_run_opts {
    const char *user;               /* run as this user (NULL: as we are) */
    const char *const *env;         /* extra NAME=value entries (NULL-terminated) */
    const char *cwd;                /* working directory (NULL: "/") */
    const struct ra_deadline *deadline; /* required */
    long timeout_ms;                /* own limit inside the deadline, 0 = none */
    size_t max_output;              /* bytes kept of stdout and of stderr, 0 = 64 KiB */
};

struct ra_run_result {
    int exit_status;                /* exit code, or -1 when killed by a signal */
    int term_signal;                /* signal that ended it, 0 if none */
    bool timed_out;                 /* killed because the deadline passed */
    char *out;                      /* stdout, NUL-terminated (never NULL after success) */
    char *err;                      /* stderr, NUL-terminated */
};

/* Runs argv[0] (absolute path, or looked up in PATH) with argv, waits for it.
 * On timeout: SIGTERM to its process group, then SIGKILL after 1 s.
 * Returns 0 when the child ran (see res), or -errno when it could not. */
int ra_run(const char *const argv[], const struct ra_run_opts *opts,
           struct ra_run_result *res);
void ra_run_result_free(struct ra_run_result *res);

/* Human-readable summary of how a child ended, e.g. "exit 3" or "signal 9". */
const char *ra_run_status_str(const struct ra_run_result *res, char *buf,
                              size_t len);

struct ra_daemon_opts {
    const char *user;               /* drop privileges to this user (NULL: none) */
    const char *const *env;         /* extra NAME=value entries */
    const char *cwd;                /* working directory (NULL: "/") */
    const char *log_file;           /* stdout+stderr appended here (NULL: /dev/null);
                                     * opened as root through fsafe (no link
                                     * followed, no FIFO); only a file created
                                     * here is given to user */
    const char *pid_file;           /* written with the daemon's pid (NULL: none) */
};

/* Starts argv as a detached daemon: own session, fds closed, privileges
 * dropped, output to log_file, pid file written.  The exec itself is checked:
 * a binary that cannot be executed is an error here, not a silent exit.
 * Returns 0 and the daemon's pid, or -errno. */
int ra_daemon_start(const char *const argv[], const struct ra_daemon_opts *opts,
                    pid_t *pid);

struct ra_spawn_opts {
    const char *err_file;           /* the child's stderr, created or truncated
                                     * (0600, no symlink followed); NULL: ours */
};

/* Runs fn(arg) in a child process and returns without waiting: the caller
 * reaps it (waitpid).  The child starts with default signal handling and an
 * empty signal mask, stdin from /dev/null and no other inherited fd but
 * stdout and stderr; fn's return value is its exit code (fn may exec).
 * For work that must not block the caller's event loop.
 * Returns 0 and the child's pid, or -errno when it could not fork. */
int ra_spawn(int (*fn)(void *arg), void *arg, const struct ra_spawn_opts *opts,
             pid_t *pid);

/* Looks up uid/gid of user.  Returns 0, -ENOENT (no such user) or -errno. */
int ra_user_lookup(const char *user, uid_t *uid, gid_t *gid);

#endif
