/* pathset.c: confsync-watcher's set of relative paths with flags (the
 * paths queued for a peer), and joining relative paths.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include "watcher.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t path_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char) *s) * 1099511628211ULL;
    }
    return h;
}

void pathset_free(struct pathset *s)
{
    for (size_t i = 0; i < s->cap; i++) {
        free(s->keys[i]);
    }
    free(s->keys);
    free(s->flags);
    memset(s, 0, sizeof(*s));
}

static int pathset_insert(struct pathset *s, char *key, unsigned char flags);

static int pathset_grow(struct pathset *s)
{
    struct pathset bigger = { NULL, NULL, s->cap ? s->cap * 2 : 64, 0 };

    bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
    bigger.flags = calloc(bigger.cap, 1);
    if (bigger.keys == NULL || bigger.flags == NULL) {
        free(bigger.keys);
        free(bigger.flags);
        return -ENOMEM;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (s->keys[i] != NULL) {
            pathset_insert(&bigger, s->keys[i], s->flags[i]);
        }
    }
    free(s->keys);
    free(s->flags);
    *s = bigger;
    return 0;
}

/* Takes ownership of key. */
static int pathset_insert(struct pathset *s, char *key, unsigned char flags)
{
    size_t i = 0;

    if ((s->count + 1) * 2 > s->cap && pathset_grow(s) != 0) {
        free(key);
        return -ENOMEM;
    }
    i = path_hash(key) & (s->cap - 1);
    while (s->keys[i] != NULL) {
        if (strcmp(s->keys[i], key) == 0) {
            s->flags[i] |= flags;
            free(key);
            return 0;
        }
        i = (i + 1) & (s->cap - 1);
    }
    s->keys[i] = key;
    s->flags[i] = flags;
    s->count++;
    return 0;
}

int pathset_add(struct pathset *s, const char *path, unsigned char flags)
{
    char *key = strdup(path);

    return key == NULL ? -ENOMEM : pathset_insert(s, key, flags);
}

/* Moves every entry of from into to. */
void pathset_merge(struct pathset *to, struct pathset *from)
{
    for (size_t i = 0; i < from->cap; i++) {
        if (from->keys[i] != NULL) {
            pathset_insert(to, from->keys[i], from->flags[i]);
            from->keys[i] = NULL;
        }
    }
    pathset_free(from);
}

int path_join(char *buf, size_t len, const char *a, const char *b)
{
    int n = 0;

    if (a[0] == '\0') {
        n = snprintf(buf, len, "%s", b);
    } else if (b[0] == '\0') {
        n = snprintf(buf, len, "%s", a);
    } else {
        n = snprintf(buf, len, "%s/%s", a, b);
    }
    return (n < 0 || (size_t) n >= len) ? -ENAMETOOLONG : 0;
}
