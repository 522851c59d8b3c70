/*
 * engine/ops/op_proctime.h - processing time: the clock PROCTIME() reads and the watermark
 * operator that drives processing-time windows.
 *
 * HOW IT WORKS
 * sluice materializes a processing-time attribute where PROCTIME() is evaluated: the
 * evaluator (engine/ops/eval.c) reads sl_proctime_now_ms() once per batch and gives every row
 * of the batch that instant (TIMESTAMP_LTZ(3), never NULL). A window over such an attribute
 * (TUMBLE / HOP over `p AS PROCTIME()`) is then an ordinary window over that column, fired
 * by a watermark that is the wall clock: the binder puts an SL_PLAN_WATERMARK node with
 * `proctime` set right below the window, and this operator sends watermark = clock - 1 ms
 * downstream after every batch and on every tick of the worker loop (sl_op_proctime_tick,
 * about every 10 ms, also when no rows arrive), so a window fires once the wall clock passes
 * its end. Event-time watermarks from upstream are swallowed (a processing-time window does
 * not wait for them); the end of a bounded input (INT64_MAX) is passed on, so every open
 * window fires at the end of the input (Flink 1.20 drops them: docs/sql.md).
 *
 * The clock is CLOCK_REALTIME (an instant, as Flink's System.currentTimeMillis()), made
 * non-decreasing per evaluator / operator, so rows of one worker never move back in time.
 *
 * Checkpoints: the operator keeps no state (the watermark is the clock), so it is
 * stateless; the windows' contents are saved by the window aggregation as for event time.
 * After a restore the first batch or tick fires every restored window whose end the wall
 * clock passed while the job was down.
 */
#ifndef SL_ENGINE_OP_PROCTIME_H
#define SL_ENGINE_OP_PROCTIME_H

#include <time.h>

#include "engine/ops/operator.h"

/* The wall clock in milliseconds since the epoch (CLOCK_REALTIME). */
static inline int64_t sl_proctime_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How often the worker loop ticks the processing-time watermark when nothing else happens. */
#define SL_PROCTIME_TICK_NS 10000000LL

/* SL_PLAN_WATERMARK with watermark.proctime set. Stateless. */
int sl_op_proctime_new(const struct sl_plan *node, struct sl_op **out, struct sl_error *err);

/* Sends the wall clock - 1 ms downstream when it rose (called by the worker loop). */
int sl_op_proctime_tick(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err);

#endif
