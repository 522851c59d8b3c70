/*
 * kernels/select_avx512.c - AVX-512 variants of the filters (compiled with -mavx512f, bw, vl,
 * dq; reached only through the dispatch in simd.c).
 *
 * HOW IT WORKS
 * A filter runs over blocks of 16 positions. A block's compares write a 16-bit mask register
 * directly (no movemask); it is ANDed with 16 bits of the validity bitmap (or with the bits
 * gathered for selected rows: one vpgatherdd of the 32-bit words that hold them, a variable
 * shift and a test). The passing rows are packed with vpcompressd into a register and the
 * whole register is stored at sel_out + k, k advancing by the popcount. The register form of
 * compress is used rather than the compress-to-memory form, which is microcoded and slow on
 * several cores; the lanes stored past the count are garbage that the next block overwrites.
 * As in the AVX2 file, that store never reaches past the block being processed (k <= i), whose
 * input is already in registers, so sel_out == sel is safe, and never past n.
 *
 * `op` is dispatched once, by a switch that instantiates an always-inline driver per op. With
 * a selection, values are gathered (vpgatherdq / vpgatherdd: measured 2.9 G positions/s for
 * int64 against 2.5 G with scalar loads into a vector); booleans are gathered with scalar
 * loads (there is no byte gather). The last n % 16 positions go to the scalar
 * reference.
 *
 * Reused from the scalar reference (SIMD does not pay there): strings compared for order,
 * strings column-vs-column, LIKE-prefix, and the selection logic (merges are sequential).
 */
#include <immintrin.h>

#include "kernels/select.h"

#define SL_AI static inline __attribute__((always_inline))

/* ---- shared pieces -------------------------------------------------------------------------- */

SL_AI __m512i sl_iota16(uint32_t base)
{
    return _mm512_add_epi32(
        _mm512_set1_epi32((int)base),
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

/* Packs the lanes of `rows` selected by m at out + k; returns the new k. */
SL_AI uint32_t sl_emit16(sl_sel_t *out, uint32_t k, __m512i rows, uint32_t m)
{
    _mm512_storeu_si512(out + k, _mm512_maskz_compress_epi32((__mmask16)m, rows));
    return k + (uint32_t)__builtin_popcount(m);
}

/* The validity bits of rows i .. i+15 (i a multiple of 16). */
SL_AI uint32_t sl_valid16(const uint64_t *valid, uint32_t i)
{
    return (uint32_t)(valid[i >> 6] >> (i & 63u)) & 0xffffu;
}

/* The validity bits of the 16 rows in `rows`. */
SL_AI uint32_t sl_valid16_gather(const uint64_t *valid, __m512i rows)
{
    __m512i w = _mm512_i32gather_epi32(_mm512_srli_epi32(rows, 5), valid, 4);
    w = _mm512_srlv_epi32(w, _mm512_and_si512(rows, _mm512_set1_epi32(31)));
    return (uint32_t)_mm512_test_epi32_mask(w, _mm512_set1_epi32(1));
}

/* The positions after the vector loop: sel + i, or the rows i .. n-1 written into tmp. */
SL_AI const sl_sel_t *sl_tail_sel(const sl_sel_t *sel, uint32_t i, uint32_t n, sl_sel_t tmp[16])
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

SL_AI uint32_t sl_cmp8_i64(int op, __m512i x, __m512i y)
{
    switch (op) {
    case SL_CMP_EQ:
        return _mm512_cmpeq_epi64_mask(x, y);
    case SL_CMP_NE:
        return _mm512_cmpneq_epi64_mask(x, y);
    case SL_CMP_LT:
        return _mm512_cmplt_epi64_mask(x, y);
    case SL_CMP_LE:
        return _mm512_cmple_epi64_mask(x, y);
    case SL_CMP_GT:
        return _mm512_cmpgt_epi64_mask(x, y);
    case SL_CMP_GE:
        return _mm512_cmpge_epi64_mask(x, y);
    default:
        return 0;
    }
}

SL_AI uint32_t sl_cmp8_f64(int op, __m512d x, __m512d y)
{
    /* ordered compares are false with NaN; NE is unordered-or-not-equal, true with NaN */
    switch (op) {
    case SL_CMP_EQ:
        return _mm512_cmp_pd_mask(x, y, _CMP_EQ_OQ);
    case SL_CMP_NE:
        return _mm512_cmp_pd_mask(x, y, _CMP_NEQ_UQ);
    case SL_CMP_LT:
        return _mm512_cmp_pd_mask(x, y, _CMP_LT_OQ);
    case SL_CMP_LE:
        return _mm512_cmp_pd_mask(x, y, _CMP_LE_OQ);
    case SL_CMP_GT:
        return _mm512_cmp_pd_mask(x, y, _CMP_GT_OQ);
    case SL_CMP_GE:
        return _mm512_cmp_pd_mask(x, y, _CMP_GE_OQ);
    default:
        return 0;
    }
}

SL_AI uint32_t sl_cmp16_i32(int op, __m512i x, __m512i y)
{
    switch (op) {
    case SL_CMP_EQ:
        return _mm512_cmpeq_epi32_mask(x, y);
    case SL_CMP_NE:
        return _mm512_cmpneq_epi32_mask(x, y);
    case SL_CMP_LT:
        return _mm512_cmplt_epi32_mask(x, y);
    case SL_CMP_LE:
        return _mm512_cmple_epi32_mask(x, y);
    case SL_CMP_GT:
        return _mm512_cmpgt_epi32_mask(x, y);
    case SL_CMP_GE:
        return _mm512_cmpge_epi32_mask(x, y);
    default:
        return 0;
    }
}

SL_AI uint32_t sl_cmp16_u8(int op, __m128i x, __m128i y)
{
    switch (op) {
    case SL_CMP_EQ:
        return _mm_cmpeq_epu8_mask(x, y);
    case SL_CMP_NE:
        return _mm_cmpneq_epu8_mask(x, y);
    case SL_CMP_LT:
        return _mm_cmplt_epu8_mask(x, y);
    case SL_CMP_LE:
        return _mm_cmple_epu8_mask(x, y);
    case SL_CMP_GT:
        return _mm_cmpgt_epu8_mask(x, y);
    case SL_CMP_GE:
        return _mm_cmpge_epu8_mask(x, y);
    default:
        return 0;
    }
}

/* ---- per-type blocks of 16 positions: dense (rows i..i+15) and selected (rows in `rows`,
 * also readable as s[0..15]); b == NULL compares with the constant cv ----------------------- */

SL_AI uint32_t sl_blk_i64(int op, const int64_t *a, const int64_t *b, __m512i cv, uint32_t i)
{
    __m512i y0 = b ? _mm512_loadu_si512(b + i) : cv;
    __m512i y1 = b ? _mm512_loadu_si512(b + i + 8) : cv;
    return sl_cmp8_i64(op, _mm512_loadu_si512(a + i), y0) |
           sl_cmp8_i64(op, _mm512_loadu_si512(a + i + 8), y1) << 8;
}

SL_AI uint32_t sl_blkg_i64(int op, const int64_t *a, const int64_t *b, __m512i cv, __m512i rows,
                           const sl_sel_t *s)
{
    (void)s;
    __m256i r0 = _mm512_castsi512_si256(rows), r1 = _mm512_extracti64x4_epi64(rows, 1);
    __m512i y0 = b ? _mm512_i32gather_epi64(r0, b, 8) : cv;
    __m512i y1 = b ? _mm512_i32gather_epi64(r1, b, 8) : cv;
    return sl_cmp8_i64(op, _mm512_i32gather_epi64(r0, a, 8), y0) |
           sl_cmp8_i64(op, _mm512_i32gather_epi64(r1, a, 8), y1) << 8;
}

SL_AI uint32_t sl_blk_f64(int op, const double *a, const double *b, __m512d cv, uint32_t i)
{
    __m512d y0 = b ? _mm512_loadu_pd(b + i) : cv;
    __m512d y1 = b ? _mm512_loadu_pd(b + i + 8) : cv;
    return sl_cmp8_f64(op, _mm512_loadu_pd(a + i), y0) |
           sl_cmp8_f64(op, _mm512_loadu_pd(a + i + 8), y1) << 8;
}

SL_AI uint32_t sl_blkg_f64(int op, const double *a, const double *b, __m512d cv, __m512i rows,
                           const sl_sel_t *s)
{
    (void)s;
    __m256i r0 = _mm512_castsi512_si256(rows), r1 = _mm512_extracti64x4_epi64(rows, 1);
    __m512d y0 = b ? _mm512_i32gather_pd(r0, b, 8) : cv;
    __m512d y1 = b ? _mm512_i32gather_pd(r1, b, 8) : cv;
    return sl_cmp8_f64(op, _mm512_i32gather_pd(r0, a, 8), y0) |
           sl_cmp8_f64(op, _mm512_i32gather_pd(r1, a, 8), y1) << 8;
}

SL_AI uint32_t sl_blk_i32(int op, const int32_t *a, const int32_t *b, __m512i cv, uint32_t i)
{
    __m512i y = b ? _mm512_loadu_si512(b + i) : cv;
    return sl_cmp16_i32(op, _mm512_loadu_si512(a + i), y);
}

SL_AI uint32_t sl_blkg_i32(int op, const int32_t *a, const int32_t *b, __m512i cv, __m512i rows,
                           const sl_sel_t *s)
{
    (void)s;
    __m512i y = b ? _mm512_i32gather_epi32(rows, b, 4) : cv;
    return sl_cmp16_i32(op, _mm512_i32gather_epi32(rows, a, 4), y);
}

SL_AI uint32_t sl_blk_bool(int op, const uint8_t *a, const uint8_t *b, __m128i cv, uint32_t i)
{
    __m128i y = b ? _mm_loadu_si128((const __m128i *)(b + i)) : cv;
    return sl_cmp16_u8(op, _mm_loadu_si128((const __m128i *)(a + i)), y);
}

SL_AI __m128i sl_bytes16(const uint8_t *v, const sl_sel_t *s)
{
    uint64_t lo = 0, hi = 0;
    for (int j = 0; j < 8; j++) {
        lo |= (uint64_t)v[s[j]] << (8 * j);
        hi |= (uint64_t)v[s[j + 8]] << (8 * j);
    }
    return _mm_set_epi64x((long long)hi, (long long)lo);
}

SL_AI uint32_t sl_blkg_bool(int op, const uint8_t *a, const uint8_t *b, __m128i cv, __m512i rows,
                            const sl_sel_t *s)
{
    (void)rows;
    __m128i y = b ? sl_bytes16(b, s) : cv;
    return sl_cmp16_u8(op, sl_bytes16(a, s), y);
}

/* ---- the driver: full blocks of 16; returns the count, *done the positions consumed ------- */

#define SL_AVX512_DRIVER(NAME, T, VT)                                                       \
    SL_AI uint32_t sl_drv_##NAME(int op, const T *a, const T *b, VT cv, const uint64_t *va, \
                                 const uint64_t *vb, const sl_sel_t *sel, uint32_t n,       \
                                 sl_sel_t *out, uint32_t *done)                             \
    {                                                                                       \
        uint32_t i = 0, k = 0;                                                              \
        if (!sel) {                                                                         \
            for (; i + 16 <= n; i += 16) {                                                  \
                uint32_t m = sl_blk_##NAME(op, a, b, cv, i);                                \
                if (va)                                                                     \
                    m &= sl_valid16(va, i);                                                 \
                if (vb)                                                                     \
                    m &= sl_valid16(vb, i);                                                 \
                k = sl_emit16(out, k, sl_iota16(i), m);                                     \
            }                                                                               \
        } else {                                                                            \
            for (; i + 16 <= n; i += 16) {                                                  \
                __m512i rows = _mm512_loadu_si512(sel + i);                                 \
                uint32_t m = sl_blkg_##NAME(op, a, b, cv, rows, sel + i);                   \
                if (va)                                                                     \
                    m &= sl_valid16_gather(va, rows);                                       \
                if (vb)                                                                     \
                    m &= sl_valid16_gather(vb, rows);                                       \
                k = sl_emit16(out, k, rows, m);                                             \
            }                                                                               \
        }                                                                                   \
        *done = i;                                                                          \
        return k;                                                                           \
    }

SL_AVX512_DRIVER(i64, int64_t, __m512i)
SL_AVX512_DRIVER(f64, double, __m512d)
SL_AVX512_DRIVER(i32, int32_t, __m512i)
SL_AVX512_DRIVER(bool, uint8_t, __m128i)

/* The exported kernels: vector loop per op, then the scalar reference on the tail. */
#define SL_AVX512_KERNELS(NAME, T, CV)                                                            \
    static uint32_t sl_select_##NAME##_const_avx512(                                              \
        sl_cmp_op op, const T *restrict v, T c, const uint64_t *restrict valid,                   \
        const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)                                       \
    {                                                                                             \
        uint32_t i = 0, k = 0;                                                                    \
        sl_sel_t tmp[16];                                                                         \
        SL_OP_SWITCH(op, sl_drv_##NAME, v, NULL, CV, valid, NULL, sel, n, sel_out, &i)            \
        return k + sl_select_scalar.NAME##_const(op, v, c, valid, sl_tail_sel(sel, i, n, tmp),    \
                                                 n - i, sel_out + k);                             \
    }                                                                                             \
    static uint32_t sl_select_##NAME##_col_avx512(                                                \
        sl_cmp_op op, const T *restrict a, const T *restrict b, const uint64_t *restrict valid_a, \
        const uint64_t *restrict valid_b, const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)     \
    {                                                                                             \
        uint32_t i = 0, k = 0;                                                                    \
        sl_sel_t tmp[16];                                                                         \
        T c = 0;                                                                                  \
        SL_OP_SWITCH(op, sl_drv_##NAME, a, b, CV, valid_a, valid_b, sel, n, sel_out, &i)          \
        return k + sl_select_scalar.NAME##_col(op, a, b, valid_a, valid_b,                        \
                                               sl_tail_sel(sel, i, n, tmp), n - i, sel_out + k);  \
    }

SL_AVX512_KERNELS(i64, int64_t, _mm512_set1_epi64(c))
SL_AVX512_KERNELS(f64, double, _mm512_set1_pd(c))
SL_AVX512_KERNELS(i32, int32_t, _mm512_set1_epi32(c))
SL_AVX512_KERNELS(bool, uint8_t, _mm_set1_epi8((char)c))

/* ---- IN list ------------------------------------------------------------------------------ */

SL_AI uint32_t sl_in8(__m512i x, const int64_t *set, uint32_t nset)
{
    uint32_t m = 0;
    for (uint32_t j = 0; j < nset; j++)
        m |= _mm512_cmpeq_epi64_mask(x, _mm512_set1_epi64(set[j]));
    return m;
}

static uint32_t sl_select_in_i64_avx512(const int64_t *restrict v, const int64_t *restrict set,
                                        uint32_t nset, const uint64_t *restrict valid,
                                        const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)
{
    uint32_t i = 0, k = 0;
    sl_sel_t tmp[16];
    if (!sel) {
        for (; i + 16 <= n; i += 16) {
            uint32_t m = sl_in8(_mm512_loadu_si512(v + i), set, nset) |
                         sl_in8(_mm512_loadu_si512(v + i + 8), set, nset) << 8;
            if (valid)
                m &= sl_valid16(valid, i);
            k = sl_emit16(sel_out, k, sl_iota16(i), m);
        }
    } else {
        for (; i + 16 <= n; i += 16) {
            __m512i rows = _mm512_loadu_si512(sel + i);
            __m256i r0 = _mm512_castsi512_si256(rows), r1 = _mm512_extracti64x4_epi64(rows, 1);
            uint32_t m = sl_in8(_mm512_i32gather_epi64(r0, v, 8), set, nset) |
                         sl_in8(_mm512_i32gather_epi64(r1, v, 8), set, nset) << 8;
            if (valid)
                m &= sl_valid16_gather(valid, rows);
            k = sl_emit16(sel_out, k, rows, m);
        }
    }
    return k + sl_select_scalar.in_i64(v, set, nset, valid, sl_tail_sel(sel, i, n, tmp), n - i,
                                       sel_out + k);
}

/* ---- strings: EQ / NE with a constant ------------------------------------------------------
 * Four views per 512-bit vector. A constant of up to 12 bytes is inline, so a row equals it
 * exactly when all 16 bytes are equal; a longer constant is matched on its len + prefix word
 * first, and only those candidates (valid ones) are compared in the heap. */

SL_AI __m512i sl_load4(const sl_str *v, const sl_sel_t *s)
{
    __m512i x = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(v + s[0])));
    x = _mm512_inserti32x4(x, _mm_loadu_si128((const __m128i *)(v + s[1])), 1);
    x = _mm512_inserti32x4(x, _mm_loadu_si128((const __m128i *)(v + s[2])), 2);
    return _mm512_inserti32x4(x, _mm_loadu_si128((const __m128i *)(v + s[3])), 3);
}

/* Equality of 16 views (rows i..i+15, or s[0..15]) with cv: whole views when `whole`, else
 * the first words only. */
SL_AI uint32_t sl_str_eq16(const sl_str *v, const sl_sel_t *s, uint32_t i, __m512i cv, int whole)
{
    uint32_t m = 0;
    for (uint32_t q = 0; q < 4; q++) {
        __m512i x = s ? sl_load4(v, s + 4 * q) : _mm512_loadu_si512(v + i + 4 * q);
        uint32_t e = _mm512_cmpeq_epi64_mask(x, cv);
        if (whole)
            e &= e >> 1;
        m |= _pext_u32(e, 0x55u) << (4 * q);
    }
    return m;
}

/* Clears the candidates of m whose heap bytes differ from the long constant c. */
SL_AI uint32_t sl_str_verify16(const sl_str *v, const sl_sel_t *s, uint32_t i, const sl_str *c,
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
    const __m512i cv = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)c));
    for (; i + 16 <= n; i += 16) {
        const sl_sel_t *s = sel ? sel + i : NULL;
        __m512i rows = sel ? _mm512_loadu_si512(s) : sl_iota16(i);
        uint32_t ok = !valid ? 0xffffu
                      : sel  ? sl_valid16_gather(valid, rows)
                             : sl_valid16(valid, i);
        uint32_t eq = sl_str_eq16(v, s, i, cv, whole);
        if (!whole)
            eq = sl_str_verify16(v, s, i, c, eq & ok);
        uint32_t m = (op == SL_CMP_EQ ? eq : ~eq) & ok & 0xffffu;
        k = sl_emit16(out, k, rows, m);
    }
    *done = i;
    return k;
}

static uint32_t sl_select_str_const_avx512(sl_cmp_op op, const sl_str *restrict v,
                                           const sl_str *restrict c, const uint64_t *restrict valid,
                                           const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)
{
    uint32_t i = 0, k = 0;
    sl_sel_t tmp[16];
    if (op == SL_CMP_EQ)
        k = sl_drv_str(SL_CMP_EQ, v, c, valid, sel, n, sel_out, &i);
    else if (op == SL_CMP_NE)
        k = sl_drv_str(SL_CMP_NE, v, c, valid, sel, n, sel_out, &i);
    else /* order: scalar */
        return sl_select_scalar.str_const(op, v, c, valid, sel, n, sel_out);
    return k + sl_select_scalar.str_const(op, v, c, valid, sl_tail_sel(sel, i, n, tmp), n - i,
                                          sel_out + k);
}

static uint32_t sl_select_is_true_avx512(const uint8_t *restrict v, const uint64_t *restrict valid,
                                         const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)
{
    return sl_select_bool_const_avx512(SL_CMP_EQ, v, 1, valid, sel, n, sel_out);
}

/* ---- reused from the scalar reference (see the top of the file) ---------------------------- */

static uint32_t sl_select_str_col_avx512(sl_cmp_op op, const sl_str *restrict a,
                                         const sl_str *restrict b, const uint64_t *restrict valid_a,
                                         const uint64_t *restrict valid_b, const sl_sel_t *sel,
                                         uint32_t n, sl_sel_t *sel_out)
{
    return sl_select_scalar.str_col(op, a, b, valid_a, valid_b, sel, n, sel_out);
}

static uint32_t sl_select_str_prefix_avx512(const sl_str *restrict v, const char *restrict prefix,
                                            uint32_t plen, const uint64_t *restrict valid,
                                            const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)
{
    return sl_select_scalar.str_prefix(v, prefix, plen, valid, sel, n, sel_out);
}

static uint32_t sl_select_sel_and_avx512(const sl_sel_t *a, uint32_t na, const sl_sel_t *restrict b,
                                         uint32_t nb, sl_sel_t *out)
{
    return sl_select_scalar.sel_and(a, na, b, nb, out);
}

static uint32_t sl_select_sel_or_avx512(const sl_sel_t *restrict a, uint32_t na,
                                        const sl_sel_t *restrict b, uint32_t nb,
                                        sl_sel_t *restrict out)
{
    return sl_select_scalar.sel_or(a, na, b, nb, out);
}

static uint32_t sl_select_sel_not_avx512(const sl_sel_t *a, uint32_t na, const sl_sel_t *restrict b,
                                         uint32_t nb, sl_sel_t *out)
{
    return sl_select_scalar.sel_not(a, na, b, nb, out);
}

const struct sl_select_kernels sl_select_avx512 = {
    .i32_const = sl_select_i32_const_avx512,
    .i64_const = sl_select_i64_const_avx512,
    .f64_const = sl_select_f64_const_avx512,
    .bool_const = sl_select_bool_const_avx512,
    .str_const = sl_select_str_const_avx512,
    .i32_col = sl_select_i32_col_avx512,
    .i64_col = sl_select_i64_col_avx512,
    .f64_col = sl_select_f64_col_avx512,
    .bool_col = sl_select_bool_col_avx512,
    .str_col = sl_select_str_col_avx512,
    .in_i64 = sl_select_in_i64_avx512,
    .str_prefix = sl_select_str_prefix_avx512,
    .is_true = sl_select_is_true_avx512,
    .sel_and = sl_select_sel_and_avx512,
    .sel_or = sl_select_sel_or_avx512,
    .sel_not = sl_select_sel_not_avx512,
};
