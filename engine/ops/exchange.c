/*
 * engine/ops/exchange.c - the watermark bookkeeping of a keyed operator's exchange (see
 * engine/ops/exchange.h for the design).
 */
#include "engine/ops/exchange.h"

#include <stdio.h>

int sl_xchg_init(struct sl_xchg *x, struct sl_heap *heap, int nworkers)
{
    *x = (struct sl_xchg){
        .nworkers = nworkers, .wm1 = INT64_MIN, .wm1_sent = INT64_MIN, .wm2 = INT64_MIN};
    x->sender_wm = sl_mem_alloc(heap, (size_t)nworkers * sizeof(*x->sender_wm));
    if (!x->sender_wm)
        return -1;
    for (int i = 0; i < nworkers; i++)
        x->sender_wm[i] = INT64_MIN;
    return 0;
}

void sl_xchg_free(struct sl_xchg *x)
{
    sl_mem_free(x->sender_wm);
    x->sender_wm = NULL;
}

int sl_xchg_send_wm(struct sl_xchg *x, const struct sl_op *op, struct sl_worker_ctx *ctx,
                    struct sl_error *err)
{
    if (x->wm1 <= x->wm1_sent)
        return 0;
    x->wm1_sent = x->wm1;
    for (int o = 0; o < x->nworkers; o++) {
        struct sl_msg m = {.kind = SL_MSG_WATERMARK, .aux = op->tag, .num = x->wm1};
        int rc = sl_op_send(ctx, op, o, m, err);
        if (rc)
            return rc;
    }
    return 0;
}

int sl_xchg_recv_wm(struct sl_xchg *x, const struct sl_op *op, struct sl_worker_ctx *ctx, int from,
                    int64_t wm, int64_t *before, const char *what, struct sl_error *err)
{
    if (from < 0 || from >= x->nworkers)
        return sl_op_error(ctx, op->plan->pos, err, SL_EINVAL, "%s: watermark from worker %d of %d",
                           what, from, x->nworkers);
    if (wm > x->sender_wm[from])
        x->sender_wm[from] = wm;
    int64_t m = INT64_MAX;
    for (int i = 0; i < x->nworkers; i++)
        if (x->sender_wm[i] < m)
            m = x->sender_wm[i];
    if (m <= x->wm2)
        return 0;
    *before = x->wm2;
    x->wm2 = m;
    return 1;
}

int sl_xchg_pass(struct sl_xchg *x, struct sl_op *op, struct sl_worker_ctx *ctx,
                 struct sl_error *err)
{
    int rc = sl_op_watermark_next(op, ctx, x->wm2, err);
    if (!rc && x->wm2 == INT64_MAX && x->input_done && !x->finished) {
        /* every sender has ended and so has this worker's input: the end goes downstream */
        x->finished = true;
        rc = sl_op_finish_next(op, ctx, err);
    }
    return rc;
}

void sl_xchg_save_sent(const struct sl_xchg *x, struct sl_sbuf *out)
{
    sl_sbuf_put_i64(out, x->wm1);
    sl_sbuf_put_i64(out, x->wm1_sent);
}

void sl_xchg_save_recv(const struct sl_xchg *x, struct sl_sbuf *out)
{
    sl_sbuf_put_i64(out, x->wm2);
    sl_sbuf_put_u8(out, x->input_done);
    sl_sbuf_put_u8(out, x->finished);
    for (int i = 0; i < x->nworkers; i++)
        sl_sbuf_put_i64(out, x->sender_wm[i]);
}

int sl_xchg_load_sent(struct sl_xchg *x, struct sl_sread *in, struct sl_error *err)
{
    int rc = sl_sread_i64(in, &x->wm1, err);
    return rc ? rc : sl_sread_i64(in, &x->wm1_sent, err);
}

static int sl_xchg_flag(struct sl_sread *in, bool *v, const char *what, struct sl_error *err)
{
    uint8_t b = 0;
    int rc = sl_sread_u8(in, &b, err);
    if (rc)
        return rc;
    if (b > 1) {
        char msg[SL_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s: a flag byte that is neither 0 nor 1", what);
        return sl_sread_fail(in, err, msg);
    }
    *v = b != 0;
    return 0;
}

int sl_xchg_load_recv(struct sl_xchg *x, struct sl_sread *in, const char *what,
                      struct sl_error *err)
{
    int rc;
    if ((rc = sl_sread_i64(in, &x->wm2, err)) != 0 ||
        (rc = sl_xchg_flag(in, &x->input_done, what, err)) != 0 ||
        (rc = sl_xchg_flag(in, &x->finished, what, err)) != 0)
        return rc;
    for (int i = 0; i < x->nworkers; i++)
        if ((rc = sl_sread_i64(in, &x->sender_wm[i], err)) != 0)
            return rc;
    return 0;
}

void sl_xchg_rescaled(struct sl_xchg *x, int64_t wm1, int64_t wm2)
{
    if (wm1 == INT64_MAX && wm2 == INT64_MAX) /* no old worker said anything */
        wm1 = wm2 = INT64_MIN;
    x->wm1 = wm1;
    x->wm1_sent = wm2;
    x->wm2 = wm2;
    for (int s = 0; s < x->nworkers; s++)
        x->sender_wm[s] = wm2;
    x->input_done = x->finished = false;
}
