/*
 * engine/ops/op_over.h - OVER aggregates over an event-time ORDER BY: agg(x) OVER (PARTITION
 * BY k... ORDER BY rowtime ROWS | RANGE BETWEEN ... PRECEDING AND CURRENT ROW) (the plan's
 * SL_PLAN_OVER), as Flink's RowTimeRowsBoundedPrecedingFunction,
 * RowTimeRangeBoundedPrecedingFunction, RowTimeRowsUnboundedPrecedingFunction and
 * RowTimeRangeUnboundedPrecedingFunction over an insert-only input.
 *
 * HOW IT WORKS
 * Keyed by the PARTITION BY columns, routed as the Top-N's (engine/ops/op_rank.h): each
 * worker sends every input row to the owner of its key group (its own rows straight in, the
 * others copied into one batch per owner through the exchange, SL_MSG_DATA with a struct
 * sl_over_msg whose ownership moves; the receiver keeps one per worker to reuse).
 *
 * The owner maps a key to a dense group id (a hashagg without aggregates). A row whose
 * timestamp is at or below the owner's watermark is late: dropped and counted (late_rows;
 * Flink's numLateRecordsDropped). The others wait, encoded in one byte arena (per column a
 * NULL flag, then the value: VARCHAR as 4 length + bytes, others their width), until the
 * watermark passes their timestamp, in a binary heap by (timestamp, group, arrival). Then the
 * ready rows leave it in that order and each group's rows of one timestamp are processed
 * together:
 *   ROWS: each row in arrival order: the oldest frame row retracted when the frame holds
 *         n + 1 rows already, the row accumulated, then emitted with the aggregates;
 *   RANGE: the frame rows older than timestamp - interval retracted, every row of the
 *         timestamp accumulated, then each emitted with the same aggregates (peers).
 *   UNBOUNDED: no frame kept, only the accumulators.
 * Per group: accumulators per aggregate (sum, count of non-NULL values, the extreme for MIN /
 * MAX, recomputed over the frame when the retracted value was it) and, for a bounded frame,
 * a ring of the frame's timestamps and aggregate inputs (8 bytes and a NULL flag each).
 *
 * UPDATING INPUT (docs/sql.md, "OVER aggregates over an updating input"): a -U / -D row
 * drops the earliest equal waiting row of its group (found through an index of the waiting
 * rows: a chained hash table of their group, timestamp and bytes), else the
 * newest equal frame row (timestamp and aggregate inputs) leaves the ring and the
 * accumulators; +U rows are inserts.
 *
 * OUTPUT: append-only (+I): the input row's columns, then one column per aggregate. COUNT:
 * BIGINT; SUM, MIN, MAX, AVG: the argument's type (AVG of an integer truncates, as Java's
 * long division), NULL when the frame has no non-NULL value. The watermark passed on is the
 * minimum of the senders', after the rows it completes.
 *
 * STATE BYTES (64-bit): per partition key its bytes in the hashagg plus 24 bytes of group
 * state, 25 per aggregate, and for a bounded frame 8 + 9 per aggregate per frame row (ROWS:
 * n + 1 rows; RANGE: the rows of the interval); per waiting row its encoded bytes plus 60 (its
 * heap entry 40, its index slot and bucket 20) and 40 of the fire's scratch.
 *
 * THREADS: every call runs on the operator's worker thread; only rows cross threads, in the
 * messages.
 */
#ifndef SL_ENGINE_OP_OVER_H
#define SL_ENGINE_OP_OVER_H

#include "engine/ops/operator.h"

/* The payload of an SL_MSG_DATA message between instances: rows for the receiving owner in
 * `b` (from `pool`, both on the process heap). The receiver owns it. */
struct sl_over_msg {
    struct sl_msg_payload hdr; /* first: the ring can free an unreceived message */
    struct sl_batch_pool *pool;
    struct sl_batch *b;
};

/*
 * An OVER aggregate operator for `node` (SL_PLAN_OVER; not owned, it must outlive the
 * operator) on worker ctx->worker of ctx->nworkers (memory from ctx->heap). On success *out
 * is the caller's, freed through out->ops->free; its `next` is NULL for the caller to set.
 * Returns 0, SL_EINVAL (not such a node), SL_ENOTSUP (a type it cannot aggregate, named) or
 * SL_ENOMEM. Its checkpoint rescales: a new worker takes the partitions of its key groups
 * (engine/core/keygroup.h) with their frame rows, accumulators and waiting rows.
 */
int sl_op_over_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                   struct sl_error *err);

/* Projection pushdown: columns of the input that nothing downstream reads (need[c] false
 * for the node's output column c < the input's columns) are neither sent, kept nor read;
 * the output carries zeros there. The PARTITION BY, ORDER BY and aggregate columns are
 * always kept. Called before any row (the executor, with the plan's pruning). */
void sl_op_over_prune(struct sl_op *op, const bool *need);

#endif
