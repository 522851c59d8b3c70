/*
 * io/fmt.c - text <-> typed values, UTF-8 validation and output buffers (see fmt.h).
 *
 * The parsers are hand-written rather than strtol/strptime based: they take (pointer,
 * length) without a terminating NUL (record bytes are not NUL-terminated), never read past
 * the length, never allocate, and say precisely what was wrong. Only DOUBLE goes through
 * strtod (on a bounded stack copy), since correct rounding of decimal to binary is subtle.
 *
 * TIMESTAMP(3) text is engine/core/datetime's: its rules are sluice's one set for every
 * place that reads or writes a timestamp.
 */
#include "io/fmt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers -------------------------------------------------------------------------------- */

static void sl_fmt_trim(const char **s, size_t *n)
{
    const char *p = *s;
    size_t len = *n;
    while (len && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    *s = p;
    *n = len;
}

static inline bool sl_isdigit(char c)
{
    return c >= '0' && c <= '9';
}

static bool sl_fmt_ieq(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return false;
    }
    return true;
}

/* ---- text -> values ------------------------------------------------------------------------- */

int sl_fmt_parse_bool(const char *s, size_t n, uint8_t *out, const char **why)
{
    sl_fmt_trim(&s, &n);
    if (sl_fmt_ieq(s, n, "true")) {
        *out = 1;
        return 0;
    }
    if (sl_fmt_ieq(s, n, "false")) {
        *out = 0;
        return 0;
    }
    *why = "not a boolean (true or false)";
    return SL_EPARSE;
}

int sl_fmt_parse_i64(const char *s, size_t n, int64_t *out, const char **why)
{
    sl_fmt_trim(&s, &n);
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == n || !sl_isdigit(s[i])) {
        *why = "not an integer";
        return SL_EPARSE;
    }
    uint64_t acc = 0;
    bool over = false;
    for (; i < n && sl_isdigit(s[i]); i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (acc > (UINT64_MAX - d) / 10)
            over = true;
        else
            acc = acc * 10 + d;
    }
    if (i < n) {
        *why = (s[i] == '.' || s[i] == 'e' || s[i] == 'E') ? "not an integer (fraction or exponent)"
                                                           : "not an integer";
        return SL_EPARSE;
    }
    if (over || acc > (neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX)) {
        *why = "integer out of range";
        return SL_ERANGE;
    }
    *out = neg ? (int64_t)(0u - acc) : (int64_t)acc;
    return 0;
}

int sl_fmt_parse_i32(const char *s, size_t n, int32_t *out, const char **why)
{
    int64_t v;
    int rc = sl_fmt_parse_i64(s, n, &v, why);
    if (rc == SL_ERANGE || (rc == 0 && (v < INT32_MIN || v > INT32_MAX))) {
        *why = "integer out of range for INT";
        return SL_ERANGE;
    }
    if (rc == 0)
        *out = (int32_t)v;
    return rc;
}

int sl_fmt_parse_f64(const char *s, size_t n, double *out, const char **why)
{
    sl_fmt_trim(&s, &n);
    if (n == 3 && memcmp(s, "NaN", 3) == 0) {
        *out = NAN;
        return 0;
    }
    if ((n == 8 && memcmp(s, "Infinity", 8) == 0) || (n == 9 && memcmp(s, "+Infinity", 9) == 0)) {
        *out = INFINITY;
        return 0;
    }
    if (n == 9 && memcmp(s, "-Infinity", 9) == 0) {
        *out = -INFINITY;
        return 0;
    }
    /* syntax check first: strtod also takes hex, "inf", "nan(...)" and leading spaces */
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    for (; i < n && sl_isdigit(s[i]); i++)
        digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && sl_isdigit(s[i]); i++)
            digits++;
    if (digits && i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t ed = 0;
        for (; i < n && sl_isdigit(s[i]); i++)
            ed++;
        if (!ed)
            digits = 0;
    }
    if (!digits || i != n) {
        *why = "not a number";
        return SL_EPARSE;
    }
    char tmp[512];
    if (n >= sizeof(tmp)) {
        *why = "number too long";
        return SL_EPARSE;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    double v = strtod(tmp, NULL);
    if (errno == ERANGE && isinf(v)) {
        *why = "number out of range for DOUBLE";
        return SL_ERANGE;
    }
    *out = v;
    return 0;
}

int sl_fmt_parse_decimal(const char *s, size_t n, unsigned precision, unsigned scale, int64_t *out,
                         const char **why)
{
    sl_fmt_trim(&s, &n);
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    size_t i0 = i;
    while (i < n && sl_isdigit(s[i]))
        i++;
    size_t nint = i - i0, f0 = i, nfrac = 0;
    if (i < n && s[i] == '.') {
        f0 = ++i;
        while (i < n && sl_isdigit(s[i]))
            i++;
        nfrac = i - f0;
    }
    int64_t exp = 0;
    if (nint + nfrac && i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        size_t e0 = i;
        for (; i < n && sl_isdigit(s[i]); i++)
            if (exp < 1000000)
                exp = exp * 10 + (s[i] - '0');
        if (i == e0) {
            *why = "not a decimal number";
            return SL_EPARSE;
        }
        if (eneg)
            exp = -exp;
    }
    if (nint + nfrac == 0 || i != n) {
        *why = "not a decimal number";
        return SL_EPARSE;
    }
    /* value = D * 10^(exp - nfrac), D the digits without the point; keep the first `keep`
     * digits of D * 10^scale and round half-up on the next one */
    int64_t ndig = (int64_t)(nint + nfrac);
    int64_t keep = ndig + exp - (int64_t)nfrac + (int64_t)scale;
    uint64_t acc = 0;
    /* every value must fit in an int64; DECIMAL(p <= 18) must also stay below 10^p */
    const uint64_t lim = (uint64_t)INT64_MAX;
    for (int64_t j = 0; j < ndig && j < keep; j++) {
        char c = j < (int64_t)nint ? s[i0 + j] : s[f0 + (size_t)(j - (int64_t)nint)];
        if (acc > (lim - (uint64_t)(c - '0')) / 10)
            goto out_wide;
        acc = acc * 10 + (uint64_t)(c - '0');
    }
    if (keep > ndig && acc) {
        for (int64_t j = ndig; j < keep; j++) {
            if (acc > lim / 10)
                goto out_wide;
            acc *= 10;
        }
    }
    if (keep >= 0 && keep < ndig) {
        char c = keep < (int64_t)nint ? s[i0 + keep] : s[f0 + (size_t)(keep - (int64_t)nint)];
        if (c >= '5') {
            if (acc == lim)
                goto out_wide;
            acc++;
        }
    }
    if (precision <= 18 && acc >= (uint64_t)sl_pow10_i64(precision))
        goto out_range;
    *out = neg ? -(int64_t)acc : (int64_t)acc;
    return 0;
out_wide:
    if (precision <= 18)
        goto out_range;
    *why = "does not fit in 64 bits (sluice keeps DECIMAL values in 64 bits)";
    return SL_ERANGE;
out_range:
    *why = "exceeds the DECIMAL precision";
    return SL_ERANGE;
}

bool sl_fmt_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F; /* > U+10FFFF */
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

bool sl_fmt_map_keys_utf8(const char *m, uint32_t n)
{
    const char *k, *v;
    uint32_t kl, vl;
    size_t pos = 0;
    while (sl_map_next(m, n, &pos, &k, &kl, &v, &vl))
        if (!sl_fmt_utf8_valid(k, kl))
            return false;
    return true;
}

/* The length of the well-formed UTF-8 sequence at s[0..n) (1..4), or 0 with *bad the length
 * of its maximal ill-formed subpart (at least 1): Unicode's "maximal subpart" practice,
 * which Java's UTF-8 decoder follows when it replaces malformed input. */
static size_t sl_fmt_utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        *bad = 1;
        return 0;
    }
    size_t k = 1;
    if (k < n && s[k] >= lo && s[k] <= hi) {
        k++;
        while (k < len && k < n && (s[k] & 0xC0) == 0x80)
            k++;
    }
    if (k == len)
        return len;
    *bad = k;
    return 0;
}

size_t sl_fmt_utf8_lossy(char *out, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        size_t bad = 0, len = sl_fmt_utf8_seq(s + i, n - i, &bad);
        if (len) {
            memcpy(out + w, s + i, len);
            w += len;
            i += len;
        } else {
            memcpy(out + w, "\xEF\xBF\xBD", 3);
            w += 3;
            i += bad;
        }
    }
    return w;
}

static const char sl_fmt_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t sl_fmt_base64_encode(char *out, const char *in, size_t n)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t w = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        out[w++] = sl_fmt_b64[v >> 18];
        out[w++] = sl_fmt_b64[(v >> 12) & 63];
        out[w++] = sl_fmt_b64[(v >> 6) & 63];
        out[w++] = sl_fmt_b64[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        out[w++] = sl_fmt_b64[v >> 18];
        out[w++] = sl_fmt_b64[(v >> 12) & 63];
        out[w++] = '=';
        out[w++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        out[w++] = sl_fmt_b64[v >> 18];
        out[w++] = sl_fmt_b64[(v >> 12) & 63];
        out[w++] = sl_fmt_b64[(v >> 6) & 63];
        out[w++] = '=';
    }
    return w;
}

static int sl_fmt_b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int sl_fmt_base64_decode(const char *str, size_t n, char *out, size_t *outlen, const char **why)
{
    const unsigned char *s = (const unsigned char *)str;
    *outlen = 0;
    if (n % 4) {
        *why = "base64 text must be a multiple of 4 characters long ('=' padded)";
        return SL_EPARSE;
    }
    size_t w = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        size_t pad = 0;
        for (int k = 0; k < 4; k++) {
            v[k] = sl_fmt_b64_val(s[i + (size_t)k]);
            if (v[k] < 0) {
                bool tail =
                    i + 4 == n && s[i + (size_t)k] == '=' && k >= 2 && (k == 3 || s[i + 3] == '=');
                if (!tail) {
                    *why = s[i + (size_t)k] == '=' ? "base64 '=' before the end"
                                                   : "not a base64 character";
                    return SL_EPARSE;
                }
                v[k] = 0;
                pad++;
            }
        }
        uint32_t x =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[w++] = (char)(x >> 16);
        if (pad < 2)
            out[w++] = (char)(x >> 8);
        if (pad < 1)
            out[w++] = (char)x;
    }
    *outlen = w;
    return 0;
}

/* ---- storing into a batch ------------------------------------------------------------------- */

int sl_fmt_field_error(struct sl_error *err, int code, const struct sl_field *field,
                       const char *why, const char *text, size_t n)
{
    char tname[48];
    sl_type_format(field->type, tname, sizeof(tname));
    if (!text)
        return sl_error_set(err, code, "field '%s' (%s): %s", field->name, tname, why);
    char shown[64 * 4 + 8];
    size_t k = 0, lim = n > 64 ? 64 : n;
    for (size_t i = 0; i < lim; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            shown[k++] = (char)c;
        } else {
            snprintf(shown + k, 5, "\\x%02x", c);
            k += 4;
        }
    }
    if (n > lim) {
        memcpy(shown + k, "...", 3);
        k += 3;
    }
    shown[k] = '\0';
    return sl_error_set(err, code, "field '%s' (%s): %s: '%s'", field->name, tname, why, shown);
}

int sl_fmt_store_null(struct sl_batch *b, uint32_t col, uint32_t row, struct sl_error *err)
{
    struct sl_column *c = &b->cols[col];
    if (!c->valid)
        return sl_fmt_field_error(err, SL_EINVAL, &b->schema->fields[col],
                                  "NULL or missing value for a NOT NULL field", NULL, 0);
    sl_col_set_null(c, row, true);
    return 0;
}

int sl_fmt_store_varchar(struct sl_batch *b, uint32_t col, uint32_t row, const char *s, size_t n,
                         struct sl_error *err)
{
    struct sl_column *c = &b->cols[col];
    if (n > UINT32_MAX - 1)
        return sl_fmt_field_error(err, SL_ERANGE, &b->schema->fields[col], "string too long", NULL,
                                  0);
    sl_str v = sl_batch_str(b, s, (uint32_t)n);
    if (!sl_str_ok(v))
        return sl_error_set(err, SL_ENOMEM, "field '%s': out of memory for a string",
                            b->schema->fields[col].name);
    sl_col_str(c)[row] = v;
    if (c->valid)
        sl_col_set_null(c, row, false);
    return 0;
}

/* BYTES from base64 text. */
static int sl_fmt_store_base64(struct sl_batch *b, uint32_t col, uint32_t row, const char *s,
                               size_t n, struct sl_error *err)
{
    char stack[1024];
    char *buf = n / 4 * 3 <= sizeof(stack) ? stack : malloc(n / 4 * 3);
    if (!buf)
        return sl_error_set(err, SL_ENOMEM, "field '%s': out of memory for BYTES",
                            b->schema->fields[col].name);
    size_t len;
    const char *why = NULL;
    int rc = sl_fmt_base64_decode(s, n, buf, &len, &why);
    if (rc)
        rc = sl_fmt_field_error(err, rc, &b->schema->fields[col], why, s, n);
    else
        rc = sl_fmt_store_varchar(b, col, row, buf, len, err);
    if (buf != stack)
        free(buf);
    return rc;
}

int sl_fmt_store_text(struct sl_batch *b, uint32_t col, uint32_t row, const char *s, size_t n,
                      struct sl_error *err)
{
    struct sl_column *c = &b->cols[col];
    const char *why = NULL;
    int rc = 0;
    if (sl_type_is_bytes(c->type))
        return sl_fmt_store_base64(b, col, row, s, n, err);
    if (sl_type_is_map(c->type))
        return sl_fmt_field_error(err, SL_ENOTSUP, &b->schema->fields[col],
                                  "a MAP is not read from a record's text (only from Kafka "
                                  "headers)",
                                  NULL, 0);
    switch (c->type.id) {
    case SL_TYPE_BOOLEAN:
        rc = sl_fmt_parse_bool(s, n, &sl_col_bool(c)[row], &why);
        break;
    case SL_TYPE_INT:
        rc = sl_fmt_parse_i32(s, n, &sl_col_i32(c)[row], &why);
        break;
    case SL_TYPE_BIGINT:
        rc = sl_fmt_parse_i64(s, n, &sl_col_i64(c)[row], &why);
        break;
    case SL_TYPE_DOUBLE:
        rc = sl_fmt_parse_f64(s, n, &sl_col_f64(c)[row], &why);
        break;
    case SL_TYPE_DECIMAL:
        rc =
            sl_fmt_parse_decimal(s, n, c->type.precision, c->type.scale, &sl_col_i64(c)[row], &why);
        break;
    case SL_TYPE_TIMESTAMP:
        rc = sl_dt_parse(s, n, &sl_col_i64(c)[row], &why);
        break;
    case SL_TYPE_VARCHAR: {
        if (n > UINT32_MAX - 1) {
            why = "string too long";
            rc = SL_ERANGE;
            break;
        }
        if (!sl_fmt_utf8_valid(s, n)) {
            why = "invalid UTF-8";
            rc = SL_EPARSE;
            break;
        }
        sl_str v = sl_batch_str(b, s, (uint32_t)n);
        if (!sl_str_ok(v))
            return sl_error_set(err, SL_ENOMEM, "field '%s': out of memory for a string",
                                b->schema->fields[col].name);
        sl_col_str(c)[row] = v;
        break;
    }
    default:
        why = "unsupported type";
        rc = SL_ENOTSUP;
        break;
    }
    if (rc)
        return sl_fmt_field_error(err, rc, &b->schema->fields[col], why, s, n);
    if (c->valid)
        sl_col_set_null(c, row, false);
    return 0;
}

/* ---- column masks --------------------------------------------------------------------------- */

int sl_fmt_mask_init(struct sl_fmt_mask *m, const struct sl_schema *schema)
{
    uint32_t ncols = schema->ncols;
    memset(m, 0, sizeof(*m));
    m->need = malloc((ncols ? ncols : 1) * sizeof(*m->need));
    m->pruned = malloc((ncols ? ncols : 1) * sizeof(*m->pruned));
    if (!m->need || !m->pruned) {
        sl_fmt_mask_free(m);
        return SL_ENOMEM;
    }
    m->ncols = ncols;
    m->schema = schema;
    sl_fmt_mask_set(m, NULL, 0);
    return 0;
}

void sl_fmt_mask_free(struct sl_fmt_mask *m)
{
    free(m->need);
    free(m->pruned);
    memset(m, 0, sizeof(*m));
}

void sl_fmt_mask_set(struct sl_fmt_mask *m, const bool *needed, uint32_t n)
{
    m->npruned = 0;
    for (uint32_t c = 0; c < m->ncols; c++) {
        m->need[c] = !needed || c >= n || needed[c] || !m->schema->fields[c].type.nullable;
        if (!m->need[c])
            m->pruned[m->npruned++] = c;
    }
}

/* Clears bits [from, to) of a validity bitmap, a word at a time. */
static void sl_fmt_valid_clear(uint64_t *valid, uint32_t from, uint32_t to)
{
    while (from < to) {
        uint32_t base = from & ~63u, lo = from - base;
        uint32_t hi = to - base < 64 ? to - base : 64;
        uint64_t bits = (hi == 64 ? ~(uint64_t)0 : ((uint64_t)1 << hi) - 1) & (~(uint64_t)0 << lo);
        valid[base >> 6] &= ~bits;
        from = base + hi;
    }
}

void sl_fmt_mask_fill(const struct sl_fmt_mask *m, struct sl_batch *b, uint32_t from, uint32_t to)
{
    for (uint32_t k = 0; k < m->npruned && from < to; k++) {
        uint64_t *valid = b->cols[m->pruned[k]].valid; /* nullable columns only */
        if (valid)
            sl_fmt_valid_clear(valid, from, to);
    }
}

/* ---- the decode loop ------------------------------------------------------------------------ */

int sl_fmt_check_record(const struct sl_record *rec, size_t max_bytes, struct sl_error *err)
{
    if (!rec->value)
        return sl_error_set(err, SL_EINVAL, "tombstone (the record's value is NULL)");
    if (rec->value_len == 0)
        return sl_error_set(err, SL_EPARSE, "empty record");
    if (rec->value_len > max_bytes)
        return sl_error_set(err, SL_ERANGE, "record of %zu bytes exceeds the maximum of %zu",
                            rec->value_len, max_bytes);
    return 0;
}

int sl_fmt_decode_records(sl_fmt_row_fn fn, void *codec, size_t max_bytes,
                          const struct sl_record *recs, size_t n, struct sl_batch *b,
                          struct sl_badrec *bad, size_t *consumed, struct sl_error *err)
{
    size_t i = 0;
    int rc = 0;
    *consumed = 0;
    if (b->sel)
        return sl_error_set(err, SL_EINVAL, "decoding into a batch with a selection");
    for (; i < n && b->rows < SL_BATCH_CAP; i++) {
        struct sl_error why;
        const struct sl_record *rec = &recs[i];
        rc = sl_fmt_check_record(rec, max_bytes, &why);
        if (rc == 0) {
            rc = fn(codec, (const char *)rec->value, rec->value_len, b, b->rows, &why);
            if (rc == 0) {
                b->rows++;
                continue;
            }
        }
        if (rc == SL_ENOMEM) {
            char where[256];
            sl_badrec_where(rec, where, sizeof(where));
            sl_error_set(err, rc, "decoding the record at %s: %s", where, why.msg);
            break;
        }
        rc = sl_badrec_handle(bad, rec, rc, why.msg, err);
        if (rc)
            break;
    }
    *consumed = i;
    return rc;
}

/* ---- values -> text ------------------------------------------------------------------------- */

static size_t sl_fmt_u64(char *buf, uint64_t v)
{
    char tmp[24];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < k; i++)
        buf[i] = tmp[k - 1 - i];
    return k;
}

size_t sl_fmt_i64(char *buf, int64_t v)
{
    if (v < 0) {
        buf[0] = '-';
        return 1 + sl_fmt_u64(buf + 1, 0u - (uint64_t)v);
    }
    return sl_fmt_u64(buf, (uint64_t)v);
}

size_t sl_fmt_decimal(char *buf, int64_t v, unsigned scale)
{
    size_t k = 0;
    uint64_t a = (uint64_t)v;
    if (v < 0) {
        buf[k++] = '-';
        a = 0u - a;
    }
    if (scale == 0)
        return k + sl_fmt_u64(buf + k, a);
    /* scale > 18: every int64 is below 10^19 <= 10^scale, so the integer part is 0 */
    uint64_t p = (uint64_t)sl_pow10_i64(scale > 18 ? 18 : scale);
    k += sl_fmt_u64(buf + k, scale > 18 ? 0 : a / p);
    buf[k++] = '.';
    uint64_t f = scale > 18 ? a : a % p;
    for (unsigned i = scale; i-- > 0;) {
        buf[k + i] = (char)('0' + f % 10);
        f /= 10;
    }
    return k + scale;
}

size_t sl_fmt_f64(char *buf, double v)
{
    if (v == 0) {
        if (signbit(v)) {
            memcpy(buf, "-0.0", 4);
            return 4;
        }
        memcpy(buf, "0.0", 3);
        return 3;
    }
    char tmp[SL_FMT_VALUE_MAX];
    int len = 0;
    for (int prec = 15; prec <= 17; prec++) {
        len = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    memcpy(buf, tmp, (size_t)len);
    if (!memchr(tmp, '.', (size_t)len) && !memchr(tmp, 'e', (size_t)len)) {
        memcpy(buf + len, ".0", 2);
        len += 2;
    }
    return (size_t)len;
}

/* ---- output buffers ------------------------------------------------------------------------- */

void sl_fmt_out_init(struct sl_fmt_out *o)
{
    memset(o, 0, sizeof(*o));
}

void sl_fmt_out_free(struct sl_fmt_out *o)
{
    free(o->data);
    free(o->off);
    sl_fmt_out_init(o);
}

void sl_fmt_out_clear(struct sl_fmt_out *o)
{
    o->len = 0;
    o->nrec = 0;
    if (o->off)
        o->off[0] = 0;
}

int sl_fmt_out_reserve(struct sl_fmt_out *o, size_t extra)
{
    if (!o->off) {
        o->off = malloc(64 * sizeof(*o->off));
        if (!o->off)
            return SL_ENOMEM;
        o->offcap = 64;
        o->off[0] = 0;
    }
    if (o->cap - o->len >= extra)
        return 0;
    size_t cap = o->cap ? o->cap : 4096;
    while (cap - o->len < extra)
        cap *= 2;
    char *d = realloc(o->data, cap);
    if (!d)
        return SL_ENOMEM;
    o->data = d;
    o->cap = cap;
    return 0;
}

int sl_fmt_out_end_record(struct sl_fmt_out *o)
{
    int rc = sl_fmt_out_reserve(o, 0);
    if (rc)
        return rc;
    if (o->nrec + 2 > o->offcap) {
        size_t *n = realloc(o->off, (size_t)o->offcap * 2 * sizeof(*n));
        if (!n)
            return SL_ENOMEM;
        o->off = n;
        o->offcap *= 2;
    }
    o->off[++o->nrec] = o->len;
    return 0;
}

/*
 * A double as Java's Double.toString prints it (what Flink's CAST(d AS STRING) gives): the
 * shortest digits that read back to the same double; plain notation for 1e-3 <= |d| < 1e7
 * ("100.0", "0.001"), else computerized scientific ("1.0E7", "1.234E-5").
 */
size_t sl_fmt_java_double(char *buf, double v)
{
    if (v != v) {
        memcpy(buf, "NaN", 3);
        return 3;
    }
    if (isinf(v)) {
        if (v < 0) {
            memcpy(buf, "-Infinity", 9);
            return 9;
        }
        memcpy(buf, "Infinity", 8);
        return 8;
    }
    if (v == 0)
        return sl_fmt_f64(buf, v); /* "0.0" / "-0.0" */
    char tmp[40];
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* tmp: [-]d[.ddd]e[+-]XX */
    size_t k = 0;
    const char *p = tmp;
    if (*p == '-')
        buf[k++] = *p++;
    char dig[20];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            dig[nd++] = *p;
    int e10 = atoi(p + 1);
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    if (e10 >= -3 && e10 < 7) {
        if (e10 >= 0) {
            for (int i = 0; i <= e10; i++)
                buf[k++] = i < nd ? dig[i] : '0';
            buf[k++] = '.';
            if (nd > e10 + 1)
                for (int i = e10 + 1; i < nd; i++)
                    buf[k++] = dig[i];
            else
                buf[k++] = '0';
        } else {
            buf[k++] = '0';
            buf[k++] = '.';
            for (int i = 0; i < -e10 - 1; i++)
                buf[k++] = '0';
            for (int i = 0; i < nd; i++)
                buf[k++] = dig[i];
        }
        return k;
    }
    buf[k++] = dig[0];
    buf[k++] = '.';
    if (nd > 1)
        for (int i = 1; i < nd; i++)
            buf[k++] = dig[i];
    else
        buf[k++] = '0';
    k += (size_t)snprintf(buf + k, 8, "E%d", e10);
    return k;
}
