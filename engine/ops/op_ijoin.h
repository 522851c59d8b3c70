/*
 * engine/ops/op_ijoin.h - the interval join of two streams (plan node SL_PLAN_JOIN with
 * join.interval): INNER, on equality keys and a bound of the right side's rowtime by the
 * left's, `r.rt - l.rt` in [lo, hi] (Flink's StreamExecIntervalJoin, RowTimeIntervalJoin).
 * Insert-only inputs, insert-only output whose two rowtime columns stay time attributes.
 *
 * HOW IT WORKS
 * As the regular join (engine/ops/op_join.h; the row store, the key hashing and the messages
 * are engine/ops/join_store.h, the routing to owners and the outbox engine/ops/join_route.h):
 * a row's owner is hash(keys) % workers, each side's rows are kept in a columnar store
 * chained by key hash, a new row is stored and probed against the other side's rows of its
 * key, and a pair is emitted by whichever of its rows came later - here only when the right
 * row's time minus the left row's lies in [lo, hi].
 *
 * EVENT TIME: each worker sends min(left watermark, right watermark) of its inputs to every
 * owner through the same ordered outbox as its rows (a watermark never overtakes the rows
 * before it); an owner's operator time W is the minimum over the senders (engine/ops/
 * exchange.h keeps it). As Flink's RowTimeIntervalJoin with its relative sizes hi (left) and
 * -lo (right):
 *   - a left row of time t can still meet a right row while W < t + hi, a right row while
 *     W < t - lo; after that it is dropped from the state (compaction: when W passed the
 *     oldest row and either half as many rows came in as the last compaction kept or W moved
 *     on by half the time span of the rows it kept; rows past their bound that are still
 *     held never match);
 *   - a new row always probes the other side's live rows; it is stored only while it is live
 *     itself (a late row - behind W by more than its side's bound - joins what is still
 *     there and is not kept, as Flink does; Flink's own cleanup timers can drop rows a little
 *     later than W, so a late row's matches may differ from Flink's, never an on-time row's);
 *   - the watermark downstream is W - max(hi, -lo) (Flink's getMaxOutputDelay), the end
 *     (INT64_MAX) unchanged; finish() follows it once every sender ended and both of this
 *     worker's inputs ended.
 *
 * CHECKPOINT STATE (ops->save / restore, little-endian, engine/core/state.h), at a cut where
 * nothing is in flight to the operator:
 *   4       magic 0x314a4953 ("SIJ1", format 1)
 *   4       nworkers (restore refuses another count)
 *   1, 1    left done, right done
 *   8, 8    left watermark, right watermark (this worker's inputs)
 *   8       the watermark last sent to the owners
 *   the exchange's receiving side (engine/ops/exchange.h: sl_xchg_save_recv)
 *   the left store, then the right store (engine/ops/join_store.h)
 *   4       outbox count, then each: 4 worker, 1 kind (1 rows, 2 watermark); rows: a message
 *           (join_store.h), watermark: 8 value
 */
#ifndef SL_OPS_OP_IJOIN_H
#define SL_OPS_OP_IJOIN_H

#include "engine/ops/operator.h"

/* An interval join for `node` (SL_PLAN_JOIN, join.interval) on ctx's worker; *out is owned by
 * the caller (its ops->free frees the right entry too). */
int sl_op_ijoin_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                    struct sl_error *err);

/* The operator the right input's chain pushes into (owned by the join). */
struct sl_op *sl_op_ijoin_right(struct sl_op *join);

/* Projection pushdown as sl_op_join_prune (keys and time columns are always kept). */
void sl_op_ijoin_prune(struct sl_op *join, const bool *need);

/* Rows each side holds on this worker (tests and metrics): they shrink as W passes. */
void sl_op_ijoin_rows(const struct sl_op *join, uint64_t *left, uint64_t *right);

#endif
