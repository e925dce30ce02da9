/* cs_receive.h: the receiving end of a confsync push over ssh (rsync's
 * --rsync-path on the peer).  Licence: GPL-2.0-or-later. */
#ifndef CS_RECEIVE_H
#define CS_RECEIVE_H

/* Exit code when the quarantine cannot be prepared (the watcher's jobs use
 * the same code for local errors). */
#define CS_RECEIVE_FAILED 122

/* confsync-watcher --receive QUARANTINE STAMP rsync --server ...: opens the
 * quarantine without following another user's link, makes the session
 * folder root-only and execs rsync with --backup-dir=/proc/self/fd/N.
 * Returns only on failure (CS_RECEIVE_FAILED, reason on stderr). */
int cs_receive_main(int argc, char **argv);

#endif
