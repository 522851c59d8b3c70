/*
 * engine/ops/hashagg.h - hash aggregation (GROUP BY) over batches: the owner of the memory that
 * the hashagg kernels (kernels/hashagg.h) work on.
 *
 * HOW IT WORKS
 * Each key column becomes one 64-bit word, so a key of up to SL_HASHAGG_MAX_K words goes
 * through the kernels' generic-K table (one word: the specialized K = 1 loop):
 *
 *   key type                    word                         NULL as
 *   BIGINT, TIMESTAMP, DECIMAL  the int64                    0, plus its bit in a null-mask
 *                                                            word (one extra word for all
 *                                                            such nullable keys)
 *   INT                         sign-extended                1 << 32 (no INT is that)
 *   BOOLEAN                     0 or 1                       2
 *   DOUBLE                      normalized bits (hash.h:     0x7ff0000000000001, a signalling
 *                               -0.0 -> 0.0, one NaN)        NaN that normalization never makes
 *   VARCHAR                     id in the string dictionary  UINT64_MAX
 *
 * The string dictionary belongs to the hashagg: it interns each distinct string once into its
 * own arena (chunks of the heap) and maps it to a dense id; emitted strings are copied into
 * the output batch's string heap. A BIGINT key without NULLs is read from the batch column
 * itself (no copy).
 *
 * update(): build the key words of the active rows, hash them (kernels/hash.h), probe (the
 * table grows by doubling when the kernel stops at its maximum load - sl_hashagg_max_groups:
 * 1/4 while the slots fit in about 1 MiB, 3/4 beyond - and the probe resumes where it
 * stopped), give new groups their initial states, then one kernel pass per aggregate (a
 * COUNT(*) beside a SUM / MIN / MAX of a NOT NULL input is counted by that aggregate's pass).
 * The states of a group are one row of words (all aggregates side by side, see
 * engine/ops/hashagg.c), rows by group id, grown with the table.
 *
 * AGGREGATES and their result types (as Flink types them, with DECIMAL capped at 18 digits):
 *   COUNT(*), COUNT(x)     BIGINT NOT NULL (any input type for COUNT(x))
 *   SUM(INT | BIGINT | DOUBLE | DECIMAL(p,s))   INT | BIGINT | DOUBLE | DECIMAL(18,s),
 *                          integers wrap on overflow like Java's int and long
 *   MIN, MAX(INT | BIGINT | DOUBLE | DECIMAL | TIMESTAMP)   the input type; DOUBLE ordered as
 *                          Java's Double.compare (-0.0 < 0.0, NaN greatest)
 *   MIN, MAX(VARCHAR)      VARCHAR, ordered as Flink's BinaryStringData.compareTo: the UTF-8
 *                          bytes compared unsigned (invalid UTF-8 too), a shorter prefix first
 *   AVG(INT | BIGINT)      the input type: SUM / COUNT in integer division (Flink), truncated
 *   AVG(DOUBLE)            DOUBLE
 * SUM / MIN / MAX / AVG are nullable where the input is: a group whose inputs were all NULL
 * gives NULL. Not supported (SL_ENOTSUP from sl_hashagg_new): SUM / AVG of BOOLEAN, VARCHAR,
 * TIMESTAMP; AVG of DECIMAL (Flink widens it to DECIMAL(38, s) which sluice cannot hold);
 * MIN / MAX of BOOLEAN; keys that need more than SL_HASHAGG_MAX_K words.
 *
 * MIN / MAX OF VARCHAR: the state word is an id in the string dictionary (UINT64_MAX: no
 * value yet). A row's string is compared by bytes with the group's current extreme and
 * interned only when it replaces it, so a batch mostly compares and interns little. merge()
 * re-interns src's extremes into dst's dictionary; emit copies them into the output batch's
 * string heap; save() writes them by content (a section per such aggregate after the state
 * rows, hashagg.c), load() interns them again. COST: a superseded extreme stays in the
 * dictionary until clear() (an id is never freed: keys and states share the ids), so a
 * group fed a monotone input grows the dictionary by one string per row: about 28 bytes
 * (sl_str + hash + slot) plus the bytes of a string longer than 12. Session windows rebuild
 * their tables when they compact (engine/ops/op_winagg.c), which drops superseded strings.
 *
 * FILTER and DISTINCT (Flink's semantics):
 *   - an aggregate with a filter column counts only the rows where that column is TRUE (not
 *     FALSE, not NULL). update() narrows the batch's selection once per distinct filter
 *     column (a branch-free pass that also gathers the group ids) and runs the aggregate
 *     kernels of every aggregate with that filter over the narrowed selection. Such an
 *     aggregate always has a count word, so that a group none of whose rows passed gives
 *     COUNT 0 and NULL for SUM / MIN / MAX / AVG.
 *   - DISTINCT aggregates of one input column share one distinct set (engine/ops/distinct.h)
 *     with a bit per filter; a NULL input is ignored; a (group, value) pair is folded into
 *     an aggregate's state the first time it is seen with that aggregate's filter passing.
 *     The set belongs to the hashagg's state: merge() re-adds src's pairs into dst's sets
 *     (folding in only those new to dst), save() / load() carry it, clear() forgets it.
 *     MIN / MAX(DISTINCT) are MIN / MAX. COUNT(DISTINCT) takes any key type; SUM / AVG
 *     (DISTINCT) their usual numeric types.
 *
 * Output rows (emit): the key columns in spec order, then the aggregates in spec order, in
 * group-id order (the order in which keys first appeared).
 *
 * THREADS: a hashagg belongs to one worker thread; all memory comes from that worker's heap.
 */
#ifndef SL_ENGINE_HASHAGG_H
#define SL_ENGINE_HASHAGG_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "engine/core/mem.h"
#include "engine/core/state.h"
#include "engine/plan/plan.h"
#include "kernels/hashagg.h"

/* The aggregate functions are the plan's (engine/plan/plan.h, enum sl_agg_fn: SL_AGG_COUNT_STAR,
 * SL_AGG_COUNT, SL_AGG_SUM, SL_AGG_MIN, SL_AGG_MAX, SL_AGG_AVG), so that an operator can
 * include both headers. */
typedef sl_agg_fn sl_agg_func;

struct sl_hashagg_agg {
    uint8_t func;         /* sl_agg_func */
    uint32_t col;         /* input column of the batch (ignored for COUNT(*)) */
    struct sl_type input; /* its type (ignored for COUNT(*)) */
    bool distinct;        /* COUNT / SUM / AVG(DISTINCT x); ignored for MIN / MAX / COUNT(*) */
    uint32_t filter;      /* FILTER (WHERE ...): 1 + the batch's BOOLEAN column that says
                           * which rows count for this aggregate (TRUE only), 0 for none */
};

struct sl_hashagg_spec {
    uint32_t nkeys;                    /* 1 .. SL_HASHAGG_MAX_K key columns */
    const uint32_t *key_cols;          /* key column indexes in the input batches */
    const struct sl_type *key_types;   /* their types */
    uint32_t naggs;                    /* 0 or more aggregates */
    const struct sl_hashagg_agg *aggs; /* the aggregates */
};

struct sl_hashagg;

/*
 * A new, empty hashagg whose memory comes from `heap` (not owned; NULL for the process
 * heap). The spec is copied. On success *out is the caller's, freed with sl_hashagg_free.
 * Returns 0, SL_EINVAL / SL_ENOTSUP (with a message in err naming the column) or SL_ENOMEM.
 */
int sl_hashagg_new(struct sl_heap *heap, const struct sl_hashagg_spec *spec,
                   struct sl_hashagg **out, struct sl_error *err);

/* Frees the hashagg and all its memory (NULL is allowed). */
void sl_hashagg_free(struct sl_hashagg *ha);

/*
 * Aggregates the active rows of `b` (its selection and NULLs honoured); the columns named by
 * the spec must have the spec's types. `b` is not kept. Returns 0, SL_EINVAL (a column does
 * not match) or SL_ENOMEM (the groups already counted are intact; the batch may be partly
 * counted).
 */
int sl_hashagg_update(struct sl_hashagg *ha, struct sl_batch *b, struct sl_error *err);

/*
 * Merges the partial states of `src` (same spec, another hashagg) into `dst`: afterwards
 * `dst` holds what one hashagg fed with both inputs would hold (the final step of two-phase
 * aggregation). `src` is unchanged. Returns 0, SL_EINVAL (specs differ, or src == dst) or
 * SL_ENOMEM.
 */
int sl_hashagg_merge(struct sl_hashagg *dst, const struct sl_hashagg *src, struct sl_error *err);

/*
 * sl_hashagg_merge, and map[g] (sl_hashagg_groups(src) entries) receives the group of `dst`
 * that src's group g went into (the unbounded GROUP BY, engine/ops/op_groupagg.c, emits the
 * groups a merge changed). map NULL: sl_hashagg_merge.
 */
int sl_hashagg_merge_map(struct sl_hashagg *dst, const struct sl_hashagg *src, uint32_t *map,
                         struct sl_error *err);

/*
 * sl_hashagg_merge of src's groups gids[0 .. n - 1] only (each < sl_hashagg_groups(src),
 * each once): the part of a table that moves to another worker when state is rescaled
 * (engine/core/keygroup.h). Returns as sl_hashagg_merge.
 */
int sl_hashagg_merge_sel(struct sl_hashagg *dst, const struct sl_hashagg *src, const uint32_t *gids,
                         uint32_t n, struct sl_error *err);
/* The same, and map[g] (sl_hashagg_groups(src) entries) the group of `dst` that each merged
 * group g went into (UINT32_MAX for the others). */
int sl_hashagg_merge_sel_map(struct sl_hashagg *dst, const struct sl_hashagg *src,
                             const uint32_t *gids, uint32_t n, uint32_t *map, struct sl_error *err);

/*
 * sl_hashagg_emit of the groups gids[0 .. n-1] (n <= SL_BATCH_CAP, each < sl_hashagg_groups),
 * in that order, into the empty batch `out`. Returns n or SL_EINVAL / SL_ENOMEM.
 */
int sl_hashagg_emit_groups(const struct sl_hashagg *ha, const uint32_t *gids, uint32_t n,
                           struct sl_batch *out, struct sl_error *err);

/*
 * Session windows (engine/ops/op_winagg.c): the groups of a hashagg are read and merged by
 * group id (0 .. sl_hashagg_groups - 1, in order of first appearance).
 * sl_hashagg_key_word: the word w (0 .. sl_hashagg_nwords - 1; word k < nkeys is key k, a
 * VARCHAR key's word a string id of this hashagg) of group g; words of two groups of one
 * hashagg are equal exactly when their keys are.
 * sl_hashagg_merge_groups: merges the groups gids[0 .. ngids - 1] of `src` (same spec) into
 * `dst` as sl_hashagg_merge does, with the value of key `ks` replaced by kstart[i] and of key
 * `ke` by kend[i] for group gids[i] (both NOT NULL BIGINT / TIMESTAMP keys). `src` is
 * unchanged. Returns 0, SL_EINVAL (specs or keys do not fit) or SL_ENOMEM.
 */
uint64_t sl_hashagg_key_word(const struct sl_hashagg *ha, uint32_t g, uint32_t w);
uint32_t sl_hashagg_nwords(const struct sl_hashagg *ha);
int sl_hashagg_merge_groups(struct sl_hashagg *dst, const struct sl_hashagg *src,
                            const uint32_t *gids, uint32_t ngids, uint32_t ks,
                            const int64_t *kstart, uint32_t ke, const int64_t *kend,
                            struct sl_error *err);

/*
 * MIN / MAX of VARCHAR (aggregate i): sl_hashagg_str_id is the string id of group g's value
 * (UINT64_MAX for NULL, and for an aggregate of another kind); two ids of one hashagg are
 * equal exactly when the strings are, until clear() / load(). sl_hashagg_str: the string of
 * an id (NULL when out of range), valid until the next update / merge / load / clear.
 */
uint64_t sl_hashagg_str_id(const struct sl_hashagg *ha, uint32_t g, uint32_t i);
const sl_str *sl_hashagg_str(const struct sl_hashagg *ha, uint64_t id);

/*
 * The group of each active row of `b` (its key columns at the spec's key_cols; other columns
 * are not read) into gids[0 .. active - 1], a new group (with initial states) for a key not
 * seen yet. The unbounded GROUP BY (engine/ops/op_groupagg.c) finds the group of a key so,
 * and Top-N (engine/ops/op_rank.c, a hashagg without aggregates) keeps its rows by group.
 * Returns 0, SL_EINVAL (a key column does not match) or SL_ENOMEM.
 */
int sl_hashagg_groups_of(struct sl_hashagg *ha, struct sl_batch *b, uint32_t *gids,
                         struct sl_error *err);

/*
 * Puts group g's aggregate states back to their initial values (as a new group's), keeping
 * its key: a group whose rows were all retracted, or whose state TTL ran out, starts again
 * from nothing (a MIN / MAX of VARCHAR's superseded string stays in the dictionary, as any
 * superseded extreme). Not for a hashagg with DISTINCT aggregates. Returns 0 or SL_EINVAL.
 */
int sl_hashagg_reset_group(struct sl_hashagg *ha, uint32_t g);

/* Number of groups so far. */
uint32_t sl_hashagg_groups(const struct sl_hashagg *ha);

/* Number of output columns: keys + aggregates. */
uint32_t sl_hashagg_out_ncols(const struct sl_hashagg *ha);

/* The output column types (sl_hashagg_out_ncols of them) into types[]: build the schema of
 * the batches passed to sl_hashagg_emit from them. */
void sl_hashagg_out_types(const struct sl_hashagg *ha, struct sl_type *types);

/*
 * Writes the groups *cursor, *cursor + 1, ... (at most SL_BATCH_CAP) into `out`, which must be
 * empty and have the output column types (nullability may be wider), and advances *cursor.
 * Start with *cursor = 0; 0 rows written means every group was emitted. Strings are copied
 * into out's string heap. Returns the rows written, or SL_EINVAL (out does not match) or
 * SL_ENOMEM (string heap).
 */
int sl_hashagg_emit(const struct sl_hashagg *ha, uint32_t *cursor, struct sl_batch *out,
                    struct sl_error *err);

/* Forgets every group and string; the table keeps its size for reuse. */
void sl_hashagg_clear(struct sl_hashagg *ha);

/*
 * Checkpoints: appends the hashagg's groups (keys, strings and aggregate states) to `out`
 * (engine/core/state.h), in a form sl_hashagg_load reads back into a hashagg of the same spec
 * in another process. Does not change `ha`. 0, or SL_ENOMEM.
 */
int sl_hashagg_save(const struct sl_hashagg *ha, struct sl_sbuf *out, struct sl_error *err);

/*
 * Loads groups that sl_hashagg_save wrote into `ha` (same spec, empty: new or cleared).
 * Afterwards `ha` emits, merges and updates exactly as the saved one did (same groups in the
 * same order, same states). SL_ECORRUPT (with in->what and the offset) for bytes that do not
 * fit this spec; SL_ENOMEM.
 */
int sl_hashagg_load(struct sl_hashagg *ha, struct sl_sread *in, struct sl_error *err);

/* Bytes of heap memory the hashagg holds. */
size_t sl_hashagg_memory(const struct sl_hashagg *ha);

#endif
