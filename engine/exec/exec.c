/*
 * engine/exec/exec.c - workers, pipelines, message routing (see exec.h).
 *
 * A pipeline is one INSERT: the plan from its streaming scan up to its sink, as a list of
 * nodes (scan first). Every worker builds its own chain of operators for it on its own
 * thread (so their memory comes from its heap), tagged pipeline-by-pipeline so that a
 * message names the operator it is for. Messages never block a sender: when the ring to a
 * worker is full they wait in the sender's own queue for that worker and go out, in order,
 * on a later turn of its loop - so two workers sending to each other cannot deadlock, and
 * no operator is re-entered while it sends.
 *
 * Checkpoint epochs (barriers, snapshots, restore, the coordinator) are coordinator.c; the
 * structures both files share are exec_int.h.
 */
#include "engine/exec/exec.h"

#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/datetime.h"
#include "engine/core/fault.h"
#include "engine/core/le.h"
#include "engine/core/log.h"
#include "engine/exec/exec_int.h"
#include "engine/ops/op_basic.h"
#include "engine/ops/op_groupagg.h"
#include "engine/ops/op_ijoin.h"
#include "engine/ops/op_join.h"
#include "engine/ops/op_late.h"
#include "engine/ops/op_lookup.h"
#include "engine/ops/op_over.h"
#include "engine/ops/op_proctime.h"
#include "engine/ops/op_rank.h"
#include "engine/ops/op_txsink.h"
#include "engine/ops/op_winagg.h"
#include "engine/ops/op_window.h"
#include "engine/sql/parser.h"

/* ---- messages ------------------------------------------------------------------------------ */

/*
 * The exchange codec's loopback (sl_exec_opts.exchange_codec): a DATA message for another
 * worker travels as its bytes, one allocation of the process heap with its own free_fn (so
 * that rings and queues free it like any payload); the receiver knows it by that free_fn.
 */
struct sl_exec_enc {
    struct sl_msg_payload hdr;
    size_t len;
    uint8_t bytes[];
};

static void sl_exec_enc_free(void *p)
{
    free(p);
}

/* The bytes of DATA message msg of operator op into a new encoded payload (*enc). The
 * original is left as it is (the caller frees it once the encoded one is sent). */
static int sl_exec_encode(struct sl_worker *w, const struct sl_op *op, struct sl_msg msg,
                          struct sl_exec_enc **enc, struct sl_error *err)
{
    if (!op->ops->msg_encode || !op->ops->msg_decode)
        return sl_error_set(err, SL_ENOTSUP, "operator '%s' has no message codec", op->ops->name);
    sl_sbuf_reset(&w->codec_buf);
    int rc = op->ops->msg_encode(op, msg, &w->codec_buf, err);
    if (rc)
        return rc;
    struct sl_exec_enc *e = malloc(sizeof(*e) + w->codec_buf.len);
    if (!e)
        return sl_error_set(err, SL_ENOMEM, "out of memory encoding a message");
    e->hdr.free_fn = sl_exec_enc_free;
    e->len = w->codec_buf.len;
    if (e->len)
        memcpy(e->bytes, w->codec_buf.p, e->len);
    w->codec_msgs++;
    w->codec_bytes += e->len;
    *enc = e;
    return 0;
}

/* An encoded message from worker `from` for operator op, decoded into *m (m->ptr is the
 * encoded payload; freed here either way). */
static int sl_exec_decode(struct sl_worker *w, int from, struct sl_op *op, struct sl_msg *m,
                          struct sl_error *err)
{
    struct sl_exec_enc *e = m->ptr;
    char what[160];
    snprintf(what, sizeof(what), "worker %d: a message from worker %d for operator '%s'", w->id,
             from, op->ops->name);
    struct sl_sread in;
    sl_sread_init(&in, e->bytes, e->len, what);
    struct sl_msg out = {0};
    int rc = op->ops->msg_decode
                 ? op->ops->msg_decode(op, &w->ctx, m->aux, &in, &out, err)
                 : sl_error_set(err, SL_ENOTSUP, "%s, which has no message codec", what);
    if (!rc && (rc = sl_sread_end(&in, err)) != 0) {
        struct sl_msg_payload *pl = out.ptr;
        pl->free_fn(pl);
    }
    sl_exec_enc_free(e);
    m->ptr = rc ? NULL : out.ptr;
    return rc;
}

int sl_exec_dispatch(struct sl_worker *w, int from, struct sl_msg m, struct sl_error *err)
{
    if (m.aux >= w->exec->ntags || !w->by_tag[m.aux] || !w->by_tag[m.aux]->ops->receive) {
        if (m.kind == SL_MSG_DATA && m.ptr)
            ((struct sl_msg_payload *)m.ptr)->free_fn(m.ptr);
        return sl_error_set(err, SL_ESTATE,
                            "worker %d: a message for operator %u, which "
                            "takes none",
                            w->gid, m.aux);
    }
    struct sl_op *op = w->by_tag[m.aux];
    if (m.kind == SL_MSG_DATA && m.ptr &&
        ((struct sl_msg_payload *)m.ptr)->free_fn == sl_exec_enc_free) {
        int drc = sl_exec_decode(w, from, op, &m, err);
        if (drc)
            return drc;
    }
    int rc = op->ops->receive(op, &w->ctx, from, m, err);
    sl_exec_account(w, w->exec->tag_pipe[m.aux]);
    return rc;
}

void sl_exec_account(struct sl_worker *w, uint32_t pipe)
{
    struct sl_worker_stats *st = &w->stats, *a = &w->acct;
    struct sl_pipe_stats *ps = &w->pstats[pipe];
    /* the worker's own counters: plain reads on the thread that writes them */
    if (st->rows_in != a->rows_in || st->bytes_in != a->bytes_in ||
        st->bad_records != a->bad_records) {
        sl_stats_add(&ps->rows_in, st->rows_in - a->rows_in);
        sl_stats_add(&ps->bytes_in, st->bytes_in - a->bytes_in);
        sl_stats_add(&ps->bad_records, st->bad_records - a->bad_records);
        a->rows_in = st->rows_in;
        a->bytes_in = st->bytes_in;
        a->bad_records = st->bad_records;
    }
    if (st->rows_out != a->rows_out || st->bytes_out != a->bytes_out ||
        st->late_rows != a->late_rows) {
        sl_stats_add(&ps->rows_out, st->rows_out - a->rows_out);
        sl_stats_add(&ps->bytes_out, st->bytes_out - a->bytes_out);
        sl_stats_add(&ps->late_rows, st->late_rows - a->late_rows);
        a->rows_out = st->rows_out;
        a->bytes_out = st->bytes_out;
        a->late_rows = st->late_rows;
    }
}

/* ---- the channel to other processes (a job over several processes; docs/scaling.md) ----- */

static bool sl_exec_is_local(const struct sl_exec *x, int g)
{
    return g >= x->base && g < x->base + x->n;
}

/*
 * A DATA message larger than SL_CHAN_FRAG bytes encoded (a window's partials can take
 * megabytes) crosses in fragments of at most that size, each a channel record of its own
 * with SL_CHAN_MORE in aux on every one but the last: Kafka caps a record
 * (message.max.bytes, about 1 MB by default, on the producer and the broker). One sender's
 * records to one destination stay in order, so the receiver appends a sender's fragments
 * until the last one and decodes the whole.
 */
#define SL_CHAN_FRAG (512u * 1024u) /* sl_exec_opts.cluster_fragment's default */
#define SL_CHAN_MORE 0x80000000u

/* Puts msg into the channel to remote global worker `to`: DATA as its operator's
 * msg_encode writes it (the operator of tag msg.aux, which decodes it on the receiver), any
 * other kind as its 8-byte number. 0 (a DATA payload is freed), SL_EFULL (not all of it was
 * sent: msg stays the caller's, err untouched; a fragmented message's remaining fragments
 * wait in chan_out[to] and the next call with the same msg goes on from there), or an
 * error. */
static int sl_chan_put(struct sl_worker *w, int to, struct sl_msg msg, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    struct sl_chan_out *o = &w->chan_out[to];
    int rc;
    struct sl_error e = {0};
    if (msg.kind != SL_MSG_DATA) {
        uint8_t num[8];
        sl_le_put64(num, (uint64_t)msg.num);
        rc = sl_kchan_send(x->chan, to, w->gid, msg.kind, msg.aux, num, sizeof(num), &e);
        if (rc == SL_EFULL) {
            w->chan_full++;
            return SL_EFULL;
        }
        if (rc) {
            *err = e;
            return rc;
        }
        w->chan_sent++;
        w->chan_sent_bytes += sizeof(num);
        return 0;
    }
    if (!o->active) { /* encode it (a message that met a full queue is encoded already) */
        struct sl_op *op = msg.aux < x->ntags ? w->by_tag[msg.aux] : NULL;
        if (!op || !op->ops->msg_encode || !op->ops->msg_decode)
            return sl_error_set(err, SL_ENOTSUP,
                                "worker %d: a message for operator '%s' to worker %d of another "
                                "process: the operator has no message codec",
                                w->gid, op ? op->ops->name : "?", to);
        sl_sbuf_reset(&o->buf);
        if ((rc = op->ops->msg_encode(op, msg, &o->buf, err)) != 0)
            return rc;
        if (o->buf.failed)
            return sl_error_set(err, SL_ENOMEM, "out of memory encoding a message");
        o->off = 0;
        o->active = true;
    }
    do {
        size_t n = o->buf.len - o->off;
        uint32_t aux = msg.aux;
        size_t frag = x->opts->cluster_fragment ? x->opts->cluster_fragment : SL_CHAN_FRAG;
        if (n > frag) {
            n = frag;
            aux |= SL_CHAN_MORE;
        }
        rc = sl_kchan_send(x->chan, to, w->gid, SL_MSG_DATA, aux, o->buf.p + o->off, n, &e);
        if (rc == SL_EFULL) {
            w->chan_full++;
            return SL_EFULL;
        }
        if (rc) {
            o->active = false;
            *err = e;
            return rc;
        }
        o->off += n;
        w->chan_sent_bytes += n;
    } while (o->off < o->buf.len);
    o->active = false;
    w->chan_sent++;
    w->chan_frags +=
        o->buf.len > (x->opts->cluster_fragment ? x->opts->cluster_fragment : SL_CHAN_FRAG);
    if (msg.ptr)
        ((struct sl_msg_payload *)msg.ptr)->free_fn(msg.ptr);
    return 0;
}

/* A message from remote sender `from` as the channel gave it, decoded into *m: DATA through
 * the target operator's msg_decode on this worker (its heap), others from their number. */
static int sl_chan_decode(struct sl_worker *w, const struct sl_kchan_msg *km, struct sl_msg *m,
                          struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    *m = (struct sl_msg){.kind = km->kind, .aux = km->aux};
    if (km->kind != SL_MSG_DATA) {
        if (km->len != 8)
            return sl_error_set(err, SL_ECORRUPT,
                                "Kafka channel topic '%s' partition %d offset %lld: a message "
                                "of kind %u from worker %d of %zu bytes (8 expected)",
                                x->assign.topic, w->gid, (long long)km->offset, km->kind,
                                km->sender, km->len);
        m->num = (int64_t)sl_le_get64(km->bytes);
        return 0;
    }
    struct sl_op *op = km->aux < x->ntags ? w->by_tag[km->aux] : NULL;
    if (!op || !op->ops->msg_decode || !op->ops->receive)
        return sl_error_set(err, SL_ECORRUPT,
                            "Kafka channel topic '%s' partition %d offset %lld: a message from "
                            "worker %d for operator %u, which takes none",
                            x->assign.topic, w->gid, (long long)km->offset, km->sender, km->aux);
    char what[192];
    snprintf(what, sizeof(what),
             "Kafka channel topic '%.80s' partition %d offset %lld: a message from worker %d for "
             "operator '%s'",
             x->assign.topic, w->gid, (long long)km->offset, km->sender, op->ops->name);
    struct sl_sread in;
    sl_sread_init(&in, km->bytes, km->len, what);
    int rc = op->ops->msg_decode(op, &w->ctx, km->aux, &in, m, err);
    if (!rc && (rc = sl_sread_end(&in, err)) != 0) {
        struct sl_msg_payload *pl = m->ptr;
        pl->free_fn(pl);
        m->ptr = NULL;
    }
    return rc;
}

/* One message from global worker `from` (a ring's or the channel's): a barrier goes to the
 * coordinator, anything else to its operator. */
static int sl_serve_one(struct sl_worker *w, int from, struct sl_msg m, struct sl_error *err)
{
    if (m.kind == SL_MSG_BARRIER)
        return sl_coordinator_barrier(w, from, (uint64_t)m.num, err);
    return sl_exec_dispatch(w, from, m, err);
}

/* Serves what the channel holds for this worker: first the held messages of senders no
 * longer blocked (in their order, until a barrier blocks one again), then up to a few
 * hundred new ones; a message of a blocked sender, or of one with held messages, is held. */
static int sl_serve_channel(struct sl_worker *w, bool *got, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    int rc;
    struct sl_msg m;
    for (int from = 0; w->held.nheld && from < x->nall; from++)
        while (!(w->ck_blocked && w->ck_blocked[from]) && sl_holdback_take(&w->held, from, &m)) {
            *got = true;
            if ((rc = sl_serve_one(w, from, m, err)) != 0)
                return rc;
        }
    struct sl_kchan_msg km[64];
    for (int round = 0; round < 4; round++) {
        int n = sl_kchan_poll(x->chan, w->gid, km, 64, err);
        if (n < 0)
            return n;
        for (int i = 0; i < n; i++) {
            *got = true;
            int from = km[i].sender;
            if (from < 0 || from >= x->nall || sl_exec_is_local(x, from))
                return sl_error_set(err, SL_ECORRUPT,
                                    "Kafka channel topic '%s' partition %d offset %lld: a "
                                    "message from worker %d, which is not another process's",
                                    x->assign.topic, w->gid, (long long)km[i].offset, from);
            w->chan_recv_bytes += km[i].len;
            struct sl_sbuf *in = &w->chan_in[from];
            if (km[i].kind == SL_MSG_DATA && (km[i].aux & SL_CHAN_MORE)) {
                sl_sbuf_put(in, km[i].bytes, km[i].len); /* a fragment: the rest follows */
                if (in->failed)
                    return sl_error_set(err, SL_ENOMEM, "out of memory receiving a message");
                continue;
            }
            struct sl_kchan_msg whole = km[i];
            if (in->len) { /* the last fragment */
                if (whole.kind != SL_MSG_DATA)
                    return sl_error_set(err, SL_ECORRUPT,
                                        "Kafka channel topic '%s' partition %d offset %lld: a "
                                        "message of kind %u from worker %d after an unfinished "
                                        "fragmented one",
                                        x->assign.topic, w->gid, (long long)whole.offset,
                                        whole.kind, from);
                sl_sbuf_put(in, whole.bytes, whole.len);
                if (in->failed)
                    return sl_error_set(err, SL_ENOMEM, "out of memory receiving a message");
                whole.bytes = in->p;
                whole.len = in->len;
            }
            rc = sl_chan_decode(w, &whole, &m, err);
            sl_sbuf_reset(in);
            if (rc)
                return rc;
            w->chan_recv++;
            bool held = false;
            rc = sl_holdback_offer(&w->held, from, w->ck_blocked && w->ck_blocked[from], m, &held,
                                   err);
            if (rc) {
                if (m.kind == SL_MSG_DATA && m.ptr)
                    ((struct sl_msg_payload *)m.ptr)->free_fn(m.ptr);
                return rc;
            }
            if (!held && (rc = sl_serve_one(w, from, m, err)) != 0)
                return rc;
        }
        if (n < 64)
            break;
    }
    return 0;
}

/* Serves the messages waiting for this worker; *got says whether there were any. A sender
 * whose checkpoint barrier arrived is not read again until this worker's snapshot. */
static int sl_serve_inbound(struct sl_worker *w, bool *got, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    for (int lfrom = 0; lfrom < x->n; lfrom++) {
        int from = x->base + lfrom;
        if (w->ck_blocked && w->ck_blocked[from])
            continue;
        struct sl_ring *r = x->rings[lfrom * x->n + w->id];
        struct sl_msg m;
        for (int k = 0; k < 256 && sl_ring_pop(r, &m); k++) {
            *got = true;
            int rc;
            if (m.kind == SL_MSG_BARRIER) {
                rc = sl_coordinator_barrier(w, from, (uint64_t)m.num, err);
                if (rc)
                    return rc;
                break;
            }
            rc = sl_exec_dispatch(w, from, m, err);
            if (rc)
                return rc;
        }
    }
    return x->chan ? sl_serve_channel(w, got, err) : 0;
}

/* Moves queued messages into their rings (or the channel) while there is room. */
static int sl_flush_pending(struct sl_worker *w, bool *left, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    for (int to = 0; to < x->nall; to++) {
        struct sl_pending *p = &w->pending[to];
        if (!p->len)
            continue;
        if (!sl_exec_is_local(x, to)) {
            while (p->len) {
                int rc = sl_chan_put(w, to, p->msgs[p->head], err);
                if (rc == SL_EFULL)
                    break;
                if (rc)
                    return rc;
                p->head = (p->head + 1) % p->cap;
                p->len--;
            }
            if (p->len) {
                *left = true;
                struct sl_error e = {0};
                int rc = sl_kchan_poll_sends(x->chan, &e); /* room comes with the reports */
                if (rc) {
                    *err = e;
                    return rc;
                }
            }
            continue;
        }
        int lto = to - x->base;
        struct sl_ring *r = x->rings[w->id * x->n + lto];
        uint32_t before = p->len;
        while (p->len && sl_ring_push(r, p->msgs[p->head])) {
            p->head = (p->head + 1) % p->cap;
            p->len--;
        }
        if (p->len != before && lto != w->id)
            sl_wake_notify(&x->workers[lto].wake);
        if (p->len)
            *left = true;
    }
    return 0;
}

/* Sends msg to global worker `to`: through the ring to a local one, the channel to another
 * process's, or this worker's queue for it when full. */
int sl_exec_send_raw(struct sl_worker *w, int to, struct sl_msg msg, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    struct sl_pending *p = &w->pending[to];
    if (!sl_exec_is_local(x, to)) {
        if (p->len == 0) {
            int rc = sl_chan_put(w, to, msg, err);
            if (rc != SL_EFULL)
                return rc;
        }
        return sl_msgq_push(p, msg, err);
    }
    int lto = to - x->base;
    if (p->len == 0 && sl_ring_push(x->rings[w->id * x->n + lto], msg)) {
        if (lto != w->id)
            sl_wake_notify(&x->workers[lto].wake);
        return 0;
    }
    return sl_msgq_push(p, msg, err);
}

/* The workers' sl_worker_ctx.send: through the ring to worker `to` (msg.aux is the
 * operator's tag). */
static int sl_exec_send(struct sl_worker_ctx *ctx, const struct sl_op *op, int to,
                        struct sl_msg msg, struct sl_error *err)
{
    struct sl_worker *w = ctx->runner;
    struct sl_exec *x = w->exec;
    if (to < 0 || to >= x->nall)
        return sl_error_set(err, SL_EINVAL, "message to worker %d of %d", to, x->nall);
    if (w->ck_epoch && to != w->gid)
        /* while aligning, only received messages run operators: a send now would carry
         * pre-checkpoint input behind this worker's barrier, i.e. into the next epoch */
        return sl_error_set(err, SL_ENOTSUP,
                            "operator '%s' sent a message while a checkpoint was aligning (an "
                            "exchange of more than one hop): such pipelines cannot take "
                            "checkpoints yet",
                            op->ops->name);
    if (!x->opts->exchange_codec || to == w->gid || msg.kind != SL_MSG_DATA ||
        !sl_exec_is_local(x, to)) /* to another process: the channel encodes it */
        return sl_exec_send_raw(w, to, msg, err);
    /* the loopback: the bytes go; the original stays the caller's until they are sent */
    struct sl_exec_enc *e = NULL;
    int rc = sl_exec_encode(w, op, msg, &e, err);
    if (rc)
        return rc;
    void *orig = msg.ptr;
    msg.ptr = e;
    if ((rc = sl_exec_send_raw(w, to, msg, err)) != 0) {
        sl_exec_enc_free(e);
        return rc;
    }
    ((struct sl_msg_payload *)orig)->free_fn(orig);
    return 0;
}

/* ---- pipelines ----------------------------------------------------------------------------- */

static void sl_expr_cols(const struct sl_expr *e, bool *need, uint32_t n)
{
    if (e->kind == SL_EXPR_COL && e->col >= 0 && (uint32_t)e->col < n)
        need[e->col] = true;
    for (uint32_t i = 0; i < e->nargs; i++)
        sl_expr_cols(e->args[i], need, n);
}

/*
 * Projection pushdown: which output columns of every node the rest of the pipeline reads,
 * into p->need[i] (node i's out rel; need[0] is the scan's). Walks from the sink down: a
 * node's needed outputs give its needed inputs. 0, or SL_ENOMEM.
 */
static int sl_pipe_needed(struct sl_pipe *p, const bool *top_need)
{
    p->need = calloc(p->nnodes, sizeof(*p->need));
    if (!p->need)
        return SL_ENOMEM;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        p->need[i] = calloc(p->nodes[i]->out.ncols ? p->nodes[i]->out.ncols : 1, sizeof(bool));
        if (!p->need[i])
            return SL_ENOMEM;
    }
    if (top_need) /* a segment: what the join reads of its right input */
        memcpy(p->need[p->nnodes - 1], top_need, p->nodes[p->nnodes - 1]->out.ncols * sizeof(bool));
    for (uint32_t i = p->nnodes - 1; i >= 1; i--) {
        const struct sl_plan *node = p->nodes[i];
        uint32_t nin = node->input->out.ncols, nout = node->out.ncols;
        const bool *need = p->need[i];
        bool *in = p->need[i - 1];
        switch (node->kind) {
        case SL_PLAN_SINK:
        case SL_PLAN_AGG: /* keys and aggregate inputs are all its input */
            for (uint32_t c = 0; c < nin; c++)
                in[c] = true;
            break;
        case SL_PLAN_PROJECT:
            for (uint32_t c = 0; c < nout && c < node->project.nexprs; c++)
                if (need[c])
                    sl_expr_cols(node->project.exprs[c], in, nin);
            break;
        case SL_PLAN_FILTER:
            memcpy(in, need, nin * sizeof(*in));
            sl_expr_cols(node->filter.pred, in, nin);
            break;
        case SL_PLAN_WATERMARK:
            memcpy(in, need, nin * sizeof(*in));
            in[node->watermark.rowtime] = true;
            break;
        case SL_PLAN_WINDOW: /* the input columns, then window_start / end / time */
            memcpy(in, need, nin * sizeof(*in));
            in[node->window.time_col] = true;
            break;
        case SL_PLAN_LOOKUP_JOIN: /* the probe columns, then the table's */
            memcpy(in, need, nin * sizeof(*in));
            if (node->lookup.probe_expr)
                sl_expr_cols(node->lookup.probe_expr, in, nin);
            else
                in[node->lookup.probe_col] = true;
            break;
        case SL_PLAN_OVER: /* the input's columns, then the aggregates' */
            memcpy(in, need, nin * sizeof(*in));
            for (uint32_t k = 0; k < node->over.npart; k++)
                in[node->over.part[k]] = true;
            in[node->over.time_col] = true;
            for (uint32_t k = 0; k < node->over.naggs; k++)
                if (node->over.aggs[k].col >= 0)
                    in[node->over.aggs[k].col] = true;
            break;
        case SL_PLAN_JOIN:           /* the left's columns come first; the keys are always read */
            if (node->join.residual) /* an outer join's ON reads them: stored (both sides) */
                sl_expr_cols(node->join.residual, p->need[i], nout);
            memcpy(in, need, nin * sizeof(*in));
            for (uint32_t k = 0; k < node->join.nkeys; k++)
                in[node->join.lkeys[k]] = true;
            if (node->join.interval) /* and an interval join's time */
                in[node->join.ltime] = true;
            break;
        default: /* anything else: keep every column */
            for (uint32_t c = 0; c < nin; c++)
                in[c] = true;
        }
    }
    return 0;
}

/* The joins in the plan under p (each adds a segment). */
static uint32_t sl_plan_njoins(const struct sl_plan *p)
{
    uint32_t n = 0;
    for (; p; p = p->input)
        if (p->kind == SL_PLAN_JOIN)
            n += 1 + sl_plan_njoins(p->join.right);
    return n;
}

/* Sets up x->pipes[idx] for the chain under `sink` (an INSERT's sink, or a join's right
 * input when into_pipe >= 0, with top_need what the join reads of it), then a segment for
 * every join on it (x->nsegs counts the pipes set up). */
static int sl_pipe_init(struct sl_exec *x, const struct sl_plan *sink, uint32_t idx, int into_pipe,
                        uint32_t into_node, const bool *top_need, struct sl_error *err)
{
    struct sl_pipe *p = &x->pipes[idx];
    p->into_pipe = into_pipe;
    p->into_node = into_node;
    p->share = -1;
    uint32_t n = 0;
    for (const struct sl_plan *q = sink; q; q = q->input)
        n++;
    p->nodes = calloc(n, sizeof(*p->nodes));
    if (!p->nodes)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    p->nnodes = n;
    uint32_t i = n;
    for (const struct sl_plan *q = sink; q; q = q->input)
        p->nodes[--i] = q;
    if (p->nodes[0]->kind != SL_PLAN_SCAN)
        return sl_error_set(err, SL_ESTATE, "a pipeline without a scan");
    p->tag_base = x->ntags;
    x->ntags += n;
    int rc = 0;
    for (uint32_t j = 0; x->reuse_source && j < x->npipes && p->share < 0; j++)
        if (j != idx && x->pipes[j].source && x->pipes[j].share < 0 &&
            x->pipes[j].nodes[0]->scan.table == p->nodes[0]->scan.table) {
            uint32_t *f = realloc(x->pipes[j].follow, (x->pipes[j].nfollow + 1) * sizeof(*f));
            if (!f)
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            f[x->pipes[j].nfollow++] = idx;
            x->pipes[j].follow = f;
            p->share = (int)j;
            p->source = x->pipes[j].source;
        }
    if (p->share < 0 &&
        (rc = sl_source_open(p->nodes[0]->scan.table, &x->env, x->nall, &p->source, err)))
        return rc;
    if (into_pipe < 0 &&
        (rc = sl_sink_open(sink->sink.table, &x->env, x->nall, &p->sink, err)) != 0)
        return rc;
    for (uint32_t k = 1; k < n; k++) { /* a late-data side output: its sink joins the pipeline's */
        if (p->nodes[k]->kind != SL_PLAN_LATE)
            continue;
        if (into_pipe >= 0)
            return sl_error_set(err, SL_ENOTSUP,
                                "table '%s': a late-data side output ('sluice.late-data.sink') "
                                "on the right input of a join is not supported",
                                p->nodes[0]->scan.table->name);
        struct sl_sink *late = NULL;
        if ((rc = sl_sink_open(p->nodes[k]->late.table, &x->env, x->nall, &late, err)) != 0)
            return rc;
        if (!(p->sink = sl_late_tee_new(p->sink, late)))
            return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    int64_t rate = 0; /* 'scan.rate-limit' (engine/exec/livecfg.h) */
    if ((rc = sl_livecfg_table_rate(x->job, p->nodes[0]->scan.table, &rate, err)) != 0)
        return rc;
    sl_rate_init(&p->rate, rate);
    p->rate_init = true;
    p->scan_schema = sl_plan_rel_schema(&p->nodes[0]->out);
    if (!p->scan_schema)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if ((n > 1 || top_need) && sl_pipe_needed(p, top_need))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (uint32_t k = 1; k < n; k++) {
        const struct sl_plan *j = p->nodes[k];
        if (j->kind != SL_PLAN_JOIN)
            continue;
        uint32_t nl = j->input->out.ncols, nr = j->join.right->out.ncols;
        bool *rneed = calloc(nr ? nr : 1, sizeof(*rneed));
        if (!rneed)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        for (uint32_t c = 0; c < nr; c++)
            rneed[c] = !p->need || p->need[k][nl + c];
        for (uint32_t kk = 0; kk < j->join.nkeys; kk++)
            rneed[j->join.rkeys[kk]] = true;
        if (j->join.interval)
            rneed[j->join.rtime] = true;
        uint32_t seg = x->nsegs++;
        rc = sl_pipe_init(x, j->join.right, seg, (int)idx, k, rneed, err);
        free(rneed);
        if (rc)
            return rc;
        p = &x->pipes[idx];
    }
    return 0;
}

/* Projection pushdown, once every pipeline is set up: each source produces the columns any
 * pipeline reading it needs. */
static int sl_exec_prune_sources(struct sl_exec *x, struct sl_error *err)
{
    for (uint32_t i = 0; i < x->npipes; i++) {
        struct sl_pipe *p = &x->pipes[i];
        if (p->share >= 0 || !p->source->ops->prune || !p->need)
            continue;
        uint32_t nc = p->nodes[0]->out.ncols;
        bool *need = malloc(nc ? nc : 1);
        if (!need)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        memcpy(need, p->need[0], nc);
        bool all = false;
        for (uint32_t k = 0; k < p->nfollow; k++) {
            const struct sl_pipe *f = &x->pipes[p->follow[k]];
            all |= !f->need;
            for (uint32_t c = 0; f->need && c < nc; c++)
                need[c] |= f->need[0][c];
        }
        if (!all)
            p->source->ops->prune(p->source, need, nc);
        free(need);
    }
    return 0;
}

static void sl_pipe_free(struct sl_pipe *p)
{
    free(p->follow);
    if (p->source && p->share < 0)
        p->source->ops->free(p->source);
    if (p->sink)
        p->sink->ops->free(p->sink);
    sl_schema_free(p->scan_schema);
    if (p->rate_init)
        sl_rate_destroy(&p->rate);
    if (p->need)
        for (uint32_t i = 0; i < p->nnodes; i++)
            free(p->need[i]);
    free(p->need);
    free(p->nodes);
}

/* Builds worker w's operators for pipeline p (on w's thread). */
static int sl_wpipe_build(struct sl_worker *w, struct sl_pipe *p, struct sl_wpipe *wp,
                          struct sl_error *err)
{
    struct sl_worker_ctx *ctx = &w->ctx;
    wp->ops = calloc(p->nnodes, sizeof(*wp->ops));
    if (!wp->ops)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    wp->pool = sl_batch_pool_new(ctx->heap, p->scan_schema, 4);
    if (!wp->pool)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (uint32_t i = 1; i < p->nnodes; i++) {
        const struct sl_plan *node = p->nodes[i];
        struct sl_op *op = NULL;
        int rc;
        switch (node->kind) {
        case SL_PLAN_PROJECT:
            rc = sl_op_project_new(node, ctx, &op, err);
            break;
        case SL_PLAN_FILTER:
            rc = sl_op_filter_new(node, ctx, &op, err);
            break;
        case SL_PLAN_WATERMARK: {
            if (node->watermark.proctime) {
                rc = sl_op_proctime_new(node, &op, err);
                wp->ptwm = op;
                break;
            }
            int32_t ids[SL_MAX_SPLITS];
            uint32_t nsplits = 0;
            rc = p->source->ops->splits(p->source, w->gid, ids, SL_MAX_SPLITS, &nsplits);
            if (rc) {
                sl_error_set(err, rc, "table '%s': more than %d splits per worker",
                             p->nodes[0]->scan.table->name, SL_MAX_SPLITS);
                break;
            }
            rc = sl_op_watermark_new(node, ctx, ids, nsplits, atomic_load(&w->exec->idle_ms), &op,
                                     err);
            wp->wm = op;
            break;
        }
        case SL_PLAN_WINDOW:
            rc = sl_op_window_new(node, ctx, &op, err);
            if (!rc && p->need)
                sl_op_window_prune(op, p->need[i]);
            break;
        case SL_PLAN_AGG:
            if (node->agg.window_start < 0) /* unbounded: updates (op_groupagg.h) */
                rc = sl_op_groupagg_new(node, w->exec->env.job, ctx, &op, err);
            else
                rc = sl_op_winagg_new(node, ctx, &op, err);
            break;
        case SL_PLAN_LOOKUP_JOIN:
            rc = sl_op_lookup_new(node, &w->exec->env, ctx->heap, &op, err);
            break;
        case SL_PLAN_SINK: /* a transactional one keeps rows while aligning, may gather */
            if (w->exec->ck && p->sink->ops->resolve)
                rc = sl_op_txsink_new(node, p->sink, &wp->finished, w->exec->txn_writer, ctx, &op,
                                      err);
            else
                rc = sl_op_sink_new(node, p->sink, &wp->finished, &op, err);
            break;
        case SL_PLAN_LATE:
            rc = sl_op_late_new(node, ctx, sl_late_tee_side(p->sink), &op, err);
            break;
        case SL_PLAN_JOIN:
            if (node->join.interval) { /* engine/ops/op_ijoin.h */
                rc = sl_op_ijoin_new(node, ctx, &op, err);
                if (!rc && p->need)
                    sl_op_ijoin_prune(op, p->need[i]);
                break;
            }
            rc = sl_op_join_new(node, w->exec->env.job, ctx, &op, err);
            if (!rc && p->need)
                sl_op_join_prune(op, p->need[i]);
            break;
        case SL_PLAN_RANK: /* Top-N, deduplication: updates (op_rank.h) */
            rc = sl_op_rank_new(node, w->exec->env.job, ctx, &op, err);
            break;
        case SL_PLAN_OVER: /* OVER aggregates: append-only (op_over.h) */
            rc = sl_op_over_new(node, ctx, &op, err);
            if (!rc && p->need)
                sl_op_over_prune(op, p->need[i]);
            break;
        default:
            rc = sl_error_set(err, SL_ENOTSUP, "plan node %d cannot run here", node->kind);
        }
        if (!rc && w->exec->ck && !op->ops->stateless && (!op->ops->save || !op->ops->restore)) {
            const char *name = op->ops->name;
            op->ops->free(op);
            rc = sl_error_set(err, SL_ENOTSUP, "operator '%s' cannot take part in checkpoints",
                              name);
        }
        if (!rc && (w->exec->opts->exchange_codec || w->exec->chan) && op->ops->receive &&
            (!op->ops->msg_encode || !op->ops->msg_decode)) {
            const char *name = op->ops->name;
            op->ops->free(op);
            rc = sl_error_set(err, SL_ENOTSUP,
                              "operator '%s' exchanges messages but has no message codec", name);
        }
        if (rc)
            return rc;
        op->tag = p->tag_base + i;
        wp->ops[i] = op;
        w->by_tag[op->tag] = op;
        if (i > 1)
            wp->ops[i - 1]->next = op;
    }
    wp->first = p->nnodes > 1 ? wp->ops[1] : NULL;
    if (p->into_pipe >= 0) { /* a segment ends in its join's right input (built before it) */
        struct sl_op *jop = w->wp[p->into_pipe].ops[p->into_node];
        struct sl_op *port =
            jop->plan->join.interval ? sl_op_ijoin_right(jop) : sl_op_join_right(jop);
        if (p->nnodes > 1)
            wp->ops[p->nnodes - 1]->next = port;
        else
            wp->first = port;
    }
    return 0;
}

static void sl_wpipe_free(struct sl_pipe *p, struct sl_wpipe *wp)
{
    if (wp->ops)
        for (uint32_t i = 1; i < p->nnodes; i++)
            if (wp->ops[i])
                wp->ops[i]->ops->free(wp->ops[i]);
    free(wp->ops);
    sl_batch_pool_free(wp->pool);
}

/* ---- workers ------------------------------------------------------------------------------- */

static uint64_t sl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(SL_BENCH_SLOWDOWN) && SL_BENCH_SLOWDOWN > 0
/*
 * Calibration builds only (CMake -DSLUICE_BENCH_SLOWDOWN=PCT; absent from normal builds):
 * about PCT percent more work per source row, so that `sluice bench ab` can be shown to
 * find a slowdown of known size (bench/gate_calibration.sh). Four independent chains of
 * one-cycle operations: about 6 instructions an iteration at an IPC near the engine's own,
 * so that instructions and wall time grow alike. SL_SLOW_ITERS_X10 is iterations per row
 * and percent, times 10, measured on nexmark/q1/gen (about 2,000 instructions an event).
 */
#define SL_SLOW_ITERS_X10 31
static void sl_bench_slowdown(uint64_t rows)
{
    uint64_t n = rows * SL_BENCH_SLOWDOWN * SL_SLOW_ITERS_X10 / 10;
    uint64_t a = rows, b = 1, c = 2, d = 3;
    for (uint64_t i = 0; i < n; i++) {
        a += i;
        b += a;
        c ^= i;
        d ^= c;
        __asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d));
    }
    __asm__ volatile("" : : "r"(a ^ b ^ c ^ d));
}
#endif

/* A source's split or worker end, as the pipeline reading it sees it. */
static int sl_worker_source_events(struct sl_worker *w, struct sl_pipe *p, struct sl_wpipe *wp,
                                   const struct sl_source_info *info, bool *busy,
                                   struct sl_error *err)
{
    int rc = 0;
    if (wp->source_done || wp->finished)
        return 0;
    if (info->split_done && wp->wm) {
        *busy = true;
        rc = sl_op_watermark_split_done(wp->wm, &w->ctx, info->split, err);
        if (rc)
            return rc;
    }
    if (info->worker_done) {
        *busy = true;
        wp->source_done = true;
        rc = wp->first->ops->watermark(wp->first, &w->ctx, INT64_MAX, err);
        if (!rc)
            rc = wp->first->ops->finish(wp->first, &w->ctx, err);
        if (p->into_pipe >= 0) /* a segment is done when its join has its input's end */
            wp->finished = true;
    }
    return rc;
}

/* Source reuse: a copy of the polled batch `b` - the columns pipeline `f` reads, with the
 * row kinds and the selection - into f's chain. */
static int sl_worker_feed(struct sl_worker *w, uint32_t f, const struct sl_batch *b,
                          struct sl_error *err)
{
    struct sl_pipe *p = &w->exec->pipes[f];
    struct sl_wpipe *wp = &w->wp[f];
    if (wp->source_done || wp->finished)
        return 0;
    struct sl_batch *c = sl_batch_pool_get(wp->pool);
    if (!c)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    uint32_t n = b->rows;
    for (uint32_t k = 0; k < c->ncols && k < b->ncols; k++) {
        if (p->need && !p->need[0][k])
            continue;
        const struct sl_column *from = &b->cols[k];
        struct sl_column *to = &c->cols[k];
        if (from->valid && to->valid)
            memcpy(to->valid, from->valid, SL_VALID_WORDS(SL_BATCH_CAP) * sizeof(uint64_t));
        if (to->type.id != SL_TYPE_VARCHAR) {
            memcpy(to->data, from->data, (size_t)n * sl_type_width(to->type.id));
            continue;
        }
        const sl_str *fs = (const sl_str *)from->data;
        sl_str *ts = sl_col_str(to);
        for (uint32_t r = 0; r < n; r++) {
            /* a NULL's slot may hold anything (a pooled batch's old value): not read */
            if (from->valid && !sl_valid_get(from->valid, r))
                ts[r] = sl_str_make("", 0);
            else if (fs[r].len > SL_STR_INLINE_MAX)
                ts[r] = sl_batch_str(c, sl_str_data(&fs[r]), fs[r].len);
            else
                ts[r] = fs[r];
            if (!sl_str_ok(ts[r])) {
                sl_batch_pool_put(c);
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            }
        }
    }
    if (b->kind)
        memcpy(sl_batch_kinds(c), b->kind, n);
    if (b->sel) {
        sl_sel_t *sel = sl_batch_sel_next(c);
        memcpy(sel, b->sel, (size_t)b->nsel * sizeof(*sel));
        sl_batch_sel_commit(c, sel, b->nsel);
    }
    c->rows = n;
    int rc = wp->first->ops->push(wp->first, &w->ctx, c, err);
    sl_exec_account(w, f);
    return rc;
}

/* One poll of pipeline p's source on worker w (and, with source reuse, a copy of the batch
 * into each pipeline that reads it); *busy when rows came or the state changed. */
static int sl_worker_poll(struct sl_worker *w, struct sl_pipe *p, struct sl_wpipe *wp,
                          int timeout_ms, bool *busy, struct sl_error *err)
{
    struct sl_batch *b = sl_batch_pool_get(wp->pool);
    if (!b)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    struct sl_source_info info = {0};
    /* a rate limit: as many rows as there are tokens, else sleep until there are */
    bool limited = atomic_load_explicit(&p->rate.rate, memory_order_relaxed) > 0;
    uint32_t taken = 0;
    if (limited) {
        int64_t wake = 0;
        if (!(taken = sl_rate_take(&p->rate, SL_BATCH_CAP, sl_wake_now_ns(), &wake))) {
            sl_batch_pool_put(b);
            wp->wake_ns = wake;
            return 0;
        }
        w->ctx.poll_max = taken;
    }
    int rc = p->source->ops->poll(p->source, &w->ctx, b, timeout_ms, &info, err);
    w->ctx.poll_max = 0;
    if (limited)
        sl_rate_settle(&p->rate, taken, b->rows);
    if (rc) {
        sl_batch_pool_put(b);
        return rc;
    }
    wp->wake_ns = b->rows ? 0 : info.wake_ns;
    if (b->rows) {
        *busy = true; /* the source counted the rows (rows_in) */
        w->ctx.split = info.split;
        if (w->ctx.on_emit) /* latency: sinks written during this push date from now */
            w->ctx.ingest_ns = sl_now_ns();
#if defined(SL_BENCH_SLOWDOWN) && SL_BENCH_SLOWDOWN > 0
        sl_bench_slowdown(b->rows);
#endif
        /* the pipelines that reuse this source first, each with a copy (the chain below
         * takes b) */
        if (p->nfollow) /* the source's rows are this pipeline's (metrics) */
            sl_exec_account(w, (uint32_t)(p - w->exec->pipes));
        for (uint32_t k = 0; k < p->nfollow && !rc; k++)
            rc = sl_worker_feed(w, p->follow[k], b, err);
        if (!rc)
            rc = wp->first->ops->push(wp->first, &w->ctx, b, err);
        else
            sl_batch_pool_put(b);
        w->ctx.ingest_ns = 0;
        if (rc)
            return rc;
    } else {
        sl_batch_pool_put(b);
    }
    for (uint32_t k = 0; k <= p->nfollow && !rc; k++) {
        uint32_t i = k ? p->follow[k - 1] : (uint32_t)(p - w->exec->pipes);
        rc = sl_worker_source_events(w, &w->exec->pipes[i], &w->wp[i], &info, busy, err);
    }
    return rc;
}

/* ---- sleeping when idle ----------------------------------------------------------------------
 *
 * A worker that found nothing to do in a turn - no message, no rows, no checkpoint step -
 * sleeps on its struct sl_wake (engine/core/wake.h) instead of spinning, until one of:
 *   - a message in one of its rings (the sender wakes it),
 *   - rows from a source that wakes it itself (set_waker: Kafka's queue callback),
 *   - the time a source said its next rows are due (info.wake_ns: a paced generator),
 *   - 1 ms, for a source that can do neither,
 *   - the next idle-timeout watermark tick, when the table has one,
 *   - a checkpoint request, the final epoch, a stop or a failure (the coordinator and the
 *     monitor wake every worker), and at the latest 100 ms (a stop from a signal handler is
 *     seen by then even if the monitor's wake-up were missed).
 */

#define SL_PARK_MAX_NS (100 * 1000000LL)
#define SL_PARK_UNHINTED_NS (1000000LL)

void sl_exec_wake_all(struct sl_exec *x)
{
    for (int i = 0; i < x->n; i++)
        sl_wake_notify(&x->workers[i].wake);
}

static void sl_worker_wake_cb(void *arg)
{
    sl_wake_signal(arg);
}

/* The second look after sl_wake_prepare: true when there is something to do after all. */
static bool sl_worker_has_work(struct sl_worker *w, bool stop)
{
    struct sl_exec *x = w->exec;
    if (stop || atomic_load_explicit(&x->failed, memory_order_relaxed))
        return true;
    for (int from = 0; from < x->n; from++)
        if ((!w->ck_blocked || !w->ck_blocked[x->base + from]) &&
            sl_ring_count(x->rings[from * x->n + w->id]) > 0)
            return true;
    /* the channel's input wakes the worker through its waker (sl_kchan_set_waker); held
     * messages of a sender no longer blocked are work */
    for (int from = 0; w->held.nheld && from < x->nall; from++)
        if (sl_holdback_has(&w->held, from) && (!w->ck_blocked || !w->ck_blocked[from]))
            return true;
    if (x->ck && !w->ck_epoch) {
        if (atomic_load(&x->ck_shutdown))
            return true;
        if (atomic_load_explicit(&x->ck_req, memory_order_acquire) > w->ck_done)
            return true;
    }
    return false;
}

/* Sleeps until there may be work (see above). `tick_ns`: the idle-timeout tick period, or
 * 0 when no watermark needs ticks. */
static void sl_worker_park(struct sl_worker *w, bool stop, int64_t tick_ns)
{
    struct sl_exec *x = w->exec;
    int64_t now = sl_wake_now_ns();
    int64_t deadline = now + SL_PARK_MAX_NS;
    if (!stop && !w->ck_epoch) {
        for (uint32_t i = 0; i < x->npipes; i++) {
            struct sl_wpipe *wp = &w->wp[i];
            if (wp->finished || wp->source_done || x->pipes[i].share >= 0)
                continue;
            int64_t due = wp->wake_ns;
            if (due <= 0 && !x->pipes[i].source->ops->set_waker)
                due = now + SL_PARK_UNHINTED_NS;
            if (due > 0 && due < deadline)
                deadline = due;
        }
        if (tick_ns > 0 && w->last_tick_ns + tick_ns < deadline)
            deadline = w->last_tick_ns + tick_ns;
    }
    if (deadline <= now)
        return;
    sl_wake_prepare(&w->wake);
    if (sl_worker_has_work(w, stop)) {
        sl_wake_cancel(&w->wake);
        return;
    }
    sl_wake_wait(&w->wake, deadline);
}

/* After a checkpoint's alignment, and once at the start of a job with checkpoints (a restored
 * operator may hold what the alignment kept back): every operator's ops->resumed. */
static int sl_worker_resumed(struct sl_worker *w, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    for (uint32_t i = 0; i < x->npipes; i++)
        for (uint32_t k = 1; k < x->pipes[i].nnodes; k++) {
            struct sl_op *op = w->wp[i].ops[k];
            int rc = op && op->ops->resumed ? op->ops->resumed(op, &w->ctx, err) : 0;
            if (rc)
                return rc;
        }
    return 0;
}

/* The tick period: idle-timeout ticks a tenth of the timeout, between 1 ms and 100 ms;
 * processing-time windows (the wall clock is their watermark) tick also without rows. */
static int64_t sl_worker_tick_ns(struct sl_worker *w, bool any_wm, int64_t idle_ms)
{
    int64_t tick_ns = 0;
    if (any_wm && idle_ms > 0) {
        tick_ns = idle_ms * 100000LL;
        tick_ns = tick_ns < 1000000LL        ? 1000000LL
                  : tick_ns > SL_PARK_MAX_NS ? SL_PARK_MAX_NS
                                             : tick_ns;
    }
    bool any_pt = false;
    for (uint32_t i = 0; i < w->exec->npipes; i++)
        any_pt |= w->wp[i].ptwm != NULL;
    if (any_pt && (tick_ns == 0 || tick_ns > SL_PROCTIME_TICK_NS))
        tick_ns = SL_PROCTIME_TICK_NS;
    return tick_ns;
}

static int sl_worker_loop(struct sl_worker *w)
{
    struct sl_exec *x = w->exec;
    struct sl_error *err = &w->err;
    int idle_turns = 0;
    bool any_wm = false;
    for (uint32_t i = 0; i < x->npipes; i++) {
        any_wm |= w->wp[i].wm != NULL;
        if (x->pipes[i].share < 0 && x->pipes[i].source->ops->set_waker)
            x->pipes[i].source->ops->set_waker(x->pipes[i].source, w->gid, sl_worker_wake_cb,
                                               &w->wake);
        if (x->pipes[i].sink && x->pipes[i].sink->ops->set_waker)
            x->pipes[i].sink->ops->set_waker(x->pipes[i].sink, w->gid, sl_worker_wake_cb, &w->wake);
    }
    if (x->chan)
        sl_kchan_set_waker(x->chan, w->gid, sl_worker_wake_cb, &w->wake);
    int64_t idle_ms = atomic_load(&x->idle_ms);
    int64_t tick_ns = sl_worker_tick_ns(w, any_wm, idle_ms);
    w->last_tick_ns = sl_wake_now_ns();
    if (x->ck && !w->ck_epoch) {
        int rc = sl_worker_resumed(w, err);
        if (rc)
            return rc;
    }
    for (;;) {
        if (atomic_load_explicit(&x->failed, memory_order_relaxed))
            return 0;
        /* with metrics, busy turns add up to the worker's busy time */
        int64_t t_turn = x->opts->metrics ? sl_wake_now_ns() : 0;
        bool stop = x->opts->stop && atomic_load_explicit(x->opts->stop, memory_order_relaxed);
        bool busy = false, left = false;
        int rc;
        if (x->ck && !w->ck_epoch && !atomic_load(&x->ck_shutdown)) {
            uint64_t req = atomic_load_explicit(&x->ck_req, memory_order_acquire);
            if (req > w->ck_done && (rc = sl_coordinator_begin(w, req, err)) != 0)
                return rc;
        }
        int64_t idle_now = atomic_load_explicit(&x->idle_ms, memory_order_relaxed);
        if (idle_now != idle_ms) { /* a live change of the idle timeout (livecfg.c) */
            idle_ms = idle_now;
            for (uint32_t i = 0; i < x->npipes; i++)
                if (w->wp[i].wm)
                    sl_op_watermark_set_idle(w->wp[i].wm, idle_ms);
            tick_ns = sl_worker_tick_ns(w, any_wm, idle_ms);
        }
        if ((rc = sl_flush_pending(w, &left, err)) != 0)
            return rc;
        rc = sl_serve_inbound(w, &busy, err);
        if (rc)
            return rc;
        if (w->ck_epoch && w->ck_nbar == x->nall - 1) {
            /* messages to itself sent before the cut are still in its own ring or queue */
            if ((rc = sl_coordinator_drain_self(w, err)) != 0)
                return rc;
            sl_coordinator_snapshot(w);
            busy = true;
            if ((rc = sl_worker_resumed(w, err)) != 0)
                return rc;
        }
        bool all_finished = true;
        for (uint32_t i = 0; i < x->npipes; i++) {
            struct sl_wpipe *wp = &w->wp[i];
            if (wp->finished)
                continue;
            all_finished = false;
            if (stop || w->ck_epoch) /* stopped, or aligning a checkpoint: no input */
                continue;
            if (!wp->source_done && x->pipes[i].share < 0) { /* a reuser is fed */
                rc = sl_worker_poll(w, &x->pipes[i], wp, 0, &busy, err);
                sl_exec_account(w, i);
                if (rc)
                    return rc;
            }
        }
        /* delivery reports: served as they come (their wake-up ends a park), not only at
         * the next write, so that a sink error and a delivery's time are seen at once */
        for (uint32_t i = 0; i < x->npipes; i++) {
            if (!w->wp[i].finished && x->pipes[i].sink && x->pipes[i].sink->ops->poll &&
                (rc = x->pipes[i].sink->ops->poll(x->pipes[i].sink, &w->ctx, err)) != 0)
                return rc;
            sl_exec_account(w, i);
        }
        if (tick_ns > 0 && !busy) {
            int64_t now = sl_wake_now_ns();
            if (now - w->last_tick_ns >= tick_ns) {
                w->last_tick_ns = now;
                for (uint32_t i = 0; i < x->npipes; i++) {
                    struct sl_wpipe *wp = &w->wp[i];
                    if (wp->wm && !wp->finished && !stop && !w->ck_epoch &&
                        (rc = sl_op_watermark_tick(wp->wm, &w->ctx, err)) != 0)
                        return rc;
                    if (wp->ptwm && !wp->finished && !wp->source_done && !stop && !w->ck_epoch &&
                        (rc = sl_op_proctime_tick(wp->ptwm, &w->ctx, err)) != 0)
                        return rc;
                    sl_exec_account(w, i);
                }
            }
        }
        if (x->ck) {
            /* with checkpoints a worker leaves only after the final epoch committed (it
             * takes part in every epoch until then, finished or stopped) */
            if (all_finished && !left)
                atomic_store(&w->input_ended, 1);
            if ((all_finished && !left) || stop)
                atomic_store(&w->idle_done, 1);
            if (atomic_load(&x->ck_shutdown) && !w->ck_epoch && !left)
                return 0;
        } else if (stop) {
            /* cancelled: flush what the sinks have and leave */
            for (uint32_t i = 0; i < x->npipes; i++) {
                if (!w->wp[i].finished && x->pipes[i].sink)
                    x->pipes[i].sink->ops->flush(x->pipes[i].sink, &w->ctx, err);
                sl_exec_account(w, i);
            }
            return 0;
        } else if (all_finished && !left) {
            return 0;
        }
        if (busy) {
            idle_turns = 0;
            if (t_turn)
                sl_stats_add(&w->busy_ns, (uint64_t)(sl_wake_now_ns() - t_turn));
        } else if (left) {
            /* a ring to another worker is full: that worker is busy draining it */
            sched_yield();
        } else if (++idle_turns > 1) {
            /* a whole turn found nothing: sleep until something arrives */
            sl_worker_park(w, stop, tick_ns);
        }
    }
}

static void *sl_worker_main(void *arg)
{
    struct sl_worker *w = arg;
    struct sl_exec *x = w->exec;
    if (x->opts->pin && x->topo && x->ncores > 0) {
        hwloc_obj_t core =
            hwloc_get_obj_by_type(x->topo, HWLOC_OBJ_CORE, (unsigned)(w->id % x->ncores));
        if (core)
            hwloc_set_cpubind(x->topo, core->cpuset, HWLOC_CPUBIND_THREAD);
    }
    w->ctx.heap = sl_heap_new();
    if (!w->ctx.heap) {
        w->rc = sl_error_set(&w->err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < x->npipes && !w->rc; i++)
        w->rc = sl_wpipe_build(w, &x->pipes[i], &w->wp[i], &w->err);
    if (!w->rc && x->rescaled)
        w->rc = sl_coordinator_rescale(w, &w->err); /* every old worker's state stays */
    else if (!w->rc && x->ck && sl_ckpt_restored_state(x->ck, w->id))
        w->rc = sl_coordinator_restore(w, sl_ckpt_restored_state(x->ck, w->id), &w->err);
    if (x->ck && !x->rescaled)
        sl_ckpt_drop_restored(x->ck, w->id);
    w->restored_at = sl_exec_wall();
    if (w->rc)
        atomic_store(&x->failed, 1);
    atomic_fetch_add(&x->nrestored, 1);
    while (atomic_load(&x->gate) && !atomic_load(&x->failed)) {
        struct timespec ts = {0, 200 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!w->rc && !atomic_load(&x->failed))
        w->rc = sl_worker_loop(w);
    /* no more wake-ups from the sources' threads: the wake goes away with the run */
    for (uint32_t i = 0; i < x->npipes; i++)
        if (x->pipes[i].share < 0 && x->pipes[i].source->ops->set_waker)
            x->pipes[i].source->ops->set_waker(x->pipes[i].source, w->gid, NULL, NULL);
    for (uint32_t i = 0; i < x->npipes; i++)
        if (x->pipes[i].sink && x->pipes[i].sink->ops->set_waker)
            x->pipes[i].sink->ops->set_waker(x->pipes[i].sink, w->gid, NULL, NULL);
    if (x->chan)
        sl_kchan_set_waker(x->chan, w->gid, NULL, NULL);
out:
    if (w->rc) {
        atomic_store(&x->failed, 1);
        sl_exec_wake_all(x); /* the others stop at their next turn */
    }
    /* the worker's operators and heap go with it: a mimalloc heap is deleted by its thread */
    for (uint32_t i = 0; i < x->npipes; i++)
        sl_wpipe_free(&x->pipes[i], &w->wp[i]);
    memset(w->wp, 0, x->npipes * sizeof(*w->wp));
    sl_heap_free(w->ctx.heap);
    w->ctx.heap = NULL;
    w->end = sl_exec_wall();
    atomic_store(&w->done, 1);
    return NULL;
}

/* ---- the run ------------------------------------------------------------------------------- */

/* The machine as this process may use it: hwloc's topology restricted to the cpuset the
 * process is bound to (taskset, a cgroup's cpuset), so that the core count and the workers'
 * pinning stay within it. */
static int sl_exec_topo_load(hwloc_topology_t t)
{
    if (hwloc_topology_set_flags(t, HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM |
                                        HWLOC_TOPOLOGY_FLAG_RESTRICT_TO_CPUBINDING) != 0)
        return -1;
    return hwloc_topology_load(t);
}

int sl_exec_default_workers(void)
{
    hwloc_topology_t t;
    if (hwloc_topology_init(&t) != 0)
        return 1;
    int n = 1;
    if (sl_exec_topo_load(t) == 0) {
        int c = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
        if (c > 0)
            n = c;
    }
    hwloc_topology_destroy(t);
    return n;
}

double sl_exec_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double sl_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static void sl_progress(struct sl_exec *x, double t0, bool last)
{
    uint64_t in = 0, out = 0, late = 0;
    int64_t wm = INT64_MAX;
    for (int i = 0; i < x->n; i++) {
        in += __atomic_load_n(&x->workers[i].stats.rows_in, __ATOMIC_RELAXED);
        out += __atomic_load_n(&x->workers[i].stats.rows_out, __ATOMIC_RELAXED);
        late += __atomic_load_n(&x->workers[i].stats.late_rows, __ATOMIC_RELAXED);
        int64_t w = __atomic_load_n(&x->workers[i].stats.watermark, __ATOMIC_RELAXED);
        if (w < wm)
            wm = w;
    }
    double dt = sl_exec_wall() - t0;
    char wmbuf[96] = "-";
    if (wm != INT64_MIN && wm != INT64_MAX) {
        /* event-time lag: how far the slowest worker's watermark is behind the clock */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        double lag = (double)now.tv_sec - (double)wm / 1000.0 + now.tv_nsec * 1e-9;
        size_t k = sl_dt_format(wmbuf, wm, SL_DT_SQL) - 4; /* to the second */
        snprintf(wmbuf + k, sizeof(wmbuf) - k, " (lag %.1f s)", lag);
    }
    if (!sl_log_enabled(SL_LOG_INFO)) /* 'sluice.log.level' */
        return;
    fprintf(stderr,
            "\r\033[Ksluice: %.1fs  in %llu (%.2f M/s)  out %llu  late %llu  watermark %s%s", dt,
            (unsigned long long)in, dt > 0 ? in / dt / 1e6 : 0.0, (unsigned long long)out,
            (unsigned long long)late, wmbuf, last ? "\n" : "");
}

/* The checkpoint's hooks for transactional sinks (struct sl_ckpt_opts): each sink that has
 * the op, in pipeline order. */
static int sl_exec_txn_precommit(void *arg, uint64_t epoch, struct sl_error *err)
{
    struct sl_exec *x = arg;
    int rc = 0;
    for (uint32_t i = 0; i < x->npipes && !rc; i++)
        if (x->pipes[i].sink && x->pipes[i].sink->ops->precommit)
            rc = x->pipes[i].sink->ops->precommit(x->pipes[i].sink, epoch, err);
    return rc;
}

static int sl_exec_txn_commit(void *arg, uint64_t epoch, struct sl_error *err)
{
    struct sl_exec *x = arg;
    int rc = 0;
    for (uint32_t i = 0; i < x->npipes && !rc; i++)
        if (x->pipes[i].sink && x->pipes[i].sink->ops->commit_txn)
            rc = x->pipes[i].sink->ops->commit_txn(x->pipes[i].sink, epoch, err);
    return rc;
}

/* An exactly-once Kafka table ('sink.delivery-guarantee' = 'exactly-once'). */
static bool sl_exec_table_txn(const struct sl_table *t)
{
    const char *g = sl_table_option(t, "sink.delivery-guarantee");
    return t->connector && g && !strcasecmp(g, "exactly-once") &&
           (!strcmp(t->connector, "kafka") || !strcmp(t->connector, "upsert-kafka"));
}

/* Whether the job writes an exactly-once Kafka table: as a sink or a late-data side output
 * (*late). */
static bool sl_exec_job_txn(const struct sl_job *job, bool *late)
{
    bool any = false;
    *late = false;
    for (uint32_t i = 0; i < job->ninserts; i++)
        for (const struct sl_plan *q = job->inserts[i]; q; q = q->input) {
            if (q->kind == SL_PLAN_SINK && sl_exec_table_txn(q->sink.table))
                any = true;
            if (q->kind == SL_PLAN_LATE && sl_exec_table_txn(q->late.table))
                any = *late = true;
        }
    return any;
}

/* Before the pipelines exist (--cluster auto settles the epoch record first): each
 * exactly-once table's sink opened for the resolve alone (init_transactions fences every
 * older producer of the job's ids), then closed. */
static int sl_exec_txn_resolve_tables(struct sl_exec *x, uint64_t epoch, bool *committed,
                                      struct sl_error *err)
{
    for (uint32_t i = 0; i < x->job->ninserts; i++) {
        const struct sl_plan *q = x->job->inserts[i];
        if (q->kind != SL_PLAN_SINK || !sl_exec_table_txn(q->sink.table))
            continue;
        struct sl_sink *sk = NULL;
        int rc = sl_sink_open(q->sink.table, &x->env, 1, &sk, err);
        bool c = true;
        if (!rc && sk->ops->resolve)
            rc = sk->ops->resolve(sk, epoch, &c, err);
        if (sk)
            sk->ops->free(sk);
        if (rc)
            return rc;
        *committed &= c;
    }
    return 0;
}

/* Committed only if every transactional sink says so (they share one transaction). */
static int sl_exec_txn_resolve(void *arg, uint64_t epoch, bool *committed, struct sl_error *err)
{
    struct sl_exec *x = arg;
    *committed = true;
    bool built = false;
    for (uint32_t i = 0; i < x->npipes; i++)
        built |= x->pipes[i].sink != NULL;
    if (!built)
        return sl_exec_txn_resolve_tables(x, epoch, committed, err);
    for (uint32_t i = 0; i < x->npipes; i++) {
        struct sl_sink *sk = x->pipes[i].sink;
        bool c = true;
        if (sk && sk->ops->resolve) {
            int rc = sk->ops->resolve(sk, epoch, &c, err);
            if (rc)
                return rc;
        }
        *committed &= c;
    }
    return 0;
}

/* The commit store of the run, for the job's state layout (x->ck). */
static int sl_exec_ckpt_open(struct sl_exec *x, const struct sl_ckpt_opts *co, struct sl_error *err)
{
    char *layout = sl_coordinator_layout(x->job);
    if (!layout)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int rc = sl_ckpt_open(co, x->n, layout, &x->ck, err);
    free(layout);
    return rc;
}

/* One run of the executor: the whole job, or (--cluster auto, ca) one generation of it. */
static int sl_exec_run_gen(const struct sl_job *job, const struct sl_exec_opts *opts,
                           struct sl_cauto *ca, struct sl_exec_summary *sum, struct sl_error *err)
{
    struct sl_exec *x = calloc(1, sizeof(*x));
    if (!x)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int rc = 0;
    x->job = job;
    x->opts = opts;
    x->n = opts->workers > 0 ? opts->workers : sl_exec_default_workers();
    x->nall = x->n;
    if (ca) { /* --cluster auto: W and the range come with the assignment (ccluster.c) */
        if (!opts->ckpt || !opts->ckpt->zk || !opts->live || !opts->cluster_brokers ||
            opts->cluster_workers) {
            free(x);
            return sl_error_set(err, SL_EINVAL,
                                "--cluster auto needs --zk, --state-dir and --cluster-brokers "
                                "(and no --cluster W:LO)");
        }
        x->cl_ckpt = true;
        x->cl_auto = ca;
    }
    if (opts->cluster_workers > 0) { /* a job over several processes (docs/cluster.md) */
        int n = x->n;
        if (opts->cluster_lo < 0 || n > opts->cluster_workers - opts->cluster_lo) {
            free(x);
            return sl_error_set(err, SL_EINVAL,
                                "--cluster %d:%d with %d workers: this process's workers [%d, "
                                "%d) are not within the job's %d",
                                opts->cluster_workers, opts->cluster_lo, n, opts->cluster_lo,
                                opts->cluster_lo + n, opts->cluster_workers);
        }
        if (opts->ckpt && (!opts->ckpt->zk || !opts->live)) {
            free(x);
            return sl_error_set(err, SL_ENOTSUP,
                                "--cluster: checkpoints of a job over several processes need "
                                "ZooKeeper (--zk), where the leader and the members meet");
        }
        x->cl_ckpt = opts->ckpt != NULL;
        if (!opts->cluster_brokers || (!opts->cluster_topic && !x->cl_ckpt)) {
            free(x);
            return sl_error_set(err, SL_EINVAL, "--cluster needs the channel's brokers and topic");
        }
        if (opts->cluster_topic) /* with checkpoints, the assignment names the topic */
            snprintf(x->assign.topic, sizeof(x->assign.topic), "%s", opts->cluster_topic);
        x->nall = opts->cluster_workers;
        x->base = opts->cluster_lo;
    }
    x->env.sql = job->file->src;
    x->env.brokers = opts->brokers;
    x->env.kafka_props = opts->kafka_props;
    x->env.nkafka_props = opts->nkafka_props;
    x->env.print_out = opts->print_out ? opts->print_out : stdout;
    x->env.stop = opts->stop;
    x->env.job = job;
    x->env.checkpoints = opts->ckpt != NULL;
    x->env.source_open = sl_source_open;
    x->env.on_delivered = opts->on_delivered;
    x->env.on_delivered_arg = opts->on_delivered_arg;
    x->env.shared = &x->shared;
    x->env.worker_lo = x->base;
    x->env.worker_hi = x->base + x->n;
    x->env.cluster = opts->cluster_workers > 0 ? opts->cluster_workers : 0;
    struct sl_coordinator cc = {0};
    double restore_ms = 0, restore_t0 = 0;
    const char *idle = sl_job_setting(job, "table.exec.source.idle-timeout");
    if (idle) {
        atomic_store(&x->idle_ms, sl_setting_duration_ms(idle));
        if (atomic_load(&x->idle_ms) < 0) {
            rc = sl_error_set(err, SL_EINVAL,
                              "SET 'table.exec.source.idle-timeout' = '%s': "
                              "not a duration (e.g. '5 s', '500 ms')",
                              idle);
            goto out;
        }
    }
    /* key groups (engine/core/keygroup.h): the job's, or a restored epoch's (below) */
    uint32_t kg_set = 0;
    const char *kgs = sl_job_setting(job, "pipeline.max-parallelism");
    if (kgs) {
        char *end = NULL;
        long v = strtol(kgs, &end, 10);
        if (!end || *end || v < 1 || v > (long)SL_KG_MAX) {
            rc = sl_error_set(err, SL_EINVAL,
                              "SET 'pipeline.max-parallelism' = '%s': an integer from 1 to %u", kgs,
                              SL_KG_MAX);
            goto out;
        }
        kg_set = (uint32_t)v;
    }
    x->kg_max = kg_set ? kg_set : SL_KG_DEFAULT;
    if ((uint32_t)x->nall > x->kg_max) {
        rc = sl_error_set(err, SL_EINVAL,
                          "%d workers but %u key groups ('pipeline.max-parallelism'): a job "
                          "runs on at most as many workers as it has key groups",
                          x->nall, x->kg_max);
        goto out;
    }
    if (opts->pin && hwloc_topology_init(&x->topo) == 0) {
        if (sl_exec_topo_load(x->topo) == 0)
            x->ncores = hwloc_get_nbobjs_by_type(x->topo, HWLOC_OBJ_CORE);
    }
    x->npipes = job->ninserts;
    for (uint32_t i = 0; i < job->ninserts; i++)
        x->npipes += sl_plan_njoins(job->inserts[i]);
    x->nsegs = job->ninserts;
    x->pipes = calloc(x->npipes, sizeof(*x->pipes));
    x->workers = calloc((size_t)x->n, sizeof(*x->workers));
    x->rings = calloc((size_t)x->n * (size_t)x->n, sizeof(*x->rings));
    if (!x->pipes || !x->workers || !x->rings) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    struct sl_ckpt_opts co = {0};
    if (opts->ckpt) {
        co = *opts->ckpt;
        co.stop = opts->stop; /* a standby's wait ends on SIGINT / SIGTERM */
        co.kg_max = kg_set;
        if (x->cl_ckpt) {
            co.cluster_workers = x->nall;
            co.cluster_lo = x->base;
        }
        if (co.interval_ms <= 0) {
            const char *iv = sl_job_setting(job, "execution.checkpointing.interval");
            co.interval_ms = iv ? sl_setting_duration_ms(iv) : 1000;
            if (co.interval_ms <= 0) {
                rc = sl_error_set(err, SL_EINVAL,
                                  "SET 'execution.checkpointing.interval' = "
                                  "'%s': not a positive duration (e.g. '1 s')",
                                  iv);
                goto out;
            }
        }
        x->env.job_id = co.job;
        x->env.checkpoint_interval_ms = co.interval_ms;
        x->env.zk = co.zk;
        x->env.zk_session_ms = co.zk_session_ms;
    }
    x->txn_writer = -1;
    if (opts->ckpt) {
        bool late_txn = false;
        x->txn = sl_exec_job_txn(job, &late_txn);
        if (x->txn && late_txn && (opts->cluster_workers || ca)) {
            /* the late rows are written where they are found, not gathered to the writer */
            rc = sl_error_set(err, SL_ENOTSUP,
                              "an exactly-once Kafka table as a late-data side output "
                              "('sluice.late-data.sink') in a job over several processes "
                              "(--cluster) is not built yet: use 'at-least-once' for it, or "
                              "run the job in one process");
            goto out;
        }
        if (x->txn && co.tolerable_failures > 0) {
            rc = sl_error_set(err, SL_EINVAL,
                              "SET 'execution.checkpointing.tolerable-failed-checkpoints' = "
                              "'%d': an exactly-once Kafka sink needs 0 (a failed epoch "
                              "fails the job, which resumes from the last committed epoch: "
                              "its open transaction cannot be carried into the next one)",
                              co.tolerable_failures);
            goto out;
        }
        if (x->txn) { /* --cluster auto's leader resolves before the pipelines exist */
            co.precommit = sl_exec_txn_precommit;
            co.commit_txn = sl_exec_txn_commit;
            co.resolve = sl_exec_txn_resolve;
            co.txn_arg = x;
        }
    }
    if (ca) {
        /* the store first (its latch says who leads), then the assignment, which fixes W
         * and this process's range before the pipelines are built for them; the store's
         * range is a placeholder until then */
        co.cluster_workers = x->n;
        co.cluster_lo = 0;
        if ((rc = sl_exec_ckpt_open(x, &co, err)) || (rc = sl_ccluster_auto_setup(x, err)))
            goto out;
        x->env.worker_lo = x->base;
        x->env.worker_hi = x->base + x->n;
        x->env.cluster = x->nall;
    }
    const char *reuse = sl_job_setting(job, "table.optimizer.reuse-source-enabled");
    x->reuse_source = !reuse || strcasecmp(reuse, "false") != 0;
    for (uint32_t i = 0; i < job->ninserts && !rc; i++)
        rc = sl_pipe_init(x, job->inserts[i], i, -1, 0, NULL, err);
    if (!rc)
        rc = sl_exec_prune_sources(x, err);
    if (rc)
        goto out;
    x->tag_pipe = calloc(x->ntags ? x->ntags : 1, sizeof(*x->tag_pipe));
    x->pstats = calloc((size_t)x->n * (x->npipes ? x->npipes : 1), sizeof(*x->pstats));
    x->op_state = calloc((size_t)x->n * (x->ntags ? x->ntags : 1), sizeof(*x->op_state));
    if (!x->tag_pipe || !x->pstats || !x->op_state) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < x->npipes; i++)
        for (uint32_t k = 0; k < x->pipes[i].nnodes; k++)
            x->tag_pipe[x->pipes[i].tag_base + k] = i;
    if (opts->ckpt) {
        cc.interval_s = (double)co.interval_ms / 1e3;
        for (uint32_t i = 0; i < x->npipes; i++) {
            const struct sl_source *src = x->pipes[i].source;
            if (!src->ops->save || !src->ops->restore) {
                rc = sl_error_set(err, SL_ENOTSUP,
                                  "table '%s': its connector cannot resume "
                                  "from a checkpoint",
                                  src->table->name);
                goto out;
            }
        }
        double tr = sl_exec_wall();
        if (!x->ck) { /* --cluster auto opened it before the pipelines */
            if ((rc = sl_exec_ckpt_open(x, &co, err)))
                goto out;
            /* a cluster: roles, the assignment, then recovery (ccluster.c) */
            if (x->cl_ckpt && (rc = sl_ccluster_setup(x, err)))
                goto out;
        }
        if (x->txn && x->cl_ckpt) { /* the writer of the exactly-once Kafka tables */
            if (x->assign.leader_lo < 0) {
                rc = sl_error_set(err, SL_ENOTSUP,
                                  "job '%s': generation %" PRId64 "'s assignment does not say "
                                  "the leader's range (published by an older sluice?): an "
                                  "exactly-once Kafka sink over several processes needs it",
                                  co.job, x->assign.generation);
                goto out;
            }
            x->txn_writer = (int)x->assign.leader_lo;
        }
        x->kg_max = sl_ckpt_kg_max(x->ck);
        x->rescaled = sl_ckpt_rescaled(x->ck);
        if (x->rescaled && co.log)
            fprintf(co.log,
                    "sluice: job '%s': rescaling the state of epoch %" PRIu64
                    " from %d workers to %d (%u key groups)\n",
                    co.job, sl_ckpt_restored_epoch(x->ck), sl_ckpt_restored_workers(x->ck), x->nall,
                    x->kg_max);
        if (!x->cl_ckpt) /* a cluster's member node says it (ccluster.c) */
            sl_livecfg_role(opts->live, "leader"); /* the member node says so (livecfg.h) */
        cc.epoch = sl_ckpt_base_epoch(x->ck);
        cc.committed = cc.epoch;
        cc.acked = cc.epoch;       /* a cluster's member: the workers' ck_ready start there */
        atomic_store(&x->gate, 1); /* the sinks recover once the workers have restored */
        restore_t0 = tr;
        x->ck_states = calloc((size_t)x->n, sizeof(*x->ck_states));
        if (!x->ck_states) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (opts->cluster_workers > 0 || ca) {
        /* the channel: partition d is global worker d's inbox; this process sends from and
         * reads for its own workers. END is per operator (a sender sends several to one
         * worker), so no kind ends a sender's stream. */
        struct sl_kchan_config kc = {.bootstrap = opts->cluster_brokers,
                                     .topic = x->assign.topic,
                                     .props = opts->kafka_props,
                                     .nprops = opts->nkafka_props,
                                     .workers = x->nall,
                                     .dest_lo = x->base,
                                     .dest_hi = x->base + x->n,
                                     .sender_lo = x->base,
                                     .sender_hi = x->base + x->n,
                                     .end_kind = UINT32_MAX};
        if ((rc = sl_kchan_open(&kc, &x->chan, err)) != 0)
            goto out;
    }
    for (int i = 0; i < x->n * x->n; i++) {
        x->rings[i] = sl_ring_new(NULL, SL_RING_CAP);
        if (!x->rings[i]) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (int i = 0; i < x->n; i++) {
        struct sl_worker *w = &x->workers[i];
        w->exec = x;
        w->id = i;
        w->gid = x->base + i;
        w->ctx.worker = w->gid;
        w->ctx.nworkers = x->nall;
        w->ctx.kg_max = x->kg_max;
        w->ctx.sql = job->file->src;
        w->ctx.runner = w;
        w->ctx.send = sl_exec_send;
        w->ctx.stats = &w->stats;
        w->pstats = &x->pstats[(size_t)i * x->npipes];
        w->ctx.on_emit = opts->on_emit;
        w->ctx.on_emit_arg = opts->on_emit_arg;
        w->ctx.on_window = opts->on_window;
        w->ctx.on_window_arg = opts->on_window_arg;
        w->stats.watermark = INT64_MIN;
        w->wp = calloc(x->npipes, sizeof(*w->wp));
        w->by_tag = calloc(x->ntags ? x->ntags : 1, sizeof(*w->by_tag));
        w->pending = calloc((size_t)x->nall, sizeof(*w->pending));
        w->ck_blocked = calloc((size_t)x->nall, sizeof(*w->ck_blocked));
        if ((rc = sl_wake_init(&w->wake, err)) != 0)
            goto out;
        if (x->ck_states) {
            w->ck_state = &x->ck_states[i];
            w->ck_done = cc.epoch;
            atomic_store(&w->ck_ready, cc.epoch);
        }
        if (x->chan) {
            if ((rc = sl_holdback_init(&w->held, x->nall, err)) != 0)
                goto out;
            w->chan_out = calloc((size_t)x->nall, sizeof(*w->chan_out));
            w->chan_in = calloc((size_t)x->nall, sizeof(*w->chan_in));
            if (!w->chan_out || !w->chan_in) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto out;
            }
        }
        if (!w->wp || !w->by_tag || !w->pending || !w->ck_blocked) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
    }
    double t0 = sl_exec_wall(), c0 = sl_cpu();
    cc.next_at = t0 + cc.interval_s;
    if (opts->metrics)
        sl_metrics_attach(opts->metrics, x);
    for (int i = 0; i < x->n; i++) {
        if (pthread_create(&x->workers[i].thread, NULL, sl_worker_main, &x->workers[i]) != 0) {
            atomic_store(&x->failed, 1);
            rc = sl_error_set(err, SL_ENOMEM, "cannot start worker %d", i);
            break;
        }
        x->workers[i].started = true;
    }
    if (x->ck) {
        /* every worker's state restored (a refusal has failed the run by now), then the
         * sinks settle the epochs before the restored one and begin the next; only then do
         * the workers start */
        int started = 0;
        for (int i = 0; i < x->n; i++)
            started += x->workers[i].started;
        while (atomic_load(&x->nrestored) < started && !atomic_load(&x->failed)) {
            struct timespec ts = {0, 200 * 1000};
            nanosleep(&ts, NULL);
        }
        if (x->rescaled && atomic_load(&x->nrestored) == started) /* every worker took its part */
            for (int i = 0; i < sl_ckpt_restored_workers(x->ck); i++)
                sl_ckpt_drop_restored(x->ck, i);
        uint64_t settled = sl_ckpt_settled_epoch(x->ck);
        /* the first epoch: a cluster's leader skips one number (below) */
        uint64_t first = cc.epoch + 1 + (x->cl_ckpt && x->cl_leader && !sl_ckpt_redo_epoch(x->ck));
        for (uint32_t i = 0; i < x->npipes && !rc && !atomic_load(&x->failed); i++) {
            struct sl_sink *sk = x->pipes[i].sink;
            if (!sk)
                continue;
            if (sk->ops->recover)
                rc = sk->ops->recover(sk, settled, err);
            /* a member opens no transactional producer: that would fence the leader's */
            if (!rc && sk->ops->begin && !(sk->ops->resolve && x->cl_ckpt && !x->cl_leader))
                rc = sk->ops->begin(sk, first, err);
        }
        if (rc)
            atomic_store(&x->failed, 1);
        atomic_store(&x->gate, 0);
    }
    /* live configuration: the settings node is watched from here on (livecfg.h) */
    if (opts->live && !rc && !atomic_load(&x->failed) &&
        (rc = sl_livecfg_attach(opts->live, x, opts->ckpt ? opts->ckpt->interval_ms : 0, err)))
        atomic_store(&x->failed, 1);
    /* A job over several processes: the leader's first epoch of a generation skips one
     * number (L + 2 after a restore from L). A process of an earlier generation that was
     * frozen or deposed - its session expired, the others went on without it - may still
     * write the snapshot files (and, a leader, the manifest) of its epoch in flight before it
     * notices, and that epoch is at most L + 1: one epoch is in flight at a time, and no
     * process has seen a commit newer than L, the last one when this generation began. Were
     * L + 1 this generation's, those late renames could replace its committed files of the
     * same names (docs/cluster.md); skipped, they are an uncommitted epoch's leftovers, which
     * the cleanup deletes once a later epoch commits. Not after a PREPARED epoch was rolled
     * back (its Kafka transaction aborted): the next epoch is that one again, the only one
     * the store takes, and nobody writes its files any more - every process had written
     * them before it was prepared, and no later epoch was begun. */
    if (x->ck && x->cl_ckpt && x->cl_leader && !sl_ckpt_redo_epoch(x->ck) && !rc &&
        !atomic_load(&x->failed))
        cc.epoch++;
    /* the monitor: progress on stderr (every 500 ms) and the checkpoint coordinator, until
     * every worker is done */
    double next_progress = t0 + 0.5;
    bool stop_seen = false;
    for (;;) {
        bool all = true;
        for (int i = 0; i < x->n; i++)
            if (x->workers[i].started && !atomic_load(&x->workers[i].done))
                all = false;
        if (all)
            break;
        if (opts->progress && sl_exec_wall() >= next_progress) {
            sl_progress(x, t0, false);
            next_progress += 0.5;
        }
        if (x->ck && !rc && !atomic_load(&x->failed)) {
            sl_livecfg_turn(opts->live, &cc);
            rc = sl_coordinator_turn(x, &cc, err);
            if (!rc && ca && cc.ncommitted)
                sl_ccluster_first_commit(x, cc.committed);
            if (rc) {
                atomic_store(&x->failed, 1);
                sl_exec_wake_all(x);
            }
        }
        if (x->chan && !rc && !atomic_load(&x->failed)) {
            /* delivery reports: a failed delivery fails the run */
            if ((rc = sl_kchan_poll_sends(x->chan, err)) != 0) {
                atomic_store(&x->failed, 1);
                sl_exec_wake_all(x);
            }
        }
        if (opts->stop && atomic_load_explicit(opts->stop, memory_order_relaxed) && !stop_seen) {
            stop_seen = true; /* SIGINT / SIGTERM: wake the sleepers to see it */
            sl_exec_wake_all(x);
        }
        /* an epoch in flight is polled every 0.2 ms: its commit waits for this loop */
        struct timespec ts = {0, cc.inflight ? 200 * 1000 : 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < x->n; i++)
        if (x->workers[i].started)
            pthread_join(x->workers[i].thread, NULL);
    if (opts->progress)
        sl_progress(x, t0, true);
    for (int i = 0; i < x->n && !rc; i++) {
        if (x->workers[i].rc) {
            *err = x->workers[i].err;
            rc = x->workers[i].rc;
        }
    }
    /* the last messages to the other processes (their ENDs) leave before this one does */
    for (int k = 0; x->chan && !rc && k < 6; k++) {
        rc = sl_kchan_flush(x->chan, 10000, err);
        if (rc == SL_ETIMEOUT && k < 5)
            rc = 0;
        else
            break;
    }
    /* The run's wall time: to the last worker's end, plus the sinks' close (their final
     * flush), but not the monitor's wake-up delay of up to 100 ms. */
    if (x->ck && sl_ckpt_restored_epoch(x->ck)) {
        /* from opening the store to the last worker's operators restored */
        double last = restore_t0;
        for (int i = 0; i < x->n; i++)
            if (x->workers[i].started && x->workers[i].restored_at > last)
                last = x->workers[i].restored_at;
        restore_ms = (last - restore_t0) * 1e3;
    }
    double t_end = t0;
    for (int i = 0; i < x->n; i++)
        if (x->workers[i].started && x->workers[i].end > t_end)
            t_end = x->workers[i].end;
    double t_close = sl_exec_wall();
    for (uint32_t i = 0; i < x->npipes && !rc; i++)
        if (x->pipes[i].sink)
            rc = x->pipes[i].sink->ops->close(x->pipes[i].sink, err);
    if (sum) {
        memset(sum, 0, sizeof(*sum));
        sum->workers = x->n;
        sum->seconds = t_end - t0 + (sl_exec_wall() - t_close);
        sum->cpu_seconds = sl_cpu() - c0;
        sum->watermark = INT64_MAX;
        sum->restored_epoch = x->ck ? sl_ckpt_restored_epoch(x->ck) : 0;
        sum->restore_ms = restore_ms;
        sl_coordinator_summary(&cc, sum);
        for (int i = 0; i < x->n; i++) {
            sum->rows_in += x->workers[i].stats.rows_in;
            sum->rows_out += x->workers[i].stats.rows_out;
            sum->late_rows += x->workers[i].stats.late_rows;
            sum->bad_records += x->workers[i].stats.bad_records;
            if (x->workers[i].stats.watermark < sum->watermark)
                sum->watermark = x->workers[i].stats.watermark;
            sum->codec_msgs += x->workers[i].codec_msgs;
            sum->codec_bytes += x->workers[i].codec_bytes;
            sum->chan_sent += x->workers[i].chan_sent;
            sum->chan_sent_bytes += x->workers[i].chan_sent_bytes;
            sum->chan_recv += x->workers[i].chan_recv;
            sum->chan_recv_bytes += x->workers[i].chan_recv_bytes;
            sum->chan_full += x->workers[i].chan_full;
            sum->chan_frags += x->workers[i].chan_frags;
        }
    }
out:
    sl_livecfg_detach(opts->live); /* before what it applies to goes */
    if (opts->metrics)
        sl_metrics_detach(opts->metrics); /* before what it reads goes */
    if (x->workers) {
        for (int i = 0; i < x->n; i++) {
            struct sl_worker *w = &x->workers[i];
            free(w->wp); /* its operators went with the worker thread */
            free(w->by_tag);
            for (int d = 0; w->pending && d < x->nall; d++)
                sl_msgq_free(&w->pending[d]); /* never sent: a failed run */
            free(w->pending);
            sl_sbuf_free(&w->codec_buf);
            sl_holdback_free(&w->held);
            for (int d = 0; d < x->nall; d++) {
                if (w->chan_out)
                    sl_sbuf_free(&w->chan_out[d].buf);
                if (w->chan_in)
                    sl_sbuf_free(&w->chan_in[d]);
            }
            free(w->chan_out);
            free(w->chan_in);
            free(w->ck_blocked);
            sl_wake_free(&w->wake);
        }
    }
    if (x->ck_states)
        for (int i = 0; i < x->n; i++)
            sl_ckpt_wstate_free(&x->ck_states[i]);
    free(x->ck_states);
    sl_ckpt_free(x->ck);
    sl_assignment_free(&x->assign);
    sl_coordinator_free(&cc);
    if (x->rings)
        for (int i = 0; i < x->n * x->n; i++)
            sl_ring_free(x->rings[i]);
    sl_kchan_close(x->chan, 0);
    if (x->pipes)
        for (uint32_t i = 0; i < x->npipes; i++)
            sl_pipe_free(&x->pipes[i]);
    if (x->topo)
        hwloc_topology_destroy(x->topo);
    free(x->rings);
    free(x->workers);
    free(x->pipes);
    free(x->tag_pipe);
    free(x->pstats);
    free(x->op_state);
    free(x);
    return rc;
}

int sl_exec_run(const struct sl_job *job, const struct sl_exec_opts *opts,
                struct sl_exec_summary *sum, struct sl_error *err)
{
    if (!opts->cluster_auto || !opts->ckpt)
        return sl_exec_run_gen(job, opts, opts->cluster_auto ? &(struct sl_cauto){0} : NULL, sum,
                               err);
    /* --cluster auto: one executor per generation, each torn down whole (its workers,
     * pipelines, channel and commit store) before the next is built at the new W */
    struct sl_cauto ca = {.standby = opts->standby, .was_standby = opts->standby};
    int zk_lost = 0; /* generations in a row ended by ZooKeeper's connection lost */
    struct sl_exec_opts o = *opts;
    struct sl_ckpt_opts co = *opts->ckpt;
    o.ckpt = &co;
    int rc;
    for (;;) {
        if (ca.committed)
            co.restart = false; /* this run's epochs are the ones to restore from now on */
        if (ca.standby && (rc = sl_ccluster_standby(&o, &ca, err))) /* --standby: no work yet */
            break;
        rc = sl_exec_run_gen(job, &o, &ca, sum, err);
        if (ca.measured) /* the generation committed an epoch: ZooKeeper answered */
            zk_lost = 0;
        /* ZooKeeper's connection lost (a process that woke after its session expired sees
         * that first): the group is formed again too, up to 3 times in a row */
        if (rc == SL_EZK_RETRY && ++zk_lost <= 3 && !(opts->stop && atomic_load(opts->stop)))
            rc = SL_EFENCED;
        if (rc == SL_EFENCED && !(opts->stop && atomic_load(opts->stop))) {
            /* a leader deposed while it was frozen (its latch node went with its session):
             * it joins the next generation like any other process */
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            rc =
                sl_error_set(err, SL_EREBALANCE, "%s: this process joins the next generation", msg);
        }
        if (rc != SL_EREBALANCE)
            break;
        if (opts->ckpt->log && sl_log_enabled(SL_LOG_INFO))
            fprintf(opts->ckpt->log, "sluice: %s\n", err->msg);
    }
    if (sum) {
        sum->generations = ca.generations;
        sum->rebalances = ca.rebalances;
        sum->rebalance_last_ms = ca.rebalance_last_ms;
        sum->rebalance_max_ms = ca.rebalance_max_ms;
        sum->promoted = ca.promoted;
    }
    return rc;
}
