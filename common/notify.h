/* notify.h: a Pacemaker clone notification (OCF_RESKEY_CRM_meta_notify_*),
 * parsed once and read through predicates.  Licence: GPL-2.0-or-later. */
#ifndef RA_NOTIFY_H
#define RA_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

enum ra_notify_type {
    RA_NOTIFY_TYPE_UNKNOWN,     /* unset or not "pre"/"post" */
    RA_NOTIFY_PRE,
    RA_NOTIFY_POST,
};

enum ra_notify_op {
    RA_NOTIFY_OP_UNKNOWN,       /* unset or another operation */
    RA_NOTIFY_START,
    RA_NOTIFY_STOP,
    RA_NOTIFY_PROMOTE,
    RA_NOTIFY_DEMOTE,
};

/* The node lists (notify_<list>_uname).  Promoted and unpromoted are read
 * under their Pacemaker 2.1 names, or the old master/slave names when the new
 * ones are unset. */
enum ra_notify_list {
    RA_NODES_ACTIVE,            /* running the resource before the transition */
    RA_NODES_INACTIVE,
    RA_NODES_AVAILABLE,
    RA_NODES_ALL,
    RA_NODES_START,             /* what the transition does */
    RA_NODES_STOP,
    RA_NODES_PROMOTE,
    RA_NODES_DEMOTE,
    RA_NODES_PROMOTED,          /* the roles before the transition */
    RA_NODES_UNPROMOTED,
    RA_NODES_COUNT,
};

/* Node names in the order Pacemaker listed them; no empty name. */
struct ra_nodes {
    char **names;
    size_t count;
};

struct ra_notify {
    enum ra_notify_type type;
    enum ra_notify_op op;
    const char *type_str;       /* as set ("" when unset), for the log */
    const char *op_str;
    struct ra_nodes lists[RA_NODES_COUNT];
};

/* Reads a notification from an environ-style array (NAME=value strings,
 * NULL-terminated; type_str/op_str point into it).  Returns 0 or -ENOMEM
 * (n is then empty).  Free with ra_notify_free. */
int ra_notify_parse(struct ra_notify *n, char *const *envp);
/* The same, from this process's environment. */
int ra_notify_from_env(struct ra_notify *n);
void ra_notify_free(struct ra_notify *n);

/* Splits a blank-separated node list into out (free with ra_nodes_free).
 * Returns 0 or -ENOMEM. */
int ra_nodes_parse(const char *list, struct ra_nodes *out);
void ra_nodes_free(struct ra_nodes *nodes);
bool ra_nodes_has(const struct ra_nodes *nodes, const char *node);

/* Is this the type-op notification (e.g. pre-promote)? */
bool ra_notify_is(const struct ra_notify *n, enum ra_notify_type type,
                  enum ra_notify_op op);
/* Is node in the list? */
bool ra_notify_has(const struct ra_notify *n, enum ra_notify_list list,
                   const char *node);
/* The first node of the list, or NULL when it is empty. */
const char *ra_notify_first(const struct ra_notify *n, enum ra_notify_list list);

/* The node being promoted (first of promote), or NULL. */
const char *ra_notify_promote_target(const struct ra_notify *n);
/* Is the promotion a recovery in place: its target is promoted already? */
bool ra_notify_is_recovery(const struct ra_notify *n);
/* A switchover: the node demoted in this transition and kept running (not in
 * stop), or NULL (no demote, or the demoted node stops: a failover). */
const char *ra_notify_switchover_from(const struct ra_notify *n);
/* The nodes that run the resource once the transition is done, other than
 * self: active and start, in order, not stop, each followed by one space
 * ("" when none).  Returns a malloc'd string or NULL (out of memory). */
char *ra_notify_nodes_after(const struct ra_notify *n, const char *self);

#endif
