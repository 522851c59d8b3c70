/*
 * tests/io/test_csv.c - the CSV format: every type against hand-written records, quoting,
 * NULLs and the null literal, delimiters and line ends, bad records under every policy,
 * the line stream (quoted newlines, partial lines, capacity), the encoder's exact output,
 * and random round trips per message and as a stream.
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "tests/util/iotest.h"

struct ct {
    struct sl_iot t;
    struct sl_csv *csv;
};

static void ct_open(struct ct *c, const struct sl_fmt_opts *opts)
{
    sl_iot_open(&c->t, sl_iot_schema());
    struct sl_error err;
    c->csv = sl_csv_new(c->t.schema, opts, &err);
    assert_non_null(c->csv);
}

static void ct_close(struct ct *c)
{
    sl_csv_free(c->csv);
    sl_iot_close(&c->t);
}

static uint32_t R;

static int ct_decode1(struct ct *c, const char *text, struct sl_error *err)
{
    struct sl_record r = sl_iot_rec(text, 5);
    size_t consumed = 99;
    sl_error_clear(err);
    if (c->t.b->rows == SL_BATCH_CAP)
        sl_batch_reset(c->t.b);
    int rc = sl_csv_decode(c->csv, &r, 1, c->t.b, NULL, &consumed, err);
    assert_int_equal(consumed, rc ? 0 : 1);
    if (!rc)
        R = c->t.b->rows - 1;
    return rc;
}

static void assert_str(struct sl_batch *b, uint32_t col, uint32_t row, const char *want)
{
    assert_false(sl_col_is_null(&b->cols[col], row));
    const sl_str *s = &sl_col_str(&b->cols[col])[row];
    if (s->len != strlen(want) || memcmp(sl_str_data(s), want, s->len) != 0)
        fail_msg("column %u row %u: '%.*s', want '%s'", col, row, (int)s->len, sl_str_data(s),
                 want);
}

static void test_every_type(void **state)
{
    (void)state;
    struct ct c;
    ct_open(&c, NULL);
    struct sl_batch *b = c.t.b;
    struct sl_error err;
    assert_int_equal(ct_decode1(&c,
                                "true,-2147483648,9223372036854775807,-2.5e-3,"
                                "12345678901234.5678,-999.99,2026-11-23 12:00:00.123,"
                                "\"caf\xc3\xa9, \"\"q\"\"\nline\",-1,deep,42\r\n",
                                &err),
                     0);
    assert_int_equal(sl_col_bool(&b->cols[IOT_B])[R], 1);
    assert_int_equal(sl_col_i32(&b->cols[IOT_I])[R], INT32_MIN);
    assert_int_equal(sl_col_i64(&b->cols[IOT_L])[R], INT64_MAX);
    assert_true(sl_col_f64(&b->cols[IOT_D])[R] == -2.5e-3);
    assert_int_equal(sl_col_i64(&b->cols[IOT_M])[R], 123456789012345678ll);
    assert_int_equal(sl_col_i64(&b->cols[IOT_N])[R], -99999);
    assert_int_equal(sl_col_i64(&b->cols[IOT_T])[R], 1795435200123ll);
    assert_str(b, IOT_S, R, "caf\xc3\xa9, \"q\"\nline");
    assert_int_equal(sl_col_i64(&b->cols[IOT_RX])[R], -1);
    assert_str(b, IOT_RYZ, R, "deep");
    assert_int_equal(sl_col_i64(&b->cols[IOT_K])[R], 42);

    /* empty unquoted fields are NULL; a quoted empty field is '' for VARCHAR, NULL else */
    assert_int_equal(ct_decode1(&c, ",,,,,,,,,,7", &err), 0);
    for (uint32_t k = 0; k < IOT_NCOLS; k++)
        assert_int_equal(sl_col_is_null(&b->cols[k], R), k != IOT_K);
    assert_int_equal(ct_decode1(&c, "\"\",\"\",,,,,,\"\",,\"\",\"7\"\n", &err), 0);
    assert_true(sl_col_is_null(&b->cols[IOT_B], R));
    assert_true(sl_col_is_null(&b->cols[IOT_I], R));
    assert_str(b, IOT_S, R, "");
    assert_str(b, IOT_RYZ, R, "");
    assert_int_equal(sl_col_i64(&b->cols[IOT_K])[R], 7);
    /* spaces around numbers are trimmed, never around strings; "null" is text by default */
    assert_int_equal(ct_decode1(&c, " false , 3 ,,,,,,  null ,,,8", &err), 0);
    assert_int_equal(sl_col_bool(&b->cols[IOT_B])[R], 0);
    assert_int_equal(sl_col_i32(&b->cols[IOT_I])[R], 3);
    assert_str(b, IOT_S, R, "  null ");
    ct_close(&c);

    /* a null literal and another delimiter */
    struct sl_fmt_opts opts = {.csv_delimiter = ';', .csv_null_literal = "NULL"};
    ct_open(&c, &opts);
    b = c.t.b;
    assert_int_equal(ct_decode1(&c, "NULL;1;NULL;0.5;;;;\"NULL\";;NULL;9", &err), 0);
    assert_true(sl_col_is_null(&b->cols[IOT_B], R));
    assert_int_equal(sl_col_i32(&b->cols[IOT_I])[R], 1);
    assert_true(sl_col_is_null(&b->cols[IOT_L], R));
    assert_str(b, IOT_S, R, "NULL");
    assert_true(sl_col_is_null(&b->cols[IOT_RYZ], R));
    assert_int_equal(ct_decode1(&c, ";;;;;;;a,b;;;9", &err), 0);
    assert_str(b, IOT_S, R, "a,b");
    ct_close(&c);

    struct sl_error e2;
    struct sl_schema *s = sl_iot_schema();
    struct sl_fmt_opts badopt = {.csv_delimiter = '"'};
    assert_null(sl_csv_new(s, &badopt, &e2));
    assert_int_equal(e2.code, SL_EINVAL);
    struct sl_fmt_opts badnull = {.csv_null_literal = ""};
    assert_null(sl_csv_new(s, &badnull, &e2));
    sl_schema_free(s);
}

struct bad_case {
    const char *rec;
    const char *expect;
};

static const struct bad_case bad_cases[] = {
    {",,,,,,,,,", "10 fields, the schema has 11"},
    {",,,,,,,,,,1,", "more fields than the schema's 11"},
    {",,,,,,,,,,1,2", "more fields than the schema's 11"},
    {",,,,,,,a\"b,,,1", "field 8 ('s'): quote in an unquoted field"},
    {",,,,,,,\"ab,,,1", "field 8 ('s'): quote not closed"},
    {",,,,,,,\"ab\"c,,,1", "field 8 ('s'): text after the closing quote"},
    {",,,,,,,,,,1\n,,,,,,,,,,2", "line break in an unquoted field"},
    {",,,,,,,,,,1\r", "line break in an unquoted field"},
    {",,,,,,,bad \xff utf8,,,1", "field 's' (VARCHAR): invalid UTF-8"},
    {",,,,,,,,,\"\xed\xa0\x80\",1", "field 'r.y.z' (VARCHAR): invalid UTF-8"},
    {",1.5,,,,,,,,,1", "field 'i' (INT): not an integer (fraction"},
    {",,99999999999999999999,,,,,,,,1", "field 'l' (BIGINT): integer out of range"},
    {"yes,,,,,,,,,,1", "field 'b' (BOOLEAN): not a boolean"},
    {",,,,,1000,,,,,1", "field 'n' (DECIMAL(5, 2)): exceeds the DECIMAL precision"},
    {",,,,,,2026-11-23 12,,,,1", "field 't' (TIMESTAMP(3)): the time must be HH:mm"},
    {",,,,,,2026-11-31,,,,1", "field 't' (TIMESTAMP(3)): day out of range (November has 30"},
    {",,,abc,,,,,,,1", "field 'd' (DOUBLE): not a number"},
    {",,,,,,,,,,", "field 'k' (BIGINT NOT NULL): NULL or missing value"},
    {"\n", "1 fields, the schema has 11"},
};

static void test_bad_records(void **state)
{
    (void)state;
    struct ct c;
    ct_open(&c, NULL);
    struct sl_error err;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        int rc = ct_decode1(&c, bad_cases[i].rec, &err);
        if (rc == 0 || !strstr(err.msg, bad_cases[i].expect) ||
            !strstr(err.msg, "bad record at topic 't' partition 0 offset 5"))
            fail_msg("case %zu: rc %d, message '%s'", i, rc, err.msg);
    }
    size_t consumed;
    struct sl_record r = sl_iot_rec(NULL, 1);
    assert_int_equal(sl_csv_decode(c.csv, &r, 1, c.t.b, NULL, &consumed, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "tombstone"));
    r = sl_iot_rec("", 1);
    assert_int_equal(sl_csv_decode(c.csv, &r, 1, c.t.b, NULL, &consumed, &err), SL_EPARSE);
    assert_non_null(strstr(err.msg, "empty record"));
    ct_close(&c);

    struct sl_fmt_opts opts = {.max_record_bytes = 32};
    ct_open(&c, &opts);
    r = sl_iot_rec(",,,,,,,\"a quoted string that is too long\",,,1", 2);
    assert_int_equal(sl_csv_decode(c.csv, &r, 1, c.t.b, NULL, &consumed, &err), SL_ERANGE);
    assert_non_null(strstr(err.msg, "exceeds the maximum of 32"));
    assert_int_equal(ct_decode1(&c, ",,,,,,,\"\"\"\"\"\",,,1", &err), 0); /* fits */
    assert_str(c.t.b, IOT_S, R, "\"\"");
    ct_close(&c);
}

static void test_policies(void **state)
{
    (void)state;
    for (size_t ci = 0; ci <= sizeof(bad_cases) / sizeof(bad_cases[0]); ci++) {
        for (int pol = 0; pol < 3; pol++) {
            struct ct c;
            ct_open(&c, NULL);
            struct sl_record recs[4] = {
                sl_iot_rec(",,,,,,,first string longer than twelve,,,1", 20),
                sl_iot_rec("", 21),
                sl_iot_rec(",,,,,,,,,,3", 22),
                sl_iot_rec(",,,,,,,last,,,4", 23),
            };
            recs[1] = ci < sizeof(bad_cases) / sizeof(bad_cases[0])
                          ? sl_iot_rec(bad_cases[ci].rec, 21)
                          : sl_iot_rec(NULL, 21);
            struct sl_iot_dlq q = {tmpfile(), 0, 0};
            assert_non_null(q.f);
            struct sl_badrec bad;
            sl_badrec_init(&bad, (enum sl_badrec_policy)pol, sl_iot_dlq_cb, &q);
            int64_t ks[4];
            bool snull[4];
            uint32_t nrows = 0;
            size_t consumed = 0;
            int rc = 0;
            struct sl_error err;
            while (consumed < 4) {
                struct sl_batch *b = sl_batch_pool_get(c.t.pool);
                size_t got;
                rc = sl_csv_decode(c.csv, recs + consumed, 4 - consumed, b, &bad, &got, &err);
                for (uint32_t r = 0; r < b->rows; r++, nrows++) {
                    ks[nrows] = sl_col_i64(&b->cols[IOT_K])[r];
                    snull[nrows] = sl_col_is_null(&b->cols[IOT_S], r);
                }
                consumed += got;
                sl_batch_pool_put(b);
                if (rc)
                    break;
            }
            if (pol == SL_BADREC_FAIL) {
                assert_int_not_equal(rc, 0);
                assert_int_equal(consumed, 1);
                assert_int_equal(nrows, 1);
                assert_non_null(strstr(err.msg, "offset 21"));
            } else {
                assert_int_equal(rc, 0);
                assert_int_equal(nrows, 3);
                assert_int_equal(ks[0], 1);
                assert_int_equal(ks[1], 3);
                assert_int_equal(ks[2], 4);
                assert_false(snull[0]);
                assert_true(snull[1]); /* nothing of the bad record leaked into row 1 */
                assert_int_equal(pol == SL_BADREC_SKIP ? bad.skipped : bad.dead_lettered, 1);
                if (pol == SL_BADREC_DEAD_LETTER) {
                    char *txt = sl_iot_slurp(q.f);
                    assert_non_null(strstr(txt, "bad record at topic 't' partition 0 offset 21"));
                    free(txt);
                }
            }
            fclose(q.f);
            ct_close(&c);
        }
    }
}

static void test_stream(void **state)
{
    (void)state;
    struct ct c;
    ct_open(&c, NULL);
    const char *text = ",,,,,,,\"multi\nline\",,,1\r\n"
                       ",,,,,,,,,,2\n"
                       "\n"            /* blank line: a bad record */
                       ",,,,,,,,,,x\n" /* bad */
                       ",,,,,,,\"a\"\"b\",,,5\n"
                       ",,,,,,,,,,6"; /* no LF at the end */
    size_t len = strlen(text);
    struct sl_iot_dlq q = {tmpfile(), 0, 0};
    struct sl_badrec bad;
    sl_badrec_init(&bad, SL_BADREC_DEAD_LETTER, sl_iot_dlq_cb, &q);
    int64_t ks[8];
    uint32_t nrows = 0;
    size_t pos = 0;
    struct sl_error err;
    for (int final = 0; final < 2; final++) {
        for (;;) {
            struct sl_batch *b = sl_batch_pool_get(c.t.pool);
            size_t used;
            assert_int_equal(sl_csv_decode_stream(c.csv, text + pos, len - pos, final, "f.csv",
                                                  1000 + (int64_t)pos, b, &bad, &used, &err),
                             0);
            for (uint32_t r = 0; r < b->rows; r++) {
                ks[nrows] = sl_col_i64(&b->cols[IOT_K])[r];
                if (ks[nrows] == 1)
                    assert_str(b, IOT_S, r, "multi\nline");
                if (ks[nrows] == 5)
                    assert_str(b, IOT_S, r, "a\"b");
                nrows++;
            }
            pos += used;
            bool full = b->rows == SL_BATCH_CAP;
            sl_batch_pool_put(b);
            if (!full || used == 0)
                break;
        }
        if (!final) {
            assert_int_equal(nrows, 3);
            assert_int_equal(pos, len - strlen(",,,,,,,,,,6")); /* the partial line waits */
        }
    }
    assert_int_equal(pos, len);
    assert_int_equal(nrows, 4);
    int64_t wantk[4] = {1, 2, 5, 6};
    for (int i = 0; i < 4; i++)
        assert_int_equal(ks[i], wantk[i]);
    assert_int_equal(q.count, 2);
    char *txt = sl_iot_slurp(q.f);
    size_t blank = (size_t)(strstr(text, "\n\n") - text) + 1;
    char want[128];
    snprintf(want, sizeof(want), "bad record at file 'f.csv' offset %zu: empty record",
             1000 + blank);
    assert_non_null(strstr(txt, want));
    snprintf(want, sizeof(want), "bad record at file 'f.csv' offset %zu: field 'k'",
             1000 + blank + 1);
    assert_non_null(strstr(txt, want));
    free(txt);
    fclose(q.f);

    /* an unclosed quote at the end of the stream: waits, then fails when final */
    struct sl_batch *b = sl_batch_pool_get(c.t.pool);
    size_t used;
    const char *open_q = ",,,,,,,\"never closed\n,,,1\n";
    assert_int_equal(
        sl_csv_decode_stream(c.csv, open_q, strlen(open_q), false, "g", 0, b, NULL, &used, &err),
        0);
    assert_int_equal(used, 0);
    assert_int_not_equal(
        sl_csv_decode_stream(c.csv, open_q, strlen(open_q), true, "g", 0, b, NULL, &used, &err), 0);
    assert_non_null(strstr(err.msg, "quote not closed"));
    sl_batch_pool_put(b);
    ct_close(&c);
}

static void test_encoder_shape(void **state)
{
    (void)state;
    struct sl_fmt_opts opts = {.csv_line_end = true};
    struct ct c;
    ct_open(&c, &opts);
    struct sl_error err;
    assert_int_equal(ct_decode1(&c,
                                "false,7,-8,0.5,-1.5,0.01,2026-11-23 12:00:00.123,"
                                "\"a,\"\"b\"\"\",1,,3",
                                &err),
                     0);
    assert_int_equal(ct_decode1(&c, ",,,-Infinity,,,,\"\",,x y,4", &err), 0);
    struct sl_fmt_out out;
    sl_fmt_out_init(&out);
    struct sl_batch *b = c.t.b;
    assert_int_equal(sl_csv_encode(c.csv, b, &out, &err), 0);
    assert_int_equal(out.nrec, 2);
    const char *want = "false,7,-8,0.5,-1.5000,0.01,2026-11-23 12:00:00.123,\"a,\"\"b\"\"\",1,,3\n"
                       ",,,-Infinity,,,,\"\",,x y,4\n";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    sl_fmt_out_free(&out);
    ct_close(&c);
}

static int enc(void *codec, struct sl_batch *b, struct sl_fmt_out *out, struct sl_error *err)
{
    return sl_csv_encode(codec, b, out, err);
}

static int dec(void *codec, const struct sl_record *recs, size_t n, struct sl_batch *b,
               struct sl_badrec *bad, size_t *consumed, struct sl_error *err)
{
    return sl_csv_decode(codec, recs, n, b, bad, consumed, err);
}

static void test_round_trip(void **state)
{
    (void)state;
    uint64_t rs = 777;
    struct sl_fmt_opts variants[3] = {
        {0},
        {.csv_line_end = true, .csv_delimiter = '\t'},
        {.csv_null_literal = "null", .csv_delimiter = ';'},
    };
    for (int v = 0; v < 3; v++) {
        struct ct c;
        ct_open(&c, &variants[v]);
        sl_iot_round_trip(&c.t, c.csv, enc, dec, &rs);
        ct_close(&c);
    }
}

/* Encoded with line ends, concatenated, and read back as one stream in small pieces. */
static void test_stream_round_trip(void **state)
{
    (void)state;
    uint64_t rs = 31337;
    struct sl_fmt_opts opts = {.csv_line_end = true};
    struct ct c;
    ct_open(&c, &opts);
    struct sl_batch *src = c.t.b;
    uint32_t n = SL_BATCH_CAP;
    sl_iot_fill(src, n, 20, &rs);
    struct sl_fmt_out out;
    sl_fmt_out_init(&out);
    struct sl_error err;
    assert_int_equal(sl_csv_encode(c.csv, src, &out, &err), 0);
    struct sl_batch *dst = sl_batch_pool_get(c.t.pool);
    size_t pos = 0, avail = 0;
    uint32_t next = 0;
    while (next < n) {
        avail = avail + 97 < out.len ? avail + 97 : out.len; /* bytes arrive in pieces */
        size_t used;
        assert_int_equal(sl_csv_decode_stream(c.csv, out.data + pos, avail - pos, avail == out.len,
                                              "s", (int64_t)pos, dst, NULL, &used, &err),
                         0);
        for (uint32_t r = 0; r < dst->rows; r++, next++)
            assert_true(sl_iot_row_equal(src, next, dst, r));
        sl_batch_reset(dst);
        pos += used;
    }
    assert_int_equal(pos, out.len);
    sl_batch_pool_put(dst);
    sl_fmt_out_free(&out);
    ct_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type),        cmocka_unit_test(test_bad_records),
        cmocka_unit_test(test_policies),          cmocka_unit_test(test_stream),
        cmocka_unit_test(test_encoder_shape),     cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_stream_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
