/*
 * tests/engine/test_hashagg_str.c - MIN / MAX of VARCHAR in engine/ops/hashagg: expected values
 * written by hand from Flink's order (BinaryStringData.compareTo: the UTF-8 bytes compared
 * unsigned, a shorter prefix first): NULL inputs ignored, a group of NULLs gives NULL, empty
 * strings, invalid UTF-8 bytes, strings beyond the inline size, ties, FILTER, merge of
 * partials (into an empty and into a filled table), save / load and updates after a load.
 * Batches hold at most 2 rows, so the test also runs at SL_BATCH_CAP 2.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "engine/core/state.h"
#include "engine/ops/hashagg.h"

#define LONG40 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

struct in_row {
    int64_t k;
    const char *s; /* NULL: SQL NULL */
    uint32_t len;  /* bytes of s (may hold 0x00 / invalid UTF-8) */
    bool f;        /* the FILTER column */
};

#define R(k, lit, f)               \
    {                              \
        k, lit, sizeof(lit) - 1, f \
    }
#define RN(k)             \
    {                     \
        k, NULL, 0, false \
    }

/* groups 1..6, in first-appearance order */
static const struct in_row rows[] = {
    R(1, "b", false),
    R(1, "a", true),
    RN(2),
    R(3, "\xff", true),
    RN(1),
    R(1, "ab", true),
    R(4, LONG40 "a", false),
    R(3, "\x7f", false),
    RN(2),
    R(4, LONG40 "b", true),
    R(1, "", false),
    R(5, "same", true),
    R(3, "\xc3\xa9", false), /* é */
    R(4, LONG40, false),
    R(5, "same", false),
    R(6, "abcdefghijkl", false),
    R(6, "abcdefghijklm", false),
    R(5, "same", true),
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

#define S(lit) lit, sizeof(lit) - 1

/* MIN(s), MAX(s), MAX(s) FILTER (WHERE f), COUNT(s) per group */
static const struct {
    int64_t k;
    const char *mn;
    uint32_t mnlen;
    const char *mx;
    uint32_t mxlen;
    const char *mxf;
    uint32_t mxflen;
    int64_t cnt;
} want_all[] = {
    {1, S(""), S("b"), S("ab"), 4},          {2, NULL, 0, NULL, 0, NULL, 0, 0},
    {3, S("\x7f"), S("\xff"), S("\xff"), 3}, {4, S(LONG40), S(LONG40 "b"), S(LONG40 "b"), 3},
    {5, S("same"), S("same"), S("same"), 3}, {6, S("abcdefghijkl"), S("abcdefghijklm"), NULL, 0, 2},
};
#define NWANT (sizeof(want_all) / sizeof(want_all[0]))

struct fixture {
    struct sl_schema *in, *out;
    struct sl_batch_pool *inpool, *outpool;
    struct sl_hashagg_spec spec;
};

static const uint32_t key_cols[] = {0};
static const struct sl_type key_types[] = {{.id = SL_TYPE_BIGINT, .nullable = false}};
static struct sl_hashagg_agg aggs[4];

static void fx_init(struct fixture *fx)
{
    const char *names[] = {"k", "s", "f"};
    struct sl_type t[] = {sl_type_make(SL_TYPE_BIGINT, false), sl_type_make(SL_TYPE_VARCHAR, true),
                          sl_type_make(SL_TYPE_BOOLEAN, false)};
    fx->in = sl_schema_new(3, names, t);
    assert_non_null(fx->in);
    aggs[0] = (struct sl_hashagg_agg){SL_AGG_MIN, 1, t[1], false, 0};
    aggs[1] = (struct sl_hashagg_agg){SL_AGG_MAX, 1, t[1], false, 0};
    aggs[2] = (struct sl_hashagg_agg){SL_AGG_MAX, 1, t[1], false, 3};
    aggs[3] = (struct sl_hashagg_agg){SL_AGG_COUNT, 1, t[1], false, 0};
    fx->spec = (struct sl_hashagg_spec){1, key_cols, key_types, 4, aggs};
    const char *onames[] = {"k", "mn", "mx", "mxf", "cnt"};
    struct sl_type ot[] = {sl_type_make(SL_TYPE_BIGINT, false), t[1], t[1], t[1],
                           sl_type_make(SL_TYPE_BIGINT, false)};
    fx->out = sl_schema_new(5, onames, ot);
    fx->inpool = sl_batch_pool_new(NULL, fx->in, 1);
    fx->outpool = sl_batch_pool_new(NULL, fx->out, 1);
    assert_non_null(fx->inpool);
    assert_non_null(fx->outpool);
}

static void fx_free(struct fixture *fx)
{
    sl_batch_pool_free(fx->inpool);
    sl_batch_pool_free(fx->outpool);
    sl_schema_free(fx->in);
    sl_schema_free(fx->out);
}

static struct sl_hashagg *new_ha(struct fixture *fx)
{
    struct sl_hashagg *ha = NULL;
    struct sl_error err;
    assert_int_equal(sl_hashagg_new(NULL, &fx->spec, &ha, &err), 0);
    struct sl_type ot[5];
    sl_hashagg_out_types(ha, ot);
    assert_int_equal(ot[1].id, SL_TYPE_VARCHAR);
    assert_true(ot[1].nullable);
    return ha;
}

/* rows[from .. to) into ha, two rows a batch (the second batch with a selection skipping
 * nothing but exercising the selected path). */
static void feed(struct fixture *fx, struct sl_hashagg *ha, const struct in_row *r, size_t from,
                 size_t to)
{
    struct sl_error err;
    for (size_t i = from; i < to; i += 2) {
        struct sl_batch *b = sl_batch_pool_get(fx->inpool);
        assert_non_null(b);
        uint32_t n = to - i < 2 ? 1 : 2;
        for (uint32_t j = 0; j < n; j++) {
            const struct in_row *x = &r[i + j];
            sl_col_i64(&b->cols[0])[j] = x->k;
            sl_col_str(&b->cols[1])[j] = x->s ? sl_batch_str(b, x->s, x->len) : sl_str_make("", 0);
            sl_col_set_null(&b->cols[1], j, x->s == NULL);
            sl_col_bool(&b->cols[2])[j] = x->f;
        }
        b->rows = n;
        if ((i / 2) % 2) {
            sl_sel_t *sel = sl_batch_sel_next(b);
            for (uint32_t j = 0; j < n; j++)
                sel[j] = (sl_sel_t)j;
            sl_batch_sel_commit(b, sel, n);
        }
        assert_int_equal(sl_hashagg_update(ha, b, &err), 0);
        sl_batch_pool_put(b);
    }
}

static void check_str(const struct sl_column *c, uint32_t i, const char *want, uint32_t len)
{
    if (!want) {
        assert_true(sl_col_is_null(c, i));
        return;
    }
    assert_false(sl_col_is_null(c, i));
    const sl_str *s = &((const sl_str *)c->data)[i];
    assert_int_equal(s->len, len);
    assert_memory_equal(sl_str_data(s), want, len);
}

/* Emits ha and compares with want_all (groups in first-appearance order, keys checked). */
static void check(struct fixture *fx, const struct sl_hashagg *ha)
{
    assert_int_equal(sl_hashagg_groups(ha), NWANT);
    uint32_t cursor = 0, g = 0;
    struct sl_error err;
    for (;;) {
        struct sl_batch *b = sl_batch_pool_get(fx->outpool);
        int n = sl_hashagg_emit(ha, &cursor, b, &err);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++, g++) {
            assert_int_equal(sl_col_i64(&b->cols[0])[i], want_all[g].k);
            check_str(&b->cols[1], (uint32_t)i, want_all[g].mn, want_all[g].mnlen);
            check_str(&b->cols[2], (uint32_t)i, want_all[g].mx, want_all[g].mxlen);
            check_str(&b->cols[3], (uint32_t)i, want_all[g].mxf, want_all[g].mxflen);
            assert_int_equal(sl_col_i64(&b->cols[4])[i], want_all[g].cnt);
        }
        sl_batch_pool_put(b);
        if (n == 0)
            break;
    }
    assert_int_equal(g, NWANT);
}

static void test_min_max(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx);
    struct sl_hashagg *ha = new_ha(&fx);
    feed(&fx, ha, rows, 0, NROWS);
    check(&fx, ha);
    /* the string ids: equal exactly when the strings are (group 5's MIN and MAX: "same") */
    assert_int_equal(sl_hashagg_str_id(ha, 4, 0), sl_hashagg_str_id(ha, 4, 1));
    assert_int_not_equal(sl_hashagg_str_id(ha, 0, 0), sl_hashagg_str_id(ha, 0, 1));
    assert_int_equal(sl_hashagg_str_id(ha, 1, 0), UINT64_MAX); /* group 2: NULL */
    assert_int_equal(sl_hashagg_str_id(ha, 0, 3), UINT64_MAX); /* COUNT: not a string */
    const sl_str *s = sl_hashagg_str(ha, sl_hashagg_str_id(ha, 0, 1));
    assert_non_null(s);
    assert_int_equal(s->len, 1);
    assert_memory_equal(sl_str_data(s), "b", 1);
    /* clear forgets the strings; the table aggregates anew */
    sl_hashagg_clear(ha);
    assert_int_equal(sl_hashagg_groups(ha), 0);
    feed(&fx, ha, rows, 0, NROWS);
    check(&fx, ha);
    sl_hashagg_free(ha);
    fx_free(&fx);
}

static void test_merge(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx);
    struct sl_error err;
    /* partials: every split point, merged into the first part's table */
    for (size_t cut = 0; cut <= NROWS; cut++) {
        struct sl_hashagg *a = new_ha(&fx), *b = new_ha(&fx);
        feed(&fx, a, rows, 0, cut);
        feed(&fx, b, rows, cut, NROWS);
        assert_int_equal(sl_hashagg_merge(a, b, &err), 0);
        check(&fx, a);
        sl_hashagg_free(a);
        sl_hashagg_free(b);
    }
    /* into an empty table: the strings are re-interned into the destination, and the source
     * can be freed */
    struct sl_hashagg *src = new_ha(&fx), *dst = new_ha(&fx);
    feed(&fx, src, rows, 0, NROWS);
    assert_int_equal(sl_hashagg_merge(dst, src, &err), 0);
    sl_hashagg_free(src);
    check(&fx, dst);
    sl_hashagg_free(dst);
    fx_free(&fx);
}

static void test_save_load(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx);
    struct sl_error err;
    struct sl_hashagg *ha = new_ha(&fx);
    feed(&fx, ha, rows, 0, NROWS);
    struct sl_sbuf sb;
    sl_sbuf_init(&sb);
    assert_int_equal(sl_hashagg_save(ha, &sb, &err), 0);
    sl_hashagg_free(ha);
    struct sl_hashagg *back = new_ha(&fx);
    struct sl_sread r;
    sl_sread_init(&r, sb.p, sb.len, "test");
    assert_int_equal(sl_hashagg_load(back, &r, &err), 0);
    assert_int_equal(sl_sread_end(&r, NULL), 0);
    check(&fx, back);
    /* updates after the load fold into the loaded extremes */
    static const struct in_row more[] = {
        R(1, "zzz", false),
        R(3, "0", false),
        R(2, "two", true),
    };
    feed(&fx, back, more, 0, 3);
    /* groups 0, 1, 2 one at a time (a batch may hold only 2 rows) */
    static const uint32_t gids[] = {0, 1, 2};
    static const char *want_mn[] = {"", "two", "0"}, *want_mx[] = {"zzz", "two", "\xff"};
    for (int g = 0; g < 3; g++) {
        struct sl_batch *b = sl_batch_pool_get(fx.outpool);
        assert_int_equal(sl_hashagg_emit_groups(back, &gids[g], 1, b, &err), 1);
        check_str(&b->cols[1], 0, want_mn[g], (uint32_t)strlen(want_mn[g]));
        check_str(&b->cols[2], 0, want_mx[g], (uint32_t)strlen(want_mx[g]));
        if (g == 1) /* MAX(s) FILTER (WHERE f): the row "two" passed */
            check_str(&b->cols[3], 0, "two", 3);
        sl_batch_pool_put(b);
    }
    /* a truncated string section is refused as corrupt, and leaves the table empty */
    struct sl_hashagg *bad = new_ha(&fx);
    sl_sread_init(&r, sb.p, sb.len - 1, "test");
    assert_int_equal(sl_hashagg_load(bad, &r, &err), SL_ECORRUPT);
    assert_int_equal(sl_hashagg_groups(bad), 0);
    sl_hashagg_free(bad);
    sl_sbuf_free(&sb);
    sl_hashagg_free(back);
    fx_free(&fx);
}

/* Session windows' path: sl_hashagg_merge_groups re-keys groups (window start / end) and
 * merges them, two of src's groups into one of dst's: MAX / MIN over both. */
static void test_merge_groups(void **state)
{
    (void)state;
    const char *names[] = {"k", "ws", "we", "s"};
    struct sl_type t[] = {sl_type_make(SL_TYPE_BIGINT, false), sl_type_make(SL_TYPE_BIGINT, false),
                          sl_type_make(SL_TYPE_BIGINT, false), sl_type_make(SL_TYPE_VARCHAR, true)};
    struct sl_schema *sch = sl_schema_new(4, names, t);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, sch, 1);
    static const uint32_t kc[] = {0, 1, 2};
    struct sl_hashagg_agg ag[] = {{SL_AGG_MAX, 3, t[3], false, 0}, {SL_AGG_MIN, 3, t[3], false, 0}};
    struct sl_hashagg_spec spec = {3, kc, t, 2, ag};
    struct sl_hashagg *src = NULL, *dst = NULL;
    struct sl_error err;
    assert_int_equal(sl_hashagg_new(NULL, &spec, &src, &err), 0);
    assert_int_equal(sl_hashagg_new(NULL, &spec, &dst, &err), 0);
    /* groups (7, 0, 10): "m", NULL; (7, 5, 20): LONG40 "q" ("xx..q"), "b"; a row a batch */
    static const struct {
        int64_t ws, we;
        const char *s;
    } in[] = {{0, 10, "m"}, {0, 10, NULL}, {5, 20, LONG40 "q"}, {5, 20, "b"}};
    for (int i = 0; i < 4; i++) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        sl_col_i64(&b->cols[0])[0] = 7;
        sl_col_i64(&b->cols[1])[0] = in[i].ws;
        sl_col_i64(&b->cols[2])[0] = in[i].we;
        sl_col_str(&b->cols[3])[0] =
            in[i].s ? sl_batch_str(b, in[i].s, (uint32_t)strlen(in[i].s)) : sl_str_make("", 0);
        sl_col_set_null(&b->cols[3], 0, in[i].s == NULL);
        b->rows = 1;
        assert_int_equal(sl_hashagg_update(src, b, &err), 0);
        sl_batch_pool_put(b);
    }
    assert_int_equal(sl_hashagg_groups(src), 2);
    static const uint32_t gids[] = {0, 1};
    static const int64_t ks[] = {0, 0}, ke[] = {20, 20};
    assert_int_equal(sl_hashagg_merge_groups(dst, src, gids, 2, 1, ks, 2, ke, &err), 0);
    sl_hashagg_free(src); /* dst holds its own copies of the strings */
    assert_int_equal(sl_hashagg_groups(dst), 1);
    const char *onames[] = {"k", "ws", "we", "mx", "mn"};
    struct sl_type ot[] = {t[0], t[1], t[2], t[3], t[3]};
    struct sl_schema *os = sl_schema_new(5, onames, ot);
    struct sl_batch_pool *opool = sl_batch_pool_new(NULL, os, 1);
    struct sl_batch *o = sl_batch_pool_get(opool);
    uint32_t cursor = 0;
    assert_int_equal(sl_hashagg_emit(dst, &cursor, o, &err), 1);
    assert_int_equal(sl_col_i64(&o->cols[1])[0], 0);
    assert_int_equal(sl_col_i64(&o->cols[2])[0], 20);
    check_str(&o->cols[3], 0, S(LONG40 "q")); /* 'x' > 'm' > 'b' */
    check_str(&o->cols[4], 0, "b", 1);
    sl_batch_pool_put(o);
    sl_batch_pool_free(opool);
    sl_schema_free(os);
    sl_hashagg_free(dst);
    sl_batch_pool_free(pool);
    sl_schema_free(sch);
}

int main(void)
{
    if (sl_simd_init() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_min_max),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_merge_groups),
    };
    return cmocka_run_group_tests_name("engine/hashagg_str", tests, NULL, NULL);
}
