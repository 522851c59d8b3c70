/*
 * tests/util/iotest.c - helpers of the record-format tests (see iotest.h).
 */
#include "tests/util/iotest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/datetime.h"
#include "tests/util/testutil.h"

struct sl_schema *sl_iot_schema(void)
{
    const char *names[IOT_NCOLS] = {"b", "i", "l", "d", "m", "n", "t", "s", "r.x", "r.y.z", "k"};
    struct sl_type types[IOT_NCOLS] = {
        sl_type_make(SL_TYPE_BOOLEAN, true),   sl_type_make(SL_TYPE_INT, true),
        sl_type_make(SL_TYPE_BIGINT, true),    sl_type_make(SL_TYPE_DOUBLE, true),
        sl_type_decimal(18, 4, true),          sl_type_decimal(5, 2, true),
        sl_type_make(SL_TYPE_TIMESTAMP, true), sl_type_make(SL_TYPE_VARCHAR, true),
        sl_type_make(SL_TYPE_BIGINT, true),    sl_type_make(SL_TYPE_VARCHAR, true),
        sl_type_make(SL_TYPE_BIGINT, false),
    };
    struct sl_schema *s = sl_schema_new(IOT_NCOLS, names, types);
    assert_non_null(s);
    return s;
}

void sl_iot_open(struct sl_iot *t, struct sl_schema *schema)
{
    t->schema = schema;
    t->heap = sl_heap_new();
    assert_non_null(t->heap);
    t->pool = sl_batch_pool_new(t->heap, schema, 4);
    assert_non_null(t->pool);
    t->b = sl_batch_pool_get(t->pool);
    assert_non_null(t->b);
}

void sl_iot_close(struct sl_iot *t)
{
    sl_batch_pool_put(t->b);
    sl_batch_pool_free(t->pool);
    sl_heap_free(t->heap);
    sl_schema_free(t->schema);
}

struct sl_record sl_iot_rec(const char *value, int64_t offset)
{
    struct sl_record r = {.topic = "t",
                          .partition = 0,
                          .offset = offset,
                          .timestamp = -1,
                          .value = value,
                          .value_len = value ? strlen(value) : 0};
    return r;
}

static const char *const sl_iot_strings[] = {
    "",
    "a",
    "hello, world",
    "quote \" inside",
    "\"\"",
    "line\nbreak",
    "cr\r\nlf",
    "tab\there",
    "back\\slash",
    "ctl\x01\x1f",
    "caf\xc3\xa9",
    "\xe2\x82\xac euro sign and more text",
    "\xf0\x9f\x98\x80",
    "   spaces  ",
    "null",
    "NULL",
    ";semi;",
    "exactly12byt",
    "thirteen byte",
    "{\"json\":[1,2]}",
};

static void sl_iot_fill_str(struct sl_batch *b, struct sl_column *c, uint32_t r, uint64_t *rs)
{
    uint64_t x = sl_test_rand(rs);
    char buf[300];
    size_t n;
    if (x % 4 == 0) { /* random printable + multi-byte text of random length */
        n = (size_t)(x >> 8) % 200;
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(' ' + sl_test_rand(rs) % 95);
        if (n > 3 && x % 3 == 0)
            memcpy(buf + n / 2 - 1, "\xc3\xa9", 2);
    } else {
        const char *s = sl_iot_strings[(x >> 8) % (sizeof(sl_iot_strings) / sizeof(char *))];
        n = strlen(s);
        memcpy(buf, s, n);
    }
    sl_str v = sl_batch_str(b, buf, (uint32_t)n);
    assert_true(sl_str_ok(v));
    sl_col_str(c)[r] = v;
}

void sl_iot_fill(struct sl_batch *b, uint32_t rows, unsigned null_pct, uint64_t *rs)
{
    for (uint32_t i = 0; i < b->ncols; i++) {
        struct sl_column *c = &b->cols[i];
        switch (c->type.id) {
        case SL_TYPE_BOOLEAN:
            for (uint32_t r = 0; r < rows; r++)
                sl_col_bool(c)[r] = sl_test_rand(rs) & 1;
            break;
        case SL_TYPE_INT:
            sl_test_fill_i32(sl_col_i32(c), rows, rs);
            break;
        case SL_TYPE_BIGINT:
            sl_test_fill_i64(sl_col_i64(c), rows, rs);
            break;
        case SL_TYPE_TIMESTAMP: {
            /* Flink's TIMESTAMP range (years 0000-9999): the text formats read no other
             * (engine/core/datetime.h); its ends and the epoch now and then */
            static const int64_t ends[] = {SL_DT_MIN_MS, SL_DT_MAX_MS, -1, 0};
            int64_t *v = sl_col_i64(c);
            sl_test_fill_i64_range(v, rows, SL_DT_MIN_MS, SL_DT_MAX_MS, rs);
            for (uint32_t r = 0; r < rows; r++)
                if (v[r] % 16 == 0)
                    v[r] = ends[(uint64_t)(v[r] / 16) % 4];
            break;
        }
        case SL_TYPE_DOUBLE:
            sl_test_fill_f64(sl_col_f64(c), rows, rs);
            break;
        case SL_TYPE_DECIMAL: {
            int64_t lim = sl_pow10_i64(c->type.precision) - 1;
            sl_test_fill_i64_range(sl_col_i64(c), rows, -lim, lim, rs);
            for (uint32_t r = 0; r < rows; r++) /* the limits now and then */
                if (sl_test_rand(rs) % 16 == 0)
                    sl_col_i64(c)[r] = sl_test_rand(rs) & 1 ? lim : -lim;
            break;
        }
        case SL_TYPE_VARCHAR:
            for (uint32_t r = 0; r < rows; r++)
                sl_iot_fill_str(b, c, r, rs);
            break;
        }
        if (c->valid)
            for (uint32_t r = 0; r < rows; r++)
                sl_col_set_null(c, r, sl_test_rand(rs) % 100 < null_pct);
    }
    b->rows = rows;
}

bool sl_iot_row_equal(struct sl_batch *a, uint32_t ra, struct sl_batch *b, uint32_t rb)
{
    for (uint32_t i = 0; i < a->ncols; i++) {
        struct sl_column *x = &a->cols[i], *y = &b->cols[i];
        bool nx = sl_col_is_null(x, ra), ny = sl_col_is_null(y, rb);
        bool eq = nx == ny;
        if (eq && !nx) {
            switch (x->type.id) {
            case SL_TYPE_BOOLEAN:
                eq = sl_col_bool(x)[ra] == sl_col_bool(y)[rb];
                break;
            case SL_TYPE_INT:
                eq = sl_col_i32(x)[ra] == sl_col_i32(y)[rb];
                break;
            case SL_TYPE_DOUBLE: {
                double u = sl_col_f64(x)[ra], v = sl_col_f64(y)[rb];
                eq = (isnan(u) && isnan(v)) || (u == v && signbit(u) == signbit(v));
                break;
            }
            case SL_TYPE_VARCHAR: {
                const sl_str *u = &sl_col_str(x)[ra], *v = &sl_col_str(y)[rb];
                eq = u->len == v->len && memcmp(sl_str_data(u), sl_str_data(v), u->len) == 0;
                break;
            }
            default:
                eq = sl_col_i64(x)[ra] == sl_col_i64(y)[rb];
            }
        }
        if (!eq) {
            fprintf(stderr, "rows differ in column %u '%s' (null %d/%d)\n", i,
                    a->schema->fields[i].name, nx, ny);
            return false;
        }
    }
    return true;
}

int sl_iot_dlq_cb(void *ctx, const struct sl_record *rec, const char *msg)
{
    struct sl_iot_dlq *q = ctx;
    if (q->fail_with)
        return q->fail_with;
    fprintf(q->f, "%s\n%zu bytes: ", msg, rec->value ? rec->value_len : 0);
    if (rec->value)
        fwrite(rec->value, 1, rec->value_len, q->f);
    fputc('\n', q->f);
    q->count++;
    return 0;
}

char *sl_iot_slurp(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    assert_true(n >= 0);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    rewind(f);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    return s;
}

void sl_iot_round_trip(struct sl_iot *t, void *codec, sl_iot_enc_fn enc, sl_iot_dec_fn dec,
                       uint64_t *rs)
{
    static sl_sel_t sel[SL_BATCH_CAP];
    struct sl_batch *dst = sl_batch_pool_get(t->pool);
    assert_non_null(dst);
    for (size_t li = 0; li < sl_test_nlengths; li++) {
        uint32_t n = sl_test_lengths[li];
        if (n > SL_BATCH_CAP)
            continue;
        for (int rep = 0; rep < 3; rep++) {
            struct sl_batch *src = t->b;
            sl_batch_reset(src);
            sl_iot_fill(src, n, rep == 0 ? 0 : rep == 1 ? 30 : 100, rs);
            uint32_t ns = n;
            if (rep == 1) {
                ns = sl_test_fill_sel(sel, n, 60, rs);
                sl_sel_t *s = sl_batch_sel_next(src);
                memcpy(s, sel, ns * sizeof(*s));
                sl_batch_sel_commit(src, s, ns);
            }
            struct sl_fmt_out out;
            sl_fmt_out_init(&out);
            struct sl_error err;
            if (enc(codec, src, &out, &err))
                fail_msg("encode: %s", err.msg);
            assert_int_equal(out.nrec, ns);
            struct sl_record *recs = calloc(ns + 1, sizeof(*recs));
            assert_non_null(recs);
            for (uint32_t i = 0; i < ns; i++) {
                recs[i] = sl_iot_rec("", i);
                recs[i].value = sl_fmt_out_rec(&out, i);
                recs[i].value_len = sl_fmt_out_rec_len(&out, i);
            }
            sl_batch_reset(dst);
            size_t consumed = 0;
            if (dec(codec, recs, ns, dst, NULL, &consumed, &err))
                fail_msg("decode: %s", err.msg);
            assert_int_equal(consumed, ns);
            assert_int_equal(dst->rows, ns);
            for (uint32_t i = 0; i < ns; i++)
                if (!sl_iot_row_equal(src, src->sel ? src->sel[i] : i, dst, i))
                    fail_msg("row %u of %u differs after a round trip: '%.*s'", i, ns,
                             (int)recs[i].value_len, (const char *)recs[i].value);
            free(recs);
            sl_fmt_out_free(&out);
        }
    }
    sl_batch_pool_put(dst);
}
