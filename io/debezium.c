/*
 * io/debezium.c - the 'debezium-json' format (rules and design in debezium.h).
 *
 * Layout of the envelope schema (n = the table's columns):
 *   0 .. n-1      before.<col>  (payload.before.<col> with schema-include)
 *   n .. 2n-1     after.<col>
 *   2n            op (VARCHAR)
 * every column nullable, so that a missing half decodes as NULLs and the check for "is it
 * there" is ours, with Flink's messages.
 */
#include "io/debezium.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"

struct sl_debezium {
    const struct sl_schema *schema; /* the table's, not owned */
    struct sl_schema *env_schema;   /* the envelope (above), owned */
    struct sl_json *env;            /* decodes the envelope */
    struct sl_json *row;            /* encodes one row's object */
    struct sl_batch_pool *pool;     /* the scratch batch's */
    struct sl_batch *sb;            /* scratch: decoded envelopes */
    bool schema_include, line_end;
    bool *need; /* prune: the envelope's columns to convert (2n + 1, owned) */
    /* one decode call's picks: scratch row, half (0 before, 1 after), kind */
    uint32_t pick_row[SL_BATCH_CAP];
    uint8_t pick_half[SL_BATCH_CAP];
    uint8_t pick_kind[SL_BATCH_CAP];
};

/* ---- set-up -------------------------------------------------------------------------------- */

struct sl_debezium *sl_debezium_new(const struct sl_schema *schema, const struct sl_fmt_opts *opts,
                                    struct sl_error *err)
{
    struct sl_debezium *d = calloc(1, sizeof(*d));
    uint32_t n = schema->ncols, ne = 2 * n + 1;
    char **names = calloc(ne, sizeof(*names));
    struct sl_type *types = calloc(ne, sizeof(*types));
    if (!d || !names || !types || !(d->need = malloc(ne * sizeof(*d->need))))
        goto out_nomem;
    d->schema = schema;
    d->schema_include = opts && opts->debezium_schema_include;
    d->line_end = opts && opts->json_line_end;
    const char *pre = d->schema_include ? "payload." : "";
    for (uint32_t h = 0; h < 2; h++) {
        for (uint32_t c = 0; c < n; c++) {
            const char *name = schema->fields[c].name;
            size_t len = strlen(pre) + 7 + strlen(name) + 1;
            if (!(names[h * n + c] = malloc(len)))
                goto out_nomem;
            snprintf(names[h * n + c], len, "%s%s.%s", pre, h ? "after" : "before", name);
            types[h * n + c] = schema->fields[c].type;
            types[h * n + c].nullable = true;
        }
    }
    if (!(names[2 * n] = malloc(strlen(pre) + 3)))
        goto out_nomem;
    sprintf(names[2 * n], "%sop", pre);
    types[2 * n] = sl_type_make(SL_TYPE_VARCHAR, true);
    d->env_schema = sl_schema_new(ne, (const char *const *)names, types);
    if (!d->env_schema)
        goto out_nomem;
    struct sl_fmt_opts eo = opts ? *opts : (struct sl_fmt_opts){0};
    eo.json_line_end = false;
    if (!(d->env = sl_json_new(d->env_schema, &eo, err)) ||
        !(d->row = sl_json_new(schema, &eo, err)))
        goto out_free;
    if (!(d->pool = sl_batch_pool_new(NULL, d->env_schema, 1)) ||
        !(d->sb = sl_batch_pool_get(d->pool)))
        goto out_nomem;
    for (uint32_t i = 0; i < ne; i++)
        free(names[i]);
    free(names);
    free(types);
    return d;
out_nomem:
    sl_error_set(err, SL_ENOMEM, "out of memory");
out_free:
    for (uint32_t i = 0; names && i < ne; i++)
        free(names[i]);
    free(names);
    free(types);
    sl_debezium_free(d);
    return NULL;
}

void sl_debezium_free(struct sl_debezium *d)
{
    if (!d)
        return;
    if (d->sb)
        sl_batch_pool_put(d->sb);
    sl_batch_pool_free(d->pool);
    sl_json_free(d->env);
    sl_json_free(d->row);
    sl_schema_free(d->env_schema);
    free(d->need);
    free(d);
}

void sl_debezium_prune(struct sl_debezium *d, const bool *needed, uint32_t ncols)
{
    uint32_t n = d->schema->ncols;
    bool *need = d->need;
    for (uint32_t c = 0; c < n; c++) {
        /* a NOT NULL column is always read: our NULL check needs its value */
        bool k = !needed || c >= ncols || needed[c] || !d->schema->fields[c].type.nullable;
        need[c] = need[n + c] = k;
    }
    need[2 * n] = true;
    sl_json_prune(d->env, need, 2 * n + 1);
}

/* ---- decoding ------------------------------------------------------------------------------ */

/* Whether half h (0 before, 1 after) of scratch row r holds any value. */
static bool sl_dbz_present(const struct sl_debezium *d, uint32_t h, uint32_t r)
{
    uint32_t n = d->schema->ncols;
    if (!n)
        return true;
    for (uint32_t c = 0; c < n; c++)
        if (!sl_col_is_null(&d->sb->cols[h * n + c], r))
            return true;
    return false;
}

/* The record's text for a message: at most 200 bytes, non-printable bytes as '?'. */
static void sl_dbz_text(const struct sl_record *rec, char *buf, size_t cap)
{
    size_t n = rec->value_len < cap - 4 ? rec->value_len : cap - 4, k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = ((const unsigned char *)rec->value)[i];
        buf[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    if (n < rec->value_len) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
}

/*
 * Picks the rows of scratch row r (its record rec): appends to the picks at *np, or returns
 * a negative code with `what` set (a bad record).
 */
static int sl_dbz_pick(struct sl_debezium *d, uint32_t r, const struct sl_record *rec, uint32_t *np,
                       char *what, size_t cap)
{
    uint32_t n = d->schema->ncols;
    struct sl_column *opc = &d->sb->cols[2 * n];
    char text[208];
    if (sl_col_is_null(opc, r)) {
        sl_dbz_text(rec, text, sizeof(text));
        snprintf(what, cap, "Corrupt Debezium JSON message '%s': no \"op\" field", text);
        return SL_EPARSE;
    }
    const sl_str *op = &sl_col_str(opc)[r];
    char o = op->len == 1 ? sl_str_data(op)[0] : '\0';
    bool before = o == 'u' || o == 'd', after = o == 'c' || o == 'r' || o == 'u';
    if (!before && !after) {
        char opt[40];
        size_t ol = op->len < 32 ? op->len : 32;
        memcpy(opt, sl_str_data(op), ol);
        opt[ol] = '\0';
        sl_dbz_text(rec, text, sizeof(text));
        snprintf(what, cap, "Unknown \"op\" value \"%s\". The Debezium JSON message is '%s'", opt,
                 text);
        return SL_EPARSE;
    }
    if (before && !sl_dbz_present(d, 0, r)) {
        snprintf(what, cap,
                 "The \"before\" field of %s message is null, if you are using Debezium "
                 "Postgres Connector, please check the Postgres table has been set REPLICA "
                 "IDENTITY to FULL level.",
                 o == 'u' ? "UPDATE" : "DELETE");
        return SL_EPARSE;
    }
    if (after && !sl_dbz_present(d, 1, r)) {
        sl_dbz_text(rec, text, sizeof(text));
        snprintf(what, cap, "Corrupt Debezium JSON message '%s': \"op\" '%c' without \"after\"",
                 text, o);
        return SL_EPARSE;
    }
    /* NOT NULL columns of the halves that become rows */
    for (uint32_t c = 0; c < n; c++) {
        const struct sl_field *f = &d->schema->fields[c];
        if (f->type.nullable)
            continue;
        if ((before && sl_col_is_null(&d->sb->cols[c], r)) ||
            (after && sl_col_is_null(&d->sb->cols[n + c], r))) {
            snprintf(what, cap, "field '%s': missing/NULL value for NOT NULL field (in \"%s\")",
                     f->name, before && sl_col_is_null(&d->sb->cols[c], r) ? "before" : "after");
            return SL_EINVAL;
        }
    }
    uint32_t k = *np;
    if (before) {
        d->pick_row[k] = r;
        d->pick_half[k] = 0;
        d->pick_kind[k++] = o == 'u' ? SL_ROW_UPDATE_BEFORE : SL_ROW_DELETE;
    }
    if (after) {
        d->pick_row[k] = r;
        d->pick_half[k] = 1;
        d->pick_kind[k++] = o == 'u' ? SL_ROW_UPDATE_AFTER : SL_ROW_INSERT;
    }
    *np = k;
    return 0;
}

/* Moves the picks [0, np) into rows b->rows.. of b, one column at a time. */
static int sl_dbz_gather(struct sl_debezium *d, uint32_t np, struct sl_batch *b,
                         struct sl_error *err)
{
    uint32_t n = d->schema->ncols, base = b->rows;
    if (!b->kind) {
        uint8_t *k = sl_batch_kinds(b);
        memset(k, SL_ROW_INSERT, base);
    }
    memcpy(b->kind + base, d->pick_kind, np);
    for (uint32_t c = 0; c < n; c++) {
        struct sl_column *dst = &b->cols[c];
        struct sl_column *src[2] = {&d->sb->cols[c], &d->sb->cols[n + c]};
        if (dst->valid)
            for (uint32_t k = 0; k < np; k++)
                sl_col_set_null(dst, base + k,
                                sl_col_is_null(src[d->pick_half[k]], d->pick_row[k]));
        switch (dst->type.id) {
        case SL_TYPE_BOOLEAN: {
            uint8_t *o = sl_col_bool(dst);
            for (uint32_t k = 0; k < np; k++)
                o[base + k] = sl_col_bool(src[d->pick_half[k]])[d->pick_row[k]];
            break;
        }
        case SL_TYPE_INT: {
            int32_t *o = sl_col_i32(dst);
            for (uint32_t k = 0; k < np; k++)
                o[base + k] = sl_col_i32(src[d->pick_half[k]])[d->pick_row[k]];
            break;
        }
        case SL_TYPE_DOUBLE: {
            double *o = sl_col_f64(dst);
            for (uint32_t k = 0; k < np; k++)
                o[base + k] = sl_col_f64(src[d->pick_half[k]])[d->pick_row[k]];
            break;
        }
        case SL_TYPE_VARCHAR: {
            sl_str *o = sl_col_str(dst);
            for (uint32_t k = 0; k < np; k++) {
                struct sl_column *s = src[d->pick_half[k]];
                uint32_t r = d->pick_row[k];
                if (sl_col_is_null(s, r)) {
                    memset(&o[base + k], 0, sizeof(sl_str));
                    continue;
                }
                const sl_str *v = &sl_col_str(s)[r];
                o[base + k] = sl_batch_str(b, sl_str_data(v), v->len);
                if (!sl_str_ok(o[base + k]))
                    return sl_error_set(err, SL_ENOMEM, "out of memory");
            }
            break;
        }
        default: { /* BIGINT, DECIMAL, TIMESTAMP: int64 */
            int64_t *o = sl_col_i64(dst);
            for (uint32_t k = 0; k < np; k++)
                o[base + k] = sl_col_i64(src[d->pick_half[k]])[d->pick_row[k]];
            break;
        }
        }
    }
    b->rows = base + np;
    return 0;
}

int sl_debezium_decode(struct sl_debezium *d, const struct sl_record *recs, size_t n,
                       struct sl_batch *b, struct sl_badrec *bad, size_t *consumed,
                       struct sl_error *err)
{
    *consumed = 0;
    if (b->sel)
        return sl_error_set(err, SL_EINVAL, "decoding into a batch with a selection");
    if (b->ncols != d->schema->ncols)
        return sl_error_set(err, SL_EINVAL,
                            "debezium-json decoder: batch has %u columns, schema %u", b->ncols,
                            d->schema->ncols);
    bool one = bad && bad->policy != SL_BADREC_FAIL;
    size_t i = 0;
    int rc = 0;
    while (i < n) {
        if (!recs[i].value || recs[i].value_len == 0) { /* a tombstone: skipped, as Flink */
            i++;
            continue;
        }
        uint32_t free_rows = SL_BATCH_CAP - b->rows;
        uint32_t room = free_rows / 2; /* records that surely fit */
        if (!free_rows)
            break;
        if (!room) /* one row left: one record, taken back below if it is a "u" */
            room = 1;
        size_t run = 0;
        while (i + run < n && run < room && (one ? run < 1 : true) && recs[i + run].value &&
               recs[i + run].value_len)
            run++;
        sl_batch_reset(d->sb);
        size_t got = 0;
        rc = sl_json_decode(d->env, recs + i, run, d->sb, bad, &got, err);
        /* with 'fail' every record before `got` made a row (an error stops the run); one at
         * a time, a record made a row or was skipped / dead-lettered */
        uint32_t np = 0;
        for (uint32_t r = 0; r < d->sb->rows; r++) {
            const struct sl_record *rec = &recs[i + r];
            char what[SL_ERROR_MSG_MAX];
            uint32_t np0 = np;
            int pr = sl_dbz_pick(d, r, rec, &np, what, sizeof(what));
            if (!pr)
                continue;
            np = np0;
            struct sl_error e;
            sl_error_clear(&e);
            int h = sl_badrec_handle(bad, rec, pr, what, &e);
            if (h) { /* fail: keep the rows before this record, stop at it */
                int g = sl_dbz_gather(d, np, b, err);
                *consumed = i + r;
                if (g)
                    return g;
                *err = e;
                return h;
            }
        }
        if (np > free_rows) { /* the "u" that does not fit: next time, in a fresh batch */
            *consumed = i;
            return 0;
        }
        int g = sl_dbz_gather(d, np, b, err);
        if (g) {
            *consumed = i;
            return g;
        }
        i += got;
        if (rc)
            break;
    }
    *consumed = i;
    return rc;
}

/* ---- encoding ------------------------------------------------------------------------------ */

static int sl_dbz_put(struct sl_fmt_out *out, const char *s, size_t len)
{
    if (sl_fmt_out_reserve(out, len))
        return SL_ENOMEM;
    memcpy(out->data + out->len, s, len);
    out->len += len;
    return 0;
}

int sl_debezium_encode(struct sl_debezium *d, struct sl_batch *b, struct sl_fmt_out *out,
                       struct sl_error *err)
{
    if (d->schema_include)
        return sl_error_set(err, SL_ENOTSUP,
                            "Debezium JSON serialization doesn't support "
                            "'debezium-json.schema-include' option been set to true.");
    if (b->ncols != d->schema->ncols)
        return sl_error_set(err, SL_EINVAL,
                            "debezium-json encoder: batch has %u columns, schema %u", b->ncols,
                            d->schema->ncols);
    static const char ins[] = "{\"before\":null,\"after\":", ins_end[] = ",\"op\":\"c\"}";
    static const char del[] = "{\"before\":", del_end[] = ",\"after\":null,\"op\":\"d\"}";
    uint32_t n = sl_batch_active(b);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t row = b->sel ? b->sel[k] : k;
        uint8_t kind = sl_batch_kind(b, row);
        bool create = kind == SL_ROW_INSERT || kind == SL_ROW_UPDATE_AFTER;
        int rc =
            create ? sl_dbz_put(out, ins, sizeof(ins) - 1) : sl_dbz_put(out, del, sizeof(del) - 1);
        if (!rc)
            rc = sl_json_put_row(d->row, b, row, out);
        if (!rc)
            rc = create ? sl_dbz_put(out, ins_end, sizeof(ins_end) - 1)
                        : sl_dbz_put(out, del_end, sizeof(del_end) - 1);
        if (!rc && d->line_end)
            rc = sl_dbz_put(out, "\n", 1);
        if (!rc)
            rc = sl_fmt_out_end_record(out);
        if (rc)
            return sl_error_set(err, rc, "debezium-json encoder: %s", sl_strerror(rc));
    }
    return 0;
}
