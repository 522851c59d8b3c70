/*
 * tests/io/test_json.c - the JSON format: every type against hand-written records, Flink's
 * conversion rules, nesting, every bad-record case under every policy, batch capacity, the
 * encoder's exact shape, and random round trips.
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"
#include "tests/util/iotest.h"

struct jt {
    struct sl_iot t;
    struct sl_json *json;
};

static void jt_open(struct jt *j, const struct sl_fmt_opts *opts)
{
    sl_iot_open(&j->t, sl_iot_schema());
    struct sl_error err;
    j->json = sl_json_new(j->t.schema, opts, &err);
    assert_non_null(j->json);
}

static void jt_close(struct jt *j)
{
    sl_json_free(j->json);
    sl_iot_close(&j->t);
}

/* The row the last successful jt_decode1 wrote. */
static uint32_t R;

/* Decodes one record under 'fail' (into a fresh batch when the batch is full, so the tests
 * also run with SL_BATCH_CAP 2); returns the code, err filled. */
static int jt_decode1(struct jt *j, const char *text, struct sl_error *err)
{
    struct sl_record r = sl_iot_rec(text, 5);
    size_t consumed = 99;
    sl_error_clear(err);
    if (j->t.b->rows == SL_BATCH_CAP)
        sl_batch_reset(j->t.b);
    int rc = sl_json_decode(j->json, &r, 1, j->t.b, NULL, &consumed, err);
    assert_int_equal(consumed, rc ? 0 : 1);
    if (!rc)
        R = j->t.b->rows - 1;
    return rc;
}

static void test_every_type(void **state)
{
    (void)state;
    struct jt j;
    jt_open(&j, NULL);
    struct sl_batch *b = j.t.b;
    struct sl_error err;
    const char *rec =
        "{\"b\":true,\"i\":-2147483648,\"l\":9223372036854775807,\"d\":-2.5e-3,"
        "\"m\":12345678901234.5678,\"n\":-999.99,\"t\":\"2026-11-23 12:00:00.123\","
        "\"s\":\"caf\\u00e9 \\\"q\\\" \xe2\x82\xac\",\"r\":{\"x\":-1,\"y\":{\"z\":\"deep\"}},"
        "\"k\":42}";
    assert_int_equal(jt_decode1(&j, rec, &err), 0);
    assert_int_equal(sl_col_bool(&b->cols[IOT_B])[R], 1);
    assert_int_equal(sl_col_i32(&b->cols[IOT_I])[R], INT32_MIN);
    assert_int_equal(sl_col_i64(&b->cols[IOT_L])[R], INT64_MAX);
    assert_true(sl_col_f64(&b->cols[IOT_D])[R] == -2.5e-3);
    assert_int_equal(sl_col_i64(&b->cols[IOT_M])[R], 123456789012345678ll);
    assert_int_equal(sl_col_i64(&b->cols[IOT_N])[R], -99999);
    assert_int_equal(sl_col_i64(&b->cols[IOT_T])[R], 1795435200123ll);
    const sl_str *s = &sl_col_str(&b->cols[IOT_S])[R];
    assert_int_equal(s->len, strlen("caf\xc3\xa9 \"q\" \xe2\x82\xac"));
    assert_memory_equal(sl_str_data(s), "caf\xc3\xa9 \"q\" \xe2\x82\xac", s->len);
    assert_int_equal(sl_col_i64(&b->cols[IOT_RX])[R], -1);
    s = &sl_col_str(&b->cols[IOT_RYZ])[R];
    assert_int_equal(s->len, 4);
    assert_memory_equal(sl_str_data(s), "deep", 4);
    assert_int_equal(sl_col_i64(&b->cols[IOT_K])[R], 42);
    for (uint32_t c = 0; c < IOT_NCOLS; c++)
        assert_false(sl_col_is_null(&b->cols[c], R));

    /* nulls, missing keys, a null ROW, unknown keys (deeply nested too), other key order */
    assert_int_equal(jt_decode1(&j,
                                "{\"unknown\":{\"a\":[1,{\"b\":[[[]]]}]},\"k\":7,\"b\":null,"
                                "\"r\":null,\"B\":true,\"zz\":\"x\"}",
                                &err),
                     0);
    for (uint32_t c = 0; c < IOT_NCOLS; c++)
        assert_int_equal(sl_col_is_null(&b->cols[c], R), c != IOT_K);
    assert_int_equal(sl_col_i64(&b->cols[IOT_K])[R], 7);
    /* a ROW present with some fields; an escaped key */
    assert_int_equal(jt_decode1(&j, "{\"r\":{\"y\":{}},\"\\u006b\":8, \"s\":\"\"}  \n", &err), 0);
    assert_true(sl_col_is_null(&b->cols[IOT_RX], R));
    assert_true(sl_col_is_null(&b->cols[IOT_RYZ], R));
    assert_int_equal(sl_col_i64(&b->cols[IOT_K])[R], 8);
    assert_int_equal(sl_col_str(&b->cols[IOT_S])[R].len, 0);
    assert_false(sl_col_is_null(&b->cols[IOT_S], R));
    jt_close(&j);
}

static void test_flink_conversions(void **state)
{
    (void)state;
    struct jt j;
    jt_open(&j, NULL);
    struct sl_batch *b = j.t.b;
    struct sl_error err;
    /* strings into numbers, booleans and timestamps; numbers and booleans into VARCHAR */
    assert_int_equal(jt_decode1(&j,
                                "{\"k\":\" 12 \",\"i\":\"-3\",\"b\":\"FALSE\",\"d\":\"NaN\","
                                "\"m\":\"1.00005\",\"n\":1.005,\"t\":1700000000123,"
                                "\"s\":12.50,\"r\":{\"y\":{\"z\":true}}}",
                                &err),
                     0);
    assert_int_equal(sl_col_i64(&b->cols[IOT_K])[R], 12);
    assert_int_equal(sl_col_i32(&b->cols[IOT_I])[R], -3);
    assert_int_equal(sl_col_bool(&b->cols[IOT_B])[R], 0);
    assert_true(isnan(sl_col_f64(&b->cols[IOT_D])[R]));
    assert_int_equal(sl_col_i64(&b->cols[IOT_M])[R], 10001); /* 1.00005 half-up at 4 digits */
    assert_int_equal(sl_col_i64(&b->cols[IOT_N])[R], 101);
    assert_int_equal(sl_col_i64(&b->cols[IOT_T])[R], 1700000000123ll);
    const sl_str *s = &sl_col_str(&b->cols[IOT_S])[R];
    assert_int_equal(s->len, 5);
    assert_memory_equal(sl_str_data(s), "12.50", 5);
    s = &sl_col_str(&b->cols[IOT_RYZ])[R];
    assert_memory_equal(sl_str_data(s), "true", 4);
    /* an object or array into VARCHAR: its JSON text, minified */
    assert_int_equal(jt_decode1(&j, "{\"k\":1,\"s\":{ \"a\" : [1, 2,\n{\"b\":null}] }}", &err), 0);
    s = &sl_col_str(&b->cols[IOT_S])[R];
    assert_int_equal(s->len, strlen("{\"a\":[1,2,{\"b\":null}]}"));
    assert_memory_equal(sl_str_data(s), "{\"a\":[1,2,{\"b\":null}]}", s->len);
    /* ISO timestamps, fewer fraction digits */
    assert_int_equal(jt_decode1(&j, "{\"k\":1,\"t\":\"2026-11-23T12:00:00.1\"}", &err), 0);
    assert_int_equal(sl_col_i64(&b->cols[IOT_T])[R], 1795435200100ll);
    assert_int_equal(jt_decode1(&j, "{\"k\":1,\"t\":\"2026-11-23 12:00:00\"}", &err), 0);
    assert_int_equal(sl_col_i64(&b->cols[IOT_T])[R], 1795435200000ll);
    jt_close(&j);
}

struct bad_case {
    const char *rec;
    const char *expect; /* a piece of the error message */
};

static const struct bad_case bad_cases[] = {
    {"{\"k\":1,\"i\":1.5}", "field 'i' (INT): not an integer (fraction"},
    {"{\"k\":1,\"i\":2147483648}", "field 'i' (INT): integer out of range"},
    {"{\"k\":1,\"l\":9223372036854775808}", "field 'l' (BIGINT): integer out of range"},
    {"{\"k\":1,\"l\":\"abc\"}", "field 'l' (BIGINT): not an integer: 'abc'"},
    {"{\"k\":1,\"n\":1000}", "field 'n' (DECIMAL(5, 2)): exceeds the DECIMAL precision"},
    {"{\"k\":1,\"b\":1}", "field 'b' (BOOLEAN): expected a boolean, got a number"},
    {"{\"k\":1,\"b\":\"yes\"}", "field 'b' (BOOLEAN): not a boolean"},
    {"{\"k\":1,\"l\":true}", "field 'l' (BIGINT): expected a number, got a boolean"},
    {"{\"k\":1,\"l\":[1]}", "field 'l' (BIGINT): expected a scalar, got an array"},
    {"{\"k\":1,\"t\":\"2026-02-30 00:00:00\"}",
     "field 't' (TIMESTAMP(3)): day out of range (February has 28 days"},
    {"{\"k\":1,\"t\":1.5}", "field 't' (TIMESTAMP(3)): epoch milliseconds must be an integer"},
    {"{\"k\":1,\"d\":\"x1\"}", "field 'd' (DOUBLE): not a number"},
    {"{\"k\":1,\"r\":5}", "key 'r' is a ROW and needs a JSON object"},
    {"{\"k\":1,\"r\":{\"y\":[]}}", "key 'y' is a ROW and needs a JSON object"},
    {"{\"i\":1}", "field 'k' (BIGINT NOT NULL): NULL or missing value for a NOT NULL field"},
    {"{\"k\":null}", "field 'k' (BIGINT NOT NULL): NULL or missing"},
    {"{\"k\":1,\"s\":\"abc", "malformed JSON"},
    {"{\"k\":1,\"s\":", "malformed JSON"},
    {"{\"k\":1", "malformed JSON"},
    {"{\"k\":1,,}", "malformed JSON"},
    {"{\"k\":1} x", "malformed JSON"},
    {"{\"k\":1}{\"k\":2}", "content after the object"},
    {"[1,2]", "a record must be a JSON object"},
    {"42", "a record must be a JSON object"},
    {"   ", "malformed JSON"},
    {"{\"k\":1,\"s\":\"bad \xff utf8\"}", "malformed JSON"},
    {"{\"k\":1,\"zz\":\"bad \xc3\x28 utf8 in an unknown field\"}", "malformed JSON"},
    {"{\"k\":1,\"i\":nul}", "field 'i' (INT): malformed JSON literal"},
    {"{\"k\":1,\"i\":-}", "malformed JSON"},
    {"{\"k\":1,\"i\":01}", "malformed JSON number"},
};

static void test_bad_records_fail(void **state)
{
    (void)state;
    struct jt j;
    jt_open(&j, NULL);
    struct sl_error err;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        int rc = jt_decode1(&j, bad_cases[i].rec, &err);
        if (rc == 0 || !strstr(err.msg, bad_cases[i].expect) ||
            !strstr(err.msg, "topic 't' partition 0 offset 5"))
            fail_msg("case %zu '%s': rc %d, message '%s'", i, bad_cases[i].rec, rc, err.msg);
        assert_int_equal(err.code, rc);
        assert_int_equal(j.t.b->rows, 0);
    }
    /* a tombstone, an empty record, one over the size limit */
    struct sl_record r = sl_iot_rec(NULL, 9);
    size_t consumed;
    assert_int_equal(sl_json_decode(j.json, &r, 1, j.t.b, NULL, &consumed, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "tombstone"));
    r = sl_iot_rec("", 9);
    assert_int_equal(sl_json_decode(j.json, &r, 1, j.t.b, NULL, &consumed, &err), SL_EPARSE);
    assert_non_null(strstr(err.msg, "offset 9: empty record"));
    jt_close(&j);

    struct sl_fmt_opts opts = {.max_record_bytes = 64};
    jt_open(&j, &opts);
    char big[200];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "{\"k\":1,\"s\":\"", 12);
    memcpy(big + 150, "\"}", 2);
    r = sl_iot_rec(big, 3);
    assert_int_equal(sl_json_decode(j.json, &r, 1, j.t.b, NULL, &consumed, &err), SL_ERANGE);
    assert_non_null(strstr(err.msg, "exceeds the maximum of 64"));
    assert_int_equal(jt_decode1(&j, "{\"k\":1}", &err), 0); /* small ones still pass */
    jt_close(&j);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    struct sl_fmt_opts opts = {.max_record_bytes = 1u << 21};
    struct jt j;
    jt_open(&j, &opts);
    struct sl_error err;
    size_t depth = 500000;
    char *rec = malloc(2 * depth + 64);
    assert_non_null(rec);
    /* deep, balanced, in an unknown key: skipped without recursion */
    size_t n = (size_t)sprintf(rec, "{\"k\":1,\"zz\":");
    memset(rec + n, '[', depth);
    memset(rec + n + depth, ']', depth);
    strcpy(rec + n + 2 * depth, "}");
    assert_int_equal(jt_decode1(&j, rec, &err), 0);
    /* deep and truncated (one ']' short): an error */
    rec[n + 2 * depth - 1] = '}';
    rec[n + 2 * depth] = '\0';
    assert_int_not_equal(jt_decode1(&j, rec, &err), 0);
    /* deep inside a VARCHAR field: its JSON text */
    n = (size_t)sprintf(rec, "{\"k\":1,\"s\":");
    memset(rec + n, '[', depth);
    memset(rec + n + depth, ']', depth);
    strcpy(rec + n + 2 * depth, "}");
    assert_int_equal(jt_decode1(&j, rec, &err), 0);
    assert_int_equal(sl_col_str(&j.t.b->cols[IOT_S])[R].len, 2 * depth);
    free(rec);
    jt_close(&j);
}

/* One bad record between good ones, under each policy. */
static void test_policies(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < sizeof(bad_cases) / sizeof(bad_cases[0]) + 2; ci++) {
        for (int pol = 0; pol < 3; pol++) {
            struct jt j;
            jt_open(&j, NULL);
            struct sl_record recs[5] = {
                sl_iot_rec("{\"k\":1,\"s\":\"first string longer than twelve\"}", 10),
                sl_iot_rec("{\"k\":2}", 11),
                sl_iot_rec("", 12), /* set below */
                sl_iot_rec("{\"k\":4}", 13),
                sl_iot_rec("{\"k\":5,\"s\":\"last\"}", 14),
            };
            if (ci < sizeof(bad_cases) / sizeof(bad_cases[0]))
                recs[2] = sl_iot_rec(bad_cases[ci].rec, 12);
            else if (ci == sizeof(bad_cases) / sizeof(bad_cases[0]))
                recs[2] = sl_iot_rec(NULL, 12); /* tombstone */
            struct sl_iot_dlq q = {tmpfile(), 0, 0};
            assert_non_null(q.f);
            struct sl_badrec bad;
            sl_badrec_init(&bad, (enum sl_badrec_policy)pol, sl_iot_dlq_cb, &q);
            struct sl_error err;
            /* decode into as many batches as it takes (SL_BATCH_CAP may be 2) */
            int64_t ks[5];
            bool inull[5], snull[5];
            char strs[5][64];
            uint32_t nrows = 0;
            size_t consumed = 0;
            int rc = 0;
            while (consumed < 5) {
                struct sl_batch *b = sl_batch_pool_get(j.t.pool);
                size_t c;
                rc = sl_json_decode(j.json, recs + consumed, 5 - consumed, b, &bad, &c, &err);
                for (uint32_t r = 0; r < b->rows; r++, nrows++) {
                    ks[nrows] = sl_col_i64(&b->cols[IOT_K])[r];
                    inull[nrows] = sl_col_is_null(&b->cols[IOT_I], r);
                    snull[nrows] = sl_col_is_null(&b->cols[IOT_S], r);
                    const sl_str *sv = &sl_col_str(&b->cols[IOT_S])[r];
                    snprintf(strs[nrows], sizeof(strs[nrows]), "%.*s",
                             snull[nrows] ? 0 : (int)sv->len, sl_str_data(sv));
                }
                consumed += c;
                if (rc) {
                    /* the caller fixes nothing and retries: the same error, nothing added */
                    size_t c2;
                    assert_int_equal(
                        sl_json_decode(j.json, recs + consumed, 5 - consumed, b, &bad, &c2, &err),
                        rc);
                    assert_int_equal(c2, 0);
                    sl_batch_pool_put(b);
                    break;
                }
                sl_batch_pool_put(b);
            }
            if (pol == SL_BADREC_FAIL) {
                assert_int_not_equal(rc, 0);
                assert_int_equal(consumed, 2);
                assert_int_equal(nrows, 2);
                assert_non_null(strstr(err.msg, "topic 't' partition 0 offset 12"));
            } else {
                assert_int_equal(rc, 0);
                assert_int_equal(consumed, 5);
                assert_int_equal(nrows, 4);
                int64_t want[4] = {1, 2, 4, 5};
                for (uint32_t r = 0; r < 4; r++)
                    assert_int_equal(ks[r], want[r]);
                /* no half-written row: the bad record's values did not leak into row 2 */
                assert_true(snull[2] && inull[2] && inull[3]);
                assert_string_equal(strs[0], "first string longer than twelve");
                assert_string_equal(strs[3], "last");
                if (pol == SL_BADREC_SKIP) {
                    assert_int_equal(bad.skipped, 1);
                    assert_int_equal(bad.dead_lettered, 0);
                } else {
                    assert_int_equal(bad.dead_lettered, 1);
                    assert_int_equal(q.count, 1);
                    char *txt = sl_iot_slurp(q.f);
                    assert_non_null(strstr(txt, "bad record at topic 't' partition 0 offset 12"));
                    if (recs[2].value)
                        assert_non_null(strstr(txt, (const char *)recs[2].value));
                    free(txt);
                }
            }
            fclose(q.f);
            jt_close(&j);
        }
    }
}

static void test_dead_letter_failure(void **state)
{
    (void)state;
    struct jt j;
    jt_open(&j, NULL);
    struct sl_iot_dlq q = {NULL, 0, SL_EIO};
    struct sl_badrec bad;
    sl_badrec_init(&bad, SL_BADREC_DEAD_LETTER, sl_iot_dlq_cb, &q);
    struct sl_record recs[3] = {sl_iot_rec("{\"k\":1}", 0), sl_iot_rec("{", 1),
                                sl_iot_rec("{\"k\":3}", 2)};
    struct sl_error err;
    size_t consumed;
    assert_int_equal(sl_json_decode(j.json, recs, 3, j.t.b, &bad, &consumed, &err), SL_EIO);
    assert_int_equal(consumed, 1);
    assert_int_equal(bad.dead_lettered, 0);
    assert_non_null(strstr(err.msg, "dead-letter callback failed"));
    assert_non_null(strstr(err.msg, "offset 1"));
    jt_close(&j);
}

static void test_capacity(void **state)
{
    (void)state;
    struct jt j;
    jt_open(&j, NULL);
    enum { N = 3 * SL_BATCH_CAP + 1 };
    static char texts[N][48];
    static struct sl_record recs[N];
    for (int i = 0; i < N; i++) {
        if (i % 7 == 3)
            snprintf(texts[i], sizeof(texts[i]), "{\"k\":%d,\"i\":\"bad\"}", i);
        else
            snprintf(texts[i], sizeof(texts[i]), "{\"k\":%d}", i);
        recs[i] = sl_iot_rec(texts[i], i);
    }
    struct sl_badrec bad;
    sl_badrec_init(&bad, SL_BADREC_SKIP, NULL, NULL);
    size_t done = 0, total_rows = 0;
    int expect = 0;
    while (done < N) {
        struct sl_batch *b = sl_batch_pool_get(j.t.pool);
        size_t consumed;
        struct sl_error err;
        assert_int_equal(sl_json_decode(j.json, recs + done, N - done, b, &bad, &consumed, &err),
                         0);
        assert_true(consumed > 0);
        if (done + consumed < N)
            assert_int_equal(b->rows, SL_BATCH_CAP); /* stopped because full */
        for (uint32_t r = 0; r < b->rows; r++) {
            while (expect % 7 == 3)
                expect++;
            assert_int_equal(sl_col_i64(&b->cols[IOT_K])[r], expect++);
        }
        total_rows += b->rows;
        done += consumed;
        sl_batch_pool_put(b);
    }
    assert_int_equal(total_rows + bad.skipped, N);
    jt_close(&j);
}

static void test_encoder_shape(void **state)
{
    (void)state;
    struct jt j;
    jt_open(&j, NULL);
    struct sl_batch *b = j.t.b;
    struct sl_error err;
    assert_int_equal(jt_decode1(&j,
                                "{\"b\":false,\"i\":7,\"l\":-8,\"d\":0.5,\"m\":-1.5,\"n\":0.01,"
                                "\"t\":\"2026-11-23 12:00:00.123\",\"s\":\"q\\\"\\n\\u0001\","
                                "\"r\":{\"x\":1,\"y\":{\"z\":null}},\"k\":3}",
                                &err),
                     0);
    assert_int_equal(jt_decode1(&j, "{\"k\":4,\"d\":\"-Infinity\"}", &err), 0);
    struct sl_fmt_out out;
    sl_fmt_out_init(&out);
    assert_int_equal(sl_json_encode(j.json, b, &out, &err), 0);
    assert_int_equal(out.nrec, 2);
    const char *want0 = "{\"b\":false,\"i\":7,\"l\":-8,\"d\":0.5,\"m\":-1.5000,\"n\":0.01,"
                        "\"t\":\"2026-11-23 12:00:00.123\",\"s\":\"q\\\"\\n\\u0001\","
                        "\"r\":{\"x\":1,\"y\":null},\"k\":3}";
    const char *want1 = "{\"b\":null,\"i\":null,\"l\":null,\"d\":\"-Infinity\",\"m\":null,"
                        "\"n\":null,\"t\":null,\"s\":null,\"r\":null,\"k\":4}";
    assert_int_equal(sl_fmt_out_rec_len(&out, 0), strlen(want0));
    assert_memory_equal(sl_fmt_out_rec(&out, 0), want0, strlen(want0));
    assert_int_equal(sl_fmt_out_rec_len(&out, 1), strlen(want1));
    assert_memory_equal(sl_fmt_out_rec(&out, 1), want1, strlen(want1));
    /* a selection: only row 1 */
    sl_sel_t *sel = sl_batch_sel_next(b);
    sel[0] = 1;
    sl_batch_sel_commit(b, sel, 1);
    sl_fmt_out_clear(&out);
    assert_int_equal(sl_json_encode(j.json, b, &out, &err), 0);
    assert_int_equal(out.nrec, 1);
    assert_memory_equal(sl_fmt_out_rec(&out, 0), want1, strlen(want1));
    sl_fmt_out_free(&out);
    jt_close(&j);
}

static void test_schema_errors(void **state)
{
    (void)state;
    const char *n1[] = {"a", "a.b"};
    const char *n2[] = {"a..b"};
    const char *n3[] = {"x", "x"};
    const char *const *names[] = {n1, n2, n3};
    uint32_t counts[] = {2, 1, 2};
    struct sl_type ty[2] = {sl_type_make(SL_TYPE_INT, true), sl_type_make(SL_TYPE_INT, true)};
    for (int i = 0; i < 3; i++) {
        struct sl_schema *s = sl_schema_new(counts[i], names[i], ty);
        struct sl_error err;
        sl_error_clear(&err);
        assert_null(sl_json_new(s, NULL, &err));
        assert_int_equal(err.code, SL_EINVAL);
        sl_schema_free(s);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    uint64_t rs = 4242;
    static sl_sel_t sel[SL_BATCH_CAP];
    for (int line = 0; line < 2; line++) {
        struct sl_fmt_opts opts = {.json_line_end = line};
        struct jt j;
        jt_open(&j, &opts);
        struct sl_batch *dst = sl_batch_pool_get(j.t.pool);
        for (size_t t = 0; t < sl_test_nlengths; t++) {
            uint32_t n = sl_test_lengths[t];
            if (n > SL_BATCH_CAP)
                continue;
            for (int rep = 0; rep < 3; rep++) {
                struct sl_batch *src = j.t.b;
                sl_batch_reset(src);
                sl_iot_fill(src, n, rep == 0 ? 0 : rep == 1 ? 30 : 100, &rs);
                uint32_t ns = n;
                if (rep == 1) {
                    ns = sl_test_fill_sel(sel, n, 60, &rs);
                    sl_sel_t *s = sl_batch_sel_next(src);
                    memcpy(s, sel, ns * sizeof(*s));
                    sl_batch_sel_commit(src, s, ns);
                }
                struct sl_fmt_out out;
                sl_fmt_out_init(&out);
                struct sl_error err;
                assert_int_equal(sl_json_encode(j.json, src, &out, &err), 0);
                assert_int_equal(out.nrec, ns);
                struct sl_record *recs = calloc(ns + 1, sizeof(*recs));
                for (uint32_t i = 0; i < ns; i++) {
                    recs[i] = sl_iot_rec("", i);
                    recs[i].value = sl_fmt_out_rec(&out, i);
                    recs[i].value_len = sl_fmt_out_rec_len(&out, i);
                }
                sl_batch_reset(dst);
                size_t consumed;
                int rc = sl_json_decode(j.json, recs, ns, dst, NULL, &consumed, &err);
                if (rc)
                    fail_msg("%s", err.msg);
                assert_int_equal(consumed, ns);
                assert_int_equal(dst->rows, ns);
                for (uint32_t i = 0; i < ns; i++)
                    assert_true(sl_iot_row_equal(src, src->sel ? src->sel[i] : i, dst, i));
                free(recs);
                sl_fmt_out_free(&out);
            }
        }
        sl_batch_pool_put(dst);
        jt_close(&j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type),       cmocka_unit_test(test_flink_conversions),
        cmocka_unit_test(test_bad_records_fail), cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_policies),         cmocka_unit_test(test_dead_letter_failure),
        cmocka_unit_test(test_capacity),         cmocka_unit_test(test_encoder_shape),
        cmocka_unit_test(test_schema_errors),    cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
