/*
 * kernels/select_avx2.c - AVX2 variants of the filters (compiled with -mavx2; reached only
 * through the dispatch in simd.c).
 *
 * HOW IT WORKS
 * A filter runs over blocks of 8 positions. Each block yields an 8-bit mask of the positions
 * that pass (compare + movemask, ANDed with one byte of the validity bitmap, or with the
 * validity bits gathered for selected rows). The mask indexes a 256-entry table whose entry
 * packs, one byte each, the lanes of the set bits in order (mask 0b1010 -> bytes 1, 3); widened
 * to eight 32-bit lanes it is either added to the block's first row (no input selection) or
 * used as a permutation of the eight selected rows. The whole vector of 8 rows is stored at
 * sel_out + k and k advances by the popcount: the lanes past the count are garbage that the
 * next block overwrites. That store never reaches past position i + 7 of the block being
 * processed (k <= i), whose input was loaded before the store, so sel_out == sel is safe, and
 * it never reaches past n. The table is built at compile time from SL_LUT_* macros.
 *
 * `op` is dispatched once: each kernel is an always-inline driver instantiated per op by a
 * switch, so the compare in the loop is a constant. AVX2 has only == and signed > for
 * integers; the other ops swap operands or invert the mask. With a selection, values are
 * loaded one by one into a vector: that measured 2.5x faster than vpgatherdq / vpgatherdd
 * here (AVX-512's 8- and 16-lane gathers did pay, see select_avx512.c); the validity bits of
 * selected rows are still gathered, one vpgatherdd per 8 rows. The last n % 8 positions go to
 * the scalar reference.
 *
 * Reused from the scalar reference (SIMD does not pay there): strings compared for order,
 * strings column-vs-column, LIKE-prefix, and the selection logic (merges are sequential).
 */
#include <immintrin.h>

#include "kernels/select.h"

#define SL_AI static inline __attribute__((always_inline))

/* ---- the compress table ------------------------------------------------------------------- */

#define SL_LUT_POP(m)                                                                      \
    (((m)&1) + (((m) >> 1) & 1) + (((m) >> 2) & 1) + (((m) >> 3) & 1) + (((m) >> 4) & 1) + \
     (((m) >> 5) & 1) + (((m) >> 6) & 1) + (((m) >> 7) & 1))
#define SL_LUT_LANE(m, j) \
    ((((m) >> (j)) & 1) ? ((uint64_t)(j) << (8 * SL_LUT_POP((m) & ((1u << (j)) - 1u)))) : 0u)
#define SL_LUT_ENTRY(m)                                                              \
    (SL_LUT_LANE(m, 0) | SL_LUT_LANE(m, 1) | SL_LUT_LANE(m, 2) | SL_LUT_LANE(m, 3) | \
     SL_LUT_LANE(m, 4) | SL_LUT_LANE(m, 5) | SL_LUT_LANE(m, 6) | SL_LUT_LANE(m, 7))
#define SL_LUT_4(m) \
    SL_LUT_ENTRY((m) + 0u), SL_LUT_ENTRY((m) + 1u), SL_LUT_ENTRY((m) + 2u), SL_LUT_ENTRY((m) + 3u)
#define SL_LUT_16(m) SL_LUT_4((m) + 0u), SL_LUT_4((m) + 4u), SL_LUT_4((m) + 8u), SL_LUT_4((m) + 12u)
#define SL_LUT_64(m) \
    SL_LUT_16((m) + 0u), SL_LUT_16((m) + 16u), SL_LUT_16((m) + 32u), SL_LUT_16((m) + 48u)

static const uint64_t sl_sel_lut[256] = {SL_LUT_64(0u), SL_LUT_64(64u), SL_LUT_64(128u),
                                         SL_LUT_64(192u)};

SL_AI __m256i sl_lut_perm(uint32_t m)
{
    return _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)sl_sel_lut[m]));
}

/* Writes rows base + lane for the set bits of m at out + k; returns the new k. */
SL_AI uint32_t sl_emit8_dense(sl_sel_t *out, uint32_t k, uint32_t base, uint32_t m)
{
    __m256i rows = _mm256_add_epi32(sl_lut_perm(m), _mm256_set1_epi32((int)base));
    _mm256_storeu_si256((__m256i *)(out + k), rows);
    return k + (uint32_t)__builtin_popcount(m);
}

/* Writes the lanes of `rows` for the set bits of m at out + k; returns the new k. */
SL_AI uint32_t sl_emit8_sel(sl_sel_t *out, uint32_t k, __m256i rows, uint32_t m)
{
    _mm256_storeu_si256((__m256i *)(out + k), _mm256_permutevar8x32_epi32(rows, sl_lut_perm(m)));
    return k + (uint32_t)__builtin_popcount(m);
}

/* The validity bits of rows i .. i+7 (i a multiple of 8). */
SL_AI uint32_t sl_valid8(const uint64_t *valid, uint32_t i)
{
    return (uint32_t)(valid[i >> 6] >> (i & 63u)) & 0xffu;
}

/* The validity bits of the eight rows in `rows`: gathers the 32-bit word holding each bit. */
SL_AI uint32_t sl_valid8_gather(const uint64_t *valid, __m256i rows)
{
    __m256i w = _mm256_i32gather_epi32((const int *)valid, _mm256_srli_epi32(rows, 5), 4);
    w = _mm256_srlv_epi32(w, _mm256_and_si256(rows, _mm256_set1_epi32(31)));
    w = _mm256_slli_epi32(w, 31);
    return (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(w));
}

/* The positions after the vector loop: sel + i, or the rows i .. n-1 written into tmp. */
SL_AI const sl_sel_t *sl_tail_sel(const sl_sel_t *sel, uint32_t i, uint32_t n, sl_sel_t tmp[8])
{
    if (sel)
        return sel + i;
    for (uint32_t j = 0; i + j < n; j++)
        tmp[j] = i + j;
    return tmp;
}

/* k = DRV(op, args...) with op a constant; returns 0 for an unknown op. */
#define SL_OP_SWITCH(op, DRV, ...)       \
    switch (op) {                        \
    case SL_CMP_EQ:                      \
        k = DRV(SL_CMP_EQ, __VA_ARGS__); \
        break;                           \
    case SL_CMP_NE:                      \
        k = DRV(SL_CMP_NE, __VA_ARGS__); \
        break;                           \
    case SL_CMP_LT:                      \
        k = DRV(SL_CMP_LT, __VA_ARGS__); \
        break;                           \
    case SL_CMP_LE:                      \
        k = DRV(SL_CMP_LE, __VA_ARGS__); \
        break;                           \
    case SL_CMP_GT:                      \
        k = DRV(SL_CMP_GT, __VA_ARGS__); \
        break;                           \
    case SL_CMP_GE:                      \
        k = DRV(SL_CMP_GE, __VA_ARGS__); \
        break;                           \
    default:                             \
        return 0;                        \
    }

/* ---- per-type compares: a mask of the lanes where x op y ---------------------------------- */

SL_AI uint32_t sl_mm_pd(__m256d v)
{
    return (uint32_t)_mm256_movemask_pd(v);
}

SL_AI uint32_t sl_cmp4_i64(int op, __m256i x, __m256i y)
{
    switch (op) {
    case SL_CMP_EQ:
        return sl_mm_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(x, y)));
    case SL_CMP_NE:
        return sl_mm_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(x, y))) ^ 0xfu;
    case SL_CMP_LT:
        return sl_mm_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(y, x)));
    case SL_CMP_LE:
        return sl_mm_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(x, y))) ^ 0xfu;
    case SL_CMP_GT:
        return sl_mm_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(x, y)));
    case SL_CMP_GE:
        return sl_mm_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(y, x))) ^ 0xfu;
    default:
        return 0;
    }
}

SL_AI uint32_t sl_cmp4_f64(int op, __m256d x, __m256d y)
{
    /* ordered compares are false with NaN; NE is unordered-or-not-equal, true with NaN */
    switch (op) {
    case SL_CMP_EQ:
        return sl_mm_pd(_mm256_cmp_pd(x, y, _CMP_EQ_OQ));
    case SL_CMP_NE:
        return sl_mm_pd(_mm256_cmp_pd(x, y, _CMP_NEQ_UQ));
    case SL_CMP_LT:
        return sl_mm_pd(_mm256_cmp_pd(x, y, _CMP_LT_OQ));
    case SL_CMP_LE:
        return sl_mm_pd(_mm256_cmp_pd(x, y, _CMP_LE_OQ));
    case SL_CMP_GT:
        return sl_mm_pd(_mm256_cmp_pd(x, y, _CMP_GT_OQ));
    case SL_CMP_GE:
        return sl_mm_pd(_mm256_cmp_pd(x, y, _CMP_GE_OQ));
    default:
        return 0;
    }
}

SL_AI uint32_t sl_mm_ps(__m256i v)
{
    return (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(v));
}

SL_AI uint32_t sl_cmp8_i32(int op, __m256i x, __m256i y)
{
    switch (op) {
    case SL_CMP_EQ:
        return sl_mm_ps(_mm256_cmpeq_epi32(x, y));
    case SL_CMP_NE:
        return sl_mm_ps(_mm256_cmpeq_epi32(x, y)) ^ 0xffu;
    case SL_CMP_LT:
        return sl_mm_ps(_mm256_cmpgt_epi32(y, x));
    case SL_CMP_LE:
        return sl_mm_ps(_mm256_cmpgt_epi32(x, y)) ^ 0xffu;
    case SL_CMP_GT:
        return sl_mm_ps(_mm256_cmpgt_epi32(x, y));
    case SL_CMP_GE:
        return sl_mm_ps(_mm256_cmpgt_epi32(y, x)) ^ 0xffu;
    default:
        return 0;
    }
}

/* unsigned bytes in the low 8 lanes: x <= y is min(x, y) == x */
SL_AI uint32_t sl_cmp8_u8(int op, __m128i x, __m128i y)
{
    uint32_t r;
    switch (op) {
    case SL_CMP_EQ:
        r = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
        break;
    case SL_CMP_NE:
        r = ~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
        break;
    case SL_CMP_LT:
        r = ~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(x, y), x));
        break;
    case SL_CMP_LE:
        r = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, y), x));
        break;
    case SL_CMP_GT:
        r = ~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, y), x));
        break;
    case SL_CMP_GE:
        r = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(x, y), x));
        break;
    default:
        r = 0;
        break;
    }
    return r & 0xffu;
}

/* ---- per-type blocks of 8 positions: dense (rows i..i+7) and selected (rows in `rows`,
 * also readable as s[0..7]); b == NULL compares with the constant cv ------------------------ */

SL_AI uint32_t sl_blk_i64(int op, const int64_t *a, const int64_t *b, __m256i cv, uint32_t i)
{
    __m256i y0 = b ? _mm256_loadu_si256((const __m256i *)(b + i)) : cv;
    __m256i y1 = b ? _mm256_loadu_si256((const __m256i *)(b + i + 4)) : cv;
    return sl_cmp4_i64(op, _mm256_loadu_si256((const __m256i *)(a + i)), y0) |
           sl_cmp4_i64(op, _mm256_loadu_si256((const __m256i *)(a + i + 4)), y1) << 4;
}

/* Selected rows are loaded one by one: on cores with the Gather Data Sampling mitigation
 * vpgatherdq is slower than scalar loads (measured here: 1.0 G positions/s with gathers,
 * 2.5 G with scalar loads, for int64 through a selection). */
SL_AI uint32_t sl_blkg_i64(int op, const int64_t *a, const int64_t *b, __m256i cv, __m256i rows,
                           const sl_sel_t *s)
{
    (void)rows;
    __m256i y0 = b ? _mm256_setr_epi64x(b[s[0]], b[s[1]], b[s[2]], b[s[3]]) : cv;
    __m256i y1 = b ? _mm256_setr_epi64x(b[s[4]], b[s[5]], b[s[6]], b[s[7]]) : cv;
    return sl_cmp4_i64(op, _mm256_setr_epi64x(a[s[0]], a[s[1]], a[s[2]], a[s[3]]), y0) |
           sl_cmp4_i64(op, _mm256_setr_epi64x(a[s[4]], a[s[5]], a[s[6]], a[s[7]]), y1) << 4;
}

SL_AI uint32_t sl_blk_f64(int op, const double *a, const double *b, __m256d cv, uint32_t i)
{
    __m256d y0 = b ? _mm256_loadu_pd(b + i) : cv;
    __m256d y1 = b ? _mm256_loadu_pd(b + i + 4) : cv;
    return sl_cmp4_f64(op, _mm256_loadu_pd(a + i), y0) |
           sl_cmp4_f64(op, _mm256_loadu_pd(a + i + 4), y1) << 4;
}

SL_AI uint32_t sl_blkg_f64(int op, const double *a, const double *b, __m256d cv, __m256i rows,
                           const sl_sel_t *s)
{
    (void)rows;
    __m256d y0 = b ? _mm256_setr_pd(b[s[0]], b[s[1]], b[s[2]], b[s[3]]) : cv;
    __m256d y1 = b ? _mm256_setr_pd(b[s[4]], b[s[5]], b[s[6]], b[s[7]]) : cv;
    return sl_cmp4_f64(op, _mm256_setr_pd(a[s[0]], a[s[1]], a[s[2]], a[s[3]]), y0) |
           sl_cmp4_f64(op, _mm256_setr_pd(a[s[4]], a[s[5]], a[s[6]], a[s[7]]), y1) << 4;
}

SL_AI uint32_t sl_blk_i32(int op, const int32_t *a, const int32_t *b, __m256i cv, uint32_t i)
{
    __m256i y = b ? _mm256_loadu_si256((const __m256i *)(b + i)) : cv;
    return sl_cmp8_i32(op, _mm256_loadu_si256((const __m256i *)(a + i)), y);
}

SL_AI __m256i sl_load8_i32(const int32_t *a, const sl_sel_t *s)
{
    return _mm256_setr_epi32(a[s[0]], a[s[1]], a[s[2]], a[s[3]], a[s[4]], a[s[5]], a[s[6]],
                             a[s[7]]);
}

SL_AI uint32_t sl_blkg_i32(int op, const int32_t *a, const int32_t *b, __m256i cv, __m256i rows,
                           const sl_sel_t *s)
{
    (void)rows;
    __m256i y = b ? sl_load8_i32(b, s) : cv;
    return sl_cmp8_i32(op, sl_load8_i32(a, s), y);
}

SL_AI uint32_t sl_blk_bool(int op, const uint8_t *a, const uint8_t *b, __m128i cv, uint32_t i)
{
    __m128i y = b ? _mm_loadl_epi64((const __m128i *)(b + i)) : cv;
    return sl_cmp8_u8(op, _mm_loadl_epi64((const __m128i *)(a + i)), y);
}

SL_AI uint64_t sl_bytes8(const uint8_t *v, const sl_sel_t *s)
{
    uint64_t w = 0;
    for (int j = 0; j < 8; j++)
        w |= (uint64_t)v[s[j]] << (8 * j);
    return w;
}

SL_AI uint32_t sl_blkg_bool(int op, const uint8_t *a, const uint8_t *b, __m128i cv, __m256i rows,
                            const sl_sel_t *s)
{
    (void)rows;
    __m128i y = b ? _mm_cvtsi64_si128((long long)sl_bytes8(b, s)) : cv;
    return sl_cmp8_u8(op, _mm_cvtsi64_si128((long long)sl_bytes8(a, s)), y);
}

/* ---- the driver: full blocks of 8; returns the count, *done the positions consumed -------- */

#define SL_AVX2_DRIVER(NAME, T, VT)                                                         \
    SL_AI uint32_t sl_drv_##NAME(int op, const T *a, const T *b, VT cv, const uint64_t *va, \
                                 const uint64_t *vb, const sl_sel_t *sel, uint32_t n,       \
                                 sl_sel_t *out, uint32_t *done)                             \
    {                                                                                       \
        uint32_t i = 0, k = 0;                                                              \
        if (!sel) {                                                                         \
            for (; i + 8 <= n; i += 8) {                                                    \
                uint32_t m = sl_blk_##NAME(op, a, b, cv, i);                                \
                if (va)                                                                     \
                    m &= sl_valid8(va, i);                                                  \
                if (vb)                                                                     \
                    m &= sl_valid8(vb, i);                                                  \
                k = sl_emit8_dense(out, k, i, m);                                           \
            }                                                                               \
        } else {                                                                            \
            for (; i + 8 <= n; i += 8) {                                                    \
                __m256i rows = _mm256_loadu_si256((const __m256i *)(sel + i));              \
                uint32_t m = sl_blkg_##NAME(op, a, b, cv, rows, sel + i);                   \
                if (va)                                                                     \
                    m &= sl_valid8_gather(va, rows);                                        \
                if (vb)                                                                     \
                    m &= sl_valid8_gather(vb, rows);                                        \
                k = sl_emit8_sel(out, k, rows, m);                                          \
            }                                                                               \
        }                                                                                   \
        *done = i;                                                                          \
        return k;                                                                           \
    }

SL_AVX2_DRIVER(i64, int64_t, __m256i)
SL_AVX2_DRIVER(f64, double, __m256d)
SL_AVX2_DRIVER(i32, int32_t, __m256i)
SL_AVX2_DRIVER(bool, uint8_t, __m128i)

/* The exported kernels: vector loop per op, then the scalar reference on the tail. */
#define SL_AVX2_KERNELS(NAME, T, CV)                                                              \
    static uint32_t sl_select_##NAME##_const_avx2(                                                \
        sl_cmp_op op, const T *restrict v, T c, const uint64_t *restrict valid,                   \
        const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)                                       \
    {                                                                                             \
        uint32_t i = 0, k = 0;                                                                    \
        sl_sel_t tmp[8];                                                                          \
        SL_OP_SWITCH(op, sl_drv_##NAME, v, NULL, CV, valid, NULL, sel, n, sel_out, &i)            \
        return k + sl_select_scalar.NAME##_const(op, v, c, valid, sl_tail_sel(sel, i, n, tmp),    \
                                                 n - i, sel_out + k);                             \
    }                                                                                             \
    static uint32_t sl_select_##NAME##_col_avx2(                                                  \
        sl_cmp_op op, const T *restrict a, const T *restrict b, const uint64_t *restrict valid_a, \
        const uint64_t *restrict valid_b, const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)     \
    {                                                                                             \
        uint32_t i = 0, k = 0;                                                                    \
        sl_sel_t tmp[8];                                                                          \
        T c = 0;                                                                                  \
        SL_OP_SWITCH(op, sl_drv_##NAME, a, b, CV, valid_a, valid_b, sel, n, sel_out, &i)          \
        return k + sl_select_scalar.NAME##_col(op, a, b, valid_a, valid_b,                        \
                                               sl_tail_sel(sel, i, n, tmp), n - i, sel_out + k);  \
    }

SL_AVX2_KERNELS(i64, int64_t, _mm256_set1_epi64x(c))
SL_AVX2_KERNELS(f64, double, _mm256_set1_pd(c))
SL_AVX2_KERNELS(i32, int32_t, _mm256_set1_epi32(c))
SL_AVX2_KERNELS(bool, uint8_t, _mm_set1_epi8((char)c))

/* ---- IN list ------------------------------------------------------------------------------ */

SL_AI uint32_t sl_in4(__m256i x, const int64_t *set, uint32_t nset)
{
    __m256i hit = _mm256_setzero_si256();
    for (uint32_t j = 0; j < nset; j++)
        hit = _mm256_or_si256(hit, _mm256_cmpeq_epi64(x, _mm256_set1_epi64x(set[j])));
    return sl_mm_pd(_mm256_castsi256_pd(hit));
}

static uint32_t sl_select_in_i64_avx2(const int64_t *restrict v, const int64_t *restrict set,
                                      uint32_t nset, const uint64_t *restrict valid,
                                      const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)
{
    uint32_t i = 0, k = 0;
    sl_sel_t tmp[8];
    if (!sel) {
        for (; i + 8 <= n; i += 8) {
            uint32_t m = sl_in4(_mm256_loadu_si256((const __m256i *)(v + i)), set, nset) |
                         sl_in4(_mm256_loadu_si256((const __m256i *)(v + i + 4)), set, nset) << 4;
            if (valid)
                m &= sl_valid8(valid, i);
            k = sl_emit8_dense(sel_out, k, i, m);
        }
    } else {
        const long long *pv = (const long long *)v;
        for (; i + 8 <= n; i += 8) {
            __m256i rows = _mm256_loadu_si256((const __m256i *)(sel + i));
            __m128i r0 = _mm256_castsi256_si128(rows), r1 = _mm256_extracti128_si256(rows, 1);
            uint32_t m = sl_in4(_mm256_i32gather_epi64(pv, r0, 8), set, nset) |
                         sl_in4(_mm256_i32gather_epi64(pv, r1, 8), set, nset) << 4;
            if (valid)
                m &= sl_valid8_gather(valid, rows);
            k = sl_emit8_sel(sel_out, k, rows, m);
        }
    }
    return k + sl_select_scalar.in_i64(v, set, nset, valid, sl_tail_sel(sel, i, n, tmp), n - i,
                                       sel_out + k);
}

/* ---- strings: EQ / NE with a constant ------------------------------------------------------
 * Two views per 256-bit vector. A constant of up to 12 bytes is inline, so a row equals it
 * exactly when all 16 bytes are equal; a longer constant is matched on its len + prefix word
 * first, and only those candidates (valid ones) are compared in the heap. */

SL_AI __m256i sl_load2(const sl_str *v, uint32_t r0, uint32_t r1)
{
    __m128i lo = _mm_loadu_si128((const __m128i *)(v + r0));
    __m128i hi = _mm_loadu_si128((const __m128i *)(v + r1));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

/* Equality of 8 views (rows i..i+7, or s[0..7]) with cv: whole views when `whole`, else the
 * first words only. */
SL_AI uint32_t sl_str_eq8(const sl_str *v, const sl_sel_t *s, uint32_t i, __m256i cv, int whole)
{
    uint32_t m = 0;
    for (uint32_t q = 0; q < 4; q++) {
        __m256i x = s ? sl_load2(v, s[2 * q], s[2 * q + 1])
                      : _mm256_loadu_si256((const __m256i *)(v + i + 2 * q));
        uint32_t e = sl_mm_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(x, cv)));
        if (whole)
            e &= e >> 1;
        m |= ((e & 1u) | ((e >> 1) & 2u)) << (2 * q);
    }
    return m;
}

/* Clears the candidates of m whose heap bytes differ from the long constant c. */
SL_AI uint32_t sl_str_verify8(const sl_str *v, const sl_sel_t *s, uint32_t i, const sl_str *c,
                              uint32_t m)
{
    uint32_t eq = m;
    while (m) {
        uint32_t j = (uint32_t)__builtin_ctz(m);
        m &= m - 1;
        const sl_str *x = &v[s ? s[j] : i + j];
        if (memcmp(x->ptr + 4, c->ptr + 4, c->len - 4) != 0)
            eq &= ~(1u << j);
    }
    return eq;
}

SL_AI uint32_t sl_drv_str(int op, const sl_str *v, const sl_str *c, const uint64_t *valid,
                          const sl_sel_t *sel, uint32_t n, sl_sel_t *out, uint32_t *done)
{
    uint32_t i = 0, k = 0;
    const int whole = c->len <= SL_STR_INLINE_MAX;
    const __m256i cv = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)c));
    for (; i + 8 <= n; i += 8) {
        const sl_sel_t *s = sel ? sel + i : NULL;
        __m256i rows = sel ? _mm256_loadu_si256((const __m256i *)s) : _mm256_setzero_si256();
        uint32_t ok = !valid ? 0xffu : sel ? sl_valid8_gather(valid, rows) : sl_valid8(valid, i);
        uint32_t eq = sl_str_eq8(v, s, i, cv, whole);
        if (!whole)
            eq = sl_str_verify8(v, s, i, c, eq & ok);
        uint32_t m = (op == SL_CMP_EQ ? eq : ~eq) & ok & 0xffu;
        k = sel ? sl_emit8_sel(out, k, rows, m) : sl_emit8_dense(out, k, i, m);
    }
    *done = i;
    return k;
}

static uint32_t sl_select_str_const_avx2(sl_cmp_op op, const sl_str *restrict v,
                                         const sl_str *restrict c, const uint64_t *restrict valid,
                                         const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)
{
    uint32_t i = 0, k = 0;
    sl_sel_t tmp[8];
    if (op == SL_CMP_EQ)
        k = sl_drv_str(SL_CMP_EQ, v, c, valid, sel, n, sel_out, &i);
    else if (op == SL_CMP_NE)
        k = sl_drv_str(SL_CMP_NE, v, c, valid, sel, n, sel_out, &i);
    else /* order: scalar */
        return sl_select_scalar.str_const(op, v, c, valid, sel, n, sel_out);
    return k + sl_select_scalar.str_const(op, v, c, valid, sl_tail_sel(sel, i, n, tmp), n - i,
                                          sel_out + k);
}

static uint32_t sl_select_is_true_avx2(const uint8_t *restrict v, const uint64_t *restrict valid,
                                       const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)
{
    return sl_select_bool_const_avx2(SL_CMP_EQ, v, 1, valid, sel, n, sel_out);
}

/* ---- reused from the scalar reference (see the top of the file) ---------------------------- */

static uint32_t sl_select_str_col_avx2(sl_cmp_op op, const sl_str *restrict a,
                                       const sl_str *restrict b, const uint64_t *restrict valid_a,
                                       const uint64_t *restrict valid_b, const sl_sel_t *sel,
                                       uint32_t n, sl_sel_t *sel_out)
{
    return sl_select_scalar.str_col(op, a, b, valid_a, valid_b, sel, n, sel_out);
}

static uint32_t sl_select_str_prefix_avx2(const sl_str *restrict v, const char *restrict prefix,
                                          uint32_t plen, const uint64_t *restrict valid,
                                          const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)
{
    return sl_select_scalar.str_prefix(v, prefix, plen, valid, sel, n, sel_out);
}

static uint32_t sl_select_sel_and_avx2(const sl_sel_t *a, uint32_t na, const sl_sel_t *restrict b,
                                       uint32_t nb, sl_sel_t *out)
{
    return sl_select_scalar.sel_and(a, na, b, nb, out);
}

static uint32_t sl_select_sel_or_avx2(const sl_sel_t *restrict a, uint32_t na,
                                      const sl_sel_t *restrict b, uint32_t nb,
                                      sl_sel_t *restrict out)
{
    return sl_select_scalar.sel_or(a, na, b, nb, out);
}

static uint32_t sl_select_sel_not_avx2(const sl_sel_t *a, uint32_t na, const sl_sel_t *restrict b,
                                       uint32_t nb, sl_sel_t *out)
{
    return sl_select_scalar.sel_not(a, na, b, nb, out);
}

const struct sl_select_kernels sl_select_avx2 = {
    .i32_const = sl_select_i32_const_avx2,
    .i64_const = sl_select_i64_const_avx2,
    .f64_const = sl_select_f64_const_avx2,
    .bool_const = sl_select_bool_const_avx2,
    .str_const = sl_select_str_const_avx2,
    .i32_col = sl_select_i32_col_avx2,
    .i64_col = sl_select_i64_col_avx2,
    .f64_col = sl_select_f64_col_avx2,
    .bool_col = sl_select_bool_col_avx2,
    .str_col = sl_select_str_col_avx2,
    .in_i64 = sl_select_in_i64_avx2,
    .str_prefix = sl_select_str_prefix_avx2,
    .is_true = sl_select_is_true_avx2,
    .sel_and = sl_select_sel_and_avx2,
    .sel_or = sl_select_sel_or_avx2,
    .sel_not = sl_select_sel_not_avx2,
};
