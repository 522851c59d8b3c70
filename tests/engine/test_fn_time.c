/*
 * tests/engine/test_fn_time.c - the time and numeric functions (engine/ops/eval_fn.c,
 * engine/core/dtpattern.c) against values Apache Flink 1.20 itself gave for the same calls
 * (tools/flink.sh, the session time zone UTC) and Flink's documented examples.
 *
 * Every case binds `SELECT <expr> FROM t` over six fixed rows (one all NULL; timestamps before
 * 1970, in year 0000 and 9999; a leap day) and evaluates it in batches of at most
 * min(SL_BATCH_CAP, 3) rows, once with every row active and once with a selection that skips
 * rows, so the functions see gaps and short batches (the cap2 build runs batches of 2). A
 * case gives the expected text of each row (NULL as "NULL"; timestamps as yyyy-MM-dd
 * HH:mm:ss.SSS; DOUBLE compared as the double nearest to the text). Errors are checked for
 * their code and the words of their message; pattern compile and parse are tested directly.
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/batch.h"
#include "engine/core/datetime.h"
#include "engine/core/dtpattern.h"
#include "engine/ops/eval.h"
#include "engine/plan/catalog.h"
#include "engine/sql/binder.h"
#include "io/fmt.h"

#define NROWS 6
#define NCOLS 6

static const char *const t_ts[NROWS] = {"2024-02-29 13:05:09.123", NULL,
                                        "1969-12-31 23:59:59.999", "9999-12-31 23:59:59.999",
                                        "0000-01-01 00:00:00.000", "2024-12-30 00:00:00.000"};
static const char *const t_s[NROWS] = {
    "2024-01-02 03:04:05", NULL, "garbage",
    "2024-13-02 03:04:05", "",   "2024-01-02 03:04:05.678 and more text"};
static const int32_t t_i[NROWS] = {7, 0, -7, INT32_MIN, 125, 0};
static const int64_t t_b[NROWS] = {5, 0, -1, 1700000000, 86400 * 365, INT64_MAX};
static const double t_d[NROWS] = {2.5, 0, -2.5, 0.285, 1.005, -0.5};
static const int64_t t_m[NROWS] = {-12345, 0, 12355, 0, 99999, -5}; /* DECIMAL(10, 3) */

static const char *ddl = "CREATE TABLE t (ts TIMESTAMP(3), s VARCHAR, i INT, b BIGINT, d DOUBLE, "
                         "m DECIMAL(10, 3)) WITH ('connector' = 'kafka', 'topic' = 't', "
                         "'format' = 'json');\n";

struct run {
    struct sl_job *job;
    struct sl_eval *ev;
    struct sl_schema *is, *os;
    struct sl_batch_pool *ip, *op;
    const struct sl_plan *proj;
};

/* Binds `SELECT <expr> FROM t` into a sink of one column of type `type`. */
static int prepare(const char *expr, const char *type, struct run *r, struct sl_error *err)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "%sCREATE TABLE o (x %s) WITH ('connector' = 'blackhole');\n"
             "INSERT INTO o SELECT %s FROM t;\n",
             ddl, type, expr);
    memset(r, 0, sizeof(*r));
    sl_error_clear(err);
    r->job = sl_job_from_sql("q.sql", sql, strlen(sql), NULL, 0, err);
    if (!r->job)
        return err->code ? err->code : SL_EINVAL;
    const struct sl_plan *p = r->job->inserts[0]->input;
    assert_int_equal(p->kind, SL_PLAN_PROJECT);
    if (p->note && strstr(p->note, "casts"))
        fail_msg("%s: the result type is not %s", expr, type);
    r->proj = p;
    r->ev = sl_eval_new(NULL, &p->input->out, p->project.nexprs, p->project.exprs,
                        r->job->file->src, err);
    if (!r->ev)
        return err->code;
    const struct sl_rel *rels[2] = {&p->input->out, &p->out};
    for (int k = 0; k < 2; k++) {
        const char *names[16];
        struct sl_type types[16];
        for (uint32_t c = 0; c < rels[k]->ncols; c++) {
            names[c] = rels[k]->cols[c].name;
            types[c] = rels[k]->cols[c].type;
        }
        struct sl_schema *s = sl_schema_new(rels[k]->ncols, names, types);
        assert_non_null(s);
        *(k ? &r->os : &r->is) = s;
    }
    r->ip = sl_batch_pool_new(NULL, r->is, 1);
    r->op = sl_batch_pool_new(NULL, r->os, 1);
    assert_non_null(r->ip);
    assert_non_null(r->op);
    return 0;
}

static void finish(struct run *r)
{
    if (r->ip)
        sl_batch_pool_free(r->ip);
    if (r->op)
        sl_batch_pool_free(r->op);
    if (r->is)
        sl_schema_free(r->is);
    if (r->os)
        sl_schema_free(r->os);
    if (r->ev)
        sl_eval_free(r->ev);
    if (r->job)
        sl_job_free(r->job);
}

static void fill_row(struct sl_batch *in, uint32_t k, int row)
{
    bool null = t_ts[row] == NULL;
    for (uint32_t c = 0; c < NCOLS; c++)
        sl_col_set_null(&in->cols[c], k, null);
    if (null)
        return;
    int64_t ms;
    const char *why;
    assert_int_equal(sl_dt_parse(t_ts[row], strlen(t_ts[row]), &ms, &why), 0);
    sl_col_i64(&in->cols[0])[k] = ms;
    sl_col_str(&in->cols[1])[k] = sl_str_make(t_s[row], (uint32_t)strlen(t_s[row]));
    sl_col_i32(&in->cols[2])[k] = t_i[row];
    sl_col_i64(&in->cols[3])[k] = t_b[row];
    sl_col_f64(&in->cols[4])[k] = t_d[row];
    sl_col_i64(&in->cols[5])[k] = t_m[row];
}

static void cell_text(struct sl_column *c, uint32_t k, char *out, size_t cap)
{
    if (sl_col_is_null(c, k)) {
        snprintf(out, cap, "NULL");
        return;
    }
    char tmp[64];
    size_t n;
    switch (c->type.id) {
    case SL_TYPE_INT:
        snprintf(out, cap, "%d", sl_col_i32(c)[k]);
        return;
    case SL_TYPE_BIGINT:
        snprintf(out, cap, "%lld", (long long)sl_col_i64(c)[k]);
        return;
    case SL_TYPE_DOUBLE:
        snprintf(out, cap, "%.17g", sl_col_f64(c)[k]);
        return;
    case SL_TYPE_DECIMAL:
        n = sl_fmt_decimal(tmp, sl_col_i64(c)[k], c->type.scale);
        snprintf(out, cap, "%.*s", (int)n, tmp);
        return;
    case SL_TYPE_TIMESTAMP:
        n = sl_dt_format(tmp, sl_col_i64(c)[k], SL_DT_SQL);
        snprintf(out, cap, "%.*s", (int)n, tmp);
        return;
    default: {
        sl_str *s = &sl_col_str(c)[k];
        snprintf(out, cap, "%.*s", (int)s->len, sl_str_data(s));
        return;
    }
    }
}

static bool same_text(const struct sl_column *c, const char *got, const char *want)
{
    if (c->type.id == SL_TYPE_DOUBLE && strcmp(want, "NULL") && strcmp(got, "NULL")) {
        double g = strtod(got, NULL), w = strtod(want, NULL);
        return (isnan(g) && isnan(w)) || (g == w && signbit(g) == signbit(w));
    }
    return strcmp(got, want) == 0;
}

/* Evaluates the rows `rows` (in batches of at most min(cap, 3), the odd ones only when
 * `gaps`) and checks each against want[row]. */
static void check_rows(struct run *r, const char *expr, const char *const *want, bool gaps)
{
    uint32_t chunk = SL_BATCH_CAP < 3 ? SL_BATCH_CAP : 3;
    for (int first = 0; first < NROWS; first += (int)chunk) {
        struct sl_batch *in = sl_batch_pool_get(r->ip), *o = sl_batch_pool_get(r->op);
        uint32_t rows = 0;
        for (int row = first; row < NROWS && rows < chunk; row++)
            fill_row(in, rows++, row);
        in->rows = rows;
        uint32_t nsel = 0;
        if (gaps) {
            sl_sel_t *sel = sl_batch_sel_next(in);
            for (uint32_t k = 0; k < rows; k++)
                if ((first + (int)k) % 2 == 1)
                    sel[nsel++] = (sl_sel_t)k;
            sl_batch_sel_commit(in, sel, nsel);
        }
        struct sl_error err;
        sl_error_clear(&err);
        int rc = sl_eval_project(r->ev, in, o, &err);
        if (rc)
            fail_msg("%s: %s", expr, err.msg);
        uint32_t active = gaps ? nsel : rows;
        assert_int_equal(o->rows, active);
        for (uint32_t j = 0; j < active; j++) {
            int row = first + (int)(gaps ? in->sel[j] : j);
            char got[256];
            cell_text(&o->cols[0], j, got, sizeof(got));
            if (!same_text(&o->cols[0], got, want[row]))
                fail_msg("%s, row %d%s: got '%s', want '%s'", expr, row, gaps ? " (gaps)" : "", got,
                         want[row]);
        }
        sl_batch_pool_put(in);
        sl_batch_pool_put(o);
    }
}

/* want: NROWS texts, row 1 (all NULL) included */
static void expect(const char *expr, const char *type, const char *const want[NROWS])
{
    struct run r;
    struct sl_error err;
    if (prepare(expr, type, &r, &err))
        fail_msg("%s: %s", expr, err.msg);
    check_rows(&r, expr, want, false);
    check_rows(&r, expr, want, true);
    finish(&r);
}

#define W(...) ((const char *const[NROWS]){__VA_ARGS__})

/* A failure (at bind, compile or run time) with `code` and a message containing `words`. */
static void expect_err(const char *expr, const char *type, int code, const char *words)
{
    struct run r;
    struct sl_error err;
    int rc = prepare(expr, type, &r, &err);
    if (!rc) {
        for (int first = 0; first < NROWS && !rc; first += 1) {
            struct sl_batch *in = sl_batch_pool_get(r.ip), *o = sl_batch_pool_get(r.op);
            fill_row(in, 0, first);
            in->rows = 1;
            rc = sl_eval_project(r.ev, in, o, &err);
            sl_batch_pool_put(in);
            sl_batch_pool_put(o);
        }
    }
    finish(&r);
    if (!rc)
        fail_msg("%s: no error, want '%s'", expr, words);
    if (rc != code || !strstr(err.msg, words))
        fail_msg("%s: got %d '%s', want %d '%s'", expr, rc, err.msg, code, words);
}

/* ---- time ------------------------------------------------------------------------------------ */

static void test_date_format(void **state)
{
    (void)state;
    expect("DATE_FORMAT(ts, 'yyyy-MM-dd')", "STRING",
           W("2024-02-29", "NULL", "1969-12-31", "9999-12-31", "0001-01-01", "2024-12-30"));
    expect("DATE_FORMAT(ts, 'HH:mm')", "STRING",
           W("13:05", "NULL", "23:59", "23:59", "00:00", "00:00"));
    /* Flink 1.20: 2024-02-29 13:05:09.123 Thu Thursday PM 1 1 13 60 Feb February 1 Q1 2024
     * 2024 24 2024 q 1 12 */
    expect("DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss.SSS E EEEE a h K k D MMM MMMM Q QQQ u y yy yyy "
           "''q'' S SS')",
           "STRING",
           W("2024-02-29 13:05:09.123 Thu Thursday PM 1 1 13 60 Feb February 1 Q1 2024 2024 24 "
             "2024 q 1 12",
             "NULL",
             "1969-12-31 23:59:59.999 Wed Wednesday PM 11 11 23 365 Dec December 4 Q4 1969 1969 69 "
             "1969 q 9 99",
             "9999-12-31 23:59:59.999 Fri Friday PM 11 11 23 365 Dec December 4 Q4 9999 9999 99 "
             "9999 q 9 99",
             "0001-01-01 00:00:00.000 Sat Saturday AM 12 0 24 1 Jan January 1 Q1 0 1 01 001 q 0 00",
             "2024-12-30 00:00:00.000 Mon Monday AM 12 0 24 365 Dec December 4 Q4 2024 2024 24 "
             "2024 q 0 00"));
    /* Flink 1.20: 02024 01 x ' 6780 J T 1st quarter AD (for 2024-01-02 03:04:05.678) */
    expect("DATE_FORMAT(TIMESTAMP '2024-01-02 03:04:05.678', 'yyyyy [MM] ''x'' '''' SSSS MMMMM "
           "EEEEE QQQQ G')",
           "STRING",
           W("02024 01 x ' 6780 J T 1st quarter AD", "02024 01 x ' 6780 J T 1st quarter AD",
             "02024 01 x ' 6780 J T 1st quarter AD", "02024 01 x ' 6780 J T 1st quarter AD",
             "02024 01 x ' 6780 J T 1st quarter AD", "02024 01 x ' 6780 J T 1st quarter AD"));
    /* a STRING: read as yyyy-MM-dd HH:mm:ss (SimpleDateFormat: trailing text ignored, month 13
     * is the next January), NULL when it does not parse */
    expect(
        "DATE_FORMAT(s, 'yyyy/MM/dd HH SSS')", "STRING",
        W("2024/01/02 03 000", "NULL", "NULL", "2025/01/02 03 000", "NULL", "2024/01/02 03 000"));
    /* a pattern that is a column: compiled per row */
    expect("DATE_FORMAT(ts, CASE WHEN i > 0 THEN 'yyyy' ELSE 'MM' END)", "STRING",
           W("2024", "NULL", "12", "12", "0001", "12"));
    expect("DATE_FORMAT(CAST(NULL AS TIMESTAMP(3)), 'yyyy')", "STRING",
           W("NULL", "NULL", "NULL", "NULL", "NULL", "NULL"));
    expect("FROM_UNIXTIME(b)", "STRING",
           W("1970-01-01 00:00:05", "NULL", "1969-12-31 23:59:59", "2023-11-14 22:13:20",
             "1971-01-01 00:00:00", "1969-12-31 23:59:59"));
    expect("FROM_UNIXTIME(-1, 'yyyy-MM-dd HH:mm:ss SSS')", "STRING",
           W("1969-12-31 23:59:59 000", "1969-12-31 23:59:59 000", "1969-12-31 23:59:59 000",
             "1969-12-31 23:59:59 000", "1969-12-31 23:59:59 000", "1969-12-31 23:59:59 000"));
    /* Flink 1.20: 23 2023 02023 11 Nov November Tue Tuesday PM 2 0 000 14 014 22 022 */
    expect("FROM_UNIXTIME(1700000000, 'yy y yyyyy M MMM MMMM E EEEE a u S SSS d ddd H HHH')",
           "STRING",
           W("23 2023 02023 11 Nov November Tue Tuesday PM 2 0 000 14 014 22 022",
             "23 2023 02023 11 Nov November Tue Tuesday PM 2 0 000 14 014 22 022",
             "23 2023 02023 11 Nov November Tue Tuesday PM 2 0 000 14 014 22 022",
             "23 2023 02023 11 Nov November Tue Tuesday PM 2 0 000 14 014 22 022",
             "23 2023 02023 11 Nov November Tue Tuesday PM 2 0 000 14 014 22 022",
             "23 2023 02023 11 Nov November Tue Tuesday PM 2 0 000 14 014 22 022"));
}

static void test_extract(void **state)
{
    (void)state;
    /* before 1970 Flink truncates toward zero: 1969-12-31 23:59:59.999 is hour 0 of a
     * Thursday, its millisecond -1 */
    expect("HOUR(ts)", "BIGINT", W("13", "NULL", "0", "23", "0", "0"));
    expect("MINUTE(ts)", "BIGINT", W("5", "NULL", "0", "59", "0", "0"));
    expect("SECOND(ts)", "BIGINT", W("9", "NULL", "0", "59", "0", "0"));
    expect("YEAR(ts)", "BIGINT", W("2024", "NULL", "1970", "9999", "0", "2024"));
    expect("MONTH(ts)", "BIGINT", W("2", "NULL", "1", "12", "1", "12"));
    expect("DAYOFMONTH(ts)", "BIGINT", W("29", "NULL", "1", "31", "1", "30"));
    expect("EXTRACT(DOW FROM ts)", "BIGINT", W("5", "NULL", "5", "6", "7", "2"));
    expect("EXTRACT(MILLISECOND FROM ts)", "BIGINT", W("123", "NULL", "-1", "999", "0", "0"));
    expect("EXTRACT(MICROSECOND FROM ts)", "BIGINT",
           W("123000", "NULL", "-1000", "999000", "0", "0"));
    expect("EXTRACT(EPOCH FROM ts)", "BIGINT",
           W("1709211909", "NULL", "0", "253402300799", "-62167219200", "1735516800"));
    expect("EXTRACT(WEEK FROM ts)", "BIGINT", W("9", "NULL", "1", "52", "52", "1"));
    expect("EXTRACT(ISOYEAR FROM ts)", "BIGINT", W("2024", "NULL", "1970", "9999", "-1", "2025"));
    expect("EXTRACT(QUARTER FROM ts)", "BIGINT", W("1", "NULL", "1", "4", "1", "4"));
    expect("EXTRACT(DOY FROM ts)", "BIGINT", W("60", "NULL", "1", "365", "1", "365"));
    expect("EXTRACT(DECADE FROM ts)", "BIGINT", W("202", "NULL", "197", "999", "0", "202"));
    expect("EXTRACT(CENTURY FROM ts)", "BIGINT", W("21", "NULL", "20", "100", "0", "21"));
    expect("EXTRACT(MILLENNIUM FROM ts)", "BIGINT", W("3", "NULL", "2", "10", "0", "3"));
    expect("EXTRACT(ISODOW FROM ts)", "BIGINT", W("4", "NULL", "4", "5", "6", "1"));
}

/* Every value below is Flink's, except a few cells of rows 3 and 4: a result past year 9999,
 * which Flink prints garbled ('0000-01-01' for +10000-01-01, '000/-12-28'), and year 0000,
 * where Flink's FLOOR / CEIL TO WEEK..YEAR run on the Julian calendar (Calcite's
 * julianDateFloor before 1582-10-15: CEIL(0000-01-01 TO MONTH) is 0000-02-01 there); sluice
 * keeps the proleptic Gregorian calendar. */
static void test_floor_ceil_add_diff(void **state)
{
    (void)state;
    expect("FLOOR(ts TO HOUR)", "TIMESTAMP(3)",
           W("2024-02-29 13:00:00.000", "NULL", "1969-12-31 23:00:00.000",
             "9999-12-31 23:00:00.000", "0000-01-01 00:00:00.000", "2024-12-30 00:00:00.000"));
    expect("CEIL(ts TO MONTH)", "TIMESTAMP(3)",
           W("2024-03-01 00:00:00.000", "NULL", "1970-01-01 00:00:00.000",
             "+10000-01-01 00:00:00.000", "0000-01-01 00:00:00.000", "2025-01-01 00:00:00.000"));
    expect("FLOOR(ts TO WEEK)", "TIMESTAMP(3)",
           W("2024-02-25 00:00:00.000", "NULL", "1969-12-28 00:00:00.000",
             "9999-12-26 00:00:00.000", "-0001-12-26 00:00:00.000", "2024-12-29 00:00:00.000"));
    expect("CEIL(ts TO SECOND)", "TIMESTAMP(3)",
           W("2024-02-29 13:05:10.000", "NULL", "1970-01-01 00:00:00.000",
             "+10000-01-01 00:00:00.000", "0000-01-01 00:00:00.000", "2024-12-30 00:00:00.000"));
    expect("FLOOR(ts TO QUARTER)", "TIMESTAMP(3)",
           W("2024-01-01 00:00:00.000", "NULL", "1970-01-01 00:00:00.000",
             "9999-10-01 00:00:00.000", "0000-01-01 00:00:00.000", "2024-10-01 00:00:00.000"));
    expect("CEIL(ts TO YEAR)", "TIMESTAMP(3)",
           W("2025-01-01 00:00:00.000", "NULL", "1970-01-01 00:00:00.000",
             "+10000-01-01 00:00:00.000", "0000-01-01 00:00:00.000", "2025-01-01 00:00:00.000"));
    /* the day clamped to the month's last (Flink: 2025-02-28 13:05:09.123) */
    expect("TIMESTAMPADD(MONTH, 12, ts)", "TIMESTAMP(3)",
           W("2025-02-28 13:05:09.123", "NULL", "1970-12-31 23:59:59.999",
             "+10000-12-31 23:59:59.999", "0001-01-01 00:00:00.000", "2025-12-30 00:00:00.000"));
    expect("TIMESTAMPADD(DAY, i, ts)", "TIMESTAMP(3)",
           W("2024-03-07 13:05:09.123", "NULL", "1969-12-24 23:59:59.999",
             "-5869611-06-21 23:59:59.999", "0000-05-05 00:00:00.000", "2024-12-30 00:00:00.000"));
    expect("TIMESTAMPADD(QUARTER, 1, TIMESTAMP '2024-11-30 00:00:00')", "TIMESTAMP(3)",
           W("2025-02-28 00:00:00.000", "2025-02-28 00:00:00.000", "2025-02-28 00:00:00.000",
             "2025-02-28 00:00:00.000", "2025-02-28 00:00:00.000", "2025-02-28 00:00:00.000"));
    expect("TIMESTAMPDIFF(MONTH, ts, TIMESTAMP '2024-03-29 13:05:09.122')", "INT",
           W("0", "NULL", "650", "-95709", "24290", "-9"));
    expect("TIMESTAMPDIFF(SECOND, ts, TIMESTAMP '1970-01-01 00:00:00')", "INT",
           W("-1709211909", "NULL", "0", "769665", "2037677056", "-1735516800"));
    expect("TIMESTAMPDIFF(YEAR, TIMESTAMP '2024-02-29 00:00:00', ts)", "INT",
           W("0", "NULL", "-54", "7975", "-2024", "0"));
    expect("TIMESTAMPDIFF(WEEK, TIMESTAMP '2024-01-01 00:00:00', ts)", "INT",
           W("8", "NULL", "-2817", "-2818", "914", "52"));
}

static void test_parse(void **state)
{
    (void)state;
    expect("TO_TIMESTAMP(s)", "TIMESTAMP(3)",
           W("2024-01-02 03:04:05.000", "NULL", "NULL", "NULL", "NULL", "NULL"));
    expect("TO_TIMESTAMP('2024-1-2 3:4:5')", "TIMESTAMP(3)",
           W("2024-01-02 03:04:05.000", "2024-01-02 03:04:05.000", "2024-01-02 03:04:05.000",
             "2024-01-02 03:04:05.000", "2024-01-02 03:04:05.000", "2024-01-02 03:04:05.000"));
    expect("TO_TIMESTAMP(CASE WHEN i = 7 THEN '2024-01-02 03:04:05.6789' WHEN i = -7 THEN "
           "'2023-02-31 00:00:00' WHEN i = 125 THEN '2024-01-02' WHEN b = 1700000000 THEN "
           "'2024-01-02T03:04:05' ELSE '2024-01-02 03:04' END)",
           "TIMESTAMP(3)",
           W("2024-01-02 03:04:05.678", "NULL", "2023-02-28 00:00:00.000", "NULL",
             "2024-01-02 00:00:00.000", "NULL"));
    expect("TO_TIMESTAMP(CASE WHEN i = 7 THEN '2023-02-30' WHEN i = -7 THEN '2023-02-32' WHEN "
           "i = 125 THEN '2023-02-03 x' ELSE '20230203' END, CASE WHEN i < 126 AND i > -8 THEN "
           "'yyyy-MM-dd' ELSE 'yyyyMMdd' END)",
           "TIMESTAMP(3)",
           W("2023-02-28 00:00:00.000", "2023-02-03 00:00:00.000", "NULL",
             "2023-02-03 00:00:00.000", "NULL", "NULL"));
    expect("TO_TIMESTAMP('03:04', 'HH:mm')", "TIMESTAMP(3)",
           W("1970-01-01 03:04:00.000", "1970-01-01 03:04:00.000", "1970-01-01 03:04:00.000",
             "1970-01-01 03:04:00.000", "1970-01-01 03:04:00.000", "1970-01-01 03:04:00.000"));
    expect("UNIX_TIMESTAMP(s)", "BIGINT",
           W("1704164645", "NULL", "-9223372036854775808", "1735787045", "-9223372036854775808",
             "1704164645"));
    expect("UNIX_TIMESTAMP(s, 'yyyy/MM/dd')", "BIGINT",
           W("-9223372036854775808", "NULL", "-9223372036854775808", "-9223372036854775808",
             "-9223372036854775808", "-9223372036854775808"));
    expect("UNIX_TIMESTAMP('2024/01/02', 'yyyy/MM/dd')", "BIGINT",
           W("1704153600", "1704153600", "1704153600", "1704153600", "1704153600", "1704153600"));
}

static void test_now(void **state)
{
    (void)state;
    struct run r;
    struct sl_error err;
    assert_int_equal(prepare("CURRENT_TIMESTAMP", "TIMESTAMP_LTZ(3)", &r, &err), 0);
    finish(&r);
    assert_int_equal(prepare("LOCALTIMESTAMP", "TIMESTAMP(3)", &r, &err), 0);
    finish(&r);
    assert_int_equal(prepare("UNIX_TIMESTAMP()", "BIGINT", &r, &err), 0);
    int64_t before = (int64_t)time(NULL);
    struct sl_batch *in = sl_batch_pool_get(r.ip), *o = sl_batch_pool_get(r.op);
    fill_row(in, 0, 0);
    in->rows = 1;
    assert_int_equal(sl_eval_project(r.ev, in, o, &err), 0);
    int64_t got = sl_col_i64(&o->cols[0])[0];
    assert_true(got >= before && got <= (int64_t)time(NULL));
    sl_batch_pool_put(in);
    sl_batch_pool_put(o);
    finish(&r);
}

/* ---- numeric --------------------------------------------------------------------------------- */

static void test_numeric(void **state)
{
    (void)state;
    expect("ABS(m)", "DECIMAL(10, 3)", W("12.345", "NULL", "12.355", "0.000", "99.999", "0.005"));
    expect("ABS(i)", "INT", W("7", "NULL", "7", "-2147483648", "125", "0"));
    expect("ROUND(m, 2)", "DECIMAL(10, 2)",
           W("-12.35", "NULL", "12.36", "0.00", "100.00", "-0.01"));
    expect("ROUND(m)", "DECIMAL(8, 0)", W("-12", "NULL", "12", "0", "100", "0"));
    expect("ROUND(m, -1)", "DECIMAL(8, 0)", W("-10", "NULL", "10", "0", "100", "0"));
    expect("ROUND(m, 5)", "DECIMAL(10, 3)",
           W("-12.345", "NULL", "12.355", "0.000", "99.999", "-0.005"));
    expect("ROUND(d)", "DOUBLE", W("3.0", "NULL", "-3.0", "0.0", "1.0", "-1.0"));
    expect("ROUND(d, 2)", "DOUBLE", W("2.5", "NULL", "-2.5", "0.29", "1.01", "-0.5"));
    expect("ROUND(i, -1)", "INT", W("10", "NULL", "-10", "2147483646", "130", "0"));
    expect("ROUND(b, -1)", "BIGINT",
           W("10", "NULL", "0", "1700000000", "31536000", "-9223372036854775806"));
    expect("FLOOR(m)", "DECIMAL(10, 0)", W("-13", "NULL", "12", "0", "99", "-1"));
    expect("CEIL(m)", "DECIMAL(10, 0)", W("-12", "NULL", "13", "0", "100", "0"));
    expect("FLOOR(d)", "DOUBLE", W("2.0", "NULL", "-3.0", "0.0", "1.0", "-1.0"));
    expect("CEILING(d)", "DOUBLE", W("3.0", "NULL", "-2.0", "1.0", "2.0", "-0.0"));
    expect("CEIL(i)", "INT", W("7", "NULL", "-7", "-2147483648", "125", "0"));
    expect("POWER(i, 2)", "DOUBLE",
           W("49.0", "NULL", "49.0", "4.6116860184273879E18", "15625.0", "0.0"));
    expect(
        "SQRT(d)", "DOUBLE",
        W("1.5811388300841898", "NULL", "NaN", "0.5338539126015656", "1.002496882788171", "NaN"));
    expect("LN(d)", "DOUBLE",
           W("0.9162907318741551", "NULL", "NaN", "-1.2552660987134867", "0.004987541511038968",
             "NaN"));
    expect("LOG10(d)", "DOUBLE",
           W("0.3979400086720376", "NULL", "NaN", "-0.5451551399914898", "0.0021660617565076304",
             "NaN"));
    expect(
        "LOG(2, b)", "DOUBLE",
        W("2.321928094887362", "NULL", "NaN", "30.66288760034924", "24.910496345705575", "63.0"));
    expect("LOG(CAST(0 AS DOUBLE))", "DOUBLE",
           W("-Infinity", "-Infinity", "-Infinity", "-Infinity", "-Infinity", "-Infinity"));
    expect("EXP(i)", "DOUBLE",
           W("1096.6331584284585", "NULL", "9.118819655545162E-4", "0.0", "1.9355760420357226E54",
             "1.0"));
    expect("POWER(CAST(2 AS DECIMAL(3, 1)), 0.5)", "DOUBLE",
           W("1.4142135623730951", "1.4142135623730951", "1.4142135623730951", "1.4142135623730951",
             "1.4142135623730951", "1.4142135623730951"));
}

static void test_rand(void **state)
{
    (void)state;
    /* java.util.Random(1).nextDouble(), then the next ones */
    struct run r;
    struct sl_error err;
    assert_int_equal(prepare("RAND(1)", "DOUBLE", &r, &err), 0);
    static const double want[3] = {0.7308781907032909, 0.41008081149220166, 0.20771484130971707};
    for (int k = 0; k < 3; k++) {
        struct sl_batch *in = sl_batch_pool_get(r.ip), *o = sl_batch_pool_get(r.op);
        fill_row(in, 0, 0);
        in->rows = 1;
        assert_int_equal(sl_eval_project(r.ev, in, o, &err), 0);
        assert_true(sl_col_f64(&o->cols[0])[0] == want[k]);
        sl_batch_pool_put(in);
        sl_batch_pool_put(o);
    }
    finish(&r);
    assert_int_equal(prepare("RAND()", "DOUBLE", &r, &err), 0);
    finish(&r);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    expect_err("DATE_FORMAT(ts, 'yyyy-MM-dd bb')", "STRING", SL_EPARSE,
               "Unknown pattern letter: b");
    expect_err("DATE_FORMAT(ts, 'ddd')", "STRING", SL_EPARSE, "Too many pattern letters: d");
    expect_err("DATE_FORMAT(ts, 'yyyy ''open')", "STRING", SL_EPARSE, "incomplete string literal");
    expect_err("DATE_FORMAT(ts, 'yyyy #')", "STRING", SL_EPARSE, "reserved character: '#'");
    expect_err("DATE_FORMAT(ts, 'yyyy]')", "STRING", SL_EPARSE, "] without previous [");
    expect_err("DATE_FORMAT(ts, 'zzz')", "STRING", SL_EPARSE, "not supported by sluice");
    expect_err("FROM_UNIXTIME(b, 'yyyy Q')", "STRING", SL_EPARSE, "Illegal pattern character 'Q'");
    /* a pattern from a column fails when the row is evaluated */
    expect_err("DATE_FORMAT(ts, s)", "STRING", SL_EINVAL, "pattern letter 'g' is not supported");
    expect_err("TO_TIMESTAMP(s, CASE WHEN i > 0 THEN 'yyyy' ELSE 'yyyy-MM-dd bb' END)",
               "TIMESTAMP(3)", SL_EINVAL, "Unknown pattern letter: b");
    expect_err("DATE_FORMAT(i, 'yyyy')", "STRING", SL_EPARSE, "needs a TIMESTAMP or a STRING");
    expect_err("HOUR(s)", "BIGINT", SL_EPARSE, "HOUR needs a TIMESTAMP");
    expect_err("EXTRACT(FORTNIGHT FROM ts)", "BIGINT", SL_EPARSE,
               "unsupported time unit FORTNIGHT");
    expect_err("FLOOR(ts TO DOW)", "TIMESTAMP(3)", SL_EPARSE, "unsupported time unit DOW");
    expect_err("TIMESTAMPADD(MONTH, ts, ts)", "TIMESTAMP(3)", SL_EPARSE, "INT or BIGINT count");
    expect_err("TIMESTAMPADD(YEAR, b, ts)", "TIMESTAMP(3)", SL_EOVERFLOW, "TIMESTAMP range");
    expect_err("ROUND(d, i)", "DOUBLE", SL_EPARSE, "ROUND needs an INT constant");
    expect_err("ROUND(d, 1, 2)", "DOUBLE", SL_EPARSE, "ROUND takes 1 to 2 arguments, found 3");
    expect_err("SQRT(s)", "DOUBLE", SL_EPARSE, "SQRT needs a number");
}

/* ---- patterns directly ------------------------------------------------------------------------
 */

static void test_pattern_limits(void **state)
{
    (void)state;
    struct sl_dtp p;
    char why[120], buf[4096];
    /* every byte value, as a pattern: compiles or fails with a message, never crashes */
    for (int c = 0; c < 256; c++) {
        char pat[3] = {(char)c, (char)c, 'y'};
        if (sl_dtp_compile(&p, pat, 3, SL_DTP_DTF, why, sizeof(why)) == 0)
            assert_true(sl_dtp_format(&p, 0, buf) <= p.maxlen);
        else
            assert_true(why[0] != '\0');
    }
    /* too many fields / too much literal text: refused */
    for (int k = 0; k < 200; k++) {
        buf[2 * k] = 'd';
        buf[2 * k + 1] = '-';
    }
    assert_int_equal(sl_dtp_compile(&p, buf, 400, SL_DTP_DTF, why, sizeof(why)), SL_EINVAL);
    assert_non_null(strstr(why, "more than"));
    memset(buf, '-', 1000);
    assert_int_equal(sl_dtp_compile(&p, buf, 1000, SL_DTP_SDF, why, sizeof(why)), SL_EINVAL);
    /* extreme values format within maxlen */
    assert_int_equal(
        sl_dtp_compile(&p, "yyyy-MM-dd HH:mm:ss.SSS uuuu D", 30, SL_DTP_DTF, why, sizeof(why)), 0);
    int64_t ext[4] = {INT64_MIN, INT64_MAX, SL_DT_MIN_MS, SL_DT_MAX_MS};
    for (int k = 0; k < 4; k++) {
        size_t n = sl_dtp_format(&p, ext[k], buf);
        assert_true(n <= p.maxlen);
    }
    size_t n = sl_dtp_format(&p, INT64_MAX, buf);
    assert_memory_equal(buf, "+292278994-08-17 07:12:55.807 +292278994 229", n);
    /* parsing: empty text, empty pattern, huge numbers */
    int64_t ms;
    assert_int_equal(sl_dtp_compile(&p, "", 0, SL_DTP_DTF, why, sizeof(why)), 0);
    assert_true(sl_dtp_parse(&p, "", 0, &ms));
    assert_int_equal(ms, 0);
    assert_int_equal(sl_dtp_compile(&p, "yyyy-MM-dd", 10, SL_DTP_SDF, why, sizeof(why)), 0);
    assert_false(sl_dtp_parse(&p, "", 0, &ms));
    assert_false(sl_dtp_parse(&p, "999999999-99-99", 15, &ms));
    assert_true(sl_dtp_parse(&p, "2024-02-30", 10, &ms)); /* lenient: March 1 */
    assert_int_equal(ms, INT64_C(1709251200000));
    assert_false(sl_dtp_parse_default("\xff\xfe", 2, &ms));
    assert_false(sl_dtp_parse_default("2024-01-02 03:04:05.", 20, &ms) && ms != 1704164645000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_format),
        cmocka_unit_test(test_extract),
        cmocka_unit_test(test_floor_ceil_add_diff),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_now),
        cmocka_unit_test(test_numeric),
        cmocka_unit_test(test_rand),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_pattern_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
