/* proc.c: processes and pid files that survive reality.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsafe.h"

/* The longest command line read (the kernel's own limit is lower). */
#define CMDLINE_MAX (4 * 1024 * 1024)
/* A pid file holds one number: anything larger is not ours. */
#define PIDFILE_MAX 64

enum ra_proc_state ra_proc_state(pid_t pid)
{
    char path[64];
    char buf[512];
    char *close_paren;
    ssize_t n;
    int fd;

    if (pid <= 0) {
        return RA_PROC_GONE;
    }
    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return RA_PROC_GONE;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return RA_PROC_GONE;
    }
    buf[n] = '\0';
    /* "pid (comm) S ...": comm may hold spaces and parentheses. */
    close_paren = strrchr(buf, ')');
    if (close_paren == NULL || close_paren[1] != ' ') {
        return RA_PROC_GONE;
    }
    switch (close_paren[2]) {
    case 'Z':
    case 'X':
    case 'x':
        return RA_PROC_ZOMBIE;
    default:
        return RA_PROC_ALIVE;
    }
}

bool ra_proc_alive(pid_t pid)
{
    return ra_proc_state(pid) == RA_PROC_ALIVE;
}

ssize_t ra_file_read(const char *path, char *buf, size_t len)
{
    ssize_t total = 0;
    ssize_t n;
    int fd;

    if (len == 0) {
        return -1;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    while ((size_t) total < len - 1
           && (n = read(fd, buf + total, len - 1 - (size_t) total)) > 0) {
        total += n;
    }
    close(fd);
    buf[total] = '\0';
    return total;
}

/* Reads /proc/<pid>/cmdline (NUL-separated) whole into a malloc'd buffer
 * (grown as needed: a long command line is never cut, its last arguments
 * are what a match may look for).  Returns its length, or -1. */
static ssize_t read_cmdline(pid_t pid, char **out)
{
    char path[64];
    size_t len = 8192;
    ssize_t n = -1;

    *out = NULL;
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
    while (len <= CMDLINE_MAX) {
        char *grown = realloc(*out, len);

        if (grown == NULL) {
            break;
        }
        *out = grown;
        n = ra_file_read(path, *out, len);
        if (n < 0 || (size_t) n < len - 1) {
            return n;
        }
        len *= 2;
    }
    return -1;      /* out of memory, or longer than any argv can be */
}

/* Splits a cmdline buffer into a malloc'd array of argv pointers. */
static const char **cmdline_args(char *buf, ssize_t len, size_t *nargs)
{
    const char **args;
    size_t n = 0;

    for (ssize_t i = 0; i < len; i++) {
        n += buf[i] == '\0';
    }
    args = calloc(n + 1, sizeof(*args));
    if (args == NULL) {
        return NULL;
    }
    n = 0;
    for (ssize_t i = 0; i < len; ) {
        args[n++] = buf + i;
        i += (ssize_t) strlen(buf + i) + 1;
    }
    *nargs = n;
    return args;
}

/* Same file?  Compares device and inode, so symlinks and relative paths agree. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa;
    struct stat sb;

    if (stat(a, &sa) != 0 || stat(b, &sb) != 0) {
        return strcmp(a, b) == 0;
    }
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool exe_matches(pid_t pid, const char *exe, const char **args, size_t nargs)
{
    char link[64];
    char target[PATH_MAX];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/%d/exe", (int) pid);
    n = readlink(link, target, sizeof(target) - 1);
    if (n > 0) {
        target[n] = '\0';
        if (same_file(target, exe)) {
            return true;
        }
    }
    /* Interpreted programs: "python3 /path/prog ..." or argv[0] itself. */
    for (size_t i = 0; i < nargs && i < 2; i++) {
        if (args[i][0] == '/' && same_file(args[i], exe)) {
            return true;
        }
    }
    return false;
}

static bool args_match(const char **args, size_t nargs, const char *const *want)
{
    size_t w = 0;

    if (want == NULL || want[0] == NULL) {
        return true;
    }
    while (want[w] != NULL) {
        w++;
    }
    for (size_t i = 0; i + w <= nargs; i++) {
        size_t k = 0;

        while (k < w && strcmp(args[i + k], want[k]) == 0) {
            k++;
        }
        if (k == w) {
            return true;
        }
    }
    return false;
}

/* The real uid of pid, from the "Uid:" line of /proc/<pid>/status. */
static bool proc_uid(pid_t pid, uid_t *uid)
{
    char path[64];
    char buf[2048];
    const char *line;
    unsigned long v;

    snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
    if (ra_file_read(path, buf, sizeof(buf)) <= 0
        || (line = strstr(buf, "\nUid:")) == NULL
        || sscanf(line + 5, "%lu", &v) != 1) {
        return false;
    }
    *uid = (uid_t) v;
    return true;
}

bool ra_proc_matches(pid_t pid, const struct ra_proc_match *m)
{
    uid_t uid;
    char *buf = NULL;
    const char **args = NULL;
    ssize_t len;
    size_t nargs = 0;
    bool match = false;

    if (ra_proc_state(pid) != RA_PROC_ALIVE) {
        return false;
    }
    /* Anyone can name a process like ours: its owner tells it apart. */
    if (m->uid != NULL && (!proc_uid(pid, &uid) || uid != *m->uid)) {
        return false;
    }
    len = read_cmdline(pid, &buf);
    if (len > 0) {      /* else a kernel thread, or gone */
        buf[len] = '\0';   /* a cmdline that lacks its last NUL */
        args = cmdline_args(buf, len + (buf[len - 1] != '\0'), &nargs);
    }
    if (args != NULL) {
        match = exe_matches(pid, m->exe, args, nargs)
                && args_match(args, nargs, m->args);
    }
    free(args);
    free(buf);
    return match;
}

size_t ra_proc_find(const struct ra_proc_match *m, pid_t *pids, size_t max)
{
    DIR *dir = opendir("/proc");
    struct dirent *de;
    pid_t self = getpid();
    size_t found = 0;

    if (dir == NULL) {
        return 0;
    }
    while ((de = readdir(dir)) != NULL) {
        char *end = NULL;
        long pid;

        if (!isdigit((unsigned char) de->d_name[0])) {
            continue;
        }
        pid = strtol(de->d_name, &end, 10);
        if (*end != '\0' || pid == self) {
            continue;
        }
        if (ra_proc_matches((pid_t) pid, m)) {
            if (found < max) {
                pids[found] = (pid_t) pid;
            }
            found++;
        }
    }
    closedir(dir);
    return found;
}

const char *ra_pidfile_status_str(enum ra_pidfile_status s)
{
    switch (s) {
    case RA_PIDFILE_OK:        return "ok";
    case RA_PIDFILE_MISSING:   return "missing";
    case RA_PIDFILE_INVALID:   return "not a valid pid";
    case RA_PIDFILE_UNTRUSTED: return "owned by an untrusted user";
    }
    return "unknown";
}

enum ra_pidfile_status ra_pidfile_read(const char *path, uid_t owner_uid, pid_t *pid)
{
    char *buf = NULL;
    size_t len = 0;
    long long v;
    char *end = NULL;
    int rc;

    *pid = 0;
    /* Pid files live in folders their daemon's user can write: no link
     * followed, no FIFO waited on, one link only, owner root or owner_uid. */
    rc = ra_file_slurp(path, owner_uid == (uid_t) -1 ? 0 : owner_uid,
                       PIDFILE_MAX, &buf, &len);
    if (rc == -ENOENT) {
        return RA_PIDFILE_MISSING;
    }
    if (rc == -EPERM) {
        return RA_PIDFILE_UNTRUSTED;
    }
    if (rc != 0 || len == 0 || strlen(buf) != len) {
        free(buf);              /* empty, or a NUL inside: not a pid file */
        return RA_PIDFILE_INVALID;
    }
    errno = 0;
    v = strtoll(buf, &end, 10);
    while (*end == '\n' || *end == ' ' || *end == '\r') {
        end++;
    }
    rc = errno != 0 || end == buf || *end != '\0' || v <= 1 || v > INT_MAX;
    free(buf);
    if (rc) {
        return RA_PIDFILE_INVALID;
    }
    *pid = (pid_t) v;
    return RA_PIDFILE_OK;
}

int ra_pidfile_write(const char *path, pid_t pid)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d\n", (int) pid);

    /* A fresh file renamed over the name: a link or FIFO planted there (or
     * at a temporary name) is replaced, never followed or waited on. */
    return ra_file_replace(path, buf, (size_t) n, 0644, RA_FSAFE_KEEP,
                           RA_FSAFE_KEEP);
}

pid_t ra_proc_locate(const char *pid_file, uid_t owner_uid,
                     const struct ra_proc_match *m, bool *found_by_scan)
{
    pid_t pid = 0;
    pid_t pids[4];

    *found_by_scan = false;
    if (pid_file != NULL
        && ra_pidfile_read(pid_file, owner_uid, &pid) == RA_PIDFILE_OK
        && ra_proc_matches(pid, m)) {
        return pid;
    }
    if (ra_proc_find(m, pids, 4) > 0) {
        *found_by_scan = true;
        return pids[0];
    }
    return 0;
}

bool ra_proc_wait_gone(pid_t pid, const struct ra_deadline *d)
{
    while (ra_proc_state(pid) == RA_PROC_ALIVE) {
        if (!ra_deadline_sleep_ms(d, 20)) {
            return ra_proc_state(pid) != RA_PROC_ALIVE;
        }
    }
    return true;
}
