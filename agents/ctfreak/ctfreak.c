/* ctfreak.c: ocf:ctfreak:ctfreak, the CTFreak instance (start, stop, health).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "common/attr.h"
#include "common/fsafe.h"
#include "common/http.h"
#include "common/log.h"
#include "common/pg.h"
#include "common/proc.h"
#include "common/ra.h"
#include "common/redact.h"
#include "common/run.h"
#include "common/trust.h"

extern const char ctfreak_metadata[];
extern const struct ra_param_def ctfreak_params[];

#define START_POLL_MS 50
#define STOP_KILL_RESERVE_MS 2000
#define DB_GATE_WAIT_MS 5000
#define DB_GATE_POLL_MS 200
#define LOG_DIR_DEFAULT "/var/log/ctfreak-ha"
/* PostgreSQL's longest identifier (NAMEDATALEN - 1). */
#define DB_ROLE_MAX 63

/* The instance as the parameters describe it. */
struct instance {
    const char *binary;
    const char *config_dir;
    const char *user;
    char **args;                    /* extra words after "run" */
    uid_t uid;
    gid_t gid;
    bool user_known;
    char pidfile[PATH_MAX];
    char logfile[PATH_MAX];
    char repeat_file[PATH_MAX];     /* remembers a repeating monitor failure */
    const char *match_args[3];      /* "-c", config_dir */
    struct ra_proc_match match;     /* .uid: only user's processes are ours */
};

enum db_state {
    DB_NOT_CONFIGURED,
    DB_PRIMARY,
    DB_STANDBY,
    DB_UNREACHABLE,
    DB_ERROR,
};

static const char *db_state_str(enum db_state s)
{
    switch (s) {
    case DB_NOT_CONFIGURED: return "not configured";
    case DB_PRIMARY:        return "primary";
    case DB_STANDBY:        return "a standby (in recovery)";
    case DB_UNREACHABLE:    return "unreachable";
    case DB_ERROR:          return "in error";
    }
    return "unknown";
}

/* ---- the instance ------------------------------------------------------------------ */

static void instance_free(struct instance *inst)
{
    ra_words_free(inst->args);
    inst->args = NULL;
}

/* Copies the path parameter name, or when empty dir/<instance>.log, into
 * buf; a path that does not fit is refused, never cut.  Returns 0 or -1
 * (reason given). */
static int path_param(struct ra_ctx *ctx, const char *name, const char *dir,
                      char *buf, size_t len)
{
    const char *p = ra_param(ctx, name);
    int n = *p != '\0' || dir == NULL
            ? snprintf(buf, len, "%s", p)
            : snprintf(buf, len, "%s/%s.log", dir, ctx->instance);

    if (n < 0 || (size_t) n >= len) {
        ra_exit_reason("parameter %s is too long (more than %zu bytes)%s", name,
                       len - 1, *p != '\0' ? "" : " by default: set it");
        return -1;
    }
    return 0;
}

/* Fills inst from the parameters; returns OCF_SUCCESS or OCF_ERR_CONFIGURED. */
static int instance_load(struct ra_ctx *ctx, struct instance *inst)
{
    const char *why = NULL;
    const char *p;

    memset(inst, 0, sizeof(*inst));
    inst->binary = ra_param(ctx, "binary");
    inst->config_dir = ra_param(ctx, "config_dir");
    inst->user = ra_param(ctx, "user");
    inst->args = ra_words_split(ra_param(ctx, "args"), &why);
    if (inst->args == NULL) {
        ra_exit_reason("parameter args=\"%s\" %s", ra_param(ctx, "args"), why);
        return OCF_ERR_CONFIGURED;
    }
    inst->user_known = ra_user_lookup(inst->user, &inst->uid, &inst->gid) == 0;
    if (!inst->user_known) {
        inst->uid = (uid_t) -1;     /* no process runs as that: none is ours */
    }

    p = ra_param(ctx, "pidfile");
    if (*p != '\0') {
        if (path_param(ctx, "pidfile", NULL, inst->pidfile,
                       sizeof(inst->pidfile)) != 0) {
            return OCF_ERR_CONFIGURED;
        }
    } else if (ra_state_path(ctx, "pid", inst->pidfile, sizeof(inst->pidfile)) != 0) {
        ra_exit_reason("cannot use HA_RSCTMP=%s for the pid file", ctx->rsctmp);
        return OCF_ERR_CONFIGURED;
    }
    if (path_param(ctx, "log_file", LOG_DIR_DEFAULT, inst->logfile,
                   sizeof(inst->logfile)) != 0) {
        return OCF_ERR_CONFIGURED;
    }
    if (ra_state_path(ctx, "monitor-failure", inst->repeat_file,
                      sizeof(inst->repeat_file)) != 0) {
        inst->repeat_file[0] = '\0';
    }
    inst->match_args[0] = "-c";
    inst->match_args[1] = inst->config_dir;
    inst->match_args[2] = NULL;
    inst->match.exe = inst->binary;
    inst->match.args = inst->match_args;
    /* Any local user can run a process named like ours. */
    inst->match.uid = &inst->uid;
    return OCF_SUCCESS;
}

static const char *repeat_file(const struct instance *inst)
{
    return inst->repeat_file[0] != '\0' ? inst->repeat_file : NULL;
}

/* The running instance, if any.  *by_scan: found in /proc, not via the pid file. */
static pid_t instance_pid(const struct instance *inst, bool *by_scan)
{
    pid_t pid = 0;
    enum ra_pidfile_status st;

    st = ra_pidfile_read(inst->pidfile, inst->user_known ? inst->uid : (uid_t) -1, &pid);
    if (st == RA_PIDFILE_UNTRUSTED || st == RA_PIDFILE_INVALID) {
        ra_log_warn("pid file %s is %s: ignoring it, looking in /proc",
                    inst->pidfile, ra_pidfile_status_str(st));
    } else if (st == RA_PIDFILE_OK && !ra_proc_matches(pid, &inst->match)) {
        ra_log_info("pid file %s names pid %d, which is not this instance "
                    "(stale or reused): looking in /proc", inst->pidfile, (int) pid);
    }
    return ra_proc_locate(st == RA_PIDFILE_OK ? inst->pidfile : NULL,
                          inst->user_known ? inst->uid : (uid_t) -1,
                          &inst->match, by_scan);
}

/* ---- checks ------------------------------------------------------------------------ */

static bool file_readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* Problems in the configuration itself: the same on every node. */
static int check_configuration(struct ra_ctx *ctx)
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

/* A pid file or log file given as a parameter: its folder exists, and a
 * file already there is a regular file of root or the CTFreak user (the
 * agent writes it as root).  Returns an OCF code, the reason given. */
static int check_state_file(struct ra_ctx *ctx, const struct instance *inst,
                            const char *param, const char *path)
{
    char dir[PATH_MAX];
    char *slash;
    struct stat st;

    if (*ra_param(ctx, param) == '\0') {
        return OCF_SUCCESS;     /* the agent's own default folder */
    }
    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        /* The agent's own folder is made at start even when named
         * explicitly (the recommended configuration names it). */
        if (strcmp(dir, LOG_DIR_DEFAULT) != 0
            && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
            ra_exit_reason("parameter %s: folder %s does not exist on this node",
                           param, dir);
            return OCF_ERR_INSTALLED;
        }
    }
    if (lstat(path, &st) == 0
        && (!S_ISREG(st.st_mode)
            || (st.st_uid != 0 && (!inst->user_known || st.st_uid != inst->uid)))) {
        ra_exit_reason("parameter %s: %s is not a regular file of root or %s",
                       param, path, inst->user);
        return OCF_ERR_PERM;
    }
    return OCF_SUCCESS;
}

/* Problems of this node only (software or files missing here). */
static int check_node(struct ra_ctx *ctx, const struct instance *inst)
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
        rc = check_state_file(ctx, inst, "pidfile", inst->pidfile);
    }
    if (rc == OCF_SUCCESS) {
        rc = check_state_file(ctx, inst, "log_file", inst->logfile);
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

static int validate(struct ra_ctx *ctx, const struct instance *inst)
{
    int rc = check_configuration(ctx);

    return rc != OCF_SUCCESS ? rc : check_node(ctx, inst);
}

static enum ra_http_verdict health_check(struct ra_ctx *ctx, const struct ra_deadline *d,
                                         char *detail, size_t len)
{
    struct ra_http_check check = {
        .url = ra_param(ctx, "url"),
        .expect_body = ra_param(ctx, "expect_body"),
        .connect_timeout_ms = ra_param_ms(ctx, "connect_timeout"),
        .request_timeout_ms = ra_param_ms(ctx, "request_timeout"),
        .ca_file = ra_param(ctx, "ca_file"),
        .client_cert = ra_param(ctx, "client_cert"),
        .client_key = ra_param(ctx, "client_key"),
        .tls_verify = ra_param_bool(ctx, "tls_verify"),
    };

    return ra_http_get(&check, d, detail, len);
}

/* ---- the database ---------------------------------------------------------------------- */

static PGconn *db_connect(struct ra_ctx *ctx, char *err, size_t len)
{
    return ra_pg_connect(ra_param(ctx, "db_conninfo"), &ctx->deadline,
                         ra_param_ms(ctx, "connect_timeout"), err, len);
}

/* Is the database reachable, and primary? */
static enum db_state db_role_of(struct ra_ctx *ctx, PGconn *conn, char *err, size_t len)
{
    PGresult *res = ra_pg_exec(conn, "SELECT pg_is_in_recovery()", 0, NULL,
                               &ctx->deadline, err, len);
    enum db_state st;

    if (res == NULL) {
        return DB_ERROR;
    }
    st = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? DB_STANDBY : DB_PRIMARY;
    PQclear(res);
    return st;
}

static enum db_state db_state_check(struct ra_ctx *ctx, char *err, size_t len)
{
    enum db_state st;
    PGconn *conn;

    if (*ra_param(ctx, "db_conninfo") == '\0') {
        return DB_NOT_CONFIGURED;
    }
    conn = db_connect(ctx, err, len);
    if (conn == NULL) {
        return DB_UNREACHABLE;
    }
    st = db_role_of(ctx, conn, err, len);
    PQfinish(conn);
    return st;
}

/* The role CTFreak connects as: db_role, else the user of db_conninfo. */
static char *db_ctfreak_role(struct ra_ctx *ctx, PGconn *conn)
{
    const char *role = ra_param(ctx, "db_role");

    return strdup(*role != '\0' ? role : PQuser(conn));
}

/* Is addr (text from host(client_addr); NULL for a unix socket) one of
 * this node's addresses? */
static bool addr_is_local(const char *addr)
{
    struct ifaddrs *ifs = NULL;
    bool local = false;

    if (addr == NULL || strcmp(addr, "127.0.0.1") == 0 || strcmp(addr, "::1") == 0) {
        return true;
    }
    if (getifaddrs(&ifs) != 0) {
        return false;
    }
    for (struct ifaddrs *i = ifs; i != NULL && !local; i = i->ifa_next) {
        char buf[INET6_ADDRSTRLEN] = "";

        if (i->ifa_addr == NULL) {
            continue;
        }
        if (i->ifa_addr->sa_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *) (void *) i->ifa_addr)->sin_addr,
                      buf, sizeof(buf));
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *) (void *) i->ifa_addr)->sin6_addr,
                      buf, sizeof(buf));
        }
        local = buf[0] != '\0' && strcmp(buf, addr) == 0;
    }
    freeifaddrs(ifs);
    return local;
}

/* Does any process of the CTFreak binary run on this node (any folder) as
 * the CTFreak user? */
static bool binary_runs_here(const struct instance *inst)
{
    struct ra_proc_match any = { .exe = inst->binary, .args = NULL,
                                 .uid = &inst->uid };
    pid_t pid;

    return ra_proc_find(&any, &pid, 1) > 0;
}

/* A session of CTFreak's role from this node while no CTFreak process runs
 * here is left by a dead local instance (e.g. a backend still waiting for a
 * synchronous standby after its client died): end it. */
static bool db_end_leftover(struct ra_ctx *ctx, PGconn *conn, const char *pid,
                            const char *from)
{
    char err[256] = "";
    const char *params[1] = { pid };
    PGresult *res = ra_pg_exec(conn, "SELECT pg_terminate_backend($1::int, 2000)", 1,
                               params, &ctx->deadline, err, sizeof(err));
    bool ended = res != NULL && strcmp(PQgetvalue(res, 0, 0), "t") == 0;

    ra_log_warn("session %s from %s belongs to no running CTFreak process on this "
                "node (left by a dead instance): %s", pid, from,
                ended ? "terminated" : err[0] != '\0' ? err : "could not terminate it");
    PQclear(res);
    return ended;
}

/* Another CTFreak instance connected to the database?  Fills who; returns
 * 1 yes, 0 no, -1 could not tell (err set).  Sessions left by a dead local
 * instance are ended, not counted. */
static int db_other_instance(struct ra_ctx *ctx, const struct instance *inst,
                             PGconn *conn, char *who, size_t wlen, char *err, size_t elen)
{
    static const char sql[] =
        "SELECT pid, host(client_addr), application_name "
        "FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend' "
        "AND application_name <> 'ctfreak-ha-agent'";
    char *role = db_ctfreak_role(ctx, conn);
    const char *params[1] = { role };
    bool local_binary = binary_runs_here(inst);
    PGresult *res;
    int found = 0;

    if (role == NULL) {
        snprintf(err, elen, "out of memory");
        return -1;
    }
    res = ra_pg_exec(conn, sql, 1, params, &ctx->deadline, err, elen);
    if (res == NULL) {
        free(role);
        return -1;
    }
    for (int i = 0; i < PQntuples(res) && found == 0; i++) {
        const char *addr = PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1);
        const char *from = addr != NULL ? addr : "local socket";

        if (!local_binary && addr_is_local(addr)
            && db_end_leftover(ctx, conn, PQgetvalue(res, i, 0), from)) {
            continue;
        }
        snprintf(who, wlen, "role %s, backend pid %s, from %s, application \"%s\"", role,
                 PQgetvalue(res, i, 0), from, PQgetvalue(res, i, 2));
        found = 1;
    }
    PQclear(res);
    free(role);
    return found;
}

/* Start's database gate: primary, reachable, and nobody else's.  Returns
 * OCF_SUCCESS, or OCF_ERR_GENERIC with why filled (*busy set when another
 * instance's session is the reason). */
static int db_gate(struct ra_ctx *ctx, const struct instance *inst, char *why, size_t wlen,
                   bool *busy)
{
    char err[512] = "";
    char who[512] = "";
    enum db_state st;
    PGconn *conn;
    int other;

    conn = db_connect(ctx, err, sizeof(err));
    if (conn == NULL) {
        snprintf(why, wlen, "the database is unreachable: %s", err);
        return OCF_ERR_GENERIC;
    }
    st = db_role_of(ctx, conn, err, sizeof(err));
    if (st != DB_PRIMARY) {
        snprintf(why, wlen, "the database is %s%s%s", db_state_str(st),
                 *err != '\0' ? ": " : "", err);
        PQfinish(conn);
        return OCF_ERR_GENERIC;
    }
    other = db_other_instance(ctx, inst, conn, who, sizeof(who), err, sizeof(err));
    PQfinish(conn);
    if (other < 0) {
        snprintf(why, wlen, "cannot check for another CTFreak instance: %s", err);
        return OCF_ERR_GENERIC;
    }
    if (other > 0) {
        *busy = true;
        snprintf(why, wlen, "another CTFreak instance is connected to the database (%s); "
                 "two instances must never share one database", who);
        return OCF_ERR_GENERIC;
    }
    return OCF_SUCCESS;
}

/* The gate.  Another instance's session is asked about again for up to
 * DB_GATE_WAIT_MS: it is often over in a moment (an instance that just died,
 * its backend still finishing), and a refused start is retried by Pacemaker
 * at once, in a tight loop.  A database that is down or a standby is refused
 * at once: Pacemaker has to act on it, and a waiting start would hold up the
 * transition that does.  Returns OCF_SUCCESS or the code to refuse with
 * (reason given). */
static int db_allows_start(struct ra_ctx *ctx, const struct instance *inst)
{
    struct ra_deadline wait;
    char why[1200] = "";
    bool said = false;
    long budget;

    if (*ra_param(ctx, "db_conninfo") == '\0') {
        return OCF_SUCCESS;
    }
    /* at most a third of the start's time: launching needs the rest */
    budget = ra_deadline_remaining_ms(&ctx->deadline) / 3;
    ra_deadline_init(&wait, budget < DB_GATE_WAIT_MS ? budget : DB_GATE_WAIT_MS);
    for (;;) {
        bool busy = false;

        if (db_gate(ctx, inst, why, sizeof(why), &busy) == OCF_SUCCESS) {
            break;
        }
        if (!busy) {
            ra_exit_reason("not starting: %s", why);
            return OCF_ERR_GENERIC;
        }
        if (!said) {
            ra_log_info("waiting up to %ld ms: %s", ra_deadline_remaining_ms(&wait), why);
            said = true;
        }
        if (!ra_deadline_sleep_ms(&wait, DB_GATE_POLL_MS)) {
            ra_exit_reason("not starting: %s", why);
            return OCF_ERR_GENERIC;
        }
    }
    if (said) {
        ra_log_info("the database allows the start now");
    }
    return OCF_SUCCESS;
}

/* ---- start ------------------------------------------------------------------------------ */

/* Creates the log file's folder when missing (root's, 0750; an existing
 * one is left as it is), and refuses a folder reached through another
 * user's symlink.  Returns 0 or -errno. */
static int ensure_log_dir(const char *logfile)
{
    char dir[PATH_MAX];
    const char *name = NULL;
    char *slash;
    int parent;
    int fd;

    if (snprintf(dir, sizeof(dir), "%s", logfile) >= (int) sizeof(dir)) {
        return -ENAMETOOLONG;
    }
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir) {
        return 0;
    }
    *slash = '\0';
    parent = ra_dir_open_parent(dir, &name);
    if (parent < 0) {
        return parent;
    }
    if (mkdirat(parent, name, 0750) != 0 && errno != EEXIST) {
        fd = -errno;
    } else {
        fd = ra_dir_open(dir);
    }
    close(parent);
    if (fd < 0) {
        return fd;
    }
    close(fd);
    return 0;
}

/* The log file as the daemon will get it (fsafe: no link followed, no FIFO,
 * one link, root's or the CTFreak user's; a new one is the user's).
 * Returns 0 or -1 with the reason given. */
static int log_file_usable(const struct instance *inst)
{
    int rc = ensure_log_dir(inst->logfile);
    int fd = rc == 0 ? ra_file_open_append(inst->logfile, 0640, inst->uid, inst->gid)
                     : rc;

    if (fd < 0) {
        ra_exit_reason("log_file %s cannot be used: %s (a symlink, FIFO, hard link or "
                       "another user's file is refused)", inst->logfile, strerror(-fd));
        return -1;
    }
    close(fd);
    return 0;
}

static int instance_launch(struct ra_ctx *ctx, const struct instance *inst, pid_t *pid)
{
    size_t nargs = 0;
    const char **argv;
    struct ra_daemon_opts opts = {
        .user = inst->user,
        .cwd = inst->config_dir,
        .log_file = inst->logfile,
        .pid_file = inst->pidfile,
    };
    int rc;

    while (inst->args[nargs] != NULL) {
        nargs++;
    }
    argv = calloc(nargs + 5, sizeof(*argv));
    if (argv == NULL) {
        return -ENOMEM;
    }
    argv[0] = inst->binary;
    argv[1] = "-c";
    argv[2] = inst->config_dir;
    argv[3] = "run";
    for (size_t i = 0; i < nargs; i++) {
        argv[4 + i] = inst->args[i];
    }
    rc = ra_daemon_start(argv, &opts, pid);
    if (rc == 0) {
        ra_log_info("launched %s -c %s run (pid %d, user %s, log %s)", inst->binary,
                    inst->config_dir, (int) *pid, inst->user, inst->logfile);
    }
    (void) ctx;
    free(argv);
    return rc;
}

enum start_outcome {
    START_HEALTHY,
    START_DIED,
    START_TIMED_OUT,
};

/* Time kept back from the start wait to stop a failed instance and judge
 * the database before the action's own deadline. */
static long start_reserve_ms(const struct ra_ctx *ctx)
{
    long r = ra_deadline_remaining_ms(&ctx->deadline) / 4;

    return r < 300 ? 300 : (r > 5000 ? 5000 : r);
}

/* Waits until /isalive answers as expected, the process dies, or the wait
 * deadline (the action's minus a reserve). */
static enum start_outcome wait_healthy(struct ra_ctx *ctx, pid_t pid, char *detail,
                                       size_t len)
{
    struct ra_deadline wait;

    ra_deadline_init(&wait, ra_deadline_remaining_ms(&ctx->deadline) - start_reserve_ms(ctx));
    for (;;) {
        if (!ra_proc_alive(pid)) {
            snprintf(detail, len, "the process (pid %d) exited during start", (int) pid);
            return START_DIED;
        }
        if (health_check(ctx, &wait, detail, len) == RA_HTTP_OK) {
            return START_HEALTHY;
        }
        if (!ra_deadline_sleep_ms(&wait, START_POLL_MS)) {
            return START_TIMED_OUT;
        }
    }
}

/* Signals pid and its process group (the instance's children). */
static void signal_instance(pid_t pid, int sig)
{
    pid_t pgid = getpgid(pid);

    kill(pid, sig);
    if (pgid > 1 && pgid != getpgid(0)) {
        kill(-pgid, sig);
    }
}

/* SIGTERM, wait until the deadline d minus a reserve, SIGKILL, wait. */
static bool instance_terminate(const struct ra_deadline *d, pid_t pid)
{
    struct ra_deadline term;
    long left = ra_deadline_remaining_ms(d);

    ra_deadline_init(&term, left > STOP_KILL_RESERVE_MS * 2 ? left - STOP_KILL_RESERVE_MS
                                                             : left / 2);
    signal_instance(pid, SIGTERM);
    if (ra_proc_wait_gone(pid, &term)) {
        return true;
    }
    ra_log_warn("pid %d ignored SIGTERM: sending SIGKILL", (int) pid);
    signal_instance(pid, SIGKILL);
    return ra_proc_wait_gone(pid, d);
}

/* A start failed.  Case 2 of the vendor's guide: with a healthy database,
 * failing over would hit the same problem on the standby. */
static int start_failed(struct ra_ctx *ctx, const struct instance *inst, const char *why,
                        const char *what)
{
    char err[512] = "";
    enum db_state st = db_state_check(ctx, err, sizeof(err));
    bool healthy_db = st == DB_PRIMARY || st == DB_NOT_CONFIGURED;

    if (healthy_db && strcmp(ra_param(ctx, "on_start_failure"), "block") == 0) {
        /* Pacemaker keeps 128 characters of a reason: the advice comes first,
         * the details go to the log. */
        ra_log_err("CTFreak failed to start (%s%s) while its database is %s. Send %s to "
                   "CTFreak support, restore the config folder and the database from the "
                   "same backup, then run 'pcs resource cleanup'", why, what,
                   db_state_str(st), inst->logfile);
        ra_exit_reason("no failover (replication is not a backup): CTFreak fails to start "
                       "while its database is healthy; restore from backup");
        return OCF_ERR_CONFIGURED;
    }
    ra_exit_reason("CTFreak failed to start (%s%s); database %s; see %s", why, what,
                   db_state_str(st), inst->logfile);
    return OCF_ERR_GENERIC;
}

static int action_start(struct ra_ctx *ctx)
{
    char detail[512] = "";
    struct instance inst;
    struct ra_deadline stop_by;
    enum start_outcome outcome;
    bool by_scan = false;
    pid_t pid;
    int rc;

    rc = instance_load(ctx, &inst);
    if (rc == OCF_SUCCESS) {
        rc = validate(ctx, &inst);
    }
    if (rc != OCF_SUCCESS) {
        goto done;
    }
    pid = instance_pid(&inst, &by_scan);
    if (pid > 0) {
        ra_log_info("already running (pid %d%s)", (int) pid,
                    by_scan ? ", found in /proc" : "");
        if (by_scan) {
            (void) ra_pidfile_write(inst.pidfile, pid);
        }
    } else {
        rc = db_allows_start(ctx, &inst);
        if (rc != OCF_SUCCESS) {
            goto done;
        }
        ra_log_repeat_clear(repeat_file(&inst));
        if (log_file_usable(&inst) != 0) {
            rc = OCF_ERR_GENERIC;
            goto done;
        }
        rc = instance_launch(ctx, &inst, &pid);
        if (rc != 0) {
            ra_exit_reason("cannot launch %s: %s", inst.binary, strerror(-rc));
            rc = OCF_ERR_GENERIC;
            goto done;
        }
    }
    outcome = wait_healthy(ctx, pid, detail, sizeof(detail));
    if (outcome == START_HEALTHY) {
        ra_log_info("started: %s", detail);
        rc = OCF_SUCCESS;
        goto done;
    }
    /* Never leave a half-started instance behind; keep time to judge the database. */
    ra_deadline_init(&stop_by, ra_deadline_remaining_ms(&ctx->deadline) / 2);
    (void) instance_terminate(&stop_by, pid);
    (void) ra_file_remove(inst.pidfile);
    rc = start_failed(ctx, &inst,
                      outcome == START_TIMED_OUT ? "not healthy before the start timeout: " : "",
                      detail);

done:
    instance_free(&inst);
    return rc;
}

/* ---- stop -------------------------------------------------------------------------------- */

static int action_stop(struct ra_ctx *ctx)
{
    struct instance inst;
    pid_t pids[16];
    size_t n;
    bool by_scan = false;
    pid_t pid;
    int rc = OCF_SUCCESS;

    if (instance_load(ctx, &inst) != OCF_SUCCESS) {
        /* Nothing could have started with these parameters. */
        instance_free(&inst);
        return OCF_SUCCESS;
    }
    pid = instance_pid(&inst, &by_scan);
    if (pid > 0 && !instance_terminate(&ctx->deadline, pid)) {
        ra_exit_reason("pid %d survived SIGKILL", (int) pid);
        rc = OCF_ERR_GENERIC;
    }
    /* Copies started by hand with the same config folder must go too. */
    n = ra_proc_find(&inst.match, pids, sizeof(pids) / sizeof(pids[0]));
    for (size_t i = 0; i < n && i < sizeof(pids) / sizeof(pids[0]); i++) {
        ra_log_warn("stopping another process of this instance (pid %d)", (int) pids[i]);
        if (!instance_terminate(&ctx->deadline, pids[i])) {
            ra_exit_reason("pid %d survived SIGKILL", (int) pids[i]);
            rc = OCF_ERR_GENERIC;
        }
    }
    if (rc == OCF_SUCCESS) {
        (void) ra_file_remove(inst.pidfile);
        ra_log_repeat_clear(repeat_file(&inst));
        ra_log_info("stopped");
    }
    instance_free(&inst);
    return rc;
}

/* ---- monitor ------------------------------------------------------------------------------ */

static int monitor_database(struct ra_ctx *ctx, const struct instance *inst)
{
    char err[512] = "";
    enum db_state st = db_state_check(ctx, err, sizeof(err));

    if (st == DB_PRIMARY || st == DB_NOT_CONFIGURED) {
        return OCF_SUCCESS;
    }
    ra_exit_reason_repeat(repeat_file(inst), db_state_str(st), "the database is %s%s%s", db_state_str(st),
                          *err != '\0' ? ": " : "", err);
    return OCF_ERR_GENERIC;
}

static int monitor_instance(struct ra_ctx *ctx, const struct instance *inst)
{
    char detail[512] = "";
    enum ra_http_verdict v;
    bool by_scan = false;
    pid_t pid = instance_pid(inst, &by_scan);
    pid_t old = 0;

    if (pid == 0) {
        if (ra_pidfile_read(inst->pidfile, inst->user_known ? inst->uid : (uid_t) -1,
                            &old) == RA_PIDFILE_OK) {
            ra_exit_reason_repeat(repeat_file(inst), "gone",
                                  "CTFreak (pid %d) is gone without being stopped", (int) old);
            return OCF_ERR_GENERIC;
        }
        return OCF_NOT_RUNNING;
    }
    if (by_scan) {
        ra_log_notice("found CTFreak running as pid %d without a valid pid file "
                      "(started outside Pacemaker?): adopting it", (int) pid);
        (void) ra_pidfile_write(inst->pidfile, pid);
    }
    v = health_check(ctx, &ctx->deadline, detail, sizeof(detail));
    if (v != RA_HTTP_OK) {
        ra_exit_reason_repeat(repeat_file(inst), ra_http_verdict_str(v),
                              "health check failed (%s): %s",
                              ra_http_verdict_str(v), detail);
        return OCF_ERR_GENERIC;
    }
    if (ctx->check_level >= 10) {
        int rc = monitor_database(ctx, inst);

        if (rc != OCF_SUCCESS) {
            return rc;
        }
    }
    ra_log_repeat_clear(repeat_file(inst));
    return OCF_SUCCESS;
}

static int action_monitor(struct ra_ctx *ctx)
{
    struct instance inst;
    int rc = instance_load(ctx, &inst);

    if (rc == OCF_SUCCESS) {
        rc = check_configuration(ctx);
    }
    if (rc == OCF_SUCCESS) {
        rc = monitor_instance(ctx, &inst);
        /* A probe on a node without the software: simply not running here. */
        if (rc == OCF_NOT_RUNNING && !ctx->is_probe) {
            int node_rc = check_node(ctx, &inst);

            rc = node_rc == OCF_SUCCESS ? OCF_NOT_RUNNING : node_rc;
        }
    }
    instance_free(&inst);
    return rc;
}

/* ---- validate-all, reload-agent -------------------------------------------------------------- */

static int action_validate(struct ra_ctx *ctx)
{
    struct instance inst;
    int rc = instance_load(ctx, &inst);

    if (rc == OCF_SUCCESS) {
        rc = validate(ctx, &inst);
    }
    instance_free(&inst);
    return rc;
}

static int action_reload_agent(struct ra_ctx *ctx)
{
    int rc = check_configuration(ctx);

    if (rc == OCF_SUCCESS) {
        ra_log_info("reloaded: the next monitor uses the new health-check parameters");
    }
    return rc;
}

static const struct ra_action actions[] = {
    { "start", action_start },
    { "stop", action_stop },
    { "monitor", action_monitor },
    { "validate-all", action_validate },
    { "reload-agent", action_reload_agent },
    { NULL, NULL },
};

static const struct ra_agent agent = {
    .name = "ctfreak",
    .metadata = ctfreak_metadata,
    .params = ctfreak_params,
    .actions = actions,
};

int main(int argc, char **argv)
{
    return ra_main(&agent, argc, argv);
}
