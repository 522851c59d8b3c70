/*
 * kernels/hash_avx512.c - AVX-512 variants of the key hashes (compiled with -mavx512f/dq and
 * friends; reached only through the dispatch in simd.c). Bit-identical to hash.c.
 *
 * Eight 64-bit lanes per step and a native 64-bit multiply (vpmullq, AVX-512DQ). A byte of
 * the validity bitmap is the NULL mask of eight consecutive rows; for a selection the bitmap
 * words of the eight rows are gathered and each lane's bit shifted into place. Strings stay
 * scalar (hash.c).
 */
#include <immintrin.h>

#include "kernels/hash.h"

/* The column is read in order: prefetching it 2 KiB ahead (once per cache line) hides the
 * DRAM latency where the hardware prefetcher restarts at each 4 KiB page, when a batch is not
 * in cache (bench/hashagg.c: the hash pass 1.16 -> 0.88 ns per row from DRAM). */
#ifndef SL_HASH_STREAM_PF
#define SL_HASH_STREAM_PF 256
#endif

static inline __m512i sl_mix_avx512(__m512i x)
{
    const __m512i m = _mm512_set1_epi64((long long)SL_HASH_MUL);
    x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 32));
    x = _mm512_mullo_epi64(x, m);
    x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 32));
    x = _mm512_mullo_epi64(x, m);
    return _mm512_xor_si512(x, _mm512_srli_epi64(x, 32));
}

static inline __mmask8 sl_valid8_avx512(const uint64_t *valid, const sl_sel_t *sel, uint32_t i)
{
    if (!sel) /* i is a multiple of 8: one byte of the bitmap */
        return (__mmask8)(valid[i >> 6] >> (i & 63u));
    __m256i idx = _mm256_loadu_si256((const __m256i *)(sel + i));
    __m512i w = _mm512_i32gather_epi64(_mm256_srli_epi32(idx, 6), (const void *)valid, 8);
    __m512i sh = _mm512_cvtepu32_epi64(_mm256_and_si256(idx, _mm256_set1_epi32(63)));
    return _mm512_test_epi64_mask(_mm512_srlv_epi64(w, sh), _mm512_set1_epi64(1));
}

static inline __m512i sl_load8_i64(const int64_t *v, const sl_sel_t *sel, uint32_t i)
{
    if (!sel)
        return _mm512_loadu_si512(v + i);
    __m256i idx = _mm256_loadu_si256((const __m256i *)(sel + i));
    return _mm512_i32gather_epi64(idx, (const void *)v, 8);
}

static inline __m512i sl_load8_i32(const int32_t *v, const sl_sel_t *sel, uint32_t i)
{
    if (!sel)
        return _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(v + i)));
    __m256i idx = _mm256_loadu_si256((const __m256i *)(sel + i));
    return _mm512_cvtepi32_epi64(_mm256_i32gather_epi32((const int *)v, idx, 4));
}

static inline __m512i sl_load8_f64(const double *v, const sl_sel_t *sel, uint32_t i)
{
    __m512d x;
    if (!sel) {
        x = _mm512_loadu_pd(v + i);
    } else {
        __m256i idx = _mm256_loadu_si256((const __m256i *)(sel + i));
        x = _mm512_i32gather_pd(idx, (const void *)v, 8);
    }
    __mmask8 nan = _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q);
    __mmask8 zero = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_EQ_OQ);
    __m512i bits = _mm512_maskz_mov_epi64((__mmask8)~zero, _mm512_castpd_si512(x));
    return _mm512_mask_mov_epi64(bits, nan, _mm512_set1_epi64((long long)SL_HASH_NAN_BITS));
}

#define SL_WORD_I64(r) ((uint64_t)v[r])
#define SL_WORD_I32(r) ((uint64_t)(int64_t)v[r])
#define SL_WORD_F64(r) sl_hash_f64_bits(v[r])

#define SL_HASH_NUM_AVX512(name, T, LOAD, WORD)                                                \
    static void name(const T *restrict v, const uint64_t *restrict valid,                      \
                     const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h)           \
    {                                                                                          \
        const __m512i seed = _mm512_set1_epi64((long long)SL_HASH_SEED);                       \
        const __m512i null = _mm512_set1_epi64((long long)SL_HASH_NULL);                       \
        uint32_t i = 0;                                                                        \
        for (; i + 8 <= n; i += 8) {                                                           \
            if (!sel)                                                                          \
                __builtin_prefetch(v + i + SL_HASH_STREAM_PF, 0, 3);                           \
            __m512i x = sl_mix_avx512(_mm512_xor_si512(LOAD(v, sel, i), seed));                \
            if (valid)                                                                         \
                x = _mm512_mask_mov_epi64(null, sl_valid8_avx512(valid, sel, i), x);           \
            _mm512_storeu_si512(h + i, x);                                                     \
        }                                                                                      \
        for (; i < n; i++) {                                                                   \
            uint32_t r = sel ? sel[i] : i;                                                     \
            h[i] = sl_valid_get(valid, r) ? sl_hash_u64(WORD(r)) : SL_HASH_NULL;               \
        }                                                                                      \
    }                                                                                          \
    static void name##_combine(const T *restrict v, const uint64_t *restrict valid,            \
                               const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h) \
    {                                                                                          \
        const __m512i null = _mm512_set1_epi64((long long)SL_HASH_NULL);                       \
        uint32_t i = 0;                                                                        \
        for (; i + 8 <= n; i += 8) {                                                           \
            __m512i x = LOAD(v, sel, i);                                                       \
            if (valid)                                                                         \
                x = _mm512_mask_mov_epi64(null, sl_valid8_avx512(valid, sel, i), x);           \
            __m512i old = _mm512_loadu_si512(h + i);                                           \
            _mm512_storeu_si512(h + i, sl_mix_avx512(_mm512_xor_si512(old, x)));               \
        }                                                                                      \
        for (; i < n; i++) {                                                                   \
            uint32_t r = sel ? sel[i] : i;                                                     \
            uint64_t x = sl_valid_get(valid, r) ? WORD(r) : SL_HASH_NULL;                      \
            h[i] = sl_hash_combine_u64(h[i], x);                                               \
        }                                                                                      \
    }

SL_HASH_NUM_AVX512(sl_hash_i64_avx512, int64_t, sl_load8_i64, SL_WORD_I64)
SL_HASH_NUM_AVX512(sl_hash_i32_avx512, int32_t, sl_load8_i32, SL_WORD_I32)
SL_HASH_NUM_AVX512(sl_hash_f64_avx512, double, sl_load8_f64, SL_WORD_F64)

/* Strings reuse the scalar reference (see hash_avx2.c). */
const struct sl_hash_kernels sl_hash_avx512 = {
    .i64 = sl_hash_i64_avx512,
    .i32 = sl_hash_i32_avx512,
    .f64 = sl_hash_f64_avx512,
    .str = sl_hash_str_scalar,
    .combine_i64 = sl_hash_i64_avx512_combine,
    .combine_i32 = sl_hash_i32_avx512_combine,
    .combine_f64 = sl_hash_f64_avx512_combine,
    .combine_str = sl_hash_str_scalar_combine,
};
