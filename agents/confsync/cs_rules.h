/* cs_rules.h: the pure parsers of confsync's outside text: exclude patterns
 * (checked, matched, written as an rsync filter file) and peer lists.
 * Licence: GPL-2.0-or-later. */
#ifndef CS_RULES_H
#define CS_RULES_H

#include <stdbool.h>
#include <stddef.h>

#define CS_NODE_MAX 63          /* longest node name */
#define CS_HOST_MAX 120         /* longest peer address */

/* Exclude patterns, checked once: a pattern ending in "/" matches folders
 * only (the slash is kept apart in dir_only). */
struct cs_excludes {
    char **pat;
    bool *dir_only;
    size_t n;
};

/* Checks one exclude pattern: NULL when rsync takes it literally as an
 * exclude, else why not (filter-rule syntax, control character...). */
const char *cs_exclude_why_bad(const char *pattern);

/* Builds ex from n patterns (each checked).  Returns 0, -EINVAL with *why
 * naming the problem (and *bad the pattern), or -ENOMEM.  Free with
 * cs_excludes_free either way. */
int cs_excludes_build(struct cs_excludes *ex, const char *const *words,
                      size_t n, const char **why, const char **bad);
void cs_excludes_free(struct cs_excludes *ex);

/* True when the path rel (relative to the folder, its last component name)
 * is excluded, as rsync would decide for one transfer. */
bool cs_excludes_match(const struct cs_excludes *ex, const char *rel,
                       const char *name, bool isdir);

/* The rsync filter-file text of ex, one "- pattern" line each, anchored
 * patterns ("/x") moved under prefix ("" or "/<name>", its wildcard
 * characters escaped when rsync would read them).  Returns a malloc'd
 * NUL-terminated text (*len bytes) or NULL when out of memory. */
char *cs_excludes_filter(const struct cs_excludes *ex, const char *prefix,
                         size_t *len);

/* One peer: "node=address" or "node=address:port" (an address with more
 * than one ':' is an IPv6 address without a port). */
struct cs_peer_spec {
    char node[CS_NODE_MAX + 1];
    char host[CS_HOST_MAX + 1];
    char port[6];               /* "" when the transport's default */
};

/* Parses spec into p.  Returns 0 or -EINVAL with *why saying what is wrong
 * (nothing is truncated: too long is wrong). */
int cs_peer_parse(const char *spec, struct cs_peer_spec *p, const char **why);

#endif
