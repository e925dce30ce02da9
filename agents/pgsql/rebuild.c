/* rebuild.c: a standby re-cloned from the current primary with pg_basebackup
 * when pg_rewind cannot help (rebuild=basebackup).  The old data directory
 * is kept aside (renamed) until the new copy streams; every file operation
 * runs as the system user, whose directory it is.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "rebuild.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "deadline.h"
#include "log.h"
#include "run.h"

/* Room left for the rollback (rename back, remove the partial copy). */
#define ROLLBACK_MS 5000
/* WAL written during the copy, and the file system's own slack. */
#define SPACE_MARGIN_BYTES (256LL * 1024 * 1024)

/* Runs argv as the system user; 0 when it exited 0, else -1 with why set. */
static int as_user(struct pg_inst *pg, const char *const argv[], const char *const env[],
                   long timeout_ms, char *why, size_t whylen)
{
    struct ra_run_opts opts = {
        .user = pg->user, .env = env, .deadline = &pg->ctx->deadline,
        .timeout_ms = timeout_ms,
    };
    struct ra_run_result res;
    char how[64];
    int rc = ra_run(argv, &opts, &res);

    if (rc != 0) {
        snprintf(why, whylen, "cannot run %s: %s", argv[0], strerror(-rc));
        return -1;
    }
    rc = res.exit_status == 0 ? 0 : -1;
    if (rc != 0) {
        snprintf(why, whylen, "%s %s: %.300s", argv[0],
                 ra_run_status_str(&res, how, sizeof(how)), res.err);
    }
    ra_run_result_free(&res);
    return rc;
}

/* The primary's size (every database) and whether it has tablespaces of its
 * own (pg_basebackup would write them where the old ones still are). */
static int primary_facts(struct pg_inst *pg, const char *conninfo,
                         long long *bytes, long long *tablespaces, char *why,
                         size_t whylen)
{
    static const char *const keys[] = { "dbname", NULL };
    static const char *const vals[] = { "postgres", NULL };
    PGconn *conn = pgi_connect_as_user(pg, conninfo, keys, vals, why, whylen);
    PGresult *res = NULL;
    int rc = -1;

    if (conn == NULL) {
        return -1;
    }
    res = pgi_simple_exec(conn,
                          "SELECT (SELECT sum(pg_database_size(oid))::bigint"
                          " FROM pg_database WHERE datallowconn),"
                          " (SELECT count(*) FROM pg_tablespace"
                          "  WHERE spcname NOT IN ('pg_default', 'pg_global'))",
                          &pg->ctx->deadline, why, whylen);
    if (res != NULL && PQntuples(res) == 1 && PQnfields(res) == 2
        && sscanf(PQgetvalue(res, 0, 0), "%lld", bytes) == 1
        && sscanf(PQgetvalue(res, 0, 1), "%lld", tablespaces) == 1) {
        rc = 0;
    } else if (res != NULL) {
        snprintf(why, whylen, "unexpected answer about the primary's size");
    }
    if (res != NULL) {
        PQclear(res);
    }
    PQfinish(conn);
    return rc;
}

/* Free bytes for the system user on the file system of the data directory. */
static int free_bytes(const struct pg_inst *pg, long long *bytes)
{
    struct statvfs sv;

    if (statvfs(pg->datadir, &sv) != 0) {
        return -errno;
    }
    *bytes = (long long) sv.f_bavail * (long long) sv.f_frsize;
    return 0;
}

/* Whether a copy of the primary fits beside the old data directory. */
static int rebuild_check(struct pg_inst *pg, const char *conninfo, char *why,
                         size_t whylen)
{
    long long size = 0;
    long long spaces = 0;
    long long avail = 0;
    int rc;

    if (primary_facts(pg, conninfo, &size, &spaces, why, whylen) != 0) {
        return -1;
    }
    if (spaces > 0) {
        snprintf(why, whylen, "the primary has %lld tablespace(s) of its own: "
                 "rebuild this standby by hand", spaces);
        return -1;
    }
    rc = free_bytes(pg, &avail);
    if (rc != 0) {
        snprintf(why, whylen, "cannot tell the free space of %s: %s",
                 pg->datadir, strerror(-rc));
        return -1;
    }
    if (avail < size + SPACE_MARGIN_BYTES) {
        snprintf(why, whylen, "no room for a copy of the primary beside the "
                 "old data: %lld MiB needed, %lld MiB free",
                 (size + SPACE_MARGIN_BYTES) >> 20, avail >> 20);
        return -1;
    }
    return 0;
}

/* pg_basebackup from the primary of conninfo into the (absent) data
 * directory, the password in its environment, within the deadline less the
 * rollback's share. */
static int basebackup_run(struct pg_inst *pg, const char *conninfo, char *why,
                          size_t whylen)
{
    char bin[PATH_MAX];
    char *password = NULL;
    char *pwenv = NULL;
    char *source = pgi_source_conninfo(conninfo, &password);
    const char *env[] = { "LC_ALL=C", "LANG=C", NULL, NULL };
    long left = ra_deadline_remaining_ms(&pg->ctx->deadline) - ROLLBACK_MS;
    int rc = -1;

    if (source == NULL
        || (password != NULL && asprintf(&pwenv, "PGPASSWORD=%s", password) < 0)) {
        snprintf(why, whylen, "primary_conninfo cannot be parsed");
        goto done;
    }
    if (left <= 0) {
        snprintf(why, whylen, "no time left for pg_basebackup");
        goto done;
    }
    env[2] = pwenv;
    snprintf(bin, sizeof(bin), "%s/pg_basebackup", pg->bindir);
    {
        const char *argv[] = { bin, "-D", pg->datadir, "-d", source, "-X", "stream",
                               "-c", "fast", "-w", NULL };

        rc = as_user(pg, argv, env, left, why, whylen);
    }
done:
    free(source);
    free(password);
    free(pwenv);
    return rc;
}

/* Puts the old data directory back after a failed copy. */
static void rollback(struct pg_inst *pg, const char *aside)
{
    const char *rm[] = { "rm", "-rf", "--", pg->datadir, NULL };
    const char *mv[] = { "mv", "-T", "--", aside, pg->datadir, NULL };
    char why[512];

    if (as_user(pg, rm, NULL, 0, why, sizeof(why)) != 0
        || as_user(pg, mv, NULL, 0, why, sizeof(why)) != 0) {
        ra_log_err("the old data directory stays at %s: %s", aside, why);
        return;
    }
    ra_log_notice("the old data directory is back in %s", pg->datadir);
}

int pgi_rebuild(struct pg_inst *pg, const char *conninfo, char *aside,
                size_t asidelen, char *why, size_t whylen)
{
    struct pgi_local_conf conf;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    if (rebuild_check(pg, conninfo, why, whylen) != 0) {
        return -1;
    }
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", gmtime_r(&now, &tm));
    if ((size_t) snprintf(aside, asidelen, "%s.pre-rebuild-%s", pg->datadir,
                          stamp) >= asidelen) {
        snprintf(why, whylen, "data directory path too long");
        return -1;
    }
    pgi_local_conf_save(pg, &conf);
    {
        const char *mv[] = { "mv", "-T", "--", pg->datadir, aside, NULL };

        if (as_user(pg, mv, NULL, 0, why, whylen) != 0) {
            (void) pgi_local_conf_restore(pg, &conf);   /* frees them */
            aside[0] = '\0';
            return -1;
        }
    }
    ra_log_notice("rebuild: the old data directory is kept at %s until the "
                  "copy streams; pg_basebackup from the primary", aside);
    if (basebackup_run(pg, conninfo, why, whylen) != 0) {
        rollback(pg, aside);
        (void) pgi_local_conf_restore(pg, &conf);
        aside[0] = '\0';
        return -1;
    }
    if (pgi_local_conf_restore(pg, &conf) != 0) {
        snprintf(why, whylen, "the local configuration files could not be put "
                 "back into the copy");
        return -1;
    }
    return 0;
}

void pgi_rebuild_done(struct pg_inst *pg, const char *aside)
{
    const char *rm[] = { "rm", "-rf", "--", aside, NULL };
    char why[512];

    if (as_user(pg, rm, NULL, 0, why, sizeof(why)) != 0) {
        ra_log_warn("the old data directory %s could not be removed: %s",
                    aside, why);
        return;
    }
    ra_log_notice("rebuild: the copy streams; old data directory %s removed",
                  aside);
}
