/*
 * tests/kernels/test_hash.c - the key hashes: the scalar reference against values computed
 * independently (a Python model of the mixer, libxxhash itself), the normalization rules, and
 * every SIMD variant against the scalar reference.
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <xxhash.h>

#include "kernels/hash.h"

/* Arrays hold the longest of sl_test_lengths (65 even when SL_BATCH_CAP is 2). */
#define TMAX (SL_BATCH_CAP > 128 ? SL_BATCH_CAP : 128)

static void test_reference_known(void **state)
{
    (void)state;
    const struct sl_hash_kernels *k = &sl_hash_scalar;
    /* expected values from an independent Python model of mix64(x ^ seed) */
    int64_t v[4] = {0, 1, -1, INT64_MIN};
    const uint64_t want[4] = {0x4e17cf67001b3979ull, 0xf7622d3784a0ad54ull, 0x503db2454d517fb6ull,
                              0x9d820ead33496e9eull};
    uint64_t h[8];
    k->i64(v, NULL, NULL, 4, h);
    for (int i = 0; i < 4; i++)
        assert_int_equal(h[i], want[i]);
    /* combine: mix64(hash(5) ^ 7) */
    int64_t five = 5, seven = 7;
    k->i64(&five, NULL, NULL, 1, h);
    k->combine_i64(&seven, NULL, NULL, 1, h);
    assert_int_equal(h[0], 0x2fe22958e4a0b8eaull);
    /* INT hashes like the same BIGINT */
    int32_t v32[3] = {0, 1, -1};
    k->i32(v32, NULL, NULL, 3, h);
    for (int i = 0; i < 3; i++)
        assert_int_equal(h[i], want[i]);
    /* NULL is one constant for every type, selection picks rows */
    uint64_t valid[1] = {0x5}; /* rows 0 and 2 */
    sl_sel_t sel[2] = {1, 3};
    k->i64(v, valid, sel, 2, h);
    assert_int_equal(h[0], SL_HASH_NULL);
    assert_int_equal(h[1], SL_HASH_NULL);
    k->i64(v, valid, NULL, 3, h);
    assert_int_equal(h[0], want[0]);
    assert_int_equal(h[1], SL_HASH_NULL);
    assert_int_equal(h[2], want[2]);
    /* DOUBLE: -0.0 and 0.0 alike, every NaN alike, and equal to the hash of the bits */
    double d[5] = {0.0, -0.0, NAN, -NAN, 1.5};
    uint64_t nanbits = 0x7ff0000000000123ull;
    memcpy(&d[3], &nanbits, 8);
    k->f64(d, NULL, NULL, 5, h);
    assert_int_equal(h[0], want[0]);
    assert_int_equal(h[1], h[0]);
    assert_int_equal(h[2], h[3]);
    int64_t nanw = (int64_t)SL_HASH_NAN_BITS, onep5;
    memcpy(&onep5, &d[4], 8);
    uint64_t hn, h15;
    k->i64(&nanw, NULL, NULL, 1, &hn);
    k->i64(&onep5, NULL, NULL, 1, &h15);
    assert_int_equal(h[2], hn);
    assert_int_equal(h[4], h15);
    /* strings: XXH3 from the library itself */
    char long_s[100];
    for (int i = 0; i < 100; i++)
        long_s[i] = (char)('a' + i % 26);
    sl_str s[3] = {sl_str_make("", 0), sl_str_make("hello", 5), sl_str_make(long_s, 100)};
    k->str(s, NULL, NULL, 3, h);
    assert_int_equal(h[0], XXH3_64bits_withSeed("", 0, SL_HASH_SEED));
    assert_int_equal(h[1], XXH3_64bits_withSeed("hello", 5, SL_HASH_SEED));
    assert_int_equal(h[2], XXH3_64bits_withSeed(long_s, 100, SL_HASH_SEED));
    uint64_t h2[3] = {1, 2, 3};
    k->combine_str(s, NULL, NULL, 3, h2);
    assert_int_equal(h2[1], XXH3_64bits_withSeed("hello", 5, 2));
}

/* The low bits (a table's slot index) spread small dense keys evenly. */
static void test_low_bits_spread(void **state)
{
    (void)state;
    enum { N = 1 << 16, B = 256 };
    static int64_t v[N];
    static uint64_t h[N];
    uint32_t bucket[B] = {0};
    for (int i = 0; i < N; i++)
        v[i] = (int64_t)i << 12; /* multiples of 4096, like millisecond timestamps */
    sl_hash_scalar.i64(v, NULL, NULL, N, h);
    for (int i = 0; i < N; i++)
        bucket[h[i] & (B - 1)]++;
    double chi = 0, e = (double)N / B;
    for (int b = 0; b < B; b++)
        chi += (bucket[b] - e) * (bucket[b] - e) / e;
    /* 255 degrees of freedom: the 99.99th percentile is about 350 */
    assert_true(chi < 350.0);
}

static void check_level(const struct sl_hash_kernels *k, const int64_t *v, const int32_t *v32,
                        const double *d, const sl_str *s, const uint64_t *valid,
                        const sl_sel_t *sel, uint32_t n)
{
    const struct sl_hash_kernels *ref = &sl_hash_scalar;
    static uint64_t a[TMAX], b[TMAX];
#define SL_CMP(fn, data)                                            \
    do {                                                            \
        for (uint32_t i = 0; i < n; i++)                            \
            a[i] = b[i] = i * 0x12345ull;                           \
        ref->fn(data, valid, sel, n, a);                            \
        k->fn(data, valid, sel, n, b);                              \
        assert_memory_equal(a, b, n * sizeof(uint64_t) + (n == 0)); \
    } while (0)
    SL_CMP(i64, v);
    SL_CMP(i32, v32);
    SL_CMP(f64, d);
    SL_CMP(str, s);
    SL_CMP(combine_i64, v);
    SL_CMP(combine_i32, v32);
    SL_CMP(combine_f64, d);
    SL_CMP(combine_str, s);
#undef SL_CMP
}

static void test_simd_matches_scalar(void **state)
{
    (void)state;
    sl_simd_level levels[SL_SIMD_COUNT];
    int nl = sl_test_simd_levels(levels);
    static int64_t v[TMAX];
    static int32_t v32[TMAX];
    static double d[TMAX];
    static sl_str s[TMAX];
    static char text[64];
    static uint64_t valid[SL_VALID_WORDS(TMAX) + 1];
    static sl_sel_t sel[TMAX];
    for (int i = 0; i < 64; i++)
        text[i] = (char)('A' + i % 50);
    uint64_t rs = 99;
    for (int li = 0; li < nl; li++) {
        const struct sl_hash_kernels *k = sl_hash_kernels_for(levels[li]);
        for (size_t t = 0; t < sl_test_nlengths; t++) {
            uint32_t n = sl_test_lengths[t];
            for (int rep = 0; rep < 6; rep++) {
                sl_test_fill_i64(v, n, &rs);
                sl_test_fill_i32(v32, n, &rs);
                sl_test_fill_f64(d, n, &rs);
                for (uint32_t i = 0; i < n; i++) {
                    uint64_t r = sl_test_rand(&rs);
                    s[i] = sl_str_make(text + r % 8, (uint32_t)((r >> 8) % 40));
                }
                sl_test_fill_valid(valid, n, rep % 3 == 0 ? 0 : rep % 3 == 1 ? 30 : 100, &rs);
                check_level(k, v, v32, d, s, NULL, NULL, n);
                check_level(k, v, v32, d, s, valid, NULL, n);
                uint32_t ns = sl_test_fill_sel(sel, n, (unsigned)rep * 20, &rs);
                check_level(k, v, v32, d, s, NULL, sel, ns);
                check_level(k, v, v32, d, s, valid, sel, ns);
            }
        }
    }
}

static void test_dispatch(void **state)
{
    (void)state;
    assert_int_equal(sl_simd_use(SL_SIMD_SCALAR), 0);
    assert_ptr_equal(sl_hash, &sl_hash_scalar);
    assert_int_equal(sl_simd_use(sl_simd_detect()), 0);
    assert_ptr_equal(sl_hash, sl_hash_kernels_for(sl_simd_detect()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_known),
        cmocka_unit_test(test_low_bits_spread),
        cmocka_unit_test(test_simd_matches_scalar),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests_name("kernels/hash", tests, NULL, NULL);
}
