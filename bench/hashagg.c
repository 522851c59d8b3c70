/*
 * bench/hashagg.c - GROUP BY one BIGINT key with COUNT(*) and SUM(BIGINT NOT NULL), keys drawn
 * uniformly at random from exactly G distinct values, G = 100, 10 K, 1 M and 10 M (rows/s):
 *   hashagg/kernels/<G>/<level>   hash + probe + sum_i64 (with COUNT(*) as its count, in state
 *                                 rows of 2 words, as the engine does) per batch, on a table
 *                                 sized by sl_hashagg_max_groups and warmed with all G keys
 *                                 before the timing: the steady state;
 *   hashagg/engine/<G>/<level>    engine/ops/hashagg.c from batches, warmed the same way (every G
 *                                 key fed once before the timing): the steady state of a
 *                                 long-running aggregation. The batch's columns point into
 *                                 the streams (no copy): what is timed is the engine's work;
 *   hashagg/engine-copy/<G>/<level>  the same with the two columns copied into the batch's
 *                                 own buffers first (a stand-in for the decoder that fills
 *                                 them; the copy from DRAM costs about 1 ns per row here);
 *   hashagg/engine-cold/<G>/<level>  zero-copy from an empty hashagg in every iteration (the
 *                                 growth included; creating and freeing it is not timed).
 *   hashagg/save/1M, hashagg/load/1M   checkpoint state (sl_hashagg_save into a reused buffer;
 *                                 sl_hashagg_load into a new hashagg, its creation not
 *                                 timed) of 1 M groups of one BIGINT key with COUNT(*) and
 *                                 SUM (bytes/s of state); .../1M-str the same by a VARCHAR
 *                                 key of 8 to 24 bytes (each string interned on load).
 * The key stream is SL_BENCH_ROWS rows; every iteration aggregates all of them. The streams
 * are DRAM-resident (128 MiB each): the input of every batch comes from memory.
 */
#include <stdio.h>
#include <string.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include "engine/core/batch.h"
#include "engine/ops/hashagg.h"
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
    int engine; /* 0 kernels, 1 engine warmed, 2 engine cold, 3 engine warmed with a copy */
};

/* The G distinct keys of group index gi, from `first`, n of them (the values of the stream). */
static void sl_bm_distinct(int gi, uint32_t first, uint32_t n, int64_t *out)
{
    (void)gi;
    for (uint32_t j = 0; j < n; j++)
        out[j] = (int64_t)((uint64_t)(first + j) * 0x9e3779b97f4a7c15ull);
}

static void bm_hashagg_kernels(struct sl_bench *b, const struct sl_bm_ha *p)
{
    const struct sl_hash_kernels *hk = sl_hash_kernels_for(p->level);
    const struct sl_hashagg_kernels *ak = sl_hashagg_kernels_for(p->level);
    const uint32_t groups = sl_bm_groups[p->gi];
    const int64_t *keys = sl_bm_key_stream(p->gi);
    const int64_t *vals = sl_bm_val_stream();
    uint64_t cap = 16;
    while (sl_hashagg_max_groups(cap, 1) < groups)
        cap *= 2;
    struct sl_hashagg_table t;
    memset(&t, 0, sizeof(t));
    t.k = 1;
    t.mask = cap - 1;
    t.max_groups = groups;
    t.slots = sl_bench_alloc(sl_hashagg_slot_bytes(cap, 1));
    t.keys[0] = sl_bench_alloc((size_t)groups * 8);
    /* state rows: word 0 COUNT(*), word 1 SUM */
    uint64_t *rows = sl_bench_alloc((size_t)groups * 16);
    memset(t.slots, 0, sl_hashagg_slot_bytes(cap, 1));
    memset(rows, 0, (size_t)groups * 16);
    static uint64_t h[SL_BATCH_CAP] __attribute__((aligned(64)));
    static uint32_t gids[SL_BATCH_CAP] __attribute__((aligned(64)));
    static int64_t warm[SL_BATCH_CAP] __attribute__((aligned(64)));
    for (uint32_t g = 0; g < groups; g += SL_BATCH_CAP) {
        uint32_t n = groups - g < SL_BATCH_CAP ? groups - g : SL_BATCH_CAP;
        const uint64_t *kp = (const uint64_t *)warm;
        sl_bm_distinct(p->gi, g, n, warm);
        hk->i64(warm, NULL, NULL, n, h);
        ak->probe(&t, &kp, NULL, h, n, gids);
    }
    while (sl_bench_running(b)) {
        for (uint32_t off = 0; off < SL_BENCH_ROWS; off += SL_BATCH_CAP) {
            const uint64_t *kp = (const uint64_t *)(keys + off);
            hk->i64(keys + off, NULL, NULL, SL_BATCH_CAP, h);
            if (ak->probe(&t, &kp, NULL, h, SL_BATCH_CAP, gids) != SL_BATCH_CAP) {
                sl_bench_error(b, "table full");
                break;
            }
            ak->sum_i64((int64_t *)(rows + 1), rows, 2, gids, vals + off, NULL, NULL, SL_BATCH_CAP);
        }
        sl_bench_keep(rows);
    }
    sl_bench_counter(b, "groups", t.ngroups);
    sl_bench_items(b, SL_BENCH_ROWS);
    sl_bench_free(t.slots);
    sl_bench_free(t.keys[0]);
    sl_bench_free(rows);
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
        {SL_AGG_COUNT_STAR, 0, sl_type_make(SL_TYPE_BIGINT, false), false, 0},
        {SL_AGG_SUM, 1, sl_type_make(SL_TYPE_BIGINT, false), false, 0},
    };
    struct sl_hashagg_spec spec = {1, &key_col, types, 2, aggs};
    struct sl_hashagg *ha = NULL;
    void *own[2] = {NULL, NULL}; /* the batch's own column buffers, restored at the end */
    if (!schema || !heap || !pool || !batch || sl_hashagg_new(heap, &spec, &ha, NULL) != 0) {
        sl_bench_error(b, "set-up failed");
        goto out;
    }
    own[0] = batch->cols[0].data;
    own[1] = batch->cols[1].data;
    if (p->engine != 2) {
        /* warm: every one of the G keys once */
        for (uint32_t g = 0; g < sl_bm_groups[p->gi]; g += SL_BATCH_CAP) {
            uint32_t n = sl_bm_groups[p->gi] - g;
            n = n < SL_BATCH_CAP ? n : SL_BATCH_CAP;
            sl_bm_distinct(p->gi, g, n, batch->cols[0].data);
            memset(batch->cols[1].data, 0, (size_t)n * 8);
            batch->rows = n;
            if (sl_hashagg_update(ha, batch, NULL) != 0) {
                sl_bench_error(b, "warm-up failed");
                goto out;
            }
        }
    }
    while (sl_bench_running(b)) {
        if (p->engine == 2) {
            sl_bench_pause(b);
            sl_hashagg_free(ha);
            ha = NULL;
            if (sl_hashagg_new(heap, &spec, &ha, NULL) != 0) {
                sl_bench_error(b, "set-up failed");
                goto out;
            }
            sl_bench_resume(b);
        }
        for (uint32_t off = 0; off < SL_BENCH_ROWS; off += SL_BATCH_CAP) {
            if (p->engine == 3) {
                /* the copy into the batch stands in for the decoder that fills it */
                memcpy(batch->cols[0].data, keys + off, SL_BATCH_CAP * 8);
                memcpy(batch->cols[1].data, vals + off, SL_BATCH_CAP * 8);
            } else {
                /* the batch's columns are the stream itself (64-byte aligned) */
                batch->cols[0].data = (void *)(keys + off);
                batch->cols[1].data = (void *)(vals + off);
            }
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
    if (batch) {
        if (own[0]) {
            batch->cols[0].data = own[0];
            batch->cols[1].data = own[1];
        }
        sl_batch_pool_put(batch);
    }
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

/* ---- checkpoint state ---------------------------------------------------------------------- */

struct sl_bm_ckpt {
    bool load, str;
};

static void bm_hashagg_ckpt(struct sl_bench *b, void *arg)
{
    const struct sl_bm_ckpt *p = arg;
    enum { G = 1000000 };
    const char *names[] = {"k", "v"};
    struct sl_type types[] = {sl_type_make(p->str ? SL_TYPE_VARCHAR : SL_TYPE_BIGINT, false),
                              sl_type_make(SL_TYPE_BIGINT, false)};
    struct sl_schema *schema = sl_schema_new(2, names, types);
    struct sl_batch_pool *pool = schema ? sl_batch_pool_new(NULL, schema, 1) : NULL;
    struct sl_batch *batch = pool ? sl_batch_pool_get(pool) : NULL;
    uint32_t key_col = 0;
    struct sl_hashagg_agg aggs[] = {
        {SL_AGG_COUNT_STAR, 0, sl_type_make(SL_TYPE_BIGINT, false), false, 0},
        {SL_AGG_SUM, 1, sl_type_make(SL_TYPE_BIGINT, false), false, 0},
    };
    struct sl_hashagg_spec spec = {1, &key_col, types, 2, aggs};
    struct sl_hashagg *ha = NULL, *dst = NULL;
    struct sl_sbuf sb;
    sl_sbuf_init(&sb);
    if (!batch || sl_hashagg_new(NULL, &spec, &ha, NULL) != 0) {
        sl_bench_error(b, "set-up failed");
        goto out;
    }
    for (uint32_t g = 0; g < G; g += SL_BATCH_CAP) {
        uint32_t n = G - g < SL_BATCH_CAP ? G - g : SL_BATCH_CAP;
        sl_batch_reset(batch);
        for (uint32_t i = 0; i < n; i++) {
            uint64_t k = (uint64_t)(g + i) * 0x9e3779b97f4a7c15ull;
            if (p->str) {
                char s[32];
                int len = snprintf(s, sizeof(s), "%llx", (unsigned long long)k);
                len = 8 + (int)(k % 17) < len ? 8 + (int)(k % 17) : len;
                sl_col_str(&batch->cols[0])[i] = sl_batch_str(batch, s, (uint32_t)len);
            } else {
                sl_col_i64(&batch->cols[0])[i] = (int64_t)k;
            }
            sl_col_i64(&batch->cols[1])[i] = (int64_t)i;
        }
        batch->rows = n;
        if (sl_hashagg_update(ha, batch, NULL) != 0) {
            sl_bench_error(b, "update failed");
            goto out;
        }
    }
    if (sl_hashagg_save(ha, &sb, NULL) != 0) {
        sl_bench_error(b, "save failed");
        goto out;
    }
    size_t bytes = sb.len;
    while (sl_bench_running(b)) {
        if (!p->load) {
            sl_sbuf_reset(&sb);
            if (sl_hashagg_save(ha, &sb, NULL) != 0) {
                sl_bench_error(b, "save failed");
                goto out;
            }
            sl_bench_keep(sb.p);
            continue;
        }
        sl_bench_pause(b);
        sl_hashagg_free(dst);
        dst = NULL;
        if (sl_hashagg_new(NULL, &spec, &dst, NULL) != 0) {
            sl_bench_error(b, "set-up failed");
            goto out;
        }
        sl_bench_resume(b);
        struct sl_sread r;
        sl_sread_init(&r, sb.p, sb.len, "bench");
        if (sl_hashagg_load(dst, &r, NULL) != 0) {
            sl_bench_error(b, "load failed");
            goto out;
        }
    }
    if (dst && sl_hashagg_groups(dst) != sl_hashagg_groups(ha))
        sl_bench_error(b, "load lost groups");
    sl_bench_counter(b, "groups", sl_hashagg_groups(ha));
    sl_bench_counter(b, "MiB", (double)bytes / (1024.0 * 1024.0));
    sl_bench_bytes(b, (int64_t)bytes);
    sl_bench_items(b, sl_hashagg_groups(ha));
out:
    sl_sbuf_free(&sb);
    sl_hashagg_free(ha);
    sl_hashagg_free(dst);
    if (batch)
        sl_batch_pool_put(batch);
    sl_batch_pool_free(pool);
    sl_schema_free(schema);
}

SL_BENCH_REGISTER(sl_bm_hashagg_register)
{
    static const struct sl_bm_ckpt ck[] = {
        {false, false}, {true, false}, {false, true}, {true, true}};
    static const char *const cknames[] = {"hashagg/save/1M", "hashagg/load/1M",
                                          "hashagg/save/1M-str", "hashagg/load/1M-str"};
    for (int i = 0; i < 4; i++)
        sl_bench_def_unit(sl_bench_add(cknames[i], bm_hashagg_ckpt, (void *)&ck[i]), 'm');
    static struct sl_bm_ha args[4][SL_BM_NGROUPS][SL_SIMD_COUNT];
    static char names[4][SL_BM_NGROUPS][SL_SIMD_COUNT][64];
    static const char *const gnames[] = {"100", "10K", "1M", "10M"};
    static const char *const enames[] = {"kernels", "engine", "engine-cold", "engine-copy"};
    for (int e = 0; e < 4; e++) {
        for (int gi = 0; gi < SL_BM_NGROUPS; gi++) {
            for (int l = 0; l < SL_SIMD_COUNT; l++) {
                if (!sl_simd_supported((sl_simd_level)l))
                    continue;
                struct sl_bm_ha *a = &args[e][gi][l];
                a->level = (sl_simd_level)l;
                a->gi = gi;
                a->engine = e;
                snprintf(names[e][gi][l], sizeof(names[e][gi][l]), "hashagg/%s/%s/%s", enames[e],
                         gnames[gi], sl_simd_name(a->level));
                struct sl_bench_def *d = sl_bench_add(names[e][gi][l], bm_hashagg, a);
                sl_bench_def_unit(d, 'm');
            }
        }
    }
}
