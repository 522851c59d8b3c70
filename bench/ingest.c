/*
 * bench/ingest.c - consume and decode: Nexmark events as JSON from the in-process mock Kafka
 * cluster into columnar batches of the nexmark table, on one worker thread. This is the
 * ingest cost a Kafka-fed pipeline pays before any operator runs.
 *
 *   ingest/kafka_json/nexmark   16 partitions x 12 000 events (the mock keeps about 5 MiB per
 *                               partition; the topic is sized to stay whole), one source,
 *                               bounded from the earliest offsets, on 1 or 2 workers (each
 *                               its own thread, partitions split between them); each record
 *                               decoded into a batch (sl_json_decode), batches recycled
 *
 * Creating and closing the consumer is outside the timing. Real time is reported: part of
 * the work (fetching) runs on librdkafka's threads. The broker runs in this process too.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/shim.h"
#include "engine/core/batch.h"
#include "io/json.h"
#include "io/kafka_mock.h"
#include "io/kafka_sink.h"
#include "io/kafka_source.h"
#include "io/nexmark.h"

#define SL_BI_PARTS 16
#define SL_BI_PER_PART 12000
#define SL_BI_EVENTS (SL_BI_PARTS * SL_BI_PER_PART)

static struct sl_kafka_mock *sl_bi_mock;
static int64_t sl_bi_bytes;

/* Produces the Nexmark events 0 .. SL_BI_EVENTS-1 as JSON, round robin over the partitions. */
static int sl_bi_fill(struct sl_error *err)
{
    int rc = sl_kafka_mock_new(NULL, &sl_bi_mock, err);
    if (rc)
        return rc;
    rc = sl_kafka_mock_topic_create(sl_bi_mock, "ingest", SL_BI_PARTS, err);
    if (rc)
        return rc;
    struct sl_nexmark_config cfg;
    sl_nexmark_config_init(&cfg);
    cfg.base_time = 1700000000000;
    struct sl_nexmark_gen *gen;
    rc = sl_nexmark_gen_new(&cfg, &gen, err);
    if (rc)
        return rc;
    struct sl_nexmark_event ev;
    rc = sl_nexmark_event_init(&ev, gen);
    if (rc) {
        sl_nexmark_gen_free(gen);
        return rc;
    }
    static const char *const props[] = {"linger.ms=100", "batch.size=1000000"};
    struct sl_kafka_sink_config scfg = {.bootstrap = sl_kafka_mock_bootstrap(sl_bi_mock),
                                        .topic = "ingest",
                                        .partitioner = SL_KAFKA_PART_ROUND_ROBIN,
                                        .props = props,
                                        .nprops = 2};
    struct sl_kafka_sink *sink;
    rc = sl_kafka_sink_new(&scfg, &sink, err);
    size_t max = sl_nexmark_json_max(gen);
    char *buf = malloc(max * 256);
    struct sl_record recs[256];
    for (int64_t i = 0; !rc && buf && i < SL_BI_EVENTS; i += 256) {
        size_t off = 0;
        int k = 0;
        for (; k < 256 && i + k < SL_BI_EVENTS; k++) {
            sl_nexmark_gen_event(gen, i + k, &ev);
            size_t len = sl_nexmark_event_json(&ev, buf + off);
            recs[k] = (struct sl_record){.value = buf + off, .value_len = len, .timestamp = -1};
            off += len;
            sl_bi_bytes += (int64_t)len;
        }
        rc = sl_kafka_sink_write(sink, recs, (size_t)k, err);
    }
    if (!buf && !rc)
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    if (!rc)
        rc = sl_kafka_sink_flush(sink, 60000, err);
    if (sink)
        sl_kafka_sink_free(sink, 1000);
    free(buf);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(gen);
    return rc;
}

/* One worker: drains its partitions, decoding into recycled batches. */
struct sl_bi_worker {
    struct sl_kafka_source *src;
    int id;
    struct sl_json *json;
    struct sl_batch_pool *pool;
    int64_t records;
    int64_t rows;
    int rc;
    struct sl_error err;
    struct sl_record recs[SL_BATCH_CAP];
};

static void *sl_bi_run(void *arg)
{
    struct sl_bi_worker *w = arg;
    struct sl_badrec bad;
    sl_badrec_init(&bad, SL_BADREC_FAIL, NULL, NULL);
    struct sl_batch *batch = sl_batch_pool_get(w->pool);
    if (!batch) {
        w->rc = sl_error_set(&w->err, SL_ENOMEM, "out of memory");
        return NULL;
    }
    while (!w->rc && !sl_kafka_source_finished(w->src, w->id)) {
        size_t n;
        w->rc = sl_kafka_source_poll(w->src, w->id, w->recs, SL_BATCH_CAP, 100, &n, &w->err);
        for (size_t done = 0; !w->rc && done < n;) {
            size_t used;
            w->rc = sl_json_decode(w->json, w->recs + done, n - done, batch, &bad, &used, &w->err);
            done += used;
            if (batch->rows == SL_BATCH_CAP) {
                w->rows += batch->rows;
                sl_batch_reset(batch);
            }
        }
        w->records += (int64_t)n;
        sl_kafka_source_release(w->src, w->id);
    }
    w->rows += batch->rows;
    sl_batch_pool_put(batch);
    return NULL;
}

static void bm_ingest(struct sl_bench *b, void *arg)
{
    int nworkers = (int)(intptr_t)arg;
    struct sl_error err;
    if (!sl_bi_mock && sl_bi_fill(&err)) {
        sl_bench_error(b, err.msg);
        return;
    }
    struct sl_schema *schema = sl_nexmark_schema_new();
    struct sl_bi_worker *w = calloc((size_t)nworkers, sizeof(*w));
    bool ok = schema && w;
    for (int i = 0; ok && i < nworkers; i++) {
        w[i].id = i;
        w[i].json = sl_json_new(schema, NULL, &err);
        w[i].pool = sl_batch_pool_new(NULL, schema, 2);
        ok = w[i].json && w[i].pool;
    }
    if (!ok) {
        sl_bench_error(b, "cannot set up the decoders");
        goto out;
    }
    struct sl_kafka_source_config cfg = {.bootstrap = sl_kafka_mock_bootstrap(sl_bi_mock),
                                         .topic = "ingest",
                                         .startup = SL_KAFKA_START_EARLIEST,
                                         .bounded = true,
                                         .nworkers = nworkers};
    while (sl_bench_running(b)) {
        sl_bench_pause(b);
        struct sl_kafka_source *src;
        if (sl_kafka_source_new(&cfg, &src, &err)) {
            sl_bench_error(b, err.msg);
            goto out;
        }
        for (int i = 0; i < nworkers; i++) {
            w[i].src = src;
            w[i].records = 0;
        }
        sl_bench_resume(b);
        pthread_t threads[8];
        for (int i = 1; i < nworkers; i++)
            pthread_create(&threads[i], NULL, sl_bi_run, &w[i]);
        sl_bi_run(&w[0]);
        for (int i = 1; i < nworkers; i++)
            pthread_join(threads[i], NULL);
        sl_bench_pause(b);
        sl_kafka_source_free(src);
        sl_bench_resume(b);
        int64_t got = 0;
        for (int i = 0; i < nworkers; i++) {
            if (w[i].rc) {
                sl_bench_error(b, w[i].err.msg);
                goto out;
            }
            got += w[i].records;
        }
        if (got != SL_BI_EVENTS) {
            sl_bench_error(b, "fewer records than were produced (did the mock drop some?)");
            goto out;
        }
    }
    sl_bench_items(b, SL_BI_EVENTS);
    sl_bench_bytes(b, sl_bi_bytes);
out:
    for (int i = 0; w && i < nworkers; i++) {
        sl_batch_pool_free(w[i].pool);
        sl_json_free(w[i].json);
    }
    free(w);
    sl_schema_free(schema);
}

SL_BENCH_REGISTER(sl_bm_ingest_register)
{
    struct sl_bench_def *d =
        sl_bench_add("ingest/kafka_json/nexmark/workers:1", bm_ingest, (void *)(intptr_t)1);
    sl_bench_def_unit(d, 'm');
    sl_bench_def_real_time(d);
    d = sl_bench_add("ingest/kafka_json/nexmark/workers:2", bm_ingest, (void *)(intptr_t)2);
    sl_bench_def_unit(d, 'm');
    sl_bench_def_real_time(d);
}
