/* test_http.c: unit tests of common/http.c (judgement, GETs to an in-test server).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "helpers.h"

#include "http.h"
#include "proc.h"
#include "run.h"

/* --- a one-connection HTTP server ---------------------------------------------- */

struct server {
    int lfd;
    int port;
    int stop[2];                /* written by the test to end a hung answer */
    const char *response;       /* NULL: accept, read, never answer */
    size_t response_len;
    pthread_t thread;
    bool joined;
    char request[2048];         /* what the client sent */
};

/* Waits for fd or the stop pipe; true when fd is readable. */
static bool wait_readable(struct server *s, int fd, int timeout_ms)
{
    struct pollfd p[2] = { { fd, POLLIN, 0 }, { s->stop[0], POLLIN, 0 } };

    if (poll(p, 2, timeout_ms) <= 0) {
        return false;
    }
    return p[1].revents == 0 && p[0].revents != 0;
}

static void *server_main(void *arg)
{
    struct server *s = arg;
    size_t got = 0;
    int c;

    if (!wait_readable(s, s->lfd, 20000)) {
        return NULL;
    }
    c = accept(s->lfd, NULL, NULL);
    if (c < 0) {
        return NULL;
    }
    /* The request: up to the blank line, or whatever came before a pause
     * (a TLS ClientHello has no blank line). */
    while (got < sizeof(s->request) - 1 && strstr(s->request, "\r\n\r\n") == NULL
           && wait_readable(s, c, s->response != NULL ? 300 : 20000)) {
        ssize_t n = read(c, s->request + got, sizeof(s->request) - 1 - got);

        if (n <= 0) {
            break;
        }
        got += (size_t) n;
        s->request[got] = '\0';
    }
    if (s->response != NULL) {
        ssize_t ignored = write(c, s->response, s->response_len);

        (void) ignored;
    } else {
        /* hung: hold the connection until the client gives up (or stop) */
        char sink[512];

        while (wait_readable(s, c, 20000) && read(c, sink, sizeof(sink)) > 0) {
        }
    }
    close(c);
    return NULL;
}

static struct server *server_start(const char *response, size_t len)
{
    struct server *s = calloc(1, sizeof(*s));
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof(sa);

    assert_non_null(s);
    s->response = response;
    s->response_len = response != NULL && len == 0 ? strlen(response) : len;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->lfd >= 0);
    assert_int_equal(bind(s->lfd, (struct sockaddr *) &sa, sizeof(sa)), 0);
    assert_int_equal(listen(s->lfd, 4), 0);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *) &sa, &sl), 0);
    s->port = ntohs(sa.sin_port);
    assert_int_equal(pipe2(s->stop, O_CLOEXEC), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
    return s;
}

/* Waits for the server thread (it ends after its one connection). */
static void server_join(struct server *s)
{
    if (!s->joined) {
        pthread_join(s->thread, NULL);
        s->joined = true;
    }
}

static void server_stop(struct server *s)
{
    ssize_t ignored = write(s->stop[1], "x", 1);

    (void) ignored;
    server_join(s);
    close(s->lfd);
    close(s->stop[0]);
    close(s->stop[1]);
    free(s);
}

/* A port nothing listens on (bound, then closed). */
static int closed_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &sl), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* GETs http://127.0.0.1:<port><path> with expect, returns the verdict. */
static enum ra_http_verdict get(int port, const char *path, const char *expect,
                                long request_timeout_ms, long deadline_ms,
                                char *detail, size_t detail_len)
{
    char url[128];
    struct ra_deadline d;
    struct ra_http_check check = {
        .url = url,
        .expect_body = expect,
        .connect_timeout_ms = 2000,
        .request_timeout_ms = request_timeout_ms,
    };

    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    ra_deadline_init(&d, deadline_ms);
    return ra_http_get(&check, &d, detail, detail_len);
}

#define RESP(status, body) \
    "HTTP/1.1 " status "\r\nContent-Type: text/plain\r\nConnection: close\r\n" \
    "Content-Length: " #body "\r\n\r\n"

/* --- ra_http_judge ----------------------------------------------------------- */

static void http_judge_accepts_200_with_the_expected_body(void **state)
{
    (void) state;
    assert_int_equal(ra_http_judge(200, "true", 4, "true"), RA_HTTP_OK);
}

static void http_judge_trims_blanks_around_the_body(void **state)
{
    (void) state;
    assert_int_equal(ra_http_judge(200, " true\n", 6, "true"), RA_HTTP_OK);
    assert_int_equal(ra_http_judge(200, "\r\n\ttrue \r\n", 10, "true"), RA_HTTP_OK);
}

static void http_judge_rejects_a_different_body(void **state)
{
    static const char *const bad[] = { "false", "truex", "xtrue", "tru", "True",
                                       "true true", "", "   ", NULL };
    (void) state;

    for (size_t i = 0; bad[i] != NULL; i++) {
        assert_int_equal(ra_http_judge(200, bad[i], strlen(bad[i]), "true"),
                         RA_HTTP_BAD_BODY);
    }
    /* the length given counts, not a NUL */
    assert_int_equal(ra_http_judge(200, "tr\0ue", 5, "true"), RA_HTTP_BAD_BODY);
    assert_int_equal(ra_http_judge(200, "truefalse", 4, "true"), RA_HTTP_OK);
}

static void http_judge_rejects_any_status_but_200(void **state)
{
    static const long bad[] = { 0, 100, 201, 204, 301, 302, 404, 500, 503 };
    (void) state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ra_http_judge(bad[i], "true", 4, "true"),
                         RA_HTTP_BAD_STATUS);
        assert_int_equal(ra_http_judge(bad[i], "", 0, NULL), RA_HTTP_BAD_STATUS);
    }
}

static void http_judge_accepts_any_body_when_none_is_expected(void **state)
{
    (void) state;
    assert_int_equal(ra_http_judge(200, "anything", 8, ""), RA_HTTP_OK);
    assert_int_equal(ra_http_judge(200, "anything", 8, NULL), RA_HTTP_OK);
    assert_int_equal(ra_http_judge(200, "", 0, ""), RA_HTTP_OK);
    assert_int_equal(ra_http_judge(200, NULL, 0, NULL), RA_HTTP_OK);
}

static void http_verdict_str_names_every_verdict(void **state)
{
    (void) state;
    assert_string_equal(ra_http_verdict_str(RA_HTTP_OK), "ok");
    assert_string_equal(ra_http_verdict_str(RA_HTTP_REFUSED), "connection refused");
    assert_string_equal(ra_http_verdict_str(RA_HTTP_TIMEOUT), "timed out");
    assert_string_equal(ra_http_verdict_str(RA_HTTP_TLS), "TLS error");
    assert_string_equal(ra_http_verdict_str(RA_HTTP_BAD_STATUS),
                        "unexpected HTTP status");
    assert_string_equal(ra_http_verdict_str(RA_HTTP_BAD_BODY), "unexpected body");
    assert_string_equal(ra_http_verdict_str(RA_HTTP_ERROR), "error");
    assert_string_equal(ra_http_verdict_str((enum ra_http_verdict) 99), "unknown");
}

/* --- ra_http_get ------------------------------------------------------------- */

static void http_get_accepts_a_healthy_answer(void **state)
{
    struct server *s = server_start(RESP("200 OK", 5) "true\n", 0);
    char detail[256] = "";
    char want[128];
    (void) state;

    assert_int_equal(get(s->port, "/health", "true", 3000, 10000, detail,
                         sizeof(detail)), RA_HTTP_OK);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/health answered HTTP 200 \"true \"",
             s->port);
    assert_string_equal(detail, want);
    server_stop(s);
}

static void http_get_sends_a_plain_get_of_the_path(void **state)
{
    struct server *s = server_start(RESP("200 OK", 4) "true", 0);
    char detail[256];
    (void) state;

    assert_int_equal(get(s->port, "/api/ready?x=1", NULL, 3000, 10000, detail,
                         sizeof(detail)), RA_HTTP_OK);
    /* after the join the thread has finished writing the request down */
    server_join(s);
    assert_memory_equal(s->request, "GET /api/ready?x=1 HTTP/1.1\r\n", 29);
    assert_non_null(strstr(s->request, "\r\nUser-Agent: ctfreak-ha/"));
    server_stop(s);
}

static void http_get_reports_a_wrong_body(void **state)
{
    struct server *s = server_start(RESP("200 OK", 6) "false\n", 0);
    char detail[256];
    (void) state;

    assert_int_equal(get(s->port, "/", "true", 3000, 10000, detail,
                         sizeof(detail)), RA_HTTP_BAD_BODY);
    assert_non_null(strstr(detail, "answered HTTP 200 \"false \""));
    server_stop(s);
}

static void http_get_reports_a_server_error(void **state)
{
    struct server *s = server_start(RESP("500 Internal Server Error", 4) "true", 0);
    char detail[256];
    (void) state;

    assert_int_equal(get(s->port, "/", "true", 3000, 10000, detail,
                         sizeof(detail)), RA_HTTP_BAD_STATUS);
    assert_non_null(strstr(detail, "answered HTTP 500"));
    server_stop(s);
}

static void http_get_does_not_follow_redirects(void **state)
{
    struct server *s = server_start(
        "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n", 0);
    char detail[256];
    (void) state;

    assert_int_equal(get(s->port, "/", NULL, 3000, 10000, detail,
                         sizeof(detail)), RA_HTTP_BAD_STATUS);
    assert_non_null(strstr(detail, "answered HTTP 302"));
    server_stop(s);
}

static void http_get_ignores_proxy_settings_of_the_environment(void **state)
{
    struct server *s = server_start(RESP("200 OK", 4) "true", 0);
    char detail[256];
    (void) state;

    setenv("http_proxy", "http://127.0.0.1:1", 1);
    setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
    setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
    assert_int_equal(get(s->port, "/", "true", 3000, 10000, detail,
                         sizeof(detail)), RA_HTTP_OK);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("ALL_PROXY");
    server_stop(s);
}

static void http_get_judges_a_long_body_by_its_start(void **state)
{
    static char resp[16384];
    struct server *s;
    char detail[256];
    int n;
    (void) state;

    n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nConnection: close\r\n"
                 "Content-Length: 10000\r\n\r\n");
    memset(resp + n, 'x', 10000);
    s = server_start(resp, (size_t) n + 10000);
    assert_int_equal(get(s->port, "/", NULL, 3000, 10000, detail,
                         sizeof(detail)), RA_HTTP_OK);
    /* the excerpt in the detail stays one short line */
    assert_true(strlen(detail) < 160);
    server_stop(s);
}

static void http_get_reports_connection_refused_on_a_closed_port(void **state)
{
    char detail[256] = "";
    long long t0 = ra_now_ms();
    (void) state;

    assert_int_equal(get(closed_port(), "/", "true", 3000, 10000, detail,
                         sizeof(detail)), RA_HTTP_REFUSED);
    assert_in_range(ra_now_ms() - t0, 0, 1500);
    assert_non_null(strstr(detail, "http://127.0.0.1:"));
}

static void http_get_times_out_on_a_hung_server_within_request_timeout(void **state)
{
    struct server *s = server_start(NULL, 0);
    char detail[256];
    long long t0 = ra_now_ms();
    long long took;
    (void) state;

    assert_int_equal(get(s->port, "/", "true", 300, 10000, detail,
                         sizeof(detail)), RA_HTTP_TIMEOUT);
    took = ra_now_ms() - t0;
    assert_in_range(took, 250, 1500);
    server_stop(s);
}

static void http_get_never_waits_past_the_deadline(void **state)
{
    struct server *s = server_start(NULL, 0);
    char detail[256];
    long long t0 = ra_now_ms();
    (void) state;

    /* the request timeout is generous; the action's deadline is not */
    assert_int_equal(get(s->port, "/", "true", 10000, 300, detail,
                         sizeof(detail)), RA_HTTP_TIMEOUT);
    assert_in_range(ra_now_ms() - t0, 250, 1500);
    server_stop(s);
}

static void http_get_gives_up_at_once_when_the_deadline_passed(void **state)
{
    char detail[256] = "";
    long long t0 = ra_now_ms();
    (void) state;

    assert_int_equal(get(closed_port(), "/", "true", 3000, 0, detail,
                         sizeof(detail)), RA_HTTP_TIMEOUT);
    assert_string_equal(detail, "no time left for the request");
    assert_in_range(ra_now_ms() - t0, 0, 200);
}

/* GETs url (any form) with the given deadline. */
static enum ra_http_verdict get_url(const char *url, long deadline_ms, char *detail,
                                    size_t detail_len)
{
    struct ra_deadline d;
    struct ra_http_check check = {
        .url = url,
        .expect_body = "true",
        .connect_timeout_ms = 2000,
        .request_timeout_ms = 10000,
    };

    ra_deadline_init(&d, deadline_ms);
    return ra_http_get(&check, &d, detail, detail_len);
}

static void http_get_never_shows_the_password_or_query_of_the_url(void **state)
{
    struct server *s = server_start(RESP("500 Internal Server Error", 4) "true", 0);
    char url[160];
    char detail[256] = "";
    char want[128];
    (void) state;

    snprintf(url, sizeof(url), "http://admin:S3cretPW@127.0.0.1:%d/isalive?token=T0k3nX",
             s->port);
    assert_int_equal(get_url(url, 10000, detail, sizeof(detail)), RA_HTTP_BAD_STATUS);
    assert_null(strstr(detail, "S3cretPW"));
    assert_null(strstr(detail, "admin"));
    assert_null(strstr(detail, "T0k3nX"));
    snprintf(want, sizeof(want), "http://***@127.0.0.1:%d/isalive answered HTTP 500",
             s->port);
    assert_non_null(strstr(detail, want));
    /* the credentials were used, only not shown */
    server_join(s);
    assert_non_null(strstr(s->request, "\r\nAuthorization: Basic "));
    server_stop(s);
}

static void http_get_failure_never_shows_the_password_of_the_url(void **state)
{
    char url[160];
    char detail[256] = "";
    (void) state;

    snprintf(url, sizeof(url), "http://admin:S3cretPW@127.0.0.1:%d/isalive?token=T0k3nX",
             closed_port());
    assert_int_equal(get_url(url, 10000, detail, sizeof(detail)), RA_HTTP_REFUSED);
    assert_null(strstr(detail, "S3cretPW"));
    assert_null(strstr(detail, "T0k3nX"));
    assert_non_null(strstr(detail, "http://***@127.0.0.1:"));
    assert_int_equal(get_url("http://admin:S3cret#PW@host.invalid/", 10000, detail,
                             sizeof(detail)), RA_HTTP_ERROR);
    assert_null(strstr(detail, "S3cret"));
}

static void http_resolution_is_bounded_by_this_libcurl(void **state)
{
    const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
    (void) state;

    /* Debian's libcurl resolves in a thread: a timeout stops the lookup */
    assert_true((info->features & CURL_VERSION_ASYNCHDNS) != 0);
    assert_true(ra_http_resolution_bounded("http://ctfreak.example/isalive"));
    assert_true(ra_http_resolution_bounded("http://127.0.0.1:6700/isalive"));
    assert_true(ra_http_resolution_bounded("http://[::1]:6700/isalive"));
}

/* In a child with its own mount namespace: /etc/resolv.conf names a name
 * server that reads queries and never answers.  Exits 0 when the GET came
 * back, as a timeout, within deadline_ms plus a margin. */
static void silent_name_server_child(long deadline_ms)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
    char conf[] = "/tmp/test_http_resolv.XXXXXX";
    char detail[256] = "";
    enum ra_http_verdict v;
    long long t0;
    int fd;
    int ns;

    fd = mkstemp(conf);
    ns = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    inet_pton(AF_INET, "127.9.9.9", &sa.sin_addr);
    if (fd < 0 || ns < 0 || bind(ns, (struct sockaddr *) &sa, sizeof(sa)) != 0
        || write(fd, "nameserver 127.9.9.9\noptions timeout:30 attempts:1\n", 51) != 51
        || unshare(CLONE_NEWNS) != 0
        || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0
        || mount(conf, "/etc/resolv.conf", NULL, MS_BIND, NULL) != 0) {
        unlink(conf);
        _exit(77);      /* no namespace here: skipped */
    }
    unlink(conf);
    t0 = ra_now_ms();
    v = get_url("http://ctfreak-ha.never-answers.test:6700/isalive", deadline_ms,
                detail, sizeof(detail));
    if (v != RA_HTTP_TIMEOUT && v != RA_HTTP_REFUSED) {
        fprintf(stderr, "verdict %s: %s\n", ra_http_verdict_str(v), detail);
        _exit(2);
    }
    if (ra_now_ms() - t0 > deadline_ms + 3000) {
        fprintf(stderr, "took %lld ms: %s\n", ra_now_ms() - t0, detail);
        _exit(3);
    }
    _exit(0);
}

static void http_get_stops_at_the_deadline_while_the_name_server_never_answers(
    void **state)
{
    int status = 0;
    pid_t pid;
    (void) state;

    if (geteuid() != 0) {
        skip();
    }
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        silent_name_server_child(1000);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- TLS files -------------------------------------------------------------- */

#define OPENSSL "/usr/bin/openssl"

/* A self-signed certificate for 127.0.0.1 (cert.pem, key.pem in dir) and
 * "openssl s_server -www" serving it on a free port.  Returns its pid. */
static pid_t tls_server(const char *dir, int *port)
{
    char cert[128];
    char key[128];
    char accept_at[64];
    const char *const req[] = { OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                "-keyout", key, "-out", cert, "-days", "1",
                                "-subj", "/CN=127.0.0.1",
                                "-addext", "subjectAltName=IP:127.0.0.1", NULL };
    const char *const srv[] = { OPENSSL, "s_server", "-accept", accept_at, "-cert", cert,
                                "-key", key, "-www", "-quiet", NULL };
    struct ra_deadline d;
    struct ra_run_result res;
    struct ra_run_opts opts = { .deadline = &d };
    pid_t pid;

    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    ra_deadline_init(&d, 60000);
    assert_int_equal(ra_run(req, &opts, &res), 0);
    assert_int_equal(res.exit_status, 0);
    ra_run_result_free(&res);
    *port = closed_port();
    snprintf(accept_at, sizeof(accept_at), "127.0.0.1:%d", *port);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);

        dup2(null, 0);
        dup2(null, 1);
        execv(OPENSSL, (char *const *) srv);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(*port) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool up;

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        up = connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
        close(fd);
        if (up) {
            return pid;
        }
        usleep(50000);
    }
    fail_msg("openssl s_server did not come up");
    return pid;
}

static enum ra_http_verdict get_tls(int port, const char *ca, const char *cert,
                                    const char *key, char *detail, size_t len)
{
    char url[64];
    struct ra_deadline d;
    /* generous: loading the system CA store under ASan on a busy machine
     * takes seconds (only the verdicts are asserted here) */
    struct ra_http_check check = {
        .url = url,
        .connect_timeout_ms = 15000,
        .request_timeout_ms = 20000,
        .ca_file = ca,
        .client_cert = cert,
        .client_key = key,
        .tls_verify = true,
    };

    snprintf(url, sizeof(url), "https://127.0.0.1:%d/", port);
    ra_deadline_init(&d, 30000);
    return ra_http_get(&check, &d, detail, len);
}

/* The verdict, with the detail shown when it is not the one wanted. */
#define assert_verdict(got, want, detail) do { \
        enum ra_http_verdict v_ = (got); \
        if (v_ != (want)) { \
            print_error("verdict %s: %s\n", ra_http_verdict_str(v_), (detail)); \
        } \
        assert_int_equal(v_, (want)); \
    } while (0)

/* A scratch folder with a certificate, its key, and a TLS server. */
struct tls_fixture {
    char dir[64];
    pid_t server;
    int port;
};

static int tls_setup(void **state)
{
    struct tls_fixture *t = calloc(1, sizeof(*t));

    if (t == NULL || th_scratch_dir(t->dir, sizeof(t->dir), "test_http_tls") != 0) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int tls_teardown(void **state)
{
    struct tls_fixture *t = *state;

    if (t->server > 0) {
        kill(t->server, SIGTERM);
        waitpid(t->server, NULL, 0);
    }
    th_remove_tree(t->dir);
    free(t);
    return 0;
}

static void tls_path(const struct tls_fixture *t, const char *name, char *buf, size_t len)
{
    assert_true((size_t) snprintf(buf, len, "%s/%s", t->dir, name) < len);
}

static void http_get_verifies_tls_with_ca_file_and_client_files_read_by_us(void **state)
{
    struct tls_fixture *t = *state;
    char ca[128];
    char key[128];
    char both[128];
    char fifo[128];
    char detail[256] = "";
    char *pem = NULL;
    size_t n = 0;

    if (access(OPENSSL, X_OK) != 0) {
        skip();
    }
    t->server = tls_server(t->dir, &t->port);
    tls_path(t, "cert.pem", ca, sizeof(ca));
    tls_path(t, "key.pem", key, sizeof(key));
    tls_path(t, "both.pem", both, sizeof(both));
    tls_path(t, "fifo.pem", fifo, sizeof(fifo));
    /* the self-signed server fails verification without its certificate ... */
    assert_verdict(get_tls(t->port, NULL, NULL, NULL, detail, sizeof(detail)),
                   RA_HTTP_TLS, detail);
    /* ... and passes with it as ca_file, with a client certificate and key
     * in two files or in one */
    assert_verdict(get_tls(t->port, ca, NULL, NULL, detail, sizeof(detail)),
                   RA_HTTP_OK, detail);
    assert_verdict(get_tls(t->port, ca, ca, key, detail, sizeof(detail)),
                   RA_HTTP_OK, detail);
    pem = malloc(16384);
    assert_non_null(pem);
    n = (size_t) ra_file_read(key, pem, 16384);
    assert_true(ra_file_read(ca, pem + n, 16384 - n) > 0);
    assert_int_equal(th_write_file(both, pem, NULL, 0600), 0);
    free(pem);
    assert_verdict(get_tls(t->port, ca, both, NULL, detail, sizeof(detail)),
                   RA_HTTP_OK, detail);
    /* a FIFO where a TLS file should be: refused at once, named, not waited on */
    assert_int_equal(mkfifo(fifo, 0644), 0);
    alarm(10);
    assert_verdict(get_tls(t->port, fifo, NULL, NULL, detail, sizeof(detail)),
                   RA_HTTP_ERROR, detail);
    assert_non_null(strstr(detail, "ca_file"));
    assert_verdict(get_tls(t->port, ca, ca, fifo, detail, sizeof(detail)),
                   RA_HTTP_ERROR, detail);
    assert_non_null(strstr(detail, "client_key"));
    alarm(0);
    assert_verdict(get_tls(t->port, "/nonexistent/ca.pem", NULL, NULL, detail,
                           sizeof(detail)), RA_HTTP_ERROR, detail);
    assert_non_null(strstr(detail, "ca_file /nonexistent/ca.pem"));
}

static void http_get_refuses_schemes_other_than_http(void **state)
{
    struct ra_deadline d;
    struct ra_http_check check = {
        .url = "file:///etc/passwd",
        .request_timeout_ms = 2000,
    };
    char detail[256];
    (void) state;

    ra_deadline_init(&d, 5000);
    assert_int_equal(ra_http_get(&check, &d, detail, sizeof(detail)), RA_HTTP_ERROR);
    assert_null(strstr(detail, "root:"));
}

static void http_get_reports_tls_failure_against_a_plain_server(void **state)
{
    struct server *s = server_start(RESP("200 OK", 4) "true", 0);
    struct ra_deadline d;
    char url[128];
    /* the connect timeout covers the handshake, and loading the system CA
     * store before it takes seconds under ASan on a busy machine */
    struct ra_http_check check = {
        .url = url,
        .expect_body = "true",
        .connect_timeout_ms = 15000,
        .request_timeout_ms = 20000,
        .tls_verify = true,
    };
    char detail[256];
    (void) state;

    snprintf(url, sizeof(url), "https://127.0.0.1:%d/", s->port);
    ra_deadline_init(&d, 30000);
    assert_int_equal(ra_http_get(&check, &d, detail, sizeof(detail)), RA_HTTP_TLS);
    server_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(http_judge_accepts_200_with_the_expected_body),
        cmocka_unit_test(http_judge_trims_blanks_around_the_body),
        cmocka_unit_test(http_judge_rejects_a_different_body),
        cmocka_unit_test(http_judge_rejects_any_status_but_200),
        cmocka_unit_test(http_judge_accepts_any_body_when_none_is_expected),
        cmocka_unit_test(http_verdict_str_names_every_verdict),
        cmocka_unit_test(http_get_accepts_a_healthy_answer),
        cmocka_unit_test(http_get_sends_a_plain_get_of_the_path),
        cmocka_unit_test(http_get_reports_a_wrong_body),
        cmocka_unit_test(http_get_reports_a_server_error),
        cmocka_unit_test(http_get_does_not_follow_redirects),
        cmocka_unit_test(http_get_ignores_proxy_settings_of_the_environment),
        cmocka_unit_test(http_get_judges_a_long_body_by_its_start),
        cmocka_unit_test(http_get_reports_connection_refused_on_a_closed_port),
        cmocka_unit_test(http_get_times_out_on_a_hung_server_within_request_timeout),
        cmocka_unit_test(http_get_never_waits_past_the_deadline),
        cmocka_unit_test(http_get_gives_up_at_once_when_the_deadline_passed),
        cmocka_unit_test(http_get_never_shows_the_password_or_query_of_the_url),
        cmocka_unit_test(http_get_failure_never_shows_the_password_of_the_url),
        cmocka_unit_test(http_resolution_is_bounded_by_this_libcurl),
        cmocka_unit_test(http_get_stops_at_the_deadline_while_the_name_server_never_answers),
        cmocka_unit_test_setup_teardown(
            http_get_verifies_tls_with_ca_file_and_client_files_read_by_us,
            tls_setup, tls_teardown),
        cmocka_unit_test(http_get_refuses_schemes_other_than_http),
        cmocka_unit_test(http_get_reports_tls_failure_against_a_plain_server),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
