/* cs_state.h: the confsync watcher's state file, written by the watcher and
 * read by the agent's monitor without forking.  Licence: GPL-2.0-or-later. */
#ifndef CS_STATE_H
#define CS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CS_MAX_PEERS 16
#define CS_TEXT 256

/* The name of the sentinel file that identifies a replicated folder. */
#define CS_SENTINEL ".confsync-id"

enum cs_phase {
    CS_PHASE_STARTING,      /* setting up watches */
    CS_PHASE_RUNNING,       /* watching (and pushing, for a source) */
    CS_PHASE_DRAINING,      /* flushing before exit (demote/stop) */
    CS_PHASE_DONE,          /* exited cleanly, everything reachable flushed */
    CS_PHASE_FAILED,        /* exited on a fatal error */
};

struct cs_peer_state {
    char node[64];
    char addr[128];
    long pending;               /* paths queued for this peer (-1: full sync) */
    long long oldest_mono_ms;   /* oldest unacknowledged change, 0 if none */
    long long last_ok_real_ms;  /* wall clock of the last good push, 0 never */
    bool reachable;             /* last attempt reached the peer */
    bool refused;               /* the mass-delete guard refuses to push */
    char error[CS_TEXT];        /* last error, "" when the last push worked */
};

struct cs_state {
    pid_t pid;
    char role[16];              /* "source" or "receiver" */
    enum cs_phase phase;
    long long updated_mono_ms;  /* heartbeat */
    char error[CS_TEXT];        /* fatal or general error */
    long unwatched;             /* folders inotify could not watch (limit) */
    /* receiver */
    long long received_real_ms; /* last file the sync renamed into place */
    long local_writes;          /* writes not made by rsync */
    char local_write_path[CS_TEXT];
    /* source */
    size_t npeers;
    struct cs_peer_state peers[CS_MAX_PEERS];
};

const char *cs_phase_str(enum cs_phase p);

/* Writes st to path atomically (temp file + rename).  Returns 0 or -errno. */
int cs_state_write(const char *path, const struct cs_state *st);

/* Reads path into st.  Returns 0, -ENOENT when absent, -EINVAL when garbled. */
int cs_state_read(const char *path, struct cs_state *st);

/* Oldest unacknowledged change over all peers (0 if none). */
long long cs_state_oldest_ms(const struct cs_state *st);
/* Sum of pending paths over all peers; a pending full sync counts 1. */
long cs_state_pending(const struct cs_state *st);

/* Changes younger than this are "in-sync": under a steady load a file is
 * always in flight, and a class that flipped with it would be an attribute
 * change (and a scheduler run) at every monitor. */
#define CS_PENDING_MS 5000

/* The lag class the source shows in crm_mon -A (confsync-lag), from the age
 * of its oldest unacknowledged change (0: none) and lag_threshold:
 * "in-sync" (nothing older than CS_PENDING_MS), "pending", "behind" (older
 * than the threshold: the monitor is degraded too). */
const char *cs_lag_class(long long lag_ms, long long threshold_ms);

/* Copies src into dst (size len), replacing newlines, always terminated. */
void cs_text_copy(char *dst, size_t len, const char *src);

#endif
