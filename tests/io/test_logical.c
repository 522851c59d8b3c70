/*
 * tests/io/test_logical.c - the logical types on a physical one (engine/core/types.h) in the
 * record formats: TIMESTAMP_LTZ(3) text with its 'Z' (Flink's
 * SQL_TIMESTAMP_WITH_LOCAL_TIMEZONE_FORMAT in json and csv, Instant.toString in print), read
 * back with and without the 'Z'; BYTES as base64 in json and csv (Flink's binary node),
 * as bytes in raw, with bad base64 a bad record naming the field; the base64 and lossy UTF-8
 * helpers against known vectors (RFC 4648; Java's new String(bytes, UTF_8)).
 */
#include "tests/util/testutil.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/datetime.h"
#include "io/csv.h"
#include "io/json.h"
#include "io/raw.h"
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

static void test_base64_utf8(void **state)
{
    (void)state;
    /* RFC 4648 section 10 */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char buf[64], back[64];
    for (int i = 0; i < 7; i++) {
        size_t n = sl_fmt_base64_encode(buf, plain[i], strlen(plain[i]));
        assert_int_equal(n, SL_FMT_BASE64_LEN(strlen(plain[i])));
        assert_memory_equal(buf, enc[i], n);
        size_t m;
        const char *why = NULL;
        assert_int_equal(sl_fmt_base64_decode(enc[i], n, back, &m, &why), 0);
        assert_int_equal(m, strlen(plain[i]));
        assert_memory_equal(back, plain[i], m);
    }
    static const char *const bad[] = {"Zg=", "Zg=a", "Z===", "Zm9v====", "Zm 9", "Zg==Zg=="};
    for (int i = 0; i < 6; i++) {
        size_t m;
        const char *why = NULL;
        if (sl_fmt_base64_decode(bad[i], strlen(bad[i]), back, &m, &why) != SL_EPARSE)
            fail_msg("'%s' decoded", bad[i]);
        assert_non_null(why);
    }
    /* Java's UTF-8 decoder: one U+FFFD per maximal ill-formed subpart */
    static const struct {
        const char *in, *out;
    } u[] = {
        {"h\xc3\xa9", "h\xc3\xa9"},
        {"\xff", "\xef\xbf\xbd"},
        {"\xe2\x82"
         "A",
         "\xef\xbf\xbd"
         "A"},
        {"\xf0\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"a\xf0\x9f\x98", "a\xef\xbf\xbd"},
    };
    for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
        size_t n = sl_fmt_utf8_lossy(buf, u[i].in, strlen(u[i].in));
        if (n != strlen(u[i].out) || memcmp(buf, u[i].out, n) != 0)
            fail_msg("case %zu", i);
    }
}

/* id INT, b BYTES */
static struct sl_schema *bytes_schema(void)
{
    const char *names[] = {"id", "b"};
    struct sl_type types[] = {sl_type_make(SL_TYPE_INT, true),
                              sl_type_logical(SL_TYPE_VARCHAR, SL_LOGICAL_BYTES, true)};
    struct sl_schema *s = sl_schema_new(2, names, types);
    assert_non_null(s);
    return s;
}

static void put_bytes(struct sl_batch *b, int32_t id, const char *v, uint32_t n)
{
    uint32_t r = b->rows++;
    sl_col_i32(&b->cols[0])[r] = id;
    sl_col_set_null(&b->cols[0], r, false);
    sl_col_set_null(&b->cols[1], r, v == NULL);
    if (v)
        sl_col_str(&b->cols[1])[r] = sl_batch_str(b, v, n);
}

static void assert_bytes(struct sl_batch *b, uint32_t row, const char *want, uint32_t n)
{
    assert_false(sl_col_is_null(&b->cols[1], row));
    const sl_str *s = &sl_col_str(&b->cols[1])[row];
    assert_int_equal(s->len, n);
    assert_memory_equal(sl_str_data(s), want, n);
}

/* The three codecs behind one signature. */
typedef int enc_fn(void *, struct sl_batch *, struct sl_fmt_out *, struct sl_error *);
typedef int dec_fn(void *, const struct sl_record *, size_t, struct sl_batch *, size_t *,
                   struct sl_error *);
static int enc_json(void *c, struct sl_batch *b, struct sl_fmt_out *o, struct sl_error *e)
{
    return sl_json_encode(c, b, o, e);
}
static int enc_csv(void *c, struct sl_batch *b, struct sl_fmt_out *o, struct sl_error *e)
{
    return sl_csv_encode(c, b, o, e);
}
static int enc_raw(void *c, struct sl_batch *b, struct sl_fmt_out *o, struct sl_error *e)
{
    return sl_raw_encode(c, b, o, e);
}
static int dec_json(void *c, const struct sl_record *r, size_t n, struct sl_batch *b, size_t *u,
                    struct sl_error *e)
{
    return sl_json_decode(c, r, n, b, NULL, u, e);
}
static int dec_csv(void *c, const struct sl_record *r, size_t n, struct sl_batch *b, size_t *u,
                   struct sl_error *e)
{
    return sl_csv_decode(c, r, n, b, NULL, u, e);
}
static int dec_raw(void *c, const struct sl_record *r, size_t n, struct sl_batch *b, size_t *u,
                   struct sl_error *e)
{
    return sl_raw_decode(c, r, n, b, NULL, u, e);
}

/* The codec's encoding of rows (1, "hi"), (2, ff 00 fe), (3, empty), (4, NULL), one batch
 * of 2 rows at a time (SL_BATCH_CAP may be 2), and the decode of each back. */
static void bytes_round_trip(const char *fmt, const char *const *want)
{
    struct sl_iot t;
    sl_iot_open(&t, bytes_schema());
    struct sl_error err;
    void *codec;
    enc_fn *enc;
    dec_fn *dec;
    if (strcmp(fmt, "json") == 0) {
        codec = sl_json_new(t.schema, NULL, &err);
        enc = enc_json;
        dec = dec_json;
    } else if (strcmp(fmt, "csv") == 0) {
        codec = sl_csv_new(t.schema, NULL, &err);
        enc = enc_csv;
        dec = dec_csv;
    } else {
        codec = sl_raw_new(t.schema, NULL, &err);
        enc = enc_raw;
        dec = dec_raw;
    }
    assert_non_null(codec);
    static const char *const vals[] = {"hi", "\xff\x00\xfe", "", NULL};
    static const uint32_t lens[] = {2, 3, 0, 0};
    for (int i = 0; i < 4; i += 2) {
        sl_batch_reset(t.b);
        put_bytes(t.b, i + 1, vals[i], lens[i]);
        put_bytes(t.b, i + 2, vals[i + 1], lens[i + 1]);
        struct sl_fmt_out out;
        sl_fmt_out_init(&out);
        assert_int_equal(enc(codec, t.b, &out, &err), 0);
        assert_int_equal(out.nrec, 2);
        for (int k = 0; k < 2; k++) {
            if (want)
                assert_rec(&out, (size_t)k, want[i + k]);
            sl_batch_reset(t.b);
            struct sl_record rec = {.value = sl_fmt_out_rec(&out, (size_t)k),
                                    .value_len = sl_fmt_out_rec_len(&out, (size_t)k)};
            size_t consumed = 0;
            if (dec(codec, &rec, 1, t.b, &consumed, &err))
                fail_msg("%s: %s", fmt, err.msg);
            if (vals[i + k])
                assert_bytes(t.b, 0, vals[i + k], lens[i + k]);
            else
                assert_true(sl_col_is_null(&t.b->cols[1], 0));
        }
        sl_fmt_out_free(&out);
    }
    if (strcmp(fmt, "json") == 0)
        sl_json_free(codec);
    else if (strcmp(fmt, "csv") == 0)
        sl_csv_free(codec);
    else
        sl_raw_free(codec);
    sl_iot_close(&t);
}

static void test_bytes_formats(void **state)
{
    (void)state;
    static const char *const json[] = {"{\"id\":1,\"b\":\"aGk=\"}", "{\"id\":2,\"b\":\"/wD+\"}",
                                       "{\"id\":3,\"b\":\"\"}", "{\"id\":4,\"b\":null}"};
    static const char *const csv[] = {"1,aGk=", "2,/wD+", "3,\"\"", "4,"};
    bytes_round_trip("json", json);
    bytes_round_trip("csv", csv);
    bytes_round_trip("raw", NULL);
    /* bad base64 is a bad record naming the field */
    struct sl_iot t;
    sl_iot_open(&t, bytes_schema());
    struct sl_error err;
    struct sl_json *json_c = sl_json_new(t.schema, NULL, &err);
    struct sl_record rec = sl_iot_rec("{\"id\":1,\"b\":\"aGk\"}", 7);
    size_t consumed = 0;
    assert_int_not_equal(sl_json_decode(json_c, &rec, 1, t.b, NULL, &consumed, &err), 0);
    if (!strstr(err.msg, "field 'b' (BYTES): base64 text must be a multiple of 4"))
        fail_msg("%s", err.msg);
    sl_json_free(json_c);
    sl_iot_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_utf8),     cmocka_unit_test(test_bytes_formats),
        cmocka_unit_test(test_datetime_styles), cmocka_unit_test(test_ltz_json),
        cmocka_unit_test(test_ltz_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
