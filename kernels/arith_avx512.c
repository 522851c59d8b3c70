/*
 * kernels/arith_avx512.c - AVX-512 variants of the arith family (compiled with -mavx512f and
 * friends; reached only through the dispatch in simd.c).
 *
 * As on AVX2 (see arith_avx2.c for the reasoning), the one-operation-per-row kernels are the
 * portable loops of arith_impl.h compiled here: with AVX-512DQ the compiler has vpmullq for
 * BIGINT * and vcvtqq2pd for BIGINT -> DOUBLE and DECIMAL -> DOUBLE, which AVX2 lacks. BIGINT
 * division, DOUBLE MOD and the 128-bit DECIMAL work stay scalar.
 *
 * Hand-written here, eight lanes at a time:
 *   - INT / and MOD through double (exact; see arith_avx2.c);
 *   - DECIMAL multiply with the int32 fast path (see arith_avx2.c);
 *   - BIGINT blend over the dense rows: a byte of the validity bitmap and a vptestmb of the
 *     condition bytes make the write mask of eight lanes;
 *   - DOUBLE -> BIGINT over the dense rows: vcvttpd2qq, then the two places where Java
 *     differs from the instruction's "integer indefinite" are fixed by mask: NaN -> 0 and
 *     x >= 2^63 -> INT64_MAX (x <= -2^63 already gives INT64_MIN).
 */
#include <immintrin.h>

#include "kernels/arith_impl.h"

/* ---- INT division ------------------------------------------------------------------------ */

static inline __m256i sl_avx512_ld_i32x8(const int32_t *a, int32_t ca, const sl_sel_t *sel,
                                         uint32_t i)
{
    if (!a)
        return _mm256_set1_epi32(ca);
    if (sel)
        return _mm256_i32gather_epi32(a, _mm256_loadu_si256((const __m256i *)(sel + i)), 4);
    return _mm256_loadu_si256((const __m256i *)(a + i));
}

static int sl_arith_binop_i32_avx512(sl_arith_op op, int32_t *out, const int32_t *a, int32_t ca,
                                     const int32_t *b, int32_t cb, const uint64_t *valid,
                                     const sl_sel_t *sel, uint32_t n, uint32_t *err_row)
{
    if (op != SL_ARITH_DIV && op != SL_ARITH_MOD)
        return sl_ai_binop32(op, out, a, ca, b, cb, valid, sel, n, err_row);
    if (sl_ai_find_zero32(b, cb, valid, sel, n, err_row))
        return -1;
    const bool mod = op == SL_ARITH_MOD;
    const __m256i zero = _mm256_setzero_si256();
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i x = sl_avx512_ld_i32x8(a, ca, sel, i);
        __m256i y = sl_avx512_ld_i32x8(b, cb, sel, i);
        y = _mm256_sub_epi32(y, _mm256_cmpeq_epi32(y, zero)); /* 0 (NULL rows) -> 1 */
        __m512d q = _mm512_div_pd(_mm512_cvtepi32_pd(x), _mm512_cvtepi32_pd(y));
        __m256i qi = _mm512_cvttpd_epi32(q);
        __m256i res = mod ? _mm256_sub_epi32(x, _mm256_mullo_epi32(qi, y)) : qi;
        if (sel)
            _mm256_i32scatter_epi32(out, _mm256_loadu_si256((const __m256i *)(sel + i)), res, 4);
        else
            _mm256_storeu_si256((__m256i *)(out + i), res);
    }
    for (; i < n; i++) {
        uint32_t r = sel ? sel[i] : i;
        int32_t x = a ? a[r] : ca, y = b ? b[r] : cb;
        y = y ? y : 1;
        out[r] = mod ? sl_ai_mod32(x, y) : sl_ai_div32(x, y);
    }
    return 0;
}

/* ---- DECIMAL multiply -------------------------------------------------------------------- */

static inline __m512i sl_avx512_ld_i64x8(const int64_t *a, int64_t ca, const sl_sel_t *sel,
                                         uint32_t i)
{
    if (!a)
        return _mm512_set1_epi64(ca);
    if (sel)
        return _mm512_i32gather_epi64(_mm256_loadu_si256((const __m256i *)(sel + i)), a, 8);
    return _mm512_loadu_si512(a + i);
}

static int sl_arith_dec_mul_avx512(int64_t *out, const int64_t *a, int64_t ca, const int64_t *b,
                                   int64_t cb, const uint64_t *valid, const sl_sel_t *sel,
                                   uint32_t n, uint32_t *err_row)
{
    const __m512i bias = _mm512_set1_epi64(0x80000000ll);
    const __m512i high = _mm512_set1_epi64((long long)0xffffffff00000000ull);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512i x = sl_avx512_ld_i64x8(a, ca, sel, i);
        __m512i y = sl_avx512_ld_i64x8(b, cb, sel, i);
        /* v fits in int32 exactly when v + 2^31 has no bits above 31 */
        __m512i hi = _mm512_or_si512(_mm512_add_epi64(x, bias), _mm512_add_epi64(y, bias));
        if (SL_LIKELY(_mm512_test_epi64_mask(hi, high) == 0)) {
            __m512i p = _mm512_mul_epi32(x, y);
            if (sel)
                _mm512_i32scatter_epi64(out, _mm256_loadu_si256((const __m256i *)(sel + i)), p, 8);
            else
                _mm512_storeu_si512(out + i, p);
            continue;
        }
        for (uint32_t k = i; k < i + 8; k++) {
            uint32_t r = sel ? sel[k] : k;
            int64_t v;
            bool o = __builtin_mul_overflow(a ? a[r] : ca, b ? b[r] : cb, &v);
            out[r] = v;
            SL_AI_FAIL_IF(o);
        }
    }
    for (; i < n; i++) {
        uint32_t r = sel ? sel[i] : i;
        int64_t v;
        bool o = __builtin_mul_overflow(a ? a[r] : ca, b ? b[r] : cb, &v);
        out[r] = v;
        SL_AI_FAIL_IF(o);
    }
    return 0;
}

/* ---- BIGINT blend ------------------------------------------------------------------------- */

static void sl_arith_blend_i64_avx512(int64_t *out, const uint8_t *cond, const uint64_t *cond_valid,
                                      const int64_t *a, int64_t ca, const int64_t *b, int64_t cb,
                                      const sl_sel_t *sel, uint32_t n)
{
    if (sel) {
        sl_ai_blend_i64(out, cond, cond_valid, a, ca, b, cb, sel, n);
        return;
    }
    const __m512i va = _mm512_set1_epi64(ca), vb = _mm512_set1_epi64(cb);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i c = _mm_loadl_epi64((const __m128i *)(cond + i));
        __mmask8 m = (__mmask8)_mm_test_epi8_mask(c, c);
        if (cond_valid) /* i is a multiple of 8: one byte of the bitmap */
            m &= (__mmask8)(cond_valid[i >> 6] >> (i & 63u));
        __m512i x = a ? _mm512_loadu_si512(a + i) : va;
        __m512i y = b ? _mm512_loadu_si512(b + i) : vb;
        _mm512_storeu_si512(out + i, _mm512_mask_blend_epi64(m, y, x));
    }
    for (; i < n; i++) {
        bool c = cond[i] && sl_valid_get(cond_valid, i);
        out[i] = c ? (a ? a[i] : ca) : (b ? b[i] : cb);
    }
}

/* ---- DOUBLE -> BIGINT --------------------------------------------------------------------- */

static void sl_arith_cast_f64_i64_avx512(int64_t *out, const double *a, const sl_sel_t *sel,
                                         uint32_t n)
{
    if (sel) {
        sl_ai_cast_f64_i64(out, a, sel, n);
        return;
    }
    const __m512d two63 = _mm512_set1_pd(9223372036854775808.0);
    const __m512i imax = _mm512_set1_epi64(INT64_MAX);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d x = _mm512_loadu_pd(a + i);
        __m512i t = _mm512_cvttpd_epi64(x);
        t = _mm512_mask_mov_epi64(t, _mm512_cmp_pd_mask(x, two63, _CMP_GE_OQ), imax);
        t = _mm512_maskz_mov_epi64(_mm512_cmp_pd_mask(x, x, _CMP_ORD_Q), t);
        _mm512_storeu_si512(out + i, t);
    }
    for (; i < n; i++)
        out[i] = sl_ai_f64_to_i64(a[i]);
}

const struct sl_arith_kernels sl_arith_avx512 = {
    .binop_i32 = sl_arith_binop_i32_avx512,
    .binop_i64 = sl_ai_binop64,
    .binop_f64 = sl_ai_binop_f64,
    .valid_and = sl_ai_valid_and,
    .dec_rescale_up = sl_ai_dec_rescale_up,
    .dec_rescale_down = sl_ai_dec_rescale_down,
    .dec_add = sl_ai_dec_add,
    .dec_sub = sl_ai_dec_sub,
    .dec_mul = sl_arith_dec_mul_avx512,
    .dec_div = sl_ai_dec_div,
    .dec_check_precision = sl_ai_dec_check_precision,
    .cast_i32_i64 = sl_ai_cast_i32_i64,
    .cast_i64_i32 = sl_ai_cast_i64_i32,
    .cast_i64_f64 = sl_ai_cast_i64_f64,
    .cast_f64_i64 = sl_arith_cast_f64_i64_avx512,
    .cast_i64_dec = sl_ai_cast_i64_dec,
    .cast_dec_f64 = sl_ai_cast_dec_f64,
    .blend_i32 = sl_ai_blend_i32,
    .blend_i64 = sl_arith_blend_i64_avx512,
    .blend_f64 = sl_ai_blend_f64,
    .blend_str = sl_ai_blend_str,
    .scatter_i32 = sl_ai_scatter_i32,
    .scatter_i64 = sl_ai_scatter_i64,
    .scatter_f64 = sl_ai_scatter_f64,
    .scatter_str = sl_ai_scatter_str,
};
