/*
 * tests/kernels/test_gather.c - gathers through a selection: the scalar reference against
 * hand-computed answers, and every variant (scalar included) against a per-value oracle, out
 * of place and in place (dst == src), at every length of sl_test_lengths and selection
 * densities from none to all rows. Destinations are allocated with exactly n values (plus a
 * guard checked afterwards) so that a write past n is caught.
 */
#include "tests/util/testutil.h"

#include <stdlib.h>

#include "kernels/gather.h"

#define CAP (SL_BATCH_CAP + 64)

static void test_reference_known(void **state)
{
    (void)state;
    const struct sl_gather_kernels *k = &sl_gather_scalar;
    int32_t a32[5] = {10, -20, 30, INT32_MIN, 50}, d32[3];
    int64_t a64[5] = {INT64_MIN, 2, INT64_MAX, 4, 5}, d64[3];
    sl_sel_t sel[3] = {0, 3, 4};
    k->g32(a32, sel, 3, d32);
    assert_int_equal(d32[0], 10);
    assert_int_equal(d32[1], INT32_MIN);
    assert_int_equal(d32[2], 50);
    k->g64(a64, sel, 3, d64);
    assert_true(d64[0] == INT64_MIN && d64[1] == 4 && d64[2] == 5);
    k->g64(a64, sel, 3, a64); /* in place */
    assert_true(a64[0] == INT64_MIN && a64[1] == 4 && a64[2] == 5 && a64[3] == 4);
    sl_str s[5], ds[3];
    const char *text[5] = {"", "abcd", "abcdefghijkl", "abcdefghijklm", "x"};
    for (int i = 0; i < 5; i++)
        s[i] = sl_str_make(text[i], (uint32_t)strlen(text[i]));
    k->g128(s, sel, 3, ds);
    assert_int_equal(ds[1].len, 13);
    assert_ptr_equal(ds[1].ptr, text[3]);
    assert_int_equal(ds[2].len, 1);
    assert_memory_equal(&ds[0], &s[0], sizeof(sl_str));
    /* bits: src rows 0..69 with row 3 and row 66 NULL */
    uint64_t v[2] = {~(uint64_t)8, ~(uint64_t)4}, d[2] = {~(uint64_t)0, 77};
    sl_sel_t sel2[4] = {1, 3, 65, 66};
    k->valid(v, sel2, 4, d);
    assert_int_equal(d[0], 0x5); /* 1, 0, 1, 0 and the rest of the word cleared */
    assert_int_equal(d[1], 77);  /* the next word untouched */
    k->valid(v, sel2, 0, d);
    assert_int_equal(d[0], 0x5);
}

static void check_level(const struct sl_gather_kernels *k, const sl_sel_t *sel, uint32_t n,
                        const uint32_t *s32, const uint64_t *s64, const sl_str *s128,
                        const uint64_t *sv, uint64_t *rs)
{
    /* out of place, exact-size destinations plus a guard value */
    uint32_t *d32 = malloc((n + 1) * 4);
    uint64_t *d64 = malloc((n + 1) * 8);
    sl_str *d128 = malloc((n + 1) * sizeof(sl_str));
    uint64_t *dv = malloc((SL_VALID_WORDS(n) + 1) * 8);
    assert_true(d32 && d64 && d128 && dv);
    d32[n] = 0xdeadbeef;
    d64[n] = 0xfeedfacecafef00dull;
    memset(&d128[n], 0x5a, sizeof(sl_str));
    for (uint32_t w = 0; w <= SL_VALID_WORDS(n); w++)
        dv[w] = sl_test_rand(rs);
    uint64_t guard = dv[SL_VALID_WORDS(n)];
    k->g32(s32, sel, n, d32);
    k->g64(s64, sel, n, d64);
    k->g128(s128, sel, n, d128);
    k->valid(sv, sel, n, dv);
    for (uint32_t j = 0; j < n; j++) {
        assert_int_equal(d32[j], s32[sel[j]]);
        assert_int_equal(d64[j], s64[sel[j]]);
        assert_memory_equal(&d128[j], &s128[sel[j]], sizeof(sl_str));
        assert_int_equal(sl_valid_get(dv, j), sl_valid_get(sv, sel[j]));
    }
    for (uint32_t j = n; j < 64 * SL_VALID_WORDS(n); j++)
        assert_false(sl_valid_get(dv, j));
    assert_int_equal(d32[n], 0xdeadbeef);
    assert_int_equal(d64[n], 0xfeedfacecafef00dull);
    assert_int_equal(dv[SL_VALID_WORDS(n)], guard);
    sl_str g;
    memset(&g, 0x5a, sizeof(g));
    assert_memory_equal(&d128[n], &g, sizeof(sl_str));

    /* in place: compact copies of the sources */
    static uint32_t c32[CAP];
    static uint64_t c64[CAP], cv[SL_VALID_WORDS(CAP)];
    static sl_str c128[CAP];
    memcpy(c32, s32, sizeof(c32));
    memcpy(c64, s64, sizeof(c64));
    memcpy(c128, s128, sizeof(c128));
    memcpy(cv, sv, sizeof(cv));
    k->g32(c32, sel, n, c32);
    k->g64(c64, sel, n, c64);
    k->g128(c128, sel, n, c128);
    k->valid(cv, sel, n, cv);
    assert_memory_equal(c32, d32, n * 4);
    assert_memory_equal(c64, d64, n * 8);
    assert_memory_equal(c128, d128, n * sizeof(sl_str));
    for (uint32_t j = 0; j < n; j++)
        assert_int_equal(sl_valid_get(cv, j), sl_valid_get(dv, j));
    free(d32);
    free(d64);
    free(d128);
    free(dv);
}

static void test_random(void **state)
{
    (void)state;
    sl_simd_level levels[SL_SIMD_COUNT];
    int nl = sl_test_simd_levels(levels);
    static uint32_t s32[CAP];
    static int64_t s64[CAP];
    static sl_str s128[CAP];
    static char heap[CAP * 16];
    static uint64_t sv[SL_VALID_WORDS(CAP)];
    static sl_sel_t sel[CAP];
    uint64_t rs = 77;
    for (size_t t = 0; t < sl_test_nlengths; t++) {
        uint32_t rows = sl_test_lengths[t];
        sl_test_fill_i32((int32_t *)s32, rows, &rs);
        sl_test_fill_i64(s64, rows, &rs);
        for (uint32_t i = 0; i < rows; i++) {
            uint32_t len = (uint32_t)(sl_test_rand(&rs) % 16);
            for (uint32_t b = 0; b < len; b++)
                heap[16 * i + b] = (char)('a' + sl_test_rand(&rs) % 26);
            s128[i] = sl_str_make(heap + 16 * i, len);
        }
        for (unsigned keep = 0; keep <= 100; keep += 20) {
            sl_test_fill_valid(sv, rows, keep % 40, &rs);
            uint32_t n = sl_test_fill_sel(sel, rows, keep, &rs);
            check_level(&sl_gather_scalar, sel, n, s32, (const uint64_t *)s64, s128, sv, &rs);
            for (int l = 0; l < nl; l++)
                check_level(sl_gather_kernels_for(levels[l]), sel, n, s32, (const uint64_t *)s64,
                            s128, sv, &rs);
        }
    }
}

static void test_dispatch(void **state)
{
    (void)state;
    assert_int_equal(sl_simd_use(SL_SIMD_SCALAR), 0);
    assert_ptr_equal(sl_gather, &sl_gather_scalar);
    assert_int_equal(sl_simd_use(sl_simd_detect()), 0);
    assert_ptr_equal(sl_gather, sl_gather_kernels_for(sl_simd_detect()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_known),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests_name("kernels/gather", tests, NULL, NULL);
}
