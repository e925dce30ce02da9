/* slots.c: one physical replication slot per standby node (slots=true).
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "slots.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsafe.h"
#include "log.h"
#include "nodes.h"
#include "ra.h"
#include "state.h"

/* Physical slot name of a node: lower-case alphanumerics and "_". */
void slot_name(const char *node, char *buf, size_t len)
{
    size_t o = 0;

    for (; *node != '\0' && o + 1 < len; node++) {
        char c = *node;

        buf[o++] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c
                   : (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : '_';
    }
    buf[o] = '\0';
}

/* ---- replication slots (slots=true) -------------------------------------
 *
 * One physical slot per standby node, named after the node (slot_name()).
 * The primary creates the slots of every other cluster node at promote, of a
 * node whose instance starts (pre-start notification) and of every standby it
 * sees.  It records the slots it created in SLOTS_RECORD (data directory,
 * owned by system_user) so it never drops a slot an admin created.  A recorded
 * slot is dropped when it is inactive and its node is no longer a cluster node
 * (crm_node -l, at most every SLOTS_CHECK_S while such a slot exists); a slot
 * of a node that is merely down is kept: that is what slots are for.  A node
 * that starts as a standby drops the inactive slots it kept from its time as
 * primary: on a standby they would only hold back its own WAL. */
#define SLOTS_RECORD "ctfreak-ha-slots"
#define SLOTS_CHECK_S 60

bool slots_on(const struct pg_inst *pg)
{
    return ra_param_bool(pg->ctx, "slots");
}

/* The record (in the data directory, which the system user writes: read
 * and replaced through fsafe, never following what is planted there). */
static size_t slots_record_read(struct pg_inst *pg, char names[][128],
                                size_t max)
{
    char path[PATH_MAX];
    char *buf = NULL;
    char *save = NULL;
    size_t len = 0;
    size_t n = 0;
    int rc;

    pgi_path(pg, SLOTS_RECORD, path, sizeof(path));
    rc = ra_file_slurp(path, pg->uid, SLOTS_MAX * 129, &buf, &len);
    if (rc != 0) {
        if (rc != -ENOENT) {
            ra_log_warn("%s ignored: %s", path, strerror(-rc));
        }
        return 0;
    }
    for (char *l = strtok_r(buf, "\n", &save); l != NULL && n < max;
         l = strtok_r(NULL, "\n", &save)) {
        if (strlen(l) < 128 && !name_in(names, n, l)) {
            snprintf(names[n++], 128, "%s", l);
        }
    }
    free(buf);
    return n;
}

static void slots_record_write(struct pg_inst *pg, char names[][128], size_t n)
{
    char path[PATH_MAX];
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    int rc;

    pgi_path(pg, SLOTS_RECORD, path, sizeof(path));
    if (n == 0) {
        (void) ra_file_remove(path);
        return;
    }
    f = open_memstream(&buf, &len);
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\n", names[i]);
    }
    /* pg_basebackup and pg_rewind read every file of the data directory:
     * a new file, the system user's. */
    rc = fclose(f) != 0 ? -ENOMEM
         : ra_file_replace(path, buf, len, 0600, pg->uid, pg->gid);
    if (rc != 0) {
        ra_log_warn("cannot write %s: %s", path, strerror(-rc));
    }
    free(buf);
}

/* The same, as slot names. */
static int cluster_node_slots(struct pg_inst *pg, char names[][128], size_t max)
{
    int n = cluster_nodes(pg, names, max);

    for (int i = 0; i < n; i++) {
        char slot[128];

        slot_name(names[i], slot, sizeof(slot));
        memcpy(names[i], slot, sizeof(slot));
    }
    return n;
}

/* Runs one slot statement (parameter $1 = the slot); a returned row means it
 * acted, which is logged as "replication slot <slot> <done>". */
static bool slot_apply(struct pg_inst *pg, PGconn *conn, const char *sql,
                       const char *slot, const char *verb, const char *done)
{
    const char *params[1] = { slot };
    char err[256];
    PGresult *res = pgi_exec(pg, conn, sql, 1, params, err, sizeof(err));

    if (res == NULL) {
        ra_log_warn("cannot %s replication slot %s: %s", verb, slot, err);
        return false;
    }
    if (PQntuples(res) == 1) {
        ra_log_notice("replication slot %s %s", slot, done);
    }
    PQclear(res);
    return true;
}

static bool slot_create(struct pg_inst *pg, PGconn *conn, const char *slot)
{
    return slot_apply(pg, conn,
                      "SELECT pg_create_physical_replication_slot($1, true)"
                      " WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots"
                      "                   WHERE slot_name = $1)",
                      slot, "create", "created");
}

static bool slot_drop(struct pg_inst *pg, PGconn *conn, const char *slot)
{
    return slot_apply(pg, conn,
                      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                      " WHERE slot_name = $1 AND slot_type = 'physical' AND NOT active",
                      slot, "drop", "dropped");
}

/* Creates (and records) the slots of the nodes named in the list. */
void slots_create(struct pg_inst *pg, PGconn *conn, char nodes[][128],
                         size_t n)
{
    char rec[SLOTS_MAX][128];
    size_t nrec = slots_record_read(pg, rec, SLOTS_MAX);
    size_t before = nrec;
    char self[128];

    slot_name(pg->ctx->node, self, sizeof(self));
    for (size_t i = 0; i < n; i++) {
        char slot[128];

        slot_name(nodes[i], slot, sizeof(slot));
        if (slot[0] == '\0' || strcmp(slot, self) == 0
            || !slot_create(pg, conn, slot)) {
            continue;
        }
        if (!name_in(rec, nrec, slot) && nrec < SLOTS_MAX) {
            snprintf(rec[nrec++], 128, "%.127s", slot);
        }
    }
    if (nrec != before) {
        slots_record_write(pg, rec, nrec);
    }
}

/* Primary, at promote: a slot for every other cluster node, up or down. */
void slots_promote(struct pg_inst *pg, PGconn *conn)
{
    char nodes[SLOTS_MAX][128];
    int n;

    if (!slots_on(pg)) {
        return;
    }
    n = cluster_node_slots(pg, nodes, SLOTS_MAX);
    if (n < 0) {
        ra_log_warn("cluster nodes unknown: slots created as standbys connect");
        return;
    }
    slots_create(pg, conn, nodes, (size_t) n);
}

/* The physical slots (have) and the inactive ones (idle).  Returns 0 or
 * -1 (logged). */
static int slots_list(struct pg_inst *pg, PGconn *conn, char have[][128],
                      size_t *nhave, char idle[][128], size_t *nidle)
{
    char err[256];
    PGresult *res;

    *nhave = 0;
    *nidle = 0;
    res = pgi_exec(pg, conn, "SELECT slot_name, active FROM pg_replication_slots"
                   " WHERE slot_type = 'physical'", 0, NULL, err, sizeof(err));
    if (res == NULL) {
        ra_log_warn("cannot list replication slots: %s", err);
        return -1;
    }
    for (int i = 0; i < PQntuples(res) && *nhave < SLOTS_MAX; i++) {
        snprintf(have[(*nhave)++], 128, "%.127s", PQgetvalue(res, i, 0));
        if (strcmp(PQgetvalue(res, i, 1), "f") == 0 && *nidle < SLOTS_MAX) {
            snprintf(idle[(*nidle)++], 128, "%.127s", PQgetvalue(res, i, 0));
        }
    }
    PQclear(res);
    return 0;
}

/* Is it time to ask the cluster about the nodes of recorded slots (at most
 * every SLOTS_CHECK_S)?  Stamps the check when it is. */
static bool slots_check_due(struct pg_inst *pg)
{
    char path[PATH_MAX];
    struct stat sb;
    FILE *f;

    if (ra_state_path(pg->ctx, "slots-checked", path, sizeof(path)) != 0) {
        return false;
    }
    if (stat(path, &sb) == 0 && time(NULL) - sb.st_mtime < SLOTS_CHECK_S
        && time(NULL) >= sb.st_mtime) {
        return false;
    }
    f = fopen(path, "we");
    if (f != NULL) {
        fclose(f);
    }
    return true;
}

/* Drops the inactive recorded slots whose node left the cluster. */
static void slots_drop_departed(struct pg_inst *pg, PGconn *conn,
                                char have[][128], size_t nhave,
                                char idle[][128], size_t nidle)
{
    char rec[SLOTS_MAX][128];
    size_t nrec = slots_record_read(pg, rec, SLOTS_MAX);
    char nodes[SLOTS_MAX][128];
    bool suspect = false;
    size_t keep = 0;
    int nn;

    for (size_t i = 0; i < nrec; i++) {
        suspect = suspect || name_in(idle, nidle, rec[i])
                  || !name_in(have, nhave, rec[i]);
    }
    if (!suspect || !slots_check_due(pg)) {
        return;
    }
    nn = cluster_node_slots(pg, nodes, SLOTS_MAX);
    if (nn < 0) {
        return;                 /* unknown: never drop */
    }
    for (size_t i = 0; i < nrec; i++) {
        if (!name_in(have, nhave, rec[i])) {
            continue;           /* gone already (dropped by an admin) */
        }
        if (name_in(idle, nidle, rec[i]) && !name_in(nodes, (size_t) nn, rec[i])) {
            ra_log_notice("node of replication slot %s is no longer in the "
                          "cluster: dropping the slot", rec[i]);
            if (slot_drop(pg, conn, rec[i])) {
                continue;
            }
        }
        if (keep != i) {
            memmove(rec[keep], rec[i], 128);
        }
        keep++;
    }
    if (keep != nrec) {
        slots_record_write(pg, rec, keep);
    }
}

/* Primary monitor: slots of the standbys seen; drops the recorded slots of
 * nodes that left the cluster.  One query when nothing changes. */
void slots_monitor(struct pg_inst *pg, PGconn *conn, char known[][128],
                   size_t nknown)
{
    char have[SLOTS_MAX][128];
    char idle[SLOTS_MAX][128];
    char missing[SLOTS_MAX][128];
    size_t nhave;
    size_t nidle;
    size_t nmissing = 0;

    if (slots_list(pg, conn, have, &nhave, idle, &nidle) != 0) {
        return;
    }
    for (size_t k = 0; k < nknown; k++) {
        char slot[128];

        slot_name(known[k], slot, sizeof(slot));
        if (!name_in(have, nhave, slot)) {
            snprintf(missing[nmissing++], 128, "%.127s", known[k]);
        }
    }
    if (nmissing > 0) {
        slots_create(pg, conn, missing, nmissing);
    }
    /* Inactive recorded slots: is their node still in the cluster? */
    slots_drop_departed(pg, conn, have, nhave, idle, nidle);
}

/* A node that starts as a standby: the inactive slots it kept from its time
 * as primary (recorded, or named after a cluster node) only hold back WAL. */
void slots_drop_stale_local(struct pg_inst *pg)
{
    char rec[SLOTS_MAX][128];
    char nodes[SLOTS_MAX][128];
    size_t nrec;
    int nn;
    char err[256];
    PGconn *conn;
    PGresult *res;

    if (!slots_on(pg)) {
        return;
    }
    nrec = slots_record_read(pg, rec, SLOTS_MAX);
    nn = cluster_node_slots(pg, nodes, SLOTS_MAX);
    for (int i = 0; i < nn && nrec < SLOTS_MAX; i++) {
        if (!name_in(rec, nrec, nodes[i])) {
            snprintf(rec[nrec++], 128, "%.127s", nodes[i]);
        }
    }
    if (nrec == 0 || (conn = pgi_connect(pg, err, sizeof(err))) == NULL) {
        return;
    }
    res = pgi_exec(pg, conn, "SELECT slot_name FROM pg_replication_slots"
                   " WHERE slot_type = 'physical' AND NOT active", 0, NULL,
                   err, sizeof(err));
    for (int i = 0; res != NULL && i < PQntuples(res); i++) {
        if (name_in(rec, nrec, PQgetvalue(res, i, 0))) {
            ra_log_notice("standby: dropping replication slot %s left from "
                          "its time as primary", PQgetvalue(res, i, 0));
            (void) slot_drop(pg, conn, PQgetvalue(res, i, 0));
        }
    }
    PQclear(res);
    PQfinish(conn);
    slots_record_write(pg, rec, 0);
}

/* The primary creates the slots of the standbys about to start, so they can
 * stream at once (primary_slot_name). */
void slots_pre_start(struct pg_inst *pg, const struct ra_notify *nt)
{
    const struct ra_nodes *l = &nt->lists[RA_NODES_START];
    char nodes[SLOTS_MAX][128];
    size_t n = 0;
    struct pg_status st;
    struct pg_control cd;
    PGconn *conn = NULL;

    for (size_t i = 0; i < l->count && n < SLOTS_MAX; i++) {
        snprintf(nodes[n++], 128, "%.127s", l->names[i]);
    }
    if (n > 0 && instance_state(pg, &st, &cd, &conn) == PG_PRIMARY) {
        slots_create(pg, conn, nodes, n);
    }
    if (conn != NULL) {
        PQfinish(conn);
    }
}
