/* fuzz_param_check.c: ra_param_check against the real parameter tables of
 * the three agents (generated from ocf-metadata/<agent>.xml): the first input byte
 * picks a parameter, the rest is its value.  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <stdbool.h>

#include "fuzz.h"
#include "params.h"

extern const struct ra_param_def ctfreak_params[];
extern const struct ra_param_def pgsql_params[];
extern const struct ra_param_def confsync_params[];

static size_t table_len(const struct ra_param_def *t)
{
    size_t n = 0;

    while (t[n].name != NULL) {
        n++;
    }
    return n;
}

/* The parameter number i over the three tables (i modulo their total). */
static const struct ra_param_def *param_pick(unsigned i)
{
    const struct ra_param_def *tables[] = { ctfreak_params, pgsql_params,
                                            confsync_params };
    size_t total = 0;

    for (size_t t = 0; t < 3; t++) {
        total += table_len(tables[t]);
    }
    i %= (unsigned) total;
    for (size_t t = 0; t < 3; t++) {
        size_t n = table_len(tables[t]);

        if (i < n) {
            return &tables[t][i];
        }
        i -= (unsigned) n;
    }
    abort();
}

static bool option_listed(const char *options, const char *v)
{
    size_t len = strlen(v);

    for (const char *p = options; p != NULL; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL) {
        if (strncmp(p, v, len) == 0 && (p[len] == '|' || p[len] == '\0')) {
            return true;
        }
    }
    return false;
}

/* What an accepted value must be, by type. */
static void accepted_check(const struct ra_param_def *def, const char *v)
{
    bool has_bounds = def->min <= def->max;
    long long n = 0;
    long ms = 0;
    bool b = false;

    switch (def->type) {
    case RA_PARAM_STRING:
        break;
    case RA_PARAM_PATH:
        FUZZ_ASSERT(v[0] == '/', "%s=\"%s\" is not absolute", def->name, v);
        for (const char *c = v; *c != '\0'; c++) {
            FUZZ_ASSERT((unsigned char) *c >= 0x20 && *c != 0x7f,
                        "%s: a control character accepted", def->name);
        }
        break;
    case RA_PARAM_NAME:
        FUZZ_ASSERT(v[0] != '-', "%s=\"%s\" looks like an option", def->name, v);
        FUZZ_ASSERT(strlen(v) <= 63, "%s: a name over 63 bytes accepted", def->name);
        for (const char *c = v; *c != '\0'; c++) {
            FUZZ_ASSERT((unsigned char) *c > 0x20 && *c != 0x7f,
                        "%s: a blank or control character accepted", def->name);
        }
        break;
    case RA_PARAM_BOOLEAN:
        FUZZ_ASSERT(ra_parse_bool(v, &b) == 0, "%s=\"%s\"", def->name, v);
        break;
    case RA_PARAM_SELECT:
        FUZZ_ASSERT(option_listed(def->options, v), "%s=\"%s\" not in %s",
                    def->name, v, def->options);
        break;
    case RA_PARAM_INTEGER:
        FUZZ_ASSERT(ra_parse_int(v, &n) == 0, "%s=\"%s\"", def->name, v);
        FUZZ_ASSERT(!has_bounds || (n >= def->min && n <= def->max),
                    "%s=%lld out of [%lld, %lld]", def->name, n, def->min, def->max);
        break;
    case RA_PARAM_SECOND:
        FUZZ_ASSERT(ra_parse_duration_ms(v, &ms) == 0, "%s=\"%s\"", def->name, v);
        FUZZ_ASSERT(ms >= 0, "%s=\"%s\" gives %ld ms", def->name, v, ms);
        FUZZ_ASSERT(!has_bounds || (ms >= def->min * 1000 && ms <= def->max * 1000),
                    "%s=%ld ms out of [%lld, %lld] s", def->name, ms, def->min, def->max);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct ra_param_def *def;
    const char *why;
    char *v;

    if (size < 1) {
        return 0;
    }
    def = param_pick(data[0]);
    v = fuzz_cstr(data + 1, size - 1);
    why = ra_param_check(def, v);
    if (*v == '\0') {
        FUZZ_ASSERT((why == NULL) == !def->required, "%s empty", def->name);
    } else if (why == NULL) {
        accepted_check(def, v);
    } else {
        FUZZ_ASSERT(*why != '\0', "%s: an empty reason", def->name);
    }
    /* The same value in the default must never be rejected by the check
     * that accepted the table (a default is always valid). */
    if (def->def != NULL) {
        FUZZ_ASSERT(ra_param_check(def, def->def) == NULL, "default of %s", def->name);
    }
    free(v);
    return 0;
}
