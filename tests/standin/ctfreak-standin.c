/* ctfreak-standin.c: test double for the CTFreak binary (GET /isalive plus a
 * PostgreSQL writer with fault injection).  Licence: GPL-2.0-or-later. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define STANDIN_VERSION "ctfreak-standin 1.0 (CTFreak test double)"

#define EXIT_DB_GONE 2
#define MAX_CLIENTS 512
#define REQ_MAX 4096
#define RESP_MAX 256
#define CLIENT_IDLE_MS 5000
#define MARKER_CHECK_MS 50
#define RETRY_MS 200
#define POLL_MAX_MS 100
#define BUSY_UNHEALTHY_MS 1000

#define SQL_IN_RECOVERY "SELECT pg_is_in_recovery()"
#define SQL_TABLE_EXISTS "SELECT to_regclass('ctfreak_executions') IS NOT NULL"
#define SQL_CREATE_TABLE \
    "CREATE TABLE IF NOT EXISTS ctfreak_executions(" \
    "id bigserial PRIMARY KEY, node text, " \
    "started_at timestamptz DEFAULT now(), log_file text)"
#define SQL_INSERT \
    "INSERT INTO ctfreak_executions(id, node, log_file) " \
    "SELECT n, $1, $2 || '/exec-' || n || '.log' FROM " \
    "nextval(pg_get_serial_sequence('ctfreak_executions', 'id')) AS n " \
    "RETURNING id, started_at"

struct options {
    const char *dir;
    int port;
    const char *listen_addr;
    const char *db_arg;
    int interval_ms;
    int start_delay_ms;
    int grace_ms;
    int fail_start;
    int hang;
};

enum client_state {
    CLIENT_FREE = 0,
    CLIENT_READING,
    CLIENT_WRITING,
    CLIENT_HUNG
};

struct client {
    int fd;
    enum client_state state;
    long long since;
    size_t in_len;
    size_t out_len;
    size_t out_off;
    char in[REQ_MAX];
    char out[RESP_MAX];
};

enum db_state {
    DB_OFF = 0,
    DB_CONNECTING,
    DB_CHECKING,
    DB_IDLE,
    DB_INSERTING,
    DB_RETRY_WAIT
};

struct db {
    char *conninfo;
    PGconn *conn;
    enum db_state state;
    short events;
    int writable;
    long long next_tick;
    long long busy_since;
    long long down_since;
    long long retry_at;
    char day[16];
};

struct app {
    struct options opt;
    char *dir_abs;
    char node[HOST_NAME_MAX + 1];
    int listen_fd;
    int hang;
    int running;
    int exit_code;
    long long next_marker;
    struct db db;
    struct client clients[MAX_CLIENTS];
};

static volatile sig_atomic_t g_stop;

/* ---------- logging and time ---------- */

static void log_at(FILE *out, const char *level, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void log_at(FILE *out, const char *level, const char *fmt, va_list ap)
{
    struct timespec ts;
    struct tm tm;
    char stamp[64];
    char zone[16];

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof(zone), "%z", &tm);
    fprintf(out, "%s.%03ld%s ctfreak-standin[%ld] %s: ", stamp,
            ts.tv_nsec / 1000000L, zone, (long)getpid(), level);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    fflush(out);
}

static void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_at(stdout, "info", fmt, ap);
    va_end(ap);
}

static void log_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_at(stderr, "error", fmt, ap);
    va_end(ap);
}

static void log_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_at(stderr, "fatal", fmt, ap);
    va_end(ap);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

/* Strips the trailing newline and blanks libpq puts on its messages. */
static const char *pq_msg(const char *msg)
{
    static char buf[512];
    const char *s = msg != NULL ? msg : "(no message)";
    size_t len = 0;

    for (; *s != '\0' && len < sizeof(buf) - 1; s++) {
        int blank = *s == '\n' || *s == '\t' || *s == ' ';
        if (!blank) {
            buf[len++] = *s;
        } else if (len > 0 && buf[len - 1] != ' ') {
            buf[len++] = ' ';
        }
    }
    while (len > 0 && buf[len - 1] == ' ') {
        len--;
    }
    buf[len] = '\0';
    return buf;
}

/* ---------- signals ---------- */

static void on_stop_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* SIGTERM/SIGINT stay blocked except inside ppoll(), so no wake-up is lost. */
static void setup_signals(sigset_t *run_mask)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, run_mask);
    sigdelset(run_mask, SIGTERM);
    sigdelset(run_mask, SIGINT);
}

static sigset_t g_run_mask;

static int wait_fds(struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
    struct timespec ts;

    if (timeout_ms < 0) {
        timeout_ms = 0;
    }
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
    return ppoll(fds, nfds, &ts, &g_run_mask);
}

/* Sleeps, returning early (non-zero) when asked to stop. */
static int sleep_ms(int ms)
{
    long long end = now_ms() + ms;

    while (!g_stop) {
        long long left = end - now_ms();
        if (left <= 0) {
            return 0;
        }
        wait_fds(NULL, 0, left > POLL_MAX_MS ? POLL_MAX_MS : (int)left);
    }
    return 1;
}

/* ---------- command line ---------- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ctfreak-standin -c DIR run [--port N] [--listen ADDR]\n"
            "           [--db CONNINFO] [--interval-ms N] [--start-delay-ms N]\n"
            "           [--db-grace-ms N] [--fail-start] [--hang]\n"
            "       ctfreak-standin --version\n");
}

static int parse_int(const char *s, int min, int max, int *out)
{
    char *end = NULL;
    long v;

    if (s == NULL || *s == '\0') {
        return -1;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int int_option(const char *name, const char *val, int min, int max,
                      int *out)
{
    if (parse_int(val, min, max, out) != 0) {
        fprintf(stderr, "fatal: %s needs an integer in [%d, %d], got '%s'\n",
                name, min, max, val != NULL ? val : "");
        return -1;
    }
    return 0;
}

static int take_value(int argc, char **argv, int *i, const char **val)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "fatal: %s needs a value\n", argv[*i]);
        return -1;
    }
    *i += 1;
    *val = argv[*i];
    return 0;
}

static int parse_valued(int argc, char **argv, int *i, struct options *o)
{
    const char *name = argv[*i];
    const char *v = NULL;

    if (take_value(argc, argv, i, &v) != 0) {
        return -1;
    }
    if (strcmp(name, "-c") == 0 || strcmp(name, "--config") == 0) {
        o->dir = v;
        return 0;
    }
    if (strcmp(name, "--listen") == 0) {
        o->listen_addr = v;
        return 0;
    }
    if (strcmp(name, "--db") == 0) {
        o->db_arg = v;
        return 0;
    }
    if (strcmp(name, "--port") == 0) {
        return int_option(name, v, 1, 65535, &o->port);
    }
    if (strcmp(name, "--interval-ms") == 0) {
        return int_option(name, v, 1, 3600000, &o->interval_ms);
    }
    if (strcmp(name, "--start-delay-ms") == 0) {
        return int_option(name, v, 0, 3600000, &o->start_delay_ms);
    }
    return int_option(name, v, 1, 3600000, &o->grace_ms);
}

static int is_valued(const char *a)
{
    static const char *const names[] = {
        "-c", "--config", "--port", "--listen", "--db", "--interval-ms",
        "--start-delay-ms", "--db-grace-ms", NULL
    };

    for (int i = 0; names[i] != NULL; i++) {
        if (strcmp(a, names[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Returns -1 on error, 1 when the program should exit 0 (--version, --help). */
static int parse_args(int argc, char **argv, struct options *o)
{
    int have_run = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0 || strcmp(a, "version") == 0) {
            printf("%s\n", STANDIN_VERSION);
            return 1;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (is_valued(a)) {
            if (parse_valued(argc, argv, &i, o) != 0) {
                return -1;
            }
        } else if (strcmp(a, "run") == 0) {
            have_run = 1;
        } else if (strcmp(a, "--fail-start") == 0) {
            o->fail_start = 1;
        } else if (strcmp(a, "--hang") == 0) {
            o->hang = 1;
        } else {
            fprintf(stderr, "fatal: unknown argument '%s'\n", a);
            usage(stderr);
            return -1;
        }
    }
    if (o->dir == NULL || !have_run) {
        fprintf(stderr, "fatal: expected '-c DIR run'\n");
        usage(stderr);
        return -1;
    }
    return 0;
}

/* ---------- configuration folder ---------- */

static char *path_in(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);

    if (p != NULL) {
        snprintf(p, len, "%s/%s", dir, name);
    }
    return p;
}

static int marker_present(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

static void chomp(char *s)
{
    size_t len = strlen(s);

    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) {
        s[--len] = '\0';
    }
}

/* Returns the conninfo from DIR/standin.conf, or NULL when absent. */
static char *read_conf_conninfo(const char *dir)
{
    char *path = path_in(dir, "standin.conf");
    char line[4096];
    char *found = NULL;
    FILE *f;

    if (path == NULL) {
        return NULL;
    }
    f = fopen(path, "r");
    free(path);
    if (f == NULL) {
        return NULL;
    }
    while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
        chomp(line);
        if (strncmp(line, "conninfo=", 9) == 0 && line[9] != '\0') {
            found = strdup(line + 9);
        }
    }
    fclose(f);
    return found;
}

/* ---------- execution log files ---------- */

static void today(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(buf, len, "%Y%m%d", &tm);
}

static int mkdir_one(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        log_error("cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    int rc = 0;

    if (f == NULL) {
        log_error("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    if (fputs(text, f) == EOF) {
        rc = -1;
    }
    if (fclose(f) != 0) {
        rc = -1;
    }
    if (rc != 0) {
        log_error("cannot write %s: %s", path, strerror(errno));
    }
    return rc;
}

static void write_exec_log(const struct app *a, const char *id,
                           const char *started_at)
{
    char dir[PATH_MAX];
    char tmp[PATH_MAX + 32];
    char final[PATH_MAX + 32];
    char text[1024];

    snprintf(dir, sizeof(dir), "%s/logs", a->dir_abs);
    if (mkdir_one(dir) != 0) {
        return;
    }
    snprintf(dir, sizeof(dir), "%s/logs/%s", a->dir_abs, a->db.day);
    if (mkdir_one(dir) != 0) {
        return;
    }
    snprintf(tmp, sizeof(tmp), "%s/.exec-%s.log.tmp", dir, id);
    snprintf(final, sizeof(final), "%s/exec-%s.log", dir, id);
    snprintf(text, sizeof(text),
             "execution %s\nnode: %s\nstarted_at: %s\n"
             "task: ctfreak-standin heartbeat\nstatus: success\n",
             id, a->node, started_at);
    if (write_text(tmp, text) != 0) {
        unlink(tmp);
        return;
    }
    if (rename(tmp, final) != 0) {
        log_error("cannot rename %s: %s", tmp, strerror(errno));
        unlink(tmp);
    }
}

/* ---------- database: synchronous start-up ---------- */

static PGconn *db_connect_start(const char *conninfo)
{
    const char *const keys[] = { "dbname", "application_name", NULL };
    const char *const vals[] = { conninfo, "ctfreak", NULL };

    return PQconnectStartParams(keys, vals, 1);
}

static int wait_socket(PGconn *c, short events, long long deadline)
{
    struct pollfd pfd;
    int rc;

    pfd.fd = PQsocket(c);
    pfd.events = events;
    pfd.revents = 0;
    if (pfd.fd < 0) {
        return -1;
    }
    do {
        long long left = deadline - now_ms();
        if (g_stop || left <= 0) {
            return -1;
        }
        rc = wait_fds(&pfd, 1, left > POLL_MAX_MS ? POLL_MAX_MS : (int)left);
    } while (rc == 0 || (rc < 0 && errno == EINTR));
    return rc < 0 ? -1 : 0;
}

static PGconn *db_connect_sync(const char *conninfo, long long deadline)
{
    PGconn *c = db_connect_start(conninfo);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;

    if (c == NULL) {
        return NULL;
    }
    while (PQstatus(c) != CONNECTION_BAD && st != PGRES_POLLING_OK) {
        short ev = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        if (st == PGRES_POLLING_FAILED || wait_socket(c, ev, deadline) != 0) {
            break;
        }
        st = PQconnectPoll(c);
    }
    return c;
}

/* Runs one query; returns the last result (caller clears) or NULL. */
static PGresult *db_exec_sync(PGconn *c, const char *sql, long long deadline)
{
    PGresult *last = NULL;
    PGresult *r;

    if (!PQsendQuery(c, sql)) {
        return NULL;
    }
    for (;;) {
        while (PQisBusy(c)) {
            if (wait_socket(c, POLLIN, deadline) != 0 || !PQconsumeInput(c)) {
                PQclear(last);
                return NULL;
            }
        }
        r = PQgetResult(c);
        if (r == NULL) {
            return last;
        }
        PQclear(last);
        last = r;
    }
}

static int query_ok(PGconn *c, const char *sql, long long deadline,
                    char *first_value, size_t len)
{
    PGresult *r = db_exec_sync(c, sql, deadline);
    ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

    if (!ok) {
        log_fatal("query failed (%s): %s", sql,
                  pq_msg(r != NULL ? PQresultErrorMessage(r)
                                   : PQerrorMessage(c)));
    } else if (first_value != NULL) {
        snprintf(first_value, len, "%s",
                 PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    }
    PQclear(r);
    return ok ? 0 : -1;
}

static PGconn *db_connect_retrying(const struct app *a, long long deadline)
{
    for (;;) {
        PGconn *c = db_connect_sync(a->db.conninfo, deadline);
        if (c != NULL && PQstatus(c) == CONNECTION_OK) {
            return c;
        }
        if (g_stop) {
            PQfinish(c);
            return NULL;
        }
        if (now_ms() + RETRY_MS >= deadline) {
            log_fatal("cannot connect to the database: %s",
                      pq_msg(c != NULL ? PQerrorMessage(c) : "out of memory"));
            PQfinish(c);
            return NULL;
        }
        PQfinish(c);
        sleep_ms(RETRY_MS);
    }
}

/* Connects, refuses a standby and creates the table; 0 or an exit status. */
static int db_startup(struct app *a)
{
    long long deadline = now_ms() + a->opt.grace_ms;
    char val[16];
    PGconn *c = db_connect_retrying(a, deadline);

    if (c == NULL) {
        return g_stop ? 0 : 1;
    }
    deadline = now_ms() + a->opt.grace_ms;
    if (query_ok(c, SQL_IN_RECOVERY, deadline, val, sizeof(val)) != 0) {
        PQfinish(c);
        return g_stop ? 0 : 1;
    }
    if (strcmp(val, "t") == 0) {
        log_fatal("the database is a standby (pg_is_in_recovery() is true): "
                  "read-only, refusing to start");
        PQfinish(c);
        return 1;
    }
    if (query_ok(c, SQL_TABLE_EXISTS, deadline, val, sizeof(val)) != 0
        || (strcmp(val, "t") != 0
            && query_ok(c, SQL_CREATE_TABLE, deadline, NULL, 0) != 0)) {
        PQfinish(c);
        return g_stop ? 0 : 1;
    }
    log_info("connected to the database (%s:%s/%s as %s)", PQhost(c),
             PQport(c), PQdb(c), PQuser(c));
    a->db.conn = c;
    a->db.state = DB_IDLE;
    a->db.writable = 1;
    a->db.next_tick = now_ms();
    return 0;
}

/* ---------- database: asynchronous run loop ---------- */

static void app_exit(struct app *a, int code)
{
    a->running = 0;
    a->exit_code = code;
}

static void db_drop(struct db *d)
{
    PQfinish(d->conn);
    d->conn = NULL;
}

static void db_mark_down(struct app *a, long long now)
{
    a->db.writable = 0;
    if (a->db.down_since == 0) {
        a->db.down_since = now;
    }
}

static void db_begin_connect(struct app *a, long long now)
{
    struct db *d = &a->db;

    db_drop(d);
    d->conn = db_connect_start(d->conninfo);
    if (d->conn == NULL || PQstatus(d->conn) == CONNECTION_BAD) {
        d->state = DB_RETRY_WAIT;
        d->retry_at = now + RETRY_MS;
        return;
    }
    d->state = DB_CONNECTING;
    d->events = POLLOUT;
}

static void db_lost(struct app *a, const char *why, long long now)
{
    log_error("database connection lost: %s", pq_msg(why));
    db_mark_down(a, now);
    db_begin_connect(a, now);
}

static void db_connect_step(struct app *a, long long now)
{
    struct db *d = &a->db;
    PostgresPollingStatusType st = PQconnectPoll(d->conn);

    if (st == PGRES_POLLING_READING) {
        d->events = POLLIN;
    } else if (st == PGRES_POLLING_WRITING) {
        d->events = POLLOUT;
    } else if (st == PGRES_POLLING_OK && PQsendQuery(d->conn, SQL_IN_RECOVERY)) {
        d->state = DB_CHECKING;
        d->busy_since = now;
    } else {
        db_drop(d);
        d->state = DB_RETRY_WAIT;
        d->retry_at = now + RETRY_MS;
    }
}

static void db_start_insert(struct app *a, long long now)
{
    struct db *d = &a->db;
    char prefix[PATH_MAX + 32];
    const char *params[2];

    today(d->day, sizeof(d->day));
    snprintf(prefix, sizeof(prefix), "%s/logs/%s", a->dir_abs, d->day);
    params[0] = a->node;
    params[1] = prefix;
    if (!PQsendQueryParams(d->conn, SQL_INSERT, 2, NULL, params, NULL, NULL,
                           0)) {
        db_lost(a, PQerrorMessage(d->conn), now);
        return;
    }
    d->state = DB_INSERTING;
    d->busy_since = now;
}

static void on_check_result(struct app *a, PGresult *r, long long now)
{
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
        log_error("recovery check failed: %s", pq_msg(PQresultErrorMessage(r)));
        db_mark_down(a, now);
        return;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
        log_fatal("the database became a standby (pg_is_in_recovery() is "
                  "true): read-only, exiting");
        app_exit(a, EXIT_DB_GONE);
        return;
    }
    log_info("database connection re-established");
    a->db.down_since = 0;
    a->db.next_tick = now;
}

static void on_insert_result(struct app *a, PGresult *r)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        a->db.writable = 1;
        a->db.down_since = 0;
        write_exec_log(a, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
        log_info("execution %s recorded", PQgetvalue(r, 0, 0));
        return;
    }
    a->db.writable = 0;
    if (state != NULL && strcmp(state, "25006") == 0) {
        log_fatal("the database is read-only (%s), exiting",
                  pq_msg(PQresultErrorMessage(r)));
        app_exit(a, EXIT_DB_GONE);
        return;
    }
    log_error("cannot record an execution: %s", pq_msg(PQresultErrorMessage(r)));
}

static void db_on_result(struct app *a, PGresult *r, long long now)
{
    if (a->db.state == DB_CHECKING) {
        on_check_result(a, r, now);
    } else if (a->db.state == DB_INSERTING) {
        on_insert_result(a, r);
    }
}

static void db_read(struct app *a, long long now)
{
    struct db *d = &a->db;
    PGresult *r;

    if (!PQconsumeInput(d->conn) || PQstatus(d->conn) == CONNECTION_BAD) {
        db_lost(a, PQerrorMessage(d->conn), now);
        return;
    }
    if (d->state == DB_IDLE) {
        return;
    }
    while (!PQisBusy(d->conn)) {
        r = PQgetResult(d->conn);
        if (r == NULL) {
            d->state = DB_IDLE;
            break;
        }
        db_on_result(a, r, now);
        PQclear(r);
        if (!a->running) {
            return;
        }
    }
    if (PQstatus(d->conn) == CONNECTION_BAD) {
        db_lost(a, PQerrorMessage(d->conn), now);
    }
}

static void db_on_event(struct app *a, short revents, long long now)
{
    if (revents == 0) {
        return;
    }
    if (a->db.state == DB_CONNECTING) {
        db_connect_step(a, now);
    } else if (a->db.state != DB_RETRY_WAIT && a->db.state != DB_OFF) {
        db_read(a, now);
    }
}

static void db_timers(struct app *a, long long now)
{
    struct db *d = &a->db;
    int busy = d->state == DB_INSERTING || d->state == DB_CHECKING;

    if (busy && now - d->busy_since >= a->opt.grace_ms) {
        log_fatal("the database did not answer for %d ms, exiting",
                  a->opt.grace_ms);
        app_exit(a, EXIT_DB_GONE);
        return;
    }
    if (d->down_since != 0 && now - d->down_since >= a->opt.grace_ms) {
        log_fatal("the database is gone (unreachable for %lld ms), exiting",
                  now - d->down_since);
        app_exit(a, EXIT_DB_GONE);
        return;
    }
    if (d->state == DB_RETRY_WAIT && now >= d->retry_at) {
        db_begin_connect(a, now);
    } else if (d->state == DB_IDLE && now >= d->next_tick) {
        d->next_tick += a->opt.interval_ms;
        if (d->next_tick <= now) {
            d->next_tick = now + a->opt.interval_ms;
        }
        db_start_insert(a, now);
    }
}

static int db_healthy(const struct app *a, long long now)
{
    const struct db *d = &a->db;

    if (d->state == DB_OFF) {
        return 1;
    }
    if (!d->writable || d->down_since != 0) {
        return 0;
    }
    return d->state != DB_INSERTING || now - d->busy_since < BUSY_UNHEALTHY_MS;
}

static short db_poll_events(const struct db *d)
{
    if (d->conn == NULL || d->state == DB_OFF || d->state == DB_RETRY_WAIT) {
        return 0;
    }
    if (d->state == DB_CONNECTING) {
        return d->events;
    }
    return POLLIN;
}

/* ---------- HTTP ---------- */

static int open_listener(const char *addr, int port)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    char service[16];
    int one = 1;
    int fd;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(service, sizeof(service), "%d", port);
    rc = getaddrinfo(addr, service, &hints, &res);
    if (rc != 0) {
        log_fatal("bad listen address '%s': %s", addr, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0
        || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || bind(fd, res->ai_addr, res->ai_addrlen) != 0
        || listen(fd, 128) != 0) {
        log_fatal("cannot listen on %s port %d: %s", addr, port,
                  strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void client_close(struct client *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    c->fd = -1;
    c->state = CLIENT_FREE;
}

static struct client *client_slot(struct app *a)
{
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (a->clients[i].state == CLIENT_FREE) {
            return &a->clients[i];
        }
    }
    return NULL;
}

static void accept_clients(struct app *a, long long now)
{
    struct client *c;
    int fd;

    while ((c = client_slot(a)) != NULL) {
        fd = accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR
                && errno != ECONNABORTED) {
                log_error("accept: %s", strerror(errno));
            }
            return;
        }
        c->fd = fd;
        c->state = CLIENT_READING;
        c->since = now;
        c->in_len = 0;
        c->out_len = 0;
        c->out_off = 0;
    }
}

static void set_response(struct client *c, int code, const char *reason,
                         const char *body, int head_only)
{
    int n = snprintf(c->out, sizeof(c->out),
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     code, reason, strlen(body), head_only ? "" : body);

    c->out_len = n > 0 && (size_t)n < sizeof(c->out) ? (size_t)n : 0;
    c->out_off = 0;
    c->state = CLIENT_WRITING;
}

static int path_is(const char *target, const char *path)
{
    size_t len = strlen(path);

    return strncmp(target, path, len) == 0
           && (target[len] == ' ' || target[len] == '?');
}

static void answer(struct app *a, struct client *c, long long now)
{
    int head = strncmp(c->in, "HEAD ", 5) == 0;
    int get = strncmp(c->in, "GET ", 4) == 0;
    const char *target = head ? c->in + 5 : c->in + 4;

    if (!get && !head) {
        set_response(c, 405, "Method Not Allowed", "method not allowed\n", 0);
    } else if (!path_is(target, "/isalive")) {
        set_response(c, 404, "Not Found", "not found\n", head);
    } else if (a->hang) {
        c->state = CLIENT_HUNG;
    } else if (db_healthy(a, now)) {
        set_response(c, 200, "OK", "true", head);
    } else {
        set_response(c, 503, "Service Unavailable", "false", head);
    }
}

static void client_write(struct client *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        c->out_off += (size_t)n;
    }
    client_close(c);
}

static void client_read(struct app *a, struct client *c, long long now)
{
    char sink[1024];
    char *buf = c->state == CLIENT_HUNG ? sink : c->in + c->in_len;
    size_t room = c->state == CLIENT_HUNG ? sizeof(sink)
                                          : sizeof(c->in) - 1 - c->in_len;
    ssize_t n = recv(c->fd, buf, room, 0);

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        client_close(c);
        return;
    }
    if (c->state == CLIENT_HUNG) {
        return;
    }
    c->in_len += (size_t)n;
    c->in[c->in_len] = '\0';
    if (strstr(c->in, "\r\n\r\n") != NULL || strstr(c->in, "\n\n") != NULL) {
        answer(a, c, now);
    } else if (c->in_len >= sizeof(c->in) - 1) {
        set_response(c, 431, "Request Header Fields Too Large", "too large\n",
                     0);
    }
    if (c->state == CLIENT_WRITING) {
        client_write(c);
    }
}

static void client_on_event(struct app *a, struct client *c, short revents,
                            long long now)
{
    if (revents & (POLLERR | POLLNVAL)) {
        client_close(c);
    } else if (c->state == CLIENT_WRITING && (revents & (POLLOUT | POLLHUP))) {
        client_write(c);
    } else if (revents & (POLLIN | POLLHUP)) {
        client_read(a, c, now);
    }
}

static void expire_clients(struct app *a, long long now)
{
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct client *c = &a->clients[i];
        if ((c->state == CLIENT_READING || c->state == CLIENT_WRITING)
            && now - c->since >= CLIENT_IDLE_MS) {
            client_close(c);
        }
    }
}

/* ---------- main loop ---------- */

static void check_markers(struct app *a, long long now)
{
    int hang;

    if (now < a->next_marker) {
        return;
    }
    a->next_marker = now + MARKER_CHECK_MS;
    if (marker_present(a->dir_abs, "standin.crash")) {
        log_fatal("standin.crash present: crashing with abort()");
        abort();
    }
    hang = a->opt.hang || marker_present(a->dir_abs, "standin.hang");
    if (hang != a->hang) {
        log_info("hang mode %s", hang ? "on: /isalive will never answer"
                                      : "off");
        a->hang = hang;
    }
}

static long long min_ll(long long x, long long y)
{
    return x < y ? x : y;
}

static int loop_timeout(const struct app *a, long long now)
{
    const struct db *d = &a->db;
    long long t = min_ll(now + POLL_MAX_MS, a->next_marker);

    if (d->state == DB_IDLE) {
        t = min_ll(t, d->next_tick);
    } else if (d->state == DB_RETRY_WAIT) {
        t = min_ll(t, d->retry_at);
    }
    if (d->down_since != 0) {
        t = min_ll(t, d->down_since + a->opt.grace_ms);
    }
    return t <= now ? 0 : (int)(t - now);
}

/* Fills pollfds: [0] listener, [1] database, then the clients. */
static nfds_t build_pollfds(struct app *a, struct pollfd *fds, int *map)
{
    nfds_t n = 2;
    int have_slot = client_slot(a) != NULL;

    fds[0].fd = have_slot ? a->listen_fd : -1;
    fds[0].events = POLLIN;
    fds[1].events = db_poll_events(&a->db);
    fds[1].fd = fds[1].events != 0 ? PQsocket(a->db.conn) : -1;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct client *c = &a->clients[i];
        if (c->state == CLIENT_FREE) {
            continue;
        }
        fds[n].fd = c->fd;
        fds[n].events = c->state == CLIENT_WRITING ? POLLOUT : POLLIN;
        map[n] = i;
        n++;
    }
    for (nfds_t i = 0; i < n; i++) {
        fds[i].revents = 0;
    }
    return n;
}

static void loop_once(struct app *a)
{
    static struct pollfd fds[MAX_CLIENTS + 2];
    static int map[MAX_CLIENTS + 2];
    long long now = now_ms();
    nfds_t n;
    int rc;

    check_markers(a, now);
    db_timers(a, now);
    if (!a->running) {
        return;
    }
    n = build_pollfds(a, fds, map);
    rc = wait_fds(fds, n, loop_timeout(a, now));
    if (rc <= 0) {
        return;
    }
    now = now_ms();
    db_on_event(a, fds[1].revents, now);
    if (fds[0].revents & POLLIN) {
        accept_clients(a, now);
    }
    for (nfds_t i = 2; i < n; i++) {
        if (fds[i].revents != 0) {
            client_on_event(a, &a->clients[map[i]], fds[i].revents, now);
        }
    }
    expire_clients(a, now);
}

static void app_cleanup(struct app *a)
{
    for (int i = 0; i < MAX_CLIENTS; i++) {
        client_close(&a->clients[i]);
    }
    if (a->listen_fd >= 0) {
        close(a->listen_fd);
    }
    PQfinish(a->db.conn);
    free(a->db.conninfo);
    free(a->dir_abs);
}

static int app_init(struct app *a)
{
    struct stat st;

    if (stat(a->opt.dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        log_fatal("config folder %s is not a directory", a->opt.dir);
        return -1;
    }
    a->dir_abs = realpath(a->opt.dir, NULL);
    if (a->dir_abs == NULL) {
        log_fatal("cannot resolve %s: %s", a->opt.dir, strerror(errno));
        return -1;
    }
    if (chdir(a->dir_abs) != 0) {
        log_fatal("cannot enter %s: %s", a->dir_abs, strerror(errno));
        return -1;
    }
    if (gethostname(a->node, sizeof(a->node) - 1) != 0) {
        snprintf(a->node, sizeof(a->node), "unknown");
    }
    if (a->opt.db_arg != NULL && a->opt.db_arg[0] != '\0') {
        a->db.conninfo = strdup(a->opt.db_arg);
    } else if (a->opt.db_arg == NULL) {
        a->db.conninfo = read_conf_conninfo(a->dir_abs);
    }
    return 0;
}

static int fail_start_requested(const struct app *a)
{
    if (a->opt.fail_start) {
        log_fatal("start failure requested (--fail-start)");
        return 1;
    }
    if (marker_present(a->dir_abs, "standin.fail-start")) {
        log_fatal("start failure requested (%s/standin.fail-start present)",
                  a->dir_abs);
        return 1;
    }
    return 0;
}

/* Everything before the main loop; returns -1 to go on, else an exit code. */
static int app_start(struct app *a)
{
    int rc;

    if (app_init(a) != 0 || fail_start_requested(a)) {
        return 1;
    }
    log_info("starting: config %s, node %s, pid %ld", a->dir_abs, a->node,
             (long)getpid());
    if (a->opt.start_delay_ms > 0) {
        log_info("slow start: sleeping %d ms", a->opt.start_delay_ms);
        if (sleep_ms(a->opt.start_delay_ms) != 0) {
            return 0;
        }
    }
    if (a->db.conninfo == NULL) {
        log_info("no database configured: serving /isalive only");
    } else if ((rc = db_startup(a)) != 0 || g_stop) {
        return rc;
    }
    a->listen_fd = open_listener(a->opt.listen_addr, a->opt.port);
    if (a->listen_fd < 0) {
        return 1;
    }
    log_info("listening on %s port %d", a->opt.listen_addr, a->opt.port);
    return -1;
}

static void app_defaults(struct app *a)
{
    memset(a, 0, sizeof(*a));
    a->opt.port = 6700;
    a->opt.listen_addr = "127.0.0.1";
    a->opt.interval_ms = 300;
    a->opt.grace_ms = 2000;
    a->listen_fd = -1;
    a->running = 1;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        a->clients[i].fd = -1;
    }
}

int main(int argc, char **argv)
{
    static struct app a;
    int rc;

    app_defaults(&a);
    rc = parse_args(argc, argv, &a.opt);
    if (rc != 0) {
        return rc > 0 ? 0 : 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    setup_signals(&g_run_mask);
    rc = app_start(&a);
    while (rc < 0 && a.running && !g_stop) {
        loop_once(&a);
    }
    if (rc < 0) {
        rc = g_stop && a.running ? 0 : a.exit_code;
        if (g_stop && a.running) {
            log_info("stop signal received, exiting");
        }
    }
    app_cleanup(&a);
    return rc;
}
