/*
 * tests/engine/test_ijoin.c - the interval join of two streams (engine/ops/op_ijoin.c)
 * against a nested-loop model: random rows (keys with NULLs, times with NULLs, short and long
 * strings) in rough time order pushed into 1, 2 and 3 workers' operators on either side, with
 * watermarks that no later row of the side is behind, messages delivered in order but at
 * random moments, a save / restore of every worker in the middle (with rows and watermarks a
 * checkpoint's alignment held back); the joined rows, as a multiset, must be exactly the
 * model's (every pair with equal non-NULL keys whose right time minus left time lies in the
 * bounds), the state must shrink as the watermarks pass, and every worker's output must end
 * once. Then late rows, the watermark held back by the bounds, and what the binder makes of
 * the bounds (strict ones, either side first, a comma join's WHERE) and refuses.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "engine/core/state.h"
#include "engine/ops/op_ijoin.h"
#include "engine/ops/operator.h"
#include "engine/plan/catalog.h"
#include "engine/sql/binder.h"

#define DDL                                                                                  \
    "CREATE TABLE l (k BIGINT, ts TIMESTAMP(3), s VARCHAR, WATERMARK FOR ts AS ts)\n"        \
    "  WITH ('connector' = 'kafka');\n"                                                      \
    "CREATE TABLE r (k BIGINT, ts TIMESTAMP(3), t VARCHAR, WATERMARK FOR ts AS ts)\n"        \
    "  WITH ('connector' = 'kafka');\n"                                                      \
    "CREATE TABLE o (lk BIGINT, lts TIMESTAMP(3), s VARCHAR, rk BIGINT, rts TIMESTAMP(3),\n" \
    "  t VARCHAR) WITH ('connector' = 'print');\n"

static const char sql[] =
    DDL "INSERT INTO o SELECT l.k, l.ts, s, r.k, CAST(r.ts AS TIMESTAMP(3)), t\n"
        "  FROM l JOIN r\n"
        "  ON l.k = r.k AND r.ts BETWEEN l.ts - INTERVAL '2' SECOND\n"
        "  AND l.ts + INTERVAL '3' SECOND;";

#define LO (-2000)
#define HI 3000
#define MAXW 3
#define MAXROWS 700

/* ---- rows and the model ---------------------------------------------------------------- */

struct trow {
    bool knull, tnull;
    int64_t k, ts;
    const char *s;
};

static const char *const strs[] = {"a", "b", "a string longer than twelve bytes",
                                   "another string that lives in the heap"};

static struct trow rows[2][MAXROWS];
static int64_t suffix_min[2][MAXROWS + 1]; /* the least time of rows [i, n) of a side */
static uint32_t nrows[2];

static void fmt_row(char *buf, size_t len, const struct trow *l, const struct trow *r)
{
    snprintf(buf, len, "%lld|%lld|%s|%lld|%lld|%s", (long long)l->k, (long long)l->ts, l->s,
             (long long)r->k, (long long)r->ts, r->s);
}

/* ---- a collector of the output ------------------------------------------------------------- */

struct collector {
    struct sl_op op;
    char (*lines)[200];
    uint32_t n, cap;
    int finished[MAXW];
    int64_t wm[MAXW]; /* the last watermark per worker */
};

static int col_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                    struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct collector *c = (struct collector *)op;
    assert_int_equal(b->ncols, 6);
    for (uint32_t i = 0; i < sl_batch_active(b); i++) {
        uint32_t r = b->sel ? b->sel[i] : i;
        struct trow L = {0}, R = {0};
        char sb[64] = "", tb[64] = "";
        L.k = sl_col_i64(&b->cols[0])[r];
        L.ts = sl_col_i64(&b->cols[1])[r];
        sl_str s = sl_col_str(&b->cols[2])[r];
        snprintf(sb, sizeof(sb), "%.*s", (int)s.len, sl_str_data(&s));
        L.s = sb;
        R.k = sl_col_i64(&b->cols[3])[r];
        R.ts = sl_col_i64(&b->cols[4])[r];
        sl_str t = sl_col_str(&b->cols[5])[r];
        snprintf(tb, sizeof(tb), "%.*s", (int)t.len, sl_str_data(&t));
        R.s = tb;
        /* the bound holds in every output row (the model checks the rest) */
        assert_true(R.ts - L.ts >= LO && R.ts - L.ts <= HI);
        assert_true(c->n < c->cap);
        fmt_row(c->lines[c->n++], sizeof(c->lines[0]), &L, &R);
    }
    sl_batch_pool_put(b);
    return 0;
}

static int col_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                         struct sl_error *err)
{
    (void)err;
    struct collector *c = (struct collector *)op;
    assert_true(wm > c->wm[ctx->worker]); /* forward only */
    c->wm[ctx->worker] = wm;
    return 0;
}

static int col_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    (void)err;
    struct collector *c = (struct collector *)op;
    assert_int_equal(c->wm[ctx->worker], INT64_MAX); /* the end came first */
    c->finished[ctx->worker]++;
    return 0;
}

static void col_free(struct sl_op *op)
{
    (void)op;
}

static const struct sl_op_ops col_ops = {.name = "collect",
                                         .push = col_push,
                                         .watermark = col_watermark,
                                         .finish = col_finish,
                                         .free = col_free,
                                         .stateless = true};

/* ---- the workers and their messages ---------------------------------------------------- */

struct qmsg {
    int from, to;
    struct sl_msg m;
};

static struct qmsg queue[1 << 16];
static uint32_t qhead, qlen;
static struct sl_op *ops[MAXW];
static struct sl_worker_ctx ctxs[MAXW];

static int test_send(struct sl_worker_ctx *ctx, const struct sl_op *op, int to, struct sl_msg msg,
                     struct sl_error *err)
{
    (void)op;
    (void)err;
    assert_true(qlen < (1u << 16));
    queue[(qhead + qlen++) % (1u << 16)] = (struct qmsg){ctx->worker, to, msg};
    return 0;
}

/* Delivers up to n queued messages, in the order they were sent. */
static void deliver(uint32_t n)
{
    struct sl_error err;
    while (n-- && qlen) {
        struct qmsg q = queue[qhead];
        qhead = (qhead + 1) % (1u << 16);
        qlen--;
        int rc = ops[q.to]->ops->receive(ops[q.to], &ctxs[q.to], q.from, q.m, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
    }
}

static struct sl_op *input(int w, int sd)
{
    return sd ? sl_op_ijoin_right(ops[w]) : ops[w];
}

static bool with_sel; /* push() makes some batches select every other row */

/* Pushes rows [from, to) of side sd into worker w as one batch per SL_BATCH_CAP rows. */
static void push(struct sl_batch_pool *pool, int w, int sd, uint32_t from, uint32_t to)
{
    struct sl_error err;
    struct sl_op *target = input(w, sd);
    while (from < to) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        assert_non_null(b);
        uint32_t m = to - from < SL_BATCH_CAP ? to - from : SL_BATCH_CAP;
        for (uint32_t i = 0; i < m; i++) {
            const struct trow *r = &rows[sd][from + i];
            sl_col_i64(&b->cols[0])[i] = r->k;
            sl_col_set_null(&b->cols[0], i, r->knull);
            sl_col_i64(&b->cols[1])[i] = r->ts;
            sl_col_set_null(&b->cols[1], i, r->tnull);
            sl_col_str(&b->cols[2])[i] = sl_batch_str(b, r->s, (uint32_t)strlen(r->s));
        }
        b->rows = m;
        if (m > 1 && with_sel && rand() % 3 == 0) { /* a selection: every other row */
            sl_sel_t *sel = sl_batch_sel_next(b);
            uint32_t ns = 0;
            for (uint32_t i = 0; i < m; i += 2)
                sel[ns++] = i;
            sl_batch_sel_commit(b, sel, ns);
            for (uint32_t i = 1; i < m; i += 2) /* the others are not input */
                rows[sd][from + i].knull = true;
        }
        int rc = target->ops->push(target, &ctxs[w], b, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
        from += m;
    }
}

/* Every worker's input of side sd: the watermark that no row from `at` on is behind. */
static void watermarks(int nw, int sd, uint32_t at)
{
    struct sl_error err;
    int64_t wm = suffix_min[sd][at] - 1;
    for (int w = 0; w < nw; w++) {
        struct sl_op *t = input(w, sd);
        assert_int_equal(t->ops->watermark(t, &ctxs[w], wm, &err), 0);
    }
}

/* Both inputs of every worker: watermark wm (no row is behind it any more). */
static void wm_all(int nw, int64_t wm)
{
    struct sl_error err;
    for (int w = 0; w < nw; w++)
        for (int sd = 0; sd < 2; sd++) {
            struct sl_op *t = input(w, sd);
            assert_int_equal(t->ops->watermark(t, &ctxs[w], wm, &err), 0);
        }
}

static uint64_t held(int nw)
{
    uint64_t sum = 0;
    for (int w = 0; w < nw; w++) {
        uint64_t l, r;
        sl_op_ijoin_rows(ops[w], &l, &r);
        sum += l + r;
    }
    return sum;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(a, b);
}

static const struct sl_plan *find_join(const struct sl_job *job)
{
    const struct sl_plan *jn = job->inserts[0];
    while (jn && jn->kind != SL_PLAN_JOIN)
        jn = jn->input;
    assert_non_null(jn);
    return jn;
}

static struct sl_job *bind(const char *text)
{
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_job *job = sl_job_from_sql("q.sql", text, strlen(text), NULL, 0, &err);
    if (!job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(job);
    return job;
}

static void new_ops(const struct sl_plan *jn, int nw, struct collector *col)
{
    struct sl_error err;
    for (int w = 0; w < nw; w++) {
        assert_int_equal(sl_op_ijoin_new(jn, &ctxs[w], &ops[w], &err), 0);
        ops[w]->next = &col->op;
        ops[w]->tag = 7;
    }
}

static void run(int nw, unsigned seed)
{
    srand(seed);
    with_sel = true;
    struct sl_error err;
    struct sl_job *job = bind(sql);
    const struct sl_plan *jn = find_join(job);
    assert_true(jn->join.interval);
    assert_int_equal(jn->join.lo, LO);
    assert_int_equal(jn->join.hi, HI);
    struct sl_schema *sch[2] = {sl_plan_rel_schema(&jn->input->out),
                                sl_plan_rel_schema(&jn->join.right->out)};
    assert_non_null(sch[0]);
    assert_non_null(sch[1]);
    struct sl_heap *heap = sl_heap_new();
    struct sl_worker_stats stats = {0};
    struct sl_batch_pool *pool[2] = {sl_batch_pool_new(heap, sch[0], 2),
                                     sl_batch_pool_new(heap, sch[1], 2)};
    struct collector col = {.op = {&col_ops, NULL, NULL, 0}};
    col.cap = 1 << 17;
    col.lines = calloc(col.cap, sizeof(*col.lines));
    assert_non_null(col.lines);
    for (int w = 0; w < nw; w++) {
        ctxs[w] = (struct sl_worker_ctx){.worker = w,
                                         .nworkers = nw,
                                         .heap = heap,
                                         .sql = job->file->src,
                                         .stats = &stats,
                                         .send = test_send};
        col.wm[w] = INT64_MIN;
    }
    new_ops(jn, nw, &col);
    qhead = qlen = 0;
    /* random rows in rough time order (30 ms apart, up to 800 ms out of order): few keys */
    for (int sd = 0; sd < 2; sd++) {
        nrows[sd] = 200 + (uint32_t)(rand() % (MAXROWS - 200));
        for (uint32_t i = 0; i < nrows[sd]; i++) {
            struct trow *r = &rows[sd][i];
            r->knull = rand() % 10 == 0;
            r->k = rand() % 7 - 2;
            r->tnull = rand() % 15 == 0;
            r->ts = 100000 + (int64_t)i * 30 + rand() % 800;
            r->s = strs[rand() % 4];
        }
        suffix_min[sd][nrows[sd]] = INT64_MAX; /* capped below */
        for (uint32_t i = nrows[sd]; i-- > 0;) {
            int64_t t = rows[sd][i].tnull ? INT64_MAX : rows[sd][i].ts;
            suffix_min[sd][i] = t < suffix_min[sd][i + 1] ? t : suffix_min[sd][i + 1];
        }
    }
    /* past the rows' last time: the watermark of a side that has sent all its rows */
    int64_t last = 100000 + (int64_t)(nrows[0] > nrows[1] ? nrows[0] : nrows[1]) * 30 + 800;
    for (int sd = 0; sd < 2; sd++)
        for (uint32_t i = 0; i <= nrows[sd]; i++)
            if (suffix_min[sd][i] > last)
                suffix_min[sd][i] = last + 1;
    /* in random pieces, to random workers, each followed by its side's watermark; a save /
     * restore of all in the middle */
    uint32_t at[2] = {0, 0};
    bool restored = false;
    while (at[0] < nrows[0] || at[1] < nrows[1]) {
        int sd = at[0] < nrows[0] && (at[1] >= nrows[1] || rand() % 2) ? 0 : 1;
        uint32_t n = 1 + (uint32_t)rand() % 40;
        if (n > nrows[sd] - at[sd])
            n = nrows[sd] - at[sd];
        push(pool[sd], rand() % nw, sd, at[sd], at[sd] + n);
        at[sd] += n;
        if (rand() % 2)
            watermarks(nw, sd, at[sd]);
        deliver((uint32_t)rand() % 8);
        if (!restored && at[0] + at[1] > (nrows[0] + nrows[1]) / 2) {
            restored = true;
            /* a checkpoint aligns: rows and watermarks for other workers are kept (saved
             * with the state, sent after the restore), the messages before the cut arrive */
            for (int w = 0; w < nw; w++)
                ctxs[w].aligning = true;
            int sd2 = at[0] < nrows[0] ? 0 : 1;
            uint32_t n2 = nrows[sd2] - at[sd2] < 30 ? nrows[sd2] - at[sd2] : 30;
            push(pool[sd2], rand() % nw, sd2, at[sd2], at[sd2] + n2);
            at[sd2] += n2;
            watermarks(nw, sd2, at[sd2]);
            deliver(UINT32_MAX);
            for (int w = 0; w < nw; w++) {
                struct sl_sbuf sb;
                sl_sbuf_init(&sb);
                assert_int_equal(ops[w]->ops->save(ops[w], &ctxs[w], &sb, &err), 0);
                ops[w]->ops->free(ops[w]);
                assert_int_equal(sl_op_ijoin_new(jn, &ctxs[w], &ops[w], &err), 0);
                ops[w]->next = &col.op;
                ops[w]->tag = 7;
                struct sl_sread rd;
                sl_sread_init(&rd, sb.p, sb.len, "test state");
                int rc = ops[w]->ops->restore(ops[w], &ctxs[w], &rd, &err);
                if (rc)
                    fprintf(stderr, "%s\n", err.msg);
                assert_int_equal(rc, 0);
                assert_int_equal(sl_sread_left(&rd), 0);
                sl_sbuf_free(&sb);
            }
            for (int w = 0; w < nw; w++)
                ctxs[w].aligning = false;
        }
    }
    /* the state shrinks as the watermarks pass: 30 s after the rows' last time (no row can
     * come behind that any more) nothing is left, though the inputs have not ended */
    deliver(UINT32_MAX);
    wm_all(nw, last);
    deliver(UINT32_MAX);
    uint64_t live = 0; /* rows that can still meet a row of the other side: they stay */
    for (int sd = 0; sd < 2; sd++)
        for (uint32_t i = 0; i < nrows[sd]; i++)
            live +=
                !rows[sd][i].knull && !rows[sd][i].tnull && last < rows[sd][i].ts + (sd ? -LO : HI);
    assert_true(live > 0);
    assert_true(held(nw) >= live);
    wm_all(nw, last + 30000);
    deliver(UINT32_MAX);
    assert_int_equal(held(nw), 0);
    for (int w = 0; w < nw; w++)
        assert_int_equal(col.wm[w], last + 30000 - HI);
    /* the end: both inputs of every worker, in random order */
    for (int w = 0; w < nw; w++) {
        for (int k = 0; k < 2; k++) {
            int sd = (w + k) % 2;
            struct sl_op *t = input(w, sd);
            assert_int_equal(t->ops->watermark(t, &ctxs[w], INT64_MAX, &err), 0);
            assert_int_equal(t->ops->finish(t, &ctxs[w], &err), 0);
            assert_int_equal(col.finished[w], 0);
            deliver((uint32_t)rand() % 3);
        }
    }
    deliver(UINT32_MAX);
    for (int w = 0; w < nw; w++)
        assert_int_equal(col.finished[w], 1);
    assert_int_equal(held(nw), 0); /* all of it at the end */
    /* the model */
    uint32_t nwant = 0, cap = 1 << 17;
    char(*want)[200] = calloc(cap, sizeof(*want));
    assert_non_null(want);
    for (uint32_t i = 0; i < nrows[0]; i++)
        for (uint32_t j = 0; j < nrows[1]; j++) {
            const struct trow *L = &rows[0][i], *R = &rows[1][j];
            if (L->knull || R->knull || L->tnull || R->tnull || L->k != R->k ||
                R->ts - L->ts < LO || R->ts - L->ts > HI)
                continue;
            assert_true(nwant < cap);
            fmt_row(want[nwant++], sizeof(want[0]), L, R);
        }
    qsort(col.lines, col.n, sizeof(col.lines[0]), cmp_line);
    qsort(want, nwant, sizeof(want[0]), cmp_line);
    if (col.n != nwant)
        fprintf(stderr, "workers %d seed %u: %u rows, the model %u\n", nw, seed, col.n, nwant);
    assert_int_equal(col.n, nwant);
    for (uint32_t i = 0; i < nwant; i++)
        assert_string_equal(col.lines[i], want[i]);
    assert_true(nwant > 0);
    for (int w = 0; w < nw; w++)
        ops[w]->ops->free(ops[w]);
    assert_int_equal(sl_batch_pool_outstanding(pool[0]), 0);
    assert_int_equal(sl_batch_pool_outstanding(pool[1]), 0);
    free(want);
    free(col.lines);
    sl_batch_pool_free(pool[0]);
    sl_batch_pool_free(pool[1]);
    sl_schema_free(sch[0]);
    sl_schema_free(sch[1]);
    sl_heap_free(heap);
    sl_job_free(job);
}

static void test_model(void **state)
{
    (void)state;
    for (unsigned seed = 1; seed <= 9; seed++)
        run(1 + (int)(seed % MAXW), seed);
}

/* One worker, by hand: the state goes as the watermark passes, the watermark downstream is
 * held back by max(hi, -lo), a late row joins what is still there and is not kept. */
static void test_late(void **state)
{
    (void)state;
    struct sl_error err;
    struct sl_job *job = bind(sql);
    const struct sl_plan *jn = find_join(job);
    struct sl_schema *sch[2] = {sl_plan_rel_schema(&jn->input->out),
                                sl_plan_rel_schema(&jn->join.right->out)};
    struct sl_heap *heap = sl_heap_new();
    struct sl_worker_stats stats = {0};
    struct sl_batch_pool *pool[2] = {sl_batch_pool_new(heap, sch[0], 2),
                                     sl_batch_pool_new(heap, sch[1], 2)};
    struct collector col = {.op = {&col_ops, NULL, NULL, 0}};
    col.cap = 64;
    col.lines = calloc(col.cap, sizeof(*col.lines));
    ctxs[0] = (struct sl_worker_ctx){.worker = 0,
                                     .nworkers = 1,
                                     .heap = heap,
                                     .sql = job->file->src,
                                     .stats = &stats,
                                     .send = test_send};
    col.wm[0] = INT64_MIN;
    new_ops(jn, 1, &col);
    qhead = qlen = 0;
    nrows[0] = nrows[1] = 0;
    with_sel = false; /* every row pushed is input */
    /* left rows at 10 s and 20 s, key 1 */
    rows[0][0] = (struct trow){.k = 1, .ts = 10000, .s = "x"};
    rows[0][1] = (struct trow){.k = 1, .ts = 20000, .s = "y"};
    push(pool[0], 0, 0, 0, 2);
    uint64_t l, r;
    sl_op_ijoin_rows(ops[0], &l, &r);
    assert_int_equal(l, 2);
    /* W = 13 s: the row at 10 s lives while W < 10 s + hi = 13 s: gone */
    struct sl_op *in[2] = {input(0, 0), input(0, 1)};
    assert_int_equal(in[0]->ops->watermark(in[0], &ctxs[0], 13000, &err), 0);
    assert_int_equal(in[1]->ops->watermark(in[1], &ctxs[0], 13000, &err), 0);
    deliver(UINT32_MAX);
    assert_int_equal(col.wm[0], 13000 - HI); /* held back by max(3000, 2000) */
    sl_op_ijoin_rows(ops[0], &l, &r);
    assert_int_equal(l, 1);
    /* a late right row at 12 s would have met the row at 10 s, which is gone (the one at
     * 20 s is out of range); it is kept: 13 s < 12 s - lo = 14 s, left rows up to 14 s can
     * still come */
    rows[1][0] = (struct trow){.k = 1, .ts = 12000, .s = "late"};
    push(pool[1], 0, 1, 0, 1);
    assert_int_equal(col.n, 0);
    sl_op_ijoin_rows(ops[0], &l, &r);
    assert_int_equal(r, 1);
    /* a right row at 10 s is behind W by more than its bound (10 s + 2 s <= 13 s): it probes
     * and is not kept */
    rows[1][1] = (struct trow){.k = 1, .ts = 10000, .s = "too late"};
    push(pool[1], 0, 1, 1, 2);
    sl_op_ijoin_rows(ops[0], &l, &r);
    assert_int_equal(r, 1);
    assert_int_equal(col.n, 0);
    /* an on-time right row at 19 s meets the left row at 20 s (-1 s is in [-2 s, 3 s]) */
    rows[1][2] = (struct trow){.k = 1, .ts = 19000, .s = "z"};
    push(pool[1], 0, 1, 2, 3);
    assert_int_equal(col.n, 1);
    assert_string_equal(col.lines[0], "1|20000|y|1|19000|z");
    for (int sd = 0; sd < 2; sd++) {
        assert_int_equal(in[sd]->ops->watermark(in[sd], &ctxs[0], INT64_MAX, &err), 0);
        assert_int_equal(in[sd]->ops->finish(in[sd], &ctxs[0], &err), 0);
    }
    deliver(UINT32_MAX);
    assert_int_equal(col.finished[0], 1);
    sl_op_ijoin_rows(ops[0], &l, &r);
    assert_int_equal(l + r, 0);
    ops[0]->ops->free(ops[0]);
    free(col.lines);
    sl_batch_pool_free(pool[0]);
    sl_batch_pool_free(pool[1]);
    sl_schema_free(sch[0]);
    sl_schema_free(sch[1]);
    sl_heap_free(heap);
    sl_job_free(job);
}

/* The bounds the binder reads (Flink's IntervalJoinUtil), and what stays a regular join. */
static void test_bounds(void **state)
{
    (void)state;
    static const struct {
        const char *q;
        bool interval;
        int64_t lo, hi;
    } cases[] = {
        /* strict bounds are 1 ms inside; the right's time first or second */
        {"FROM l JOIN r ON l.k = r.k AND r.ts > l.ts AND r.ts < l.ts + INTERVAL '5' SECOND", true,
         1, 4999},
        {"FROM l JOIN r ON l.k = r.k AND l.ts >= r.ts - INTERVAL '1' MINUTE AND l.ts <= r.ts", true,
         0, 60000},
        /* a comma join's WHERE; another condition stays a filter */
        {"FROM l, r WHERE l.k = r.k AND l.ts BETWEEN r.ts - INTERVAL '1' SECOND AND r.ts + "
         "INTERVAL '2' SECOND AND s <> t",
         true, -2000, 1000},
        /* one bound only: a regular join */
        {"FROM l JOIN r ON l.k = r.k AND r.ts >= l.ts", false, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[2048];
        snprintf(text, sizeof(text),
                 DDL "INSERT INTO o SELECT l.k, l.ts, s, r.k, CAST(r.ts AS TIMESTAMP(3)), t %s;",
                 cases[i].q);
        struct sl_job *job = bind(text);
        const struct sl_plan *jn = find_join(job);
        if (jn->join.interval != cases[i].interval || jn->join.lo != cases[i].lo ||
            jn->join.hi != cases[i].hi)
            fprintf(stderr, "case %zu: interval %d [%lld, %lld]\n", i, jn->join.interval,
                    (long long)jn->join.lo, (long long)jn->join.hi);
        assert_int_equal(jn->join.interval, cases[i].interval);
        if (cases[i].interval) {
            assert_int_equal(jn->join.lo, cases[i].lo);
            assert_int_equal(jn->join.hi, cases[i].hi);
            assert_int_equal(jn->join.ltime, 1);
            assert_int_equal(jn->join.rtime, 1);
            /* both time attributes stay time attributes */
            assert_true(jn->out.cols[1].rowtime);
            assert_true(jn->out.cols[4].rowtime);
            char *buf = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&buf, &len);
            sl_plan_explain(job->inserts[0], f);
            fclose(f);
            assert_non_null(strstr(buf, "IntervalJoin INNER ON l.k = r.k AND r.ts - l.ts BETWEEN"));
            free(buf);
        } else {
            assert_false(jn->out.cols[1].rowtime);
        }
        sl_job_free(job);
    }
}

/* What the binder refuses, with the position. */
static void test_refused(void **state)
{
    (void)state;
    static const struct {
        const char *q, *msg;
    } cases[] = {
        /* both time attributes into one sink: Flink's TableException */
        {"INSERT INTO o SELECT l.k, l.ts, s, r.k, r.ts, t FROM l JOIN r ON l.k = r.k AND r.ts\n"
         "  BETWEEN l.ts AND l.ts + INTERVAL '1' SECOND",
         "q.sql:7:15: the query has more than one rowtime attribute column (ts, ts) for "
         "writing into table 'o'"},
        /* outer interval joins: not yet (outer regular joins are) */
        {"INSERT INTO o SELECT l.k, l.ts, s, r.k, CAST(r.ts AS TIMESTAMP(3)), t FROM l LEFT\n"
         "  JOIN r ON l.k = r.k AND r.ts BETWEEN l.ts AND l.ts + INTERVAL '1' SECOND",
         "outer interval joins are not supported yet"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[2048];
        snprintf(text, sizeof(text), DDL "%s;", cases[i].q);
        struct sl_error err;
        sl_error_clear(&err);
        struct sl_job *job = sl_job_from_sql("q.sql", text, strlen(text), NULL, 0, &err);
        if (job || !strstr(err.msg, cases[i].msg))
            fprintf(stderr, "case %zu: %s\n", i, job ? "accepted" : err.msg);
        assert_null(job);
        assert_non_null(strstr(err.msg, cases[i].msg));
        assert_non_null(strstr(err.msg, "q.sql:7:"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_late),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
