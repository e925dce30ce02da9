/* fuzz_cs_excludes.c: confsync's excludes (words of a parameter, matched by
 * the watcher and written as the rsync filter file): a pattern is accepted
 * alone exactly when the check passes it; a list is refused at its first bad
 * pattern; an accepted list gives one "- pattern" line per pattern, the
 * pattern unchanged (anchored ones under the prefix), nothing rsync could
 * read as another rule; a literal pattern matches what it names.
 * Input: a flag byte, then NUL-separated fields: a path, the patterns.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <limits.h>

#include "cs_rules.h"
#include "fuzz.h"

#define MAX_WORDS 256
/* The prefix: none, or "/<folder name>" (wildcard characters included). */
static const char *const prefixes[] = { "", "/ctfreak", "/conf[1]", "/a\\b*?" };

/* The one line of word in the filter file, as it must be: "- ", then the
 * prefix of an anchored pattern as rsync reads it (a pattern with one of
 * "*?[" is a wildcard, where a backslash escapes; other text is plain),
 * then the pattern unchanged. */
static void line_check(const char *line, size_t n, const char *word, const char *prefix)
{
    const char *body = line + 2;
    size_t blen = n - 2;
    bool wild = false;
    size_t i = 0;
    size_t wlen = strlen(word);

    FUZZ_ASSERT(n > 2 && strncmp(line, "- ", 2) == 0, "line \"%.*s\"", (int) n, line);
    FUZZ_ASSERT(body[0] != ' ' && body[0] != '\t' && line[n - 1] != ' '
                && memchr(line, '\r', n) == NULL, "line \"%.*s\"", (int) n, line);
    for (size_t k = 0; k < blen; k++) {
        wild = wild || strchr("*?[", body[k]) != NULL;
    }
    for (const char *c = word[0] == '/' ? prefix : ""; *c != '\0'; c++, i++) {
        i += wild && i < blen && body[i] == '\\';
        FUZZ_ASSERT(i < blen && body[i] == *c, "line \"%.*s\": prefix %s read otherwise",
                    (int) n, line, prefix);
    }
    FUZZ_ASSERT(blen - i == wlen && strncmp(body + i, word, wlen) == 0,
                "line \"%.*s\" for pattern \"%s\"", (int) n, line, word);
}

static void filter_check(const struct cs_excludes *ex, const char *const *words,
                         size_t n, const char *prefix)
{
    size_t len = 0;
    char *text = cs_excludes_filter(ex, prefix, &len);
    const char *p = text;

    FUZZ_ASSERT(text != NULL && strlen(text) == len, "filter text of %zu bytes", len);
    for (size_t i = 0; i < n; i++) {
        const char *nl = strchr(p, '\n');

        FUZZ_ASSERT(nl != NULL, "line %zu missing", i);
        line_check(p, (size_t) (nl - p), words[i], prefix);
        p = nl + 1;
    }
    FUZZ_ASSERT(*p == '\0', "more lines than patterns: \"%s\"", p);
    free(text);
}

/* A pattern without wildcards matches the name it spells, where it must. */
static void literal_check(const char *w)
{
    struct cs_excludes ex = { 0 };
    const char *why = NULL;
    const char *bad = NULL;
    size_t len = strlen(w);
    bool dir_only = len > 1 && w[len - 1] == '/';
    char *name = strndup(w, dir_only ? len - 1 : len);
    char rel[PATH_MAX + 16];

    if (name == NULL || strpbrk(w, "*?[\\") != NULL
        || cs_excludes_build(&ex, &w, 1, &why, &bad) != 0) {
        cs_excludes_free(&ex);
        free(name);
        return;
    }
    if (strchr(name, '/') == NULL) {
        snprintf(rel, sizeof(rel), "sub/%s", name);
        FUZZ_ASSERT(cs_excludes_match(&ex, rel, name, true), "\"%s\" misses %s", w, rel);
        FUZZ_ASSERT(cs_excludes_match(&ex, rel, name, false) == !dir_only,
                    "\"%s\" on the file %s", w, rel);
    } else if (name[0] != '/') {
        const char *base = strrchr(name, '/') + 1;

        snprintf(rel, sizeof(rel), "sub/%s", name);
        FUZZ_ASSERT(cs_excludes_match(&ex, name, base, true)
                    && cs_excludes_match(&ex, rel, base, true), "\"%s\" misses %s", w, rel);
    } else if (name[1] != '\0') {
        const char *base = strrchr(name, '/') + 1;

        FUZZ_ASSERT(cs_excludes_match(&ex, name + 1, base, true), "\"%s\" misses %s",
                    w, name + 1);
        snprintf(rel, sizeof(rel), "sub%s", name);
        FUZZ_ASSERT(!cs_excludes_match(&ex, rel, base, true), "anchored \"%s\" matches %s",
                    w, rel);
    }
    cs_excludes_free(&ex);
    free(name);
}

static size_t slashes(const char *s, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        k += s[i] == '/';
    }
    return k;
}

/* As in rsync, a '*' or '?' of a pattern without "**" never stands for a '/':
 * a path it matches has as many components (anchored) or more (not). */
static void slash_check(const char *w, const char *rel, bool matched)
{
    size_t len = strlen(w);
    size_t core = len > 1 && w[len - 1] == '/' ? len - 1 : len;

    /* A class or an escape may hold a '/' that separates nothing. */
    if (!matched || strstr(w, "**") != NULL || memchr(w, '/', core) == NULL
        || strpbrk(w, "[\\") != NULL) {
        return;
    }
    if (w[0] == '/') {
        FUZZ_ASSERT(slashes(rel, strlen(rel)) + 1 == slashes(w, core),
                    "\"%s\" matches %s", w, rel);
    } else {
        FUZZ_ASSERT(slashes(rel, strlen(rel)) >= slashes(w, core), "\"%s\" matches %s",
                    w, rel);
    }
}

/* The list's verdict against each pattern's own. */
static void list_check(const char *const *words, size_t n, const char *rel, bool isdir,
                       const char *prefix)
{
    struct cs_excludes ex;
    struct cs_excludes one;
    const char *why = NULL;
    const char *bad = NULL;
    const char *name = strrchr(rel, '/') != NULL ? strrchr(rel, '/') + 1 : rel;
    size_t first_bad = n;
    bool any = false;
    bool matched;
    int rc;

    for (size_t i = 0; i < n; i++) {
        const char *w1 = cs_exclude_why_bad(words[i]);

        rc = cs_excludes_build(&one, &words[i], 1, &why, &bad);
        FUZZ_ASSERT((rc == 0) == (w1 == NULL), "\"%s\": check and build disagree",
                    words[i]);
        FUZZ_ASSERT(w1 == NULL || (why == w1 && bad == words[i]), "reason for \"%s\"",
                    words[i]);
        first_bad = w1 != NULL && first_bad == n ? i : first_bad;
        matched = rc == 0 && cs_excludes_match(&one, rel, name, isdir);
        slash_check(words[i], rel, matched);
        any = any || matched;
        cs_excludes_free(&one);
        literal_check(words[i]);
    }
    why = NULL;
    bad = NULL;
    rc = cs_excludes_build(&ex, words, n, &why, &bad);
    if (first_bad < n) {
        FUZZ_ASSERT(rc == -EINVAL && bad == words[first_bad] && why != NULL,
                    "list with a bad pattern: rc %d", rc);
    } else {
        FUZZ_ASSERT(rc == 0 && ex.n == n, "good list: rc %d", rc);
        FUZZ_ASSERT(cs_excludes_match(&ex, rel, name, isdir) == any,
                    "list and patterns disagree on %s", rel);
        filter_check(&ex, words, n, prefix);
    }
    cs_excludes_free(&ex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *words[MAX_WORDS];
    char *text;
    const char *rel;
    size_t n = 0;
    size_t start;

    if (size < 1) {
        return 0;
    }
    text = fuzz_cstr(data + 1, size - 1);
    rel = text;
    start = strlen(text) + 1;
    /* The copy keeps the NUL bytes (and ends with one): the patterns. */
    while (start < size && n < MAX_WORDS) {
        words[n++] = text + start;
        start += strlen(text + start) + 1;
    }
    list_check(words, n, rel, data[0] & 1, prefixes[(data[0] >> 1) % 4]);
    free(text);
    return 0;
}
