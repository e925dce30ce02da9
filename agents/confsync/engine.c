/* engine.c: confsync-watcher's view of the folder: inotify watches on every
 * folder of the tree, its events turned into paths queued for every peer,
 * and the full resyncs after lost events (queue overflow, folders left
 * unwatched at the watch limit).  Licence: GPL-2.0-or-later. */
#include "config.h"

#include "watcher.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "deadline.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE \
                    | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO \
                    | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR \
                    | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

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
int watch_tree(struct watcher *w, const char *rel, bool all)
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

void queue_all_full(struct watcher *w)
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
    if (w->o.source) {
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
    if (w->o.source) {
        queue_all_full(w);
    }
    w->state_dirty = true;
    w->rescan_at = w->unwatched > 0 ? ra_now_ms() + w->rescan_ms : 0;
    if (w->unwatched == 0) {
        ra_log_notice("every folder is watched again (was %ld unwatched)",
                      before);
    }
}

/* Reports folders left unwatched once, and schedules the rescans. */
void unwatched_check(struct watcher *w)
{
    if (w->unwatched > 0 && w->rescan_at == 0) {
        ra_log_err("inotify watch limit reached (fs.inotify.max_user_watches): "
                   "%ld folder(s) not watched, full resync every %ld s",
                   w->unwatched, w->rescan_ms / 1000);
        w->rescan_at = ra_now_ms() + w->rescan_ms;
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
    if (!w->o.source) {
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

void read_events(struct watcher *w)
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
