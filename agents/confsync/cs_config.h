/* cs_config.h: what the confsync agent tells its watcher, the one type of
 * the agent -> watcher channel (the way back is cs_state.h).  It travels on
 * the watcher's command line: cs_config_argv writes it, cs_config_parse
 * reads it back.  Every field is always written and every option required,
 * so the agent's meta-data stays the only home of the defaults.
 * Licence: GPL-2.0-or-later. */
#ifndef CS_CONFIG_H
#define CS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct cs_config {
    const char *instance;       /* the resource (log lines, rsyncd module) */
    const char *node;           /* this node's name */
    bool source;                /* pushes to the peers; else receives */
    const char *dir;            /* the replicated folder */
    const char *state;          /* the state file (cs_state.h) */
    const char *quarantine;     /* deleted/overwritten files go here */
    const char *transport;      /* "ssh" or "rsyncd" */
    const char *ssh_user;
    const char *ssh_key;        /* "" : ssh's own default */
    const char *known_hosts;    /* "" : ssh's own default */
    const char *rsyncd_port;
    const char *secrets_file;   /* "" unless transport=rsyncd */
    long delay_ms;              /* a change is pushed after this quiet time */
    const char **excludes;      /* patterns (NULL-terminated) */
    size_t nexcludes;
    const char **peers;         /* "node=address" (NULL-terminated) */
    size_t npeers;
};

/* The watcher's command line for c, prog its argv[0]: a malloc'd,
 * NULL-terminated array whose strings are c's or static (free the array
 * only).  *storage receives a malloc'd buffer the array points into (free
 * it too).  Returns NULL when out of memory. */
const char **cs_config_argv(const struct cs_config *c, const char *prog,
                            char **storage);

/* Reads argv back into c: strings borrowed from argv, the two lists
 * malloc'd (cs_config_free, also after a failure).  Returns 0, or -EINVAL
 * with *why a static string: the missing option's flag, or what is wrong. */
int cs_config_parse(int argc, char **argv, struct cs_config *c, const char **why);
void cs_config_free(struct cs_config *c);

#endif
