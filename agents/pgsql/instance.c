/* instance.c: one PostgreSQL instance: files, postmaster, pg_controldata,
 * libpq, timelines, pg_rewind.  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "pgsql.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deadline.h"
#include "log.h"
#include "pg.h"
#include "proc.h"
#include "run.h"

static const char *const c_locale_env[] = { "LC_ALL=C", "LANG=C", NULL };

int pgi_init(struct pg_inst *pg, struct ra_ctx *ctx)
{
    const char *datadir = ra_param(ctx, "datadir");
    size_t n;

    memset(pg, 0, sizeof(*pg));
    pg->ctx = ctx;
    pg->bindir = ra_param(ctx, "bindir");
    pg->pgdata = ra_param(ctx, "pgdata");
    pg->datadir = (datadir != NULL && *datadir != '\0') ? datadir : pg->pgdata;
    pg->pghost = ra_param(ctx, "pghost");
    pg->user = ra_param(ctx, "system_user");
    snprintf(pg->port, sizeof(pg->port), "%lld", ra_param_int(ctx, "pgport"));
    snprintf(pg->postgres, sizeof(pg->postgres), "%s/postgres", pg->bindir);
    /* Clone instances ("pgsqld:1") share one set of attribute names. */
    n = strcspn(ctx->instance, ":");
    snprintf(pg->base, sizeof(pg->base), "%.*s", (int) n, ctx->instance);
    if (ra_user_lookup(pg->user, &pg->uid, &pg->gid) != 0) {
        ra_exit_reason("system user %s does not exist", pg->user);
        return OCF_ERR_INSTALLED;
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

/* The pid on line 1 of postmaster.pid (which has more lines than a plain
 * pid file), if the file belongs to root or the system user.  0: none. */
static pid_t postmaster_pid_read(const struct pg_inst *pg, bool *exists)
{
    char path[PATH_MAX];
    char buf[32];
    struct stat sb;
    long v = 0;
    FILE *f;

    pgi_path(pg, "postmaster.pid", path, sizeof(path));
    f = fopen(path, "re");
    *exists = f != NULL || errno != ENOENT;
    if (f == NULL) {
        return 0;
    }
    if (fstat(fileno(f), &sb) == 0 && (sb.st_uid == pg->uid || sb.st_uid == 0)
        && fgets(buf, sizeof(buf), f) != NULL) {
        v = strtol(buf, NULL, 10);
    }
    fclose(f);
    return v > 1 && v <= INT_MAX ? (pid_t) v : 0;
}

pid_t pgi_postmaster(const struct pg_inst *pg, bool *stale_pidfile)
{
    const struct ra_proc_match m = { .exe = pg->postgres, .uid = &pg->uid };
    bool exists = false;
    pid_t pid = postmaster_pid_read(pg, &exists);

    *stale_pidfile = false;
    if (pid > 0 && ra_proc_matches(pid, &m)) {
        return pid;
    }
    /* Gone, a zombie (this PID 1 may never reap it) or a reused pid. */
    *stale_pidfile = exists;
    return 0;
}

void pgi_stale_cleanup(const struct pg_inst *pg)
{
    char path[PATH_MAX];
    char lock[PATH_MAX + 64];
    char line[PATH_MAX];
    char port[16] = "";
    char sockdir[PATH_MAX] = "";
    long pid = 0;
    FILE *f;

    pgi_path(pg, "postmaster.pid", path, sizeof(path));
    f = fopen(path, "re");
    if (f == NULL) {
        return;
    }
    /* Lines: pid, data directory, start time, port, socket directory. */
    for (int i = 1; i <= 5 && fgets(line, sizeof(line), f) != NULL; i++) {
        line[strcspn(line, "\n")] = '\0';
        if (i == 1) {
            pid = strtol(line, NULL, 10);
        } else if (i == 4) {
            snprintf(port, sizeof(port), "%.15s", line);
        } else if (i == 5) {
            snprintf(sockdir, sizeof(sockdir), "%s", line);
        }
    }
    fclose(f);
    if (pid <= 1 || ra_proc_state((pid_t) pid) == RA_PROC_ALIVE) {
        return;
    }
    /* The socket lock file names the same dead postmaster: postgres would
     * see the zombie's pid as alive and refuse to start. */
    if (sockdir[0] != '\0' && port[0] != '\0') {
        snprintf(lock, sizeof(lock), "%s/.s.PGSQL.%s.lock", sockdir, port);
        f = fopen(lock, "re");
        if (f != NULL) {
            if (fgets(line, sizeof(line), f) != NULL
                && strtol(line, NULL, 10) == pid) {
                ra_log_notice("removing stale %s", lock);
                (void) unlink(lock);
            }
            fclose(f);
        }
    }
    ra_log_notice("removing stale %s (postmaster %ld is dead)", path, pid);
    (void) unlink(path);
}

/* Simple-protocol query (the replication protocol refuses the extended
 * one), bounded by the deadline. */
static PGresult *simple_exec(PGconn *conn, const char *cmd,
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

int pgi_lsn_parse(const char *s, uint64_t *lsn)
{
    unsigned int hi = 0;
    unsigned int lo = 0;

    if (s == NULL || sscanf(s, "%X/%X", &hi, &lo) != 2) {
        return -EINVAL;
    }
    *lsn = ((uint64_t) hi << 32) | lo;
    return 0;
}

void pgi_lsn_format(uint64_t lsn, char *buf, size_t len)
{
    snprintf(buf, len, "%X/%X", (unsigned int) (lsn >> 32),
             (unsigned int) (lsn & 0xffffffffu));
}

/* The value after "label:" in pg_controldata's output, trimmed. */
static bool cd_field(const char *out, const char *label, char *buf, size_t len)
{
    size_t ll = strlen(label);
    const char *p = out;
    size_t n;

    while (p != NULL && *p != '\0') {
        if (strncmp(p, label, ll) == 0 && p[ll] == ':') {
            p += ll + 1;
            p += strspn(p, " \t");
            n = strcspn(p, "\n");
            while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
                n--;
            }
            snprintf(buf, len, "%.*s", (int) n, p);
            return true;
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return false;
}

int pgi_controldata(struct pg_inst *pg, struct pg_control *cd)
{
    char bin[PATH_MAX];
    char v[64];
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
    rc = -EPROTO;
    if (cd_field(res.out, "Database cluster state", cd->state, sizeof(cd->state))
        && cd_field(res.out, "Latest checkpoint location", v, sizeof(v))
        && pgi_lsn_parse(v, &cd->ckpt) == 0
        && cd_field(res.out, "Latest checkpoint's REDO location", v, sizeof(v))
        && pgi_lsn_parse(v, &cd->redo) == 0
        && cd_field(res.out, "Latest checkpoint's TimeLineID", v, sizeof(v))
        && sscanf(v, "%u", &cd->tli) == 1
        && cd_field(res.out, "Minimum recovery ending location", v, sizeof(v))
        && pgi_lsn_parse(v, &cd->minrec) == 0
        && cd_field(res.out, "Min recovery ending loc's timeline", v, sizeof(v))
        && sscanf(v, "%u", &cd->minrec_tli) == 1
        && cd_field(res.out, "wal_level setting", cd->wal_level,
                    sizeof(cd->wal_level))) {
        rc = 0;
    } else {
        ra_log_err("cannot parse the output of pg_controldata -D %s", pg->datadir);
    }
    ra_run_result_free(&res);
    return rc;
}

/* A conninfo value in single quotes, with \\ and \' escaped. */
static void ci_quote(char *dst, size_t len, const char *v)
{
    size_t o = 0;

    if (len < 3) {
        return;
    }
    dst[o++] = '\'';
    for (; *v != '\0' && o + 3 < len; v++) {
        if (*v == '\'' || *v == '\\') {
            dst[o++] = '\\';
        }
        dst[o++] = *v;
    }
    dst[o++] = '\'';
    dst[o] = '\0';
}

PGconn *pgi_connect(struct pg_inst *pg, char *err, size_t errlen)
{
    char conninfo[1024];
    char host[512];
    char user[256];
    uid_t euid = geteuid();
    PGconn *conn = NULL;

    ci_quote(host, sizeof(host), pg->pghost);
    ci_quote(user, sizeof(user), pg->user);
    snprintf(conninfo, sizeof(conninfo),
             "host=%s port=%s user=%s dbname=postgres connect_timeout=%ld "
             "application_name=ctfreak-ha-pgsql",
             host, pg->port, user,
             (ra_param_ms(pg->ctx, "connect_timeout") + 999) / 1000);
    /* Peer authentication on the socket checks our uid: connect as the
     * system user, then take root back (the socket keeps its credentials). */
    if (euid == 0 && pg->uid != 0 && seteuid(pg->uid) != 0) {
        snprintf(err, errlen, "seteuid(%s): %s", pg->user, strerror(errno));
        return NULL;
    }
    conn = ra_pg_connect(conninfo, &pg->ctx->deadline,
                         ra_param_ms(pg->ctx, "connect_timeout"), err, errlen);
    if (euid == 0 && pg->uid != 0 && seteuid(0) != 0) {
        ra_log_err("cannot take back root privileges: %s", strerror(errno));
        abort();
    }
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

int pgi_server_launch(struct pg_inst *pg, pid_t *launched)
{
    const char *const prefix[] = { pg->postgres, "-D", pg->pgdata, NULL };
    char log_file[PATH_MAX];
    struct ra_daemon_opts opts = { 0 };
    char **words = NULL;
    const char **argv;
    pid_t pid = 0;
    int rc;

    if (access("/var/log/postgresql", W_OK) == 0) {
        snprintf(log_file, sizeof(log_file),
                 "/var/log/postgresql/ctfreak-ha-%s.log", pg->base);
    } else {
        snprintf(log_file, sizeof(log_file), "%s/pgsql-%s.log",
                 pg->ctx->rsctmp, pg->base);
    }
    argv = argv_with_opts(pg, prefix, &words);
    if (argv == NULL) {
        return -EINVAL;
    }
    opts.user = pg->user;
    opts.cwd = pg->datadir;
    opts.log_file = log_file;
    rc = ra_daemon_start(argv, &opts, &pid);
    if (rc == 0) {
        ra_log_info("postgres launched | pid=%d log=%s", (int) pid, log_file);
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
    int fd;

    pgi_path(pg, "standby.signal", path, sizeof(path));
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return -errno;
    }
    if (fchown(fd, pg->uid, pg->gid) != 0) {
        int e = errno;

        close(fd);
        return -e;
    }
    return close(fd) == 0 ? 0 : -errno;
}

int pgi_primary_view(struct pg_inst *pg, const char *conninfo,
                     struct pg_primary_view *v, char *err, size_t errlen)
{
    char *ci = NULL;
    char cmd[64];
    PGconn *conn = NULL;
    PGresult *res = NULL;
    unsigned char *raw;
    size_t rawlen = 0;
    int rc = -1;

    memset(v, 0, sizeof(*v));
    if (asprintf(&ci, "%s replication=true", conninfo) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    conn = ra_pg_connect(ci, &pg->ctx->deadline,
                         ra_param_ms(pg->ctx, "connect_timeout"), err, errlen);
    if (conn == NULL) {
        goto done;
    }
    res = simple_exec(conn, "IDENTIFY_SYSTEM", &pg->ctx->deadline, err, errlen);
    if (res == NULL || PQntuples(res) != 1 || PQnfields(res) < 3
        || sscanf(PQgetvalue(res, 0, 1), "%u", &v->tli) != 1
        || pgi_lsn_parse(PQgetvalue(res, 0, 2), &v->flush) != 0) {
        if (res != NULL) {
            snprintf(err, errlen, "unexpected IDENTIFY_SYSTEM answer");
        }
        goto done;
    }
    PQclear(res);
    res = simple_exec(conn, "SHOW in_hot_standby", &pg->ctx->deadline, err,
                      errlen);
    if (res == NULL || PQntuples(res) != 1) {
        goto done;
    }
    v->is_standby = strcmp(PQgetvalue(res, 0, 0), "on") == 0;
    PQclear(res);
    res = NULL;
    if (v->tli > 1) {
        snprintf(cmd, sizeof(cmd), "TIMELINE_HISTORY %u", v->tli);
        res = simple_exec(conn, cmd, &pg->ctx->deadline, err, errlen);
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
    free(ci);
    return rc;
}

void pgi_primary_view_free(struct pg_primary_view *v)
{
    free(v->history);
    v->history = NULL;
}

bool pgi_diverged(const struct pg_primary_view *v, unsigned tli, uint64_t lsn,
                  char *why, size_t whylen)
{
    char a[32];
    char b[32];
    const char *p = v->history;

    pgi_lsn_format(lsn, a, sizeof(a));
    if (tli == v->tli) {
        pgi_lsn_format(v->flush, b, sizeof(b));
        snprintf(why, whylen, "local %s is ahead of the primary's %s on timeline %u",
                 a, b, tli);
        return lsn > v->flush;
    }
    if (tli > v->tli) {
        snprintf(why, whylen, "local timeline %u is newer than the primary's %u",
                 tli, v->tli);
        return true;
    }
    /* History lines: "<parent tli>\t<switchpoint>\t<reason>". */
    while (p != NULL && *p != '\0') {
        unsigned t = 0;
        char sw[32];
        uint64_t s = 0;

        if (sscanf(p, "%u %31s", &t, sw) == 2 && t == tli
            && pgi_lsn_parse(sw, &s) == 0) {
            pgi_lsn_format(s, b, sizeof(b));
            snprintf(why, whylen, "timeline %u forked off at %s but the local "
                     "WAL reaches %s on it", tli, b, a);
            return lsn > s;
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    snprintf(why, whylen, "local timeline %u is not in the history of the "
             "primary's timeline %u", tli, v->tli);
    return true;
}

/* Copies a small file (the local postgresql.auto.conf) into *buf. */
static int slurp(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "re");
    size_t cap = 0;
    size_t n;
    char chunk[4096];

    *buf = NULL;
    *len = 0;
    if (f == NULL) {
        return -errno;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        char *nb = realloc(*buf, cap + n);

        if (nb == NULL) {
            free(*buf);
            *buf = NULL;
            fclose(f);
            return -ENOMEM;
        }
        memcpy(nb + cap, chunk, n);
        *buf = nb;
        cap += n;
    }
    fclose(f);
    *len = cap;
    return 0;
}

static int spill(const struct pg_inst *pg, const char *path, const char *buf,
                 size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = 0;

    if (fd < 0) {
        return -errno;
    }
    if ((len > 0 && write(fd, buf, len) != (ssize_t) len)
        || fchown(fd, pg->uid, pg->gid) != 0) {
        rc = -errno;
    }
    if (close(fd) != 0 && rc == 0) {
        rc = -errno;
    }
    return rc;
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
    char *ci = NULL;
    char err[256];
    PGconn *conn;
    PGresult *res = NULL;

    if (asprintf(&ci, "%s dbname=postgres", conninfo) < 0) {
        return;
    }
    conn = ra_pg_connect(ci, &pg->ctx->deadline,
                         ra_param_ms(pg->ctx, "connect_timeout"), err,
                         sizeof(err));
    if (conn != NULL) {
        res = simple_exec(conn, "CHECKPOINT", &pg->ctx->deadline, err,
                          sizeof(err));
    }
    if (res == NULL) {
        ra_log_warn("CHECKPOINT on the rewind source failed: %s", err);
    }
    PQclear(res);
    PQfinish(conn);
    free(ci);
}

int pgi_rewind(struct pg_inst *pg, const char *conninfo)
{
    enum { NFILES = 4 };
    char bin[PATH_MAX];
    char target[PATH_MAX + 32];
    char source[2048];
    char conf[PATH_MAX + 32];
    char path[PATH_MAX];
    const char *argv[8];
    struct ra_run_opts opts = {
        .user = pg->user, .cwd = pg->datadir, .env = c_locale_env,
        .deadline = &pg->ctx->deadline,
    };
    struct ra_run_result res;
    char *saved[NFILES] = { NULL };
    size_t saved_len[NFILES] = { 0 };
    char how[64];
    size_t n = 0;
    int rc;

    snprintf(bin, sizeof(bin), "%s/pg_rewind", pg->bindir);
    snprintf(target, sizeof(target), "--target-pgdata=%s", pg->datadir);
    snprintf(source, sizeof(source), "--source-server=%s dbname=postgres",
             conninfo);
    for (size_t i = 0; local_files[i] != NULL && i < NFILES; i++) {
        pgi_path(pg, local_files[i], path, sizeof(path));
        (void) slurp(path, &saved[i], &saved_len[i]);
    }
    source_checkpoint(pg, conninfo);
    argv[n++] = bin;
    argv[n++] = target;
    argv[n++] = source;
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
    for (size_t i = 0; local_files[i] != NULL && i < NFILES; i++) {
        if (saved[i] == NULL) {
            continue;
        }
        pgi_path(pg, local_files[i], path, sizeof(path));
        if (spill(pg, path, saved[i], saved_len[i]) != 0) {
            ra_log_err("cannot restore %s", path);
            rc = rc == 0 ? -EIO : rc;
        }
        free(saved[i]);
    }
    return rc;
}
