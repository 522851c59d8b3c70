/*
 * tests/io/test_raw.c - the raw format: the documented byte layout by hand, every kind of
 * malformed record under every policy, capacity, and random round trips.
 */
#include "tests/util/testutil.h"

#include <stdlib.h>
#include <string.h>

#include "io/raw.h"
#include "tests/util/iotest.h"

/* The example of raw.h: (id BIGINT, name VARCHAR, ok BOOLEAN) = (7, 'ab', NULL). */
static const unsigned char example[] = {0x04, 7, 0, 0, 0, 0, 0, 0, 0, 0x00, 2, 0, 0, 0, 'a', 'b'};

static struct sl_schema *small_schema(void)
{
    const char *names[] = {"id", "name", "ok"};
    struct sl_type types[] = {sl_type_make(SL_TYPE_BIGINT, false),
                              sl_type_make(SL_TYPE_VARCHAR, true),
                              sl_type_make(SL_TYPE_BOOLEAN, true)};
    return sl_schema_new(3, names, types);
}

static void test_layout(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, small_schema());
    struct sl_error err;
    struct sl_raw *raw = sl_raw_new(t.schema, NULL, &err);
    assert_non_null(raw);
    assert_int_equal(sl_raw_fixed_size(raw), 1 + 8 + 1);
    struct sl_record r = {.topic = "t",
                          .partition = 0,
                          .offset = 0,
                          .timestamp = -1,
                          .value = example,
                          .value_len = sizeof(example)};
    size_t consumed;
    assert_int_equal(sl_raw_decode(raw, &r, 1, t.b, NULL, &consumed, &err), 0);
    assert_int_equal(t.b->rows, 1);
    assert_int_equal(sl_col_i64(&t.b->cols[0])[0], 7);
    assert_int_equal(sl_col_str(&t.b->cols[1])[0].len, 2);
    assert_memory_equal(sl_str_data(&sl_col_str(&t.b->cols[1])[0]), "ab", 2);
    assert_true(sl_col_is_null(&t.b->cols[2], 0));
    struct sl_fmt_out out;
    sl_fmt_out_init(&out);
    assert_int_equal(sl_raw_encode(raw, t.b, &out, &err), 0);
    assert_int_equal(out.nrec, 1);
    assert_int_equal(out.len, sizeof(example));
    assert_memory_equal(out.data, example, sizeof(example));
    sl_fmt_out_free(&out);
    sl_raw_free(raw);
    sl_iot_close(&t);
}

struct bad_case {
    size_t len;
    const unsigned char bytes[24];
    const char *expect;
};

static const struct bad_case bad_cases[] = {
    {15, {0x04, 7, 0, 0, 0, 0, 0, 0, 0, 0x00, 2, 0, 0, 0, 'a'}, "string of 2 bytes past the end"},
    {17, {0x04, 7, 0, 0, 0, 0, 0, 0, 0, 0x00, 2, 0, 0, 0, 'a', 'b', 'c'}, "1 bytes left"},
    {9, {0x04, 7, 0, 0, 0, 0, 0, 0, 0}, "shorter than its fixed part"},
    {14, {0x01, 7, 0, 0, 0, 0, 0, 0, 0, 0x00, 0, 0, 0, 0}, "field 'id' (BIGINT NOT NULL): NULL"},
    {14, {0x00, 7, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0}, "BOOLEAN byte is not 0 or 1"},
    {14, {0x0c, 7, 0, 0, 0, 0, 0, 0, 0, 0x00, 0, 0, 0, 0}, "unused null-bitmap bits"},
    {15, {0x06, 7, 0, 0, 0, 0, 0, 0, 0, 0x00, 1, 0, 0, 0, 'x'}, "NULL string with bytes"},
    {16, {0x04, 7, 0, 0, 0, 0, 0, 0, 0, 0x00, 2, 0, 0, 0, 0xc3, 0x28}, "invalid UTF-8"},
    {14, {0x04, 7, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xff, 0xff, 0xff, 0xff}, "past the end"},
};

static void test_bad_records(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        for (int pol = 0; pol < 3; pol++) {
            struct sl_iot t;
            sl_iot_open(&t, small_schema());
            struct sl_error err;
            struct sl_raw *raw = sl_raw_new(t.schema, NULL, &err);
            struct sl_record recs[3] = {
                {.topic = "t",
                 .partition = 1,
                 .offset = 40,
                 .timestamp = -1,
                 .value = example,
                 .value_len = sizeof(example)},
                {.topic = "t",
                 .partition = 1,
                 .offset = 41,
                 .timestamp = -1,
                 .value = bad_cases[i].bytes,
                 .value_len = bad_cases[i].len},
                {.topic = "t",
                 .partition = 1,
                 .offset = 42,
                 .timestamp = -1,
                 .value = example,
                 .value_len = sizeof(example)},
            };
            struct sl_iot_dlq q = {tmpfile(), 0, 0};
            struct sl_badrec bad;
            sl_badrec_init(&bad, (enum sl_badrec_policy)pol, sl_iot_dlq_cb, &q);
            uint32_t rows = 0;
            size_t consumed = 0;
            int rc = 0;
            while (consumed < 3) {
                struct sl_batch *b = sl_batch_pool_get(t.pool);
                size_t got;
                rc = sl_raw_decode(raw, recs + consumed, 3 - consumed, b, &bad, &got, &err);
                for (uint32_t r = 0; r < b->rows; r++, rows++) {
                    assert_int_equal(sl_col_i64(&b->cols[0])[r], 7);
                    assert_true(sl_col_is_null(&b->cols[2], r));
                    assert_memory_equal(sl_str_data(&sl_col_str(&b->cols[1])[r]), "ab", 2);
                }
                consumed += got;
                sl_batch_pool_put(b);
                if (rc)
                    break;
            }
            if (pol == SL_BADREC_FAIL) {
                if (rc == 0 || !strstr(err.msg, bad_cases[i].expect) ||
                    !strstr(err.msg, "topic 't' partition 1 offset 41"))
                    fail_msg("case %zu: rc %d '%s'", i, rc, err.msg);
                assert_int_equal(consumed, 1);
                assert_int_equal(rows, 1);
            } else {
                assert_int_equal(rc, 0);
                assert_int_equal(rows, 2);
                assert_int_equal(bad.skipped + bad.dead_lettered, 1);
                assert_int_equal(q.count, pol == SL_BADREC_DEAD_LETTER);
            }
            fclose(q.f);
            sl_raw_free(raw);
            sl_iot_close(&t);
        }
    }
}

static void test_limits(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, sl_iot_schema());
    struct sl_fmt_opts opts = {.max_record_bytes = 100};
    struct sl_error err;
    struct sl_raw *raw = sl_raw_new(t.schema, &opts, &err);
    /* a DECIMAL(5,2) value beyond its precision */
    unsigned char rec[200];
    memset(rec, 0, sizeof(rec));
    size_t fixed = sl_raw_fixed_size(raw);
    assert_int_equal(fixed, 2 + 1 + 4 + 8 + 8 + 8 + 8 + 8 + 8 + 8);
    size_t len = fixed + 8; /* two empty strings */
    int64_t big = 100000;
    memcpy(rec + 2 + 1 + 4 + 8 + 8 + 8, &big, 8); /* column n */
    struct sl_record r = {
        .topic = "t", .partition = 0, .offset = 0, .timestamp = -1, .value = rec, .value_len = len};
    size_t consumed;
    assert_int_equal(sl_raw_decode(raw, &r, 1, t.b, NULL, &consumed, &err), SL_ERANGE);
    assert_non_null(strstr(err.msg, "field 'n' (DECIMAL(5, 2)): exceeds the DECIMAL precision"));
    big = 99999;
    memcpy(rec + 2 + 1 + 4 + 8 + 8 + 8, &big, 8);
    assert_int_equal(sl_raw_decode(raw, &r, 1, t.b, NULL, &consumed, &err), 0);
    assert_int_equal(sl_col_i64(&t.b->cols[IOT_N])[0], 99999);
    r.value_len = 101;
    assert_int_equal(sl_raw_decode(raw, &r, 1, t.b, NULL, &consumed, &err), SL_ERANGE);
    r.value = NULL;
    assert_int_equal(sl_raw_decode(raw, &r, 1, t.b, NULL, &consumed, &err), SL_EINVAL);
    r.value = rec;
    r.value_len = 0;
    assert_int_equal(sl_raw_decode(raw, &r, 1, t.b, NULL, &consumed, &err), SL_EPARSE);
    sl_raw_free(raw);
    sl_iot_close(&t);
}

static int enc(void *codec, struct sl_batch *b, struct sl_fmt_out *out, struct sl_error *err)
{
    return sl_raw_encode(codec, b, out, err);
}

static int dec(void *codec, const struct sl_record *recs, size_t n, struct sl_batch *b,
               struct sl_badrec *bad, size_t *consumed, struct sl_error *err)
{
    return sl_raw_decode(codec, recs, n, b, bad, consumed, err);
}

/* A MAP<STRING, BYTES> column: the raw bytes are its encoding, checked whole; a key that
 * is not UTF-8 (a STRING's) is a bad record, as a Kafka header name is. */
static void test_map_keys(void **state)
{
    (void)state;
    const char *names[] = {"h"};
    struct sl_type types[] = {sl_type_logical(SL_TYPE_VARCHAR, SL_LOGICAL_MAP, true)};
    struct sl_iot t;
    sl_iot_open(&t, sl_schema_new(1, names, types));
    struct sl_error err;
    struct sl_raw *raw = sl_raw_new(t.schema, NULL, &err);
    assert_non_null(raw);
    for (int bad = 0; bad < 2; bad++) {
        const char *key = bad ? "k\xff" : "k\xc3\xa9";
        char map[64];
        size_t n = 4 + sl_map_put_entry(map + 4, key, (uint32_t)strlen(key), "v", 1);
        sl_map_put_count(map, 1);
        t.b->rows = 1;
        sl_col_str(&t.b->cols[0])[0] = sl_batch_str(t.b, map, (uint32_t)n);
        sl_col_set_null(&t.b->cols[0], 0, false);
        struct sl_fmt_out out;
        sl_fmt_out_init(&out);
        assert_int_equal(sl_raw_encode(raw, t.b, &out, &err), 0);
        struct sl_record r = {.topic = "t",
                              .timestamp = -1,
                              .value = sl_fmt_out_rec(&out, 0),
                              .value_len = sl_fmt_out_rec_len(&out, 0)};
        t.b->rows = 0;
        size_t consumed;
        int rc = sl_raw_decode(raw, &r, 1, t.b, NULL, &consumed, &err);
        if (bad) {
            assert_int_equal(rc, SL_EPARSE);
            if (!strstr(err.msg, "field 'h'") || !strstr(err.msg, "a MAP key is not UTF-8 text"))
                fail_msg("%s", err.msg);
            assert_int_equal(t.b->rows, 0);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(t.b->rows, 1);
            assert_int_equal(sl_col_str(&t.b->cols[0])[0].len, n);
        }
        sl_fmt_out_free(&out);
    }
    sl_raw_free(raw);
    sl_iot_close(&t);
}

static void test_round_trip(void **state)
{
    (void)state;
    uint64_t rs = 5150;
    struct sl_iot t;
    sl_iot_open(&t, sl_iot_schema());
    struct sl_error err;
    struct sl_raw *raw = sl_raw_new(t.schema, NULL, &err);
    sl_iot_round_trip(&t, raw, enc, dec, &rs);
    sl_raw_free(raw);
    sl_iot_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),   cmocka_unit_test(test_bad_records),
        cmocka_unit_test(test_limits),   cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_map_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
