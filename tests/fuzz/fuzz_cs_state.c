/* fuzz_cs_state.c: the confsync watcher's state file (agents/confsync/
 * cs_state.h) as the agent's monitor reads it: a file holding the input; an
 * accepted state is bounded, written back and read again unchanged.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cs_state.h"
#include "fuzz.h"

static void text_check(const char *what, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);

    FUZZ_ASSERT(n < cap, "%s is not terminated", what);
    FUZZ_ASSERT(strpbrk(s, "\n\r") == NULL, "%s holds a line break", what);
}

static void state_bounded(const struct cs_state *st)
{
    FUZZ_ASSERT(st->npeers <= CS_MAX_PEERS, "%zu peers", st->npeers);
    FUZZ_ASSERT(st->pid > 0, "pid %ld accepted", (long) st->pid);
    text_check("role", st->role, sizeof(st->role));
    text_check("error", st->error, sizeof(st->error));
    text_check("local_write_path", st->local_write_path, sizeof(st->local_write_path));
    for (size_t i = 0; i < st->npeers; i++) {
        text_check("peer.node", st->peers[i].node, sizeof(st->peers[i].node));
        text_check("peer.addr", st->peers[i].addr, sizeof(st->peers[i].addr));
        text_check("peer.error", st->peers[i].error, sizeof(st->peers[i].error));
    }
}

static void state_same(const struct cs_state *a, const struct cs_state *b)
{
    FUZZ_ASSERT(a->pid == b->pid && a->phase == b->phase
                && a->updated_mono_ms == b->updated_mono_ms
                && a->received_real_ms == b->received_real_ms
                && a->local_writes == b->local_writes
                && a->npeers == b->npeers, "numbers differ after a round trip");
    FUZZ_ASSERT(strcmp(a->role, b->role) == 0 && strcmp(a->error, b->error) == 0
                && strcmp(a->local_write_path, b->local_write_path) == 0,
                "texts differ after a round trip");
    for (size_t i = 0; i < a->npeers; i++) {
        const struct cs_peer_state *p = &a->peers[i];
        const struct cs_peer_state *q = &b->peers[i];

        FUZZ_ASSERT(strcmp(p->node, q->node) == 0 && strcmp(p->addr, q->addr) == 0
                    && strcmp(p->error, q->error) == 0 && p->pending == q->pending
                    && p->oldest_mono_ms == q->oldest_mono_ms
                    && p->last_ok_real_ms == q->last_ok_real_ms
                    && p->reachable == q->reachable && p->refused == q->refused,
                    "peer %zu differs after a round trip", i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    char again_path[512];
    struct cs_state st;
    struct cs_state again;
    int rc;

    snprintf(path, sizeof(path), "%s/state", fuzz_scratch());
    snprintf(again_path, sizeof(again_path), "%s/state.again", fuzz_scratch());
    fuzz_write_file(path, data, size);
    rc = cs_state_read(path, &st);
    FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "rc %d", rc);
    if (rc != 0) {
        return 0;
    }
    state_bounded(&st);
    /* What the monitor computes from it. */
    {
        long long oldest = cs_state_oldest_ms(&st);
        const char *cls = cs_lag_class(oldest > 0 ? oldest : 0, 10000);

        FUZZ_ASSERT(strcmp(cls, "in-sync") == 0 || strcmp(cls, "pending") == 0
                    || strcmp(cls, "behind") == 0, "lag class %s", cls);
    }
    (void) cs_state_pending(&st);
    FUZZ_ASSERT(cs_state_write(again_path, &st) == 0, "write back");
    FUZZ_ASSERT(cs_state_read(again_path, &again) == 0, "read back");
    state_same(&st, &again);
    return 0;
}
