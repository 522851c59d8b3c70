/*
 * bench/eval.c - expression evaluation (engine/ops/eval.h) per SIMD level, on one cache-resident
 * batch of SL_BATCH_CAP Nexmark-like bids (no NULLs, no selection), plans bound from SQL:
 *   eval/q1_project   q1's select list: auction, bidder, 0.908 * price (DECIMAL), dateTime,
 *                     extra (strings copied into the output batch)
 *   eval/q2_filter    q2's WHERE MOD(auction, 123) = 0 (about 1 row in 123 passes)
 *   eval/case         CASE WHEN price > 1000 THEN 'high' WHEN price > 100 THEN 'mid' ELSE
 *                     'low' END
 *   eval/date_format  auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd'), HOUR(dateTime) (the time
 *                     functions of Nexmark q10-q16, engine/ops/eval_fn.c)
 * items_per_second counts input rows.
 */
#include <stdio.h>
#include <string.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include "engine/core/batch.h"
#include "engine/ops/eval.h"
#include "engine/plan/catalog.h"
#include "engine/sql/ast.h"
#include "engine/sql/binder.h"

enum { SL_BM_Q1, SL_BM_Q2, SL_BM_CASE, SL_BM_DATEFMT, SL_BM_COUNT };

static const char *const sl_bm_eval_sql[SL_BM_COUNT] = {
    "INSERT INTO o1 SELECT auction, bidder, 0.908 * price, `dateTime`, extra FROM bid;",
    "INSERT INTO o2 SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;",
    "INSERT INTO o3 SELECT CASE WHEN price > 1000 THEN 'high' WHEN price > 100 THEN 'mid' "
    "ELSE 'low' END FROM bid;",
    "INSERT INTO o4 SELECT auction, DATE_FORMAT(`dateTime`, 'yyyy-MM-dd'), HOUR(`dateTime`) "
    "FROM bid;",
};

static const char sl_bm_eval_ddl[] =
    "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR,\n"
    "    `dateTime` TIMESTAMP(3), extra VARCHAR)\n"
    "    WITH ('connector' = 'kafka', 'topic' = 'bid', 'format' = 'json');\n"
    "CREATE TABLE o1 (auction BIGINT, bidder BIGINT, price DECIMAL(23, 3),\n"
    "    `dateTime` TIMESTAMP(3), extra VARCHAR) WITH ('connector' = 'blackhole');\n"
    "CREATE TABLE o2 (auction BIGINT, price BIGINT) WITH ('connector' = 'blackhole');\n"
    "CREATE TABLE o3 (c VARCHAR) WITH ('connector' = 'blackhole');\n"
    "CREATE TABLE o4 (auction BIGINT, d VARCHAR, h BIGINT) WITH ('connector' = 'blackhole');\n";

struct sl_bm_eval {
    sl_simd_level level;
    int which;
};

static struct sl_schema *sl_bm_schema(const struct sl_rel *rel)
{
    const char *names[16];
    struct sl_type types[16];
    for (uint32_t c = 0; c < rel->ncols && c < 16; c++) {
        names[c] = rel->cols[c].name;
        types[c] = rel->cols[c].type;
    }
    return sl_schema_new(rel->ncols < 16 ? rel->ncols : 16, names, types);
}

static void bm_eval(struct sl_bench *b, void *arg)
{
    const struct sl_bm_eval *p = arg;
    char sql[2048];
    snprintf(sql, sizeof(sql), "%s%s", sl_bm_eval_ddl, sl_bm_eval_sql[p->which]);
    struct sl_error err;
    struct sl_job *job = sl_job_from_sql("bench.sql", sql, strlen(sql), NULL, 0, &err);
    if (!job || sl_simd_use(p->level)) {
        sl_bench_error(b, job ? "SIMD level unavailable" : err.msg);
        sl_job_free(job);
        return;
    }
    const struct sl_plan *proj = job->inserts[0]->input, *node = proj;
    struct sl_expr **exprs = proj->project.exprs;
    uint32_t nexprs = proj->project.nexprs;
    if (p->which == SL_BM_Q2) {
        node = proj->input;
        exprs = &((struct sl_plan *)node)->filter.pred;
        nexprs = 1;
    }
    const struct sl_rel *in_rel = &node->input->out;
    struct sl_eval *ev = sl_eval_new(NULL, in_rel, nexprs, exprs, job->file->src, &err);
    struct sl_schema *is = sl_bm_schema(in_rel), *os = sl_bm_schema(&proj->out);
    struct sl_batch_pool *ip = sl_batch_pool_new(NULL, is, 1), *op = sl_batch_pool_new(NULL, os, 1);
    struct sl_batch *in = ip ? sl_batch_pool_get(ip) : NULL,
                    *out = op ? sl_batch_pool_get(op) : NULL;
    if (!ev || !in || !out) {
        sl_bench_error(b, ev ? "out of memory" : err.msg);
        goto out_free;
    }
    uint64_t s = 5;
    static char extra[SL_BATCH_CAP][24];
    for (uint32_t r = 0; r < SL_BATCH_CAP; r++) {
        sl_col_i64(&in->cols[0])[r] = 1000 + (int64_t)(sl_bench_rand(&s) % 100000);
        sl_col_i64(&in->cols[1])[r] = (int64_t)(sl_bench_rand(&s) % 1000000);
        sl_col_i64(&in->cols[2])[r] = (int64_t)(sl_bench_rand(&s) % 10000);
        sl_col_str(&in->cols[3])[r] = sl_str_make("Google", 6);
        sl_col_i64(&in->cols[4])[r] = 1700000000000 + (int64_t)r * 7919; /* 4.5 hours */
        memset(extra[r], 'a' + (int)(r % 26), sizeof(extra[r]));
        sl_col_str(&in->cols[5])[r] = sl_str_make(extra[r], (uint32_t)(r % 24));
    }
    in->rows = SL_BATCH_CAP;
    uint64_t passed = 0;
    int rc = 0;
    while (sl_bench_running(b)) {
        if (p->which == SL_BM_Q2) {
            sl_batch_sel_commit(in, NULL, 0);
            rc |= sl_eval_filter(ev, in, &err);
            passed += sl_batch_active(in);
        } else {
            sl_batch_reset(out);
            rc |= sl_eval_project(ev, in, out, &err);
            sl_bench_keep(out->cols[0].data);
        }
    }
    if (rc)
        sl_bench_error(b, err.msg);
    sl_bench_items(b, SL_BATCH_CAP);
    if (p->which == SL_BM_Q2)
        sl_bench_counter(b, "passed", (double)passed);
out_free:
    if (in)
        sl_batch_pool_put(in);
    if (out)
        sl_batch_pool_put(out);
    sl_batch_pool_free(ip);
    sl_batch_pool_free(op);
    sl_schema_free(is);
    sl_schema_free(os);
    sl_eval_free(ev);
    sl_job_free(job);
    sl_simd_init();
}

SL_BENCH_REGISTER(sl_bm_eval_register)
{
    static const char *const names[SL_BM_COUNT] = {"q1_project", "q2_filter", "case",
                                                   "date_format"};
    static struct sl_bm_eval args[SL_SIMD_COUNT][SL_BM_COUNT];
    static char bnames[SL_SIMD_COUNT][SL_BM_COUNT][64];
    for (int l = 0; l < SL_SIMD_COUNT; l++) {
        if (!sl_simd_supported((sl_simd_level)l))
            continue;
        for (int w = 0; w < SL_BM_COUNT; w++) {
            args[l][w].level = (sl_simd_level)l;
            args[l][w].which = w;
            snprintf(bnames[l][w], sizeof(bnames[l][w]), "eval/%s/%s", names[w],
                     sl_simd_name((sl_simd_level)l));
            sl_bench_add(bnames[l][w], bm_eval, &args[l][w]);
        }
    }
}
