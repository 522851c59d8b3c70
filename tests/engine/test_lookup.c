/*
 * tests/engine/test_lookup.c - the lookup join operator: INNER and LEFT joins with a CSV
 * table holding duplicate and NULL keys, BIGINT / VARCHAR / DECIMAL (different scales)
 * keys, probe selections, output split over batches, and errors of the table.
 */
#include "tests/util/testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/op_lookup.h"
#include "tests/util/conntest.h"

/* ---- a collecting operator ------------------------------------------------------------------ */

struct collect {
    struct sl_op op;
    char *text;
    size_t len;
    FILE *f;
    int finished;
    int64_t wm;
};

static int col_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                    struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct collect *c = (struct collect *)op;
    uint32_t n = sl_batch_active(b);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = b->sel ? b->sel[k] : k;
        for (uint32_t i = 0; i < b->ncols; i++) {
            struct sl_column *col = &b->cols[i];
            if (i)
                fputc('|', c->f);
            if (col->valid && sl_col_is_null(col, r)) {
                fputs("null", c->f);
            } else if (col->type.id == SL_TYPE_VARCHAR) {
                sl_str s = sl_col_str(col)[r];
                fwrite(sl_str_data(&s), 1, s.len, c->f);
            } else {
                fprintf(c->f, "%" PRId64, sl_col_i64(col)[r]);
            }
        }
        fputc('\n', c->f);
    }
    sl_batch_pool_put(b);
    return 0;
}

static int col_wm(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm, struct sl_error *err)
{
    (void)ctx;
    (void)err;
    ((struct collect *)op)->wm = wm;
    return 0;
}

static int col_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    (void)ctx;
    (void)err;
    ((struct collect *)op)->finished++;
    return 0;
}

static void col_free(struct sl_op *op)
{
    (void)op;
}

static const struct sl_op_ops col_ops = {.name = "collect",
                                         .push = col_push,
                                         .watermark = col_wm,
                                         .finish = col_finish,
                                         .free = col_free};

/* ---- fixture ------------------------------------------------------------------------------- */

static char *g_dir;

static const char dim_csv[] = "1,one,1.000\n"
                              "2,two,1.500\n"
                              "2,deux,1.250\n"
                              ",nullkey,\n"
                              "3,three,1.255\n";

static int setup(void **state)
{
    (void)state;
    g_dir = sl_ct_tmpdir();
    char p[512];
    snprintf(p, sizeof(p), "%s/dim.csv", g_dir);
    FILE *f = fopen(p, "wb");
    if (!f)
        return -1;
    fwrite(dim_csv, 1, sizeof(dim_csv) - 1, f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl_ct_rmdir(g_dir);
    free(g_dir);
    return 0;
}

static const struct sl_plan *find_join(const struct sl_plan *p)
{
    while (p && p->kind != SL_PLAN_LOOKUP_JOIN)
        p = p->input;
    assert_non_null(p);
    return p;
}

/* Runs `query` (an INSERT INTO o ...) over probe rows (k, v, d) with k < 0 meaning NULL;
 * every other probe row is deselected when `sel` is set. Returns the output text. */
static char *run(const char *query, const int64_t *ks, const char *const *vs, const int64_t *ds,
                 uint32_t n, bool sel)
{
    char sql[4096];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE s (k BIGINT, v VARCHAR, d DECIMAL(10, 2)) WITH ('connector' = "
             "'blackhole');\n"
             "CREATE TABLE dim (id BIGINT, name VARCHAR, w DECIMAL(12, 3)) WITH ('connector' = "
             "'filesystem', 'path' = '%s/dim.csv', 'format' = 'csv');\n"
             "CREATE TABLE o (k BIGINT, v VARCHAR, d DECIMAL(10, 2), id BIGINT, name VARCHAR,"
             " w DECIMAL(12, 3)) WITH ('connector' = 'blackhole');\n%s",
             g_dir, query);
    struct sl_job *job = sl_ct_job(sql);
    const struct sl_plan *j = find_join(job->inserts[0]);
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    struct sl_op *op;
    struct sl_error err;
    if (sl_op_lookup_new(j, &env, c.ctx.heap, &op, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(sl_op_lookup_table_rows(op), 5);
    struct collect col = {.op = {.ops = &col_ops}};
    col.f = open_memstream(&col.text, &col.len);
    op->next = &col.op;
    struct sl_schema *in = sl_plan_rel_schema(&j->input->out);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, in, 2);
    struct sl_batch *b = NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (!b)
            b = sl_batch_pool_get(pool);
        uint32_t r = b->rows++;
        sl_col_i64(&b->cols[0])[r] = ks[i];
        sl_col_set_null(&b->cols[0], r, ks[i] < 0);
        sl_col_str(&b->cols[1])[r] = sl_batch_str(b, vs[i], (uint32_t)strlen(vs[i]));
        sl_col_i64(&b->cols[2])[r] = ds[i];
        if (b->rows == SL_BATCH_CAP || i + 1 == n) {
            if (sel) { /* keep even rows of the batch */
                sl_sel_t *s = sl_batch_sel_next(b);
                uint32_t m = 0;
                for (uint32_t x = 0; x < b->rows; x += 2)
                    s[m++] = x;
                sl_batch_sel_commit(b, s, m);
            }
            assert_int_equal(op->ops->push(op, &c.ctx, b, &err), 0);
            b = NULL;
        }
    }
    assert_int_equal(op->ops->watermark(op, &c.ctx, 42, &err), 0);
    assert_int_equal(op->ops->finish(op, &c.ctx, &err), 0);
    assert_int_equal(col.wm, 42);
    assert_int_equal(col.finished, 1);
    fclose(col.f);
    op->ops->free(op);
    assert_int_equal(sl_batch_pool_outstanding(pool), 0);
    sl_batch_pool_free(pool);
    sl_schema_free(in);
    sl_ct_ctx_free(&c);
    sl_job_free(job);
    return col.text;
}

static const int64_t K[] = {2, 1, -1, 4, 2, 3};
static const char *const V[] = {"a", "two", "c", "nullkey", "deux", "f"};
static const int64_t D[] = {150, 125, 100, 999, 126, 0};

static void test_inner(void **state)
{
    (void)state;
    char *t = run("INSERT INTO o SELECT * FROM s JOIN dim ON s.k = dim.id;", K, V, D, 6, false);
    assert_string_equal(t, "2|a|150|2|two|1500\n"
                           "2|a|150|2|deux|1250\n"
                           "1|two|125|1|one|1000\n"
                           "2|deux|126|2|two|1500\n"
                           "2|deux|126|2|deux|1250\n"
                           "3|f|0|3|three|1255\n");
    free(t);
}

static void test_left(void **state)
{
    (void)state;
    char *t =
        run("INSERT INTO o SELECT * FROM s LEFT JOIN dim ON s.k = dim.id;", K, V, D, 6, false);
    assert_string_equal(t, "2|a|150|2|two|1500\n"
                           "2|a|150|2|deux|1250\n"
                           "1|two|125|1|one|1000\n"
                           "null|c|100|null|null|null\n"
                           "4|nullkey|999|null|null|null\n"
                           "2|deux|126|2|two|1500\n"
                           "2|deux|126|2|deux|1250\n"
                           "3|f|0|3|three|1255\n");
    free(t);
}

/* A selection on the probe batch: only the selected rows join. */
static void test_left_selection(void **state)
{
    (void)state;
    char *t = run("INSERT INTO o SELECT * FROM s LEFT JOIN dim ON s.k = dim.id;", K, V, D, 6, true);
    /* the even rows of each batch: with a capacity of 2, rows 0, 2, 4 of the input */
    assert_string_equal(t, "2|a|150|2|two|1500\n"
                           "2|a|150|2|deux|1250\n"
                           "null|c|100|null|null|null\n"
                           "2|deux|126|2|two|1500\n"
                           "2|deux|126|2|deux|1250\n");
    free(t);
}

static void test_varchar_key(void **state)
{
    (void)state;
    /* 'nullkey' matches the row whose id is NULL: only the build key decides */
    char *t =
        run("INSERT INTO o SELECT * FROM s JOIN dim AS t ON t.name = s.v;", K, V, D, 6, false);
    assert_string_equal(t, "1|two|125|2|two|1500\n"
                           "4|nullkey|999|null|nullkey|null\n"
                           "2|deux|126|2|deux|1250\n");
    free(t);
}

static void test_decimal_scales(void **state)
{
    (void)state;
    /* DECIMAL(10, 2) against DECIMAL(12, 3): 1.50 = 1.500, 1.25 = 1.250; 1.26 <> 1.255 */
    char *t = run("INSERT INTO o SELECT * FROM s JOIN dim ON s.d = dim.w;", K, V, D, 6, false);
    assert_string_equal(t, "2|a|150|2|two|1500\n"
                           "1|two|125|2|deux|1250\n"
                           "null|c|100|1|one|1000\n");
    free(t);
}

/* The stream's key as an expression (INT, against the BIGINT id), as Nexmark q13's
 * mod(auction, 10000) = key: MOD(2, 3) + 1 = 3, MOD(1, 3) + 1 = 2, NULL, 2, 3, 1. */
static void test_key_expression(void **state)
{
    (void)state;
    char *t = run("INSERT INTO o SELECT * FROM s LEFT JOIN dim ON MOD(s.k, 3) + 1 = dim.id;", K, V,
                  D, 6, false);
    assert_string_equal(t, "2|a|150|3|three|1255\n"
                           "1|two|125|2|two|1500\n"
                           "1|two|125|2|deux|1250\n"
                           "null|c|100|null|null|null\n"
                           "4|nullkey|999|2|two|1500\n"
                           "4|nullkey|999|2|deux|1250\n"
                           "2|deux|126|3|three|1255\n"
                           "3|f|0|1|one|1000\n");
    free(t);
    /* with a selection: the key of the k-th selected row, not of row k */
    t = run("INSERT INTO o SELECT * FROM s LEFT JOIN dim ON dim.id = MOD(s.k, 3) + 1;", K, V, D, 6,
            true);
    assert_string_equal(t, "2|a|150|3|three|1255\n"
                           "null|c|100|null|null|null\n"
                           "2|deux|126|3|three|1255\n");
    free(t);
}

/* Many probe rows: output over several batches, every probe row with its two matches. */
static void test_many(void **state)
{
    (void)state;
    enum { N = 3000 };
    int64_t *k = malloc(N * sizeof(*k)), *d = malloc(N * sizeof(*d));
    const char **v = malloc(N * sizeof(*v));
    for (int i = 0; i < N; i++) {
        k[i] = 2;
        d[i] = i;
        v[i] = "x";
    }
    char *t = run("INSERT INTO o SELECT * FROM s JOIN dim ON s.k = dim.id;", k, v, d, N, false);
    size_t lines = 0;
    for (const char *p = t; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2 * N);
    char want[64];
    snprintf(want, sizeof(want), "2|x|%d|2|deux|1250\n", N - 1);
    assert_string_equal(t + strlen(t) - strlen(want), want);
    free(t);
    free(k);
    free(d);
    free(v);
}

static void test_table_error(void **state)
{
    (void)state;
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE s (k BIGINT) WITH ('connector' = 'blackhole');\n"
             "CREATE TABLE dim (id BIGINT NOT NULL, name VARCHAR) WITH ('connector' = "
             "'filesystem', 'path' = '%s/dim.csv', 'format' = 'csv');\n"
             "CREATE TABLE o (k BIGINT, id BIGINT, name VARCHAR) WITH ('connector' = "
             "'blackhole');\n"
             "INSERT INTO o SELECT * FROM s JOIN dim ON s.k = dim.id;",
             g_dir);
    struct sl_job *job = sl_ct_job(sql);
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_op *op;
    struct sl_error err;
    /* the dim file has 3 columns: the 2-column table makes every line a bad record */
    assert_int_not_equal(sl_op_lookup_new(find_join(job->inserts[0]), &env, NULL, &op, &err), 0);
    assert_non_null(strstr(err.msg, "dim.csv' offset 0"));
    sl_job_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inner),       cmocka_unit_test(test_key_expression),
        cmocka_unit_test(test_left),        cmocka_unit_test(test_left_selection),
        cmocka_unit_test(test_varchar_key), cmocka_unit_test(test_decimal_scales),
        cmocka_unit_test(test_many),        cmocka_unit_test(test_table_error),
    };
    return cmocka_run_group_tests_name("lookup join", tests, setup, teardown);
}
