/*
 * kernels/reduce_avx512.c - AVX-512 variants of the reductions (compiled with -mavx512f and
 * friends; reached only through the dispatch in simd.c).
 *
 * NULLs cost nothing extra here: each byte of the validity bitmap is the write mask of eight
 * lanes. Selections gather eight rows at a time.
 */
#include <immintrin.h>

#include "kernels/reduce.h"

static inline __mmask8 sl_valid_mask8(const uint64_t *valid, uint32_t row)
{
    /* row is a multiple of 8: the mask is one byte of the bitmap */
    return valid ? (__mmask8)(valid[row >> 6] >> (row & 63u)) : (__mmask8)0xff;
}

static int64_t sl_reduce_sum_i64_avx512(const int64_t *restrict v, const uint64_t *restrict valid,
                                        const sl_sel_t *restrict sel, uint32_t n,
                                        uint64_t *restrict count)
{
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    uint64_t cnt = 0;
    uint32_t i = 0;
    if (!sel && !valid) {
        for (; i + 32 <= n; i += 32) {
            a0 = _mm512_add_epi64(a0, _mm512_loadu_si512(v + i));
            a1 = _mm512_add_epi64(a1, _mm512_loadu_si512(v + i + 8));
            a2 = _mm512_add_epi64(a2, _mm512_loadu_si512(v + i + 16));
            a3 = _mm512_add_epi64(a3, _mm512_loadu_si512(v + i + 24));
        }
        cnt = i;
    } else if (!sel) {
        for (; i + 8 <= n; i += 8) {
            __mmask8 m = sl_valid_mask8(valid, i);
            a0 = _mm512_mask_add_epi64(a0, m, a0, _mm512_loadu_si512(v + i));
            cnt += (uint64_t)__builtin_popcount(m);
        }
    } else {
        for (; i + 8 <= n; i += 8) {
            __m256i idx = _mm256_loadu_si256((const __m256i *)(sel + i));
            __mmask8 m = 0xff;
            if (valid) {
                /* gather the validity bits of the eight rows */
                m = 0;
                for (int k = 0; k < 8; k++)
                    m |= (__mmask8)(sl_valid_get(valid, sel[i + k]) << k);
            }
            __m512i x = _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), m, idx, v, 8);
            a0 = _mm512_add_epi64(a0, x);
            cnt += (uint64_t)__builtin_popcount(m);
        }
    }
    a0 = _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3));
    /* horizontal sum in uint64: _mm512_reduce_add_epi64 adds as signed long long in GCC's
     * header, which UBSan flags on wrap-around */
    uint64_t lanes[8];
    _mm512_storeu_si512((void *)lanes, a0);
    uint64_t sum = 0;
    for (int k = 0; k < 8; k++)
        sum += lanes[k];
    uint64_t tail_cnt = 0;
    for (; i < n; i++) {
        uint32_t r = sel ? sel[i] : i;
        uint64_t ok = sl_valid_get(valid, r);
        sum += (uint64_t)v[r] & (0 - ok);
        tail_cnt += ok;
    }
    *count = cnt + tail_cnt;
    return (int64_t)sum;
}

static bool sl_reduce_minmax_i64_avx512(const int64_t *restrict v, const uint64_t *restrict valid,
                                        const sl_sel_t *restrict sel, uint32_t n,
                                        int64_t *restrict out, bool want_min)
{
    const int64_t ident = want_min ? INT64_MAX : INT64_MIN;
    __m512i best = _mm512_set1_epi64(ident);
    uint64_t seen = 0;
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __mmask8 m;
        __m512i x;
        if (sel) {
            m = 0xff;
            if (valid) {
                m = 0;
                for (int k = 0; k < 8; k++)
                    m |= (__mmask8)(sl_valid_get(valid, sel[i + k]) << k);
            }
            __m256i idx = _mm256_loadu_si256((const __m256i *)(sel + i));
            x = _mm512_mask_i32gather_epi64(best, m, idx, v, 8);
        } else {
            m = sl_valid_mask8(valid, i);
            x = _mm512_mask_loadu_epi64(best, m, v + i);
        }
        best = want_min ? _mm512_min_epi64(best, x) : _mm512_max_epi64(best, x);
        seen += m != 0;
    }
    int64_t r = want_min ? _mm512_reduce_min_epi64(best) : _mm512_reduce_max_epi64(best);
    bool any = seen != 0;
    for (; i < n; i++) {
        uint32_t row = sel ? sel[i] : i;
        if (!sl_valid_get(valid, row))
            continue;
        if (!any || (want_min ? v[row] < r : v[row] > r))
            r = v[row];
        any = true;
    }
    if (any)
        *out = r;
    return any;
}

static bool sl_reduce_min_i64_avx512(const int64_t *restrict v, const uint64_t *restrict valid,
                                     const sl_sel_t *restrict sel, uint32_t n,
                                     int64_t *restrict out)
{
    return sl_reduce_minmax_i64_avx512(v, valid, sel, n, out, true);
}

static bool sl_reduce_max_i64_avx512(const int64_t *restrict v, const uint64_t *restrict valid,
                                     const sl_sel_t *restrict sel, uint32_t n,
                                     int64_t *restrict out)
{
    return sl_reduce_minmax_i64_avx512(v, valid, sel, n, out, false);
}

const struct sl_reduce_kernels sl_reduce_avx512 = {
    .sum_i64 = sl_reduce_sum_i64_avx512,
    .min_i64 = sl_reduce_min_i64_avx512,
    .max_i64 = sl_reduce_max_i64_avx512,
};
