/*
 * kernels/arith_impl.h - the portable loops of the arith family, private to arith.c,
 * arith_avx2.c and arith_avx512.c.
 *
 * Why a shared template: most arith kernels are one operation per row, which compilers
 * vectorize well once the loop is a plain counted loop over `restrict`-free, branch-free
 * code. Writing those loops once and compiling them in each level's file (baseline x86-64,
 * -mavx2, -mavx512*) gives every level the instructions it has (vpmullq and vcvtqq2pd only
 * exist with AVX-512DQ, for example) without three copies of the same C. arith.c uses these
 * loops as the scalar reference; the SIMD files use them wherever a hand-written kernel would
 * not do better, and override the rest (integer division through double, DECIMAL multiply,
 * blends, the double -> BIGINT cast). The tests compare every level with arith.c, so a
 * miscompiled or hand-written variant is caught either way.
 *
 * Every loop splits on the selection and on the operand shapes (column or constant) outside
 * the loop, so the inner loops have no per-row tests the compiler cannot hoist.
 *
 * Everything here is `static inline`: each including file gets its own copy, compiled with
 * its own flags, and unused ones cost nothing.
 */
#ifndef SL_KERNELS_ARITH_IMPL_H
#define SL_KERNELS_ARITH_IMPL_H

#include <math.h>

#include "kernels/arith.h"

/* Runs the statement for every position, with `r` the row. */
#define SL_AI_ROWS(sel, n, ...)                     \
    do {                                            \
        if (!(sel)) {                               \
            for (uint32_t r = 0; r < (n); r++) {    \
                __VA_ARGS__;                        \
            }                                       \
        } else {                                    \
            for (uint32_t i_ = 0; i_ < (n); i_++) { \
                const uint32_t r = (sel)[i_];       \
                __VA_ARGS__;                        \
            }                                       \
        }                                           \
    } while (0)

/* Runs the statement for every position with `x` and `y` the operands at row `r`. */
#define SL_AI_BINARY(T, a, ca, b, cb, sel, n, ...)                                   \
    do {                                                                             \
        if ((a) && (b))                                                              \
            SL_AI_ROWS(sel, n, const T x = (a)[r]; const T y = (b)[r]; __VA_ARGS__); \
        else if (a)                                                                  \
            SL_AI_ROWS(sel, n, const T x = (a)[r]; const T y = (cb); __VA_ARGS__);   \
        else if (b)                                                                  \
            SL_AI_ROWS(sel, n, const T x = (ca); const T y = (b)[r]; __VA_ARGS__);   \
        else                                                                         \
            SL_AI_ROWS(sel, n, const T x = (ca); const T y = (cb); __VA_ARGS__);     \
    } while (0)

/* ---- integer arithmetic (Java's) ---------------------------------------------------------- */

#define SL_AI_INT_OPS(W, T, UT)                          \
    static inline T sl_ai_add##W(T x, T y)               \
    {                                                    \
        return (T)((UT)x + (UT)y);                       \
    }                                                    \
    static inline T sl_ai_sub##W(T x, T y)               \
    {                                                    \
        return (T)((UT)x - (UT)y);                       \
    }                                                    \
    static inline T sl_ai_mul##W(T x, T y)               \
    {                                                    \
        return (T)((UT)x * (UT)y);                       \
    }                                                    \
    /* y != 0; MIN / -1 wraps to MIN as in Java */       \
    static inline T sl_ai_div##W(T x, T y)               \
    {                                                    \
        return y == -1 ? (T)((UT)0 - (UT)x) : x / y;     \
    }                                                    \
    /* y != 0; the sign of the dividend; MIN % -1 = 0 */ \
    static inline T sl_ai_mod##W(T x, T y)               \
    {                                                    \
        return y == -1 ? 0 : x % y;                      \
    }

SL_AI_INT_OPS(32, int32_t, uint32_t)
SL_AI_INT_OPS(64, int64_t, uint64_t)

/*
 * First valid selected row whose divisor is 0: returns -1 with *err_row set, or 0. Division
 * kernels run it first, then divide with the zero divisors (at NULL rows only) replaced by 1.
 */
#define SL_AI_FIND_ZERO(W, T)                                                                \
    static inline int sl_ai_find_zero##W(const T *b, T cb, const uint64_t *valid,            \
                                         const sl_sel_t *sel, uint32_t n, uint32_t *err_row) \
    {                                                                                        \
        if (!b) {                                                                            \
            if (cb != 0)                                                                     \
                return 0;                                                                    \
            SL_AI_ROWS(                                                                      \
                sel, n, if (sl_valid_get(valid, r)) {                                        \
                    *err_row = r;                                                            \
                    return -1;                                                               \
                });                                                                          \
            return 0;                                                                        \
        }                                                                                    \
        SL_AI_ROWS(                                                                          \
            sel, n, if (b[r] == 0 && sl_valid_get(valid, r)) {                               \
                *err_row = r;                                                                \
                return -1;                                                                   \
            });                                                                              \
        return 0;                                                                            \
    }

SL_AI_FIND_ZERO(32, int32_t)
SL_AI_FIND_ZERO(64, int64_t)

#define SL_AI_INT_BINOP(W, T)                                                                    \
    static inline int sl_ai_binop##W(sl_arith_op op, T *out, const T *a, T ca, const T *b, T cb, \
                                     const uint64_t *valid, const sl_sel_t *sel, uint32_t n,     \
                                     uint32_t *err_row)                                          \
    {                                                                                            \
        switch (op) {                                                                            \
        case SL_ARITH_ADD:                                                                       \
            SL_AI_BINARY(T, a, ca, b, cb, sel, n, out[r] = sl_ai_add##W(x, y));                  \
            return 0;                                                                            \
        case SL_ARITH_SUB:                                                                       \
            SL_AI_BINARY(T, a, ca, b, cb, sel, n, out[r] = sl_ai_sub##W(x, y));                  \
            return 0;                                                                            \
        case SL_ARITH_MUL:                                                                       \
            SL_AI_BINARY(T, a, ca, b, cb, sel, n, out[r] = sl_ai_mul##W(x, y));                  \
            return 0;                                                                            \
        case SL_ARITH_DIV:                                                                       \
            if (sl_ai_find_zero##W(b, cb, valid, sel, n, err_row))                               \
                return -1;                                                                       \
            SL_AI_BINARY(T, a, ca, b, cb, sel, n, out[r] = sl_ai_div##W(x, y ? y : 1));          \
            return 0;                                                                            \
        case SL_ARITH_MOD:                                                                       \
            if (sl_ai_find_zero##W(b, cb, valid, sel, n, err_row))                               \
                return -1;                                                                       \
            SL_AI_BINARY(T, a, ca, b, cb, sel, n, out[r] = sl_ai_mod##W(x, y ? y : 1));          \
            return 0;                                                                            \
        default:                                                                                 \
            return -1;                                                                           \
        }                                                                                        \
    }

SL_AI_INT_BINOP(32, int32_t)
SL_AI_INT_BINOP(64, int64_t)

/* Java's canonical NaN (Double.NaN, what doubleToLongBits and so Flink's serializers make of
 * every NaN) in place of whatever payload the hardware propagated: compilers may swap the
 * operands of a commutative operation, which changes which payload x86 keeps. */
static inline double sl_ai_canon(double v)
{
    return v != v ? __builtin_nan("") : v;
}

static inline void sl_ai_binop_f64(sl_arith_op op, double *out, const double *a, double ca,
                                   const double *b, double cb, const sl_sel_t *sel, uint32_t n)
{
    switch (op) {
    case SL_ARITH_ADD:
        SL_AI_BINARY(double, a, ca, b, cb, sel, n, out[r] = sl_ai_canon(x + y));
        break;
    case SL_ARITH_SUB:
        SL_AI_BINARY(double, a, ca, b, cb, sel, n, out[r] = sl_ai_canon(x - y));
        break;
    case SL_ARITH_MUL:
        SL_AI_BINARY(double, a, ca, b, cb, sel, n, out[r] = sl_ai_canon(x * y));
        break;
    case SL_ARITH_DIV:
        SL_AI_BINARY(double, a, ca, b, cb, sel, n, out[r] = sl_ai_canon(x / y));
        break;
    case SL_ARITH_MOD:
        SL_AI_BINARY(double, a, ca, b, cb, sel, n, out[r] = sl_ai_canon(fmod(x, y)));
        break;
    default:
        break;
    }
}

static inline void sl_ai_valid_and(uint64_t *out, const uint64_t *a, const uint64_t *b,
                                   uint32_t rows)
{
    const uint32_t words = SL_VALID_WORDS(rows);
    if (a && b) {
        for (uint32_t w = 0; w < words; w++)
            out[w] = a[w] & b[w];
    } else {
        const uint64_t *src = a ? a : b;
        if (src != out)
            for (uint32_t w = 0; w < words; w++)
                out[w] = src[w];
    }
}

/* ---- DECIMAL --------------------------------------------------------------------------- */

/* Fails the kernel at row r when `bad` and r is valid. */
#define SL_AI_FAIL_IF(bad)                            \
    if (SL_UNLIKELY(bad) && sl_valid_get(valid, r)) { \
        *err_row = r;                                 \
        return -1;                                    \
    }

/* x / d rounded ROUND_HALF_UP (ties away from zero), d > 0. */
static inline int64_t sl_ai_div_half_up(int64_t x, int64_t d)
{
    int64_t q = x / d, rm = x % d;
    uint64_t arm = rm < 0 ? (uint64_t)0 - (uint64_t)rm : (uint64_t)rm;
    if (2 * arm >= (uint64_t)d && rm != 0)
        q += x < 0 ? -1 : 1;
    return q;
}

static inline int sl_ai_dec_rescale_up(int64_t *out, const int64_t *a, uint32_t k,
                                       const uint64_t *valid, const sl_sel_t *sel, uint32_t n,
                                       uint32_t *err_row)
{
    const int64_t m = sl_arith_pow10[k];
    SL_AI_ROWS(sel, n, int64_t v; bool o = __builtin_mul_overflow(a[r], m, &v); out[r] = v;
               SL_AI_FAIL_IF(o));
    return 0;
}

static inline void sl_ai_dec_rescale_down(int64_t *out, const int64_t *a, uint32_t k,
                                          const sl_sel_t *sel, uint32_t n)
{
    const int64_t d = sl_arith_pow10[k];
    SL_AI_ROWS(sel, n, out[r] = sl_ai_div_half_up(a[r], d));
}

#define SL_AI_DEC_CHECKED(name, builtin)                                                       \
    static inline int name(int64_t *out, const int64_t *a, int64_t ca, const int64_t *b,       \
                           int64_t cb, const uint64_t *valid, const sl_sel_t *sel, uint32_t n, \
                           uint32_t *err_row)                                                  \
    {                                                                                          \
        SL_AI_BINARY(int64_t, a, ca, b, cb, sel, n, int64_t v; bool o = builtin(x, y, &v);     \
                     out[r] = v; SL_AI_FAIL_IF(o));                                            \
        return 0;                                                                              \
    }

SL_AI_DEC_CHECKED(sl_ai_dec_add, __builtin_add_overflow)
SL_AI_DEC_CHECKED(sl_ai_dec_sub, __builtin_sub_overflow)
SL_AI_DEC_CHECKED(sl_ai_dec_mul, __builtin_mul_overflow)

/* round(x * 10^shift / y) ROUND_HALF_UP into *res, y != 0; false when it leaves int64. */
static inline bool sl_ai_dec_div1(int64_t x, int64_t y, int32_t shift, int64_t *res)
{
    __int128 num = x, den = y;
    if (shift >= 0)
        num *= sl_arith_pow10[shift];
    else
        den *= sl_arith_pow10[-shift];
    __int128 q = num / den, rm = num % den;
    __int128 arm = rm < 0 ? -rm : rm, aden = den < 0 ? -den : den;
    if (rm != 0 && 2 * arm >= aden)
        q += ((num < 0) != (den < 0)) ? -1 : 1;
    if (q > INT64_MAX || q < INT64_MIN)
        return false;
    *res = (int64_t)q;
    return true;
}

static inline int sl_ai_dec_div(int64_t *out, const int64_t *a, int64_t ca, const int64_t *b,
                                int64_t cb, int32_t shift, const uint64_t *valid,
                                const sl_sel_t *sel, uint32_t n, uint32_t *err_row)
{
    SL_AI_BINARY(int64_t, a, ca, b, cb, sel, n, int64_t v = 0;
                 bool ok = y != 0 && sl_ai_dec_div1(x, y, shift, &v); out[r] = v;
                 SL_AI_FAIL_IF(!ok));
    return 0;
}

static inline int sl_ai_dec_check_precision(const int64_t *a, uint32_t p, const uint64_t *valid,
                                            const sl_sel_t *sel, uint32_t n, uint32_t *err_row)
{
    const int64_t lim = sl_arith_pow10[p];
    SL_AI_ROWS(sel, n, SL_AI_FAIL_IF(a[r] >= lim || a[r] <= -lim));
    return 0;
}

/* ---- casts ------------------------------------------------------------------------------ */

static inline void sl_ai_cast_i32_i64(int64_t *out, const int32_t *a, const sl_sel_t *sel,
                                      uint32_t n)
{
    SL_AI_ROWS(sel, n, out[r] = a[r]);
}

static inline void sl_ai_cast_i64_i32(int32_t *out, const int64_t *a, const sl_sel_t *sel,
                                      uint32_t n)
{
    SL_AI_ROWS(sel, n, out[r] = (int32_t)(uint32_t)(uint64_t)a[r]);
}

static inline void sl_ai_cast_i64_f64(double *out, const int64_t *a, const sl_sel_t *sel,
                                      uint32_t n)
{
    SL_AI_ROWS(sel, n, out[r] = (double)a[r]);
}

/* Java's (long) of a double. */
static inline int64_t sl_ai_f64_to_i64(double x)
{
    if (x != x)
        return 0;
    if (x >= 9223372036854775808.0)
        return INT64_MAX;
    if (x <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)x;
}

static inline void sl_ai_cast_f64_i64(int64_t *out, const double *a, const sl_sel_t *sel,
                                      uint32_t n)
{
    SL_AI_ROWS(sel, n, out[r] = sl_ai_f64_to_i64(a[r]));
}

static inline int sl_ai_cast_i64_dec(int64_t *out, const int64_t *a, uint32_t p, uint32_t s,
                                     const uint64_t *valid, const sl_sel_t *sel, uint32_t n,
                                     uint32_t *err_row)
{
    const int64_t m = sl_arith_pow10[s], lim = sl_arith_pow10[p];
    SL_AI_ROWS(sel, n, int64_t v; bool o = __builtin_mul_overflow(a[r], m, &v); out[r] = v;
               SL_AI_FAIL_IF(o || v >= lim || v <= -lim));
    return 0;
}

static inline void sl_ai_cast_dec_f64(double *out, const int64_t *a, uint32_t s,
                                      const sl_sel_t *sel, uint32_t n)
{
    const double d = (double)sl_arith_pow10[s];
    SL_AI_ROWS(sel, n, out[r] = (double)a[r] / d);
}

/* ---- CASE -------------------------------------------------------------------------------- */

#define SL_AI_BLEND(name, T)                                                                     \
    static inline void name(T *out, const uint8_t *cond, const uint64_t *cond_valid, const T *a, \
                            T ca, const T *b, T cb, const sl_sel_t *sel, uint32_t n)             \
    {                                                                                            \
        if (!cond_valid)                                                                         \
            SL_AI_BINARY(T, a, ca, b, cb, sel, n, out[r] = cond[r] ? x : y);                     \
        else                                                                                     \
            SL_AI_BINARY(T, a, ca, b, cb, sel, n,                                                \
                         out[r] = (cond[r] && sl_valid_get(cond_valid, r)) ? x : y);             \
    }

SL_AI_BLEND(sl_ai_blend_i32, int32_t)
SL_AI_BLEND(sl_ai_blend_i64, int64_t)
SL_AI_BLEND(sl_ai_blend_f64, double)
SL_AI_BLEND(sl_ai_blend_str, sl_str)

#define SL_AI_SCATTER(name, T)                                                   \
    static inline void name(T *out, const T *a, const sl_sel_t *sel, uint32_t n) \
    {                                                                            \
        SL_AI_ROWS(sel, n, out[r] = a[r]);                                       \
    }

SL_AI_SCATTER(sl_ai_scatter_i32, int32_t)
SL_AI_SCATTER(sl_ai_scatter_i64, int64_t)
SL_AI_SCATTER(sl_ai_scatter_f64, double)
SL_AI_SCATTER(sl_ai_scatter_str, sl_str)

#endif
