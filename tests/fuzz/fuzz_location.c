/* fuzz_location.c: pgi_location_parse on "tli:X/Y[:last-primary]" (node
 * attributes read in the pre-promote election): a location published by
 * the agent reads back the same, and an accepted timeline is the decimal
 * number the text starts with (no sign, no wrap).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <inttypes.h>

#include "fuzz.h"
#include "parse.h"

/* What the text starts with as a decimal number, or -1 (none, too big). */
static long long tli_prefix(const char *s)
{
    long long v = 0;

    if (*s < '0' || *s > '9') {
        return -1;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
        if (v > UINT32_MAX) {
            return -1;
        }
    }
    return *s == ':' ? v : -1;
}

/* location_publish's format reads back unchanged. */
static void round_trip(const uint8_t *d)
{
    unsigned tli = (unsigned) d[0] << 24 | (unsigned) d[1] << 16 | (unsigned) d[2] << 8 | d[3];
    uint64_t lsn = 0;
    bool claim = d[12] & 1;
    char loc[64];
    char buf[32];
    unsigned t = 0;
    uint64_t l = 0;
    bool last = !claim;

    for (int i = 4; i < 12; i++) {
        lsn = lsn << 8 | d[i];
    }
    pgi_lsn_format(lsn, buf, sizeof(buf));
    snprintf(loc, sizeof(loc), "%u:%s%s", tli, buf, claim ? ":last-primary" : "");
    FUZZ_ASSERT(pgi_location_parse(loc, &t, &l, &last) == 0, "%s refused", loc);
    FUZZ_ASSERT(t == tli && l == lsn && last == claim, "%s read as %u:%" PRIx64 " %d",
                loc, t, l, last);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    unsigned tli = 0;
    uint64_t lsn = 0;
    bool last = false;

    if (size < 13) {
        return 0;
    }
    round_trip(data);
    text = fuzz_cstr(data + 13, size - 13);
    if (pgi_location_parse(text, &tli, &lsn, &last) == 0) {
        FUZZ_ASSERT(tli_prefix(text) == (long long) tli, "\"%s\" read as timeline %u",
                    text, tli);
        FUZZ_ASSERT(last == (strstr(text, ":last-primary") != NULL), "\"%s\": claim %d",
                    text, last);
    }
    free(text);
    return 0;
}
