/*
 * bench/gen.c - the generators: Nexmark events to JSON, Nexmark events into batches, YSB
 * events to JSON, and Nexmark events alone (no output) to split the cost. One iteration is
 * one batch worth of events (SL_BATCH_CAP); items_per_second is events/s, bytes_per_second
 * the JSON (or, for batches, the Java size estimate of the events) per second.
 */
#include <stdlib.h>

#include "bench/shim.h"
#include "engine/core/batch.h"
#include "io/nexmark.h"
#include "io/ysb.h"

static struct sl_nexmark_gen *bm_nexmark_gen(void)
{
    struct sl_nexmark_config c;
    sl_nexmark_config_init(&c);
    c.base_time = 1700000000000ll;
    struct sl_nexmark_gen *g = NULL;
    if (sl_nexmark_gen_new(&c, &g, NULL))
        abort();
    return g;
}

static void bm_nexmark_json(struct sl_bench *b, void *arg)
{
    (void)arg;
    struct sl_nexmark_gen *g = bm_nexmark_gen();
    struct sl_nexmark_event ev;
    if (sl_nexmark_event_init(&ev, g))
        abort();
    size_t max = sl_nexmark_json_max(g);
    char *buf = malloc(max * 2);
    int64_t k = 0, bytes = 0, iters = 0;
    while (sl_bench_running(b)) {
        for (int i = 0; i < SL_BATCH_CAP; i++) {
            sl_nexmark_gen_event(g, k++, &ev);
            bytes += (int64_t)sl_nexmark_event_json(&ev, buf) + 1;
        }
        sl_bench_keep(buf);
        iters++;
    }
    sl_bench_items(b, SL_BATCH_CAP);
    sl_bench_bytes(b, iters ? bytes / iters : 0);
    free(buf);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(g);
}

static void bm_nexmark_events(struct sl_bench *b, void *arg)
{
    (void)arg;
    struct sl_nexmark_gen *g = bm_nexmark_gen();
    struct sl_nexmark_event ev;
    if (sl_nexmark_event_init(&ev, g))
        abort();
    int64_t k = 0, acc = 0;
    while (sl_bench_running(b)) {
        for (int i = 0; i < SL_BATCH_CAP; i++) {
            sl_nexmark_gen_event(g, k++, &ev);
            acc += ev.timestamp;
        }
        sl_bench_keep(&acc);
    }
    sl_bench_items(b, SL_BATCH_CAP);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(g);
}

static void bm_nexmark_batch(struct sl_bench *b, void *arg)
{
    (void)arg;
    struct sl_nexmark_gen *g = bm_nexmark_gen();
    struct sl_nexmark_event ev;
    struct sl_schema *s = sl_nexmark_schema_new();
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, s, 1);
    if (sl_nexmark_event_init(&ev, g) || !s || !pool)
        abort();
    int64_t k = 0;
    while (sl_bench_running(b)) {
        struct sl_batch *batch = sl_batch_pool_get(pool);
        if (!batch || sl_nexmark_fill(g, &ev, k, SL_BATCH_CAP, batch)) {
            sl_bench_error(b, "sl_nexmark_fill failed");
            break;
        }
        k += SL_BATCH_CAP;
        sl_bench_keep(batch);
        sl_batch_pool_put(batch);
    }
    sl_bench_items(b, SL_BATCH_CAP);
    sl_batch_pool_free(pool);
    sl_schema_free(s);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(g);
}

static void bm_ysb_json(struct sl_bench *b, void *arg)
{
    (void)arg;
    struct sl_ysb_config c;
    sl_ysb_config_init(&c);
    c.start_time = 1700000000000ll;
    struct sl_ysb_gen *g = NULL;
    if (sl_ysb_gen_new(&c, &g, NULL))
        abort();
    char buf[SL_YSB_JSON_MAX];
    int64_t k = 0, bytes = 0, iters = 0;
    while (sl_bench_running(b)) {
        for (int i = 0; i < SL_BATCH_CAP; i++) {
            struct sl_ysb_event ev;
            sl_ysb_gen_event(g, k++, &ev);
            bytes += (int64_t)sl_ysb_event_json(&ev, buf) + 1;
        }
        sl_bench_keep(buf);
        iters++;
    }
    sl_bench_items(b, SL_BATCH_CAP);
    sl_bench_bytes(b, iters ? bytes / iters : 0);
    sl_ysb_gen_free(g);
}

static void bm_ysb_batch(struct sl_bench *b, void *arg)
{
    (void)arg;
    struct sl_ysb_config c;
    sl_ysb_config_init(&c);
    c.start_time = 1700000000000ll;
    struct sl_ysb_gen *g = NULL;
    struct sl_schema *s = sl_ysb_schema_new();
    struct sl_batch_pool *pool = s ? sl_batch_pool_new(NULL, s, 1) : NULL;
    if (sl_ysb_gen_new(&c, &g, NULL) || !pool)
        abort();
    int64_t k = 0;
    while (sl_bench_running(b)) {
        struct sl_batch *batch = sl_batch_pool_get(pool);
        if (!batch || sl_ysb_fill(g, k, SL_BATCH_CAP, batch)) {
            sl_bench_error(b, "sl_ysb_fill failed");
            break;
        }
        k += SL_BATCH_CAP;
        sl_bench_keep(batch);
        sl_batch_pool_put(batch);
    }
    sl_bench_items(b, SL_BATCH_CAP);
    sl_batch_pool_free(pool);
    sl_schema_free(s);
    sl_ysb_gen_free(g);
}

SL_BENCH_REGISTER(sl_bm_gen_register)
{
    sl_bench_def_unit(sl_bench_add("gen/nexmark/json", bm_nexmark_json, NULL), 'u');
    sl_bench_def_unit(sl_bench_add("gen/nexmark/events", bm_nexmark_events, NULL), 'u');
    sl_bench_def_unit(sl_bench_add("gen/nexmark/batch", bm_nexmark_batch, NULL), 'u');
    sl_bench_def_unit(sl_bench_add("gen/ysb/json", bm_ysb_json, NULL), 'u');
    sl_bench_def_unit(sl_bench_add("gen/ysb/batch", bm_ysb_batch, NULL), 'u');
}
