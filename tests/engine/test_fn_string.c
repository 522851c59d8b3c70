/*
 * tests/engine/test_fn_string.c - the string, regex, hash and conditional functions
 * (engine/ops/fn_string.h) through the binder and the evaluator.
 *
 * Each case binds `INSERT INTO o SELECT <expr> FROM t` (t: s, p VARCHAR, i INT), puts its
 * input at every odd row of a batch (the even rows hold other values, half of them NULL) and
 * evaluates over the selection of the odd rows, so every function runs over a selection with
 * gaps; every selected row must give the expected value. Expected values are Flink 1.20's
 * (its documentation's examples, and what Flink itself gives for the same expressions:
 * tests/sql/fn_string_fs.sql runs the tricky ones in Flink through test_flink_oracle.sh),
 * plus the cases Flink cannot be asked through a CSV file: invalid UTF-8, huge results, the
 * error of a result over the size limit.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "engine/ops/eval.h"
#include "engine/plan/catalog.h"
#include "engine/sql/binder.h"

#define NUL ((const char *)0) /* a NULL input */

struct run {
    struct sl_job *job;
    struct sl_eval *ev;
    struct sl_schema *is, *os;
    struct sl_batch_pool *ip, *op;
};

static struct sl_schema *schema_of(const struct sl_rel *rel)
{
    const char *names[16];
    struct sl_type types[16];
    assert_true(rel->ncols <= 16);
    for (uint32_t c = 0; c < rel->ncols; c++) {
        names[c] = rel->cols[c].name;
        types[c] = rel->cols[c].type;
    }
    struct sl_schema *s = sl_schema_new(rel->ncols, names, types);
    assert_non_null(s);
    return s;
}

/* Binds and compiles; returns 0 or the error (err filled) of binding or compiling. */
static int prepare(const char *expr, const char *type, struct run *r, struct sl_error *err)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE t (s VARCHAR, p VARCHAR, i INT) WITH ('connector' = 'kafka', "
             "'topic' = 't', 'format' = 'json');\n"
             "CREATE TABLE o (x %s) WITH ('connector' = 'blackhole');\n"
             "INSERT INTO o SELECT %s FROM t;\n",
             type, expr);
    memset(r, 0, sizeof(*r));
    sl_error_clear(err);
    r->job = sl_job_from_sql("q.sql", sql, strlen(sql), NULL, 0, err);
    if (!r->job)
        return err->code;
    const struct sl_plan *p = r->job->inserts[0]->input;
    assert_int_equal(p->kind, SL_PLAN_PROJECT);
    r->ev = sl_eval_new(NULL, &p->input->out, p->project.nexprs, p->project.exprs,
                        r->job->file->src, err);
    if (!r->ev)
        return err->code;
    r->is = schema_of(&p->input->out);
    r->os = schema_of(&p->out);
    r->ip = sl_batch_pool_new(NULL, r->is, 1);
    r->op = sl_batch_pool_new(NULL, r->os, 1);
    assert_non_null(r->ip);
    assert_non_null(r->op);
    return 0;
}

static void finish(struct run *r)
{
    sl_batch_pool_free(r->ip);
    sl_batch_pool_free(r->op);
    sl_schema_free(r->is);
    sl_schema_free(r->os);
    sl_eval_free(r->ev);
    sl_job_free(r->job);
}

static void put_str(struct sl_column *c, uint32_t row, const char *v, size_t n)
{
    sl_col_set_null(c, row, v == NULL);
    sl_col_str(c)[row] = v ? sl_str_make(v, (uint32_t)n) : sl_str_make("", 0);
}

/* Evaluates expr with (s, p, i) at the odd rows; the text of row 1's result into out (NULL as
 * "NULL"; other selected rows must be the same). Returns 0 or the evaluation's error. */
static int eval_n(const char *expr, const char *type, const char *s, size_t sn, const char *p,
                  size_t pn, const int32_t *i, char *out, size_t cap, struct sl_error *err)
{
    struct run r;
    int rc = prepare(expr, type, &r, err);
    if (rc)
        return rc;
    struct sl_batch *in = sl_batch_pool_get(r.ip), *o = sl_batch_pool_get(r.op);
    uint32_t rows = SL_BATCH_CAP < 9 ? SL_BATCH_CAP : 9, nsel = 0;
    sl_sel_t *sel = sl_batch_sel_next(in);
    for (uint32_t row = 0; row < rows; row++) {
        if (row % 2) {
            put_str(&in->cols[0], row, s, sn);
            put_str(&in->cols[1], row, p, pn);
            sl_col_set_null(&in->cols[2], row, i == NULL);
            sl_col_i32(&in->cols[2])[row] = i ? *i : 0;
            sel[nsel++] = row;
        } else { /* rows outside the selection: other values, NULL at every fourth */
            bool nul = row % 4 == 0;
            put_str(&in->cols[0], row, nul ? NULL : "garbage garbage garbage", 23);
            put_str(&in->cols[1], row, nul ? NULL : "(", 1);
            sl_col_set_null(&in->cols[2], row, nul);
            sl_col_i32(&in->cols[2])[row] = -7;
        }
    }
    in->rows = rows;
    sl_batch_sel_commit(in, sel, nsel);
    rc = sl_eval_project(r.ev, in, o, err);
    if (rc == 0) {
        assert_int_equal(o->rows, nsel);
        char first[512] = "";
        for (uint32_t k = 0; k < o->rows; k++) {
            struct sl_column *c = &o->cols[0];
            char v[512];
            if (c->valid && sl_col_is_null(c, k))
                snprintf(v, sizeof(v), "NULL");
            else if (c->type.id == SL_TYPE_BOOLEAN)
                snprintf(v, sizeof(v), "%s", sl_col_bool(c)[k] ? "TRUE" : "FALSE");
            else if (c->type.id == SL_TYPE_INT)
                snprintf(v, sizeof(v), "%d", sl_col_i32(c)[k]);
            else if (c->type.id == SL_TYPE_VARCHAR)
                snprintf(v, sizeof(v), "%.*s", (int)sl_col_str(c)[k].len,
                         sl_str_data(&sl_col_str(c)[k]));
            else
                snprintf(v, sizeof(v), "%lld", (long long)sl_col_i64(c)[k]);
            if (k == 0)
                snprintf(first, sizeof(first), "%s", v);
            else if (strcmp(v, first) != 0)
                fail_msg("%s: row %u gives '%s', row 0 '%s'", expr, k, v, first);
        }
        snprintf(out, cap, "%s", first);
    }
    sl_batch_pool_put(in);
    sl_batch_pool_put(o);
    finish(&r);
    return rc;
}

static void expect_t(const char *expr, const char *type, const char *s, const char *p,
                     const int32_t *i, const char *want)
{
    char out[512];
    struct sl_error err;
    int rc =
        eval_n(expr, type, s, s ? strlen(s) : 0, p, p ? strlen(p) : 0, i, out, sizeof(out), &err);
    if (rc)
        fail_msg("%s: %s", expr, err.msg);
    if (strcmp(out, want) != 0)
        fail_msg("%s (s = '%s', p = '%s'): got '%s', want '%s'", expr, s ? s : "NULL",
                 p ? p : "NULL", out, want);
}

static void expect(const char *expr, const char *s, const char *p, const char *want)
{
    expect_t(expr, "VARCHAR", s, p, NULL, want);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_substring(void **state)
{
    (void)state;
    expect("SUBSTRING(s, 0, 2)", "hello", "", "he");
    expect("SUBSTRING(s, -3, 2)", "hello", "", "ll");
    expect("SUBSTRING(s, 2, -1)", "hello", "", "NULL");
    expect("SUBSTRING(s, 10)", "hello", "", "");
    expect("SUBSTRING(s FROM 2 FOR 3)", "hello", "", "ell");
    expect("SUBSTR(s, 2)", "hello", "", "ello");
    expect("SUBSTRING(s, 2, 2)", "aé😀b", "", "é😀");
    expect("SUBSTRING(s, -10)", "hello", "", "");
    expect("SUBSTRING(s, 1, 3)", NUL, "", "NULL");
    expect("SUBSTRING(s, 1, 3)", "", "", "");
    /* a byte that starts no sequence is one character */
    expect("SUBSTRING(s, 2, 1)",
           "a\xff"
           "b",
           "", "\xff");
    expect("SUBSTRING(s, 3)", "a longer string than twelve", "", "longer string than twelve");
}

static void test_concat_case_trim(void **state)
{
    (void)state;
    expect("CONCAT(s, p, 'b')", "a", NUL, "NULL");
    expect("CONCAT(s, p, 'b')", "a", "", "ab");
    expect("CONCAT(s, s, s)", "abcdef", "", "abcdefabcdefabcdef");
    expect("CONCAT_WS('-', s, p, 'b')", "a", NUL, "a-b");
    expect("CONCAT_WS(p, 'a', s)", NUL, NUL, "NULL");
    expect("CONCAT_WS(p, s, s)", "a", "", "aa");
    expect("UPPER(s)", "straße", "", "STRASSE");
    expect("UPPER(s)", "ǆ ﬀ", "", "Ǆ FF");
    expect("LOWER(s)", "ÀÉ Hello", "", "àé hello");
    expect("LOWER(s)",
           "A\xff"
           "B",
           "",
           "a\xff"
           "b");
    expect("UPPER(s)", "ßßßßßßßßßßßß", "", "SSSSSSSSSSSSSSSSSSSSSSSS");
    expect("INITCAP(s)", "hello wORLD a-b c_d 1a", "", "Hello World A-B C_D 1a");
    expect("INITCAP(s)", "ßa éB", "", "ßA éB");
    expect("TRIM(s)", "  x  ", "", "x");
    expect("TRIM(BOTH 'xy' FROM s)", "xyaxby yx", "", "axby ");
    expect("TRIM(LEADING FROM s)", "  x  ", "", "x  ");
    expect("TRIM(TRAILING 'ab' FROM s)", "xabab", "", "x");
    expect("TRIM(BOTH p FROM s)", "ééxé", "é", "x");
    expect("TRIM(BOTH p FROM s)", "ééxé", NUL, "NULL");
    expect("LTRIM(s)", "  x ", "", "x ");
    expect("RTRIM(s)", "  x ", "", "  x");
    expect("TRIM(s)", "    ", "", "");
    expect("REVERSE(s)", "aé😀", "", "😀éa");
    expect("REVERSE(s)",
           "a\xcc\x81"
           "b",
           "",
           "b\xcc\x81"
           "a");
}

static void test_pad_position_replace(void **state)
{
    (void)state;
    expect("LPAD(s, 5, '?"
           "?')",
           "hi", "",
           "?"
           "?"
           "?hi");
    expect("LPAD(s, 1, '?"
           "?')",
           "hi", "", "h");
    expect("LPAD(s, -1, '?')", "hi", "", "NULL");
    expect("LPAD(s, 4, p)", "hi", "", "NULL");
    expect("LPAD(s, 3, 'x')", "", "", "xxx");
    expect("LPAD(s, 0, 'x')", "hi", "", "");
    expect("RPAD(s, 5, 'ab')", "hi", "", "hiaba");
    expect("RPAD(s, 3, 'x')", "hello", "", "hel");
    expect("LPAD(s, 4, 'é')", "ü", "", "éééü");
    expect_t("CHAR_LENGTH(s)", "INT", "aé😀", "", NULL, "3");
    expect_t("CHARACTER_LENGTH(s)", "INT", "", "", NULL, "0");
    expect_t("CHAR_LENGTH(s)", "INT", NUL, "", NULL, "NULL");
    expect_t("POSITION(p IN s)", "INT", "abc", "", NULL, "1");
    expect_t("POSITION('c' IN s)", "INT", "abc", "", NULL, "3");
    expect_t("POSITION(p IN s)", "INT", "aé😀b", "😀", NULL, "3");
    expect_t("POSITION(p IN s)", "INT", "abc", "x", NULL, "0");
    expect_t("LOCATE(p, s)", "INT", "abcb", "b", NULL, "2");
    expect("REPLACE(s, 'aa', 'b')", "aaa", "", "ba");
    expect("REPLACE(s, p, 'x')", "abc", "", "xaxbxcx");
    expect("REPLACE(s, 'b', p)", "abcb", "", "ac");
    expect("REPLACE(s, 'b', p)", "abc", NUL, "NULL");
    expect("OVERLAY(s PLACING ' new' FROM 10 FOR 5)", "This is an old string", "",
           "This is a new string");
    expect("OVERLAY(s PLACING 'XY' FROM 2)", "hello", "", "hXYlo");
    expect("OVERLAY(s PLACING 'XY' FROM 9)", "hello", "", "hello");
}

static void test_split_index(void **state)
{
    (void)state;
    expect("SPLIT_INDEX('a/b/c', p, 0)", "", "/", "a");
    expect("SPLIT_INDEX('a/b/c', p, 5)", "", "/", "NULL");
    expect("SPLIT_INDEX('a//c', p, 1)", "", "/", "");
    expect("SPLIT_INDEX('a b', p, 1)", "", "", "b");
    expect("SPLIT_INDEX('a/b', p, -1)", "", "/", "NULL");
    expect("SPLIT_INDEX(s, '/', 0)", "", "", "NULL");
    expect("SPLIT_INDEX(s, 'ab', 1)", "xabyabab", "", "y");
    expect("SPLIT_INDEX(s, 'ab', 3)", "xabyabab", "", "");
    expect("SPLIT_INDEX(s, p, 0)", "a b  c", "", "a");
    expect("SPLIT_INDEX(s, p, 2)", "a b  c", "", "");
    expect("SPLIT_INDEX(s, '/', 3)", "https://www.nexmark.com/abcde/fghij/klmno/item.htm?query=1",
           "", "abcde");
    expect("SPLIT_INDEX(s, '/', i)", "a/b", "", "NULL");
}

static void test_regexp(void **state)
{
    (void)state;
    expect("REGEXP_EXTRACT(s, 'foo(.*?)(bar)', 2)", "foothebar", "", "bar");
    expect("REGEXP_EXTRACT(s, '(x)?abc', 1)", "abc", "", "NULL");
    expect("REGEXP_EXTRACT(s, 'a', 3)", "abc", "", "NULL");
    expect("REGEXP_EXTRACT(s, p, 1)", "abc", "(", "NULL");
    expect("REGEXP_EXTRACT(s, 'b')", "abc", "", "b");
    expect("REGEXP_EXTRACT(s, '^$', 0)", "", "", "");
    expect("REGEXP_EXTRACT(s, '\\d+', 0)", "a1b22", "", "1");
    expect("REGEXP_EXTRACT(s, '(a)|(b)', 2)", "a", "", "NULL");
    expect("REGEXP_EXTRACT(s, p)", "aXbX", "X", "X");
    expect("REGEXP_EXTRACT(s, '(&|^)channel_id=([^&]*)', 2)",
           "https://www.nexmark.com/a/b/c/item.htm?query=1&channel_id=1234", "", "1234");
    expect("REGEXP_EXTRACT(s, '[\\u4e00-\\u9fa5]+', 0)", "ab日本c", "", "日本");
    expect("REGEXP_EXTRACT(s, '.', 0)",
           "\xff"
           "a",
           "", "\xef\xbf\xbd"); /* U+FFFD, as Java */
    expect_t("REGEXP(s, 'b')", "BOOLEAN", "abc", "", NULL, "TRUE");
    expect_t("REGEXP(s, p)", "BOOLEAN", "abc", "*", NULL, "FALSE");
    expect_t("REGEXP(s, p)", "BOOLEAN", "abc", "", NULL, "FALSE");
    expect_t("REGEXP(s, p)", "BOOLEAN", "abc", NUL, NULL, "NULL");
    expect("REGEXP_REPLACE(s, 'oo|ar', '')", "foobar", "", "fb");
    expect("REGEXP_REPLACE(s, '(b)', '$1$1')", "abc", "", "a$1$1c");
    expect("REGEXP_REPLACE(s, p, 'x')", "abc", "[", "NULL");
    expect("REGEXP_REPLACE(s, 'a*', 'X')", "baaac", "", "XbXXcX");
    expect("REGEXP_REPLACE(s, '', '-')", "aé", "", "-a-é-");
    expect("REGEXP_REPLACE(s, p, '')", "abc", NUL, "NULL");
}

static void test_hash(void **state)
{
    (void)state;
    expect("MD5(s)", "", "", "d41d8cd98f00b204e9800998ecf8427e");
    expect("SHA256(s)", "abc", "",
           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect("MD5(s)", NUL, "", "NULL");
}

static void test_conditional(void **state)
{
    (void)state;
    int32_t i41 = 41, i46 = 46;
    expect("IF(i > 2, s, p)", "x", "y", "y"); /* i is NULL: the condition is not TRUE */
    expect_t("IF(i > 2, s, p)", "VARCHAR", "x", "y", &i41, "x");
    expect_t("CAST(NULLIF(i, 46) AS VARCHAR)", "VARCHAR", "", "", &i46, "NULL");
    expect_t("CAST(NULLIF(i, 46) AS VARCHAR)", "VARCHAR", "", "", &i41, "41");
    expect("COALESCE(p, s, 'z')", "s", NUL, "s");
    expect("COALESCE(p, s, 'z')", NUL, NUL, "z");
    expect_t("CAST(GREATEST(1.5, 2.5, CAST(i AS DECIMAL(10, 1))) AS VARCHAR)", "VARCHAR", "", "",
             &i41, "41.0");
    expect("GREATEST(s, p)", "a", NUL, "NULL");
    expect("GREATEST(s, p, 'b')", "a", "é", "é");
    expect("LEAST(s, p, 'b')", "a", "é", "a");
    expect_t("GREATEST(i, 5, 3)", "INT", "", "", &i41, "41");
    expect_t("LEAST(i, 5, 3)", "INT", "", "", &i41, "3");
}

static void test_huge_and_errors(void **state)
{
    (void)state;
    /* a long input through every string function */
    size_t n = 300000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    for (size_t k = 0; k < n; k++)
        big[k] = (char)('a' + k % 7);
    big[n] = '\0';
    char out[512];
    struct sl_error err;
    assert_int_equal(eval_n("CAST(CHAR_LENGTH(UPPER(REVERSE(s))) AS VARCHAR)", "VARCHAR", big, n,
                            "", 0, NULL, out, sizeof(out), &err),
                     0);
    assert_string_equal(out, "300000");
    assert_int_equal(eval_n("SUBSTRING(REGEXP_REPLACE(s, 'a', 'xy'), -10)", "VARCHAR", big, n, "",
                            0, NULL, out, sizeof(out), &err),
                     0);
    assert_string_equal(out, "xybcdefgxy");
    free(big);
    /* LPAD to 2 000 000 000 characters is an error naming the expression, not 2 GB */
    int rc =
        eval_n("LPAD(s, 2000000000, 'x')", "VARCHAR", "a", 1, "", 0, NULL, out, sizeof(out), &err);
    assert_int_equal(rc, SL_ERANGE);
    assert_non_null(strstr(err.msg, "q.sql:3:"));
    assert_non_null(strstr(err.msg, "LPAD"));
    /* wrong arguments are binding errors with the position */
    struct run r;
    assert_int_not_equal(prepare("SUBSTRING(i, 1)", "VARCHAR", &r, &err), 0);
    assert_non_null(strstr(err.msg, "SUBSTRING argument 1 must be a STRING"));
    finish(&r);
    assert_int_not_equal(prepare("LPAD(s, 1)", "VARCHAR", &r, &err), 0);
    assert_non_null(strstr(err.msg, "LPAD takes 3 arguments, found 2"));
    finish(&r);
    assert_int_not_equal(prepare("GREATEST(s, i)", "VARCHAR", &r, &err), 0);
    assert_non_null(strstr(err.msg, "incompatible types"));
    finish(&r);
}

/* A pattern that changes from row to row goes through the cache (more patterns than slots). */
static void test_pattern_cache(void **state)
{
    (void)state;
    char pat[16], s[32], want[16];
    for (int k = 0; k < 20; k++) {
        snprintf(pat, sizeof(pat), "x(%d+)", k % 10);
        snprintf(s, sizeof(s), "ax%d%db", k % 10, k % 10);
        snprintf(want, sizeof(want), "%d%d", k % 10, k % 10);
        expect("REGEXP_EXTRACT(s, p, 1)", s, pat, want);
    }
}

/* JSON_VALUE (engine/ops/fn_json.h): Flink's documented examples, then the path modes, the
 * conversions and the behaviours (checked against Flink: tests/sql/fn_string_fs.sql). */
static void test_json_value(void **state)
{
    (void)state;
    /* the examples of Flink's "JSON Functions" documentation */
    expect("JSON_VALUE(s, '$.a')", "{\"a\": true}", "", "true");
    expect_t("JSON_VALUE(s, '$.a' RETURNING BOOLEAN)", "BOOLEAN", "{\"a\": true}", "", NULL,
             "TRUE");
    expect("JSON_VALUE(s, 'lax $.b' DEFAULT FALSE ON EMPTY)", "{\"a\": true}", "", "false");
    expect("JSON_VALUE(s, 'strict $.b' DEFAULT FALSE ON ERROR)", "{\"a\": true}", "", "false");
    expect_t("JSON_VALUE(s, 'lax $.b' RETURNING BOOLEAN DEFAULT FALSE ON EMPTY)", "BOOLEAN",
             "{\"a\": true}", "", NULL, "FALSE");
    expect_t("JSON_VALUE(s, 'strict $.b' RETURNING BOOLEAN DEFAULT FALSE ON ERROR)", "BOOLEAN",
             "{\"a\": true}", "", NULL, "FALSE");
    expect("CAST(JSON_VALUE(s, '$.[\"a.b\"][0]' RETURNING DOUBLE) AS VARCHAR)",
           "{\"a.b\": [0.998,0.996]}", "", "0.998");
    expect("JSON_VALUE(s, 'strict $.[\"contains blank\"]' NULL ON EMPTY DEFAULT 'wrong' ON "
           "ERROR)",
           "{\"contains blank\": \"right\"}", "", "right");
    expect("JSON_VALUE('{\"a\": [\"c\"]}', '$.a[0]')", "", "", "c"); /* a constant text */
    expect("JSON_VALUE(s, CAST(NULL AS VARCHAR))", "{}", "", "NULL");
    /* paths */
    expect("JSON_VALUE(s, '$.a.b[1]')", "{\"a\":{\"b\":[1,2]}}", "", "2");
    expect("JSON_VALUE(s, '$[''k'']')", "{\"k\":\"v\"}", "", "v");
    expect("JSON_VALUE(s, '$[0]')", "[\"x\", 1]", "", "x");
    expect("JSON_VALUE(s, '$')", "\"top\"", "", "top");
    expect("JSON_VALUE(s, 'lax $.a[-1]')", "{\"a\":[1,2,3]}", "", "3");
    /* NULL and EMPTY: NULL by default */
    expect("JSON_VALUE(s, '$.a')", NUL, "", "NULL");
    expect("JSON_VALUE(s, '$.b')", "{\"a\":1}", "", "NULL");
    expect("JSON_VALUE(s, '$.a')", "{\"a\":null}", "", "NULL");
    expect("JSON_VALUE(s, '$.a')", "{\"a\":{\"b\":1}}", "", "NULL");
    expect("JSON_VALUE(s, '$.a')", "{\"a\":[1]}", "", "NULL");
    expect("JSON_VALUE(s, '$.a')", "not json", "", "NULL");
    expect("JSON_VALUE(s, '$.a')", "", "", "NULL");
    expect("JSON_VALUE(s, '$.a')", "{\"a\":\"\xff\"}", "", "NULL"); /* not UTF-8 */
    expect("JSON_VALUE(s, 'no path')", "{\"a\":1}", "", "NULL");
    expect("JSON_VALUE(s, 'lax $.a' DEFAULT 'e' ON EMPTY DEFAULT 'r' ON ERROR)", "{\"a\":[1]}", "",
           "e");
    expect("JSON_VALUE(s, 'strict $.a' DEFAULT 'e' ON EMPTY DEFAULT 'r' ON ERROR)", "{\"a\":[1]}",
           "", "r");
    expect("JSON_VALUE(s, 'lax $.a' DEFAULT 'e' ON EMPTY DEFAULT 'r' ON ERROR)", "{", "", "e");
    expect("JSON_VALUE(s, 'strict $.a' DEFAULT 'e' ON EMPTY DEFAULT 'r' ON ERROR)", "{", "", "r");
    expect("JSON_VALUE(s, '$.a' DEFAULT p ON ERROR)", "{\"b\":1}", "fallback", "fallback");
    /* strings, numbers, booleans as STRING */
    expect("JSON_VALUE(s, '$.a')", "{\"a\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\"\"}", "",
           "café 😀 \"q\"");
    expect("JSON_VALUE(s, '$.a')", "{\"a\":1e3}", "", "1000.0");
    expect("JSON_VALUE(s, '$.a')", "{\"a\":-0.5}", "", "-0.5");
    expect("JSON_VALUE(s, '$.a')", "{\"a\":1.5e10}", "", "1.5E10");
    expect("JSON_VALUE(s, '$.a')", "{\"a\":-9223372036854775808}", "", "-9223372036854775808");
    expect("JSON_VALUE(s, '$.a')", "{\"a\":false}", "", "false");
    expect("JSON_VALUE(s, '$.a')", "{\"a\":\"a long string of more than twelve bytes\"}", "",
           "a long string of more than twelve bytes");
    /* RETURNING: Flink 1.20 casts the Java object (Integer, Long, Double, Boolean, String) and
     * fails the job when it is of another class; sluice converts (fn_json.h) */
    expect_t("JSON_VALUE(s, '$.a' RETURNING INT)", "INT", "{\"a\":42}", "", NULL, "42");
    expect_t("JSON_VALUE(s, '$.a' RETURNING INT)", "INT", "{\"a\":\"12\"}", "", NULL, "12");
    expect_t("JSON_VALUE(s, '$.a' RETURNING INT)", "INT", "{\"a\":3000000000}", "", NULL, "NULL");
    expect_t("JSON_VALUE(s, '$.a' RETURNING INT)", "INT", "{\"a\":\"x\"}", "", NULL, "NULL");
    expect_t("JSON_VALUE(s, '$.a' RETURNING INT DEFAULT -1 ON ERROR)", "INT", "{\"a\":true}", "",
             NULL, "-1");
    expect_t("JSON_VALUE(s, '$.a' RETURNING BIGINT)", "BIGINT", "{\"a\":3000000000}", "", NULL,
             "3000000000");
    expect_t("JSON_VALUE(s, '$.a' RETURNING BOOLEAN)", "BOOLEAN", "{\"a\":\"true\"}", "", NULL,
             "TRUE");
    expect("CAST(JSON_VALUE(s, '$.a' RETURNING DOUBLE) AS VARCHAR)", "{\"a\":\"2.5\"}", "", "2.5");
    /* ERROR ON ERROR / ON EMPTY: a run-time error naming the position and the value */
    char out[512];
    struct sl_error err;
    const char *j = "{\"a\":[1]}";
    int rc = eval_n("JSON_VALUE(s, 'strict $.a' ERROR ON ERROR)", "VARCHAR", j, strlen(j), "", 0,
                    NULL, out, sizeof(out), &err);
    assert_int_equal(rc, SL_EINVAL);
    assert_non_null(strstr(err.msg, "q.sql:3:"));
    assert_non_null(strstr(err.msg, "object or array"));
    assert_non_null(strstr(err.msg, "{\"a\":[1]}"));
    rc = eval_n("JSON_VALUE(s, 'lax $.b' ERROR ON EMPTY)", "VARCHAR", j, strlen(j), "", 0, NULL,
                out, sizeof(out), &err);
    assert_int_equal(rc, SL_EINVAL);
    assert_non_null(strstr(err.msg, "Empty result of JSON_VALUE"));
    rc = eval_n("JSON_VALUE(s, '$.a' RETURNING INT ERROR ON ERROR)", "INT", "{\"a\":\"x\"}", 9, "",
                0, NULL, out, sizeof(out), &err);
    assert_int_equal(rc, SL_EINVAL);
    assert_non_null(strstr(err.msg, "not a number"));
    /* a long document, deep nesting */
    size_t n = 400000;
    char *big = malloc(n + 64);
    assert_non_null(big);
    size_t k = 0;
    k += (size_t)sprintf(big, "{\"pad\":\"");
    while (k < n)
        big[k++] = 'x';
    k += (size_t)sprintf(big + k, "\",\"a\":{\"b\":[true,7]}}");
    assert_int_equal(
        eval_n("JSON_VALUE(s, '$.a.b[1]')", "VARCHAR", big, k, "", 0, NULL, out, sizeof(out), &err),
        0);
    assert_string_equal(out, "7");
    free(big);
    /* binding errors */
    struct run r;
    assert_int_not_equal(prepare("JSON_VALUE(s, p)", "VARCHAR", &r, &err), 0);
    assert_non_null(strstr(err.msg, "JSON_VALUE needs a constant path"));
    finish(&r);
    assert_int_not_equal(prepare("JSON_VALUE(i, '$')", "VARCHAR", &r, &err), 0);
    assert_non_null(strstr(err.msg, "JSON_VALUE needs a STRING json text"));
    finish(&r);
    assert_int_not_equal(
        prepare("JSON_VALUE(s, '$' ERROR ON ERROR NULL ON EMPTY)", "VARCHAR", &r, &err), 0);
    assert_non_null(strstr(err.msg, "before ON ERROR"));
    finish(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_substring),
        cmocka_unit_test(test_concat_case_trim),
        cmocka_unit_test(test_pad_position_replace),
        cmocka_unit_test(test_split_index),
        cmocka_unit_test(test_regexp),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_conditional),
        cmocka_unit_test(test_huge_and_errors),
        cmocka_unit_test(test_pattern_cache),
        cmocka_unit_test(test_json_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
