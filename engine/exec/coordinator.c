/*
 * engine/exec/coordinator.c - checkpoint epochs of a running job: the workers' side of the
 * barriers (begin, barrier, drain, snapshot, restore) and the coordinator on the run's
 * monitor thread (trigger, complete, commit through engine/exec/checkpoint.h, the sinks'
 * commit, cleanup). docs/checkpoint-protocol.md is the protocol.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/fault.h"
#include "engine/core/log.h"
#include "engine/exec/exec_int.h"
#include "engine/ops/op_basic.h"

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

int sl_coordinator_begin(struct sl_worker *w, uint64_t epoch, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    w->ck_epoch = epoch;
    w->ctx.aligning = true;
    w->ck_nbar = 0;
    for (int to = 0; to < x->nall; to++) { /* global workers: rings and the channel */
        w->ck_blocked[to] = false;
        if (to == w->gid)
            continue;
        struct sl_msg m = {.kind = SL_MSG_BARRIER, .num = (int64_t)epoch};
        int rc = sl_exec_send_raw(w, to, m, err);
        if (rc)
            return rc;
    }
    return 0;
}

int sl_coordinator_barrier(struct sl_worker *w, int from, uint64_t epoch, struct sl_error *err)
{
    if (!w->ck_epoch) {
        int rc = sl_coordinator_begin(w, epoch, err);
        if (rc)
            return rc;
    } else if (epoch != w->ck_epoch) {
        return sl_error_set(err, SL_ESTATE,
                            "worker %d: a barrier of epoch %llu from worker %d while aligning "
                            "epoch %llu",
                            w->gid, (unsigned long long)epoch, from,
                            (unsigned long long)w->ck_epoch);
    }
    w->ck_blocked[from] = true;
    w->ck_nbar++;
    return 0;
}

/* Serves every message this worker sent itself (its own ring and queue) - all sent before
 * its cut, since it polls no source while aligning. */
int sl_coordinator_drain_self(struct sl_worker *w, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    struct sl_ring *r = x->rings[w->id * x->n + w->id];
    struct sl_pending *p = &w->pending[w->gid];
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
        int rc = sl_exec_dispatch(w, w->gid, m, err);
        if (rc)
            return rc;
    }
}

/* Every barrier is in: saves this worker's state of epoch ck_epoch and resumes. The outcome
 * goes to the coordinator (ck_rc), which fails the epoch; the worker goes on either way. */
void sl_coordinator_snapshot(struct sl_worker *w)
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
        rc = !p->sink                ? 0 /* a segment into a join */
             : p->sink->ops->prepare ? p->sink->ops->prepare(p->sink, &w->ctx, e, err)
                                     : p->sink->ops->flush(p->sink, &w->ctx, err);
        sl_exec_account(w, i);
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
        rc = p->source->ops->save(p->source, w->gid, &ws->data, &ws->summary, err);
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
    w->ck_ended = true; /* at the cut: a cluster's final epoch needs every worker ended */
    for (uint32_t i = 0; i < x->npipes; i++)
        w->ck_ended &= w->wp[i].finished;
    w->ck_done = e;
    w->ck_epoch = 0;
    w->ctx.aligning = false;
    w->ck_nbar = 0;
    for (int i = 0; i < x->nall; i++)
        w->ck_blocked[i] = false;
    atomic_store_explicit(&w->ck_ready, e, memory_order_release);
}

/* Source reuse (struct sl_pipe's share): pipeline `i` reads the source of pipeline
 * x->pipes[i].share, so the snapshot `ws` must hold the same position for both - as every
 * snapshot taken with reuse does. A snapshot of separate scans (taken without reuse, or
 * before sluice had it) whose positions differ is refused: resuming both from one position
 * would repeat or skip rows of one of them. */
static int sl_coordinator_same_source(struct sl_exec *x, const struct sl_ckpt_wstate *ws,
                                      uint32_t i, const struct sl_ckpt_block *b, const char *what,
                                      struct sl_error *err)
{
    uint32_t j = (uint32_t)x->pipes[i].share;
    const struct sl_ckpt_block *a = sl_ckpt_wstate_find(ws, SL_CKPT_SOURCE, j, 0);
    if (a && a->len == b->len && !memcmp(ws->data.p + a->off, ws->data.p + b->off, b->len))
        return 0;
    return sl_error_set(err, SL_ENOTSUP,
                        "%s: the checkpoint holds another position for it than for pipeline %u, "
                        "which reads the same table: it was taken with separate scans of the "
                        "table; resume it with SET 'table.optimizer.reuse-source-enabled' = "
                        "'false'",
                        what, j);
}

/* Restores this worker's pipelines from the state of the restored epoch. */
int sl_coordinator_restore(struct sl_worker *w, const struct sl_ckpt_wstate *ws,
                           struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    char what[256];
    for (uint32_t i = 0; i < x->npipes; i++) {
        struct sl_pipe *p = &x->pipes[i];
        struct sl_wpipe *wp = &w->wp[i];
        const char *table = p->nodes[0]->scan.table->name;
        const struct sl_ckpt_block *b = sl_ckpt_wstate_find(ws, SL_CKPT_PIPE, i, 0);
        struct sl_sread r;
        const struct sl_pipe *root = p;
        while (root->into_pipe >= 0) /* a segment: the INSERT it belongs to */
            root = &x->pipes[root->into_pipe];
        snprintf(what, sizeof(what), "worker %d: pipeline %u (INSERT INTO %s)", w->id, i,
                 root->sink->table->name);
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
        if (p->share >= 0) { /* source reuse: the shared source's own pipeline restores it */
            if ((rc = sl_coordinator_same_source(x, ws, i, b, what, err)))
                return rc;
        } else if ((rc = p->source->ops->restore(p->source, &w->ctx, &r, err)) ||
                   (rc = sl_sread_end(&r, err))) {
            return rc;
        }
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
            if (!b && op->ops->state_optional) {
                if ((rc = op->ops->restore(op, &w->ctx, NULL, err)))
                    return rc;
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

/* Fills in[j] with old worker j's block (type, pipe, node); SL_ECORRUPT naming `what` when
 * one has none, unless `optional` (then in[j] is all zeros: p = NULL). */
static int sl_rescale_blocks(struct sl_exec *x, uint32_t type, uint32_t pipe, uint32_t node,
                             bool optional, struct sl_sread *in, char (*names)[128],
                             const char *what, struct sl_error *err)
{
    int nold = sl_ckpt_restored_workers(x->ck);
    for (int j = 0; j < nold; j++) {
        const struct sl_ckpt_wstate *ws = sl_ckpt_restored_state(x->ck, j);
        const struct sl_ckpt_block *b = ws ? sl_ckpt_wstate_find(ws, type, pipe, node) : NULL;
        if (!b && optional) {
            memset(&in[j], 0, sizeof(in[j]));
            continue;
        }
        if (!b)
            return sl_error_set(err, SL_ECORRUPT, "old worker %d: %s: no state in the snapshot", j,
                                what);
        snprintf(names[j], sizeof(names[j]), "old worker %d: %.80s", j, what);
        sl_sread_init(&in[j], ws->data.p + b->off, b->len, names[j]);
    }
    return 0;
}

/* Every in[j] read to its end. */
static int sl_rescale_ends(struct sl_sread *in, int nold, struct sl_error *err)
{
    int rc = 0;
    for (int j = 0; j < nold && !rc; j++)
        rc = sl_sread_end(&in[j], err);
    return rc;
}

int sl_coordinator_rescale(struct sl_worker *w, struct sl_error *err)
{
    struct sl_exec *x = w->exec;
    int nold = sl_ckpt_restored_workers(x->ck);
    struct sl_sread *in = calloc((size_t)nold, sizeof(*in));
    char(*names)[128] = calloc((size_t)nold, sizeof(*names));
    char what[256];
    int rc = 0;
    if (!in || !names) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < x->npipes && !rc; i++) {
        struct sl_pipe *p = &x->pipes[i];
        struct sl_wpipe *wp = &w->wp[i];
        const char *table = p->nodes[0]->scan.table->name;
        const struct sl_pipe *root = p;
        while (root->into_pipe >= 0)
            root = &x->pipes[root->into_pipe];
        /* the executor's flags: whether the old worker's source and pipeline had ended. The
         * new worker's source says again when its splits end (a split saved done reports
         * it), and the end travels downstream as in any run */
        snprintf(what, sizeof(what), "pipeline %u (INSERT INTO %s)", i, root->sink->table->name);
        if ((rc = sl_rescale_blocks(x, SL_CKPT_PIPE, i, 0, false, in, names, what, err)))
            break;
        for (int j = 0; j < nold && !rc; j++) {
            uint8_t sd, fin;
            if (!(rc = sl_sread_u8(&in[j], &sd, err)))
                rc = sl_sread_u8(&in[j], &fin, err);
        }
        if (rc || (rc = sl_rescale_ends(in, nold, err)))
            break;
        wp->source_done = false;
        wp->finished = false;
        snprintf(what, sizeof(what), "source table '%s'", table);
        if (!p->source->ops->rescale) {
            rc = sl_error_set(err, SL_ENOTSUP,
                              "job '%s': epoch %" PRIu64 " was taken with %d workers and this "
                              "run has %d, but the position of table '%s' (connector '%s') "
                              "depends on the worker count and cannot be rescaled; run with "
                              "--workers %d to resume it",
                              x->opts->ckpt->job, sl_ckpt_restored_epoch(x->ck), nold, x->nall,
                              table, p->source->table->connector, nold);
            break;
        }
        if (p->share >= 0) { /* source reuse: the shared source's own pipeline rescales it */
            for (int j = 0; j < nold && !rc; j++) {
                const struct sl_ckpt_wstate *ws = sl_ckpt_restored_state(x->ck, j);
                const struct sl_ckpt_block *b =
                    ws ? sl_ckpt_wstate_find(ws, SL_CKPT_SOURCE, i, 0) : NULL;
                snprintf(what, sizeof(what), "old worker %d: source table '%s'", j, table);
                rc = b ? sl_coordinator_same_source(x, ws, i, b, what, err)
                       : sl_error_set(err, SL_ECORRUPT, "%s: no position in the snapshot", what);
            }
            if (rc)
                break;
        } else if ((rc = sl_rescale_blocks(x, SL_CKPT_SOURCE, i, 0, false, in, names, what, err)) ||
                   (rc = p->source->ops->rescale(p->source, &w->ctx, in, (uint32_t)nold, err)) ||
                   (rc = sl_rescale_ends(in, nold, err))) {
            break;
        }
        for (uint32_t k = 1; k < p->nnodes && !rc; k++) {
            struct sl_op *op = wp->ops[k];
            if (!op->ops->restore)
                continue;
            if (!op->ops->rescale) {
                rc = sl_error_set(err, SL_ENOTSUP,
                                  "job '%s': epoch %" PRIu64 " was taken with %d workers and "
                                  "this run has %d, but the state of pipeline %u operator %u "
                                  "(%s) cannot be rescaled yet; run with --workers %d to "
                                  "resume it",
                                  x->opts->ckpt->job, sl_ckpt_restored_epoch(x->ck), nold, x->nall,
                                  i, k, op->ops->name, nold);
                break;
            }
            snprintf(what, sizeof(what), "pipeline %u operator %u (%s)", i, k, op->ops->name);
            if ((rc = sl_rescale_blocks(x, SL_CKPT_OP, i, k, op->ops->state_optional, in, names,
                                        what, err)) ||
                (rc = op->ops->rescale(op, &w->ctx, in, (uint32_t)nold, err)) ||
                (rc = sl_rescale_ends(in, nold, err)))
                break;
        }
    }
out:
    free(in);
    free(names);
    return rc;
}

/* ---- the checkpoint coordinator ------------------------------------------------------------ */

/* ---- what state depends on ------------------------------------------------------------------
 *
 * A snapshot holds, per pipeline, its source's position, its sink's pending parts and one
 * block per stateful operator, addressed by the node's index in the pipeline. It restores
 * into a job whose pipelines have the same nodes at the same indexes, with the same state
 * layouts: the layout text below says exactly that, one line per node, and nothing else -
 * not the EXPLAIN text, so that a cosmetic change to EXPLAIN orphans no checkpoint, and a
 * changed filter or projection above a window does not either (as in Flink, stateless
 * operators may change). Its hash is the plan fingerprint in the manifest; the text itself
 * goes there too, so that a refusal names the first line that differs.
 *
 *     pipeline 0 node 0: source 'datagen' (nexmark)
 *     pipeline 0 node 1: watermark
 *     pipeline 0 node 2: stateless
 *     pipeline 0 node 3: window TUMBLE size 1000 slide 1000 offset 0
 *     pipeline 0 node 4: window aggregation keys (BIGINT, TIMESTAMP(3), TIMESTAMP(3))
 *                        aggregates (COUNT(*) BIGINT, MAX(BIGINT) BIGINT)
 *     pipeline 0 node 5: sink 'auction_bids' (filesystem)
 */

static void sl_coordinator_type(struct sl_type t, FILE *f)
{
    char buf[64];
    sl_type_format(t, buf, sizeof(buf));
    fputs(buf, f);
}

static const char *const sl_coordinator_window_names[] = {[SL_WINDOW_TUMBLE] = "TUMBLE",
                                                          [SL_WINDOW_HOP] = "HOP",
                                                          [SL_WINDOW_CUMULATE] = "CUMULATE",
                                                          [SL_WINDOW_SESSION] = "SESSION"};

static void sl_coordinator_node(const struct sl_plan *n, FILE *f)
{
    switch (n->kind) {
    case SL_PLAN_SCAN:
        fprintf(f, "source '%s' (%s)", n->scan.table->name, n->scan.table->connector);
        break;
    case SL_PLAN_SINK:
        fprintf(f, "sink '%s' (%s)", n->sink.table->name, n->sink.table->connector);
        break;
    case SL_PLAN_WATERMARK:
        /* per split: the largest rowtime; the bound may change. Processing time keeps no
         * state (the clock), but an event-time state must not restore into it */
        fputs(n->watermark.proctime ? "watermark processing-time" : "watermark", f);
        break;
    case SL_PLAN_WINDOW:
        fprintf(f, "window %s size %lld slide %lld offset %lld",
                sl_coordinator_window_names[n->window.kind], (long long)n->window.size_ms,
                (long long)n->window.slide_ms, (long long)n->window.offset_ms);
        break;
    case SL_PLAN_AGG: {
        const struct sl_rel *in = &n->input->out;
        fputs(n->agg.window_start >= 0 ? "window aggregation keys (" : "aggregation keys (", f);
        for (uint32_t k = 0; k < n->agg.nkeys; k++) {
            fputs(k ? ", " : "", f);
            sl_coordinator_type(in->cols[n->agg.keys[k]].type, f);
        }
        fputs(") aggregates (", f);
        for (uint32_t k = 0; k < n->agg.naggs; k++) {
            const struct sl_agg *a = &n->agg.aggs[k];
            fprintf(f, "%s%s", k ? ", " : "", sl_agg_fn_name(a->fn));
            if (a->fn != SL_AGG_COUNT_STAR) {
                fputs(a->distinct ? "(DISTINCT " : "(", f);
                sl_coordinator_type(in->cols[a->col].type, f);
                fputc(')', f);
            }
            if (a->filter)
                fprintf(f, " FILTER(%d)", a->filter - 1);
            fputc(' ', f);
            sl_coordinator_type(a->type, f);
        }
        fputc(')', f);
        if (n->agg.slice.kind != SL_WINDOW_TUMBLE) /* sliced: state format 2 (op_winagg.c) */
            fprintf(f, " slices %s size %lld slide %lld offset %lld",
                    sl_coordinator_window_names[n->agg.slice.kind], (long long)n->agg.slice.size_ms,
                    (long long)n->agg.slice.slide_ms, (long long)n->agg.slice.offset_ms);
        break;
    }
    case SL_PLAN_LATE: /* its watermark; the late table's sink is the pipeline's */
        fprintf(f, "late split into '%s' (%s)", n->late.table->name, n->late.table->connector);
        break;
    case SL_PLAN_JOIN: { /* both sides' rows: their column types (op_join.h) */
        const struct sl_rel *l = &n->input->out, *r = &n->join.right->out;
        /* an outer join's state has match counts (op_join.h): it names its kind; an inner
         * join's text is as before outer joins were (its checkpoints restore) */
        static const char *const outer[] = {"", " left outer", " right outer", " full outer"};
        fprintf(f, "join%s keys %u left (", outer[n->join.type], n->join.nkeys);
        for (uint32_t c = 0; c < l->ncols; c++) {
            fputs(c ? ", " : "", f);
            sl_coordinator_type(l->cols[c].type, f);
        }
        fputs(") right (", f);
        for (uint32_t c = 0; c < r->ncols; c++) {
            fputs(c ? ", " : "", f);
            sl_coordinator_type(r->cols[c].type, f);
        }
        fprintf(f, ")%s", n->join.left_local ? " left local" : "");
        break;
    }
    case SL_PLAN_RANK: /* op_rank.c's state: rows of the input's columns, the key table */
        fprintf(f, "rank %s %lld..%lld partition (",
                n->rank.strategy == SL_RANK_TOPN ? "top-n" : "dedup", (long long)n->rank.start,
                (long long)n->rank.end);
        for (uint32_t k = 0; k < n->rank.npart; k++) {
            fputs(k ? ", " : "", f);
            sl_coordinator_type(n->input->out.cols[n->rank.part[k]].type, f);
        }
        fputs(") row (", f);
        for (uint32_t k = 0; k < n->input->out.ncols; k++) {
            fputs(k ? ", " : "", f);
            sl_coordinator_type(n->input->out.cols[k].type, f);
        }
        fputc(')', f);
        break;
    case SL_PLAN_OVER: { /* op_over.c's state: the frame and accumulators, waiting rows */
        const struct sl_rel *in = &n->input->out;
        fprintf(f, "over %s %lld time %d partition (", n->over.rows ? "rows" : "range",
                (long long)n->over.preceding, n->over.time_col);
        for (uint32_t k = 0; k < n->over.npart; k++) {
            fputs(k ? ", " : "", f);
            sl_coordinator_type(in->cols[n->over.part[k]].type, f);
        }
        fputs(") aggregates (", f);
        for (uint32_t k = 0; k < n->over.naggs; k++) {
            const struct sl_agg *a = &n->over.aggs[k];
            fprintf(f, "%s%s(%d) ", k ? ", " : "", sl_agg_fn_name(a->fn), a->col);
            sl_coordinator_type(a->type, f);
        }
        fputs(") row (", f);
        for (uint32_t k = 0; k < in->ncols; k++) {
            fputs(k ? ", " : "", f);
            sl_coordinator_type(in->cols[k].type, f);
        }
        fputc(')', f);
        break;
    }
    default: /* filter, projection, lookup join: no state across batches */
        fputs("stateless", f);
        break;
    }
}

/* The lines of the chain under `top`, scan first; a join's right input follows the join's
 * line, named by the join's path ("0.3r": pipeline 0, node 3's right input). */
static void sl_coordinator_chain(const struct sl_plan *top, const char *path, uint32_t i, FILE *f)
{
    const struct sl_plan *nodes[256];
    uint32_t n = 0;
    for (const struct sl_plan *p = top; p && n < 256; p = p->input)
        nodes[n++] = p;
    for (uint32_t k = 0; k < n; k++) {
        const struct sl_plan *node = nodes[n - 1 - k];
        fprintf(f, "pipeline %u%s node %u: ", i, path, k);
        sl_coordinator_node(node, f);
        fputc('\n', f);
        if (node->kind == SL_PLAN_JOIN) {
            char sub[128];
            snprintf(sub, sizeof(sub), "%s.%ur", path, k);
            sl_coordinator_chain(node->join.right, sub, i, f);
        }
    }
}

char *sl_coordinator_layout(const struct sl_job *job)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    for (uint32_t i = 0; i < job->ninserts; i++)
        sl_coordinator_chain(job->inserts[i], "", i, f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static int sl_coordinator_dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The figures of committed epoch `e` for the metrics (struct sl_ckpt_live, op_state):
 * relaxed atomic stores, read by the metrics endpoint's thread. */
static void sl_coordinator_live(struct sl_exec *x, struct sl_coordinator *cc, uint64_t e,
                                double t_aligned, double t_end)
{
    struct sl_ckpt_live *l = &x->ck_live;
    sl_stats_add(&l->dur_us, (uint64_t)((t_end - cc->t_trigger) * 1e6));
    sl_stats_add(&l->align_us, (uint64_t)((t_aligned - cc->t_trigger) * 1e6));
    __atomic_store_n(&l->bytes, cc->bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&l->state_bytes, cc->state_bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&l->epoch, e, __ATOMIC_RELAXED);
    sl_stats_add(&l->committed, 1);
    /* each operator's state: the length of its block in each worker's snapshot */
    for (int w = 0; w < x->n; w++) {
        const struct sl_ckpt_wstate *ws = &x->ck_states[w];
        for (uint32_t b = 0; b < ws->nblocks; b++) {
            const struct sl_ckpt_block *blk = &ws->blocks[b];
            if (blk->type != SL_CKPT_OP || blk->pipe >= x->npipes ||
                blk->node >= x->pipes[blk->pipe].nnodes)
                continue;
            uint32_t tag = x->pipes[blk->pipe].tag_base + blk->node;
            __atomic_store_n(&x->op_state[(size_t)w * x->ntags + tag], (uint64_t)blk->len + 1,
                             __ATOMIC_RELAXED);
        }
    }
}

int sl_coordinator_sinks_commit(struct sl_exec *x, uint64_t e, struct sl_error *err)
{
    const struct sl_ckpt_opts *o = x->opts->ckpt;
    int rc = 0;
    for (uint32_t i = 0; i < x->npipes && !rc; i++)
        if (x->pipes[i].sink && x->pipes[i].sink->ops->commit)
            rc = x->pipes[i].sink->ops->commit(x->pipes[i].sink, e, err);
    if (rc) /* committed, but not visible yet: the restart's recover() finishes it */
        return rc;
    sl_crash_point("ckpt.after_sink_commit");
    for (uint32_t i = 0; i < x->npipes; i++) /* e.g. Kafka offsets to the group */
        if (x->pipes[i].share < 0 && x->pipes[i].source->ops->committed)
            x->pipes[i].source->ops->committed(x->pipes[i].source, e,
                                               sl_log_enabled(SL_LOG_WARN) ? o->log : NULL);
    return 0;
}

void sl_coordinator_dur_room(struct sl_coordinator *cc)
{
    if (cc->ndur < cc->capdur)
        return;
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

/* One turn of the coordinator (the monitor thread): triggers epochs, and completes the one
 * in flight once every worker took its snapshot: commit, sinks' commit, cleanup. 0, or an
 * error that fails the run. */
int sl_coordinator_turn(struct sl_exec *x, struct sl_coordinator *cc, struct sl_error *err)
{
    const struct sl_ckpt_opts *o = x->opts->ckpt;
    double now = sl_exec_wall();
    if (atomic_load(&x->ck_shutdown))
        return 0; /* the final epoch committed: no other may start */
    int rc = 0;
    if (x->cl_ckpt) { /* a job over several processes (ccluster.c) */
        if (!x->cl_leader)
            return sl_ccluster_member_turn(x, cc, err);
        if ((rc = sl_ccluster_watch(x, cc, err)))
            return rc;
    }
    if (!cc->inflight) {
        bool stopping = x->opts->stop && atomic_load_explicit(x->opts->stop, memory_order_relaxed);
        bool all_idle = true, all_ended = true;
        for (int i = 0; i < x->n; i++) {
            all_idle &= atomic_load(&x->workers[i].idle_done) != 0;
            all_ended &= atomic_load(&x->workers[i].input_ended) != 0;
        }
        if (x->cl_ckpt) /* the members' ends are known from their acks (ccluster.c) */
            all_idle = all_ended = false;
        if (!all_idle && !stopping && now < cc->next_at)
            return 0;
        cc->inflight = ++cc->epoch;
        cc->final = all_idle || stopping;
        cc->ended = all_ended;
        if (all_ended) /* every source ended: the job is finished, not merely stopped */
            sl_ckpt_mark_finished(x->ck);
        if (cc->final && x->cl_ckpt)
            sl_ckpt_mark_final(x->ck);
        cc->t_trigger = now;
        atomic_store_explicit(&x->ck_req, cc->inflight, memory_order_release);
        sl_exec_wake_all(x);
        return 0;
    }
    for (int i = 0; i < x->n; i++)
        if (atomic_load_explicit(&x->workers[i].ck_ready, memory_order_acquire) != cc->inflight)
            return 0;
    double t_aligned = sl_exec_wall();
    uint64_t e = cc->inflight;
    for (int i = 0; i < x->n && !rc; i++)
        if (x->workers[i].ck_rc) {
            rc = x->workers[i].ck_rc;
            sl_error_set(err, rc, "checkpoint %llu failed (nothing of it was committed): %s",
                         (unsigned long long)e, x->workers[i].ck_err.msg);
        }
    struct sl_ckpt_stats st;
    if (!rc && x->cl_ckpt) {
        /* the leader: its own files and ack, then every member's ack (ccluster.c) */
        int got = sl_ccluster_leader_complete(x, cc, e, &st, err);
        if (got == 0)
            return 0; /* acks missing: the next turn looks again */
        rc = got < 0 ? got : 0;
    } else if (!rc) {
        rc = sl_ckpt_commit_epoch(x->ck, e, x->ck_states, &st, err);
    }
    if (!rc) {
        /* committed: the sinks make the epoch's output visible */
        if ((rc = sl_coordinator_sinks_commit(x, e, err)))
            return rc;
        struct sl_error cerr;
        if (sl_ckpt_cleanup(x->ck, &cerr) != 0 && o->log && sl_log_enabled(SL_LOG_WARN))
            fprintf(o->log, "\nsluice: checkpoint cleanup: %s\n", cerr.msg);
        sl_crash_point("ckpt.after_cleanup");
        double t_end = sl_exec_wall();
        sl_coordinator_dur_room(cc);
        if (cc->ndur < cc->capdur) {
            cc->dur[cc->ndur] = (t_end - cc->t_trigger) * 1e3;
            cc->align[cc->ndur++] = (t_aligned - cc->t_trigger) * 1e3;
        }
        cc->committed = e;
        cc->ncommitted++;
        cc->bytes = st.bytes;
        cc->state_bytes = st.state_bytes;
        cc->failed_in_row = 0;
        sl_coordinator_live(x, cc, e, t_aligned, t_end);
        if (o->log && sl_log_enabled(SL_LOG_DEBUG))
            sl_log(o->log, SL_LOG_DEBUG, "epoch %llu committed in %.1f ms (aligned in %.1f ms)",
                   (unsigned long long)e, (t_end - cc->t_trigger) * 1e3,
                   (t_aligned - cc->t_trigger) * 1e3);
    } else {
        cc->nfailed++;
        sl_stats_add(&x->ck_live.failed, 1);
        struct sl_error lerr;
        if (rc != SL_EFENCED && sl_ckpt_check_leader(x->ck, &lerr) == SL_EFENCED) {
            /* e.g. a paused leader resumed: the standby that took over removed its files */
            char cause[sizeof(err->msg)];
            snprintf(cause, sizeof(cause), "%s", err->msg);
            rc = sl_error_set(err, SL_EFENCED, "%s (and so: %s)", lerr.msg, cause);
        }
        if (rc == SL_EFENCED || x->cl_ckpt)
            return rc; /* another process leads the job now, or a cluster's epoch failed
                        * (its members' files and acks are not retried): stop at once */
        if (++cc->failed_in_row > o->tolerable_failures)
            return rc;
        /* tolerated; a failed final epoch is simply taken again */
        if (o->log && sl_log_enabled(SL_LOG_WARN))
            fprintf(o->log, "\nsluice: %s (tolerated: %d of %d in a row)\n", err->msg,
                    cc->failed_in_row, o->tolerable_failures);
        rc = 0;
        cc->inflight = 0;
        cc->next_at = sl_exec_wall() + cc->interval_s;
        return 0;
    }
    cc->inflight = 0;
    cc->next_at = sl_exec_wall() + cc->interval_s;
    if (cc->final && !rc && cc->ended) {
        /* the job is complete: later runs of it are refused rather than resumed */
        rc = sl_ckpt_finish(x->ck, e, err);
        if (rc)
            return rc;
        sl_crash_point("ckpt.after_finished");
    }
    if (cc->final && !rc) {
        atomic_store(&x->ck_shutdown, 1);
        sl_exec_wake_all(x);
    }
    return rc;
}

void sl_coordinator_summary(struct sl_coordinator *cc, struct sl_exec_summary *sum)
{
    sum->last_epoch = cc->committed;
    sum->checkpoints = cc->ncommitted;
    sum->checkpoints_failed = cc->nfailed;
    sum->ckpt_bytes = cc->bytes;
    sum->ckpt_state_bytes = cc->state_bytes;
    if (cc->ndur) {
        qsort(cc->dur, cc->ndur, sizeof(double), sl_coordinator_dbl_cmp);
        qsort(cc->align, cc->ndur, sizeof(double), sl_coordinator_dbl_cmp);
        sum->ckpt_p50_ms = cc->dur[cc->ndur / 2];
        sum->ckpt_p99_ms = cc->dur[(cc->ndur * 99) / 100];
        sum->ckpt_max_ms = cc->dur[cc->ndur - 1];
        sum->ckpt_align_p50_ms = cc->align[cc->ndur / 2];
    }
}

void sl_coordinator_free(struct sl_coordinator *cc)
{
    free(cc->dur);
    free(cc->align);
    cc->dur = cc->align = NULL;
}
