/* standbys.c: the primary's standbys: promotion scores, sync state and lag,
 * synchronous_standby_names.  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "standbys.h"

#include <errno.h>
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

/* ---- the decisions ------------------------------------------------------ */

bool standby_is_ours(const char *name, const char *self, char nodes[][128],
                     int nn)
{
    return strcmp(name, self) != 0 && nn >= 0
           && name_in(nodes, (size_t) nn, name);
}

enum standby_verdict standby_judge(const struct standby_row *r, bool dup,
                                   long long maxlag, bool sync)
{
    if (strcmp(r->state, "streaming") != 0 || dup) {
        return STANDBY_NOT_READY;
    }
    if (maxlag > 0 && r->lag > maxlag) {
        return STANDBY_LAGGING;
    }
    if (sync && strcmp(r->sync, "sync") != 0 && strcmp(r->sync, "quorum") != 0) {
        return STANDBY_UNSYNCED;    /* not known to hold every commit yet */
    }
    return STANDBY_HEALTHY;
}

bool standby_is_healthy(enum standby_verdict v)
{
    return v == STANDBY_UNSYNCED || v == STANDBY_HEALTHY;
}

int standby_rank_score(int rank)
{
    return SCORE_BEST - 10 * rank;
}

int ssn_wanted(const char *mode, const char *healthy, char **want)
{
    *want = NULL;
    if (strcmp(mode, "strict") == 0) {
        *want = strdup("ANY 1 (*)");
    } else if (strcmp(mode, "on") == 0 && healthy[0] == '\0') {
        *want = strdup("");
    } else if (strcmp(mode, "on") == 0) {
        if (asprintf(want, "ANY 1 (%s)", healthy) < 0) {
            *want = NULL;
        }
    } else {
        return 0;                   /* off: left as the admin set it */
    }
    return *want != NULL ? 0 : -ENOMEM;
}

/* ---- the primary's reckoning --------------------------------------------- */

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
    if (!standby_is_ours(name, pg->ctx->node, nodes, nn)) {
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

/* One reckoning of the primary's standbys (primary_check_standbys). */
struct standbys_scan {
    PGresult *res;              /* pg_stat_replication, standbys_sql */
    bool *trusted;              /* per row: a standby of ours */
    bool *dup;                  /* per row: its name is used twice */
    char known[KNOWN_MAX][128]; /* the standbys seen (state file) */
    size_t nknown;
    size_t nknown_before;       /* SIZE_MAX: rewrite the state file */
    FILE *hf;                   /* the healthy ones, "\"a\", \"b\"" */
    char *healthy;
    size_t hlen;
    int streaming;              /* how many are healthy */
    int rank;                   /* how many are ranked */
};

/* A standby that (re)connects: its node may have left and rejoined the
 * cluster meanwhile, which erased its score behind the attribute cache's
 * back.  Forget the cache so every value is written again once. */
static void standbys_cache_check(struct pg_inst *pg, struct standbys_scan *sc)
{
    for (int i = 0; i < PQntuples(sc->res); i++) {
        const char *n = PQgetvalue(sc->res, i, 0);
        bool seen = !sc->trusted[i];

        for (size_t k = 0; k < sc->nknown && !seen; k++) {
            seen = strcmp(sc->known[k], n) == 0;
        }
        if (!seen) {
            ra_log_info("standby %s connected: attribute cache reset", n);
            ra_attr_cache_reset(pg->ctx);
            break;
        }
    }
}

/* Scores row i of pg_stat_replication (a trusted standby). */
static void standbys_score_row(struct pg_inst *pg, struct standbys_scan *sc,
                               int i, bool sync, long long maxlag)
{
    struct standby_row r;
    enum standby_verdict v;
    char score[16];

    snprintf(r.name, sizeof(r.name), "%s", PQgetvalue(sc->res, i, 0));
    snprintf(r.state, sizeof(r.state), "%s", PQgetvalue(sc->res, i, 1));
    snprintf(r.sync, sizeof(r.sync), "%s", PQgetvalue(sc->res, i, 2));
    r.lag = strtoll(PQgetvalue(sc->res, i, 3), NULL, 10);
    if (!name_in(sc->known, sc->nknown, r.name) && sc->nknown < KNOWN_MAX) {
        snprintf(sc->known[sc->nknown++], 128, "%s", r.name);
    }
    v = standby_judge(&r, sc->dup[i], maxlag, sync);
    if (v == STANDBY_LAGGING) {
        ra_log_repeat(NULL, LOG_INFO, "%s lags %lld bytes (maxlag %lld)",
                      r.name, r.lag, maxlag);
    }
    if (standby_is_healthy(v)) {
        sc->streaming++;
        fprintf(sc->hf, "%s\"%s\"", sc->streaming > 1 ? ", " : "", r.name);
    }
    if (v == STANDBY_HEALTHY) {
        snprintf(score, sizeof(score), "%d", standby_rank_score(sc->rank++));
    } else {
        snprintf(score, sizeof(score), "%s", SCORE_NOT_READY);
    }
    score_set(pg, r.name, score);
    attr_show(pg, r.name, "sync", r.sync);
    attr_show(pg, r.name, "lag", standby_lag_class(r.lag));
}

const char *standby_lag_class(long long lag)
{
    if (lag < 0) {
        return "unknown";
    }
    if (lag < 1024LL * 1024) {
        return "<1MB";
    }
    return lag < 16LL * 1024 * 1024 ? "<16MB" : "behind";
}

/* Known standbys without a row are not connected.  The node of one may
 * have left the cluster (Pacemaker erased its attributes, and a value set
 * for it never becomes visible): each write is bounded so the fallback of
 * synchronous_standby_names is never starved, and a node whose score
 * cannot be written is forgotten until it connects again. */
static void standbys_mark_gone(struct pg_inst *pg, struct standbys_scan *sc)
{
    size_t kept = 0;

    for (size_t k = 0; k < sc->nknown; k++) {
        bool connected = false;

        for (int i = 0; i < PQntuples(sc->res); i++) {
            connected = connected
                        || (sc->trusted[i]
                            && strcmp(PQgetvalue(sc->res, i, 0), sc->known[k]) == 0);
        }
        if (!connected && !score_set_bounded(pg, sc->known[k], SCORE_GONE)) {
            ra_log_notice("the score of %s cannot be set (node offline?): "
                          "forgotten until it connects again", sc->known[k]);
            sc->nknown_before = SIZE_MAX;       /* rewrite the list */
            continue;
        }
        if (!connected) {
            /* Its lag is unknown; and its stop deleted the value behind
             * our cache's back: when it streams again it is written anew. */
            attr_show(pg, sc->known[k], "sync", "disconnected");
            attr_show(pg, sc->known[k], "lag", NULL);
        }
        if (kept != k) {
            memmove(sc->known[kept], sc->known[k], sizeof(sc->known[k]));
        }
        kept++;
    }
    sc->nknown = kept;
    if (sc->nknown != sc->nknown_before) {
        known_write(pg, sc->known, sc->nknown);
    }
}

/* synchronous_standby_names for the mode and the healthy standbys. */
static void standbys_sync_apply(struct pg_inst *pg, PGconn *conn,
                                const char *current, const char *healthy)
{
    char *want = NULL;

    if (ssn_wanted(synchronous_mode(pg), healthy, &want) != 0) {
        ra_log_err("out of memory: synchronous_standby_names left as is");
        return;
    }
    if (want != NULL) {
        ssn_apply(pg, conn, current, want);
    }
    free(want);
}

/* Reads pg_stat_replication and which of its rows are standbys of ours.
 * Returns 0 or -1 (logged). */
static int standbys_scan_open(struct pg_inst *pg, PGconn *conn,
                              struct standbys_scan *sc)
{
    char err[256];

    sc->res = pgi_exec(pg, conn, standbys_sql, 0, NULL, err, sizeof(err));
    if (sc->res == NULL) {
        ra_log_err("cannot read pg_stat_replication: %s", err);
        return -1;
    }
    sc->trusted = calloc((size_t) PQntuples(sc->res) + 1, sizeof(*sc->trusted));
    sc->dup = calloc((size_t) PQntuples(sc->res) + 1, sizeof(*sc->dup));
    sc->hf = open_memstream(&sc->healthy, &sc->hlen);
    if (sc->trusted == NULL || sc->dup == NULL || sc->hf == NULL) {
        ra_log_err("out of memory");
        return -1;
    }
    standbys_trust(pg, sc->res, sc->trusted, sc->dup);
    return 0;
}

static void standbys_scan_close(struct standbys_scan *sc)
{
    if (sc->hf != NULL) {
        fclose(sc->hf);
    }
    free(sc->healthy);
    free(sc->trusted);
    free(sc->dup);
    PQclear(sc->res);
}

int primary_check_standbys(struct pg_inst *pg, PGconn *conn,
                           const struct pg_status *st)
{
    struct standbys_scan sc = { .res = NULL };
    bool sync = strcmp(synchronous_mode(pg), "off") != 0;
    long long maxlag = ra_param_int(pg->ctx, "maxlag");
    int streaming = -1;

    sc.nknown = known_read(pg, sc.known, KNOWN_MAX);
    sc.nknown_before = sc.nknown;
    if (standbys_scan_open(pg, conn, &sc) != 0) {
        goto done;
    }
    standbys_cache_check(pg, &sc);
    for (int i = 0; i < PQntuples(sc.res); i++) {
        if (sc.trusted[i]) {
            standbys_score_row(pg, &sc, i, sync, maxlag);
        }
    }
    standbys_mark_gone(pg, &sc);
    score_set(pg, NULL, SCORE_PRIMARY);

    /* Scores are lowered above before a standby leaves the sync set here. */
    if (fclose(sc.hf) != 0) {
        sc.hf = NULL;
        ra_log_err("out of memory");
        goto done;
    }
    sc.hf = NULL;
    standbys_sync_apply(pg, conn, st->ssn, sc.healthy);
    if (slots_on(pg)) {
        slots_monitor(pg, conn, sc.known, sc.nknown);
    }
    streaming = sc.streaming;
done:
    standbys_scan_close(&sc);
    return streaming;
}

void promoted_sync_setup(struct pg_inst *pg, PGconn *conn,
                         const struct pg_status *st)
{
    /* A new primary starts asynchronous ("on") until its monitor has seen a
     * healthy standby; "strict" waits for any standby from the start. */
    standbys_sync_apply(pg, conn, st->ssn, "");
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
