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
#define STATE_EVERY_MS  1000
#define STATE_DIRTY_MS  200
#define RESCAN_MS       10000   /* folders left unwatched: full resync period */

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE \
                    | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO \
                    | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR \
                    | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

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
