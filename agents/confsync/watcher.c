/* watcher.c: confsync-watcher, the long-running half of ocf:ctfreak:confsync.
 * As a source it follows the folder with inotify and pushes batches of
 * changes to every peer with rsync (argv exec, never a shell); as a receiver
 * it notices local writes into the folder.  This file holds the options,
 * the setup, the loop and the state file; engine.c the watches and events,
 * push.c a peer's push state machine, transport.c rsync over ssh or to a
 * daemon, pathset.c the path set.  Licence: GPL-2.0-or-later. */
#include "config.h"

#include "watcher.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "deadline.h"

#define STATE_EVERY_MS  1000
#define STATE_DIRTY_MS  200
#define RESCAN_MS       10000   /* folders left unwatched: full resync period */

/* --- state file ------------------------------------------------------------ */

static void state_write(struct watcher *w, enum cs_phase phase)
{
    struct cs_state st;

    memset(&st, 0, sizeof(st));
    st.pid = getpid();
    cs_text_copy(st.role, sizeof(st.role), w->o.source ? "source" : "receiver");
    st.phase = phase;
    st.updated_mono_ms = ra_now_ms();
    cs_text_copy(st.error, sizeof(st.error), w->error);
    st.received_real_ms = w->received_real;
    st.local_writes = w->local_writes;
    st.unwatched = w->unwatched;
    cs_text_copy(st.local_write_path, sizeof(st.local_write_path),
                 w->local_write_path);
    for (size_t i = 0; i < w->npeers && i < CS_MAX_PEERS; i++) {
        const struct peer *p = &w->peers[i];
        struct cs_peer_state *ps = &st.peers[i];

        cs_text_copy(ps->node, sizeof(ps->node), p->node);
        cs_text_copy(ps->addr, sizeof(ps->addr), p->host);
        ps->pending = (p->full || (p->job > 0 && p->inflight_full)) ? -1
            : (long) (p->pending.count + (p->job > 0 ? p->inflight.count : 0));
        ps->oldest_mono_ms = peer_oldest(p);
        ps->last_ok_real_ms = p->last_ok_real;
        ps->reachable = p->reachable;
        ps->refused = p->refused;
        cs_text_copy(ps->error, sizeof(ps->error), p->error);
        st.npeers++;
    }
    if (cs_state_write(w->o.state, &st) != 0) {
        ra_log_warn("cannot write the state file | path=%s", w->o.state);
    }
    w->state_written = st.updated_mono_ms;
    w->state_dirty = false;
}

/* --- setup ------------------------------------------------------------------- */

static int on_signal(struct watcher *w)
{
    struct signalfd_siginfo si;

    while (read(w->sfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGCHLD:
            reap_jobs(w);
            break;
        case SIGTERM:
        case SIGINT:
            if (!w->draining) {
                ra_log_info("draining: flushing pending changes to the peers");
            }
            w->draining = true;
            w->state_dirty = true;
            break;
        case SIGUSR1:
            for (size_t i = 0; i < w->npeers; i++) {
                w->peers[i].next_try = 0;
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

static int peer_parse(struct watcher *w, const char *text, struct peer *p)
{
    struct cs_peer_spec spec;
    const char *why = NULL;

    memset(p, 0, sizeof(*p));
    if (cs_peer_parse(text, &spec, &why) != 0) {
        snprintf(w->error, sizeof(w->error), "bad peer %.64s: %s", text, why);
        return -EINVAL;
    }
    p->node = strdup(spec.node);
    p->host = strdup(spec.host);
    p->port = spec.port[0] != '\0' ? strdup(spec.port) : NULL;
    if (p->node == NULL || p->host == NULL
        || (spec.port[0] != '\0' && p->port == NULL)) {
        return -ENOMEM;
    }
    p->reachable = true;
    if (snprintf(p->err_file, sizeof(p->err_file), "%s.%s.err", w->o.state,
                 p->node) >= (int) sizeof(p->err_file) - 8) {
        return -ENAMETOOLONG;   /* and so the other names below */
    }
    snprintf(p->filter_file, sizeof(p->filter_file), "%s.%s.filter",
             w->o.state, p->node);
    snprintf(p->id_file, sizeof(p->id_file), "%s.%s.id", w->o.state, p->node);
    snprintf(p->list_file, sizeof(p->list_file), "%s.%s.list", w->o.state,
             p->node);
    return 0;
}

static void peers_free(struct watcher *w)
{
    for (size_t i = 0; i < w->npeers; i++) {
        struct peer *p = &w->peers[i];

        pathset_free(&p->pending);
        pathset_free(&p->inflight);
        unlink(p->err_file);
        unlink(p->filter_file);
        unlink(p->list_file);
        unlink(p->id_file);
        free(p->node);
        free(p->host);
        free(p->port);
    }
    free(w->peers);
}

static void usage(const char *why)
{
    fprintf(stderr, "confsync-watcher: bad command line: %s\n"
            "usage: confsync-watcher --role source|receiver --instance I "
            "--node NAME --dir DIR --state FILE --quarantine DIR "
            "--transport ssh|rsyncd --ssh-user U --ssh-key F --known-hosts F "
            "--rsyncd-port N --secrets-file F --delay MS "
            "[--exclude PATTERN]... [--peer NODE=ADDR]...\n"
            "(every option but --exclude and --peer is required, \"\" for "
            "none: the agent passes its parameters)\n", why);
}

static int setup(struct watcher *w)
{
    sigset_t mask;

    w->peers = calloc(w->o.npeers + 1, sizeof(*w->peers));
    if (w->peers == NULL) {
        return -ENOMEM;
    }
    if (w->o.source) {
        for (size_t i = 0; i < w->o.npeers && i < CS_MAX_PEERS; i++) {
            if (peer_parse(w, w->o.peers[i], &w->peers[w->npeers++]) != 0) {
                return -EINVAL;
            }
        }
    }
    if (transport_setup(w) != 0) {
        return -EINVAL;
    }
    if (excludes_setup(w) != 0) {
        return -EINVAL;
    }
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGPIPE);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) {
        return -errno;
    }
    sigdelset(&mask, SIGHUP);
    sigdelset(&mask, SIGPIPE);
    w->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->sfd < 0 || w->ifd < 0) {
        return -errno;
    }
    if (watch_tree(w, "", true) != 0 || w->root_wd < 0) {
        snprintf(w->error, sizeof(w->error), "cannot watch %s", w->o.dir);
        return -ENOENT;
    }
    if (w->o.source) {
        /* A new source first does a full sync to every peer. */
        queue_all_full(w);
    }
    return 0;
}

static void loop(struct watcher *w)
{
    struct pollfd fds[2];

    state_write(w, CS_PHASE_RUNNING);
    while (!w->fatal) {
        long next = w->o.source ? schedule(w) : -1;
        long long now = ra_now_ms();
        long timeout = STATE_EVERY_MS;

        if (w->draining && drained(w)) {
            break;
        }
        unwatched_check(w);
        if (w->state_dirty && now - w->state_written >= STATE_DIRTY_MS) {
            state_write(w, w->draining ? CS_PHASE_DRAINING : CS_PHASE_RUNNING);
        } else if (now - w->state_written >= STATE_EVERY_MS) {
            state_write(w, w->draining ? CS_PHASE_DRAINING : CS_PHASE_RUNNING);
        }
        if (w->state_dirty) {
            timeout = STATE_DIRTY_MS;
        }
        if (next >= 0 && next < timeout) {
            timeout = next;
        }
        if (w->draining && !w->o.source) {
            break;
        }
        fds[0].fd = w->ifd;
        fds[0].events = POLLIN;
        fds[1].fd = w->sfd;
        fds[1].events = POLLIN;
        if (poll(fds, 2, (int) timeout) < 0 && errno != EINTR) {
            snprintf(w->error, sizeof(w->error), "poll: %s", strerror(errno));
            w->fatal = true;
            break;
        }
        if (fds[1].revents & POLLIN) {
            on_signal(w);
        }
        if (fds[0].revents & POLLIN) {
            read_events(w);
        }
    }
}

int main(int argc, char **argv)
{
    struct watcher w;
    const char *why = NULL;
    int rc = 1;

    if (argc > 1 && strcmp(argv[1], "--receive") == 0) {
        return cs_receive_main(argc, argv);
    }
    memset(&w, 0, sizeof(w));
    w.ifd = -1;
    w.sfd = -1;
    w.root_wd = -1;
    w.rescan_ms = RESCAN_MS;
    if (cs_config_parse(argc, argv, &w.o, &why) != 0) {
        usage(why);
        cs_config_free(&w.o);
        return 2;
    }
    ra_log_init("confsync", w.o.instance, w.o.source ? "source" : "receiver");
    if (setup(&w) != 0) {
        if (w.error[0] == '\0') {
            snprintf(w.error, sizeof(w.error), "bad arguments or setup failure");
        }
        ra_log_err("cannot start the watcher: %s | dir=%s", w.error, w.o.dir);
        state_write(&w, CS_PHASE_FAILED);
        goto done;
    }
    ra_log_info("watching | dir=%s role=%s peers=%zu", w.o.dir,
                w.o.source ? "source" : "receiver",
                w.npeers);
    loop(&w);
    if (w.fatal) {
        ra_log_err("watcher failed: %s | dir=%s", w.error, w.o.dir);
        for (size_t i = 0; i < w.npeers; i++) {
            if (w.peers[i].job > 0) {
                kill(w.peers[i].job, SIGTERM);
            }
        }
        state_write(&w, CS_PHASE_FAILED);
        goto done;
    }
    rc = drain_complete(&w) ? 0 : 3;
    if (rc != 0) {
        cs_text_copy(w.error, sizeof(w.error),
                     "flush incomplete: a peer was unreachable");
    }
    state_write(&w, CS_PHASE_DONE);
    ra_log_info("watcher stopped | flushed=%s", rc == 0 ? "all peers" : "partly");
done:
    peers_free(&w);
    for (size_t i = 0; i < w.wd_cap; i++) {
        free(w.wd_path[i]);
    }
    free(w.wd_path);
    if (w.ifd >= 0) {
        close(w.ifd);
    }
    if (w.sfd >= 0) {
        close(w.sfd);
    }
    if (w.excludes_file[0] != '\0') {
        unlink(w.excludes_file);
    }
    cs_excludes_free(&w.ex);
    cs_config_free(&w.o);
    ra_log_fini();
    return rc;
}
