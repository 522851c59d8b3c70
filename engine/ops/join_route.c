/*
 * engine/ops/join_route.c - the routing of the stream joins' input to the owners of its keys
 * and their outbox (see engine/ops/join_route.h).
 */
#include "engine/ops/join_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bytes of a kept message's kind in a checkpoint. */
enum { SL_JN_OUT_END = 0, SL_JN_OUT_ROWS = 1, SL_JN_OUT_WM = 2 };

static int sl_jn_route_oom(const struct sl_jn_route *r, const struct sl_worker_ctx *ctx,
                           struct sl_error *err)
{
    return sl_op_error(ctx, r->op->plan->pos, err, SL_ENOMEM, "%s: out of memory",
                       r->op->ops->name);
}

void sl_jn_ops_init(struct sl_op *op, struct sl_jn_right *right, const struct sl_op_ops *ops,
                    const struct sl_op_ops *right_ops, const struct sl_plan *node)
{
    op->ops = ops;
    op->plan = node;
    right->op.ops = right_ops;
    right->op.plan = node;
    right->j = op;
}

void sl_jn_right_free(struct sl_op *op)
{
    (void)op;
}

bool sl_jn_route_init(struct sl_jn_route *r, struct sl_op *op, struct sl_heap *heap, int nworkers)
{
    size_t cap = SL_BATCH_CAP;
    *r = (struct sl_jn_route){.op = op, .heap = heap, .nworkers = nworkers};
    r->hashes = sl_mem_alloc(heap, cap * sizeof(*r->hashes));
    r->i64buf = sl_mem_alloc(heap, cap * sizeof(*r->i64buf));
    r->bucket = sl_mem_alloc(heap, cap * sizeof(*r->bucket));
    r->counts = sl_mem_alloc(heap, ((size_t)nworkers + 1) * sizeof(*r->counts));
    r->sorted = sl_mem_alloc(heap, cap * sizeof(*r->sorted));
    return r->hashes && r->i64buf && r->bucket && r->counts && r->sorted;
}

void sl_jn_route_free(struct sl_jn_route *r)
{
    for (uint32_t k = 0; k < r->nout; k++)
        sl_mem_free(r->out[k].msg);
    sl_mem_free(r->out);
    sl_mem_free(r->hashes);
    sl_mem_free(r->i64buf);
    sl_mem_free(r->bucket);
    sl_mem_free(r->counts);
    sl_mem_free(r->sorted);
    *r = (struct sl_jn_route){0};
}

static int sl_jn_out_send(struct sl_jn_route *r, struct sl_worker_ctx *ctx, struct sl_jn_out o,
                          struct sl_error *err)
{
    struct sl_msg mm = {.kind = o.kind, .aux = r->op->tag};
    if (o.kind == SL_MSG_WATERMARK)
        mm.num = o.wm;
    else
        mm.ptr = o.msg;
    return sl_op_send(ctx, r->op, o.to, mm, err);
}

int sl_jn_flush(struct sl_jn_route *r, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    if (ctx->aligning || !r->nout)
        return 0;
    uint32_t k = 0;
    int rc = 0;
    while (k < r->nout && !(rc = sl_jn_out_send(r, ctx, r->out[k], err)))
        k++; /* one not sent is still ours */
    memmove(r->out, r->out + k, (r->nout - k) * sizeof(*r->out));
    r->nout -= k;
    return rc;
}

int sl_jn_keep(struct sl_jn_route *r, struct sl_worker_ctx *ctx, struct sl_jn_out o,
               struct sl_error *err)
{
    if (r->nout == r->capout) {
        uint32_t ncap = r->capout ? 2 * r->capout : 16;
        struct sl_jn_out *n = sl_mem_alloc(r->heap, ncap * sizeof(*n));
        if (!n) {
            sl_mem_free(o.msg);
            return sl_jn_route_oom(r, ctx, err);
        }
        if (r->nout)
            memcpy(n, r->out, r->nout * sizeof(*n));
        sl_mem_free(r->out);
        r->out = n;
        r->capout = ncap;
    }
    r->out[r->nout++] = o;
    return 0;
}

int sl_jn_send(struct sl_jn_route *r, struct sl_worker_ctx *ctx, struct sl_jn_out o,
               struct sl_error *err)
{
    if ((ctx->aligning && o.to != ctx->worker) || r->nout) {
        int rc = sl_jn_keep(r, ctx, o, err);
        return rc || ctx->aligning ? rc : sl_jn_flush(r, ctx, err);
    }
    int rc = sl_jn_out_send(r, ctx, o, err);
    if (rc)
        sl_mem_free(o.msg);
    return rc;
}

int sl_jn_route_batch(struct sl_jn_route *r, struct sl_worker_ctx *ctx, struct sl_jn_side *s,
                      int sd, struct sl_batch *b, bool local, sl_jn_take_fn take,
                      struct sl_error *err)
{
    const char *what = r->op->ops->name;
    uint32_t n = sl_batch_active(b);
    int rc = sl_jn_flush(r, ctx, err);
    if (rc)
        goto out;
    if (b->kind && !r->kinds)
        for (uint32_t i = 0; i < n; i++)
            if (b->kind[b->sel ? b->sel[i] : i] != SL_ROW_INSERT) {
                rc = sl_op_error(ctx, r->op->plan->pos, err, SL_ENOTSUP,
                                 "%s: a %s row in its %s input; sluice joins insert-only streams",
                                 what, sl_row_kind_str(b->kind[b->sel ? b->sel[i] : i]),
                                 sd ? "right" : "left");
                goto out;
            }
    if (n == 0)
        goto out;
    if (b->ncols != s->ncols) {
        rc = sl_op_error(ctx, r->op->plan->pos, err, SL_ESTATE,
                         "%s: a batch of %u columns into its %s input of %u", what, b->ncols,
                         sd ? "right" : "left", s->ncols);
        goto out;
    }
    uint32_t m = sl_jn_hash(s, b, n, r->hashes, r->i64buf, r->sorted);
    uint8_t **cols = s->bcol;
    uint64_t **valid = s->bvalid;
    for (uint32_t c = 0; c < s->ncols; c++) {
        cols[c] = b->cols[c].data;
        valid[c] = b->cols[c].valid;
    }
    const uint32_t N = (uint32_t)r->nworkers;
    if (N == 1 || local) {
        rc = take(r->op, ctx, sd, cols, valid, r->kinds ? b->kind : NULL, r->sorted, m, r->hashes,
                  err);
        goto out;
    }
    /* by owner: counting sort of the positions (rows in r->sorted) into r->bucket order */
    memset(r->counts, 0, (N + 1) * sizeof(*r->counts));
    for (uint32_t i = 0; i < m; i++)
        r->counts[sl_kg_route(r->hashes[i], ctx->kg_max, N) + 1]++;
    for (uint32_t k = 0; k < N; k++)
        r->counts[k + 1] += r->counts[k];
    uint64_t *hs = (uint64_t *)r->i64buf; /* hashes in owner order */
    for (uint32_t i = 0; i < m; i++) {
        uint32_t at = r->counts[sl_kg_route(r->hashes[i], ctx->kg_max, N)]++;
        r->bucket[at] = r->sorted[i];
        hs[at] = r->hashes[i];
    }
    uint32_t begin = 0;
    for (uint32_t o = 0; o < N && !rc; o++) {
        uint32_t end = r->counts[o];
        if (end == begin)
            continue;
        sl_sel_t *rows = (sl_sel_t *)r->bucket + begin;
        if ((int)o == ctx->worker) {
            rc = take(r->op, ctx, sd, cols, valid, r->kinds ? b->kind : NULL, rows, end - begin,
                      hs + begin, err);
        } else {
            struct sl_jn_msg *msg = sl_jn_msg_new(s, sd, cols, valid, r->kinds ? b->kind : NULL,
                                                  rows, end - begin, hs + begin);
            if (!msg) {
                rc = sl_jn_route_oom(r, ctx, err);
                break;
            }
            rc = sl_jn_send(r, ctx,
                            (struct sl_jn_out){.to = (int)o, .kind = SL_MSG_DATA, .msg = msg}, err);
        }
        begin = end;
    }
out:
    sl_batch_pool_put(b);
    return rc;
}

int sl_jn_route_receive(struct sl_jn_route *r, struct sl_worker_ctx *ctx, int from,
                        struct sl_msg msg, sl_jn_take_fn take, bool *other, struct sl_error *err)
{
    *other = false;
    int rc = sl_jn_flush(r, ctx, err);
    if (rc) {
        if (msg.kind == SL_MSG_DATA)
            sl_mem_free(msg.ptr);
        return rc;
    }
    if (msg.kind != SL_MSG_DATA) {
        *other = true;
        return 0;
    }
    struct sl_jn_msg *m = msg.ptr;
    rc = m->side > 1
             ? sl_op_error(ctx, r->op->plan->pos, err, SL_EINVAL,
                           "%s: rows of side %u from worker %d", r->op->ops->name, m->side, from)
             : take(r->op, ctx, (int)m->side, m->col, m->valid, m->kind, NULL, m->rows, m->hash,
                    err);
    sl_mem_free(m);
    return rc;
}

void sl_jn_save_out(const struct sl_jn_route *r, const struct sl_jn_side *sides,
                    struct sl_sbuf *out)
{
    sl_sbuf_put_u32(out, r->nout);
    for (uint32_t k = 0; k < r->nout; k++) {
        const struct sl_jn_out *o = &r->out[k];
        sl_sbuf_put_u32(out, (uint32_t)o->to);
        if (o->kind == SL_MSG_WATERMARK) {
            sl_sbuf_put_u8(out, SL_JN_OUT_WM);
            sl_sbuf_put_i64(out, o->wm);
        } else if (o->kind == SL_MSG_END) {
            sl_sbuf_put_u8(out, SL_JN_OUT_END);
        } else {
            sl_sbuf_put_u8(out, SL_JN_OUT_ROWS);
            sl_jn_save_msg(sides, o->msg, out);
        }
    }
}

/* A kept message's head: its worker (of nw) and kind (rows, and END or with `wm` WM). */
static int sl_jn_out_head(const struct sl_jn_route *r, struct sl_sread *in, uint32_t nw, bool wm,
                          uint32_t *to, uint8_t *kind, struct sl_error *err)
{
    int rc;
    if ((rc = sl_sread_u32(in, to, err)) != 0 || (rc = sl_sread_u8(in, kind, err)) != 0)
        return rc;
    if (*to >= nw || (*kind != SL_JN_OUT_ROWS && *kind != (wm ? SL_JN_OUT_WM : SL_JN_OUT_END))) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%s: a kept message that does not fit", r->op->ops->name);
        return sl_sread_fail(in, err, msg);
    }
    return 0;
}

int sl_jn_restore_out(struct sl_jn_route *r, struct sl_worker_ctx *ctx,
                      const struct sl_jn_side *sides, bool wm, struct sl_sread *in,
                      struct sl_error *err)
{
    uint32_t nout;
    int rc = sl_sread_count(in, &nout, 5, err);
    for (uint32_t k = 0; k < nout && !rc; k++) {
        uint32_t to;
        uint8_t kind;
        if ((rc = sl_jn_out_head(r, in, (uint32_t)r->nworkers, wm, &to, &kind, err)) != 0)
            return rc;
        struct sl_jn_out o = {.to = (int)to};
        if (kind == SL_JN_OUT_WM) {
            o.kind = SL_MSG_WATERMARK;
            rc = sl_sread_i64(in, &o.wm, err);
        } else if (kind == SL_JN_OUT_END) {
            o.kind = SL_MSG_END; /* sent at the first call after the restore */
        } else {
            o.kind = SL_MSG_DATA;
            rc = sl_jn_read_msg(r->heap, sides, in, &o.msg, err);
        }
        if (!rc)
            rc = sl_jn_keep(r, ctx, o, err);
    }
    return rc;
}

int sl_jn_rescale_out(struct sl_jn_route *r, struct sl_worker_ctx *ctx,
                      const struct sl_jn_side *sides, bool wm, uint32_t nold, struct sl_sread *in,
                      struct sl_error *err)
{
    uint32_t nout;
    int rc = sl_sread_count(in, &nout, 5, err);
    for (uint32_t k = 0; k < nout && !rc; k++) {
        uint32_t to;
        uint8_t kind;
        if ((rc = sl_jn_out_head(r, in, nold, wm, &to, &kind, err)) != 0)
            return rc;
        if (kind == SL_JN_OUT_WM) {
            int64_t wmv;
            rc = sl_sread_i64(in, &wmv, err);
            continue;
        }
        if (kind == SL_JN_OUT_END)
            continue;
        struct sl_jn_msg *m = NULL;
        if ((rc = sl_jn_read_msg(r->heap, sides, in, &m, err)) != 0)
            return rc;
        if (m->rows > SL_BATCH_CAP) {
            sl_jn_msg_free(m);
            return sl_sread_fail(in, err, "join: a kept message of more rows than a batch");
        }
        uint32_t n = 0;
        for (uint32_t i = 0; i < m->rows; i++)
            if (sl_kg_route(m->hash[i], ctx->kg_max, (uint32_t)ctx->nworkers) ==
                (uint32_t)ctx->worker) {
                r->sorted[n] = i;
                r->hashes[n++] = m->hash[i];
            }
        struct sl_jn_out o = {.to = ctx->worker, .kind = SL_MSG_DATA};
        if (n && !(o.msg = sl_jn_msg_new(&sides[m->side], (int)m->side, m->col, m->valid, m->kind,
                                         r->sorted, n, r->hashes)))
            rc = sl_op_error(ctx, r->op->plan->pos, err, SL_ENOMEM, "%s: out of memory",
                             r->op->ops->name);
        sl_jn_msg_free(m);
        if (!rc && n)
            rc = sl_jn_keep(r, ctx, o, err);
    }
    return rc;
}

int sl_jn_flag(struct sl_sread *in, bool *v, const char *what, struct sl_error *err)
{
    uint8_t b;
    int rc = sl_sread_u8(in, &b, err);
    if (rc)
        return rc;
    if (b > 1) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%s: a flag that is neither 0 nor 1", what);
        return sl_sread_fail(in, err, msg);
    }
    *v = b == 1;
    return 0;
}

#define SL_JN_MSG_V1 1 /* the rows' kinds ride in sl_jn_save_msg's layout (side + 0x100) */

int sl_jn_msg_encode(const struct sl_jn_side *sides, struct sl_msg msg, struct sl_sbuf *out,
                     struct sl_error *err)
{
    sl_sbuf_put_u8(out, SL_JN_MSG_V1);
    sl_jn_save_msg(sides, msg.ptr, out);
    return sl_sbuf_check(out, err);
}

int sl_jn_msg_decode(struct sl_jn_route *r, const struct sl_jn_side *sides, uint32_t aux,
                     struct sl_sread *in, struct sl_msg *out, struct sl_error *err)
{
    uint8_t v;
    int rc = sl_sread_u8(in, &v, err);
    if (rc)
        return rc;
    if (v != SL_JN_MSG_V1) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%s: a message of an unknown format", r->op->ops->name);
        return sl_sread_fail(in, err, msg);
    }
    struct sl_jn_msg *m = NULL;
    if ((rc = sl_jn_read_msg(r->heap, sides, in, &m, err)) != 0)
        return rc;
    *out = (struct sl_msg){.kind = SL_MSG_DATA, .aux = aux, .ptr = m};
    return 0;
}
