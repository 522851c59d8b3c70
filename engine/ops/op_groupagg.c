/*
 * engine/ops/op_groupagg.c - the unbounded GROUP BY (see engine/ops/op_groupagg.h for the
 * design and the semantics).
 *
 * STATE
 *   phase 1: `part`, per owner worker the partial of the current mini-batch (NULL until a row
 *            for that owner comes), and the rows and time since the last send.
 *   phase 2: `state`, the owner's hashagg of every group it owns (never cleared: the GROUP BY
 *            is unbounded), and `prev`, per group the aggregate results emitted last (naggs
 *            words, the value's bits as the output column holds them, and naggs NULL flags).
 *            Groups get their ids in order of first appearance, and every touched group is
 *            emitted at once, so groups 0 .. nprev-1 have been emitted, the others are new.
 *
 * CHECKPOINT STATE (ops->save / ops->restore, little-endian, engine/core/state.h): taken at a
 * consistent cut, so no partial is in flight; partials not sent yet are saved per owner.
 *
 *   bytes      field
 *   4          magic 0x31414753 ("SGA1", format 1: insert-only input with keys) or 0x32414753
 *              ("SGA2", format 2: view mode - an updating input or no keys; each format is
 *              refused by an operator of the other kind, SL_ECORRUPT naming both); 3 and 4
 *              below
 *   4          nworkers (restore refuses another count: SL_ECORRUPT naming both)
 *   8, 8       wm1, wm1_sent
 *   per owner 0 .. nworkers-1: 1 byte present (0/1), then if 1 a hashagg state (format 2:
 *              then one per MIN / MAX multiset, in aggregate order)
 *   8          wm2
 *   1, 1       input_done, finished (0/1)
 *   8 x nw     sender_wm[]
 *   1          state present (0/1), then if 1 the owner's hashagg state (format 2: then
 *              each multiset's)
 *   formats 3 ("SGA3" = 0x33414753) and 4 ("SGA4"), written with a state TTL: formats 1 and
 *   2, and after a present state 4 groups, then 8 x groups their last writes (ms since the
 *   epoch). Every format restores with or without a TTL (groups without a time start their
 *   TTL at the restore; without a TTL the times are read and dropped); rescaling reads 1 and
 *   3, carrying each moved group's time.
 * A hashagg state is sl_hashagg_save's (engine/ops/hashagg.c). `prev` is not saved: at a cut
 * every group has been emitted with its current results, so restore recomputes it from the
 * state. The mini-batch clock starts again at restore. Format 2: the multisets' lists and
 * extremes, and which groups stand (row count > 0), are rebuilt from the states likewise.
 */
#include "engine/ops/op_groupagg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/ops/aggout.h"
#include "engine/ops/exchange.h"
#include "engine/plan/changelog.h"
#include "engine/plan/settings.h"

#define SL_GA_MAGIC 0x31414753u  /* "SGA1" little-endian: format version 1 */
#define SL_GA_MAGIC2 0x32414753u /* "SGA2": format 2, view mode */
#define SL_GA_MAGIC3 0x33414753u /* "SGA3": format 1 with the groups' TTL times */
#define SL_GA_MAGIC4 0x34414753u /* "SGA4": format 2 with the groups' TTL times */
#define SL_GA_DEFAULT_SIZE 50000
#define SL_GA_DEFAULT_LATENCY_MS 1000

/* RETRACT: how output aggregate i comes out of the main hashagg (its output columns after the
 * keys: rows = the row count, .a the signed sum, .c the signed count of non-NULL inputs) or
 * out of MIN / MAX multiset .mm. The view columns .vcol / .ncol hold the signed value and the
 * signed non-NULL count of each input row. */
struct sl_ga_rcol {
    uint8_t fn;          /* sl_agg_fn */
    uint32_t a, c;       /* hashagg output columns (COUNT: .a only) */
    int32_t mm;          /* MIN / MAX: the multiset, else -1 */
    uint32_t vcol, ncol; /* view columns */
    struct sl_type in;   /* the input column's type */
    struct sl_type out;  /* the output column's type */
};

/* RETRACT, MIN / MAX of input column x: a hashagg of (keys, x) -> SUM(sign) (the multiset of
 * the group's values, as Flink's MinWithRetractAggFunction's map), and per main group the
 * entry holding the extreme and a list of its entries, so that a retracted extreme is
 * replaced by a walk over the group's own values. */
struct sl_ga_mm {
    bool min;
    struct sl_type type; /* x's type */
    uint32_t key_cols[SL_HASHAGG_MAX_K + 1];
    struct sl_type key_types[SL_HASHAGG_MAX_K + 1];
    struct sl_hashagg_agg agg; /* SUM(sign) with the aggregate's FILTER */
    struct sl_hashagg_spec spec;
    struct sl_hashagg *state; /* phase 2 */
    struct sl_schema *schema; /* its output: keys, x, count */
    struct sl_batch_pool *pool;
    uint32_t *ext, *head;    /* per main group: the extreme's entry, the list (UINT32_MAX) */
    uint8_t *dirty;          /* per main group: the extreme was retracted */
    uint32_t *dlist, ndirty; /* the dirty groups */
    uint32_t capg;
    uint32_t *next, *mg; /* per entry: the list, the main group */
    uint32_t nent, cape; /* entries linked so far */
};

struct sl_op_groupagg {
    struct sl_op op;
    struct sl_heap *heap;
    int nworkers;
    uint32_t nkeys, naggs, nhidden;
    struct sl_hashagg_spec spec;
    uint32_t *key_cols;
    struct sl_type *key_types;
    struct sl_hashagg_agg *ha_aggs;
    struct sl_aggout_col *outcols; /* .str: prev holds a string id */
    /* mini-batch */
    bool per_batch;      /* 'table.exec.mini-batch.enabled' = 'false' */
    uint64_t mb_rows;    /* 'table.exec.mini-batch.size' */
    int64_t mb_ns;       /* 'table.exec.mini-batch.allow-latency' */
    uint64_t rows_since; /* rows folded into `part` since the last send */
    uint64_t last_send_ns;
    /* phase 1 */
    struct sl_xchg x; /* the exchange's watermarks (phase 1: wm1, wm1_sent; phase 2: the rest) */
    struct sl_groupagg_partial **part; /* nworkers */
    /* merged partials kept for the next mini-batches, cleared (their tables keep their size:
     * no allocation, page faults and regrowth per mini-batch); at most nworkers */
    struct sl_groupagg_partial **spare;
    uint32_t nspare;
    uint64_t *hashes;
    int64_t *i64buf;
    uint32_t *bucket;
    sl_sel_t *sorted;
    uint32_t *counts; /* nworkers + 1 */
    /* phase 2 */
    struct sl_hashagg *state;
    uint32_t *gmap; /* scratch: a partial's group -> state group */
    uint32_t capgmap;
    uint64_t *prev;     /* nprev * naggs words */
    uint8_t *prev_null; /* nprev * naggs flags */
    uint32_t nprev, capprev;
    struct sl_schema *out_schema, *ha_schema;
    struct sl_batch_pool *out_pool, *ha_pool; /* ha_pool: with AVG of DECIMAL or a view */
    uint8_t *live; /* capprev flags: the group's last emitted row stands (not deleted) */
    /* VIEW MODE (the block "view mode" below): an updating input or no GROUP BY keys */
    bool view;                /* the hashaggs aggregate a view of the input with derived columns */
    bool retract;             /* the input is updating: signed sums, MIN / MAX multisets */
    bool hkey;                /* no keys: one hidden constant key, every row to owner 0 */
    uint32_t hank;            /* the hashagg's keys: nkeys, or 1 with hkey */
    uint32_t in_ncols;        /* the input's columns; the view's derived ones come after */
    uint32_t vncols;          /* the view's columns */
    struct sl_column *vcols;  /* vncols: [0, in_ncols) copied from each input batch */
    struct sl_column *lcols;  /* vncols: scratch for sl_hashagg_groups_of */
    void *vdata;              /* the derived columns' values and validity */
    struct sl_ga_rcol *rcols; /* naggs (retract) */
    struct sl_ga_mm *mm;      /* nmm MIN / MAX multisets (retract) */
    uint32_t nmm;
    uint8_t *alive;  /* SL_BATCH_CAP: sl_ga_rows' groups with rows (retract) */
    void *hzero;     /* the hidden key's zeros */
    uint32_t *lgids; /* SL_BATCH_CAP scratch */
    /* STATE TTL ('table.exec.state.ttl', the block "state TTL" below) */
    int64_t ttl_ms; /* 0: groups are kept forever */
    int64_t *ts;    /* capts: per group its last write, ms since the epoch (0: unknown) */
    uint32_t capts;
    int64_t oldest;     /* at most the least ts[] of a standing group (INT64_MAX: none) */
    int64_t next_sweep; /* when the cleanup looks for expired groups next */
};

/* ---- helpers ------------------------------------------------------------------------------- */

static int sl_ga_oom(const struct sl_op_groupagg *a, const struct sl_worker_ctx *ctx,
                     struct sl_error *err)
{
    return sl_op_error(ctx, a->op.plan->pos, err, SL_ENOMEM, "group aggregation: out of memory");
}

static uint64_t sl_ga_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sl_ga_partial_free(struct sl_groupagg_partial *p)
{
    if (!p)
        return;
    sl_hashagg_free(p->ha);
    for (uint32_t i = 0; p->mm && i < p->nmm; i++)
        sl_hashagg_free(p->mm[i]);
    sl_mem_free(p->mm);
    sl_mem_free(p);
}

static void sl_ga_partial_clear(struct sl_groupagg_partial *p)
{
    sl_hashagg_clear(p->ha);
    for (uint32_t i = 0; i < p->nmm; i++)
        sl_hashagg_clear(p->mm[i]);
}

static void sl_ga_partial_free_payload(void *p)
{
    sl_ga_partial_free(p);
}

/* ---- phase 1 ------------------------------------------------------------------------------- */

/* A new, empty partial (as every owner's). Partials travel between workers: their memory
 * comes from whichever thread grows them (NULL heap), as the window aggregation's. */
static int sl_ga_partial_new(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx,
                             struct sl_groupagg_partial **out, struct sl_error *err)
{
    struct sl_groupagg_partial *p = sl_mem_zalloc(NULL, sizeof(*p));
    if (!p)
        return sl_ga_oom(a, ctx, err);
    p->hdr.free_fn = sl_ga_partial_free_payload;
    int rc = sl_hashagg_new(NULL, &a->spec, &p->ha, err);
    if (!rc && a->nmm) {
        p->mm = sl_mem_zalloc(NULL, a->nmm * sizeof(*p->mm));
        rc = p->mm ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
        for (uint32_t i = 0; !rc && i < a->nmm; i++, p->nmm++)
            rc = sl_hashagg_new(NULL, &a->mm[i].spec, &p->mm[i], err);
    }
    if (rc) {
        sl_ga_partial_free(p);
        return sl_op_error(ctx, a->op.plan->pos, err, rc, "group aggregation: %s",
                           err ? err->msg : sl_strerror(rc));
    }
    *out = p;
    return 0;
}

/* The partial of owner `o`, made (or taken from the spares) when absent. */
static int sl_ga_partial(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, int o,
                         struct sl_hashagg **out, struct sl_error *err)
{
    struct sl_groupagg_partial **pp = &a->part[o];
    if (!*pp && a->nspare)
        *pp = a->spare[--a->nspare];
    if (!*pp) {
        int rc = sl_ga_partial_new(a, ctx, pp, err);
        if (rc)
            return rc;
    }
    *out = (*pp)->ha;
    return 0;
}

/* Folds the active rows of `b` (the input, or the view in view mode) into owner o's partial. */
static int sl_ga_fold(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, int o,
                      struct sl_batch *b, struct sl_error *err)
{
    struct sl_hashagg *ha;
    int rc = sl_ga_partial(a, ctx, o, &ha, err);
    if (!rc)
        rc = sl_hashagg_update(ha, b, err);
    for (uint32_t i = 0; !rc && i < a->nmm; i++)
        rc = sl_hashagg_update(a->part[o]->mm[i], b, err);
    return rc;
}

/* Sends every partial to its owner: the end of a mini-batch. */
static int sl_ga_send(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    for (int o = 0; o < a->nworkers; o++) {
        if (!a->part[o])
            continue;
        struct sl_msg m = {.kind = SL_MSG_DATA, .aux = a->op.tag, .ptr = a->part[o]};
        int rc = sl_op_send(ctx, &a->op, o, m, err);
        if (rc)
            return rc; /* not sent: still ours, freed with the operator */
        a->part[o] = NULL;
    }
    a->rows_since = 0;
    a->last_send_ns = sl_ga_now_ns();
    return 0;
}

/* Whether the mini-batch is over by its size or its age. */
static bool sl_ga_due(const struct sl_op_groupagg *a)
{
    if (a->rows_since == 0)
        return false;
    if (a->per_batch || a->rows_since >= a->mb_rows)
        return true;
    return sl_ga_now_ns() - a->last_send_ns >= (uint64_t)a->mb_ns;
}

static void sl_ga_view(struct sl_op_groupagg *a, struct sl_batch *b, struct sl_batch *vb);

static int sl_ga_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                      struct sl_error *err)
{
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    uint32_t n = sl_batch_active(b);
    sl_sel_t *bsel = b->sel;
    uint32_t bnsel = b->nsel;
    int rc = 0;
    struct sl_batch vb;
    struct sl_batch *fb = b; /* what the hashaggs fold: the batch or its view */
    if (n == 0)
        goto out_put;
    if (b->kind && !a->retract) {
        for (uint32_t i = 0; i < n; i++)
            if (b->kind[bsel ? bsel[i] : i] != SL_ROW_INSERT) {
                rc = sl_op_error(ctx, op->plan->pos, err, SL_ENOTSUP,
                                 "group aggregation: a %s row in its input, which the plan says "
                                 "is insert-only",
                                 sl_row_kind_str(b->kind[bsel ? bsel[i] : i]));
                goto out_put;
            }
    }
    if (a->view) {
        sl_ga_view(a, b, &vb);
        fb = &vb;
    }
    if (a->nworkers == 1 || a->hkey) { /* no keys: one group, at owner 0 */
        rc = sl_ga_fold(a, ctx, 0, fb, err);
        goto out_done;
    }
    sl_aggout_route_hash(a->key_cols, a->nkeys, b, n, a->hashes, a->i64buf);
    const uint32_t N = (uint32_t)a->nworkers;
    memset(a->counts, 0, (N + 1) * sizeof(*a->counts));
    for (uint32_t i = 0; i < n; i++) {
        a->bucket[i] = sl_kg_route(a->hashes[i], ctx->kg_max, N);
        a->counts[a->bucket[i] + 1]++;
    }
    for (uint32_t k = 0; k < N; k++)
        a->counts[k + 1] += a->counts[k];
    for (uint32_t i = 0; i < n; i++)
        a->sorted[a->counts[a->bucket[i]]++] = bsel ? bsel[i] : i;
    uint32_t begin = 0;
    for (uint32_t k = 0; k < N; k++) {
        uint32_t end = a->counts[k];
        if (end == begin)
            continue;
        fb->sel = a->sorted + begin;
        fb->nsel = end - begin;
        rc = sl_ga_fold(a, ctx, (int)k, fb, err);
        fb->sel = bsel;
        fb->nsel = bnsel;
        if (rc)
            goto out_put;
        begin = end;
    }
out_done:
    if (rc)
        goto out_put;
    a->rows_since += n;
    b->sel = bsel;
    b->nsel = bnsel;
    sl_batch_pool_put(b);
    return sl_ga_due(a) ? sl_ga_send(a, ctx, err) : 0;
out_put:
    b->sel = bsel;
    b->nsel = bnsel;
    sl_batch_pool_put(b);
    return rc;
}

static int sl_ga_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                           struct sl_error *err)
{
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    sl_xchg_wm_in(&a->x, wm);
    int rc = 0;
    if (a->x.wm1 == INT64_MAX || sl_ga_due(a))
        rc = sl_ga_send(a, ctx, err);
    return rc ? rc : sl_xchg_send_wm(&a->x, op, ctx, err);
}

/* ---- view mode ----------------------------------------------------------------------------- */
/*
 * With an updating input or without GROUP BY keys the hashaggs do not aggregate the input
 * batch but a view of it: its columns, then
 *   - without keys: a BOOLEAN NOT NULL column of zeros, the one (hidden) key;
 *   - with an updating input: `sign` (BIGINT: +1 for +I / +U, -1 for -U / -D), and per
 *     aggregate its signed value (sign * x; NULL where x is) and signed non-NULL count
 *     (sign where x is not NULL, else 0).
 * An updating input's COUNT, SUM and AVG are then sums of signed columns (Flink's
 * SumWithRetractAggFunction and the like: a retraction subtracts), merged across workers as
 * any sum; the row count SUM(sign) says when a group has no rows left. MIN / MAX keep their
 * multiset (struct sl_ga_mm).
 */

/* The view of `b` into `vb` (same rows and selection); fills the derived columns for b's
 * active rows. */
static void sl_ga_view(struct sl_op_groupagg *a, struct sl_batch *b, struct sl_batch *vb)
{
    memset(vb, 0, sizeof(*vb));
    vb->rows = b->rows;
    vb->sel = b->sel;
    vb->nsel = b->nsel;
    vb->ncols = a->vncols;
    vb->cols = a->vcols;
    memcpy(a->vcols, b->cols, (size_t)a->in_ncols * sizeof(*a->vcols));
    if (!a->retract)
        return;
    const uint32_t n = sl_batch_active(b);
    const sl_sel_t *sel = b->sel;
    const uint32_t sc = a->in_ncols + (a->hkey ? 1 : 0);
    int64_t *sign = a->vcols[sc].data;
    const uint8_t *kind = b->kind;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = sel ? sel[i] : i;
        uint8_t k = kind ? kind[r] : (uint8_t)SL_ROW_INSERT;
        sign[r] = 1 - 2 * (int64_t)(k == SL_ROW_UPDATE_BEFORE || k == SL_ROW_DELETE);
    }
    for (uint32_t j = 0; j < a->naggs; j++) {
        const struct sl_ga_rcol *rc = &a->rcols[j];
        if (rc->fn == SL_AGG_COUNT_STAR || rc->mm >= 0)
            continue;
        const struct sl_column *x = &b->cols[a->op.plan->agg.aggs[j].col];
        int64_t *nn = a->vcols[rc->ncol].data;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = sel ? sel[i] : i;
            nn[r] = x->valid && sl_col_is_null(x, r) ? 0 : sign[r];
        }
        if (rc->fn == SL_AGG_COUNT)
            continue;
        struct sl_column *v = &a->vcols[rc->vcol];
        if (x->valid)
            memcpy(v->valid, x->valid, SL_VALID_WORDS(b->rows) * sizeof(uint64_t));
        switch (x->type.id) {
        case SL_TYPE_INT: {
            const int32_t *xs = x->data;
            if (v->type.id == SL_TYPE_INT) { /* SUM(INT): wraps as Java's int */
                int32_t *vs = v->data;
                for (uint32_t i = 0; i < n; i++) {
                    uint32_t r = sel ? sel[i] : i;
                    vs[r] = (int32_t)((uint32_t)xs[r] * (uint32_t)sign[r]);
                }
            } else { /* AVG(INT): Flink sums in a long */
                int64_t *vs = v->data;
                for (uint32_t i = 0; i < n; i++) {
                    uint32_t r = sel ? sel[i] : i;
                    vs[r] = (int64_t)xs[r] * sign[r];
                }
            }
            break;
        }
        case SL_TYPE_DOUBLE: {
            const double *xs = x->data;
            double *vs = v->data;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = sel ? sel[i] : i;
                vs[r] = xs[r] * (double)sign[r];
            }
            break;
        }
        default: { /* BIGINT, DECIMAL: wraps as Java's long */
            const int64_t *xs = x->data;
            int64_t *vs = v->data;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = sel ? sel[i] : i;
                vs[r] = (int64_t)((uint64_t)xs[r] * (uint64_t)sign[r]);
            }
            break;
        }
        }
    }
}

/* Grows multiset m's per-group arrays to `ng` main groups and per-entry ones to `ne`. */
static int sl_ga_mm_grow(struct sl_op_groupagg *a, struct sl_ga_mm *m, uint32_t ng, uint32_t ne)
{
    if (ng > m->capg) {
        uint32_t cap = m->capg ? m->capg : 64;
        while (cap < ng)
            cap = cap > UINT32_MAX / 2 ? ng : cap * 2;
        uint32_t *ext = sl_mem_alloc(a->heap, (size_t)cap * sizeof(*ext));
        uint32_t *head = sl_mem_alloc(a->heap, (size_t)cap * sizeof(*head));
        uint32_t *dl = sl_mem_alloc(a->heap, (size_t)cap * sizeof(*dl));
        uint8_t *dirty = sl_mem_zalloc(a->heap, cap);
        if (!ext || !head || !dl || !dirty) {
            sl_mem_free(ext);
            sl_mem_free(head);
            sl_mem_free(dl);
            sl_mem_free(dirty);
            return SL_ENOMEM;
        }
        memset(ext, 0xff, (size_t)cap * sizeof(*ext));
        memset(head, 0xff, (size_t)cap * sizeof(*head));
        if (m->capg) {
            memcpy(ext, m->ext, (size_t)m->capg * sizeof(*ext));
            memcpy(head, m->head, (size_t)m->capg * sizeof(*head));
            memcpy(dl, m->dlist, (size_t)m->ndirty * sizeof(*dl));
            memcpy(dirty, m->dirty, m->capg);
        }
        sl_mem_free(m->ext);
        sl_mem_free(m->head);
        sl_mem_free(m->dlist);
        sl_mem_free(m->dirty);
        m->ext = ext;
        m->head = head;
        m->dlist = dl;
        m->dirty = dirty;
        m->capg = cap;
    }
    if (ne > m->cape) {
        uint32_t cap = m->cape ? m->cape : 64;
        while (cap < ne)
            cap = cap > UINT32_MAX / 2 ? ne : cap * 2;
        uint32_t *next = sl_mem_alloc(a->heap, (size_t)cap * sizeof(*next));
        uint32_t *mg = sl_mem_alloc(a->heap, (size_t)cap * sizeof(*mg));
        if (!next || !mg) {
            sl_mem_free(next);
            sl_mem_free(mg);
            return SL_ENOMEM;
        }
        if (m->nent) {
            memcpy(next, m->next, (size_t)m->nent * sizeof(*next));
            memcpy(mg, m->mg, (size_t)m->nent * sizeof(*mg));
        }
        sl_mem_free(m->next);
        sl_mem_free(m->mg);
        m->next = next;
        m->mg = mg;
        m->cape = cap;
    }
    return 0;
}

/* Whether value word w1 of multiset m is strictly better (smaller for MIN, greater for MAX)
 * than w2; both are values, not NULL. DOUBLE as Java's Double.compare (the key words are
 * normalized: -0.0 is 0.0, one NaN, the greatest); VARCHAR as Flink's
 * BinaryStringData.compareTo (unsigned bytes, a prefix first). */
static bool sl_ga_mm_better(const struct sl_ga_mm *m, uint64_t w1, uint64_t w2)
{
    int c;
    switch (m->type.id) {
    case SL_TYPE_DOUBLE: {
        double x, y;
        memcpy(&x, &w1, 8);
        memcpy(&y, &w2, 8);
        c = x != x ? (y != y ? 0 : 1) : y != y ? -1 : (x > y) - (x < y);
        break;
    }
    case SL_TYPE_VARCHAR: {
        const sl_str *s1 = sl_hashagg_str(m->state, w1), *s2 = sl_hashagg_str(m->state, w2);
        uint32_t l1 = s1 ? s1->len : 0, l2 = s2 ? s2->len : 0;
        c = l1 && l2 ? memcmp(sl_str_data(s1), sl_str_data(s2), l1 < l2 ? l1 : l2) : 0;
        if (c == 0)
            c = (l1 > l2) - (l1 < l2);
        break;
    }
    default: /* INT sign-extended, BIGINT, TIMESTAMP, DECIMAL */
        c = ((int64_t)w1 > (int64_t)w2) - ((int64_t)w1 < (int64_t)w2);
        break;
    }
    return m->min ? c < 0 : c > 0;
}

/*
 * Multiset m's entries ids[0 .. n-1] (of its state; n <= SL_BATCH_CAP) changed: entries not
 * linked yet (ids >= m->nent, given in increasing order after the others... any order) are
 * linked into their main group's list; a value whose count is positive and beats its group's
 * extreme becomes it; an extreme whose count fell to 0 makes its group dirty.
 */
static int sl_ga_mm_touch(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, struct sl_ga_mm *m,
                          const uint32_t *ids, uint32_t n, struct sl_error *err)
{
    struct sl_batch *mb = sl_batch_pool_get(m->pool);
    if (!mb)
        return sl_ga_oom(a, ctx, err);
    int got = sl_hashagg_emit_groups(m->state, ids, n, mb, err);
    int rc = got < 0 ? got : 0;
    uint32_t ne = sl_hashagg_groups(m->state);
    if (!rc && (rc = sl_ga_mm_grow(a, m, sl_hashagg_groups(a->state), ne)) != 0)
        sl_error_set(err, rc, "out of memory");
    /* the main groups of the new entries: one lookup of their keys in the main state */
    uint32_t nnew = 0;
    sl_sel_t *nsel = a->sorted; /* phase-1 scratch, free in phase 2 */
    for (uint32_t i = 0; !rc && i < n; i++)
        if (ids[i] >= m->nent)
            nsel[nnew++] = (sl_sel_t)i;
    if (!rc && nnew) {
        struct sl_batch lb;
        memset(&lb, 0, sizeof(lb));
        lb.rows = n;
        lb.sel = nsel;
        lb.nsel = nnew;
        lb.ncols = a->vncols;
        lb.cols = a->lcols;
        for (uint32_t k = 0; k < a->hank; k++)
            a->lcols[a->key_cols[k]] = mb->cols[k];
        rc = sl_hashagg_groups_of(a->state, &lb, a->lgids, err);
        if (!rc && (rc = sl_ga_mm_grow(a, m, sl_hashagg_groups(a->state), ne)) != 0)
            sl_error_set(err, rc, "out of memory");
        for (uint32_t j = 0; !rc && j < nnew; j++) {
            uint32_t e = ids[nsel[j]], g = a->lgids[j];
            if (g >= m->capg) {
                rc = sl_error_set(err, SL_ESTATE, "a MIN / MAX value of a group not in the state");
                break;
            }
            m->mg[e] = g;
            m->next[e] = m->head[g];
            m->head[g] = e;
        }
        for (uint32_t j = 0; !rc && j < nnew; j++)
            if (ids[nsel[j]] + 1 > m->nent)
                m->nent = ids[nsel[j]] + 1;
    }
    struct sl_column *val = &mb->cols[a->hank], *cnt = &mb->cols[a->hank + 1];
    for (uint32_t i = 0; !rc && i < n; i++) {
        uint32_t e = ids[i], g = m->mg[e];
        bool has = !(val->valid && sl_col_is_null(val, i));
        int64_t c = cnt->valid && sl_col_is_null(cnt, i) ? 0 : sl_col_i64(cnt)[i];
        if (c > 0 && has) {
            uint64_t w = sl_hashagg_key_word(m->state, e, a->hank);
            if (m->ext[g] == UINT32_MAX ||
                sl_ga_mm_better(m, w, sl_hashagg_key_word(m->state, m->ext[g], a->hank)))
                m->ext[g] = e;
        } else if (m->ext[g] == e && !m->dirty[g]) {
            m->dirty[g] = 1;
            m->dlist[m->ndirty++] = g;
        }
    }
    sl_batch_pool_put(mb);
    if (rc)
        return sl_op_error(ctx, a->op.plan->pos, err, rc, "group aggregation: MIN / MAX: %s",
                           err ? err->msg : sl_strerror(rc));
    return 0;
}

/* The dirty groups of m get their extreme again from a walk over their entries. */
static int sl_ga_mm_rescan(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, struct sl_ga_mm *m,
                           struct sl_error *err)
{
    uint32_t ids[SL_BATCH_CAP];
    for (uint32_t d = 0; d < m->ndirty; d++) {
        uint32_t g = m->dlist[d];
        m->dirty[g] = 0;
        m->ext[g] = UINT32_MAX;
        for (uint32_t e = m->head[g]; e != UINT32_MAX;) {
            uint32_t n = 0;
            for (; e != UINT32_MAX && n < SL_BATCH_CAP; e = m->next[e])
                ids[n++] = e;
            struct sl_batch *mb = sl_batch_pool_get(m->pool);
            if (!mb)
                return sl_ga_oom(a, ctx, err);
            int got = sl_hashagg_emit_groups(m->state, ids, n, mb, err);
            if (got < 0) {
                sl_batch_pool_put(mb);
                return sl_op_error(ctx, a->op.plan->pos, err, got, "group aggregation: %s",
                                   err ? err->msg : sl_strerror(got));
            }
            struct sl_column *val = &mb->cols[a->hank], *cnt = &mb->cols[a->hank + 1];
            for (uint32_t i = 0; i < n; i++) {
                int64_t c = cnt->valid && sl_col_is_null(cnt, i) ? 0 : sl_col_i64(cnt)[i];
                if (c <= 0 || (val->valid && sl_col_is_null(val, i)))
                    continue;
                uint64_t w = sl_hashagg_key_word(m->state, ids[i], a->hank);
                if (m->ext[g] == UINT32_MAX ||
                    sl_ga_mm_better(m, w, sl_hashagg_key_word(m->state, m->ext[g], a->hank)))
                    m->ext[g] = ids[i];
            }
            sl_batch_pool_put(mb);
        }
    }
    m->ndirty = 0;
    return 0;
}

/* Group g has no rows left (or only retractions): its states start again from nothing, as
 * Flink clears a key's accumulators after the last retraction. */
static int sl_ga_kill(struct sl_op_groupagg *a, uint32_t g)
{
    int rc = sl_hashagg_reset_group(a->state, g);
    for (uint32_t i = 0; !rc && i < a->nmm; i++) {
        struct sl_ga_mm *m = &a->mm[i];
        if (g >= m->capg)
            continue;
        for (uint32_t e = m->head[g]; !rc && e != UINT32_MAX; e = m->next[e])
            rc = sl_hashagg_reset_group(m->state, e);
        m->ext[g] = UINT32_MAX;
    }
    return rc;
}

/* RETRACT: fills `o` (the node's columns) from `s` (the main hashagg's output) for the groups
 * gids[0 .. n-1], and a->alive[i] (the group has rows). */
static int sl_ga_rconvert(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, struct sl_batch *s,
                          struct sl_batch *o, const uint32_t *gids, uint32_t n,
                          struct sl_error *err)
{
    for (uint32_t k = 0; k < a->nkeys; k++) {
        int rc = sl_aggout_copy_col(o, &o->cols[k], &s->cols[k], n);
        if (rc)
            return sl_op_error(ctx, a->op.plan->pos, err, rc, "group aggregation: key %u: %s", k,
                               rc == SL_ENOMEM ? "out of memory" : "NULL into NOT NULL");
    }
    struct sl_column *rows = &s->cols[a->hank];
    for (uint32_t i = 0; i < n; i++)
        a->alive[i] = sl_col_i64(rows)[i] > 0;
    for (uint32_t j = 0; j < a->naggs; j++) {
        const struct sl_ga_rcol *rc = &a->rcols[j];
        struct sl_column *d = &o->cols[a->nkeys + j];
        if (rc->mm >= 0) {
            const struct sl_ga_mm *m = &a->mm[rc->mm];
            size_t w = sl_type_width((sl_type_id)d->type.id);
            for (uint32_t i = 0; i < n; i++) {
                uint32_t e = gids[i] < m->capg ? m->ext[gids[i]] : UINT32_MAX;
                uint64_t v = e == UINT32_MAX ? 0 : sl_hashagg_key_word(m->state, e, a->hank);
                if (e == UINT32_MAX) {
                    memset((char *)d->data + (size_t)i * w, 0, w);
                    if (d->valid)
                        sl_col_set_null(d, i, true); /* else a dead group: not emitted */
                } else if (m->type.id == SL_TYPE_VARCHAR) {
                    const sl_str *ps = sl_hashagg_str(m->state, v);
                    sl_str sv = sl_str_make("", 0);
                    if (ps && !sl_str_ok(sv = sl_batch_str(o, sl_str_data(ps), ps->len)))
                        return sl_ga_oom(a, ctx, err);
                    sl_col_str(d)[i] = sv;
                } else if (m->type.id == SL_TYPE_INT) {
                    ((int32_t *)d->data)[i] = (int32_t)(int64_t)v;
                } else {
                    memcpy((char *)d->data + (size_t)i * 8, &v, 8);
                }
            }
            continue;
        }
        struct sl_column *sa = &s->cols[rc->a];
        struct sl_column *sc = rc->fn == SL_AGG_COUNT ? NULL : &s->cols[rc->c];
        for (uint32_t i = 0; i < n; i++) {
            bool anull = sa->valid && sl_col_is_null(sa, i);
            if (rc->fn == SL_AGG_COUNT_STAR || rc->fn == SL_AGG_COUNT) {
                sl_col_i64(d)[i] = anull ? 0 : sl_col_i64(sa)[i];
                continue;
            }
            int64_t cnt = sc->valid && sl_col_is_null(sc, i) ? 0 : sl_col_i64(sc)[i];
            if (cnt <= 0 || anull) { /* no non-NULL value left: NULL (Flink) */
                memset((char *)d->data + (size_t)i * sl_type_width((sl_type_id)d->type.id), 0,
                       sl_type_width((sl_type_id)d->type.id));
                if (d->valid)
                    sl_col_set_null(d, i, true);
                continue;
            }
            if (rc->fn == SL_AGG_SUM) {
                if (d->type.id == SL_TYPE_INT)
                    ((int32_t *)d->data)[i] = ((const int32_t *)sa->data)[i];
                else
                    sl_col_i64(d)[i] = sl_col_i64(sa)[i]; /* BIGINT, DECIMAL, DOUBLE bits */
                continue;
            }
            /* AVG */
            switch (rc->in.id) {
            case SL_TYPE_INT: /* Flink: (int) (long sum / count) */
                ((int32_t *)d->data)[i] = (int32_t)(sl_col_i64(sa)[i] / cnt);
                break;
            case SL_TYPE_BIGINT:
                sl_col_i64(d)[i] = sl_col_i64(sa)[i] == INT64_MIN && cnt == -1
                                       ? INT64_MIN
                                       : sl_col_i64(sa)[i] / cnt;
                break;
            case SL_TYPE_DOUBLE:
                ((double *)d->data)[i] = ((const double *)sa->data)[i] / (double)cnt;
                break;
            default: /* DECIMAL */
                if (!sl_aggout_avg_dec(sl_col_i64(sa)[i], (uint64_t)cnt,
                                       rc->out.scale - rc->in.scale, &sl_col_i64(d)[i]))
                    return sl_op_error(ctx, a->op.plan->pos, err, SL_EOVERFLOW,
                                       "AVG: the average of a DECIMAL group (sum %lld at scale "
                                       "%u, %lld rows) does not fit in DECIMAL(18, %u)",
                                       (long long)sl_col_i64(sa)[i], rc->in.scale, (long long)cnt,
                                       rc->out.scale);
                break;
            }
        }
    }
    o->rows = n;
    return 0;
}

/* The string id of MIN / MAX of VARCHAR aggregate c for group g (UINT64_MAX: NULL), and the
 * string of an id, from the hashagg that holds them. */
static uint64_t sl_ga_str_id(const struct sl_op_groupagg *a, uint32_t g, uint32_t c)
{
    if (!a->retract)
        return sl_hashagg_str_id(a->state, g, c);
    const struct sl_ga_mm *m = &a->mm[a->rcols[c].mm];
    uint32_t e = g < m->capg ? m->ext[g] : UINT32_MAX;
    return e == UINT32_MAX ? UINT64_MAX : sl_hashagg_key_word(m->state, e, a->hank);
}

static const sl_str *sl_ga_str(const struct sl_op_groupagg *a, uint32_t c, uint64_t id)
{
    return sl_hashagg_str(a->retract ? a->mm[a->rcols[c].mm].state : a->state, id);
}

/* ---- phase 2 ------------------------------------------------------------------------------- */

/* Fills `o` (the node's out rel) from scratch `s` (the hashagg's out columns), n rows. */
static int sl_ga_convert(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, struct sl_batch *s,
                         struct sl_batch *o, uint32_t n, struct sl_error *err)
{
    struct sl_error e;
    int rc = sl_aggout_convert(a->outcols, a->nkeys, a->naggs, s, o, n, "group aggregation", &e);
    return rc ? sl_op_error(ctx, a->op.plan->pos, err, rc, "%s", e.msg) : 0;
}

/* The groups gids[0 .. n-1] of the state, as output rows (node's columns) into `nb`. */
static int sl_ga_rows(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, const uint32_t *gids,
                      uint32_t n, struct sl_batch *nb, struct sl_error *err)
{
    struct sl_batch *s = a->ha_pool ? sl_batch_pool_get(a->ha_pool) : NULL;
    if (a->ha_pool && !s)
        return sl_ga_oom(a, ctx, err);
    int got = sl_hashagg_emit_groups(a->state, gids, n, s ? s : nb, err);
    int rc = got < 0 ? got : 0;
    if (got < 0)
        rc = sl_op_error(ctx, a->op.plan->pos, err, got, "group aggregation: %s",
                         err ? err->msg : sl_strerror(got));
    else if (s && a->retract)
        rc = sl_ga_rconvert(a, ctx, s, nb, gids, n, err);
    else if (s)
        rc = sl_ga_convert(a, ctx, s, nb, n, err);
    if (s)
        sl_batch_pool_put(s);
    return rc;
}

/* The bits of aggregate column c's value at row r of `b` (0 when NULL), and its NULL flag. */
static uint64_t sl_ga_word(const struct sl_batch *b, uint32_t c, uint32_t r, uint8_t *is_null)
{
    const struct sl_column *col = &b->cols[c];
    *is_null = col->valid && sl_col_is_null(col, r);
    if (*is_null)
        return 0;
    size_t w = sl_type_width((sl_type_id)col->type.id);
    uint64_t v = 0;
    memcpy(&v, (const char *)col->data + (size_t)r * w, w < 8 ? w : 8);
    return v;
}

/* Row `r` of `nb` into row `j` of `o`; with `old` set its aggregates are prev[gid]'s. */
static int sl_ga_put_row(struct sl_op_groupagg *a, struct sl_batch *o, uint32_t j,
                         const struct sl_batch *nb, uint32_t r, bool old, uint32_t gid)
{
    for (uint32_t c = 0; c < a->nkeys + a->naggs; c++) {
        struct sl_column *d = &o->cols[c];
        const struct sl_column *s = &nb->cols[c];
        size_t w = sl_type_width((sl_type_id)s->type.id);
        bool is_null;
        if (old && c >= a->nkeys) {
            size_t k = (size_t)gid * a->naggs + (c - a->nkeys);
            is_null = a->prev_null[k];
            if (a->outcols[c - a->nkeys].str) {
                /* the id's string, still in the state's dictionary (ids are never reused) */
                const sl_str *ps = is_null ? NULL : sl_ga_str(a, c - a->nkeys, a->prev[k]);
                sl_str v = sl_str_make("", 0);
                if (ps && !sl_str_ok(v = sl_batch_str(o, sl_str_data(ps), ps->len)))
                    return SL_ENOMEM;
                sl_col_str(d)[j] = v;
            } else {
                memcpy((char *)d->data + (size_t)j * w, &a->prev[k], w < 8 ? w : 8);
            }
        } else {
            is_null = s->valid && sl_col_is_null(s, r);
            memcpy((char *)d->data + (size_t)j * w, (const char *)s->data + (size_t)r * w, w);
            if (s->type.id == SL_TYPE_VARCHAR && !is_null) {
                sl_str v = sl_col_str((struct sl_column *)s)[r];
                if (v.len > SL_STR_INLINE_MAX) {
                    v = sl_batch_str(o, v.ptr, v.len);
                    if (!sl_str_ok(v))
                        return SL_ENOMEM;
                }
                sl_col_str(d)[j] = v;
            }
        }
        if (is_null) {
            if (!d->valid)
                return SL_EINVAL;
            sl_col_set_null(d, j, true);
        }
    }
    return 0;
}

/* Grows prev to hold `ng` groups. */
static int sl_ga_prev_grow(struct sl_op_groupagg *a, uint32_t ng)
{
    if (ng <= a->capprev)
        return 0;
    uint32_t cap = a->capprev ? a->capprev : 64;
    while (cap < ng)
        cap = cap > UINT32_MAX / 2 ? ng : cap * 2;
    size_t naggs = a->naggs ? a->naggs : 1;
    uint64_t *p = sl_mem_alloc(a->heap, (size_t)cap * naggs * sizeof(*p));
    uint8_t *pn = sl_mem_alloc(a->heap, (size_t)cap * naggs);
    uint8_t *lv = sl_mem_zalloc(a->heap, cap);
    if (!p || !pn || !lv) {
        sl_mem_free(p);
        sl_mem_free(pn);
        sl_mem_free(lv);
        return SL_ENOMEM;
    }
    if (a->nprev) {
        memcpy(p, a->prev, (size_t)a->nprev * naggs * sizeof(*p));
        memcpy(pn, a->prev_null, (size_t)a->nprev * naggs);
        memcpy(lv, a->live, a->nprev);
    }
    sl_mem_free(a->prev);
    sl_mem_free(a->prev_null);
    sl_mem_free(a->live);
    a->prev = p;
    a->prev_null = pn;
    a->live = lv;
    a->capprev = cap;
    return 0;
}

/* Grows ts to hold `ng` groups (new entries 0: unknown). */
static int sl_ga_ts_grow(struct sl_op_groupagg *a, uint32_t ng)
{
    if (ng <= a->capts)
        return 0;
    uint32_t cap = a->capts ? a->capts : 64;
    while (cap < ng)
        cap = cap > UINT32_MAX / 2 ? ng : cap * 2;
    int64_t *t = sl_mem_zalloc(a->heap, (size_t)cap * sizeof(*t));
    if (!t)
        return SL_ENOMEM;
    if (a->capts)
        memcpy(t, a->ts, (size_t)a->capts * sizeof(*t));
    sl_mem_free(a->ts);
    a->ts = t;
    a->capts = cap;
    return 0;
}

/*
 * Emits the changes of the groups gids[0 .. n-1] of the state (each once): +I for a group
 * never emitted, -U old / +U new for one whose results changed, nothing for the others; and
 * remembers the results. With `quiet` nothing goes downstream (restore rebuilds prev).
 */
static int sl_ga_emit(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, const uint32_t *gids,
                      uint32_t n, bool quiet, struct sl_error *err)
{
    if (n == 0)
        return 0;
    uint32_t maxg = 0;
    for (uint32_t i = 0; i < n; i++)
        if (gids[i] + 1 > maxg)
            maxg = gids[i] + 1;
    if (sl_ga_prev_grow(a, maxg) || (a->ttl_ms && sl_ga_ts_grow(a, maxg)))
        return sl_ga_oom(a, ctx, err);
    if (a->ttl_ms && !quiet) { /* a write: the TTL of each group starts again */
        int64_t now = sl_setting_now_ms();
        for (uint32_t i = 0; i < n; i++)
            a->ts[gids[i]] = now;
        if (now < a->oldest)
            a->oldest = now;
    }
    /* groups below nprev0 were emitted before this call; each of gids[] comes once, in any
     * order, so nprev moves only when the call is done */
    const uint32_t nprev0 = a->nprev;
    const uint32_t chunk = SL_BATCH_CAP / 2 ? SL_BATCH_CAP / 2 : 1;
    for (uint32_t base = 0; base < n; base += chunk) {
        uint32_t m = n - base < chunk ? n - base : chunk;
        struct sl_batch *nb = sl_batch_pool_get(a->out_pool);
        struct sl_batch *o = quiet ? NULL : sl_batch_pool_get(a->out_pool);
        if (!nb || (!quiet && !o)) {
            if (nb)
                sl_batch_pool_put(nb);
            if (o)
                sl_batch_pool_put(o);
            return sl_ga_oom(a, ctx, err);
        }
        int rc = sl_ga_rows(a, ctx, gids + base, m, nb, err);
        uint8_t *kind = o ? sl_batch_kinds(o) : NULL;
        uint32_t j = 0;
        for (uint32_t i = 0; !rc && i < m; i++) {
            uint32_t g = gids[base + i];
            bool seen = g < nprev0 && a->live[g];
            if (a->retract && !a->alive[i]) { /* no rows left: -D of what was emitted */
                if (o && seen) {
                    rc = sl_ga_put_row(a, o, j, nb, i, true, g);
                    kind[j++] = SL_ROW_DELETE;
                }
                a->live[g] = 0;
                if (!quiet && !rc && sl_ga_kill(a, g))
                    rc = sl_op_error(ctx, a->op.plan->pos, err, SL_ESTATE,
                                     "group aggregation: group %u cannot be reset", g);
                continue;
            }
            bool same = seen;
            uint64_t nw[64];
            uint8_t nn[64];
            for (uint32_t c = 0; c < a->naggs; c++) {
                uint64_t v;
                uint8_t isn;
                v = sl_ga_word(nb, a->nkeys + c, i, &isn);
                if (a->outcols[c].str) { /* strings compare by content: by their ids */
                    v = sl_ga_str_id(a, g, c);
                    isn = v == UINT64_MAX;
                }
                size_t k = (size_t)g * a->naggs + c;
                if (seen && (a->prev_null[k] != isn || (!isn && a->prev[k] != v)))
                    same = false;
                if (c < 64) {
                    nw[c] = v;
                    nn[c] = isn;
                }
            }
            if (same && !(a->ttl_ms && a->per_batch))
                continue; /* Flink: "new row is same with prev row, no need to output"; but
                             GroupAggFunction (no mini-batch) with a state TTL emits it, so
                             that downstream state does not expire early */
            if (o && seen) {
                rc = sl_ga_put_row(a, o, j, nb, i, true, g);
                kind[j++] = SL_ROW_UPDATE_BEFORE;
            }
            if (o && !rc) {
                rc = sl_ga_put_row(a, o, j, nb, i, false, g);
                kind[j++] = seen ? SL_ROW_UPDATE_AFTER : SL_ROW_INSERT;
            }
            a->live[g] = 1;
            for (uint32_t c = 0; c < a->naggs; c++) {
                size_t k = (size_t)g * a->naggs + c;
                if (c < 64) {
                    a->prev[k] = nw[c];
                    a->prev_null[k] = nn[c];
                } else {
                    a->prev[k] = sl_ga_word(nb, a->nkeys + c, i, &a->prev_null[k]);
                    if (a->outcols[c].str) {
                        a->prev[k] = sl_ga_str_id(a, g, c);
                        a->prev_null[k] = a->prev[k] == UINT64_MAX;
                    }
                }
            }
        }
        sl_batch_pool_put(nb);
        if (rc) {
            if (o)
                sl_batch_pool_put(o);
            return rc == SL_ENOMEM || rc == SL_EINVAL
                       ? sl_op_error(ctx, a->op.plan->pos, err, rc,
                                     "group aggregation: output row: %s",
                                     rc == SL_ENOMEM ? "out of memory" : "NULL into NOT NULL")
                       : rc;
        }
        if (!o)
            continue;
        if (j == 0) {
            sl_batch_pool_put(o);
            continue;
        }
        o->rows = j;
        if ((rc = sl_op_push_next(&a->op, ctx, o, err)) != 0)
            return rc;
    }
    if (maxg > a->nprev)
        a->nprev = maxg;
    return 0;
}

static int sl_ga_new_state(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx,
                           struct sl_error *err)
{
    if (a->state)
        return 0;
    int rc = 0;
    for (uint32_t i = 0; !rc && i < a->nmm; i++)
        if (!a->mm[i].state)
            rc = sl_hashagg_new(NULL, &a->mm[i].spec, &a->mm[i].state, err);
    if (!rc)
        rc = sl_hashagg_new(NULL, &a->spec, &a->state, err);
    if (rc)
        return sl_op_error(ctx, a->op.plan->pos, err, rc, "group aggregation: %s",
                           err ? err->msg : sl_strerror(rc));
    return 0;
}

/* gmap holds at least n entries. */
static int sl_ga_gmap(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, uint32_t n,
                      struct sl_error *err)
{
    if (n <= a->capgmap)
        return 0;
    uint32_t *g = sl_mem_alloc(a->heap, (size_t)n * sizeof(*g));
    if (!g)
        return sl_ga_oom(a, ctx, err);
    sl_mem_free(a->gmap);
    a->gmap = g;
    a->capgmap = n;
    return 0;
}

/* RETRACT: the multisets' entries ids 0 .. n-1 of every multiset (restore), or the entries
 * that the partials pm[] touched, update the extremes. */
static int sl_ga_mm_merge(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx,
                          struct sl_hashagg *const *pm, struct sl_error *err)
{
    for (uint32_t i = 0; i < a->nmm; i++) {
        struct sl_ga_mm *m = &a->mm[i];
        uint32_t np = pm ? sl_hashagg_groups(pm[i]) : sl_hashagg_groups(m->state);
        int rc = sl_ga_gmap(a, ctx, np, err);
        if (rc)
            return rc;
        if (pm && (rc = sl_hashagg_merge_map(m->state, pm[i], a->gmap, err)) != 0)
            return sl_op_error(ctx, a->op.plan->pos, err, rc, "group aggregation: %s",
                               err ? err->msg : sl_strerror(rc));
        for (uint32_t e = 0; !pm && e < np; e++)
            a->gmap[e] = e;
        for (uint32_t base = 0; base < np; base += SL_BATCH_CAP) {
            uint32_t n = np - base < SL_BATCH_CAP ? np - base : SL_BATCH_CAP;
            if ((rc = sl_ga_mm_touch(a, ctx, m, a->gmap + base, n, err)) != 0)
                return rc;
        }
        if ((rc = sl_ga_mm_rescan(a, ctx, m, err)) != 0)
            return rc;
    }
    return 0;
}

/* ---- state TTL ------------------------------------------------------------------------------ */
/*
 * 'table.exec.state.ttl' (Flink's StateTtlConfig: OnCreateAndWrite, NeverReturnExpired, in
 * processing time): ts[g] is the wall-clock time of group g's last write (every merge that
 * touches it). A group whose ts is ttl_ms or more behind is expired: the next mini-batch that
 * touches it finds it (sl_ga_ttl_access, a lookup of the partial's keys while something may
 * have expired) and resets it before the merge, so that it emits +I of its new rows only, as
 * Flink's GroupAggFunction with an expired accumulator; nothing is retracted. The cleanup
 * (sl_ga_ttl_sweep, at most every ttl / 2, after a mini-batch or at a watermark) counts the expired
 * and the deleted groups and, when they are half of the state or more, rebuilds the state of
 * the others (sl_ga_compact), which frees them: the state stays within about twice its live
 * groups. A hashagg that cannot reset a group in place (DISTINCT) is compacted at access.
 */

static int sl_ga_rebuild_prev(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx,
                              struct sl_error *err);

/* Rebuilds the state (and the MIN / MAX multisets) of the groups that stand and have not
 * expired at `now` (other groups are dropped, with their strings), then prev as restore does. */
static int sl_ga_compact(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, int64_t now,
                         struct sl_error *err)
{
    const uint32_t ng = sl_hashagg_groups(a->state);
    const int64_t lim = now - a->ttl_ms;
    uint32_t *keep = sl_mem_alloc(a->heap, ((size_t)ng + 1) * sizeof(*keep));
    uint32_t *map = sl_mem_alloc(a->heap, ((size_t)ng + 1) * sizeof(*map));
    int64_t *nts = sl_mem_alloc(a->heap, ((size_t)ng + 1) * sizeof(*nts));
    struct sl_hashagg **nmm = sl_mem_zalloc(a->heap, ((size_t)a->nmm + 1) * sizeof(*nmm));
    uint32_t *esel = NULL;
    struct sl_hashagg *nh = NULL;
    int rc = keep && map && nts && nmm ? 0 : SL_ENOMEM;
    if (rc)
        sl_error_set(err, rc, "out of memory");
    uint32_t nk = 0;
    int64_t oldest = INT64_MAX;
    for (uint32_t g = 0; !rc && g < ng; g++)
        if (g < a->nprev && a->live[g] && g < a->capts && a->ts[g] > lim)
            keep[nk++] = g;
    if (!rc)
        rc = sl_hashagg_new(NULL, &a->spec, &nh, err);
    if (!rc) {
        memset(map, 0xff, ((size_t)ng + 1) * sizeof(*map));
        rc = sl_hashagg_merge_sel_map(nh, a->state, keep, nk, map, err);
    }
    for (uint32_t i = 0; !rc && i < nk; i++) {
        nts[map[keep[i]]] = a->ts[keep[i]];
        if (a->ts[keep[i]] < oldest)
            oldest = a->ts[keep[i]];
    }
    for (uint32_t i = 0; !rc && i < a->nmm; i++) {
        struct sl_ga_mm *m = &a->mm[i];
        uint32_t ne = sl_hashagg_groups(m->state), nes = 0;
        sl_mem_free(esel);
        esel = sl_mem_alloc(a->heap, ((size_t)ne + 1) * sizeof(*esel));
        if (!esel) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            break;
        }
        for (uint32_t e = 0; e < ne && e < m->nent; e++)
            if (m->mg[e] < ng && map[m->mg[e]] != UINT32_MAX)
                esel[nes++] = e;
        rc = sl_hashagg_new(NULL, &m->spec, &nmm[i], err);
        if (!rc)
            rc = sl_hashagg_merge_sel(nmm[i], m->state, esel, nes, err);
    }
    if (rc) {
        sl_hashagg_free(nh);
        for (uint32_t i = 0; nmm && i < a->nmm; i++)
            sl_hashagg_free(nmm[i]);
    } else { /* the new tables replace the old ones */
        sl_hashagg_free(a->state);
        a->state = nh;
        for (uint32_t i = 0; i < a->nmm; i++) {
            struct sl_ga_mm *m = &a->mm[i];
            sl_hashagg_free(m->state);
            m->state = nmm[i];
            sl_mem_free(m->ext);
            sl_mem_free(m->head);
            sl_mem_free(m->dirty);
            sl_mem_free(m->dlist);
            sl_mem_free(m->next);
            sl_mem_free(m->mg);
            m->ext = m->head = m->dlist = m->next = m->mg = NULL;
            m->dirty = NULL;
            m->capg = m->cape = m->nent = m->ndirty = 0;
        }
        if (a->capts) { /* nk <= the groups before, which all had a time */
            memcpy(a->ts, nts, (size_t)nk * sizeof(*nts));
            memset(a->ts + nk, 0, (size_t)(a->capts - nk) * sizeof(*nts));
        }
        if (a->capprev)
            memset(a->live, 0, a->capprev);
        a->nprev = 0;
        a->oldest = oldest;
    }
    sl_mem_free(keep);
    sl_mem_free(map);
    sl_mem_free(nts);
    sl_mem_free(nmm);
    sl_mem_free(esel);
    if (rc)
        return sl_op_error(ctx, a->op.plan->pos, err, rc, "group aggregation: state TTL: %s",
                           err ? err->msg : sl_strerror(rc));
    if (a->nmm && (rc = sl_ga_mm_merge(a, ctx, NULL, err)) != 0)
        return rc;
    return sl_ga_rebuild_prev(a, ctx, err);
}

/* The cleanup: at most every ttl / 2, frees the expired and deleted groups when they are at
 * least half of the state. */
static int sl_ga_ttl_sweep(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, int64_t now,
                           struct sl_error *err)
{
    if (!a->ttl_ms || !a->state || now < a->next_sweep)
        return 0;
    a->next_sweep = now + (a->ttl_ms / 2 ? a->ttl_ms / 2 : 1);
    const int64_t lim = now - a->ttl_ms;
    const uint32_t ng = sl_hashagg_groups(a->state);
    uint32_t nexp = 0, ndead = 0;
    int64_t oldest = INT64_MAX;
    for (uint32_t g = 0; g < ng; g++) {
        if (g >= a->nprev || !a->live[g])
            ndead++;
        else if (a->ts[g] <= lim)
            nexp++;
        else if (a->ts[g] < oldest)
            oldest = a->ts[g];
    }
    if (nexp == 0)
        a->oldest = oldest; /* nothing expired: no lookups until the oldest group expires */
    if (nexp + ndead == 0 || (uint64_t)(nexp + ndead) * 2 < ng)
        return 0;
    return sl_ga_compact(a, ctx, now, err);
}

/* Before partial p is merged: the groups of the state it touches whose TTL ran out start
 * again from nothing (reset in place, or dropped by a compaction). */
static int sl_ga_ttl_access(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx,
                            const struct sl_groupagg_partial *p, int64_t now, struct sl_error *err)
{
    if (!a->ttl_ms || !a->state || now - a->oldest < a->ttl_ms)
        return 0;
    const uint32_t nprev = a->nprev;
    const int64_t lim = now - a->ttl_ms;
    struct sl_batch_pool *pool = a->ha_pool ? a->ha_pool : a->out_pool;
    uint32_t cursor = 0;
    bool compact = false;
    while (!compact) {
        struct sl_batch *kb = sl_batch_pool_get(pool);
        if (!kb)
            return sl_ga_oom(a, ctx, err);
        int got = sl_hashagg_emit(p->ha, &cursor, kb, err);
        int rc = got < 0 ? got : 0;
        if (got > 0) { /* the partial's keys, looked up in the state */
            struct sl_batch lb;
            memset(&lb, 0, sizeof(lb));
            lb.rows = (uint32_t)got;
            lb.ncols = a->view ? a->vncols : a->in_ncols;
            lb.cols = a->lcols;
            for (uint32_t k = 0; k < a->hank; k++)
                a->lcols[a->key_cols[k]] = kb->cols[k];
            rc = sl_hashagg_groups_of(a->state, &lb, a->lgids, err);
        }
        for (int i = 0; !rc && i < got && !compact; i++) {
            uint32_t g = a->lgids[i];
            if (g >= nprev || !a->live[g] || a->ts[g] > lim)
                continue;
            int krc = sl_ga_kill(a, g);
            if (krc == SL_EINVAL && g < sl_hashagg_groups(a->state))
                compact = true; /* DISTINCT: no reset in place */
            else if (krc)
                rc = sl_error_set(err, SL_ESTATE, "group %u cannot be reset", g);
            a->live[g] = 0; /* emitted as a new group (+I) */
        }
        sl_batch_pool_put(kb);
        if (rc)
            return sl_op_error(ctx, a->op.plan->pos, err, rc, "group aggregation: state TTL: %s",
                               err ? err->msg : sl_strerror(rc));
        if (got == 0)
            break;
    }
    return compact ? sl_ga_compact(a, ctx, now, err) : 0;
}

/* Merges a sender's mini-batch into the state and emits the groups it touched. */
static int sl_ga_merge(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx,
                       const struct sl_groupagg_partial *p, struct sl_error *err)
{
    int rc = sl_ga_new_state(a, ctx, err);
    if (rc)
        return rc;
    if (p->nmm != a->nmm)
        return sl_op_error(ctx, a->op.plan->pos, err, SL_EINVAL,
                           "group aggregation: a partial of %u MIN / MAX sets, not %u", p->nmm,
                           a->nmm);
    const int64_t now = a->ttl_ms ? sl_setting_now_ms() : 0;
    if ((rc = sl_ga_ttl_access(a, ctx, p, now, err)) != 0)
        return rc;
    if (a->nmm && (rc = sl_ga_mm_merge(a, ctx, p->mm, err)) != 0)
        return rc; /* before the main merge: main groups of new entries come from the lookup */
    uint32_t np = sl_hashagg_groups(p->ha);
    if ((rc = sl_ga_gmap(a, ctx, np, err)) != 0)
        return rc;
    if ((rc = sl_hashagg_merge_map(a->state, p->ha, a->gmap, err)) != 0)
        return sl_op_error(ctx, a->op.plan->pos, err, rc, "group aggregation: %s",
                           err ? err->msg : sl_strerror(rc));
    if ((rc = sl_ga_emit(a, ctx, a->gmap, np, false, err)) != 0)
        return rc;
    return sl_ga_ttl_sweep(a, ctx, now, err);
}

static int sl_ga_receive(struct sl_op *op, struct sl_worker_ctx *ctx, int from, struct sl_msg msg,
                         struct sl_error *err)
{
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    switch ((sl_msg_kind)msg.kind) {
    case SL_MSG_DATA: {
        struct sl_groupagg_partial *p = msg.ptr;
        int rc = sl_ga_merge(a, ctx, p, err);
        if (a->spare && a->nspare < (uint32_t)a->nworkers) {
            sl_ga_partial_clear(p); /* from any worker: partials live on the process heap */
            a->spare[a->nspare++] = p;
        } else {
            sl_ga_partial_free(p);
        }
        return rc;
    }
    case SL_MSG_WATERMARK: {
        int64_t before = 0;
        int rc = sl_ga_ttl_sweep(a, ctx, a->ttl_ms ? sl_setting_now_ms() : 0, err);
        if (!rc)
            rc = sl_xchg_recv_wm(&a->x, op, ctx, from, msg.num, &before, "group aggregation", err);
        return rc == 1 ? sl_xchg_pass(&a->x, op, ctx, err) : rc;
    }
    default:
        return 0;
    }
}

/* ---- the message codec (operator.h: msg_encode / msg_decode) ----------------------------------
 * A partial, format 1: 1 version (1), 4 multisets (the operator's nmm), the hashagg state
 * (sl_hashagg_save), then each multiset's. */
#define SL_GA_MSG_V1 1

static int sl_ga_msg_encode(const struct sl_op *op, struct sl_msg msg, struct sl_sbuf *out,
                            struct sl_error *err)
{
    (void)op;
    const struct sl_groupagg_partial *p = msg.ptr;
    sl_sbuf_put_u8(out, SL_GA_MSG_V1);
    sl_sbuf_put_u32(out, p->nmm);
    int rc = sl_hashagg_save(p->ha, out, err);
    for (uint32_t i = 0; !rc && i < p->nmm; i++)
        rc = sl_hashagg_save(p->mm[i], out, err);
    return rc ? rc : sl_sbuf_check(out, err);
}

static int sl_ga_msg_decode(struct sl_op *op, struct sl_worker_ctx *ctx, uint32_t aux,
                            struct sl_sread *in, struct sl_msg *out, struct sl_error *err)
{
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    uint8_t v;
    uint32_t nmm;
    int rc;
    if ((rc = sl_sread_u8(in, &v, err)) != 0 || (rc = sl_sread_u32(in, &nmm, err)) != 0)
        return rc;
    if (v != SL_GA_MSG_V1)
        return sl_sread_fail(in, err, "group aggregation: a message of an unknown format");
    if (nmm != a->nmm)
        return sl_sread_fail(in, err, "group aggregation: a partial of another plan (multisets)");
    struct sl_groupagg_partial *p;
    if (a->spare && a->nspare)
        p = a->spare[--a->nspare]; /* cleared by receive() */
    else if ((rc = sl_ga_partial_new(a, ctx, &p, err)) != 0)
        return rc;
    rc = sl_hashagg_load(p->ha, in, err);
    for (uint32_t i = 0; !rc && i < nmm; i++)
        rc = sl_hashagg_load(p->mm[i], in, err);
    if (rc) {
        sl_ga_partial_free(p);
        return rc;
    }
    *out = (struct sl_msg){.kind = SL_MSG_DATA, .aux = aux, .ptr = p};
    return 0;
}

static int sl_ga_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    for (int o = 0; o < a->nworkers; o++)
        if (a->part[o])
            return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                               "group aggregation: finish with rows not sent to their owners "
                               "(the input's INT64_MAX watermark must come first)");
    return sl_xchg_input_end(&a->x) ? sl_op_finish_next(op, ctx, err) : 0;
}

/* ---- checkpoints --------------------------------------------------------------------------- */

static int sl_ga_save(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                      struct sl_error *err)
{
    (void)ctx;
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    sl_sbuf_put_u32(out, a->ttl_ms ? (a->view ? SL_GA_MAGIC4 : SL_GA_MAGIC3)
                                   : (a->view ? SL_GA_MAGIC2 : SL_GA_MAGIC));
    sl_sbuf_put_u32(out, (uint32_t)a->nworkers);
    sl_xchg_save_sent(&a->x, out);
    for (int o = 0; o < a->nworkers; o++) {
        sl_sbuf_put_u8(out, a->part[o] != NULL);
        int rc = a->part[o] ? sl_hashagg_save(a->part[o]->ha, out, err) : 0;
        for (uint32_t i = 0; !rc && a->part[o] && i < a->nmm; i++)
            rc = sl_hashagg_save(a->part[o]->mm[i], out, err);
        if (rc)
            return rc;
    }
    sl_xchg_save_recv(&a->x, out);
    sl_sbuf_put_u8(out, a->state != NULL);
    int rc = a->state ? sl_hashagg_save(a->state, out, err) : 0;
    for (uint32_t i = 0; !rc && a->state && i < a->nmm; i++)
        rc = sl_hashagg_save(a->mm[i].state, out, err);
    if (rc)
        return rc;
    if (a->ttl_ms && a->state) { /* formats 3 and 4: the groups' last writes */
        uint32_t ng = sl_hashagg_groups(a->state);
        int64_t now = sl_setting_now_ms();
        sl_sbuf_put_u32(out, ng);
        for (uint32_t g = 0; g < ng; g++)
            sl_sbuf_put_u64(out, (uint64_t)(g < a->capts && a->ts[g] ? a->ts[g] : now));
    }
    return sl_sbuf_check(out, err);
}

static int sl_ga_get_flag(struct sl_sread *in, bool *v, struct sl_error *err)
{
    uint8_t b;
    int rc = sl_sread_u8(in, &b, err);
    if (rc)
        return rc;
    if (b > 1)
        return sl_sread_fail(in, err, "group aggregation: a flag that is neither 0 nor 1");
    *v = b == 1;
    return 0;
}

static int sl_ga_rebuild_prev(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx,
                              struct sl_error *err);

/* Formats 3 and 4: the TTL times of the ng groups of a saved state (map: where each went,
 * UINT32_MAX for a group not taken; NULL: the same group). Ignored without a TTL. */
static int sl_ga_ttl_load(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, struct sl_sread *in,
                          uint32_t ng, const uint32_t *map, struct sl_error *err)
{
    uint32_t cnt;
    int rc = sl_sread_u32(in, &cnt, err);
    if (rc)
        return rc;
    if (cnt != ng)
        return sl_sread_fail(in, err, "group aggregation: TTL times of another number of groups");
    if (a->ttl_ms && a->state && sl_ga_ts_grow(a, sl_hashagg_groups(a->state)))
        return sl_ga_oom(a, ctx, err);
    for (uint32_t g = 0; g < ng; g++) {
        uint64_t v;
        if ((rc = sl_sread_u64(in, &v, err)) != 0)
            return rc;
        uint32_t to = map ? map[g] : g;
        if (a->ttl_ms && to != UINT32_MAX && to < a->capts)
            a->ts[to] = (int64_t)v;
    }
    return 0;
}

/* After a restore: groups without a known last write (a checkpoint written without a TTL)
 * start their TTL now; the oldest time. */
static int sl_ga_ttl_settle(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx,
                            struct sl_error *err)
{
    if (!a->ttl_ms || !a->state)
        return 0;
    uint32_t ng = sl_hashagg_groups(a->state);
    if (sl_ga_ts_grow(a, ng))
        return sl_ga_oom(a, ctx, err);
    int64_t now = sl_setting_now_ms(), oldest = INT64_MAX;
    for (uint32_t g = 0; g < ng; g++) {
        if (!a->ts[g])
            a->ts[g] = now;
        if (a->ts[g] < oldest)
            oldest = a->ts[g];
    }
    a->oldest = oldest;
    return 0;
}

static int sl_ga_restore(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         struct sl_error *err)
{
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    bool ran = a->state || a->x.wm1 != INT64_MIN || a->x.wm2 != INT64_MIN || a->x.input_done;
    for (int o = 0; o < a->nworkers; o++)
        ran |= a->part[o] != NULL;
    if (ran)
        return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                           "group aggregation: restore into an operator that has run");
    uint32_t magic, nw;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    const bool fview = magic == SL_GA_MAGIC2 || magic == SL_GA_MAGIC4;
    const bool fts = magic == SL_GA_MAGIC3 || magic == SL_GA_MAGIC4;
    if ((magic == SL_GA_MAGIC || magic == SL_GA_MAGIC3) && a->view)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: group aggregation state of format 1 (insert-only input with "
                            "GROUP BY keys); this aggregation (%s) keeps format 2: start the "
                            "job without this checkpoint",
                            in->what, a->retract ? "updating input" : "no GROUP BY keys");
    if (fview && !a->view)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: group aggregation state of format 2 (updating input or no "
                            "GROUP BY keys); this aggregation keeps format 1: start the job "
                            "without this checkpoint",
                            in->what);
    if (magic != SL_GA_MAGIC && magic != SL_GA_MAGIC2 && !fts)
        return sl_sread_fail(in, err, "group aggregation: not a group aggregation's state");
    if ((rc = sl_sread_u32(in, &nw, err)) != 0)
        return rc;
    if (nw != (uint32_t)a->nworkers)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: group aggregation state of %u workers, this job runs %d", in->what,
                            nw, a->nworkers);
    if ((rc = sl_xchg_load_sent(&a->x, in, err)) != 0)
        return rc;
    for (int o = 0; o < a->nworkers; o++) {
        bool present = false;
        struct sl_hashagg *ha;
        if ((rc = sl_ga_get_flag(in, &present, err)) != 0)
            return rc;
        if (present && ((rc = sl_ga_partial(a, ctx, o, &ha, err)) != 0 ||
                        (rc = sl_hashagg_load(ha, in, err)) != 0))
            return rc;
        for (uint32_t i = 0; present && i < a->nmm; i++)
            if ((rc = sl_hashagg_load(a->part[o]->mm[i], in, err)) != 0)
                return rc;
    }
    if ((rc = sl_xchg_load_recv(&a->x, in, "group aggregation", err)) != 0)
        return rc;
    bool present = false;
    if ((rc = sl_ga_get_flag(in, &present, err)) != 0)
        return rc;
    if (!present)
        return 0;
    if ((rc = sl_ga_new_state(a, ctx, err)) != 0 || (rc = sl_hashagg_load(a->state, in, err)) != 0)
        return rc;
    for (uint32_t i = 0; i < a->nmm; i++)
        if ((rc = sl_hashagg_load(a->mm[i].state, in, err)) != 0)
            return rc;
    if (a->nmm && (rc = sl_ga_mm_merge(a, ctx, NULL, err)) != 0)
        return rc; /* the lists and extremes */
    if ((rc = sl_ga_rebuild_prev(a, ctx, err)) != 0)
        return rc;
    if (fts && (rc = sl_ga_ttl_load(a, ctx, in, sl_hashagg_groups(a->state), NULL, err)) != 0)
        return rc;
    return sl_ga_ttl_settle(a, ctx, err);
}

/* Every group was emitted with its current results before the cut: rebuilds prev. */
static int sl_ga_rebuild_prev(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx,
                              struct sl_error *err)
{
    int rc;
    uint32_t ng = sl_hashagg_groups(a->state);
    for (uint32_t base = 0; base < ng; base += SL_BATCH_CAP) {
        uint32_t m = ng - base < SL_BATCH_CAP ? ng - base : SL_BATCH_CAP;
        if (m > a->capgmap) {
            uint32_t *g = sl_mem_alloc(a->heap, (size_t)SL_BATCH_CAP * sizeof(*g));
            if (!g)
                return sl_ga_oom(a, ctx, err);
            sl_mem_free(a->gmap);
            a->gmap = g;
            a->capgmap = SL_BATCH_CAP;
        }
        for (uint32_t i = 0; i < m; i++)
            a->gmap[i] = base + i;
        if ((rc = sl_ga_emit(a, ctx, a->gmap, m, true, err)) != 0)
            return rc;
    }
    return 0;
}

/* Rescaling: one old worker's saved table into `tmp`, and the groups of it this worker owns
 * now merged into *dst (made by the call when NULL: partial `o`, or the owner's state). */
static int sl_ga_take(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, struct sl_aggout_rs *rs,
                      struct sl_sread *in, struct sl_hashagg *tmp, bool phase1,
                      struct sl_error *err)
{
    sl_hashagg_clear(tmp);
    int rc = sl_hashagg_load(tmp, in, err);
    if (!rc && !phase1 && (rc = sl_ga_gmap(a, ctx, sl_hashagg_groups(tmp) + 1, err)) == 0)
        memset(a->gmap, 0xff, ((size_t)sl_hashagg_groups(tmp) + 1) * sizeof(*a->gmap));
    if (!rc)
        rc = sl_aggout_rs_mine(rs, tmp, ctx->worker, ctx->nworkers, ctx->kg_max, false, a->hashes,
                               a->i64buf, err);
    if (rc || rs->n == 0)
        return rc;
    struct sl_hashagg *dst = NULL;
    if (phase1)
        rc = sl_ga_partial(a, ctx, ctx->worker, &dst, err);
    else if (!a->state)
        rc = sl_ga_new_state(a, ctx, err);
    if (!rc && !phase1)
        dst = a->state;
    if (rc)
        return rc;
    return phase1 ? sl_hashagg_merge_sel(dst, tmp, rs->gids, rs->n, err)
                  : sl_hashagg_merge_sel_map(dst, tmp, rs->gids, rs->n, a->gmap, err);
}

/* One old worker's state (format 1) into this operator; its watermarks into *wm1 / *wm2. */
static int sl_ga_rescale_one(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx,
                             struct sl_aggout_rs *rs, struct sl_hashagg *tmp, struct sl_sread *in,
                             uint32_t nold, int64_t *wm1, int64_t *wm2, struct sl_error *err)
{
    uint32_t magic, nw;
    int rc = sl_sread_u32(in, &magic, err);
    if (!rc && magic != SL_GA_MAGIC && magic != SL_GA_MAGIC3)
        rc = sl_sread_fail(in, err,
                           "group aggregation: not a format-1 or -3 group aggregation state");
    if (!rc)
        rc = sl_sread_u32(in, &nw, err);
    if (!rc && nw != nold)
        rc = sl_error_set(err, SL_ECORRUPT,
                          "%s: group aggregation state of %u workers, the checkpoint's %u",
                          in->what, nw, nold);
    if (rc)
        return rc;
    struct sl_xchg x;
    if (sl_xchg_init(&x, a->heap, (int)nold))
        return sl_ga_oom(a, ctx, err);
    if ((rc = sl_xchg_load_sent(&x, in, err)) != 0)
        goto out;
    for (uint32_t o = 0; o < nold && !rc; o++) {
        bool present = false;
        if ((rc = sl_ga_get_flag(in, &present, err)) == 0 && present)
            rc = sl_ga_take(a, ctx, rs, in, tmp, true, err);
    }
    bool present = false;
    if (rc || (rc = sl_xchg_load_recv(&x, in, "group aggregation", err)) != 0 ||
        (rc = sl_ga_get_flag(in, &present, err)) != 0)
        goto out;
    if (present)
        rc = sl_ga_take(a, ctx, rs, in, tmp, false, err);
    if (!rc && present && magic == SL_GA_MAGIC3)
        rc = sl_ga_ttl_load(a, ctx, in, sl_hashagg_groups(tmp), a->gmap, err);
    if (x.wm1 < *wm1)
        *wm1 = x.wm1;
    if (x.wm2 < *wm2)
        *wm2 = x.wm2;
out:
    sl_xchg_free(&x);
    return rc;
}

/*
 * Restore at another worker count (engine/core/keygroup.h): out of every old worker's state,
 * the groups of this worker's key groups - of the partials the old workers had not sent yet
 * (merged into this worker's partial for itself) and of the owners' tables - then `prev`
 * from the table as restore() does. Watermarks restart at the lowest of the old workers', as
 * the window aggregation's (op_winagg.c). Format 2 (an updating input, or no GROUP BY keys:
 * its MIN / MAX multisets) is not rescaled yet: refused, naming it.
 */
static int sl_ga_rescale(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         uint32_t nold, struct sl_error *err)
{
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    if (a->view)
        return sl_op_error(ctx, op->plan->pos, err, SL_ENOTSUP,
                           "group aggregation (%s): its state cannot be restored at another "
                           "worker count yet (the checkpoint has %u workers, this run %d); run "
                           "with --workers %u to resume it",
                           a->retract ? "of an updating input" : "without GROUP BY keys", nold,
                           ctx->nworkers, nold);
    bool ran = a->state || a->x.wm1 != INT64_MIN || a->x.wm2 != INT64_MIN || a->x.input_done;
    for (int o = 0; o < a->nworkers; o++)
        ran |= a->part[o] != NULL;
    if (ran)
        return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                           "group aggregation: restore into an operator that has run");
    struct sl_aggout_rs rs = {0};
    struct sl_hashagg *tmp = NULL;
    uint32_t rk[SL_HASHAGG_MAX_K];
    for (uint32_t k = 0; k < a->nkeys && k < SL_HASHAGG_MAX_K; k++)
        rk[k] = k; /* the exchange routes by every key */
    int rc = sl_hashagg_new(a->heap, &a->spec, &tmp, err);
    if (!rc)
        rc = sl_aggout_rs_init(&rs, a->heap, tmp, rk, a->nkeys, err);
    int64_t wm1 = INT64_MAX, wm2 = INT64_MAX;
    for (uint32_t j = 0; j < nold && !rc; j++)
        rc = sl_ga_rescale_one(a, ctx, &rs, tmp, &in[j], nold, &wm1, &wm2, err);
    if (rc) {
        if (rc != SL_ECORRUPT)
            rc = sl_op_error(ctx, op->plan->pos, err, rc, "group aggregation: %s",
                             err ? err->msg : sl_strerror(rc));
        goto out;
    }
    sl_xchg_rescaled(&a->x, wm1, wm2);
    if (a->state)
        rc = sl_ga_rebuild_prev(a, ctx, err);
    if (!rc)
        rc = sl_ga_ttl_settle(a, ctx, err);
out:
    sl_aggout_rs_free(&rs);
    sl_hashagg_free(tmp);
    return rc;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

static void sl_ga_free(struct sl_op *op)
{
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    if (!a)
        return;
    if (a->part)
        for (int o = 0; o < a->nworkers; o++)
            sl_ga_partial_free(a->part[o]);
    sl_mem_free(a->part);
    for (uint32_t i = 0; i < a->nspare; i++)
        sl_ga_partial_free(a->spare[i]);
    sl_mem_free(a->spare);
    sl_hashagg_free(a->state);
    if (a->out_pool)
        sl_batch_pool_free(a->out_pool);
    if (a->ha_pool)
        sl_batch_pool_free(a->ha_pool);
    sl_schema_free(a->out_schema);
    sl_schema_free(a->ha_schema);
    sl_mem_free(a->key_cols);
    sl_mem_free(a->key_types);
    sl_mem_free(a->ha_aggs);
    sl_mem_free(a->outcols);
    sl_mem_free(a->hashes);
    sl_mem_free(a->i64buf);
    sl_mem_free(a->bucket);
    sl_mem_free(a->sorted);
    sl_mem_free(a->counts);
    sl_mem_free(a->gmap);
    sl_mem_free(a->prev);
    sl_mem_free(a->prev_null);
    sl_xchg_free(&a->x);
    sl_mem_free(a->live);
    for (uint32_t i = 0; a->mm && i < a->nmm; i++) {
        struct sl_ga_mm *m = &a->mm[i];
        sl_hashagg_free(m->state);
        if (m->pool)
            sl_batch_pool_free(m->pool);
        sl_schema_free(m->schema);
        sl_mem_free(m->ext);
        sl_mem_free(m->head);
        sl_mem_free(m->dirty);
        sl_mem_free(m->dlist);
        sl_mem_free(m->next);
        sl_mem_free(m->mg);
    }
    sl_mem_free(a->mm);
    sl_mem_free(a->rcols);
    sl_mem_free(a->vcols);
    sl_mem_free(a->lcols);
    sl_mem_free(a->vdata);
    sl_mem_free(a->alive);
    sl_mem_free(a->lgids);
    sl_mem_free(a->hzero);
    sl_mem_free(a->ts);
    sl_mem_free(a);
}

static const struct sl_op_ops sl_ga_ops = {
    .name = "group-aggregate",
    .push = sl_ga_push,
    .watermark = sl_ga_watermark,
    .receive = sl_ga_receive,
    .msg_encode = sl_ga_msg_encode,
    .msg_decode = sl_ga_msg_decode,
    .finish = sl_ga_finish,
    .free = sl_ga_free,
    .save = sl_ga_save,
    .restore = sl_ga_restore,
    .rescale = sl_ga_rescale,
};

/* The mini-batch settings of the job (Flink's keys). */
static int sl_ga_settings(struct sl_op_groupagg *a, const struct sl_job *job,
                          struct sl_worker_ctx *ctx, struct sl_error *err)
{
    a->mb_rows = SL_GA_DEFAULT_SIZE;
    a->mb_ns = (int64_t)SL_GA_DEFAULT_LATENCY_MS * 1000000;
    a->oldest = INT64_MAX;
    if (!job)
        return 0;
    a->ttl_ms = sl_setting_state_ttl_ms(job);
    if (a->ttl_ms < 0)
        return sl_op_error(ctx, a->op.plan->pos, err, SL_EINVAL,
                           "SET 'table.exec.state.ttl' = '%s': not a duration (e.g. '1 h')",
                           sl_job_setting(job, "table.exec.state.ttl"));
    const char *en = sl_job_setting(job, "table.exec.mini-batch.enabled");
    if (en && strcasecmp(en, "false") == 0)
        a->per_batch = true;
    else if (en && strcasecmp(en, "true") != 0)
        return sl_op_error(ctx, a->op.plan->pos, err, SL_EINVAL,
                           "SET 'table.exec.mini-batch.enabled' = '%s': not 'true' or 'false'", en);
    const char *lat = sl_job_setting(job, "table.exec.mini-batch.allow-latency");
    if (lat) {
        int64_t ms = sl_setting_duration_ms(lat);
        if (ms < 0)
            return sl_op_error(ctx, a->op.plan->pos, err, SL_EINVAL,
                               "SET 'table.exec.mini-batch.allow-latency' = '%s': not a duration "
                               "(e.g. '2 s', '500 ms')",
                               lat);
        a->mb_ns = ms * 1000000;
    }
    const char *size = sl_job_setting(job, "table.exec.mini-batch.size");
    if (size) {
        char *end = NULL;
        long long v = strtoll(size, &end, 10);
        if (!*size || *end || v <= 0)
            return sl_op_error(ctx, a->op.plan->pos, err, SL_EINVAL,
                               "SET 'table.exec.mini-batch.size' = '%s': not a positive number "
                               "of rows",
                               size);
        a->mb_rows = (uint64_t)v;
    }
    return 0;
}

/* RETRACT: the view's derived columns, the main hashagg's aggregates (a->ha_aggs: the row
 * count first) and the MIN / MAX multisets. *nha gets the main hashagg's aggregate count. */
static int sl_ga_rsetup(struct sl_op_groupagg *a, const struct sl_plan *node,
                        struct sl_worker_ctx *ctx, uint32_t *nha, struct sl_error *err)
{
    const struct sl_rel *in = &node->input->out;
    struct sl_heap *h = a->heap;
    const struct sl_type i64 = {.id = SL_TYPE_BIGINT};
    const uint32_t sc = a->in_ncols + (a->hkey ? 1 : 0); /* the sign column */
    uint32_t nv = 1, nmm = 0;
    for (uint32_t j = 0; j < a->naggs; j++) {
        const struct sl_agg *g = &node->agg.aggs[j];
        if (g->distinct && g->fn != SL_AGG_MIN && g->fn != SL_AGG_MAX)
            return sl_op_error(ctx, node->pos, err, SL_ENOTSUP,
                               "%s(DISTINCT ...) over an updating input is not supported yet "
                               "(its input is a changelog: sluice keeps no per-group value "
                               "counts for DISTINCT)",
                               g->fn == SL_AGG_COUNT ? "COUNT" : sl_agg_fn_name(g->fn));
        nv += g->fn == SL_AGG_COUNT ? 1 : g->fn == SL_AGG_SUM || g->fn == SL_AGG_AVG ? 2 : 0;
        nmm += g->fn == SL_AGG_MIN || g->fn == SL_AGG_MAX;
    }
    a->rcols = sl_mem_zalloc(h, (a->naggs + 1) * sizeof(*a->rcols));
    a->mm = sl_mem_zalloc(h, (nmm + 1) * sizeof(*a->mm));
    a->ha_aggs = sl_mem_zalloc(h, (2 * a->naggs + 2) * sizeof(*a->ha_aggs));
    a->vdata = sl_mem_zalloc(h, (size_t)nv * SL_BATCH_CAP * 8 +
                                    (size_t)a->naggs * SL_VALID_WORDS(SL_BATCH_CAP) * 8);
    if (!a->rcols || !a->mm || !a->ha_aggs || !a->vdata)
        return sl_ga_oom(a, ctx, err);
    char *vd = a->vdata;
    uint64_t *vvalid = (uint64_t *)(vd + (size_t)nv * SL_BATCH_CAP * 8);
    a->vcols[sc] = (struct sl_column){.type = i64, .data = vd};
    uint32_t vc = sc + 1, k = 0;
    a->ha_aggs[k++] = (struct sl_hashagg_agg){.func = SL_AGG_SUM, .col = sc, .input = i64};
    for (uint32_t j = 0; j < a->naggs; j++) {
        const struct sl_agg *g = &node->agg.aggs[j];
        struct sl_ga_rcol *rc = &a->rcols[j];
        rc->fn = (uint8_t)g->fn;
        rc->mm = -1;
        rc->out = node->out.cols[a->nkeys + j].type;
        if (g->fn != SL_AGG_COUNT_STAR)
            rc->in = in->cols[g->col].type;
        a->outcols[j].str =
            (g->fn == SL_AGG_MIN || g->fn == SL_AGG_MAX) && rc->in.id == SL_TYPE_VARCHAR;
        if (g->fn == SL_AGG_COUNT_STAR) {
            rc->a = a->hank + k;
            a->ha_aggs[k++] = (struct sl_hashagg_agg){
                .func = SL_AGG_SUM, .col = sc, .input = i64, .filter = (uint32_t)g->filter};
            continue;
        }
        if ((g->fn == SL_AGG_MIN || g->fn == SL_AGG_MAX) && rc->in.id != SL_TYPE_INT &&
            rc->in.id != SL_TYPE_BIGINT && rc->in.id != SL_TYPE_DOUBLE &&
            rc->in.id != SL_TYPE_DECIMAL && rc->in.id != SL_TYPE_TIMESTAMP &&
            rc->in.id != SL_TYPE_VARCHAR)
            return sl_op_error(ctx, node->pos, err, SL_ENOTSUP, "%s of %s is not supported",
                               sl_agg_fn_name(g->fn), sl_type_name((sl_type_id)rc->in.id));
        if (g->fn == SL_AGG_MIN || g->fn == SL_AGG_MAX) {
            struct sl_ga_mm *m = &a->mm[a->nmm];
            rc->mm = (int32_t)a->nmm++;
            m->min = g->fn == SL_AGG_MIN;
            m->type = rc->in;
            if (a->hank + 1 > SL_HASHAGG_MAX_K)
                return sl_op_error(ctx, node->pos, err, SL_ENOTSUP,
                                   "%s over an updating input with %u GROUP BY keys: at most %u",
                                   sl_agg_fn_name(g->fn), a->hank, SL_HASHAGG_MAX_K - 1);
            for (uint32_t q = 0; q < a->hank; q++) {
                m->key_cols[q] = a->key_cols[q];
                m->key_types[q] = a->key_types[q];
            }
            m->key_cols[a->hank] = (uint32_t)g->col;
            m->key_types[a->hank] = rc->in;
            m->agg = (struct sl_hashagg_agg){
                .func = SL_AGG_SUM, .col = sc, .input = i64, .filter = (uint32_t)g->filter};
            m->spec = (struct sl_hashagg_spec){a->hank + 1, m->key_cols, m->key_types, 1, &m->agg};
            struct sl_hashagg *t;
            int rc2 = sl_hashagg_new(h, &m->spec, &t, err);
            if (rc2)
                return sl_op_error(ctx, node->pos, err, rc2, "%s over an updating input: %s",
                                   sl_agg_fn_name(g->fn), err ? err->msg : sl_strerror(rc2));
            struct sl_type types[SL_HASHAGG_MAX_K + 2];
            sl_hashagg_out_types(t, types);
            sl_hashagg_free(t);
            m->schema = sl_aggout_schema(h, a->hank + 2, NULL, types);
            m->pool = m->schema ? sl_batch_pool_new(h, m->schema, 1) : NULL;
            if (!m->pool)
                return sl_ga_oom(a, ctx, err);
            continue;
        }
        if (rc->in.id != SL_TYPE_INT && rc->in.id != SL_TYPE_BIGINT &&
            rc->in.id != SL_TYPE_DOUBLE && rc->in.id != SL_TYPE_DECIMAL && g->fn != SL_AGG_COUNT)
            return sl_op_error(ctx, node->pos, err, SL_ENOTSUP, "%s of %s is not supported",
                               sl_agg_fn_name(g->fn), sl_type_name((sl_type_id)rc->in.id));
        rc->ncol = vc++;
        a->vcols[rc->ncol] = (struct sl_column){.type = i64, .data = vd + (size_t)rc->ncol - sc};
        if (g->fn != SL_AGG_COUNT) {
            rc->vcol = vc++;
            struct sl_type vt = rc->in;
            if (g->fn == SL_AGG_AVG && vt.id == SL_TYPE_INT)
                vt.id = SL_TYPE_BIGINT;
            a->vcols[rc->vcol] = (struct sl_column){
                .type = vt,
                .valid = vt.nullable ? vvalid + (size_t)j * SL_VALID_WORDS(SL_BATCH_CAP) : NULL};
            rc->a = a->hank + k;
            a->ha_aggs[k++] = (struct sl_hashagg_agg){
                .func = SL_AGG_SUM, .col = rc->vcol, .input = vt, .filter = (uint32_t)g->filter};
        }
        rc->c = a->hank + k;
        if (g->fn == SL_AGG_COUNT)
            rc->a = rc->c;
        a->ha_aggs[k++] = (struct sl_hashagg_agg){
            .func = SL_AGG_SUM, .col = rc->ncol, .input = i64, .filter = (uint32_t)g->filter};
    }
    /* the derived columns' values: SL_BATCH_CAP 8-byte words each, in view order */
    for (uint32_t c = sc; c < vc; c++)
        a->vcols[c].data = vd + (size_t)(c - sc) * SL_BATCH_CAP * 8;
    *nha = k;
    return 0;
}

/* The hashagg spec and output mapping from the plan node. */
static int sl_ga_setup(struct sl_op_groupagg *a, const struct sl_plan *node,
                       struct sl_worker_ctx *ctx, struct sl_error *err)
{
    const struct sl_rel *in = &node->input->out;
    struct sl_heap *h = a->heap;
    a->nkeys = node->agg.nkeys;
    a->naggs = node->agg.naggs;
    a->hkey = a->nkeys == 0;
    a->retract = sl_plan_changelog(node->input, NULL, NULL) != SL_CHANGELOG_INSERT_ONLY;
    a->view = a->hkey || a->retract;
    a->hank = a->hkey ? 1 : a->nkeys;
    a->in_ncols = in->ncols;
    struct sl_error e;
    int rc = sl_aggout_check(node, &a->nhidden, &e);
    if (rc)
        return sl_op_error(ctx, node->pos, err, rc, "%s", e.msg);
    uint32_t nha = a->naggs + a->nhidden;
    a->key_cols = sl_mem_alloc(h, (a->hank + 1) * sizeof(*a->key_cols));
    a->key_types = sl_mem_alloc(h, (a->hank + 1) * sizeof(*a->key_types));
    a->outcols = sl_mem_zalloc(h, (a->naggs + 1) * sizeof(*a->outcols));
    if (!a->key_cols || !a->key_types || !a->outcols)
        return sl_ga_oom(a, ctx, err);
    for (uint32_t k = 0; k < a->nkeys; k++) {
        int c = node->agg.keys[k];
        if (c < 0 || (uint32_t)c >= in->ncols)
            return sl_op_error(ctx, node->pos, err, SL_EINVAL,
                               "key %u: input column %d out of range", k, c);
        a->key_cols[k] = (uint32_t)c;
        a->key_types[k] = in->cols[c].type;
    }
    if (a->view) {
        a->vncols = a->in_ncols + (a->hkey ? 1 : 0) + (a->retract ? 1 + 2 * a->naggs : 0);
        a->vcols = sl_mem_zalloc(h, (a->vncols + 1) * sizeof(*a->vcols));
        a->lcols = sl_mem_zalloc(h, (a->vncols + 1) * sizeof(*a->lcols));
        a->alive = sl_mem_zalloc(h, SL_BATCH_CAP);
        a->lgids = sl_mem_alloc(h, SL_BATCH_CAP * sizeof(*a->lgids));
        if (!a->vcols || !a->lcols || !a->alive || !a->lgids)
            return sl_ga_oom(a, ctx, err);
    }
    if (!a->view && a->ttl_ms) { /* the state TTL's lookups */
        a->lcols = sl_mem_zalloc(h, (a->in_ncols + 1) * sizeof(*a->lcols));
        a->lgids = sl_mem_alloc(h, SL_BATCH_CAP * sizeof(*a->lgids));
        if (!a->lcols || !a->lgids)
            return sl_ga_oom(a, ctx, err);
    }
    if (a->hkey) { /* the hidden key: a BOOLEAN NOT NULL column of zeros */
        const struct sl_type b = {.id = SL_TYPE_BOOLEAN};
        void *z = sl_mem_zalloc(h, SL_BATCH_CAP);
        if (!z)
            return sl_ga_oom(a, ctx, err);
        a->vcols[a->in_ncols] = (struct sl_column){.type = b, .data = z};
        a->hzero = z;
        a->key_cols[0] = a->in_ncols;
        a->key_types[0] = b;
    }
    if (a->retract) {
        if ((rc = sl_ga_rsetup(a, node, ctx, &nha, err)) != 0)
            return rc;
    } else {
        a->ha_aggs = sl_mem_zalloc(h, (nha + 1) * sizeof(*a->ha_aggs));
        if (!a->ha_aggs)
            return sl_ga_oom(a, ctx, err);
        if ((rc = sl_aggout_map(node, a->hank, a->ha_aggs, a->outcols, &e)) != 0)
            return sl_op_error(ctx, node->pos, err, rc, "%s", e.msg);
    }
    a->spec = (struct sl_hashagg_spec){a->hank, a->key_cols, a->key_types, nha, a->ha_aggs};
    /* validates the spec */
    struct sl_hashagg *ha;
    rc = sl_hashagg_new(h, &a->spec, &ha, err);
    if (rc)
        return sl_op_error(ctx, node->pos, err, rc, "group aggregation: %s",
                           err ? err->msg : sl_strerror(rc));
    struct sl_type types[SL_HASHAGG_MAX_K + 130];
    uint32_t nout = sl_hashagg_out_ncols(ha);
    if (nout <= sizeof(types) / sizeof(types[0]))
        sl_hashagg_out_types(ha, types);
    sl_hashagg_free(ha);
    if (nout > sizeof(types) / sizeof(types[0]))
        return sl_op_error(ctx, node->pos, err, SL_ENOTSUP,
                           "group aggregation: too many aggregates (%u)", nout);
    a->out_schema = sl_aggout_schema(h, node->out.ncols, &node->out, NULL);
    a->out_pool = a->out_schema ? sl_batch_pool_new(h, a->out_schema, 4) : NULL;
    if (!a->out_pool)
        return sl_ga_oom(a, ctx, err);
    if (a->nhidden || a->view) {
        a->ha_schema = sl_aggout_schema(h, nout, NULL, types);
        a->ha_pool = a->ha_schema ? sl_batch_pool_new(h, a->ha_schema, 1) : NULL;
        if (!a->ha_pool)
            return sl_ga_oom(a, ctx, err);
    }
    return 0;
}

int sl_op_groupagg_new(const struct sl_plan *node, const struct sl_job *job,
                       struct sl_worker_ctx *ctx, struct sl_op **out, struct sl_error *err)
{
    *out = NULL;
    if (!node || node->kind != SL_PLAN_AGG || !node->input || node->agg.window_start >= 0 ||
        node->out.ncols != node->agg.nkeys + node->agg.naggs || ctx->nworkers < 1)
        return sl_error_set(err, SL_EINVAL,
                            "group aggregation: not an unbounded aggregation plan node");
    struct sl_op_groupagg *a = sl_mem_zalloc(ctx->heap, sizeof(*a));
    if (!a)
        return sl_error_set(err, SL_ENOMEM, "group aggregation: out of memory");
    a->op.ops = &sl_ga_ops;
    a->op.plan = node;
    a->heap = ctx->heap;
    a->nworkers = ctx->nworkers;
    a->last_send_ns = sl_ga_now_ns();
    int rc = sl_ga_settings(a, job, ctx, err);
    if (!rc)
        rc = sl_ga_setup(a, node, ctx, err);
    if (rc)
        goto out_free;
    a->hashes = sl_mem_alloc(a->heap, SL_BATCH_CAP * sizeof(*a->hashes));
    a->i64buf = sl_mem_alloc(a->heap, SL_BATCH_CAP * sizeof(*a->i64buf));
    a->bucket = sl_mem_alloc(a->heap, SL_BATCH_CAP * sizeof(*a->bucket));
    a->sorted = sl_mem_alloc(a->heap, SL_BATCH_CAP * sizeof(*a->sorted));
    a->counts = sl_mem_alloc(a->heap, ((size_t)a->nworkers + 1) * sizeof(*a->counts));
    int xrc = sl_xchg_init(&a->x, a->heap, a->nworkers);
    a->part = sl_mem_zalloc(a->heap, (size_t)a->nworkers * sizeof(*a->part));
    a->spare = sl_mem_zalloc(a->heap, (size_t)a->nworkers * sizeof(*a->spare));
    if (!a->hashes || !a->i64buf || !a->bucket || !a->sorted || !a->counts || xrc || !a->part) {
        rc = sl_ga_oom(a, ctx, err);
        goto out_free;
    }
    *out = &a->op;
    return 0;
out_free:
    sl_ga_free(&a->op);
    return rc;
}
