/*
 * bench/window.c - window assignment per SIMD level on one cache-resident batch of
 * timestamps (about a day of epoch milliseconds, no NULLs, no selection): TUMBLE(1 min) and
 * HOP(size 10 s, slide 2 s). items_per_second counts input rows; hop also reports the
 * (row, window) pairs it wrote per row.
 */
#include <stdio.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include "kernels/window.h"

struct sl_bm_window {
    sl_simd_level level;
    int hop;
};

static void bm_window(struct sl_bench *b, void *arg)
{
    const struct sl_bm_window *p = arg;
    const struct sl_window_kernels *k = sl_window_kernels_for(p->level);
    static int64_t ts[SL_BATCH_CAP] __attribute__((aligned(64)));
    static int64_t o[SL_BATCH_CAP] __attribute__((aligned(64)));
    static uint32_t rows[SL_BATCH_CAP * 5];
    static int64_t starts[SL_BATCH_CAP * 5] __attribute__((aligned(64)));
    const uint32_t n = SL_BATCH_CAP;
    sl_bench_fill_i64(ts, n, 1700000000000ll, 1700000000000ll + 86400000ll, 21);
    int64_t pairs = 0;
    int bad = 0;
    while (sl_bench_running(b)) {
        if (p->hop) {
            pairs = k->hop(rows, starts, ts, NULL, NULL, n, 10000, 2000, 0);
            bad |= pairs < 0;
            sl_bench_keep(starts);
        } else {
            bad |= k->tumble(o, ts, 60000, 0, NULL, n);
            sl_bench_keep(o);
        }
    }
    if (bad)
        sl_bench_error(b, "kernel failed");
    sl_bench_items(b, n);
    if (p->hop)
        sl_bench_counter(b, "pairs_per_row", (double)pairs / n);
}

SL_BENCH_REGISTER(sl_bm_window_register)
{
    static struct sl_bm_window args[SL_SIMD_COUNT][2];
    static char names[SL_SIMD_COUNT][2][64];
    for (int l = 0; l < SL_SIMD_COUNT; l++) {
        if (!sl_simd_supported((sl_simd_level)l))
            continue;
        for (int h = 0; h < 2; h++) {
            struct sl_bm_window *a = &args[l][h];
            a->level = (sl_simd_level)l;
            a->hop = h;
            snprintf(names[l][h], sizeof(names[l][h]), "window/%s/%s",
                     h ? "hop_10s_2s" : "tumble_1min", sl_simd_name(a->level));
            sl_bench_add(names[l][h], bm_window, a);
        }
    }
}
