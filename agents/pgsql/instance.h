/* instance.h: the PostgreSQL instance as the pgsql agent sees it (files,
 * processes, pg_controldata, libpq, timelines): instance.c's API.  Licence: GPL-2.0-or-later. */
#ifndef PGSQL_INSTANCE_H
#define PGSQL_INSTANCE_H

#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <libpq-fe.h>

#include "parse.h"
#include "ra.h"

/* The parsed parameters of one instance plus what is derived from them. */
struct pg_inst {
    struct ra_ctx *ctx;
    const char *bindir;
    const char *pgdata;         /* postgres -D */
    const char *datadir;        /* data_directory */
    const char *pghost;
    const char *user;
    char port[16];
    uid_t uid;
    gid_t gid;
    char base[128];             /* resource name without a clone suffix */
    char postgres[PATH_MAX];    /* bindir/postgres */
    char logfile[PATH_MAX];     /* the server's stdout/stderr (logfile) */
    char datadir_found[PATH_MAX]; /* data_directory of pgdata's config,
                                   * when the datadir parameter is unset */
    char not_ready_said[256];   /* the last "refuses connections" logged:
                                 * a start polling every 100 ms logs each
                                 * reason once */
};

/* Fills pg from ctx's parameters; returns an OCF code (reason printed). */
int pgi_init(struct pg_inst *pg, struct ra_ctx *ctx);

/* Path of a file in the data directory. */
void pgi_path(const struct pg_inst *pg, const char *name, char *buf, size_t len);
bool pgi_exists(const struct pg_inst *pg, const char *name);

/* The live postmaster's pid, or 0.  *stale_pidfile tells a postmaster.pid
 * naming a dead (or zombie) process. */
pid_t pgi_postmaster(const struct pg_inst *pg, bool *stale_pidfile);

/* Removes postmaster.pid and the socket lock file when they name a dead
 * (or zombie) postmaster. */
void pgi_stale_cleanup(const struct pg_inst *pg);

/* Runs pg_controldata; returns 0 or -errno (reason logged). */
int pgi_controldata(struct pg_inst *pg, struct pg_control *cd);

/* Local connection as system_user over pghost/pgport. */
PGconn *pgi_connect(struct pg_inst *pg, char *err, size_t errlen);
/* Runs sql; NULL on error (err set). */
PGresult *pgi_exec(struct pg_inst *pg, PGconn *conn, const char *sql,
                   int nparams, const char *const *params, char *err,
                   size_t errlen);
/* Runs sql expecting one row; copies column 0 into out. Returns 0 or -1. */
int pgi_query_value(struct pg_inst *pg, PGconn *conn, const char *sql,
                    char *out, size_t outlen, char *err, size_t errlen);

/* Makes logfile ready for the launch: its folder made when missing, the
 * file opened as fsafe does (a planted link, FIFO or hard link is refused,
 * a new file is given to the system user).  Returns 0 or -1 (exit reason
 * given). */
int pgi_server_log_ready(struct pg_inst *pg);
/* Launches postgres -D pgdata start_opts as a daemon, its output appended
 * to logfile.  Returns 0 or -errno. */
int pgi_server_launch(struct pg_inst *pg, pid_t *launched);
/* Fast shutdown of pid, escalating to immediate close to the deadline, or
 * after fast_max_ms (> 0).  Returns true when the postmaster is gone. */
bool pgi_server_stop(struct pg_inst *pg, pid_t pid, long fast_max_ms);
/* Runs crash recovery in single-user mode (ends with a clean shutdown). */
int pgi_crash_recovery(struct pg_inst *pg);
/* postgres -C name: a setting of the stopped server (malloc'd) or NULL. */
char *pgi_setting(struct pg_inst *pg, const char *name);

int pgi_standby_signal_write(struct pg_inst *pg);

/* ---- for upstream.c ---- */

/* Connects with conninfo (plus keys/vals) as the system user. */
PGconn *pgi_connect_as_user(struct pg_inst *pg, const char *conninfo,
                            const char *const *keys, const char *const *vals,
                            char *err, size_t errlen);
/* Simple-protocol query (the replication protocol refuses the extended
 * one), bounded by the deadline; NULL on error (err set). */
PGresult *pgi_simple_exec(PGconn *conn, const char *cmd,
                          const struct ra_deadline *d, char *err,
                          size_t errlen);
/* Writes a conninfo value in single quotes, \\ and \' escaped. */
void pgi_conninfo_quote(FILE *f, const char *v);

/* ---- upstream.c: the primary a standby follows ---- */

/* Asks the primary of conninfo (replication connection) for its timeline,
 * flush position and history.  Returns 0 or -1 (err set). */
int pgi_primary_view(struct pg_inst *pg, const char *conninfo,
                     struct pg_primary_view *v, char *err, size_t errlen);
void pgi_primary_view_free(struct pg_primary_view *v);
/* The data directory's own configuration files (postgresql.auto.conf,
 * postgresql.conf, pg_hba.conf, pg_ident.conf): pg_rewind and pg_basebackup
 * copy the primary's, these keep their local content. */
#define PGI_LOCAL_FILES 4
struct pgi_saved_file {
    char *buf;
    size_t len;
    struct stat sb;
};
struct pgi_local_conf {
    struct pgi_saved_file f[PGI_LOCAL_FILES];
};
void pgi_local_conf_save(struct pg_inst *pg, struct pgi_local_conf *c);
/* Puts them back (and frees them); returns 0 or -EIO. */
int pgi_local_conf_restore(struct pg_inst *pg, struct pgi_local_conf *c);
/* pg_rewind's --source-server and pg_basebackup's -d: conninfo (URI or
 * keywords) as keywords, with dbname=postgres and without its password,
 * which goes to *password (for PGPASSWORD: an argv is readable by every
 * local user).  sslpassword has no environment variable: it is left out.
 * Returns a malloc'd string or NULL. */
char *pgi_source_conninfo(const char *conninfo, char **password);
/* Runs pg_rewind against conninfo (keeps the local configuration files). */
int pgi_rewind(struct pg_inst *pg, const char *conninfo);
/* Whether pg_rewind could run here from the primary of conninfo: its role's
 * rights there ("login" when it cannot connect to dbname=postgres,
 * "pg_ls_dir", "pg_stat_file", "pg_read_binary_file", "pg_checkpoint"), and
 * here ("wal_log_hints": neither it nor data checksums; local is a
 * connection to this server).  missing gets the space-separated names, ""
 * when it could; why the connection's error, if any.  Returns 0, or -1 when
 * the local server could not be asked (why set). */
int pgi_rewind_readiness(struct pg_inst *pg, PGconn *local, const char *conninfo,
                         char *missing, size_t len, char *why, size_t whylen);

#endif
