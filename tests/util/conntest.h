/*
 * tests/util/conntest.h - helpers of the connector and lookup join tests: a job bound from
 * SQL, its tables, a connector environment, a fake worker context, and a weak stand-in for
 * the executor's sl_plan_rel_schema (engine/exec/exec.c's own definition wins when linked).
 */
#ifndef SL_TESTS_CONNTEST_H
#define SL_TESTS_CONNTEST_H

#include <stdio.h>

#include "engine/conn/registry.h"
#include "engine/ops/operator.h"
#include "engine/plan/catalog.h"

/* Binds `sql` (file name "t.sql"); fails the test with the message when it does not bind. */
struct sl_job *sl_ct_job(const char *sql);
/* The table named `name` of the job (fails the test when absent). */
const struct sl_table *sl_ct_table(const struct sl_job *job, const char *name);

/* An environment with the job's SQL source for positions, printing to `out`. */
/* One poll as the executor does it: when the source returns no rows but says when its next
 * are due (info->wake_ns, a paced generator), sleeps until then (at most timeout_ms) and
 * polls once more. */
int sl_ct_poll(struct sl_source *src, struct sl_worker_ctx *ctx, struct sl_batch *b, int timeout_ms,
               struct sl_source_info *info, struct sl_error *err);

struct sl_connector_env sl_ct_env(const struct sl_job *job, FILE *out);

/* A worker context: worker w of n, its own heap (freed by sl_ct_ctx_free) and stats. */
struct sl_ct_ctx {
    struct sl_worker_ctx ctx;
    struct sl_worker_stats stats;
};
void sl_ct_ctx_init(struct sl_ct_ctx *c, int worker, int nworkers, const struct sl_job *job);
void sl_ct_ctx_free(struct sl_ct_ctx *c);

/* A fresh empty directory under /tmp (caller frees the string; sl_ct_rmdir removes it). */
char *sl_ct_tmpdir(void);
void sl_ct_rmdir(const char *dir);

/* The SQL source of a job (for sl_connector_env.sql). */
const struct sl_sql_source *sl_ct_sql(const struct sl_job *job);

#endif
