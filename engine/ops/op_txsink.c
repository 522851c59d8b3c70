/*
 * engine/ops/op_txsink.c - the sink operator of a transactional sink, gathering to one
 * writer in a job over several processes (op_txsink.h says why and how).
 */
#include "engine/ops/op_txsink.h"

#include <stdlib.h>
#include <string.h>

#include "engine/ops/op_basic.h"
#include "engine/ops/rowcodec.h"

#define SL_TXS_STATE_V1 1
#define SL_TXS_MSG_V1 1

/* A DATA message: one batch's rows as sl_rowc_put_batch wrote them. */
struct sl_txs_msg {
    struct sl_msg_payload hdr;
    struct sl_sbuf bytes;
};

struct sl_op_txsink {
    struct sl_op op;
    struct sl_sink *sink;
    bool *finished;
    int writer; /* the global worker that writes, -1: every worker its own rows */
    int nworkers;
    struct sl_schema *schema; /* the sink's input: what a message decodes into */
    struct sl_batch_pool *pool;
    /* batches kept for the writer (while aligning, or restored), in order */
    struct sl_sbuf *kept;
    uint32_t nkept, capkept;
    bool local_done;  /* this worker's input ended */
    bool end_pending; /* its END waits for the alignment's end */
    bool started;     /* resumed() ran once */
    uint8_t *ended;   /* the writer: per worker, whether its END arrived */
};

static void sl_txs_msg_free(void *p)
{
    struct sl_txs_msg *m = p;
    sl_sbuf_free(&m->bytes);
    free(m);
}

static int sl_txs_oom(struct sl_op_txsink *s, const struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_op_error(ctx, s->op.plan->pos, err, SL_ENOMEM, "sink '%s': out of memory",
                       s->sink->table->name);
}

static bool sl_txs_gathers(const struct sl_op_txsink *s, const struct sl_worker_ctx *ctx)
{
    return s->writer >= 0 && ctx->worker != s->writer;
}

/* Writes `b` (this worker's or decoded) into the sink; b goes back to its pool. */
static int sl_txs_write(struct sl_op_txsink *s, struct sl_worker_ctx *ctx, struct sl_batch *b,
                        struct sl_error *err)
{
    return sl_sink_write_batch(s->sink, ctx, b, err);
}

/* Decodes encoded rows (what sl_rowc_put_batch wrote) and writes them. */
static int sl_txs_write_bytes(struct sl_op_txsink *s, struct sl_worker_ctx *ctx, const void *p,
                              size_t len, const char *what, struct sl_error *err)
{
    struct sl_batch *b = sl_batch_pool_get(s->pool);
    if (!b)
        return sl_txs_oom(s, ctx, err);
    struct sl_sread in;
    sl_sread_init(&in, p, len, what);
    int rc = sl_rowc_get_batch(&in, b, NULL, what, err);
    if (!rc)
        rc = sl_sread_end(&in, err);
    if (rc) {
        sl_batch_pool_put(b);
        return rc;
    }
    return sl_txs_write(s, ctx, b, err);
}

static int sl_txs_keep(struct sl_op_txsink *s, struct sl_sbuf *bytes)
{
    if (s->nkept == s->capkept) {
        uint32_t cap = s->capkept ? s->capkept * 2 : 8;
        struct sl_sbuf *k = realloc(s->kept, cap * sizeof(*k));
        if (!k)
            return SL_ENOMEM;
        s->kept = k;
        s->capkept = cap;
    }
    s->kept[s->nkept++] = *bytes;
    return 0;
}

static int sl_txs_send_bytes(struct sl_op_txsink *s, struct sl_worker_ctx *ctx,
                             struct sl_sbuf *bytes, struct sl_error *err)
{
    struct sl_txs_msg *m = malloc(sizeof(*m));
    if (!m) {
        sl_sbuf_free(bytes);
        return sl_txs_oom(s, ctx, err);
    }
    m->hdr.free_fn = sl_txs_msg_free;
    m->bytes = *bytes;
    return sl_op_send(ctx, &s->op, s->writer, (struct sl_msg){.kind = SL_MSG_DATA, .ptr = m}, err);
}

/* The writer: its output ends once every worker's input ended. */
static int sl_txs_maybe_finish(struct sl_op_txsink *s, struct sl_worker_ctx *ctx,
                               struct sl_error *err)
{
    if (*s->finished)
        return 0;
    for (int i = 0; i < s->nworkers; i++)
        if (!s->ended[i])
            return 0;
    int rc = s->sink->ops->flush(s->sink, ctx, err);
    *s->finished = true;
    return rc;
}

/* Outside an alignment: what was kept goes out in order (to the writer, or into the sink on
 * the worker that writes), then a pending END. */
static int sl_txs_release(struct sl_op_txsink *s, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    int rc = 0;
    uint32_t i = 0;
    for (; i < s->nkept && !rc; i++) {
        if (sl_txs_gathers(s, ctx)) {
            rc = sl_txs_send_bytes(s, ctx, &s->kept[i], err);
        } else {
            rc = sl_txs_write_bytes(s, ctx, s->kept[i].p, s->kept[i].len, "sink: kept rows", err);
            sl_sbuf_free(&s->kept[i]);
        }
    }
    for (uint32_t j = i; j < s->nkept; j++) /* after an error: freed, the run fails */
        sl_sbuf_free(&s->kept[j]);
    s->nkept = 0;
    if (rc || !s->end_pending)
        return rc;
    s->end_pending = false;
    return sl_op_send(ctx, &s->op, s->writer, (struct sl_msg){.kind = SL_MSG_END}, err);
}

static int sl_txs_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                       struct sl_error *err)
{
    struct sl_op_txsink *s = (struct sl_op_txsink *)op;
    if (!sl_txs_gathers(s, ctx))
        return sl_txs_write(s, ctx, b, err);
    if (!sl_batch_active(b)) {
        sl_batch_pool_put(b);
        return 0;
    }
    struct sl_sbuf bytes;
    sl_sbuf_init(&bytes);
    sl_rowc_put_batch(&bytes, b, NULL);
    sl_batch_pool_put(b);
    int rc = sl_sbuf_check(&bytes, err);
    if (rc) {
        sl_sbuf_free(&bytes);
        return rc;
    }
    if (ctx->aligning || s->nkept) { /* behind what waits: the order holds */
        if (sl_txs_keep(s, &bytes)) {
            sl_sbuf_free(&bytes);
            return sl_txs_oom(s, ctx, err);
        }
        return ctx->aligning ? 0 : sl_txs_release(s, ctx, err);
    }
    return sl_txs_send_bytes(s, ctx, &bytes, err);
}

static int sl_txs_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                            struct sl_error *err)
{
    struct sl_op_txsink *s = (struct sl_op_txsink *)op;
    return s->sink->ops->watermark ? s->sink->ops->watermark(s->sink, ctx, wm, err) : 0;
}

static int sl_txs_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_op_txsink *s = (struct sl_op_txsink *)op;
    s->local_done = true;
    if (s->writer < 0) {
        int rc = s->sink->ops->flush(s->sink, ctx, err);
        *s->finished = true;
        return rc;
    }
    if (!sl_txs_gathers(s, ctx)) {
        s->ended[ctx->worker] = 1;
        return sl_txs_maybe_finish(s, ctx, err);
    }
    /* another worker: its END follows its rows to the writer; its own output has ended */
    s->end_pending = true;
    *s->finished = true;
    return ctx->aligning ? 0 : sl_txs_release(s, ctx, err);
}

static int sl_txs_receive(struct sl_op *op, struct sl_worker_ctx *ctx, int from, struct sl_msg msg,
                          struct sl_error *err)
{
    struct sl_op_txsink *s = (struct sl_op_txsink *)op;
    struct sl_txs_msg *m = msg.kind == SL_MSG_DATA ? msg.ptr : NULL;
    int rc = 0;
    if (s->writer != ctx->worker || from < 0 || from >= s->nworkers ||
        (msg.kind != SL_MSG_DATA && msg.kind != SL_MSG_END))
        rc = sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                         "sink '%s': worker %d got a message of kind %u from worker %d, but "
                         "worker %d writes",
                         s->sink->table->name, ctx->worker, msg.kind, from, s->writer);
    else if (m)
        rc = sl_txs_write_bytes(s, ctx, m->bytes.p, m->bytes.len, "sink: rows from a worker", err);
    if (m)
        sl_txs_msg_free(m);
    if (rc || msg.kind != SL_MSG_END)
        return rc;
    s->ended[from] = 1; /* a repeated END (sent again after a restore) changes nothing */
    return sl_txs_maybe_finish(s, ctx, err);
}

static int sl_txs_resumed(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_op_txsink *s = (struct sl_op_txsink *)op;
    if (!s->started) { /* the start: an ended input says so again (the writer may be new) */
        s->started = true;
        if (s->local_done && sl_txs_gathers(s, ctx)) {
            s->end_pending = true;
            *s->finished = true; /* it may have been the writer, waiting for the others */
        }
        int rc = sl_txs_release(s, ctx, err);
        if (rc || s->writer != ctx->worker)
            return rc;
        /* the writer (perhaps another worker before): its output ends with everyone's ENDs,
         * which every ended worker sends again now, whatever the restored flag says */
        *s->finished = false;
        if (s->local_done)
            s->ended[ctx->worker] = 1;
        return sl_txs_maybe_finish(s, ctx, err);
    }
    return sl_txs_release(s, ctx, err);
}

/* ---- the message codec: 1 version, then the rows' bytes ---- */

static int sl_txs_msg_encode(const struct sl_op *op, struct sl_msg msg, struct sl_sbuf *out,
                             struct sl_error *err)
{
    (void)op;
    const struct sl_txs_msg *m = msg.ptr;
    sl_sbuf_put_u8(out, SL_TXS_MSG_V1);
    sl_sbuf_put(out, m->bytes.p, m->bytes.len);
    return sl_sbuf_check(out, err);
}

static int sl_txs_msg_decode(struct sl_op *op, struct sl_worker_ctx *ctx, uint32_t aux,
                             struct sl_sread *in, struct sl_msg *out, struct sl_error *err)
{
    struct sl_op_txsink *s = (struct sl_op_txsink *)op;
    uint8_t v;
    int rc = sl_sread_u8(in, &v, err);
    if (rc)
        return rc;
    if (v != SL_TXS_MSG_V1)
        return sl_sread_fail(in, err, "sink: a message of an unknown format");
    struct sl_txs_msg *m = malloc(sizeof(*m));
    if (!m)
        return sl_txs_oom(s, ctx, err);
    m->hdr.free_fn = sl_txs_msg_free;
    sl_sbuf_init(&m->bytes);
    size_t n = sl_sread_left(in);
    sl_sbuf_put(&m->bytes, in->p + in->off, n);
    in->off += n;
    if ((rc = sl_sbuf_check(&m->bytes, err)) != 0) {
        sl_txs_msg_free(m);
        return rc;
    }
    *out = (struct sl_msg){.kind = SL_MSG_DATA, .aux = aux, .ptr = m};
    return 0;
}

/* ---- checkpoints ---- */

static int sl_txs_save(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                       struct sl_error *err)
{
    (void)ctx;
    struct sl_op_txsink *s = (struct sl_op_txsink *)op;
    sl_sbuf_put_u8(out, SL_TXS_STATE_V1);
    sl_sbuf_put_u8(out, s->local_done);
    sl_sbuf_put_u32(out, s->nkept);
    for (uint32_t i = 0; i < s->nkept; i++) {
        if (s->kept[i].len > UINT32_MAX)
            return sl_error_set(err, SL_ERANGE, "sink '%s': a kept batch of %zu bytes",
                                s->sink->table->name, s->kept[i].len);
        sl_sbuf_put_bytes(out, s->kept[i].p, (uint32_t)s->kept[i].len);
    }
    return sl_sbuf_check(out, err);
}

/* Reads one worker's state; its kept batches are appended when `take`. */
static int sl_txs_load(struct sl_op_txsink *s, struct sl_worker_ctx *ctx, struct sl_sread *in,
                       bool take, bool *done, struct sl_error *err)
{
    uint8_t v, d;
    uint32_t n;
    int rc;
    if ((rc = sl_sread_u8(in, &v, err)) != 0)
        return rc;
    if (v != SL_TXS_STATE_V1)
        return sl_sread_fail(in, err, "sink: not a sink's state");
    if ((rc = sl_sread_u8(in, &d, err)) != 0 || (rc = sl_sread_count(in, &n, 4, err)) != 0)
        return rc;
    if (d > 1)
        return sl_sread_fail(in, err, "sink: a flag that is neither 0 nor 1");
    *done = d != 0;
    for (uint32_t i = 0; i < n; i++) {
        const void *p;
        uint32_t len;
        if ((rc = sl_sread_bytes(in, &p, &len, err)) != 0)
            return rc;
        if (!take)
            continue;
        struct sl_sbuf b;
        sl_sbuf_init(&b);
        sl_sbuf_put(&b, p, len);
        if (b.failed || sl_txs_keep(s, &b)) {
            sl_sbuf_free(&b);
            return sl_txs_oom(s, ctx, err);
        }
    }
    return 0;
}

static int sl_txs_restore(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                          struct sl_error *err)
{
    struct sl_op_txsink *s = (struct sl_op_txsink *)op;
    if (!in) { /* a snapshot without the block: nothing kept, ended if the pipeline had */
        s->local_done = *s->finished;
        return 0;
    }
    return sl_txs_load(s, ctx, in, true, &s->local_done, err);
}

static int sl_txs_rescale(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                          uint32_t nold, struct sl_error *err)
{
    struct sl_op_txsink *s = (struct sl_op_txsink *)op;
    bool take = ctx->worker == (s->writer >= 0 ? s->writer : 0);
    for (uint32_t j = 0; j < nold; j++) {
        bool done;
        int rc = in[j].p ? sl_txs_load(s, ctx, &in[j], take, &done, err) : 0;
        if (rc)
            return rc;
    }
    s->local_done = false; /* the pipelines finish again (coordinator.c) */
    return 0;
}

static void sl_txs_free(struct sl_op *op)
{
    struct sl_op_txsink *s = (struct sl_op_txsink *)op;
    for (uint32_t i = 0; i < s->nkept; i++)
        sl_sbuf_free(&s->kept[i]);
    free(s->kept);
    free(s->ended);
    if (s->pool)
        sl_batch_pool_free(s->pool);
    sl_schema_free(s->schema);
    free(s);
}

static const struct sl_op_ops sl_txs_ops = {
    .name = "sink",
    .push = sl_txs_push,
    .watermark = sl_txs_watermark,
    .receive = sl_txs_receive,
    .msg_encode = sl_txs_msg_encode,
    .msg_decode = sl_txs_msg_decode,
    .finish = sl_txs_finish,
    .resumed = sl_txs_resumed,
    .free = sl_txs_free,
    .save = sl_txs_save,
    .restore = sl_txs_restore,
    .rescale = sl_txs_rescale,
    .state_optional = true,
};

int sl_op_txsink_new(const struct sl_plan *node, struct sl_sink *sink, bool *finished, int writer,
                     const struct sl_worker_ctx *ctx, struct sl_op **out, struct sl_error *err)
{
    struct sl_op_txsink *s = calloc(1, sizeof(*s));
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    s->op.ops = &sl_txs_ops;
    s->op.plan = node;
    s->sink = sink;
    s->finished = finished;
    s->writer = writer;
    s->nworkers = ctx->nworkers;
    s->schema = sl_plan_rel_schema(&node->input->out);
    s->pool = s->schema ? sl_batch_pool_new(NULL, s->schema, 1) : NULL;
    s->ended = calloc((size_t)ctx->nworkers, 1);
    if (!s->schema || !s->pool || !s->ended) {
        sl_txs_free(&s->op);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    *out = &s->op;
    return 0;
}
