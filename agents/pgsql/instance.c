/* instance.c: one PostgreSQL instance: files, postmaster, pg_controldata,
 * libpq, timelines, pg_rewind.  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "instance.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deadline.h"
#include "fsafe.h"
#include "log.h"
#include "logfile.h"
#include "pg.h"
#include "proc.h"
#include "run.h"
#include "words.h"

/* postmaster.pid and the socket lock file are a few lines. */
#define PIDFILE_MAX 4096

static const char *const c_locale_env[] = { "LC_ALL=C", "LANG=C", NULL };

/* The data directory when the datadir parameter is unset: pgdata itself
 * when it holds PG_VERSION (PAF's and RHEL's layout, postgresql.conf in the
 * data directory), else the data_directory setting of pgdata's
 * configuration (Debian's /etc/postgresql/VERSION/CLUSTER), asked once with
 * postgres -C and kept in HA_RSCTMP so a monitor forks nothing. */
static int datadir_find(struct pg_inst *pg)
{
    char path[PATH_MAX];
    char cache[PATH_MAX];
    char *buf = NULL;
    char *value;
    size_t len = 0;
    size_t plen = strlen(pg->pgdata);

    snprintf(path, sizeof(path), "%s/PG_VERSION", pg->pgdata);
    if (ra_file_exists(path)) {
        pg->datadir = pg->pgdata;
        return OCF_SUCCESS;
    }
    /* The cache: "<pgdata>\n<datadir>\n", valid for this pgdata. */
    if (ra_state_path(pg->ctx, "datadir", cache, sizeof(cache)) == 0
        && strcmp(pg->ctx->action, "start") != 0
        && strcmp(pg->ctx->action, "validate-all") != 0
        && ra_file_slurp(cache, RA_FSAFE_KEEP, 2 * PATH_MAX + 4, &buf, &len) == 0
        && len > plen + 2 && strncmp(buf, pg->pgdata, plen) == 0
        && buf[plen] == '\n' && buf[len - 1] == '\n' && buf[plen + 1] == '/') {
        buf[len - 1] = '\0';
        snprintf(pg->datadir_found, sizeof(pg->datadir_found), "%s",
                 buf + plen + 1);
        free(buf);
        pg->datadir = pg->datadir_found;
        return OCF_SUCCESS;
    }
    free(buf);
    value = pgi_setting(pg, "data_directory");
    if (value == NULL || value[0] != '/'
        || strlen(value) + 64 > sizeof(pg->datadir_found)) {
        ra_exit_reason("datadir is unset and the data_directory of pgdata %s "
                       "cannot be read (set datadir)", pg->pgdata);
        free(value);
        return OCF_ERR_CONFIGURED;
    }
    snprintf(pg->datadir_found, sizeof(pg->datadir_found), "%s", value);
    pg->datadir = pg->datadir_found;
    if (asprintf(&buf, "%s\n%s\n", pg->pgdata, value) >= 0) {
        (void) ra_file_replace(cache, buf, strlen(buf), 0600, RA_FSAFE_KEEP,
                               (gid_t) -1);
        free(buf);
    }
    ra_log_info("datadir unset: data directory %s (data_directory of %s)",
                value, pg->pgdata);
    free(value);
    return OCF_SUCCESS;
}

int pgi_init(struct pg_inst *pg, struct ra_ctx *ctx)
{
    const char *datadir = ra_param(ctx, "datadir");
    char stem[sizeof(pg->base) + 16];
    size_t n;

    memset(pg, 0, sizeof(*pg));
    pg->ctx = ctx;
    pg->bindir = ra_param(ctx, "bindir");
    pg->pgdata = ra_param(ctx, "pgdata");
    pg->datadir = (datadir != NULL && *datadir != '\0') ? datadir : pg->pgdata;
    pg->pghost = ra_param(ctx, "pghost");
    pg->user = ra_param(ctx, "system_user");
    snprintf(pg->port, sizeof(pg->port), "%lld", ra_param_int(ctx, "pgport"));
    /* Clone instances ("pgsqld:1") share one set of attribute names. */
    n = strcspn(ctx->instance, ":");
    /* Paths and names are never cut (a cut one names another file). */
    if (n >= sizeof(pg->base)) {
        ra_exit_reason("resource name longer than %zu characters",
                       sizeof(pg->base) - 1);
        return OCF_ERR_CONFIGURED;
    }
    if (strlen(pg->bindir) + sizeof("/pg_controldata") > sizeof(pg->postgres)
        || strlen(pg->datadir) + 64 > PATH_MAX
        || strlen(pg->pgdata) + 64 > PATH_MAX) {
        ra_exit_reason("bindir, pgdata or datadir is too long (at most %d "
                       "characters)", PATH_MAX - 64);
        return OCF_ERR_CONFIGURED;
    }
    snprintf(pg->postgres, sizeof(pg->postgres), "%s/postgres", pg->bindir);
    snprintf(pg->base, sizeof(pg->base), "%.*s", (int) n, ctx->instance);
    snprintf(stem, sizeof(stem), "postgresql-%s", pg->base);
    if (ra_logfile_path(ctx, "logfile", stem, pg->logfile, sizeof(pg->logfile)) != 0) {
        return OCF_ERR_CONFIGURED;
    }
    if (ra_user_lookup(pg->user, &pg->uid, &pg->gid) != 0) {
        ra_exit_reason("parameter system_user: user %s does not exist on this node",
                       pg->user);
        return OCF_ERR_INSTALLED;
    }
    if (datadir == NULL || *datadir == '\0') {
        return datadir_find(pg);
    }
    return OCF_SUCCESS;
}

void pgi_path(const struct pg_inst *pg, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", pg->datadir, name);
}

bool pgi_exists(const struct pg_inst *pg, const char *name)
{
    char path[PATH_MAX];

    pgi_path(pg, name, path, sizeof(path));
    return access(path, F_OK) == 0;
}

/* postmaster.pid (regular, single-linked, root's or the system user's; a
 * FIFO or a link planted there is not waited on or followed), parsed.
 * Returns 0, -ENOENT when missing, or another -errno when unusable. */
static int pidfile_load(const struct pg_inst *pg, struct pg_pidfile *pf)
{
    char path[PATH_MAX];
    char *buf = NULL;
    size_t len = 0;
    int rc;

    pgi_path(pg, "postmaster.pid", path, sizeof(path));
    rc = ra_file_slurp(path, pg->uid, PIDFILE_MAX, &buf, &len);
    if (rc == 0) {
        rc = pgi_pidfile_parse(buf, pf);
        free(buf);
    }
    return rc;
}

/* A postmaster of this data directory found in /proc (its command line
 * keeps "-D pgdata"; its children rewrite theirs), when the pid file cannot
 * be used. */
static pid_t postmaster_scan(const struct pg_inst *pg)
{
    const char *const args[] = { "-D", pg->pgdata, NULL };
    const struct ra_proc_match m = { .exe = pg->postgres, .args = args,
                                     .uid = &pg->uid };
    pid_t pids[2];

    return ra_proc_find(&m, pids, 2) == 1 ? pids[0] : 0;
}

pid_t pgi_postmaster(const struct pg_inst *pg, bool *stale_pidfile)
{
    const struct ra_proc_match m = { .exe = pg->postgres, .uid = &pg->uid };
    struct pg_pidfile pf = { 0 };
    int rc = pidfile_load(pg, &pf);
    pid_t pid;

    *stale_pidfile = false;
    if (rc == 0 && ra_proc_matches(pf.pid, &m)) {
        return pf.pid;
    }
    if (rc == -ENOENT) {
        return 0;
    }
    if (rc != 0 && (pid = postmaster_scan(pg)) > 0) {
        ra_log_warn("postmaster.pid is unusable (%s): postmaster %d found by "
                    "its command line", strerror(-rc), (int) pid);
        return pid;
    }
    /* Gone, a zombie (this PID 1 may never reap it), a reused pid, or a
     * file that is no pid file at all (a FIFO, a link). */
    *stale_pidfile = true;
    return 0;
}

/* The socket lock file of a dead postmaster: removed when it is the system
 * user's and names the same pid (its folder comes from postmaster.pid, which
 * the system user writes: only a file that user owns is removed). */
static void stale_lock_remove(const struct pg_inst *pg,
                              const struct pg_pidfile *pf)
{
    char lock[PATH_MAX + 64];
    char *buf = NULL;
    size_t len = 0;
    struct stat sb;
    int fd;

    if (pf->sockdir[0] != '/' || pf->port[0] == '\0') {
        return;
    }
    snprintf(lock, sizeof(lock), "%s/.s.PGSQL.%s.lock", pf->sockdir, pf->port);
    fd = ra_file_open_read(lock, pg->uid);
    if (fd < 0) {
        return;
    }
    if (fstat(fd, &sb) != 0 || sb.st_uid != pg->uid) {
        close(fd);
        return;
    }
    close(fd);
    if (ra_file_slurp(lock, pg->uid, PIDFILE_MAX, &buf, &len) == 0
        && strtol(buf, NULL, 10) == (long) pf->pid) {
        ra_log_notice("removing stale %s", lock);
        (void) ra_file_remove(lock);
    }
    free(buf);
}

void pgi_stale_cleanup(const struct pg_inst *pg)
{
    char path[PATH_MAX];
    struct pg_pidfile pf = { 0 };
    int rc = pidfile_load(pg, &pf);

    pgi_path(pg, "postmaster.pid", path, sizeof(path));
    if (rc == -ENOENT) {
        return;
    }
    if (rc != 0) {
        /* Not a pid file postgres wrote: postgres would refuse to start. */
        ra_log_warn("removing unusable %s (%s)", path, strerror(-rc));
        (void) ra_file_remove(path);
        return;
    }
    if (ra_proc_state(pf.pid) == RA_PROC_ALIVE) {
        return;
    }
    /* The socket lock file names the same dead postmaster: postgres would
     * see the zombie's pid as alive and refuse to start. */
    stale_lock_remove(pg, &pf);
    ra_log_notice("removing stale %s (postmaster %d is dead)", path,
                  (int) pf.pid);
    (void) ra_file_remove(path);
}

/* Simple-protocol query (the replication protocol refuses the extended
 * one), bounded by the deadline. */
PGresult *pgi_simple_exec(PGconn *conn, const char *cmd,
                          const struct ra_deadline *d, char *err,
                          size_t errlen)
{
    PGresult *res;
    PGresult *last = NULL;

    if (!PQsendQuery(conn, cmd)) {
        ra_pg_errcpy(err, errlen, PQerrorMessage(conn));
        return NULL;
    }
    while (PQisBusy(conn)) {
        struct pollfd pfd = { PQsocket(conn), POLLIN, 0 };
        long left = ra_deadline_remaining_ms(d);

        if (left <= 0 || poll(&pfd, 1, (int) left) <= 0
            || !PQconsumeInput(conn)) {
            snprintf(err, errlen, "%s: no answer before the deadline", cmd);
            return NULL;        /* the caller closes the connection */
        }
    }
    while ((res = PQgetResult(conn)) != NULL) {
        if (last != NULL) {
            PQclear(last);
        }
        last = res;
    }
    if (last == NULL || (PQresultStatus(last) != PGRES_TUPLES_OK
                         && PQresultStatus(last) != PGRES_COMMAND_OK)) {
        ra_pg_errcpy(err, errlen, last != NULL ? PQresultErrorMessage(last)
                                               : PQerrorMessage(conn));
        PQclear(last);
        return NULL;
    }
    return last;
}

int pgi_controldata(struct pg_inst *pg, struct pg_control *cd)
{
    char bin[PATH_MAX];
    const char *argv[] = { bin, "-D", pg->datadir, NULL };
    struct ra_run_opts opts = {
        .user = pg->user, .env = c_locale_env, .deadline = &pg->ctx->deadline,
    };
    struct ra_run_result res;
    char how[64];
    int rc;

    memset(cd, 0, sizeof(*cd));
    snprintf(bin, sizeof(bin), "%s/pg_controldata", pg->bindir);
    rc = ra_run(argv, &opts, &res);
    if (rc != 0) {
        ra_log_err("cannot run %s: %s", bin, strerror(-rc));
        return rc;
    }
    if (res.exit_status != 0) {
        ra_log_err("pg_controldata failed | %s: %.200s",
                   ra_run_status_str(&res, how, sizeof(how)), res.err);
        ra_run_result_free(&res);
        return -EIO;
    }
    rc = pgi_controldata_parse(res.out, cd);
    if (rc != 0) {
        ra_log_err("cannot parse the output of pg_controldata -D %s", pg->datadir);
    }
    ra_run_result_free(&res);
    return rc;
}

/* A conninfo value in single quotes, with \\ and \' escaped. */
void pgi_conninfo_quote(FILE *f, const char *v)
{
    fputc('\'', f);
    for (; *v != '\0'; v++) {
        if (*v == '\'' || *v == '\\') {
            fputc('\\', f);
        }
        fputc(*v, f);
    }
    fputc('\'', f);
}

/* Root's supplementary groups, kept while acting as the system user. */
struct root_groups {
    gid_t *list;
    int n;
};

/* Takes the system user's identity (euid, egid, groups) for what follows.
 * Returns 0 or -errno (root's identity kept). */
static int identity_take(const struct pg_inst *pg, struct root_groups *g)
{
    int e;

    g->n = getgroups(0, NULL);
    g->list = calloc(g->n > 0 ? (size_t) g->n : 1, sizeof(gid_t));
    if (g->n < 0 || g->list == NULL) {
        free(g->list);
        g->list = NULL;
        return -ENOMEM;
    }
    g->n = getgroups(g->n, g->list);
    if (g->n >= 0 && setgroups(1, &pg->gid) == 0 && setegid(pg->gid) == 0
        && seteuid(pg->uid) == 0) {
        return 0;
    }
    e = errno;
    (void) seteuid(0);
    (void) setegid(0);
    (void) setgroups(g->n > 0 ? (size_t) g->n : 0, g->list);
    free(g->list);
    g->list = NULL;
    return -e;
}

/* Takes root's identity back; a root agent that cannot is stopped there. */
static void identity_restore(struct root_groups *g)
{
    if (seteuid(0) != 0 || setegid(0) != 0
        || setgroups(g->n > 0 ? (size_t) g->n : 0, g->list) != 0) {
        ra_log_err("cannot take back root privileges: %s", strerror(errno));
        abort();
    }
    free(g->list);
    g->list = NULL;
}

/* Connects as the system user: peer authentication checks our uid, and
 * every file the conninfo names (passfile, sslkey, service file, which
 * postgres controls through primary_conninfo) is read with its rights. */
PGconn *pgi_connect_as_user(struct pg_inst *pg, const char *conninfo,
                            const char *const *keys,
                            const char *const *vals, char *err,
                            size_t errlen)
{
    struct root_groups g = { NULL, 0 };
    bool drop = geteuid() == 0 && pg->uid != 0;
    PGconn *conn;
    int rc;

    if (drop && (rc = identity_take(pg, &g)) != 0) {
        snprintf(err, errlen, "cannot act as %s: %s", pg->user, strerror(-rc));
        return NULL;
    }
    conn = ra_pg_connect_params(conninfo, keys, vals, &pg->ctx->deadline,
                                ra_param_ms(pg->ctx, "connect_timeout"), err,
                                errlen);
    if (drop) {
        identity_restore(&g);
    }
    return conn;
}

PGconn *pgi_connect(struct pg_inst *pg, char *err, size_t errlen)
{
    char *conninfo = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&conninfo, &len);
    PGconn *conn = NULL;

    if (f == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    fputs("host=", f);
    pgi_conninfo_quote(f, pg->pghost);
    fprintf(f, " port=%s user=", pg->port);
    pgi_conninfo_quote(f, pg->user);
    fprintf(f, " dbname=postgres connect_timeout=%ld "
            "application_name=ctfreak-ha-pgsql",
            (ra_param_ms(pg->ctx, "connect_timeout") + 999) / 1000);
    if (fclose(f) != 0) {
        free(conninfo);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    conn = pgi_connect_as_user(pg, conninfo, NULL, NULL, err, errlen);
    free(conninfo);
    return conn;
}

PGresult *pgi_exec(struct pg_inst *pg, PGconn *conn, const char *sql,
                   int nparams, const char *const *params, char *err,
                   size_t errlen)
{
    return ra_pg_exec(conn, sql, nparams, params, &pg->ctx->deadline, err,
                      errlen);
}

int pgi_query_value(struct pg_inst *pg, PGconn *conn, const char *sql,
                    char *out, size_t outlen, char *err, size_t errlen)
{
    PGresult *res = pgi_exec(pg, conn, sql, 0, NULL, err, errlen);
    int rc = -1;

    if (res == NULL) {
        return -1;
    }
    if (PQntuples(res) >= 1 && PQnfields(res) >= 1) {
        snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
        rc = 0;
    } else {
        snprintf(err, errlen, "no row returned");
    }
    PQclear(res);
    return rc;
}

/* argv = prefix... + start_opts words + NULL (free with free(), words apart). */
static const char **argv_with_opts(struct pg_inst *pg, const char *const *prefix,
                                   char ***words)
{
    const char *err = NULL;
    const char **argv;
    size_t np = 0;
    size_t nw = 0;

    *words = ra_words_split(ra_param(pg->ctx, "start_opts"), &err);
    if (*words == NULL) {
        ra_log_err("start_opts: %s", err != NULL ? err : "cannot split");
        return NULL;
    }
    while (prefix[np] != NULL) {
        np++;
    }
    while ((*words)[nw] != NULL) {
        nw++;
    }
    argv = calloc(np + nw + 2, sizeof(*argv));
    if (argv == NULL) {
        ra_words_free(*words);
        *words = NULL;
        return NULL;
    }
    for (size_t i = 0; i < np; i++) {
        argv[i] = prefix[i];
    }
    for (size_t i = 0; i < nw; i++) {
        argv[np + i] = (*words)[i];
    }
    return argv;
}

int pgi_server_log_ready(struct pg_inst *pg)
{
    return ra_logfile_ready("logfile", pg->logfile, pg->uid, pg->gid);
}

int pgi_server_launch(struct pg_inst *pg, pid_t *launched)
{
    const char *const prefix[] = { pg->postgres, "-D", pg->pgdata, NULL };
    struct ra_daemon_opts opts = { 0 };
    char **words = NULL;
    const char **argv;
    pid_t pid = 0;
    int rc;

    argv = argv_with_opts(pg, prefix, &words);
    if (argv == NULL) {
        return -EINVAL;
    }
    opts.user = pg->user;
    opts.cwd = pg->datadir;
    opts.log_file = pg->logfile;
    rc = ra_daemon_start(argv, &opts, &pid);
    if (rc == 0) {
        ra_log_info("postgres launched | pid=%d log=%s", (int) pid, pg->logfile);
        *launched = pid;
    }
    free(argv);
    ra_words_free(words);
    return rc;
}

bool pgi_server_stop(struct pg_inst *pg, pid_t pid, long fast_max_ms)
{
    struct ra_deadline fast;
    long left = ra_deadline_remaining_ms(&pg->ctx->deadline);
    long fast_ms = left > 9000 ? left - 3000 : left * 2 / 3;

    /* Fast shutdown (SIGINT) for all but the last 3 s (or third) of the
     * budget (at most fast_max_ms when > 0), then immediate (SIGQUIT): a stop
     * that does not end is worse. */
    if (fast_max_ms > 0 && fast_ms > fast_max_ms) {
        fast_ms = fast_max_ms;
    }
    ra_deadline_init(&fast, fast_ms);
    if (kill(pid, SIGINT) != 0 && errno == ESRCH) {
        return true;
    }
    if (ra_proc_wait_gone(pid, &fast)) {
        return true;
    }
    ra_log_warn("fast shutdown did not end in time: immediate shutdown | pid=%d",
                (int) pid);
    if (kill(pid, SIGQUIT) != 0 && errno == ESRCH) {
        return true;
    }
    return ra_proc_wait_gone(pid, &pg->ctx->deadline);
}

int pgi_crash_recovery(struct pg_inst *pg)
{
    const char *const prefix[] = { pg->postgres, "--single", "-D", pg->pgdata,
                                   NULL };
    struct ra_run_opts opts = {
        .user = pg->user, .cwd = pg->datadir, .deadline = &pg->ctx->deadline,
    };
    struct ra_run_result res;
    char **words = NULL;
    const char **argv;
    const char **full;
    char how[64];
    size_t n = 0;
    int rc;

    argv = argv_with_opts(pg, prefix, &words);
    if (argv == NULL) {
        return -EINVAL;
    }
    while (argv[n] != NULL) {
        n++;
    }
    /* The database name comes last; stdin is /dev/null: recover and exit. */
    full = realloc(argv, (n + 2) * sizeof(*argv));
    if (full == NULL) {
        free(argv);
        ra_words_free(words);
        return -ENOMEM;
    }
    full[n] = "postgres";
    full[n + 1] = NULL;
    rc = ra_run(full, &opts, &res);
    if (rc == 0) {
        if (res.exit_status != 0) {
            ra_log_err("single-user crash recovery failed | %s: %.300s",
                       ra_run_status_str(&res, how, sizeof(how)), res.err);
            rc = -EIO;
        }
        ra_run_result_free(&res);
    }
    free(full);
    ra_words_free(words);
    return rc;
}

char *pgi_setting(struct pg_inst *pg, const char *name)
{
    const char *const prefix[] = { pg->postgres, "-C", name, "-D", pg->pgdata,
                                   NULL };
    struct ra_run_opts opts = {
        .user = pg->user, .cwd = pg->datadir, .env = c_locale_env,
        .deadline = &pg->ctx->deadline,
    };
    struct ra_run_result res;
    char **words = NULL;
    const char **argv;
    char *value = NULL;
    int rc;

    argv = argv_with_opts(pg, prefix, &words);
    if (argv == NULL) {
        return NULL;
    }
    rc = ra_run(argv, &opts, &res);
    if (rc == 0) {
        if (res.exit_status == 0) {
            value = strndup(res.out, strcspn(res.out, "\n"));
        } else {
            ra_log_warn("postgres -C %s failed: %.200s", name, res.err);
        }
        ra_run_result_free(&res);
    }
    free(argv);
    ra_words_free(words);
    return value;
}

int pgi_standby_signal_write(struct pg_inst *pg)
{
    char path[PATH_MAX];

    pgi_path(pg, "standby.signal", path, sizeof(path));
    return ra_file_touch(path, 0600, pg->uid, pg->gid);
}

