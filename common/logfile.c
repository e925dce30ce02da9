/* logfile.c: the files an agent writes as root on a daemon's behalf.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "logfile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsafe.h"
#include "log.h"
#include "ocf.h"
#include "params.h"
#include "ra.h"

int ra_logfile_path(const struct ra_ctx *ctx, const char *param,
                    const char *stem, char *buf, size_t len)
{
    const char *p = ra_param(ctx, param);
    int n = *p != '\0' || stem == NULL
            ? snprintf(buf, len, "%s", p)
            : snprintf(buf, len, "%s/%s.log", RA_LOG_DIR, stem);

    if (n < 0 || (size_t) n >= len) {
        ra_exit_reason("parameter %s is too long (more than %zu bytes)%s", param,
                       len - 1, *p != '\0' ? "" : " by default: set it");
        return -1;
    }
    return 0;
}

/* The folder part of path into dir ("" when path has none). */
static void folder_of(const char *path, char *dir, size_t len)
{
    char *slash;

    snprintf(dir, len, "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir) {
        dir[0] = '\0';
    } else {
        *slash = '\0';
    }
}

int ra_logfile_check(const struct ra_ctx *ctx, const char *param,
                     const char *path, uid_t owner, const char *owner_name)
{
    char dir[PATH_MAX];
    struct stat st;

    if (*ra_param(ctx, param) == '\0') {
        return OCF_SUCCESS;     /* the agent's own default, made at start */
    }
    folder_of(path, dir, sizeof(dir));
    /* The product's folder is made at start even when named explicitly (the
     * recommended configurations name it). */
    if (dir[0] != '\0' && strcmp(dir, RA_LOG_DIR) != 0
        && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        ra_exit_reason("parameter %s: folder %s does not exist on this node",
                       param, dir);
        return OCF_ERR_INSTALLED;
    }
    if (lstat(path, &st) == 0
        && (!S_ISREG(st.st_mode)
            || (st.st_uid != 0 && (owner == (uid_t) -1 || st.st_uid != owner)))) {
        ra_exit_reason("parameter %s: %s is not a regular file of root or %s",
                       param, path, owner_name);
        return OCF_ERR_PERM;
    }
    return OCF_SUCCESS;
}

int ra_logfile_dir_make(const char *path)
{
    char dir[PATH_MAX];
    const char *name = NULL;
    int parent;
    int fd;

    if (strlen(path) >= sizeof(dir)) {
        return -ENAMETOOLONG;
    }
    folder_of(path, dir, sizeof(dir));
    if (dir[0] == '\0') {
        return 0;
    }
    parent = ra_dir_open_parent(dir, &name);
    if (parent < 0) {
        return parent;
    }
    if (mkdirat(parent, name, 0750) != 0 && errno != EEXIST) {
        fd = -errno;
    } else {
        fd = ra_dir_open(dir);
    }
    close(parent);
    if (fd < 0) {
        return fd;
    }
    close(fd);
    return 0;
}

int ra_logfile_ready(const char *param, const char *path, uid_t uid, gid_t gid)
{
    int fd = ra_logfile_dir_make(path);

    if (fd == 0) {
        fd = ra_file_open_append(path, 0640, uid, gid);
    }
    if (fd < 0) {
        ra_exit_reason("%s %s cannot be used: %s (a symlink, FIFO, hard link or "
                       "another user's file is refused)", param, path, strerror(-fd));
        return -1;
    }
    close(fd);
    return 0;
}
