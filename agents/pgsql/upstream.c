/* upstream.c: the pgsql agent and the primary a standby follows: its
 * timelines (replication protocol) and pg_rewind from it.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "instance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deadline.h"
#include "fsafe.h"
#include "log.h"
#include "run.h"

/* The configuration files kept around pg_rewind. */
#define CONF_FILE_MAX (4 * 1024 * 1024)

int pgi_primary_view(struct pg_inst *pg, const char *conninfo,
                     struct pg_primary_view *v, char *err, size_t errlen)
{
    static const char *const keys[] = { "replication", NULL };
    static const char *const vals[] = { "true", NULL };
    char cmd[64];
    PGconn *conn = NULL;
    PGresult *res = NULL;
    unsigned char *raw;
    size_t rawlen = 0;
    int rc = -1;

    memset(v, 0, sizeof(*v));
    conn = pgi_connect_as_user(pg, conninfo, keys, vals, err, errlen);
    if (conn == NULL) {
        goto done;
    }
    res = pgi_simple_exec(conn, "IDENTIFY_SYSTEM", &pg->ctx->deadline, err, errlen);
    if (res == NULL || PQntuples(res) != 1 || PQnfields(res) < 3
        || sscanf(PQgetvalue(res, 0, 1), "%u", &v->tli) != 1
        || pgi_lsn_parse(PQgetvalue(res, 0, 2), &v->flush) != 0) {
        if (res != NULL) {
            snprintf(err, errlen, "unexpected IDENTIFY_SYSTEM answer");
        }
        goto done;
    }
    PQclear(res);
    res = pgi_simple_exec(conn, "SHOW in_hot_standby", &pg->ctx->deadline, err,
                      errlen);
    if (res == NULL || PQntuples(res) != 1) {
        goto done;
    }
    v->is_standby = strcmp(PQgetvalue(res, 0, 0), "on") == 0;
    PQclear(res);
    res = NULL;
    if (v->tli > 1) {
        snprintf(cmd, sizeof(cmd), "TIMELINE_HISTORY %u", v->tli);
        res = pgi_simple_exec(conn, cmd, &pg->ctx->deadline, err, errlen);
        if (res == NULL || PQntuples(res) != 1 || PQnfields(res) < 2) {
            if (res != NULL) {
                snprintf(err, errlen, "unexpected TIMELINE_HISTORY answer");
            }
            goto done;
        }
        /* content is bytea (text in old servers): unescape when hex. */
        if (PQftype(res, 1) == 17) {
            raw = PQunescapeBytea((const unsigned char *) PQgetvalue(res, 0, 1),
                                  &rawlen);
            if (raw != NULL) {
                v->history = strndup((const char *) raw, rawlen);
                PQfreemem(raw);
            }
        } else {
            v->history = strdup(PQgetvalue(res, 0, 1));
        }
        if (v->history == NULL) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
    }
    rc = 0;
done:
    if (res != NULL) {
        PQclear(res);
    }
    if (conn != NULL) {
        PQfinish(conn);
    }
    return rc;
}

void pgi_primary_view_free(struct pg_primary_view *v)
{
    free(v->history);
    v->history = NULL;
}

/* Reads a file of the data directory the system user may have planted: no
 * link followed, no FIFO waited on, root's or the system user's only. */
static int save_file(const struct pg_inst *pg, const char *path,
                     struct pgi_saved_file *f)
{
    int fd = ra_file_open_read(path, pg->uid);
    int rc;

    memset(f, 0, sizeof(*f));
    if (fd < 0) {
        return fd;
    }
    rc = fstat(fd, &f->sb) == 0 ? 0 : -errno;
    close(fd);
    if (rc == 0) {
        rc = ra_file_slurp(path, pg->uid, CONF_FILE_MAX, &f->buf, &f->len);
    }
    return rc;
}

/* Puts a saved file back as a new file (a link planted meanwhile is
 * replaced, never followed), with the original's mode and owner. */
static int restore_file(const char *path, const struct pgi_saved_file *f)
{
    return ra_file_replace(path, f->buf, f->len, f->sb.st_mode & 0777,
                           f->sb.st_uid, f->sb.st_gid);
}

/* pg_rewind copies the source's configuration files that live in the data
 * directory (postgresql.auto.conf names the source's own application_name;
 * postgresql.conf, its port): these keep their local content. */
static const char *const local_files[] = {
    "postgresql.auto.conf", "postgresql.conf", "pg_hba.conf", "pg_ident.conf",
    NULL,
};

/* A freshly promoted primary still has its old timeline in its control
 * file until its first checkpoint, and pg_rewind reads it there. */
static void source_checkpoint(struct pg_inst *pg, const char *conninfo)
{
    static const char *const keys[] = { "dbname", NULL };
    static const char *const vals[] = { "postgres", NULL };
    char err[256];
    PGconn *conn;
    PGresult *res = NULL;

    conn = pgi_connect_as_user(pg, conninfo, keys, vals, err, sizeof(err));
    if (conn != NULL) {
        res = pgi_simple_exec(conn, "CHECKPOINT", &pg->ctx->deadline, err,
                          sizeof(err));
    }
    if (res == NULL) {
        ra_log_warn("CHECKPOINT on the rewind source failed: %s", err);
    }
    PQclear(res);
    PQfinish(conn);
}

char *pgi_source_conninfo(const char *conninfo, char **password)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    char *out = NULL;
    size_t len = 0;
    FILE *f = opts != NULL ? open_memstream(&out, &len) : NULL;

    *password = NULL;
    if (f == NULL) {
        PQconninfoFree(opts);
        return NULL;
    }
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val == NULL || o->val[0] == '\0'
            || strcmp(o->keyword, "dbname") == 0) {
            continue;
        }
        if (strcmp(o->keyword, "password") == 0) {
            free(*password);
            *password = strdup(o->val);
            continue;
        }
        if (strcmp(o->keyword, "sslpassword") == 0) {
            ra_log_warn("sslpassword of primary_conninfo not passed to pg_rewind or "
                        "pg_basebackup "
                        "(it would be on its command line)");
            continue;
        }
        fprintf(f, "%s=", o->keyword);
        pgi_conninfo_quote(f, o->val);
        fputc(' ', f);
    }
    fputs("dbname=postgres", f);
    PQconninfoFree(opts);
    if (fclose(f) != 0) {
        free(out);
        free(*password);
        *password = NULL;
        return NULL;
    }
    return out;
}

/* Runs pg_rewind as the system user, the password in its environment. */
static int rewind_run(struct pg_inst *pg, const char *conninfo)
{
    char bin[PATH_MAX];
    char target[PATH_MAX + 32];
    char conf[PATH_MAX + 32];
    char *password = NULL;
    char *pwenv = NULL;
    char *source = pgi_source_conninfo(conninfo, &password);
    char *sourcearg = NULL;
    const char *argv[8];
    const char *env[] = { "LC_ALL=C", "LANG=C", NULL, NULL };
    struct ra_run_opts opts = {
        .user = pg->user, .cwd = pg->datadir, .env = env,
        .deadline = &pg->ctx->deadline,
    };
    struct ra_run_result res;
    char how[64];
    size_t n = 0;
    int rc = -ENOMEM;

    if (source == NULL || asprintf(&sourcearg, "--source-server=%s", source) < 0
        || (password != NULL && asprintf(&pwenv, "PGPASSWORD=%s", password) < 0)) {
        ra_log_err("pg_rewind: primary_conninfo cannot be parsed");
        goto done;
    }
    env[2] = pwenv;
    snprintf(bin, sizeof(bin), "%s/pg_rewind", pg->bindir);
    snprintf(target, sizeof(target), "--target-pgdata=%s", pg->datadir);
    argv[n++] = bin;
    argv[n++] = target;
    argv[n++] = sourcearg;
    if (strcmp(pg->pgdata, pg->datadir) != 0) {
        snprintf(conf, sizeof(conf), "--config-file=%s/postgresql.conf",
                 pg->pgdata);
        argv[n++] = conf;
    }
    argv[n] = NULL;
    rc = ra_run(argv, &opts, &res);
    if (rc == 0) {
        if (res.exit_status != 0) {
            ra_log_err("pg_rewind failed | %s: %.400s",
                       ra_run_status_str(&res, how, sizeof(how)), res.err);
            rc = -EIO;
        } else {
            ra_log_notice("pg_rewind done: %.300s", res.err);
        }
        ra_run_result_free(&res);
    } else {
        ra_log_err("cannot run %s: %s", bin, strerror(-rc));
    }
done:
    free(source);
    free(sourcearg);
    free(password);
    free(pwenv);
    return rc;
}

void pgi_local_conf_save(struct pg_inst *pg, struct pgi_local_conf *c)
{
    char path[PATH_MAX];
    int rc;

    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < PGI_LOCAL_FILES && local_files[i] != NULL; i++) {
        pgi_path(pg, local_files[i], path, sizeof(path));
        rc = save_file(pg, path, &c->f[i]);
        if (rc != 0 && rc != -ENOENT) {
            ra_log_warn("%s not kept: %s", path, strerror(-rc));
        }
    }
}

int pgi_local_conf_restore(struct pg_inst *pg, struct pgi_local_conf *c)
{
    char path[PATH_MAX];
    int rc = 0;

    for (size_t i = 0; i < PGI_LOCAL_FILES && local_files[i] != NULL; i++) {
        if (c->f[i].buf == NULL) {
            continue;
        }
        pgi_path(pg, local_files[i], path, sizeof(path));
        if (restore_file(path, &c->f[i]) != 0) {
            ra_log_err("cannot restore %s", path);
            rc = -EIO;
        }
        free(c->f[i].buf);
        c->f[i].buf = NULL;
    }
    return rc;
}

int pgi_rewind(struct pg_inst *pg, const char *conninfo)
{
    struct pgi_local_conf conf;
    char path[PATH_MAX];
    int rc;

    pgi_local_conf_save(pg, &conf);
    /* pg_rewind finishes an unclean target's crash recovery in single-user
     * mode, which refuses a standby ("standby mode is not supported by
     * single-user servers"): a node killed as a standby could never rejoin.
     * The start that follows writes standby.signal again. */
    pgi_path(pg, "standby.signal", path, sizeof(path));
    rc = ra_file_remove(path);
    if (rc != 0 && rc != -ENOENT) {
        ra_log_warn("cannot remove %s before pg_rewind: %s", path, strerror(-rc));
    }
    source_checkpoint(pg, conninfo);
    rc = rewind_run(pg, conninfo);
    if (pgi_local_conf_restore(pg, &conf) != 0 && rc == 0) {
        rc = -EIO;
    }
    return rc;
}

/* ---- could pg_rewind run? ---------------------------------------------- */

/* What pg_rewind needs of its role on the source (PostgreSQL's pg_rewind
 * documentation, "a role without superuser"), one column each, and CHECKPOINT
 * (the agent's, before pg_rewind: pg_checkpoint from 15 on, superuser before). */
static const char rewind_rights_sql[] =
    "SELECT has_function_privilege("
    "'pg_catalog.pg_ls_dir(text, boolean, boolean)', 'EXECUTE'),"
    " has_function_privilege('pg_catalog.pg_stat_file(text, boolean)', 'EXECUTE'),"
    " has_function_privilege('pg_catalog.pg_read_binary_file(text)', 'EXECUTE')"
    " AND has_function_privilege("
    "'pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)', 'EXECUTE'),"
    " CASE WHEN current_setting('server_version_num')::int >= 150000"
    " THEN pg_has_role('pg_checkpoint', 'MEMBER')"
    " ELSE (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)"
    " END";
static const char *const rewind_rights[] = {
    "pg_ls_dir", "pg_stat_file", "pg_read_binary_file", "pg_checkpoint",
};

static void missing_add(char *missing, size_t len, const char *what)
{
    size_t used = strlen(missing);

    snprintf(missing + used, len - used, "%s%s", used > 0 ? " " : "", what);
}

/* The role's rights on the primary of conninfo (a plain connection to
 * dbname=postgres, as pg_rewind makes it). */
static void rewind_rights_check(struct pg_inst *pg, const char *conninfo,
                                char *missing, size_t len, char *why,
                                size_t whylen)
{
    static const char *const keys[] = { "dbname", NULL };
    static const char *const vals[] = { "postgres", NULL };
    PGconn *conn = pgi_connect_as_user(pg, conninfo, keys, vals, why, whylen);
    PGresult *res = NULL;

    if (conn != NULL) {
        res = pgi_simple_exec(conn, rewind_rights_sql, &pg->ctx->deadline, why,
                              whylen);
    }
    if (res == NULL || PQntuples(res) != 1
        || PQnfields(res) != (int) (sizeof(rewind_rights) / sizeof(rewind_rights[0]))) {
        missing_add(missing, len, "login");
    } else {
        for (int i = 0; i < PQnfields(res); i++) {
            if (strcmp(PQgetvalue(res, 0, i), "t") != 0) {
                missing_add(missing, len, rewind_rights[i]);
            }
        }
    }
    if (res != NULL) {
        PQclear(res);
    }
    if (conn != NULL) {
        PQfinish(conn);
    }
}

int pgi_rewind_readiness(struct pg_inst *pg, PGconn *local, const char *conninfo,
                         char *missing, size_t len, char *why, size_t whylen)
{
    char hints[8] = "";

    missing[0] = '\0';
    why[0] = '\0';
    /* pg_rewind refuses a target without one of them. */
    if (pgi_query_value(pg, local, "SELECT current_setting('wal_log_hints') = 'on'"
                        " OR current_setting('data_checksums') = 'on'",
                        hints, sizeof(hints), why, whylen) != 0) {
        return -1;
    }
    if (conninfo == NULL || conninfo[0] == '\0') {
        missing_add(missing, len, "primary_conninfo");
    } else {
        rewind_rights_check(pg, conninfo, missing, len, why, whylen);
    }
    if (strcmp(hints, "t") != 0) {
        missing_add(missing, len, "wal_log_hints");
    }
    return 0;
}
