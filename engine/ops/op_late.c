/*
 * engine/ops/op_late.c - the late splitter and the late sink tee (see op_late.h).
 */
#include "engine/ops/op_late.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/datetime.h"
#include "engine/ops/winassign.h"
#include "engine/plan/catalog.h"
#include "engine/plan/sql_source.h"

/* ---- the splitter -------------------------------------------------------------------------- */

struct sl_op_late {
    struct sl_op op;
    struct sl_sink *sink; /* the late table's: not owned */
    struct sl_schema *schema;
    struct sl_batch_pool *pool;
    struct sl_batch *out; /* late rows not yet written, or NULL */
    int64_t wm;           /* the last watermark from upstream (INT64_MIN: none yet) */
    int time_col;
    struct sl_winassign wa; /* the window assigner's (engine/ops/winassign.h) */
};

static int sl_late_err(const struct sl_op_late *l, struct sl_worker_ctx *ctx, struct sl_error *err,
                       int code, const char *msg)
{
    if (ctx->sql)
        return sl_sql_error_at(ctx->sql, l->op.plan->pos, err, code, "late data: %s", msg);
    return sl_error_set(err, code, "late data: %s", msg);
}

/* Writes the late rows collected so far. */
static int sl_late_flush(struct sl_op_late *l, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    if (!l->out)
        return 0;
    struct sl_batch *o = l->out;
    l->out = NULL;
    int rc = o->rows ? l->sink->ops->write(l->sink, ctx, o, err) : 0;
    sl_batch_pool_put(o);
    return rc;
}

/* One late-table row: row r of b in window [start, end). */
static int sl_late_row(struct sl_op_late *l, struct sl_worker_ctx *ctx, struct sl_batch *b,
                       uint32_t r, int64_t start, int64_t end, struct sl_error *err)
{
    if (l->out && l->out->rows == SL_BATCH_CAP) {
        int rc = sl_late_flush(l, ctx, err);
        if (rc)
            return rc;
    }
    if (!l->out && !(l->out = sl_batch_pool_get(l->pool)))
        return sl_late_err(l, ctx, err, SL_ENOMEM, "out of memory");
    struct sl_batch *o = l->out;
    uint32_t m = o->rows;
    const struct sl_plan *node = l->op.plan;
    for (uint32_t i = 0; i < o->ncols; i++) {
        struct sl_column *oc = &o->cols[i];
        int c = node->late.cols[i];
        if (c == SL_LATE_WATERMARK) {
            sl_col_i64(oc)[m] = l->wm;
            continue;
        }
        if (c == SL_LATE_REASON) {
            char text[SL_DT_TEXT_MAX * 3 + 600];
            char *p = text;
            p += snprintf(p, 64, "%swindow [", l->wa.kind == SL_WINDOW_SESSION ? "session " : "");
            p = sl_dt_put(p, start, SL_DT_SQL);
            p += snprintf(p, 8, ", ");
            p = sl_dt_put(p, end, SL_DT_SQL);
            p += snprintf(p, 520, ") of the %.480s fired at watermark ", node->late.where);
            p = sl_dt_put(p, l->wm, SL_DT_SQL);
            sl_str s = sl_batch_str(o, text, (uint32_t)(p - text));
            if (!sl_str_ok(s))
                return sl_late_err(l, ctx, err, SL_ENOMEM, "out of memory");
            sl_col_str(oc)[m] = s;
            continue;
        }
        const struct sl_column *ic = &b->cols[c];
        if (ic->valid && !sl_valid_get(ic->valid, r)) {
            sl_col_set_null(oc, m, true); /* the binder made the late column nullable */
            continue;
        }
        if (oc->type.id == SL_TYPE_VARCHAR) {
            sl_str v = ((const sl_str *)ic->data)[r];
            sl_str s = sl_batch_str(o, sl_str_data(&v), v.len);
            if (!sl_str_ok(s))
                return sl_late_err(l, ctx, err, SL_ENOMEM, "out of memory");
            sl_col_str(oc)[m] = s;
        } else {
            size_t w = sl_type_width(oc->type.id);
            memcpy((char *)oc->data + (size_t)m * w, (const char *)ic->data + (size_t)r * w, w);
        }
    }
    o->rows = m + 1;
    return 0;
}

static int sl_late_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                        struct sl_error *err)
{
    struct sl_op_late *l = (struct sl_op_late *)op;
    uint32_t n = sl_batch_active(b);
    const struct sl_column *tc = &b->cols[l->time_col];
    const int64_t *ts = (const int64_t *)tc->data;
    const sl_sel_t *sel = b->sel;
    /* the first late position, if any: most batches have none and go on untouched. A row
     * after the watermark is never late (every window of it ends after it), unless its
     * window end would wrap past INT64_MAX: that compare spares most rows the window
     * arithmetic */
    uint32_t first = n;
    const int64_t no_wrap = INT64_MAX - l->wa.size;
    struct sl_winspan sp;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = sel ? sel[i] : i;
        if (ts[r] > l->wm && ts[r] <= no_wrap)
            continue;
        if (tc->valid && !sl_valid_get(tc->valid, r))
            continue;
        /* the earliest end: late if anything is */
        if (sl_winassign_of(&l->wa, ts[r], &sp) && sl_winassign_fired(sp.end, l->wm)) {
            first = i;
            break;
        }
    }
    if (first == n)
        return sl_op_push_next(op, ctx, b, err);
    sl_sel_t *keep = sl_batch_sel_next(b);
    uint32_t nk = 0;
    uint64_t counted = 0;
    int rc = 0;
    for (uint32_t i = 0; i < first; i++)
        keep[nk++] = sel ? sel[i] : (sl_sel_t)i;
    for (uint32_t i = first; i < n && !rc; i++) {
        uint32_t r = sel ? sel[i] : i;
        uint32_t k = 0, nw = 0;
        if (!tc->valid || sl_valid_get(tc->valid, r)) {
            nw = sl_winassign_of(&l->wa, ts[r], &sp);
            for (uint32_t j = 0; j < nw && !rc; j++) {
                int64_t s, e;
                sl_winspan_at(&sp, j, &s, &e);
                if (!sl_winassign_fired(e, l->wm))
                    break; /* increasing ends: the rest are live */
                rc = sl_late_row(l, ctx, b, r, s, e, err);
                k++;
            }
        }
        if (nw == 0 || k < nw)
            keep[nk++] = (sl_sel_t)r;
        else
            counted += k;
    }
    if (!rc)
        rc = sl_late_flush(l, ctx, err);
    if (rc) {
        sl_batch_pool_put(b);
        return rc;
    }
    if (ctx->stats)
        sl_stats_add(&ctx->stats->late_rows, counted);
    if (nk == 0) {
        sl_batch_pool_put(b);
        return 0;
    }
    sl_batch_sel_commit(b, keep, nk);
    return sl_op_push_next(op, ctx, b, err);
}

static int sl_late_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                             struct sl_error *err)
{
    struct sl_op_late *l = (struct sl_op_late *)op;
    if (wm > l->wm) /* as the window aggregation's wm1 */
        l->wm = wm;
    return sl_op_watermark_next(op, ctx, wm, err);
}

static int sl_late_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_op_late *l = (struct sl_op_late *)op;
    int rc = sl_late_flush(l, ctx, err);
    return rc ? rc : sl_op_finish_next(op, ctx, err);
}

static void sl_late_free(struct sl_op *op)
{
    struct sl_op_late *l = (struct sl_op_late *)op;
    if (l->out)
        sl_batch_pool_put(l->out);
    sl_batch_pool_free(l->pool);
    sl_schema_free(l->schema);
    free(l);
}

#define SL_LATE_MAGIC 0x314c5453u /* "STL1" little-endian: format version 1 */

static int sl_late_save(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                        struct sl_error *err)
{
    (void)ctx;
    struct sl_op_late *l = (struct sl_op_late *)op;
    sl_sbuf_put_u32(out, SL_LATE_MAGIC);
    sl_sbuf_put_i64(out, l->wm);
    return sl_sbuf_check(out, err);
}

static int sl_late_load(struct sl_sread *in, int64_t *wm, struct sl_error *err)
{
    uint32_t magic = 0;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic != SL_LATE_MAGIC)
        return sl_sread_fail(in, err, "late data: not a late splitter's state");
    return sl_sread_i64(in, wm, err);
}

static int sl_late_restore(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                           struct sl_error *err)
{
    (void)ctx;
    struct sl_op_late *l = (struct sl_op_late *)op;
    int64_t wm = 0;
    int rc = sl_late_load(in, &wm, err);
    if (!rc)
        l->wm = wm;
    return rc;
}

/* Rescaling: the lowest watermark of the old workers (as the watermark operator above). */
static int sl_late_rescale(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                           uint32_t nold, struct sl_error *err)
{
    (void)ctx;
    struct sl_op_late *l = (struct sl_op_late *)op;
    int64_t low = INT64_MAX;
    for (uint32_t j = 0; j < nold; j++) {
        int64_t wm = 0;
        int rc = sl_late_load(&in[j], &wm, err);
        if (rc)
            return rc;
        if (wm < low)
            low = wm;
    }
    l->wm = nold ? low : INT64_MIN;
    return 0;
}

static const struct sl_op_ops sl_late_ops = {
    .name = "late split",
    .push = sl_late_push,
    .watermark = sl_late_watermark,
    .finish = sl_late_finish,
    .free = sl_late_free,
    .save = sl_late_save,
    .restore = sl_late_restore,
    .rescale = sl_late_rescale,
};

int sl_op_late_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_sink *late,
                   struct sl_op **out, struct sl_error *err)
{
    *out = NULL;
    if (!late)
        return sl_error_set(err, SL_EINVAL, "late data: the pipeline has no late sink");
    struct sl_op_late *l = calloc(1, sizeof(*l));
    if (!l)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    l->op.ops = &sl_late_ops;
    l->op.plan = node;
    l->sink = late;
    l->wm = INT64_MIN;
    l->time_col = node->late.time_col;
    int64_t size = node->late.size_ms;
    int64_t slide = node->late.slide_ms > 0 ? node->late.slide_ms : size;
    bool bad =
        size <= 0 || ((node->late.kind == SL_WINDOW_HOP || node->late.kind == SL_WINDOW_CUMULATE) &&
                      size % slide != 0);
    if (!bad)
        l->wa = sl_winassign_make(node->late.kind, size, slide, node->late.offset_ms);
    l->schema = sl_plan_rel_schema(&node->late.table->physical);
    if (l->schema)
        l->pool = sl_batch_pool_new(ctx->heap, l->schema, 2);
    if (!l->schema || !l->pool || bad) {
        int rc = bad ? sl_error_set(err, SL_EINVAL, "late data: window size %lld, slide %lld",
                                    (long long)size, (long long)slide)
                     : sl_error_set(err, SL_ENOMEM, "out of memory");
        sl_late_free(&l->op);
        return rc;
    }
    *out = &l->op;
    return 0;
}

/* ---- the tee ------------------------------------------------------------------------------- */

struct sl_late_tee {
    struct sl_sink base;
    struct sl_sink_ops ops; /* only the hooks one of the two has */
    struct sl_sink *main, *late;
};

#define SL_TEE(s) ((struct sl_late_tee *)(s))
#define SL_TEE_BOTH(call)             \
    do {                              \
        int rc1 = 0, rc2 = 0;         \
        struct sl_sink *sk = t->main; \
        rc1 = call;                   \
        sk = t->late;                 \
        if (!rc1)                     \
            rc2 = call;               \
        return rc1 ? rc1 : rc2;       \
    } while (0)

static int sl_tee_write(struct sl_sink *s, struct sl_worker_ctx *ctx, struct sl_batch *b,
                        struct sl_error *err)
{
    struct sl_late_tee *t = SL_TEE(s);
    return t->main->ops->write(t->main, ctx, b, err);
}

static int sl_tee_flush(struct sl_sink *s, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_late_tee *t = SL_TEE(s);
    SL_TEE_BOTH(sk->ops->flush(sk, ctx, err));
}

static int sl_tee_close(struct sl_sink *s, struct sl_error *err)
{
    struct sl_late_tee *t = SL_TEE(s);
    int rc1 = t->main->ops->close(t->main, err);
    struct sl_error e2 = {0};
    int rc2 = t->late->ops->close(t->late, rc1 ? &e2 : err); /* both close, the first error */
    return rc1 ? rc1 : rc2;
}

static void sl_tee_free(struct sl_sink *s)
{
    struct sl_late_tee *t = SL_TEE(s);
    t->main->ops->free(t->main);
    t->late->ops->free(t->late);
    free(t);
}

static int sl_tee_prepare(struct sl_sink *s, struct sl_worker_ctx *ctx, uint64_t epoch,
                          struct sl_error *err)
{
    struct sl_late_tee *t = SL_TEE(s);
    SL_TEE_BOTH(sk->ops->prepare ? sk->ops->prepare(sk, ctx, epoch, err)
                                 : sk->ops->flush(sk, ctx, err));
}

static int sl_tee_commit(struct sl_sink *s, uint64_t epoch, struct sl_error *err)
{
    struct sl_late_tee *t = SL_TEE(s);
    SL_TEE_BOTH(sk->ops->commit ? sk->ops->commit(sk, epoch, err) : 0);
}

static int sl_tee_recover(struct sl_sink *s, uint64_t committed, struct sl_error *err)
{
    struct sl_late_tee *t = SL_TEE(s);
    SL_TEE_BOTH(sk->ops->recover ? sk->ops->recover(sk, committed, err) : 0);
}

static int sl_tee_begin(struct sl_sink *s, uint64_t epoch, struct sl_error *err)
{
    struct sl_late_tee *t = SL_TEE(s);
    SL_TEE_BOTH(sk->ops->begin ? sk->ops->begin(sk, epoch, err) : 0);
}

static int sl_tee_precommit(struct sl_sink *s, uint64_t epoch, struct sl_error *err)
{
    struct sl_late_tee *t = SL_TEE(s);
    SL_TEE_BOTH(sk->ops->precommit ? sk->ops->precommit(sk, epoch, err) : 0);
}

static int sl_tee_commit_txn(struct sl_sink *s, uint64_t epoch, struct sl_error *err)
{
    struct sl_late_tee *t = SL_TEE(s);
    SL_TEE_BOTH(sk->ops->commit_txn ? sk->ops->commit_txn(sk, epoch, err) : 0);
}

/* Committed only if both say so (the Kafka sinks of a job share one transaction). */
static int sl_tee_resolve(struct sl_sink *s, uint64_t epoch, bool *committed, struct sl_error *err)
{
    struct sl_late_tee *t = SL_TEE(s);
    bool c1 = true, c2 = true;
    int rc = t->main->ops->resolve ? t->main->ops->resolve(t->main, epoch, &c1, err) : 0;
    if (!rc && t->late->ops->resolve)
        rc = t->late->ops->resolve(t->late, epoch, &c2, err);
    *committed = c1 && c2;
    return rc;
}

static void sl_tee_set_waker(struct sl_sink *s, int worker, void (*wake)(void *arg), void *arg)
{
    struct sl_late_tee *t = SL_TEE(s);
    if (t->main->ops->set_waker)
        t->main->ops->set_waker(t->main, worker, wake, arg);
    if (t->late->ops->set_waker)
        t->late->ops->set_waker(t->late, worker, wake, arg);
}

static int sl_tee_poll(struct sl_sink *s, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_late_tee *t = SL_TEE(s);
    SL_TEE_BOTH(sk->ops->poll ? sk->ops->poll(sk, ctx, err) : 0);
}

static int sl_tee_watermark(struct sl_sink *s, struct sl_worker_ctx *ctx, int64_t wm,
                            struct sl_error *err)
{
    struct sl_late_tee *t = SL_TEE(s);
    SL_TEE_BOTH(sk->ops->watermark ? sk->ops->watermark(sk, ctx, wm, err) : 0);
}

struct sl_sink *sl_late_tee_new(struct sl_sink *main, struct sl_sink *late)
{
    struct sl_late_tee *t = calloc(1, sizeof(*t));
    if (!t) {
        main->ops->free(main);
        late->ops->free(late);
        return NULL;
    }
    t->main = main;
    t->late = late;
    const struct sl_sink_ops *a = main->ops, *b = late->ops;
    t->ops.write = sl_tee_write;
    t->ops.flush = sl_tee_flush;
    t->ops.close = sl_tee_close;
    t->ops.free = sl_tee_free;
#define SL_TEE_HOOK(name, fn) t->ops.name = a->name || b->name ? fn : NULL
    SL_TEE_HOOK(prepare, sl_tee_prepare);
    SL_TEE_HOOK(commit, sl_tee_commit);
    SL_TEE_HOOK(recover, sl_tee_recover);
    SL_TEE_HOOK(begin, sl_tee_begin);
    SL_TEE_HOOK(precommit, sl_tee_precommit);
    SL_TEE_HOOK(commit_txn, sl_tee_commit_txn);
    SL_TEE_HOOK(resolve, sl_tee_resolve);
    SL_TEE_HOOK(set_waker, sl_tee_set_waker);
    SL_TEE_HOOK(poll, sl_tee_poll);
    SL_TEE_HOOK(watermark, sl_tee_watermark);
#undef SL_TEE_HOOK
    t->base.ops = &t->ops;
    t->base.table = main->table;
    return &t->base;
}

struct sl_sink *sl_late_tee_side(struct sl_sink *s)
{
    return s && s->ops->write == sl_tee_write ? SL_TEE(s)->late : NULL;
}
