/* cs_config.c: the watcher's configuration to and from its command line.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "cs_config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The string options, in command-line order, and where each lives. */
struct str_opt {
    const char *flag;
    size_t offset;
};

#define STR_OPT(flag, field) { flag, offsetof(struct cs_config, field) }
static const struct str_opt str_opts[] = {
    STR_OPT("--instance", instance),
    STR_OPT("--node", node),
    STR_OPT("--dir", dir),
    STR_OPT("--state", state),
    STR_OPT("--quarantine", quarantine),
    STR_OPT("--transport", transport),
    STR_OPT("--ssh-user", ssh_user),
    STR_OPT("--ssh-key", ssh_key),
    STR_OPT("--known-hosts", known_hosts),
    STR_OPT("--rsyncd-port", rsyncd_port),
    STR_OPT("--secrets-file", secrets_file),
};
#define N_STR_OPTS (sizeof(str_opts) / sizeof(str_opts[0]))
/* --role and --delay besides the string options, each with its value. */
#define FIXED_ARGS (2 * (N_STR_OPTS + 2))

static const char **str_field(struct cs_config *c, size_t i)
{
    return (const char **) (void *) ((char *) c + str_opts[i].offset);
}

static const char *str_value(const struct cs_config *c, size_t i)
{
    const char *v = *(const char *const *) (const void *)
                    ((const char *) c + str_opts[i].offset);

    return v != NULL ? v : "";
}

const char **cs_config_argv(const struct cs_config *c, const char *prog,
                            char **storage)
{
    size_t n = 0;
    const char **argv = calloc(1 + FIXED_ARGS + 2 * (c->nexcludes + c->npeers) + 1,
                               sizeof(*argv));
    char *delay = malloc(24);

    if (argv == NULL || delay == NULL) {
        free(argv);
        free(delay);
        return NULL;
    }
    snprintf(delay, 24, "%ld", c->delay_ms);
    argv[n++] = prog;
    argv[n++] = "--role";
    argv[n++] = c->source ? "source" : "receiver";
    for (size_t i = 0; i < N_STR_OPTS; i++) {
        argv[n++] = str_opts[i].flag;
        argv[n++] = str_value(c, i);
    }
    argv[n++] = "--delay";
    argv[n++] = delay;
    for (size_t i = 0; i < c->nexcludes; i++) {
        argv[n++] = "--exclude";
        argv[n++] = c->excludes[i];
    }
    for (size_t i = 0; i < c->npeers; i++) {
        argv[n++] = "--peer";
        argv[n++] = c->peers[i];
    }
    argv[n] = NULL;
    *storage = delay;
    return argv;
}

/* Appends v to the NULL-terminated list (sized for every argument). */
static void list_add(const char **list, size_t *n, const char *v)
{
    list[(*n)++] = v;
    list[*n] = NULL;
}

static int parse_delay(const char *s, long *ms)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0) {
        return -EINVAL;
    }
    *ms = v;
    return 0;
}

/* One option and its value into c.  Returns 0 or -EINVAL (*why set). */
static int option_take(struct cs_config *c, const char *flag, const char *value,
                       bool *seen, const char **why)
{
    if (strcmp(flag, "--role") == 0) {
        if (strcmp(value, "source") != 0 && strcmp(value, "receiver") != 0) {
            *why = "--role is neither source nor receiver";
            return -EINVAL;
        }
        c->source = strcmp(value, "source") == 0;
        seen[N_STR_OPTS] = true;
        return 0;
    }
    if (strcmp(flag, "--delay") == 0) {
        if (parse_delay(value, &c->delay_ms) != 0) {
            *why = "--delay is not a number of milliseconds";
            return -EINVAL;
        }
        seen[N_STR_OPTS + 1] = true;
        return 0;
    }
    if (strcmp(flag, "--exclude") == 0) {
        list_add(c->excludes, &c->nexcludes, value);
        return 0;
    }
    if (strcmp(flag, "--peer") == 0) {
        list_add(c->peers, &c->npeers, value);
        return 0;
    }
    for (size_t i = 0; i < N_STR_OPTS; i++) {
        if (strcmp(flag, str_opts[i].flag) == 0) {
            *str_field(c, i) = value;
            seen[i] = true;
            return 0;
        }
    }
    *why = "unknown option";
    return -EINVAL;
}

int cs_config_parse(int argc, char **argv, struct cs_config *c, const char **why)
{
    bool seen[N_STR_OPTS + 2] = { false };

    memset(c, 0, sizeof(*c));
    c->excludes = calloc((size_t) argc + 1, sizeof(*c->excludes));
    c->peers = calloc((size_t) argc + 1, sizeof(*c->peers));
    if (c->excludes == NULL || c->peers == NULL) {
        *why = "out of memory";
        return -EINVAL;
    }
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) {
            *why = "an option without its value";
            return -EINVAL;
        }
        if (option_take(c, argv[i], argv[i + 1], seen, why) != 0) {
            return -EINVAL;
        }
    }
    for (size_t i = 0; i < N_STR_OPTS + 2; i++) {
        if (!seen[i]) {
            *why = i < N_STR_OPTS ? str_opts[i].flag
                   : i == N_STR_OPTS ? "--role" : "--delay";
            return -EINVAL;
        }
    }
    return 0;
}

void cs_config_free(struct cs_config *c)
{
    free(c->excludes);
    free(c->peers);
    c->excludes = NULL;
    c->peers = NULL;
}
