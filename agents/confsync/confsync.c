/* confsync.c: ocf:ctfreak:confsync, replication of the CTFreak config folder
 * that follows the promoted role (promoted = source, unpromoted = receiver).
 * This file is the OCF contract: the actions and their sequencing;
 * validate.c checks the parameters, daemons.c runs the watcher and the
 * rsync daemon.  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ra.h"
#include "log.h"
#include "attr.h"
#include "cs_state.h"
#include "fsafe.h"
#include "validate.h"
#include "daemons.h"

extern const char confsync_metadata[];
extern const struct ra_param_def confsync_params[];

#define HEARTBEAT_STALE_MS 30000
#define STOP_MARGIN_MS 1500
#define ATTR_LAG "confsync-lag"
#define ATTR_PENDING "confsync-pending"
#define ATTR_LAST_SYNC "confsync-last-sync"

/* --- the receiver -------------------------------------------------------------------- */

/* The promotion score: every healthy instance may become the source (the
 * colocation with the database primary picks the node); a folder that never
 * got the sentinel (fresh or wiped) is the last choice.  Cached: a steady
 * monitor forks nothing. */
static void promotion_score_set(struct ra_ctx *ctx, const struct cs_cfg *cfg)
{
    char sentinel[PATH_MAX];
    struct stat sb;

    snprintf(sentinel, sizeof(sentinel), "%s/%s", cfg->dir, CS_SENTINEL);
    ra_attr_set(ctx, RA_ATTR_PROMOTION, "promotion", NULL,
                stat(sentinel, &sb) == 0 ? "10" : "1");
}

/* Creates the missing folder path in its parent (which another user may
 * own: reached without following that user's links). */
static int dir_create(const char *path)
{
    const char *name = NULL;
    int pfd = ra_dir_open_parent(path, &name);
    int rc = 0;

    if (pfd < 0) {
        return pfd;
    }
    rc = mkdirat(pfd, name, 0750) == 0 ? 0 : -errno;
    close(pfd);
    return rc;
}

/* With rsyncd the daemon runs as the folder's owner, chrooted to its
 * parent: it cannot create the quarantine there when root owns the parent.
 * A missing quarantine is made here and given to the folder's owner (a
 * folder we just created, opened without following a link); an existing
 * one is left as it is. */
static int quarantine_prepare(const struct cs_cfg *cfg)
{
    const char *name = NULL;
    struct stat owner;
    int pfd;
    int fd;
    int rc = 0;

    if (lstat(cfg->dir, &owner) != 0) {
        return -errno;
    }
    pfd = ra_dir_open_parent(cfg->quarantine, &name);
    if (pfd < 0) {
        return pfd;
    }
    if (mkdirat(pfd, name, 0750) != 0) {
        rc = errno == EEXIST ? 0 : -errno;
        close(pfd);
        return rc;
    }
    fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fchown(fd, owner.st_uid, owner.st_gid) != 0) {
        rc = -errno;
    }
    if (fd >= 0) {
        close(fd);
    }
    close(pfd);
    return rc;
}

static int receiver_start(struct ra_ctx *ctx, const struct cs_cfg *cfg,
                          const struct cs_paths *p)
{
    struct stat sb;
    int rc = OCF_SUCCESS;

    if (lstat(cfg->dir, &sb) != 0) {
        rc = dir_create(cfg->dir);
        if (rc != 0) {
            ra_exit_reason("cannot create %s: %s", cfg->dir, strerror(-rc));
            return OCF_ERR_GENERIC;
        }
    } else if (!S_ISDIR(sb.st_mode) && stat(cfg->dir, &sb) != 0) {
        ra_exit_reason("%s is not a folder", cfg->dir);
        return OCF_ERR_GENERIC;
    } else if (!S_ISDIR(sb.st_mode)) {
        ra_exit_reason("%s is not a folder", cfg->dir);
        return OCF_ERR_GENERIC;
    }
    if (cfg->rsyncd) {
        rc = quarantine_prepare(cfg);
        if (rc != 0) {
            ra_exit_reason("cannot create the quarantine %s: %s",
                           cfg->quarantine, strerror(-rc));
            return OCF_ERR_GENERIC;
        }
        rc = rsyncd_start(ctx, cfg, p);
    }
    if (rc == OCF_SUCCESS && watcher_locate(cfg, p) <= 0) {
        rc = watcher_launch(ctx, cfg, p, false);
    }
    if (rc == OCF_SUCCESS && role_write(p, "unpromoted") != 0) {
        ra_exit_reason("cannot write %s", p->role);
        rc = OCF_ERR_GENERIC;
    }
    if (rc == OCF_SUCCESS) {
        promotion_score_set(ctx, cfg);
    }
    return rc;
}

static void attrs_clear(struct ra_ctx *ctx)
{
    ra_attr_del(ctx, RA_ATTR_TRANSIENT, ATTR_LAG, NULL);
    ra_attr_del(ctx, RA_ATTR_TRANSIENT, ATTR_PENDING, NULL);
    ra_attr_del(ctx, RA_ATTR_TRANSIENT, ATTR_LAST_SYNC, NULL);
}

/* --- actions ---------------------------------------------------------------------- */

struct action_env {
    struct cs_cfg cfg;
    struct cs_paths paths;
};

static int env_open(struct ra_ctx *ctx, struct action_env *e)
{
    int rc = cfg_load(ctx, &e->cfg);

    if (rc != OCF_SUCCESS) {
        return rc;
    }
    if (paths_init(ctx, &e->paths) != 0) {
        ra_exit_reason("cannot use %s", ctx->rsctmp);
        return OCF_ERR_GENERIC;
    }
    return OCF_SUCCESS;
}

static int confsync_validate(struct ra_ctx *ctx)
{
    struct action_env e;
    int rc = env_open(ctx, &e);

    cfg_free(&e.cfg);
    return rc;
}

/* Publishes the lag class, nothing else: an exact lag, a pending count or
 * a last-sync time changes under any load, and every change is an attrd
 * write and a scheduler run (the cache skips unchanged values).  The
 * monitor's exit reason gives the figures when the lag passes the
 * threshold.  confsync-pending and confsync-last-sync are deleted for
 * clusters upgraded from a version that showed them. */
static void attrs_publish(struct ra_ctx *ctx, long long lag_ms,
                          long long threshold_ms)
{
    ra_attr_set(ctx, RA_ATTR_TRANSIENT, ATTR_LAG, NULL,
                cs_lag_class(lag_ms, threshold_ms));
    ra_attr_del(ctx, RA_ATTR_TRANSIENT, ATTR_PENDING, NULL);
    ra_attr_del(ctx, RA_ATTR_TRANSIENT, ATTR_LAST_SYNC, NULL);
}

/* Folders inotify has no watch left for (fs.inotify.max_user_watches). */
static void unwatched_text(const struct cs_state *st, char *why, size_t len)
{
    snprintf(why, len, "%ld folder(s) not watched: inotify watch limit "
             "reached (raise fs.inotify.max_user_watches); full resync every "
             "10 s meanwhile", st->unwatched);
}

static int source_health(struct ra_ctx *ctx, const struct action_env *e,
                         const struct cs_state *st)
{
    long long oldest = cs_state_oldest_ms(st);
    long long lag = oldest > 0 ? ra_now_ms() - oldest : 0;
    long pending = cs_state_pending(st);
    char why[512] = "";

    attrs_publish(ctx, lag, e->cfg.lag_ms);
    if (st->npeers == 0) {
        snprintf(why, sizeof(why), "no peer to replicate to");
    } else if (st->unwatched > 0) {
        unwatched_text(st, why, sizeof(why));
    }
    for (size_t i = 0; i < st->npeers && why[0] == '\0'; i++) {
        const struct cs_peer_state *ps = &st->peers[i];

        if (ps->refused) {
            snprintf(why, sizeof(why), "not replicating to %s: %s", ps->node,
                     ps->error);
        } else if (!ps->reachable) {
            snprintf(why, sizeof(why), "peer %s unreachable: %s", ps->node,
                     ps->error);
        }
    }
    if (why[0] == '\0' && lag > e->cfg.lag_ms) {
        const struct cs_peer_state *failing = NULL;

        for (size_t i = 0; i < st->npeers && failing == NULL; i++) {
            failing = st->peers[i].error[0] != '\0' ? &st->peers[i] : NULL;
        }
        snprintf(why, sizeof(why), "replication lag %lld s over %ld s "
                 "(%ld pending)%s%s%s%s", lag / 1000, e->cfg.lag_ms / 1000,
                 pending, failing != NULL ? ", last push to " : "",
                 failing != NULL ? failing->node : "",
                 failing != NULL ? ": " : "",
                 failing != NULL ? failing->error : "");
    }
    if (why[0] != '\0') {
        ra_log_repeat(e->paths.repeat, LOG_WARNING, "degraded: %s", why);
        ra_exit_reason("%s", why);
        return OCF_DEGRADED_PROMOTED;
    }
    ra_log_repeat_clear(e->paths.repeat);
    return OCF_RUNNING_PROMOTED;
}

static int monitor_env(struct ra_ctx *ctx, struct action_env *e)
{
    char role[32];
    bool promoted = false;
    pid_t pid = 0;
    struct cs_state st;
    int rc = 0;

    role_read(&e->paths, role, sizeof(role));
    pid = watcher_locate(&e->cfg, &e->paths);
    rc = cs_state_read(e->paths.state, &st);
    if (role[0] == '\0') {
        if (pid <= 0) {
            return OCF_NOT_RUNNING;
        }
        /* A watcher without a role file: trust its own state. */
        snprintf(role, sizeof(role), "%s", rc == 0 && strcmp(st.role, "source")
                 == 0 ? "promoted" : "unpromoted");
    }
    promoted = strcmp(role, "promoted") == 0;
    if (pid <= 0 || rc != 0 || st.pid != pid) {
        ra_exit_reason("the %s watcher is not running%s%s",
                       promoted ? "source" : "receiver",
                       rc == 0 && st.error[0] ? ": " : "",
                       rc == 0 ? st.error : "");
        return promoted ? OCF_FAILED_PROMOTED : OCF_ERR_GENERIC;
    }
    if (ra_now_ms() - st.updated_mono_ms > HEARTBEAT_STALE_MS) {
        ra_exit_reason("the watcher is hung (no heartbeat for %lld s)",
                       (ra_now_ms() - st.updated_mono_ms) / 1000);
        return promoted ? OCF_FAILED_PROMOTED : OCF_ERR_GENERIC;
    }
    if (!ctx->is_probe) {
        promotion_score_set(ctx, &e->cfg);
    }
    if (promoted) {
        return source_health(ctx, e, &st);
    }
    if (e->cfg.rsyncd && rsyncd_locate(&e->cfg, &e->paths) <= 0) {
        ra_exit_reason("the rsync daemon is not running");
        return OCF_ERR_GENERIC;
    }
    if (st.unwatched > 0) {
        char why[256];

        unwatched_text(&st, why, sizeof(why));
        ra_log_repeat(e->paths.repeat, LOG_WARNING, "degraded: %s", why);
        ra_exit_reason("%s", why);
        return OCF_DEGRADED;
    }
    if (st.local_writes > 0) {
        ra_log_repeat(e->paths.repeat, LOG_WARNING, "degraded: %ld local "
                      "write(s) into the replica, last %s", st.local_writes,
                      st.local_write_path);
        ra_exit_reason("a local process wrote into the replica (%s)",
                       st.local_write_path);
        return OCF_DEGRADED;
    }
    return OCF_SUCCESS;
}

static int confsync_monitor(struct ra_ctx *ctx)
{
    struct action_env e;
    int rc = env_open(ctx, &e);

    if (rc == OCF_SUCCESS) {
        rc = monitor_env(ctx, &e);
    } else if (ctx->is_probe && rc != OCF_ERR_CONFIGURED) {
        rc = OCF_NOT_RUNNING;   /* not installed here: not running here */
    }
    cfg_free(&e.cfg);
    return rc;
}

static int confsync_start(struct ra_ctx *ctx)
{
    struct action_env e;
    char role[32];
    int rc = env_open(ctx, &e);

    if (rc != OCF_SUCCESS) {
        goto done;
    }
    role_read(&e.paths, role, sizeof(role));
    if (strcmp(role, "promoted") == 0) {
        watcher_stop(ctx, &e.cfg, &e.paths, 5000);     /* a leftover source */
    }
    ra_attr_cache_reset(ctx);
    rc = receiver_start(ctx, &e.cfg, &e.paths);
done:
    cfg_free(&e.cfg);
    return rc;
}

static int confsync_stop(struct ra_ctx *ctx)
{
    struct action_env e;
    char role[32];
    int rc = env_open(ctx, &e);

    if (rc != OCF_SUCCESS) {
        goto done;
    }
    role_read(&e.paths, role, sizeof(role));
    watcher_stop(ctx, &e.cfg, &e.paths, STOP_MARGIN_MS + 3000);
    rsyncd_stop(ctx, &e.cfg, &e.paths);
    if (strcmp(role, "promoted") == 0) {
        attrs_clear(ctx);
    }
    ra_attr_del(ctx, RA_ATTR_PROMOTION, "promotion", NULL);
    if (watcher_locate(&e.cfg, &e.paths) > 0) {
        ra_exit_reason("the watcher survived SIGKILL");
        rc = OCF_ERR_GENERIC;
        goto done;
    }
    unlink(e.paths.role);
    unlink(e.paths.pid);
    ra_attr_cache_reset(ctx);
done:
    cfg_free(&e.cfg);
    return rc;
}

static int confsync_promote(struct ra_ctx *ctx)
{
    struct action_env e;
    char role[32];
    struct stat sb;
    int rc = env_open(ctx, &e);

    if (rc != OCF_SUCCESS) {
        goto done;
    }
    role_read(&e.paths, role, sizeof(role));
    if (strcmp(role, "promoted") == 0
        && monitor_env(ctx, &e) != OCF_FAILED_PROMOTED) {
        rc = OCF_SUCCESS;
        goto done;
    }
    if (stat(e.cfg.dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        ra_exit_reason("cannot be the source: %s is not a folder", e.cfg.dir);
        rc = OCF_ERR_GENERIC;
        goto done;
    }
    watcher_stop(ctx, &e.cfg, &e.paths, 5000);
    rsyncd_stop(ctx, &e.cfg, &e.paths);
    ra_attr_cache_reset(ctx);
    rc = watcher_launch(ctx, &e.cfg, &e.paths, true);
    if (rc == OCF_SUCCESS && role_write(&e.paths, "promoted") != 0) {
        ra_exit_reason("cannot write %s", e.paths.role);
        rc = OCF_ERR_GENERIC;
    }
done:
    cfg_free(&e.cfg);
    return rc;
}

static int confsync_demote(struct ra_ctx *ctx)
{
    struct action_env e;
    int rc = env_open(ctx, &e);

    if (rc != OCF_SUCCESS) {
        goto done;
    }
    /* Flush to every reachable peer, keeping time to start the receiver. */
    watcher_stop(ctx, &e.cfg, &e.paths, STOP_MARGIN_MS + 3000);
    attrs_clear(ctx);
    rc = receiver_start(ctx, &e.cfg, &e.paths);
done:
    cfg_free(&e.cfg);
    return rc;
}

static int confsync_notify(struct ra_ctx *ctx)
{
    struct action_env e;
    const char *type = getenv("OCF_RESKEY_CRM_meta_notify_type");
    char role[32];
    pid_t pid = 0;
    int rc = env_open(ctx, &e);

    if (rc != OCF_SUCCESS) {
        goto done;
    }
    role_read(&e.paths, role, sizeof(role));
    /* After a peer started or was demoted: retry pushing to it now. */
    if (type != NULL && strcmp(type, "post") == 0
        && strcmp(role, "promoted") == 0
        && (pid = watcher_locate(&e.cfg, &e.paths)) > 0) {
        kill(pid, SIGUSR1);
    }
done:
    cfg_free(&e.cfg);
    return rc;
}

static const struct ra_action actions[] = {
    { "start", confsync_start },
    { "stop", confsync_stop },
    { "monitor", confsync_monitor },
    { "promote", confsync_promote },
    { "demote", confsync_demote },
    { "notify", confsync_notify },
    { "validate-all", confsync_validate },
    { NULL, NULL },
};

int main(int argc, char **argv)
{
    static const struct ra_agent agent = {
        "confsync", confsync_metadata, confsync_params, actions
    };

    return ra_main(&agent, argc, argv);
}
