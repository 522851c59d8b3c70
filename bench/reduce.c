/*
 * bench/reduce.c - reductions: SUM / MIN of int64 per SIMD level, on one cache-resident batch
 * and on a DRAM-resident column (compare the latter's bytes_per_second with membw/read).
 */
#include <stdio.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include "kernels/reduce.h"

struct sl_bm_reduce {
    sl_simd_level level;
    int dram;
    int op; /* 0 sum, 1 min */
};

static void bm_reduce(struct sl_bench *b, void *arg)
{
    const struct sl_bm_reduce *p = arg;
    const struct sl_reduce_kernels *k = sl_reduce_kernels_for(p->level);
    static int64_t batch[SL_BATCH_CAP] __attribute__((aligned(64)));
    sl_bench_fill_i64(batch, SL_BATCH_CAP, -1000000, 1000000, 7);
    const int64_t *v = p->dram ? sl_bench_dram_i64() : batch;
    uint32_t n = p->dram ? SL_BENCH_DRAM_ROWS : SL_BATCH_CAP;
    int64_t acc = 0;
    uint64_t cnt = 0;
    while (sl_bench_running(b)) {
        if (p->op == 0) {
            acc += k->sum_i64(v, NULL, NULL, n, &cnt);
        } else {
            int64_t m;
            k->min_i64(v, NULL, NULL, n, &m);
            acc += m;
        }
        sl_bench_keep(&acc);
    }
    sl_bench_items(b, n);
    sl_bench_bytes(b, (int64_t)n * 8);
}

SL_BENCH_REGISTER(sl_bm_reduce_register)
{
    static struct sl_bm_reduce args[SL_SIMD_COUNT][2][2];
    static char names[SL_SIMD_COUNT][2][2][64];
    for (int l = 0; l < SL_SIMD_COUNT; l++) {
        if (!sl_simd_supported((sl_simd_level)l))
            continue;
        for (int op = 0; op < 2; op++) {
            for (int dram = 0; dram < 2; dram++) {
                struct sl_bm_reduce *a = &args[l][op][dram];
                a->level = (sl_simd_level)l;
                a->op = op;
                a->dram = dram;
                snprintf(names[l][op][dram], sizeof(names[l][op][dram]), "reduce/%s_i64/%s/%s",
                         op ? "min" : "sum", dram ? "dram" : "batch", sl_simd_name(a->level));
                struct sl_bench_def *d = sl_bench_add(names[l][op][dram], bm_reduce, a);
                if (dram)
                    sl_bench_def_unit(d, 'm');
            }
        }
    }
}
