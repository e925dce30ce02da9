/* fuzz_candidates.c: the notification node lists (Pacemaker's
 * OCF_RESKEY_CRM_meta_notify_*_uname, of any length) parsed by
 * ra_notify_parse: ra_notify_has finds exactly the blank-separated words, and
 * ra_notify_nodes_after (the election's candidates) lists the words of active
 * and start, in order, that are neither in stop nor self, each followed by
 * one space.  Input: active, start, stop, self separated by NUL
 * bytes (a list left out is unset).  Licence: GPL-2.0-or-later. */
#include "config.h"

#include "fuzz.h"
#include "notify.h"

#define FIELDS 4

/* The reference: word is one of the " \t"-separated words of list. */
static bool ref_has(const char *list, const char *word)
{
    char *copy = list != NULL ? strdup(list) : NULL;
    char *save = NULL;
    bool found = false;

    for (char *w = copy != NULL ? strtok_r(copy, " \t", &save) : NULL;
         w != NULL && !found; w = strtok_r(NULL, " \t", &save)) {
        found = strcmp(w, word) == 0;
    }
    free(copy);
    return found;
}

/* Appends the kept words of list to want (each followed by a space). */
static void ref_keep(FILE *want, const struct ra_notify *n, enum ra_notify_list l,
                     const char *list, const char *stop, const char *self)
{
    char *copy = list != NULL ? strdup(list) : NULL;
    char *save = NULL;

    for (char *w = copy != NULL ? strtok_r(copy, " \t", &save) : NULL;
         w != NULL; w = strtok_r(NULL, " \t", &save)) {
        FUZZ_ASSERT(ra_notify_has(n, l, w), "\"%s\" not found in its list", w);
        FUZZ_ASSERT(ra_notify_has(n, RA_NODES_STOP, w) == ref_has(stop, w),
                    "\"%s\" in stop", w);
        if (!ref_has(stop, w) && strcmp(w, self) != 0) {
            fprintf(want, "%s ", w);
        }
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    const char *f[FIELDS] = { NULL, NULL, NULL, "" };
    static const char *const vars[] = { "active", "start", "stop" };
    char *env[FIELDS] = { NULL };
    struct ra_notify n;
    char *want = NULL;
    size_t wlen = 0;
    FILE *w;
    char *got;

    /* Lists of some hundred names (the stack overflow was at 2 kB); the
     * reference is quadratic: longer inputs only slow the search down. */
    if (size > 6000) {
        return 0;
    }
    text = fuzz_cstr(data, size);
    /* The copy keeps the NUL bytes (and ends with one): the fields. */
    for (size_t i = 0, start = 0; i < FIELDS && start <= size; i++) {
        f[i] = text + start;
        start += strlen(text + start) + 1;
    }
    for (size_t i = 0; i < 3; i++) {
        if (f[i] != NULL && asprintf(&env[i], "OCF_RESKEY_CRM_meta_notify_%s_uname=%s",
                                     vars[i], f[i]) < 0) {
            abort();
        }
    }
    /* an unset list ends the array early: the lists after it are unset too */
    if (ra_notify_parse(&n, env) != 0) {
        abort();
    }
    w = open_memstream(&want, &wlen);
    if (w == NULL) {
        abort();
    }
    ref_keep(w, &n, RA_NODES_ACTIVE, f[0], f[2], f[3]);
    ref_keep(w, &n, RA_NODES_START, f[1], f[2], f[3]);
    if (fclose(w) != 0) {
        abort();
    }
    got = ra_notify_nodes_after(&n, f[3]);
    FUZZ_ASSERT(got != NULL, "NULL");
    FUZZ_ASSERT(strcmp(got, want) == 0, "candidates \"%s\", expected \"%s\"", got, want);
    FUZZ_ASSERT(!ra_notify_has(&n, RA_NODES_ACTIVE, "")
                && !ra_notify_has(&n, RA_NODES_ACTIVE, NULL), "empty or NULL");
    FUZZ_ASSERT(ra_notify_has(&n, RA_NODES_STOP, f[3]) == ref_has(f[2], f[3]),
                "\"%s\" in stop", f[3]);
    ra_notify_free(&n);
    for (size_t i = 0; i < FIELDS; i++) {
        free(env[i]);
    }
    free(got);
    free(want);
    free(text);
    return 0;
}
