/* http.c: one libcurl GET judged against an expected status and body.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "redact.h"

#define HTTP_MAX_BODY 4096
/* A CA bundle, certificate or key larger than this is not one. */
#define TLS_FILE_MAX (4 * 1024 * 1024)

struct body_buf {
    char data[HTTP_MAX_BODY + 1];
    size_t len;
};

static size_t body_write(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct body_buf *b = user;
    size_t n = size * nmemb;
    size_t take = n;

    if (take > HTTP_MAX_BODY - b->len) {
        take = HTTP_MAX_BODY - b->len;
    }
    memcpy(b->data + b->len, ptr, take);
    b->len += take;
    b->data[b->len] = '\0';
    return n;   /* accept (and drop) the rest: a long body is judged by its start */
}

const char *ra_http_verdict_str(enum ra_http_verdict v)
{
    switch (v) {
    case RA_HTTP_OK:         return "ok";
    case RA_HTTP_REFUSED:    return "connection refused";
    case RA_HTTP_TIMEOUT:    return "timed out";
    case RA_HTTP_TLS:        return "TLS error";
    case RA_HTTP_BAD_STATUS: return "unexpected HTTP status";
    case RA_HTTP_BAD_BODY:   return "unexpected body";
    case RA_HTTP_ERROR:      return "error";
    }
    return "unknown";
}

enum ra_http_verdict ra_http_judge(long status, const char *body, size_t len,
                                   const char *expect_body)
{
    size_t start = 0;
    size_t end = len;
    size_t want;

    if (status != 200) {
        return RA_HTTP_BAD_STATUS;
    }
    if (expect_body == NULL || *expect_body == '\0') {
        return RA_HTTP_OK;
    }
    while (start < end && isspace((unsigned char) body[start])) {
        start++;
    }
    while (end > start && isspace((unsigned char) body[end - 1])) {
        end--;
    }
    want = strlen(expect_body);
    if (end - start == want && memcmp(body + start, expect_body, want) == 0) {
        return RA_HTTP_OK;
    }
    return RA_HTTP_BAD_BODY;
}

static enum ra_http_verdict verdict_from_curl(CURLcode code)
{
    switch (code) {
    case CURLE_OK:
        return RA_HTTP_OK;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        return RA_HTTP_REFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        return RA_HTTP_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
        return RA_HTTP_TLS;
    default:
        return RA_HTTP_ERROR;
    }
}

/* Trims the body to one printable line for the detail text. */
static void body_excerpt(const struct body_buf *b, char *out, size_t len)
{
    size_t o = 0;

    for (size_t i = 0; i < b->len && o + 1 < len && o < 60; i++) {
        unsigned char c = (unsigned char) b->data[i];

        out[o++] = isprint(c) ? (char) c : ' ';
    }
    out[o] = '\0';
}

/* Reads a TLS file for libcurl: opened without waiting on a FIFO (a file
 * in the CTFreak user's folder can become one, and libcurl's own open would
 * block past every timeout), a regular file of at most TLS_FILE_MAX bytes.
 * Returns 0 with *buf to free, or -errno. */
static int tls_file_read(const char *path, char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    ssize_t n = 0;
    int rc = 0;

    *buf = NULL;
    *len = 0;
    if (fd < 0) {
        return -errno;
    }
    if (fstat(fd, &st) != 0) {
        rc = -errno;
    } else if (!S_ISREG(st.st_mode)) {
        rc = -EINVAL;
    } else if (st.st_size > TLS_FILE_MAX) {
        rc = -EFBIG;
    } else if ((*buf = malloc((size_t) st.st_size + 1)) == NULL) {
        rc = -ENOMEM;
    }
    while (rc == 0 && *len < (size_t) st.st_size
           && (n = read(fd, *buf + *len, (size_t) st.st_size - *len)) != 0) {
        if (n < 0 && errno != EINTR) {
            rc = -errno;
        } else if (n > 0) {
            *len += (size_t) n;
        }
    }
    close(fd);
    if (rc != 0) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

/* Hands one TLS file to libcurl as a copied blob.  Returns 0, or -errno
 * with why naming the parameter. */
static int tls_blob(CURL *curl, CURLoption opt, const char *param, const char *path,
                    char *why, size_t wlen)
{
    struct curl_blob blob = { .flags = CURL_BLOB_COPY };
    char *buf = NULL;
    size_t len = 0;
    int rc;

    if (path == NULL || *path == '\0') {
        return 0;
    }
    rc = tls_file_read(path, &buf, &len);
    if (rc == 0) {
        blob.data = buf;
        blob.len = len;
        if (curl_easy_setopt(curl, opt, &blob) != CURLE_OK) {
            rc = -ENOTSUP;
        }
    }
    free(buf);
    if (rc != 0) {
        snprintf(why, wlen, "%s %s cannot be used: %s", param, path,
                 rc == -EINVAL ? "not a regular file" : strerror(-rc));
    }
    return rc;
}

static int set_tls(CURL *curl, const struct ra_http_check *check, char *why, size_t wlen)
{
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, check->tls_verify ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, check->tls_verify ? 2L : 0L);
    if (tls_blob(curl, CURLOPT_CAINFO_BLOB, "ca_file", check->ca_file, why, wlen) != 0
        || tls_blob(curl, CURLOPT_SSLCERT_BLOB, "client_cert", check->client_cert,
                    why, wlen) != 0
        || tls_blob(curl, CURLOPT_SSLKEY_BLOB, "client_key", check->client_key,
                    why, wlen) != 0) {
        return -1;
    }
    return 0;
}

/* Is the host of url an IP address (no name to resolve)? */
static bool host_is_address(const char *url)
{
    unsigned char addr[sizeof(struct in6_addr)];
    CURLU *u = curl_url();
    char *host = NULL;
    bool literal = false;

    if (u != NULL && curl_url_set(u, CURLUPART_URL, url, CURLU_GUESS_SCHEME) == CURLUE_OK
        && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        size_t n = strlen(host);

        if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
            host[n - 1] = '\0';
            literal = inet_pton(AF_INET6, host + 1, addr) == 1;
        } else {
            literal = inet_pton(AF_INET, host, addr) == 1;
        }
    }
    curl_free(host);
    curl_url_cleanup(u);
    return literal;
}

/* With CURLOPT_NOSIGNAL, only a threaded (or c-ares) resolver stops at the
 * timeout: a libcurl built without one could wait in getaddrinfo() past
 * the action's deadline.  And curl_easy_cleanup() joins a resolver thread
 * still waiting for the name server (30 s and more) unless told not to by
 * CURLOPT_QUICK_EXIT (libcurl 7.87.0): the thread is then left to end on
 * its own. */
#define HTTP_QUICK_EXIT_VERSION 0x075700

bool ra_http_resolution_bounded(const char *url)
{
    const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);

    return (info != NULL && (info->features & CURL_VERSION_ASYNCHDNS) != 0
            && info->version_num >= HTTP_QUICK_EXIT_VERSION)
           || host_is_address(url);
}

/* libcurl's own message, unless it could quote the user information. */
static const char *curl_message(const char *errbuf, CURLcode code)
{
    if (errbuf[0] == '\0' || strchr(errbuf, '@') != NULL) {
        return curl_easy_strerror(code);
    }
    return errbuf;
}

enum ra_http_verdict ra_http_get(const struct ra_http_check *check,
                                 const struct ra_deadline *d, char *detail,
                                 size_t detail_len)
{
    struct body_buf body = { .len = 0 };
    char errbuf[CURL_ERROR_SIZE] = "";
    char excerpt[64];
    char shown[512];        /* the URL without credentials or query */
    enum ra_http_verdict v;
    long status = 0;
    long total_ms = ra_deadline_cap_ms(d, check->request_timeout_ms);
    long conn_ms = ra_deadline_cap_ms(d, check->connect_timeout_ms);
    CURLcode code;
    CURL *curl;

    ra_redact_url(check->url, shown, sizeof(shown));
    if (total_ms <= 0) {
        snprintf(detail, detail_len, "no time left for the request");
        return RA_HTTP_TIMEOUT;
    }
    if (!ra_http_resolution_bounded(check->url)) {
        snprintf(detail, detail_len, "%s: this libcurl cannot stop a host-name lookup "
                 "at a timeout (no AsynchDNS, or older than 7.87): use an IP address",
                 shown);
        return RA_HTTP_ERROR;
    }
    curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(detail, detail_len, "curl_easy_init failed");
        return RA_HTTP_ERROR;
    }
    curl_easy_setopt(curl, CURLOPT_URL, check->url);
#if HAVE_DECL_CURLOPT_PROTOCOLS_STR
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else /* libcurl < 7.85 */
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= HTTP_QUICK_EXIT_VERSION
    curl_easy_setopt(curl, CURLOPT_QUICK_EXIT, 1L);
#endif
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, conn_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "ctfreak-ha/" PACKAGE_VERSION);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    if (set_tls(curl, check, detail, detail_len) != 0) {
        v = RA_HTTP_ERROR;
        goto done;
    }

    code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
        v = verdict_from_curl(code);
        snprintf(detail, detail_len, "%s: %s", shown, curl_message(errbuf, code));
        goto done;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    v = ra_http_judge(status, body.data, body.len, check->expect_body);
    body_excerpt(&body, excerpt, sizeof(excerpt));
    snprintf(detail, detail_len, "%s answered HTTP %ld \"%s\"", shown, status,
             excerpt);

done:
    curl_easy_cleanup(curl);
    return v;
}
