/* params.c: OCF_RESKEY_* parameters, defaulted and checked from the table
 * generated out of the meta-data XML.  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "params.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "ra.h"

int ra_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "1", "true", "yes", "on", "y", NULL };
    static const char *const no[] = { "0", "false", "no", "off", "n", NULL };

    if (s == NULL) {
        return -EINVAL;
    }
    for (size_t i = 0; yes[i] != NULL; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
    }
    for (size_t i = 0; no[i] != NULL; i++) {
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

int ra_parse_int(const char *s, long long *out)
{
    char *end = NULL;
    long long v;

    if (s == NULL || *s == '\0' || isspace((unsigned char) *s)) {
        return -EINVAL;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        return -EINVAL;
    }
    *out = v;
    return 0;
}

int ra_parse_duration_ms(const char *s, long *ms)
{
    char *end = NULL;
    long long v;
    long long mult = 1000;

    if (s == NULL || !isdigit((unsigned char) *s)) {
        return -EINVAL;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0) {
        return -EINVAL;
    }
    if (*end == '\0' || strcmp(end, "s") == 0 || strcmp(end, "sec") == 0) {
        mult = 1000;
    } else if (strcmp(end, "ms") == 0 || strcmp(end, "msec") == 0) {
        mult = 1;
    } else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0) {
        mult = 60000;
    } else {
        return -EINVAL;
    }
    if (v > LONG_MAX / mult) {
        return -EINVAL;
    }
    *ms = (long) (v * mult);
    return 0;
}

static bool option_allowed(const char *options, const char *value)
{
    size_t vlen = strlen(value);
    const char *p = options;

    while (p != NULL && *p != '\0') {
        const char *bar = strchr(p, '|');
        size_t len = bar != NULL ? (size_t) (bar - p) : strlen(p);

        if (len == vlen && strncmp(p, value, len) == 0) {
            return true;
        }
        p = bar != NULL ? bar + 1 : NULL;
    }
    return false;
}

/* The first control character of s not in allow, or NULL.  A newline in a
 * path or name splits a log line, a state file's record or a config file
 * it is written into; an escape sequence rewrites the admin's terminal. */
static const char *control_char(const char *s, const char *allow)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char) *s;

        if ((c < 0x20 || c == 0x7f) && strchr(allow, c) == NULL) {
            return s;
        }
    }
    return NULL;
}

static const char *path_check(const char *value)
{
    if (control_char(value, "") != NULL) {
        return "holds a control character (a newline, tab or escape)";
    }
    if (value[0] != '/') {
        return "is not an absolute path";
    }
    if (strlen(value) >= PATH_MAX) {
        return "is longer than PATH_MAX";
    }
    return NULL;
}

/* A user or role name: Linux allows 32 bytes, PostgreSQL 63. */
#define NAME_MAX_LEN 63

static const char *name_check(const char *value)
{
    if (strlen(value) > NAME_MAX_LEN) {
        return "is longer than 63 bytes";
    }
    if (control_char(value, "") != NULL || strpbrk(value, " ") != NULL) {
        return "holds a blank or a control character";
    }
    if (value[0] == '-') {
        return "starts with '-' (it would read as an option)";
    }
    return NULL;
}

static bool has_bounds(const struct ra_param_def *def)
{
    return def->min <= def->max;
}

const char *ra_param_check(const struct ra_param_def *def, const char *value)
{
    long long n = 0;
    long ms = 0;
    bool b = false;

    if (value == NULL || *value == '\0') {
        return def->required ? "is required" : NULL;
    }
    switch (def->type) {
    case RA_PARAM_STRING:
        return control_char(value, "\t\n") != NULL
               ? "holds a control character other than tab or newline" : NULL;
    case RA_PARAM_PATH:
        return path_check(value);
    case RA_PARAM_NAME:
        return name_check(value);
    case RA_PARAM_BOOLEAN:
        return ra_parse_bool(value, &b) == 0 ? NULL : "is not a boolean (true/false)";
    case RA_PARAM_SELECT:
        return option_allowed(def->options, value) ? NULL : "is not one of the allowed values";
    case RA_PARAM_INTEGER:
        if (ra_parse_int(value, &n) != 0) {
            return "is not an integer";
        }
        break;
    case RA_PARAM_SECOND:
        if (ra_parse_duration_ms(value, &ms) != 0) {
            return "is not a duration in seconds (e.g. 5, 5s, 500ms, 1min)";
        }
        /* Bounds are whole seconds; compare in milliseconds. */
        if (has_bounds(def) && (ms < def->min * 1000 || ms > def->max * 1000)) {
            return "is out of range";
        }
        return NULL;
    }
    if (has_bounds(def) && (n < def->min || n > def->max)) {
        return "is out of range";
    }
    return NULL;
}

static const char *env_value(const char *name)
{
    char key[256];

    snprintf(key, sizeof(key), "OCF_RESKEY_%s", name);
    return getenv(key);
}

/* The exit reason of a refused value.  The value is shown only when it is
 * harmless to: never a free string (it may be a conninfo with a password),
 * never one holding control characters, and cut when long. */
static void param_refuse(const struct ra_param_def *def, const char *v, const char *why)
{
    if (v == NULL || *v == '\0') {
        ra_exit_reason("parameter %s=\"\" %s", def->name, why);
    } else if (def->type == RA_PARAM_STRING || control_char(v, "") != NULL) {
        ra_exit_reason("parameter %s %s (value not shown)", def->name, why);
    } else if (def->type == RA_PARAM_SELECT) {
        ra_exit_reason("parameter %s=\"%.64s%s\" %s (%s)", def->name, v,
                       strlen(v) > 64 ? "..." : "", why, def->options);
    } else {
        ra_exit_reason("parameter %s=\"%.64s%s\" %s", def->name, v,
                       strlen(v) > 64 ? "..." : "", why);
    }
}

int ra_params_load(struct ra_params *params, const struct ra_param_def *defs)
{
    size_t count = 0;
    int rc = OCF_SUCCESS;

    while (defs[count].name != NULL) {
        count++;
    }
    params->defs = defs;
    params->count = count;
    params->values = calloc(count + 1, sizeof(*params->values));
    if (params->values == NULL) {
        ra_exit_reason("out of memory");
        return OCF_ERR_GENERIC;
    }
    for (size_t i = 0; i < count; i++) {
        const char *v = env_value(defs[i].name);
        const char *why;

        if (v == NULL || (*v == '\0' && defs[i].def != NULL)) {
            v = defs[i].def;
        }
        params->values[i] = v;
        why = ra_param_check(&defs[i], v);
        if (why != NULL && rc == OCF_SUCCESS) {
            param_refuse(&defs[i], v, why);
            rc = OCF_ERR_CONFIGURED;
        }
    }
    return rc;
}

void ra_params_free(struct ra_params *params)
{
    free(params->values);
    params->values = NULL;
    params->count = 0;
}

static size_t param_index(const struct ra_params *params, const char *name)
{
    for (size_t i = 0; i < params->count; i++) {
        if (strcmp(params->defs[i].name, name) == 0) {
            return i;
        }
    }
    /* A programming error: the agent asked for a parameter its meta-data lacks. */
    fprintf(stderr, "BUG: parameter %s is not in the meta-data\n", name);
    abort();
}

const char *ra_param(const struct ra_ctx *ctx, const char *name)
{
    const char *v = ctx->params.values[param_index(&ctx->params, name)];

    return v != NULL ? v : "";
}

long long ra_param_int(const struct ra_ctx *ctx, const char *name)
{
    long long v = 0;

    (void) ra_parse_int(ra_param(ctx, name), &v);
    return v;
}

bool ra_param_bool(const struct ra_ctx *ctx, const char *name)
{
    bool v = false;

    (void) ra_parse_bool(ra_param(ctx, name), &v);
    return v;
}

long ra_param_ms(const struct ra_ctx *ctx, const char *name)
{
    long ms = 0;

    (void) ra_parse_duration_ms(ra_param(ctx, name), &ms);
    return ms;
}
