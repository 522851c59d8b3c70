/*
 * kernels/hash_avx2.c - AVX2 variants of the key hashes (compiled with -mavx2; reached only
 * through the dispatch in simd.c). Bit-identical to hash.c.
 *
 * Four 64-bit lanes per step. AVX2 has no 64-bit multiply: x * M for the constant M is
 * lo(x)*lo(M) + ((hi(x)*lo(M) + lo(x)*hi(M)) << 32), three vpmuludq (see hash.h). Selections
 * gather four rows; the validity bits of selected rows are gathered as their bitmap words and
 * shifted into place, so NULLs never leave the vector path. Strings stay scalar (hash.c).
 */
#include <immintrin.h>

#include "kernels/hash.h"

/* The column is read in order: prefetching it 2 KiB ahead hides the DRAM latency where the
 * hardware prefetcher restarts at each 4 KiB page (a batch not in cache). */
#ifndef SL_HASH_STREAM_PF
#define SL_HASH_STREAM_PF 256
#endif

static inline __m256i sl_mul_m_avx2(__m256i x)
{
    const __m256i ml = _mm256_set1_epi64x((long long)(SL_HASH_MUL & 0xffffffffu));
    const __m256i mh = _mm256_set1_epi64x((long long)(SL_HASH_MUL >> 32));
    __m256i lo = _mm256_mul_epu32(x, ml);
    __m256i cross =
        _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x, 32), ml), _mm256_mul_epu32(x, mh));
    return _mm256_add_epi64(lo, _mm256_slli_epi64(cross, 32));
}

static inline __m256i sl_mix_avx2(__m256i x)
{
    x = _mm256_xor_si256(x, _mm256_srli_epi64(x, 32));
    x = sl_mul_m_avx2(x);
    x = _mm256_xor_si256(x, _mm256_srli_epi64(x, 32));
    x = sl_mul_m_avx2(x);
    return _mm256_xor_si256(x, _mm256_srli_epi64(x, 32));
}

/* All-ones lanes where the row holds a value. */
static inline __m256i sl_valid4_avx2(const uint64_t *valid, const sl_sel_t *sel, uint32_t i)
{
    if (!sel) {
        /* i is a multiple of 4: the four bits sit in one word */
        uint64_t bits = (valid[i >> 6] >> (i & 63u)) & 0xfu;
        __m256i b = _mm256_set1_epi64x((long long)bits);
        const __m256i lane = _mm256_setr_epi64x(1, 2, 4, 8);
        return _mm256_cmpeq_epi64(_mm256_and_si256(b, lane), lane);
    }
    __m128i idx = _mm_loadu_si128((const __m128i *)(sel + i));
    __m256i w = _mm256_i32gather_epi64((const long long *)valid, _mm_srli_epi32(idx, 6), 8);
    __m256i sh = _mm256_cvtepu32_epi64(_mm_and_si128(idx, _mm_set1_epi32(63)));
    __m256i one = _mm256_set1_epi64x(1);
    return _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_srlv_epi64(w, sh), one), one);
}

static inline __m256i sl_load4_i64(const int64_t *v, const sl_sel_t *sel, uint32_t i)
{
    if (!sel)
        return _mm256_loadu_si256((const __m256i *)(v + i));
    __m128i idx = _mm_loadu_si128((const __m128i *)(sel + i));
    return _mm256_i32gather_epi64((const long long *)v, idx, 8);
}

static inline __m256i sl_load4_i32(const int32_t *v, const sl_sel_t *sel, uint32_t i)
{
    if (!sel)
        return _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(v + i)));
    __m128i idx = _mm_loadu_si128((const __m128i *)(sel + i));
    return _mm256_cvtepi32_epi64(_mm_i32gather_epi32((const int *)v, idx, 4));
}

static inline __m256i sl_load4_f64(const double *v, const sl_sel_t *sel, uint32_t i)
{
    __m256d x;
    if (!sel) {
        x = _mm256_loadu_pd(v + i);
    } else {
        __m128i idx = _mm_loadu_si128((const __m128i *)(sel + i));
        x = _mm256_i32gather_pd(v, idx, 8);
    }
    __m256i nan = _mm256_castpd_si256(_mm256_cmp_pd(x, x, _CMP_UNORD_Q));
    __m256i zero = _mm256_castpd_si256(_mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_EQ_OQ));
    __m256i bits = _mm256_andnot_si256(zero, _mm256_castpd_si256(x));
    return _mm256_blendv_epi8(bits, _mm256_set1_epi64x((long long)SL_HASH_NAN_BITS), nan);
}

#define SL_WORD_I64(r) ((uint64_t)v[r])
#define SL_WORD_I32(r) ((uint64_t)(int64_t)v[r])
#define SL_WORD_F64(r) sl_hash_f64_bits(v[r])

#define SL_HASH_NUM_AVX2(name, T, LOAD, WORD)                                                  \
    static void name(const T *restrict v, const uint64_t *restrict valid,                      \
                     const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h)           \
    {                                                                                          \
        const __m256i seed = _mm256_set1_epi64x((long long)SL_HASH_SEED);                      \
        const __m256i null = _mm256_set1_epi64x((long long)SL_HASH_NULL);                      \
        uint32_t i = 0;                                                                        \
        for (; i + 4 <= n; i += 4) {                                                           \
            if (!sel)                                                                          \
                __builtin_prefetch(v + i + SL_HASH_STREAM_PF, 0, 3);                           \
            __m256i x = sl_mix_avx2(_mm256_xor_si256(LOAD(v, sel, i), seed));                  \
            if (valid)                                                                         \
                x = _mm256_blendv_epi8(null, x, sl_valid4_avx2(valid, sel, i));                \
            _mm256_storeu_si256((__m256i *)(h + i), x);                                        \
        }                                                                                      \
        for (; i < n; i++) {                                                                   \
            uint32_t r = sel ? sel[i] : i;                                                     \
            h[i] = sl_valid_get(valid, r) ? sl_hash_u64(WORD(r)) : SL_HASH_NULL;               \
        }                                                                                      \
    }                                                                                          \
    static void name##_combine(const T *restrict v, const uint64_t *restrict valid,            \
                               const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h) \
    {                                                                                          \
        const __m256i null = _mm256_set1_epi64x((long long)SL_HASH_NULL);                      \
        uint32_t i = 0;                                                                        \
        for (; i + 4 <= n; i += 4) {                                                           \
            __m256i x = LOAD(v, sel, i);                                                       \
            if (valid)                                                                         \
                x = _mm256_blendv_epi8(null, x, sl_valid4_avx2(valid, sel, i));                \
            __m256i old = _mm256_loadu_si256((const __m256i *)(h + i));                        \
            _mm256_storeu_si256((__m256i *)(h + i), sl_mix_avx2(_mm256_xor_si256(old, x)));    \
        }                                                                                      \
        for (; i < n; i++) {                                                                   \
            uint32_t r = sel ? sel[i] : i;                                                     \
            uint64_t x = sl_valid_get(valid, r) ? WORD(r) : SL_HASH_NULL;                      \
            h[i] = sl_hash_combine_u64(h[i], x);                                               \
        }                                                                                      \
    }

SL_HASH_NUM_AVX2(sl_hash_i64_avx2, int64_t, sl_load4_i64, SL_WORD_I64)
SL_HASH_NUM_AVX2(sl_hash_i32_avx2, int32_t, sl_load4_i32, SL_WORD_I32)
SL_HASH_NUM_AVX2(sl_hash_f64_avx2, double, sl_load4_f64, SL_WORD_F64)

/* Strings reuse the scalar reference: XXH3 of variable-length data does not vectorize
 * across rows (XXH3 itself uses SIMD inside one long string). */
const struct sl_hash_kernels sl_hash_avx2 = {
    .i64 = sl_hash_i64_avx2,
    .i32 = sl_hash_i32_avx2,
    .f64 = sl_hash_f64_avx2,
    .str = sl_hash_str_scalar,
    .combine_i64 = sl_hash_i64_avx2_combine,
    .combine_i32 = sl_hash_i32_avx2_combine,
    .combine_f64 = sl_hash_f64_avx2_combine,
    .combine_str = sl_hash_str_scalar_combine,
};
