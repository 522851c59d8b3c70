/*
 * tests/engine/test_fs_ckpt.c - checkpoints of the filesystem connector.
 *
 * Sink (exactly-once part files): rows across epochs with prepare / commit, visible rows
 * read back through the filesystem source (which skips hidden files) and checked to be
 * exactly the rows of committed epochs, each once; idempotent commits; a failed commit
 * rename retried; recover with pending parts of committed and uncommitted epochs and
 * in-progress leftovers; recover refusing a visible part of an uncommitted epoch; commit
 * on its own thread racing the workers' prepares; every crash point in a forked child,
 * then recover + the rest of the job = every row exactly once.
 *
 * Source (file index + byte offset): json, csv (quoted newlines) and raw files, 1-3
 * workers: k batches, save, a FRESH source, restore, to the end = the uninterrupted run,
 * split by split, row by row; truncated and bit-flipped state; files that changed.
 */
#include "tests/util/testutil.h"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/conn/registry.h"
#include "engine/core/fault.h"
#include "io/json.h"
#include "tests/util/conntest.h"
#include "tests/util/iotest.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static void touch(const char *dir, const char *name, const char *data)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(data, f);
    fclose(f);
}

static bool exists_in(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0;
}

/* How many entries of dir start with '.' (not . and ..), and how many do not. */
static void count_files(const char *dir, unsigned *hidden, unsigned *visible)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    *hidden = *visible = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (de->d_name[0] == '.')
            (*hidden)++;
        else
            (*visible)++;
    }
    closedir(d);
}

/* ---- sink ---------------------------------------------------------------------------------- */

#define MAXK 4096

/* A sink test's world: table f (k BIGINT NOT NULL, s VARCHAR) in a fresh directory. */
struct sk {
    char *dir;
    char fmt[8];
    struct sl_job *job;
    const struct sl_table *t;
    struct sl_connector_env env;
    struct sl_schema *schema;
    int nw;
};

/* `opts`: more options of the table (", 'key' = 'value'"). */
static void sk_open_opts(struct sk *w, const char *fmt, int nw, const char *opts)
{
    w->dir = sl_ct_tmpdir();
    snprintf(w->fmt, sizeof(w->fmt), "%s", fmt);
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE f (k BIGINT NOT NULL, s VARCHAR) WITH ('connector' = 'filesystem',"
             " 'path' = '%s', 'format' = '%s'%s);",
             w->dir, fmt, opts);
    w->job = sl_ct_job(sql);
    w->t = sl_ct_table(w->job, "f");
    w->env = sl_ct_env(w->job, stdout);
    w->env.checkpoints = true;
    w->schema = sl_plan_rel_schema(&w->t->physical);
    w->nw = nw;
}

static void sk_open(struct sk *w, const char *fmt, int nw)
{
    sk_open_opts(w, fmt, nw, "");
}

static void sk_close(struct sk *w)
{
    sl_schema_free(w->schema);
    sl_job_free(w->job);
    sl_ct_rmdir(w->dir);
    free(w->dir);
}

static struct sl_sink *sk_sink(struct sk *w)
{
    struct sl_sink *s;
    struct sl_error err;
    int rc = sl_sink_open(w->t, &w->env, w->nw, &s, &err);
    if (rc)
        fail_msg("%s", err.msg);
    return s;
}

/* Worker `worker` writes rows k = first .. first+n-1 (s = "v<k>", with a newline and a
 * comma for csv quoting), in batches of up to SL_BATCH_CAP. */
static void sk_write(struct sk *w, struct sl_sink *s, int worker, int64_t first, int64_t n)
{
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, worker, w->nw, w->job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, w->schema, 1);
    struct sl_error err;
    for (int64_t k = first; k < first + n;) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        while (b->rows < SL_BATCH_CAP && k < first + n) {
            char text[32];
            int len = snprintf(text, sizeof(text), "v%lld,\n\"x\"", (long long)k);
            sl_col_i64(&b->cols[0])[b->rows] = k;
            sl_col_str(&b->cols[1])[b->rows] = sl_batch_str(b, text, (uint32_t)len);
            b->rows++;
            k++;
        }
        int rc = s->ops->write(s, &c.ctx, b, &err);
        if (rc)
            fail_msg("%s", err.msg);
        sl_batch_pool_put(b);
    }
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
}

static void sk_prepare(struct sk *w, struct sl_sink *s, int worker, uint64_t epoch)
{
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, worker, w->nw, w->job);
    struct sl_error err;
    int rc = s->ops->prepare(s, &c.ctx, epoch, &err);
    if (rc)
        fail_msg("prepare %llu: %s", (unsigned long long)epoch, err.msg);
    sl_ct_ctx_free(&c);
}

static void sk_commit(struct sl_sink *s, uint64_t epoch)
{
    struct sl_error err;
    int rc = s->ops->commit(s, epoch, &err);
    if (rc)
        fail_msg("commit %llu: %s", (unsigned long long)epoch, err.msg);
}

static void sk_recover(struct sl_sink *s, uint64_t committed)
{
    struct sl_error err;
    int rc = s->ops->recover(s, committed, &err);
    if (rc)
        fail_msg("recover %llu: %s", (unsigned long long)committed, err.msg);
}

/* Reads the visible rows of the directory through the filesystem source; counts each k
 * (cnt[MAXK]) and checks s. */
static void sk_read(struct sk *w, unsigned *cnt)
{
    memset(cnt, 0, MAXK * sizeof(*cnt));
    struct sl_connector_env env = w->env;
    env.checkpoints = false;
    struct sl_source *src;
    struct sl_error err;
    int rc = sl_source_open(w->t, &env, 1, &src, &err);
    if (rc)
        fail_msg("%s", err.msg);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, w->job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, w->schema, 1);
    bool done = false;
    while (!done) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        struct sl_source_info info;
        rc = src->ops->poll(src, &c.ctx, b, 0, &info, &err);
        if (rc)
            fail_msg("%s", err.msg);
        for (uint32_t r = 0; r < b->rows; r++) {
            int64_t k = sl_col_i64(&b->cols[0])[r];
            assert_true(k >= 0 && k < MAXK);
            char text[32];
            int len = snprintf(text, sizeof(text), "v%lld,\n\"x\"", (long long)k);
            sl_str v = sl_col_str(&b->cols[1])[r];
            assert_int_equal(v.len, (uint32_t)len);
            assert_memory_equal(sl_str_data(&v), text, (size_t)len);
            cnt[k]++;
        }
        done = info.worker_done;
        sl_batch_pool_put(b);
    }
    src->ops->free(src);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
}

/* The visible rows are exactly k in [0, n), each once. */
static void sk_expect(struct sk *w, int64_t n)
{
    static unsigned cnt[MAXK];
    sk_read(w, cnt);
    for (int64_t k = 0; k < MAXK; k++)
        if (cnt[k] != (k < n ? 1u : 0u))
            fail_msg("%s: row %lld seen %u times (want rows 0..%lld once)", w->fmt, (long long)k,
                     cnt[k], (long long)n - 1);
}

static void sk_expect_files(struct sk *w, unsigned hidden, unsigned visible)
{
    unsigned h, v;
    count_files(w->dir, &h, &v);
    if (h != hidden || v != visible)
        fail_msg("%s: %u hidden and %u visible files, want %u and %u", w->dir, h, v, hidden,
                 visible);
}

static void sk_epochs(const char *fmt)
{
    struct sk w;
    sk_open(&w, fmt, 2);
    struct sl_sink *s = sk_sink(&w);
    int64_t R = 3 * SL_BATCH_CAP + 1; /* rows per step */
    if (R > 200)
        R = 200;
    sk_recover(s, 0); /* a job that starts with checkpoints */
    /* epoch 1: both workers */
    sk_write(&w, s, 0, 0, R);
    sk_write(&w, s, 1, R, R / 2);
    sk_expect_files(&w, 2, 0); /* in progress */
    sk_prepare(&w, s, 0, 1);
    sk_prepare(&w, s, 1, 1);
    sk_expect_files(&w, 2, 0); /* pending */
    sk_expect(&w, 0);
    /* epoch 2: worker 1 writes nothing and leaves nothing */
    int64_t n2 = R + R / 2;
    sk_write(&w, s, 0, n2, R / 4 + 1);
    sk_prepare(&w, s, 0, 2);
    sk_prepare(&w, s, 1, 2);
    sk_commit(s, 1);
    char name[64];
    snprintf(name, sizeof(name), "part-0-0000000001.%s", fmt);
    assert_true(exists_in(w.dir, name));
    snprintf(name, sizeof(name), "part-1-0000000001.%s", fmt);
    assert_true(exists_in(w.dir, name));
    snprintf(name, sizeof(name), ".part-0-0000000002.%s.pending", fmt);
    assert_true(exists_in(w.dir, name));
    snprintf(name, sizeof(name), ".part-1-0000000002.%s.pending", fmt);
    assert_false(exists_in(w.dir, name));
    sk_expect(&w, n2);
    sk_commit(s, 1); /* idempotent */
    sk_expect(&w, n2);
    sk_expect_files(&w, 1, 2);
    /* epoch 3: worker 1 only */
    int64_t n3 = n2 + R / 4 + 1;
    sk_write(&w, s, 1, n3, R);
    sk_prepare(&w, s, 0, 3);
    sk_prepare(&w, s, 1, 3);
    sk_commit(s, 3); /* commits epochs 2 and 3 */
    int64_t n4 = n3 + R;
    sk_expect(&w, n4);
    sk_commit(s, 3);
    sk_commit(s, 2);
    sk_expect(&w, n4);
    sk_expect_files(&w, 0, 4);
    /* a prepare of an epoch before the worker's last one is a bug of the caller */
    {
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, 0, 2, w.job);
        struct sl_error err;
        assert_int_equal(s->ops->prepare(s, &c.ctx, 2, &err), SL_ESTATE);
        sl_ct_ctx_free(&c);
    }
    /* epoch 4 prepared but never committed, rows of epoch 5 in progress; then the process
     * "dies" (free without close) and a stray in-progress part of a real crash is there */
    sk_write(&w, s, 0, n4, R);
    sk_prepare(&w, s, 0, 4);
    sk_prepare(&w, s, 1, 4);
    sk_write(&w, s, 1, n4 + R, R / 2);
    s->ops->free(s);
    snprintf(name, sizeof(name), ".part-1-0000000005.%s.inprogress", fmt);
    touch(w.dir, name, "garbage");
    sk_expect_files(&w, 2, 4);
    s = sk_sink(&w);
    sk_recover(s, 3);
    sk_expect_files(&w, 0, 4); /* nothing hidden left */
    sk_expect(&w, n4);
    /* the restored job writes epoch 4's rows again (and more), commits, closes */
    sk_write(&w, s, 0, n4, R);
    sk_write(&w, s, 1, n4 + R, R / 2);
    snprintf(name, sizeof(name), ".part-0-0000000004.%s.inprogress", fmt);
    assert_true(exists_in(w.dir, name)); /* epoch = 1 + the recovered one */
    sk_prepare(&w, s, 0, 4);
    sk_prepare(&w, s, 1, 4);
    sk_write(&w, s, 0, 0, 1); /* after the last prepare: never visible */
    sk_commit(s, 4);
    struct sl_error err;
    assert_int_equal(s->ops->close(s, &err), 0);
    s->ops->free(s);
    sk_expect(&w, n4 + R + R / 2);
    sk_expect_files(&w, 0, 6);
    sk_close(&w);
}

static void test_sink_epochs(void **state)
{
    (void)state;
    sk_epochs("json");
    sk_epochs("csv");
    sk_epochs("raw");
}

/* recover with pending parts of committed and uncommitted epochs; recover twice; a visible
 * part of an epoch after the committed one is refused and nothing is touched. */
static void test_sink_recover(void **state)
{
    (void)state;
    struct sk w;
    sk_open(&w, "json", 3);
    struct sl_sink *s = sk_sink(&w);
    sk_recover(s, 0);
    int64_t k = 0, upto[4] = {0};
    for (uint64_t e = 1; e <= 3; e++) {
        for (int wk = 0; wk < 3; wk++) {
            sk_write(&w, s, wk, k, 10 + wk);
            k += 10 + wk;
            sk_prepare(&w, s, wk, e);
        }
        upto[e] = k;
    }
    sk_commit(s, 1);
    s->ops->free(s); /* crash: epochs 2 and 3 pending, the commit store says 2 */
    sk_expect_files(&w, 6, 3);
    sk_expect(&w, upto[1]);
    s = sk_sink(&w);
    sk_recover(s, 2);
    sk_expect_files(&w, 0, 6);
    sk_expect(&w, upto[2]);
    s->ops->free(s);
    s = sk_sink(&w); /* recover again: nothing to do */
    sk_recover(s, 2);
    sk_expect_files(&w, 0, 6);
    sk_expect(&w, upto[2]);
    /* a visible part of epoch 2 but the commit store says 1: refused, nothing changes */
    touch(w.dir, ".part-0-0000000003.json.pending", "{\"k\":4000}\n");
    struct sl_error err;
    assert_int_equal(s->ops->recover(s, 1, &err), SL_ECORRUPT);
    if (!strstr(err.msg, "part-0-0000000002.json") || !strstr(err.msg, "epoch 2"))
        fail_msg("%s", err.msg);
    sk_expect_files(&w, 1, 6);
    assert_true(exists_in(w.dir, ".part-0-0000000003.json.pending"));
    /* recover after a worker wrote rows is a bug of the caller */
    sk_write(&w, s, 0, 0, 1);
    assert_int_equal(s->ops->recover(s, 2, &err), SL_ESTATE);
    s->ops->free(s);
    /* files of other formats and other names are not this sink's */
    touch(w.dir, ".part-0-0000000009.csv.pending", "x");
    touch(w.dir, ".partx-0-9.json.pending", "x");
    touch(w.dir, "part-0-0000000009.json.bak", "x");
    s = sk_sink(&w);
    sk_recover(s, 2);
    assert_true(exists_in(w.dir, ".part-0-0000000009.csv.pending"));
    assert_true(exists_in(w.dir, ".partx-0-9.json.pending"));
    assert_false(exists_in(w.dir, ".part-0-0000000003.json.pending"));
    s->ops->free(s);
    sk_close(&w);
}

/* A commit whose rename fails keeps the parts it did not rename; the next commit does. */
static void test_sink_commit_fault(void **state)
{
    (void)state;
    struct sk w;
    sk_open(&w, "csv", 2);
    struct sl_sink *s = sk_sink(&w);
    sk_recover(s, 0);
    sk_write(&w, s, 0, 0, 5);
    sk_write(&w, s, 1, 5, 5);
    sk_prepare(&w, s, 0, 1);
    sk_prepare(&w, s, 1, 1);
    struct sl_error err;
    assert_int_equal(sl_fault_set("fs_sink.commit_rename:EIO@2", &err), 0);
    assert_int_equal(s->ops->commit(s, 1, &err), SL_EIO);
    assert_non_null(strstr(err.msg, ".pending"));
    sk_expect_files(&w, 1, 1);
    sk_commit(s, 1);
    sk_expect_files(&w, 0, 2);
    sk_expect(&w, 10);
    assert_int_equal(sl_fault_set(NULL, &err), 0);
    s->ops->free(s);
    sk_close(&w);
}

/* Without checkpoints nothing changes: one part-<worker>-0 file per worker at close. */
static void test_sink_no_checkpoints(void **state)
{
    (void)state;
    struct sk w;
    sk_open(&w, "json", 2);
    w.env.checkpoints = false;
    struct sl_sink *s = sk_sink(&w);
    sk_write(&w, s, 0, 0, 7);
    sk_write(&w, s, 1, 7, 3);
    struct sl_error err;
    assert_int_equal(s->ops->close(s, &err), 0);
    s->ops->free(s);
    assert_true(exists_in(w.dir, "part-0-0.json"));
    assert_true(exists_in(w.dir, "part-1-0.json"));
    sk_expect_files(&w, 0, 2);
    sk_expect(&w, 10);
    sk_close(&w);
}

/* Flink's rolling policy on an unpartitioned table: with 'sink.rolling-policy.file-size' of 1
 * byte every row is a part file of its own (Flink's DefaultRollingPolicy rolls a part once it
 * is past the size); a rolled file is pending until its epoch commits, the k-th roll of epoch
 * E named part-<worker>-E-<k>. Without checkpoints a rolled file is visible at once. A bad
 * duration is refused naming the option. */
static void test_sink_rolling(void **state)
{
    (void)state;
    struct sk w;
    sk_open_opts(&w, "json", 1, ", 'sink.rolling-policy.file-size' = '1'");
    struct sl_sink *s = sk_sink(&w);
    sk_recover(s, 0);
    for (int64_t k = 0; k < 3; k++)
        sk_write(&w, s, 0, k, 1);
    assert_true(exists_in(w.dir, ".part-0-0000000001.json.pending"));
    assert_true(exists_in(w.dir, ".part-0-0000000001-1.json.pending"));
    assert_true(exists_in(w.dir, ".part-0-0000000001-2.json.pending"));
    sk_expect_files(&w, 3, 0);
    sk_prepare(&w, s, 0, 1);
    sk_commit(s, 1);
    assert_true(exists_in(w.dir, "part-0-0000000001-2.json"));
    sk_expect_files(&w, 0, 3);
    sk_expect(&w, 3);
    sk_write(&w, s, 0, 3, 1); /* the next epoch starts again at roll 0 */
    sk_prepare(&w, s, 0, 2);
    sk_commit(s, 2);
    assert_true(exists_in(w.dir, "part-0-0000000002.json"));
    sk_expect(&w, 4);
    struct sl_error err;
    assert_int_equal(s->ops->close(s, &err), 0);
    s->ops->free(s);
    sk_close(&w);

    sk_open_opts(&w, "csv", 1, ", 'sink.rolling-policy.file-size' = '1b'");
    w.env.checkpoints = false;
    s = sk_sink(&w);
    sk_write(&w, s, 0, 0, 1);
    sk_write(&w, s, 0, 1, 1);
    assert_true(exists_in(w.dir, "part-0-0.csv"));
    assert_true(exists_in(w.dir, "part-0-0-1.csv"));
    assert_int_equal(s->ops->close(s, &err), 0);
    s->ops->free(s);
    sk_expect_files(&w, 0, 2);
    sk_expect(&w, 2);
    sk_close(&w);

    sk_open_opts(&w, "json", 1, ", 'sink.rolling-policy.rollover-interval' = 'soon'");
    assert_int_equal(sl_sink_open(w.t, &w.env, 1, &s, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "'sink.rolling-policy.rollover-interval': not a duration"));
    sk_close(&w);
}

/* commit on its own thread while the workers write and prepare later epochs. */
#define RACE_EPOCHS 40
struct race {
    struct sk *w;
    struct sl_sink *s;
    atomic_uint prepared[RACE_EPOCHS + 1]; /* how many workers prepared epoch e */
};

struct race_arg {
    struct race *r;
    int worker;
};

/* Worker `worker` writes rows k = 6e + 3 worker + j, j < e % 3, in epoch e. */
static void *race_worker(void *arg)
{
    struct race_arg *a = arg;
    struct race *r = a->r;
    for (uint64_t e = 1; e <= RACE_EPOCHS; e++) {
        int64_t rows = (int64_t)(e % 3); /* some epochs without rows */
        int64_t first = (int64_t)e * 6 + a->worker * 3;
        if (rows)
            sk_write(r->w, r->s, a->worker, first, rows);
        sk_prepare(r->w, r->s, a->worker, e);
        atomic_fetch_add(&r->prepared[e], 1);
    }
    return NULL;
}

static void test_sink_commit_race(void **state)
{
    (void)state;
    struct sk w;
    sk_open(&w, "json", 2);
    struct race r = {.w = &w, .s = sk_sink(&w)};
    for (int e = 0; e <= RACE_EPOCHS; e++)
        atomic_init(&r.prepared[e], 0);
    sk_recover(r.s, 0);
    pthread_t th[2];
    struct race_arg args[2] = {{&r, 0}, {&r, 1}};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, race_worker, &args[i]), 0);
    for (uint64_t e = 1; e <= RACE_EPOCHS; e++) {
        while (atomic_load(&r.prepared[e]) < 2)
            sched_yield();
        sk_commit(r.s, e);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    struct sl_error err;
    assert_int_equal(r.s->ops->close(r.s, &err), 0);
    r.s->ops->free(r.s);
    static unsigned cnt[MAXK];
    sk_read(&w, cnt);
    for (int64_t k = 0; k < MAXK; k++) {
        int64_t e = k / 6, off = k % 3;
        bool want = e >= 1 && e <= RACE_EPOCHS && off < (e % 3);
        if (cnt[k] != (want ? 1u : 0u))
            fail_msg("row %lld seen %u times", (long long)k, cnt[k]);
    }
    sk_expect_files(&w, 0, 2 * (RACE_EPOCHS - RACE_EPOCHS / 3));
    sk_close(&w);
}

/* ---- sink crash points --------------------------------------------------------------------- */

/* The job of a crash test: 2 workers, epoch e (1..3) has rows [ (e-1)*30, e*30 ): worker 0
 * the first 20, worker 1 the last 10; in epoch 2 worker 0 all 30 (worker 1 leaves no part). The
 * "commit store" is the file <dir>/_committed (a name the sink ignores), written before commit(e)
 * as the engine does. */
#define CR_EPOCHS 3

static uint64_t cr_store_get(struct sk *w)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/_committed", w->dir);
    FILE *f = fopen(p, "r");
    if (!f)
        return 0;
    unsigned long long e = 0;
    assert_int_equal(fscanf(f, "%llu", &e), 1);
    fclose(f);
    return e;
}

static void cr_store_set(struct sk *w, uint64_t e)
{
    char p[1024], tmp[1100];
    snprintf(p, sizeof(p), "%s/_committed", w->dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", p);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fprintf(f, "%llu\n", (unsigned long long)e);
    fclose(f);
    assert_int_equal(rename(tmp, p), 0);
}

/* Runs epochs from+1 .. CR_EPOCHS of the job on a sink recovered to `from`. */
static void cr_run(struct sk *w, uint64_t from)
{
    struct sl_sink *s = sk_sink(w);
    sk_recover(s, from);
    for (uint64_t e = from + 1; e <= CR_EPOCHS; e++) {
        int64_t base = (int64_t)(e - 1) * 30;
        sk_write(w, s, 0, base, e == 2 ? 30 : 20);
        if (e != 2)
            sk_write(w, s, 1, base + 20, 10);
        sk_prepare(w, s, 0, e);
        sk_prepare(w, s, 1, e);
        cr_store_set(w, e);
        sk_commit(s, e);
    }
    struct sl_error err;
    assert_int_equal(s->ops->close(s, &err), 0);
    s->ops->free(s);
}

struct cr_case {
    const char *spec;
    uint64_t committed;    /* what the commit store says after the crash */
    unsigned visible_rows; /* rows visible right after the crash, before recover */
};

/* Hits: prepare renames w0 e1, w1 e1, w0 e2, w0 e3, w1 e3; commit renames (in the order
 * of the prepares) w0 e1, w1 e1 | w0 e2 | w0 e3, w1 e3. */
static const struct cr_case cr_cases[] = {
    {"fs_sink.before_prepare_rename", 0, 0},
    {"fs_sink.before_prepare_rename@2", 0, 0},
    {"fs_sink.before_prepare_rename@3", 1, 30},
    {"fs_sink.before_prepare_rename@5", 2, 60},
    {"fs_sink.before_rename", 1, 0},
    {"fs_sink.after_rename", 1, 20},
    {"fs_sink.before_rename@2", 1, 20},
    {"fs_sink.after_rename@2", 1, 30},
    {"fs_sink.before_rename@3", 2, 30},
    {"fs_sink.after_rename@3", 2, 60},
    {"fs_sink.before_rename@4", 3, 60},
    {"fs_sink.before_rename@5", 3, 80},
    {"fs_sink.after_rename@5", 3, 90},
};

static void test_sink_crash_points(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cr_cases) / sizeof(cr_cases[0]); i++) {
        const struct cr_case *c = &cr_cases[i];
        struct sk w;
        sk_open(&w, "json", 2);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            setenv("SLUICE_CRASH_AT", c->spec, 1);
            sl_fault_reload();
            cr_run(&w, 0);
            _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 137)
            fail_msg("%s: the child did not exit with 137 (status 0x%x)", c->spec, status);
        uint64_t committed = cr_store_get(&w);
        if (committed != c->committed)
            fail_msg("%s: committed %llu, want %llu", c->spec, (unsigned long long)committed,
                     (unsigned long long)c->committed);
        static unsigned cnt[MAXK];
        sk_read(&w, cnt);
        unsigned seen = 0;
        for (int k = 0; k < MAXK; k++) {
            assert_true(cnt[k] <= 1);
            seen += cnt[k];
        }
        if (seen != c->visible_rows)
            fail_msg("%s: %u rows visible after the crash, want %u", c->spec, seen,
                     c->visible_rows);
        /* restart: recover to the committed epoch, run the rest of the job */
        cr_run(&w, committed);
        sk_expect(&w, CR_EPOCHS * 30);
        unsigned h, v;
        count_files(w.dir, &h, &v);
        assert_int_equal(h, 0);
        assert_int_equal(v, 5 + 1); /* 5 parts and _committed */
        sk_close(&w);
    }
    /* a crash point that is never reached: the child finishes, everything is visible */
    struct sk w;
    sk_open(&w, "json", 2);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("SLUICE_CRASH_AT", "fs_sink.after_rename@1000", 1);
        sl_fault_reload();
        cr_run(&w, 0);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(cr_store_get(&w), CR_EPOCHS);
    sk_expect(&w, CR_EPOCHS * 30);
    sk_close(&w);
}

/* ---- source -------------------------------------------------------------------------------- */

#define ALL_COLS                                                                 \
    "b BOOLEAN, i INT, l BIGINT, d DOUBLE, m DECIMAL(18, 4), n DECIMAL(5, 2),\n" \
    "t TIMESTAMP(3), s VARCHAR, r ROW<x BIGINT, y ROW<z VARCHAR>>, k BIGINT NOT NULL"

#define SRC_FILES 6 /* files written by the sink's workers (one writes nothing) */

struct src_world {
    char *dir;
    char fmt[8];
    struct sl_job *job;
    const struct sl_table *t;
    struct sl_connector_env env;
    struct sl_schema *schema;
    struct sl_json *json; /* row -> text, for comparisons */
};

/* Writes part files of random rows (quoted newlines for csv) with a sink of SRC_FILES
 * workers, worker 2 writing none, plus an empty file that sorts last. */
static void src_open(struct src_world *sw, const char *fmt, uint64_t seed)
{
    sw->dir = sl_ct_tmpdir();
    snprintf(sw->fmt, sizeof(sw->fmt), "%s", fmt);
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE f (" ALL_COLS ") WITH ('connector' = 'filesystem', 'path' = '%s',\n"
             " 'format' = '%s');",
             sw->dir, fmt);
    sw->job = sl_ct_job(sql);
    sw->t = sl_ct_table(sw->job, "f");
    sw->env = sl_ct_env(sw->job, stdout);
    sw->schema = sl_plan_rel_schema(&sw->t->physical);
    struct sl_error err;
    sw->json = sl_json_new(sw->schema, NULL, &err);
    assert_non_null(sw->json);
    struct sl_sink *sink;
    assert_int_equal(sl_sink_open(sw->t, &sw->env, SRC_FILES, &sink, &err), 0);
    uint64_t rs = seed;
    for (int wk = 0; wk < SRC_FILES; wk++) {
        if (wk == 2)
            continue;
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, wk, SRC_FILES, sw->job);
        struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, sw->schema, 1);
        int nb = 1 + (int)(sl_test_rand(&rs) % 4);
        for (int i = 0; i < nb; i++) {
            struct sl_batch *b = sl_batch_pool_get(pool);
            sl_iot_fill(b, 1 + (uint32_t)(sl_test_rand(&rs) % SL_BATCH_CAP), 20, &rs);
            assert_int_equal(sink->ops->write(sink, &c.ctx, b, &err), 0);
            sl_batch_pool_put(b);
        }
        assert_int_equal(sink->ops->flush(sink, &c.ctx, &err), 0);
        sl_batch_pool_free(pool);
        sl_ct_ctx_free(&c);
    }
    assert_int_equal(sink->ops->close(sink, &err), 0);
    sink->ops->free(sink);
    char name[32];
    snprintf(name, sizeof(name), "zz-empty.%s", fmt);
    touch(sw->dir, name, "");
}

static void src_close(struct src_world *sw)
{
    sl_json_free(sw->json);
    sl_schema_free(sw->schema);
    sl_job_free(sw->job);
    sl_ct_rmdir(sw->dir);
    free(sw->dir);
}

/* Text of every row read, per split (one JSON line per row). */
struct src_text {
    char *s[SRC_FILES];
    size_t len[SRC_FILES], cap[SRC_FILES];
};

static void text_free(struct src_text *t)
{
    for (int i = 0; i < SRC_FILES; i++)
        free(t->s[i]);
    memset(t, 0, sizeof(*t));
}

static void text_add(struct src_text *t, int split, const char *p, size_t n)
{
    assert_true(split >= 0 && split < SRC_FILES);
    if (t->len[split] + n + 1 > t->cap[split]) {
        t->cap[split] = 2 * (t->len[split] + n + 1);
        t->s[split] = realloc(t->s[split], t->cap[split]);
        assert_non_null(t->s[split]);
    }
    memcpy(t->s[split] + t->len[split], p, n);
    t->len[split] += n;
    t->s[split][t->len[split]++] = '\n';
}

/* Polls worker ctx of src at most `max` batches (until done); appends the rows' text.
 * Returns whether the worker is done. */
static bool src_poll(struct src_world *sw, struct sl_source *src, struct sl_ct_ctx *c,
                     struct sl_batch_pool *pool, long max, struct src_text *t)
{
    struct sl_fmt_out out;
    sl_fmt_out_init(&out);
    bool done = false;
    struct sl_error err;
    for (long i = 0; i < max && !done; i++) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        struct sl_source_info info;
        int rc = src->ops->poll(src, &c->ctx, b, 0, &info, &err);
        if (rc)
            fail_msg("%s", err.msg);
        if (b->rows) {
            assert_int_equal(info.split % c->ctx.nworkers, c->ctx.worker);
            sl_fmt_out_clear(&out);
            assert_int_equal(sl_json_encode(sw->json, b, &out, &err), 0);
            for (uint32_t r = 0; r < out.nrec; r++)
                text_add(t, info.split, sl_fmt_out_rec(&out, r), sl_fmt_out_rec_len(&out, r));
        }
        done = info.worker_done;
        sl_batch_pool_put(b);
    }
    sl_fmt_out_free(&out);
    return done;
}

static struct sl_source *src_new(struct src_world *sw, int nw)
{
    struct sl_source *src;
    struct sl_error err;
    int rc = sl_source_open(sw->t, &sw->env, nw, &src, &err);
    if (rc)
        fail_msg("%s", err.msg);
    return src;
}

/* Every worker polls k batches, saves; a fresh source restores and reads to the end. The
 * text of each split must equal `ref`'s. */
static void src_resume(struct src_world *sw, int nw, long k, const struct src_text *ref)
{
    struct src_text t = {0};
    struct sl_sbuf st[3], sum[3];
    struct sl_source *src = src_new(sw, nw);
    struct sl_error err;
    for (int wk = 0; wk < nw; wk++) {
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, wk, nw, sw->job);
        struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, sw->schema, 1);
        src_poll(sw, src, &c, pool, k, &t);
        sl_sbuf_init(&st[wk]);
        sl_sbuf_init(&sum[wk]);
        assert_int_equal(src->ops->save(src, wk, &st[wk], &sum[wk], &err), 0);
        /* summary: "<split>=<offset>" with the split one of this worker's, or nothing */
        if (sum[wk].len) {
            char text[64];
            assert_true(sum[wk].len < sizeof(text));
            memcpy(text, sum[wk].p, sum[wk].len);
            text[sum[wk].len] = 0;
            unsigned split;
            unsigned long long off;
            int used = 0;
            assert_int_equal(sscanf(text, "%u=%llu%n", &split, &off, &used), 2);
            assert_int_equal((size_t)used, sum[wk].len);
            assert_int_equal(split % (unsigned)nw, (unsigned)wk);
        }
        sl_batch_pool_free(pool);
        sl_ct_ctx_free(&c);
    }
    src->ops->free(src);
    src = src_new(sw, nw);
    for (int wk = 0; wk < nw; wk++) {
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, wk, nw, sw->job);
        struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, sw->schema, 1);
        struct sl_sread in;
        sl_sread_init(&in, st[wk].p, st[wk].len, "source f");
        int rc = src->ops->restore(src, &c.ctx, &in, &err);
        if (rc)
            fail_msg("%s", err.msg);
        assert_true(src_poll(sw, src, &c, pool, 1L << 30, &t));
        sl_batch_pool_free(pool);
        sl_ct_ctx_free(&c);
        sl_sbuf_free(&st[wk]);
        sl_sbuf_free(&sum[wk]);
    }
    src->ops->free(src);
    for (int f = 0; f < SRC_FILES; f++) {
        if (t.len[f] != ref->len[f] || (t.len[f] && memcmp(t.s[f], ref->s[f], t.len[f])))
            fail_msg("%s, %d workers, save after %ld batches: split %d differs (%zu bytes of "
                     "rows, want %zu)",
                     sw->fmt, nw, k, f, t.len[f], ref->len[f]);
    }
    text_free(&t);
}

static void src_resume_fmt(const char *fmt, uint64_t seed)
{
    struct src_world sw;
    src_open(&sw, fmt, seed);
    for (int nw = 1; nw <= 3; nw++) {
        struct src_text ref = {0};
        struct sl_source *src = src_new(&sw, nw);
        for (int wk = 0; wk < nw; wk++) {
            struct sl_ct_ctx c;
            sl_ct_ctx_init(&c, wk, nw, sw.job);
            struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, sw.schema, 1);
            assert_true(src_poll(&sw, src, &c, pool, 1L << 30, &ref));
            sl_batch_pool_free(pool);
            sl_ct_ctx_free(&c);
        }
        src->ops->free(src);
        for (int f = 0; f < SRC_FILES; f++) /* 5 part files, then the empty one */
            assert_true(f == SRC_FILES - 1 ? !ref.len[f] : ref.len[f] > 0);
        static const long ks[] = {0, 1, 2, 3, 4, 5, 7, 9, 13, 1000};
        for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++)
            src_resume(&sw, nw, ks[i], &ref);
        text_free(&ref);
    }
    src_close(&sw);
}

static void test_source_resume(void **state)
{
    (void)state;
    src_resume_fmt("json", 11);
    src_resume_fmt("csv", 12);
    src_resume_fmt("raw", 13);
}

/* Saved state of worker 0 of 1 after `k` polls, into st. */
static void src_state(struct src_world *sw, long k, struct sl_sbuf *st)
{
    struct src_text t = {0};
    struct sl_source *src = src_new(sw, 1);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, sw->job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, sw->schema, 1);
    src_poll(sw, src, &c, pool, k, &t);
    struct sl_sbuf sum;
    sl_sbuf_init(&sum);
    sl_sbuf_init(st);
    struct sl_error err;
    assert_int_equal(src->ops->save(src, 0, st, &sum, &err), 0);
    sl_sbuf_free(&sum);
    src->ops->free(src);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    text_free(&t);
}

/* Truncated state is SL_ECORRUPT; bit-flipped state is SL_ECORRUPT or, when it still makes
 * sense (an offset that moved inside its file), accepted - never a crash, and the source
 * then reads on without crashing. */
static void test_source_corrupt_state(void **state)
{
    (void)state;
    struct src_world sw;
    src_open(&sw, "json", 21);
    struct sl_sbuf st;
    src_state(&sw, 1, &st);
    struct sl_source *src = src_new(&sw, 1);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, sw.job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, sw.schema, 1);
    struct sl_error err;
    for (size_t n = 0; n < st.len; n++) {
        struct sl_sread in;
        sl_sread_init(&in, st.p, n, "source f");
        assert_int_equal(src->ops->restore(src, &c.ctx, &in, &err), SL_ECORRUPT);
        assert_non_null(strstr(err.msg, "source f"));
    }
    { /* trailing bytes */
        uint8_t *more = malloc(st.len + 1);
        memcpy(more, st.p, st.len);
        more[st.len] = 0;
        struct sl_sread in;
        sl_sread_init(&in, more, st.len + 1, "source f");
        assert_int_equal(src->ops->restore(src, &c.ctx, &in, &err), SL_ECORRUPT);
        free(more);
    }
    uint8_t *flip = malloc(st.len);
    unsigned accepted = 0;
    for (size_t i = 0; i < st.len; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(flip, st.p, st.len);
            flip[i] ^= (uint8_t)(1u << bit);
            struct sl_sread in;
            sl_sread_init(&in, flip, st.len, "source f");
            int rc = src->ops->restore(src, &c.ctx, &in, &err);
            if (rc) {
                assert_int_equal(rc, SL_ECORRUPT);
                continue;
            }
            accepted++;
            /* read on: bad records (an offset inside a record) fail the poll, no crash */
            for (int p = 0; p < 100000; p++) {
                struct sl_batch *b = sl_batch_pool_get(pool);
                struct sl_source_info info;
                rc = src->ops->poll(src, &c.ctx, b, 0, &info, &err);
                sl_batch_pool_put(b);
                if (rc || info.worker_done)
                    break;
            }
        }
    /* only bits of the offset and file index may pass; names, sizes, counts never */
    assert_true(accepted < 8 * 16);
    free(flip);
    /* the intact state still restores */
    struct sl_sread in;
    sl_sread_init(&in, st.p, st.len, "source f");
    assert_int_equal(src->ops->restore(src, &c.ctx, &in, &err), 0);
    src->ops->free(src);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    sl_sbuf_free(&st);
    src_close(&sw);
}

static int src_restore_err(struct src_world *sw, const struct sl_sbuf *st, struct sl_error *err)
{
    struct sl_source *src = src_new(sw, 1);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, sw->job);
    struct sl_sread in;
    sl_sread_init(&in, st->p, st->len, "source f");
    int rc = src->ops->restore(src, &c.ctx, &in, err);
    src->ops->free(src);
    sl_ct_ctx_free(&c);
    return rc;
}

/* A restore against files that changed is refused, naming the file. */
static void test_source_files_changed(void **state)
{
    (void)state;
    struct src_world sw;
    src_open(&sw, "csv", 31);
    struct sl_sbuf st;
    src_state(&sw, 1, &st);
    struct sl_error err;
    assert_int_equal(src_restore_err(&sw, &st, &err), 0);
    char p[1024], q[1024];
    /* a new file that sorts first */
    touch(sw.dir, "aaa.csv", "1\n");
    assert_int_equal(src_restore_err(&sw, &st, &err), SL_ECORRUPT);
    if (!strstr(err.msg, "aaa.csv"))
        fail_msg("%s", err.msg);
    snprintf(p, sizeof(p), "%s/aaa.csv", sw.dir);
    unlink(p);
    /* a new file that sorts last */
    touch(sw.dir, "zzz.csv", "1\n");
    assert_int_equal(src_restore_err(&sw, &st, &err), SL_ECORRUPT);
    if (!strstr(err.msg, "zzz.csv"))
        fail_msg("%s", err.msg);
    snprintf(p, sizeof(p), "%s/zzz.csv", sw.dir);
    unlink(p);
    /* a file that grew */
    snprintf(p, sizeof(p), "%s/part-1-0.csv", sw.dir);
    FILE *f = fopen(p, "ab");
    assert_non_null(f);
    fputs("x\n", f);
    fclose(f);
    assert_int_equal(src_restore_err(&sw, &st, &err), SL_ECORRUPT);
    if (!strstr(err.msg, "part-1-0.csv") || !strstr(err.msg, "changed"))
        fail_msg("%s", err.msg);
    /* a file that went (renamed away) */
    snprintf(q, sizeof(q), "%s/.gone", sw.dir);
    assert_int_equal(rename(p, q), 0);
    assert_int_equal(src_restore_err(&sw, &st, &err), SL_ECORRUPT);
    if (!strstr(err.msg, "part-1-0.csv"))
        fail_msg("%s", err.msg);
    sl_sbuf_free(&st);
    src_close(&sw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sink_epochs),          cmocka_unit_test(test_sink_recover),
        cmocka_unit_test(test_sink_commit_fault),    cmocka_unit_test(test_sink_no_checkpoints),
        cmocka_unit_test(test_sink_rolling),         cmocka_unit_test(test_sink_commit_race),
        cmocka_unit_test(test_sink_crash_points),    cmocka_unit_test(test_source_resume),
        cmocka_unit_test(test_source_corrupt_state), cmocka_unit_test(test_source_files_changed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
