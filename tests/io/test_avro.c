/*
 * tests/io/test_avro.c - the avro format: the schema against the one Flink's
 * AvroSchemaConverter writes, the bytes of edge values against libavro (Avro C) as the
 * independent reader and writer, bad records under every policy, truncated and random
 * bytes (a fuzz-style loop; run it under ASan), projection pushdown and random round trips.
 */
#include "tests/util/testutil.h"

#include <avro.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/avro.h"
#include "tests/util/iotest.h"

/* Every type, nullable and NOT NULL. */
static struct sl_schema *all_schema(void)
{
    const char *names[] = {"b",  "i",  "l",  "d",  "m",  "t",  "s",
                           "bn", "in", "ln", "dn", "mn", "tn", "sn"};
    struct sl_type types[] = {
        sl_type_make(SL_TYPE_BOOLEAN, true),    sl_type_make(SL_TYPE_INT, true),
        sl_type_make(SL_TYPE_BIGINT, true),     sl_type_make(SL_TYPE_DOUBLE, true),
        sl_type_decimal(18, 4, true),           sl_type_make(SL_TYPE_TIMESTAMP, true),
        sl_type_make(SL_TYPE_VARCHAR, true),    sl_type_make(SL_TYPE_BOOLEAN, false),
        sl_type_make(SL_TYPE_INT, false),       sl_type_make(SL_TYPE_BIGINT, false),
        sl_type_make(SL_TYPE_DOUBLE, false),    sl_type_decimal(5, 2, false),
        sl_type_make(SL_TYPE_TIMESTAMP, false), sl_type_make(SL_TYPE_VARCHAR, false),
    };
    struct sl_schema *s = sl_schema_new(14, names, types);
    assert_non_null(s);
    return s;
}

/*
 * What Flink 1.20 derives for the same table: AvroSchemaConverter.convertToSchema(rowType)
 * (flink-formats/flink-avro/src/main/java/org/apache/flink/formats/avro/typeutils/
 * AvroSchemaConverter.java): SchemaBuilder.record("org.apache.flink.avro.generated.record"),
 * a nullable field is nullableSchema(T) = union [null, T] .withDefault(null), a NOT NULL one
 * T .noDefault(); BOOLEAN boolean, INT int, BIGINT long, DOUBLE double, VARCHAR string,
 * TIMESTAMP(3) LogicalTypes.timestampMillis() on long (legacy mapping, the default) or
 * localTimestampMillis() (timestamp_mapping.legacy = false), DECIMAL(p,s)
 * LogicalTypes.decimal(p, s) on bytes; the text as Avro Java's Schema.toString() writes it
 * (no spaces; field: name, type, default; logicalType then precision, scale).
 */
#define FLINK_FIELDS(TS)                                                                          \
    "{\"type\":\"record\",\"name\":\"record\",\"namespace\":\"org.apache.flink.avro.generated\"," \
    "\"fields\":["                                                                                \
    "{\"name\":\"b\",\"type\":[\"null\",\"boolean\"],\"default\":null},"                          \
    "{\"name\":\"i\",\"type\":[\"null\",\"int\"],\"default\":null},"                              \
    "{\"name\":\"l\",\"type\":[\"null\",\"long\"],\"default\":null},"                             \
    "{\"name\":\"d\",\"type\":[\"null\",\"double\"],\"default\":null},"                           \
    "{\"name\":\"m\",\"type\":[\"null\",{\"type\":\"bytes\",\"logicalType\":\"decimal\","         \
    "\"precision\":18,\"scale\":4}],\"default\":null},"                                           \
    "{\"name\":\"t\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"" TS "\"}],"         \
    "\"default\":null},"                                                                          \
    "{\"name\":\"s\",\"type\":[\"null\",\"string\"],\"default\":null},"                           \
    "{\"name\":\"bn\",\"type\":\"boolean\"},"                                                     \
    "{\"name\":\"in\",\"type\":\"int\"},"                                                         \
    "{\"name\":\"ln\",\"type\":\"long\"},"                                                        \
    "{\"name\":\"dn\",\"type\":\"double\"},"                                                      \
    "{\"name\":\"mn\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":5,"  \
    "\"scale\":2}},"                                                                              \
    "{\"name\":\"tn\",\"type\":{\"type\":\"long\",\"logicalType\":\"" TS "\"}},"                  \
    "{\"name\":\"sn\",\"type\":\"string\"}]}"

static void test_schema(void **state)
{
    (void)state;
    struct sl_schema *s = all_schema();
    struct sl_error err;
    struct sl_avro *a = sl_avro_new(s, NULL, &err);
    assert_non_null(a);
    assert_string_equal(sl_avro_schema(a), FLINK_FIELDS("timestamp-millis"));
    sl_avro_free(a);
    struct sl_fmt_opts o = {0};
    o.avro_local_timestamp = true;
    a = sl_avro_new(s, &o, &err);
    assert_non_null(a);
    assert_string_equal(sl_avro_schema(a), FLINK_FIELDS("local-timestamp-millis"));
    sl_avro_free(a);
    sl_schema_free(s);

    /* refused: a ROW column's field, a name Avro refuses */
    const char *bad[] = {"r.x", "1a", "a-b", ""};
    const char *why[] = {"field of a ROW column", "not an Avro name", "not an Avro name",
                         "not an Avro name"};
    for (size_t k = 0; k < 4; k++) {
        struct sl_type ty = sl_type_make(SL_TYPE_BIGINT, true);
        struct sl_schema *bs = sl_schema_new(1, &bad[k], &ty);
        assert_null(sl_avro_new(bs, NULL, &err));
        if (!strstr(err.msg, why[k]))
            fail_msg("'%s': %s", bad[k], err.msg);
        sl_schema_free(bs);
    }
}

/* ---- edge values, against libavro ------------------------------------------------------------ */

#define NEDGE 12

static const int32_t e_i[NEDGE] = {0, -1, 1, 63, -64, 64, -65, INT32_MAX, INT32_MIN, 300, -300, 7};
static const int64_t e_l[NEDGE] = {
    0,   -1,  1,   INT64_MAX, INT64_MIN, 1LL << 35, -(1LL << 35), INT64_MAX - 1, INT64_MIN + 1,
    127, 128, -129};
static const double e_d[NEDGE] = {
    0.0, -0.0, 1.5, -1e308, 5e-324, INFINITY, -INFINITY, NAN, 3.141592653589793, -2.5, 1e-300, 42};
/* DECIMAL(18, 4) and (5, 2): the limits of the precision, the byte boundaries of Java's
 * BigInteger.toByteArray (127/128, -128/-129, 32767/32768) */
static const int64_t e_m[NEDGE] = {
    0,   -1,  127, 128, -128, -129, 32767, 32768, 999999999999999999LL, -999999999999999999LL,
    255, -256};
static const int64_t e_mn[NEDGE] = {0,    -1,   99999, -99999, 127, 128,
                                    -128, -129, 256,   -257,   1,   12345};
/* before 1970 (year 1, 1969-12-31 23:59:59.999), 1970, now-ish, year 9999 */
static const int64_t e_t[NEDGE] = {
    0,           -1,      -62135596800000LL, 253402300799999LL, 1700000000123LL,
    -86400000LL, 1,       -2208988800000LL,  951782400000LL,    INT64_MAX / 2,
    -999,        86399999};
static const char *const e_s[NEDGE] = {
    "",       "a",  "héllo wörld",  "0123456789abcdef", "\"q\",\n",
    "日本語", "x",  "twelve bytes", "thirteen byte",    "\xf0\x9f\x98\x80",
    " ",      "end"};

/* Rows 0 .. n-1 of b from edge rows base .. base+n-1: nullable columns NULL on every third. */
static void edge_fill(struct sl_batch *b, uint32_t base, uint32_t n)
{
    for (uint32_t r = 0; r < n; r++) {
        uint32_t g = base + r;
        sl_col_bool(&b->cols[0])[r] = sl_col_bool(&b->cols[7])[r] = g & 1;
        sl_col_i32(&b->cols[1])[r] = sl_col_i32(&b->cols[8])[r] = e_i[g];
        sl_col_i64(&b->cols[2])[r] = sl_col_i64(&b->cols[9])[r] = e_l[g];
        sl_col_f64(&b->cols[3])[r] = sl_col_f64(&b->cols[10])[r] = e_d[g];
        sl_col_i64(&b->cols[4])[r] = e_m[g];
        sl_col_i64(&b->cols[11])[r] = e_mn[g];
        sl_col_i64(&b->cols[5])[r] = sl_col_i64(&b->cols[12])[r] = e_t[g];
        struct sl_error err;
        assert_int_equal(sl_fmt_store_varchar(b, 6, r, e_s[g], strlen(e_s[g]), &err), 0);
        assert_int_equal(sl_fmt_store_varchar(b, 13, r, e_s[g], strlen(e_s[g]), &err), 0);
        for (uint32_t c = 0; c < 7; c++)
            sl_col_set_null(&b->cols[c], r, (g + c) % 3 == 0);
    }
    b->rows = n;
}

/* The unscaled bytes Java's BigInteger.toByteArray writes for v (reference, by its rule:
 * bitLength()/8 + 1 bytes, big-endian two's complement). */
static size_t java_bytes(int64_t v, unsigned char *out)
{
    int bits = 0; /* bitLength: bits of v, excluding the sign bit */
    for (int64_t x = v < 0 ? ~v : v; x; x >>= 1)
        bits++;
    size_t n = (size_t)bits / 8 + 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)((uint64_t)v >> (8 * (n - 1 - i)));
    return n;
}

/* Checks field c of libavro's record value against row r of the edge batch. */
static void check_libavro_field(avro_value_t *rec, uint32_t c, uint32_t r)
{
    avro_value_t f, v;
    assert_int_equal(avro_value_get_by_index(rec, c, &f, NULL), 0);
    if (c < 7) {
        int disc;
        assert_int_equal(avro_value_get_discriminant(&f, &disc), 0);
        bool is_null = (r + c) % 3 == 0;
        assert_int_equal(disc, is_null ? 0 : 1);
        if (is_null)
            return;
        assert_int_equal(avro_value_get_current_branch(&f, &v), 0);
    } else {
        v = f;
    }
    int bv;
    int32_t iv;
    int64_t lv;
    double dv;
    const void *bytes;
    const char *str;
    size_t n;
    unsigned char jb[9];
    switch (c % 7) {
    case 0:
        assert_int_equal(avro_value_get_boolean(&v, &bv), 0);
        assert_int_equal(bv, (int)(r & 1));
        break;
    case 1:
        assert_int_equal(avro_value_get_int(&v, &iv), 0);
        assert_int_equal(iv, e_i[r]);
        break;
    case 2:
        assert_int_equal(avro_value_get_long(&v, &lv), 0);
        assert_true(lv == e_l[r]);
        break;
    case 3:
        assert_int_equal(avro_value_get_double(&v, &dv), 0);
        assert_memory_equal(&dv, &e_d[r], 8);
        break;
    case 4:
        assert_int_equal(avro_value_get_bytes(&v, &bytes, &n), 0);
        assert_int_equal(n, java_bytes(c == 4 ? e_m[r] : e_mn[r], jb));
        assert_memory_equal(bytes, jb, n);
        break;
    case 5:
        assert_int_equal(avro_value_get_long(&v, &lv), 0);
        assert_true(lv == e_t[r]);
        break;
    default:
        assert_int_equal(avro_value_get_string(&v, &str, &n), 0);
        assert_int_equal(n, strlen(e_s[r]) + 1); /* libavro counts the NUL */
        assert_memory_equal(str, e_s[r], n - 1);
        break;
    }
}

/* Row `row` of b against edge row r. */
static void check_edge_row(struct sl_batch *b, uint32_t row, uint32_t r)
{
    for (uint32_t c = 0; c < 14; c++) {
        struct sl_column *col = &b->cols[c];
        if (c < 7 && (r + c) % 3 == 0) {
            assert_true(sl_col_is_null(col, row));
            continue;
        }
        assert_false(sl_col_is_null(col, row));
        switch (c % 7) {
        case 0:
            assert_int_equal(sl_col_bool(col)[row], r & 1);
            break;
        case 1:
            assert_int_equal(sl_col_i32(col)[row], e_i[r]);
            break;
        case 2:
            assert_true(sl_col_i64(col)[row] == e_l[r]);
            break;
        case 3:
            assert_memory_equal(&sl_col_f64(col)[row], &e_d[r], 8);
            break;
        case 4:
            assert_true(sl_col_i64(col)[row] == (c == 4 ? e_m[r] : e_mn[r]));
            break;
        case 5:
            assert_true(sl_col_i64(col)[row] == e_t[r]);
            break;
        default:
            assert_int_equal(sl_col_str(col)[row].len, strlen(e_s[r]));
            assert_memory_equal(sl_str_data(&sl_col_str(col)[row]), e_s[r], strlen(e_s[r]));
            break;
        }
    }
}

/* sluice writes, libavro reads (and writes back the same bytes); sluice reads its own. */
static void test_edges_vs_libavro(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, all_schema());
    struct sl_error err;
    struct sl_avro *a = sl_avro_new(t.schema, NULL, &err);
    assert_non_null(a);
    avro_schema_t sch;
    const char *js = sl_avro_schema(a);
    assert_int_equal(avro_schema_from_json_length(js, strlen(js), &sch), 0);
    avro_value_iface_t *iface = avro_generic_class_from_schema(sch);
    assert_non_null(iface);
    avro_value_t v;
    assert_int_equal(avro_generic_value_new(iface, &v), 0);
    char back[512];
    for (uint32_t base = 0; base < NEDGE; base += 2) { /* SL_BATCH_CAP may be 2 */
        edge_fill(t.b, base, 2);
        struct sl_fmt_out out;
        sl_fmt_out_init(&out);
        assert_int_equal(sl_avro_encode(a, t.b, &out, &err), 0);
        assert_int_equal(out.nrec, 2);
        struct sl_record recs[2];
        for (uint32_t r = 0; r < 2; r++) {
            avro_reader_t rd =
                avro_reader_memory(sl_fmt_out_rec(&out, r), (int64_t)sl_fmt_out_rec_len(&out, r));
            if (avro_value_read(rd, &v) != 0)
                fail_msg("row %u: libavro cannot read it: %s", base + r, avro_strerror());
            avro_reader_free(rd);
            for (uint32_t c = 0; c < 14; c++)
                check_libavro_field(&v, c, base + r);
            avro_writer_t wr = avro_writer_memory(back, sizeof(back));
            assert_int_equal(avro_value_write(wr, &v), 0);
            assert_int_equal((size_t)avro_writer_tell(wr), sl_fmt_out_rec_len(&out, r));
            assert_memory_equal(back, sl_fmt_out_rec(&out, r), sl_fmt_out_rec_len(&out, r));
            avro_writer_free(wr);
            recs[r] = (struct sl_record){.topic = "t",
                                         .offset = base + r,
                                         .timestamp = -1,
                                         .value = sl_fmt_out_rec(&out, r),
                                         .value_len = sl_fmt_out_rec_len(&out, r)};
        }
        for (uint32_t r = 0; r < 2; r++) {
            struct sl_batch *b = sl_batch_pool_get(t.pool);
            size_t got;
            assert_int_equal(sl_avro_decode(a, &recs[r], 1, b, NULL, &got, &err), 0);
            assert_int_equal(b->rows, 1);
            check_edge_row(b, 0, base + r);
            sl_batch_pool_put(b);
        }
        sl_fmt_out_free(&out);
    }
    avro_value_decref(&v);
    avro_value_iface_decref(iface);
    avro_schema_decref(sch);
    sl_avro_free(a);
    sl_iot_close(&t);
}

/* libavro writes (a record built with its generic value API), sluice reads. */
static void test_libavro_writes(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, all_schema());
    struct sl_error err;
    struct sl_avro *a = sl_avro_new(t.schema, NULL, &err);
    avro_schema_t sch;
    assert_int_equal(
        avro_schema_from_json_length(sl_avro_schema(a), strlen(sl_avro_schema(a)), &sch), 0);
    avro_value_iface_t *iface = avro_generic_class_from_schema(sch);
    avro_value_t v, f, br;
    assert_int_equal(avro_generic_value_new(iface, &v), 0);
    for (uint32_t r = 0; r < NEDGE; r++) {
        for (uint32_t c = 0; c < 14; c++) {
            assert_int_equal(avro_value_get_by_index(&v, c, &f, NULL), 0);
            if (c < 7) {
                bool is_null = (r + c) % 3 == 0;
                assert_int_equal(avro_value_set_branch(&f, is_null ? 0 : 1, &br), 0);
                if (is_null) {
                    assert_int_equal(avro_value_set_null(&br), 0);
                    continue;
                }
            } else {
                br = f;
            }
            unsigned char jb[9];
            switch (c % 7) {
            case 0:
                avro_value_set_boolean(&br, (int)(r & 1));
                break;
            case 1:
                avro_value_set_int(&br, e_i[r]);
                break;
            case 2:
                avro_value_set_long(&br, e_l[r]);
                break;
            case 3:
                avro_value_set_double(&br, e_d[r]);
                break;
            case 4: {
                size_t n = java_bytes(c == 4 ? e_m[r] : e_mn[r], jb);
                avro_value_set_bytes(&br, jb, n);
                break;
            }
            case 5:
                avro_value_set_long(&br, e_t[r]);
                break;
            default:
                avro_value_set_string_len(&br, e_s[r], strlen(e_s[r]) + 1);
                break;
            }
        }
        char buf[512];
        avro_writer_t wr = avro_writer_memory(buf, sizeof(buf));
        assert_int_equal(avro_value_write(wr, &v), 0);
        struct sl_record rec = {.topic = "t",
                                .partition = 0,
                                .offset = r,
                                .timestamp = -1,
                                .value = buf,
                                .value_len = (size_t)avro_writer_tell(wr)};
        avro_writer_free(wr);
        struct sl_batch *b = sl_batch_pool_get(t.pool);
        size_t got;
        if (sl_avro_decode(a, &rec, 1, b, NULL, &got, &err) != 0)
            fail_msg("row %u: %s", r, err.msg);
        assert_int_equal(b->rows, 1);
        check_edge_row(b, 0, r);
        sl_batch_pool_put(b);
    }
    avro_value_decref(&v);
    avro_value_iface_decref(iface);
    avro_schema_decref(sch);
    sl_avro_free(a);
    sl_iot_close(&t);
}

/* ---- bad records ----------------------------------------------------------------------------- */

/* (id BIGINT NOT NULL, name VARCHAR, ok BOOLEAN, m DECIMAL(3,1), i INT) */
static struct sl_schema *small_schema(void)
{
    const char *names[] = {"id", "name", "ok", "m", "i"};
    struct sl_type types[] = {sl_type_make(SL_TYPE_BIGINT, false),
                              sl_type_make(SL_TYPE_VARCHAR, true),
                              sl_type_make(SL_TYPE_BOOLEAN, true), sl_type_decimal(3, 1, true),
                              sl_type_make(SL_TYPE_INT, true)};
    return sl_schema_new(5, names, types);
}

/* id 7 (zig-zag 14), name 'ab', ok NULL, m 12.3 (123 = 0x7b), i -2 (zig-zag 3) */
static const unsigned char good[] = {14, 2, 4, 'a', 'b', 0, 2, 2, 0x7b, 2, 3};

struct bad_case {
    size_t len;
    const unsigned char bytes[24];
    const char *expect;
};

static const struct bad_case bad_cases[] = {
    {10, {14, 2, 4, 'a', 'b', 0, 2, 2, 0x7b, 2}, "field 'i' (INT): the record ends inside"},
    {12, {14, 2, 4, 'a', 'b', 0, 2, 2, 0x7b, 2, 3, 9}, "1 bytes left after the last field"},
    {11, {14, 4, 4, 'a', 'b', 0, 2, 2, 0x7b, 2, 3}, "field 'name' (VARCHAR): union index 2"},
    {11, {14, 2, 3, 'a', 'b', 0, 2, 2, 0x7b, 2, 3}, "field 'name' (VARCHAR): negative length"},
    {11, {14, 2, 40, 'a', 'b', 0, 2, 2, 0x7b, 2, 3}, "the record ends inside the field"},
    {11, {14, 2, 4, 0xc3, 0x28, 0, 2, 2, 0x7b, 2, 3}, "invalid UTF-8"},
    {12, {14, 2, 4, 'a', 'b', 2, 7, 2, 2, 0x7b, 2, 3}, "BOOLEAN byte is not 0 or 1"},
    {11, {14, 2, 4, 'a', 'b', 0, 2, 0, 0x7b, 2, 3}, "DECIMAL of zero bytes"},
    {12, {14, 2, 4, 'a', 'b', 0, 2, 4, 0x03, 0xe8, 2, 3}, "exceeds the DECIMAL precision"},
    {13, {14, 2, 4, 'a', 'b', 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0x10}, "out of the int range"},
    {14, {14, 2, 4, 'a', 'b', 0, 0, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0}, "longer than 5 bytes"},
    {11, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0}, "longer than 10 bytes"},
    {10, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, "longer than 10 bytes"},
    {1, {14}, "field 'name' (VARCHAR): the record ends before the field"},
};

static void test_bad_records(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        for (int pol = 0; pol < 3; pol++) {
            struct sl_iot t;
            sl_iot_open(&t, small_schema());
            struct sl_error err;
            struct sl_avro *a = sl_avro_new(t.schema, NULL, &err);
            assert_non_null(a);
            struct sl_record recs[3] = {
                {.topic = "t",
                 .partition = 1,
                 .offset = 40,
                 .timestamp = -1,
                 .value = good,
                 .value_len = sizeof(good)},
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
                 .value = good,
                 .value_len = sizeof(good)},
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
                rc = sl_avro_decode(a, recs + consumed, 3 - consumed, b, &bad, &got, &err);
                for (uint32_t r = 0; r < b->rows; r++, rows++) {
                    assert_int_equal(sl_col_i64(&b->cols[0])[r], 7);
                    assert_memory_equal(sl_str_data(&sl_col_str(&b->cols[1])[r]), "ab", 2);
                    assert_true(sl_col_is_null(&b->cols[2], r));
                    assert_int_equal(sl_col_i64(&b->cols[3])[r], 123);
                    assert_int_equal(sl_col_i32(&b->cols[4])[r], -2);
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
                if (rc != 0)
                    fail_msg("case %zu policy %d: rc %d '%s'", i, pol, rc, err.msg);
                assert_int_equal(rows, 2);
                assert_int_equal(bad.skipped + bad.dead_lettered, 1);
                assert_int_equal(q.count, pol == SL_BADREC_DEAD_LETTER);
            }
            fclose(q.f);
            sl_avro_free(a);
            sl_iot_close(&t);
        }
    }
}

/* A non-canonical union index (0x82 0x00 is 1 in two bytes) is read as Avro Java reads it. */
static void test_long_union_index(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, small_schema());
    struct sl_error err;
    struct sl_avro *a = sl_avro_new(t.schema, NULL, &err);
    static const unsigned char rec[] = {14, 0x82, 0x00, 4, 'a', 'b', 0x80, 0x00, 0, 0};
    struct sl_record r = {.topic = "t",
                          .partition = 0,
                          .offset = 0,
                          .timestamp = -1,
                          .value = rec,
                          .value_len = sizeof(rec)};
    size_t got;
    if (sl_avro_decode(a, &r, 1, t.b, NULL, &got, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(t.b->rows, 1);
    assert_memory_equal(sl_str_data(&sl_col_str(&t.b->cols[1])[0]), "ab", 2);
    assert_true(sl_col_is_null(&t.b->cols[2], 0));
    assert_true(sl_col_is_null(&t.b->cols[3], 0));
    sl_avro_free(a);
    sl_iot_close(&t);
}

/* ---- fuzz: truncated, mutated and random bytes ------------------------------------------------
 */

static void test_fuzz(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, all_schema());
    struct sl_error err;
    struct sl_avro *a = sl_avro_new(t.schema, NULL, &err);
    uint64_t rs = 77;
    sl_iot_fill(t.b, SL_BATCH_CAP < 8 ? SL_BATCH_CAP : 8, 30, &rs);
    struct sl_fmt_out out;
    sl_fmt_out_init(&out);
    assert_int_equal(sl_avro_encode(a, t.b, &out, &err), 0);
    struct sl_badrec bad;
    sl_badrec_init(&bad, SL_BADREC_SKIP, NULL, NULL);
    unsigned char buf[4096];
    size_t decoded_mutants = 0;
    for (uint32_t k = 0; k < out.nrec; k++) {
        size_t len = sl_fmt_out_rec_len(&out, k);
        assert_true(len <= sizeof(buf));
        /* every proper prefix is a bad record: each field takes at least one byte */
        for (size_t n = 0; n < len; n++) {
            unsigned char *p = malloc(n ? n : 1); /* exact size: ASan sees any over-read */
            memcpy(p, sl_fmt_out_rec(&out, k), n);
            struct sl_record r = {.topic = "t",
                                  .partition = 0,
                                  .offset = (int64_t)n,
                                  .timestamp = -1,
                                  .value = p,
                                  .value_len = n};
            struct sl_batch *b = sl_batch_pool_get(t.pool);
            size_t got;
            uint64_t before = bad.skipped;
            assert_int_equal(sl_avro_decode(a, &r, 1, b, &bad, &got, &err), 0);
            assert_int_equal(b->rows, 0);
            assert_int_equal(bad.skipped, before + 1);
            sl_batch_pool_put(b);
            free(p);
        }
        /* mutations: a byte or two changed; whatever comes out, no crash, and a record that
         * decodes is one the encoder writes back in as many bytes or fewer (canonical) */
        for (int m = 0; m < 300; m++) {
            unsigned char *p = malloc(len);
            memcpy(p, sl_fmt_out_rec(&out, k), len);
            p[sl_test_rand(&rs) % len] = (unsigned char)sl_test_rand(&rs);
            if (m & 1)
                p[sl_test_rand(&rs) % len] ^= (unsigned char)(1u << (sl_test_rand(&rs) % 8));
            struct sl_record r = {.topic = "t",
                                  .partition = 0,
                                  .offset = m,
                                  .timestamp = -1,
                                  .value = p,
                                  .value_len = len};
            struct sl_batch *b = sl_batch_pool_get(t.pool);
            size_t got;
            assert_int_equal(sl_avro_decode(a, &r, 1, b, &bad, &got, &err), 0);
            if (b->rows == 1) {
                decoded_mutants++;
                struct sl_fmt_out o2;
                sl_fmt_out_init(&o2);
                assert_int_equal(sl_avro_encode(a, b, &o2, &err), 0);
                assert_true(o2.len <= len);
                sl_fmt_out_free(&o2);
            }
            sl_batch_pool_put(b);
            free(p);
        }
    }
    /* random bytes of random lengths */
    for (int m = 0; m < 20000; m++) {
        size_t len = 1 + sl_test_rand(&rs) % 96;
        unsigned char *p = malloc(len);
        for (size_t i = 0; i < len; i++)
            p[i] = (unsigned char)sl_test_rand(&rs);
        if (m & 1) /* mostly valid union indexes, to get deeper into the record */
            for (size_t i = 0; i < len; i += 3)
                p[i] = (unsigned char)(sl_test_rand(&rs) & 2);
        struct sl_record r = {.topic = "t",
                              .partition = 0,
                              .offset = m,
                              .timestamp = -1,
                              .value = p,
                              .value_len = len};
        struct sl_batch *b = sl_batch_pool_get(t.pool);
        size_t got;
        assert_int_equal(sl_avro_decode(a, &r, 1, b, &bad, &got, &err), 0);
        assert_int_equal(got, 1);
        sl_batch_pool_put(b);
        free(p);
    }
    assert_true(decoded_mutants > 0);
    sl_fmt_out_free(&out);
    sl_avro_free(a);
    sl_iot_close(&t);
}

/* ---- projection pushdown, round trips ---------------------------------------------------------
 */

static void test_prune(void **state)
{
    (void)state;
    struct sl_iot t;
    sl_iot_open(&t, small_schema());
    struct sl_error err;
    struct sl_avro *a = sl_avro_new(t.schema, NULL, &err);
    bool need[5] = {false, false, false, false, true};
    sl_avro_prune(a, need, 5);
    /* 'ok' byte 7 and 'm' 100.0 (beyond DECIMAL(3,1)) are not checked: not read */
    static const unsigned char rec[] = {14, 2, 4, 'a', 'b', 2, 7, 2, 4, 0x03, 0xe8, 2, 3};
    struct sl_record r = {.topic = "t",
                          .partition = 0,
                          .offset = 0,
                          .timestamp = -1,
                          .value = rec,
                          .value_len = sizeof(rec)};
    size_t got;
    if (sl_avro_decode(a, &r, 1, t.b, NULL, &got, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(t.b->rows, 1);
    assert_int_equal(sl_col_i64(&t.b->cols[0])[0], 7); /* NOT NULL: always decoded */
    assert_true(sl_col_is_null(&t.b->cols[1], 0));
    assert_true(sl_col_is_null(&t.b->cols[2], 0));
    assert_true(sl_col_is_null(&t.b->cols[3], 0));
    assert_int_equal(sl_col_i32(&t.b->cols[4])[0], -2);
    /* the structure is still checked: invalid UTF-8 in a column not read */
    static const unsigned char bad[] = {14, 2, 4, 0xc3, 0x28, 0, 0, 2, 3};
    struct sl_record rb = {.topic = "t",
                           .partition = 0,
                           .offset = 1,
                           .timestamp = -1,
                           .value = bad,
                           .value_len = sizeof(bad)};
    struct sl_batch *b = sl_batch_pool_get(t.pool);
    assert_int_equal(sl_avro_decode(a, &rb, 1, b, NULL, &got, &err), SL_EPARSE);
    sl_batch_pool_put(b);
    sl_avro_free(a);
    sl_iot_close(&t);
}

static int enc(void *codec, struct sl_batch *b, struct sl_fmt_out *out, struct sl_error *err)
{
    return sl_avro_encode(codec, b, out, err);
}

static int dec(void *codec, const struct sl_record *recs, size_t n, struct sl_batch *b,
               struct sl_badrec *bad, size_t *consumed, struct sl_error *err)
{
    return sl_avro_decode(codec, recs, n, b, bad, consumed, err);
}

static void test_round_trip(void **state)
{
    (void)state;
    uint64_t rs = 4242;
    struct sl_iot t;
    sl_iot_open(&t, all_schema());
    struct sl_error err;
    struct sl_avro *a = sl_avro_new(t.schema, NULL, &err);
    sl_iot_round_trip(&t, a, enc, dec, &rs);
    sl_avro_free(a);
    sl_iot_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_edges_vs_libavro),
        cmocka_unit_test(test_libavro_writes),
        cmocka_unit_test(test_bad_records),
        cmocka_unit_test(test_long_union_index),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
