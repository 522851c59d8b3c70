/*
 * tests/engine/test_fs_partition.c - PARTITIONED BY filesystem tables
 * (engine/conn/fs_partition.c and the partitioned source in filesystem.c).
 *
 * Escaping (Flink's PartitionPathUtils.escapePathName: the set of characters, %XX upper
 * case) and its inverse; the folder layout of a sink without checkpoints (nested in the
 * PARTITIONED BY order, NULL and empty values in 'partition.default-name', the partition
 * columns not in the files, _SUCCESS files at the end); reading it back through the source
 * (partition columns typed from the folder names); the partition-time trigger driven by the
 * workers' watermarks at checkpoints ('$dt $hm:00', delay 1 min: a partition commits only
 * once the checkpoint's watermark passes its time + delay, every partition at the end of
 * input); the process-time trigger (a delay, waited for, never timed); rolling by file size
 * within an epoch; recover after a crash (pending parts of committed and uncommitted epochs,
 * a partition whose success file the crash prevented committed again).
 */
#include "tests/util/testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/conn/fs_partition.h"
#include "engine/conn/registry.h"
#include "engine/core/datetime.h"
#include "tests/util/conntest.h"

static bool exists(const char *dir, const char *rel)
{
    char p[2048];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    struct stat st;
    return stat(p, &st) == 0;
}

static char *slurp(const char *dir, const char *rel)
{
    char p[2048];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    FILE *f = fopen(p, "rb");
    if (!f)
        fail_msg("no file %s", p);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Names in dir/rel (not . ..) joined by ' ', sorted. */
static char *listing(const char *dir, const char *rel)
{
    char p[2048];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    DIR *d = opendir(p);
    if (!d)
        fail_msg("no folder %s", p);
    char *names[256];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            names[n++] = strdup(de->d_name);
    closedir(d);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[j], names[i]) < 0) {
                char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    static char out[8192];
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(out, " ");
        strcat(out, names[i]);
        free(names[i]);
    }
    return out;
}

/* ---- escaping ------------------------------------------------------------------------------ */

static void test_escape(void **state)
{
    (void)state;
    char out[256];
    const char in[] = "a/b:c=d%e?f*g\"h#i'j\\k{l[m]n^o\x01p\x7fq r.s-t_u\xc3\xa9";
    size_t n = sl_fsp_escape(in, strlen(in), out);
    out[n] = 0;
    assert_string_equal(out, "a%2Fb%3Ac%3Dd%25e%3Ff%2Ag%22h%23i%27j%5Ck%7Bl%5Bm%5Dn%5Eo%01p%7Fq "
                             "r.s-t_u\xc3\xa9");
    assert_int_equal(sl_fsp_unescape(out, n), strlen(in));
    assert_string_equal(out, in);
    assert_int_equal(sl_fsp_escape("", 0, out), 0);
    char bad[] = "100%-%4";
    assert_int_equal(sl_fsp_unescape(bad, strlen(bad)), 7); /* no hex pair: kept */
    assert_string_equal(bad, "100%-%4");
}

/* ---- a sink's world ------------------------------------------------------------------------ */

struct pw {
    char *dir;
    struct sl_job *job;
    const struct sl_table *t;
    struct sl_connector_env env;
    struct sl_schema *schema;
    struct sl_sink *sink;
};

/* Table f (k BIGINT, dt STRING, s STRING, hm STRING) PARTITIONED BY (dt, hm), json, with
 * the extra options `opts` (", 'key' = 'value'..."). */
static void pw_open(struct pw *w, const char *opts, bool ckpt)
{
    w->dir = sl_ct_tmpdir();
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE f (k BIGINT, dt STRING, s STRING, hm STRING) PARTITIONED BY (dt, hm) "
             "WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'json'%s);",
             w->dir, opts);
    w->job = sl_ct_job(sql);
    w->t = sl_ct_table(w->job, "f");
    w->env = sl_ct_env(w->job, stdout);
    w->env.checkpoints = ckpt;
    w->schema = sl_plan_rel_schema(&w->t->physical);
    struct sl_error err;
    if (sl_sink_open(w->t, &w->env, 1, &w->sink, &err))
        fail_msg("%s", err.msg);
}

static void pw_close(struct pw *w)
{
    if (w->sink)
        w->sink->ops->free(w->sink);
    sl_schema_free(w->schema);
    sl_job_free(w->job);
    sl_ct_rmdir(w->dir);
    free(w->dir);
}

/* Writes rows (k, dt, s, hm), NULL for a NULL value, in batches of up to SL_BATCH_CAP. */
struct row {
    int64_t k;
    const char *dt, *s, *hm;
};

static void pw_write(struct pw *w, const struct row *rows, int n)
{
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, w->job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, w->schema, 1);
    struct sl_error err;
    for (int i = 0; i < n;) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        while (b->rows < SL_BATCH_CAP && i < n) {
            uint32_t r = b->rows++;
            const struct row *x = &rows[i++];
            sl_col_i64(&b->cols[0])[r] = x->k;
            const char *v[3] = {x->dt, x->s, x->hm};
            for (int c2 = 0; c2 < 3; c2++) {
                struct sl_column *col = &b->cols[c2 + 1];
                if (!v[c2])
                    sl_col_set_null(col, r, true);
                else
                    sl_col_str(col)[r] = sl_batch_str(b, v[c2], (uint32_t)strlen(v[c2]));
            }
        }
        if (w->sink->ops->write(w->sink, &c.ctx, b, &err))
            fail_msg("write: %s", err.msg);
        sl_batch_pool_put(b);
    }
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
}

static void pw_watermark(struct pw *w, const char *ts)
{
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, w->job);
    int64_t ms = INT64_MAX;
    const char *why;
    if (strcmp(ts, "max") != 0)
        assert_int_equal(sl_dt_parse(ts, strlen(ts), &ms, &why), 0);
    struct sl_error err;
    assert_non_null(w->sink->ops->watermark);
    assert_int_equal(w->sink->ops->watermark(w->sink, &c.ctx, ms, &err), 0);
    sl_ct_ctx_free(&c);
}

static void pw_flush(struct pw *w)
{
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, w->job);
    struct sl_error err;
    if (w->sink->ops->flush(w->sink, &c.ctx, &err))
        fail_msg("flush: %s", err.msg);
    sl_ct_ctx_free(&c);
}

static void pw_checkpoint(struct pw *w, uint64_t epoch)
{
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, w->job);
    struct sl_error err;
    if (w->sink->ops->prepare(w->sink, &c.ctx, epoch, &err))
        fail_msg("prepare: %s", err.msg);
    if (w->sink->ops->commit(w->sink, epoch, &err))
        fail_msg("commit: %s", err.msg);
    sl_ct_ctx_free(&c);
}

/* ---- layout -------------------------------------------------------------------------------- */

static void test_layout(void **state)
{
    (void)state;
    struct pw w = {0};
    pw_open(&w, ", 'sink.partition-commit.policy.kind' = 'success-file'", false);
    const struct row rows[] = {
        {1, "2024-01-01", "a", "10:00"},
        {2, "2024-01-01", "b", "10:01"},
        {3, NULL, "c", "x"},
        {4, "", "d", "x"},
        {5, "a/b=c", "e", "%"},
        {6, "2024-01-01", "f", "10:00"},
    };
    pw_write(&w, rows, 6);
    pw_flush(&w);
    struct sl_error err;
    assert_int_equal(w.sink->ops->close(w.sink, &err), 0);
    assert_string_equal(listing(w.dir, ""), "dt=2024-01-01 dt=__DEFAULT_PARTITION__ dt=a%2Fb%3Dc");
    assert_string_equal(listing(w.dir, "dt=2024-01-01"), "hm=10%3A00 hm=10%3A01");
    assert_string_equal(listing(w.dir, "dt=2024-01-01/hm=10%3A00"), "_SUCCESS part-0-0.json");
    /* the partition columns are not in the files */
    assert_string_equal(slurp(w.dir, "dt=2024-01-01/hm=10%3A00/part-0-0.json"),
                        "{\"k\":1,\"s\":\"a\"}\n{\"k\":6,\"s\":\"f\"}\n");
    assert_string_equal(slurp(w.dir, "dt=__DEFAULT_PARTITION__/hm=x/part-0-0.json"),
                        "{\"k\":3,\"s\":\"c\"}\n{\"k\":4,\"s\":\"d\"}\n");
    assert_string_equal(slurp(w.dir, "dt=a%2Fb%3Dc/hm=%25/part-0-0.json"),
                        "{\"k\":5,\"s\":\"e\"}\n");

    /* read back: the partition columns from the folders (NULL from the default name) */
    struct sl_source *src;
    assert_int_equal(sl_source_open(w.t, &w.env, 1, &src, &err), 0);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, w.job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, w.schema, 1);
    bool seen[7] = {0};
    for (bool done = false; !done;) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        struct sl_source_info info;
        if (src->ops->poll(src, &c.ctx, b, 0, &info, &err))
            fail_msg("%s", err.msg);
        for (uint32_t r = 0; r < b->rows; r++) {
            int64_t k = sl_col_i64(&b->cols[0])[r];
            assert_true(k >= 1 && k <= 6);
            const struct row *x = &rows[k - 1];
            seen[k] = true;
            struct sl_column *dt = &b->cols[1], *hm = &b->cols[3];
            if (!x->dt || !*x->dt) {
                assert_true(sl_col_is_null(dt, r));
            } else {
                sl_str v = sl_col_str(dt)[r];
                assert_int_equal(v.len, strlen(x->dt));
                assert_memory_equal(sl_str_data(&v), x->dt, v.len);
            }
            sl_str v = sl_col_str(hm)[r];
            assert_int_equal(v.len, strlen(x->hm));
            assert_memory_equal(sl_str_data(&v), x->hm, v.len);
            v = sl_col_str(&b->cols[2])[r];
            assert_memory_equal(sl_str_data(&v), x->s, 1);
        }
        done = info.worker_done;
        sl_batch_pool_put(b);
    }
    for (int k = 1; k <= 6; k++)
        assert_true(seen[k]);
    src->ops->free(src);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    pw_close(&w);
}

/* ---- commit triggers ----------------------------------------------------------------------- */

static void test_partition_time(void **state)
{
    (void)state;
    struct pw w = {0};
    pw_open(&w,
            ", 'sink.partition-commit.trigger' = 'partition-time', "
            "'partition.time-extractor.timestamp-pattern' = '$dt $hm:00', "
            "'sink.partition-commit.delay' = '1 min', "
            "'sink.partition-commit.policy.kind' = 'success-file'",
            true);
    struct sl_error err;
    assert_int_equal(w.sink->ops->recover(w.sink, 0, &err), 0);
    const struct row r1[] = {{1, "2024-01-01", "a", "10:00"}, {2, "2024-01-01", "b", "10:01"}};
    pw_write(&w, r1, 2);
    pw_watermark(&w, "2024-01-01 10:00:59");
    pw_checkpoint(&w, 1);
    /* visible, not committed: the watermark is not past 10:00 + 1 min */
    assert_true(exists(w.dir, "dt=2024-01-01/hm=10%3A00/part-0-0000000001.json"));
    assert_false(exists(w.dir, "dt=2024-01-01/hm=10%3A00/_SUCCESS"));
    pw_watermark(&w, "2024-01-01 10:01:00");
    pw_checkpoint(&w, 2); /* equal is not past */
    assert_false(exists(w.dir, "dt=2024-01-01/hm=10%3A00/_SUCCESS"));
    const struct row r2[] = {{3, "2024-01-01", "c", "10:02"}};
    pw_write(&w, r2, 1);
    pw_watermark(&w, "2024-01-01 10:01:00.001");
    /* the rows are not committed yet: no success file before the checkpoint */
    assert_false(exists(w.dir, "dt=2024-01-01/hm=10%3A00/_SUCCESS"));
    pw_checkpoint(&w, 3);
    assert_true(exists(w.dir, "dt=2024-01-01/hm=10%3A00/_SUCCESS"));
    assert_false(exists(w.dir, "dt=2024-01-01/hm=10%3A01/_SUCCESS"));
    assert_false(exists(w.dir, "dt=2024-01-01/hm=10%3A02/_SUCCESS"));
    /* the end of the input commits the rest, whatever the watermark */
    pw_flush(&w);
    pw_checkpoint(&w, 4);
    assert_true(exists(w.dir, "dt=2024-01-01/hm=10%3A01/_SUCCESS"));
    assert_true(exists(w.dir, "dt=2024-01-01/hm=10%3A02/_SUCCESS"));
    assert_int_equal(w.sink->ops->close(w.sink, &err), 0);
    pw_close(&w);
}

static void test_process_time(void **state)
{
    (void)state;
    struct pw w = {0};
    pw_open(&w,
            ", 'sink.partition-commit.delay' = '200 ms', "
            "'sink.partition-commit.policy.kind' = 'success-file', "
            "'sink.partition-commit.success-file.name' = '_DONE'",
            true);
    struct sl_error err;
    assert_int_equal(w.sink->ops->recover(w.sink, 0, &err), 0);
    const struct row r1[] = {{1, "d", "a", "h"}};
    pw_write(&w, r1, 1);
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    pw_checkpoint(&w, 1);
    uint64_t e = 1;
    /* no commit until the delay passed since the partition's first checkpoint: checkpoints
     * keep coming until the success file appears; it must not appear earlier */
    for (;;) {
        pw_checkpoint(&w, ++e);
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        int64_t el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (exists(w.dir, "dt=d/hm=h/_DONE")) {
            assert_true(el >= 200 - 1); /* never before the delay (ms clock granularity) */
            break;
        }
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    assert_false(exists(w.dir, "dt=d/hm=h/_SUCCESS"));
    assert_int_equal(w.sink->ops->close(w.sink, &err), 0);
    pw_close(&w);
}

/* ---- grouping a batch by partition --------------------------------------------------------- */

/* Rows of several partitions interleaved: each folder's file holds its rows in input order
 * (whatever the batch boundaries); NULL, '' and the default name itself are one folder, as
 * in Flink's PartitionPathUtils.generatePartitionPath (a NULL or empty value is the default
 * name, any other value is escaped: __DEFAULT_PARTITION__ needs no escaping). */
static void test_grouping(void **state)
{
    (void)state;
    struct pw w = {0};
    pw_open(&w, "", false);
    const struct row r[] = {{1, "a", "x", "h1"}, {2, "b", "y", "h1"},
                            {3, "a", "z", NULL}, {4, "a", "w", "__DEFAULT_PARTITION__"},
                            {5, "a", "v", ""},   {6, "a", "u", "h1"},
                            {7, "b", "t", "h1"}, {8, "a", "q", NULL}};
    pw_write(&w, r, 8);
    struct sl_error err;
    assert_int_equal(w.sink->ops->close(w.sink, &err), 0);
    assert_string_equal(listing(w.dir, "dt=a"), "hm=__DEFAULT_PARTITION__ hm=h1");
    assert_string_equal(slurp(w.dir, "dt=a/hm=h1/part-0-0.json"),
                        "{\"k\":1,\"s\":\"x\"}\n{\"k\":6,\"s\":\"u\"}\n");
    assert_string_equal(slurp(w.dir, "dt=a/hm=__DEFAULT_PARTITION__/part-0-0.json"),
                        "{\"k\":3,\"s\":\"z\"}\n{\"k\":4,\"s\":\"w\"}\n"
                        "{\"k\":5,\"s\":\"v\"}\n{\"k\":8,\"s\":\"q\"}\n");
    assert_string_equal(slurp(w.dir, "dt=b/hm=h1/part-0-0.json"),
                        "{\"k\":2,\"s\":\"y\"}\n{\"k\":7,\"s\":\"t\"}\n");
    pw_close(&w);
}

/* ---- rolling ------------------------------------------------------------------------------- */

static void test_rolling(void **state)
{
    (void)state;
    struct pw w = {0};
    pw_open(&w, ", 'sink.rolling-policy.file-size' = '1'", true);
    struct sl_error err;
    assert_int_equal(w.sink->ops->recover(w.sink, 0, &err), 0);
    const struct row r[] = {{1, "d", "a", "h"}, {2, "d", "b", "h"}, {3, "d", "c", "h"}};
    for (int i = 0; i < 3; i++)
        pw_write(&w, &r[i], 1);
    /* every write rolled its file: pending until the checkpoint */
    assert_string_equal(listing(w.dir, "dt=d/hm=h"),
                        ".part-0-0000000001-1.json.pending .part-0-0000000001-2.json.pending "
                        ".part-0-0000000001.json.pending");
    pw_checkpoint(&w, 1);
    assert_string_equal(listing(w.dir, "dt=d/hm=h"),
                        "part-0-0000000001-1.json part-0-0000000001-2.json part-0-0000000001.json");
    assert_string_equal(slurp(w.dir, "dt=d/hm=h/part-0-0000000001-2.json"),
                        "{\"k\":3,\"s\":\"c\"}\n");
    assert_int_equal(w.sink->ops->close(w.sink, &err), 0);
    pw_close(&w);
}

/* ---- recovery ------------------------------------------------------------------------------ */

static void test_recover(void **state)
{
    (void)state;
    struct pw w = {0};
    const char *opts = ", 'sink.partition-commit.policy.kind' = 'success-file'";
    pw_open(&w, opts, true);
    struct sl_error err;
    assert_int_equal(w.sink->ops->recover(w.sink, 0, &err), 0);
    const struct row r1[] = {{1, "d", "a", "1"}};
    pw_write(&w, r1, 1);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, w.job);
    assert_int_equal(w.sink->ops->prepare(w.sink, &c.ctx, 1, &err), 0); /* pending, epoch 1 */
    const struct row r2[] = {{2, "d", "b", "2"}, {3, "d", "c", "1"}};
    pw_write(&w, r2, 2);
    assert_int_equal(w.sink->ops->prepare(w.sink, &c.ctx, 2, &err), 0); /* pending, epoch 2 */
    const struct row r3[] = {{4, "d", "d", "3"}};
    pw_write(&w, r3, 1); /* in progress */
    sl_ct_ctx_free(&c);
    /* the process dies here: epoch 1 was committed in the store, its rename never done */
    w.sink->ops->free(w.sink);
    w.sink = NULL;
    assert_true(exists(w.dir, "dt=d/hm=1/.part-0-0000000001.json.pending"));
    assert_true(exists(w.dir, "dt=d/hm=2/.part-0-0000000002.json.pending"));
    struct sl_error e2;
    assert_int_equal(sl_sink_open(w.t, &w.env, 1, &w.sink, &e2), 0);
    assert_int_equal(w.sink->ops->recover(w.sink, 1, &err), 0);
    assert_string_equal(listing(w.dir, "dt=d/hm=1"), "part-0-0000000001.json");
    assert_string_equal(listing(w.dir, "dt=d/hm=2"), "");
    assert_string_equal(listing(w.dir, "dt=d/hm=3"), "");
    /* the restored job writes epoch 2's rows again; the partition recover found without a
     * success file commits with the next checkpoint (process-time, no delay) */
    pw_write(&w, r2, 2);
    pw_checkpoint(&w, 2);
    assert_string_equal(listing(w.dir, "dt=d/hm=1"),
                        "_SUCCESS part-0-0000000001.json part-0-0000000002.json");
    assert_string_equal(listing(w.dir, "dt=d/hm=2"), "_SUCCESS part-0-0000000002.json");
    assert_int_equal(w.sink->ops->close(w.sink, &err), 0);
    w.sink->ops->free(w.sink);
    /* a visible part of an epoch the store does not know: refused, nothing changed */
    assert_int_equal(sl_sink_open(w.t, &w.env, 1, &w.sink, &e2), 0);
    assert_int_equal(w.sink->ops->recover(w.sink, 1, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "part-0-0000000002.json"));
    assert_true(exists(w.dir, "dt=d/hm=1/part-0-0000000002.json"));
    pw_close(&w);
}

/* ---- errors -------------------------------------------------------------------------------- */

static void test_option_errors(void **state)
{
    (void)state;
    static const struct {
        const char *opts, *want;
    } cases[] = {
        {", 'sink.partition-commit.trigger' = 'later'", "sink.partition-commit.trigger"},
        {", 'sink.partition-commit.delay' = 'soon'", "not a duration"},
        {", 'sink.partition-commit.watermark-time-zone' = 'Asia/Shanghai'", "only 'UTC'"},
        {", 'sink.partition-commit.policy.kind' = 'metastore'", "policy 'metastore'"},
        {", 'sink.partition-commit.trigger' = 'partition-time', "
         "'partition.time-extractor.timestamp-pattern' = '$day'",
         "names no partition column"},
        {", 'sink.rolling-policy.file-size' = 'big'", "not a size"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *dir = sl_ct_tmpdir();
        char sql[2048];
        snprintf(sql, sizeof(sql),
                 "CREATE TABLE f (k BIGINT, dt STRING) PARTITIONED BY (dt) WITH ('connector' = "
                 "'filesystem', 'path' = '%s', 'format' = 'json'%s);",
                 dir, cases[i].opts);
        struct sl_job *job = sl_ct_job(sql);
        struct sl_connector_env env = sl_ct_env(job, stdout);
        struct sl_sink *s;
        struct sl_error err;
        assert_true(sl_sink_open(sl_ct_table(job, "f"), &env, 1, &s, &err) < 0);
        if (!strstr(err.msg, cases[i].want))
            fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, cases[i].want);
        assert_non_null(strstr(err.msg, "t.sql:1:"));
        sl_job_free(job);
        sl_ct_rmdir(dir);
        free(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),         cmocka_unit_test(test_layout),
        cmocka_unit_test(test_partition_time), cmocka_unit_test(test_process_time),
        cmocka_unit_test(test_grouping),       cmocka_unit_test(test_rolling),
        cmocka_unit_test(test_recover),        cmocka_unit_test(test_option_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
