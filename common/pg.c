/* pg.c: libpq with the action's deadline.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "pg.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

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

PGconn *ra_pg_connect(const char *conninfo, const struct ra_deadline *d,
                      long limit_ms, char *err, size_t errlen)
{
    static const char *const keys[] = { "dbname", "application_name",
                                        "fallback_application_name", NULL };
    const char *vals[] = { conninfo, NULL, "ctfreak-ha-agent", NULL };
    long long end = ra_now_ms() + ra_deadline_cap_ms(d, limit_ms);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    PGconn *conn;

    /* expand_dbname=1: conninfo may be a string or a URI.  application_name
     * NULL keeps the one in conninfo, else the fallback marks our sessions. */
    conn = PQconnectStartParams(keys, vals, 1);
    if (conn == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
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

static void cancel_query(PGconn *conn)
{
    char buf[256];
    PGcancel *c = PQgetCancel(conn);

    if (c != NULL) {
        PQcancel(c, buf, sizeof(buf));
        PQfreeCancel(c);
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
