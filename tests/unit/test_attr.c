/* test_attr.c: unit tests of common/attr.c (set/get/del via fake tools) and
 * of its cache, common/attr_cache.c.
 * Licence: GPL-2.0-or-later. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "attr.h"
#include "attr_cache.h"
#include "ra.h"

/* The fake Pacemaker tools.  Both append their argv to calls.log, keep each
 * attribute in a state file, and answer queries like the real ones:
 * - a file "fail" next to them makes every call fail (exit 1);
 * - a file "blackhole" makes updates and deletions vanish;
 * - a file "lag" holding N makes an update visible only after N queries;
 * - a file "slowquery" ("slowupdate") makes queries (updates) hang for 5 s. */
static const char fake_common[] =
    "#!/bin/sh\n"
    "d=$(dirname \"$0\")\n"
    "printf '%s\\n' \"$(basename \"$0\") $*\" >> \"$d/../calls.log\"\n"
    "if [ -e \"$d/../fail\" ]; then echo 'simulated failure' >&2; exit 1; fi\n"
    "commit() {\n"
    "  [ -e \"$d/../slowupdate\" ] && sleep 5\n"
    "  [ -e \"$d/../blackhole\" ] && return 0\n"
    "  if [ \"$1\" = U ]; then\n"
    "    printf '%s' \"$2\" > \"$state.pending\"\n"
    "    cat \"$d/../lag\" > \"$state.lag\" 2>/dev/null || echo 0 > \"$state.lag\"\n"
    "  else\n"
    "    rm -f \"$state\" \"$state.pending\" \"$state.lag\"\n"
    "  fi\n"
    "}\n"
    "settle() {\n"
    "  [ -e \"$state.pending\" ] || return 0\n"
    "  n=$(cat \"$state.lag\")\n"
    "  if [ \"$n\" -gt 0 ]; then echo $((n - 1)) > \"$state.lag\"; return 0; fi\n"
    "  mv \"$state.pending\" \"$state\"; rm -f \"$state.lag\"\n"
    "}\n";

static const char fake_attrd_updater[] =
    "name= node= op= value=\n"
    "while [ $# -gt 0 ]; do\n"
    "  case \"$1\" in\n"
    "    -p) ;;\n"
    "    -n) name=$2; shift ;;\n"
    "    -N) node=$2; shift ;;\n"
    "    -U|-B) op=U; value=$2; shift ;;\n"
    "    -Q) op=Q ;;\n"
    "    -D) op=D ;;\n"
    "    -d) [ \"$2\" = 2s ] || exit 64; shift ;;\n"
    "    *) echo \"bad option $1\" >&2; exit 64 ;;\n"
    "  esac\n"
    "  shift\n"
    "done\n"
    "state=\"$d/../state.attrd.$name.$node\"\n"
    "case $op in\n"
    "  U|D) commit $op \"$value\" ;;\n"
    "  Q) [ -e \"$d/../slowquery\" ] && sleep 5\n"
    "     settle\n"
    "     [ -e \"$state\" ] || { echo \"attribute $name not found\" >&2; exit 105; }\n"
    "     printf 'name=\"%s\" host=\"%s\" value=\"%s\"\\n' \"$name\" \"$node\" "
    "\"$(cat \"$state\")\" ;;\n"
    "esac\n";

static const char fake_crm_attribute[] =
    "node= op= value= promo=\n"
    "while [ $# -gt 0 ]; do\n"
    "  case \"$1\" in\n"
    "    --promotion) promo=1 ;;\n"
    "    -l) [ \"$2\" = reboot ] || exit 64; shift ;;\n"
    "    -N) node=$2; shift ;;\n"
    "    -v) op=U; value=$2; shift ;;\n"
    "    -G) op=Q ;;\n"
    "    -q) ;;\n"
    "    -D) op=D ;;\n"
    "    *) echo \"bad option $1\" >&2; exit 64 ;;\n"
    "  esac\n"
    "  shift\n"
    "done\n"
    "[ -n \"$promo\" ] || exit 64\n"
    "state=\"$d/../state.promotion.$node\"\n"
    "case $op in\n"
    "  U|D) commit $op \"$value\" ;;\n"
    "  Q) settle\n"
    "     [ -e \"$state\" ] || { echo 'Error performing operation: No such device or address' >&2; exit 105; }\n"
    "     cat \"$state\"; echo ;;\n"
    "esac\n";

struct fixture {
    char dir[64];
    char bin[96];
    char rsctmp[96];
    char *old_path;
    struct ra_agent agent;
    struct ra_ctx ctx;
};

static void path_in(const struct fixture *f, const char *name, char *buf,
                    size_t len)
{
    snprintf(buf, len, "%s/%s", f->dir, name);
}

/* Creates (or removes, when content is NULL) a control file of the fakes. */
static void control(const struct fixture *f, const char *name, const char *content)
{
    char path[160];

    path_in(f, name, path, sizeof(path));
    if (content == NULL) {
        unlink(path);
    } else {
        assert_int_equal(th_write_file(path, content, NULL, 0644), 0);
    }
}

static int fixture_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *path = getenv("PATH");
    char tool[160];
    char newpath[512];

    if (f == NULL) {
        return -1;
    }
    if (th_scratch_dir(f->dir, sizeof(f->dir), "test_attr") != 0) {
        free(f);
        return -1;
    }
    snprintf(f->bin, sizeof(f->bin), "%s/bin", f->dir);
    snprintf(f->rsctmp, sizeof(f->rsctmp), "%s/rsctmp", f->dir);
    if (mkdir(f->bin, 0755) != 0) {
        return -1;
    }
    snprintf(tool, sizeof(tool), "%s/attrd_updater", f->bin);
    if (th_write_file(tool, fake_common, fake_attrd_updater, 0755) != 0) {
        return -1;
    }
    snprintf(tool, sizeof(tool), "%s/crm_attribute", f->bin);
    if (th_write_file(tool, fake_common, fake_crm_attribute, 0755) != 0) {
        return -1;
    }
    f->old_path = path != NULL ? strdup(path) : NULL;
    snprintf(newpath, sizeof(newpath), "%s:/usr/sbin:/usr/bin:/sbin:/bin", f->bin);
    setenv("PATH", newpath, 1);

    f->agent.name = "utest";
    f->ctx.agent = &f->agent;
    f->ctx.action = "monitor";
    f->ctx.instance = "res1";
    f->ctx.node = "node1";
    f->ctx.rsctmp = f->rsctmp;
    f->ctx.timeout_ms = 10000;
    ra_deadline_init(&f->ctx.deadline, 10000);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct fixture *f = *state;

    if (f->old_path != NULL) {
        setenv("PATH", f->old_path, 1);
        free(f->old_path);
    } else {
        unsetenv("PATH");
    }
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

/* The tool calls logged so far (static buffer), and how many. */
static const char *calls(const struct fixture *f, size_t *count)
{
    static char buf[16384];
    char path[160];
    size_t len = 0;
    FILE *fp;

    buf[0] = '\0';
    path_in(f, "calls.log", path, sizeof(path));
    fp = fopen(path, "re");
    if (fp != NULL) {
        len = fread(buf, 1, sizeof(buf) - 1, fp);
        fclose(fp);
    }
    buf[len] = '\0';
    if (count != NULL) {
        *count = 0;
        for (size_t i = 0; i < len; i++) {
            *count += buf[i] == '\n';
        }
    }
    return buf;
}

/* The line number n (0-based) of the call log, without its newline. */
static const char *call_line(const struct fixture *f, size_t n)
{
    static char line[512];
    const char *p = calls(f, NULL);
    size_t len;

    for (size_t i = 0; i < n && p != NULL; i++) {
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    if (p == NULL) {
        return "";
    }
    len = strcspn(p, "\n");
    snprintf(line, sizeof(line), "%.*s", (int) len, p);
    return line;
}

static size_t call_count(const struct fixture *f)
{
    size_t n = 0;

    (void) calls(f, &n);
    return n;
}

/* --- the cache ----------------------------------------------------------------- */

/* A cache opened from a file written with content (one "key\tvalue\tepoch"
 * line per entry). */
static struct ra_attr_cache *cache_from(const struct fixture *f, const char *content)
{
    char path[160];
    struct ra_attr_cache *c;

    path_in(f, "c.attrs", path, sizeof(path));
    assert_int_equal(th_write_file(path, content, NULL, 0644), 0);
    c = ra_attr_cache_open(path);
    assert_non_null(c);
    return c;
}

static void attr_cache_open_of_a_missing_file_is_empty(void **state)
{
    struct fixture *f = *state;
    char path[160];
    struct ra_attr_cache *c;

    path_in(f, "none.attrs", path, sizeof(path));
    c = ra_attr_cache_open(path);
    assert_non_null(c);
    assert_null(ra_attr_cache_get(c, "k"));
    /* nothing changed: nothing written */
    assert_int_equal(ra_attr_cache_save(c), 0);
    assert_int_equal(access(path, F_OK), -1);
    ra_attr_cache_close(c);
    ra_attr_cache_close(NULL);
}

static void attr_cache_saves_and_reads_back_values(void **state)
{
    struct fixture *f = *state;
    char path[160];
    char tmp[170];
    struct ra_attr_cache *c;

    path_in(f, "c.attrs", path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    c = ra_attr_cache_open(path);
    assert_non_null(c);
    assert_int_equal(ra_attr_cache_put(c, "transient|node1|a", "1"), 0);
    assert_int_equal(ra_attr_cache_put(c, "promotion|node1|b", "two words"), 0);
    assert_int_equal(ra_attr_cache_put(c, "x", ""), 0);
    assert_string_equal(ra_attr_cache_get(c, "transient|node1|a"), "1");
    assert_string_equal(ra_attr_cache_get(c, "promotion|node1|b"), "two words");
    assert_int_equal(ra_attr_cache_save(c), 0);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(access(tmp, F_OK), -1);
    ra_attr_cache_close(c);

    c = ra_attr_cache_open(path);
    assert_non_null(c);
    assert_string_equal(ra_attr_cache_get(c, "transient|node1|a"), "1");
    assert_string_equal(ra_attr_cache_get(c, "promotion|node1|b"), "two words");
    assert_string_equal(ra_attr_cache_get(c, "x"), "");
    assert_null(ra_attr_cache_get(c, "transient|node2|a"));
    ra_attr_cache_close(c);
}

static void attr_cache_reads_back_a_value_longer_than_2_kib(void **state)
{
    struct fixture *f = *state;
    char path[160];
    char *value = malloc(5001);
    struct ra_attr_cache *c;

    assert_non_null(value);
    memset(value, 'n', 5000);
    value[5000] = '\0';
    path_in(f, "c.attrs", path, sizeof(path));
    c = ra_attr_cache_open(path);
    assert_non_null(c);
    assert_int_equal(ra_attr_cache_put(c, "transient|node1|long", value), 0);
    assert_int_equal(ra_attr_cache_put(c, "transient|node1|after", "2"), 0);
    assert_int_equal(ra_attr_cache_save(c), 0);
    ra_attr_cache_close(c);

    c = ra_attr_cache_open(path);
    assert_non_null(c);
    assert_non_null(ra_attr_cache_get(c, "transient|node1|long"));
    assert_string_equal(ra_attr_cache_get(c, "transient|node1|long"), value);
    assert_string_equal(ra_attr_cache_get(c, "transient|node1|after"), "2");
    ra_attr_cache_close(c);
    free(value);
}

static void attr_cache_overwrites_a_value(void **state)
{
    struct fixture *f = *state;
    char path[160];
    struct ra_attr_cache *c;
    const char *text;

    path_in(f, "c.attrs", path, sizeof(path));
    c = ra_attr_cache_open(path);
    assert_int_equal(ra_attr_cache_put(c, "k", "old"), 0);
    assert_int_equal(ra_attr_cache_save(c), 0);
    ra_attr_cache_close(c);

    c = ra_attr_cache_open(path);
    assert_int_equal(ra_attr_cache_put(c, "k", "new"), 0);
    assert_string_equal(ra_attr_cache_get(c, "k"), "new");
    assert_int_equal(ra_attr_cache_save(c), 0);
    ra_attr_cache_close(c);

    c = ra_attr_cache_open(path);
    assert_string_equal(ra_attr_cache_get(c, "k"), "new");
    ra_attr_cache_close(c);
    /* one line for the key, not two */
    {
        char buf[256] = "";
        FILE *fp = fopen(path, "re");
        size_t n;

        assert_non_null(fp);
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        fclose(fp);
        buf[n] = '\0';
        text = buf;
        assert_memory_equal(text, "k\tnew\t", 6);
        assert_null(strstr(text, "old"));
        assert_int_equal(strchr(text, '\n') - text, strlen(text) - 1);
    }
}

static void attr_cache_rejects_tabs_and_newlines(void **state)
{
    struct fixture *f = *state;
    char path[160];
    struct ra_attr_cache *c;

    path_in(f, "c.attrs", path, sizeof(path));
    c = ra_attr_cache_open(path);
    assert_int_equal(ra_attr_cache_put(c, "k", "keep"), 0);
    assert_int_equal(ra_attr_cache_put(c, "k", "a\tb"), -EINVAL);
    assert_int_equal(ra_attr_cache_put(c, "k", "a\nb"), -EINVAL);
    assert_int_equal(ra_attr_cache_put(c, "k\t2", "v"), -EINVAL);
    assert_int_equal(ra_attr_cache_put(c, "k\n2", "v"), -EINVAL);
    assert_string_equal(ra_attr_cache_get(c, "k"), "keep");
    assert_null(ra_attr_cache_get(c, "k\t2"));
    assert_int_equal(ra_attr_cache_save(c), 0);
    ra_attr_cache_close(c);

    c = ra_attr_cache_open(path);
    assert_string_equal(ra_attr_cache_get(c, "k"), "keep");
    ra_attr_cache_close(c);
}

static void attr_cache_skips_malformed_lines(void **state)
{
    char content[256];
    struct ra_attr_cache *c;
    long long now = (long long) time(NULL);

    snprintf(content, sizeof(content),
             "garbage\nonly\tone-tab\n\n\tempty-key\t%lld\ngood\tvalue\t%lld\n",
             now, now);
    c = cache_from(*state, content);
    assert_string_equal(ra_attr_cache_get(c, "good"), "value");
    assert_null(ra_attr_cache_get(c, "garbage"));
    assert_null(ra_attr_cache_get(c, "only"));
    ra_attr_cache_close(c);
}

static void attr_cache_forgets_stale_and_future_entries(void **state)
{
    char content[256];
    struct ra_attr_cache *c;
    long long now = (long long) time(NULL);

    snprintf(content, sizeof(content), "old\tv\t%lld\nfuture\tv\t%lld\nfresh\tv\t%lld\n",
             now - 3600, now + 3600, now - 10);
    c = cache_from(*state, content);
    assert_null(ra_attr_cache_get(c, "old"));
    assert_null(ra_attr_cache_get(c, "future"));
    assert_string_equal(ra_attr_cache_get(c, "fresh"), "v");
    ra_attr_cache_close(c);
}

static void attr_cache_peek_returns_a_stale_entry_that_get_refuses(void **state)
{
    char content[256];
    struct ra_attr_cache *c;
    long long now = (long long) time(NULL);

    snprintf(content, sizeof(content), "old\tv\t%lld\nempty\t\t%lld\n",
             now - 3600, now - 3600);
    c = cache_from(*state, content);
    assert_null(ra_attr_cache_get(c, "old"));
    assert_string_equal(ra_attr_cache_peek(c, "old"), "v");
    assert_string_equal(ra_attr_cache_peek(c, "empty"), "");
    assert_null(ra_attr_cache_peek(c, "none"));
    ra_attr_cache_close(c);
}

static void attr_cache_save_into_a_missing_directory_fails(void **state)
{
    struct fixture *f = *state;
    char path[160];
    struct ra_attr_cache *c;

    path_in(f, "no/such/dir/c.attrs", path, sizeof(path));
    c = ra_attr_cache_open(path);
    assert_non_null(c);
    assert_int_equal(ra_attr_cache_put(c, "k", "v"), 0);
    assert_int_equal(ra_attr_cache_save(c), -ENOENT);
    ra_attr_cache_close(c);
}

/* --- ra_attr_set / ra_attr_get / ra_attr_del ----------------------------------- */

static void attr_set_execs_the_update_then_polls_until_visible(void **state)
{
    struct fixture *f = *state;
    char *value = NULL;
    size_t n;

    control(f, "lag", "3");
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PRIVATE, "utest-a", NULL, "5"), 0);
    n = call_count(f);
    assert_string_equal(call_line(f, 0), "attrd_updater -p -n utest-a -N node1 -U 5");
    /* three queries still see nothing, the fourth sees the value */
    assert_int_equal(n, 5);
    for (size_t i = 1; i < n; i++) {
        assert_string_equal(call_line(f, i), "attrd_updater -p -n utest-a -N node1 -Q");
    }
    assert_int_equal(ra_attr_get(&f->ctx, RA_ATTR_PRIVATE, "utest-a", NULL, &value), 0);
    assert_non_null(value);
    assert_string_equal(value, "5");
    free(value);
}

/* crm_mon's attributes: dampened (their CIB write aborts transitions) and
 * not read back (nothing decides on them). */
static void attr_set_of_a_shown_attribute_is_dampened_and_not_polled(void **state)
{
    struct fixture *f = *state;

    control(f, "lag", "3");
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), 0);
    assert_int_equal(call_count(f), 1);
    assert_string_equal(call_line(f, 0), "attrd_updater -n utest-a -N node1 -B 5 -d 2s");
    /* the cache knows it: the same value again execs nothing */
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), 0);
    assert_int_equal(call_count(f), 1);
}

static void attr_set_of_the_same_value_execs_nothing(void **state)
{
    struct fixture *f = *state;
    size_t before;

    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), 0);
    before = call_count(f);
    assert_true(before >= 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), 0);
    }
    assert_int_equal(call_count(f), before);
}

static void attr_set_of_a_changed_value_execs_again(void **state)
{
    struct fixture *f = *state;
    char *value = NULL;
    size_t before;

    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), 0);
    before = call_count(f);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "6"), 0);
    assert_true(call_count(f) > before);
    assert_string_equal(call_line(f, before), "attrd_updater -n utest-a -N node1 -B 6 -d 2s");
    assert_int_equal(ra_attr_get(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, &value), 0);
    assert_string_equal(value, "6");
    free(value);
    /* and back to 5: not mistaken for the first value */
    before = call_count(f);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), 0);
    assert_string_equal(call_line(f, before), "attrd_updater -n utest-a -N node1 -B 5 -d 2s");
}

static void attr_set_caches_per_node_and_per_name(void **state)
{
    struct fixture *f = *state;
    size_t before;

    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), 0);
    before = call_count(f);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", "node2", "5"), 0);
    assert_string_equal(call_line(f, before), "attrd_updater -n utest-a -N node2 -B 5 -d 2s");
    before = call_count(f);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-b", NULL, "5"), 0);
    assert_string_equal(call_line(f, before), "attrd_updater -n utest-b -N node1 -B 5 -d 2s");
    /* the local node named explicitly is the same cache entry */
    before = call_count(f);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", "node1", "5"), 0);
    assert_int_equal(call_count(f), before);
}

static void attr_set_of_a_private_attribute_passes_p(void **state)
{
    struct fixture *f = *state;
    char *value = NULL;
    size_t before;

    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PRIVATE, "utest-p", NULL, "x"), 0);
    assert_string_equal(call_line(f, 0), "attrd_updater -p -n utest-p -N node1 -U x");
    assert_string_equal(call_line(f, 1), "attrd_updater -p -n utest-p -N node1 -Q");
    /* a transient attribute of the same name is another cache entry */
    before = call_count(f);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-p", NULL, "x"), 0);
    assert_string_equal(call_line(f, before), "attrd_updater -n utest-p -N node1 -B x -d 2s");
    assert_int_equal(ra_attr_get(&f->ctx, RA_ATTR_PRIVATE, "utest-p", NULL, &value), 0);
    assert_string_equal(value, "x");
    free(value);
}

static void attr_set_of_a_promotion_score_uses_crm_attribute(void **state)
{
    struct fixture *f = *state;
    char *value = NULL;
    size_t before;

    control(f, "lag", "1");
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PROMOTION, "master-res1", NULL, "10"), 0);
    assert_string_equal(call_line(f, 0),
                        "crm_attribute --promotion -l reboot -N node1 -v 10");
    assert_string_equal(call_line(f, 1),
                        "crm_attribute --promotion -l reboot -N node1 -G -q");
    assert_int_equal(call_count(f), 3);
    assert_int_equal(ra_attr_get(&f->ctx, RA_ATTR_PROMOTION, "master-res1", NULL,
                                 &value), 0);
    assert_string_equal(value, "10");
    free(value);
    before = call_count(f);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PROMOTION, "master-res1", NULL, "10"), 0);
    assert_int_equal(call_count(f), before);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PROMOTION, "master-res1", NULL, "-INFINITY"), 0);
    assert_string_equal(call_line(f, before),
                        "crm_attribute --promotion -l reboot -N node1 -v -INFINITY");
}

static void attr_get_of_an_unset_attribute_is_null(void **state)
{
    struct fixture *f = *state;
    char *value = (char *) "sentinel";

    assert_int_equal(ra_attr_get(&f->ctx, RA_ATTR_TRANSIENT, "utest-none", NULL, &value), 0);
    assert_null(value);
    value = (char *) "sentinel";
    assert_int_equal(ra_attr_get(&f->ctx, RA_ATTR_PROMOTION, "x", "node9", &value), 0);
    assert_null(value);
}

static void attr_del_removes_the_attribute_once(void **state)
{
    struct fixture *f = *state;
    char *value = NULL;
    size_t before;

    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), 0);
    before = call_count(f);
    assert_int_equal(ra_attr_del(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL), 0);
    assert_string_equal(call_line(f, before), "attrd_updater -n utest-a -N node1 -D");
    assert_int_equal(ra_attr_get(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, &value), 0);
    assert_null(value);
    /* known absent: the second delete execs nothing */
    before = call_count(f);
    assert_int_equal(ra_attr_del(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL), 0);
    assert_int_equal(call_count(f), before);
    /* and setting it again execs again */
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), 0);
    assert_string_equal(call_line(f, before), "attrd_updater -n utest-a -N node1 -B 5 -d 2s");
}

static void attr_del_of_a_private_attribute_known_absent_long_ago_execs_nothing(void **state)
{
    struct fixture *f = *state;
    char path[160];
    char content[256];
    long long old = (long long) time(NULL) - 3600;
    char *value = NULL;
    size_t before;

    /* entries older than the cache's time-to-live */
    (void) mkdir(f->rsctmp, 0755);
    snprintf(path, sizeof(path), "%s/utest-res1.attrs", f->rsctmp);
    snprintf(content, sizeof(content),
             "private|node1|utest-p\t\t%lld\ntransient|node1|utest-t\t\t%lld\n"
             "private|node1|utest-v\t5\t%lld\n", old, old, old);
    assert_int_equal(th_write_file(path, content, NULL, 0600), 0);
    before = call_count(f);
    assert_int_equal(ra_attr_del(&f->ctx, RA_ATTR_PRIVATE, "utest-p", NULL), 0);
    assert_int_equal(ra_attr_get(&f->ctx, RA_ATTR_PRIVATE, "utest-p", NULL, &value), 0);
    assert_null(value);
    assert_int_equal(call_count(f), before);
    /* setting it execs, and its check asks the tool, not the cache */
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PRIVATE, "utest-p", NULL, "7"), 0);
    assert_string_equal(call_line(f, before), "attrd_updater -p -n utest-p -N node1 -U 7");
    assert_int_equal(ra_attr_get(&f->ctx, RA_ATTR_PRIVATE, "utest-p", NULL, &value), 0);
    assert_string_equal(value, "7");
    free(value);
    before = call_count(f);
    /* only Pacemaker erases others: a transient one, or a value, is redone */
    assert_int_equal(ra_attr_del(&f->ctx, RA_ATTR_TRANSIENT, "utest-t", NULL), 0);
    assert_string_equal(call_line(f, before), "attrd_updater -n utest-t -N node1 -D");
    before = call_count(f);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PRIVATE, "utest-v", NULL, "5"), 0);
    assert_string_equal(call_line(f, before), "attrd_updater -p -n utest-v -N node1 -U 5");
}

static void attr_del_of_a_promotion_score_uses_crm_attribute(void **state)
{
    struct fixture *f = *state;
    size_t before;

    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PROMOTION, "s", NULL, "5"), 0);
    before = call_count(f);
    assert_int_equal(ra_attr_del(&f->ctx, RA_ATTR_PROMOTION, "s", NULL), 0);
    assert_string_equal(call_line(f, before),
                        "crm_attribute --promotion -l reboot -N node1 -D");
}

static void attr_set_with_a_failing_tool_returns_an_error(void **state)
{
    struct fixture *f = *state;
    size_t before;

    control(f, "fail", "");
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), -EIO);
    assert_int_equal(ra_attr_del(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL), -EIO);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PROMOTION, "s", NULL, "5"), -EIO);
    /* nothing cached from a failure: once the tool works, it is called */
    control(f, "fail", NULL);
    before = call_count(f);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), 0);
    assert_string_equal(call_line(f, before), "attrd_updater -n utest-a -N node1 -B 5 -d 2s");
}

static void attr_set_without_the_tool_returns_an_error(void **state)
{
    struct fixture *f = *state;
    char *value = (char *) "sentinel";

    setenv("PATH", "/nonexistent/utest", 1);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), -ENOENT);
    assert_int_equal(ra_attr_get(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, &value), -ENOENT);
    assert_null(value);
}

static void attr_set_times_out_when_the_value_never_shows(void **state)
{
    struct fixture *f = *state;
    long long t0;

    control(f, "blackhole", "");
    ra_deadline_init(&f->ctx.deadline, 400);
    t0 = ra_now_ms();
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PRIVATE, "utest-a", NULL, "5"), -ETIMEDOUT);
    assert_in_range(ra_now_ms() - t0, 350, 2500);
    /* not cached: the next call tries again */
    control(f, "blackhole", NULL);
    ra_deadline_init(&f->ctx.deadline, 10000);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PRIVATE, "utest-a", NULL, "5"), 0);
}

static void attr_set_times_out_when_the_deadline_ends_during_a_query(void **state)
{
    struct fixture *f = *state;
    long long t0;

    /* the update goes through, the query hangs past the deadline */
    control(f, "slowquery", "");
    ra_deadline_init(&f->ctx.deadline, 400);
    t0 = ra_now_ms();
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PRIVATE, "utest-a", NULL, "5"),
                     -ETIMEDOUT);
    assert_in_range(ra_now_ms() - t0, 350, 2500);
    assert_string_equal(call_line(f, 0), "attrd_updater -p -n utest-a -N node1 -U 5");
}

static void attr_get_fails_cleanly_when_the_query_outlives_the_deadline(void **state)
{
    struct fixture *f = *state;
    char *value = (char *) "sentinel";

    /* run under valgrind or ASan: the killed query's output must be freed */
    control(f, "slowquery", "");
    ra_deadline_init(&f->ctx.deadline, 300);
    assert_true(ra_attr_get(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, &value) < 0);
    assert_null(value);
}

static void attr_set_fails_cleanly_when_the_update_outlives_the_deadline(void **state)
{
    struct fixture *f = *state;
    size_t before;

    /* run under valgrind or ASan: the killed update's output must be freed */
    control(f, "slowupdate", "");
    ra_deadline_init(&f->ctx.deadline, 300);
    assert_true(ra_attr_set(&f->ctx, RA_ATTR_PROMOTION, "s", NULL, "5") < 0);
    /* nothing cached: the next call tries again */
    control(f, "slowupdate", NULL);
    ra_deadline_init(&f->ctx.deadline, 10000);
    before = call_count(f);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_PROMOTION, "s", NULL, "5"), 0);
    assert_string_equal(call_line(f, before),
                        "crm_attribute --promotion -l reboot -N node1 -v 5");
}

static void attr_cache_reset_makes_the_next_set_exec_again(void **state)
{
    struct fixture *f = *state;
    char path[160];
    size_t before;

    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), 0);
    snprintf(path, sizeof(path), "%s/utest-res1.attrs", f->rsctmp);
    assert_int_equal(access(path, F_OK), 0);
    ra_attr_cache_reset(&f->ctx);
    assert_int_equal(access(path, F_OK), -1);
    before = call_count(f);
    assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, "5"), 0);
    assert_string_equal(call_line(f, before), "attrd_updater -n utest-a -N node1 -B 5 -d 2s");
}

static void attr_set_passes_shell_metacharacters_literally(void **state)
{
    struct fixture *f = *state;
    char *value = NULL;
    char canary[160];

    path_in(f, "canary", canary, sizeof(canary));
    {
        char evil[400];

        snprintf(evil, sizeof(evil), "$(touch %s);`touch %s`|x", canary, canary);
        assert_int_equal(ra_attr_set(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, evil), 0);
        assert_int_equal(ra_attr_get(&f->ctx, RA_ATTR_TRANSIENT, "utest-a", NULL, &value), 0);
        assert_string_equal(value, evil);
        free(value);
    }
    assert_int_equal(access(canary, F_OK), -1);
}

#define FIXTURE_TEST(t) cmocka_unit_test_setup_teardown(t, fixture_setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(attr_cache_open_of_a_missing_file_is_empty),
        FIXTURE_TEST(attr_cache_saves_and_reads_back_values),
        FIXTURE_TEST(attr_cache_overwrites_a_value),
        FIXTURE_TEST(attr_cache_reads_back_a_value_longer_than_2_kib),
        FIXTURE_TEST(attr_cache_rejects_tabs_and_newlines),
        FIXTURE_TEST(attr_cache_skips_malformed_lines),
        FIXTURE_TEST(attr_cache_forgets_stale_and_future_entries),
        FIXTURE_TEST(attr_cache_peek_returns_a_stale_entry_that_get_refuses),
        FIXTURE_TEST(attr_cache_save_into_a_missing_directory_fails),
        FIXTURE_TEST(attr_set_execs_the_update_then_polls_until_visible),
        FIXTURE_TEST(attr_set_of_a_shown_attribute_is_dampened_and_not_polled),
        FIXTURE_TEST(attr_set_of_the_same_value_execs_nothing),
        FIXTURE_TEST(attr_set_of_a_changed_value_execs_again),
        FIXTURE_TEST(attr_set_caches_per_node_and_per_name),
        FIXTURE_TEST(attr_set_of_a_private_attribute_passes_p),
        FIXTURE_TEST(attr_set_of_a_promotion_score_uses_crm_attribute),
        FIXTURE_TEST(attr_get_of_an_unset_attribute_is_null),
        FIXTURE_TEST(attr_del_removes_the_attribute_once),
        FIXTURE_TEST(attr_del_of_a_private_attribute_known_absent_long_ago_execs_nothing),
        FIXTURE_TEST(attr_del_of_a_promotion_score_uses_crm_attribute),
        FIXTURE_TEST(attr_set_with_a_failing_tool_returns_an_error),
        FIXTURE_TEST(attr_set_without_the_tool_returns_an_error),
        FIXTURE_TEST(attr_set_times_out_when_the_value_never_shows),
        FIXTURE_TEST(attr_set_times_out_when_the_deadline_ends_during_a_query),
        FIXTURE_TEST(attr_get_fails_cleanly_when_the_query_outlives_the_deadline),
        FIXTURE_TEST(attr_set_fails_cleanly_when_the_update_outlives_the_deadline),
        FIXTURE_TEST(attr_cache_reset_makes_the_next_set_exec_again),
        FIXTURE_TEST(attr_set_passes_shell_metacharacters_literally),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
