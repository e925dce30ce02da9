/* slots.h: one physical replication slot per standby node (slots=true),
 * created and dropped by the primary.  Licence: GPL-2.0-or-later. */
#ifndef PGSQL_SLOTS_H
#define PGSQL_SLOTS_H

#include <stdbool.h>
#include <stddef.h>

#include "instance.h"
#include "notify.h"

#define SLOTS_MAX 32

/* Physical slot name of a node: lower-case alphanumerics and "_" (pure). */
void slot_name(const char *node, char *buf, size_t len);
/* The slots parameter. */
bool slots_on(const struct pg_inst *pg);

/* Creates (and records) the slots of the nodes named in the list. */
void slots_create(struct pg_inst *pg, PGconn *conn, char nodes[][128], size_t n);
/* Primary, at promote: a slot for every other cluster node, up or down. */
void slots_promote(struct pg_inst *pg, PGconn *conn);
/* Primary monitor: slots of the standbys known; drops the recorded slots of
 * nodes that left the cluster. */
void slots_monitor(struct pg_inst *pg, PGconn *conn, char known[][128],
                   size_t nknown);
/* A node that starts as a standby drops the slots of its time as primary. */
void slots_drop_stale_local(struct pg_inst *pg);
/* Pre-start notification: the primary creates the slots of the nodes about
 * to start. */
void slots_pre_start(struct pg_inst *pg, const struct ra_notify *nt);

#endif
