/* ra.c: the OCF agent skeleton: environment, dispatch, state paths.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "ra.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "log.h"

#define RA_DEFAULT_TIMEOUT_MS 20000L
#define RA_DEFAULT_RSCTMP "/run/resource-agents"

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    long long n = 0;

    if (v == NULL || ra_parse_int(v, &n) != 0 || n < 0) {
        return dflt;
    }
    return (long) n;
}

static const char *env_str(const char *name, const char *dflt)
{
    const char *v = getenv(name);

    return (v != NULL && *v != '\0') ? v : dflt;
}

static void ctx_node_name(struct ra_ctx *ctx)
{
    const char *n = env_str("OCF_RESKEY_CRM_meta_on_node", NULL);
    struct utsname u;

    if (n != NULL) {
        ctx->node = n;
        return;
    }
    if (uname(&u) == 0) {
        snprintf(ctx->nodebuf, sizeof(ctx->nodebuf), "%s", u.nodename);
    } else {
        snprintf(ctx->nodebuf, sizeof(ctx->nodebuf), "localhost");
    }
    ctx->node = ctx->nodebuf;
}

/* Fills ctx from the environment (no parameters yet). */
static void ctx_init(struct ra_ctx *ctx, const struct ra_agent *agent,
                     const char *action)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->agent = agent;
    ctx->action = action;
    ctx->instance = env_str("OCF_RESOURCE_INSTANCE", agent->name);
    ctx->rsctmp = env_str("HA_RSCTMP", RA_DEFAULT_RSCTMP);
    ctx->timeout_ms = env_long("OCF_RESKEY_CRM_meta_timeout", RA_DEFAULT_TIMEOUT_MS);
    if (ctx->timeout_ms == 0) {
        ctx->timeout_ms = RA_DEFAULT_TIMEOUT_MS;
    }
    ctx->interval_ms = env_long("OCF_RESKEY_CRM_meta_interval", 0);
    ctx->check_level = (int) env_long("OCF_CHECK_LEVEL", 0);
    ctx->is_probe = strcmp(action, "monitor") == 0 && ctx->interval_ms == 0;
    ctx_node_name(ctx);
    ra_deadline_for_action(&ctx->deadline, ctx->timeout_ms);
}

static const struct ra_action *find_action(const struct ra_agent *agent,
                                           const char *name)
{
    for (const struct ra_action *a = agent->actions; a->name != NULL; a++) {
        if (strcmp(a->name, name) == 0) {
            return a;
        }
    }
    /* Pacemaker 1.x names, still sent by some tools. */
    if (strcmp(name, "status") == 0) {
        return find_action(agent, "monitor");
    }
    return NULL;
}

static void usage(const struct ra_agent *agent, FILE *out)
{
    fprintf(out, "usage: %s {", agent->name);
    for (const struct ra_action *a = agent->actions; a->name != NULL; a++) {
        fprintf(out, "%s|", a->name);
    }
    fprintf(out, "meta-data}\n");
}

int ra_main(const struct ra_agent *agent, int argc, char **argv)
{
    const struct ra_action *action;
    struct ra_ctx ctx;
    int rc;

    if (argc != 2) {
        usage(agent, stderr);
        return OCF_ERR_ARGS;
    }
    if (strcmp(argv[1], "meta-data") == 0) {
        fputs(agent->metadata, stdout);
        return fflush(stdout) == 0 ? OCF_SUCCESS : OCF_ERR_GENERIC;
    }
    if (strcmp(argv[1], "usage") == 0 || strcmp(argv[1], "help") == 0) {
        usage(agent, stdout);
        return OCF_SUCCESS;
    }
    action = find_action(agent, argv[1]);
    ctx_init(&ctx, agent, argv[1]);
    ra_log_init(agent->name, ctx.instance, argv[1]);
    if (action == NULL) {
        ra_log_err("action %s is not implemented", argv[1]);
        usage(agent, stderr);
        ra_log_fini();
        return OCF_ERR_UNIMPLEMENTED;
    }
    rc = ra_params_load(&ctx.params, agent->params);
    if (rc == OCF_SUCCESS) {
        ra_log_debug("%s: timeout %ld ms, interval %ld ms, depth %d", argv[1],
                     ctx.timeout_ms, ctx.interval_ms, ctx.check_level);
        rc = action->fn(&ctx);
    } else if (strcmp(argv[1], "stop") == 0) {
        /* A stop must not fail for a reason fencing would not fix: Pacemaker
         * stops with the parameters it started with, so nothing runs with
         * this broken configuration. */
        rc = OCF_SUCCESS;
    }
    ra_log_debug("%s returns %s (%d)", argv[1], ra_ocf_str(rc), rc);
    ra_params_free(&ctx.params);
    ra_log_fini();
    return rc;
}

int ra_state_path(const struct ra_ctx *ctx, const char *suffix, char *buf,
                  size_t len)
{
    int n = snprintf(buf, len, "%s/%s-%s.%s", ctx->rsctmp, ctx->agent->name,
                     ctx->instance, suffix);

    if (n < 0 || (size_t) n >= len) {
        return -ENAMETOOLONG;
    }
    if (mkdir(ctx->rsctmp, 0755) != 0 && errno != EEXIST) {
        return -errno;
    }
    return 0;
}

long ra_meta_promoted_max(void)
{
    long v = env_long("OCF_RESKEY_CRM_meta_promoted_max", -1);

    return v >= 0 ? v : env_long("OCF_RESKEY_CRM_meta_master_max", -1);
}

bool ra_meta_notify(void)
{
    bool b = false;

    return ra_parse_bool(getenv("OCF_RESKEY_CRM_meta_notify"), &b) == 0 && b;
}
