/* attr_cache.c: the per-resource cache of the node attributes attr.c
 * wrote, a small "key<TAB>value<TAB>stamp" file in HA_RSCTMP.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "attr_cache.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A cached value is trusted this long; then it is written again, in case
 * Pacemaker erased it (a node leaving the cluster drops its attributes). */
#define ATTR_CACHE_TTL_S 300

struct cache_entry {
    char *key;
    char *value;
    long long stamp;
};

struct ra_attr_cache {
    char *path;
    struct cache_entry *entries;
    size_t count;
    bool dirty;
};

static long long wall_s(void)
{
    return (long long) time(NULL);
}

static int cache_add(struct ra_attr_cache *c, const char *key, const char *value,
                     long long stamp)
{
    struct cache_entry *grown = realloc(c->entries, (c->count + 1) * sizeof(*grown));

    if (grown == NULL) {
        return -ENOMEM;
    }
    c->entries = grown;
    grown[c->count].key = strdup(key);
    grown[c->count].value = strdup(value);
    grown[c->count].stamp = stamp;
    if (grown[c->count].key == NULL || grown[c->count].value == NULL) {
        free(grown[c->count].key);
        free(grown[c->count].value);
        return -ENOMEM;
    }
    c->count++;
    return 0;
}

/* Parses "key\tvalue\tstamp" lines; malformed lines are skipped. */
static void cache_parse(struct ra_attr_cache *c, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;

    /* whole lines, however long (a cut line would split into bogus entries) */
    while (getline(&line, &cap, f) > 0) {
        char *t1 = strchr(line, '\t');
        char *t2 = t1 != NULL ? strchr(t1 + 1, '\t') : NULL;

        if (t2 == NULL) {
            continue;
        }
        *t1 = '\0';
        *t2 = '\0';
        line[strcspn(line, "\n")] = '\0';
        t2[1 + strcspn(t2 + 1, "\n")] = '\0';
        (void) cache_add(c, line, t1 + 1, atoll(t2 + 1));
    }
    free(line);
}

struct ra_attr_cache *ra_attr_cache_open(const char *path)
{
    struct ra_attr_cache *c = calloc(1, sizeof(*c));
    FILE *f;

    if (c == NULL) {
        return NULL;
    }
    c->path = strdup(path);
    if (c->path == NULL) {
        free(c);
        return NULL;
    }
    f = fopen(path, "re");
    if (f != NULL) {
        cache_parse(c, f);
        fclose(f);
    }
    return c;
}

static struct cache_entry *cache_find(const struct ra_attr_cache *c, const char *key)
{
    for (size_t i = 0; i < c->count; i++) {
        if (strcmp(c->entries[i].key, key) == 0) {
            return &c->entries[i];
        }
    }
    return NULL;
}

const char *ra_attr_cache_get(const struct ra_attr_cache *c, const char *key)
{
    const struct cache_entry *e = cache_find(c, key);

    if (e == NULL || wall_s() - e->stamp > ATTR_CACHE_TTL_S || wall_s() < e->stamp) {
        return NULL;
    }
    return e->value;
}

const char *ra_attr_cache_peek(const struct ra_attr_cache *c, const char *key)
{
    const struct cache_entry *e = cache_find(c, key);

    return e != NULL ? e->value : NULL;
}

int ra_attr_cache_put(struct ra_attr_cache *c, const char *key, const char *value)
{
    struct cache_entry *e = cache_find(c, key);
    char *v;

    if (strchr(key, '\t') != NULL || strchr(key, '\n') != NULL
        || strchr(value, '\t') != NULL || strchr(value, '\n') != NULL) {
        return -EINVAL;     /* not representable: simply not cached */
    }
    c->dirty = true;
    if (e == NULL) {
        return cache_add(c, key, value, wall_s());
    }
    v = strdup(value);
    if (v == NULL) {
        return -ENOMEM;
    }
    free(e->value);
    e->value = v;
    e->stamp = wall_s();
    return 0;
}

int ra_attr_cache_save(struct ra_attr_cache *c)
{
    char tmp[4096];
    FILE *f;
    int rc = 0;

    if (!c->dirty) {
        return 0;
    }
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", c->path) >= (int) sizeof(tmp)) {
        return -ENAMETOOLONG;
    }
    f = fopen(tmp, "we");
    if (f == NULL) {
        return -errno;
    }
    for (size_t i = 0; i < c->count; i++) {
        fprintf(f, "%s\t%s\t%lld\n", c->entries[i].key, c->entries[i].value,
                c->entries[i].stamp);
    }
    if (fclose(f) != 0) {
        rc = -errno;
    }
    if (rc == 0 && rename(tmp, c->path) != 0) {
        rc = -errno;
    }
    if (rc != 0) {
        unlink(tmp);
    } else {
        c->dirty = false;
    }
    return rc;
}

void ra_attr_cache_close(struct ra_attr_cache *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->count; i++) {
        free(c->entries[i].key);
        free(c->entries[i].value);
    }
    free(c->entries);
    free(c->path);
    free(c);
}
