/* nodes.c: the cluster's nodes (crm_node -l), cached in a state file.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "nodes.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "ra.h"
#include "run.h"

bool name_in(char names[][128], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* The cluster's nodes (crm_node -l: members and lost ones alike).
 * Returns how many, or -1 when the list is unknown. */
int cluster_nodes(struct pg_inst *pg, char names[][128], size_t max)
{
    const char *argv[] = { "crm_node", "-l", NULL };
    struct ra_run_opts opts = { .deadline = &pg->ctx->deadline,
                                .timeout_ms = 5000 };
    struct ra_run_result res;
    char *save = NULL;
    size_t n = 0;

    if (ra_run(argv, &opts, &res) != 0) {
        return -1;
    }
    if (res.exit_status != 0) {
        ra_log_warn("crm_node -l failed: %s", res.err);
        ra_run_result_free(&res);
        return -1;
    }
    /* "<id> <name> <state>" */
    for (char *l = strtok_r(res.out, "\n", &save); l != NULL && n < max;
         l = strtok_r(NULL, "\n", &save)) {
        char name[128];

        if (sscanf(l, "%*s %127s", name) == 1) {
            snprintf(names[n++], 128, "%s", name);
        }
    }
    ra_run_result_free(&res);
    return (int) n;
}

/* The cluster's nodes, cached in a state file (a steady monitor forks
 * nothing): asked again when older than NODES_TTL_S, or when a name is
 * missing (missing != NULL) and the cache is older than NODES_RETRY_S.
 * When crm_node fails the cache is used, however old.  Returns how many, or
 * -1 when unknown. */
#define NODES_TTL_S 600
#define NODES_RETRY_S 60

static int nodes_cache_read(const char *path, char names[][128], size_t max)
{
    char line[160];
    int n = 0;
    FILE *f = fopen(path, "re");

    if (f == NULL) {
        return -1;
    }
    while ((size_t) n < max && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] != '\0') {
            snprintf(names[n++], 128, "%.127s", line);
        }
    }
    fclose(f);
    return n;
}

int cluster_nodes_cached(struct pg_inst *pg, char names[][128],
                                size_t max, const char *missing)
{
    char path[PATH_MAX];
    struct stat sb;
    time_t now = time(NULL);
    bool have = false;
    long age = 0;
    int n;
    FILE *f;

    if (ra_state_path(pg->ctx, "cluster-nodes", path, sizeof(path)) != 0) {
        return cluster_nodes(pg, names, max);
    }
    have = stat(path, &sb) == 0;
    age = have ? (long) (now - sb.st_mtime) : 0;
    n = have ? nodes_cache_read(path, names, max) : -1;
    if (n >= 0 && age >= 0 && age < NODES_TTL_S
        && (missing == NULL || name_in(names, (size_t) n, missing)
            || age < NODES_RETRY_S)) {
        return n;
    }
    {
        char fresh[NODES_MAX][128];
        int nf = cluster_nodes(pg, fresh, NODES_MAX);

        if (nf < 0) {
            return n;           /* the old list, or unknown */
        }
        n = 0;
        f = fopen(path, "we");
        for (int i = 0; i < nf && (size_t) n < max; i++) {
            memcpy(names[n++], fresh[i], 128);
            if (f != NULL) {
                fprintf(f, "%s\n", fresh[i]);
            }
        }
        if (f != NULL) {
            fclose(f);
        }
    }
    return n;
}
