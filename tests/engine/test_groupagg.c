/*
 * tests/engine/test_groupagg.c - the unbounded GROUP BY operator (engine/ops/op_groupagg.c),
 * driven with the plan the binder builds from SQL, on one worker (its messages go straight to
 * its own receive), one input batch per mini-batch ('table.exec.mini-batch.enabled' =
 * 'false'), so that each push's changes can be checked.
 *
 * The expected changelog is Flink's MiniBatchGroupAggFunction's without a state TTL: +I for a
 * new group, -U old / +U new for a group whose results changed, nothing for a group whose
 * results stayed the same (MAX of a smaller value, a DISTINCT value seen before, a NULL).
 * Then the state goes through save / restore into a new operator, which must go on from the
 * same results: its first update retracts the results emitted before the save.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "engine/core/state.h"
#include "engine/ops/op_groupagg.h"
#include "engine/ops/operator.h"
#include "engine/plan/catalog.h"
#include "engine/sql/binder.h"

static const char sql[] =
    "SET 'table.exec.mini-batch.enabled' = 'false';\n"
    "CREATE TABLE src (k BIGINT, s VARCHAR, v BIGINT) WITH ('connector' = 'kafka');\n"
    "CREATE TABLE out1 (k BIGINT, s VARCHAR, mx BIGINT, cd BIGINT, c BIGINT)\n"
    "  WITH ('connector' = 'print');\n"
    "INSERT INTO out1 SELECT k, s, MAX(v), COUNT(DISTINCT v), COUNT(*) FILTER (WHERE v > 100)\n"
    "  FROM src GROUP BY k, s;";

/* ---- a collector: each row as "+I[k, s, mx, cd, c]" ---------------------------------------- */

struct collector {
    struct sl_op op;
    char lines[64][96];
    int n, finished;
};

static int col_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                    struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct collector *c = (struct collector *)op;
    for (uint32_t i = 0; i < sl_batch_active(b); i++) {
        uint32_t r = b->sel ? b->sel[i] : i;
        char v[3][24];
        for (int a = 0; a < 3; a++) {
            struct sl_column *col = &b->cols[2 + a];
            if (col->valid && sl_col_is_null(col, r))
                snprintf(v[a], sizeof(v[a]), "null");
            else
                snprintf(v[a], sizeof(v[a]), "%lld", (long long)sl_col_i64(col)[r]);
        }
        sl_str s = sl_col_str(&b->cols[1])[r];
        assert_true(c->n < 64);
        snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s[%lld, %.*s, %s, %s, %s]",
                 sl_row_kind_str(sl_batch_kind(b, r)), (long long)sl_col_i64(&b->cols[0])[r],
                 (int)s.len, sl_str_data(&s), v[0], v[1], v[2]);
    }
    sl_batch_pool_put(b);
    return 0;
}

static int col_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                         struct sl_error *err)
{
    (void)op;
    (void)ctx;
    (void)wm;
    (void)err;
    return 0;
}

static int col_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    (void)ctx;
    (void)err;
    ((struct collector *)op)->finished++;
    return 0;
}

static void col_free(struct sl_op *op)
{
    (void)op;
}

static const struct sl_op_ops col_ops = {.name = "collect",
                                         .push = col_push,
                                         .watermark = col_watermark,
                                         .finish = col_finish,
                                         .free = col_free,
                                         .stateless = true};

/* ---- input --------------------------------------------------------------------------------- */

struct row {
    int64_t k;
    const char *s;
    bool vnull;
    int64_t v;
};

/* One batch of the aggregation's input (the pre-projection's columns: the keys k, s, then
 * the aggregates' inputs - BIGINT v - and the FILTER's BOOLEAN v > 100) with rows[0 .. n-1],
 * pushed as one mini-batch. */
static void push_rows(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch_pool *pool,
                      const struct row *rows, uint32_t n)
{
    struct sl_error err;
    for (uint32_t base = 0; base < n; base += SL_BATCH_CAP) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        assert_non_null(b);
        uint32_t m = n - base < SL_BATCH_CAP ? n - base : SL_BATCH_CAP;
        for (uint32_t i = 0; i < m; i++) {
            const struct row *r = &rows[base + i];
            sl_col_i64(&b->cols[0])[i] = r->k;
            sl_col_str(&b->cols[1])[i] = sl_batch_str(b, r->s, (uint32_t)strlen(r->s));
            for (uint32_t c = 2; c < b->ncols; c++) {
                struct sl_column *col = &b->cols[c];
                if (col->type.id == SL_TYPE_VARCHAR)
                    sl_col_str(col)[i] = sl_batch_str(b, r->s, (uint32_t)strlen(r->s));
                else if (col->type.id == SL_TYPE_BOOLEAN)
                    sl_col_bool(col)[i] = !r->vnull && r->v > 100;
                else
                    sl_col_i64(col)[i] = r->v;
                if (col->valid)
                    sl_col_set_null(col, i, r->vnull);
            }
        }
        b->rows = m;
        int rc = op->ops->push(op, ctx, b, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
    }
}

static void expect(struct collector *c, const char *const *want, int n)
{
    if (c->n != n)
        for (int i = 0; i < c->n; i++)
            fprintf(stderr, "got %s\n", c->lines[i]);
    assert_int_equal(c->n, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(c->lines[i], want[i]);
    c->n = 0;
}

static void test_changelog(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_job *job = sl_job_from_sql("q.sql", sql, strlen(sql), NULL, 0, &err);
    if (!job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(job);
    const struct sl_plan *agg = job->inserts[0];
    while (agg && agg->kind != SL_PLAN_AGG)
        agg = agg->input;
    assert_non_null(agg);
    assert_true(agg->agg.window_start < 0);
    const struct sl_rel *in = &agg->input->out;
    assert_true(in->ncols >= 4 && in->ncols <= 8);
    const char *names[8];
    struct sl_type types[8];
    for (uint32_t i = 0; i < in->ncols; i++) {
        names[i] = in->cols[i].name;
        types[i] = in->cols[i].type;
        assert_true(i < 2 || types[i].id == SL_TYPE_BOOLEAN || types[i].id == SL_TYPE_BIGINT);
    }
    assert_int_equal(types[0].id, SL_TYPE_BIGINT);
    assert_int_equal(types[1].id, SL_TYPE_VARCHAR);
    struct sl_schema *sch = sl_schema_new(in->ncols, names, types);
    assert_non_null(sch);
    struct sl_worker_stats stats = {0};
    struct sl_worker_ctx ctx = {
        .worker = 0, .nworkers = 1, .heap = sl_heap_new(), .sql = job->file->src, .stats = &stats};
    struct sl_batch_pool *pool = sl_batch_pool_new(ctx.heap, sch, 2);
    struct collector col = {.op = {&col_ops, NULL, NULL, 0}};
    struct sl_op *op;
    assert_int_equal(sl_op_groupagg_new(agg, job, &ctx, &op, &err), 0);
    op->next = &col.op;

    struct row r1[] = {{1, "a", false, 10}, {2, "a-long-key-that-lives-in-the-heap", false, 5}};
    push_rows(op, &ctx, pool, r1, 2);
    const char *w1[] = {"+I[1, a, 10, 1, 0]", "+I[2, a-long-key-that-lives-in-the-heap, 5, 1, 0]"};
    expect(&col, w1, 2);
    /* a smaller value: MAX stays, COUNT(DISTINCT) moves */
    struct row r2[] = {{1, "a", false, 3}};
    push_rows(op, &ctx, pool, r2, 1);
    const char *w2[] = {"-U[1, a, 10, 1, 0]", "+U[1, a, 10, 2, 0]"};
    expect(&col, w2, 2);
    /* nothing changes: a value seen before, a NULL (ignored by MAX and COUNT(DISTINCT)) */
    struct row r3[] = {{1, "a", false, 10}, {2, "a-long-key-that-lives-in-the-heap", true, 0}};
    push_rows(op, &ctx, pool, r3, 2);
    expect(&col, NULL, 0);
    /* a new group and an update in one mini-batch */
    struct row r4[] = {{3, "b", true, 0}, {2, "a-long-key-that-lives-in-the-heap", false, 200}};
    push_rows(op, &ctx, pool, r4, 2);
    const char *w4[] = {"+I[3, b, null, 0, 0]", "-U[2, a-long-key-that-lives-in-the-heap, 5, 1, 0]",
                        "+U[2, a-long-key-that-lives-in-the-heap, 200, 2, 1]"};
    /* the order of the groups within a mini-batch is the partial's: the new one came first */
    expect(&col, w4, 3);

    /* save, restore into a new operator: it goes on from the same results */
    struct sl_sbuf sb;
    sl_sbuf_init(&sb);
    assert_int_equal(op->ops->save(op, &ctx, &sb, &err), 0);
    op->ops->free(op);
    assert_int_equal(sl_op_groupagg_new(agg, job, &ctx, &op, &err), 0);
    op->next = &col.op;
    struct sl_sread rd;
    sl_sread_init(&rd, sb.p, sb.len, "test state");
    int rc = op->ops->restore(op, &ctx, &rd, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(sl_sread_left(&rd), 0);
    expect(&col, NULL, 0); /* restore emits nothing */
    struct row r5[] = {{1, "a", false, 3}, {1, "a", false, 111}};
    push_rows(op, &ctx, pool, r5, 2);
    const char *w5[] = {"-U[1, a, 10, 2, 0]", "+U[1, a, 111, 3, 1]"};
    expect(&col, w5, 2);
    /* a state that is not this operator's */
    struct sl_op *op2;
    assert_int_equal(sl_op_groupagg_new(agg, job, &ctx, &op2, &err), 0);
    uint8_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    sl_sread_init(&rd, junk, sizeof(junk), "junk");
    assert_int_equal(op2->ops->restore(op2, &ctx, &rd, &err), SL_ECORRUPT);
    op2->ops->free(op2);

    /* the end of the input: the watermark, then finish, reach the collector */
    assert_int_equal(op->ops->watermark(op, &ctx, INT64_MAX, &err), 0);
    assert_int_equal(op->ops->finish(op, &ctx, &err), 0);
    assert_int_equal(col.finished, 1);
    assert_int_equal(sl_batch_pool_outstanding(pool), 0);
    sl_sbuf_free(&sb);
    op->ops->free(op);
    sl_batch_pool_free(pool);
    sl_schema_free(sch);
    sl_heap_free(ctx.heap);
    sl_job_free(job);
}

/* MIN / MAX of a VARCHAR (Nexmark q16's max(DATE_FORMAT(...))): a group's results compare
 * by the strings' contents (a tie or a string between MIN and MAX emits nothing), the -U row
 * carries the string emitted before, also after a save / restore. Rows "+I[k, max, min]". */
static int str_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                    struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct collector *c = (struct collector *)op;
    for (uint32_t i = 0; i < sl_batch_active(b); i++) {
        uint32_t r = b->sel ? b->sel[i] : i;
        sl_str mx = sl_col_str(&b->cols[1])[r], mn = sl_col_str(&b->cols[2])[r];
        assert_true(c->n < 64);
        snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s[%lld, %.*s, %.*s]",
                 sl_row_kind_str(sl_batch_kind(b, r)), (long long)sl_col_i64(&b->cols[0])[r],
                 (int)mx.len, sl_str_data(&mx), (int)mn.len, sl_str_data(&mn));
    }
    sl_batch_pool_put(b);
    return 0;
}

static const struct sl_op_ops str_ops = {.name = "collect",
                                         .push = str_push,
                                         .watermark = col_watermark,
                                         .finish = col_finish,
                                         .free = col_free,
                                         .stateless = true};

#define LONGZ "z-a-long-maximum-in-the-heap"

static void test_max_varchar(void **state)
{
    (void)state;
    static const char q[] =
        "SET 'table.exec.mini-batch.enabled' = 'false';\n"
        "CREATE TABLE src (k BIGINT, s VARCHAR) WITH ('connector' = 'kafka');\n"
        "CREATE TABLE o (k BIGINT, mx VARCHAR, mn VARCHAR) WITH ('connector' = 'print');\n"
        "INSERT INTO o SELECT k, MAX(s), MIN(s) FROM src GROUP BY k;";
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_job *job = sl_job_from_sql("q.sql", q, strlen(q), NULL, 0, &err);
    if (!job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(job);
    const struct sl_plan *agg = job->inserts[0];
    while (agg && agg->kind != SL_PLAN_AGG)
        agg = agg->input;
    assert_non_null(agg);
    /* the pre-projection: k, then s once per aggregate */
    const struct sl_rel *in = &agg->input->out;
    assert_true(in->ncols >= 2 && in->ncols <= 3);
    const char *names[3];
    struct sl_type types[3];
    for (uint32_t i = 0; i < in->ncols; i++) {
        names[i] = in->cols[i].name;
        types[i] = in->cols[i].type;
        assert_int_equal(types[i].id, i ? SL_TYPE_VARCHAR : SL_TYPE_BIGINT);
    }
    struct sl_schema *sch = sl_schema_new(in->ncols, names, types);
    struct sl_worker_stats stats = {0};
    struct sl_worker_ctx ctx = {
        .worker = 0, .nworkers = 1, .heap = sl_heap_new(), .sql = job->file->src, .stats = &stats};
    struct sl_batch_pool *pool = sl_batch_pool_new(ctx.heap, sch, 2);
    struct collector col = {.op = {&str_ops, NULL, NULL, 0}};
    struct sl_op *op = NULL;
    assert_int_equal(sl_op_groupagg_new(agg, job, &ctx, &op, &err), 0);
    op->next = &col.op;

    struct row r1[] = {{1, "b", false, 0}, {2, "x", false, 0}};
    push_rows(op, &ctx, pool, r1, 2);
    const char *w1[] = {"+I[1, b, b]", "+I[2, x, x]"};
    expect(&col, w1, 2);
    struct row r2[] = {{1, "a", false, 0}};
    push_rows(op, &ctx, pool, r2, 1);
    const char *w2[] = {"-U[1, b, b]", "+U[1, b, a]"};
    expect(&col, w2, 2);
    /* between MIN and MAX, and a tie: nothing */
    struct row r3[] = {{1, "ab", false, 0}, {2, "x", false, 0}};
    push_rows(op, &ctx, pool, r3, 2);
    expect(&col, NULL, 0);
    struct row r4[] = {{1, LONGZ, false, 0}};
    push_rows(op, &ctx, pool, r4, 1);
    const char *w4[] = {"-U[1, b, a]", "+U[1, " LONGZ ", a]"};
    expect(&col, w4, 2);

    struct sl_sbuf sb;
    sl_sbuf_init(&sb);
    assert_int_equal(op->ops->save(op, &ctx, &sb, &err), 0);
    op->ops->free(op);
    assert_int_equal(sl_op_groupagg_new(agg, job, &ctx, &op, &err), 0);
    op->next = &col.op;
    struct sl_sread rd;
    sl_sread_init(&rd, sb.p, sb.len, "test state");
    int rc = op->ops->restore(op, &ctx, &rd, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    expect(&col, NULL, 0);
    struct row r5[] = {{1, "c", false, 0}, {2, "y", false, 0}};
    push_rows(op, &ctx, pool, r5, 2);
    const char *w5[] = {"-U[2, x, x]", "+U[2, y, x]"};
    expect(&col, w5, 2);
    struct row r6[] = {{1, "", false, 0}};
    push_rows(op, &ctx, pool, r6, 1);
    const char *w6[] = {"-U[1, " LONGZ ", a]", "+U[1, " LONGZ ", ]"};
    expect(&col, w6, 2);
    assert_int_equal(op->ops->finish(op, &ctx, &err), 0);
    sl_sbuf_free(&sb);
    op->ops->free(op);
    sl_batch_pool_free(pool);
    sl_schema_free(sch);
    sl_heap_free(ctx.heap);
    sl_job_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changelog),
        cmocka_unit_test(test_max_varchar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
