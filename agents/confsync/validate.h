/* validate.h: the confsync resource's configuration, read from its
 * parameters and checked (validate-all, and every action before it acts).
 * Licence: GPL-2.0-or-later. */
#ifndef CS_VALIDATE_H
#define CS_VALIDATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "ra.h"

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
    long delay_ms;
    long lag_ms;
    bool rsyncd;
    char **excludes;
    char **peers;               /* "node=address" words */
    char rsync[PATH_MAX];       /* rsync found in PATH */
    char watcher[PATH_MAX];
};

/* Checks every parameter, finds rsync, ssh and the watcher; fills cfg
 * (cfg_free it either way).  Returns an OCF code (reason printed). */
int cfg_load(struct ra_ctx *ctx, struct cs_cfg *cfg);
void cfg_free(struct cs_cfg *cfg);

/* s holds only letters, digits and the characters of extra. */
bool chars_ok(const char *s, const char *extra);
/* The rsync daemon's user from the secrets file: 0 or -errno (-EINVAL: no
 * "user:password" line, or a user name over len - 1 characters). */
int secrets_user(const char *file, char *user, size_t len);

#endif
