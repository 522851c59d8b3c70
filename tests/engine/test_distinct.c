/*
 * tests/engine/test_distinct.c - DISTINCT and FILTER aggregates: the distinct set
 * (engine/ops/distinct.h) on its own, then hashaggs with COUNT / SUM / AVG(DISTINCT),
 * FILTERs (TRUE counts; FALSE and NULL do not) and both, against a naive reference computed
 * here: one hashagg fed everything; partials merged (values shared between partials counted
 * once); saved and loaded half-way, then fed the rest.
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "engine/ops/distinct.h"
#include "engine/ops/hashagg.h"

/* ---- the set ------------------------------------------------------------------------------ */

static void test_set_bits(void **state)
{
    (void)state;
    struct sl_distinct d;
    sl_distinct_init(&d, NULL);
    uint32_t fresh;
    assert_int_equal(sl_distinct_add(&d, 0, 42, 1u, &fresh), 0);
    assert_int_equal(fresh, 1u);
    assert_int_equal(sl_distinct_add(&d, 0, 42, 1u, &fresh), 0);
    assert_int_equal(fresh, 0u); /* seen for that filter */
    assert_int_equal(sl_distinct_add(&d, 0, 42, 3u, &fresh), 0);
    assert_int_equal(fresh, 2u); /* only the new filter's bit */
    assert_int_equal(sl_distinct_add(&d, 1, 42, 1u, &fresh), 0);
    assert_int_equal(fresh, 1u); /* another group */
    assert_int_equal(sl_distinct_add(&d, 0, 43, 0x80000000u, &fresh), 0);
    assert_int_equal(fresh, 0x80000000u);
    assert_int_equal(sl_distinct_size(&d), 3);
    sl_distinct_clear(&d);
    assert_int_equal(sl_distinct_size(&d), 0);
    assert_int_equal(sl_distinct_add(&d, 0, 42, 1u, &fresh), 0);
    assert_int_equal(fresh, 1u);
    sl_distinct_release(&d);
    assert_int_equal(sl_distinct_memory(&d), 0);
    sl_distinct_release(&d); /* twice is fine */
}

/* A million (group, value) pairs, each added twice: one entry each, memory as documented
 * (distinct.h: 21 to 43 bytes per entry). */
static void test_set_growth(void **state)
{
    (void)state;
    struct sl_distinct d;
    sl_distinct_init(&d, NULL);
    const uint32_t n = 1000000;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t fresh;
            /* the same values in every group: group i % 1000, value i / 1000 */
            assert_int_equal(sl_distinct_add(&d, i % 1000, i / 1000, 1u, &fresh), 0);
            assert_int_equal(fresh, pass == 0 ? 1u : 0u);
        }
    }
    assert_int_equal(sl_distinct_size(&d), n);
    size_t per = sl_distinct_memory(&d) / n;
    assert_true(per >= 21 && per <= 43);
    sl_distinct_release(&d);
}

/* ---- hashaggs with DISTINCT and FILTER ------------------------------------------------------ */

enum { C_K, C_V, C_S, C_D, C_F1, C_F2, NCOLS };

struct row {
    int64_t k, v;
    char s[40];
    uint32_t slen;
    double d;
    bool f1, f2;
    bool null_v, null_s, null_d, null_f1;
};

/* The aggregates (hashagg spec order) and what the reference computes for each. */
static const struct sl_hashagg_agg aggs[] = {
    {SL_AGG_COUNT_STAR, 0, {SL_TYPE_BIGINT, 0, 0, false, 0}, false, 1 + C_F1},
    {SL_AGG_SUM, C_V, {SL_TYPE_BIGINT, 0, 0, true, 0}, false, 1 + C_F2},
    {SL_AGG_COUNT, C_V, {SL_TYPE_BIGINT, 0, 0, true, 0}, true, 0},
    {SL_AGG_COUNT, C_V, {SL_TYPE_BIGINT, 0, 0, true, 0}, true, 1 + C_F1},
    {SL_AGG_SUM, C_V, {SL_TYPE_BIGINT, 0, 0, true, 0}, true, 1 + C_F2},
    {SL_AGG_AVG, C_V, {SL_TYPE_BIGINT, 0, 0, true, 0}, true, 0},
    {SL_AGG_COUNT, C_S, {SL_TYPE_VARCHAR, 0, 0, true, 0}, true, 1 + C_F1},
    {SL_AGG_SUM, C_D, {SL_TYPE_DOUBLE, 0, 0, true, 0}, true, 0},
    {SL_AGG_MIN, C_V, {SL_TYPE_BIGINT, 0, 0, true, 0}, true, 1 + C_F1},
    {SL_AGG_COUNT_STAR, 0, {SL_TYPE_BIGINT, 0, 0, false, 0}, false, 0},
    {SL_AGG_COUNT_STAR, 0, {SL_TYPE_BIGINT, 0, 0, false, 0}, false, 1 + C_F2},
};
#define NAGGS (sizeof(aggs) / sizeof(aggs[0]))
#define NGROUPS 6

static struct sl_schema *in_schema(void)
{
    const char *names[NCOLS] = {"k", "v", "s", "d", "f1", "f2"};
    struct sl_type t[NCOLS] = {
        sl_type_make(SL_TYPE_BIGINT, false), sl_type_make(SL_TYPE_BIGINT, true),
        sl_type_make(SL_TYPE_VARCHAR, true), sl_type_make(SL_TYPE_DOUBLE, true),
        sl_type_make(SL_TYPE_BOOLEAN, true), sl_type_make(SL_TYPE_BOOLEAN, false),
    };
    struct sl_schema *s = sl_schema_new(NCOLS, names, t);
    assert_non_null(s);
    return s;
}

static void gen_rows(struct row *rows, uint32_t n, uint64_t *rs)
{
    static const char *strs[] = {"", "a", "Google", "a string longer than inline"};
    static const double ds[] = {0.0, -0.0, 1.5, 2.25, -3.0};
    for (uint32_t i = 0; i < n; i++) {
        struct row *r = &rows[i];
        memset(r, 0, sizeof(*r));
        r->k = (int64_t)(sl_test_rand(rs) % NGROUPS) * 1000 - 2000;
        r->v = (int64_t)(sl_test_rand(rs) % 40) - 10;
        if (sl_test_rand(rs) % 50 == 0)
            r->v = INT64_MAX - (int64_t)(sl_test_rand(rs) % 2); /* SUM wraps */
        const char *s = strs[sl_test_rand(rs) % 4];
        r->slen = (uint32_t)strlen(s);
        memcpy(r->s, s, r->slen);
        r->d = ds[sl_test_rand(rs) % 5];
        r->f1 = sl_test_rand(rs) % 2;
        r->f2 = sl_test_rand(rs) % 3 != 0;
        r->null_v = sl_test_rand(rs) % 8 == 0;
        r->null_s = sl_test_rand(rs) % 8 == 0;
        r->null_d = sl_test_rand(rs) % 8 == 0;
        r->null_f1 = sl_test_rand(rs) % 6 == 0;
    }
}

/* Fills b with rows off .. off+n-1 and a random selection; the active rows' indexes into
 * active[]; returns how many. */
static uint32_t fill_batch(struct sl_batch *b, const struct row *rows, uint32_t off, uint32_t n,
                           uint64_t *rs, uint32_t *active)
{
    sl_batch_reset(b);
    for (uint32_t i = 0; i < n; i++) {
        const struct row *r = &rows[off + i];
        sl_col_i64(&b->cols[C_K])[i] = r->k;
        sl_col_i64(&b->cols[C_V])[i] = r->v;
        sl_col_str(&b->cols[C_S])[i] = sl_batch_str(b, r->s, r->slen);
        sl_col_f64(&b->cols[C_D])[i] = r->d;
        sl_col_bool(&b->cols[C_F1])[i] = r->f1;
        sl_col_bool(&b->cols[C_F2])[i] = r->f2;
        sl_col_set_null(&b->cols[C_V], i, r->null_v);
        sl_col_set_null(&b->cols[C_S], i, r->null_s);
        sl_col_set_null(&b->cols[C_D], i, r->null_d);
        sl_col_set_null(&b->cols[C_F1], i, r->null_f1);
    }
    b->rows = n;
    sl_sel_t *sel = sl_batch_sel_next(b);
    uint32_t m = sl_test_fill_sel(sel, n, 70, rs);
    sl_batch_sel_commit(b, sel, m);
    for (uint32_t i = 0; i < m; i++)
        active[i] = off + sel[i];
    return m;
}

static bool passes(const struct row *r, uint32_t filter)
{
    if (filter == 1 + C_F1)
        return !r->null_f1 && r->f1;
    if (filter == 1 + C_F2)
        return r->f2;
    return true;
}

/* Aggregate j of group key k over the active rows: value and NULL-ness, by brute force. */
static void ref_agg(const struct row *rows, const uint32_t *act, uint32_t m, int64_t k, uint32_t j,
                    int64_t *iv, double *dv, bool *is_null)
{
    const struct sl_hashagg_agg *a = &aggs[j];
    uint64_t cnt = 0, sum = 0;
    double dsum = 0;
    int64_t mn = INT64_MAX;
    *is_null = false;
    for (uint32_t x = 0; x < m; x++) {
        const struct row *r = &rows[act[x]];
        if (r->k != k || !passes(r, a->filter))
            continue;
        if (a->func == SL_AGG_COUNT_STAR) {
            cnt++;
            continue;
        }
        bool nul = a->col == C_V ? r->null_v : a->col == C_S ? r->null_s : r->null_d;
        if (nul)
            continue;
        if (a->distinct) { /* counted only at its first passing occurrence */
            bool seen = false;
            for (uint32_t y = 0; y < x && !seen; y++) {
                const struct row *q = &rows[act[y]];
                if (q->k != k || !passes(q, a->filter))
                    continue;
                if (a->col == C_V)
                    seen = !q->null_v && q->v == r->v;
                else if (a->col == C_S)
                    seen = !q->null_s && q->slen == r->slen && memcmp(q->s, r->s, r->slen) == 0;
                else /* -0.0 and 0.0 are one value */
                    seen = !q->null_d && q->d == r->d;
            }
            if (seen)
                continue;
        }
        cnt++;
        if (a->col == C_V) {
            sum += (uint64_t)r->v;
            mn = r->v < mn ? r->v : mn;
        } else if (a->col == C_D) {
            dsum += r->d;
        }
    }
    switch (a->func) {
    case SL_AGG_COUNT_STAR:
    case SL_AGG_COUNT:
        *iv = (int64_t)cnt;
        return;
    default:
        break;
    }
    if (cnt == 0) {
        *is_null = true;
        return;
    }
    *dv = dsum;
    *iv = a->func == SL_AGG_MIN   ? mn
          : a->func == SL_AGG_AVG ? (int64_t)sum / (int64_t)cnt
                                  : (int64_t)sum;
}

static void check_output(struct sl_hashagg *ha, const struct row *rows, const uint32_t *act,
                         uint32_t m)
{
    uint32_t nc = sl_hashagg_out_ncols(ha);
    assert_int_equal(nc, 1 + NAGGS);
    struct sl_type types[1 + NAGGS];
    sl_hashagg_out_types(ha, types);
    const char *names[1 + NAGGS];
    char nbuf[1 + NAGGS][16];
    for (uint32_t i = 0; i < nc; i++) {
        snprintf(nbuf[i], sizeof(nbuf[i]), "c%u", i);
        names[i] = nbuf[i];
    }
    struct sl_schema *os = sl_schema_new(nc, names, types);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, os, 1);
    uint32_t cursor = 0, seen = 0;
    for (;;) {
        struct sl_batch *out = sl_batch_pool_get(pool);
        int n = sl_hashagg_emit(ha, &cursor, out, NULL);
        assert_true(n >= 0);
        if (n == 0) {
            sl_batch_pool_put(out);
            break;
        }
        for (uint32_t i = 0; i < (uint32_t)n; i++, seen++) {
            int64_t k = sl_col_i64(&out->cols[0])[i];
            for (uint32_t j = 0; j < NAGGS; j++) {
                int64_t iv = 0;
                double dv = 0;
                bool is_null;
                ref_agg(rows, act, m, k, j, &iv, &dv, &is_null);
                struct sl_column *c = &out->cols[1 + j];
                if (is_null || sl_col_is_null(c, i)) {
                    if (is_null != sl_col_is_null(c, i))
                        fprintf(stderr, "group %lld aggregate %u: NULL %d, want %d\n", (long long)k,
                                j, !is_null, is_null);
                    assert_int_equal(is_null, sl_col_is_null(c, i));
                    continue;
                }
                if (c->type.id == SL_TYPE_DOUBLE) {
                    assert_true(sl_col_f64(c)[i] == dv);
                } else {
                    if (sl_col_i64(c)[i] != iv)
                        fprintf(stderr, "group %lld aggregate %u: %lld, want %lld\n", (long long)k,
                                j, (long long)sl_col_i64(c)[i], (long long)iv);
                    assert_int_equal(sl_col_i64(c)[i], iv);
                }
            }
        }
        sl_batch_pool_put(out);
    }
    assert_true(seen > 0 && seen <= NGROUPS);
    sl_batch_pool_free(pool);
    sl_schema_free(os);
}

static struct sl_hashagg *make_ha(const struct sl_schema *s)
{
    static const uint32_t kc = C_K;
    struct sl_hashagg_spec spec = {1, &kc, &s->fields[C_K].type, NAGGS, aggs};
    struct sl_hashagg *ha = NULL;
    struct sl_error err;
    int rc = sl_hashagg_new(NULL, &spec, &ha, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    return ha;
}

static void reload(struct sl_hashagg **ha, const struct sl_schema *s)
{
    struct sl_sbuf sb;
    sl_sbuf_init(&sb);
    assert_int_equal(sl_hashagg_save(*ha, &sb, NULL), 0);
    sl_hashagg_free(*ha);
    *ha = make_ha(s);
    struct sl_sread r;
    struct sl_error err;
    sl_sread_init(&r, sb.p, sb.len, "test");
    int rc = sl_hashagg_load(*ha, &r, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(sl_sread_end(&r, NULL), 0);
    /* truncated: refused, never a crash */
    for (size_t cut = sb.len - 1; cut > 0; cut = cut * 3 / 4) {
        struct sl_hashagg *t = make_ha(s);
        sl_sread_init(&r, sb.p, cut, "test");
        int trc = sl_hashagg_load(t, &r, NULL);
        assert_true(trc == SL_ECORRUPT || (trc == 0 && sl_sread_end(&r, NULL) != 0));
        sl_hashagg_free(t);
    }
    sl_sbuf_free(&sb);
}

/* mode 0: one hashagg; 1: three partials (rows dealt round-robin by batch) merged into a
 * fourth; 2: one hashagg saved and loaded after every other batch. */
static void run(int mode, uint32_t n, uint32_t batch, uint64_t seed)
{
    uint64_t rs = seed;
    struct row *rows = calloc(n, sizeof(*rows));
    uint32_t *act = calloc(n, sizeof(*act));
    gen_rows(rows, n, &rs);
    struct sl_schema *s = in_schema();
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, s, 1);
    struct sl_hashagg *ha[3] = {make_ha(s), mode == 1 ? make_ha(s) : NULL,
                                mode == 1 ? make_ha(s) : NULL};
    uint32_t m = 0, nb = 0;
    for (uint32_t off = 0; off < n; off += batch, nb++) {
        uint32_t len = n - off < batch ? n - off : batch;
        struct sl_batch *b = sl_batch_pool_get(pool);
        m += fill_batch(b, rows, off, len, &rs, act + m);
        struct sl_error err;
        int rc = sl_hashagg_update(ha[mode == 1 ? nb % 3 : 0], b, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
        sl_batch_pool_put(b);
        if (mode == 2 && nb % 2 == 1)
            reload(&ha[0], s);
    }
    if (mode == 1) {
        struct sl_hashagg *fin = make_ha(s);
        for (int p = 0; p < 3; p++)
            assert_int_equal(sl_hashagg_merge(fin, ha[p], NULL), 0);
        check_output(fin, rows, act, m);
        /* merging into a non-empty table: the partials again change nothing distinct */
        sl_hashagg_clear(fin);
        assert_int_equal(sl_hashagg_merge(fin, ha[2], NULL), 0);
        assert_int_equal(sl_hashagg_merge(fin, ha[0], NULL), 0);
        assert_int_equal(sl_hashagg_merge(fin, ha[1], NULL), 0);
        reload(&fin, s);
        check_output(fin, rows, act, m);
        sl_hashagg_free(fin);
    } else {
        check_output(ha[0], rows, act, m);
        sl_hashagg_clear(ha[0]);
        assert_int_equal(sl_hashagg_groups(ha[0]), 0);
    }
    for (int p = 0; p < 3; p++)
        sl_hashagg_free(ha[p]);
    sl_batch_pool_free(pool);
    sl_schema_free(s);
    free(rows);
    free(act);
}

static void test_one(void **state)
{
    (void)state;
    run(0, 1500, SL_BATCH_CAP < 128 ? SL_BATCH_CAP : 128, 1);
    run(0, 1, 1, 2);
}

static void test_merge(void **state)
{
    (void)state;
    run(1, 1500, SL_BATCH_CAP < 100 ? SL_BATCH_CAP : 100, 3);
}

static void test_save_load(void **state)
{
    (void)state;
    run(2, 400, SL_BATCH_CAP < 64 ? SL_BATCH_CAP : 64, 4);
}

/* A FILTER column that is not BOOLEAN is refused; a saved state with other FILTERs too. */
static void test_errors(void **state)
{
    (void)state;
    struct sl_schema *s = in_schema();
    struct sl_hashagg *ha = make_ha(s);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, s, 1);
    uint32_t kc = C_K;
    struct sl_hashagg_agg bad = {
        SL_AGG_COUNT_STAR, 0, {SL_TYPE_BIGINT, 0, 0, false, 0}, false, 1 + C_V};
    struct sl_hashagg_spec spec = {1, &kc, &s->fields[C_K].type, 1, &bad};
    struct sl_hashagg *hb = NULL;
    assert_int_equal(sl_hashagg_new(NULL, &spec, &hb, NULL), 0);
    struct sl_batch *b = sl_batch_pool_get(pool);
    b->rows = 1;
    sl_col_set_null(&b->cols[C_F1], 0, true);
    struct sl_error err;
    assert_int_equal(sl_hashagg_update(hb, b, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "BOOLEAN"));
    /* ha's state does not load into hb (another spec) */
    struct sl_sbuf sb;
    sl_sbuf_init(&sb);
    assert_int_equal(sl_hashagg_save(ha, &sb, NULL), 0);
    struct sl_sread r;
    sl_sread_init(&r, sb.p, sb.len, "test");
    assert_int_equal(sl_hashagg_load(hb, &r, NULL), SL_ECORRUPT);
    assert_int_equal(sl_hashagg_merge(hb, ha, NULL), SL_EINVAL);
    sl_sbuf_free(&sb);
    sl_batch_pool_put(b);
    sl_hashagg_free(hb);
    sl_hashagg_free(ha);
    sl_batch_pool_free(pool);
    sl_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_bits),  cmocka_unit_test(test_set_growth),
        cmocka_unit_test(test_one),       cmocka_unit_test(test_merge),
        cmocka_unit_test(test_save_load), cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
