/*
 * engine/ops/op_window.h - the Window operator (plan node SL_PLAN_WINDOW): window table functions
 * TUMBLE, HOP and CUMULATE over an event-time attribute.
 *
 * HOW IT WORKS
 * Stateless. For each active row of an input batch it writes one output row per window the
 * row belongs to: the input columns, then window_start, window_end (= start + size) and
 * window_time (= window_end - 1, the output's time attribute), all TIMESTAMP(3) NOT NULL.
 * The windows come from the window kernels (kernels/window.h): TUMBLE one window per row;
 * HOP size / slide windows per row, in the order Flink's assigner emits them (for each row
 * its windows latest first). The input columns are gathered into new batches of the node's
 * out rel with the gather kernels (kernels/gather.h); VARCHAR values longer than the inline
 * 12 bytes are copied into the output batch's string heap, so the input batch goes back to
 * its pool at once. An input batch of n rows makes ceil(n * windows-per-row / SL_BATCH_CAP)
 * output batches; they are never merged across input batches (a batch's validity bitmaps
 * are written from row 0).
 *
 * SEMANTICS (Flink 1.17, AlignedWindowTableFunctionOperator):
 *   - a row whose time attribute is NULL belongs to no window: it is dropped, silently, as
 *     Flink does ("null timestamp would be dropped");
 *   - window starts follow TimeWindow.getWindowStartWithOffset in Java's long arithmetic,
 *     window_end = start + size and window_time = end - 1 wrap like Java's long too;
 *   - CUMULATE(step, size, offset) (Flink's CumulativeWindowAssigner): start = the tumbling
 *     start of ts for (size, offset); ends from getWindowStartWithOffset(ts, offset, step) +
 *     step up to start + size in steps, smallest first: size / step windows at most per row.
 *   - SESSION(gap): each row its own window [ts, ts + gap), window_time ts + gap - 1; only
 *     under a window aggregation (agg.session), which merges a key's overlapping windows into
 *     sessions (Flink's SessionWindowAssigner + MergingWindowSet).
 * A HOP or CUMULATE whose window columns only feed a window aggregation's keys does not run
 * here: the binder fuses it into the aggregation, which slices (engine/ops/op_winagg.h).
 * Watermarks pass through unchanged (window_time = end - 1 >= the row's rowtime, so a
 * watermark valid for the input is valid for the output).
 *
 * A HOP with more than SL_OP_WINDOW_MAX_PER_ROW windows per row is refused (SL_ENOTSUP):
 * its scratch space would be that many pairs.
 */
#ifndef SL_ENGINE_OP_WINDOW_H
#define SL_ENGINE_OP_WINDOW_H

#include "engine/ops/operator.h"

#define SL_OP_WINDOW_MAX_PER_ROW (1u << 20)

/*
 * A Window operator for `node` (kind SL_PLAN_WINDOW; not owned, it must outlive the operator)
 * on the worker `ctx` (its heap provides all memory). On success *out is the caller's, freed
 * through out->ops->free; its `next` is NULL for the caller to set. Returns 0, SL_EINVAL (not
 * a window node, or its rels do not match), SL_ENOTSUP (too many windows per row)
 * or SL_ENOMEM, with a message in err that points into the SQL.
 */
/* Projection pushdown: only the output columns with needed[c] true (of node->out) are read
 * downstream; the others are not copied (NULL, or an empty string, or unspecified values
 * in a NOT NULL numeric column). Call before the first push. */
void sl_op_window_prune(struct sl_op *op, const bool *needed);

int sl_op_window_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                     struct sl_error *err);

#endif
