/*
 * engine/ops/operator.h - the physical operators a worker runs, and what they see of the
 * executor.
 *
 * HOW IT WORKS
 * Each INSERT becomes a chain of operators per worker: source driver -> [computed columns]
 * -> watermark -> filter / project / window / aggregate / lookup join ... -> sink. Batches
 * are pushed down the chain one at a time (push-based, batch-at-a-time); an operator either
 * narrows a batch's selection and passes it on, or builds new batches from its own pool.
 * Event time moves forward through watermark(): "no row with a rowtime <= wm follows". The
 * end of a bounded input is finish(). Operators of different workers talk only through
 * messages (engine/core/ring.h) that the executor routes: sl_op_send() to send, receive() to
 * get them.
 *
 * OWNERSHIP: a batch passed to push() belongs to the callee from the call on; it passes it
 * downstream or gives it back to its pool (sl_batch_pool_put). Nothing else is shared.
 *
 * THREADS: every call of an operator runs on its worker's thread.
 */
#ifndef SL_ENGINE_OPERATOR_H
#define SL_ENGINE_OPERATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "engine/core/keygroup.h"
#include "engine/core/mem.h"
#include "engine/core/ring.h"
#include "engine/core/state.h"
#include "engine/plan/plan.h"

struct sl_sql_source;
struct sl_exec;
struct sl_op;

/* Counters of one worker; the executor sums them for the summary.
 * THREADS: only the worker's thread writes them, but the executor's monitor thread reads
 * them while the run goes on (the progress line), so they are written through
 * sl_stats_add / sl_stats_set_watermark only: atomic stores (relaxed - a counter orders
 * nothing else). A plain `+=` here is a data race with that reader. */
struct sl_worker_stats {
    uint64_t rows_in;     /* rows the sources produced */
    uint64_t rows_out;    /* rows the sinks took */
    uint64_t late_rows;   /* rows dropped because their window had already fired */
    uint64_t bad_records; /* records skipped or dead-lettered by a bad-record policy */
    uint64_t bytes_in;    /* bytes of the records the sources read (Kafka: key + value;
                             files: the records' bytes); 0 for generators */
    uint64_t bytes_out;   /* bytes the sinks wrote (encoded records); 0 for print, blackhole */
    int64_t watermark;    /* the worker's current watermark (INT64_MIN before the first) */
};

/* Adds `n` to one of the calling worker's counters (&ctx->stats->rows_in, ...). */
static inline void sl_stats_add(uint64_t *counter, uint64_t n)
{
    __atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

static inline void sl_stats_set_watermark(struct sl_worker_stats *stats, int64_t wm)
{
    __atomic_store_n(&stats->watermark, wm, __ATOMIC_RELAXED);
}

struct sl_worker_ctx {
    int worker; /* 0 .. nworkers-1 */
    int nworkers;
    /* The job's key groups (engine/core/keygroup.h): keyed operators route a row of hash h
     * to worker sl_kg_route(h, kg_max, nworkers). 0: h % nworkers (checkpoints written
     * before key groups, and tests that do not care). */
    uint32_t kg_max;
    struct sl_heap *heap;            /* this worker's heap */
    const struct sl_sql_source *sql; /* for errors that point into the SQL file */
    void *runner;                    /* whoever runs the operators (the executor's worker) */
    struct sl_worker_stats *stats;
    int32_t split; /* during a push from a source: the batch's split */
    /* How sl_op_send delivers a message: the executor routes it through its rings; tests and
     * benchmarks set their own. NULL means straight to the sending operator's receive() on
     * this same worker. */
    int (*send)(struct sl_worker_ctx *ctx, const struct sl_op *op, int to, struct sl_msg msg,
                struct sl_error *err);
    /* Latency measurement (engine/exec/exec.h, sl_exec_opts.on_emit): the CLOCK_MONOTONIC time in
     * ns at which the source batch now being pushed was polled, 0 outside such a push; and
     * the hook a sink operator calls after each write (NULL: none). */
    uint64_t ingest_ns;
    void (*on_emit)(void *arg, int worker, uint64_t ingest_ns, uint64_t rows);
    void *on_emit_arg;
    /* Window delay (engine/exec/exec.h, sl_exec_opts.on_window): called by the window
     * aggregation right after a window's rows went downstream, with the CLOCK_MONOTONIC
     * time (ns) at which the first worker's watermark passed the window's end. */
    void (*on_window)(void *arg, int worker, uint64_t fired_ns, uint64_t rows);
    void *on_window_arg;
    /* A checkpoint is aligning on this worker (engine/exec/coordinator.c: from its barrier
     * to its snapshot): a message to another worker now would cross that worker's barrier
     * into the next epoch. An operator that must send while it serves received messages (a
     * second exchange: a join fed by a join) keeps such messages, saves them with its state
     * and sends them once this is false again (engine/ops/op_join.c). */
    bool aligning;
    /* During a source's poll: the most rows it should return (a rate limit's tokens,
     * engine/exec/livecfg.h), 0 for no bound. A source that cannot bound a poll may ignore
     * it: the rows beyond are owed to the limit. */
    uint32_t poll_max;
};

struct sl_op;

struct sl_op_ops {
    const char *name;
    /* Processes the active rows of `b` (owned by the callee from here on). */
    int (*push)(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                struct sl_error *err);
    /* Event time reached `wm` on this operator's input: no row with a rowtime <= wm follows.
     * INT64_MAX means the input has ended (bounded sources). Operators pass it on. */
    int (*watermark)(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm, struct sl_error *err);
    /* A message another worker's instance of this operator sent (sl_op_send). NULL for
     * operators that never exchange. */
    int (*receive)(struct sl_op *op, struct sl_worker_ctx *ctx, int from_worker, struct sl_msg msg,
                   struct sl_error *err);
    /* The byte codec of this operator's DATA messages (engine/exec/exec.c's exchange codec;
     * docs/architecture.md, "Message codecs"): every operator with a receive() has both, so
     * that its messages can cross a process boundary (a job over several processes, where
     * the channel between two workers is a Kafka partition).
     * msg_encode: appends the payload of DATA message `msg` (msg.ptr; msg.aux is the
     * operator's tag - an operator with several payload kinds writes the kind into the
     * bytes) to `out` as bytes: little-endian (engine/core/state.h), a 1-byte format version
     * first. It does not free nor change the payload (the caller frees it). Runs on the
     * sending worker. 0, or SL_ENOMEM (out failed).
     * msg_decode: on the RECEIVING worker (ctx: its heap, worker index), rebuilds from `in`
     * (what msg_encode wrote, read to its end) the DATA message *out that receive() takes
     * exactly as if the original payload had arrived (aux: the tag the message was
     * addressed with). Bytes that do not fit (truncated, garbage, another format) are
     * SL_ECORRUPT naming the operator, never a crash: every length is bounds-checked, and
     * nothing is left allocated on an error. */
    int (*msg_encode)(const struct sl_op *op, struct sl_msg msg, struct sl_sbuf *out,
                      struct sl_error *err);
    int (*msg_decode)(struct sl_op *op, struct sl_worker_ctx *ctx, uint32_t aux,
                      struct sl_sread *in, struct sl_msg *out, struct sl_error *err);
    /* The input ended and every message has been received: emit what is left, then call
     * finish downstream. */
    int (*finish)(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err);
    /* A checkpoint's alignment has ended on this worker (ctx->aligning is false again), or the
     * worker starts (after a restore): sends what the operator kept back while it aligned.
     * NULL: it keeps nothing back (engine/ops/op_winagg.c and op_join.c do; the join also
     * sends them at its next call). */
    int (*resumed)(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err);
    /* Frees the operator and everything it owns (not `next`). */
    void (*free)(struct sl_op *op);
    /* Checkpoints: an operator either keeps no state across batches (stateless = true) or
     * has both functions; a job with checkpoints refuses any other.
     * save: appends the operator's state on this worker to `out` (engine/core/state.h). Called at
     * a consistent cut: after this worker's last pre-checkpoint batch and after every
     * message other workers sent before their own cut; nothing is in flight to it.
     * restore: the operator was just built, nothing was pushed yet: load what save wrote
     * (possibly by another process). SL_ECORRUPT for bytes that do not fit. */
    int (*save)(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                struct sl_error *err);
    int (*restore)(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                   struct sl_error *err);
    /* Optional: restore from a checkpoint taken at another worker count. in[0 .. nold - 1]
     * are what save wrote on each old worker (the callee reads each to its end); the
     * operator keeps its part: the key groups worker ctx->worker owns at ctx->nworkers
     * (sl_kg_range with ctx->kg_max), the splits it reads. Event time starts at the lowest
     * watermark of the old workers. NULL: the operator's state cannot be rescaled (the run
     * is refused, naming it). */
    int (*rescale)(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in, uint32_t nold,
                   struct sl_error *err);
    bool stateless;
    /* A snapshot may lack this operator's block (one taken before it kept state): restore
     * gets in = NULL then, and rescale an in[j] with p = NULL for such an old worker. */
    bool state_optional;
};

struct sl_op {
    const struct sl_op_ops *ops;
    struct sl_op *next;         /* downstream; NULL for the last operator (a sink) */
    const struct sl_plan *plan; /* the plan node it runs (NULL for drivers) */
    uint32_t tag;               /* the executor's id for message routing */
};

/* Helpers that forward to the next operator (NULL next: nothing to do). */
static inline int sl_op_push_next(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                                  struct sl_error *err)
{
    if (!op->next) {
        sl_batch_pool_put(b);
        return 0;
    }
    return op->next->ops->push(op->next, ctx, b, err);
}

static inline int sl_op_watermark_next(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                                       struct sl_error *err)
{
    return op->next ? op->next->ops->watermark(op->next, ctx, wm, err) : 0;
}

static inline int sl_op_finish_next(struct sl_op *op, struct sl_worker_ctx *ctx,
                                    struct sl_error *err)
{
    return op->next ? op->next->ops->finish(op->next, ctx, err) : 0;
}

/*
 * Sends `msg` to the instance of operator `op` (same tag) on worker `to` (which may be this
 * worker). Never loses a message: when the ring is full it serves this worker's own inbound
 * messages while it waits, so two workers sending to each other cannot deadlock. Ownership
 * of msg.ptr moves to the receiver.
 */
static inline int sl_op_send(struct sl_worker_ctx *ctx, const struct sl_op *op, int to,
                             struct sl_msg msg, struct sl_error *err)
{
    msg.aux = op->tag;
    if (ctx->send)
        return ctx->send(ctx, op, to, msg, err);
    if (to != ctx->worker)
        return sl_error_set(err, SL_EINVAL, "message to worker %d without an executor", to);
    return op->ops->receive((struct sl_op *)op, ctx, to, msg, err);
}

/*
 * Sets `err` to code and the message, positioned in the SQL file at `pos` (the operator's
 * plan node: op->plan->pos) when the worker has the SQL (ctx->sql), else without a position.
 * Returns code.
 */
int sl_op_error(const struct sl_worker_ctx *ctx, size_t pos, struct sl_error *err, int code,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
