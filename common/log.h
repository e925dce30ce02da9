/* log.h: logging through libqb with the ctfreak(<instance>)[<action>] prefix.
 * Licence: GPL-2.0-or-later. */
#ifndef RA_LOG_H
#define RA_LOG_H

#include <stdbool.h>
#include <syslog.h>
#include <qb/qblog.h>

/* Sets up libqb: stderr always (Pacemaker captures it), syslog when
 * HA_LOGFACILITY names a facility, debug when HA_debug=1.  Every line starts
 * with "<agent>(<instance>)[<action>]: ".  Like resource-agents'
 * ocf-shellfuncs, HA_LOGFILE (an absolute path) gets every line but debug
 * ones, HA_DEBUGLOG every line (debug ones with HA_debug), each opened
 * through fsafe (no symlink followed, no FIFO waited on). */
void ra_log_init(const char *agent, const char *instance, const char *action);
void ra_log_fini(void);

#define ra_log_err(...)     qb_log(LOG_ERR, __VA_ARGS__)
#define ra_log_warn(...)    qb_log(LOG_WARNING, __VA_ARGS__)
#define ra_log_notice(...)  qb_log(LOG_NOTICE, __VA_ARGS__)
#define ra_log_info(...)    qb_log(LOG_INFO, __VA_ARGS__)
#define ra_log_debug(...)   qb_log(LOG_DEBUG, __VA_ARGS__)

/* Prints the "ocf-exit-reason:" line crm_mon shows, and logs it as an error. */
void ra_exit_reason(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs a failure that may repeat every monitor interval: at priority prio the
 * first time (or when the text changed), at debug afterwards.  state_file
 * remembers the last text (NULL: always log).  ra_log_repeat_clear() forgets it
 * once the condition is gone. */
void ra_log_repeat(const char *state_file, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ra_log_repeat_clear(const char *state_file);

/* The exit-reason line (printed every time: Pacemaker records it with each
 * failed operation), logged as an error only when key, a stable name of the
 * problem (without timings or counters), differs from the last one. */
void ra_exit_reason_repeat(const char *state_file, const char *key,
                           const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
