/*
 * tools/cmd_bench.h - `sluice bench`: end-to-end benchmarks of whole SQL pipelines, their
 * results in google-benchmark's JSON format, and the regression gate that compares two.
 *
 *   sluice bench run [WORKLOAD...] [FILE.sql...] [options]   (tools/cmd_bench.c)
 *   sluice bench list
 *   sluice bench show WORKLOAD
 *   sluice bench compare BASE.json NEW.json [--threshold PCT] (tools/cmd_bench_report.c)
 *   sluice bench plot RESULTS.json... -o chart.svg             (tools/cmd_bench_report.c)
 *   sluice bench ab BASE_BINARY NEW_BINARY [WORKLOAD...]     (tools/cmd_bench_ab.c)
 *
 * The functions below are the parts tests call directly. Messages go to stderr; reports to
 * the FILE given. No pointer passed in is kept.
 */
#ifndef SL_TOOLS_CMD_BENCH_H
#define SL_TOOLS_CMD_BENCH_H

#include <stdio.h>

#include "engine/core/error.h"
#include "tools/cmd_bench_json.h"

/* argv[0] is "bench"; returns the process exit status (0 ok, 1 a failed run or a
 * regression, 2 a usage error or unreadable input). */
int sl_cmd_bench(int argc, char **argv);

/* Verdicts of the compare step. */
enum sl_bench_verdict {
    SL_BV_SAME,       /* the change is within the threshold */
    SL_BV_NOISE,      /* beyond the threshold but not beyond the runs' spread */
    SL_BV_FASTER,     /* an improvement beyond threshold and spread */
    SL_BV_REGRESSION, /* slower beyond threshold and spread: fails the gate */
    SL_BV_MISSING,    /* in BASE, not in NEW: fails the gate */
    SL_BV_NEW,        /* in NEW only */
};

/*
 * Compares two result files. For each benchmark (its run_name) the samples are the
 * real_time of its repetitions (or of its _median / _mean aggregate when the file has no
 * repetitions). The change is that of the medians. A change beyond `threshold_pct` counts
 * only when it is also beyond the noise: a two-sided Mann-Whitney U test at p < 0.05 when
 * both sides have 4 or more repetitions (as google-benchmark's compare.py), else no overlap
 * of the two ranges [min, max]; a single sample on either side is judged on the threshold
 * alone (said in the report). Writes one line per benchmark to `out`.
 * Returns 0 (no regression), 1 (a regression or a missing benchmark) or 2 (a file cannot
 * be read or is not in google-benchmark's format; `err` says why).
 */
int sl_bench_compare_files(const char *base, const char *newer, double threshold_pct, FILE *out,
                           struct sl_error *err);

/* Checks that `doc` has the shape google-benchmark writes and compare.py reads: a context
 * object and a benchmarks array whose entries have name, run_name, run_type (iteration or
 * aggregate, with aggregate_name), repetitions, iterations, real_time, cpu_time and
 * time_unit (ns, us, ms, s). 0 or SL_EPARSE naming the first problem. */
int sl_bench_validate(const struct sl_bench_json *doc, struct sl_error *err);

/* The two-sided p-value of the Mann-Whitney U test between samples a and b (exact for
 * na + nb <= 40, normal approximation with tie correction beyond). 1 when either is empty. */
double sl_bench_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);

/* Writes an SVG chart of each benchmark's median throughput (and p99 latency where the
 * files have it) over the result files, in order, to `out_path`. 0, or an error code with
 * `err` set. */
int sl_bench_plot_files(const char *const *paths, size_t n, const char *out_path,
                        struct sl_error *err);

/* `sluice bench ab`: argv[0] is "ab". 0 no regression, 1 a regression or a failed child
 * run, 2 a usage error. */
int sl_bench_ab(int argc, char **argv);

/* The paired comparison of `sluice bench ab`, on d_i = ln(NEW_i / BASE_i). */
struct sl_bench_paired {
    double estimate;   /* the Hodges-Lehmann estimate: median of the Walsh averages */
    double low, high;  /* its exact Wilcoxon signed-rank interval */
    double confidence; /* that interval's coverage: >= 0.95 from 6 pairs, 1 - 2^(1-n) below */
    size_t n;
};

/* Fills `out` from the n log-ratios d. 0, SL_EINVAL (n == 0) or SL_ENOMEM. */
int sl_bench_paired_ci(const double *d, size_t n, struct sl_bench_paired *out);

/* SL_BV_REGRESSION when the whole interval lies above ln(1 + threshold_pct / 100),
 * SL_BV_FASTER when below its negative, SL_BV_SAME when within both, else SL_BV_NOISE
 * (reported as "inconclusive"). */
enum sl_bench_verdict sl_bench_paired_verdict(const struct sl_bench_paired *p,
                                              double threshold_pct);

/* Where a run's state directories go: $SLUICE_BENCH_DIR, else $TMPDIR, else /var/tmp. */
const char *sl_bench_state_base(void);

/* Removes a run's state directory and everything in it (says so on stderr when it cannot). */
void sl_bench_rmtree(const char *dir);

#endif
