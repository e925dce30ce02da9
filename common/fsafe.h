/* fsafe.h: files in folders that other users can write (PGDATA and its
 * parent, /var/log/postgresql, the config folder), touched as root without
 * following their symlinks, blocking on their FIFOs or handing them our files.
 * Licence: GPL-2.0-or-later.
 *
 * The rules, in one place:
 * - every path component is opened with O_NOFOLLOW; a symlink is followed
 *   only when root owns it (an admin's link: /var/lib/pgsql -> /data), by
 *   reading it once and walking its target the same way;
 * - the final name is never followed, never a FIFO waited on (O_NONBLOCK),
 *   and must be a regular file with one link;
 * - an existing file is never chowned or chmodded; only a file this call
 *   created is given to uid/gid;
 * - whole-file writes go to a fresh O_EXCL temporary file in the same folder,
 *   renamed over the name (a planted link at the name is replaced, not
 *   followed).
 * Errors are -errno: -ELOOP a symlink (or a link loop), -EINVAL not a regular
 * file (FIFO, device, folder), -EMLINK a hard-linked file, -EPERM owned by a
 * user other than root or the expected one, -EFBIG larger than allowed. */
#ifndef RA_FSAFE_H
#define RA_FSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* "no owner change" / "any owner" for the uid/gid arguments below. */
#define RA_FSAFE_KEEP ((uid_t) -1)

/* Opens the folder path (absolute) for *at() calls.  Returns fd or -errno. */
int ra_dir_open(const char *path);

/* Opens the folder holding path and points *name at its last component
 * (inside path).  Returns the folder's fd or -errno. */
int ra_dir_open_parent(const char *path, const char **name);

/* Opens an existing regular file read-only.  owner: the user besides root
 * who may own it (RA_FSAFE_KEEP: anyone).  Returns fd or -errno. */
int ra_file_open_read(const char *path, uid_t owner);

/* Reads a whole regular file of at most max bytes into a malloc'd,
 * NUL-terminated buffer (*len without the NUL).  Returns 0 or -errno
 * (-ENOENT when missing). */
int ra_file_slurp(const char *path, uid_t owner, size_t max, char **buf,
                  size_t *len);

/* Replaces path with buf (temporary file + rename), mode as given, owned by
 * uid:gid (RA_FSAFE_KEEP: by us).  Returns 0 or -errno. */
int ra_file_replace(const char *path, const void *buf, size_t len,
                    mode_t mode, uid_t uid, gid_t gid);

/* Opens path to append to (a log file).  An existing file must be regular,
 * single-linked and owned by root or uid; a missing one is created with mode
 * and given to uid:gid.  Returns fd (O_APPEND, blocking) or -errno. */
int ra_file_open_append(const char *path, mode_t mode, uid_t uid, gid_t gid);

/* Creates path empty when missing (a flag file); an existing regular file
 * is left as it is.  Returns 0 or -errno. */
int ra_file_touch(const char *path, mode_t mode, uid_t uid, gid_t gid);

/* Removes path unless it is a folder (a symlink is removed, not followed).
 * Returns 0, -ENOENT or -errno. */
int ra_file_remove(const char *path);

/* True when something (of any type, a dangling symlink too) is at path. */
bool ra_file_exists(const char *path);

#endif
