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

extern const char confsync_metadata[];
extern const struct ra_param_def confsync_params[];

#define WATCHER_NAME "confsync-watcher"
#define HEARTBEAT_STALE_MS 30000
#define STOP_MARGIN_MS 1500
#define ATTR_LAG "confsync-lag"
#define ATTR_PENDING "confsync-pending"
#define ATTR_LAST_SYNC "confsync-last-sync"
#define MAX_PEERS 16

/* The resource's configuration, checked. */
struct cs_cfg {
    const char *dir;
    const char *transport;
    const char *ssh_user;
    const char *ssh_key;
    const char *known_hosts;
    const char *secrets_file;
    const char *peers_param;
    char quarantine[PATH_MAX];
    char rsyncd_port[16];
    char delay[24];
    long lag_ms;
    bool rsyncd;
    char **excludes;
    char **peers;               /* "node=address" words */
    char rsync[PATH_MAX];       /* rsync found in PATH */
    char watcher[PATH_MAX];
};

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

/* --- configuration ----------------------------------------------------------- */

static bool chars_ok(const char *s, const char *extra)
{
    for (; *s != '\0'; s++) {
        if (!isalnum((unsigned char) *s) && strchr(extra, *s) == NULL) {
            return false;
        }
    }
    return true;
}

/* An absolute path of plain characters, no "." or ".." component. */
static bool path_ok(const char *s)
{
    size_t n = strlen(s);

    return s[0] == '/' && n > 1 && n < PATH_MAX - 64 && chars_ok(s, "._-+@/")
        && strstr(s, "/../") == NULL && strstr(s, "/./") == NULL
        && strstr(s, "//") == NULL && s[n - 1] != '/'
        && (n < 3 || strcmp(s + n - 3, "/..") != 0)
        && (n < 2 || strcmp(s + n - 2, "/.") != 0);
}

static bool is_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);

    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool find_in_path(const char *name, char *out, size_t len)
{
    const char *path = getenv("PATH");
    char *copy = strdup(path != NULL && path[0] != '\0' ? path : "/usr/bin:/bin");
    char *save = NULL;
    bool found = false;

    for (char *d = copy != NULL ? strtok_r(copy, ":", &save) : NULL;
         d != NULL && !found; d = strtok_r(NULL, ":", &save)) {
        found = (size_t) snprintf(out, len, "%s/%s", d, name) < len
            && access(out, X_OK) == 0;
    }
    free(copy);
    return found;
}

/* The watcher: beside this binary (build tree), else in LIBEXECDIR. */
static bool find_watcher(char *out, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash = NULL;

    if (n > 0) {
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash != NULL) {
            *slash = '\0';
            if ((size_t) snprintf(out, len, "%s/%s", self, WATCHER_NAME) < len
                && access(out, X_OK) == 0) {
                return true;
            }
        }
    }
    snprintf(out, len, "%s/%s", LIBEXECDIR, WATCHER_NAME);
    return access(out, X_OK) == 0;
}

static int bad_param(const char *name, const char *why)
{
    ra_exit_reason("invalid parameter %s: %s", name, why);
    return OCF_ERR_CONFIGURED;
}

static int peers_check(char **peers)
{
    size_t n = 0;

    for (char **p = peers; *p != NULL; p++, n++) {
        struct cs_peer_spec spec;
        const char *why = NULL;

        if (cs_peer_parse(*p, &spec, &why) != 0) {
            return bad_param("peers", why);
        }
    }
    if (n > MAX_PEERS) {
        return bad_param("peers", "more than 16 peers");
    }
    return OCF_SUCCESS;
}

/* Every exclude pattern must mean to rsync what it says (no filter-rule
 * syntax such as "!", which would clear the rules). */
static int excludes_check(char **excludes)
{
    struct cs_excludes ex;
    const char *why = NULL;
    const char *bad = NULL;
    size_t n = 0;
    int rc = 0;

    while (excludes[n] != NULL) {
        n++;
    }
    rc = cs_excludes_build(&ex, (const char *const *) excludes, n, &why, &bad);
    cs_excludes_free(&ex);
    if (rc == -EINVAL) {
        ra_exit_reason("invalid parameter excludes: %s (pattern \"%.64s\")",
                       why, bad);
        return OCF_ERR_CONFIGURED;
    }
    return rc == 0 ? OCF_SUCCESS : bad_param("excludes", "out of memory");
}

static int trusted_file(const char *param, const char *path);

static int file_check(const char *param, const char *path, bool secret)
{
    struct stat sb;
    int fd = -1;

    if (!path_ok(path)) {
        return bad_param(param, "not an absolute path of letters, digits "
                         "and \"._-+@/\"");
    }
    if (secret) {
        /* root's regular file, reached without another user's link */
        fd = ra_file_open_read(path, 0);
        if (fd == -EPERM || (fd >= 0 && fstat(fd, &sb) == 0 && sb.st_uid != 0)) {
            ra_exit_reason("%s %s must be owned by root", param, path);
            if (fd >= 0) {
                close(fd);
            }
            return OCF_ERR_ARGS;
        }
        if (fd < 0 && fd != -ENOENT) {
            ra_exit_reason("%s %s is not a regular file of root's (%s)", param,
                           path, fd == -ELOOP ? "a link not owned by root"
                           : strerror(-fd));
            return OCF_ERR_ARGS;
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        ra_exit_reason("%s %s is not a readable file on this node", param, path);
        return OCF_ERR_ARGS;
    }
    if (secret && (sb.st_mode & 077) != 0) {
        ra_exit_reason("%s %s must not be readable by group or others", param,
                       path);
        return OCF_ERR_ARGS;
    }
    return trusted_file(param, path);
}

/* Root reads it (a key, the host keys it trusts, the daemon's passwords):
 * it and its folders are root's alone (trust.h). */
static int trusted_file(const char *param, const char *path)
{
    const char *bad = path;

    if (ra_trust_check(path, RA_TRUST_ROOT_ONLY, &bad) != 0) {
        ra_exit_reason("%s %s: %s is owned or writable by a user other than root",
                       param, path, bad);
        return OCF_ERR_ARGS;
    }
    return OCF_SUCCESS;
}

/* dir and the quarantine are created by the agent, in a parent folder that
 * must exist on this node. */
static int parent_exists(const char *param, const char *path)
{
    char parent[PATH_MAX];
    char *slash;
    struct stat sb;

    snprintf(parent, sizeof(parent), "%s", path);
    slash = strrchr(parent, '/');
    if (slash == NULL || slash == parent) {
        return OCF_SUCCESS;
    }
    *slash = '\0';
    if (stat(parent, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        ra_exit_reason("%s %s: its parent folder does not exist on this node",
                       param, path);
        return OCF_ERR_ARGS;
    }
    return OCF_SUCCESS;
}

/* The daemon's user from the secrets file (root's, checked).  0 or -errno
 * (-EINVAL: no "user:password" line, or a user name over 63 characters). */
static int secrets_user(const char *file, char *user, size_t len)
{
    char *buf = NULL;
    size_t n = 0;
    char *save = NULL;
    int rc = ra_file_slurp(file, 0, 65536, &buf, &n);

    if (rc != 0) {
        return rc;
    }
    rc = -EINVAL;
    for (char *line = strtok_r(buf, "\r\n", &save); line != NULL;
         line = strtok_r(NULL, "\r\n", &save)) {
        size_t ulen = strcspn(line, ":");

        if (line[0] != '#' && line[ulen] == ':') {
            line[ulen] = '\0';
            if (ulen > 0 && ulen < len && chars_ok(line, "._-@")) {
                snprintf(user, len, "%.*s", (int) ulen, line);
                rc = 0;
            }
            break;
        }
    }
    explicit_bzero(buf, n);
    free(buf);
    return rc;
}

static void cfg_free(struct cs_cfg *cfg)
{
    ra_words_free(cfg->excludes);
    ra_words_free(cfg->peers);
    cfg->excludes = NULL;
    cfg->peers = NULL;
}

/* The files each transport reads: secrets (rsyncd), key and known hosts
 * (ssh); and the peers rsyncd needs. */
static int transport_files_check(const struct cs_cfg *cfg)
{
    char user[64];
    int rc = OCF_SUCCESS;

    if (cfg->rsyncd) {
        if (cfg->secrets_file[0] == '\0') {
            return bad_param("secrets_file", "required with transport=rsyncd");
        }
        if (cfg->peers[0] == NULL) {
            return bad_param("peers", "required with transport=rsyncd (the "
                             "daemon listens on this node's address and "
                             "accepts the peers' addresses only)");
        }
        rc = file_check("secrets_file", cfg->secrets_file, true);
        if (rc == OCF_SUCCESS && secrets_user(cfg->secrets_file, user,
                                              sizeof(user)) != 0) {
            ra_exit_reason("secrets_file %s has no \"user:password\" line "
                           "with a user name of letters, digits and \"._-@\" "
                           "(at most 63)", cfg->secrets_file);
            rc = OCF_ERR_CONFIGURED;
        }
        return rc;
    }
    if (cfg->ssh_key[0] != '\0') {
        rc = file_check("ssh_key", cfg->ssh_key, true);
    }
    if (rc == OCF_SUCCESS && cfg->known_hosts[0] != '\0') {
        rc = file_check("known_hosts", cfg->known_hosts, false);
    }
    return rc;
}

/* Checks every parameter; fills cfg (cfg_free it either way). */
static int cfg_load(struct ra_ctx *ctx, struct cs_cfg *cfg)
{
    const char *q = ra_param(ctx, "quarantine_dir");
    const char *err = NULL;
    int rc = OCF_SUCCESS;

    memset(cfg, 0, sizeof(*cfg));
    cfg->dir = ra_param(ctx, "dir");
    cfg->transport = ra_param(ctx, "transport");
    cfg->ssh_user = ra_param(ctx, "ssh_user");
    cfg->ssh_key = ra_param(ctx, "ssh_key");
    cfg->known_hosts = ra_param(ctx, "known_hosts");
    cfg->secrets_file = ra_param(ctx, "secrets_file");
    cfg->peers_param = ra_param(ctx, "peers");
    cfg->rsyncd = strcmp(cfg->transport, "rsyncd") == 0;
    cfg->lag_ms = ra_param_ms(ctx, "lag_threshold");
    snprintf(cfg->rsyncd_port, sizeof(cfg->rsyncd_port), "%lld",
             ra_param_int(ctx, "rsyncd_port"));
    snprintf(cfg->delay, sizeof(cfg->delay), "%lld", ra_param_int(ctx, "delay"));

    if (cfg->dir == NULL || !path_ok(cfg->dir)) {
        return bad_param("dir", "not an absolute path of letters, digits and "
                         "\"._-+@/\"");
    }
    if (q == NULL || q[0] == '\0') {
        snprintf(cfg->quarantine, sizeof(cfg->quarantine), "%s.quarantine",
                 cfg->dir);
    } else if (!path_ok(q)) {
        return bad_param("quarantine_dir", "not an absolute path of letters, "
                         "digits and \"._-+@/\"");
    } else {
        snprintf(cfg->quarantine, sizeof(cfg->quarantine), "%s", q);
    }
    if (is_under(cfg->quarantine, cfg->dir) || is_under(cfg->dir, cfg->quarantine)) {
        return bad_param("quarantine_dir", "must be outside dir (and not hold it)");
    }
    if (cfg->rsyncd) {
        const char *a = strrchr(cfg->dir, '/');
        const char *b = strrchr(cfg->quarantine, '/');

        if (a - cfg->dir != b - cfg->quarantine
            || strncmp(cfg->dir, cfg->quarantine, (size_t) (a - cfg->dir)) != 0
            || strrchr(cfg->dir, '/') == cfg->dir) {
            return bad_param("quarantine_dir", "with transport=rsyncd it must "
                             "be in the same parent folder as dir, which must "
                             "not be /");
        }
    }
    if (!chars_ok(cfg->ssh_user, "._-") || cfg->ssh_user[0] == '\0'
        || cfg->ssh_user[0] == '-') {
        return bad_param("ssh_user", "not a user name");
    }
    cfg->excludes = ra_words_split(ra_param(ctx, "excludes"), &err);
    if (cfg->excludes == NULL) {
        return bad_param("excludes", err != NULL ? err : "cannot split");
    }
    rc = excludes_check(cfg->excludes);
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    cfg->peers = ra_words_split(cfg->peers_param, &err);
    if (cfg->peers == NULL) {
        return bad_param("peers", err != NULL ? err : "cannot split");
    }
    rc = peers_check(cfg->peers);
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    rc = parent_exists("dir", cfg->dir);
    if (rc == OCF_SUCCESS) {
        rc = parent_exists("quarantine_dir", cfg->quarantine);
    }
    if (rc == OCF_SUCCESS) {
        rc = transport_files_check(cfg);
    }
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    if (!find_in_path("rsync", cfg->rsync, sizeof(cfg->rsync))) {
        ra_exit_reason("rsync is not installed (apt-get install rsync)");
        return OCF_ERR_INSTALLED;
    }
    if (!cfg->rsyncd) {
        char ssh[PATH_MAX];

        if (!find_in_path("ssh", ssh, sizeof(ssh))) {
            ra_exit_reason("ssh is not installed (apt-get install openssh-client)");
            return OCF_ERR_INSTALLED;
        }
    }
    if (!find_watcher(cfg->watcher, sizeof(cfg->watcher))) {
        ra_exit_reason("%s is not installed", cfg->watcher);
        return OCF_ERR_INSTALLED;
    }
    return OCF_SUCCESS;
}

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
