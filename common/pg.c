/* pg.c: libpq with the action's deadline.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "pg.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

/* A cancel request gets this long past the query's deadline (the action's
 * deadline keeps at least 500 ms for its own report). */
#define CANCEL_GRACE_MS 300
/* At most this many keywords (libpq has about 50) plus our overrides. */
#define MAX_KEYWORDS 96

void ra_pg_errcpy(char *dst, size_t len, const char *msg)
{
    size_t o = 0;

    if (msg == NULL) {
        msg = "unknown error";
    }
    /* libpq messages are multi-line ("FATAL: ...\nDETAIL: ..."): keep line 1. */
    for (; *msg != '\0' && *msg != '\n' && o + 1 < len; msg++) {
        dst[o++] = *msg;
    }
    dst[o] = '\0';
}

/* Waits for the socket to be readable or writable; false on timeout. */
static bool wait_socket(PGconn *conn, bool for_write, long long end_ms)
{
    struct pollfd pfd = { PQsocket(conn), for_write ? POLLOUT : POLLIN, 0 };
    long long left = end_ms - ra_now_ms();
    int n;

    if (left <= 0 || pfd.fd < 0) {
        return false;
    }
    do {
        n = poll(&pfd, 1, (int) left);
    } while (n < 0 && errno == EINTR);
    return n > 0;
}

/* Does host need a name lookup (not a socket folder, not an address)? */
static bool host_needs_lookup(const char *host)
{
    unsigned char a[sizeof(struct in6_addr)];

    return host[0] != '\0' && host[0] != '/' && host[0] != '@'
           && inet_pton(AF_INET, host, a) != 1
           && inet_pton(AF_INET6, host, a) != 1;
}

/* Resolves one host name before end_ms (getaddrinfo_a: libpq's own lookup
 * cannot be bounded).  Returns 0 with the first address in buf, or -1. */
static int host_resolve(const char *host, long long end_ms,
                        char *buf, size_t len, char *err, size_t errlen)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
    struct gaicb req = { .ar_name = host, .ar_request = &hints };
    struct gaicb *list[1] = { &req };
    int rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);

    if (rc == 0) {
        rc = gai_error(&req);
    }
    while (rc == EAI_INPROGRESS) {
        long long left = end_ms - ra_now_ms();
        struct timespec ts = { left / 1000, (left % 1000) * 1000000 };

        if (left <= 0) {
            (void) gai_cancel(&req);
            snprintf(err, errlen, "cannot resolve %s before the deadline", host);
            return -1;      /* the lookup thread ends with the process */
        }
        (void) gai_suspend((const struct gaicb *const *) list, 1, &ts);
        rc = gai_error(&req);
    }
    if (rc != 0 || req.ar_result == NULL) {
        snprintf(err, errlen, "cannot resolve %s: %s", host,
                 rc != 0 ? gai_strerror(rc) : "no address");
        return -1;
    }
    rc = getnameinfo(req.ar_result->ai_addr, req.ar_result->ai_addrlen, buf,
                     (socklen_t) len, NULL, 0, NI_NUMERICHOST);
    freeaddrinfo(req.ar_result);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    return 0;
}

/* hostaddr for a host list ("a,b,/sock"): one address per name, empty for
 * socket folders and addresses.  Returns a malloc'd list, NULL when nothing
 * needs a lookup (*failed on error, err set). */
static char *hostaddr_build(const char *hosts, long long end,
                            bool *failed, char *err, size_t errlen)
{
    char *list = strdup(hosts);
    char *out = NULL;
    size_t cap = 0;
    FILE *f = list != NULL ? open_memstream(&out, &cap) : NULL;
    bool any = false;
    char *save = NULL;
    int i = 0;

    *failed = f == NULL;
    for (char *h = f != NULL ? strtok_r(list, ",", &save) : NULL;
         h != NULL && !*failed; h = strtok_r(NULL, ",", &save)) {
        char addr[NI_MAXHOST] = "";

        if (host_needs_lookup(h)) {
            *failed = host_resolve(h, end, addr, sizeof(addr), err,
                                   errlen) != 0;
            any = true;
        }
        fprintf(f, "%s%s", i++ > 0 ? "," : "", addr);
    }
    if (f != NULL && fclose(f) != 0) {
        *failed = true;
    }
    if (*failed && err[0] == '\0') {
        snprintf(err, errlen, "out of memory");
    }
    free(list);
    if (*failed || !any) {
        free(out);
        return NULL;
    }
    return out;
}

/* keys/vals: the non-empty keywords of the parsed conninfo, except those
 * overridden, then the overrides.  Returns how many. */
static size_t params_merge(const PQconninfoOption *opts,
                           const char *const *over_keys,
                           const char *const *over_vals, const char **keys,
                           const char **vals)
{
    size_t n = 0;

    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        bool over = false;

        for (size_t i = 0; over_keys != NULL && over_keys[i] != NULL; i++) {
            over = over || strcmp(over_keys[i], o->keyword) == 0;
        }
        if (!over && o->val != NULL && o->val[0] != '\0' && n < MAX_KEYWORDS) {
            keys[n] = o->keyword;
            vals[n++] = o->val;
        }
    }
    for (size_t i = 0; over_keys != NULL && over_keys[i] != NULL
                       && n < MAX_KEYWORDS; i++) {
        keys[n] = over_keys[i];
        vals[n++] = over_vals[i];
    }
    return n;
}

static const char *params_get(const char **keys, const char **vals, size_t n,
                              const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(keys[i], key) == 0) {
            return vals[i];
        }
    }
    return NULL;
}

/* Drives a started connection to the end.  Frees it on failure. */
static PGconn *connect_finish(PGconn *conn, long long end, char *err,
                              size_t errlen)
{
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;

    if (PQstatus(conn) == CONNECTION_BAD) {
        ra_pg_errcpy(err, errlen, PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED) {
            ra_pg_errcpy(err, errlen, PQerrorMessage(conn));
            PQfinish(conn);
            return NULL;
        }
        if (!wait_socket(conn, st == PGRES_POLLING_WRITING, end)) {
            snprintf(err, errlen, "connection timed out");
            PQfinish(conn);
            return NULL;
        }
        st = PQconnectPoll(conn);
    }
    return conn;
}

PGconn *ra_pg_connect_params(const char *conninfo, const char *const *over_keys,
                             const char *const *over_vals,
                             const struct ra_deadline *d, long limit_ms,
                             char *err, size_t errlen)
{
    const char *keys[MAX_KEYWORDS + 3];
    const char *vals[MAX_KEYWORDS + 3];
    long long end = ra_now_ms() + ra_deadline_cap_ms(d, limit_ms);
    PQconninfoOption *opts;
    PGconn *conn = NULL;
    const char *host;
    char *hostaddr = NULL;
    char *perr = NULL;
    bool failed = false;
    size_t n;

    err[0] = '\0';
    /* A URI or keyword=value string alike; nothing of it is shown on error
     * (it may hold a password). */
    opts = PQconninfoParse(conninfo, &perr);
    if (opts == NULL) {
        PQfreemem(perr);
        snprintf(err, errlen, "the connection string cannot be parsed");
        return NULL;
    }
    n = params_merge(opts, over_keys, over_vals, keys, vals);
    host = params_get(keys, vals, n, "host");
    if (host != NULL && params_get(keys, vals, n, "hostaddr") == NULL) {
        hostaddr = hostaddr_build(host, end, &failed, err, errlen);
        if (hostaddr != NULL) {
            keys[n] = "hostaddr";
            vals[n++] = hostaddr;
        }
    }
    if (params_get(keys, vals, n, "application_name") == NULL) {
        keys[n] = "fallback_application_name";
        vals[n++] = "ctfreak-ha-agent";
    }
    keys[n] = NULL;
    vals[n] = NULL;
    if (!failed) {
        conn = PQconnectStartParams(keys, vals, 0);
        if (conn == NULL) {
            snprintf(err, errlen, "out of memory");
        } else {
            conn = connect_finish(conn, end, err, errlen);
        }
    }
    free(hostaddr);
    PQconninfoFree(opts);
    return conn;
}

PGconn *ra_pg_connect(const char *conninfo, const struct ra_deadline *d,
                      long limit_ms, char *err, size_t errlen)
{
    return ra_pg_connect_params(conninfo, NULL, NULL, d, limit_ms, err, errlen);
}

/* PQcancel connects to the server without a timeout: it runs in a child
 * killed CANCEL_GRACE_MS later (the query is abandoned either way). */
static void cancel_query(PGconn *conn)
{
    PGcancel *c = PQgetCancel(conn);
    struct ra_deadline grace;
    pid_t pid;
    int status;

    if (c == NULL) {
        return;
    }
    ra_deadline_init(&grace, CANCEL_GRACE_MS);
    pid = fork();
    if (pid == 0) {
        char buf[256];

        _exit(PQcancel(c, buf, sizeof(buf)) ? 0 : 1);
    }
    PQfreeCancel(c);
    if (pid < 0) {
        return;
    }
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (!ra_deadline_sleep_ms(&grace, 5)) {
            (void) kill(pid, SIGKILL);
            (void) waitpid(pid, &status, 0);
            return;
        }
    }
}
PGresult *ra_pg_exec(PGconn *conn, const char *sql, int nparams,
                     const char *const *params, const struct ra_deadline *d,
                     char *err, size_t errlen)
{
    long long end = ra_now_ms() + ra_deadline_remaining_ms(d);
    PGresult *res = NULL;
    PGresult *r;

    if (!PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0)) {
        ra_pg_errcpy(err, errlen, PQerrorMessage(conn));
        return NULL;
    }
    for (;;) {
        while (PQisBusy(conn)) {
            if (!wait_socket(conn, false, end)) {
                cancel_query(conn);
                snprintf(err, errlen, "query timed out");
                PQclear(res);
                return NULL;
            }
            if (!PQconsumeInput(conn)) {
                ra_pg_errcpy(err, errlen, PQerrorMessage(conn));
                PQclear(res);
                return NULL;
            }
        }
        r = PQgetResult(conn);
        if (r == NULL) {
            break;
        }
        /* Keep the last result (one statement: exactly one). */
        PQclear(res);
        res = r;
    }
    if (res == NULL) {
        snprintf(err, errlen, "no result");
        return NULL;
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK
        && PQresultStatus(res) != PGRES_COMMAND_OK) {
        ra_pg_errcpy(err, errlen, PQresultErrorMessage(res));
        PQclear(res);
        return NULL;
    }
    return res;
}
