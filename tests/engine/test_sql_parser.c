/*
 * tests/engine/test_sql_parser.c - the SQL lexer and parser: the shapes of the Nexmark and
 * YSB pipelines parse into the right trees, and every error names file, line and column.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <string.h>

#include "engine/sql/parser.h"

static struct sl_sql_file *parse(const char *sql, const struct sl_sql_param *params, size_t n,
                                 struct sl_error *err)
{
    sl_error_clear(err);
    return sl_sql_parse("q.sql", sql, strlen(sql), params, n, err);
}

/* Parses `sql`, expects failure, and checks that the message starts with `prefix` and
 * contains `needle`. */
static void expect_error(const char *sql, const char *prefix, const char *needle)
{
    struct sl_error err;
    struct sl_sql_file *f = parse(sql, NULL, 0, &err);
    if (f || strncmp(err.msg, prefix, strlen(prefix)) != 0 || !strstr(err.msg, needle)) {
        fprintf(stderr, "sql: %s\nwanted: %s ... %s\ngot: %s\n", sql, prefix, needle,
                f ? "(parsed)" : err.msg);
        sl_sql_file_free(f);
        fail();
    }
    assert_int_equal(err.code, SL_EPARSE);
}

static const char nexmark_ddl[] =
    "-- the Nexmark source table\n"
    "CREATE TABLE kafka (\n"
    "    event_type int,\n"
    "    person ROW<id BIGINT, name VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR>,\n"
    "    bid ROW<\n"
    "        auction  BIGINT,\n"
    "        price  BIGINT,\n"
    "        `dateTime`  TIMESTAMP(3)>,\n"
    "    `dateTime` AS\n"
    "        CASE\n"
    "            WHEN event_type = 0 THEN person.`dateTime`\n"
    "            ELSE bid.`dateTime`\n"
    "        END,\n"
    "    WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND\n"
    ") WITH (\n"
    "    'connector' = 'kafka',\n"
    "    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',\n"
    "    'format' = 'json'\n"
    ");\n"
    "CREATE VIEW bid AS SELECT bid.auction, bid.price, `dateTime` FROM ${NEXMARK_TABLE} "
    "WHERE event_type = 2;\n";

static void test_nexmark_ddl(void **state)
{
    (void)state;
    struct sl_sql_param params[] = {{"BOOTSTRAP_SERVERS", "127.0.0.1:9092"},
                                    {"NEXMARK_TABLE", "kafka"}};
    struct sl_error err;
    struct sl_sql_file *f = parse(nexmark_ddl, params, 2, &err);
    if (!f)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(f);
    assert_int_equal(f->stmts.n, 2);
    struct sl_ast *ct = f->stmts.items[0];
    assert_int_equal(ct->kind, SL_AST_CREATE_TABLE);
    const struct sl_ast_create_table *t = &ct->create_table;
    assert_string_equal(t->name, "kafka");
    assert_int_equal(t->ncols, 4);
    assert_string_equal(t->cols[0].name, "event_type");
    assert_int_equal(t->cols[0].type->scalar.id, SL_TYPE_INT);
    assert_true(t->cols[1].type->is_row);
    assert_int_equal(t->cols[1].type->nfields, 4);
    assert_string_equal(t->cols[1].type->field_names[2], "dateTime");
    assert_int_equal(t->cols[1].type->field_types[2]->scalar.id, SL_TYPE_TIMESTAMP);
    assert_string_equal(t->cols[3].name, "dateTime");
    assert_null(t->cols[3].type);
    assert_int_equal(t->cols[3].expr->kind, SL_AST_CASE);
    assert_int_equal(t->cols[3].expr->args.n, 2);
    assert_string_equal(t->wm_column, "dateTime");
    assert_int_equal(t->wm_expr->kind, SL_AST_BINARY);
    assert_int_equal(t->wm_expr->op, SL_OP_SUB);
    assert_int_equal(t->wm_expr->right->kind, SL_AST_INTERVAL);
    assert_int_equal(t->wm_expr->right->ival, 4000);
    assert_int_equal(t->nopts, 3);
    assert_string_equal(t->opts[1].key, "properties.bootstrap.servers");
    assert_string_equal(t->opts[1].value, "127.0.0.1:9092");
    struct sl_ast *v = f->stmts.items[1];
    assert_int_equal(v->kind, SL_AST_CREATE_VIEW);
    assert_string_equal(v->target, "bid");
    assert_int_equal(v->query->select.items.n, 3);
    assert_int_equal(v->query->select.items.items[0]->npath, 2);
    assert_string_equal(v->query->select.items.items[0]->path[1], "auction");
    assert_string_equal(v->query->select.from->table, "kafka");
    assert_int_equal(v->query->select.where->op, SL_OP_EQ);
    sl_sql_file_free(f);
}

static void test_queries(void **state)
{
    (void)state;
    const char *sql =
        "SET 'execution.checkpointing.interval' = '1s';\n"
        "INSERT INTO q1 SELECT auction, bidder, 0.908 * price as price, `dateTime`, extra "
        "FROM bid;\n"
        "INSERT INTO q2 SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;\n"
        "INSERT INTO q5 SELECT auction, count(*) AS num, window_start AS starttime\n"
        "  FROM TABLE(HOP(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND,\n"
        "                 INTERVAL '10' SECOND))\n"
        "  GROUP BY auction, window_start, window_end;\n"
        "INSERT INTO ysb SELECT c.campaign_id, COUNT(*), window_start FROM TABLE(\n"
        "  TUMBLE(TABLE ev, DESCRIPTOR(event_time), INTERVAL '10' SECOND)) AS e\n"
        "  JOIN campaigns AS c ON e.ad_id = c.ad_id\n"
        "  WHERE e.event_type = 'view' AND NOT e.x IS NULL AND e.y NOT BETWEEN 1 AND -2\n"
        "    AND e.z IN (1, 2, 3) AND CAST(e.w AS DECIMAL(10, 2)) <> 1.5e3\n"
        "  GROUP BY c.campaign_id, window_start, window_end;\n";
    struct sl_error err;
    struct sl_sql_file *f = parse(sql, NULL, 0, &err);
    if (!f)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(f);
    assert_int_equal(f->stmts.n, 5);
    assert_int_equal(f->stmts.items[0]->kind, SL_AST_SET);
    assert_string_equal(f->stmts.items[0]->set_key, "execution.checkpointing.interval");
    struct sl_ast *q1 = f->stmts.items[1]->query;
    struct sl_ast *price = q1->select.items.items[2];
    assert_int_equal(price->kind, SL_AST_BINARY);
    assert_int_equal(price->op, SL_OP_MUL);
    assert_int_equal(price->left->kind, SL_AST_DEC);
    assert_string_equal(price->left->lit, "0.908");
    assert_string_equal(price->alias, "price");
    struct sl_ast *q2w = f->stmts.items[2]->query->select.where;
    assert_int_equal(q2w->left->kind, SL_AST_CALL);
    assert_string_equal(q2w->left->name, "MOD");
    assert_int_equal(q2w->left->args.n, 2);
    struct sl_ast *q5 = f->stmts.items[3]->query;
    assert_true(q5->select.items.items[1]->star);
    assert_int_equal(q5->select.from->kind, SL_AST_WINDOW);
    assert_string_equal(q5->select.from->func, "HOP");
    assert_string_equal(q5->select.from->descriptor, "dateTime");
    assert_string_equal(q5->select.from->wtable->table, "bid");
    assert_int_equal(q5->select.from->wargs.n, 2);
    assert_int_equal(q5->select.from->wargs.items[1]->ival, 10000);
    assert_int_equal(q5->select.group_by.n, 3);
    struct sl_ast *ysb = f->stmts.items[4]->query;
    assert_int_equal(ysb->select.from->kind, SL_AST_JOIN);
    assert_string_equal(ysb->select.from->jleft->alias, "e");
    assert_string_equal(ysb->select.from->jright->alias, "c");
    /* AND is left-deep: ((((a AND b) AND c) AND d) AND e) */
    struct sl_ast *w = ysb->select.where;
    assert_int_equal(w->op, SL_OP_AND);
    assert_int_equal(w->right->kind, SL_AST_BINARY); /* CAST(...) <> 1.5e3 */
    assert_int_equal(w->right->left->kind, SL_AST_CAST);
    assert_int_equal(w->right->left->type->scalar.scale, 2);
    assert_int_equal(w->left->right->kind, SL_AST_IN);
    assert_int_equal(w->left->left->right->kind, SL_AST_BETWEEN);
    assert_true(w->left->left->right->negated);
    assert_int_equal(w->left->left->right->args.items[1]->kind, SL_AST_UNARY);
    assert_int_equal(w->left->left->left->right->kind, SL_AST_UNARY); /* NOT (x IS NULL) */
    assert_int_equal(w->left->left->left->right->left->kind, SL_AST_IS_NULL);
    sl_sql_file_free(f);
}

static void test_precedence(void **state)
{
    (void)state;
    struct sl_error err;
    struct sl_sql_file *f =
        parse("INSERT INTO t SELECT 1 + 2 * 3 - 4, a OR b AND c, -x % 5 FROM s", NULL, 0, &err);
    assert_non_null(f);
    struct sl_ast_list *items = &f->stmts.items[0]->query->select.items;
    struct sl_ast *e = items->items[0]; /* (1 + (2 * 3)) - 4 */
    assert_int_equal(e->op, SL_OP_SUB);
    assert_int_equal(e->left->op, SL_OP_ADD);
    assert_int_equal(e->left->right->op, SL_OP_MUL);
    e = items->items[1]; /* a OR (b AND c) */
    assert_int_equal(e->op, SL_OP_OR);
    assert_int_equal(e->right->op, SL_OP_AND);
    e = items->items[2]; /* (-x) % 5 */
    assert_int_equal(e->op, SL_OP_MOD);
    assert_int_equal(e->left->kind, SL_AST_UNARY);
    sl_sql_file_free(f);
}

static void test_errors_name_the_place(void **state)
{
    (void)state;
    expect_error("CREATE TABLE t (a BIGINT,\n  b BIGNIT\n) WITH ('connector' = 'print')",
                 "q.sql:2:5: unknown type 'BIGNIT'", "  b BIGNIT\n      ^");
    expect_error("INSERT INTO t SELECT a FROM s WHERE a = 'oops",
                 "q.sql:1:41:", "unterminated string literal");
    expect_error("INSERT INTO t SELECT a, FROM s", "q.sql:1:25: expected an expression",
                 "found 'FROM'");
    expect_error("INSERT INTO t SELECT (a + 1 FROM s", "q.sql:1:29: expected ')'", "FROM");
    /* a bare query parses (its result is printed); its errors point into it */
    expect_error("SELECT a FROM s ORDER BY a", "q.sql:1:17:", "ORDER is not supported yet");
    /* set operations are refused by name, not taken for a table alias */
    expect_error("SELECT a FROM s INTERSECT SELECT a FROM s",
                 "q.sql:1:17:", "INTERSECT is not supported yet");
    expect_error("SELECT a FROM s EXCEPT SELECT a FROM s",
                 "q.sql:1:17:", "EXCEPT is not supported yet");
    expect_error("SELECT a FROM s x MINUS SELECT a FROM s",
                 "q.sql:1:19:", "MINUS is not supported yet");
    expect_error("INSERT INTO t SELECT a FROM s ORDER BY a",
                 "q.sql:1:31:", "ORDER is not supported yet");
    expect_error("CREATE TABLE t (a DECIMAL(39, 2)) WITH ('x' = 'y')",
                 "q.sql:1:27:", "a DECIMAL precision must be at most 38");
    expect_error("CREATE TABLE t (a DECIMAL(5, 6)) WITH ('x' = 'y')",
                 "q.sql:1:30:", "DECIMAL scale 6 is larger than its precision 5");
    expect_error("CREATE TABLE t (a TIMESTAMP(6)) WITH ('x' = 'y')",
                 "q.sql:1:29:", "TIMESTAMP(6) is not supported yet");
    expect_error("CREATE TABLE t (a TIMESTAMP_LTZ(9)) WITH ('x' = 'y')",
                 "q.sql:1:33:", "TIMESTAMP_LTZ(9) is not supported yet");
    expect_error("CREATE TABLE t (a TIMESTAMP(3) WITH ZONE) WITH ('x' = 'y')",
                 "q.sql:1:19:", "TIMESTAMP WITH TIME ZONE is not supported");
    expect_error("CREATE TABLE t (a INT, a BIGINT) WITH ('x' = 'y')",
                 "q.sql:1:24:", "duplicate column 'a'");
    expect_error("CREATE TABLE t (a INT) WITH ('x' = 'y', 'x' = 'z')",
                 "q.sql:1:41:", "option 'x' is given twice");
    expect_error("INSERT INTO t SELECT a FROM s /* never closed",
                 "q.sql:1:31:", "unterminated comment");
    expect_error("INSERT INTO t SELECT a FROM TABLE(SLIDE(TABLE s, DESCRIPTOR(ts)))",
                 "q.sql:1:35: unknown table function 'SLIDE'", "TUMBLE");
    expect_error("INSERT INTO t SELECT a FROM s WHERE a # 1",
                 "q.sql:1:39:", "unexpected character '#'");
    expect_error("INSERT INTO t SELECT a FROM s x y", "q.sql:1:33:", "expected ';'");
    expect_error("INSERT INTO t SELECT 12abc FROM s", "q.sql:1:24:", "right after a number");
    expect_error("INSERT INTO t SELECT INTERVAL '1' MONTH FROM s",
                 "q.sql:1:35:", "year-month intervals are not supported yet");
}

static void test_placeholders(void **state)
{
    (void)state;
    struct sl_error err;
    /* an unset placeholder is named with its position */
    struct sl_sql_file *f =
        parse("CREATE TABLE t (a INT) WITH (\n  'rate' = '${TPS}')", NULL, 0, &err);
    assert_null(f);
    assert_non_null(strstr(err.msg, "q.sql:2:13: ${TPS} is not set; pass --set TPS=VALUE"));
    /* errors after an expansion still point at the original column */
    struct sl_sql_param p[] = {{"T", "a_much_longer_table_name"}};
    f = parse("INSERT INTO ${T} SELECT a FROM s WHERE ) ", p, 1, &err);
    assert_null(f);
    assert_non_null(strstr(err.msg, "q.sql:1:40: expected an expression"));
    assert_non_null(strstr(err.msg, "INSERT INTO ${T} SELECT")); /* the line as written */
    f = parse("INSERT INTO t SELECT a FROM s WHERE x = '${", NULL, 0, &err);
    assert_null(f);
    assert_non_null(strstr(err.msg, "q.sql:1:42: unterminated placeholder"));
    /* expansions are exact and placeholders may be used twice */
    struct sl_sql_param q[] = {{"N", "7"}};
    f = parse("INSERT INTO t SELECT ${N} + ${N} FROM s", q, 1, &err);
    assert_non_null(f);
    struct sl_ast *e = f->stmts.items[0]->query->select.items.items[0];
    assert_string_equal(e->left->lit, "7");
    assert_string_equal(e->right->lit, "7");
    sl_sql_file_free(f);
}

static void test_deep_nesting_is_an_error(void **state)
{
    (void)state;
    char sql[8192];
    int n = snprintf(sql, sizeof(sql), "INSERT INTO t SELECT ");
    for (int i = 0; i < 1000; i++)
        sql[n++] = '(';
    sql[n++] = '1';
    sql[n] = '\0';
    struct sl_error err;
    assert_null(parse(sql, NULL, 0, &err));
    assert_non_null(strstr(err.msg, "nested too deeply"));
    n = snprintf(sql, sizeof(sql), "INSERT INTO t SELECT ");
    for (int i = 0; i < 1000; i++) {
        sql[n++] = '-'; /* "- - -": "--" would start a comment */
        sql[n++] = ' ';
    }
    sql[n++] = '1';
    sql[n] = '\0';
    assert_null(parse(sql, NULL, 0, &err));
    assert_non_null(strstr(err.msg, "nested too deeply"));
}

static void test_quoted_identifiers(void **state)
{
    (void)state;
    struct sl_error err;
    struct sl_sql_file *f =
        parse("INSERT INTO `my table` SELECT `we``ird`, `select` FROM `from`", NULL, 0, &err);
    assert_non_null(f);
    struct sl_ast *ins = f->stmts.items[0];
    assert_string_equal(ins->target, "my table");
    assert_string_equal(ins->query->select.items.items[0]->path[0], "we`ird");
    assert_string_equal(ins->query->select.items.items[1]->path[0], "select");
    assert_string_equal(ins->query->select.from->table, "from");
    sl_sql_file_free(f);
    expect_error("INSERT INTO t SELECT `` FROM s", "q.sql:1:22:", "empty quoted identifier");
    expect_error("INSERT INTO t SELECT `abc FROM s", "q.sql:1:22:", "unterminated quoted");
}

static void test_multi_file_positions(void **state)
{
    (void)state;
    const char *a = "CREATE TABLE t (a INT) WITH ('connector' = 'print')"; /* no ';' */
    const char *b = "-- second file\nINSERT INTO t SELECT a FROM s WHERE a = 'x;\n";
    struct sl_sql_input in[2] = {{"ddl.sql", a, strlen(a)}, {"q.sql", b, strlen(b)}};
    struct sl_error err;
    struct sl_sql_file *f = sl_sql_parse_multi(in, 2, NULL, 0, &err);
    assert_null(f);
    /* the error names the second file, its own line and column */
    assert_non_null(strstr(err.msg, "q.sql:2:41: unterminated string literal"));
    const char *good = "INSERT INTO t SELECT a FROM s";
    in[1].text = good;
    in[1].len = strlen(good);
    f = sl_sql_parse_multi(in, 2, NULL, 0, &err);
    assert_non_null(f);
    assert_int_equal(f->stmts.n, 2); /* the first file's statement ends with its file */
    assert_string_equal(sl_sql_source_path_at(f->src, f->stmts.items[1]->pos), "q.sql");
    assert_string_equal(sl_sql_source_path_at(f->src, f->stmts.items[0]->pos), "ddl.sql");
    sl_sql_file_free(f);
}

/* Parses a.sql and b.sql as one script; expects an error starting with `want`. */
static void expect_multi_error(const char *a, const char *b, const char *want)
{
    struct sl_sql_input in[2] = {{"a.sql", a, strlen(a)}, {"b.sql", b, strlen(b)}};
    struct sl_error err;
    struct sl_sql_file *f = sl_sql_parse_multi(in, 2, NULL, 0, &err);
    if (f || strncmp(err.msg, want, strlen(want)) != 0) {
        fprintf(stderr, "a.sql: %s\nb.sql: %s\nwanted: %s\ngot: %s\n", a, b, want,
                f ? "(parsed)" : err.msg);
        sl_sql_file_free(f);
        fail();
    }
}

/* Found by fuzz_sql: a file that ends inside a statement was reported at the ';' line the
 * parser puts between two files - a line and a character the user's file does not have
 * ("a.sql:2:1: ..., found ';'" for a one-line file). The end of a file is its end. A string
 * literal or a comment that a file leaves open no longer runs on into the next file. */
static void test_multi_file_ends(void **state)
{
    (void)state;
    const char *q = "INSERT INTO t SELECT a FROM s";
    expect_multi_error("CREATE TABLE t (a", q,
                       "a.sql:1:18: expected a type, found the end of a.sql");
    expect_multi_error("CREATE TABLE t (a INT,\n", q,
                       "a.sql:2:1: expected a column name, WATERMARK or PRIMARY KEY, found the "
                       "end of a.sql");
    expect_multi_error("-- header\nINSERT INTO t SELECT a FROM", q,
                       "a.sql:2:28: expected a table name, found the end of a.sql");
    /* the next file has a quote or the comment's end: neither closes what a.sql opened */
    expect_multi_error("INSERT INTO t SELECT 'x FROM s", "-- it's\nSELECT 1",
                       "a.sql:1:22: unterminated string literal");
    expect_multi_error("/* open\n", "*/ INSERT INTO t SELECT a FROM s",
                       "a.sql:1:1: unterminated comment");
    /* in the last file the end is the end of the input, as before */
    expect_multi_error(q, "CREATE TABLE u (a",
                       "b.sql:1:18: expected a type, found the end of "
                       "the input");
}

/* Found by fuzz_sql: the path comes first in a message of at most SL_ERROR_MSG_MAX bytes, so
 * a path of 600 bytes left no room for the line and column. A long path is now shown as
 * "..." and its end. */
static void test_long_path_keeps_the_position(void **state)
{
    (void)state;
    char path[601];
    memset(path, 'd', sizeof(path) - 1);
    path[sizeof(path) - 1] = '\0';
    memcpy(path + sizeof(path) - 1 - 6, "/q.sql", 6);
    const char *sql = "CREATE TABLE t (a";
    struct sl_error err;
    struct sl_sql_file *f = sl_sql_parse(path, sql, strlen(sql), NULL, 0, &err);
    assert_null(f);
    if (strncmp(err.msg, "...ddd", 6) != 0 || !strstr(err.msg, "d/q.sql:1:18: expected a type"))
        fail_msg("got: %s", err.msg);
    assert_true(strchr(err.msg, ':') - err.msg <= 160);
    /* a path that is no UTF-8 at all: its end is still shown (found by fuzz_sql too: the
     * first version skipped every continuation byte, i.e. all of it) */
    memset(path, 0x80, sizeof(path) - 1);
    f = sl_sql_parse(path, sql, strlen(sql), NULL, 0, &err);
    assert_null(f);
    assert_int_equal(strncmp(err.msg, "...\x80\x80", 5), 0);
    assert_non_null(strstr(err.msg, "\x80:1:18: expected a type"));
    /* a path that fits is shown whole */
    f = sl_sql_parse("some/dir/q.sql", sql, strlen(sql), NULL, 0, &err);
    assert_null(f);
    assert_int_equal(strncmp(err.msg, "some/dir/q.sql:1:18: ", 21), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nexmark_ddl),
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_errors_name_the_place),
        cmocka_unit_test(test_placeholders),
        cmocka_unit_test(test_deep_nesting_is_an_error),
        cmocka_unit_test(test_quoted_identifiers),
        cmocka_unit_test(test_multi_file_positions),
        cmocka_unit_test(test_multi_file_ends),
        cmocka_unit_test(test_long_path_keeps_the_position),
    };
    return cmocka_run_group_tests_name("engine/sql_parser", tests, NULL, NULL);
}
