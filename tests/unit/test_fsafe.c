/* test_fsafe.c: unit tests of common/fsafe.c (files in folders another user
 * can write, touched as root).  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "fsafe.h"
#include "proc.h"

#define NOBODY_UID 65534
#define NOGROUP_GID 65534
/* A FIFO open that blocks would hang the test: the alarm ends it instead. */
#define FIFO_ALARM_S 5

/* A folder of the unprivileged user (the attacker's: /var/log/postgresql,
 * the config folder) and a root folder beside it (the victim's files). */
struct fixture {
    char user_dir[64];
    char root_dir[64];
    char victim[128];       /* a root file with known content, root_dir/victim */
};

static int fixture_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || geteuid() != 0) {
        free(f);
        return f == NULL ? -1 : 0;
    }
    if (th_scratch_dir(f->user_dir, sizeof(f->user_dir), "test_fsafe_user") != 0
        || th_scratch_dir(f->root_dir, sizeof(f->root_dir), "test_fsafe_root") != 0
        || chown(f->user_dir, NOBODY_UID, NOGROUP_GID) != 0) {
        free(f);
        return -1;
    }
    snprintf(f->victim, sizeof(f->victim), "%s/victim", f->root_dir);
    if (th_write_file(f->victim, "root data\n", NULL, 0600) != 0) {
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
        th_remove_tree(f->user_dir);
        th_remove_tree(f->root_dir);
        free(f);
    }
    return 0;
}

/* Every test here runs as root (the agents' case); skipped otherwise. */
static struct fixture *fixture_of(void **state)
{
    if (geteuid() != 0 || *state == NULL) {
        skip();
    }
    return *state;
}

static void path_in(char *buf, size_t len, const char *dir, const char *name)
{
    assert_true((size_t) snprintf(buf, len, "%s/%s", dir, name) < len);
}

/* Plants what the unprivileged user would: a symlink it owns. */
static void plant_symlink(const char *target, const char *link)
{
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(lchown(link, NOBODY_UID, NOGROUP_GID), 0);
}

/* The victim still holds its data, mode and owner. */
static void assert_victim_untouched(const struct fixture *f)
{
    char buf[64];
    struct stat st;

    assert_true(ra_file_read(f->victim, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "root data\n");
    assert_int_equal(stat(f->victim, &st), 0);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_gid, 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_nlink, 1);
}

static size_t entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}

/* --- a symlink at the final name ------------------------------------------------- */

static void a_symlink_at_the_name_is_never_read_through(void **state)
{
    struct fixture *f = fixture_of(state);
    char link[128];
    char *buf = NULL;
    size_t len = 0;

    path_in(link, sizeof(link), f->user_dir, "pid");
    plant_symlink(f->victim, link);
    assert_int_equal(ra_file_open_read(link, RA_FSAFE_KEEP), -ELOOP);
    assert_int_equal(ra_file_slurp(link, RA_FSAFE_KEEP, 64, &buf, &len), -ELOOP);
    assert_null(buf);
}

static void a_symlink_at_the_name_is_never_appended_through_nor_chowned(void **state)
{
    struct fixture *f = fixture_of(state);
    char link[128];

    path_in(link, sizeof(link), f->user_dir, "ctfreak.log");
    plant_symlink(f->victim, link);
    assert_int_equal(ra_file_open_append(link, 0640, NOBODY_UID, NOGROUP_GID), -ELOOP);
    assert_victim_untouched(f);
}

static void a_dangling_symlink_at_the_name_creates_nothing_at_its_target(void **state)
{
    struct fixture *f = fixture_of(state);
    char link[128];
    char target[128];

    path_in(link, sizeof(link), f->user_dir, "ctfreak.log");
    path_in(target, sizeof(target), f->root_dir, "created-by-root");
    plant_symlink(target, link);
    assert_int_equal(ra_file_open_append(link, 0640, NOBODY_UID, NOGROUP_GID), -ELOOP);
    assert_int_equal(ra_file_touch(link, 0640, NOBODY_UID, NOGROUP_GID), -ELOOP);
    assert_int_equal(access(target, F_OK), -1);
}

static void a_symlink_at_the_name_is_replaced_not_written_through(void **state)
{
    struct fixture *f = fixture_of(state);
    char link[128];
    char buf[64];
    struct stat st;

    path_in(link, sizeof(link), f->user_dir, "record");
    plant_symlink(f->victim, link);
    assert_int_equal(ra_file_replace(link, "new\n", 4, 0644, RA_FSAFE_KEEP,
                                     RA_FSAFE_KEEP), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_true(ra_file_read(link, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "new\n");
    assert_victim_untouched(f);
}

static void a_symlink_at_the_name_is_touched_not_followed(void **state)
{
    struct fixture *f = fixture_of(state);
    char link[128];

    path_in(link, sizeof(link), f->user_dir, "flag");
    plant_symlink(f->victim, link);
    assert_int_equal(ra_file_touch(link, 0600, NOBODY_UID, NOGROUP_GID), -ELOOP);
    assert_victim_untouched(f);
}

static void a_symlink_at_the_name_is_removed_itself_not_its_target(void **state)
{
    struct fixture *f = fixture_of(state);
    char link[128];

    path_in(link, sizeof(link), f->user_dir, "flag");
    plant_symlink(f->victim, link);
    assert_true(ra_file_exists(link));
    assert_int_equal(ra_file_remove(link), 0);
    assert_false(ra_file_exists(link));
    assert_victim_untouched(f);
}

/* --- symlinks in the folders on the way -------------------------------------------- */

static void a_symlinked_folder_of_another_user_is_refused(void **state)
{
    struct fixture *f = fixture_of(state);
    char link[128];
    char path[160];

    /* user_dir/logs -> root_dir: user_dir/logs/victim would be root's file */
    path_in(link, sizeof(link), f->user_dir, "logs");
    plant_symlink(f->root_dir, link);
    path_in(path, sizeof(path), link, "victim");
    assert_int_equal(ra_file_open_read(path, RA_FSAFE_KEEP), -ELOOP);
    assert_int_equal(ra_file_open_append(path, 0640, NOBODY_UID, NOGROUP_GID), -ELOOP);
    assert_int_equal(ra_file_replace(path, "x", 1, 0644, RA_FSAFE_KEEP, RA_FSAFE_KEEP),
                     -ELOOP);
    assert_int_equal(ra_file_remove(path), -ELOOP);
    assert_int_equal(ra_dir_open(link), -ELOOP);
    assert_victim_untouched(f);
}

static void a_symlinked_folder_owned_by_root_is_followed(void **state)
{
    struct fixture *f = fixture_of(state);
    char link[128];
    char path[160];
    char *buf = NULL;
    size_t len = 0;

    /* an admin's link (/var/lib/pgsql -> /data): root's, in root's folder */
    path_in(link, sizeof(link), f->root_dir, "data");
    assert_int_equal(symlink(f->root_dir, link), 0);
    path_in(path, sizeof(path), link, "victim");
    assert_int_equal(ra_file_slurp(path, RA_FSAFE_KEEP, 64, &buf, &len), 0);
    assert_string_equal(buf, "root data\n");
    assert_int_equal(len, 10);
    free(buf);
}

static void a_relative_root_symlink_is_walked_from_its_own_folder(void **state)
{
    struct fixture *f = fixture_of(state);
    char sub[128];
    char link[160];
    char path[192];
    int fd;

    path_in(sub, sizeof(sub), f->root_dir, "sub");
    assert_int_equal(mkdir(sub, 0755), 0);
    path_in(link, sizeof(link), sub, "up");
    assert_int_equal(symlink("..", link), 0);
    path_in(path, sizeof(path), link, "victim");
    fd = ra_file_open_read(path, RA_FSAFE_KEEP);
    assert_true(fd >= 0);
    close(fd);
}

static void a_loop_of_root_symlinks_ends_with_eloop(void **state)
{
    struct fixture *f = fixture_of(state);
    char a[128];
    char b[128];
    char path[160];

    path_in(a, sizeof(a), f->root_dir, "a");
    path_in(b, sizeof(b), f->root_dir, "b");
    assert_int_equal(symlink(b, a), 0);
    assert_int_equal(symlink(a, b), 0);
    path_in(path, sizeof(path), a, "victim");
    assert_int_equal(ra_file_open_read(path, RA_FSAFE_KEEP), -ELOOP);
}

/* --- what is not a single regular file ------------------------------------------------ */

static void a_fifo_is_refused_at_once_never_waited_on(void **state)
{
    struct fixture *f = fixture_of(state);
    char fifo[128];
    char *buf = NULL;
    size_t len = 0;

    path_in(fifo, sizeof(fifo), f->user_dir, "postmaster.pid");
    assert_int_equal(mkfifo(fifo, 0666), 0);
    assert_int_equal(chown(fifo, NOBODY_UID, NOGROUP_GID), 0);
    alarm(FIFO_ALARM_S);
    assert_int_equal(ra_file_open_read(fifo, RA_FSAFE_KEEP), -EINVAL);
    assert_int_equal(ra_file_slurp(fifo, RA_FSAFE_KEEP, 64, &buf, &len), -EINVAL);
    assert_int_equal(ra_file_open_append(fifo, 0640, NOBODY_UID, NOGROUP_GID), -EINVAL);
    assert_int_equal(ra_file_touch(fifo, 0640, NOBODY_UID, NOGROUP_GID), -EINVAL);
    alarm(0);
}

static void a_fifo_with_a_reader_is_refused_too(void **state)
{
    struct fixture *f = fixture_of(state);
    char fifo[128];
    int reader;

    path_in(fifo, sizeof(fifo), f->user_dir, "ctfreak.log");
    assert_int_equal(mkfifo(fifo, 0666), 0);
    reader = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(reader >= 0);
    alarm(FIFO_ALARM_S);
    assert_int_equal(ra_file_open_append(fifo, 0640, NOBODY_UID, NOGROUP_GID), -EINVAL);
    alarm(0);
    close(reader);
}

static void a_hard_linked_file_is_refused(void **state)
{
    struct fixture *f = fixture_of(state);
    char hard[128];
    char *buf = NULL;
    size_t len = 0;

    /* (root made the link here: fs.protected_hardlinks stops the user) */
    path_in(hard, sizeof(hard), f->user_dir, "ctfreak.log");
    assert_int_equal(link(f->victim, hard), 0);
    assert_int_equal(ra_file_open_read(hard, RA_FSAFE_KEEP), -EMLINK);
    assert_int_equal(ra_file_slurp(hard, RA_FSAFE_KEEP, 64, &buf, &len), -EMLINK);
    assert_int_equal(ra_file_open_append(hard, 0640, NOBODY_UID, NOGROUP_GID), -EMLINK);
    assert_int_equal(unlink(hard), 0);
    assert_victim_untouched(f);
}

static void a_folder_at_the_name_is_refused(void **state)
{
    struct fixture *f = fixture_of(state);
    char dir[128];

    path_in(dir, sizeof(dir), f->user_dir, "sub");
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(ra_file_open_read(dir, RA_FSAFE_KEEP), -EINVAL);
    assert_int_equal(ra_file_open_append(dir, 0640, RA_FSAFE_KEEP, RA_FSAFE_KEEP),
                     -EISDIR);
    assert_int_equal(ra_file_remove(dir), -EISDIR);
    assert_int_equal(ra_file_replace(dir, "x", 1, 0644, RA_FSAFE_KEEP, RA_FSAFE_KEEP),
                     -EISDIR);
    assert_int_equal(entries_in(dir), 0);
    assert_int_equal(entries_in(f->user_dir), 1);     /* no temporary file left */
}

/* --- owners and sizes -------------------------------------------------------------------- */

static void a_file_of_an_unexpected_owner_is_refused(void **state)
{
    struct fixture *f = fixture_of(state);
    char path[128];
    int fd;

    path_in(path, sizeof(path), f->user_dir, "pid");
    assert_int_equal(th_write_file(path, "42\n", NULL, 0644), 0);
    assert_int_equal(chown(path, NOBODY_UID, NOGROUP_GID), 0);
    assert_int_equal(ra_file_open_read(path, 1000), -EPERM);
    assert_int_equal(ra_file_open_read(path, 0), -EPERM);
    assert_int_equal(ra_file_open_append(path, 0640, 1000, 1000), -EPERM);
    fd = ra_file_open_read(path, NOBODY_UID);
    assert_true(fd >= 0);
    close(fd);
    fd = ra_file_open_read(path, RA_FSAFE_KEEP);      /* any owner */
    assert_true(fd >= 0);
    close(fd);
}

static void a_file_larger_than_the_cap_is_refused(void **state)
{
    struct fixture *f = fixture_of(state);
    char path[128];
    char *buf = NULL;
    size_t len = 0;

    path_in(path, sizeof(path), f->user_dir, "state");
    assert_int_equal(th_write_file(path, "0123456789", NULL, 0644), 0);
    assert_int_equal(ra_file_slurp(path, RA_FSAFE_KEEP, 9, &buf, &len), -EFBIG);
    assert_null(buf);
    assert_int_equal(ra_file_slurp(path, RA_FSAFE_KEEP, 10, &buf, &len), 0);
    assert_int_equal(len, 10);
    assert_string_equal(buf, "0123456789");
    free(buf);
}

static void a_missing_file_is_enoent(void **state)
{
    struct fixture *f = fixture_of(state);
    char path[128];
    char *buf = NULL;
    size_t len = 0;

    path_in(path, sizeof(path), f->user_dir, "missing");
    assert_int_equal(ra_file_slurp(path, RA_FSAFE_KEEP, 9, &buf, &len), -ENOENT);
    assert_int_equal(ra_file_remove(path), -ENOENT);
    assert_false(ra_file_exists(path));
}

static void an_existing_file_is_never_chowned_nor_chmodded(void **state)
{
    struct fixture *f = fixture_of(state);
    char path[128];
    char buf[64];
    struct stat st;
    int fd;

    /* root's own file in the user's folder: opened, left root's */
    path_in(path, sizeof(path), f->user_dir, "ctfreak.log");
    assert_int_equal(th_write_file(path, "old\n", NULL, 0600), 0);
    fd = ra_file_open_append(path, 0644, NOBODY_UID, NOGROUP_GID);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "more\n", 5), 5);
    close(fd);
    assert_int_equal(ra_file_touch(path, 0644, NOBODY_UID, NOGROUP_GID), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_gid, 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_true(ra_file_read(path, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "old\nmore\n");
}

static void a_new_file_is_given_to_uid_and_gid(void **state)
{
    struct fixture *f = fixture_of(state);
    char log[128];
    char flag[128];
    struct stat st;
    int fd;

    path_in(log, sizeof(log), f->user_dir, "new.log");
    path_in(flag, sizeof(flag), f->user_dir, "flag");
    fd = ra_file_open_append(log, 0640, NOBODY_UID, NOGROUP_GID);
    assert_true(fd >= 0);
    assert_true((fcntl(fd, F_GETFL) & (O_APPEND | O_NONBLOCK)) == O_APPEND);
    close(fd);
    assert_int_equal(stat(log, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_uid, NOBODY_UID);
    assert_int_equal(st.st_gid, NOGROUP_GID);
    assert_int_equal(ra_file_touch(flag, 0600, NOBODY_UID, NOGROUP_GID), 0);
    assert_int_equal(stat(flag, &st), 0);
    assert_int_equal(st.st_uid, NOBODY_UID);
    assert_int_equal(st.st_size, 0);
}

/* --- replace ----------------------------------------------------------------------------- */

static void replace_is_atomic_and_leaves_no_temporary_file(void **state)
{
    struct fixture *f = fixture_of(state);
    char path[128];
    char buf[64];
    struct stat before;
    struct stat after;
    ssize_t n;
    int old;

    path_in(path, sizeof(path), f->user_dir, "record");
    assert_int_equal(th_write_file(path, "old content\n", NULL, 0644), 0);
    assert_int_equal(stat(path, &before), 0);
    old = open(path, O_RDONLY);
    assert_true(old >= 0);
    assert_int_equal(ra_file_replace(path, "new\n", 4, 0640, NOBODY_UID, NOGROUP_GID),
                     0);
    /* the old file was never written: a reader holding it sees all of it */
    n = read(old, buf, sizeof(buf) - 1);
    close(old);
    assert_int_equal(n, 12);
    buf[n] = '\0';
    assert_string_equal(buf, "old content\n");
    assert_int_equal(stat(path, &after), 0);
    assert_int_not_equal(before.st_ino, after.st_ino);
    assert_int_equal(after.st_uid, NOBODY_UID);
    assert_int_equal(after.st_gid, NOGROUP_GID);
    assert_int_equal(after.st_mode & 07777, 0640);
    assert_true(ra_file_read(path, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "new\n");
    assert_int_equal(entries_in(f->user_dir), 1);
}

static void replace_keeps_our_owner_when_asked(void **state)
{
    struct fixture *f = fixture_of(state);
    char path[128];
    struct stat st;

    path_in(path, sizeof(path), f->user_dir, "record");
    assert_int_equal(ra_file_replace(path, "", 0, 0600, RA_FSAFE_KEEP, RA_FSAFE_KEEP),
                     0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_mode & 07777, 0600);
}

/* --- paths ------------------------------------------------------------------------------- */

static void paths_that_name_no_file_are_refused(void **state)
{
    const char *name = NULL;
    char longname[PATH_MAX];
    int fd;
    (void) state;

    assert_int_equal(ra_dir_open_parent("relative/file", &name), -EINVAL);
    assert_int_equal(ra_dir_open_parent("/tmp/", &name), -EINVAL);
    assert_int_equal(ra_dir_open_parent("/", &name), -EINVAL);
    assert_int_equal(ra_dir_open_parent("/tmp/..", &name), -EINVAL);
    assert_int_equal(ra_dir_open_parent(NULL, &name), -EINVAL);
    assert_int_equal(ra_dir_open("relative"), -EINVAL);
    /* a name of NAME_MAX characters is a name; one more is not */
    snprintf(longname, sizeof(longname), "/tmp/%0*d", NAME_MAX, 0);
    fd = ra_dir_open_parent(longname, &name);
    assert_true(fd >= 0);
    assert_int_equal(strlen(name), NAME_MAX);
    close(fd);
    snprintf(longname, sizeof(longname), "/tmp/%0*d", NAME_MAX + 1, 0);
    assert_int_equal(ra_dir_open_parent(longname, &name), -ENAMETOOLONG);
    fd = ra_dir_open_parent("/etc", &name);
    assert_true(fd >= 0);
    assert_string_equal(name, "etc");
    close(fd);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(a_symlink_at_the_name_is_never_read_through),
        T(a_symlink_at_the_name_is_never_appended_through_nor_chowned),
        T(a_dangling_symlink_at_the_name_creates_nothing_at_its_target),
        T(a_symlink_at_the_name_is_replaced_not_written_through),
        T(a_symlink_at_the_name_is_touched_not_followed),
        T(a_symlink_at_the_name_is_removed_itself_not_its_target),
        T(a_symlinked_folder_of_another_user_is_refused),
        T(a_symlinked_folder_owned_by_root_is_followed),
        T(a_relative_root_symlink_is_walked_from_its_own_folder),
        T(a_loop_of_root_symlinks_ends_with_eloop),
        T(a_fifo_is_refused_at_once_never_waited_on),
        T(a_fifo_with_a_reader_is_refused_too),
        T(a_hard_linked_file_is_refused),
        T(a_folder_at_the_name_is_refused),
        T(a_file_of_an_unexpected_owner_is_refused),
        T(a_file_larger_than_the_cap_is_refused),
        T(a_missing_file_is_enoent),
        T(an_existing_file_is_never_chowned_nor_chmodded),
        T(a_new_file_is_given_to_uid_and_gid),
        T(replace_is_atomic_and_leaves_no_temporary_file),
        T(replace_keeps_our_owner_when_asked),
        cmocka_unit_test(paths_that_name_no_file_are_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
