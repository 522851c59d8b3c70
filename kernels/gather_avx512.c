/*
 * kernels/gather_avx512.c - AVX-512 variants of the gathers (compiled with -mavx512f and
 * friends; reached only through the dispatch in simd.c).
 *
 * 4- and 8-byte values use vpgatherdd / vpgatherdq, 16 or 8 positions per instruction, loading
 * a vector of positions before storing it (so dst == src stays safe). Validity bitmaps gather
 * the 32-bit word holding each selected bit, shift it into place and test it into a 16-bit
 * mask, 4 times per output word. The 16-byte views reuse the scalar loop: a view is one
 * 16-byte load and one store already, and a gather would only split it in two.
 * Tails (fewer than a vector, or a last partial bitmap word) go to the scalar reference.
 */
#include <immintrin.h>

#include "kernels/gather.h"

static void sl_gather_g32_avx512(const void *src, const sl_sel_t *restrict sel, uint32_t n,
                                 void *dst)
{
    uint32_t *d = dst;
    uint32_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512i idx = _mm512_loadu_si512(sel + j);
        _mm512_storeu_si512(d + j, _mm512_i32gather_epi32(idx, src, 4));
    }
    sl_gather_scalar.g32(src, sel + j, n - j, d + j);
}

static void sl_gather_g64_avx512(const void *src, const sl_sel_t *restrict sel, uint32_t n,
                                 void *dst)
{
    uint64_t *d = dst;
    uint32_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m256i i0 = _mm256_loadu_si256((const __m256i *)(sel + j));
        __m256i i1 = _mm256_loadu_si256((const __m256i *)(sel + j + 8));
        __m512i x0 = _mm512_i32gather_epi64(i0, src, 8);
        __m512i x1 = _mm512_i32gather_epi64(i1, src, 8);
        _mm512_storeu_si512(d + j, x0);
        _mm512_storeu_si512(d + j + 8, x1);
    }
    sl_gather_scalar.g64(src, sel + j, n - j, d + j);
}

static void sl_gather_g128_avx512(const void *src, const sl_sel_t *restrict sel, uint32_t n,
                                  void *dst)
{
    sl_gather_scalar.g128(src, sel, n, dst);
}

static void sl_gather_valid_avx512(const uint64_t *src, const sl_sel_t *restrict sel, uint32_t n,
                                   uint64_t *dst)
{
    const __m512i low5 = _mm512_set1_epi32(31), one = _mm512_set1_epi32(1);
    uint32_t w = 0;
    for (; (w + 1) * 64u <= n; w++) {
        uint64_t bits = 0;
        for (uint32_t q = 0; q < 4; q++) {
            __m512i rows = _mm512_loadu_si512(sel + w * 64u + q * 16u);
            __m512i x = _mm512_i32gather_epi32(_mm512_srli_epi32(rows, 5), src, 4);
            x = _mm512_srlv_epi32(x, _mm512_and_si512(rows, low5));
            bits |= (uint64_t)_mm512_test_epi32_mask(x, one) << (q * 16u);
        }
        dst[w] = bits;
    }
    sl_gather_scalar.valid(src, sel + w * 64u, n - w * 64u, dst + w);
}

const struct sl_gather_kernels sl_gather_avx512 = {
    .g32 = sl_gather_g32_avx512,
    .g64 = sl_gather_g64_avx512,
    .g128 = sl_gather_g128_avx512,
    .valid = sl_gather_valid_avx512,
};
