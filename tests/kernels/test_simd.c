/*
 * tests/kernels/test_simd.c - CPU detection and the SLUICE_SIMD override.
 */
#include "tests/util/testutil.h"

#include <stdlib.h>

static void test_names_roundtrip(void **state)
{
    (void)state;
    for (int l = 0; l < SL_SIMD_COUNT; l++) {
        sl_simd_level got;
        assert_int_equal(sl_simd_parse(sl_simd_name((sl_simd_level)l), &got), 0);
        assert_int_equal(got, l);
    }
    sl_simd_level got = SL_SIMD_AVX2;
    assert_int_equal(sl_simd_parse("sse9", &got), -1);
    assert_int_equal(got, SL_SIMD_AVX2);
    assert_string_equal(sl_simd_name(SL_SIMD_COUNT), "unknown");
}

static void test_detect_is_supported(void **state)
{
    (void)state;
    assert_true(sl_simd_supported(SL_SIMD_SCALAR));
    assert_true(sl_simd_supported(sl_simd_detect()));
    /* levels are ordered: anything above the detected one is unsupported */
    for (int l = sl_simd_detect() + 1; l < SL_SIMD_COUNT; l++)
        assert_false(sl_simd_supported((sl_simd_level)l));
    assert_false(sl_simd_supported(SL_SIMD_COUNT));
}

static void test_env_override(void **state)
{
    (void)state;
    setenv("SLUICE_SIMD", "scalar", 1);
    assert_int_equal(sl_simd_init(), 0);
    assert_int_equal(sl_simd_active(), SL_SIMD_SCALAR);

    setenv("SLUICE_SIMD", "bogus", 1);
    assert_int_equal(sl_simd_init(), -1);
    assert_int_equal(sl_simd_active(), SL_SIMD_SCALAR); /* unchanged on error */

    for (int l = 0; l < SL_SIMD_COUNT; l++) {
        setenv("SLUICE_SIMD", sl_simd_name((sl_simd_level)l), 1);
        int rc = sl_simd_init();
        if (sl_simd_supported((sl_simd_level)l)) {
            assert_int_equal(rc, 0);
            assert_int_equal(sl_simd_active(), l);
        } else {
            assert_int_equal(rc, -1);
        }
    }
    unsetenv("SLUICE_SIMD");
    assert_int_equal(sl_simd_init(), 0);
    assert_int_equal(sl_simd_active(), sl_simd_detect());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_roundtrip),
        cmocka_unit_test(test_detect_is_supported),
        cmocka_unit_test(test_env_override),
    };
    return cmocka_run_group_tests_name("kernels/simd", tests, NULL, NULL);
}
