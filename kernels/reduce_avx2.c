/*
 * kernels/reduce_avx2.c - AVX2 variants of the reductions (compiled with -mavx2; reached only
 * through the dispatch in simd.c).
 *
 * The dense, NULL-free sum runs four 256-bit accumulators so that a DRAM-resident column
 * streams at the memory's speed; other shapes fall back to the scalar loops, which the
 * compiler vectorizes for AVX2 in this file.
 */
#include <immintrin.h>

#include "kernels/reduce.h"

static int64_t sl_reduce_sum_i64_avx2(const int64_t *restrict v, const uint64_t *restrict valid,
                                      const sl_sel_t *restrict sel, uint32_t n,
                                      uint64_t *restrict count)
{
    if (valid || sel)
        return sl_reduce_scalar.sum_i64(v, valid, sel, n, count);
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_add_epi64(a0, _mm256_loadu_si256((const __m256i *)(v + i)));
        a1 = _mm256_add_epi64(a1, _mm256_loadu_si256((const __m256i *)(v + i + 4)));
        a2 = _mm256_add_epi64(a2, _mm256_loadu_si256((const __m256i *)(v + i + 8)));
        a3 = _mm256_add_epi64(a3, _mm256_loadu_si256((const __m256i *)(v + i + 12)));
    }
    a0 = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, a0);
    uint64_t sum = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    for (; i < n; i++)
        sum += (uint64_t)v[i];
    *count = n;
    return (int64_t)sum;
}

static bool sl_reduce_minmax_i64_avx2(const int64_t *restrict v, const uint64_t *restrict valid,
                                      const sl_sel_t *restrict sel, uint32_t n,
                                      int64_t *restrict out, bool want_min)
{
    if (valid || sel || n == 0)
        return want_min ? sl_reduce_scalar.min_i64(v, valid, sel, n, out)
                        : sl_reduce_scalar.max_i64(v, valid, sel, n, out);
    __m256i best = _mm256_set1_epi64x(v[0]);
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(v + i));
        __m256i gt = _mm256_cmpgt_epi64(x, best);
        /* min keeps best where x > best; max takes x there */
        best = want_min ? _mm256_blendv_epi8(x, best, gt) : _mm256_blendv_epi8(best, x, gt);
    }
    int64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, best);
    int64_t r = lanes[0];
    for (int k = 1; k < 4; k++)
        r = want_min ? (lanes[k] < r ? lanes[k] : r) : (lanes[k] > r ? lanes[k] : r);
    for (; i < n; i++)
        r = want_min ? (v[i] < r ? v[i] : r) : (v[i] > r ? v[i] : r);
    *out = r;
    return true;
}

static bool sl_reduce_min_i64_avx2(const int64_t *restrict v, const uint64_t *restrict valid,
                                   const sl_sel_t *restrict sel, uint32_t n, int64_t *restrict out)
{
    return sl_reduce_minmax_i64_avx2(v, valid, sel, n, out, true);
}

static bool sl_reduce_max_i64_avx2(const int64_t *restrict v, const uint64_t *restrict valid,
                                   const sl_sel_t *restrict sel, uint32_t n, int64_t *restrict out)
{
    return sl_reduce_minmax_i64_avx2(v, valid, sel, n, out, false);
}

const struct sl_reduce_kernels sl_reduce_avx2 = {
    .sum_i64 = sl_reduce_sum_i64_avx2,
    .min_i64 = sl_reduce_min_i64_avx2,
    .max_i64 = sl_reduce_max_i64_avx2,
};
