/* daemons.c: the processes the confsync agent runs (its watcher, as the
 * source or a receiver, and the rsync daemon of transport=rsyncd): their
 * files under HA_RSCTMP, how they are found, started and stopped.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include "daemons.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "run.h"
#include "proc.h"
#include "cs_config.h"
#include "cs_state.h"
#include "cs_rules.h"
#include "fsafe.h"
#include "words.h"

/* --- files and processes ----------------------------------------------------- */

int paths_init(const struct ra_ctx *ctx, struct cs_paths *p)
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
void role_read(const struct cs_paths *p, char *role, size_t len)
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

int role_write(const struct cs_paths *p, const char *role)
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

pid_t watcher_locate(const struct cs_cfg *cfg, const struct cs_paths *p)
{
    const char *args[] = { "--state", p->state, NULL };
    struct ra_proc_match m = { .exe = cfg->watcher, .args = args };
    bool scanned = false;

    return ra_proc_locate(p->pid, (uid_t) -1, &m, &scanned);
}

pid_t rsyncd_locate(const struct cs_cfg *cfg, const struct cs_paths *p)
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

/* The watcher's configuration (cs_config.h): the checked parameters, this
 * node, the state file and the peers but this node.  Its two lists are
 * malloc'd (cs_config_free); returns 0 or -ENOMEM. */
static int watcher_config(struct cs_config *c, const struct ra_ctx *ctx,
                          const struct cs_cfg *cfg, const struct cs_paths *p,
                          bool source, char **peers)
{
    size_t nx = 0, np = 0;

    while (cfg->excludes != NULL && cfg->excludes[nx] != NULL) {
        nx++;
    }
    while (peers != NULL && peers[np] != NULL) {
        np++;
    }
    *c = (struct cs_config) {
        .instance = ctx->instance, .node = ctx->node, .source = source,
        .dir = cfg->dir, .state = p->state, .quarantine = cfg->quarantine,
        .transport = cfg->transport, .ssh_user = cfg->ssh_user,
        .ssh_key = cfg->ssh_key, .known_hosts = cfg->known_hosts,
        .rsyncd_port = cfg->rsyncd_port, .secrets_file = cfg->secrets_file,
        .delay_ms = cfg->delay_ms,
        .excludes = calloc(nx + 1, sizeof(char *)),
        .peers = calloc(np + 1, sizeof(char *)),
    };
    if (c->excludes == NULL || c->peers == NULL) {
        cs_config_free(c);
        return -ENOMEM;
    }
    for (size_t i = 0; i < nx; i++) {
        c->excludes[c->nexcludes++] = cfg->excludes[i];
    }
    for (size_t i = 0; i < np; i++) {
        size_t len = strcspn(peers[i], "=");

        if (strncmp(peers[i], ctx->node, len) != 0 || ctx->node[len] != '\0') {
            c->peers[c->npeers++] = peers[i];
        }
    }
    return 0;
}

/* Waits for the watcher pid's first state.  Returns an OCF code (reason
 * printed; a watcher that did not start in time is ended). */
static int watcher_wait_started(struct ra_ctx *ctx, const struct cs_paths *p,
                                pid_t pid)
{
    struct cs_state st;
    struct ra_deadline d;

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
    return OCF_SUCCESS;
}

int watcher_launch(struct ra_ctx *ctx, const struct cs_cfg *cfg,
                   const struct cs_paths *p, bool source)
{
    const char **argv = NULL;
    char *storage = NULL;
    char **peers = NULL;
    struct cs_config wc;
    struct ra_daemon_opts opts = { .log_file = p->log, .pid_file = p->pid };
    pid_t pid = 0;
    int rc = 0;

    if (source) {
        peers = peers_resolve(ctx, cfg);
        if (peers == NULL) {
            ra_exit_reason("cannot resolve the peers");
            return OCF_ERR_GENERIC;
        }
    }
    if (watcher_config(&wc, ctx, cfg, p, source, peers) == 0) {
        argv = cs_config_argv(&wc, cfg->watcher, &storage);
        cs_config_free(&wc);
    }
    if (argv == NULL) {
        ra_words_free(peers);
        ra_exit_reason("cannot start the watcher: out of memory");
        return OCF_ERR_GENERIC;
    }
    unlink(p->state);
    rc = ra_daemon_start(argv, &opts, &pid);
    free(argv);
    free(storage);
    ra_words_free(peers);
    if (rc != 0) {
        ra_exit_reason("cannot start %s: %s", cfg->watcher, strerror(-rc));
        return OCF_ERR_GENERIC;
    }
    rc = watcher_wait_started(ctx, p, pid);
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    ra_log_info("watcher started | role=%s pid=%ld dir=%s",
                source ? "source" : "receiver", (long) pid, cfg->dir);
    return OCF_SUCCESS;
}

/* Stops the watcher; a source flushes first, bounded by the deadline. */
void watcher_stop(struct ra_ctx *ctx, const struct cs_cfg *cfg,
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

int rsyncd_start(struct ra_ctx *ctx, const struct cs_cfg *cfg,
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

void rsyncd_stop(struct ra_ctx *ctx, const struct cs_cfg *cfg,
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
