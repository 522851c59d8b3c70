/*
 * engine/conn/tableau.c - the 'tableau' sink: a bare `SELECT ...` of a script prints its
 * result through it as Flink's SQL client does in tableau mode for a streaming query
 * (CliTableauResultView.printStreamingResults, TableauStyle):
 *
 *   +----+-------------+----------------------+
 *   | op |          id |                 name |
 *   +----+-------------+----------------------+
 *   | +I |           1 |                alice |
 *   | +I |           2 |               <NULL> |
 *   +----+-------------+----------------------+
 *   Received a total of 2 rows
 *
 * - The header (border, names, border) is written when the sink opens, so it shows before
 *   the first row of a slow or unbounded source; each row is written as it arrives; at the
 *   end the border again (only when there were rows) and "Received a total of N rows" ("row"
 *   for 0 and 1, as Flink's getRowTerm); when the run was stopped (Ctrl-C, SIGTERM) instead
 *   "Query terminated, received a total of N rows" and no border, as Flink's client prints
 *   on Ctrl-C.
 * - Widths come from the types, not the values (Flink's columnWidthsByType; the widths are
 *   computed by sl_tableau_width when the binder makes the SELECT's table and passed in the
 *   option 'sluice.tableau.widths'): INT 11, BIGINT 20, DECIMAL(p, s) p + 2, BOOLEAN 5,
 *   TIMESTAMP(3) and TIMESTAMP_LTZ(3) 23, everything else 30 (Flink's default
 *   'sql-client.display.max-column-width'); at least the column name's length and 6
 *   ("<NULL>"). The 'op' column is 2 wide. Values are right-aligned; a wider value is cut to
 *   width - 3 display columns, left-padded, followed by "...".
 * - Values are the query's columns cast to STRING, which is how Flink renders them
 *   (RowDataToStringConverterImpl: CastRuleProvider to STRING); the binder adds those casts,
 *   so every column here is STRING. NULL prints as <NULL>. The 'op' column is the row's
 *   kind: +I, or -U / +U for an updating query (an unbounded GROUP BY), as Flink's client
 *   shows a changelog.
 * - Display width as Flink counts it: UTF-16 code units plus one per East Asian wide /
 *   full-width code point (the main blocks: Hangul Jamo, CJK, kana, Hangul syllables, the
 *   full-width forms, emoji; Flink asks ICU for the whole Unicode 12 table).
 * Workers write whole lines under one lock, so rows never interleave mid-line.
 */
#include "engine/conn/tableau.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/conn/conn_impl.h"
#include "engine/conn/registry.h"

#define TB_NULL "<NULL>"

struct tb_sink {
    struct sl_sink base;
    FILE *out;
    pthread_mutex_t lock;
    uint32_t ncols;
    int *width; /* ncols + 1: the 'op' column first */
    char *line; /* a row being built (under the lock) */
    size_t line_cap;
    _Atomic uint64_t rows;
    const _Atomic int *stop; /* the run's stop flag (env->stop), or NULL */
    bool closed;
};

/* ---- widths -------------------------------------------------------------------------------- */

int sl_tableau_width(struct sl_type t, const char *name)
{
    int len;
    switch (t.id) {
    case SL_TYPE_INT:
        len = 11;
        break;
    case SL_TYPE_BIGINT:
        len = 20;
        break;
    case SL_TYPE_DECIMAL:
        len = t.precision + 2;
        break;
    case SL_TYPE_BOOLEAN:
        len = 5;
        break;
    case SL_TYPE_TIMESTAMP:
        len = 23;
        break;
    default:
        len = SL_TABLEAU_MAX_WIDTH;
    }
    if (len < (int)strlen(TB_NULL))
        len = (int)strlen(TB_NULL);
    int n = (int)sl_tableau_display_width(name, strlen(name));
    return n > len ? n : len;
}

static bool tb_wide(uint32_t c)
{
    return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
           (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
           (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
           (c >= 0xa960 && c <= 0xa97f) || (c >= 0xac00 && c <= 0xd7a3) ||
           (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe10 && c <= 0xfe19) ||
           (c >= 0xfe30 && c <= 0xfe6f) || (c >= 0xff00 && c <= 0xff60) ||
           (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
           (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd);
}

/* The code point at s[0..n) and its byte length (*len); a malformed byte is itself, 1 long. */
static uint32_t tb_decode(const unsigned char *s, size_t n, size_t *len)
{
    unsigned char c = s[0];
    size_t need = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (need <= 1 || need > n) {
        *len = 1;
        return c;
    }
    uint32_t cp = c & (0x7f >> need);
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *len = 1;
            return c;
        }
        cp = cp << 6 | (s[i] & 0x3f);
    }
    *len = need;
    return cp;
}

/* Display columns of one code point: its UTF-16 units plus one when wide. */
static size_t tb_cp_width(uint32_t cp)
{
    return (cp >= 0x10000 ? 2 : 1) + (tb_wide(cp) ? 1 : 0);
}

size_t sl_tableau_display_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        size_t len;
        uint32_t cp = tb_decode((const unsigned char *)s + i, n - i, &len);
        w += tb_cp_width(cp);
        i += len;
    }
    return w;
}

/* ---- lines --------------------------------------------------------------------------------- */

static int tb_reserve(struct tb_sink *s, size_t need)
{
    if (need <= s->line_cap)
        return 0;
    size_t cap = s->line_cap ? s->line_cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(s->line, cap);
    if (!p)
        return SL_ENOMEM;
    s->line = p;
    s->line_cap = cap;
    return 0;
}

/* Appends " <cell> |" for one value of display width `width`. */
static int tb_cell(struct tb_sink *s, size_t *len, const char *v, size_t n, int width)
{
    size_t dw = sl_tableau_display_width(v, n);
    int rc = tb_reserve(s, *len + n + (size_t)width + 8);
    if (rc)
        return rc;
    char *o = s->line + *len;
    *o++ = ' ';
    if (dw <= (size_t)width) {
        memset(o, ' ', (size_t)width - dw);
        o += (size_t)width - dw;
        memcpy(o, v, n);
        o += n;
    } else { /* Flink's truncateString(v, width - 3) + "..." */
        size_t target = width > 3 ? (size_t)width - 3 : 0, passed = 0, i = 0;
        while (i < n) {
            size_t l;
            uint32_t cp = tb_decode((const unsigned char *)v + i, n - i, &l);
            if (passed + tb_cp_width(cp) > target)
                break;
            passed += tb_cp_width(cp);
            i += l;
        }
        memset(o, ' ', target - passed);
        o += target - passed;
        memcpy(o, v, i);
        o += i;
        memcpy(o, "...", 3);
        o += 3;
    }
    memcpy(o, " |", 2);
    o += 2;
    *len = (size_t)(o - s->line);
    return 0;
}

static void tb_border(struct tb_sink *s)
{
    fputc('+', s->out);
    for (uint32_t c = 0; c <= s->ncols; c++) {
        for (int i = 0; i < s->width[c] + 2; i++)
            fputc('-', s->out);
        fputc('+', s->out);
    }
    fputc('\n', s->out);
}

static int tb_write(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_batch *b,
                    struct sl_error *err)
{
    struct tb_sink *s = (struct tb_sink *)sk;
    uint32_t n = sl_batch_active(b);
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    for (uint32_t k = 0; k < n && !rc; k++) {
        uint32_t r = b->sel ? b->sel[k] : k;
        size_t len = 1;
        if ((rc = tb_reserve(s, 2)))
            break;
        s->line[0] = '|';
        rc = tb_cell(s, &len, sl_row_kind_str(sl_batch_kind(b, r)), 2, s->width[0]);
        for (uint32_t c = 0; c < s->ncols && !rc; c++) {
            struct sl_column *col = &b->cols[c];
            if (col->valid && sl_col_is_null(col, r)) {
                rc = tb_cell(s, &len, TB_NULL, strlen(TB_NULL), s->width[c + 1]);
            } else {
                sl_str v = sl_col_str(col)[r];
                rc = tb_cell(s, &len, sl_str_data(&v), v.len, s->width[c + 1]);
            }
        }
        if (!rc) {
            s->line[len++] = '\n';
            if (fwrite(s->line, 1, len, s->out) != len)
                rc = SL_EIO;
        }
    }
    fflush(s->out);
    pthread_mutex_unlock(&s->lock);
    if (rc)
        return sl_error_set(err, rc, "tableau: writing the result: %s", sl_strerror(rc));
    atomic_fetch_add(&s->rows, n);
    sl_stats_add(&ctx->stats->rows_out, n);
    return 0;
}

static int tb_flush(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    (void)ctx, (void)err;
    struct tb_sink *s = (struct tb_sink *)sk;
    pthread_mutex_lock(&s->lock);
    fflush(s->out);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static int tb_close(struct sl_sink *sk, struct sl_error *err)
{
    (void)err;
    struct tb_sink *s = (struct tb_sink *)sk;
    pthread_mutex_lock(&s->lock);
    if (!s->closed) {
        uint64_t n = atomic_load(&s->rows);
        if (s->stop && atomic_load(s->stop)) { /* stopped (Ctrl-C): Flink's cancellation */
            fprintf(s->out, "Query terminated, received a total of %" PRIu64 " %s\n", n,
                    n > 1 ? "rows" : "row");
        } else {
            if (n > 0)
                tb_border(s);
            fprintf(s->out, "Received a total of %" PRIu64 " %s\n", n, n > 1 ? "rows" : "row");
        }
        fflush(s->out);
        s->closed = true;
    }
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static void tb_free(struct sl_sink *sk)
{
    struct tb_sink *s = (struct tb_sink *)sk;
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s->width);
    free(s->line);
    free(s);
}

static const struct sl_sink_ops tb_ops = {
    .write = tb_write, .flush = tb_flush, .close = tb_close, .free = tb_free};

static const char *const tb_keys[] = {SL_TABLEAU_WIDTHS, NULL};

static int sl_conn_tableau_sink(const struct sl_table *t, const struct sl_connector_env *env,
                                int nworkers, struct sl_sink **out, struct sl_error *err)
{
    (void)nworkers;
    int rc = sl_conn_check_options(t, env, tb_keys, NULL, err);
    if (rc)
        return rc;
    struct tb_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    s->base.ops = &tb_ops;
    s->base.table = t;
    s->out = env->print_out ? env->print_out : stdout;
    s->stop = env->stop;
    s->ncols = t->physical.ncols;
    pthread_mutex_init(&s->lock, NULL);
    atomic_init(&s->rows, 0);
    s->width = calloc(s->ncols + 1, sizeof(*s->width));
    if (!s->width) {
        tb_free(&s->base);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    s->width[0] = 2; /* "op" */
    const struct sl_option *wo = sl_conn_opt(t, SL_TABLEAU_WIDTHS);
    const char *p = wo ? wo->value : NULL;
    for (uint32_t c = 0; c < s->ncols; c++) {
        const struct sl_rel_col *col = &t->physical.cols[c];
        if (t->physical.cols[c].type.id != SL_TYPE_VARCHAR) {
            char ty[64];
            sl_type_format(col->type, ty, sizeof(ty));
            tb_free(&s->base);
            return sl_conn_err_at(env, t, SIZE_MAX, err, SL_EINVAL,
                                  "the tableau sink prints STRING columns; column '%s' is %s",
                                  col->name, ty);
        }
        long w = sl_tableau_width(col->type, col->name);
        if (p) {
            char *end;
            w = strtol(p, &end, 10);
            if (end == p || w < 1 || w > 1 << 20 || (*end && *end != ',')) {
                tb_free(&s->base);
                return sl_conn_err_at(env, t, wo->pos, err, SL_EINVAL,
                                      "option '%s': '%s' is not one width per column",
                                      SL_TABLEAU_WIDTHS, wo->value);
            }
            p = *end ? end + 1 : end;
        }
        s->width[c + 1] = (int)w;
    }
    /* the header, at once: Flink shows it before the first row arrives */
    size_t len = 1;
    if ((rc = tb_reserve(s, 2)) == 0) {
        s->line[0] = '|';
        rc = tb_cell(s, &len, "op", 2, s->width[0]);
        for (uint32_t c = 0; c < s->ncols && !rc; c++)
            rc = tb_cell(s, &len, t->physical.cols[c].name, strlen(t->physical.cols[c].name),
                         s->width[c + 1]);
    }
    if (rc) {
        tb_free(&s->base);
        return sl_error_set(err, rc, "out of memory");
    }
    tb_border(s);
    s->line[len++] = '\n';
    fwrite(s->line, 1, len, s->out);
    tb_border(s);
    fflush(s->out);
    *out = &s->base;
    return 0;
}

const struct sl_connector sl_connector_tableau = {
    .name = SL_TABLEAU_CONNECTOR,
    .summary = "a bare SELECT's result, printed as Flink's SQL client tableau",
    .sink = sl_conn_tableau_sink,
    .options = tb_keys,
    .updates = true,
};
