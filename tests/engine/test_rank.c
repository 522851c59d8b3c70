/*
 * tests/engine/test_rank.c - Top-N and deduplication (engine/ops/op_rank.c), driven with the
 * plans the binder builds from SQL, against a naive model written from Flink's rules:
 *   Top-N (AppendOnlyTopNFunction): per partition the rows in ORDER BY order, a row after
 *     every row it ties with (arrival order), the first `end` kept; the visible rows are the
 *     ranks start .. end, with the rank number when the query selects it;
 *   deduplication (RowTimeDeduplicateFunction): keep last replaces the kept row when the new
 *     rowtime >= the kept one's, keep first when it is < the kept one's.
 * Random rows (keys, NULLs, short and long strings, ties) go through 1, 2 and 3 workers
 * (messages delivered at once to the owner's receive); after every push the changelog
 * applied so far (+I / +U add a row, -U / -D remove one that must be there) must equal the
 * model's result on the rows pushed so far. Halfway, every worker's state goes through save /
 * restore into new operators. With SL_BATCH_CAP = 2 the same runs cover batch boundaries.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/batch.h"
#include "engine/core/state.h"
#include "engine/ops/op_rank.h"
#include "engine/ops/operator.h"
#include "engine/plan/catalog.h"
#include "engine/plan/changelog.h"
#include "engine/sql/binder.h"

#define NQ 7
static const char sql[] =
    "CREATE TABLE src (k BIGINT, s VARCHAR, v BIGINT, ts TIMESTAMP(3),\n"
    "  WATERMARK FOR ts AS ts) WITH ('connector' = 'kafka');\n"
    "CREATE TABLE o0 (k BIGINT, s VARCHAR, v BIGINT, ts TIMESTAMP(3), rn BIGINT)\n"
    "  WITH ('connector' = 'print');\n"
    "CREATE TABLE o1 (k BIGINT, s VARCHAR, v BIGINT, ts TIMESTAMP(3))\n"
    "  WITH ('connector' = 'print');\n"
    /* 0: Top-3 with the rank number; v DESC (NULLS LAST by default), then s ASC */
    "INSERT INTO o0 SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k\n"
    "  ORDER BY v DESC, s) AS rn FROM src) WHERE rn <= 3;\n"
    /* 1: Top-3 without it: -D / +I */
    "INSERT INTO o1 SELECT k, s, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k\n"
    "  ORDER BY v DESC, s) AS rn FROM src) WHERE rn <= 3;\n"
    /* 2: ranks 2..4 by v ASC NULLS LAST, with the number */
    "INSERT INTO o0 SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k\n"
    "  ORDER BY v ASC NULLS LAST) AS rn FROM src) WHERE rn >= 2 AND 4 >= rn;\n"
    /* 3: deduplication keeping the last row by rowtime */
    "INSERT INTO o1 SELECT k, s, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k, s\n"
    "  ORDER BY ts DESC) AS rn FROM src) WHERE rn = 1;\n"
    /* 4: keeping the first */
    "INSERT INTO o1 SELECT k, s, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k, s\n"
    "  ORDER BY ts) AS rn FROM src) WHERE rn <= 1;\n"
    /* 5: Top-1 with the number (no deduplication: the rank number is selected) */
    "INSERT INTO o0 SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY s\n"
    "  ORDER BY ts DESC) AS rn FROM src) WHERE rn < 2;\n"
    /* 6: a global Top-3 (no PARTITION BY), as 0 */
    "INSERT INTO o0 SELECT * FROM (SELECT *, ROW_NUMBER() OVER (\n"
    "  ORDER BY v DESC, s) AS rn FROM src) WHERE rn <= 3;\n";

/* The same Top-N queries over an updating input (a changelog source: Flink's
 * RetractableTopNFunction); statement i runs as query upd_q[i] of `sql` (the model's). */
#define NU 5
static const int upd_q[NU] = {0, 1, 2, 5, 6};
static const char sql_upd[] =
    "CREATE TABLE src (k BIGINT, s VARCHAR, v BIGINT, ts TIMESTAMP(3))\n"
    "  WITH ('connector' = 'kafka', 'format' = 'debezium-json');\n"
    "CREATE TABLE o0 (k BIGINT, s VARCHAR, v BIGINT, ts TIMESTAMP(3), rn BIGINT)\n"
    "  WITH ('connector' = 'print');\n"
    "CREATE TABLE o1 (k BIGINT, s VARCHAR, v BIGINT, ts TIMESTAMP(3))\n"
    "  WITH ('connector' = 'print');\n"
    "INSERT INTO o0 SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k\n"
    "  ORDER BY v DESC, s) AS rn FROM src) WHERE rn <= 3;\n"
    "INSERT INTO o1 SELECT k, s, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k\n"
    "  ORDER BY v DESC, s) AS rn FROM src) WHERE rn <= 3;\n"
    "INSERT INTO o0 SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k\n"
    "  ORDER BY v ASC NULLS LAST) AS rn FROM src) WHERE rn >= 2 AND 4 >= rn;\n"
    "INSERT INTO o0 SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY s\n"
    "  ORDER BY ts DESC) AS rn FROM src) WHERE rn < 2;\n"
    "INSERT INTO o0 SELECT * FROM (SELECT *, ROW_NUMBER() OVER (\n"
    "  ORDER BY v DESC, s) AS rn FROM src) WHERE rn <= 3;\n";

/* ---- the input and the model ---------------------------------------------------------------- */

struct row {
    int64_t k;
    const char *s; /* NULL for NULL */
    bool vnull;
    int64_t v;
    int64_t ts;
    int seq;
};

static const char *const strs[] = {
    "a", "b", "a-long-string-in-the-heap-1", "a-long-string-in-the-heap-2", "", NULL};

static void render(char *buf, size_t cap, const struct row *r, int64_t rank)
{
    char v[24];
    if (r->vnull)
        snprintf(v, sizeof(v), "null");
    else
        snprintf(v, sizeof(v), "%lld", (long long)r->v);
    int n = snprintf(buf, cap, "%lld|%s|%s|%lld", (long long)r->k, r->s ? r->s : "null", v,
                     (long long)r->ts);
    if (rank > 0)
        snprintf(buf + n, cap - (size_t)n, "|%lld", (long long)rank);
}

/* < 0 when a ranks before b by the query's ORDER BY (ties: 0) */
static int ord(int q, const struct row *a, const struct row *b)
{
    if (q == 0 || q == 1 || q == 6) { /* v DESC NULLS LAST, s ASC NULLS FIRST */
        if (a->vnull != b->vnull)
            return a->vnull ? 1 : -1;
        if (!a->vnull && a->v != b->v)
            return a->v > b->v ? -1 : 1;
        if (!a->s || !b->s)
            return (a->s != NULL) - (b->s != NULL);
        int c = strcmp(a->s, b->s);
        return (c > 0) - (c < 0);
    }
    if (q == 2) { /* v ASC NULLS LAST */
        if (a->vnull != b->vnull)
            return a->vnull ? 1 : -1;
        return a->vnull ? 0 : (a->v > b->v) - (a->v < b->v);
    }
    return (a->ts < b->ts) - (a->ts > b->ts); /* ts DESC (q 5) */
}

static bool same_part(int q, const struct row *a, const struct row *b)
{
    if (q == 6)
        return true;
    if (q == 5)
        return (!a->s && !b->s) || (a->s && b->s && strcmp(a->s, b->s) == 0);
    if (q == 3 || q == 4)
        return a->k == b->k && ((!a->s && !b->s) || (a->s && b->s && strcmp(a->s, b->s) == 0));
    return a->k == b->k;
}

/* The expected result of query q over rows[0 .. n-1], as sorted lines into out. */
static int model(int q, const struct row *rows, int n, char (*out)[96])
{
    int nout = 0;
    static const int64_t lo[NQ] = {1, 1, 2, 1, 1, 1, 1}, hi[NQ] = {3, 3, 4, 1, 1, 1, 3};
    static const bool rn[NQ] = {true, false, true, false, false, true, true};
    bool *done = calloc((size_t)n + 1, 1);
    for (int i = 0; i < n; i++) {
        if (done[i])
            continue;
        const struct row *kept[8];
        int nk = 0;
        for (int j = i; j < n; j++) {
            if (!same_part(q, &rows[i], &rows[j]))
                continue;
            done[j] = true;
            const struct row *r = &rows[j];
            if (q == 3 || q == 4) {
                if (nk == 0 || (q == 3 && r->ts >= kept[0]->ts) || (q == 4 && r->ts < kept[0]->ts))
                    kept[0] = r;
                nk = 1;
                continue;
            }
            int pos = nk;
            while (pos > 0 && ord(q, r, kept[pos - 1]) < 0) /* after ties: arrival order */
                pos--;
            if (pos >= hi[q])
                continue;
            memmove(kept + pos + 1, kept + pos, (size_t)(nk - pos) * sizeof(*kept));
            kept[pos] = r;
            if (nk < hi[q])
                nk++;
        }
        for (int j = 0; j < nk; j++)
            if (j + 1 >= lo[q])
                render(out[nout++], 96, kept[j], rn[q] ? j + 1 : 0);
    }
    free(done);
    qsort(out, (size_t)nout, 96, (int (*)(const void *, const void *))strcmp);
    return nout;
}

/* ---- a collector applying the changelog ------------------------------------------------------ */

#define MAXROWS 1024
struct collector {
    struct sl_op op;
    bool rn;
    char rows[MAXROWS][96];
    int n, finished;
};

static int col_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                    struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct collector *c = (struct collector *)op;
    for (uint32_t i = 0; i < sl_batch_active(b); i++) {
        uint32_t r = b->sel ? b->sel[i] : i;
        struct row x = {0};
        char sbuf[64] = "";
        x.k = sl_col_i64(&b->cols[0])[r];
        if (!sl_col_is_null(&b->cols[1], r)) {
            sl_str s = sl_col_str(&b->cols[1])[r];
            snprintf(sbuf, sizeof(sbuf), "%.*s", (int)s.len, sl_str_data(&s));
            x.s = sbuf;
        }
        x.vnull = sl_col_is_null(&b->cols[2], r);
        x.v = sl_col_i64(&b->cols[2])[r];
        x.ts = sl_col_i64(&b->cols[3])[r];
        char line[96];
        render(line, sizeof(line), &x, c->rn ? sl_col_i64(&b->cols[4])[r] : 0);
        uint8_t kind = sl_batch_kind(b, r);
        if (kind == SL_ROW_INSERT || kind == SL_ROW_UPDATE_AFTER) {
            assert_true(c->n < MAXROWS);
            memcpy(c->rows[c->n++], line, sizeof(line));
            continue;
        }
        int at = -1;
        for (int j = 0; j < c->n && at < 0; j++)
            if (strcmp(c->rows[j], line) == 0)
                at = j;
        if (at < 0)
            fprintf(stderr, "%s of a row that is not there: %s\n", sl_row_kind_str(kind), line);
        assert_true(at >= 0);
        memmove(c->rows[at], c->rows[c->n - 1], sizeof(c->rows[0]));
        c->n--;
    }
    sl_batch_pool_put(b);
    return 0;
}

static int col_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                         struct sl_error *err)
{
    (void)op;
    (void)ctx;
    (void)wm;
    (void)err;
    return 0;
}

static int col_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    (void)ctx;
    (void)err;
    ((struct collector *)op)->finished++;
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

/* ---- workers: messages go straight to the owner's receive ------------------------------------ */

#define MAXW 3
static struct sl_op *ops[MAXW];
static struct sl_worker_ctx ctxs[MAXW];

static int send_direct(struct sl_worker_ctx *ctx, const struct sl_op *op, int to, struct sl_msg msg,
                       struct sl_error *err)
{
    (void)op;
    return ops[to]->ops->receive(ops[to], &ctxs[to], ctx->worker, msg, err);
}

/* Rows into worker w's operator, with their kinds (NULL: inserts, no kind column). */
static void push_kinds(int w, struct sl_batch_pool *pool, const struct row *rows,
                       const uint8_t *kinds, int n)
{
    struct sl_error err;
    for (int base = 0; base < n; base += SL_BATCH_CAP) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        assert_non_null(b);
        int m = n - base < SL_BATCH_CAP ? n - base : SL_BATCH_CAP;
        for (int i = 0; i < m; i++) {
            const struct row *r = &rows[base + i];
            sl_col_i64(&b->cols[0])[i] = r->k;
            sl_col_set_null(&b->cols[1], (uint32_t)i, !r->s);
            sl_col_str(&b->cols[1])[i] =
                r->s ? sl_batch_str(b, r->s, (uint32_t)strlen(r->s)) : sl_str_make("", 0);
            sl_col_set_null(&b->cols[2], (uint32_t)i, r->vnull);
            sl_col_i64(&b->cols[2])[i] = r->v;
            sl_col_i64(&b->cols[3])[i] = r->ts;
            if (kinds)
                (b->kind ? b->kind : sl_batch_kinds(b))[i] = kinds[base + i];
        }
        b->rows = (uint32_t)m;
        int rc = ops[w]->ops->push(ops[w], &ctxs[w], b, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
    }
}

static void push_rows(int w, struct sl_batch_pool *pool, const struct row *rows, int n)
{
    push_kinds(w, pool, rows, NULL, n);
}

static bool same_row(const struct row *a, const struct row *b)
{
    return a->k == b->k && a->vnull == b->vnull && (a->vnull || a->v == b->v) && a->ts == b->ts &&
           ((!a->s && !b->s) || (a->s && b->s && strcmp(a->s, b->s) == 0));
}

/* The rows of a changelog evs[0 .. n-1] that are live at its end, in arrival order: a -U / -D
 * takes out the first live row equal to it (as Flink's RetractableTopNFunction: the first in
 * its sort key's list). */
static int live_rows(const struct row *evs, const uint8_t *kinds, int n, struct row *live)
{
    int nl = 0;
    for (int i = 0; i < n; i++) {
        if (kinds[i] == SL_ROW_INSERT || kinds[i] == SL_ROW_UPDATE_AFTER) {
            live[nl++] = evs[i];
            continue;
        }
        for (int j = 0; j < nl; j++)
            if (same_row(&live[j], &evs[i])) {
                memmove(live + j, live + j + 1, (size_t)(nl - j - 1) * sizeof(*live));
                nl--;
                break;
            }
    }
    return nl;
}

static void check(struct collector *c, int q, const struct row *rows, int n)
{
    static char want[MAXROWS][96];
    int nw = model(q, rows, n, want);
    qsort(c->rows, (size_t)c->n, 96, (int (*)(const void *, const void *))strcmp);
    bool ok = nw == c->n;
    for (int i = 0; ok && i < nw; i++)
        ok = strcmp(want[i], c->rows[i]) == 0;
    if (!ok) {
        fprintf(stderr, "query %d after %d rows: got %d rows, want %d\n", q, n, c->n, nw);
        for (int i = 0; i < c->n; i++)
            fprintf(stderr, "  got  %s\n", c->rows[i]);
        for (int i = 0; i < nw; i++)
            fprintf(stderr, "  want %s\n", want[i]);
    }
    assert_true(ok);
}

/* Statement jq of `job` as the model's query q at nworkers workers; upd: over a changelog (a
 * third of the rows retract a live one, as -U or -D). */
static void run(const struct sl_job *job, int jq, int q, int nworkers, unsigned seed, bool upd)
{
    struct sl_error err;
    const struct sl_plan *rank = job->inserts[jq];
    while (rank && rank->kind != SL_PLAN_RANK)
        rank = rank->input;
    assert_non_null(rank);
    const struct sl_rel *in = &rank->input->out;
    assert_int_equal(in->ncols, 4);
    const char *names[4];
    struct sl_type types[4];
    for (uint32_t i = 0; i < 4; i++) {
        names[i] = in->cols[i].name;
        types[i] = in->cols[i].type;
    }
    struct sl_schema *sch = sl_schema_new(4, names, types);
    struct sl_heap *heap = sl_heap_new();
    struct sl_worker_stats stats = {0};
    static struct collector col;
    memset(&col, 0, sizeof(col));
    col.op.ops = &col_ops;
    col.rn = rank->rank.row_number;
    struct sl_batch_pool *pools[MAXW];
    for (int w = 0; w < nworkers; w++) {
        ctxs[w] = (struct sl_worker_ctx){.worker = w,
                                         .nworkers = nworkers,
                                         .heap = heap,
                                         .sql = job->file->src,
                                         .stats = &stats,
                                         .send = send_direct};
        assert_int_equal(sl_op_rank_new(rank, NULL, &ctxs[w], &ops[w], &err), 0);
        ops[w]->next = &col.op;
        pools[w] = sl_batch_pool_new(heap, sch, 2);
    }
    enum { N = 240 };
    static struct row rows[N], live[N];
    static uint8_t kinds[N];
    srand(seed);
    for (int i = 0; i < N; i++) {
        int nl = upd ? live_rows(rows, kinds, i, live) : 0;
        if (nl && rand() % 3 == 0) {
            rows[i] = live[rand() % nl];
            kinds[i] = rand() % 2 ? SL_ROW_UPDATE_BEFORE : SL_ROW_DELETE;
            continue;
        }
        rows[i] = (struct row){.k = rand() % 4,
                               .s = strs[rand() % 6],
                               .vnull = rand() % 7 == 0,
                               .v = rand() % 9,
                               .ts = 1000 + rand() % 20,
                               .seq = i};
        kinds[i] = upd && rand() % 2 ? SL_ROW_UPDATE_AFTER : SL_ROW_INSERT;
    }
    for (int i = 0; i < N;) {
        int w = rand() % nworkers, m = 1 + rand() % 5;
        if (m > N - i)
            m = N - i;
        /* the push that crosses the middle runs while a checkpoint aligns: the rows for other
         * workers are kept back, saved with the state and sent after the restore */
        bool mid = i + m >= N / 2 && i < N / 2;
        ctxs[w].aligning = mid;
        push_kinds(w, pools[w], rows + i, upd ? kinds + i : NULL, m);
        ctxs[w].aligning = false;
        i += m;
        int nl = upd ? live_rows(rows, kinds, i, live) : i;
        if (!mid)
            check(&col, q, upd ? live : rows, nl);
        if (mid) { /* save and restore every worker */
            struct sl_sbuf sb[MAXW];
            for (int x = 0; x < nworkers; x++) {
                sl_sbuf_init(&sb[x]);
                assert_int_equal(ops[x]->ops->save(ops[x], &ctxs[x], &sb[x], &err), 0);
                ops[x]->ops->free(ops[x]);
            }
            for (int x = 0; x < nworkers; x++) {
                assert_int_equal(sl_op_rank_new(rank, NULL, &ctxs[x], &ops[x], &err), 0);
                ops[x]->next = &col.op;
                struct sl_sread rd;
                sl_sread_init(&rd, sb[x].p, sb[x].len, "test state");
                int rc = ops[x]->ops->restore(ops[x], &ctxs[x], &rd, &err);
                if (rc)
                    fprintf(stderr, "%s\n", err.msg);
                assert_int_equal(rc, 0);
                assert_int_equal(sl_sread_left(&rd), 0);
                sl_sbuf_free(&sb[x]);
            }
            for (int x = 0; x < nworkers; x++) /* the start: what was kept back goes */
                assert_int_equal(ops[x]->ops->resumed(ops[x], &ctxs[x], &err), 0);
            check(&col, q, upd ? live : rows, nl);
        }
    }
    /* the end: every worker's INT64_MAX watermark, then finish: one finish per worker */
    for (int w = 0; w < nworkers; w++)
        assert_int_equal(ops[w]->ops->watermark(ops[w], &ctxs[w], INT64_MAX, &err), 0);
    for (int w = 0; w < nworkers; w++)
        assert_int_equal(ops[w]->ops->finish(ops[w], &ctxs[w], &err), 0);
    assert_int_equal(col.finished, nworkers);
    for (int w = 0; w < nworkers; w++) {
        assert_int_equal(sl_batch_pool_outstanding(pools[w]), 0);
        ops[w]->ops->free(ops[w]);
        sl_batch_pool_free(pools[w]);
    }
    sl_heap_free(heap);
    sl_schema_free(sch);
}

/* Every statement of `text` (n of them; statement j is the model's query qmap[j]) with the
 * strategy strat[j], at 1 .. MAXW workers and three seeds; upd: over a changelog. */
static void run_all(const char *text, int n, const int *qmap, const sl_rank_strategy *strat,
                    bool upd)
{
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_job *job = sl_job_from_sql("q.sql", text, strlen(text), NULL, 0, &err);
    if (!job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(job);
    assert_int_equal(job->ninserts, n);
    for (int j = 0; j < n; j++) {
        const struct sl_plan *r = job->inserts[j];
        while (r && r->kind != SL_PLAN_RANK)
            r = r->input;
        assert_non_null(r);
        assert_int_equal(r->rank.strategy, strat[j]);
        assert_int_equal(r->rank.retract, upd);
        for (int w = 1; w <= MAXW; w++)
            for (unsigned seed = 1; seed <= 3; seed++)
                run(job, j, qmap[j], w, seed * (upd ? 104729u : 7919u) + (unsigned)j, upd);
    }
    sl_job_free(job);
}

static void test_model(void **state)
{
    (void)state;
    static const int qmap[NQ] = {0, 1, 2, 3, 4, 5, 6};
    static const sl_rank_strategy strat[NQ] = {
        SL_RANK_TOPN,        SL_RANK_TOPN, SL_RANK_TOPN, SL_RANK_DEDUP_LAST,
        SL_RANK_DEDUP_FIRST, SL_RANK_TOPN, SL_RANK_TOPN};
    run_all(sql, NQ, qmap, strat, false);
}

/* The Top-N queries over a changelog (retract mode), against the model of the live rows. */
static void test_model_retract(void **state)
{
    (void)state;
    static const sl_rank_strategy strat[NU] = {SL_RANK_TOPN, SL_RANK_TOPN, SL_RANK_TOPN,
                                               SL_RANK_TOPN, SL_RANK_TOPN};
    run_all(sql_upd, NU, upd_q, strat, true);
}

/* The refusals: each names the problem at its position. */
static void test_refused(void **state)
{
    (void)state;
    static const char ddl[] =
        "CREATE TABLE src (k BIGINT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)\n"
        "  WITH ('connector' = 'kafka');\n"
        "CREATE TABLE o (k BIGINT, v BIGINT, ts TIMESTAMP(3), rn BIGINT)\n"
        "  WITH ('connector' = 'print');\n"
        "CREATE TABLE f (k BIGINT, v BIGINT, ts TIMESTAMP(3))\n"
        "  WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'csv');\n";
    static const struct {
        const char *q, *msg;
    } cases[] = {
        {"INSERT INTO o SELECT * FROM (SELECT *, RANK() OVER (PARTITION BY k ORDER BY v) AS rn "
         "FROM src) WHERE rn <= 3;",
         "RANK() on streaming table is not supported currently"},
        {"INSERT INTO o SELECT * FROM (SELECT *, DENSE_RANK() OVER (PARTITION BY k ORDER BY v) "
         "AS rn FROM src) WHERE rn <= 3;",
         "DENSE_RANK() on streaming table is not supported currently"},
        {"INSERT INTO o SELECT k, v, ts, LAG(v) OVER (PARTITION BY k ORDER BY ts) FROM src;",
         "LAG(...) OVER is not supported yet"},
        {"INSERT INTO o SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) "
         "AS rn FROM src);",
         "needs the query that selects from it to filter on the row number"},
        {"INSERT INTO o SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) AS rn FROM src;",
         "needs the query that selects from it to filter on the row number"},
        {"INSERT INTO o SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) "
         "AS rn FROM src) WHERE rn >= 3;",
         "needs an upper bound on 'rn'"},
        {"INSERT INTO o SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) "
         "AS rn FROM src) WHERE rn <= 3 OR k = 1;",
         "a condition on the row number 'rn'"},
        {"INSERT INTO o SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k) AS rn "
         "FROM src) WHERE rn <= 3;",
         "needs an ORDER BY"},
        {"INSERT INTO o SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v "
         "ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS rn FROM src) WHERE rn <= 3;",
         "a window frame (ROWS ...) is not supported yet"},
        {"INSERT INTO o SELECT k, v, ts, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) + 1 "
         "FROM src;",
         "supported as a whole item of a select list only"},
        {"INSERT INTO o SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k + 1 ORDER BY "
         "v) AS rn FROM src) WHERE rn <= 3;",
         "takes columns only yet"},
        {"INSERT INTO f SELECT k, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER "
         "BY ts DESC) AS rn FROM src) WHERE rn = 1;",
         "Table sink 'default_catalog.default_database.f' doesn't support consuming update "
         "and delete changes which is produced by node Deduplicate(keep=[LastRow], key=[k], "
         "order=[ROWTIME])"},
        {"INSERT INTO f SELECT k, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER "
         "BY v DESC) AS rn FROM src) WHERE rn <= 2;",
         "Table sink 'default_catalog.default_database.f' doesn't support consuming update "
         "and delete changes which is produced by node Rank(strategy=[AppendFastStrategy], "
         "rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=2], partitionBy=[k], "
         "orderBy=[v DESC]"},
        {"INSERT INTO o SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) "
         "AS rn FROM src) WHERE rn <= 3 AND rn > 5;",
         "selects no row number"},
        {"INSERT INTO o SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) "
         "AS rn FROM src) WHERE rn <= 200000;",
         "a Top-N of 200000 rows per partition"},
        {"INSERT INTO o SELECT * FROM (SELECT k, SUM(v), MAX(ts), ROW_NUMBER() OVER (PARTITION BY "
         "k ORDER BY k) AS rn FROM src GROUP BY k) WHERE rn <= 3;",
         "in a block with GROUP BY or aggregates is not supported yet"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[2048];
        snprintf(text, sizeof(text), "%s%s", ddl, cases[i].q);
        struct sl_error err;
        sl_error_clear(&err);
        struct sl_job *job = sl_job_from_sql("q.sql", text, strlen(text), NULL, 0, &err);
        if (job || !strstr(err.msg, cases[i].msg) || !strstr(err.msg, "q.sql:"))
            fprintf(stderr, "case %zu: %s\n", i, job ? "accepted" : err.msg);
        assert_null(job);
        assert_non_null(strstr(err.msg, cases[i].msg));
        assert_non_null(strstr(err.msg, "q.sql:"));
    }
}

/* The strategy Flink would pick, the row number kept or left out, and the changelog mode. */
static void test_strategies(void **state)
{
    (void)state;
    static const char ddl[] =
        "CREATE TABLE src (k BIGINT, v BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(),\n"
        "  WATERMARK FOR ts AS ts) WITH ('connector' = 'kafka');\n"
        "CREATE TABLE o (k BIGINT, v BIGINT, ts TIMESTAMP(3)) WITH ('connector' = 'print');\n"
        "CREATE TABLE o4 (k BIGINT, v BIGINT, ts TIMESTAMP(3), rn BIGINT)\n"
        "  WITH ('connector' = 'print');\n";
    static const struct {
        const char *q;
        sl_rank_strategy strategy;
        bool proctime, row_number;
        int64_t start, end;
        sl_changelog_mode mode;
    } cases[] = {
        {"INSERT INTO o SELECT k, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER "
         "BY pt DESC) AS rn FROM src) WHERE rn = 1;",
         SL_RANK_DEDUP_LAST, true, false, 1, 1, SL_CHANGELOG_ALL},
        {"INSERT INTO o SELECT k, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER "
         "BY pt) AS rn FROM src) WHERE 1 >= rn;",
         SL_RANK_DEDUP_FIRST, true, false, 1, 1, SL_CHANGELOG_INSERT_ONLY},
        {"INSERT INTO o SELECT k, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER "
         "BY ts) AS rn FROM src) WHERE rn = 1;",
         SL_RANK_DEDUP_FIRST, false, false, 1, 1, SL_CHANGELOG_ALL},
        /* not a time attribute: a Top-1 */
        {"INSERT INTO o SELECT k, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER "
         "BY v DESC) AS rn FROM src) WHERE rn = 1;",
         SL_RANK_TOPN, false, false, 1, 1, SL_CHANGELOG_ALL},
        /* the row number selected: a Rank, not a Deduplicate */
        {"INSERT INTO o4 SELECT * FROM (SELECT k, v, ts, ROW_NUMBER() OVER (PARTITION BY k ORDER "
         "BY ts DESC) AS rn FROM src) WHERE rn = 1;",
         SL_RANK_TOPN, false, true, 1, 1, SL_CHANGELOG_ALL},
        /* another conjunct stays a filter; rn > 1 AND rn < 5 is [2, 4] */
        {"INSERT INTO o SELECT k, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER "
         "BY v) AS rn FROM src) t WHERE t.rn > 1 AND v > 3 AND t.rn < 5;",
         SL_RANK_TOPN, false, false, 2, 4, SL_CHANGELOG_ALL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[2048];
        snprintf(text, sizeof(text), "%s%s", ddl, cases[i].q);
        struct sl_error err;
        sl_error_clear(&err);
        struct sl_job *job = sl_job_from_sql("q.sql", text, strlen(text), NULL, 0, &err);
        if (!job)
            fprintf(stderr, "case %zu: %s\n", i, err.msg);
        assert_non_null(job);
        const struct sl_plan *r = job->inserts[0];
        while (r && r->kind != SL_PLAN_RANK)
            r = r->input;
        assert_non_null(r);
        assert_int_equal(r->rank.strategy, cases[i].strategy);
        assert_int_equal(r->rank.proctime, cases[i].proctime);
        assert_int_equal(r->rank.row_number, cases[i].row_number);
        assert_int_equal(r->rank.start, cases[i].start);
        assert_int_equal(r->rank.end, cases[i].end);
        assert_int_equal(r->out.ncols, r->input->out.ncols + (cases[i].row_number ? 1 : 0));
        assert_int_equal(sl_plan_changelog(job->inserts[0], NULL, NULL), cases[i].mode);
        sl_job_free(job);
    }
}

/* ---- state TTL ('table.exec.state.ttl') ---------------------------------------------------- */

/* The raw changelog: "kind k|s|v|ts[|rank]" per row. */
struct tlog {
    struct sl_op op;
    bool rn;
    char lines[16][120];
    int n;
};

static int tlog_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                     struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct tlog *c = (struct tlog *)op;
    for (uint32_t i = 0; i < sl_batch_active(b); i++) {
        uint32_t r = b->sel ? b->sel[i] : i;
        struct row x = {0};
        char sbuf[64] = "";
        x.k = sl_col_i64(&b->cols[0])[r];
        sl_str s = sl_col_str(&b->cols[1])[r];
        snprintf(sbuf, sizeof(sbuf), "%.*s", (int)s.len, sl_str_data(&s));
        x.s = sbuf;
        x.v = sl_col_i64(&b->cols[2])[r];
        x.ts = sl_col_i64(&b->cols[3])[r];
        char line[96];
        render(line, sizeof(line), &x, c->rn ? sl_col_i64(&b->cols[4])[r] : 0);
        assert_true(c->n < 16);
        snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s %s",
                 sl_row_kind_str(sl_batch_kind(b, r)), line);
    }
    sl_batch_pool_put(b);
    return 0;
}

static const struct sl_op_ops tlog_ops = {.name = "log",
                                          .push = tlog_push,
                                          .watermark = col_watermark,
                                          .finish = col_finish,
                                          .free = col_free,
                                          .stateless = true};

struct tenv {
    struct sl_job *job;
    const struct sl_plan *rank;
    struct sl_schema *sch;
    struct sl_batch_pool *pool;
    struct sl_worker_stats stats;
    struct tlog log;
};

/* Statement q of `script` with the TTL `ttl`, on worker 0 of 1 (ops[0], ctxs[0]). */
static void tenv_setup_sql(struct tenv *e, const char *ttl, const char *script, int q)
{
    char text[4096];
    snprintf(text, sizeof(text), "SET 'table.exec.state.ttl' = '%s';\n%s", ttl, script);
    struct sl_error err;
    sl_error_clear(&err);
    memset(e, 0, sizeof(*e));
    e->job = sl_job_from_sql("q.sql", text, strlen(text), NULL, 0, &err);
    if (!e->job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(e->job);
    e->rank = e->job->inserts[q];
    while (e->rank && e->rank->kind != SL_PLAN_RANK)
        e->rank = e->rank->input;
    assert_non_null(e->rank);
    e->sch = sl_plan_rel_schema(&e->rank->input->out);
    assert_non_null(e->sch);
    ctxs[0] = (struct sl_worker_ctx){.worker = 0,
                                     .nworkers = 1,
                                     .heap = sl_heap_new(),
                                     .sql = e->job->file->src,
                                     .stats = &e->stats,
                                     .send = send_direct};
    e->pool = sl_batch_pool_new(ctxs[0].heap, e->sch, 2);
    e->log.op.ops = &tlog_ops;
    e->log.rn = e->rank->rank.row_number;
}

static void tenv_setup(struct tenv *e, const char *ttl, int q)
{
    tenv_setup_sql(e, ttl, sql, q);
}

static void tenv_op(struct tenv *e)
{
    struct sl_error err;
    assert_int_equal(sl_op_rank_new(e->rank, e->job, &ctxs[0], &ops[0], &err), 0);
    ops[0]->next = &e->log.op;
}

static void tenv_expect(struct tenv *e, const char *const *want, int n)
{
    if (e->log.n != n)
        for (int i = 0; i < e->log.n; i++)
            fprintf(stderr, "got %s\n", e->log.lines[i]);
    assert_int_equal(e->log.n, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(e->log.lines[i], want[i]);
    e->log.n = 0;
}

static size_t tenv_save(struct tenv *e, struct sl_sbuf *sb)
{
    (void)e;
    struct sl_error err;
    sl_sbuf_init(sb);
    assert_int_equal(ops[0]->ops->save(ops[0], &ctxs[0], sb, &err), 0);
    return sb->len;
}

static void tenv_restore(struct tenv *e, const struct sl_sbuf *sb)
{
    struct sl_error err;
    tenv_op(e);
    struct sl_sread rd;
    sl_sread_init(&rd, sb->p, sb->len, "test state");
    int rc = ops[0]->ops->restore(ops[0], &ctxs[0], &rd, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(sl_sread_left(&rd), 0);
}

static void tenv_done(struct tenv *e)
{
    ops[0]->ops->free(ops[0]);
    assert_int_equal(sl_batch_pool_outstanding(e->pool), 0);
    sl_batch_pool_free(e->pool);
    sl_schema_free(e->sch);
    sl_heap_free(ctxs[0].heap);
    sl_job_free(e->job);
}

static void tenv_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* A TTL far longer than the test: deduplication keeping the last row goes on as without one,
 * through a snapshot of format 2 (with the partitions' times). */
static void test_ttl_long(void **state)
{
    (void)state;
    struct tenv e;
    tenv_setup(&e, "1 h", 3);
    tenv_op(&e);
    struct row r1[] = {{.k = 1, .s = "a", .v = 1, .ts = 10}};
    push_rows(0, e.pool, r1, 1);
    const char *w1[] = {"+I 1|a|1|10"};
    tenv_expect(&e, w1, 1);
    struct row r2[] = {{.k = 1, .s = "a", .v = 2, .ts = 20}};
    push_rows(0, e.pool, r2, 1);
    const char *w2[] = {"-U 1|a|1|10", "+U 1|a|2|20"};
    tenv_expect(&e, w2, 2);
    struct sl_sbuf sb;
    tenv_save(&e, &sb);
    assert_int_equal(sb.p[0] | sb.p[1] << 8 | sb.p[2] << 16 | (uint32_t)sb.p[3] << 24,
                     0x324b5253u); /* "SRK2" */
    ops[0]->ops->free(ops[0]);
    tenv_restore(&e, &sb);
    struct row r3[] = {{.k = 1, .s = "a", .v = 3, .ts = 30}};
    push_rows(0, e.pool, r3, 1);
    const char *w3[] = {"-U 1|a|2|20", "+U 1|a|3|30"};
    tenv_expect(&e, w3, 2);
    sl_sbuf_free(&sb);
    tenv_done(&e);
}

/* A TTL of 200 ms, waited past: a deduplication keeping the first row takes a later row as
 * a new first one (+I, nothing retracted), a Top-3 starts its ranks over, the expired
 * partitions are freed (the state bytes go down), and a snapshot keeps the times. */
static void test_ttl_expire(void **state)
{
    (void)state;
    struct tenv e;
    tenv_setup(&e, "200 ms", 4);
    tenv_op(&e);
    struct row r1[] = {{.k = 1, .s = "a", .v = 1, .ts = 10}, {.k = 2, .s = "b", .v = 1, .ts = 10}};
    push_rows(0, e.pool, r1, 2);
    const char *w1[] = {"+I 1|a|1|10", "+I 2|b|1|10"};
    tenv_expect(&e, w1, 2);
    struct sl_sbuf before, after;
    size_t n1 = tenv_save(&e, &before);
    tenv_sleep_ms(450);
    struct row r2[] = {{.k = 1, .s = "a", .v = 2, .ts = 20}};
    push_rows(0, e.pool, r2, 1);
    const char *w2[] = {"+I 1|a|2|20"}; /* without a TTL: nothing (the first row stays) */
    tenv_expect(&e, w2, 1);
    size_t n2 = tenv_save(&e, &after);
    assert_true(n2 < n1); /* partition (2, b) is gone */
    ops[0]->ops->free(ops[0]);
    tenv_restore(&e, &before); /* the snapshot from before the wait: expired */
    struct row r3[] = {{.k = 2, .s = "b", .v = 3, .ts = 30}};
    push_rows(0, e.pool, r3, 1);
    const char *w3[] = {"+I 2|b|3|30"};
    tenv_expect(&e, w3, 1);
    sl_sbuf_free(&before);
    sl_sbuf_free(&after);
    tenv_done(&e);

    /* Top-3 with the rank number */
    tenv_setup(&e, "200 ms", 0);
    tenv_op(&e);
    struct row r4[] = {{.k = 1, .s = "a", .v = 5, .ts = 10}};
    push_rows(0, e.pool, r4, 1);
    const char *w4[] = {"+I 1|a|5|10|1"};
    tenv_expect(&e, w4, 1);
    tenv_sleep_ms(450);
    struct row r5[] = {{.k = 1, .s = "b", .v = 3, .ts = 20}};
    push_rows(0, e.pool, r5, 1);
    const char *w5[] = {"+I 1|b|3|20|1"}; /* without a TTL: +I 1|b|3|20|2 */
    tenv_expect(&e, w5, 1);
    tenv_done(&e);
}

/* ---- retract mode: a hand-made changelog -------------------------------------------------- */

static void push_one(struct tenv *e, int64_t v, uint8_t kind)
{
    struct row r = {.k = 1, .s = "a", .v = v, .ts = 10};
    push_kinds(0, e->pool, &r, &kind, 1);
}

/* A Top-3 over an updating input: inserts, a retraction of a kept row (the ranks below move
 * up, the row below the top refills rank 3), a new first row, a checkpoint (the rows below
 * the top are in it), a retraction after the restore, a retraction of a row that is not
 * there; then the same without the row number (-D, and +I of the refill). */
static void test_retract_changelog(void **state)
{
    (void)state;
    struct tenv e;
    tenv_setup_sql(&e, "0", sql_upd, 0);
    assert_true(e.rank->rank.retract);
    tenv_op(&e);
    for (int64_t v = 5; v >= 2; v--)
        push_one(&e, v, SL_ROW_INSERT);
    const char *w1[] = {"+I 1|a|5|10|1", "+I 1|a|4|10|2", "+I 1|a|3|10|3"};
    tenv_expect(&e, w1, 3); /* v = 2 is kept below the top, silently */
    push_one(&e, 4, SL_ROW_UPDATE_BEFORE);
    const char *w2[] = {"-U 1|a|4|10|2", "+U 1|a|3|10|2", "-U 1|a|3|10|3", "+U 1|a|2|10|3"};
    tenv_expect(&e, w2, 4);
    push_one(&e, 6, SL_ROW_UPDATE_AFTER);
    const char *w3[] = {"-U 1|a|5|10|1", "+U 1|a|6|10|1", "-U 1|a|3|10|2",
                        "+U 1|a|5|10|2", "-U 1|a|2|10|3", "+U 1|a|3|10|3"};
    tenv_expect(&e, w3, 6);
    struct sl_sbuf sb;
    tenv_save(&e, &sb);
    ops[0]->ops->free(ops[0]);
    tenv_restore(&e, &sb);
    sl_sbuf_free(&sb);
    push_one(&e, 6, SL_ROW_DELETE);
    const char *w4[] = {"-U 1|a|6|10|1", "+U 1|a|5|10|1", "-U 1|a|5|10|2",
                        "+U 1|a|3|10|2", "-U 1|a|3|10|3", "+U 1|a|2|10|3"};
    tenv_expect(&e, w4, 6);
    push_one(&e, 9, SL_ROW_DELETE); /* not there: nothing */
    push_one(&e, 2, SL_ROW_DELETE); /* rank 3, nothing below it: the rank is deleted */
    const char *w5[] = {"-D 1|a|2|10|3"};
    tenv_expect(&e, w5, 1);
    tenv_done(&e);

    tenv_setup_sql(&e, "0", sql_upd, 1);
    tenv_op(&e);
    for (int64_t v = 5; v >= 2; v--)
        push_one(&e, v, SL_ROW_INSERT);
    e.log.n = 0;
    push_one(&e, 4, SL_ROW_DELETE);
    const char *w6[] = {"-D 1|a|4|10", "+I 1|a|2|10"};
    tenv_expect(&e, w6, 2);
    push_one(&e, 7, SL_ROW_INSERT);
    const char *w7[] = {"-D 1|a|2|10", "+I 1|a|7|10"};
    tenv_expect(&e, w7, 2);
    tenv_done(&e);

    /* with a TTL of 200 ms, waited past: the partition's rows (the top and below it) are let
     * go, nothing retracted; a retraction of one of them finds nothing, a new row ranks 1 */
    tenv_setup_sql(&e, "200 ms", sql_upd, 0);
    tenv_op(&e);
    for (int64_t v = 5; v >= 2; v--)
        push_one(&e, v, SL_ROW_INSERT);
    e.log.n = 0;
    tenv_sleep_ms(450);
    push_one(&e, 5, SL_ROW_UPDATE_BEFORE);
    tenv_expect(&e, NULL, 0);
    push_one(&e, 1, SL_ROW_UPDATE_AFTER);
    const char *w8[] = {"+I 1|a|1|10|1"}; /* without a TTL: +I 1|a|1|10|... nothing (rank 5) */
    tenv_expect(&e, w8, 1);
    tenv_done(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_model_retract),
        cmocka_unit_test(test_retract_changelog),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_strategies),
        cmocka_unit_test(test_ttl_long),
        cmocka_unit_test(test_ttl_expire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
