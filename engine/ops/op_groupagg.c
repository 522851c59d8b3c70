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
 *   4          magic 0x31414753 ("SGA1", format 1)
 *   4          nworkers (restore refuses another count: SL_ECORRUPT naming both)
 *   8, 8       wm1, wm1_sent
 *   per owner 0 .. nworkers-1: 1 byte present (0/1), then if 1 a hashagg state
 *   8          wm2
 *   1, 1       input_done, finished (0/1)
 *   8 x nw     sender_wm[]
 *   1          state present (0/1), then if 1 the owner's hashagg state
 * A hashagg state is sl_hashagg_save's (engine/ops/hashagg.c). `prev` is not saved: at a cut
 * every group has been emitted with its current results, so restore recomputes it from the
 * state. The mini-batch clock starts again at restore.
 */
#include "engine/ops/op_groupagg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/ops/aggout.h"
#include "engine/plan/sql_source.h"

#define SL_GA_MAGIC 0x31414753u /* "SGA1" little-endian: format version 1 */
#define SL_GA_DEFAULT_SIZE 50000
#define SL_GA_DEFAULT_LATENCY_MS 1000

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
    int64_t wm1, wm1_sent;
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
    int64_t *sender_wm;
    bool input_done, finished;
    int64_t wm2;
    struct sl_schema *out_schema, *ha_schema;
    struct sl_batch_pool *out_pool, *ha_pool; /* ha_pool: only with AVG of DECIMAL */
};

/* ---- helpers ------------------------------------------------------------------------------- */

static int sl_ga_err(const struct sl_worker_ctx *ctx, size_t pos, struct sl_error *err, int code,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int sl_ga_err(const struct sl_worker_ctx *ctx, size_t pos, struct sl_error *err, int code,
                     const char *fmt, ...)
{
    char msg[SL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ctx && ctx->sql)
        return sl_sql_error_at(ctx->sql, pos, err, code, "%s", msg);
    return sl_error_set(err, code, "%s", msg);
}

static int sl_ga_oom(const struct sl_op_groupagg *a, const struct sl_worker_ctx *ctx,
                     struct sl_error *err)
{
    return sl_ga_err(ctx, a->op.plan->pos, err, SL_ENOMEM, "group aggregation: out of memory");
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
    sl_mem_free(p);
}

static void sl_ga_partial_free_payload(void *p)
{
    sl_ga_partial_free(p);
}

/* ---- phase 1 ------------------------------------------------------------------------------- */

/* The partial of owner `o`, made when absent. Partials travel between workers: their memory
 * comes from whichever thread grows them (NULL heap), as the window aggregation's. */
static int sl_ga_partial(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, int o,
                         struct sl_hashagg **out, struct sl_error *err)
{
    struct sl_groupagg_partial **pp = &a->part[o];
    if (!*pp && a->nspare)
        *pp = a->spare[--a->nspare];
    if (!*pp) {
        struct sl_groupagg_partial *p = sl_mem_zalloc(NULL, sizeof(*p));
        if (!p)
            return sl_ga_oom(a, ctx, err);
        p->hdr.free_fn = sl_ga_partial_free_payload;
        int rc = sl_hashagg_new(NULL, &a->spec, &p->ha, err);
        if (rc) {
            sl_mem_free(p);
            return sl_ga_err(ctx, a->op.plan->pos, err, rc, "group aggregation: %s",
                             err ? err->msg : sl_strerror(rc));
        }
        *pp = p;
    }
    *out = (*pp)->ha;
    return 0;
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

static int sl_ga_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                      struct sl_error *err)
{
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    uint32_t n = sl_batch_active(b);
    sl_sel_t *bsel = b->sel;
    uint32_t bnsel = b->nsel;
    int rc = 0;
    struct sl_hashagg *ha;
    if (n == 0)
        goto out_put;
    if (b->kind) {
        for (uint32_t i = 0; i < n; i++)
            if (b->kind[bsel ? bsel[i] : i] != SL_ROW_INSERT) {
                rc = sl_ga_err(ctx, op->plan->pos, err, SL_ENOTSUP,
                               "group aggregation: a %s row in its input; sluice aggregates "
                               "insert-only input only",
                               sl_row_kind_str(b->kind[bsel ? bsel[i] : i]));
                goto out_put;
            }
    }
    if (a->nworkers == 1) {
        if ((rc = sl_ga_partial(a, ctx, 0, &ha, err)) == 0)
            rc = sl_hashagg_update(ha, b, err);
        goto out_done;
    }
    sl_aggout_route_hash(a->key_cols, a->nkeys, b, n, a->hashes, a->i64buf);
    const uint32_t N = (uint32_t)a->nworkers;
    memset(a->counts, 0, (N + 1) * sizeof(*a->counts));
    for (uint32_t i = 0; i < n; i++) {
        a->bucket[i] = (uint32_t)(a->hashes[i] % N);
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
        if ((rc = sl_ga_partial(a, ctx, (int)k, &ha, err)) != 0)
            goto out_put;
        b->sel = a->sorted + begin;
        b->nsel = end - begin;
        rc = sl_hashagg_update(ha, b, err);
        b->sel = bsel;
        b->nsel = bnsel;
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
    if (wm > a->wm1)
        a->wm1 = wm;
    int rc = 0;
    if (a->wm1 == INT64_MAX || sl_ga_due(a))
        rc = sl_ga_send(a, ctx, err);
    if (rc || a->wm1 <= a->wm1_sent)
        return rc;
    a->wm1_sent = a->wm1;
    for (int o = 0; o < a->nworkers; o++) {
        struct sl_msg m = {.kind = SL_MSG_WATERMARK, .aux = op->tag, .num = a->wm1};
        if ((rc = sl_op_send(ctx, op, o, m, err)) != 0)
            return rc;
    }
    return 0;
}

/* ---- phase 2 ------------------------------------------------------------------------------- */

/* Fills `o` (the node's out rel) from scratch `s` (the hashagg's out columns), n rows. */
static int sl_ga_convert(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx, struct sl_batch *s,
                         struct sl_batch *o, uint32_t n, struct sl_error *err)
{
    struct sl_error e;
    int rc = sl_aggout_convert(a->outcols, a->nkeys, a->naggs, s, o, n, "group aggregation", &e);
    return rc ? sl_ga_err(ctx, a->op.plan->pos, err, rc, "%s", e.msg) : 0;
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
        rc = sl_ga_err(ctx, a->op.plan->pos, err, got, "group aggregation: %s",
                       err ? err->msg : sl_strerror(got));
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
                const sl_str *ps = is_null ? NULL : sl_hashagg_str(a->state, a->prev[k]);
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
    if (!p || !pn) {
        sl_mem_free(p);
        sl_mem_free(pn);
        return SL_ENOMEM;
    }
    if (a->nprev) {
        memcpy(p, a->prev, (size_t)a->nprev * naggs * sizeof(*p));
        memcpy(pn, a->prev_null, (size_t)a->nprev * naggs);
    }
    sl_mem_free(a->prev);
    sl_mem_free(a->prev_null);
    a->prev = p;
    a->prev_null = pn;
    a->capprev = cap;
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
    if (sl_ga_prev_grow(a, maxg))
        return sl_ga_oom(a, ctx, err);
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
            bool seen = g < nprev0;
            bool same = seen;
            uint64_t nw[64];
            uint8_t nn[64];
            for (uint32_t c = 0; c < a->naggs; c++) {
                uint64_t v;
                uint8_t isn;
                v = sl_ga_word(nb, a->nkeys + c, i, &isn);
                if (a->outcols[c].str) { /* strings compare by content: by their ids */
                    v = sl_hashagg_str_id(a->state, g, c);
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
            if (same)
                continue; /* Flink: "new row is same with prev row, no need to output" */
            if (o && seen) {
                rc = sl_ga_put_row(a, o, j, nb, i, true, g);
                kind[j++] = SL_ROW_UPDATE_BEFORE;
            }
            if (o && !rc) {
                rc = sl_ga_put_row(a, o, j, nb, i, false, g);
                kind[j++] = seen ? SL_ROW_UPDATE_AFTER : SL_ROW_INSERT;
            }
            for (uint32_t c = 0; c < a->naggs; c++) {
                size_t k = (size_t)g * a->naggs + c;
                if (c < 64) {
                    a->prev[k] = nw[c];
                    a->prev_null[k] = nn[c];
                } else {
                    a->prev[k] = sl_ga_word(nb, a->nkeys + c, i, &a->prev_null[k]);
                    if (a->outcols[c].str) {
                        a->prev[k] = sl_hashagg_str_id(a->state, g, c);
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
                       ? sl_ga_err(ctx, a->op.plan->pos, err, rc,
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
    int rc = sl_hashagg_new(NULL, &a->spec, &a->state, err);
    if (rc)
        return sl_ga_err(ctx, a->op.plan->pos, err, rc, "group aggregation: %s",
                         err ? err->msg : sl_strerror(rc));
    return 0;
}

/* Merges a sender's mini-batch into the state and emits the groups it touched. */
static int sl_ga_merge(struct sl_op_groupagg *a, struct sl_worker_ctx *ctx,
                       const struct sl_hashagg *p, struct sl_error *err)
{
    int rc = sl_ga_new_state(a, ctx, err);
    if (rc)
        return rc;
    uint32_t np = sl_hashagg_groups(p);
    if (np > a->capgmap) {
        uint32_t *g = sl_mem_alloc(a->heap, (size_t)np * sizeof(*g));
        if (!g)
            return sl_ga_oom(a, ctx, err);
        sl_mem_free(a->gmap);
        a->gmap = g;
        a->capgmap = np;
    }
    if ((rc = sl_hashagg_merge_map(a->state, p, a->gmap, err)) != 0)
        return sl_ga_err(ctx, a->op.plan->pos, err, rc, "group aggregation: %s",
                         err ? err->msg : sl_strerror(rc));
    return sl_ga_emit(a, ctx, a->gmap, np, false, err);
}

static int sl_ga_receive(struct sl_op *op, struct sl_worker_ctx *ctx, int from, struct sl_msg msg,
                         struct sl_error *err)
{
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    switch ((sl_msg_kind)msg.kind) {
    case SL_MSG_DATA: {
        struct sl_groupagg_partial *p = msg.ptr;
        int rc = sl_ga_merge(a, ctx, p->ha, err);
        if (a->spare && a->nspare < (uint32_t)a->nworkers) {
            sl_hashagg_clear(p->ha); /* from any worker: partials live on the process heap */
            a->spare[a->nspare++] = p;
        } else {
            sl_ga_partial_free(p);
        }
        return rc;
    }
    case SL_MSG_WATERMARK: {
        if (from < 0 || from >= a->nworkers)
            return sl_ga_err(ctx, op->plan->pos, err, SL_EINVAL,
                             "group aggregation: watermark from worker %d of %d", from,
                             a->nworkers);
        if (msg.num > a->sender_wm[from])
            a->sender_wm[from] = msg.num;
        int64_t m = INT64_MAX;
        for (int i = 0; i < a->nworkers; i++)
            if (a->sender_wm[i] < m)
                m = a->sender_wm[i];
        if (m <= a->wm2)
            return 0;
        a->wm2 = m;
        int rc = sl_op_watermark_next(op, ctx, m, err);
        if (!rc && m == INT64_MAX && a->input_done && !a->finished) {
            a->finished = true;
            rc = sl_op_finish_next(op, ctx, err);
        }
        return rc;
    }
    default:
        return 0;
    }
}

static int sl_ga_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    for (int o = 0; o < a->nworkers; o++)
        if (a->part[o])
            return sl_ga_err(ctx, op->plan->pos, err, SL_ESTATE,
                             "group aggregation: finish with rows not sent to their owners "
                             "(the input's INT64_MAX watermark must come first)");
    a->input_done = true;
    if (a->wm2 != INT64_MAX || a->finished)
        return 0;
    a->finished = true;
    return sl_op_finish_next(op, ctx, err);
}

/* ---- checkpoints --------------------------------------------------------------------------- */

static int sl_ga_save(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                      struct sl_error *err)
{
    (void)ctx;
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    sl_sbuf_put_u32(out, SL_GA_MAGIC);
    sl_sbuf_put_u32(out, (uint32_t)a->nworkers);
    sl_sbuf_put_i64(out, a->wm1);
    sl_sbuf_put_i64(out, a->wm1_sent);
    for (int o = 0; o < a->nworkers; o++) {
        sl_sbuf_put_u8(out, a->part[o] != NULL);
        int rc = a->part[o] ? sl_hashagg_save(a->part[o]->ha, out, err) : 0;
        if (rc)
            return rc;
    }
    sl_sbuf_put_i64(out, a->wm2);
    sl_sbuf_put_u8(out, a->input_done);
    sl_sbuf_put_u8(out, a->finished);
    for (int i = 0; i < a->nworkers; i++)
        sl_sbuf_put_i64(out, a->sender_wm[i]);
    sl_sbuf_put_u8(out, a->state != NULL);
    int rc = a->state ? sl_hashagg_save(a->state, out, err) : 0;
    if (rc)
        return rc;
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

static int sl_ga_restore(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         struct sl_error *err)
{
    struct sl_op_groupagg *a = (struct sl_op_groupagg *)op;
    bool ran = a->state || a->wm1 != INT64_MIN || a->wm2 != INT64_MIN || a->input_done;
    for (int o = 0; o < a->nworkers; o++)
        ran |= a->part[o] != NULL;
    if (ran)
        return sl_ga_err(ctx, op->plan->pos, err, SL_ESTATE,
                         "group aggregation: restore into an operator that has run");
    uint32_t magic, nw;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic != SL_GA_MAGIC)
        return sl_sread_fail(in, err, "group aggregation: not a group aggregation's state");
    if ((rc = sl_sread_u32(in, &nw, err)) != 0)
        return rc;
    if (nw != (uint32_t)a->nworkers)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: group aggregation state of %u workers, this job runs %d", in->what,
                            nw, a->nworkers);
    if ((rc = sl_sread_i64(in, &a->wm1, err)) != 0 ||
        (rc = sl_sread_i64(in, &a->wm1_sent, err)) != 0)
        return rc;
    for (int o = 0; o < a->nworkers; o++) {
        bool present = false;
        struct sl_hashagg *ha;
        if ((rc = sl_ga_get_flag(in, &present, err)) != 0)
            return rc;
        if (present && ((rc = sl_ga_partial(a, ctx, o, &ha, err)) != 0 ||
                        (rc = sl_hashagg_load(ha, in, err)) != 0))
            return rc;
    }
    if ((rc = sl_sread_i64(in, &a->wm2, err)) != 0 ||
        (rc = sl_ga_get_flag(in, &a->input_done, err)) != 0 ||
        (rc = sl_ga_get_flag(in, &a->finished, err)) != 0)
        return rc;
    for (int i = 0; i < a->nworkers; i++)
        if ((rc = sl_sread_i64(in, &a->sender_wm[i], err)) != 0)
            return rc;
    bool present = false;
    if ((rc = sl_ga_get_flag(in, &present, err)) != 0)
        return rc;
    if (!present)
        return 0;
    if ((rc = sl_ga_new_state(a, ctx, err)) != 0 || (rc = sl_hashagg_load(a->state, in, err)) != 0)
        return rc;
    /* every group was emitted with its current results before the cut: rebuild prev */
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
    sl_mem_free(a->sender_wm);
    sl_mem_free(a);
}

static const struct sl_op_ops sl_ga_ops = {
    .name = "group-aggregate",
    .push = sl_ga_push,
    .watermark = sl_ga_watermark,
    .receive = sl_ga_receive,
    .finish = sl_ga_finish,
    .free = sl_ga_free,
    .save = sl_ga_save,
    .restore = sl_ga_restore,
};

/* The mini-batch settings of the job (Flink's keys). */
static int sl_ga_settings(struct sl_op_groupagg *a, const struct sl_job *job,
                          struct sl_worker_ctx *ctx, struct sl_error *err)
{
    a->mb_rows = SL_GA_DEFAULT_SIZE;
    a->mb_ns = (int64_t)SL_GA_DEFAULT_LATENCY_MS * 1000000;
    if (!job)
        return 0;
    const char *en = sl_job_setting(job, "table.exec.mini-batch.enabled");
    if (en && strcasecmp(en, "false") == 0)
        a->per_batch = true;
    else if (en && strcasecmp(en, "true") != 0)
        return sl_ga_err(ctx, a->op.plan->pos, err, SL_EINVAL,
                         "SET 'table.exec.mini-batch.enabled' = '%s': not 'true' or 'false'", en);
    const char *lat = sl_job_setting(job, "table.exec.mini-batch.allow-latency");
    if (lat) {
        int64_t ms = sl_setting_duration_ms(lat);
        if (ms < 0)
            return sl_ga_err(ctx, a->op.plan->pos, err, SL_EINVAL,
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
            return sl_ga_err(ctx, a->op.plan->pos, err, SL_EINVAL,
                             "SET 'table.exec.mini-batch.size' = '%s': not a positive number "
                             "of rows",
                             size);
        a->mb_rows = (uint64_t)v;
    }
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
    if (a->nkeys == 0)
        return sl_ga_err(ctx, node->pos, err, SL_ENOTSUP,
                         "an aggregation without GROUP BY keys over a stream is not supported "
                         "yet");
    struct sl_error e;
    int rc = sl_aggout_check(node, &a->nhidden, &e);
    if (rc)
        return sl_ga_err(ctx, node->pos, err, rc, "%s", e.msg);
    uint32_t nha = a->naggs + a->nhidden;
    a->key_cols = sl_mem_alloc(h, (a->nkeys + 1) * sizeof(*a->key_cols));
    a->key_types = sl_mem_alloc(h, (a->nkeys + 1) * sizeof(*a->key_types));
    a->ha_aggs = sl_mem_zalloc(h, (nha + 1) * sizeof(*a->ha_aggs));
    a->outcols = sl_mem_zalloc(h, (a->naggs + 1) * sizeof(*a->outcols));
    if (!a->key_cols || !a->key_types || !a->ha_aggs || !a->outcols)
        return sl_ga_oom(a, ctx, err);
    for (uint32_t k = 0; k < a->nkeys; k++) {
        int c = node->agg.keys[k];
        if (c < 0 || (uint32_t)c >= in->ncols)
            return sl_ga_err(ctx, node->pos, err, SL_EINVAL, "key %u: input column %d out of range",
                             k, c);
        a->key_cols[k] = (uint32_t)c;
        a->key_types[k] = in->cols[c].type;
    }
    if ((rc = sl_aggout_map(node, a->nkeys, a->ha_aggs, a->outcols, &e)) != 0)
        return sl_ga_err(ctx, node->pos, err, rc, "%s", e.msg);
    a->spec = (struct sl_hashagg_spec){a->nkeys, a->key_cols, a->key_types, nha, a->ha_aggs};
    /* validates the spec */
    struct sl_hashagg *ha;
    rc = sl_hashagg_new(h, &a->spec, &ha, err);
    if (rc)
        return sl_ga_err(ctx, node->pos, err, rc, "group aggregation: %s",
                         err ? err->msg : sl_strerror(rc));
    struct sl_type types[SL_HASHAGG_MAX_K + 64];
    uint32_t nout = sl_hashagg_out_ncols(ha);
    if (nout <= sizeof(types) / sizeof(types[0]))
        sl_hashagg_out_types(ha, types);
    sl_hashagg_free(ha);
    if (nout > sizeof(types) / sizeof(types[0]))
        return sl_ga_err(ctx, node->pos, err, SL_ENOTSUP,
                         "group aggregation: too many aggregates (%u)", nout);
    a->out_schema = sl_aggout_schema(h, node->out.ncols, &node->out, NULL);
    a->out_pool = a->out_schema ? sl_batch_pool_new(h, a->out_schema, 4) : NULL;
    if (!a->out_pool)
        return sl_ga_oom(a, ctx, err);
    if (a->nhidden) {
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
    a->wm1 = a->wm1_sent = a->wm2 = INT64_MIN;
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
    a->sender_wm = sl_mem_alloc(a->heap, (size_t)a->nworkers * sizeof(*a->sender_wm));
    a->part = sl_mem_zalloc(a->heap, (size_t)a->nworkers * sizeof(*a->part));
    a->spare = sl_mem_zalloc(a->heap, (size_t)a->nworkers * sizeof(*a->spare));
    if (!a->hashes || !a->i64buf || !a->bucket || !a->sorted || !a->counts || !a->sender_wm ||
        !a->part) {
        rc = sl_ga_oom(a, ctx, err);
        goto out_free;
    }
    for (int i = 0; i < a->nworkers; i++)
        a->sender_wm[i] = INT64_MIN;
    *out = &a->op;
    return 0;
out_free:
    sl_ga_free(&a->op);
    return rc;
}
