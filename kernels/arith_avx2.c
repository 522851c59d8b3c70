/*
 * kernels/arith_avx2.c - AVX2 variants of the arith family (compiled with -mavx2; reached
 * only through the dispatch in simd.c).
 *
 * Most entries are the portable loops of arith_impl.h compiled here for AVX2: + - * on
 * BIGINT and INT, DOUBLE arithmetic, validity ANDs, casts and scatters are single operations
 * per row that the compiler vectorizes as well as hand-written code would. BIGINT division
 * and MOD stay scalar on every level (there is no SIMD 64-bit division, and going through
 * double is inexact beyond 2^53); DOUBLE MOD is libm's fmod on every level; the DECIMAL
 * rescales, divisions and checks are branchy 128-bit work where SIMD does not pay. The
 * DOUBLE -> BIGINT cast is scalar here (AVX2 lacks vcvttpd2qq).
 *
 * Hand-written here:
 *   - INT / and MOD through double: both operands are exact in double, and the correctly
 *     rounded quotient of two int32 never crosses an integer (the gap is >= 2^-31 relative),
 *     so truncating it gives Java's quotient; INT_MIN / -1 converts out of range to
 *     0x80000000 = INT_MIN, as Java wants, and the remainder is x - q * y in wrapping 32-bit.
 *   - DECIMAL multiply: when all four lanes of both operands fit in int32, vpmuldq gives the
 *     exact products and no overflow is possible; other vectors go lane by lane through
 *     __builtin_mul_overflow, in order, so the first failing row is the same as the
 *     reference's.
 *   - BIGINT blend over the dense rows: the condition bytes and the validity bits become a
 *     lane mask and vpblendvb picks. A selection goes through the portable loop.
 */
#include <immintrin.h>

#include "kernels/arith_impl.h"

/* ---- INT division ------------------------------------------------------------------------ */

static inline __m128i sl_avx2_ld_i32x4(const int32_t *a, int32_t ca, const sl_sel_t *sel,
                                       uint32_t i)
{
    if (!a)
        return _mm_set1_epi32(ca);
    if (sel)
        return _mm_i32gather_epi32(a, _mm_loadu_si128((const __m128i *)(sel + i)), 4);
    return _mm_loadu_si128((const __m128i *)(a + i));
}

static int sl_arith_binop_i32_avx2(sl_arith_op op, int32_t *out, const int32_t *a, int32_t ca,
                                   const int32_t *b, int32_t cb, const uint64_t *valid,
                                   const sl_sel_t *sel, uint32_t n, uint32_t *err_row)
{
    if (op != SL_ARITH_DIV && op != SL_ARITH_MOD)
        return sl_ai_binop32(op, out, a, ca, b, cb, valid, sel, n, err_row);
    if (sl_ai_find_zero32(b, cb, valid, sel, n, err_row))
        return -1;
    const bool mod = op == SL_ARITH_MOD;
    const __m128i zero = _mm_setzero_si128();
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128i x = sl_avx2_ld_i32x4(a, ca, sel, i);
        __m128i y = sl_avx2_ld_i32x4(b, cb, sel, i);
        y = _mm_sub_epi32(y, _mm_cmpeq_epi32(y, zero)); /* 0 (NULL rows only) -> 1 */
        __m256d q = _mm256_div_pd(_mm256_cvtepi32_pd(x), _mm256_cvtepi32_pd(y));
        __m128i qi = _mm256_cvttpd_epi32(q);
        __m128i res = mod ? _mm_sub_epi32(x, _mm_mullo_epi32(qi, y)) : qi;
        if (sel) {
            int32_t lanes[4];
            _mm_storeu_si128((__m128i *)lanes, res);
            for (int k = 0; k < 4; k++)
                out[sel[i + k]] = lanes[k];
        } else {
            _mm_storeu_si128((__m128i *)(out + i), res);
        }
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

static inline __m256i sl_avx2_ld_i64x4(const int64_t *a, int64_t ca, const sl_sel_t *sel,
                                       uint32_t i)
{
    if (!a)
        return _mm256_set1_epi64x(ca);
    if (sel)
        return _mm256_i32gather_epi64((const long long *)a,
                                      _mm_loadu_si128((const __m128i *)(sel + i)), 8);
    return _mm256_loadu_si256((const __m256i *)(a + i));
}

static int sl_arith_dec_mul_avx2(int64_t *out, const int64_t *a, int64_t ca, const int64_t *b,
                                 int64_t cb, const uint64_t *valid, const sl_sel_t *sel, uint32_t n,
                                 uint32_t *err_row)
{
    const __m256i bias = _mm256_set1_epi64x(0x80000000ll);
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256i x = sl_avx2_ld_i64x4(a, ca, sel, i);
        __m256i y = sl_avx2_ld_i64x4(b, cb, sel, i);
        /* v fits in int32 exactly when v + 2^31 has no bits above 31 */
        __m256i hi = _mm256_or_si256(_mm256_srli_epi64(_mm256_add_epi64(x, bias), 32),
                                     _mm256_srli_epi64(_mm256_add_epi64(y, bias), 32));
        if (SL_LIKELY(_mm256_testz_si256(hi, hi))) {
            __m256i p = _mm256_mul_epi32(x, y);
            if (sel) {
                int64_t lanes[4];
                _mm256_storeu_si256((__m256i *)lanes, p);
                for (int k = 0; k < 4; k++)
                    out[sel[i + k]] = lanes[k];
            } else {
                _mm256_storeu_si256((__m256i *)(out + i), p);
            }
            continue;
        }
        for (uint32_t k = i; k < i + 4; k++) {
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

static void sl_arith_blend_i64_avx2(int64_t *out, const uint8_t *cond, const uint64_t *cond_valid,
                                    const int64_t *a, int64_t ca, const int64_t *b, int64_t cb,
                                    const sl_sel_t *sel, uint32_t n)
{
    if (sel) {
        sl_ai_blend_i64(out, cond, cond_valid, a, ca, b, cb, sel, n);
        return;
    }
    const __m256i zero = _mm256_setzero_si256();
    const __m256i bits = _mm256_setr_epi64x(1, 2, 4, 8);
    const __m256i va = _mm256_set1_epi64x(ca), vb = _mm256_set1_epi64x(cb);
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        int32_t c4;
        memcpy(&c4, cond + i, 4);
        __m256i c = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(c4));
        __m256i take_b = _mm256_cmpeq_epi64(c, zero);
        if (cond_valid) {
            /* i is a multiple of 4: the four validity bits sit in one word */
            uint64_t nib = (cond_valid[i >> 6] >> (i & 63u)) & 0xfu;
            __m256i v = _mm256_and_si256(_mm256_set1_epi64x((long long)nib), bits);
            take_b = _mm256_or_si256(take_b, _mm256_cmpeq_epi64(v, zero));
        }
        __m256i x = a ? _mm256_loadu_si256((const __m256i *)(a + i)) : va;
        __m256i y = b ? _mm256_loadu_si256((const __m256i *)(b + i)) : vb;
        _mm256_storeu_si256((__m256i *)(out + i), _mm256_blendv_epi8(x, y, take_b));
    }
    for (; i < n; i++) {
        bool c = cond[i] && sl_valid_get(cond_valid, i);
        out[i] = c ? (a ? a[i] : ca) : (b ? b[i] : cb);
    }
}

const struct sl_arith_kernels sl_arith_avx2 = {
    .binop_i32 = sl_arith_binop_i32_avx2,
    .binop_i64 = sl_ai_binop64,
    .binop_f64 = sl_ai_binop_f64,
    .valid_and = sl_ai_valid_and,
    .dec_rescale_up = sl_ai_dec_rescale_up,
    .dec_rescale_down = sl_ai_dec_rescale_down,
    .dec_add = sl_ai_dec_add,
    .dec_sub = sl_ai_dec_sub,
    .dec_mul = sl_arith_dec_mul_avx2,
    .dec_div = sl_ai_dec_div,
    .dec_check_precision = sl_ai_dec_check_precision,
    .cast_i32_i64 = sl_ai_cast_i32_i64,
    .cast_i64_i32 = sl_ai_cast_i64_i32,
    .cast_i64_f64 = sl_ai_cast_i64_f64,
    .cast_f64_i64 = sl_ai_cast_f64_i64,
    .cast_i64_dec = sl_ai_cast_i64_dec,
    .cast_dec_f64 = sl_ai_cast_dec_f64,
    .blend_i32 = sl_ai_blend_i32,
    .blend_i64 = sl_arith_blend_i64_avx2,
    .blend_f64 = sl_ai_blend_f64,
    .blend_str = sl_ai_blend_str,
    .scatter_i32 = sl_ai_scatter_i32,
    .scatter_i64 = sl_ai_scatter_i64,
    .scatter_f64 = sl_ai_scatter_f64,
    .scatter_str = sl_ai_scatter_str,
};
