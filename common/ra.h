/* ra.h: the OCF agent skeleton: environment, parameters from the embedded
 * meta-data, action dispatch.  Licence: GPL-2.0-or-later. */
#ifndef RA_H
#define RA_H

#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"
#include "ocf.h"

enum ra_param_type {
    RA_PARAM_STRING,
    RA_PARAM_INTEGER,
    RA_PARAM_BOOLEAN,
    RA_PARAM_SECOND,    /* integer in meta-data; seconds, optional s/ms/min suffix */
    RA_PARAM_SELECT,
    RA_PARAM_PATH,      /* string in meta-data, <special> type="path": absolute,
                         * no control character */
    RA_PARAM_NAME,      /* string in meta-data, <special> type="name" (a user):
                         * no control character or blank, no leading '-',
                         * at most 63 bytes */
};

/* One parameter as the meta-data describes it (generated from the XML). */
struct ra_param_def {
    const char *name;
    enum ra_param_type type;
    const char *def;            /* default, NULL if none */
    bool required;
    bool reloadable;
    const char *options;        /* select: "a|b|c" */
    long long min, max;         /* integer/second bounds (min > max: none) */
};

struct ra_params {
    const struct ra_param_def *defs;
    size_t count;
    const char **values;        /* values[i] for defs[i]: env or default, may be NULL */
};

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

/* Reads and checks parameters from OCF_RESKEY_* (getenv).  On a bad value it
 * prints the exit reason naming the parameter and returns OCF_ERR_CONFIGURED;
 * otherwise OCF_SUCCESS.  params is filled either way (ra_params_free). */
int ra_params_load(struct ra_params *params, const struct ra_param_def *defs);
void ra_params_free(struct ra_params *params);

/* Checks one value against its definition; returns NULL or a static reason.
 * Every string refuses control characters but tab and newline (separators
 * of word lists); paths and names refuse those too. */
const char *ra_param_check(const struct ra_param_def *def, const char *value);

/* Parsed values (the parameter must exist in the meta-data: abort otherwise). */
const char *ra_param(const struct ra_ctx *ctx, const char *name);
long long ra_param_int(const struct ra_ctx *ctx, const char *name);
bool ra_param_bool(const struct ra_ctx *ctx, const char *name);
/* A "second" parameter in milliseconds. */
long ra_param_ms(const struct ra_ctx *ctx, const char *name);

/* Value parsers shared with the checks: return 0 or -EINVAL. */
int ra_parse_bool(const char *s, bool *out);
int ra_parse_int(const char *s, long long *out);
int ra_parse_duration_ms(const char *s, long *ms);

/* Path of a per-resource state file: <rsctmp>/<agent>-<instance>.<suffix>. */
int ra_state_path(const struct ra_ctx *ctx, const char *suffix, char *buf,
                  size_t len);

/* Promoted-max and notify meta attributes (both old and new names). */
long ra_meta_promoted_max(void);
bool ra_meta_notify(void);

#endif
