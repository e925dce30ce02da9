/* attr_cache.h: the per-resource cache of node attributes, internal to
 * attr.c (agents go through attr.h); its unit test and fuzzer call it
 * directly.  Licence: GPL-2.0-or-later. */
#ifndef RA_ATTR_CACHE_H
#define RA_ATTR_CACHE_H

/* A small key=value file: one "key<TAB>value<TAB>stamp" line per entry. */
struct ra_attr_cache;

/* Reads path (a missing file: an empty cache; malformed lines are skipped);
 * NULL when out of memory. */
struct ra_attr_cache *ra_attr_cache_open(const char *path);
/* The value of key; NULL when absent, older than five minutes (then written
 * again, in case Pacemaker erased it) or stamped in the future. */
const char *ra_attr_cache_get(const struct ra_attr_cache *c, const char *key);
/* The value of key whatever its age, NULL when absent. */
const char *ra_attr_cache_peek(const struct ra_attr_cache *c, const char *key);
/* Records key=value, stamped now: 0, -EINVAL (a tab or newline in either:
 * not representable, not cached) or -ENOMEM. */
int ra_attr_cache_put(struct ra_attr_cache *c, const char *key, const char *value);
/* Writes the file (temporary file, renamed) if anything changed; 0 or -errno. */
int ra_attr_cache_save(struct ra_attr_cache *c);
/* Frees the cache without saving it (NULL: nothing). */
void ra_attr_cache_close(struct ra_attr_cache *c);

#endif
