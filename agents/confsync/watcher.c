/* watcher.c: confsync-watcher, the long-running half of ocf:ctfreak:confsync.
 * As a source it follows the folder with inotify and pushes batches of
 * changes to every peer with rsync (argv exec, never a shell); as a receiver
 * it notices local writes into the folder.  Licence: GPL-2.0-or-later. */
#include "config.h"

#include "watcher.h"

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
#define PENDING_CAP     100000  /* more queued paths than this: full sync */
#define BACKOFF_MIN_MS  250
#define BACKOFF_MAX_MS  5000
#define STATE_EVERY_MS  1000
#define STATE_DIRTY_MS  200
#define RESCAN_MS       10000   /* folders left unwatched: full resync period */

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE \
                    | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO \
                    | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR \
                    | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

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
