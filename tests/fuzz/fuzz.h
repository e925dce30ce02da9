/* fuzz.h: small helpers shared by the libFuzzer harnesses (input as a C
 * string or a file, invariant checks that abort).  Licence: GPL-2.0-or-later. */
#ifndef FUZZ_H
#define FUZZ_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An invariant that does not hold is a finding: libFuzzer saves the input. */
#define FUZZ_ASSERT(cond, ...)                                              \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "invariant failed: %s (%s:%d): ", #cond,        \
                    __FILE__, __LINE__);                                    \
            fprintf(stderr, __VA_ARGS__);                                   \
            fprintf(stderr, "\n");                                          \
            abort();                                                        \
        }                                                                   \
    } while (0)

/* The input as a malloc'd C string (cut at its first NUL). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL) {
        abort();
    }
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A folder of this process for scratch files, made once (removed by the
 * run script's temporary folder, or left in $TMPDIR). */
static inline const char *fuzz_scratch(void)
{
    static char dir[256];

    if (dir[0] == '\0') {
        const char *tmp = getenv("TMPDIR");

        snprintf(dir, sizeof(dir), "%s/ctfha-fuzz.XXXXXX",
                 tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
        if (mkdtemp(dir) == NULL) {
            perror("mkdtemp");
            abort();
        }
    }
    return dir;
}

/* Writes data to path (created or truncated).  Aborts on failure. */
static inline void fuzz_write_file(const char *path, const uint8_t *data,
                                   size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t done = 0;

    if (fd < 0) {
        perror(path);
        abort();
    }
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);

        if (n <= 0) {
            perror(path);
            abort();
        }
        done += (size_t) n;
    }
    close(fd);
}

#endif
