/* fuzz_parse_values.c: ra_parse_bool, ra_parse_int and ra_parse_duration_ms
 * on the same text: an accepted value is exactly what it claims to be.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <strings.h>

#include "fuzz.h"
#include "params.h"

static void bool_check(const char *s)
{
    static const char *const words[] = { "1", "true", "yes", "on", "y",
                                         "0", "false", "no", "off", "n", NULL };
    bool b = false;
    bool listed = false;

    for (size_t i = 0; words[i] != NULL; i++) {
        listed = listed || strcasecmp(s, words[i]) == 0;
    }
    FUZZ_ASSERT((ra_parse_bool(s, &b) == 0) == listed, "bool \"%s\"", s);
}

/* An accepted integer prints back as itself (modulo a sign and zeros). */
static void int_check(const char *s)
{
    long long v = 0;
    char back[32];
    const char *digits = s;

    if (ra_parse_int(s, &v) != 0) {
        return;
    }
    if (*digits == '+' || *digits == '-') {
        digits++;
    }
    FUZZ_ASSERT(*digits != '\0', "int \"%s\" without digits", s);
    for (const char *c = digits; *c != '\0'; c++) {
        FUZZ_ASSERT(isdigit((unsigned char) *c), "int \"%s\" holds '%c'", s, *c);
    }
    while (digits[0] == '0' && digits[1] != '\0') {
        digits++;
    }
    snprintf(back, sizeof(back), "%lld", v);
    FUZZ_ASSERT(strcmp(back[0] == '-' ? back + 1 : back, digits) == 0,
                "int \"%s\" read as %lld", s, v);
    FUZZ_ASSERT((v < 0) == (s[0] == '-' && strcmp(digits, "0") != 0),
                "int \"%s\" read as %lld", s, v);
}

/* An accepted duration is digits and a known unit, never negative. */
static void duration_check(const char *s)
{
    static const char *const units[] = { "", "s", "sec", "ms", "msec", "m", "min", NULL };
    long ms = -1;
    const char *u = s;
    bool known = false;

    if (ra_parse_duration_ms(s, &ms) != 0) {
        return;
    }
    FUZZ_ASSERT(ms >= 0, "duration \"%s\" gives %ld ms", s, ms);
    while (isdigit((unsigned char) *u)) {
        u++;
    }
    FUZZ_ASSERT(u != s, "duration \"%s\" without digits", s);
    for (size_t i = 0; units[i] != NULL; i++) {
        known = known || strcmp(u, units[i]) == 0;
    }
    FUZZ_ASSERT(known, "duration \"%s\" with unit \"%s\"", s, u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);

    bool_check(s);
    int_check(s);
    duration_check(s);
    free(s);
    return 0;
}
