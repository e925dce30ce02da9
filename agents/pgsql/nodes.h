/* nodes.h: the cluster's nodes (crm_node -l), cached in a state file so a
 * steady monitor forks nothing.  Licence: GPL-2.0-or-later. */
#ifndef PGSQL_NODES_H
#define PGSQL_NODES_H

#include <stdbool.h>
#include <stddef.h>

#include "instance.h"

#define NODES_MAX 32

/* Is name one of the n names? */
bool name_in(char names[][128], size_t n, const char *name);

/* The cluster's nodes (members and lost ones alike).  Returns how many, or
 * -1 when the list is unknown. */
int cluster_nodes(struct pg_inst *pg, char names[][128], size_t max);

/* The same, from the cache when it is young enough (missing: a name that
 * should be there, which shortens its life).  Returns how many, or -1. */
int cluster_nodes_cached(struct pg_inst *pg, char names[][128], size_t max,
                         const char *missing);

#endif
