/*
 * kernels/arith.c - scalar reference of the arith family, and the family's dispatch.
 *
 * The reference is the portable loops of kernels/arith_impl.h compiled for baseline x86-64
 * (SSE2): plain C with Java's semantics spelled out row by row, which the SIMD levels are
 * tested against.
 */
#include "kernels/arith_impl.h"

const int64_t sl_arith_pow10[19] = {1,
                                    10,
                                    100,
                                    1000,
                                    10000,
                                    100000,
                                    1000000,
                                    10000000,
                                    100000000,
                                    1000000000,
                                    10000000000,
                                    100000000000,
                                    1000000000000,
                                    10000000000000,
                                    100000000000000,
                                    1000000000000000,
                                    10000000000000000,
                                    100000000000000000,
                                    1000000000000000000};

const struct sl_arith_kernels sl_arith_scalar = {
    .binop_i32 = sl_ai_binop32,
    .binop_i64 = sl_ai_binop64,
    .binop_f64 = sl_ai_binop_f64,
    .valid_and = sl_ai_valid_and,
    .dec_rescale_up = sl_ai_dec_rescale_up,
    .dec_rescale_down = sl_ai_dec_rescale_down,
    .dec_add = sl_ai_dec_add,
    .dec_sub = sl_ai_dec_sub,
    .dec_mul = sl_ai_dec_mul,
    .dec_div = sl_ai_dec_div,
    .dec_check_precision = sl_ai_dec_check_precision,
    .cast_i32_i64 = sl_ai_cast_i32_i64,
    .cast_i64_i32 = sl_ai_cast_i64_i32,
    .cast_i64_f64 = sl_ai_cast_i64_f64,
    .cast_f64_i64 = sl_ai_cast_f64_i64,
    .cast_i64_dec = sl_ai_cast_i64_dec,
    .cast_dec_f64 = sl_ai_cast_dec_f64,
    .blend_i32 = sl_ai_blend_i32,
    .blend_i64 = sl_ai_blend_i64,
    .blend_f64 = sl_ai_blend_f64,
    .blend_str = sl_ai_blend_str,
    .scatter_i32 = sl_ai_scatter_i32,
    .scatter_i64 = sl_ai_scatter_i64,
    .scatter_f64 = sl_ai_scatter_f64,
    .scatter_str = sl_ai_scatter_str,
};

const struct sl_arith_kernels *sl_arith = &sl_arith_scalar;

const struct sl_arith_kernels *sl_arith_kernels_for(sl_simd_level level)
{
    switch (level) {
    case SL_SIMD_AVX512:
        return &sl_arith_avx512;
    case SL_SIMD_AVX2:
        return &sl_arith_avx2;
    default:
        return &sl_arith_scalar;
    }
}

void sl_arith_kernels_activate(sl_simd_level level)
{
    sl_arith = sl_arith_kernels_for(level);
}
