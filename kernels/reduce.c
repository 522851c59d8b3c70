/*
 * kernels/reduce.c - scalar reference of the reductions, and the family's dispatch.
 */
#include "kernels/reduce.h"

static int64_t sl_reduce_sum_i64_scalar(const int64_t *restrict v, const uint64_t *restrict valid,
                                        const sl_sel_t *restrict sel, uint32_t n,
                                        uint64_t *restrict count)
{
    uint64_t sum = 0, cnt = 0;
    if (!valid && !sel) {
        for (uint32_t i = 0; i < n; i++)
            sum += (uint64_t)v[i];
        cnt = n;
    } else if (!valid) {
        for (uint32_t i = 0; i < n; i++)
            sum += (uint64_t)v[sel[i]];
        cnt = n;
    } else {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = sel ? sel[i] : i;
            uint64_t ok = sl_valid_get(valid, r);
            sum += (uint64_t)v[r] & (0 - ok);
            cnt += ok;
        }
    }
    *count = cnt;
    return (int64_t)sum;
}

#define SL_REDUCE_MINMAX(name, better)                                                \
    static bool name(const int64_t *restrict v, const uint64_t *restrict valid,       \
                     const sl_sel_t *restrict sel, uint32_t n, int64_t *restrict out) \
    {                                                                                 \
        bool any = false;                                                             \
        int64_t best = 0;                                                             \
        for (uint32_t i = 0; i < n; i++) {                                            \
            uint32_t r = sel ? sel[i] : i;                                            \
            if (!sl_valid_get(valid, r))                                              \
                continue;                                                             \
            if (!any || v[r] better best)                                             \
                best = v[r];                                                          \
            any = true;                                                               \
        }                                                                             \
        if (any)                                                                      \
            *out = best;                                                              \
        return any;                                                                   \
    }

SL_REDUCE_MINMAX(sl_reduce_min_i64_scalar, <)
SL_REDUCE_MINMAX(sl_reduce_max_i64_scalar, >)

const struct sl_reduce_kernels sl_reduce_scalar = {
    .sum_i64 = sl_reduce_sum_i64_scalar,
    .min_i64 = sl_reduce_min_i64_scalar,
    .max_i64 = sl_reduce_max_i64_scalar,
};

const struct sl_reduce_kernels *sl_reduce = &sl_reduce_scalar;

const struct sl_reduce_kernels *sl_reduce_kernels_for(sl_simd_level level)
{
    switch (level) {
    case SL_SIMD_AVX512:
        return &sl_reduce_avx512;
    case SL_SIMD_AVX2:
        return &sl_reduce_avx2;
    default:
        return &sl_reduce_scalar;
    }
}

void sl_reduce_kernels_activate(sl_simd_level level)
{
    sl_reduce = sl_reduce_kernels_for(level);
}
