/*
 * engine/ops/op_basic.h - the operators the executor builds itself: projection, filter,
 * watermark assignment and the sink driver. (Windows, window aggregation and the lookup join
 * have their own files.)
 */
#ifndef SL_ENGINE_OP_BASIC_H
#define SL_ENGINE_OP_BASIC_H

#include "engine/ops/connector.h"
#include "engine/ops/operator.h"

/* SL_PLAN_PROJECT and SL_PLAN_FILTER nodes, through engine/ops/eval.h. */
int sl_op_project_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                      struct sl_error *err);
int sl_op_filter_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                     struct sl_error *err);

/*
 * SL_PLAN_WATERMARK: tracks the largest rowtime per split of the worker (`splits`, the ids
 * the source gives this worker) and sends watermark = min over live splits of
 * (largest rowtime - delay) downstream whenever it rises. A split that has been idle for
 * idle_timeout_ms (0: never) or is done stops counting. The split of a pushed batch is
 * ctx->split. Checkpoints: ops->save / ops->restore keep the emitted watermark and per split
 * its largest rowtime and done flag (layout in op_basic.c), so the watermarks after a
 * restore are those of an uninterrupted run; splits restart active.
 */
int sl_op_watermark_new(const struct sl_plan *node, struct sl_worker_ctx *ctx,
                        const int32_t *splits, uint32_t nsplits, int64_t idle_timeout_ms,
                        struct sl_op **out, struct sl_error *err);
/* Split `split` has ended (bounded): it stops holding the watermark back. */
int sl_op_watermark_split_done(struct sl_op *op, struct sl_worker_ctx *ctx, int32_t split,
                               struct sl_error *err);
/* Re-evaluates idleness against the clock (called by the worker loop now and then). */
int sl_op_watermark_tick(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err);
/* A live change of the idle timeout (0: never idle), on the worker's thread. A split counts
 * as active from now on when the timeout was off (so none is idle at once). */
void sl_op_watermark_set_idle(struct sl_op *op, int64_t idle_timeout_ms);

/* Writes `b` into `sink` (b goes back to its pool) and reports the rows to the latency hook
 * (ctx->on_emit): what every sink operator does with a batch (op_txsink.c too). */
int sl_sink_write_batch(struct sl_sink *sink, struct sl_worker_ctx *ctx, struct sl_batch *b,
                        struct sl_error *err);

/* SL_PLAN_SINK: writes into `sink` (shared; not owned); finish() flushes this worker's part
 * and sets *finished. */
int sl_op_sink_new(const struct sl_plan *node, struct sl_sink *sink, bool *finished,
                   struct sl_op **out, struct sl_error *err);

#endif
