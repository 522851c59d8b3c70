/*
 * bench/arith.c - expression kernels per SIMD level on one cache-resident batch
 * (SL_BATCH_CAP rows, no NULLs, no selection): BIGINT add (column + column), multiply and
 * divide by a constant, DOUBLE multiply, DECIMAL multiply with its overflow check, and a
 * BIGINT CASE blend. items_per_second counts values written.
 */
#include <stdio.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include "kernels/arith.h"

enum sl_bm_arith_case {
    SL_BM_ADD_I64,
    SL_BM_MUL_I64_CONST,
    SL_BM_DIV_I64_CONST,
    SL_BM_MUL_F64,
    SL_BM_DEC_MUL,
    SL_BM_BLEND_I64,
    SL_BM_ARITH_CASES
};

static const char *const sl_bm_arith_names[SL_BM_ARITH_CASES] = {
    "add_i64", "mul_i64_const", "div_i64_const", "mul_f64", "dec_mul", "blend_i64"};

struct sl_bm_arith {
    sl_simd_level level;
    int which;
};

static void bm_arith(struct sl_bench *b, void *arg)
{
    const struct sl_bm_arith *p = arg;
    const struct sl_arith_kernels *k = sl_arith_kernels_for(p->level);
    static int64_t x[SL_BATCH_CAP] __attribute__((aligned(64)));
    static int64_t y[SL_BATCH_CAP] __attribute__((aligned(64)));
    static int64_t o[SL_BATCH_CAP] __attribute__((aligned(64)));
    static double fx[SL_BATCH_CAP] __attribute__((aligned(64)));
    static double fy[SL_BATCH_CAP] __attribute__((aligned(64)));
    static double fo[SL_BATCH_CAP] __attribute__((aligned(64)));
    static uint8_t cond[SL_BATCH_CAP];
    const uint32_t n = SL_BATCH_CAP;
    /* prices and quantities: DECIMAL(10, 2) values that multiply without overflow */
    sl_bench_fill_i64(x, n, -1000000, 1000000, 11);
    sl_bench_fill_i64(y, n, 1, 100000, 12);
    uint64_t rs = 13;
    for (uint32_t i = 0; i < n; i++) {
        fx[i] = (double)x[i] * 0.25;
        fy[i] = (double)y[i] * 0.5;
        cond[i] = (uint8_t)(sl_bench_rand(&rs) & 1);
    }
    uint32_t err = 0;
    int rc = 0;
    while (sl_bench_running(b)) {
        switch (p->which) {
        case SL_BM_ADD_I64:
            rc |= k->binop_i64(SL_ARITH_ADD, o, x, 0, y, 0, NULL, NULL, n, &err);
            break;
        case SL_BM_MUL_I64_CONST:
            rc |= k->binop_i64(SL_ARITH_MUL, o, x, 0, NULL, 1000, NULL, NULL, n, &err);
            break;
        case SL_BM_DIV_I64_CONST:
            rc |= k->binop_i64(SL_ARITH_DIV, o, x, 0, NULL, 1000, NULL, NULL, n, &err);
            break;
        case SL_BM_MUL_F64:
            k->binop_f64(SL_ARITH_MUL, fo, fx, 0, fy, 0, NULL, n);
            break;
        case SL_BM_DEC_MUL:
            rc |= k->dec_mul(o, x, 0, y, 0, NULL, NULL, n, &err);
            break;
        default:
            k->blend_i64(o, cond, NULL, x, 0, y, 0, NULL, n);
            break;
        }
        sl_bench_keep(o);
        sl_bench_keep(fo);
    }
    if (rc != 0)
        sl_bench_error(b, "kernel failed");
    sl_bench_items(b, n);
}

SL_BENCH_REGISTER(sl_bm_arith_register)
{
    static struct sl_bm_arith args[SL_SIMD_COUNT][SL_BM_ARITH_CASES];
    static char names[SL_SIMD_COUNT][SL_BM_ARITH_CASES][64];
    for (int l = 0; l < SL_SIMD_COUNT; l++) {
        if (!sl_simd_supported((sl_simd_level)l))
            continue;
        for (int c = 0; c < SL_BM_ARITH_CASES; c++) {
            struct sl_bm_arith *a = &args[l][c];
            a->level = (sl_simd_level)l;
            a->which = c;
            snprintf(names[l][c], sizeof(names[l][c]), "arith/%s/%s", sl_bm_arith_names[c],
                     sl_simd_name(a->level));
            sl_bench_add(names[l][c], bm_arith, a);
        }
    }
}
