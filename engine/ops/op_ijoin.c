/*
 * engine/ops/op_ijoin.c - the interval join of two streams (see engine/ops/op_ijoin.h for the
 * semantics and the checkpoint format, engine/ops/join_store.h for the row store).
 */
#include "engine/ops/op_ijoin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/exchange.h"
#include "engine/ops/join_route.h"

#define SL_IJ_MAGIC 0x314a4953u /* "SIJ1" little-endian: format version 1 */

struct sl_op_ijoin {
    struct sl_op op;
    struct sl_jn_right right;
    struct sl_heap *heap;
    struct sl_jn_route r;      /* input routing and the outbox */
    struct sl_jn_side side[2]; /* 0 left, 1 right */
    int tcol[2];               /* the time column of each side */
    int64_t lo, hi;            /* right time - left time in [lo, hi] */
    int64_t size[2];           /* how long past its time a row lives: hi (left), -lo (right) */
    int64_t delay;             /* of the watermark downstream: max(hi, -lo) */
    bool done[2];              /* this worker's input of the side ended */
    int64_t wm_in[2];          /* this worker's inputs' watermarks */
    struct sl_xchg x;          /* wm1_sent: sent to the owners; wm2: W, the operator time */
    /* when to compact a side (sl_ij_due) */
    int64_t tmin[2], tmax[2];  /* the stored rows' least and greatest time (NULL: INT64_MIN) */
    uint32_t since[2];         /* rows stored since the side's last compaction */
    uint32_t kept[2];          /* rows the last compaction kept */
    int64_t wlast[2], span[2]; /* W and tmax - tmin at the last compaction */
    /* scratch, SL_BATCH_CAP each */
    uint32_t *pl, *pr;
    bool *keep; /* per stored row, for compaction (grown with the larger side) */
    uint32_t capkeep;
    struct sl_schema *out_schema;
    struct sl_batch_pool *out_pool;
};

static int sl_ij_oom(const struct sl_op_ijoin *j, const struct sl_worker_ctx *ctx,
                     struct sl_error *err)
{
    return sl_op_error(ctx, j->op.plan->pos, err, SL_ENOMEM, "interval join: out of memory");
}

/* The time of stored row r of side sd, or false when it is NULL. */
static bool sl_ij_time(const struct sl_op_ijoin *j, int sd, uint32_t r, int64_t *t)
{
    const struct sl_jn_side *s = &j->side[sd];
    int c = j->tcol[sd];
    if (s->valid[c] && !sl_valid_get(s->valid[c], r))
        return false;
    memcpy(t, s->col[c] + (size_t)r * 8, 8);
    return true;
}

/* Whether a row of side sd with time t can still meet rows of the other side at W. */
static bool sl_ij_live(const struct sl_op_ijoin *j, int sd, int64_t t)
{
    int64_t w = j->x.wm2;
    if (w == INT64_MIN)
        return true;
    if (w == INT64_MAX)
        return false;
    /* W < t + size, without overflow */
    return j->size[sd] >= 0 ? w - j->size[sd] < t : w < t + j->size[sd];
}

/* ---- output ------------------------------------------------------------------------------ */

static int sl_ij_emit(struct sl_op_ijoin *j, struct sl_worker_ctx *ctx, uint32_t n,
                      struct sl_error *err)
{
    if (!n)
        return 0;
    struct sl_batch *out = sl_batch_pool_get(j->out_pool);
    if (!out)
        return sl_ij_oom(j, ctx, err);
    sl_jn_gather(&j->side[0], j->pl, n, out, 0, false);
    sl_jn_gather(&j->side[1], j->pr, n, out, j->side[0].ncols, false);
    out->rows = n;
    return sl_op_push_next(&j->op, ctx, out, err);
}

/* The rows [base, base + n) just stored on side sd meet the other side's live rows in range. */
static int sl_ij_probe(struct sl_op_ijoin *j, struct sl_worker_ctx *ctx, int sd, uint32_t base,
                       uint32_t n, struct sl_error *err)
{
    const struct sl_jn_side *s = &j->side[sd], *o = &j->side[1 - sd];
    if (!o->rows)
        return 0;
    uint32_t *mine = sd == 0 ? j->pl : j->pr, *theirs = sd == 0 ? j->pr : j->pl;
    uint32_t np = 0, mask = o->nslots - 1;
    for (uint32_t r = base; r < base + n; r++) {
        int64_t t, u;
        if (!sl_ij_time(j, sd, r, &t))
            continue; /* a NULL time meets nothing */
        /* the other side's times that qualify: [t + lo, t + hi] for a left row, [t - hi,
         * t - lo] for a right one (saturated) */
        int64_t a, b;
        if (sd == 0) {
            a = __builtin_add_overflow(t, j->lo, &a) ? (j->lo < 0 ? INT64_MIN : INT64_MAX) : a;
            b = __builtin_add_overflow(t, j->hi, &b) ? (j->hi < 0 ? INT64_MIN : INT64_MAX) : b;
        } else {
            a = __builtin_sub_overflow(t, j->hi, &a) ? (j->hi > 0 ? INT64_MIN : INT64_MAX) : a;
            b = __builtin_sub_overflow(t, j->lo, &b) ? (j->lo > 0 ? INT64_MIN : INT64_MAX) : b;
        }
        uint64_t h = s->hash[r];
        for (uint32_t q = o->head[h & mask]; q != SL_JN_NONE; q = o->next[q]) {
            if (o->hash[q] != h || !sl_ij_time(j, 1 - sd, q, &u) || u < a || u > b ||
                !sl_ij_live(j, 1 - sd, u) || !sl_jn_keys_eq(s, r, o, q))
                continue;
            mine[np] = r;
            theirs[np++] = q;
            if (np == SL_BATCH_CAP) {
                int rc = sl_ij_emit(j, ctx, np, err);
                if (rc)
                    return rc;
                np = 0;
            }
        }
    }
    return sl_ij_emit(j, ctx, np, err);
}

/* Folds the times of side sd's rows from `from` on into tmin / tmax. */
static void sl_ij_times(struct sl_op_ijoin *j, int sd, uint32_t from)
{
    for (uint32_t r = from; r < j->side[sd].rows; r++) {
        int64_t t;
        if (!sl_ij_time(j, sd, r, &t))
            t = INT64_MIN; /* never live: compacted at the next chance */
        if (t < j->tmin[sd])
            j->tmin[sd] = t;
        if (t > j->tmax[sd])
            j->tmax[sd] = t;
    }
}

/* Whether side sd is worth a compaction at W: its oldest row is past its bound, and either
 * half as many rows came in as the last one kept or W moved on by half the time the kept
 * rows spanned (so a scan of the store is paid for by new rows or by rows that expired -
 * and the state also shrinks when the input stops but the watermark moves on). */
static bool sl_ij_due(const struct sl_op_ijoin *j, int sd)
{
    if (!j->side[sd].rows || sl_ij_live(j, sd, j->tmin[sd]))
        return false;
    if (j->x.wm2 == INT64_MAX || j->wlast[sd] == INT64_MIN ||
        2 * (uint64_t)j->since[sd] >= j->kept[sd])
        return true;
    return (uint64_t)j->x.wm2 - (uint64_t)j->wlast[sd] >= (uint64_t)j->span[sd] / 2;
}

/* Drops side sd's rows that can no longer meet anything (all of them at the end). */
static int sl_ij_compact(struct sl_op_ijoin *j, struct sl_worker_ctx *ctx, int sd,
                         struct sl_error *err)
{
    struct sl_jn_side *s = &j->side[sd];
    if (!s->rows)
        return 0;
    if (s->rows > j->capkeep) {
        uint32_t ncap = s->rows > 1024 ? s->rows : 1024;
        bool *k = sl_mem_alloc(j->heap, ncap * sizeof(*k));
        if (!k)
            return sl_ij_oom(j, ctx, err);
        sl_mem_free(j->keep);
        j->keep = k;
        j->capkeep = ncap;
    }
    uint32_t live = 0;
    for (uint32_t r = 0; r < s->rows; r++) {
        int64_t t;
        j->keep[r] = sl_ij_time(j, sd, r, &t) && sl_ij_live(j, sd, t);
        live += j->keep[r];
    }
    if (live < s->rows && !sl_jn_compact(j->heap, s, j->keep))
        return sl_ij_oom(j, ctx, err);
    j->since[sd] = 0;
    j->kept[sd] = s->rows;
    j->tmin[sd] = INT64_MAX;
    j->tmax[sd] = INT64_MIN;
    sl_ij_times(j, sd, 0);
    j->wlast[sd] = j->x.wm2;
    j->span[sd] = s->rows ? (int64_t)((uint64_t)j->tmax[sd] - (uint64_t)j->tmin[sd]) : 0;
    return 0;
}

/* Stores rows of side sd that are still live and probes all of them (see sl_jn_append). */
static int sl_ij_take(struct sl_op *op, struct sl_worker_ctx *ctx, int sd, uint8_t *const *col,
                      uint64_t *const *valid, const uint8_t *kind, const sl_sel_t *idx, uint32_t n,
                      const uint64_t *h, struct sl_error *err)
{
    (void)kind; /* insert-only: sl_jn_route_batch refuses other kinds (its route's kinds unset) */
    struct sl_op_ijoin *j = (struct sl_op_ijoin *)op;
    if (!n)
        return 0;
    struct sl_jn_side *s = &j->side[sd];
    uint32_t base = s->rows;
    if (!sl_jn_append(j->heap, s, col, valid, idx, n, h))
        return sl_ij_oom(j, ctx, err);
    j->since[sd] += n;
    int64_t before = j->tmin[sd];
    sl_ij_times(j, sd, base);
    int rc = sl_ij_probe(j, ctx, sd, base, n, err);
    if (rc)
        return rc;
    /* rows that are not live (late, or of a NULL time) were only stored to probe: they go
     * again at once (a scan of the side: late rows are rare) */
    return j->tmin[sd] < before && !sl_ij_live(j, sd, j->tmin[sd]) ? sl_ij_compact(j, ctx, sd, err)
                                                                   : 0;
}

/* ---- messages ---------------------------------------------------------------------------- */

/* This worker's inputs' watermark, min(left, right), to every owner once it advanced. */
static int sl_ij_send_wm(struct sl_op_ijoin *j, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    int64_t wm = j->wm_in[0] < j->wm_in[1] ? j->wm_in[0] : j->wm_in[1];
    if (wm <= j->x.wm1_sent)
        return 0;
    j->x.wm1_sent = wm;
    for (int o = 0; o < j->r.nworkers; o++) {
        int rc = sl_jn_send(&j->r, ctx,
                            (struct sl_jn_out){.to = o, .kind = SL_MSG_WATERMARK, .wm = wm}, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* W advanced: drop what can no longer match, then the held-back watermark (and the end). */
static int sl_ij_advance(struct sl_op_ijoin *j, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    for (int sd = 0; sd < 2; sd++) {
        int rc = sl_ij_due(j, sd) ? sl_ij_compact(j, ctx, sd, err) : 0;
        if (rc)
            return rc;
    }
    int64_t w = j->x.wm2;
    if (w != INT64_MAX)
        w = w < INT64_MIN + j->delay ? INT64_MIN : w - j->delay;
    int rc = w == INT64_MIN ? 0 : sl_op_watermark_next(&j->op, ctx, w, err);
    if (!rc && j->x.wm2 == INT64_MAX && j->x.input_done && !j->x.finished) {
        j->x.finished = true;
        rc = sl_op_finish_next(&j->op, ctx, err);
    }
    return rc;
}

/* ---- input --------------------------------------------------------------------------------- */

static int sl_ij_push_side(struct sl_op_ijoin *j, struct sl_worker_ctx *ctx, int sd,
                           struct sl_batch *b, struct sl_error *err)
{
    return sl_jn_route_batch(&j->r, ctx, &j->side[sd], sd, b, false, sl_ij_take, err);
}

static int sl_ij_wm_side(struct sl_op_ijoin *j, struct sl_worker_ctx *ctx, int sd, int64_t wm,
                         struct sl_error *err)
{
    int rc = sl_jn_flush(&j->r, ctx, err);
    if (rc)
        return rc;
    if (wm > j->wm_in[sd])
        j->wm_in[sd] = wm;
    return sl_ij_send_wm(j, ctx, err);
}

static int sl_ij_side_done(struct sl_op_ijoin *j, struct sl_worker_ctx *ctx, int sd,
                           struct sl_error *err)
{
    j->done[sd] = true;
    int rc = sl_ij_wm_side(j, ctx, sd, INT64_MAX, err); /* an ended input holds nothing back */
    if (rc || !j->done[0] || !j->done[1])
        return rc;
    return sl_xchg_input_end(&j->x) ? sl_op_finish_next(&j->op, ctx, err) : 0;
}

static int sl_ij_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                      struct sl_error *err)
{
    return sl_ij_push_side((struct sl_op_ijoin *)op, ctx, 0, b, err);
}

static int sl_ij_right_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                            struct sl_error *err)
{
    return sl_ij_push_side(((struct sl_jn_right *)op)->j, ctx, 1, b, err);
}

static int sl_ij_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                           struct sl_error *err)
{
    return sl_ij_wm_side((struct sl_op_ijoin *)op, ctx, 0, wm, err);
}

static int sl_ij_right_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                                 struct sl_error *err)
{
    return sl_ij_wm_side(((struct sl_jn_right *)op)->j, ctx, 1, wm, err);
}

static int sl_ij_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_ij_side_done((struct sl_op_ijoin *)op, ctx, 0, err);
}

static int sl_ij_right_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_ij_side_done(((struct sl_jn_right *)op)->j, ctx, 1, err);
}

static int sl_ij_receive(struct sl_op *op, struct sl_worker_ctx *ctx, int from, struct sl_msg msg,
                         struct sl_error *err)
{
    struct sl_op_ijoin *j = (struct sl_op_ijoin *)op;
    bool other;
    int rc = sl_jn_route_receive(&j->r, ctx, from, msg, sl_ij_take, &other, err);
    if (rc || !other)
        return rc;
    switch ((sl_msg_kind)msg.kind) {
    case SL_MSG_WATERMARK: {
        int64_t before = 0;
        rc = sl_xchg_recv_wm(&j->x, op, ctx, from, msg.num, &before, "interval join", err);
        return rc == 1 ? sl_ij_advance(j, ctx, err) : rc;
    }
    default:
        return 0;
    }
}

/* ---- checkpoints --------------------------------------------------------------------------- */

static int sl_ij_save(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                      struct sl_error *err)
{
    (void)ctx;
    struct sl_op_ijoin *j = (struct sl_op_ijoin *)op;
    sl_sbuf_put_u32(out, SL_IJ_MAGIC);
    sl_sbuf_put_u32(out, (uint32_t)j->r.nworkers);
    sl_sbuf_put_u8(out, j->done[0]);
    sl_sbuf_put_u8(out, j->done[1]);
    sl_sbuf_put_i64(out, j->wm_in[0]);
    sl_sbuf_put_i64(out, j->wm_in[1]);
    sl_sbuf_put_i64(out, j->x.wm1_sent);
    sl_xchg_save_recv(&j->x, out);
    sl_jn_save_side(&j->side[0], out);
    sl_jn_save_side(&j->side[1], out);
    sl_jn_save_out(&j->r, j->side, out);
    return sl_sbuf_check(out, err);
}

/* After a restore: the compaction bookkeeping of the rows loaded (sl_ij_due). */
static void sl_ij_loaded(struct sl_op_ijoin *j)
{
    for (int sd = 0; sd < 2; sd++) {
        j->kept[sd] = j->side[sd].rows;
        sl_ij_times(j, sd, 0);
        j->span[sd] =
            j->side[sd].rows ? (int64_t)((uint64_t)j->tmax[sd] - (uint64_t)j->tmin[sd]) : 0;
    }
}

static int sl_ij_restore(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         struct sl_error *err)
{
    struct sl_op_ijoin *j = (struct sl_op_ijoin *)op;
    if (j->side[0].rows || j->side[1].rows || j->done[0] || j->done[1] || j->r.nout)
        return sl_op_error(ctx, j->op.plan->pos, err, SL_ESTATE,
                           "interval join: restore into an operator that has run");
    uint32_t magic, nw;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic != SL_IJ_MAGIC)
        return sl_sread_fail(in, err, "interval join: not an interval join's state");
    if ((rc = sl_sread_u32(in, &nw, err)) != 0)
        return rc;
    if (nw != (uint32_t)j->r.nworkers)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: interval join state of %u workers, this job runs %d", in->what, nw,
                            j->r.nworkers);
    if ((rc = sl_jn_flag(in, &j->done[0], "interval join", err)) != 0 ||
        (rc = sl_jn_flag(in, &j->done[1], "interval join", err)) != 0 ||
        (rc = sl_sread_i64(in, &j->wm_in[0], err)) != 0 ||
        (rc = sl_sread_i64(in, &j->wm_in[1], err)) != 0 ||
        (rc = sl_sread_i64(in, &j->x.wm1_sent, err)) != 0 ||
        (rc = sl_xchg_load_recv(&j->x, in, "interval join", err)) != 0 ||
        (rc = sl_jn_restore_side(j->heap, &j->side[0], in, err)) != 0 ||
        (rc = sl_jn_restore_side(j->heap, &j->side[1], in, err)) != 0 ||
        (rc = sl_jn_restore_out(&j->r, ctx, j->side, true, in, err)) != 0)
        return rc;
    sl_ij_loaded(j);
    return 0;
}

/*
 * Restore at another worker count (engine/core/keygroup.h): out of every old worker's state,
 * the stored rows of both sides whose keys this worker owns now, and the rows kept back for
 * their owners while a checkpoint aligned, kept now for this worker itself. Event time
 * restarts at the lowest watermark of the old workers (every input's, and the operator
 * time W); rows already dropped by a higher W stay dropped (they could only have matched
 * late rows). Where every input ended starts anew.
 */
static int sl_ij_rescale(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         uint32_t nold, struct sl_error *err)
{
    struct sl_op_ijoin *j = (struct sl_op_ijoin *)op;
    if (j->side[0].rows || j->side[1].rows || j->done[0] || j->done[1] || j->r.nout)
        return sl_op_error(ctx, j->op.plan->pos, err, SL_ESTATE,
                           "interval join: restore into an operator that has run");
    const struct sl_plan *node = op->plan;
    int64_t wm_in[2] = {INT64_MAX, INT64_MAX}, wm2 = INT64_MAX;
    int rc = 0;
    for (uint32_t w = 0; w < nold && !rc; w++) {
        struct sl_sread *r = &in[w];
        uint32_t magic = 0, nw = 0;
        bool f;
        int64_t a = 0, b = 0, sent = 0;
        if ((rc = sl_sread_u32(r, &magic, err)) != 0)
            break;
        if (magic != SL_IJ_MAGIC) {
            rc = sl_sread_fail(r, err, "interval join: not an interval join's state");
            break;
        }
        if ((rc = sl_sread_u32(r, &nw, err)) != 0)
            break;
        if (nw != nold) {
            rc = sl_error_set(err, SL_ECORRUPT,
                              "%s: interval join state of %u workers, the checkpoint's %u", r->what,
                              nw, nold);
            break;
        }
        struct sl_xchg x;
        if (sl_xchg_init(&x, j->heap, (int)nold)) {
            rc = sl_ij_oom(j, ctx, err);
            break;
        }
        if ((rc = sl_jn_flag(r, &f, "interval join", err)) == 0 &&
            (rc = sl_jn_flag(r, &f, "interval join", err)) == 0 &&
            (rc = sl_sread_i64(r, &a, err)) == 0 && (rc = sl_sread_i64(r, &b, err)) == 0 &&
            (rc = sl_sread_i64(r, &sent, err)) == 0 &&
            (rc = sl_xchg_load_recv(&x, r, "interval join", err)) == 0) {
            wm_in[0] = a < wm_in[0] ? a : wm_in[0];
            wm_in[1] = b < wm_in[1] ? b : wm_in[1];
            wm2 = x.wm2 < wm2 ? x.wm2 : wm2;
        }
        sl_xchg_free(&x);
        for (int sd = 0; sd < 2 && !rc; sd++) {
            struct sl_jn_side tmp = {0};
            const struct sl_rel *rel = sd ? &node->join.right->out : &node->input->out;
            if (!sl_jn_side_init(j->heap, &tmp, rel, sd ? node->join.rkeys : node->join.lkeys,
                                 node->join.nkeys, false)) {
                rc = sl_ij_oom(j, ctx, err);
                break;
            }
            memcpy(tmp.skip, j->side[sd].skip, tmp.ncols * sizeof(*tmp.skip));
            rc = sl_jn_restore_side(j->heap, &tmp, r, err);
            if (!rc && !sl_jn_take_owned(j->heap, &j->side[sd], &tmp, ctx->worker, ctx->nworkers,
                                         ctx->kg_max))
                rc = sl_ij_oom(j, ctx, err);
            sl_jn_side_free(&tmp);
        }
        if (!rc)
            rc = sl_jn_rescale_out(&j->r, ctx, j->side, true, nold, r, err);
    }
    if (rc)
        return rc;
    if (nold == 0)
        wm_in[0] = wm_in[1] = wm2 = INT64_MIN;
    j->wm_in[0] = wm_in[0];
    j->wm_in[1] = wm_in[1];
    sl_xchg_rescaled(&j->x, INT64_MIN, wm2); /* wm1 unused here; W: the operator time */
    sl_ij_loaded(j);
    return 0;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

static void sl_ij_free(struct sl_op *op)
{
    struct sl_op_ijoin *j = (struct sl_op_ijoin *)op;
    if (!j)
        return;
    sl_jn_side_free(&j->side[0]);
    sl_jn_side_free(&j->side[1]);
    sl_jn_route_free(&j->r);
    sl_xchg_free(&j->x);
    sl_mem_free(j->pl);
    sl_mem_free(j->pr);
    sl_mem_free(j->keep);
    if (j->out_pool)
        sl_batch_pool_free(j->out_pool);
    sl_schema_free(j->out_schema);
    sl_mem_free(j);
}

/* After a checkpoint's alignment (ops->resumed): what it kept back goes, even when no further
 * input would call the join (the end of a stream). */
static int sl_ij_resumed(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_jn_flush(&((struct sl_op_ijoin *)op)->r, ctx, err);
}

/* The message codec (operator.h): join_route.h's. */
static int sl_ij_msg_encode(const struct sl_op *op, struct sl_msg msg, struct sl_sbuf *out,
                            struct sl_error *err)
{
    return sl_jn_msg_encode(((const struct sl_op_ijoin *)op)->side, msg, out, err);
}

static int sl_ij_msg_decode(struct sl_op *op, struct sl_worker_ctx *ctx, uint32_t aux,
                            struct sl_sread *in, struct sl_msg *out, struct sl_error *err)
{
    (void)ctx;
    struct sl_op_ijoin *j = (struct sl_op_ijoin *)op;
    return sl_jn_msg_decode(&j->r, j->side, aux, in, out, err);
}

static const struct sl_op_ops sl_ij_ops = {
    .name = "interval join",
    .push = sl_ij_push,
    .watermark = sl_ij_watermark,
    .resumed = sl_ij_resumed,
    .receive = sl_ij_receive,
    .msg_encode = sl_ij_msg_encode,
    .msg_decode = sl_ij_msg_decode,
    .finish = sl_ij_finish,
    .free = sl_ij_free,
    .save = sl_ij_save,
    .restore = sl_ij_restore,
    .rescale = sl_ij_rescale,
};

static const struct sl_op_ops sl_ij_right_ops = {
    .name = "interval join (right input)",
    .push = sl_ij_right_push,
    .watermark = sl_ij_right_watermark,
    .finish = sl_ij_right_finish,
    .free = sl_jn_right_free,
    .stateless = true, /* its state is the join's */
};

int sl_op_ijoin_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                    struct sl_error *err)
{
    struct sl_op_ijoin *j = sl_mem_zalloc(ctx->heap, sizeof(*j));
    if (!j)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    sl_jn_ops_init(&j->op, &j->right, &sl_ij_ops, &sl_ij_right_ops, node);
    j->heap = ctx->heap;
    bool route = sl_jn_route_init(&j->r, &j->op, j->heap, ctx->nworkers > 0 ? ctx->nworkers : 1);
    j->tcol[0] = node->join.ltime;
    j->tcol[1] = node->join.rtime;
    j->lo = node->join.lo;
    j->hi = node->join.hi;
    j->size[0] = j->hi;
    j->size[1] = j->lo == INT64_MIN ? INT64_MAX : -j->lo;
    j->delay = j->size[0] > j->size[1] ? j->size[0] : j->size[1];
    j->wm_in[0] = j->wm_in[1] = INT64_MIN;
    for (int sd = 0; sd < 2; sd++) {
        j->tmin[sd] = INT64_MAX;
        j->tmax[sd] = j->wlast[sd] = INT64_MIN;
    }
    size_t cap = SL_BATCH_CAP;
    j->pl = sl_mem_alloc(j->heap, cap * sizeof(*j->pl));
    j->pr = sl_mem_alloc(j->heap, cap * sizeof(*j->pr));
    j->out_schema = sl_plan_rel_schema(&node->out);
    if (!route || sl_xchg_init(&j->x, ctx->heap, j->r.nworkers) != 0 || !j->pl || !j->pr ||
        !j->out_schema ||
        !sl_jn_side_init(j->heap, &j->side[0], &node->input->out, node->join.lkeys,
                         node->join.nkeys, false) ||
        !sl_jn_side_init(j->heap, &j->side[1], &node->join.right->out, node->join.rkeys,
                         node->join.nkeys, false) ||
        !(j->out_pool = sl_batch_pool_new(ctx->heap, j->out_schema, 4))) {
        sl_ij_free(&j->op);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    *out = &j->op;
    return 0;
}

struct sl_op *sl_op_ijoin_right(struct sl_op *join)
{
    return &((struct sl_op_ijoin *)join)->right.op;
}

void sl_op_ijoin_prune(struct sl_op *join, const bool *need)
{
    struct sl_op_ijoin *j = (struct sl_op_ijoin *)join;
    sl_jn_prune(j->side, need, j->tcol);
}

void sl_op_ijoin_rows(const struct sl_op *join, uint64_t *left, uint64_t *right)
{
    const struct sl_op_ijoin *j = (const struct sl_op_ijoin *)join;
    *left = j->side[0].rows;
    *right = j->side[1].rows;
}
