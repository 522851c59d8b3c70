/*
 * tests/kernels/test_reduce.c - the reductions: every SIMD variant against the scalar
 * reference, and the reference against hand-computed answers.
 */
#include "tests/util/testutil.h"

#include "kernels/reduce.h"

static void test_reference_known(void **state)
{
    (void)state;
    const struct sl_reduce_kernels *k = &sl_reduce_scalar;
    int64_t v[5] = {5, -3, INT64_MAX, 7, INT64_MIN};
    uint64_t valid[1] = {0x1b}; /* rows 0, 1, 3, 4 valid; row 2 NULL */
    uint64_t cnt = 0;
    assert_int_equal(k->sum_i64(v, NULL, NULL, 2, &cnt), 2);
    assert_int_equal(cnt, 2);
    /* wraps like Java's long: INT64_MAX + 7 + INT64_MIN + 5 - 3 */
    assert_int_equal(k->sum_i64(v, NULL, NULL, 5, &cnt),
                     (int64_t)((uint64_t)INT64_MAX + 7u + (uint64_t)INT64_MIN + 2u));
    assert_int_equal(k->sum_i64(v, valid, NULL, 5, &cnt), (int64_t)(9u + (uint64_t)INT64_MIN));
    assert_int_equal(cnt, 4);
    int64_t m = 42;
    assert_true(k->min_i64(v, valid, NULL, 4, &m));
    assert_int_equal(m, -3);
    assert_true(k->max_i64(v, valid, NULL, 4, &m));
    assert_int_equal(m, 7);
    sl_sel_t sel[1] = {2};
    m = 42;
    assert_false(k->max_i64(v, valid, sel, 1, &m)); /* only a NULL selected */
    assert_int_equal(m, 42);
    assert_false(k->min_i64(v, NULL, NULL, 0, &m));
    assert_int_equal(k->sum_i64(v, NULL, NULL, 0, &cnt), 0);
    assert_int_equal(cnt, 0);
}

static void check_level(const struct sl_reduce_kernels *k, const int64_t *v, const uint64_t *valid,
                        const sl_sel_t *sel, uint32_t n)
{
    const struct sl_reduce_kernels *ref = &sl_reduce_scalar;
    uint64_t c1 = 1, c2 = 2;
    assert_int_equal(k->sum_i64(v, valid, sel, n, &c1), ref->sum_i64(v, valid, sel, n, &c2));
    assert_int_equal(c1, c2);
    int64_t m1 = 11, m2 = 11;
    assert_int_equal(k->min_i64(v, valid, sel, n, &m1), ref->min_i64(v, valid, sel, n, &m2));
    assert_int_equal(m1, m2);
    m1 = m2 = 12;
    assert_int_equal(k->max_i64(v, valid, sel, n, &m1), ref->max_i64(v, valid, sel, n, &m2));
    assert_int_equal(m1, m2);
}

static void test_simd_matches_scalar(void **state)
{
    (void)state;
    sl_simd_level levels[SL_SIMD_COUNT];
    int nl = sl_test_simd_levels(levels);
    static int64_t v[SL_TEST_MAXLEN];
    static uint64_t valid[SL_VALID_WORDS(SL_TEST_MAXLEN)];
    static sl_sel_t sel[SL_TEST_MAXLEN];
    uint64_t rs = 1234;
    for (int li = 0; li < nl; li++) {
        const struct sl_reduce_kernels *k = sl_reduce_kernels_for(levels[li]);
        for (size_t t = 0; t < sl_test_nlengths; t++) {
            uint32_t n = sl_test_lengths[t];
            for (int rep = 0; rep < 8; rep++) {
                sl_test_fill_i64(v, n, &rs);
                sl_test_fill_valid(valid, n, rep % 3 == 0 ? 0 : rep % 3 == 1 ? 30 : 100, &rs);
                check_level(k, v, NULL, NULL, n);
                check_level(k, v, valid, NULL, n);
                uint32_t ns = sl_test_fill_sel(sel, n, rep * 12, &rs);
                check_level(k, v, NULL, sel, ns);
                check_level(k, v, valid, sel, ns);
            }
        }
    }
}

static void test_dispatch(void **state)
{
    (void)state;
    assert_int_equal(sl_simd_use(SL_SIMD_SCALAR), 0);
    assert_ptr_equal(sl_reduce, &sl_reduce_scalar);
    assert_int_equal(sl_simd_use(sl_simd_detect()), 0);
    assert_ptr_equal(sl_reduce, sl_reduce_kernels_for(sl_simd_detect()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_known),
        cmocka_unit_test(test_simd_matches_scalar),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests_name("kernels/reduce", tests, NULL, NULL);
}
