/*
 * io/json.c - the JSON format: the plan (schema tree), decoding through the simdjson shim,
 * and the encoder (rules in json.h).
 *
 * THE PLAN
 * Flattened names are split at dots and rebuilt into a tree of nodes; a node's children
 * are contiguous in one array, in the order the schema first names them, so the encoder
 * writes keys in schema order and the decoder's "next expected key" guess is right for
 * records written in that order (Flink's and ours). The plan is built once per codec.
 *
 * DECODING
 * Each record first goes to the schema-specialised fast path (io/jsonfast.c), which decodes
 * the common case - strict JSON, keys the plan knows, values it converts exactly - in one
 * pass; anything else it hands, untouched, to the simdjson path (io/json_shim.cc), whose
 * results and errors are the reference. SLUICE_JSON_FAST=off in the environment (read when
 * a codec is made) sends every record to simdjson; the fast path's SIMD level is the one
 * in use (kernels/simd.h) when the codec is made.
 *
 * PROJECTION PUSHDOWN
 * sl_json_prune marks the plan's nodes nobody reads (json_shim.h) and the columns not
 * needed as seen from the start of every record; both paths skip those values after
 * validating them, and sl_json_decode makes the columns NULL for all the rows it appended
 * (sl_fmt_mask_fill), rather than row by row.
 *
 * The encoder is plain C: it writes straight into the output buffer after reserving the
 * worst case of each value (6 bytes per string byte for \u escapes).
 */
#include "io/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/datetime.h"
#include "io/json_shim.h"
#include "io/jsonfast.h"

struct sl_json {
    const struct sl_schema *schema;
    struct sl_json_plan plan;
    struct sl_json_shim *shim;
    struct sl_jsonfast *fast; /* NULL: every record goes to the shim */
    struct sl_json_stats stats;
    struct sl_fmt_mask mask; /* projection pushdown: the columns decoded */
    size_t max_bytes;
    bool line_end;
};

/* ---- the plan ------------------------------------------------------------------------------- */

/* Segment `depth` of a dotted name: returns false when the name has fewer segments. */
static bool sl_json_segment(const char *name, uint32_t depth, const char **seg, uint32_t *len)
{
    const char *p = name;
    for (uint32_t d = 0; d < depth; d++) {
        p = strchr(p, '.');
        if (!p)
            return false;
        p++;
    }
    const char *e = strchr(p, '.');
    *seg = p;
    *len = (uint32_t)(e ? (size_t)(e - p) : strlen(p));
    return true;
}

static bool sl_json_has_more(const char *name, uint32_t depth)
{
    const char *s;
    uint32_t l;
    return sl_json_segment(name, depth + 1, &s, &l);
}

struct sl_json_builder {
    const struct sl_schema *schema;
    struct sl_json_plan *plan;
    uint32_t cap;
    uint32_t *tmp; /* scratch for subsets, ncols per level */
    struct sl_error *err;
};

static int sl_json_build(struct sl_json_builder *bl, uint32_t node, const uint32_t *fields,
                         uint32_t nf, uint32_t depth)
{
    const struct sl_schema *schema = bl->schema;
    struct sl_json_plan *plan = bl->plan;
    /* distinct segments in order of first appearance */
    uint32_t child0 = plan->nnodes, nchild = 0;
    for (uint32_t i = 0; i < nf; i++) {
        const char *seg = NULL;
        uint32_t len = 0;
        sl_json_segment(schema->fields[fields[i]].name, depth, &seg, &len);
        if (len == 0)
            return sl_error_set(bl->err, SL_EINVAL, "JSON: field '%s' has an empty name part",
                                schema->fields[fields[i]].name);
        bool known = false;
        for (uint32_t k = 0; k < nchild && !known; k++) {
            struct sl_json_node *c = &plan->nodes[child0 + k];
            known = c->name_len == len && memcmp(c->name, seg, len) == 0;
        }
        if (known)
            continue;
        if (plan->nnodes == bl->cap)
            return sl_error_set(bl->err, SL_EINVAL, "JSON: schema tree too large");
        struct sl_json_node *c = &plan->nodes[plan->nnodes++];
        memset(c, 0, sizeof(*c));
        c->name = seg;
        c->name_len = len;
        c->col = -1;
        if (len > plan->max_name)
            plan->max_name = len;
        nchild++;
    }
    plan->nodes[node].child0 = child0;
    plan->nodes[node].nchild = nchild;
    for (uint32_t k = 0; k < nchild; k++) {
        struct sl_json_node *c = &plan->nodes[child0 + k];
        uint32_t *sub = malloc((nf ? nf : 1) * sizeof(*sub));
        if (!sub)
            return sl_error_set(bl->err, SL_ENOMEM, "out of memory");
        uint32_t ns = 0;
        int32_t leaf = -1;
        for (uint32_t i = 0; i < nf; i++) {
            const char *seg = NULL;
            uint32_t len = 0;
            const char *name = schema->fields[fields[i]].name;
            sl_json_segment(name, depth, &seg, &len);
            if (len != c->name_len || memcmp(seg, c->name, len) != 0)
                continue;
            sub[ns++] = fields[i];
            if (!sl_json_has_more(name, depth))
                leaf = (int32_t)fields[i];
        }
        int rc = 0;
        if (leaf >= 0 && ns > 1)
            rc = sl_error_set(bl->err, SL_EINVAL,
                              "JSON: field '%s' is named twice or is both a value and a ROW",
                              schema->fields[leaf].name);
        else if (leaf >= 0)
            c->col = leaf;
        else
            rc = sl_json_build(bl, child0 + k, sub, ns, depth + 1);
        free(sub);
        if (rc)
            return rc;
    }
    return 0;
}

/* Appends s[0 .. n) as a JSON string (with quotes) at p; returns the bytes written (at most
 * 6 n + 2). */
/* Nonzero when one of the 8 bytes of v needs an escape in a JSON string: below 0x20, '"' or
 * '\\' (the bit hacks' "hasless" and "haszero" tests: exact for whether any byte does). */
static inline uint64_t sl_json_esc_any(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    return (((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
}

static size_t sl_json_put_char(char *p, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    if (c >= 0x20 && c != '"' && c != '\\') {
        p[0] = (char)c;
        return 1;
    }
    p[0] = '\\';
    switch (c) {
    case '"':
        p[1] = '"';
        return 2;
    case '\\':
        p[1] = '\\';
        return 2;
    case '\n':
        p[1] = 'n';
        return 2;
    case '\r':
        p[1] = 'r';
        return 2;
    case '\t':
        p[1] = 't';
        return 2;
    case '\b':
        p[1] = 'b';
        return 2;
    case '\f':
        p[1] = 'f';
        return 2;
    default:
        memcpy(p + 1, "u00", 3);
        p[4] = hex[c >> 4];
        p[5] = hex[c & 15];
        return 6;
    }
}

/* Writes s[0..n) as a JSON string; p has room for 6 * n + 2 bytes. Eight bytes at a time
 * while none of them needs an escape (the usual case), byte by byte around those that do. */
static size_t sl_json_put_string(char *p, const char *s, size_t n)
{
    size_t w = 0, i = 0;
    p[w++] = '"';
    while (i + 8 <= n) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        if (!sl_json_esc_any(v)) {
            memcpy(p + w, s + i, 8);
            w += 8;
            i += 8;
            continue;
        }
        for (size_t k = 0; k < 8; k++)
            w += sl_json_put_char(p + w, (unsigned char)s[i + k]);
        i += 8;
    }
    for (; i < n; i++)
        w += sl_json_put_char(p + w, (unsigned char)s[i]);
    p[w++] = '"';
    return w;
}

static void sl_json_plan_free(struct sl_json_plan *plan)
{
    if (plan->nodes)
        for (uint32_t i = 0; i < plan->nnodes; i++)
            free(plan->nodes[i].key_json);
    free(plan->nodes);
    free(plan->seen0);
    memset(plan, 0, sizeof(*plan));
}

struct sl_json *sl_json_new(const struct sl_schema *schema, const struct sl_fmt_opts *opts,
                            struct sl_error *err)
{
    struct sl_json *json = calloc(1, sizeof(*json));
    uint32_t *all = NULL;
    if (!json)
        goto out_nomem;
    json->schema = schema;
    json->max_bytes =
        opts && opts->max_record_bytes ? opts->max_record_bytes : SL_FMT_DEFAULT_MAX_RECORD;
    json->line_end = opts && opts->json_line_end;
    uint32_t cap = 1;
    for (uint32_t i = 0; i < schema->ncols; i++) {
        if (schema->fields[i].type.id >= SL_TYPE_COUNT) {
            sl_error_set(err, SL_ENOTSUP, "JSON: field '%s' has an unknown type",
                         schema->fields[i].name);
            goto out_free;
        }
        for (const char *p = schema->fields[i].name; *p; p++)
            cap += *p == '.';
        cap++;
    }
    json->plan.nodes = calloc(cap, sizeof(*json->plan.nodes));
    json->plan.seen_words = SL_JSON_SEEN_WORDS(schema->ncols);
    json->plan.seen0 = calloc(json->plan.seen_words, sizeof(*json->plan.seen0));
    all = malloc((schema->ncols ? schema->ncols : 1) * sizeof(*all));
    if (!json->plan.nodes || !json->plan.seen0 || !all || sl_fmt_mask_init(&json->mask, schema))
        goto out_nomem;
    for (uint32_t i = 0; i < schema->ncols; i++)
        all[i] = i;
    json->plan.nnodes = 1;
    json->plan.ncols = schema->ncols;
    json->plan.nodes[0].col = -1;
    struct sl_json_builder bl = {schema, &json->plan, cap, NULL, err};
    if (sl_json_build(&bl, 0, all, schema->ncols, 0))
        goto out_free;
    for (uint32_t i = 1; i < json->plan.nnodes; i++) {
        struct sl_json_node *nd = &json->plan.nodes[i];
        nd->key_json = malloc(6 * (size_t)nd->name_len + 4);
        if (!nd->key_json)
            goto out_nomem;
        size_t w = sl_json_put_string(nd->key_json, nd->name, nd->name_len);
        nd->key_json[w++] = ':';
        nd->key_json[w] = '\0';
        nd->key_json_len = (uint32_t)w;
        if (nd->name_len < 16) {
            unsigned char pat[16] = {0}, mask[16] = {0};
            memcpy(pat, nd->name, nd->name_len);
            pat[nd->name_len] = '"';
            memset(mask, 0xff, nd->name_len + 1);
            memcpy(nd->pat, pat, 16);
            memcpy(nd->mask, mask, 16);
        }
    }
    json->shim = sl_json_shim_new(&json->plan, json->max_bytes);
    if (!json->shim)
        goto out_nomem;
    const char *fast_env = getenv("SLUICE_JSON_FAST");
    bool fast_off = fast_env && (!strcmp(fast_env, "off") || !strcmp(fast_env, "0"));
    if (!fast_off && sl_jsonfast_new(&json->plan, sl_simd_active(), &json->fast))
        goto out_nomem;
    free(all);
    return json;
out_nomem:
    sl_error_set(err, SL_ENOMEM, "out of memory");
out_free:
    free(all);
    sl_json_free(json);
    return NULL;
}

void sl_json_free(struct sl_json *json)
{
    if (!json)
        return;
    sl_json_shim_free(json->shim);
    sl_jsonfast_free(json->fast);
    sl_json_plan_free(&json->plan);
    sl_fmt_mask_free(&json->mask);
    free(json);
}

/* ---- projection pushdown -------------------------------------------------------------------- */

/* Marks node `n` and everything under it skipped when no column below it is needed;
 * returns whether it is. */
static bool sl_json_mark_skip(struct sl_json_plan *plan, uint32_t n, const bool *need)
{
    struct sl_json_node *nd = &plan->nodes[n];
    bool skip = true;
    if (nd->col >= 0)
        skip = !need[nd->col];
    else
        for (uint32_t k = 0; k < nd->nchild; k++)
            skip &= sl_json_mark_skip(plan, nd->child0 + k, need);
    nd->skip = skip;
    return skip;
}

void sl_json_prune(struct sl_json *json, const bool *needed, uint32_t ncols)
{
    struct sl_json_plan *plan = &json->plan;
    sl_fmt_mask_set(&json->mask, needed, ncols);
    sl_json_mark_skip(plan, 0, json->mask.need);
    plan->nodes[0].skip = 0; /* the record itself is always walked */
    memset(plan->seen0, 0, plan->seen_words * sizeof(*plan->seen0));
    for (uint32_t k = 0; k < json->mask.npruned; k++) {
        uint32_t c = json->mask.pruned[k];
        plan->seen0[c >> 6] |= (uint64_t)1 << (c & 63);
    }
}

/* ---- decoding ------------------------------------------------------------------------------- */

static int sl_json_row(void *codec, const char *data, size_t len, struct sl_batch *b, uint32_t row,
                       struct sl_error *err)
{
    struct sl_json *json = codec;
    if (json->fast && sl_jsonfast_row(json->fast, data, len, b, row) == 0) {
        json->stats.fast++;
        return 0;
    }
    json->stats.fallback++;
    return sl_json_shim_row(json->shim, &json->plan, data, len, b, row, err);
}

int sl_json_decode(struct sl_json *json, const struct sl_record *recs, size_t n, struct sl_batch *b,
                   struct sl_badrec *bad, size_t *consumed, struct sl_error *err)
{
    if (b->ncols != json->schema->ncols)
        return sl_error_set(err, SL_EINVAL, "JSON decoder: batch has %u columns, schema %u",
                            b->ncols, json->schema->ncols);
    uint32_t rows0 = b->rows;
    int rc =
        sl_fmt_decode_records(sl_json_row, json, json->max_bytes, recs, n, b, bad, consumed, err);
    sl_fmt_mask_fill(&json->mask, b, rows0, b->rows);
    return rc;
}

void sl_json_stats(const struct sl_json *json, struct sl_json_stats *stats)
{
    *stats = json->stats;
}

/* ---- encoding ------------------------------------------------------------------------------- */

static bool sl_json_any_present(const struct sl_json_plan *plan, const struct sl_json_node *nd,
                                struct sl_batch *b, uint32_t row)
{
    for (uint32_t k = 0; k < nd->nchild; k++) {
        const struct sl_json_node *c = &plan->nodes[nd->child0 + k];
        if (c->col >= 0 ? !sl_col_is_null(&b->cols[c->col], row)
                        : sl_json_any_present(plan, c, b, row))
            return true;
    }
    return false;
}

static int sl_json_put_value(struct sl_fmt_out *out, struct sl_column *c, uint32_t row)
{
    if (sl_col_is_null(c, row)) {
        if (sl_fmt_out_reserve(out, 4))
            return SL_ENOMEM;
        memcpy(out->data + out->len, "null", 4);
        out->len += 4;
        return 0;
    }
    if (sl_type_is_map(c->type)) {
        /* an object, as flink-json writes a MAP: each entry a key, each value base64 or null
         * (entries in the map's order; a repeated key - never made by sluice - repeats) */
        const sl_str *m = &sl_col_str(c)[row];
        const char *mp = sl_str_data(m), *k, *v;
        uint32_t kl, vl;
        size_t pos = 0;
        bool first = true;
        if (sl_fmt_out_reserve(out, 2))
            return SL_ENOMEM;
        out->data[out->len++] = '{';
        while (sl_map_next(mp, m->len, &pos, &k, &kl, &v, &vl)) {
            if (sl_fmt_out_reserve(out, 6 * (size_t)kl + SL_FMT_BASE64_LEN(vl) + 8))
                return SL_ENOMEM;
            if (!first)
                out->data[out->len++] = ',';
            first = false;
            out->len += sl_json_put_string(out->data + out->len, k, kl);
            out->data[out->len++] = ':';
            if (!v) {
                memcpy(out->data + out->len, "null", 4);
                out->len += 4;
                continue;
            }
            out->data[out->len++] = '"';
            out->len += sl_fmt_base64_encode(out->data + out->len, v, vl);
            out->data[out->len++] = '"';
        }
        if (sl_fmt_out_reserve(out, 1))
            return SL_ENOMEM;
        out->data[out->len++] = '}';
        return 0;
    }
    if (sl_type_is_bytes(c->type)) { /* base64, as flink-json writes BYTES (a binary node) */
        const sl_str *s = &sl_col_str(c)[row];
        if (sl_fmt_out_reserve(out, SL_FMT_BASE64_LEN(s->len) + 2))
            return SL_ENOMEM;
        char *p = out->data + out->len;
        p[0] = '"';
        size_t n = sl_fmt_base64_encode(p + 1, sl_str_data(s), s->len);
        p[n + 1] = '"';
        out->len += n + 2;
        return 0;
    }
    if (c->type.id == SL_TYPE_VARCHAR) {
        const sl_str *s = &sl_col_str(c)[row];
        if (sl_fmt_out_reserve(out, 6 * (size_t)s->len + 2))
            return SL_ENOMEM;
        out->len += sl_json_put_string(out->data + out->len, sl_str_data(s), s->len);
        return 0;
    }
    if (sl_fmt_out_reserve(out, SL_FMT_VALUE_MAX + 2))
        return SL_ENOMEM;
    char *p = out->data + out->len;
    size_t w = 0;
    switch (c->type.id) {
    case SL_TYPE_BOOLEAN:
        w = sl_col_bool(c)[row] ? (memcpy(p, "true", 4), 4u) : (memcpy(p, "false", 5), 5u);
        break;
    case SL_TYPE_INT:
        w = sl_fmt_i64(p, sl_col_i32(c)[row]);
        break;
    case SL_TYPE_BIGINT:
        w = sl_fmt_i64(p, sl_col_i64(c)[row]);
        break;
    case SL_TYPE_DECIMAL:
        w = sl_fmt_decimal(p, sl_col_i64(c)[row], c->type.scale);
        break;
    case SL_TYPE_TIMESTAMP:
        /* TIMESTAMP_LTZ: Flink's SQL_TIMESTAMP_WITH_LOCAL_TIMEZONE_FORMAT, a 'Z' at the end */
        p[0] = '"';
        w = (size_t)((sl_type_is_ltz(c->type) ? sl_dt_put(p + 1, sl_col_i64(c)[row], SL_DT_SQL_Z)
                                              : sl_dt_put(p + 1, sl_col_i64(c)[row], SL_DT_SQL)) -
                     p);
        p[w++] = '"';
        break;
    case SL_TYPE_DOUBLE: {
        double v = sl_col_f64(c)[row];
        const char *sp = isnan(v)   ? "\"NaN\""
                         : isinf(v) ? (v > 0 ? "\"Infinity\"" : "\"-Infinity\"")
                                    : NULL;
        if (sp) {
            w = strlen(sp);
            memcpy(p, sp, w);
        } else {
            w = sl_fmt_f64(p, v);
        }
        break;
    }
    default:
        return SL_ENOTSUP;
    }
    out->len += w;
    return 0;
}

static int sl_json_put_object(struct sl_json *json, const struct sl_json_node *nd,
                              struct sl_batch *b, uint32_t row, struct sl_fmt_out *out)
{
    const struct sl_json_plan *plan = &json->plan;
    if (sl_fmt_out_reserve(out, 1))
        return SL_ENOMEM;
    out->data[out->len++] = '{';
    for (uint32_t k = 0; k < nd->nchild; k++) {
        const struct sl_json_node *c = &plan->nodes[nd->child0 + k];
        if (sl_fmt_out_reserve(out, (size_t)c->key_json_len + 5))
            return SL_ENOMEM;
        if (k)
            out->data[out->len++] = ',';
        memcpy(out->data + out->len, c->key_json, c->key_json_len);
        out->len += c->key_json_len;
        int rc;
        if (c->col >= 0) {
            rc = sl_json_put_value(out, &b->cols[c->col], row);
        } else if (!sl_json_any_present(plan, c, b, row)) {
            memcpy(out->data + out->len, "null", 4);
            out->len += 4;
            rc = 0;
        } else {
            rc = sl_json_put_object(json, c, b, row, out);
        }
        if (rc)
            return rc;
    }
    if (sl_fmt_out_reserve(out, 1))
        return SL_ENOMEM;
    out->data[out->len++] = '}';
    return 0;
}

int sl_json_put_row(struct sl_json *json, struct sl_batch *b, uint32_t row, struct sl_fmt_out *out)
{
    return sl_json_put_object(json, &json->plan.nodes[0], b, row, out);
}

int sl_json_encode(struct sl_json *json, struct sl_batch *b, struct sl_fmt_out *out,
                   struct sl_error *err)
{
    if (b->ncols != json->schema->ncols)
        return sl_error_set(err, SL_EINVAL, "JSON encoder: batch has %u columns, schema %u",
                            b->ncols, json->schema->ncols);
    uint32_t n = sl_batch_active(b);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t row = b->sel ? b->sel[k] : k;
        int rc = sl_json_put_object(json, &json->plan.nodes[0], b, row, out);
        if (!rc && json->line_end) {
            rc = sl_fmt_out_reserve(out, 1);
            if (!rc)
                out->data[out->len++] = '\n';
        }
        if (!rc)
            rc = sl_fmt_out_end_record(out);
        if (rc)
            return sl_error_set(err, rc, "JSON encoder: %s", sl_strerror(rc));
    }
    return 0;
}
