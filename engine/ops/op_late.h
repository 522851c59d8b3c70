/*
 * engine/ops/op_late.h - the late splitter (plan node SL_PLAN_LATE, engine/plan/late.h) and
 * the sink pair it writes through.
 *
 * HOW IT WORKS
 * The splitter sits above the event-time watermark operator (and the filters right above
 * it), where rows are the source table's rows. It keeps the last watermark it was given -
 * the one the window aggregation above it holds as its phase-1 watermark when the same rows
 * reach it (engine/plan/late.h says why) - and for each active row computes the windows the
 * Window operator above gives it, through the same window assigner (engine/ops/winassign.h:
 * TUMBLE, HOP and CUMULATE through Flink's getWindowStartWithOffset; SESSION: [ts, ts +
 * gap)), in Java's wrapping long arithmetic. A window is late when end - 1 <= watermark (the
 * assigner's sl_winassign_fired, which the window aggregation applies; a NULL time attribute
 * gets no window and is never late).
 *   - every window late: the row leaves the batch's selection, gives one late-table row per
 *     window and late_rows counts them;
 *   - some windows late (HOP, CUMULATE): the row goes on, the window aggregation drops and
 *     counts those pairs; the splitter writes one late-table row per late window, uncounted;
 *   - none late: the row goes on.
 * A batch without late rows costs one pass over its time column and goes on untouched.
 * Late-table rows are built in batches of the late table's physical schema (source columns
 * copied by name, the reason text and the watermark where the table has them) and written
 * to the late sink before push() returns, so a checkpoint's cut (between two pushes) puts
 * them in the same epoch as the rows that went on.
 *
 * The late sink is a second connector sink of the pipeline. So that the executor and the
 * checkpoint coordinator treat it exactly as the pipeline's sink (flush, prepare, commit,
 * recover, transactions, close), sl_late_tee_new makes one struct sl_sink of the two: its
 * write() is the main sink's, every other call goes to both.
 *
 * CHECKPOINT STATE (ops->save / restore): magic 0x314c5453 ("STL1"), the watermark (i64):
 * after a restore the splitter judges rows by the watermark the window aggregation restores.
 *
 * THREADS: the operator runs on its worker's thread; the tee is called as any sink is.
 */
#ifndef SL_ENGINE_OP_LATE_H
#define SL_ENGINE_OP_LATE_H

#include "engine/ops/connector.h"
#include "engine/ops/operator.h"

/* An SL_PLAN_LATE node's operator writing into `late` (shared; not owned; the late half of
 * the pipeline's tee, sl_late_tee_side). */
int sl_op_late_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_sink *late,
                   struct sl_op **out, struct sl_error *err);

/* One sink of `main` and `late` (both owned by the tee from here on, also on failure):
 * writes go to main, everything else to both. NULL when out of memory (both freed). */
struct sl_sink *sl_late_tee_new(struct sl_sink *main, struct sl_sink *late);

/* The late sink of a tee, or NULL when `s` is no tee. */
struct sl_sink *sl_late_tee_side(struct sl_sink *s);

#endif
