/* validate.c: validate-all: the parameters, the installation and the
 * PostgreSQL settings replication needs.  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsafe.h"
#include "log.h"
#include "logfile.h"
#include "ra.h"
#include "redact.h"
#include "run.h"
#include "slots.h"
#include "trust.h"
#include "words.h"

static int meta_check(void)
{
    long pmax = ra_meta_promoted_max();

    if (getenv("OCF_RESKEY_CRM_meta_clone_max") == NULL && pmax < 0) {
        return OCF_SUCCESS;     /* not run by a cluster: nothing to check */
    }
    if (pmax != 1) {
        ra_exit_reason("the resource must be promotable with promoted-max=1");
        return OCF_ERR_CONFIGURED;
    }
    if (!ra_meta_notify()) {
        ra_exit_reason("the resource must have notify=true");
        return OCF_ERR_CONFIGURED;
    }
    return OCF_SUCCESS;
}

/* bindir and its programs: there, and root's or system_user's (they run
 * as system_user; a folder another user owns would choose what runs as
 * system_user, with the cluster's data and replication credentials). */
static int check_binaries(struct pg_inst *pg)
{
    const char *bins[] = { "postgres", "pg_controldata",
                           ra_param_bool(pg->ctx, "rewind") ? "pg_rewind" : NULL,
                           NULL };
    char path[PATH_MAX];
    int rc = ra_param_trusted("bindir", pg->bindir, pg->uid);

    for (size_t i = 0; rc == OCF_SUCCESS && bins[i] != NULL; i++) {
        snprintf(path, sizeof(path), "%s/%s", pg->bindir, bins[i]);
        if (access(path, X_OK) != 0) {
            ra_exit_reason("parameter bindir: %s is missing or not executable", path);
            return OCF_ERR_INSTALLED;
        }
        rc = ra_param_trusted("bindir", path, pg->uid);
    }
    return rc;
}

static int check_version(struct pg_inst *pg)
{
    const char *argv[] = { pg->postgres, "-V", NULL };
    struct ra_run_opts opts = { .deadline = &pg->ctx->deadline, .env = NULL,
                                .user = pg->user };
    struct ra_run_result res;
    char path[PATH_MAX];
    char *data_ver = NULL;
    size_t len = 0;
    int bin_major = 0;
    int data_major;
    const char *p;

    if (ra_run(argv, &opts, &res) != 0) {
        ra_exit_reason("cannot run %s -V", pg->postgres);
        return OCF_ERR_INSTALLED;
    }
    /* "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)" */
    p = strstr(res.out, ") ");
    bin_major = p != NULL ? atoi(p + 2) : 0;
    ra_run_result_free(&res);
    if (bin_major < 12) {
        ra_exit_reason("PostgreSQL 12 or later is required (%s)", pg->postgres);
        return OCF_ERR_INSTALLED;
    }
    pgi_path(pg, "PG_VERSION", path, sizeof(path));
    if (ra_file_slurp(path, pg->uid, 64, &data_ver, &len) != 0) {
        ra_exit_reason("%s is missing or not a regular file: not a PostgreSQL "
                       "data directory", path);
        return OCF_ERR_INSTALLED;
    }
    data_major = atoi(data_ver);
    free(data_ver);
    if (data_major != bin_major) {
        ra_exit_reason("data directory is version %d but %s is version %d",
                       data_major, pg->postgres, bin_major);
        return OCF_ERR_INSTALLED;
    }
    return OCF_SUCCESS;
}

static int check_datadir(struct pg_inst *pg)
{
    struct stat sb;

    if (stat(pg->datadir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        ra_exit_reason("parameter datadir: data directory %s does not exist",
                       pg->datadir);
        return OCF_ERR_INSTALLED;
    }
    if (sb.st_uid != pg->uid) {
        ra_exit_reason("parameter datadir: data directory %s is not owned by %s",
                       pg->datadir, pg->user);
        return OCF_ERR_PERM;
    }
    if ((sb.st_mode & 0077) != 0 && (sb.st_mode & 0027) != 0) {
        ra_exit_reason("parameter datadir: data directory %s must be mode 0700 "
                       "or 0750", pg->datadir);
        return OCF_ERR_PERM;
    }
    return OCF_SUCCESS;
}

/* pgdata: the folder of postgresql.conf (postgres -D), root's or
 * system_user's. */
static int check_pgdata(struct pg_inst *pg)
{
    char conf[PATH_MAX];
    struct stat sb;

    if (stat(pg->pgdata, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        ra_exit_reason("parameter pgdata: %s is not a folder", pg->pgdata);
        return OCF_ERR_INSTALLED;
    }
    if (sb.st_uid != 0 && sb.st_uid != pg->uid) {
        ra_exit_reason("parameter pgdata: %s is owned by neither root nor %s",
                       pg->pgdata, pg->user);
        return OCF_ERR_PERM;
    }
    snprintf(conf, sizeof(conf), "%s/postgresql.conf", pg->pgdata);
    if (stat(conf, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        ra_exit_reason("parameter pgdata: %s holds no postgresql.conf", pg->pgdata);
        return OCF_ERR_INSTALLED;
    }
    return OCF_SUCCESS;
}

/* pghost: an existing socket folder (absolute), or a host name or address. */
static int check_pghost(struct pg_inst *pg)
{
    const char *h = pg->pghost;
    struct stat sb;

    if (h[0] == '/') {
        if (strcspn(h, "\n\t") != strlen(h) || stat(h, &sb) != 0
            || !S_ISDIR(sb.st_mode)) {
            ra_exit_reason("parameter pghost: the socket folder does not exist");
            return OCF_ERR_INSTALLED;
        }
        return OCF_SUCCESS;
    }
    if (h[0] == '\0' || h[0] == '-' || strlen(h) > 253
        || strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789.:-%") != strlen(h)) {
        ra_exit_reason("parameter pghost is neither an absolute socket folder "
                       "nor a host name or address (value not shown)");
        return OCF_ERR_CONFIGURED;
    }
    return OCF_SUCCESS;
}

static int check_start_opts(struct pg_inst *pg)
{
    const char *err = NULL;
    char **w = ra_words_split(ra_param(pg->ctx, "start_opts"), &err);

    if (w == NULL) {
        ra_exit_reason("parameter start_opts %s", err != NULL ? err : "cannot be split");
        return OCF_ERR_CONFIGURED;
    }
    ra_words_free(w);
    return OCF_SUCCESS;
}

static int check_logfile(struct pg_inst *pg)
{
    return ra_logfile_check(pg->ctx, "logfile", pg->logfile, pg->uid, pg->user);
}

/* Does conninfo set application_name to node? */
static bool conninfo_has_appname(const char *conninfo, const char *node)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    bool found = false;

    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "application_name") == 0 && o->val != NULL) {
            found = strcmp(o->val, node) == 0;
        }
    }
    PQconninfoFree(opts);
    return found;
}

/* The settings replication under this agent needs (postgres -C). */
static int check_settings(struct pg_inst *pg)
{
    char *v;
    char want[300];
    int rc = OCF_SUCCESS;

    v = pgi_setting(pg, "hot_standby");
    if (v == NULL) {
        /* pgdata was checked: most likely an option postgres refuses. */
        ra_exit_reason("postgres -C -D pgdata start_opts fails: check start_opts "
                       "and postgresql.conf in pgdata (postgres's message is logged)");
        return OCF_ERR_CONFIGURED;
    }
    if (strcmp(v, "on") != 0) {
        ra_exit_reason("hot_standby must be on (is %s)", v != NULL ? v : "?");
        rc = OCF_ERR_ARGS;
    }
    free(v);
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    v = pgi_setting(pg, "wal_level");
    if (v == NULL || (strcmp(v, "replica") != 0 && strcmp(v, "logical") != 0)) {
        ra_exit_reason("wal_level must be replica or logical (is %s)",
                       v != NULL ? v : "?");
        rc = OCF_ERR_ARGS;
    }
    free(v);
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    v = pgi_setting(pg, "recovery_target_timeline");
    if (v == NULL || strcmp(v, "latest") != 0) {
        ra_exit_reason("recovery_target_timeline must be 'latest' (is %s)",
                       v != NULL ? v : "?");
        rc = OCF_ERR_ARGS;
    }
    free(v);
    if (rc != OCF_SUCCESS) {
        return rc;
    }
    if (slots_on(pg)) {
        char slot[128];

        slot_name(pg->ctx->node, slot, sizeof(slot));
        v = pgi_setting(pg, "primary_slot_name");
        if (v == NULL || strcmp(v, slot) != 0) {
            ra_exit_reason("slots=true: primary_slot_name must be '%s' (is '%s')",
                           slot, v != NULL ? v : "?");
            rc = OCF_ERR_ARGS;
        }
        free(v);
        if (rc != OCF_SUCCESS) {
            return rc;
        }
    }
    v = pgi_setting(pg, "primary_conninfo");
    snprintf(want, sizeof(want), "application_name=%s", pg->ctx->node);
    if (v == NULL || !conninfo_has_appname(v, pg->ctx->node)) {
        char shown[512];

        /* Its password never shown. */
        ra_exit_reason("primary_conninfo must contain %s (is '%s')", want,
                       v != NULL ? ra_redact_conninfo(v, shown, sizeof(shown))
                                 : "?");
        rc = OCF_ERR_ARGS;
    }
    free(v);
    return rc;
}

/* Everything validate-all checks, in the order a bad value is best named
 * (start runs it too, before it changes anything). */
int validate_config(struct pg_inst *pg)
{
    int (*const checks[])(struct pg_inst *) = {
        check_pghost, check_start_opts, check_logfile, check_binaries, check_pgdata,
        check_datadir, check_version, check_settings, NULL,
    };
    int rc = OCF_SUCCESS;

    for (size_t i = 0; rc == OCF_SUCCESS && checks[i] != NULL; i++) {
        rc = checks[i](pg);
    }
    return rc == OCF_SUCCESS ? meta_check() : rc;
}
