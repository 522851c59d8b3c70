/*
 * engine/ops/aggout.h - what the two aggregation operators (the window aggregation,
 * engine/ops/op_winagg.c, and the unbounded GROUP BY, engine/ops/op_groupagg.c) share between
 * the plan's aggregates and the hashagg (engine/ops/hashagg.h) that holds them.
 *
 * HOW IT WORKS
 * A plan node's aggregates map onto hashagg aggregates one to one, but for AVG of DECIMAL:
 * Flink widens its result, so the hashagg holds a SUM (in the aggregate's place) and a hidden
 * COUNT (after all the plan's aggregates), and sl_aggout_convert divides with Flink's
 * rounding (half up) at the output scale. sl_aggout_map fills the hashagg aggregates and the
 * per-output-column mapping (struct sl_aggout_col); sl_aggout_convert turns a batch the
 * hashagg emitted (its own column types) into the node's output batch.
 *
 * sl_aggout_route_hash gives the routing hash of the exchange (which worker owns a group):
 * the hash kernels (kernels/hash.h) over the routing columns, one pass per column.
 *
 * Everything here is pure over its arguments: no state, no allocation but sl_aggout_schema's
 * and the rescaling helper's (struct sl_aggout_rs).
 */
#ifndef SL_ENGINE_OPS_AGGOUT_H
#define SL_ENGINE_OPS_AGGOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "engine/ops/hashagg.h"
#include "engine/plan/plan.h"

struct sl_aggout_col { /* how output aggregate i comes out of the hashagg */
    bool avg_dec;      /* AVG of DECIMAL: hashagg SUM at .col, COUNT at .cnt_col */
    uint32_t col, cnt_col;
    uint8_t in_scale, out_scale;
    bool str; /* MIN / MAX of VARCHAR (the hashagg keeps a string id, sl_hashagg_str_id) */
};

/*
 * A schema of ncols columns named after rel's columns ("hidden" past them or with rel NULL),
 * typed types[i] (types NULL: rel's types). The caller owns it (sl_schema_free); NULL when
 * out of memory.
 */
struct sl_schema *sl_aggout_schema(struct sl_heap *heap, uint32_t ncols, const struct sl_rel *rel,
                                   const struct sl_type *types);

/*
 * Checks the aggregates of `node` (an SL_PLAN_AGG over node->input) and counts the hidden
 * hashagg aggregates they need (*nhidden). Returns 0 or SL_EINVAL with err's message naming
 * the aggregate (the caller adds the position).
 */
int sl_aggout_check(const struct sl_plan *node, uint32_t *nhidden, struct sl_error *err);

/*
 * Fills ha[0 .. naggs + nhidden - 1] (zeroed by the caller) and cols[0 .. naggs - 1] from the
 * aggregates of `node`, with the hashagg's aggregates output after `nkeys` key columns.
 * Returns 0 or SL_ENOTSUP (an AVG whose scales cannot be converted) with err's message.
 */
int sl_aggout_map(const struct sl_plan *node, uint32_t nkeys, struct sl_hashagg_agg *ha,
                  struct sl_aggout_col *cols, struct sl_error *err);

/*
 * hashes[i] = the routing hash of the active position i (n of them, b's selection) over the
 * columns cols[0 .. ncols - 1] of b; i64buf (SL_BATCH_CAP entries) is scratch for BOOLEAN
 * columns.
 */
void sl_aggout_route_hash(const uint32_t *cols, uint32_t ncols, const struct sl_batch *b,
                          uint32_t n, uint64_t *hashes, int64_t *i64buf);

/*
 * Rescaling (engine/core/keygroup.h): which groups of a hashagg a worker owns at another
 * worker count. sl_aggout_rs_init makes the batches the hashagg's groups are emitted into
 * (`proto`: a hashagg of the spec) and takes the routing columns' key indexes rk[0 .. nrk -
 * 1]; sl_aggout_rs_mine puts into rs->gids the groups of `src` whose routing hash (over
 * those keys as the table emits them: the hash the exchange routes their rows by) falls into
 * worker `worker`'s key groups at `nworkers` (kg_max: the job's key groups); all_to0: every
 * group belongs to worker 0 (no routing keys). hashes / i64buf: SL_BATCH_CAP scratch.
 * Returns 0, SL_ENOMEM or the emit's error; sl_aggout_rs_free frees what init made.
 */
struct sl_aggout_rs {
    struct sl_heap *heap;
    struct sl_schema *schema;
    struct sl_batch_pool *pool;
    uint32_t rk[SL_HASHAGG_MAX_K];
    uint32_t nrk;
    uint32_t *gids; /* sl_aggout_rs_mine's groups */
    uint32_t n, cap;
};
int sl_aggout_rs_init(struct sl_aggout_rs *rs, struct sl_heap *heap, const struct sl_hashagg *proto,
                      const uint32_t *rk, uint32_t nrk, struct sl_error *err);
int sl_aggout_rs_mine(struct sl_aggout_rs *rs, const struct sl_hashagg *src, int worker,
                      int nworkers, uint32_t kg_max, bool all_to0, uint64_t *hashes,
                      int64_t *i64buf, struct sl_error *err);
void sl_aggout_rs_free(struct sl_aggout_rs *rs);

/* round_half_up(sum * 10^up / cnt) into *out (cnt > 0); false when it does not fit. */
bool sl_aggout_avg_dec(int64_t sum, uint64_t cnt, unsigned up, int64_t *out);

/*
 * Copies column `src` (n rows) of a scratch batch into column `dst` of `o` (strings into o's
 * heap). Returns 0, SL_EINVAL (a NULL into a NOT NULL column) or SL_ENOMEM.
 */
int sl_aggout_copy_col(struct sl_batch *o, struct sl_column *dst, const struct sl_column *src,
                       uint32_t n);

/*
 * Fills `o` (the node's output: nkeys key columns, then naggs aggregates) from `s` (the
 * hashagg's output columns), n rows, and sets o->rows. `what` names the operator in the
 * message ("window aggregation"). Returns 0, SL_EINVAL, SL_ENOMEM or SL_EOVERFLOW (an AVG of
 * DECIMAL that does not fit) with err's message.
 */
int sl_aggout_convert(const struct sl_aggout_col *cols, uint32_t nkeys, uint32_t naggs,
                      struct sl_batch *s, struct sl_batch *o, uint32_t n, const char *what,
                      struct sl_error *err);

#endif
