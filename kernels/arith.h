/*
 * kernels/arith.h - expression kernels: arithmetic on INT, BIGINT, DOUBLE and DECIMAL, casts,
 * the AND of validity bitmaps, and CASE-style blends.
 *
 * Semantics are Flink's, which are Java's for integers:
 *   - INT and BIGINT + - * wrap (two's complement); / truncates toward zero; MOD takes the sign
 *     of the dividend; MIN / -1 = MIN and MIN MOD -1 = 0, never a trap. A zero divisor at a
 *     valid selected row is an error (below).
 *   - DOUBLE follows IEEE 754: x / 0 = +-Inf or NaN; MOD is C's fmod (Java's %). A NaN result
 *     of arithmetic is always the canonical quiet NaN 0x7ff8000000000000 (Java's Double.NaN,
 *     which is what Flink's serializers turn every NaN into), whatever the operands' payloads.
 *   - DECIMAL(p, s) is an int64 holding value * 10^s, p <= 18. Rounding is ROUND_HALF_UP (away
 *     from zero on a tie), as Java's BigDecimal does in Flink's casts and divisions.
 *
 * Conventions (besides those of kernels/kcommon.h)
 *   - Outputs are indexed by row and written only at the rows the positions name; other rows
 *     are never touched. An output may be the same array as an input of the same type (the
 *     kernels work element by element), but must not overlap it otherwise.
 *   - A binary operand is a column `a` or, when `a` is NULL, the constant `ca` (likewise `b`,
 *     `cb`): column op column, column op constant and constant op column share one entry.
 *   - Kernels that can fail take `valid`, the validity of the result (the AND of the operands'
 *     bitmaps, see valid_and; NULL = no NULLs). They return 0, or -1 with *err_row set to the
 *     first selected valid row that failed (division by zero or overflow; the caller tells
 *     which by looking at that row's divisor). NULL rows never fail; the output at NULL rows
 *     is unspecified (the caller keeps them NULL). After a failure the outputs at all selected
 *     rows are unspecified.
 *   - Kernels that cannot fail write every selected row, NULL or not, and take no `valid`.
 *   - The scale arguments of the DECIMAL kernels are preconditions the planner guarantees
 *     (the ranges are given per entry); they are not checked per row.
 *
 * Every SIMD variant returns bit-for-bit what the scalar reference returns, DOUBLE results
 * included: every level performs the same single correctly rounded IEEE operation per row,
 * and NaN results are canonical (above), so payloads cannot differ; casts and blends copy or
 * convert exactly.
 */
#ifndef SL_KERNELS_ARITH_H
#define SL_KERNELS_ARITH_H

#include "kernels/kcommon.h"
#include "kernels/simd.h"

typedef enum sl_arith_op {
    SL_ARITH_ADD = 0,
    SL_ARITH_SUB,
    SL_ARITH_MUL,
    SL_ARITH_DIV,
    SL_ARITH_MOD,
    SL_ARITH_OP_COUNT
} sl_arith_op;

/* 10^0 .. 10^18. */
extern const int64_t sl_arith_pow10[19];

struct sl_arith_kernels {
    /* ---- integer and DOUBLE arithmetic: out = a op b ---------------------------------- */
    /* Only DIV and MOD can fail (a zero divisor at a valid row). */
    int (*binop_i32)(sl_arith_op op, int32_t *out, const int32_t *a, int32_t ca, const int32_t *b,
                     int32_t cb, const uint64_t *valid, const sl_sel_t *sel, uint32_t n,
                     uint32_t *err_row);
    int (*binop_i64)(sl_arith_op op, int64_t *out, const int64_t *a, int64_t ca, const int64_t *b,
                     int64_t cb, const uint64_t *valid, const sl_sel_t *sel, uint32_t n,
                     uint32_t *err_row);
    void (*binop_f64)(sl_arith_op op, double *out, const double *a, double ca, const double *b,
                      double cb, const sl_sel_t *sel, uint32_t n);

    /* ---- validity ------------------------------------------------------------------------ */
    /* out = a AND b over the SL_VALID_WORDS(rows) words (whole words: bits past `rows` are
     * ANDed too). A NULL input counts as all valid; at least one of a, b is not NULL. `out`
     * may be a or b. */
    void (*valid_and)(uint64_t *out, const uint64_t *a, const uint64_t *b, uint32_t rows);

    /* ---- DECIMAL ------------------------------------------------------------------------- */
    /* out = a * 10^k, k in [0, 18]; fails when the result leaves int64. */
    int (*dec_rescale_up)(int64_t *out, const int64_t *a, uint32_t k, const uint64_t *valid,
                          const sl_sel_t *sel, uint32_t n, uint32_t *err_row);
    /* out = a / 10^k rounded ROUND_HALF_UP, k in [0, 18]; cannot fail. */
    void (*dec_rescale_down)(int64_t *out, const int64_t *a, uint32_t k, const sl_sel_t *sel,
                             uint32_t n);
    /* out = a + b and a - b at equal scales; fail when the result leaves int64 (the
     * precision of the result type is checked by dec_check_precision). */
    int (*dec_add)(int64_t *out, const int64_t *a, int64_t ca, const int64_t *b, int64_t cb,
                   const uint64_t *valid, const sl_sel_t *sel, uint32_t n, uint32_t *err_row);
    int (*dec_sub)(int64_t *out, const int64_t *a, int64_t ca, const int64_t *b, int64_t cb,
                   const uint64_t *valid, const sl_sel_t *sel, uint32_t n, uint32_t *err_row);
    /* out = a * b, the result's scale is s_a + s_b; fails when it leaves int64. */
    int (*dec_mul)(int64_t *out, const int64_t *a, int64_t ca, const int64_t *b, int64_t cb,
                   const uint64_t *valid, const sl_sel_t *sel, uint32_t n, uint32_t *err_row);
    /* out = a / b at result scale s_r, rounded ROUND_HALF_UP, where
     * shift = s_r + s_b - s_a must lie in [-18, 18]: out = round(a * 10^shift / b) (or
     * round(a / (b * 10^-shift)) for a negative shift), computed exactly in 128 bits. Fails
     * on a zero divisor or when the result leaves int64. */
    int (*dec_div)(int64_t *out, const int64_t *a, int64_t ca, const int64_t *b, int64_t cb,
                   int32_t shift, const uint64_t *valid, const sl_sel_t *sel, uint32_t n,
                   uint32_t *err_row);
    /* DECIMAL(p, s) overflow: fails at the first valid selected row with |a| >= 10^p,
     * p in [1, 18]. Writes nothing. */
    int (*dec_check_precision)(const int64_t *a, uint32_t p, const uint64_t *valid,
                               const sl_sel_t *sel, uint32_t n, uint32_t *err_row);

    /* ---- casts ----------------------------------------------------------------------------- */
    void (*cast_i32_i64)(int64_t *out, const int32_t *a, const sl_sel_t *sel, uint32_t n);
    /* Java's narrowing: keeps the low 32 bits. */
    void (*cast_i64_i32)(int32_t *out, const int64_t *a, const sl_sel_t *sel, uint32_t n);
    /* Rounds to nearest even beyond 2^53, as Java's (double) does. */
    void (*cast_i64_f64)(double *out, const int64_t *a, const sl_sel_t *sel, uint32_t n);
    /* Java's (long): truncates toward zero, NaN -> 0, saturates at INT64_MIN / INT64_MAX. */
    void (*cast_f64_i64)(int64_t *out, const double *a, const sl_sel_t *sel, uint32_t n);
    /* BIGINT -> DECIMAL(p, s): out = a * 10^s, p in [1, 18], s in [0, p]; fails when
     * |out| >= 10^p. */
    int (*cast_i64_dec)(int64_t *out, const int64_t *a, uint32_t p, uint32_t s,
                        const uint64_t *valid, const sl_sel_t *sel, uint32_t n, uint32_t *err_row);
    /* DECIMAL(p, s) -> DOUBLE as Flink's DecimalData does: (double)a / 10^s, s in [0, 18]. */
    void (*cast_dec_f64)(double *out, const int64_t *a, uint32_t s, const sl_sel_t *sel,
                         uint32_t n);

    /* ---- CASE ------------------------------------------------------------------------------ */
    /* out = cond ? a : b, where cond is a BOOLEAN column (0 false, anything else true) and a
     * NULL cond (cond_valid bit 0) counts as false, as in CASE WHEN. The validity of the
     * result is the caller's (it blends the operands' bitmaps the same way). */
    void (*blend_i32)(int32_t *out, const uint8_t *cond, const uint64_t *cond_valid,
                      const int32_t *a, int32_t ca, const int32_t *b, int32_t cb,
                      const sl_sel_t *sel, uint32_t n);
    void (*blend_i64)(int64_t *out, const uint8_t *cond, const uint64_t *cond_valid,
                      const int64_t *a, int64_t ca, const int64_t *b, int64_t cb,
                      const sl_sel_t *sel, uint32_t n);
    void (*blend_f64)(double *out, const uint8_t *cond, const uint64_t *cond_valid, const double *a,
                      double ca, const double *b, double cb, const sl_sel_t *sel, uint32_t n);
    /* Copies views, never string bytes: the views in `out` point where a's and b's do. */
    void (*blend_str)(sl_str *out, const uint8_t *cond, const uint64_t *cond_valid, const sl_str *a,
                      sl_str ca, const sl_str *b, sl_str cb, const sl_sel_t *sel, uint32_t n);
    /* Scatter through a selection: out[r] = a[r] for the selected rows r (a CASE whose
     * branches were computed under complementary selections is assembled this way). */
    void (*scatter_i32)(int32_t *out, const int32_t *a, const sl_sel_t *sel, uint32_t n);
    void (*scatter_i64)(int64_t *out, const int64_t *a, const sl_sel_t *sel, uint32_t n);
    void (*scatter_f64)(double *out, const double *a, const sl_sel_t *sel, uint32_t n);
    void (*scatter_str)(sl_str *out, const sl_str *a, const sl_sel_t *sel, uint32_t n);
};

extern const struct sl_arith_kernels sl_arith_scalar;
extern const struct sl_arith_kernels sl_arith_avx2;
extern const struct sl_arith_kernels sl_arith_avx512;

/* The active table (scalar until sl_simd_init()). */
extern const struct sl_arith_kernels *sl_arith;

const struct sl_arith_kernels *sl_arith_kernels_for(sl_simd_level level);
void sl_arith_kernels_activate(sl_simd_level level);

#endif
