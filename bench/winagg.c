/*
 * bench/winagg.c - rows/s through Window -> column pick -> window aggregation on one worker:
 * TUMBLE(10 s) COUNT(*) per key and HOP(10 s, 2 s) COUNT(*) per key, 10 K random BIGINT keys,
 * 100 rows per millisecond of event time (so a 10 s window holds 1 M rows), a watermark
 * (last rowtime - 1 s) after every batch, so windows fire and are emitted as the stream
 * goes. items_per_second counts input rows.
 *
 * The pipeline is built from the plan the binder makes of the SQL. The pre-projection
 * between Window and aggregation (keys and aggregate inputs, column references only) is a
 * small column-copying operator of this file, standing in for the executor's projection;
 * its copy is part of the figure. With one worker the exchange is a direct call:
 * Without an executor, sl_op_send hands a message straight to the sending operator's
 * receive() on the same worker (engine/exec/exec.c), which is what one worker needs.
 */
#include <stdio.h>
#include <string.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include "engine/core/batch.h"
#include "engine/ops/op_winagg.h"
#include "engine/ops/op_window.h"
#include "engine/plan/catalog.h"
#include "engine/sql/ast.h"
#include "engine/sql/binder.h"

#define NKEYS 10000
#define KEYBUF (SL_BATCH_CAP * 64)

struct pick {
    struct sl_op op;
    struct sl_batch_pool *pool;
};

static int pick_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                     struct sl_error *err)
{
    struct pick *p = (struct pick *)op;
    const struct sl_plan *pre = op->plan;
    struct sl_batch *o = sl_batch_pool_get(p->pool);
    if (!o) {
        sl_batch_pool_put(b);
        return SL_ENOMEM;
    }
    uint32_t n = sl_batch_active(b);
    for (uint32_t j = 0; j < pre->project.nexprs; j++) {
        const struct sl_column *src = &b->cols[pre->project.exprs[j]->col];
        size_t w = sl_type_width((sl_type_id)src->type.id);
        if (!b->sel)
            memcpy(o->cols[j].data, src->data, n * w);
        else
            for (uint32_t i = 0; i < n; i++)
                memcpy((char *)o->cols[j].data + i * w, (char *)src->data + b->sel[i] * w, w);
    }
    o->rows = n;
    int rc = sl_op_push_next(op, ctx, o, err);
    sl_batch_pool_put(b);
    return rc;
}

static int pick_wm(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm, struct sl_error *err)
{
    return sl_op_watermark_next(op, ctx, wm, err);
}

static int pick_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_op_finish_next(op, ctx, err);
}

static void nop_free(struct sl_op *op)
{
    (void)op;
}

static const struct sl_op_ops pick_ops = {.name = "pick",
                                          .push = pick_push,
                                          .watermark = pick_wm,
                                          .finish = pick_finish,
                                          .free = nop_free};

struct sink {
    struct sl_op op;
    uint64_t rows;
};

static int sink_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                     struct sl_error *err)
{
    (void)ctx;
    (void)err;
    ((struct sink *)op)->rows += sl_batch_active(b);
    sl_batch_pool_put(b);
    return 0;
}

static int sink_wm(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm, struct sl_error *err)
{
    (void)op;
    (void)ctx;
    (void)wm;
    (void)err;
    return 0;
}

static const struct sl_op_ops sink_ops = {
    .name = "sink", .push = sink_push, .watermark = sink_wm, .free = nop_free};

static const char *const sql_tumble =
    "CREATE TABLE t (k BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)"
    " WITH ('connector' = 'kafka');\n"
    "CREATE TABLE o (k BIGINT, c BIGINT, ws TIMESTAMP(3)) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO o SELECT k, COUNT(*), window_start FROM TABLE(TUMBLE(TABLE t,"
    " DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY k, window_start, window_end;";

static const char *const sql_hop =
    "CREATE TABLE t (k BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)"
    " WITH ('connector' = 'kafka');\n"
    "CREATE TABLE o (k BIGINT, c BIGINT, ws TIMESTAMP(3)) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO o SELECT k, COUNT(*), window_start FROM TABLE(HOP(TABLE t,"
    " DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND))"
    " GROUP BY k, window_start, window_end;";

static struct sl_schema *schema_of(const struct sl_rel *rel)
{
    const char *names[16];
    struct sl_type types[16];
    for (uint32_t i = 0; i < rel->ncols && i < 16; i++) {
        names[i] = rel->cols[i].name;
        types[i] = rel->cols[i].type;
    }
    return sl_schema_new(rel->ncols, names, types);
}

static void bm_winagg(struct sl_bench *b, void *arg)
{
    const char *sql = arg;
    struct sl_error err;
    struct sl_job *job = sl_job_from_sql("bench.sql", sql, strlen(sql), NULL, 0, &err);
    if (!job) {
        sl_bench_error(b, err.msg);
        return;
    }
    const struct sl_plan *win = NULL, *agg = NULL;
    for (const struct sl_plan *p = job->inserts[0]; p; p = p->input) {
        if (p->kind == SL_PLAN_AGG)
            agg = p;
        if (p->kind == SL_PLAN_WINDOW)
            win = p;
    }
    struct sl_worker_stats stats = {0};
    struct sl_worker_ctx ctx = {
        .worker = 0, .nworkers = 1, .heap = sl_heap_new(), .sql = job->file->src, .stats = &stats};
    struct sl_op *w = NULL, *a = NULL;
    struct sl_schema *in_schema = schema_of(&win->input->out);
    struct sl_schema *pre_schema = schema_of(&agg->input->out);
    struct sl_batch_pool *in_pool = sl_batch_pool_new(ctx.heap, in_schema, 2);
    struct pick pick = {{&pick_ops, NULL, agg->input, 0},
                        sl_batch_pool_new(ctx.heap, pre_schema, 2)};
    struct sink sink = {{&sink_ops, NULL, agg, 0}, 0};
    int64_t *keys = sl_bench_alloc(KEYBUF * sizeof(*keys));
    sl_bench_fill_i64(keys, KEYBUF, 0, NKEYS - 1, 99);
    if (sl_op_window_new(win, &ctx, &w, &err) || sl_op_winagg_new(agg, &ctx, &a, &err)) {
        sl_bench_error(b, err.msg);
        goto out;
    }
    w->next = &pick.op;
    pick.op.next = a;
    a->next = &sink.op;
    int64_t row = 0;
    const int64_t t0 = 1700000000000ll;
    uint32_t koff = 0;
    int bad = 0;
    while (sl_bench_running(b)) {
        struct sl_batch *in = sl_batch_pool_get(in_pool);
        int64_t *k = sl_col_i64(&in->cols[0]), *ts = sl_col_i64(&in->cols[1]);
        memcpy(k, keys + koff, SL_BATCH_CAP * sizeof(*k));
        koff = (koff + SL_BATCH_CAP) % KEYBUF;
        for (uint32_t i = 0; i < SL_BATCH_CAP; i++)
            ts[i] = t0 + (row + i) / 100;
        row += SL_BATCH_CAP;
        in->rows = SL_BATCH_CAP;
        bad |= w->ops->push(w, &ctx, in, &err);
        bad |= w->ops->watermark(w, &ctx, ts[SL_BATCH_CAP - 1] - 1000, &err);
        if (bad)
            break;
    }
    if (bad)
        sl_bench_error(b, err.msg);
    sl_bench_items(b, SL_BATCH_CAP);
    sl_bench_counter(b, "out_rows_per_in_row", row ? (double)sink.rows / (double)row : 0);
out:
    if (w)
        w->ops->free(w);
    if (a)
        a->ops->free(a);
    sl_bench_free(keys);
    sl_batch_pool_free(pick.pool);
    sl_batch_pool_free(in_pool);
    sl_schema_free(in_schema);
    sl_schema_free(pre_schema);
    sl_heap_free(ctx.heap);
    sl_job_free(job);
}

SL_BENCH_REGISTER(sl_bm_winagg_register)
{
    sl_bench_add("winagg/tumble_10s_count_10k_keys", bm_winagg, (void *)sql_tumble);
    sl_bench_add("winagg/hop_10s_2s_count_10k_keys", bm_winagg, (void *)sql_hop);
}
