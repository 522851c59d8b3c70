/*
 * engine/ops/join_route.h - what the two stream joins (engine/ops/op_join.h, the regular join,
 * and engine/ops/op_ijoin.h, the interval join) share around their row stores
 * (engine/ops/join_store.h): the routing of an input batch to the workers that own its keys,
 * the outbox that keeps messages for other workers while a checkpoint aligns, and the right
 * input's operator (sl_jn_right).
 *
 * HOW IT WORKS
 * sl_jn_route_batch hashes a batch's keys (sl_jn_hash), sorts its rows by owner (hash %
 * workers, a counting sort) and gives this worker's rows to the join's `take` at once, the
 * others' to sl_jn_send as one message per owner. sl_jn_send sends a message, or appends it
 * to the outbox while a checkpoint aligns (ctx->aligning: it belongs to the epoch being taken
 * but the receiver has its barrier already) and while earlier ones wait; sl_jn_flush sends
 * the outbox in order once the alignment ended. The outbox is saved with the state, as the
 * channel's contents (sl_jn_save_out), each entry:
 *   4 to, 1 kind (1: rows, then the message as sl_jn_save_msg; 0: the END, nothing; 2: a
 *   watermark, then 8 its value)
 * after a 4-byte count. A join uses the kinds it allows (the regular join: rows and END, the
 * interval join: rows and watermarks).
 *
 * OWNERSHIP: the route owns its scratch and the outbox's messages (sl_jn_route_free); a
 * message handed to sl_jn_send / sl_jn_keep is the callee's either way. Errors name the
 * operator by its ops->name.
 * THREADS: a route is its worker's.
 */
#ifndef SL_OPS_JOIN_ROUTE_H
#define SL_OPS_JOIN_ROUTE_H

#include "engine/ops/join_store.h"

/* A message for another worker: kind SL_MSG_DATA (msg), SL_MSG_END or SL_MSG_WATERMARK (wm). */
struct sl_jn_out {
    int to;
    uint32_t kind;
    int64_t wm;
    struct sl_jn_msg *msg;
};

struct sl_jn_route {
    struct sl_op *op; /* the join: its tag, position and name */
    struct sl_heap *heap;
    int nworkers;
    bool kinds; /* the join takes rows of every kind (the regular join), else +I only */
    /* messages for other workers kept while a checkpoint aligned, in order */
    struct sl_jn_out *out;
    uint32_t nout, capout;
    /* scratch, SL_BATCH_CAP each (counts: nworkers + 1) */
    uint64_t *hashes;
    int64_t *i64buf;
    uint32_t *bucket, *counts;
    sl_sel_t *sorted;
};

/* A join's right input: an operator of its own (its upstream pushes into it) whose calls go to
 * the join j (the struct whose first member is the join's sl_op); its state is the join's. */
struct sl_jn_right {
    struct sl_op op;
    void *j;
};

/* Sets up a join's operator op (its first member; ops) and its right input (right_ops) for
 * the plan node `node`. */
void sl_jn_ops_init(struct sl_op *op, struct sl_jn_right *right, const struct sl_op_ops *ops,
                    const struct sl_op_ops *right_ops, const struct sl_plan *node);
/* ops->free of a right input: nothing (it is part of the join). */
void sl_jn_right_free(struct sl_op *op);

/* Stores rows of side sd that reached their owner (see sl_jn_append for the arguments; kind:
 * the rows' kinds indexed as the columns, NULL: all +I). */
typedef int (*sl_jn_take_fn)(struct sl_op *op, struct sl_worker_ctx *ctx, int sd,
                             uint8_t *const *col, uint64_t *const *valid, const uint8_t *kind,
                             const sl_sel_t *idx, uint32_t n, const uint64_t *h,
                             struct sl_error *err);

/* Sets up r for the join op of nworkers (at least 1) workers; false when out of memory. */
bool sl_jn_route_init(struct sl_jn_route *r, struct sl_op *op, struct sl_heap *heap, int nworkers);
void sl_jn_route_free(struct sl_jn_route *r);

/* Sends the outbox, in order (not while a checkpoint aligns). */
int sl_jn_flush(struct sl_jn_route *r, struct sl_worker_ctx *ctx, struct sl_error *err);
/* Appends o to the outbox. */
int sl_jn_keep(struct sl_jn_route *r, struct sl_worker_ctx *ctx, struct sl_jn_out o,
               struct sl_error *err);
/* Sends o to its worker, or keeps it (see above). */
int sl_jn_send(struct sl_jn_route *r, struct sl_worker_ctx *ctx, struct sl_jn_out o,
               struct sl_error *err);

/* Side sd's input batch b (the callee's): the outbox flushed first, then its rows (insert
 * only unless r->kinds, as many columns as side s) to their owners; all of them to `take` when
 * `local` or on one worker. */
int sl_jn_route_batch(struct sl_jn_route *r, struct sl_worker_ctx *ctx, struct sl_jn_side *s,
                      int sd, struct sl_batch *b, bool local, sl_jn_take_fn take,
                      struct sl_error *err);

/* A message from worker `from` (msg.ptr the callee's): the outbox flushed first, then rows go
 * to `take`; *other is set when it is another kind, the caller's to handle. */
int sl_jn_route_receive(struct sl_jn_route *r, struct sl_worker_ctx *ctx, int from,
                        struct sl_msg msg, sl_jn_take_fn take, bool *other, struct sl_error *err);

/* Checkpoints of the outbox (the layout above; sides: the join's two, for the messages). */
void sl_jn_save_out(const struct sl_jn_route *r, const struct sl_jn_side *sides,
                    struct sl_sbuf *out);
/* `wm`: the kinds rows and watermark (the interval join), else rows and END. */
int sl_jn_restore_out(struct sl_jn_route *r, struct sl_worker_ctx *ctx,
                      const struct sl_jn_side *sides, bool wm, struct sl_sread *in,
                      struct sl_error *err);

/* Rescaling: reads an old worker's kept messages (saved at nold workers) and keeps, addressed
 * to this worker, the rows of them whose keys it owns now (ctx's key groups), for its first
 * call to take as if received; ENDs and watermarks are dropped (every input says again where
 * it ends, and event time restarts). */
int sl_jn_rescale_out(struct sl_jn_route *r, struct sl_worker_ctx *ctx,
                      const struct sl_jn_side *sides, bool wm, uint32_t nold, struct sl_sread *in,
                      struct sl_error *err);

/* The joins' message codec (operator.h: msg_encode / msg_decode). A message of rows, format 1:
 * 1 version (1), then sl_jn_save_msg (join_store.h) - the layout the outbox keeps its rows in.
 * Decoding reads it into a message for r's join on the receiving worker (SL_ECORRUPT for
 * bytes that do not fit `sides`, naming the operator). */
int sl_jn_msg_encode(const struct sl_jn_side *sides, struct sl_msg msg, struct sl_sbuf *out,
                     struct sl_error *err);
int sl_jn_msg_decode(struct sl_jn_route *r, const struct sl_jn_side *sides, uint32_t aux,
                     struct sl_sread *in, struct sl_msg *out, struct sl_error *err);

/* Reads a byte that must be 0 or 1 into *v (`what`: the operator, for the error). */
int sl_jn_flag(struct sl_sread *in, bool *v, const char *what, struct sl_error *err);

#endif
