/* log.c: logging through libqb (stderr + syslog) with the agent prefix.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fsafe.h"

/* Copies s into dst doubling '%' (the prefix becomes part of a libqb format). */
static void escape_percent(char *dst, size_t len, const char *s)
{
    size_t o = 0;

    for (; *s != '\0' && o + 2 < len; s++) {
        dst[o++] = *s;
        if (*s == '%') {
            dst[o++] = '%';
        }
    }
    dst[o] = '\0';
}

static int facility_from_env(void)
{
    const char *f = getenv("HA_LOGFACILITY");

    if (f == NULL || *f == '\0' || strcasecmp(f, "none") == 0) {
        return -1;
    }
    return qb_log_facility2int(f);
}

static bool debug_from_env(void)
{
    const char *d = getenv("HA_debug");

    return d != NULL && (strcmp(d, "1") == 0 || strcasecmp(d, "true") == 0
                         || strcasecmp(d, "yes") == 0);
}

/* ---- HA_LOGFILE and HA_DEBUGLOG, as resource-agents' ocf-shellfuncs ---- */

/* A log file target: its descriptor and the line prefix. */
struct file_target {
    int fd;
    char prefix[256];
};

static const char *prio_name(int prio)
{
    switch (prio) {
    case LOG_EMERG: return "EMERG";
    case LOG_ALERT: return "ALERT";
    case LOG_CRIT: return "CRIT";
    case LOG_ERR: return "ERROR";
    case LOG_WARNING: return "WARNING";
    case LOG_NOTICE: return "NOTICE";
    case LOG_INFO: return "INFO";
    default: return "DEBUG";
    }
}

/* One line "Dec 04 18:50:00 agent(instance)[action]: INFO: text", written
 * with one write(2) so that concurrent agents' lines do not interleave. */
static void file_target_log(int32_t t, struct qb_log_callsite *cs,
                            struct timespec *ts, const char *msg)
{
    const struct file_target *ft = qb_log_target_user_data_get(t);
    char stamp[32] = "";
    char line[2048];
    struct tm tm;
    time_t sec = ts != NULL ? ts->tv_sec : time(NULL);
    int n;

    if (ft == NULL) {
        return;
    }
    if (localtime_r(&sec, &tm) != NULL) {
        strftime(stamp, sizeof(stamp), "%b %d %T", &tm);
    }
    n = snprintf(line, sizeof(line), "%s %s: %s: %s\n", stamp, ft->prefix,
                 prio_name(cs->priority), msg);
    if (n >= (int) sizeof(line)) {
        n = (int) sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    if (n > 0) {
        (void) !write(ft->fd, line, (size_t) n);
    }
}

static void file_target_close(int32_t t)
{
    struct file_target *ft = qb_log_target_user_data_get(t);

    if (ft != NULL) {
        close(ft->fd);
        free(ft);
        (void) qb_log_target_user_data_set(t, NULL);
    }
}

/* Opens path (through fsafe: no symlink followed, no FIFO waited on, an
 * existing file must be root's or ours) as a target of the lines up to
 * level.  Returns 0 or -errno; the caller reports the failure. */
static int file_target_open(const char *path, const char *prefix, int level)
{
    struct file_target *ft = NULL;
    int fd = ra_file_open_append(path, 0640, RA_FSAFE_KEEP, RA_FSAFE_KEEP);
    int32_t t;

    if (fd < 0) {
        return fd;
    }
    ft = calloc(1, sizeof(*ft));
    if (ft == NULL) {
        close(fd);
        return -ENOMEM;
    }
    ft->fd = fd;
    snprintf(ft->prefix, sizeof(ft->prefix), "%s", prefix);
    t = qb_log_custom_open(file_target_log, file_target_close, NULL, ft);
    if (t < 0) {
        close(fd);
        free(ft);
        return t;
    }
    qb_log_ctl(t, QB_LOG_CONF_ENABLED, QB_TRUE);
    qb_log_filter_ctl(t, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", level);
    return 0;
}

static const char *env_path(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && v[0] == '/' ? v : NULL;
}

/* HA_LOGFILE gets every line but the debug ones; HA_DEBUGLOG every line, the
 * debug ones too with HA_debug (the same file named twice: opened once).  A
 * file that cannot be opened safely is reported on stderr and skipped. */
static void file_targets_open(const char *prefix, int level)
{
    const char *logfile = env_path("HA_LOGFILE");
    const char *debuglog = env_path("HA_DEBUGLOG");
    bool same = logfile != NULL && debuglog != NULL && strcmp(logfile, debuglog) == 0;
    int rc;

    if (logfile != NULL) {
        rc = file_target_open(logfile, prefix, same ? level : LOG_INFO);
        if (rc != 0) {
            qb_log(LOG_WARNING, "HA_LOGFILE %s not used: %s", logfile, strerror(-rc));
        }
    }
    if (debuglog != NULL && !same) {
        rc = file_target_open(debuglog, prefix, level);
        if (rc != 0) {
            qb_log(LOG_WARNING, "HA_DEBUGLOG %s not used: %s", debuglog, strerror(-rc));
        }
    }
}

void ra_log_init(const char *agent, const char *instance, const char *action)
{
    char prefix[256];
    char esc[512];
    char format[600];
    int facility = facility_from_env();
    int level = debug_from_env() ? LOG_DEBUG : LOG_INFO;

    snprintf(prefix, sizeof(prefix), "%s(%s)[%s]", agent,
             instance != NULL ? instance : agent, action);
    escape_percent(esc, sizeof(esc), prefix);

    qb_log_init(agent, facility < 0 ? LOG_DAEMON : facility, level);
    qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, facility < 0 ? QB_FALSE : QB_TRUE);
    qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);

    snprintf(format, sizeof(format), "%%p: %s: %%b", esc);
    qb_log_format_set(QB_LOG_STDERR, format);
    snprintf(format, sizeof(format), "%s: %%b", esc);
    qb_log_format_set(QB_LOG_SYSLOG, format);

    qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE,
                      "*", level);
    qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE,
                      "*", level);
    file_targets_open(prefix, level);
}

void ra_log_fini(void)
{
    qb_log_fini();
}

/* Prints the reason line; one line, no newlines inside: crm_mon shows it verbatim. */
static void reason_print(char *msg)
{
    for (char *p = msg; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }
    fprintf(stderr, "ocf-exit-reason:%s\n", msg);
    fflush(stderr);
}

void ra_exit_reason(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    qb_log(LOG_ERR, "%s", msg);
    reason_print(msg);
}

/* Reads the remembered text of a repeating message into buf ("" if none).
 * State files are root's: through fsafe, no link followed, no FIFO waited on. */
static void repeat_read(const char *path, char *buf, size_t len)
{
    char *text = NULL;
    size_t n = 0;

    buf[0] = '\0';
    if (ra_file_slurp(path, 0, len - 1, &text, &n) == 0) {
        memcpy(buf, text, n + 1);
    }
    free(text);
}

static void repeat_write(const char *path, const char *text)
{
    (void) ra_file_replace(path, text, strlen(text), 0600, RA_FSAFE_KEEP,
                           RA_FSAFE_KEEP);
}

/* Logs msg at prio unless state_file says key was the last problem logged. */
static void log_unless_repeated(const char *state_file, const char *key, int prio,
                                const char *msg)
{
    char last[1024];

    if (state_file == NULL) {
        qb_log(prio, "%s", msg);
        return;
    }
    repeat_read(state_file, last, sizeof(last));
    if (strcmp(last, key) == 0) {
        qb_log(LOG_DEBUG, "(repeated) %s", msg);
        return;
    }
    qb_log(prio, "%s", msg);
    repeat_write(state_file, key);
}

void ra_log_repeat(const char *state_file, int prio, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_unless_repeated(state_file, msg, prio, msg);
}

void ra_exit_reason_repeat(const char *state_file, const char *key,
                           const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_unless_repeated(state_file, key, LOG_ERR, msg);
    reason_print(msg);
}

void ra_log_repeat_clear(const char *state_file)
{
    if (state_file != NULL && ra_file_remove(state_file) == 0) {
        qb_log(LOG_INFO, "the previously reported problem is gone");
    }
}
