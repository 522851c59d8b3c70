/*
 * tests/engine/test_winagg.c - the Window and window aggregation operators, driven with
 * plans the binder builds from SQL, on 1, 2 and 4 fake workers that exchange partials
 * through real engine/core/ring.h rings (sim_send below, the contexts' send; the test is
 * single-threaded and interleaves the workers at random, draining a full ring into its
 * receiver).
 *
 * Each worker's pipeline is Window -> pre-projection (a tiny column-picking operator of
 * this file: the binder's pre-projection is column references only) -> window aggregation
 * -> collector. Random, shuffled, watermark-consistent rows (with NULLs, extremes, late and
 * NULL-timestamp rows, selections) go in; the collected rows, as a sorted set of text lines,
 * must equal a reference computed here in plain C (each row, each of its windows, per key),
 * whatever the number of workers. The collector also checks that no row comes after a
 * watermark that covers its window. A hand-computed case checks the reference's rules.
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "engine/core/ring.h"
#include "engine/ops/op_winagg.h"
#include "engine/ops/op_window.h"
#include "engine/ops/operator.h"
#include "engine/plan/catalog.h"
#include "engine/sql/ast.h"
#include "engine/sql/binder.h"

/* ---- SQL ----------------------------------------------------------------------------------- */

static const char ddl[] =
    "CREATE TABLE src (k BIGINT, s VARCHAR, v BIGINT, d DOUBLE, m DECIMAL(10, 2),\n"
    "  ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)\n"
    "  WITH ('connector' = 'kafka');\n"
    "CREATE TABLE out1 (k BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3), c BIGINT, cv BIGINT,\n"
    "  sv BIGINT, mnv BIGINT, mxv BIGINT, av BIGINT, sd DOUBLE, mnd DOUBLE, mxd DOUBLE,\n"
    "  ad DOUBLE, sm DECIMAL(38, 2), mnm DECIMAL(10, 2), mxm DECIMAL(10, 2),\n"
    "  am DECIMAL(38, 6)) WITH ('connector' = 'blackhole');\n"
    "CREATE TABLE out2 (s VARCHAR, ws TIMESTAMP(3), we TIMESTAMP(3), c BIGINT, cm BIGINT,\n"
    "  sm DECIMAL(38, 2), am DECIMAL(38, 6), mxd DOUBLE, sv BIGINT)\n"
    "  WITH ('connector' = 'blackhole');\n"
    "CREATE TABLE out3 (ws TIMESTAMP(3), we TIMESTAMP(3), c BIGINT, ad DOUBLE)\n"
    "  WITH ('connector' = 'blackhole');\n";

static const char q_tumble[] =
    "INSERT INTO out1 SELECT k, window_start, window_end, COUNT(*), COUNT(v), SUM(v),\n"
    "  MIN(v), MAX(v), AVG(v), SUM(d), MIN(d), MAX(d), AVG(d), SUM(m), MIN(m), MAX(m),\n"
    "  AVG(m) FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '10' SECOND))\n"
    "  GROUP BY k, window_start, window_end;";

static const char q_hop[] =
    "INSERT INTO out2 SELECT s, window_start, window_end, COUNT(*), COUNT(m), SUM(m),\n"
    "  AVG(m), MAX(d), SUM(v)\n"
    "  FROM TABLE(HOP(TABLE src, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND))\n"
    "  GROUP BY s, window_start, window_end;";

/* q_hop with window_time as a further key (the same groups): the window node stays, one row
 * copy per window (binder.c's window slicing needs the window columns as keys only) */
static const char q_hop_copy[] =
    "INSERT INTO out2 SELECT s, window_start, window_end, COUNT(*), COUNT(m), SUM(m),\n"
    "  AVG(m), MAX(d), SUM(v)\n"
    "  FROM TABLE(HOP(TABLE src, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND))\n"
    "  GROUP BY s, window_start, window_end, window_time;";

/* sliced, with a routing key and an offset; q_cumulate_nokey: every slice to one owner */
static const char q_cumulate[] =
    "INSERT INTO out1 SELECT k, window_start, window_end, COUNT(*), COUNT(v), SUM(v),\n"
    "  MIN(v), MAX(v), AVG(v), SUM(d), MIN(d), MAX(d), AVG(d), SUM(m), MIN(m), MAX(m),\n"
    "  AVG(m) FROM TABLE(CUMULATE(TABLE src, DESCRIPTOR(ts), INTERVAL '3' SECOND,\n"
    "  INTERVAL '12' SECOND, INTERVAL '1' SECOND)) GROUP BY k, window_start, window_end;";

static const char q_cumulate_nokey[] =
    "INSERT INTO out3 SELECT window_start, window_end, COUNT(*), AVG(d)\n"
    "  FROM TABLE(CUMULATE(TABLE src, DESCRIPTOR(ts), INTERVAL '2' SECOND,\n"
    "  INTERVAL '8' SECOND)) GROUP BY window_start, window_end;";

static const char q_nokey[] =
    "INSERT INTO out3 SELECT window_start, window_end, COUNT(*), AVG(d)\n"
    "  FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '3' SECOND))\n"
    "  GROUP BY window_start, window_end;";

enum { S_K, S_S, S_V, S_D, S_M, S_TS, S_NCOLS };

struct query {
    struct sl_job *job;
    const struct sl_plan *window, *pre, *agg;
    /* window slicing: the binder fused the window into the aggregation (agg.slice); `window`
     * is then wfake, a window node with agg.slice's parameters for the reference */
    bool sliced;
    struct sl_plan wfake;
};

static void bind_query(struct query *q, const char *text)
{
    size_t la = strlen(ddl), lb = strlen(text);
    char *sql = malloc(la + lb + 1);
    assert_non_null(sql);
    memcpy(sql, ddl, la);
    memcpy(sql + la, text, lb + 1);
    struct sl_error err;
    sl_error_clear(&err);
    q->job = sl_job_from_sql("q.sql", sql, la + lb, NULL, 0, &err);
    free(sql);
    if (!q->job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(q->job);
    q->window = q->pre = q->agg = NULL;
    for (const struct sl_plan *p = q->job->inserts[0]; p; p = p->input) {
        if (p->kind == SL_PLAN_AGG)
            q->agg = p;
        if (p->kind == SL_PLAN_WINDOW)
            q->window = p;
    }
    assert_non_null(q->agg);
    q->pre = q->agg->input;
    assert_int_equal(q->pre->kind, SL_PLAN_PROJECT);
    q->sliced = q->agg->agg.slice.kind != SL_WINDOW_TUMBLE;
    if (q->sliced) { /* no window node: the keys window_start / window_end read ts */
        assert_null(q->window);
        assert_int_equal(q->pre->project.exprs[q->agg->agg.window_start]->col, S_TS);
        assert_int_equal(q->pre->project.exprs[q->agg->agg.window_end]->col, S_TS);
        memset(&q->wfake, 0, sizeof(q->wfake));
        q->wfake.kind = SL_PLAN_WINDOW;
        q->wfake.input = q->pre->input;
        q->wfake.window.kind = q->agg->agg.slice.kind;
        q->wfake.window.time_col = S_TS;
        q->wfake.window.size_ms = q->agg->agg.slice.size_ms;
        q->wfake.window.slide_ms = q->agg->agg.slice.slide_ms;
        q->wfake.window.offset_ms = q->agg->agg.slice.offset_ms;
        q->window = &q->wfake;
    }
    assert_non_null(q->window);
    assert_ptr_equal(q->pre->input, q->sliced ? q->window->input : q->window);
    /* the window's input is the table's columns */
    const struct sl_rel *in = &q->window->input->out;
    assert_int_equal(in->ncols, S_NCOLS);
    assert_string_equal(in->cols[S_TS].name, "ts");
    for (uint32_t i = 0; i < q->pre->project.nexprs; i++)
        assert_int_equal(q->pre->project.exprs[i]->kind, SL_EXPR_COL);
}

/* ---- values and rows as text --------------------------------------------------------------- */

struct val {
    bool null;
    int64_t i;
    double d;
    const char *s;
    uint32_t len;
};

static struct sl_schema *schema_of(const struct sl_rel *rel)
{
    const char *names[64];
    struct sl_type types[64];
    assert_true(rel->ncols <= 64);
    for (uint32_t i = 0; i < rel->ncols; i++) {
        names[i] = rel->cols[i].name;
        types[i] = rel->cols[i].type;
    }
    struct sl_schema *s = sl_schema_new(rel->ncols, names, types);
    assert_non_null(s);
    return s;
}

static struct val col_val(struct sl_column *c, uint32_t r)
{
    struct val v = {0};
    v.null = c->valid && sl_col_is_null(c, r);
    if (v.null)
        return v;
    switch (c->type.id) {
    case SL_TYPE_DOUBLE:
        v.d = sl_col_f64(c)[r];
        break;
    case SL_TYPE_VARCHAR: {
        const sl_str *s = &sl_col_str(c)[r];
        v.s = sl_str_data(s);
        v.len = s->len;
        break;
    }
    case SL_TYPE_INT:
        v.i = sl_col_i32(c)[r];
        break;
    case SL_TYPE_BOOLEAN:
        v.i = sl_col_bool(c)[r];
        break;
    default:
        v.i = sl_col_i64(c)[r];
        break;
    }
    return v;
}

/* One output row as a line. `fold` marks DOUBLE columns where -0.0 prints as 0 (sums and
 * averages: their sign of zero depends on the order of addition). */
static char *row_text(const struct sl_rel *rel, const struct val *vals, const bool *fold)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    for (uint32_t c = 0; c < rel->ncols; c++) {
        const struct val *v = &vals[c];
        if (c)
            fputc('|', f);
        if (v->null) {
            fputs("NULL", f);
            continue;
        }
        switch (rel->cols[c].type.id) {
        case SL_TYPE_DOUBLE: {
            double d = v->d;
            if (isnan(d))
                fputs("nan", f);
            else if (fold[c] && d == 0.0)
                fputs("0", f);
            else
                fprintf(f, "%a", d);
            break;
        }
        case SL_TYPE_VARCHAR:
            fprintf(f, "'%.*s'", (int)v->len, v->s);
            break;
        default:
            fprintf(f, "%lld", (long long)v->i);
            break;
        }
    }
    fclose(f);
    return buf;
}

struct lines {
    char **v;
    size_t n, cap;
};

static void lines_add(struct lines *l, char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        assert_non_null(l->v);
    }
    l->v[l->n++] = s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static void lines_compare(struct lines *got, struct lines *want)
{
    qsort(got->v, got->n, sizeof(*got->v), cmp_str);
    qsort(want->v, want->n, sizeof(*want->v), cmp_str);
    size_t n = got->n < want->n ? got->n : want->n;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(got->v[i], want->v[i]) != 0) {
            fprintf(stderr, "row %zu differs:\n  got  %s\n  want %s\n", i, got->v[i], want->v[i]);
            fail();
        }
    }
    assert_int_equal(got->n, want->n);
}

static void fold_mask(const struct sl_plan *agg, bool *fold)
{
    memset(fold, 0, 64 * sizeof(*fold));
    for (uint32_t i = 0; i < agg->agg.naggs; i++)
        fold[agg->agg.nkeys + i] =
            agg->agg.aggs[i].fn == SL_AGG_SUM || agg->agg.aggs[i].fn == SL_AGG_AVG;
}

/* ---- fake workers and the exchange --------------------------------------------------------- */

#define MAXW 4

struct collector {
    struct sl_op op;
    struct lines rows;
    bool fold[64];
    int64_t wm; /* the last watermark received */
    int finished;
};

struct proj {
    struct sl_op op;
    struct sl_schema *schema;
    struct sl_batch_pool *pool;
};

struct worker {
    struct sl_worker_ctx ctx;
    struct sl_worker_stats stats;
    struct sl_op *win, *agg;
    struct proj proj;
    struct collector col;
};

struct sim {
    int n;
    struct worker w[MAXW];
    struct sl_ring *ring[MAXW][MAXW]; /* [from][to] */
    uint64_t sent, full;
};

static struct sim *g_sim;

static void deliver(int to)
{
    struct sim *s = g_sim;
    struct worker *w = &s->w[to];
    for (int from = 0; from < s->n; from++) {
        struct sl_msg m;
        while (sl_ring_pop(s->ring[from][to], &m)) {
            struct sl_error err;
            sl_error_clear(&err);
            int rc = w->agg->ops->receive(w->agg, &w->ctx, from, m, &err);
            if (rc)
                fprintf(stderr, "receive: %s\n", err.msg);
            assert_int_equal(rc, 0);
        }
    }
}

static int sim_send(struct sl_worker_ctx *ctx, const struct sl_op *op, int to, struct sl_msg msg,
                    struct sl_error *err)
{
    (void)err;
    struct sim *s = g_sim;
    assert_true(to >= 0 && to < s->n);
    assert_ptr_equal(op, s->w[ctx->worker].agg);
    while (!sl_ring_push(s->ring[ctx->worker][to], msg)) {
        s->full++;
        deliver(to); /* one thread plays every worker: the receiver drains now */
    }
    s->sent++;
    return 0;
}

static int col_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                    struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct collector *c = (struct collector *)op;
    const struct sl_rel *rel = &c->op.plan->out;
    const struct sl_plan *agg = c->op.plan;
    uint32_t n = sl_batch_active(b);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = b->sel ? b->sel[i] : i;
        struct val vals[64];
        for (uint32_t k = 0; k < rel->ncols; k++)
            vals[k] = col_val(&b->cols[k], r);
        /* a row never comes after a watermark that covers its window */
        int64_t we = vals[agg->agg.window_end].i;
        assert_true(c->wm == INT64_MIN || we - 1 > c->wm);
        lines_add(&c->rows, row_text(rel, vals, c->fold));
    }
    sl_batch_pool_put(b);
    return 0;
}

static int col_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                         struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct collector *c = (struct collector *)op;
    assert_true(wm > c->wm);
    c->wm = wm;
    return 0;
}

static int col_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    (void)ctx;
    (void)err;
    ((struct collector *)op)->finished++;
    return 0;
}

static void noop_free(struct sl_op *op)
{
    (void)op;
}

static const struct sl_op_ops col_ops = {.name = "collect",
                                         .push = col_push,
                                         .watermark = col_watermark,
                                         .finish = col_finish,
                                         .free = noop_free};

/* The pre-projection: output column j is input column exprs[j]->col. */
static int proj_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                     struct sl_error *err)
{
    struct proj *p = (struct proj *)op;
    const struct sl_plan *pre = op->plan;
    struct sl_batch *o = sl_batch_pool_get(p->pool);
    assert_non_null(o);
    uint32_t n = sl_batch_active(b);
    for (uint32_t j = 0; j < pre->project.nexprs; j++) {
        struct sl_column *src = &b->cols[pre->project.exprs[j]->col];
        struct sl_column *dst = &o->cols[j];
        size_t w = sl_type_width((sl_type_id)src->type.id);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = b->sel ? b->sel[i] : i;
            memcpy((char *)dst->data + i * w, (char *)src->data + r * w, w);
            if (dst->valid)
                sl_col_set_null(dst, i, src->valid && sl_col_is_null(src, r));
        }
    }
    o->rows = n;
    /* strings still point into b's heap: b goes back only after the push */
    int rc = sl_op_push_next(op, ctx, o, err);
    sl_batch_pool_put(b);
    return rc;
}

static int proj_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                          struct sl_error *err)
{
    return sl_op_watermark_next(op, ctx, wm, err);
}

static int proj_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_op_finish_next(op, ctx, err);
}

static const struct sl_op_ops proj_ops = {.name = "pre",
                                          .push = proj_push,
                                          .watermark = proj_watermark,
                                          .finish = proj_finish,
                                          .free = noop_free};

static void sim_init(struct sim *s, int n, const struct query *q, uint32_t ring_cap)
{
    memset(s, 0, sizeof(*s));
    s->n = n;
    g_sim = s;
    for (int i = 0; i < n; i++) {
        struct worker *w = &s->w[i];
        w->ctx.worker = i;
        w->ctx.nworkers = n;
        w->ctx.heap = sl_heap_new();
        assert_non_null(w->ctx.heap);
        w->ctx.sql = q->job->file->src;
        w->ctx.stats = &w->stats;
        w->ctx.send = sim_send;
        w->stats.watermark = INT64_MIN;
        struct sl_error err;
        sl_error_clear(&err);
        /* sliced: no Window operator, the rows go to the pre-projection */
        int rc = q->sliced ? 0 : sl_op_window_new(q->window, &w->ctx, &w->win, &err);
        if (!rc)
            rc = sl_op_winagg_new(q->agg, &w->ctx, &w->agg, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
        w->proj.op.ops = &proj_ops;
        w->proj.op.plan = q->pre;
        w->proj.schema = schema_of(&q->pre->out);
        w->proj.pool = sl_batch_pool_new(w->ctx.heap, w->proj.schema, 2);
        assert_non_null(w->proj.pool);
        w->col.op.ops = &col_ops;
        w->col.op.plan = q->agg;
        w->col.wm = INT64_MIN;
        fold_mask(q->agg, w->col.fold);
        if (q->sliced)
            w->win = &w->proj.op;
        else
            w->win->next = &w->proj.op;
        w->proj.op.next = w->agg;
        w->agg->next = &w->col.op;
        for (int j = 0; j < n; j++) {
            s->ring[j][i] = sl_ring_new(NULL, ring_cap);
            assert_non_null(s->ring[j][i]);
        }
    }
}

static void sim_free(struct sim *s)
{
    for (int i = 0; i < s->n; i++) {
        struct worker *w = &s->w[i];
        if (w->win != &w->proj.op)
            w->win->ops->free(w->win);
        w->agg->ops->free(w->agg);
        sl_batch_pool_free(w->proj.pool);
        sl_schema_free(w->proj.schema);
        lines_free(&w->col.rows);
        for (int j = 0; j < s->n; j++) {
            assert_int_equal(sl_ring_count(s->ring[j][i]), 0);
            sl_ring_free(s->ring[j][i]);
        }
        sl_heap_free(w->ctx.heap);
    }
    g_sim = NULL;
}

/* ---- input rows ---------------------------------------------------------------------------- */

struct in_row {
    struct val c[S_NCOLS];
    bool selected; /* active in its batch */
};

struct event {
    bool is_wm;
    int64_t wm;
    uint32_t first, n; /* rows[first .. first + n - 1] as one batch */
    bool with_sel;
};

struct stream { /* one worker's input */
    struct in_row *rows;
    uint32_t nrows;
    struct event *ev;
    uint32_t nev;
};

static const char *const strs[] = {
    "", "a", "bb", "twelve-bytes", "thirteen-byte", "a-long-key-that-lives-in-the-heap"};

static void gen_stream(struct stream *st, uint32_t nrows, int64_t t0, uint64_t *rng)
{
    st->rows = calloc(nrows + 1, sizeof(*st->rows));
    st->ev = calloc(2 * nrows + 2, sizeof(*st->ev));
    assert_non_null(st->rows);
    assert_non_null(st->ev);
    st->nrows = nrows;
    st->nev = 0;
    int64_t t = t0, maxts = INT64_MIN;
    uint32_t i = 0;
    while (i < nrows) {
        uint32_t bn = 1 + (uint32_t)(sl_test_rand(rng) % SL_BATCH_CAP);
        if (bn > nrows - i)
            bn = nrows - i;
        struct event *e = &st->ev[st->nev++];
        e->first = i;
        e->n = bn;
        e->with_sel = sl_test_rand(rng) % 3 == 0;
        for (uint32_t j = 0; j < bn; j++, i++) {
            struct in_row *r = &st->rows[i];
            uint64_t x = sl_test_rand(rng);
            r->selected = !e->with_sel || x % 4 != 0;
            t += (int64_t)(sl_test_rand(rng) % 400);
            int64_t ts = t - (int64_t)(sl_test_rand(rng) % 4000);
            if (sl_test_rand(rng) % 30 == 0)
                ts = t - 5000 - (int64_t)(sl_test_rand(rng) % 30000); /* likely late */
            r->c[S_TS].i = ts;
            r->c[S_TS].null = sl_test_rand(rng) % 30 == 0;
            r->c[S_K].i = (int64_t)(sl_test_rand(rng) % 7) - 2;
            r->c[S_K].null = sl_test_rand(rng) % 20 == 0;
            const char *s = strs[sl_test_rand(rng) % (sizeof(strs) / sizeof(strs[0]))];
            r->c[S_S].s = s;
            r->c[S_S].len = (uint32_t)strlen(s);
            r->c[S_S].null = sl_test_rand(rng) % 20 == 0;
            x = sl_test_rand(rng);
            r->c[S_V].i = x % 50 == 0   ? INT64_MAX
                          : x % 50 == 1 ? INT64_MIN
                                        : (int64_t)(sl_test_rand(rng) % 2001) - 1000;
            r->c[S_V].null = sl_test_rand(rng) % 10 == 0;
            x = sl_test_rand(rng);
            r->c[S_D].d = x % 60 == 0   ? NAN
                          : x % 60 == 1 ? -0.0
                          : x % 60 == 2 ? INFINITY
                          : x % 60 == 3 ? -INFINITY
                          : x % 60 == 4 ? 0.0
                                        : (double)((int64_t)(sl_test_rand(rng) % 801) - 400) / 4;
            r->c[S_D].null = sl_test_rand(rng) % 10 == 0;
            r->c[S_M].i = (int64_t)(sl_test_rand(rng) % 200001) - 100000;
            r->c[S_M].null = sl_test_rand(rng) % 10 == 0;
            if (r->selected && !r->c[S_TS].null && ts > maxts)
                maxts = ts;
        }
        if (maxts != INT64_MIN && sl_test_rand(rng) % 4 != 0) {
            struct event *w = &st->ev[st->nev++];
            w->is_wm = true;
            w->wm = maxts - 5000 - 1; /* bounded out-of-orderness, as Flink's generator */
        }
    }
    struct event *end = &st->ev[st->nev++];
    end->is_wm = true;
    end->wm = INT64_MAX;
}

static void stream_free(struct stream *st)
{
    free(st->rows);
    free(st->ev);
}

static struct sl_batch *make_batch(struct sl_batch_pool *pool, const struct stream *st,
                                   const struct event *e)
{
    struct sl_batch *b = sl_batch_pool_get(pool);
    assert_non_null(b);
    for (uint32_t j = 0; j < e->n; j++) {
        const struct in_row *r = &st->rows[e->first + j];
        for (uint32_t c = 0; c < S_NCOLS; c++) {
            struct sl_column *col = &b->cols[c];
            sl_col_set_null(col, j, r->c[c].null);
            switch (c) {
            case S_S: {
                sl_str v = sl_batch_str(b, r->c[c].s, r->c[c].len);
                assert_true(sl_str_ok(v));
                sl_col_str(col)[j] = v;
                break;
            }
            case S_D:
                sl_col_f64(col)[j] = r->c[c].d;
                break;
            default:
                sl_col_i64(col)[j] = r->c[c].i;
                break;
            }
        }
    }
    b->rows = e->n;
    if (e->with_sel) {
        sl_sel_t *sel = sl_batch_sel_next(b);
        uint32_t k = 0;
        for (uint32_t j = 0; j < e->n; j++)
            if (st->rows[e->first + j].selected)
                sel[k++] = j;
        sl_batch_sel_commit(b, sel, k);
    }
    return b;
}

/* Pushes the rows of batch event `e` into `op`, in batches of at most SL_BATCH_CAP rows. */
static int push_event(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch_pool *pool,
                      const struct stream *st, const struct event *e, struct sl_error *err)
{
    for (uint32_t off = 0; off < e->n; off += SL_BATCH_CAP) {
        struct event sub = *e;
        sub.first = e->first + off;
        sub.n = e->n - off < SL_BATCH_CAP ? e->n - off : SL_BATCH_CAP;
        int rc = op->ops->push(op, ctx, make_batch(pool, st, &sub), err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- the reference ------------------------------------------------------------------------- */

struct acc {
    struct val key[8];
    uint64_t count;
    uint64_t cnt[16];
    uint64_t sum_i[16];
    double sum_d[16];
    struct val mn[16], mx[16];
};

/* Java's Double.compare: -0.0 < 0.0, NaN above everything. */
static int jcmp(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    return (int)signbit(b) - (int)signbit(a);
}

static bool val_eq(const struct val *a, const struct val *b, uint8_t type)
{
    if (a->null || b->null)
        return a->null == b->null;
    if (type == SL_TYPE_VARCHAR)
        return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    if (type == SL_TYPE_DOUBLE)
        return jcmp(a->d, b->d) == 0;
    return a->i == b->i;
}

static int64_t floor_mod(int64_t a, int64_t m)
{
    int64_t r = a % m;
    return r < 0 ? r + m : r;
}

/* round half up of num / den, den > 0 (written apart from the operator's version) */
static int64_t div_half_up(int64_t num, int64_t den)
{
    if (num >= 0)
        return (2 * num + den) / (2 * den);
    return -((2 * -num + den) / (2 * den));
}

static uint64_t reference(const struct query *q, struct stream *st, int nstreams, struct lines *out)
{
    const struct sl_plan *win = q->window, *pre = q->pre, *agg = q->agg;
    const uint32_t nkeys = agg->agg.nkeys, naggs = agg->agg.naggs;
    const int64_t size = win->window.size_ms;
    const int64_t slide = win->window.kind != SL_WINDOW_TUMBLE ? win->window.slide_ms : size;
    const bool cumulate = win->window.kind == SL_WINDOW_CUMULATE;
    size_t cap = 1024, ngroups = 0;
    struct acc *g = calloc(cap, sizeof(*g));
    assert_non_null(g);
    uint64_t late = 0;
    for (int w = 0; w < nstreams; w++) {
        int64_t wm = INT64_MIN;
        for (uint32_t e = 0; e < st[w].nev; e++) {
            const struct event *ev = &st[w].ev[e];
            if (ev->is_wm) {
                if (ev->wm > wm)
                    wm = ev->wm;
                continue;
            }
            for (uint32_t j = 0; j < ev->n; j++) {
                const struct in_row *r = &st[w].rows[ev->first + j];
                if (!r->selected || r->c[S_TS].null)
                    continue;
                int64_t ts = r->c[S_TS].i;
                int64_t last = ts - floor_mod(ts - win->window.offset_ms, slide);
                /* CUMULATE: one start, ends from the step after ts to the period's end */
                int64_t cstart = ts - floor_mod(ts - win->window.offset_ms, size);
                for (int64_t wi = 0;; wi++) {
                    int64_t start = cumulate ? cstart : last - wi * slide;
                    int64_t end = cumulate ? last + (wi + 1) * slide : start + size;
                    if (cumulate ? end > cstart + size : start <= ts - size)
                        break;
                    if (end - 1 <= wm) {
                        late++;
                        continue;
                    }
                    struct val wrow[S_NCOLS + 3];
                    memcpy(wrow, r->c, sizeof(r->c));
                    wrow[S_NCOLS] = (struct val){.i = start};
                    wrow[S_NCOLS + 1] = (struct val){.i = end};
                    wrow[S_NCOLS + 2] = (struct val){.i = end - 1};
                    struct val prow[32];
                    for (uint32_t c = 0; c < pre->project.nexprs; c++) {
                        int col = pre->project.exprs[c]->col;
                        if (q->sliced && (int)c == agg->agg.window_start) /* not ts */
                            col = S_NCOLS;
                        if (q->sliced && (int)c == agg->agg.window_end)
                            col = S_NCOLS + 1;
                        prow[c] = wrow[col];
                    }
                    size_t gi = 0;
                    for (; gi < ngroups; gi++) {
                        uint32_t k = 0;
                        while (k < nkeys &&
                               val_eq(&g[gi].key[k], &prow[k], pre->out.cols[k].type.id))
                            k++;
                        if (k == nkeys)
                            break;
                    }
                    if (gi == ngroups) {
                        if (ngroups == cap) {
                            g = realloc(g, 2 * cap * sizeof(*g));
                            assert_non_null(g);
                            memset(g + cap, 0, cap * sizeof(*g));
                            cap *= 2;
                        }
                        memcpy(g[gi].key, prow, nkeys * sizeof(*prow));
                        for (uint32_t a = 0; a < naggs; a++)
                            g[gi].mn[a].null = g[gi].mx[a].null = true;
                        ngroups++;
                    }
                    struct acc *A = &g[gi];
                    A->count++;
                    for (uint32_t a = 0; a < naggs; a++) {
                        const struct sl_agg *ag = &agg->agg.aggs[a];
                        if (ag->fn == SL_AGG_COUNT_STAR)
                            continue;
                        const struct val *v = &prow[ag->col];
                        if (v->null)
                            continue;
                        uint8_t t = pre->out.cols[ag->col].type.id;
                        A->cnt[a]++;
                        A->sum_i[a] += (uint64_t)v->i;
                        A->sum_d[a] += v->d;
                        if (A->mn[a].null ||
                            (t == SL_TYPE_DOUBLE ? jcmp(v->d, A->mn[a].d) < 0 : v->i < A->mn[a].i))
                            A->mn[a] = *v;
                        if (A->mx[a].null ||
                            (t == SL_TYPE_DOUBLE ? jcmp(v->d, A->mx[a].d) > 0 : v->i > A->mx[a].i))
                            A->mx[a] = *v;
                    }
                }
            }
        }
    }
    bool fold[64];
    fold_mask(agg, fold);
    for (size_t gi = 0; gi < ngroups; gi++) {
        struct acc *A = &g[gi];
        struct val o[64];
        memcpy(o, A->key, nkeys * sizeof(*o));
        for (uint32_t a = 0; a < naggs; a++) {
            const struct sl_agg *ag = &agg->agg.aggs[a];
            struct val *v = &o[nkeys + a];
            memset(v, 0, sizeof(*v));
            uint8_t t = ag->col >= 0 ? pre->out.cols[ag->col].type.id : SL_TYPE_BIGINT;
            switch (ag->fn) {
            case SL_AGG_COUNT_STAR:
                v->i = (int64_t)A->count;
                break;
            case SL_AGG_COUNT:
                v->i = (int64_t)A->cnt[a];
                break;
            case SL_AGG_MIN:
                *v = A->mn[a];
                break;
            case SL_AGG_MAX:
                *v = A->mx[a];
                break;
            case SL_AGG_SUM:
            case SL_AGG_AVG:
                if (A->cnt[a] == 0) {
                    v->null = true;
                    break;
                }
                if (t == SL_TYPE_DOUBLE) {
                    v->d = A->sum_d[a];
                    if (ag->fn == SL_AGG_AVG)
                        v->d /= (double)A->cnt[a];
                } else if (ag->fn == SL_AGG_SUM) {
                    v->i = (int64_t)A->sum_i[a];
                } else if (t == SL_TYPE_DECIMAL) {
                    unsigned up = ag->type.scale - pre->out.cols[ag->col].type.scale;
                    v->i = div_half_up((int64_t)A->sum_i[a] * sl_pow10_i64(up), (int64_t)A->cnt[a]);
                } else {
                    v->i = (int64_t)A->sum_i[a] / (int64_t)A->cnt[a];
                }
                break;
            }
        }
        lines_add(out, row_text(&agg->out, o, fold));
    }
    free(g);
    return late;
}

/* ---- the driver ---------------------------------------------------------------------------- */

static void run_sim(const struct query *q, int nworkers, struct stream *st, uint64_t seed,
                    struct lines *got, uint64_t *late)
{
    struct sim sim;
    sim_init(&sim, nworkers, q, 4);
    struct sl_schema *in_schema = schema_of(&q->window->input->out);
    struct sl_batch_pool *pools[MAXW];
    uint32_t next[MAXW] = {0};
    for (int i = 0; i < nworkers; i++) {
        pools[i] = sl_batch_pool_new(sim.w[i].ctx.heap, in_schema, 2);
        assert_non_null(pools[i]);
    }
    uint64_t rng = seed;
    for (;;) {
        int left = 0;
        for (int i = 0; i < nworkers; i++)
            left += next[i] < st[i].nev;
        if (!left)
            break;
        int i = (int)(sl_test_rand(&rng) % (uint64_t)nworkers);
        if (sl_test_rand(&rng) % 3 == 0) {
            deliver(i);
            continue;
        }
        if (next[i] == st[i].nev)
            continue;
        struct worker *w = &sim.w[i];
        const struct event *e = &st[i].ev[next[i]++];
        struct sl_error err;
        sl_error_clear(&err);
        int rc = e->is_wm ? w->win->ops->watermark(w->win, &w->ctx, e->wm, &err)
                          : push_event(w->win, &w->ctx, pools[i], &st[i], e, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
    }
    for (int i = 0; i < nworkers; i++)
        deliver(i);
    *late = 0;
    for (int i = 0; i < nworkers; i++) {
        struct worker *w = &sim.w[i];
        assert_int_equal(w->col.wm, INT64_MAX);
        struct sl_error err;
        assert_int_equal(w->win->ops->finish(w->win, &w->ctx, &err), 0);
        assert_int_equal(w->col.finished, 1);
        *late += w->stats.late_rows;
        for (size_t r = 0; r < w->col.rows.n; r++)
            lines_add(got, w->col.rows.v[r]);
        w->col.rows.n = 0;
        assert_int_equal(sl_batch_pool_outstanding(pools[i]), 0);
        sl_batch_pool_free(pools[i]);
    }
    if (nworkers > 1)
        assert_true(sim.sent > 0);
    sim_free(&sim);
    sl_schema_free(in_schema);
}

static void check_random(const char *sql, uint32_t rows_per_worker)
{
    struct query q;
    bind_query(&q, sql);
    static const int counts[] = {1, 2, 4};
    for (uint64_t seed = 1; seed <= 3; seed++) {
        for (size_t c = 0; c < 3; c++) {
            int n = counts[c];
            struct stream st[MAXW];
            uint64_t rng = seed * 7919 + (uint64_t)n;
            for (int i = 0; i < n; i++)
                gen_stream(&st[i], rows_per_worker / (uint32_t)n + 1,
                           seed == 2 ? -40000 : 1700000000000ll, &rng);
            struct lines want = {0}, got = {0};
            uint64_t want_late = reference(&q, st, n, &want);
            uint64_t got_late = 0;
            run_sim(&q, n, st, seed, &got, &got_late);
            assert_true(want.n > 0);
            lines_compare(&got, &want);
            assert_int_equal(got_late, want_late);
            lines_free(&want);
            lines_free(&got);
            for (int i = 0; i < n; i++)
                stream_free(&st[i]);
        }
    }
    sl_job_free(q.job);
}

static void test_tumble_random(void **state)
{
    (void)state;
    check_random(q_tumble, 3000);
}

static void test_hop_varchar_random(void **state)
{
    (void)state;
    check_random(q_hop, 2000);
}

static void test_no_key_random(void **state)
{
    (void)state;
    check_random(q_nokey, 1500);
}

/* ---- hand-computed cases ------------------------------------------------------------------- */

static struct in_row hrow(int64_t k, bool vnull, int64_t v, double d, bool mnull, int64_t m,
                          bool tsnull, int64_t ts)
{
    struct in_row r;
    memset(&r, 0, sizeof(r));
    r.selected = true;
    r.c[S_K].i = k;
    r.c[S_S].s = "x";
    r.c[S_S].len = 1;
    r.c[S_V] = (struct val){.null = vnull, .i = v};
    r.c[S_D].d = d;
    r.c[S_M] = (struct val){.null = mnull, .i = m};
    r.c[S_TS] = (struct val){.null = tsnull, .i = ts};
    return r;
}

static void test_hand_computed(void **state)
{
    (void)state;
    struct query q;
    bind_query(&q, q_tumble);
    struct in_row rows[] = {
        hrow(1, false, 5, 1.5, false, 125, false, 1000),
        hrow(1, true, 0, -0.0, false, 250, false, 9999),
        hrow(2, false, 7, NAN, true, 0, false, 10000),
        hrow(1, false, 3, 2.0, false, 100, true, 0), /* NULL time: no window */
        hrow(3, false, 1, 0.0, false, 1, false, 20000),
        hrow(3, false, 2, 0.0, false, 1, false, 20001),
        hrow(3, false, 4, 0.0, false, 0, false, 20002),
        hrow(4, false, -1, 0.0, false, -1, false, 20000),
        hrow(4, false, -2, 0.0, false, -1, false, 20001),
        hrow(4, false, -4, 0.0, false, 0, false, 20002),
        hrow(5, false, 9, 9.0, false, 9, false, 5000), /* late after the watermark 9999 */
    };
    struct event ev[] = {
        {.first = 0, .n = 10},
        {.is_wm = true, .wm = 9999},
        {.first = 10, .n = 1},
        {.is_wm = true, .wm = INT64_MAX},
    };
    struct stream st = {rows, 11, ev, 4};
    struct lines got = {0};
    uint64_t late = 0;
    run_sim(&q, 1, &st, 1, &got, &late);
    assert_int_equal(late, 1);
    /* k|ws|we|count|count(v)|sum(v)|min(v)|max(v)|avg(v)|sum(d)|min(d)|max(d)|avg(d)|
     * sum(m)|min(m)|max(m)|avg(m) */
    const char *want[] = {
        "1|0|10000|2|1|5|5|5|5|0x1.8p+0|-0x0p+0|0x1.8p+0|0x1.8p-1|375|125|250|1875000",
        "2|10000|20000|1|1|7|7|7|7|nan|nan|nan|nan|NULL|NULL|NULL|NULL",
        "3|20000|30000|3|3|7|1|4|2|0|0x0p+0|0x0p+0|0|2|0|1|6667",
        "4|20000|30000|3|3|-7|-4|-1|-2|0|0x0p+0|0x0p+0|0|-2|-1|0|-6667",
    };
    struct lines w = {0};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        lines_add(&w, strdup(want[i]));
    lines_compare(&got, &w);
    /* the reference agrees with the hand-computed rows */
    struct lines ref = {0};
    assert_int_equal(reference(&q, &st, 1, &ref), 1);
    lines_compare(&ref, &w);
    lines_free(&ref);
    lines_free(&w);
    lines_free(&got);
    sl_job_free(q.job);
}

/* The Window operator alone: Flink's order of HOP windows, NULL times dropped, selections,
 * strings copied out of the input batch. */
struct grab {
    struct sl_op op;
    struct lines rows;
};

static int grab_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                     struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct grab *g = (struct grab *)op;
    for (uint32_t r = 0; r < b->rows; r++) {
        char line[256];
        const sl_str *s = &sl_col_str(&b->cols[S_S])[r];
        snprintf(line, sizeof(line), "%lld|%.*s|%lld|%lld|%lld|%lld",
                 (long long)sl_col_i64(&b->cols[S_K])[r], (int)s->len, sl_str_data(s),
                 (long long)sl_col_i64(&b->cols[S_TS])[r],
                 (long long)sl_col_i64(&b->cols[S_NCOLS])[r],
                 (long long)sl_col_i64(&b->cols[S_NCOLS + 1])[r],
                 (long long)sl_col_i64(&b->cols[S_NCOLS + 2])[r]);
        lines_add(&g->rows, strdup(line));
    }
    sl_batch_pool_put(b);
    return 0;
}

static int grab_wm(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm, struct sl_error *err)
{
    (void)op;
    (void)ctx;
    (void)err;
    (void)wm;
    return 0;
}

static const struct sl_op_ops grab_ops = {
    .name = "grab", .push = grab_push, .watermark = grab_wm, .free = noop_free};

static void test_window_op(void **state)
{
    (void)state;
    struct query q;
    bind_query(&q, q_hop_copy);
    assert_false(q.sliced);
    struct sl_worker_stats stats = {0};
    struct sl_worker_ctx ctx = {.worker = 0,
                                .nworkers = 1,
                                .heap = sl_heap_new(),
                                .sql = q.job->file->src,
                                .stats = &stats};
    struct sl_op *w;
    struct sl_error err;
    assert_int_equal(sl_op_window_new(q.window, &ctx, &w, &err), 0);
    struct grab g = {{&grab_ops, NULL, NULL, 0}, {0}};
    w->next = &g.op;
    struct sl_schema *sch = schema_of(&q.window->input->out);
    struct sl_batch_pool *pool = sl_batch_pool_new(ctx.heap, sch, 2);
    struct in_row rows[] = {
        hrow(1, false, 0, 0, false, 0, false, 12345),
        hrow(2, false, 0, 0, false, 0, true, 0),   /* NULL time */
        hrow(3, false, 0, 0, false, 0, false, -1), /* negative: floor, not truncation */
    };
    rows[0].c[S_S].s = strs[5];
    rows[0].c[S_S].len = (uint32_t)strlen(strs[5]);
    struct event ev = {.first = 0, .n = 3};
    struct stream st = {rows, 3, &ev, 1};
    /* twice: all rows, then with row 0 unselected */
    for (int pass = 0; pass < 2; pass++) {
        rows[0].selected = pass == 0;
        ev.with_sel = pass == 1;
        assert_int_equal(push_event(w, &ctx, pool, &st, &ev, &err), 0);
    }
    const char *want[] = {
        "1|a-long-key-that-lives-in-the-heap|12345|12000|22000|21999",
        "1|a-long-key-that-lives-in-the-heap|12345|10000|20000|19999",
        "1|a-long-key-that-lives-in-the-heap|12345|8000|18000|17999",
        "1|a-long-key-that-lives-in-the-heap|12345|6000|16000|15999",
        "1|a-long-key-that-lives-in-the-heap|12345|4000|14000|13999",
        "3|x|-1|-2000|8000|7999",
        "3|x|-1|-4000|6000|5999",
        "3|x|-1|-6000|4000|3999",
        "3|x|-1|-8000|2000|1999",
        "3|x|-1|-10000|0|-1",
        "3|x|-1|-2000|8000|7999",
        "3|x|-1|-4000|6000|5999",
        "3|x|-1|-6000|4000|3999",
        "3|x|-1|-8000|2000|1999",
        "3|x|-1|-10000|0|-1",
    };
    size_t nw = sizeof(want) / sizeof(want[0]);
    assert_int_equal(g.rows.n, nw);
    for (size_t i = 0; i < nw; i++) /* in order: Flink's, latest window first */
        assert_string_equal(g.rows.v[i], want[i]);
    assert_int_equal(sl_batch_pool_outstanding(pool), 0);
    lines_free(&g.rows);
    w->ops->free(w);
    sl_batch_pool_free(pool);
    sl_schema_free(sch);
    sl_heap_free(ctx.heap);
    sl_job_free(q.job);
}

/* AVG of a DECIMAL whose result does not fit in 64 bits at scale 6: an error at the SQL. */
static void test_avg_decimal_overflow(void **state)
{
    (void)state;
    struct query q;
    bind_query(&q, q_tumble);
    struct sim sim;
    sim_init(&sim, 1, &q, 4);
    struct in_row rows[] = {hrow(1, false, 0, 0, false, 999999999999999ll, false, 0)};
    struct event ev = {.first = 0, .n = 1};
    struct stream st = {rows, 1, &ev, 1};
    struct sl_schema *sch = schema_of(&q.window->input->out);
    struct sl_batch_pool *pool = sl_batch_pool_new(sim.w[0].ctx.heap, sch, 2);
    struct worker *w = &sim.w[0];
    struct sl_error err;
    sl_error_clear(&err);
    assert_int_equal(push_event(w->win, &w->ctx, pool, &st, &ev, &err), 0);
    assert_int_equal(w->win->ops->watermark(w->win, &w->ctx, INT64_MAX, &err), 0);
    struct sl_msg m;
    int rc = 0;
    while (rc == 0 && sl_ring_pop(sim.ring[0][0], &m))
        rc = w->agg->ops->receive(w->agg, &w->ctx, 0, m, &err);
    assert_int_equal(rc, SL_EOVERFLOW);
    assert_non_null(strstr(err.msg, "q.sql:"));
    assert_non_null(strstr(err.msg, "does not fit"));
    while (sl_ring_pop(sim.ring[0][0], &m))
        ;
    sl_batch_pool_free(pool);
    sl_schema_free(sch);
    sim_free(&sim);
    sl_job_free(q.job);
}

/* ---- checkpoints: save / restore ----------------------------------------------------------- */

/* What a cut carries over besides the operators' state bytes: the rows already collected
 * (downstream of the cut), the collectors' watermarks and the late-row counts. */
struct carry {
    int64_t colwm[MAXW];
};

/* A checkpoint at a consistent cut and a restart: every message in flight is delivered (the
 * engine saves after barrier alignment), every window aggregation saves, the whole
 * simulation is freed and built again, and the fresh operators restore those bytes (which
 * they then save identically). */
static void cut_and_restore(struct sim *sim, const struct query *q, struct sl_batch_pool **pools,
                            const struct sl_schema *in_schema, struct lines *got, uint64_t *late)
{
    int n = sim->n;
    for (int i = 0; i < n; i++)
        deliver(i);
    struct sl_sbuf sb[MAXW];
    struct carry c;
    for (int i = 0; i < n; i++) {
        struct worker *w = &sim->w[i];
        struct sl_error err;
        sl_error_clear(&err);
        sl_sbuf_init(&sb[i]);
        assert_non_null(w->agg->ops->save);
        int rc = w->agg->ops->save(w->agg, &w->ctx, &sb[i], &err);
        if (rc)
            fprintf(stderr, "save: %s\n", err.msg);
        assert_int_equal(rc, 0);
        c.colwm[i] = w->col.wm;
        assert_int_equal(w->col.finished, 0);
        *late += w->stats.late_rows;
        for (size_t r = 0; r < w->col.rows.n; r++)
            lines_add(got, w->col.rows.v[r]);
        w->col.rows.n = 0;
        assert_int_equal(sl_batch_pool_outstanding(pools[i]), 0);
        sl_batch_pool_free(pools[i]);
    }
    sim_free(sim);
    sim_init(sim, n, q, 4);
    for (int i = 0; i < n; i++) {
        struct worker *w = &sim->w[i];
        pools[i] = sl_batch_pool_new(w->ctx.heap, in_schema, 2);
        assert_non_null(pools[i]);
        w->col.wm = c.colwm[i];
        struct sl_sread r;
        struct sl_error err;
        sl_error_clear(&err);
        sl_sread_init(&r, sb[i].p, sb[i].len, "window aggregation state");
        int rc = w->agg->ops->restore(w->agg, &w->ctx, &r, &err);
        if (rc)
            fprintf(stderr, "restore: %s\n", err.msg);
        assert_int_equal(rc, 0);
        assert_int_equal(sl_sread_end(&r, NULL), 0);
        /* a second restore into the same operator is refused unless nothing was there */
        struct sl_sbuf again;
        sl_sbuf_init(&again);
        assert_int_equal(w->agg->ops->save(w->agg, &w->ctx, &again, NULL), 0);
        assert_int_equal(again.len, sb[i].len);
        assert_memory_equal(again.p, sb[i].p, sb[i].len);
        sl_sbuf_free(&again);
        sl_sbuf_free(&sb[i]);
    }
}

/* run_sim with checkpoints: a cut every `every` steps, and one right after the first
 * watermark event that follows step `wm_cut_after`. Returns the number of cuts. */
static int run_sim_cut(const struct query *q, int nworkers, struct stream *st, uint64_t seed,
                       uint64_t every, uint64_t wm_cut_after, struct lines *got, uint64_t *late)
{
    struct sim sim;
    sim_init(&sim, nworkers, q, 4);
    struct sl_schema *in_schema = schema_of(&q->window->input->out);
    struct sl_batch_pool *pools[MAXW];
    uint32_t next[MAXW] = {0};
    for (int i = 0; i < nworkers; i++) {
        pools[i] = sl_batch_pool_new(sim.w[i].ctx.heap, in_schema, 2);
        assert_non_null(pools[i]);
    }
    *late = 0;
    uint64_t rng = seed, step = 0;
    int cuts = 0;
    bool wm_cut_done = false;
    for (;;) {
        int left = 0;
        for (int i = 0; i < nworkers; i++)
            left += next[i] < st[i].nev;
        if (!left)
            break;
        int i = (int)(sl_test_rand(&rng) % (uint64_t)nworkers);
        if (sl_test_rand(&rng) % 3 == 0) {
            deliver(i);
            continue;
        }
        if (next[i] == st[i].nev)
            continue;
        struct worker *w = &sim.w[i];
        const struct event *e = &st[i].ev[next[i]++];
        struct sl_error err;
        sl_error_clear(&err);
        int rc = e->is_wm ? w->win->ops->watermark(w->win, &w->ctx, e->wm, &err)
                          : push_event(w->win, &w->ctx, pools[i], &st[i], e, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
        step++;
        bool cut = step % every == 0;
        if (!wm_cut_done && step > wm_cut_after && e->is_wm && e->wm != INT64_MAX) {
            wm_cut_done = true;
            cut = true;
        }
        if (cut) {
            cut_and_restore(&sim, q, pools, in_schema, got, late);
            cuts++;
        }
    }
    for (int i = 0; i < nworkers; i++)
        deliver(i);
    for (int i = 0; i < nworkers; i++) {
        struct worker *w = &sim.w[i];
        assert_int_equal(w->col.wm, INT64_MAX);
        struct sl_error err;
        assert_int_equal(w->win->ops->finish(w->win, &w->ctx, &err), 0);
        assert_int_equal(w->col.finished, 1);
        *late += w->stats.late_rows;
        for (size_t r = 0; r < w->col.rows.n; r++)
            lines_add(got, w->col.rows.v[r]);
        w->col.rows.n = 0;
        assert_int_equal(sl_batch_pool_outstanding(pools[i]), 0);
        sl_batch_pool_free(pools[i]);
    }
    sim_free(&sim);
    sl_schema_free(in_schema);
    return cuts;
}

/* TUMBLE / HOP at 1 and 3 workers, interrupted at several points and restored each time:
 * the output and the late-row count equal the uninterrupted run's and the reference. */
static void check_cuts(const char *sql, uint32_t rows_per_worker)
{
    struct query q;
    bind_query(&q, sql);
    static const int counts[] = {1, 3};
    for (uint64_t seed = 1; seed <= 2; seed++) {
        for (size_t c = 0; c < 2; c++) {
            int n = counts[c];
            struct stream st[MAXW];
            uint64_t rng = seed * 104729 + (uint64_t)n;
            uint64_t nev = 0;
            for (int i = 0; i < n; i++) {
                gen_stream(&st[i], rows_per_worker / (uint32_t)n + 1,
                           seed == 2 ? -40000 : 1700000000000ll, &rng);
                nev += st[i].nev;
            }
            struct lines want = {0}, plain = {0};
            uint64_t want_late = reference(&q, st, n, &want), plain_late = 0;
            run_sim(&q, n, st, seed, &plain, &plain_late);
            lines_compare(&plain, &want);
            assert_int_equal(plain_late, want_late);
            /* cuts: every few steps (many), every quarter, once after a watermark */
            static const uint64_t div[] = {40, 4, 1};
            for (size_t d = 0; d < 3; d++) {
                struct lines got = {0};
                uint64_t got_late = 0;
                uint64_t every = nev / div[d] + 1;
                if (div[d] == 1)
                    every = nev * 10; /* no periodic cut: only the watermark one */
                int cuts = run_sim_cut(&q, n, st, seed, every, nev / 3, &got, &got_late);
                assert_true(cuts >= 1);
                lines_compare(&got, &want);
                assert_int_equal(got_late, want_late);
                lines_free(&got);
            }
            lines_free(&want);
            lines_free(&plain);
            for (int i = 0; i < n; i++)
                stream_free(&st[i]);
        }
    }
    sl_job_free(q.job);
}

static void test_tumble_checkpoints(void **state)
{
    (void)state;
    check_cuts(q_tumble, 1500);
}

static void test_hop_checkpoints(void **state)
{
    (void)state;
    check_cuts(q_hop, 1000);
}

/* SESSION windows (gap 2 s), hand-computed as Flink's MergingWindowSet merges: windows that
 * intersect or touch merge; a late row that bridges two open sessions of a key joins them;
 * a row whose own window the watermark has fired is late; on 1 and 2 workers (the second
 * only sends watermarks, so the sessions of the keys it owns cross the rings), with and
 * without checkpoint cuts. */
static const char q_session[] =
    "CREATE TABLE out4 (k BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3), c BIGINT, sv BIGINT,\n"
    "  mxv BIGINT) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO out4 SELECT k, window_start, window_end, COUNT(*), SUM(v), MAX(v)\n"
    "  FROM TABLE(SESSION(TABLE src PARTITION BY k, DESCRIPTOR(ts), INTERVAL '2' SECOND))\n"
    "  GROUP BY k, window_start, window_end;";

static void test_session_hand(void **state)
{
    (void)state;
    struct query q;
    bind_query(&q, q_session);
    assert_true(q.agg->agg.session);
    struct in_row rows[] = {
        hrow(1, false, 1, 0, false, 0, false, 1000),
        hrow(1, false, 2, 0, false, 0, false, 2500), /* [2500, 4500) meets [1000, 3000) */
        hrow(1, false, 4, 0, false, 0, false, 8000), /* a session of its own */
        hrow(2, false, 10, 0, false, 0, false, 10000),
        hrow(2, false, 20, 0, false, 0, false, 13000), /* apart: 12000 < 13000 */
        hrow(3, false, 5, 0, false, 0, false, 20000),
        hrow(3, true, 0, 0, false, 0, false, 22000),   /* touches [20000, 22000): merges */
        hrow(9, false, 1, 0, false, 0, true, 0),       /* NULL time: no window */
        hrow(2, false, 30, 0, false, 0, false, 11500), /* bridges [10000, 12000), [13000, ..) */
        hrow(4, false, 7, 0, false, 0, false, 1000),   /* late: [1000, 3000) fired by 11000 */
    };
    struct event ev[] = {
        {.first = 0, .n = 8},
        {.is_wm = true, .wm = 11000},
        {.first = 8, .n = 2},
        {.is_wm = true, .wm = INT64_MAX},
    };
    const char *want[] = {
        "1|1000|4500|2|3|2",
        "1|8000|10000|1|4|4",
        "2|10000|15000|3|60|30",
        "3|20000|24000|2|5|5",
    };
    struct lines w = {0};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        lines_add(&w, strdup(want[i]));
    struct event idle_ev[] = {{.is_wm = true, .wm = 11000}, {.is_wm = true, .wm = INT64_MAX}};
    for (int n = 1; n <= 2; n++) {
        struct stream st[2] = {{rows, 10, ev, 4}, {rows, 0, idle_ev, 2}};
        struct lines got = {0};
        uint64_t late = 0;
        run_sim(&q, n, st, 7, &got, &late);
        assert_int_equal(late, 1);
        lines_compare(&got, &w);
        lines_free(&got);
        for (uint64_t every = 1; every <= 3; every++) {
            struct lines cut = {0};
            late = 0;
            assert_true(run_sim_cut(&q, n, st, 7, every, 1, &cut, &late) >= 1);
            assert_int_equal(late, 1);
            lines_compare(&cut, &w);
            lines_free(&cut);
        }
    }
    lines_free(&w);
    sl_job_free(q.job);
}

/* SESSION windows over long streams in which sessions keep firing (so the operator's session
 * set fires a few sessions at each watermark and compacts its table of groups many times):
 * every worker's rows in time order, its watermark 2 ms behind its newest row, so no row is
 * late and none reaches a session already fired (a row at ts >= wm + 2 > end - 1 + 2 of every
 * fired session). Each key's sessions are then what Flink's session definition gives for all
 * rows at once: the rows by time, a new session where a row starts after the last end (ts >
 * previous ts + gap; touching windows merge). On 1 and 2 workers, with and without cuts. */
struct sess_ref {
    int64_t k, ts, v;
};

static int cmp_sess_ref(const void *x, const void *y)
{
    const struct sess_ref *a = x, *b = y;
    if (a->k != b->k)
        return a->k < b->k ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return 0;
}

static void sess_stream(struct stream *st, uint32_t nrows, uint64_t *rng, struct sess_ref *ref)
{
    st->rows = calloc(nrows + 1, sizeof(*st->rows));
    st->ev = calloc(2 * nrows + 2, sizeof(*st->ev));
    assert_non_null(st->rows);
    assert_non_null(st->ev);
    st->nrows = nrows;
    st->nev = 0;
    int64_t t = 1700000000000ll;
    for (uint32_t i = 0; i < nrows;) {
        uint32_t bn = 1 + (uint32_t)(sl_test_rand(rng) % 8);
        if (bn > nrows - i)
            bn = nrows - i;
        st->ev[st->nev++] = (struct event){.first = i, .n = bn};
        for (uint32_t j = 0; j < bn; j++, i++) {
            t += (int64_t)(sl_test_rand(rng) % 100);
            int64_t k = (int64_t)(sl_test_rand(rng) % 97);
            int64_t v = (int64_t)(sl_test_rand(rng) % 1000);
            st->rows[i] = hrow(k, false, v, 0, false, 0, false, t);
            ref[i] = (struct sess_ref){k, t, v};
        }
        st->ev[st->nev++] = (struct event){.is_wm = true, .wm = t - 2};
    }
    st->ev[st->nev++] = (struct event){.is_wm = true, .wm = INT64_MAX};
}

static void test_session_many(void **state)
{
    (void)state;
    struct query q;
    bind_query(&q, q_session);
    const uint32_t per = 3000;
    const int64_t gap = 2000;
    for (int n = 1; n <= 2; n++) {
        uint64_t rng = 4242 + (uint64_t)n;
        struct stream st[2];
        struct sess_ref *ref = calloc(2 * per, sizeof(*ref));
        assert_non_null(ref);
        for (int i = 0; i < n; i++)
            sess_stream(&st[i], per, &rng, ref + (size_t)i * per);
        size_t nref = (size_t)n * per;
        qsort(ref, nref, sizeof(*ref), cmp_sess_ref);
        struct lines want = {0};
        for (size_t i = 0; i < nref;) {
            int64_t end = ref[i].ts + gap, sum = 0, mx = INT64_MIN, cnt = 0;
            size_t j = i;
            for (; j < nref && ref[j].k == ref[i].k && ref[j].ts <= end; j++) {
                if (ref[j].ts + gap > end)
                    end = ref[j].ts + gap;
                sum += ref[j].v;
                mx = ref[j].v > mx ? ref[j].v : mx;
                cnt++;
            }
            char line[128];
            snprintf(line, sizeof(line), "%lld|%lld|%lld|%lld|%lld|%lld", (long long)ref[i].k,
                     (long long)ref[i].ts, (long long)end, (long long)cnt, (long long)sum,
                     (long long)mx);
            lines_add(&want, strdup(line));
            i = j;
        }
        assert_true(want.n > 1000); /* many sessions, fired along the way */
        struct lines got = {0};
        uint64_t late = 0;
        run_sim(&q, n, st, 11, &got, &late);
        assert_int_equal(late, 0);
        lines_compare(&got, &want);
        lines_free(&got);
        struct lines cut = {0};
        late = 0;
        assert_true(run_sim_cut(&q, n, st, 13, 400, 1500, &cut, &late) >= 2);
        assert_int_equal(late, 0);
        lines_compare(&cut, &want);
        lines_free(&cut);
        lines_free(&want);
        for (int i = 0; i < n; i++)
            stream_free(&st[i]);
        free(ref);
    }
    sl_job_free(q.job);
}

/* A state taken part-way through a 3-worker HOP (open windows with partials, final windows,
 * sender watermarks): truncated at every length and with random bit flips, restore into a
 * fresh operator gives SL_ECORRUPT or succeeds, never crashes, and the operator frees
 * cleanly; a state of 3 workers is refused by a 1-worker operator, naming both counts. */
static void test_restore_corrupt(void **state)
{
    (void)state;
    struct query q;
    bind_query(&q, q_hop);
    const int n = 3;
    struct stream st[MAXW];
    uint64_t rng = 31337;
    for (int i = 0; i < n; i++)
        gen_stream(&st[i], 40, 1700000000000ll, &rng);
    struct sim sim;
    sim_init(&sim, n, &q, 4);
    struct sl_schema *sch = schema_of(&q.window->input->out);
    struct sl_batch_pool *pools[MAXW];
    for (int i = 0; i < n; i++)
        pools[i] = sl_batch_pool_new(sim.w[i].ctx.heap, sch, 2);
    /* about two thirds of every worker's events, then everything delivered */
    for (int i = 0; i < n; i++) {
        struct worker *w = &sim.w[i];
        for (uint32_t k = 0; k < st[i].nev * 2 / 3; k++) {
            const struct event *e = &st[i].ev[k];
            struct sl_error err;
            int rc = e->is_wm ? w->win->ops->watermark(w->win, &w->ctx, e->wm, &err)
                              : push_event(w->win, &w->ctx, pools[i], &st[i], e, &err);
            assert_int_equal(rc, 0);
        }
    }
    for (int i = 0; i < n; i++)
        deliver(i);
    struct sl_sbuf sb;
    sl_sbuf_init(&sb);
    struct worker *w0 = &sim.w[1];
    assert_int_equal(w0->agg->ops->save(w0->agg, &w0->ctx, &sb, NULL), 0);
    assert_true(sb.len > 100);
    size_t step = sb.len > 4000 ? sb.len / 2000 : 1;
    uint8_t *copy = malloc(sb.len);
    for (size_t len = 0; len < sb.len; len += (len < 200 ? 1 : step)) {
        struct sl_op *op;
        assert_int_equal(sl_op_winagg_new(q.agg, &w0->ctx, &op, NULL), 0);
        uint8_t *t = malloc(len + 1);
        memcpy(t, sb.p, len);
        struct sl_sread r;
        sl_sread_init(&r, t, len, "cut");
        assert_int_equal(op->ops->restore(op, &w0->ctx, &r, NULL), SL_ECORRUPT);
        op->ops->free(op);
        free(t);
    }
    int ok = 0, bad = 0;
    for (int t = 0; t < 1500; t++) {
        memcpy(copy, sb.p, sb.len);
        int flips = 1 + (int)(sl_test_rand(&rng) % 3);
        for (int f = 0; f < flips; f++) {
            uint64_t bit = sl_test_rand(&rng) % (sb.len * 8);
            copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        struct sl_op *op;
        assert_int_equal(sl_op_winagg_new(q.agg, &w0->ctx, &op, NULL), 0);
        struct sl_sread r;
        sl_sread_init(&r, copy, sb.len, "flipped");
        int rc = op->ops->restore(op, &w0->ctx, &r, NULL);
        if (rc == 0) {
            ok++;
            struct sl_sbuf again;
            sl_sbuf_init(&again);
            assert_int_equal(op->ops->save(op, &w0->ctx, &again, NULL), 0);
            sl_sbuf_free(&again);
        } else {
            assert_int_equal(rc, SL_ECORRUPT);
            bad++;
        }
        op->ops->free(op);
    }
    assert_true(bad > 0);
    free(copy);
    /* another worker count */
    struct sl_worker_ctx one = w0->ctx;
    one.nworkers = 1;
    one.worker = 0;
    struct sl_op *op;
    assert_int_equal(sl_op_winagg_new(q.agg, &one, &op, NULL), 0);
    struct sl_sread r;
    struct sl_error err;
    sl_sread_init(&r, sb.p, sb.len, "state");
    assert_int_equal(op->ops->restore(op, &one, &r, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "3 workers"));
    assert_non_null(strstr(err.msg, "runs 1"));
    op->ops->free(op);
    /* restore into an operator that has already run */
    struct sl_sread r2;
    sl_sread_init(&r2, sb.p, sb.len, "state");
    assert_int_equal(w0->agg->ops->restore(w0->agg, &w0->ctx, &r2, NULL), SL_ESTATE);
    sl_sbuf_free(&sb);
    /* drain: finish the run so the simulation frees cleanly */
    for (int i = 0; i < n; i++) {
        struct worker *w = &sim.w[i];
        assert_int_equal(w->win->ops->watermark(w->win, &w->ctx, INT64_MAX, NULL), 0);
    }
    for (int i = 0; i < n; i++)
        deliver(i);
    for (int i = 0; i < n; i++) {
        sl_batch_pool_free(pools[i]);
        stream_free(&st[i]);
    }
    sl_schema_free(sch);
    sim_free(&sim);
    sl_job_free(q.job);
}

/* ---- window slicing ------------------------------------------------------------------------ */

/* The same rows through the Window operator (a copy per window) and through slices: both give
 * the reference's rows and late-row count (a partly late row counts once per fired window). */
static void test_slicing_random(void **state)
{
    (void)state;
    struct query q;
    bind_query(&q, q_hop);
    assert_true(q.sliced);
    sl_job_free(q.job);
    check_random(q_hop_copy, 1000);
    check_random(q_cumulate, 1500);
    check_random(q_cumulate_nokey, 1000);
}

static void test_cumulate_checkpoints(void **state)
{
    (void)state;
    check_cuts(q_cumulate, 800);
}

/* A state of one table per window (format 1) is refused by a slicing operator and the other
 * way round, each with a message that names both formats. */
static void test_slice_state_format(void **state)
{
    (void)state;
    struct query copy, sliced;
    bind_query(&copy, q_hop_copy);
    bind_query(&sliced, q_hop);
    const struct query *from[2] = {&copy, &sliced}, *into[2] = {&sliced, &copy};
    for (int t = 0; t < 2; t++) {
        struct sl_worker_stats stats = {0};
        struct sl_worker_ctx ctx = {
            .worker = 0, .nworkers = 1, .heap = sl_heap_new(), .stats = &stats};
        struct sl_op *a, *b;
        struct sl_error err;
        assert_int_equal(sl_op_winagg_new(from[t]->agg, &ctx, &a, &err), 0);
        assert_int_equal(sl_op_winagg_new(into[t]->agg, &ctx, &b, &err), 0);
        struct sl_sbuf sb;
        sl_sbuf_init(&sb);
        assert_int_equal(a->ops->save(a, &ctx, &sb, &err), 0);
        struct sl_sread r;
        sl_sread_init(&r, sb.p, sb.len, "state");
        sl_error_clear(&err);
        assert_int_equal(b->ops->restore(b, &ctx, &r, &err), SL_ECORRUPT);
        assert_non_null(strstr(err.msg, t == 0 ? "format 1" : "format 2"));
        assert_non_null(strstr(err.msg, t == 0 ? "(format 2)" : "(format 1)"));
        sl_sbuf_free(&sb);
        a->ops->free(a);
        b->ops->free(b);
        sl_heap_free(ctx.heap);
    }
    sl_job_free(copy.job);
    sl_job_free(sliced.job);
}

int main(void)
{
    if (sl_simd_init() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_op),
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_avg_decimal_overflow),
        cmocka_unit_test(test_tumble_random),
        cmocka_unit_test(test_hop_varchar_random),
        cmocka_unit_test(test_no_key_random),
        cmocka_unit_test(test_tumble_checkpoints),
        cmocka_unit_test(test_hop_checkpoints),
        cmocka_unit_test(test_restore_corrupt),
        cmocka_unit_test(test_session_hand),
        cmocka_unit_test(test_session_many),
        cmocka_unit_test(test_slicing_random),
        cmocka_unit_test(test_cumulate_checkpoints),
        cmocka_unit_test(test_slice_state_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
