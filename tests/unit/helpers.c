/* helpers.c: small helpers shared by the cmocka programs.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "helpers.h"

int th_scratch_dir(char *dir, size_t len, const char *name)
{
    if ((size_t) snprintf(dir, len, "/tmp/%s.XXXXXX", name) >= len
        || mkdtemp(dir) == NULL) {
        return -1;
    }
    return chmod(dir, 0755);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove(path);
}

void th_remove_tree(const char *dir)
{
    (void) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int th_write_file(const char *path, const char *a, const char *b, mode_t mode)
{
    FILE *fp = fopen(path, "we");

    if (fp == NULL) {
        return -1;
    }
    fputs(a, fp);
    if (b != NULL) {
        fputs(b, fp);
    }
    if (fclose(fp) != 0) {
        return -1;
    }
    return chmod(path, mode);
}
