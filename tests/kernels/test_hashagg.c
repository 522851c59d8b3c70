/*
 * tests/kernels/test_hashagg.c - the hashagg kernels: a hand-worked example, probe-or-insert
 * with growth against an independent first-occurrence grouping (K = 1, 2, 3), large tables
 * (the prefetching loops), the K = 1 SIMD window, aggregate updates (plain arrays and state
 * rows) against per-group answers computed here, and
 * every SIMD level against the scalar one (identical group ids, slots and states).
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <stdlib.h>

#include "kernels/hash.h"
#include "kernels/hashagg.h"

/* Arrays hold the longest of sl_test_lengths (65 even when SL_BATCH_CAP is 2). */
#define TMAX (SL_BATCH_CAP > 128 ? SL_BATCH_CAP : 128)

/* ---- a test-owned table that grows like the engine's ------------------------------------ */

struct tt {
    struct sl_hashagg_table t;
    uint64_t cap;
};

static void tt_alloc(struct tt *x, uint32_t k, uint64_t cap, uint32_t keycap)
{
    memset(x, 0, sizeof(*x));
    x->t.k = k;
    x->cap = cap;
    x->t.mask = cap - 1;
    x->t.max_groups = (uint32_t)(cap * 3 / 4);
    x->t.slots = calloc(1, sl_hashagg_slot_bytes(cap, k));
    assert_non_null(x->t.slots);
    for (uint32_t w = 0; w < k; w++) {
        x->t.keys[w] = calloc(keycap, 8);
        assert_non_null(x->t.keys[w]);
    }
}

static void tt_free(struct tt *x)
{
    free(x->t.slots);
    for (uint32_t w = 0; w < x->t.k; w++)
        free(x->t.keys[w]);
}

static void hash_words(const uint64_t *const *w, uint32_t k, const sl_sel_t *sel, uint32_t n,
                       uint64_t *h)
{
    sl_hash_scalar.i64((const int64_t *)w[0], NULL, sel, n, h);
    for (uint32_t i = 1; i < k; i++)
        sl_hash_scalar.combine_i64((const int64_t *)w[i], NULL, sel, n, h);
}

/* Doubles the table and rebuilds it with the level's rehash. */
static void tt_grow(struct tt *x, const struct sl_hashagg_kernels *ak, uint32_t keycap)
{
    uint64_t cap = x->cap * 2;
    uint32_t k = x->t.k, ng = x->t.ngroups;
    free(x->t.slots);
    x->cap = cap;
    x->t.mask = cap - 1;
    x->t.max_groups = (uint32_t)(cap * 3 / 4);
    assert_true(x->t.max_groups <= keycap);
    x->t.slots = calloc(1, sl_hashagg_slot_bytes(cap, k));
    assert_non_null(x->t.slots);
    uint64_t *h = malloc((ng + 1) * 8);
    const uint64_t *w[SL_HASHAGG_MAX_K] = {0};
    for (uint32_t i = 0; i < k; i++)
        w[i] = x->t.keys[i];
    hash_words(w, k, NULL, ng, h);
    /* in two pieces, to check that `first` is honoured */
    ak->rehash(&x->t, h, 0, ng / 2);
    ak->rehash(&x->t, h + ng / 2, ng / 2, ng - ng / 2);
    free(h);
    assert_int_equal(x->t.ngroups, ng);
}

/* Probes all n positions, growing as needed. */
static void tt_probe(struct tt *x, const struct sl_hashagg_kernels *ak, const uint64_t *const *w,
                     const sl_sel_t *sel, uint32_t n, uint32_t *gids, uint32_t keycap)
{
    uint64_t *h = malloc((n + 1) * 8);
    hash_words(w, x->t.k, sel, n, h);
    uint32_t done = 0;
    while (done < n) {
        const uint64_t *kp[SL_HASHAGG_MAX_K];
        for (uint32_t i = 0; i < x->t.k; i++)
            kp[i] = sel ? w[i] : w[i] + done;
        uint32_t ng0 = x->t.ngroups;
        uint32_t r = ak->probe(&x->t, kp, sel ? sel + done : NULL, h + done, n - done, gids + done);
        assert_true(r <= n - done);
        if (done + r < n) /* it stopped: only because the table is at its maximum */
            assert_int_equal(x->t.ngroups, x->t.max_groups);
        assert_true(x->t.ngroups >= ng0);
        done += r;
        if (done < n)
            tt_grow(x, ak, keycap);
    }
    free(h);
}

/* ---- hand-worked example -------------------------------------------------------------------- */

static void test_reference_known(void **state)
{
    (void)state;
    const struct sl_hashagg_kernels *ak = &sl_hashagg_scalar;
    struct tt x;
    tt_alloc(&x, 1, 8, 16);
    uint64_t keys[6] = {5, 7, 5, (uint64_t)INT64_MIN, 7, 0};
    const uint64_t *w[1] = {keys};
    uint64_t h[6];
    uint32_t gids[6];
    hash_words(w, 1, NULL, 6, h);
    x.t.max_groups = 2;
    /* the third distinct key does not fit: stops at position 3 */
    assert_int_equal(ak->probe(&x.t, w, NULL, h, 6, gids), 3);
    assert_int_equal(x.t.ngroups, 2);
    assert_int_equal(gids[0], 0);
    assert_int_equal(gids[1], 1);
    assert_int_equal(gids[2], 0);
    x.t.max_groups = 6;
    const uint64_t *w3[1] = {keys + 3};
    assert_int_equal(ak->probe(&x.t, w3, NULL, h + 3, 3, gids + 3), 3);
    const uint32_t want[6] = {0, 1, 0, 2, 1, 3};
    for (int i = 0; i < 6; i++)
        assert_int_equal(gids[i], want[i]);
    assert_int_equal(x.t.ngroups, 4);
    assert_int_equal(x.t.keys[0][2], (uint64_t)INT64_MIN);
    assert_int_equal(x.t.keys[0][3], 0);
    /* selection: rows 1 and 5 -> groups 1 and 3 */
    sl_sel_t sel[2] = {1, 5};
    uint64_t hs[2];
    hash_words(w, 1, sel, 2, hs);
    assert_int_equal(ak->probe(&x.t, w, sel, hs, 2, gids), 2);
    assert_int_equal(gids[0], 1);
    assert_int_equal(gids[1], 3);
    tt_free(&x);

    /* aggregates: groups {0, 1, 0, 2, 1, 0}, row 2 and everything of group 2 NULL */
    const uint32_t g[6] = {0, 1, 0, 2, 1, 0};
    int64_t v[6] = {10, INT64_MAX, 99, 4, 1, -3};
    uint64_t valid[1] = {0x33}; /* rows 0, 1, 4, 5 */
    uint64_t cnt[3] = {0}, cstar[3] = {0};
    int64_t sum[3] = {0}, mn[3] = {INT64_MAX, INT64_MAX, INT64_MAX},
            mx[3] = {INT64_MIN, INT64_MIN, INT64_MIN};
    ak->count_star(cstar, 1, g, 6);
    ak->sum_i64(sum, cnt, 1, g, v, valid, NULL, 6);
    ak->min_i64(mn, NULL, 1, g, v, valid, NULL, 6);
    ak->max_i64(mx, NULL, 1, g, v, valid, NULL, 6);
    assert_int_equal(cstar[0], 3);
    assert_int_equal(cstar[1], 2);
    assert_int_equal(cstar[2], 1);
    assert_int_equal(cnt[0], 2);
    assert_int_equal(cnt[1], 2);
    assert_int_equal(cnt[2], 0); /* all NULL: the engine emits NULL */
    assert_int_equal(sum[0], 7);
    assert_int_equal(sum[1], INT64_MIN); /* INT64_MAX + 1 wraps */
    assert_int_equal(mn[0], -3);
    assert_int_equal(mx[0], 10);
    assert_int_equal(mn[1], 1);
    assert_int_equal(mx[1], INT64_MAX);
    assert_int_equal(mn[2], INT64_MAX); /* untouched identity */
    uint64_t c2[3] = {0};
    ak->count(c2, 1, g, valid, NULL, 6);
    assert_int_equal(c2[0], 2);
    assert_int_equal(c2[2], 0);
    uint64_t add[2] = {5, 6};
    const uint32_t g2[2] = {2, 2};
    ak->add_u64(c2, 1, g2, add, 2);
    assert_int_equal(c2[2], 11);

    /* DOUBLE MIN / MAX: Double.compare order */
    double d[5] = {0.0, -0.0, NAN, 1.0, -INFINITY};
    const uint32_t gz[5] = {0, 0, 1, 1, 2};
    double dmn[3] = {NAN, NAN, NAN}, dmx[3] = {-INFINITY, -INFINITY, -INFINITY};
    double dsum[3] = {0, 0, 0};
    ak->min_f64(dmn, NULL, 1, gz, d, NULL, NULL, 5);
    ak->max_f64(dmx, NULL, 1, gz, d, NULL, NULL, 5);
    ak->sum_f64(dsum, NULL, 1, gz, d, NULL, NULL, 5);
    assert_true(dmn[0] == 0.0 && signbit(dmn[0])); /* -0.0 < 0.0 */
    assert_true(dmx[0] == 0.0 && !signbit(dmx[0]));
    assert_true(dmn[1] == 1.0);
    assert_true(isnan(dmx[1])); /* NaN is the greatest */
    assert_true(dmn[2] == -INFINITY && dmx[2] == -INFINITY);
    assert_true(isnan(dsum[1]));
}

/* ---- probe against an independent grouping -------------------------------------------------- */

/* Reference: group ids in order of first appearance, by linear search. */
static uint32_t ref_group(uint64_t (*seen)[SL_HASHAGG_MAX_K], uint32_t *nseen, uint32_t k,
                          const uint64_t *key)
{
    for (uint32_t g = 0; g < *nseen; g++)
        if (memcmp(seen[g], key, k * 8) == 0)
            return g;
    memcpy(seen[*nseen], key, k * 8);
    return (*nseen)++;
}

static void test_probe_matches_reference(void **state)
{
    (void)state;
    enum { POOL = 300, ROUNDS = 3 };
    sl_simd_level levels[SL_SIMD_COUNT];
    int nl = sl_test_simd_levels(levels);
    static uint64_t words[3][TMAX];
    static uint64_t pool[POOL][3];
    static uint64_t seen[POOL * POOL][SL_HASHAGG_MAX_K];
    static uint32_t want[TMAX], got[TMAX];
    static sl_sel_t sel[TMAX];
    uint64_t rs = 4242;
    for (int p = 0; p < POOL; p++)
        sl_test_fill_i64((int64_t *)pool[p], 3, &rs);
    const uint32_t keycap = POOL * POOL;
    for (uint32_t k = 1; k <= 3; k++) {
        for (size_t t = 0; t < sl_test_nlengths; t++) {
            uint32_t n = sl_test_lengths[t];
            for (int withsel = 0; withsel < 2; withsel++) {
                struct tt ref_t;
                tt_alloc(&ref_t, k, 4, keycap);
                struct tt lt[SL_SIMD_COUNT];
                for (int li = 0; li < nl; li++)
                    tt_alloc(&lt[li], k, 4, keycap);
                uint32_t nseen = 0;
                for (int round = 0; round < ROUNDS; round++) {
                    /* words drawn from a pool (many repeats); for K > 1 mix pool entries so
                     * that keys share some words but not others */
                    for (uint32_t i = 0; i < n; i++) {
                        uint64_t r = sl_test_rand(&rs);
                        for (uint32_t w = 0; w < k; w++)
                            words[w][i] = pool[(r >> (8 * w)) % (w ? 3 : POOL)][w];
                    }
                    uint32_t m = withsel ? sl_test_fill_sel(sel, n, 60, &rs) : n;
                    const sl_sel_t *s = withsel ? sel : NULL;
                    for (uint32_t i = 0; i < m; i++) {
                        uint64_t key[SL_HASHAGG_MAX_K];
                        for (uint32_t w = 0; w < k; w++)
                            key[w] = words[w][s ? s[i] : i];
                        want[i] = ref_group(seen, &nseen, k, key);
                    }
                    const uint64_t *wp[3] = {words[0], words[1], words[2]};
                    tt_probe(&ref_t, &sl_hashagg_scalar, wp, s, m, got, keycap);
                    assert_memory_equal(want, got, m * 4 + (m == 0));
                    assert_int_equal(ref_t.t.ngroups, nseen);
                    for (uint32_t g = 0; g < nseen; g++)
                        for (uint32_t w = 0; w < k; w++)
                            assert_int_equal(ref_t.t.keys[w][g], seen[g][w]);
                    for (int li = 0; li < nl; li++) {
                        const struct sl_hashagg_kernels *ak = sl_hashagg_kernels_for(levels[li]);
                        tt_probe(&lt[li], ak, wp, s, m, got, keycap);
                        assert_memory_equal(want, got, m * 4 + (m == 0));
                        assert_int_equal(lt[li].cap, ref_t.cap);
                        assert_memory_equal(lt[li].t.slots, ref_t.t.slots, ref_t.cap * (k + 1) * 8);
                    }
                }
                tt_free(&ref_t);
                for (int li = 0; li < nl; li++)
                    tt_free(&lt[li]);
            }
        }
    }
}

/* Tables far beyond the prefetch threshold, grown from 4 slots: key i % D at row i has group
 * id i % D (first appearances in order). */
static void test_large_table(void **state)
{
    (void)state;
    enum { D = 100000, N = 300000, CH = 4096 };
    uint64_t *keys[2];
    keys[0] = malloc(N * 8);
    keys[1] = malloc(N * 8);
    uint32_t *gids = malloc(CH * 4);
    for (uint32_t i = 0; i < N; i++) {
        keys[0][i] = (uint64_t)(i % D) * 0x9e3779b97f4a7c15ull;
        keys[1][i] = (i % D) & 7; /* K = 2: the second word adds nothing new */
    }
    for (int lv = 0; lv < SL_SIMD_COUNT; lv++) {
        if (!sl_simd_supported((sl_simd_level)lv))
            continue;
        const struct sl_hashagg_kernels *ak = sl_hashagg_kernels_for((sl_simd_level)lv);
        for (uint32_t k = 1; k <= 2; k++) {
            struct tt x;
            tt_alloc(&x, k, 4, 1u << 20);
            for (uint32_t off = 0; off < N; off += CH) {
                uint32_t n = N - off < CH ? N - off : CH;
                const uint64_t *wp[2] = {keys[0] + off, keys[1] + off};
                tt_probe(&x, ak, wp, NULL, n, gids, 1u << 20);
                for (uint32_t i = 0; i < n; i++)
                    assert_int_equal(gids[i], (off + i) % D);
            }
            assert_int_equal(x.t.ngroups, D);
            assert_true(sl_hashagg_slot_bytes(x.cap, k) > SL_HASHAGG_PREFETCH_BYTES);
            tt_free(&x);
        }
    }
    free(keys[0]);
    free(keys[1]);
    free(gids);
}

/* K = 1 at load 3/4 in 16 slots (four buckets: keys overflow their home bucket, which the
 * SIMD window must hand to the scalar loop) with the key 0 absent, then present (an empty
 * slot's word is 0 too): every level's group ids and slots equal the scalar ones. */
static void test_probe_k1_window(void **state)
{
    (void)state;
    uint64_t keys[2][24];
    for (uint32_t i = 0; i < 12; i++) {
        keys[0][i] = i + 1;                    /* 1 .. 12, then 0 as a 13th new key */
        keys[1][i] = (uint64_t)(11 - i) << 40; /* 0 is among them */
    }
    for (uint32_t i = 12; i < 24; i++) {
        keys[0][i] = i == 12 ? 0 : keys[0][23 - i];
        keys[1][i] = keys[1][23 - i];
    }
    for (int set = 0; set < 2; set++) {
        const uint64_t *w[1] = {keys[set]};
        uint64_t h[24];
        hash_words(w, 1, NULL, 24, h);
        struct tt ref;
        tt_alloc(&ref, 1, 16, 16);
        ref.t.max_groups = 13;
        uint32_t want[24], got[24];
        assert_int_equal(sl_hashagg_scalar.probe(&ref.t, w, NULL, h, 24, want), 24);
        for (uint32_t i = 12; i < 24; i++) /* the repeats found their first occurrence */
            if (!(set == 0 && i == 12))
                assert_int_equal(keys[set][want[i]], keys[set][i]);
        for (int lv = 0; lv < SL_SIMD_COUNT; lv++) {
            if (!sl_simd_supported((sl_simd_level)lv))
                continue;
            struct tt x;
            tt_alloc(&x, 1, 16, 16);
            x.t.max_groups = 13;
            const struct sl_hashagg_kernels *ak = sl_hashagg_kernels_for((sl_simd_level)lv);
            assert_int_equal(ak->probe(&x.t, w, NULL, h, 24, got), 24);
            assert_memory_equal(got, want, sizeof(want));
            assert_memory_equal(x.t.slots, ref.t.slots, sl_hashagg_slot_bytes(16, 1));
            /* again, all hits now */
            assert_int_equal(ak->probe(&x.t, w, NULL, h, 24, got), 24);
            assert_memory_equal(got, want, sizeof(want));
            tt_free(&x);
        }
        tt_free(&ref);
    }
    /* the load policy: 1/4 while small, 3/4 beyond SL_HASHAGG_LOW_LOAD_BYTES */
    assert_int_equal(sl_hashagg_max_groups(16, 1), 4);
    assert_int_equal(sl_hashagg_max_groups(1u << 26, 1), (1u << 26) / 4 * 3);
    assert_int_equal(sl_hashagg_home(0x1237, 0xff, 1), 0x34);
    assert_int_equal(sl_hashagg_home(0x1237, 0xff, 2), 0x37);
}

/* ---- updates against per-group answers ------------------------------------------------------ */

/* Double.compare(a, b) < 0, written independently of the kernel's version: order the
 * canonical bit patterns as signed integers after flipping the negative ones. */
static int64_t f64_rank(double d)
{
    int64_t b;
    if (isnan(d))
        return INT64_MAX;
    memcpy(&b, &d, 8);
    return b < 0 ? (int64_t)((uint64_t)b ^ 0x7fffffffffffffffull) : b;
}

static void test_updates_match_reference(void **state)
{
    (void)state;
    enum { G = 37 };
    static int64_t v[TMAX];
    static double d[TMAX];
    static uint32_t gids[TMAX];
    static uint64_t valid[SL_VALID_WORDS(TMAX) + 1];
    static sl_sel_t sel[TMAX];
    uint64_t rs = 777;
    for (int lv = 0; lv < SL_SIMD_COUNT; lv++) {
        if (!sl_simd_supported((sl_simd_level)lv))
            continue;
        const struct sl_hashagg_kernels *ak = sl_hashagg_kernels_for((sl_simd_level)lv);
        for (size_t t = 0; t < sl_test_nlengths; t++) {
            uint32_t n = sl_test_lengths[t];
            for (int rep = 0; rep < 8; rep++) {
                sl_test_fill_i64(v, n, &rs);
                sl_test_fill_f64(d, n, &rs);
                sl_test_fill_valid(valid, n, rep % 4 == 0 ? 0 : rep % 4 == 1 ? 30 : 100, &rs);
                bool usev = rep % 4 != 0 && rep % 4 != 3;
                uint32_t m = rep & 1 ? sl_test_fill_sel(sel, n, 50, &rs) : n;
                const sl_sel_t *s = rep & 1 ? sel : NULL;
                const uint64_t *vp = usev ? valid : NULL;
                for (uint32_t i = 0; i < m; i++)
                    gids[i] = (uint32_t)(sl_test_rand(&rs) % G);
                uint64_t cnt[G] = {0}, cstar[G] = {0}, cnn[G] = {0};
                int64_t sum[G] = {0}, mn[G], mx[G];
                double dsum[G] = {0}, dmn[G], dmx[G];
                for (int g = 0; g < G; g++) {
                    mn[g] = INT64_MAX;
                    mx[g] = INT64_MIN;
                    dmn[g] = NAN;
                    dmx[g] = -INFINITY;
                }
                uint64_t c2[G] = {0}, c3[G] = {0}, c4[G] = {0}, c5[G] = {0};
                ak->count_star(cstar, 1, gids, m);
                ak->count(cnn, 1, gids, vp, s, m);
                ak->sum_i64(sum, cnt, 1, gids, v, vp, s, m);
                ak->min_i64(mn, c2, 1, gids, v, vp, s, m);
                ak->max_i64(mx, NULL, 1, gids, v, vp, s, m);
                ak->sum_f64(dsum, c3, 1, gids, d, vp, s, m);
                ak->min_f64(dmn, c4, 1, gids, d, vp, s, m);
                ak->max_f64(dmx, c5, 1, gids, d, vp, s, m);
                /* the same updates into state rows: stride 4 (word 0 a SUM, 1 its count, 2
                 * untouched, 3 a COUNT(*)) and stride 2 (word 0 a DOUBLE MIN, 1 untouched) */
                uint64_t rows[G * 4];
                double drows[G * 2];
                for (int g = 0; g < G; g++) {
                    rows[g * 4 + 0] = rows[g * 4 + 1] = rows[g * 4 + 3] = 0;
                    rows[g * 4 + 2] = 0x5a5a;
                    drows[g * 2] = NAN;
                    drows[g * 2 + 1] = 7.0;
                }
                ak->sum_i64((int64_t *)rows, rows + 1, 4, gids, v, vp, s, m);
                ak->count_star(rows + 3, 4, gids, m);
                ak->min_f64(drows, NULL, 2, gids, d, vp, s, m);
                for (int g = 0; g < G; g++) {
                    uint64_t rc = 0, rcs = 0;
                    uint64_t rsum = 0;
                    int64_t rmn = INT64_MAX, rmx = INT64_MIN;
                    double rdsum = 0, rdmn = NAN, rdmx = -INFINITY;
                    for (uint32_t i = 0; i < m; i++) {
                        if (gids[i] != (uint32_t)g)
                            continue;
                        rcs++;
                        uint32_t r = s ? s[i] : i;
                        if (vp && !sl_valid_get(vp, r))
                            continue;
                        rc++;
                        rsum += (uint64_t)v[r];
                        rmn = v[r] < rmn ? v[r] : rmn;
                        rmx = v[r] > rmx ? v[r] : rmx;
                        rdsum += d[r];
                        if (f64_rank(d[r]) < f64_rank(rdmn))
                            rdmn = d[r];
                        if (f64_rank(d[r]) > f64_rank(rdmx))
                            rdmx = d[r];
                    }
                    assert_int_equal(cstar[g], rcs);
                    assert_int_equal(cnn[g], rc);
                    assert_int_equal(cnt[g], rc);
                    assert_int_equal(c2[g], rc);
                    assert_int_equal(c3[g], rc);
                    assert_int_equal(c4[g], rc);
                    assert_int_equal(c5[g], rc);
                    assert_int_equal(sum[g], (int64_t)rsum);
                    assert_int_equal(mn[g], rmn);
                    assert_int_equal(mx[g], rmx);
                    if (isnan(rdsum)) /* which NaN a sum returns is not defined */
                        assert_true(isnan(dsum[g]));
                    else
                        assert_memory_equal(&dsum[g], &rdsum, 8);
                    assert_int_equal(f64_rank(dmn[g]), f64_rank(rdmn));
                    assert_int_equal(f64_rank(dmx[g]), f64_rank(rdmx));
                    assert_int_equal(rows[g * 4 + 0], (uint64_t)rsum);
                    assert_int_equal(rows[g * 4 + 1], rc);
                    assert_int_equal(rows[g * 4 + 2], 0x5a5a);
                    assert_int_equal(rows[g * 4 + 3], rcs);
                    assert_int_equal(f64_rank(drows[g * 2]), f64_rank(rdmn));
                    assert_true(drows[g * 2 + 1] == 7.0);
                }
            }
        }
    }
}

static void test_dispatch(void **state)
{
    (void)state;
    assert_int_equal(sl_simd_use(SL_SIMD_SCALAR), 0);
    assert_ptr_equal(sl_hashagg, &sl_hashagg_scalar);
    assert_int_equal(sl_simd_use(sl_simd_detect()), 0);
    assert_ptr_equal(sl_hashagg, sl_hashagg_kernels_for(sl_simd_detect()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_known),
        cmocka_unit_test(test_probe_matches_reference),
        cmocka_unit_test(test_large_table),
        cmocka_unit_test(test_probe_k1_window),
        cmocka_unit_test(test_updates_match_reference),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests_name("kernels/hashagg", tests, NULL, NULL);
}
