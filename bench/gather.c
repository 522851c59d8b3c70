/*
 * bench/gather.c - gather int64 through a selection, per SIMD level, on one cache-resident
 * batch: a random selection of half the rows (items/s = values gathered per second).
 */
#include <stdio.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include "kernels/gather.h"

struct sl_bm_gather {
    sl_simd_level level;
};

static void bm_gather_i64(struct sl_bench *b, void *arg)
{
    const struct sl_bm_gather *p = arg;
    const struct sl_gather_kernels *k = sl_gather_kernels_for(p->level);
    static int64_t src[SL_BATCH_CAP] __attribute__((aligned(64)));
    static int64_t dst[SL_BATCH_CAP] __attribute__((aligned(64)));
    static sl_sel_t sel[SL_BATCH_CAP];
    sl_bench_fill_i64(src, SL_BATCH_CAP, INT64_MIN / 2, INT64_MAX / 2, 5);
    uint64_t s = 9;
    uint32_t n = 0;
    for (uint32_t i = 0; i < SL_BATCH_CAP; i++)
        if (sl_bench_rand(&s) & 1)
            sel[n++] = i;
    while (sl_bench_running(b)) {
        k->g64(src, sel, n, dst);
        sl_bench_keep(dst);
    }
    sl_bench_items(b, n);
    sl_bench_bytes(b, (int64_t)n * 8);
}

SL_BENCH_REGISTER(sl_bm_gather_register)
{
    static struct sl_bm_gather args[SL_SIMD_COUNT];
    static char names[SL_SIMD_COUNT][64];
    for (int l = 0; l < SL_SIMD_COUNT; l++) {
        if (!sl_simd_supported((sl_simd_level)l))
            continue;
        args[l].level = (sl_simd_level)l;
        snprintf(names[l], sizeof(names[l]), "gather/i64/half/%s", sl_simd_name(args[l].level));
        sl_bench_add(names[l], bm_gather_i64, &args[l]);
    }
}
