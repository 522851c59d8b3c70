/*
 * tests/engine/test_sql_agg.c - DISTINCT and FILTER aggregates in the parser and binder: the
 * plan (FILTER conditions as BOOLEAN input columns, identical ones shared; DISTINCT flags;
 * MIN / MAX(DISTINCT) plain), and the errors (with line and column) for FILTER on a
 * non-aggregate, a non-BOOLEAN or aggregating condition, and bad split-distinct options.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sql/binder.h"

static const char ddl[] =
    "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR,\n"
    "    `dateTime` TIMESTAMP(3),\n"
    "    WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND\n"
    ") WITH ('connector' = 'kafka', 'topic' = 'nexmark', 'format' = 'json');\n"
    "CREATE TABLE o (ws TIMESTAMP(3), a BIGINT, b BIGINT, c BIGINT, d BIGINT, e BIGINT)\n"
    "    WITH ('connector' = 'blackhole');\n";

static struct sl_job *bind(const char *query, struct sl_error *err)
{
    size_t la = strlen(ddl), lq = strlen(query);
    char *sql = malloc(la + lq + 1);
    assert_non_null(sql);
    memcpy(sql, ddl, la);
    memcpy(sql + la, query, lq + 1);
    sl_error_clear(err);
    struct sl_job *job = sl_job_from_sql("q.sql", sql, la + lq, NULL, 0, err);
    free(sql);
    return job;
}

static void bind_err(const char *query, const char *n1, const char *n2)
{
    struct sl_error err;
    struct sl_job *job = bind(query, &err);
    if (job || !strstr(err.msg, n1) || (n2 && !strstr(err.msg, n2))) {
        fprintf(stderr, "query: %s\nwanted: %s / %s\ngot: %s\n", query, n1, n2 ? n2 : "",
                job ? "(bound)" : err.msg);
        sl_job_free(job);
        fail();
    }
}

#define FROM_TUMBLE                                                                \
    " FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))" \
    " GROUP BY window_start, window_end;"

static void test_plan(void **state)
{
    (void)state;
    struct sl_error err;
    struct sl_job *job = bind("INSERT INTO o SELECT window_start,\n"
                              "  count(*) filter (where price < 10000),\n"
                              "  count(distinct bidder) filter (where price < 10000),\n"
                              "  count(distinct bidder),\n"
                              "  sum(distinct price) FILTER (WHERE channel = 'Google'),\n"
                              "  max(distinct price)" FROM_TUMBLE,
                              &err);
    if (!job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(job);
    const struct sl_plan *p = job->inserts[0];
    while (p && p->kind != SL_PLAN_AGG)
        p = p->input;
    assert_non_null(p);
    const struct sl_rel *in = &p->input->out;
    assert_int_equal(p->agg.naggs, 5);
    const struct sl_agg *g = p->agg.aggs;
    /* the two `price < 10000` share one column; the channel condition has its own */
    assert_true(g[0].filter > 0 && g[0].filter == g[1].filter);
    assert_int_equal(g[2].filter, 0);
    assert_true(g[3].filter > 0 && g[3].filter != g[0].filter);
    assert_int_equal(g[4].filter, 0);
    assert_int_equal(in->cols[g[0].filter - 1].type.id, SL_TYPE_BOOLEAN);
    assert_int_equal(in->cols[g[3].filter - 1].type.id, SL_TYPE_BOOLEAN);
    assert_false(g[0].distinct);
    assert_true(g[1].distinct && g[2].distinct && g[3].distinct);
    assert_false(g[4].distinct); /* MAX(DISTINCT x) = MAX(x) */
    assert_int_equal(g[1].fn, SL_AGG_COUNT);
    assert_int_equal(g[3].fn, SL_AGG_SUM);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sl_plan_explain(job->inserts[0], f);
    fclose(f);
    assert_non_null(strstr(buf, "COUNT(DISTINCT "));
    assert_non_null(strstr(buf, " FILTER (WHERE FILTER$0)"));
    free(buf);
    sl_job_free(job);
    /* the split-distinct options are accepted */
    job = bind("SET 'table.optimizer.distinct-agg.split.enabled' = 'true';\n"
               "SET 'table.optimizer.distinct-agg.split.bucket-num' = '1024';\n"
               "INSERT INTO o SELECT window_start, count(distinct bidder), 1, 2, 3, 4" FROM_TUMBLE,
               &err);
    if (!job)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(job);
    sl_job_free(job);
}

static void test_errors(void **state)
{
    (void)state;
    bind_err(
        "INSERT INTO o SELECT window_start, count(*) filter (where price), 1, 2, 3, 4" FROM_TUMBLE,
        "q.sql:7:", "FILTER");
    bind_err("INSERT INTO o SELECT window_start, count(*) filter (where count(*) > 1), 1, 2, 3, "
             "4" FROM_TUMBLE,
             "aggregate functions are not allowed in FILTER", NULL);
    bind_err("INSERT INTO o SELECT window_start, abs(price) filter (where price > 1), 1, 2, 3, "
             "4" FROM_TUMBLE,
             "q.sql:7:", "only for aggregates");
    bind_err("INSERT INTO o SELECT window_start, count(*) filter price > 1, 1, 2, 3, 4" FROM_TUMBLE,
             "q.sql:7:", NULL);
    bind_err(
        "INSERT INTO o SELECT window_start, count(*) filter (price > 1), 1, 2, 3, 4" FROM_TUMBLE,
        "q.sql:7:", "WHERE");
    bind_err(
        "INSERT INTO o SELECT window_start, count(*) filter (where nope), 1, 2, 3, 4" FROM_TUMBLE,
        "unknown column 'nope'", NULL);
    bind_err("SET 'table.optimizer.distinct-agg.split.enabled' = 'yes';\n"
             "INSERT INTO o SELECT window_start, 1, 2, 3, 4, 5" FROM_TUMBLE,
             "q.sql:7:1", "'true' or 'false'");
    bind_err("SET 'table.optimizer.distinct-agg.split.bucket-num' = '0';\n"
             "INSERT INTO o SELECT window_start, 1, 2, 3, 4, 5" FROM_TUMBLE,
             "q.sql:7:1", "positive integer");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("engine/sql_agg", tests, NULL, NULL);
}
