/* trust.h: may root trust a file it runs or reads (a program, a key, a
 * known_hosts file, a folder of programs)?  Licence: GPL-2.0-or-later.
 *
 * Trusted: the file and every folder on its way (the path as given and the
 * path its symlinks lead to) are owned by root or by one named user, and no
 * other user can write them.  A folder others can write passes only with
 * the sticky bit (/tmp, /var/log/postgresql 1775): nobody else can rename
 * or replace what root or that user owns in it. */
#ifndef RA_TRUST_H
#define RA_TRUST_H

#include <sys/types.h>

/* No user besides root (the owner argument below). */
#define RA_TRUST_ROOT_ONLY ((uid_t) 0)

/* Checks path (absolute).  owner: the user besides root who may own the
 * file and its folders (RA_TRUST_ROOT_ONLY: root alone).  Returns 0, or
 * -ENOENT missing, -EPERM owned by another user, -EACCES writable by
 * another user, -errno; *bad (when not NULL) is then set to the path of
 * the offending file or folder (a static buffer). */
int ra_trust_check(const char *path, uid_t owner, const char **bad);

/* The same for parameter param, reported once: an exit reason naming the
 * parameter and the offending path.  Returns OCF_SUCCESS, OCF_ERR_INSTALLED
 * (missing) or OCF_ERR_PERM (owned or writable by another user). */
int ra_param_trusted(const char *param, const char *path, uid_t owner);

#endif
