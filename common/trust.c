/* trust.c: may root trust a file it runs or reads?  Ownership and write
 * permission of the file and of every folder on its way.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "trust.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "ocf.h"

/* Can a user other than root and owner change sb (write it, or for a
 * folder replace what is in it)?  Group root counts as root. */
static int node_check(const struct stat *sb, uid_t owner, int last)
{
    mode_t others = (sb->st_gid != 0 ? S_IWGRP : 0) | S_IWOTH;

    if (sb->st_uid != 0 && sb->st_uid != owner) {
        return -EPERM;
    }
    if (S_ISLNK(sb->st_mode)) {
        return 0;   /* its folder is checked; its target is walked too */
    }
    if ((sb->st_mode & others) != 0
        && (last || !S_ISDIR(sb->st_mode) || (sb->st_mode & S_ISVTX) == 0)) {
        return -EACCES;
    }
    return 0;
}

/* Walks "/", "/a", "/a/b", ... path (lstat: a symlink is checked as a
 * link, what follows it through its target).  Returns 0 or -errno with
 * the offending prefix in bad. */
static int walk_check(const char *path, uid_t owner, char *bad, size_t len)
{
    size_t n = strlen(path);
    struct stat sb;

    if (path[0] != '/' || n >= len) {
        return -EINVAL;
    }
    for (size_t end = 1; end <= n; end++) {
        int rc;

        if (end < n && path[end] != '/') {
            continue;
        }
        memcpy(bad, path, end);
        bad[end] = '\0';
        if (lstat(bad, &sb) != 0) {
            return -errno;
        }
        rc = node_check(&sb, owner, end == n);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int ra_trust_check(const char *path, uid_t owner, const char **bad)
{
    static char where[PATH_MAX];
    char *real = NULL;
    int rc;

    if (bad != NULL) {
        *bad = path;
    }
    rc = walk_check(path, owner, where, sizeof(where));
    if (rc == 0) {
        real = realpath(path, NULL);
        rc = real != NULL ? walk_check(real, owner, where, sizeof(where)) : -errno;
        free(real);
    }
    if (rc != 0 && rc != -EINVAL && bad != NULL) {
        *bad = where;
    }
    return rc;
}

int ra_param_trusted(const char *param, const char *path, uid_t owner)
{
    const char *bad = path;
    int rc = ra_trust_check(path, owner, &bad);

    switch (rc) {
    case 0:
        return OCF_SUCCESS;
    case -ENOENT:
    case -ENOTDIR:
        ra_exit_reason("parameter %s: %s does not exist on this node", param, bad);
        return OCF_ERR_INSTALLED;
    case -EPERM:
        ra_exit_reason("parameter %s: %s is owned by a user other than root%s "
                       "(that user could change what root runs or reads)", param, bad,
                       owner != RA_TRUST_ROOT_ONLY ? " or the service user" : "");
        return OCF_ERR_PERM;
    case -EACCES:
        ra_exit_reason("parameter %s: %s can be written by a user other than "
                       "root%s", param, bad,
                       owner != RA_TRUST_ROOT_ONLY ? " or the service user" : "");
        return OCF_ERR_PERM;
    default:
        ra_exit_reason("parameter %s: cannot check %s: %s", param, bad, strerror(-rc));
        return OCF_ERR_INSTALLED;
    }
}
