/*
 * bench/hash.c - hashing of key columns per SIMD level: int64 and double on one
 * cache-resident batch (values/s), and the combine step of a two-column key.
 */
#include <stdio.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include "kernels/hash.h"

struct sl_bm_hash {
    sl_simd_level level;
    int op; /* 0 i64, 1 f64, 2 combine_i64 */
};

static void bm_hash(struct sl_bench *b, void *arg)
{
    const struct sl_bm_hash *p = arg;
    const struct sl_hash_kernels *k = sl_hash_kernels_for(p->level);
    static int64_t v[SL_BATCH_CAP] __attribute__((aligned(64)));
    static double d[SL_BATCH_CAP] __attribute__((aligned(64)));
    static uint64_t h[SL_BATCH_CAP] __attribute__((aligned(64)));
    sl_bench_fill_i64(v, SL_BATCH_CAP, -1000000, 1000000, 7);
    for (uint32_t i = 0; i < SL_BATCH_CAP; i++)
        d[i] = (double)v[i] / 7.0;
    while (sl_bench_running(b)) {
        if (p->op == 0)
            k->i64(v, NULL, NULL, SL_BATCH_CAP, h);
        else if (p->op == 1)
            k->f64(d, NULL, NULL, SL_BATCH_CAP, h);
        else
            k->combine_i64(v, NULL, NULL, SL_BATCH_CAP, h);
        sl_bench_keep(h);
    }
    sl_bench_items(b, SL_BATCH_CAP);
    sl_bench_bytes(b, (int64_t)SL_BATCH_CAP * 8);
}

SL_BENCH_REGISTER(sl_bm_hash_register)
{
    static const char *const ops[] = {"i64", "f64", "combine_i64"};
    static struct sl_bm_hash args[SL_SIMD_COUNT][3];
    static char names[SL_SIMD_COUNT][3][64];
    for (int l = 0; l < SL_SIMD_COUNT; l++) {
        if (!sl_simd_supported((sl_simd_level)l))
            continue;
        for (int op = 0; op < 3; op++) {
            struct sl_bm_hash *a = &args[l][op];
            a->level = (sl_simd_level)l;
            a->op = op;
            snprintf(names[l][op], sizeof(names[l][op]), "hash/%s/%s", ops[op],
                     sl_simd_name(a->level));
            sl_bench_add(names[l][op], bm_hash, a);
        }
    }
}
