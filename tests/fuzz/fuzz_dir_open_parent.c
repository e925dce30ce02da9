/* fuzz_dir_open_parent.c: ra_dir_open_parent (common/fsafe) on paths from
 * the input, absolute or under a scratch tree that holds what another user
 * would plant: a symlink owned by nobody to a hidden folder, a root-owned
 * symlink, a FIFO, a regular file.  The folder returned is a folder, the
 * name is the last component, and the hidden folder is never reached (it is
 * only reachable through the untrusted link).  Never blocks (libFuzzer's
 * -timeout catches a hang).  Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <sys/stat.h>

#include "fsafe.h"
#include "fuzz.h"

struct tree {
    char top[300];          /* <scratch>/t: where relative inputs start */
    struct stat hidden;     /* the folder behind the untrusted link */
};

static const struct tree *tree_get(void)
{
    static struct tree t;   /* built once per process */
    char p[600];
    char hidden[600];

    if (t.top[0] != '\0') {
        return &t;
    }
    snprintf(t.top, sizeof(t.top), "%s/t", fuzz_scratch());
    /* The hidden folder's name is random: no input can name it. */
    snprintf(hidden, sizeof(hidden), "%s/hidden-%ld%ld", fuzz_scratch(),
             (long) getpid(), (long) random());
    if (mkdir(t.top, 0755) != 0 || mkdir(hidden, 0755) != 0) {
        abort();
    }
    snprintf(p, sizeof(p), "%s/a", t.top);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/a/b", t.top);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/evil", t.top);
    if (symlink(hidden, p) != 0 || lchown(p, 65534, 65534) != 0) {
        abort();
    }
    snprintf(p, sizeof(p), "%s/a/evil2", t.top);
    if (symlink("../evil", p) != 0 || lchown(p, 65534, 65534) != 0) {
        abort();
    }
    snprintf(p, sizeof(p), "%s/rootlink", t.top);
    (void) symlink("a/b", p);
    snprintf(p, sizeof(p), "%s/loop", t.top);
    (void) symlink("loop", p);
    snprintf(p, sizeof(p), "%s/fifo", t.top);
    (void) mkfifo(p, 0644);
    snprintf(p, sizeof(p), "%s/file", t.top);
    fuzz_write_file(p, (const uint8_t *) "x", 1);
    if (stat(hidden, &t.hidden) != 0) {
        abort();
    }
    return &t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct tree *t = tree_get();
    char *in = fuzz_cstr(data, size);
    char *path = malloc(strlen(in) + sizeof(t->top) + 2);
    const char *name = NULL;
    struct stat sb;
    int fd;

    if (in[0] == '/') {
        strcpy(path, in);
    } else {
        sprintf(path, "%s/%s", t->top, in);
    }
    fd = ra_dir_open_parent(path, &name);
    if (fd >= 0) {
        FUZZ_ASSERT(fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode), "not a folder");
        FUZZ_ASSERT(sb.st_dev != t->hidden.st_dev || sb.st_ino != t->hidden.st_ino,
                    "\"%s\" reached the folder behind a link owned by nobody", path);
        FUZZ_ASSERT(name >= path && name < path + strlen(path)
                    && strcspn(name, "/") > 0
                    && strspn(name + strcspn(name, "/"), "/")
                       == strlen(name + strcspn(name, "/")),
                    "name \"%s\" of \"%s\"", name, path);
        FUZZ_ASSERT(strncmp(name, ".", strcspn(name, "/")) != 0
                    && strncmp(name, "..", strcspn(name, "/")) != 0,
                    "\"%s\" names \"%s\", not a file in a folder", path, name);
        close(fd);
    } else {
        FUZZ_ASSERT(fd > -4096, "odd error %d", fd);
    }
    free(path);
    free(in);
    return 0;
}
