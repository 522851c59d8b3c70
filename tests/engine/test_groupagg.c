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
#include <time.h>

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

/* ---- an updating input: random changelogs against a naive model ---------------------------- */
/*
 * The outer aggregation of a GROUP BY over a GROUP BY (and a global one) is fed random
 * changelogs of its input (+I, -U / +U, -D rows of (y, x), x a nullable BIGINT) on W = 1, 2
 * or 3 workers (each input batch to a random worker; messages delivered at once), and its
 * output changelog is applied to a table: every -U / -D must retract exactly the row that
 * stands for its group, and after every batch the table must equal the model's results
 * (COUNT(*), COUNT, SUM, AVG, MIN, MAX of the live rows, a group with no rows absent). Midway
 * the workers' states go through save / restore into new operators.
 */
#define RW_MAX 3
#define RK 4     /* keys y0 .. y3 */
#define RROWS 64 /* live rows at most */

static struct sl_op *rw_ops[RW_MAX];
static struct sl_worker_ctx rw_ctx[RW_MAX];

static int rw_send(struct sl_worker_ctx *ctx, const struct sl_op *op, int to, struct sl_msg msg,
                   struct sl_error *err)
{
    (void)op;
    return rw_ops[to]->ops->receive(rw_ops[to], &rw_ctx[to], ctx->worker, msg, err);
}

struct rtable {
    struct sl_op op;
    const struct sl_plan *agg;
    char key[RK + 1][160], row[RK + 1][160]; /* per group (RK: the global one) */
    bool has[RK + 1];
};

static void rw_fmt(const struct sl_batch *b, uint32_t r, uint32_t from, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (uint32_t c = from; c < b->ncols && n < cap; c++) {
        const struct sl_column *col = &b->cols[c];
        const char *sep = c > from ? ", " : "";
        if (col->valid && sl_col_is_null(col, r))
            n += (size_t)snprintf(out + n, cap - n, "%snull", sep);
        else if (col->type.id == SL_TYPE_VARCHAR) {
            sl_str s = ((const sl_str *)col->data)[r];
            n += (size_t)snprintf(out + n, cap - n, "%s%.*s", sep, (int)s.len, sl_str_data(&s));
        } else
            n += (size_t)snprintf(out + n, cap - n, "%s%lld", sep,
                                  (long long)((const int64_t *)col->data)[r]);
    }
}

static int rt_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                   struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct rtable *t = (struct rtable *)op;
    for (uint32_t i = 0; i < sl_batch_active(b); i++) {
        uint32_t r = b->sel ? b->sel[i] : i;
        int g = RK;
        if (t->agg->agg.nkeys) {
            sl_str s = sl_col_str(&b->cols[0])[r];
            assert_true(s.len == 2 && sl_str_data(&s)[0] == 'y');
            g = sl_str_data(&s)[1] - '0';
            assert_true(g >= 0 && g < RK);
        }
        char line[160];
        rw_fmt(b, r, 0, line, sizeof(line));
        uint8_t k = sl_batch_kind(b, r);
        if (k == SL_ROW_UPDATE_BEFORE || k == SL_ROW_DELETE) {
            if (!t->has[g] || strcmp(t->row[g], line) != 0)
                fprintf(stderr, "%s[%s] retracts %s\n", sl_row_kind_str(k), line,
                        t->has[g] ? t->row[g] : "nothing");
            assert_true(t->has[g]);
            assert_string_equal(t->row[g], line);
            t->has[g] = false;
        } else {
            if (t->has[g])
                fprintf(stderr, "%s[%s] over %s\n", sl_row_kind_str(k), line, t->row[g]);
            assert_false(t->has[g]);
            snprintf(t->row[g], sizeof(t->row[g]), "%s", line);
            t->has[g] = true;
        }
    }
    sl_batch_pool_put(b);
    return 0;
}

static const struct sl_op_ops rt_ops = {.name = "table",
                                        .push = rt_push,
                                        .watermark = col_watermark,
                                        .finish = col_finish,
                                        .free = col_free,
                                        .stateless = true};

struct rrow {
    int y;
    bool xnull;
    int64_t x;
};

/* The model's row of group y (RK: all rows), or false when it has no rows. */
static bool rw_model(const struct sl_plan *agg, const struct rrow *live, int nlive, int y,
                     char *out, size_t cap)
{
    int64_t cnt = 0, nn = 0, sum = 0, mn = 0, mx = 0;
    for (int i = 0; i < nlive; i++) {
        if (y != RK && live[i].y != y)
            continue;
        cnt++;
        if (live[i].xnull)
            continue;
        int64_t x = live[i].x;
        mn = nn == 0 || x < mn ? x : mn;
        mx = nn == 0 || x > mx ? x : mx;
        sum += x;
        nn++;
    }
    if (cnt == 0)
        return false;
    size_t n = 0;
    if (agg->agg.nkeys)
        n += (size_t)snprintf(out + n, cap - n, "y%d", y);
    for (uint32_t i = 0; i < agg->agg.naggs; i++) {
        const char *sep = n ? ", " : "";
        sl_agg_fn fn = agg->agg.aggs[i].fn;
        if (fn == SL_AGG_COUNT_STAR)
            n += (size_t)snprintf(out + n, cap - n, "%s%lld", sep, (long long)cnt);
        else if (fn == SL_AGG_COUNT)
            n += (size_t)snprintf(out + n, cap - n, "%s%lld", sep, (long long)nn);
        else if (nn == 0)
            n += (size_t)snprintf(out + n, cap - n, "%snull", sep);
        else
            n += (size_t)snprintf(out + n, cap - n, "%s%lld", sep,
                                  (long long)(fn == SL_AGG_SUM   ? sum
                                              : fn == SL_AGG_AVG ? sum / nn /* Java: truncated */
                                              : fn == SL_AGG_MIN ? mn
                                                                 : mx));
    }
    return true;
}

static void rw_check(const struct rtable *t, const struct rrow *live, int nlive)
{
    for (int y = 0; y <= RK; y++) {
        if ((y == RK) != (t->agg->agg.nkeys == 0))
            continue;
        char want[160];
        bool has = rw_model(t->agg, live, nlive, y, want, sizeof(want));
        if (has != t->has[y] || (has && strcmp(want, t->row[y]) != 0))
            fprintf(stderr, "group %d: got %s, want %s\n", y, t->has[y] ? t->row[y] : "none",
                    has ? want : "none");
        assert_int_equal(has, t->has[y]);
        if (has)
            assert_string_equal(want, t->row[y]);
    }
}

/* Pushes rows[0 .. n-1] with their kinds as one batch into worker w's operator. */
static void rw_push(int w, struct sl_batch_pool *pool, const struct rrow *rows,
                    const uint8_t *kinds, uint32_t n)
{
    struct sl_error err;
    struct sl_batch *b = sl_batch_pool_get(pool);
    assert_non_null(b);
    uint8_t *kind = sl_batch_kinds(b);
    for (uint32_t i = 0; i < n; i++) {
        char y[3] = {'y', (char)('0' + rows[i].y), 0};
        kind[i] = kinds[i];
        for (uint32_t c = 0; c < b->ncols; c++) {
            struct sl_column *col = &b->cols[c];
            if (col->type.id == SL_TYPE_VARCHAR) {
                sl_col_str(col)[i] = sl_batch_str(b, y, 2);
                continue;
            }
            assert_int_equal(col->type.id, SL_TYPE_BIGINT);
            sl_col_i64(col)[i] = rows[i].x;
            assert_true(col->valid || !rows[i].xnull);
            if (col->valid)
                sl_col_set_null(col, i, rows[i].xnull);
        }
    }
    b->rows = n;
    int rc = rw_ops[w]->ops->push(rw_ops[w], &rw_ctx[w], b, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
}

static void rw_run(const char *q, int nw, unsigned seed)
{
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_job *job = sl_job_from_sql("q.sql", q, strlen(q), NULL, 0, &err);
    if (!job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(job);
    const struct sl_plan *agg = job->inserts[0];
    while (agg && agg->kind != SL_PLAN_AGG)
        agg = agg->input;
    assert_non_null(agg); /* the outer aggregation: its input is updating */
    const struct sl_rel *in = &agg->input->out;
    assert_true(in->ncols <= 8);
    const char *names[8];
    struct sl_type types[8];
    for (uint32_t i = 0; i < in->ncols; i++) {
        names[i] = in->cols[i].name;
        types[i] = in->cols[i].type;
    }
    struct sl_schema *sch = sl_schema_new(in->ncols, names, types);
    struct sl_worker_stats stats[RW_MAX] = {{0}};
    struct rtable t = {.op = {&rt_ops, NULL, NULL, 0}, .agg = agg};
    for (int w = 0; w < nw; w++) {
        rw_ctx[w] = (struct sl_worker_ctx){.worker = w,
                                           .nworkers = nw,
                                           .heap = sl_heap_new(),
                                           .sql = job->file->src,
                                           .stats = &stats[w],
                                           .send = rw_send};
        int rc = sl_op_groupagg_new(agg, job, &rw_ctx[w], &rw_ops[w], &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
        rw_ops[w]->next = &t.op;
    }
    struct sl_batch_pool *pool = sl_batch_pool_new(rw_ctx[0].heap, sch, 2);
    struct rrow live[RROWS];
    int nlive = 0;
    unsigned r = seed;
#define RND(n) ((int)((r = r * 1103515245u + 12345u) >> 16) % (n))
    for (int step = 0; step < 400; step++) {
        struct rrow rows[2];
        uint8_t kinds[2];
        uint32_t n = 0;
        int what = RND(10);
        if (nlive == 0 || (what < 4 && nlive < RROWS)) { /* +I */
            rows[0] = (struct rrow){RND(RK), RND(5) == 0, RND(21) - 10};
            kinds[n++] = SL_ROW_INSERT;
            live[nlive++] = rows[0];
        } else {
            int i = RND(nlive);
            rows[n] = live[i];
            live[i] = live[--nlive];
            if (what < 7) { /* -D */
                kinds[n++] = SL_ROW_DELETE;
            } else { /* -U then +U, same key (Flink's updates keep their key) */
                kinds[n++] = SL_ROW_UPDATE_BEFORE;
                rows[n] = (struct rrow){rows[0].y, RND(5) == 0, RND(21) - 10};
                live[nlive++] = rows[n];
                kinds[n++] = SL_ROW_UPDATE_AFTER;
            }
        }
        /* a batch holds at most SL_BATCH_CAP rows (2 in the cap2 build): -U and +U may go
         * apart, to one worker */
        int w = RND(nw);
        if (n <= SL_BATCH_CAP) {
            rw_push(w, pool, rows, kinds, n);
        } else {
            for (uint32_t i = 0; i < n; i++)
                rw_push(w, pool, rows + i, kinds + i, 1);
        }
        rw_check(&t, live, nlive);
        if (step == 200) { /* save every worker, restore into new operators */
            struct sl_sbuf sb[RW_MAX];
            for (int v = 0; v < nw; v++) {
                sl_sbuf_init(&sb[v]);
                assert_int_equal(rw_ops[v]->ops->save(rw_ops[v], &rw_ctx[v], &sb[v], &err), 0);
                rw_ops[v]->ops->free(rw_ops[v]);
                assert_int_equal(sl_op_groupagg_new(agg, job, &rw_ctx[v], &rw_ops[v], &err), 0);
                rw_ops[v]->next = &t.op;
            }
            for (int v = 0; v < nw; v++) {
                struct sl_sread rd;
                sl_sread_init(&rd, sb[v].p, sb[v].len, "test state");
                int rc = rw_ops[v]->ops->restore(rw_ops[v], &rw_ctx[v], &rd, &err);
                if (rc)
                    fprintf(stderr, "%s\n", err.msg);
                assert_int_equal(rc, 0);
                assert_int_equal(sl_sread_left(&rd), 0);
                sl_sbuf_free(&sb[v]);
            }
        }
    }
#undef RND
    for (int w = 0; w < nw; w++)
        assert_int_equal(rw_ops[w]->ops->watermark(rw_ops[w], &rw_ctx[w], INT64_MAX, &err), 0);
    for (int w = 0; w < nw; w++) {
        assert_int_equal(rw_ops[w]->ops->finish(rw_ops[w], &rw_ctx[w], &err), 0);
        rw_ops[w]->ops->free(rw_ops[w]);
    }
    assert_int_equal(sl_batch_pool_outstanding(pool), 0);
    sl_batch_pool_free(pool);
    for (int w = 0; w < nw; w++)
        sl_heap_free(rw_ctx[w].heap);
    sl_schema_free(sch);
    sl_job_free(job);
}

static const char rw_keyed[] =
    "SET 'table.exec.mini-batch.enabled' = 'false';\n"
    "CREATE TABLE src (k BIGINT, y VARCHAR, x BIGINT) WITH ('connector' = 'kafka');\n"
    "CREATE TABLE o (y VARCHAR, c BIGINT, cx BIGINT, s BIGINT, a BIGINT, mn BIGINT, mx BIGINT)\n"
    "  WITH ('connector' = 'print');\n"
    "INSERT INTO o SELECT y, COUNT(*), COUNT(x), SUM(x), AVG(x), MIN(x), MAX(x)\n"
    "  FROM (SELECT k, MAX(y) AS y, SUM(x) AS x FROM src GROUP BY k) GROUP BY y;";

static const char rw_global[] =
    "SET 'table.exec.mini-batch.enabled' = 'false';\n"
    "CREATE TABLE src (k BIGINT, y VARCHAR, x BIGINT) WITH ('connector' = 'kafka');\n"
    "CREATE TABLE o (c BIGINT, s BIGINT, mn BIGINT, mx BIGINT, a BIGINT)\n"
    "  WITH ('connector' = 'print');\n"
    "INSERT INTO o SELECT COUNT(*), SUM(x), MIN(x), MAX(x), AVG(x)\n"
    "  FROM (SELECT k, SUM(x) AS x FROM src GROUP BY k);";

static void test_retract_random(void **state)
{
    (void)state;
    for (int nw = 1; nw <= RW_MAX; nw++)
        for (unsigned seed = 1; seed <= 3; seed++) {
            rw_run(rw_keyed, nw, seed * 7919u + (unsigned)nw);
            rw_run(rw_global, nw, seed * 104729u + (unsigned)nw);
        }
}

/* The same with a state TTL far longer than the test (nothing expires): groups whose results
 * did not change emit -U / +U of equal rows (mini-batch off), the applied changelog still
 * equals the model, and the snapshot halfway is format 4 (view mode with the groups' times). */
static void test_ttl_retract(void **state)
{
    (void)state;
    char q[2048];
    snprintf(q, sizeof(q), "SET 'table.exec.state.ttl' = '1 h';\n%s", rw_keyed);
    rw_run(q, 2, 17u);
    snprintf(q, sizeof(q), "SET 'table.exec.state.ttl' = '1 h';\n%s", rw_global);
    rw_run(q, 3, 31u);
}

/* What an updating input cannot have yet: COUNT(DISTINCT) refuses clearly. */
static void test_retract_distinct(void **state)
{
    (void)state;
    static const char q[] = "CREATE TABLE src (k BIGINT, x BIGINT) WITH ('connector' = 'kafka');\n"
                            "CREATE TABLE o (c BIGINT, d BIGINT) WITH ('connector' = 'print');\n"
                            "INSERT INTO o SELECT c, COUNT(DISTINCT k)\n"
                            "  FROM (SELECT k, COUNT(*) AS c FROM src GROUP BY k) GROUP BY c;";
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_job *job = sl_job_from_sql("q.sql", q, strlen(q), NULL, 0, &err);
    assert_non_null(job);
    const struct sl_plan *agg = job->inserts[0];
    while (agg && agg->kind != SL_PLAN_AGG)
        agg = agg->input;
    struct sl_worker_stats stats = {0};
    struct sl_worker_ctx ctx = {
        .worker = 0, .nworkers = 1, .heap = sl_heap_new(), .sql = job->file->src, .stats = &stats};
    struct sl_op *op = NULL;
    assert_int_equal(sl_op_groupagg_new(agg, job, &ctx, &op, &err), SL_ENOTSUP);
    assert_non_null(strstr(err.msg, "q.sql:3:15:"));
    assert_non_null(strstr(err.msg, "COUNT(DISTINCT ...) over an updating input is not supported"));
    sl_heap_free(ctx.heap);
    sl_job_free(job);
}

/* ---- state TTL ('table.exec.state.ttl') ---------------------------------------------------- */

/* An aggregation of `q` (the collector's columns) on one worker, freed with ttl_done. */
struct ttl_env {
    struct sl_job *job;
    const struct sl_plan *agg;
    struct sl_schema *sch;
    struct sl_batch_pool *pool;
    struct sl_worker_stats stats;
    struct sl_worker_ctx ctx;
    struct collector col;
};

static void ttl_setup(struct ttl_env *e, const char *ttl, const char *aggs)
{
    char q[1024];
    snprintf(q, sizeof(q),
             "%s%s%s"
             "SET 'table.exec.mini-batch.enabled' = 'false';\n"
             "CREATE TABLE src (k BIGINT, s VARCHAR, v BIGINT) WITH ('connector' = 'kafka');\n"
             "CREATE TABLE out1 (k BIGINT, s VARCHAR, mx BIGINT, cd BIGINT, c BIGINT)\n"
             "  WITH ('connector' = 'print');\n"
             "INSERT INTO out1 SELECT k, s, %s FROM src GROUP BY k, s;",
             ttl ? "SET 'table.exec.state.ttl' = '" : "", ttl ? ttl : "", ttl ? "';\n" : "", aggs);
    struct sl_error err;
    sl_error_clear(&err);
    memset(e, 0, sizeof(*e));
    e->job = sl_job_from_sql("q.sql", q, strlen(q), NULL, 0, &err);
    if (!e->job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(e->job);
    e->agg = e->job->inserts[0];
    while (e->agg && e->agg->kind != SL_PLAN_AGG)
        e->agg = e->agg->input;
    assert_non_null(e->agg);
    const struct sl_rel *in = &e->agg->input->out;
    assert_true(in->ncols <= 8);
    const char *names[8];
    struct sl_type types[8];
    for (uint32_t i = 0; i < in->ncols; i++) {
        names[i] = in->cols[i].name;
        types[i] = in->cols[i].type;
    }
    e->sch = sl_schema_new(in->ncols, names, types);
    assert_non_null(e->sch);
    e->ctx = (struct sl_worker_ctx){.worker = 0,
                                    .nworkers = 1,
                                    .heap = sl_heap_new(),
                                    .sql = e->job->file->src,
                                    .stats = &e->stats};
    e->pool = sl_batch_pool_new(e->ctx.heap, e->sch, 2);
    e->col.op = (struct sl_op){&col_ops, NULL, NULL, 0};
}

static struct sl_op *ttl_op(struct ttl_env *e)
{
    struct sl_error err;
    struct sl_op *op;
    int rc = sl_op_groupagg_new(e->agg, e->job, &e->ctx, &op, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    op->next = &e->col.op;
    return op;
}

/* The operator's checkpoint state into *sb (initialized here); its length: the operator's
 * state bytes as the metrics report them. */
static size_t ttl_save(struct ttl_env *e, struct sl_op *op, struct sl_sbuf *sb)
{
    struct sl_error err;
    sl_sbuf_init(sb);
    assert_int_equal(op->ops->save(op, &e->ctx, sb, &err), 0);
    return sb->len;
}

static struct sl_op *ttl_restore(struct ttl_env *e, const struct sl_sbuf *sb)
{
    struct sl_error err;
    struct sl_op *op = ttl_op(e);
    struct sl_sread rd;
    sl_sread_init(&rd, sb->p, sb->len, "test state");
    int rc = op->ops->restore(op, &e->ctx, &rd, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(sl_sread_left(&rd), 0);
    return op;
}

static void ttl_done(struct ttl_env *e)
{
    assert_int_equal(sl_batch_pool_outstanding(e->pool), 0);
    sl_batch_pool_free(e->pool);
    sl_schema_free(e->sch);
    sl_heap_free(e->ctx.heap);
    sl_job_free(e->job);
}

static void ttl_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char ttl_distinct[] = "MAX(v), COUNT(DISTINCT v), COUNT(*) FILTER (WHERE v > 100)";
static const char ttl_plain[] = "MAX(v), COUNT(v), COUNT(*) FILTER (WHERE v > 100)";

/* A TTL far longer than the test: nothing expires. With a TTL Flink emits a group whose
 * results did not change (-U / +U of equal rows). The snapshot is format 3 (with the groups'
 * times), which an operator without a TTL reads too; a format-1 snapshot restores into an
 * operator with a TTL (its groups' TTL starts at the restore). */
static void test_ttl_long(void **state)
{
    (void)state;
    struct ttl_env e, f;
    ttl_setup(&e, "1 h", ttl_distinct);
    ttl_setup(&f, NULL, ttl_distinct);
    struct sl_op *op = ttl_op(&e);
    struct row r1[] = {{1, "a", false, 10}};
    push_rows(op, &e.ctx, e.pool, r1, 1);
    const char *w1[] = {"+I[1, a, 10, 1, 0]"};
    expect(&e.col, w1, 1);
    push_rows(op, &e.ctx, e.pool, r1, 1); /* the same results: emitted again */
    const char *w2[] = {"-U[1, a, 10, 1, 0]", "+U[1, a, 10, 1, 0]"};
    expect(&e.col, w2, 2);
    struct sl_sbuf sb, sb1;
    ttl_save(&e, op, &sb);
    assert_int_equal(le32(sb.p), 0x33414753u); /* "SGA3" */
    op->ops->free(op);
    op = ttl_restore(&e, &sb);
    expect(&e.col, NULL, 0);
    struct row r3[] = {{1, "a", false, 3}};
    push_rows(op, &e.ctx, e.pool, r3, 1);
    const char *w3[] = {"-U[1, a, 10, 1, 0]", "+U[1, a, 10, 2, 0]"};
    expect(&e.col, w3, 2);
    op->ops->free(op);

    /* without a TTL: reads format 3, goes on as before, writes format 1 */
    op = ttl_restore(&f, &sb);
    push_rows(op, &f.ctx, f.pool, r3, 1);
    const char *w4[] = {"-U[1, a, 10, 1, 0]", "+U[1, a, 10, 2, 0]"};
    expect(&f.col, w4, 2);
    push_rows(op, &f.ctx, f.pool, r3, 1); /* no TTL: unchanged results are not emitted */
    expect(&f.col, NULL, 0);
    ttl_save(&f, op, &sb1);
    assert_int_equal(le32(sb1.p), 0x31414753u); /* "SGA1" */
    op->ops->free(op);

    /* a TTL operator reads format 1 */
    op = ttl_restore(&e, &sb1);
    struct row r5[] = {{1, "a", false, 200}};
    push_rows(op, &e.ctx, e.pool, r5, 1);
    const char *w5[] = {"-U[1, a, 10, 2, 0]", "+U[1, a, 200, 3, 1]"};
    expect(&e.col, w5, 2);
    op->ops->free(op);
    sl_sbuf_free(&sb);
    sl_sbuf_free(&sb1);
    ttl_done(&e);
    ttl_done(&f);
}

/* A TTL of 200 ms, waited past: a group written again starts over (+I of the new rows only,
 * nothing retracted), an expired group that is not written again is freed (the state bytes
 * go down), and a snapshot keeps the groups' times: restored after the TTL, its groups have
 * expired. `aggs` with DISTINCT: an expired group is dropped by a compaction at access; else
 * it is reset in place and the cleanup frees the other one. */
static void ttl_short(const char *aggs)
{
    struct ttl_env e;
    ttl_setup(&e, "200 ms", aggs);
    struct sl_op *op = ttl_op(&e);
    struct row r1[] = {{1, "a", false, 10}, {2, "b", false, 5}};
    push_rows(op, &e.ctx, e.pool, r1, 2);
    const char *w1[] = {"+I[1, a, 10, 1, 0]", "+I[2, b, 5, 1, 0]"};
    expect(&e.col, w1, 2);
    struct sl_sbuf before, after;
    size_t n1 = ttl_save(&e, op, &before);
    ttl_sleep_ms(450);
    struct row r2[] = {{1, "a", false, 7}};
    push_rows(op, &e.ctx, e.pool, r2, 1);
    const char *w2[] = {"+I[1, a, 7, 1, 0]"}; /* not -U[1, a, 10, 1, 0] +U[1, a, 10, 2, 0] */
    expect(&e.col, w2, 1);
    size_t n2 = ttl_save(&e, op, &after);
    assert_true(n2 < n1); /* group 2 is gone */
    op->ops->free(op);
    sl_sbuf_free(&after);

    /* the snapshot taken before the wait, restored now: both groups have expired */
    op = ttl_restore(&e, &before);
    expect(&e.col, NULL, 0);
    struct row r3[] = {{2, "b", false, 6}, {1, "a", false, 8}};
    push_rows(op, &e.ctx, e.pool, r3, 2);
    const char *w3[] = {"+I[2, b, 6, 1, 0]", "+I[1, a, 8, 1, 0]"};
    expect(&e.col, w3, 2);
    op->ops->free(op);
    sl_sbuf_free(&before);
    ttl_done(&e);
}

static void test_ttl_expire(void **state)
{
    (void)state;
    ttl_short(ttl_plain);
    ttl_short(ttl_distinct);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changelog),      cmocka_unit_test(test_max_varchar),
        cmocka_unit_test(test_retract_random), cmocka_unit_test(test_retract_distinct),
        cmocka_unit_test(test_ttl_long),       cmocka_unit_test(test_ttl_expire),
        cmocka_unit_test(test_ttl_retract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
