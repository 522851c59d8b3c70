/*
 * tests/kernels/test_arith.c - the arith family: the scalar reference against hand-computed
 * answers (Java's and Flink's), then every SIMD variant against the reference on random data
 * at every test length, with and without NULLs and selections, for every operand shape
 * (column or constant on either side), including the extremes.
 *
 * Comparison rules (see kernels/arith.h): unselected rows must keep what was there; selected
 * rows must match the reference bit for bit, except at NULL rows of the kernels that take a
 * validity bitmap (unspecified there); a failing kernel must fail at the same row.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "tests/util/testutil.h"

#include "kernels/arith.h"

#define CAP (SL_BATCH_CAP + 64)

static const struct sl_arith_kernels *ref = &sl_arith_scalar;

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

/* ---- the reference against known answers ---------------------------------------------- */

static void test_int_known(void **state)
{
    (void)state;
    uint32_t err = 99;
    int64_t a[6] = {INT64_MAX, INT64_MIN, -7, 7, -7, INT64_MIN};
    int64_t b[6] = {1, -1, 2, -2, -2, 1};
    int64_t o[6];
    assert_int_equal(ref->binop_i64(SL_ARITH_ADD, o, a, 0, b, 0, NULL, NULL, 6, &err), 0);
    assert_int_equal(o[0], INT64_MIN); /* wraps like Java's long */
    assert_int_equal(o[1], INT64_MAX);
    assert_int_equal(ref->binop_i64(SL_ARITH_SUB, o, a, 0, b, 0, NULL, NULL, 6, &err), 0);
    assert_int_equal(o[0], INT64_MAX - 1);
    assert_int_equal(o[1], INT64_MIN + 1);
    assert_int_equal(o[5], INT64_MAX);
    assert_int_equal(ref->binop_i64(SL_ARITH_MUL, o, a, 0, NULL, 2, NULL, NULL, 6, &err), 0);
    assert_int_equal(o[0], -2);
    assert_int_equal(o[1], 0);
    assert_int_equal(o[2], -14);
    assert_int_equal(ref->binop_i64(SL_ARITH_DIV, o, a, 0, b, 0, NULL, NULL, 6, &err), 0);
    assert_int_equal(o[1], INT64_MIN); /* INT64_MIN / -1 */
    assert_int_equal(o[2], -3);        /* truncation toward zero */
    assert_int_equal(o[3], -3);
    assert_int_equal(o[4], 3);
    assert_int_equal(ref->binop_i64(SL_ARITH_MOD, o, a, 0, b, 0, NULL, NULL, 6, &err), 0);
    assert_int_equal(o[0], 0);
    assert_int_equal(o[1], 0);  /* INT64_MIN % -1 */
    assert_int_equal(o[2], -1); /* the dividend's sign */
    assert_int_equal(o[3], 1);  /* MOD by a negative number */
    assert_int_equal(o[4], -1);
    /* constant op column */
    assert_int_equal(ref->binop_i64(SL_ARITH_SUB, o, NULL, 10, b, 0, NULL, NULL, 6, &err), 0);
    assert_int_equal(o[0], 9);
    assert_int_equal(o[1], 11);
    assert_int_equal(ref->binop_i64(SL_ARITH_DIV, o, NULL, 100, b, 0, NULL, NULL, 3, &err), 0);
    assert_int_equal(o[2], 50);
    assert_int_equal(ref->binop_i64(SL_ARITH_MOD, o, NULL, -9, NULL, 4, NULL, NULL, 2, &err), 0);
    assert_int_equal(o[0], -1);
    assert_int_equal(o[1], -1);

    int32_t a32[4] = {INT32_MAX, INT32_MIN, -9, INT32_MIN};
    int32_t b32[4] = {1, -1, 4, 3};
    int32_t o32[4];
    assert_int_equal(ref->binop_i32(SL_ARITH_ADD, o32, a32, 0, b32, 0, NULL, NULL, 4, &err), 0);
    assert_int_equal(o32[0], INT32_MIN);
    assert_int_equal(ref->binop_i32(SL_ARITH_MUL, o32, a32, 0, NULL, 3, NULL, NULL, 4, &err), 0);
    assert_int_equal(o32[0], 2147483645); /* 3 * INT32_MAX wraps */
    assert_int_equal(ref->binop_i32(SL_ARITH_DIV, o32, a32, 0, b32, 0, NULL, NULL, 4, &err), 0);
    assert_int_equal(o32[1], INT32_MIN);
    assert_int_equal(o32[2], -2);
    assert_int_equal(o32[3], -715827882);
    assert_int_equal(ref->binop_i32(SL_ARITH_MOD, o32, a32, 0, b32, 0, NULL, NULL, 4, &err), 0);
    assert_int_equal(o32[1], 0);
    assert_int_equal(o32[2], -1);
    assert_int_equal(o32[3], -2);
}

static void test_div_zero_known(void **state)
{
    (void)state;
    int64_t a[5] = {1, 2, 3, 4, 5};
    int64_t b[5] = {1, 0, 0, 2, 0};
    int64_t o[5];
    uint64_t valid[1] = {0x1d}; /* row 1 NULL */
    uint32_t err = 99;
    for (int op = SL_ARITH_DIV; op <= SL_ARITH_MOD; op++) {
        err = 99;
        assert_int_equal(ref->binop_i64(op, o, a, 0, b, 0, NULL, NULL, 5, &err), -1);
        assert_int_equal(err, 1);
        err = 99;
        assert_int_equal(ref->binop_i64(op, o, a, 0, b, 0, valid, NULL, 5, &err), -1);
        assert_int_equal(err, 2); /* the NULL row 1 is skipped */
        sl_sel_t sel[3] = {0, 1, 3};
        assert_int_equal(ref->binop_i64(op, o, a, 0, b, 0, valid, sel, 3, &err), 0);
        assert_int_equal(o[3], op == SL_ARITH_DIV ? 2 : 0);
        sl_sel_t sel2[3] = {0, 3, 4};
        assert_int_equal(ref->binop_i64(op, o, a, 0, b, 0, valid, sel2, 3, &err), -1);
        assert_int_equal(err, 4);
        /* a constant zero divisor fails at the first valid selected row */
        uint64_t v2[1] = {0x18};
        assert_int_equal(ref->binop_i64(op, o, a, 0, NULL, 0, v2, NULL, 5, &err), -1);
        assert_int_equal(err, 3);
        assert_int_equal(ref->binop_i64(op, o, a, 0, NULL, 0, v2, NULL, 3, &err), 0);
        assert_int_equal(ref->binop_i64(op, o, a, 0, NULL, 0, NULL, NULL, 0, &err), 0);
        int32_t a32[3] = {1, 2, 3}, b32[3] = {5, 0, 1}, o32[3];
        assert_int_equal(ref->binop_i32(op, o32, a32, 0, b32, 0, NULL, NULL, 3, &err), -1);
        assert_int_equal(err, 1);
        uint64_t v3[1] = {0x5};
        assert_int_equal(ref->binop_i32(op, o32, a32, 0, b32, 0, v3, NULL, 3, &err), 0);
    }
}

static void test_f64_known(void **state)
{
    (void)state;
    double a[6] = {1.0, -1.0, 0.0, -7.5, 7.5, NAN};
    double b[6] = {0.0, 0.0, 0.0, 2.0, -0.0, 1.0};
    double o[6];
    ref->binop_f64(SL_ARITH_DIV, o, a, 0, b, 0, NULL, 6);
    assert_true(isinf(o[0]) && o[0] > 0);
    assert_true(isinf(o[1]) && o[1] < 0);
    assert_true(isnan(o[2]));
    assert_true(o[3] == -3.75);
    assert_true(isinf(o[4]) && o[4] < 0);
    assert_true(isnan(o[5]));
    ref->binop_f64(SL_ARITH_MOD, o, a, 0, b, 0, NULL, 6);
    assert_true(isnan(o[0]));
    assert_true(o[3] == -1.5); /* Java's %: the dividend's sign */
    assert_true(isnan(o[4]));
    ref->binop_f64(SL_ARITH_MUL, o, NULL, -0.0, b, 0, NULL, 6);
    assert_int_equal(f64_bits(o[0]), f64_bits(-0.0));
    assert_int_equal(f64_bits(o[4]), f64_bits(0.0));
    ref->binop_f64(SL_ARITH_SUB, o, a, 0, NULL, 0.5, NULL, 6);
    assert_true(o[0] == 0.5 && o[3] == -8.0);
    ref->binop_f64(SL_ARITH_ADD, o, a, 0, a, 0, NULL, 5);
    assert_true(o[4] == 15.0);
    /* NaN results are Java's canonical NaN, whatever the payloads */
    uint64_t pb = 0xfff0000000000abcull;
    double pn;
    memcpy(&pn, &pb, 8);
    for (int op = 0; op < SL_ARITH_OP_COUNT; op++) {
        ref->binop_f64(op, o, NULL, pn, b, 0, NULL, 2);
        assert_int_equal(f64_bits(o[0]), 0x7ff8000000000000ull);
        ref->binop_f64(op, o, a + 2, 0, NULL, pn, NULL, 1);
        assert_int_equal(f64_bits(o[0]), 0x7ff8000000000000ull);
    }
    ref->binop_f64(SL_ARITH_MUL, o, NULL, INFINITY, NULL, 0.0, NULL, 1);
    assert_int_equal(f64_bits(o[0]), 0x7ff8000000000000ull); /* not x86's negative NaN */
}

static void test_valid_and_known(void **state)
{
    (void)state;
    uint64_t a[2] = {0xf0f0, 0x3}, b[2] = {0xff00, 0x1}, o[2];
    ref->valid_and(o, a, b, 70);
    assert_int_equal(o[0], 0xf000);
    assert_int_equal(o[1], 0x1);
    ref->valid_and(o, NULL, b, 70);
    assert_int_equal(o[0], 0xff00);
    ref->valid_and(a, a, NULL, 70); /* in place, a NULL input: unchanged */
    assert_int_equal(a[0], 0xf0f0);
    ref->valid_and(a, a, b, 64); /* one word only */
    assert_int_equal(a[0], 0xf000);
    assert_int_equal(a[1], 0x3);
}

static void test_decimal_known(void **state)
{
    (void)state;
    uint32_t err = 99;
    int64_t o[8];
    /* rescale up: 922337203685477580 * 10 fits, ...581 * 10 does not */
    int64_t up[3] = {922337203685477580, -922337203685477580, 922337203685477581};
    assert_int_equal(ref->dec_rescale_up(o, up, 1, NULL, NULL, 2, &err), 0);
    assert_int_equal(o[0], 9223372036854775800);
    assert_int_equal(o[1], -9223372036854775800);
    assert_int_equal(ref->dec_rescale_up(o, up, 1, NULL, NULL, 3, &err), -1);
    assert_int_equal(err, 2);
    uint64_t v[1] = {0x3}; /* row 2 NULL: no failure */
    assert_int_equal(ref->dec_rescale_up(o, up, 1, v, NULL, 3, &err), 0);
    assert_int_equal(ref->dec_rescale_up(o, up, 0, NULL, NULL, 3, &err), 0);
    assert_int_equal(o[2], 922337203685477581);
    int64_t one[1] = {9};
    assert_int_equal(ref->dec_rescale_up(o, one, 18, NULL, NULL, 1, &err), 0);
    assert_int_equal(o[0], 9000000000000000000);
    one[0] = 10;
    assert_int_equal(ref->dec_rescale_up(o, one, 18, NULL, NULL, 1, &err), -1);

    /* rescale down, ROUND_HALF_UP: ties away from zero, also for negative values */
    int64_t dn[8] = {125, -125, -124, -126, 15, -15, -5, 4};
    const int64_t want1[8] = {13, -13, -12, -13, 2, -2, -1, 0};
    ref->dec_rescale_down(o, dn, 1, NULL, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(o[i], want1[i]);
    ref->dec_rescale_down(o, dn, 2, NULL, 8);
    assert_int_equal(o[0], 1);  /* 1.25 -> 1 */
    assert_int_equal(o[1], -1); /* -1.25 -> -1 */
    ref->dec_rescale_down(o, dn, 0, NULL, 8);
    assert_int_equal(o[1], -125);
    int64_t ext[2] = {INT64_MIN, INT64_MAX};
    ref->dec_rescale_down(o, ext, 18, NULL, 2);
    assert_int_equal(o[0], -9);
    assert_int_equal(o[1], 9);
    ref->dec_rescale_down(o, ext, 1, NULL, 2);
    assert_int_equal(o[0], -922337203685477581); /* ...580.8 rounds away */
    assert_int_equal(o[1], 922337203685477581);  /* ...580.7 */

    /* add / sub at equal scales */
    int64_t x[3] = {INT64_MAX, INT64_MIN, 150}, y[3] = {1, 1, 275};
    assert_int_equal(ref->dec_add(o, x, 0, y, 0, NULL, NULL, 3, &err), -1);
    assert_int_equal(err, 0);
    assert_int_equal(ref->dec_add(o, x + 1, 0, y + 1, 0, NULL, NULL, 2, &err), 0);
    assert_int_equal(o[1], 425);
    assert_int_equal(ref->dec_sub(o, x, 0, y, 0, NULL, NULL, 3, &err), -1);
    assert_int_equal(err, 1);
    assert_int_equal(ref->dec_sub(o, NULL, 0, y, 0, NULL, NULL, 3, &err), 0);
    assert_int_equal(o[2], -275);

    /* multiply: 1.50 * 2.75 = 4.1250 */
    assert_int_equal(ref->dec_mul(o, x + 2, 0, y + 2, 0, NULL, NULL, 1, &err), 0);
    assert_int_equal(o[0], 41250);
    int64_t big[2] = {3037000499, 3037000500}; /* squares: below / above INT64_MAX */
    assert_int_equal(ref->dec_mul(o, big, 0, big, 0, NULL, NULL, 1, &err), 0);
    assert_int_equal(o[0], 9223372030926249001);
    assert_int_equal(ref->dec_mul(o, big, 0, big, 0, NULL, NULL, 2, &err), -1);
    assert_int_equal(err, 1);
    assert_int_equal(ref->dec_mul(o, NULL, INT64_MIN, NULL, -1, NULL, NULL, 1, &err), -1);
    assert_int_equal(err, 0);

    /* divide: a(s_a) / b(s_b) at scale s_r, shift = s_r + s_b - s_a */
    int64_t na[6] = {100, 200, -200, 1, -1, 5};
    int64_t nb[6] = {300, 300, 300, 8, 8, 0};
    assert_int_equal(ref->dec_div(o, na, 0, nb, 0, 2, NULL, NULL, 5, &err), 0);
    assert_int_equal(o[0], 33);  /* 1.00 / 3.00 = 0.33 */
    assert_int_equal(o[1], 67);  /* 0.666.. -> 0.67 */
    assert_int_equal(o[2], -67); /* -0.67 */
    assert_int_equal(o[3], 13);  /* 0.125 -> 0.13 */
    assert_int_equal(o[4], -13); /* -0.125 -> -0.13 */
    assert_int_equal(ref->dec_div(o, na, 0, nb, 0, 2, NULL, NULL, 6, &err), -1);
    assert_int_equal(err, 5); /* zero divisor */
    uint64_t v5[1] = {0x1f};
    assert_int_equal(ref->dec_div(o, na, 0, nb, 0, 2, v5, NULL, 6, &err), 0);
    int64_t q1[2] = {12345, 12350}; /* 1.2345, 1.2350 (s 4) / 1 (s 0) at scale 2 */
    assert_int_equal(ref->dec_div(o, q1, 0, NULL, 1, -2, NULL, NULL, 2, &err), 0);
    assert_int_equal(o[0], 123);
    assert_int_equal(o[1], 124);
    assert_int_equal(ref->dec_div(o, NULL, -1, NULL, 2, 0, NULL, NULL, 1, &err), 0);
    assert_int_equal(o[0], -1); /* -0.5 -> -1 */
    assert_int_equal(ref->dec_div(o, ext, 0, NULL, 1, 1, NULL, NULL, 1, &err), -1);
    assert_int_equal(err, 0); /* overflow */
    assert_int_equal(ref->dec_div(o, ext, 0, NULL, -1, 0, NULL, NULL, 2, &err), -1);
    assert_int_equal(err, 0); /* -INT64_MIN leaves int64 */
    assert_int_equal(ref->dec_div(o, ext, 0, NULL, 10, 18, NULL, NULL, 1, &err), -1);
    assert_int_equal(ref->dec_div(o, ext, 0, NULL, INT64_MAX, 18, NULL, NULL, 2, &err), 0);
    assert_int_equal(o[0], -1000000000000000000); /* -1.000000000000000000 (rounded) */
    assert_int_equal(o[1], 1000000000000000000);
    assert_int_equal(ref->dec_div(o, ext, 0, NULL, 7, -18, NULL, NULL, 2, &err), 0);
    assert_int_equal(o[0], -1); /* -9.22 / 7 = -1.3 */
    assert_int_equal(o[1], 1);

    /* precision: DECIMAL(3, s) holds |unscaled| <= 999 */
    int64_t p[4] = {999, -999, 1000, -1000};
    assert_int_equal(ref->dec_check_precision(p, 3, NULL, NULL, 2, &err), 0);
    assert_int_equal(ref->dec_check_precision(p, 3, NULL, NULL, 4, &err), -1);
    assert_int_equal(err, 2);
    uint64_t v3[1] = {0xb}; /* row 2 NULL */
    assert_int_equal(ref->dec_check_precision(p, 3, v3, NULL, 4, &err), -1);
    assert_int_equal(err, 3);
    assert_int_equal(ref->dec_check_precision(p, 4, NULL, NULL, 4, &err), 0);
    int64_t p18[3] = {999999999999999999, -999999999999999999, INT64_MIN};
    assert_int_equal(ref->dec_check_precision(p18, 18, NULL, NULL, 2, &err), 0);
    assert_int_equal(ref->dec_check_precision(p18, 18, NULL, NULL, 3, &err), -1);
    assert_int_equal(err, 2);
}

static void test_cast_known(void **state)
{
    (void)state;
    uint32_t err = 99;
    double d[12] = {NAN,
                    INFINITY,
                    -INFINITY,
                    1e19,
                    -1e19,
                    -2.9,
                    2.9,
                    -0.0,
                    9223372036854775808.0,
                    -9223372036854775808.0,
                    9223372036854774784.0,
                    -NAN};
    int64_t o[12];
    ref->cast_f64_i64(o, d, NULL, 12);
    const int64_t want[12] = {0, INT64_MAX, INT64_MIN, INT64_MAX, INT64_MIN,           -2,
                              2, 0,         INT64_MAX, INT64_MIN, 9223372036854774784, 0};
    for (int i = 0; i < 12; i++)
        assert_int_equal(o[i], want[i]);

    int64_t w[4] = {((int64_t)1 << 32) + 5, 0x80000000ll, -1, INT64_MIN};
    int32_t o32[4];
    ref->cast_i64_i32(o32, w, NULL, 4);
    assert_int_equal(o32[0], 5);
    assert_int_equal(o32[1], INT32_MIN);
    assert_int_equal(o32[2], -1);
    assert_int_equal(o32[3], 0);
    int32_t n32[2] = {INT32_MIN, -3};
    ref->cast_i32_i64(o, n32, NULL, 2);
    assert_int_equal(o[0], INT32_MIN);
    assert_int_equal(o[1], -3);
    int64_t l[3] = {((int64_t)1 << 53) + 1, INT64_MAX, -3};
    double od[3];
    ref->cast_i64_f64(od, l, NULL, 3);
    assert_true(od[0] == 9007199254740992.0); /* rounds to even */
    assert_true(od[1] == 9223372036854775808.0);
    assert_true(od[2] == -3.0);

    /* BIGINT -> DECIMAL(5, 2): |v| <= 999 */
    int64_t bi[4] = {999, -999, 1000, INT64_MAX};
    assert_int_equal(ref->cast_i64_dec(o, bi, 5, 2, NULL, NULL, 2, &err), 0);
    assert_int_equal(o[0], 99900);
    assert_int_equal(o[1], -99900);
    assert_int_equal(ref->cast_i64_dec(o, bi, 5, 2, NULL, NULL, 4, &err), -1);
    assert_int_equal(err, 2);
    uint64_t v[1] = {0xb}; /* row 2 NULL: fails at the overflow of row 3 */
    assert_int_equal(ref->cast_i64_dec(o, bi, 5, 2, v, NULL, 4, &err), -1);
    assert_int_equal(err, 3);
    assert_int_equal(ref->cast_i64_dec(o, bi, 18, 0, NULL, NULL, 3, &err), 0);
    assert_int_equal(ref->cast_i64_dec(o, bi, 18, 0, NULL, NULL, 4, &err), -1);

    int64_t dec[3] = {12345, -5, INT64_MIN};
    ref->cast_dec_f64(od, dec, 2, NULL, 3);
    assert_true(od[0] == 123.45);
    assert_true(od[1] == -0.05);
    assert_true(od[2] == -92233720368547758.08);
}

static void test_blend_known(void **state)
{
    (void)state;
    uint8_t cond[5] = {1, 0, 2, 1, 0};
    uint64_t cv[1] = {0x17}; /* row 3 NULL: counts as false */
    int64_t a[5] = {10, 11, 12, 13, 14}, b[5] = {20, 21, 22, 23, 24}, o[5];
    sl_arith_scalar.blend_i64(o, cond, cv, a, 0, b, 0, NULL, 5);
    const int64_t want[5] = {10, 21, 12, 23, 24};
    for (int i = 0; i < 5; i++)
        assert_int_equal(o[i], want[i]);
    sl_arith_scalar.blend_i64(o, cond, NULL, NULL, -1, b, 0, NULL, 5);
    assert_int_equal(o[3], -1);
    assert_int_equal(o[1], 21);
    sl_sel_t sel[2] = {1, 2};
    int64_t o2[5] = {0, 0, 0, 0, 0};
    sl_arith_scalar.blend_i64(o2, cond, cv, a, 0, NULL, 7, sel, 2);
    assert_int_equal(o2[0], 0);
    assert_int_equal(o2[1], 7);
    assert_int_equal(o2[2], 12);
    assert_int_equal(o2[3], 0);

    int32_t a32[5] = {1, 2, 3, 4, 5}, o32[5];
    sl_arith_scalar.blend_i32(o32, cond, cv, a32, 0, NULL, 0, NULL, 5);
    assert_int_equal(o32[2], 3);
    assert_int_equal(o32[3], 0);
    double df[5] = {0.5, 1.5, 2.5, 3.5, 4.5}, of[5];
    sl_arith_scalar.blend_f64(of, cond, NULL, NULL, NAN, df, 0, NULL, 5);
    assert_true(isnan(of[0]) && of[1] == 1.5 && isnan(of[3]));

    sl_str sa = sl_str_make("a long string of bytes", 22), sb = sl_str_make("", 0);
    sl_str sc[5], so[5];
    for (int i = 0; i < 5; i++)
        sc[i] = sl_str_make("xyz", 3);
    sl_arith_scalar.blend_str(so, cond, cv, NULL, sa, sc, sb, NULL, 5);
    assert_true(sl_str_eq(&so[0], &sa));
    assert_true(sl_str_eq(&so[1], &sc[1]));
    assert_true(sl_str_eq(&so[3], &sc[3]));
    sl_arith_scalar.blend_str(so, cond, cv, sc, sb, NULL, sb, NULL, 5);
    assert_int_equal(so[1].len, 0);
    assert_int_equal(so[2].len, 3);

    /* scatter: rows 1 and 3 from a, the rest keeps the other branch */
    int64_t out[5] = {20, 21, 22, 23, 24};
    sl_sel_t s2[2] = {1, 3};
    sl_arith_scalar.scatter_i64(out, a, s2, 2);
    const int64_t want2[5] = {20, 11, 22, 13, 24};
    for (int i = 0; i < 5; i++)
        assert_int_equal(out[i], want2[i]);
    sl_str st[5];
    memset(st, 0, sizeof(st));
    sl_arith_scalar.scatter_str(st, sc, s2, 2);
    assert_int_equal(st[1].len, 3);
    assert_int_equal(st[2].len, 0);
}

/* ---- SIMD against the reference ----------------------------------------------------------- */

/* The test inputs of one round. */
static struct {
    uint32_t rows, n; /* rows of the batch; positions (n == rows without a selection) */
    const sl_sel_t *sel;
    const uint64_t *valid;
    int64_t a64[CAP], b64[CAP], o64[2][CAP];
    int32_t a32[CAP], b32[CAP], o32[2][CAP];
    double af[CAP], bf[CAP], of[2][CAP];
    sl_str as[CAP], bs[CAP], os[2][CAP];
    uint8_t cond[CAP];
    uint64_t cvalid[SL_VALID_WORDS(CAP)];
    uint64_t vand[2][SL_VALID_WORDS(CAP)];
    unsigned char selected[CAP];
} g;

/* Fills both outputs with the same garbage before a kernel runs. */
static void prime(void *o0, void *o1, size_t w, uint64_t *rs)
{
    /* eight random bytes a draw (a draw a byte was two thirds of this test's CPU) */
    unsigned char *p = o0;
    for (size_t i = 0; i < (size_t)CAP * w; i += 8) {
        uint64_t r = sl_test_rand(rs);
        memcpy(p + i, &r, (size_t)CAP * w - i < 8 ? (size_t)CAP * w - i : 8);
    }
    memcpy(o1, o0, (size_t)CAP * w);
}

/* Compares the outputs: byte-equal everywhere, except NULL selected rows when `nullable`. */
static void same(const void *o0, const void *o1, size_t w, bool nullable, const char *what,
                 int level)
{
    const unsigned char *p0 = o0, *p1 = o1;
    for (uint32_t r = 0; r < CAP; r++) {
        if (nullable && g.selected[r] && !sl_valid_get(g.valid, r))
            continue;
        if (memcmp(p0 + r * w, p1 + r * w, w) != 0) {
            fail_msg("%s (%s): row %u of %u differs (n %u, sel %d, valid %d)", what,
                     sl_simd_name((sl_simd_level)level), r, g.rows, g.n, g.sel != NULL,
                     g.valid != NULL);
        }
    }
}

#define CHECK_RC(rc0, e0, rc1, e1, what, lv)                                                       \
    do {                                                                                           \
        if ((rc0) != (rc1) || ((rc0) != 0 && (e0) != (e1)))                                        \
            fail_msg("%s (%s): rc %d/%d err_row %u/%u", what, sl_simd_name(lv), rc0, rc1, e0, e1); \
    } while (0)

static const char *const op_names[] = {"add", "sub", "mul", "div", "mod"};

static void compare_level(const struct sl_arith_kernels *k, sl_simd_level lv, uint64_t *rs)
{
    const sl_sel_t *sel = g.sel;
    const uint64_t *valid = g.valid;
    const uint32_t n = g.n;
    char what[96];
    uint32_t e0 = 1000000, e1 = 2000000;
    int rc0, rc1;

    for (int shape = 0; shape < 4; shape++) {
        const int64_t *a64 = shape & 1 ? NULL : g.a64, *b64 = shape & 2 ? NULL : g.b64;
        const int32_t *a32 = shape & 1 ? NULL : g.a32, *b32 = shape & 2 ? NULL : g.b32;
        const double *af = shape & 1 ? NULL : g.af, *bf = shape & 2 ? NULL : g.bf;
        const int64_t ca64 = g.a64[CAP - 1], cb64 = g.b64[CAP - 1];
        const int32_t ca32 = g.a32[CAP - 1], cb32 = g.b32[CAP - 1];
        const double caf = g.af[CAP - 1], cbf = g.bf[CAP - 1];
        for (int op = 0; op < SL_ARITH_OP_COUNT; op++) {
            snprintf(what, sizeof(what), "binop_i64 %s shape %d", op_names[op], shape);
            prime(g.o64[0], g.o64[1], 8, rs);
            rc0 = ref->binop_i64(op, g.o64[0], a64, ca64, b64, cb64, valid, sel, n, &e0);
            rc1 = k->binop_i64(op, g.o64[1], a64, ca64, b64, cb64, valid, sel, n, &e1);
            CHECK_RC(rc0, e0, rc1, e1, what, lv);
            if (rc0 == 0)
                same(g.o64[0], g.o64[1], 8, op >= SL_ARITH_DIV, what, lv);

            snprintf(what, sizeof(what), "binop_i32 %s shape %d", op_names[op], shape);
            prime(g.o32[0], g.o32[1], 4, rs);
            rc0 = ref->binop_i32(op, g.o32[0], a32, ca32, b32, cb32, valid, sel, n, &e0);
            rc1 = k->binop_i32(op, g.o32[1], a32, ca32, b32, cb32, valid, sel, n, &e1);
            CHECK_RC(rc0, e0, rc1, e1, what, lv);
            if (rc0 == 0)
                same(g.o32[0], g.o32[1], 4, op >= SL_ARITH_DIV, what, lv);

            snprintf(what, sizeof(what), "binop_f64 %s shape %d", op_names[op], shape);
            prime(g.of[0], g.of[1], 8, rs);
            ref->binop_f64(op, g.of[0], af, caf, bf, cbf, sel, n);
            k->binop_f64(op, g.of[1], af, caf, bf, cbf, sel, n);
            same(g.of[0], g.of[1], 8, false, what, lv);
        }

        /* DECIMAL binaries */
        static const char *const dn[] = {"dec_add", "dec_sub", "dec_mul"};
        for (int f = 0; f < 3; f++) {
            int (*fr)(int64_t *, const int64_t *, int64_t, const int64_t *, int64_t,
                      const uint64_t *, const sl_sel_t *, uint32_t, uint32_t *) =
                f == 0   ? ref->dec_add
                : f == 1 ? ref->dec_sub
                         : ref->dec_mul;
            int (*fk)(int64_t *, const int64_t *, int64_t, const int64_t *, int64_t,
                      const uint64_t *, const sl_sel_t *, uint32_t, uint32_t *) =
                f == 0   ? k->dec_add
                : f == 1 ? k->dec_sub
                         : k->dec_mul;
            snprintf(what, sizeof(what), "%s shape %d", dn[f], shape);
            prime(g.o64[0], g.o64[1], 8, rs);
            rc0 = fr(g.o64[0], a64, ca64, b64, cb64, valid, sel, n, &e0);
            rc1 = fk(g.o64[1], a64, ca64, b64, cb64, valid, sel, n, &e1);
            CHECK_RC(rc0, e0, rc1, e1, what, lv);
            if (rc0 == 0)
                same(g.o64[0], g.o64[1], 8, true, what, lv);
        }
        for (int32_t shift = -18; shift <= 18; shift += 6) {
            snprintf(what, sizeof(what), "dec_div shift %d shape %d", shift, shape);
            prime(g.o64[0], g.o64[1], 8, rs);
            rc0 = ref->dec_div(g.o64[0], a64, ca64, b64, cb64, shift, valid, sel, n, &e0);
            rc1 = k->dec_div(g.o64[1], a64, ca64, b64, cb64, shift, valid, sel, n, &e1);
            CHECK_RC(rc0, e0, rc1, e1, what, lv);
            if (rc0 == 0)
                same(g.o64[0], g.o64[1], 8, true, what, lv);
        }

        /* blends (the condition's validity is the round's bitmap) */
        snprintf(what, sizeof(what), "blend shape %d", shape);
        const uint64_t *cvs[2] = {NULL, g.cvalid};
        for (int c = 0; c < 2; c++) {
            prime(g.o64[0], g.o64[1], 8, rs);
            ref->blend_i64(g.o64[0], g.cond, cvs[c], a64, ca64, b64, cb64, sel, n);
            k->blend_i64(g.o64[1], g.cond, cvs[c], a64, ca64, b64, cb64, sel, n);
            same(g.o64[0], g.o64[1], 8, false, "blend_i64", lv);
            prime(g.o32[0], g.o32[1], 4, rs);
            ref->blend_i32(g.o32[0], g.cond, cvs[c], a32, ca32, b32, cb32, sel, n);
            k->blend_i32(g.o32[1], g.cond, cvs[c], a32, ca32, b32, cb32, sel, n);
            same(g.o32[0], g.o32[1], 4, false, "blend_i32", lv);
            prime(g.of[0], g.of[1], 8, rs);
            ref->blend_f64(g.of[0], g.cond, cvs[c], af, caf, bf, cbf, sel, n);
            k->blend_f64(g.of[1], g.cond, cvs[c], af, caf, bf, cbf, sel, n);
            same(g.of[0], g.of[1], 8, false, "blend_f64", lv);
            const sl_str *as = shape & 1 ? NULL : g.as, *bs = shape & 2 ? NULL : g.bs;
            prime(g.os[0], g.os[1], 16, rs);
            ref->blend_str(g.os[0], g.cond, cvs[c], as, g.as[CAP - 1], bs, g.bs[CAP - 1], sel, n);
            k->blend_str(g.os[1], g.cond, cvs[c], as, g.as[CAP - 1], bs, g.bs[CAP - 1], sel, n);
            same(g.os[0], g.os[1], 16, false, "blend_str", lv);
        }
    }

    /* unary kernels */
    for (uint32_t s = 0; s <= 18; s++) {
        snprintf(what, sizeof(what), "dec_rescale_up %u", s);
        prime(g.o64[0], g.o64[1], 8, rs);
        rc0 = ref->dec_rescale_up(g.o64[0], g.a64, s, valid, sel, n, &e0);
        rc1 = k->dec_rescale_up(g.o64[1], g.a64, s, valid, sel, n, &e1);
        CHECK_RC(rc0, e0, rc1, e1, what, lv);
        if (rc0 == 0)
            same(g.o64[0], g.o64[1], 8, true, what, lv);
        snprintf(what, sizeof(what), "dec_rescale_down %u", s);
        prime(g.o64[0], g.o64[1], 8, rs);
        ref->dec_rescale_down(g.o64[0], g.a64, s, sel, n);
        k->dec_rescale_down(g.o64[1], g.a64, s, sel, n);
        same(g.o64[0], g.o64[1], 8, false, what, lv);
        if (s >= 1) {
            snprintf(what, sizeof(what), "dec_check_precision %u", s);
            rc0 = ref->dec_check_precision(g.a64, s, valid, sel, n, &e0);
            rc1 = k->dec_check_precision(g.a64, s, valid, sel, n, &e1);
            CHECK_RC(rc0, e0, rc1, e1, what, lv);
            snprintf(what, sizeof(what), "cast_i64_dec 18,%u", s);
            prime(g.o64[0], g.o64[1], 8, rs);
            rc0 = ref->cast_i64_dec(g.o64[0], g.a64, 18, s, valid, sel, n, &e0);
            rc1 = k->cast_i64_dec(g.o64[1], g.a64, 18, s, valid, sel, n, &e1);
            CHECK_RC(rc0, e0, rc1, e1, what, lv);
            if (rc0 == 0)
                same(g.o64[0], g.o64[1], 8, true, what, lv);
        }
        snprintf(what, sizeof(what), "cast_dec_f64 %u", s);
        prime(g.of[0], g.of[1], 8, rs);
        ref->cast_dec_f64(g.of[0], g.a64, s, sel, n);
        k->cast_dec_f64(g.of[1], g.a64, s, sel, n);
        same(g.of[0], g.of[1], 8, false, what, lv);
    }
    prime(g.o64[0], g.o64[1], 8, rs);
    ref->cast_i32_i64(g.o64[0], g.a32, sel, n);
    k->cast_i32_i64(g.o64[1], g.a32, sel, n);
    same(g.o64[0], g.o64[1], 8, false, "cast_i32_i64", lv);
    prime(g.o32[0], g.o32[1], 4, rs);
    ref->cast_i64_i32(g.o32[0], g.a64, sel, n);
    k->cast_i64_i32(g.o32[1], g.a64, sel, n);
    same(g.o32[0], g.o32[1], 4, false, "cast_i64_i32", lv);
    prime(g.of[0], g.of[1], 8, rs);
    ref->cast_i64_f64(g.of[0], g.a64, sel, n);
    k->cast_i64_f64(g.of[1], g.a64, sel, n);
    same(g.of[0], g.of[1], 8, false, "cast_i64_f64", lv);
    prime(g.o64[0], g.o64[1], 8, rs);
    ref->cast_f64_i64(g.o64[0], g.af, sel, n);
    k->cast_f64_i64(g.o64[1], g.af, sel, n);
    same(g.o64[0], g.o64[1], 8, false, "cast_f64_i64", lv);

    /* scatters */
    prime(g.o64[0], g.o64[1], 8, rs);
    ref->scatter_i64(g.o64[0], g.a64, sel, n);
    k->scatter_i64(g.o64[1], g.a64, sel, n);
    same(g.o64[0], g.o64[1], 8, false, "scatter_i64", lv);
    prime(g.o32[0], g.o32[1], 4, rs);
    ref->scatter_i32(g.o32[0], g.a32, sel, n);
    k->scatter_i32(g.o32[1], g.a32, sel, n);
    same(g.o32[0], g.o32[1], 4, false, "scatter_i32", lv);
    prime(g.of[0], g.of[1], 8, rs);
    ref->scatter_f64(g.of[0], g.af, sel, n);
    k->scatter_f64(g.of[1], g.af, sel, n);
    same(g.of[0], g.of[1], 8, false, "scatter_f64", lv);
    prime(g.os[0], g.os[1], 16, rs);
    ref->scatter_str(g.os[0], g.as, sel, n);
    k->scatter_str(g.os[1], g.as, sel, n);
    same(g.os[0], g.os[1], 16, false, "scatter_str", lv);

    /* validity AND */
    for (int f = 0; f < 3; f++) {
        const uint64_t *va = f == 1 ? NULL : g.cvalid,
                       *vb = f == 2 ? NULL : (const uint64_t *)g.a64;
        memcpy(g.vand[1], g.vand[0], sizeof(g.vand[0]));
        ref->valid_and(g.vand[0], va, vb, g.rows);
        k->valid_and(g.vand[1], va, vb, g.rows);
        assert_memory_equal(g.vand[0], g.vand[1], sizeof(g.vand[0]));
    }
}

/*
 * Data of one round. `kind` varies the value ranges: 0 the full int64 range with extremes,
 * 1 small values (the int32 fast paths, few overflows), 2 full range without zero divisors
 * (so that divisions succeed and their outputs get compared).
 */
static void fill_round(uint32_t rows, int kind, uint64_t *rs)
{
    if (kind == 1) {
        sl_test_fill_i64_range(g.a64, CAP, -100000, 100000, rs);
        sl_test_fill_i64_range(g.b64, CAP, -3000, 3000, rs);
    } else {
        sl_test_fill_i64(g.a64, CAP, rs);
        sl_test_fill_i64(g.b64, CAP, rs);
    }
    sl_test_fill_i32(g.a32, CAP, rs);
    sl_test_fill_i32(g.b32, CAP, rs);
    if (kind == 1)
        for (uint32_t i = 0; i < CAP; i++)
            g.b32[i] = (int32_t)(sl_test_rand(rs) % 7) - 3;
    if (kind == 2) {
        for (uint32_t i = 0; i < CAP; i++) {
            g.b64[i] = g.b64[i] ? g.b64[i] : -1;
            g.b32[i] = g.b32[i] ? g.b32[i] : -1;
        }
    }
    sl_test_fill_f64(g.af, CAP, rs);
    sl_test_fill_f64(g.bf, CAP, rs);
    /* the edges of double -> BIGINT, and NaNs with other payloads and signs */
    uint64_t nan_bits = 0x7ff0000000000123ull, neg_nan_bits = 0xfff8000000000456ull;
    double specials[9] = {9223372036854775808.0,
                          -9223372036854775808.0,
                          9223372036854774784.0,
                          -9223372036854774784.0,
                          0.5,
                          -0.5,
                          -0.0,
                          0,
                          0};
    memcpy(&specials[7], &nan_bits, 8);
    memcpy(&specials[8], &neg_nan_bits, 8);
    for (uint32_t i = 0; i < CAP; i++) {
        uint64_t r = sl_test_rand(rs);
        if (r % 8 == 0)
            g.af[i] = specials[(r >> 8) % 9];
        if (r % 8 == 1)
            g.bf[i] = specials[(r >> 16) % 9];
    }
    for (uint32_t i = 0; i < CAP; i++) {
        uint64_t r = sl_test_rand(rs);
        g.cond[i] = (uint8_t)(r % 3 == 0 ? 0 : r % 3 == 1 ? 1 : (r >> 8) & 0xff);
        unsigned char bytes[32];
        for (int j = 0; j < 32; j++)
            bytes[j] = (unsigned char)sl_test_rand(rs);
        memcpy(&g.as[i], bytes, 16);
        memcpy(&g.bs[i], bytes + 16, 16);
    }
    g.as[5] = sl_str_make("", 0);
    sl_test_fill_valid(g.cvalid, rows, 40, rs);
}

static void test_simd_matches_scalar(void **state)
{
    (void)state;
    sl_simd_level levels[SL_SIMD_COUNT];
    int nl = sl_test_simd_levels(levels);
    static uint64_t valid[SL_VALID_WORDS(CAP)];
    static sl_sel_t sel[CAP];
    uint64_t rs = 4242;
    for (int li = 0; li < nl; li++) {
        const struct sl_arith_kernels *k = sl_arith_kernels_for(levels[li]);
        for (size_t t = 0; t < sl_test_nlengths; t++) {
            uint32_t rows = sl_test_lengths[t];
            for (int rep = 0; rep < 6; rep++) {
                fill_round(rows, rep % 3, &rs);
                sl_test_fill_valid(valid, rows, rep < 3 ? 5 : 50, &rs);
                uint32_t ns = sl_test_fill_sel(sel, rows, rep < 3 ? 90 : 30, &rs);
                for (int shape = 0; shape < 4; shape++) {
                    g.rows = rows;
                    g.valid = shape & 1 ? valid : NULL;
                    g.sel = shape & 2 ? sel : NULL;
                    g.n = g.sel ? ns : rows;
                    memset(g.selected, 0, sizeof(g.selected));
                    for (uint32_t i = 0; i < g.n; i++)
                        g.selected[g.sel ? g.sel[i] : i] = 1;
                    compare_level(k, levels[li], &rs);
                }
            }
        }
    }
}

/* The SIMD fast paths must also fail at the right row when the failure sits inside or after
 * a vector that took the fast path. */
static void test_simd_error_rows(void **state)
{
    (void)state;
    sl_simd_level levels[SL_SIMD_COUNT];
    int nl = sl_test_simd_levels(levels);
    static int64_t a[CAP], b[CAP], o[CAP];
    static int32_t a32[CAP], b32[CAP], o32[CAP];
    static uint64_t valid[SL_VALID_WORDS(CAP)];
    const uint32_t n = SL_BATCH_CAP;
    for (int li = 0; li < nl; li++) {
        const struct sl_arith_kernels *k = sl_arith_kernels_for(levels[li]);
        for (uint32_t bad = 0; bad < n; bad += (bad < 40 ? 1 : 97)) {
            for (uint32_t i = 0; i < n; i++) {
                a[i] = (int64_t)i - 1000;
                b[i] = 3;
                a32[i] = (int32_t)i * 7 - 99;
                b32[i] = -2;
            }
            a[bad] = INT64_MAX / 2; /* overflows dec_mul by 3 */
            b32[bad] = 0;
            uint32_t e = 0;
            assert_int_equal(k->dec_mul(o, a, 0, b, 0, NULL, NULL, n, &e), -1);
            assert_int_equal(e, bad);
            assert_int_equal(k->binop_i32(SL_ARITH_DIV, o32, a32, 0, b32, 0, NULL, NULL, n, &e),
                             -1);
            assert_int_equal(e, bad);
            /* a NULL at the bad row: no failure, and the rest is exact */
            memset(valid, 0xff, sizeof(valid));
            sl_valid_set(valid, bad, false);
            assert_int_equal(k->dec_mul(o, a, 0, b, 0, valid, NULL, n, &e), 0);
            assert_int_equal(k->binop_i32(SL_ARITH_MOD, o32, a32, 0, b32, 0, valid, NULL, n, &e),
                             0);
            for (uint32_t i = 0; i < n; i++) {
                if (i == bad)
                    continue;
                assert_int_equal(o[i], a[i] * 3);
                assert_int_equal(o32[i], a32[i] % -2);
            }
        }
    }
}

static void test_dispatch(void **state)
{
    (void)state;
    assert_int_equal(sl_simd_use(SL_SIMD_SCALAR), 0);
    assert_ptr_equal(sl_arith, &sl_arith_scalar);
    assert_int_equal(sl_simd_use(sl_simd_detect()), 0);
    assert_ptr_equal(sl_arith, sl_arith_kernels_for(sl_simd_detect()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_known),       cmocka_unit_test(test_div_zero_known),
        cmocka_unit_test(test_f64_known),       cmocka_unit_test(test_valid_and_known),
        cmocka_unit_test(test_decimal_known),   cmocka_unit_test(test_cast_known),
        cmocka_unit_test(test_blend_known),     cmocka_unit_test(test_simd_matches_scalar),
        cmocka_unit_test(test_simd_error_rows), cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests_name("kernels/arith", tests, NULL, NULL);
}
