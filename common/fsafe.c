/* fsafe.c: files in folders other users can write, touched without following
 * their links or waiting on their FIFOs.  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "fsafe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Root-owned symlinks followed in one walk, at most (a loop ends here). */
#define LINKS_MAX 8

static int walk(int base, const char *path, int *links);

/* Follows the root-owned link comp in folder fd: its target is read once
 * and walked with the same rules (no later swap of the link is followed). */
static int walk_link(int fd, const char *comp, int *links)
{
    char target[PATH_MAX];
    struct stat sb;
    ssize_t n;

    if (fstatat(fd, comp, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
        return -errno;
    }
    if (!S_ISLNK(sb.st_mode)) {
        return -ENOTDIR;
    }
    if (sb.st_uid != 0 || ++*links > LINKS_MAX) {
        return -ELOOP;
    }
    n = readlinkat(fd, comp, target, sizeof(target) - 1);
    if (n < 0) {
        return -errno;
    }
    target[n] = '\0';
    return walk(fd, target, links);
}

/* Opens the folder path relative to base (or / when absolute), one
 * component at a time.  Returns fd or -errno. */
static int walk(int base, const char *path, int *links)
{
    char buf[PATH_MAX];
    char *save = NULL;
    char *comp;
    int fd;

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int) sizeof(buf)) {
        return -ENAMETOOLONG;
    }
    fd = path[0] == '/' ? open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                        : fcntl(base, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    for (comp = strtok_r(buf, "/", &save); comp != NULL;
         comp = strtok_r(NULL, "/", &save)) {
        int next;

        if (strcmp(comp, ".") == 0) {
            continue;
        }
        next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                      | O_NONBLOCK | O_CLOEXEC);
        if (next < 0) {
            next = (errno == ELOOP || errno == ENOTDIR)
                   ? walk_link(fd, comp, links) : -errno;
        }
        close(fd);
        if (next < 0) {
            return next;
        }
        fd = next;
    }
    return fd;
}

int ra_dir_open(const char *path)
{
    int links = 0;

    if (path == NULL || path[0] != '/') {
        return -EINVAL;
    }
    return walk(-1, path, &links);
}

int ra_dir_open_parent(const char *path, const char **name)
{
    char dir[PATH_MAX];
    const char *slash;
    size_t n;

    if (path == NULL || path[0] != '/') {
        return -EINVAL;
    }
    /* The name must end the path: "/a/b/" (a trailing slash) names no file. */
    n = strlen(path);
    slash = strrchr(path, '/');
    if ((size_t) (slash - path) + 1 >= n) {
        return -EINVAL;
    }
    if (n - (size_t) (slash - path) - 1 > NAME_MAX) {
        return -ENAMETOOLONG;
    }
    *name = slash + 1;
    if (strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0) {
        return -EINVAL;
    }
    if (snprintf(dir, sizeof(dir), "%.*s", (int) (slash - path), path)
        >= (int) sizeof(dir)) {
        return -ENAMETOOLONG;
    }
    return ra_dir_open(dir[0] != '\0' ? dir : "/");
}

/* The checks every file we use passes once open. */
static int file_check(int fd, uid_t owner)
{
    struct stat sb;

    if (fstat(fd, &sb) != 0) {
        return -errno;
    }
    if (!S_ISREG(sb.st_mode)) {
        return -EINVAL;
    }
    if (sb.st_nlink > 1) {
        return -EMLINK;
    }
    if (owner != RA_FSAFE_KEEP && sb.st_uid != 0 && sb.st_uid != owner
        && sb.st_uid != geteuid()) {
        return -EPERM;
    }
    return 0;
}

/* openat(dir, name) that never follows name and never waits on a FIFO;
 * the result is blocking again once known to be a regular file. */
static int open_checked(int dir, const char *name, int flags, mode_t mode,
                        uid_t owner)
{
    int fd = openat(dir, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                    mode);
    int rc;

    if (fd < 0) {
        return errno == ENXIO ? -EINVAL : -errno;   /* a FIFO, no reader */
    }
    rc = file_check(fd, owner);
    if (rc == 0 && fcntl(fd, F_SETFL, flags & O_APPEND) != 0) {
        rc = -errno;
    }
    if (rc != 0) {
        close(fd);
        return rc;
    }
    return fd;
}

int ra_file_open_read(const char *path, uid_t owner)
{
    const char *name = NULL;
    int dir = ra_dir_open_parent(path, &name);
    int fd;

    if (dir < 0) {
        return dir;
    }
    fd = open_checked(dir, name, O_RDONLY, 0, owner);
    close(dir);
    return fd;
}

int ra_file_slurp(const char *path, uid_t owner, size_t max, char **buf,
                  size_t *len)
{
    int fd = ra_file_open_read(path, owner);
    size_t have = 0;
    char *b;
    ssize_t n;

    *buf = NULL;
    *len = 0;
    if (fd < 0) {
        return fd;
    }
    b = malloc(max + 1);
    if (b == NULL) {
        close(fd);
        return -ENOMEM;
    }
    /* One byte more than allowed tells a file that is too large. */
    while (have <= max && (n = read(fd, b + have, max + 1 - have)) != 0) {
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            n = -errno;
            close(fd);
            free(b);
            return (int) n;
        }
        have += (size_t) n;
    }
    close(fd);
    if (have > max) {
        free(b);
        return -EFBIG;
    }
    b[have] = '\0';
    *buf = b;
    *len = have;
    return 0;
}

/* Creates a fresh temporary file beside name in dir (O_EXCL: never an
 * existing one).  Writes its name into tmp. */
static int temp_create(int dir, const char *name, mode_t mode, char *tmp,
                       size_t len)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    for (int i = 0; i < 16; i++) {
        int fd;

        snprintf(tmp, len, ".%.200s.%d.%lx%02d", name, (int) getpid(),
                 (unsigned long) ts.tv_nsec, i);
        fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                    | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST) {
            return fd >= 0 ? fd : -errno;
        }
    }
    return -EEXIST;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

int ra_file_replace(const char *path, const void *buf, size_t len,
                    mode_t mode, uid_t uid, gid_t gid)
{
    const char *name = NULL;
    char tmp[NAME_MAX + 1];
    int dir = ra_dir_open_parent(path, &name);
    int fd;
    int rc;

    if (dir < 0) {
        return dir;
    }
    fd = temp_create(dir, name, mode, tmp, sizeof(tmp));
    if (fd < 0) {
        close(dir);
        return fd;
    }
    rc = write_all(fd, buf, len);
    if (rc == 0 && uid != RA_FSAFE_KEEP && fchown(fd, uid, gid) != 0) {
        rc = -errno;
    }
    if (rc == 0 && fchmod(fd, mode) != 0) {
        rc = -errno;            /* the umask may have narrowed it */
    }
    if (rc == 0 && fsync(fd) != 0) {
        rc = -errno;            /* the new content is on disk before the name */
    }
    if (close(fd) != 0 && rc == 0) {
        rc = -errno;
    }
    if (rc == 0 && renameat(dir, tmp, dir, name) != 0) {
        rc = -errno;
    }
    if (rc != 0) {
        (void) unlinkat(dir, tmp, 0);
    }
    close(dir);
    return rc;
}

/* Creates name in dir (O_EXCL) and gives it to uid:gid, or opens the
 * existing regular file (a file removed between the two is created on the
 * second try).  Returns fd or -errno. */
static int create_or_open(int dir, const char *name, int flags, mode_t mode,
                          uid_t uid, gid_t gid)
{
    int fd = -ENOENT;

    for (int tries = 0; tries < 2 && fd == -ENOENT; tries++) {
        fd = openat(dir, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW
                    | O_CLOEXEC, mode);
        if (fd >= 0) {
            if (uid != RA_FSAFE_KEEP && fchown(fd, uid, gid) != 0) {
                int e = errno;

                close(fd);
                (void) unlinkat(dir, name, 0);
                return -e;
            }
            return fd;
        }
        if (errno != EEXIST) {
            return -errno;
        }
        fd = open_checked(dir, name, flags, 0, uid);
    }
    return fd;
}

/* create_or_open on path's last name, in its folder opened the fsafe way. */
static int path_create_or_open(const char *path, int flags, mode_t mode,
                               uid_t uid, gid_t gid)
{
    const char *name = NULL;
    int dir = ra_dir_open_parent(path, &name);
    int fd;

    if (dir < 0) {
        return dir;
    }
    fd = create_or_open(dir, name, flags, mode, uid, gid);
    close(dir);
    return fd;
}

int ra_file_open_append(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
    return path_create_or_open(path, O_WRONLY | O_APPEND, mode, uid, gid);
}

int ra_file_touch(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
    int fd = path_create_or_open(path, O_RDONLY, mode, uid, gid);

    if (fd < 0) {
        return fd;
    }
    close(fd);
    return 0;
}

int ra_file_remove(const char *path)
{
    const char *name = NULL;
    int dir = ra_dir_open_parent(path, &name);
    int rc = 0;

    if (dir < 0) {
        return dir;
    }
    if (unlinkat(dir, name, 0) != 0) {
        rc = -errno;
    }
    close(dir);
    return rc;
}

bool ra_file_exists(const char *path)
{
    const char *name = NULL;
    int dir = ra_dir_open_parent(path, &name);
    struct stat sb;
    bool found;

    if (dir < 0) {
        return false;
    }
    found = fstatat(dir, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
    close(dir);
    return found;
}
