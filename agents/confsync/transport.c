/* transport.c: how confsync-watcher reaches a peer: the rsync command line
 * over ssh or to an rsync daemon, the filter and list files that select a
 * batch, the mass-delete guard (the folder's sentinel id), and the
 * transport's setup (ssh command, daemon secrets, excludes).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include "watcher.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsafe.h"
#include "run.h"

#define RSYNC_IO_TIMEOUT "--timeout=30"
#define SENTINEL_MAX    127     /* bytes of a sentinel file read, at most */
#define FILTER_MAX      (16u << 20) /* bytes of batch rules; more: full sync */

/* Concatenates the NULL-terminated string arguments into buf. */
static bool str_vcat(char *buf, size_t len, va_list ap)
{
    size_t used = 0;
    const char *s = NULL;

    buf[0] = '\0';
    while ((s = va_arg(ap, const char *)) != NULL) {
        size_t n = strlen(s);

        if (used + n + 1 > len) {
            return false;
        }
        memcpy(buf + used, s, n + 1);
        used += n;
    }
    return true;
}

/* Filter rule text of one path: wildcards escaped; false if unsayable. */
static bool rule_escape(char *out, size_t len, const char *path)
{
    bool wild = strpbrk(path, "*?[") != NULL;
    size_t j = 0;

    for (const char *s = path; *s != '\0'; s++) {
        if (*s == '\n' || *s == '\r') {
            return false;
        }
        if (wild && strchr("*?[\\", *s) != NULL) {
            if (j + 1 >= len) {
                return false;
            }
            out[j++] = '\\';
        }
        if (j + 1 >= len) {
            return false;
        }
        out[j++] = *s;
    }
    out[j] = '\0';
    return true;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static int rules_add(char ***rules, size_t *n, size_t *cap, ...)
{
    char buf[PATH_MAX * 3];
    char *r = NULL;
    va_list ap;
    bool ok = false;

    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        char **bigger = realloc(*rules, c * sizeof(**rules));

        if (bigger == NULL) {
            return -ENOMEM;
        }
        *rules = bigger;
        *cap = c;
    }
    va_start(ap, cap);
    ok = str_vcat(buf, sizeof(buf), ap);
    va_end(ap);
    if (!ok) {
        return -EINVAL;
    }
    r = strdup(buf);
    if (r == NULL) {
        return -ENOMEM;
    }
    (*rules)[(*n)++] = r;
    return 0;
}

/* Bytes of include rules filter_write would build for set: every path
 * brings one rule per parent folder (a deep tree makes this quadratic). */
static size_t filter_size(const struct pathset *set)
{
    size_t total = 0;

    for (size_t i = 0; i < set->cap; i++) {
        const char *k = set->keys[i];
        size_t slashes = 0;

        if (k == NULL) {
            continue;
        }
        for (const char *c = k; *c != '\0'; c++) {
            slashes += *c == '/';
        }
        total += (slashes + 2) * (strlen(k) + 8);
    }
    return total;
}

/* Writes the include rules of set (and their parent folders) then "- *".
 * prefix is the transfer root ("" or "/<name>").  Returns 0 or -errno;
 * -EINVAL when a path cannot be expressed (newline), -E2BIG when the rules
 * would pass FILTER_MAX: use a full sync. */
int filter_write(const char *file, const struct pathset *set,
                 const char *prefix)
{
    char **rules = NULL;
    size_t n = 0;
    size_t cap = 0;
    FILE *f = NULL;
    int rc = 0;

    if (filter_size(set) > FILTER_MAX) {
        return -E2BIG;          /* a full sync costs less */
    }
    if (prefix[0] != '\0') {
        rc = rules_add(&rules, &n, &cap, "+ ", prefix, "/", NULL);
    }
    for (size_t i = 0; rc == 0 && i < set->cap; i++) {
        char esc[PATH_MAX * 2];

        if (set->keys[i] == NULL) {
            continue;
        }
        if (!rule_escape(esc, sizeof(esc), set->keys[i])) {
            rc = -EINVAL;
            break;
        }
        for (char *slash = strchr(esc, '/'); rc == 0 && slash != NULL;
             slash = strchr(slash + 1, '/')) {
            *slash = '\0';
            rc = rules_add(&rules, &n, &cap, "+ ", prefix, "/", esc, "/",
                           NULL);
            *slash = '/';
        }
        if (rc == 0) {
            rc = rules_add(&rules, &n, &cap, "+ ", prefix, "/", esc, NULL);
        }
        if (rc == 0 && (set->flags[i] & PF_SUBTREE)) {
            rc = rules_add(&rules, &n, &cap, "+ ", prefix, "/", esc, "/***",
                           NULL);
        }
    }
    if (rc == 0) {
        qsort(rules, n, sizeof(*rules), str_cmp);
        f = fopen(file, "we");
        if (f == NULL) {
            rc = -errno;
        }
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (i == 0 || strcmp(rules[i], rules[i - 1]) != 0) {
            fprintf(f, "%s\n", rules[i]);
        }
    }
    if (f != NULL) {
        fprintf(f, "- *\n");
        if (fclose(f) != 0 && rc == 0) {
            rc = -EIO;
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(rules[i]);
    }
    free(rules);
    return rc;
}

/* Writes the changed files of set, NUL-separated, for --files-from when no
 * entry needs a folder scan (a new folder tree or a deletion).  Returns 1
 * when written, 0 when the set needs include rules instead, or -errno. */
int list_write(const char *file, const struct pathset *set,
               const char *prefix)
{
    FILE *f = NULL;
    int rc = 1;

    for (size_t i = 0; i < set->cap; i++) {
        if (set->keys[i] != NULL && (set->flags[i] & (PF_SUBTREE | PF_GONE))) {
            return 0;
        }
    }
    f = fopen(file, "we");
    if (f == NULL) {
        return -errno;
    }
    for (size_t i = 0; i < set->cap; i++) {
        if (set->keys[i] != NULL) {
            fprintf(f, "%s%s%c", prefix, set->keys[i], '\0');
        }
    }
    if (fclose(f) != 0) {
        rc = -EIO;
    }
    return rc;
}

/* Reads the sentinel id in the folder dir into id (empty if absent), never
 * following a link or waiting on a FIFO planted there.  0 or -errno
 * (-EINVAL: not a regular file). */
int sentinel_read(const char *dir, char *id, size_t len)
{
    char path[PATH_MAX];
    char buf[SENTINEL_MAX + 1];
    ssize_t n = 0;
    int fd = -1;

    id[0] = '\0';
    if (path_join(path, sizeof(path), dir, CS_SENTINEL) != 0) {
        return -ENAMETOOLONG;
    }
    fd = ra_file_open_read(path, RA_FSAFE_KEEP);
    if (fd < 0) {
        return fd == -ENOENT ? 0 : fd;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0) {
        return -EIO;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    cs_text_copy(id, len, buf);
    return 0;
}

/* Creates the sentinel in dir (opened without following links, the file
 * created O_EXCL), or reads the one that appeared meanwhile. */
static int sentinel_create(const char *dir, char *id, size_t len)
{
    unsigned char rnd[16];
    char text[64];
    struct stat sb;
    int dfd = -1;
    int fd = -1;
    ssize_t n = 0;

    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd)) {
        return -EIO;
    }
    for (size_t i = 0; i < sizeof(rnd); i++) {
        snprintf(text + 2 * i, 3, "%02x", rnd[i]);
    }
    dfd = ra_dir_open(dir);
    if (dfd < 0) {
        return dfd;
    }
    if (fstat(dfd, &sb) != 0) {
        close(dfd);
        return -errno;
    }
    fd = openat(dfd, CS_SENTINEL, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                | O_CLOEXEC, 0644);
    close(dfd);
    if (fd < 0) {
        return errno == EEXIST ? sentinel_read(dir, id, len) : -errno;
    }
    /* Our new file, given to the folder's owner like every other file in
     * it: a peer's rsync daemon runs as that owner and must be able to set
     * the attributes of the copy it receives (a root-owned sentinel made
     * every push to it fail with code 23). */
    if (fchown(fd, sb.st_uid, sb.st_gid) != 0) {
        close(fd);
        return -errno;
    }
    n = write(fd, text, strlen(text));
    if (n == (ssize_t) strlen(text)) {
        n = write(fd, "\n", 1);
    }
    if (fsync(fd) != 0 || n < 0) {
        close(fd);
        return -EIO;
    }
    close(fd);
    cs_text_copy(id, len, text);
    return 0;
}

/* A peer's sentinel, fetched into our own folder (HA_RSCTMP). */
static int id_file_read(const char *file, char *id, size_t len)
{
    char buf[SENTINEL_MAX + 1];
    ssize_t n = 0;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat sb;

    id[0] = '\0';
    if (fd < 0) {
        return errno == ENOENT ? 0 : -errno;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0) {
        return -EIO;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    cs_text_copy(id, len, buf);
    return 0;
}

/* argv helper: a fixed array with a bound; what does not fit sets
 * overflow, and a job with an overflowing argv is never executed. */
struct argv {
    const char *v[160];
    char buf[40][2 * PATH_MAX + 256];
    size_t n;
    size_t nbuf;
    bool overflow;
};

static void argv_add(struct argv *a, const char *s)
{
    if (a->n + 1 < sizeof(a->v) / sizeof(a->v[0])) {
        a->v[a->n++] = s;
        a->v[a->n] = NULL;
    } else {
        a->overflow = true;
    }
}

/* execvp(argv) unless it overflowed; returns only on failure. */
static int argv_exec(const struct argv *a)
{
    if (a->overflow) {
        fprintf(stderr, "confsync: the rsync command line does not fit: "
                "not run\n");
        return JOB_LOCAL_ERROR;
    }
    execvp(a->v[0], (char *const *) a->v);
    fprintf(stderr, "confsync: cannot execute rsync: %s\n", strerror(errno));
    return JOB_LOCAL_ERROR;
}

/* A string made of the (NULL-terminated) pieces, kept in a. */
static const char *argv_cat(struct argv *a, ...)
{
    char *b = NULL;
    va_list ap;

    if (a->nbuf >= sizeof(a->buf) / sizeof(a->buf[0])) {
        a->overflow = true;
        return "";
    }
    b = a->buf[a->nbuf++];
    va_start(ap, a);
    if (!str_vcat(b, sizeof(a->buf[0]), ap)) {
        a->overflow = true;
    }
    va_end(ap);
    return b;
}

bool rsyncd(const struct watcher *w)
{
    return strcmp(w->o.transport, "rsyncd") == 0;
}

/* The remote end of a transfer: "host:path" or an rsync:// URL. */
static const char *remote_path(const struct watcher *w, const struct peer *p,
                               struct argv *a, const char *module,
                               const char *sub)
{
    bool v6 = strchr(p->host, ':') != NULL;

    if (rsyncd(w)) {
        return argv_cat(a, "rsync://", w->rsync_user, "@", v6 ? "[" : "",
                        p->host, v6 ? "]" : "", ":",
                        p->port != NULL ? p->port : w->o.rsyncd_port,
                        "/", module, "/", sub, NULL);
    }
    return argv_cat(a, v6 ? "[" : "", p->host, v6 ? "]" : "", ":", sub, NULL);
}

static void argv_transport(const struct watcher *w, const struct peer *p,
                           struct argv *a)
{
    argv_add(a, RSYNC_IO_TIMEOUT);
    if (rsyncd(w)) {
        argv_add(a, "--contimeout=5");
    } else {
        /* A new ssh connection per push: connection sharing (ControlMaster)
         * was measured to hang rsync now and then on this OpenSSH. */
        argv_add(a, "-e");
        argv_add(a, argv_cat(a, w->ssh_cmd, p->port != NULL ? " -p " : "",
                             p->port != NULL ? p->port : "",
                             " -o ControlMaster=no -o ControlPath=none", NULL));
    }
}

/* In the job child: runs argv through run.c (its stdout dropped, its
 * stderr passed on to ours for the verdict) and returns its exit code, or
 * RSYNC_ERR_SHELL when it was killed or outlived GUARD_TIMEOUT_MS (rsync's
 * own --contimeout and --timeout end it well before). */
#define GUARD_TIMEOUT_MS (2 * 30 * 1000)
static int run_wait(const struct argv *a)
{
    struct ra_deadline d;
    struct ra_run_opts o = { .deadline = &d, .max_output = 4096 };
    struct ra_run_result r = { .out = NULL, .err = NULL };
    int rc = RSYNC_ERR_SHELL;

    if (a->overflow) {
        return JOB_LOCAL_ERROR;
    }
    ra_deadline_init(&d, GUARD_TIMEOUT_MS);
    if (ra_run(a->v, &o, &r) != 0) {
        return JOB_LOCAL_ERROR;
    }
    fputs(r.err, stderr);
    if (r.exit_status >= 0 && !r.timed_out) {
        rc = r.exit_status;
    }
    ra_run_result_free(&r);
    return rc;
}

/* In the job child: the mass-delete guard before a full sync.  Returns 0 to
 * go on, or a job exit code. */
static int guard_check(const struct watcher *w, const struct peer *p)
{
    char local_id[80];
    char peer_id[80];
    struct argv a = { .n = 0, .nbuf = 0, .overflow = false };
    int rc = 0;

    argv_add(&a, "rsync");
    argv_add(&a, "-q");
    argv_transport(w, p, &a);
    argv_add(&a, rsyncd(w) ? remote_path(w, p, &a, "confsync-id", CS_SENTINEL)
             : remote_path(w, p, &a, "", argv_cat(&a, w->o.dir, "/",
                                                  CS_SENTINEL, NULL)));
    argv_add(&a, p->id_file);
    unlink(p->id_file);
    rc = run_wait(&a);
    if (rc != RSYNC_OK && rc != RSYNC_PARTIAL) {
        return rc;              /* peer unreachable: the push would fail too */
    }
    rc = id_file_read(p->id_file, peer_id, sizeof(peer_id));
    unlink(p->id_file);
    if (rc != 0) {
        fprintf(stderr, "confsync: cannot read peer %s's sentinel: %s\n",
                p->node, strerror(-rc));
        return JOB_LOCAL_ERROR;
    }
    rc = sentinel_read(w->o.dir, local_id, sizeof(local_id));
    if (rc != 0) {
        fprintf(stderr, "confsync: refusing to push: cannot read %s/%s: %s\n",
                w->o.dir, CS_SENTINEL, rc == -EINVAL
                ? "not a regular file" : strerror(-rc));
        return JOB_LOCAL_ERROR;
    }
    if (local_id[0] == '\0' && peer_id[0] != '\0') {
        fprintf(stderr, "refusing to push: %s/%s is missing here (empty, "
                "unmounted or wiped folder?) while peer %s has id %s\n",
                w->o.dir, CS_SENTINEL, p->node, peer_id);
        return JOB_REFUSED_NO_SENTINEL;
    }
    if (local_id[0] != '\0' && peer_id[0] != '\0'
        && strcmp(local_id, peer_id) != 0) {
        fprintf(stderr, "refusing to push: folder id %s differs from peer %s's "
                "id %s (foreign folder?)\n", local_id, p->node, peer_id);
        return JOB_REFUSED_FOREIGN;
    }
    if (local_id[0] == '\0'
        && sentinel_create(w->o.dir, local_id, sizeof(local_id)) != 0) {
        fprintf(stderr, "confsync: cannot create %s/%s\n", w->o.dir,
                CS_SENTINEL);
        return JOB_LOCAL_ERROR;
    }
    return 0;
}

/* In the job child: where overwritten and deleted files go on the peer.
 * ssh: the peer runs rsync through this program's --receive, which opens
 * the quarantine without following links (see receive_main). */
static void argv_backup(const struct watcher *w, const struct peer *p,
                        struct argv *a)
{
    argv_add(a, "--backup");
    if (rsyncd(w)) {
        argv_add(a, "-R");
        argv_add(a, argv_cat(a, "--backup-dir=", w->q_name, "/", p->stamp,
                             NULL));
        return;
    }
    argv_add(a, argv_cat(a, "--rsync-path=", w->self, " --receive ",
                         w->o.quarantine, " ", p->stamp, " rsync", NULL));
    argv_add(a, argv_cat(a, "--backup-dir=", w->o.quarantine, "/", p->stamp,
                         NULL));
}

/* In the job child: what is sent: the sentinel always, never the excludes,
 * and for a batch only its paths. */
static void argv_select(const struct watcher *w, const struct peer *p,
                        struct argv *a, enum push_mode mode)
{
    if (mode == PUSH_FULL) {
        /* The sentinel always travels, whatever the excludes say. */
        argv_add(a, rsyncd(w) ? argv_cat(a, "--include=/", w->dir_name, "/",
                                         CS_SENTINEL, NULL)
                 : "--include=/" CS_SENTINEL);
    }
    if (w->ex.n > 0) {
        argv_add(a, argv_cat(a, "--filter=merge ", w->excludes_file, NULL));
    }
    if (mode == PUSH_FULL) {
        /* Quick check to the nanosecond (rsync compares seconds by default). */
        argv_add(a, "--modify-window=-1");
    } else {
        /* The listed files did change: never skip one on size and time. */
        argv_add(a, "--ignore-times");
    }
    if (mode == PUSH_FILTER) {
        argv_add(a, argv_cat(a, "--filter=merge ", p->filter_file, NULL));
    } else if (mode == PUSH_LIST) {
        argv_add(a, argv_cat(a, "--files-from=", p->list_file, NULL));
        argv_add(a, "--from0");
    }
}

/* In the job child: guard (full sync), then exec the push. */
void job_run(const struct watcher *w, const struct peer *p,
             enum push_mode mode)
{
    bool full = mode == PUSH_FULL;
    struct argv a = { .n = 0, .nbuf = 0, .overflow = false };
    char local_id[80];
    int rc = 0;

    if (full) {
        rc = guard_check(w, p);
        if (rc != 0) {
            _exit(rc);
        }
    } else if (sentinel_read(w->o.dir, local_id, sizeof(local_id)) != 0
               || strcmp(local_id, p->verified_id) != 0) {
        fprintf(stderr, "refusing to push: %s/%s changed or vanished (folder "
                "wiped or unmounted?)\n", w->o.dir, CS_SENTINEL);
        _exit(JOB_REFUSED_NO_SENTINEL);
    }
    argv_add(&a, "rsync");
    argv_add(&a, "-a");
    if (mode != PUSH_LIST) {
        argv_add(&a, "--delete");
    }
    argv_transport(w, p, &a);
    if (rsyncd(w)) {
        /* The daemon runs as the folder's owner: ownership cannot be kept,
         * and trying to (a file of another owner there) fails the push. */
        argv_add(&a, "--no-owner");
        argv_add(&a, "--no-group");
    }
    argv_backup(w, p, &a);
    argv_select(w, p, &a, mode);
    if (mode == PUSH_LIST && rsyncd(w)) {
        argv_add(&a, argv_cat(&a, w->parent, "/", NULL));
        argv_add(&a, remote_path(w, p, &a, "confsync", ""));
    } else if (rsyncd(w)) {
        argv_add(&a, argv_cat(&a, w->parent, "/./", w->dir_name, "/", NULL));
        argv_add(&a, remote_path(w, p, &a, "confsync", ""));
    } else {
        argv_add(&a, argv_cat(&a, w->o.dir, "/", NULL));
        argv_add(&a, remote_path(w, p, &a, "",
                                 argv_cat(&a, w->o.dir, "/", NULL)));
    }
    _exit(argv_exec(&a));
}

/* The rsync daemon's user from the secrets file (root's, not readable by
 * others: checked); the password goes to rsync through RSYNC_PASSWORD in
 * its environment, never on an argv. */
static int secrets_load(struct watcher *w)
{
    char *buf = NULL;
    size_t len = 0;
    char *save = NULL;
    int fd = ra_file_open_read(w->o.secrets_file, 0);
    struct stat sb;
    int rc = -EINVAL;

    if (fd < 0) {
        return fd;
    }
    if (fstat(fd, &sb) != 0 || sb.st_uid != 0 || (sb.st_mode & 077) != 0) {
        close(fd);
        snprintf(w->error, sizeof(w->error), "secrets file %s must be root's "
                 "and not readable by group or others", w->o.secrets_file);
        return -EPERM;
    }
    close(fd);
    rc = ra_file_slurp(w->o.secrets_file, 0, 65536, &buf, &len);
    if (rc != 0) {
        return rc;
    }
    rc = -EINVAL;
    for (char *line = strtok_r(buf, "\r\n", &save); line != NULL;
         line = strtok_r(NULL, "\r\n", &save)) {
        char *colon = strchr(line, ':');

        if (line[0] == '#' || colon == NULL) {
            continue;
        }
        *colon = '\0';
        if (strlen(line) >= sizeof(w->rsync_user)) {
            break;
        }
        cs_text_copy(w->rsync_user, sizeof(w->rsync_user), line);
        rc = setenv("RSYNC_PASSWORD", colon + 1, 1) != 0 ? -ENOMEM : 0;
        break;
    }
    explicit_bzero(buf, len);
    free(buf);
    return rc;
}

int transport_setup(struct watcher *w)
{
    int n = 0;

    if (rsyncd(w)) {
        char *slash = NULL;
        char *qslash = NULL;

        cs_text_copy(w->parent, sizeof(w->parent), w->o.dir);
        slash = strrchr(w->parent, '/');
        qslash = strrchr(w->o.quarantine, '/');
        if (slash == NULL || qslash == NULL) {
            return -EINVAL;
        }
        *slash = '\0';
        w->dir_name = w->o.dir + (slash - w->parent) + 1;
        w->q_name = qslash + 1;
        if (w->parent[0] == '\0') {
            cs_text_copy(w->parent, sizeof(w->parent), "/");
        }
        if (w->o.source && secrets_load(w) != 0) {
            return -EINVAL;
        }
        return 0;
    }
    n = (int) readlink("/proc/self/exe", w->self, sizeof(w->self) - 1);
    if (n <= 0 || n >= (int) sizeof(w->self) - 1) {
        return -EINVAL;
    }
    w->self[n] = '\0';
    n = snprintf(w->ssh_cmd, sizeof(w->ssh_cmd),
                 "ssh -l %s -o BatchMode=yes -o StrictHostKeyChecking=yes "
                 "-o ConnectTimeout=5 -o ServerAliveInterval=2 "
                 "-o ServerAliveCountMax=3%s%s%s%s",
                 w->o.ssh_user,
                 w->o.ssh_key[0] ? " -o IdentitiesOnly=yes -i " : "",
                 w->o.ssh_key,
                 w->o.known_hosts[0] ? " -o UserKnownHostsFile=" : "",
                 w->o.known_hosts);
    return (n < 0 || (size_t) n >= sizeof(w->ssh_cmd)) ? -EINVAL : 0;
}

/* Checks the exclude patterns and writes them as the filter file every
 * push merges (any number of them, never on rsync's argv). */
int excludes_setup(struct watcher *w)
{
    const char *why = NULL;
    const char *bad = NULL;
    char prefix[PATH_MAX] = "";
    char *text = NULL;
    size_t len = 0;
    int rc = cs_excludes_build(&w->ex, w->o.excludes,
                               w->o.nexcludes, &why, &bad);

    if (rc != 0) {
        snprintf(w->error, sizeof(w->error), "bad exclude pattern %.64s: %s",
                 bad != NULL ? bad : "", why != NULL ? why : strerror(-rc));
        return rc;
    }
    if (!w->o.source || w->ex.n == 0) {
        return 0;
    }
    if (rsyncd(w)) {
        snprintf(prefix, sizeof(prefix), "/%s", w->dir_name);
    }
    if (snprintf(w->excludes_file, sizeof(w->excludes_file), "%s.excludes",
                 w->o.state) >= (int) sizeof(w->excludes_file)) {
        return -ENAMETOOLONG;
    }
    text = cs_excludes_filter(&w->ex, prefix, &len);
    if (text == NULL) {
        return -ENOMEM;
    }
    rc = ra_file_replace(w->excludes_file, text, len, 0600, RA_FSAFE_KEEP,
                         RA_FSAFE_KEEP);
    free(text);
    if (rc != 0) {
        snprintf(w->error, sizeof(w->error), "cannot write %.200s: %s",
                 w->excludes_file, strerror(-rc));
    }
    return rc;
}
