/*
 * engine/ops/fn_json.c - JSON_VALUE (see fn_json.h): the path walk is io/jsonpath.cc's; this
 * file applies the ON EMPTY / ON ERROR behaviours and converts the value to the result type.
 */
#include "engine/ops/fn_json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/core/error.h"
#include "io/fmt.h"
#include "io/jsonpath.h"

#define FJ_ROW(sel, k) ((sel) ? (sel)[k] : (k))

struct sl_fnjson {
    struct sl_jpath *path;
    struct sl_jdoc *doc;
};

int sl_fnjson_compile(uint32_t nargs, const struct sl_fn_arg *a, struct sl_fnjson **out, char *msg,
                      size_t cap)
{
    *out = NULL;
    if (nargs != 6 || !a[1].cconst || !a[2].cconst || !a[4].cconst) {
        snprintf(msg, cap, "JSON_VALUE needs a json text, a constant path and its behaviours");
        return SL_EINVAL;
    }
    struct sl_fnjson *st = calloc(1, sizeof(*st));
    if (!st || !(st->doc = sl_jdoc_new())) {
        sl_fnjson_free(st);
        snprintf(msg, cap, "out of memory");
        return SL_ENOMEM;
    }
    if (!a[1].cnull) {
        const sl_str *p = &((const sl_str *)a[1].data)[0];
        char m[160];
        int rc = sl_jpath_compile(sl_str_data(p), p->len, &st->path, m, sizeof(m));
        if (rc == SL_ENOMEM) {
            sl_fnjson_free(st);
            snprintf(msg, cap, "%s", m);
            return rc;
        }
    }
    *out = st;
    return 0;
}

void sl_fnjson_free(struct sl_fnjson *st)
{
    if (!st)
        return;
    sl_jpath_free(st->path);
    sl_jdoc_free(st->doc);
    free(st);
}

/* Whether s[0..n) is a decimal number as BigDecimal(String) reads it: [+-]digits[.digits]
 * [e[+-]digits], at least one digit. */
static bool fj_decimal(const char *s, size_t n, bool *integral)
{
    size_t i = 0, dg = 0;
    *integral = true;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        dg++;
    if (i < n && s[i] == '.') {
        *integral = false;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            dg++;
    }
    if (!dg)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        *integral = false;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t ed = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            ed++;
        if (!ed)
            return false;
    }
    return i == n;
}

/* Converts a scalar to the result type at out[r]. Returns 0, 1 when it does not convert
 * (why filled), or a negative code. */
static int fj_convert(const struct sl_jv *v, struct sl_type type, void *outv, uint32_t r,
                      struct sl_fn_ctx *ctx, const char **why)
{
    char num[48], tmp[SL_STR_INLINE_MAX];
    const char *s = v->s;
    size_t n = v->len;
    switch (type.id) {
    case SL_TYPE_VARCHAR: {
        if (v->kind == SL_JV_INT)
            n = (size_t)snprintf(num, sizeof(num), "%lld", (long long)v->i);
        else if (v->kind == SL_JV_UINT)
            n = (size_t)snprintf(num, sizeof(num), "%llu", (unsigned long long)v->u);
        else if (v->kind == SL_JV_DOUBLE)
            n = sl_fmt_java_double(num, v->d);
        else if (v->kind == SL_JV_BOOL)
            n = (size_t)snprintf(num, sizeof(num), "%s", v->b ? "true" : "false");
        if (v->kind != SL_JV_STRING)
            s = num;
        if (n > SL_FN_STR_MAX) {
            snprintf(ctx->msg, sizeof(ctx->msg), "JSON_VALUE result of %zu bytes is too long", n);
            return SL_ERANGE;
        }
        char *p = tmp;
        if (n > SL_STR_INLINE_MAX && !(p = ctx->alloc(ctx->ev, n))) {
            snprintf(ctx->msg, sizeof(ctx->msg), "out of memory");
            return SL_ENOMEM;
        }
        if (n)
            memcpy(p, s, n);
        ((sl_str *)outv)[r] = sl_str_make(p, (uint32_t)n);
        return 0;
    }
    case SL_TYPE_INT:
    case SL_TYPE_BIGINT: {
        bool big = type.id == SL_TYPE_BIGINT;
        int64_t x;
        double lo = big ? -9223372036854775808.0 : -2147483648.0;
        double hi = big ? 9223372036854775808.0 : 2147483648.0;
        if (v->kind == SL_JV_INT) {
            x = v->i;
        } else if (v->kind == SL_JV_DOUBLE && v->d > lo - 1 && v->d < hi) {
            x = (int64_t)v->d;
        } else if (v->kind == SL_JV_STRING) {
            bool integral;
            if (!fj_decimal(s, n, &integral) || n >= sizeof(num)) {
                *why = "the value is not a number";
                return 1;
            }
            memcpy(num, s, n);
            num[n] = '\0';
            errno = 0;
            if (integral) {
                x = strtoll(num, NULL, 10);
            } else {
                double d = strtod(num, NULL);
                if (!(d > lo - 1 && d < hi)) {
                    *why = "the value is out of range";
                    return 1;
                }
                x = (int64_t)d;
            }
            if (errno == ERANGE) {
                *why = "the value is out of range";
                return 1;
            }
        } else {
            *why =
                v->kind == SL_JV_BOOL ? "a boolean is not a number" : "the value is out of range";
            return 1;
        }
        if (!big && (x < INT32_MIN || x > INT32_MAX)) {
            *why = "the value is out of range";
            return 1;
        }
        if (big)
            ((int64_t *)outv)[r] = x;
        else
            ((int32_t *)outv)[r] = (int32_t)x;
        return 0;
    }
    case SL_TYPE_DOUBLE: {
        double d;
        bool integral;
        if (v->kind == SL_JV_INT)
            d = (double)v->i;
        else if (v->kind == SL_JV_UINT)
            d = (double)v->u;
        else if (v->kind == SL_JV_DOUBLE)
            d = v->d;
        else if (v->kind == SL_JV_STRING && n < sizeof(num) && fj_decimal(s, n, &integral)) {
            memcpy(num, s, n);
            num[n] = '\0';
            d = strtod(num, NULL);
            if (isinf(d)) {
                *why = "the value is out of range";
                return 1;
            }
        } else {
            *why = "the value is not a number";
            return 1;
        }
        ((double *)outv)[r] = d;
        return 0;
    }
    case SL_TYPE_BOOLEAN: {
        bool b;
        if (v->kind == SL_JV_BOOL) {
            b = v->b;
        } else if ((v->kind == SL_JV_INT && (v->i == 0 || v->i == 1))) {
            b = v->i == 1;
        } else if (v->kind == SL_JV_STRING) {
            while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
                s++;
                n--;
            }
            while (n &&
                   (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
                n--;
            static const char *const t[] = {"true", "t", "yes", "1", "false", "f", "no", "0"};
            int k = -1;
            for (int i = 0; i < 8; i++)
                if (strlen(t[i]) == n && strncasecmp(s, t[i], n) == 0)
                    k = i;
            if (k < 0) {
                *why = "the value is not a boolean";
                return 1;
            }
            b = k < 4;
        } else {
            *why = "the value is not a boolean";
            return 1;
        }
        ((bool *)outv)[r] = b;
        return 0;
    }
    default:
        snprintf(ctx->msg, sizeof(ctx->msg), "JSON_VALUE cannot return this type");
        return SL_ENOTSUP;
    }
}

/* The JSON text for an error message: up to 60 bytes, control bytes as '?'. */
static void fj_quote(char *buf, size_t cap, const sl_str *s)
{
    size_t n = s->len < 60 ? s->len : 60, k = 0;
    const char *d = sl_str_data(s);
    for (size_t i = 0; i < n && k + 4 < cap; i++)
        buf[k++] = (unsigned char)d[i] < 0x20 ? '?' : d[i];
    if (s->len > n && k + 4 < cap) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
}

int sl_fnjson_eval(struct sl_fnjson *st, struct sl_type type, uint32_t na,
                   const struct sl_fn_arg *a, const sl_sel_t *sel, uint32_t n, void *outv,
                   uint64_t *valid, struct sl_fn_ctx *ctx)
{
    (void)na;
    int empty = (int)((const int32_t *)a[2].data)[0], error = (int)((const int32_t *)a[4].data)[0];
    size_t w = sl_type_width(type.id);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = FJ_ROW(sel, k);
        if (a[0].cnull || a[1].cnull || !sl_valid_get(a[0].valid, r) || !st->path) {
            sl_valid_set(valid, r, false);
            continue;
        }
        const sl_str *js = &((const sl_str *)a[0].data)[r];
        struct sl_jv v;
        int rc = sl_jpath_eval(st->doc, st->path, sl_str_data(js), js->len, &v);
        if (rc) {
            snprintf(ctx->msg, sizeof(ctx->msg), "out of memory parsing JSON");
            return rc;
        }
        const char *why = NULL;
        if (v.kind != SL_JV_EMPTY && v.kind != SL_JV_ERROR) {
            rc = fj_convert(&v, type, outv, r, ctx, &why);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                sl_valid_set(valid, r, true);
                continue;
            }
        }
        int beh = v.kind == SL_JV_EMPTY ? empty : error;
        const struct sl_fn_arg *def = v.kind == SL_JV_EMPTY ? &a[3] : &a[5];
        if (beh == SL_JSON_ERROR) {
            char q[80];
            fj_quote(q, sizeof(q), js);
            if (v.kind == SL_JV_EMPTY)
                snprintf(ctx->msg, sizeof(ctx->msg),
                         "Empty result of JSON_VALUE function is not allowed (at the value %s)", q);
            else
                snprintf(ctx->msg, sizeof(ctx->msg), "JSON_VALUE: %.*s (at the value %s)",
                         why ? 40 : (int)(v.len > 90 ? 90 : v.len), why ? why : v.s, q);
            return SL_EINVAL;
        }
        bool ok =
            beh == SL_JSON_DEFAULT && !def->cnull && (def->cconst || sl_valid_get(def->valid, r));
        if (ok)
            memcpy((char *)outv + (size_t)r * w,
                   (const char *)def->data + (size_t)(def->cconst ? 0 : r) * w, w);
        sl_valid_set(valid, r, ok);
    }
    return 0;
}
