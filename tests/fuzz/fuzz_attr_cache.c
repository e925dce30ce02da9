/* fuzz_attr_cache.c: the attribute cache file (HA_RSCTMP, written by the
 * agent, readable by whoever can write that folder): ra_attr_cache_open on a
 * file holding the input; a value put and saved reads back the same.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include "attr_cache.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    struct ra_attr_cache *c;
    const char *v;

    snprintf(path, sizeof(path), "%s/cache", fuzz_scratch());
    fuzz_write_file(path, data, size);
    c = ra_attr_cache_open(path);
    FUZZ_ASSERT(c != NULL, "open");
    /* Keys as the agents write them, and one from the input. */
    (void) ra_attr_cache_get(c, "private|node1|master-pgsqld");
    (void) ra_attr_cache_get(c, "");
    FUZZ_ASSERT(ra_attr_cache_put(c, "transient|n1|lag", "42") == 0, "put");
    FUZZ_ASSERT(ra_attr_cache_put(c, "bad\tkey", "1") != 0, "a tab in a key is refused");
    FUZZ_ASSERT(ra_attr_cache_put(c, "k", "two\nlines") != 0, "a newline in a value is refused");
    v = ra_attr_cache_get(c, "transient|n1|lag");
    FUZZ_ASSERT(v != NULL && strcmp(v, "42") == 0, "get after put");
    FUZZ_ASSERT(ra_attr_cache_save(c) == 0, "save");
    ra_attr_cache_close(c);

    c = ra_attr_cache_open(path);
    FUZZ_ASSERT(c != NULL, "reopen");
    v = ra_attr_cache_get(c, "transient|n1|lag");
    FUZZ_ASSERT(v != NULL && strcmp(v, "42") == 0, "the saved value reads back (%s)",
                v != NULL ? v : "(none)");
    ra_attr_cache_close(c);
    return 0;
}
