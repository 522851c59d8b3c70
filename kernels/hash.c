/*
 * kernels/hash.c - scalar reference of the key hashes (see hash.h), the string hashes that
 * every level shares, and the family's dispatch.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "kernels/hash.h"

static inline uint64_t sl_hash_str1(const sl_str *s, uint64_t seed)
{
    return XXH3_64bits_withSeed(sl_str_data(s), s->len, seed);
}

/* One loop shape for every numeric type: WORD(r) is the 64-bit word of row r. */
#define SL_HASH_NUM_SCALAR(name, T, WORD)                                                      \
    static void name(const T *restrict v, const uint64_t *restrict valid,                      \
                     const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h)           \
    {                                                                                          \
        for (uint32_t i = 0; i < n; i++) {                                                     \
            uint32_t r = sel ? sel[i] : i;                                                     \
            h[i] = sl_valid_get(valid, r) ? sl_hash_u64(WORD(r)) : SL_HASH_NULL;               \
        }                                                                                      \
    }                                                                                          \
    static void name##_combine(const T *restrict v, const uint64_t *restrict valid,            \
                               const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h) \
    {                                                                                          \
        for (uint32_t i = 0; i < n; i++) {                                                     \
            uint32_t r = sel ? sel[i] : i;                                                     \
            uint64_t x = sl_valid_get(valid, r) ? WORD(r) : SL_HASH_NULL;                      \
            h[i] = sl_hash_combine_u64(h[i], x);                                               \
        }                                                                                      \
    }

#define SL_WORD_I64(r) ((uint64_t)v[r])
#define SL_WORD_I32(r) ((uint64_t)(int64_t)v[r])
#define SL_WORD_F64(r) sl_hash_f64_bits(v[r])

SL_HASH_NUM_SCALAR(sl_hash_i64_scalar, int64_t, SL_WORD_I64)
SL_HASH_NUM_SCALAR(sl_hash_i32_scalar, int32_t, SL_WORD_I32)
SL_HASH_NUM_SCALAR(sl_hash_f64_scalar, double, SL_WORD_F64)

/* Strings: scalar at every level (hash_avx2.c and hash_avx512.c point here). */
void sl_hash_str_scalar(const sl_str *restrict v, const uint64_t *restrict valid,
                        const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = sel ? sel[i] : i;
        h[i] = sl_valid_get(valid, r) ? sl_hash_str1(&v[r], SL_HASH_SEED) : SL_HASH_NULL;
    }
}

void sl_hash_str_scalar_combine(const sl_str *restrict v, const uint64_t *restrict valid,
                                const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = sel ? sel[i] : i;
        h[i] = sl_valid_get(valid, r) ? sl_hash_str1(&v[r], h[i])
                                      : sl_hash_combine_u64(h[i], SL_HASH_NULL);
    }
}

const struct sl_hash_kernels sl_hash_scalar = {
    .i64 = sl_hash_i64_scalar,
    .i32 = sl_hash_i32_scalar,
    .f64 = sl_hash_f64_scalar,
    .str = sl_hash_str_scalar,
    .combine_i64 = sl_hash_i64_scalar_combine,
    .combine_i32 = sl_hash_i32_scalar_combine,
    .combine_f64 = sl_hash_f64_scalar_combine,
    .combine_str = sl_hash_str_scalar_combine,
};

const struct sl_hash_kernels *sl_hash = &sl_hash_scalar;

const struct sl_hash_kernels *sl_hash_kernels_for(sl_simd_level level)
{
    switch (level) {
    case SL_SIMD_AVX512:
        return &sl_hash_avx512;
    case SL_SIMD_AVX2:
        return &sl_hash_avx2;
    default:
        return &sl_hash_scalar;
    }
}

void sl_hash_kernels_activate(sl_simd_level level)
{
    sl_hash = sl_hash_kernels_for(level);
}
