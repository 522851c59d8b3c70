/*
 * tests/engine/test_hashagg.c - GROUP BY through engine/hashagg against a naive reference
 * computed here (linear search over groups, in first-appearance order): nullable keys of
 * every type, K = 2 and 4 key columns, -0.0 / NaN keys, empty and long strings, NULL inputs
 * and all-NULL groups, selections, growth over many resizes, merge of partials, clear.
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "engine/ops/hashagg.h"

enum { C_K1, C_K2, C_KD, C_KS, C_KB, C_V, C_VD, C_VI, NCOLS };

struct row {
    bool null[NCOLS];
    int64_t k1, v;
    int32_t k2, vi;
    double kd, vd;
    bool kb;
    uint32_t slen;
    char s[80];
};

static struct sl_schema *in_schema(void)
{
    const char *names[NCOLS] = {"k1", "k2", "kd", "ks", "kb", "v", "vd", "vi"};
    struct sl_type t[NCOLS] = {
        sl_type_make(SL_TYPE_BIGINT, true),  sl_type_make(SL_TYPE_INT, true),
        sl_type_make(SL_TYPE_DOUBLE, true),  sl_type_make(SL_TYPE_VARCHAR, true),
        sl_type_make(SL_TYPE_BOOLEAN, true), sl_type_make(SL_TYPE_BIGINT, true),
        sl_type_make(SL_TYPE_DOUBLE, true),  sl_type_make(SL_TYPE_INT, true),
    };
    struct sl_schema *s = sl_schema_new(NCOLS, names, t);
    assert_non_null(s);
    return s;
}

static void gen_rows(struct row *rows, uint32_t n, uint32_t card, uint64_t *rs)
{
    static const int64_t k1s[] = {INT64_MIN, INT64_MAX, 0, -1, 1, 1000};
    const double kds[] = {0.0, -0.0, NAN, -NAN, INFINITY, 1.5, -2.25, 3.0};
    static const char *strs[] = {"", "a", "abcdefghijkl", "abcdefghijklm",
                                 "a rather long string that does not fit inline, 40+"};
    for (uint32_t i = 0; i < n; i++) {
        struct row *r = &rows[i];
        memset(r, 0, sizeof(*r));
        for (int c = 0; c < NCOLS; c++)
            r->null[c] = sl_test_rand(rs) % 10 == 0;
        uint64_t x = sl_test_rand(rs);
        r->k1 = x % 3 == 0 ? k1s[x % 6] : (int64_t)(x % card);
        r->k2 = (int32_t)(sl_test_rand(rs) % 5) - 2;
        if (x % 7 == 0)
            r->k2 = INT32_MIN;
        r->kd = kds[sl_test_rand(rs) % 8];
        uint64_t y = sl_test_rand(rs);
        if (y % 3 == 0)
            r->slen = (uint32_t)snprintf(r->s, sizeof(r->s), "%s", strs[y % 5]);
        else
            r->slen = (uint32_t)snprintf(r->s, sizeof(r->s), "key-%u-%s", (unsigned)(y % card),
                                         y & 8 ? "with a long tail past twelve bytes" : "");
        r->kb = y & 16;
        sl_test_fill_i64(&r->v, 1, rs);
        sl_test_fill_f64(&r->vd, 1, rs);
        sl_test_fill_i32(&r->vi, 1, rs);
    }
}

/* Rows [off, off + n) into b, with a random selection when `selpct` < 100; returns the row
 * indexes (into rows[]) of the active rows in active[]. */
static uint32_t fill_batch(struct sl_batch *b, const struct row *rows, uint32_t off, uint32_t n,
                           unsigned selpct, uint64_t *rs, uint32_t *active)
{
    sl_batch_reset(b);
    for (uint32_t i = 0; i < n; i++) {
        const struct row *r = &rows[off + i];
        sl_col_i64(&b->cols[C_K1])[i] = r->k1;
        sl_col_i32(&b->cols[C_K2])[i] = r->k2;
        sl_col_f64(&b->cols[C_KD])[i] = r->kd;
        sl_col_str(&b->cols[C_KS])[i] = sl_batch_str(b, r->s, r->slen);
        sl_col_bool(&b->cols[C_KB])[i] = r->kb;
        sl_col_i64(&b->cols[C_V])[i] = r->v;
        sl_col_f64(&b->cols[C_VD])[i] = r->vd;
        sl_col_i32(&b->cols[C_VI])[i] = r->vi;
        for (int c = 0; c < NCOLS; c++)
            sl_col_set_null(&b->cols[c], i, r->null[c]);
    }
    b->rows = n;
    uint32_t m = n;
    if (selpct < 100) {
        sl_sel_t *sel = sl_batch_sel_next(b);
        m = sl_test_fill_sel(sel, n, selpct, rs);
        sl_batch_sel_commit(b, sel, m);
        for (uint32_t i = 0; i < m; i++)
            active[i] = off + sel[i];
    } else {
        for (uint32_t i = 0; i < n; i++)
            active[i] = off + i;
    }
    return m;
}

/* ---- the reference -------------------------------------------------------------------------- */

static bool key_eq(const struct row *a, const struct row *b, const uint32_t *kc, uint32_t nk)
{
    for (uint32_t k = 0; k < nk; k++) {
        int c = (int)kc[k];
        if (a->null[c] != b->null[c])
            return false;
        if (a->null[c])
            continue;
        switch (c) {
        case C_K1:
            if (a->k1 != b->k1)
                return false;
            break;
        case C_K2:
            if (a->k2 != b->k2)
                return false;
            break;
        case C_KD:
            if (!(a->kd == b->kd || (isnan(a->kd) && isnan(b->kd))))
                return false;
            break;
        case C_KS:
            if (a->slen != b->slen || memcmp(a->s, b->s, a->slen) != 0)
                return false;
            break;
        case C_KB:
            if (a->kb != b->kb)
                return false;
            break;
        }
    }
    return true;
}

/* The aggregates every run computes, on columns v, vd, vi. */
static const struct sl_hashagg_agg aggs_all[] = {
    {SL_AGG_COUNT_STAR, 0, {SL_TYPE_BIGINT, 0, 0, false, 0}, false, 0},
    {SL_AGG_COUNT, C_V, {SL_TYPE_BIGINT, 0, 0, true, 0}, false, 0},
    {SL_AGG_SUM, C_V, {SL_TYPE_BIGINT, 0, 0, true, 0}, false, 0},
    {SL_AGG_MIN, C_V, {SL_TYPE_BIGINT, 0, 0, true, 0}, false, 0},
    {SL_AGG_MAX, C_V, {SL_TYPE_BIGINT, 0, 0, true, 0}, false, 0},
    {SL_AGG_AVG, C_V, {SL_TYPE_BIGINT, 0, 0, true, 0}, false, 0},
    {SL_AGG_SUM, C_VD, {SL_TYPE_DOUBLE, 0, 0, true, 0}, false, 0},
    {SL_AGG_MIN, C_VD, {SL_TYPE_DOUBLE, 0, 0, true, 0}, false, 0},
    {SL_AGG_MAX, C_VD, {SL_TYPE_DOUBLE, 0, 0, true, 0}, false, 0},
    {SL_AGG_AVG, C_VD, {SL_TYPE_DOUBLE, 0, 0, true, 0}, false, 0},
    {SL_AGG_SUM, C_VI, {SL_TYPE_INT, 0, 0, true, 0}, false, 0},
    {SL_AGG_AVG, C_VI, {SL_TYPE_INT, 0, 0, true, 0}, false, 0},
    {SL_AGG_MIN, C_VI, {SL_TYPE_INT, 0, 0, true, 0}, false, 0},
    {SL_AGG_COUNT, C_KS, {SL_TYPE_VARCHAR, 0, 0, true, 0}, false, 0},
};
#define NAGGS (sizeof(aggs_all) / sizeof(aggs_all[0]))

static int64_t f64_rank(double d)
{
    int64_t b;
    if (isnan(d))
        return INT64_MAX;
    memcpy(&b, &d, 8);
    return b < 0 ? (int64_t)((uint64_t)b ^ 0x7fffffffffffffffull) : b;
}

struct refgroup {
    uint32_t first; /* a row of the group */
    uint64_t cstar, cv, cvd, cvi, cks;
    uint64_t sv;
    int64_t mnv, mxv, svi, mnvi;
    double svd, mnvd, mxvd;
    double sabs; /* sum of |vd|: the rounding error bound of a reordered sum */
    bool wild;   /* an Inf, NaN or near-DBL_MAX vd: a reordered sum may differ entirely */
};

static uint32_t ref_aggregate(const struct row *rows, const uint32_t *active, uint32_t m,
                              const uint32_t *kc, uint32_t nk, struct refgroup *g)
{
    uint32_t ng = 0;
    for (uint32_t i = 0; i < m; i++) {
        const struct row *r = &rows[active[i]];
        uint32_t j = 0;
        while (j < ng && !key_eq(&rows[g[j].first], r, kc, nk))
            j++;
        if (j == ng) {
            memset(&g[j], 0, sizeof(g[j]));
            g[j].first = active[i];
            g[j].mnv = INT64_MAX;
            g[j].mxv = INT64_MIN;
            g[j].mnvi = INT64_MAX;
            g[j].mnvd = NAN;
            g[j].mxvd = -INFINITY;
            ng++;
        }
        struct refgroup *x = &g[j];
        x->cstar++;
        if (!r->null[C_V]) {
            x->cv++;
            x->sv += (uint64_t)r->v;
            x->mnv = r->v < x->mnv ? r->v : x->mnv;
            x->mxv = r->v > x->mxv ? r->v : x->mxv;
        }
        if (!r->null[C_VD]) {
            x->cvd++;
            x->svd += r->vd;
            x->sabs += fabs(r->vd);
            x->wild |= !isfinite(r->vd) || fabs(r->vd) > 1e300;
            if (f64_rank(r->vd) < f64_rank(x->mnvd))
                x->mnvd = r->vd;
            if (f64_rank(r->vd) > f64_rank(x->mxvd))
                x->mxvd = r->vd;
        }
        if (!r->null[C_VI]) {
            x->cvi++;
            x->svi += r->vi;
            x->mnvi = r->vi < x->mnvi ? r->vi : x->mnvi;
        }
        x->cks += !r->null[C_KS];
    }
    return ng;
}

/* ---- checking the output -------------------------------------------------------------------- */

static void check_key(struct sl_column *c, uint32_t i, const struct row *r, int col)
{
    assert_int_equal(sl_col_is_null(c, i), r->null[col]);
    if (r->null[col])
        return;
    switch (col) {
    case C_K1:
        assert_int_equal(sl_col_i64(c)[i], r->k1);
        break;
    case C_K2:
        assert_int_equal(sl_col_i32(c)[i], r->k2);
        break;
    case C_KD: {
        double d = sl_col_f64(c)[i];
        if (isnan(r->kd))
            assert_true(isnan(d));
        else
            assert_true(d == r->kd && !signbit(d) == !(signbit(r->kd) && r->kd != 0.0));
        break;
    }
    case C_KS: {
        sl_str s = sl_col_str(c)[i];
        assert_int_equal(s.len, r->slen);
        assert_memory_equal(sl_str_data(&s), r->s, r->slen + (r->slen == 0));
        break;
    }
    case C_KB:
        assert_int_equal(sl_col_bool(c)[i], r->kb);
        break;
    }
}

static void check_null_or(struct sl_column *c, uint32_t i, uint64_t cnt)
{
    assert_int_equal(sl_col_is_null(c, i), cnt == 0);
}

static void check_output(struct sl_hashagg *ha, const struct row *rows, const uint32_t *kc,
                         uint32_t nk, const struct refgroup *g, uint32_t ng, bool exact)
{
    assert_int_equal(sl_hashagg_groups(ha), ng);
    uint32_t nc = sl_hashagg_out_ncols(ha);
    assert_int_equal(nc, nk + NAGGS);
    struct sl_type types[32];
    sl_hashagg_out_types(ha, types);
    /* Flink's result types */
    assert_int_equal(types[nk + 0].id, SL_TYPE_BIGINT);
    assert_false(types[nk + 0].nullable);
    assert_int_equal(types[nk + 5].id, SL_TYPE_BIGINT); /* AVG(BIGINT) */
    assert_int_equal(types[nk + 9].id, SL_TYPE_DOUBLE);
    assert_int_equal(types[nk + 10].id, SL_TYPE_INT); /* SUM(INT) */
    assert_int_equal(types[nk + 11].id, SL_TYPE_INT); /* AVG(INT) */
    const char *names[32];
    char nbuf[32][16];
    for (uint32_t i = 0; i < nc; i++) {
        snprintf(nbuf[i], sizeof(nbuf[i]), "c%u", i);
        names[i] = nbuf[i];
    }
    struct sl_schema *os = sl_schema_new(nc, names, types);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, os, 1);
    uint32_t cursor = 0, seen = 0;
    for (;;) {
        struct sl_batch *out = sl_batch_pool_get(pool);
        assert_non_null(out);
        int n = sl_hashagg_emit(ha, &cursor, out, NULL);
        assert_true(n >= 0);
        if (n == 0) {
            sl_batch_pool_put(out);
            break;
        }
        for (uint32_t i = 0; i < (uint32_t)n; i++, seen++) {
            const struct refgroup *x = &g[seen];
            const struct row *r = &rows[x->first];
            for (uint32_t k = 0; k < nk; k++)
                check_key(&out->cols[k], i, r, (int)kc[k]);
            struct sl_column *a = &out->cols[nk];
            assert_int_equal(sl_col_i64(&a[0])[i], x->cstar);
            assert_int_equal(sl_col_i64(&a[1])[i], x->cv);
            for (int j = 2; j <= 5; j++)
                check_null_or(&a[j], i, x->cv);
            for (int j = 6; j <= 9; j++)
                check_null_or(&a[j], i, x->cvd);
            for (int j = 10; j <= 12; j++)
                check_null_or(&a[j], i, x->cvi);
            assert_int_equal(sl_col_i64(&a[13])[i], x->cks);
            if (x->cv) {
                assert_int_equal(sl_col_i64(&a[2])[i], (int64_t)x->sv);
                assert_int_equal(sl_col_i64(&a[3])[i], x->mnv);
                assert_int_equal(sl_col_i64(&a[4])[i], x->mxv);
                assert_int_equal(sl_col_i64(&a[5])[i], (int64_t)x->sv / (int64_t)x->cv);
            }
            if (x->cvd) {
                double s = sl_col_f64(&a[6])[i], want = x->svd;
                /* one hashagg adds in row order: bit-identical; a merge adds the partial
                 * sums, a different order: equal within rounding unless extremes are in */
                if (isnan(want))
                    assert_true(isnan(s)); /* the sign of a NaN sum is not defined */
                else if (exact)
                    assert_memory_equal(&s, &want, 8);
                else if (!x->wild)
                    assert_true(fabs(s - want) <= 1e-12 * x->sabs);
                assert_int_equal(f64_rank(sl_col_f64(&a[7])[i]), f64_rank(x->mnvd));
                assert_int_equal(f64_rank(sl_col_f64(&a[8])[i]), f64_rank(x->mxvd));
            }
            if (x->cvi) {
                assert_int_equal(sl_col_i32(&a[10])[i], (int32_t)(uint32_t)(uint64_t)x->svi);
                assert_int_equal(sl_col_i32(&a[11])[i], (int32_t)(x->svi / (int64_t)x->cvi));
                assert_int_equal(sl_col_i32(&a[12])[i], (int32_t)x->mnvi);
            }
        }
        sl_batch_pool_put(out);
    }
    assert_int_equal(seen, ng);
    sl_batch_pool_free(pool);
    sl_schema_free(os);
}

/* ---- runs ------------------------------------------------------------------------------------ */

static struct sl_hashagg *make_ha(const struct sl_schema *s, const uint32_t *kc, uint32_t nk)
{
    struct sl_type kt[SL_HASHAGG_MAX_K];
    for (uint32_t k = 0; k < nk; k++)
        kt[k] = s->fields[kc[k]].type;
    struct sl_hashagg_spec spec = {nk, kc, kt, NAGGS, aggs_all};
    struct sl_hashagg *ha = NULL;
    struct sl_error err;
    int rc = sl_hashagg_new(NULL, &spec, &ha, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    return ha;
}

/* Aggregates n generated rows by the key columns kc, once in one hashagg and once split over
 * two hashaggs merged, and checks both against the reference. */
static void run_keys(const uint32_t *kc, uint32_t nk, uint32_t n, uint32_t card, unsigned selpct,
                     uint64_t seed)
{
    uint64_t rs = seed;
    struct row *rows = malloc(n * sizeof(*rows));
    uint32_t *active = malloc(n * sizeof(uint32_t));
    struct refgroup *g = malloc(n * sizeof(*g) + 1);
    gen_rows(rows, n, card, &rs);
    struct sl_schema *s = in_schema();
    struct sl_heap *heap = sl_heap_new();
    struct sl_batch_pool *pool = sl_batch_pool_new(heap, s, 2);
    struct sl_hashagg *one = make_ha(s, kc, nk);
    struct sl_hashagg *p1 = make_ha(s, kc, nk);
    struct sl_hashagg *p2 = make_ha(s, kc, nk);
    struct sl_batch *b = sl_batch_pool_get(pool);
    uint32_t m = 0;
    const uint32_t step = SL_BATCH_CAP > 100 ? 100 : SL_BATCH_CAP; /* ragged batches */
    for (uint32_t off = 0; off < n; off += step) {
        uint32_t len = n - off < step ? n - off : step;
        uint32_t got = fill_batch(b, rows, off, len, selpct, &rs, active + m);
        m += got;
        assert_int_equal(sl_hashagg_update(one, b, NULL), 0);
        assert_int_equal(sl_hashagg_update(off < n / 2 ? p1 : p2, b, NULL), 0);
    }
    uint32_t ng = ref_aggregate(rows, active, m, kc, nk, g);
    check_output(one, rows, kc, nk, g, ng, true);
    /* the groups of p2 merged in two selections (its first third, then the rest: what
     * rescaling does with the key groups of two workers) equal the whole merge - in the
     * order of first appearance, which check_output expects */
    struct sl_hashagg *p3 = make_ha(s, kc, nk);
    assert_int_equal(sl_hashagg_merge(p3, p1, NULL), 0);
    uint32_t n2 = sl_hashagg_groups(p2), cut = n2 / 3;
    uint32_t *sel = malloc((n2 + 1) * sizeof(*sel));
    for (uint32_t k = 0; k < n2; k++)
        sel[k] = k;
    assert_int_equal(sl_hashagg_merge_sel(p3, p2, sel, cut, NULL), 0);
    assert_int_equal(sl_hashagg_merge_sel(p3, p2, sel + cut, n2 - cut, NULL), 0);
    check_output(p3, rows, kc, nk, g, ng, false);
    assert_int_equal(sl_hashagg_merge_sel(p3, p3, sel, n2, NULL), SL_EINVAL);
    free(sel);
    sl_hashagg_free(p3);
    assert_int_equal(sl_hashagg_merge(p1, p2, NULL), 0);
    check_output(p1, rows, kc, nk, g, ng, false);
    assert_int_equal(sl_hashagg_merge(p1, p1, NULL), SL_EINVAL);
    assert_true(sl_hashagg_memory(one) > 0);
    /* clear: empty, and reusable with the same answers */
    sl_hashagg_clear(one);
    assert_int_equal(sl_hashagg_groups(one), 0);
    uint32_t m2 = 0;
    rs = seed ^ 1;
    for (uint32_t off = 0; off < n; off += step) {
        uint32_t len = n - off < step ? n - off : step;
        m2 += fill_batch(b, rows, off, len, 100, &rs, active + m2);
        assert_int_equal(sl_hashagg_update(one, b, NULL), 0);
    }
    ng = ref_aggregate(rows, active, m2, kc, nk, g);
    check_output(one, rows, kc, nk, g, ng, true);
    sl_batch_pool_put(b);
    sl_hashagg_free(one);
    sl_hashagg_free(p1);
    sl_hashagg_free(p2);
    sl_batch_pool_free(pool);
    sl_heap_free(heap);
    sl_schema_free(s);
    free(rows);
    free(active);
    free(g);
}

static void test_bigint_key(void **state)
{
    (void)state;
    const uint32_t kc[] = {C_K1};
    run_keys(kc, 1, 3000, 50, 100, 1);
    run_keys(kc, 1, 3000, 400, 70, 2);
}

static void test_two_keys(void **state)
{
    (void)state;
    const uint32_t kc[] = {C_K1, C_K2};
    run_keys(kc, 2, 3000, 30, 100, 3);
    run_keys(kc, 2, 2000, 30, 40, 4);
}

static void test_double_key(void **state)
{
    (void)state;
    /* -0.0 and 0.0 are one group, every NaN is one group, NULL is one group */
    const uint32_t kc[] = {C_KD};
    run_keys(kc, 1, 2000, 10, 100, 5);
}

static void test_string_key(void **state)
{
    (void)state;
    const uint32_t kc[] = {C_KS};
    run_keys(kc, 1, 3000, 200, 100, 6);
    run_keys(kc, 1, 3000, 200, 50, 7);
}

static void test_four_keys(void **state)
{
    (void)state;
    const uint32_t kc[] = {C_KB, C_KS, C_K2, C_KD};
    run_keys(kc, 4, 3000, 5, 100, 8);
    const uint32_t kc3[] = {C_K2, C_K1, C_KS}; /* 3 keys + the null-mask word = 4 words */
    run_keys(kc3, 3, 3000, 5, 80, 9);
    /* 4 keys with a nullable BIGINT + the null-mask word = 5 words (Nexmark q8's shape) */
    const uint32_t kc5[] = {C_K1, C_KS, C_K2, C_KD};
    run_keys(kc5, 4, 3000, 5, 90, 10);
}

/* 300 K distinct BIGINT keys from an empty table: many doublings; each key appears twice. */
static void test_growth(void **state)
{
    (void)state;
    enum { D = 300000 };
    const char *names[] = {"k", "v"};
    struct sl_type t[] = {sl_type_make(SL_TYPE_BIGINT, false), sl_type_make(SL_TYPE_BIGINT, false)};
    struct sl_schema *s = sl_schema_new(2, names, t);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, s, 1);
    uint32_t kc = 0;
    struct sl_hashagg_agg aggs[] = {{SL_AGG_COUNT_STAR, 0, t[0], false, 0},
                                    {SL_AGG_SUM, 1, t[1], false, 0}};
    struct sl_hashagg_spec spec = {1, &kc, t, 2, aggs};
    struct sl_hashagg *ha;
    assert_int_equal(sl_hashagg_new(NULL, &spec, &ha, NULL), 0);
    size_t mem0 = sl_hashagg_memory(ha);
    struct sl_batch *b = sl_batch_pool_get(pool);
    for (uint32_t i = 0; i < 2 * D;) {
        uint32_t n = 0;
        for (; n < SL_BATCH_CAP && i < 2 * D; n++, i++) {
            uint32_t key = i % D;
            sl_col_i64(&b->cols[0])[n] = (int64_t)key * 1000003 - 5;
            sl_col_i64(&b->cols[1])[n] = key;
        }
        b->rows = n;
        assert_int_equal(sl_hashagg_update(ha, b, NULL), 0);
    }
    assert_int_equal(sl_hashagg_groups(ha), D);
    assert_true(sl_hashagg_memory(ha) > mem0 + (size_t)D * 24);
    const char *on[] = {"k", "c", "s"};
    struct sl_type ot[3];
    sl_hashagg_out_types(ha, ot);
    struct sl_schema *os = sl_schema_new(3, on, ot);
    struct sl_batch_pool *opool = sl_batch_pool_new(NULL, os, 1);
    uint32_t cursor = 0, seen = 0;
    int n;
    struct sl_batch *out = sl_batch_pool_get(opool);
    while ((n = sl_hashagg_emit(ha, &cursor, out, NULL)) > 0) {
        for (int i = 0; i < n; i++, seen++) {
            assert_int_equal(sl_col_i64(&out->cols[0])[i], (int64_t)seen * 1000003 - 5);
            assert_int_equal(sl_col_i64(&out->cols[1])[i], 2);
            assert_int_equal(sl_col_i64(&out->cols[2])[i], 2 * (int64_t)seen);
        }
        sl_batch_reset(out);
    }
    assert_int_equal(n, 0);
    assert_int_equal(seen, D);
    sl_batch_pool_put(out);
    sl_batch_pool_put(b);
    sl_hashagg_free(ha);
    sl_batch_pool_free(opool);
    sl_batch_pool_free(pool);
    sl_schema_free(os);
    sl_schema_free(s);
}

/* COUNT(*) folded into the pass of a SUM / MIN of a NOT NULL input (two COUNT(*)s, one before
 * its host), with an AVG beside them (a state row of 6 words, stride 8), through selections,
 * growth and a merge of two partials: every count, sum, min and average against per-key
 * answers computed here. */
static void test_count_star_folding(void **state)
{
    (void)state;
    enum { D = 5000, ROWS = 40000 };
    const char *names[] = {"k", "v"};
    struct sl_type t[] = {sl_type_make(SL_TYPE_BIGINT, false), sl_type_make(SL_TYPE_BIGINT, false)};
    struct sl_schema *s = sl_schema_new(2, names, t);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, s, 1);
    uint32_t kc = 0;
    struct sl_hashagg_agg aggs[] = {{SL_AGG_COUNT_STAR, 0, t[0], false, 0},
                                    {SL_AGG_SUM, 1, t[1], false, 0},
                                    {SL_AGG_MIN, 1, t[1], false, 0},
                                    {SL_AGG_COUNT_STAR, 0, t[0], false, 0},
                                    {SL_AGG_AVG, 1, t[1], false, 0}};
    struct sl_hashagg_spec spec = {1, &kc, t, 5, aggs};
    struct sl_hashagg *ha[2];
    assert_int_equal(sl_hashagg_new(NULL, &spec, &ha[0], NULL), 0);
    assert_int_equal(sl_hashagg_new(NULL, &spec, &ha[1], NULL), 0);
    uint64_t *cnt = calloc(D, 8);
    int64_t *sum = calloc(D, 8), *mn = malloc(D * 8);
    for (uint32_t k = 0; k < D; k++)
        mn[k] = INT64_MAX;
    struct sl_batch *b = sl_batch_pool_get(pool);
    uint64_t rs = 99;
    for (uint32_t i = 0; i < ROWS;) {
        uint32_t n = 0;
        sl_batch_reset(b);
        for (; n < SL_BATCH_CAP && i < ROWS; n++, i++) {
            uint64_t r = sl_test_rand(&rs);
            sl_col_i64(&b->cols[0])[n] = (int64_t)(r % D) * 7919;
            sl_col_i64(&b->cols[1])[n] = (int64_t)(r >> 40) - (1 << 23);
        }
        b->rows = n;
        if (i % 3 == 0) { /* every third batch through a selection of about half its rows */
            sl_sel_t *sel = sl_batch_sel_next(b);
            uint32_t m = 0;
            for (uint32_t j = 0; j < n; j++)
                if (sl_test_rand(&rs) & 1)
                    sel[m++] = j;
            sl_batch_sel_commit(b, sel, m);
        }
        uint32_t act = sl_batch_active(b);
        for (uint32_t j = 0; j < act; j++) {
            uint32_t row = b->sel ? b->sel[j] : j;
            uint32_t k = (uint32_t)(sl_col_i64(&b->cols[0])[row] / 7919);
            int64_t v = sl_col_i64(&b->cols[1])[row];
            cnt[k]++;
            sum[k] += v;
            mn[k] = v < mn[k] ? v : mn[k];
        }
        assert_int_equal(sl_hashagg_update(ha[(i / SL_BATCH_CAP) & 1], b, NULL), 0);
    }
    assert_int_equal(sl_hashagg_merge(ha[0], ha[1], NULL), 0);
    struct sl_type ot[6];
    sl_hashagg_out_types(ha[0], ot);
    const char *on[] = {"k", "c1", "s", "m", "c2", "a"};
    struct sl_schema *os = sl_schema_new(6, on, ot);
    struct sl_batch_pool *opool = sl_batch_pool_new(NULL, os, 1);
    struct sl_batch *out = sl_batch_pool_get(opool);
    uint32_t cursor = 0, seen = 0;
    int n;
    while ((n = sl_hashagg_emit(ha[0], &cursor, out, NULL)) > 0) {
        for (int j = 0; j < n; j++, seen++) {
            uint32_t k = (uint32_t)(sl_col_i64(&out->cols[0])[j] / 7919);
            assert_true(cnt[k] > 0);
            assert_int_equal(sl_col_i64(&out->cols[1])[j], (int64_t)cnt[k]);
            assert_int_equal(sl_col_i64(&out->cols[2])[j], sum[k]);
            assert_int_equal(sl_col_i64(&out->cols[3])[j], mn[k]);
            assert_int_equal(sl_col_i64(&out->cols[4])[j], (int64_t)cnt[k]);
            assert_int_equal(sl_col_i64(&out->cols[5])[j], sum[k] / (int64_t)cnt[k]);
        }
        sl_batch_reset(out);
    }
    uint32_t groups = 0;
    for (uint32_t k = 0; k < D; k++)
        groups += cnt[k] > 0;
    assert_int_equal(seen, groups);
    sl_batch_pool_put(out);
    sl_batch_pool_put(b);
    sl_hashagg_free(ha[0]);
    sl_hashagg_free(ha[1]);
    sl_batch_pool_free(opool);
    sl_batch_pool_free(pool);
    sl_schema_free(os);
    sl_schema_free(s);
    free(cnt);
    free(sum);
    free(mn);
}

static void test_spec_errors(void **state)
{
    (void)state;
    struct sl_type nb = sl_type_make(SL_TYPE_BIGINT, true);
    struct sl_type kt[5] = {nb, nb, nb, nb, nb};
    uint32_t kc[5] = {0, 1, 2, 3, 4};
    struct sl_hashagg_spec spec = {4, kc, kt, 0, NULL};
    struct sl_hashagg *ha = (struct sl_hashagg *)1;
    struct sl_error err;
    /* four nullable BIGINT keys take five words (the fifth: their NULL flags), the most */
    assert_int_equal(sl_hashagg_new(NULL, &spec, &ha, &err), 0);
    assert_int_equal(sl_hashagg_nwords(ha), 5);
    sl_hashagg_free(ha);
    /* five need a sixth word */
    spec.nkeys = 5;
    ha = (struct sl_hashagg *)1;
    assert_int_equal(sl_hashagg_new(NULL, &spec, &ha, &err), SL_ENOTSUP);
    assert_null(ha);
    spec.nkeys = 0;
    assert_int_equal(sl_hashagg_new(NULL, &spec, &ha, &err), SL_EINVAL);
    spec.nkeys = 1;
    struct sl_hashagg_agg a = {SL_AGG_AVG, 0, sl_type_decimal(10, 2, true), false, 0};
    spec.naggs = 1;
    spec.aggs = &a;
    assert_int_equal(sl_hashagg_new(NULL, &spec, &ha, &err), SL_ENOTSUP);
    a.func = SL_AGG_SUM;
    assert_int_equal(sl_hashagg_new(NULL, &spec, &ha, &err), 0);
    struct sl_type out[2];
    sl_hashagg_out_types(ha, out);
    assert_int_equal(out[1].id, SL_TYPE_DECIMAL);
    assert_int_equal(out[1].scale, 2);
    /* a batch whose key column has the wrong type */
    const char *names[] = {"x"};
    struct sl_type t[] = {sl_type_make(SL_TYPE_INT, true)};
    struct sl_schema *s = sl_schema_new(1, names, t);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, s, 1);
    struct sl_batch *b = sl_batch_pool_get(pool);
    b->rows = 1;
    assert_int_equal(sl_hashagg_update(ha, b, &err), SL_EINVAL);
    sl_batch_pool_put(b);
    sl_batch_pool_free(pool);
    sl_schema_free(s);
    sl_hashagg_free(ha);
}

/* ---- checkpoints: save / load -------------------------------------------------------------- */

/* Everything a hashagg emits, as bytes: per row and column a NULL flag and the value (strings
 * by content), so that two hashaggs compare with one memcmp. The caller frees *out. */
static size_t dump_ha(const struct sl_hashagg *ha, uint8_t **out)
{
    uint32_t nc = sl_hashagg_out_ncols(ha);
    struct sl_type types[80];
    assert_true(nc <= 80);
    sl_hashagg_out_types(ha, types);
    const char *names[80];
    char nbuf[80][16];
    for (uint32_t i = 0; i < nc; i++) {
        snprintf(nbuf[i], sizeof(nbuf[i]), "c%u", i);
        names[i] = nbuf[i];
        types[i].nullable = true;
    }
    struct sl_schema *os = sl_schema_new(nc, names, types);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, os, 1);
    size_t len = 0, cap = 1024;
    uint8_t *d = malloc(cap);
    uint32_t cursor = 0;
    int n;
    struct sl_batch *b = sl_batch_pool_get(pool);
    while ((n = sl_hashagg_emit(ha, &cursor, b, NULL)) > 0) {
        for (int i = 0; i < n; i++) {
            for (uint32_t c = 0; c < nc; c++) {
                struct sl_column *col = &b->cols[c];
                uint8_t tmp[8 + 4 + 100];
                size_t m = 1;
                tmp[0] = sl_col_is_null(col, (uint32_t)i);
                if (!tmp[0]) {
                    if (types[c].id == SL_TYPE_VARCHAR) {
                        sl_str v = sl_col_str(col)[i];
                        assert_true(v.len <= 100);
                        memcpy(tmp + 1, &v.len, 4);
                        memcpy(tmp + 5, sl_str_data(&v), v.len);
                        m = 5 + v.len;
                    } else {
                        size_t w = sl_type_width((sl_type_id)types[c].id);
                        memcpy(tmp + 1, (char *)col->data + (size_t)i * w, w);
                        m = 1 + w;
                    }
                }
                if (len + m > cap) {
                    cap *= 2;
                    d = realloc(d, cap);
                }
                memcpy(d + len, tmp, m);
                len += m;
            }
        }
        sl_batch_reset(b);
    }
    assert_int_equal(n, 0);
    assert_int_equal(cursor, sl_hashagg_groups(ha));
    sl_batch_pool_put(b);
    sl_batch_pool_free(pool);
    sl_schema_free(os);
    *out = d;
    return len;
}

static void assert_same_output(const struct sl_hashagg *a, const struct sl_hashagg *b)
{
    assert_int_equal(sl_hashagg_groups(a), sl_hashagg_groups(b));
    uint8_t *da, *db;
    size_t la = dump_ha(a, &da), lb = dump_ha(b, &db);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    free(da);
    free(db);
}

static void load_ok(struct sl_hashagg *ha, const struct sl_sbuf *sb)
{
    struct sl_sread r;
    struct sl_error err;
    sl_sread_init(&r, sb->p, sb->len, "test");
    int rc = sl_hashagg_load(ha, &r, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(sl_sread_end(&r, NULL), 0);
}

static void save_ok(const struct sl_hashagg *ha, struct sl_sbuf *sb)
{
    sl_sbuf_reset(sb);
    assert_int_equal(sl_hashagg_save(ha, sb, NULL), 0);
}

/* Feeds n generated rows to `one`; saves at half-way; then:
 *   - a fresh hashagg loaded with the final state emits what `one` emits, and saves the
 *     same bytes (strings are saved by content, not by dictionary id);
 *   - a fresh hashagg loaded with the half-way state and fed the rest equals `one`;
 *   - merges of the loaded one equal merges of the original;
 *   - a cleared hashagg loads as a new one does. */
static void run_save_load(const uint32_t *kc, uint32_t nk, uint32_t n, uint32_t card,
                          unsigned selpct, uint64_t seed)
{
    uint64_t rs = seed;
    struct row *rows = malloc((n + 1) * sizeof(*rows));
    uint32_t *active = malloc((n + 1) * sizeof(uint32_t));
    gen_rows(rows, n, card, &rs);
    const uint64_t rs_gen = rs;
    struct sl_schema *s = in_schema();
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, s, 1);
    struct sl_hashagg *one = make_ha(s, kc, nk), *resumed = NULL;
    struct sl_sbuf half, full, again;
    sl_sbuf_init(&half);
    sl_sbuf_init(&full);
    sl_sbuf_init(&again);
    save_ok(one, &half); /* n == 0: the empty state */
    struct sl_batch *b = sl_batch_pool_get(pool);
    const uint32_t step = SL_BATCH_CAP > 100 ? 100 : SL_BATCH_CAP;
    bool saved = false;
    for (uint32_t off = 0; off < n; off += step) {
        if (!saved && off >= n / 2) {
            save_ok(one, &half);
            resumed = make_ha(s, kc, nk);
            load_ok(resumed, &half);
            assert_same_output(one, resumed);
            saved = true;
        }
        uint32_t len = n - off < step ? n - off : step;
        uint64_t rs2 = rs;
        fill_batch(b, rows, off, len, selpct, &rs, active);
        assert_int_equal(sl_hashagg_update(one, b, NULL), 0);
        if (resumed) {
            fill_batch(b, rows, off, len, selpct, &rs2, active);
            assert_int_equal(sl_hashagg_update(resumed, b, NULL), 0);
        }
    }
    if (!resumed) { /* too few rows to split: resume from the empty state */
        resumed = make_ha(s, kc, nk);
        load_ok(resumed, &half);
        rs = rs_gen;
        for (uint32_t off = 0; off < n; off += step) {
            uint32_t len = n - off < step ? n - off : step;
            fill_batch(b, rows, off, len, selpct, &rs, active);
            assert_int_equal(sl_hashagg_update(resumed, b, NULL), 0);
        }
    }
    assert_same_output(one, resumed);
    save_ok(one, &full);
    struct sl_hashagg *loaded = make_ha(s, kc, nk);
    load_ok(loaded, &full);
    assert_same_output(one, loaded);
    save_ok(loaded, &again);
    assert_int_equal(again.len, full.len);
    assert_memory_equal(again.p, full.p, full.len);
    /* loading into a non-empty hashagg is refused */
    if (sl_hashagg_groups(loaded)) {
        struct sl_sread r;
        sl_sread_init(&r, full.p, full.len, "test");
        assert_int_equal(sl_hashagg_load(loaded, &r, NULL), SL_EINVAL);
    }
    /* merge: into a fresh hashagg, and of the loaded state into itself-like partials */
    struct sl_hashagg *m1 = make_ha(s, kc, nk), *m2 = make_ha(s, kc, nk);
    load_ok(m1, &half);
    load_ok(m2, &half);
    assert_int_equal(sl_hashagg_merge(m1, one, NULL), 0);
    assert_int_equal(sl_hashagg_merge(m2, loaded, NULL), 0);
    assert_same_output(m1, m2);
    /* cleared, then loaded */
    sl_hashagg_clear(loaded);
    load_ok(loaded, &half);
    save_ok(loaded, &again);
    assert_int_equal(again.len, half.len);
    assert_memory_equal(again.p, half.p, half.len);
    sl_batch_pool_put(b);
    sl_hashagg_free(one);
    sl_hashagg_free(resumed);
    sl_hashagg_free(loaded);
    sl_hashagg_free(m1);
    sl_hashagg_free(m2);
    sl_sbuf_free(&half);
    sl_sbuf_free(&full);
    sl_sbuf_free(&again);
    sl_batch_pool_free(pool);
    sl_schema_free(s);
    free(rows);
    free(active);
}

static void test_save_load_keys(void **state)
{
    (void)state;
    static const uint32_t k1[] = {C_K1}, k2[] = {C_K2}, kd[] = {C_KD}, ks[] = {C_KS}, kb[] = {C_KB},
                          k12[] = {C_K1, C_K2}, k4[] = {C_KS, C_KD, C_K2, C_KB},
                          k3[] = {C_KS, C_KD, C_K1}, k4b[] = {C_KB, C_K2, C_KS, C_KD};
    static const struct {
        const uint32_t *kc;
        uint32_t nk;
    } sets[] = {{k1, 1}, {k2, 1}, {kd, 1}, {ks, 1}, {kb, 1}, {k12, 2}, {k3, 3}, {k4, 4}, {k4b, 4}};
    static const uint32_t sizes[][2] = {{0, 1}, {1, 1}, {2, 1}, {700, 40}, {3000, 100000}};
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
        for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
            run_save_load(sets[i].kc, sets[i].nk, sizes[j][0], sizes[j][1], j % 2 ? 100 : 70,
                          1000 + i * 10 + j);
}

/* Many groups (several table growths, beyond the low-load size) of one BIGINT key. */
static void test_save_load_many(void **state)
{
    (void)state;
    static const uint32_t k1[] = {C_K1}, k12[] = {C_K1, C_KS};
    run_save_load(k1, 1, 60000, 1u << 30, 100, 77);
    run_save_load(k12, 2, 20000, 1u << 30, 100, 78);
}

/* DECIMAL and TIMESTAMP keys (nullable: the null-mask word) and DECIMAL aggregates. */
static struct sl_schema *dec_schema(void)
{
    const char *names[] = {"kdec", "kts", "vdec", "vdn"};
    struct sl_type t[] = {sl_type_decimal(10, 2, true), sl_type_make(SL_TYPE_TIMESTAMP, true),
                          sl_type_decimal(12, 3, true), sl_type_decimal(12, 3, false)};
    return sl_schema_new(4, names, t);
}

static struct sl_hashagg *dec_ha(const struct sl_schema *s)
{
    static const uint32_t kc[] = {0, 1};
    struct sl_type kt[] = {s->fields[0].type, s->fields[1].type};
    struct sl_hashagg_agg aggs[] = {
        {SL_AGG_COUNT_STAR, 0, {0, 0, 0, false, 0}, false, 0},
        {SL_AGG_SUM, 2, s->fields[2].type, false, 0},
        {SL_AGG_MIN, 2, s->fields[2].type, false, 0},
        {SL_AGG_MAX, 2, s->fields[2].type, false, 0},
        {SL_AGG_COUNT, 2, s->fields[2].type, false, 0},
        {SL_AGG_SUM, 3, s->fields[3].type, false, 0},
        {SL_AGG_MAX, 3, s->fields[3].type, false, 0},
    };
    struct sl_hashagg_spec spec = {2, kc, kt, 7, aggs};
    struct sl_hashagg *ha;
    assert_int_equal(sl_hashagg_new(NULL, &spec, &ha, NULL), 0);
    return ha;
}

static void fill_dec(struct sl_batch *b, uint32_t n, uint64_t *rs)
{
    sl_batch_reset(b);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x = sl_test_rand(rs);
        sl_col_i64(&b->cols[0])[i] = (int64_t)(x % 50) - 25;
        sl_col_i64(&b->cols[1])[i] = (int64_t)((x >> 8) % 3) * 1000;
        sl_col_i64(&b->cols[2])[i] = (int64_t)(x >> 16) % 1000000;
        sl_col_i64(&b->cols[3])[i] = x & 1 ? INT64_MIN + (int64_t)(x >> 40) : (int64_t)(x >> 3);
        sl_col_set_null(&b->cols[0], i, x % 11 == 0);
        sl_col_set_null(&b->cols[1], i, x % 13 == 0);
        sl_col_set_null(&b->cols[2], i, (x >> 20) % 4 == 0);
    }
    b->rows = n;
}

static void test_save_load_decimal(void **state)
{
    (void)state;
    struct sl_schema *s = dec_schema();
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, s, 1);
    struct sl_batch *b = sl_batch_pool_get(pool);
    struct sl_hashagg *one = dec_ha(s), *res = NULL, *full = dec_ha(s);
    struct sl_sbuf sb;
    sl_sbuf_init(&sb);
    uint64_t rs = 5, rs_res = 0;
    for (int it = 0; it < 40; it++) {
        if (it == 20) {
            save_ok(one, &sb);
            res = dec_ha(s);
            load_ok(res, &sb);
            rs_res = rs;
        }
        fill_dec(b, SL_BATCH_CAP < 77 ? SL_BATCH_CAP : 77, &rs);
        assert_int_equal(sl_hashagg_update(one, b, NULL), 0);
    }
    for (int it = 20; it < 40; it++) {
        fill_dec(b, SL_BATCH_CAP < 77 ? SL_BATCH_CAP : 77, &rs_res);
        assert_int_equal(sl_hashagg_update(res, b, NULL), 0);
    }
    assert_same_output(one, res);
    save_ok(one, &sb);
    load_ok(full, &sb);
    assert_same_output(one, full);
    sl_batch_pool_put(b);
    sl_hashagg_free(one);
    sl_hashagg_free(res);
    sl_hashagg_free(full);
    sl_sbuf_free(&sb);
    sl_batch_pool_free(pool);
    sl_schema_free(s);
}

/* A state for another spec is refused with SL_ECORRUPT, the hashagg left empty. */
static void test_save_load_spec_mismatch(void **state)
{
    (void)state;
    struct sl_schema *s = in_schema();
    static const uint32_t k1[] = {C_K1}, k2[] = {C_K2}, k12[] = {C_K1, C_K2};
    struct sl_hashagg *a = make_ha(s, k1, 1), *b2 = make_ha(s, k2, 1), *c = make_ha(s, k12, 2);
    struct sl_type t = s->fields[C_K1].type;
    struct sl_hashagg_agg one_agg = {SL_AGG_SUM, C_V, s->fields[C_V].type, false, 0};
    struct sl_hashagg_spec spec = {1, k1, &t, 1, &one_agg};
    struct sl_hashagg *d;
    assert_int_equal(sl_hashagg_new(NULL, &spec, &d, NULL), 0);
    one_agg.func = SL_AGG_MIN;
    struct sl_hashagg *e;
    assert_int_equal(sl_hashagg_new(NULL, &spec, &e, NULL), 0);
    struct sl_sbuf sb;
    sl_sbuf_init(&sb);
    save_ok(a, &sb);
    struct sl_hashagg *others[] = {b2, c, d};
    for (int i = 0; i < 3; i++) {
        struct sl_sread r;
        struct sl_error err;
        sl_sread_init(&r, sb.p, sb.len, "mismatch");
        assert_int_equal(sl_hashagg_load(others[i], &r, &err), SL_ECORRUPT);
        assert_non_null(strstr(err.msg, "mismatch"));
        assert_int_equal(sl_hashagg_groups(others[i]), 0);
    }
    save_ok(d, &sb);
    struct sl_sread r;
    sl_sread_init(&r, sb.p, sb.len, "mismatch");
    assert_int_equal(sl_hashagg_load(e, &r, NULL), SL_ECORRUPT);
    sl_hashagg_free(a);
    sl_hashagg_free(b2);
    sl_hashagg_free(c);
    sl_hashagg_free(d);
    sl_hashagg_free(e);
    sl_sbuf_free(&sb);
    sl_schema_free(s);
}

/* Truncated at every length: SL_ECORRUPT, the hashagg empty and still loadable; random bit
 * flips: SL_ECORRUPT or a load whose output can be emitted (never a crash, under ASan). */
static void test_save_load_corrupt(void **state)
{
    (void)state;
    static const uint32_t kc[] = {C_KS, C_K1, C_KD};
    uint32_t n = 12;
    uint64_t rs = 4242;
    struct row rows[12];
    uint32_t active[12];
    gen_rows(rows, n, 5, &rs);
    struct sl_schema *s = in_schema();
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, s, 1);
    struct sl_batch *b = sl_batch_pool_get(pool);
    struct sl_hashagg *one = make_ha(s, kc, 3), *ha = make_ha(s, kc, 3);
    for (uint32_t off = 0; off < n; off += SL_BATCH_CAP) {
        uint32_t len = n - off < SL_BATCH_CAP ? n - off : SL_BATCH_CAP;
        fill_batch(b, rows, off, len, 100, &rs, active);
        assert_int_equal(sl_hashagg_update(one, b, NULL), 0);
    }
    assert_true(sl_hashagg_groups(one) > 3);
    struct sl_sbuf sb;
    sl_sbuf_init(&sb);
    save_ok(one, &sb);
    for (size_t len = 0; len < sb.len; len++) {
        uint8_t *copy = malloc(len + 1); /* exactly len bytes readable (ASan) */
        memcpy(copy, sb.p, len);
        struct sl_sread r;
        sl_sread_init(&r, copy, len, "truncated");
        assert_int_equal(sl_hashagg_load(ha, &r, NULL), SL_ECORRUPT);
        assert_int_equal(sl_hashagg_groups(ha), 0);
        free(copy);
    }
    load_ok(ha, &sb);
    assert_same_output(one, ha);
    uint8_t *copy = malloc(sb.len);
    uint32_t ok = 0, bad = 0;
    for (int t = 0; t < 3000; t++) {
        memcpy(copy, sb.p, sb.len);
        int flips = 1 + (int)(sl_test_rand(&rs) % 3);
        for (int f = 0; f < flips; f++) {
            uint64_t bit = sl_test_rand(&rs) % (sb.len * 8);
            copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        sl_hashagg_clear(ha);
        struct sl_sread r;
        sl_sread_init(&r, copy, sb.len, "flipped");
        int rc = sl_hashagg_load(ha, &r, NULL);
        if (rc == 0) {
            ok++;
            uint8_t *d;
            dump_ha(ha, &d);
            free(d);
        } else {
            assert_int_equal(rc, SL_ECORRUPT);
            assert_int_equal(sl_hashagg_groups(ha), 0);
            bad++;
        }
    }
    assert_true(bad > 0);
    free(copy);
    sl_batch_pool_put(b);
    sl_hashagg_free(one);
    sl_hashagg_free(ha);
    sl_sbuf_free(&sb);
    sl_batch_pool_free(pool);
    sl_schema_free(s);
}

int main(void)
{
    if (sl_simd_init() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bigint_key),         cmocka_unit_test(test_two_keys),
        cmocka_unit_test(test_double_key),         cmocka_unit_test(test_string_key),
        cmocka_unit_test(test_four_keys),          cmocka_unit_test(test_growth),
        cmocka_unit_test(test_count_star_folding), cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_save_load_keys),     cmocka_unit_test(test_save_load_many),
        cmocka_unit_test(test_save_load_decimal),  cmocka_unit_test(test_save_load_spec_mismatch),
        cmocka_unit_test(test_save_load_corrupt),
    };
    return cmocka_run_group_tests_name("engine/hashagg", tests, NULL, NULL);
}
