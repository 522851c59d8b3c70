/*
 * engine/ops/op_over.c - OVER aggregates over an event-time ORDER BY (see engine/ops/op_over.h
 * for the design and the semantics).
 *
 * STATE
 *   keys     the owner's hashagg without aggregates: partition key -> group id (dense)
 *   grp      per group: the last timestamp processed, the frame ring (bounded frames)
 *   acc      per group and aggregate: sum, count of non-NULL values, extreme (+ stale flag)
 *   pend     the rows waiting for the watermark: timestamp, arrival number, group, and the
 *            offset and length of their encoded bytes in `arena`
 *   index    the waiting rows by the hash of (group, timestamp, bytes): a chained table of
 *            one slot per waiting row that knows the row's place in the heap, so that a
 *            retraction (-U / -D) finds the row it retracts in a chain instead of a search of
 *            every waiting row (q6 over 2 M events: the search was 55 % of the time)
 *
 * CHECKPOINT STATE (ops->save / ops->restore, little-endian, engine/core/state.h):
 *   4          magic 0x3156_4f53 ("SOV1", format 1)
 *   4, 4, 4    nworkers, ncols of an input row, aggregates (restore checks all three)
 *   ...        sl_xchg_save_sent, sl_xchg_save_recv (engine/ops/exchange.h)
 *   8          next arrival number
 *   ...        the hashagg state (sl_hashagg_save)
 *   4          groups, then per group: 8 last timestamp, per aggregate 8 sum, 8 extreme,
 *              8 count, 1 stale (0/1); 4 frame rows, per row 8 timestamp and per aggregate
 *              1 NULL flag and 8 value
 *   4          waiting rows, then per row 8 timestamp, 8 arrival number, 4 group, and its
 *              encoded bytes (4 length + bytes)
 * The encoded bytes are in the machine's order (as the Top-N's row values).
 *
 * RESCALING (ops->rescale, another worker count): every old worker's state is read as above;
 * a partition goes to the worker that owns its key group now (the routing hash of its
 * PARTITION BY values), with its frame rows, accumulators and waiting rows (renumbered into
 * the new key table); the arrival numbers continue after the highest, the watermark restarts
 * at the lowest of the old workers' (sl_xchg_rescaled).
 */
#include "engine/ops/op_over.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "engine/ops/exchange.h"
#include "engine/ops/hashagg.h"
#include "engine/ops/rowcodec.h"
#include "kernels/hash.h"

#define SL_OV_MAGIC 0x31564f53u /* "SOV1" little-endian: format version 1 */
/* k->colp of a pruned column: no value (nothing downstream reads it) */
static const uint8_t sl_ov_pruned_byte;
#define SL_OV_PRUNED (&sl_ov_pruned_byte)

union sl_ov_v {
    int64_t i;
    double d;
};

struct sl_ov_acc {
    union sl_ov_v sum; /* SUM, AVG: wrapping integer or double sum */
    union sl_ov_v ext; /* MIN, MAX: the extreme, when cnt > 0 and !stale */
    uint64_t cnt;      /* non-NULL values in the frame (COUNT(*): rows) */
    bool stale;        /* the extreme left the frame: recompute it from the ring */
};

struct sl_ov_grp {
    int64_t last_ts;  /* the last timestamp processed, INT64_MIN before */
    uint32_t head, n; /* the ring: its oldest row, its rows */
    uint32_t cap;     /* the ring's capacity */
    int64_t *ts;      /* per ring slot */
    union sl_ov_v *v; /* per ring slot and aggregate */
    uint8_t *nul;     /* per ring slot and aggregate */
};

struct sl_ov_pend {
    int64_t ts;
    uint64_t seq;
    uint32_t gid;
    uint32_t len;
    size_t off;    /* in arena */
    uint32_t slot; /* its entry in the index (sl_ov_index_*) */
};

struct sl_op_over {
    struct sl_op op;
    struct sl_heap *heap;
    int nworkers;
    /* the plan, resolved */
    uint32_t ncols; /* columns of an input row */
    uint8_t *width; /* per column: value bytes */
    uint8_t *type;  /* per column: sl_type_id */
    bool *skip;     /* per column: read by nothing downstream (sl_op_over_prune), or NULL */
    uint32_t npart;
    uint32_t *part; /* PARTITION BY columns */
    struct sl_type *part_types;
    uint32_t time_col;
    bool rows;         /* ROWS frame, else RANGE */
    int64_t preceding; /* rows or ms; -1: UNBOUNDED */
    uint32_t naggs;
    sl_agg_fn *fn;    /* per aggregate */
    int *arg;         /* per aggregate: input column, -1 for COUNT(*) */
    uint8_t *argtype; /* per aggregate: its input's sl_type_id (BIGINT for COUNT(*)) */
    /* exchange */
    struct sl_xchg x;
    struct sl_over_msg **outbox;
    struct sl_over_msg **spare;
    uint32_t nspare;
    struct sl_schema *in_schema;
    uint64_t *hashes;
    sl_sel_t *sorted;
    /* state */
    struct sl_hashagg *keys;
    struct sl_hashagg_spec spec;
    uint32_t *gids;
    struct sl_ov_grp *grp;
    struct sl_ov_acc *acc; /* capgrp * naggs */
    uint32_t capgrp;
    uint64_t next_seq;
    struct sl_ov_pend *pend, *ready;
    uint32_t npend, cappend;
    /* the waiting rows' index, so that a retraction finds its row without a search of every
     * waiting row: per slot (one per waiting row, cappend of them) its position in pend, the
     * hash of its group, timestamp and bytes, and the next slot of its bucket's chain (or of
     * the free slots); cappend buckets */
    uint32_t *spos, *snext, *bhead;
    uint64_t *shash;
    uint32_t sfree;
    struct sl_sbuf arena;
    size_t dead;          /* bytes of the arena no waiting row uses */
    const uint8_t **colp; /* per column: the decoded row's value (NULL: NULL) */
    union sl_ov_v *res;   /* per aggregate: the result */
    uint8_t *resnull;     /* per aggregate */
    /* output */
    struct sl_schema *out_schema;
    struct sl_batch_pool *out_pool;
    struct sl_batch *out;
};

/* ---- helpers ------------------------------------------------------------------------------- */

static int sl_ov_oom(const struct sl_op_over *k, const struct sl_worker_ctx *ctx,
                     struct sl_error *err)
{
    return sl_op_error(ctx, k->op.plan->pos, err, SL_ENOMEM, "OVER aggregate: out of memory");
}

static void sl_ov_msg_free(struct sl_over_msg *m)
{
    if (!m)
        return;
    if (m->b)
        sl_batch_pool_put(m->b);
    if (m->pool)
        sl_batch_pool_free(m->pool);
    sl_mem_free(m);
}

static void sl_ov_msg_free_payload(void *p)
{
    sl_ov_msg_free(p);
}

static bool sl_ov_is_float(uint8_t t)
{
    return t == SL_TYPE_DOUBLE;
}

/* The 8-byte value of an aggregate input (INT widened). */
static inline union sl_ov_v sl_ov_load(uint8_t t, const void *p)
{
    union sl_ov_v v;
    if (t == SL_TYPE_INT) {
        int32_t x;
        memcpy(&x, p, 4);
        v.i = x;
    } else {
        memcpy(&v, p, 8);
    }
    return v;
}

/* ---- groups -------------------------------------------------------------------------------- */

static int sl_ov_grp_reserve(struct sl_op_over *k, uint32_t ng)
{
    if (ng <= k->capgrp)
        return 0;
    uint32_t cap = k->capgrp ? k->capgrp : 1024;
    while (cap < ng)
        cap = cap > UINT32_MAX / 2 ? ng : cap * 2;
    struct sl_ov_grp *g = sl_mem_alloc(k->heap, (size_t)cap * sizeof(*g));
    struct sl_ov_acc *a = sl_mem_alloc(k->heap, (size_t)cap * k->naggs * sizeof(*a));
    if (!g || !a) {
        sl_mem_free(g);
        sl_mem_free(a);
        return SL_ENOMEM;
    }
    if (k->capgrp) {
        memcpy(g, k->grp, (size_t)k->capgrp * sizeof(*g));
        memcpy(a, k->acc, (size_t)k->capgrp * k->naggs * sizeof(*a));
    }
    memset(g + k->capgrp, 0, (size_t)(cap - k->capgrp) * sizeof(*g));
    memset(a + (size_t)k->capgrp * k->naggs, 0, (size_t)(cap - k->capgrp) * k->naggs * sizeof(*a));
    for (uint32_t i = k->capgrp; i < cap; i++)
        g[i].last_ts = INT64_MIN;
    sl_mem_free(k->grp);
    sl_mem_free(k->acc);
    k->grp = g;
    k->acc = a;
    k->capgrp = cap;
    return 0;
}

/* Room for one more frame row in g's ring. */
static int sl_ov_ring_room(struct sl_op_over *k, struct sl_ov_grp *g)
{
    if (g->n < g->cap)
        return 0;
    uint32_t cap = g->cap ? g->cap * 2 : 4;
    if (k->rows && k->preceding >= 0 && (uint64_t)cap > (uint64_t)k->preceding + 1)
        cap = (uint32_t)k->preceding + 1;
    if (cap <= g->n)
        cap = g->n + 1;
    size_t na = k->naggs ? k->naggs : 1;
    int64_t *ts = sl_mem_alloc(k->heap, (size_t)cap * sizeof(*ts));
    union sl_ov_v *v = sl_mem_alloc(k->heap, (size_t)cap * na * sizeof(*v));
    uint8_t *nul = sl_mem_alloc(k->heap, (size_t)cap * na);
    if (!ts || !v || !nul) {
        sl_mem_free(ts);
        sl_mem_free(v);
        sl_mem_free(nul);
        return SL_ENOMEM;
    }
    for (uint32_t j = 0; j < g->n; j++) { /* unwrap: the oldest at 0 */
        uint32_t s = (g->head + j) % g->cap;
        ts[j] = g->ts[s];
        memcpy(v + (size_t)j * na, g->v + (size_t)s * na, na * sizeof(*v));
        memcpy(nul + (size_t)j * na, g->nul + (size_t)s * na, na);
    }
    sl_mem_free(g->ts);
    sl_mem_free(g->v);
    sl_mem_free(g->nul);
    g->ts = ts;
    g->v = v;
    g->nul = nul;
    g->head = 0;
    g->cap = cap;
    return 0;
}

static void sl_ov_grp_free(struct sl_ov_grp *g)
{
    sl_mem_free(g->ts);
    sl_mem_free(g->v);
    sl_mem_free(g->nul);
}

/* ---- aggregation --------------------------------------------------------------------------- */

static inline bool sl_ov_better(sl_agg_fn fn, bool fl, union sl_ov_v a, union sl_ov_v b)
{
    /* a replaces the extreme b */
    if (fl)
        return fn == SL_AGG_MIN ? a.d < b.d : a.d > b.d;
    return fn == SL_AGG_MIN ? a.i < b.i : a.i > b.i;
}

static void sl_ov_add(struct sl_op_over *k, struct sl_ov_acc *acc, uint32_t a, union sl_ov_v v)
{
    struct sl_ov_acc *c = &acc[a];
    bool fl = sl_ov_is_float(k->argtype[a]);
    switch (k->fn[a]) {
    case SL_AGG_SUM:
    case SL_AGG_AVG:
        if (fl)
            c->sum.d += v.d;
        else
            c->sum.i = (int64_t)((uint64_t)c->sum.i + (uint64_t)v.i);
        break;
    case SL_AGG_MIN:
    case SL_AGG_MAX:
        if (!c->stale && (c->cnt == 0 || sl_ov_better(k->fn[a], fl, v, c->ext)))
            c->ext = v;
        break;
    default:
        break;
    }
    c->cnt++;
}

static void sl_ov_retract(struct sl_op_over *k, struct sl_ov_acc *acc, uint32_t a, union sl_ov_v v)
{
    struct sl_ov_acc *c = &acc[a];
    bool fl = sl_ov_is_float(k->argtype[a]);
    switch (k->fn[a]) {
    case SL_AGG_SUM:
    case SL_AGG_AVG:
        if (fl)
            c->sum.d -= v.d;
        else
            c->sum.i = (int64_t)((uint64_t)c->sum.i - (uint64_t)v.i);
        break;
    case SL_AGG_MIN:
    case SL_AGG_MAX:
        if (fl ? v.d == c->ext.d : v.i == c->ext.i)
            c->stale = true;
        break;
    default:
        break;
    }
    c->cnt--;
    if (c->cnt == 0) { /* empty: exact again */
        c->stale = false;
        if (fl)
            c->sum.d = 0;
        else
            c->sum.i = 0;
    }
}

/* Retracts g's oldest frame row. */
static void sl_ov_pop(struct sl_op_over *k, struct sl_ov_grp *g, struct sl_ov_acc *acc)
{
    size_t na = k->naggs ? k->naggs : 1;
    uint32_t s = g->head;
    for (uint32_t a = 0; a < k->naggs; a++)
        if (!g->nul[(size_t)s * na + a])
            sl_ov_retract(k, acc, a, g->v[(size_t)s * na + a]);
    g->head = (g->head + 1) % g->cap;
    g->n--;
}

/* The decoded row (k->colp) into g: accumulated, and into the ring for a bounded frame. */
static int sl_ov_accumulate(struct sl_op_over *k, struct sl_ov_grp *g, struct sl_ov_acc *acc,
                            int64_t ts)
{
    size_t na = k->naggs ? k->naggs : 1;
    uint32_t s = 0;
    bool ring = k->preceding >= 0;
    if (ring) {
        if (sl_ov_ring_room(k, g))
            return SL_ENOMEM;
        s = (g->head + g->n) % g->cap;
        g->ts[s] = ts;
        g->n++;
    }
    for (uint32_t a = 0; a < k->naggs; a++) {
        union sl_ov_v v = {.i = 0};
        bool isn = false;
        if (k->arg[a] >= 0) {
            const uint8_t *p = k->colp[k->arg[a]];
            isn = !p;
            if (p && k->fn[a] != SL_AGG_COUNT) /* COUNT reads no value */
                v = sl_ov_load(k->argtype[a], p);
        }
        if (ring) {
            g->v[(size_t)s * na + a] = v;
            g->nul[(size_t)s * na + a] = isn;
        }
        if (!isn)
            sl_ov_add(k, acc, a, v);
    }
    return 0;
}

/* The aggregates of g's frame into k->res / k->resnull. */
static void sl_ov_result(struct sl_op_over *k, struct sl_ov_grp *g, struct sl_ov_acc *acc)
{
    size_t na = k->naggs ? k->naggs : 1;
    for (uint32_t a = 0; a < k->naggs; a++) {
        struct sl_ov_acc *c = &acc[a];
        bool fl = sl_ov_is_float(k->argtype[a]);
        k->resnull[a] = 0;
        switch (k->fn[a]) {
        case SL_AGG_COUNT:
        case SL_AGG_COUNT_STAR:
            k->res[a].i = (int64_t)c->cnt;
            break;
        case SL_AGG_SUM:
            k->resnull[a] = c->cnt == 0;
            k->res[a] = c->sum;
            break;
        case SL_AGG_AVG:
            k->resnull[a] = c->cnt == 0;
            if (c->cnt && fl)
                k->res[a].d = c->sum.d / (double)c->cnt;
            else if (c->cnt)
                k->res[a].i = c->sum.i / (int64_t)c->cnt;
            break;
        case SL_AGG_MIN:
        case SL_AGG_MAX:
            k->resnull[a] = c->cnt == 0;
            if (c->cnt && c->stale) {
                bool any = false;
                for (uint32_t j = 0; j < g->n; j++) {
                    uint32_t s = (g->head + j) % g->cap;
                    if (g->nul[(size_t)s * na + a])
                        continue;
                    union sl_ov_v v = g->v[(size_t)s * na + a];
                    if (!any || sl_ov_better(k->fn[a], fl, v, c->ext))
                        c->ext = v;
                    any = true;
                }
                c->stale = false;
            }
            k->res[a] = c->ext;
            break;
        }
    }
}

/* ---- output -------------------------------------------------------------------------------- */

static int sl_ov_flush(struct sl_op_over *k, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_batch *o = k->out;
    if (!o)
        return 0;
    k->out = NULL;
    if (o->rows == 0) {
        sl_batch_pool_put(o);
        return 0;
    }
    return sl_op_push_next(&k->op, ctx, o, err);
}

/* The decoded row (k->colp) with the results (k->res) appended as +I. */
static int sl_ov_emit(struct sl_op_over *k, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    if (k->out && k->out->rows == SL_BATCH_CAP) {
        int rc = sl_ov_flush(k, ctx, err);
        if (rc)
            return rc;
    }
    if (!k->out) {
        k->out = sl_batch_pool_get(k->out_pool);
        if (!k->out)
            return sl_ov_oom(k, ctx, err);
    }
    struct sl_batch *o = k->out;
    uint32_t j = o->rows;
    for (uint32_t c = 0; c < k->ncols; c++) {
        const uint8_t *p = k->colp[c];
        struct sl_column *d = &o->cols[c];
        if (p == SL_OV_PRUNED) { /* nothing reads it: zeros */
            if (d->valid)
                sl_col_set_null(d, j, false);
            memset((char *)d->data + (size_t)j * k->width[c], 0, k->width[c]);
            continue;
        }
        if (!p) {
            if (!d->valid)
                return sl_op_error(ctx, k->op.plan->pos, err, SL_EINVAL,
                                   "OVER aggregate: NULL into the NOT NULL column %u", c);
            sl_col_set_null(d, j, true);
            memset((char *)d->data + (size_t)j * k->width[c], 0, k->width[c]);
            continue;
        }
        if (d->valid)
            sl_col_set_null(d, j, false);
        if (k->type[c] == SL_TYPE_VARCHAR) {
            uint32_t len;
            memcpy(&len, p, 4);
            sl_str s = sl_batch_str(o, (const char *)p + 4, len);
            if (!sl_str_ok(s))
                return sl_ov_oom(k, ctx, err);
            sl_col_str(d)[j] = s;
        } else {
            memcpy((char *)d->data + (size_t)j * k->width[c], p, k->width[c]);
        }
    }
    for (uint32_t a = 0; a < k->naggs; a++) {
        struct sl_column *d = &o->cols[k->ncols + a];
        if (k->resnull[a]) {
            size_t w = d->type.id == SL_TYPE_INT ? 4 : 8;
            sl_col_set_null(d, j, true);
            memset((char *)d->data + (size_t)j * w, 0, w);
            continue;
        }
        if (d->valid)
            sl_col_set_null(d, j, false);
        if (d->type.id == SL_TYPE_INT)
            ((int32_t *)d->data)[j] = (int32_t)(uint32_t)(uint64_t)k->res[a].i;
        else
            memcpy((char *)d->data + (size_t)j * 8, &k->res[a], 8);
    }
    o->rows = j + 1;
    return 0;
}

/* ---- the waiting rows: a binary heap by (timestamp, group, arrival), and its index -------- */

/* The index's hash of a waiting row: its group, its timestamp and its encoded bytes. */
static uint64_t sl_ov_row_hash(uint32_t gid, int64_t ts, const uint8_t *p, uint32_t len)
{
    uint64_t seed = ((uint64_t)ts * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)gid << 32 | gid);
    return XXH3_64bits_withSeed(p, len, seed);
}

static inline bool sl_ov_before(const struct sl_ov_pend *a, const struct sl_ov_pend *b)
{
    if (a->ts != b->ts)
        return a->ts < b->ts;
    if (a->gid != b->gid)
        return a->gid < b->gid;
    return a->seq < b->seq;
}

/* Puts e at heap position i (and says so in the index). */
static inline void sl_ov_heap_set(struct sl_op_over *k, uint32_t i, struct sl_ov_pend e)
{
    k->pend[i] = e;
    k->spos[e.slot] = i;
}

static void sl_ov_sift_up(struct sl_op_over *k, uint32_t i)
{
    struct sl_ov_pend *h = k->pend, e = h[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!sl_ov_before(&e, &h[p]))
            break;
        sl_ov_heap_set(k, i, h[p]);
        i = p;
    }
    sl_ov_heap_set(k, i, e);
}

static void sl_ov_sift_down(struct sl_op_over *k, uint32_t i)
{
    struct sl_ov_pend *h = k->pend, e = h[i];
    uint32_t n = k->npend;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && sl_ov_before(&h[c + 1], &h[c]))
            c++;
        if (!sl_ov_before(&h[c], &e))
            break;
        sl_ov_heap_set(k, i, h[c]);
        i = c;
    }
    sl_ov_heap_set(k, i, e);
}

/* Adds e, its bytes already in the arena (room made by sl_ov_pend_room): a free slot of the
 * index, chained in its bucket, and a place in the heap. */
static void sl_ov_heap_push(struct sl_op_over *k, struct sl_ov_pend e)
{
    uint32_t s = k->sfree;
    k->sfree = k->snext[s];
    uint64_t h = sl_ov_row_hash(e.gid, e.ts, k->arena.p + e.off, e.len);
    uint32_t b = (uint32_t)h & (k->cappend - 1);
    k->shash[s] = h;
    k->snext[s] = k->bhead[b];
    k->bhead[b] = s;
    e.slot = s;
    sl_ov_heap_set(k, k->npend, e);
    sl_ov_sift_up(k, k->npend++);
}

/* Removes heap entry i, and its slot from the index. */
static void sl_ov_heap_remove(struct sl_op_over *k, uint32_t i)
{
    uint32_t s = k->pend[i].slot;
    uint32_t *link = &k->bhead[(uint32_t)k->shash[s] & (k->cappend - 1)];
    while (*link != s)
        link = &k->snext[*link];
    *link = k->snext[s];
    k->snext[s] = k->sfree;
    k->sfree = s;
    struct sl_ov_pend last = k->pend[--k->npend];
    if (i < k->npend) {
        sl_ov_heap_set(k, i, last);
        sl_ov_sift_up(k, i);
        sl_ov_sift_down(k, k->spos[last.slot]);
    }
}

/* ---- the owner: rows wait for the watermark ------------------------------------------------ */

/* Points k->colp at the values of the encoded row `p`. */
static void sl_ov_decode(struct sl_op_over *k, const uint8_t *p)
{
    for (uint32_t c = 0; c < k->ncols; c++) {
        uint8_t isn = *p++;
        if (isn) { /* NULL, or a pruned column (2) */
            k->colp[c] = isn == 2 ? SL_OV_PRUNED : NULL;
            continue;
        }
        k->colp[c] = p;
        if (k->type[c] == SL_TYPE_VARCHAR) {
            uint32_t len;
            memcpy(&len, p, 4);
            p += 4 + len;
        } else {
            p += k->width[c];
        }
    }
}

/* Row r of b encoded at the end of the arena (engine/ops/rowcodec.h: a pruned column is not
 * stored, flag 2). */
static void sl_ov_encode(struct sl_op_over *k, const struct sl_batch *b, uint32_t r)
{
    sl_rowc_put(&k->arena, b, r, k->ncols, k->skip);
}

/* Room for `more` waiting rows: the heap, the fire's scratch and the index grow to a power of
 * two; the index is rebuilt (slot i for heap entry i). */
static int sl_ov_pend_room(struct sl_op_over *k, uint32_t more)
{
    if (k->npend + more <= k->cappend)
        return 0;
    uint64_t cap = k->cappend ? k->cappend : 1024;
    while (cap < (uint64_t)k->npend + more)
        cap *= 2;
    if (cap > UINT32_MAX / 2 + 1)
        return SL_ENOMEM;
    struct sl_ov_pend *p = sl_mem_alloc(k->heap, cap * sizeof(*p));
    struct sl_ov_pend *r = sl_mem_alloc(k->heap, cap * sizeof(*r));
    uint32_t *spos = sl_mem_alloc(k->heap, cap * sizeof(*spos));
    uint32_t *snext = sl_mem_alloc(k->heap, cap * sizeof(*snext));
    uint32_t *bhead = sl_mem_alloc(k->heap, cap * sizeof(*bhead));
    uint64_t *shash = sl_mem_alloc(k->heap, cap * sizeof(*shash));
    if (!p || !r || !spos || !snext || !bhead || !shash) {
        sl_mem_free(p);
        sl_mem_free(r);
        sl_mem_free(spos);
        sl_mem_free(snext);
        sl_mem_free(bhead);
        sl_mem_free(shash);
        return SL_ENOMEM;
    }
    uint32_t mask = (uint32_t)cap - 1;
    memset(bhead, 0xff, cap * sizeof(*bhead));
    for (uint32_t i = 0; i < k->npend; i++) {
        p[i] = k->pend[i];
        uint64_t h = k->shash[p[i].slot];
        p[i].slot = i;
        spos[i] = i;
        shash[i] = h;
        snext[i] = bhead[h & mask];
        bhead[h & mask] = i;
    }
    for (uint32_t i = k->npend; i < cap; i++) /* the free slots */
        snext[i] = i + 1 < cap ? i + 1 : UINT32_MAX;
    sl_mem_free(k->pend);
    sl_mem_free(k->ready);
    sl_mem_free(k->spos);
    sl_mem_free(k->snext);
    sl_mem_free(k->bhead);
    sl_mem_free(k->shash);
    k->pend = p;
    k->ready = r;
    k->spos = spos;
    k->snext = snext;
    k->bhead = bhead;
    k->shash = shash;
    k->sfree = k->npend < cap ? k->npend : UINT32_MAX;
    k->cappend = (uint32_t)cap;
    return 0;
}

/* Removes one frame row of g equal to the decoded row (k->colp) at timestamp ts: its
 * timestamp and every aggregate input alike (equal rows are alike to the aggregates). */
static bool sl_ov_ring_remove(struct sl_op_over *k, struct sl_ov_grp *g, struct sl_ov_acc *acc,
                              int64_t ts)
{
    size_t na = k->naggs ? k->naggs : 1;
    for (uint32_t j = g->n; j-- > 0;) { /* the newest first */
        uint32_t s = (g->head + j) % g->cap;
        if (g->ts[s] != ts)
            continue;
        bool same = true;
        for (uint32_t a = 0; a < k->naggs && same; a++) {
            const uint8_t *p = k->arg[a] >= 0 ? k->colp[k->arg[a]] : (const uint8_t *)"";
            bool isn = !p;
            same = isn == (g->nul[(size_t)s * na + a] != 0);
            if (same && !isn && k->fn[a] != SL_AGG_COUNT && k->fn[a] != SL_AGG_COUNT_STAR) {
                union sl_ov_v v = sl_ov_load(k->argtype[a], p);
                same = memcmp(&v, &g->v[(size_t)s * na + a], 8) == 0;
            }
        }
        if (!same)
            continue;
        for (uint32_t a = 0; a < k->naggs; a++)
            if (!g->nul[(size_t)s * na + a])
                sl_ov_retract(k, acc, a, g->v[(size_t)s * na + a]);
        for (uint32_t m = j; m + 1 < g->n; m++) { /* the newer rows move down one slot */
            uint32_t d = (g->head + m) % g->cap, e = (g->head + m + 1) % g->cap;
            g->ts[d] = g->ts[e];
            memcpy(g->v + (size_t)d * na, g->v + (size_t)e * na, na * sizeof(*g->v));
            memcpy(g->nul + (size_t)d * na, g->nul + (size_t)e * na, na);
        }
        g->n--;
        return true;
    }
    return false;
}

/* A retraction (-U / -D) of row r of b in group gid: the equal row that waits is dropped (the
 * earliest to arrive), else an equal frame row leaves the frame; else nothing (the row was
 * late, or left the frame already). Outputs already emitted stand. */
static int sl_ov_retract_row(struct sl_op_over *k, const struct sl_batch *b, uint32_t r,
                             uint32_t gid, int64_t ts)
{
    size_t off = k->arena.len;
    sl_ov_encode(k, b, r); /* scratch: the row's bytes, to compare */
    if (k->arena.failed)
        return SL_ENOMEM;
    uint32_t len = (uint32_t)(k->arena.len - off);
    const uint8_t *enc = k->arena.p + off;
    uint32_t best = UINT32_MAX;
    if (k->npend) { /* the equal waiting rows are in one chain of the index */
        uint64_t h = sl_ov_row_hash(gid, ts, enc, len);
        for (uint32_t sl = k->bhead[(uint32_t)h & (k->cappend - 1)]; sl != UINT32_MAX;
             sl = k->snext[sl]) {
            if (k->shash[sl] != h)
                continue;
            uint32_t i = k->spos[sl];
            const struct sl_ov_pend *p = &k->pend[i];
            if (p->gid == gid && p->ts == ts && p->len == len &&
                memcmp(k->arena.p + p->off, enc, len) == 0 &&
                (best == UINT32_MAX || p->seq < k->pend[best].seq))
                best = i;
        }
    }
    if (best != UINT32_MAX) {
        k->dead += k->pend[best].len;
        sl_ov_heap_remove(k, best);
    } else if (k->preceding >= 0) {
        sl_ov_decode(k, enc);
        sl_ov_ring_remove(k, &k->grp[gid], &k->acc[(size_t)gid * k->naggs], ts);
    } else { /* no frame rows kept: the row leaves the accumulators */
        sl_ov_decode(k, enc);
        struct sl_ov_acc *acc = &k->acc[(size_t)gid * k->naggs];
        for (uint32_t a = 0; a < k->naggs; a++) {
            const uint8_t *p = k->arg[a] >= 0 ? k->colp[k->arg[a]] : (const uint8_t *)"";
            if (!p || acc[a].cnt == 0)
                continue;
            union sl_ov_v v = {.i = 0};
            if (k->fn[a] != SL_AGG_COUNT && k->fn[a] != SL_AGG_COUNT_STAR)
                v = sl_ov_load(k->argtype[a], p);
            sl_ov_retract(k, acc, a, v);
        }
    }
    k->arena.len = off; /* the scratch bytes go */
    return 0;
}

/* The owner's work: the active rows of b (insert-only) wait in their groups, late ones are
 * dropped. */
static int sl_ov_process(struct sl_op_over *k, struct sl_worker_ctx *ctx, struct sl_batch *b,
                         struct sl_error *err)
{
    uint32_t n = sl_batch_active(b);
    if (n == 0)
        return 0;
    int rc = sl_hashagg_groups_of(k->keys, b, k->gids, err);
    if (rc)
        return sl_op_error(ctx, k->op.plan->pos, err, rc, "OVER aggregate: %s",
                           err ? err->msg : sl_strerror(rc));
    if (sl_ov_grp_reserve(k, sl_hashagg_groups(k->keys)) || sl_ov_pend_room(k, n))
        return sl_ov_oom(k, ctx, err);
    const struct sl_column *tc = &b->cols[k->time_col];
    const int64_t *tv = tc->data;
    uint64_t late = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = b->sel ? b->sel[i] : i;
        int64_t ts = tv[r];
        uint8_t kind = sl_batch_kind(b, r);
        if (kind == SL_ROW_UPDATE_BEFORE || kind == SL_ROW_DELETE) {
            if (sl_ov_retract_row(k, b, r, k->gids[i], ts))
                return sl_ov_oom(k, ctx, err);
            continue;
        }
        if ((tc->valid && sl_col_is_null(tc, r)) || ts <= k->x.wm2 ||
            ts <= k->grp[k->gids[i]].last_ts) {
            late++;
            continue;
        }
        size_t off = k->arena.len;
        sl_ov_encode(k, b, r);
        if (k->arena.failed)
            return sl_ov_oom(k, ctx, err);
        sl_ov_heap_push(k, (struct sl_ov_pend){.ts = ts,
                                               .seq = k->next_seq++,
                                               .gid = k->gids[i],
                                               .len = (uint32_t)(k->arena.len - off),
                                               .off = off});
    }
    if (late)
        sl_stats_add(&ctx->stats->late_rows, late);
    return 0;
}

/* Drops the arena's dead bytes once they outweigh the live ones. */
static int sl_ov_compact(struct sl_op_over *k)
{
    if (k->dead < 65536 || k->dead < k->arena.len / 2)
        return 0;
    struct sl_sbuf nb;
    sl_sbuf_init(&nb);
    if (!sl_sbuf_reserve(&nb, k->arena.len - k->dead + 1))
        return SL_ENOMEM;
    for (uint32_t i = 0; i < k->npend; i++) {
        size_t off = nb.len;
        sl_sbuf_put(&nb, k->arena.p + k->pend[i].off, k->pend[i].len);
        k->pend[i].off = off;
    }
    sl_sbuf_free(&k->arena);
    k->arena = nb;
    k->dead = 0;
    return 0;
}

/* The watermark reached wm: every waiting row with a timestamp <= wm, in timestamp order. */
static int sl_ov_fire(struct sl_op_over *k, struct sl_worker_ctx *ctx, int64_t wm,
                      struct sl_error *err)
{
    uint32_t nr = 0;
    while (k->npend && k->pend[0].ts <= wm) { /* in (timestamp, group, arrival) order */
        k->ready[nr++] = k->pend[0];
        sl_ov_heap_remove(k, 0);
    }
    if (nr == 0)
        return 0;
    int rc = 0;
    for (uint32_t i = 0; i < nr && !rc;) {
        uint32_t gid = k->ready[i].gid;
        int64_t ts = k->ready[i].ts;
        uint32_t j = i;
        while (j < nr && k->ready[j].gid == gid && k->ready[j].ts == ts)
            j++;
        struct sl_ov_grp *g = &k->grp[gid];
        struct sl_ov_acc *acc = &k->acc[(size_t)gid * k->naggs];
        if (k->rows) {
            for (uint32_t r = i; r < j && !rc; r++) {
                if (k->preceding >= 0 && (uint64_t)g->n > (uint64_t)k->preceding)
                    sl_ov_pop(k, g, acc);
                sl_ov_decode(k, k->arena.p + k->ready[r].off);
                if (sl_ov_accumulate(k, g, acc, ts))
                    return sl_ov_oom(k, ctx, err);
                sl_ov_result(k, g, acc);
                rc = sl_ov_emit(k, ctx, err);
            }
        } else {
            if (k->preceding >= 0)
                while (g->n && g->ts[g->head] < ts - k->preceding)
                    sl_ov_pop(k, g, acc);
            for (uint32_t r = i; r < j; r++) {
                sl_ov_decode(k, k->arena.p + k->ready[r].off);
                if (sl_ov_accumulate(k, g, acc, ts))
                    return sl_ov_oom(k, ctx, err);
            }
            sl_ov_result(k, g, acc);
            for (uint32_t r = i; r < j && !rc; r++) {
                sl_ov_decode(k, k->arena.p + k->ready[r].off);
                rc = sl_ov_emit(k, ctx, err);
            }
        }
        g->last_ts = ts;
        for (uint32_t r = i; r < j; r++)
            k->dead += k->ready[r].len;
        i = j;
    }
    if (!rc)
        rc = sl_ov_flush(k, ctx, err);
    if (!rc && k->npend == 0) {
        sl_sbuf_reset(&k->arena);
        k->dead = 0;
    } else if (!rc && sl_ov_compact(k)) {
        rc = sl_ov_oom(k, ctx, err);
    }
    return rc;
}

/* ---- phase 1: routing ---------------------------------------------------------------------- */

/* k->hashes[i]: the routing hash of active position i of b over its columns cols[0 .. npart
 * - 1] (k->part in an input batch). The Top-N's hashing (op_rank.c), so that equal keys meet
 * on one owner. */
static void sl_ov_hash_cols(struct sl_op_over *k, struct sl_batch *b, uint32_t n,
                            const uint32_t *cols)
{
    const struct sl_hash_kernels *h = sl_hash;
    for (uint32_t p = 0; p < k->npart; p++) {
        struct sl_column *c = &b->cols[cols[p]];
        const uint64_t *valid = c->valid;
        switch (c->type.id) {
        case SL_TYPE_INT:
            (p ? h->combine_i32 : h->i32)(c->data, valid, b->sel, n, k->hashes);
            break;
        case SL_TYPE_DOUBLE:
            (p ? h->combine_f64 : h->f64)(c->data, valid, b->sel, n, k->hashes);
            break;
        case SL_TYPE_VARCHAR:
            (p ? h->combine_str : h->str)(c->data, valid, b->sel, n, k->hashes);
            break;
        case SL_TYPE_BOOLEAN: {
            const uint8_t *v = c->data;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = b->sel ? b->sel[i] : i;
                uint64_t x = valid && !sl_valid_get(valid, r) ? 2 : v[r] != 0;
                k->hashes[i] = p ? sl_hash_combine_u64(k->hashes[i], x) : x * 0x9e3779b97f4a7c15u;
            }
            break;
        }
        default:
            (p ? h->combine_i64 : h->i64)(c->data, valid, b->sel, n, k->hashes);
            break;
        }
    }
}

/* Row r of b appended to the batch of owner o's message (made or taken from the spares). */
static int sl_ov_outbox_row(struct sl_op_over *k, int o, const struct sl_batch *b, uint32_t r)
{
    struct sl_over_msg *m = k->outbox[o];
    if (!m && k->nspare)
        m = k->spare[--k->nspare];
    if (!m) {
        m = sl_mem_zalloc(NULL, sizeof(*m));
        if (!m)
            return SL_ENOMEM;
        m->hdr.free_fn = sl_ov_msg_free_payload;
        m->pool = sl_batch_pool_new(NULL, k->in_schema, 1);
        m->b = m->pool ? sl_batch_pool_get(m->pool) : NULL;
        if (!m->b) {
            sl_ov_msg_free(m);
            return SL_ENOMEM;
        }
    }
    k->outbox[o] = m;
    struct sl_batch *d = m->b;
    uint32_t j = d->rows;
    if (b->kind || d->kind) { /* the row kinds travel with the rows */
        if (!d->kind) {
            sl_batch_kinds(d);
            memset(d->kind, SL_ROW_INSERT, j);
        }
        d->kind[j] = sl_batch_kind(b, r);
    }
    for (uint32_t c = 0; c < k->ncols; c++) {
        const struct sl_column *s = &b->cols[c];
        struct sl_column *dc = &d->cols[c];
        if (k->skip && k->skip[c]) /* not computed upstream: not read, not sent */
            continue;
        bool isn = s->valid && sl_col_is_null(s, r);
        if (dc->valid)
            sl_col_set_null(dc, j, isn);
        memcpy((char *)dc->data + (size_t)j * k->width[c],
               (const char *)s->data + (size_t)r * k->width[c], k->width[c]);
        if (k->type[c] == SL_TYPE_VARCHAR && !isn) {
            sl_str v = sl_col_str((struct sl_column *)s)[r];
            if (v.len > SL_STR_INLINE_MAX) {
                v = sl_batch_str(d, v.ptr, v.len);
                if (!sl_str_ok(v))
                    return SL_ENOMEM;
            }
            sl_col_str(dc)[j] = v;
        }
    }
    d->rows = j + 1;
    return 0;
}

static int sl_ov_send(struct sl_op_over *k, struct sl_worker_ctx *ctx, int o, struct sl_error *err)
{
    struct sl_over_msg *m = k->outbox[o];
    if (!m)
        return 0;
    struct sl_msg msg = {.kind = SL_MSG_DATA, .aux = k->op.tag, .ptr = m};
    int rc = sl_op_send(ctx, &k->op, o, msg, err);
    if (rc)
        return rc;
    k->outbox[o] = NULL;
    return 0;
}

static int sl_ov_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                      struct sl_error *err)
{
    struct sl_op_over *k = (struct sl_op_over *)op;
    uint32_t n = sl_batch_active(b);
    int rc = 0;
    if (n == 0 || k->nworkers == 1) {
        rc = sl_ov_process(k, ctx, b, err);
        sl_batch_pool_put(b);
        return rc;
    }
    sl_ov_hash_cols(k, b, n, k->part);
    const uint32_t N = (uint32_t)k->nworkers;
    uint32_t nmine = 0;
    sl_sel_t *bsel = b->sel;
    uint32_t bnsel = b->nsel;
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t r = bsel ? bsel[i] : i;
        uint32_t o = sl_kg_route(k->hashes[i], ctx->kg_max, N);
        if (o == (uint32_t)ctx->worker) {
            k->sorted[nmine++] = (sl_sel_t)r;
            continue;
        }
        if (k->outbox[o] && k->outbox[o]->b->rows == SL_BATCH_CAP)
            rc = sl_ov_send(k, ctx, (int)o, err);
        if (!rc && sl_ov_outbox_row(k, (int)o, b, r))
            rc = sl_ov_oom(k, ctx, err);
    }
    if (!rc && nmine) {
        b->sel = k->sorted;
        b->nsel = nmine;
        rc = sl_ov_process(k, ctx, b, err);
        b->sel = bsel;
        b->nsel = bnsel;
    }
    for (int o = 0; o < k->nworkers && !rc; o++)
        rc = sl_ov_send(k, ctx, o, err);
    sl_batch_pool_put(b);
    return rc;
}

static int sl_ov_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                           struct sl_error *err)
{
    struct sl_op_over *k = (struct sl_op_over *)op;
    sl_xchg_wm_in(&k->x, wm);
    return sl_xchg_send_wm(&k->x, op, ctx, err);
}

static int sl_ov_receive(struct sl_op *op, struct sl_worker_ctx *ctx, int from, struct sl_msg msg,
                         struct sl_error *err)
{
    struct sl_op_over *k = (struct sl_op_over *)op;
    switch ((sl_msg_kind)msg.kind) {
    case SL_MSG_DATA: {
        struct sl_over_msg *m = msg.ptr;
        int rc = sl_ov_process(k, ctx, m->b, err);
        if (k->nspare < (uint32_t)k->nworkers) {
            sl_batch_reset(m->b);
            k->spare[k->nspare++] = m;
        } else {
            sl_ov_msg_free(m);
        }
        return rc;
    }
    case SL_MSG_WATERMARK: {
        int64_t before;
        int rc = sl_xchg_recv_wm(&k->x, op, ctx, from, msg.num, &before, "OVER aggregate", err);
        if (rc != 1)
            return rc;
        rc = sl_ov_fire(k, ctx, k->x.wm2, err);
        return rc ? rc : sl_xchg_pass(&k->x, op, ctx, err);
    }
    default:
        return 0;
    }
}

/* ---- the message codec (operator.h: msg_encode / msg_decode) ----------------------------------
 * A message, format 1: 1 version (1), then its batch as sl_rowc_put_batch (engine/ops/rowcodec.h:
 * the row kinds, and the pruned columns not stored). */
#define SL_OV_MSG_V1 1

static int sl_ov_msg_encode(const struct sl_op *op, struct sl_msg msg, struct sl_sbuf *out,
                            struct sl_error *err)
{
    const struct sl_op_over *k = (const struct sl_op_over *)op;
    const struct sl_over_msg *m = msg.ptr;
    sl_sbuf_put_u8(out, SL_OV_MSG_V1);
    sl_rowc_put_batch(out, m->b, k->skip);
    return sl_sbuf_check(out, err);
}

static int sl_ov_msg_decode(struct sl_op *op, struct sl_worker_ctx *ctx, uint32_t aux,
                            struct sl_sread *in, struct sl_msg *out, struct sl_error *err)
{
    struct sl_op_over *k = (struct sl_op_over *)op;
    uint8_t v;
    int rc = sl_sread_u8(in, &v, err);
    if (rc)
        return rc;
    if (v != SL_OV_MSG_V1)
        return sl_sread_fail(in, err, "OVER aggregate: a message of an unknown format");
    struct sl_over_msg *m = k->nspare ? k->spare[--k->nspare] : sl_mem_zalloc(NULL, sizeof(*m));
    if (!m)
        return sl_ov_oom(k, ctx, err);
    if (!m->b) { /* new: as sl_ov_outbox_row makes them */
        m->hdr.free_fn = sl_ov_msg_free_payload;
        m->pool = sl_batch_pool_new(NULL, k->in_schema, 1);
        m->b = m->pool ? sl_batch_pool_get(m->pool) : NULL;
        if (!m->b) {
            sl_ov_msg_free(m);
            return sl_ov_oom(k, ctx, err);
        }
    }
    if ((rc = sl_rowc_get_batch(in, m->b, k->skip, "OVER aggregate", err)) != 0) {
        sl_ov_msg_free(m);
        return rc;
    }
    *out = (struct sl_msg){.kind = SL_MSG_DATA, .aux = aux, .ptr = m};
    return 0;
}

static int sl_ov_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_op_over *k = (struct sl_op_over *)op;
    return sl_xchg_input_end(&k->x) ? sl_op_finish_next(op, ctx, err) : 0;
}

/* ---- checkpoints --------------------------------------------------------------------------- */

static int sl_ov_save(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                      struct sl_error *err)
{
    (void)ctx;
    struct sl_op_over *k = (struct sl_op_over *)op;
    size_t na = k->naggs ? k->naggs : 1;
    sl_sbuf_put_u32(out, SL_OV_MAGIC);
    sl_sbuf_put_u32(out, (uint32_t)k->nworkers);
    sl_sbuf_put_u32(out, k->ncols);
    sl_sbuf_put_u32(out, k->naggs);
    sl_xchg_save_sent(&k->x, out);
    sl_xchg_save_recv(&k->x, out);
    sl_sbuf_put_u64(out, k->next_seq);
    int rc = sl_hashagg_save(k->keys, out, err);
    if (rc)
        return rc;
    uint32_t ng = sl_hashagg_groups(k->keys);
    sl_sbuf_put_u32(out, ng);
    for (uint32_t g = 0; g < ng; g++) {
        const struct sl_ov_grp *gr = &k->grp[g];
        sl_sbuf_put_i64(out, gr->last_ts);
        for (uint32_t a = 0; a < k->naggs; a++) {
            const struct sl_ov_acc *c = &k->acc[(size_t)g * k->naggs + a];
            sl_sbuf_put(out, &c->sum, 8);
            sl_sbuf_put(out, &c->ext, 8);
            sl_sbuf_put_u64(out, c->cnt);
            sl_sbuf_put_u8(out, c->stale);
        }
        sl_sbuf_put_u32(out, gr->n);
        for (uint32_t j = 0; j < gr->n; j++) {
            uint32_t s = (gr->head + j) % gr->cap;
            sl_sbuf_put_i64(out, gr->ts[s]);
            for (uint32_t a = 0; a < k->naggs; a++) {
                sl_sbuf_put_u8(out, gr->nul[(size_t)s * na + a]);
                sl_sbuf_put(out, &gr->v[(size_t)s * na + a], 8);
            }
        }
    }
    sl_sbuf_put_u32(out, k->npend);
    for (uint32_t i = 0; i < k->npend; i++) {
        const struct sl_ov_pend *p = &k->pend[i];
        sl_sbuf_put_i64(out, p->ts);
        sl_sbuf_put_u64(out, p->seq);
        sl_sbuf_put_u32(out, p->gid);
        sl_sbuf_put_bytes(out, k->arena.p + p->off, p->len);
    }
    return sl_sbuf_check(out, err);
}

static int sl_ov_get_flag(struct sl_sread *in, bool *v, struct sl_error *err)
{
    uint8_t b;
    int rc = sl_sread_u8(in, &b, err);
    if (rc)
        return rc;
    if (b > 1)
        return sl_sread_fail(in, err, "OVER aggregate: a flag that is neither 0 nor 1");
    *v = b == 1;
    return 0;
}

/* Whether `len` bytes at p are one encoded row of this operator's columns. */
static bool sl_ov_row_ok(const struct sl_op_over *k, const uint8_t *p, uint32_t len)
{
    size_t off = 0;
    for (uint32_t c = 0; c < k->ncols; c++) {
        bool pruned = k->skip && k->skip[c];
        if (off >= len || (pruned ? p[off] != 2 : p[off] > 1))
            return false;
        if (p[off++])
            continue;
        size_t w = k->width[c];
        if (k->type[c] == SL_TYPE_VARCHAR) {
            uint32_t l;
            if (len - off < 4)
                return false;
            memcpy(&l, p + off, 4);
            w = 4 + (size_t)l;
        }
        if (len - off < w)
            return false;
        off += w;
    }
    return off == len;
}

/* One group's saved state (its last timestamp, accumulators and frame rows) into gr / acc
 * (naggs of them); gr is empty. */
static int sl_ov_load_grp(struct sl_op_over *k, struct sl_sread *in, struct sl_ov_grp *gr,
                          struct sl_ov_acc *acc, struct sl_error *err)
{
    size_t na = k->naggs ? k->naggs : 1;
    int rc;
    if ((rc = sl_sread_i64(in, &gr->last_ts, err)) != 0)
        return rc;
    for (uint32_t a = 0; a < k->naggs; a++) {
        struct sl_ov_acc *c = &acc[a];
        if ((rc = sl_sread_get(in, &c->sum, 8, err)) != 0 ||
            (rc = sl_sread_get(in, &c->ext, 8, err)) != 0 ||
            (rc = sl_sread_u64(in, &c->cnt, err)) != 0 ||
            (rc = sl_ov_get_flag(in, &c->stale, err)) != 0)
            return rc;
    }
    uint32_t n;
    if ((rc = sl_sread_count(in, &n, 8 + 9 * na, err)) != 0)
        return rc;
    if (n && k->preceding < 0)
        return sl_sread_fail(in, err, "OVER aggregate: frame rows for an unbounded frame");
    for (uint32_t j = 0; j < n; j++) {
        if (sl_ov_ring_room(k, gr))
            return sl_error_set(err, SL_ENOMEM, "OVER aggregate: out of memory restoring");
        uint32_t s = (gr->head + gr->n) % gr->cap;
        if ((rc = sl_sread_i64(in, &gr->ts[s], err)) != 0)
            return rc;
        for (uint32_t a = 0; a < k->naggs; a++) {
            bool isn = false;
            if ((rc = sl_ov_get_flag(in, &isn, err)) != 0 ||
                (rc = sl_sread_get(in, &gr->v[(size_t)s * na + a], 8, err)) != 0)
                return rc;
            gr->nul[(size_t)s * na + a] = isn;
        }
        gr->n++;
    }
    return 0;
}

static int sl_ov_restore(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         struct sl_error *err)
{
    struct sl_op_over *k = (struct sl_op_over *)op;
    if (sl_hashagg_groups(k->keys) || k->x.wm1 != INT64_MIN || k->x.input_done)
        return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                           "OVER aggregate: restore into an operator that has run");
    uint32_t magic, nw, nc, nag;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic != SL_OV_MAGIC)
        return sl_sread_fail(in, err, "OVER aggregate: not an OVER aggregate's state");
    if ((rc = sl_sread_u32(in, &nw, err)) != 0 || (rc = sl_sread_u32(in, &nc, err)) != 0 ||
        (rc = sl_sread_u32(in, &nag, err)) != 0)
        return rc;
    if (nw != (uint32_t)k->nworkers)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: OVER aggregate state of %u workers, this job runs %d", in->what,
                            nw, k->nworkers);
    if (nc != k->ncols || nag != k->naggs)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: OVER aggregate state of %u columns and %u aggregates, not %u "
                            "and %u",
                            in->what, nc, nag, k->ncols, k->naggs);
    if ((rc = sl_xchg_load_sent(&k->x, in, err)) != 0 ||
        (rc = sl_xchg_load_recv(&k->x, in, "OVER aggregate", err)) != 0 ||
        (rc = sl_sread_u64(in, &k->next_seq, err)) != 0 ||
        (rc = sl_hashagg_load(k->keys, in, err)) != 0)
        return rc;
    uint32_t ng;
    if ((rc = sl_sread_u32(in, &ng, err)) != 0)
        return rc;
    if (ng != sl_hashagg_groups(k->keys))
        return sl_sread_fail(in, err, "OVER aggregate: a group count that is not the key table's");
    if (sl_ov_grp_reserve(k, ng ? ng : 1))
        return sl_error_set(err, SL_ENOMEM, "OVER aggregate: out of memory restoring");
    for (uint32_t g = 0; g < ng; g++)
        if ((rc = sl_ov_load_grp(k, in, &k->grp[g], &k->acc[(size_t)g * k->naggs], err)) != 0)
            return rc;
    uint32_t np;
    if ((rc = sl_sread_count(in, &np, 24, err)) != 0)
        return rc;
    if (sl_ov_pend_room(k, np))
        return sl_error_set(err, SL_ENOMEM, "OVER aggregate: out of memory restoring");
    for (uint32_t i = 0; i < np; i++) {
        struct sl_ov_pend pe, *p = &pe;
        const void *data;
        if ((rc = sl_sread_i64(in, &p->ts, err)) != 0 ||
            (rc = sl_sread_u64(in, &p->seq, err)) != 0 ||
            (rc = sl_sread_u32(in, &p->gid, err)) != 0 ||
            (rc = sl_sread_bytes(in, &data, &p->len, err)) != 0)
            return rc;
        if (p->gid >= ng || !sl_ov_row_ok(k, data, p->len))
            return sl_sread_fail(in, err, "OVER aggregate: a waiting row that does not fit");
        p->off = k->arena.len;
        sl_sbuf_put(&k->arena, data, p->len);
        if (k->arena.failed)
            return sl_error_set(err, SL_ENOMEM, "OVER aggregate: out of memory restoring");
        sl_ov_heap_push(k, pe);
    }
    return 0;
}

/* Rescaling: which groups of `keys` (a key table of this operator's spec) worker ctx->worker
 * owns now: sel[0 .. *n - 1], by the routing hash of their PARTITION BY values (the key
 * table's columns 0 .. npart - 1, hashed as an input batch's PARTITION BY columns). */
static int sl_ov_mine(struct sl_op_over *k, struct sl_worker_ctx *ctx,
                      const struct sl_hashagg *keys, struct sl_batch_pool *kpool, uint32_t *sel,
                      uint32_t *n, struct sl_error *err)
{
    uint32_t cols[SL_HASHAGG_MAX_K];
    for (uint32_t p = 0; p < k->npart && p < SL_HASHAGG_MAX_K; p++)
        cols[p] = p;
    *n = 0;
    for (uint32_t cursor = 0;;) {
        struct sl_batch *b = sl_batch_pool_get(kpool);
        if (!b)
            return sl_error_set(err, SL_ENOMEM, "OVER aggregate: out of memory restoring");
        uint32_t g0 = cursor;
        int got = sl_hashagg_emit(keys, &cursor, b, err);
        if (got > 0) {
            sl_ov_hash_cols(k, b, (uint32_t)got, cols);
            for (uint32_t i = 0; i < (uint32_t)got; i++)
                if (sl_kg_route(k->hashes[i], ctx->kg_max, (uint32_t)ctx->nworkers) ==
                    (uint32_t)ctx->worker)
                    sel[(*n)++] = g0 + i;
        }
        sl_batch_pool_put(b);
        if (got <= 0)
            return got;
    }
}

/* One old worker's state (nold workers): the partitions this worker owns now, with their
 * accumulators, frame rows and waiting rows; the others' are read and let go (into the
 * scratch group `skip` and accumulators `sacc`). */
static int sl_ov_rescale_one(struct sl_op_over *k, struct sl_worker_ctx *ctx, struct sl_sread *in,
                             uint32_t nold, struct sl_hashagg *tmp, struct sl_batch_pool *kpool,
                             struct sl_ov_grp *skip, struct sl_ov_acc *sacc, int64_t *wm1,
                             int64_t *wm2, uint64_t *next, struct sl_error *err)
{
    uint32_t magic, nw, nc, nag;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic != SL_OV_MAGIC)
        return sl_sread_fail(in, err, "OVER aggregate: not an OVER aggregate's state");
    if ((rc = sl_sread_u32(in, &nw, err)) != 0 || (rc = sl_sread_u32(in, &nc, err)) != 0 ||
        (rc = sl_sread_u32(in, &nag, err)) != 0)
        return rc;
    if (nw != nold || nc != k->ncols || nag != k->naggs)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: OVER aggregate state of %u workers, %u columns and %u "
                            "aggregates, not %u, %u and %u",
                            in->what, nw, nc, nag, nold, k->ncols, k->naggs);
    struct sl_xchg x;
    if (sl_xchg_init(&x, k->heap, (int)nold))
        return sl_error_set(err, SL_ENOMEM, "OVER aggregate: out of memory restoring");
    uint64_t seq = 0;
    uint32_t *sel = NULL, *map = NULL;
    if ((rc = sl_xchg_load_sent(&x, in, err)) != 0 ||
        (rc = sl_xchg_load_recv(&x, in, "OVER aggregate", err)) != 0 ||
        (rc = sl_sread_u64(in, &seq, err)) != 0)
        goto out;
    *wm1 = x.wm1 < *wm1 ? x.wm1 : *wm1;
    *wm2 = x.wm2 < *wm2 ? x.wm2 : *wm2;
    *next = seq > *next ? seq : *next; /* new rows arrive after every kept one */
    sl_hashagg_clear(tmp);
    uint32_t ng = 0, nsel = 0, had = sl_hashagg_groups(k->keys);
    if ((rc = sl_hashagg_load(tmp, in, err)) != 0 || (rc = sl_sread_u32(in, &ng, err)) != 0)
        goto out;
    if (ng != sl_hashagg_groups(tmp)) {
        rc = sl_sread_fail(in, err, "OVER aggregate: a group count that is not the key table's");
        goto out;
    }
    sel = sl_mem_alloc(k->heap, ((size_t)ng + 1) * sizeof(*sel));
    map = sl_mem_alloc(k->heap, ((size_t)ng + 1) * sizeof(*map));
    if (!sel || !map) {
        rc = sl_error_set(err, SL_ENOMEM, "OVER aggregate: out of memory restoring");
        goto out;
    }
    if ((rc = sl_ov_mine(k, ctx, tmp, kpool, sel, &nsel, err)) != 0)
        goto out;
    for (uint32_t g = 0; g < ng; g++)
        map[g] = UINT32_MAX;
    if (nsel && (rc = sl_hashagg_merge_sel_map(k->keys, tmp, sel, nsel, map, err)) != 0)
        goto out;
    uint32_t nk = sl_hashagg_groups(k->keys);
    if (sl_ov_grp_reserve(k, nk ? nk : 1)) {
        rc = sl_error_set(err, SL_ENOMEM, "OVER aggregate: out of memory restoring");
        goto out;
    }
    for (uint32_t g = 0; g < ng && !rc; g++) {
        uint32_t t = map[g];
        if (t != UINT32_MAX && t < had) { /* a partition is one old worker's only */
            rc = sl_sread_fail(in, err, "OVER aggregate: a partition in two workers' states");
            break;
        }
        if (t != UINT32_MAX) {
            rc = sl_ov_load_grp(k, in, &k->grp[t], &k->acc[(size_t)t * k->naggs], err);
            continue;
        }
        skip->head = skip->n = 0; /* another worker's partition now */
        rc = sl_ov_load_grp(k, in, skip, sacc, err);
    }
    uint32_t np = 0;
    if (!rc && (rc = sl_sread_count(in, &np, 24, err)) == 0 && sl_ov_pend_room(k, np))
        rc = sl_error_set(err, SL_ENOMEM, "OVER aggregate: out of memory restoring");
    for (uint32_t i = 0; i < np && !rc; i++) {
        struct sl_ov_pend pe;
        const void *data;
        if ((rc = sl_sread_i64(in, &pe.ts, err)) != 0 ||
            (rc = sl_sread_u64(in, &pe.seq, err)) != 0 ||
            (rc = sl_sread_u32(in, &pe.gid, err)) != 0 ||
            (rc = sl_sread_bytes(in, &data, &pe.len, err)) != 0)
            break;
        if (pe.gid >= ng || !sl_ov_row_ok(k, data, pe.len)) {
            rc = sl_sread_fail(in, err, "OVER aggregate: a waiting row that does not fit");
            break;
        }
        if (map[pe.gid] == UINT32_MAX) /* another worker's partition now */
            continue;
        pe.gid = map[pe.gid];
        pe.off = k->arena.len;
        sl_sbuf_put(&k->arena, data, pe.len);
        if (k->arena.failed) {
            rc = sl_error_set(err, SL_ENOMEM, "OVER aggregate: out of memory restoring");
            break;
        }
        sl_ov_heap_push(k, pe);
    }
out:
    sl_mem_free(sel);
    sl_mem_free(map);
    sl_xchg_free(&x);
    return rc;
}

/*
 * Restore at another worker count (engine/core/keygroup.h): out of every old worker's state,
 * the partitions whose PARTITION BY values this worker owns now, with their accumulators,
 * frame rows and last timestamps, and their rows waiting for the watermark (in arrival order:
 * new rows arrive after the latest of them). Watermarks restart at the lowest of the old
 * workers', as the other operators' do.
 */
static int sl_ov_rescale(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         uint32_t nold, struct sl_error *err)
{
    struct sl_op_over *k = (struct sl_op_over *)op;
    if (sl_hashagg_groups(k->keys) || k->x.wm1 != INT64_MIN || k->x.input_done)
        return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                           "OVER aggregate: restore into an operator that has run");
    struct sl_hashagg *tmp = NULL;
    int rc = sl_hashagg_new(k->heap, &k->spec, &tmp, err);
    if (rc)
        return rc;
    struct sl_type types[SL_HASHAGG_MAX_K];
    uint32_t nk = sl_hashagg_out_ncols(tmp);
    struct sl_schema *ks = NULL;
    struct sl_batch_pool *kpool = NULL;
    if (nk <= SL_HASHAGG_MAX_K) {
        const char *names[SL_HASHAGG_MAX_K];
        sl_hashagg_out_types(tmp, types);
        for (uint32_t c = 0; c < nk; c++)
            names[c] = "key";
        ks = sl_schema_new(nk, names, types);
    }
    kpool = ks ? sl_batch_pool_new(k->heap, ks, 1) : NULL;
    struct sl_ov_grp skip = {.last_ts = INT64_MIN};
    struct sl_ov_acc *sacc = sl_mem_zalloc(k->heap, (k->naggs ? k->naggs : 1) * sizeof(*sacc));
    if (!kpool || !sacc)
        rc = sl_error_set(err, SL_ENOMEM, "OVER aggregate: out of memory restoring");
    int64_t wm1 = INT64_MAX, wm2 = INT64_MAX;
    uint64_t next = 0;
    for (uint32_t j = 0; j < nold && !rc; j++)
        rc = sl_ov_rescale_one(k, ctx, &in[j], nold, tmp, kpool, &skip, sacc, &wm1, &wm2, &next,
                               err);
    if (!rc) {
        sl_xchg_rescaled(&k->x, wm1, wm2);
        k->next_seq = next;
    }
    sl_ov_grp_free(&skip);
    sl_mem_free(sacc);
    if (kpool)
        sl_batch_pool_free(kpool);
    sl_schema_free(ks);
    sl_hashagg_free(tmp);
    return rc;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

static void sl_ov_free(struct sl_op *op)
{
    struct sl_op_over *k = (struct sl_op_over *)op;
    if (!k)
        return;
    if (k->out)
        sl_batch_pool_put(k->out);
    if (k->outbox)
        for (int o = 0; o < k->nworkers; o++)
            sl_ov_msg_free(k->outbox[o]);
    for (uint32_t i = 0; i < k->nspare; i++)
        sl_ov_msg_free(k->spare[i]);
    sl_mem_free(k->outbox);
    sl_mem_free(k->spare);
    for (uint32_t g = 0; g < k->capgrp; g++)
        sl_ov_grp_free(&k->grp[g]);
    sl_mem_free(k->grp);
    sl_mem_free(k->acc);
    sl_mem_free(k->pend);
    sl_mem_free(k->ready);
    sl_mem_free(k->spos);
    sl_mem_free(k->snext);
    sl_mem_free(k->bhead);
    sl_mem_free(k->shash);
    sl_sbuf_free(&k->arena);
    sl_hashagg_free(k->keys);
    if (k->out_pool)
        sl_batch_pool_free(k->out_pool);
    sl_schema_free(k->out_schema);
    sl_schema_free(k->in_schema);
    sl_mem_free(k->width);
    sl_mem_free(k->type);
    sl_mem_free(k->skip);
    sl_mem_free(k->part);
    sl_mem_free(k->part_types);
    sl_mem_free(k->fn);
    sl_mem_free(k->arg);
    sl_mem_free(k->argtype);
    sl_mem_free(k->colp);
    sl_mem_free(k->res);
    sl_mem_free(k->resnull);
    sl_mem_free(k->gids);
    sl_mem_free(k->hashes);
    sl_mem_free(k->sorted);
    sl_xchg_free(&k->x);
    sl_mem_free(k);
}

static const struct sl_op_ops sl_ov_ops = {
    .name = "over",
    .push = sl_ov_push,
    .watermark = sl_ov_watermark,
    .receive = sl_ov_receive,
    .msg_encode = sl_ov_msg_encode,
    .msg_decode = sl_ov_msg_decode,
    .finish = sl_ov_finish,
    .free = sl_ov_free,
    .save = sl_ov_save,
    .restore = sl_ov_restore,
    .rescale = sl_ov_rescale,
};

static int sl_ov_setup(struct sl_op_over *k, const struct sl_plan *node, struct sl_worker_ctx *ctx,
                       struct sl_error *err)
{
    const struct sl_rel *in = &node->input->out;
    struct sl_heap *h = k->heap;
    k->ncols = in->ncols;
    k->npart = node->over.npart;
    k->naggs = node->over.naggs;
    k->rows = node->over.rows;
    k->preceding = node->over.preceding;
    uint32_t nc = k->ncols ? k->ncols : 1, na = k->naggs ? k->naggs : 1;
    k->width = sl_mem_alloc(h, nc);
    k->type = sl_mem_alloc(h, nc);
    k->colp = sl_mem_zalloc(h, nc * sizeof(*k->colp));
    k->part = sl_mem_alloc(h, (k->npart + 1) * sizeof(*k->part));
    k->part_types = sl_mem_alloc(h, (k->npart + 1) * sizeof(*k->part_types));
    k->fn = sl_mem_alloc(h, na * sizeof(*k->fn));
    k->arg = sl_mem_alloc(h, na * sizeof(*k->arg));
    k->argtype = sl_mem_alloc(h, na);
    k->res = sl_mem_zalloc(h, na * sizeof(*k->res));
    k->resnull = sl_mem_zalloc(h, na);
    if (!k->width || !k->type || !k->colp || !k->part || !k->part_types || !k->fn || !k->arg ||
        !k->argtype || !k->res || !k->resnull)
        return sl_ov_oom(k, ctx, err);
    for (uint32_t c = 0; c < k->ncols; c++) {
        k->type[c] = in->cols[c].type.id;
        k->width[c] = (uint8_t)sl_type_width((sl_type_id)in->cols[c].type.id);
    }
    int tc = node->over.time_col;
    if (tc < 0 || (uint32_t)tc >= k->ncols || k->type[tc] != SL_TYPE_TIMESTAMP)
        return sl_op_error(ctx, node->pos, err, SL_EINVAL, "OVER aggregate: ORDER BY column %d",
                           tc);
    k->time_col = (uint32_t)tc;
    for (uint32_t p = 0; p < k->npart; p++) {
        int c = node->over.part[p];
        if (c < 0 || (uint32_t)c >= k->ncols)
            return sl_op_error(ctx, node->pos, err, SL_EINVAL,
                               "OVER aggregate: PARTITION BY column %d", c);
        k->part[p] = (uint32_t)c;
        k->part_types[p] = in->cols[c].type;
    }
    for (uint32_t a = 0; a < k->naggs; a++) {
        const struct sl_agg *g = &node->over.aggs[a];
        k->fn[a] = g->fn;
        k->arg[a] = g->fn == SL_AGG_COUNT_STAR ? -1 : g->col;
        if (k->arg[a] >= (int)k->ncols || (g->fn != SL_AGG_COUNT_STAR && g->col < 0))
            return sl_op_error(ctx, node->pos, err, SL_EINVAL, "OVER aggregate: argument %d",
                               g->col);
        k->argtype[a] = k->arg[a] >= 0 ? k->type[k->arg[a]] : SL_TYPE_BIGINT;
        uint8_t t = k->argtype[a];
        bool num = t == SL_TYPE_INT || t == SL_TYPE_BIGINT || t == SL_TYPE_DOUBLE;
        bool ok =
            g->fn == SL_AGG_COUNT || g->fn == SL_AGG_COUNT_STAR ||
            ((g->fn == SL_AGG_MIN || g->fn == SL_AGG_MAX) && (num || t == SL_TYPE_TIMESTAMP)) ||
            num;
        if (!ok)
            return sl_op_error(ctx, node->pos, err, SL_ENOTSUP,
                               "OVER aggregate: %s of column '%s' (type id %u) is not "
                               "supported yet",
                               sl_agg_fn_name(g->fn), in->cols[k->arg[a]].name, t);
        if (g->fn == SL_AGG_COUNT || g->fn == SL_AGG_COUNT_STAR)
            k->argtype[a] = SL_TYPE_BIGINT;
    }
    if (k->npart == 0)
        return sl_op_error(ctx, node->pos, err, SL_ENOTSUP,
                           "an OVER aggregate without PARTITION BY is not supported yet");
    k->spec = (struct sl_hashagg_spec){k->npart, k->part, k->part_types, 0, NULL};
    int rc = sl_hashagg_new(h, &k->spec, &k->keys, err);
    if (rc)
        return sl_op_error(ctx, node->pos, err, rc, "PARTITION BY of an OVER aggregate: %s",
                           err ? err->msg : sl_strerror(rc));
    k->in_schema = sl_plan_rel_schema(in);
    k->out_schema = sl_plan_rel_schema(&node->out);
    k->out_pool = k->out_schema ? sl_batch_pool_new(h, k->out_schema, 2) : NULL;
    if (!k->in_schema || !k->out_pool)
        return sl_ov_oom(k, ctx, err);
    return 0;
}

int sl_op_over_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                   struct sl_error *err)
{
    *out = NULL;
    if (!node || node->kind != SL_PLAN_OVER || !node->input ||
        node->out.ncols != node->input->out.ncols + node->over.naggs || ctx->nworkers < 1 ||
        (node->over.rows && node->over.preceding > UINT32_MAX - 2))
        return sl_error_set(err, SL_EINVAL, "OVER aggregate: not an Over plan node");
    struct sl_op_over *k = sl_mem_zalloc(ctx->heap, sizeof(*k));
    if (!k)
        return sl_error_set(err, SL_ENOMEM, "OVER aggregate: out of memory");
    k->op.ops = &sl_ov_ops;
    k->op.plan = node;
    k->heap = ctx->heap;
    k->nworkers = ctx->nworkers;
    sl_sbuf_init(&k->arena);
    int rc = sl_ov_setup(k, node, ctx, err);
    if (rc)
        goto out_free;
    k->gids = sl_mem_alloc(k->heap, SL_BATCH_CAP * sizeof(*k->gids));
    k->hashes = sl_mem_alloc(k->heap, SL_BATCH_CAP * sizeof(*k->hashes));
    k->sorted = sl_mem_alloc(k->heap, SL_BATCH_CAP * sizeof(*k->sorted));
    int xrc = sl_xchg_init(&k->x, k->heap, k->nworkers);
    k->outbox = sl_mem_zalloc(k->heap, (size_t)k->nworkers * sizeof(*k->outbox));
    k->spare = sl_mem_zalloc(k->heap, (size_t)k->nworkers * sizeof(*k->spare));
    if (!k->gids || !k->hashes || !k->sorted || xrc || !k->outbox || !k->spare) {
        rc = sl_ov_oom(k, ctx, err);
        goto out_free;
    }
    *out = &k->op;
    return 0;
out_free:
    sl_ov_free(&k->op);
    return rc;
}

void sl_op_over_prune(struct sl_op *op, const bool *need)
{
    struct sl_op_over *k = (struct sl_op_over *)op;
    const struct sl_plan *node = op->plan;
    sl_mem_free(k->skip);
    k->skip = sl_mem_zalloc(k->heap, k->ncols ? k->ncols : 1);
    if (!k->skip)
        return; /* no pruning: every column is kept, which is always right */
    for (uint32_t c = 0; c < k->ncols; c++)
        k->skip[c] = !need[c];
    for (uint32_t p = 0; p < k->npart; p++)
        k->skip[k->part[p]] = false;
    k->skip[k->time_col] = false;
    for (uint32_t a = 0; a < k->naggs; a++)
        if (node->over.aggs[a].col >= 0)
            k->skip[node->over.aggs[a].col] = false;
}
