/* push.c: a peer's push state machine in confsync-watcher: its queue, the
 * push in flight (a child that runs rsync), the verdict, retries with
 * backoff, and draining at stop.  Licence: GPL-2.0-or-later.
 *
 * A peer is in one of five states, read from its fields:
 *
 *   IDLE     nothing queued, no push:   !full, pending empty, job == 0
 *   QUEUED   changes wait, no push:     full or pending, job == 0; due at
 *            max(pending_since + delay (0 when draining), next_try)
 *   PUSHING  a push is in flight:       job > 0; its batch is in inflight
 *            (inflight_full: a full sync); new changes queue in pending
 *   BACKOFF  QUEUED after failures:     failures > 0, next_try ahead
 *   GAVE_UP  draining only, final:      gave_up (unreachable or refused)
 *
 * Transitions (function, file):
 *   IDLE -> QUEUED      peer_queue / peer_queue_full, from the events,
 *                       an overflow or a rescan (queue_all*, engine.c) and a
 *                       new source's first full sync (setup, watcher.c):
 *                       pending_since = now; past PENDING_CAP paths the queue
 *                       becomes a full sync.
 *   QUEUED -> PUSHING   schedule, once due -> job_start: pending moves to
 *                       inflight (a batch that cannot be written as a list
 *                       or filter becomes a full sync); a new quarantine
 *                       stamp for a full sync or the first push.  A failed
 *                       fork stays QUEUED, next_try = now + BACKOFF_MAX_MS.
 *   PUSHING -> IDLE     reap_jobs -> job_done, rsync succeeded (or only
 *   (or QUEUED)         files vanished): failures = 0, reachable, not
 *                       refused, error cleared, last_ok_real = now, and
 *                       after a full sync verified_id = the folder's id.
 *   PUSHING -> BACKOFF  job_done, any other exit: the batch goes back to the
 *                       queue (merged into pending, or a full sync when it
 *                       was one or the guard refused), pending_since keeps
 *                       the oldest change; error, reachable, refused set;
 *                       failures++ and next_try = now + 250 ms doubling up
 *                       to 5 s (draining: 250 ms).
 *   PUSHING -> GAVE_UP  job_done while draining, the peer unreachable or
 *                       refused: not waited for (the exit code says 3).
 *   BACKOFF -> QUEUED   SIGUSR1 (on_signal, watcher.c; the agent sends it
 *                       after a peer started): next_try = 0, retry now.
 *
 * The watcher's loop ends, draining, when drained(): no push in flight and
 * every peer IDLE or GAVE_UP.  Only this file changes the lifecycle fields,
 * but for peer_parse (watcher.c: a new peer is IDLE and reachable) and
 * next_try on SIGUSR1; state_write (watcher.c) reports them. */
#include "config.h"

#include "watcher.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "deadline.h"
#include "run.h"

#define PENDING_CAP     100000  /* more queued paths than this: full sync */
#define BACKOFF_MIN_MS  250
#define BACKOFF_MAX_MS  5000

static bool peer_has_work(const struct peer *p)
{
    return p->full || p->pending.count > 0;
}

void peer_queue(struct peer *p, const char *rel, unsigned char flags,
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

void peer_queue_full(struct peer *p, long long now)
{
    if (!peer_has_work(p)) {
        p->pending_since = now;
    }
    pathset_free(&p->pending);
    p->full = true;
}

long long peer_oldest(const struct peer *p)
{
    long long a = peer_has_work(p) ? p->pending_since : 0;
    long long b = p->job > 0 ? p->inflight_since : 0;

    if (a == 0) {
        return b;
    }
    return (b != 0 && b < a) ? b : a;
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

/* The push child (run.c's ra_spawn): stderr into the peer's err_file,
 * read back by job_error_text for the verdict. */
struct job_arg {
    const struct watcher *w;
    const struct peer *p;
    enum push_mode mode;
};

static int job_child(void *arg)
{
    const struct job_arg *job = arg;

    job_run(job->w, job->p, job->mode);
    return JOB_LOCAL_ERROR;
}

static void job_start(struct watcher *w, struct peer *p)
{
    bool full = p->full;
    enum push_mode mode = PUSH_FULL;
    pid_t pid = 0;
    struct job_arg job;
    struct ra_spawn_opts spawn = { .err_file = NULL };
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
    job.w = w;
    job.p = p;
    job.mode = mode;
    spawn.err_file = p->err_file;
    if (ra_spawn(job_child, &job, &spawn, &pid) != 0) {
        cs_text_copy(p->error, sizeof(p->error), "cannot fork");
        p->next_try = ra_now_ms() + BACKOFF_MAX_MS;
        return;
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
    case RSYNC_ERR_START:
    case RSYNC_ERR_SOCKET:
    case RSYNC_ERR_STREAM:
    case RSYNC_ERR_TIMEOUT:
    case RSYNC_ERR_CONTIMEOUT:
    case RSYNC_ERR_SHELL:
        return true;
    default:
        return false;
    }
}

static void job_done(struct watcher *w, struct peer *p, int status)
{
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : RSYNC_ERR_SHELL;
    char text[CS_TEXT];
    bool was_full = p->inflight_full;
    long long now = ra_now_ms();

    p->job = 0;
    w->state_dirty = true;
    if (code == RSYNC_OK || code == RSYNC_VANISHED) {
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

void reap_jobs(struct watcher *w)
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
long schedule(struct watcher *w)
{
    long long now = ra_now_ms();
    long next = -1;

    for (size_t i = 0; i < w->npeers; i++) {
        struct peer *p = &w->peers[i];
        long long due = 0;

        if (p->job > 0 || !peer_has_work(p) || p->gave_up) {
            continue;
        }
        due = p->pending_since + (w->draining ? 0 : w->o.delay_ms);
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

bool drained(const struct watcher *w)
{
    for (size_t i = 0; i < w->npeers; i++) {
        const struct peer *p = &w->peers[i];

        if (p->job > 0 || (peer_has_work(p) && !p->gave_up)) {
            return false;
        }
    }
    return true;
}

bool drain_complete(const struct watcher *w)
{
    for (size_t i = 0; i < w->npeers; i++) {
        if (w->peers[i].gave_up) {
            return false;
        }
    }
    return true;
}
