/*
 * engine/ops/op_basic.c - projection, filter, watermark and sink operators (see op_basic.h).
 *
 * Of these only the watermark operator keeps state across batches. Its checkpoint state
 * (ops->save / ops->restore, little-endian, engine/core/state.h):
 *
 *   bytes   field
 *   4       magic 0x314d5753 ("SWM1", format 1)
 *   8       the last watermark sent downstream (INT64_MIN: none yet)
 *   4       nsplits, then per split (13 bytes):
 *     4       split id
 *     1       done (0/1)
 *     8       largest rowtime seen (INT64_MIN: none)
 *
 * Splits are matched by id: a split in the state that the restored operator does not read
 * is SL_ECORRUPT; a split the state does not name starts from scratch. Idleness is not
 * saved: every split restarts as active now (the idle timeout counts from the restore).
 *
 * A batch of a split the operator does not know yet (a Kafka partition found by partition
 * discovery while the job runs) adds that split: from then on it counts like the others.
 * Before its first batch it holds nothing back (Flink adds a discovered split's output to
 * its watermark multiplexer when the split is assigned, so there it holds the watermark
 * back from assignment on; here the source does not announce splits, only their rows).
 */
#include "engine/ops/op_basic.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/ops/eval.h"
#include "kernels/reduce.h"

static int64_t sl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sl_op_pass_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                                struct sl_error *err)
{
    return sl_op_watermark_next(op, ctx, wm, err);
}

static int sl_op_pass_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_op_finish_next(op, ctx, err);
}

/* ---- projection ---------------------------------------------------------------------------- */

struct sl_op_project {
    struct sl_op op;
    struct sl_eval *ev;
    struct sl_schema *schema;
    struct sl_batch_pool *pool;
};

static int sl_op_project_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                              struct sl_error *err)
{
    struct sl_op_project *p = (struct sl_op_project *)op;
    struct sl_batch *out = sl_batch_pool_get(p->pool);
    if (!out) {
        sl_batch_pool_put(b);
        return sl_error_set(err, SL_ENOMEM, "out of memory in a projection");
    }
    int rc = sl_eval_project(p->ev, b, out, err);
    if (!rc && b->kind) { /* a changelog: the kinds go with their rows */
        uint8_t *k = sl_batch_kinds(out);
        uint32_t n = sl_batch_active(b);
        for (uint32_t i = 0; i < n; i++)
            k[i] = b->kind[b->sel ? b->sel[i] : i];
    }
    sl_batch_pool_put(b);
    if (rc) {
        sl_batch_pool_put(out);
        return rc;
    }
    if (out->rows == 0) {
        sl_batch_pool_put(out);
        return 0;
    }
    return sl_op_push_next(op, ctx, out, err);
}

static void sl_op_project_free(struct sl_op *op)
{
    struct sl_op_project *p = (struct sl_op_project *)op;
    sl_eval_free(p->ev);
    sl_batch_pool_free(p->pool);
    sl_schema_free(p->schema);
    free(p);
}

static const struct sl_op_ops sl_op_project_ops = {
    .name = "project",
    .push = sl_op_project_push,
    .watermark = sl_op_pass_watermark,
    .finish = sl_op_pass_finish,
    .free = sl_op_project_free,
    .stateless = true,
};

int sl_op_project_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                      struct sl_error *err)
{
    struct sl_op_project *p = calloc(1, sizeof(*p));
    if (!p)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    p->op.ops = &sl_op_project_ops;
    p->op.plan = node;
    p->schema = sl_plan_rel_schema(&node->out);
    p->pool = p->schema ? sl_batch_pool_new(ctx->heap, p->schema, 4) : NULL;
    if (!p->pool) {
        sl_op_project_free(&p->op);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    p->ev = sl_eval_new(ctx->heap, &node->input->out, node->project.nexprs, node->project.exprs,
                        ctx->sql, err);
    if (!p->ev) {
        sl_op_project_free(&p->op);
        return err ? err->code : SL_ENOMEM;
    }
    *out = &p->op;
    return 0;
}

/* ---- filter -------------------------------------------------------------------------------- */

struct sl_op_filter {
    struct sl_op op;
    struct sl_eval *ev;
};

static int sl_op_filter_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                             struct sl_error *err)
{
    struct sl_op_filter *f = (struct sl_op_filter *)op;
    int rc = sl_eval_filter(f->ev, b, err);
    if (rc || sl_batch_active(b) == 0) {
        sl_batch_pool_put(b);
        return rc;
    }
    return sl_op_push_next(op, ctx, b, err);
}

static void sl_op_filter_free(struct sl_op *op)
{
    struct sl_op_filter *f = (struct sl_op_filter *)op;
    sl_eval_free(f->ev);
    free(f);
}

static const struct sl_op_ops sl_op_filter_ops = {
    .name = "filter",
    .push = sl_op_filter_push,
    .watermark = sl_op_pass_watermark,
    .finish = sl_op_pass_finish,
    .free = sl_op_filter_free,
    .stateless = true,
};

int sl_op_filter_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                     struct sl_error *err)
{
    struct sl_op_filter *f = calloc(1, sizeof(*f));
    if (!f)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    f->op.ops = &sl_op_filter_ops;
    f->op.plan = node;
    struct sl_expr *pred = node->filter.pred;
    f->ev = sl_eval_new(ctx->heap, &node->input->out, 1, &pred, ctx->sql, err);
    if (!f->ev) {
        free(f);
        return err ? err->code : SL_ENOMEM;
    }
    *out = &f->op;
    return 0;
}

/* ---- watermark ----------------------------------------------------------------------------- */

struct sl_wm_split {
    int32_t id;
    bool done;
    int64_t max_ts;      /* largest rowtime seen, INT64_MIN before the first */
    int64_t last_active; /* monotonic ms of the last batch */
};

struct sl_op_wm {
    struct sl_op op;
    int col;
    int64_t delay;
    int64_t idle_ms;
    uint32_t nsplits;
    struct sl_wm_split *splits;
    int64_t emitted; /* the last watermark sent downstream */
};

static struct sl_wm_split *sl_wm_find(struct sl_op_wm *w, int32_t id)
{
    for (uint32_t i = 0; i < w->nsplits; i++)
        if (w->splits[i].id == id)
            return &w->splits[i];
    return NULL;
}

/* The watermark the splits allow now; INT64_MIN while some live split has no rows yet. */
static int sl_wm_update(struct sl_op_wm *w, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    int64_t now = w->idle_ms > 0 ? sl_now_ms() : 0;
    bool any = false;
    int64_t wm = INT64_MAX;
    for (uint32_t i = 0; i < w->nsplits; i++) {
        const struct sl_wm_split *s = &w->splits[i];
        if (s->done)
            continue;
        if (w->idle_ms > 0 && now - s->last_active >= w->idle_ms)
            continue; /* idle: does not hold the watermark back */
        any = true;
        int64_t v = s->max_ts == INT64_MIN ? INT64_MIN : s->max_ts - w->delay;
        if (v < wm)
            wm = v;
    }
    if (!any)
        return 0; /* all done (the executor sends the end) or all idle: nothing new */
    if (wm > w->emitted && wm != INT64_MIN) {
        w->emitted = wm;
        sl_stats_set_watermark(ctx->stats, wm);
        return sl_op_watermark_next(&w->op, ctx, wm, err);
    }
    return 0;
}

static int sl_op_wm_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                         struct sl_error *err)
{
    struct sl_op_wm *w = (struct sl_op_wm *)op;
    struct sl_wm_split *s = sl_wm_find(w, ctx->split);
    if (!s && ctx->split >= 0) { /* a split found while running: it counts from now on */
        struct sl_wm_split *ns = realloc(w->splits, (w->nsplits + 1) * sizeof(*ns));
        if (!ns)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        w->splits = ns;
        s = &ns[w->nsplits++];
        *s = (struct sl_wm_split){.id = ctx->split, .max_ts = INT64_MIN};
    }
    int64_t mx;
    const struct sl_column *c = &b->cols[w->col];
    bool have =
        sl_reduce->max_i64((const int64_t *)c->data, c->valid, b->sel, sl_batch_active(b), &mx);
    if (s) {
        s->last_active = w->idle_ms > 0 ? sl_now_ms() : 0;
        if (have && mx > s->max_ts)
            s->max_ts = mx;
    }
    int rc = sl_op_push_next(op, ctx, b, err);
    if (rc)
        return rc;
    return sl_wm_update(w, ctx, err);
}

static int sl_op_wm_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                              struct sl_error *err)
{
    struct sl_op_wm *w = (struct sl_op_wm *)op;
    if (wm <= w->emitted)
        return 0;
    w->emitted = wm;
    sl_stats_set_watermark(ctx->stats, wm);
    return sl_op_watermark_next(op, ctx, wm, err);
}

static void sl_op_wm_free(struct sl_op *op)
{
    struct sl_op_wm *w = (struct sl_op_wm *)op;
    free(w->splits);
    free(w);
}

/* Checkpoint state (see the file comment): the emitted watermark and per split its id,
 * whether it is done and its largest rowtime. Idleness is not saved: every split restarts
 * active now. */
#define SL_WM_MAGIC 0x314d5753u /* "SWM1" little-endian: format version 1 */

static int sl_op_wm_save(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                         struct sl_error *err)
{
    (void)ctx;
    struct sl_op_wm *w = (struct sl_op_wm *)op;
    sl_sbuf_put_u32(out, SL_WM_MAGIC);
    sl_sbuf_put_i64(out, w->emitted);
    sl_sbuf_put_u32(out, w->nsplits);
    for (uint32_t i = 0; i < w->nsplits; i++) {
        sl_sbuf_put_u32(out, (uint32_t)w->splits[i].id);
        sl_sbuf_put_u8(out, w->splits[i].done);
        sl_sbuf_put_i64(out, w->splits[i].max_ts);
    }
    return sl_sbuf_check(out, err);
}

/* Reads one saved state into tmp[] / seen[] (the operator's splits, by index) and *emitted.
 * A split this worker does not read is SL_ECORRUPT - or, rescaling (`others`), another
 * worker's now: skipped. */
static int sl_op_wm_load(struct sl_op_wm *w, struct sl_sread *in, struct sl_wm_split *tmp,
                         bool *seen, bool others, int64_t *emitted, struct sl_error *err)
{
    uint32_t magic = 0, n = 0;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic != SL_WM_MAGIC)
        return sl_sread_fail(in, err, "watermark: not a watermark operator's state");
    if ((rc = sl_sread_i64(in, emitted, err)) != 0 || (rc = sl_sread_count(in, &n, 13, err)) != 0)
        return rc;
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t id = 0;
        uint8_t done = 0;
        int64_t max_ts = 0;
        if ((rc = sl_sread_u32(in, &id, err)) != 0 || (rc = sl_sread_u8(in, &done, err)) != 0 ||
            (rc = sl_sread_i64(in, &max_ts, err)) != 0)
            break;
        uint32_t j = 0;
        while (j < w->nsplits && w->splits[j].id != (int32_t)id)
            j++;
        if (done > 1)
            rc = sl_sread_fail(in, err, "watermark: a flag byte that is neither 0 nor 1");
        else if (j == w->nsplits && others)
            continue;
        else if (j == w->nsplits)
            rc = sl_error_set(err, SL_ECORRUPT,
                              "%s: watermark state of split %d, which this worker does not "
                              "read (at byte %zu)",
                              in->what, (int32_t)id, in->off);
        else if (seen[j])
            rc = sl_sread_fail(in, err, "watermark: a split twice");
        if (rc)
            break;
        seen[j] = true;
        tmp[j].done = done != 0;
        tmp[j].max_ts = max_ts;
    }
    return rc;
}

/* Restores from in[0 .. nin - 1]: one state, or (rescaling) every old worker's; the
 * watermark sent downstream is the lowest of theirs (what every operator below restarts at). */
static int sl_op_wm_restore_from(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                                 uint32_t nin, bool rescale, struct sl_error *err)
{
    struct sl_op_wm *w = (struct sl_op_wm *)op;
    /* read everything before changing anything: a refused state leaves the operator new */
    bool *seen = calloc(w->nsplits ? w->nsplits : 1, sizeof(*seen));
    struct sl_wm_split *tmp = calloc(w->nsplits ? w->nsplits : 1, sizeof(*tmp));
    if (!seen || !tmp) {
        free(seen);
        free(tmp);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    memcpy(tmp, w->splits, w->nsplits * sizeof(*tmp));
    int64_t emitted = INT64_MAX;
    int rc = 0;
    for (uint32_t k = 0; k < nin && !rc; k++) {
        int64_t e = INT64_MIN;
        rc = sl_op_wm_load(w, &in[k], tmp, seen, rescale, &e, err);
        if (e < emitted)
            emitted = e;
    }
    free(seen);
    if (rc) {
        free(tmp);
        return rc;
    }
    /* splits the state does not name (new ones) start from scratch; all are active now */
    int64_t now = w->idle_ms > 0 ? sl_now_ms() : 0;
    for (uint32_t j = 0; j < w->nsplits; j++) {
        w->splits[j] = tmp[j];
        w->splits[j].last_active = now;
    }
    free(tmp);
    w->emitted = emitted;
    if (ctx && ctx->stats && emitted != INT64_MIN)
        sl_stats_set_watermark(ctx->stats, emitted);
    return 0;
}

static int sl_op_wm_restore(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                            struct sl_error *err)
{
    return sl_op_wm_restore_from(op, ctx, in, 1, false, err);
}

/* Rescaling: the splits this worker reads now, out of every old worker's state. */
static int sl_op_wm_rescale(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                            uint32_t nold, struct sl_error *err)
{
    return sl_op_wm_restore_from(op, ctx, in, nold, true, err);
}

static const struct sl_op_ops sl_op_wm_ops = {
    .name = "watermark",
    .push = sl_op_wm_push,
    .watermark = sl_op_wm_watermark,
    .finish = sl_op_pass_finish,
    .free = sl_op_wm_free,
    .save = sl_op_wm_save,
    .restore = sl_op_wm_restore,
    .rescale = sl_op_wm_rescale,
};

int sl_op_watermark_new(const struct sl_plan *node, struct sl_worker_ctx *ctx,
                        const int32_t *splits, uint32_t nsplits, int64_t idle_timeout_ms,
                        struct sl_op **out, struct sl_error *err)
{
    (void)ctx;
    struct sl_op_wm *w = calloc(1, sizeof(*w));
    if (w)
        w->splits = calloc(nsplits ? nsplits : 1, sizeof(*w->splits));
    if (!w || !w->splits) {
        free(w);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    w->op.ops = &sl_op_wm_ops;
    w->op.plan = node;
    w->col = node->watermark.rowtime;
    w->delay = node->watermark.delay_ms;
    w->idle_ms = idle_timeout_ms;
    w->nsplits = nsplits;
    w->emitted = INT64_MIN;
    int64_t now = idle_timeout_ms > 0 ? sl_now_ms() : 0;
    for (uint32_t i = 0; i < nsplits; i++) {
        w->splits[i].id = splits[i];
        w->splits[i].max_ts = INT64_MIN;
        w->splits[i].last_active = now;
    }
    *out = &w->op;
    return 0;
}

int sl_op_watermark_split_done(struct sl_op *op, struct sl_worker_ctx *ctx, int32_t split,
                               struct sl_error *err)
{
    struct sl_op_wm *w = (struct sl_op_wm *)op;
    struct sl_wm_split *s = sl_wm_find(w, split);
    if (s)
        s->done = true;
    return sl_wm_update(w, ctx, err);
}

void sl_op_watermark_set_idle(struct sl_op *op, int64_t idle_timeout_ms)
{
    struct sl_op_wm *w = (struct sl_op_wm *)op;
    if (w->idle_ms <= 0 && idle_timeout_ms > 0) {
        int64_t now = sl_now_ms();
        for (uint32_t i = 0; i < w->nsplits; i++)
            w->splits[i].last_active = now;
    }
    w->idle_ms = idle_timeout_ms;
}

int sl_op_watermark_tick(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_op_wm *w = (struct sl_op_wm *)op;
    return w->idle_ms > 0 ? sl_wm_update(w, ctx, err) : 0;
}

/* ---- sink ---------------------------------------------------------------------------------- */

struct sl_op_sink {
    struct sl_op op;
    struct sl_sink *sink;
    bool *finished;
};

int sl_sink_write_batch(struct sl_sink *sink, struct sl_worker_ctx *ctx, struct sl_batch *b,
                        struct sl_error *err)
{
    uint64_t before = ctx->stats ? ctx->stats->rows_out : 0;
    int rc = sink->ops->write(sink, ctx, b, err); /* counts rows_out */
    sl_batch_pool_put(b);
    if (!rc && ctx->on_emit && ctx->stats)
        ctx->on_emit(ctx->on_emit_arg, ctx->worker, ctx->ingest_ns, ctx->stats->rows_out - before);
    return rc;
}

static int sl_op_sink_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                           struct sl_error *err)
{
    return sl_sink_write_batch(((struct sl_op_sink *)op)->sink, ctx, b, err);
}

static int sl_op_sink_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                                struct sl_error *err)
{
    struct sl_sink *sk = ((struct sl_op_sink *)op)->sink;
    return sk->ops->watermark ? sk->ops->watermark(sk, ctx, wm, err) : 0;
}

static int sl_op_sink_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_op_sink *s = (struct sl_op_sink *)op;
    int rc = s->sink->ops->flush(s->sink, ctx, err);
    *s->finished = true;
    return rc;
}

static void sl_op_sink_free(struct sl_op *op)
{
    free(op);
}

static const struct sl_op_ops sl_op_sink_ops = {
    .name = "sink",
    .push = sl_op_sink_push,
    .watermark = sl_op_sink_watermark,
    .finish = sl_op_sink_finish,
    .free = sl_op_sink_free,
    .stateless = true,
};

int sl_op_sink_new(const struct sl_plan *node, struct sl_sink *sink, bool *finished,
                   struct sl_op **out, struct sl_error *err)
{
    struct sl_op_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    s->op.ops = &sl_op_sink_ops;
    s->op.plan = node;
    s->sink = sink;
    s->finished = finished;
    *out = &s->op;
    return 0;
}
