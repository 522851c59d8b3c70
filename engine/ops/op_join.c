/*
 * engine/ops/op_join.c - the regular join of two streams (see engine/ops/op_join.h for the
 * design, the state per row and the checkpoint format).
 */
#include "engine/ops/op_join.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/eval.h"
#include "engine/ops/join_route.h"
#include "engine/plan/catalog.h"
#include "engine/plan/settings.h"

#define SL_JN_MAGIC 0x324e4a53u    /* "SJN2" little-endian: format version 2 */
#define SL_JN_MAGIC_V1 0x314e4a53u /* "SJN1": version 1, the same for an INNER join */
#define SL_JN_MAGIC_V3 0x334e4a53u /* "SJN3": version 2 with the rows' TTL times */

struct sl_op_join {
    struct sl_op op;
    struct sl_jn_right right;
    struct sl_heap *heap;
    struct sl_jn_route r; /* input routing and the outbox */
    bool left_local;
    struct sl_jn_side side[2]; /* 0 left, 1 right */
    bool done[2];              /* this worker's input of the side ended */
    bool end_sent, finished;
    uint32_t ends; /* END messages heard */
    /* scratch, SL_BATCH_CAP each */
    uint32_t *pl, *pr; /* matching pairs: left row, right row (SL_JN_NONE: NULLs) */
    uint8_t *pk;       /* their row kinds (an outer join's) */
    bool outer;        /* LEFT, RIGHT or FULL: the output carries row kinds */
    uint8_t akind;     /* the kind of the pairs of the accumulating rows being probed */
    sl_sel_t *sub;     /* SL_BATCH_CAP: the input rows of one run of a kind */
    uint32_t *mq, nmq; /* a retracted row's matches (rows of the other side), capacity nmq */
    /* an outer join's residual condition (plan join.residual): evaluated over candidate
     * pairs (key-equal: cl, cr, new row and stored row) gathered into a batch of out_schema */
    struct sl_eval *res_ev;
    struct sl_batch_pool *cand_pool;
    uint32_t *cl, *cr;
    struct sl_schema *out_schema;
    struct sl_batch_pool *out_pool;
    /* state TTL ('table.exec.state.ttl'): the rows' times are the sides' ts */
    int64_t ttl_ms;        /* 0: rows are kept forever */
    int64_t lim;           /* during a probe: a row written at or before it has expired */
    int64_t oldest[2];     /* at most the least time of a side's rows (INT64_MAX: none) */
    int64_t next_sweep[2]; /* when the cleanup looks at the side next */
};

/* Whether row q of side o has expired (its TTL ran out: it neither matches nor is matched). */
static inline bool sl_jn_expired(const struct sl_op_join *j, const struct sl_jn_side *o, uint32_t q)
{
    return o->ts && o->ts[q] <= j->lim;
}

/* A preserved row's match count changed: a write, its TTL starts again (Flink's
 * OuterJoinRecordStateView puts the record with its new count). */
static inline void sl_jn_touch(struct sl_jn_side *o, uint32_t q)
{
    if (o->ts)
        o->ts[q] = o->now;
}

static int sl_jn_oom(const struct sl_op_join *j, const struct sl_worker_ctx *ctx,
                     struct sl_error *err)
{
    return sl_op_error(ctx, j->op.plan->pos, err, SL_ENOMEM, "join: out of memory");
}

/* Emits the pairs collected in j->pl / j->pr. */
static int sl_jn_emit(struct sl_op_join *j, struct sl_worker_ctx *ctx, uint32_t n,
                      struct sl_error *err)
{
    if (!n)
        return 0;
    struct sl_batch *out = sl_batch_pool_get(j->out_pool);
    if (!out)
        return sl_jn_oom(j, ctx, err);
    sl_jn_gather(&j->side[0], j->pl, n, out, 0, j->outer);
    sl_jn_gather(&j->side[1], j->pr, n, out, j->side[0].ncols, j->outer);
    bool kinds = j->outer; /* an inner join's output is all +I until an input updates */
    for (uint32_t i = 0; i < n && !kinds; i++)
        kinds = j->pk[i] != SL_ROW_INSERT;
    if (kinds)
        memcpy(sl_batch_kinds(out), j->pk, n);
    out->rows = n;
    return sl_op_push_next(&j->op, ctx, out, err);
}

/* Adds the pair (mine, theirs) of kind `kind` to the output, emitted at a full batch. */
static int sl_jn_pair(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd, uint32_t *np,
                      uint32_t mine, uint32_t theirs, uint8_t kind, struct sl_error *err)
{
    (sd == 0 ? j->pl : j->pr)[*np] = mine;
    (sd == 0 ? j->pr : j->pl)[*np] = theirs;
    j->pk[(*np)++] = kind;
    if (*np < SL_BATCH_CAP)
        return 0;
    *np = 0;
    return sl_jn_emit(j, ctx, SL_BATCH_CAP, err);
}

/* The rows [base, base + n) just stored on side `sd` meet the other side's rows. As Flink's
 * StreamingJoinOperator: for each new row, first -D of the other side's null-padded rows it
 * is the first match of (an outer other side), then +I of every pair; a new row of an outer
 * side without a match (or with a NULL key) is +I null-padded, its match count kept. */
static int sl_jn_probe(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd, uint32_t base,
                       uint32_t n, struct sl_error *err)
{
    struct sl_jn_side *s = &j->side[sd], *o = &j->side[1 - sd];
    if (!o->rows && !s->outer)
        return 0;
    uint32_t np = 0, mask = o->nslots - 1;
    int rc = 0;
    for (uint32_t r = base; r < base + n && !rc; r++) {
        if (s->match && s->match[r] == SL_JN_NONE) {
            rc = sl_jn_pair(j, ctx, sd, &np, r, SL_JN_NONE, SL_ROW_INSERT, err);
            continue;
        }
        uint64_t h = s->hash[r];
        uint32_t cnt = 0;
        if (o->match) /* the other side's rows matched for the first time lose their padding */
            for (uint32_t q = o->head[h & mask]; q != SL_JN_NONE && !rc; q = o->next[q]) {
                if (o->hash[q] != h || sl_jn_expired(j, o, q) || !sl_jn_keys_eq(s, r, o, q))
                    continue;
                if (o->match[q] == 0)
                    rc = sl_jn_pair(j, ctx, sd, &np, SL_JN_NONE, q, SL_ROW_DELETE, err);
                o->match[q] += o->match[q] < SL_JN_NONE - 1;
                sl_jn_touch(o, q);
            }
        for (uint32_t q = o->head[h & mask]; q != SL_JN_NONE && !rc; q = o->next[q]) {
            if (o->hash[q] != h || sl_jn_expired(j, o, q) || !sl_jn_keys_eq(s, r, o, q))
                continue;
            cnt += cnt < SL_JN_NONE - 1;
            rc = sl_jn_pair(j, ctx, sd, &np, r, q, j->akind, err);
        }
        if (s->match && !rc) {
            s->match[r] = cnt;
            if (!cnt)
                rc = sl_jn_pair(j, ctx, sd, &np, r, SL_JN_NONE, SL_ROW_INSERT, err);
        }
    }
    return rc ? rc : sl_jn_emit(j, ctx, np, err);
}

/* The candidate pairs cl / cr [0, nc) (rows of side sd, rows of the other side) through the
 * residual condition: the passing ones are matches, in order (see sl_jn_probe_res). */
static int sl_jn_res_flush(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd, uint32_t nc,
                           uint32_t *np, struct sl_error *err)
{
    if (!nc)
        return 0;
    struct sl_jn_side *s = &j->side[sd], *o = &j->side[1 - sd];
    struct sl_batch *b = sl_batch_pool_get(j->cand_pool);
    if (!b)
        return sl_jn_oom(j, ctx, err);
    sl_jn_gather(&j->side[0], sd == 0 ? j->cl : j->cr, nc, b, 0, true);
    sl_jn_gather(&j->side[1], sd == 0 ? j->cr : j->cl, nc, b, j->side[0].ncols, true);
    b->rows = nc;
    int rc = sl_eval_filter(j->res_ev, b, err);
    uint32_t na = rc ? 0 : sl_batch_active(b);
    for (uint32_t i = 0; i < na && !rc; i++) {
        uint32_t k = b->sel ? b->sel[i] : i, r = j->cl[k], q = j->cr[k];
        if (o->match) {
            if (o->match[q] == 0)
                rc = sl_jn_pair(j, ctx, sd, np, SL_JN_NONE, q, SL_ROW_DELETE, err);
            o->match[q] += o->match[q] < SL_JN_NONE - 1;
            sl_jn_touch(o, q);
        }
        if (s->match)
            s->match[r] += s->match[r] < SL_JN_NONE - 1;
        if (!rc)
            rc = sl_jn_pair(j, ctx, sd, np, r, q, j->akind, err);
    }
    sl_batch_pool_put(b);
    return rc;
}

/* sl_jn_probe with a residual condition: the key-equal pairs are candidates, evaluated a
 * batch at a time; the new rows of a preserved side left without a match are emitted padded
 * at the end (no row of this call can retract them: they are the other side's to). */
static int sl_jn_probe_res(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd, uint32_t base,
                           uint32_t n, struct sl_error *err)
{
    struct sl_jn_side *s = &j->side[sd], *o = &j->side[1 - sd];
    uint32_t np = 0, nc = 0, mask = o->nslots - 1;
    int rc = 0;
    for (uint32_t r = base; r < base + n && !rc; r++) {
        if (s->match && s->match[r] == SL_JN_NONE)
            continue;
        if (s->match)
            s->match[r] = 0;
        uint64_t h = s->hash[r];
        for (uint32_t q = o->head[h & mask]; q != SL_JN_NONE && !rc; q = o->next[q]) {
            if (o->hash[q] != h || sl_jn_expired(j, o, q) || !sl_jn_keys_eq(s, r, o, q))
                continue;
            j->cl[nc] = r;
            j->cr[nc++] = q;
            if (nc == SL_BATCH_CAP) {
                rc = sl_jn_res_flush(j, ctx, sd, nc, &np, err);
                nc = 0;
            }
        }
    }
    if (!rc)
        rc = sl_jn_res_flush(j, ctx, sd, nc, &np, err);
    for (uint32_t r = base; r < base + n && !rc && s->match; r++)
        if (s->match[r] == 0 || s->match[r] == SL_JN_NONE)
            rc = sl_jn_pair(j, ctx, sd, &np, r, SL_JN_NONE, SL_ROW_INSERT, err);
    return rc ? rc : sl_jn_emit(j, ctx, np, err);
}

/*
 * STATE TTL: the cleanup of side sd, at most every ttl / 2 (after rows of the other side were
 * probed against it): when its expired rows are half of its rows or more they are dropped
 * (sl_jn_compact: the kept rows move down, their long strings into fresh chunks, the chains
 * are rebuilt), so that a side holds at most about twice its live rows.
 */
static int sl_jn_ttl_sweep(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd,
                           struct sl_error *err)
{
    struct sl_jn_side *s = &j->side[sd];
    int64_t now = s->now;
    if (!j->ttl_ms || now < j->next_sweep[sd] || now - j->oldest[sd] < j->ttl_ms)
        return 0;
    j->next_sweep[sd] = now + (j->ttl_ms / 2 ? j->ttl_ms / 2 : 1);
    uint32_t nexp = 0;
    int64_t oldest = INT64_MAX;
    for (uint32_t r = 0; r < s->rows; r++) {
        if (s->ts[r] <= j->lim)
            nexp++;
        else if (s->ts[r] < oldest)
            oldest = s->ts[r];
    }
    if (nexp == 0)
        j->oldest[sd] = oldest;
    if (nexp == 0 || (uint64_t)nexp * 2 < s->rows)
        return 0;
    bool *keep = sl_mem_alloc(j->heap, (size_t)s->rows + 1);
    if (!keep)
        return sl_jn_oom(j, ctx, err);
    for (uint32_t r = 0; r < s->rows; r++)
        keep[r] = s->ts[r] > j->lim;
    bool ok = sl_jn_compact(j->heap, s, keep);
    sl_mem_free(keep);
    if (!ok)
        return sl_jn_oom(j, ctx, err);
    j->oldest[sd] = oldest;
    return 0;
}

/* The time of a call: the sides' `now` (new rows' times) and the expiry limit. */
static int64_t sl_jn_ttl_now(struct sl_op_join *j)
{
    int64_t now = sl_setting_now_ms();
    j->side[0].now = j->side[1].now = now;
    j->lim = now - j->ttl_ms;
    return now;
}

/* A watermark: a moment for the cleanup of both sides when no rows come. */
static int sl_jn_ttl_tick(struct sl_op_join *j, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    if (!j->ttl_ms)
        return 0;
    sl_jn_ttl_now(j);
    int rc = sl_jn_ttl_sweep(j, ctx, 0, err);
    return rc ? rc : sl_jn_ttl_sweep(j, ctx, 1, err);
}

/* Adds row q of the other side to the matches j->mq[*nm]. */
static int sl_jn_match_add(struct sl_op_join *j, struct sl_worker_ctx *ctx, uint32_t *nm,
                           uint32_t q, struct sl_error *err)
{
    if (*nm == j->nmq) {
        uint32_t ncap = j->nmq ? 2 * j->nmq : 64;
        uint32_t *n = sl_mem_alloc(j->heap, (size_t)ncap * sizeof(*n));
        if (!n)
            return sl_jn_oom(j, ctx, err);
        if (*nm)
            memcpy(n, j->mq, (size_t)*nm * sizeof(*n));
        sl_mem_free(j->mq);
        j->mq = n;
        j->nmq = ncap;
    }
    j->mq[(*nm)++] = q;
    return 0;
}

/* The candidates cl / cr [0, nc) through the residual condition: the passing rows of the other
 * side are added to the matches. */
static int sl_jn_match_res(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd, uint32_t nc,
                           uint32_t *nm, struct sl_error *err)
{
    if (!nc)
        return 0;
    struct sl_batch *b = sl_batch_pool_get(j->cand_pool);
    if (!b)
        return sl_jn_oom(j, ctx, err);
    sl_jn_gather(&j->side[0], sd == 0 ? j->cl : j->cr, nc, b, 0, true);
    sl_jn_gather(&j->side[1], sd == 0 ? j->cr : j->cl, nc, b, j->side[0].ncols, true);
    b->rows = nc;
    int rc = sl_eval_filter(j->res_ev, b, err);
    uint32_t na = rc ? 0 : sl_batch_active(b);
    for (uint32_t i = 0; i < na && !rc; i++)
        rc = sl_jn_match_add(j, ctx, nm, j->cr[b->sel ? b->sel[i] : i], err);
    sl_batch_pool_put(b);
    return rc;
}

/* The rows of the other side that row t of side sd matches (key-equal, live, through the
 * residual condition): j->mq[0..*nm). */
static int sl_jn_matches(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd, uint32_t t,
                         uint32_t *nm, struct sl_error *err)
{
    struct sl_jn_side *s = &j->side[sd], *o = &j->side[1 - sd];
    *nm = 0;
    if ((s->match && s->match[t] == SL_JN_NONE) || !o->rows)
        return 0;
    uint64_t h = s->hash[t];
    uint32_t nc = 0;
    int rc = 0;
    for (uint32_t q = o->head[h & (o->nslots - 1)]; q != SL_JN_NONE && !rc; q = o->next[q]) {
        if (o->hash[q] != h || sl_jn_expired(j, o, q) || !sl_jn_keys_eq(s, t, o, q))
            continue;
        if (!j->res_ev) {
            rc = sl_jn_match_add(j, ctx, nm, q, err);
            continue;
        }
        j->cl[nc] = t;
        j->cr[nc++] = q;
        if (nc == SL_BATCH_CAP) {
            rc = sl_jn_match_res(j, ctx, sd, nc, nm, err);
            nc = 0;
        }
    }
    return rc ? rc : j->res_ev ? sl_jn_match_res(j, ctx, sd, nc, nm, err) : 0;
}

/*
 * A retract message (-U or -D) of side sd, stored for the moment as its last row t. As Flink's
 * StreamingJoinOperator: without a match, an outer side's row retracts its padding (-D[t,
 * null]); else the retraction of every pair (-D on an outer side, else the input's kind), then
 * on an outer other side each row matched for the last time gets its padding back (+I[null,
 * q]). Then one stored row equal to t (every stored column, NULLs equal) goes, if there is
 * one (a row never stored is retracted all the same, as Flink's), and t with it.
 */
static int sl_jn_retract(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd, uint32_t t,
                         uint8_t kind, struct sl_error *err)
{
    struct sl_jn_side *s = &j->side[sd], *o = &j->side[1 - sd];
    uint32_t nm = 0, np = 0;
    int rc = sl_jn_matches(j, ctx, sd, t, &nm, err);
    if (!rc && !nm && s->outer)
        rc = sl_jn_pair(j, ctx, sd, &np, t, SL_JN_NONE, SL_ROW_DELETE, err);
    uint8_t pk = s->outer ? SL_ROW_DELETE : kind;
    for (uint32_t i = 0; i < nm && !rc; i++)
        rc = sl_jn_pair(j, ctx, sd, &np, t, j->mq[i], pk, err);
    for (uint32_t i = 0; i < nm && !rc && o->match; i++) {
        uint32_t q = j->mq[i];
        if (o->match[q] == 1)
            rc = sl_jn_pair(j, ctx, sd, &np, SL_JN_NONE, q, SL_ROW_INSERT, err);
        o->match[q] -= o->match[q] > 0 && o->match[q] < SL_JN_NONE - 1;
        sl_jn_touch(o, q);
    }
    if (!rc)
        rc = sl_jn_emit(j, ctx, np, err); /* before t leaves: the pairs are gathered from it */
    if (rc)
        return rc;
    uint32_t e = SL_JN_NONE;
    if (s->match && s->match[t] == SL_JN_NONE) { /* a NULL key: in no chain */
        for (uint32_t q = t; q-- > 0 && e == SL_JN_NONE;)
            if (s->match[q] == SL_JN_NONE && sl_jn_rows_eq(s, q, t))
                e = q;
    } else {
        for (uint32_t q = s->head[s->hash[t] & (s->nslots - 1)]; q != SL_JN_NONE; q = s->next[q])
            if (q != t && s->hash[q] == s->hash[t] && sl_jn_rows_eq(s, q, t)) {
                e = q;
                break;
            }
    }
    if (!sl_jn_remove(j->heap, s, t) || (e != SL_JN_NONE && !sl_jn_remove(j->heap, s, e)))
        return sl_jn_oom(j, ctx, err);
    return 0;
}

/* Stores and probes rows of side sd (see sl_jn_append for the arguments; kind: their row
 * kinds, NULL: all +I), in runs of one kind: accumulating rows (+I, +U) are stored and probed
 * together, retracting ones (-U, -D) one by one (sl_jn_retract). */
static int sl_jn_take(struct sl_op *op, struct sl_worker_ctx *ctx, int sd, uint8_t *const *col,
                      uint64_t *const *valid, const uint8_t *kind, const sl_sel_t *idx, uint32_t n,
                      const uint64_t *h, struct sl_error *err)
{
    struct sl_op_join *j = (struct sl_op_join *)op;
    if (!n)
        return 0;
    struct sl_jn_side *s = &j->side[sd];
    if (j->ttl_ms) {
        int64_t now = sl_jn_ttl_now(j);
        if (now < j->oldest[sd])
            j->oldest[sd] = now;
    }
    int rc = 0;
    for (uint32_t i = 0, e; i < n && !rc; i = e) {
        uint8_t k = kind ? kind[idx ? idx[i] : i] : SL_ROW_INSERT;
        for (e = i + 1; e < n && (kind ? kind[idx ? idx[e] : e] : SL_ROW_INSERT) == k;)
            e++;
        for (uint32_t x = i; x < e; x++)
            j->sub[x - i] = idx ? idx[x] : (sl_sel_t)x;
        bool acc = k == SL_ROW_INSERT || k == SL_ROW_UPDATE_AFTER;
        for (uint32_t x = i; x < e && !rc; x += acc ? e - i : 1) {
            uint32_t base = s->rows, m = acc ? e - i : 1;
            if (!sl_jn_append(j->heap, s, col, valid, j->sub + (x - i), m, h + x))
                return sl_jn_oom(j, ctx, err);
            if (!acc) {
                rc = sl_jn_retract(j, ctx, sd, base, k, err);
                continue;
            }
            j->akind = s->outer || j->side[1 - sd].outer ? SL_ROW_INSERT : k;
            rc = j->res_ev ? sl_jn_probe_res(j, ctx, sd, base, m, err)
                           : sl_jn_probe(j, ctx, sd, base, m, err);
        }
    }
    if (!rc)
        rc = sl_jn_ttl_sweep(j, ctx, 1 - sd, err);
    return rc ? rc : sl_jn_ttl_sweep(j, ctx, sd, err);
}

static int sl_jn_push_side(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd,
                           struct sl_batch *b, struct sl_error *err)
{
    return sl_jn_route_batch(&j->r, ctx, &j->side[sd], sd, b, sd == 0 && j->left_local, sl_jn_take,
                             err);
}

/* Every worker's END heard and both own inputs ended: the end goes downstream. */
static int sl_jn_maybe_finish(struct sl_op_join *j, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    if (j->finished || !j->done[0] || !j->done[1] || j->ends < (uint32_t)j->r.nworkers)
        return 0;
    j->finished = true;
    int rc = sl_op_watermark_next(&j->op, ctx, INT64_MAX, err);
    return rc ? rc : sl_op_finish_next(&j->op, ctx, err);
}

static int sl_jn_side_done(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd,
                           struct sl_error *err)
{
    int rc = sl_jn_flush(&j->r, ctx, err); /* the rows go before the END */
    if (rc)
        return rc;
    j->done[sd] = true;
    if (!j->done[0] || !j->done[1] || j->end_sent)
        return 0;
    j->end_sent = true;
    for (int o = 0; o < j->r.nworkers; o++)
        if ((rc = sl_jn_send(&j->r, ctx, (struct sl_jn_out){.to = o, .kind = SL_MSG_END}, err)) !=
            0)
            return rc;
    return sl_jn_maybe_finish(j, ctx, err);
}

static int sl_jn_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                      struct sl_error *err)
{
    return sl_jn_push_side((struct sl_op_join *)op, ctx, 0, b, err);
}

static int sl_jn_right_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                            struct sl_error *err)
{
    return sl_jn_push_side(((struct sl_jn_right *)op)->j, ctx, 1, b, err);
}

/* Watermarks stop here (the output has no time attribute); the end is finish(). They are a
 * moment to send what a checkpoint held back. */
static int sl_jn_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                           struct sl_error *err)
{
    (void)wm;
    struct sl_op_join *j = (struct sl_op_join *)op;
    int rc = sl_jn_ttl_tick(j, ctx, err);
    return rc ? rc : sl_jn_flush(&j->r, ctx, err);
}

static int sl_jn_right_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                                 struct sl_error *err)
{
    (void)wm;
    struct sl_op_join *j = ((struct sl_jn_right *)op)->j;
    int rc = sl_jn_ttl_tick(j, ctx, err);
    return rc ? rc : sl_jn_flush(&j->r, ctx, err);
}

/* After a checkpoint's alignment (ops->resumed): the rows it kept back go, even when no further
 * input would call the join (the end of a stream). */
static int sl_jn_resumed(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_jn_flush(&((struct sl_op_join *)op)->r, ctx, err);
}

static int sl_jn_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_jn_side_done((struct sl_op_join *)op, ctx, 0, err);
}

static int sl_jn_right_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_jn_side_done(((struct sl_jn_right *)op)->j, ctx, 1, err);
}

static int sl_jn_receive(struct sl_op *op, struct sl_worker_ctx *ctx, int from, struct sl_msg msg,
                         struct sl_error *err)
{
    struct sl_op_join *j = (struct sl_op_join *)op;
    bool other;
    int rc = sl_jn_route_receive(&j->r, ctx, from, msg, sl_jn_take, &other, err);
    if (rc || !other || msg.kind != SL_MSG_END)
        return rc;
    j->ends++;
    return sl_jn_maybe_finish(j, ctx, err);
}

static int sl_jn_save(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                      struct sl_error *err)
{
    (void)ctx;
    struct sl_op_join *j = (struct sl_op_join *)op;
    sl_sbuf_put_u32(out, j->ttl_ms ? SL_JN_MAGIC_V3 : SL_JN_MAGIC);
    sl_sbuf_put_u32(out, (uint32_t)j->r.nworkers);
    sl_sbuf_put_u8(out, j->done[0]);
    sl_sbuf_put_u8(out, j->done[1]);
    sl_sbuf_put_u8(out, j->end_sent);
    sl_sbuf_put_u32(out, j->ends);
    sl_sbuf_put_u8(out, j->finished);
    for (int sd = 0; sd < 2; sd++) {
        const struct sl_jn_side *s = &j->side[sd];
        sl_jn_save_side(s, out);
        if (!j->ttl_ms)
            continue;
        sl_sbuf_put_u32(out, s->rows); /* format 3: the rows' TTL times */
        for (uint32_t r = 0; r < s->rows; r++)
            sl_sbuf_put_u64(out, (uint64_t)s->ts[r]);
    }
    sl_jn_save_out(&j->r, j->side, out);
    return sl_sbuf_check(out, err);
}

/* Format 3: the TTL times of side s's rows just restored (kept when s keeps times). */
static int sl_jn_ttl_load(struct sl_jn_side *s, struct sl_sread *in, struct sl_error *err)
{
    uint32_t n;
    int rc = sl_sread_u32(in, &n, err);
    if (rc)
        return rc;
    if (n != s->rows)
        return sl_sread_fail(in, err, "join: TTL times of another number of rows");
    for (uint32_t r = 0; r < n; r++) {
        uint64_t v;
        if ((rc = sl_sread_u64(in, &v, err)) != 0)
            return rc;
        if (s->ts)
            s->ts[r] = (int64_t)v;
    }
    return 0;
}

/* After a restore: rows without a known time (a state saved without a TTL) start their TTL
 * now; the sides' oldest times. */
static void sl_jn_ttl_settle(struct sl_op_join *j)
{
    if (!j->ttl_ms)
        return;
    int64_t now = sl_setting_now_ms();
    for (int sd = 0; sd < 2; sd++) {
        struct sl_jn_side *s = &j->side[sd];
        j->oldest[sd] = INT64_MAX;
        for (uint32_t r = 0; r < s->rows; r++) {
            if (!s->ts[r])
                s->ts[r] = now;
            if (s->ts[r] < j->oldest[sd])
                j->oldest[sd] = s->ts[r];
        }
    }
}

static int sl_jn_restore(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         struct sl_error *err)
{
    struct sl_op_join *j = (struct sl_op_join *)op;
    if (j->side[0].rows || j->side[1].rows || j->done[0] || j->done[1] || j->ends)
        return sl_op_error(ctx, j->op.plan->pos, err, SL_ESTATE,
                           "join: restore into an operator that has run");
    uint32_t magic, nw;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic == SL_JN_MAGIC_V1 && j->outer)
        return sl_sread_fail(in, err, "join: an outer join's state of format 1 (no match counts)");
    if (magic != SL_JN_MAGIC && magic != SL_JN_MAGIC_V1 && magic != SL_JN_MAGIC_V3)
        return sl_sread_fail(in, err, "join: not a join's state");
    if ((rc = sl_sread_u32(in, &nw, err)) != 0)
        return rc;
    if (nw != (uint32_t)j->r.nworkers)
        return sl_error_set(err, SL_ECORRUPT, "%s: join state of %u workers, this job runs %d",
                            in->what, nw, j->r.nworkers);
    if ((rc = sl_jn_flag(in, &j->done[0], "join", err)) != 0 ||
        (rc = sl_jn_flag(in, &j->done[1], "join", err)) != 0 ||
        (rc = sl_jn_flag(in, &j->end_sent, "join", err)) != 0 ||
        (rc = sl_sread_u32(in, &j->ends, err)) != 0 ||
        (rc = sl_jn_flag(in, &j->finished, "join", err)) != 0)
        return rc;
    if (j->ends > (uint32_t)j->r.nworkers)
        return sl_sread_fail(in, err, "join: more ENDs than workers");
    for (int sd = 0; sd < 2; sd++)
        if ((rc = sl_jn_restore_side(j->heap, &j->side[sd], in, err)) != 0 ||
            (magic == SL_JN_MAGIC_V3 && (rc = sl_jn_ttl_load(&j->side[sd], in, err)) != 0))
            return rc;
    sl_jn_ttl_settle(j);
    return sl_jn_restore_out(&j->r, ctx, j->side, false, in, err);
}

/*
 * Restore at another worker count (engine/core/keygroup.h): out of every old worker's state,
 * the stored rows of both sides whose keys this worker owns now (with an outer side's match
 * counts), and the rows the old workers had kept back for their owners while a checkpoint
 * aligned, kept now for this worker itself (taken at its first call, as if received). Where
 * every input ended starts anew: the ENDs are sent again as the inputs end.
 */
static int sl_jn_rescale(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         uint32_t nold, struct sl_error *err)
{
    struct sl_op_join *j = (struct sl_op_join *)op;
    if (j->side[0].rows || j->side[1].rows || j->done[0] || j->done[1] || j->ends)
        return sl_op_error(ctx, j->op.plan->pos, err, SL_ESTATE,
                           "join: restore into an operator that has run");
    if (j->left_local)
        return sl_op_error(ctx, j->op.plan->pos, err, SL_ENOTSUP,
                           "join: a join whose left input stays on its worker (the output of a "
                           "join on the same key) cannot be restored at another worker count "
                           "yet (the checkpoint has %u workers, this run %d); run with "
                           "--workers %u to resume it",
                           nold, ctx->nworkers, nold);
    const struct sl_plan *node = op->plan;
    sl_plan_join_type jt = node->join.type;
    int rc = 0;
    for (uint32_t w = 0; w < nold && !rc; w++) {
        struct sl_sread *r = &in[w];
        uint32_t magic = 0, nw = 0, ends = 0;
        bool f;
        if ((rc = sl_sread_u32(r, &magic, err)) != 0)
            break;
        if (magic == SL_JN_MAGIC_V1 && j->outer) {
            rc = sl_sread_fail(r, err, "join: an outer join's state of format 1 (no match counts)");
            break;
        }
        if (magic != SL_JN_MAGIC && magic != SL_JN_MAGIC_V1 && magic != SL_JN_MAGIC_V3) {
            rc = sl_sread_fail(r, err, "join: not a join's state");
            break;
        }
        if ((rc = sl_sread_u32(r, &nw, err)) != 0)
            break;
        if (nw != nold) {
            rc = sl_error_set(err, SL_ECORRUPT, "%s: join state of %u workers, the checkpoint's %u",
                              r->what, nw, nold);
            break;
        }
        if ((rc = sl_jn_flag(r, &f, "join", err)) != 0 ||
            (rc = sl_jn_flag(r, &f, "join", err)) != 0 ||
            (rc = sl_jn_flag(r, &f, "join", err)) != 0 || (rc = sl_sread_u32(r, &ends, err)) != 0 ||
            (rc = sl_jn_flag(r, &f, "join", err)) != 0)
            break;
        for (int sd = 0; sd < 2 && !rc; sd++) {
            struct sl_jn_side tmp = {0};
            const struct sl_rel *rel = sd ? &node->join.right->out : &node->input->out;
            bool outer = sd ? jt == SL_PLAN_JOIN_RIGHT || jt == SL_PLAN_JOIN_FULL
                            : jt == SL_PLAN_JOIN_LEFT || jt == SL_PLAN_JOIN_FULL;
            if (!sl_jn_side_init(j->heap, &tmp, rel, sd ? node->join.rkeys : node->join.lkeys,
                                 node->join.nkeys, outer)) {
                rc = sl_jn_oom(j, ctx, err);
                break;
            }
            memcpy(tmp.skip, j->side[sd].skip, tmp.ncols * sizeof(*tmp.skip));
            tmp.ttl = j->side[sd].ttl;
            rc = sl_jn_restore_side(j->heap, &tmp, r, err);
            if (!rc && magic == SL_JN_MAGIC_V3)
                rc = sl_jn_ttl_load(&tmp, r, err);
            if (!rc && !sl_jn_take_owned(j->heap, &j->side[sd], &tmp, ctx->worker, ctx->nworkers,
                                         ctx->kg_max))
                rc = sl_jn_oom(j, ctx, err);
            sl_jn_side_free(&tmp);
        }
        if (!rc)
            rc = sl_jn_rescale_out(&j->r, ctx, j->side, false, nold, r, err);
    }
    if (!rc)
        sl_jn_ttl_settle(j);
    return rc;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

static void sl_jn_free(struct sl_op *op)
{
    struct sl_op_join *j = (struct sl_op_join *)op;
    if (!j)
        return;
    sl_jn_side_free(&j->side[0]);
    sl_jn_side_free(&j->side[1]);
    sl_jn_route_free(&j->r);
    sl_mem_free(j->pl);
    sl_mem_free(j->pr);
    sl_mem_free(j->pk);
    sl_mem_free(j->sub);
    sl_mem_free(j->mq);
    sl_mem_free(j->cl);
    sl_mem_free(j->cr);
    sl_eval_free(j->res_ev);
    if (j->cand_pool)
        sl_batch_pool_free(j->cand_pool);
    if (j->out_pool)
        sl_batch_pool_free(j->out_pool);
    sl_schema_free(j->out_schema);
    sl_mem_free(j);
}

/* The message codec (operator.h): join_route.h's. */
static int sl_jn_op_msg_encode(const struct sl_op *op, struct sl_msg msg, struct sl_sbuf *out,
                               struct sl_error *err)
{
    return sl_jn_msg_encode(((const struct sl_op_join *)op)->side, msg, out, err);
}

static int sl_jn_op_msg_decode(struct sl_op *op, struct sl_worker_ctx *ctx, uint32_t aux,
                               struct sl_sread *in, struct sl_msg *out, struct sl_error *err)
{
    (void)ctx;
    struct sl_op_join *j = (struct sl_op_join *)op;
    return sl_jn_msg_decode(&j->r, j->side, aux, in, out, err);
}

static const struct sl_op_ops sl_jn_ops = {
    .name = "join",
    .push = sl_jn_push,
    .watermark = sl_jn_watermark,
    .receive = sl_jn_receive,
    .msg_encode = sl_jn_op_msg_encode,
    .msg_decode = sl_jn_op_msg_decode,
    .finish = sl_jn_finish,
    .resumed = sl_jn_resumed,
    .free = sl_jn_free,
    .save = sl_jn_save,
    .restore = sl_jn_restore,
    .rescale = sl_jn_rescale,
};

static const struct sl_op_ops sl_jn_right_ops = {
    .name = "join (right input)",
    .push = sl_jn_right_push,
    .watermark = sl_jn_right_watermark,
    .finish = sl_jn_right_finish,
    .free = sl_jn_right_free,
    .stateless = true, /* its state is the join's */
};

int sl_op_join_new(const struct sl_plan *node, const struct sl_job *job, struct sl_worker_ctx *ctx,
                   struct sl_op **out, struct sl_error *err)
{
    int64_t ttl = sl_setting_state_ttl_ms(job);
    if (ttl < 0)
        return sl_op_error(ctx, node->pos, err, SL_EINVAL,
                           "SET 'table.exec.state.ttl' = '%s': not a duration (e.g. '1 h')",
                           sl_job_setting(job, "table.exec.state.ttl"));
    struct sl_op_join *j = sl_mem_zalloc(ctx->heap, sizeof(*j));
    if (!j)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    j->ttl_ms = ttl;
    j->oldest[0] = j->oldest[1] = INT64_MAX;
    sl_jn_ops_init(&j->op, &j->right, &sl_jn_ops, &sl_jn_right_ops, node);
    j->heap = ctx->heap;
    j->left_local = node->join.left_local;
    bool route = sl_jn_route_init(&j->r, &j->op, j->heap, ctx->nworkers > 0 ? ctx->nworkers : 1);
    size_t cap = SL_BATCH_CAP;
    j->pl = sl_mem_alloc(j->heap, cap * sizeof(*j->pl));
    j->pr = sl_mem_alloc(j->heap, cap * sizeof(*j->pr));
    j->pk = sl_mem_alloc(j->heap, cap);
    j->sub = sl_mem_alloc(j->heap, cap * sizeof(*j->sub));
    j->r.kinds = true; /* inputs may update (engine/plan/changelog.c) */
    sl_plan_join_type jt = node->join.type;
    j->outer = jt != SL_PLAN_JOIN_INNER;
    j->out_schema = sl_plan_rel_schema(&node->out);
    if (!route || !j->pl || !j->pr || !j->pk || !j->sub || !j->out_schema ||
        !sl_jn_side_init(j->heap, &j->side[0], &node->input->out, node->join.lkeys,
                         node->join.nkeys, jt == SL_PLAN_JOIN_LEFT || jt == SL_PLAN_JOIN_FULL) ||
        !sl_jn_side_init(j->heap, &j->side[1], &node->join.right->out, node->join.rkeys,
                         node->join.nkeys, jt == SL_PLAN_JOIN_RIGHT || jt == SL_PLAN_JOIN_FULL) ||
        !(j->out_pool = sl_batch_pool_new(ctx->heap, j->out_schema, 4))) {
        sl_jn_free(&j->op);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    j->side[0].ttl = j->side[1].ttl = ttl > 0;
    if (node->join.residual) {
        struct sl_expr *res = node->join.residual;
        j->cl = sl_mem_alloc(j->heap, cap * sizeof(*j->cl));
        j->cr = sl_mem_alloc(j->heap, cap * sizeof(*j->cr));
        j->cand_pool = sl_batch_pool_new(ctx->heap, j->out_schema, 1);
        if (!j->cl || !j->cr || !j->cand_pool) {
            sl_jn_free(&j->op);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        j->res_ev = sl_eval_new(ctx->heap, &node->out, 1, &res, ctx->sql, err);
        if (!j->res_ev) {
            sl_jn_free(&j->op);
            return err && err->code ? err->code : SL_ENOMEM;
        }
    }
    *out = &j->op;
    return 0;
}

struct sl_op *sl_op_join_right(struct sl_op *join)
{
    return &((struct sl_op_join *)join)->right.op;
}

void sl_op_join_prune(struct sl_op *join, const bool *need)
{
    sl_jn_prune(((struct sl_op_join *)join)->side, need, NULL);
}

void sl_op_join_rows(const struct sl_op *join, uint64_t *left, uint64_t *right)
{
    const struct sl_op_join *j = (const struct sl_op_join *)join;
    *left = j->side[0].rows;
    *right = j->side[1].rows;
}
