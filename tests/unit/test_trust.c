/* test_trust.c: unit tests of common/trust.c (may root trust a file it
 * runs or reads?).  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <limits.h>
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

#include "helpers.h"

#include "trust.h"

#define NOBODY_UID 65534
#define NOGROUP_GID 65534

/* A root folder holding a root file, and the path of a second one. */
struct fixture {
    char dir[64];
    char file[128];
    char other[128];
};

static int fixture_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || th_scratch_dir(f->dir, sizeof(f->dir), "test_trust") != 0) {
        free(f);
        return -1;
    }
    snprintf(f->file, sizeof(f->file), "%s/file", f->dir);
    snprintf(f->other, sizeof(f->other), "%s/other", f->dir);
    if (th_write_file(f->file, "x\n", NULL, 0644) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct fixture *f = *state;

    if (f != NULL) {
        th_remove_tree(f->dir);
        free(f);
    }
    return 0;
}

static void need_root(void)
{
    if (geteuid() != 0) {
        skip();
    }
}

static void a_root_file_in_root_folders_is_trusted(void **state)
{
    struct fixture *f = *state;

    need_root();
    assert_int_equal(ra_trust_check(f->file, RA_TRUST_ROOT_ONLY, NULL), 0);
}

static void a_file_another_user_owns_is_refused_unless_named(void **state)
{
    struct fixture *f = *state;
    const char *bad = NULL;

    need_root();
    assert_int_equal(chown(f->file, NOBODY_UID, NOGROUP_GID), 0);
    assert_int_equal(ra_trust_check(f->file, RA_TRUST_ROOT_ONLY, &bad), -EPERM);
    assert_string_equal(bad, f->file);
    assert_int_equal(ra_trust_check(f->file, NOBODY_UID, NULL), 0);
}

static void a_file_others_can_write_is_refused(void **state)
{
    struct fixture *f = *state;

    need_root();
    assert_int_equal(chmod(f->file, 0646), 0);
    assert_int_equal(ra_trust_check(f->file, RA_TRUST_ROOT_ONLY, NULL), -EACCES);
    assert_int_equal(chmod(f->file, 0664), 0);
    assert_int_equal(chown(f->file, 0, NOGROUP_GID), 0);
    assert_int_equal(ra_trust_check(f->file, RA_TRUST_ROOT_ONLY, NULL), -EACCES);
}

static void a_root_file_in_another_users_folder_is_refused(void **state)
{
    struct fixture *f = *state;
    const char *bad = NULL;

    need_root();
    assert_int_equal(chown(f->dir, NOBODY_UID, NOGROUP_GID), 0);
    assert_int_equal(ra_trust_check(f->file, RA_TRUST_ROOT_ONLY, &bad), -EPERM);
    assert_string_equal(bad, f->dir);
}

static void a_world_writable_folder_passes_only_when_sticky(void **state)
{
    struct fixture *f = *state;

    need_root();
    assert_int_equal(chmod(f->dir, 0777), 0);
    assert_int_equal(ra_trust_check(f->file, RA_TRUST_ROOT_ONLY, NULL), -EACCES);
    assert_int_equal(chmod(f->dir, 01777), 0);
    assert_int_equal(ra_trust_check(f->file, RA_TRUST_ROOT_ONLY, NULL), 0);
}

static void a_link_to_another_users_file_is_refused(void **state)
{
    struct fixture *f = *state;
    const char *bad = NULL;

    need_root();
    assert_int_equal(chown(f->file, NOBODY_UID, NOGROUP_GID), 0);
    assert_int_equal(symlink(f->file, f->other), 0);
    assert_int_equal(ra_trust_check(f->other, RA_TRUST_ROOT_ONLY, &bad), -EPERM);
    assert_string_equal(bad, f->file);
}

static void a_missing_file_is_reported_missing(void **state)
{
    struct fixture *f = *state;

    need_root();
    assert_int_equal(ra_trust_check(f->other, RA_TRUST_ROOT_ONLY, NULL), -ENOENT);
    assert_int_equal(ra_trust_check("relative/path", RA_TRUST_ROOT_ONLY, NULL), -EINVAL);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(a_root_file_in_root_folders_is_trusted),
        T(a_file_another_user_owns_is_refused_unless_named),
        T(a_file_others_can_write_is_refused),
        T(a_root_file_in_another_users_folder_is_refused),
        T(a_world_writable_folder_passes_only_when_sticky),
        T(a_link_to_another_users_file_is_refused),
        T(a_missing_file_is_reported_missing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
