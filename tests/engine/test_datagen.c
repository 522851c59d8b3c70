/*
 * tests/engine/test_datagen.c - the 'datagen' source (engine/conn/datagen.c) at the
 * connector level, against Flink's documented behaviour: sequences hand out every value of
 * [start, end] exactly once across 1, 2 and 4 workers in Flink's interleaving (worker w:
 * start + w, start + w + N, ...) and end the table; 'number-of-rows' splits as Flink's
 * DataGeneratorSource; random values stay in their bounds (and the defaults cover the
 * type's range: 100 hex characters, 100 bytes, negative and positive integers); a
 * null-rate gives about that share of NULLs; a seed repeats a run; a checkpoint cut
 * anywhere continues exactly as the uninterrupted run; bad options are errors naming the
 * table, the option and where it is.
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/conn/registry.h"
#include "engine/core/state.h"
#include "tests/util/conntest.h"

/* Calls fn on every row worker w of nw produces, polling at most `polls` times; returns
 * whether the worker finished. */
typedef void (*row_fn)(struct sl_batch *b, uint32_t r, int w, void *arg);

static bool drain(struct sl_source *src, const struct sl_job *job, struct sl_batch_pool *pool,
                  int w, int nw, long polls, row_fn fn, void *arg)
{
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, w, nw, job);
    bool done = false;
    for (long i = 0; i < polls && !done; i++) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        struct sl_source_info info;
        struct sl_error err;
        if (sl_ct_poll(src, &c.ctx, b, 1000, &info, &err))
            fail_msg("%s", err.msg);
        assert_true(b->rows <= SL_BATCH_CAP);
        for (uint32_t r = 0; r < b->rows; r++)
            fn(b, r, w, arg);
        sl_batch_pool_put(b);
        done = info.worker_done;
    }
    sl_ct_ctx_free(&c);
    return done;
}

struct fixture {
    struct sl_job *job;
    const struct sl_table *t;
    struct sl_connector_env env;
    struct sl_schema *schema;
    struct sl_batch_pool *pool;
};

static void fx_open(struct fixture *f, const char *sql)
{
    f->job = sl_ct_job(sql);
    f->t = sl_ct_table(f->job, "g");
    f->env = sl_ct_env(f->job, stdout);
    f->schema = sl_plan_rel_schema(&f->t->physical);
    f->pool = sl_batch_pool_new(NULL, f->schema, 4);
    assert_non_null(f->pool);
}

static void fx_close(struct fixture *f)
{
    sl_batch_pool_free(f->pool);
    sl_schema_free(f->schema);
    sl_job_free(f->job);
}

static struct sl_source *fx_source(struct fixture *f, int nw)
{
    struct sl_source *s;
    struct sl_error err;
    if (sl_source_open(f->t, &f->env, nw, &s, &err))
        fail_msg("%s", err.msg);
    return s;
}

/* ---- sequences ----------------------------------------------------------------------------- */

struct seq_seen {
    int64_t start, n;
    uint8_t *seen;
    int64_t last[4];
    int nw;
    int64_t rows;
};

static void seq_row(struct sl_batch *b, uint32_t r, int w, void *arg)
{
    struct seq_seen *s = arg;
    int64_t v = sl_col_i64(&b->cols[0])[r];
    assert_true(v >= s->start && v < s->start + s->n);
    assert_int_equal(s->seen[v - s->start], 0);
    s->seen[v - s->start] = 1;
    /* Flink's interleaving: worker w's values are start + w + k * N, in order */
    assert_int_equal((v - s->start) % s->nw, w);
    assert_true(v > s->last[w]);
    s->last[w] = v;
    /* the STRING sequence of the same row, and the INT one */
    char text[32];
    int n = snprintf(text, sizeof(text), "%lld", (long long)(v - 1000));
    sl_str str = sl_col_str(&b->cols[1])[r];
    assert_int_equal(str.len, n);
    assert_memory_equal(sl_str_data(&str), text, (size_t)n);
    assert_int_equal(sl_col_i32(&b->cols[2])[r], (int32_t)(v + 5));
    s->rows++;
}

static void test_sequence_workers(void **state)
{
    (void)state;
    const int64_t start = -3, end = 2050;
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE g (id BIGINT, s STRING, i INT) WITH ('connector' = 'datagen',\n"
             " 'rows-per-second' = '1000000',\n"
             " 'fields.id.kind' = 'sequence', 'fields.id.start' = '%lld', 'fields.id.end' = "
             "'%lld',\n"
             " 'fields.s.kind' = 'sequence', 'fields.s.start' = '%lld', 'fields.s.end' = '%lld',\n"
             " 'fields.i.kind' = 'sequence', 'fields.i.start' = '%lld', 'fields.i.end' = "
             "'99999');",
             (long long)start, (long long)end, (long long)(start - 1000), (long long)(end - 1000),
             (long long)(start + 5));
    struct fixture f;
    fx_open(&f, sql);
    assert_true(f.t->bounded);
    const int counts[] = {1, 2, 4};
    for (int ci = 0; ci < 3; ci++) {
        int nw = counts[ci];
        struct seq_seen s = {.start = start, .n = end - start + 1, .nw = nw};
        s.seen = calloc((size_t)s.n, 1);
        for (int w = 0; w < 4; w++)
            s.last[w] = INT64_MIN;
        struct sl_source *src = fx_source(&f, nw);
        for (int w = 0; w < nw; w++)
            assert_true(drain(src, f.job, f.pool, w, nw, 1 << 20, seq_row, &s));
        assert_int_equal(s.rows, s.n); /* every value exactly once */
        src->ops->free(src);
        free(s.seen);
    }
    fx_close(&f);
}

static void count_row(struct sl_batch *b, uint32_t r, int w, void *arg)
{
    (void)b, (void)r, (void)w;
    (*(int64_t *)arg)++;
}

static void bool_row(struct sl_batch *b, uint32_t r, int w, void *arg)
{
    (void)w;
    ((int64_t *)arg)[sl_col_bool(&b->cols[0])[r] != 0]++;
}

/* The table ends with its shortest sequence, or its number-of-rows, whichever is first; rows
 * split as Flink's DataGeneratorSource (n / N, the first n % N workers one more). */
static void test_bounds(void **state)
{
    (void)state;
    struct fixture f;
    fx_open(&f, "CREATE TABLE g (a INT, b BIGINT) WITH ('connector' = 'datagen',\n"
                " 'fields.a.kind' = 'sequence', 'fields.a.start' = '1', 'fields.a.end' = '10',\n"
                " 'fields.b.kind' = 'sequence', 'fields.b.start' = '1', 'fields.b.end' = '1000');");
    int64_t n = 0;
    struct sl_source *src = fx_source(&f, 1);
    assert_true(drain(src, f.job, f.pool, 0, 1, 100, count_row, &n));
    assert_int_equal(n, 10);
    src->ops->free(src);
    fx_close(&f);

    fx_open(&f,
            "CREATE TABLE g (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '1003');");
    assert_true(f.t->bounded);
    for (int nw = 1; nw <= 4; nw++) {
        src = fx_source(&f, nw);
        int64_t total = 0;
        for (int w = 0; w < nw; w++) {
            n = 0;
            assert_true(drain(src, f.job, f.pool, w, nw, 1 << 20, count_row, &n));
            assert_int_equal(n, 1003 / nw + (1003 % nw > w ? 1 : 0));
            total += n;
        }
        assert_int_equal(total, 1003);
        src->ops->free(src);
    }
    fx_close(&f);

    /* 'number-of-rows' = '0': no rows; without either the table is unbounded */
    fx_open(&f, "CREATE TABLE g (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '0');");
    src = fx_source(&f, 2);
    n = 0;
    assert_true(drain(src, f.job, f.pool, 1, 2, 2, count_row, &n));
    assert_int_equal(n, 0);
    src->ops->free(src);
    fx_close(&f);
    fx_open(&f, "CREATE TABLE g (a INT) WITH ('connector' = 'datagen');");
    assert_false(f.t->bounded);
    fx_close(&f);
    /* a BOOLEAN "sequence" is random (Flink): unbounded, both values */
    fx_open(&f, "CREATE TABLE g (b BOOLEAN) WITH ('connector' = 'datagen', 'sluice.seed' = '1',\n"
                " 'fields.b.kind' = 'sequence', 'rows-per-second' = '100000000');");
    assert_false(f.t->bounded);
    src = fx_source(&f, 1);
    int64_t seen[2] = {0, 0};
    assert_false(drain(src, f.job, f.pool, 0, 1, 20, bool_row, seen));
    assert_true(seen[0] > 0 && seen[1] > 0);
    src->ops->free(src);
    fx_close(&f);
}

/* ---- random values ------------------------------------------------------------------------- */

struct rnd {
    int64_t rows, neg, pos, nulls_n;
    int64_t now_ms;
};

static bool is_hex(const char *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdef", p[i]))
            return false;
    return true;
}

static void rnd_row(struct sl_batch *b, uint32_t r, int w, void *arg)
{
    (void)w;
    struct rnd *s = arg;
    int32_t i = sl_col_i32(&b->cols[0])[r];
    assert_true(i >= -5 && i <= 5);
    int64_t l = sl_col_i64(&b->cols[1])[r];
    assert_true(l >= 10 && l <= 12);
    double d = sl_col_f64(&b->cols[2])[r];
    assert_true(d >= 1.5 && d < 2.5);
    int64_t dec = sl_col_i64(&b->cols[3])[r]; /* DECIMAL(5, 2): 999.99 at most */
    assert_true(dec >= -12345 && dec <= 99999);
    sl_str s7 = sl_col_str(&b->cols[4])[r];
    assert_int_equal(s7.len, 7);
    assert_true(is_hex(sl_str_data(&s7), 7));
    sl_str sv = sl_col_str(&b->cols[5])[r];
    assert_true(sv.len >= 1 && sv.len < 7);
    sl_str sd = sl_col_str(&b->cols[6])[r];
    assert_int_equal(sd.len, 100);
    assert_true(is_hex(sl_str_data(&sd), 100));
    sl_str by = sl_col_str(&b->cols[7])[r];
    assert_int_equal(by.len, 3);
    assert_int_equal(sl_col_str(&b->cols[8])[r].len, 100);
    int64_t ts = sl_col_i64(&b->cols[9])[r];
    assert_true(ts <= s->now_ms + 2000 && ts >= s->now_ms - 5000 - 2000);
    int32_t full = sl_col_i32(&b->cols[10])[r];
    s->neg += full < -1000000;
    s->pos += full > 1000000;
    sl_str m = sl_col_str(&b->cols[11])[r];
    assert_true(sl_map_valid(sl_str_data(&m), m.len));
    assert_int_equal(sl_map_count(sl_str_data(&m), m.len), 2);
    assert_int_equal(m.len, 4 + 2 * (4 + 5 + 4 + 1));
    assert_false(sl_col_is_null(&b->cols[12], r)); /* BOOLEAN */
    s->rows++;
}

static void test_random_bounds(void **state)
{
    (void)state;
    struct fixture f;
    fx_open(&f, "CREATE TABLE g (i INT, l BIGINT, d DOUBLE, dc DECIMAL(5, 2), s7 STRING,\n"
                " sv STRING, sd STRING, b BYTES, bd BYTES, ts TIMESTAMP(3), full_i INT,\n"
                " m MAP<STRING, BYTES>, flag BOOLEAN)\n"
                "WITH ('connector' = 'datagen', 'number-of-rows' = '3000',\n"
                " 'fields.i.min' = '-5', 'fields.i.max' = '5',\n"
                " 'fields.l.min' = '10', 'fields.l.max' = '12',\n"
                " 'fields.d.min' = '1.5', 'fields.d.max' = '2.5',\n"
                " 'fields.dc.min' = '-123.45',\n"
                " 'fields.s7.length' = '7', 'fields.sv.length' = '7', 'fields.sv.var-len' = "
                "'true',\n"
                " 'fields.b.length' = '3', 'fields.ts.max-past' = '5 s',\n"
                " 'fields.m.length' = '2', 'fields.m.key.length' = '5', 'fields.m.value.length' "
                "= '1');");
    struct rnd s = {.now_ms = (int64_t)time(NULL) * 1000};
    for (int nw = 1; nw <= 2; nw++) {
        struct sl_source *src = fx_source(&f, nw);
        for (int w = 0; w < nw; w++)
            assert_true(drain(src, f.job, f.pool, w, nw, 1 << 20, rnd_row, &s));
        src->ops->free(src);
    }
    assert_int_equal(s.rows, 6000);
    /* the whole INT range by default: both signs, far from 0 */
    assert_true(s.neg > 2000 && s.pos > 2000);
    fx_close(&f);
}

static void null_row(struct sl_batch *b, uint32_t r, int w, void *arg)
{
    (void)w;
    struct rnd *s = arg;
    s->rows++;
    s->nulls_n += sl_col_is_null(&b->cols[0], r);
    assert_false(sl_col_is_null(&b->cols[1], r));
    assert_true(sl_col_is_null(&b->cols[2], r));
}

/* A null-rate of 0.25 on 40000 rows: 10000 NULLs expected, sd ~87; 0 gives none, 1 all. */
static void test_null_rate(void **state)
{
    (void)state;
    struct fixture f;
    fx_open(&f, "CREATE TABLE g (a STRING, b INT, c BIGINT) WITH ('connector' = 'datagen',\n"
                " 'number-of-rows' = '40000', 'rows-per-second' = '100000000',\n"
                " 'sluice.seed' = '42', 'fields.a.null-rate' = '0.25', 'fields.a.length' = '1',\n"
                " 'fields.b.null-rate' = '0', 'fields.c.null-rate' = '1');");
    struct rnd s = {0};
    struct sl_source *src = fx_source(&f, 2);
    for (int w = 0; w < 2; w++)
        assert_true(drain(src, f.job, f.pool, w, 2, 1 << 20, null_row, &s));
    src->ops->free(src);
    assert_int_equal(s.rows, 40000);
    if (s.nulls_n < 9500 || s.nulls_n > 10500)
        fail_msg("%lld NULLs of 40000 at rate 0.25", (long long)s.nulls_n);
    fx_close(&f);
}

/* ---- seeds and checkpoints ----------------------------------------------------------------- */

/* Rows kept as bytes: per column a NULL flag, then the value's bytes. */
struct rowset {
    char **row;
    size_t *len;
    size_t nall, cap;
};

static void keep_row(struct sl_batch *b, uint32_t r, int w, void *arg)
{
    (void)w;
    struct rowset *s = arg;
    char buf[4096];
    size_t n = 0;
    for (uint32_t ci = 0; ci < b->ncols; ci++) {
        struct sl_column *c = &b->cols[ci];
        bool null = c->valid && sl_col_is_null(c, r);
        buf[n++] = null;
        if (null)
            continue;
        if (c->type.id == SL_TYPE_VARCHAR) {
            sl_str v = sl_col_str(c)[r];
            assert_true(n + v.len < sizeof(buf));
            memcpy(buf + n, sl_str_data(&v), v.len);
            n += v.len;
        } else {
            size_t wdt = sl_type_width(c->type.id);
            memcpy(buf + n, (char *)c->data + r * wdt, wdt);
            n += wdt;
        }
    }
    if (s->nall == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->row = realloc(s->row, s->cap * sizeof(*s->row));
        s->len = realloc(s->len, s->cap * sizeof(*s->len));
        assert_non_null(s->row);
        assert_non_null(s->len);
    }
    s->row[s->nall] = malloc(n);
    memcpy(s->row[s->nall], buf, n);
    s->len[s->nall++] = n;
}

static void rowset_free(struct rowset *s)
{
    for (size_t i = 0; i < s->nall; i++)
        free(s->row[i]);
    free(s->row);
    free(s->len);
}

static void rowsets_equal(struct rowset *a, struct rowset *b, size_t from)
{
    assert_true(a->nall >= from + b->nall);
    for (size_t i = 0; i < b->nall; i++)
        if (a->len[from + i] != b->len[i] || memcmp(a->row[from + i], b->row[i], b->len[i]))
            fail_msg("row %zu differs", from + i);
}

#define CK_TABLE                                                                              \
    "CREATE TABLE g (id BIGINT, i INT, s STRING, d DOUBLE, b BOOLEAN, dc DECIMAL(10, 3),\n"   \
    " bb BYTES) WITH ('connector' = 'datagen', 'rows-per-second' = '100000000',\n"            \
    " 'fields.id.kind' = 'sequence', 'fields.id.start' = '0', 'fields.id.end' = '4999',\n"    \
    " 'fields.s.length' = '20', 'fields.s.var-len' = 'true', 'fields.i.null-rate' = '0.1',\n" \
    " 'sluice.seed' = '7'"

/* A seeded run repeats; a source restored from a save after k polls continues exactly as
 * the uninterrupted one, for 1 and 2 workers and several cuts. */
static void test_checkpoint(void **state)
{
    (void)state;
    struct fixture f;
    fx_open(&f, CK_TABLE ");");
    for (int nw = 1; nw <= 2; nw++)
        for (int w = 0; w < nw; w++) {
            struct rowset full = {0};
            struct sl_source *a = fx_source(&f, nw);
            assert_true(drain(a, f.job, f.pool, w, nw, 1 << 20, keep_row, &full));
            a->ops->free(a);
            /* the same seed again: the same rows */
            struct rowset again = {0};
            a = fx_source(&f, nw);
            assert_true(drain(a, f.job, f.pool, w, nw, 1 << 20, keep_row, &again));
            a->ops->free(a);
            assert_int_equal(full.nall, again.nall);
            rowsets_equal(&full, &again, 0);
            rowset_free(&again);
            const int cuts[] = {0, 1, 3};
            for (int ci = 0; ci < 3; ci++) {
                struct rowset before = {0}, after = {0};
                a = fx_source(&f, nw);
                drain(a, f.job, f.pool, w, nw, cuts[ci], keep_row, &before);
                struct sl_sbuf st, sum;
                sl_sbuf_init(&st);
                sl_sbuf_init(&sum);
                struct sl_error err;
                assert_int_equal(a->ops->save(a, w, &st, &sum, &err), 0);
                char want[32];
                snprintf(want, sizeof(want), "%d=%zu", w, before.nall);
                assert_int_equal(sum.len, strlen(want));
                assert_memory_equal(sum.p, want, sum.len);
                a->ops->free(a);
                struct sl_source *b = fx_source(&f, nw);
                struct sl_ct_ctx c;
                sl_ct_ctx_init(&c, w, nw, f.job);
                struct sl_sread r;
                sl_sread_init(&r, st.p, st.len, "test source");
                if (b->ops->restore(b, &c.ctx, &r, &err))
                    fail_msg("restore: %s", err.msg);
                sl_ct_ctx_free(&c);
                assert_true(drain(b, f.job, f.pool, w, nw, 1 << 20, keep_row, &after));
                rowsets_equal(&full, &before, 0);
                rowsets_equal(&full, &after, before.nall);
                assert_int_equal(full.nall, before.nall + after.nall);
                /* truncated state: an error, never a crash */
                for (size_t cut = 0; cut < st.len; cut += 5) {
                    struct sl_source *d = fx_source(&f, nw);
                    sl_ct_ctx_init(&c, w, nw, f.job);
                    sl_sread_init(&r, st.p, cut, "test source");
                    assert_int_equal(d->ops->restore(d, &c.ctx, &r, &err), SL_ECORRUPT);
                    sl_ct_ctx_free(&c);
                    d->ops->free(d);
                }
                b->ops->free(b);
                sl_sbuf_free(&st);
                sl_sbuf_free(&sum);
                rowset_free(&before);
                rowset_free(&after);
            }
            rowset_free(&full);
        }
    fx_close(&f);
}

/* A state restored into a table with other options, or another worker count, is refused. */
static void test_checkpoint_mismatch(void **state)
{
    (void)state;
    struct fixture f, g;
    fx_open(&f, CK_TABLE ");");
    fx_open(&g, CK_TABLE ", 'fields.d.min' = '3');");
    struct sl_source *a = fx_source(&f, 2);
    struct sl_sbuf st, sum;
    sl_sbuf_init(&st);
    sl_sbuf_init(&sum);
    struct sl_error err;
    assert_int_equal(a->ops->save(a, 1, &st, &sum, &err), 0);
    a->ops->free(a);
    struct sl_ct_ctx c;
    struct sl_sread r;
    struct sl_source *b = fx_source(&g, 2);
    sl_ct_ctx_init(&c, 1, 2, g.job);
    sl_sread_init(&r, st.p, st.len, "test source");
    assert_int_equal(b->ops->restore(b, &c.ctx, &r, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "options differ"));
    sl_ct_ctx_free(&c);
    b->ops->free(b);
    b = fx_source(&f, 3);
    sl_ct_ctx_init(&c, 1, 3, f.job);
    sl_sread_init(&r, st.p, st.len, "test source");
    assert_int_equal(b->ops->restore(b, &c.ctx, &r, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "saved by 2 workers, restored into 3"));
    sl_ct_ctx_free(&c);
    b->ops->free(b);
    sl_sbuf_free(&st);
    sl_sbuf_free(&sum);
    fx_close(&g);
    fx_close(&f);
}

/* ---- errors -------------------------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *cols, *opts, *want;
    } cases[] = {
        {"a INT", "'rows' = '5'", "unknown option 'rows'"},
        {"a INT", "'fields.b.min' = '5'", "option 'fields.b.min': no column"},
        {"a INT", "'fields.a.length' = '5'", "'fields.a.length' does not apply to column 'a' INT"},
        {"a INT", "'fields.a.kind' = 'sequence', 'fields.a.start' = '1'",
         "a sequence needs the option 'fields.a.end'"},
        {"a INT", "'fields.a.kind' = 'sequence', 'fields.a.start' = '5', 'fields.a.end' = '5'",
         "start (5) must be less than its end (5)"},
        {"a INT",
         "'fields.a.kind' = 'sequence', 'fields.a.start' = '1', 'fields.a.end' = "
         "'3000000000'",
         "'fields.a.end': 3000000000 is out of range"},
        {"a INT NOT NULL", "'fields.a.null-rate' = '0.5'", "column 'a' is NOT NULL"},
        {"a INT", "'fields.a.null-rate' = '1.5'", "not a rate between 0 and 1"},
        {"a INT", "'fields.a.kind' = 'foo'", "'foo' is not 'random' or 'sequence'"},
        {"a TIMESTAMP(3)", "'fields.a.kind' = 'sequence'", "cannot be a sequence"},
        {"a INT", "'fields.a.min' = '9', 'fields.a.max' = '1'", "min 9 is greater than max 1"},
        {"a INT", "'fields.a.min' = 'x'", "'fields.a.min': 'x' is not an INT"},
        {"a DOUBLE", "'fields.a.max' = 'nan'", "is not a number"},
        {"a STRING", "'fields.a.length' = '99999999'", "out of range"},
        {"a STRING", "'fields.a.length' = '1', 'fields.a.var-len' = 'true'", "at least 2"},
        {"a TIMESTAMP(3)", "'fields.a.max-past' = 'soon'", "is not a duration"},
        {"a INT", "'number-of-rows' = '-1'", "out of range"},
        {"a INT", "'rows-per-second' = '0'", "out of range"},
        {"a INT",
         "'fields.a.kind' = 'sequence', 'fields.a.start' = '1', 'fields.a.end' = '9', "
         "'fields.a.null-rate' = '0.1'",
         "'fields.a.null-rate' does not apply to column 'a' INT of kind 'sequence'"},
        {"a DECIMAL(3, 1)",
         "'fields.a.kind' = 'sequence', 'fields.a.start' = '1', "
         "'fields.a.end' = '100'",
         "does not fit DECIMAL(3, 1)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char sql[1024];
        snprintf(sql, sizeof(sql), "CREATE TABLE g (%s) WITH ('connector' = 'datagen',\n %s);",
                 cases[i].cols, cases[i].opts);
        struct sl_job *job = sl_ct_job(sql);
        const struct sl_table *t = sl_ct_table(job, "g");
        struct sl_connector_env env = sl_ct_env(job, stdout);
        struct sl_source *s = NULL;
        struct sl_error err;
        sl_error_clear(&err);
        assert_int_not_equal(sl_source_open(t, &env, 2, &s, &err), 0);
        assert_null(s);
        if (!strstr(err.msg, cases[i].want) || !strstr(err.msg, "table 'g'") ||
            !strstr(err.msg, "t.sql:"))
            fail_msg("case %zu: %s", i, err.msg);
        sl_job_free(job);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence_workers), cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_random_bounds),    cmocka_unit_test(test_null_rate),
        cmocka_unit_test(test_checkpoint),       cmocka_unit_test(test_checkpoint_mismatch),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
