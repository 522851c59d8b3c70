/*
 * engine/ops/op_lookup.h - the lookup join operator (SL_PLAN_LOOKUP_JOIN): a stream joined with
 * a bounded table on one equality key.
 *
 * HOW IT WORKS
 * At creation the operator reads the whole table through its connector (a filesystem
 * source, every split, as one worker) into batches it keeps, and builds a hash map from
 * the build key to the rows holding it, in the table's order. Each worker has its own
 * copy (tables are small; a copy per worker keeps every access local and lock-free).
 * push() probes the active rows of a batch and writes output batches of the node's `out`
 * relation (probe columns, then the table's columns) from the operator's own pool:
 *   - a probe row joins every table row with an equal key (duplicates give one output row
 *     each, in table order);
 *   - a NULL key never matches (SQL equality), on either side;
 *   - LEFT JOIN keeps a probe row without a match, with NULLs in the table's columns;
 *   - keys compare as SQL values: DOUBLE 0.0 = -0.0 and NaN matches nothing; DECIMALs of
 *     different scales compare by value.
 * Output keeps the order of the probe rows. Each push emits what it built (the last batch
 * partly filled), so watermarks and finish simply pass through.
 *
 * OWNERSHIP AND THREADS
 * The operator owns the loaded table and its pools; create it on the worker thread that
 * runs it (the batches come from that worker's heap). `plan` and the table it names must
 * outlive the operator; `env` is used only during the call.
 */
#ifndef SL_ENGINE_OP_LOOKUP_H
#define SL_ENGINE_OP_LOOKUP_H

#include "engine/ops/connector.h"
#include "engine/ops/operator.h"

/*
 * Creates the operator for `plan` (SL_PLAN_LOOKUP_JOIN) and loads its table. `heap` is the
 * worker's heap (NULL: the process heap). Errors from the table's connector (options,
 * files, bad records under 'fail') come back in err. *out is the caller's (ops->free).
 */
int sl_op_lookup_new(const struct sl_plan *plan, const struct sl_connector_env *env,
                     struct sl_heap *heap, struct sl_op **out, struct sl_error *err);

/* Rows the operator loaded from its table (for EXPLAIN ANALYZE-like summaries and tests). */
uint64_t sl_op_lookup_table_rows(const struct sl_op *op);

#endif
