/* logfile.h: the files an agent writes as root on a daemon's behalf (its
 * log, its pid file): where they are, whether validate-all accepts them, and
 * the product's log folder, made at start.  Licence: GPL-2.0-or-later. */
#ifndef RA_LOGFILE_H
#define RA_LOGFILE_H

#include <stddef.h>
#include <sys/types.h>

struct ra_ctx;

/* The product's log folder: root's (0750), made at start when missing, so
 * nobody but root can plant a link or a FIFO at a log's name in it. */
#define RA_LOG_DIR "/var/log/ctfreak-ha"

/* Copies the path parameter param into buf, or when it is empty and stem
 * is not NULL, RA_LOG_DIR/stem.log; a path that does not fit is refused,
 * never cut.  Returns 0 or -1 (exit reason given). */
int ra_logfile_path(const struct ra_ctx *ctx, const char *param,
                    const char *stem, char *buf, size_t len);

/* validate-all for a file parameter param (path, as ra_logfile_path made
 * it): when set, its folder must exist (a typo is never created) unless it
 * is RA_LOG_DIR; a file already there must be a regular file of root or of
 * owner ((uid_t) -1: root alone), named owner_name in the reason.  Returns
 * OCF_SUCCESS, OCF_ERR_INSTALLED or OCF_ERR_PERM (exit reason given). */
int ra_logfile_check(const struct ra_ctx *ctx, const char *param,
                     const char *path, uid_t owner, const char *owner_name);

/* Makes the folder holding path when it is missing (root's, 0750; its own
 * parent must exist; an existing folder is left as it is) and refuses one
 * reached through another user's symlink.  Returns 0 or -errno. */
int ra_logfile_dir_make(const char *path);

/* Makes the log file param names ready for a daemon's launch: its folder
 * made (ra_logfile_dir_make), the file opened as fsafe.h does (a symlink,
 * FIFO, hard link or another user's file is refused; a new file is given to
 * uid:gid).  Returns 0 or -1 (exit reason given, naming param and path). */
int ra_logfile_ready(const char *param, const char *path, uid_t uid, gid_t gid);

#endif
