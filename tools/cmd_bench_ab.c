/*
 * tools/cmd_bench_ab.c - `sluice bench ab BASE NEW`: a regression gate on paired,
 * interleaved runs of two builds.
 *
 * WHY
 * `sluice bench compare` judges two result files made at different times. On a shared
 * 2-core machine the load of the neighbours changes between them, and it changes both the
 * level and the spread: two runs of one build, compared with --threshold 5, failed in 2 of 4
 * pairs (q1 +7.6%, p = 0.03). A gate that flags half of the unchanged builds gets switched
 * off.
 *
 * HOW IT WORKS
 * One invocation runs both builds, alternately, each run a child process of the given binary
 * (`BINARY bench run WORKLOAD... --reps K --json FILE`, options every `bench run` has), in
 * the order A B, B A, A B, ... (ABBA: a linear drift of the machine adds as much to A as to
 * B). The two runs of a pair are neighbours in time, so whatever load the machine had then
 * hit both, and the verdict comes from the pairs, never from the two sides' spreads:
 *
 *   d_i = ln(NEW_i / BASE_i)   per pair i, per workload
 *   estimate  = the Hodges-Lehmann median of the Walsh averages (d_i + d_j) / 2, i <= j
 *   interval  = the exact Wilcoxon signed-rank confidence interval of that median (95%):
 *               the (k+1)-th smallest and largest Walsh averages, k the largest count with
 *               P(T <= k) <= 2.5% under the null, from the exact distribution of T
 *
 * Distribution-free, with no random numbers (the same input gives the same verdict); a pair
 * hit by a neighbour's burst widens the interval on its own side and barely moves the other
 * end, so it cannot make a false alarm by itself. Below 6 pairs no interval reaches
 * 95%; the interval is then [min, max] of the d_i and its coverage, 1 - 2^(1-n), is printed.
 * Verdicts: REGRESSION when the whole interval lies above +threshold (the only one that
 * fails: exit 1), `faster` when it lies below -threshold, `same` when it lies within
 * +-threshold, else `inconclusive` (more pairs would decide).
 *
 * The runs are not pinned to cores (`bench run --no-pin`, unless --pin): on a machine shared
 * with other jobs a pinned worker waits for its core while the other is free, and its wall
 * time measured the neighbours (q1, 500 K events, load 12 on 2 CPUs: 125-578 ms pinned,
 * 88-142 ms and one 350 unpinned).
 *
 * Metrics: `wall` is the least real_time of a child's K repetitions (after its warm-up):
 * the load of the neighbours only ever adds time (a worker descheduled, a cache shared),
 * so the least is the figure it disturbed least; `cpu` the same of the process's CPU time,
 * which descheduling does not inflate; `instructions` is the child's callgrind count of one
 * run (`bench run --instructions`: valgrind --tool=callgrind, the timed run only), which the
 * load of the machine hardly moves (under 0.01% here), so a few pairs of small runs decide.
 * docs/benchmarks.md has the gate's measured false alarms and detections.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tools/cmd_bench.h"

extern char **environ;

static const char sl_ab_usage[] =
    "usage: sluice bench ab BASE_BINARY NEW_BINARY [WORKLOAD...] [options]\n"
    "\n"
    "Runs two builds of sluice alternately (pairs in A B, B A, A B, ... order), each run a\n"
    "child process 'BINARY bench run WORKLOAD... --json FILE', and judges NEW against BASE\n"
    "on the per-pair ratios NEW/BASE: their Hodges-Lehmann median and its exact Wilcoxon\n"
    "signed-rank 95% confidence interval. REGRESSION when the whole interval lies above\n"
    "+PCT; 'faster' when below -PCT; 'same' within +-PCT; else 'inconclusive'.\n"
    "WORKLOAD as in 'sluice bench run' (default: nexmark/q1/gen nexmark/tumble_stats/gen).\n"
    "\n"
    "  --metric wall|cpu|instructions  what is compared (default wall): the least real\n"
    "                        time (or process CPU time) of a child's repetitions, or the\n"
    "                        instructions of one run under valgrind --tool=callgrind\n"
    "                        (bench run --instructions)\n"
    "  --reps N              pairs (default 10 for wall and cpu, 3 for instructions, whose\n"
    "                        counts vary by under 0.01%; 6 or more for a 95% interval,\n"
    "                        below it is the range of the pairs, with its coverage)\n"
    "  --events N            events per run (default 500000 for wall and cpu, 50000 for\n"
    "                        instructions)\n"
    "  --child-reps K        measured runs per child, after its warm-up (default 3 for wall,\n"
    "                        1 for instructions)\n"
    "  --warmup N            untimed runs per child (default 1 for wall, 0 for instructions)\n"
    "  --workers N           worker threads of every run (default 1)\n"
    "  --duet                the two runs of a pair at the same time instead of one after\n"
    "                        the other (duet benchmarking: the interference of the moment\n"
    "                        hits both; each needs a CPU of its own)\n"
    "  --pin                 pin the workers to cores (default: the runs get --no-pin; on a\n"
    "                        shared machine a pinned worker waits for its busy core)\n"
    "  --threshold PCT       the change that matters, in percent (default 3)\n"
    "  --out FILE.json       pairs, estimates, intervals and verdicts as JSON\n"
    "  --quiet               no progress lines\n"
    "\n"
    "Exit status: 0 no regression, 1 a regression (or a child run failed), 2 usage error.\n";

#define SL_AB_MAX_PAIRS 500
#define SL_AB_MAX_PATTERNS 64
#define SL_AB_MAX_SERIES 64

struct sl_ab_args {
    const char *bin[2]; /* BASE, NEW */
    const char *patterns[SL_AB_MAX_PATTERNS];
    size_t npatterns;
    int metric; /* SL_AB_WALL, SL_AB_CPU, SL_AB_INSTR */
    bool instr, cpu;
    int pairs, child_reps, warmup, workers;
    int64_t events;
    double threshold;
    const char *out;
    bool quiet, pin, duet;
};

enum { SL_AB_WALL, SL_AB_CPU, SL_AB_INSTR };
static const char *const sl_ab_metric_names[] = {"wall", "cpu", "instructions"};

struct sl_ab_series {
    char *name;
    double *v[2]; /* per pair: BASE, NEW (ms of wall time or instructions) */
    int n[2];
};

struct sl_ab_env {
    const struct sl_ab_args *a;
    char tmp[256];
    struct sl_ab_series s[SL_AB_MAX_SERIES];
    size_t ns;
    double load_sum, load_max;
    int load_n;
};

/* ---- statistics on the pairs ------------------------------------------------------------------
 */

static int sl_ab_cmp_d(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int sl_bench_paired_ci(const double *d, size_t n, struct sl_bench_paired *out)
{
    memset(out, 0, sizeof(*out));
    if (n == 0)
        return SL_EINVAL;
    size_t m = n * (n + 1) / 2;
    double *w = malloc(m * sizeof(*w));
    double *cnt = calloc(m + 1, sizeof(*cnt));
    if (!w || !cnt) {
        free(w);
        free(cnt);
        return SL_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++)
            w[k++] = (d[i] + d[j]) / 2;
    qsort(w, m, sizeof(*w), sl_ab_cmp_d);
    out->estimate = m % 2 ? w[m / 2] : (w[m / 2 - 1] + w[m / 2]) / 2;
    /* the exact null distribution of the signed-rank statistic T: the number of subsets of
     * the ranks {1..n} with each sum, over 2^n */
    cnt[0] = 1;
    for (size_t r = 1; r <= n; r++)
        for (size_t s = m; s >= r; s--)
            cnt[s] += cnt[s - r];
    double total = ldexp(1.0, (int)n), cum = 0;
    long kk = -1; /* the largest k with P(T <= k) <= 0.025 */
    for (size_t s = 0; s <= m; s++) {
        cum += cnt[s];
        if (cum / total > 0.025)
            break;
        kk = (long)s;
    }
    if (kk >= 0) {
        double tail = 0;
        for (long s = 0; s <= kk; s++)
            tail += cnt[s];
        out->low = w[kk];
        out->high = w[m - 1 - (size_t)kk];
        out->confidence = 1 - 2 * tail / total;
    } else { /* too few pairs for 95%: the range, with its own coverage */
        out->low = w[0];
        out->high = w[m - 1];
        out->confidence = 1 - 2 / total;
    }
    out->n = n;
    free(w);
    free(cnt);
    return 0;
}

enum sl_bench_verdict sl_bench_paired_verdict(const struct sl_bench_paired *p, double threshold_pct)
{
    double t = log1p(threshold_pct / 100);
    if (p->low > t)
        return SL_BV_REGRESSION;
    if (p->high < -t)
        return SL_BV_FASTER;
    if (p->low >= -t && p->high <= t)
        return SL_BV_SAME;
    return SL_BV_NOISE;
}

/* ---- child runs ---------------------------------------------------------------------------------
 */

static double sl_ab_load1(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

static struct sl_ab_series *sl_ab_series_of(struct sl_ab_env *e, const char *name)
{
    for (size_t i = 0; i < e->ns; i++)
        if (!strcmp(e->s[i].name, name))
            return &e->s[i];
    if (e->ns == SL_AB_MAX_SERIES)
        return NULL;
    struct sl_ab_series *s = &e->s[e->ns];
    s->name = strdup(name);
    s->v[0] = calloc(SL_AB_MAX_PAIRS, sizeof(double));
    s->v[1] = calloc(SL_AB_MAX_PAIRS, sizeof(double));
    if (!s->name || !s->v[0] || !s->v[1]) {
        free(s->name);
        free(s->v[0]);
        free(s->v[1]);
        return NULL;
    }
    e->ns++;
    return s;
}

static void sl_ab_show_log(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    while (f && fgets(line, sizeof(line), f))
        fprintf(stderr, "  | %s", line);
    if (f)
        fclose(f);
}

/* Starts side `side` (0 BASE, 1 NEW) as a child; its output goes to run-SIDE.json and
 * run-SIDE.log in the scratch directory. 0 or 2 (it cannot be started: said). */
static int sl_ab_spawn(struct sl_ab_env *e, int side, pid_t *pid)
{
    const struct sl_ab_args *a = e->a;
    char json[300], log[300], ev[32], reps[16], warm[16], workers[16];
    snprintf(json, sizeof(json), "%s/run-%d.json", e->tmp, side);
    snprintf(log, sizeof(log), "%s/run-%d.log", e->tmp, side);
    snprintf(ev, sizeof(ev), "%lld", (long long)a->events);
    snprintf(reps, sizeof(reps), "%d", a->child_reps);
    snprintf(warm, sizeof(warm), "%d", a->warmup);
    snprintf(workers, sizeof(workers), "%d", a->workers);
    const char *argv[SL_AB_MAX_PATTERNS + 24];
    int n = 0;
    argv[n++] = a->bin[side];
    argv[n++] = "bench";
    argv[n++] = "run";
    for (size_t i = 0; i < a->npatterns; i++)
        argv[n++] = a->patterns[i];
    const char *rest[] = {"--events",  ev,      "--reps",     reps,      "--warmup", warm,
                          "--workers", workers, "--no-membw", "--quiet", "--json",   json};
    for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++)
        argv[n++] = rest[i];
    if (!a->pin)
        argv[n++] = "--no-pin";
    if (a->instr)
        argv[n++] = "--instructions";
    argv[n] = NULL;

    unlink(json);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    double l = sl_ab_load1();
    int rc = posix_spawn(pid, a->bin[side], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        fprintf(stderr, "sluice bench ab: cannot run %s: %s\n", a->bin[side], strerror(rc));
        return 2;
    }
    if (l >= 0) {
        e->load_sum += l;
        e->load_n++;
        e->load_max = l > e->load_max ? l : e->load_max;
    }
    return 0;
}

/* Waits for side `side`'s child `pid` and files its figures as pair `pair`'s. 0, 1 (the
 * child failed or its output lacks a figure) or 2 (the child says usage). */
static int sl_ab_collect(struct sl_ab_env *e, int side, int pair, pid_t pid)
{
    const struct sl_ab_args *a = e->a;
    char json[300], log[300];
    snprintf(json, sizeof(json), "%s/run-%d.json", e->tmp, side);
    snprintf(log, sizeof(log), "%s/run-%d.log", e->tmp, side);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        fprintf(stderr, "sluice bench ab: %s (%s) exited with %d:\n", a->bin[side],
                side ? "NEW" : "BASE", code);
        sl_ab_show_log(log);
        return code == 2 ? 2 : 1;
    }
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_bench_json *doc = sl_bench_json_load(json, &err);
    if (!doc) {
        fprintf(stderr, "sluice bench ab: %s\n", err.msg);
        return 1;
    }
    /* a child's samples, per workload: its repetitions' real (or CPU) times, of which the
     * least is kept, or its instruction count */
    int status = 0;
    static double rep[SL_AB_MAX_SERIES][64]; /* this child's samples per series */
    int nrep[SL_AB_MAX_SERIES] = {0};
    const struct sl_bench_json *bs = sl_bench_json_get(doc, "benchmarks");
    for (size_t i = 0; bs && i < bs->n && !status; i++) {
        const struct sl_bench_json *b = bs->items[i];
        const char *name = sl_bench_json_str(b, "run_name");
        const char *type = sl_bench_json_str(b, "run_type");
        if (!name || !type || strcmp(type, "iteration"))
            continue;
        struct sl_ab_series *s = sl_ab_series_of(e, name);
        if (!s) {
            status = 1;
            break;
        }
        double v;
        if (a->instr) {
            v = sl_bench_json_num(b, "instructions", -1);
        } else {
            const char *u = sl_bench_json_str(b, "time_unit");
            double scale = !u                 ? -1
                           : !strcmp(u, "ns") ? 1e-6
                           : !strcmp(u, "us") ? 1e-3
                           : !strcmp(u, "ms") ? 1
                           : !strcmp(u, "s")  ? 1e3
                                              : -1;
            v = sl_bench_json_num(b, a->cpu ? "cpu_time" : "real_time", -1) * scale;
        }
        if (v <= 0) {
            fprintf(stderr, "sluice bench ab: %s gave no %s for %s\n", a->bin[side],
                    sl_ab_metric_names[a->metric], name);
            status = 1;
            break;
        }
        if (s->n[side] == pair) /* the child's first repetition of this workload */
            s->n[side]++;
        else if (s->n[side] != pair + 1)
            continue;
        if (nrep[s - e->s] < 64)
            rep[s - e->s][nrep[s - e->s]++] = v;
    }
    for (size_t i = 0; i < e->ns && !status; i++) { /* the least of the child's repetitions */
        int nr = nrep[i];
        if (!nr)
            continue;
        qsort(rep[i], (size_t)nr, sizeof(double), sl_ab_cmp_d);
        e->s[i].v[side][pair] = rep[i][0];
    }
    sl_bench_json_free(doc);
    if (!status && e->ns == 0) {
        fprintf(stderr, "sluice bench ab: %s reported no benchmark\n", a->bin[side]);
        status = 1;
    }
    return status;
}

/* ---- report ------------------------------------------------------------------------------------
 */

static const char *sl_ab_verdict_name(enum sl_bench_verdict v)
{
    switch (v) {
    case SL_BV_REGRESSION:
        return "REGRESSION";
    case SL_BV_FASTER:
        return "faster";
    case SL_BV_SAME:
        return "same";
    default:
        return "inconclusive";
    }
}

static double sl_ab_median(const double *v, int n)
{
    double t[SL_AB_MAX_PAIRS];
    memcpy(t, v, (size_t)n * sizeof(double));
    qsort(t, (size_t)n, sizeof(double), sl_ab_cmp_d);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static double sl_ab_pct(double d)
{
    return expm1(d) * 100;
}

static int sl_ab_report(struct sl_ab_env *e, double load_start, double load_end, FILE *json)
{
    const struct sl_ab_args *a = e->a;
    const char *unit = a->instr ? "instructions" : "ms";
    int regressions = 0;
    printf("sluice bench ab: BASE %s\n                 NEW  %s\n", a->bin[0], a->bin[1]);
    printf("metric: %s; %d pairs %s; %lld events per run, %s;\n",
           a->instr ? "instructions (valgrind --tool=callgrind, the timed run)"
           : a->cpu ? "CPU time of the process"
                    : "wall time",
           a->pairs, a->duet ? "run side by side (duet)" : "in A B, B A order",
           (long long)a->events, a->instr ? "1 run per child" : "the least of each child's runs");
    printf("threshold %.3g%%; load average %.2f at the start, %.2f at the end, %.2f mean, %.2f "
           "max over the runs\n\n",
           a->threshold, load_start, load_end, e->load_n ? e->load_sum / e->load_n : -1,
           e->load_max);
    printf("%-28s %13s %13s %8s %20s %6s  %s\n", "benchmark", a->instr ? "base instr" : "base ms",
           a->instr ? "new instr" : "new ms", "change", "interval", "conf", "verdict");
    if (json) {
        time_t now = time(NULL);
        char date[64];
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
        fputs("{\n  \"context\": {\n    \"date\": ", json);
        sl_bench_json_write_str(json, date);
        fputs(",\n    \"base\": ", json);
        sl_bench_json_write_str(json, a->bin[0]);
        fputs(",\n    \"new\": ", json);
        sl_bench_json_write_str(json, a->bin[1]);
        fprintf(json,
                ",\n    \"metric\": \"%s\",\n    \"unit\": \"%s\",\n    \"pairs\": %d,\n"
                "    \"order\": \"%s\",\n    \"events\": %lld,\n    \"child_reps\": %d,\n"
                "    \"warmup\": %d,\n    \"workers\": %d,\n    \"threshold_pct\": %.17g,\n"
                "    \"load_avg_start\": %.2f,\n    \"load_avg_end\": %.2f,\n"
                "    \"load_avg_mean\": %.2f,\n    \"load_avg_max\": %.2f\n  },\n"
                "  \"benchmarks\": [",
                sl_ab_metric_names[a->metric], unit, a->pairs, a->duet ? "duet" : "ABBA",
                (long long)a->events, a->child_reps, a->warmup, a->workers, a->threshold,
                load_start, load_end, e->load_n ? e->load_sum / e->load_n : -1, e->load_max);
    }
    for (size_t i = 0; i < e->ns; i++) {
        struct sl_ab_series *s = &e->s[i];
        int n = s->n[0] < s->n[1] ? s->n[0] : s->n[1];
        if (s->n[0] != a->pairs || s->n[1] != a->pairs) {
            fprintf(stderr, "sluice bench ab: %s is missing from some runs (%d BASE, %d NEW)\n",
                    s->name, s->n[0], s->n[1]);
            return -1;
        }
        double d[SL_AB_MAX_PAIRS];
        for (int k = 0; k < n; k++)
            d[k] = log(s->v[1][k] / s->v[0][k]);
        struct sl_bench_paired p;
        if (sl_bench_paired_ci(d, (size_t)n, &p))
            return -1;
        enum sl_bench_verdict v = sl_bench_paired_verdict(&p, a->threshold);
        regressions += v == SL_BV_REGRESSION;
        double mb = sl_ab_median(s->v[0], n), mn = sl_ab_median(s->v[1], n);
        char iv[48];
        snprintf(iv, sizeof(iv), "[%+.2f%%, %+.2f%%]", sl_ab_pct(p.low), sl_ab_pct(p.high));
        printf("%-28s %13.*f %13.*f %+7.2f%% %20s %5.1f%%  %s\n", s->name, a->instr ? 0 : 2, mb,
               a->instr ? 0 : 2, mn, sl_ab_pct(p.estimate), iv, p.confidence * 100,
               sl_ab_verdict_name(v));
        if (json) {
            fprintf(json, "%s\n    {\n      \"name\": ", i ? "," : "");
            sl_bench_json_write_str(json, s->name);
            fprintf(json,
                    ",\n      \"base_median\": %.17g,\n      \"new_median\": %.17g,\n"
                    "      \"change_pct\": %.17g,\n      \"ci_low_pct\": %.17g,\n"
                    "      \"ci_high_pct\": %.17g,\n      \"confidence\": %.17g,\n"
                    "      \"verdict\": \"%s\",\n      \"pairs\": [",
                    mb, mn, sl_ab_pct(p.estimate), sl_ab_pct(p.low), sl_ab_pct(p.high),
                    p.confidence, sl_ab_verdict_name(v));
            for (int k = 0; k < n; k++)
                fprintf(json, "%s\n        {\"base\": %.17g, \"new\": %.17g, \"ratio\": %.17g}",
                        k ? "," : "", s->v[0][k], s->v[1][k], s->v[1][k] / s->v[0][k]);
            fputs("\n      ]\n    }", json);
        }
    }
    if (a->pairs < 6)
        printf("\n%d pair%s: fewer than 6, so the interval is the range of the pairs, which covers "
               "the median with the confidence shown\n",
               a->pairs, a->pairs == 1 ? "" : "s");
    printf("\nverdict: %s\n", regressions
                                  ? "REGRESSION (the whole interval lies above the threshold)"
                                  : "no regression");
    if (json)
        fprintf(json, "\n  ],\n  \"verdict\": \"%s\"\n}\n", regressions ? "regression" : "pass");
    return regressions;
}

/* ---- the command --------------------------------------------------------------------------------
 */

static int sl_ab_int(const char *flag, const char *v, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || *end || end == v || x < min || x > max) {
        fprintf(stderr, "sluice bench ab: %s needs a number from %lld to %lld\n", flag,
                (long long)min, (long long)max);
        return 2;
    }
    *out = x;
    return 0;
}

/* 0 ok, 1 --help (done), 2 usage error (said) */
static int sl_ab_parse(int argc, char **argv, struct sl_ab_args *a)
{
    memset(a, 0, sizeof(*a));
    int64_t pairs = -1, events = -1, child_reps = -1, warmup = -1, workers = 1;
    a->threshold = 3;
    int nbin = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            fputs(sl_ab_usage, stdout);
            return 1;
        } else if (!strcmp(o, "--quiet")) {
            a->quiet = true;
            continue;
        } else if (!strcmp(o, "--duet")) {
            a->duet = true;
            continue;
        } else if (!strcmp(o, "--pin")) {
            a->pin = true;
            continue;
        } else if (o[0] != '-') {
            if (nbin < 2)
                a->bin[nbin++] = o;
            else if (a->npatterns < SL_AB_MAX_PATTERNS)
                a->patterns[a->npatterns++] = o;
            else
                rc = 2;
            if (rc)
                fprintf(stderr, "sluice bench ab: too many workloads\n");
            if (rc)
                return rc;
            continue;
        }
        if (!v) {
            fprintf(stderr, "sluice bench ab: %s needs a value\n%s", o, sl_ab_usage);
            return 2;
        }
        i++;
        if (!strcmp(o, "--metric")) {
            a->metric = -1;
            for (int m = 0; m < 3; m++)
                if (!strcmp(v, sl_ab_metric_names[m]))
                    a->metric = m;
            if (a->metric < 0) {
                fprintf(stderr, "sluice bench ab: --metric is wall, cpu or instructions\n");
                return 2;
            }
            a->instr = a->metric == SL_AB_INSTR;
            a->cpu = a->metric == SL_AB_CPU;
        } else if (!strcmp(o, "--reps")) {
            rc = sl_ab_int(o, v, 1, SL_AB_MAX_PAIRS - 2, &pairs);
        } else if (!strcmp(o, "--events")) {
            rc = sl_ab_int(o, v, 1, INT64_MAX / 2, &events);
        } else if (!strcmp(o, "--child-reps")) {
            rc = sl_ab_int(o, v, 1, 63, &child_reps);
        } else if (!strcmp(o, "--warmup")) {
            rc = sl_ab_int(o, v, 0, 100, &warmup);
        } else if (!strcmp(o, "--workers")) {
            rc = sl_ab_int(o, v, 1, 1024, &workers);
        } else if (!strcmp(o, "--threshold")) {
            char *end;
            a->threshold = strtod(v, &end);
            if (*end || end == v || !(a->threshold >= 0) || a->threshold > 1000) {
                fprintf(stderr, "sluice bench ab: --threshold needs a percentage\n");
                return 2;
            }
        } else if (!strcmp(o, "--out")) {
            a->out = v;
        } else {
            fprintf(stderr, "sluice bench ab: unknown option '%s'\n%s", o, sl_ab_usage);
            return 2;
        }
        if (rc)
            return rc;
    }
    if (nbin < 2) {
        fprintf(stderr, "sluice bench ab: needs BASE_BINARY and NEW_BINARY\n%s", sl_ab_usage);
        return 2;
    }
    for (int s = 0; s < 2; s++)
        if (access(a->bin[s], X_OK)) {
            fprintf(stderr, "sluice bench ab: %s is not an executable: %s\n", a->bin[s],
                    strerror(errno));
            return 2;
        }
    if (!a->npatterns) {
        a->patterns[a->npatterns++] = "nexmark/q1/gen";
        a->patterns[a->npatterns++] = "nexmark/tumble_stats/gen";
    }
    a->pairs = (int)(pairs > 0 ? pairs : a->instr ? 3 : 10);
    a->events = events > 0 ? events : a->instr ? 50000 : 500000;
    a->child_reps = (int)(child_reps > 0 ? child_reps : a->instr ? 1 : 3);
    a->warmup = (int)(warmup >= 0 ? warmup : a->instr ? 0 : 1);
    a->workers = (int)workers;
    return 0;
}

int sl_bench_ab(int argc, char **argv)
{
    struct sl_ab_args a;
    int rc = sl_ab_parse(argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : 2;
    struct sl_ab_env e = {.a = &a};
    const char *td = getenv("TMPDIR");
    snprintf(e.tmp, sizeof(e.tmp), "%s/sluice-ab-XXXXXX", td && *td ? td : "/tmp");
    if (!mkdtemp(e.tmp)) {
        fprintf(stderr, "sluice bench ab: cannot make a directory in %s: %s\n",
                td && *td ? td : "/tmp", strerror(errno));
        return 1;
    }
    FILE *json = NULL;
    if (a.out && !(json = fopen(a.out, "w"))) {
        fprintf(stderr, "sluice bench ab: cannot write %s: %s\n", a.out, strerror(errno));
        rc = 2;
        goto out;
    }
    double load_start = sl_ab_load1();
    for (int p = 0; p < a.pairs; p++) {
        int first = p % 2; /* A B, B A, A B, ... */
        pid_t pid[2];
        if (a.duet) { /* both at once: whatever the machine does then, it does to both */
            rc = sl_ab_spawn(&e, 0, &pid[0]);
            if (!rc && (rc = sl_ab_spawn(&e, 1, &pid[1])))
                waitpid(pid[0], NULL, 0);
            for (int k = 0; k < 2 && !rc; k++) {
                int r = sl_ab_collect(&e, k, p, pid[k]);
                if (r && k == 0)
                    waitpid(pid[1], NULL, 0);
                rc = r;
            }
        }
        for (int k = 0; k < 2 && !rc && !a.duet; k++) {
            int side = k ? !first : first;
            rc = sl_ab_spawn(&e, side, &pid[side]);
            if (!rc)
                rc = sl_ab_collect(&e, side, p, pid[side]);
        }
        if (rc)
            goto out;
        if (!a.quiet) {
            fprintf(stderr, "sluice bench ab: pair %d/%d (%s first):", p + 1, a.pairs,
                    first ? "NEW" : "BASE");
            for (size_t i = 0; i < e.ns; i++)
                fprintf(stderr, " %s %+.2f%%", e.s[i].name,
                        (e.s[i].v[1][p] / e.s[i].v[0][p] - 1) * 100);
            fputc('\n', stderr);
        }
    }
    rc = sl_ab_report(&e, load_start, sl_ab_load1(), json);
    rc = rc < 0 ? 1 : rc > 0;
out:
    if (json && fclose(json) && !rc) {
        fprintf(stderr, "sluice bench ab: cannot write %s\n", a.out);
        rc = 1;
    }
    char path[300];
    for (int side = 0; side < 2; side++) {
        snprintf(path, sizeof(path), "%s/run-%d.json", e.tmp, side);
        unlink(path);
        snprintf(path, sizeof(path), "%s/run-%d.log", e.tmp, side);
        unlink(path);
    }
    rmdir(e.tmp);
    for (size_t i = 0; i < e.ns; i++) {
        free(e.s[i].name);
        free(e.s[i].v[0]);
        free(e.s[i].v[1]);
    }
    return rc;
}
