/*
 * tests/io/test_logical.c - the logical types on a physical one (engine/core/types.h) in the
 * record formats: TIMESTAMP_LTZ(3) text with its 'Z' (Flink's
 * SQL_TIMESTAMP_WITH_LOCAL_TIMEZONE_FORMAT in json and csv, Instant.toString in print), read
 * back with and without the 'Z'; each encoder's exact text, then a decode of it.
 */
#include "tests/util/testutil.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/datetime.h"
#include "io/csv.h"
#include "io/json.h"
#include "tests/util/iotest.h"

/* ts TIMESTAMP_LTZ(3), t TIMESTAMP(3) */
static struct sl_schema *ltz_schema(void)
{
    const char *names[] = {"ts", "t"};
    struct sl_type types[] = {sl_type_logical(SL_TYPE_TIMESTAMP, SL_LOGICAL_LTZ, true),
                              sl_type_make(SL_TYPE_TIMESTAMP, true)};
    struct sl_schema *s = sl_schema_new(2, names, types);
    assert_non_null(s);
    return s;
}

/* Appends one row of two timestamps (ms) to b. */
static void put_ts(struct sl_batch *b, int64_t ts, int64_t t)
{
    if (b->rows == SL_BATCH_CAP)
        sl_batch_reset(b);
    uint32_t r = b->rows++;
    sl_col_i64(&b->cols[0])[r] = ts;
    sl_col_i64(&b->cols[1])[r] = t;
    sl_col_set_null(&b->cols[0], r, false);
    sl_col_set_null(&b->cols[1], r, false);
}

static void assert_rec(const struct sl_fmt_out *out, size_t i, const char *want)
{
    size_t n = sl_fmt_out_rec_len(out, i);
    if (n != strlen(want) || memcmp(sl_fmt_out_rec(out, i), want, n) != 0)
        fail_msg("record %zu: '%.*s', want '%s'", i, (int)n, sl_fmt_out_rec(out, i), want);
}

static void test_datetime_styles(void **state)
{
    (void)state;
    char buf[SL_DT_TEXT_MAX];
    size_t n = sl_dt_format(buf, 1700000000123, SL_DT_SQL_Z);
    assert_int_equal(n, 24);
    assert_memory_equal(buf, "2023-11-14 22:13:20.123Z", n);
    /* Instant.toString: seconds always, the fraction only when not 0 */
    n = sl_dt_format(buf, 1700000000000, SL_DT_INSTANT);
    assert_memory_equal(buf, "2023-11-14T22:13:20Z", n);
    assert_int_equal(n, 20);
    n = sl_dt_format(buf, 1699999980000, SL_DT_INSTANT);
    assert_memory_equal(buf, "2023-11-14T22:13:00Z", n);
    n = sl_dt_format(buf, 1700000000500, SL_DT_INSTANT);
    assert_memory_equal(buf, "2023-11-14T22:13:20.500Z", n);
    n = sl_dt_format(buf, -1, SL_DT_INSTANT);
    assert_memory_equal(buf, "1969-12-31T23:59:59.999Z", n);
}

static void test_ltz_json(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, ltz_schema());
    struct sl_error err;
    struct sl_json *json = sl_json_new(t.schema, NULL, &err);
    assert_non_null(json);
    put_ts(t.b, 1700000000123, 1700000000123);
    struct sl_fmt_out out;
    sl_fmt_out_init(&out);
    assert_int_equal(sl_json_encode(json, t.b, &out, &err), 0);
    assert_rec(&out, 0, "{\"ts\":\"2023-11-14 22:13:20.123Z\",\"t\":\"2023-11-14 22:13:20.123\"}");
    /* read back: with the 'Z' (what Flink writes) and without */
    const char *in[] = {"{\"ts\":\"2023-11-14 22:13:20.123Z\",\"t\":null}",
                        "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"t\":null}",
                        "{\"ts\":\"2023-11-14 22:13:20.123\",\"t\":null}"};
    for (size_t i = 0; i < 3; i++) {
        sl_batch_reset(t.b);
        struct sl_record rec = sl_iot_rec(in[i], 1);
        size_t consumed = 0;
        assert_int_equal(sl_json_decode(json, &rec, 1, t.b, NULL, &consumed, &err), 0);
        assert_int_equal(t.b->rows, 1);
        assert_int_equal(sl_col_i64(&t.b->cols[0])[0], 1700000000123);
    }
    sl_fmt_out_free(&out);
    sl_json_free(json);
    sl_iot_close(&t);
}

static void test_ltz_csv(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, ltz_schema());
    struct sl_error err;
    struct sl_csv *csv = sl_csv_new(t.schema, NULL, &err);
    assert_non_null(csv);
    put_ts(t.b, 0, 0);
    struct sl_fmt_out out;
    sl_fmt_out_init(&out);
    assert_int_equal(sl_csv_encode(csv, t.b, &out, &err), 0);
    assert_rec(&out, 0, "1970-01-01 00:00:00.000Z,1970-01-01 00:00:00.000");
    sl_batch_reset(t.b);
    struct sl_record rec = sl_iot_rec("1970-01-01 00:00:01.000Z,1970-01-01 00:00:02Z", 1);
    size_t consumed = 0;
    assert_int_equal(sl_csv_decode(csv, &rec, 1, t.b, NULL, &consumed, &err), 0);
    assert_int_equal(sl_col_i64(&t.b->cols[0])[0], 1000);
    assert_int_equal(sl_col_i64(&t.b->cols[1])[0], 2000);
    sl_fmt_out_free(&out);
    sl_csv_free(csv);
    sl_iot_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_datetime_styles),
        cmocka_unit_test(test_ltz_json),
        cmocka_unit_test(test_ltz_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
