/* confsync.c: ocf:ctfreak:confsync, replication of the CTFreak config folder
 * that follows the promoted role (promoted = source, unpromoted = receiver).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ra.h"
#include "log.h"
#include "run.h"
#include "proc.h"
#include "attr.h"
#include "cs_state.h"
#include "cs_rules.h"
#include "fsafe.h"
#include "trust.h"
#include "validate.h"

extern const char confsync_metadata[];
extern const struct ra_param_def confsync_params[];

#define HEARTBEAT_STALE_MS 30000
#define STOP_MARGIN_MS 1500
#define ATTR_LAG "confsync-lag"
#define ATTR_PENDING "confsync-pending"
#define ATTR_LAST_SYNC "confsync-last-sync"

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

/* --- files and processes ----------------------------------------------------- */

static int paths_init(const struct ra_ctx *ctx, struct cs_paths *p)
{
    static const struct {
        size_t off;
        const char *suffix;
    } files[] = {
        { offsetof(struct cs_paths, role), "role" },
        { offsetof(struct cs_paths, state), "state" },
        { offsetof(struct cs_paths, pid), "watcher.pid" },
        { offsetof(struct cs_paths, log), "log" },
        { offsetof(struct cs_paths, rsyncd_pid), "rsyncd.pid" },
        { offsetof(struct cs_paths, rsyncd_conf), "rsyncd.conf" },
        { offsetof(struct cs_paths, rsyncd_log), "rsyncd.log" },
        { offsetof(struct cs_paths, repeat), "repeat" },
    };
    /* Clone instances ("name:1") share the node's files. */
    size_t base = strcspn(ctx->instance, ":");

    if (mkdir(ctx->rsctmp, 0755) != 0 && errno != EEXIST) {
        return -errno;
    }
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *buf = (char *) p + files[i].off;
        int n = snprintf(buf, PATH_MAX, "%s/confsync-%.*s.%s", ctx->rsctmp,
                         (int) base, ctx->instance, files[i].suffix);

        if (n < 0 || n >= PATH_MAX) {
            return -ENAMETOOLONG;
        }
    }
    return 0;
}

/* The role file: "promoted", "unpromoted", or "" when stopped. */
static void role_read(const struct cs_paths *p, char *role, size_t len)
{
    FILE *f = fopen(p->role, "re");

    role[0] = '\0';
    if (f == NULL) {
        return;
    }
    if (fgets(role, (int) len, f) == NULL) {
        role[0] = '\0';
    }
    role[strcspn(role, "\n")] = '\0';
    fclose(f);
}

static int role_write(const struct cs_paths *p, const char *role)
{
    char tmp[PATH_MAX + 8];
    FILE *f = NULL;

    snprintf(tmp, sizeof(tmp), "%s.tmp", p->role);
    f = fopen(tmp, "we");
    if (f == NULL) {
        return -errno;
    }
    fprintf(f, "%s\n", role);
    if (fclose(f) != 0 || rename(tmp, p->role) != 0) {
        unlink(tmp);
        return -EIO;
    }
    return 0;
}

static pid_t watcher_locate(const struct cs_cfg *cfg, const struct cs_paths *p)
{
    const char *args[] = { "--state", p->state, NULL };
    struct ra_proc_match m = { .exe = cfg->watcher, .args = args };
    bool scanned = false;

    return ra_proc_locate(p->pid, (uid_t) -1, &m, &scanned);
}

static pid_t rsyncd_locate(const struct cs_cfg *cfg, const struct cs_paths *p)
{
    char conf[PATH_MAX + 16];
    const char *args[] = { conf, NULL };
    struct ra_proc_match m = { .exe = cfg->rsync, .args = args };
    bool scanned = false;

    snprintf(conf, sizeof(conf), "--config=%s", p->rsyncd_conf);
    return ra_proc_locate(p->rsyncd_pid, (uid_t) -1, &m, &scanned);
}

/* Waits until pid is gone (or a zombie); false at the deadline. */
static bool wait_gone(pid_t pid, const struct ra_deadline *d)
{
    while (ra_proc_alive(pid)) {
        if (!ra_deadline_sleep_ms(d, 20)) {
            return !ra_proc_alive(pid);
        }
    }
    return true;
}

/* SIGTERM, wait until d, then SIGKILL the process group. */
static void process_end(pid_t pid, const struct ra_deadline *d, const char *what)
{
    struct ra_deadline last;
    pid_t pgid = 0;

    if (pid <= 0) {
        return;
    }
    kill(pid, SIGTERM);
    if (wait_gone(pid, d)) {
        return;
    }
    ra_log_err("%s did not stop in time: killing it | pid=%ld", what, (long) pid);
    pgid = getpgid(pid);
    if (pgid > 1 && pgid != getpgrp()) {
        kill(-pgid, SIGKILL);   /* with its rsync and ssh children */
    }
    kill(pid, SIGKILL);
    ra_deadline_init(&last, 2000);
    wait_gone(pid, &last);
}

/* --- the watcher ------------------------------------------------------------------ */

/* Peers for a source: the parameter, else the cluster's node names. */
static char **peers_resolve(struct ra_ctx *ctx, const struct cs_cfg *cfg)
{
    const char *argv[] = { "crm_node", "-l", NULL };
    struct ra_run_opts ro = { .deadline = &ctx->deadline, .timeout_ms = 5000 };
    struct ra_run_result res;
    char *list = NULL;
    size_t len = 0;
    FILE *f = NULL;
    char **words = NULL;
    const char *err = NULL;
    char *save = NULL;

    if (cfg->peers[0] != NULL) {
        return ra_words_split(cfg->peers_param, &err);
    }
    memset(&res, 0, sizeof(res));
    f = open_memstream(&list, &len);
    if (f == NULL) {
        return NULL;
    }
    if (ra_run(argv, &ro, &res) == 0 && res.exit_status == 0) {
        for (char *line = strtok_r(res.out, "\n", &save); line != NULL;
             line = strtok_r(NULL, "\n", &save)) {
            char id[64];
            char name[128];

            if (sscanf(line, "%63s %127s", id, name) == 2
                && chars_ok(name, "._-") && name[0] != '-') {
                fprintf(f, "%s=%s ", name, name);
            }
        }
    } else {
        ra_log_warn("cannot list the cluster nodes (crm_node -l) and peers "
                    "is empty: no peer to push to");
    }
    ra_run_result_free(&res);
    fclose(f);
    words = ra_words_split(list, &err);
    free(list);
    return words;
}

/* The watcher's fixed options, counted with their values. */
#define WATCHER_FIXED_ARGS 32

static size_t words_count(char **words)
{
    size_t n = 0;

    while (words != NULL && words[n] != NULL) {
        n++;
    }
    return n;
}

/* argv is sized for everything (never truncated): see watcher_argv. */
static void args_add(const char **argv, size_t *n, const char *arg)
{
    argv[(*n)++] = arg;
}

static int watcher_launch(struct ra_ctx *ctx, const struct cs_cfg *cfg,
                          const struct cs_paths *p, bool source)
{
    const char **argv = NULL;
    char **peers = NULL;
    size_t n = 0;
    struct ra_daemon_opts opts = { .log_file = p->log, .pid_file = p->pid };
    struct cs_state st;
    struct ra_deadline d;
    pid_t pid = 0;
    int rc = 0;

    if (source) {
        peers = peers_resolve(ctx, cfg);
        if (peers == NULL) {
            ra_exit_reason("cannot resolve the peers");
            return OCF_ERR_GENERIC;
        }
    }
    argv = calloc(WATCHER_FIXED_ARGS + 2 * words_count(cfg->excludes)
                  + 2 * words_count(peers) + 1, sizeof(*argv));
    if (argv == NULL) {
        ra_words_free(peers);
        ra_exit_reason("cannot start the watcher: out of memory");
        return OCF_ERR_GENERIC;
    }
    args_add(argv, &n, cfg->watcher);
    args_add(argv, &n, "--role"); args_add(argv, &n, source ? "source" : "receiver");
    args_add(argv, &n, "--state"); args_add(argv, &n, p->state);
    args_add(argv, &n, "--dir"); args_add(argv, &n, cfg->dir);
    args_add(argv, &n, "--node"); args_add(argv, &n, ctx->node);
    args_add(argv, &n, "--instance"); args_add(argv, &n, ctx->instance);
    args_add(argv, &n, "--quarantine"); args_add(argv, &n, cfg->quarantine);
    args_add(argv, &n, "--transport"); args_add(argv, &n, cfg->transport);
    args_add(argv, &n, "--ssh-user"); args_add(argv, &n, cfg->ssh_user);
    args_add(argv, &n, "--ssh-key"); args_add(argv, &n, cfg->ssh_key);
    args_add(argv, &n, "--known-hosts"); args_add(argv, &n, cfg->known_hosts);
    args_add(argv, &n, "--rsyncd-port"); args_add(argv, &n, cfg->rsyncd_port);
    args_add(argv, &n, "--secrets-file"); args_add(argv, &n, cfg->secrets_file);
    args_add(argv, &n, "--delay"); args_add(argv, &n, cfg->delay);
    for (char **x = cfg->excludes; *x != NULL; x++) {
        args_add(argv, &n, "--exclude"); args_add(argv, &n, *x);
    }
    for (char **q = peers; q != NULL && *q != NULL; q++) {
        size_t len = strcspn(*q, "=");

        if (strncmp(*q, ctx->node, len) != 0 || ctx->node[len] != '\0') {
            args_add(argv, &n, "--peer"); args_add(argv, &n, *q);
        }
    }
    argv[n] = NULL;
    unlink(p->state);
    rc = ra_daemon_start(argv, &opts, &pid);
    free(argv);
    ra_words_free(peers);
    if (rc != 0) {
        ra_exit_reason("cannot start %s: %s", cfg->watcher, strerror(-rc));
        return OCF_ERR_GENERIC;
    }
    /* Started when it wrote its first state (watches in place). */
    ra_deadline_init(&d, ra_deadline_cap_ms(&ctx->deadline, 20000));
    for (;;) {
        if (cs_state_read(p->state, &st) == 0 && st.pid == pid
            && st.phase != CS_PHASE_STARTING) {
            break;
        }
        if (!ra_proc_alive(pid) || !ra_deadline_sleep_ms(&d, 10)) {
            if (cs_state_read(p->state, &st) != 0) {
                st.error[0] = '\0';
            }
            ra_exit_reason("the watcher did not start: %s (see %s)",
                           st.error[0] ? st.error : "no state written", p->log);
            process_end(pid, &d, "watcher");
            return OCF_ERR_GENERIC;
        }
    }
    if (st.phase == CS_PHASE_FAILED) {
        ra_exit_reason("the watcher failed: %s", st.error);
        return OCF_ERR_GENERIC;
    }
    ra_log_info("watcher started | role=%s pid=%ld dir=%s",
                source ? "source" : "receiver", (long) pid, cfg->dir);
    return OCF_SUCCESS;
}

/* Stops the watcher; a source flushes first, bounded by the deadline. */
static void watcher_stop(struct ra_ctx *ctx, const struct cs_cfg *cfg,
                         const struct cs_paths *p, long reserve_ms)
{
    pid_t pid = watcher_locate(cfg, p);
    struct ra_deadline d;
    struct cs_state st;
    long long t0 = ra_now_ms();

    if (pid <= 0) {
        return;
    }
    ra_deadline_init(&d, ra_deadline_remaining_ms(&ctx->deadline) - reserve_ms);
    process_end(pid, &d, "watcher");
    if (cs_state_read(p->state, &st) != 0 || strcmp(st.role, "source") != 0) {
        return;
    }
    if (st.phase == CS_PHASE_DONE && st.error[0] == '\0') {
        ra_log_info("flushed: every peer has every change | ms=%lld",
                    ra_now_ms() - t0);
        return;
    }
    for (size_t i = 0; i < st.npeers; i++) {
        const struct cs_peer_state *ps = &st.peers[i];

        if (ps->pending != 0 || ps->oldest_mono_ms != 0) {
            ra_log_err("flush incomplete: peer %s did not get %ld pending "
                       "change(s) | reachable=%d error=%s", ps->node,
                       ps->pending < 0 ? 1L : ps->pending, ps->reachable,
                       ps->error);
        }
    }
}

/* --- the rsync daemon (transport=rsyncd) ------------------------------------------ */

/* This node's address in peers (the daemon listens there only). */
static bool own_address(const struct ra_ctx *ctx, const struct cs_cfg *cfg,
                        struct cs_peer_spec *own)
{
    const char *why = NULL;

    for (char **q = cfg->peers; *q != NULL; q++) {
        if (cs_peer_parse(*q, own, &why) == 0
            && strcmp(own->node, ctx->node) == 0) {
            return true;
        }
    }
    return false;
}

/* One module of the daemon: write-only for the pushes, read-only for the
 * sentinel the mass-delete guard fetches; both chrooted, as the folder's
 * owner, for the peers' addresses only. */
static void rsyncd_module(FILE *f, const struct cs_cfg *cfg, const char *name,
                          const char *path, const struct stat *owner,
                          const char *user, bool push)
{
    fprintf(f, "[%s]\n    path = %s\n    use chroot = yes\n"
            "    uid = %ld\n    gid = %ld\n    list = no\n"
            "    auth users = %s\n    secrets file = %s\n"
            "    strict modes = yes\n"
            "    refuse options = devices specials copy-devices "
            "write-devices fake-super\n",
            name, path, (long) owner->st_uid, (long) owner->st_gid, user,
            cfg->secrets_file);
    if (push) {
        fprintf(f, "    read only = no\n    write only = yes\n"
                "    incoming chmod = Fug-s\n");
    } else {
        fprintf(f, "    read only = yes\n    filter = + /%s - *\n",
                CS_SENTINEL);
    }
    fprintf(f, "    hosts deny = *\n    hosts allow =");
    for (char **q = cfg->peers; *q != NULL; q++) {
        struct cs_peer_spec spec;
        const char *why = NULL;

        if (cs_peer_parse(*q, &spec, &why) == 0) {
            fprintf(f, " %s", spec.host);
        }
    }
    fprintf(f, "\n");
}

static int rsyncd_conf_write(struct ra_ctx *ctx, const struct cs_cfg *cfg,
                             const struct cs_paths *p)
{
    const char *slash = strrchr(cfg->dir, '/');
    const char *qname = strrchr(cfg->quarantine, '/') + 1;
    char user[64];
    char parent[PATH_MAX];
    struct cs_peer_spec own;
    struct stat owner;
    char *text = NULL;
    size_t len = 0;
    FILE *f = NULL;
    int rc = secrets_user(cfg->secrets_file, user, sizeof(user));

    if (rc != 0) {
        ra_exit_reason("secrets_file %s: %s", cfg->secrets_file, rc == -EINVAL
                       ? "no \"user:password\" line with a plain user name"
                       : strerror(-rc));
        return rc;
    }
    if (!own_address(ctx, cfg, &own)) {
        ra_exit_reason("peers does not list this node (%s): the rsync daemon "
                       "listens on this node's address only", ctx->node);
        return -EINVAL;
    }
    if (lstat(cfg->dir, &owner) != 0 || !S_ISDIR(owner.st_mode)) {
        ra_exit_reason("%s is not a folder", cfg->dir);
        return -ENOTDIR;
    }
    snprintf(parent, sizeof(parent), "%.*s", (int) (slash - cfg->dir), cfg->dir);
    f = open_memstream(&text, &len);
    if (f == NULL) {
        return -ENOMEM;
    }
    fprintf(f, "# Generated by ocf:ctfreak:confsync: do not edit.\n"
            "address = %s\nmax connections = 8\n"
            "syslog facility = daemon\nsyslog tag = confsync-rsyncd\n",
            own.host);
    rsyncd_module(f, cfg, "confsync", parent, &owner, user, true);
    fprintf(f, "    filter = + /%s + /%s/** + /%s + /%s/** - *\n",
            slash + 1, slash + 1, qname, qname);
    rsyncd_module(f, cfg, "confsync-id", cfg->dir, &owner, user, false);
    if (fclose(f) != 0) {
        free(text);
        return -ENOMEM;
    }
    rc = ra_file_replace(p->rsyncd_conf, text, len, 0600, RA_FSAFE_KEEP,
                         RA_FSAFE_KEEP);
    free(text);
    if (rc != 0) {
        ra_exit_reason("cannot write %s: %s", p->rsyncd_conf, strerror(-rc));
    }
    return rc;
}

static int rsyncd_start(struct ra_ctx *ctx, const struct cs_cfg *cfg,
                        const struct cs_paths *p)
{
    char conf[PATH_MAX + 16];
    char port[32];
    const char *argv[] = { cfg->rsync, "--daemon", "--no-detach", conf, port,
                           NULL };
    struct ra_daemon_opts opts = { .log_file = p->rsyncd_log,
                                   .pid_file = p->rsyncd_pid };
    struct ra_deadline d;
    pid_t pid = 0;
    int rc = 0;

    if (rsyncd_locate(cfg, p) > 0) {
        return OCF_SUCCESS;
    }
    rc = rsyncd_conf_write(ctx, cfg, p);
    if (rc != 0) {
        return rc == -EINVAL ? OCF_ERR_CONFIGURED : OCF_ERR_GENERIC;
    }
    snprintf(conf, sizeof(conf), "--config=%s", p->rsyncd_conf);
    snprintf(port, sizeof(port), "--port=%s", cfg->rsyncd_port);
    rc = ra_daemon_start(argv, &opts, &pid);
    if (rc != 0) {
        ra_exit_reason("cannot start the rsync daemon: %s", strerror(-rc));
        return OCF_ERR_GENERIC;
    }
    /* A daemon that cannot bind exits at once. */
    ra_deadline_init(&d, ra_deadline_cap_ms(&ctx->deadline, 300));
    ra_deadline_sleep_ms(&d, 300);
    if (!ra_proc_alive(pid)) {
        ra_exit_reason("the rsync daemon exited at start (port %s in use?), "
                       "see %s", cfg->rsyncd_port, p->rsyncd_log);
        return OCF_ERR_GENERIC;
    }
    return OCF_SUCCESS;
}

static void rsyncd_stop(struct ra_ctx *ctx, const struct cs_cfg *cfg,
                        const struct cs_paths *p)
{
    pid_t pid = rsyncd_locate(cfg, p);
    struct ra_deadline d;

    ra_deadline_init(&d, ra_deadline_cap_ms(&ctx->deadline, 5000));
    /* rsync sleeps 400 ms on SIGTERM before it exits; on SIGUSR1 it exits
     * at once (a promotion waits for this) */
    if (pid > 0 && kill(pid, SIGUSR1) == 0) {
        struct ra_deadline quick;

        ra_deadline_init(&quick, ra_deadline_cap_ms(&d, 200));
        (void) wait_gone(pid, &quick);
    }
    if (pid > 0 && ra_proc_alive(pid)) {
        process_end(pid, &d, "rsync daemon");
    }
    unlink(p->rsyncd_pid);
}

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

/* --- the receiver -------------------------------------------------------------------- */

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
