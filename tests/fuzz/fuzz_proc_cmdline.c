/* fuzz_proc_cmdline.c: ra_proc_matches reading a /proc/<pid>/cmdline that a
 * local user controls (anyone can name a process like ours).  The harness
 * writes the input over its own argv area (what setproctitle does), so the
 * kernel serves it as /proc/self/cmdline, and asks ra_proc_matches about a
 * run of those arguments: a match is claimed only when the whole, untruncated
 * command line holds it, and found when it is within the first 100 arguments
 * and 4 KiB.  The run script passes a long argument after
 * -ignore_remaining_args=1 to make the area large.  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <limits.h>

#include "fuzz.h"
#include "proc.h"

struct area {
    char *start;
    size_t len;
    char *saved;
    char exe[PATH_MAX];
};

static struct area g_area;   /* set once by LLVMFuzzerInitialize */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char **av = *argv;
    char *end;
    ssize_t n;

    n = readlink("/proc/self/exe", g_area.exe, sizeof(g_area.exe) - 1);
    g_area.exe[n > 0 ? n : 0] = '\0';
    /* The argv strings must be one contiguous area (they are on Linux). */
    end = av[0];
    for (int i = 0; i < *argc; i++) {
        if (av[i] != end) {
            return 0;
        }
        end = av[i] + strlen(av[i]) + 1;
    }
    g_area.start = av[0];
    g_area.len = (size_t) (end - av[0]);
    g_area.saved = malloc(g_area.len);
    memcpy(g_area.saved, g_area.start, g_area.len);
    return 0;
}

/* Splits the cmdline as the kernel serves it: the reference. */
static size_t split(char *buf, size_t len, const char **args, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < len && n < max; i += strlen(buf + i) + 1) {
        args[n++] = buf + i;
    }
    return n;
}

static bool has_run(const char **args, size_t n, const char *const *want, size_t w)
{
    for (size_t i = 0; i + w <= n; i++) {
        size_t k = 0;

        while (k < w && strcmp(args[i + k], want[k]) == 0) {
            k++;
        }
        if (k == w) {
            return true;
        }
    }
    return false;
}

static void match_check(const uint8_t *sel, char *ref, size_t rlen)
{
    static const char *args[40000];
    const char *want[5] = { NULL };
    size_t n = split(ref, rlen, args, sizeof(args) / sizeof(args[0]));
    size_t first = n > 0 ? sel[0] % n : 0;
    size_t w = n > 0 ? sel[1] % 4 : 0;
    uid_t uid = sel[2] & 1 ? getuid() : getuid() + 1;
    struct ra_proc_match m = { .exe = g_area.exe, .args = want, .uid = &uid };
    size_t bytes = 0;
    bool got;

    for (size_t k = 0; k < w && first + k < n; k++) {
        want[k] = args[first + k];
    }
    w = first + w <= n ? w : n - first;
    if (sel[2] & 2 && w > 0) {
        want[w - 1] = sel[2] & 4 ? "" : "x";    /* probably not there */
    }
    got = ra_proc_matches(getpid(), &m);
    if (uid != getuid()) {
        FUZZ_ASSERT(!got, "a process of another uid matched");
        return;
    }
    FUZZ_ASSERT(!got || has_run(args, n, want, w), "a match that the command line lacks");
    for (size_t k = 0; k < first + w && k < n; k++) {
        bytes += strlen(args[k]) + 1;
    }
    if (first + w <= 100 && bytes <= 4096 && has_run(args, first + w, want, w)) {
        FUZZ_ASSERT(got, "a run of the first arguments was not found");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char ref[1 << 18];
    ssize_t rlen;

    if (g_area.start == NULL || size < 3) {
        return 0;
    }
    memset(g_area.start, 0, g_area.len);
    memcpy(g_area.start, data + 3, size - 3 < g_area.len - 1 ? size - 3 : g_area.len - 1);
    rlen = ra_file_read("/proc/self/cmdline", ref, sizeof(ref));
    if (rlen > 0) {
        match_check(data, ref, (size_t) rlen);
    }
    memcpy(g_area.start, g_area.saved, g_area.len);
    return 0;
}
