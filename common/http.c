/* http.c: one libcurl GET judged against an expected status and body.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#define HTTP_MAX_BODY 4096

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

static void set_tls(CURL *curl, const struct ra_http_check *check)
{
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, check->tls_verify ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, check->tls_verify ? 2L : 0L);
    if (check->ca_file != NULL && *check->ca_file != '\0') {
        curl_easy_setopt(curl, CURLOPT_CAINFO, check->ca_file);
    }
    if (check->client_cert != NULL && *check->client_cert != '\0') {
        curl_easy_setopt(curl, CURLOPT_SSLCERT, check->client_cert);
    }
    if (check->client_key != NULL && *check->client_key != '\0') {
        curl_easy_setopt(curl, CURLOPT_SSLKEY, check->client_key);
    }
}

enum ra_http_verdict ra_http_get(const struct ra_http_check *check,
                                 const struct ra_deadline *d, char *detail,
                                 size_t detail_len)
{
    struct body_buf body = { .len = 0 };
    char errbuf[CURL_ERROR_SIZE] = "";
    char excerpt[64];
    enum ra_http_verdict v;
    long status = 0;
    long total_ms = ra_deadline_cap_ms(d, check->request_timeout_ms);
    long conn_ms = ra_deadline_cap_ms(d, check->connect_timeout_ms);
    CURLcode code;
    CURL *curl;

    if (total_ms <= 0) {
        snprintf(detail, detail_len, "no time left for the request");
        return RA_HTTP_TIMEOUT;
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
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, conn_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "ctfreak-ha/" PACKAGE_VERSION);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    set_tls(curl, check);

    code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
        v = verdict_from_curl(code);
        snprintf(detail, detail_len, "%s: %s", check->url,
                 errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code));
        goto done;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    v = ra_http_judge(status, body.data, body.len, check->expect_body);
    body_excerpt(&body, excerpt, sizeof(excerpt));
    snprintf(detail, detail_len, "%s answered HTTP %ld \"%s\"", check->url,
             status, excerpt);

done:
    curl_easy_cleanup(curl);
    return v;
}
