/* fuzz_cs_peer.c: confsync's peers parameter, split into words and each
 * read by cs_peer_parse: an accepted peer has a non-empty name and address
 * of the allowed characters (no blank, no control character, no leading
 * '-'), a port from 1 to 65535 or none, and spells the word it came from.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>

#include "cs_rules.h"
#include "fuzz.h"
#include "words.h"

static void chars_check(const char *what, const char *s, const char *extra)
{
    for (const char *c = s; *c != '\0'; c++) {
        FUZZ_ASSERT((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
                    || (*c >= '0' && *c <= '9') || strchr(extra, *c) != NULL,
                    "%s \"%s\" holds 0x%02x", what, s, (unsigned char) *c);
    }
}

static size_t colons(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += *s == ':';
    }
    return n;
}

static void peer_check(const char *spec)
{
    struct cs_peer_spec p;
    const char *why = NULL;
    char again[256];
    size_t nl;
    int rc = cs_peer_parse(spec, &p, &why);

    FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "rc %d", rc);
    if (rc != 0) {
        FUZZ_ASSERT(why != NULL && why[0] != '\0', "refused without a reason");
        return;
    }
    nl = strnlen(p.node, sizeof(p.node));
    FUZZ_ASSERT(nl > 0 && nl <= CS_NODE_MAX, "node of %zu characters", nl);
    FUZZ_ASSERT(p.host[0] != '\0' && p.host[0] != '-'
                && strnlen(p.host, sizeof(p.host)) <= CS_HOST_MAX, "host \"%s\"", p.host);
    chars_check("node", p.node, "._-");
    chars_check("host", p.host, ".:-_");
    if (p.port[0] != '\0') {
        long v = strtol(p.port, NULL, 10);

        chars_check("port", p.port, "");
        FUZZ_ASSERT(p.port[0] != '0' && v >= 1 && v <= 65535, "port \"%s\"", p.port);
        FUZZ_ASSERT(colons(p.host) == 0, "host \"%s\" with port %s", p.host, p.port);
        snprintf(again, sizeof(again), "%s=%s:", p.node, p.host);
        FUZZ_ASSERT(strncmp(spec, again, strlen(again)) == 0
                    && strtol(spec + strlen(again), NULL, 10) == v,
                    "\"%s\" read as %s%s", spec, again, p.port);
    } else {
        FUZZ_ASSERT(colons(p.host) != 1, "host \"%s\" without a port", p.host);
        snprintf(again, sizeof(again), "%s=%s", p.node, p.host);
        FUZZ_ASSERT(strcmp(spec, again) == 0, "\"%s\" read as %s", spec, again);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    const char *err = NULL;
    char **words = ra_words_split(text, &err);

    peer_check(text);
    for (size_t i = 0; words != NULL && words[i] != NULL; i++) {
        peer_check(words[i]);
    }
    ra_words_free(words);
    free(text);
    return 0;
}
