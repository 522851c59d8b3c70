/*
 * engine/ops/op_winagg.h - the window aggregation operator (plan node SL_PLAN_AGG with
 * agg.window_start / agg.window_end >= 0): GROUP BY key, window_start, window_end over the
 * rows of a window table function or of a window aggregation (cascaded), aggregated in two
 * phases across the workers.
 *
 * The window of a row is its window_start / window_end columns, however they were made: by the
 * Window operator (a window table function), or - a cascaded window aggregation, agg.attached
 * (Flink's WindowAttachedWindowingStrategy) - by a window aggregation below, whose keys
 * window_start / window_end (under any names: the binder's sl_b_attached_window) this one
 * groups by. Its windows may overlap (HOP, CUMULATE); each row counts in its own window only.
 * No assigner runs for them (engine/ops/winassign.h: their firing rule is the same). Because
 * phase 2 passes no watermark downstream beyond the windows it has emitted, an attached
 * aggregation never finds its input's rows late.
 *
 * HOW IT WORKS
 * Input rows have the node's input rel: the group keys (columns 0 .. nkeys-1, window_start and
 * window_end among them), then the aggregate inputs. One instance runs on every worker and
 * plays two parts:
 *
 * Phase 1 (push, watermark): per open window (start, end) and per owner worker a partial
 * aggregation (engine/ops/hashagg.h) of the rows this worker saw. A row's owner is the hash
 * (kernels/hash.h) of its keys other than window_start / window_end (of window_start when
 * there are none) modulo the number of workers, so each owner gets exactly its keys. A batch
 * is split into (window, owner) runs with a counting sort of its positions and each run
 * updates its partial through a selection. On watermark(wm) every window that wm fires is
 * closed: each owner gets its partial (sl_op_send, SL_MSG_DATA, ptr a struct
 * sl_winagg_partial whose ownership moves to the receiver, who frees it on its thread),
 * then every worker gets SL_MSG_WATERMARK wm. The watermark is not passed downstream here.
 *
 * Phase 2 (receive, finish): partials are merged (sl_hashagg_merge) into the final table of
 * their window. The operator keeps the last watermark of each sender; when their minimum
 * advances, every window it fires is emitted downstream (batches of the node's out rel, the
 * windows in order of (end, start), the groups of one window in the table's order), its
 * table is cleared for reuse, and then the minimum is passed downstream with
 * sl_op_watermark_next - never further than the windows emitted before it. finish() from
 * upstream says this worker's input has ended (after its INT64_MAX watermark); the output
 * ends - what is left is emitted and finish goes downstream - once that has happened and
 * every sender's INT64_MAX watermark has arrived, in whichever order the two come.
 *
 * SEMANTICS (Flink 1.17 window TVF aggregation, SlicingWindowOperator / TimeWindowUtil):
 *   - a window [start, end) fires when the watermark reaches end - 1 (its last
 *     millisecond): isWindowFired(end, wm) = end - 1 <= wm, end - 1 in Java's wrapping long.
 *     The watermark INT64_MAX (end of input) fires every window. This is one millisecond
 *     earlier than "end <= wm", and it is what makes forwarding wm correct: every row
 *     emitted later has window_end - 1 > wm.
 *   - late rows: a row whose window the operator's watermark has already fired is dropped
 *     and counted in ctx->stats->late_rows (Flink's default: no allowed lateness, no side
 *     output). For HOP the Window operator has made one row per window, so the count is of
 *     (row, window) pairs, and a row late for its early windows still counts in the later
 *     ones (as Flink's slicing assigner merges a late slice into the unfired windows); the
 *     same with window slicing (below), which counts the pairs a copy would have made.
 *   - result types are the binder's (Flink's): COUNT BIGINT NOT NULL; SUM of INT / BIGINT
 *     wraps like Java; SUM of DECIMAL(p, s) is DECIMAL(38, s); AVG of integers divides in
 *     integer arithmetic (truncated), of DOUBLE in double; MIN / MAX of the input type.
 *   - AVG of DECIMAL(p, s) is DECIMAL(38, max(s, 6)) (Flink's DecimalAvgAggFunction):
 *     SUM / COUNT rounded HALF_UP to the result scale (DecimalDataUtils.divide); a result
 *     beyond the 64 bits sluice keeps for a DECIMAL is an SL_EOVERFLOW error. The hashagg
 *     keeps a SUM and a hidden COUNT for it and this operator divides at emission.
 *   - FILTER (WHERE ...) and COUNT / SUM / AVG(DISTINCT) are the hashagg's (hashagg.h): a
 *     partial carries its distinct sets to the owner, whose merge counts a value that
 *     several workers saw once; AVG(DISTINCT) of a DECIMAL keeps its hidden COUNT with the
 *     same DISTINCT and FILTER.
 *   - checkpoint barriers are the executor's business, not this operator's: the executor
 *     aligns them (engine/exec/exec.c) and calls ops->save only at a consistent cut, when no
 *     partial or watermark is in flight to this instance, and ops->restore on a fresh
 *     instance before anything is pushed (the state layout is in op_winagg.c). An
 *     SL_MSG_BARRIER or SL_MSG_END that reaches receive() anyway is ignored.
 *
 * WINDOW SLICING (agg.slice, issue #13; Flink's SlicingWindowOperator with its SliceAssigners
 * and SliceSharedWindowAggProcessor): when the binder has fused a HOP or CUMULATE window into
 * the aggregation (engine/sql/binder.c sl_b_slice_fuse: the window columns are used as the
 * keys window_start / window_end only), the input has no window columns - both keys hold the
 * rowtime - and every row is aggregated once, into its slice: [s, s + slide) for HOP (the
 * size is a multiple of the slide, so gcd(size, slide) = slide), [s, s + step) for CUMULATE,
 * s = the rowtime rounded down to the slide / step plus the offset. A row with a NULL rowtime
 * is dropped (no window, not late). The slices take the place of the windows above: phase 1
 * keeps a partial per (slice, owner) and sends it when the watermark fires the slice's end;
 * phase 2 keeps a table per slice (the window keys in a slice's groups are 0) and, when the
 * watermark fires a window end E, merges the tables of the slices that window holds (HOP: the
 * size / slide slices ending in (E - size, E]; CUMULATE: those of E's period ending by E;
 * one slice: its table as it is) into a spare table, emits its groups with window_start /
 * window_end written in, and releases every slice whose last window (HOP: slice start +
 * size; CUMULATE: its period's end) has fired. With no key besides the window every slice
 * goes to owner 0 (the windows of one slice must meet at one owner).
 *   Late rows: a row whose slice end the worker's watermark has fired is late for the windows
 * that watermark has fired - each such (row, window) pair is counted in late_rows as the
 * Window operator's copies were - and goes on into the windows not fired yet: into a "late
 * part" (slice start, first unfired window end) kept and sent like a slice, which phase 2
 * merges only into windows from that end on. A row all of whose windows have fired is
 * dropped. So the rows and late counts are those of the Window operator's copies (Flink's
 * AbstractWindowAggProcessor likewise merges a late row into the unfired windows through
 * its slice, and drops it once its last window has fired).
 *   TUMBLE is not fused (one slice per window: the copy path is the same work).
 *
 * SESSION windows (agg.session): the rows' own windows [ts, ts + gap) are merged per key into
 * sessions at the key's owner, and a session fires when the watermark reaches its end - 1
 * (the session block of op_winagg.c has the design and its state layout).
 *
 * THREADS: every call runs on the operator's worker thread; only partials cross threads,
 * through the messages.
 */
#ifndef SL_ENGINE_OP_WINAGG_H
#define SL_ENGINE_OP_WINAGG_H

#include "engine/ops/hashagg.h"
#include "engine/ops/operator.h"

/* The payload of an SL_MSG_DATA message between window aggregation instances: the partial
 * aggregation of window [start, end) for the receiving owner. Allocated on the sender's
 * heap; the receiver owns it and frees it (sl_hashagg_free, then sl_mem_free). */
struct sl_winagg_partial {
    struct sl_msg_payload hdr; /* first: the ring can free an unreceived partial */
    int64_t start, end;
    uint64_t fired_ns; /* CLOCK_MONOTONIC when the sender's watermark passed `end` */
    struct sl_hashagg *ha;
};

/*
 * A window aggregation operator for `node` (SL_PLAN_AGG with a window; not owned, it must
 * outlive the operator) on worker ctx->worker of ctx->nworkers (memory from ctx->heap).
 * On success *out is the caller's, freed through out->ops->free (which also frees partials
 * and tables still held); its `next` is NULL for the caller to set. Returns 0, SL_EINVAL
 * (not a windowed aggregation), SL_ENOTSUP (an aggregate or key the hashagg cannot hold)
 * or SL_ENOMEM, with a message in err that points into the SQL.
 */
int sl_op_winagg_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                     struct sl_error *err);

#endif
