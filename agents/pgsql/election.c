/* election.c: who may be promoted: cold-start candidacy, the locations
 * published before a promote, switchover safety, the last-primary tie-break.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "election.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "deadline.h"
#include "fsafe.h"
#include "log.h"
#include "ra.h"

/* Cold start of the whole cluster (or of every node that holds data): no
 * primary sets scores yet, so every standby that started cleanly with no
 * primary reachable and no score becomes a candidate with the lowest positive
 * score.  Pacemaker then promotes one of them, and the pre-promote election
 * (every candidate publishes timeline + LSN) refuses the promotion of any node
 * that another candidate is ahead of.  The "candidate" state file lets the
 * standby's monitor withdraw that score once a primary turns out to exist. */
#define SCORE_CANDIDATE "1"

/* ---- the decisions ------------------------------------------------------ */

bool location_ahead(const struct pg_location *a, const struct pg_location *b)
{
    if (a->tli != b->tli) {
        return a->tli > b->tli;
    }
    if (a->lsn != b->lsn) {
        return a->lsn > b->lsn;
    }
    return a->last_primary && !b->last_primary;
}

bool switchover_safe(uint64_t received, uint64_t shutdown_ckpt)
{
    return received > shutdown_ckpt;
}

bool candidacy_applies(const char *score)
{
    return score == NULL;
}

bool candidacy_is_ours(const char *score)
{
    return score != NULL && strcmp(score, SCORE_CANDIDATE) == 0;
}

/* ---- the steps ------------------------------------------------------------ */

void candidate_set(struct pg_inst *pg)
{
    char path[PATH_MAX];
    char *score = NULL;
    FILE *f;

    if (ra_attr_get(pg->ctx, RA_ATTR_PROMOTION, "", NULL, &score) != 0) {
        ra_log_warn("cannot read the promotion score: not a candidate");
        return;
    }
    if (!candidacy_applies(score)) {
        ra_log_info("no primary reachable; keeping the promotion score %s", score);
        free(score);
        return;
    }
    ra_log_notice("no primary reachable and no promotion score: candidate for "
                  "promotion (score " SCORE_CANDIDATE "); the pre-promote "
                  "election picks the node with the newest data");
    score_set(pg, NULL, SCORE_CANDIDATE);
    if (ra_state_path(pg->ctx, "candidate", path, sizeof(path)) == 0
        && (f = fopen(path, "we")) != NULL) {
        fclose(f);
    }
}

void candidate_forget(struct pg_inst *pg)
{
    char path[PATH_MAX];

    if (ra_state_path(pg->ctx, "candidate", path, sizeof(path)) == 0) {
        (void) unlink(path);
    }
}

/* The "last primary" mark: beside the data directory (never inside it, where
 * pg_basebackup or pg_rewind would copy it to another node), set by a
 * successful promote and cleared once another node is promoted or a primary
 * answers at start.  In an election between candidates holding the same WAL
 * position (a stale node can catch up by cascading from the other standby),
 * the node that was primary last wins: its config folder holds the newest
 * files too. */
static void last_primary_path(const struct pg_inst *pg, char *buf, size_t len)
{
    snprintf(buf, len, "%s.ctfreak-ha-last-primary", pg->datadir);
}

static bool last_primary_marked(const struct pg_inst *pg)
{
    char path[PATH_MAX];

    last_primary_path(pg, path, sizeof(path));
    return ra_file_exists(path);
}

/* The folder is the system user's: the mark is a new root file put in place
 * (a link planted at its name is replaced, never followed). */
void last_primary_mark(const struct pg_inst *pg, bool on)
{
    char path[PATH_MAX];
    char line[300];
    int rc;

    last_primary_path(pg, path, sizeof(path));
    if (!on) {
        if (ra_file_remove(path) == 0) {
            ra_log_info("no longer the last primary (%s removed)", path);
        }
        return;
    }
    snprintf(line, sizeof(line), "%s\n", pg->ctx->node);
    rc = ra_file_replace(path, line, strlen(line), 0644, RA_FSAFE_KEEP, 0);
    if (rc != 0) {
        ra_log_warn("cannot write %s: %s", path, strerror(-rc));
    }
}

/* Monitor of a standby that does not stream although a primary answers: a
 * cold-start candidacy no longer applies (the primary's monitor scores the
 * standbys it sees).  Only the candidate's own value is withdrawn. */
void candidate_withdraw(struct pg_inst *pg)
{
    char path[PATH_MAX];
    char *score = NULL;

    if (ra_state_path(pg->ctx, "candidate", path, sizeof(path)) != 0
        || access(path, F_OK) != 0) {
        return;
    }
    (void) unlink(path);
    if (ra_attr_get(pg->ctx, RA_ATTR_PROMOTION, "", NULL, &score) == 0
        && candidacy_is_ours(score)) {
        ra_log_notice("a primary is running and this standby does not stream "
                      "from it: cold-start candidacy withdrawn");
        if (ra_attr_del(pg->ctx, RA_ATTR_PROMOTION, "", NULL) != 0) {
            ra_log_warn("cannot delete the promotion score");
        }
    }
    free(score);
}

/* Compares the local location with the other candidates of the election.
 * Returns NULL or (malloc'd) the name of a node that is ahead. */
static char *election_better(struct pg_inst *pg, const struct pg_status *st,
                             const char *nodes)
{
    char *list = strdup(nodes);
    char *save = NULL;
    char *better = NULL;
    struct pg_location best = { st->tli, st->lsn, last_primary_marked(pg) };

    for (char *n = list != NULL ? strtok_r(list, " ", &save) : NULL; n != NULL;
         n = strtok_r(NULL, " ", &save)) {
        struct ra_deadline wait;
        char *loc = NULL;
        struct pg_location theirs = { 0, 0, false };

        if (strcmp(n, pg->ctx->node) == 0 || strcmp(n, "-") == 0) {
            continue;           /* "-": no other candidate */
        }
        /* Attributes of other nodes arrive asynchronously. */
        ra_deadline_init(&wait, ra_deadline_cap_ms(&pg->ctx->deadline, 5000));
        while ((loc = priv_get(pg, n, "lsn-location")) == NULL
               && ra_deadline_sleep_ms(&wait, 100)) {
        }
        if (pgi_location_parse(loc, &theirs.tli, &theirs.lsn,
                               &theirs.last_primary) != 0) {
            ra_log_warn("no location published by %s: left out of the election",
                        n);
            free(loc);
            continue;
        }
        ra_log_info("election: %s is at %s", n, loc);
        if (location_ahead(&theirs, &best)) {
            best = theirs;
            free(better);
            better = strdup(n);
        }
        free(loc);
    }
    free(list);
    return better;
}

void election_cleanup(struct pg_inst *pg)
{
    (void) priv_set(pg, NULL, "lsn-location", NULL);
    (void) priv_set(pg, NULL, "election-nodes", NULL);
    (void) priv_set(pg, NULL, "cancel-switchover", NULL);
    (void) priv_set(pg, NULL, "recover", NULL);
}

/* The promote target of a planned switchover checks it received the old
 * primary's shutdown checkpoint. */
static void switchover_check(struct pg_inst *pg, const char *old_primary)
{
    struct ra_deadline wait;
    char *shut = NULL;
    uint64_t ckpt = 0;
    char err[256];
    char v[32];
    uint64_t recv = 0;
    PGconn *conn;

    ra_deadline_init(&wait, ra_deadline_cap_ms(&pg->ctx->deadline, 5000));
    while ((shut = priv_get(pg, old_primary, "shutdown-lsn")) == NULL
           && ra_deadline_sleep_ms(&wait, 100)) {
    }
    if (shut == NULL || pgi_lsn_parse(shut, &ckpt) != 0) {
        ra_log_warn("switchover from %s: its shutdown checkpoint is unknown",
                    old_primary);
        (void) priv_set(pg, NULL, "cancel-switchover", "1");
        free(shut);
        return;
    }
    conn = pgi_connect(pg, err, sizeof(err));
    while (conn != NULL
           && pgi_query_value(pg, conn, "SELECT coalesce(pg_last_wal_receive_lsn(),"
                              " '0/0')", v, sizeof(v), err, sizeof(err)) == 0
           && pgi_lsn_parse(v, &recv) == 0 && !switchover_safe(recv, ckpt)
           && ra_deadline_sleep_ms(&wait, 100)) {
    }
    if (conn != NULL) {
        PQfinish(conn);
    }
    if (switchover_safe(recv, ckpt)) {
        ra_log_notice("switchover from %s is safe: received %s past its "
                      "shutdown checkpoint %s", old_primary, v, shut);
    } else {
        ra_log_err("switchover from %s is not safe: shutdown checkpoint %s not "
                   "received", old_primary, shut);
        (void) priv_set(pg, NULL, "cancel-switchover", "1");
    }
    free(shut);
}

static void checkpoint(struct pg_inst *pg)
{
    char err[256];
    PGconn *conn = pgi_connect(pg, err, sizeof(err));
    PGresult *res = conn != NULL ? pgi_exec(pg, conn, "CHECKPOINT", 0, NULL,
                                            err, sizeof(err))
                                 : NULL;

    if (res == NULL) {
        ra_log_warn("CHECKPOINT failed: %s", err);
    }
    PQclear(res);
    PQfinish(conn);
}

/* An active standby (not this node) that published the shutdown checkpoint
 * of its demote, not yet cleared by a post-promote notification. */
static bool demoted_peer(struct pg_inst *pg, const struct ra_notify *nt,
                         char *out, size_t outlen)
{
    const struct ra_nodes *l = &nt->lists[RA_NODES_UNPROMOTED];
    bool found = false;

    for (size_t i = 0; i < l->count && !found; i++) {
        const char *n = l->names[i];
        char *shut;

        if (strcmp(n, pg->ctx->node) == 0
            || ra_notify_has(nt, RA_NODES_STOP, n)) {
            continue;
        }
        shut = strlen(n) < outlen ? priv_get(pg, n, "shutdown-lsn") : NULL;
        if (shut != NULL) {
            snprintf(out, outlen, "%s", n);
            found = true;
        }
        free(shut);
    }
    return found;
}

/* The target of the promotion records the election's candidates: active +
 * starting - stopping (a list of any length).  False when there is none but
 * itself: nobody compares locations then. */
static bool election_nodes_record(struct pg_inst *pg,
                                  const struct ra_notify *nt)
{
    char *nodes = ra_notify_nodes_after(nt, pg->ctx->node);
    bool others;

    if (nodes == NULL) {
        ra_log_err("out of memory: election candidates not recorded");
        return true;
    }
    others = nodes[0] != '\0';
    (void) priv_set(pg, NULL, "election-nodes", others ? nodes : "-");
    free(nodes);
    return others;
}

/* Publishes this standby's location for the election. */
static void location_publish(struct pg_inst *pg)
{
    char loc[64];
    struct pg_status st;
    struct pg_control cd;

    /* A restartpoint brings the control file to the replayed timeline. */
    checkpoint(pg);
    (void) instance_state(pg, &st, &cd, NULL);
    pgi_location_format(st.tli, st.lsn, last_primary_marked(pg), loc,
                        sizeof(loc));
    ra_log_info("election: this node is at %s", loc);
    (void) priv_set(pg, NULL, "lsn-location", loc);
}

int election_pre_promote(struct pg_inst *pg, const struct ra_notify *nt)
{
    const char *target = ra_notify_promote_target(nt);
    const char *old = NULL;
    char peer[256];
    struct pg_status st;
    struct pg_control cd;
    bool me;

    if (target == NULL) {
        return OCF_SUCCESS;
    }
    me = strcmp(target, pg->ctx->node) == 0;
    election_cleanup(pg);
    /* The primary recovers in place: no election. */
    if (ra_notify_is_recovery(nt)) {
        ra_log_warn("recovery of the primary on %s", target);
        if (me) {
            (void) priv_set(pg, NULL, "recover", "1");
        }
        return OCF_SUCCESS;
    }
    old = me ? ra_notify_switchover_from(nt) : NULL;
    if (old != NULL) {
        switchover_check(pg, old);
    } else if (me && demoted_peer(pg, nt, peer, sizeof(peer))) {
        /* The demote ran in an earlier transition (aborted by an attribute
         * change before the promote): the old primary's published shutdown
         * checkpoint still tells a switchover. */
        switchover_check(pg, peer);
    }
    if (instance_state(pg, &st, &cd, NULL) != PG_STANDBY) {
        ra_log_warn("not a running standby: no location published");
        return OCF_SUCCESS;
    }
    if (me && !election_nodes_record(pg, nt)) {
        /* A failover whose other node is gone: no location to compare, so
         * no restartpoint and no publication on the failover's path. */
        ra_log_info("election: no other candidate");
        return OCF_SUCCESS;
    }
    location_publish(pg);
    return OCF_SUCCESS;
}

int election_allows_promote(struct pg_inst *pg, const struct pg_status *st)
{
    char *flag = priv_get(pg, NULL, "cancel-switchover");
    char *nodes = NULL;
    char *better = NULL;
    int rc = OCF_SUCCESS;

    if (flag != NULL) {
        (void) priv_set(pg, NULL, "cancel-switchover", NULL);
        ra_exit_reason("switchover cancelled: this standby did not receive the "
                       "old primary's shutdown checkpoint");
        rc = OCF_ERR_GENERIC;
        goto done;
    }
    flag = priv_get(pg, NULL, "recover");
    nodes = priv_get(pg, NULL, "election-nodes");
    if (flag != NULL) {
        ra_log_info("recovering the previous primary: no election");
    } else if (nodes == NULL) {
        ra_log_notice("no election took place (no pre-promote notification, "
                      "e.g. crm_resource --force-promote): promoting as asked");
    } else {
        better = election_better(pg, st, nodes);
        if (better != NULL) {
            ra_exit_reason("cannot promote: %s is ahead of this node", better);
            score_set(pg, NULL, "1");
            score_set(pg, better, "1000");
            rc = OCF_ERR_GENERIC;
        }
    }
done:
    free(flag);
    free(nodes);
    free(better);
    return rc;
}
