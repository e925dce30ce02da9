/* watcher.c: confsync-watcher, the long-running half of ocf:ctfreak:confsync.
 * As a source it follows the folder with inotify and pushes batches of
 * changes to every peer with rsync (argv exec, never a shell); as a receiver
 * it notices local writes into the folder.  Licence: GPL-2.0-or-later. */
#include "config.h"

#include "cs_state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "deadline.h"
#include "fsafe.h"
#include "cs_rules.h"
#include "cs_receive.h"

#define PF_SUBTREE      1u      /* push the whole subtree below the path */
#define PF_GONE         2u      /* deleted or moved away: needs --delete */

/* How a push selects what it sends. */
enum push_mode {
    PUSH_FULL,      /* the whole folder, --delete */
    PUSH_FILTER,    /* include rules for the changed paths, --delete */
    PUSH_LIST,      /* --files-from: only changed files, no folder scan */
};
#define PENDING_CAP     100000  /* more queued paths than this: full sync */
#define BACKOFF_MIN_MS  250
#define BACKOFF_MAX_MS  5000
#define STATE_EVERY_MS  1000
#define STATE_DIRTY_MS  200
#define RSYNC_IO_TIMEOUT "--timeout=30"
#define RESCAN_MS       10000   /* folders left unwatched: full resync period */
#define SENTINEL_MAX    127     /* bytes of a sentinel file read, at most */
#define FILTER_MAX      (16u << 20) /* bytes of batch rules; more: full sync */

/* Job exit codes of the mass-delete guard (before rsync is executed). */
#define JOB_REFUSED_NO_SENTINEL 120
#define JOB_REFUSED_FOREIGN     121
#define JOB_LOCAL_ERROR         CS_RECEIVE_FAILED

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE \
                    | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO \
                    | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR \
                    | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

/* A set of relative paths with flags (open addressing, FNV-1a). */
struct pathset {
    char **keys;
    unsigned char *flags;
    size_t cap;
    size_t count;
};

struct peer {
    char *node;
    char *host;
    char *port;                 /* NULL: the transport's default */
    struct pathset pending;     /* queued, not in flight */
    bool full;                  /* a full sync is queued */
    long long pending_since;    /* oldest change in pending/full, 0 if none */
    pid_t job;                  /* push in flight, 0 if none */
    struct pathset inflight;
    bool inflight_full;
    long long inflight_since;
    int failures;
    long long next_try;
    long long last_ok_real;
    bool reachable;
    bool refused;
    bool gave_up;               /* draining: unreachable, not waited for */
    char verified_id[80];       /* sentinel id the last full sync checked */
    char stamp[128];            /* quarantine session folder name */
    char error[CS_TEXT];
    char err_file[PATH_MAX];
    char filter_file[PATH_MAX];
    char list_file[PATH_MAX];
    char id_file[PATH_MAX];
};

struct opts {
    const char *instance;
    const char *node;
    const char *role;
    const char *dir;
    const char *state;
    const char *quarantine;
    const char *transport;
    const char *ssh_user;
    const char *ssh_key;
    const char *known_hosts;
    const char *rsyncd_port;
    const char *secrets_file;
    long delay;
    char **excludes;
    size_t nexcludes;
    long rescan_ms;
};

struct watcher {
    struct opts o;
    bool source;
    int ifd;
    int sfd;
    char **wd_path;             /* indexed by watch descriptor */
    size_t wd_cap;
    int root_wd;
    struct peer *peers;
    size_t npeers;
    bool draining;
    bool fatal;
    char error[CS_TEXT];
    char ssh_cmd[2 * PATH_MAX + 512];
    char rsync_user[64];
    char self[PATH_MAX];        /* this program (the ssh receive wrapper) */
    struct cs_excludes ex;
    char excludes_file[PATH_MAX];
    long unwatched;             /* folders without a watch (inotify limit) */
    long long rescan_at;        /* next full rescan, 0 when all watched */
    char parent[PATH_MAX];      /* rsyncd: dir's parent and base names */
    const char *dir_name;
    const char *q_name;
    /* receiver */
    long long received_real;
    long local_writes;
    char local_write_path[CS_TEXT];
    long long state_written;
    bool state_dirty;
};

static long long now_real_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* --- path sets ------------------------------------------------------------ */

static uint64_t path_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char) *s) * 1099511628211ULL;
    }
    return h;
}

static void pathset_free(struct pathset *s)
{
    for (size_t i = 0; i < s->cap; i++) {
        free(s->keys[i]);
    }
    free(s->keys);
    free(s->flags);
    memset(s, 0, sizeof(*s));
}

static int pathset_insert(struct pathset *s, char *key, unsigned char flags);

static int pathset_grow(struct pathset *s)
{
    struct pathset bigger = { NULL, NULL, s->cap ? s->cap * 2 : 64, 0 };

    bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
    bigger.flags = calloc(bigger.cap, 1);
    if (bigger.keys == NULL || bigger.flags == NULL) {
        free(bigger.keys);
        free(bigger.flags);
        return -ENOMEM;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (s->keys[i] != NULL) {
            pathset_insert(&bigger, s->keys[i], s->flags[i]);
        }
    }
    free(s->keys);
    free(s->flags);
    *s = bigger;
    return 0;
}

/* Takes ownership of key. */
static int pathset_insert(struct pathset *s, char *key, unsigned char flags)
{
    size_t i = 0;

    if ((s->count + 1) * 2 > s->cap && pathset_grow(s) != 0) {
        free(key);
        return -ENOMEM;
    }
    i = path_hash(key) & (s->cap - 1);
    while (s->keys[i] != NULL) {
        if (strcmp(s->keys[i], key) == 0) {
            s->flags[i] |= flags;
            free(key);
            return 0;
        }
        i = (i + 1) & (s->cap - 1);
    }
    s->keys[i] = key;
    s->flags[i] = flags;
    s->count++;
    return 0;
}

static int pathset_add(struct pathset *s, const char *path, unsigned char flags)
{
    char *key = strdup(path);

    return key == NULL ? -ENOMEM : pathset_insert(s, key, flags);
}

/* Moves every entry of from into to. */
static void pathset_merge(struct pathset *to, struct pathset *from)
{
    for (size_t i = 0; i < from->cap; i++) {
        if (from->keys[i] != NULL) {
            pathset_insert(to, from->keys[i], from->flags[i]);
            from->keys[i] = NULL;
        }
    }
    pathset_free(from);
}

/* --- peers and their queues ----------------------------------------------- */

static bool peer_has_work(const struct peer *p)
{
    return p->full || p->pending.count > 0;
}

static void peer_queue(struct peer *p, const char *rel, unsigned char flags,
                       long long now)
{
    if (!peer_has_work(p)) {
        p->pending_since = now;
    }
    if (p->full) {
        return;
    }
    if (p->pending.count >= PENDING_CAP
        || pathset_add(&p->pending, rel, flags) != 0) {
        pathset_free(&p->pending);
        p->full = true;
    }
}

static void peer_queue_full(struct peer *p, long long now)
{
    if (!peer_has_work(p)) {
        p->pending_since = now;
    }
    pathset_free(&p->pending);
    p->full = true;
}

static long long peer_oldest(const struct peer *p)
{
    long long a = peer_has_work(p) ? p->pending_since : 0;
    long long b = p->job > 0 ? p->inflight_since : 0;

    if (a == 0) {
        return b;
    }
    return (b != 0 && b < a) ? b : a;
}

/* --- state file ------------------------------------------------------------ */

static void state_write(struct watcher *w, enum cs_phase phase)
{
    struct cs_state st;

    memset(&st, 0, sizeof(st));
    st.pid = getpid();
    cs_text_copy(st.role, sizeof(st.role), w->source ? "source" : "receiver");
    st.phase = phase;
    st.updated_mono_ms = ra_now_ms();
    cs_text_copy(st.error, sizeof(st.error), w->error);
    st.received_real_ms = w->received_real;
    st.local_writes = w->local_writes;
    st.unwatched = w->unwatched;
    cs_text_copy(st.local_write_path, sizeof(st.local_write_path),
                 w->local_write_path);
    for (size_t i = 0; i < w->npeers && i < CS_MAX_PEERS; i++) {
        const struct peer *p = &w->peers[i];
        struct cs_peer_state *ps = &st.peers[i];

        cs_text_copy(ps->node, sizeof(ps->node), p->node);
        cs_text_copy(ps->addr, sizeof(ps->addr), p->host);
        ps->pending = (p->full || (p->job > 0 && p->inflight_full)) ? -1
            : (long) (p->pending.count + (p->job > 0 ? p->inflight.count : 0));
        ps->oldest_mono_ms = peer_oldest(p);
        ps->last_ok_real_ms = p->last_ok_real;
        ps->reachable = p->reachable;
        ps->refused = p->refused;
        cs_text_copy(ps->error, sizeof(ps->error), p->error);
        st.npeers++;
    }
    if (cs_state_write(w->o.state, &st) != 0) {
        ra_log_warn("cannot write the state file | path=%s", w->o.state);
    }
    w->state_written = st.updated_mono_ms;
    w->state_dirty = false;
}

/* --- watches ----------------------------------------------------------------- */

static void wd_forget(struct watcher *w, int wd)
{
    if (wd >= 0 && (size_t) wd < w->wd_cap) {
        free(w->wd_path[wd]);
        w->wd_path[wd] = NULL;
    }
}

static int wd_set(struct watcher *w, int wd, const char *rel)
{
    char *copy = NULL;

    if ((size_t) wd >= w->wd_cap) {
        size_t cap = w->wd_cap ? w->wd_cap : 256;
        char **bigger = NULL;

        while (cap <= (size_t) wd) {
            cap *= 2;
        }
        bigger = realloc(w->wd_path, cap * sizeof(*bigger));
        if (bigger == NULL) {
            return -ENOMEM;
        }
        memset(bigger + w->wd_cap, 0, (cap - w->wd_cap) * sizeof(*bigger));
        w->wd_path = bigger;
        w->wd_cap = cap;
    }
    copy = strdup(rel);
    if (copy == NULL) {
        return -ENOMEM;
    }
    free(w->wd_path[wd]);
    w->wd_path[wd] = copy;
    return 0;
}

static int path_join(char *buf, size_t len, const char *a, const char *b)
{
    int n = 0;

    if (a[0] == '\0') {
        n = snprintf(buf, len, "%s", b);
    } else if (b[0] == '\0') {
        n = snprintf(buf, len, "%s", a);
    } else {
        n = snprintf(buf, len, "%s/%s", a, b);
    }
    return (n < 0 || (size_t) n >= len) ? -ENAMETOOLONG : 0;
}

/* Folders still to watch: watch_tree's explicit stack (a tree thousands of
 * levels deep costs heap, not stack). */
struct walk {
    char **rel;
    size_t n;
    size_t cap;
};

static int walk_push(struct walk *s, const char *dir, const char *name)
{
    char *rel = NULL;

    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **bigger = realloc(s->rel, cap * sizeof(*bigger));

        if (bigger == NULL) {
            return -ENOMEM;
        }
        s->rel = bigger;
        s->cap = cap;
    }
    if (dir[0] == '\0' || name[0] == '\0') {
        rel = strdup(dir[0] == '\0' ? name : dir);
    } else if (asprintf(&rel, "%s/%s", dir, name) < 0) {
        rel = NULL;
    }
    if (rel == NULL) {
        return -ENOMEM;
    }
    s->rel[s->n++] = rel;
    return 0;
}

/* Adds the watch of one folder.  Returns 1 when it was already watched
 * under that name, 0 when added (or impossible: a folder inotify has no
 * watch left for is counted in unwatched), or -ENOMEM. */
static int watch_add(struct watcher *w, const char *rel, const char *abs)
{
    int wd = inotify_add_watch(w->ifd, abs, WATCH_MASK);

    if (wd < 0) {
        if (errno == ENOSPC) {
            w->unwatched++;
        } else if (errno != ENOENT && errno != ENOTDIR) {
            ra_log_warn("cannot watch a folder | path=%s error=%s", abs,
                        strerror(errno));
        }
        return 0;
    }
    if (rel[0] == '\0') {
        w->root_wd = wd;
    }
    if ((size_t) wd < w->wd_cap && w->wd_path[wd] != NULL
        && strcmp(w->wd_path[wd], rel) == 0) {
        return 1;
    }
    return wd_set(w, wd, rel);
}

/* Watches one folder and pushes its subfolders on s (a folder already
 * watched is not read again unless all: its own events tell what changed
 * below it since; without this a deep tree costs quadratic time). */
static int watch_one(struct watcher *w, const char *rel, struct walk *s,
                     bool all)
{
    char abs[PATH_MAX];
    DIR *d = NULL;
    struct dirent *e = NULL;
    int fd = -1;
    int rc = 0;

    if (path_join(abs, sizeof(abs), w->o.dir, rel) != 0) {
        ra_log_warn("a folder path is too long to watch or sync | path=%.200s...",
                    rel);
        return 0;
    }
    rc = watch_add(w, rel, abs);
    if (rc < 0 || (rc == 1 && !all)) {
        return rc < 0 ? rc : 0;
    }
    rc = 0;
    fd = open(abs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return 0;   /* gone meanwhile: its deletion event follows */
    }
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return 0;
    }
    while (rc == 0 && (e = readdir(d)) != NULL) {
        bool isdir = e->d_type == DT_DIR;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (e->d_type == DT_UNKNOWN) {
            struct stat sb;

            isdir = fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0
                && S_ISDIR(sb.st_mode);
        }
        if (isdir) {
            rc = walk_push(s, rel, e->d_name);
        }
    }
    closedir(d);
    return rc;
}

/* Watches rel (relative to dir) and every folder below it, iteratively;
 * all: read folders already watched too (after lost events).  Returns 0
 * or -ENOMEM. */
static int watch_tree(struct watcher *w, const char *rel, bool all)
{
    struct walk s = { NULL, 0, 0 };
    int rc = walk_push(&s, rel, "");

    while (rc == 0 && s.n > 0) {
        char *r = s.rel[--s.n];

        rc = watch_one(w, r, &s, all);
        free(r);
    }
    while (s.n > 0) {
        free(s.rel[--s.n]);
    }
    free(s.rel);
    return rc;
}

/* Drops the watches of rel and everything below it (a folder moved away). */
static void unwatch_tree(struct watcher *w, const char *rel)
{
    size_t len = strlen(rel);

    for (size_t wd = 0; wd < w->wd_cap; wd++) {
        const char *p = w->wd_path[wd];

        if (p != NULL && (int) wd != w->root_wd && strncmp(p, rel, len) == 0
            && (p[len] == '\0' || p[len] == '/')) {
            inotify_rm_watch(w->ifd, (int) wd);
            wd_forget(w, (int) wd);
        }
    }
}

static bool is_excluded(const struct watcher *w, const char *rel,
                        const char *name, bool isdir)
{
    return cs_excludes_match(&w->ex, rel, name, isdir);
}

/* rsync's temporary files: ".<name>.XXXXXX". */
static bool is_rsync_temp(const char *name)
{
    size_t n = strlen(name);

    return n > 8 && name[0] == '.' && name[n - 7] == '.';
}

static void queue_all(struct watcher *w, const char *rel, unsigned char flags)
{
    long long now = ra_now_ms();

    for (size_t i = 0; i < w->npeers; i++) {
        peer_queue(&w->peers[i], rel, flags, now);
    }
    w->state_dirty = true;
}

static void queue_all_full(struct watcher *w)
{
    long long now = ra_now_ms();

    for (size_t i = 0; i < w->npeers; i++) {
        peer_queue_full(&w->peers[i], now);
    }
    w->state_dirty = true;
}

static void on_overflow(struct watcher *w)
{
    ra_log_warn("inotify queue overflow: full resync");
    if (w->source) {
        queue_all_full(w);
    }
    watch_tree(w, "", true);
}

/* Folders were left without a watch (inotify's limit): watch what can be
 * watched now and, as a source, resync everything (changes in unwatched
 * folders were not seen). */
static void rescan(struct watcher *w)
{
    long before = w->unwatched;

    w->unwatched = 0;
    watch_tree(w, "", true);
    if (w->source) {
        queue_all_full(w);
    }
    w->state_dirty = true;
    w->rescan_at = w->unwatched > 0 ? ra_now_ms() + w->o.rescan_ms : 0;
    if (w->unwatched == 0) {
        ra_log_notice("every folder is watched again (was %ld unwatched)",
                      before);
    }
}

/* Reports folders left unwatched once, and schedules the rescans. */
static void unwatched_check(struct watcher *w)
{
    if (w->unwatched > 0 && w->rescan_at == 0) {
        ra_log_err("inotify watch limit reached (fs.inotify.max_user_watches): "
                   "%ld folder(s) not watched, full resync every %ld s",
                   w->unwatched, w->o.rescan_ms / 1000);
        w->rescan_at = ra_now_ms() + w->o.rescan_ms;
        w->state_dirty = true;
    } else if (w->rescan_at != 0 && ra_now_ms() >= w->rescan_at) {
        rescan(w);
    }
}

static void on_event(struct watcher *w, const struct inotify_event *ev)
{
    char rel[PATH_MAX];
    const char *dirrel = NULL;
    bool isdir = (ev->mask & IN_ISDIR) != 0;

    if (ev->mask & IN_Q_OVERFLOW) {
        on_overflow(w);
        return;
    }
    if (ev->wd < 0 || (size_t) ev->wd >= w->wd_cap
        || w->wd_path[ev->wd] == NULL) {
        return;
    }
    dirrel = w->wd_path[ev->wd];
    if (ev->mask & IN_IGNORED) {
        wd_forget(w, ev->wd);
        if (ev->wd == w->root_wd) {
            w->fatal = true;
            cs_text_copy(w->error, sizeof(w->error),
                         "the folder was removed or moved away");
        }
        return;
    }
    if ((ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) && ev->wd == w->root_wd) {
        w->fatal = true;
        cs_text_copy(w->error, sizeof(w->error),
                     "the folder was removed or moved away");
        return;
    }
    if (ev->len == 0 || ev->name[0] == '\0') {
        return;     /* the folder's own attributes: seen from its parent */
    }
    if (path_join(rel, sizeof(rel), dirrel, ev->name) != 0) {
        queue_all_full(w);
        return;
    }
    if (isdir && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
        watch_tree(w, rel, false);
    } else if (isdir && (ev->mask & IN_MOVED_FROM)) {
        unwatch_tree(w, rel);
    }
    if (!w->source) {
        if ((ev->mask & IN_CLOSE_WRITE) && !is_rsync_temp(ev->name)) {
            w->local_writes++;
            cs_text_copy(w->local_write_path, sizeof(w->local_write_path), rel);
            ra_log_warn("a local process wrote into the replica | path=%s", rel);
            w->state_dirty = true;
        } else if ((ev->mask & IN_MOVED_TO) && !is_rsync_temp(ev->name)) {
            w->received_real = now_real_ms();
            w->state_dirty = true;
        }
        return;
    }
    if (is_excluded(w, rel, ev->name, isdir)) {
        return;
    }
    queue_all(w, rel, (unsigned char)
              (((isdir && !(ev->mask & IN_ATTRIB)) ? PF_SUBTREE : 0)
               | ((ev->mask & (IN_DELETE | IN_MOVED_FROM)) ? PF_GONE : 0)));
}

static void read_events(struct watcher *w)
{
    char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n = 0;

    while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *) p;

            on_event(w, ev);
            p += sizeof(*ev) + ev->len;
        }
    }
}

/* --- pushing ------------------------------------------------------------------- */

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
static int filter_write(const char *file, const struct pathset *set,
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
static int list_write(const char *file, const struct pathset *set,
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
static int sentinel_read(const char *dir, char *id, size_t len)
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

static bool rsyncd(const struct watcher *w)
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

/* In the job child: runs argv, waits, returns its exit code (or 255). */
static int run_wait(const struct argv *a)
{
    pid_t pid = a->overflow ? -1 : fork();
    int status = 0;

    if (pid < 0) {
        return JOB_LOCAL_ERROR;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
        }
        execvp(a->v[0], (char *const *) a->v);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return JOB_LOCAL_ERROR;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
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
    if (rc != 0 && rc != 23) {
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
static void job_run(const struct watcher *w, const struct peer *p,
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

/* A quarantine session folder name nobody can guess ahead: the date, 64
 * random bits and the source node. */
static void stamp_new(const struct watcher *w, struct peer *p)
{
    time_t t = time(NULL);
    struct tm tm;
    char when[32];
    uint64_t rnd = 0;

    localtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d_%H%M%S", &tm);
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd)) {
        rnd = (uint64_t) ra_now_ms() ^ ((uint64_t) getpid() << 32);
    }
    snprintf(p->stamp, sizeof(p->stamp), "%s_%016llx_from_%s", when,
             (unsigned long long) rnd, w->o.node);
}

static void job_start(struct watcher *w, struct peer *p)
{
    bool full = p->full;
    enum push_mode mode = PUSH_FULL;
    pid_t pid = 0;
    int fd = -1;
    char pfx[PATH_MAX] = "";
    char lpfx[PATH_MAX] = "";
    int rc = 0;

    if (rsyncd(w)) {
        snprintf(pfx, sizeof(pfx), "/%s", w->dir_name);
        snprintf(lpfx, sizeof(lpfx), "%s/", w->dir_name);
    }
    if (!full) {
        rc = list_write(p->list_file, &p->pending, lpfx);
        mode = PUSH_LIST;
        if (rc == 0) {
            rc = filter_write(p->filter_file, &p->pending, pfx) == 0 ? 1 : -1;
            mode = PUSH_FILTER;
        }
        if (rc < 0) {
            peer_queue_full(p, p->pending_since);
            full = true;
            mode = PUSH_FULL;
        }
    }
    if (full || p->stamp[0] == '\0') {
        stamp_new(w, p);
    }
    pid = fork();
    if (pid < 0) {
        cs_text_copy(p->error, sizeof(p->error), "cannot fork");
        p->next_try = ra_now_ms() + BACKOFF_MAX_MS;
        return;
    }
    if (pid == 0) {
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        close(w->ifd);
        close(w->sfd);
        fd = open(p->err_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        job_run(w, p, mode);
        _exit(JOB_LOCAL_ERROR);
    }
    p->job = pid;
    p->inflight = p->pending;
    memset(&p->pending, 0, sizeof(p->pending));
    p->inflight_full = full;
    p->full = false;
    p->inflight_since = p->pending_since;
    p->pending_since = 0;
    ra_log_debug("push started | peer=%s full=%d paths=%zu", p->node, full,
                 p->inflight.count);
}

/* Last non-empty line of the job's error output. */
static void job_error_text(const struct peer *p, char *out, size_t len)
{
    char buf[4096];
    ssize_t n = 0;
    int fd = open(p->err_file, O_RDONLY | O_CLOEXEC);
    char *end = NULL;
    char *start = NULL;

    out[0] = '\0';
    if (fd < 0) {
        return;
    }
    if (lseek(fd, 0, SEEK_END) > (off_t) sizeof(buf) - 1) {
        lseek(fd, -(off_t) (sizeof(buf) - 1), SEEK_END);
    } else {
        lseek(fd, 0, SEEK_SET);
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return;
    }
    buf[n] = '\0';
    end = buf + n;
    while (end > buf && (end[-1] == '\n' || end[-1] == ' ')) {
        *--end = '\0';
    }
    /* Our own reason ("confsync: ...", from this program or the peer's
     * --receive) beats rsync's closing "rsync error: ..." line. */
    start = strstr(buf, "confsync: ");
    while (start != NULL && start != buf && start[-1] != '\n') {
        start = strstr(start + 1, "confsync: ");
    }
    if (start != NULL) {
        start[strcspn(start, "\n")] = '\0';
        cs_text_copy(out, len, start + strlen("confsync: "));
        return;
    }
    start = strrchr(buf, '\n');
    cs_text_copy(out, len, start != NULL ? start + 1 : buf);
}

static bool code_is_unreachable(int code)
{
    switch (code) {
    case 5: case 10: case 12: case 30: case 35: case 255:
        return true;
    default:
        return false;
    }
}

static void job_done(struct watcher *w, struct peer *p, int status)
{
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
    char text[CS_TEXT];
    bool was_full = p->inflight_full;
    long long now = ra_now_ms();

    p->job = 0;
    w->state_dirty = true;
    if (code == 0 || code == 24) {
        if (was_full) {
            sentinel_read(w->o.dir, p->verified_id, sizeof(p->verified_id));
        }
        if (p->failures > 0 || p->refused || was_full) {
            ra_log_notice("peer in sync | peer=%s full=%d", p->node, was_full);
        }
        pathset_free(&p->inflight);
        p->inflight_full = false;
        p->inflight_since = 0;
        p->failures = 0;
        p->reachable = true;
        p->refused = false;
        p->error[0] = '\0';
        p->last_ok_real = now_real_ms();
        return;
    }
    job_error_text(p, text, sizeof(text));
    if (text[0] == '\0') {
        snprintf(text, sizeof(text), "rsync exit %d", code);
    }
    if (strcmp(text, p->error) != 0) {
        ra_log_err("push failed, will retry | peer=%s code=%d error=%s",
                   p->node, code, text);
    }
    cs_text_copy(p->error, sizeof(p->error), text);
    p->refused = code == JOB_REFUSED_NO_SENTINEL || code == JOB_REFUSED_FOREIGN;
    p->reachable = !code_is_unreachable(code);
    /* Nothing is dropped: the batch goes back to the queue. */
    if (p->inflight_full || p->refused) {
        peer_queue_full(p, p->inflight_since);
        pathset_free(&p->inflight);
    } else {
        if (!peer_has_work(p)) {
            p->pending_since = p->inflight_since;
        } else if (p->inflight_since < p->pending_since) {
            p->pending_since = p->inflight_since;
        }
        if (p->full) {
            pathset_free(&p->inflight);
        } else {
            pathset_merge(&p->pending, &p->inflight);
        }
    }
    p->inflight_full = false;
    p->inflight_since = 0;
    p->failures++;
    if (w->draining && (!p->reachable || p->refused)) {
        p->gave_up = true;
        p->next_try = now;
    } else if (w->draining) {
        p->next_try = now + BACKOFF_MIN_MS;
    } else {
        long backoff = BACKOFF_MIN_MS;

        for (int i = 1; i < p->failures && backoff < BACKOFF_MAX_MS; i++) {
            backoff *= 2;
        }
        p->next_try = now + (backoff < BACKOFF_MAX_MS ? backoff : BACKOFF_MAX_MS);
    }
}

static void reap_jobs(struct watcher *w)
{
    pid_t pid = 0;
    int status = 0;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < w->npeers; i++) {
            if (w->peers[i].job == pid) {
                job_done(w, &w->peers[i], status);
            }
        }
    }
}

/* Starts due pushes; returns ms until the next one is due (-1: none). */
static long schedule(struct watcher *w)
{
    long long now = ra_now_ms();
    long next = -1;

    for (size_t i = 0; i < w->npeers; i++) {
        struct peer *p = &w->peers[i];
        long long due = 0;

        if (p->job > 0 || !peer_has_work(p) || p->gave_up) {
            continue;
        }
        due = p->pending_since + (w->draining ? 0 : w->o.delay);
        if (p->next_try > due) {
            due = p->next_try;
        }
        if (due <= now) {
            job_start(w, p);
            w->state_dirty = true;
        } else if (next < 0 || due - now < next) {
            next = (long) (due - now);
        }
    }
    return next;
}

static bool drained(const struct watcher *w)
{
    for (size_t i = 0; i < w->npeers; i++) {
        const struct peer *p = &w->peers[i];

        if (p->job > 0 || (peer_has_work(p) && !p->gave_up)) {
            return false;
        }
    }
    return true;
}

static bool drain_complete(const struct watcher *w)
{
    for (size_t i = 0; i < w->npeers; i++) {
        if (w->peers[i].gave_up) {
            return false;
        }
    }
    return true;
}

/* --- setup ------------------------------------------------------------------- */

static int on_signal(struct watcher *w)
{
    struct signalfd_siginfo si;

    while (read(w->sfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGCHLD:
            reap_jobs(w);
            break;
        case SIGTERM:
        case SIGINT:
            if (!w->draining) {
                ra_log_info("draining: flushing pending changes to the peers");
            }
            w->draining = true;
            w->state_dirty = true;
            break;
        case SIGUSR1:
            for (size_t i = 0; i < w->npeers; i++) {
                w->peers[i].next_try = 0;
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

static int peer_parse(struct watcher *w, const char *text, struct peer *p)
{
    struct cs_peer_spec spec;
    const char *why = NULL;

    memset(p, 0, sizeof(*p));
    if (cs_peer_parse(text, &spec, &why) != 0) {
        snprintf(w->error, sizeof(w->error), "bad peer %.64s: %s", text, why);
        return -EINVAL;
    }
    p->node = strdup(spec.node);
    p->host = strdup(spec.host);
    p->port = spec.port[0] != '\0' ? strdup(spec.port) : NULL;
    if (p->node == NULL || p->host == NULL
        || (spec.port[0] != '\0' && p->port == NULL)) {
        return -ENOMEM;
    }
    p->reachable = true;
    if (snprintf(p->err_file, sizeof(p->err_file), "%s.%s.err", w->o.state,
                 p->node) >= (int) sizeof(p->err_file) - 8) {
        return -ENAMETOOLONG;   /* and so the other names below */
    }
    snprintf(p->filter_file, sizeof(p->filter_file), "%s.%s.filter",
             w->o.state, p->node);
    snprintf(p->id_file, sizeof(p->id_file), "%s.%s.id", w->o.state, p->node);
    snprintf(p->list_file, sizeof(p->list_file), "%s.%s.list", w->o.state,
             p->node);
    return 0;
}

static void peers_free(struct watcher *w)
{
    for (size_t i = 0; i < w->npeers; i++) {
        struct peer *p = &w->peers[i];

        pathset_free(&p->pending);
        pathset_free(&p->inflight);
        unlink(p->err_file);
        unlink(p->filter_file);
        unlink(p->list_file);
        unlink(p->id_file);
        free(p->node);
        free(p->host);
        free(p->port);
    }
    free(w->peers);
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

static int transport_setup(struct watcher *w)
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
        if (w->source && secrets_load(w) != 0) {
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

static void usage(void)
{
    fprintf(stderr, "usage: confsync-watcher --role source|receiver --dir DIR "
            "--state FILE --node NAME [--instance I] [--quarantine DIR] "
            "[--transport ssh|rsyncd] [--ssh-user U] [--ssh-key F] "
            "[--known-hosts F] [--rsyncd-port N] [--secrets-file F] "
            "[--delay MS] [--exclude PATTERN]... [--peer NODE=ADDR]...\n");
}

static int opts_parse(struct watcher *w, int argc, char **argv, char ***peer_specs,
                      size_t *npeer_specs)
{
    static const struct option longopts[] = {
        { "instance", required_argument, NULL, 'I' },
        { "node", required_argument, NULL, 'n' },
        { "role", required_argument, NULL, 'r' },
        { "dir", required_argument, NULL, 'd' },
        { "state", required_argument, NULL, 's' },
        { "quarantine", required_argument, NULL, 'q' },
        { "transport", required_argument, NULL, 't' },
        { "ssh-user", required_argument, NULL, 'u' },
        { "ssh-key", required_argument, NULL, 'k' },
        { "known-hosts", required_argument, NULL, 'K' },
        { "rsyncd-port", required_argument, NULL, 'P' },
        { "secrets-file", required_argument, NULL, 'S' },
        { "delay", required_argument, NULL, 'D' },
        { "exclude", required_argument, NULL, 'x' },
        { "peer", required_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 },
    };
    struct opts *o = &w->o;
    int c = 0;

    o->instance = "confsync";
    o->transport = "ssh";
    o->ssh_user = "root";
    o->ssh_key = "";
    o->known_hosts = "";
    o->rsyncd_port = "8730";
    o->secrets_file = "";
    o->quarantine = "";
    o->delay = 100;
    o->rescan_ms = RESCAN_MS;
    o->excludes = calloc((size_t) argc + 1, sizeof(char *));
    *peer_specs = calloc((size_t) argc + 1, sizeof(char *));
    if (o->excludes == NULL || *peer_specs == NULL) {
        return -ENOMEM;
    }
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'I': o->instance = optarg; break;
        case 'n': o->node = optarg; break;
        case 'r': o->role = optarg; break;
        case 'd': o->dir = optarg; break;
        case 's': o->state = optarg; break;
        case 'q': o->quarantine = optarg; break;
        case 't': o->transport = optarg; break;
        case 'u': o->ssh_user = optarg; break;
        case 'k': o->ssh_key = optarg; break;
        case 'K': o->known_hosts = optarg; break;
        case 'P': o->rsyncd_port = optarg; break;
        case 'S': o->secrets_file = optarg; break;
        case 'D': o->delay = strtol(optarg, NULL, 10); break;
        case 'x': o->excludes[o->nexcludes++] = optarg; break;
        case 'p': (*peer_specs)[(*npeer_specs)++] = optarg; break;
        default:
            return -EINVAL;
        }
    }
    if (o->role == NULL || o->dir == NULL || o->state == NULL
        || o->node == NULL || optind != argc
        || (strcmp(o->role, "source") != 0 && strcmp(o->role, "receiver") != 0)
        || o->delay < 0) {
        return -EINVAL;
    }
    w->source = strcmp(o->role, "source") == 0;
    return 0;
}

/* Checks the exclude patterns and writes them as the filter file every
 * push merges (any number of them, never on rsync's argv). */
static int excludes_setup(struct watcher *w)
{
    const char *why = NULL;
    const char *bad = NULL;
    char prefix[PATH_MAX] = "";
    char *text = NULL;
    size_t len = 0;
    int rc = cs_excludes_build(&w->ex, (const char *const *) w->o.excludes,
                               w->o.nexcludes, &why, &bad);

    if (rc != 0) {
        snprintf(w->error, sizeof(w->error), "bad exclude pattern %.64s: %s",
                 bad != NULL ? bad : "", why != NULL ? why : strerror(-rc));
        return rc;
    }
    if (!w->source || w->ex.n == 0) {
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

static int setup(struct watcher *w, char **peer_specs, size_t npeer_specs)
{
    sigset_t mask;

    w->peers = calloc(npeer_specs + 1, sizeof(*w->peers));
    if (w->peers == NULL) {
        return -ENOMEM;
    }
    if (w->source) {
        for (size_t i = 0; i < npeer_specs && i < CS_MAX_PEERS; i++) {
            if (peer_parse(w, peer_specs[i], &w->peers[w->npeers++]) != 0) {
                return -EINVAL;
            }
        }
    }
    if (transport_setup(w) != 0) {
        return -EINVAL;
    }
    if (excludes_setup(w) != 0) {
        return -EINVAL;
    }
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGPIPE);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) {
        return -errno;
    }
    sigdelset(&mask, SIGHUP);
    sigdelset(&mask, SIGPIPE);
    w->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->sfd < 0 || w->ifd < 0) {
        return -errno;
    }
    if (watch_tree(w, "", true) != 0 || w->root_wd < 0) {
        snprintf(w->error, sizeof(w->error), "cannot watch %s", w->o.dir);
        return -ENOENT;
    }
    if (w->source) {
        /* A new source first does a full sync to every peer. */
        queue_all_full(w);
    }
    return 0;
}

static void loop(struct watcher *w)
{
    struct pollfd fds[2];

    state_write(w, CS_PHASE_RUNNING);
    while (!w->fatal) {
        long next = w->source ? schedule(w) : -1;
        long long now = ra_now_ms();
        long timeout = STATE_EVERY_MS;

        if (w->draining && drained(w)) {
            break;
        }
        unwatched_check(w);
        if (w->state_dirty && now - w->state_written >= STATE_DIRTY_MS) {
            state_write(w, w->draining ? CS_PHASE_DRAINING : CS_PHASE_RUNNING);
        } else if (now - w->state_written >= STATE_EVERY_MS) {
            state_write(w, w->draining ? CS_PHASE_DRAINING : CS_PHASE_RUNNING);
        }
        if (w->state_dirty) {
            timeout = STATE_DIRTY_MS;
        }
        if (next >= 0 && next < timeout) {
            timeout = next;
        }
        if (w->draining && !w->source) {
            break;
        }
        fds[0].fd = w->ifd;
        fds[0].events = POLLIN;
        fds[1].fd = w->sfd;
        fds[1].events = POLLIN;
        if (poll(fds, 2, (int) timeout) < 0 && errno != EINTR) {
            snprintf(w->error, sizeof(w->error), "poll: %s", strerror(errno));
            w->fatal = true;
            break;
        }
        if (fds[1].revents & POLLIN) {
            on_signal(w);
        }
        if (fds[0].revents & POLLIN) {
            read_events(w);
        }
    }
}

int main(int argc, char **argv)
{
    struct watcher w;
    char **peer_specs = NULL;
    size_t npeer_specs = 0;
    int rc = 1;

    if (argc > 1 && strcmp(argv[1], "--receive") == 0) {
        return cs_receive_main(argc, argv);
    }
    memset(&w, 0, sizeof(w));
    w.ifd = -1;
    w.sfd = -1;
    w.root_wd = -1;
    if (opts_parse(&w, argc, argv, &peer_specs, &npeer_specs) != 0) {
        usage();
        free(w.o.excludes);
        free(peer_specs);
        return 2;
    }
    ra_log_init("confsync", w.o.instance, w.source ? "source" : "receiver");
    if (setup(&w, peer_specs, npeer_specs) != 0) {
        if (w.error[0] == '\0') {
            snprintf(w.error, sizeof(w.error), "bad arguments or setup failure");
        }
        ra_log_err("cannot start the watcher: %s | dir=%s", w.error, w.o.dir);
        state_write(&w, CS_PHASE_FAILED);
        goto done;
    }
    ra_log_info("watching | dir=%s role=%s peers=%zu", w.o.dir, w.o.role,
                w.npeers);
    loop(&w);
    if (w.fatal) {
        ra_log_err("watcher failed: %s | dir=%s", w.error, w.o.dir);
        for (size_t i = 0; i < w.npeers; i++) {
            if (w.peers[i].job > 0) {
                kill(w.peers[i].job, SIGTERM);
            }
        }
        state_write(&w, CS_PHASE_FAILED);
        goto done;
    }
    rc = drain_complete(&w) ? 0 : 3;
    if (rc != 0) {
        cs_text_copy(w.error, sizeof(w.error),
                     "flush incomplete: a peer was unreachable");
    }
    state_write(&w, CS_PHASE_DONE);
    ra_log_info("watcher stopped | flushed=%s", rc == 0 ? "all peers" : "partly");
done:
    peers_free(&w);
    for (size_t i = 0; i < w.wd_cap; i++) {
        free(w.wd_path[i]);
    }
    free(w.wd_path);
    if (w.ifd >= 0) {
        close(w.ifd);
    }
    if (w.sfd >= 0) {
        close(w.sfd);
    }
    if (w.excludes_file[0] != '\0') {
        unlink(w.excludes_file);
    }
    cs_excludes_free(&w.ex);
    free(w.o.excludes);
    free(peer_specs);
    ra_log_fini();
    return rc;
}
