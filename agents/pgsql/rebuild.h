/* rebuild.h: a standby re-cloned from the current primary (rebuild.c).
 * Licence: GPL-2.0-or-later. */
#ifndef PGSQL_REBUILD_H
#define PGSQL_REBUILD_H

#include <stddef.h>

#include "instance.h"

/* Re-clones the stopped local instance from the primary of conninfo with
 * pg_basebackup, as the system user: first whether the copy fits beside the
 * old data directory (the primary's size, no tablespaces of its own), then
 * the old one renamed to aside ("<datadir>.pre-rebuild-<UTC time>"), the
 * copy, the local configuration files put back.  On failure the old data
 * directory is back in place, aside is "" and why says what happened.
 * Returns 0 or -1. */
int pgi_rebuild(struct pg_inst *pg, const char *conninfo, char *aside,
                size_t asidelen, char *why, size_t whylen);
/* Removes the old data directory once the copy streams. */
void pgi_rebuild_done(struct pg_inst *pg, const char *aside);

#endif
