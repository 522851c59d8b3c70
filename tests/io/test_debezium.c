/*
 * tests/io/test_debezium.c - the 'debezium-json' format (io/debezium.h): Flink's envelopes
 * byte for byte (DebeziumJsonSerializationSchema: +I/+U as "c" with "before" null, -U/-D as
 * "d" with "after" null), every op decoded into its row kinds, Flink's messages for bad
 * envelopes under every policy, tombstones, schema-include, the two rows of an update at
 * the batch's edge, projection pushdown and random round trips over every type.
 */
#include "tests/util/testutil.h"

#include <stdlib.h>
#include <string.h>

#include "io/debezium.h"
#include "tests/util/iotest.h"

/* (k VARCHAR, n BIGINT NOT NULL) */
static struct sl_schema *kn_schema(void)
{
    const char *names[] = {"k", "n"};
    struct sl_type types[] = {sl_type_make(SL_TYPE_VARCHAR, true),
                              sl_type_make(SL_TYPE_BIGINT, false)};
    return sl_schema_new(2, names, types);
}

static void put_row(struct sl_batch *b, const char *k, int64_t n)
{
    uint32_t r = b->rows++;
    if (k)
        sl_col_str(&b->cols[0])[r] = sl_batch_str(b, k, (uint32_t)strlen(k));
    sl_col_set_null(&b->cols[0], r, k == NULL);
    sl_col_i64(&b->cols[1])[r] = n;
}

static void test_encode(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, kn_schema());
    struct sl_error err;
    struct sl_debezium *d = sl_debezium_new(t.schema, NULL, &err);
    assert_non_null(d);
    put_row(t.b, "a", 1);
    put_row(t.b, "a", 1);
    put_row(t.b, "a", 2);
    put_row(t.b, NULL, -3);
    uint8_t *kind = sl_batch_kinds(t.b);
    kind[0] = SL_ROW_INSERT;
    kind[1] = SL_ROW_UPDATE_BEFORE;
    kind[2] = SL_ROW_UPDATE_AFTER;
    kind[3] = SL_ROW_DELETE;
    struct sl_fmt_out out;
    sl_fmt_out_init(&out);
    assert_int_equal(sl_debezium_encode(d, t.b, &out, &err), 0);
    static const char *const want[] = {
        "{\"before\":null,\"after\":{\"k\":\"a\",\"n\":1},\"op\":\"c\"}",
        "{\"before\":{\"k\":\"a\",\"n\":1},\"after\":null,\"op\":\"d\"}",
        "{\"before\":null,\"after\":{\"k\":\"a\",\"n\":2},\"op\":\"c\"}",
        "{\"before\":{\"k\":null,\"n\":-3},\"after\":null,\"op\":\"d\"}",
    };
    assert_int_equal(out.nrec, 4);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(sl_fmt_out_rec_len(&out, i), strlen(want[i]));
        assert_memory_equal(sl_fmt_out_rec(&out, i), want[i], strlen(want[i]));
    }
    /* a selection: only the active rows, in its order */
    sl_fmt_out_clear(&out);
    sl_sel_t *sel = sl_batch_sel_next(t.b);
    sel[0] = 3;
    sl_batch_sel_commit(t.b, sel, 1);
    assert_int_equal(sl_debezium_encode(d, t.b, &out, &err), 0);
    assert_int_equal(out.nrec, 1);
    assert_memory_equal(sl_fmt_out_rec(&out, 0), want[3], strlen(want[3]));
    /* no kinds: every row +I */
    sl_batch_reset(t.b);
    put_row(t.b, "z", 0);
    sl_fmt_out_clear(&out);
    assert_int_equal(sl_debezium_encode(d, t.b, &out, &err), 0);
    const char *ins = "{\"before\":null,\"after\":{\"k\":\"z\",\"n\":0},\"op\":\"c\"}";
    assert_memory_equal(sl_fmt_out_rec(&out, 0), ins, strlen(ins));
    sl_fmt_out_free(&out);
    sl_debezium_free(d);
    /* schema-include is decode-only, as in Flink */
    struct sl_fmt_opts o = {.debezium_schema_include = true};
    d = sl_debezium_new(t.schema, &o, &err);
    assert_non_null(d);
    sl_fmt_out_init(&out);
    assert_int_equal(sl_debezium_encode(d, t.b, &out, &err), SL_ENOTSUP);
    assert_non_null(strstr(err.msg, "Debezium JSON serialization doesn't support"));
    sl_fmt_out_free(&out);
    sl_debezium_free(d);
    sl_iot_close(&t);
}

/* Rows decoded over as many fresh batches as it takes (SL_BATCH_CAP may be 2). */
struct got {
    uint32_t n;
    uint8_t kind[16];
    bool knull[16];
    char k[16][32];
    int64_t v[16];
};

static int decode_all(struct sl_debezium *d, struct sl_iot *t, const struct sl_record *recs,
                      size_t n, struct sl_badrec *bad, struct got *g, size_t *consumed,
                      struct sl_error *err)
{
    size_t done = 0;
    int rc = 0;
    g->n = 0;
    while (done < n) {
        sl_batch_reset(t->b);
        size_t c = 0;
        rc = sl_debezium_decode(d, recs + done, n - done, t->b, bad, &c, err);
        for (uint32_t r = 0; r < t->b->rows && g->n < 16; r++, g->n++) {
            g->kind[g->n] = sl_batch_kind(t->b, r);
            g->knull[g->n] = sl_col_is_null(&t->b->cols[0], r);
            const sl_str *s = &sl_col_str(&t->b->cols[0])[r];
            snprintf(g->k[g->n], sizeof(g->k[0]), "%.*s", g->knull[g->n] ? 0 : (int)s->len,
                     g->knull[g->n] ? "" : sl_str_data(s));
            g->v[g->n] = sl_col_i64(&t->b->cols[1])[r];
        }
        done += c;
        if (rc || !c)
            break;
    }
    *consumed = done;
    return rc;
}

static void expect_got(const struct got *g, uint32_t r, uint8_t kind, const char *k, int64_t n)
{
    assert_true(r < g->n);
    assert_int_equal(g->kind[r], kind);
    assert_int_equal(g->knull[r], k == NULL);
    if (k)
        assert_string_equal(g->k[r], k);
    assert_int_equal(g->v[r], n);
}

static void expect_row(struct sl_batch *b, uint32_t r, uint8_t kind, const char *k, int64_t n)
{
    assert_int_equal(sl_batch_kind(b, r), kind);
    if (!k) {
        assert_true(sl_col_is_null(&b->cols[0], r));
    } else {
        const sl_str *s = &sl_col_str(&b->cols[0])[r];
        assert_false(sl_col_is_null(&b->cols[0], r));
        assert_int_equal(s->len, strlen(k));
        assert_memory_equal(sl_str_data(s), k, s->len);
    }
    assert_int_equal(sl_col_i64(&b->cols[1])[r], n);
}

static void test_decode_ops(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, kn_schema());
    struct sl_error err;
    struct sl_debezium *d = sl_debezium_new(t.schema, NULL, &err);
    assert_non_null(d);
    struct sl_record recs[] = {
        sl_iot_rec("{\"before\":null,\"after\":{\"k\":\"a\",\"n\":1},\"op\":\"c\","
                   "\"source\":{\"db\":\"x\",\"table\":[1,2]},\"ts_ms\":17}",
                   0),
        sl_iot_rec(
            "{\"op\":\"u\",\"after\":{\"n\":2,\"k\":\"a\"},\"before\":{\"k\":\"a\",\"n\":1}}", 1),
        sl_iot_rec("", 2), /* a tombstone below */
        sl_iot_rec("{\"after\":{\"k\":\"a very long key value\",\"n\":3},\"op\":\"r\"}", 3),
        sl_iot_rec("{\"before\":{\"k\":null,\"n\":4},\"after\":null,\"op\":\"d\"}", 4),
    };
    recs[2].value = NULL;
    recs[2].value_len = 0;
    size_t consumed;
    struct got g;
    assert_int_equal(decode_all(d, &t, recs, 5, NULL, &g, &consumed, &err), 0);
    assert_int_equal(consumed, 5);
    assert_int_equal(g.n, 5);
    expect_got(&g, 0, SL_ROW_INSERT, "a", 1);
    expect_got(&g, 1, SL_ROW_UPDATE_BEFORE, "a", 1);
    expect_got(&g, 2, SL_ROW_UPDATE_AFTER, "a", 2);
    expect_got(&g, 3, SL_ROW_INSERT, "a very long key value", 3);
    expect_got(&g, 4, SL_ROW_DELETE, NULL, 4);
    /* rows already in the batch without kinds stay +I */
    sl_batch_reset(t.b);
    put_row(t.b, "pre", 9);
    assert_null(t.b->kind);
    assert_int_equal(sl_debezium_decode(d, &recs[4], 1, t.b, NULL, &consumed, &err), 0);
    assert_int_equal(t.b->rows, 2);
    expect_row(t.b, 0, SL_ROW_INSERT, "pre", 9);
    expect_row(t.b, 1, SL_ROW_DELETE, NULL, 4);
    sl_debezium_free(d);

    /* schema-include: the envelope under "payload", "schema" ignored */
    struct sl_fmt_opts o = {.debezium_schema_include = true};
    d = sl_debezium_new(t.schema, &o, &err);
    assert_non_null(d);
    struct sl_record p = sl_iot_rec(
        "{\"schema\":{\"type\":\"struct\"},\"payload\":{\"before\":{\"k\":\"b\",\"n\":5},"
        "\"after\":{\"k\":\"b\",\"n\":6},\"op\":\"u\"}}",
        0);
    sl_batch_reset(t.b);
    assert_int_equal(sl_debezium_decode(d, &p, 1, t.b, NULL, &consumed, &err), 0);
    assert_int_equal(t.b->rows, 2);
    expect_row(t.b, 0, SL_ROW_UPDATE_BEFORE, "b", 5);
    expect_row(t.b, 1, SL_ROW_UPDATE_AFTER, "b", 6);
    sl_debezium_free(d);
    sl_iot_close(&t);
}

struct bad_case {
    const char *json;
    const char *msg; /* part of the error */
};

static const struct bad_case bad_cases[] = {
    {"{\"before\":null,\"after\":{\"k\":\"a\",\"n\":1},\"op\":\"x\"}",
     "Unknown \"op\" value \"x\". The Debezium JSON message is '{\"before\":null"},
    {"{\"before\":null,\"after\":{\"k\":\"a\",\"n\":1}}", "no \"op\" field"},
    {"{\"before\":null,\"after\":{\"k\":\"a\",\"n\":1},\"op\":\"u\"}",
     "The \"before\" field of UPDATE message is null, if you are using Debezium Postgres "
     "Connector, please check the Postgres table has been set REPLICA IDENTITY to FULL level."},
    {"{\"after\":{\"k\":\"a\",\"n\":1},\"op\":\"d\"}",
     "The \"before\" field of DELETE message is null"},
    {"{\"before\":null,\"after\":null,\"op\":\"c\"}", "without \"after\""},
    {"{\"before\":null,\"after\":{\"k\":\"a\"},\"op\":\"c\"}", "field 'n'"},
    {"{\"before\":null,\"after\":{\"k\":\"a\",\"n\":\"x\"},\"op\":\"c\"}", "after.n"},
    {"{\"before\":null,\"after\":{\"k\":\"a\",\"n\":1},\"op\":\"c\"", "JSON"},
    {"{\"before\":null,\"after\":{\"k\":\"\xff\",\"n\":1},\"op\":\"c\"}", "UTF-8"},
    {"[1,2]", "object"},
};

static void test_bad_records(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, kn_schema());
    struct sl_error err;
    struct sl_debezium *d = sl_debezium_new(t.schema, NULL, &err);
    assert_non_null(d);
    const char *good = "{\"before\":null,\"after\":{\"k\":\"g\",\"n\":7},\"op\":\"c\"}";
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct sl_record recs[3] = {sl_iot_rec(good, 10), sl_iot_rec(bad_cases[i].json, 11),
                                    sl_iot_rec(good, 12)};
        size_t consumed;
        struct got g;
        /* fail: the good record before it is decoded, the error names the record */
        sl_error_clear(&err);
        int rc = decode_all(d, &t, recs, 3, NULL, &g, &consumed, &err);
        if (rc == 0 || !strstr(err.msg, "topic 't' partition 0 offset 11") ||
            !strstr(err.msg, bad_cases[i].msg))
            fail_msg("case %zu: rc %d, '%s'", i, rc, err.msg);
        assert_int_equal(consumed, 1);
        assert_int_equal(g.n, 1);
        expect_got(&g, 0, SL_ROW_INSERT, "g", 7);
        /* skip: counted, the records around it decoded */
        struct sl_badrec bad;
        sl_badrec_init(&bad, SL_BADREC_SKIP, NULL, NULL);
        assert_int_equal(decode_all(d, &t, recs, 3, &bad, &g, &consumed, &err), 0);
        assert_int_equal(consumed, 3);
        assert_int_equal(bad.skipped, 1);
        assert_int_equal(g.n, 2);
        expect_got(&g, 1, SL_ROW_INSERT, "g", 7);
        /* dead-letter: the record and the message handed on */
        struct sl_iot_dlq q = {.f = tmpfile()};
        assert_non_null(q.f);
        sl_badrec_init(&bad, SL_BADREC_DEAD_LETTER, sl_iot_dlq_cb, &q);
        assert_int_equal(decode_all(d, &t, recs, 3, &bad, &g, &consumed, &err), 0);
        assert_int_equal(q.count, 1);
        char *text = sl_iot_slurp(q.f);
        assert_non_null(strstr(text, bad_cases[i].msg));
        free(text);
        fclose(q.f);
    }
    sl_debezium_free(d);
    sl_iot_close(&t);
}

/* Updates make two rows: a call stops where the next record might not fit, and nothing is
 * lost over fresh batches (SL_BATCH_CAP = 2 included). */
static void test_capacity(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, kn_schema());
    struct sl_error err;
    struct sl_debezium *d = sl_debezium_new(t.schema, NULL, &err);
    assert_non_null(d);
    enum { N = 3 * SL_BATCH_CAP + 1 };
    struct sl_record *recs = calloc(N, sizeof(*recs));
    char(*text)[96] = calloc(N, sizeof(*text));
    assert_non_null(recs);
    assert_non_null(text);
    for (size_t i = 0; i < N; i++) {
        if (i % 3 == 0)
            snprintf(text[i], sizeof(text[i]),
                     "{\"before\":{\"k\":\"x\",\"n\":%zu},\"after\":{\"k\":\"x\",\"n\":%zu},"
                     "\"op\":\"u\"}",
                     i, i + 1);
        else
            snprintf(text[i], sizeof(text[i]), "{\"after\":{\"k\":\"x\",\"n\":%zu},\"op\":\"c\"}",
                     i);
        recs[i] = sl_iot_rec(text[i], (int64_t)i);
    }
    size_t done = 0, rows = 0, calls = 0;
    int64_t want_n = 0;
    size_t want_i = 0;
    bool second = false;
    while (done < N) {
        sl_batch_reset(t.b);
        size_t consumed;
        assert_int_equal(sl_debezium_decode(d, recs + done, N - done, t.b, NULL, &consumed, &err),
                         0);
        assert_true(consumed > 0);
        assert_true(t.b->rows <= SL_BATCH_CAP);
        for (uint32_t r = 0; r < t.b->rows; r++) { /* the rows in record order */
            bool upd = want_i % 3 == 0;
            want_n = upd && second ? (int64_t)want_i + 1 : (int64_t)want_i;
            uint8_t k = !upd ? SL_ROW_INSERT : second ? SL_ROW_UPDATE_AFTER : SL_ROW_UPDATE_BEFORE;
            expect_row(t.b, r, k, "x", want_n);
            if (upd && !second) {
                second = true;
            } else {
                second = false;
                want_i++;
            }
        }
        done += consumed;
        rows += t.b->rows;
        calls++;
    }
    assert_int_equal(rows, N + (N + 2) / 3);
    assert_true(calls >= (rows + SL_BATCH_CAP - 1) / SL_BATCH_CAP);
    free(recs);
    free(text);
    sl_debezium_free(d);
    sl_iot_close(&t);
}

/* One row left in the batch: a "u" waits for the next batch, a "c" fills it. */
static void test_one_row_left(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, kn_schema());
    struct sl_error err;
    struct sl_debezium *d = sl_debezium_new(t.schema, NULL, &err);
    assert_non_null(d);
    struct sl_record u = sl_iot_rec("{\"before\":{\"k\":\"a\",\"n\":1},\"after\":{\"k\":\"a\","
                                    "\"n\":2},\"op\":\"u\"}",
                                    0);
    struct sl_record c = sl_iot_rec("{\"after\":{\"k\":\"b\",\"n\":3},\"op\":\"c\"}", 1);
    struct sl_record uc[] = {u, c}, cu[] = {c, u};
    for (uint32_t r = 0; r + 1 < SL_BATCH_CAP; r++)
        put_row(t.b, "x", r);
    size_t consumed;
    assert_int_equal(sl_debezium_decode(d, uc, 2, t.b, NULL, &consumed, &err), 0);
    assert_int_equal(consumed, 0);
    assert_int_equal(t.b->rows, SL_BATCH_CAP - 1);
    assert_int_equal(sl_debezium_decode(d, cu, 2, t.b, NULL, &consumed, &err), 0);
    assert_int_equal(consumed, 1);
    assert_int_equal(t.b->rows, SL_BATCH_CAP);
    expect_row(t.b, SL_BATCH_CAP - 1, SL_ROW_INSERT, "b", 3);
    assert_int_equal(sl_batch_kind(t.b, 0), SL_ROW_INSERT);
    assert_int_equal(sl_debezium_decode(d, &u, 1, t.b, NULL, &consumed, &err), 0);
    assert_int_equal(consumed, 0);
    sl_debezium_free(d);
    sl_iot_close(&t);
}

/* Projection pushdown: columns not needed come out NULL, the NOT NULL one is read. */
static void test_prune(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, kn_schema());
    struct sl_error err;
    struct sl_debezium *d = sl_debezium_new(t.schema, NULL, &err);
    assert_non_null(d);
    bool needed[] = {false, false};
    sl_debezium_prune(d, needed, 2);
    struct sl_record r = sl_iot_rec("{\"before\":{\"k\":\"a\",\"n\":1},\"after\":{\"k\":\"b\","
                                    "\"n\":2},\"op\":\"u\"}",
                                    0);
    size_t consumed;
    assert_int_equal(sl_debezium_decode(d, &r, 1, t.b, NULL, &consumed, &err), 0);
    assert_int_equal(t.b->rows, 2);
    expect_row(t.b, 0, SL_ROW_UPDATE_BEFORE, NULL, 1);
    expect_row(t.b, 1, SL_ROW_UPDATE_AFTER, NULL, 2);
    sl_debezium_free(d);
    sl_iot_close(&t);
}

/* Random rows of every type with random kinds: encoded and decoded, every row comes back;
 * +I/+U as +I ("c"), -U/-D as -D ("d"). */
static void test_round_trip(void **state)
{
    (void)state;
    struct sl_iot a, b;
    sl_iot_open(&a, sl_iot_schema());
    sl_iot_open(&b, sl_iot_schema());
    struct sl_error err;
    struct sl_debezium *d = sl_debezium_new(a.schema, NULL, &err);
    assert_non_null(d);
    uint64_t rs = 42;
    struct sl_fmt_out out;
    sl_fmt_out_init(&out);
    struct sl_record *recs = calloc(SL_BATCH_CAP, sizeof(*recs));
    assert_non_null(recs);
    for (int round = 0; round < 20; round++) {
        sl_batch_reset(a.b);
        uint32_t n = SL_BATCH_CAP < 64 ? SL_BATCH_CAP : 64;
        sl_iot_fill(a.b, n, (unsigned)(round * 5 % 60), &rs);
        uint8_t *kind = sl_batch_kinds(a.b);
        for (uint32_t r = 0; r < n; r++)
            kind[r] = (uint8_t)((r * 7 + (uint32_t)round) % 4);
        sl_fmt_out_clear(&out);
        assert_int_equal(sl_debezium_encode(d, a.b, &out, &err), 0);
        for (uint32_t i = 0; i < out.nrec; i++)
            recs[i] = (struct sl_record){.topic = "t",
                                         .offset = i,
                                         .timestamp = -1,
                                         .value = sl_fmt_out_rec(&out, i),
                                         .value_len = sl_fmt_out_rec_len(&out, i)};
        size_t done = 0;
        uint32_t r = 0;
        while (done < out.nrec) {
            sl_batch_reset(b.b);
            size_t consumed;
            if (sl_debezium_decode(d, recs + done, out.nrec - done, b.b, NULL, &consumed, &err))
                fail_msg("round %d: %s", round, err.msg);
            for (uint32_t k = 0; k < b.b->rows; k++, r++) {
                uint8_t want = kind[r] == SL_ROW_INSERT || kind[r] == SL_ROW_UPDATE_AFTER
                                   ? SL_ROW_INSERT
                                   : SL_ROW_DELETE;
                assert_int_equal(sl_batch_kind(b.b, k), want);
                assert_true(sl_iot_row_equal(a.b, r, b.b, k));
            }
            done += consumed;
        }
        assert_int_equal(r, n);
    }
    free(recs);
    sl_fmt_out_free(&out);
    sl_debezium_free(d);
    sl_iot_close(&a);
    sl_iot_close(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),       cmocka_unit_test(test_decode_ops),
        cmocka_unit_test(test_bad_records),  cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_one_row_left), cmocka_unit_test(test_prune),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
