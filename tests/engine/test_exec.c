/*
 * tests/engine/test_exec.c - the executor in-process at several workers: what its threads
 * share. Small on purpose: the ThreadSanitizer build runs it on every test run, and every
 * case here is a place where threads meet.
 *
 *   - a run stopped from another thread through sl_exec_opts.stop while the workers poll
 *     (the flag a signal handler sets in `sluice run`);
 *   - the progress line: the monitor thread reads every worker's counters while the workers
 *     count rows;
 *   - a window aggregation at 1, 2 and 3 workers (partial tables and watermarks exchanged
 *     through the rings) gives the same rows;
 *   - the same at 2 workers with checkpoints every few milliseconds into an exactly-once
 *     filesystem sink (barriers through the rings; the coordinator on the monitor thread
 *     committing the sink's part files while the workers write the next epoch's; one
 *     snapshot thread per worker), with the file commit store, then with a ZooKeeper
 *     server (the client library's threads; skipped without Java), each time followed by
 *     a second run of the job, which is refused as finished.
 */
#include "tests/util/testutil.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/exec/exec.h"
#include "engine/sql/binder.h"
#include "tests/util/zkserver.h"

/* tests/sql/nexmark_gen.sql's table (the generator's columns), and docs' bid view. The
 * per-event generator: its events are the same at every worker count, which the window
 * exchange test compares (the splittable default splits the stream per worker, as Flink). */
#define NEXMARK_DDL                                                                          \
    "CREATE TABLE datagen (\n"                                                               \
    "  event_type INT,\n"                                                                    \
    "  person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR,\n"      \
    "             city VARCHAR, state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR>,\n"   \
    "  auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,\n"   \
    "              reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3),\n"         \
    "              seller BIGINT, category BIGINT, extra VARCHAR>,\n"                        \
    "  bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,\n" \
    "          `dateTime` TIMESTAMP(3), extra VARCHAR>,\n"                                   \
    "  `dateTime` AS CASE WHEN event_type = 0 THEN person.`dateTime`\n"                      \
    "                     WHEN event_type = 1 THEN auction.`dateTime`\n"                     \
    "                     ELSE bid.`dateTime` END,\n"                                        \
    "  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND\n"                       \
    ") WITH (\n"                                                                             \
    "  'connector' = 'nexmark', 'first-event.rate' = '${TPS}',\n"                            \
    "  'next-event.rate' = '${TPS}', 'events.num' = '${EVENTS}',\n"                          \
    "  'sluice.base-time' = '1700000000000', 'max-emit-speed' = '${FAST}',\n"                \
    "  'sluice.rng' = 'per-event'\n"                                                         \
    ");\n"                                                                                   \
    "CREATE VIEW bid AS SELECT bid.auction, bid.price, `dateTime` FROM datagen\n"            \
    "  WHERE event_type = 2;\n"

static const char stats_sql[] = NEXMARK_DDL
    "CREATE TABLE out_t (auction BIGINT, window_start TIMESTAMP(3), bids BIGINT,\n"
    "  total BIGINT, top BIGINT) WITH (${SINK});\n"
    "INSERT INTO out_t SELECT auction, window_start, COUNT(*), SUM(price), MAX(price)\n"
    "FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '500' MILLISECOND))\n"
    "GROUP BY auction, window_start, window_end;\n";

static const char pass_sql[] = NEXMARK_DDL
    "CREATE TABLE out_t (auction BIGINT, price BIGINT) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO out_t SELECT auction, price FROM bid;\n";

/* `sink`: the WITH options of stats_sql's sink table; `paced`: the generator emits at `tps`
 * events per second of wall time (else as fast as it can; the rows are the same). */
static struct sl_job *job_of(const char *sql, const char *tps, const char *events, const char *sink,
                             bool paced)
{
    struct sl_sql_param params[] = {
        {"TPS", tps}, {"EVENTS", events}, {"SINK", sink}, {"FAST", paced ? "false" : "true"}};
    struct sl_error err;
    struct sl_job *job = sl_job_from_sql("t.sql", sql, strlen(sql), params, 4, &err);
    if (!job)
        fail_msg("%s", err.msg);
    return job;
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The print sink's output, its lines sorted (the order of the workers' rows is free) and
 * without the "N> " prefix that names the worker when there are several (as Flink's). */
static char *sorted(char *text, size_t *nlines)
{
    size_t n = 0, cap = 64;
    char **lines = malloc(cap * sizeof(*lines));
    assert_non_null(lines);
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *gt = l + strspn(l, "0123456789");
        if (gt > l && gt[0] == '>' && gt[1] == ' ')
            l = gt + 2;
        if (n == cap) {
            cap *= 2;
            lines = realloc(lines, cap * sizeof(*lines));
            assert_non_null(lines);
        }
        lines[n++] = l;
    }
    qsort(lines, n, sizeof(*lines), cmp_lines);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(lines[i]) + 1;
    char *out = malloc(len + 1), *p = out;
    assert_non_null(out);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s\n", lines[i]);
    *p = '\0';
    free(lines);
    *nlines = n;
    return out;
}

/* Appends every visible file of `dir` to `f` (the filesystem sink's committed parts). */
static void cat_visible(const char *dir, FILE *f)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[600], buf[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        FILE *in = fopen(path, "r");
        assert_non_null(in);
        size_t k;
        while ((k = fread(buf, 1, sizeof(buf), in)) > 0)
            fwrite(buf, 1, k, f);
        fclose(in);
    }
    closedir(d);
}

/* The tumble query's input: 6000 events, 2 s of event time. */
#define STATS_TPS "3000"
#define STATS_EVENTS "6000"

/* Runs the tumble query at `workers` into the print sink, or with `out_dir` into the
 * filesystem sink there; returns its sorted output and fills *sum. Paced when it takes
 * checkpoints: 2 s of wall time, so that epochs are taken while rows flow. */
static char *run_stats(int workers, const struct sl_ckpt_opts *ck, const char *out_dir,
                       struct sl_exec_summary *sum)
{
    char sink[700];
    if (out_dir)
        snprintf(sink, sizeof(sink), "'connector' = 'filesystem', 'path' = '%s', 'format' = 'csv'",
                 out_dir);
    else
        snprintf(sink, sizeof(sink), "'connector' = 'print'");
    struct sl_job *job = job_of(stats_sql, STATS_TPS, STATS_EVENTS, sink, ck != NULL);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    struct sl_exec_opts o = {.workers = workers, .print_out = f, .ckpt = ck};
    struct sl_error err;
    int rc = sl_exec_run(job, &o, sum, &err);
    if (rc)
        fail_msg("%d workers: %s", workers, err.msg);
    if (out_dir)
        cat_visible(out_dir, f);
    fclose(f);
    sl_job_free(job);
    size_t n;
    char *s = sorted(text, &n);
    free(text);
    assert_int_equal(n, sum->rows_out);
    return s;
}

/* ---- stop ---------------------------------------------------------------------------------- */

struct stopper {
    _Atomic int *stop;
    int after_ms;
};

static void *stopper_main(void *arg)
{
    struct stopper *s = arg;
    struct timespec ts = {s->after_ms / 1000, (long)(s->after_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    atomic_store(s->stop, 1);
    return NULL;
}

/* An unbounded source at 2 workers, stopped from another thread while they run; the
 * progress line on (the monitor reads the counters the workers write). */
static void test_stop_from_another_thread(void **state)
{
    (void)state;
    struct sl_job *job = job_of(pass_sql, "200000", "0", "", false); /* events.num 0: no end */
    _Atomic int stop = 0;
    struct stopper s = {&stop, 1200};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stopper_main, &s), 0);
    /* the progress line goes to stderr, a few lines in the test's log */
    struct sl_exec_opts o = {.workers = 2, .stop = &stop, .progress = true};
    struct sl_exec_summary sum;
    struct sl_error err;
    int rc = sl_exec_run(job, &o, &sum, &err);
    pthread_join(t, NULL);
    if (rc)
        fail_msg("%s", err.msg);
    /* it ran until stopped: bids (46 of every 50 events) reached the sink */
    assert_true(sum.rows_in > 0);
    assert_true(sum.rows_out > 0 && sum.rows_out < sum.rows_in);
    sl_job_free(job);
}

/* ---- exchange ------------------------------------------------------------------------------ */

static void test_window_exchange(void **state)
{
    (void)state;
    struct sl_exec_summary s1, s2, s3;
    char *one = run_stats(1, NULL, NULL, &s1);
    char *two = run_stats(2, NULL, NULL, &s2);
    char *three = run_stats(3, NULL, NULL, &s3);
    assert_true(s1.rows_out > 10);
    assert_int_equal(s1.rows_in, 6000);
    assert_int_equal(s2.rows_in, 6000);
    assert_int_equal(s3.rows_in, 6000);
    assert_string_equal(one, two);
    assert_string_equal(one, three);
    free(one);
    free(two);
    free(three);
}

/* ---- checkpoints --------------------------------------------------------------------------- */

/* The job at 2 workers with checkpoints every 5 ms (the file store, or ZooKeeper at `zk`)
 * into the filesystem sink gives the rows of a run without; a second run is refused. */
static void checkpointed_run(const char *zk)
{
    char dir[] = "/tmp/sluice-test-exec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char out[64], state[64], ref[64];
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(state, sizeof(state), "%s/state", dir);
    snprintf(ref, sizeof(ref), "%s/ref", dir);
    struct sl_exec_summary plain, ck;
    char *want = run_stats(2, NULL, ref, &plain);
    struct sl_ckpt_opts co = {.state_dir = state,
                              .job = "exec",
                              .zk = zk,
                              .interval_ms = 5,
                              .keep = 2,
                              .full_every = 3,
                              .standby_timeout_ms = 0};
    char *got = run_stats(2, &co, out, &ck);
    assert_string_equal(want, got);
    /* epochs every 5 ms over a 2 s run: many while rows flowed, and the final one */
    assert_true(ck.checkpoints >= 2);
    assert_int_equal(ck.checkpoints_failed, 0);
    assert_int_equal(ck.restored_epoch, 0);
    free(want);
    free(got);
    /* the job finished: running it again is refused */
    char sink[200];
    snprintf(sink, sizeof(sink), "'connector' = 'filesystem', 'path' = '%s', 'format' = 'csv'",
             out);
    struct sl_job *job = job_of(stats_sql, STATS_TPS, STATS_EVENTS, sink, true);
    struct sl_exec_opts o = {.workers = 2, .ckpt = &co};
    struct sl_error err;
    assert_int_equal(sl_exec_run(job, &o, NULL, &err), SL_EFINISHED);
    sl_job_free(job);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_checkpoints(void **state)
{
    (void)state;
    checkpointed_run(NULL);
}

static void test_checkpoints_zk(void **state)
{
    (void)state;
    struct sl_zkserver *zs;
    struct sl_error err;
    int rc = sl_zkserver_start(&zs, &err);
    if (rc == SL_ENOTSUP) {
        fprintf(stderr, "skipped: %s\n", err.msg);
        skip();
    }
    if (rc)
        fail_msg("%s", err.msg);
    char zk[300];
    snprintf(zk, sizeof(zk), "%s/exec", sl_zkserver_address(zs));
    checkpointed_run(zk);
    sl_zkserver_free(zs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_from_another_thread),
        cmocka_unit_test(test_window_exchange),
        cmocka_unit_test(test_checkpoints),
        cmocka_unit_test(test_checkpoints_zk),
    };
    return cmocka_run_group_tests_name("engine/exec", tests, NULL, NULL);
}
