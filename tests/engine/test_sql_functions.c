/*
 * tests/engine/test_sql_functions.c - the built-in functions' names (sl_sql_builtins, what
 * `SHOW FUNCTIONS` lists) against the binder that resolves them: each name once, every name
 * written as a call binds as a function of its own (whatever its arguments, never "function
 * X is not supported yet", which an unknown name gets), the aggregates and the group window
 * functions in their places, and every name of the list SHOW FUNCTIONS had before it was
 * derived is still there.
 */
#include "tests/util/testutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/sql/binder.h"

static const char ddl[] = "CREATE TABLE t (id BIGINT, s VARCHAR, ts TIMESTAMP(3),\n"
                          "    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND\n"
                          ") WITH ('connector' = 'datagen');\n"
                          "CREATE TABLE out1 (x VARCHAR) WITH ('connector' = 'blackhole');\n";

static struct sl_sql_builtin *builtins(size_t *n)
{
    *n = sl_sql_builtins(NULL, 0);
    assert_true(*n > 0);
    struct sl_sql_builtin *b = calloc(*n, sizeof(*b));
    assert_non_null(b);
    assert_int_equal(sl_sql_builtins(b, *n), *n);
    /* a short buffer gets the first entries and the same count */
    struct sl_sql_builtin two[2];
    assert_int_equal(sl_sql_builtins(two, 2), *n);
    assert_string_equal(two[0].name, b[0].name);
    assert_string_equal(two[1].name, b[1].name);
    return b;
}

/* The error of binding ddl + query, or NULL when it binds (the message is static). */
static const char *bind_msg(const char *query)
{
    static struct sl_error err;
    size_t len = strlen(ddl) + strlen(query);
    char *sql = malloc(len + 1);
    assert_non_null(sql);
    snprintf(sql, len + 1, "%s%s", ddl, query);
    sl_error_clear(&err);
    struct sl_job *job = sl_job_from_sql("q.sql", sql, len, NULL, 0, &err);
    free(sql);
    if (job) {
        sl_job_free(job);
        return NULL;
    }
    return err.msg;
}

static void test_names_unique(void **state)
{
    (void)state;
    size_t n;
    struct sl_sql_builtin *b = builtins(&n);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(b[i].name);
        assert_true(b[i].name[0] != '\0' && b[i].name[0] != '$');
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(b[i].name, b[j].name) == 0) {
                fprintf(stderr, "listed twice: %s\n", b[i].name);
                fail();
            }
    }
    free(b);
}

/* The probe must be able to fail: an unknown name is refused as such. */
static void test_unknown_refused(void **state)
{
    (void)state;
    const char *msg = bind_msg("INSERT INTO out1 SELECT NO_SUCH_FN(s) FROM t;");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "function NO_SUCH_FN is not supported yet"));
}

/* Flink's LOCATE(a, b, start) is refused as such, not as an unknown function. */
static void test_locate_start_refused(void **state)
{
    (void)state;
    const char *msg =
        bind_msg("INSERT INTO out1 SELECT CAST(LOCATE('a', s, 2) AS VARCHAR) FROM t;");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "q.sql:5:30: LOCATE takes 2 arguments, found 3"));
    assert_null(bind_msg("INSERT INTO out1 SELECT CAST(LOCATE('a', s) AS VARCHAR) FROM t;"));
}

static void test_every_call_binds(void **state)
{
    (void)state;
    size_t n;
    struct sl_sql_builtin *b = builtins(&n);
    char q[512];
    for (size_t i = 0; i < n; i++) {
        const char *name = b[i].name;
        switch (b[i].form) {
        case SL_SQL_BUILTIN_CALL:
            snprintf(q, sizeof(q), "INSERT INTO out1 SELECT CAST(%s(s) AS VARCHAR) FROM t;", name);
            break;
        case SL_SQL_BUILTIN_AGGREGATE:
            snprintf(q, sizeof(q),
                     "INSERT INTO out1 SELECT CAST(%s(id) AS VARCHAR) FROM t GROUP BY s;", name);
            break;
        case SL_SQL_BUILTIN_GROUP_WINDOW: {
            /* <F>_START(ts, ...) under GROUP BY F(ts, ...) */
            size_t fl = strcspn(name, "_");
            const char *args = strncasecmp(name, "HOP", fl) == 0
                                   ? "ts, INTERVAL '1' SECOND, INTERVAL '2' SECOND"
                                   : "ts, INTERVAL '1' SECOND";
            snprintf(q, sizeof(q),
                     "INSERT INTO out1 SELECT CAST(%s(%s) AS VARCHAR) FROM t GROUP BY %.*s(%s);",
                     name, args, (int)fl, name, args);
            break;
        }
        default:
            continue; /* operators: syntax of their own, checked by the parser's tests */
        }
        /* bound, or refused by the binder naming the function (its arguments are wrong
         * here), or by the parser, whose form of the name wants other words (EXTRACT(u
         * FROM ts), POSITION(a IN b)): an unknown name parses as a call and reaches the
         * binder. The group window functions bind as they stand. */
        const char *msg = bind_msg(q);
        char unknown[128];
        snprintf(unknown, sizeof(unknown), "function %s is not supported yet", name);
        bool ok =
            !msg || (b[i].form != SL_SQL_BUILTIN_GROUP_WINDOW &&
                     ((strstr(msg, name) && !strstr(msg, unknown)) || strstr(msg, ": expected ")));
        if (!ok) {
            fprintf(stderr, "%s\n  %s\n", q, msg);
            fail();
        }
    }
    free(b);
}

/* Every name of the list SHOW FUNCTIONS had by hand (tools/cmd_sql.c before it asked the
 * binder) is there, with the right form. */
static void test_old_list_kept(void **state)
{
    (void)state;
    static const char *const ops[] = {"AND",     "BETWEEN", "CASE", "CAST", "IN", "IS NOT NULL",
                                      "IS NULL", "LIKE",    "MAP",  "NOT",  "OR", "||"};
    static const char *const aggs[] = {"AVG", "COUNT", "MAX", "MIN", "SUM"};
    static const char *const calls[] = {"CARDINALITY",
                                        "MOD",
                                        "TO_TIMESTAMP_LTZ",
                                        "SUBSTRING",
                                        "SUBSTR",
                                        "CONCAT",
                                        "CONCAT_WS",
                                        "UPPER",
                                        "LOWER",
                                        "TRIM",
                                        "LTRIM",
                                        "RTRIM",
                                        "LPAD",
                                        "RPAD",
                                        "CHAR_LENGTH",
                                        "CHARACTER_LENGTH",
                                        "POSITION",
                                        "LOCATE",
                                        "REPLACE",
                                        "SPLIT_INDEX",
                                        "REGEXP",
                                        "REGEXP_EXTRACT",
                                        "REGEXP_REPLACE",
                                        "INITCAP",
                                        "REVERSE",
                                        "OVERLAY",
                                        "MD5",
                                        "SHA256",
                                        "COALESCE",
                                        "NULLIF",
                                        "IF",
                                        "GREATEST",
                                        "LEAST",
                                        "JSON_VALUE",
                                        "DATE_FORMAT",
                                        "YEAR",
                                        "QUARTER",
                                        "MONTH",
                                        "WEEK",
                                        "DAYOFYEAR",
                                        "DAYOFMONTH",
                                        "DAYOFWEEK",
                                        "HOUR",
                                        "MINUTE",
                                        "SECOND",
                                        "EXTRACT",
                                        "FLOOR",
                                        "CEIL",
                                        "CEILING",
                                        "TIMESTAMPADD",
                                        "TIMESTAMPDIFF",
                                        "TO_TIMESTAMP",
                                        "UNIX_TIMESTAMP",
                                        "FROM_UNIXTIME",
                                        "CURRENT_TIMESTAMP",
                                        "NOW",
                                        "LOCALTIMESTAMP",
                                        "CURRENT_ROW_TIMESTAMP",
                                        "ABS",
                                        "ROUND",
                                        "POWER",
                                        "SQRT",
                                        "LN",
                                        "LOG10",
                                        "LOG",
                                        "EXP",
                                        "RAND",
                                        "PROCTIME",
                                        "TUMBLE",
                                        "HOP",
                                        "CUMULATE",
                                        "SESSION"};
    static const char *const gwins[] = {"TUMBLE_START",  "TUMBLE_END",  "TUMBLE_ROWTIME",
                                        "HOP_START",     "HOP_END",     "HOP_ROWTIME",
                                        "SESSION_START", "SESSION_END", "SESSION_ROWTIME"};
    static const struct {
        const char *const *names;
        size_t n;
        sl_sql_builtin_form form;
    } want[] = {{ops, sizeof(ops) / sizeof(ops[0]), SL_SQL_BUILTIN_OPERATOR},
                {aggs, sizeof(aggs) / sizeof(aggs[0]), SL_SQL_BUILTIN_AGGREGATE},
                {calls, sizeof(calls) / sizeof(calls[0]), SL_SQL_BUILTIN_CALL},
                {gwins, sizeof(gwins) / sizeof(gwins[0]), SL_SQL_BUILTIN_GROUP_WINDOW}};
    size_t n;
    struct sl_sql_builtin *b = builtins(&n);
    for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++)
        for (size_t k = 0; k < want[w].n; k++) {
            size_t i = 0;
            while (i < n && strcmp(b[i].name, want[w].names[k]) != 0)
                i++;
            if (i == n || b[i].form != want[w].form) {
                fprintf(stderr, "%s: %s\n", want[w].names[k], i == n ? "missing" : "wrong form");
                fail();
            }
        }
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_unique),         cmocka_unit_test(test_unknown_refused),
        cmocka_unit_test(test_locate_start_refused), cmocka_unit_test(test_every_call_binds),
        cmocka_unit_test(test_old_list_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
