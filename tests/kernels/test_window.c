/*
 * tests/kernels/test_window.c - window assignment: the scalar reference against Flink's
 * answers (negative timestamps and offsets, timestamps exactly on a boundary, the rules of
 * HOP), then every SIMD variant against the reference on random data at every test length,
 * with and without NULLs and selections, over realistic and extreme timestamps.
 */
#include <stdio.h>

#include "tests/util/testutil.h"

#include "kernels/window.h"

#define CAP (SL_BATCH_CAP + 64)
#define MAX_K 10
#define BOUNDARY_OFFSET (-3600000ll)

static const struct sl_window_kernels *ref = &sl_window_scalar;

static void test_tumble_known(void **state)
{
    (void)state;
    int64_t ts[8] = {0, 4999, 5000, -1, -5000, -5001, 12345, INT64_MIN};
    int64_t o[8];
    assert_int_equal(ref->tumble(o, ts, 5000, 0, NULL, 8), 0);
    const int64_t want[7] = {0, 0, 5000, -5000, -5000, -10000, 10000};
    for (int i = 0; i < 7; i++)
        assert_int_equal(o[i], want[i]);
    /* Java's long arithmetic at the extreme: INT64_MIN % 5000 = -808, floor_mod 4192, and
     * the start wraps around as Flink's does */
    assert_int_equal(o[7], (int64_t)((uint64_t)INT64_MIN - 4192u));

    /* offsets, positive and negative, and larger than the size */
    int64_t t2[5] = {2, 3, 0, 7, -4};
    assert_int_equal(ref->tumble(o, t2, 10, 3, NULL, 5), 0);
    assert_int_equal(o[0], -7);
    assert_int_equal(o[1], 3); /* on the boundary */
    assert_int_equal(o[4], -7);
    assert_int_equal(ref->tumble(o, t2, 10, -3, NULL, 5), 0);
    assert_int_equal(o[2], -3);
    assert_int_equal(o[3], 7); /* on the boundary */
    assert_int_equal(o[4], -13);
    assert_int_equal(ref->tumble(o, t2, 10, 13, NULL, 5), 0);
    assert_int_equal(o[0], -7);
    assert_int_equal(o[1], 3);

    /* a selection writes only its rows; size <= 0 is refused */
    int64_t o2[5] = {-1, -1, -1, -1, -1};
    sl_sel_t sel[2] = {1, 4};
    assert_int_equal(ref->tumble(o2, t2, 10, 0, sel, 2), 0);
    assert_int_equal(o2[0], -1);
    assert_int_equal(o2[1], 0);
    assert_int_equal(o2[4], -10);
    assert_int_equal(ref->tumble(o2, t2, 0, 0, NULL, 5), -1);
    assert_int_equal(ref->tumble(o2, t2, -5, 0, NULL, 5), -1);
    assert_int_equal(o2[0], -1);
    /* in place */
    assert_int_equal(ref->tumble(t2, t2, 10, 0, NULL, 5), 0);
    assert_int_equal(t2[3], 0);
    assert_int_equal(t2[4], -10);
}

static void test_hop_known(void **state)
{
    (void)state;
    uint32_t rows[16];
    int64_t starts[16];
    /* HOP(size 10 s, slide 2 s) */
    int64_t ts[3] = {4999, 4000, -1};
    assert_int_equal(ref->hop(rows, starts, ts, NULL, NULL, 3, 10000, 2000, 0), 15);
    const int64_t want[15] = {4000,  2000,  0,     -2000, -4000,   /* 4999 */
                              4000,  2000,  0,     -2000, -4000,   /* 4000, on a boundary */
                              -2000, -4000, -6000, -8000, -10000}; /* -1 */
    for (int i = 0; i < 15; i++) {
        assert_int_equal(starts[i], want[i]);
        assert_int_equal(rows[i], i / 5);
        /* every window contains its timestamp */
        assert_true(starts[i] <= ts[i / 5] && ts[i / 5] < starts[i] + 10000);
    }
    /* NULL rows get no window; selections keep their order */
    uint64_t valid[1] = {0x5}; /* row 1 NULL */
    assert_int_equal(ref->hop(rows, starts, ts, valid, NULL, 3, 10000, 2000, 0), 10);
    assert_int_equal(rows[5], 2);
    assert_int_equal(starts[5], -2000);
    sl_sel_t sel[2] = {1, 2};
    assert_int_equal(ref->hop(rows, starts, ts, valid, sel, 2, 10000, 2000, 0), 5);
    assert_int_equal(rows[0], 2);
    /* an offset: HOP(6, 2) shifted by -1: windows start at odd numbers */
    int64_t t1[1] = {-4};
    assert_int_equal(ref->hop(rows, starts, t1, NULL, NULL, 1, 6, 2, -1), 3);
    assert_int_equal(starts[0], -5);
    assert_int_equal(starts[1], -7);
    assert_int_equal(starts[2], -9);
    /* size == slide is a tumbling window */
    assert_int_equal(ref->hop(rows, starts, ts, NULL, NULL, 3, 5000, 5000, 0), 3);
    assert_int_equal(starts[2], -5000);
    /* Flink's rules: size and slide > 0, size a multiple of slide */
    assert_int_equal(ref->hop(rows, starts, ts, NULL, NULL, 3, 5000, 2000, 0), -1);
    assert_int_equal(ref->hop(rows, starts, ts, NULL, NULL, 3, 5000, 0, 0), -1);
    assert_int_equal(ref->hop(rows, starts, ts, NULL, NULL, 3, -4000, 2000, 0), -1);
    assert_int_equal(ref->hop(rows, starts, ts, NULL, NULL, 3, 4000, -2000, 0), -1);
    assert_int_equal(ref->hop(rows, starts, ts, NULL, NULL, 0, 4000, 2000, 0), 0);
}

static struct {
    int64_t ts[CAP], o[2][CAP];
    uint32_t rows[2][CAP * MAX_K];
    int64_t starts[2][CAP * MAX_K];
} g;

static void fill_ts(int kind, uint64_t *rs)
{
    switch (kind) {
    case 0: /* the full range with extremes: the SIMD levels' fallback path */
        sl_test_fill_i64(g.ts, CAP, rs);
        break;
    case 1: /* epoch milliseconds around now, and before 1970 */
        sl_test_fill_i64_range(g.ts, CAP, -2000000000000ll, 2000000000000ll, rs);
        break;
    case 2: /* near the edge of the SIMD levels' exact range (2^51) */
        sl_test_fill_i64_range(g.ts, CAP, -(1ll << 51) - 50000, (1ll << 51) + 50000, rs);
        break;
    default: /* on window boundaries (offset BOUNDARY_OFFSET, every size below divides a
              * week), or one millisecond either side: where a quotient computed in double
              * lands exactly on an integer */
        for (uint32_t i = 0; i < CAP; i++) {
            uint64_t r = sl_test_rand(rs);
            int64_t j = (int64_t)(r % 6000001) - 3000000;
            g.ts[i] = BOUNDARY_OFFSET + j * 604800000ll + (int64_t)((r >> 40) % 5) - 2;
        }
        break;
    }
}

static void test_simd_matches_scalar(void **state)
{
    (void)state;
    sl_simd_level levels[SL_SIMD_COUNT];
    int nl = sl_test_simd_levels(levels);
    static uint64_t valid[SL_VALID_WORDS(CAP)];
    static sl_sel_t sel[CAP];
    static const int64_t sizes[] = {
        1, 3, 7, 1000, 10000, 3600000, 86400000, 1ll << 40, (1ll << 51) - 1, 1ll << 51, INT64_MAX};
    static const int64_t hops[][2] = {{10000, 2000},
                                      {6, 2},
                                      {7, 7},
                                      {3, 1},
                                      {86400000, 8640000},
                                      {1ll << 52, 1ll << 52},
                                      {36000000, 3600000},
                                      {INT64_MAX, INT64_MAX},
                                      {(1ll << 50) * 4, 1ll << 50}};
    uint64_t rs = 777;
    for (int li = 0; li < nl; li++) {
        const struct sl_window_kernels *k = sl_window_kernels_for(levels[li]);
        const char *lname = sl_simd_name(levels[li]);
        for (size_t t = 0; t < sl_test_nlengths; t++) {
            uint32_t rows = sl_test_lengths[t];
            for (int rep = 0; rep < 8; rep++) {
                fill_ts(rep % 4, &rs);
                sl_test_fill_valid(valid, rows, rep < 4 ? 10 : 60, &rs);
                uint32_t ns = sl_test_fill_sel(sel, rows, rep < 4 ? 85 : 25, &rs);
                for (int shape = 0; shape < 4; shape++) {
                    const uint64_t *v = shape & 1 ? valid : NULL;
                    const sl_sel_t *s = shape & 2 ? sel : NULL;
                    uint32_t n = s ? ns : rows;
                    for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
                        int64_t size = sizes[z];
                        int64_t offset =
                            (int64_t)(sl_test_rand(&rs) % 5 == 0 ? sl_test_rand(&rs)
                                                                 : sl_test_rand(&rs) % 20001) -
                            10000;
                        if (rep % 4 == 3)
                            offset = BOUNDARY_OFFSET;
                        for (uint32_t r = 0; r < CAP; r++)
                            g.o[0][r] = g.o[1][r] = (int64_t)sl_test_rand(&rs);
                        assert_int_equal(ref->tumble(g.o[0], g.ts, size, offset, s, n), 0);
                        assert_int_equal(k->tumble(g.o[1], g.ts, size, offset, s, n), 0);
                        for (uint32_t r = 0; r < CAP; r++)
                            if (g.o[0][r] != g.o[1][r])
                                fail_msg("tumble (%s): size %lld offset %lld row %u of %u", lname,
                                         (long long)size, (long long)offset, r, rows);
                    }
                    for (size_t h = 0; h < sizeof(hops) / sizeof(hops[0]); h++) {
                        int64_t size = hops[h][0], slide = hops[h][1];
                        int64_t offset = rep % 4 == 3
                                             ? BOUNDARY_OFFSET
                                             : (int64_t)(sl_test_rand(&rs) % 20001) - 10000;
                        int64_t c0 =
                            ref->hop(g.rows[0], g.starts[0], g.ts, v, s, n, size, slide, offset);
                        int64_t c1 =
                            k->hop(g.rows[1], g.starts[1], g.ts, v, s, n, size, slide, offset);
                        assert_int_equal(c0, c1);
                        assert_true(c0 >= 0 && c0 <= (int64_t)n * (size / slide));
                        assert_memory_equal(g.rows[0], g.rows[1], (size_t)c0 * 4);
                        assert_memory_equal(g.starts[0], g.starts[1], (size_t)c0 * 8);
                    }
                }
            }
        }
        /* invalid parameters are refused on every level */
        assert_int_equal(k->tumble(g.o[1], g.ts, 0, 0, NULL, 4), -1);
        assert_int_equal(k->hop(g.rows[1], g.starts[1], g.ts, NULL, NULL, 4, 10, 4, 0), -1);
        assert_int_equal(k->hop(g.rows[1], g.starts[1], g.ts, NULL, NULL, 4, 10, 0, 0), -1);
    }
}

/* The reference against the definition: the start is <= ts, within one size, and on the
 * grid offset + j * size (for timestamps where ts - offset does not wrap). */
static void test_reference_definition(void **state)
{
    (void)state;
    uint64_t rs = 99;
    for (int i = 0; i < 100000; i++) {
        int64_t size = (int64_t)(sl_test_rand(&rs) % 100000) + 1;
        int64_t offset = (int64_t)(sl_test_rand(&rs) % 200001) - 100000;
        int64_t ts = (int64_t)(sl_test_rand(&rs) % 4000000000001ull) - 2000000000000ll;
        int64_t o;
        assert_int_equal(ref->tumble(&o, &ts, size, offset, NULL, 1), 0);
        assert_true(o <= ts && ts - o < size);
        int64_t m = (o - offset) % size;
        assert_int_equal(m, 0);
    }
}

static void test_dispatch(void **state)
{
    (void)state;
    assert_int_equal(sl_simd_use(SL_SIMD_SCALAR), 0);
    assert_ptr_equal(sl_window, &sl_window_scalar);
    assert_int_equal(sl_simd_use(sl_simd_detect()), 0);
    assert_ptr_equal(sl_window, sl_window_kernels_for(sl_simd_detect()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumble_known),
        cmocka_unit_test(test_hop_known),
        cmocka_unit_test(test_reference_definition),
        cmocka_unit_test(test_simd_matches_scalar),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests_name("kernels/window", tests, NULL, NULL);
}
