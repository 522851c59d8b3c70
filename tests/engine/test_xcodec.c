/*
 * tests/engine/test_xcodec.c - the byte codecs of the exchange messages (operator.h:
 * msg_encode / msg_decode; docs/architecture.md, "Message codecs").
 *
 * Every operator kind that receives messages is built from a plan the binder makes from SQL,
 * on worker 0 and worker 1 of 2, and driven on worker 0 (the rows above the scan through the
 * plan's own window / project / filter operators) until it sends DATA messages to worker 1.
 * Each message is encoded by the sender, decoded by the receiver's instance, and the decoded
 * payload must equal the original field by field (rows, kinds, NULLs, short and long strings,
 * hashes, window bounds, the aggregation tables' groups and states), encode again to the
 * same bytes and use every byte; every truncation of the bytes, and another format version,
 * must be SL_ECORRUPT (no crash, and under ASan no leak). Every operator with a receive() must
 * have both hooks. The row encoding shared by Top-N and OVER (engine/ops/rowcodec.h) is tested
 * on its own at the batch capacity's boundaries (0 rows, SL_BATCH_CAP rows, one more refused),
 * with a pruned column and row kinds.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "engine/core/state.h"
#include "engine/ops/hashagg.h"
#include "engine/ops/join_store.h"
#include "engine/ops/op_basic.h"
#include "engine/ops/op_groupagg.h"
#include "engine/ops/op_ijoin.h"
#include "engine/ops/op_join.h"
#include "engine/ops/op_over.h"
#include "engine/ops/op_rank.h"
#include "engine/ops/op_winagg.h"
#include "engine/ops/op_window.h"
#include "engine/ops/operator.h"
#include "engine/ops/rowcodec.h"
#include "engine/plan/catalog.h"
#include "engine/sql/binder.h"

static const char ddl[] =
    "SET 'table.exec.mini-batch.enabled' = 'false';\n"
    "CREATE TABLE src (k BIGINT, s VARCHAR, v BIGINT, d DOUBLE, i INT, b BOOLEAN,\n"
    "  ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'kafka');\n"
    "CREATE TABLE src2 (k BIGINT, s VARCHAR, v BIGINT, d DOUBLE, i INT, b BOOLEAN,\n"
    "  ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'kafka');\n"
    "CREATE TABLE o_rank (k BIGINT, s VARCHAR, v BIGINT, d DOUBLE, i INT, b BOOLEAN,\n"
    "  ts TIMESTAMP(3), rn BIGINT) WITH ('connector' = 'blackhole');\n"
    "CREATE TABLE o_over (k BIGINT, s VARCHAR, v BIGINT, sv BIGINT)\n"
    "  WITH ('connector' = 'blackhole');\n"
    "CREATE TABLE o_join (k BIGINT, s VARCHAR, s2 VARCHAR, v2 BIGINT, d2 DOUBLE)\n"
    "  WITH ('connector' = 'blackhole');\n"
    "CREATE TABLE o_win (k BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3), c BIGINT, sv BIGINT,\n"
    "  mx VARCHAR, ad DOUBLE) WITH ('connector' = 'blackhole');\n"
    "CREATE TABLE o_ga (k BIGINT, c BIGINT, sv BIGINT, mn VARCHAR)\n"
    "  WITH ('connector' = 'blackhole');\n"
    "CREATE TABLE o_ga2 (s VARCHAR, mn BIGINT, c BIGINT) WITH ('connector' = 'blackhole');\n";

/* The queries and the plan node whose operator is tested in each. */
static const struct {
    const char *sql;
    sl_plan_kind kind; /* of the node */
    bool prune;        /* OVER: column d (3) is not read downstream */
} queries[] = {
    {"INSERT INTO o_rank SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k\n"
     "  ORDER BY v DESC) AS rn FROM src) WHERE rn <= 2;",
     SL_PLAN_RANK, false},
    {"INSERT INTO o_over SELECT k, s, v, SUM(v) OVER (PARTITION BY k ORDER BY ts\n"
     "  ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM src;",
     SL_PLAN_OVER, true},
    {"INSERT INTO o_join SELECT a.k, a.s, c.s, c.v, c.d FROM src a JOIN src2 c ON a.k = c.k;",
     SL_PLAN_JOIN, false},
    {"INSERT INTO o_join SELECT a.k, a.s, c.s, c.v, c.d FROM src a, src2 c WHERE a.k = c.k\n"
     "  AND c.ts BETWEEN a.ts - INTERVAL '1' SECOND AND a.ts + INTERVAL '1' SECOND;",
     SL_PLAN_JOIN, false},
    {"INSERT INTO o_win SELECT k, window_start, window_end, COUNT(*), SUM(v), MAX(s), AVG(d)\n"
     "  FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' SECOND))\n"
     "  GROUP BY k, window_start, window_end;",
     SL_PLAN_AGG, false},
    {"INSERT INTO o_win SELECT k, window_start, window_end, COUNT(*), SUM(v), MAX(s), AVG(d)\n"
     "  FROM TABLE(HOP(TABLE src, DESCRIPTOR(ts), INTERVAL '1' SECOND, INTERVAL '2' SECOND))\n"
     "  GROUP BY k, window_start, window_end;",
     SL_PLAN_AGG, false},
    {"INSERT INTO o_win SELECT k, window_start, window_end, COUNT(*), SUM(v), MAX(s), AVG(d)\n"
     "  FROM TABLE(SESSION(TABLE src PARTITION BY k, DESCRIPTOR(ts), INTERVAL '1' SECOND))\n"
     "  GROUP BY k, window_start, window_end;",
     SL_PLAN_AGG, false},
    {"INSERT INTO o_ga SELECT k, COUNT(*), SUM(v), MIN(s) FROM src GROUP BY k;", SL_PLAN_AGG,
     false},
    /* an updating input: the partials carry MIN / MAX multisets */
    {"INSERT INTO o_ga2 SELECT s, MIN(v), COUNT(*) FROM (SELECT k, s, v FROM (SELECT *,\n"
     "  ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM src) WHERE rn <= 1)\n"
     "  GROUP BY s;",
     SL_PLAN_AGG, false},
};
#define NQ (sizeof(queries) / sizeof(queries[0]))

static const char *const strs[] = {"a", "", "b", "a-string-longer-than-twelve-1",
                                   "a-string-longer-than-twelve-2"};

/* ---- two workers; worker 0's messages to worker 1 are captured ------------------------------- */

#define MAXCAP 4096
static struct sl_msg caps[MAXCAP];
static int ncap;
static const struct sl_op *target; /* worker 0's operator under test: its messages only */

static int send_capture(struct sl_worker_ctx *ctx, const struct sl_op *op, int to,
                        struct sl_msg msg, struct sl_error *err)
{
    (void)err;
    if (msg.kind != SL_MSG_DATA)
        return 0;
    if (op != target || to == ctx->worker || ncap == MAXCAP) {
        ((struct sl_msg_payload *)msg.ptr)->free_fn(msg.ptr);
        return 0;
    }
    caps[ncap++] = msg;
    return 0;
}

/* A sink that drops what it gets. */
static int drop_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                     struct sl_error *err)
{
    (void)op;
    (void)ctx;
    (void)err;
    sl_batch_pool_put(b);
    return 0;
}

static int drop_wm(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm, struct sl_error *err)
{
    (void)op;
    (void)ctx;
    (void)wm;
    (void)err;
    return 0;
}

static int drop_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    (void)op;
    (void)ctx;
    (void)err;
    return 0;
}

static void drop_free(struct sl_op *op)
{
    (void)op;
}

static const struct sl_op_ops drop_ops = {.name = "drop",
                                          .push = drop_push,
                                          .watermark = drop_wm,
                                          .finish = drop_finish,
                                          .free = drop_free,
                                          .stateless = true};
static struct sl_op drop_op = {.ops = &drop_ops};

/* The operators of the nodes from above the scan up to (not including) `top`, chained into
 * `into`; *first is where the scan's rows go. nops counts them (freed by the caller). */
static const struct sl_plan *build_chain(const struct sl_plan *top_input, struct sl_op *into,
                                         struct sl_worker_ctx *ctx, struct sl_op **chain, int *nops,
                                         struct sl_op **first)
{
    const struct sl_plan *nodes[16];
    int n = 0;
    const struct sl_plan *p = top_input;
    for (; p && p->kind != SL_PLAN_SCAN; p = p->input) {
        assert_true(n < 16);
        nodes[n++] = p;
    }
    assert_non_null(p);
    struct sl_op *next = into;
    struct sl_error err;
    for (int i = 0; i < n; i++) { /* from the top down */
        const struct sl_plan *nd = nodes[i];
        struct sl_op *op = NULL;
        int rc = 0;
        switch (nd->kind) {
        case SL_PLAN_WATERMARK:
            continue; /* rows unchanged; watermarks are called by hand */
        case SL_PLAN_WINDOW:
            rc = sl_op_window_new(nd, ctx, &op, &err);
            break;
        case SL_PLAN_PROJECT:
            rc = sl_op_project_new(nd, ctx, &op, &err);
            break;
        case SL_PLAN_FILTER:
            rc = sl_op_filter_new(nd, ctx, &op, &err);
            break;
        case SL_PLAN_RANK:
            rc = sl_op_rank_new(nd, NULL, ctx, &op, &err);
            break;
        default:
            fprintf(stderr, "plan node %d in the chain\n", nd->kind);
            fail();
        }
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
        op->next = next;
        next = op;
        chain[(*nops)++] = op;
    }
    *first = next;
    return p; /* the scan */
}

/* Fills b (the scan's columns) with n rows: keys 0..7, NULLs where nullable (not the rowtime),
 * short, empty and long strings, times from t0 on. */
static void fill(struct sl_batch *b, uint32_t n, int64_t t0, uint64_t *rnd)
{
    for (uint32_t c = 0; c < b->ncols; c++) {
        struct sl_column *col = &b->cols[c];
        for (uint32_t r = 0; r < n; r++) {
            uint64_t x = sl_test_rand(rnd);
            bool isn = col->valid && col->type.id != SL_TYPE_TIMESTAMP && c != 0 && x % 6 == 0;
            if (col->valid)
                sl_col_set_null(col, r, isn);
            switch (col->type.id) {
            case SL_TYPE_VARCHAR: {
                const char *s = strs[(x >> 8) % 5];
                sl_col_str(col)[r] =
                    isn ? sl_str_make("", 0) : sl_batch_str(b, s, (uint32_t)strlen(s));
                break;
            }
            case SL_TYPE_TIMESTAMP:
                sl_col_i64(col)[r] = t0 + (int64_t)((x >> 8) % 900);
                break;
            case SL_TYPE_DOUBLE:
                sl_col_f64(col)[r] = (double)((x >> 8) % 1000) / 8.0;
                break;
            case SL_TYPE_INT:
                sl_col_i32(col)[r] = (int32_t)((x >> 8) % 100) - 50;
                break;
            case SL_TYPE_BOOLEAN:
                sl_col_bool(col)[r] = (x >> 8) & 1;
                break;
            default:
                sl_col_i64(col)[r] = (int64_t)((x >> 8) % 8);
                break;
            }
        }
    }
    b->rows = n;
}

/* ---- comparison of a decoded payload with its original ----------------------------------- */

static void same_batch(const struct sl_batch *a, const struct sl_batch *b, const bool *skip)
{
    assert_int_equal(sl_batch_active(a), b->rows);
    assert_int_equal(a->ncols, b->ncols);
    for (uint32_t i = 0; i < b->rows; i++) {
        uint32_t r = a->sel ? a->sel[i] : i;
        assert_int_equal(sl_batch_kind(a, r), sl_batch_kind(b, i));
        for (uint32_t c = 0; c < a->ncols; c++) {
            if (skip && skip[c])
                continue;
            const struct sl_column *x = &a->cols[c], *y = &b->cols[c];
            bool xn = x->valid && sl_col_is_null(x, r), yn = y->valid && sl_col_is_null(y, i);
            assert_int_equal(xn, yn);
            if (xn)
                continue;
            if (x->type.id == SL_TYPE_VARCHAR) {
                const sl_str *sx = &((const sl_str *)x->data)[r],
                             *sy = &((const sl_str *)y->data)[i];
                assert_int_equal(sx->len, sy->len);
                assert_memory_equal(sl_str_data(sx), sl_str_data(sy), sx->len);
            } else {
                size_t w = sl_type_width(x->type.id);
                assert_memory_equal((const char *)x->data + r * w, (const char *)y->data + i * w,
                                    w);
            }
        }
    }
}

/* Two tables hold the same groups with the same results: both emitted, row by row (their
 * saved bytes may differ: a MIN / MAX of VARCHAR's state is an id in the table's own string
 * dictionary, which a load numbers anew). */
static void same_table(const struct sl_hashagg *a, const struct sl_hashagg *b)
{
    assert_int_equal(sl_hashagg_groups(a), sl_hashagg_groups(b));
    uint32_t n = sl_hashagg_out_ncols(a);
    assert_int_equal(n, sl_hashagg_out_ncols(b));
    struct sl_type types[32];
    const char *names[32];
    assert_true(n <= 32);
    sl_hashagg_out_types(a, types);
    for (uint32_t c = 0; c < n; c++)
        names[c] = "c";
    struct sl_schema *sch = sl_schema_new(n, names, types);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, sch, 2);
    assert_non_null(pool);
    struct sl_error err;
    uint32_t ca = 0, cb = 0;
    for (;;) {
        struct sl_batch *x = sl_batch_pool_get(pool), *y = sl_batch_pool_get(pool);
        int na = sl_hashagg_emit(a, &ca, x, &err), nb = sl_hashagg_emit(b, &cb, y, &err);
        assert_int_equal(na, nb);
        assert_true(na >= 0);
        if (na > 0)
            same_batch(x, y, NULL);
        sl_batch_pool_put(x);
        sl_batch_pool_put(y);
        if (na == 0)
            break;
    }
    sl_batch_pool_free(pool);
    sl_schema_free(sch);
}

static void same_jn(const struct sl_plan *jn, const struct sl_jn_msg *a, const struct sl_jn_msg *b)
{
    assert_int_equal(a->side, b->side);
    assert_int_equal(a->rows, b->rows);
    assert_memory_equal(a->hash, b->hash, a->rows * sizeof(uint64_t));
    assert_int_equal(a->kind != NULL, b->kind != NULL); /* a regular join's row kinds */
    if (a->kind && a->rows)
        assert_memory_equal(a->kind, b->kind, a->rows);
    const struct sl_rel *rel = a->side ? &jn->join.right->out : &jn->input->out;
    for (uint32_t c = 0; c < rel->ncols; c++) {
        assert_int_equal(a->col[c] != NULL, b->col[c] != NULL);
        if (!a->col[c])
            continue;
        assert_int_equal(a->valid[c] != NULL, b->valid[c] != NULL);
        sl_type_id t = rel->cols[c].type.id;
        size_t w = sl_type_width(t);
        for (uint32_t r = 0; r < a->rows; r++) {
            bool an = a->valid[c] && !sl_valid_get(a->valid[c], r);
            assert_int_equal(an, b->valid[c] && !sl_valid_get(b->valid[c], r));
            if (an)
                continue;
            if (t == SL_TYPE_VARCHAR) {
                const sl_str *sx = &((const sl_str *)(const void *)a->col[c])[r];
                const sl_str *sy = &((const sl_str *)(const void *)b->col[c])[r];
                assert_int_equal(sx->len, sy->len);
                assert_memory_equal(sl_str_data(sx), sl_str_data(sy), sx->len);
            } else {
                assert_memory_equal(a->col[c] + r * w, b->col[c] + r * w, w);
            }
        }
    }
}

static void same_payload(const struct sl_plan *node, const bool *skip, void *a, void *b)
{
    switch (node->kind) {
    case SL_PLAN_RANK:
        same_batch(((struct sl_rank_msg *)a)->b, ((struct sl_rank_msg *)b)->b, NULL);
        break;
    case SL_PLAN_OVER:
        same_batch(((struct sl_over_msg *)a)->b, ((struct sl_over_msg *)b)->b, skip);
        break;
    case SL_PLAN_JOIN:
        same_jn(node, a, b);
        break;
    default:
        if (node->agg.window_start >= 0) {
            const struct sl_winagg_partial *x = a, *y = b;
            assert_int_equal(x->start, y->start);
            assert_int_equal(x->end, y->end);
            assert_int_equal(x->fired_ns, y->fired_ns);
            same_table(x->ha, y->ha);
        } else {
            const struct sl_groupagg_partial *x = a, *y = b;
            assert_int_equal(x->nmm, y->nmm);
            same_table(x->ha, y->ha);
            for (uint32_t i = 0; i < x->nmm; i++)
                same_table(x->mm[i], y->mm[i]);
        }
    }
}

/* ---- one message: round trip, truncations, another version -------------------------------- */

static uint64_t total_bytes, total_msgs;

static void check_msg(const struct sl_plan *node, const bool *skip, struct sl_op *snd,
                      struct sl_op *rcv, struct sl_worker_ctx *rctx, struct sl_msg m, bool cut)
{
    struct sl_error err;
    struct sl_sbuf enc, again;
    sl_sbuf_init(&enc);
    sl_sbuf_init(&again);
    assert_int_equal(snd->ops->msg_encode(snd, m, &enc, &err), 0);
    total_bytes += enc.len;
    total_msgs++;
    struct sl_sread in;
    sl_sread_init(&in, enc.p, enc.len, "test message");
    struct sl_msg out = {0};
    int rc = rcv->ops->msg_decode(rcv, rctx, m.aux, &in, &out, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(sl_sread_left(&in), 0);
    assert_int_equal(out.kind, SL_MSG_DATA);
    assert_int_equal(out.aux, m.aux);
    same_payload(node, skip, m.ptr, out.ptr);
    assert_int_equal(rcv->ops->msg_encode(rcv, out, &again, &err), 0);
    if (node->kind != SL_PLAN_AGG) { /* a table's string ids are its own (same_table) */
        assert_int_equal(again.len, enc.len);
        assert_memory_equal(again.p, enc.p, enc.len);
    }
    ((struct sl_msg_payload *)out.ptr)->free_fn(out.ptr);
    /* every truncation of a small message; of a large one, a sample and the last bytes */
    for (size_t len = 0; cut && len < enc.len;
         len += enc.len <= 4096 || len + 64 >= enc.len ? 1 : 1 + len % 509) {
        sl_sread_init(&in, enc.p, len, "test message");
        out.ptr = NULL;
        rc = rcv->ops->msg_decode(rcv, rctx, m.aux, &in, &out, &err);
        if (rc != SL_ECORRUPT)
            fprintf(stderr, "%zu of %zu bytes: rc %d\n", len, enc.len, rc);
        assert_int_equal(rc, SL_ECORRUPT);
    }
    enc.p[0] = 99; /* a format nobody wrote */
    sl_sread_init(&in, enc.p, enc.len, "test message");
    assert_int_equal(rcv->ops->msg_decode(rcv, rctx, m.aux, &in, &out, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "unknown format"));
    sl_sbuf_free(&enc);
    sl_sbuf_free(&again);
}

/* ---- one query ----------------------------------------------------------------------------- */

static void run_query(size_t q)
{
    struct sl_error err;
    sl_error_clear(&err);
    size_t la = strlen(ddl), lb = strlen(queries[q].sql);
    char *sql = malloc(la + lb + 1);
    assert_non_null(sql);
    memcpy(sql, ddl, la);
    memcpy(sql + la, queries[q].sql, lb + 1);
    struct sl_job *job = sl_job_from_sql("q.sql", sql, la + lb, NULL, 0, &err);
    free(sql);
    if (!job)
        fprintf(stderr, "query %zu: %s\n", q, err.msg);
    assert_non_null(job);
    const struct sl_plan *node = job->inserts[0];
    while (node && node->kind != queries[q].kind)
        node = node->input;
    assert_non_null(node);
    struct sl_heap *heap = sl_heap_new();
    struct sl_worker_stats stats = {0};
    struct sl_worker_ctx ctxs[2];
    struct sl_op *ops[2], *chain[2][2][16], *first[2][2];
    int nchain[2][2] = {{0}};
    const struct sl_plan *scans[2] = {NULL, NULL};
    bool skip[16] = {false};
    for (int w = 0; w < 2; w++) {
        ctxs[w] = (struct sl_worker_ctx){.worker = w,
                                         .nworkers = 2,
                                         .heap = heap,
                                         .sql = job->file->src,
                                         .stats = &stats,
                                         .send = send_capture};
        int rc;
        switch (node->kind) {
        case SL_PLAN_RANK:
            rc = sl_op_rank_new(node, job, &ctxs[w], &ops[w], &err);
            break;
        case SL_PLAN_OVER:
            rc = sl_op_over_new(node, &ctxs[w], &ops[w], &err);
            break;
        case SL_PLAN_JOIN:
            rc = node->join.interval ? sl_op_ijoin_new(node, &ctxs[w], &ops[w], &err)
                                     : sl_op_join_new(node, job, &ctxs[w], &ops[w], &err);
            break;
        default:
            rc = node->agg.window_start < 0 ? sl_op_groupagg_new(node, job, &ctxs[w], &ops[w], &err)
                                            : sl_op_winagg_new(node, &ctxs[w], &ops[w], &err);
        }
        if (rc)
            fprintf(stderr, "query %zu: %s\n", q, err.msg);
        assert_int_equal(rc, 0);
        /* every operator that receives messages has a codec */
        assert_non_null(ops[w]->ops->receive);
        assert_non_null(ops[w]->ops->msg_encode);
        assert_non_null(ops[w]->ops->msg_decode);
        ops[w]->tag = 7;
        ops[w]->next = &drop_op;
        if (queries[q].prune) { /* OVER: column 3 (d) read by nothing */
            bool need[16];
            for (uint32_t c = 0; c < 16; c++)
                need[c] = c != 3;
            sl_op_over_prune(ops[w], need);
            skip[3] = true;
        }
        scans[0] =
            build_chain(node->input, ops[w], &ctxs[w], chain[w][0], &nchain[w][0], &first[w][0]);
        if (node->kind == SL_PLAN_JOIN) {
            struct sl_op *port =
                node->join.interval ? sl_op_ijoin_right(ops[w]) : sl_op_join_right(ops[w]);
            scans[1] = build_chain(node->join.right, port, &ctxs[w], chain[w][1], &nchain[w][1],
                                   &first[w][1]);
        }
    }
    /* worker 0's input: times rising a second a batch */
    uint64_t rnd = 0x9e3779b97f4a7c15u + q;
    ncap = 0;
    target = ops[0];
    for (int in = 0; in < 2 && scans[in]; in++) {
        struct sl_schema *sch = sl_plan_rel_schema(&scans[in]->out);
        struct sl_batch_pool *pool = sl_batch_pool_new(heap, sch, 2);
        assert_non_null(pool);
        for (int k = 0; k < 24; k++) {
            struct sl_batch *b = sl_batch_pool_get(pool);
            /* mostly small batches (cheap truncation checks), one full one */
            uint32_t n = k == 5 ? SL_BATCH_CAP : 1 + (uint32_t)(sl_test_rand(&rnd) % 6);
            n = n > SL_BATCH_CAP ? SL_BATCH_CAP : n;
            fill(b, n, 1000000 + (int64_t)k * 1000, &rnd);
            if (node->kind == SL_PLAN_JOIN && !node->join.interval && k % 2) {
                uint8_t *kinds = sl_batch_kinds(b); /* updating input: every kind */
                for (uint32_t i = 0; i < n; i++)
                    kinds[i] = (uint8_t)((i + (uint32_t)k) % 4);
            }
            int rc = first[0][in]->ops->push(first[0][in], &ctxs[0], b, &err);
            if (rc)
                fprintf(stderr, "query %zu: %s\n", q, err.msg);
            assert_int_equal(rc, 0);
            if (node->kind == SL_PLAN_AGG && node->agg.window_start >= 0 && k % 4 == 3) {
                rc = ops[0]->ops->watermark(ops[0], &ctxs[0], 1000000 + (int64_t)k * 1000, &err);
                assert_int_equal(rc, 0);
            }
        }
        sl_batch_pool_free(pool);
        sl_schema_free(sch);
    }
    if (node->kind == SL_PLAN_AGG && node->agg.window_start >= 0)
        assert_int_equal(ops[0]->ops->watermark(ops[0], &ctxs[0], INT64_MAX, &err), 0);
    if (ncap == 0)
        fprintf(stderr, "query %zu: no message to worker 1\n", q);
    assert_true(ncap > 0);
    for (int i = 0; i < ncap; i++) {
        check_msg(node, skip, ops[0], ops[1], &ctxs[1], caps[i], i < 4);
        ((struct sl_msg_payload *)caps[i].ptr)->free_fn(caps[i].ptr);
    }
    for (int w = 0; w < 2; w++) {
        ops[w]->ops->free(ops[w]);
        for (int in = 0; in < 2; in++)
            for (int i = 0; i < nchain[w][in]; i++)
                chain[w][in][i]->ops->free(chain[w][in][i]);
    }
    sl_heap_free(heap);
    sl_job_free(job);
}

static void test_operators(void **state)
{
    (void)state;
    for (size_t q = 0; q < NQ; q++)
        run_query(q);
    fprintf(stderr, "%llu messages, %llu bytes\n", (unsigned long long)total_msgs,
            (unsigned long long)total_bytes);
}

/* ---- the shared row encoding on its own ---------------------------------------------------- */

static void test_rowcodec(void **state)
{
    (void)state;
    const char *names[] = {"k", "s", "v", "d", "i", "b", "ts"};
    struct sl_type types[] = {
        {.id = SL_TYPE_BIGINT, .nullable = false},   {.id = SL_TYPE_VARCHAR, .nullable = true},
        {.id = SL_TYPE_BIGINT, .nullable = true},    {.id = SL_TYPE_DOUBLE, .nullable = true},
        {.id = SL_TYPE_INT, .nullable = true},       {.id = SL_TYPE_BOOLEAN, .nullable = true},
        {.id = SL_TYPE_TIMESTAMP, .nullable = false}};
    struct sl_schema *sch = sl_schema_new(7, names, types);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, sch, 2);
    assert_non_null(pool);
    uint64_t rnd = 42;
    const bool skip[7] = {false, false, false, true, false, false, false};
    static const uint32_t sizes[] = {0, 1, SL_BATCH_CAP - 1, SL_BATCH_CAP};
    struct sl_error err;
    for (size_t t = 0; t < 4 * 2 * 2; t++) {
        uint32_t n = sizes[t / 4 % 4];
        bool kinds = t & 1, sk = t & 2;
        struct sl_batch *a = sl_batch_pool_get(pool), *b = sl_batch_pool_get(pool);
        fill(a, n, 0, &rnd);
        if (kinds) { /* even with 0 rows: the flag travels */
            uint8_t *k = sl_batch_kinds(a);
            for (uint32_t r = 0; r < n; r++)
                k[r] = (uint8_t)(r % 4);
        }
        struct sl_sbuf out;
        sl_sbuf_init(&out);
        sl_rowc_put_batch(&out, a, sk ? skip : NULL);
        struct sl_sread in;
        sl_sread_init(&in, out.p, out.len, "rows");
        assert_int_equal(sl_rowc_get_batch(&in, b, sk ? skip : NULL, "test", &err), 0);
        assert_int_equal(sl_sread_left(&in), 0);
        assert_int_equal(b->kind != NULL, kinds);
        same_batch(a, b, sk ? skip : NULL);
        for (size_t len = 0; len < out.len;
             len += out.len <= 4096 || len + 64 >= out.len ? 1 : 1 + len % 509) {
            sl_batch_reset(b);
            sl_sread_init(&in, out.p, len, "rows");
            assert_int_equal(sl_rowc_get_batch(&in, b, sk ? skip : NULL, "test", &err),
                             SL_ECORRUPT);
        }
        /* read with the other pruning: a stored column where none is, or the reverse */
        if (n) {
            sl_batch_reset(b);
            sl_sread_init(&in, out.p, out.len, "rows");
            assert_int_equal(sl_rowc_get_batch(&in, b, sk ? NULL : skip, "test", &err),
                             SL_ECORRUPT);
        }
        sl_sbuf_free(&out);
        sl_batch_pool_put(a);
        sl_batch_pool_put(b);
    }
    /* more rows than a batch holds; a kind beyond -D; NULL in a NOT NULL column */
    struct sl_batch *b = sl_batch_pool_get(pool);
    const uint32_t over = SL_BATCH_CAP + 1;
    uint8_t bad1[5] = {(uint8_t)over, (uint8_t)(over >> 8), (uint8_t)(over >> 16),
                       (uint8_t)(over >> 24), 0};
    struct sl_sread in;
    sl_sread_init(&in, bad1, sizeof(bad1), "rows");
    assert_int_equal(sl_rowc_get_batch(&in, b, NULL, "test", &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "more rows than a batch"));
    uint8_t bad2[6] = {1, 0, 0, 0, 1, 4};
    sl_batch_reset(b);
    sl_sread_init(&in, bad2, sizeof(bad2), "rows");
    assert_int_equal(sl_rowc_get_batch(&in, b, NULL, "test", &err), SL_ECORRUPT);
    uint8_t bad3[6] = {1, 0, 0, 0, 0, 1};
    sl_batch_reset(b);
    sl_sread_init(&in, bad3, sizeof(bad3), "rows");
    assert_int_equal(sl_rowc_get_batch(&in, b, NULL, "test", &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "NULL in a NOT NULL column"));
    sl_batch_pool_put(b);
    sl_batch_pool_free(pool);
    sl_schema_free(sch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rowcodec),
        cmocka_unit_test(test_operators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
