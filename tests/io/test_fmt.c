/*
 * tests/io/test_fmt.c - the text rules every format shares (io/fmt.h), against
 * hand-computed answers, and format -> parse round trips over random values. TIMESTAMP(3)
 * text is engine/core/datetime's, tested in tests/engine/test_datetime.c.
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/fmt.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_integers(void **state)
{
    (void)state;
    const char *why = NULL;
    int64_t v = 0;
    int32_t w = 0;
    assert_int_equal(sl_fmt_parse_i64(S("0"), &v, &why), 0);
    assert_int_equal(v, 0);
    assert_int_equal(sl_fmt_parse_i64(S(" -42\t"), &v, &why), 0);
    assert_int_equal(v, -42);
    assert_int_equal(sl_fmt_parse_i64(S("+7"), &v, &why), 0);
    assert_int_equal(v, 7);
    assert_int_equal(sl_fmt_parse_i64(S("9223372036854775807"), &v, &why), 0);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(sl_fmt_parse_i64(S("-9223372036854775808"), &v, &why), 0);
    assert_int_equal(v, INT64_MIN);
    assert_int_equal(sl_fmt_parse_i64(S("9223372036854775808"), &v, &why), SL_ERANGE);
    assert_int_equal(sl_fmt_parse_i64(S("-9223372036854775809"), &v, &why), SL_ERANGE);
    assert_int_equal(sl_fmt_parse_i64(S("99999999999999999999999"), &v, &why), SL_ERANGE);
    assert_int_equal(sl_fmt_parse_i64(S("1.5"), &v, &why), SL_EPARSE);
    assert_non_null(strstr(why, "fraction"));
    assert_int_equal(sl_fmt_parse_i64(S("1e3"), &v, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_i64(S(""), &v, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_i64(S("-"), &v, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_i64(S("12a"), &v, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_i64(S("1 2"), &v, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_i32(S("2147483647"), &w, &why), 0);
    assert_int_equal(w, INT32_MAX);
    assert_int_equal(sl_fmt_parse_i32(S("-2147483648"), &w, &why), 0);
    assert_int_equal(w, INT32_MIN);
    assert_int_equal(sl_fmt_parse_i32(S("2147483648"), &w, &why), SL_ERANGE);
    assert_int_equal(sl_fmt_parse_i32(S("-2147483649"), &w, &why), SL_ERANGE);
    uint8_t bo = 9;
    assert_int_equal(sl_fmt_parse_bool(S("TRUE"), &bo, &why), 0);
    assert_int_equal(bo, 1);
    assert_int_equal(sl_fmt_parse_bool(S(" false "), &bo, &why), 0);
    assert_int_equal(bo, 0);
    assert_int_equal(sl_fmt_parse_bool(S("yes"), &bo, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_bool(S("1"), &bo, &why), SL_EPARSE);
}

static void test_doubles(void **state)
{
    (void)state;
    const char *why = NULL;
    double d = 0;
    assert_int_equal(sl_fmt_parse_f64(S("1.5"), &d, &why), 0);
    assert_true(d == 1.5);
    assert_int_equal(sl_fmt_parse_f64(S("-2.5e-3"), &d, &why), 0);
    assert_true(d == -2.5e-3);
    assert_int_equal(sl_fmt_parse_f64(S(".5"), &d, &why), 0);
    assert_true(d == 0.5);
    assert_int_equal(sl_fmt_parse_f64(S("NaN"), &d, &why), 0);
    assert_true(isnan(d));
    assert_int_equal(sl_fmt_parse_f64(S("-Infinity"), &d, &why), 0);
    assert_true(isinf(d) && d < 0);
    assert_int_equal(sl_fmt_parse_f64(S("-0.0"), &d, &why), 0);
    assert_true(d == 0 && signbit(d));
    assert_int_equal(sl_fmt_parse_f64(S("1e999"), &d, &why), SL_ERANGE);
    assert_int_equal(sl_fmt_parse_f64(S("0x10"), &d, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_f64(S("inf"), &d, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_f64(S("1e"), &d, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_f64(S("."), &d, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_f64(S(""), &d, &why), SL_EPARSE);
    char buf[SL_FMT_VALUE_MAX + 1];
    buf[sl_fmt_f64(buf, 1.0)] = '\0';
    assert_string_equal(buf, "1.0");
    buf[sl_fmt_f64(buf, 0.1)] = '\0';
    assert_string_equal(buf, "0.1");
    buf[sl_fmt_f64(buf, -0.0)] = '\0';
    assert_string_equal(buf, "-0.0");
    buf[sl_fmt_f64(buf, 1e300)] = '\0';
    assert_string_equal(buf, "1e+300");
}

static void test_decimals(void **state)
{
    (void)state;
    const char *why = NULL;
    int64_t v = 0;
    assert_int_equal(sl_fmt_parse_decimal(S("123.45"), 5, 2, &v, &why), 0);
    assert_int_equal(v, 12345);
    assert_int_equal(sl_fmt_parse_decimal(S("-0.5"), 5, 2, &v, &why), 0);
    assert_int_equal(v, -50);
    assert_int_equal(sl_fmt_parse_decimal(S("1.005"), 5, 2, &v, &why), 0); /* half-up */
    assert_int_equal(v, 101);
    assert_int_equal(sl_fmt_parse_decimal(S("1.004"), 5, 2, &v, &why), 0);
    assert_int_equal(v, 100);
    assert_int_equal(sl_fmt_parse_decimal(S("-1.005"), 5, 2, &v, &why), 0);
    assert_int_equal(v, -101);
    assert_int_equal(sl_fmt_parse_decimal(S("999.99"), 5, 2, &v, &why), 0);
    assert_int_equal(v, 99999);
    assert_int_equal(sl_fmt_parse_decimal(S("999.995"), 5, 2, &v, &why), SL_ERANGE);
    assert_int_equal(sl_fmt_parse_decimal(S("1000"), 5, 2, &v, &why), SL_ERANGE);
    assert_int_equal(sl_fmt_parse_decimal(S("1.2e2"), 5, 2, &v, &why), 0);
    assert_int_equal(v, 12000);
    assert_int_equal(sl_fmt_parse_decimal(S("125e-2"), 5, 2, &v, &why), 0);
    assert_int_equal(v, 125);
    assert_int_equal(sl_fmt_parse_decimal(S("0.001"), 5, 2, &v, &why), 0);
    assert_int_equal(v, 0);
    assert_int_equal(sl_fmt_parse_decimal(S("0.005"), 5, 2, &v, &why), 0);
    assert_int_equal(v, 1);
    assert_int_equal(sl_fmt_parse_decimal(S("1e-999999999"), 5, 2, &v, &why), 0);
    assert_int_equal(v, 0);
    assert_int_equal(sl_fmt_parse_decimal(S("1e999999999"), 5, 2, &v, &why), SL_ERANGE);
    assert_int_equal(sl_fmt_parse_decimal(S("0e999999999"), 5, 2, &v, &why), 0);
    assert_int_equal(v, 0);
    assert_int_equal(sl_fmt_parse_decimal(S("00000000000000000000000012.5"), 5, 2, &v, &why), 0);
    assert_int_equal(v, 1250);
    assert_int_equal(sl_fmt_parse_decimal(S("999999999999999999"), 18, 0, &v, &why), 0);
    assert_int_equal(v, 999999999999999999ll);
    assert_int_equal(sl_fmt_parse_decimal(S("1000000000000000000"), 18, 0, &v, &why), SL_ERANGE);
    assert_int_equal(sl_fmt_parse_decimal(S("12"), 2, 0, &v, &why), 0);
    /* DECIMAL(p > 18): any value that fits in 64 bits */
    assert_int_equal(sl_fmt_parse_decimal(S("1000000000000000000"), 23, 0, &v, &why), 0);
    assert_int_equal(v, 1000000000000000000ll);
    assert_int_equal(sl_fmt_parse_decimal(S("-9223372036854775.807"), 23, 3, &v, &why), 0);
    assert_int_equal(v, -9223372036854775807ll);
    assert_int_equal(sl_fmt_parse_decimal(S("9223372036854775.808"), 23, 3, &v, &why), SL_ERANGE);
    assert_non_null(strstr(why, "64 bits"));
    assert_int_equal(sl_fmt_parse_decimal(S("11209.26"), 23, 3, &v, &why), 0);
    assert_int_equal(v, 11209260);
    char dbuf[64];
    dbuf[sl_fmt_decimal(dbuf, 11209260, 3)] = '\0';
    assert_string_equal(dbuf, "11209.260");
    dbuf[sl_fmt_decimal(dbuf, -5, 20)] = '\0';
    assert_string_equal(dbuf, "-0.00000000000000000005");
    dbuf[sl_fmt_decimal(dbuf, INT64_MAX, 19)] = '\0';
    assert_string_equal(dbuf, "0.9223372036854775807");
    assert_int_equal(sl_fmt_parse_decimal(S("."), 5, 2, &v, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_decimal(S("1.2.3"), 5, 2, &v, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_decimal(S("abc"), 5, 2, &v, &why), SL_EPARSE);
    assert_int_equal(sl_fmt_parse_decimal(S("1e"), 5, 2, &v, &why), SL_EPARSE);
    char buf[SL_FMT_VALUE_MAX + 1];
    buf[sl_fmt_decimal(buf, -5, 2)] = '\0';
    assert_string_equal(buf, "-0.05");
    buf[sl_fmt_decimal(buf, 12345, 0)] = '\0';
    assert_string_equal(buf, "12345");
    buf[sl_fmt_decimal(buf, 999999999999999999ll, 18)] = '\0';
    assert_string_equal(buf, "0.999999999999999999");
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(sl_fmt_utf8_valid(S("")));
    assert_true(sl_fmt_utf8_valid(S("plain ascii text, longer than eight bytes")));
    assert_true(sl_fmt_utf8_valid(S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")));
    assert_true(sl_fmt_utf8_valid(S("\xf4\x8f\xbf\xbf"))); /* U+10FFFF */
    assert_false(sl_fmt_utf8_valid(S("\xc3")));            /* truncated */
    assert_false(sl_fmt_utf8_valid(S("abcdefgh\xc3")));
    assert_false(sl_fmt_utf8_valid(S("\xc0\xaf")));         /* overlong */
    assert_false(sl_fmt_utf8_valid(S("\xe0\x80\xaf")));     /* overlong */
    assert_false(sl_fmt_utf8_valid(S("\xed\xa0\x80")));     /* surrogate */
    assert_false(sl_fmt_utf8_valid(S("\xf4\x90\x80\x80"))); /* > U+10FFFF */
    assert_false(sl_fmt_utf8_valid(S("\xff")));
    assert_false(sl_fmt_utf8_valid(S("\x80")));
    assert_false(sl_fmt_utf8_valid(S("\xe2\x28\xa1")));
}

static void test_round_trips(void **state)
{
    (void)state;
    uint64_t rs = 99;
    static int64_t v[4096];
    static double d[4096];
    sl_test_fill_i64(v, 4096, &rs);
    sl_test_fill_f64(d, 4096, &rs);
    char buf[SL_FMT_VALUE_MAX + 1];
    const char *why = NULL;
    for (int i = 0; i < 4096; i++) {
        int64_t back = 0;
        size_t n = sl_fmt_i64(buf, v[i]);
        assert_int_equal(sl_fmt_parse_i64(buf, n, &back, &why), 0);
        assert_int_equal(back, v[i]);
        int64_t dv = v[i] % 1000000000000000000ll;
        n = sl_fmt_decimal(buf, dv, (unsigned)(i % 19));
        assert_int_equal(sl_fmt_parse_decimal(buf, n, 18, (unsigned)(i % 19), &back, &why), 0);
        assert_int_equal(back, dv);
        if (isfinite(d[i])) {
            double db = 0;
            n = sl_fmt_f64(buf, d[i]);
            assert_int_equal(sl_fmt_parse_f64(buf, n, &db, &why), 0);
            assert_memory_equal(&db, &d[i], sizeof(double));
        }
    }
}

static void test_out_buffer(void **state)
{
    (void)state;
    struct sl_fmt_out o;
    sl_fmt_out_init(&o);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(sl_fmt_out_reserve(&o, 10000), 0);
        memset(o.data + o.len, 'a' + i % 26, (size_t)i % 50);
        o.len += (size_t)i % 50;
        assert_int_equal(sl_fmt_out_end_record(&o), 0);
    }
    assert_int_equal(o.nrec, 1000);
    for (uint32_t i = 0; i < 1000; i++) {
        assert_int_equal(sl_fmt_out_rec_len(&o, i), i % 50);
        if (i % 50)
            assert_int_equal(sl_fmt_out_rec(&o, i)[0], 'a' + i % 26);
    }
    sl_fmt_out_clear(&o);
    assert_int_equal(o.nrec, 0);
    assert_int_equal(o.len, 0);
    sl_fmt_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),    cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_decimals),    cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_round_trips), cmocka_unit_test(test_out_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
