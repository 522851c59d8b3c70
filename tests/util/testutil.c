/*
 * tests/util/testutil.c - shared helpers of the cmocka tests.
 */
#include "tests/util/testutil.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

const uint32_t sl_test_lengths[] = {
    0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, SL_BATCH_CAP - 1, SL_BATCH_CAP};
const size_t sl_test_nlengths = sizeof(sl_test_lengths) / sizeof(sl_test_lengths[0]);

int sl_test_simd_levels(sl_simd_level out[SL_SIMD_COUNT])
{
    int n = 0;
    for (int l = SL_SIMD_SCALAR + 1; l < SL_SIMD_COUNT; l++) {
        if (sl_simd_supported((sl_simd_level)l))
            out[n++] = (sl_simd_level)l;
        else
            fprintf(stderr, "[  SKIPPED ] %s variants: this CPU lacks them\n",
                    sl_simd_name((sl_simd_level)l));
    }
    return n;
}

uint64_t sl_test_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

void sl_test_fill_i64(int64_t *v, uint32_t n, uint64_t *state)
{
    static const int64_t extremes[] = {INT64_MIN, INT64_MAX, 0, -1, 1, INT64_MIN + 1};
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = sl_test_rand(state);
        if (r % 16 == 0)
            v[i] = extremes[(r >> 8) % 6];
        else if (r % 4 == 0)
            v[i] = (int64_t)(r >> 40) - (1 << 23); /* small values: many equal ones */
        else
            v[i] = (int64_t)sl_test_rand(state);
    }
}

void sl_test_fill_i64_range(int64_t *v, uint32_t n, int64_t lo, int64_t hi, uint64_t *state)
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = sl_test_rand(state);
        v[i] = (int64_t)((uint64_t)lo + (span ? r % span : r));
    }
}

void sl_test_fill_i32(int32_t *v, uint32_t n, uint64_t *state)
{
    static const int32_t extremes[] = {INT32_MIN, INT32_MAX, 0, -1, 1};
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = sl_test_rand(state);
        v[i] = r % 16 == 0 ? extremes[(r >> 8) % 5] : (int32_t)(uint32_t)(r >> 32);
    }
}

void sl_test_fill_f64(double *v, uint32_t n, uint64_t *state)
{
    const double extremes[] = {NAN, INFINITY, -INFINITY, -0.0, 0.0, DBL_MAX, -DBL_MAX, DBL_MIN / 4};
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = sl_test_rand(state);
        if (r % 16 == 0)
            v[i] = extremes[(r >> 8) % 8];
        else
            v[i] = ((double)(int64_t)(r >> 11) - (double)(1ll << 52)) / 1024.0;
    }
}

void sl_test_fill_valid(uint64_t *valid, uint32_t n, unsigned null_pct, uint64_t *state)
{
    uint32_t words = SL_VALID_WORDS(n);
    for (uint32_t w = 0; w < words; w++)
        valid[w] = sl_test_rand(state); /* garbage past n on purpose */
    for (uint32_t i = 0; i < n; i++)
        sl_valid_set(valid, i, sl_test_rand(state) % 100 >= null_pct);
}

uint32_t sl_test_fill_sel(sl_sel_t *sel, uint32_t rows, unsigned keep_pct, uint64_t *state)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < rows; i++)
        if (sl_test_rand(state) % 100 < keep_pct)
            sel[k++] = i;
    return k;
}
