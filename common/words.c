/* words.c: a parameter's value split into words (args, start_opts,
 * excludes, peers): quotes and backslashes group, nothing is expanded.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "words.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void ra_words_free(char **words)
{
    if (words == NULL) {
        return;
    }
    for (size_t i = 0; words[i] != NULL; i++) {
        free(words[i]);
    }
    free(words);
}

/* Appends one finished word to the array. */
static int words_push(char ***words, size_t *n, const char *w, size_t len)
{
    char **grown = realloc(*words, (*n + 2) * sizeof(**words));

    if (grown == NULL) {
        return -ENOMEM;
    }
    *words = grown;
    grown[*n] = strndup(w, len);
    if (grown[*n] == NULL) {
        return -ENOMEM;
    }
    (*n)++;
    grown[*n] = NULL;
    return 0;
}

char **ra_words_split(const char *s, const char **err)
{
    char **words = calloc(1, sizeof(*words));
    size_t n = 0;
    size_t cap = strlen(s) + 1;
    char *buf = malloc(cap);
    size_t blen = 0;
    bool in_word = false;
    char quote = '\0';

    *err = NULL;
    if (words == NULL || buf == NULL) {
        *err = "out of memory";
        goto fail;
    }
    for (const char *p = s;; p++) {
        char c = *p;

        if (c == '\0') {
            if (quote != '\0') {
                *err = "has an unterminated quote";
                goto fail;
            }
            break;
        }
        if (quote == '\'' ) {
            if (c == '\'') {
                quote = '\0';
            } else {
                buf[blen++] = c;
            }
            continue;
        }
        if (c == '\\') {
            if (p[1] == '\0') {
                *err = "ends with a lone backslash";
                goto fail;
            }
            buf[blen++] = *++p;
            in_word = true;
            continue;
        }
        if (quote == '"') {
            if (c == '"') {
                quote = '\0';
            } else {
                buf[blen++] = c;
            }
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word && words_push(&words, &n, buf, blen) != 0) {
                *err = "out of memory";
                goto fail;
            }
            in_word = false;
            blen = 0;
            continue;
        }
        buf[blen++] = c;
        in_word = true;
    }
    if (in_word && words_push(&words, &n, buf, blen) != 0) {
        *err = "out of memory";
        goto fail;
    }
    free(buf);
    return words;

fail:
    free(buf);
    ra_words_free(words);
    return NULL;
}
