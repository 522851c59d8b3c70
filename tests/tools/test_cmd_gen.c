/*
 * tests/tools/test_cmd_gen.c - `sluice gen`: output files equal the library's events, flags
 * are checked, bad ones give status 2 and failures to write status 1.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/batch.h"
#include "io/csv.h"
#include "io/kafka_mock.h"
#include "io/kafka_source.h"
#include "io/nexmark.h"
#include "io/raw.h"
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
    const char *argv[] = {"gen",           "nexmark", "--events", "777",   "--start=100",
                          "--rate",        "2000",    "--seed",   "4",     "--base-time",
                          "1700000000000", "--out",   out,        "--set", "bid.proportion=20",
                          "--format",      "json"};
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
    const char *argv[] = {
        "gen",   "ysb", "--events",        "1000", "--seed", "2", "--base-time", "1600000000000",
        "--out", out,   "--campaigns-out", camp,   "--skew"};
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

/* Row r of `got` equals row r of `want`, value by value (NULLs alike). */
static void assert_rows_equal(struct sl_batch *got, struct sl_batch *want, uint32_t r)
{
    assert_int_equal(got->ncols, want->ncols);
    for (uint32_t c = 0; c < got->ncols; c++) {
        struct sl_column *g = &got->cols[c], *w = &want->cols[c];
        bool gn = sl_col_is_null(g, r), wn = sl_col_is_null(w, r);
        if (gn != wn)
            fprintf(stderr, "row %u column %s: NULL %d vs %d\n", r, got->schema->fields[c].name, gn,
                    wn);
        assert_int_equal(gn, wn);
        if (gn)
            continue;
        if (g->type.id == SL_TYPE_VARCHAR) {
            assert_true(sl_str_eq(&sl_col_str(g)[r], &sl_col_str(w)[r]));
        } else {
            size_t width = sl_type_width((sl_type_id)g->type.id);
            assert_memory_equal((char *)g->data + r * width, (char *)w->data + r * width, width);
        }
    }
}

/* Decodes every record of a generated file into batches and compares them with the
 * generator's own batches of the same events. */
static void check_file_against_fill(const char *path, bool raw, int64_t start, int64_t n)
{
    struct sl_nexmark_config cfg;
    struct sl_error err;
    sl_nexmark_config_init(&cfg);
    cfg.base_time = 1700000000000;
    struct sl_nexmark_gen *gen;
    assert_int_equal(sl_nexmark_gen_new(&cfg, &gen, &err), 0);
    struct sl_nexmark_event ev;
    assert_int_equal(sl_nexmark_event_init(&ev, gen), 0);
    struct sl_schema *schema = sl_nexmark_schema_new();
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, schema, 2);
    struct sl_batch *got = sl_batch_pool_get(pool), *want = sl_batch_pool_get(pool);
    struct sl_csv *csv = raw ? NULL : sl_csv_new(schema, NULL, &err);
    struct sl_raw *rw = raw ? sl_raw_new(schema, NULL, &err) : NULL;
    assert_true(csv || rw);
    struct sl_badrec bad;
    sl_badrec_init(&bad, SL_BADREC_FAIL, NULL, NULL);
    size_t len;
    char *data = slurp(path, &len);
    size_t pos = 0;
    int64_t k = start;
    while (pos < len) {
        sl_batch_reset(got);
        size_t used = 0;
        if (raw) {
            /* length-prefixed records, decoded one at a time */
            assert_true(pos + 4 <= len);
            uint32_t rl = (uint32_t)(unsigned char)data[pos] |
                          (uint32_t)(unsigned char)data[pos + 1] << 8 |
                          (uint32_t)(unsigned char)data[pos + 2] << 16 |
                          (uint32_t)(unsigned char)data[pos + 3] << 24;
            assert_true(pos + 4 + rl <= len);
            struct sl_record rec = {.topic = path,
                                    .partition = -1,
                                    .offset = (int64_t)pos,
                                    .timestamp = -1,
                                    .value = data + pos + 4,
                                    .value_len = rl};
            size_t consumed;
            assert_int_equal(sl_raw_decode(rw, &rec, 1, got, &bad, &consumed, &err), 0);
            assert_int_equal(consumed, 1);
            used = 4 + rl;
        } else {
            int rc = sl_csv_decode_stream(csv, data + pos, len - pos, true, path, (int64_t)pos, got,
                                          &bad, &used, &err);
            if (rc)
                fprintf(stderr, "%s\n", err.msg);
            assert_int_equal(rc, 0);
        }
        assert_true(used > 0);
        pos += used;
        sl_batch_reset(want);
        assert_int_equal(sl_nexmark_fill(gen, &ev, k, got->rows, want), 0);
        for (uint32_t r = 0; r < got->rows; r++)
            assert_rows_equal(got, want, r);
        k += got->rows;
    }
    assert_int_equal(k, start + n);
    free(data);
    sl_csv_free(csv);
    sl_raw_free(rw);
    sl_batch_pool_put(got);
    sl_batch_pool_put(want);
    sl_batch_pool_free(pool);
    sl_schema_free(schema);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(gen);
}

static void test_nexmark_csv_and_raw(void **state)
{
    (void)state;
    char out[128];
    snprintf(out, sizeof(out), "%s/nx.csv", tmpdir);
    const char *csv_argv[] = {"gen",         "nexmark",       "--events", "2500", "--start", "7",
                              "--base-time", "1700000000000", "--format", "csv",  "--out",   out};
    assert_int_equal(run(12, csv_argv), 0);
    check_file_against_fill(out, false, 7, 2500);
    snprintf(out, sizeof(out), "%s/nx.raw", tmpdir);
    const char *raw_argv[] = {"gen",         "nexmark",       "--events", "2500", "--start", "7",
                              "--base-time", "1700000000000", "--format", "raw",  "--out",   out};
    assert_int_equal(run(12, raw_argv), 0);
    check_file_against_fill(out, true, 7, 2500);
}

static void test_kafka_output(void **state)
{
    (void)state;
    struct sl_error err;
    struct sl_kafka_mock *mock;
    assert_int_equal(sl_kafka_mock_new(NULL, &mock, &err), 0);
    assert_int_equal(sl_kafka_mock_topic_create(mock, "gen-out", 3, &err), 0);
    const char *bs = sl_kafka_mock_bootstrap(mock);
    const char *argv[] = {"gen",     "nexmark", "--events",  "1500", "--base-time", "1700000000000",
                          "--topic", "gen-out", "--brokers", bs,     "--property",  "linger.ms=5"};
    assert_int_equal(run(12, argv), 0);
    /* round robin: partition p holds events p, p + 3, p + 6, ... in order */
    struct sl_nexmark_config cfg;
    sl_nexmark_config_init(&cfg);
    cfg.base_time = 1700000000000;
    struct sl_nexmark_gen *gen;
    assert_int_equal(sl_nexmark_gen_new(&cfg, &gen, &err), 0);
    struct sl_nexmark_event ev;
    assert_int_equal(sl_nexmark_event_init(&ev, gen), 0);
    char *json = malloc(sl_nexmark_json_max(gen));
    struct sl_kafka_source_config scfg = {.bootstrap = bs,
                                          .topic = "gen-out",
                                          .startup = SL_KAFKA_START_EARLIEST,
                                          .bounded = true,
                                          .nworkers = 1};
    struct sl_kafka_source *src;
    assert_int_equal(sl_kafka_source_new(&scfg, &src, &err), 0);
    int64_t next[3] = {0, 1, 2};
    int64_t total = 0;
    struct sl_record recs[256];
    while (!sl_kafka_source_finished(src, 0)) {
        size_t n;
        assert_int_equal(sl_kafka_source_poll(src, 0, recs, 256, 1000, &n, &err), 0);
        for (size_t i = 0; i < n; i++) {
            int32_t p = recs[i].partition;
            assert_true(p >= 0 && p < 3);
            sl_nexmark_gen_event(gen, next[p], &ev);
            size_t len = sl_nexmark_event_json(&ev, json);
            assert_int_equal(recs[i].value_len, len);
            assert_memory_equal(recs[i].value, json, len);
            next[p] += 3;
        }
        total += (int64_t)n;
        sl_kafka_source_release(src, 0);
    }
    assert_int_equal(total, 1500);
    sl_kafka_source_free(src);
    free(json);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(gen);
    sl_kafka_mock_free(mock);
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
    const char *topic_only[] = {"gen", "ysb", "--events", "1", "--topic", "t"};
    assert_int_equal(run(6, topic_only), 2);
    const char *both[] = {"gen", "ysb",       "--events", "1",     "--topic",
                          "t",   "--brokers", "b",        "--out", out};
    assert_int_equal(run(10, both), 2);
    const char *prop[] = {"gen", "ysb", "--events", "1", "--property", "acks=all"};
    assert_int_equal(run(6, prop), 2);
    const char *help[] = {"gen", "--help"};
    assert_int_equal(run(2, help), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nexmark_file),        cmocka_unit_test(test_ysb_files),
        cmocka_unit_test(test_nexmark_csv_and_raw), cmocka_unit_test(test_kafka_output),
        cmocka_unit_test(test_bad_flags),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
