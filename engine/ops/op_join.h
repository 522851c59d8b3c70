/*
 * engine/ops/op_join.h - the regular join of two streams (plan node SL_PLAN_JOIN): INNER, LEFT,
 * RIGHT or FULL OUTER, on one or more equality keys, over insert-only or updating inputs; an
 * inner join's output is insert-only over insert-only inputs, an outer join's a changelog of
 * +I and -D (Flink's StreamingJoin with both sides' state kept forever, as Flink's without
 * 'table.exec.state.ttl'; with it, each stored row expires on its own, below).
 *
 * UPDATING INPUTS (Flink's StreamingJoinOperator, docs/sql.md): an input batch's rows are taken
 * in runs of one kind. Accumulating rows (+I, +U) are stored and probed as below; their pairs
 * carry the input's kind in an inner join, +I where either side is preserved. A retracting row
 * (-U, -D) is appended for the moment, its matches found (sl_jn_matches, with the residual
 * condition), the pairs' retraction emitted (-D where its side is preserved, else its kind),
 * a preserved other side's rows left without a match padded again (+I); then it leaves with
 * one stored row equal to it (every stored column, NULLs equal: join_store.h's
 * sl_jn_rows_eq / sl_jn_remove, the last row moving into its place). Equal rows are separate
 * rows (Flink's count per distinct row). The messages between workers carry the kinds.

 * HOW IT WORKS
 * The operator has two entry points: the left input is its own push / watermark / finish,
 * the right input's chain of operators ends in sl_op_join_right(), a small operator that
 * forwards to the right half. A row's owner worker is hash(keys) % workers (the hash kernels,
 * kernels/hash.h, so INT and BIGINT keys hash alike): each input batch is carved into
 * per-owner messages of the selected rows (columns copied, strings into the message's own
 * tail, so that the receiver owns everything and frees it with one call), rows the worker
 * owns itself are processed at once. Rows with a NULL key never match (SQL's `=`) and are
 * dropped before that. When the plan says the left input is already partitioned by the key
 * (join.left_local: it is the output of a join on the same key column, q23) left rows stay
 * where they are.
 *
 * The owner keeps each side's rows in a columnar store (engine/ops/join_store.h, shared with
 * the interval join, engine/ops/op_ijoin.h): per column one array of values
 * (the batch's physical width) and a validity bitmap where the column can be NULL, strings
 * longer than 12 bytes copied into append-only chunks (256 KiB, growing with the side to 32 MiB),
 and per row its key hash and
 * the next row of the same hash slot (a chained hash table: heads per slot, a power of two,
 * doubled when half of them head a chain - so about two per distinct key, however many rows
 * a key has). A batch of new rows of one side is appended, then probed
 * row by row against the other side's chain; matching pairs (left row, right row) are
 * collected up to a batch and gathered column by column into the output batch, whose strings
 * point into the stores (they live as long as the operator). Every pair is emitted once:
 * by whichever of its two rows arrived later.
 *
 * OUTER JOINS, as Flink's StreamingJoinOperator: a preserved side (LEFT's left, RIGHT's right,
 * both of FULL) keeps per row its number of matches (Flink's associated records). A new row
 * first retracts (-D) the other side's null-padded rows it is the first match of (count 0 ->
 * 1), then emits its pairs (+I); a new row of a preserved side without a match is emitted
 * null-padded (+I). So every padded row is retracted at most once, when its count leaves 0.
 * Rows of a preserved side with a NULL key are kept (as Flink keeps them) but out of the hash
 * chains, their count SL_JN_NONE: they are emitted padded and never match; the NULL-key rows
 * of a non-preserved side are dropped as in an inner join. An outer join's residual
 * condition (plan join.residual: ON's conditions other than keys and the null-generating
 * side's filters) decides which key-equal pairs match: the candidates are gathered into a
 * batch of the output's columns, evaluated (engine/ops/eval.h), and the passing ones counted
 * and emitted in order; a new row of a preserved side left with no match is emitted padded.
 *
 * STATE PER ROW: the row's values (8 bytes for BIGINT, DOUBLE, DECIMAL, TIMESTAMP; 4 INT;
 * 1 BOOLEAN; 16 VARCHAR plus its bytes beyond 12), one bit per nullable column, 8 bytes of
 * hash, 4 of chain, on a preserved side of an outer join 4 of match count; 4 bytes per hash slot,
 * at most two per distinct key (docs/sql.md).
 *
 * STATE TTL ('table.exec.state.ttl', docs/sql.md): with it each stored row keeps its last
 * write (8 bytes, join_store.h's ts: its arrival; for a preserved side's row also a change of
 * its match count, as Flink's OuterJoinRecordStateView writes it). A row whose TTL ran out
 * neither matches nor has its padding retracted; after rows are taken or at a watermark, at
 * most every ttl / 2, a side whose expired rows are half of its rows or more is compacted
 * (sl_jn_compact).
 *
 * A JOIN FED BY A JOIN sends the first join's output again, while serving received messages;
 * during a checkpoint's alignment such rows (and ENDs) would cross the receiver's barrier, so
 * they wait in an outbox that the snapshot saves and the next call sends, in order.
 *
 * END OF INPUT: watermarks do not pass a regular join (its output has no time attribute,
 * as in Flink), except the end (INT64_MAX). When both inputs of a worker ended it sends an
 * END to every worker; an owner that heard every worker's END and whose own inputs ended
 * passes INT64_MAX and finish() downstream.
 *
 * CHECKPOINT STATE (ops->save / restore, little-endian, engine/core/state.h), at a cut
 * where nothing is in flight to the operator:
 *   bytes   field
 *   4       magic 0x324e4a53 ("SJN2", format 2; format 1, "SJN1", has no match counts and
 *           is read for an INNER join only, whose state is the same in both; format 3,
 *           "SJN3", written with a state TTL, is format 2 with each store followed by
 *           4 rows and 8 x rows last-write times, ms since the epoch - any of them restores
 *           into a join with or without a TTL: rows without a time start theirs then)
 *   4       nworkers (restore refuses another count)
 *   1, 1    left_done, right_done; 1 end_sent
 *   4       ends heard; 1 finished
 *   then the left store, then the right store, each:
 *   4       ncols (must be the plan's), 4 rows
 *   8 x rows  the key hashes
 *   4 x rows  a preserved side's match counts (0xffffffff: a NULL key); none on another side
 *   per column read downstream (sl_op_join_prune; the plan decides which):
 *           rows x width bytes of values (VARCHAR: per row 4 bytes length + the bytes),
 *           then, where the column is nullable, ceil(rows / 64) x 8 bytes of validity
 *   then the rows kept for other workers while the checkpoint aligned (the channels'
 *   contents, sent after the snapshot; see sl_worker_ctx.aligning; engine/ops/join_route.h):
 *   4       count, then each: 4 worker, 1 kind (0 END, 1 rows); rows: 4 side, 4 rows,
 *           8 x rows hashes, the side's columns as above (the same widths and skips); rows
 *           of an updating input: side + 0x100 and a kind byte per row after the hashes
 *           (join_store.h; the layout of insert-only rows is unchanged)
 * The hash chains are rebuilt at restore.
 */
#ifndef SL_OPS_OP_JOIN_H
#define SL_OPS_OP_JOIN_H

#include "engine/ops/operator.h"

struct sl_job;

/* A join operator for `node` (SL_PLAN_JOIN) on ctx's worker, with the state TTL of `job`
 * (NULL: none); *out is owned by the caller (its ops->free frees the right entry too). */
int sl_op_join_new(const struct sl_plan *node, const struct sl_job *job, struct sl_worker_ctx *ctx,
                   struct sl_op **out, struct sl_error *err);

/* The operator the right input's chain pushes into (owned by the join). */
struct sl_op *sl_op_join_right(struct sl_op *join);

/* Projection pushdown: need[c] says whether column c of the join's output is read
 * downstream; the others are neither stored nor sent (zero in the output). Before any row. */
void sl_op_join_prune(struct sl_op *join, const bool *need);

/* Rows each side holds on this worker (tests and metrics). */
void sl_op_join_rows(const struct sl_op *join, uint64_t *left, uint64_t *right);

#endif
