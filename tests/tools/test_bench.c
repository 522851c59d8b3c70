/*
 * tests/tools/test_bench.c - `sluice bench`: the latency histogram against hand-computed
 * quantiles, the Mann-Whitney p-value against hand-computed ones, the JSON reader, the
 * compare gate on crafted result files (a clear regression, noise within the spread, an
 * improvement, a missing benchmark, malformed JSON, a file of the wrong shape), and a short
 * real run whose JSON must have google-benchmark's shape (the fields compare.py reads).
 */
#include "tests/util/testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cmd_bench.h"
#include "tools/cmd_bench_hist.h"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sluice-test-bench-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- histogram ---------------------------------------------------------------------------- */

static void test_hist_small_values_exact(void **state)
{
    (void)state;
    static struct sl_hist h;
    sl_hist_reset(&h);
    assert_int_equal(sl_hist_quantile(&h, 0.5), 0); /* empty */
    for (uint64_t v = 1; v <= 100; v++)
        sl_hist_add(&h, v, 1);
    /* below 256 every value has its own bucket: the k-th smallest exactly */
    assert_int_equal(sl_hist_quantile(&h, 0.5), 50);
    assert_int_equal(sl_hist_quantile(&h, 0.99), 99);
    assert_int_equal(sl_hist_quantile(&h, 0.999), 100);
    assert_int_equal(sl_hist_quantile(&h, 0), 1);
    assert_int_equal(sl_hist_quantile(&h, 1), 100);
    assert_int_equal(h.n, 100);
    assert_int_equal(h.min, 1);
    assert_int_equal(h.max, 100);
}

static void test_hist_weights_and_merge(void **state)
{
    (void)state;
    static struct sl_hist a, b;
    sl_hist_reset(&a);
    sl_hist_reset(&b);
    sl_hist_add(&a, 10, 99);  /* 99 rows at 10 */
    sl_hist_add(&b, 5000, 1); /* one row at 5000 */
    sl_hist_add(&b, 7, 0);    /* weight 0: nothing */
    sl_hist_merge(&a, &b);
    assert_int_equal(a.n, 100);
    assert_int_equal(a.min, 10);
    assert_int_equal(sl_hist_quantile(&a, 0.5), 10);
    assert_int_equal(sl_hist_quantile(&a, 0.99), 10);
    /* p99.9 is the 100th row: 5000 is in a bucket of width 32, [4992, 5024); clamped to max */
    assert_int_equal(sl_hist_quantile(&a, 0.999), 5000);
}

static void test_hist_buckets(void **state)
{
    (void)state;
    /* hand-computed: 256 = 2^8, shift 1, bucket 1 * 128 + 128 = 256; 257 shares it */
    assert_int_equal(sl_hist_index(255), 255);
    assert_int_equal(sl_hist_index(256), 256);
    assert_int_equal(sl_hist_index(257), 256);
    assert_int_equal(sl_hist_index(258), 257);
    assert_int_equal(sl_hist_lower(257), 258);
    assert_int_equal(sl_hist_index(UINT64_MAX), SL_HIST_BUCKETS - 1);
    /* every bucket's lower bound maps back to it and buckets are at most 1/128 wide */
    for (uint32_t i = 0; i + 1 < SL_HIST_BUCKETS; i++) {
        uint64_t lo = sl_hist_lower(i), hi = sl_hist_lower(i + 1);
        assert_int_equal(sl_hist_index(lo), i);
        assert_int_equal(sl_hist_index(hi - 1), i);
        assert_true(hi > lo);
        assert_true((hi - lo) * 128 <= (lo > 128 ? lo : 128));
    }
    /* a quantile read back is within 1% */
    static struct sl_hist h;
    sl_hist_reset(&h);
    uint64_t s = 7;
    for (int k = 0; k < 1000; k++) {
        sl_hist_reset(&h);
        uint64_t v = sl_test_rand(&s) >> (sl_test_rand(&s) % 40 + 21); /* < 2^43 */
        sl_hist_add(&h, 1, 1);
        sl_hist_add(&h, v, 1);
        sl_hist_add(&h, 1ull << 43, 1);
        uint64_t got = sl_hist_quantile(&h, 0.5);
        uint64_t mid = v < 1 ? 1 : v;
        double rel = fabs((double)got - (double)mid) / (double)mid;
        assert_true(rel <= 0.01);
    }
}

/* ---- Mann-Whitney ------------------------------------------------------------------------- */

static void test_mann_whitney(void **state)
{
    (void)state;
    /* separated 4 vs 4: U = 0, P(U <= 0) = 1 / C(8, 4) = 1/70, two-sided 2/70 */
    double a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8};
    assert_true(fabs(sl_bench_mann_whitney_p(a, 4, b, 4) - 2.0 / 70) < 1e-12);
    assert_true(fabs(sl_bench_mann_whitney_p(b, 4, a, 4) - 2.0 / 70) < 1e-12);
    /* 3 vs 3 separated: 2 / C(6, 3) = 0.1, never below 0.05 */
    assert_true(fabs(sl_bench_mann_whitney_p(a, 3, b, 3) - 0.1) < 1e-12);
    /* interleaved: U = 8 of 16, the middle: p = 1 */
    double c[] = {1, 3, 5, 7}, d[] = {2, 4, 6, 8};
    double p = sl_bench_mann_whitney_p(c, 4, d, 4);
    assert_true(p > 0.6);
    /* 1 vs 2: U of {1,3} vs {2} = 1 (3 > 2): P(U <= 1) over 3 arrangements... = 2/3 -> 1 */
    double e[] = {2};
    assert_true(fabs(sl_bench_mann_whitney_p(e, 1, c, 2) - 1.0) < 1e-12);
    /* ties use the normal approximation: equal samples give p = 1 */
    double t1[] = {5, 5, 5, 5}, t2[] = {5, 5, 5, 5};
    assert_true(sl_bench_mann_whitney_p(t1, 4, t2, 4) > 0.99);
    /* large separated samples: tiny p */
    double big1[30], big2[30];
    for (int i = 0; i < 30; i++) {
        big1[i] = i;
        big2[i] = 100 + i;
    }
    assert_true(sl_bench_mann_whitney_p(big1, 30, big2, 30) < 1e-6);
    assert_true(sl_bench_mann_whitney_p(big1, 0, big2, 30) == 1);
}

/* ---- JSON reader -------------------------------------------------------------------------- */

/* sluice bench ab's paired statistics: the Hodges-Lehmann estimate and the exact Wilcoxon
 * signed-rank interval (n = 10: T <= 8 has P = 25/1024, so the 9th smallest and largest of the
 * 55 Walsh averages, coverage 1 - 50/1024); below 6 pairs the range; the verdicts. */
static void test_paired_ci(void **state)
{
    (void)state;
    double d[10];
    for (int i = 0; i < 10; i++)
        d[i] = 0.01 * (i + 1);
    struct sl_bench_paired p;
    assert_int_equal(sl_bench_paired_ci(d, 10, &p), 0);
    assert_true(fabs(p.estimate - 0.055) < 1e-12);
    assert_true(fabs(p.low - 0.03) < 1e-12);
    assert_true(fabs(p.high - 0.08) < 1e-12);
    assert_true(fabs(p.confidence - (1 - 50.0 / 1024)) < 1e-12);
    assert_int_equal(sl_bench_paired_verdict(&p, 2), SL_BV_REGRESSION); /* 3% > 2% */
    assert_int_equal(sl_bench_paired_verdict(&p, 5), SL_BV_NOISE);      /* inconclusive */
    assert_int_equal(sl_bench_paired_verdict(&p, 10), SL_BV_SAME);
    for (int i = 0; i < 10; i++)
        d[i] = -d[i];
    assert_int_equal(sl_bench_paired_ci(d, 10, &p), 0);
    assert_int_equal(sl_bench_paired_verdict(&p, 2), SL_BV_FASTER);
    double three[3] = {0.02, -0.01, 0.03};
    assert_int_equal(sl_bench_paired_ci(three, 3, &p), 0);
    assert_true(fabs(p.low + 0.01) < 1e-12 && fabs(p.high - 0.03) < 1e-12);
    assert_true(fabs(p.estimate - 0.015) < 1e-12);
    assert_true(fabs(p.confidence - 0.75) < 1e-12);
    assert_int_equal(sl_bench_paired_ci(three, 0, &p), SL_EINVAL);
    /* one pair of NEW hit by a neighbour's burst (+146%) widens the interval upward but
     * leaves its lower end, and so no false alarm */
    double burst[10] = {0, 0.001, -0.001, 0.002, -0.002, 0.0005, -0.0005, 0.001, 0, 0.9};
    assert_int_equal(sl_bench_paired_ci(burst, 10, &p), 0);
    assert_true(fabs(p.low + 0.0005) < 1e-12);
    assert_int_equal(sl_bench_paired_verdict(&p, 3), SL_BV_NOISE);
}

static void test_json_reader(void **state)
{
    (void)state;
    struct sl_error err;
    const char *ok =
        " {\"a\": [1, -2.5e3, true, false, null], \"s\": \"x\\\"\\n\\u00e9\\ud83d\\ude00\","
        " \"o\": {}} ";
    struct sl_bench_json *j = sl_bench_json_parse(ok, strlen(ok), &err);
    assert_non_null(j);
    const struct sl_bench_json *a = sl_bench_json_get(j, "a");
    assert_non_null(a);
    assert_int_equal(a->kind, SL_BJ_ARRAY);
    assert_int_equal(a->n, 5);
    assert_true(a->items[1]->num == -2500);
    assert_true(a->items[2]->b);
    assert_false(a->items[3]->b);
    assert_int_equal(a->items[4]->kind, SL_BJ_NULL);
    assert_string_equal(sl_bench_json_str(j, "s"), "x\"\n\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(sl_bench_json_get(j, "o")->n, 0);
    assert_null(sl_bench_json_get(j, "missing"));
    sl_bench_json_free(j);
    static const char *const bad[] = {"",        "{",     "[1,]",        "{\"a\" 1}",     "01",
                                      "1.",      "\"abc", "{\"a\":1} x", "[\"\\ud800\"]", "tru",
                                      "\"\\q\"", "-"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sl_error_clear(&err);
        assert_null(sl_bench_json_parse(bad[i], strlen(bad[i]), &err));
        assert_int_equal(err.code, SL_EPARSE);
        assert_non_null(strstr(err.msg, "malformed JSON"));
    }
}

/* ---- compare ------------------------------------------------------------------------------ */

/* Writes a result file with benchmarks "name" -> real_time samples (ms). */
static void write_results(const char *path, const char *const *names, const double *const *t,
                          const size_t *n, size_t nb)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"context\": {\"date\": \"x\", \"num_cpus\": 2}, \"benchmarks\": [", f);
    bool first = true;
    for (size_t b = 0; b < nb; b++)
        for (size_t k = 0; k < n[b]; k++) {
            fprintf(f,
                    "%s{\"name\": \"%s\", \"run_name\": \"%s\", \"run_type\": \"iteration\", "
                    "\"repetitions\": %zu, \"repetition_index\": %zu, \"threads\": 1, "
                    "\"iterations\": 1, \"real_time\": %g, \"cpu_time\": %g, "
                    "\"time_unit\": \"ms\", \"items_per_second\": %g}",
                    first ? "" : ",", names[b], names[b], n[b], k, t[b][k], t[b][k], 1e6 / t[b][k]);
            first = false;
        }
    fputs("]}\n", f);
    fclose(f);
}

static int compare(const char *base, const char *newer, double thr, char *out, size_t outlen)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/compare.txt", tmpdir);
    FILE *f = fopen(path, "w+");
    assert_non_null(f);
    struct sl_error err;
    sl_error_clear(&err);
    int rc = sl_bench_compare_files(base, newer, thr, f, &err);
    rewind(f);
    size_t n = fread(out, 1, outlen - 1, f);
    out[n] = 0;
    fclose(f);
    if (rc == 2)
        snprintf(out, outlen, "%s", err.msg);
    return rc;
}

static void test_compare_verdicts(void **state)
{
    (void)state;
    char base[128], newer[128], out[4096];
    snprintf(base, sizeof(base), "%s/base.json", tmpdir);
    snprintf(newer, sizeof(newer), "%s/new.json", tmpdir);
    const char *names[] = {"q0", "q1", "q2", "gone"};
    double b0[] = {100, 101, 99, 100, 102}, b1[] = {100, 130, 80, 110, 95},
           b2[] = {100, 100.5, 99.5, 100, 101}, b3[] = {50, 51, 52, 50, 50};
    /* q0: 30% slower, every sample beyond base's range: a regression
     * q1: 12% slower median but inside a wide spread: noise
     * q2: 20% faster and separated: an improvement */
    double n0[] = {130, 131, 129, 130, 132}, n1[] = {112, 125, 90, 140, 100},
           n2[] = {80, 80.5, 79.5, 80, 81};
    const double *bt[] = {b0, b1, b2, b3}, *nt[] = {n0, n1, n2};
    size_t bn[] = {5, 5, 5, 5}, nn[] = {5, 5, 5};
    write_results(base, names, bt, bn, 4);
    write_results(newer, names, nt, nn, 3);
    assert_int_equal(compare(base, newer, 5, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "q0"));
    char *l0 = strstr(out, "\nq0 "), *l1 = strstr(out, "\nq1 "), *l2 = strstr(out, "\nq2 "),
         *l3 = strstr(out, "\ngone ");
    assert_non_null(l0);
    assert_non_null(l1);
    assert_non_null(l2);
    assert_non_null(l3);
    assert_true(strstr(l0, "REGRESSION") < l1);
    assert_true(strstr(l1, "noise") && strstr(l1, "noise") < l2);
    assert_true(strstr(l2, "faster") && strstr(l2, "faster") < l3);
    assert_non_null(strstr(l3, "MISSING"));

    /* without the missing one and the regression: passes */
    write_results(base, names + 1, bt + 1, bn + 1, 2);
    write_results(newer, names + 1, nt + 1, nn + 1, 2);
    assert_int_equal(compare(base, newer, 5, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "ok"));
    /* the same files with a 50% threshold: both "same" */
    assert_int_equal(compare(base, newer, 50, out, sizeof(out)), 0);
    assert_null(strstr(out, "noise"));
    assert_non_null(strstr(out, "same"));
    /* identical files never fail */
    assert_int_equal(compare(base, base, 0, out, sizeof(out)), 0);

    /* fewer than 4 repetitions: ranges; overlap is noise, separation a regression */
    double r1[] = {100, 110, 90}, r2[] = {115, 120, 105}, r3[] = {130, 131, 129};
    const double *x1[] = {r1}, *x2[] = {r2}, *x3[] = {r3};
    size_t three[] = {3};
    write_results(base, names, x1, three, 1);
    write_results(newer, names, x2, three, 1);
    assert_int_equal(compare(base, newer, 5, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "noise"));
    write_results(newer, names, x3, three, 1);
    assert_int_equal(compare(base, newer, 5, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "REGRESSION"));
    /* one sample: the threshold alone, said */
    size_t one[] = {1};
    write_results(newer, names, x3, one, 1);
    assert_int_equal(compare(base, newer, 5, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "1 sample"));
}

static void test_compare_bad_input(void **state)
{
    (void)state;
    char good[128], bad[128], out[4096];
    snprintf(good, sizeof(good), "%s/good.json", tmpdir);
    snprintf(bad, sizeof(bad), "%s/bad.json", tmpdir);
    const char *names[] = {"q0"};
    double t[] = {1, 2, 3, 4};
    const double *tt[] = {t};
    size_t n[] = {4};
    write_results(good, names, tt, n, 1);
    static const char *const cases[] = {
        "{\"context\": {}, \"benchmarks\": [", /* malformed */
        "not json at all",
        "[]",                   /* not an object */
        "{\"benchmarks\": []}", /* no context */
        "{\"context\": {}}",    /* no benchmarks */
        "{\"context\": {}, \"benchmarks\": [{\"name\": \"a\", \"run_name\": \"a\", "
        "\"run_type\": \"iteration\", \"repetitions\": 1, \"iterations\": 1, "
        "\"cpu_time\": 1, \"time_unit\": \"ms\"}]}", /* no real_time */
        "{\"context\": {}, \"benchmarks\": [{\"name\": \"a\", \"run_name\": \"a\", "
        "\"run_type\": \"iteration\", \"repetitions\": 1, \"iterations\": 1, "
        "\"real_time\": 1, \"cpu_time\": 1, \"time_unit\": \"weeks\"}]}",
        "{\"context\": {}, \"benchmarks\": [{\"name\": \"a\", \"run_name\": \"a\", "
        "\"run_type\": \"aggregate\", \"repetitions\": 1, \"iterations\": 1, "
        "\"real_time\": 1, \"cpu_time\": 1, \"time_unit\": \"ms\"}]}", /* no aggregate_name */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        FILE *f = fopen(bad, "w");
        assert_non_null(f);
        fputs(cases[i], f);
        fclose(f);
        assert_int_equal(compare(good, bad, 5, out, sizeof(out)), 2);
        assert_non_null(strstr(out, "bad.json"));
        assert_int_equal(compare(bad, good, 5, out, sizeof(out)), 2);
    }
    char nofile[160];
    snprintf(nofile, sizeof(nofile), "%s/none.json", tmpdir);
    assert_int_equal(compare(good, nofile, 5, out, sizeof(out)), 2);
}

/* ---- a real run --------------------------------------------------------------------------- */

static void test_run_json_shape(void **state)
{
    (void)state;
    char path[128], svg[128];
    snprintf(path, sizeof(path), "%s/run.json", tmpdir);
    snprintf(svg, sizeof(svg), "%s/chart.svg", tmpdir);
    const char *argv[] = {"bench",
                          "run",
                          "nexmark/q2/gen",
                          "--events",
                          "3000",
                          "--reps",
                          "2",
                          "--warmup",
                          "1",
                          "--no-membw",
                          "--quiet",
                          "--workers",
                          "1",
                          "--checkpoint-interval",
                          "10 s",
                          "--json",
                          path};
    /* checkpoints: each run's state directory goes here and must be gone afterwards */
    assert_int_equal(setenv("SLUICE_BENCH_DIR", tmpdir, 1), 0);
    assert_int_equal(sl_cmd_bench(17, (char **)argv), 0);
    unsetenv("SLUICE_BENCH_DIR");
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    for (struct dirent *de; (de = readdir(d));)
        assert_null(strstr(de->d_name, "sluice-bench-state-"));
    closedir(d);
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_bench_json *doc = sl_bench_json_load(path, &err);
    assert_non_null(doc);
    assert_int_equal(sl_bench_validate(doc, &err), 0);
    const struct sl_bench_json *ctx = sl_bench_json_get(doc, "context");
    assert_string_equal(sl_bench_json_str(ctx, "checkpoint_interval"), "10 s");
    assert_int_equal((int)sl_bench_json_num(ctx, "checkpoint_interval_ms", 0), 10000);
    assert_non_null(strstr(sl_bench_json_str(ctx, "checkpoints"), "on:"));
    assert_non_null(sl_bench_json_str(ctx, "simd_level"));
    assert_true(sl_bench_json_num(ctx, "num_cpus", 0) >= 1);
    const struct sl_bench_json *bs = sl_bench_json_get(doc, "benchmarks");
    assert_int_equal(bs->n, 2 + 4); /* 2 repetitions + mean, median, stddev, cv */
    for (size_t i = 0; i < 2; i++) {
        const struct sl_bench_json *b = bs->items[i];
        assert_string_equal(sl_bench_json_str(b, "name"), "nexmark/q2/gen");
        assert_string_equal(sl_bench_json_str(b, "run_type"), "iteration");
        assert_int_equal((int)sl_bench_json_num(b, "repetition_index", -1), (int)i);
        assert_int_equal((int)sl_bench_json_num(b, "repetitions", 0), 2);
        assert_int_equal((int)sl_bench_json_num(b, "rows_in", 0), 3000);
        assert_true(sl_bench_json_num(b, "real_time", 0) > 0);
        assert_true(sl_bench_json_num(b, "items_per_second", 0) > 0);
        assert_true(sl_bench_json_num(b, "events_per_second_per_core", 0) > 0);
        assert_string_equal(sl_bench_json_str(b, "time_unit"), "ms");
        /* a 10 s interval over a run this short: only the final epoch of the bounded
         * input, which holds at least the source's position */
        assert_int_equal((int)sl_bench_json_num(b, "checkpoints", -1), 1);
        assert_int_equal((int)sl_bench_json_num(b, "checkpoints_failed", -1), 0);
        double p50 = sl_bench_json_num(b, "checkpoint_p50_ms", -1);
        double p99 = sl_bench_json_num(b, "checkpoint_p99_ms", -1);
        double mx = sl_bench_json_num(b, "checkpoint_max_ms", -1);
        assert_true(p50 > 0 && p50 <= p99 && p99 <= mx);
        double al = sl_bench_json_num(b, "checkpoint_align_p50_ms", -1);
        assert_true(al >= 0 && al <= p50);
        assert_true(sl_bench_json_num(b, "checkpoint_state_bytes", 0) > 0);
        assert_true(sl_bench_json_num(b, "checkpoint_bytes", 0) > 0);
    }
    static const char *const aggs[] = {"mean", "median", "stddev", "cv"};
    for (size_t i = 0; i < 4; i++) {
        const struct sl_bench_json *b = bs->items[2 + i];
        char want[64];
        snprintf(want, sizeof(want), "nexmark/q2/gen_%s", aggs[i]);
        assert_string_equal(sl_bench_json_str(b, "name"), want);
        assert_string_equal(sl_bench_json_str(b, "run_name"), "nexmark/q2/gen");
        assert_string_equal(sl_bench_json_str(b, "run_type"), "aggregate");
        assert_string_equal(sl_bench_json_str(b, "aggregate_name"), aggs[i]);
    }
    sl_bench_json_free(doc);
    /* a file compared with itself passes; the chart is written */
    char out[4096];
    assert_int_equal(compare(path, path, 5, out, sizeof(out)), 0);
    const char *files[] = {path, path};
    assert_int_equal(sl_bench_plot_files(files, 2, svg, &err), 0);
    FILE *f = fopen(svg, "r");
    assert_non_null(f);
    char buf[512];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    assert_non_null(strstr(buf, "<svg"));
}

static void test_usage_errors(void **state)
{
    (void)state;
    const char *a1[] = {"bench", "run", "no-such-workload"};
    assert_int_equal(sl_cmd_bench(3, (char **)a1), 2);
    const char *a2[] = {"bench", "run", "--events", "0"};
    assert_int_equal(sl_cmd_bench(4, (char **)a2), 2);
    const char *a3[] = {"bench", "frobnicate"};
    assert_int_equal(sl_cmd_bench(2, (char **)a3), 2);
    const char *a4[] = {"bench", "compare", "only-one.json"};
    assert_int_equal(sl_cmd_bench(3, (char **)a4), 2);
    const char *a5[] = {"bench", "run", "--bogus"};
    assert_int_equal(sl_cmd_bench(3, (char **)a5), 2);
    const char *a6[] = {"bench", "run", "--checkpoint-interval", "soon"};
    assert_int_equal(sl_cmd_bench(4, (char **)a6), 2);
    const char *a7[] = {"bench", "run", "--checkpoint-interval", "0"};
    assert_int_equal(sl_cmd_bench(4, (char **)a7), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_small_values_exact),
        cmocka_unit_test(test_hist_weights_and_merge),
        cmocka_unit_test(test_hist_buckets),
        cmocka_unit_test(test_paired_ci),
        cmocka_unit_test(test_mann_whitney),
        cmocka_unit_test(test_json_reader),
        cmocka_unit_test(test_compare_verdicts),
        cmocka_unit_test(test_compare_bad_input),
        cmocka_unit_test(test_run_json_shape),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
