/*
 * io/raw.c - the raw record format (layout in raw.h and docs/formats.md).
 *
 * The codec precomputes, per column, its offset in the fixed part, so decoding a record is
 * a length check, a bitmap read and one small memcpy per column; strings are walked once.
 * x86-64 is little-endian, so values are copied as they are (the static assert below
 * guards a port to a big-endian machine).
 *
 * Projection pushdown (sl_raw_prune): the layout of every record is still checked in full -
 * its length, each string's length, the unused bitmap bits, no bytes in a NULL string - and
 * a skipped string must still be valid UTF-8 (as in the text formats, invalid UTF-8 is never
 * accepted); a column not needed is otherwise not read: no copy, no check of its value (a
 * BOOLEAN byte, a DECIMAL's precision). sl_raw_decode then
 * makes it NULL for every row it appended (sl_fmt_mask_fill).
 */
#include "io/raw.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "raw format: little-endian hosts only");

struct sl_raw {
    const struct sl_schema *schema;
    size_t max_bytes;
    uint32_t ncols;
    size_t nb;     /* bitmap bytes */
    size_t fixed;  /* nb + fixed-width bytes */
    uint32_t nstr; /* VARCHAR columns */
    uint32_t *off; /* per column: offset of its value in the fixed part (VARCHAR: unused) */
    struct sl_fmt_mask mask; /* projection pushdown: the columns decoded */
};

static size_t sl_raw_width(sl_type_id id)
{
    return id == SL_TYPE_BOOLEAN ? 1 : id == SL_TYPE_INT ? 4 : id == SL_TYPE_VARCHAR ? 0 : 8;
}

struct sl_raw *sl_raw_new(const struct sl_schema *schema, const struct sl_fmt_opts *opts,
                          struct sl_error *err)
{
    struct sl_raw *raw = calloc(1, sizeof(*raw));
    if (!raw) {
        sl_error_set(err, SL_ENOMEM, "out of memory");
        return NULL;
    }
    raw->schema = schema;
    raw->ncols = schema->ncols;
    raw->max_bytes =
        opts && opts->max_record_bytes ? opts->max_record_bytes : SL_FMT_DEFAULT_MAX_RECORD;
    raw->off = calloc(schema->ncols ? schema->ncols : 1, sizeof(*raw->off));
    if (!raw->off || sl_fmt_mask_init(&raw->mask, schema)) {
        sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    raw->nb = (schema->ncols + 7) / 8;
    size_t pos = raw->nb;
    for (uint32_t i = 0; i < schema->ncols; i++) {
        sl_type_id id = (sl_type_id)schema->fields[i].type.id;
        if (id >= SL_TYPE_COUNT) {
            sl_error_set(err, SL_ENOTSUP, "raw format: field '%s' has an unknown type",
                         schema->fields[i].name);
            goto out_free;
        }
        raw->off[i] = (uint32_t)pos;
        pos += sl_raw_width(id);
        raw->nstr += id == SL_TYPE_VARCHAR;
    }
    raw->fixed = pos;
    return raw;
out_free:
    sl_raw_free(raw);
    return NULL;
}

void sl_raw_free(struct sl_raw *raw)
{
    if (!raw)
        return;
    free(raw->off);
    sl_fmt_mask_free(&raw->mask);
    free(raw);
}

size_t sl_raw_fixed_size(const struct sl_raw *raw)
{
    return raw->fixed;
}

/* ---- decoding ------------------------------------------------------------------------------- */

void sl_raw_prune(struct sl_raw *raw, const bool *needed, uint32_t ncols)
{
    sl_fmt_mask_set(&raw->mask, needed, ncols);
}

static int sl_raw_row(void *codec, const char *data, size_t len, struct sl_batch *b, uint32_t row,
                      struct sl_error *err)
{
    struct sl_raw *raw = codec;
    const struct sl_schema *schema = raw->schema;
    if (len < raw->fixed + 4u * raw->nstr)
        return sl_error_set(err, SL_ECORRUPT,
                            "raw record of %zu bytes is shorter than its fixed part (%zu)", len,
                            raw->fixed + 4u * raw->nstr);
    const unsigned char *nulls = (const unsigned char *)data;
    if (raw->ncols % 8 && (nulls[raw->nb - 1] >> (raw->ncols % 8)))
        return sl_error_set(err, SL_ECORRUPT, "raw record: unused null-bitmap bits are set");
    size_t spos = raw->fixed;
    const bool *need = raw->mask.need;
    for (uint32_t i = 0; i < raw->ncols; i++) {
        struct sl_column *c = &b->cols[i];
        bool is_null = (nulls[i >> 3] >> (i & 7)) & 1;
        if (!need[i] && c->type.id != SL_TYPE_VARCHAR)
            continue; /* not read: a fixed-width value has no layout of its own */
        const char *p = data + raw->off[i];
        if (c->type.id == SL_TYPE_VARCHAR) {
            uint32_t sl;
            if (len - spos < 4)
                return sl_error_set(err, SL_ECORRUPT,
                                    "raw record: field '%s': string length past the end",
                                    schema->fields[i].name);
            memcpy(&sl, data + spos, 4);
            spos += 4;
            if (sl > len - spos)
                return sl_error_set(err, SL_ECORRUPT,
                                    "raw record: field '%s': string of %u bytes past the end",
                                    schema->fields[i].name, sl);
            p = data + spos;
            spos += sl;
            if (is_null) {
                if (sl)
                    return sl_error_set(err, SL_ECORRUPT,
                                        "raw record: field '%s': NULL string with bytes",
                                        schema->fields[i].name);
            } else if (sl_type_is_bytes(c->type) || sl_type_is_map(c->type)) {
                /* BYTES: any bytes; a MAP: its encoding (engine/core/types.h), checked */
                if (sl_type_is_map(c->type) && !sl_map_valid(p, sl))
                    return sl_fmt_field_error(err, SL_EPARSE, &schema->fields[i],
                                              "not a MAP<STRING, BYTES> encoding", p, sl);
                if (sl_type_is_map(c->type) && !sl_fmt_map_keys_utf8(p, sl))
                    return sl_fmt_field_error(err, SL_EPARSE, &schema->fields[i],
                                              "a MAP key is not UTF-8 text", p, sl);
                if (!need[i])
                    continue;
                int rc = sl_fmt_store_varchar(b, i, row, p, sl, err);
                if (rc)
                    return rc;
                continue;
            } else if (!need[i]) { /* not read: its bytes need only be UTF-8 */
                if (!sl_fmt_utf8_valid(p, sl))
                    return sl_fmt_field_error(err, SL_EPARSE, &schema->fields[i], "invalid UTF-8",
                                              p, sl);
                continue;
            } else {
                int rc = sl_fmt_store_text(b, i, row, p, sl, err);
                if (rc)
                    return rc;
                continue;
            }
        }
        if (!need[i])
            continue; /* a NULL string not read */
        if (is_null) {
            int rc = sl_fmt_store_null(b, i, row, err);
            if (rc)
                return rc;
            continue;
        }
        switch (c->type.id) {
        case SL_TYPE_BOOLEAN:
            if ((unsigned char)*p > 1)
                return sl_fmt_field_error(err, SL_ECORRUPT, &schema->fields[i],
                                          "BOOLEAN byte is not 0 or 1", p, 1);
            sl_col_bool(c)[row] = (uint8_t)*p;
            break;
        case SL_TYPE_INT:
            memcpy(&sl_col_i32(c)[row], p, 4);
            break;
        case SL_TYPE_DECIMAL: {
            int64_t v;
            memcpy(&v, p, 8);
            if (!sl_fmt_decimal_fits(v, c->type.precision))
                return sl_fmt_field_error(err, SL_ERANGE, &schema->fields[i],
                                          "exceeds the DECIMAL precision", NULL, 0);
            sl_col_i64(c)[row] = v;
            break;
        }
        default: /* BIGINT, DOUBLE, TIMESTAMP */
            memcpy((char *)c->data + (size_t)row * 8, p, 8);
            break;
        }
        if (c->valid)
            sl_col_set_null(c, row, false);
    }
    if (spos != len)
        return sl_error_set(err, SL_ECORRUPT, "raw record: %zu bytes left after the last field",
                            len - spos);
    return 0;
}

int sl_raw_decode(struct sl_raw *raw, const struct sl_record *recs, size_t n, struct sl_batch *b,
                  struct sl_badrec *bad, size_t *consumed, struct sl_error *err)
{
    uint32_t rows0 = b->rows;
    int rc = sl_fmt_decode_records(sl_raw_row, raw, raw->max_bytes, recs, n, b, bad, consumed, err);
    sl_fmt_mask_fill(&raw->mask, b, rows0, b->rows);
    return rc;
}

/* ---- encoding ------------------------------------------------------------------------------- */

static int sl_raw_check_batch(const struct sl_raw *raw, const struct sl_batch *b,
                              struct sl_error *err)
{
    if (b->ncols != raw->ncols)
        return sl_error_set(err, SL_EINVAL, "raw encoder: batch has %u columns, schema %u",
                            b->ncols, raw->ncols);
    for (uint32_t i = 0; i < b->ncols; i++)
        if (b->cols[i].type.id != raw->schema->fields[i].type.id)
            return sl_error_set(err, SL_EINVAL, "raw encoder: column %u has another type", i);
    return 0;
}

int sl_raw_encode(struct sl_raw *raw, struct sl_batch *b, struct sl_fmt_out *out,
                  struct sl_error *err)
{
    int rc = sl_raw_check_batch(raw, b, err);
    if (rc)
        return rc;
    uint32_t n = sl_batch_active(b);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t row = b->sel ? b->sel[k] : k;
        size_t need = raw->fixed;
        for (uint32_t i = 0; i < raw->ncols; i++)
            if (b->cols[i].type.id == SL_TYPE_VARCHAR)
                need +=
                    4 + (sl_col_is_null(&b->cols[i], row) ? 0 : sl_col_str(&b->cols[i])[row].len);
        if (sl_fmt_out_reserve(out, need))
            return sl_error_set(err, SL_ENOMEM, "raw encoder: out of memory");
        unsigned char *base = (unsigned char *)out->data + out->len;
        memset(base, 0, raw->fixed);
        size_t spos = raw->fixed;
        for (uint32_t i = 0; i < raw->ncols; i++) {
            struct sl_column *c = &b->cols[i];
            bool is_null = sl_col_is_null(c, row);
            if (is_null)
                base[i >> 3] |= (unsigned char)(1u << (i & 7));
            if (c->type.id == SL_TYPE_VARCHAR) {
                uint32_t sl = is_null ? 0 : sl_col_str(c)[row].len;
                memcpy(base + spos, &sl, 4);
                if (sl)
                    memcpy(base + spos + 4, sl_str_data(&sl_col_str(c)[row]), sl);
                spos += 4 + sl;
            } else if (!is_null) {
                size_t w = sl_raw_width((sl_type_id)c->type.id);
                memcpy(base + raw->off[i], (const char *)c->data + (size_t)row * w, w);
            }
        }
        out->len += spos;
        if (sl_fmt_out_end_record(out))
            return sl_error_set(err, SL_ENOMEM, "raw encoder: out of memory");
    }
    return 0;
}
