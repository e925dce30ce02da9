/* cs_receive.c: the receiving end of a confsync push over ssh: the
 * quarantine session folder made and handed to rsync as an open folder.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include "cs_receive.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsafe.h"

/* A quarantine session folder name as stamp_new makes them. */
static bool stamp_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 127 || s[0] == '.' || s[0] == '-') {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (!isalnum((unsigned char) *s) && strchr("._-", *s) == NULL) {
            return false;
        }
    }
    return true;
}

/* Opens (creating it 0750 when missing) the quarantine folder: its path is
 * walked without following a link another user planted.  fd or -errno. */
static int quarantine_open(const char *q)
{
    const char *name = NULL;
    int pfd = ra_dir_open_parent(q, &name);
    int rc = 0;

    if (pfd < 0) {
        return pfd;
    }
    rc = mkdirat(pfd, name, 0750) == 0 || errno == EEXIST ? 0 : -errno;
    close(pfd);
    return rc != 0 ? rc : ra_dir_open(q);
}

/* The session folder stamp in the quarantine qfd: a root-only folder this
 * program made (the ssh receiver is root); anything else planted under that
 * name is left alone and another name taken.  fd or -errno. */
static int session_open(int qfd, const char *q, const char *stamp)
{
    char name[160];

    for (int i = 0; i < 10; i++) {
        struct stat sb;
        int fd = -1;

        snprintf(name, sizeof(name), i == 0 ? "%s" : "%s.%d", stamp, i);
        if (mkdirat(qfd, name, 0700) != 0 && errno != EEXIST) {
            return -errno;
        }
        fd = openat(qfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
        if (fd >= 0 && fstat(fd, &sb) == 0 && sb.st_uid == geteuid()
            && (sb.st_mode & 077) == 0) {
            return fd;
        }
        if (fd >= 0) {
            close(fd);
        }
        fprintf(stderr, "confsync: %s/%s was not made by confsync (planted?): "
                "left alone, using another name\n", q, name);
    }
    return -EEXIST;
}

/* confsync-watcher --receive QUARANTINE STAMP rsync --server ...: rsync's
 * --rsync-path on the peer of an ssh push.  The backups go to the session
 * folder opened here, named to rsync as /proc/self/fd/N: renaming or
 * replacing the quarantine or the session folder afterwards (their owner
 * can) never redirects a file root moves. */
int cs_receive_main(int argc, char **argv)
{
    static char backup[64];
    int qfd = -1;
    int sfd = -1;

    if (argc < 6 || argv[2][0] != '/' || !stamp_ok(argv[3])) {
        fprintf(stderr, "confsync: bad --receive arguments\n");
        return CS_RECEIVE_FAILED;
    }
    qfd = quarantine_open(argv[2]);
    if (qfd < 0) {
        fprintf(stderr, "confsync: refusing to keep backups in %s: %s\n",
                argv[2], qfd == -ELOOP ? "it is (or goes through) a link "
                "not owned by root" : strerror(-qfd));
        return CS_RECEIVE_FAILED;
    }
    sfd = session_open(qfd, argv[2], argv[3]);
    close(qfd);
    if (sfd < 0) {
        fprintf(stderr, "confsync: cannot make a quarantine session folder in "
                "%s: %s\n", argv[2], strerror(-sfd));
        return CS_RECEIVE_FAILED;
    }
    snprintf(backup, sizeof(backup), "--backup-dir=/proc/self/fd/%d", sfd);
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--backup-dir") == 0 && i + 1 < argc) {
            argv[++i] = backup + strlen("--backup-dir=");
        } else if (strncmp(argv[i], "--backup-dir=", 13) == 0) {
            argv[i] = backup;
        }
    }
    execvp(argv[4], argv + 4);
    fprintf(stderr, "confsync: cannot execute %s: %s\n", argv[4],
            strerror(errno));
    return CS_RECEIVE_FAILED;
}

