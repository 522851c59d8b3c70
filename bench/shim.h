/*
 * bench/shim.h - a C face on google-benchmark (C++), so that benchmarks are written in C.
 *
 * A benchmark is a function that loops while sl_bench_running() says so; it registers itself
 * from a constructor in its own bench/<name>.c file:
 *
 *     static void bm_sum(struct sl_bench *b, void *arg) {
 *         while (sl_bench_running(b)) { ... }
 *         sl_bench_items(b, rows_per_iteration);
 *     }
 *     SL_BENCH_REGISTER(register_sum) { sl_bench_add("reduce/sum_i64/avx2", bm_sum, &arg); }
 *
 * Results come out in google-benchmark's formats (--benchmark_format=json,
 * --benchmark_out=FILE), so its compare.py and CI actions read them.
 */
#ifndef SL_BENCH_SHIM_H
#define SL_BENCH_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sl_bench; /* a benchmark::State */

typedef void (*sl_bench_fn)(struct sl_bench *b, void *arg);

/* Registers a benchmark; `arg` is passed to every run and must outlive the program. Returns
 * a handle for the setters below. */
struct sl_bench_def;
struct sl_bench_def *sl_bench_add(const char *name, sl_bench_fn fn, void *arg);
/* Runs the benchmark for at least `seconds` (google-benchmark's MinTime). */
void sl_bench_def_min_time(struct sl_bench_def *def, double seconds);
/* Measures wall-clock time instead of the benchmark thread's CPU time: for benchmarks whose
 * work happens partly on other threads (librdkafka's, the mock broker's). */
void sl_bench_def_real_time(struct sl_bench_def *def);
/* Reports the time of each iteration in this unit: 'n' ns, 'u' us, 'm' ms. */
void sl_bench_def_unit(struct sl_bench_def *def, char unit);

/* True while the benchmark should run another iteration. */
int sl_bench_running(struct sl_bench *b);
/* Items (rows, values, events) and bytes processed per iteration: google-benchmark reports
 * items_per_second and bytes_per_second from them. */
void sl_bench_items(struct sl_bench *b, int64_t per_iteration);
void sl_bench_bytes(struct sl_bench *b, int64_t per_iteration);
/* A named figure reported beside the timing (a counter in the JSON). */
void sl_bench_counter(struct sl_bench *b, const char *name, double value);
/* Stops the benchmark with an error message shown in its result. */
void sl_bench_error(struct sl_bench *b, const char *msg);
/* Excludes set-up work inside the loop from the timing. */
void sl_bench_pause(struct sl_bench *b);
void sl_bench_resume(struct sl_bench *b);

/* Keeps the compiler from optimizing a computed value away. */
void sl_bench_keep(const void *p);

/* Adds a key/value pair to the "context" object of the results (the machine, the SIMD
 * level). */
void sl_bench_context(const char *key, const char *value);

/* Runs the benchmarks selected by argv (google-benchmark's flags); returns an exit status. */
int sl_bench_main(int argc, char **argv);

#define SL_BENCH_REGISTER(fn)                          \
    static void fn(void) __attribute__((constructor)); \
    static void fn(void)

#ifdef __cplusplus
}
#endif

#endif
