/* test_log.c: unit tests of common/log.c's log files (HA_LOGFILE, HA_DEBUGLOG,
 * HA_debug, as resource-agents' ocf-shellfuncs).  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsafe.h"
#include "log.h"

/* An opened FIFO that blocks would hang the test: the alarm ends it instead. */
#define FIFO_ALARM_S 5

struct fixture {
    char dir[64];
    char logfile[128];
    char debuglog[128];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_log.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->logfile, sizeof(f->logfile), "%s/ha.log", f->dir);
    snprintf(f->debuglog, sizeof(f->debuglog), "%s/ha-debug.log", f->dir);
    unsetenv("HA_LOGFILE");
    unsetenv("HA_DEBUGLOG");
    unsetenv("HA_debug");
    unsetenv("HA_LOGFACILITY");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[192];

    for (const char *n = "ha.log\0ha-debug.log\0target\0"; *n != '\0'; n += strlen(n) + 1) {
        snprintf(path, sizeof(path), "%s/%s", f->dir, n);
        (void) unlink(path);
    }
    (void) rmdir(f->dir);
    free(f);
    return 0;
}

/* The whole file ("" when missing). */
static char *slurp(const char *path)
{
    char *buf = NULL;
    size_t len = 0;

    if (ra_file_slurp(path, (uid_t) -1, 1 << 20, &buf, &len) != 0) {
        return strdup("");
    }
    return buf;
}

/* One run of an agent: init, an info line, a debug line, fini. */
static void agent_logs(void)
{
    ra_log_init("pgsql", "pgsqld", "monitor");
    ra_log_info("an info line");
    ra_log_debug("a debug line");
    ra_log_fini();
}

static void logfile_gets_info_lines_with_prefix_and_no_debug(void **state)
{
    struct fixture *f = *state;
    char *text;

    setenv("HA_LOGFILE", f->logfile, 1);
    setenv("HA_debug", "1", 1);
    agent_logs();
    text = slurp(f->logfile);
    assert_non_null(strstr(text, " pgsql(pgsqld)[monitor]: INFO: an info line\n"));
    assert_null(strstr(text, "a debug line"));
    free(text);
}

static void logfile_is_appended_to_never_truncated(void **state)
{
    struct fixture *f = *state;
    char *text;

    setenv("HA_LOGFILE", f->logfile, 1);
    agent_logs();
    agent_logs();
    text = slurp(f->logfile);
    char *first = strstr(text, "an info line");
    assert_non_null(first);
    assert_non_null(strstr(first + 1, "an info line"));
    free(text);
}

static void debuglog_gets_debug_lines_only_with_ha_debug(void **state)
{
    struct fixture *f = *state;
    char *text;

    setenv("HA_LOGFILE", f->logfile, 1);
    setenv("HA_DEBUGLOG", f->debuglog, 1);
    agent_logs();
    text = slurp(f->debuglog);
    assert_non_null(strstr(text, "INFO: an info line"));
    assert_null(strstr(text, "a debug line"));
    free(text);

    setenv("HA_debug", "1", 1);
    agent_logs();
    text = slurp(f->debuglog);
    assert_non_null(strstr(text, "DEBUG: a debug line"));
    free(text);
    text = slurp(f->logfile);
    assert_null(strstr(text, "a debug line"));
    free(text);
}

static void one_file_named_twice_gets_each_line_once(void **state)
{
    struct fixture *f = *state;
    char *text;

    setenv("HA_LOGFILE", f->logfile, 1);
    setenv("HA_DEBUGLOG", f->logfile, 1);
    setenv("HA_debug", "1", 1);
    agent_logs();
    text = slurp(f->logfile);
    char *first = strstr(text, "an info line");
    assert_non_null(first);
    assert_null(strstr(first + 1, "an info line"));
    assert_non_null(strstr(text, "a debug line"));
    free(text);
}

static void logfile_symlink_is_not_followed(void **state)
{
    struct fixture *f = *state;
    char target[192];
    char *text;

    snprintf(target, sizeof(target), "%s/target", f->dir);
    int fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "victim\n", 7), 7);
    close(fd);
    assert_int_equal(symlink(target, f->logfile), 0);
    setenv("HA_LOGFILE", f->logfile, 1);
    agent_logs();
    text = slurp(target);
    assert_string_equal(text, "victim\n");
    free(text);
}

static void logfile_fifo_is_not_waited_on(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(mkfifo(f->logfile, 0600), 0);
    setenv("HA_LOGFILE", f->logfile, 1);
    alarm(FIFO_ALARM_S);
    agent_logs();
    alarm(0);
}

static void relative_logfile_is_ignored(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(chdir(f->dir), 0);
    setenv("HA_LOGFILE", "ha.log", 1);
    agent_logs();
    assert_false(ra_file_exists(f->logfile));
    assert_int_equal(chdir("/"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(logfile_gets_info_lines_with_prefix_and_no_debug, setup, teardown),
        cmocka_unit_test_setup_teardown(logfile_is_appended_to_never_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(debuglog_gets_debug_lines_only_with_ha_debug, setup, teardown),
        cmocka_unit_test_setup_teardown(one_file_named_twice_gets_each_line_once, setup, teardown),
        cmocka_unit_test_setup_teardown(logfile_symlink_is_not_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(logfile_fifo_is_not_waited_on, setup, teardown),
        cmocka_unit_test_setup_teardown(relative_logfile_is_ignored, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
