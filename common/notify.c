/* notify.c: a Pacemaker clone notification parsed once from the environment
 * (OCF_RESKEY_CRM_meta_notify_*), read through predicates.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

#define NOTIFY_PREFIX "OCF_RESKEY_CRM_meta_notify_"
#define BLANKS " \t"

/* The variables read: each list under its name, legacy names after. */
static const struct {
    const char *var;            /* after NOTIFY_PREFIX */
    enum ra_notify_list list;
    bool legacy;                /* read only when the new name is unset */
} list_vars[] = {
    { "active_uname", RA_NODES_ACTIVE, false },
    { "inactive_uname", RA_NODES_INACTIVE, false },
    { "available_uname", RA_NODES_AVAILABLE, false },
    { "all_uname", RA_NODES_ALL, false },
    { "start_uname", RA_NODES_START, false },
    { "stop_uname", RA_NODES_STOP, false },
    { "promote_uname", RA_NODES_PROMOTE, false },
    { "demote_uname", RA_NODES_DEMOTE, false },
    { "promoted_uname", RA_NODES_PROMOTED, false },
    { "unpromoted_uname", RA_NODES_UNPROMOTED, false },
    { "master_uname", RA_NODES_PROMOTED, true },
    { "slave_uname", RA_NODES_UNPROMOTED, true },
};
#define NVARS (sizeof(list_vars) / sizeof(list_vars[0]))

static enum ra_notify_type type_parse(const char *s)
{
    if (strcmp(s, "pre") == 0) {
        return RA_NOTIFY_PRE;
    }
    return strcmp(s, "post") == 0 ? RA_NOTIFY_POST : RA_NOTIFY_TYPE_UNKNOWN;
}

static enum ra_notify_op op_parse(const char *s)
{
    static const struct {
        const char *name;
        enum ra_notify_op op;
    } ops[] = {
        { "start", RA_NOTIFY_START }, { "stop", RA_NOTIFY_STOP },
        { "promote", RA_NOTIFY_PROMOTE }, { "demote", RA_NOTIFY_DEMOTE },
    };

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(s, ops[i].name) == 0) {
            return ops[i].op;
        }
    }
    return RA_NOTIFY_OP_UNKNOWN;
}

int ra_nodes_parse(const char *list, struct ra_nodes *out)
{
    const char *s = list;

    out->names = NULL;
    out->count = 0;
    while (s != NULL && *s != '\0') {
        size_t len;
        char **grown;

        s += strspn(s, BLANKS);
        len = strcspn(s, BLANKS);
        if (len == 0) {
            break;
        }
        grown = realloc(out->names, (out->count + 1) * sizeof(*grown));
        if (grown == NULL) {
            ra_nodes_free(out);
            return -ENOMEM;
        }
        out->names = grown;
        out->names[out->count] = strndup(s, len);
        if (out->names[out->count] == NULL) {
            ra_nodes_free(out);
            return -ENOMEM;
        }
        out->count++;
        s += len;
    }
    return 0;
}

void ra_nodes_free(struct ra_nodes *nodes)
{
    for (size_t i = 0; i < nodes->count; i++) {
        free(nodes->names[i]);
    }
    free(nodes->names);
    nodes->names = NULL;
    nodes->count = 0;
}

bool ra_nodes_has(const struct ra_nodes *nodes, const char *node)
{
    for (size_t i = 0; node != NULL && i < nodes->count; i++) {
        if (strcmp(nodes->names[i], node) == 0) {
            return true;
        }
    }
    return false;
}

/* The value of NOTIFY_PREFIX<suffix> in envp, or NULL. */
static const char *env_value(char *const *envp, const char *suffix)
{
    size_t plen = strlen(NOTIFY_PREFIX);
    size_t slen = strlen(suffix);

    for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
        const char *e = envp[i];

        if (strncmp(e, NOTIFY_PREFIX, plen) == 0
            && strncmp(e + plen, suffix, slen) == 0 && e[plen + slen] == '=') {
            return e + plen + slen + 1;
        }
    }
    return NULL;
}

int ra_notify_parse(struct ra_notify *n, char *const *envp)
{
    const char *values[NVARS];
    bool set[RA_NODES_COUNT] = { false };

    memset(n, 0, sizeof(*n));
    n->type_str = env_value(envp, "type");
    n->op_str = env_value(envp, "operation");
    n->type_str = n->type_str != NULL ? n->type_str : "";
    n->op_str = n->op_str != NULL ? n->op_str : "";
    n->type = type_parse(n->type_str);
    n->op = op_parse(n->op_str);
    for (size_t i = 0; i < NVARS; i++) {
        values[i] = env_value(envp, list_vars[i].var);
        if (values[i] != NULL && !list_vars[i].legacy) {
            set[list_vars[i].list] = true;
        }
    }
    for (size_t i = 0; i < NVARS; i++) {
        enum ra_notify_list l = list_vars[i].list;

        if (values[i] == NULL || (list_vars[i].legacy && set[l])) {
            continue;
        }
        if (ra_nodes_parse(values[i], &n->lists[l]) != 0) {
            ra_notify_free(n);
            return -ENOMEM;
        }
    }
    return 0;
}

int ra_notify_from_env(struct ra_notify *n)
{
    return ra_notify_parse(n, environ);
}

void ra_notify_free(struct ra_notify *n)
{
    for (size_t i = 0; i < RA_NODES_COUNT; i++) {
        ra_nodes_free(&n->lists[i]);
    }
}

bool ra_notify_is(const struct ra_notify *n, enum ra_notify_type type,
                  enum ra_notify_op op)
{
    return n->type == type && n->op == op;
}

bool ra_notify_has(const struct ra_notify *n, enum ra_notify_list list,
                   const char *node)
{
    return ra_nodes_has(&n->lists[list], node);
}

const char *ra_notify_first(const struct ra_notify *n, enum ra_notify_list list)
{
    return n->lists[list].count > 0 ? n->lists[list].names[0] : NULL;
}

const char *ra_notify_promote_target(const struct ra_notify *n)
{
    return ra_notify_first(n, RA_NODES_PROMOTE);
}

bool ra_notify_is_recovery(const struct ra_notify *n)
{
    const char *target = ra_notify_promote_target(n);

    return target != NULL && ra_notify_has(n, RA_NODES_PROMOTED, target);
}

const char *ra_notify_switchover_from(const struct ra_notify *n)
{
    const char *old = ra_notify_first(n, RA_NODES_DEMOTE);

    return old != NULL && !ra_notify_has(n, RA_NODES_STOP, old) ? old : NULL;
}

char *ra_notify_nodes_after(const struct ra_notify *n, const char *self)
{
    const enum ra_notify_list from[] = { RA_NODES_ACTIVE, RA_NODES_START };
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    if (f == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
        const struct ra_nodes *l = &n->lists[from[i]];

        for (size_t k = 0; k < l->count; k++) {
            if (!ra_notify_has(n, RA_NODES_STOP, l->names[k])
                && strcmp(l->names[k], self) != 0) {
                fprintf(f, "%s ", l->names[k]);
            }
        }
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}
