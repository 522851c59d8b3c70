/*
 * engine/ops/op_proctime.c - the processing-time watermark operator (op_proctime.h says how
 * processing time works in sluice).
 */
#include "engine/ops/op_proctime.h"

#include <stdlib.h>

struct sl_op_pt {
    struct sl_op op;
    int64_t emitted; /* the last watermark sent (INT64_MIN: none yet) */
};

static int sl_pt_advance(struct sl_op_pt *p, struct sl_worker_ctx *ctx, int64_t wm,
                         struct sl_error *err)
{
    if (wm <= p->emitted)
        return 0;
    p->emitted = wm;
    return sl_op_watermark_next(&p->op, ctx, wm, err);
}

static int sl_pt_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                      struct sl_error *err)
{
    struct sl_op_pt *p = (struct sl_op_pt *)op;
    int rc = sl_op_push_next(op, ctx, b, err);
    if (rc)
        return rc;
    return sl_pt_advance(p, ctx, sl_proctime_now_ms() - 1, err);
}

static int sl_pt_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                           struct sl_error *err)
{
    /* event time upstream does not matter here; the end of the input does */
    if (wm != INT64_MAX)
        return 0;
    return sl_pt_advance((struct sl_op_pt *)op, ctx, wm, err);
}

static int sl_pt_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_op_finish_next(op, ctx, err);
}

static void sl_pt_free(struct sl_op *op)
{
    free(op);
}

static const struct sl_op_ops sl_op_pt_ops = {
    .name = "proctime-watermark",
    .push = sl_pt_push,
    .watermark = sl_pt_watermark,
    .finish = sl_pt_finish,
    .free = sl_pt_free,
    .stateless = true,
};

int sl_op_proctime_new(const struct sl_plan *node, struct sl_op **out, struct sl_error *err)
{
    struct sl_op_pt *p = calloc(1, sizeof(*p));
    if (!p)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    p->op.ops = &sl_op_pt_ops;
    p->op.plan = node;
    p->emitted = INT64_MIN;
    *out = &p->op;
    return 0;
}

int sl_op_proctime_tick(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_pt_advance((struct sl_op_pt *)op, ctx, sl_proctime_now_ms() - 1, err);
}
