/* fuzz_lsn.c: pgi_lsn_parse, and pgi_diverged with a primary's view built
 * from the input (timeline, flush position, TIMELINE_HISTORY text: what a
 * primary, or whoever answers on its address, sends back).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <inttypes.h>

#include "fuzz.h"
#include "parse.h"

static uint64_t u64_at(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static unsigned u32_at(const uint8_t *p)
{
    return (unsigned) p[0] << 24 | (unsigned) p[1] << 16 | (unsigned) p[2] << 8 | p[3];
}

/* Any text: parsing never fails to terminate, and a format round trip holds. */
static void lsn_check(const char *text, uint64_t any)
{
    char buf[32];
    uint64_t back = 0;

    (void) pgi_lsn_parse(text, &back);
    pgi_lsn_format(any, buf, sizeof(buf));
    FUZZ_ASSERT(pgi_lsn_parse(buf, &back) == 0 && back == any,
                "%s reads back as %" PRIx64, buf, back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pg_primary_view v = { 0 };
    char why[256];
    unsigned tli;
    uint64_t lsn;
    bool diverged;

    if (size < 25) {
        return 0;
    }
    v.tli = u32_at(data) % 8;           /* small timelines meet the history */
    v.flush = u64_at(data + 4);
    tli = u32_at(data + 12) % 8;
    lsn = u64_at(data + 16);
    v.is_standby = data[24] & 1;
    v.history = data[24] & 2 ? NULL : fuzz_cstr(data + 25, size - 25);

    lsn_check(v.history != NULL ? v.history : "", lsn);
    why[0] = '\0';
    diverged = pgi_diverged(&v, tli, lsn, why, sizeof(why));
    FUZZ_ASSERT(strnlen(why, sizeof(why)) < sizeof(why) && why[0] != '\0',
                "no reason given");
    if (tli == v.tli) {
        FUZZ_ASSERT(diverged == (lsn > v.flush), "same timeline: %s", why);
    } else if (tli > v.tli) {
        FUZZ_ASSERT(diverged, "a newer local timeline is not on the primary: %s", why);
    } else if (lsn == 0) {
        /* Nothing written on the local timeline: nothing to diverge with,
         * unless the timeline is unknown to the primary. */
        FUZZ_ASSERT(!diverged || strstr(why, "not in the history") != NULL, "%s", why);
    }
    free(v.history);
    return 0;
}
