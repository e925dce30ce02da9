/* fuzz_http_judge.c: ra_http_judge on an answer from the input (status from
 * the first two bytes; expected body and body split at the first NUL): OK
 * only for status 200 and a body equal to the expectation modulo blanks.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <ctype.h>

#include "fuzz.h"
#include "http.h"

/* The reference: compare after trimming isspace() at both ends. */
static bool body_equal(const char *body, size_t len, const char *want)
{
    size_t start = 0;

    while (start < len && isspace((unsigned char) body[start])) {
        start++;
    }
    while (len > start && isspace((unsigned char) body[len - 1])) {
        len--;
    }
    return len - start == strlen(want) && memcmp(body + start, want, len - start) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long status;
    const uint8_t *nul;
    char *want;
    const char *body;
    size_t blen;
    enum ra_http_verdict v;

    if (size < 2) {
        return 0;
    }
    status = data[0] & 1 ? 200 : (long) (data[0] << 8 | data[1]) - 1000;
    data += 2;
    size -= 2;
    nul = memchr(data, '\0', size);
    want = fuzz_cstr(data, nul != NULL ? (size_t) (nul - data) : 0);
    body = nul != NULL ? (const char *) nul + 1 : (const char *) data;
    blen = nul != NULL ? size - (size_t) (nul - data) - 1 : size;

    v = ra_http_judge(status, body, blen, want);
    if (status != 200) {
        FUZZ_ASSERT(v == RA_HTTP_BAD_STATUS, "status %ld judged %s", status,
                    ra_http_verdict_str(v));
    } else if (*want == '\0') {
        FUZZ_ASSERT(v == RA_HTTP_OK, "no expectation judged %s", ra_http_verdict_str(v));
    } else {
        FUZZ_ASSERT((v == RA_HTTP_OK) == body_equal(body, blen, want)
                    && (v == RA_HTTP_OK || v == RA_HTTP_BAD_BODY),
                    "body judged %s", ra_http_verdict_str(v));
    }
    FUZZ_ASSERT(v == ra_http_judge(status, body, blen, want), "not deterministic");
    FUZZ_ASSERT(ra_http_judge(status, body, blen, NULL) == (status == 200 ? RA_HTTP_OK
                : RA_HTTP_BAD_STATUS), "NULL expectation");
    free(want);
    return 0;
}
