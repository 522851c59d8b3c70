/*
 * engine/ops/exchange.h - the watermark bookkeeping every keyed operator's exchange shares.
 *
 * HOW IT WORKS
 * A keyed operator (Top-N, window aggregation, ...) runs in two phases on every worker: phase
 * 1 takes this worker's input and sends each row (or partial) to the worker that owns its key
 * (sl_op_send); phase 2, on the owner, takes what every sender sent. Event time crosses the
 * exchange the same way: phase 1 sends its watermark to every owner (sl_xchg_send_wm), and
 * phase 2 moves on to the minimum over the senders' last watermarks (sl_xchg_recv_wm), which
 * it passes downstream once it has emitted what that watermark completes (sl_xchg_pass). The
 * output ends when this worker's input has ended (finish(): sl_xchg_input_end) and every
 * sender has sent its INT64_MAX watermark - whichever comes last sends finish downstream, once.
 *
 * The struct is embedded in the operator; the operator keeps its own data messages.
 *
 * CHECKPOINT STATE (little-endian, engine/core/state.h): two pieces the operator places in its
 * own layout (sl_xchg_save_sent, sl_xchg_save_recv):
 *   sent: 8, 8        wm1, wm1_sent
 *   recv: 8, 1, 1     wm2, input_done, finished (0/1)
 *         8 x nw      sender_wm[]
 *
 * OWNERSHIP: the struct owns sender_wm (sl_xchg_free). THREADS: its worker's thread only.
 */
#ifndef SL_ENGINE_EXCHANGE_H
#define SL_ENGINE_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/ops/operator.h"

struct sl_xchg {
    int nworkers;
    /* phase 1 */
    int64_t wm1;      /* the last watermark() */
    int64_t wm1_sent; /* the last watermark sent to the owners */
    /* phase 2 */
    int64_t wm2;        /* the watermark passed downstream: the minimum of sender_wm[] */
    int64_t *sender_wm; /* per sender: its last watermark */
    bool input_done;    /* finish() came from upstream: this worker's input has ended */
    bool finished;      /* finish() went downstream */
};

/* Every watermark INT64_MIN, nothing ended. -1 when out of memory (then sl_xchg_free). */
int sl_xchg_init(struct sl_xchg *x, struct sl_heap *heap, int nworkers);
void sl_xchg_free(struct sl_xchg *x);

/* watermark(): this worker's input reached `wm` (wm1 never goes back). */
static inline void sl_xchg_wm_in(struct sl_xchg *x, int64_t wm)
{
    if (wm > x->wm1)
        x->wm1 = wm;
}

/* Sends wm1 to every owner (op's instance on every worker) unless it was sent already. */
int sl_xchg_send_wm(struct sl_xchg *x, const struct sl_op *op, struct sl_worker_ctx *ctx,
                    struct sl_error *err);

/* A watermark `wm` from worker `from`: 1 when the minimum over the senders advanced (wm2 is
 * the new one, *before the old), 0 when not, or an error for a worker that does not exist
 * (positioned at op's plan node; `what` names the operator, e.g. "Top-N"). */
int sl_xchg_recv_wm(struct sl_xchg *x, const struct sl_op *op, struct sl_worker_ctx *ctx, int from,
                    int64_t wm, int64_t *before, const char *what, struct sl_error *err);

/* After sl_xchg_recv_wm returned 1 and the operator emitted what wm2 completes: wm2 goes
 * downstream, and finish too when it is INT64_MAX and this worker's input has ended. */
int sl_xchg_pass(struct sl_xchg *x, struct sl_op *op, struct sl_worker_ctx *ctx,
                 struct sl_error *err);

/* finish(): true when the output ends now (every sender had ended already and finish did not
 * go downstream yet): the operator emits what is left, then calls sl_op_finish_next. */
static inline bool sl_xchg_input_end(struct sl_xchg *x)
{
    x->input_done = true;
    if (x->wm2 != INT64_MAX || x->finished)
        return false;
    x->finished = true;
    return true;
}

/* Rescaling (engine/core/keygroup.h): the exchange restarts from the lowest watermarks of the
 * old workers - wm1 (this worker's input) and wm2 (passed downstream, and what it now
 * assumes every sender sent: wm1_sent too, so that wm1 goes out again); nothing has ended.
 * Both INT64_MIN when there was no old worker (wm1 / wm2 INT64_MAX). */
void sl_xchg_rescaled(struct sl_xchg *x, int64_t wm1, int64_t wm2);

/* Checkpoints (see CHECKPOINT STATE above). The loads fail with SL_ECORRUPT on a flag byte
 * other than 0 or 1 (`what` names the operator). */
void sl_xchg_save_sent(const struct sl_xchg *x, struct sl_sbuf *out);
void sl_xchg_save_recv(const struct sl_xchg *x, struct sl_sbuf *out);
int sl_xchg_load_sent(struct sl_xchg *x, struct sl_sread *in, struct sl_error *err);
int sl_xchg_load_recv(struct sl_xchg *x, struct sl_sread *in, const char *what,
                      struct sl_error *err);

#endif
