/*
 * bench/select.c - filters into a selection vector, per SIMD level, on one cache-resident
 * batch of SL_BATCH_CAP values: int64 `v < c` at selectivities 1%, 50% and 99%, over all rows
 * and through an input selection of half the rows (items/s = input positions per second),
 * and string EQ with a constant (inline and heap-resident constants).
 */
#include <stdio.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include "kernels/select.h"

struct sl_bm_filter {
    sl_simd_level level;
    unsigned pct; /* selectivity in percent */
    int with_sel;
};

static sl_sel_t sl_bm_in_sel[SL_BATCH_CAP] __attribute__((aligned(64)));
static sl_sel_t sl_bm_out[SL_BATCH_CAP] __attribute__((aligned(64)));

/* Every other row: a selection of half the batch, fixed so that runs compare. */
static uint32_t sl_bm_half_sel(void)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < SL_BATCH_CAP; i += 2)
        sl_bm_in_sel[k++] = i;
    return k;
}

static void bm_filter_i64(struct sl_bench *b, void *arg)
{
    const struct sl_bm_filter *p = arg;
    const struct sl_select_kernels *k = sl_select_kernels_for(p->level);
    static int64_t v[SL_BATCH_CAP] __attribute__((aligned(64)));
    sl_bench_fill_i64(v, SL_BATCH_CAP, 0, 999999, 11);
    int64_t c = (int64_t)p->pct * 10000;
    uint32_t n = SL_BATCH_CAP;
    const sl_sel_t *sel = NULL;
    if (p->with_sel) {
        n = sl_bm_half_sel();
        sel = sl_bm_in_sel;
    }
    uint64_t passed = 0, iters = 0;
    while (sl_bench_running(b)) {
        passed += k->i64_const(SL_CMP_LT, v, c, NULL, sel, n, sl_bm_out);
        iters++;
        sl_bench_keep(sl_bm_out);
    }
    sl_bench_items(b, n);
    sl_bench_counter(b, "selectivity", iters ? (double)passed / ((double)iters * n) : 0);
}

struct sl_bm_str {
    sl_simd_level level;
    int long_const;
};

static void bm_filter_str(struct sl_bench *b, void *arg)
{
    const struct sl_bm_str *p = arg;
    const struct sl_select_kernels *k = sl_select_kernels_for(p->level);
    static sl_str v[SL_BATCH_CAP];
    static char heap[SL_BATCH_CAP][24];
    uint64_t s = 3;
    /* 8 distinct values of the constant's length: about 1 row in 8 passes */
    uint32_t len = p->long_const ? 20 : 10;
    for (uint32_t i = 0; i < SL_BATCH_CAP; i++) {
        memset(heap[i], 'a', len);
        heap[i][len - 1] = (char)('a' + sl_bench_rand(&s) % 8);
        v[i] = sl_str_make(heap[i], len);
    }
    char cbuf[24];
    memset(cbuf, 'a', len);
    sl_str c = sl_str_make(cbuf, len);
    while (sl_bench_running(b)) {
        uint32_t r = k->str_const(SL_CMP_EQ, v, &c, NULL, NULL, SL_BATCH_CAP, sl_bm_out);
        sl_bench_keep(&r);
        sl_bench_keep(sl_bm_out);
    }
    sl_bench_items(b, SL_BATCH_CAP);
}

SL_BENCH_REGISTER(sl_bm_select_register)
{
    static const unsigned pcts[3] = {1, 50, 99};
    static struct sl_bm_filter args[SL_SIMD_COUNT][3][2];
    static char names[SL_SIMD_COUNT][3][2][64];
    static struct sl_bm_str sargs[SL_SIMD_COUNT][2];
    static char snames[SL_SIMD_COUNT][2][64];
    for (int l = 0; l < SL_SIMD_COUNT; l++) {
        if (!sl_simd_supported((sl_simd_level)l))
            continue;
        for (int q = 0; q < 3; q++) {
            for (int ws = 0; ws < 2; ws++) {
                struct sl_bm_filter *a = &args[l][q][ws];
                a->level = (sl_simd_level)l;
                a->pct = pcts[q];
                a->with_sel = ws;
                snprintf(names[l][q][ws], sizeof(names[l][q][ws]), "select/i64_lt/%s/%u%%/%s",
                         ws ? "sel" : "all", a->pct, sl_simd_name(a->level));
                sl_bench_add(names[l][q][ws], bm_filter_i64, a);
            }
        }
        for (int lc = 0; lc < 2; lc++) {
            struct sl_bm_str *a = &sargs[l][lc];
            a->level = (sl_simd_level)l;
            a->long_const = lc;
            snprintf(snames[l][lc], sizeof(snames[l][lc]), "select/str_eq/%s/%s",
                     lc ? "heap" : "inline", sl_simd_name(a->level));
            sl_bench_add(snames[l][lc], bm_filter_str, a);
        }
    }
}
