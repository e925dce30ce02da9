/* params.h: an agent's parameters as its meta-data describes them (the
 * table generated from the XML), loaded from OCF_RESKEY_*, checked, and
 * parsed.  Licence: GPL-2.0-or-later. */
#ifndef RA_PARAMS_H
#define RA_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

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

/* Reads and checks parameters from OCF_RESKEY_* (getenv).  On a bad value it
 * prints the exit reason naming the parameter and returns OCF_ERR_CONFIGURED;
 * otherwise OCF_SUCCESS.  params is filled either way (ra_params_free). */
int ra_params_load(struct ra_params *params, const struct ra_param_def *defs);
void ra_params_free(struct ra_params *params);

/* Checks one value against its definition; returns NULL or a static reason.
 * Every string refuses control characters but tab and newline (separators
 * of word lists); paths and names refuse those too. */
const char *ra_param_check(const struct ra_param_def *def, const char *value);

/* Parsed values of ctx->params, filled by ra_main (ra.h) before an action
 * runs (the parameter must exist in the meta-data: abort otherwise). */
const char *ra_param(const struct ra_ctx *ctx, const char *name);
long long ra_param_int(const struct ra_ctx *ctx, const char *name);
bool ra_param_bool(const struct ra_ctx *ctx, const char *name);
/* A "second" parameter in milliseconds. */
long ra_param_ms(const struct ra_ctx *ctx, const char *name);

/* Value parsers shared with the checks: return 0 or -EINVAL. */
int ra_parse_bool(const char *s, bool *out);
int ra_parse_int(const char *s, long long *out);
int ra_parse_duration_ms(const char *s, long *ms);

#endif
