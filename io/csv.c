/*
 * io/csv.c - CSV decoder and encoder (rules in csv.h).
 *
 * A record is split into fields in one pass: memchr finds the next delimiter of an unquoted
 * field; a quoted field is scanned for its closing quote, and only when it holds "" escapes
 * is it copied (unescaped) into the codec's scratch buffer; otherwise every field is a view
 * into the record's bytes and goes straight to the typed parsers of io/fmt.h.
 *
 * Projection pushdown (sl_csv_prune): a field of a column not needed is still delimited and
 * checked for what makes the line well-formed - its quoting, no line break outside quotes,
 * valid UTF-8 - but never unescaped, parsed or stored; sl_csv_decode(_stream) then makes
 * the column NULL for every row it appended (sl_fmt_mask_fill).
 */
#include "io/csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/datetime.h"

struct sl_csv {
    const struct sl_schema *schema;
    size_t max_bytes;
    char delim;
    const char *null_lit;
    size_t null_len;
    bool line_end;
    char *scratch;           /* unescaped quoted fields; max_bytes long */
    struct sl_fmt_mask mask; /* projection pushdown: the columns decoded */
};

struct sl_csv *sl_csv_new(const struct sl_schema *schema, const struct sl_fmt_opts *opts,
                          struct sl_error *err)
{
    struct sl_csv *csv = calloc(1, sizeof(*csv));
    if (!csv) {
        sl_error_set(err, SL_ENOMEM, "out of memory");
        return NULL;
    }
    csv->schema = schema;
    csv->max_bytes =
        opts && opts->max_record_bytes ? opts->max_record_bytes : SL_FMT_DEFAULT_MAX_RECORD;
    csv->delim = opts && opts->csv_delimiter ? opts->csv_delimiter : ',';
    csv->null_lit = opts ? opts->csv_null_literal : NULL;
    csv->null_len = csv->null_lit ? strlen(csv->null_lit) : 0;
    csv->line_end = opts && opts->csv_line_end;
    if (csv->delim == '"' || csv->delim == '\r' || csv->delim == '\n') {
        sl_error_set(err, SL_EINVAL, "CSV delimiter may not be a quote, CR or LF");
        goto out_free;
    }
    if (csv->null_lit && csv->null_len == 0) {
        sl_error_set(err, SL_EINVAL, "CSV null literal may not be empty (empty is NULL already)");
        goto out_free;
    }
    for (uint32_t i = 0; i < schema->ncols; i++) {
        if (schema->fields[i].type.id >= SL_TYPE_COUNT) {
            sl_error_set(err, SL_ENOTSUP, "CSV: field '%s' has an unknown type",
                         schema->fields[i].name);
            goto out_free;
        }
        if (sl_type_is_map(schema->fields[i].type)) { /* nor does flink-csv take a MAP */
            sl_error_set(err, SL_ENOTSUP, "the csv format has no MAP: field '%s'",
                         schema->fields[i].name);
            goto out_free;
        }
    }
    csv->scratch = malloc(csv->max_bytes);
    if (!csv->scratch || sl_fmt_mask_init(&csv->mask, schema)) {
        sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    return csv;
out_free:
    sl_csv_free(csv);
    return NULL;
}

void sl_csv_free(struct sl_csv *csv)
{
    if (!csv)
        return;
    free(csv->scratch);
    sl_fmt_mask_free(&csv->mask);
    free(csv);
}

/* ---- decoding ------------------------------------------------------------------------------- */

void sl_csv_prune(struct sl_csv *csv, const bool *needed, uint32_t ncols)
{
    sl_fmt_mask_set(&csv->mask, needed, ncols);
}

static int sl_csv_store(struct sl_csv *csv, struct sl_batch *b, uint32_t col, uint32_t row,
                        const char *s, size_t n, bool quoted, struct sl_error *err)
{
    bool is_null;
    if (quoted)
        is_null = n == 0 && b->cols[col].type.id != SL_TYPE_VARCHAR;
    else
        is_null =
            n == 0 || (csv->null_lit && n == csv->null_len && memcmp(s, csv->null_lit, n) == 0);
    if (is_null)
        return sl_fmt_store_null(b, col, row, err);
    return sl_fmt_store_text(b, col, row, s, n, err);
}

/* Splits one line (no terminator) into fields and stores them in row `row`. */
static int sl_csv_line(struct sl_csv *csv, const char *s, size_t len, struct sl_batch *b,
                       uint32_t row, struct sl_error *err)
{
    const uint32_t ncols = csv->schema->ncols;
    const char delim = csv->delim;
    size_t pos = 0;
    uint32_t col = 0;
    for (;;) {
        if (col == ncols)
            return sl_error_set(err, SL_EPARSE, "more fields than the schema's %u", ncols);
        const char *v;
        size_t vn;
        const bool need = csv->mask.need[col];
        bool quoted = pos < len && s[pos] == '"';
        if (quoted) {
            size_t i = pos + 1, k = 0;
            bool copied = false;
            for (;;) {
                const char *q = memchr(s + i, '"', len - i);
                if (!q)
                    return sl_error_set(err, SL_EPARSE, "field %u ('%s'): quote not closed",
                                        col + 1, csv->schema->fields[col].name);
                size_t qi = (size_t)(q - s);
                if (qi + 1 < len && s[qi + 1] == '"') { /* "" -> " */
                    if (need) {                         /* a field nobody reads is not unescaped */
                        memcpy(csv->scratch + k, s + i, qi + 1 - i);
                        k += qi + 1 - i;
                        copied = true;
                    }
                    i = qi + 2;
                    continue;
                }
                if (copied) {
                    memcpy(csv->scratch + k, s + i, qi - i);
                    k += qi - i;
                    v = csv->scratch;
                    vn = k;
                } else {
                    v = s + pos + 1;
                    vn = qi - pos - 1;
                }
                pos = qi + 1;
                break;
            }
            if (pos < len && s[pos] != delim)
                return sl_error_set(err, SL_EPARSE, "field %u ('%s'): text after the closing quote",
                                    col + 1, csv->schema->fields[col].name);
        } else {
            const char *d = memchr(s + pos, delim, len - pos);
            size_t end = d ? (size_t)(d - s) : len;
            v = s + pos;
            vn = end - pos;
            if (memchr(v, '"', vn))
                return sl_error_set(err, SL_EPARSE, "field %u ('%s'): quote in an unquoted field",
                                    col + 1, csv->schema->fields[col].name);
            if (memchr(v, '\n', vn) || memchr(v, '\r', vn))
                return sl_error_set(err, SL_EPARSE,
                                    "field %u ('%s'): line break in an unquoted field (more "
                                    "than one line in a record)",
                                    col + 1, csv->schema->fields[col].name);
            pos = end;
        }
        int rc;
        if (need)
            rc = sl_csv_store(csv, b, col, row, v, vn, quoted, err);
        else /* not read: only what makes the record well-formed ("" escapes are ASCII) */
            rc = sl_fmt_utf8_valid(v, vn)
                     ? 0
                     : sl_fmt_field_error(err, SL_EPARSE, &csv->schema->fields[col],
                                          "invalid UTF-8", v, vn);
        if (rc)
            return rc;
        col++;
        if (pos == len)
            break;
        pos++; /* the delimiter; a delimiter at the very end means one more empty field */
    }
    if (col < ncols)
        return sl_error_set(err, SL_EPARSE, "%u fields, the schema has %u", col, ncols);
    return 0;
}

static int sl_csv_row(void *codec, const char *data, size_t len, struct sl_batch *b, uint32_t row,
                      struct sl_error *err)
{
    if (len && data[len - 1] == '\n') {
        len--;
        if (len && data[len - 1] == '\r')
            len--;
    }
    return sl_csv_line(codec, data, len, b, row, err);
}

int sl_csv_decode(struct sl_csv *csv, const struct sl_record *recs, size_t n, struct sl_batch *b,
                  struct sl_badrec *bad, size_t *consumed, struct sl_error *err)
{
    uint32_t rows0 = b->rows;
    int rc = sl_fmt_decode_records(sl_csv_row, csv, csv->max_bytes, recs, n, b, bad, consumed, err);
    sl_fmt_mask_fill(&csv->mask, b, rows0, b->rows);
    return rc;
}

/* The end of the line starting at buf[pos]: the index of its LF, or len if none. Quoted
 * fields may hold LFs. */
static size_t sl_csv_line_end(const char *buf, size_t len, size_t pos)
{
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len;
    if (!memchr(buf + pos, '"', end - pos))
        return end; /* the common case: no quotes on the line */
    bool in_quote = false;
    for (size_t i = pos; i < len; i++) {
        if (buf[i] == '"')
            in_quote = !in_quote;
        else if (buf[i] == '\n' && !in_quote)
            return i;
    }
    return len;
}

int sl_csv_decode_stream(struct sl_csv *csv, const char *buf, size_t len, bool final,
                         const char *name, int64_t base_offset, struct sl_batch *b,
                         struct sl_badrec *bad, size_t *used, struct sl_error *err)
{
    size_t pos = 0;
    int rc = 0;
    uint32_t rows0 = b->rows;
    while (pos < len && b->rows < SL_BATCH_CAP) {
        size_t end = sl_csv_line_end(buf, len, pos);
        if (end == len && !final)
            break; /* an unfinished last line: wait for more bytes */
        struct sl_record rec = {.topic = name,
                                .partition = -1,
                                .offset = base_offset + (int64_t)pos,
                                .timestamp = -1,
                                .value = buf + pos,
                                .value_len = end - pos};
        if (end - pos && buf[end - 1] == '\r')
            rec.value_len--;
        size_t one;
        rc = sl_fmt_decode_records(sl_csv_row, csv, csv->max_bytes, &rec, 1, b, bad, &one, err);
        if (rc)
            break;
        pos = end < len ? end + 1 : len;
    }
    sl_fmt_mask_fill(&csv->mask, b, rows0, b->rows);
    *used = pos;
    return rc;
}

/* ---- encoding ------------------------------------------------------------------------------- */

static bool sl_csv_needs_quotes(const struct sl_csv *csv, const char *s, size_t n)
{
    if (n == 0)
        return true; /* '' must differ from NULL */
    if (csv->null_lit && n == csv->null_len && memcmp(s, csv->null_lit, n) == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] == csv->delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            return true;
    return false;
}

int sl_csv_encode(struct sl_csv *csv, struct sl_batch *b, struct sl_fmt_out *out,
                  struct sl_error *err)
{
    const struct sl_schema *schema = csv->schema;
    if (b->ncols != schema->ncols)
        return sl_error_set(err, SL_EINVAL, "CSV encoder: batch has %u columns, schema %u",
                            b->ncols, schema->ncols);
    uint32_t n = sl_batch_active(b);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t row = b->sel ? b->sel[k] : k;
        for (uint32_t i = 0; i < schema->ncols; i++) {
            struct sl_column *c = &b->cols[i];
            if (sl_fmt_out_reserve(out, SL_FMT_VALUE_MAX + 2 + csv->null_len))
                goto out_nomem;
            char *p = out->data + out->len;
            size_t w = 0;
            if (i)
                p[w++] = csv->delim;
            if (sl_col_is_null(c, row)) {
                if (csv->null_lit) {
                    memcpy(p + w, csv->null_lit, csv->null_len);
                    w += csv->null_len;
                }
                out->len += w;
                continue;
            }
            switch (c->type.id) {
            case SL_TYPE_BOOLEAN:
                w += sl_col_bool(c)[row] ? (memcpy(p + w, "true", 4), 4u)
                                         : (memcpy(p + w, "false", 5), 5u);
                break;
            case SL_TYPE_INT:
                w += sl_fmt_i64(p + w, sl_col_i32(c)[row]);
                break;
            case SL_TYPE_BIGINT:
                w += sl_fmt_i64(p + w, sl_col_i64(c)[row]);
                break;
            case SL_TYPE_DECIMAL:
                w += sl_fmt_decimal(p + w, sl_col_i64(c)[row], c->type.scale);
                break;
            case SL_TYPE_TIMESTAMP: /* TIMESTAMP_LTZ: flink-csv writes a 'Z' at the end */
                w = (size_t)((sl_type_is_ltz(c->type)
                                  ? sl_dt_put(p + w, sl_col_i64(c)[row], SL_DT_SQL_Z)
                                  : sl_dt_put(p + w, sl_col_i64(c)[row], SL_DT_SQL)) -
                             p);
                break;
            case SL_TYPE_DOUBLE: {
                double v = sl_col_f64(c)[row];
                const char *sp = isnan(v)   ? "NaN"
                                 : isinf(v) ? (v > 0 ? "Infinity" : "-Infinity")
                                            : NULL;
                if (sp) {
                    memcpy(p + w, sp, strlen(sp));
                    w += strlen(sp);
                } else {
                    w += sl_fmt_f64(p + w, v);
                }
                break;
            }
            case SL_TYPE_VARCHAR: {
                const sl_str *sv = &sl_col_str(c)[row];
                const char *s = sl_str_data(sv);
                out->len += w;
                w = 0;
                if (sl_type_is_bytes(c->type)) {
                    /* base64, as flink-csv writes BYTES (Jackson's binary node); quoted only
                     * when empty (or when the delimiter is a base64 character) */
                    size_t bl = SL_FMT_BASE64_LEN(sv->len);
                    if (sl_fmt_out_reserve(out, bl + 2))
                        goto out_nomem;
                    char *q = out->data + out->len;
                    size_t n64 = sl_fmt_base64_encode(q + 1, s, sv->len);
                    if (sl_csv_needs_quotes(csv, q + 1, n64)) {
                        q[0] = '"';
                        q[n64 + 1] = '"';
                        out->len += n64 + 2;
                    } else {
                        memmove(q, q + 1, n64);
                        out->len += n64;
                    }
                    break;
                }
                if (!sl_csv_needs_quotes(csv, s, sv->len)) {
                    if (sl_fmt_out_reserve(out, sv->len))
                        goto out_nomem;
                    memcpy(out->data + out->len, s, sv->len);
                    out->len += sv->len;
                    break;
                }
                if (sl_fmt_out_reserve(out, 2 * (size_t)sv->len + 2))
                    goto out_nomem;
                p = out->data + out->len;
                p[w++] = '"';
                for (uint32_t j = 0; j < sv->len; j++) {
                    if (s[j] == '"')
                        p[w++] = '"';
                    p[w++] = s[j];
                }
                p[w++] = '"';
                break;
            }
            default:
                return sl_error_set(err, SL_ENOTSUP, "CSV encoder: unsupported type");
            }
            out->len += w;
        }
        if (csv->line_end) {
            if (sl_fmt_out_reserve(out, 1))
                goto out_nomem;
            out->data[out->len++] = '\n';
        }
        if (sl_fmt_out_end_record(out))
            goto out_nomem;
    }
    return 0;
out_nomem:
    return sl_error_set(err, SL_ENOMEM, "CSV encoder: out of memory");
}
