/*
 * engine/ops/aggout.c - the aggregates' mapping onto the hashagg, output conversion and the
 * routing hash shared by the aggregation operators (see engine/ops/aggout.h).
 */
#include "engine/ops/aggout.h"

#include <string.h>

#include "engine/core/keygroup.h"
#include "kernels/hash.h"

struct sl_schema *sl_aggout_schema(struct sl_heap *heap, uint32_t ncols, const struct sl_rel *rel,
                                   const struct sl_type *types)
{
    const char **names = sl_mem_alloc(heap, (ncols + 1) * sizeof(*names));
    struct sl_type *t = sl_mem_alloc(heap, (ncols + 1) * sizeof(*t));
    struct sl_schema *s = NULL;
    if (names && t) {
        for (uint32_t i = 0; i < ncols; i++) {
            names[i] = rel && i < rel->ncols ? rel->cols[i].name : "hidden";
            t[i] = types ? types[i] : rel->cols[i].type;
        }
        s = sl_schema_new(ncols, names, t);
    }
    sl_mem_free(names);
    sl_mem_free(t);
    return s;
}

int sl_aggout_check(const struct sl_plan *node, uint32_t *nhidden, struct sl_error *err)
{
    const struct sl_rel *in = &node->input->out;
    *nhidden = 0;
    for (uint32_t i = 0; i < node->agg.naggs; i++) {
        const struct sl_agg *g = &node->agg.aggs[i];
        if (g->filter < 0 || (uint32_t)g->filter > in->ncols ||
            (g->filter && in->cols[g->filter - 1].type.id != SL_TYPE_BOOLEAN))
            return sl_error_set(err, SL_EINVAL,
                                "aggregate %u: FILTER column %d is not a BOOLEAN input column", i,
                                g->filter - 1);
        if (g->fn != SL_AGG_COUNT_STAR && (g->col < 0 || (uint32_t)g->col >= in->ncols))
            return sl_error_set(err, SL_EINVAL, "aggregate %u: input column %d out of range", i,
                                g->col);
        if (g->fn == SL_AGG_AVG && in->cols[g->col].type.id == SL_TYPE_DECIMAL)
            (*nhidden)++;
    }
    return 0;
}

int sl_aggout_map(const struct sl_plan *node, uint32_t nkeys, struct sl_hashagg_agg *ha,
                  struct sl_aggout_col *cols, struct sl_error *err)
{
    const struct sl_rel *in = &node->input->out;
    uint32_t naggs = node->agg.naggs, hidden = naggs;
    for (uint32_t i = 0; i < naggs; i++) {
        const struct sl_agg *g = &node->agg.aggs[i];
        struct sl_hashagg_agg *x = &ha[i];
        struct sl_aggout_col *oc = &cols[i];
        x->func = (uint8_t)g->fn;
        x->col = g->col < 0 ? 0 : (uint32_t)g->col;
        x->distinct = g->distinct;
        x->filter = (uint32_t)g->filter;
        if (g->col >= 0)
            x->input = in->cols[g->col].type;
        oc->col = nkeys + i;
        oc->str = (g->fn == SL_AGG_MIN || g->fn == SL_AGG_MAX) && x->input.id == SL_TYPE_VARCHAR;
        if (g->fn == SL_AGG_AVG && x->input.id == SL_TYPE_DECIMAL) {
            x->func = SL_AGG_SUM;
            struct sl_hashagg_agg *c = &ha[hidden];
            c->func = SL_AGG_COUNT;
            c->col = x->col;
            c->input = x->input;
            c->distinct = x->distinct;
            c->filter = x->filter;
            oc->avg_dec = true;
            oc->cnt_col = nkeys + hidden;
            oc->in_scale = x->input.scale;
            oc->out_scale = g->type.scale;
            if (oc->out_scale < oc->in_scale || oc->out_scale - oc->in_scale > 18)
                return sl_error_set(err, SL_ENOTSUP, "aggregate %u: AVG from scale %u to scale %u",
                                    i, oc->in_scale, oc->out_scale);
            hidden++;
        }
    }
    return 0;
}

void sl_aggout_route_hash(const uint32_t *cols, uint32_t ncols, const struct sl_batch *b,
                          uint32_t n, uint64_t *hashes, int64_t *i64buf)
{
    const struct sl_hash_kernels *h = sl_hash;
    for (uint32_t k = 0; k < ncols; k++) {
        const struct sl_column *c = &b->cols[cols[k]];
        const uint64_t *valid = c->valid;
        switch (c->type.id) {
        case SL_TYPE_INT:
            (k ? h->combine_i32 : h->i32)(c->data, valid, b->sel, n, hashes);
            break;
        case SL_TYPE_DOUBLE:
            (k ? h->combine_f64 : h->f64)(c->data, valid, b->sel, n, hashes);
            break;
        case SL_TYPE_VARCHAR:
            (k ? h->combine_str : h->str)(c->data, valid, b->sel, n, hashes);
            break;
        case SL_TYPE_BOOLEAN: {
            const uint8_t *v = c->data;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = b->sel ? b->sel[i] : i;
                i64buf[r] = v[r];
            }
            (k ? h->combine_i64 : h->i64)(i64buf, valid, b->sel, n, hashes);
            break;
        }
        default:
            (k ? h->combine_i64 : h->i64)(c->data, valid, b->sel, n, hashes);
            break;
        }
    }
}

bool sl_aggout_avg_dec(int64_t sum, uint64_t cnt, unsigned up, int64_t *out)
{
    __int128 num = (__int128)sum * sl_pow10_i64(up);
    __int128 den = (__int128)cnt;
    __int128 q = num / den, r = num % den;
    if (r < 0)
        r = -r;
    if (2 * r >= den)
        q += num < 0 ? -1 : 1;
    if (q > INT64_MAX || q < INT64_MIN)
        return false;
    *out = (int64_t)q;
    return true;
}

int sl_aggout_copy_col(struct sl_batch *o, struct sl_column *dst, const struct sl_column *src,
                       uint32_t n)
{
    size_t width = sl_type_width((sl_type_id)src->type.id);
    memcpy(dst->data, src->data, n * width);
    if (src->valid) {
        if (!dst->valid)
            return SL_EINVAL;
        memcpy(dst->valid, src->valid, SL_VALID_WORDS(n) * sizeof(uint64_t));
    }
    if (src->type.id == SL_TYPE_VARCHAR) {
        sl_str *d = dst->data;
        for (uint32_t i = 0; i < n; i++) {
            if (d[i].len <= SL_STR_INLINE_MAX)
                continue;
            d[i] = sl_batch_str(o, d[i].ptr, d[i].len);
            if (!sl_str_ok(d[i]))
                return SL_ENOMEM;
        }
    }
    return 0;
}

int sl_aggout_convert(const struct sl_aggout_col *cols, uint32_t nkeys, uint32_t naggs,
                      struct sl_batch *s, struct sl_batch *o, uint32_t n, const char *what,
                      struct sl_error *err)
{
    for (uint32_t c = 0; c < nkeys + naggs; c++) {
        const struct sl_aggout_col *oc = c >= nkeys ? &cols[c - nkeys] : NULL;
        if (!oc || !oc->avg_dec) {
            int rc = sl_aggout_copy_col(o, &o->cols[c], &s->cols[oc ? oc->col : c], n);
            if (rc)
                return sl_error_set(err, rc, "%s: output column %u: %s", what, c,
                                    rc == SL_ENOMEM ? "out of memory" : "NULL into NOT NULL");
            continue;
        }
        struct sl_column *sum = &s->cols[oc->col], *cnt = &s->cols[oc->cnt_col];
        struct sl_column *d = &o->cols[c];
        if (!d->valid)
            return sl_error_set(err, SL_EINVAL, "%s: AVG column %u is NOT NULL", what, c);
        for (uint32_t i = 0; i < n; i++) {
            uint64_t k = (uint64_t)sl_col_i64(cnt)[i];
            if (k == 0) {
                sl_col_set_null(d, i, true);
                sl_col_i64(d)[i] = 0;
                continue;
            }
            if (!sl_aggout_avg_dec(sl_col_i64(sum)[i], k, oc->out_scale - oc->in_scale,
                                   &sl_col_i64(d)[i]))
                return sl_error_set(err, SL_EOVERFLOW,
                                    "AVG: the average of a DECIMAL group (sum %lld at scale %u, "
                                    "%llu rows) does not fit in DECIMAL(18, %u)",
                                    (long long)sl_col_i64(sum)[i], oc->in_scale,
                                    (unsigned long long)k, oc->out_scale);
        }
    }
    o->rows = n;
    return 0;
}

/* ---- rescaling ----------------------------------------------------------------------------- */

int sl_aggout_rs_init(struct sl_aggout_rs *rs, struct sl_heap *heap, const struct sl_hashagg *proto,
                      const uint32_t *rk, uint32_t nrk, struct sl_error *err)
{
    *rs = (struct sl_aggout_rs){.heap = heap, .nrk = nrk};
    struct sl_type types[SL_HASHAGG_MAX_K + 64];
    uint32_t nout = sl_hashagg_out_ncols(proto);
    if (nout > sizeof(types) / sizeof(types[0]) || nrk > SL_HASHAGG_MAX_K)
        return sl_error_set(err, SL_ENOTSUP, "rescaling: %u columns, %u routing keys", nout, nrk);
    sl_hashagg_out_types(proto, types);
    memcpy(rs->rk, rk, nrk * sizeof(*rk));
    rs->schema = sl_aggout_schema(heap, nout, NULL, types);
    rs->pool = rs->schema ? sl_batch_pool_new(heap, rs->schema, 1) : NULL;
    if (!rs->pool) {
        sl_aggout_rs_free(rs);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    return 0;
}

int sl_aggout_rs_mine(struct sl_aggout_rs *rs, const struct sl_hashagg *src, int worker,
                      int nworkers, uint32_t kg_max, bool all_to0, uint64_t *hashes,
                      int64_t *i64buf, struct sl_error *err)
{
    uint32_t ng = sl_hashagg_groups(src);
    rs->n = 0;
    if (ng > rs->cap &&
        sl_mem_grow(rs->heap, (void **)&rs->gids, &rs->cap, 0, ng, sizeof(*rs->gids)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    const uint32_t N = (uint32_t)nworkers;
    if (N == 1 || all_to0) {
        for (uint32_t g = 0; worker == 0 && g < ng; g++)
            rs->gids[rs->n++] = g;
        return 0;
    }
    for (uint32_t cursor = 0;;) {
        struct sl_batch *b = sl_batch_pool_get(rs->pool);
        if (!b)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        uint32_t g0 = cursor;
        int got = sl_hashagg_emit(src, &cursor, b, err);
        if (got > 0) {
            sl_aggout_route_hash(rs->rk, rs->nrk, b, (uint32_t)got, hashes, i64buf);
            for (uint32_t i = 0; i < (uint32_t)got; i++)
                if (sl_kg_route(hashes[i], kg_max, N) == (uint32_t)worker)
                    rs->gids[rs->n++] = g0 + i;
        }
        sl_batch_pool_put(b);
        if (got <= 0)
            return got;
    }
}

void sl_aggout_rs_free(struct sl_aggout_rs *rs)
{
    if (rs->pool)
        sl_batch_pool_free(rs->pool);
    sl_schema_free(rs->schema);
    sl_mem_free(rs->gids);
    rs->pool = NULL;
    rs->schema = NULL;
    rs->gids = NULL;
}
