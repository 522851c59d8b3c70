/*
 * tests/io/test_kafka.c - the Kafka source and sink against librdkafka's mock cluster, in
 * this process. One mock serves the whole file; every test uses fresh topics.
 */
#include "tests/util/testutil.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "engine/core/error.h"
#include "io/kafka_conf.h"
#include "io/kafka_mock.h"
#include "io/kafka_sink.h"
#include "io/kafka_source.h"
#include "tests/util/kmock.h"

static const char *const g_quiet[] = {"log_level=0"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Writes records "k<i>" -> "v<i>" for i in [first, first + n) with `props` (NULL: none),
 * `ts(i)` as their timestamps (-1: none), in writes of 1, 7, 64 and 331 records in turn (each
 * write: one rd_kafka_produce_batch per partition, or a producev per stamped record), and
 * waits for delivery. */
static void produce_with(const char *topic, enum sl_kafka_partitioner part, int32_t partition,
                         int first, int n, size_t value_pad, const char *const *props,
                         size_t nprops, int64_t ts_base)
{
    struct sl_kafka_sink_config cfg = {.bootstrap = sl_kmock_bootstrap(),
                                       .topic = topic,
                                       .partitioner = part,
                                       .partition = partition,
                                       .props = props,
                                       .nprops = nprops};
    struct sl_error err;
    struct sl_kafka_sink *sink;
    assert_int_equal(sl_kafka_sink_new(&cfg, &sink, &err), 0);
    static const int chunks[] = {1, 7, 64, 331};
    enum { MAXC = 331 };
    char *vals = malloc(MAXC * (value_pad + 32));
    char(*keys)[32] = malloc(MAXC * sizeof(*keys));
    struct sl_record *recs = malloc(MAXC * sizeof(*recs));
    assert_true(vals && keys && recs);
    for (int i = first, c = 0; i < first + n; c++) {
        int k = chunks[c % 4];
        if (k > first + n - i)
            k = first + n - i;
        for (int j = 0; j < k; j++, i++) {
            char *val = vals + (size_t)j * (value_pad + 32);
            int klen = snprintf(keys[j], sizeof(keys[j]), "k%d", i);
            int vlen = snprintf(val, 32, "v%d", i);
            memset(val + vlen, 'x', value_pad);
            recs[j] = (struct sl_record){.key = keys[j],
                                         .key_len = (size_t)klen,
                                         .value = val,
                                         .value_len = (size_t)vlen + value_pad,
                                         .timestamp = ts_base < 0 ? -1 : ts_base + i};
        }
        int rc = sl_kafka_sink_write(sink, recs, (size_t)k, &err);
        if (rc)
            fprintf(stderr, "write: %s\n", err.msg);
        assert_int_equal(rc, 0);
    }
    free(vals);
    free(keys);
    free(recs);
    int rc = sl_kafka_sink_flush(sink, 30000, &err);
    if (rc)
        fprintf(stderr, "flush: %s\n", err.msg);
    assert_int_equal(rc, 0);
    struct sl_kafka_sink_stats st = sl_kafka_sink_stats(sink);
    assert_int_equal(st.produced, (uint64_t)n);
    assert_int_equal(st.delivered, (uint64_t)n);
    assert_int_equal(st.failed, 0);
    sl_kafka_sink_free(sink, 1000);
}

static void produce(const char *topic, enum sl_kafka_partitioner part, int32_t partition, int first,
                    int n, size_t value_pad)
{
    produce_with(topic, part, partition, first, n, value_pad, NULL, 0, -1);
}

struct got {
    int32_t partition;
    int64_t offset;
    int index; /* i of "v<i>" */
    char key[16];
    int64_t timestamp;
};

/* Polls worker w until `want` records came (want >= 0) or the worker finished (want < 0);
 * fails the test after 20 s. Returns how many; out[] gets up to cap of them. */
static size_t drain(struct sl_kafka_source *src, int w, long want, struct got *out, size_t cap)
{
    struct sl_record recs[97]; /* an odd size, so that polls end mid-batch */
    size_t total = 0;
    double deadline = now_s() + 20;
    struct sl_error err;
    for (;;) {
        if (want < 0 && sl_kafka_source_finished(src, w))
            break;
        if (want >= 0 && total >= (size_t)want)
            break;
        assert_true(now_s() < deadline);
        size_t n;
        int rc = sl_kafka_source_poll(src, w, recs, 97, 50, &n, &err);
        if (rc)
            fprintf(stderr, "poll: %s\n", err.msg);
        assert_int_equal(rc, 0);
        for (size_t i = 0; i < n; i++) {
            assert_string_equal(recs[i].topic, recs[0].topic);
            assert_true(recs[i].timestamp > 0);
            if (total < cap) {
                out[total].partition = recs[i].partition;
                out[total].offset = recs[i].offset;
                assert_true(recs[i].value_len >= 2);
                assert_memory_equal(recs[i].value, "v", 1);
                out[total].index = atoi((const char *)recs[i].value + 1);
                out[total].timestamp = recs[i].timestamp;
                assert_true(recs[i].key_len < sizeof(out[total].key));
                memcpy(out[total].key, recs[i].key, recs[i].key_len);
                out[total].key[recs[i].key_len] = '\0';
            }
            total++;
        }
        sl_kafka_source_release(src, w);
    }
    return total;
}

static struct sl_kafka_source *open_source(struct sl_kafka_source_config *cfg)
{
    struct sl_error err;
    struct sl_kafka_source *src;
    cfg->bootstrap = sl_kmock_bootstrap();
    if (cfg->nworkers == 0)
        cfg->nworkers = 1;
    int rc = sl_kafka_source_new(cfg, &src, &err);
    if (rc)
        fprintf(stderr, "source: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return src;
}

/* ---- parsing -------------------------------------------------------------------------------- */

static void test_startup_parse(void **state)
{
    (void)state;
    enum sl_kafka_startup m;
    struct sl_error err;
    assert_int_equal(sl_kafka_startup_parse("earliest-offset", &m, &err), 0);
    assert_int_equal(m, SL_KAFKA_START_EARLIEST);
    assert_int_equal(sl_kafka_startup_parse("latest-offset", &m, &err), 0);
    assert_int_equal(m, SL_KAFKA_START_LATEST);
    assert_int_equal(sl_kafka_startup_parse("specific-offsets", &m, &err), 0);
    assert_int_equal(m, SL_KAFKA_START_SPECIFIC);
    assert_int_equal(sl_kafka_startup_parse("timestamp", &m, &err), 0);
    assert_int_equal(m, SL_KAFKA_START_TIMESTAMP);
    assert_int_equal(sl_kafka_startup_parse("group-offsets", &m, &err), 0);
    assert_int_equal(m, SL_KAFKA_START_GROUP);
    assert_int_equal(sl_kafka_startup_parse("earliest", &m, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "'earliest'"));

    struct sl_kafka_offset o[4];
    memset(o, 0x5a, sizeof(o)); /* as malloc'd memory may be: every field is written */
    size_t n;
    assert_int_equal(sl_kafka_parse_specific_offsets("partition:0,offset:42;partition:1,offset:300",
                                                     o, 4, &n, &err),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(o[0].partition, 0);
    assert_int_equal(o[0].offset, 42);
    assert_null(o[0].topic); /* the source's topic (found by test_kafka_broker.sh: a crash) */
    assert_int_equal(o[1].partition, 1);
    assert_int_equal(o[1].offset, 300);
    assert_null(o[1].topic);
    assert_int_equal(sl_kafka_parse_specific_offsets(
                         " partition: 7 , offset: 9223372036854775807 ;", o, 4, &n, &err),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(o[0].partition, 7);
    assert_int_equal(o[0].offset, INT64_MAX);
    assert_int_equal(
        sl_kafka_parse_specific_offsets("partition:0,offset:9223372036854775808", o, 4, &n, &err),
        SL_EPARSE);
    assert_int_equal(sl_kafka_parse_specific_offsets("partition:0;offset:1", o, 4, &n, &err),
                     SL_EPARSE);
    assert_non_null(strstr(err.msg, "character"));
    assert_int_equal(sl_kafka_parse_specific_offsets("", o, 4, &n, &err), SL_EPARSE);
    assert_int_equal(sl_kafka_parse_specific_offsets("partition:0,offset:-1", o, 4, &n, &err),
                     SL_EPARSE);
    assert_int_equal(sl_kafka_parse_specific_offsets("partition:1,offset:1;partition:1,offset:2", o,
                                                     4, &n, &err),
                     SL_EINVAL);
    assert_non_null(strstr(err.msg, "twice"));
    assert_int_equal(sl_kafka_parse_specific_offsets("partition:1,offset:1;partition:2,offset:2", o,
                                                     1, &n, &err),
                     SL_EFULL);
}

static void test_properties(void **state)
{
    (void)state;
    struct sl_error err;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *good[] = {"fetch.wait.max.ms=3", "client.id=a=b"};
    assert_int_equal(sl_kafka_conf_set_strings(conf, good, 2, &err), 0);
    char buf[64];
    size_t len = sizeof(buf);
    assert_int_equal(rd_kafka_conf_get(conf, "client.id", buf, &len), RD_KAFKA_CONF_OK);
    assert_string_equal(buf, "a=b");
    const char *nokey[] = {"=3"};
    assert_int_equal(sl_kafka_conf_set_strings(conf, nokey, 1, &err), SL_EINVAL);
    const char *noeq[] = {"fetch.wait.max.ms"};
    assert_int_equal(sl_kafka_conf_set_strings(conf, noeq, 1, &err), SL_EINVAL);
    const char *unknown[] = {"no.such.property=1"};
    assert_int_equal(sl_kafka_conf_set_strings(conf, unknown, 1, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "no.such.property"));
    rd_kafka_conf_destroy(conf);

    /* a bad property reaches the user through the source and the sink */
    struct sl_kafka_source_config cfg = {.bootstrap = sl_kmock_bootstrap(),
                                         .topic = "x",
                                         .nworkers = 1,
                                         .props = unknown,
                                         .nprops = 1};
    struct sl_kafka_source *src;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "no.such.property"));
    struct sl_kafka_sink_config scfg = {
        .bootstrap = sl_kmock_bootstrap(), .topic = "x", .props = unknown, .nprops = 1};
    struct sl_kafka_sink *sink;
    assert_int_equal(sl_kafka_sink_new(&scfg, &sink, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "no.such.property"));
}

/* ---- metadata ------------------------------------------------------------------------------- */

static void test_metadata(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("t", 5);
    int32_t n = 0;
    struct sl_error err;
    assert_int_equal(
        sl_kafka_topic_partitions(sl_kmock_bootstrap(), topic, g_quiet, 1, 5000, false, &n, &err),
        0);
    assert_int_equal(n, 5);
    assert_int_equal(sl_kafka_topic_partitions(sl_kmock_bootstrap(), "no-such-topic", g_quiet, 1,
                                               5000, false, &n, &err),
                     SL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "'no-such-topic'"));
    /* asking did not create it */
    assert_int_equal(sl_kafka_topic_partitions(sl_kmock_bootstrap(), "no-such-topic", g_quiet, 1,
                                               5000, false, &n, &err),
                     SL_ENOTFOUND);

    struct sl_kafka_source_config cfg = {
        .bootstrap = sl_kmock_bootstrap(), .topic = "no-such-topic", .nworkers = 1};
    struct sl_kafka_source *src;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "'no-such-topic'"));
    cfg.startup = SL_KAFKA_START_GROUP; /* without a group */
    cfg.topic = topic;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "'properties.group.id'"));
    /* partitions the topic lacks */
    cfg.startup = SL_KAFKA_START_EARLIEST;
    int32_t parts[] = {1, 5};
    cfg.partitions = parts;
    cfg.npartitions = 2;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "no partition 5"));
    struct sl_kafka_sink_config scfg = {.bootstrap = sl_kmock_bootstrap(),
                                        .topic = topic,
                                        .partitioner = SL_KAFKA_PART_FIXED,
                                        .partition = 5};
    struct sl_kafka_sink *sink;
    assert_int_equal(sl_kafka_sink_new(&scfg, &sink, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "no partition 5"));
}

/* ---- source --------------------------------------------------------------------------------- */

/* Every record exactly once, offsets dense per partition from 0, positions exact. */
static void check_all(const struct got *g, size_t n, int first, int count, int32_t nparts,
                      const int64_t *start_off)
{
    assert_int_equal(n, (size_t)count);
    char *seen = calloc((size_t)count, 1);
    int64_t *next = calloc((size_t)nparts, sizeof(*next));
    assert_non_null(seen);
    assert_non_null(next);
    for (int32_t p = 0; p < nparts; p++)
        next[p] = start_off ? start_off[p] : 0;
    for (size_t i = 0; i < n; i++) {
        int k = g[i].index - first;
        assert_true(k >= 0 && k < count);
        assert_false(seen[k]);
        seen[k] = 1;
        char key[16];
        snprintf(key, sizeof(key), "k%d", g[i].index);
        assert_string_equal(g[i].key, key);
        assert_true(g[i].partition >= 0 && g[i].partition < nparts);
        assert_int_equal(g[i].offset, next[g[i].partition]); /* in order, no gaps */
        next[g[i].partition]++;
    }
    free(seen);
    free(next);
}

static void test_earliest_bounded(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("t", 3);
    produce(topic, SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 3000, 0);
    struct sl_kafka_source_config cfg = {
        .topic = topic, .startup = SL_KAFKA_START_EARLIEST, .bounded = true};
    struct sl_kafka_source *src = open_source(&cfg);
    assert_int_equal(sl_kafka_source_npartitions(src), 3);
    for (int32_t p = 0; p < 3; p++)
        assert_int_equal(sl_kafka_source_end_offset(src, p), 1000);
    struct sl_kafka_offset pos[3];
    size_t n;
    assert_int_equal(sl_kafka_source_positions(src, 0, pos, 3, &n), 0);
    assert_int_equal(n, 3);
    for (int32_t p = 0; p < 3; p++) {
        assert_int_equal(pos[p].partition, p);
        assert_int_equal(pos[p].offset, SL_KAFKA_OFFSET_EARLIEST);
    }
    /* records written after the start are beyond the bounded end and never handed out */
    produce(topic, SL_KAFKA_PART_ROUND_ROBIN, 0, 3000, 300, 0);
    struct got *g = calloc(4000, sizeof(*g));
    size_t got = drain(src, 0, -1, g, 4000);
    check_all(g, got, 0, 3000, 3, NULL);
    assert_true(sl_kafka_source_finished(src, 0));
    assert_int_equal(sl_kafka_source_positions(src, 0, pos, 3, &n), 0);
    for (int32_t p = 0; p < 3; p++)
        assert_int_equal(pos[p].offset, 1000);
    assert_int_equal(sl_kafka_source_positions(src, 0, pos, 2, &n), SL_EFULL);
    assert_int_equal(n, 3);
    /* finished stays finished, and quiet */
    struct sl_record r[4];
    struct sl_error err;
    assert_int_equal(sl_kafka_source_poll(src, 0, r, 4, 100, &n, &err), 0);
    assert_int_equal(n, 0);
    sl_kafka_source_free(src);
    free(g);
}

/* Bounded at given end offsets ('scan.bounded.specific-offsets'): one below what the
 * partition holds, one beyond it (the source waits for those records and stops there), one
 * at 0 (done at once); a partition without an end is an error. */
static void test_bounded_given_ends(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("t", 3);
    produce(topic, SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 300, 0); /* 100 per partition */
    struct sl_kafka_offset ends[] = {{2, 0, NULL}, {0, 60, NULL}, {1, 150, NULL}};
    struct sl_kafka_source_config cfg = {.topic = topic,
                                         .startup = SL_KAFKA_START_EARLIEST,
                                         .bounded = true,
                                         .end_offsets = ends,
                                         .nend_offsets = 2};
    struct sl_kafka_source *src;
    struct sl_error err;
    cfg.bootstrap = sl_kmock_bootstrap();
    cfg.nworkers = 1;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "no offset for partition 1"));
    cfg.nend_offsets = 3;
    src = open_source(&cfg);
    assert_int_equal(sl_kafka_source_end_offset(src, 0), 60);
    assert_int_equal(sl_kafka_source_end_offset(src, 1), 150);
    assert_int_equal(sl_kafka_source_end_offset(src, 2), 0);
    struct got *g = calloc(400, sizeof(*g));
    assert_int_equal(drain(src, 0, 160, g, 400), 160); /* 60 + 100: then it waits */
    assert_false(sl_kafka_source_finished(src, 0));
    produce(topic, SL_KAFKA_PART_ROUND_ROBIN, 0, 300, 300, 0);
    size_t got = drain(src, 0, -1, g + 160, 240);
    assert_int_equal(got, 50); /* partition 1's offsets 100..149 */
    size_t per[3] = {0};
    for (size_t i = 0; i < 210; i++) {
        per[g[i].partition]++;
        assert_true(g[i].offset < sl_kafka_source_end_offset(src, g[i].partition));
    }
    assert_int_equal(per[0], 60);
    assert_int_equal(per[1], 150);
    assert_int_equal(per[2], 0);
    sl_kafka_source_free(src);
    /* an end for a partition the topic does not have */
    struct sl_kafka_offset bad[] = {{0, 1, NULL}, {1, 1, NULL}, {2, 1, NULL}, {3, 1, NULL}};
    cfg.end_offsets = bad;
    cfg.nend_offsets = 4;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "partition 3"));
    free(g);
}

static void test_bounded_empty(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("t", 2);
    struct sl_kafka_source_config cfg = {
        .topic = topic, .startup = SL_KAFKA_START_EARLIEST, .bounded = true};
    struct sl_kafka_source *src = open_source(&cfg);
    assert_true(sl_kafka_source_finished(src, 0));
    sl_kafka_source_free(src);
    /* latest on a full topic, bounded: nothing to read either */
    produce(topic, SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 10, 0);
    cfg.startup = SL_KAFKA_START_LATEST;
    src = open_source(&cfg);
    assert_true(sl_kafka_source_finished(src, 0));
    sl_kafka_source_free(src);
}

static void test_latest(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("t", 2);
    produce(topic, SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 100, 0);
    struct sl_kafka_source_config cfg = {.topic = topic, .startup = SL_KAFKA_START_LATEST};
    struct sl_kafka_source *src = open_source(&cfg);
    struct sl_kafka_offset pos[2];
    size_t n;
    /* resolved at start-up: concrete offsets, not "latest" */
    assert_int_equal(sl_kafka_source_positions(src, -1, pos, 2, &n), 0);
    assert_int_equal(pos[0].offset, 50);
    assert_int_equal(pos[1].offset, 50);
    assert_false(sl_kafka_source_finished(src, 0));
    produce(topic, SL_KAFKA_PART_ROUND_ROBIN, 0, 100, 40, 0);
    struct got g[64];
    size_t got = drain(src, 0, 40, g, 64);
    int64_t start[2] = {50, 50};
    check_all(g, got, 100, 40, 2, start);
    assert_int_equal(sl_kafka_source_positions(src, 0, pos, 2, &n), 0);
    assert_int_equal(pos[0].offset, 70);
    assert_int_equal(pos[1].offset, 70);
    sl_kafka_source_free(src);
}

static void test_specific(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("t", 3);
    produce(topic, SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 300, 0); /* 100 per partition */
    struct sl_kafka_offset offs[] = {{0, 40, NULL}, {2, SL_KAFKA_OFFSET_LATEST, NULL}};
    struct sl_kafka_source_config cfg = {.topic = topic,
                                         .startup = SL_KAFKA_START_SPECIFIC,
                                         .offsets = offs,
                                         .noffsets = 2,
                                         .bounded = true};
    struct sl_kafka_source *src = open_source(&cfg);
    struct got g[400];
    size_t got = drain(src, 0, -1, g, 400);
    /* partition 0 from 40 (60 records), partition 1 unlisted: from the earliest (100),
     * partition 2 from its end (none) */
    assert_int_equal(got, 160);
    int64_t next[3] = {40, 0, 100};
    for (size_t i = 0; i < got; i++) {
        assert_int_not_equal(g[i].partition, 2);
        assert_int_equal(g[i].offset, next[g[i].partition]++);
        assert_int_equal(g[i].index % 3, g[i].partition); /* round robin put it there */
    }
    struct sl_kafka_offset pos[3];
    size_t n;
    assert_int_equal(sl_kafka_source_positions(src, 0, pos, 3, &n), 0);
    for (int p = 0; p < 3; p++) {
        assert_int_equal(pos[p].offset, 100);
        assert_string_equal(pos[p].topic, topic);
        pos[p].topic = NULL; /* the source's name, gone with it: NULL is its first topic */
    }
    sl_kafka_source_free(src);

    /* restoring from those positions reads nothing more, bounded; and one more record
     * written after them is exactly what an unbounded restore reads next */
    cfg.offsets = pos;
    cfg.noffsets = 3;
    src = open_source(&cfg);
    assert_true(sl_kafka_source_finished(src, 0));
    sl_kafka_source_free(src);
    produce(topic, SL_KAFKA_PART_FIXED, 1, 1000, 1, 0);
    cfg.bounded = false;
    src = open_source(&cfg);
    got = drain(src, 0, 1, g, 4);
    assert_int_equal(got, 1);
    assert_int_equal(g[0].partition, 1);
    assert_int_equal(g[0].offset, 100);
    assert_int_equal(g[0].index, 1000);
    sl_kafka_source_free(src);

    /* an offset for a partition the source does not read */
    struct sl_kafka_offset bad[] = {{3, 0, NULL}};
    cfg.offsets = bad;
    cfg.noffsets = 1;
    struct sl_error err;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "partition 3"));
}

static void test_two_workers(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("t", 4);
    produce(topic, SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 2000, 0);
    int32_t parts[] = {0, 1, 2, 3};
    int owner[] = {1, 0, 0, 1};
    struct sl_kafka_source_config cfg = {.topic = topic,
                                         .startup = SL_KAFKA_START_EARLIEST,
                                         .bounded = true,
                                         .nworkers = 2,
                                         .partitions = parts,
                                         .partition_worker = owner,
                                         .npartitions = 4};
    struct sl_kafka_source *src = open_source(&cfg);
    struct got *g = calloc(2000, sizeof(*g));
    size_t n0 = drain(src, 0, -1, g, 2000);
    size_t n1 = drain(src, 1, -1, g + n0, 2000 - n0);
    assert_int_equal(n0, 1000);
    assert_int_equal(n1, 1000);
    for (size_t i = 0; i < n0; i++)
        assert_true(g[i].partition == 1 || g[i].partition == 2);
    for (size_t i = n0; i < n0 + n1; i++)
        assert_true(g[i].partition == 0 || g[i].partition == 3);
    check_all(g, n0 + n1, 0, 2000, 4, NULL);
    struct sl_kafka_offset pos[4];
    size_t n;
    assert_int_equal(sl_kafka_source_positions(src, 1, pos, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(pos[0].partition, 0);
    assert_int_equal(pos[1].partition, 3);
    assert_int_equal(pos[0].offset, 500);
    assert_int_equal(pos[1].offset, 500);
    sl_kafka_source_free(src);
    free(g);
}

struct worker_arg {
    struct sl_kafka_source *src;
    int w;
    struct got *g;
    size_t n;
};

static void *worker_main(void *p)
{
    struct worker_arg *a = p;
    a->n = drain(a->src, a->w, -1, a->g, 3000);
    return NULL;
}

/* Two workers polling at once, each on its own thread, as the engine runs them. */
static void test_two_workers_threads(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("t", 6);
    produce(topic, SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 6000, 0);
    struct sl_kafka_source_config cfg = {
        .topic = topic, .startup = SL_KAFKA_START_EARLIEST, .bounded = true, .nworkers = 2};
    struct sl_kafka_source *src = open_source(&cfg);
    struct got *g = calloc(6000, sizeof(*g));
    struct worker_arg a[2] = {{src, 0, g, 0}, {src, 1, g + 3000, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &a[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(a[0].n, 3000);
    assert_int_equal(a[1].n, 3000);
    for (size_t i = 0; i < 3000; i++) {
        assert_int_equal(g[i].partition % 2, 0); /* partition i goes to worker i % 2 */
        assert_int_equal(g[3000 + i].partition % 2, 1);
    }
    check_all(g, 6000, 0, 6000, 6, NULL);
    sl_kafka_source_free(src);
    free(g);
}

/* Kafka's murmur2 (the Java client's Utils.murmur2), written from the algorithm. */
static uint32_t murmur2(const void *key, size_t len)
{
    const uint32_t m = 0x5bd1e995u;
    const unsigned char *p = key;
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    while (len >= 4) {
        uint32_t k =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
        p += 4;
        len -= 4;
    }
    switch (len) {
    case 3:
        h ^= (uint32_t)p[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)p[1] << 8;
        /* fall through */
    case 1:
        h ^= p[0];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

static void test_key_partitioning(void **state)
{
    (void)state;
    /* the reference hashes of librdkafka's and Kafka's own test suites */
    static const struct {
        const char *key;
        uint32_t hash;
    } vec[] = {{"kafka", 0xd067cf64u},
               {"giberish123456789", 0x8f552b0cu},
               {"1234", 0x9fc97b14u},
               {"234", 0xe7c009cau},
               {"34", 0x873930dau},
               {"4", 0x5a4b5ca1u},
               {"PreAmbleWillBeRemoved,ThePrePartThatIs", 0x78424f1cu},
               {"AmbleWillBeRemoved,ThePrePartThatIs", 0x62b8b43fu},
               {"", 0x106e08d9u}};
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
        assert_int_equal(murmur2(vec[i].key, strlen(vec[i].key)), vec[i].hash);

    const int32_t nparts = 7;
    const char *topic = sl_kmock_topic("t", nparts);
    produce(topic, SL_KAFKA_PART_KEY_HASH, 0, 0, 700, 0);
    struct sl_kafka_source_config cfg = {
        .topic = topic, .startup = SL_KAFKA_START_EARLIEST, .bounded = true};
    struct sl_kafka_source *src = open_source(&cfg);
    struct got g[700];
    size_t got = drain(src, 0, -1, g, 700);
    assert_int_equal(got, 700);
    int used[7] = {0};
    for (size_t i = 0; i < got; i++) {
        size_t len = strlen(g[i].key);
        int32_t want = (int32_t)((murmur2(g[i].key, len) & 0x7fffffff) % (uint32_t)nparts);
        assert_int_equal(g[i].partition, want);
        assert_int_equal(rd_kafka_msg_partitioner_murmur2(NULL, g[i].key, len, nparts, NULL, NULL),
                         want);
        used[want] = 1;
    }
    for (int p = 0; p < nparts; p++)
        assert_true(used[p]); /* 700 keys spread over every partition */
    sl_kafka_source_free(src);
}

static void test_offset_out_of_range(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("t", 1);
    /* 8 MiB into one partition: the mock keeps about 5 MiB and drops the oldest */
    produce(topic, SL_KAFKA_PART_FIXED, 0, 0, 8192, 1000);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct sl_error err;
    assert_int_equal(sl_kafka_conf_set(conf, "bootstrap.servers", sl_kmock_bootstrap(), &err), 0);
    char why[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    assert_non_null(rk);
    int64_t lo, hi;
    assert_int_equal(rd_kafka_query_watermark_offsets(rk, topic, 0, &lo, &hi, 5000), 0);
    rd_kafka_destroy(rk);
    assert_int_equal(hi, 8192);
    assert_true(lo > 0); /* it did drop */

    struct sl_kafka_offset offs[] = {{0, 0, NULL}};
    struct sl_kafka_source_config cfg = {.bootstrap = sl_kmock_bootstrap(),
                                         .topic = topic,
                                         .startup = SL_KAFKA_START_SPECIFIC,
                                         .offsets = offs,
                                         .noffsets = 1,
                                         .nworkers = 1};
    struct sl_kafka_source *src = open_source(&cfg);
    struct sl_record r[16];
    size_t n = 0;
    int rc = 0;
    double deadline = now_s() + 20;
    while (rc == 0 && now_s() < deadline) {
        rc = sl_kafka_source_poll(src, 0, r, 16, 100, &n, &err);
        assert_int_equal(n, 0); /* nothing is skipped to */
    }
    assert_int_equal(rc, SL_EKAFKA);
    fprintf(stderr, "expected error: %s\n", err.msg);
    char want[256];
    snprintf(want, sizeof(want), "topic '%s' partition 0", topic);
    assert_non_null(strstr(err.msg, want));
    snprintf(want, sizeof(want), "records at offsets 0..%" PRId64 " were lost", lo - 1);
    assert_non_null(strstr(err.msg, want));
    /* sticky */
    assert_int_equal(sl_kafka_source_poll(src, 0, r, 16, 0, &n, &err), SL_EKAFKA);
    sl_kafka_source_free(src);

    /* unless the table says to skip */
    cfg.offset_reset = "earliest";
    src = open_source(&cfg);
    deadline = now_s() + 20;
    n = 0;
    while (n == 0 && now_s() < deadline) {
        assert_int_equal(sl_kafka_source_poll(src, 0, r, 16, 100, &n, &err), 0);
    }
    assert_true(n > 0);
    assert_int_equal(r[0].offset, lo);
    sl_kafka_source_release(src, 0);
    sl_kafka_source_free(src);
    cfg.offset_reset = "sometimes";
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_EINVAL);
}

static void test_timestamp(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("t", 2);
    struct sl_kafka_source_config cfg = {
        .topic = topic, .startup = SL_KAFKA_START_TIMESTAMP, .timestamp_ms = 1000};
    /* empty partitions: nothing that recent, so start at the (empty) end */
    struct sl_kafka_source *src = open_source(&cfg);
    struct sl_kafka_offset pos[2];
    size_t n;
    assert_int_equal(sl_kafka_source_positions(src, 0, pos, 2, &n), 0);
    assert_int_equal(pos[0].offset, 0);
    sl_kafka_source_free(src);
    /* with records, the mock's non-answer is an error that says so */
    produce(topic, SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 10, 0);
    struct sl_error err;
    cfg.bootstrap = sl_kmock_bootstrap();
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_ENOTSUP);
    fprintf(stderr, "expected error: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "cannot look up offsets by timestamp"));
    cfg.timestamp_ms = -5;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_EINVAL);
}

/* ---- sink ----------------------------------------------------------------------------------- */

/* Whole batches through a producer queue of 50 records: every write fills it, and the
 * records that did not fit are written again, in order, once delivery reports made room -
 * none lost, none twice; round robin carries on across writes (of 1, 7, 64 and 331
 * records); records with timestamps of
 * their own keep them. */
static void test_batch_queue_full(void **state)
{
    (void)state;
    char topic[64], one[64];
    snprintf(topic, sizeof(topic), "%s", sl_kmock_topic("t", 3));
    snprintf(one, sizeof(one), "%s", sl_kmock_topic("t", 1));
    static const char *const small[] = {"queue.buffering.max.messages=50", "linger.ms=1"};
    produce_with(topic, SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 3000, 0, small, 2, -1);
    produce_with(one, SL_KAFKA_PART_FIXED, 0, 0, 500, 0, small, 2, 1000000);
    struct sl_kafka_source_config cfg = {
        .topic = topic, .startup = SL_KAFKA_START_EARLIEST, .bounded = true};
    struct sl_kafka_source *src = open_source(&cfg);
    static struct got g[3000];
    size_t got = drain(src, 0, -1, g, 3000);
    assert_int_equal(got, 3000);
    int next[3] = {0, 1, 2};
    for (size_t i = 0; i < got; i++) {
        int p = g[i].partition;
        assert_int_equal(g[i].index, next[p]); /* each partition in order, no gap, no repeat */
        next[p] += 3;
    }
    for (int p = 0; p < 3; p++)
        assert_int_equal(next[p], 3000 + p);
    sl_kafka_source_free(src);
    struct sl_kafka_source_config c1 = {
        .topic = one, .startup = SL_KAFKA_START_EARLIEST, .bounded = true};
    src = open_source(&c1);
    got = drain(src, 0, -1, g, 3000);
    assert_int_equal(got, 500);
    for (size_t i = 0; i < got; i++) {
        assert_int_equal(g[i].index, (int)i);
        assert_int_equal(g[i].timestamp, 1000000 + (int64_t)i);
    }
    sl_kafka_source_free(src);
}

static void test_delivery_error(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("t", 2);
    struct sl_kafka_sink_config cfg = {.bootstrap = sl_kmock_bootstrap(),
                                       .topic = topic,
                                       .partitioner = SL_KAFKA_PART_FIXED,
                                       .partition = 1,
                                       .props = g_quiet,
                                       .nprops = 1};
    struct sl_error err;
    struct sl_kafka_sink *sink;
    assert_int_equal(sl_kafka_sink_new(&cfg, &sink, &err), 0);
    struct sl_record r = {.key = "k", .key_len = 1, .value = "v", .value_len = 1};
    /* warm up: the producer has its id and its connection */
    assert_int_equal(sl_kafka_sink_write(sink, &r, 1, &err), 0);
    assert_int_equal(sl_kafka_sink_flush(sink, 10000, &err), 0);
    /* the broker rejects the next produce for good */
    rd_kafka_mock_push_request_errors(sl_kafka_mock_cluster(sl_kmock()), 0 /* ApiKey Produce */, 1,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    assert_int_equal(sl_kafka_sink_write(sink, &r, 1, &err), 0);
    int rc = sl_kafka_sink_flush(sink, 10000, &err);
    assert_int_equal(rc, SL_EKAFKA);
    fprintf(stderr, "expected error: %s\n", err.msg);
    char want[128];
    snprintf(want, sizeof(want), "topic '%s' partition 1", topic);
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, "delivery failed"));
    struct sl_kafka_sink_stats st = sl_kafka_sink_stats(sink);
    assert_int_equal(st.produced, 2);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(st.failed, 1);
    /* the error state is sticky: every later call returns it */
    struct sl_error err2;
    assert_int_equal(sl_kafka_sink_write(sink, &r, 1, &err2), SL_EKAFKA);
    assert_string_equal(err2.msg, err.msg);
    assert_int_equal(sl_kafka_sink_poll(sink, &err2), SL_EKAFKA);
    assert_int_equal(sl_kafka_sink_flush(sink, 0, &err2), SL_EKAFKA);
    sl_kafka_sink_free(sink, 1000);
}

static void test_flush_timeout(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("t", 1);
    struct sl_kafka_sink_config cfg = {.bootstrap = sl_kmock_bootstrap(),
                                       .topic = topic,
                                       .partitioner = SL_KAFKA_PART_KEY_HASH,
                                       .props = g_quiet,
                                       .nprops = 1};
    struct sl_error err;
    struct sl_kafka_sink *sink;
    assert_int_equal(sl_kafka_sink_new(&cfg, &sink, &err), 0);
    struct sl_record r = {.value = "v", .value_len = 1};
    assert_int_equal(sl_kafka_sink_write(sink, &r, 1, &err), 0);
    assert_int_equal(sl_kafka_sink_flush(sink, 10000, &err), 0);
    /* a broker that answers slowly: the flush gives up at its deadline, then succeeds */
    rd_kafka_mock_broker_set_rtt(sl_kafka_mock_cluster(sl_kmock()), 1, 1500);
    assert_int_equal(sl_kafka_sink_write(sink, &r, 1, &err), 0);
    assert_int_equal(sl_kafka_sink_flush(sink, 50, &err), SL_ETIMEOUT);
    assert_non_null(strstr(err.msg, "unacknowledged"));
    assert_int_equal(sl_kafka_sink_flush(sink, 20000, &err), 0);
    rd_kafka_mock_broker_set_rtt(sl_kafka_mock_cluster(sl_kmock()), 1, 0);
    struct sl_kafka_sink_stats st = sl_kafka_sink_stats(sink);
    assert_int_equal(st.delivered, 2);
    sl_kafka_sink_free(sink, 1000);
}

static void test_mock_port(void **state)
{
    (void)state;
    /* a fixed port through the forwarder: pick one the kernel says is free */
    struct sl_error err;
    struct sl_kafka_mock *m = NULL;
    int rc = SL_EIO;
    int port = 20000 + (int)(getpid() % 20000);
    for (int tries = 0; rc == SL_EIO && tries < 20; tries++, port++) {
        struct sl_kafka_mock_config mc = {.brokers = 2, .port = port};
        rc = sl_kafka_mock_new(&mc, &m, &err);
        if (rc == 0) {
            char want[32];
            snprintf(want, sizeof(want), "127.0.0.1:%d", port);
            assert_string_equal(sl_kafka_mock_bootstrap(m), want);
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(sl_kafka_mock_topic_create(m, "p", 4, &err), 0);
    assert_int_equal(sl_kafka_mock_topic_create(m, "bad", 0, &err), SL_EINVAL);
    assert_int_equal(sl_kafka_mock_topic_create(m, "p", 2, &err), SL_EKAFKA);
    assert_non_null(strstr(err.msg, "already exists"));
    int32_t n;
    assert_int_equal(sl_kafka_topic_partitions(sl_kafka_mock_bootstrap(m), "p", g_quiet, 1, 5000,
                                               false, &n, &err),
                     0);
    assert_int_equal(n, 4);
    /* the port is taken now */
    struct sl_kafka_mock *m2;
    const char *bs = sl_kafka_mock_bootstrap(m);
    struct sl_kafka_mock_config mc2 = {.port = atoi(strchr(bs, ':') + 1)};
    assert_int_equal(sl_kafka_mock_new(&mc2, &m2, &err), SL_EIO);
    assert_non_null(strstr(err.msg, "cannot listen"));
    sl_kafka_mock_free(m);
}

/* ---- several topics, patterns, discovery -------------------------------------------------- */

/* A record of drain_topics: which topic (index into the test's names), partition, offset. */
struct tgot {
    int topic;
    int32_t partition;
    int64_t offset;
    int worker;
};

/* Polls workers 0 .. nworkers-1 in turn until `want` records came in all, checking that
 * every record's topic is one of names[0 .. nnames-1]; the records into out[]. */
static size_t drain_topics(struct sl_kafka_source *src, int nworkers, size_t want,
                           const char *const *names, int nnames, struct tgot *out, size_t cap)
{
    struct sl_record recs[5];
    size_t total = 0;
    double deadline = now_s() + 30; /* a guard against hanging, not a measurement */
    struct sl_error err;
    while (total < want) {
        assert_true(now_s() < deadline);
        for (int w = 0; w < nworkers; w++) {
            size_t n;
            int rc = sl_kafka_source_poll(src, w, recs, 5, 20, &n, &err);
            if (rc)
                fprintf(stderr, "poll: %s\n", err.msg);
            assert_int_equal(rc, 0);
            for (size_t i = 0; i < n; i++) {
                int t = 0;
                while (t < nnames && strcmp(names[t], recs[i].topic) != 0)
                    t++;
                if (t == nnames)
                    fprintf(stderr, "a record of topic '%s'\n", recs[i].topic);
                assert_true(t < nnames);
                if (total < cap)
                    out[total] = (struct tgot){t, recs[i].partition, recs[i].offset, w};
                total++;
            }
            sl_kafka_source_release(src, w);
        }
    }
    return total;
}

/* Flink's KafkaSourceEnumerator.getSplitOwner, written out independently (Java int math). */
static int flink_owner(const char *topic, int32_t partition, int n)
{
    int64_t h = 0;
    for (const char *c = topic; *c; c++)
        h = (h * 31 + (unsigned char)*c) & 0xFFFFFFFF;
    int64_t start = ((h * 31) & 0x7FFFFFFF) % n;
    return (int)((start + partition) % n);
}

static void test_topic_list(void **state)
{
    (void)state;
    char a[64], b[64];
    snprintf(a, sizeof(a), "%s", sl_kmock_topic("t", 3));
    snprintf(b, sizeof(b), "%s", sl_kmock_topic("t", 2));
    produce(a, SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 30, 0); /* 10 per partition */
    produce(b, SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 20, 0);
    const char *names[] = {a, b};
    struct sl_kafka_source_config cfg = {.topics = names, .ntopics = 2, .nworkers = 2};
    struct sl_kafka_source *src = open_source(&cfg);
    assert_int_equal(sl_kafka_source_ntopics(src), 2);
    assert_int_equal(sl_kafka_source_npartitions(src), 5);
    struct tgot g[64];
    size_t got = drain_topics(src, 2, 50, names, 2, g, 64);
    assert_int_equal(got, 50);
    int64_t next[2][3] = {{0}};
    for (size_t i = 0; i < got; i++) { /* every record once, in order per partition */
        assert_int_equal(g[i].offset, next[g[i].topic][g[i].partition]++);
        assert_int_equal(g[i].worker, flink_owner(names[g[i].topic], g[i].partition, 2));
    }
    /* split ids: distinct per partition of the source */
    int32_t ids[5];
    int k = 0;
    for (int t = 0; t < 2; t++)
        for (int32_t p = 0; p < 3 - t; p++) {
            ids[k] = sl_kafka_source_split(src, names[t], p);
            assert_int_equal(ids[k] & 0xFFFF, p);
            for (int j = 0; j < k; j++)
                assert_int_not_equal(ids[j], ids[k]);
            k++;
        }
    assert_int_equal(sl_kafka_source_split(src, "nope", 0), -1);
    /* the state names each partition's topic */
    struct sl_kafka_part_state st[2][5];
    size_t nst[2];
    for (int w = 0; w < 2; w++) {
        assert_int_equal(sl_kafka_source_state(src, w, st[w], 5, &nst[w]), 0);
        for (size_t i = 0; i < nst[w]; i++) {
            assert_int_equal(st[w][i].next, 10);
            assert_int_equal(flink_owner(st[w][i].topic, st[w][i].partition, 2), w);
            /* the source's name goes with it: the test's own copy from here on */
            st[w][i].topic = names[strcmp(st[w][i].topic, a) == 0 ? 0 : 1];
        }
    }
    assert_int_equal(nst[0] + nst[1], 5);
    sl_kafka_source_free(src);

    /* restored at offset 6 of every partition: exactly offsets 6..9 of each come again */
    src = open_source(&cfg);
    struct sl_kafka_part_state in[5];
    for (int w = 0; w < 2; w++) {
        for (size_t i = 0; i < nst[w]; i++) {
            in[i] = st[w][i];
            in[i].next = 6;
        }
        struct sl_error rerr;
        assert_int_equal(sl_kafka_source_restore(src, w, in, nst[w], &rerr), 0);
    }
    got = drain_topics(src, 2, 20, names, 2, g, 64);
    assert_int_equal(got, 20);
    int64_t next2[2][3] = {{6, 6, 6}, {6, 6, 6}};
    for (size_t i = 0; i < got; i++)
        assert_int_equal(g[i].offset, next2[g[i].topic][g[i].partition]++);
    sl_kafka_source_free(src);

    /* a checkpoint naming a topic the source does not read is refused, naming it */
    src = open_source(&cfg);
    struct sl_error err;
    in[0] = (struct sl_kafka_part_state){.partition = 0, .next = 1, .end = -1, .topic = "gone"};
    assert_int_equal(sl_kafka_source_restore(src, 0, in, 1, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "Kafka topic 'gone' partition 0 is in the checkpoint, but the "
                                    "source does not read that topic now"));
    sl_kafka_source_free(src);

    /* a topic listed twice, one that does not exist */
    const char *twice[] = {a, a};
    cfg.topics = twice;
    cfg.bootstrap = sl_kmock_bootstrap();
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "is listed twice"));
    const char *missing[] = {a, "no-such-topic"};
    cfg.topics = missing;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "'no-such-topic' does not exist"));
}

static void test_topic_pattern(void **state)
{
    (void)state;
    struct sl_error err;
    /* a pattern that does not compile names the position */
    assert_int_equal(sl_kafka_pattern_check("pat-[a", &err), SL_EPARSE);
    assert_non_null(strstr(err.msg, "topic-pattern 'pat-[a': missing terminating ] for character "
                                    "class at character 7"));
    assert_int_equal(sl_kafka_pattern_check("pat-.*", &err), 0);

    struct sl_kafka_mock *m = sl_kmock();
    assert_int_equal(sl_kafka_mock_topic_create(m, "pat-a", 2, &err), 0);
    assert_int_equal(sl_kafka_mock_topic_create(m, "xpat-a", 1, &err), 0); /* whole names */
    assert_int_equal(sl_kafka_mock_topic_create(m, "pat-a-x", 1, &err), 0);
    produce("pat-a", SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 10, 0);
    produce("xpat-a", SL_KAFKA_PART_FIXED, 0, 0, 5, 0);
    produce("pat-a-x", SL_KAFKA_PART_FIXED, 0, 0, 3, 0);

    /* without discovery, a pattern that matches nothing is an error */
    struct sl_kafka_source_config cfg = {
        .topic_pattern = "nothing-[0-9]+", .bootstrap = sl_kmock_bootstrap(), .nworkers = 1};
    struct sl_kafka_source *src = NULL;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "topic-pattern 'nothing-[0-9]+' matches no topic"));

    /* 'pat-a.*' matches pat-a and pat-a-x, not xpat-a; discovery finds pat-a2 created later,
     * from its first record */
    cfg.topic_pattern = "pat-a.*";
    cfg.discovery_interval_ms = 20;
    cfg.nworkers = 2;
    src = open_source(&cfg);
    assert_int_equal(sl_kafka_source_ntopics(src), 2);
    assert_string_equal(sl_kafka_source_topic(src, 0), "pat-a"); /* in name order */
    assert_string_equal(sl_kafka_source_topic(src, 1), "pat-a-x");
    const char *names[] = {"pat-a", "pat-a-x", "pat-a2"};
    struct tgot g[64];
    assert_int_equal(drain_topics(src, 2, 13, names, 2, g, 64), 13);
    assert_int_equal(sl_kafka_source_npartitions(src), 3);
    assert_int_equal(sl_kafka_mock_topic_create(m, "pat-a2", 3, &err), 0);
    produce("pat-a2", SL_KAFKA_PART_ROUND_ROBIN, 0, 0, 9, 0);
    size_t got = drain_topics(src, 2, 9, names, 3, g, 64);
    assert_int_equal(got, 9);
    int64_t next[3] = {0};
    for (size_t i = 0; i < got; i++) {
        assert_int_equal(g[i].topic, 2);
        assert_int_equal(g[i].offset, next[g[i].partition]++);
        assert_int_equal(g[i].worker, flink_owner("pat-a2", g[i].partition, 2));
    }
    assert_int_equal(sl_kafka_source_ntopics(src), 3);
    assert_int_equal(sl_kafka_source_npartitions(src), 6);
    sl_kafka_source_free(src);

    /* with discovery, a pattern that matches nothing waits for its topics (as Flink's) */
    cfg.topic_pattern = "later-.*";
    src = open_source(&cfg);
    assert_int_equal(sl_kafka_source_npartitions(src), 0);
    assert_int_equal(sl_kafka_mock_topic_create(m, "later-1", 1, &err), 0);
    produce("later-1", SL_KAFKA_PART_FIXED, 0, 0, 4, 0);
    const char *later[] = {"later-1"};
    assert_int_equal(drain_topics(src, 2, 4, later, 1, g, 64), 4);
    sl_kafka_source_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_startup_parse),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_earliest_bounded),
        cmocka_unit_test(test_bounded_given_ends),
        cmocka_unit_test(test_bounded_empty),
        cmocka_unit_test(test_latest),
        cmocka_unit_test(test_specific),
        cmocka_unit_test(test_two_workers),
        cmocka_unit_test(test_two_workers_threads),
        cmocka_unit_test(test_key_partitioning),
        cmocka_unit_test(test_offset_out_of_range),
        cmocka_unit_test(test_timestamp),
        cmocka_unit_test(test_batch_queue_full),
        cmocka_unit_test(test_delivery_error),
        cmocka_unit_test(test_flush_timeout),
        cmocka_unit_test(test_mock_port),
        cmocka_unit_test(test_topic_list),
        cmocka_unit_test(test_topic_pattern),
    };
    return cmocka_run_group_tests(tests, sl_kmock_setup, sl_kmock_teardown);
}
