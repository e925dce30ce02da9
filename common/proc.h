/* proc.h: processes and pid files that survive reality (stale, reused,
 * zombie, foreign-owned).  Licence: GPL-2.0-or-later. */
#ifndef RA_PROC_H
#define RA_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "deadline.h"

enum ra_proc_state {
    RA_PROC_GONE,       /* no such process */
    RA_PROC_ZOMBIE,     /* dead but not reaped (kill -0 still succeeds) */
    RA_PROC_ALIVE,
};

/* State of pid from /proc/<pid>/stat (a zombie is dead). */
enum ra_proc_state ra_proc_state(pid_t pid);
bool ra_proc_alive(pid_t pid);

/* Reads a whole small file (at most len - 1 bytes: a longer one is cut, and
 * len - 1 returned) into buf, NUL-terminated; returns its length or -1.
 * A plain open (symlinks followed): for the /proc/<pid> files read here and
 * other files no other user can replace; a file in a folder another user can
 * write goes through fsafe.h. */
ssize_t ra_file_read(const char *path, char *buf, size_t len);

/* The identity a process must have to be "ours": its executable (compared
 * with /proc/<pid>/exe, or argv[0]/argv[1] for interpreted programs) and a
 * sequence of arguments that must appear in its command line, in order and
 * adjacent (e.g. {"-c", "/etc/ctfreak", NULL}). */
struct ra_proc_match {
    const char *exe;
    const char *const *args;
    const uid_t *uid;           /* the user it must run as (NULL: any user) */
};

bool ra_proc_matches(pid_t pid, const struct ra_proc_match *m);

/* Scans /proc for live processes matching m (never ourselves).  Fills up to
 * max pids, returns how many were found (may exceed max). */
size_t ra_proc_find(const struct ra_proc_match *m, pid_t *pids, size_t max);

enum ra_pidfile_status {
    RA_PIDFILE_OK,          /* pid read, file trusted */
    RA_PIDFILE_MISSING,
    RA_PIDFILE_INVALID,     /* not a number above 1 (pid 1 is never ours) */
    RA_PIDFILE_UNTRUSTED,   /* owned by a user other than root or owner_uid */
};

/* Reads a pid file through fsafe (no symlink, FIFO or hard link: INVALID).
 * owner_uid is the other user allowed to own it ((uid_t)-1: root only). */
enum ra_pidfile_status ra_pidfile_read(const char *path, uid_t owner_uid, pid_t *pid);
const char *ra_pidfile_status_str(enum ra_pidfile_status s);

/* Writes pid atomically through fsafe (a fresh temporary file renamed over
 * the name: nothing planted there is followed), mode 0644.  Returns 0 or -errno. */
int ra_pidfile_write(const char *path, pid_t pid);

/* Finds the running process of a resource: the pid file's pid if it is alive
 * and matches m, else a scan of /proc.  Returns the pid, or 0 if none;
 * *found_by_scan tells a pid found without (or despite) the pid file. */
pid_t ra_proc_locate(const char *pid_file, uid_t owner_uid,
                     const struct ra_proc_match *m, bool *found_by_scan);

/* Waits until pid is gone (or a zombie) or the deadline, polling every few
 * ms (the caller sends the signal).  Returns true when it is gone. */
bool ra_proc_wait_gone(pid_t pid, const struct ra_deadline *d);

#endif
