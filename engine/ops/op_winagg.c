/*
 * engine/ops/op_winagg.c - two-phase window aggregation (see engine/ops/op_winagg.h for the design
 * and the semantics).
 *
 * STATE
 *   phase 1: `open`, the windows this worker has rows for and has not sent yet, sorted by
 *            (end, start); each holds one partial per owner worker (NULL until a row for
 *            that owner comes). Few windows are open at a time (a tumbling window or two,
 *            size / slide hopping windows, plus the out-of-orderness), so the array is kept
 *            sorted by insertion and searched by bisection.
 *   phase 2: `fin`, the final tables of the windows not emitted yet, sorted likewise, and
 *            the last watermark of every sender. Emitted tables are cleared and kept (at
 *            most SL_WA_SPARES) for the next windows, so that a steady stream of windows
 *            does not reallocate.
 *   window slicing (agg.slice): `open` and `fin` hold slices and late parts in place of
 *            windows (op_winagg.h, WINDOW SLICING); the windows exist only while emitted.
 *
 * CHECKPOINT STATE (ops->save / ops->restore, little-endian, engine/core/state.h): taken at a
 * consistent cut, so no partial is in flight; partials still in `open` are saved per owner.
 *
 *   bytes      field
 *   4          magic 0x31415753 ("SWA1", format 1)
 *   4          nworkers (restore refuses another count: SL_ECORRUPT naming both)
 *   8, 8       wm1, wm1_sent
 *   4          nopen, then per open window in (end, start) order (strictly increasing):
 *     8, 8       start, end
 *     per owner 0 .. nworkers-1: 1 byte present (0/1), then if 1 a hashagg state
 *   8          wm2
 *   1, 1       input_done, finished (0/1)
 *   8 x nw     sender_wm[]
 *   4          nfin, then per final window in (end, start) order: 8, 8 start, end; hashagg
 *              state
 * A hashagg state is sl_hashagg_save's (engine/ops/hashagg.c). fired_ns (a latency measurement
 * of this process) is not saved: restored windows report no window delay.
 *
 * Format 2 (window slicing, agg.slice): magic 0x32415753 ("SWA2"), nworkers, then
 *   1, 8, 8, 8  window kind (sl_window_kind), size, slide (step), offset - restore refuses
 *               other values (SL_ECORRUPT)
 * and the rest as format 1 with slices and late parts (start, end) in place of windows: start
 * on the slide grid, end a slide multiple after it, not after the slice's last window end.
 * A format-1 state does not restore into a slicing operator, nor format 2 into one that keeps
 * a table per window: SL_ECORRUPT naming both formats (the job starts over with --restart; the
 * checkpoint layout, engine/exec/coordinator.c, has refused such a plan change already).
 *
 * A batch in phase 1: one pass gives every position its window (a small list of the
 * batch's distinct windows, searched linearly from the last hit: rows of one batch mostly
 * share a window; a batch spread over many windows costs O(rows * windows)) and its owner
 * (the hash kernels over the non-window keys), and drops late rows. When everything falls
 * into one (window, owner) the batch updates its partial as it is; otherwise a counting
 * sort by (window, owner) lays the rows out as runs and each run updates its partial
 * through a selection that temporarily replaces the batch's.
 */
#include "engine/ops/op_winagg.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/ops/aggout.h"
#include "engine/ops/exchange.h"
#include "engine/ops/winassign.h"

#define SL_WA_SPARES 2

struct sl_wa_open { /* a phase-1 window */
    int64_t start, end;
    struct sl_winagg_partial **parts; /* nworkers entries */
};

struct sl_wa_fin { /* a phase-2 window */
    int64_t start, end;
    struct sl_hashagg *ha;
    uint64_t fired_ns; /* the earliest sender's fire time (for ctx->on_window) */
};

struct sl_op_winagg {
    struct sl_op op;
    struct sl_heap *heap;
    int nworkers;
    uint32_t nkeys, naggs, nhidden;
    uint32_t kws, kwe; /* key index (= input column) of window_start, window_end */
    uint32_t nroute;   /* routing key columns */
    uint32_t *route;   /* their input columns */
    struct sl_hashagg_spec spec;
    uint32_t *key_cols;
    struct sl_type *key_types;
    struct sl_hashagg_agg *ha_aggs;
    struct sl_aggout_col *outcols;
    /* phase 1 */
    struct sl_xchg x; /* the exchange's watermarks (phase 1: wm1, wm1_sent; phase 2: the rest) */
    struct sl_wa_open *open;
    uint32_t nopen, capopen;
    /* phase-1 scratch, SL_BATCH_CAP entries each */
    uint64_t *hashes;
    int64_t *i64buf;
    uint32_t *bucket;
    sl_sel_t *sorted;
    int64_t *lw_start, *lw_end;
    uint32_t *counts;
    uint32_t capcounts;
    /* phase 2 */
    struct sl_wa_fin *fin;
    uint32_t nfin, capfin;
    struct sl_hashagg *spare[SL_WA_SPARES];
    uint32_t nspare;
    struct sl_schema *out_schema, *ha_schema;
    struct sl_batch_pool *out_pool, *ha_pool; /* ha_pool: only with AVG of DECIMAL */
    /* WINDOW SLICING (agg.slice; the window slicing block below): `open` and `fin` hold
     * slices, not windows */
    bool sliced;
    bool slice_to0;           /* no keys besides the window: every slice goes to owner 0 */
    struct sl_winassign sa;   /* HOP or CUMULATE (engine/ops/winassign.h): the slice size is
                               * its slide (HOP) or step (CUMULATE) */
    uint32_t kiws, kiwe;      /* key (= output column) indexes of window_start, window_end */
    struct sl_column zcol;    /* NOT NULL TIMESTAMP of SL_BATCH_CAP zeros: the window keys */
    int64_t stamp_s, stamp_e; /* sl_wa_emit: the window that the emitted groups belong to */
    /* SESSION (agg.session; the session block below) */
    bool session;
    bool sess_route;                      /* keys besides the window: route by them, else to 0 */
    uint32_t iws, iwe;                    /* key indexes of window_start, window_end */
    struct sl_winagg_partial **sess_part; /* phase 1: per owner, the rows since the last send */
    struct sl_hashagg *sess_raw;          /* phase 2: the rows' own windows (some fired) */
    struct sl_winsess *sess_set;          /* phase 2: the sessions of sess_raw's groups */
};

/* ---- helpers ------------------------------------------------------------------------------- */

static inline int sl_wa_cmp(int64_t s1, int64_t e1, int64_t s2, int64_t e2)
{
    if (e1 != e2)
        return e1 < e2 ? -1 : 1;
    return s1 < s2 ? -1 : s1 > s2;
}

static int sl_wa_new_table(struct sl_op_winagg *a, struct sl_worker_ctx *ctx,
                           struct sl_hashagg **out, struct sl_error *err)
{
    if (a->nspare) {
        *out = a->spare[--a->nspare];
        return 0;
    }
    /* tables travel between workers (and are reused by their receivers): they allocate from
     * whichever thread grows them (NULL heap = that thread's default mimalloc heap), never
     * from one worker's heap, which only its own thread may allocate from */
    int rc = sl_hashagg_new(NULL, &a->spec, out, err);
    if (rc)
        return sl_op_error(ctx, a->op.plan->pos, err, rc, "window aggregation: %s",
                           err ? err->msg : sl_strerror(rc));
    return 0;
}

static void sl_wa_drop_table(struct sl_op_winagg *a, struct sl_hashagg *ha)
{
    if (a->nspare < SL_WA_SPARES) {
        sl_hashagg_clear(ha);
        a->spare[a->nspare++] = ha;
    } else {
        sl_hashagg_free(ha);
    }
}

static void sl_wa_partial_free(struct sl_winagg_partial *p)
{
    if (!p)
        return;
    sl_hashagg_free(p->ha);
    sl_mem_free(p);
}

static void sl_wa_partial_free_payload(void *p)
{
    sl_wa_partial_free(p);
}

static uint64_t sl_wa_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- window slicing: assignment ------------------------------------------------------------ */

/* A row of slice [start, end), which wm1 has fired: how many of its windows wm1 has fired
 * (each a late (row, window) pair, as the Window operator's copies counted them) into
 * *nlate; true when that is all of them (the row is dropped). */
static bool sl_wa_slice_late(const struct sl_op_winagg *a, int64_t start, int64_t end,
                             uint64_t *nlate)
{
    uint64_t slide = (uint64_t)a->sa.slide;
    uint64_t nw = ((uint64_t)sl_winassign_slice_last(&a->sa, start) - (uint64_t)end) / slide + 1;
    uint64_t fired = nw;
    if (a->x.wm1 != INT64_MAX) {
        fired = ((uint64_t)a->x.wm1 + 1 - (uint64_t)end) / slide + 1; /* end - 1 <= wm1 */
        if (fired > nw)
            fired = nw;
    }
    *nlate = fired;
    return fired == nw;
}

/* sl_hashagg_update of `b`; sliced, with the window keys (the rowtime) replaced by zeros for
 * the call: a slice's groups have window keys 0, which the emission overwrites. */
static int sl_wa_update(struct sl_op_winagg *a, struct sl_hashagg *ha, struct sl_batch *b,
                        struct sl_error *err)
{
    if (!a->sliced)
        return sl_hashagg_update(ha, b, err);
    struct sl_column cs = b->cols[a->kws], ce = b->cols[a->kwe];
    b->cols[a->kws] = a->zcol;
    b->cols[a->kwe] = a->zcol;
    int rc = sl_hashagg_update(ha, b, err);
    b->cols[a->kws] = cs;
    b->cols[a->kwe] = ce;
    return rc;
}

/* ---- phase 1 ------------------------------------------------------------------------------- */

/* Index of window (start, end) in `open`, inserted if absent; -1 when out of memory. */
static int64_t sl_wa_open_find(struct sl_op_winagg *a, int64_t start, int64_t end)
{
    uint32_t lo = 0, hi = a->nopen;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        int c = sl_wa_cmp(a->open[mid].start, a->open[mid].end, start, end);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    struct sl_winagg_partial **parts = sl_mem_zalloc(a->heap, (size_t)a->nworkers * sizeof(*parts));
    if (!parts || sl_mem_grow(a->heap, (void **)&a->open, &a->capopen, a->nopen, a->nopen + 1,
                              sizeof(*a->open))) {
        sl_mem_free(parts);
        return -1;
    }
    memmove(a->open + lo + 1, a->open + lo, (a->nopen - lo) * sizeof(*a->open));
    a->open[lo] = (struct sl_wa_open){start, end, parts};
    a->nopen++;
    return lo;
}

/* A new, empty partial of (start, end); it travels to another worker, so it and its table
 * come from the process heap (see sl_wa_new_table). */
static int sl_wa_partial_new(struct sl_op_winagg *a, struct sl_worker_ctx *ctx, int64_t start,
                             int64_t end, struct sl_winagg_partial **out, struct sl_error *err)
{
    struct sl_winagg_partial *p = sl_mem_zalloc(NULL, sizeof(*p));
    if (!p)
        return sl_op_error(ctx, a->op.plan->pos, err, SL_ENOMEM,
                           "window aggregation: out of memory");
    p->hdr.free_fn = sl_wa_partial_free_payload;
    int rc = sl_hashagg_new(NULL, &a->spec, &p->ha, err);
    if (rc) {
        sl_mem_free(p);
        return sl_op_error(ctx, a->op.plan->pos, err, rc, "window aggregation: %s",
                           err ? err->msg : sl_strerror(rc));
    }
    p->start = start;
    p->end = end;
    *out = p;
    return 0;
}

/* The partial of (start, end) for `owner`, created if absent. */
static int sl_wa_partial(struct sl_op_winagg *a, struct sl_worker_ctx *ctx, int64_t start,
                         int64_t end, int owner, struct sl_hashagg **out, struct sl_error *err)
{
    int64_t w = sl_wa_open_find(a, start, end);
    if (w < 0)
        return sl_op_error(ctx, a->op.plan->pos, err, SL_ENOMEM,
                           "window aggregation: out of memory");
    struct sl_winagg_partial **pp = &a->open[w].parts[owner];
    if (!*pp) {
        int rc = sl_wa_partial_new(a, ctx, start, end, pp, err);
        if (rc)
            return rc;
    }
    *out = (*pp)->ha;
    return 0;
}

static int sl_wa_check(struct sl_op_winagg *a, struct sl_worker_ctx *ctx, const struct sl_batch *b,
                       struct sl_error *err)
{
    uint32_t need = a->nkeys;
    for (uint32_t i = 0; i < a->spec.naggs; i++) {
        if (a->ha_aggs[i].func != SL_AGG_COUNT_STAR && a->ha_aggs[i].col + 1 > need)
            need = a->ha_aggs[i].col + 1;
        if (a->ha_aggs[i].filter > need)
            need = a->ha_aggs[i].filter;
    }
    if (b->ncols < need || b->cols[a->kws].type.id != SL_TYPE_TIMESTAMP ||
        b->cols[a->kwe].type.id != SL_TYPE_TIMESTAMP ||
        (!a->sliced && (b->cols[a->kws].valid || b->cols[a->kwe].valid)))
        return sl_op_error(ctx, a->op.plan->pos, err, SL_EINVAL,
                           "window aggregation: input batch does not have the keys and inputs "
                           "of the plan (%u columns, window_start / window_end NOT NULL "
                           "TIMESTAMP)",
                           need);
    return 0;
}

static int sl_wa_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                      struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    uint32_t n = sl_batch_active(b);
    sl_sel_t *bsel = b->sel;
    uint32_t bnsel = b->nsel;
    int rc = 0;
    if (n == 0)
        goto out_put;
    if ((rc = sl_wa_check(a, ctx, b, err)) != 0)
        goto out_put;
    const int64_t *ws = sl_col_i64(&b->cols[a->kws]);
    const int64_t *we = sl_col_i64(&b->cols[a->kwe]);
    const uint32_t N = (uint32_t)a->nworkers;
    const uint64_t *tvalid = b->cols[a->kws].valid; /* sliced: the rowtime's */
    if (N > 1 && !a->slice_to0)
        sl_aggout_route_hash(a->route, a->nroute, b, n, a->hashes, a->i64buf);
    /* window (sliced: slice) and owner of every position */
    uint32_t nlw = 0, last = 0, drop = 0;
    uint64_t late = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = bsel ? bsel[i] : i;
        int64_t s, e;
        if (a->sliced) {
            if (tvalid && !sl_valid_get(tvalid, r)) { /* no window: dropped, not late */
                a->bucket[i] = UINT32_MAX;
                drop++;
                continue;
            }
            s = sl_winassign_slice(&a->sa, ws[r]);
            e = (int64_t)((uint64_t)s + (uint64_t)a->sa.slide);
            uint64_t nl = 0;
            if (sl_winassign_fired(e, a->x.wm1)) {
                bool all = sl_wa_slice_late(a, s, e, &nl);
                late += nl;
                if (all) {
                    a->bucket[i] = UINT32_MAX;
                    drop++;
                    continue;
                }
                /* the rest of its windows: the late part (s, first unfired window end) */
                e = (int64_t)((uint64_t)e + nl * (uint64_t)a->sa.slide);
            }
        } else {
            s = ws[r];
            e = we[r];
            if (sl_winassign_fired(e, a->x.wm1)) {
                a->bucket[i] = UINT32_MAX;
                drop++;
                late++;
                continue;
            }
        }
        if (nlw == 0 || a->lw_start[last] != s || a->lw_end[last] != e) {
            uint32_t j = 0;
            while (j < nlw && (a->lw_start[j] != s || a->lw_end[j] != e))
                j++;
            if (j == nlw) {
                a->lw_start[nlw] = s;
                a->lw_end[nlw] = e;
                nlw++;
            }
            last = j;
        }
        a->bucket[i] =
            last * N + (N > 1 && !a->slice_to0 ? sl_kg_route(a->hashes[i], ctx->kg_max, N) : 0);
    }
    sl_stats_add(&ctx->stats->late_rows, late);
    if (nlw == 0)
        goto out_put;
    struct sl_hashagg *ha;
    if (drop == 0 && nlw == 1 && (N == 1 || a->slice_to0)) {
        /* one window, one owner: the batch as it is */
        if ((rc = sl_wa_partial(a, ctx, a->lw_start[0], a->lw_end[0], 0, &ha, err)) != 0 ||
            (rc = sl_wa_update(a, ha, b, err)) != 0)
            goto out_put;
        goto out_put;
    }
    uint32_t nb = nlw * N;
    if ((rc = sl_mem_grow(a->heap, (void **)&a->counts, &a->capcounts, 0, nb + 1,
                          sizeof(*a->counts))) != 0) {
        rc = sl_op_error(ctx, op->plan->pos, err, SL_ENOMEM, "window aggregation: out of memory");
        goto out_put;
    }
    memset(a->counts, 0, (nb + 1) * sizeof(*a->counts));
    for (uint32_t i = 0; i < n; i++)
        if (a->bucket[i] != UINT32_MAX)
            a->counts[a->bucket[i] + 1]++;
    for (uint32_t k = 0; k < nb; k++)
        a->counts[k + 1] += a->counts[k];
    /* counts[k] is now the start of run k; placing advances it to the start of run k + 1 */
    for (uint32_t i = 0; i < n; i++)
        if (a->bucket[i] != UINT32_MAX)
            a->sorted[a->counts[a->bucket[i]]++] = bsel ? bsel[i] : i;
    uint32_t begin = 0;
    for (uint32_t k = 0; k < nb; k++) {
        uint32_t end = a->counts[k];
        if (end == begin)
            continue;
        uint32_t w = k / N;
        if ((rc = sl_wa_partial(a, ctx, a->lw_start[w], a->lw_end[w], (int)(k % N), &ha, err)) != 0)
            goto out_put;
        b->sel = a->sorted + begin;
        b->nsel = end - begin;
        rc = sl_wa_update(a, ha, b, err);
        b->sel = bsel;
        b->nsel = bnsel;
        if (rc)
            goto out_put;
        begin = end;
    }
out_put:
    b->sel = bsel;
    b->nsel = bnsel;
    sl_batch_pool_put(b);
    return rc;
}

/* Phase 1: sends the partials of every open window that wm1 has fired to their owners, then
 * wm1 to every owner. Not while a checkpoint aligns (ctx->aligning: a cascaded window
 * aggregation gets its watermark from the window aggregation below while that one serves
 * received messages): a send then would cross the owner's barrier, so the windows stay open
 * (saved with the state as they are) and go at the next call after the alignment
 * (ops->resumed, or any watermark). */
static int sl_wa_send_fired(struct sl_op_winagg *a, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_op *op = &a->op;
    if (ctx->aligning)
        return 0;
    uint32_t nf = 0;
    while (nf < a->nopen && sl_winassign_fired(a->open[nf].end, a->x.wm1))
        nf++;
    int rc = 0;
    uint32_t done = 0;
    uint64_t fired_ns = nf && ctx->on_window ? sl_wa_now_ns() : 0;
    for (; done < nf; done++) {
        struct sl_wa_open *w = &a->open[done];
        for (int o = 0; o < a->nworkers; o++) {
            if (!w->parts[o])
                continue;
            w->parts[o]->fired_ns = fired_ns;
            struct sl_msg m = {.kind = SL_MSG_DATA, .aux = op->tag, .ptr = w->parts[o]};
            if ((rc = sl_op_send(ctx, op, o, m, err)) != 0)
                goto out;
            w->parts[o] = NULL;
        }
        sl_mem_free(w->parts);
    }
    rc = sl_xchg_send_wm(&a->x, op, ctx, err);
out:
    /* windows fully sent leave `open` (a window whose send failed stays, its partials
     * still owned here and freed with the operator) */
    if (done)
        memmove(a->open, a->open + done, (a->nopen - done) * sizeof(*a->open));
    a->nopen -= done;
    return rc;
}

static int sl_wa_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                           struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    sl_xchg_wm_in(&a->x, wm);
    return sl_wa_send_fired(a, ctx, err);
}

/* A checkpoint's alignment ended (or the job was restored): what it held back goes now. */
static int sl_wa_resumed(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_wa_send_fired((struct sl_op_winagg *)op, ctx, err);
}

/* ---- phase 2 ------------------------------------------------------------------------------- */

/* Fills `o` (node's out rel) from scratch `s` (the hashagg's out columns), n rows. */
static int sl_wa_convert(struct sl_op_winagg *a, struct sl_worker_ctx *ctx, struct sl_batch *s,
                         struct sl_batch *o, uint32_t n, struct sl_error *err)
{
    struct sl_error e;
    int rc = sl_aggout_convert(a->outcols, a->nkeys, a->naggs, s, o, n, "window aggregation", &e);
    return rc ? sl_op_error(ctx, a->op.plan->pos, err, rc, "%s", e.msg) : 0;
}

/* Emits the groups of `ha` downstream. */
static int sl_wa_emit(struct sl_op_winagg *a, struct sl_worker_ctx *ctx, struct sl_hashagg *ha,
                      struct sl_error *err)
{
    uint32_t cursor = 0;
    for (;;) {
        struct sl_batch *o = sl_batch_pool_get(a->out_pool);
        struct sl_batch *s = a->ha_pool ? sl_batch_pool_get(a->ha_pool) : NULL;
        if (!o || (a->ha_pool && !s)) {
            if (o)
                sl_batch_pool_put(o);
            if (s)
                sl_batch_pool_put(s);
            return sl_op_error(ctx, a->op.plan->pos, err, SL_ENOMEM,
                               "window aggregation: out of memory");
        }
        int n = sl_hashagg_emit(ha, &cursor, s ? s : o, err);
        int rc = n < 0 ? n : 0;
        if (n < 0)
            rc = sl_op_error(ctx, a->op.plan->pos, err, n, "window aggregation: %s",
                             err ? err->msg : sl_strerror(n));
        else if (n > 0 && s)
            rc = sl_wa_convert(a, ctx, s, o, (uint32_t)n, err);
        if (s)
            sl_batch_pool_put(s);
        if (n <= 0 || rc) {
            sl_batch_pool_put(o);
            return rc;
        }
        if (a->sliced) { /* the slices' window keys are 0: the window's own */
            int64_t *ws = sl_col_i64(&o->cols[a->kiws]), *we = sl_col_i64(&o->cols[a->kiwe]);
            for (int i = 0; i < n; i++) {
                ws[i] = a->stamp_s;
                we[i] = a->stamp_e;
            }
        }
        if ((rc = sl_op_push_next(&a->op, ctx, o, err)) != 0)
            return rc;
    }
}

/* Emits and retires every final window that `wm` fires, in order. */
static int sl_wa_emit_fired(struct sl_op_winagg *a, struct sl_worker_ctx *ctx, int64_t wm,
                            struct sl_error *err)
{
    uint32_t done = 0;
    int rc = 0;
    while (done < a->nfin && sl_winassign_fired(a->fin[done].end, wm)) {
        struct sl_wa_fin *f = &a->fin[done];
        uint64_t rows = sl_hashagg_groups(f->ha);
        rc = sl_wa_emit(a, ctx, f->ha, err);
        if (!rc && ctx->on_window && f->fired_ns)
            ctx->on_window(ctx->on_window_arg, ctx->worker, f->fired_ns, rows);
        sl_wa_drop_table(a, f->ha);
        done++;
        if (rc)
            break;
    }
    if (done)
        memmove(a->fin, a->fin + done, (a->nfin - done) * sizeof(*a->fin));
    a->nfin -= done;
    return rc;
}

/* The phase-2 table of window [start, end): *at is its index in `fin`, made (empty, with
 * fired_ns) when there was none. */
static int sl_wa_fin_at(struct sl_op_winagg *a, struct sl_worker_ctx *ctx, int64_t start,
                        int64_t end, uint64_t fired_ns, uint32_t *at, struct sl_error *err)
{
    uint32_t lo = 0, hi = a->nfin;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (sl_wa_cmp(a->fin[mid].start, a->fin[mid].end, start, end) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == a->nfin || a->fin[lo].start != start || a->fin[lo].end != end) {
        struct sl_hashagg *ha;
        int rc = sl_mem_grow(a->heap, (void **)&a->fin, &a->capfin, a->nfin, a->nfin + 1,
                             sizeof(*a->fin));
        if (rc)
            return sl_op_error(ctx, a->op.plan->pos, err, rc, "window aggregation: out of memory");
        if ((rc = sl_wa_new_table(a, ctx, &ha, err)) != 0)
            return rc;
        memmove(a->fin + lo + 1, a->fin + lo, (a->nfin - lo) * sizeof(*a->fin));
        a->fin[lo] = (struct sl_wa_fin){start, end, ha, fired_ns};
        a->nfin++;
    }
    *at = lo;
    return 0;
}

static int sl_wa_merge(struct sl_op_winagg *a, struct sl_worker_ctx *ctx,
                       struct sl_winagg_partial *p, struct sl_error *err)
{
    int rc = 0;
    /* sliced: a slice may come after its end (the late rows of its later windows), never
     * after its last window */
    if (sl_winassign_fired(a->sliced ? sl_winassign_slice_last(&a->sa, p->start) : p->end,
                           a->x.wm2)) {
        rc = sl_op_error(ctx, a->op.plan->pos, err, SL_ESTATE,
                         "window aggregation: a partial of %s [%lld, %lld) came after the "
                         "watermark %lld that fired it",
                         a->sliced ? "slice" : "window", (long long)p->start, (long long)p->end,
                         (long long)a->x.wm2);
        goto out;
    }
    uint32_t lo = 0;
    if ((rc = sl_wa_fin_at(a, ctx, p->start, p->end, p->fired_ns, &lo, err)) != 0)
        goto out;
    if (p->fired_ns && (!a->fin[lo].fired_ns || p->fired_ns < a->fin[lo].fired_ns))
        a->fin[lo].fired_ns = p->fired_ns;
    rc = sl_hashagg_merge(a->fin[lo].ha, p->ha, err);
    if (rc)
        rc = sl_op_error(ctx, a->op.plan->pos, err, rc, "window aggregation: %s",
                         err ? err->msg : sl_strerror(rc));
out:
    sl_wa_partial_free(p);
    return rc;
}

/* ---- window slicing: windows from slices --------------------------------------------------- */

/*
 * The watermark went from `before` to `wm`: every window it fires (end - 1 <= wm, not fired by
 * `before`) that holds a slice is emitted, in order of end: its slices' tables merged into a
 * spare one (a window of one slice emits that slice's table itself); a slice is released once
 * its last window has fired. The windows' ends lie on the slices' grid (slide / step apart,
 * aligned to the offset), so the next window is the later of the first slice's end and the
 * window after the last one handled (at first the first window `before` did not fire).
 */
static int sl_wa_slice_fire(struct sl_op_winagg *a, struct sl_worker_ctx *ctx, int64_t before,
                            int64_t wm, struct sl_error *err)
{
    if (before == INT64_MAX)
        return 0;
    const uint64_t slide = (uint64_t)a->sa.slide;
    int64_t next = INT64_MIN; /* the first window end that `before` has not fired */
    if (before != INT64_MIN) {
        uint64_t g = (uint64_t)sl_winassign_slice(&a->sa, before + 1) + slide;
        next = (int64_t)g <= before ? INT64_MAX : (int64_t)g; /* past INT64_MAX: none */
    }
    int rc = 0;
    while (a->nfin && !rc) {
        int64_t e = a->fin[0].end > next ? a->fin[0].end : next;
        if (!sl_winassign_fired(e, wm))
            break;
        int64_t s = sl_winassign_start_of(&a->sa, e);
        uint32_t first = UINT32_MAX, k = 0, cnt = 0;
        for (; k < a->nfin && a->fin[k].end <= e; k++)
            if (sl_winassign_slice_last(&a->sa, a->fin[k].start) >= e) {
                first = first == UINT32_MAX ? k : first;
                cnt++;
            }
        if (cnt) {
            struct sl_hashagg *ha = a->fin[first].ha, *tmp = NULL;
            if (cnt > 1) {
                if ((rc = sl_wa_new_table(a, ctx, &tmp, err)) != 0)
                    break;
                for (uint32_t j = first; j < k && !rc; j++)
                    if (sl_winassign_slice_last(&a->sa, a->fin[j].start) >= e &&
                        (rc = sl_hashagg_merge(tmp, a->fin[j].ha, err)) != 0)
                        rc = sl_op_error(ctx, a->op.plan->pos, err, rc, "window aggregation: %s",
                                         err ? err->msg : sl_strerror(rc));
                ha = tmp;
            }
            uint64_t rows = sl_hashagg_groups(ha);
            a->stamp_s = s;
            a->stamp_e = e;
            if (!rc)
                rc = sl_wa_emit(a, ctx, ha, err);
            uint64_t fired_ns = a->fin[k - 1].end == e ? a->fin[k - 1].fired_ns : 0;
            if (!rc && ctx->on_window && fired_ns)
                ctx->on_window(ctx->on_window_arg, ctx->worker, fired_ns, rows);
            if (tmp)
                sl_wa_drop_table(a, tmp);
        }
        uint32_t keep = 0; /* late parts make the last windows unordered: a pass over all */
        for (uint32_t j = 0; j < a->nfin; j++) {
            if (sl_winassign_slice_last(&a->sa, a->fin[j].start) <= e)
                sl_wa_drop_table(a, a->fin[j].ha);
            else
                a->fin[keep++] = a->fin[j];
        }
        a->nfin = keep;
        if (e > INT64_MAX - (int64_t)slide)
            break; /* the last window end there is */
        next = e + (int64_t)slide;
    }
    return rc;
}

static int sl_wa_receive(struct sl_op *op, struct sl_worker_ctx *ctx, int from, struct sl_msg msg,
                         struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    switch ((sl_msg_kind)msg.kind) {
    case SL_MSG_DATA:
        return sl_wa_merge(a, ctx, msg.ptr, err);
    case SL_MSG_WATERMARK: {
        int64_t before = 0;
        int rc = sl_xchg_recv_wm(&a->x, op, ctx, from, msg.num, &before, "window aggregation", err);
        if (rc != 1)
            return rc;
        int64_t m = a->x.wm2;
        rc =
            a->sliced ? sl_wa_slice_fire(a, ctx, before, m, err) : sl_wa_emit_fired(a, ctx, m, err);
        /* then wm2 goes downstream, and the end when every sender and this worker's input have
         * ended (the last windows went out above) */
        return rc ? rc : sl_xchg_pass(&a->x, op, ctx, err);
    }
    default:
        return 0; /* barriers are aligned by the executor; END carries nothing here */
    }
}

static int sl_wa_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    /* while a checkpoint aligns, the windows the INT64_MAX watermark fired wait for
     * sl_wa_resumed; this worker's own INT64_MAX watermark goes with them, so the output does
     * not end before */
    if (a->nopen && !ctx->aligning)
        return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                           "window aggregation: finish with %u windows not sent to their owners "
                           "(the input's INT64_MAX watermark must come first)",
                           a->nopen);
    /* The output ends only when every sender has sent its INT64_MAX watermark (receive()
     * then emits the rest and finishes downstream); until then partials may still come. */
    if (!sl_xchg_input_end(&a->x))
        return 0;
    /* sliced: receive() has fired every window with INT64_MAX already */
    int rc = a->sliced ? 0 : sl_wa_emit_fired(a, ctx, INT64_MAX, err);
    if (rc)
        return rc;
    return sl_op_finish_next(op, ctx, err);
}

/* ---- checkpoints --------------------------------------------------------------------------- */

#define SL_WA_MAGIC 0x31415753u  /* "SWA1" little-endian: format version 1 */
#define SL_WA_MAGIC2 0x32415753u /* "SWA2": format version 2, window slicing */

static int sl_wa_save(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                      struct sl_error *err)
{
    (void)ctx;
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    sl_sbuf_put_u32(out, a->sliced ? SL_WA_MAGIC2 : SL_WA_MAGIC);
    sl_sbuf_put_u32(out, (uint32_t)a->nworkers);
    if (a->sliced) {
        sl_sbuf_put_u8(out, (uint8_t)a->sa.kind);
        sl_sbuf_put_i64(out, a->sa.size);
        sl_sbuf_put_i64(out, a->sa.slide);
        sl_sbuf_put_i64(out, a->sa.offset);
    }
    /* phase 1 */
    sl_xchg_save_sent(&a->x, out);
    sl_sbuf_put_u32(out, a->nopen);
    for (uint32_t w = 0; w < a->nopen; w++) {
        sl_sbuf_put_i64(out, a->open[w].start);
        sl_sbuf_put_i64(out, a->open[w].end);
        for (int o = 0; o < a->nworkers; o++) {
            const struct sl_winagg_partial *p = a->open[w].parts[o];
            sl_sbuf_put_u8(out, p != NULL);
            if (p) {
                int rc = sl_hashagg_save(p->ha, out, err);
                if (rc)
                    return rc;
            }
        }
    }
    /* phase 2 */
    sl_xchg_save_recv(&a->x, out);
    sl_sbuf_put_u32(out, a->nfin);
    for (uint32_t w = 0; w < a->nfin; w++) {
        sl_sbuf_put_i64(out, a->fin[w].start);
        sl_sbuf_put_i64(out, a->fin[w].end);
        int rc = sl_hashagg_save(a->fin[w].ha, out, err);
        if (rc)
            return rc;
    }
    return sl_sbuf_check(out, err);
}

/* A flag byte: 0 or 1. */
static int sl_wa_get_flag(struct sl_sread *in, bool *v, struct sl_error *err)
{
    uint8_t b = 0;
    int rc = sl_sread_u8(in, &b, err);
    if (rc)
        return rc;
    if (b > 1)
        return sl_sread_fail(in, err, "window aggregation: a flag byte that is neither 0 nor 1");
    *v = b != 0;
    return 0;
}

/* Reads (start, end) that must come strictly after (*ps, *pe) in (end, start) order (sliced:
 * a slice of the operator's window). */
static int sl_wa_get_window(const struct sl_op_winagg *a, struct sl_sread *in, bool first,
                            int64_t *ps, int64_t *pe, struct sl_error *err)
{
    int64_t s = 0, e = 0;
    int rc = sl_sread_i64(in, &s, err);
    if (!rc)
        rc = sl_sread_i64(in, &e, err);
    if (rc)
        return rc;
    if (!first && sl_wa_cmp(*ps, *pe, s, e) >= 0)
        return sl_sread_fail(in, err, "window aggregation: windows out of order");
    if (a->sliced && (sl_winassign_slice(&a->sa, s) != s || e <= s ||
                      ((uint64_t)e - (uint64_t)s) % (uint64_t)a->sa.slide != 0 ||
                      e > sl_winassign_slice_last(&a->sa, s)))
        return sl_sread_fail(in, err, "window aggregation: a slice of another window");
    *ps = s;
    *pe = e;
    return 0;
}

/* The head of a saved state: the format (it must be this operator's), the worker count
 * into *nw, and a sliced operator's window. */
static int sl_wa_head(struct sl_op_winagg *a, struct sl_sread *in, uint32_t *nw,
                      struct sl_error *err)
{
    uint32_t magic;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic == (a->sliced ? SL_WA_MAGIC : SL_WA_MAGIC2))
        return sl_error_set(
            err, SL_ECORRUPT,
            "%s: a window aggregation state of format %d (%s), and this job's "
            "window aggregation %s; it cannot be restored - start the job "
            "over (--restart)",
            in->what, a->sliced ? 1 : 2, a->sliced ? "a table per window" : "a table per slice",
            a->sliced ? "slices its windows (format 2)" : "keeps a table per window (format 1)");
    if (magic != (a->sliced ? SL_WA_MAGIC2 : SL_WA_MAGIC))
        return sl_sread_fail(in, err, "window aggregation: not a window aggregation's state");
    if ((rc = sl_sread_u32(in, nw, err)) != 0)
        return rc;
    if (a->sliced) {
        uint8_t kind = 0;
        int64_t size = 0, slide = 0, offset = 0;
        if ((rc = sl_sread_u8(in, &kind, err)) != 0 || (rc = sl_sread_i64(in, &size, err)) != 0 ||
            (rc = sl_sread_i64(in, &slide, err)) != 0 || (rc = sl_sread_i64(in, &offset, err)) != 0)
            return rc;
        if (kind != (uint8_t)a->sa.kind || size != a->sa.size || slide != a->sa.slide ||
            offset != a->sa.offset)
            return sl_sread_fail(in, err, "window aggregation: the slices of another window");
    }
    return 0;
}

static int sl_wa_restore(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    if (a->nopen || a->nfin || a->x.wm1 != INT64_MIN || a->x.wm2 != INT64_MIN || a->x.input_done)
        return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                           "window aggregation: restore into an operator that has run");
    uint32_t nw;
    int rc = sl_wa_head(a, in, &nw, err);
    if (rc)
        return rc;
    if (nw != (uint32_t)a->nworkers)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: window aggregation state of %u workers, this job runs %d",
                            in->what, nw, a->nworkers);
    if ((rc = sl_xchg_load_sent(&a->x, in, err)) != 0)
        return rc;
    uint32_t nopen;
    /* a window takes 16 bytes and a flag per worker at least */
    if ((rc = sl_sread_count(in, &nopen, 16 + (size_t)a->nworkers, err)) != 0)
        return rc;
    if (nopen && sl_mem_grow(a->heap, (void **)&a->open, &a->capopen, 0, nopen, sizeof(*a->open)))
        return sl_op_error(ctx, op->plan->pos, err, SL_ENOMEM, "window aggregation: out of memory");
    int64_t ps = 0, pe = 0;
    for (uint32_t w = 0; w < nopen; w++) {
        if ((rc = sl_wa_get_window(a, in, w == 0, &ps, &pe, err)) != 0)
            return rc;
        struct sl_winagg_partial **parts =
            sl_mem_zalloc(a->heap, (size_t)a->nworkers * sizeof(*parts));
        if (!parts)
            return sl_op_error(ctx, op->plan->pos, err, SL_ENOMEM,
                               "window aggregation: out of memory");
        /* in `open` from here on: freed with the operator whatever follows */
        a->open[a->nopen++] = (struct sl_wa_open){ps, pe, parts};
        for (int o = 0; o < a->nworkers; o++) {
            bool present = false;
            if ((rc = sl_wa_get_flag(in, &present, err)) != 0)
                return rc;
            if (!present)
                continue;
            struct sl_hashagg *ha;
            if ((rc = sl_wa_partial(a, ctx, ps, pe, o, &ha, err)) != 0)
                return rc;
            if ((rc = sl_hashagg_load(ha, in, err)) != 0)
                return rc;
        }
    }
    if ((rc = sl_xchg_load_recv(&a->x, in, "window aggregation", err)) != 0)
        return rc;
    uint32_t nfin;
    if ((rc = sl_sread_count(in, &nfin, 16, err)) != 0)
        return rc;
    if (nfin && sl_mem_grow(a->heap, (void **)&a->fin, &a->capfin, 0, nfin, sizeof(*a->fin)))
        return sl_op_error(ctx, op->plan->pos, err, SL_ENOMEM, "window aggregation: out of memory");
    for (uint32_t w = 0; w < nfin; w++) {
        if ((rc = sl_wa_get_window(a, in, w == 0, &ps, &pe, err)) != 0)
            return rc;
        struct sl_hashagg *ha;
        if ((rc = sl_wa_new_table(a, ctx, &ha, err)) != 0)
            return rc;
        /* fired_ns is a latency measurement of this process: 0 after a restore */
        a->fin[a->nfin++] = (struct sl_wa_fin){ps, pe, ha, 0};
        if ((rc = sl_hashagg_load(ha, in, err)) != 0)
            return rc;
    }
    return 0;
}

/* ---- rescaling (engine/core/keygroup.h) ---------------------------------------------------- */

/* Reads one saved table into `tmp` (cleared first) and merges the groups this worker owns
 * into *dst, got from `at` (called only when there is such a group). */
static int sl_wa_take(struct sl_op_winagg *a, struct sl_worker_ctx *ctx, struct sl_aggout_rs *rs,
                      struct sl_sread *in, struct sl_hashagg *tmp, bool phase1, int64_t s,
                      int64_t e, struct sl_error *err)
{
    sl_hashagg_clear(tmp);
    int rc = sl_hashagg_load(tmp, in, err);
    if (!rc && (rc = sl_aggout_rs_mine(rs, tmp, ctx->worker, ctx->nworkers, ctx->kg_max,
                                       a->slice_to0, a->hashes, a->i64buf, err)) != 0)
        return sl_op_error(ctx, a->op.plan->pos, err, rc, "window aggregation: %s",
                           err ? err->msg : sl_strerror(rc));
    uint32_t n = rs->n;
    if (rc || n == 0)
        return rc;
    struct sl_hashagg *dst;
    if (phase1) {
        rc = sl_wa_partial(a, ctx, s, e, ctx->worker, &dst, err);
    } else {
        uint32_t at = 0;
        rc = sl_wa_fin_at(a, ctx, s, e, 0, &at, err);
        dst = rc ? NULL : a->fin[at].ha;
    }
    if (!rc && (rc = sl_hashagg_merge_sel(dst, tmp, rs->gids, n, err)) != 0)
        rc = sl_op_error(ctx, a->op.plan->pos, err, rc, "window aggregation: %s",
                         err ? err->msg : sl_strerror(rc));
    return rc;
}

/* One old worker's state (nold workers): its windows' groups of this worker's key groups
 * into this operator, its watermarks into *wm1 / *wm2 (the lowest so far). */
static int sl_wa_rescale_one(struct sl_op_winagg *a, struct sl_worker_ctx *ctx,
                             struct sl_aggout_rs *rs, struct sl_hashagg *tmp, struct sl_sread *in,
                             uint32_t nold, int64_t *wm1, int64_t *wm2, struct sl_error *err)
{
    uint32_t nw;
    int rc = sl_wa_head(a, in, &nw, err);
    if (rc)
        return rc;
    if (nw != nold)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: window aggregation state of %u workers, the checkpoint's %u",
                            in->what, nw, nold);
    struct sl_xchg x;
    if (sl_xchg_init(&x, a->heap, (int)nold))
        return sl_op_error(ctx, a->op.plan->pos, err, SL_ENOMEM,
                           "window aggregation: out of memory");
    uint32_t nopen = 0, nfin = 0;
    int64_t ps = 0, pe = 0;
    if ((rc = sl_xchg_load_sent(&x, in, err)) != 0 ||
        (rc = sl_sread_count(in, &nopen, 16 + (size_t)nold, err)) != 0)
        goto out;
    for (uint32_t w = 0; w < nopen && !rc; w++) {
        if ((rc = sl_wa_get_window(a, in, w == 0, &ps, &pe, err)) != 0)
            break;
        for (uint32_t o = 0; o < nold && !rc; o++) {
            bool present = false;
            if ((rc = sl_wa_get_flag(in, &present, err)) == 0 && present)
                rc = sl_wa_take(a, ctx, rs, in, tmp, true, ps, pe, err);
        }
    }
    if (rc || (rc = sl_xchg_load_recv(&x, in, "window aggregation", err)) != 0 ||
        (rc = sl_sread_count(in, &nfin, 16, err)) != 0)
        goto out;
    for (uint32_t w = 0; w < nfin && !rc; w++)
        if ((rc = sl_wa_get_window(a, in, w == 0, &ps, &pe, err)) == 0)
            rc = sl_wa_take(a, ctx, rs, in, tmp, false, ps, pe, err);
    if (x.wm1 < *wm1)
        *wm1 = x.wm1;
    if (x.wm2 < *wm2)
        *wm2 = x.wm2;
out:
    sl_xchg_free(&x);
    return rc;
}

/*
 * Restore at another worker count: from every old worker's state, the groups of the key
 * groups this worker owns now - of its open windows (phase 1: rows any old worker had
 * pre-aggregated, merged into this worker's own partial, which it sends to itself when the
 * window fires) and of its final tables (phase 2). Every watermark restarts at the lowest of
 * the old workers' (Flink restarts event time from nothing after a rescale; the lowest is
 * what every old worker had passed): phase 1 at the lowest wm1, phase 2 and what it assumes
 * of every sender at the lowest wm2. The flags of an ended input start anew: the sources
 * say again where their splits end.
 */
static int sl_wa_rescale(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         uint32_t nold, struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    if (a->nopen || a->nfin || a->x.wm1 != INT64_MIN || a->x.wm2 != INT64_MIN || a->x.input_done)
        return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                           "window aggregation: restore into an operator that has run");
    struct sl_aggout_rs rs = {0};
    struct sl_hashagg *tmp = NULL;
    int rc = sl_hashagg_new(a->heap, &a->spec, &tmp, err);
    if (rc)
        return sl_op_error(ctx, op->plan->pos, err, rc, "window aggregation: %s",
                           err ? err->msg : sl_strerror(rc));
    uint32_t rk[SL_HASHAGG_MAX_K];
    for (uint32_t r = 0; r < a->nroute; r++) { /* a routing column is a key's input column */
        uint32_t k = 0;
        while (k < a->nkeys && a->key_cols[k] != a->route[r])
            k++;
        rk[r] = k;
    }
    if ((rc = sl_aggout_rs_init(&rs, a->heap, tmp, rk, a->nroute, err)) != 0) {
        rc = sl_op_error(ctx, op->plan->pos, err, rc, "window aggregation: %s",
                         err ? err->msg : sl_strerror(rc));
        goto out;
    }
    int64_t wm1 = INT64_MAX, wm2 = INT64_MAX;
    for (uint32_t j = 0; j < nold && !rc; j++)
        rc = sl_wa_rescale_one(a, ctx, &rs, tmp, &in[j], nold, &wm1, &wm2, err);
    if (rc)
        goto out;
    sl_xchg_rescaled(&a->x, wm1, wm2);
out:
    sl_aggout_rs_free(&rs);
    sl_hashagg_free(tmp);
    return rc;
}

/* ---- SESSION windows ----------------------------------------------------------------------- */
/*
 * agg.session: the Window operator gave every row its own window [ts, ts + gap); windows of one
 * key (the keys besides window_start / window_end) that intersect merge into a session, as
 * Flink's MergingWindowSet merges TimeWindows (TimeWindow.intersects: start <= other.end and
 * end >= other.start, so windows that touch merge too). A session [start, end) fires when the
 * watermark reaches end - 1, as every window does here.
 *
 * Phase 1: per owner one partial keyed by (keys, the row's own window): what this worker saw
 * since the last watermark. Every advance of the watermark sends the partials (whatever their
 * windows; a session is only known at its owner), then the watermark. A row whose own window
 * the watermark has fired is late: dropped and counted (ctx->stats->late_rows), decided by
 * this worker's watermark as for the other windows (Flink, which decides on the merged
 * window at the key's operator, keeps such a row when it bridges into a live session).
 *
 * Phase 2: the owner merges partials into `sess_raw` (keys, own window -> states), and the
 * groups that a merge adds (the next group ids) into `sess_set` (engine/ops/winsess.h), which
 * keeps them merged into sessions per key as they arrive and the sessions in a heap by end.
 * When the minimum watermark advances, the set hands out the groups of the sessions it fires
 * (nothing to do when none fires); they are merged into a table keyed by (keys, session
 * start, session end) (sl_hashagg_merge_groups) that is emitted, and stay in sess_raw as dead
 * groups. Once the dead outnumber the live (and are at least SL_WA_SESS_COMPACT), the live
 * groups are copied into a new sess_raw with a new set built from it; when none is live,
 * sess_raw is simply dropped. A late bridging row (its window intersects two sessions not
 * fired yet) merges them, as in Flink. An advance costs O(f log s) for f groups fired among s
 * pending sessions, plus the amortized copy; a partial O(its groups).
 *
 * CHECKPOINT STATE (ops->save / ops->restore, little-endian), format 1, unchanged by the
 * session set (which is rebuilt from sess_raw on restore; save first compacts, so sess_raw
 * holds no fired group):
 *
 *   bytes      field
 *   4          magic 0x31535753 ("SWS1", format 1)
 *   4          nworkers (restore refuses another count: SL_ECORRUPT naming both)
 *   8, 8       wm1, wm1_sent
 *   per owner 0 .. nworkers-1: 1 byte present (0/1), then if 1 the partial's hashagg state
 *   8          wm2
 *   1, 1       input_done, finished (0/1)
 *   8 x nw     sender_wm[]
 *   1          sess_raw present (0/1), then if 1 its hashagg state: the groups (keys, own
 *              window) of the sessions not fired
 */

#include "engine/ops/winsess.h" /* this block's session set */

#define SL_WA_SESS_COMPACT 1024 /* dead groups worth a compaction */

static int sl_wa_sess_partial(struct sl_op_winagg *a, struct sl_worker_ctx *ctx, int owner,
                              struct sl_hashagg **out, struct sl_error *err)
{
    struct sl_winagg_partial **pp = &a->sess_part[owner];
    if (!*pp) {
        int rc = sl_wa_partial_new(a, ctx, 0, 0, pp, err);
        if (rc)
            return rc;
    }
    *out = (*pp)->ha;
    return 0;
}

static int sl_wa_sess_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                           struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    uint32_t n = sl_batch_active(b);
    sl_sel_t *bsel = b->sel;
    uint32_t bnsel = b->nsel;
    int rc = 0;
    if (n == 0)
        goto out_put;
    if ((rc = sl_wa_check(a, ctx, b, err)) != 0)
        goto out_put;
    const int64_t *we = sl_col_i64(&b->cols[a->kwe]);
    const uint32_t N = a->sess_route ? (uint32_t)a->nworkers : 1;
    if (N > 1)
        sl_aggout_route_hash(a->route, a->nroute, b, n, a->hashes, a->i64buf);
    uint32_t late = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = bsel ? bsel[i] : i;
        if (sl_winassign_fired(we[r], a->x.wm1)) {
            a->bucket[i] = UINT32_MAX;
            late++;
            continue;
        }
        a->bucket[i] = N > 1 ? sl_kg_route(a->hashes[i], ctx->kg_max, N) : 0;
    }
    sl_stats_add(&ctx->stats->late_rows, late);
    if (late == n)
        goto out_put;
    struct sl_hashagg *ha;
    if (late == 0 && N == 1) {
        if ((rc = sl_wa_sess_partial(a, ctx, 0, &ha, err)) == 0)
            rc = sl_hashagg_update(ha, b, err);
        goto out_put;
    }
    if ((rc = sl_mem_grow(a->heap, (void **)&a->counts, &a->capcounts, 0, N + 1,
                          sizeof(*a->counts))) != 0) {
        rc = sl_op_error(ctx, op->plan->pos, err, SL_ENOMEM, "window aggregation: out of memory");
        goto out_put;
    }
    memset(a->counts, 0, (N + 1) * sizeof(*a->counts));
    for (uint32_t i = 0; i < n; i++)
        if (a->bucket[i] != UINT32_MAX)
            a->counts[a->bucket[i] + 1]++;
    for (uint32_t k = 0; k < N; k++)
        a->counts[k + 1] += a->counts[k];
    for (uint32_t i = 0; i < n; i++)
        if (a->bucket[i] != UINT32_MAX)
            a->sorted[a->counts[a->bucket[i]]++] = bsel ? bsel[i] : i;
    uint32_t begin = 0;
    for (uint32_t k = 0; k < N; k++) {
        uint32_t end = a->counts[k];
        if (end == begin)
            continue;
        if ((rc = sl_wa_sess_partial(a, ctx, (int)k, &ha, err)) != 0)
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
out_put:
    b->sel = bsel;
    b->nsel = bnsel;
    sl_batch_pool_put(b);
    return rc;
}

static int sl_wa_sess_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                                struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    sl_xchg_wm_in(&a->x, wm);
    if (a->x.wm1 <= a->x.wm1_sent)
        return 0;
    for (int o = 0; o < a->nworkers; o++) {
        if (!a->sess_part[o])
            continue;
        struct sl_msg m = {.kind = SL_MSG_DATA, .aux = op->tag, .ptr = a->sess_part[o]};
        int rc = sl_op_send(ctx, op, o, m, err);
        if (rc)
            return rc; /* unsent partials stay here, freed with the operator */
        a->sess_part[o] = NULL;
    }
    return sl_xchg_send_wm(&a->x, op, ctx, err);
}

/* Copies the live groups of sess_raw into a new table with a new session set (none live:
 * sess_raw is dropped). On failure nothing has changed. */
static int sl_wa_sess_compact(struct sl_op_winagg *a, struct sl_worker_ctx *ctx,
                              struct sl_error *err)
{
    struct sl_hashagg *ha = a->sess_raw, *keep = NULL;
    struct sl_winsess *set = NULL;
    if (!ha)
        return 0;
    uint32_t n = 0;
    const uint32_t *gids;
    const int64_t *s, *e;
    int rc = sl_winsess_list_live(a->sess_set, ha, &n, &gids, &s, &e, err);
    if (!rc && n && (rc = sl_wa_new_table(a, ctx, &keep, err)) != 0)
        return rc;   /* its message is set */
    if (!rc && keep) /* the live groups keep their own windows */
        rc = sl_hashagg_merge_groups(keep, ha, gids, n, a->iws, s, a->iwe, e, err);
    if (!rc && keep && (rc = sl_winsess_new(a->heap, a->iws, a->iwe, &set, err)) == 0)
        rc = sl_winsess_add(set, keep, err);
    if (rc) {
        sl_winsess_free(set);
        sl_hashagg_free(keep);
        return sl_op_error(ctx, a->op.plan->pos, err, rc, "window aggregation: %s",
                           err ? err->msg : sl_strerror(rc));
    }
    if (set) {
        sl_winsess_free(a->sess_set);
        a->sess_set = set;
    } else {
        sl_winsess_reset(a->sess_set);
    }
    sl_wa_drop_table(a, ha);
    a->sess_raw = keep;
    return 0;
}

/* Emits every session that `wm` fires; the rest stays pending. */
static int sl_wa_sess_fire(struct sl_op_winagg *a, struct sl_worker_ctx *ctx, int64_t wm,
                           struct sl_error *err)
{
    struct sl_hashagg *ha = a->sess_raw;
    if (!ha)
        return 0;
    uint32_t nfire = 0;
    const uint32_t *gids;
    const int64_t *s, *e;
    int rc = sl_winsess_fire(a->sess_set, wm, &nfire, &gids, &s, &e, err);
    if (rc)
        return sl_op_error(ctx, a->op.plan->pos, err, rc, "window aggregation: %s",
                           err ? err->msg : sl_strerror(rc));
    if (nfire == 0)
        return 0;
    struct sl_hashagg *out = NULL;
    rc = sl_wa_new_table(a, ctx, &out, err);
    if (!rc && (rc = sl_hashagg_merge_groups(out, ha, gids, nfire, a->iws, s, a->iwe, e, err)) != 0)
        rc = sl_op_error(ctx, a->op.plan->pos, err, rc, "window aggregation: %s",
                         err ? err->msg : sl_strerror(rc));
    if (!rc) {
        uint32_t live = sl_winsess_live(a->sess_set);
        uint32_t dead = sl_winsess_groups(a->sess_set) - live;
        if (live == 0 || (dead > live && dead >= SL_WA_SESS_COMPACT))
            rc = sl_wa_sess_compact(a, ctx, err);
    }
    if (!rc)
        rc = sl_wa_emit(a, ctx, out, err);
    if (out)
        sl_wa_drop_table(a, out);
    return rc;
}

static int sl_wa_sess_receive(struct sl_op *op, struct sl_worker_ctx *ctx, int from,
                              struct sl_msg msg, struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    switch ((sl_msg_kind)msg.kind) {
    case SL_MSG_DATA: {
        struct sl_winagg_partial *p = msg.ptr;
        int rc = a->sess_raw ? 0 : sl_wa_new_table(a, ctx, &a->sess_raw, err);
        if (!rc && ((rc = sl_hashagg_merge(a->sess_raw, p->ha, err)) != 0 ||
                    (rc = sl_winsess_add(a->sess_set, a->sess_raw, err)) != 0))
            rc = sl_op_error(ctx, op->plan->pos, err, rc, "window aggregation: %s",
                             err ? err->msg : sl_strerror(rc));
        sl_wa_partial_free(p);
        return rc;
    }
    case SL_MSG_WATERMARK: {
        int64_t before = 0;
        int rc = sl_xchg_recv_wm(&a->x, op, ctx, from, msg.num, &before, "window aggregation", err);
        if (rc != 1)
            return rc;
        rc = sl_wa_sess_fire(a, ctx, a->x.wm2, err);
        return rc ? rc : sl_xchg_pass(&a->x, op, ctx, err);
    }
    default:
        return 0;
    }
}

static int sl_wa_sess_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    for (int o = 0; o < a->nworkers; o++)
        if (a->sess_part[o])
            return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                               "window aggregation: finish with rows not sent to their owners "
                               "(the input's INT64_MAX watermark must come first)");
    if (!sl_xchg_input_end(&a->x))
        return 0;
    int rc = sl_wa_sess_fire(a, ctx, INT64_MAX, err);
    if (rc)
        return rc;
    return sl_op_finish_next(op, ctx, err);
}

#define SL_WA_SESS_MAGIC 0x31535753u /* "SWS1" little-endian: format version 1 */

static int sl_wa_sess_save(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                           struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    /* fired groups are not state: a compaction leaves sess_raw with the live ones only */
    if (a->sess_raw && sl_winsess_live(a->sess_set) < sl_winsess_groups(a->sess_set)) {
        int rc = sl_wa_sess_compact(a, ctx, err);
        if (rc)
            return rc;
    }
    sl_sbuf_put_u32(out, SL_WA_SESS_MAGIC);
    sl_sbuf_put_u32(out, (uint32_t)a->nworkers);
    sl_xchg_save_sent(&a->x, out);
    for (int o = 0; o < a->nworkers; o++) {
        sl_sbuf_put_u8(out, a->sess_part[o] != NULL);
        int rc = a->sess_part[o] ? sl_hashagg_save(a->sess_part[o]->ha, out, err) : 0;
        if (rc)
            return rc;
    }
    sl_xchg_save_recv(&a->x, out);
    sl_sbuf_put_u8(out, a->sess_raw != NULL);
    int rc = a->sess_raw ? sl_hashagg_save(a->sess_raw, out, err) : 0;
    if (rc)
        return rc;
    return sl_sbuf_check(out, err);
}

static int sl_wa_sess_restore(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                              struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    if (a->sess_raw || a->x.wm1 != INT64_MIN || a->x.wm2 != INT64_MIN || a->x.input_done)
        return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                           "window aggregation: restore into an operator that has run");
    for (int o = 0; o < a->nworkers; o++)
        if (a->sess_part[o])
            return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                               "window aggregation: restore into an operator that has run");
    uint32_t magic, nw;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic != SL_WA_SESS_MAGIC)
        return sl_sread_fail(in, err,
                             "window aggregation: not a session window aggregation's "
                             "state");
    if ((rc = sl_sread_u32(in, &nw, err)) != 0)
        return rc;
    if (nw != (uint32_t)a->nworkers)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: window aggregation state of %u workers, this job runs %d",
                            in->what, nw, a->nworkers);
    if ((rc = sl_xchg_load_sent(&a->x, in, err)) != 0)
        return rc;
    for (int o = 0; o < a->nworkers; o++) {
        bool present = false;
        struct sl_hashagg *ha;
        if ((rc = sl_wa_get_flag(in, &present, err)) != 0)
            return rc;
        if (present && ((rc = sl_wa_sess_partial(a, ctx, o, &ha, err)) != 0 ||
                        (rc = sl_hashagg_load(ha, in, err)) != 0))
            return rc;
    }
    if ((rc = sl_xchg_load_recv(&a->x, in, "window aggregation", err)) != 0)
        return rc;
    bool present = false;
    if ((rc = sl_wa_get_flag(in, &present, err)) != 0)
        return rc;
    if (present && ((rc = sl_wa_new_table(a, ctx, &a->sess_raw, err)) != 0 ||
                    (rc = sl_hashagg_load(a->sess_raw, in, err)) != 0))
        return rc;
    if (a->sess_raw && (rc = sl_winsess_add(a->sess_set, a->sess_raw, err)) != 0)
        return rc;
    return 0;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

static void sl_wa_free(struct sl_op *op)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    if (!a)
        return;
    for (uint32_t w = 0; w < a->nopen; w++) {
        for (int o = 0; o < a->nworkers; o++)
            sl_wa_partial_free(a->open[w].parts[o]);
        sl_mem_free(a->open[w].parts);
    }
    for (uint32_t w = 0; w < a->nfin; w++)
        sl_hashagg_free(a->fin[w].ha);
    for (uint32_t i = 0; i < a->nspare; i++)
        sl_hashagg_free(a->spare[i]);
    if (a->out_pool)
        sl_batch_pool_free(a->out_pool);
    if (a->ha_pool)
        sl_batch_pool_free(a->ha_pool);
    sl_schema_free(a->out_schema);
    sl_schema_free(a->ha_schema);
    sl_mem_free(a->open);
    sl_mem_free(a->fin);
    sl_mem_free(a->route);
    sl_mem_free(a->key_cols);
    sl_mem_free(a->key_types);
    sl_mem_free(a->ha_aggs);
    sl_mem_free(a->outcols);
    sl_mem_free(a->hashes);
    sl_mem_free(a->i64buf);
    sl_mem_free(a->bucket);
    sl_mem_free(a->sorted);
    sl_mem_free(a->lw_start);
    sl_mem_free(a->lw_end);
    sl_mem_free(a->counts);
    sl_xchg_free(&a->x);
    sl_mem_free(a->zcol.data);
    if (a->sess_part)
        for (int o = 0; o < a->nworkers; o++)
            sl_wa_partial_free(a->sess_part[o]);
    sl_mem_free(a->sess_part);
    sl_hashagg_free(a->sess_raw);
    sl_winsess_free(a->sess_set);
    sl_mem_free(a);
}

/* ---- the message codec (operator.h: msg_encode / msg_decode) ----------------------------------
 * A partial (windows, slices and sessions alike), format 1: 1 version (1), 8, 8 start, end,
 * 8 fired_ns (the sender's CLOCK_MONOTONIC: a latency measurement, meaningful within one
 * process only), then the table (sl_hashagg_save). */
#define SL_WA_MSG_V1 1

static int sl_wa_msg_encode(const struct sl_op *op, struct sl_msg msg, struct sl_sbuf *out,
                            struct sl_error *err)
{
    (void)op;
    const struct sl_winagg_partial *p = msg.ptr;
    sl_sbuf_put_u8(out, SL_WA_MSG_V1);
    sl_sbuf_put_i64(out, p->start);
    sl_sbuf_put_i64(out, p->end);
    sl_sbuf_put_u64(out, p->fired_ns);
    int rc = sl_hashagg_save(p->ha, out, err);
    return rc ? rc : sl_sbuf_check(out, err);
}

static int sl_wa_msg_decode(struct sl_op *op, struct sl_worker_ctx *ctx, uint32_t aux,
                            struct sl_sread *in, struct sl_msg *out, struct sl_error *err)
{
    struct sl_op_winagg *a = (struct sl_op_winagg *)op;
    uint8_t v;
    int64_t start, end;
    uint64_t fired_ns;
    int rc;
    if ((rc = sl_sread_u8(in, &v, err)) != 0 || (rc = sl_sread_i64(in, &start, err)) != 0 ||
        (rc = sl_sread_i64(in, &end, err)) != 0 || (rc = sl_sread_u64(in, &fired_ns, err)) != 0)
        return rc;
    if (v != SL_WA_MSG_V1)
        return sl_sread_fail(in, err, "window aggregation: a message of an unknown format");
    if (!a->session && start >= end)
        return sl_sread_fail(in, err, "window aggregation: a partial of an empty window");
    struct sl_winagg_partial *p;
    if ((rc = sl_wa_partial_new(a, ctx, start, end, &p, err)) != 0)
        return rc;
    p->fired_ns = fired_ns;
    if ((rc = sl_hashagg_load(p->ha, in, err)) != 0) {
        sl_wa_partial_free(p);
        return rc;
    }
    *out = (struct sl_msg){.kind = SL_MSG_DATA, .aux = aux, .ptr = p};
    return 0;
}

static const struct sl_op_ops sl_wa_ops = {
    .name = "window-aggregate",
    .push = sl_wa_push,
    .watermark = sl_wa_watermark,
    .receive = sl_wa_receive,
    .msg_encode = sl_wa_msg_encode,
    .msg_decode = sl_wa_msg_decode,
    .finish = sl_wa_finish,
    .resumed = sl_wa_resumed,
    .free = sl_wa_free,
    .save = sl_wa_save,
    .restore = sl_wa_restore,
    .rescale = sl_wa_rescale,
};

static const struct sl_op_ops sl_wa_sess_ops = {
    .name = "session-window-aggregate",
    .push = sl_wa_sess_push,
    .watermark = sl_wa_sess_watermark,
    .receive = sl_wa_sess_receive,
    .msg_encode = sl_wa_msg_encode,
    .msg_decode = sl_wa_msg_decode,
    .finish = sl_wa_sess_finish,
    .free = sl_wa_free,
    .save = sl_wa_sess_save,
    .restore = sl_wa_sess_restore,
};

/* Window slicing (agg.slice): its parameters and the zero column. */
static int sl_wa_slice_setup(struct sl_op_winagg *a, const struct sl_plan *node,
                             struct sl_worker_ctx *ctx, struct sl_error *err)
{
    const sl_window_kind kind = node->agg.slice.kind;
    if (kind == SL_WINDOW_TUMBLE)
        return 0;
    const int64_t size = node->agg.slice.size_ms, slide = node->agg.slice.slide_ms;
    a->sliced = true;
    a->kiws = (uint32_t)node->agg.window_start;
    a->kiwe = (uint32_t)node->agg.window_end;
    a->slice_to0 = a->nroute == 1 && a->route[0] == a->kws;
    if ((kind != SL_WINDOW_HOP && kind != SL_WINDOW_CUMULATE) || node->agg.session || size <= 0 ||
        slide <= 0 || size % slide != 0)
        return sl_op_error(ctx, node->pos, err, SL_EINVAL,
                           "window aggregation: slicing needs a HOP or CUMULATE window whose size "
                           "is a positive multiple of a positive slide");
    a->sa = sl_winassign_make(kind, size, slide, node->agg.slice.offset_ms);
    a->zcol.type = a->key_types[a->kiws];
    a->zcol.data = sl_mem_zalloc(a->heap, SL_BATCH_CAP * sizeof(int64_t));
    if (!a->zcol.data)
        return sl_op_error(ctx, node->pos, err, SL_ENOMEM, "window aggregation: out of memory");
    return 0;
}

/* The hashagg spec, output mapping and routing keys from the plan node. */
static int sl_wa_setup(struct sl_op_winagg *a, const struct sl_plan *node,
                       struct sl_worker_ctx *ctx, struct sl_error *err)
{
    const struct sl_rel *in = &node->input->out;
    struct sl_heap *h = a->heap;
    a->nkeys = node->agg.nkeys;
    a->naggs = node->agg.naggs;
    struct sl_error e;
    int rc = sl_aggout_check(node, &a->nhidden, &e);
    if (rc)
        return sl_op_error(ctx, node->pos, err, rc, "%s", e.msg);
    uint32_t nha = a->naggs + a->nhidden;
    a->key_cols = sl_mem_alloc(h, (a->nkeys + 1) * sizeof(*a->key_cols));
    a->key_types = sl_mem_alloc(h, (a->nkeys + 1) * sizeof(*a->key_types));
    a->route = sl_mem_alloc(h, (a->nkeys + 1) * sizeof(*a->route));
    a->ha_aggs = sl_mem_zalloc(h, (nha + 1) * sizeof(*a->ha_aggs));
    a->outcols = sl_mem_zalloc(h, (a->naggs + 1) * sizeof(*a->outcols));
    if (!a->key_cols || !a->key_types || !a->route || !a->ha_aggs || !a->outcols)
        return sl_op_error(ctx, node->pos, err, SL_ENOMEM, "window aggregation: out of memory");
    for (uint32_t k = 0; k < a->nkeys; k++) {
        int c = node->agg.keys[k];
        if (c < 0 || (uint32_t)c >= in->ncols)
            return sl_op_error(ctx, node->pos, err, SL_EINVAL,
                               "key %u: input column %d out of range", k, c);
        a->key_cols[k] = (uint32_t)c;
        a->key_types[k] = in->cols[c].type;
        if ((int)k != node->agg.window_start && (int)k != node->agg.window_end)
            a->route[a->nroute++] = (uint32_t)c;
    }
    a->kws = a->key_cols[node->agg.window_start];
    a->kwe = a->key_cols[node->agg.window_end];
    if (node->agg.slice.kind != SL_WINDOW_TUMBLE) { /* sliced: the keys are the rowtime */
        a->key_types[node->agg.window_start] = node->out.cols[node->agg.window_start].type;
        a->key_types[node->agg.window_end] = node->out.cols[node->agg.window_end].type;
    }
    if (a->nroute == 0)
        a->route[a->nroute++] = a->kws;
    if ((rc = sl_aggout_map(node, a->nkeys, a->ha_aggs, a->outcols, &e)) != 0)
        return sl_op_error(ctx, node->pos, err, rc, "%s", e.msg);
    a->spec = (struct sl_hashagg_spec){a->nkeys, a->key_cols, a->key_types, nha, a->ha_aggs};
    /* validates the spec, and is the first spare table */
    struct sl_hashagg *ha;
    rc = sl_hashagg_new(h, &a->spec, &ha, err);
    if (rc)
        return sl_op_error(ctx, node->pos, err, rc, "window aggregation: %s",
                           err ? err->msg : sl_strerror(rc));
    a->spare[a->nspare++] = ha;
    /* output batches */
    a->out_schema = sl_aggout_schema(h, node->out.ncols, &node->out, NULL);
    a->out_pool = a->out_schema ? sl_batch_pool_new(h, a->out_schema, 4) : NULL;
    if (!a->out_pool)
        return sl_op_error(ctx, node->pos, err, SL_ENOMEM, "window aggregation: out of memory");
    if (a->nhidden) {
        struct sl_type types[SL_HASHAGG_MAX_K + 64];
        uint32_t nout = sl_hashagg_out_ncols(ha);
        if (nout > sizeof(types) / sizeof(types[0]))
            return sl_op_error(ctx, node->pos, err, SL_ENOTSUP,
                               "window aggregation: too many aggregates (%u)", nout);
        sl_hashagg_out_types(ha, types);
        a->ha_schema = sl_aggout_schema(h, nout, NULL, types);
        a->ha_pool = a->ha_schema ? sl_batch_pool_new(h, a->ha_schema, 1) : NULL;
        if (!a->ha_pool)
            return sl_op_error(ctx, node->pos, err, SL_ENOMEM, "window aggregation: out of memory");
    }
    return 0;
}

int sl_op_winagg_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                     struct sl_error *err)
{
    *out = NULL;
    if (!node || node->kind != SL_PLAN_AGG || !node->input || node->agg.window_start < 0 ||
        node->agg.window_end < 0 || (uint32_t)node->agg.window_start >= node->agg.nkeys ||
        (uint32_t)node->agg.window_end >= node->agg.nkeys ||
        node->out.ncols != node->agg.nkeys + node->agg.naggs || ctx->nworkers < 1)
        return sl_error_set(err, SL_EINVAL,
                            "window aggregation: not a windowed aggregation "
                            "plan node");
    struct sl_op_winagg *a = sl_mem_zalloc(ctx->heap, sizeof(*a));
    if (!a)
        return sl_error_set(err, SL_ENOMEM, "window aggregation: out of memory");
    a->op.ops = &sl_wa_ops;
    a->op.plan = node;
    a->heap = ctx->heap;
    a->nworkers = ctx->nworkers;
    int rc = sl_wa_setup(a, node, ctx, err);
    if (rc)
        goto out_free;
    a->hashes = sl_mem_alloc(a->heap, SL_BATCH_CAP * sizeof(*a->hashes));
    a->i64buf = sl_mem_alloc(a->heap, SL_BATCH_CAP * sizeof(*a->i64buf));
    a->bucket = sl_mem_alloc(a->heap, SL_BATCH_CAP * sizeof(*a->bucket));
    a->sorted = sl_mem_alloc(a->heap, SL_BATCH_CAP * sizeof(*a->sorted));
    a->lw_start = sl_mem_alloc(a->heap, SL_BATCH_CAP * sizeof(*a->lw_start));
    a->lw_end = sl_mem_alloc(a->heap, SL_BATCH_CAP * sizeof(*a->lw_end));
    int xrc = sl_xchg_init(&a->x, a->heap, a->nworkers);
    if (!a->hashes || !a->i64buf || !a->bucket || !a->sorted || !a->lw_start || !a->lw_end || xrc) {
        rc = sl_op_error(ctx, node->pos, err, SL_ENOMEM, "window aggregation: out of memory");
        goto out_free;
    }
    if ((rc = sl_wa_slice_setup(a, node, ctx, err)) != 0)
        goto out_free;
    if (node->agg.session) {
        a->op.ops = &sl_wa_sess_ops;
        a->session = true;
        a->iws = (uint32_t)node->agg.window_start;
        a->iwe = (uint32_t)node->agg.window_end;
        a->sess_route = a->nroute > 1 || a->route[0] != a->kws;
        a->sess_part = sl_mem_zalloc(a->heap, (size_t)a->nworkers * sizeof(*a->sess_part));
        if (!a->sess_part || sl_winsess_new(a->heap, a->iws, a->iwe, &a->sess_set, NULL) != 0) {
            rc = sl_op_error(ctx, node->pos, err, SL_ENOMEM, "window aggregation: out of memory");
            goto out_free;
        }
    }
    *out = &a->op;
    return 0;
out_free:
    sl_wa_free(&a->op);
    return rc;
}
