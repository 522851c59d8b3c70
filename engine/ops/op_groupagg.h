/*
 * engine/ops/op_groupagg.h - the unbounded GROUP BY (no window): an updating aggregation that
 * emits a changelog, as Flink's GroupAggregate with mini-batch (MiniBatchGroupAggFunction).
 *
 * HOW IT WORKS
 * Two phases, as the window aggregation (engine/ops/op_winagg.h): each worker folds its input
 * rows into one partial hashagg per owner worker (the owner of a group is the hash of its
 * keys modulo the workers); a mini-batch ends and every partial goes to its owner
 * (sl_op_send, SL_MSG_DATA, a struct sl_groupagg_partial whose ownership moves) when
 *   - the rows folded since the last send reach 'table.exec.mini-batch.size' (rows),
 *   - 'table.exec.mini-batch.allow-latency' has passed since the last send (checked at each
 *     input batch and each watermark), or
 *   - the input ends (the INT64_MAX watermark).
 * With 'table.exec.mini-batch.enabled' = 'false' every input batch is a mini-batch. At a
 * checkpoint the partials not sent yet are part of the saved state (nothing is flushed).
 *
 * The owner merges a partial into its state (sl_hashagg_merge_map, which says which groups it
 * touched), then clears it and keeps it (at most one per worker) as the next mini-batch's
 * partial, so partials keep their size instead of growing from empty each mini-batch; and it
 * emits, per touched group, as MiniBatchGroupAggFunction does:
 *   - a new group: +I[keys, results];
 *   - a group whose results changed: -U[keys, old results] then +U[keys, new results];
 *   - a group whose results did not change: nothing (Flink: "new row is same with prev row,
 *     no need to output"; with a state TTL and mini-batch off, -U / +U of the equal rows,
 *     as Flink's GroupAggFunction).
 *
 * STATE TTL ('table.exec.state.ttl', docs/sql.md): per group its last write (8 bytes); a
 * mini-batch that touches an expired group resets it first (it emits +I, nothing is
 * retracted), and a cleanup rebuilds the state without the expired groups when they are half
 * of it (op_groupagg.c, "state TTL").
 * The old results are the ones emitted last: the owner keeps them per group (8 bytes per
 * aggregate and a NULL flag), so it needs no second copy of the accumulators.
 *
 * UPDATING INPUT (the plan's input edge is not insert-only, engine/plan/changelog.h): -U / -D
 * rows retract. The hashaggs fold a view of each batch with derived columns (op_groupagg.c,
 * "view mode"): COUNT / SUM / AVG are sums of signed columns, a group's row count is
 * SUM(sign), MIN / MAX keep a multiset per group. A group whose row count is no longer
 * positive after a mini-batch emits -D[keys, old results] (if it had been emitted) and its
 * accumulators start again from nothing, as Flink's GroupAggFunction clears the key's state.
 * DISTINCT aggregates (but MIN / MAX) are refused over an updating input.
 *
 * NO GROUP BY KEYS: Flink's global aggregate. One hidden constant key; every worker folds
 * its rows for owner 0, which emits the one group.
 *
 * Aggregates: COUNT(*), COUNT, SUM, MIN, MAX, AVG, with DISTINCT and FILTER (WHERE ...), with
 * the hashagg's types and semantics (engine/ops/hashagg.h); AVG of DECIMAL through a hidden
 * SUM and COUNT, rounded as the window aggregation does.
 *
 * OUTPUT: batches of the plan node's columns (keys then aggregates) whose row kinds are set
 * (engine/core/batch.h); the watermark passed on is the minimum of the senders'.
 *
 * THREADS: every call runs on the operator's worker thread; only partials cross threads,
 * through the messages.
 */
#ifndef SL_ENGINE_OP_GROUPAGG_H
#define SL_ENGINE_OP_GROUPAGG_H

#include "engine/ops/hashagg.h"
#include "engine/ops/operator.h"
#include "engine/plan/catalog.h"

/* The payload of an SL_MSG_DATA message between instances: one mini-batch of one sender for
 * the receiving owner. The receiver owns it and frees it (sl_hashagg_free, sl_mem_free). */
struct sl_groupagg_partial {
    struct sl_msg_payload hdr; /* first: the ring can free an unreceived partial */
    struct sl_hashagg *ha;
    struct sl_hashagg **mm; /* with an updating input: the MIN / MAX multisets (nmm) */
    uint32_t nmm;
};

/*
 * An unbounded group aggregation for `node` (SL_PLAN_AGG with window_start < 0; not owned, it
 * must outlive the operator) on worker ctx->worker of ctx->nworkers (memory from ctx->heap),
 * with the mini-batch settings of `job` (NULL: the defaults, 50000 rows and 1 s). On success
 * *out is the caller's, freed through out->ops->free; its `next` is NULL for the caller to
 * set. Returns 0, SL_EINVAL (not such a node; a setting that is not a number / duration, with
 * the setting named), SL_ENOTSUP (an aggregate or key the hashagg cannot hold) or SL_ENOMEM.
 */
int sl_op_groupagg_new(const struct sl_plan *node, const struct sl_job *job,
                       struct sl_worker_ctx *ctx, struct sl_op **out, struct sl_error *err);

#endif
