/*
 * engine/exec/metrics.h - the live figures of a running job in Prometheus' text exposition
 * format (version 0.0.4), for an HTTP endpoint to serve (`sluice run --metrics-port`,
 * tools/cmd_metrics_http.c). docs/metrics.md lists every metric.
 *
 * HOW IT WORKS
 * The workers already count what they do - rows in and out, bytes, bad and late records,
 * their watermark (struct sl_worker_stats, engine/ops/operator.h) - with relaxed atomic
 * stores; the executor splits those counts per pipeline as it goes (a few loads and stores
 * per batch, on the worker's own thread: struct sl_pipe_stats, exec_int.h) and times each
 * worker's busy turns; the checkpoint coordinator stores its figures (epoch, count,
 * duration, alignment, size, each operator's state bytes) the same way. Nothing on a
 * worker's path takes a lock or waits for a reader.
 *
 * A struct sl_metrics is made by the caller before the run and handed to sl_exec_run
 * through sl_exec_opts.metrics. The run attaches itself once its workers exist and detaches
 * before it frees them; sl_metrics_render - on any thread, e.g. an HTTP server's - takes the
 * handle's mutex (held only by renders and by attach / detach, never by a worker), reads the
 * atomics and formats them. Before the run starts and after it ended a render holds only
 * the families without samples. Consumer lag comes from the sources that can tell
 * (sl_source_ops.lag, engine/ops/connector.h: Kafka's cached high watermarks), called from
 * the rendering thread.
 *
 * THE FORMAT (https://prometheus.io/docs/instrumenting/exposition_formats/)
 * Per family one "# HELP name text" line (backslash and line feed escaped as \\ and \n),
 * one "# TYPE name counter|gauge|summary" line, then its samples "name{l="v",...} value",
 * label values escaped as \\, \" and \n. Counters end in _total; units are in the names
 * (_seconds, _bytes); a summary without quantiles has name_sum and name_count samples.
 * Values: integers as decimal digits, other numbers in 15 digits (17 where 15 do not read
 * back exactly), +Inf, -Inf, NaN. Every family is one group: HELP, TYPE, its samples.
 */
#ifndef SL_ENGINE_METRICS_H
#define SL_ENGINE_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/core/error.h"

struct sl_metrics;

/* A handle for one run of job `job` (the "job" label; copied). SL_ENOMEM. */
int sl_metrics_new(const char *job, struct sl_metrics **out, struct sl_error *err);
/* Frees the handle; no run may be attached any more. NULL is allowed. */
void sl_metrics_free(struct sl_metrics *m);

/*
 * The metrics now, as exposition text: a NUL-terminated malloc'd string (the caller frees
 * it), its length in *len. Any thread, any number at once. NULL when out of memory.
 */
char *sl_metrics_render(struct sl_metrics *m, size_t *len);

/*
 * --cluster auto (engine/exec/ccluster.c): the generation this process runs (0: none yet,
 * or a spare's wait), the generations it started (each a rebalance) and the last rebalance
 * time it measured as a generation's leader, publication to first committed epoch (< 0:
 * none). Kept by the handle across generations, as the run attaches anew for each; from
 * the first call on, renders carry the sluice_cluster_* families. Any thread; NULL m is
 * fine.
 */
void sl_metrics_cluster(struct sl_metrics *m, int64_t generation, uint64_t started,
                        double rebalance_ms);

/* ---- the exposition format (used by the render; tests check them alone) --------------------
 *
 * A label set is `n` pairs: labels[2 * i] the name, labels[2 * i + 1] the value. */

/* "# HELP name help" and "# TYPE name type". */
void sl_prom_family(FILE *f, const char *name, const char *type, const char *help);
/* One sample "name{labels} value": `v` as an integer when it is one below 2^53. */
void sl_prom_sample(FILE *f, const char *name, const char *const *labels, uint32_t n, double v);
/* One sample of an unsigned integer counter or gauge (exact beyond 2^53). */
void sl_prom_sample_u64(FILE *f, const char *name, const char *const *labels, uint32_t n,
                        uint64_t v);
/* A label value or HELP text escaped: \ -> \\, line feed -> \n, and in a label value
 * (`quote`) " -> \". */
void sl_prom_escape(FILE *f, const char *s, int quote);

#endif
