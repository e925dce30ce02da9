/* validate.c: the confsync resource's parameters, checked, and the programs
 * it runs (rsync, ssh, its watcher), found: validate-all, and the first step
 * of every action.  Licence: GPL-2.0-or-later. */
#include "config.h"

#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "cs_state.h"
#include "cs_rules.h"
#include "fsafe.h"
#include "trust.h"
#include "words.h"

#define WATCHER_NAME "confsync-watcher"
#define MAX_PEERS 16

bool chars_ok(const char *s, const char *extra)
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
int secrets_user(const char *file, char *user, size_t len)
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

void cfg_free(struct cs_cfg *cfg)
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

/* dir and the quarantine (q, empty: beside dir): plain absolute paths,
 * neither inside the other, in one parent folder with rsyncd; fills
 * cfg->quarantine. */
static int folders_check(struct cs_cfg *cfg, const char *q)
{
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
    return OCF_SUCCESS;
}

/* rsync, ssh (transport=ssh) and the watcher, found. */
static int programs_find(struct cs_cfg *cfg)
{
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

/* Checks every parameter; fills cfg (cfg_free it either way). */
int cfg_load(struct ra_ctx *ctx, struct cs_cfg *cfg)
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
    cfg->delay_ms = (long) ra_param_int(ctx, "delay");

    rc = folders_check(cfg, q);
    if (rc != OCF_SUCCESS) {
        return rc;
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
    return programs_find(cfg);
}
