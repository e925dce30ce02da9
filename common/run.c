/* run.c: child processes without a shell, and the daemon launcher.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsafe.h"
#include "proc.h"

#define RUN_DEFAULT_MAX_OUTPUT (64 * 1024)
/* A passwd entry larger than this is not a user we run as. */
#define PW_BUF_MAX (1024 * 1024)
#define RUN_KILL_GRACE_MS 1000

extern char **environ;

/* getpwnam_r with a buffer grown until the entry fits (a long home or a
 * long gecos field is not "no such user").  Returns 0 with *buf to free,
 * or -errno (-ENOENT: no such user). */
static int pw_lookup(const char *user, struct passwd *pw, char **buf)
{
    struct passwd *res = NULL;
    size_t len = 4096;
    int e;

    *buf = NULL;
    for (;;) {
        char *grown = realloc(*buf, len);

        if (grown == NULL) {
            free(*buf);
            *buf = NULL;
            return -ENOMEM;
        }
        *buf = grown;
        e = getpwnam_r(user, pw, *buf, len, &res);
        if (e != ERANGE || len >= PW_BUF_MAX) {
            break;
        }
        len *= 2;
    }
    if (e != 0 || res == NULL) {
        free(*buf);
        *buf = NULL;
        return e != 0 && e != ENOENT ? -e : -ENOENT;
    }
    return 0;
}

int ra_user_lookup(const char *user, uid_t *uid, gid_t *gid)
{
    struct passwd pw;
    char *buf = NULL;
    int rc = pw_lookup(user, &pw, &buf);

    if (rc == 0) {
        *uid = pw.pw_uid;
        *gid = pw.pw_gid;
    }
    free(buf);
    return rc;
}

/* Who the child becomes; resolved in the parent (getpwnam is not
 * async-signal-safe after fork).  Sized to the user: every group kept, the
 * home folder whole (identity_free). */
struct run_identity {
    bool change;
    uid_t uid;
    gid_t gid;
    gid_t *groups;
    int ngroups;
    char *home;                 /* "HOME=..." */
    char *user;                 /* "USER=..." */
};

static void identity_free(struct run_identity *id)
{
    free(id->groups);
    free(id->home);
    free(id->user);
    memset(id, 0, sizeof(*id));
}

/* All groups of user (getgrouplist tells how many when they do not fit). */
static int identity_groups(const char *user, gid_t gid, struct run_identity *id)
{
    int n = 64;

    for (int tries = 0; tries < 3; tries++) {
        gid_t *grown = realloc(id->groups, (size_t) n * sizeof(*grown));
        int want = n;

        if (grown == NULL) {
            return -ENOMEM;
        }
        id->groups = grown;
        if (getgrouplist(user, gid, id->groups, &want) >= 0) {
            id->ngroups = want;
            return 0;
        }
        n = want > n ? want : n * 2;
    }
    return -E2BIG;
}

static int identity_resolve(const char *user, struct run_identity *id)
{
    struct passwd pw;
    char *buf = NULL;
    int rc;

    memset(id, 0, sizeof(*id));
    if (user == NULL || *user == '\0') {
        return 0;
    }
    rc = pw_lookup(user, &pw, &buf);
    if (rc != 0) {
        return rc;
    }
    id->change = true;
    id->uid = pw.pw_uid;
    id->gid = pw.pw_gid;
    rc = identity_groups(user, pw.pw_gid, id);
    if (rc == 0 && (asprintf(&id->home, "HOME=%s", pw.pw_dir) < 0
                    || asprintf(&id->user, "USER=%s", pw.pw_name) < 0)) {
        id->home = id->user = NULL;     /* undefined after a failure */
        rc = -ENOMEM;
    }
    free(buf);
    if (rc != 0) {
        identity_free(id);
    }
    return rc;
}

/* Does the NAME=value entry e set a name that one of list sets too? */
static bool env_overridden(const char *e, const char *const *list)
{
    size_t len = strcspn(e, "=");

    for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
        if (strncmp(list[i], e, len) == 0 && list[i][len] == '=') {
            return true;
        }
    }
    return false;
}

/* The child's environment: ours, HOME/USER of the target user, then extras
 * (which replace inherited entries of the same name).  Built in the parent. */
static char **env_build(const struct run_identity *id, const char *const *extra)
{
    size_t n = 0;
    size_t m = 0;
    size_t k = 0;
    char **env;

    while (environ[n] != NULL) {
        n++;
    }
    while (extra != NULL && extra[m] != NULL) {
        m++;
    }
    env = calloc(n + m + 3, sizeof(*env));
    if (env == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (id->change && (strncmp(environ[i], "HOME=", 5) == 0
                           || strncmp(environ[i], "USER=", 5) == 0)) {
            continue;
        }
        if (env_overridden(environ[i], extra)) {
            continue;
        }
        env[k++] = environ[i];
    }
    if (id->change) {
        env[k++] = id->home;
        env[k++] = id->user;
    }
    for (size_t i = 0; i < m; i++) {
        env[k++] = (char *) extra[i];
    }
    env[k] = NULL;
    return env;
}

/* Closes every fd above keep (async-signal-safe enough: no allocation). */
static void close_fds_from(int first)
{
    long max = sysconf(_SC_OPEN_MAX);

    if (max < 0 || max > 65536) {
        max = 65536;
    }
#ifdef SYS_close_range
    if (syscall(SYS_close_range, first, ~0U, 0) == 0) {
        return;
    }
#endif
    for (int fd = first; fd < max; fd++) {
        close(fd);
    }
}

/* In the child: reset signals, drop privileges, chdir.  Returns errno or 0. */
static int child_prepare(const struct run_identity *id, const char *cwd)
{
    sigset_t none;
    struct sigaction dfl;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) {
        sigaction(s, &dfl, NULL);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (id->change) {
        if (setgroups((size_t) id->ngroups, id->groups) != 0
            || setgid(id->gid) != 0 || setuid(id->uid) != 0) {
            return errno;
        }
    }
    if (chdir(cwd != NULL ? cwd : "/") != 0) {
        return errno;
    }
    return 0;
}

/* Writes errno to the report pipe and exits: the exec did not happen. */
static void child_fail(int report_fd, int err)
{
    ssize_t ignored = write(report_fd, &err, sizeof(err));

    (void) ignored;
    _exit(127);
}

static int exec_argv(const char *const argv[], char **env)
{
    if (strchr(argv[0], '/') != NULL) {
        execve(argv[0], (char *const *) argv, env);
    } else {
        environ = env;
        execvp(argv[0], (char *const *) argv);
    }
    return errno;
}

/* Reads whatever is available on fd into buf (bounded); returns false at EOF. */
static bool drain(int fd, char **buf, size_t *len, size_t max)
{
    char tmp[4096];
    ssize_t n = read(fd, tmp, sizeof(tmp));

    if (n < 0) {
        return errno == EINTR || errno == EAGAIN;
    }
    if (n == 0) {
        return false;
    }
    if (*len < max) {
        size_t take = (size_t) n;
        char *grown;

        if (take > max - *len) {
            take = max - *len;
        }
        grown = realloc(*buf, *len + take + 1);
        if (grown != NULL) {
            memcpy(grown + *len, tmp, take);
            *len += take;
            grown[*len] = '\0';
            *buf = grown;
        }
    }
    return true;
}

/* Kills the child's process group: SIGTERM, grace, SIGKILL; reaps it. */
static int kill_and_reap(pid_t pid)
{
    int status = 0;
    long long until;

    kill(-pid, SIGTERM);
    until = ra_now_ms() + RUN_KILL_GRACE_MS;
    while (ra_now_ms() < until) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            kill(-pid, SIGKILL);    /* leftovers of the group */
            return status;
        }
        usleep(10000);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    return status;
}

static void result_from_status(struct ra_run_result *res, int status)
{
    if (WIFEXITED(status)) {
        res->exit_status = WEXITSTATUS(status);
        res->term_signal = 0;
    } else {
        res->exit_status = -1;
        res->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
}

/* Parent side: collects output until both pipes close or the time is up. */
static int collect(pid_t pid, int out_fd, int err_fd, long limit_ms,
                   size_t max, struct ra_run_result *res)
{
    struct pollfd fds[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
    size_t out_len = 0;
    size_t err_len = 0;
    long long end = ra_now_ms() + limit_ms;
    int status = 0;

    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        long long left = end - ra_now_ms();
        int n;

        if (left <= 0) {
            res->timed_out = true;
            break;
        }
        n = poll(fds, 2, (int) (left > 1000 ? 1000 : left));
        if (n < 0 && errno != EINTR) {
            break;
        }
        for (int i = 0; i < 2 && n > 0; i++) {
            if (fds[i].fd >= 0 && fds[i].revents != 0) {
                bool more = drain(fds[i].fd, i == 0 ? &res->out : &res->err,
                                  i == 0 ? &out_len : &err_len, max);
                if (!more) {
                    fds[i].fd = -1;
                }
            }
        }
    }
    if (res->timed_out) {
        status = kill_and_reap(pid);
    } else {
        /* Pipes closed; the child may still run (it closed them itself). */
        while (waitpid(pid, &status, WNOHANG) == 0) {
            if (ra_now_ms() >= end) {
                res->timed_out = true;
                status = kill_and_reap(pid);
                break;
            }
            usleep(2000);
        }
    }
    result_from_status(res, status);
    return 0;
}

/* ra_run's child: stdin /dev/null, stdout and stderr into the parent's
 * pipes, fd 3 the close-on-exec report pipe (an errno if the exec never
 * happens), no other fd, its own process group (the deadline kills the
 * group), then the identity and the exec. Never returns. */
static void run_child(const char *const argv[], char **env,
                      const struct run_identity *id, const char *cwd,
                      int out_w, int err_w, int report_w)
{
    int devnull = open("/dev/null", O_RDONLY);
    int err;

    setpgid(0, 0);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_w, 1) < 0
        || dup2(err_w, 2) < 0) {
        child_fail(report_w, errno);
    }
    if (report_w != 3 && dup2(report_w, 3) < 0) {
        child_fail(report_w, errno);
    }
    fcntl(3, F_SETFD, FD_CLOEXEC);
    close_fds_from(4);
    err = child_prepare(id, cwd);
    if (err != 0) {
        child_fail(3, err);
    }
    child_fail(3, exec_argv(argv, env));
}

static void close_pair(int fds[2])
{
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

int ra_run(const char *const argv[], const struct ra_run_opts *opts,
           struct ra_run_result *res)
{
    struct run_identity id = { .change = false };
    char **env = NULL;
    int out_pipe[2] = { -1, -1 };
    int err_pipe[2] = { -1, -1 };
    int report[2] = { -1, -1 };
    int child_errno = 0;
    long limit_ms;
    pid_t pid;
    int rc = 0;

    memset(res, 0, sizeof(*res));
    res->out = calloc(1, 1);
    res->err = calloc(1, 1);
    if (res->out == NULL || res->err == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    rc = identity_resolve(opts->user, &id);
    if (rc != 0) {
        goto done;
    }
    env = env_build(&id, opts->env);
    if (env == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0
        || pipe2(report, O_CLOEXEC) != 0) {
        rc = -errno;
        goto done;
    }
    pid = fork();
    if (pid < 0) {
        rc = -errno;
        goto done;
    }
    if (pid == 0) {
        run_child(argv, env, &id, opts->cwd, out_pipe[1], err_pipe[1], report[1]);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    close(report[1]);
    out_pipe[1] = err_pipe[1] = report[1] = -1;

    limit_ms = ra_deadline_cap_ms(opts->deadline, opts->timeout_ms);
    collect(pid, out_pipe[0], err_pipe[0], limit_ms,
            opts->max_output != 0 ? opts->max_output : RUN_DEFAULT_MAX_OUTPUT,
            res);
    if (read(report[0], &child_errno, sizeof(child_errno)) == sizeof(child_errno)) {
        rc = -child_errno;
    }

done:
    close_pair(out_pipe);
    close_pair(err_pipe);
    close_pair(report);
    free(env);
    identity_free(&id);
    if (rc != 0) {
        ra_run_result_free(res);
    }
    return rc;
}

void ra_run_result_free(struct ra_run_result *res)
{
    free(res->out);
    free(res->err);
    res->out = NULL;
    res->err = NULL;
}

const char *ra_run_status_str(const struct ra_run_result *res, char *buf,
                              size_t len)
{
    if (res->timed_out) {
        snprintf(buf, len, "timed out (killed)");
    } else if (res->term_signal != 0) {
        snprintf(buf, len, "killed by signal %d", res->term_signal);
    } else {
        snprintf(buf, len, "exit %d", res->exit_status);
    }
    return buf;
}

/* In a spawned child: the fds and signals ra_spawn promises, then fn. */
static void spawn_child(int (*fn)(void *arg), void *arg,
                        const struct ra_spawn_opts *opts)
{
    struct run_identity none;
    int fd = -1;

    memset(&none, 0, sizeof(none));
    close_fds_from(3);
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || dup2(fd, STDIN_FILENO) < 0) {
        _exit(127);
    }
    close(fd);
    if (opts != NULL && opts->err_file != NULL) {
        fd = open(opts->err_file,
                  O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) {
            _exit(127);
        }
        close(fd);
    }
    if (child_prepare(&none, "/") != 0) {
        _exit(127);
    }
    _exit(fn(arg));
}

int ra_spawn(int (*fn)(void *arg), void *arg, const struct ra_spawn_opts *opts,
             pid_t *pid)
{
    pid_t child = fork();

    if (child < 0) {
        return -errno;
    }
    if (child == 0) {
        spawn_child(fn, arg, opts);
    }
    *pid = child;
    return 0;
}

/* In the intermediate child: become a session leader, fork the daemon, report
 * its pid (or the exec's errno) and exit. */
static void daemon_spawn(const char *const argv[], const struct ra_daemon_opts *opts,
                         const struct run_identity *id, char **env, int log_fd,
                         int report)
{
    int exec_pipe[2];
    pid_t pid;
    int err = 0;
    int in;
    int out;

    if (setsid() < 0 || pipe2(exec_pipe, O_CLOEXEC) != 0) {
        child_fail(report, errno);
    }
    pid = fork();
    if (pid < 0) {
        child_fail(report, errno);
    }
    if (pid == 0) {
        in = open("/dev/null", O_RDONLY);
        out = log_fd >= 0 ? log_fd : open("/dev/null", O_WRONLY);
        if (in < 0 || out < 0) {
            child_fail(exec_pipe[1], errno);
        }
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0
            || dup2(exec_pipe[1], 3) < 0) {
            child_fail(exec_pipe[1], errno);
        }
        fcntl(3, F_SETFD, FD_CLOEXEC);
        close_fds_from(4);
        umask(027);
        err = child_prepare(id, opts->cwd);
        if (err != 0) {
            child_fail(3, err);
        }
        child_fail(3, exec_argv(argv, env));
    }
    close(exec_pipe[1]);
    if (read(exec_pipe[0], &err, sizeof(err)) == sizeof(err)) {
        waitpid(pid, NULL, 0);
        child_fail(report, err);
    }
    err = 0;
    if (write(report, &err, sizeof(err)) != sizeof(err)
        || write(report, &pid, sizeof(pid)) != sizeof(pid)) {
        _exit(126);
    }
    _exit(0);
}

int ra_daemon_start(const char *const argv[], const struct ra_daemon_opts *opts,
                    pid_t *pid_out)
{
    struct run_identity id = { .change = false };
    char **env = NULL;
    int report[2] = { -1, -1 };
    int log_fd = -1;
    int err = 0;
    pid_t mid;
    pid_t pid = 0;
    int rc = 0;

    rc = identity_resolve(opts->user, &id);
    if (rc != 0) {
        return rc;
    }
    env = env_build(&id, opts->env);
    if (env == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    /* The log usually lives in a folder the daemon's user can write
     * (/var/log/postgresql): opened here, as root, without following a
     * planted link or waiting on a FIFO; only a new file is given away. */
    if (opts->log_file != NULL) {
        log_fd = ra_file_open_append(opts->log_file, 0640,
                                     id.change ? id.uid : RA_FSAFE_KEEP,
                                     id.gid);
        if (log_fd < 0) {
            rc = log_fd;
            goto done;
        }
    }
    if (pipe2(report, O_CLOEXEC) != 0) {
        rc = -errno;
        goto done;
    }
    mid = fork();
    if (mid < 0) {
        rc = -errno;
        goto done;
    }
    if (mid == 0) {
        close(report[0]);
        daemon_spawn(argv, opts, &id, env, log_fd, report[1]);
    }
    close(report[1]);
    report[1] = -1;
    waitpid(mid, NULL, 0);
    if (read(report[0], &err, sizeof(err)) != sizeof(err)) {
        rc = -EIO;
        goto done;
    }
    if (err != 0) {
        rc = -err;
        goto done;
    }
    if (read(report[0], &pid, sizeof(pid)) != sizeof(pid)) {
        rc = -EIO;
        goto done;
    }
    *pid_out = pid;
    if (opts->pid_file != NULL) {
        rc = ra_pidfile_write(opts->pid_file, pid);
    }

done:
    if (log_fd >= 0) {
        close(log_fd);
    }
    if (report[0] >= 0) {
        close(report[0]);
    }
    if (report[1] >= 0) {
        close(report[1]);
    }
    free(env);
    identity_free(&id);
    return rc;
}
