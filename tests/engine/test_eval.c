/*
 * tests/engine/test_eval.c - the vectorized evaluator against a row-at-a-time reference.
 *
 * Plans come from the binder (CREATE TABLE + INSERT ... SELECT <exprs> FROM t [WHERE p]); the
 * SL_PLAN_PROJECT / SL_PLAN_FILTER nodes' expressions run through engine/ops/eval.h over batches
 * of random data (extremes, NULLs, selections, every length of sl_test_lengths, at every SIMD
 * level), and every result is compared with an independent interpreter written here in plain
 * C (int64 / double / strings, NULL as a flag, DECIMAL in 128 bits). The reference itself is
 * checked against hand-computed answers, and targeted tests cover division by zero, DECIMAL
 * overflow, CAST errors (message and position), the three-valued truth tables and LIKE with
 * multi-byte characters.
 */
#include "tests/util/testutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/core/batch.h"
#include "engine/ops/eval.h"
#include "engine/plan/catalog.h"
#include "engine/sql/ast.h"
#include "engine/sql/binder.h"

/* ---- the table ------------------------------------------------------------------------------ */

#define NCOLS 13
static const char *const col_decl[NCOLS] = {
    "i INT",      "i2 INT",           "b BIGINT",          "b2 BIGINT",       "d DOUBLE",
    "d2 DOUBLE",  "m DECIMAL(10, 2)", "m2 DECIMAL(12, 4)", "ts TIMESTAMP(3)", "s VARCHAR",
    "s2 VARCHAR", "f BOOLEAN",        "g BOOLEAN"};

static const char *const words[] = {"",
                                    "a",
                                    "ab",
                                    "abc",
                                    "abd",
                                    "b",
                                    "xyz",
                                    "é",
                                    "aé",
                                    "日本",
                                    "日本語テキスト",
                                    "héllo wörld!",
                                    "abcdefghijklmnopq",
                                    "abcdefghijklmnopr",
                                    "%_",
                                    "a\nb",
                                    "ab_",
                                    "zzzzzzzzzzzzzzzzzzzzzzzz"};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* "CREATE TABLE t (...); CREATE TABLE o (...); INSERT INTO o SELECT <sel> FROM t [WHERE w]" */
static char *make_sql(bool notnull, const char *sel, const char *sink_types, const char *where)
{
    size_t cap = 8192;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t k = (size_t)snprintf(s, cap, "CREATE TABLE t (");
    for (int c = 0; c < NCOLS; c++)
        k += (size_t)snprintf(s + k, cap - k, "%s%s%s", c ? ", " : "", col_decl[c],
                              notnull ? " NOT NULL" : "");
    k += (size_t)snprintf(s + k, cap - k,
                          ") WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json');\n"
                          "CREATE TABLE o (%s) WITH ('connector' = 'blackhole');\n"
                          "INSERT INTO o SELECT %s FROM t%s%s;\n",
                          sink_types, sel, where ? "\nWHERE " : "", where ? where : "");
    return s;
}

struct bound {
    struct sl_job *job;
    const struct sl_plan *node; /* the PROJECT (or FILTER) */
    const struct sl_rel *in;
    uint32_t nexprs;
    struct sl_expr **exprs;
    const struct sl_sql_source *src;
};

/* Binds the query; the plan is SINK <- PROJECT <- [FILTER <-] SCAN. */
static struct bound bind(bool notnull, const char *sel, const char *types, const char *where)
{
    char *sql = make_sql(notnull, sel, types, where);
    struct sl_error err;
    sl_error_clear(&err);
    struct bound b;
    memset(&b, 0, sizeof(b));
    b.job = sl_job_from_sql("q.sql", sql, strlen(sql), NULL, 0, &err);
    if (!b.job)
        fprintf(stderr, "%s\n%s\n", sql, err.msg);
    free(sql);
    assert_non_null(b.job);
    const struct sl_plan *p = b.job->inserts[0]->input;
    assert_int_equal(p->kind, SL_PLAN_PROJECT);
    if (p->note && strstr(p->note, "casts")) { /* the sink types in the test are wrong */
        for (uint32_t c = 0; c < p->input->out.ncols; c++) {
            char t[64];
            sl_type_format(p->input->out.cols[c].type, t, sizeof(t));
            fprintf(stderr, "%s: column %u is %s\n", sel, c + 1, t);
        }
        fail();
    }
    if (where) {
        p = p->input;
        assert_int_equal(p->kind, SL_PLAN_FILTER);
        b.nexprs = 1;
        b.exprs = &((struct sl_plan *)p)->filter.pred;
    } else {
        b.nexprs = p->project.nexprs;
        b.exprs = p->project.exprs;
    }
    b.node = p;
    b.in = &p->input->out;
    assert_int_equal(p->input->kind, SL_PLAN_SCAN);
    b.src = b.job->file->src;
    return b;
}

/* The schema of a relation (the executor's sl_plan_rel_schema, which is not in this branch). */
static struct sl_schema *schema_of(const struct sl_rel *rel)
{
    const char *names[64];
    struct sl_type types[64];
    assert_true(rel->ncols <= 64);
    for (uint32_t c = 0; c < rel->ncols; c++) {
        names[c] = rel->cols[c].name;
        types[c] = rel->cols[c].type;
    }
    struct sl_schema *s = sl_schema_new(rel->ncols, names, types);
    assert_non_null(s);
    return s;
}

/* ---- random data ------------------------------------------------------------------------------
 */

static char longbuf[NWORDS][64];

static void fill_batch(struct sl_batch *bt, uint32_t rows, unsigned null_pct, uint64_t *st)
{
    bt->rows = rows;
    for (uint32_t c = 0; c < bt->ncols; c++) {
        struct sl_column *col = &bt->cols[c];
        for (uint32_t r = 0; r < rows; r++) {
            uint64_t x = sl_test_rand(st);
            unsigned pick = (unsigned)(x % 16);
            switch (col->type.id) {
            case SL_TYPE_INT: {
                int32_t v = pick < 8 ? (int32_t)(x >> 8) % 21 - 10 : (int32_t)(x >> 16);
                if (pick == 15)
                    v = (x >> 40) & 1 ? INT32_MIN : INT32_MAX;
                if (pick == 14 || (c == 1 && pick < 3))
                    v = c == 1 ? 0 : -1;
                sl_col_i32(col)[r] = v;
                break;
            }
            case SL_TYPE_BIGINT: {
                int64_t v = pick < 8 ? (int64_t)((x >> 8) % 21) - 10 : (int64_t)x;
                if (pick == 15)
                    v = (x >> 40) & 1 ? INT64_MIN : INT64_MAX;
                if (pick == 14 || (c == 3 && pick < 3))
                    v = c == 3 ? 0 : -1;
                sl_col_i64(col)[r] = v;
                break;
            }
            case SL_TYPE_DOUBLE: {
                double v;
                sl_test_fill_f64(&v, 1, st);
                if (pick < 8)
                    v = (double)((int)((x >> 8) % 9) - 4) * 0.5;
                sl_col_f64(col)[r] = v;
                break;
            }
            case SL_TYPE_DECIMAL: /* within +-10^6 scaled: products and quotients fit */
                sl_col_i64(col)[r] = pick < 6 ? (int64_t)((x >> 8) % 2001) - 1000
                                              : (int64_t)((x >> 8) % 2000001) - 1000000;
                break;
            case SL_TYPE_TIMESTAMP:
                sl_col_i64(col)[r] = pick < 8
                                         ? 1577836800000 + (int64_t)((x >> 8) % 5) * 1000
                                         : (int64_t)((x >> 8) % 4000000000000ull) - 100000000000;
                break;
            case SL_TYPE_VARCHAR: {
                unsigned w = (unsigned)((x >> 8) % NWORDS);
                const char *src = words[w];
                size_t len = strlen(src);
                if (len > SL_STR_INLINE_MAX) {
                    memcpy(longbuf[w], src, len); /* long views point at stable bytes */
                    src = longbuf[w];
                }
                sl_col_str(col)[r] = sl_str_make(src, (uint32_t)len);
                break;
            }
            default:
                sl_col_bool(col)[r] = (uint8_t)((x >> 9) & 1);
                break;
            }
            if (col->valid)
                sl_col_set_null(col, r, (unsigned)((x >> 50) % 100) < null_pct);
        }
    }
}

/* ---- the reference interpreter -----------------------------------------------------------------
 */

struct rv {
    bool null;
    int err; /* 0 or the error code the row raises */
    int64_t i;
    double d;
    const char *s;
    uint32_t n;
};

static char pool[1 << 16];
static size_t pool_used;

static char *ref_alloc(size_t n)
{
    assert_true(pool_used + n <= sizeof(pool));
    char *p = pool + pool_used;
    pool_used += n;
    return p;
}

static __int128 ref_p10(int k)
{
    __int128 p = 1;
    for (int i = 0; i < k; i++)
        p *= 10;
    return p;
}

static __int128 ref_round_div(__int128 a, __int128 b)
{
    bool neg = (a < 0) != (b < 0);
    __int128 ua = a < 0 ? -a : a, ub = b < 0 ? -b : b;
    __int128 q = ua / ub, r = ua % ub;
    if (r * 2 >= ub)
        q++;
    return neg ? -q : q;
}

static struct rv ref_errv(int code)
{
    struct rv v;
    memset(&v, 0, sizeof(v));
    v.err = code;
    return v;
}

static struct rv ref_null(void)
{
    struct rv v;
    memset(&v, 0, sizeof(v));
    v.null = true;
    return v;
}

static struct rv ref_dec_result(__int128 x, struct sl_type t)
{
    if (x < INT64_MIN || x > INT64_MAX)
        return ref_errv(SL_EOVERFLOW);
    if (t.precision <= 18) {
        __int128 lim = ref_p10(t.precision);
        if (x >= lim || x <= -lim)
            return ref_errv(SL_EOVERFLOW);
    }
    struct rv v = ref_null();
    v.null = false;
    v.i = (int64_t)x;
    return v;
}

static int ref_cmp(const struct rv *a, const struct rv *b, sl_type_id t)
{
    switch (t) {
    case SL_TYPE_DOUBLE:
        return 0; /* handled by the caller */
    case SL_TYPE_VARCHAR: {
        uint32_t n = a->n < b->n ? a->n : b->n;
        int c = memcmp(a->s, b->s, n);
        if (c)
            return c < 0 ? -1 : 1;
        return a->n < b->n ? -1 : a->n > b->n;
    }
    default:
        return a->i < b->i ? -1 : a->i > b->i;
    }
}

static bool ref_like(const char *s, size_t sn, const char *p, size_t pn)
{
    if (pn == 0)
        return sn == 0;
    if (p[0] == '%') {
        for (size_t k = 0; k <= sn; k++) /* try every character boundary */
            if ((k == sn || ((unsigned char)s[k] & 0xC0) != 0x80) &&
                ref_like(s + k, sn - k, p + 1, pn - 1))
                return true;
        return false;
    }
    if (sn == 0)
        return false;
    if (p[0] == '_') {
        size_t k = 1;
        while (k < sn && ((unsigned char)s[k] & 0xC0) == 0x80)
            k++;
        return ref_like(s + k, sn - k, p + 1, pn - 1);
    }
    return p[0] == s[0] && ref_like(s + 1, sn - 1, p + 1, pn - 1);
}

/* Java's Double.toString: shortest round-trip digits, plain in [1e-3, 1e7). Written apart
 * from the evaluator's (from %g output). */
static size_t ref_java_double(char *out, double d)
{
    if (isnan(d))
        return (size_t)sprintf(out, "NaN");
    if (isinf(d))
        return (size_t)sprintf(out, d > 0 ? "Infinity" : "-Infinity");
    if (d == 0)
        return (size_t)sprintf(out, signbit(d) ? "-0.0" : "0.0");
    char g[64];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(g, sizeof(g), "%.*g", prec, d);
        if (strtod(g, NULL) == d)
            break;
    }
    double a = fabs(d);
    if (a >= 1e-3 && a < 1e7) {
        snprintf(g, sizeof(g), "%.*g", prec, d);
        /* %g may print an exponent for small values: use %f with enough digits instead */
        char *e = strchr(g, 'e');
        if (e) {
            int ex = atoi(e + 1);
            int frac = prec - 1 - ex;
            snprintf(g, sizeof(g), "%.*f", frac < 0 ? 0 : frac, d);
        }
        if (!strchr(g, '.'))
            strcat(g, ".0");
        return (size_t)sprintf(out, "%s", g);
    }
    char m[64];
    snprintf(m, sizeof(m), "%.*e", prec - 1, d);
    char *e = strchr(m, 'e');
    int ex = atoi(e + 1);
    *e = '\0';
    if (!strchr(m, '.'))
        strcat(m, ".0");
    return (size_t)sprintf(out, "%sE%d", m, ex);
}

static struct rv ref_str(const char *s, size_t n)
{
    struct rv v = ref_null();
    v.null = false;
    char *p = ref_alloc(n + 1);
    memcpy(p, s, n);
    v.s = p;
    v.n = (uint32_t)n;
    return v;
}

static struct rv ref_eval(const struct sl_expr *e, struct sl_batch *bt, uint32_t row);

static struct rv ref_cast(const struct sl_expr *e, struct rv a, sl_type_id from)
{
    struct sl_type to = e->type;
    struct sl_type ft = e->args[0]->type;
    struct rv v = ref_null();
    v.null = false;
    if (from == to.id && from != SL_TYPE_DECIMAL)
        return a;
    char buf[512];
    if (to.id == SL_TYPE_VARCHAR) {
        size_t n = 0;
        switch (from) {
        case SL_TYPE_BOOLEAN:
            n = (size_t)sprintf(buf, "%s", a.i ? "TRUE" : "FALSE");
            break;
        case SL_TYPE_INT:
        case SL_TYPE_BIGINT:
            n = (size_t)sprintf(buf, "%lld", (long long)a.i);
            break;
        case SL_TYPE_DOUBLE:
            n = ref_java_double(buf, a.d);
            break;
        case SL_TYPE_DECIMAL: {
            __int128 p = ref_p10(ft.scale);
            long long ip = (long long)(a.i / p);
            long long fp = (long long)(a.i % p);
            if (ft.scale == 0)
                n = (size_t)sprintf(buf, "%lld", ip);
            else
                n = (size_t)snprintf(buf, sizeof(buf), "%s%lld.%0*lld",
                                     a.i < 0 && ip == 0 ? "-" : "", ip, (int)ft.scale,
                                     fp < 0 ? -fp : fp);
            break;
        }
        case SL_TYPE_TIMESTAMP: {
            time_t secs = (time_t)(a.i >= 0 ? a.i / 1000 : (a.i - 999) / 1000);
            int ms = (int)(a.i - (int64_t)secs * 1000);
            struct tm tm;
            gmtime_r(&secs, &tm);
            n = (size_t)sprintf(buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
            break;
        }
        default:
            fail();
        }
        return ref_str(buf, n);
    }
    if (from == SL_TYPE_VARCHAR) {
        char t[256];
        const char *src = a.s;
        size_t n = a.n < 255 ? a.n : 255;
        while (n && (*src == ' ' || *src == '\t')) { /* io/fmt.h trims spaces and tabs */
            src++;
            n--;
        }
        while (n && (src[n - 1] == ' ' || src[n - 1] == '\t'))
            n--;
        memcpy(t, src, n);
        t[n] = '\0';
        char *end;
        switch (to.id) {
        case SL_TYPE_BOOLEAN:
            if (strcasecmp(t, "true") == 0)
                v.i = 1;
            else if (strcasecmp(t, "false") == 0)
                v.i = 0;
            else
                return ref_errv(SL_EPARSE);
            return v;
        case SL_TYPE_INT:
        case SL_TYPE_BIGINT: {
            if (!n || strchr(t, ' '))
                return ref_errv(SL_EPARSE);
            errno = 0;
            long long x = strtoll(t, &end, 10);
            if (*end)
                return ref_errv(SL_EPARSE);
            if (errno || (to.id == SL_TYPE_INT && (x < INT32_MIN || x > INT32_MAX)))
                return ref_errv(SL_ERANGE);
            v.i = x;
            return v;
        }
        case SL_TYPE_DOUBLE:
            if (strcmp(t, "NaN") == 0 || strcmp(t, "Infinity") == 0 ||
                strcmp(t, "-Infinity") == 0) {
                v.d = t[0] == 'N' ? NAN : t[0] == '-' ? -INFINITY : INFINITY;
                return v;
            }
            v.d = strtod(t, &end);
            if (!n || *end || strpbrk(t, "iInNxX"))
                return ref_errv(SL_EPARSE);
            return v;
        case SL_TYPE_DECIMAL: {
            /* [-]digits[.digits], rounded half-up at the scale */
            const char *p = t;
            bool neg = *p == '-';
            if (*p == '-' || *p == '+')
                p++;
            __int128 acc = 0;
            int fd = 0, digits = 0, roundup = 0;
            bool dot = false;
            for (; *p; p++) {
                if (*p == '.' && !dot) {
                    dot = true;
                    continue;
                }
                if (*p < '0' || *p > '9')
                    return ref_errv(SL_EPARSE);
                digits++;
                if (dot && fd == to.scale) {
                    if (fd == to.scale && roundup == 0)
                        roundup = *p >= '5' ? 1 : -1;
                    continue;
                }
                acc = acc * 10 + (*p - '0');
                fd += dot;
            }
            if (!digits)
                return ref_errv(SL_EPARSE);
            for (; fd < to.scale; fd++)
                acc *= 10;
            if (roundup == 1)
                acc++;
            if (acc >= ref_p10(to.precision > 18 ? 18 : to.precision))
                return ref_errv(SL_ERANGE);
            v.i = (int64_t)(neg ? -acc : acc);
            return v;
        }
        case SL_TYPE_TIMESTAMP: {
            /* the shapes the tests use: a date, or a date and HH:mm:ss[.SSS]; an impossible
             * date or time is one that timegm normalises to another */
            int y, mo, d, h = 0, mi = 0, s = 0, ms = 0, k = 0, k2 = 0;
            if (sscanf(t, "%d-%d-%d%n", &y, &mo, &d, &k) != 3)
                return ref_errv(SL_EPARSE);
            if (t[k] && sscanf(t + k, " %d:%d:%d%n", &h, &mi, &s, &k2) == 3) {
                if (t[k + k2] == '.')
                    ms = atoi(t + k + k2 + 1);
            } else if (t[k]) {
                return ref_errv(SL_EPARSE);
            }
            struct tm tm = {.tm_year = y - 1900,
                            .tm_mon = mo - 1,
                            .tm_mday = d,
                            .tm_hour = h,
                            .tm_min = mi,
                            .tm_sec = s};
            v.i = (int64_t)timegm(&tm) * 1000 + ms;
            if (tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d ||
                tm.tm_hour != h || tm.tm_min != mi || tm.tm_sec != s)
                return ref_errv(SL_ERANGE);
            return v;
        }
        default:
            fail();
        }
    }
    /* numeric targets */
    __int128 x = 0;
    double dv = 0;
    bool isdbl = false;
    int scale = 0;
    switch (from) {
    case SL_TYPE_BOOLEAN:
    case SL_TYPE_INT:
    case SL_TYPE_BIGINT:
        x = a.i;
        break;
    case SL_TYPE_DECIMAL:
        x = a.i;
        scale = ft.scale;
        break;
    case SL_TYPE_DOUBLE:
        dv = a.d;
        isdbl = true;
        break;
    default:
        fail();
    }
    switch (to.id) {
    case SL_TYPE_INT:
        if (isdbl)
            v.i = isnan(dv)             ? 0
                  : dv >= 2147483647.0  ? INT32_MAX
                  : dv <= -2147483648.0 ? INT32_MIN
                                        : (int32_t)dv;
        else
            v.i = (int32_t)(uint32_t)(uint64_t)(int64_t)(x / ref_p10(scale));
        return v;
    case SL_TYPE_BIGINT:
        if (isdbl)
            v.i = isnan(dv)                      ? 0
                  : dv >= 9223372036854775807.0  ? INT64_MAX
                  : dv <= -9223372036854775808.0 ? INT64_MIN
                                                 : (int64_t)dv;
        else
            v.i = (int64_t)(x / ref_p10(scale));
        return v;
    case SL_TYPE_DOUBLE:
        v.d = isdbl   ? dv
              : scale ? (double)(int64_t)x / (double)(int64_t)ref_p10(scale)
                      : (double)(int64_t)x;
        return v;
    case SL_TYPE_DECIMAL:
        if (isdbl) {
            if (!isfinite(dv))
                return ref_errv(SL_EOVERFLOW);
            char g[64];
            int prec;
            for (prec = 1; prec <= 17; prec++) {
                snprintf(g, sizeof(g), "%.*g", prec, dv);
                if (strtod(g, NULL) == dv)
                    break;
            }
            long double r = strtold(g, NULL) * powl(10, to.scale);
            r = r < 0 ? -floorl(-r + 0.5L) : floorl(r + 0.5L);
            if (fabsl(r) >= 1e18L)
                return ref_errv(SL_EOVERFLOW);
            return ref_dec_result((__int128)r, to);
        }
        if (to.scale >= scale)
            x *= ref_p10(to.scale - scale);
        else
            x = ref_round_div(x, ref_p10(scale - to.scale));
        return ref_dec_result(x, to);
    default:
        fail();
    }
    return v;
}

static struct rv ref_arith(const struct sl_expr *e, struct rv a, struct rv b)
{
    struct rv v = ref_null();
    v.null = false;
    sl_type_id t = e->type.id;
    if (t == SL_TYPE_DOUBLE) {
        switch (e->fn) {
        case SL_FN_ADD:
            v.d = a.d + b.d;
            break;
        case SL_FN_SUB:
            v.d = a.d - b.d;
            break;
        case SL_FN_MUL:
            v.d = a.d * b.d;
            break;
        case SL_FN_DIV:
            v.d = a.d / b.d;
            break;
        default:
            v.d = fmod(a.d, b.d);
            break;
        }
        return v;
    }
    if (t == SL_TYPE_DECIMAL) {
        int sa = e->args[0]->type.scale, sb = e->args[1]->type.scale, st = e->type.scale;
        __int128 x = a.i, y = b.i, r;
        switch (e->fn) {
        case SL_FN_ADD:
            r = x + y;
            break;
        case SL_FN_SUB:
            r = x - y;
            break;
        case SL_FN_MUL:
            r = x * y;
            if (sa + sb > st)
                r = ref_round_div(r, ref_p10(sa + sb - st));
            break;
        case SL_FN_DIV: {
            if (y == 0)
                return ref_errv(SL_EDIVZERO);
            int sh = st + sb - sa;
            /* x * 10^sh fits 128 bits for the shifts the tests use (<= 19) */
            assert_true(sh >= 0 && sh <= 19);
            r = ref_round_div(x * ref_p10(sh), y);
            break;
        }
        default:
            if (y == 0)
                return ref_errv(SL_EDIVZERO);
            r = x % y;
            break;
        }
        return ref_dec_result(r, e->type);
    }
    bool i32 = t == SL_TYPE_INT;
    uint64_t ua = (uint64_t)a.i, ub = (uint64_t)b.i, ur;
    switch (e->fn) {
    case SL_FN_ADD:
        ur = ua + ub;
        break;
    case SL_FN_SUB:
        ur = ua - ub;
        break;
    case SL_FN_MUL:
        ur = ua * ub;
        break;
    case SL_FN_DIV:
        if (b.i == 0)
            return ref_errv(SL_EDIVZERO);
        if (b.i == -1)
            ur = 0 - ua;
        else
            ur = (uint64_t)(a.i / b.i);
        break;
    default:
        if (b.i == 0)
            return ref_errv(SL_EDIVZERO);
        ur = b.i == -1 ? 0 : (uint64_t)(a.i % b.i);
        break;
    }
    v.i = i32 ? (int64_t)(int32_t)(uint32_t)ur : (int64_t)ur;
    return v;
}

static struct rv ref_bool(bool x)
{
    struct rv v = ref_null();
    v.null = false;
    v.i = x;
    return v;
}

static struct rv ref_eval(const struct sl_expr *e, struct sl_batch *bt, uint32_t row)
{
    struct rv v = ref_null();
    if (e->kind == SL_EXPR_COL) {
        struct sl_column *c = &bt->cols[e->col];
        if (c->valid && sl_col_is_null(c, row))
            return v;
        v.null = false;
        switch (c->type.id) {
        case SL_TYPE_BOOLEAN:
            v.i = sl_col_bool(c)[row];
            break;
        case SL_TYPE_INT:
            v.i = sl_col_i32(c)[row];
            break;
        case SL_TYPE_DOUBLE:
            v.d = sl_col_f64(c)[row];
            break;
        case SL_TYPE_VARCHAR:
            v.s = sl_str_data(&sl_col_str(c)[row]);
            v.n = sl_col_str(c)[row].len;
            break;
        default:
            v.i = sl_col_i64(c)[row];
            break;
        }
        return v;
    }
    if (e->kind == SL_EXPR_LIT) {
        if (e->lit_null)
            return v;
        v.null = false;
        if (e->type.id == SL_TYPE_DOUBLE)
            v.d = e->lit.d;
        else if (e->type.id == SL_TYPE_VARCHAR) {
            v.s = e->lit.s;
            v.n = e->lit.slen;
        } else
            v.i = e->type.id == SL_TYPE_INT ? (int32_t)e->lit.i : e->lit.i;
        return v;
    }
    struct rv a, b;
    switch (e->fn) {
    case SL_FN_AND:
    case SL_FN_OR: {
        bool is_and = e->fn == SL_FN_AND;
        a = ref_eval(e->args[0], bt, row);
        if (a.err)
            return a;
        if (!a.null && (a.i != 0) != is_and)
            return ref_bool(!is_and);
        b = ref_eval(e->args[1], bt, row);
        if (b.err)
            return b;
        if (!b.null && (b.i != 0) != is_and)
            return ref_bool(!is_and);
        if (a.null || b.null)
            return ref_null();
        return ref_bool(is_and);
    }
    case SL_FN_CASE: {
        uint32_t nw = e->nargs / 2;
        for (uint32_t i = 0; i < nw; i++) {
            a = ref_eval(e->args[2 * i], bt, row);
            if (a.err)
                return a;
            if (!a.null && a.i)
                return ref_eval(e->args[2 * i + 1], bt, row);
        }
        return ref_eval(e->args[e->nargs - 1], bt, row);
    }
    case SL_FN_IN: {
        a = ref_eval(e->args[0], bt, row);
        if (a.err)
            return a;
        bool unknown = a.null;
        for (uint32_t i = 1; i < e->nargs; i++) {
            b = ref_eval(e->args[i], bt, row);
            if (b.err)
                return b;
            if (b.null || a.null) {
                unknown = true;
                continue;
            }
            bool eq = e->args[0]->type.id == SL_TYPE_DOUBLE
                          ? a.d == b.d
                          : ref_cmp(&a, &b, e->args[0]->type.id) == 0;
            if (eq)
                return ref_bool(true);
        }
        return unknown ? ref_null() : ref_bool(false);
    }
    default:
        break;
    }
    a = ref_eval(e->args[0], bt, row);
    if (a.err)
        return a;
    b = ref_null();
    if (e->nargs > 1) {
        b = ref_eval(e->args[1], bt, row);
        if (b.err)
            return b;
    }
    switch (e->fn) {
    case SL_FN_IS_NULL:
        return ref_bool(a.null);
    case SL_FN_IS_NOT_NULL:
        return ref_bool(!a.null);
    default:
        break;
    }
    if (a.null || (e->nargs > 1 && b.null))
        return ref_null();
    sl_type_id at = e->args[0]->type.id;
    switch (e->fn) {
    case SL_FN_ADD:
    case SL_FN_SUB:
    case SL_FN_MUL:
    case SL_FN_DIV:
    case SL_FN_MOD:
        return ref_arith(e, a, b);
    case SL_FN_NEG:
        if (at == SL_TYPE_DOUBLE) {
            v = a;
            v.d = -a.d;
            return v;
        }
        if (at == SL_TYPE_DECIMAL)
            return ref_dec_result(-(__int128)a.i, e->type);
        v = a;
        v.i = at == SL_TYPE_INT ? (int32_t)(0u - (uint32_t)a.i) : (int64_t)(0u - (uint64_t)a.i);
        return v;
    case SL_FN_EQ:
    case SL_FN_NE:
    case SL_FN_LT:
    case SL_FN_LE:
    case SL_FN_GT:
    case SL_FN_GE: {
        if (at == SL_TYPE_DOUBLE) {
            double x = a.d, y = b.d;
            switch (e->fn) {
            case SL_FN_EQ:
                return ref_bool(x == y);
            case SL_FN_NE:
                return ref_bool(x != y);
            case SL_FN_LT:
                return ref_bool(x < y);
            case SL_FN_LE:
                return ref_bool(x <= y);
            case SL_FN_GT:
                return ref_bool(x > y);
            default:
                return ref_bool(x >= y);
            }
        }
        int c = ref_cmp(&a, &b, at);
        switch (e->fn) {
        case SL_FN_EQ:
            return ref_bool(c == 0);
        case SL_FN_NE:
            return ref_bool(c != 0);
        case SL_FN_LT:
            return ref_bool(c < 0);
        case SL_FN_LE:
            return ref_bool(c <= 0);
        case SL_FN_GT:
            return ref_bool(c > 0);
        default:
            return ref_bool(c >= 0);
        }
    }
    case SL_FN_NOT:
        return ref_bool(!a.i);
    case SL_FN_LIKE:
        return ref_bool(ref_like(a.s, a.n, b.s, b.n));
    case SL_FN_CONCAT: {
        char *p = ref_alloc(a.n + b.n + 1);
        memcpy(p, a.s, a.n);
        memcpy(p + a.n, b.s, b.n);
        v = a;
        v.s = p;
        v.n = a.n + b.n;
        return v;
    }
    case SL_FN_CAST:
        return ref_cast(e, a, at);
    default:
        fail_msg("fn %d", e->fn);
    }
    return v;
}

/* ---- comparing ------------------------------------------------------------------------------- */

static bool same(struct sl_column *c, uint32_t j, const struct rv *want)
{
    bool isnull = c->valid && sl_col_is_null(c, j);
    if (isnull != want->null)
        return false;
    if (isnull)
        return true;
    switch (c->type.id) {
    case SL_TYPE_BOOLEAN:
        return sl_col_bool(c)[j] == (want->i != 0);
    case SL_TYPE_INT:
        return sl_col_i32(c)[j] == want->i;
    case SL_TYPE_DOUBLE: {
        double x = sl_col_f64(c)[j];
        if (isnan(x) || isnan(want->d))
            return isnan(x) && isnan(want->d);
        return memcmp(&x, &want->d, 8) == 0;
    }
    case SL_TYPE_VARCHAR: {
        sl_str *s = &sl_col_str(c)[j];
        return s->len == want->n && memcmp(sl_str_data(s), want->s, want->n) == 0;
    }
    default:
        return sl_col_i64(c)[j] == want->i;
    }
}

static void describe(struct sl_column *c, uint32_t j, const struct rv *w, char *buf, size_t cap)
{
    if (c->valid && sl_col_is_null(c, j)) {
        snprintf(buf, cap, "got NULL, want %s", w->null ? "NULL" : "a value");
        return;
    }
    switch (c->type.id) {
    case SL_TYPE_DOUBLE:
        snprintf(buf, cap, "got %.17g want %.17g (null %d)", sl_col_f64(c)[j], w->d, w->null);
        break;
    case SL_TYPE_VARCHAR: {
        sl_str *s = &sl_col_str(c)[j];
        snprintf(buf, cap, "got '%.*s' want '%.*s' (null %d)", (int)s->len, sl_str_data(s),
                 (int)w->n, w->s ? w->s : "", w->null);
        break;
    }
    case SL_TYPE_INT:
        snprintf(buf, cap, "got %d want %lld (null %d)", sl_col_i32(c)[j], (long long)w->i,
                 w->null);
        break;
    case SL_TYPE_BOOLEAN:
        snprintf(buf, cap, "got %d want %lld (null %d)", sl_col_bool(c)[j], (long long)w->i,
                 w->null);
        break;
    default:
        snprintf(buf, cap, "got %lld want %lld (null %d)", (long long)sl_col_i64(c)[j],
                 (long long)w->i, w->null);
    }
}

/* One projection case: `sel` expressions with sink types `types`, at every length, with and
 * without NULLs and selections. */
struct pcase {
    const char *sel;
    const char *types;
};

static void run_project(const struct pcase *pc, bool notnull, uint64_t *st)
{
    struct bound bd = bind(notnull, pc->sel, pc->types, NULL);
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_eval *ev = sl_eval_new(NULL, bd.in, bd.nexprs, bd.exprs, bd.src, &err);
    if (!ev)
        fail_msg("%s: %s", pc->sel, err.msg);
    struct sl_schema *is = schema_of(bd.in), *os = schema_of(&bd.node->out);
    struct sl_batch_pool *ip = sl_batch_pool_new(NULL, is, 1), *op = sl_batch_pool_new(NULL, os, 1);
    assert_non_null(ip);
    assert_non_null(op);
    for (size_t li = 0; li < sl_test_nlengths; li++) {
        uint32_t rows = sl_test_lengths[li];
        if (rows > SL_BATCH_CAP)
            continue;
        for (int variant = 0; variant < 3; variant++) {
            struct sl_batch *in = sl_batch_pool_get(ip), *out = sl_batch_pool_get(op);
            fill_batch(in, rows, variant == 0 ? 0 : 20, st);
            if (variant == 2) {
                sl_sel_t *s = sl_batch_sel_next(in);
                sl_batch_sel_commit(in, s, sl_test_fill_sel(s, rows, 60, st));
            }
            pool_used = 0;
            /* the reference first: these cases never fail */
            int rc = sl_eval_project(ev, in, out, &err);
            if (rc)
                fail_msg("%s (rows %u): %s", pc->sel, rows, err.msg);
            uint32_t n = sl_batch_active(in);
            assert_int_equal(out->rows, n);
            for (uint32_t j = 0; j < n; j++) {
                uint32_t r = in->sel ? in->sel[j] : j;
                for (uint32_t x = 0; x < bd.nexprs; x++) {
                    pool_used = 0;
                    struct rv want = ref_eval(bd.exprs[x], in, r);
                    if (want.err)
                        fail_msg("%s: the reference fails (%d) at row %u, expr %u", pc->sel,
                                 want.err, r, x);
                    if (!same(&out->cols[x], j, &want)) {
                        char d[512];
                        describe(&out->cols[x], j, &want, d, sizeof(d));
                        fail_msg("%s (expr %u, %s, rows %u, variant %d, row %u): %s", pc->sel, x,
                                 notnull ? "NOT NULL" : "nullable", rows, variant, r, d);
                    }
                }
            }
            sl_batch_pool_put(in);
            sl_batch_pool_put(out);
        }
    }
    sl_eval_free(ev);
    sl_batch_pool_free(ip);
    sl_batch_pool_free(op);
    sl_schema_free(is);
    sl_schema_free(os);
    sl_job_free(bd.job);
}

static void run_filter(const char *pred, bool notnull, uint64_t *st)
{
    struct bound bd = bind(notnull, "i", "i INT", pred);
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_eval *ev = sl_eval_new(NULL, bd.in, 1, bd.exprs, bd.src, &err);
    if (!ev)
        fail_msg("%s: %s", pred, err.msg);
    struct sl_schema *is = schema_of(bd.in);
    struct sl_batch_pool *ip = sl_batch_pool_new(NULL, is, 1);
    static sl_sel_t before[SL_BATCH_CAP];
    for (size_t li = 0; li < sl_test_nlengths; li++) {
        uint32_t rows = sl_test_lengths[li];
        if (rows > SL_BATCH_CAP)
            continue;
        for (int variant = 0; variant < 3; variant++) {
            struct sl_batch *in = sl_batch_pool_get(ip);
            fill_batch(in, rows, variant == 0 ? 0 : 20, st);
            if (variant == 2) {
                sl_sel_t *s = sl_batch_sel_next(in);
                sl_batch_sel_commit(in, s, sl_test_fill_sel(s, rows, 60, st));
            }
            uint32_t n = sl_batch_active(in);
            for (uint32_t j = 0; j < n; j++)
                before[j] = in->sel ? in->sel[j] : j;
            if (sl_eval_filter(ev, in, &err))
                fail_msg("%s: %s", pred, err.msg);
            uint32_t k = 0;
            for (uint32_t j = 0; j < n; j++) {
                pool_used = 0;
                struct rv want = ref_eval(bd.exprs[0], in, before[j]);
                assert_int_equal(want.err, 0);
                bool pass = !want.null && want.i;
                if (pass) {
                    if (k >= sl_batch_active(in) || in->sel[k] != before[j])
                        fail_msg("WHERE %s: row %u should pass (rows %u variant %d)", pred,
                                 before[j], rows, variant);
                    k++;
                }
            }
            if (k != sl_batch_active(in))
                fail_msg("WHERE %s: %u rows pass, want %u (rows %u variant %d)", pred,
                         sl_batch_active(in), k, rows, variant);
            sl_batch_pool_put(in);
        }
    }
    sl_eval_free(ev);
    sl_batch_pool_free(ip);
    sl_schema_free(is);
    sl_job_free(bd.job);
}

/* ---- the cases ------------------------------------------------------------------------------- */

static const struct pcase project_cases[] = {
    {"i, b, s, m, ts, f, d", "a INT, b BIGINT, c VARCHAR, e DECIMAL(10, 2), h TIMESTAMP(3), "
                             "k BOOLEAN, l DOUBLE"},
    {"i + i2, i - i2, i * i2, -i", "a INT, b INT, c INT, e INT"},
    {"b + b2, b - 7, b * b2, -b, i + b", "a BIGINT, c BIGINT, e BIGINT, h BIGINT, k BIGINT"},
    {"d + d2, d - d2, d * d2, d / d2, MOD(d, d2), -d, d + i",
     "a DOUBLE, c DOUBLE, e DOUBLE, h DOUBLE, k DOUBLE, l DOUBLE, o DOUBLE"},
    {"CASE WHEN i2 <> 0 THEN i / i2 ELSE 0 END, CASE WHEN i2 <> 0 THEN MOD(i, i2) END",
     "a INT, c INT"},
    {"CASE WHEN b2 <> 0 THEN b / b2 END, CASE WHEN b2 <> 0 THEN MOD(b, b2) END, "
     "CASE WHEN i2 <> 0 THEN MOD(b, i2) END",
     "a BIGINT, c BIGINT, e INT"},
    {"m + m2, m - m2, m * m2, -m, m * 2, 0.908 * i, m * m",
     "a DECIMAL(13, 4), c DECIMAL(13, 4), e DECIMAL(23, 6), h DECIMAL(10, 2), "
     "k DECIMAL(21, 2), l DECIMAL(14, 3), o DECIMAL(21, 4)"},
    {"m / 3, CASE WHEN m > 100 THEN m2 / m END, CASE WHEN m2 <> 0 THEN MOD(m, m2) END",
     "a DECIMAL(21, 13), c DECIMAL(25, 15), e DECIMAL(12, 4)"},
    {"i < i2, i = 5, b >= b2, d < d2, d = d2, d <> d2, m > m2, s < s2, s = 'abc', f = g",
     "a BOOLEAN, c BOOLEAN, e BOOLEAN, h BOOLEAN, k BOOLEAN, l BOOLEAN, o BOOLEAN, "
     "p BOOLEAN, q BOOLEAN, r BOOLEAN"},
    {"ts < TIMESTAMP '2020-01-01 00:00:02', i < b, i < d, 5 < i, m = 1.5, s >= s2, s <> "
     "'abcdefghijklmnopq', f <> TRUE, d <= 0.5, d > -1e300",
     "a BOOLEAN, c BOOLEAN, e BOOLEAN, h BOOLEAN, k BOOLEAN, l BOOLEAN, o BOOLEAN, "
     "p BOOLEAN, q BOOLEAN, r BOOLEAN"},
    {"i < i2 AND f, f OR g, NOT f, i > 0 OR b IS NULL, NOT (d < d2), f AND g OR NOT f, "
     "f AND NULL, g OR NULL",
     "a BOOLEAN, c BOOLEAN, e BOOLEAN, h BOOLEAN, k BOOLEAN, l BOOLEAN, o BOOLEAN, "
     "p BOOLEAN"},
    {"s IS NULL, m IS NOT NULL, f IS NULL, i BETWEEN -3 AND 3, d NOT BETWEEN -1 AND 1",
     "a BOOLEAN, c BOOLEAN, e BOOLEAN, h BOOLEAN, k BOOLEAN"},
    {"i IN (1, 2, 3), b IN (1, 2, NULL), s IN ('a', 'bc', s2), d IN (1.5, d2), m IN (1.50, 2), "
     "i IN (i2, 3), i NOT IN (1, 2), ts IN (TIMESTAMP '2020-01-01 00:00:01'), "
     "s NOT IN ('abc', NULL), f IN (TRUE)",
     "a BOOLEAN, c BOOLEAN, e BOOLEAN, h BOOLEAN, k BOOLEAN, l BOOLEAN, o BOOLEAN, "
     "p BOOLEAN, q BOOLEAN, r BOOLEAN"},
    {"s LIKE 'a%', s LIKE '%b_', s LIKE 'ab', s LIKE '_é%', s LIKE '%', s NOT LIKE '%x%', "
     "s LIKE '日本%', s LIKE '%テ_スト', s LIKE '_', s LIKE 'a%b%'",
     "a BOOLEAN, c BOOLEAN, e BOOLEAN, h BOOLEAN, k BOOLEAN, l BOOLEAN, o BOOLEAN, "
     "p BOOLEAN, q BOOLEAN, r BOOLEAN"},
    {"s || s2, s || 'xyz', 'pre-' || s2, s || ''", "a VARCHAR, c VARCHAR, e VARCHAR, h VARCHAR"},
    {"CASE WHEN i > 0 THEN s ELSE s2 END, CASE i WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE "
     "'many' END, CASE WHEN f THEN d END, CASE WHEN f THEN m WHEN g THEN m2 ELSE 0 END, "
     "CASE WHEN f THEN TRUE WHEN g THEN NULL ELSE FALSE END, CASE WHEN f THEN i END, "
     "CASE WHEN g THEN ts ELSE ts + INTERVAL '1' SECOND END",
     "a VARCHAR, c VARCHAR, e DOUBLE, h DECIMAL(14, 4), k BOOLEAN, l INT, o TIMESTAMP(3)"},
    {"CAST(i AS BIGINT), CAST(b AS INT), CAST(d AS INT), CAST(d AS BIGINT), CAST(i AS DOUBLE), "
     "CAST(b AS DOUBLE), CAST(m AS DOUBLE), CAST(m AS INT), CAST(m AS BIGINT)",
     "a BIGINT, c INT, e INT, h BIGINT, k DOUBLE, l DOUBLE, o DOUBLE, p INT, q BIGINT"},
    {"CAST(m AS DECIMAL(12, 1)), CAST(m2 AS DECIMAL(10, 2)), CAST(i AS DECIMAL(12, 2)), "
     "CAST(f AS INT), CAST(f AS DECIMAL(3, 1)), CAST(i AS DECIMAL(20, 3)), "
     "CAST(m2 AS DECIMAL(30, 0))",
     "a DECIMAL(12, 1), c DECIMAL(10, 2), e DECIMAL(12, 2), h INT, k DECIMAL(3, 1), "
     "l DECIMAL(20, 3), o DECIMAL(30, 0)"},
    {"CAST(i AS VARCHAR), CAST(b AS VARCHAR), CAST(m AS VARCHAR), CAST(ts AS VARCHAR), "
     "CAST(f AS VARCHAR), CAST(d AS VARCHAR), CAST(m2 AS VARCHAR)",
     "a VARCHAR, c VARCHAR, e VARCHAR, h VARCHAR, k VARCHAR, l VARCHAR, o VARCHAR"},
    {"CAST(CAST(i AS VARCHAR) AS INT), CAST(CAST(m AS VARCHAR) AS DECIMAL(10, 2)), "
     "CAST(CAST(ts AS VARCHAR) AS TIMESTAMP(3)), CAST(CAST(f AS VARCHAR) AS BOOLEAN), "
     "CAST(CAST(d AS VARCHAR) AS DOUBLE), CAST(CAST(b AS VARCHAR) AS BIGINT)",
     "a INT, c DECIMAL(10, 2), e TIMESTAMP(3), h BOOLEAN, k DOUBLE, l BIGINT"},
    {"ts + INTERVAL '1' SECOND, ts - INTERVAL '5' MINUTE, INTERVAL '2' HOUR + ts",
     "a TIMESTAMP(3), c TIMESTAMP(3), e TIMESTAMP(3)"},
    {"1 + 2, CAST('12' AS INT) + i, 'ab' || 'cdefghijklmnopqrstu', i + CAST(NULL AS INT), "
     "-(3), CAST(1.25 AS DECIMAL(5, 1))",
     "a INT, c INT, e VARCHAR, h INT, k INT, l DECIMAL(5, 1)"},
};

static const char *const filter_cases[] = {"i < i2",
                                           "b = 7",
                                           "i > 0 AND b < 0",
                                           "i > 0 OR d < 0",
                                           "NOT (i > 0)",
                                           "f",
                                           "NOT f",
                                           "f AND g",
                                           "f OR g",
                                           "s LIKE 'a%'",
                                           "s LIKE '%é%'",
                                           "s IS NULL",
                                           "m IS NOT NULL",
                                           "i IN (1, 2, 3)",
                                           "s IN ('a', 'b', 'xyz')",
                                           "i IN (i2, NULL)",
                                           "d = d2",
                                           "d <> d2",
                                           "i > 0 AND (f OR b IN (1, 2)) AND s <> ''",
                                           "(i > 0 OR i2 > 0) AND NOT g",
                                           "CASE WHEN f THEN i > 0 ELSE g END",
                                           "MOD(b, 123) = 0",
                                           "i2 <> 0 AND i / i2 > 1",
                                           "b2 = 0 OR b / b2 < 2",
                                           "s || s2 = 'ab'",
                                           "CAST(m AS DOUBLE) > 1.5",
                                           "TRUE",
                                           "FALSE",
                                           "CAST(NULL AS BOOLEAN)",
                                           "i BETWEEN 0 AND 5",
                                           "ts >= TIMESTAMP '2020-01-01 00:00:02'"};

static void test_project_random(void **state)
{
    (void)state;
    sl_simd_level levels[SL_SIMD_COUNT];
    int nl = sl_test_simd_levels(levels);
    uint64_t st = 42;
    for (int l = -1; l < nl; l++) {
        assert_int_equal(sl_simd_use(l < 0 ? SL_SIMD_SCALAR : levels[l]), 0);
        for (size_t c = 0; c < sizeof(project_cases) / sizeof(project_cases[0]); c++) {
            run_project(&project_cases[c], false, &st);
            run_project(&project_cases[c], true, &st);
        }
    }
    sl_simd_use(SL_SIMD_SCALAR);
}

static void test_filter_random(void **state)
{
    (void)state;
    sl_simd_level levels[SL_SIMD_COUNT];
    int nl = sl_test_simd_levels(levels);
    uint64_t st = 7;
    for (int l = -1; l < nl; l++) {
        assert_int_equal(sl_simd_use(l < 0 ? SL_SIMD_SCALAR : levels[l]), 0);
        for (size_t c = 0; c < sizeof(filter_cases) / sizeof(filter_cases[0]); c++) {
            run_filter(filter_cases[c], false, &st);
            run_filter(filter_cases[c], true, &st);
        }
    }
    sl_simd_use(SL_SIMD_SCALAR);
}

/* ---- targeted: one row of chosen values ---------------------------------------------------------
 */

/* Evaluates `sel` (one expression of sink type `type`) over one row where i = iv, i2 = i2v,
 * b = bv, b2 = b2v, m = mv (scaled), s = sv; returns the evaluator's code, the error message
 * in err and the result as text in out (NULL as "NULL"). */
static int eval1(const char *sel, const char *type, int32_t iv, int32_t i2v, int64_t bv,
                 int64_t b2v, int64_t mv, const char *sv, char *out, size_t cap,
                 struct sl_error *err)
{
    char types[128];
    snprintf(types, sizeof(types), "x %s", type);
    struct bound bd = bind(false, sel, types, NULL);
    sl_error_clear(err);
    struct sl_eval *ev = sl_eval_new(NULL, bd.in, bd.nexprs, bd.exprs, bd.src, err);
    assert_non_null(ev);
    struct sl_schema *is = schema_of(bd.in), *os = schema_of(&bd.node->out);
    struct sl_batch_pool *ip = sl_batch_pool_new(NULL, is, 1), *op = sl_batch_pool_new(NULL, os, 1);
    struct sl_batch *in = sl_batch_pool_get(ip), *o = sl_batch_pool_get(op);
    uint64_t st = 1;
    fill_batch(in, 1, 0, &st);
    sl_col_i32(&in->cols[0])[0] = iv;
    sl_col_i32(&in->cols[1])[0] = i2v;
    sl_col_i64(&in->cols[2])[0] = bv;
    sl_col_i64(&in->cols[3])[0] = b2v;
    sl_col_i64(&in->cols[6])[0] = mv;
    sl_col_str(&in->cols[9])[0] = sl_str_make(sv, (uint32_t)strlen(sv));
    int rc = sl_eval_project(ev, in, o, err);
    out[0] = '\0';
    if (rc == 0) {
        /* the reference must agree */
        pool_used = 0;
        struct rv want = ref_eval(bd.exprs[0], in, 0);
        if (want.err)
            fail_msg("%s: the reference fails with %d", sel, want.err);
        if (!same(&o->cols[0], 0, &want)) {
            char d[512];
            describe(&o->cols[0], 0, &want, d, sizeof(d));
            fail_msg("%s: %s", sel, d);
        }
        struct sl_column *c = &o->cols[0];
        if (c->valid && sl_col_is_null(c, 0))
            snprintf(out, cap, "NULL");
        else
            switch (c->type.id) {
            case SL_TYPE_BOOLEAN:
                snprintf(out, cap, "%s", sl_col_bool(c)[0] ? "TRUE" : "FALSE");
                break;
            case SL_TYPE_INT:
                snprintf(out, cap, "%d", sl_col_i32(c)[0]);
                break;
            case SL_TYPE_DOUBLE:
                snprintf(out, cap, "%.17g", sl_col_f64(c)[0]);
                break;
            case SL_TYPE_VARCHAR:
                snprintf(out, cap, "%.*s", (int)sl_col_str(c)[0].len,
                         sl_str_data(&sl_col_str(c)[0]));
                break;
            default:
                snprintf(out, cap, "%lld", (long long)sl_col_i64(c)[0]);
                break;
            }
    } else {
        pool_used = 0;
        int ref = 0;
        for (uint32_t x = 0; x < bd.nexprs && !ref; x++) {
            pool_used = 0;
            ref = ref_eval(bd.exprs[x], in, 0).err;
        }
        if (ref != rc)
            fail_msg("%s: evaluator %d (%s), reference %d", sel, rc, err->msg, ref);
    }
    sl_batch_pool_put(in);
    sl_batch_pool_put(o);
    sl_batch_pool_free(ip);
    sl_batch_pool_free(op);
    sl_schema_free(is);
    sl_schema_free(os);
    sl_eval_free(ev);
    sl_job_free(bd.job);
    return rc;
}

static void expect(const char *sel, const char *type, int32_t iv, int32_t i2v, int64_t bv,
                   int64_t b2v, int64_t mv, const char *sv, const char *want)
{
    char out[256];
    struct sl_error err;
    int rc = eval1(sel, type, iv, i2v, bv, b2v, mv, sv, out, sizeof(out), &err);
    if (rc)
        fail_msg("%s: %s", sel, err.msg);
    if (strcmp(out, want) != 0)
        fail_msg("%s: got '%s', want '%s'", sel, out, want);
}

static void expect_err(const char *sel, const char *type, int32_t iv, int32_t i2v, int64_t bv,
                       int64_t b2v, int64_t mv, const char *sv, int code, const char *n1,
                       const char *n2)
{
    char out[256];
    struct sl_error err;
    int rc = eval1(sel, type, iv, i2v, bv, b2v, mv, sv, out, sizeof(out), &err);
    if (rc != code || !strstr(err.msg, n1) || (n2 && !strstr(err.msg, n2)))
        fail_msg("%s: rc %d (want %d), message '%s' (want '%s' and '%s')", sel, rc, code, err.msg,
                 n1, n2 ? n2 : "");
}

/* Hand-computed answers: they check the reference interpreter and the evaluator alike. */
static void test_known_values(void **state)
{
    (void)state;
    expect("i + i2", "INT", INT32_MAX, 1, 0, 0, 0, "", "-2147483648");
    expect("i / i2", "INT", INT32_MIN, -1, 0, 0, 0, "", "-2147483648");
    expect("MOD(i, i2)", "INT", -7, 3, 0, 0, 0, "", "-1");
    expect("i / i2", "INT", -7, 2, 0, 0, 0, "", "-3");
    expect("b * b2", "BIGINT", 0, 0, INT64_MAX, 2, 0, "", "-2");
    expect("MOD(b, b2)", "BIGINT", 0, 0, INT64_MIN, -1, 0, "", "0");
    expect("m * 2", "DECIMAL(21, 2)", 0, 0, 0, 0, 1234, "", "2468");
    expect("0.908 * b", "DECIMAL(23, 3)", 0, 0, 1000, 0, 0, "", "908000");
    expect("m / 3", "DECIMAL(21, 13)", 0, 0, 0, 0, 100, "", "3333333333333"); /* 1.00 / 3 */
    expect("m / 3", "DECIMAL(21, 13)", 0, 0, 0, 0, 200, "", "6666666666667"); /* half up */
    expect("m / 3", "DECIMAL(21, 13)", 0, 0, 0, 0, -200, "", "-6666666666667");
    expect("CAST(m AS DECIMAL(12, 1))", "DECIMAL(12, 1)", 0, 0, 0, 0, 125, "", "13");
    expect("CAST(m AS DECIMAL(12, 1))", "DECIMAL(12, 1)", 0, 0, 0, 0, -125, "", "-13");
    expect("CAST(m AS DECIMAL(12, 1))", "DECIMAL(12, 1)", 0, 0, 0, 0, 124, "", "12");
    expect("CAST(m AS INT)", "INT", 0, 0, 0, 0, -199, "", "-1");
    expect("CAST(m AS VARCHAR)", "VARCHAR", 0, 0, 0, 0, -5, "", "-0.05");
    expect("CAST(b AS INT)", "INT", 0, 0, 4294967297, 0, 0, "", "1");
    expect("CAST(CAST(b AS DOUBLE) * 1e10 AS INT)", "INT", 0, 0, 1, 0, 0, "", "2147483647");
    expect("CAST(CAST(b AS DOUBLE) / 0 AS VARCHAR)", "VARCHAR", 0, 0, -1, 0, 0, "", "-Infinity");
    expect("CAST(CAST(b AS DOUBLE) * 1e20 AS VARCHAR)", "VARCHAR", 0, 0, 1, 0, 0, "", "1.0E20");
    expect("CAST(CAST(b AS DOUBLE) / 1000 AS VARCHAR)", "VARCHAR", 0, 0, 1, 0, 0, "", "0.001");
    expect("CAST(CAST(b AS DOUBLE) / 10000 AS VARCHAR)", "VARCHAR", 0, 0, 1, 0, 0, "", "1.0E-4");
    expect("CAST(CAST(b AS DOUBLE) * 1e6 AS VARCHAR)", "VARCHAR", 0, 0, 12, 0, 0, "", "1.2E7");
    expect("CAST(CAST(b AS DOUBLE) / 10 AS VARCHAR)", "VARCHAR", 0, 0, 1, 0, 0, "", "0.1");
    expect("CAST(i = 1 AS VARCHAR)", "VARCHAR", 1, 0, 0, 0, 0, "", "TRUE");
    expect("CAST(CAST(b AS DOUBLE) / 4 AS DECIMAL(10, 1))", "DECIMAL(10, 1)", 0, 0, 1, 0, 0, "",
           "3"); /* 0.25 -> 0.3 half up */
    expect("CAST(TIMESTAMP '2020-02-29 23:59:58.5' + INTERVAL '2' SECOND AS VARCHAR)", "VARCHAR", 0,
           0, 0, 0, 0, "", "2020-03-01 00:00:00.500");
    expect("CAST(s AS INT)", "INT", 0, 0, 0, 0, 0, " 42 ", "42");
    expect("CAST(s AS DECIMAL(6, 2))", "DECIMAL(6, 2)", 0, 0, 0, 0, 0, "-1.005", "-101");
    expect("CAST(s AS BOOLEAN)", "BOOLEAN", 0, 0, 0, 0, 0, "TRUE", "TRUE");
    expect("s || '-' || s", "VARCHAR", 0, 0, 0, 0, 0, "日本", "日本-日本");
    expect("s LIKE '_本'", "BOOLEAN", 0, 0, 0, 0, 0, "日本", "TRUE");
    expect("s LIKE '__'", "BOOLEAN", 0, 0, 0, 0, 0, "日本", "TRUE");
    expect("s LIKE '___'", "BOOLEAN", 0, 0, 0, 0, 0, "日本", "FALSE");
    expect("s LIKE '%'", "BOOLEAN", 0, 0, 0, 0, 0, "", "TRUE");
    expect("s LIKE '_'", "BOOLEAN", 0, 0, 0, 0, 0, "", "FALSE");
    expect("s LIKE 'a%c%e'", "BOOLEAN", 0, 0, 0, 0, 0, "abcdcxe", "TRUE");
    expect("s LIKE 'a%c%e'", "BOOLEAN", 0, 0, 0, 0, 0, "abcdcxef", "FALSE");
    expect("s LIKE '%a_b%'", "BOOLEAN", 0, 0, 0, 0, 0, "xxaébyy", "TRUE");
    expect("s LIKE 'a%'", "BOOLEAN", 0, 0, 0, 0, 0, "a\nb", "TRUE");
    expect("i IN (1, NULL)", "BOOLEAN", 2, 0, 0, 0, 0, "", "NULL");
    expect("i IN (1, NULL)", "BOOLEAN", 1, 0, 0, 0, 0, "", "TRUE");
    expect("i NOT IN (1, NULL)", "BOOLEAN", 2, 0, 0, 0, 0, "", "NULL");
    expect("i IN (1, 3)", "BOOLEAN", 2, 0, 0, 0, 0, "", "FALSE");
    expect("CASE WHEN i2 <> 0 THEN i / i2 ELSE -1 END", "INT", 5, 0, 0, 0, 0, "", "-1");
    expect("i2 <> 0 AND i / i2 > 1", "BOOLEAN", 5, 0, 0, 0, 0, "", "FALSE");
    expect("i2 = 0 OR i / i2 > 1", "BOOLEAN", 5, 0, 0, 0, 0, "", "TRUE");
}

/* The truth tables of AND, OR, NOT and IS [NOT] NULL over TRUE / FALSE / NULL. */
static void test_three_valued_logic(void **state)
{
    (void)state;
    /* i: 1 TRUE, 0 FALSE, -1 NULL (via CASE) */
    const char *tv[3] = {"TRUE", "FALSE", "NULL"};
    const int32_t code[3] = {1, 0, -1};
    const char *x = "CASE WHEN i = 1 THEN TRUE WHEN i = 0 THEN FALSE END";
    const char *y = "CASE WHEN i2 = 1 THEN TRUE WHEN i2 = 0 THEN FALSE END";
    static const char *const and_t[3][3] = {
        {"TRUE", "FALSE", "NULL"}, {"FALSE", "FALSE", "FALSE"}, {"NULL", "FALSE", "NULL"}};
    static const char *const or_t[3][3] = {
        {"TRUE", "TRUE", "TRUE"}, {"TRUE", "FALSE", "NULL"}, {"TRUE", "NULL", "NULL"}};
    char sel[512];
    for (int a = 0; a < 3; a++) {
        for (int b = 0; b < 3; b++) {
            snprintf(sel, sizeof(sel), "(%s) AND (%s)", x, y);
            expect(sel, "BOOLEAN", code[a], code[b], 0, 0, 0, "", and_t[a][b]);
            snprintf(sel, sizeof(sel), "(%s) OR (%s)", x, y);
            expect(sel, "BOOLEAN", code[a], code[b], 0, 0, 0, "", or_t[a][b]);
        }
        snprintf(sel, sizeof(sel), "NOT (%s)", x);
        expect(sel, "BOOLEAN", code[a], 0, 0, 0, 0, "", a == 2 ? "NULL" : tv[1 - a]);
        snprintf(sel, sizeof(sel), "(%s) IS NULL", x);
        expect(sel, "BOOLEAN", code[a], 0, 0, 0, 0, "", a == 2 ? "TRUE" : "FALSE");
        snprintf(sel, sizeof(sel), "(%s) IS NOT NULL", x);
        expect(sel, "BOOLEAN", code[a], 0, 0, 0, 0, "", a == 2 ? "FALSE" : "TRUE");
    }
}

static void test_errors(void **state)
{
    (void)state;
    /* division by zero: the SQL position (line 3, the column of the operator's expression) */
    expect_err("i / i2", "INT", 7, 0, 0, 0, 0, "", SL_EDIVZERO, "q.sql:3:", "division by zero");
    expect_err("MOD(b, b2)", "BIGINT", 0, 0, 7, 0, 0, "", SL_EDIVZERO, "division by zero", "7");
    expect_err("m / CAST(i2 AS DECIMAL(5, 0))", "DECIMAL(16, 8)", 0, 0, 0, 0, 100, "", SL_EDIVZERO,
               "division by zero", NULL);
    /* DECIMAL overflow of the int64 and of the declared precision */
    expect_err("m * CAST(b AS DECIMAL(19, 0))", "DECIMAL(30, 2)", 0, 0, INT64_MAX / 10, 0, 1000, "",
               SL_EOVERFLOW, "overflow", NULL);
    expect_err("CAST(m AS DECIMAL(3, 2))", "DECIMAL(3, 2)", 0, 0, 0, 0, 100000, "", SL_EOVERFLOW,
               "1000.00", "DECIMAL(3, 2)");
    expect_err("CAST(i AS DECIMAL(4, 2))", "DECIMAL(4, 2)", 100, 0, 0, 0, 0, "", SL_EOVERFLOW,
               "overflow", NULL);
    expect_err("m + CAST(b AS DECIMAL(10, 2))", "DECIMAL(11, 2)", 0, 0, 999999999, 0, 99999999, "",
               SL_EOVERFLOW, "overflow", NULL);
    /* CAST of bad text: the position and the text */
    expect_err("CAST(s AS INT)", "INT", 0, 0, 0, 0, 0, "12x", SL_EPARSE, "q.sql:3:", "'12x'");
    expect_err("CAST(s AS BIGINT)", "BIGINT", 0, 0, 0, 0, 0, "99999999999999999999", SL_ERANGE,
               "99999999999999999999", "BIGINT");
    expect_err("CAST(s AS DOUBLE)", "DOUBLE", 0, 0, 0, 0, 0, "abc", SL_EPARSE, "'abc'", "DOUBLE");
    expect_err("CAST(s AS BOOLEAN)", "BOOLEAN", 0, 0, 0, 0, 0, "yes", SL_EPARSE, "'yes'", NULL);
    expect_err("CAST(s AS TIMESTAMP(3))", "TIMESTAMP(3)", 0, 0, 0, 0, 0, "2020-13-01", SL_ERANGE,
               "'2020-13-01'", "month out of range");
    expect_err("CAST(s AS TIMESTAMP(3))", "TIMESTAMP(3)", 0, 0, 0, 0, 0, "2023-02-31 00:00:00",
               SL_ERANGE, "'2023-02-31 00:00:00' to TIMESTAMP(3)", "February has 28 days");
    expect_err("CAST(s AS TIMESTAMP(3))", "TIMESTAMP(3)", 0, 0, 0, 0, 0, "2020-01-01 12", SL_EPARSE,
               "'2020-01-01 12'", "HH:mm");
    expect_err("CAST(s AS DECIMAL(4, 2))", "DECIMAL(4, 2)", 0, 0, 0, 0, 0, "123.4", SL_ERANGE,
               "'123.4'", "DECIMAL(4, 2)");
}

/* Errors show the source line and a caret at the expression. */
static void test_error_position(void **state)
{
    (void)state;
    char out[64];
    struct sl_error err;
    int rc =
        eval1("i + 1, CAST(s AS INT)", "INT, y INT", 0, 0, 0, 0, 0, "nope", out, sizeof(out), &err);
    (void)rc;
    /* eval1 declares "x INT, y INT" */
    assert_int_equal(rc, SL_EPARSE);
    /* line 3 is the INSERT; "INSERT INTO o SELECT i + 1, " is 28 bytes: CAST at column 29 */
    assert_non_null(strstr(err.msg, "q.sql:3:29:"));
    assert_non_null(strstr(err.msg, "'nope'"));
    assert_non_null(strstr(err.msg, "^"));
}

/* Expressions the evaluator keeps from the input: strings survive the input batch. */
static void test_strings_outlive_input(void **state)
{
    (void)state;
    struct bound bd = bind(false, "s, s || s2", "a VARCHAR, c VARCHAR", NULL);
    struct sl_error err;
    struct sl_eval *ev = sl_eval_new(NULL, bd.in, bd.nexprs, bd.exprs, bd.src, &err);
    assert_non_null(ev);
    struct sl_schema *is = schema_of(bd.in), *os = schema_of(&bd.node->out);
    struct sl_batch_pool *ip = sl_batch_pool_new(NULL, is, 1), *op = sl_batch_pool_new(NULL, os, 1);
    struct sl_batch *in = sl_batch_pool_get(ip), *o = sl_batch_pool_get(op);
    uint64_t st = 3;
    fill_batch(in, 1, 0, &st);
    char *heap = strdup("a string longer than twelve bytes");
    sl_col_str(&in->cols[9])[0] = sl_str_make(heap, (uint32_t)strlen(heap));
    sl_col_str(&in->cols[10])[0] = sl_str_make("!", 1);
    assert_int_equal(sl_eval_project(ev, in, o, &err), 0);
    memset(heap, 'X', strlen(heap));
    free(heap);
    sl_batch_pool_put(in);
    /* a second batch through the evaluator reuses its string scratch */
    in = sl_batch_pool_get(ip);
    fill_batch(in, SL_BATCH_CAP, 0, &st);
    struct sl_batch *o2 = sl_batch_pool_get(op);
    assert_int_equal(sl_eval_project(ev, in, o2, &err), 0);
    sl_str *a = sl_col_str(&o->cols[0]), *c = sl_col_str(&o->cols[1]);
    assert_int_equal(a[0].len, 33);
    assert_memory_equal(sl_str_data(&a[0]), "a string longer than twelve bytes", 33);
    assert_int_equal(c[0].len, 34);
    assert_memory_equal(sl_str_data(&c[0]), "a string longer than twelve bytes!", 34);
    sl_batch_pool_put(in);
    sl_batch_pool_put(o);
    sl_batch_pool_put(o2);
    sl_batch_pool_free(ip);
    sl_batch_pool_free(op);
    sl_schema_free(is);
    sl_schema_free(os);
    sl_eval_free(ev);
    sl_job_free(bd.job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_three_valued_logic),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_position),
        cmocka_unit_test(test_strings_outlive_input),
        cmocka_unit_test(test_project_random),
        cmocka_unit_test(test_filter_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
