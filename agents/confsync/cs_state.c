/* cs_state.c: the confsync watcher's state file (key=value lines).
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include "cs_state.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cs_phase_str(enum cs_phase p)
{
    switch (p) {
    case CS_PHASE_STARTING:
        return "starting";
    case CS_PHASE_RUNNING:
        return "running";
    case CS_PHASE_DRAINING:
        return "draining";
    case CS_PHASE_DONE:
        return "done";
    case CS_PHASE_FAILED:
        return "failed";
    }
    return "unknown";
}

static int phase_parse(const char *s, enum cs_phase *p)
{
    for (int i = CS_PHASE_STARTING; i <= CS_PHASE_FAILED; i++) {
        if (strcmp(s, cs_phase_str((enum cs_phase) i)) == 0) {
            *p = (enum cs_phase) i;
            return 0;
        }
    }
    return -EINVAL;
}

void cs_text_copy(char *dst, size_t len, const char *src)
{
    size_t i = 0;

    if (len == 0) {
        return;
    }
    for (; src != NULL && src[i] != '\0' && i + 1 < len; i++) {
        dst[i] = (src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
    }
    dst[i] = '\0';
}

int cs_state_write(const char *path, const struct cs_state *st)
{
    char tmp[4096];
    FILE *f = NULL;
    int fd = -1;
    int rc = 0;

    if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        return -ENAMETOOLONG;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -errno;
    }
    f = fdopen(fd, "w");
    if (f == NULL) {
        rc = -errno;
        close(fd);
        goto done;
    }
    fprintf(f, "pid=%ld\nrole=%s\nphase=%s\nupdated=%lld\nerror=%s\n",
            (long) st->pid, st->role, cs_phase_str(st->phase),
            st->updated_mono_ms, st->error);
    fprintf(f, "received=%lld\nlocal_writes=%ld\nlocal_write_path=%s\n",
            st->received_real_ms, st->local_writes, st->local_write_path);
    fprintf(f, "unwatched=%ld\n", st->unwatched);
    fprintf(f, "peers=%zu\n", st->npeers);
    for (size_t i = 0; i < st->npeers && i < CS_MAX_PEERS; i++) {
        const struct cs_peer_state *p = &st->peers[i];

        fprintf(f, "peer.node=%s\npeer.addr=%s\npeer.pending=%ld\n"
                "peer.oldest=%lld\npeer.last_ok=%lld\npeer.reachable=%d\n"
                "peer.refused=%d\npeer.error=%s\n",
                p->node, p->addr, p->pending, p->oldest_mono_ms,
                p->last_ok_real_ms, p->reachable ? 1 : 0,
                p->refused ? 1 : 0, p->error);
    }
    fprintf(f, "end=1\n");
    if (fflush(f) != 0 || ferror(f)) {
        rc = -EIO;
    }
    if (fclose(f) != 0 && rc == 0) {
        rc = -errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -errno;
    }
done:
    if (rc != 0) {
        unlink(tmp);
    }
    return rc;
}

/* Applies one key=value line; peer.* keys fill the current peer. */
static int state_apply(struct cs_state *st, const char *key, const char *val,
                       long *peer)
{
    struct cs_peer_state *p = NULL;

    if (strncmp(key, "peer.", 5) == 0) {
        if (strcmp(key, "peer.node") == 0) {
            if (++*peer >= CS_MAX_PEERS) {
                return -EINVAL;
            }
            st->npeers = (size_t) *peer + 1;
        }
        if (*peer < 0) {
            return -EINVAL;
        }
        p = &st->peers[*peer];
        key += 5;
        if (strcmp(key, "node") == 0) {
            cs_text_copy(p->node, sizeof(p->node), val);
        } else if (strcmp(key, "addr") == 0) {
            cs_text_copy(p->addr, sizeof(p->addr), val);
        } else if (strcmp(key, "pending") == 0) {
            p->pending = strtol(val, NULL, 10);
        } else if (strcmp(key, "oldest") == 0) {
            p->oldest_mono_ms = strtoll(val, NULL, 10);
        } else if (strcmp(key, "last_ok") == 0) {
            p->last_ok_real_ms = strtoll(val, NULL, 10);
        } else if (strcmp(key, "reachable") == 0) {
            p->reachable = strcmp(val, "1") == 0;
        } else if (strcmp(key, "refused") == 0) {
            p->refused = strcmp(val, "1") == 0;
        } else if (strcmp(key, "error") == 0) {
            cs_text_copy(p->error, sizeof(p->error), val);
        }
        return 0;
    }
    if (strcmp(key, "pid") == 0) {
        st->pid = (pid_t) strtol(val, NULL, 10);
    } else if (strcmp(key, "role") == 0) {
        cs_text_copy(st->role, sizeof(st->role), val);
    } else if (strcmp(key, "phase") == 0) {
        return phase_parse(val, &st->phase);
    } else if (strcmp(key, "updated") == 0) {
        st->updated_mono_ms = strtoll(val, NULL, 10);
    } else if (strcmp(key, "error") == 0) {
        cs_text_copy(st->error, sizeof(st->error), val);
    } else if (strcmp(key, "received") == 0) {
        st->received_real_ms = strtoll(val, NULL, 10);
    } else if (strcmp(key, "unwatched") == 0) {
        st->unwatched = strtol(val, NULL, 10);
    } else if (strcmp(key, "local_writes") == 0) {
        st->local_writes = strtol(val, NULL, 10);
    } else if (strcmp(key, "local_write_path") == 0) {
        cs_text_copy(st->local_write_path, sizeof(st->local_write_path), val);
    }
    return 0;
}

int cs_state_read(const char *path, struct cs_state *st)
{
    char buf[16384];
    ssize_t n = 0;
    size_t len = 0;
    int fd = -1;
    long peer = -1;
    bool complete = false;
    char *line = NULL;
    char *save = NULL;

    memset(st, 0, sizeof(*st));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    while (len < sizeof(buf) - 1
           && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
        len += (size_t) n;
    }
    close(fd);
    if (n < 0) {
        return -EIO;
    }
    buf[len] = '\0';
    for (line = strtok_r(buf, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');

        if (eq == NULL) {
            return -EINVAL;
        }
        *eq = '\0';
        if (strcmp(line, "end") == 0) {
            complete = true;
            break;
        }
        if (state_apply(st, line, eq + 1, &peer) != 0) {
            return -EINVAL;
        }
    }
    return complete && st->pid > 0 ? 0 : -EINVAL;
}

long long cs_state_oldest_ms(const struct cs_state *st)
{
    long long oldest = 0;

    for (size_t i = 0; i < st->npeers; i++) {
        long long o = st->peers[i].oldest_mono_ms;

        if (o > 0 && (oldest == 0 || o < oldest)) {
            oldest = o;
        }
    }
    return oldest;
}

const char *cs_lag_class(long long lag_ms, long long threshold_ms)
{
    if (lag_ms > threshold_ms) {
        return "behind";
    }
    return lag_ms >= CS_PENDING_MS ? "pending" : "in-sync";
}

long cs_state_pending(const struct cs_state *st)
{
    long total = 0;

    /* Saturates: a state file is outside text, its counts may be anything. */
    for (size_t i = 0; i < st->npeers; i++) {
        long n = st->peers[i].pending < 0 ? 1 : st->peers[i].pending;

        total = n > LONG_MAX - total ? LONG_MAX : total + n;
    }
    return total;
}
