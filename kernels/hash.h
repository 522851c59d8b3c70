/*
 * kernels/hash.h - 64-bit hashes of key columns, one per position, for GROUP BY, joins and
 * the exchange by key. Every SIMD level returns bit-for-bit the scalar reference's hashes, so
 * a hash computed on one machine (or level) can be compared with one computed on another.
 *
 * THE FUNCTION
 * Integers go through a multiply-xorshift mixer, sl_hash_mix64 below:
 *
 *     x ^= x >> 32;  x *= M;  x ^= x >> 32;  x *= M;  x ^= x >> 32;
 *
 * Two multiplies and three xorshifts give full avalanche (every input bit flips every output
 * bit with probability close to 1/2), so the low bits - the slot index of an open-addressing
 * table - are as good as the high bits, even for keys that are small dense integers or
 * multiples of a power of two (timestamps, window starts). Why this shape rather than a
 * table-driven or CRC hash: it vectorizes. AVX-512DQ multiplies 64-bit lanes directly
 * (vpmullq); AVX2 has only 32x32->64 multiplies, and with a constant M the 64-bit product
 * lo(x)*lo(M) + ((hi(x)*lo(M) + lo(x)*hi(M)) << 32) costs three vpmuludq - and the shift by
 * exactly 32 makes hi(x) the same register operation as the xorshift. A CRC32 hash would be
 * one instruction per value but gives only 32 bits, poorly mixed in the low ones.
 * The input is first XORed with a seed so that 0 does not hash to 0.
 *
 *   type      what is hashed
 *   BIGINT    the 64 bits
 *   INT       the value sign-extended to 64 bits (so INT 5 and BIGINT 5 hash alike)
 *   DOUBLE    the 64 bits after normalization: -0.0 becomes 0.0 and every NaN becomes the
 *             one canonical quiet NaN (SQL GROUP BY puts all NaNs, and both zeros, in one
 *             group)
 *   VARCHAR   XXH3_64bits of the bytes (scalar at every level: strings do not vectorize)
 *   NULL      the constant SL_HASH_NULL, whatever the type (NULL is one group)
 *
 * Multi-column keys: hash the first column, then `combine` each further column into the
 * hashes: h = mix64(h ^ x) for numbers (x as above, SL_HASH_NULL for a NULL) and
 * h = XXH3_64bits_withSeed(bytes, h) for strings. The order of the columns matters.
 *
 * CONVENTIONS: (v, valid, sel, n) as in kernels/kcommon.h; the output `h` is indexed by
 * POSITION (h[i] for position i, dense), not by row: the hash table probes positions.
 */
#ifndef SL_KERNELS_HASH_H
#define SL_KERNELS_HASH_H

#include "kernels/kcommon.h"
#include "kernels/simd.h"

#define SL_HASH_SEED 0x9e3779b97f4a7c15ull
#define SL_HASH_MUL 0xd6e8feb86659fd93ull
#define SL_HASH_NULL 0x5be0cd19137e2179ull
/* The canonical NaN that every NaN is normalized to. */
#define SL_HASH_NAN_BITS 0x7ff8000000000000ull

static inline uint64_t sl_hash_mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= SL_HASH_MUL;
    x ^= x >> 32;
    x *= SL_HASH_MUL;
    x ^= x >> 32;
    return x;
}

/* The hash of one 64-bit word (a BIGINT, or a normalized DOUBLE's bits). */
static inline uint64_t sl_hash_u64(uint64_t x)
{
    return sl_hash_mix64(x ^ SL_HASH_SEED);
}

/* Mixes the word x into the hash h. */
static inline uint64_t sl_hash_combine_u64(uint64_t h, uint64_t x)
{
    return sl_hash_mix64(h ^ x);
}

/* The bits of a double after normalization (-0.0 -> 0.0, any NaN -> SL_HASH_NAN_BITS). */
static inline uint64_t sl_hash_f64_bits(double d)
{
    uint64_t b;
    if (d != d)
        return SL_HASH_NAN_BITS;
    if (d == 0.0)
        return 0;
    memcpy(&b, &d, sizeof(b));
    return b;
}

struct sl_hash_kernels {
    /* h[i] = hash of the value at position i (SL_HASH_NULL where NULL). */
    void (*i64)(const int64_t *restrict v, const uint64_t *restrict valid,
                const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h);
    void (*i32)(const int32_t *restrict v, const uint64_t *restrict valid,
                const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h);
    void (*f64)(const double *restrict v, const uint64_t *restrict valid,
                const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h);
    void (*str)(const sl_str *restrict v, const uint64_t *restrict valid,
                const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h);
    /* h[i] = combine(h[i], value at position i): multi-column keys. */
    void (*combine_i64)(const int64_t *restrict v, const uint64_t *restrict valid,
                        const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h);
    void (*combine_i32)(const int32_t *restrict v, const uint64_t *restrict valid,
                        const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h);
    void (*combine_f64)(const double *restrict v, const uint64_t *restrict valid,
                        const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h);
    void (*combine_str)(const sl_str *restrict v, const uint64_t *restrict valid,
                        const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h);
};

/* The string hashes, scalar at every level (each level's table points at them). */
void sl_hash_str_scalar(const sl_str *restrict v, const uint64_t *restrict valid,
                        const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h);
void sl_hash_str_scalar_combine(const sl_str *restrict v, const uint64_t *restrict valid,
                                const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict h);

extern const struct sl_hash_kernels sl_hash_scalar;
extern const struct sl_hash_kernels sl_hash_avx2;
extern const struct sl_hash_kernels sl_hash_avx512;

/* The active table (scalar until sl_simd_init()). */
extern const struct sl_hash_kernels *sl_hash;

const struct sl_hash_kernels *sl_hash_kernels_for(sl_simd_level level);
void sl_hash_kernels_activate(sl_simd_level level);

#endif
