/*
 * tests/engine/test_source_state.c - checkpoints of sources and sinks at the connector
 * level: a source polled part way, saved, a FRESH source restored from those bytes and
 * polled to the end must hand out exactly what the first one (going on uninterrupted)
 * does - every column of every row for nexmark (whose base time defaults to the open
 * time, so a restore that lost it would shift every timestamp), every record exactly once
 * for Kafka (several partitions and workers, unbounded and bounded, through the
 * in-process mock cluster). Restore refuses bad bytes (truncated, bit-flipped: SL_ECORRUPT
 * or a clean error, never a crash under ASan) and changed tables with messages naming what
 * changed. The Kafka sink's prepare makes every record written before it visible to a
 * consumer.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/conn/registry.h"
#include "engine/core/state.h"
#include "io/kafka_mock.h"
#include "io/kafka_sink.h"
#include "io/kafka_source.h"
#include "io/nexmark.h"
#include "tests/util/conntest.h"
#include "tests/util/iotest.h"
#include "tests/util/kmock.h"

#define NX_COLS                                                                            \
    "event_type int,\n"                                                                    \
    "person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR,\n"      \
    "  city VARCHAR, state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR>,\n"            \
    "auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,\n"   \
    "  reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT,\n"    \
    "  category BIGINT, extra VARCHAR>,\n"                                                 \
    "bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,\n" \
    "  `dateTime` TIMESTAMP(3), extra VARCHAR>\n"

static void sleep_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- batches collected from polls ----------------------------------------------------------- */

struct rows {
    struct sl_batch **b;
    size_t n, cap;
    uint64_t count;
};

static void rows_add(struct rows *r, struct sl_batch *b)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->b = realloc(r->b, r->cap * sizeof(*r->b));
        assert_non_null(r->b);
    }
    r->b[r->n++] = b;
    r->count += b->rows;
}

static void rows_free(struct rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        sl_batch_pool_put(r->b[i]);
    free(r->b);
    memset(r, 0, sizeof(*r));
}

/* Row for row, every column. */
static void rows_equal(struct rows *a, struct rows *b)
{
    assert_int_equal(a->count, b->count);
    size_t ia = 0, ib = 0;
    uint32_t ra = 0, rb = 0;
    for (uint64_t k = 0; k < a->count; k++) {
        while (ra == a->b[ia]->rows)
            ia++, ra = 0;
        while (rb == b->b[ib]->rows)
            ib++, rb = 0;
        if (!sl_iot_row_equal(a->b[ia], ra, b->b[ib], rb))
            fail_msg("row %llu differs", (unsigned long long)k);
        ra++, rb++;
    }
}

/* Polls `src` as worker c up to `polls` times (or until the worker is done), keeping the
 * non-empty batches; returns whether the worker is done. */
static bool poll_some(struct sl_source *src, struct sl_ct_ctx *c, struct sl_batch_pool *pool,
                      int polls, struct rows *out)
{
    for (int i = 0; i < polls; i++) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        struct sl_source_info info;
        struct sl_error err;
        if (sl_ct_poll(src, &c->ctx, b, 100, &info, &err))
            fail_msg("%s", err.msg);
        if (b->rows)
            rows_add(out, b);
        else
            sl_batch_pool_put(b);
        if (info.worker_done)
            return true;
    }
    return false;
}

/* Saves worker w of `src` into st (reset first) and its summary into text. */
static void save(struct sl_source *src, int w, struct sl_sbuf *st, char *text, size_t cap)
{
    struct sl_sbuf sum;
    sl_sbuf_init(&sum);
    sl_sbuf_reset(st);
    struct sl_error err;
    if (src->ops->save(src, w, st, &sum, &err))
        fail_msg("save: %s", err.msg);
    assert_true(sum.len < cap);
    memcpy(text, sum.p, sum.len);
    text[sum.len] = '\0';
    assert_null(memchr(text, ' ', sum.len));
    assert_null(memchr(text, '\n', sum.len));
    sl_sbuf_free(&sum);
}

static int restore(struct sl_source *src, struct sl_ct_ctx *c, const void *p, size_t n,
                   struct sl_error *err)
{
    struct sl_sread r;
    sl_sread_init(&r, p, n, "test source");
    return src->ops->restore(src, &c->ctx, &r, err);
}

/* ---- nexmark ------------------------------------------------------------------------------- */

/* A nexmark table of `events` events at `rate` (no base time unless `extra` sets it: it
 * defaults to the open time) */
static struct sl_job *nx_job_rate(int64_t events, int rate, const char *extra)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE nx (" NX_COLS ") WITH ('connector' = 'nexmark',\n"
             " 'first-event.rate' = '%d', 'events.num' = '%lld'%s);",
             rate, (long long)events, extra);
    return sl_ct_job(sql);
}

static struct sl_job *nx_job(int64_t events, const char *extra)
{
    return nx_job_rate(events, 1000, extra);
}

/* For both ways of drawing, 1, 2, 3 workers and cuts after 0, 1 and 3 polls: the events
 * after the cut from a fresh restored source equal the uninterrupted source's, every
 * column; both parts together are the worker's whole sub-stream. Splittable: the saved
 * index counts the worker's split; per-event: the interleaved stream. */
static void test_nexmark_resume(void **state)
{
    (void)state;
    for (int pe = 0; pe < 2; pe++)
        for (int nw = 1; nw <= 3; nw++) {
            int64_t events = 3 * nw * (int64_t)SL_BATCH_CAP + 7;
            struct sl_job *job = nx_job(events, pe ? ", 'sluice.rng' = 'per-event'" : "");
            const struct sl_table *t = sl_ct_table(job, "nx");
            struct sl_connector_env env = sl_ct_env(job, stdout);
            struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
            struct sl_batch_pool *pool = sl_batch_pool_new(NULL, schema, 8);
            static const int cuts[] = {0, 1, 3, 5};
            for (size_t ci = 0; ci < sizeof(cuts) / sizeof(cuts[0]); ci++) {
                struct sl_source *a, *b;
                struct sl_error err;
                assert_int_equal(sl_source_open(t, &env, nw, &a, &err), 0);
                struct sl_sbuf st[3];
                struct rows before[3] = {0}, rest[3] = {0}, after[3] = {0};
                for (int w = 0; w < nw; w++) {
                    struct sl_ct_ctx c;
                    sl_ct_ctx_init(&c, w, nw, job);
                    bool done = poll_some(a, &c, pool, cuts[ci], &before[w]);
                    sl_sbuf_init(&st[w]);
                    char text[64], want[64];
                    save(a, w, &st[w], text, sizeof(text));
                    snprintf(want, sizeof(want), "%d=%llu", w,
                             pe ? (unsigned long long)(w + before[w].count * (uint64_t)nw)
                                : (unsigned long long)before[w].count);
                    assert_string_equal(text, want);
                    if (!done) /* the uninterrupted run goes on */
                        assert_true(poll_some(a, &c, pool, 1 << 30, &rest[w]));
                    sl_ct_ctx_free(&c);
                }
                /* a later open: its default base time is another one */
                sleep_ms(3);
                assert_int_equal(sl_source_open(t, &env, nw, &b, &err), 0);
                for (int w = nw - 1; w >= 0; w--) { /* restore order does not matter */
                    struct sl_ct_ctx c;
                    sl_ct_ctx_init(&c, w, nw, job);
                    if (restore(b, &c, st[w].p, st[w].len, &err))
                        fail_msg("restore: %s", err.msg);
                    assert_true(poll_some(b, &c, pool, 1 << 30, &after[w]));
                    assert_int_equal(c.stats.rows_in, after[w].count);
                    sl_ct_ctx_free(&c);
                    rows_equal(&rest[w], &after[w]);
                    int64_t split_n = w < nw - 1 ? events / nw : events - events / nw * (nw - 1);
                    assert_int_equal(before[w].count + after[w].count,
                                     (uint64_t)(pe ? (events - w + nw - 1) / nw : split_n));
                    /* saved again at the end: done, and a restore of that stays done */
                    char text[64];
                    struct sl_sbuf end;
                    sl_sbuf_init(&end);
                    save(b, w, &end, text, sizeof(text));
                    struct sl_source *d;
                    assert_int_equal(sl_source_open(t, &env, nw, &d, &err), 0);
                    sl_ct_ctx_init(&c, w, nw, job);
                    assert_int_equal(restore(d, &c, end.p, end.len, &err), 0);
                    struct sl_batch *x = sl_batch_pool_get(pool);
                    struct sl_source_info info;
                    assert_int_equal(d->ops->poll(d, &c.ctx, x, 0, &info, &err), 0);
                    assert_int_equal(x->rows, 0);
                    assert_true(info.split_done && info.worker_done);
                    assert_int_equal(info.split, w);
                    sl_batch_pool_put(x);
                    sl_ct_ctx_free(&c);
                    d->ops->free(d);
                    sl_sbuf_free(&end);
                }
                if (cuts[ci] > 0) {
                    /* the test can fail: an unrestored later source has other timestamps */
                    struct sl_source *f;
                    assert_int_equal(sl_source_open(t, &env, nw, &f, &err), 0);
                    struct sl_ct_ctx c;
                    sl_ct_ctx_init(&c, 0, nw, job);
                    struct rows fresh = {0};
                    poll_some(f, &c, pool, 1, &fresh);
                    assert_true(fresh.count > 0 && before[0].count > 0);
                    /* event 0 is an auction (the stream opens with two) */
                    assert_int_equal(sl_col_i32(&fresh.b[0]->cols[SL_NXC_EVENT_TYPE])[0],
                                     SL_NEXMARK_AUCTION);
                    assert_int_not_equal(sl_col_i64(&fresh.b[0]->cols[SL_NXC_AUCTION + 5])[0],
                                         sl_col_i64(&before[0].b[0]->cols[SL_NXC_AUCTION + 5])[0]);
                    rows_free(&fresh);
                    sl_ct_ctx_free(&c);
                    f->ops->free(f);
                }
                for (int w = 0; w < nw; w++) {
                    rows_free(&before[w]);
                    rows_free(&rest[w]);
                    rows_free(&after[w]);
                    sl_sbuf_free(&st[w]);
                }
                a->ops->free(a);
                b->ops->free(b);
            }
            sl_batch_pool_free(pool);
            sl_schema_free(schema);
            sl_job_free(job);
        }
}

/* A table that sets 'sluice.base-time' differently, or another rate or event count,
 * refuses the state with a message naming both values; a state of another worker too. */
static void test_nexmark_mismatch(void **state)
{
    (void)state;
    struct sl_job *job = nx_job(1000, ", 'sluice.base-time' = '1700000000000'");
    const struct sl_table *t = sl_ct_table(job, "nx");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_source *a;
    struct sl_error err;
    assert_int_equal(sl_source_open(t, &env, 2, &a, &err), 0);
    struct sl_sbuf st;
    sl_sbuf_init(&st);
    char text[64];
    save(a, 1, &st, text, sizeof(text));
    assert_string_equal(text, "1=0"); /* splittable: worker 1 starts its own split at 0 */
    a->ops->free(a);
    struct {
        const char *extra;
        int64_t events;
        int rate;
        const char *n1, *n2;
    } cases[] = {
        {", 'sluice.base-time' = '1700000000001'", 1000, 1000, "1700000000001", "1700000000000"},
        {", 'sluice.base-time' = '1700000000000'", 1000, 999, "999", "1000"},
        {", 'sluice.base-time' = '1700000000000'", 1001, 1000, "1001", "1000"},
        {", 'sluice.base-time' = '1700000000000', 'sluice.seed' = '5'", 1000, 1000, "seed", "5"},
        {", 'sluice.base-time' = '1700000000000', 'sluice.rng' = 'per-event'", 1000, 1000, "rng",
         "per-event"},
        {", 'sluice.base-time' = '1700000000000', 'bid.proportion' = '45'", 1000, 1000,
         "generator options", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_job *j2 = nx_job_rate(cases[i].events, cases[i].rate, cases[i].extra);
        const struct sl_table *t2 = sl_ct_table(j2, "nx");
        struct sl_connector_env e2 = sl_ct_env(j2, stdout);
        struct sl_source *b;
        assert_int_equal(sl_source_open(t2, &e2, 2, &b, &err), 0);
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, 1, 2, j2);
        assert_int_equal(restore(b, &c, st.p, st.len, &err), SL_ECORRUPT);
        if (!strstr(err.msg, cases[i].n1) || (cases[i].n2 && !strstr(err.msg, cases[i].n2)) ||
            !strstr(err.msg, "test source"))
            fail_msg("case %zu: %s", i, err.msg);
        sl_ct_ctx_free(&c);
        b->ops->free(b);
        sl_job_free(j2);
    }
    /* the same table restores, but not into worker 0 nor with another worker count */
    struct sl_source *b;
    assert_int_equal(sl_source_open(t, &env, 2, &b, &err), 0);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 2, job);
    assert_int_equal(restore(b, &c, st.p, st.len, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "split 1 given to worker 0"));
    sl_ct_ctx_free(&c);
    sl_ct_ctx_init(&c, 1, 2, job);
    assert_int_equal(restore(b, &c, st.p, st.len, &err), 0);
    sl_ct_ctx_free(&c);
    b->ops->free(b);
    assert_int_equal(sl_source_open(t, &env, 3, &b, &err), 0);
    sl_ct_ctx_init(&c, 1, 3, job);
    assert_int_equal(restore(b, &c, st.p, st.len, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "saved by 2 workers, restored into 3"));
    sl_ct_ctx_free(&c);
    b->ops->free(b);
    sl_sbuf_free(&st);
    sl_job_free(job);
}

/* Every truncation is SL_ECORRUPT; every single bit flip is SL_ECORRUPT or a state that
 * restores (a flipped base time is a valid base time) - never a crash. */
static void test_nexmark_bad_bytes(void **state)
{
    (void)state;
    struct sl_job *job = nx_job(100000, "");
    const struct sl_table *t = sl_ct_table(job, "nx");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, schema, 4);
    struct sl_source *a;
    struct sl_error err;
    assert_int_equal(sl_source_open(t, &env, 2, &a, &err), 0);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 1, 2, job);
    struct rows r = {0};
    poll_some(a, &c, pool, 2, &r);
    rows_free(&r);
    struct sl_sbuf st;
    sl_sbuf_init(&st);
    char text[64];
    save(a, 1, &st, text, sizeof(text));
    a->ops->free(a);
    struct sl_source *b;
    assert_int_equal(sl_source_open(t, &env, 2, &b, &err), 0);
    for (size_t n = 0; n < st.len; n++)
        assert_int_equal(restore(b, &c, st.p, n, &err), SL_ECORRUPT);
    uint8_t *copy = malloc(st.len + 1);
    assert_non_null(copy);
    memcpy(copy, st.p, st.len);
    copy[st.len] = 0;
    assert_int_equal(restore(b, &c, copy, st.len + 1, &err), SL_ECORRUPT); /* trailing */
    unsigned ok = 0;
    for (size_t i = 0; i < st.len; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, st.p, st.len);
            copy[i] ^= (uint8_t)(1u << bit);
            int rc = restore(b, &c, copy, st.len, &err);
            if (rc == 0)
                ok++;
            else
                assert_int_equal(rc, SL_ECORRUPT);
        }
    assert_true(ok > 0 && ok < st.len * 8);
    /* the intact state still restores, and the source goes on from it */
    assert_int_equal(restore(b, &c, st.p, st.len, &err), 0);
    assert_false(poll_some(b, &c, pool, 1, &r));
    assert_true(r.count > 0);
    rows_free(&r);
    b->ops->free(b);
    free(copy);
    sl_sbuf_free(&st);
    sl_ct_ctx_free(&c);
    sl_batch_pool_free(pool);
    sl_schema_free(schema);
    sl_job_free(job);
}

/* Pacing ('max-emit-speed' = 'false') restarts its clock at the restored index: the first
 * rows handed out are exactly one event, at most 'execution.buffer-timeout' (1 ms) after
 * the restart (no burst for the time the job was down, no wait for the events before the
 * index), and later polls keep to the rate. */
static void test_nexmark_pacing(void **state)
{
    (void)state;
    struct sl_job *job = sl_ct_job("CREATE TABLE nx (" NX_COLS ") WITH ('connector' = "
                                   "'nexmark', 'first-event.rate' = '500', "
                                   "'max-emit-speed' = 'false');");
    const struct sl_table *t = sl_ct_table(job, "nx");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, schema, 4);
    struct sl_source *a;
    struct sl_error err;
    assert_int_equal(sl_source_open(t, &env, 1, &a, &err), 0);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    struct rows r = {0};
    while (r.count < 6)
        poll_some(a, &c, pool, 1, &r);
    uint64_t cut = r.count;
    rows_free(&r);
    struct sl_sbuf st;
    sl_sbuf_init(&st);
    char text[64], want[64];
    save(a, 0, &st, text, sizeof(text));
    snprintf(want, sizeof(want), "0=%llu", (unsigned long long)cut);
    assert_string_equal(text, want);
    a->ops->free(a);
    sleep_ms(60); /* "down" for 30 events' worth of time */
    struct sl_source *b;
    assert_int_equal(sl_source_open(t, &env, 1, &b, &err), 0);
    assert_int_equal(restore(b, &c, st.p, st.len, &err), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct sl_batch *x = sl_batch_pool_get(pool);
    struct sl_source_info info;
    assert_int_equal(sl_ct_poll(b, &c.ctx, x, 20, &info, &err), 0);
    /* no burst: what comes first is what the rate allows since the restore (one event
     * when the poll is on time; a late wake-up on a busy machine may allow one more), far
     * from the 30 of the time the job was down */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double first = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(x->rows >= 1);
    assert_true((double)x->rows <= 500.0 * first + 1.0);
    uint64_t got = x->rows;
    sl_batch_pool_put(x);
    for (int i = 0; i < 5; i++) {
        x = sl_batch_pool_get(pool);
        assert_int_equal(sl_ct_poll(b, &c.ctx, x, 20, &info, &err), 0);
        got += x->rows;
        sl_batch_pool_put(x);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double el = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true((double)got <= 500.0 * el + 1.0);
    save(b, 0, &st, text, sizeof(text));
    snprintf(want, sizeof(want), "0=%llu", (unsigned long long)(cut + got));
    assert_string_equal(text, want);
    b->ops->free(b);
    sl_sbuf_free(&st);
    sl_ct_ctx_free(&c);
    sl_batch_pool_free(pool);
    sl_schema_free(schema);
    sl_job_free(job);
}

/* ---- kafka --------------------------------------------------------------------------------- */

#define KA_PARTS 3
#define KA_N 50     /* records per partition before the checkpoint */
#define KA_EXTRA 10 /* records per partition written after it */
#define KA_KEYS (KA_PARTS * 1000)

/* Writes {"k": partition * 1000 + i} for i in [from, from + n) to `partition`. */
static void produce(const char *topic, int partition, int from, int n)
{
    struct sl_kafka_sink_config cfg = {.bootstrap = sl_kmock_bootstrap(),
                                       .topic = topic,
                                       .partitioner = SL_KAFKA_PART_FIXED,
                                       .partition = partition};
    struct sl_error err;
    struct sl_kafka_sink *ks;
    assert_int_equal(sl_kafka_sink_new(&cfg, &ks, &err), 0);
    char(*vals)[32] = malloc((size_t)n * sizeof(*vals));
    struct sl_record *recs = malloc((size_t)n * sizeof(*recs));
    assert_true(vals && recs);
    for (int i = 0; i < n; i++) {
        int len = snprintf(vals[i], sizeof(vals[i]), "{\"k\":%d}", partition * 1000 + from + i);
        recs[i] = (struct sl_record){.value = vals[i], .value_len = (size_t)len};
    }
    assert_int_equal(sl_kafka_sink_write(ks, recs, (size_t)n, &err), 0);
    assert_int_equal(sl_kafka_sink_flush(ks, 10000, &err), 0);
    sl_kafka_sink_free(ks, 1000);
    free(vals);
    free(recs);
}

static struct sl_job *ka_job(const char *topic, bool bounded)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE k (k BIGINT NOT NULL) WITH ('connector' = 'kafka', 'topic' = '%s',"
             " 'format' = 'json', 'properties.bootstrap.servers' = '%s',"
             " 'properties.log_level' = '0'%s);",
             topic, sl_kmock_bootstrap(), bounded ? ", 'scan.bounded.mode' = 'latest-offset'" : "");
    return sl_ct_job(sql);
}

/* One poll of worker c: counts the keys it returns in seen[]; notes split_done in
 * split_done[]; returns worker_done. */
static bool ka_poll_once(struct sl_source *src, struct sl_ct_ctx *c, struct sl_batch_pool *pool,
                         int timeout_ms, int *seen, bool *split_done, uint64_t *rows)
{
    struct sl_batch *b = sl_batch_pool_get(pool);
    struct sl_source_info info;
    struct sl_error err;
    if (src->ops->poll(src, &c->ctx, b, timeout_ms, &info, &err))
        fail_msg("%s", err.msg);
    for (uint32_t r = 0; r < b->rows; r++) {
        int64_t k = sl_col_i64(&b->cols[0])[r];
        assert_true(k >= 0 && k < KA_KEYS);
        assert_int_equal(info.split, (int32_t)(k / 1000));
        seen[k]++;
    }
    *rows += b->rows;
    if (info.split_done) {
        assert_true(info.split >= 0 && info.split < KA_PARTS);
        split_done[info.split] = true;
    }
    sl_batch_pool_put(b);
    return info.worker_done;
}

/* Records of KA_PARTS partitions, polled `cut` times per worker, saved; more records are
 * written; a fresh source restored from the bytes reads the rest: every record exactly once
 * over both parts - bounded: exactly the range of the first source (not the records written
 * after), unbounded: those too. */
static void kafka_resume(bool bounded, int nw, int cut)
{
    const char *topic = sl_kmock_topic("ss", KA_PARTS);
    for (int p = 0; p < KA_PARTS; p++)
        produce(topic, p, 0, KA_N);
    struct sl_job *job = ka_job(topic, bounded);
    const struct sl_table *t = sl_ct_table(job, "k");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, schema, 4);
    int *seen = calloc(KA_KEYS, sizeof(*seen));
    assert_non_null(seen);
    struct sl_source *a, *b;
    struct sl_error err;
    if (sl_source_open(t, &env, nw, &a, &err))
        fail_msg("%s", err.msg);
    struct sl_sbuf st[2];
    uint64_t rows = 0;
    for (int w = 0; w < nw; w++) {
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, w, nw, job);
        bool sd[KA_PARTS] = {0};
        for (int i = 0; i < cut; i++)
            if (ka_poll_once(a, &c, pool, 200, seen, sd, &rows))
                break;
        sl_sbuf_init(&st[w]);
        char text[256];
        save(a, w, &st[w], text, sizeof(text));
        /* "<topic>:<partition>=<offset>" for each partition of the worker */
        char want[100];
        for (int p = w; p < KA_PARTS; p += nw) {
            snprintf(want, sizeof(want), "%s:%d=", topic, p);
            if (!strstr(text, want))
                fail_msg("summary '%s' lacks %s", text, want);
        }
        sl_ct_ctx_free(&c);
    }
    a->ops->free(a);
    for (int p = 0; p < KA_PARTS; p++)
        produce(topic, p, KA_N, KA_EXTRA);
    uint64_t want_rows = KA_PARTS * (uint64_t)(bounded ? KA_N : KA_N + KA_EXTRA);
    if (sl_source_open(t, &env, nw, &b, &err))
        fail_msg("%s", err.msg);
    for (int w = 0; w < nw; w++) {
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, w, nw, job);
        if (restore(b, &c, st[w].p, st[w].len, &err))
            fail_msg("restore: %s", err.msg);
        sl_ct_ctx_free(&c);
    }
    for (int w = 0; w < nw; w++) {
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, w, nw, job);
        bool sd[KA_PARTS] = {0};
        uint64_t wrows = 0, wwant = 0;
        for (int p = w; p < KA_PARTS; p += nw)
            wwant += bounded ? KA_N : KA_N + KA_EXTRA;
        bool done = false;
        for (int tries = 0; !done && tries < 2000; tries++) {
            done = ka_poll_once(b, &c, pool, 50, seen, sd, &wrows);
            if (!bounded && tries > 0) { /* unbounded: until everything came, then a bit */
                uint64_t have = 0;
                for (int p = w; p < KA_PARTS; p += nw)
                    for (int i = 0; i < KA_N + KA_EXTRA; i++)
                        have += seen[p * 1000 + i] > 0;
                if (have == wwant)
                    break;
            }
        }
        if (bounded) {
            assert_true(done);
            for (int p = w; p < KA_PARTS; p += nw)
                assert_true(sd[p]); /* every partition reports its end, restored done or not */
        } else {
            for (int i = 0; i < 3; i++)
                assert_false(ka_poll_once(b, &c, pool, 30, seen, sd, &wrows));
        }
        rows += wrows;
        sl_ct_ctx_free(&c);
    }
    assert_int_equal(rows, want_rows);
    for (int p = 0; p < KA_PARTS; p++)
        for (int i = 0; i < KA_N + KA_EXTRA; i++) {
            int expect = bounded && i >= KA_N ? 0 : 1;
            if (seen[p * 1000 + i] != expect)
                fail_msg("bounded %d, %d workers, cut %d: partition %d record %d seen %d times",
                         bounded, nw, cut, p, i, seen[p * 1000 + i]);
        }
    b->ops->free(b);
    for (int w = 0; w < nw; w++)
        sl_sbuf_free(&st[w]);
    free(seen);
    sl_batch_pool_free(pool);
    sl_schema_free(schema);
    sl_job_free(job);
}

static void test_kafka_resume(void **state)
{
    (void)state;
    static const int cuts[] = {0, 1, 2, 5, 1000};
    for (int bounded = 0; bounded <= 1; bounded++)
        for (int nw = 1; nw <= 2; nw++)
            for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
                if (!bounded && cuts[i] == 1000)
                    continue; /* an unbounded source never ends */
                kafka_resume(bounded, nw, cuts[i]);
            }
}

/* A state written by hand: topic, bounded flag, then (partition, next, end, done)... */
static void ka_craft(struct sl_sbuf *b, const char *topic, bool bounded, uint32_t n,
                     const int64_t (*e)[4])
{
    sl_sbuf_reset(b);
    sl_sbuf_put_u32(b, 0x3153414bu);
    sl_sbuf_put_str(b, topic);
    sl_sbuf_put_u8(b, bounded);
    sl_sbuf_put_u32(b, n);
    for (uint32_t i = 0; i < n; i++) {
        sl_sbuf_put_u32(b, (uint32_t)e[i][0]);
        sl_sbuf_put_i64(b, e[i][1]);
        sl_sbuf_put_i64(b, e[i][2]);
        sl_sbuf_put_u8(b, (uint8_t)e[i][3]);
    }
}

/* Reads worker 0 of a 1-worker source restored from `st` to its end (bounded) or until it
 * stays idle (unbounded); returns the restore's or poll's error (0) and counts keys. */
static int ka_read_restored(const struct sl_table *t, struct sl_job *job, struct sl_sbuf *st,
                            int *seen, struct sl_error *err)
{
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, schema, 4);
    struct sl_source *src;
    if (sl_source_open(t, &env, 1, &src, err))
        fail_msg("%s", err->msg);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    int rc = restore(src, &c, st->p, st->len, err);
    bool done = false;
    /* unbounded: until 6 polls in a row bring nothing after something came */
    uint64_t got = 0;
    for (int tries = 0, idle = 0; !rc && !done && idle < 6 && tries < 5000; tries++) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        struct sl_source_info info;
        rc = src->ops->poll(src, &c.ctx, b, 50, &info, err);
        for (uint32_t r = 0; !rc && r < b->rows; r++)
            seen[sl_col_i64(&b->cols[0])[r]]++;
        got += b->rows;
        idle = b->rows || !got ? 0 : idle + 1;
        done = info.worker_done;
        sl_batch_pool_put(b);
    }
    sl_ct_ctx_free(&c);
    src->ops->free(src);
    sl_batch_pool_free(pool);
    sl_schema_free(schema);
    return rc;
}

/* Two topics in one table ('a;b', KAS2 state): polled part way by 2 workers, saved, more
 * written, a fresh source restored reads the rest - every record of both topics exactly
 * once; the saved bytes cut short or with a bit flipped never crash a restore; a table that
 * reads only one of the topics refuses the state, naming the other. */
static void test_kafka_topics_resume(void **state)
{
    (void)state;
    char ta[64], tb[64];
    snprintf(ta, sizeof(ta), "%s", sl_kmock_topic("ss", KA_PARTS));
    snprintf(tb, sizeof(tb), "%s", sl_kmock_topic("ss", 2));
    for (int p = 0; p < KA_PARTS; p++)
        produce(ta, p, 0, KA_N);
    for (int p = 0; p < 2; p++)
        produce(tb, p, 0, KA_N);
    char sql[2048];
#define TS_FMT                                                                         \
    "CREATE TABLE k (k BIGINT NOT NULL, t STRING METADATA FROM 'topic' VIRTUAL) WITH " \
    "('connector' = 'kafka', 'topic' = '%s', 'format' = 'json',"                       \
    " 'properties.bootstrap.servers' = '%s', 'properties.log_level' = '0');"
    char list[140];
    snprintf(list, sizeof(list), "%s;%s", ta, tb);
    snprintf(sql, sizeof(sql), TS_FMT, list, sl_kmock_bootstrap());
    struct sl_job *job = sl_ct_job(sql);
    snprintf(sql, sizeof(sql), TS_FMT, ta, sl_kmock_bootstrap());
    struct sl_job *job1 = sl_ct_job(sql);
#undef TS_FMT
    const struct sl_table *t = sl_ct_table(job, "k");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, schema, 4);
    int *seen = calloc(2 * KA_KEYS, sizeof(*seen)); /* [topic][key] */
    assert_non_null(seen);
    struct sl_error err;
    struct sl_source *a, *b;
    struct sl_sbuf st[2];
    const uint64_t total = (KA_PARTS + 2) * (uint64_t)(KA_N + KA_EXTRA);
    uint64_t rows = 0;
    /* one poll of worker w into seen[]; the split of a batch is its topic's and partition's */
    int32_t split_of[2][KA_PARTS];
#define TS_POLL(src, c)                                                                 \
    do {                                                                                \
        struct sl_batch *bt = sl_batch_pool_get(pool);                                  \
        struct sl_source_info info;                                                     \
        if ((src)->ops->poll((src), &(c).ctx, bt, 20, &info, &err))                     \
            fail_msg("%s", err.msg);                                                    \
        for (uint32_t r = 0; r < bt->rows; r++) {                                       \
            int64_t k = sl_col_i64(&bt->cols[0])[r];                                    \
            sl_str ts = sl_col_str(&bt->cols[1])[r];                                    \
            int ti = ts.len == strlen(tb) && memcmp(sl_str_data(&ts), tb, ts.len) == 0; \
            assert_true(k >= 0 && k < KA_KEYS);                                         \
            if (split_of[ti][k / 1000] == -1)                                           \
                split_of[ti][k / 1000] = info.split;                                    \
            assert_int_equal(info.split, split_of[ti][k / 1000]);                       \
            seen[ti * KA_KEYS + k]++;                                                   \
        }                                                                               \
        rows += bt->rows;                                                               \
        sl_batch_pool_put(bt);                                                          \
    } while (0)
    memset(split_of, 0xff, sizeof(split_of));
    if (sl_source_open(t, &env, 2, &a, &err))
        fail_msg("%s", err.msg);
    for (int w = 0; w < 2; w++) {
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, w, 2, job);
        for (int i = 0; i < 3; i++)
            TS_POLL(a, c);
        sl_sbuf_init(&st[w]);
        char text[512];
        save(a, w, &st[w], text, sizeof(text));
        sl_ct_ctx_free(&c);
    }
    a->ops->free(a);
    for (int p = 0; p < KA_PARTS; p++)
        produce(ta, p, KA_N, KA_EXTRA);
    for (int p = 0; p < 2; p++)
        produce(tb, p, KA_N, KA_EXTRA);
    if (sl_source_open(t, &env, 2, &b, &err))
        fail_msg("%s", err.msg);
    struct sl_ct_ctx cs[2];
    for (int w = 0; w < 2; w++) {
        sl_ct_ctx_init(&cs[w], w, 2, job);
        /* cut short: SL_ECORRUPT; bit flips: a clean error or a valid state, never a crash */
        for (size_t n = 0; n < st[w].len; n++)
            assert_int_equal(restore(b, &cs[w], st[w].p, n, &err), SL_ECORRUPT);
        uint8_t *copy = malloc(st[w].len);
        assert_non_null(copy);
        for (size_t i = 0; i < st[w].len; i++)
            for (int bit = 0; bit < 8; bit++) {
                memcpy(copy, st[w].p, st[w].len);
                copy[i] ^= (uint8_t)(1u << bit);
                int rc = restore(b, &cs[w], copy, st[w].len, &err);
                if (rc && rc != SL_ECORRUPT && rc != SL_ENOTFOUND && rc != SL_EINVAL)
                    fail_msg("flip %zu.%d: %d %s", i, bit, rc, err.msg);
            }
        free(copy);
        if (restore(b, &cs[w], st[w].p, st[w].len, &err)) /* the intact state last */
            fail_msg("restore: %s", err.msg);
    }
    for (int tries = 0; rows < total && tries < 4000; tries++)
        TS_POLL(b, cs[tries % 2]);
    for (int i = 0; i < 4; i++)
        TS_POLL(b, cs[i % 2]); /* and nothing more */
#undef TS_POLL
    assert_int_equal(rows, total);
    for (int ti = 0; ti < 2; ti++)
        for (int p = 0; p < (ti ? 2 : KA_PARTS); p++)
            for (int i = 0; i < KA_N + KA_EXTRA; i++)
                if (seen[ti * KA_KEYS + p * 1000 + i] != 1)
                    fail_msg("topic %d partition %d record %d seen %d times", ti, p, i,
                             seen[ti * KA_KEYS + p * 1000 + i]);
    assert_int_not_equal(split_of[0][0], split_of[1][0]); /* each topic's own splits */
    for (int w = 0; w < 2; w++)
        sl_ct_ctx_free(&cs[w]);
    b->ops->free(b);

    /* the table now reads only the first topic: a state with partitions of the second is
     * refused, naming it */
    const struct sl_table *t1 = sl_ct_table(job1, "k");
    struct sl_connector_env env1 = sl_ct_env(job1, stdout);
    int refused = 0;
    for (int w = 0; w < 2; w++) {
        struct sl_source *c1;
        if (sl_source_open(t1, &env1, 2, &c1, &err))
            fail_msg("%s", err.msg);
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, w, 2, job1);
        int rc = restore(c1, &c, st[w].p, st[w].len, &err);
        if (rc) {
            assert_int_equal(rc, SL_ECORRUPT);
            char want[400];
            snprintf(want, sizeof(want),
                     "the checkpoint read topic '%s', which the table does not read now (it "
                     "reads 'topic' = '%s')",
                     tb, ta);
            if (!strstr(err.msg, want))
                fail_msg("got: %s", err.msg);
            refused++;
        }
        sl_ct_ctx_free(&c);
        c1->ops->free(c1);
        sl_sbuf_free(&st[w]);
    }
    assert_true(refused > 0); /* some worker reads partitions of the second topic */
    free(seen);
    sl_batch_pool_free(pool);
    sl_schema_free(schema);
    sl_job_free(job);
    sl_job_free(job1);
}

static void test_kafka_restore_cases(void **state)
{
    (void)state;
    const char *t1 = sl_kmock_topic("ss", KA_PARTS);
    char topic[64];
    snprintf(topic, sizeof(topic), "%s", t1);
    for (int p = 0; p < KA_PARTS; p++)
        produce(topic, p, 0, KA_N);
    struct sl_job *jb = ka_job(topic, true), *ju = ka_job(topic, false);
    const struct sl_table *tb = sl_ct_table(jb, "k"), *tu = sl_ct_table(ju, "k");
    struct sl_sbuf st;
    sl_sbuf_init(&st);
    struct sl_error err;
    int *seen = calloc(KA_KEYS, sizeof(*seen));
    assert_non_null(seen);

    /* a partition the checkpoint does not list starts per the startup mode (earliest); the
     * listed one at its saved offset, up to its saved end */
    const int64_t only0[1][4] = {{0, 30, 40, 0}};
    ka_craft(&st, topic, true, 1, only0);
    assert_int_equal(ka_read_restored(tb, jb, &st, seen, &err), 0);
    for (int p = 0; p < KA_PARTS; p++)
        for (int i = 0; i < KA_N; i++)
            assert_int_equal(seen[p * 1000 + i], p == 0 ? (i >= 30 && i < 40) : 1);
    memset(seen, 0, KA_KEYS * sizeof(*seen));
    /* 'earliest' (nothing delivered yet) restores to the earliest offset */
    const int64_t early[1][4] = {{1, SL_KAFKA_OFFSET_EARLIEST, -1, 0}};
    ka_craft(&st, topic, false, 1, early);
    assert_int_equal(ka_read_restored(tu, ju, &st, seen, &err), 0);
    for (int p = 0; p < KA_PARTS; p++)
        for (int i = 0; i < KA_N; i++)
            assert_int_equal(seen[p * 1000 + i], 1);

    /* a partition the topic no longer has */
    const int64_t gone[2][4] = {{0, 3, -1, 0}, {7, 12, -1, 0}};
    ka_craft(&st, topic, false, 2, gone);
    assert_int_equal(ka_read_restored(tu, ju, &st, seen, &err), SL_ENOTFOUND);
    char want[128];
    snprintf(want, sizeof(want), "Kafka topic '%s' partition 7", topic);
    if (!strstr(err.msg, want))
        fail_msg("%s", err.msg);
    /* an offset the broker does not hold: the poll's out-of-range error */
    const int64_t far[1][4] = {{2, 100000, -1, 0}};
    ka_craft(&st, topic, false, 1, far);
    assert_int_not_equal(ka_read_restored(tu, ju, &st, seen, &err), 0);
    snprintf(want, sizeof(want), "Kafka topic '%s' partition 2: offset 100000 is out of range",
             topic);
    if (!strstr(err.msg, want))
        fail_msg("%s", err.msg);
    /* another topic, another bounded mode: SL_ECORRUPT naming both */
    ka_craft(&st, "elsewhere", false, 1, far);
    assert_int_equal(ka_read_restored(tu, ju, &st, seen, &err), SL_ECORRUPT);
    if (!strstr(err.msg, "'elsewhere'") || !strstr(err.msg, topic))
        fail_msg("%s", err.msg);
    ka_craft(&st, topic, false, 1, far);
    assert_int_equal(ka_read_restored(tb, jb, &st, seen, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "unbounded"));
    assert_non_null(strstr(err.msg, "latest-offset"));

    /* truncations: SL_ECORRUPT; bit flips: SL_ECORRUPT or a clean error or a valid state -
     * never a crash (restores into one source before its first poll: a failed restore
     * changes nothing, a successful one may be replaced) */
    const int64_t good[2][4] = {{0, 17, 50, 0}, {2, 50, 50, 1}};
    ka_craft(&st, topic, true, 2, good);
    struct sl_connector_env env = sl_ct_env(jb, stdout);
    struct sl_source *src;
    if (sl_source_open(tb, &env, 2, &src, &err))
        fail_msg("%s", err.msg);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 2, jb);
    for (size_t n = 0; n < st.len; n++)
        assert_int_equal(restore(src, &c, st.p, n, &err), SL_ECORRUPT);
    uint8_t *copy = malloc(st.len);
    assert_non_null(copy);
    unsigned ok = 0;
    for (size_t i = 0; i < st.len; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, st.p, st.len);
            copy[i] ^= (uint8_t)(1u << bit);
            int rc = restore(src, &c, copy, st.len, &err);
            if (rc == 0) {
                ok++;
                continue;
            }
            if (rc != SL_ECORRUPT && rc != SL_ENOTFOUND && rc != SL_EINVAL)
                fail_msg("flip %zu.%d: %d %s", i, bit, rc, err.msg);
            assert_true(err.msg[0] != '\0');
        }
    assert_true(ok > 0 && ok < st.len * 8);
    /* the intact state still restores, and the worker reads from it: partition 0 from 17,
     * partition 2 done (its split_done comes first) */
    assert_int_equal(restore(src, &c, st.p, st.len, &err), 0);
    struct sl_schema *schema = sl_plan_rel_schema(&tb->physical);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, schema, 4);
    memset(seen, 0, KA_KEYS * sizeof(*seen));
    bool sd[KA_PARTS] = {0}, done = false;
    uint64_t rows = 0;
    struct sl_batch *b = sl_batch_pool_get(pool);
    struct sl_source_info info;
    assert_int_equal(src->ops->poll(src, &c.ctx, b, 0, &info, &err), 0);
    assert_int_equal(b->rows, 0);
    assert_true(info.split_done);
    assert_int_equal(info.split, 2);
    assert_false(info.worker_done);
    sl_batch_pool_put(b);
    for (int tries = 0; !done && tries < 2000; tries++)
        done = ka_poll_once(src, &c, pool, 50, seen, sd, &rows);
    assert_true(done);
    assert_int_equal(rows, KA_N - 17);
    for (int i = 0; i < KA_N; i++)
        assert_int_equal(seen[i], i >= 17);
    /* restore after the first poll is refused */
    assert_int_equal(restore(src, &c, st.p, st.len, &err), SL_EINVAL);
    src->ops->free(src);
    sl_ct_ctx_free(&c);
    sl_batch_pool_free(pool);
    sl_schema_free(schema);
    free(copy);
    free(seen);
    sl_sbuf_free(&st);
    sl_job_free(jb);
    sl_job_free(ju);
}

/* The sink's prepare returns once every record written before it is delivered: a bounded
 * source opened right after reads them all. commit and recover stay NULL. */
static void test_kafka_sink_prepare(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("ss", 1);
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE k (k BIGINT NOT NULL) WITH ('connector' = 'kafka', 'topic' = '%s',"
             " 'format' = 'json', 'properties.bootstrap.servers' = '%s',"
             " 'properties.log_level' = '0', 'scan.bounded.mode' = 'latest-offset');",
             topic, sl_kmock_bootstrap());
    struct sl_job *job = sl_ct_job(sql);
    const struct sl_table *t = sl_ct_table(job, "k");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, schema, 4);
    struct sl_sink *sink;
    struct sl_error err;
    if (sl_sink_open(t, &env, 1, &sink, &err))
        fail_msg("%s", err.msg);
    assert_non_null(sink->ops->prepare);
    assert_null(sink->ops->commit);
    assert_null(sink->ops->recover);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    int *seen = calloc(KA_KEYS, sizeof(*seen));
    assert_non_null(seen);
    int written = 0;
    for (uint64_t epoch = 1; epoch <= 3; epoch++) {
        for (int n = 0; n < 40; n++) {
            struct sl_batch *b = sl_batch_pool_get(pool);
            sl_col_i64(&b->cols[0])[0] = written++;
            b->rows = 1;
            assert_int_equal(sink->ops->write(sink, &c.ctx, b, &err), 0);
            sl_batch_pool_put(b);
        }
        assert_int_equal(sink->ops->prepare(sink, &c.ctx, epoch, &err), 0);
        /* the bounded source's end offsets are read now: every record must be there */
        struct sl_source *src;
        if (sl_source_open(t, &env, 1, &src, &err))
            fail_msg("%s", err.msg);
        memset(seen, 0, KA_KEYS * sizeof(*seen));
        bool sd[KA_PARTS] = {0}, done = false;
        uint64_t rows = 0;
        struct sl_ct_ctx rc;
        sl_ct_ctx_init(&rc, 0, 1, job);
        for (int tries = 0; !done && tries < 2000; tries++)
            done = ka_poll_once(src, &rc, pool, 50, seen, sd, &rows);
        assert_true(done);
        assert_int_equal(rows, (uint64_t)written);
        for (int i = 0; i < written; i++)
            assert_int_equal(seen[i], 1);
        sl_ct_ctx_free(&rc);
        src->ops->free(src);
    }
    assert_int_equal(c.stats.rows_out, (uint64_t)written);
    assert_int_equal(sink->ops->flush(sink, &c.ctx, &err), 0);
    assert_int_equal(sink->ops->close(sink, &err), 0);
    sink->ops->free(sink);
    free(seen);
    sl_ct_ctx_free(&c);
    sl_batch_pool_free(pool);
    sl_schema_free(schema);
    sl_job_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nexmark_resume),
        cmocka_unit_test(test_nexmark_mismatch),
        cmocka_unit_test(test_nexmark_bad_bytes),
        cmocka_unit_test(test_nexmark_pacing),
    };
    const struct CMUnitTest ktests[] = {
        cmocka_unit_test(test_kafka_resume),
        cmocka_unit_test(test_kafka_restore_cases),
        cmocka_unit_test(test_kafka_topics_resume),
        cmocka_unit_test(test_kafka_sink_prepare),
    };
    int rc = cmocka_run_group_tests_name("source state", tests, NULL, NULL);
    rc += cmocka_run_group_tests_name("kafka state", ktests, sl_kmock_setup, sl_kmock_teardown);
    return rc;
}
