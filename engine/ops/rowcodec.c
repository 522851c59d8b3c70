/*
 * engine/ops/rowcodec.c - rows of a batch as bytes (see engine/ops/rowcodec.h).
 */
#include "engine/ops/rowcodec.h"

#include <stdio.h>
#include <string.h>

enum { SL_ROWC_VALUE = 0, SL_ROWC_NULL = 1, SL_ROWC_SKIPPED = 2 };

static int sl_rowc_fail(struct sl_sread *in, const char *what, const char *msg,
                        struct sl_error *err)
{
    char m[160];
    snprintf(m, sizeof(m), "%s: %s", what, msg);
    return sl_sread_fail(in, err, m);
}

void sl_rowc_put(struct sl_sbuf *out, const struct sl_batch *b, uint32_t r, uint32_t ncols,
                 const bool *skip)
{
    for (uint32_t c = 0; c < ncols && c < b->ncols; c++) {
        const struct sl_column *col = &b->cols[c];
        if (skip && skip[c]) {
            sl_sbuf_put_u8(out, SL_ROWC_SKIPPED);
            continue;
        }
        bool isn = col->valid && sl_col_is_null(col, r);
        sl_sbuf_put_u8(out, isn ? SL_ROWC_NULL : SL_ROWC_VALUE);
        if (isn)
            continue;
        if (col->type.id == SL_TYPE_VARCHAR) {
            const sl_str *s = &((const sl_str *)col->data)[r];
            sl_sbuf_put_bytes(out, sl_str_data(s), s->len);
        } else {
            size_t w = sl_type_width(col->type.id);
            sl_sbuf_put(out, (const char *)col->data + (size_t)r * w, w);
        }
    }
}

int sl_rowc_get(struct sl_sread *in, struct sl_batch *b, uint32_t j, const bool *skip,
                const char *what, struct sl_error *err)
{
    for (uint32_t c = 0; c < b->ncols; c++) {
        struct sl_column *col = &b->cols[c];
        size_t w = sl_type_width(col->type.id);
        char *at = (char *)col->data + (size_t)j * w;
        uint8_t flag;
        int rc = sl_sread_u8(in, &flag, err);
        if (rc)
            return rc;
        bool skipped = skip && skip[c];
        if (flag > SL_ROWC_SKIPPED || (flag == SL_ROWC_SKIPPED) != skipped)
            return sl_rowc_fail(in, what,
                                skipped ? "a value of a column that is not stored"
                                        : "a column flag that is neither 0 (a value) nor 1 (NULL)",
                                err);
        if (flag == SL_ROWC_NULL && !col->valid)
            return sl_rowc_fail(in, what, "NULL in a NOT NULL column", err);
        if (col->valid)
            sl_col_set_null(col, j, flag != SL_ROWC_VALUE);
        if (flag != SL_ROWC_VALUE) {
            memset(at, 0, w);
            continue;
        }
        if (col->type.id == SL_TYPE_VARCHAR) {
            const void *data;
            uint32_t len;
            if ((rc = sl_sread_bytes(in, &data, &len, err)) != 0)
                return rc;
            sl_str v =
                len > SL_STR_INLINE_MAX ? sl_batch_str(b, data, len) : sl_str_make(data, len);
            if (!sl_str_ok(v))
                return sl_error_set(err, SL_ENOMEM, "%s: out of memory reading a row", what);
            sl_col_str(col)[j] = v;
        } else if ((rc = sl_sread_get(in, at, w, err)) != 0) {
            return rc;
        }
    }
    return 0;
}

void sl_rowc_put_batch(struct sl_sbuf *out, const struct sl_batch *b, const bool *skip)
{
    uint32_t n = sl_batch_active(b);
    sl_sbuf_put_u32(out, n);
    sl_sbuf_put_u8(out, b->kind != NULL);
    for (uint32_t i = 0; b->kind && i < n; i++)
        sl_sbuf_put_u8(out, b->kind[b->sel ? b->sel[i] : i]);
    for (uint32_t i = 0; i < n; i++)
        sl_rowc_put(out, b, b->sel ? b->sel[i] : i, b->ncols, skip);
}

int sl_rowc_get_batch(struct sl_sread *in, struct sl_batch *b, const bool *skip, const char *what,
                      struct sl_error *err)
{
    uint32_t n;
    uint8_t kinds;
    int rc;
    if ((rc = sl_sread_u32(in, &n, err)) != 0 || (rc = sl_sread_u8(in, &kinds, err)) != 0)
        return rc;
    if (n > SL_BATCH_CAP)
        return sl_rowc_fail(in, what, "more rows than a batch holds", err);
    if (kinds > 1)
        return sl_rowc_fail(in, what, "a kinds flag that is neither 0 nor 1", err);
    if (kinds) {
        uint8_t *k = sl_batch_kinds(b);
        for (uint32_t i = 0; i < n; i++) {
            if ((rc = sl_sread_u8(in, &k[i], err)) != 0)
                return rc;
            if (k[i] > SL_ROW_DELETE)
                return sl_rowc_fail(in, what, "a row kind that is none of +I -U +U -D", err);
        }
    }
    for (uint32_t i = 0; i < n; i++)
        if ((rc = sl_rowc_get(in, b, i, skip, what, err)) != 0)
            return rc;
    b->rows = n;
    return 0;
}
