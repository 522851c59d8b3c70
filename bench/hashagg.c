/*
 * bench/hashagg.c - GROUP BY one BIGINT key with COUNT(*) and SUM(BIGINT NOT NULL), uniform
 * random keys into 100, 10 K, 1 M and 10 M groups (rows/s):
 *   hashagg/kernels/<groups>/<level>  hash + probe + count_star + sum_i64 per batch on a
 *                                     table pre-sized for the groups (no growth);
 *   hashagg/engine/<groups>/<level>   engine/hashagg.c from batches: growth from an empty
 *                                     table on the first iteration, then steady state.
 * The key stream is SL_BENCH_ROWS rows; every iteration aggregates all of them.
 */
#include <stdio.h>
#include <string.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include "engine/batch.h"
#include "engine/hashagg.h"
#include "kernels/hash.h"
#include "kernels/hashagg.h"

#define SL_BENCH_ROWS (16u * 1024u * 1024u)

static const uint32_t sl_bm_groups[] = {100, 10000, 1000000, 10000000};
#define SL_BM_NGROUPS 4

static int64_t *sl_bm_keys[SL_BM_NGROUPS];
static int64_t *sl_bm_vals;

/* Keys: G distinct, scattered 64-bit values, each row one of them uniformly at random. */
static const int64_t *sl_bm_key_stream(int gi)
{
    if (!sl_bm_keys[gi]) {
        int64_t *k = sl_bench_alloc((size_t)SL_BENCH_ROWS * sizeof(int64_t));
        uint64_t s = 0x1234567 + (uint64_t)gi;
        for (uint32_t i = 0; i < SL_BENCH_ROWS; i++)
            k[i] = (int64_t)((sl_bench_rand(&s) % sl_bm_groups[gi]) * 0x9e3779b97f4a7c15ull);
        sl_bm_keys[gi] = k;
    }
    return sl_bm_keys[gi];
}

static const int64_t *sl_bm_val_stream(void)
{
    if (!sl_bm_vals) {
        sl_bm_vals = sl_bench_alloc((size_t)SL_BENCH_ROWS * sizeof(int64_t));
        sl_bench_fill_i64(sl_bm_vals, SL_BENCH_ROWS, -1000, 1000, 99);
    }
    return sl_bm_vals;
}

struct sl_bm_ha {
    sl_simd_level level;
    int gi;
    int engine;
};

static void bm_hashagg_kernels(struct sl_bench *b, const struct sl_bm_ha *p)
{
    const struct sl_hash_kernels *hk = sl_hash_kernels_for(p->level);
    const struct sl_hashagg_kernels *ak = sl_hashagg_kernels_for(p->level);
    const uint32_t groups = sl_bm_groups[p->gi];
    const int64_t *keys = sl_bm_key_stream(p->gi);
    const int64_t *vals = sl_bm_val_stream();
    uint64_t cap = 16;
    while (cap * 3 / 4 < groups)
        cap *= 2;
    struct sl_hashagg_table t;
    memset(&t, 0, sizeof(t));
    t.k = 1;
    t.mask = cap - 1;
    t.max_groups = groups;
    t.slots = sl_bench_alloc(sl_hashagg_slot_bytes(cap, 1));
    t.keys[0] = sl_bench_alloc((size_t)groups * 8);
    uint64_t *cnt = sl_bench_alloc((size_t)groups * 8);
    int64_t *sum = sl_bench_alloc((size_t)groups * 8);
    memset(t.slots, 0, sl_hashagg_slot_bytes(cap, 1));
    memset(cnt, 0, (size_t)groups * 8);
    memset(sum, 0, (size_t)groups * 8);
    static uint64_t h[SL_BATCH_CAP] __attribute__((aligned(64)));
    static uint32_t gids[SL_BATCH_CAP] __attribute__((aligned(64)));
    while (sl_bench_running(b)) {
        for (uint32_t off = 0; off < SL_BENCH_ROWS; off += SL_BATCH_CAP) {
            const uint64_t *kp = (const uint64_t *)(keys + off);
            hk->i64(keys + off, NULL, NULL, SL_BATCH_CAP, h);
            if (ak->probe(&t, &kp, NULL, h, SL_BATCH_CAP, gids) != SL_BATCH_CAP) {
                sl_bench_error(b, "table full");
                break;
            }
            ak->count_star(cnt, gids, SL_BATCH_CAP);
            ak->sum_i64(sum, NULL, gids, vals + off, NULL, NULL, SL_BATCH_CAP);
        }
        sl_bench_keep(sum);
    }
    sl_bench_counter(b, "groups", t.ngroups);
    sl_bench_items(b, SL_BENCH_ROWS);
    sl_bench_free(t.slots);
    sl_bench_free(t.keys[0]);
    sl_bench_free(cnt);
    sl_bench_free(sum);
}

static void bm_hashagg_engine(struct sl_bench *b, const struct sl_bm_ha *p)
{
    const int64_t *keys = sl_bm_key_stream(p->gi);
    const int64_t *vals = sl_bm_val_stream();
    if (sl_simd_use(p->level) != 0) {
        sl_bench_error(b, "level not supported");
        return;
    }
    const char *names[] = {"k", "v"};
    struct sl_type types[] = {sl_type_make(SL_TYPE_BIGINT, false),
                              sl_type_make(SL_TYPE_BIGINT, false)};
    struct sl_schema *schema = sl_schema_new(2, names, types);
    struct sl_heap *heap = sl_heap_new();
    struct sl_batch_pool *pool = sl_batch_pool_new(heap, schema, 1);
    struct sl_batch *batch = sl_batch_pool_get(pool);
    uint32_t key_col = 0;
    struct sl_hashagg_agg aggs[] = {
        {SL_AGG_COUNT_STAR, 0, sl_type_make(SL_TYPE_BIGINT, false)},
        {SL_AGG_SUM, 1, sl_type_make(SL_TYPE_BIGINT, false)},
    };
    struct sl_hashagg_spec spec = {1, &key_col, types, 2, aggs};
    struct sl_hashagg *ha = NULL;
    if (!schema || !heap || !pool || !batch || sl_hashagg_new(heap, &spec, &ha, NULL) != 0) {
        sl_bench_error(b, "set-up failed");
        goto out;
    }
    while (sl_bench_running(b)) {
        for (uint32_t off = 0; off < SL_BENCH_ROWS; off += SL_BATCH_CAP) {
            /* the copy into the batch stands in for the decoder that fills it */
            memcpy(batch->cols[0].data, keys + off, SL_BATCH_CAP * 8);
            memcpy(batch->cols[1].data, vals + off, SL_BATCH_CAP * 8);
            batch->rows = SL_BATCH_CAP;
            if (sl_hashagg_update(ha, batch, NULL) != 0) {
                sl_bench_error(b, "update failed");
                goto out;
            }
        }
    }
    sl_bench_counter(b, "groups", sl_hashagg_groups(ha));
    sl_bench_counter(b, "MiB", (double)sl_hashagg_memory(ha) / (1024.0 * 1024.0));
    sl_bench_items(b, SL_BENCH_ROWS);
out:
    sl_hashagg_free(ha);
    if (batch)
        sl_batch_pool_put(batch);
    sl_batch_pool_free(pool);
    sl_heap_free(heap);
    sl_schema_free(schema);
    sl_simd_init();
}

static void bm_hashagg(struct sl_bench *b, void *arg)
{
    const struct sl_bm_ha *p = arg;
    if (p->engine)
        bm_hashagg_engine(b, p);
    else
        bm_hashagg_kernels(b, p);
}

SL_BENCH_REGISTER(sl_bm_hashagg_register)
{
    static struct sl_bm_ha args[2][SL_BM_NGROUPS][SL_SIMD_COUNT];
    static char names[2][SL_BM_NGROUPS][SL_SIMD_COUNT][64];
    static const char *const gnames[] = {"100", "10K", "1M", "10M"};
    for (int e = 0; e < 2; e++) {
        for (int gi = 0; gi < SL_BM_NGROUPS; gi++) {
            for (int l = 0; l < SL_SIMD_COUNT; l++) {
                if (!sl_simd_supported((sl_simd_level)l))
                    continue;
                struct sl_bm_ha *a = &args[e][gi][l];
                a->level = (sl_simd_level)l;
                a->gi = gi;
                a->engine = e;
                snprintf(names[e][gi][l], sizeof(names[e][gi][l]), "hashagg/%s/%s/%s",
                         e ? "engine" : "kernels", gnames[gi], sl_simd_name(a->level));
                struct sl_bench_def *d = sl_bench_add(names[e][gi][l], bm_hashagg, a);
                sl_bench_def_unit(d, 'm');
            }
        }
    }
}
