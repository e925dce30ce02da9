/* helpers.h: small helpers shared by the cmocka programs (scratch folders,
 * whole-file reads and writes).  Licence: GPL-2.0-or-later. */
#ifndef CTFREAK_HA_TEST_HELPERS_H
#define CTFREAK_HA_TEST_HELPERS_H

#include <stddef.h>
#include <sys/types.h>

/* Creates /tmp/<name>.XXXXXX (mode 0755) into dir; 0 or -1. */
int th_scratch_dir(char *dir, size_t len, const char *name);

/* Removes a folder and everything below it (symlinks not followed). */
void th_remove_tree(const char *dir);

/* Writes a, then b (NULL: nothing), to path with the given mode; 0 or -1. */
int th_write_file(const char *path, const char *a, const char *b, mode_t mode);

#endif
