/*
 * engine/ops/op_window.c - the Window operator: TUMBLE, HOP and CUMULATE window table functions.
 *
 * Both kinds go through the hop kernel (a TUMBLE is a HOP whose slide is its size: one
 * window per row), which skips NULL time attributes and writes (row, window start) pairs in
 * Flink's order. The pairs of one input batch are cut into output batches of SL_BATCH_CAP
 * rows; each output batch gathers the input columns through the pair rows (a selection that
 * repeats a row size / slide times for HOP) and computes the three window columns from the
 * starts. When size / slide is large the positions are fed to the kernel in chunks so the
 * scratch space stays max(SL_BATCH_CAP, size / slide) pairs. CUMULATE (windows of one start
 * and growing ends) and SESSION (each row its own window [ts, ts + gap), merged by the window
 * aggregation above) go through the window assigner the late splitter and the window
 * slicing use too (engine/ops/winassign.h, sl_opw_series), with a third scratch array for
 * the ends; everything after the assignment is shared.
 *
 * Checkpoints: the operator keeps nothing across batches (each push is done when it
 * returns; watermarks pass straight through), so it has no save / restore.
 */
#include "engine/ops/op_window.h"

#include <stdlib.h>
#include <string.h>

#include "engine/ops/winassign.h"
#include "engine/plan/sql_source.h"
#include "kernels/gather.h"

struct sl_op_window {
    struct sl_op op;
    int time_col;
    struct sl_winassign wa;   /* the window assigner (engine/ops/winassign.h) */
    uint32_t nin;             /* input columns */
    uint32_t cap_pairs;       /* scratch size in pairs: max(SL_BATCH_CAP, per_row) */
    struct sl_schema *schema; /* of node->out, owned */
    struct sl_batch_pool *pool;
    sl_sel_t *rows;  /* cap_pairs pair rows */
    int64_t *starts; /* cap_pairs pair window starts */
    int64_t *ends;   /* CUMULATE, SESSION: cap_pairs pair window ends (NULL: start + size) */
    sl_sel_t *iota;  /* 0, 1, ..., SL_BATCH_CAP - 1: positions to chunk an unselected batch */
    bool *skip;      /* NULL, or per input column: not read downstream, not copied */
};

/* An error at SQL position `pos` (plain when the worker has no SQL source). */
static int sl_opw_err(const struct sl_worker_ctx *ctx, size_t pos, struct sl_error *err, int code,
                      const char *msg)
{
    if (ctx->sql)
        return sl_sql_error_at(ctx->sql, pos, err, code, "%s", msg);
    return sl_error_set(err, code, "%s", msg);
}

/* Checks that batch `b` has the input rel's column types. */
static int sl_opw_check(const struct sl_op_window *w, const struct sl_batch *b,
                        const struct sl_batch *out, struct sl_error *err)
{
    if (b->ncols != w->nin)
        return sl_error_set(err, SL_EINVAL, "window: input batch of %u columns, want %u", b->ncols,
                            w->nin);
    for (uint32_t c = 0; c < w->nin; c++)
        if (b->cols[c].type.id != out->cols[c].type.id || (b->cols[c].valid && !out->cols[c].valid))
            return sl_error_set(err, SL_EINVAL, "window: input column %u is %s%s, want %s", c,
                                b->cols[c].valid ? "nullable " : "",
                                sl_type_name((sl_type_id)b->cols[c].type.id),
                                sl_type_name((sl_type_id)out->cols[c].type.id));
    if (b->cols[w->time_col].type.id != SL_TYPE_TIMESTAMP)
        return sl_error_set(err, SL_EINVAL, "window: time column %d is not a TIMESTAMP",
                            w->time_col);
    return 0;
}

/* Fills `out` with the pairs rows[0..m-1] / starts[0..m-1] of input batch `b`. */
static int sl_opw_fill(struct sl_op_window *w, const struct sl_batch *b, const sl_sel_t *rows,
                       const int64_t *starts, const int64_t *ends, uint32_t m, struct sl_batch *out,
                       struct sl_error *err)
{
    const struct sl_gather_kernels *g = sl_gather;
    for (uint32_t c = 0; c < w->nin; c++) {
        const struct sl_column *src = &b->cols[c];
        struct sl_column *dst = &out->cols[c];
        if (w->skip && w->skip[c]) { /* pushed down: nobody reads it */
            if (dst->type.id == SL_TYPE_VARCHAR)
                memset(dst->data, 0, m * sizeof(sl_str)); /* safe empty views */
            if (dst->valid)
                for (uint32_t j = 0; j < m; j++)
                    sl_valid_set(dst->valid, j, false);
            continue;
        }
        switch (src->type.id) {
        case SL_TYPE_BOOLEAN: {
            const uint8_t *s = src->data;
            uint8_t *d = dst->data;
            for (uint32_t j = 0; j < m; j++)
                d[j] = s[rows[j]];
            break;
        }
        case SL_TYPE_INT:
            g->g32(src->data, rows, m, dst->data);
            break;
        case SL_TYPE_VARCHAR: {
            g->g128(src->data, rows, m, dst->data);
            sl_str *d = dst->data;
            for (uint32_t j = 0; j < m; j++) {
                if (d[j].len <= SL_STR_INLINE_MAX)
                    continue;
                sl_str v = sl_batch_str(out, d[j].ptr, d[j].len);
                if (!sl_str_ok(v))
                    return sl_error_set(err, SL_ENOMEM,
                                        "window: out of memory copying a "
                                        "string of %u bytes",
                                        d[j].len);
                d[j] = v;
            }
            break;
        }
        default:
            g->g64(src->data, rows, m, dst->data);
            break;
        }
        if (src->valid)
            g->valid(src->valid, rows, m, dst->valid);
    }
    int64_t *ws = sl_col_i64(&out->cols[w->nin]);
    int64_t *we = sl_col_i64(&out->cols[w->nin + 1]);
    int64_t *wt = sl_col_i64(&out->cols[w->nin + 2]);
    const uint64_t size = (uint64_t)w->wa.size;
    for (uint32_t j = 0; j < m; j++) {
        /* Java's long arithmetic: wraps */
        uint64_t end = ends ? (uint64_t)ends[j] : (uint64_t)starts[j] + size;
        ws[j] = starts[j];
        we[j] = (int64_t)end;
        wt[j] = (int64_t)(end - 1);
    }
    out->rows = m;
    return 0;
}

/*
 * The CUMULATE or SESSION windows of positions p0 .. p0 + m - 1 (sel, or p0 + i without one)
 * into rows / starts / ends, as the window assigner gives them (engine/ops/winassign.h: for
 * CUMULATE, Flink's CumulativeWindowAssigner.assignWindows, one start and ends from the
 * step-aligned end of ts up to start + size, smallest first; for SESSION each row its own
 * [ts, ts + gap), which the window aggregation merges). NULL timestamps get no window.
 * Returns the pairs written.
 */
static int64_t sl_opw_series(struct sl_op_window *w, const int64_t *ts, const uint64_t *valid,
                             const sl_sel_t *sel, uint32_t p0, uint32_t m)
{
    int64_t k = 0;
    struct sl_winspan sp;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t r = sel ? sel[i] : p0 + i;
        if (valid && !sl_valid_get(valid, r))
            continue;
        uint32_t nw = sl_winassign_of(&w->wa, ts[r], &sp);
        for (uint32_t j = 0; j < nw; j++) {
            w->rows[k] = r;
            sl_winspan_at(&sp, j, &w->starts[k], &w->ends[k]);
            k++;
        }
    }
    return k;
}

static int sl_opw_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                       struct sl_error *err)
{
    struct sl_op_window *w = (struct sl_op_window *)op;
    uint32_t n = sl_batch_active(b);
    int rc = 0;
    if (n == 0)
        goto out_put;
    const struct sl_column *tcol = b->cols + w->time_col;
    const sl_sel_t *sel = b->sel;
    /* positions per kernel call, so that its pairs fit the scratch */
    uint32_t chunk = w->cap_pairs / w->wa.per_row;
    if (!sel && n > chunk)
        sel = w->iota;
    for (uint32_t p0 = 0; p0 < n; p0 += chunk) {
        uint32_t m = n - p0 < chunk ? n - p0 : chunk;
        int64_t npairs =
            w->ends ? sl_opw_series(w, sl_col_i64((struct sl_column *)tcol), tcol->valid,
                                    sel ? sel + p0 : NULL, p0, m)
                    : sl_window->hop(w->rows, w->starts, sl_col_i64((struct sl_column *)tcol),
                                     tcol->valid, sel ? sel + p0 : NULL, m, w->wa.size, w->wa.slide,
                                     w->wa.offset);
        if (npairs < 0) {
            rc = sl_opw_err(ctx, op->plan->pos, err, SL_EINVAL, "window: bad window parameters");
            goto out_put;
        }
        for (int64_t off = 0; off < npairs; off += SL_BATCH_CAP) {
            uint32_t cnt = (uint32_t)(npairs - off < SL_BATCH_CAP ? npairs - off : SL_BATCH_CAP);
            struct sl_batch *o = sl_batch_pool_get(w->pool);
            if (!o) {
                rc = sl_opw_err(ctx, op->plan->pos, err, SL_ENOMEM, "window: out of memory");
                goto out_put;
            }
            if ((rc = sl_opw_check(w, b, o, err)) != 0 ||
                (rc = sl_opw_fill(w, b, w->rows + off, w->starts + off,
                                  w->ends ? w->ends + off : NULL, cnt, o, err)) != 0) {
                sl_batch_pool_put(o);
                goto out_put;
            }
            if ((rc = sl_op_push_next(op, ctx, o, err)) != 0)
                goto out_put;
        }
    }
out_put:
    sl_batch_pool_put(b);
    return rc;
}

static int sl_opw_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                            struct sl_error *err)
{
    return sl_op_watermark_next(op, ctx, wm, err);
}

static int sl_opw_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_op_finish_next(op, ctx, err);
}

void sl_op_window_prune(struct sl_op *op, const bool *needed)
{
    struct sl_op_window *w = (struct sl_op_window *)op;
    free(w->skip);
    w->skip = calloc(w->nin ? w->nin : 1, sizeof(*w->skip));
    if (!w->skip)
        return; /* no pruning: every column is copied, which is always right */
    for (uint32_t c = 0; c < w->nin; c++)
        w->skip[c] = !needed[c];
}

static void sl_opw_free(struct sl_op *op)
{
    struct sl_op_window *w = (struct sl_op_window *)op;
    if (!w)
        return;
    if (w->pool)
        sl_batch_pool_free(w->pool);
    sl_schema_free(w->schema);
    sl_mem_free(w->rows);
    sl_mem_free(w->starts);
    sl_mem_free(w->iota);
    sl_mem_free(w->ends);
    free(w->skip);
    sl_mem_free(w);
}

static const struct sl_op_ops sl_opw_ops = {
    .name = "window",
    .push = sl_opw_push,
    .watermark = sl_opw_watermark,
    .receive = NULL,
    .finish = sl_opw_finish,
    .free = sl_opw_free,
    .stateless = true,
};

int sl_op_window_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                     struct sl_error *err)
{
    *out = NULL;
    if (!node || node->kind != SL_PLAN_WINDOW || !node->input ||
        node->out.ncols != node->input->out.ncols + 3 || node->window.time_col < 0 ||
        (uint32_t)node->window.time_col >= node->input->out.ncols)
        return sl_error_set(err, SL_EINVAL, "window: not a window plan node");
    int64_t size = node->window.size_ms, slide = node->window.slide_ms;
    if (node->window.kind == SL_WINDOW_TUMBLE || node->window.kind == SL_WINDOW_SESSION)
        slide = size;
    if (size <= 0 || slide <= 0 || size % slide != 0)
        return sl_opw_err(ctx, node->pos, err, SL_EINVAL,
                          "window: the size must be a positive multiple of a positive slide");
    if (size / slide > SL_OP_WINDOW_MAX_PER_ROW)
        return sl_opw_err(ctx, node->pos, err, SL_ENOTSUP,
                          "window: more than 1048576 windows per row (size / slide)");
    struct sl_op_window *w = sl_mem_zalloc(ctx->heap, sizeof(*w));
    if (!w)
        return sl_error_set(err, SL_ENOMEM, "window: out of memory");
    w->op.ops = &sl_opw_ops;
    w->op.plan = node;
    w->time_col = node->window.time_col;
    w->wa = sl_winassign_make(node->window.kind, size, slide, node->window.offset_ms);
    w->nin = node->input->out.ncols;
    w->cap_pairs = w->wa.per_row > SL_BATCH_CAP ? w->wa.per_row : SL_BATCH_CAP;
    w->schema = sl_plan_rel_schema(&node->out);
    w->pool = w->schema ? sl_batch_pool_new(ctx->heap, w->schema, 4) : NULL;
    w->rows = sl_mem_alloc(ctx->heap, (size_t)w->cap_pairs * sizeof(*w->rows));
    w->starts = sl_mem_alloc(ctx->heap, (size_t)w->cap_pairs * sizeof(*w->starts));
    w->iota = sl_mem_alloc(ctx->heap, SL_BATCH_CAP * sizeof(*w->iota));
    bool ends = node->window.kind == SL_WINDOW_CUMULATE || node->window.kind == SL_WINDOW_SESSION;
    if (ends)
        w->ends = sl_mem_alloc(ctx->heap, (size_t)w->cap_pairs * sizeof(*w->ends));
    if (!w->pool || !w->rows || !w->starts || !w->iota || (ends && !w->ends)) {
        sl_opw_free(&w->op);
        return sl_opw_err(ctx, node->pos, err, SL_ENOMEM, "window: out of memory");
    }
    for (uint32_t i = 0; i < SL_BATCH_CAP; i++)
        w->iota[i] = i;
    *out = &w->op;
    return 0;
}
