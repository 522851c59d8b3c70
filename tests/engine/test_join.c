/*
 * tests/engine/test_join.c - the regular join of two streams (engine/ops/op_join.c) against
 * a nested-loop model: random rows (keys with NULLs, short and long strings) pushed into 1, 2
 * and 3 workers' operators on either side, their messages delivered in order but at random
 * moments, a save / restore of every worker in the middle (with rows a checkpoint's
 * alignment held back, which the state carries); the joined rows, as a multiset,
 * must be exactly those of the model (every pair of rows with equal, non-NULL keys, once),
 * and every worker's output must end once, after every worker's input ended.
 *
 * The plan is the binder's, from a comma join with two key columns of different types
 * (BIGINT and VARCHAR) and a condition that is no key (a filter above the join).
 *
 * The outer kinds (LEFT, RIGHT, FULL JOIN ... ON the same two keys) the same way, their output
 * a changelog applied as it comes (+I adds a row, -D must remove one there is): its final
 * state must be the model's pairs plus, per row of a preserved side without a match (a NULL
 * key included), that row null-padded.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/batch.h"
#include "engine/core/state.h"
#include "engine/ops/join_store.h"
#include "engine/ops/op_join.h"
#include "engine/ops/operator.h"
#include "engine/plan/catalog.h"
#include "engine/plan/changelog.h"
#include "engine/sql/binder.h"

static const char ddl[] =
    "CREATE TABLE l (k BIGINT, s VARCHAR, v INT) WITH ('connector' = 'kafka');\n"
    "CREATE TABLE r (k BIGINT, t VARCHAR, d DOUBLE) WITH ('connector' = 'kafka');\n"
    "CREATE TABLE o (lk BIGINT, s VARCHAR, v INT, rk BIGINT, t VARCHAR, d DOUBLE)\n"
    "  WITH ('connector' = 'print');\n";

static const char sql[] =
    "CREATE TABLE l (k BIGINT, s VARCHAR, v INT) WITH ('connector' = 'kafka');\n"
    "CREATE TABLE r (k BIGINT, t VARCHAR, d DOUBLE) WITH ('connector' = 'kafka');\n"
    "CREATE TABLE o (lk BIGINT, s VARCHAR, v INT, rk BIGINT, t VARCHAR, d DOUBLE)\n"
    "  WITH ('connector' = 'print');\n"
    "INSERT INTO o SELECT l.k, s, v, r.k, t, d FROM l, r\n"
    "  WHERE l.k = r.k AND v > 3 AND s = t AND v < d + 100;";

#define MAXW 3
#define MAXROWS 700

/* ---- rows and the model ---------------------------------------------------------------- */

struct trow {
    bool pad;  /* an outer join's padding: every column NULL */
    bool gone; /* not input (a batch's selection left it out) */
    bool knull, snull, vnull;
    int64_t k;
    const char *s;
    int64_t v; /* v (INT) on the left, d (DOUBLE, integral) on the right */
};

static const char *const strs[] = {"a", "b", "a string longer than twelve bytes",
                                   "another string that lives in the heap"};

static struct trow rows[2][MAXROWS];
static uint32_t nrows[2];

static void fmt_row(char *buf, size_t len, const struct trow *l, const struct trow *r)
{
    char lk[24], lv[24], rk[24], rd[24];
    snprintf(lk, sizeof(lk), "%lld", (long long)l->k);
    snprintf(lv, sizeof(lv), "%lld", (long long)l->v);
    snprintf(rk, sizeof(rk), "%lld", (long long)r->k);
    snprintf(rd, sizeof(rd), "%.1f", (double)r->v);
    snprintf(buf, len, "%s|%s|%s|%s|%s|%s", l->pad || l->knull ? "null" : lk,
             l->pad || l->snull ? "null" : l->s, l->pad || l->vnull ? "null" : lv,
             r->pad || r->knull ? "null" : rk, r->pad || r->snull ? "null" : r->s,
             r->pad || r->vnull ? "null" : rd);
}

/* ---- a collector of the output, as the model's strings ---------------------------------- */

struct collector {
    struct sl_op op;
    char (*lines)[160];
    uint32_t n, cap, deletes;
    int finished[MAXW];
};

static int col_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                    struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct collector *c = (struct collector *)op;
    assert_int_equal(b->ncols, 6);
    for (uint32_t i = 0; i < sl_batch_active(b); i++) {
        uint32_t r = b->sel ? b->sel[i] : i;
        struct trow L = {0}, R = {0};
        L.knull = sl_col_is_null(&b->cols[0], r);
        L.k = sl_col_i64(&b->cols[0])[r];
        L.snull = sl_col_is_null(&b->cols[1], r);
        sl_str s = sl_col_str(&b->cols[1])[r];
        char sb[64] = "", tb[64] = "";
        snprintf(sb, sizeof(sb), "%.*s", (int)s.len, sl_str_data(&s));
        L.s = sb;
        L.vnull = sl_col_is_null(&b->cols[2], r);
        L.v = sl_col_i32(&b->cols[2])[r];
        R.knull = sl_col_is_null(&b->cols[3], r);
        R.k = sl_col_i64(&b->cols[3])[r];
        R.snull = sl_col_is_null(&b->cols[4], r);
        sl_str t = sl_col_str(&b->cols[4])[r];
        snprintf(tb, sizeof(tb), "%.*s", (int)t.len, sl_str_data(&t));
        R.s = tb;
        R.vnull = sl_col_is_null(&b->cols[5], r);
        R.v = (int64_t)sl_col_f64(&b->cols[5])[r];
        assert_true(c->n < c->cap);
        fmt_row(c->lines[c->n], sizeof(c->lines[0]), &L, &R);
        uint8_t kind = sl_batch_kind(b, r);
        if (kind == SL_ROW_INSERT) {
            c->n++;
            continue;
        }
        /* a retraction: of a null-padded row the output holds (outer joins only) */
        assert_int_equal(kind, SL_ROW_DELETE);
        assert_true(L.knull || R.knull);
        c->deletes++;
        uint32_t k = 0;
        while (k < c->n && strcmp(c->lines[k], c->lines[c->n]) != 0)
            k++;
        if (k == c->n)
            fprintf(stderr, "-D of a row not there: %s\n", c->lines[c->n]);
        assert_true(k < c->n);
        memcpy(c->lines[k], c->lines[--c->n], sizeof(c->lines[0]));
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
    (void)err;
    ((struct collector *)op)->finished[ctx->worker]++;
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

/* ---- the workers and their messages ---------------------------------------------------- */

struct qmsg {
    int from, to;
    struct sl_msg m;
};

static struct qmsg queue[1 << 16];
static uint32_t qhead, qlen;
static struct sl_op *ops[MAXW];
static struct sl_worker_ctx ctxs[MAXW];

static int test_send(struct sl_worker_ctx *ctx, const struct sl_op *op, int to, struct sl_msg msg,
                     struct sl_error *err)
{
    (void)op;
    (void)err;
    assert_true(qlen < (1u << 16));
    queue[(qhead + qlen++) % (1u << 16)] = (struct qmsg){ctx->worker, to, msg};
    return 0;
}

/* Delivers up to n queued messages, in the order they were sent. */
static void deliver(uint32_t n)
{
    struct sl_error err;
    while (n-- && qlen) {
        struct qmsg q = queue[qhead];
        qhead = (qhead + 1) % (1u << 16);
        qlen--;
        int rc = ops[q.to]->ops->receive(ops[q.to], &ctxs[q.to], q.from, q.m, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
    }
}

/* Pushes rows [from, to) of side sd into worker w as one batch per SL_BATCH_CAP rows. */
static void push(struct sl_batch_pool *pool, int w, int sd, uint32_t from, uint32_t to)
{
    struct sl_error err;
    struct sl_op *target = sd ? sl_op_join_right(ops[w]) : ops[w];
    while (from < to) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        assert_non_null(b);
        uint32_t m = to - from < SL_BATCH_CAP ? to - from : SL_BATCH_CAP;
        for (uint32_t i = 0; i < m; i++) {
            const struct trow *r = &rows[sd][from + i];
            sl_col_i64(&b->cols[0])[i] = r->k;
            sl_col_set_null(&b->cols[0], i, r->knull);
            sl_col_str(&b->cols[1])[i] = sl_batch_str(b, r->s, (uint32_t)strlen(r->s));
            sl_col_set_null(&b->cols[1], i, r->snull);
            if (sd)
                sl_col_f64(&b->cols[2])[i] = (double)r->v;
            else
                sl_col_i32(&b->cols[2])[i] = (int32_t)r->v;
            sl_col_set_null(&b->cols[2], i, r->vnull);
        }
        b->rows = m;
        if (m > 1 && rand() % 3 == 0) { /* a selection: every other row */
            sl_sel_t *sel = sl_batch_sel_next(b);
            uint32_t ns = 0;
            for (uint32_t i = 0; i < m; i += 2)
                sel[ns++] = i;
            sl_batch_sel_commit(b, sel, ns);
            for (uint32_t i = 1; i < m; i += 2) /* the others are not input */
                rows[sd][from + i].knull = rows[sd][from + i].gone = true;
        }
        int rc = target->ops->push(target, &ctxs[w], b, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
        from += m;
    }
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* `type`: NULL for the comma join of `sql`, else "LEFT", "RIGHT" or "FULL" */
/* resid: ON also holds `v < d`, an outer join's residual condition (it decides matching) */
static bool resid;

/* Whether rows L (left) and R (right) match. */
static bool matches(const struct trow *L, const struct trow *R)
{
    if (L->knull || R->knull || L->snull || R->snull || L->k != R->k || strcmp(L->s, R->s) != 0)
        return false;
    return !resid || (!L->vnull && !R->vnull && L->v < R->v);
}

static void run(int nw, unsigned seed, const char *type)
{
    srand(seed);
    struct sl_error err;
    sl_error_clear(&err);
    char text[2048];
    if (type)
        snprintf(text, sizeof(text),
                 "%sINSERT INTO o SELECT l.k, s, v, r.k, t, d FROM l %s JOIN r\n"
                 "  ON l.k = r.k AND s = t%s;",
                 ddl, type, resid ? " AND v < d" : "");
    else
        snprintf(text, sizeof(text), "%s", sql);
    bool lout = type && (type[0] == 'L' || type[0] == 'F'),
         rout = type && (type[0] == 'R' || type[0] == 'F');
    struct sl_job *job = sl_job_from_sql("q.sql", text, strlen(text), NULL, 0, &err);
    if (!job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(job);
    const struct sl_plan *jn = job->inserts[0];
    while (jn && jn->kind != SL_PLAN_JOIN)
        jn = jn->input;
    assert_non_null(jn);
    assert_int_equal(jn->join.nkeys, 2);
    assert_int_equal(jn->join.type, !type            ? SL_PLAN_JOIN_INNER
                                    : type[0] == 'L' ? SL_PLAN_JOIN_LEFT
                                    : type[0] == 'R' ? SL_PLAN_JOIN_RIGHT
                                                     : SL_PLAN_JOIN_FULL);
    /* v > 3 went below the join on the left; the join reads its inputs' columns as they are */
    assert_int_equal(jn->input->kind, type ? SL_PLAN_SCAN : SL_PLAN_FILTER);
    assert_int_equal(jn->join.right->kind, SL_PLAN_SCAN);
    struct sl_schema *sch[2];
    sch[0] = sl_plan_rel_schema(&jn->input->out);
    sch[1] = sl_plan_rel_schema(&jn->join.right->out);
    assert_non_null(sch[0]);
    assert_non_null(sch[1]);
    struct sl_heap *heap = sl_heap_new();
    struct sl_worker_stats stats = {0};
    struct sl_batch_pool *pool[2] = {sl_batch_pool_new(heap, sch[0], 2),
                                     sl_batch_pool_new(heap, sch[1], 2)};
    struct collector col = {.op = {&col_ops, NULL, NULL, 0}};
    col.cap = 1 << 17;
    col.lines = calloc(col.cap, sizeof(*col.lines));
    assert_non_null(col.lines);
    for (int w = 0; w < nw; w++) {
        ctxs[w] = (struct sl_worker_ctx){.worker = w,
                                         .nworkers = nw,
                                         .heap = heap,
                                         .sql = job->file->src,
                                         .stats = &stats,
                                         .send = test_send};
        assert_int_equal(sl_op_join_new(jn, NULL, &ctxs[w], &ops[w], &err), 0);
        ops[w]->next = &col.op;
        ops[w]->tag = 7;
    }
    qhead = qlen = 0;
    /* random rows: few keys, so that keys repeat on both sides */
    for (int sd = 0; sd < 2; sd++) {
        nrows[sd] = (uint32_t)(rand() % MAXROWS);
        for (uint32_t i = 0; i < nrows[sd]; i++) {
            struct trow *r = &rows[sd][i];
            r->gone = false;
            r->knull = rand() % 10 == 0;
            r->k = rand() % 9 - 2;
            r->snull = rand() % 12 == 0;
            r->s = strs[rand() % 4];
            r->vnull = rand() % 8 == 0;
            r->v = rand() % 12;
        }
    }
    /* in random pieces, to random workers, with a save / restore of all in the middle */
    uint32_t at[2] = {0, 0};
    bool restored = false;
    while (at[0] < nrows[0] || at[1] < nrows[1]) {
        int sd = at[0] < nrows[0] && (at[1] >= nrows[1] || rand() % 2) ? 0 : 1;
        uint32_t n = 1 + (uint32_t)rand() % 40;
        if (n > nrows[sd] - at[sd])
            n = nrows[sd] - at[sd];
        push(pool[sd], rand() % nw, sd, at[sd], at[sd] + n);
        at[sd] += n;
        deliver((uint32_t)rand() % 4);
        if (!restored && at[0] + at[1] > (nrows[0] + nrows[1]) / 2) {
            restored = true;
            /* a checkpoint aligns: rows for other workers are kept (saved with the state, sent
             * after the restore), the messages sent before the cut arrive */
            for (int w = 0; w < nw; w++)
                ctxs[w].aligning = true;
            int sd2 = at[0] < nrows[0] ? 0 : 1;
            uint32_t n2 = nrows[sd2] - at[sd2] < 30 ? nrows[sd2] - at[sd2] : 30;
            push(pool[sd2], rand() % nw, sd2, at[sd2], at[sd2] + n2);
            at[sd2] += n2;
            deliver(UINT32_MAX);
            for (int w = 0; w < nw; w++) {
                struct sl_sbuf sb;
                sl_sbuf_init(&sb);
                assert_int_equal(ops[w]->ops->save(ops[w], &ctxs[w], &sb, &err), 0);
                ops[w]->ops->free(ops[w]);
                assert_int_equal(sl_op_join_new(jn, NULL, &ctxs[w], &ops[w], &err), 0);
                ops[w]->next = &col.op;
                ops[w]->tag = 7;
                struct sl_sread rd;
                sl_sread_init(&rd, sb.p, sb.len, "test state");
                int rc = ops[w]->ops->restore(ops[w], &ctxs[w], &rd, &err);
                if (rc)
                    fprintf(stderr, "%s\n", err.msg);
                assert_int_equal(rc, 0);
                assert_int_equal(sl_sread_left(&rd), 0);
                sl_sbuf_free(&sb);
            }
            for (int w = 0; w < nw; w++)
                ctxs[w].aligning = false;
        }
    }
    /* the end: both inputs of every worker, in random order */
    for (int w = 0; w < nw; w++) {
        for (int k = 0; k < 2; k++) {
            int sd = (w + k) % 2;
            struct sl_op *t = sd ? sl_op_join_right(ops[w]) : ops[w];
            assert_int_equal(t->ops->watermark(t, &ctxs[w], INT64_MAX, &err), 0);
            assert_int_equal(t->ops->finish(t, &ctxs[w], &err), 0);
            assert_int_equal(col.finished[w], 0);
            deliver((uint32_t)rand() % 3);
        }
    }
    deliver(UINT32_MAX);
    for (int w = 0; w < nw; w++)
        assert_int_equal(col.finished[w], 1);
    /* the model: every pair with equal non-NULL keys (k, s = t); the filters below and above
     * the join are not the operator's (v > 3 went below it, into a filter node) */
    uint32_t nwant = 0, cap = 1 << 17;
    char(*want)[160] = calloc(cap, sizeof(*want));
    assert_non_null(want);
    for (uint32_t i = 0; i < nrows[0]; i++)
        for (uint32_t j = 0; j < nrows[1]; j++) {
            const struct trow *L = &rows[0][i], *R = &rows[1][j];
            if (!matches(L, R))
                continue;
            assert_true(nwant < cap);
            fmt_row(want[nwant++], sizeof(want[0]), L, R);
        }
    /* an outer join's rows without a match (a NULL key never matches), null-padded */
    static const struct trow padrow = {.pad = true};
    uint32_t npadded[2] = {0, 0};
    for (int sd = 0; sd < 2; sd++) {
        if (!(sd ? rout : lout))
            continue;
        for (uint32_t i = 0; i < nrows[sd]; i++) {
            const struct trow *X = &rows[sd][i];
            if (X->gone)
                continue;
            bool matched = false;
            for (uint32_t j = 0; j < nrows[1 - sd] && !matched && !X->knull && !X->snull; j++) {
                const struct trow *Y = &rows[1 - sd][j];
                matched = sd ? matches(Y, X) : matches(X, Y);
            }
            if (matched)
                continue;
            assert_true(nwant < cap);
            fmt_row(want[nwant++], sizeof(want[0]), sd ? &padrow : X, sd ? X : &padrow);
            npadded[sd]++;
        }
    }
    /* rows with d NULL are left out on both sides, so that the check does not depend on how
     * the output renders them (the comma join's; an outer join's padding is NULLs) */
    uint32_t got = 0;
    for (uint32_t i = 0; i < col.n; i++) {
        if (!type && strcmp(strrchr(col.lines[i], '|'), "|null") == 0)
            continue; /* d NULL: dropped from both sides of the comparison alike */
        memmove(col.lines[got++], col.lines[i], sizeof(col.lines[0]));
    }
    uint32_t nw2 = 0;
    for (uint32_t i = 0; i < nwant; i++)
        if (type || strcmp(strrchr(want[i], '|'), "|null") != 0)
            memmove(want[nw2++], want[i], sizeof(want[0]));
    qsort(col.lines, got, sizeof(col.lines[0]), cmp_line);
    qsort(want, nw2, sizeof(want[0]), cmp_line);
    if (got != nw2)
        fprintf(stderr, "workers %d seed %u: %u rows, the model %u\n", nw, seed, got, nw2);
    assert_int_equal(got, nw2);
    for (uint32_t i = 0; i < got; i++)
        assert_string_equal(col.lines[i], want[i]);
    assert_true(nw2 > 0 || nrows[0] < 50 || nrows[1] < 50);
    if (!type)
        assert_int_equal(col.deletes, 0);
    else if (nrows[0] > 50 && nrows[1] > 50) /* some padded rows were retracted */
        assert_true(col.deletes > 0 && (npadded[0] + npadded[1]) > 0);
    for (int w = 0; w < nw; w++)
        ops[w]->ops->free(ops[w]);
    assert_int_equal(sl_batch_pool_outstanding(pool[0]), 0);
    assert_int_equal(sl_batch_pool_outstanding(pool[1]), 0);
    free(want);
    free(col.lines);
    sl_batch_pool_free(pool[0]);
    sl_batch_pool_free(pool[1]);
    sl_schema_free(sch[0]);
    sl_schema_free(sch[1]);
    sl_heap_free(heap);
    sl_job_free(job);
}

static void test_model(void **state)
{
    (void)state;
    for (unsigned seed = 1; seed <= 12; seed++)
        run(1 + (int)(seed % MAXW), seed, NULL);
}

/* LEFT, RIGHT and FULL JOIN: each at 1, 2 and 3 workers. */
static void test_outer_model(void **state)
{
    (void)state;
    static const char *const types[] = {"LEFT", "RIGHT", "FULL"};
    for (unsigned seed = 1; seed <= 9; seed++)
        run(1 + (int)(seed % MAXW), 100 + seed, types[seed % 3]);
    /* with a residual condition in ON: v < d (NULL: no match) */
    resid = true;
    for (unsigned seed = 1; seed <= 6; seed++)
        run(1 + (int)(seed % MAXW), 200 + seed, types[seed % 3]);
    resid = false;
}

/* An outer join's plan: a condition on the null-generating side alone goes below it, the
 * other conditions of ON are its residual, a WHERE stays above it, its output is updating. */
static void test_outer_plan(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof(text),
             "%sINSERT INTO o SELECT l.k, s, v, r.k, t, d FROM l LEFT JOIN r\n"
             "  ON l.k = r.k AND d > 2 AND v < d AND v > 1 WHERE v > 3 AND t IS NULL;",
             ddl);
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_job *job = sl_job_from_sql("q.sql", text, strlen(text), NULL, 0, &err);
    if (!job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(job);
    const struct sl_plan *p = job->inserts[0];
    while (p && p->kind != SL_PLAN_JOIN && p->kind != SL_PLAN_FILTER)
        p = p->input;
    assert_non_null(p);
    assert_int_equal(p->kind, SL_PLAN_FILTER); /* the WHERE, above */
    const struct sl_plan *jn = p->input;
    assert_int_equal(jn->kind, SL_PLAN_JOIN);
    assert_int_equal(jn->join.type, SL_PLAN_JOIN_LEFT);
    assert_int_equal(jn->join.nkeys, 1);
    assert_int_equal(jn->input->kind, SL_PLAN_SCAN);
    assert_int_equal(jn->join.right->kind, SL_PLAN_FILTER); /* d > 2 */
    assert_non_null(jn->join.residual);                     /* v < d AND v > 1 */
    assert_int_equal(jn->join.residual->fn, SL_FN_AND);
    assert_true(jn->out.cols[3].type.nullable);
    assert_int_equal(sl_plan_changelog(jn, NULL, NULL), SL_CHANGELOG_ALL);
    sl_job_free(job);
}

/* What the binder refuses, with the position. */
static void test_refused(void **state)
{
    (void)state;
    static const struct {
        const char *q, *msg;
    } cases[] = {
        {"INSERT INTO o SELECT l.k, s, v, r.k, t, d FROM l, r WHERE v < d",
         "a join of two streams needs an equality"},
        {"INSERT INTO o SELECT l.k, s, v, r.k, t, d FROM l FULL JOIN r ON v < d",
         "q.sql:5:48: a join of two streams needs an equality"},
        {"CREATE TABLE f (lk BIGINT, rk BIGINT) WITH ('connector' = 'filesystem', 'path' = "
         "'/nonexistent', 'format' = 'csv'); INSERT INTO f SELECT l.k, r.k FROM l LEFT JOIN r "
         "ON l.k = r.k",
         "Table sink 'default_catalog.default_database.f' doesn't support consuming update and "
         "delete changes which is produced by node Join(joinType=[LeftOuterJoin])"},
        {"INSERT INTO o SELECT l.k, s, v, r.k, t, d FROM l JOIN r ON l.k = r.d",
         "join keys have different types BIGINT and DOUBLE"},
        {"INSERT INTO o SELECT k, s, v, r.k, t, d FROM l JOIN r ON l.k = r.k",
         "column 'k' is ambiguous"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[2048];
        snprintf(text, sizeof(text), "%.*s%s;", (int)(strstr(sql, "INSERT") - sql), sql,
                 cases[i].q);
        struct sl_error err;
        sl_error_clear(&err);
        struct sl_job *job = sl_job_from_sql("q.sql", text, strlen(text), NULL, 0, &err);
        if (job || !strstr(err.msg, cases[i].msg))
            fprintf(stderr, "case %zu: %s\n", i, job ? "accepted" : err.msg);
        assert_null(job);
        assert_non_null(strstr(err.msg, cases[i].msg));
    }
}

/* ---- state TTL ('table.exec.state.ttl') ---------------------------------------------------- */

/* LEFT JOIN on k, one worker: its output as "kind[lk, s, rk, t]" lines. */
struct tj {
    struct sl_op op;
    char lines[16][200];
    int n;
};

static int tj_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                   struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct tj *c = (struct tj *)op;
    for (uint32_t i = 0; i < sl_batch_active(b); i++) {
        uint32_t r = b->sel ? b->sel[i] : i;
        char f[4][40];
        const uint32_t cols[4] = {0, 1, 3, 4};
        for (int q = 0; q < 4; q++) {
            struct sl_column *col = &b->cols[cols[q]];
            if (col->valid && sl_col_is_null(col, r))
                snprintf(f[q], sizeof(f[q]), "null");
            else if (col->type.id == SL_TYPE_VARCHAR)
                snprintf(f[q], sizeof(f[q]), "%.*s", (int)sl_col_str(col)[r].len,
                         sl_str_data(&sl_col_str(col)[r]));
            else
                snprintf(f[q], sizeof(f[q]), "%lld", (long long)sl_col_i64(col)[r]);
        }
        assert_true(c->n < 16);
        snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s[%s, %s, %s, %s]",
                 sl_row_kind_str(sl_batch_kind(b, r)), f[0], f[1], f[2], f[3]);
    }
    sl_batch_pool_put(b);
    return 0;
}

static const struct sl_op_ops tj_ops = {.name = "collect",
                                        .push = tj_push,
                                        .watermark = col_watermark,
                                        .finish = col_finish,
                                        .free = col_free,
                                        .stateless = true};

struct tj_env {
    struct sl_job *job;
    const struct sl_plan *jn;
    struct sl_schema *sch[2];
    struct sl_batch_pool *pool[2];
    struct sl_worker_ctx ctx;
    struct tj col;
};

/* The join `type` ("LEFT", "INNER") on k with the state TTL `ttl`. */
static void tj_setup_join(struct tj_env *e, const char *ttl, const char *type)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "SET 'table.exec.state.ttl' = '%s';\n%sINSERT INTO o SELECT l.k, s, v, r.k, t, d "
             "FROM l %s JOIN r ON l.k = r.k;",
             ttl, ddl, type);
    struct sl_error err;
    sl_error_clear(&err);
    memset(e, 0, sizeof(*e));
    e->job = sl_job_from_sql("q.sql", text, strlen(text), NULL, 0, &err);
    if (!e->job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(e->job);
    e->jn = e->job->inserts[0];
    while (e->jn && e->jn->kind != SL_PLAN_JOIN)
        e->jn = e->jn->input;
    assert_non_null(e->jn);
    e->ctx = (struct sl_worker_ctx){.worker = 0, .nworkers = 1, .heap = sl_heap_new()};
    for (int sd = 0; sd < 2; sd++) {
        const struct sl_rel *rel = sd ? &e->jn->join.right->out : &e->jn->input->out;
        e->sch[sd] = sl_plan_rel_schema(rel);
        assert_non_null(e->sch[sd]);
        e->pool[sd] = sl_batch_pool_new(e->ctx.heap, e->sch[sd], 2);
    }
    e->col.op = (struct sl_op){&tj_ops, NULL, NULL, 0};
}

static void tj_setup(struct tj_env *e, const char *ttl)
{
    tj_setup_join(e, ttl, "LEFT");
}

static struct sl_op *tj_op(struct tj_env *e)
{
    struct sl_error err;
    struct sl_op *op;
    assert_int_equal(sl_op_join_new(e->jn, e->job, &e->ctx, &op, &err), 0);
    op->next = &e->col.op;
    return op;
}

/* One row (k, str, 1) of kind `kind` into side sd. */
static void tj_push_kind(struct tj_env *e, struct sl_op *op, int sd, int64_t k, const char *str,
                         uint8_t kind)
{
    struct sl_error err;
    struct sl_batch *b = sl_batch_pool_get(e->pool[sd]);
    assert_non_null(b);
    for (uint32_t c = 0; c < b->ncols; c++) {
        struct sl_column *col = &b->cols[c];
        if (col->type.id == SL_TYPE_VARCHAR)
            sl_col_str(col)[0] = sl_batch_str(b, str, (uint32_t)strlen(str));
        else if (col->type.id == SL_TYPE_BIGINT)
            sl_col_i64(col)[0] = k;
        else if (col->type.id == SL_TYPE_INT)
            ((int32_t *)col->data)[0] = 1;
        else
            ((double *)col->data)[0] = 1.0;
        if (col->valid)
            sl_col_set_null(col, 0, false);
    }
    b->rows = 1;
    if (kind != SL_ROW_INSERT)
        sl_batch_kinds(b)[0] = kind;
    struct sl_op *in = sd ? sl_op_join_right(op) : op;
    int rc = in->ops->push(in, &e->ctx, b, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
}

static void tj_push_row(struct tj_env *e, struct sl_op *op, int sd, int64_t k, const char *str)
{
    tj_push_kind(e, op, sd, k, str, SL_ROW_INSERT);
}

static void tj_expect(struct tj *c, const char *const *want, int n)
{
    if (c->n != n)
        for (int i = 0; i < c->n; i++)
            fprintf(stderr, "got %s\n", c->lines[i]);
    assert_int_equal(c->n, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(c->lines[i], want[i]);
    c->n = 0;
}

static struct sl_op *tj_restore(struct tj_env *e, const struct sl_sbuf *sb)
{
    struct sl_error err;
    struct sl_op *op = tj_op(e);
    struct sl_sread rd;
    sl_sread_init(&rd, sb->p, sb->len, "test state");
    int rc = op->ops->restore(op, &e->ctx, &rd, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(sl_sread_left(&rd), 0);
    return op;
}

static void tj_done(struct tj_env *e)
{
    for (int sd = 0; sd < 2; sd++) {
        assert_int_equal(sl_batch_pool_outstanding(e->pool[sd]), 0);
        sl_batch_pool_free(e->pool[sd]);
        sl_schema_free(e->sch[sd]);
    }
    sl_heap_free(e->ctx.heap);
    sl_job_free(e->job);
}

static void tj_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* A TTL far longer than the test: the rows match as without one; the state (format 3, with
 * the rows' times) restores and goes on. */
static void test_ttl_long(void **state)
{
    (void)state;
    struct tj_env e;
    tj_setup(&e, "1 h");
    struct sl_op *op = tj_op(&e);
    tj_push_row(&e, op, 0, 1, "a");
    const char *w1[] = {"+I[1, a, null, null]"};
    tj_expect(&e.col, w1, 1);
    tj_push_row(&e, op, 1, 1, "x");
    const char *w2[] = {"-D[1, a, null, null]", "+I[1, a, 1, x]"};
    tj_expect(&e.col, w2, 2);
    struct sl_sbuf sb;
    sl_sbuf_init(&sb);
    struct sl_error err;
    assert_int_equal(op->ops->save(op, &e.ctx, &sb, &err), 0);
    assert_int_equal(sb.p[0] | sb.p[1] << 8 | sb.p[2] << 16 | (uint32_t)sb.p[3] << 24,
                     0x334e4a53u); /* "SJN3" */
    op->ops->free(op);
    op = tj_restore(&e, &sb);
    tj_push_row(&e, op, 0, 1, "b");
    const char *w3[] = {"+I[1, b, 1, x]"};
    tj_expect(&e.col, w3, 1);
    op->ops->free(op);
    sl_sbuf_free(&sb);
    tj_done(&e);
}

/* A TTL of 200 ms, waited past: a stored row no longer matches (nor is its padding
 * retracted), the expired rows are dropped, and a snapshot keeps the rows' times. */
static void test_ttl_expire(void **state)
{
    (void)state;
    struct tj_env e;
    tj_setup(&e, "200 ms");
    struct sl_op *op = tj_op(&e);
    tj_push_row(&e, op, 0, 1, "a");
    tj_push_row(&e, op, 1, 2, "y");
    const char *w1[] = {"+I[1, a, null, null]"};
    tj_expect(&e.col, w1, 1);
    struct sl_sbuf before, after;
    sl_sbuf_init(&before);
    sl_sbuf_init(&after);
    struct sl_error err;
    assert_int_equal(op->ops->save(op, &e.ctx, &before, &err), 0);
    tj_sleep_ms(450);
    tj_push_row(&e, op, 1, 1, "x"); /* without a TTL: -D[1, a, null, null], +I[1, a, 1, x] */
    tj_expect(&e.col, NULL, 0);
    uint64_t nl, nr;
    sl_op_join_rows(op, &nl, &nr);
    assert_int_equal(nl, 0); /* the left row was freed */
    assert_true(nr <= 1);    /* the expired right row too */
    assert_int_equal(op->ops->save(op, &e.ctx, &after, &err), 0);
    assert_true(after.len < before.len);
    tj_push_row(&e, op, 0, 2, "b"); /* the right row 2 has expired: padded */
    const char *w2[] = {"+I[2, b, null, null]"};
    tj_expect(&e.col, w2, 1);
    op->ops->free(op);

    /* the snapshot from before the wait: its rows have expired */
    op = tj_restore(&e, &before);
    tj_push_row(&e, op, 1, 1, "x");
    tj_expect(&e.col, NULL, 0);
    tj_push_row(&e, op, 0, 2, "b");
    tj_expect(&e.col, w2, 1);
    op->ops->free(op);
    sl_sbuf_free(&before);
    sl_sbuf_free(&after);
    tj_done(&e);
}

/* ---- updating inputs ------------------------------------------------------------------------ */

/* LEFT JOIN over updating inputs, as Flink's StreamingJoinOperator (checked with tools/flink.sh):
 * a row stored twice is retracted once per retraction, a retraction removes one equal row and
 * retracts its pairs, the last match's retraction brings the padding back (+I), a retraction
 * of a preserved row never stored is still emitted (-D padded, as Flink's); the state with the
 * duplicate restores. */
static void test_update_left(void **state)
{
    (void)state;
    struct tj_env e;
    tj_setup(&e, "0 ms");
    struct sl_op *op = tj_op(&e);
    const char *lng = "a string longer than twelve bytes";
    tj_push_row(&e, op, 0, 1, lng);
    tj_push_row(&e, op, 0, 1, lng);
    const char *w1[] = {"+I[1, a string longer than twelve bytes, null, null]",
                        "+I[1, a string longer than twelve bytes, null, null]"};
    tj_expect(&e.col, w1, 2);
    tj_push_row(&e, op, 1, 1, "x");
    const char *w2[] = {"-D[1, a string longer than twelve bytes, null, null]",
                        "-D[1, a string longer than twelve bytes, null, null]",
                        "+I[1, a string longer than twelve bytes, 1, x]",
                        "+I[1, a string longer than twelve bytes, 1, x]"};
    tj_expect(&e.col, w2, 4);
    struct sl_sbuf sb;
    sl_sbuf_init(&sb);
    struct sl_error err;
    assert_int_equal(op->ops->save(op, &e.ctx, &sb, &err), 0);
    op->ops->free(op);
    op = tj_restore(&e, &sb);
    uint64_t nl, nr;
    tj_push_kind(&e, op, 0, 1, lng, SL_ROW_DELETE); /* one of the two goes */
    const char *w3[] = {"-D[1, a string longer than twelve bytes, 1, x]"};
    tj_expect(&e.col, w3, 1);
    sl_op_join_rows(op, &nl, &nr);
    assert_int_equal(nl, 1);
    assert_int_equal(nr, 1);
    tj_push_kind(&e, op, 1, 1, "x", SL_ROW_UPDATE_BEFORE); /* the last match: padded again */
    const char *w4[] = {"-U[1, a string longer than twelve bytes, 1, x]",
                        "+I[1, a string longer than twelve bytes, null, null]"};
    tj_expect(&e.col, w4, 2);
    tj_push_kind(&e, op, 1, 1, "y", SL_ROW_UPDATE_AFTER);
    const char *w5[] = {"-D[1, a string longer than twelve bytes, null, null]",
                        "+I[1, a string longer than twelve bytes, 1, y]"};
    tj_expect(&e.col, w5, 2);
    tj_push_kind(&e, op, 0, 1, lng, SL_ROW_DELETE);
    const char *w7[] = {"-D[1, a string longer than twelve bytes, 1, y]"};
    tj_expect(&e.col, w7, 1);
    tj_push_kind(&e, op, 0, 2, "b", SL_ROW_DELETE); /* a preserved row never stored, no match */
    const char *w8[] = {"-D[2, b, null, null]"};
    tj_expect(&e.col, w8, 1);
    sl_op_join_rows(op, &nl, &nr);
    assert_int_equal(nl, 0);
    assert_int_equal(nr, 1);
    op->ops->free(op);
    sl_sbuf_free(&sb);
    tj_done(&e);
}

/* INNER JOIN over updating inputs: the pairs carry the input's kind (+U, -U, -D); a row never
 * stored retracted without a match emits nothing; many equal rows (past a batch) retract one
 * at a time. */
static void test_update_inner(void **state)
{
    (void)state;
    struct tj_env e;
    tj_setup_join(&e, "0 ms", "INNER");
    struct sl_op *op = tj_op(&e);
    tj_push_row(&e, op, 0, 1, "a");
    tj_expect(&e.col, NULL, 0);
    tj_push_kind(&e, op, 1, 1, "x", SL_ROW_UPDATE_AFTER);
    const char *w1[] = {"+U[1, a, 1, x]"};
    tj_expect(&e.col, w1, 1);
    tj_push_kind(&e, op, 1, 1, "x", SL_ROW_UPDATE_BEFORE);
    const char *w2[] = {"-U[1, a, 1, x]"};
    tj_expect(&e.col, w2, 1);
    tj_push_kind(&e, op, 1, 1, "x", SL_ROW_DELETE); /* no longer stored: still its pair */
    const char *w3[] = {"-D[1, a, 1, x]"};
    tj_expect(&e.col, w3, 1);
    tj_push_kind(&e, op, 0, 3, "c", SL_ROW_DELETE); /* no match: nothing */
    tj_expect(&e.col, NULL, 0);
    for (int i = 0; i < 5; i++)
        tj_push_row(&e, op, 1, 4, "w");
    for (int i = 0; i < 5; i++)
        tj_push_row(&e, op, 1, 5, "v");
    uint64_t nl, nr;
    for (int i = 0; i < 4; i++)
        tj_push_kind(&e, op, 1, 4, "w", SL_ROW_DELETE);
    sl_op_join_rows(op, &nl, &nr);
    assert_int_equal(nl, 1);
    assert_int_equal(nr, 6);
    tj_push_row(&e, op, 0, 4, "d"); /* one w left, the v untouched */
    const char *w4[] = {"+I[4, d, 4, w]"};
    tj_expect(&e.col, w4, 1);
    tj_push_row(&e, op, 0, 5, "e");
    assert_int_equal(e.col.n, 5);
    e.col.n = 0;
    tj_push_kind(&e, op, 0, 5, "e", SL_ROW_DELETE); /* 5 retracted pairs: past a cap2 batch */
    const char *w5[] = {"-D[5, e, 5, v]", "-D[5, e, 5, v]", "-D[5, e, 5, v]", "-D[5, e, 5, v]",
                        "-D[5, e, 5, v]"};
    tj_expect(&e.col, w5, 5);
    sl_op_join_rows(op, &nl, &nr);
    assert_int_equal(nl, 2); /* a and d */
    op->ops->free(op);
    tj_done(&e);
}

/* The row store (engine/ops/join_store.h) past the size from which its per-row arrays are
 * mappings grown with mremap: 300 000 rows of (BIGINT key, nullable VARCHAR, nullable BIGINT)
 * on a preserved side with TTL times, appended a batch at a time; every value, NULL, hash,
 * match count, time and chain is as appended after the moves, and removals still relink. */
static void test_store_large(void **state)
{
    (void)state;
    enum { N = 300000 };
    struct sl_rel_col rc[3] = {
        {.name = "k", .type = sl_type_make(SL_TYPE_BIGINT, false)},
        {.name = "v", .type = sl_type_make(SL_TYPE_VARCHAR, true)},
        {.name = "t", .type = sl_type_make(SL_TYPE_BIGINT, true)},
    };
    struct sl_rel rel = {.ncols = 3, .cols = rc};
    static const int keys[1] = {0};
    struct sl_heap *heap = sl_heap_new();
    struct sl_jn_side s = {0};
    assert_true(sl_jn_side_init(heap, &s, &rel, keys, 1, true));
    s.ttl = true;
    s.now = 42;
    static int64_t bk[SL_BATCH_CAP], bt[SL_BATCH_CAP];
    static sl_str bv[SL_BATCH_CAP];
    static uint64_t vv[(SL_BATCH_CAP + 63) / 64], vt[(SL_BATCH_CAP + 63) / 64];
    static uint64_t bh[SL_BATCH_CAP];
    static char text[SL_BATCH_CAP][40];
    uint8_t *col[3] = {(uint8_t *)bk, (uint8_t *)bv, (uint8_t *)bt};
    uint64_t *valid[3] = {NULL, vv, vt};
    for (uint32_t i = 0; i < N;) {
        uint32_t n = N - i < SL_BATCH_CAP ? N - i : SL_BATCH_CAP;
        memset(vv, 0, sizeof(vv));
        memset(vt, 0, sizeof(vt));
        for (uint32_t j = 0; j < n; j++) {
            uint32_t r = i + j;
            bk[j] = r % 1000;
            bh[j] = (uint64_t)(r % 1000) * 0x9e3779b97f4a7c15ull;
            int len = snprintf(text[j], sizeof(text[j]), "row %u, longer than inline", r);
            bv[j] = sl_str_make(text[j], (uint32_t)len);
            if (r % 7)
                sl_valid_set(vv, j, true);
            bt[j] = r;
            if (r % 5)
                sl_valid_set(vt, j, true);
        }
        assert_true(sl_jn_append(heap, &s, col, valid, NULL, n, bh));
        i += n;
    }
    assert_int_equal(s.rows, N);
    for (uint32_t r = 0; r < N; r++) {
        char want[40];
        int len = snprintf(want, sizeof(want), "row %u, longer than inline", r);
        assert_int_equal(((const int64_t *)(const void *)s.col[0])[r], r % 1000);
        assert_int_equal(s.hash[r], (uint64_t)(r % 1000) * 0x9e3779b97f4a7c15ull);
        assert_int_equal(s.match[r], 0);
        assert_int_equal(s.ts[r], 42);
        assert_int_equal(sl_valid_get(s.valid[1], r), r % 7 != 0);
        assert_int_equal(sl_valid_get(s.valid[2], r), r % 5 != 0);
        if (r % 7) {
            const sl_str *v = (const sl_str *)(const void *)s.col[1] + r;
            assert_int_equal(v->len, len);
            assert_memory_equal(v->ptr, want, (size_t)len);
        }
        if (r % 5)
            assert_int_equal(((const int64_t *)(const void *)s.col[2])[r], r);
    }
    /* key 7's chain holds its 300 rows, and 299 after one of them goes */
    uint64_t h7 = 7 * 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 2; round++) {
        uint32_t cnt = 0;
        for (uint32_t q = s.head[h7 & (s.nslots - 1)]; q != SL_JN_NONE; q = s.next[q])
            cnt += s.hash[q] == h7;
        assert_int_equal(cnt, N / 1000 - round);
        if (!round)
            assert_true(sl_jn_remove(heap, &s, 7)); /* the last row (key 999) moves to 7 */
    }
    assert_int_equal(s.rows, N - 1);
    assert_int_equal(((const int64_t *)(const void *)s.col[0])[7], 999);
    assert_int_equal(((const int64_t *)(const void *)s.col[2])[7], N - 1);
    sl_jn_side_free(&s);
    sl_heap_free(heap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model),       cmocka_unit_test(test_outer_model),
        cmocka_unit_test(test_outer_plan),  cmocka_unit_test(test_refused),
        cmocka_unit_test(test_ttl_long),    cmocka_unit_test(test_ttl_expire),
        cmocka_unit_test(test_update_left), cmocka_unit_test(test_update_inner),
        cmocka_unit_test(test_store_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
