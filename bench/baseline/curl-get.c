/* curl-get: the floor for an HTTP health check -- one libcurl GET, nothing else.
 *
 * Usage: curl-get URL [EXPECT_BODY]
 * Exit 0 when the answer is HTTP 200 (and the body equals EXPECT_BODY, if given,
 * ignoring one trailing newline), 1 otherwise.  Same timeouts as a monitor would use.
 *
 * Build: gcc -O2 -o curl-get bench/baseline/curl-get.c $(pkg-config --cflags --libs libcurl)
 * Used by bench/monitor-http as the baseline; not part of the agents or the test suite.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

struct buf {
    char data[4096];
    size_t len;
};

static size_t on_body(char *p, size_t size, size_t n, void *userdata)
{
    struct buf *b = userdata;
    size_t len = size * n;
    size_t room = sizeof(b->data) - 1 - b->len;
    memcpy(b->data + b->len, p, len < room ? len : room);
    b->len += len < room ? len : room;
    return len;
}

int main(int argc, char **argv)
{
    struct buf body = { .len = 0 };
    long code = 0;
    CURLcode res;
    CURL *c;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s URL [EXPECT_BODY]\n", argv[0]);
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(c = curl_easy_init()))
        return 1;
    curl_easy_setopt(c, CURLOPT_URL, argv[1]);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    res = curl_easy_perform(c);
    if (res == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_global_cleanup();

    if (res != CURLE_OK) {
        fprintf(stderr, "curl-get: %s\n", curl_easy_strerror(res));
        return 1;
    }
    body.data[body.len] = '\0';
    if (body.len && body.data[body.len - 1] == '\n')
        body.data[--body.len] = '\0';
    if (code != 200 || (argc == 3 && strcmp(body.data, argv[2]) != 0)) {
        fprintf(stderr, "curl-get: HTTP %ld, body \"%s\"\n", code, body.data);
        return 1;
    }
    return 0;
}
