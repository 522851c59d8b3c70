/*
 * bench/kafka.c - Kafka produce and consume throughput through the in-process mock cluster
 * (io/kafka_mock.h), 100-byte values without keys, one client each.
 *
 *   kafka/produce   sl_kafka_sink_write of 200 000 records round-robin over 8 partitions,
 *                   then a flush that waits for every acknowledgement
 *   kafka/consume   one source, one worker, bounded from the earliest offsets, draining
 *                   8 partitions x 35 000 records (the mock keeps about 5 MiB per partition,
 *                   so the topic is sized to stay whole); creating and closing the consumer
 *                   is outside the timing
 *
 * Both run the client and the mock broker in this process, so they share the machine's
 * cores with it: figures against a real broker on other machines will differ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/shim.h"
#include "io/kafka_mock.h"
#include "io/kafka_sink.h"
#include "io/kafka_source.h"

#define SL_BM_VALUE 100
#define SL_BM_PARTS 8
#define SL_BM_PER_PART 35000
#define SL_BM_PRODUCE 200000

static struct sl_kafka_mock *sl_bm_mock;
static const char *const sl_bm_fill_props[] = {"linger.ms=100", "batch.size=1000000"};

static const char *sl_bm_bootstrap(void)
{
    struct sl_error err;
    if (!sl_bm_mock && sl_kafka_mock_new(NULL, &sl_bm_mock, &err) != 0) {
        fprintf(stderr, "bench kafka: %s\n", err.msg);
        return NULL;
    }
    return sl_kafka_mock_bootstrap(sl_bm_mock);
}

/* Writes n records to `topic` (round robin) and waits for them; 0 or an error code. */
static int sl_bm_produce(const char *bs, const char *topic, int n, const char *const *props,
                         size_t nprops, struct sl_error *err)
{
    struct sl_kafka_sink_config cfg = {.bootstrap = bs,
                                       .topic = topic,
                                       .partitioner = SL_KAFKA_PART_ROUND_ROBIN,
                                       .props = props,
                                       .nprops = nprops};
    struct sl_kafka_sink *sink;
    int rc = sl_kafka_sink_new(&cfg, &sink, err);
    if (rc)
        return rc;
    char value[SL_BM_VALUE];
    memset(value, 'v', sizeof(value));
    struct sl_record recs[1024];
    for (int i = 0; i < 1024; i++)
        recs[i] = (struct sl_record){.value = value, .value_len = SL_BM_VALUE, .timestamp = -1};
    for (int done = 0; !rc && done < n; done += 1024)
        rc = sl_kafka_sink_write(sink, recs, (size_t)(n - done < 1024 ? n - done : 1024), err);
    if (!rc)
        rc = sl_kafka_sink_flush(sink, 60000, err);
    sl_kafka_sink_free(sink, 1000);
    return rc;
}

static void bm_produce(struct sl_bench *b, void *arg)
{
    (void)arg;
    const char *bs = sl_bm_bootstrap();
    struct sl_error err;
    static int created;
    if (!bs) {
        sl_bench_error(b, "cannot start the mock cluster");
        return;
    }
    if (!created && sl_kafka_mock_topic_create(sl_bm_mock, "bench-produce", SL_BM_PARTS, &err)) {
        sl_bench_error(b, err.msg);
        return;
    }
    created = 1;
    while (sl_bench_running(b)) {
        if (sl_bm_produce(bs, "bench-produce", SL_BM_PRODUCE, NULL, 0, &err)) {
            sl_bench_error(b, err.msg);
            return;
        }
    }
    sl_bench_items(b, SL_BM_PRODUCE);
    sl_bench_bytes(b, (int64_t)SL_BM_PRODUCE * SL_BM_VALUE);
}

static void bm_consume(struct sl_bench *b, void *arg)
{
    (void)arg;
    static int filled;
    const char *bs = sl_bm_bootstrap();
    struct sl_error err;
    if (!bs) {
        sl_bench_error(b, "cannot start the mock cluster");
        return;
    }
    if (!filled) {
        if (sl_kafka_mock_topic_create(sl_bm_mock, "bench-consume", SL_BM_PARTS, &err) ||
            sl_bm_produce(bs, "bench-consume", SL_BM_PARTS * SL_BM_PER_PART, sl_bm_fill_props,
                          getenv("SL_BM_FILL_DEFAULT") ? 0 : 2, &err)) {
            sl_bench_error(b, err.msg);
            return;
        }
        filled = 1;
    }
    static struct sl_record recs[SL_BATCH_CAP];
    struct sl_kafka_source_config cfg = {.bootstrap = bs,
                                         .topic = "bench-consume",
                                         .startup = SL_KAFKA_START_EARLIEST,
                                         .bounded = true,
                                         .nworkers = 1};
    int64_t total = 0, bytes = 0;
    while (sl_bench_running(b)) {
        sl_bench_pause(b);
        struct sl_kafka_source *src;
        if (sl_kafka_source_new(&cfg, &src, &err)) {
            sl_bench_error(b, err.msg);
            return;
        }
        sl_bench_resume(b);
        int64_t got = 0;
        while (!sl_kafka_source_finished(src, 0)) {
            size_t n;
            if (sl_kafka_source_poll(src, 0, recs, SL_BATCH_CAP, 100, &n, &err)) {
                sl_bench_error(b, err.msg);
                sl_kafka_source_free(src);
                return;
            }
            for (size_t i = 0; i < n; i++)
                bytes += (int64_t)recs[i].value_len;
            got += (int64_t)n;
            sl_kafka_source_release(src, 0);
        }
        sl_bench_pause(b);
        sl_kafka_source_free(src);
        sl_bench_resume(b);
        if (got != SL_BM_PARTS * SL_BM_PER_PART) {
            sl_bench_error(b, "the mock dropped records: fewer than were produced");
            return;
        }
        total += got;
    }
    sl_bench_keep(&bytes);
    sl_bench_items(b, SL_BM_PARTS * SL_BM_PER_PART);
    sl_bench_bytes(b, (int64_t)SL_BM_PARTS * SL_BM_PER_PART * SL_BM_VALUE);
    sl_bench_counter(b, "records", (double)total);
}

SL_BENCH_REGISTER(sl_bm_kafka_register)
{
    struct sl_bench_def *d = sl_bench_add("kafka/produce", bm_produce, NULL);
    sl_bench_def_unit(d, 'm');
    sl_bench_def_real_time(d);
    d = sl_bench_add("kafka/consume", bm_consume, NULL);
    sl_bench_def_unit(d, 'm');
    sl_bench_def_real_time(d);
}
