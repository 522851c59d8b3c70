/*
 * tests/engine/test_txsink.c - the sink operator of a transactional sink
 * (engine/ops/op_txsink.h): in a job over several processes every worker's rows reach the
 * one writer's sink, in order, each once, and the writer's output ends only after every
 * worker's input ended; rows produced while a checkpoint aligns are kept, saved and sent
 * after it; a restore may change the writer (the ENDs are sent again at the start); a
 * snapshot without the operator's block restores; a rescale gives every kept batch to the
 * new writer; damaged state is refused. Messages go through the codec (msg_encode /
 * msg_decode) as between two processes, delivered from per-worker queues. With
 * SL_BATCH_CAP = 2 the same runs cover batch boundaries.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "engine/core/state.h"
#include "engine/ops/connector.h"
#include "engine/ops/op_txsink.h"
#include "engine/ops/operator.h"
#include "engine/plan/catalog.h"
#include "engine/sql/binder.h"

static const char sql[] = "CREATE TABLE src (k BIGINT, s VARCHAR) WITH ('connector' = 'kafka');\n"
                          "CREATE TABLE o (k BIGINT, s VARCHAR) WITH ('connector' = 'print');\n"
                          "INSERT INTO o SELECT k, s FROM src;\n";

#define MAXW 4
#define MAXROWS 4096

/* ---- a sink that records what it was given, per worker ---------------------------------- */

struct fake_sink {
    struct sl_sink base;
    int64_t got[MAXROWS];
    int worker[MAXROWS];
    int n, flushes;
};

static int fake_write(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_batch *b,
                      struct sl_error *err)
{
    (void)err;
    struct fake_sink *f = (struct fake_sink *)sk;
    for (uint32_t i = 0; i < sl_batch_active(b); i++) {
        uint32_t r = b->sel ? b->sel[i] : i;
        int64_t k = sl_col_i64(&b->cols[0])[r];
        sl_str s = sl_col_str(&b->cols[1])[r];
        char want[48];
        snprintf(want, sizeof(want), "row-%lld-with-a-long-string", (long long)k);
        assert_int_equal(s.len, strlen(want)); /* the strings travel whole */
        assert_memory_equal(sl_str_data(&s), want, s.len);
        assert_true(f->n < MAXROWS);
        f->got[f->n] = k;
        f->worker[f->n++] = ctx->worker;
    }
    return 0;
}

static int fake_flush(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    (void)ctx;
    (void)err;
    ((struct fake_sink *)sk)->flushes++;
    return 0;
}

static const struct sl_sink_ops fake_ops = {.write = fake_write, .flush = fake_flush};

/* ---- workers: a queue of messages per receiver, delivered through the codec ------------- */

struct qmsg {
    int from, to;
    uint32_t kind, aux;
    struct sl_sbuf bytes;
};

static struct sl_op *ops[MAXW];
static struct sl_worker_ctx ctxs[MAXW];
static bool finished[MAXW];
static struct qmsg queue[MAXROWS];
static int nq;
static int refused; /* sends while aligning: the executor refuses them */

static int send_queued(struct sl_worker_ctx *ctx, const struct sl_op *op, int to, struct sl_msg msg,
                       struct sl_error *err)
{
    if (ctx->aligning) {
        refused++;
        return sl_error_set(err, SL_ENOTSUP, "a send while aligning");
    }
    assert_true(nq < MAXROWS);
    struct qmsg *q = &queue[nq++];
    q->from = ctx->worker;
    q->to = to;
    q->kind = msg.kind;
    q->aux = msg.aux;
    sl_sbuf_init(&q->bytes);
    if (msg.kind == SL_MSG_DATA) {
        assert_int_equal(op->ops->msg_encode(op, msg, &q->bytes, err), 0);
        ((struct sl_msg_payload *)msg.ptr)->free_fn(msg.ptr);
    }
    return 0;
}

static void deliver(void)
{
    struct sl_error err;
    for (int i = 0; i < nq; i++) {
        struct qmsg *q = &queue[i];
        struct sl_msg m = {.kind = q->kind, .aux = q->aux};
        if (q->kind == SL_MSG_DATA) {
            struct sl_sread in;
            sl_sread_init(&in, q->bytes.p, q->bytes.len, "message");
            assert_int_equal(
                ops[q->to]->ops->msg_decode(ops[q->to], &ctxs[q->to], q->aux, &in, &m, &err), 0);
            assert_int_equal(sl_sread_left(&in), 0);
        }
        int rc = ops[q->to]->ops->receive(ops[q->to], &ctxs[q->to], q->from, m, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
        sl_sbuf_free(&q->bytes);
    }
    nq = 0;
}

static struct sl_job *job;
static struct sl_schema *schema;
static struct sl_batch_pool *pool;
static struct fake_sink sink;

static const struct sl_plan *sink_node(void)
{
    const struct sl_plan *p = job->inserts[0];
    assert_int_equal(p->kind, SL_PLAN_SINK);
    return p;
}

static void build(int nworkers, int writer)
{
    struct sl_error err;
    for (int w = 0; w < nworkers; w++) {
        ctxs[w] = (struct sl_worker_ctx){.worker = w, .nworkers = nworkers, .send = send_queued};
        finished[w] = false;
        assert_int_equal(sl_op_txsink_new(sink_node(), &sink.base, &finished[w], writer, &ctxs[w],
                                          &ops[w], &err),
                         0);
        ops[w]->tag = 7;
    }
}

static void drop(int nworkers)
{
    for (int w = 0; w < nworkers; w++) {
        ops[w]->ops->free(ops[w]);
        ops[w] = NULL;
    }
}

/* Rows k0 .. k0 + n - 1 pushed on worker w, in batches of up to `per`. */
static void push(int w, int64_t k0, int n, int per)
{
    struct sl_error err;
    for (int base = 0; base < n; base += per) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        int m = n - base < per ? n - base : per;
        if (m > (int)SL_BATCH_CAP)
            m = (int)SL_BATCH_CAP;
        for (int i = 0; i < m; i++) {
            char s[48];
            int64_t k = k0 + base + i;
            int len = snprintf(s, sizeof(s), "row-%lld-with-a-long-string", (long long)k);
            sl_col_i64(&b->cols[0])[i] = k;
            sl_col_str(&b->cols[1])[i] = sl_batch_str(b, s, (uint32_t)len);
        }
        b->rows = (uint32_t)m;
        if (m < per) /* the rest of this chunk in the next batch */
            per = m;
        int rc = ops[w]->ops->push(ops[w], &ctxs[w], b, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
    }
}

static void finish(int w)
{
    struct sl_error err;
    assert_int_equal(ops[w]->ops->finish(ops[w], &ctxs[w], &err), 0);
}

static void resumed(int w)
{
    struct sl_error err;
    int rc = ops[w]->ops->resumed(ops[w], &ctxs[w], &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
}

/* Every row of [0, n) once, all written by worker `writer`. */
static void check_all(int n, int writer)
{
    static bool seen[MAXROWS];
    memset(seen, 0, sizeof(seen));
    assert_int_equal(sink.n, n);
    for (int i = 0; i < sink.n; i++) {
        assert_true(sink.got[i] >= 0 && sink.got[i] < n);
        assert_false(seen[sink.got[i]]);
        seen[sink.got[i]] = true;
        assert_int_equal(sink.worker[i], writer);
    }
}

static int setup(void **state)
{
    (void)state;
    struct sl_error err;
    job = sl_job_from_sql("q.sql", sql, strlen(sql), NULL, 0, &err);
    assert_non_null(job);
    schema = sl_plan_rel_schema(&sink_node()->input->out);
    pool = sl_batch_pool_new(NULL, schema, 4);
    assert_non_null(pool);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl_batch_pool_free(pool);
    sl_schema_free(schema);
    sl_job_free(job);
    return 0;
}

static void reset_sink(void)
{
    memset(&sink, 0, sizeof(sink));
    sink.base.ops = &fake_ops;
    sink.base.table = sink_node()->sink.table;
}

/* 3 workers gather to worker 1: every row once, in each sender's order; the writer's output
 * ends after the last END, not before. */
static void test_gather(void **state)
{
    (void)state;
    reset_sink();
    build(3, 1);
    push(0, 0, 50, 7);
    push(1, 50, 30, 5);
    push(2, 80, 40, 3);
    deliver();
    check_all(120, 1);
    for (int i = 1; i < sink.n; i++) /* worker 0's rows arrive in the order it sent them */
        if (sink.got[i] < 50 && sink.got[i - 1] < 50)
            assert_true(sink.got[i] > sink.got[i - 1]);
    finish(1);
    finish(0);
    deliver();
    assert_true(finished[0]);
    assert_false(finished[1]); /* worker 2 still sends */
    push(2, 120, 10, 4);
    finish(2);
    deliver();
    assert_true(finished[1] && finished[2]);
    assert_int_equal(sink.flushes, 1); /* the writer's, once */
    check_all(130, 1);
    drop(3);
}

/* Rows produced while aligning are kept, saved with the state, and sent after the alignment;
 * the saved state restores into another writer, and the ENDs are said again at its start. */
static void test_align_restore(void **state)
{
    (void)state;
    struct sl_error err;
    reset_sink();
    build(3, 0);
    push(1, 0, 10, 4);
    ctxs[1].aligning = true; /* a checkpoint aligns on worker 1: its rows are kept */
    push(1, 10, 6, 4);
    ctxs[2].aligning = true;
    finish(2); /* worker 2's input ends while it aligns: its END waits too */
    assert_true(finished[2]);
    deliver();
    assert_int_equal(refused, 0);
    assert_int_equal(sink.n, 10);
    struct sl_sbuf saved[3];
    for (int w = 0; w < 3; w++) {
        sl_sbuf_init(&saved[w]);
        assert_int_equal(ops[w]->ops->save(ops[w], &ctxs[w], &saved[w], &err), 0);
    }
    /* the alignment ends: the kept rows and the END go out, in order */
    ctxs[1].aligning = ctxs[2].aligning = false;
    resumed(1);
    resumed(2);
    deliver();
    check_all(16, 0);
    finish(0);
    finish(1);
    deliver();
    assert_true(finished[0]);
    drop(3);

    /* restored from the snapshot (taken while aligning) with worker 2 as the writer: rows
     * 10..15 come again from worker 1's kept state (the epoch's output is written again,
     * the transaction of the aborted attempt never counted), worker 2's input had ended */
    reset_sink();
    build(3, 2);
    finished[2] = true; /* the pipeline's flag, restored: its input had ended */
    for (int w = 0; w < 3; w++) {
        struct sl_sread in;
        sl_sread_init(&in, saved[w].p, saved[w].len, "state");
        assert_int_equal(ops[w]->ops->restore(ops[w], &ctxs[w], &in, &err), 0);
        assert_int_equal(sl_sread_left(&in), 0);
        sl_sbuf_free(&saved[w]);
    }
    for (int w = 0; w < 3; w++)
        resumed(w);
    assert_false(finished[2]); /* the writer waits for the others again */
    deliver();
    assert_int_equal(sink.n, 6);
    for (int i = 0; i < sink.n; i++)
        assert_true(sink.got[i] >= 10 && sink.got[i] < 16 && sink.worker[i] == 2);
    finish(0);
    finish(1);
    deliver();
    assert_true(finished[2]);
    assert_int_equal(sink.flushes, 1);
    drop(3);
}

/* A snapshot without the block restores as "nothing kept; ended if the pipeline had". */
static void test_no_block(void **state)
{
    (void)state;
    struct sl_error err;
    reset_sink();
    build(2, 0);
    finished[1] = true;
    for (int w = 0; w < 2; w++)
        assert_int_equal(ops[w]->ops->restore(ops[w], &ctxs[w], NULL, &err), 0);
    resumed(0);
    resumed(1);
    deliver(); /* worker 1's END again */
    assert_false(finished[0]);
    push(0, 0, 3, 3);
    finish(0);
    assert_true(finished[0]);
    check_all(3, 0);
    drop(2);
}

/* Rescaled from 2 old workers to 3: the new writer takes both old workers' kept batches. */
static void test_rescale(void **state)
{
    (void)state;
    struct sl_error err;
    reset_sink();
    build(2, 1);
    ctxs[0].aligning = true;
    push(0, 0, 5, 2);
    struct sl_sbuf saved[2];
    for (int w = 0; w < 2; w++) {
        sl_sbuf_init(&saved[w]);
        assert_int_equal(ops[w]->ops->save(ops[w], &ctxs[w], &saved[w], &err), 0);
    }
    drop(2);
    reset_sink();
    build(3, 2);
    for (int w = 0; w < 3; w++) {
        struct sl_sread in[2];
        for (int j = 0; j < 2; j++)
            sl_sread_init(&in[j], saved[j].p, saved[j].len, "state");
        assert_int_equal(ops[w]->ops->rescale(ops[w], &ctxs[w], in, 2, &err), 0);
        for (int j = 0; j < 2; j++)
            assert_int_equal(sl_sread_left(&in[j]), 0);
    }
    for (int w = 0; w < 3; w++)
        resumed(w);
    deliver();
    check_all(5, 2);
    for (int w = 0; w < 3; w++)
        finish(w);
    deliver();
    assert_true(finished[0] && finished[1] && finished[2]);
    for (int j = 0; j < 2; j++)
        sl_sbuf_free(&saved[j]);
    drop(3);
}

/* Damaged state and messages are refused, never a crash. */
static void test_corrupt(void **state)
{
    (void)state;
    struct sl_error err;
    reset_sink();
    build(2, 0);
    ctxs[1].aligning = true;
    push(1, 0, 3, 3);
    struct sl_sbuf good;
    sl_sbuf_init(&good);
    assert_int_equal(ops[1]->ops->save(ops[1], &ctxs[1], &good, &err), 0);
    drop(2);
    for (size_t cut = 0; cut < good.len; cut++) { /* every truncation */
        build(2, 0);
        struct sl_sread in;
        sl_sread_init(&in, good.p, cut, "state");
        int rc = ops[1]->ops->restore(ops[1], &ctxs[1], &in, &err);
        if (!rc)
            rc = sl_sread_end(&in, &err);
        assert_int_equal(rc, SL_ECORRUPT);
        drop(2);
    }
    uint8_t bad[] = {9, 0, 0, 0, 0, 0};
    build(2, 0);
    struct sl_sread in;
    sl_sread_init(&in, bad, sizeof(bad), "state");
    assert_int_equal(ops[1]->ops->restore(ops[1], &ctxs[1], &in, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "not a sink's state"));
    /* a message of another format */
    uint8_t msg[] = {2, 1, 0, 0, 0};
    struct sl_msg m;
    sl_sread_init(&in, msg, sizeof(msg), "message");
    assert_int_equal(ops[0]->ops->msg_decode(ops[0], &ctxs[0], 7, &in, &m, &err), SL_ECORRUPT);
    /* a message to a worker that does not write */
    assert_int_equal(
        ops[1]->ops->receive(ops[1], &ctxs[1], 0, (struct sl_msg){.kind = SL_MSG_END}, &err),
        SL_ESTATE);
    drop(2);
    sl_sbuf_free(&good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gather),   cmocka_unit_test(test_align_restore),
        cmocka_unit_test(test_no_block), cmocka_unit_test(test_rescale),
        cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
