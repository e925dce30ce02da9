/* http.h: one libcurl GET judged against an expected status and body.
 * Licence: GPL-2.0-or-later. */
#ifndef RA_HTTP_H
#define RA_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"

enum ra_http_verdict {
    RA_HTTP_OK,
    RA_HTTP_REFUSED,        /* nothing listening / host unreachable */
    RA_HTTP_TIMEOUT,        /* connect or request timeout (e.g. hung server) */
    RA_HTTP_TLS,            /* TLS handshake or certificate problem */
    RA_HTTP_BAD_STATUS,     /* answered, but not 200 */
    RA_HTTP_BAD_BODY,       /* 200, but not the expected body */
    RA_HTTP_ERROR,          /* anything else */
};

struct ra_http_check {
    const char *url;
    const char *expect_body;    /* compared after trimming blanks; NULL/"" = any */
    long connect_timeout_ms;
    long request_timeout_ms;
    const char *ca_file;
    const char *client_cert;
    const char *client_key;
    bool tls_verify;
};

/* GETs check->url within both its timeouts and the deadline (host-name
 * resolution included); detail gets a one-line explanation naming the URL
 * without its credentials or query (ra_redact_url).  No redirects followed,
 * no proxy from the environment. */
enum ra_http_verdict ra_http_get(const struct ra_http_check *check,
                                 const struct ra_deadline *d, char *detail,
                                 size_t detail_len);

/* The pure judgement of an answer (unit tested). */
enum ra_http_verdict ra_http_judge(long status, const char *body, size_t len,
                                   const char *expect_body);

const char *ra_http_verdict_str(enum ra_http_verdict v);

/* Can a GET of url resolve its host within a timeout?  True with libcurl's
 * threaded resolver (AsynchDNS) or an IP address as host. */
bool ra_http_resolution_bounded(const char *url);

#endif
