/*
 * kernels/gather_avx2.c - AVX2 variants of the gathers (compiled with -mavx2; reached only
 * through the dispatch in simd.c).
 *
 * 4- and 8-byte values use vpgatherdd / vpgatherdq, 8 or 4 positions per instruction, loading
 * a vector of positions before storing it (so dst == src stays safe). Validity bitmaps gather
 * the 32-bit word holding each selected bit, shift it into place and collect 8 bits per
 * movemask, 8 times per output word. The 16-byte views reuse the scalar loop: a view is one
 * 16-byte load and one store already, and a gather would only split it in two.
 * Tails (fewer than a vector, or a last partial bitmap word) go to the scalar reference.
 */
#include <immintrin.h>

#include "kernels/gather.h"

static void sl_gather_g32_avx2(const void *src, const sl_sel_t *restrict sel, uint32_t n, void *dst)
{
    uint32_t *d = dst;
    uint32_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256i idx = _mm256_loadu_si256((const __m256i *)(sel + j));
        _mm256_storeu_si256((__m256i *)(d + j), _mm256_i32gather_epi32((const int *)src, idx, 4));
    }
    sl_gather_scalar.g32(src, sel + j, n - j, d + j);
}

static void sl_gather_g64_avx2(const void *src, const sl_sel_t *restrict sel, uint32_t n, void *dst)
{
    uint64_t *d = dst;
    uint32_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m128i i0 = _mm_loadu_si128((const __m128i *)(sel + j));
        __m128i i1 = _mm_loadu_si128((const __m128i *)(sel + j + 4));
        __m256i x0 = _mm256_i32gather_epi64((const long long *)src, i0, 8);
        __m256i x1 = _mm256_i32gather_epi64((const long long *)src, i1, 8);
        _mm256_storeu_si256((__m256i *)(d + j), x0);
        _mm256_storeu_si256((__m256i *)(d + j + 4), x1);
    }
    sl_gather_scalar.g64(src, sel + j, n - j, d + j);
}

static void sl_gather_g128_avx2(const void *src, const sl_sel_t *restrict sel, uint32_t n,
                                void *dst)
{
    sl_gather_scalar.g128(src, sel, n, dst);
}

static void sl_gather_valid_avx2(const uint64_t *src, const sl_sel_t *restrict sel, uint32_t n,
                                 uint64_t *dst)
{
    const __m256i low5 = _mm256_set1_epi32(31);
    uint32_t w = 0;
    for (; (w + 1) * 64u <= n; w++) {
        uint64_t bits = 0;
        for (uint32_t q = 0; q < 8; q++) {
            __m256i rows = _mm256_loadu_si256((const __m256i *)(sel + w * 64u + q * 8u));
            __m256i x = _mm256_i32gather_epi32((const int *)src, _mm256_srli_epi32(rows, 5), 4);
            x = _mm256_slli_epi32(_mm256_srlv_epi32(x, _mm256_and_si256(rows, low5)), 31);
            bits |= (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(x)) << (q * 8u);
        }
        dst[w] = bits;
    }
    sl_gather_scalar.valid(src, sel + w * 64u, n - w * 64u, dst + w);
}

const struct sl_gather_kernels sl_gather_avx2 = {
    .g32 = sl_gather_g32_avx2,
    .g64 = sl_gather_g64_avx2,
    .g128 = sl_gather_g128_avx2,
    .valid = sl_gather_valid_avx2,
};
