/* ra.h: the OCF agent skeleton: the context of an action (environment,
 * parameters, deadline), action dispatch, state paths, meta attributes.
 * Licence: GPL-2.0-or-later. */
#ifndef RA_H
#define RA_H

#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"
#include "ocf.h"
#include "params.h"

struct ra_ctx;

struct ra_action {
    const char *name;
    int (*fn)(struct ra_ctx *ctx);
};

struct ra_agent {
    const char *name;                   /* "ctfreak", "pgsql", "confsync" */
    const char *metadata;               /* the XML, byte for byte */
    const struct ra_param_def *params;  /* terminated by { NULL } */
    const struct ra_action *actions;    /* terminated by { NULL } */
};

/* Everything an action knows: the parsed environment, nothing else global. */
struct ra_ctx {
    const struct ra_agent *agent;
    const char *action;
    const char *instance;       /* OCF_RESOURCE_INSTANCE (or the agent name) */
    const char *node;           /* OCF_RESKEY_CRM_meta_on_node or uname */
    const char *rsctmp;         /* HA_RSCTMP, default /run/resource-agents */
    long timeout_ms;            /* OCF_RESKEY_CRM_meta_timeout, default 20000 */
    long interval_ms;           /* OCF_RESKEY_CRM_meta_interval, 0 = probe */
    int check_level;            /* OCF_CHECK_LEVEL */
    bool is_probe;              /* monitor with interval 0 */
    struct ra_deadline deadline;
    struct ra_params params;
    char nodebuf[256];
};

/* The main of every agent: dispatches argv[1] and returns the OCF code. */
int ra_main(const struct ra_agent *agent, int argc, char **argv);

/* Path of a per-resource state file: <rsctmp>/<agent>-<instance>.<suffix>. */
int ra_state_path(const struct ra_ctx *ctx, const char *suffix, char *buf,
                  size_t len);

/* Promoted-max and notify meta attributes (both old and new names). */
long ra_meta_promoted_max(void);
bool ra_meta_notify(void);

#endif
