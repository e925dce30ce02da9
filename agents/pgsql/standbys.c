/* standbys.c: the primary's standbys: promotion scores, sync state and lag,
 * synchronous_standby_names.  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "standbys.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "log.h"
#include "nodes.h"
#include "ra.h"
#include "slots.h"

const char *synchronous_mode(const struct pg_inst *pg)
{
    return ra_param(pg->ctx, "synchronous");
}

struct standby_row {
    char name[128];
    char state[32];
    char sync[16];
    long long lag;
};

static const char standbys_sql[] =
    "SELECT application_name, state, sync_state,"
    " coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn), -1)::bigint"
    " FROM pg_stat_replication"
    " WHERE application_name NOT IN ('', 'walreceiver', 'pg_basebackup',"
    "                                'pg_receivewal')"
    " ORDER BY state = 'streaming' DESC, flush_lsn DESC NULLS LAST,"
    "          application_name";

/* The standbys this primary has seen, one name a line in a state file: a
 * standby that is gone gets a negative score without asking the cluster. */
static size_t known_read(struct pg_inst *pg, char names[][128], size_t max)
{
    char path[PATH_MAX];
    char line[160];
    size_t n = 0;
    FILE *f;

    if (ra_state_path(pg->ctx, "standbys", path, sizeof(path)) != 0
        || (f = fopen(path, "re")) == NULL) {
        return 0;
    }
    while (n < max && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] != '\0') {
            snprintf(names[n++], 128, "%.127s", line);
        }
    }
    fclose(f);
    return n;
}

static void known_write(struct pg_inst *pg, char names[][128], size_t n)
{
    char path[PATH_MAX];
    char tmp[PATH_MAX + 8];
    FILE *f;

    if (ra_state_path(pg->ctx, "standbys", path, sizeof(path)) != 0) {
        return;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "we");
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\n", names[i]);
    }
    if (fclose(f) == 0) {
        (void) rename(tmp, path);
    }
}

void known_reset(struct pg_inst *pg)
{
    char path[PATH_MAX];

    if (ra_state_path(pg->ctx, "standbys", path, sizeof(path)) == 0) {
        unlink(path);
    }
}

/* Sets synchronous_standby_names when it differs (ALTER SYSTEM + reload). */
static void ssn_apply(struct pg_inst *pg, PGconn *conn, const char *current,
                      const char *want)
{
    char err[256];
    char *lit;
    char *sql = NULL;
    PGresult *res;

    if (strcmp(current, want) == 0) {
        return;
    }
    lit = PQescapeLiteral(conn, want, strlen(want));
    if (lit == NULL || asprintf(&sql, "ALTER SYSTEM SET synchronous_standby_names"
                                " = %s", lit) < 0) {
        PQfreemem(lit);
        return;
    }
    res = pgi_exec(pg, conn, sql, 0, NULL, err, sizeof(err));
    if (res != NULL) {
        PQclear(res);
        res = pgi_exec(pg, conn, "SELECT pg_reload_conf()", 0, NULL, err,
                       sizeof(err));
    }
    if (res == NULL) {
        ra_log_err("cannot set synchronous_standby_names: %s", err);
    } else {
        ra_log_notice("synchronous_standby_names changed | from='%s' to='%s'",
                      current, want);
        PQclear(res);
    }
    PQfreemem(lit);
    free(sql);
}

/* application_name is chosen by whoever connects with replication rights (a
 * Barman receiver, pg_receivewal): only a name of a cluster node other than
 * this one, held by a single walsender, is a standby of ours.  *dup tells a
 * node name used twice: neither can be told from the other. */
static bool standby_trusted(struct pg_inst *pg, PGresult *res, int row,
                            char nodes[][128], int nn, bool *dup)
{
    const char *name = PQgetvalue(res, row, 0);

    *dup = false;
    if (strcmp(name, pg->ctx->node) == 0 || nn < 0
        || !name_in(nodes, (size_t) nn, name)) {
        return false;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        *dup = *dup || (i != row && strcmp(PQgetvalue(res, i, 0), name) == 0);
    }
    return true;
}

/* Which rows of pg_stat_replication are standbys of ours (see above);
 * trusted[row] set, unknown names logged once. */
static void standbys_trust(struct pg_inst *pg, PGresult *res, bool *trusted,
                           bool *dup)
{
    char nodes[NODES_MAX][128];
    char ignored[PATH_MAX] = "";
    char twice[PATH_MAX] = "";
    int nn;

    nn = cluster_nodes_cached(pg, nodes, NODES_MAX, NULL);
    for (int i = 0; i < PQntuples(res) && nn >= 0; i++) {
        if (!name_in(nodes, (size_t) nn, PQgetvalue(res, i, 0))
            && strcmp(PQgetvalue(res, i, 0), pg->ctx->node) != 0) {
            /* a node that joined since: ask the cluster again (bounded) */
            nn = cluster_nodes_cached(pg, nodes, NODES_MAX, PQgetvalue(res, i, 0));
            break;
        }
    }
    if (nn < 0) {
        ra_log_repeat(NULL, LOG_WARNING, "the cluster's nodes are unknown "
                      "(crm_node -l): no standby is scored");
    }
    /* A receiver that stays (a backup tool) is logged once, not at every
     * monitor. */
    const char *ign = ra_state_path(pg->ctx, "walsender-ignored", ignored,
                                    sizeof(ignored)) == 0 ? ignored : NULL;
    const char *two = ra_state_path(pg->ctx, "walsender-twice", twice,
                                    sizeof(twice)) == 0 ? twice : NULL;

    for (int i = 0; i < PQntuples(res); i++) {
        trusted[i] = standby_trusted(pg, res, i, nodes, nn, &dup[i]);
        if (!trusted[i] && nn >= 0
            && strcmp(PQgetvalue(res, i, 0), pg->ctx->node) != 0) {
            ra_log_repeat(ign, LOG_INFO, "walsender of '%s' ignored: not a "
                          "node of this cluster", PQgetvalue(res, i, 0));
        } else if (dup[i]) {
            ra_log_repeat(two, LOG_WARNING, "several walsenders named '%s': "
                          "none is scored", PQgetvalue(res, i, 0));
        }
    }
}

/* Scores, sync state and lag of every standby, from pg_stat_replication.
 * Returns how many standbys stream. */
int primary_check_standbys(struct pg_inst *pg, PGconn *conn,
                                  const struct pg_status *st)
{
    enum { MAXN = 32 };
    char known[MAXN][128];
    size_t nknown = known_read(pg, known, MAXN);
    size_t nknown_before = nknown;
    const char *mode = synchronous_mode(pg);
    bool sync = strcmp(mode, "off") != 0;
    long long maxlag = ra_param_int(pg->ctx, "maxlag");
    char err[256];
    char *healthy = NULL;
    size_t hlen = 0;
    FILE *hf = NULL;
    char *want = NULL;
    bool *trusted = NULL;
    bool *dup = NULL;
    PGresult *res;
    int streaming = 0;
    int rank = 0;

    res = pgi_exec(pg, conn, standbys_sql, 0, NULL, err, sizeof(err));
    if (res == NULL) {
        ra_log_err("cannot read pg_stat_replication: %s", err);
        return -1;
    }
    trusted = calloc((size_t) PQntuples(res) + 1, sizeof(*trusted));
    dup = calloc((size_t) PQntuples(res) + 1, sizeof(*dup));
    hf = open_memstream(&healthy, &hlen);
    if (trusted == NULL || dup == NULL || hf == NULL) {
        ra_log_err("out of memory");
        streaming = -1;
        goto done;
    }
    standbys_trust(pg, res, trusted, dup);
    /* A standby that (re)connects: its node may have left and rejoined the
     * cluster meanwhile, which erased its score behind the attribute cache's
     * back.  Forget the cache so every value is written again once. */
    for (int i = 0; i < PQntuples(res); i++) {
        const char *n = PQgetvalue(res, i, 0);
        bool seen = !trusted[i];

        for (size_t k = 0; k < nknown && !seen; k++) {
            seen = strcmp(known[k], n) == 0;
        }
        if (!seen) {
            ra_log_info("standby %s connected: attribute cache reset", n);
            ra_attr_cache_reset(pg->ctx);
            break;
        }
    }
    for (int i = 0; i < PQntuples(res); i++) {
        struct standby_row r;
        char score[16];
        char lag[24];
        bool seen = false;

        if (!trusted[i]) {
            continue;
        }
        snprintf(r.name, sizeof(r.name), "%s", PQgetvalue(res, i, 0));
        snprintf(r.state, sizeof(r.state), "%s", PQgetvalue(res, i, 1));
        snprintf(r.sync, sizeof(r.sync), "%s", PQgetvalue(res, i, 2));
        r.lag = strtoll(PQgetvalue(res, i, 3), NULL, 10);
        for (size_t k = 0; k < nknown; k++) {
            seen = seen || strcmp(known[k], r.name) == 0;
        }
        if (!seen && nknown < MAXN) {
            snprintf(known[nknown++], 128, "%s", r.name);
        }
        if (strcmp(r.state, "streaming") != 0 || dup[i]) {
            snprintf(score, sizeof(score), "%s", SCORE_NOT_READY);
        } else if (maxlag > 0 && r.lag > maxlag) {
            snprintf(score, sizeof(score), "%s", SCORE_NOT_READY);
            ra_log_repeat(NULL, LOG_INFO, "%s lags %lld bytes (maxlag %lld)",
                          r.name, r.lag, maxlag);
        } else {
            streaming++;
            fprintf(hf, "%s\"%s\"", streaming > 1 ? ", " : "", r.name);
            if (sync && strcmp(r.sync, "sync") != 0
                && strcmp(r.sync, "quorum") != 0) {
                /* Not known to hold every commit yet. */
                snprintf(score, sizeof(score), "%s", SCORE_NOT_READY);
            } else {
                snprintf(score, sizeof(score), "%d", SCORE_BEST - 10 * rank++);
            }
        }
        score_set(pg, r.name, score);
        attr_show(pg, r.name, "sync", r.sync);
        snprintf(lag, sizeof(lag), "%lld", r.lag);
        attr_show(pg, r.name, "lag", lag);
    }
    /* Known standbys without a row are not connected.  The node of one may
     * have left the cluster (Pacemaker erased its attributes, and a value set
     * for it never becomes visible): each write is bounded so the fallback of
     * synchronous_standby_names below is never starved, and a node whose score
     * cannot be written is forgotten until it connects again. */
    size_t kept = 0;

    for (size_t k = 0; k < nknown; k++) {
        bool connected = false;

        for (int i = 0; i < PQntuples(res); i++) {
            connected = connected || (trusted[i]
                                      && strcmp(PQgetvalue(res, i, 0), known[k]) == 0);
        }
        if (!connected && !score_set_bounded(pg, known[k], SCORE_GONE)) {
            ra_log_notice("the score of %s cannot be set (node offline?): "
                          "forgotten until it connects again", known[k]);
            nknown_before = SIZE_MAX;       /* rewrite the list */
            continue;
        }
        if (!connected) {
            attr_show(pg, known[k], "sync", "disconnected");
        }
        if (kept != k) {
            memmove(known[kept], known[k], sizeof(known[k]));
        }
        kept++;
    }
    nknown = kept;
    if (nknown != nknown_before) {
        known_write(pg, known, nknown);
    }
    score_set(pg, NULL, SCORE_PRIMARY);

    /* Scores are lowered above before a standby leaves the sync set here. */
    if (fclose(hf) != 0) {
        hf = NULL;
        ra_log_err("out of memory");
        streaming = -1;
        goto done;
    }
    hf = NULL;
    if (strcmp(mode, "on") == 0) {
        if (healthy[0] != '\0' && asprintf(&want, "ANY 1 (%s)", healthy) < 0) {
            want = NULL;
        }
        ssn_apply(pg, conn, st->ssn, want != NULL ? want : "");
    } else if (strcmp(mode, "strict") == 0) {
        ssn_apply(pg, conn, st->ssn, "ANY 1 (*)");
    }
    if (slots_on(pg)) {
        slots_monitor(pg, conn, known, nknown);
    }
done:
    if (hf != NULL) {
        fclose(hf);
    }
    free(healthy);
    free(want);
    free(trusted);
    free(dup);
    PQclear(res);
    return streaming;
}

void promoted_sync_setup(struct pg_inst *pg, PGconn *conn,
                                const struct pg_status *st)
{
    const char *mode = synchronous_mode(pg);

    /* A new primary starts asynchronous ("on") until its monitor has seen a
     * healthy standby; "strict" waits for any standby from the start. */
    if (strcmp(mode, "on") == 0) {
        ssn_apply(pg, conn, st->ssn, "");
    } else if (strcmp(mode, "strict") == 0) {
        ssn_apply(pg, conn, st->ssn, "ANY 1 (*)");
    }
}

/* Primary, post-stop: a stopped standby (its node fenced, or its server
 * stopped) leaves the synchronous set now, not when wal_sender_timeout and
 * the next monitor notice it: commits waiting for it go on at once.  Its
 * walsender may outlive a fenced node's dead connection: it is ended. */
void standbys_stopped(struct pg_inst *pg, const struct ra_notify *nt)
{
    const struct ra_nodes *l = &nt->lists[RA_NODES_STOP];
    struct pg_status st;
    struct pg_control cd;
    PGconn *conn = NULL;

    if (l->count == 0
        || instance_state(pg, &st, &cd, &conn) != PG_PRIMARY || conn == NULL) {
        if (conn != NULL) {
            PQfinish(conn);
        }
        return;
    }
    for (size_t i = 0; i < l->count; i++) {
        const char *n = l->names[i];
        const char *params[1] = { n };
        char err[256];
        PGresult *res;

        if (strcmp(n, pg->ctx->node) == 0) {
            continue;
        }
        res = pgi_exec(pg, conn, "SELECT count(pg_terminate_backend(pid, 1000))"
                       " FROM pg_stat_replication WHERE application_name = $1",
                       1, params, err, sizeof(err));
        if (res == NULL) {
            ra_log_warn("cannot end the walsender of stopped standby %s: %s", n, err);
            continue;
        }
        if (strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
            ra_log_notice("standby %s stopped: its walsender ended", n);
        }
        PQclear(res);
    }
    /* the monitor's own reckoning, without the stopped ones */
    (void) primary_check_standbys(pg, conn, &st);
    PQfinish(conn);
}
