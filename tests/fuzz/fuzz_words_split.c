/* fuzz_words_split.c: ra_words_split (args, start_opts, excludes, peers):
 * quoting every word and splitting again gives the same words; a text
 * without quotes or backslashes splits like strtok at blanks.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <stdbool.h>

#include "fuzz.h"
#include "words.h"

/* Appends w in single quotes (a ' as '\'') to out at *o. */
static void quote_append(char *out, size_t *o, const char *w)
{
    out[(*o)++] = '\'';
    for (const char *c = w; *c != '\0'; c++) {
        if (*c == '\'') {
            memcpy(out + *o, "'\\''", 4);
            *o += 4;
        } else {
            out[(*o)++] = *c;
        }
    }
    out[(*o)++] = '\'';
    out[(*o)++] = ' ';
    out[*o] = '\0';
}

static char *words_join(char **words, size_t len)
{
    char *out = malloc(8 * len + 8);
    size_t o = 0;

    if (out == NULL) {
        abort();
    }
    out[0] = '\0';
    for (size_t i = 0; words[i] != NULL; i++) {
        quote_append(out, &o, words[i]);
    }
    return out;
}

static void same_words(char **a, char **b)
{
    size_t i = 0;

    for (; a[i] != NULL && b[i] != NULL; i++) {
        FUZZ_ASSERT(strcmp(a[i], b[i]) == 0, "word %zu: \"%s\" != \"%s\"", i, a[i], b[i]);
    }
    FUZZ_ASSERT(a[i] == NULL && b[i] == NULL, "different word counts");
}

/* Without quotes or backslashes, the words are the blank-separated fields. */
static void plain_check(const char *s, char **words)
{
    char *copy;
    char *save = NULL;
    size_t i = 0;

    if (strpbrk(s, "'\"\\") != NULL) {
        return;
    }
    copy = strdup(s);
    if (copy == NULL) {
        abort();
    }
    for (char *t = strtok_r(copy, " \t\n", &save); t != NULL;
         t = strtok_r(NULL, " \t\n", &save), i++) {
        FUZZ_ASSERT(words[i] != NULL && strcmp(words[i], t) == 0,
                    "field %zu \"%s\"", i, t);
    }
    FUZZ_ASSERT(words[i] == NULL, "more words than fields");
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    const char *err = NULL;
    char **words = ra_words_split(s, &err);

    if (words == NULL) {
        FUZZ_ASSERT(err != NULL && *err != '\0', "NULL without a reason");
    } else {
        const char *err2 = NULL;
        char *joined = words_join(words, strlen(s) + 1);
        char **again = ra_words_split(joined, &err2);

        FUZZ_ASSERT(err == NULL, "words and a reason");
        FUZZ_ASSERT(again != NULL, "re-split of \"%s\": %s", joined, err2);
        same_words(words, again);
        plain_check(s, words);
        ra_words_free(again);
        free(joined);
    }
    ra_words_free(words);
    free(s);
    return 0;
}
