/*
 * tests/engine/test_metrics.c - engine/exec/metrics.h: the Prometheus text exposition
 * format (0.0.4) as the spec writes it - HELP and TYPE lines, label values escaped (\\, \",
 * \n), HELP text escaped (\\, \n), numbers, +Inf / -Inf / NaN - and a render read from
 * another thread while the workers of a real run count (the thread the HTTP server is).
 * tests/tools/test_metrics.sh parses what `sluice run` serves with the Prometheus client
 * library's parser. --cluster auto's figures (sl_metrics_cluster): absent until set, then
 * kept with no run attached; tests/sql/test_cluster_auto.sh (g) scrapes them from a real
 * cluster.
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/exec/metrics.h"
#include "engine/sql/binder.h"

/* What `fn` wrote into a memstream. The caller frees it. */
#define CAPTURE(text, ...)                        \
    do {                                          \
        size_t len_;                              \
        FILE *f = open_memstream(&(text), &len_); \
        assert_non_null(f);                       \
        __VA_ARGS__;                              \
        fclose(f);                                \
    } while (0)

static void test_escape(void **state)
{
    (void)state;
    char *t = NULL;
    /* label values: backslash, double quote and line feed */
    CAPTURE(t, sl_prom_escape(f, "a\\b\"c\nd", 1));
    assert_string_equal(t, "a\\\\b\\\"c\\nd");
    free(t);
    /* HELP text: backslash and line feed only; a quote stays */
    CAPTURE(t, sl_prom_escape(f, "a\\b\"c\nd", 0));
    assert_string_equal(t, "a\\\\b\"c\\nd");
    free(t);
    CAPTURE(t, sl_prom_family(f, "x_total", "counter", "rows \"in\"\\out\nnext"));
    assert_string_equal(t, "# HELP x_total rows \"in\"\\\\out\\nnext\n# TYPE x_total counter\n");
    free(t);
}

static void test_samples(void **state)
{
    (void)state;
    const char *l[] = {"job", "q\"1\\\n", "worker", "0"};
    char *t = NULL;
    CAPTURE(t, sl_prom_sample(f, "a_total", l, 2, 42));
    assert_string_equal(t, "a_total{job=\"q\\\"1\\\\\\n\",worker=\"0\"} 42\n");
    free(t);
    CAPTURE(t, sl_prom_sample(f, "g", NULL, 0, -3));
    assert_string_equal(t, "g -3\n");
    free(t);
    CAPTURE(t, sl_prom_sample(f, "g", NULL, 0, 0.1));
    assert_string_equal(t, "g 0.1\n");
    free(t);
    CAPTURE(t, sl_prom_sample(f, "g", NULL, 0, 1700000000.123));
    assert_string_equal(t, "g 1700000000.123\n");
    free(t);
    /* 17 digits where 15 do not read back */
    CAPTURE(t, sl_prom_sample(f, "g", NULL, 0, 0.1 + 0.2));
    assert_string_equal(t, "g 0.30000000000000004\n");
    free(t);
    CAPTURE(t, sl_prom_sample(f, "g", NULL, 0, 1e300));
    assert_string_equal(t, "g 1e+300\n");
    free(t);
    CAPTURE(t, sl_prom_sample(f, "g", NULL, 0, INFINITY);
            sl_prom_sample(f, "g", NULL, 0, -INFINITY); sl_prom_sample(f, "g", NULL, 0, NAN));
    assert_string_equal(t, "g +Inf\ng -Inf\ng NaN\n");
    free(t);
    CAPTURE(t, sl_prom_sample_u64(f, "c_total", l + 2, 1, UINT64_MAX));
    assert_string_equal(t, "c_total{worker=\"0\"} 18446744073709551615\n");
    free(t);
}

/* Every line is a HELP, a TYPE or a sample of the family the last TYPE named (a summary's
 * _sum and _count included); every family has both lines, HELP first; counters end in
 * _total. Returns how many samples there were. */
static int check_text(const char *text)
{
    char fam[128] = "", type[256] = "";
    int samples = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl); /* every line ends with a line feed, the last one too */
        char line[1024];
        size_t n = (size_t)(nl - p);
        assert_true(n < sizeof(line));
        memcpy(line, p, n);
        line[n] = 0;
        p = nl + 1;
        char name[128], rest[256];
        if (sscanf(line, "# HELP %127s", name) == 1) {
            assert_string_not_equal(name, fam); /* one group per family */
            snprintf(fam, sizeof(fam), "%s", name);
            type[0] = 0;
        } else if (sscanf(line, "# TYPE %127s %255s", name, rest) == 2) {
            assert_string_equal(name, fam);
            assert_true(!strcmp(rest, "counter") || !strcmp(rest, "gauge") ||
                        !strcmp(rest, "summary"));
            if (!strcmp(rest, "counter"))
                assert_true(strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total"));
            snprintf(type, sizeof(type), "%s", rest);
        } else {
            assert_true(type[0]); /* a sample after its family's TYPE */
            size_t k = strcspn(line, "{ ");
            size_t fl = strlen(fam);
            bool ok = k == fl && !strncmp(line, fam, fl);
            if (!strcmp(type, "summary"))
                ok |= !strncmp(line, fam, fl) && (!strncmp(line + fl, "_sum", k - fl) ||
                                                  !strncmp(line + fl, "_count", k - fl));
            if (!ok)
                fail_msg("sample '%s' in family %s", line, fam);
            samples++;
        }
    }
    return samples;
}

static void test_render_without_run(void **state)
{
    (void)state;
    struct sl_metrics *m;
    struct sl_error err;
    assert_int_equal(sl_metrics_new("j", &m, &err), 0);
    size_t len;
    char *t = sl_metrics_render(m, &len);
    assert_non_null(t);
    assert_int_equal(strlen(t), len);
    assert_int_equal(check_text(t), 0); /* families, no samples */
    assert_non_null(strstr(t, "# TYPE sluice_source_records_total counter\n"));
    assert_non_null(strstr(t, "# TYPE sluice_kafka_consumer_lag_records gauge\n"));
    free(t);
    sl_metrics_free(m);
}

/* --cluster auto's figures: none before the first call; then the generation, the count and
 * the last rebalance time (in seconds), the duration's sample absent while none was
 * measured. */
static void test_render_cluster(void **state)
{
    (void)state;
    struct sl_metrics *m;
    struct sl_error err;
    assert_int_equal(sl_metrics_new("j", &m, &err), 0);
    char *t = sl_metrics_render(m, NULL);
    assert_non_null(t);
    assert_null(strstr(t, "sluice_cluster_"));
    free(t);
    sl_metrics_cluster(m, 0, 0, -1); /* a spare waiting */
    t = sl_metrics_render(m, NULL);
    assert_int_equal(check_text(t), 2); /* generation, rebalances */
    assert_non_null(strstr(t, "# TYPE sluice_cluster_generation gauge\n"));
    assert_non_null(strstr(t, "\nsluice_cluster_generation{job=\"j\"} 0\n"));
    assert_non_null(strstr(t, "# TYPE sluice_cluster_rebalances_total counter\n"));
    assert_non_null(strstr(t, "\nsluice_cluster_rebalances_total{job=\"j\"} 0\n"));
    assert_non_null(strstr(t, "# TYPE sluice_cluster_rebalance_duration_seconds gauge\n"));
    assert_null(strstr(t, "\nsluice_cluster_rebalance_duration_seconds{"));
    free(t);
    sl_metrics_cluster(m, 3, 4, 250.5);
    t = sl_metrics_render(m, NULL);
    assert_int_equal(check_text(t), 3); /* and the duration */
    assert_non_null(strstr(t, "\nsluice_cluster_generation{job=\"j\"} 3\n"));
    assert_non_null(strstr(t, "\nsluice_cluster_rebalances_total{job=\"j\"} 4\n"));
    assert_non_null(strstr(t, "\nsluice_cluster_rebalance_duration_seconds{job=\"j\"} 0.2505\n"));
    free(t);
    sl_metrics_free(m);
}

/* ---- a render from another thread while a run counts ------------------------------------- */

/* The generator's table (tests/sql/nexmark_gen.sql), paced at 20000 events/s, no end; the
 * bids into a blackhole. */
static const char sql[] =
    "CREATE TABLE gen (\n"
    "  event_type INT,\n"
    "  person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR,\n"
    "             city VARCHAR, state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR>,\n"
    "  auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,\n"
    "              reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3),\n"
    "              seller BIGINT, category BIGINT, extra VARCHAR>,\n"
    "  bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,\n"
    "          `dateTime` TIMESTAMP(3), extra VARCHAR>,\n"
    "  `dateTime` AS CASE WHEN event_type = 0 THEN person.`dateTime`\n"
    "                     WHEN event_type = 1 THEN auction.`dateTime`\n"
    "                     ELSE bid.`dateTime` END,\n"
    "  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '1' SECOND\n"
    ") WITH ('connector' = 'nexmark', 'first-event.rate' = '20000',\n"
    "  'next-event.rate' = '20000', 'events.num' = '0', 'max-emit-speed' = 'false',\n"
    "  'sluice.base-time' = '1700000000000');\n"
    "CREATE TABLE out_t (auction BIGINT) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO out_t SELECT bid.auction FROM gen WHERE event_type = 2;\n";

/* The sum of the samples of `name` whose labels contain `with` (a "k=\"v\"" text or ""). */
static double value_of(const char *text, const char *name, const char *with)
{
    double sum = 0;
    size_t nl = strlen(name);
    for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
        const char *end = strchr(p, '\n');
        if (!strncmp(p, name, nl) && (p[nl] == '{' || p[nl] == ' ')) {
            const char *sp = memchr(p, ' ', (size_t)(end - p));
            char buf[512];
            snprintf(buf, sizeof(buf), "%.*s", (int)(sp - p), p);
            if (strstr(buf, with))
                sum += strtod(sp + 1, NULL);
        }
    }
    return sum;
}

struct scraper {
    struct sl_metrics *m;
    _Atomic int stop;
    int renders;
    bool ok;
    char msg[256];
};

/* Renders until the run has produced 20000 rows, checking each render against the last:
 * counters never go down, and the rows out one render saw are at most the rows in the next
 * render sees (the filter keeps bids only); then stops it. Within one render the sink's
 * counter is read after the source's, so rows that went through in between can make "out"
 * exceed "in" there: a worker publishes its rows in before its rows out (sl_exec_account),
 * which is what makes the cross-render check sound. */
static void *scraper_main(void *arg)
{
    struct scraper *s = arg;
    double in0 = 0, out0 = 0, busy0 = 0;
    s->ok = true;
    for (int i = 0; i < 100000 && !atomic_load(&s->stop); i++) {
        char *t = sl_metrics_render(s->m, NULL);
        if (!t) {
            snprintf(s->msg, sizeof(s->msg), "render: out of memory");
            s->ok = false;
            break;
        }
        s->renders++;
        double in = value_of(t, "sluice_source_records_total", "table=\"gen\"");
        double out = value_of(t, "sluice_sink_records_total", "table=\"out_t\"");
        double busy = value_of(t, "sluice_worker_busy_seconds_total", "");
        if (in < in0 || out < out0 || busy < busy0 || out0 > in) {
            snprintf(s->msg, sizeof(s->msg), "in %g -> %g, out %g -> %g, busy %g -> %g", in0, in,
                     out0, out, busy0, busy);
            s->ok = false;
        }
        in0 = in, out0 = out, busy0 = busy;
        free(t);
        if (!s->ok || in >= 20000)
            break;
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&s->stop, 1);
    return NULL;
}

static void test_render_while_running(void **state)
{
    (void)state;
    struct sl_error err;
    struct sl_job *job = sl_job_from_sql("t.sql", sql, strlen(sql), NULL, 0, &err);
    if (!job)
        fail_msg("%s", err.msg);
    struct scraper s = {0};
    assert_int_equal(sl_metrics_new("t", &s.m, &err), 0);
    struct sl_exec_opts o = {.workers = 2, .stop = &s.stop, .metrics = s.m};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, scraper_main, &s), 0);
    struct sl_exec_summary sum;
    int rc = sl_exec_run(job, &o, &sum, &err);
    atomic_store(&s.stop, 1);
    pthread_join(th, NULL);
    if (rc)
        fail_msg("%s", err.msg);
    if (!s.ok)
        fail_msg("%s", s.msg);
    assert_true(s.renders > 1);
    assert_true(sum.rows_in >= 20000);
    assert_true(sum.rows_out < sum.rows_in); /* persons and auctions filtered out */
    /* detached: families only */
    char *t = sl_metrics_render(s.m, NULL);
    assert_non_null(t);
    assert_int_equal(check_text(t), 0);
    free(t);
    sl_metrics_free(s.m);
    sl_job_free(job);
}

/* One render of a live run has per table and worker series, a watermark per worker. */
static void *one_render_main(void *arg)
{
    struct scraper *s = arg;
    for (int i = 0; i < 100000 && s->ok && !atomic_load(&s->stop); i++) {
        char *t = sl_metrics_render(s->m, NULL);
        if (t && value_of(t, "sluice_sink_records_total", "") >= 100 &&
            value_of(t, "sluice_watermark_seconds", "worker=\"1\"") > 0) {
            /* no cmocka assertion off the test's thread: the test judges s->ok */
            s->ok =
                strstr(t, "sluice_source_records_total{job=\"t\",table=\"gen\",worker=\"1\"} ") &&
                strstr(t, "sluice_workers{job=\"t\"} 2\n") &&
                !strstr(t, "sluice_checkpoints_total"); /* no checkpoints in this run */
            snprintf(s->msg, sizeof(s->msg), "%s", s->ok ? "" : "series missing");
            s->renders = 1;
            free(t);
            break;
        }
        free(t);
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&s->stop, 1);
    return NULL;
}

static void test_render_series(void **state)
{
    (void)state;
    struct sl_error err;
    struct sl_job *job = sl_job_from_sql("t.sql", sql, strlen(sql), NULL, 0, &err);
    if (!job)
        fail_msg("%s", err.msg);
    struct scraper s = {.ok = true};
    assert_int_equal(sl_metrics_new("t", &s.m, &err), 0);
    struct sl_exec_opts o = {.workers = 2, .stop = &s.stop, .metrics = s.m};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, one_render_main, &s), 0);
    struct sl_exec_summary sum;
    int rc = sl_exec_run(job, &o, &sum, &err);
    atomic_store(&s.stop, 1);
    pthread_join(th, NULL);
    if (rc)
        fail_msg("%s", err.msg);
    if (!s.ok || s.renders != 1)
        fail_msg("%s", s.ok ? "never saw 100 rows out and a watermark" : s.msg);
    sl_metrics_free(s.m);
    sl_job_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_render_without_run),
        cmocka_unit_test(test_render_cluster),
        cmocka_unit_test(test_render_while_running),
        cmocka_unit_test(test_render_series),
    };
    return cmocka_run_group_tests_name("engine/metrics", tests, NULL, NULL);
}
