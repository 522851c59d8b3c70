/*
 * engine/ops/eval.h - vectorized evaluation of bound expressions (engine/plan/plan.h), batch at a
 * time.
 *
 * HOW IT WORKS
 * sl_eval_new() compiles a list of expressions over an input relation once: each expression
 * node becomes an evaluation node with its own result vector (SL_BATCH_CAP values of its
 * type's width), a validity bitmap and the selection buffers it needs, all taken from the
 * worker's heap up front, so evaluating a batch allocates nothing (except string bytes that
 * CONCAT and CAST ... AS VARCHAR produce, which go to a chunked scratch arena reused from
 * batch to batch). Constants are broadcast into their vector at compile time. A column
 * reference evaluates to the batch's own column (no copy until the projection gathers it).
 *
 * A node is evaluated over a selection (sel, n as in kernels/kcommon.h) and leaves its values
 * at the rows the selection names; results are indexed by row, like the batch's columns.
 * Every node is one of two shapes:
 *   - value: the node's vector and validity (arithmetic through kernels/arith.h, casts,
 *     CONCAT, CASE, constants, columns);
 *   - predicate: the rows where it is TRUE, as a selection (comparisons through the select
 *     kernels, with a constant fast path; IN through in_i64 where the list is constant
 *     integers; LIKE 'abc%' through str_prefix; AND as chained selections, OR as a union).
 *     A predicate asked for a value turns its TRUE rows into a BOOLEAN vector and computes
 *     the NULL rows from its operands (three-valued logic); a value asked for TRUE rows is
 *     filtered with is_true.
 * Evaluation is lazy where SQL (and Flink's generated code) is: CASE evaluates a branch only
 * at the rows its WHEN selects, AND evaluates its right side only where the left is not
 * FALSE, OR only where it is not TRUE. So `CASE WHEN b <> 0 THEN a / b END` and
 * `b <> 0 AND a / b > 1` never divide by zero. As a filter (WHERE, a WHEN condition) AND is a
 * chain of selections: its right side runs only where the left is TRUE, since a row whose
 * left side is NULL is dropped whatever the right side says (so an error the right side would
 * raise at such a row is not raised; Flink's generated code would evaluate it there).
 *
 * Not done yet: CASE always splits selections and scatters; the arith blend kernels (a
 * two-branch CASE of columns and constants in one pass) are not used.
 *
 * SEMANTICS (Flink SQL 1.17, which is Java for numbers)
 *   - INT / BIGINT + - * wrap; / truncates; MOD takes the dividend's sign; a zero divisor is a
 *     run-time error (SL_EDIVZERO) naming the expression's SQL position. DOUBLE is IEEE.
 *   - DECIMAL(p, s) is a scaled int64 (engine/core/types.h). The binder's conventions: + - MOD and
 *     comparisons get operands at one scale; * and / keep each operand's scale and the result
 *     type gives the result's scale (rounded ROUND_HALF_UP when it is smaller). A result that
 *     leaves int64, or exceeds the declared precision when p <= 18, is SL_EOVERFLOW (Flink
 *     would give NULL; sluice prefers a loud error to silent data loss).
 *   - CAST: numeric <-> numeric with Java's rules (DOUBLE -> INT / BIGINT truncates and
 *     saturates, NaN -> 0; BIGINT -> INT keeps the low 32 bits; DECIMAL -> INT / BIGINT
 *     truncates toward zero; BOOLEAN -> number is 1 / 0); DOUBLE -> DECIMAL rounds the
 *     shortest decimal spelling of the double half-up (BigDecimal.valueOf(d).setScale(s,
 *     HALF_UP)); NaN or an infinity there is an error. Anything -> VARCHAR prints as Flink
 *     does: TRUE / FALSE, DECIMAL with all its scale digits, TIMESTAMP 'yyyy-MM-dd
 *     HH:mm:ss.SSS', DOUBLE as Java's Double.toString ("1.0E20", "0.001", "NaN",
 *     "-Infinity"). VARCHAR -> other types goes through io/fmt.h's parsers (TIMESTAMP through
 *     engine/core/datetime.h's, the rules of the TIMESTAMP literal too); text that does not
 *     parse is an error naming the SQL position and the text (Flink's CAST fails the job
 *     too; Flink's CAST of an impossible date such as 2023-02-31 gives the month's last
 *     day, sluice's refuses it - docs/sql.md).
 *   - LIKE: '%' matches any run of characters, '_' one character (a UTF-8 code point), both
 *     including line ends; there is no escape character (Flink's two-argument LIKE has
 *     none). Matching is case-sensitive on the bytes.
 *   - x IN (list): TRUE when x equals an element; else NULL when x or any element is NULL;
 *     else FALSE. Comparisons, AND, OR, NOT, IS [NOT] NULL follow SQL's three-valued logic.
 *
 * THREADS: an evaluator belongs to one worker thread (it owns per-batch scratch); make one
 * per worker.
 */
#ifndef SL_ENGINE_EVAL_H
#define SL_ENGINE_EVAL_H

#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "engine/core/mem.h"
#include "engine/plan/plan.h"

struct sl_sql_source;
struct sl_eval;

/*
 * Compiles `nexprs` expressions bound over `in`. Borrowed, and must outlive the evaluator:
 * `in`, the expressions (and the job arena they and their string constants live in), `sql`
 * (used for error messages; NULL gives messages with a byte offset). Scratch memory comes
 * from `heap` (NULL: the process heap). Returns an evaluator the caller owns
 * (sl_eval_free), or NULL with `err` filled (SL_ENOMEM, or SL_ENOTSUP / SL_EINVAL for an
 * expression the evaluator cannot run, naming it).
 */
struct sl_eval *sl_eval_new(struct sl_heap *heap, const struct sl_rel *in, uint32_t nexprs,
                            struct sl_expr *const *exprs, const struct sl_sql_source *sql,
                            struct sl_error *err);

/* Frees the evaluator and its scratch (NULL is allowed). */
void sl_eval_free(struct sl_eval *ev);

/*
 * Evaluates every expression over the active rows of `in` (whose columns are `in`'s relation)
 * and writes them as out's columns, in order: one dense row per active row, out->rows set,
 * no selection. `out` must be empty (rows == 0) and have the expressions' types; strings are
 * copied into out's string heap, so out depends on nothing of `in` or of the evaluator. Both
 * batches stay the caller's. Returns 0, or a negative code with `err` naming the expression's
 * SQL position and the value (division by zero, overflow, a bad CAST); out's contents are
 * then unspecified.
 */
int sl_eval_project(struct sl_eval *ev, struct sl_batch *in, struct sl_batch *out,
                    struct sl_error *err);

/*
 * Expression 0 (BOOLEAN) as a filter: narrows in's selection to the rows where it is TRUE
 * (NULL and FALSE drop the row). Returns 0 or a negative code with `err` filled (in's
 * selection is then unchanged).
 */
int sl_eval_filter(struct sl_eval *ev, struct sl_batch *in, struct sl_error *err);

#endif
