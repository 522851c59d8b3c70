/*
 * engine/ops/eval_fn.c - time and numeric scalar functions over vectors (see eval_fn.h for the
 * interface, docs/sql.md for the functions and engine/core/dtpattern.h for the patterns).
 *
 * HOW IT WORKS
 * One loop per function over the selected rows, dispatched once per batch; NULL rows are
 * skipped (their result slot is left as it is: the validity says NULL). Functions whose text
 * pattern is a constant compile it once at prepare time; a pattern that varies by row is
 * compiled again only when it changes from the previous row. Formatting writes into a stack
 * buffer and keeps strings of up to 12 bytes inline (DATE_FORMAT 'yyyy-MM-dd' and 'HH:mm'
 * never touch the scratch arena).
 *
 * Flink semantics worth knowing (each checked against Flink 1.20 itself):
 *   - EXTRACT / HOUR... truncate toward zero before 1970 (engine/core/dtpattern.h).
 *   - ROUND is HALF_UP on the decimal value (DOUBLE: on Double.toString's digits, as
 *     BigDecimal.valueOf does, so ROUND(1.005, 2) is 1.01); ROUND / ABS of INT and BIGINT
 *     wrap around like Java's intValue() / Math.abs (ABS(-2147483648) is -2147483648).
 *   - UNIX_TIMESTAMP of text that does not parse is -9223372036854775808 (Long.MIN_VALUE);
 *     TO_TIMESTAMP and DATE_FORMAT of such text are NULL.
 *   - RAND(seed) is java.util.Random(seed).nextDouble(), one generator per evaluator (Flink:
 *     per parallel instance); RAND() is seeded from the clock and the evaluator's address.
 *   - CURRENT_TIMESTAMP / NOW / LOCALTIMESTAMP are read once per batch (Flink's streaming
 *     mode reads them per record; a batch is read within microseconds).
 */
#include "engine/ops/eval_fn.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/datetime.h"
#include "engine/core/dtpattern.h"
#include "engine/core/error.h"
#include "kernels/arith.h"

struct sl_tfn_state {
    bool have_pat; /* pat holds the constant pattern */
    struct sl_dtp pat;
    struct sl_dtp sdf_in;  /* DATE_FORMAT(STRING): the text's yyyy-MM-dd HH:mm:ss */
    struct sl_dtp row_pat; /* the latest per-row pattern, and its text */
    uint32_t row_len;
    bool row_ok;
    char row_text[SL_DTP_MAX_LIT + SL_DTP_MAX_FIELDS * 19 + 8];
    uint64_t rnd; /* java.util.Random's 48-bit state */
};

#define FN_ROW(sel, k) ((sel) ? (sel)[k] : (k))
#define FN_FORMAT_MAX (SL_DTP_MAX_FIELDS * 20 + SL_DTP_MAX_LIT)

bool sl_fn_handles(sl_fn fn)
{
    return sl_fn_is_time_numeric(fn); /* one list, in engine/plan/plan.c */
}

bool sl_fn_volatile(sl_fn fn, uint32_t nargs)
{
    return fn == SL_FN_NOW || fn == SL_FN_RAND || (fn == SL_FN_UNIX_TIMESTAMP && nargs == 0);
}

size_t sl_fn_state_size(void)
{
    return sizeof(struct sl_tfn_state);
}

static int fn_fail(struct sl_tfn_call *c, uint32_t row, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fn_fail(struct sl_tfn_call *c, uint32_t row, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err_msg, sizeof(c->err_msg), fmt, ap);
    va_end(ap);
    c->err_row = row;
    c->err_code = code;
    return code;
}

/* ---- java.util.Random ------------------------------------------------------------------------ */

#define FN_RND_MASK ((UINT64_C(1) << 48) - 1)

static void fn_rnd_seed(uint64_t *s, int64_t seed)
{
    *s = ((uint64_t)seed ^ UINT64_C(0x5DEECE66D)) & FN_RND_MASK;
}

static int64_t fn_rnd_next(uint64_t *s, int bits)
{
    *s = (*s * UINT64_C(0x5DEECE66D) + UINT64_C(0xB)) & FN_RND_MASK;
    return (int64_t)(*s >> (48 - bits));
}

static double fn_rnd_double(uint64_t *s)
{
    int64_t hi = fn_rnd_next(s, 26), lo = fn_rnd_next(s, 27);
    return (double)((hi << 27) + lo) * 0x1.0p-53;
}

/* ---- prepare --------------------------------------------------------------------------------- */

static const char *fn_pattern_fn(sl_fn fn)
{
    return sl_fn_name(fn);
}

/* The dialect of a call's pattern: java.time for DATE_FORMAT(TIMESTAMP) and TO_TIMESTAMP,
 * SimpleDateFormat for the rest. */
static sl_dtp_dialect fn_dialect(const struct sl_tfn_call *c)
{
    if (c->fn == SL_FN_TO_TIMESTAMP)
        return SL_DTP_DTF;
    if (c->fn == SL_FN_DATE_FORMAT && c->args[0].type.id == SL_TYPE_TIMESTAMP)
        return SL_DTP_DTF;
    return SL_DTP_SDF;
}

int sl_fn_prepare(struct sl_tfn_call *c, struct sl_tfn_state *st)
{
    c->st = st;
    if (c->fn == SL_FN_RAND) {
        int64_t seed;
        if (c->nargs)
            seed = ((const int64_t *)c->args[0].data)[0];
        else {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            seed = (int64_t)ts.tv_nsec ^ ((int64_t)ts.tv_sec << 20) ^ (int64_t)(uintptr_t)st;
        }
        fn_rnd_seed(&st->rnd, seed);
        return 0;
    }
    bool pattern = c->fn == SL_FN_DATE_FORMAT || c->fn == SL_FN_FROM_UNIXTIME ||
                   c->fn == SL_FN_TO_TIMESTAMP || c->fn == SL_FN_UNIX_TIMESTAMP;
    if (!pattern)
        return 0;
    if (c->fn == SL_FN_DATE_FORMAT && c->args[0].type.id != SL_TYPE_TIMESTAMP) {
        static const char def[] = "yyyy-MM-dd HH:mm:ss";
        sl_dtp_compile(&st->sdf_in, def, sizeof(def) - 1, SL_DTP_SDF, c->err_msg,
                       sizeof(c->err_msg));
    }
    if (c->nargs < 2 || !c->args[1].is_const || c->args[1].cnull)
        return 0;
    const sl_str *p = c->args[1].data;
    char why[120];
    if (sl_dtp_compile(&st->pat, sl_str_data(p), p->len, fn_dialect(c), why, sizeof(why))) {
        snprintf(c->err_msg, sizeof(c->err_msg), "%s: invalid pattern: %s", fn_pattern_fn(c->fn),
                 why);
        c->err_code = SL_EINVAL;
        return SL_EINVAL;
    }
    st->have_pat = true;
    return 0;
}

/* The pattern of row r: the constant one, or the row's compiled (again only when it changed). */
static const struct sl_dtp *fn_pattern(struct sl_tfn_call *c, uint32_t r, int *rc)
{
    struct sl_tfn_state *st = c->st;
    *rc = 0;
    if (st->have_pat)
        return &st->pat;
    const sl_str *p = &((const sl_str *)c->args[1].data)[r];
    const char *text = sl_str_data(p);
    if (p->len <= sizeof(st->row_text) && p->len == st->row_len && st->row_ok &&
        memcmp(st->row_text, text, p->len) == 0)
        return &st->row_pat;
    char why[120];
    st->row_ok = false;
    if (sl_dtp_compile(&st->row_pat, text, p->len, fn_dialect(c), why, sizeof(why))) {
        *rc = fn_fail(c, r, SL_EINVAL, "%s: invalid pattern: %s", fn_pattern_fn(c->fn), why);
        return NULL;
    }
    if (p->len <= sizeof(st->row_text)) {
        memcpy(st->row_text, text, p->len);
        st->row_len = p->len;
        st->row_ok = true;
    }
    return &st->row_pat;
}

/* ---- helpers --------------------------------------------------------------------------------- */

/* The result validity: the AND of the arguments' (into vbuf when more than one has NULLs). */
static const uint64_t *fn_valid_and(struct sl_tfn_call *c)
{
    const uint64_t *v = NULL;
    for (uint32_t i = 0; i < c->nargs; i++) {
        const uint64_t *a = c->args[i].valid;
        if (!a)
            continue;
        if (!v) {
            v = a;
            continue;
        }
        sl_arith->valid_and(c->vbuf, v, a, c->rows);
        v = c->vbuf;
    }
    return v;
}

/* A validity the function may clear bits of: vbuf, holding the arguments' validity. */
static uint64_t *fn_valid_own(struct sl_tfn_call *c)
{
    const uint64_t *v = fn_valid_and(c);
    size_t words = SL_VALID_WORDS(c->rows);
    if (!v)
        memset(c->vbuf, 0xff, words * sizeof(uint64_t));
    else if (v != c->vbuf)
        memcpy(c->vbuf, v, words * sizeof(uint64_t));
    return c->vbuf;
}

static bool fn_any_cnull(const struct sl_tfn_call *c)
{
    for (uint32_t i = 0; i < c->nargs; i++)
        if (c->args[i].cnull)
            return true;
    return false;
}

/* Stores len bytes at row r of a string result. */
static int fn_put_str(struct sl_tfn_call *c, uint32_t r, const char *s, size_t len)
{
    sl_str *out = c->out;
    if (len <= SL_STR_INLINE_MAX) {
        out[r] = sl_str_make(s, (uint32_t)len);
        return 0;
    }
    char *p = c->str_alloc(c->str_ctx, len);
    if (!p)
        return fn_fail(c, r, SL_ENOMEM, "out of memory");
    memcpy(p, s, len);
    out[r] = sl_str_make(p, (uint32_t)len);
    return 0;
}

static int64_t fn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- time functions -------------------------------------------------------------------------- */

static int fn_date_format(struct sl_tfn_call *c)
{
    const uint64_t *valid = c->valid;
    uint64_t *own = NULL;
    bool text = c->fn == SL_FN_DATE_FORMAT && c->args[0].type.id != SL_TYPE_TIMESTAMP;
    bool unix = c->fn == SL_FN_FROM_UNIXTIME;
    if (text) {
        own = fn_valid_own(c);
        c->valid = valid = own;
    }
    char buf[FN_FORMAT_MAX];
    for (uint32_t k = 0; k < c->n; k++) {
        uint32_t r = FN_ROW(c->sel, k);
        if (!sl_valid_get(valid, r))
            continue;
        int rc;
        const struct sl_dtp *pat = fn_pattern(c, r, &rc);
        if (!pat)
            return rc;
        int64_t ms;
        if (text) {
            const sl_str *s = &((const sl_str *)c->args[0].data)[r];
            if (!sl_dtp_parse(&c->st->sdf_in, sl_str_data(s), s->len, &ms)) {
                sl_valid_set(own, r, false); /* Flink logs the ParseException: NULL */
                continue;
            }
        } else if (unix) {
            /* new Date(seconds * 1000): Java's long multiplication wraps */
            ms = (int64_t)((uint64_t)((const int64_t *)c->args[0].data)[r] * 1000u);
        } else {
            ms = ((const int64_t *)c->args[0].data)[r];
        }
        size_t len = sl_dtp_format(pat, ms, buf);
        if ((rc = fn_put_str(c, r, buf, len)))
            return rc;
    }
    return 0;
}

/* DATE_FORMAT(ts, 'yyyy-MM-dd') and 'HH:mm' (Nexmark q10, q15, q16): no pattern walk. */
static bool fn_date_format_fast(struct sl_tfn_call *c)
{
    const struct sl_tfn_state *st = c->st;
    if (!st->have_pat || c->args[0].type.id != SL_TYPE_TIMESTAMP || c->fn != SL_FN_DATE_FORMAT)
        return false;
    const sl_str *p = c->args[1].data;
    const char *pt = sl_str_data(p);
    bool date = p->len == 10 && memcmp(pt, "yyyy-MM-dd", 10) == 0;
    bool hm = p->len == 5 && memcmp(pt, "HH:mm", 5) == 0;
    if (!date && !hm)
        return false;
    const int64_t *ts = c->args[0].data;
    sl_str *out = c->out;
    const uint64_t *valid = c->valid;
    for (uint32_t k = 0; k < c->n; k++) {
        uint32_t r = FN_ROW(c->sel, k);
        if (!sl_valid_get(valid, r))
            continue;
        uint32_t rem;
        int64_t days = sl_dt_split(ts[r], &rem);
        char b[16], *q = b;
        if (date) {
            int64_t y;
            unsigned mo, d;
            sl_dt_civil_from_days(days, &y, &mo, &d);
            if (y < 1 || y > 9999) /* year of era and '+': the general path */
                return false;
            q = sl_dt_put2(q, (unsigned)(y / 100));
            q = sl_dt_put2(q, (unsigned)(y % 100));
            *q++ = '-';
            q = sl_dt_put2(q, mo);
            *q++ = '-';
            q = sl_dt_put2(q, d);
        } else {
            q = sl_dt_put2(q, rem / 3600000);
            *q++ = ':';
            q = sl_dt_put2(q, rem / 60000 % 60);
        }
        out[r] = sl_str_make(b, (uint32_t)(q - b));
    }
    return true;
}

static int fn_parse_fns(struct sl_tfn_call *c)
{
    bool to_ts = c->fn == SL_FN_TO_TIMESTAMP;
    const uint64_t *valid = c->valid;
    uint64_t *own = NULL;
    if (to_ts) {
        own = fn_valid_own(c);
        c->valid = valid = own;
    }
    int64_t *out = c->out;
    for (uint32_t k = 0; k < c->n; k++) {
        uint32_t r = FN_ROW(c->sel, k);
        if (!sl_valid_get(valid, r))
            continue;
        const sl_str *s = &((const sl_str *)c->args[0].data)[r];
        int64_t ms;
        bool ok;
        if (to_ts && c->nargs == 1) {
            ok = sl_dtp_parse_default(sl_str_data(s), s->len, &ms);
        } else {
            int rc;
            const struct sl_dtp *pat = fn_pattern(c, r, &rc);
            if (!pat)
                return rc;
            ok = sl_dtp_parse(pat, sl_str_data(s), s->len, &ms);
        }
        if (to_ts) {
            if (ok)
                out[r] = ms;
            else
                sl_valid_set(own, r, false);
        } else {
            out[r] = ok ? ms / 1000 : INT64_MIN;
        }
    }
    return 0;
}

static int fn_extract(struct sl_tfn_call *c)
{
    sl_time_unit u = (sl_time_unit)((const int32_t *)c->args[0].data)[0];
    const int64_t *ts = c->args[1].data;
    int64_t *out = c->out;
    for (uint32_t k = 0; k < c->n; k++) {
        uint32_t r = FN_ROW(c->sel, k);
        out[r] = sl_time_extract(u, ts[r]); /* NULL rows: a value nobody reads */
    }
    return 0;
}

static int fn_ts_floor(struct sl_tfn_call *c)
{
    sl_time_unit u = (sl_time_unit)((const int32_t *)c->args[0].data)[0];
    const int64_t *ts = c->args[1].data;
    int64_t *out = c->out;
    for (uint32_t k = 0; k < c->n; k++) {
        uint32_t r = FN_ROW(c->sel, k);
        if (!sl_valid_get(c->valid, r))
            continue;
        if (!sl_time_floor(u, ts[r], c->fn == SL_FN_TS_CEIL, &out[r]))
            return fn_fail(c, r, SL_EOVERFLOW, "%s(... TO %s) is past the TIMESTAMP range",
                           c->fn == SL_FN_TS_CEIL ? "CEIL" : "FLOOR", sl_time_unit_name(u));
    }
    return 0;
}

static int64_t fn_unit_ms(sl_time_unit u)
{
    switch (u) {
    case SL_TU_SECOND:
        return 1000;
    case SL_TU_MINUTE:
        return 60000;
    case SL_TU_HOUR:
        return 3600000;
    case SL_TU_DAY:
        return SL_DT_MS_PER_DAY;
    case SL_TU_WEEK:
        return 7 * SL_DT_MS_PER_DAY;
    default:
        return 0;
    }
}

static int64_t fn_unit_months(sl_time_unit u)
{
    return u == SL_TU_MONTH ? 1 : u == SL_TU_QUARTER ? 3 : 12;
}

static int fn_timestampadd(struct sl_tfn_call *c)
{
    sl_time_unit u = (sl_time_unit)((const int32_t *)c->args[0].data)[0];
    const int64_t *cnt = c->args[1].data, *ts = c->args[2].data;
    int64_t *out = c->out, ums = fn_unit_ms(u);
    for (uint32_t k = 0; k < c->n; k++) {
        uint32_t r = FN_ROW(c->sel, k);
        if (!sl_valid_get(c->valid, r))
            continue;
        bool ok;
        if (ums) {
            int64_t d;
            ok = !__builtin_mul_overflow(cnt[r], ums, &d) &&
                 !__builtin_add_overflow(ts[r], d, &out[r]);
        } else {
            int64_t m;
            ok = !__builtin_mul_overflow(cnt[r], fn_unit_months(u), &m) &&
                 sl_time_add_months(ts[r], m, &out[r]);
        }
        if (!ok)
            return fn_fail(c, r, SL_EOVERFLOW,
                           "TIMESTAMPADD(%s, %lld, ...) is past the TIMESTAMP range",
                           sl_time_unit_name(u), (long long)cnt[r]);
    }
    return 0;
}

static int fn_timestampdiff(struct sl_tfn_call *c)
{
    sl_time_unit u = (sl_time_unit)((const int32_t *)c->args[0].data)[0];
    const int64_t *a = c->args[1].data, *b = c->args[2].data;
    int32_t *out = c->out;
    int64_t ums = fn_unit_ms(u);
    for (uint32_t k = 0; k < c->n; k++) {
        uint32_t r = FN_ROW(c->sel, k);
        if (!sl_valid_get(c->valid, r))
            continue;
        int64_t v;
        if (ums) {
            /* Flink: the seconds between them as an int (wrapping), then / the unit's */
            int64_t sec = (int64_t)((uint64_t)b[r] - (uint64_t)a[r]) / 1000;
            v = (int32_t)(uint32_t)(uint64_t)sec / (ums / 1000);
        } else {
            v = sl_time_diff_months(b[r], a[r]) / fn_unit_months(u);
        }
        out[r] = (int32_t)(uint32_t)(uint64_t)v;
    }
    return 0;
}

/* ---- numeric functions ----------------------------------------------------------------------- */

static __int128 fn_p10(unsigned k)
{
    __int128 p = 1;
    while (k--)
        p *= 10;
    return p;
}

/* a / b (b > 0) rounded HALF_UP, floored or ceiled. */
static __int128 fn_div(__int128 a, __int128 b, int mode /* 0 half-up, -1 floor, 1 ceil */)
{
    __int128 q = a / b, r = a % b;
    if (!r)
        return q;
    if (mode == 0) {
        __int128 ar = r < 0 ? -r : r;
        if (2 * ar >= b)
            q += a < 0 ? -1 : 1;
    } else if (mode < 0) {
        if (a < 0)
            q--;
    } else if (a > 0) {
        q++;
    }
    return q;
}

/* BigDecimal.valueOf(x).setScale(d, HALF_UP).doubleValue(): rounds the shortest decimal text
 * of x (what Double.toString gives) half away from zero at d digits after the point. */
static double fn_round_double(double x, int64_t d)
{
    if (!isfinite(x) || x == 0)
        return x;
    char buf[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    /* buf: [-]D[.DDD]e[+-]XX */
    const char *p = buf;
    bool neg = *p == '-';
    p += neg;
    char dig[24];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            dig[nd++] = *p;
    long e = strtol(p + 1, NULL, 10);  /* x = 0.DIG * 10^(e + 1) */
    int64_t keep = (int64_t)e + 1 + d; /* digits before the cut */
    if (keep >= nd)
        return x;
    if (keep < 0)
        return 0.0;
    bool up = dig[keep] >= '5';
    nd = (int)keep;
    long exp10 = e + 1; /* value = 0.DIG * 10^exp10 */
    if (up) {
        int i = nd - 1;
        while (i >= 0 && dig[i] == '9')
            dig[i--] = '0';
        if (i >= 0) {
            dig[i]++;
        } else {
            memmove(dig + 1, dig, (size_t)nd);
            dig[0] = '1';
            nd++;
            exp10++;
        }
    }
    if (nd == 0)
        return 0.0;
    dig[nd] = '\0';
    char text[64];
    snprintf(text, sizeof(text), "%s0.%.20se%ld", neg ? "-" : "", dig, exp10);
    return strtod(text, NULL);
}

static int fn_decimal_overflow(struct sl_tfn_call *c, uint32_t r)
{
    return fn_fail(c, r, SL_EOVERFLOW, "%s overflows DECIMAL(%u, %u)", sl_fn_name(c->fn),
                   c->type.precision, c->type.scale);
}

static int fn_numeric1(struct sl_tfn_call *c)
{
    const struct sl_tfn_arg *x = &c->args[0];
    int64_t d = c->fn == SL_FN_ROUND ? ((const int32_t *)c->args[1].data)[0] : 0;
    int mode = c->fn == SL_FN_FLOOR ? -1 : c->fn == SL_FN_CEIL ? 1 : 0;
    for (uint32_t k = 0; k < c->n; k++) {
        uint32_t r = FN_ROW(c->sel, k);
        if (!sl_valid_get(c->valid, r))
            continue;
        switch (x->type.id) {
        case SL_TYPE_INT: {
            int32_t v = ((const int32_t *)x->data)[r], o = v;
            if (c->fn == SL_FN_ABS)
                o = v < 0 ? (int32_t)(0u - (uint32_t)v) : v;
            else if (c->fn == SL_FN_ROUND && d < 0)
                o = d < -38 ? 0
                            : (int32_t)(uint32_t)(uint64_t)(fn_div(v, fn_p10((unsigned)-d), 0) *
                                                            fn_p10((unsigned)-d));
            ((int32_t *)c->out)[r] = o;
            break;
        }
        case SL_TYPE_BIGINT: {
            int64_t v = ((const int64_t *)x->data)[r], o = v;
            if (c->fn == SL_FN_ABS)
                o = v < 0 ? (int64_t)(0u - (uint64_t)v) : v;
            else if (c->fn == SL_FN_ROUND && d < 0)
                o = d < -38 ? 0
                            : (int64_t)(uint64_t)(fn_div(v, fn_p10((unsigned)-d), 0) *
                                                  fn_p10((unsigned)-d));
            ((int64_t *)c->out)[r] = o;
            break;
        }
        case SL_TYPE_DOUBLE: {
            double v = ((const double *)x->data)[r], o;
            switch (c->fn) {
            case SL_FN_ABS:
                o = fabs(v);
                break;
            case SL_FN_FLOOR:
                o = floor(v);
                break;
            case SL_FN_CEIL:
                o = ceil(v);
                break;
            default:
                o = fn_round_double(v, d);
                break;
            }
            ((double *)c->out)[r] = o;
            break;
        }
        default: { /* DECIMAL: from the argument's scale to the result's */
            int64_t v = ((const int64_t *)x->data)[r];
            unsigned s = x->type.scale, ts = c->type.scale;
            __int128 o;
            if (c->fn == SL_FN_ABS) {
                o = v < 0 ? -(__int128)v : v;
            } else if (c->fn == SL_FN_ROUND && d >= (int64_t)s) {
                o = v;
            } else {
                /* to d digits (0 for FLOOR / CEIL), then to the result's scale */
                int64_t cut = (int64_t)s - (c->fn == SL_FN_ROUND ? d : 0);
                o = cut > 38 ? 0 : fn_div(v, fn_p10((unsigned)cut), mode);
                if (c->fn == SL_FN_ROUND && d < 0)
                    o = -d > 38 ? 0 : o * fn_p10((unsigned)-d);
                (void)ts;
            }
            if (o > INT64_MAX || o < INT64_MIN)
                return fn_decimal_overflow(c, r);
            if (c->type.precision <= 18) {
                __int128 lim = fn_p10(c->type.precision);
                if (o >= lim || o <= -lim)
                    return fn_decimal_overflow(c, r);
            }
            ((int64_t *)c->out)[r] = (int64_t)o;
            break;
        }
        }
    }
    return 0;
}

static int fn_math(struct sl_tfn_call *c)
{
    const double *a = c->args[0].data;
    const double *b = c->nargs > 1 ? c->args[1].data : NULL;
    double *out = c->out;
    for (uint32_t k = 0; k < c->n; k++) {
        uint32_t r = FN_ROW(c->sel, k);
        if (!sl_valid_get(c->valid, r))
            continue;
        double x = a[r], o;
        switch (c->fn) {
        case SL_FN_POWER:
            o = pow(x, b[r]);
            break;
        case SL_FN_SQRT:
            o = sqrt(x);
            break;
        case SL_FN_LN:
            o = log(x);
            break;
        case SL_FN_LOG10: /* in long double: glibc's log10 is 1 ulp off Java's (correctly
                           * rounded) Math.log10 for 1 in 40 integers (log10(113)); rounded
                           * twice, this is off for about 1 in 2500 */
            o = (double)log10l((long double)x);
            break;
        case SL_FN_LOG: /* LOG(x) is LN(x); LOG(b, x) is LN(x) / LN(b) */
            o = b ? log(b[r]) / log(x) : log(x);
            break;
        default:
            o = exp(x);
            break;
        }
        out[r] = o;
    }
    return 0;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

int sl_fn_eval(struct sl_tfn_call *c)
{
    c->err_code = 0;
    if (fn_any_cnull(c)) { /* a NULL constant argument: NULL */
        memset(c->vbuf, 0, SL_VALID_WORDS(c->rows) * sizeof(uint64_t));
        c->valid = c->vbuf;
        return 0;
    }
    c->valid = fn_valid_and(c);
    switch (c->fn) {
    case SL_FN_DATE_FORMAT:
    case SL_FN_FROM_UNIXTIME:
        if (fn_date_format_fast(c))
            return 0;
        return fn_date_format(c);
    case SL_FN_TO_TIMESTAMP:
        return fn_parse_fns(c);
    case SL_FN_UNIX_TIMESTAMP:
        if (c->nargs == 0) {
            int64_t now = fn_now_ms() / 1000;
            for (uint32_t k = 0; k < c->n; k++)
                ((int64_t *)c->out)[FN_ROW(c->sel, k)] = now;
            return 0;
        }
        return fn_parse_fns(c);
    case SL_FN_NOW: {
        int64_t now = fn_now_ms();
        for (uint32_t k = 0; k < c->n; k++)
            ((int64_t *)c->out)[FN_ROW(c->sel, k)] = now;
        return 0;
    }
    case SL_FN_EXTRACT:
        return fn_extract(c);
    case SL_FN_TS_FLOOR:
    case SL_FN_TS_CEIL:
        return fn_ts_floor(c);
    case SL_FN_TIMESTAMPADD:
        return fn_timestampadd(c);
    case SL_FN_TIMESTAMPDIFF:
        return fn_timestampdiff(c);
    case SL_FN_ABS:
    case SL_FN_ROUND:
    case SL_FN_FLOOR:
    case SL_FN_CEIL:
        return fn_numeric1(c);
    case SL_FN_RAND:
        for (uint32_t k = 0; k < c->n; k++)
            ((double *)c->out)[FN_ROW(c->sel, k)] = fn_rnd_double(&c->st->rnd);
        return 0;
    default:
        return fn_math(c);
    }
}
