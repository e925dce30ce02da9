/* validate.c: the ctfreak agent's checks of its parameters (the same on
 * every node) and of this node's installation.  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "validate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "common/log.h"
#include "common/logfile.h"
#include "common/ra.h"
#include "common/redact.h"
#include "common/trust.h"

/* PostgreSQL's longest identifier (NAMEDATALEN - 1). */
#define DB_ROLE_MAX 63

static bool file_readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* Problems in the configuration itself: the same on every node. */
int validate_configuration(struct ra_ctx *ctx)
{
    const char *url = ra_param(ctx, "url");
    const char *conninfo = ra_param(ctx, "db_conninfo");
    const char *dir = ra_param(ctx, "config_dir");
    const char *bin = ra_param(ctx, "binary");

    if (dir[0] != '/') {
        ra_exit_reason("parameter config_dir=\"%s\" must be an absolute path", dir);
        return OCF_ERR_CONFIGURED;
    }
    if (bin[0] != '/') {
        ra_exit_reason("parameter binary=\"%s\" must be an absolute path", bin);
        return OCF_ERR_CONFIGURED;
    }
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        char shown[256];

        ra_exit_reason("parameter url=\"%s\" must start with http:// or https://",
                       ra_redact_url(url, shown, sizeof(shown)));
        return OCF_ERR_CONFIGURED;
    }
    if (strlen(ra_param(ctx, "db_role")) > DB_ROLE_MAX
        || strpbrk(ra_param(ctx, "db_role"), "\t\n") != NULL) {
        ra_exit_reason("parameter db_role is longer than %d bytes or holds a tab or "
                       "newline: no PostgreSQL role has that name (value not shown)",
                       DB_ROLE_MAX);
        return OCF_ERR_CONFIGURED;
    }
    if (*conninfo != '\0') {
        char *err = NULL;
        PQconninfoOption *opts = PQconninfoParse(conninfo, &err);

        if (opts == NULL) {
            /* libpq's message quotes the text it stumbled on: a password. */
            ra_exit_reason("parameter db_conninfo is not a valid libpq connection string "
                           "(not shown: it may hold a password)");
            PQfreemem(err);
            return OCF_ERR_CONFIGURED;
        }
        PQconninfoFree(opts);
    }
    return OCF_SUCCESS;
}

/* Problems of this node only (software or files missing here). */
int validate_node(struct ra_ctx *ctx, const struct instance *inst)
{
    static const char *const files[] = { "ca_file", "client_cert", "client_key", NULL };
    struct stat st;
    int rc;

    if (access(inst->binary, X_OK) != 0) {
        ra_exit_reason("binary %s is not executable on this node: %s", inst->binary,
                       strerror(errno));
        return OCF_ERR_INSTALLED;
    }
    if (stat(inst->config_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        ra_exit_reason("config_dir %s is not a directory on this node", inst->config_dir);
        return OCF_ERR_INSTALLED;
    }
    if (!inst->user_known) {
        ra_exit_reason("user %s does not exist on this node", inst->user);
        return OCF_ERR_INSTALLED;
    }
    /* It runs as the CTFreak user: that user may own it, nobody else. */
    rc = ra_param_trusted("binary", inst->binary, inst->uid);
    if (rc == OCF_SUCCESS) {
        rc = ra_logfile_check(ctx, "pidfile", inst->pidfile, inst->uid, inst->user);
    }
    if (rc == OCF_SUCCESS) {
        rc = ra_logfile_check(ctx, "log_file", inst->logfile, inst->uid, inst->user);
    }
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    for (size_t i = 0; files[i] != NULL; i++) {
        const char *f = ra_param(ctx, files[i]);

        if (*f != '\0' && !file_readable(f)) {
            ra_exit_reason("%s %s is not readable on this node", files[i], f);
            return OCF_ERR_INSTALLED;
        }
    }
    /* Root reads the private key for the health check: root's alone. */
    if (*ra_param(ctx, "client_key") != '\0') {
        return ra_param_trusted("client_key", ra_param(ctx, "client_key"),
                                RA_TRUST_ROOT_ONLY);
    }
    return OCF_SUCCESS;
}

int validate_instance(struct ra_ctx *ctx, const struct instance *inst)
{
    int rc = validate_configuration(ctx);

    return rc != OCF_SUCCESS ? rc : validate_node(ctx, inst);
}
