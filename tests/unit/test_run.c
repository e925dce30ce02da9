/* test_run.c: unit tests of common/run.c (children without a shell, daemons).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "proc.h"
#include "run.h"

#define NOBODY_UID 65534

/* A scratch directory per test. */
struct fixture {
    char dir[64];
};

static int fixture_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        return -1;
    }
    if (th_scratch_dir(f->dir, sizeof(f->dir), "test_run") != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct fixture *f = *state;

    th_remove_tree(f->dir);
    free(f);
    return 0;
}

/* Reaps every exited child (we are a subreaper: orphaned daemons come back). */
static void reap_children(void)
{
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

/* Runs argv with a 10 s deadline and the given options (deadline filled in). */
static int run_simple(const char *const argv[], struct ra_run_opts *opts,
                      struct ra_run_result *res)
{
    struct ra_deadline d;

    ra_deadline_init(&d, 10000);
    opts->deadline = &d;
    return ra_run(argv, opts, res);
}

/* --- ra_run ------------------------------------------------------------------ */

static void run_captures_stdout_of_echo(void **state)
{
    const char *const argv[] = { "/bin/echo", "hello", "world", NULL };
    struct ra_run_opts opts = { 0 };
    struct ra_run_result res;
    char buf[64];
    (void) state;

    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_string_equal(res.out, "hello world\n");
    assert_string_equal(res.err, "");
    assert_int_equal(res.exit_status, 0);
    assert_int_equal(res.term_signal, 0);
    assert_false(res.timed_out);
    assert_string_equal(ra_run_status_str(&res, buf, sizeof(buf)), "exit 0");
    ra_run_result_free(&res);
    assert_null(res.out);
    assert_null(res.err);
}

static void run_looks_up_a_bare_name_in_path(void **state)
{
    const char *const argv[] = { "echo", "via-path", NULL };
    struct ra_run_opts opts = { 0 };
    struct ra_run_result res;
    (void) state;

    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_string_equal(res.out, "via-path\n");
    ra_run_result_free(&res);
}

static void run_captures_stderr_separately(void **state)
{
    const char *const argv[] = { "/bin/sh", "-c", "echo to-out; echo to-err >&2", NULL };
    struct ra_run_opts opts = { 0 };
    struct ra_run_result res;
    (void) state;

    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_string_equal(res.out, "to-out\n");
    assert_string_equal(res.err, "to-err\n");
    ra_run_result_free(&res);
}

static void run_reports_the_exit_status(void **state)
{
    const char *const argv[] = { "/bin/sh", "-c", "exit 3", NULL };
    const char *const fls[] = { "/bin/false", NULL };
    struct ra_run_opts opts = { 0 };
    struct ra_run_result res;
    char buf[64];
    (void) state;

    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_int_equal(res.exit_status, 3);
    assert_int_equal(res.term_signal, 0);
    assert_false(res.timed_out);
    assert_string_equal(ra_run_status_str(&res, buf, sizeof(buf)), "exit 3");
    ra_run_result_free(&res);

    assert_int_equal(run_simple(fls, &opts, &res), 0);
    assert_int_equal(res.exit_status, 1);
    ra_run_result_free(&res);
}

static void run_reports_a_child_killed_by_a_signal(void **state)
{
    const char *const argv[] = { "/bin/sh", "-c", "kill -KILL $$", NULL };
    struct ra_run_opts opts = { 0 };
    struct ra_run_result res;
    char buf[64];
    (void) state;

    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_int_equal(res.exit_status, -1);
    assert_int_equal(res.term_signal, SIGKILL);
    assert_false(res.timed_out);
    assert_string_equal(ra_run_status_str(&res, buf, sizeof(buf)),
                        "killed by signal 9");
    ra_run_result_free(&res);
}

static void run_kills_a_child_that_outlives_the_deadline(void **state)
{
    const char *const argv[] = { "/bin/sleep", "10", NULL };
    struct ra_deadline d;
    struct ra_run_opts opts = { .deadline = &d };
    struct ra_run_result res;
    long long t0 = ra_now_ms();
    long long took;
    char buf[64];
    (void) state;

    ra_deadline_init(&d, 200);
    assert_int_equal(ra_run(argv, &opts, &res), 0);
    took = ra_now_ms() - t0;
    assert_true(res.timed_out);
    assert_int_equal(res.exit_status, -1);
    assert_int_equal(res.term_signal, SIGTERM);
    assert_in_range(took, 190, 1500);
    assert_string_equal(ra_run_status_str(&res, buf, sizeof(buf)),
                        "timed out (killed)");
    ra_run_result_free(&res);
}

static void run_kills_a_child_that_outlives_its_own_timeout(void **state)
{
    const char *const argv[] = { "/bin/sleep", "10", NULL };
    struct ra_run_opts opts = { .timeout_ms = 200 };
    struct ra_run_result res;
    long long t0 = ra_now_ms();
    (void) state;

    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_true(res.timed_out);
    assert_in_range(ra_now_ms() - t0, 190, 1500);
    ra_run_result_free(&res);
}

static void run_timeout_kills_the_whole_process_group(void **state)
{
    /* The shell prints its background child's pid, then waits forever. */
    const char *const argv[] = { "/bin/sh", "-c", "/bin/sleep 30 & echo $!; wait",
                                 NULL };
    struct ra_run_opts opts = { .timeout_ms = 300 };
    struct ra_run_result res;
    struct ra_deadline d;
    long grandchild;
    (void) state;

    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_true(res.timed_out);
    grandchild = strtol(res.out, NULL, 10);
    assert_true(grandchild > 1);
    ra_deadline_init(&d, 2000);
    assert_true(ra_proc_wait_gone((pid_t) grandchild, &d));
    assert_int_not_equal(ra_proc_state((pid_t) grandchild), RA_PROC_ALIVE);
    ra_run_result_free(&res);
    reap_children();
}

static void run_returns_at_once_when_the_deadline_already_passed(void **state)
{
    const char *const argv[] = { "/bin/sleep", "10", NULL };
    struct ra_deadline d;
    struct ra_run_opts opts = { .deadline = &d };
    struct ra_run_result res;
    long long t0 = ra_now_ms();
    (void) state;

    ra_deadline_init(&d, 0);
    assert_int_equal(ra_run(argv, &opts, &res), 0);
    assert_true(res.timed_out);
    assert_in_range(ra_now_ms() - t0, 0, 1500);
    ra_run_result_free(&res);
}

static void run_of_a_missing_binary_returns_enoent(void **state)
{
    const char *const abs[] = { "/nonexistent/utest-binary", NULL };
    const char *const bare[] = { "utest-no-such-command", NULL };
    struct ra_run_opts opts = { 0 };
    struct ra_run_result res;
    (void) state;

    assert_int_equal(run_simple(abs, &opts, &res), -ENOENT);
    assert_null(res.out);
    assert_null(res.err);
    assert_int_equal(run_simple(bare, &opts, &res), -ENOENT);
    assert_null(res.out);
}

static void run_of_a_non_executable_file_returns_eacces(void **state)
{
    struct fixture *f = *state;
    char path[128];
    const char *const argv[] = { path, NULL };
    struct ra_run_opts opts = { 0 };
    struct ra_run_result res;
    int fd;

    snprintf(path, sizeof(path), "%s/not-exec", f->dir);
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
    close(fd);
    assert_int_equal(run_simple(argv, &opts, &res), -EACCES);
}

static void run_passes_shell_metacharacters_literally(void **state)
{
    const char *const argv[] = { "/bin/echo", "$(id)", ";", "|", "`id`", "&&",
                                 "$HOME", "*", ">/tmp/utest-x", NULL };
    struct ra_run_opts opts = { 0 };
    struct ra_run_result res;
    (void) state;

    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_string_equal(res.out, "$(id) ; | `id` && $HOME * >/tmp/utest-x\n");
    assert_int_equal(access("/tmp/utest-x", F_OK), -1);
    ra_run_result_free(&res);
}

static void run_as_nobody_drops_privileges(void **state)
{
    const char *const id_u[] = { "/usr/bin/id", "-u", NULL };
    const char *const id_g[] = { "/usr/bin/id", "-G", NULL };
    const char *const env[] = { "/usr/bin/env", NULL };
    struct ra_run_opts opts = { .user = "nobody" };
    struct ra_run_result res;
    (void) state;

    if (geteuid() != 0) {
        skip();
    }
    assert_int_equal(run_simple(id_u, &opts, &res), 0);
    assert_string_equal(res.out, "65534\n");
    ra_run_result_free(&res);
    /* supplementary groups replaced: no root group left */
    assert_int_equal(run_simple(id_g, &opts, &res), 0);
    assert_string_equal(res.out, "65534\n");
    ra_run_result_free(&res);
    assert_int_equal(run_simple(env, &opts, &res), 0);
    assert_non_null(strstr(res.out, "\nUSER=nobody\n"));
    assert_null(strstr(res.out, "USER=root"));
    ra_run_result_free(&res);
}

static void run_as_unknown_user_returns_enoent(void **state)
{
    const char *const argv[] = { "/bin/true", NULL };
    struct ra_run_opts opts = { .user = "utest-no-such-user" };
    struct ra_run_result res;
    uid_t uid = 1;
    gid_t gid = 1;
    (void) state;

    assert_int_equal(run_simple(argv, &opts, &res), -ENOENT);
    assert_int_equal(ra_user_lookup("utest-no-such-user", &uid, &gid), -ENOENT);
    assert_int_equal(ra_user_lookup("nobody", &uid, &gid), 0);
    assert_int_equal(uid, NOBODY_UID);
}

static void run_closes_inherited_fds_in_the_child(void **state)
{
    const char *const argv[] = { "/bin/ls", "/proc/self/fd", NULL };
    struct ra_run_opts opts = { 0 };
    struct ra_run_result res;
    /* deliberately without O_CLOEXEC: the runner must close them anyway */
    int leak1 = open("/dev/null", O_RDONLY);
    int leak2 = open("/dev/null", O_RDONLY);
    (void) state;

    assert_true(leak1 >= 0 && leak2 >= 0);
    assert_int_equal(run_simple(argv, &opts, &res), 0);
    /* 0, 1, 2 and the directory ls itself opened */
    assert_string_equal(res.out, "0\n1\n2\n3\n");
    ra_run_result_free(&res);
    close(leak1);
    close(leak2);
}

static void run_gives_the_child_dev_null_as_stdin(void **state)
{
    const char *const argv[] = { "/bin/cat", NULL };
    struct ra_run_opts opts = { .timeout_ms = 3000 };
    struct ra_run_result res;
    (void) state;

    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_false(res.timed_out);
    assert_int_equal(res.exit_status, 0);
    assert_string_equal(res.out, "");
    ra_run_result_free(&res);
}

static void run_passes_extra_environment(void **state)
{
    const char *const argv[] = { "/usr/bin/env", NULL };
    const char *const extra[] = { "UTEST_ONE=hello", "UTEST_TWO=a b;c", NULL };
    struct ra_run_opts opts = { .env = extra };
    struct ra_run_result res;
    (void) state;

    setenv("UTEST_INHERITED", "yes", 1);
    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_non_null(strstr(res.out, "UTEST_ONE=hello\n"));
    assert_non_null(strstr(res.out, "UTEST_TWO=a b;c\n"));
    assert_non_null(strstr(res.out, "UTEST_INHERITED=yes\n"));
    ra_run_result_free(&res);
    unsetenv("UTEST_INHERITED");
}

static void run_extra_environment_overrides_an_inherited_variable(void **state)
{
    const char *const argv[] = { "/usr/bin/printenv", "UTEST_OVERRIDE", NULL };
    const char *const extra[] = { "UTEST_OVERRIDE=extra", NULL };
    struct ra_run_opts opts = { .env = extra };
    struct ra_run_result res;
    char out[64];
    (void) state;

    setenv("UTEST_OVERRIDE", "inherited", 1);
    assert_int_equal(run_simple(argv, &opts, &res), 0);
    unsetenv("UTEST_OVERRIDE");
    snprintf(out, sizeof(out), "%s", res.out);
    ra_run_result_free(&res);
    assert_string_equal(out, "extra\n");
}

static void run_starts_in_root_or_the_given_directory(void **state)
{
    struct fixture *f = *state;
    const char *const argv[] = { "/bin/pwd", NULL };
    struct ra_run_opts opts = { 0 };
    struct ra_run_result res;
    char want[128];

    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_string_equal(res.out, "/\n");
    ra_run_result_free(&res);
    opts.cwd = f->dir;
    assert_int_equal(run_simple(argv, &opts, &res), 0);
    snprintf(want, sizeof(want), "%s\n", f->dir);
    assert_string_equal(res.out, want);
    ra_run_result_free(&res);
    opts.cwd = "/nonexistent/utest";
    assert_int_equal(run_simple(argv, &opts, &res), -ENOENT);
}

static void run_keeps_at_most_max_output_and_drains_the_rest(void **state)
{
    const char *const argv[] = { "/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x",
                                 NULL };
    struct ra_run_opts opts = { .max_output = 10, .timeout_ms = 5000 };
    struct ra_run_result res;
    (void) state;

    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_false(res.timed_out);
    assert_int_equal(res.exit_status, 0);
    assert_string_equal(res.out, "xxxxxxxxxx");
    ra_run_result_free(&res);
}

static void run_default_output_limit_is_64_kib(void **state)
{
    const char *const argv[] = { "/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x",
                                 NULL };
    struct ra_run_opts opts = { .timeout_ms = 5000 };
    struct ra_run_result res;
    (void) state;

    assert_int_equal(run_simple(argv, &opts, &res), 0);
    assert_int_equal(strlen(res.out), 64 * 1024);
    ra_run_result_free(&res);
}

/* --- ra_daemon_start --------------------------------------------------------- */

static void daemon_start_runs_detached_with_pid_file_and_log(void **state)
{
    struct fixture *f = *state;
    const char *const argv[] = { "/bin/sleep", "30", NULL };
    char pid_file[128];
    char log_file[128];
    struct ra_daemon_opts opts = { .pid_file = pid_file, .log_file = log_file };
    struct ra_deadline d;
    struct stat st;
    pid_t pid = 0;
    pid_t from_file = 0;

    snprintf(pid_file, sizeof(pid_file), "%s/d.pid", f->dir);
    snprintf(log_file, sizeof(log_file), "%s/d.log", f->dir);
    assert_int_equal(ra_daemon_start(argv, &opts, &pid), 0);
    assert_true(pid > 1);
    assert_int_equal(ra_proc_state(pid), RA_PROC_ALIVE);
    assert_int_equal(ra_pidfile_read(pid_file, (uid_t) -1, &from_file), RA_PIDFILE_OK);
    assert_int_equal(from_file, pid);
    assert_int_equal(stat(log_file, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    /* its own session, not ours, and not its own leader either */
    assert_true(getsid(pid) > 0);
    assert_int_not_equal(getsid(pid), getsid(0));
    assert_true(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = "/bin/sleep", .args = (const char *const[]) { "30", NULL } }));

    assert_int_equal(kill(pid, SIGKILL), 0);
    ra_deadline_init(&d, 3000);
    assert_true(ra_proc_wait_gone(pid, &d));
    /* PID 1 may reap no orphans: a zombie or gone, never alive */
    assert_int_not_equal(ra_proc_state(pid), RA_PROC_ALIVE);
    assert_false(ra_proc_alive(pid));
    reap_children();
}

static void daemon_start_appends_output_to_the_log_file(void **state)
{
    struct fixture *f = *state;
    const char *const argv[] = { "/bin/sh", "-c", "echo to-out; echo to-err >&2",
                                 NULL };
    char log_file[128];
    char buf[256];
    struct ra_daemon_opts opts = { .log_file = log_file };
    struct ra_deadline d;
    pid_t pid = 0;
    int fd;

    snprintf(log_file, sizeof(log_file), "%s/d.log", f->dir);
    fd = open(log_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "old\n", 4), 4);
    close(fd);
    assert_int_equal(ra_daemon_start(argv, &opts, &pid), 0);
    ra_deadline_init(&d, 3000);
    assert_true(ra_proc_wait_gone(pid, &d));
    assert_true(ra_file_read(log_file, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "old\nto-out\nto-err\n");
    reap_children();
}

static void daemon_start_closes_inherited_fds(void **state)
{
    struct fixture *f = *state;
    const char *const argv[] = { "/bin/ls", "/proc/self/fd", NULL };
    char log_file[128];
    char buf[256];
    struct ra_daemon_opts opts = { .log_file = log_file };
    struct ra_deadline d;
    int leak = open("/dev/null", O_RDONLY);
    pid_t pid = 0;

    assert_true(leak >= 0);
    snprintf(log_file, sizeof(log_file), "%s/fd.log", f->dir);
    assert_int_equal(ra_daemon_start(argv, &opts, &pid), 0);
    ra_deadline_init(&d, 3000);
    assert_true(ra_proc_wait_gone(pid, &d));
    assert_true(ra_file_read(log_file, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "0\n1\n2\n3\n");
    close(leak);
    reap_children();
}

static void daemon_start_as_nobody_drops_privileges(void **state)
{
    struct fixture *f = *state;
    const char *const argv[] = { "/usr/bin/id", "-u", NULL };
    char log_file[128];
    char buf[64];
    struct ra_daemon_opts opts = { .log_file = log_file, .user = "nobody" };
    struct ra_deadline d;
    struct stat st;
    pid_t pid = 0;

    if (geteuid() != 0) {
        skip();
    }
    snprintf(log_file, sizeof(log_file), "%s/nobody.log", f->dir);
    assert_int_equal(ra_daemon_start(argv, &opts, &pid), 0);
    ra_deadline_init(&d, 3000);
    assert_true(ra_proc_wait_gone(pid, &d));
    assert_true(ra_file_read(log_file, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "65534\n");
    assert_int_equal(stat(log_file, &st), 0);
    assert_int_equal(st.st_uid, NOBODY_UID);
    reap_children();
}

static void daemon_start_passes_extra_environment(void **state)
{
    struct fixture *f = *state;
    const char *const argv[] = { "/usr/bin/env", NULL };
    const char *const extra[] = { "UTEST_DAEMON=yes", NULL };
    char log_file[128];
    char buf[8192];
    struct ra_daemon_opts opts = { .log_file = log_file, .env = extra };
    struct ra_deadline d;
    pid_t pid = 0;

    snprintf(log_file, sizeof(log_file), "%s/env.log", f->dir);
    assert_int_equal(ra_daemon_start(argv, &opts, &pid), 0);
    ra_deadline_init(&d, 3000);
    assert_true(ra_proc_wait_gone(pid, &d));
    assert_true(ra_file_read(log_file, buf, sizeof(buf)) > 0);
    assert_non_null(strstr(buf, "UTEST_DAEMON=yes\n"));
    reap_children();
}

static void daemon_start_of_a_non_executable_path_fails(void **state)
{
    struct fixture *f = *state;
    char path[128];
    char pid_file[128];
    const char *const argv[] = { path, NULL };
    const char *const missing[] = { "/nonexistent/utest-daemon", NULL };
    struct ra_daemon_opts opts = { .pid_file = pid_file };
    pid_t pid = 0;
    int fd;

    snprintf(path, sizeof(path), "%s/not-exec", f->dir);
    snprintf(pid_file, sizeof(pid_file), "%s/d.pid", f->dir);
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "#!/bin/sh\nsleep 30\n", 19), 19);
    close(fd);

    assert_int_equal(ra_daemon_start(argv, &opts, &pid), -EACCES);
    assert_int_equal(pid, 0);
    assert_int_equal(access(pid_file, F_OK), -1);
    assert_int_equal(ra_daemon_start(missing, &opts, &pid), -ENOENT);
    assert_int_equal(access(pid_file, F_OK), -1);
    reap_children();
}

/* A root file in the test's folder, and a folder inside it given to nobody
 * (the daemon's user, who can plant anything there: /var/log/postgresql). */
static void victim_and_user_folder(struct fixture *f, char *victim, size_t vlen,
                                   char *user_dir, size_t ulen)
{
    int fd;

    assert_true((size_t) snprintf(victim, vlen, "%s/victim", f->dir) < vlen);
    assert_true((size_t) snprintf(user_dir, ulen, "%s/log", f->dir) < ulen);
    fd = open(victim, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "root data\n", 10), 10);
    close(fd);
    assert_int_equal(mkdir(user_dir, 0755), 0);
    assert_int_equal(chown(user_dir, NOBODY_UID, NOBODY_UID), 0);
}

static void daemon_start_never_follows_a_symlink_planted_as_its_log_file(void **state)
{
    struct fixture *f = *state;
    const char *const argv[] = { "/bin/echo", "written", NULL };
    char victim[128];
    char user_dir[128];
    char log_file[160];
    char buf[64];
    struct ra_daemon_opts opts = { .log_file = log_file, .user = "nobody" };
    struct stat st;
    pid_t pid = 0;

    if (geteuid() != 0) {
        skip();
    }
    victim_and_user_folder(f, victim, sizeof(victim), user_dir, sizeof(user_dir));
    snprintf(log_file, sizeof(log_file), "%s/d.log", user_dir);
    assert_int_equal(symlink(victim, log_file), 0);
    assert_int_equal(lchown(log_file, NOBODY_UID, NOBODY_UID), 0);
    assert_int_equal(ra_daemon_start(argv, &opts, &pid), -ELOOP);
    assert_int_equal(pid, 0);
    assert_true(ra_file_read(victim, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "root data\n");
    assert_int_equal(stat(victim, &st), 0);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_mode & 07777, 0600);
}

static void daemon_start_refuses_a_fifo_as_its_log_file_at_once(void **state)
{
    struct fixture *f = *state;
    const char *const argv[] = { "/bin/echo", "written", NULL };
    char log_file[128];
    struct ra_daemon_opts opts = { .log_file = log_file };
    pid_t pid = 0;

    snprintf(log_file, sizeof(log_file), "%s/d.log", f->dir);
    assert_int_equal(mkfifo(log_file, 0666), 0);
    alarm(5);       /* a blocking open ends the test instead of hanging it */
    assert_int_equal(ra_daemon_start(argv, &opts, &pid), -EINVAL);
    alarm(0);
    assert_int_equal(pid, 0);
}

static void daemon_start_never_chowns_an_existing_log_file(void **state)
{
    struct fixture *f = *state;
    const char *const argv[] = { "/bin/echo", "appended", NULL };
    char log_file[128];
    char buf[64];
    struct ra_daemon_opts opts = { .log_file = log_file, .user = "nobody" };
    struct ra_deadline d;
    struct stat st;
    pid_t pid = 0;
    int fd;

    if (geteuid() != 0) {
        skip();
    }
    snprintf(log_file, sizeof(log_file), "%s/d.log", f->dir);
    fd = open(log_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "old\n", 4), 4);
    close(fd);
    assert_int_equal(ra_daemon_start(argv, &opts, &pid), 0);
    ra_deadline_init(&d, 3000);
    assert_true(ra_proc_wait_gone(pid, &d));
    assert_true(ra_file_read(log_file, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "old\nappended\n");
    assert_int_equal(stat(log_file, &st), 0);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    reap_children();
}

static void daemon_start_as_unknown_user_fails(void **state)
{
    const char *const argv[] = { "/bin/sleep", "30", NULL };
    struct ra_daemon_opts opts = { .user = "utest-no-such-user" };
    pid_t pid = 0;
    (void) state;

    assert_int_equal(ra_daemon_start(argv, &opts, &pid), -ENOENT);
    assert_int_equal(pid, 0);
}

/* The spawned child reports what it inherited through its exit code:
 * 10 + (the test's fd 7 still open) + 2 * (SIGTERM blocked) + 4 * (stdin
 * not /dev/null), after writing one line to stderr. */
static int spawn_report(void *arg)
{
    sigset_t mask;
    struct stat in;
    struct stat null;
    int code = 10;

    fprintf(stderr, "%s\n", (const char *) arg);
    if (fcntl(7, F_GETFD) >= 0) {
        code += 1;
    }
    if (sigprocmask(SIG_SETMASK, NULL, &mask) == 0 && sigismember(&mask, SIGTERM)) {
        code += 2;
    }
    if (fstat(STDIN_FILENO, &in) != 0 || stat("/dev/null", &null) != 0
        || in.st_rdev != null.st_rdev) {
        code += 4;
    }
    return code;
}

static void spawn_runs_fn_in_a_clean_child_and_returns_at_once(void **state)
{
    struct fixture *f = *state;
    char err_file[128];
    char buf[64];
    struct ra_spawn_opts opts = { .err_file = err_file };
    sigset_t term;
    sigset_t old;
    pid_t pid = 0;
    int status = 0;

    snprintf(err_file, sizeof(err_file), "%s/err", f->dir);
    assert_int_equal(th_write_file(err_file, "stale text\n", NULL, 0600), 0);
    assert_int_equal(dup2(STDOUT_FILENO, 7), 7);    /* not close-on-exec */
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old);
    assert_int_equal(ra_spawn(spawn_report, "from the child", &opts, &pid), 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(7);
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 10);
    assert_true(ra_file_read(err_file, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "from the child\n");
}

static void spawn_never_follows_a_symlink_as_its_error_file(void **state)
{
    struct fixture *f = *state;
    char err_file[128];
    char target[128];
    char buf[64];
    struct ra_spawn_opts opts = { .err_file = err_file };
    pid_t pid = 0;
    int status = 0;

    snprintf(err_file, sizeof(err_file), "%s/err", f->dir);
    snprintf(target, sizeof(target), "%s/target", f->dir);
    assert_int_equal(th_write_file(target, "kept\n", NULL, 0600), 0);
    assert_int_equal(symlink(target, err_file), 0);
    assert_int_equal(ra_spawn(spawn_report, "must not land", &opts, &pid), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 127);
    assert_true(ra_file_read(target, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "kept\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(run_captures_stdout_of_echo),
        cmocka_unit_test(run_looks_up_a_bare_name_in_path),
        cmocka_unit_test(run_captures_stderr_separately),
        cmocka_unit_test(run_reports_the_exit_status),
        cmocka_unit_test(run_reports_a_child_killed_by_a_signal),
        cmocka_unit_test(run_kills_a_child_that_outlives_the_deadline),
        cmocka_unit_test(run_kills_a_child_that_outlives_its_own_timeout),
        cmocka_unit_test(run_timeout_kills_the_whole_process_group),
        cmocka_unit_test(run_returns_at_once_when_the_deadline_already_passed),
        cmocka_unit_test(run_of_a_missing_binary_returns_enoent),
        cmocka_unit_test_setup_teardown(run_of_a_non_executable_file_returns_eacces,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test(run_passes_shell_metacharacters_literally),
        cmocka_unit_test(run_as_nobody_drops_privileges),
        cmocka_unit_test(run_as_unknown_user_returns_enoent),
        cmocka_unit_test(run_closes_inherited_fds_in_the_child),
        cmocka_unit_test(run_gives_the_child_dev_null_as_stdin),
        cmocka_unit_test(run_passes_extra_environment),
        cmocka_unit_test(run_extra_environment_overrides_an_inherited_variable),
        cmocka_unit_test_setup_teardown(run_starts_in_root_or_the_given_directory,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test(run_keeps_at_most_max_output_and_drains_the_rest),
        cmocka_unit_test(run_default_output_limit_is_64_kib),
        cmocka_unit_test_setup_teardown(daemon_start_runs_detached_with_pid_file_and_log,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(daemon_start_appends_output_to_the_log_file,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(daemon_start_closes_inherited_fds,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(daemon_start_as_nobody_drops_privileges,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(daemon_start_passes_extra_environment,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(daemon_start_of_a_non_executable_path_fails,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(
            daemon_start_never_follows_a_symlink_planted_as_its_log_file,
            fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(daemon_start_refuses_a_fifo_as_its_log_file_at_once,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(daemon_start_never_chowns_an_existing_log_file,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test(daemon_start_as_unknown_user_fails),
        cmocka_unit_test_setup_teardown(spawn_runs_fn_in_a_clean_child_and_returns_at_once,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(spawn_never_follows_a_symlink_as_its_error_file,
                                        fixture_setup, fixture_teardown),
    };

    /* Orphaned daemons come back to us instead of to a PID 1 that may never
     * reap them; the tests still treat a zombie as dead, never alive. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
