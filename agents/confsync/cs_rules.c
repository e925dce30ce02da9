/* cs_rules.c: confsync's exclude patterns and peer lists, checked, matched
 * and written as rsync filter rules; pure functions (no I/O).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include "cs_rules.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cs_exclude_why_bad(const char *pattern)
{
    size_t n = strlen(pattern);

    if (n == 0) {
        return "an empty pattern";
    }
    if (n >= PATH_MAX) {
        return "a pattern longer than a path";
    }
    for (const char *c = pattern; *c != '\0'; c++) {
        if (iscntrl((unsigned char) *c)) {
            return "control character in a pattern";
        }
    }
    if (strcmp(pattern, "!") == 0) {
        return "\"!\" is rsync's clear-the-list rule, not a pattern";
    }
    if (n >= 2 && (pattern[0] == '+' || pattern[0] == '-')
        && pattern[1] == ' ') {
        return "a pattern starting with an rsync filter rule prefix "
               "(\"+ \", \"- \"...)";
    }
    if (isspace((unsigned char) pattern[0])
        || isspace((unsigned char) pattern[n - 1])) {
        return "a pattern starting or ending with a blank";
    }
    if (strcmp(pattern, "/") == 0) {
        return "\"/\" would exclude the whole folder";
    }
    return NULL;
}

void cs_excludes_free(struct cs_excludes *ex)
{
    for (size_t i = 0; ex->pat != NULL && i < ex->n; i++) {
        free(ex->pat[i]);
    }
    free(ex->pat);
    free(ex->dir_only);
    ex->pat = NULL;
    ex->dir_only = NULL;
    ex->n = 0;
}

int cs_excludes_build(struct cs_excludes *ex, const char *const *words,
                      size_t n, const char **why, const char **bad)
{
    memset(ex, 0, sizeof(*ex));
    ex->pat = calloc(n + 1, sizeof(*ex->pat));
    ex->dir_only = calloc(n + 1, sizeof(*ex->dir_only));
    if (ex->pat == NULL || ex->dir_only == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const char *w = words[i];
        size_t len = strlen(w);

        *why = cs_exclude_why_bad(w);
        if (*why != NULL) {
            *bad = w;
            return -EINVAL;
        }
        ex->dir_only[i] = len > 1 && w[len - 1] == '/';
        ex->pat[i] = strndup(w, ex->dir_only[i] ? len - 1 : len);
        if (ex->pat[i] == NULL) {
            return -ENOMEM;
        }
        ex->n++;
    }
    return 0;
}

/* rsync's reading of a pattern holding a '/' or "**": a wildcard stops at
 * slashes unless the pattern holds "**"; an anchored pattern ("/x") matches
 * the whole path, another one any tail of whole components. */
static bool path_match(const char *pat, const char *rel)
{
    int flags = strstr(pat, "**") != NULL ? 0 : FNM_PATHNAME;

    if (pat[0] == '/') {
        return fnmatch(pat + 1, rel, flags) == 0;
    }
    for (const char *p = rel; p != NULL; p = strchr(p, '/')) {
        p += *p == '/';
        if (fnmatch(pat, p, flags) == 0) {
            return true;
        }
    }
    return false;
}

bool cs_excludes_match(const struct cs_excludes *ex, const char *rel,
                       const char *name, bool isdir)
{
    for (size_t i = 0; i < ex->n; i++) {
        const char *pat = ex->pat[i];

        if (ex->dir_only[i] && !isdir) {
            continue;
        }
        if (strchr(pat, '/') == NULL && strstr(pat, "**") == NULL) {
            if (fnmatch(pat, name, 0) == 0) {
                return true;
            }
        } else if (path_match(pat, rel)) {
            return true;
        }
    }
    return false;
}

/* Writes the prefix (a folder name) of an anchored pattern so that rsync
 * reads it literally: rsync matches a pattern holding one of "*?[" as a
 * wildcard, where a backslash escapes, and any other pattern as plain text. */
static void prefix_write(FILE *f, const char *prefix, const char *pat)
{
    bool wild = strpbrk(prefix, "*?[") != NULL || strpbrk(pat, "*?[") != NULL;

    for (const char *c = prefix; *c != '\0'; c++) {
        if (wild && strchr("*?[\\", *c) != NULL) {
            fputc('\\', f);
        }
        fputc(*c, f);
    }
}

char *cs_excludes_filter(const struct cs_excludes *ex, const char *prefix,
                         size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);

    if (f == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < ex->n; i++) {
        const char *pat = ex->pat[i];

        fputs("- ", f);
        if (pat[0] == '/') {
            prefix_write(f, prefix, pat);
        }
        fprintf(f, "%s%s\n", pat, ex->dir_only[i] ? "/" : "");
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static bool chars_ok(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char) s[i]) && strchr(extra, s[i]) == NULL) {
            return false;
        }
    }
    return true;
}

static int port_parse(const char *s, struct cs_peer_spec *p, const char **why)
{
    char *end = NULL;
    long v = 0;

    if (*s < '0' || *s > '9' || strlen(s) > 5) {
        *why = "a peer port is not a number from 1 to 65535";
        return -EINVAL;
    }
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < 1 || v > 65535) {
        *why = "a peer port is not a number from 1 to 65535";
        return -EINVAL;
    }
    snprintf(p->port, sizeof(p->port), "%ld", v);
    return 0;
}

int cs_peer_parse(const char *spec, struct cs_peer_spec *p, const char **why)
{
    const char *eq = strchr(spec, '=');
    const char *addr = eq != NULL ? eq + 1 : NULL;
    const char *colon = NULL;
    size_t hlen = 0;

    memset(p, 0, sizeof(*p));
    if (eq == NULL || eq == spec || addr[0] == '\0') {
        *why = "expected node=address pairs";
        return -EINVAL;
    }
    if ((size_t) (eq - spec) > CS_NODE_MAX || strlen(addr) > CS_HOST_MAX) {
        *why = "a node name (63) or an address (120 characters) is too long";
        return -EINVAL;
    }
    if (!chars_ok(spec, (size_t) (eq - spec), "._-")
        || !chars_ok(addr, strlen(addr), ".:-_") || addr[0] == '-') {
        *why = "a node name or address holds a character other than "
               "letters, digits and \".:-_\"";
        return -EINVAL;
    }
    memcpy(p->node, spec, (size_t) (eq - spec));
    colon = strrchr(addr, ':');
    hlen = strlen(addr);
    if (colon != NULL && strchr(addr, ':') == colon) {
        hlen = (size_t) (colon - addr);
        if (hlen == 0 || port_parse(colon + 1, p, why) != 0) {
            *why = hlen == 0 ? "a peer address is empty" : *why;
            return -EINVAL;
        }
    }
    memcpy(p->host, addr, hlen);
    return 0;
}
