/* daemons.h: the processes the confsync agent runs, its watcher and the
 * rsync daemon (transport=rsyncd), and the per-resource files they use
 * under HA_RSCTMP.  Licence: GPL-2.0-or-later. */
#ifndef CS_DAEMONS_H
#define CS_DAEMONS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "ra.h"
#include "validate.h"

/* Per-resource files under HA_RSCTMP. */
struct cs_paths {
    char role[PATH_MAX];
    char state[PATH_MAX];
    char pid[PATH_MAX];
    char log[PATH_MAX];
    char rsyncd_pid[PATH_MAX];
    char rsyncd_conf[PATH_MAX];
    char rsyncd_log[PATH_MAX];
    char repeat[PATH_MAX];
};

/* The file names of the resource's instance: 0 or -errno. */
int paths_init(const struct ra_ctx *ctx, struct cs_paths *p);
/* The role file: "promoted", "unpromoted", or "" when stopped. */
void role_read(const struct cs_paths *p, char *role, size_t len);
int role_write(const struct cs_paths *p, const char *role);

/* The pid of the resource's watcher or rsync daemon, or <= 0. */
pid_t watcher_locate(const struct cs_cfg *cfg, const struct cs_paths *p);
pid_t rsyncd_locate(const struct cs_cfg *cfg, const struct cs_paths *p);

/* Starts the watcher as the source or a receiver and waits for its first
 * state.  Returns an OCF code (reason printed). */
int watcher_launch(struct ra_ctx *ctx, const struct cs_cfg *cfg,
                   const struct cs_paths *p, bool source);
/* Stops the watcher (a source flushes first), leaving reserve_ms of the
 * action's time. */
void watcher_stop(struct ra_ctx *ctx, const struct cs_cfg *cfg,
                  const struct cs_paths *p, long reserve_ms);

/* Writes the daemon's configuration and starts it unless it runs.  Returns
 * an OCF code (reason printed). */
int rsyncd_start(struct ra_ctx *ctx, const struct cs_cfg *cfg,
                 const struct cs_paths *p);
void rsyncd_stop(struct ra_ctx *ctx, const struct cs_cfg *cfg,
                 const struct cs_paths *p);

#endif
