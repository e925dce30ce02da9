/* test_logfile.c: unit tests of common/logfile.c (the log folder an agent
 * makes as root).  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "logfile.h"

#define NOBODY_UID 65534
#define NOGROUP_GID 65534

static void scratch(char *dir, size_t len)
{
    if (geteuid() != 0) {
        skip();     /* the agents' case: root making a folder */
    }
    assert_int_equal(th_scratch_dir(dir, len, "test_logfile"), 0);
}

static void test_missing_folder_is_made_root_0750(void **state)
{
    char dir[64], log[128], made[96];
    struct stat st;

    (void) state;
    scratch(dir, sizeof(dir));
    snprintf(made, sizeof(made), "%s/ctfreak-ha", dir);
    snprintf(log, sizeof(log), "%s/postgresql-pgsqld.log", made);
    assert_int_equal(ra_logfile_dir_make(log), 0);
    assert_int_equal(lstat(made, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_int_equal(lstat(log, &st), -1);     /* the file is not made here */
    th_remove_tree(dir);
}

static void test_existing_folder_is_left_as_it_is(void **state)
{
    char dir[64], log[128], made[96];
    struct stat st;

    (void) state;
    scratch(dir, sizeof(dir));
    snprintf(made, sizeof(made), "%s/logs", dir);
    assert_int_equal(mkdir(made, 0755), 0);
    assert_int_equal(chown(made, NOBODY_UID, NOGROUP_GID), 0);
    snprintf(log, sizeof(log), "%s/x.log", made);
    assert_int_equal(ra_logfile_dir_make(log), 0);
    assert_int_equal(lstat(made, &st), 0);
    assert_int_equal(st.st_uid, NOBODY_UID);   /* never chowned */
    assert_int_equal(st.st_mode & 07777, 0755);
    th_remove_tree(dir);
}

/* Another user's link at the folder's name: not followed, nothing made
 * where it points. */
static void test_folder_planted_as_another_users_link_is_refused(void **state)
{
    char dir[64], target[96], link[96], log[128], inside[160];
    struct stat st;

    (void) state;
    scratch(dir, sizeof(dir));
    snprintf(target, sizeof(target), "%s/elsewhere", dir);
    snprintf(link, sizeof(link), "%s/ctfreak-ha", dir);
    assert_int_equal(mkdir(target, 0700), 0);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(lchown(link, NOBODY_UID, NOGROUP_GID), 0);
    snprintf(log, sizeof(log), "%s/sub/x.log", link);
    assert_true(ra_logfile_dir_make(log) < 0);
    snprintf(inside, sizeof(inside), "%s/sub", target);
    assert_int_equal(lstat(inside, &st), -1);
    th_remove_tree(dir);
}

static void test_missing_parent_is_not_made(void **state)
{
    char dir[64], log[128];

    (void) state;
    scratch(dir, sizeof(dir));
    snprintf(log, sizeof(log), "%s/a/b/x.log", dir);
    assert_int_equal(ra_logfile_dir_make(log), -ENOENT);
    th_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_folder_is_made_root_0750),
        cmocka_unit_test(test_existing_folder_is_left_as_it_is),
        cmocka_unit_test(test_folder_planted_as_another_users_link_is_refused),
        cmocka_unit_test(test_missing_parent_is_not_made),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
