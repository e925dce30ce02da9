/* watcher.h: what the files of confsync-watcher share (internal to that
 * program): the watcher, a peer and its queues, the path set, and the
 * functions each file offers the others.  Licence: GPL-2.0-or-later. */
#ifndef CS_WATCHER_H
#define CS_WATCHER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "cs_config.h"
#include "cs_state.h"
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

/* Job exit codes of the mass-delete guard (before rsync is executed). */
#define JOB_REFUSED_NO_SENTINEL 120
#define JOB_REFUSED_FOREIGN     121
#define JOB_LOCAL_ERROR         CS_RECEIVE_FAILED

/* A set of relative paths with flags (open addressing, FNV-1a). */
struct pathset {
    char **keys;
    unsigned char *flags;
    size_t cap;
    size_t count;
};

/* A peer: its queue and its push (push.c tells its states, and which
 * function changes which field). */
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

/* The watcher: options, inotify, peers, and what the state file reports. */
struct watcher {
    struct cs_config o;         /* what the agent said (cs_config.h) */
    long rescan_ms;             /* folders left unwatched: full resync period */
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

/* Wall-clock ms (the state file's *_real_ms fields). */
static inline long long now_real_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- pathset.c: the set of queued paths ---------------------------------- */

void pathset_free(struct pathset *s);
/* Adds a copy of path (flags or-ed into an entry already there): 0 or
 * -ENOMEM. */
int pathset_add(struct pathset *s, const char *path, unsigned char flags);
/* Moves every entry of from into to (from is left empty). */
void pathset_merge(struct pathset *to, struct pathset *from);
/* buf = a "/" b (either may be ""): 0 or -ENAMETOOLONG. */
int path_join(char *buf, size_t len, const char *a, const char *b);

/* --- transport.c: rsync over ssh or to a daemon --------------------------- */

/* The exit codes of rsync (rsync(1), EXIT VALUES) that a push's verdict reads;
 * a job's own codes are the JOB_* above. */
enum rsync_exit {
    RSYNC_OK = 0,               /* success */
    RSYNC_ERR_START = 5,        /* error starting the client-server protocol */
    RSYNC_ERR_SOCKET = 10,      /* error in socket I/O */
    RSYNC_ERR_STREAM = 12,      /* error in the protocol data stream */
    RSYNC_PARTIAL = 23,         /* partial transfer due to error */
    RSYNC_VANISHED = 24,        /* partial transfer: source files vanished */
    RSYNC_ERR_TIMEOUT = 30,     /* timeout in data send/receive (--timeout) */
    RSYNC_ERR_CONTIMEOUT = 35,  /* timeout waiting for the daemon connection */
    RSYNC_ERR_SHELL = 255,      /* ssh failed; here also: killed by a signal */
};

/* True with transport=rsyncd (else ssh). */
bool rsyncd(const struct watcher *w);
/* Include rules for the batch set (prefix: "" or "/<dir name>"): 0, or
 * -EINVAL (a path rsync cannot be told), -E2BIG (too many rules), -errno. */
int filter_write(const char *file, const struct pathset *set,
                 const char *prefix);
/* The batch as a --files-from list: 1 when written, 0 when it needs include
 * rules (a subtree or a deletion), or -errno. */
int list_write(const char *file, const struct pathset *set, const char *prefix);
/* The sentinel id of the folder dir ("" if absent): 0 or -errno. */
int sentinel_read(const char *dir, char *id, size_t len);
/* In a push's child: the guard (a full sync) or the sentinel check (a
 * batch), then exec rsync; never returns. */
void job_run(const struct watcher *w, const struct peer *p,
             enum push_mode mode);
/* The ssh command (and this program's path) or, for rsyncd, the folder's
 * parent and names and the daemon's user: 0 or -EINVAL. */
int transport_setup(struct watcher *w);
/* Checks the excludes and writes them as the filter file every push
 * merges: 0 or -errno (w->error set). */
int excludes_setup(struct watcher *w);

/* --- push.c: a peer's push state machine --------------------------------- */

/* Queues rel for p (a full sync when the queue is full or out of memory). */
void peer_queue(struct peer *p, const char *rel, unsigned char flags,
                long long now);
/* Queues a full sync for p (the queued paths are dropped: it covers them). */
void peer_queue_full(struct peer *p, long long now);
/* When p's oldest unsent change was queued (monotonic ms), 0 if none. */
long long peer_oldest(const struct peer *p);
/* Collects the finished pushes (SIGCHLD). */
void reap_jobs(struct watcher *w);
/* Starts due pushes; returns ms until the next one is due (-1: none). */
long schedule(struct watcher *w);
/* Draining: no push in flight and nothing left that is waited for. */
bool drained(const struct watcher *w);
/* Draining is over and no peer was given up. */
bool drain_complete(const struct watcher *w);

/* --- engine.c: the folder's watches and events ---------------------------- */

/* Watches rel and every folder below it (all: read the folders already
 * watched too): 0 or -ENOMEM. */
int watch_tree(struct watcher *w, const char *rel, bool all);
/* Queues a full sync for every peer. */
void queue_all_full(struct watcher *w);
/* Reports folders left unwatched once, and runs the periodic rescans. */
void unwatched_check(struct watcher *w);
/* Reads and handles the pending inotify events. */
void read_events(struct watcher *w);

#endif
