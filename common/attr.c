/* attr.c: node attributes and promotion scores through crm_attribute and
 * attrd_updater, cached so a steady monitor forks nothing.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "attr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr_cache.h"
#include "log.h"
#include "run.h"

#define ATTR_CALL_TIMEOUT_MS 5000
#define ATTR_POLL_MS 50
/* crm_mon's attributes reach the CIB this long after they change (attrd's
 * dampening): every CIB change aborts the transition in progress, and the
 * values a newly promoted node's first monitor shows (role, timeline...)
 * made the failover's last step, the floating IP, wait for that monitor to
 * end.  Nothing decides on these values; people and alerts read them. */
#define ATTR_SHOW_DELAY "2s"

/* A private attribute of this node is written by this agent only, and
 * Pacemaker can only erase it: known absent, it stays absent whatever the
 * entry's age (a failover's clean-ups then fork nothing). */
static bool cache_known_absent(const struct ra_attr_cache *c, const char *key)
{
    const char *v = c != NULL ? ra_attr_cache_peek(c, key) : NULL;

    return v != NULL && v[0] == '\0' && strncmp(key, "private|", 8) == 0;
}

static const char *kind_str(enum ra_attr_kind kind)
{
    switch (kind) {
    case RA_ATTR_TRANSIENT: return "transient";
    case RA_ATTR_PRIVATE:   return "private";
    case RA_ATTR_PROMOTION: return "promotion";
    }
    return "?";
}

static struct ra_attr_cache *cache_for(const struct ra_ctx *ctx)
{
    char path[4096];

    if (ra_state_path(ctx, "attrs", path, sizeof(path)) != 0) {
        return NULL;
    }
    return ra_attr_cache_open(path);
}

/* The cache's key of an attribute; false when it does not fit (the cache
 * is then not used: a cut key could name another attribute). */
static bool cache_key(char *buf, size_t len, enum ra_attr_kind kind,
                      const char *node, const char *name)
{
    int n = snprintf(buf, len, "%s|%s|%s", kind_str(kind), node, name);

    return n >= 0 && (size_t) n < len;
}

/* Runs one Pacemaker CLI call; returns its exit status (res filled, to be
 * freed), or -errno (res already freed): -ETIMEDOUT when it was killed at
 * the deadline. */
static int attr_exec(struct ra_ctx *ctx, const char *const argv[],
                     struct ra_run_result *res)
{
    struct ra_run_opts opts = {
        .deadline = &ctx->deadline,
        .timeout_ms = ATTR_CALL_TIMEOUT_MS,
    };
    int rc = ra_run(argv, &opts, res);

    if (rc != 0) {
        return rc;
    }
    if (res->exit_status == -1) {
        rc = res->timed_out ? -ETIMEDOUT : -EINTR;
        ra_run_result_free(res);
        return rc;
    }
    return res->exit_status;
}

/* Builds the argv of one operation into argv (at most 12 entries). */
static void attr_argv(const char **argv, enum ra_attr_kind kind, char op,
                      const char *name, const char *node, const char *value)
{
    size_t n = 0;

    if (kind == RA_ATTR_PROMOTION) {
        argv[n++] = "crm_attribute";
        argv[n++] = "--promotion";
        argv[n++] = "-l";
        argv[n++] = "reboot";
        argv[n++] = "-N";
        argv[n++] = node;
        if (op == 'U') {
            argv[n++] = "-v";
            argv[n++] = value;
        } else if (op == 'Q') {
            argv[n++] = "-G";
            argv[n++] = "-q";
        } else {
            argv[n++] = "-D";
        }
    } else {
        argv[n++] = "attrd_updater";
        if (kind == RA_ATTR_PRIVATE) {
            argv[n++] = "-p";
        }
        argv[n++] = "-n";
        argv[n++] = name;
        argv[n++] = "-N";
        argv[n++] = node;
        if (op == 'U' && kind == RA_ATTR_TRANSIENT) {
            /* -B: value and dampening (-U ignores -d) */
            argv[n++] = "-B";
            argv[n++] = value;
            argv[n++] = "-d";
            argv[n++] = ATTR_SHOW_DELAY;
        } else if (op == 'U') {
            argv[n++] = "-U";
            argv[n++] = value;
        } else if (op == 'Q') {
            argv[n++] = "-Q";
        } else {
            argv[n++] = "-D";
        }
    }
    argv[n] = NULL;
}

/* Extracts the value from a query's output: crm_attribute -q prints the
 * value; attrd_updater -Q prints name="x" host="y" value="v". */
static char *query_value(enum ra_attr_kind kind, const char *out)
{
    const char *v;
    size_t len;

    if (kind == RA_ATTR_PROMOTION) {
        len = strcspn(out, "\n");
        return len > 0 ? strndup(out, len) : NULL;
    }
    v = strstr(out, "value=\"");
    if (v == NULL) {
        return NULL;
    }
    v += 7;
    len = strcspn(v, "\"");
    return len > 0 ? strndup(v, len) : NULL;
}

/* Asks the tool (no cache). */
static int attr_query(struct ra_ctx *ctx, enum ra_attr_kind kind, const char *name,
                      const char *node, char **value)
{
    const char *argv[16];
    struct ra_run_result res;
    int rc;

    *value = NULL;
    attr_argv(argv, kind, 'Q', name, node != NULL ? node : ctx->node, NULL);
    rc = attr_exec(ctx, argv, &res);
    if (rc < 0) {
        return rc;
    }
    if (rc == 0) {
        *value = query_value(kind, res.out);
    }
    ra_run_result_free(&res);
    /* Absent attributes make the tools exit non-zero: not an error here. */
    return 0;
}

int ra_attr_get(struct ra_ctx *ctx, enum ra_attr_kind kind, const char *name,
                const char *node, char **value)
{
    *value = NULL;
    if (kind == RA_ATTR_PRIVATE && (node == NULL || strcmp(node, ctx->node) == 0)) {
        struct ra_attr_cache *cache = cache_for(ctx);
        char key[512];
        bool absent;

        absent = cache_key(key, sizeof(key), kind, ctx->node, name)
                 && cache_known_absent(cache, key);
        ra_attr_cache_close(cache);
        if (absent) {
            return 0;
        }
    }
    return attr_query(ctx, kind, name, node, value);
}

/* Polls until the attribute shows want (NULL: absent) or the deadline. */
static int attr_wait_visible(struct ra_ctx *ctx, enum ra_attr_kind kind,
                             const char *name, const char *node, const char *want)
{
    for (;;) {
        char *now = NULL;
        bool same;
        int rc = attr_query(ctx, kind, name, node, &now);

        if (rc != 0) {
            return rc;
        }
        same = (want == NULL) ? now == NULL : (now != NULL && strcmp(now, want) == 0);
        free(now);
        if (same) {
            return 0;
        }
        if (!ra_deadline_sleep_ms(&ctx->deadline, ATTR_POLL_MS)) {
            return -ETIMEDOUT;
        }
    }
}

static int attr_change(struct ra_ctx *ctx, enum ra_attr_kind kind, char op,
                       const char *name, const char *node, const char *value)
{
    struct ra_attr_cache *cache = cache_for(ctx);
    const char *argv[16];
    const char *cached;
    struct ra_run_result res;
    char key[512];
    const char *want = op == 'U' ? value : "";
    int rc;

    node = node != NULL ? node : ctx->node;
    if (!cache_key(key, sizeof(key), kind, node, name)) {
        ra_attr_cache_close(cache);
        cache = NULL;
    }
    cached = cache != NULL ? ra_attr_cache_get(cache, key) : NULL;
    if ((cached != NULL && strcmp(cached, want) == 0)
        || (op == 'D' && strcmp(node, ctx->node) == 0 && cache_known_absent(cache, key))) {
        ra_attr_cache_close(cache);
        return 0;
    }
    attr_argv(argv, kind, op, name, node, value);
    rc = attr_exec(ctx, argv, &res);
    if (rc == 0) {
        ra_run_result_free(&res);
        /* Scores and the election's values are read back at once, by this
         * node or another: they must be in attrd before the action goes on.
         * crm_mon's are only shown, and nothing waits for an election value
         * to be gone (attrd accepted the change: enough). */
        if (kind == RA_ATTR_PROMOTION || (kind == RA_ATTR_PRIVATE && op == 'U')) {
            rc = attr_wait_visible(ctx, kind, name, node, op == 'U' ? value : NULL);
        }
    } else if (rc > 0) {
        ra_log_warn("cannot %s %s attribute %s on %s: %s exited %d: %.200s",
                    op == 'U' ? "set" : "delete", kind_str(kind), name, node,
                    argv[0], rc, res.err);
        ra_run_result_free(&res);
        rc = -EIO;
    } else {
        ra_log_warn("cannot run %s: %s", argv[0], strerror(-rc));
    }
    if (rc == 0 && cache != NULL) {
        (void) ra_attr_cache_put(cache, key, want);
        (void) ra_attr_cache_save(cache);
    }
    ra_attr_cache_close(cache);
    return rc;
}

int ra_attr_set(struct ra_ctx *ctx, enum ra_attr_kind kind, const char *name,
                const char *node, const char *value)
{
    return attr_change(ctx, kind, 'U', name, node, value);
}

int ra_attr_del(struct ra_ctx *ctx, enum ra_attr_kind kind, const char *name,
                const char *node)
{
    return attr_change(ctx, kind, 'D', name, node, NULL);
}

void ra_attr_cache_reset(struct ra_ctx *ctx)
{
    char path[4096];

    if (ra_state_path(ctx, "attrs", path, sizeof(path)) == 0) {
        unlink(path);
    }
}
