/*
 * engine/conn/print.c - the 'print' sink (Flink's print connector).
 *
 * PRINT
 * Each row is one line, as Flink's PrintSinkOutputWriter writes the external Row's
 * toString():  [prefix] +I[v1, v2, ...]
 *   prefix   'print-identifier' and, with more than one worker, the worker number + 1
 *            (Flink's subtask index + 1): "id:2> ", "id> ", "2> ", or nothing.
 *   values   NULL            null
 *            BOOLEAN         true / false
 *            INT, BIGINT     decimal digits
 *            DOUBLE          Java's Double.toString: plain with at least one fraction digit
 *                            for 1e-3 <= |x| < 1e7 ("1.0", "-0.0", "0.001"), otherwise
 *                            computerized scientific ("1.0E7", "1.234E-5"); NaN, Infinity,
 *                            -Infinity; the shortest digits (at least two: d.d) that read
 *                            back exactly, the closest such when several (as Java 19 and
 *                            later print; older Javas sometimes print more digits)
 *            DECIMAL(p,s)    BigDecimal.toString: s fraction digits ("5.00"); scientific
 *                            when the adjusted exponent is below -6 ("1E-8", "0E-8")
 *            TIMESTAMP(3)    LocalDateTime.toString: 2024-01-01T10:20 (seconds and
 *                            milliseconds only when not zero: 10:20:05, 10:20:05.100;
 *                            sl_dt_format's SL_DT_JAVA style)
 *            VARCHAR         the text as it is, no quotes
 *            ROW             +I[...] nested; the flattened columns "r.a", "r.b" print as
 *                            one nested row. A ROW whose fields are all NULL prints null
 *                            (flattening cannot tell it from a row of NULLs; the JSON
 *                            format makes the same choice).
 *   kind     the row's kind as Flink's RowKind.shortString(): +I, or for an updating
 *            query's changelog -U / +U (engine/core/batch.h); nested ROWs print +I.
 * 'standard-error' = 'true' prints to stderr instead of env->print_out.
 * Each worker formats a batch into its own buffer and writes it, under the stream's lock,
 * with one write(2) where the stream has a descriptor (pr_out), so lines of different
 * workers, sinks or other writers of the same file never interleave mid-line.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/conn/conn_impl.h"
#include "engine/conn/registry.h"
#include "engine/core/datetime.h"

#define PR_MAX_DEPTH 8

struct pr_buf {
    char *data;
    size_t len, cap;
    char pad[40];
};

struct pr_sink {
    struct sl_sink base;
    int nworkers;
    FILE *out;
    pthread_mutex_t lock;
    const struct sl_rel *rel;
    uint8_t *ndots;                   /* per column: dots in its name (nesting depth) */
    uint16_t (*dotpos)[PR_MAX_DEPTH]; /* per column: index of each dot */
    char **prefix;                    /* per worker */
    struct pr_buf *buf;               /* per worker */
};

static int pr_reserve(struct pr_buf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        return SL_ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

static void pr_put(struct pr_buf *b, const char *s, size_t n)
{
    if (!n)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

/* ---- value formatting ---------------------------------------------------------------------- */

/* Java's Double.toString of a finite or special value into out (>= 32 bytes); length. */
static size_t pr_double(char *out, double v)
{
    if (isnan(v))
        return (size_t)sprintf(out, "NaN");
    if (isinf(v))
        return (size_t)sprintf(out, v < 0 ? "-Infinity" : "Infinity");
    if (v == 0)
        return (size_t)sprintf(out, signbit(v) ? "-0.0" : "0.0");
    char e[40];
    for (int prec = 1; prec < 17; prec++) { /* Java: at least 2 digits, d.d */
        snprintf(e, sizeof(e), "%.*e", prec, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e = [-]d[.ddd]e[+-]xx */
    char digits[24];
    int nd = 0;
    const char *p = e;
    bool neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    size_t n = 0;
    if (neg)
        out[n++] = '-';
    double a = fabs(v);
    if (a >= 1e-3 && a < 1e7) {
        if (exp10 >= 0) {
            for (int i = 0; i <= exp10; i++)
                out[n++] = i < nd ? digits[i] : '0';
            out[n++] = '.';
            if (nd > exp10 + 1)
                for (int i = exp10 + 1; i < nd; i++)
                    out[n++] = digits[i];
            else
                out[n++] = '0';
        } else {
            out[n++] = '0';
            out[n++] = '.';
            for (int i = 0; i < -exp10 - 1; i++)
                out[n++] = '0';
            for (int i = 0; i < nd; i++)
                out[n++] = digits[i];
        }
        out[n] = '\0';
        return n;
    }
    out[n++] = digits[0];
    out[n++] = '.';
    if (nd > 1)
        for (int i = 1; i < nd; i++)
            out[n++] = digits[i];
    else
        out[n++] = '0';
    n += (size_t)sprintf(out + n, "E%d", exp10);
    return n;
}

/* BigDecimal.toString of unscaled v with scale s. */
static size_t pr_decimal(char *out, int64_t v, unsigned scale)
{
    char d[24];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    int nd = sprintf(d, "%" PRIu64, u);
    size_t n = 0;
    if (v < 0)
        out[n++] = '-';
    int adjusted = -(int)scale + (nd - 1);
    if (adjusted >= -6) {
        if (scale == 0) {
            memcpy(out + n, d, (size_t)nd);
            n += (size_t)nd;
        } else if (nd > (int)scale) {
            memcpy(out + n, d, (size_t)nd - scale);
            n += (size_t)nd - scale;
            out[n++] = '.';
            memcpy(out + n, d + nd - scale, scale);
            n += scale;
        } else {
            out[n++] = '0';
            out[n++] = '.';
            for (int i = 0; i < (int)scale - nd; i++)
                out[n++] = '0';
            memcpy(out + n, d, (size_t)nd);
            n += (size_t)nd;
        }
        out[n] = '\0';
        return n;
    }
    out[n++] = d[0];
    if (nd > 1) {
        out[n++] = '.';
        memcpy(out + n, d + 1, (size_t)nd - 1);
        n += (size_t)nd - 1;
    }
    n += (size_t)sprintf(out + n, "E%d", adjusted);
    return n;
}

/* BYTES as Flink prints a byte[] (Arrays.toString: signed decimal bytes, "[104, -1]"). */
static int pr_bytes(struct pr_buf *o, const char *s, uint32_t n)
{
    if (pr_reserve(o, 2 + (size_t)n * 6))
        return SL_ENOMEM;
    char tmp[8];
    pr_put(o, "[", 1);
    for (uint32_t i = 0; i < n; i++) {
        int k = sprintf(tmp, "%s%d", i ? ", " : "", (int)(signed char)s[i]);
        pr_put(o, tmp, (size_t)k);
    }
    pr_put(o, "]", 1);
    return 0;
}

/* MAP<STRING, BYTES> as Flink prints one (Row.toString's deep form: {k=[1, 2], k2=null}),
 * with the entries in the map's order; Flink's external map is a java.util.HashMap, whose
 * order is its keys' hash order (checked against Flink 1.20: the same text up to the order). */
static int pr_map(struct pr_buf *o, const sl_str *m)
{
    const char *p = sl_str_data(m), *k, *v;
    uint32_t kl, vl;
    size_t pos = 0;
    bool first = true;
    if (pr_reserve(o, 1))
        return SL_ENOMEM;
    pr_put(o, "{", 1);
    while (sl_map_next(p, m->len, &pos, &k, &kl, &v, &vl)) {
        if (pr_reserve(o, (size_t)kl + 7))
            return SL_ENOMEM;
        if (!first)
            pr_put(o, ", ", 2);
        first = false;
        pr_put(o, k, kl);
        pr_put(o, "=", 1);
        if (!v)
            pr_put(o, "null", 4);
        else if (pr_bytes(o, v, vl))
            return SL_ENOMEM;
    }
    if (pr_reserve(o, 1))
        return SL_ENOMEM;
    pr_put(o, "}", 1);
    return 0;
}

static int pr_value(struct pr_buf *o, struct sl_column *c, uint32_t row)
{
    if (c->valid && sl_col_is_null(c, row)) {
        if (pr_reserve(o, 4))
            return SL_ENOMEM;
        pr_put(o, "null", 4);
        return 0;
    }
    char tmp[64];
    size_t n = 0;
    switch ((sl_type_id)c->type.id) {
    case SL_TYPE_BOOLEAN:
        n = (size_t)sprintf(tmp, "%s", sl_col_bool(c)[row] ? "true" : "false");
        break;
    case SL_TYPE_INT:
        n = (size_t)sprintf(tmp, "%" PRId32, sl_col_i32(c)[row]);
        break;
    case SL_TYPE_BIGINT:
        n = (size_t)sprintf(tmp, "%" PRId64, sl_col_i64(c)[row]);
        break;
    case SL_TYPE_DOUBLE:
        n = pr_double(tmp, sl_col_f64(c)[row]);
        break;
    case SL_TYPE_DECIMAL:
        n = pr_decimal(tmp, sl_col_i64(c)[row], c->type.scale);
        break;
    case SL_TYPE_TIMESTAMP:
        /* Flink prints the external value: a LocalDateTime, or for TIMESTAMP_LTZ an Instant */
        n = sl_dt_format(tmp, sl_col_i64(c)[row],
                         sl_type_is_ltz(c->type) ? SL_DT_INSTANT : SL_DT_JAVA);
        break;
    case SL_TYPE_VARCHAR: {
        sl_str s = sl_col_str(c)[row];
        if (sl_type_is_bytes(c->type))
            return pr_bytes(o, sl_str_data(&s), s.len);
        if (sl_type_is_map(c->type))
            return pr_map(o, &s);
        if (pr_reserve(o, s.len))
            return SL_ENOMEM;
        pr_put(o, sl_str_data(&s), s.len);
        return 0;
    }
    default:
        return SL_EINVAL;
    }
    if (pr_reserve(o, n))
        return SL_ENOMEM;
    pr_put(o, tmp, n);
    return 0;
}

/* ---- rows ---------------------------------------------------------------------------------- */

/* Whether columns i and j have the same first depth+1 name segments and both go deeper. */
static bool pr_same_row(const struct pr_sink *s, uint32_t i, uint32_t j, unsigned depth)
{
    if (s->ndots[i] <= depth || s->ndots[j] <= depth)
        return false;
    uint16_t li = s->dotpos[i][depth], lj = s->dotpos[j][depth];
    return li == lj && memcmp(s->rel->cols[i].name, s->rel->cols[j].name, li) == 0;
}

static int pr_row(struct pr_sink *s, struct pr_buf *o, struct sl_batch *b, uint32_t row,
                  uint32_t lo, uint32_t hi, unsigned depth)
{
    if (pr_reserve(o, 3))
        return SL_ENOMEM;
    /* the row's kind (a changelog's +I, -U, +U, -D); a nested ROW is always +I */
    pr_put(o, depth ? "+I" : sl_row_kind_str(sl_batch_kind(b, row)), 2);
    pr_put(o, "[", 1);
    for (uint32_t i = lo; i < hi;) {
        if (i > lo) {
            if (pr_reserve(o, 2))
                return SL_ENOMEM;
            pr_put(o, ", ", 2);
        }
        if (s->ndots[i] > depth && depth + 1 < PR_MAX_DEPTH) {
            uint32_t j = i + 1;
            while (j < hi && pr_same_row(s, i, j, depth))
                j++;
            bool all_null = true;
            for (uint32_t k = i; k < j && all_null; k++)
                all_null = b->cols[k].valid && sl_col_is_null(&b->cols[k], row);
            int rc;
            if (all_null) {
                if ((rc = pr_reserve(o, 4)))
                    return rc;
                pr_put(o, "null", 4);
            } else if ((rc = pr_row(s, o, b, row, i, j, depth + 1))) {
                return rc;
            }
            i = j;
        } else {
            int rc = pr_value(o, &b->cols[i], row);
            if (rc)
                return rc;
            i++;
        }
    }
    if (pr_reserve(o, 1))
        return SL_ENOMEM;
    pr_put(o, "]", 1);
    return 0;
}

/* Writes n bytes to f; false when that failed. What the stream holds goes first; then, where
 * f has a descriptor, the bytes in one write(2) (more only after a short write): stdio would
 * split a large fwrite into several writes at its buffer's block boundaries, between which
 * another writer of the same file - stderr sent into the same log, a crash point's message -
 * could land in the middle of a row. */
static bool pr_out(FILE *f, const char *p, size_t n)
{
    flockfile(f);
    bool ok = fflush(f) == 0;
    int fd = fileno(f);
    if (ok && fd < 0) { /* a memory stream (tests, an embedder's FILE) */
        ok = fwrite(p, 1, n, f) == n && fflush(f) == 0;
        n = 0;
    }
    while (ok && n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        if (ok) {
            p += w;
            n -= (size_t)w;
        }
    }
    funlockfile(f);
    return ok;
}

static int pr_write(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_batch *b,
                    struct sl_error *err)
{
    struct pr_sink *s = (struct pr_sink *)sk;
    struct pr_buf *o = &s->buf[ctx->worker];
    const char *prefix = s->prefix[ctx->worker];
    size_t plen = strlen(prefix);
    uint32_t n = sl_batch_active(b);
    o->len = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t row = b->sel ? b->sel[k] : k;
        if (pr_reserve(o, plen))
            return sl_error_set(err, SL_ENOMEM, "print: out of memory");
        pr_put(o, prefix, plen);
        int rc = pr_row(s, o, b, row, 0, b->ncols, 0);
        if (rc == 0 && (rc = pr_reserve(o, 1)) == 0)
            pr_put(o, "\n", 1);
        if (rc)
            return sl_error_set(err, rc, "print: %s", sl_strerror(rc));
    }
    if (o->len) {
        pthread_mutex_lock(&s->lock);
        bool bad = !pr_out(s->out, o->data, o->len);
        pthread_mutex_unlock(&s->lock);
        if (bad)
            return sl_error_set(err, SL_EIO, "print: write failed");
    }
    sl_stats_add(&ctx->stats->rows_out, n);
    return 0;
}

static int pr_flush(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    (void)sk;
    (void)ctx;
    (void)err;
    return 0; /* every write went out whole */
}

static int pr_close(struct sl_sink *sk, struct sl_error *err)
{
    (void)sk;
    (void)err;
    return 0;
}

static void pr_free(struct sl_sink *sk)
{
    struct pr_sink *s = (struct pr_sink *)sk;
    if (!s)
        return;
    for (int i = 0; s->prefix && i < s->nworkers; i++)
        free(s->prefix[i]);
    for (int i = 0; s->buf && i < s->nworkers; i++)
        free(s->buf[i].data);
    free(s->prefix);
    free(s->buf);
    free(s->ndots);
    free(s->dotpos);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static const struct sl_sink_ops pr_ops = {
    .write = pr_write, .flush = pr_flush, .close = pr_close, .free = pr_free};

static const char *const pr_keys[] = {"print-identifier", "standard-error", NULL};

int sl_conn_print_sink(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                       struct sl_sink **out, struct sl_error *err)
{
    int rc = sl_conn_check_options(t, env, pr_keys, NULL, err);
    bool to_stderr = false;
    if (rc || (rc = sl_conn_opt_bool(t, env, "standard-error", false, &to_stderr, err)))
        return rc;
    const char *id = sl_table_option(t, "print-identifier");
    struct pr_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    pthread_mutex_init(&s->lock, NULL);
    s->base.ops = &pr_ops;
    s->base.table = t;
    s->nworkers = nworkers;
    s->out = to_stderr ? stderr : env && env->print_out ? env->print_out : stdout;
    s->rel = &t->physical;
    uint32_t nc = t->physical.ncols;
    s->ndots = calloc(nc ? nc : 1, 1);
    s->dotpos = calloc(nc ? nc : 1, sizeof(*s->dotpos));
    s->prefix = calloc((size_t)nworkers, sizeof(char *));
    s->buf = calloc((size_t)nworkers, sizeof(*s->buf));
    if (!s->ndots || !s->dotpos || !s->prefix || !s->buf)
        goto out_nomem;
    for (uint32_t i = 0; i < nc; i++) {
        const char *name = t->physical.cols[i].name;
        for (size_t k = 0; name[k] && s->ndots[i] < PR_MAX_DEPTH && k < UINT16_MAX; k++)
            if (name[k] == '.')
                s->dotpos[i][s->ndots[i]++] = (uint16_t)k;
    }
    for (int w = 0; w < nworkers; w++) {
        char p[256];
        size_t n = 0;
        p[0] = '\0';
        if (id && id[0])
            n += (size_t)snprintf(p, sizeof(p), "%s", id);
        if (nworkers > 1 && n < sizeof(p))
            n += (size_t)snprintf(p + n, sizeof(p) - n, "%s%d", n ? ":" : "", w + 1);
        if (n && n < sizeof(p))
            snprintf(p + n, sizeof(p) - n, "> ");
        if (!(s->prefix[w] = strdup(p)))
            goto out_nomem;
    }
    *out = &s->base;
    return 0;
out_nomem:
    pr_free(&s->base);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
}

/* ---- the connector ------------------------------------------------------------------------ */

const struct sl_connector sl_connector_print = {
    .name = "print",
    .summary = "rows printed as Flink's print connector prints them (+I[...])",
    .sink = sl_conn_print_sink,
    .options = pr_keys,
    .updates = true,
};
