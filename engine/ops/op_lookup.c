/*
 * engine/ops/op_lookup.c - the lookup join (engine/ops/op_lookup.h says what it does).
 *
 * THE MAP
 * Entries are the table's rows with a non-NULL key, in load order: (key hash, batch, row,
 * next entry with the same key). An open-addressing slot array (power of two, at most half
 * full, linear probing) holds one slot per distinct key: the first and last entry of its
 * chain, so duplicates stay in table order. Keys are hashed as 8-byte values (INT, BOOLEAN
 * widened; DOUBLE with -0.0 folded into 0.0) or string bytes, with XXH3.
 *
 * THE PROBE
 * The stream's key is one of its columns, or an expression over them (`ON mod(b.auction,
 * 10000) = s.key`): then an evaluator (engine/ops/eval.h) computes it for the batch's active
 * rows into a one-column batch first, read at the k-th active row's position.
 * A push collects (probe row, entry) pairs - entry NONE for a LEFT row without a match -
 * up to a batch of output, then copies column by column: probe columns from the input
 * batch, table columns from the stored batches. Strings are copied into the output
 * batch's heap, so the output owns everything it points to.
 */
#include "engine/ops/op_lookup.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "engine/ops/eval.h"

#define LK_NONE UINT32_MAX

struct lk_entry {
    uint64_t hash;
    uint32_t batch, row;
    uint32_t next;
};

struct lk_slot {
    uint32_t head, tail; /* LK_NONE when empty */
};

struct lk_op {
    struct sl_op base;
    uint32_t nprobe; /* probe columns (the input's) */
    int probe_col, build_col;
    struct sl_type probe_type, build_type;
    bool left;
    struct sl_schema *tschema, *oschema;
    struct sl_batch_pool *tpool, *opool;
    struct sl_batch **tb; /* the table */
    uint32_t ntb;
    uint64_t trows;
    struct lk_entry *e;
    uint32_t ne;
    struct lk_slot *slots;
    uint32_t mask;
    uint32_t *pr; /* pairs: probe row, entry (SL_BATCH_CAP each) */
    uint32_t *pe;
    struct sl_eval *kev; /* the key expression (plan lookup.probe_expr), or NULL */
    struct sl_schema *kschema;
    struct sl_batch_pool *kpool; /* one-column batches of the computed key */
};

/* ---- keys ---------------------------------------------------------------------------------- */

/* The 8-byte form of a non-string key, or false when it can match nothing (NaN). */
static bool lk_key64(const struct sl_column *c, uint32_t row, uint64_t *out)
{
    switch ((sl_type_id)c->type.id) {
    case SL_TYPE_BOOLEAN:
        *out = sl_col_bool((struct sl_column *)c)[row];
        return true;
    case SL_TYPE_INT:
        *out = (uint64_t)(int64_t)sl_col_i32((struct sl_column *)c)[row];
        return true;
    case SL_TYPE_DOUBLE: {
        double d = sl_col_f64((struct sl_column *)c)[row];
        if (isnan(d))
            return false;
        if (d == 0)
            d = 0; /* -0.0 = 0.0 */
        memcpy(out, &d, 8);
        return true;
    }
    default:
        *out = (uint64_t)sl_col_i64((struct sl_column *)c)[row];
        return true;
    }
}

static uint64_t lk_hash64(uint64_t k)
{
    return XXH3_64bits(&k, sizeof(k));
}

/* The build-scale form of a probe DECIMAL, or false when no build value can equal it. */
static bool lk_rescale(int64_t v, unsigned from, unsigned to, int64_t *out)
{
    if (from == to) {
        *out = v;
        return true;
    }
    if (to > from) {
        int64_t m = sl_pow10_i64(to - from);
        return !__builtin_mul_overflow(v, m, out);
    }
    int64_t d = sl_pow10_i64(from - to);
    if (v % d)
        return false;
    *out = v / d;
    return true;
}

/* Finds the slot of a key (or the empty slot where it goes). */
static struct lk_slot *lk_find(struct lk_op *op, uint64_t h, bool is_str, uint64_t k64,
                               const sl_str *ks)
{
    for (uint32_t i = (uint32_t)h & op->mask;; i = (i + 1) & op->mask) {
        struct lk_slot *s = &op->slots[i];
        if (s->head == LK_NONE)
            return s;
        const struct lk_entry *e = &op->e[s->head];
        if (e->hash != h)
            continue;
        struct sl_column *c = &op->tb[e->batch]->cols[op->build_col];
        if (is_str) {
            if (sl_str_eq(&sl_col_str(c)[e->row], ks))
                return s;
        } else {
            uint64_t v;
            if (lk_key64(c, e->row, &v) && v == k64)
                return s;
        }
    }
}

/* ---- loading ------------------------------------------------------------------------------- */

static int lk_index(struct lk_op *op, struct sl_error *err)
{
    uint64_t n = 0;
    for (uint32_t b = 0; b < op->ntb; b++)
        n += op->tb[b]->rows;
    if (n >= UINT32_MAX / 4)
        return sl_error_set(err, SL_ERANGE, "lookup join: table '%s' has too many rows (%llu)",
                            op->base.plan->lookup.table->name, (unsigned long long)n);
    uint32_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    op->mask = cap - 1;
    op->slots = malloc(cap * sizeof(*op->slots));
    op->e = malloc((n ? n : 1) * sizeof(*op->e));
    if (!op->slots || !op->e)
        return sl_error_set(err, SL_ENOMEM, "lookup join: out of memory");
    memset(op->slots, 0xff, cap * sizeof(*op->slots));
    bool is_str = op->build_type.id == SL_TYPE_VARCHAR;
    for (uint32_t b = 0; b < op->ntb; b++) {
        struct sl_column *c = &op->tb[b]->cols[op->build_col];
        for (uint32_t r = 0; r < op->tb[b]->rows; r++) {
            if (c->valid && sl_col_is_null(c, r))
                continue;
            uint64_t k = 0, h;
            const sl_str *ks = NULL;
            if (is_str) {
                ks = &sl_col_str(c)[r];
                h = XXH3_64bits(sl_str_data(ks), ks->len);
            } else if (lk_key64(c, r, &k)) {
                h = lk_hash64(k);
            } else {
                continue; /* NaN: matches nothing */
            }
            uint32_t id = op->ne++;
            op->e[id] = (struct lk_entry){h, b, r, LK_NONE};
            struct lk_slot *s = lk_find(op, h, is_str, k, ks);
            if (s->head == LK_NONE)
                s->head = id;
            else
                op->e[s->tail].next = id;
            s->tail = id;
        }
    }
    return 0;
}

static int lk_load(struct lk_op *op, const struct sl_connector_env *env, struct sl_heap *heap,
                   struct sl_error *err)
{
    const struct sl_table *t = op->base.plan->lookup.table;
    struct sl_source *src;
    if (!env->source_open)
        return sl_error_set(err, SL_EINVAL, "lookup join: no connector table (env.source_open)");
    int rc = env->source_open(t, env, 1, &src, err);
    if (rc)
        return rc;
    struct sl_worker_stats stats = {0};
    struct sl_worker_ctx ctx = {
        .worker = 0, .nworkers = 1, .heap = heap, .sql = env ? env->sql : NULL, .stats = &stats};
    uint32_t cap = 0;
    for (;;) {
        struct sl_batch *b = sl_batch_pool_get(op->tpool);
        if (!b) {
            rc = sl_error_set(err, SL_ENOMEM, "lookup join: out of memory");
            break;
        }
        struct sl_source_info info;
        rc = src->ops->poll(src, &ctx, b, 1000, &info, err);
        if (rc || !b->rows) {
            sl_batch_pool_put(b);
        } else {
            if (op->ntb == cap) {
                cap = cap ? 2 * cap : 16;
                struct sl_batch **nb = realloc(op->tb, cap * sizeof(*nb));
                if (!nb) {
                    sl_batch_pool_put(b);
                    rc = sl_error_set(err, SL_ENOMEM, "lookup join: out of memory");
                    break;
                }
                op->tb = nb;
            }
            op->tb[op->ntb++] = b;
            op->trows += b->rows;
        }
        if (rc || info.worker_done)
            break;
    }
    src->ops->free(src);
    return rc ? rc : lk_index(op, err);
}

/* ---- probing ------------------------------------------------------------------------------- */

static void lk_copy_value(struct sl_batch *out, uint32_t oc, uint32_t orow, struct sl_batch *in,
                          uint32_t ic, uint32_t irow, size_t width, bool *nomem)
{
    struct sl_column *d = &out->cols[oc], *s = &in->cols[ic];
    if (s->valid && sl_col_is_null(s, irow)) {
        if (d->valid)
            sl_col_set_null(d, orow, true);
        return;
    }
    if (d->valid)
        sl_col_set_null(d, orow, false);
    if (d->type.id == SL_TYPE_VARCHAR) {
        sl_str v = sl_col_str(s)[irow];
        sl_str c = sl_batch_str(out, sl_str_data(&v), v.len);
        if (!sl_str_ok(c))
            *nomem = true;
        sl_col_str(d)[orow] = c;
        return;
    }
    memcpy((char *)d->data + (size_t)orow * width, (char *)s->data + (size_t)irow * width, width);
}

/* Builds one output batch from the first n pairs and pushes it on. */
static int lk_emit(struct lk_op *op, struct sl_worker_ctx *ctx, struct sl_batch *in, uint32_t n,
                   struct sl_error *err)
{
    struct sl_batch *o = sl_batch_pool_get(op->opool);
    if (!o)
        return sl_error_set(err, SL_ENOMEM, "lookup join: out of memory");
    bool nomem = false;
    for (uint32_t c = 0; c < op->nprobe; c++) {
        size_t w = sl_type_width((sl_type_id)o->cols[c].type.id);
        for (uint32_t k = 0; k < n; k++)
            lk_copy_value(o, c, k, in, c, op->pr[k], w, &nomem);
    }
    for (uint32_t c = op->nprobe; c < o->ncols; c++) {
        size_t w = sl_type_width((sl_type_id)o->cols[c].type.id);
        for (uint32_t k = 0; k < n; k++) {
            if (op->pe[k] == LK_NONE) {
                sl_col_set_null(&o->cols[c], k, true);
                continue;
            }
            const struct lk_entry *e = &op->e[op->pe[k]];
            lk_copy_value(o, c, k, op->tb[e->batch], c - op->nprobe, e->row, w, &nomem);
        }
    }
    if (nomem) {
        sl_batch_pool_put(o);
        return sl_error_set(err, SL_ENOMEM, "lookup join: out of memory");
    }
    o->rows = n;
    return sl_op_push_next(&op->base, ctx, o, err);
}

static int lk_push(struct sl_op *base, struct sl_worker_ctx *ctx, struct sl_batch *b,
                   struct sl_error *err)
{
    struct lk_op *op = (struct lk_op *)base;
    struct sl_batch *kb = NULL;
    struct sl_column *kc;
    if (op->kev) {
        kb = sl_batch_pool_get(op->kpool);
        if (!kb) {
            sl_batch_pool_put(b);
            return sl_error_set(err, SL_ENOMEM, "lookup join: out of memory");
        }
        int krc = sl_eval_project(op->kev, b, kb, err);
        if (krc) {
            sl_batch_pool_put(kb);
            sl_batch_pool_put(b);
            return krc;
        }
        kc = &kb->cols[0]; /* dense: the k-th active row's key at k */
    } else {
        kc = &b->cols[op->probe_col];
    }
    bool is_str = op->probe_type.id == SL_TYPE_VARCHAR;
    bool is_dec = op->probe_type.id == SL_TYPE_DECIMAL;
    uint32_t n = sl_batch_active(b), np = 0;
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t row = b->sel ? b->sel[i] : i;
        uint32_t krow = kb ? i : row;
        uint32_t first = LK_NONE;
        if (!(kc->valid && sl_col_is_null(kc, krow)) && op->ne) {
            uint64_t k = 0, h;
            const sl_str *ks = NULL;
            bool can = true;
            if (is_str) {
                ks = &sl_col_str(kc)[krow];
                h = XXH3_64bits(sl_str_data(ks), ks->len);
            } else if (is_dec) {
                int64_t v = 0;
                can = lk_rescale(sl_col_i64(kc)[krow], op->probe_type.scale, op->build_type.scale,
                                 &v);
                k = (uint64_t)v;
                h = lk_hash64(k);
            } else {
                can = lk_key64(kc, krow, &k);
                h = lk_hash64(k);
            }
            if (can)
                first = lk_find(op, h, is_str, k, ks)->head;
        }
        if (first == LK_NONE && !op->left)
            continue;
        uint32_t e = first;
        do {
            op->pr[np] = row;
            op->pe[np] = e;
            if (++np == SL_BATCH_CAP) {
                rc = lk_emit(op, ctx, b, np, err);
                np = 0;
                if (rc)
                    break;
            }
            e = e == LK_NONE ? LK_NONE : op->e[e].next;
        } while (e != LK_NONE);
    }
    if (!rc && np)
        rc = lk_emit(op, ctx, b, np, err);
    if (kb)
        sl_batch_pool_put(kb);
    sl_batch_pool_put(b);
    return rc;
}

static int lk_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                        struct sl_error *err)
{
    return sl_op_watermark_next(op, ctx, wm, err);
}

static int lk_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_op_finish_next(op, ctx, err);
}

static void lk_free(struct sl_op *base)
{
    struct lk_op *op = (struct lk_op *)base;
    if (!op)
        return;
    for (uint32_t i = 0; i < op->ntb; i++)
        sl_batch_pool_put(op->tb[i]);
    free(op->tb);
    if (op->tpool)
        sl_batch_pool_free(op->tpool);
    if (op->opool)
        sl_batch_pool_free(op->opool);
    sl_schema_free(op->tschema);
    sl_schema_free(op->oschema);
    free(op->e);
    free(op->slots);
    free(op->pr);
    free(op->pe);
    sl_eval_free(op->kev);
    if (op->kpool)
        sl_batch_pool_free(op->kpool);
    sl_schema_free(op->kschema);
    free(op);
}

static const struct sl_op_ops lk_ops = {.name = "LookupJoin",
                                        .push = lk_push,
                                        .watermark = lk_watermark,
                                        .finish = lk_finish,
                                        .free = lk_free,
                                        .stateless = true};

uint64_t sl_op_lookup_table_rows(const struct sl_op *op)
{
    return ((const struct lk_op *)op)->trows;
}

int sl_op_lookup_new(const struct sl_plan *plan, const struct sl_connector_env *env,
                     struct sl_heap *heap, struct sl_op **out, struct sl_error *err)
{
    *out = NULL;
    if (plan->kind != SL_PLAN_LOOKUP_JOIN)
        return sl_error_set(err, SL_EINVAL, "sl_op_lookup_new: not a lookup join plan");
    const struct sl_table *t = plan->lookup.table;
    struct lk_op *op = calloc(1, sizeof(*op));
    if (!op)
        return sl_error_set(err, SL_ENOMEM, "lookup join: out of memory");
    int rc;
    op->base.ops = &lk_ops;
    op->base.plan = plan;
    op->nprobe = plan->input->out.ncols;
    op->probe_col = plan->lookup.probe_col;
    op->build_col = plan->lookup.build_col;
    if (plan->lookup.probe_expr) {
        struct sl_expr *ke = plan->lookup.probe_expr;
        op->probe_type = ke->type;
        struct sl_rel_col kcol = {.name = "key", .type = ke->type};
        struct sl_rel krel = {.ncols = 1, .cols = &kcol};
        op->kschema = sl_plan_rel_schema(&krel);
        if (!op->kschema || !(op->kpool = sl_batch_pool_new(heap, op->kschema, 1))) {
            rc = sl_error_set(err, SL_ENOMEM, "lookup join: out of memory");
            goto out_free;
        }
        op->kev = sl_eval_new(heap, &plan->input->out, 1, &plan->lookup.probe_expr,
                              env ? env->sql : NULL, err);
        if (!op->kev) {
            rc = err ? err->code : SL_ENOMEM;
            goto out_free;
        }
    } else {
        op->probe_type = plan->input->out.cols[op->probe_col].type;
    }
    op->build_type = t->physical.cols[op->build_col].type;
    op->left = plan->lookup.left_outer;
    op->tschema = sl_plan_rel_schema(&t->physical);
    op->oschema = sl_plan_rel_schema(&plan->out);
    op->pr = malloc(SL_BATCH_CAP * sizeof(*op->pr));
    op->pe = malloc(SL_BATCH_CAP * sizeof(*op->pe));
    if (!op->tschema || !op->oschema || !op->pr || !op->pe ||
        !(op->tpool = sl_batch_pool_new(heap, op->tschema, 0)) ||
        !(op->opool = sl_batch_pool_new(heap, op->oschema, 4))) {
        rc = sl_error_set(err, SL_ENOMEM, "lookup join: out of memory");
        goto out_free;
    }
    if ((rc = lk_load(op, env, heap, err)))
        goto out_free;
    *out = &op->base;
    return 0;
out_free:
    lk_free(&op->base);
    return rc;
}
