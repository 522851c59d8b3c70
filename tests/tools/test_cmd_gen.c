/*
 * tests/tools/test_cmd_gen.c - `sluice gen`: output files equal the library's events, flags
 * are checked, bad ones give status 2 and failures to write status 1.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/nexmark.h"
#include "io/ysb.h"
#include "tools/cmd_gen.h"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sluice-test-gen-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static int run(int argc, const char **argv)
{
    return sl_cmd_gen(argc, (char **)argv);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void test_nexmark_file(void **state)
{
    (void)state;
    char out[128];
    snprintf(out, sizeof(out), "%s/nx.json", tmpdir);
    const char *argv[] = {"gen", "nexmark", "--events", "777", "--start=100", "--rate", "2000",
                          "--seed", "4", "--base-time", "1700000000000", "--out", out,
                          "--set", "bid.proportion=20", "--format", "json"};
    assert_int_equal(run(17, argv), 0);
    size_t len;
    char *text = slurp(out, &len);
    struct sl_nexmark_config c;
    sl_nexmark_config_init(&c);
    c.first_event_rate = 2000;
    c.seed = 4;
    c.base_time = 1700000000000ll;
    c.bid_proportion = 20;
    struct sl_nexmark_gen *g;
    assert_int_equal(sl_nexmark_gen_new(&c, &g, NULL), 0);
    struct sl_nexmark_event ev;
    assert_int_equal(sl_nexmark_event_init(&ev, g), 0);
    char *buf = malloc(sl_nexmark_json_max(g) + 1);
    size_t pos = 0;
    for (int64_t i = 100; i < 877; i++) {
        sl_nexmark_gen_event(g, i, &ev);
        size_t l = sl_nexmark_event_json(&ev, buf);
        buf[l++] = '\n';
        assert_true(pos + l <= len);
        assert_memory_equal(text + pos, buf, l);
        pos += l;
    }
    assert_int_equal(pos, len);
    free(buf);
    free(text);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(g);

    /* events.num stands in for --events */
    const char *argv2[] = {"gen", "nexmark", "--set", "events.num=5", "--out", out};
    assert_int_equal(run(6, argv2), 0);
    text = slurp(out, &len);
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    assert_int_equal(lines, 5);
    free(text);
}

static void test_ysb_files(void **state)
{
    (void)state;
    char out[128], camp[128];
    snprintf(out, sizeof(out), "%s/ysb.json", tmpdir);
    snprintf(camp, sizeof(camp), "%s/campaigns.csv", tmpdir);
    const char *argv[] = {"gen", "ysb", "--events", "1000", "--seed", "2", "--base-time",
                          "1600000000000", "--out", out, "--campaigns-out", camp, "--skew"};
    assert_int_equal(run(13, argv), 0);
    struct sl_ysb_config c;
    sl_ysb_config_init(&c);
    c.seed = 2;
    c.start_time = 1600000000000ll;
    c.with_skew = 1;
    struct sl_ysb_gen *g;
    assert_int_equal(sl_ysb_gen_new(&c, &g, NULL), 0);
    size_t len;
    char *text = slurp(out, &len);
    size_t pos = 0;
    char buf[SL_YSB_JSON_MAX + 1];
    for (int64_t i = 0; i < 1000; i++) {
        struct sl_ysb_event ev;
        sl_ysb_gen_event(g, i, &ev);
        size_t l = sl_ysb_event_json(&ev, buf);
        buf[l++] = '\n';
        assert_memory_equal(text + pos, buf, l);
        pos += l;
    }
    assert_int_equal(pos, len);
    free(text);
    text = slurp(camp, &len);
    char *want = malloc(sl_ysb_campaigns_csv_size(g));
    size_t wl = sl_ysb_campaigns_csv(g, want);
    assert_int_equal(len, wl);
    assert_memory_equal(text, want, wl);
    free(want);
    free(text);
    sl_ysb_gen_free(g);
}

static void test_bad_flags(void **state)
{
    (void)state;
    char out[128];
    snprintf(out, sizeof(out), "%s/x.json", tmpdir);
    const char *no_kind[] = {"gen", "--events", "1"};
    assert_int_equal(run(3, no_kind), 2);
    const char *bad_kind[] = {"gen", "tpch", "--events", "1"};
    assert_int_equal(run(4, bad_kind), 2);
    const char *no_events[] = {"gen", "ysb"};
    assert_int_equal(run(2, no_events), 2);
    const char *bad_events[] = {"gen", "ysb", "--events", "-3"};
    assert_int_equal(run(4, bad_events), 2);
    const char *missing_value[] = {"gen", "nexmark", "--events"};
    assert_int_equal(run(3, missing_value), 2);
    const char *unknown[] = {"gen", "nexmark", "--events", "1", "--frobnicate"};
    assert_int_equal(run(5, unknown), 2);
    const char *fmt[] = {"gen", "nexmark", "--events", "1", "--format", "avro"};
    assert_int_equal(run(6, fmt), 2);
    const char *set[] = {"gen", "nexmark", "--events", "1", "--set", "bid.proportion=zero"};
    assert_int_equal(run(6, set), 2);
    const char *zero[] = {"gen", "nexmark", "--events", "1", "--set", "bid.proportion=0"};
    assert_int_equal(run(6, zero), 2);
    const char *wrong_kind[] = {"gen", "nexmark", "--events", "1", "--campaigns-out", out};
    assert_int_equal(run(6, wrong_kind), 2);
    const char *rate0[] = {"gen", "ysb", "--events", "1", "--rate", "0"};
    assert_int_equal(run(6, rate0), 2);
    const char *two[] = {"gen", "ysb", "nexmark", "--events", "1"};
    assert_int_equal(run(5, two), 2);
    /* a file that cannot be opened or written: status 1 */
    const char *nodir[] = {"gen", "ysb", "--events", "1", "--out", "/nonexistent/dir/x"};
    assert_int_equal(run(6, nodir), 1);
    if (access("/dev/full", W_OK) == 0) {
        const char *full[] = {"gen", "nexmark", "--events", "10000", "--out", "/dev/full"};
        assert_int_equal(run(6, full), 1);
    }
    const char *help[] = {"gen", "--help"};
    assert_int_equal(run(2, help), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nexmark_file),
        cmocka_unit_test(test_ysb_files),
        cmocka_unit_test(test_bad_flags),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
