/* test_proc.c: unit tests of common/proc.c (process states, pid files, identity).
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "proc.h"

#define NOBODY_UID 65534
#define TAIL "/usr/bin/tail"

/* A scratch directory, and the children a test spawned. */
struct fixture {
    char dir[64];
    char watched[128];      /* a file only our tail processes follow */
    pid_t kids[4];
    size_t nkids;
};

static void write_file(const char *path, const char *content)
{
    assert_int_equal(th_write_file(path, content, NULL, 0644), 0);
}

static int fixture_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        return -1;
    }
    if (th_scratch_dir(f->dir, sizeof(f->dir), "test_proc") != 0) {
        free(f);
        return -1;
    }
    snprintf(f->watched, sizeof(f->watched), "%s/watched", f->dir);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct fixture *f = *state;

    for (size_t i = 0; i < f->nkids; i++) {
        kill(-f->kids[i], SIGKILL);
        waitpid(f->kids[i], NULL, 0);
    }
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

/* Forks and execs argv in its own process group, as user as ((uid_t) -1:
 * ourselves); waits until the exec is over: the child's exe is argv[0] and
 * its command line holds the new arguments.  (The exe alone is not enough:
 * /proc shows the new exe a moment before the new command line, so a read
 * of both can pair the old command line with the new exe.)  The teardown
 * kills it. */
static pid_t spawn_as(struct fixture *f, const char *const argv[], uid_t as)
{
    const struct ra_proc_match exec_done = { .exe = argv[0], .args = argv + 1 };
    long long until;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        if (as != (uid_t) -1 && (setgid(as) != 0 || setuid(as) != 0)) {
            _exit(126);
        }
        execv(argv[0], (char *const *) argv);
        _exit(127);
    }
    setpgid(pid, pid);
    assert_true(f->nkids < sizeof(f->kids) / sizeof(f->kids[0]));
    f->kids[f->nkids++] = pid;
    until = ra_now_ms() + 5000;
    while (!ra_proc_matches(pid, &exec_done)) {
        assert_true(ra_now_ms() < until);
        usleep(5000);
    }
    return pid;
}

/* Spawns `tail -f <f->watched>`. */
static pid_t spawn(struct fixture *f, const char *const argv[])
{
    return spawn_as(f, argv, (uid_t) -1);
}

static pid_t spawn_tail(struct fixture *f)
{
    const char *const argv[] = { TAIL, "-f", f->watched, NULL };

    if (access(f->watched, F_OK) != 0) {
        write_file(f->watched, "");
    }
    return spawn(f, argv);
}

/* --- ra_proc_state ----------------------------------------------------------- */

static void proc_state_of_ourselves_is_alive(void **state)
{
    (void) state;
    assert_int_equal(ra_proc_state(getpid()), RA_PROC_ALIVE);
    assert_true(ra_proc_alive(getpid()));
}

static void proc_state_of_a_nonexistent_pid_is_gone(void **state)
{
    pid_t pid = fork();
    (void) state;

    assert_true(pid >= 0);
    if (pid == 0) {
        _exit(0);
    }
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_int_equal(ra_proc_state(pid), RA_PROC_GONE);
    assert_false(ra_proc_alive(pid));
    /* bad_input */
    assert_int_equal(ra_proc_state(0), RA_PROC_GONE);
    assert_int_equal(ra_proc_state(-1), RA_PROC_GONE);
    assert_int_equal(ra_proc_state(INT_MAX), RA_PROC_GONE);
}

static void proc_state_of_an_unreaped_child_is_zombie(void **state)
{
    struct ra_deadline d;
    pid_t pid = fork();
    (void) state;

    assert_true(pid >= 0);
    if (pid == 0) {
        _exit(0);
    }
    /* not waited for: it stays a zombie */
    ra_deadline_init(&d, 3000);
    assert_true(ra_proc_wait_gone(pid, &d));
    assert_int_equal(ra_proc_state(pid), RA_PROC_ZOMBIE);
    assert_false(ra_proc_alive(pid));
    /* kill -0 still succeeds on a zombie: that is why the state matters */
    assert_int_equal(kill(pid, 0), 0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_int_equal(ra_proc_state(pid), RA_PROC_GONE);
}

/* --- ra_pidfile_read --------------------------------------------------------- */

static void pidfile_read_reports_a_missing_file(void **state)
{
    struct fixture *f = *state;
    char path[128];
    pid_t pid = 42;

    snprintf(path, sizeof(path), "%s/none.pid", f->dir);
    assert_int_equal(ra_pidfile_read(path, (uid_t) -1, &pid), RA_PIDFILE_MISSING);
    assert_int_equal(pid, 0);
}

static void pidfile_read_rejects_bad_input(void **state)
{
    static const char *const bad[] = {
        "", "\n", "garbage", "12ab", "0", "0\n", "-5", "-5\n", "1", "12 34",
        "123\n456\n", "99999999999", "2147483648", "0x10", NULL
    };
    struct fixture *f = *state;
    char path[128];

    snprintf(path, sizeof(path), "%s/bad.pid", f->dir);
    for (size_t i = 0; bad[i] != NULL; i++) {
        pid_t pid = 42;

        write_file(path, bad[i]);
        assert_int_equal(ra_pidfile_read(path, (uid_t) -1, &pid),
                         RA_PIDFILE_INVALID);
        assert_int_equal(pid, 0);
    }
}

static void pidfile_read_accepts_good_input(void **state)
{
    static const struct {
        const char *content;
        pid_t pid;
    } good[] = {
        { "1234", 1234 }, { "1234\n", 1234 }, { "1234\r\n", 1234 },
        { "1234 \n", 1234 }, { "2", 2 }, { "2147483647", INT_MAX },
    };
    struct fixture *f = *state;
    char path[128];

    snprintf(path, sizeof(path), "%s/good.pid", f->dir);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        pid_t pid = 0;

        write_file(path, good[i].content);
        assert_int_equal(ra_pidfile_read(path, (uid_t) -1, &pid), RA_PIDFILE_OK);
        assert_int_equal(pid, good[i].pid);
    }
}

static void pidfile_read_refuses_a_symlink(void **state)
{
    struct fixture *f = *state;
    char target[128];
    char link[128];
    pid_t pid = 42;

    snprintf(target, sizeof(target), "%s/real.pid", f->dir);
    snprintf(link, sizeof(link), "%s/link.pid", f->dir);
    write_file(target, "1234\n");
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(ra_pidfile_read(link, (uid_t) -1, &pid), RA_PIDFILE_INVALID);
    assert_int_equal(pid, 0);
}

static void pidfile_read_refuses_a_directory(void **state)
{
    struct fixture *f = *state;
    pid_t pid = 42;

    assert_int_equal(ra_pidfile_read(f->dir, (uid_t) -1, &pid), RA_PIDFILE_INVALID);
    assert_int_equal(pid, 0);
}

static void pidfile_read_distrusts_a_file_of_another_user(void **state)
{
    struct fixture *f = *state;
    char path[128];
    pid_t pid = 42;

    if (geteuid() != 0) {
        skip();
    }
    snprintf(path, sizeof(path), "%s/foreign.pid", f->dir);
    write_file(path, "1234\n");
    assert_int_equal(chown(path, NOBODY_UID, NOBODY_UID), 0);
    assert_int_equal(ra_pidfile_read(path, (uid_t) -1, &pid), RA_PIDFILE_UNTRUSTED);
    assert_int_equal(pid, 0);
    assert_int_equal(ra_pidfile_read(path, 1000, &pid), RA_PIDFILE_UNTRUSTED);
    assert_int_equal(pid, 0);
    /* ... unless that user is the one allowed to own it */
    assert_int_equal(ra_pidfile_read(path, NOBODY_UID, &pid), RA_PIDFILE_OK);
    assert_int_equal(pid, 1234);
}

static void pidfile_status_str_names_every_status(void **state)
{
    (void) state;
    assert_string_equal(ra_pidfile_status_str(RA_PIDFILE_OK), "ok");
    assert_string_equal(ra_pidfile_status_str(RA_PIDFILE_MISSING), "missing");
    assert_string_equal(ra_pidfile_status_str(RA_PIDFILE_INVALID), "not a valid pid");
    assert_string_equal(ra_pidfile_status_str(RA_PIDFILE_UNTRUSTED),
                        "owned by an untrusted user");
    assert_string_equal(ra_pidfile_status_str((enum ra_pidfile_status) 99), "unknown");
}

/* --- ra_pidfile_write -------------------------------------------------------- */

static void pidfile_write_writes_the_pid_and_a_newline(void **state)
{
    struct fixture *f = *state;
    char path[128];
    char tmp[160];
    char buf[64] = "";
    struct stat st;
    pid_t pid = 0;
    int fd;

    snprintf(path, sizeof(path), "%s/w.pid", f->dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(ra_pidfile_write(path, 4321), 0);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof(buf) - 1), 5);
    close(fd);
    assert_string_equal(buf, "4321\n");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    /* no temp file left behind */
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(ra_pidfile_read(path, (uid_t) -1, &pid), RA_PIDFILE_OK);
    assert_int_equal(pid, 4321);
}

static void pidfile_write_replaces_an_existing_file_atomically(void **state)
{
    struct fixture *f = *state;
    char path[128];
    struct stat before;
    struct stat after;
    pid_t pid = 0;

    snprintf(path, sizeof(path), "%s/w.pid", f->dir);
    write_file(path, "99999999 and a lot of old garbage\n");
    assert_int_equal(stat(path, &before), 0);
    assert_int_equal(ra_pidfile_write(path, 77), 0);
    assert_int_equal(stat(path, &after), 0);
    /* a new inode renamed over the old one, not a rewrite in place */
    assert_true(before.st_ino != after.st_ino);
    assert_int_equal(after.st_size, 3);
    assert_int_equal(ra_pidfile_read(path, (uid_t) -1, &pid), RA_PIDFILE_OK);
    assert_int_equal(pid, 77);
}

static void pidfile_write_replaces_a_symlink_without_following_it(void **state)
{
    struct fixture *f = *state;
    char path[128];
    char victim[128];
    char buf[64] = "";
    struct stat st;
    int fd;

    snprintf(path, sizeof(path), "%s/w.pid", f->dir);
    snprintf(victim, sizeof(victim), "%s/victim", f->dir);
    write_file(victim, "precious\n");
    assert_int_equal(symlink(victim, path), 0);
    assert_int_equal(ra_pidfile_write(path, 55), 0);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    fd = open(victim, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
    close(fd);
    assert_string_equal(buf, "precious\n");
}

static void pidfile_write_into_a_missing_directory_fails(void **state)
{
    struct fixture *f = *state;
    char path[128];

    snprintf(path, sizeof(path), "%s/no/such/dir/w.pid", f->dir);
    assert_int_equal(ra_pidfile_write(path, 55), -ENOENT);
}

static void pidfile_read_does_not_wait_on_a_fifo(void **state)
{
    struct fixture *f = *state;
    char path[128];
    pid_t pid = 42;

    snprintf(path, sizeof(path), "%s/fifo.pid", f->dir);
    assert_int_equal(mkfifo(path, 0666), 0);
    alarm(5);       /* a blocking open ends the test instead of hanging it */
    assert_int_equal(ra_pidfile_read(path, (uid_t) -1, &pid), RA_PIDFILE_INVALID);
    alarm(0);
    assert_int_equal(pid, 0);
}

static void pidfile_read_refuses_a_hard_linked_file(void **state)
{
    struct fixture *f = *state;
    char path[128];
    char hard[128];
    pid_t pid = 42;

    snprintf(path, sizeof(path), "%s/a.pid", f->dir);
    snprintf(hard, sizeof(hard), "%s/b.pid", f->dir);
    write_file(path, "1234\n");
    assert_int_equal(link(path, hard), 0);
    assert_int_equal(ra_pidfile_read(hard, (uid_t) -1, &pid), RA_PIDFILE_INVALID);
    assert_int_equal(pid, 0);
}

static void pidfile_write_never_opens_a_fifo_or_link_planted_beside_it(void **state)
{
    struct fixture *f = *state;
    char path[128];
    char tmp[160];
    char victim[128];
    pid_t pid = 0;

    /* the old temporary name, "<pid file>.tmp": a FIFO there blocked the
     * write, a link there was truncated and written through */
    snprintf(path, sizeof(path), "%s/w.pid", f->dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    snprintf(victim, sizeof(victim), "%s/victim", f->dir);
    assert_int_equal(mkfifo(tmp, 0666), 0);
    alarm(5);
    assert_int_equal(ra_pidfile_write(path, 55), 0);
    alarm(0);
    assert_int_equal(ra_pidfile_read(path, (uid_t) -1, &pid), RA_PIDFILE_OK);
    assert_int_equal(pid, 55);
    assert_int_equal(unlink(tmp), 0);
    write_file(victim, "precious\n");
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(ra_pidfile_write(path, 56), 0);
    assert_int_equal(ra_pidfile_read(victim, (uid_t) -1, &pid), RA_PIDFILE_INVALID);
}

/* --- ra_proc_matches / ra_proc_find / ra_proc_locate ------------------------- */

static void proc_matches_a_process_by_exe_and_args(void **state)
{
    struct fixture *f = *state;
    pid_t pid = spawn_tail(f);

    assert_true(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = TAIL, .args = (const char *const[]) { "-f", f->watched, NULL } }));
    /* a sub-sequence of the arguments, or none at all */
    assert_true(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = TAIL, .args = (const char *const[]) { f->watched, NULL } }));
    assert_true(ra_proc_matches(pid, &(struct ra_proc_match) { .exe = TAIL }));
    assert_true(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = TAIL, .args = (const char *const[]) { NULL } }));
    /* the same file by another path (/bin is a link to /usr/bin here) */
    assert_true(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = "/bin/tail", .args = (const char *const[]) { "-f", NULL } }));
}

static void proc_matches_rejects_wrong_args(void **state)
{
    struct fixture *f = *state;
    pid_t pid = spawn_tail(f);

    assert_false(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = TAIL, .args = (const char *const[]) { "-f", "/dev/zero", NULL } }));
    /* in order ... */
    assert_false(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = TAIL, .args = (const char *const[]) { f->watched, "-f", NULL } }));
    /* ... and complete words, not prefixes */
    assert_false(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = TAIL, .args = (const char *const[]) { "-", NULL } }));
    assert_false(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = TAIL, .args = (const char *const[]) { "-f", f->watched, "extra", NULL } }));
}

static void proc_matches_rejects_wrong_exe(void **state)
{
    struct fixture *f = *state;
    pid_t pid = spawn_tail(f);

    assert_false(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = "/bin/sleep", .args = (const char *const[]) { "-f", NULL } }));
    assert_false(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = "/nonexistent/tail", .args = NULL }));
    assert_false(ra_proc_matches(pid, &(struct ra_proc_match) { .exe = "tail" }));
}

static void proc_matches_requires_the_given_uid(void **state)
{
    struct fixture *f = *state;
    const char *const argv[] = { TAIL, "-f", f->watched, NULL };
    const uid_t root = 0;
    const uid_t nobody = NOBODY_UID;
    pid_t theirs;
    pid_t ours;

    if (geteuid() != 0) {
        skip();
    }
    write_file(f->watched, "");
    /* another user runs a process with our binary and our arguments */
    theirs = spawn_as(f, argv, NOBODY_UID);
    ours = spawn(f, argv);
    assert_false(ra_proc_matches(theirs, &(struct ra_proc_match) {
        .exe = TAIL, .args = (const char *const[]) { "-f", f->watched, NULL },
        .uid = &root }));
    assert_true(ra_proc_matches(theirs, &(struct ra_proc_match) {
        .exe = TAIL, .args = (const char *const[]) { "-f", f->watched, NULL },
        .uid = &nobody }));
    assert_true(ra_proc_matches(ours, &(struct ra_proc_match) {
        .exe = TAIL, .uid = &root }));
    assert_false(ra_proc_matches(ours, &(struct ra_proc_match) {
        .exe = TAIL, .uid = &nobody }));
    /* without .uid, anyone's process matches (the old behaviour) */
    assert_true(ra_proc_matches(theirs, &(struct ra_proc_match) { .exe = TAIL }));
}

static void proc_matches_arguments_past_8_kib_and_128_words_of_command_line(void **state)
{
    struct fixture *f = *state;
    const char *argv[304];
    size_t n = 0;
    pid_t pid;

    /* tail -f <watched x 300> /dev/null: some 12 KiB, 303 words */
    write_file(f->watched, "");
    argv[n++] = TAIL;
    argv[n++] = "-f";
    while (n < 302) {
        argv[n++] = f->watched;
    }
    argv[n++] = "/dev/null";
    argv[n] = NULL;
    pid = spawn(f, argv);
    assert_true(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = TAIL, .args = (const char *const[]) { f->watched, "/dev/null", NULL } }));
    assert_false(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = TAIL, .args = (const char *const[]) { "/dev/null", f->watched, NULL } }));
}

static void proc_matches_rejects_dead_and_zombie_processes(void **state)
{
    struct fixture *f = *state;
    const struct ra_proc_match m = { .exe = TAIL, .args = (const char *const[]) { "-f", NULL } };
    struct ra_deadline d;
    pid_t pid = spawn_tail(f);

    assert_int_equal(kill(pid, SIGKILL), 0);
    ra_deadline_init(&d, 3000);
    assert_true(ra_proc_wait_gone(pid, &d));
    assert_false(ra_proc_matches(pid, &m));
    assert_false(ra_proc_matches(0, &m));
    assert_false(ra_proc_matches(-1, &m));
}

static void proc_matches_an_interpreted_program_by_its_script(void **state)
{
    struct fixture *f = *state;
    char script[128];
    const char *const argv[] = { "/bin/sh", script, "--config", "/x", NULL };
    pid_t pid;

    snprintf(script, sizeof(script), "%s/daemon.sh", f->dir);
    write_file(script, "while :; do sleep 1; done\n");
    pid = spawn(f, argv);
    assert_true(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = script, .args = (const char *const[]) { "--config", "/x", NULL } }));
    assert_false(ra_proc_matches(pid, &(struct ra_proc_match) {
        .exe = script, .args = (const char *const[]) { "--config", "/y", NULL } }));
}

static void proc_find_finds_matching_processes_but_never_ourselves(void **state)
{
    struct fixture *f = *state;
    const struct ra_proc_match m = {
        .exe = TAIL, .args = (const char *const[]) { "-f", f->watched, NULL } };
    const struct ra_proc_match none = {
        .exe = TAIL, .args = (const char *const[]) { "-f", "/utest/nothing/follows/this", NULL } };
    pid_t pids[4] = { 0 };
    pid_t a = spawn_tail(f);
    pid_t b = spawn_tail(f);

    assert_int_equal(ra_proc_find(&m, pids, 4), 2);
    assert_true((pids[0] == a && pids[1] == b) || (pids[0] == b && pids[1] == a));
    /* more than max: counted, not written */
    memset(pids, 0, sizeof(pids));
    assert_int_equal(ra_proc_find(&m, pids, 1), 2);
    assert_true(pids[0] == a || pids[0] == b);
    assert_int_equal(pids[1], 0);
    assert_int_equal(ra_proc_find(&none, pids, 4), 0);
    /* our own executable and no args would match us: we are skipped */
    {
        char self[PATH_MAX];
        pid_t many[256];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        size_t found;

        assert_true(n > 0);
        self[n] = '\0';
        found = ra_proc_find(&(struct ra_proc_match) { .exe = self }, many, 256);
        for (size_t i = 0; i < found && i < 256; i++) {
            assert_int_not_equal(many[i], getpid());
        }
    }
}

static void proc_locate_prefers_the_pid_file(void **state)
{
    struct fixture *f = *state;
    const struct ra_proc_match m = {
        .exe = TAIL, .args = (const char *const[]) { "-f", f->watched, NULL } };
    char pid_file[128];
    bool by_scan = true;
    pid_t a = spawn_tail(f);
    pid_t b = spawn_tail(f);

    snprintf(pid_file, sizeof(pid_file), "%s/r.pid", f->dir);
    assert_int_equal(ra_pidfile_write(pid_file, b), 0);
    assert_int_equal(ra_proc_locate(pid_file, (uid_t) -1, &m, &by_scan), b);
    assert_false(by_scan);
    assert_int_equal(ra_pidfile_write(pid_file, a), 0);
    assert_int_equal(ra_proc_locate(pid_file, (uid_t) -1, &m, &by_scan), a);
    assert_false(by_scan);
}

static void proc_locate_falls_back_to_a_scan_without_pid_file(void **state)
{
    struct fixture *f = *state;
    const struct ra_proc_match m = {
        .exe = TAIL, .args = (const char *const[]) { "-f", f->watched, NULL } };
    char pid_file[128];
    bool by_scan = false;
    pid_t pid = spawn_tail(f);

    snprintf(pid_file, sizeof(pid_file), "%s/missing.pid", f->dir);
    assert_int_equal(ra_proc_locate(pid_file, (uid_t) -1, &m, &by_scan), pid);
    assert_true(by_scan);
    by_scan = false;
    assert_int_equal(ra_proc_locate(NULL, (uid_t) -1, &m, &by_scan), pid);
    assert_true(by_scan);
}

static void proc_locate_ignores_a_pid_file_naming_another_process(void **state)
{
    struct fixture *f = *state;
    const struct ra_proc_match m = {
        .exe = TAIL, .args = (const char *const[]) { "-f", f->watched, NULL } };
    const char *const other[] = { "/bin/sleep", "30", NULL };
    char pid_file[128];
    bool by_scan = false;
    pid_t pid = spawn_tail(f);
    pid_t reused = spawn(f, other);

    /* the pid was reused by an unrelated process */
    snprintf(pid_file, sizeof(pid_file), "%s/r.pid", f->dir);
    assert_int_equal(ra_pidfile_write(pid_file, reused), 0);
    assert_int_equal(ra_proc_locate(pid_file, (uid_t) -1, &m, &by_scan), pid);
    assert_true(by_scan);
    /* ... or by ourselves */
    assert_int_equal(ra_pidfile_write(pid_file, getpid()), 0);
    by_scan = false;
    assert_int_equal(ra_proc_locate(pid_file, (uid_t) -1, &m, &by_scan), pid);
    assert_true(by_scan);
}

static void proc_locate_ignores_an_untrusted_pid_file(void **state)
{
    struct fixture *f = *state;
    const struct ra_proc_match m = {
        .exe = TAIL, .args = (const char *const[]) { "-f", f->watched, NULL } };
    char pid_file[128];
    bool by_scan = false;
    pid_t a;
    pid_t b;

    if (geteuid() != 0) {
        skip();
    }
    a = spawn_tail(f);
    b = spawn_tail(f);
    snprintf(pid_file, sizeof(pid_file), "%s/r.pid", f->dir);
    assert_int_equal(ra_pidfile_write(pid_file, b), 0);
    assert_int_equal(chown(pid_file, NOBODY_UID, NOBODY_UID), 0);
    /* found anyway, but by the scan: the file's word was not taken */
    {
        pid_t got = ra_proc_locate(pid_file, (uid_t) -1, &m, &by_scan);

        assert_true(got == a || got == b);
        assert_true(by_scan);
    }
    by_scan = true;
    assert_int_equal(ra_proc_locate(pid_file, NOBODY_UID, &m, &by_scan), b);
    assert_false(by_scan);
}

static void proc_locate_returns_zero_when_nothing_runs(void **state)
{
    struct fixture *f = *state;
    const struct ra_proc_match m = {
        .exe = TAIL, .args = (const char *const[]) { "-f", f->watched, NULL } };
    char pid_file[128];
    bool by_scan = true;

    snprintf(pid_file, sizeof(pid_file), "%s/stale.pid", f->dir);
    assert_int_equal(ra_pidfile_write(pid_file, getpid()), 0);
    assert_int_equal(ra_proc_locate(pid_file, (uid_t) -1, &m, &by_scan), 0);
    assert_false(by_scan);
}

/* --- ra_proc_wait_gone ------------------------------------------------------- */

static void proc_wait_gone_returns_once_a_terminated_process_is_dead(void **state)
{
    struct fixture *f = *state;
    struct ra_deadline d;
    long long t0;
    pid_t pid = spawn_tail(f);

    assert_int_equal(kill(pid, SIGTERM), 0);
    ra_deadline_init(&d, 5000);
    t0 = ra_now_ms();
    assert_true(ra_proc_wait_gone(pid, &d));
    assert_in_range(ra_now_ms() - t0, 0, 1000);
    /* our unreaped child: a zombie, which counts as gone */
    assert_int_equal(ra_proc_state(pid), RA_PROC_ZOMBIE);
}

static void proc_wait_gone_gives_up_at_the_deadline(void **state)
{
    struct fixture *f = *state;
    struct ra_deadline d;
    long long t0;
    pid_t pid = spawn_tail(f);

    ra_deadline_init(&d, 200);
    t0 = ra_now_ms();
    assert_false(ra_proc_wait_gone(pid, &d));
    assert_in_range(ra_now_ms() - t0, 150, 700);
    assert_int_equal(ra_proc_state(pid), RA_PROC_ALIVE);
}

static void proc_wait_gone_of_a_gone_pid_returns_at_once(void **state)
{
    struct ra_deadline d;
    (void) state;

    ra_deadline_init(&d, 0);
    assert_true(ra_proc_wait_gone(INT_MAX, &d));
}

#define FIXTURE_TEST(t) cmocka_unit_test_setup_teardown(t, fixture_setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proc_state_of_ourselves_is_alive),
        cmocka_unit_test(proc_state_of_a_nonexistent_pid_is_gone),
        cmocka_unit_test(proc_state_of_an_unreaped_child_is_zombie),
        FIXTURE_TEST(pidfile_read_reports_a_missing_file),
        FIXTURE_TEST(pidfile_read_rejects_bad_input),
        FIXTURE_TEST(pidfile_read_accepts_good_input),
        FIXTURE_TEST(pidfile_read_refuses_a_symlink),
        FIXTURE_TEST(pidfile_read_refuses_a_directory),
        FIXTURE_TEST(pidfile_read_distrusts_a_file_of_another_user),
        cmocka_unit_test(pidfile_status_str_names_every_status),
        FIXTURE_TEST(pidfile_write_writes_the_pid_and_a_newline),
        FIXTURE_TEST(pidfile_write_replaces_an_existing_file_atomically),
        FIXTURE_TEST(pidfile_write_replaces_a_symlink_without_following_it),
        FIXTURE_TEST(pidfile_write_into_a_missing_directory_fails),
        FIXTURE_TEST(pidfile_read_does_not_wait_on_a_fifo),
        FIXTURE_TEST(pidfile_read_refuses_a_hard_linked_file),
        FIXTURE_TEST(pidfile_write_never_opens_a_fifo_or_link_planted_beside_it),
        FIXTURE_TEST(proc_matches_a_process_by_exe_and_args),
        FIXTURE_TEST(proc_matches_rejects_wrong_args),
        FIXTURE_TEST(proc_matches_rejects_wrong_exe),
        FIXTURE_TEST(proc_matches_requires_the_given_uid),
        FIXTURE_TEST(proc_matches_arguments_past_8_kib_and_128_words_of_command_line),
        FIXTURE_TEST(proc_matches_rejects_dead_and_zombie_processes),
        FIXTURE_TEST(proc_matches_an_interpreted_program_by_its_script),
        FIXTURE_TEST(proc_find_finds_matching_processes_but_never_ourselves),
        FIXTURE_TEST(proc_locate_prefers_the_pid_file),
        FIXTURE_TEST(proc_locate_falls_back_to_a_scan_without_pid_file),
        FIXTURE_TEST(proc_locate_ignores_a_pid_file_naming_another_process),
        FIXTURE_TEST(proc_locate_ignores_an_untrusted_pid_file),
        FIXTURE_TEST(proc_locate_returns_zero_when_nothing_runs),
        FIXTURE_TEST(proc_wait_gone_returns_once_a_terminated_process_is_dead),
        FIXTURE_TEST(proc_wait_gone_gives_up_at_the_deadline),
        cmocka_unit_test(proc_wait_gone_of_a_gone_pid_returns_at_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
