/*
 * engine/ops/op_rank.h - Top-N and deduplication: ROW_NUMBER() OVER (PARTITION BY ... ORDER BY
 * ...) with a WHERE on the row number (the plan's SL_PLAN_RANK), as Flink's
 * AppendOnlyTopNFunction, RowTimeDeduplicateFunction and the processing-time deduplications
 * over an insert-only input, and RetractableTopNFunction over an updating one (retract mode,
 * the plan's rank.retract).
 *
 * HOW IT WORKS
 * Keyed by the PARTITION BY columns: each worker routes every input row to the owner of its
 * key (the hash of the key modulo the workers) - its own rows straight in, the others copied
 * into one batch per owner that goes through the exchange (sl_op_send, SL_MSG_DATA, a
 * struct sl_rank_msg whose ownership moves; the receiver keeps at most one per worker to send
 * its own next batches in, so that in the steady state nothing is allocated). No local
 * pre-selection (a local top N per worker that forwards only the rows entering it): it would
 * keep a second copy of every partition's top rows on each worker (state x (workers + 1)),
 * while it saves one row copy per row that misses a local top - few while the tops fill.
 *
 * The owner maps a key to a dense group id (a hashagg without aggregates: one vectorized
 * hash probe per row for a whole batch), and keeps per group the ids of its top rows in rank
 * order (N = the range's end; one id inline when N = 1). In retract mode a group keeps ALL
 * its rows in rank order (the top N first): a -U / -D removes one, and the row below the top
 * then refills rank N. Without PARTITION BY (a global Top-N) there is no key table: one
 * group, whose rows all route to the owner of the hash 0 (Flink: parallelism 1).
 * A Top-N fed by another exchange (a GROUP BY below it) gets rows while that one serves
 * received messages during a checkpoint's alignment: the rows for other owners are then
 * kept back (in order), saved with the state, and sent at ops->resumed. Rows live in a columnar row
 * store: per column an array indexed by row id (values of the column's width, a NULL flag byte), a
 * row's strings longer than 12 bytes in one block of the row's own from size classes with
 * free lists (no allocation per row in the steady state; a freed row's id and block are
 * reused). Per row: its arrival number (ties) and its block.
 *
 * ORDER: the ORDER BY columns, each ASC or DESC with its NULL placement; values as Flink
 * compares them (DOUBLE as Java's Double.compare, VARCHAR by unsigned bytes, a shorter prefix
 * first). Equal keys: the earlier arrival ranks first (Flink's TopNBuffer keeps a list per
 * sort key in arrival order), except deduplication keeping the last row, where the later one
 * wins (Flink: "preRowtime <= currentRowtime"). Deduplication by processing time ranks by
 * arrival only (the attribute's values are not read).
 *
 * OUTPUT per input row, at once (Flink's functions without mini-batch, row for row):
 *   Top-N, no row number, range starting at 1: a row that enters the top N: -D[the row it
 *       pushes out] (when the top was full) then +I[row]; a row that does not enter: nothing.
 *   Top-N with the row number, or a range starting above 1: every rank from the new row's
 *       down to N whose row changed: -U[old row, rank] +U[new row, rank], or +I[row, rank]
 *       where the rank was empty (AppendOnlyTopNFunction.processElementWithRowNumber).
 *   Retract mode, a -U / -D of a kept row (the first kept row equal to it in every column
 *       among those it ties with; none: nothing): without the row number -D[it] then +I[the
 *       row that refills rank N]; with it -U / +U for every rank from its down, -D[the last
 *       rank's row] when nothing refills it. Rows that enter below the top: nothing.
 *   Deduplication: the first row of a key +I; a row that replaces the kept one -U[old] +U[new]
 *       (keep last: rowtime >= the kept one's, or any later row by processing time; keep first:
 *       rowtime < the kept one's; by processing time nothing after the first row).
 * Batches of the plan node's columns with their row kinds set (engine/core/batch.h); the
 * watermark passed on is the minimum of the senders'.
 *
 * STATE BYTES (64-bit): per partition key its bytes in the hashagg (engine/ops/hashagg.h)
 * plus 24 bytes of group state (+ 4 per kept row when N > 1); per kept row 17 bytes (arrival
 * number, block pointer and class) plus per column its width (8; 16 for a VARCHAR) and a
 * NULL byte where nullable, plus its long strings in a block of the next size class (32, 48, 64,
 * 96, ...: at most a third of it unused). Retract mode keeps every row of a partition, and 4
 * bytes per row (up to 8 by doubling) in its group's id array.
 *
 * THREADS: every call runs on the operator's worker thread; only rows cross threads, in the
 * messages.
 */
#ifndef SL_ENGINE_OP_RANK_H
#define SL_ENGINE_OP_RANK_H

#include "engine/ops/operator.h"

struct sl_job;

/* The payload of an SL_MSG_DATA message between instances: rows for the receiving owner in
 * `b` (from `pool`, both on the process heap). The receiver owns it (sl_rank_msg_free). */
struct sl_rank_msg {
    struct sl_msg_payload hdr; /* first: the ring can free an unreceived message */
    struct sl_batch_pool *pool;
    struct sl_batch *b;
};

/*
 * A Top-N / deduplication operator for `node` (SL_PLAN_RANK with its range set; not owned, it
 * must outlive the operator) on worker ctx->worker of ctx->nworkers (memory from ctx->heap).
 * With the state TTL of `job` (NULL: none; 'table.exec.state.ttl', op_rank.c). On success
 * *out is the caller's, freed through out->ops->free; its `next` is NULL for the caller to
 * set. Returns 0, SL_EINVAL (not such a node), SL_ENOTSUP (a key or ORDER BY type
 * it cannot hold, named) or SL_ENOMEM.
 */
int sl_op_rank_new(const struct sl_plan *node, const struct sl_job *job, struct sl_worker_ctx *ctx,
                   struct sl_op **out, struct sl_error *err);

#endif
