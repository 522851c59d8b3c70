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
 */
#include "engine/exec/exec.h"

#include <hwloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "engine/exec/checkpoint.h"
#include "engine/conn/registry.h"
#include "engine/ops/op_basic.h"
#include "engine/ops/op_lookup.h"
#include "engine/ops/op_window.h"
#include "engine/ops/op_winagg.h"
#include "engine/ops/operator.h"
#include "engine/core/ring.h"
#include "engine/sql/parser.h"
#include "engine/core/fault.h"

#define SL_RING_CAP 1024
#define SL_MAX_SPLITS 4096

/* A pipeline: one INSERT. */
struct sl_pipe {
    const struct sl_plan **nodes; /* scan first, sink last */
    uint32_t nnodes;
    struct sl_source *source;
    struct sl_sink *sink;
    struct sl_schema *scan_schema;
    uint32_t tag_base; /* node i's operator has tag tag_base + i */
    bool **need;       /* need[i][c]: column c of node i's output is read downstream */
};

/* A pipeline's instance on one worker. */
struct sl_wpipe {
    struct sl_op **ops;  /* index = node index; [0] (the scan) is NULL */
    struct sl_op *first; /* the operator above the scan */
    struct sl_op *wm;    /* the watermark operator, if the table has one */
    struct sl_batch_pool *pool;
    bool source_done;
    bool finished; /* the sink's finish() ran on this worker */
};

/* Messages waiting for room in the ring to one worker. */
struct sl_pending {
    struct sl_msg *msgs;
    uint32_t head, len, cap;
};

struct sl_worker {
    struct sl_exec *exec;
    int id;
    pthread_t thread;
    bool started;
    struct sl_worker_ctx ctx;
    struct sl_worker_stats stats;
    struct sl_wpipe *wp;
    struct sl_op **by_tag;
    struct sl_pending *pending; /* per destination worker */
    int rc;
    struct sl_error err;
    double end; /* wall time its loop ended (the summary's clock) */
    _Atomic int done;
    /* checkpoints (see "checkpoints" below) */
    uint64_t ck_epoch;               /* the epoch being aligned; 0 when none */
    uint64_t ck_done;                /* the last epoch this worker took its snapshot of */
    bool *ck_blocked;                /* per sender: its barrier of ck_epoch arrived */
    int ck_nbar;                     /* how many have */
    struct sl_ckpt_wstate *ck_state; /* x->ck_states[id]: read by the coordinator */
    int ck_rc;                       /* the snapshot's outcome, with ck_err */
    struct sl_error ck_err;
    _Atomic uint64_t ck_ready; /* ck_state holds this epoch's snapshot */
    _Atomic int idle_done;     /* every pipeline finished: only barriers are left to serve */
    _Atomic int input_ended;   /* every pipeline finished because its input ended (not a stop) */
    double restored_at;        /* wall time its operators were built and restored */
};

struct sl_exec {
    const struct sl_job *job;
    const struct sl_exec_opts *opts;
    int n;
    struct sl_pipe *pipes;
    uint32_t npipes;
    uint32_t ntags;
    struct sl_worker *workers;
    struct sl_ring **rings; /* rings[from * n + to] */
    _Atomic int failed;
    struct sl_connector_env env;
    int64_t idle_ms;
    hwloc_topology_t topo;
    int ncores;
    /* checkpoints: NULL ck when off */
    struct sl_ckpt *ck;
    struct sl_ckpt_wstate *ck_states; /* n entries */
    _Atomic uint64_t ck_req;          /* the latest epoch the coordinator triggered */
    _Atomic int ck_shutdown;          /* the final epoch committed: workers leave */
};

/* ---- messages ------------------------------------------------------------------------------ */

static int sl_dispatch(struct sl_worker *w, int from, struct sl_msg m, struct sl_error *err)
{
    if (m.aux >= w->exec->ntags || !w->by_tag[m.aux] || !w->by_tag[m.aux]->ops->receive)
        return sl_error_set(err, SL_ESTATE,
                            "worker %d: a message for operator %u, which "
                            "takes none",
                            w->id, m.aux);
    struct sl_op *op = w->by_tag[m.aux];
    return op->ops->receive(op, &w->ctx, from, m, err);
}

static int sl_ck_barrier(struct sl_worker *w, int from, uint64_t epoch, struct sl_error *err);

/* Serves the messages waiting for this worker; *got says whether there were any. A sender
 * whose checkpoint barrier arrived is not read again until this worker's snapshot. */
static int sl_serve_inbound(struct sl_worker *w, bool *got, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    for (int from = 0; from < x->n; from++) {
        if (w->ck_blocked && w->ck_blocked[from])
            continue;
        struct sl_ring *r = x->rings[from * x->n + w->id];
        struct sl_msg m;
        for (int k = 0; k < 256 && sl_ring_pop(r, &m); k++) {
            *got = true;
            int rc;
            if (m.kind == SL_MSG_BARRIER) {
                rc = sl_ck_barrier(w, from, (uint64_t)m.num, err);
                if (rc)
                    return rc;
                break;
            }
            rc = sl_dispatch(w, from, m, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Moves queued messages into their rings while there is room. */
static void sl_flush_pending(struct sl_worker *w, bool *left)
{
    struct sl_exec *x = w->exec;
    for (int to = 0; to < x->n; to++) {
        struct sl_pending *p = &w->pending[to];
        struct sl_ring *r = x->rings[w->id * x->n + to];
        while (p->len && sl_ring_push(r, p->msgs[p->head])) {
            p->head = (p->head + 1) % p->cap;
            p->len--;
        }
        if (p->len)
            *left = true;
    }
}

/* Sends msg to worker `to` through the ring, or this worker's queue for it when full. */
static int sl_send_raw(struct sl_worker *w, int to, struct sl_msg msg, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    struct sl_pending *p = &w->pending[to];
    if (p->len == 0 && sl_ring_push(x->rings[w->id * x->n + to], msg))
        return 0;
    if (p->len == p->cap) {
        uint32_t ncap = p->cap ? p->cap * 2 : 64;
        struct sl_msg *nm = malloc(ncap * sizeof(*nm));
        if (!nm)
            return sl_error_set(err, SL_ENOMEM, "out of memory queueing a message");
        for (uint32_t i = 0; i < p->len; i++)
            nm[i] = p->msgs[(p->head + i) % (p->cap ? p->cap : 1)];
        free(p->msgs);
        p->msgs = nm;
        p->head = 0;
        p->cap = ncap;
    }
    p->msgs[(p->head + p->len) % p->cap] = msg;
    p->len++;
    return 0;
}

/* The workers' sl_worker_ctx.send: through the ring to worker `to` (msg.aux is the
 * operator's tag). */
static int sl_exec_send(struct sl_worker_ctx *ctx, const struct sl_op *op, int to,
                        struct sl_msg msg, struct sl_error *err)
{
    struct sl_worker *w = ctx->runner;
    struct sl_exec *x = w->exec;
    if (to < 0 || to >= x->n)
        return sl_error_set(err, SL_EINVAL, "message to worker %d of %d", to, x->n);
    if (w->ck_epoch && to != w->id)
        /* while aligning, only received messages run operators: a send now would carry
         * pre-checkpoint input behind this worker's barrier, i.e. into the next epoch */
        return sl_error_set(err, SL_ENOTSUP,
                            "operator '%s' sent a message while a checkpoint was aligning (an "
                            "exchange of more than one hop): such pipelines cannot take "
                            "checkpoints yet",
                            op->ops->name);
    return sl_send_raw(w, to, msg, err);
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
static int sl_pipe_needed(struct sl_pipe *p)
{
    p->need = calloc(p->nnodes, sizeof(*p->need));
    if (!p->need)
        return SL_ENOMEM;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        p->need[i] = calloc(p->nodes[i]->out.ncols ? p->nodes[i]->out.ncols : 1, sizeof(bool));
        if (!p->need[i])
            return SL_ENOMEM;
    }
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
            in[node->lookup.probe_col] = true;
            break;
        default: /* anything else: keep every column */
            for (uint32_t c = 0; c < nin; c++)
                in[c] = true;
        }
    }
    return 0;
}

static int sl_pipe_init(struct sl_exec *x, const struct sl_plan *sink, struct sl_pipe *p,
                        struct sl_error *err)
{
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
    int rc = sl_source_open(p->nodes[0]->scan.table, &x->env, x->n, &p->source, err);
    if (rc)
        return rc;
    rc = sl_sink_open(sink->sink.table, &x->env, x->n, &p->sink, err);
    if (rc)
        return rc;
    p->scan_schema = sl_plan_rel_schema(&p->nodes[0]->out);
    if (!p->scan_schema)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (n > 1 && sl_pipe_needed(p))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (p->source->ops->prune && p->need)
        p->source->ops->prune(p->source, p->need[0], p->nodes[0]->out.ncols);
    return 0;
}

static void sl_pipe_free(struct sl_pipe *p)
{
    if (p->source)
        p->source->ops->free(p->source);
    if (p->sink)
        p->sink->ops->free(p->sink);
    sl_schema_free(p->scan_schema);
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
            int32_t ids[SL_MAX_SPLITS];
            uint32_t nsplits = 0;
            rc = p->source->ops->splits(p->source, w->id, ids, SL_MAX_SPLITS, &nsplits);
            if (rc) {
                sl_error_set(err, rc, "table '%s': more than %d splits per worker",
                             p->nodes[0]->scan.table->name, SL_MAX_SPLITS);
                break;
            }
            rc = sl_op_watermark_new(node, ctx, ids, nsplits, w->exec->idle_ms, &op, err);
            wp->wm = op;
            break;
        }
        case SL_PLAN_WINDOW:
            rc = sl_op_window_new(node, ctx, &op, err);
            if (!rc && p->need)
                sl_op_window_prune(op, p->need[i]);
            break;
        case SL_PLAN_AGG:
            rc = sl_op_winagg_new(node, ctx, &op, err);
            break;
        case SL_PLAN_LOOKUP_JOIN:
            rc = sl_op_lookup_new(node, &w->exec->env, ctx->heap, &op, err);
            break;
        case SL_PLAN_SINK:
            rc = sl_op_sink_new(node, p->sink, &wp->finished, &op, err);
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
        if (rc)
            return rc;
        op->tag = p->tag_base + i;
        wp->ops[i] = op;
        w->by_tag[op->tag] = op;
        if (i > 1)
            wp->ops[i - 1]->next = op;
    }
    wp->first = p->nnodes > 1 ? wp->ops[1] : NULL;
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

/* One poll of pipeline p's source on worker w; *busy when rows came or the state changed. */
static int sl_worker_poll(struct sl_worker *w, struct sl_pipe *p, struct sl_wpipe *wp,
                          int timeout_ms, bool *busy, struct sl_error *err)
{
    struct sl_batch *b = sl_batch_pool_get(wp->pool);
    if (!b)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    struct sl_source_info info = {0};
    int rc = p->source->ops->poll(p->source, &w->ctx, b, timeout_ms, &info, err);
    if (rc) {
        sl_batch_pool_put(b);
        return rc;
    }
    if (b->rows) {
        *busy = true; /* the source counted the rows (rows_in) */
        w->ctx.split = info.split;
        if (w->ctx.on_emit) /* latency: sinks written during this push date from now */
            w->ctx.ingest_ns = sl_now_ns();
        rc = wp->first->ops->push(wp->first, &w->ctx, b, err);
        w->ctx.ingest_ns = 0;
        if (rc)
            return rc;
    } else {
        sl_batch_pool_put(b);
    }
    if (info.split_done && wp->wm) {
        *busy = true;
        rc = sl_op_watermark_split_done(wp->wm, &w->ctx, info.split, err);
        if (rc)
            return rc;
    }
    if (info.worker_done) {
        *busy = true;
        wp->source_done = true;
        rc = wp->first->ops->watermark(wp->first, &w->ctx, INT64_MAX, err);
        if (!rc)
            rc = wp->first->ops->finish(wp->first, &w->ctx, err);
    }
    return rc;
}

/* ---- checkpoints: barriers, snapshots, restore ---------------------------------------------
 *
 * Aligned barriers (Chandy-Lamport over FIFO rings). A worker starts epoch E when it sees
 * the coordinator's request or the first barrier of E from another worker, whichever comes
 * first, and always between two source polls: it sends a barrier of E to every other worker
 * (behind every message it sent before, in the same rings and queues) and stops polling its
 * sources. It keeps serving each sender until that sender's barrier arrives - those messages
 * were sent before the sender's cut and belong to E - and leaves the rest in the ring. When
 * every barrier is in, its state is exactly "its own input up to its cut, plus every
 * message sent before the senders' cuts": it saves it (sink prepare, source positions,
 * operator states) into its sl_ckpt_wstate for the coordinator, and goes on. An operator's
 * receive() never sends (the exchange is one hop), so nothing a worker sends after its own
 * barrier was caused by pre-cut input.
 */

static int sl_ck_begin(struct sl_worker *w, uint64_t epoch, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    w->ck_epoch = epoch;
    w->ck_nbar = 0;
    for (int to = 0; to < x->n; to++) {
        w->ck_blocked[to] = false;
        if (to == w->id)
            continue;
        struct sl_msg m = {.kind = SL_MSG_BARRIER, .num = (int64_t)epoch};
        int rc = sl_send_raw(w, to, m, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int sl_ck_barrier(struct sl_worker *w, int from, uint64_t epoch, struct sl_error *err)
{
    if (!w->ck_epoch) {
        int rc = sl_ck_begin(w, epoch, err);
        if (rc)
            return rc;
    } else if (epoch != w->ck_epoch) {
        return sl_error_set(err, SL_ESTATE,
                            "worker %d: a barrier of epoch %llu from worker %d while aligning "
                            "epoch %llu",
                            w->id, (unsigned long long)epoch, from,
                            (unsigned long long)w->ck_epoch);
    }
    w->ck_blocked[from] = true;
    w->ck_nbar++;
    return 0;
}

/* Serves every message this worker sent itself (its own ring and queue) - all sent before
 * its cut, since it polls no source while aligning. */
static int sl_ck_drain_self(struct sl_worker *w, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    struct sl_ring *r = x->rings[w->id * x->n + w->id];
    struct sl_pending *p = &w->pending[w->id];
    for (;;) {
        while (p->len && sl_ring_push(r, p->msgs[p->head])) {
            p->head = (p->head + 1) % p->cap;
            p->len--;
        }
        struct sl_msg m;
        if (!sl_ring_pop(r, &m)) {
            if (!p->len)
                return 0;
            continue;
        }
        int rc = sl_dispatch(w, w->id, m, err);
        if (rc)
            return rc;
    }
}

/* Every barrier is in: saves this worker's state of epoch ck_epoch and resumes. The outcome
 * goes to the coordinator (ck_rc), which fails the epoch; the worker goes on either way. */
static void sl_ck_snapshot(struct sl_worker *w)
{
    struct sl_exec *x = w->exec;
    uint64_t e = w->ck_epoch;
    struct sl_ckpt_wstate *ws = w->ck_state;
    struct sl_error *err = &w->ck_err;
    sl_ckpt_wstate_reset(ws);
    int rc = 0;
    for (uint32_t i = 0; i < x->npipes && !rc; i++) {
        struct sl_pipe *p = &x->pipes[i];
        struct sl_wpipe *wp = &w->wp[i];
        rc = p->sink->ops->prepare ? p->sink->ops->prepare(p->sink, &w->ctx, e, err)
                                   : p->sink->ops->flush(p->sink, &w->ctx, err);
        if (rc)
            break;
        size_t off = ws->data.len;
        sl_sbuf_put_u8(&ws->data, wp->source_done);
        sl_sbuf_put_u8(&ws->data, wp->finished);
        if ((rc = sl_ckpt_wstate_add(ws, SL_CKPT_PIPE, i, 0, off, err)))
            break;
        off = ws->data.len;
        if (ws->summary.len)
            sl_sbuf_put(&ws->summary, ",", 1);
        sl_sbuf_put(&ws->summary, p->nodes[0]->scan.table->name,
                    strlen(p->nodes[0]->scan.table->name));
        sl_sbuf_put(&ws->summary, ":", 1);
        size_t before = ws->summary.len;
        rc = p->source->ops->save(p->source, w->id, &ws->data, &ws->summary, err);
        if (rc || (rc = sl_ckpt_wstate_add(ws, SL_CKPT_SOURCE, i, 0, off, err)))
            break;
        if (ws->summary.len == before)
            sl_sbuf_put(&ws->summary, "-", 1);
        for (uint32_t k = 1; k < p->nnodes && !rc; k++) {
            struct sl_op *op = wp->ops[k];
            if (!op->ops->save)
                continue;
            off = ws->data.len;
            rc = op->ops->save(op, &w->ctx, &ws->data, err);
            if (!rc)
                rc = sl_ckpt_wstate_add(ws, SL_CKPT_OP, i, k, off, err);
        }
    }
    if (!rc)
        rc = sl_sbuf_check(&ws->data, err);
    if (!rc)
        rc = sl_sbuf_check(&ws->summary, err);
    if (rc && err->code == 0)
        sl_error_set(err, rc, "worker %d: snapshot failed", w->id);
    w->ck_rc = rc;
    w->ck_done = e;
    w->ck_epoch = 0;
    w->ck_nbar = 0;
    for (int i = 0; i < x->n; i++)
        w->ck_blocked[i] = false;
    atomic_store_explicit(&w->ck_ready, e, memory_order_release);
}

/* Restores this worker's pipelines from the state of the restored epoch. */
static int sl_ck_restore(struct sl_worker *w, const struct sl_ckpt_wstate *ws, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    char what[256];
    for (uint32_t i = 0; i < x->npipes; i++) {
        struct sl_pipe *p = &x->pipes[i];
        struct sl_wpipe *wp = &w->wp[i];
        const char *table = p->nodes[0]->scan.table->name;
        const struct sl_ckpt_block *b = sl_ckpt_wstate_find(ws, SL_CKPT_PIPE, i, 0);
        struct sl_sread r;
        snprintf(what, sizeof(what), "worker %d: pipeline %u (INSERT INTO %s)", w->id, i,
                 p->sink->table->name);
        if (!b)
            return sl_error_set(err, SL_ECORRUPT, "%s: no state in the snapshot", what);
        sl_sread_init(&r, ws->data.p + b->off, b->len, what);
        uint8_t sd, fin;
        int rc;
        if ((rc = sl_sread_u8(&r, &sd, err)) || (rc = sl_sread_u8(&r, &fin, err)) ||
            (rc = sl_sread_end(&r, err)))
            return rc;
        wp->source_done = sd != 0;
        wp->finished = fin != 0;
        b = sl_ckpt_wstate_find(ws, SL_CKPT_SOURCE, i, 0);
        snprintf(what, sizeof(what), "worker %d: source table '%s'", w->id, table);
        if (!b)
            return sl_error_set(err, SL_ECORRUPT, "%s: no position in the snapshot", what);
        sl_sread_init(&r, ws->data.p + b->off, b->len, what);
        if ((rc = p->source->ops->restore(p->source, &w->ctx, &r, err)) ||
            (rc = sl_sread_end(&r, err)))
            return rc;
        for (uint32_t k = 1; k < p->nnodes; k++) {
            struct sl_op *op = wp->ops[k];
            b = sl_ckpt_wstate_find(ws, SL_CKPT_OP, i, k);
            snprintf(what, sizeof(what), "worker %d: pipeline %u operator %u (%s)", w->id, i, k,
                     op->ops->name);
            if (!op->ops->restore) {
                if (b)
                    return sl_error_set(err, SL_ECORRUPT, "%s: state for a stateless operator",
                                        what);
                continue;
            }
            if (!b)
                return sl_error_set(err, SL_ECORRUPT, "%s: no state in the snapshot", what);
            sl_sread_init(&r, ws->data.p + b->off, b->len, what);
            if ((rc = op->ops->restore(op, &w->ctx, &r, err)) || (rc = sl_sread_end(&r, err)))
                return rc;
        }
    }
    return 0;
}

static int sl_worker_loop(struct sl_worker *w)
{
    struct sl_exec *x = w->exec;
    struct sl_error *err = &w->err;
    int idle_turns = 0;
    for (;;) {
        if (atomic_load_explicit(&x->failed, memory_order_relaxed))
            return 0;
        bool stop = x->opts->stop && atomic_load_explicit(x->opts->stop, memory_order_relaxed);
        bool busy = false, left = false;
        int rc;
        if (x->ck && !w->ck_epoch && !atomic_load(&x->ck_shutdown)) {
            uint64_t req = atomic_load_explicit(&x->ck_req, memory_order_acquire);
            if (req > w->ck_done && (rc = sl_ck_begin(w, req, err)) != 0)
                return rc;
        }
        sl_flush_pending(w, &left);
        rc = sl_serve_inbound(w, &busy, err);
        if (rc)
            return rc;
        if (w->ck_epoch && w->ck_nbar == x->n - 1) {
            /* messages to itself sent before the cut are still in its own ring or queue */
            if ((rc = sl_ck_drain_self(w, err)) != 0)
                return rc;
            sl_ck_snapshot(w);
            busy = true;
        }
        bool all_finished = true;
        for (uint32_t i = 0; i < x->npipes; i++) {
            struct sl_wpipe *wp = &w->wp[i];
            if (wp->finished)
                continue;
            all_finished = false;
            if (stop || w->ck_epoch) /* stopped, or aligning a checkpoint: no input */
                continue;
            if (!wp->source_done) {
                rc = sl_worker_poll(w, &x->pipes[i], wp, idle_turns > 8 ? 2 : 0, &busy, err);
                if (rc)
                    return rc;
            }
            if (wp->wm && (idle_turns & 63) == 63) {
                rc = sl_op_watermark_tick(wp->wm, &w->ctx, err);
                if (rc)
                    return rc;
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
            for (uint32_t i = 0; i < x->npipes; i++)
                if (!w->wp[i].finished)
                    x->pipes[i].sink->ops->flush(x->pipes[i].sink, &w->ctx, err);
            return 0;
        } else if (all_finished && !left) {
            return 0;
        }
        if (busy) {
            idle_turns = 0;
        } else if (++idle_turns > 8) {
            if (w->ck_epoch || atomic_load_explicit(&w->idle_done, memory_order_relaxed)) {
                /* waiting for barriers or for the final epoch: no source polls wait here,
                 * so sleep a little instead of spinning (others may need the core) */
                struct timespec ts = {0, 20 * 1000};
                nanosleep(&ts, NULL);
            } else {
                /* nothing to do: the sources waited already; give the core away briefly */
                sched_yield();
            }
        }
    }
}

static double sl_wall(void);

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
    if (!w->rc && x->ck && sl_ckpt_restored_state(x->ck, w->id))
        w->rc = sl_ck_restore(w, sl_ckpt_restored_state(x->ck, w->id), &w->err);
    if (x->ck)
        sl_ckpt_drop_restored(x->ck, w->id);
    w->restored_at = sl_wall();
    if (!w->rc)
        w->rc = sl_worker_loop(w);
out:
    if (w->rc)
        atomic_store(&x->failed, 1);
    /* the worker's operators and heap go with it: a mimalloc heap is deleted by its thread */
    for (uint32_t i = 0; i < x->npipes; i++)
        sl_wpipe_free(&x->pipes[i], &w->wp[i]);
    memset(w->wp, 0, x->npipes * sizeof(*w->wp));
    sl_heap_free(w->ctx.heap);
    w->ctx.heap = NULL;
    w->end = sl_wall();
    atomic_store(&w->done, 1);
    return NULL;
}

/* ---- the run ------------------------------------------------------------------------------- */

int sl_exec_default_workers(void)
{
    hwloc_topology_t t;
    if (hwloc_topology_init(&t) != 0)
        return 1;
    int n = 1;
    if (hwloc_topology_load(t) == 0) {
        int c = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
        if (c > 0)
            n = c;
    }
    hwloc_topology_destroy(t);
    return n;
}

static double sl_wall(void)
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

int64_t sl_exec_parse_duration_ms(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    if (!*end || !strcmp(end, "ms") || !strcmp(end, "milli") || !strcmp(end, "millis"))
        return (int64_t)v;
    if (!strcmp(end, "s") || !strcmp(end, "sec") || !strcmp(end, "second") ||
        !strcmp(end, "seconds"))
        return (int64_t)(v * 1000);
    if (!strcmp(end, "min") || !strcmp(end, "minute") || !strcmp(end, "minutes"))
        return (int64_t)(v * 60000);
    if (!strcmp(end, "h") || !strcmp(end, "hour") || !strcmp(end, "hours"))
        return (int64_t)(v * 3600000);
    return -1;
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
    double dt = sl_wall() - t0;
    char wmbuf[96] = "-";
    if (wm != INT64_MIN && wm != INT64_MAX) {
        /* event-time lag: how far the slowest worker's watermark is behind the clock */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        double lag = (double)now.tv_sec - (double)wm / 1000.0 + now.tv_nsec * 1e-9;
        time_t secs = (time_t)(wm / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        size_t k = strftime(wmbuf, sizeof(wmbuf), "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(wmbuf + k, sizeof(wmbuf) - k, " (lag %.1f s)", lag);
    }
    fprintf(stderr,
            "\r\033[Ksluice: %.1fs  in %llu (%.2f M/s)  out %llu  late %llu  watermark %s%s", dt,
            (unsigned long long)in, dt > 0 ? in / dt / 1e6 : 0.0, (unsigned long long)out,
            (unsigned long long)late, wmbuf, last ? "\n" : "");
}

/* ---- the checkpoint coordinator ------------------------------------------------------------ */

struct sl_ck_coord {
    uint64_t epoch;    /* the last epoch number used */
    uint64_t inflight; /* the epoch triggered and not yet done, 0 when none */
    bool final;        /* it is the last one: the workers leave after it */
    bool ended;        /* ... because every source ended (the job is finished) */
    double t_trigger, next_at, interval_s;
    int failed_in_row;
    uint64_t committed; /* the last committed epoch */
    uint32_t ncommitted, nfailed;
    double *dur, *align; /* ms per committed epoch */
    uint32_t ndur, capdur;
    uint64_t bytes, state_bytes;
};

/* The plan's identity: a checkpoint restores only into the same pipelines. */
static uint64_t sl_ck_fingerprint(const struct sl_job *job)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return 0;
    for (uint32_t i = 0; i < job->ninserts; i++)
        sl_plan_explain(job->inserts[i], f);
    fclose(f);
    uint64_t h = XXH64(text, len, 0x51u);
    free(text);
    return h;
}

static int sl_dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One turn of the coordinator (the monitor thread): triggers epochs, and completes the one
 * in flight once every worker took its snapshot: commit, sinks' commit, cleanup. 0, or an
 * error that fails the run. */
static int sl_ck_turn(struct sl_exec *x, struct sl_ck_coord *cc, struct sl_error *err)
{
    const struct sl_ckpt_opts *o = x->opts->ckpt;
    double now = sl_wall();
    if (atomic_load(&x->ck_shutdown))
        return 0; /* the final epoch committed: no other may start */
    if (!cc->inflight) {
        bool stopping = x->opts->stop && atomic_load_explicit(x->opts->stop, memory_order_relaxed);
        bool all_idle = true, all_ended = true;
        for (int i = 0; i < x->n; i++) {
            all_idle &= atomic_load(&x->workers[i].idle_done) != 0;
            all_ended &= atomic_load(&x->workers[i].input_ended) != 0;
        }
        if (!all_idle && !stopping && now < cc->next_at)
            return 0;
        cc->inflight = ++cc->epoch;
        cc->final = all_idle || stopping;
        cc->ended = all_ended;
        if (all_ended) /* every source ended: the job is finished, not merely stopped */
            sl_ckpt_mark_finished(x->ck);
        cc->t_trigger = now;
        atomic_store_explicit(&x->ck_req, cc->inflight, memory_order_release);
        return 0;
    }
    int rc = 0;
    for (int i = 0; i < x->n; i++)
        if (atomic_load_explicit(&x->workers[i].ck_ready, memory_order_acquire) != cc->inflight)
            return 0;
    double t_aligned = sl_wall();
    uint64_t e = cc->inflight;
    for (int i = 0; i < x->n && !rc; i++)
        if (x->workers[i].ck_rc) {
            rc = x->workers[i].ck_rc;
            sl_error_set(err, rc, "checkpoint %llu failed (nothing of it was committed): %s",
                         (unsigned long long)e, x->workers[i].ck_err.msg);
        }
    struct sl_ckpt_stats st;
    if (!rc)
        rc = sl_ckpt_commit_epoch(x->ck, e, x->ck_states, &st, err);
    if (!rc) {
        /* committed: the sinks make the epoch's output visible */
        for (uint32_t i = 0; i < x->npipes && !rc; i++)
            if (x->pipes[i].sink->ops->commit)
                rc = x->pipes[i].sink->ops->commit(x->pipes[i].sink, e, err);
        if (rc) /* committed, but not visible yet: the restart's recover() finishes it */
            return rc;
        sl_crash_point("ckpt.after_sink_commit");
        struct sl_error cerr;
        if (sl_ckpt_cleanup(x->ck, &cerr) != 0 && o->log)
            fprintf(o->log, "\nsluice: checkpoint cleanup: %s\n", cerr.msg);
        sl_crash_point("ckpt.after_cleanup");
        double t_end = sl_wall();
        if (cc->ndur == cc->capdur) {
            uint32_t ncap = cc->capdur ? cc->capdur * 2 : 64;
            double *nd = realloc(cc->dur, ncap * sizeof(*nd));
            double *na = nd ? realloc(cc->align, ncap * sizeof(*na)) : NULL;
            if (nd)
                cc->dur = nd;
            if (na)
                cc->align = na;
            if (nd && na)
                cc->capdur = ncap;
        }
        if (cc->ndur < cc->capdur) {
            cc->dur[cc->ndur] = (t_end - cc->t_trigger) * 1e3;
            cc->align[cc->ndur++] = (t_aligned - cc->t_trigger) * 1e3;
        }
        cc->committed = e;
        cc->ncommitted++;
        cc->bytes = st.bytes;
        cc->state_bytes = st.state_bytes;
        cc->failed_in_row = 0;
    } else {
        cc->nfailed++;
        if (rc == SL_EFENCED)
            return rc; /* another process leads the job now: stop at once */
        if (++cc->failed_in_row > o->tolerable_failures)
            return rc;
        /* tolerated; a failed final epoch is simply taken again */
        if (o->log)
            fprintf(o->log, "\nsluice: %s (tolerated: %d of %d in a row)\n", err->msg,
                    cc->failed_in_row, o->tolerable_failures);
        rc = 0;
        cc->inflight = 0;
        cc->next_at = sl_wall() + cc->interval_s;
        return 0;
    }
    cc->inflight = 0;
    cc->next_at = sl_wall() + cc->interval_s;
    if (cc->final && !rc && cc->ended) {
        /* the job is complete: later runs of it are refused rather than resumed */
        rc = sl_ckpt_finish(x->ck, e, err);
        if (rc)
            return rc;
        sl_crash_point("ckpt.after_finished");
    }
    if (cc->final && !rc)
        atomic_store(&x->ck_shutdown, 1);
    return rc;
}

int sl_exec_run(const struct sl_job *job, const struct sl_exec_opts *opts,
                struct sl_exec_summary *sum, struct sl_error *err)
{
    struct sl_exec *x = calloc(1, sizeof(*x));
    if (!x)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int rc = 0;
    x->job = job;
    x->opts = opts;
    x->n = opts->workers > 0 ? opts->workers : sl_exec_default_workers();
    x->env.sql = job->file->src;
    x->env.brokers = opts->brokers;
    x->env.kafka_props = opts->kafka_props;
    x->env.nkafka_props = opts->nkafka_props;
    x->env.print_out = opts->print_out ? opts->print_out : stdout;
    x->env.job = job;
    x->env.checkpoints = opts->ckpt != NULL;
    x->env.source_open = sl_source_open;
    struct sl_ck_coord cc = {0};
    double restore_ms = 0, restore_t0 = 0;
    const char *idle = sl_job_setting(job, "table.exec.source.idle-timeout");
    if (idle) {
        x->idle_ms = sl_exec_parse_duration_ms(idle);
        if (x->idle_ms < 0) {
            rc = sl_error_set(err, SL_EINVAL,
                              "SET 'table.exec.source.idle-timeout' = '%s': "
                              "not a duration (e.g. '5 s', '500 ms')",
                              idle);
            goto out;
        }
    }
    if (opts->pin && hwloc_topology_init(&x->topo) == 0) {
        if (hwloc_topology_load(x->topo) == 0)
            x->ncores = hwloc_get_nbobjs_by_type(x->topo, HWLOC_OBJ_CORE);
    }
    x->npipes = job->ninserts;
    x->pipes = calloc(x->npipes, sizeof(*x->pipes));
    x->workers = calloc((size_t)x->n, sizeof(*x->workers));
    x->rings = calloc((size_t)x->n * (size_t)x->n, sizeof(*x->rings));
    if (!x->pipes || !x->workers || !x->rings) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < x->npipes && !rc; i++)
        rc = sl_pipe_init(x, job->inserts[i], &x->pipes[i], err);
    if (rc)
        goto out;
    if (opts->ckpt) {
        struct sl_ckpt_opts co = *opts->ckpt;
        if (co.interval_ms <= 0) {
            const char *iv = sl_job_setting(job, "execution.checkpointing.interval");
            co.interval_ms = iv ? sl_exec_parse_duration_ms(iv) : 1000;
            if (co.interval_ms <= 0) {
                rc = sl_error_set(err, SL_EINVAL,
                                  "SET 'execution.checkpointing.interval' = "
                                  "'%s': not a positive duration (e.g. '1 s')",
                                  iv);
                goto out;
            }
        }
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
        double tr = sl_wall();
        rc = sl_ckpt_open(&co, x->n, sl_ck_fingerprint(job), &x->ck, err);
        if (rc)
            goto out;
        cc.epoch = sl_ckpt_base_epoch(x->ck);
        cc.committed = cc.epoch;
        for (uint32_t i = 0; i < x->npipes && !rc; i++)
            if (x->pipes[i].sink->ops->recover)
                rc = x->pipes[i].sink->ops->recover(x->pipes[i].sink, cc.epoch, err);
        if (rc)
            goto out;
        restore_t0 = tr;
        x->ck_states = calloc((size_t)x->n, sizeof(*x->ck_states));
        if (!x->ck_states) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
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
        w->ctx.worker = i;
        w->ctx.nworkers = x->n;
        w->ctx.sql = job->file->src;
        w->ctx.runner = w;
        w->ctx.send = sl_exec_send;
        w->ctx.stats = &w->stats;
        w->ctx.on_emit = opts->on_emit;
        w->ctx.on_emit_arg = opts->on_emit_arg;
        w->ctx.on_window = opts->on_window;
        w->ctx.on_window_arg = opts->on_window_arg;
        w->stats.watermark = INT64_MIN;
        w->wp = calloc(x->npipes, sizeof(*w->wp));
        w->by_tag = calloc(x->ntags ? x->ntags : 1, sizeof(*w->by_tag));
        w->pending = calloc((size_t)x->n, sizeof(*w->pending));
        w->ck_blocked = calloc((size_t)x->n, sizeof(*w->ck_blocked));
        if (x->ck_states) {
            w->ck_state = &x->ck_states[i];
            w->ck_done = cc.epoch;
            atomic_store(&w->ck_ready, cc.epoch);
        }
        if (!w->wp || !w->by_tag || !w->pending || !w->ck_blocked) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
    }
    double t0 = sl_wall(), c0 = sl_cpu();
    cc.next_at = t0 + cc.interval_s;
    for (int i = 0; i < x->n; i++) {
        if (pthread_create(&x->workers[i].thread, NULL, sl_worker_main, &x->workers[i]) != 0) {
            atomic_store(&x->failed, 1);
            rc = sl_error_set(err, SL_ENOMEM, "cannot start worker %d", i);
            break;
        }
        x->workers[i].started = true;
    }
    /* the monitor: progress on stderr (every 500 ms) and the checkpoint coordinator, until
     * every worker is done */
    double next_progress = t0 + 0.5;
    for (;;) {
        bool all = true;
        for (int i = 0; i < x->n; i++)
            if (x->workers[i].started && !atomic_load(&x->workers[i].done))
                all = false;
        if (all)
            break;
        if (opts->progress && sl_wall() >= next_progress) {
            sl_progress(x, t0, false);
            next_progress += 0.5;
        }
        if (x->ck && !rc && !atomic_load(&x->failed)) {
            rc = sl_ck_turn(x, &cc, err);
            if (rc)
                atomic_store(&x->failed, 1);
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
    double t_close = sl_wall();
    for (uint32_t i = 0; i < x->npipes && !rc; i++)
        rc = x->pipes[i].sink->ops->close(x->pipes[i].sink, err);
    if (sum) {
        memset(sum, 0, sizeof(*sum));
        sum->workers = x->n;
        sum->seconds = t_end - t0 + (sl_wall() - t_close);
        sum->cpu_seconds = sl_cpu() - c0;
        sum->watermark = INT64_MAX;
        sum->restored_epoch = x->ck ? sl_ckpt_restored_epoch(x->ck) : 0;
        sum->last_epoch = cc.committed;
        sum->checkpoints = cc.ncommitted;
        sum->checkpoints_failed = cc.nfailed;
        sum->ckpt_bytes = cc.bytes;
        sum->ckpt_state_bytes = cc.state_bytes;
        sum->restore_ms = restore_ms;
        if (cc.ndur) {
            qsort(cc.dur, cc.ndur, sizeof(double), sl_dbl_cmp);
            qsort(cc.align, cc.ndur, sizeof(double), sl_dbl_cmp);
            sum->ckpt_p50_ms = cc.dur[cc.ndur / 2];
            sum->ckpt_p99_ms = cc.dur[(cc.ndur * 99) / 100];
            sum->ckpt_max_ms = cc.dur[cc.ndur - 1];
            sum->ckpt_align_p50_ms = cc.align[cc.ndur / 2];
        }
        for (int i = 0; i < x->n; i++) {
            sum->rows_in += x->workers[i].stats.rows_in;
            sum->rows_out += x->workers[i].stats.rows_out;
            sum->late_rows += x->workers[i].stats.late_rows;
            sum->bad_records += x->workers[i].stats.bad_records;
            if (x->workers[i].stats.watermark < sum->watermark)
                sum->watermark = x->workers[i].stats.watermark;
        }
    }
out:
    if (x->workers) {
        for (int i = 0; i < x->n; i++) {
            struct sl_worker *w = &x->workers[i];
            free(w->wp); /* its operators went with the worker thread */
            free(w->by_tag);
            if (w->pending)
                for (int d = 0; d < x->n; d++) {
                    struct sl_pending *p = &w->pending[d];
                    for (uint32_t k = 0; k < p->len; k++) { /* never sent: a failed run */
                        struct sl_msg m = p->msgs[(p->head + k) % p->cap];
                        struct sl_msg_payload *pl = m.ptr;
                        if (m.kind == SL_MSG_DATA && pl && pl->free_fn)
                            pl->free_fn(pl);
                    }
                    free(p->msgs);
                }
            free(w->pending);
            free(w->ck_blocked);
        }
    }
    if (x->ck_states)
        for (int i = 0; i < x->n; i++)
            sl_ckpt_wstate_free(&x->ck_states[i]);
    free(x->ck_states);
    sl_ckpt_free(x->ck);
    free(cc.dur);
    free(cc.align);
    if (x->rings)
        for (int i = 0; i < x->n * x->n; i++)
            sl_ring_free(x->rings[i]);
    if (x->pipes)
        for (uint32_t i = 0; i < x->npipes; i++)
            sl_pipe_free(&x->pipes[i]);
    if (x->topo)
        hwloc_topology_destroy(x->topo);
    free(x->rings);
    free(x->workers);
    free(x->pipes);
    free(x);
    return rc;
}
