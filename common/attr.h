/* attr.h: node attributes and promotion scores through crm_attribute and
 * attrd_updater (argv exec), cached so a steady monitor forks nothing.
 * Licence: GPL-2.0-or-later. */
#ifndef RA_ATTR_H
#define RA_ATTR_H

#include "ra.h"

enum ra_attr_kind {
    RA_ATTR_TRANSIENT,  /* attrd_updater, lifetime reboot, shown by crm_mon -A */
    RA_ATTR_PRIVATE,    /* attrd_updater -p: never written to the CIB */
    RA_ATTR_PROMOTION,  /* crm_attribute --promotion: the score of this resource */
};

/* Sets name=value on node (NULL: the local node).  Skips the exec when the
 * per-resource cache says the value is already that; otherwise execs, then,
 * for a score or a private attribute's new value, polls until it is visible
 * (bounded by the action's deadline).  crm_mon's (transient) attributes are
 * not read back and reach the CIB 2 s after they change (dampening).
 * Returns 0 or -errno (-ETIMEDOUT when it never became visible). */
int ra_attr_set(struct ra_ctx *ctx, enum ra_attr_kind kind, const char *name,
                const char *node, const char *value);

/* Reads name on node into *value (malloc'd; NULL when unset).  Returns 0 or -errno. */
int ra_attr_get(struct ra_ctx *ctx, enum ra_attr_kind kind, const char *name,
                const char *node, char **value);

/* Deletes name on node (no-op via the cache when known absent). */
int ra_attr_del(struct ra_ctx *ctx, enum ra_attr_kind kind, const char *name,
                const char *node);

/* Forgets the cache (e.g. at start and stop). */
void ra_attr_cache_reset(struct ra_ctx *ctx);

#endif
