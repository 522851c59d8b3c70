/*
 * io/avro.c - the Avro record format (schema mapping and bad records in avro.h).
 *
 * The binary encoding of a flat record is a run of fields with no framing, so decoding is
 * one pass over the bytes with a switch per column: a union index byte (0x00 NULL, 0x02
 * value - the common spellings, any other varint taken the slow way), then the value read
 * straight into the column. No libavro call is made per record: libavro's generic value
 * API builds a value tree per datum, which the columnar decoder does not need; it is used
 * once per codec, to parse the schema sluice wrote (a check that sluice's text is a schema
 * Avro accepts), and by the tests as the independent reference for the bytes.
 *
 * Projection pushdown (sl_avro_prune): every field is still walked (a later field's bytes
 * are found only by reading the earlier ones), with its union index, lengths and its UTF-8
 * checked; a column not needed is not stored, and its value checks are not made.
 * sl_avro_decode then makes it NULL for every row it appended (sl_fmt_mask_fill).
 */
#include "io/avro.h"

#include <avro.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "avro format: doubles are copied as little-endian bytes");

struct sl_avro {
    const struct sl_schema *schema;
    size_t max_bytes;
    uint32_t ncols;
    char *json;              /* the Avro schema's JSON text */
    struct sl_fmt_mask mask; /* projection pushdown: the columns decoded */
};

/* ---- the schema ----------------------------------------------------------------------------- */

struct sl_avro_buf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void sl_avro_buf_printf(struct sl_avro_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sl_avro_buf_printf(struct sl_avro_buf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = true;
            return;
        }
        if (b->s && (size_t)k < b->cap - b->len) {
            b->len += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + (size_t)k + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = true;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

/* Avro's name rule (specification, "Names"): [A-Za-z_][A-Za-z0-9_]*. */
static bool sl_avro_name_ok(const char *n)
{
    if (!((n[0] >= 'A' && n[0] <= 'Z') || (n[0] >= 'a' && n[0] <= 'z') || n[0] == '_'))
        return false;
    for (const char *p = n + 1; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return true;
}

/* The schema's JSON text as Avro Java's Schema.toString() writes what Flink's
 * AvroSchemaConverter.convertToSchema builds (field: name, type, default; a logical type's
 * properties in the order LogicalType.addToSchema adds them). NULL when out of memory. */
static char *sl_avro_schema_json(const struct sl_schema *schema, bool local_ts)
{
    struct sl_avro_buf b = {0};
    sl_avro_buf_printf(&b, "{\"type\":\"record\",\"name\":\"record\","
                           "\"namespace\":\"org.apache.flink.avro.generated\",\"fields\":[");
    for (uint32_t i = 0; i < schema->ncols; i++) {
        const struct sl_field *f = &schema->fields[i];
        char t[96];
        switch ((sl_type_id)f->type.id) {
        case SL_TYPE_BOOLEAN:
            snprintf(t, sizeof(t), "\"boolean\"");
            break;
        case SL_TYPE_INT:
            snprintf(t, sizeof(t), "\"int\"");
            break;
        case SL_TYPE_BIGINT:
            snprintf(t, sizeof(t), "\"long\"");
            break;
        case SL_TYPE_DOUBLE:
            snprintf(t, sizeof(t), "\"double\"");
            break;
        case SL_TYPE_DECIMAL:
            snprintf(t, sizeof(t),
                     "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":%u,"
                     "\"scale\":%u}",
                     f->type.precision, f->type.scale);
            break;
        case SL_TYPE_TIMESTAMP:
            snprintf(t, sizeof(t), "{\"type\":\"long\",\"logicalType\":\"%s\"}",
                     local_ts ? "local-timestamp-millis" : "timestamp-millis");
            break;
        default: /* VARCHAR */
            snprintf(t, sizeof(t), "\"string\"");
            break;
        }
        if (f->type.nullable)
            sl_avro_buf_printf(&b, "%s{\"name\":\"%s\",\"type\":[\"null\",%s],\"default\":null}",
                               i ? "," : "", f->name, t);
        else
            sl_avro_buf_printf(&b, "%s{\"name\":\"%s\",\"type\":%s}", i ? "," : "", f->name, t);
    }
    sl_avro_buf_printf(&b, "]}");
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

struct sl_avro *sl_avro_new(const struct sl_schema *schema, const struct sl_fmt_opts *opts,
                            struct sl_error *err)
{
    for (uint32_t i = 0; i < schema->ncols; i++) {
        const struct sl_field *f = &schema->fields[i];
        if (f->type.id >= SL_TYPE_COUNT) {
            sl_error_set(err, SL_ENOTSUP, "avro format: field '%s' has an unknown type", f->name);
            return NULL;
        }
        if (strchr(f->name, '.')) {
            sl_error_set(err, SL_ENOTSUP,
                         "avro format: field '%s' is a field of a ROW column; sluice's avro "
                         "format has no nested records (use 'json' for ROW columns)",
                         f->name);
            return NULL;
        }
        if (!sl_avro_name_ok(f->name)) {
            sl_error_set(err, SL_ENOTSUP,
                         "avro format: column name '%s' is not an Avro name "
                         "([A-Za-z_][A-Za-z0-9_]*)",
                         f->name);
            return NULL;
        }
    }
    struct sl_avro *a = calloc(1, sizeof(*a));
    if (!a) {
        sl_error_set(err, SL_ENOMEM, "out of memory");
        return NULL;
    }
    a->schema = schema;
    a->ncols = schema->ncols;
    a->max_bytes =
        opts && opts->max_record_bytes ? opts->max_record_bytes : SL_FMT_DEFAULT_MAX_RECORD;
    a->json = sl_avro_schema_json(schema, opts && opts->avro_local_timestamp);
    if (!a->json || sl_fmt_mask_init(&a->mask, schema)) {
        sl_error_set(err, SL_ENOMEM, "out of memory");
        sl_avro_free(a);
        return NULL;
    }
    avro_schema_t parsed;
    if (avro_schema_from_json_length(a->json, strlen(a->json), &parsed) != 0) {
        sl_error_set(err, SL_EINVAL, "avro format: libavro refuses the schema %s: %s", a->json,
                     avro_strerror());
        sl_avro_free(a);
        return NULL;
    }
    avro_schema_decref(parsed);
    return a;
}

void sl_avro_free(struct sl_avro *avro)
{
    if (!avro)
        return;
    free(avro->json);
    sl_fmt_mask_free(&avro->mask);
    free(avro);
}

const char *sl_avro_schema(const struct sl_avro *avro)
{
    return avro->json;
}

/* ---- decoding ------------------------------------------------------------------------------- */

void sl_avro_prune(struct sl_avro *avro, const bool *needed, uint32_t ncols)
{
    sl_fmt_mask_set(&avro->mask, needed, ncols);
}

enum { SL_AVRO_SHORT = 1, SL_AVRO_OVERLONG = 2 };

/* Reads a varint of at most `maxb` bytes at *pp (before end) into *out (not yet zig-zag
 * decoded) and advances *pp. Returns 0, SL_AVRO_SHORT (the data ends inside it) or
 * SL_AVRO_OVERLONG (more than maxb bytes, or bits past 64). */
static inline int sl_avro_varint(const unsigned char **pp, const unsigned char *end, int maxb,
                                 uint64_t *out)
{
    const unsigned char *p = *pp;
    if (p < end && *p < 0x80) {
        *out = *p;
        *pp = p + 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < maxb; i++) {
        if (p == end)
            return SL_AVRO_SHORT;
        unsigned c = *p++;
        v |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            if (i == 9 && c > 1)
                return SL_AVRO_OVERLONG;
            *out = v;
            *pp = p;
            return 0;
        }
    }
    return SL_AVRO_OVERLONG;
}

static inline int64_t sl_avro_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static int sl_avro_field_err(struct sl_error *err, int code, const struct sl_field *f,
                             const char *why)
{
    return sl_fmt_field_error(err, code, f, why, NULL, 0);
}

/* A varint failure as an error of field f. */
static int sl_avro_varint_err(struct sl_error *err, int rc, const struct sl_field *f, int maxb)
{
    if (rc == SL_AVRO_SHORT)
        return sl_avro_field_err(err, SL_ECORRUPT, f, "the record ends inside the field");
    return sl_avro_field_err(err, SL_ECORRUPT, f,
                             maxb == 5 ? "varint longer than 5 bytes (an Avro int)"
                                       : "varint longer than 10 bytes (an Avro long)");
}

/* A DECIMAL's unscaled bytes (big-endian two's complement, n > 0) as an int64: 0, or 1
 * when the value needs more than 64 bits. Leading bytes that only extend the sign are
 * skipped. */
static int sl_avro_unscaled(const unsigned char *s, size_t n, int64_t *out)
{
    while (n > 1 && ((s[0] == 0x00 && !(s[1] & 0x80)) || (s[0] == 0xff && (s[1] & 0x80)))) {
        s++;
        n--;
    }
    if (n > 8)
        return 1;
    uint64_t v = (s[0] & 0x80) ? ~(uint64_t)0 : 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | s[i];
    *out = (int64_t)v;
    return 0;
}

static int sl_avro_row(void *codec, const char *data, size_t len, struct sl_batch *b, uint32_t row,
                       struct sl_error *err)
{
    struct sl_avro *a = codec;
    const struct sl_field *fields = a->schema->fields;
    const bool *need = a->mask.need;
    const unsigned char *p = (const unsigned char *)data, *end = p + len;
    for (uint32_t i = 0; i < a->ncols; i++) {
        const struct sl_field *f = &fields[i];
        struct sl_column *c = &b->cols[i];
        uint64_t u;
        int rc;
        if (f->type.nullable) {
            if (p == end)
                return sl_avro_field_err(err, SL_ECORRUPT, f, "the record ends before the field");
            if (*p == 0x00) { /* union branch 0: null */
                p++;
                if (need[i])
                    sl_col_set_null(c, row, true);
                continue;
            }
            if (*p == 0x02) { /* union branch 1: the value */
                p++;
            } else {
                rc = sl_avro_varint(&p, end, 10, &u);
                if (rc)
                    return sl_avro_varint_err(err, rc, f, 10);
                int64_t k = sl_avro_unzigzag(u);
                if (k == 0) {
                    if (need[i])
                        sl_col_set_null(c, row, true);
                    continue;
                }
                if (k != 1) {
                    char why[64];
                    snprintf(why, sizeof(why), "union index %lld (the union has 0 and 1)",
                             (long long)k);
                    return sl_avro_field_err(err, SL_ECORRUPT, f, why);
                }
            }
        }
        switch ((sl_type_id)f->type.id) {
        case SL_TYPE_BOOLEAN:
            if (p == end)
                return sl_avro_field_err(err, SL_ECORRUPT, f, "the record ends inside the field");
            if (need[i]) {
                if (*p > 1)
                    return sl_fmt_field_error(err, SL_ECORRUPT, f, "BOOLEAN byte is not 0 or 1",
                                              (const char *)p, 1);
                sl_col_bool(c)[row] = *p;
            }
            p++;
            break;
        case SL_TYPE_INT:
            rc = sl_avro_varint(&p, end, 5, &u);
            if (rc)
                return sl_avro_varint_err(err, rc, f, 5);
            if (need[i]) {
                int64_t v = sl_avro_unzigzag(u);
                if (v < INT32_MIN || v > INT32_MAX)
                    return sl_avro_field_err(err, SL_ERANGE, f, "varint out of the int range");
                sl_col_i32(c)[row] = (int32_t)v;
            }
            break;
        case SL_TYPE_BIGINT:
        case SL_TYPE_TIMESTAMP:
            rc = sl_avro_varint(&p, end, 10, &u);
            if (rc)
                return sl_avro_varint_err(err, rc, f, 10);
            if (need[i])
                sl_col_i64(c)[row] = sl_avro_unzigzag(u);
            break;
        case SL_TYPE_DOUBLE:
            if ((size_t)(end - p) < 8)
                return sl_avro_field_err(err, SL_ECORRUPT, f, "the record ends inside the field");
            if (need[i])
                memcpy(&sl_col_f64(c)[row], p, 8);
            p += 8;
            break;
        default: { /* DECIMAL, VARCHAR: a length, then bytes */
            rc = sl_avro_varint(&p, end, 10, &u);
            if (rc)
                return sl_avro_varint_err(err, rc, f, 10);
            int64_t n = sl_avro_unzigzag(u);
            if (n < 0)
                return sl_avro_field_err(err, SL_ECORRUPT, f, "negative length");
            if ((uint64_t)n > (uint64_t)(end - p))
                return sl_avro_field_err(err, SL_ECORRUPT, f, "the record ends inside the field");
            const unsigned char *s = p;
            p += n;
            if (f->type.id == SL_TYPE_VARCHAR) {
                if (!sl_fmt_utf8_valid((const char *)s, (size_t)n))
                    return sl_fmt_field_error(err, SL_EPARSE, f, "invalid UTF-8", (const char *)s,
                                              (size_t)n);
                if (need[i]) {
                    rc = sl_fmt_store_varchar(b, i, row, (const char *)s, (size_t)n, err);
                    if (rc)
                        return rc;
                }
            } else if (need[i]) {
                int64_t v;
                if (n == 0)
                    return sl_avro_field_err(err, SL_ECORRUPT, f, "DECIMAL of zero bytes");
                if (sl_avro_unscaled(s, (size_t)n, &v) ||
                    !sl_fmt_decimal_fits(v, f->type.precision))
                    return sl_avro_field_err(err, SL_ERANGE, f, "exceeds the DECIMAL precision");
                sl_col_i64(c)[row] = v;
            }
            break;
        }
        }
        if (need[i] && c->valid)
            sl_col_set_null(c, row, false);
    }
    if (p != end)
        return sl_error_set(err, SL_ECORRUPT,
                            "avro record: %zu bytes left after the last field (written with "
                            "another schema?)",
                            (size_t)(end - p));
    return 0;
}

int sl_avro_decode(struct sl_avro *avro, const struct sl_record *recs, size_t n, struct sl_batch *b,
                   struct sl_badrec *bad, size_t *consumed, struct sl_error *err)
{
    uint32_t rows0 = b->rows;
    int rc =
        sl_fmt_decode_records(sl_avro_row, avro, avro->max_bytes, recs, n, b, bad, consumed, err);
    sl_fmt_mask_fill(&avro->mask, b, rows0, b->rows);
    return rc;
}

/* ---- encoding ------------------------------------------------------------------------------- */

static inline unsigned char *sl_avro_put_long(unsigned char *o, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    while (z >= 0x80) {
        *o++ = (unsigned char)(z | 0x80);
        z >>= 7;
    }
    *o++ = (unsigned char)z;
    return o;
}

/* A DECIMAL's unscaled value as Java's BigInteger.toByteArray: big-endian two's complement,
 * the fewest bytes that keep the sign (0 is one byte 0x00). */
static inline unsigned char *sl_avro_put_unscaled(unsigned char *o, int64_t v)
{
    unsigned char be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
    int k = 0;
    while (k < 7 &&
           ((be[k] == 0x00 && !(be[k + 1] & 0x80)) || (be[k] == 0xff && (be[k + 1] & 0x80))))
        k++;
    *o++ = (unsigned char)(2 * (8 - k)); /* the length as a zig-zag varint: 1..8 */
    memcpy(o, be + k, (size_t)(8 - k));
    return o + (8 - k);
}

int sl_avro_encode(struct sl_avro *avro, struct sl_batch *b, struct sl_fmt_out *out,
                   struct sl_error *err)
{
    const struct sl_schema *schema = avro->schema;
    if (b->ncols != avro->ncols)
        return sl_error_set(err, SL_EINVAL, "avro encoder: batch has %u columns, schema %u",
                            b->ncols, avro->ncols);
    for (uint32_t i = 0; i < b->ncols; i++)
        if (b->cols[i].type.id != schema->fields[i].type.id)
            return sl_error_set(err, SL_EINVAL, "avro encoder: column %u has another type", i);
    uint32_t n = sl_batch_active(b);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t row = b->sel ? b->sel[k] : k;
        size_t need = 0;
        for (uint32_t i = 0; i < avro->ncols; i++) {
            need += 1 + 10 + 8; /* union index, length, value */
            if (b->cols[i].type.id == SL_TYPE_VARCHAR && !sl_col_is_null(&b->cols[i], row))
                need += sl_col_str(&b->cols[i])[row].len;
        }
        if (sl_fmt_out_reserve(out, need))
            return sl_error_set(err, SL_ENOMEM, "avro encoder: out of memory");
        unsigned char *o = (unsigned char *)out->data + out->len;
        for (uint32_t i = 0; i < avro->ncols; i++) {
            struct sl_column *c = &b->cols[i];
            const struct sl_field *f = &schema->fields[i];
            bool is_null = c->valid && sl_col_is_null(c, row);
            if (f->type.nullable) {
                *o++ = is_null ? 0x00 : 0x02;
                if (is_null)
                    continue;
            } else if (is_null) {
                return sl_avro_field_err(err, SL_EINVAL, f,
                                         "NULL in a NOT NULL field (the Avro schema has no "
                                         "null there)");
            }
            switch ((sl_type_id)f->type.id) {
            case SL_TYPE_BOOLEAN:
                *o++ = sl_col_bool(c)[row] ? 1 : 0;
                break;
            case SL_TYPE_INT:
                o = sl_avro_put_long(o, sl_col_i32(c)[row]);
                break;
            case SL_TYPE_BIGINT:
            case SL_TYPE_TIMESTAMP:
                o = sl_avro_put_long(o, sl_col_i64(c)[row]);
                break;
            case SL_TYPE_DOUBLE:
                memcpy(o, &sl_col_f64(c)[row], 8);
                o += 8;
                break;
            case SL_TYPE_DECIMAL:
                o = sl_avro_put_unscaled(o, sl_col_i64(c)[row]);
                break;
            default: { /* VARCHAR */
                const sl_str *s = &sl_col_str(c)[row];
                o = sl_avro_put_long(o, (int64_t)s->len);
                memcpy(o, sl_str_data(s), s->len);
                o += s->len;
                break;
            }
            }
        }
        out->len = (size_t)((char *)o - out->data);
        if (sl_fmt_out_end_record(out))
            return sl_error_set(err, SL_ENOMEM, "avro encoder: out of memory");
    }
    return 0;
}
