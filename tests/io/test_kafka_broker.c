/*
 * tests/io/test_kafka_broker.c - the Kafka source and sink against a real Apache Kafka broker
 * (3.9, ZooKeeper mode, through tests/util/kafkabroker.h and tools/kafka.sh): what
 * librdkafka's mock cannot tell the truth about. One broker for the whole program, a fresh
 * topic per test. Without a broker the program FAILS (it does not skip).
 *
 *   retention and deleted offsets   a start or restored offset the broker deleted is an
 *                                   error naming topic, partition and the lost offsets;
 *                                   'auto.offset.reset' = earliest skips to the log start
 *   timestamp start                 ListOffsets by time on a real broker
 *   topics                          a source never creates a topic; a sink's topic is
 *                                   created by the broker (auto.create.topics.enable),
 *                                   also `sluice gen --topic`'s
 *   group offsets                   'scan.startup.mode' = 'group-offsets'
 *   transactions                    the source reads committed records only
 *   compaction                      a compacted topic read from the start
 *   broker restart / unreachable    a running source keeps going, nothing lost or repeated
 *   many partitions                 64 partitions over 4 workers
 */
#include "tests/util/testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/error.h"
#include "io/kafka_sink.h"
#include "io/kafka_source.h"
#include "tests/util/kafkabroker.h"
#include "tools/cmd_gen.h"

static const char *const g_quiet[] = {"log_level=0"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define CHECK(call)                                        \
    do {                                                   \
        struct sl_error cerr_;                             \
        int crc_ = (call);                                 \
        if (crc_)                                          \
            fprintf(stderr, "%s: %s\n", #call, cerr_.msg); \
        assert_int_equal(crc_, 0);                         \
    } while (0)
#define ERR (&cerr_)

static const char *new_topic(const char *prefix, int partitions, const char *const *configs,
                             size_t nconfigs)
{
    const char *t = sl_kbroker_topic_name(prefix);
    CHECK(sl_kbroker_create_topic(sl_kbroker_group(), t, partitions, configs, nconfigs, ERR));
    return t;
}

/* Produces "v<i>" (key "k<i % nkeys>", or no key when nkeys == 0) for i in [first, first + n)
 * to partition i % nparts (nparts < 0: the key picks), timestamp ts0 + i * 10 (ts0 <= 0:
 * now). */
static void produce(const char *topic, int first, int n, int nparts, int nkeys, int64_t ts0)
{
    struct sl_kbroker_rec *recs = calloc((size_t)n, sizeof(*recs));
    char(*keys)[16] = calloc((size_t)n, sizeof(*keys));
    char(*vals)[16] = calloc((size_t)n, sizeof(*vals));
    assert_true(recs && keys && vals);
    for (int j = 0; j < n; j++) {
        int i = first + j;
        snprintf(keys[j], sizeof(keys[j]), "k%d", nkeys ? i % nkeys : 0);
        snprintf(vals[j], sizeof(vals[j]), "v%d", i);
        recs[j] = (struct sl_kbroker_rec){.partition = nparts > 0 ? i % nparts : -1,
                                          .key = nkeys ? keys[j] : NULL,
                                          .value = vals[j],
                                          .timestamp = ts0 > 0 ? ts0 + (int64_t)i * 10 : 0};
    }
    CHECK(sl_kbroker_produce(sl_kbroker_group(), topic, recs, (size_t)n, ERR));
    free(recs);
    free(keys);
    free(vals);
}

struct got {
    int32_t partition;
    int64_t offset;
    int index; /* i of "v<i>" */
};

static int got_cmp(const void *a, const void *b)
{
    const struct got *x = a, *y = b;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/*
 * Polls worker w until `want` records came (want >= 0) or the worker finished (want < 0);
 * fails the test after 60 s or on an error. Appends to out[*n ..] (at most cap). Returns how
 * many came.
 */
static size_t drain(struct sl_kafka_source *src, int w, long want, struct got *out, size_t cap,
                    size_t *n)
{
    struct sl_record recs[97];
    size_t total = 0;
    double deadline = now_s() + 60;
    struct sl_error err;
    for (;;) {
        if (want < 0 && sl_kafka_source_finished(src, w))
            break;
        if (want >= 0 && total >= (size_t)want)
            break;
        assert_true(now_s() < deadline);
        size_t k;
        int rc = sl_kafka_source_poll(src, w, recs, 97, 50, &k, &err);
        if (rc)
            fprintf(stderr, "poll: %s\n", err.msg);
        assert_int_equal(rc, 0);
        for (size_t i = 0; i < k; i++) {
            assert_true(recs[i].value_len >= 2);
            assert_memory_equal(recs[i].value, "v", 1);
            if (*n < cap)
                out[(*n)++] = (struct got){recs[i].partition, recs[i].offset,
                                           atoi((const char *)recs[i].value + 1)};
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
    cfg->bootstrap = sl_kbroker_group_bootstrap();
    if (cfg->nworkers == 0)
        cfg->nworkers = 1;
    int rc = sl_kafka_source_new(cfg, &src, &err);
    if (rc)
        fprintf(stderr, "source: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return src;
}

/* Polls worker 0 until it fails (60 s at most); no record may come before. Returns the
 * error code, the message in *err. */
static int poll_until_error(struct sl_kafka_source *src, struct sl_error *err)
{
    struct sl_record r[16];
    size_t n = 0;
    int rc = 0;
    double deadline = now_s() + 60;
    while (rc == 0 && now_s() < deadline) {
        rc = sl_kafka_source_poll(src, 0, r, 16, 100, &n, err);
        assert_int_equal(n, 0);
    }
    return rc;
}

/* ---- a first round trip --------------------------------------------------------------------- */

static void test_roundtrip(void **state)
{
    (void)state;
    const char *topic = new_topic("rt", 4, NULL, 0);
    produce(topic, 0, 1000, 4, 0, 0);
    struct sl_kafka_source_config cfg = {.topic = topic, .bounded = true, .nworkers = 2};
    struct sl_kafka_source *src = open_source(&cfg);
    struct got got[1000];
    size_t n = 0;
    drain(src, 0, -1, got, 1000, &n);
    drain(src, 1, -1, got, 1000, &n);
    assert_int_equal(n, 1000);
    qsort(got, n, sizeof(*got), got_cmp);
    for (size_t i = 0; i < n; i++) { /* partition p holds v(p), v(p+4), ... at 0, 1, ... */
        assert_int_equal(got[i].index, (int)(got[i].partition + 4 * got[i].offset));
    }
    sl_kafka_source_free(src);
    /* the independent reader sees the same */
    struct sl_kbroker_msg *m;
    size_t nm;
    CHECK(sl_kbroker_consume(sl_kbroker_group(), topic, &m, &nm, ERR));
    assert_int_equal(nm, 1000);
    sl_kbroker_msgs_free(m, nm);
}

/* ---- deleted offsets, retention ------------------------------------------------------------- */

static void test_deleted_offset(void **state)
{
    (void)state;
    const char *topic = new_topic("del", 1, NULL, 0);
    produce(topic, 0, 100, 1, 0, 0);
    CHECK(sl_kbroker_delete_records(sl_kbroker_group(), topic, 0, 40, ERR));
    int64_t lo, hi;
    CHECK(sl_kbroker_watermarks(sl_kbroker_group(), topic, 0, &lo, &hi, ERR));
    assert_int_equal(lo, 40);
    assert_int_equal(hi, 100);

    /* a specific start offset the broker deleted: an error naming what was lost */
    struct sl_kafka_offset offs[] = {{0, 10, NULL}};
    struct sl_kafka_source_config cfg = {
        .topic = topic, .startup = SL_KAFKA_START_SPECIFIC, .offsets = offs, .noffsets = 1};
    struct sl_kafka_source *src = open_source(&cfg);
    struct sl_error err;
    assert_int_equal(poll_until_error(src, &err), SL_EKAFKA);
    fprintf(stderr, "expected error: %s\n", err.msg);
    char want[256];
    snprintf(want, sizeof(want),
             "topic '%s' partition 0: offset 10 is out of range: the broker now keeps offsets "
             "40..99, so the 30 records at offsets 10..39 were lost",
             topic);
    assert_non_null(strstr(err.msg, want));
    sl_kafka_source_free(src);

    /* a restored checkpoint offset the broker deleted: the same */
    cfg = (struct sl_kafka_source_config){.topic = topic};
    src = open_source(&cfg);
    struct sl_kafka_part_state st = {.partition = 0, .next = 25, .end = -1};
    assert_int_equal(sl_kafka_source_restore(src, 0, &st, 1, &err), 0);
    assert_int_equal(poll_until_error(src, &err), SL_EKAFKA);
    assert_non_null(strstr(err.msg, "offset 25 is out of range"));
    assert_non_null(strstr(err.msg, "the 15 records at offsets 25..39 were lost"));
    sl_kafka_source_free(src);

    /* 'auto.offset.reset' = 'earliest' skips to the log start, as the table asked */
    cfg = (struct sl_kafka_source_config){.topic = topic,
                                          .startup = SL_KAFKA_START_SPECIFIC,
                                          .offsets = offs,
                                          .noffsets = 1,
                                          .offset_reset = "earliest",
                                          .bounded = true};
    src = open_source(&cfg);
    struct got got[100];
    size_t n = 0;
    drain(src, 0, -1, got, 100, &n);
    assert_int_equal(n, 60);
    assert_int_equal(got[0].offset, 40);
    assert_int_equal(got[0].index, 40);
    sl_kafka_source_free(src);

    /* earliest-offset starts at the log start, no error */
    cfg = (struct sl_kafka_source_config){.topic = topic, .bounded = true};
    src = open_source(&cfg);
    n = 0;
    drain(src, 0, -1, got, 100, &n);
    assert_int_equal(n, 60);
    assert_int_equal(got[0].offset, 40);
    sl_kafka_source_free(src);
}

/* Time-based retention by the broker itself: segments of about 1 KiB, 1 KiB kept. */
static void test_retention(void **state)
{
    (void)state;
    static const char *const cfgs[] = {"segment.bytes=1024", "retention.bytes=1024",
                                       "segment.ms=100"};
    const char *topic = new_topic("ret", 1, cfgs, 3);
    for (int i = 0; i < 20; i++) /* 20 batches: several segments */
        produce(topic, i * 20, 20, 1, 0, 0);
    int64_t lo = 0, hi = 0;
    double deadline = now_s() + 60;
    while (lo == 0) { /* the broker checks retention every second (tools/kafka.sh) */
        assert_true(now_s() < deadline);
        usleep(200 * 1000);
        CHECK(sl_kbroker_watermarks(sl_kbroker_group(), topic, 0, &lo, &hi, ERR));
    }
    assert_int_equal(hi, 400);
    fprintf(stderr, "retention kept offsets %" PRId64 "..%" PRId64 "\n", lo, hi - 1);
    /* a job restored at offset 0 has lost records: it says which */
    struct sl_kafka_source_config cfg = {.topic = topic};
    struct sl_kafka_source *src = open_source(&cfg);
    struct sl_kafka_part_state st = {.partition = 0, .next = 0, .end = -1};
    struct sl_error err;
    assert_int_equal(sl_kafka_source_restore(src, 0, &st, 1, &err), 0);
    assert_int_equal(poll_until_error(src, &err), SL_EKAFKA);
    fprintf(stderr, "expected error: %s\n", err.msg);
    char want[128];
    snprintf(want, sizeof(want), "topic '%s' partition 0: offset 0 is out of range", topic);
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, "were lost"));
    sl_kafka_source_free(src);
}

/* ---- start-up by timestamp ------------------------------------------------------------------ */

static void test_timestamp(void **state)
{
    (void)state;
    const char *topic = new_topic("ts", 2, NULL, 0);
    const int64_t ts0 = 1700000000000;
    produce(topic, 0, 100, 2, 0, ts0); /* v<i> at ts0 + 10 i in partition i % 2 */
    /* ts0 is years ago: a broker that kept records by time (Kafka's default, 7 days) would
     * delete them at its next retention check, every second in tools/kafka.sh - wait for
     * one, so that such a broker fails this test every time, not now and then */
    sleep(2);
    /* from ts0 + 505: i >= 51 -> partition 1 from i = 51 (offset 25), 0 from i = 52 (26) */
    struct sl_kafka_source_config cfg = {.topic = topic,
                                         .startup = SL_KAFKA_START_TIMESTAMP,
                                         .timestamp_ms = ts0 + 505,
                                         .bounded = true};
    struct sl_kafka_source *src = open_source(&cfg);
    struct sl_kafka_offset pos[2];
    size_t np;
    assert_int_equal(sl_kafka_source_positions(src, 0, pos, 2, &np), 0);
    assert_int_equal(np, 2);
    assert_int_equal(pos[0].offset, 26);
    assert_int_equal(pos[1].offset, 25);
    struct got got[100];
    size_t n = 0;
    drain(src, 0, -1, got, 100, &n);
    assert_int_equal(n, 49);
    qsort(got, n, sizeof(*got), got_cmp);
    for (size_t i = 0; i < n; i++)
        assert_true(got[i].index >= 51);
    sl_kafka_source_free(src);
    /* a timestamp exactly on a record includes it; one later than every record starts at
     * the end (Flink: the partition's latest offset) */
    cfg.timestamp_ms = ts0 + 500;
    src = open_source(&cfg);
    assert_int_equal(sl_kafka_source_positions(src, 0, pos, 2, &np), 0);
    assert_int_equal(pos[0].offset, 25);
    assert_int_equal(pos[1].offset, 25);
    sl_kafka_source_free(src);
    cfg.timestamp_ms = ts0 + 100000;
    src = open_source(&cfg);
    assert_int_equal(sl_kafka_source_positions(src, 0, pos, 2, &np), 0);
    assert_int_equal(pos[0].offset, 50);
    assert_int_equal(pos[1].offset, 50);
    sl_kafka_source_free(src);
}

/* ---- topics --------------------------------------------------------------------------------- */

static void test_missing_topic(void **state)
{
    (void)state;
    const char *t = sl_kbroker_topic_name("missing");
    char topic[128];
    snprintf(topic, sizeof(topic), "%s", t);
    struct sl_kafka_source_config cfg = {
        .bootstrap = sl_kbroker_group_bootstrap(), .topic = topic, .nworkers = 1};
    struct sl_kafka_source *src;
    struct sl_error err;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_ENOTFOUND);
    fprintf(stderr, "expected error: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "does not exist"));
    /* and the source did not create it */
    bool exists = true;
    CHECK(sl_kbroker_topic_exists(sl_kbroker_group(), topic, &exists, NULL, ERR));
    assert_false(exists);

    /* a sink's topic is created by the broker (auto.create.topics.enable, num.partitions 4),
     * whatever the partitioner, as Flink's producer has it */
    static const enum sl_kafka_partitioner parts[] = {
        SL_KAFKA_PART_KEY_HASH, SL_KAFKA_PART_ROUND_ROBIN, SL_KAFKA_PART_FIXED};
    for (size_t k = 0; k < 3; k++) {
        snprintf(topic, sizeof(topic), "%s", sl_kbroker_topic_name("created"));
        struct sl_kafka_sink_config sc = {.bootstrap = sl_kbroker_group_bootstrap(),
                                          .topic = topic,
                                          .partitioner = parts[k],
                                          .partition = 1,
                                          .props = g_quiet,
                                          .nprops = 1};
        struct sl_kafka_sink *sink;
        int rc = sl_kafka_sink_new(&sc, &sink, &err);
        if (rc)
            fprintf(stderr, "sink (partitioner %d): %s\n", (int)parts[k], err.msg);
        assert_int_equal(rc, 0);
        for (int i = 0; i < 40; i++) {
            char key[16], val[16];
            snprintf(key, sizeof(key), "k%d", i);
            snprintf(val, sizeof(val), "v%d", i);
            struct sl_record r = {
                .key = key, .key_len = strlen(key), .value = val, .value_len = strlen(val)};
            assert_int_equal(sl_kafka_sink_write(sink, &r, 1, &err), 0);
        }
        rc = sl_kafka_sink_flush(sink, 30000, &err);
        if (rc)
            fprintf(stderr, "flush: %s\n", err.msg);
        assert_int_equal(rc, 0);
        sl_kafka_sink_free(sink, 1000);
        int32_t np = 0;
        CHECK(sl_kbroker_topic_exists(sl_kbroker_group(), topic, &exists, &np, ERR));
        assert_true(exists);
        assert_int_equal(np, 4);
        struct sl_kbroker_msg *m;
        size_t nm;
        CHECK(sl_kbroker_consume(sl_kbroker_group(), topic, &m, &nm, ERR));
        assert_int_equal(nm, 40);
        for (size_t i = 0; parts[k] == SL_KAFKA_PART_FIXED && i < nm; i++)
            assert_int_equal(m[i].partition, 1);
        sl_kbroker_msgs_free(m, nm);
    }
}

/* `sluice gen nexmark --topic T` into a topic nobody created: the broker creates it on the
 * generator's first request that names it (its sink asks for the topic by name and waits while
 * the broker creates it); every event arrives, round robin over the broker's 4 partitions. */
static void test_gen_topic(void **state)
{
    (void)state;
    char topic[128];
    snprintf(topic, sizeof(topic), "%s", sl_kbroker_topic_name("gen"));
    bool exists = true;
    CHECK(sl_kbroker_topic_exists(sl_kbroker_group(), topic, &exists, NULL, ERR));
    assert_false(exists);
    const char *argv[] = {"gen",        "nexmark",    "--events",  "1000",
                          "--topic",    topic,        "--brokers", sl_kbroker_group_bootstrap(),
                          "--property", "log_level=0"};
    assert_int_equal(sl_cmd_gen((int)(sizeof(argv) / sizeof(argv[0])), (char **)argv), 0);
    int32_t np = 0;
    CHECK(sl_kbroker_topic_exists(sl_kbroker_group(), topic, &exists, &np, ERR));
    assert_true(exists);
    assert_int_equal(np, 4);
    struct sl_kbroker_msg *m;
    size_t nm;
    CHECK(sl_kbroker_consume(sl_kbroker_group(), topic, &m, &nm, ERR));
    assert_int_equal(nm, 1000);
    size_t per[4] = {0};
    for (size_t i = 0; i < nm; i++)
        per[m[i].partition]++;
    for (int p = 0; p < 4; p++)
        assert_int_equal(per[p], 250);
    sl_kbroker_msgs_free(m, nm);
}

/* ---- consumer-group offsets ----------------------------------------------------------------- */

static void test_group_offsets(void **state)
{
    (void)state;
    const char *topic = new_topic("grp", 3, NULL, 0);
    produce(topic, 0, 300, 3, 0, 0); /* 100 per partition */
    char group[64];
    snprintf(group, sizeof(group), "g-%s", topic);
    CHECK(sl_kbroker_commit_offset(sl_kbroker_group(), group, topic, 0, 10, ERR));
    CHECK(sl_kbroker_commit_offset(sl_kbroker_group(), group, topic, 1, 95, ERR));
    /* partition 2: no committed offset -> an error naming it, unless auto.offset.reset */
    struct sl_kafka_source_config cfg = {.bootstrap = sl_kbroker_group_bootstrap(),
                                         .topic = topic,
                                         .startup = SL_KAFKA_START_GROUP,
                                         .group_id = group,
                                         .bounded = true,
                                         .nworkers = 1};
    struct sl_kafka_source *src;
    struct sl_error err;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_ENOTFOUND);
    fprintf(stderr, "expected error: %s\n", err.msg);
    char want[160];
    snprintf(want, sizeof(want), "partition 2: consumer group '%s' has no committed offset", group);
    assert_non_null(strstr(err.msg, want));
    cfg.group_id = NULL;
    assert_int_equal(sl_kafka_source_new(&cfg, &src, &err), SL_EINVAL);
    cfg.group_id = group;
    cfg.offset_reset = "latest";
    src = open_source(&cfg);
    struct sl_kafka_offset pos[3];
    size_t np;
    assert_int_equal(sl_kafka_source_positions(src, 0, pos, 3, &np), 0);
    assert_int_equal(pos[0].offset, 10);
    assert_int_equal(pos[1].offset, 95);
    assert_int_equal(pos[2].offset, 100);
    struct got got[300];
    size_t n = 0;
    drain(src, 0, -1, got, 300, &n);
    assert_int_equal(n, 90 + 5);
    sl_kafka_source_free(src);
    cfg.offset_reset = "earliest";
    src = open_source(&cfg);
    n = 0;
    drain(src, 0, -1, got, 300, &n);
    assert_int_equal(n, 90 + 5 + 100);
    sl_kafka_source_free(src);
    /* the source only reads the group's offsets: it commits nothing */
    int64_t off;
    CHECK(sl_kbroker_committed_offset(sl_kbroker_group(), group, topic, 0, &off, ERR));
    assert_int_equal(off, 10);
}

/* ---- transactions --------------------------------------------------------------------------- */

static void test_read_committed(void **state)
{
    (void)state;
    const char *topic = new_topic("txn", 2, NULL, 0);
    char tid[64];
    snprintf(tid, sizeof(tid), "tid-%s", topic);
    /* committed, aborted, committed, aborted again (the last thing in the log is an abort
     * marker) */
    for (int round = 0; round < 4; round++) {
        struct sl_kbroker_rec recs[20];
        char vals[20][16];
        for (int i = 0; i < 20; i++) {
            int idx = round * 100 + i;
            snprintf(vals[i], sizeof(vals[i]), "v%d", idx);
            recs[i] = (struct sl_kbroker_rec){.partition = i % 2, .value = vals[i]};
        }
        CHECK(
            sl_kbroker_produce_txn(sl_kbroker_group(), topic, tid, recs, 20, round % 2 == 0, ERR));
    }
    /* the source as a table has it (librdkafka's default isolation, read_committed, which is
     * Flink's default too): only the 40 committed records, and a bounded read ends although
     * the log goes on with aborted records and markers */
    struct sl_kafka_source_config cfg = {.topic = topic, .bounded = true, .nworkers = 2};
    struct sl_kafka_source *src = open_source(&cfg);
    struct got got[100];
    size_t n = 0;
    drain(src, 0, -1, got, 100, &n);
    drain(src, 1, -1, got, 100, &n);
    assert_int_equal(n, 40);
    for (size_t i = 0; i < n; i++)
        assert_true(got[i].index < 20 || (got[i].index >= 200 && got[i].index < 220));
    /* its positions are past the markers: a restore there reads nothing again */
    struct sl_kafka_part_state st[2];
    size_t ns;
    assert_int_equal(sl_kafka_source_state(src, 0, st, 2, &ns), 0);
    assert_int_equal(ns, 1);
    int64_t lo, hi;
    CHECK(sl_kbroker_watermarks(sl_kbroker_group(), topic, st[0].partition, &lo, &hi, ERR));
    assert_int_equal(st[0].next, hi);
    sl_kafka_source_free(src);
    /* read_uncommitted, asked for explicitly, sees the aborted ones too */
    static const char *const uncommitted[] = {"isolation.level=read_uncommitted"};
    cfg = (struct sl_kafka_source_config){
        .topic = topic, .bounded = true, .props = uncommitted, .nprops = 1};
    src = open_source(&cfg);
    n = 0;
    drain(src, 0, -1, got, 100, &n);
    assert_int_equal(n, 80);
    sl_kafka_source_free(src);
}

/* ---- compaction ----------------------------------------------------------------------------- */

static void test_compaction(void **state)
{
    (void)state;
    static const char *const cfgs[] = {"cleanup.policy=compact", "segment.bytes=1024",
                                       "min.cleanable.dirty.ratio=0.01", "delete.retention.ms=0",
                                       "segment.ms=100"};
    const char *topic = new_topic("cmp", 1, cfgs, 5);
    for (int i = 0; i < 20; i++) /* 10 keys, 40 versions each, in 20 batches */
        produce(topic, i * 20, 20, 1, 10, 0);
    /* wait for the cleaner: fewer records than written (the broker checks every 0.5 s) */
    struct sl_kbroker_msg *m = NULL;
    size_t nm = 400;
    double deadline = now_s() + 60;
    while (nm >= 400) {
        assert_true(now_s() < deadline);
        sl_kbroker_msgs_free(m, nm == 400 ? 0 : nm);
        usleep(300 * 1000);
        CHECK(sl_kbroker_consume(sl_kbroker_group(), topic, &m, &nm, ERR));
        if (nm >= 400) {
            sl_kbroker_msgs_free(m, nm);
            m = NULL;
        }
    }
    fprintf(stderr, "compacted: %zu of 400 records left\n", nm);
    /* the source reads from the start exactly what the independent reader reads: the same
     * offsets (with the gaps compaction left), the latest value of every key among them */
    struct sl_kafka_source_config cfg = {.topic = topic, .bounded = true};
    struct sl_kafka_source *src = open_source(&cfg);
    struct got *got = calloc(400, sizeof(*got));
    assert_non_null(got);
    size_t n = 0;
    drain(src, 0, -1, got, 400, &n);
    sl_kafka_source_free(src);
    assert_true(n > 0 && n <= nm); /* the cleaner may have gone on since: never more */
    bool last[10] = {false};
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            assert_true(got[i].offset > got[i - 1].offset);
        if (got[i].index >= 390)
            last[got[i].index % 10] = true;
    }
    for (int k = 0; k < 10; k++)
        assert_true(last[k]); /* v390..v399: each key's latest value */
    /* every record the source read is the one the independent reader read at its offset */
    size_t i = 0;
    for (size_t j = 0; j < n; j++) {
        while (i < nm && m[i].offset < got[j].offset)
            i++;
        assert_true(i < nm && m[i].offset == got[j].offset);
        assert_int_equal(atoi(m[i].value + 1), got[j].index);
    }
    free(got);
    sl_kbroker_msgs_free(m, nm);
}

/* ---- the broker goes away ------------------------------------------------------------------- */

/* Checks got[0..n-1] holds v<first>..v<first+count-1> of a topic written i % nparts, each
 * once, in offset order per partition. */
static void check_exact(struct got *got, size_t n, int first, int count, int nparts)
{
    assert_int_equal(n, (size_t)count);
    qsort(got, n, sizeof(*got), got_cmp);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(got[i].index, (int)(got[i].partition + nparts * got[i].offset));
        assert_true(got[i].index >= first && got[i].index < first + count);
        if (i > 0 && got[i].partition == got[i - 1].partition)
            assert_int_equal(got[i].offset, got[i - 1].offset + 1);
    }
}

static void write_sink(struct sl_kafka_sink *sink, int first, int n)
{
    struct sl_error err;
    for (int i = first; i < first + n; i++) {
        char val[16];
        snprintf(val, sizeof(val), "v%d", i);
        struct sl_record r = {.value = val, .value_len = strlen(val)};
        int rc = sl_kafka_sink_write(sink, &r, 1, &err);
        if (rc)
            fprintf(stderr, "write: %s\n", err.msg);
        assert_int_equal(rc, 0);
    }
}

/*
 * A running source and sink while the broker is stopped for a few seconds and started again
 * (same port, same data): neither reports an error meanwhile, the source hands out nothing
 * while the broker is away, the sink's records written meanwhile are delivered once it is
 * back, and the source then reads every record once, in order, nothing lost or repeated.
 */
static void test_broker_restart(void **state)
{
    (void)state;
    const char *topic = new_topic("restart", 2, NULL, 0);
    struct sl_kafka_sink_config sc = {.bootstrap = sl_kbroker_group_bootstrap(),
                                      .topic = topic,
                                      .partitioner = SL_KAFKA_PART_ROUND_ROBIN,
                                      .props = g_quiet,
                                      .nprops = 1};
    struct sl_kafka_sink *sink;
    struct sl_error err;
    assert_int_equal(sl_kafka_sink_new(&sc, &sink, &err), 0);
    write_sink(sink, 0, 200);
    assert_int_equal(sl_kafka_sink_flush(sink, 30000, &err), 0);
    static const char *const quiet[] = {"log_level=0"};
    struct sl_kafka_source_config cfg = {.topic = topic, .props = quiet, .nprops = 1};
    struct sl_kafka_source *src = open_source(&cfg);
    struct got got[400];
    size_t n = 0;
    drain(src, 0, 200, got, 400, &n);
    check_exact(got, n, 0, 200, 2);

    CHECK(sl_kbroker_down(sl_kbroker_group(), ERR));
    write_sink(sink, 200, 200); /* buffered by the producer */
    double until = now_s() + 3;
    while (now_s() < until) { /* the broker is away: no records, no error */
        struct sl_record r[16];
        size_t k;
        int rc = sl_kafka_source_poll(src, 0, r, 16, 100, &k, &err);
        if (rc)
            fprintf(stderr, "poll while the broker is down: %s\n", err.msg);
        assert_int_equal(rc, 0);
        assert_int_equal(k, 0);
        assert_int_equal(sl_kafka_sink_poll(sink, &err), 0);
    }
    CHECK(sl_kbroker_up(sl_kbroker_group(), ERR));
    int rc = sl_kafka_sink_flush(sink, 60000, &err);
    if (rc)
        fprintf(stderr, "flush after the restart: %s\n", err.msg);
    assert_int_equal(rc, 0);
    struct sl_kafka_sink_stats ss = sl_kafka_sink_stats(sink);
    assert_int_equal(ss.delivered, 400);
    assert_int_equal(ss.failed, 0);
    sl_kafka_sink_free(sink, 1000);
    n = 0;
    drain(src, 0, 200, got, 400, &n);
    check_exact(got, n, 200, 200, 2);
    /* nothing more comes */
    struct sl_record r[16];
    size_t k;
    assert_int_equal(sl_kafka_source_poll(src, 0, r, 16, 500, &k, &err), 0);
    assert_int_equal(k, 0);
    sl_kafka_source_free(src);
    struct sl_kbroker_msg *m;
    size_t nm;
    CHECK(sl_kbroker_consume(sl_kbroker_group(), topic, &m, &nm, ERR));
    assert_int_equal(nm, 400); /* the idempotent producer wrote nothing twice */
    sl_kbroker_msgs_free(m, nm);
}

/* ---- many partitions ------------------------------------------------------------------------ */

static void test_many_partitions(void **state)
{
    (void)state;
    const char *topic = new_topic("many", 64, NULL, 0);
    produce(topic, 0, 6400, 64, 0, 0);
    struct sl_kafka_source_config cfg = {.topic = topic, .bounded = true, .nworkers = 4};
    struct sl_kafka_source *src = open_source(&cfg);
    struct got *got = calloc(6400, sizeof(*got));
    assert_non_null(got);
    size_t n = 0;
    for (int w = 0; w < 4; w++) {
        size_t before = n;
        drain(src, w, -1, got, 6400, &n);
        for (size_t i = before; i < n; i++)
            assert_int_equal(got[i].partition % 4, w); /* partition p -> worker p % 4 */
    }
    check_exact(got, n, 0, 6400, 64);
    sl_kafka_source_free(src);
    /* a round-robin sink spreads over all 64 */
    char out[128];
    snprintf(out, sizeof(out), "%s", sl_kbroker_topic_name("many-out"));
    CHECK(sl_kbroker_create_topic(sl_kbroker_group(), out, 64, NULL, 0, ERR));
    struct sl_kafka_sink_config sc = {.bootstrap = sl_kbroker_group_bootstrap(),
                                      .topic = out,
                                      .partitioner = SL_KAFKA_PART_ROUND_ROBIN};
    struct sl_kafka_sink *sink;
    struct sl_error err;
    assert_int_equal(sl_kafka_sink_new(&sc, &sink, &err), 0);
    write_sink(sink, 0, 640);
    assert_int_equal(sl_kafka_sink_flush(sink, 30000, &err), 0);
    sl_kafka_sink_free(sink, 1000);
    for (int32_t p = 0; p < 64; p++) {
        int64_t lo, hi;
        CHECK(sl_kbroker_watermarks(sl_kbroker_group(), out, p, &lo, &hi, ERR));
        assert_int_equal(hi, 10);
    }
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),       cmocka_unit_test(test_deleted_offset),
        cmocka_unit_test(test_retention),       cmocka_unit_test(test_timestamp),
        cmocka_unit_test(test_missing_topic),   cmocka_unit_test(test_gen_topic),
        cmocka_unit_test(test_group_offsets),   cmocka_unit_test(test_read_committed),
        cmocka_unit_test(test_compaction),      cmocka_unit_test(test_broker_restart),
        cmocka_unit_test(test_many_partitions),
    };
    return cmocka_run_group_tests(tests, sl_kbroker_group_setup, sl_kbroker_group_teardown);
}
