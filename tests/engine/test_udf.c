/*
 * tests/engine/test_udf.c - user-defined functions in C (include/sluice_udf.h,
 * engine/plan/udf.[ch]): libraries built by CMake from C source (tests/engine/udf_*.c) and
 * the Nexmark one (tools/udf/nexmark.c) are loaded through CREATE FUNCTION, bound, and run
 * through the evaluator over batches with NULLs and selections with gaps, at any batch
 * capacity. Checked: results and their types, the NULL rules, implicit argument casts,
 * strings, per-call-site state, errors raised by a UDF (message and SQL position), load
 * errors (missing identifier, library, entry symbol, another ABI version, a malformed
 * table), CREATE / DROP FUNCTION's namespace rules, and count_char against Nexmark's Java.
 */
#include "tests/util/testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "engine/ops/eval.h"
#include "engine/plan/catalog.h"
#include "engine/sql/ast.h"
#include "engine/sql/binder.h"
#include "include/sluice.h"

#include <dirent.h>
#include <unistd.h>

static char lib_dir[PATH_MAX], lib[PATH_MAX + 32], nosym[PATH_MAX + 32];
static const char *bad_lib, *nexmark_lib;

static int setup(void **state)
{
    (void)state;
    const char *d = getenv("SLUICE_TEST_UDF_DIR");
    bad_lib = getenv("SLUICE_TEST_UDF_BAD");
    nexmark_lib = getenv("SLUICE_UDF_NEXMARK");
    if (!d || !bad_lib || !nexmark_lib) {
        fprintf(stderr, "SLUICE_TEST_UDF_DIR, SLUICE_TEST_UDF_BAD, SLUICE_UDF_NEXMARK unset\n");
        return -1;
    }
    snprintf(lib_dir, sizeof(lib_dir), "%s", d);
    snprintf(lib, sizeof(lib), "%s/udf_testlib.so", d);
    snprintf(nosym, sizeof(nosym), "%s/udf_nosym.so", d);
    return 0;
}

/* ---- binding -------------------------------------------------------------------------------- */

/* Line 1: `create`; 2: table t; 3: table o; 4: INSERT INTO o SELECT `sel` FROM t (the first
 * select item is at 4:22). */
static struct sl_job *bind_sql(const char *create, const char *sel, const char *types,
                               const char *path, struct sl_error *err)
{
    char sql[8192];
    snprintf(sql, sizeof(sql),
             "%s\n"
             "CREATE TABLE t (b BIGINT, s STRING, i INT, ts TIMESTAMP(3)) WITH ("
             "'connector' = 'kafka', 'topic' = 't', 'format' = 'json');\n"
             "CREATE TABLE o (%s) WITH ('connector' = 'blackhole');\n"
             "INSERT INTO o SELECT %s FROM t;\n",
             create, types, sel);
    const char *paths[1] = {path};
    struct sl_bind_opts opts = {path ? 1u : 0u, paths};
    struct sl_sql_input in = {"q.sql", sql, strlen(sql)};
    sl_error_clear(err);
    return sl_job_from_sql_opts(&in, 1, NULL, 0, &opts, err);
}

static void bind_fails(const char *create, const char *sel, const char *path, const char *want1,
                       const char *want2)
{
    struct sl_error err;
    struct sl_job *job = bind_sql(create, sel, "x BIGINT", path, &err);
    if (job)
        fail_msg("'%s' / '%s' bound; expected an error with '%s'", create, sel, want1);
    if (!strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2)))
        fail_msg("'%s' / '%s': got '%s', want '%s' and '%s'", create, sel, err.msg, want1,
                 want2 ? want2 : "");
}

/* ---- evaluating ---------------------------------------------------------------------------- */

#define NROWS 6
static const bool b_null[NROWS] = {0, 1, 0, 0, 0, 0};
static const int64_t b_val[NROWS] = {1, 0, 41, -7, 100, 0};
static const char *const s_val[NROWS] = {"abc", NULL,   "null", "a long string of 30 by",
                                         "",    "MiXeD"};
static const int32_t i_val[NROWS] = {1, 0, -3, 7, 0, 2};
static const int64_t ts_val[NROWS] = {1000, 0, 0, 86400000, 5, 6};

struct evalr {
    struct sl_job *job;
    const struct sl_plan *proj;
    struct sl_eval *ev;
    struct sl_schema *is, *os;
    struct sl_batch_pool *ip, *op;
};

static struct sl_schema *schema_of(const struct sl_rel *rel)
{
    const char *names[16];
    struct sl_type types[16];
    for (uint32_t c = 0; c < rel->ncols; c++) {
        names[c] = rel->cols[c].name;
        types[c] = rel->cols[c].type;
    }
    struct sl_schema *s = sl_schema_new(rel->ncols, names, types);
    assert_non_null(s);
    return s;
}

static void ev_open(struct evalr *r, const char *create, const char *sel, const char *type,
                    const char *path)
{
    struct sl_error err;
    char types[64];
    snprintf(types, sizeof(types), "x %s", type);
    memset(r, 0, sizeof(*r));
    r->job = bind_sql(create, sel, types, path, &err);
    if (!r->job)
        fail_msg("%s / %s: %s", create, sel, err.msg);
    r->proj = r->job->inserts[0]->input;
    assert_int_equal(r->proj->kind, SL_PLAN_PROJECT);
    r->ev = sl_eval_new(NULL, &r->proj->input->out, r->proj->project.nexprs, r->proj->project.exprs,
                        r->job->file->src, &err);
    if (!r->ev)
        fail_msg("%s: %s", sel, err.msg);
    r->is = schema_of(&r->proj->input->out);
    r->os = schema_of(&r->proj->out);
    r->ip = sl_batch_pool_new(NULL, r->is, 1);
    r->op = sl_batch_pool_new(NULL, r->os, 1);
    assert_true(r->ip && r->op);
}

static void ev_close(struct evalr *r)
{
    sl_batch_pool_free(r->ip);
    sl_batch_pool_free(r->op);
    sl_schema_free(r->is);
    sl_schema_free(r->os);
    sl_eval_free(r->ev);
    sl_job_free(r->job);
}

static void fmt_value(struct sl_column *c, uint32_t j, char *buf, size_t cap)
{
    if (c->valid && sl_col_is_null(c, j)) {
        snprintf(buf, cap, "NULL");
        return;
    }
    switch (c->type.id) {
    case SL_TYPE_BOOLEAN:
        snprintf(buf, cap, "%s", sl_col_bool(c)[j] ? "TRUE" : "FALSE");
        break;
    case SL_TYPE_DOUBLE:
        snprintf(buf, cap, "%g", sl_col_f64(c)[j]);
        break;
    case SL_TYPE_VARCHAR:
        snprintf(buf, cap, "%.*s", (int)sl_col_str(c)[j].len, sl_str_data(&sl_col_str(c)[j]));
        break;
    default:
        snprintf(buf, cap, "%lld", (long long)sl_col_i64(c)[j]);
        break;
    }
}

/* Feeds the NROWS rows in batches of SL_BATCH_CAP, the rows with keep[i] selected, and
 * writes the results of the kept rows, '|'-separated, into out. Returns the code of the
 * first failing batch (err filled). */
static int ev_run(struct evalr *r, const bool *keep, char *out, size_t cap, struct sl_error *err)
{
    size_t k = 0;
    out[0] = '\0';
    for (uint32_t base = 0; base < NROWS; base += SL_BATCH_CAP) {
        uint32_t rows = NROWS - base < SL_BATCH_CAP ? NROWS - base : SL_BATCH_CAP;
        struct sl_batch *in = sl_batch_pool_get(r->ip), *o = sl_batch_pool_get(r->op);
        assert_true(in && o);
        for (uint32_t j = 0; j < rows; j++) {
            uint32_t i = base + j;
            sl_col_i64(&in->cols[0])[j] = b_val[i];
            sl_col_set_null(&in->cols[0], j, b_null[i]);
            const char *s = s_val[i];
            sl_col_str(&in->cols[1])[j] =
                s ? sl_batch_str(in, s, (uint32_t)strlen(s)) : sl_str_make("", 0);
            sl_col_set_null(&in->cols[1], j, !s);
            sl_col_i32(&in->cols[2])[j] = i_val[i];
            sl_col_set_null(&in->cols[2], j, b_null[i]);
            sl_col_i64(&in->cols[3])[j] = ts_val[i];
            sl_col_set_null(&in->cols[3], j, b_null[i]);
        }
        in->rows = rows;
        if (keep) {
            sl_sel_t *sel = sl_batch_sel_next(in);
            uint32_t n = 0;
            for (uint32_t j = 0; j < rows; j++)
                if (keep[base + j])
                    sel[n++] = j;
            sl_batch_sel_commit(in, sel, n);
        }
        int rc = sl_eval_project(r->ev, in, o, err);
        for (uint32_t j = 0; rc == 0 && j < o->rows; j++) {
            char v[128];
            fmt_value(&o->cols[0], j, v, sizeof(v));
            k += (size_t)snprintf(out + k, cap - k, "%s%s", k ? "|" : "", v);
        }
        sl_batch_pool_put(in);
        sl_batch_pool_put(o);
        if (rc)
            return rc;
    }
    return 0;
}

static const bool gaps[NROWS] = {1, 0, 1, 1, 0, 1};

/* Evaluates `sel` over every row and over the rows of `gaps`; want_all lists all six
 * results, the gapped run must give rows 0, 2, 3, 5 of them. */
static void expect_rows(const char *create, const char *sel, const char *type, const char *path,
                        const char *want_all, bool nullable)
{
    struct evalr r;
    ev_open(&r, create, sel, type, path);
    assert_int_equal(r.proj->project.exprs[0]->type.nullable, nullable);
    char got[1024], want_gaps[1024];
    struct sl_error err;
    if (ev_run(&r, NULL, got, sizeof(got), &err))
        fail_msg("%s: %s", sel, err.msg);
    if (strcmp(got, want_all))
        fail_msg("%s: got '%s', want '%s'", sel, got, want_all);
    /* the gapped selection's expected rows, cut out of want_all */
    char all[1024];
    snprintf(all, sizeof(all), "%s", want_all);
    size_t k = 0;
    char *save = NULL, *tok = strtok_r(all, "|", &save);
    want_gaps[0] = '\0';
    for (int i = 0; i < NROWS; i++) {
        const char *v = tok ? tok : "";
        /* (strtok_r skips empty fields: no expected value here is empty) */
        if (gaps[i])
            k += (size_t)snprintf(want_gaps + k, sizeof(want_gaps) - k, "%s%s", k ? "|" : "", v);
        tok = strtok_r(NULL, "|", &save);
    }
    if (ev_run(&r, gaps, got, sizeof(got), &err))
        fail_msg("%s (gaps): %s", sel, err.msg);
    if (strcmp(got, want_gaps))
        fail_msg("%s (gaps): got '%s', want '%s'", sel, got, want_gaps);
    ev_close(&r);
}

#define CREATE(name, ident) "CREATE FUNCTION " name " AS '" ident "';"

static void test_values(void **state)
{
    (void)state;
    /* strict: NULL argument -> NULL result, never called there */
    expect_rows(CREATE("plus_one", "test.plus_one"), "plus_one(b)", "BIGINT", lib,
                "2|NULL|42|-6|101|1", true);
    /* function names are case-insensitive (Flink's); INT widened to BIGINT */
    expect_rows(CREATE("plus_one", "test.plus_one"), "PLUS_ONE(i)", "BIGINT", lib,
                "2|NULL|-2|8|1|3", true);
    /* strings in and out, long ones through call->alloc; RETURNS_NULL */
    expect_rows(CREATE("shout", "test.shout"), "shout(s)", "STRING", lib,
                "ABC!|NULL|NULL|A LONG STRING OF 30 BY!|!|MIXED!", true);
    /* NULL_CALL: sees the NULL rows; NOT NULL result */
    expect_rows(CREATE("is_null", "test.is_null"), "is_null(s)", "BOOLEAN NOT NULL", lib,
                "FALSE|TRUE|FALSE|FALSE|FALSE|FALSE", false);
    /* INT to DOUBLE */
    expect_rows(CREATE("half", "test.half"), "half(i)", "DOUBLE", lib, "0.5|NULL|-1.5|3.5|0|1",
                true);
    /* three argument kinds; a NULL literal argument takes the parameter's type */
    expect_rows(CREATE("join3", "test.join3"), "join3(s, i, ts)", "STRING", lib,
                "abc/1/1000|NULL|null/-3/0|a long string of 30 by/7/86400000|/0/5|MiXeD/2/6", true);
    expect_rows(CREATE("plus_one", "test.plus_one"), "plus_one(NULL)", "BIGINT", lib,
                "NULL|NULL|NULL|NULL|NULL|NULL", true);
    /* a constant argument (not folded: the UDF runs) */
    expect_rows(CREATE("plus_one", "test.plus_one"), "plus_one(41)", "BIGINT", lib,
                "42|42|42|42|42|42", false);
    /* nested calls and a UDF inside a built-in expression */
    expect_rows(CREATE("plus_one", "test.plus_one"), "plus_one(plus_one(b)) * 2", "BIGINT", lib,
                "6|NULL|86|-10|204|4", true);
}

/* test.row gives the row index it computed: the selection reaches the UDF row for row. */
static void test_selection_rows(void **state)
{
    (void)state;
    char want[64];
    size_t k = 0;
    for (int i = 0; i < NROWS; i++)
        k += (size_t)snprintf(want + k, sizeof(want) - k, "%s%d", i ? "|" : "", i % SL_BATCH_CAP);
    expect_rows(CREATE("row_of", "test.row"), "row_of(b)", "BIGINT NOT NULL", lib, want, false);
}

/* count_char: Nexmark's CountChar.eval - bytes equal to the first byte of c; NULL s -> 0. */
static void test_count_char(void **state)
{
    (void)state;
    const char *q14 = "CREATE FUNCTION count_char AS 'com.github.nexmark.flink.udf.CountChar';";
    expect_rows(q14, "count_char(s, 'l')", "BIGINT NOT NULL", nexmark_lib, "0|0|2|1|0|0", false);
    expect_rows(q14, "count_char(s, 'a')", "BIGINT NOT NULL", nexmark_lib, "1|0|0|1|0|0", false);
    /* the short identifier too; only the first byte of c counts */
    expect_rows(CREATE("cc", "count_char"), "cc(s, 'nx')", "BIGINT NOT NULL", nexmark_lib,
                "0|0|1|2|0|0", false);
    /* a multi-byte character: its first byte (0xC3 of 'é') counted, as Java's bytes */
    expect_rows(q14, "count_char('héé' || s, 'é')", "BIGINT NOT NULL", nexmark_lib, "2|0|2|2|2|2",
                false);
    /* an empty or NULL character fails the job, as Nexmark's Java does */
    struct evalr r;
    char got[256];
    struct sl_error err;
    ev_open(&r, q14, "count_char(s, '')", "BIGINT NOT NULL", nexmark_lib);
    assert_int_not_equal(ev_run(&r, NULL, got, sizeof(got), &err), 0);
    assert_non_null(strstr(err.msg, "q.sql:4:22"));
    assert_non_null(strstr(err.msg, "the character to count is an empty string"));
    assert_non_null(strstr(err.msg, "count_char"));
    ev_close(&r);
    ev_open(&r, q14, "count_char(s, CAST(NULL AS STRING))", "BIGINT NOT NULL", nexmark_lib);
    assert_int_not_equal(ev_run(&r, NULL, got, sizeof(got), &err), 0);
    assert_non_null(strstr(err.msg, "the character to count is NULL"));
    ev_close(&r);
}

/* An error raised by the UDF: its message, the function, the library and the SQL position;
 * a row outside the selection is never computed, so it raises nothing. */
static void test_udf_error(void **state)
{
    (void)state;
    struct evalr r;
    char got[256];
    struct sl_error err;
    ev_open(&r, CREATE("unlucky", "test.unlucky"), "unlucky(b + 12)", "BIGINT", lib);
    assert_int_not_equal(ev_run(&r, NULL, got, sizeof(got), &err), 0);
    assert_non_null(strstr(err.msg, "q.sql:4:22"));
    assert_non_null(strstr(err.msg, "13 is unlucky"));
    assert_non_null(strstr(err.msg, "test.unlucky"));
    assert_non_null(strstr(err.msg, "udf_testlib.so"));
    static const bool skip0[NROWS] = {0, 1, 1, 1, 1, 1};
    assert_int_equal(ev_run(&r, skip0, got, sizeof(got), &err), 0);
    assert_string_equal(got, "NULL|53|5|112|12");
    ev_close(&r);

    /* init's error fails the evaluator's creation, with its message and position */
    struct sl_job *job =
        bind_sql(CREATE("refuse", "test.refuse"), "refuse(b)", "x BIGINT", lib, &err);
    assert_non_null(job);
    const struct sl_plan *p = job->inserts[0]->input;
    struct sl_eval *ev = sl_eval_new(NULL, &p->input->out, p->project.nexprs, p->project.exprs,
                                     job->file->src, &err);
    assert_null(ev);
    assert_non_null(strstr(err.msg, "no licence for this host"));
    assert_non_null(strstr(err.msg, "q.sql:4:22"));
    sl_job_free(job);
}

/* Every evaluator (one per worker and call site) has its own state. */
static void test_state(void **state)
{
    (void)state;
    struct evalr a, b;
    char got[256];
    struct sl_error err;
    ev_open(&a, CREATE("seen", "test.seen"), "seen(b)", "BIGINT NOT NULL", lib);
    ev_open(&b, CREATE("seen", "test.seen"), "seen(b)", "BIGINT NOT NULL", lib);
    assert_int_equal(ev_run(&a, NULL, got, sizeof(got), &err), 0);
    assert_string_equal(got, "0|1|2|3|4|5");
    assert_int_equal(ev_run(&a, gaps, got, sizeof(got), &err), 0);
    assert_string_equal(got, "6|7|8|9");
    assert_int_equal(ev_run(&b, NULL, got, sizeof(got), &err), 0);
    assert_string_equal(got, "0|1|2|3|4|5");
    ev_close(&a);
    ev_close(&b);
}

static void test_bind_errors(void **state)
{
    (void)state;
    const char *c = CREATE("plus_one", "test.plus_one");
    bind_fails(c, "plus_one(b, b)", lib, "q.sql:4:22",
               "plus_one takes 1 argument (BIGINT), found 2");
    bind_fails(c, "plus_one(s)", lib, "q.sql:4:31",
               "argument 1 of plus_one is VARCHAR, but plus_one takes (BIGINT)");
    bind_fails(c, "plus_one(CAST(b AS DOUBLE))", lib, "q.sql:4:31", "is DOUBLE");
    /* DROP: later calls do not find it; IF EXISTS */
    bind_fails("CREATE FUNCTION plus_one AS 'test.plus_one'; DROP FUNCTION plus_one;",
               "plus_one(b)", lib, "q.sql:4:22", "plus_one");
    bind_fails("DROP TEMPORARY FUNCTION nope;", "b", lib, "q.sql:1:25",
               "function nope does not exist");
    struct sl_error err;
    struct sl_job *job =
        bind_sql("DROP TEMPORARY SYSTEM FUNCTION IF EXISTS nope;", "b", "x BIGINT", lib, &err);
    assert_non_null(job);
    sl_job_free(job);
    /* twice: an error, unless IF NOT EXISTS */
    bind_fails("CREATE FUNCTION f AS 'test.plus_one';\nCREATE FUNCTION F AS 'test.half';", "b", lib,
               "function F is already declared", NULL);
    job = bind_sql("CREATE TEMPORARY SYSTEM FUNCTION f AS 'test.plus_one' LANGUAGE C; "
                   "CREATE FUNCTION IF NOT EXISTS f AS 'test.half';",
                   "f(b)", "x BIGINT", lib, &err);
    if (!job)
        fail_msg("%s", err.msg);
    sl_job_free(job);
    bind_fails("CREATE FUNCTION f AS 'x' LANGUAGE PYTHON;", "b", lib,
               "LANGUAGE PYTHON is not supported", NULL);
    bind_fails("CREATE FUNCTION f AS 'x' USING JAR 'a.jar';", "b", lib,
               "USING JAR is not supported", NULL);
    bind_fails("CREATE FUNCTION cat.f AS 'x';", "b", lib, "qualified function name", NULL);
}

static void test_load_errors(void **state)
{
    (void)state;
    /* not on the path: names the identifier, what was searched, the position */
    bind_fails("CREATE FUNCTION f AS 'test.nope';", "b", lib, "q.sql:1:1",
               "no UDF library on the UDF path provides 'test.nope'");
    bind_fails("CREATE FUNCTION f AS 'test.nope';", "b", lib, "udf_testlib.so", NULL);
    /* a missing file */
    bind_fails("CREATE FUNCTION f AS 'test.plus_one';", "b", "/nonexistent/lib.so",
               "/nonexistent/lib.so", "test.plus_one");
    /* another ABI version: both versions, the library, the identifier */
    bind_fails("CREATE FUNCTION f AS 'bad.fn';", "b", bad_lib, "version 999", "bad.fn");
    bind_fails("CREATE FUNCTION f AS 'bad.fn';", "b", bad_lib, "udf_badabi.so", "version 1");
    /* a shared object without the entry symbol, named as a file */
    bind_fails("CREATE FUNCTION f AS 'x';", "b", nosym, "udf_nosym.so",
               "is not a sluice UDF library (no symbol sluice_udf_library)");
    /* ... but skipped in a directory, where the test library is found */
    struct sl_error err;
    struct sl_job *job =
        bind_sql(CREATE("plus_one", "test.plus_one"), "plus_one(b)", "x BIGINT", lib_dir, &err);
    if (!job)
        fail_msg("%s", err.msg);
    sl_job_free(job);
    /* a malformed table entry */
    bind_fails("CREATE FUNCTION f AS 'test.malformed';", "b", lib, "malformed",
               "unknown result type");
    /* SET 'sluice.udf.path' in the SQL (':'-separated; searched first) */
    char create[PATH_MAX + 200];
    snprintf(create, sizeof(create),
             "SET 'sluice.udf.path' = '/nonexistent-dir-is-an-error:%s'; "
             "CREATE FUNCTION f AS 'test.plus_one';",
             lib);
    bind_fails(create, "b", NULL, "/nonexistent-dir-is-an-error", NULL);
    snprintf(create, sizeof(create),
             "SET 'sluice.udf.path' = '%s'; CREATE FUNCTION f AS 'test.plus_one';", lib);
    job = bind_sql(create, "f(b)", "x BIGINT", NULL, &err);
    if (!job)
        fail_msg("%s", err.msg);
    sl_job_free(job);
}

/* libsluice: the 'udf-path' option, two workers (each its own call-site state), the library
 * closed with the job; the output rows read back. */
static void test_api(void **state)
{
    (void)state;
    char dir[] = "/tmp/sluice-test-udf-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char in[PATH_MAX], out[PATH_MAX], sql[2 * PATH_MAX + 512];
    snprintf(in, sizeof(in), "%s/in.csv", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    for (int i = 0; i < 100; i++)
        fprintf(f, "%d\n", i);
    fclose(f);
    snprintf(sql, sizeof(sql),
             "CREATE FUNCTION plus_one AS 'test.plus_one';\n"
             "CREATE TABLE t (b BIGINT) WITH ('connector' = 'filesystem', 'path' = '%s', "
             "'format' = 'csv');\n"
             "CREATE TABLE o (x BIGINT) WITH ('connector' = 'filesystem', 'path' = '%s', "
             "'format' = 'csv');\n"
             "INSERT INTO o SELECT plus_one(plus_one(b)) FROM t WHERE plus_one(b) > 50;\n",
             in, out);
    sluice_job *job = sluice_job_new();
    assert_non_null(job);
    assert_int_equal(sluice_job_add_sql(job, "api.sql", sql), 0);
    assert_int_equal(sluice_job_set_option(job, "udf-path", lib), 0);
    assert_int_equal(sluice_job_set_option(job, "workers", "2"), 0);
    assert_int_equal(sluice_job_set_option(job, "pin", "false"), 0);
    if (sluice_job_run(job) != 0)
        fail_msg("%s", sluice_job_error(job));
    struct sluice_stats st;
    assert_int_equal(sluice_job_stats(job, &st), 0);
    assert_int_equal(st.rows_out, 50); /* b = 50 .. 99 */
    sluice_job_free(job);
    /* the rows: 52 .. 101, each once */
    int seen_rows[102] = {0};
    DIR *d = opendir(out);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[2 * PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", out, e->d_name);
        FILE *p = fopen(path, "r");
        assert_non_null(p);
        int v;
        while (fscanf(p, "%d", &v) == 1) {
            assert_true(v >= 52 && v <= 101);
            seen_rows[v]++;
        }
        fclose(p);
        unlink(path);
    }
    closedir(d);
    for (int v = 52; v <= 101; v++)
        assert_int_equal(seen_rows[v], 1);
    rmdir(out);
    unlink(in);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),      cmocka_unit_test(test_selection_rows),
        cmocka_unit_test(test_count_char),  cmocka_unit_test(test_udf_error),
        cmocka_unit_test(test_state),       cmocka_unit_test(test_bind_errors),
        cmocka_unit_test(test_load_errors), cmocka_unit_test(test_api),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
