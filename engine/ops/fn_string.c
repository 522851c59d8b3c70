/*
 * engine/ops/fn_string.c - string, regular expression, hash functions and GREATEST / LEAST
 * (fn_string.h has the model and the semantics).
 *
 * Every function is one loop over the selection with the NULL check of its arguments first;
 * text is walked as UTF-8 code points only where a function counts characters (a byte that
 * starts no valid sequence is one character, as Flink's BinaryStringData counts). Results
 * of at most SL_STR_INLINE_MAX bytes are built on the stack and stored inline in the view,
 * so a short result (LOWER of a channel name) touches no arena.
 *
 * Regular expressions: PCRE2 (8-bit, UTF mode, newlines of any kind as Java's line
 * terminators, \uhhhh escapes as Java's through PCRE2_ALT_BSUX), JIT compiled when the
 * platform has it. A pattern that is not a constant goes through a cache of FS_RE_CACHE
 * compiled patterns per call site, replaced round robin. Hashes come from nettle (Debian's
 * nettle-dev): a small library of plain C functions for exactly these digests, where
 * OpenSSL's EVP interface would allocate a context per call.
 */
#include "engine/ops/fn_string.h"
#include "engine/ops/fn_json.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <locale.h>
#include <nettle/md5.h>
#include <nettle/sha2.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "engine/core/error.h"
#include "io/fmt.h"

#define SL_ROW(sel, k) ((sel) ? (sel)[k] : (k))
#define FS_RE_CACHE 8

/* ---- types --------------------------------------------------------------------------------- */

/* A compiled pattern (or one that did not compile: bad). */
struct fs_re {
    char *pat; /* its text (owned), NULL for an empty slot */
    size_t plen;
    pcre2_code *code;
    pcre2_match_data *md;
    bool bad;
};

struct sl_fn_state {
    struct fs_re cre; /* the constant pattern */
    bool have_cre;
    struct fs_re cache[FS_RE_CACHE];
    unsigned next;
    struct sl_fnjson *json; /* JSON_VALUE (fn_json.h) */
};

/* ---- helpers ------------------------------------------------------------------------------- */

static const sl_str *fs_s(const struct sl_fn_arg *a, uint32_t r)
{
    return &((const sl_str *)a->data)[r];
}

static int32_t fs_i(const struct sl_fn_arg *a, uint32_t r)
{
    return ((const int32_t *)a->data)[r];
}

static bool fs_ok(const struct sl_fn_arg *a, uint32_t na, uint32_t r)
{
    for (uint32_t i = 0; i < na; i++)
        if (a[i].cnull || !sl_valid_get(a[i].valid, r))
            return false;
    return true;
}

/* Bytes of the character at s (n > 0 bytes left). */
static inline size_t fs_cplen(const char *s, size_t n)
{
    unsigned c = (unsigned char)s[0];
    size_t l = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF8 ? 4 : 1;
    return l > n ? n : l;
}

static size_t fs_nchars(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; k++)
        i += fs_cplen(s + i, n - i);
    return k;
}

/* The byte offset k characters after off (n at most). */
static size_t fs_skip(const char *s, size_t n, size_t off, int64_t k)
{
    while (k-- > 0 && off < n)
        off += fs_cplen(s + off, n - off);
    return off;
}

/* Room for a result of len bytes: tmp when it fits inline, else the arena. */
static int fs_room(struct sl_fn_ctx *ctx, size_t len, char *tmp, char **out)
{
    if (len <= SL_STR_INLINE_MAX) {
        *out = tmp;
        return 0;
    }
    if (len > SL_FN_STR_MAX) {
        snprintf(ctx->msg, sizeof(ctx->msg), "result of %zu bytes is longer than the limit of %zu",
                 len, SL_FN_STR_MAX);
        return SL_ERANGE;
    }
    *out = ctx->alloc(ctx->ev, len);
    if (!*out) {
        snprintf(ctx->msg, sizeof(ctx->msg), "out of memory");
        return SL_ENOMEM;
    }
    return 0;
}

#define FS_TRY(x)       \
    do {                \
        int rc_ = (x);  \
        if (rc_)        \
            return rc_; \
    } while (0)

/* Text as Java decodes it: itself when valid UTF-8, else with each bad sequence U+FFFD. */
static int fs_java_text(struct sl_fn_ctx *ctx, const char *s, size_t n, const char **out,
                        size_t *olen)
{
    if (sl_fmt_utf8_valid(s, n)) {
        *out = s;
        *olen = n;
        return 0;
    }
    char *p;
    char tmp[SL_STR_INLINE_MAX];
    (void)tmp;
    FS_TRY(fs_room(ctx, 3 * n + SL_STR_INLINE_MAX + 1, tmp, &p));
    *olen = sl_fmt_utf8_lossy(p, s, n);
    *out = p;
    return 0;
}

/* ---- regular expressions ------------------------------------------------------------------- */

static void fs_re_clear(struct fs_re *re)
{
    free(re->pat);
    pcre2_match_data_free(re->md);
    pcre2_code_free(re->code);
    memset(re, 0, sizeof(*re));
}

/* Compiles pattern (n bytes) into re; a pattern that does not compile leaves re->bad. */
static int fs_re_compile(struct fs_re *re, const char *pat, size_t n)
{
    fs_re_clear(re);
    re->pat = malloc(n + 1);
    if (!re->pat)
        return SL_ENOMEM;
    memcpy(re->pat, pat, n);
    re->pat[n] = '\0';
    re->plen = n;
    const char *text = pat;
    size_t tlen = n;
    char *conv = NULL;
    if (!sl_fmt_utf8_valid(pat, n)) {
        conv = malloc(3 * n + 1);
        if (!conv)
            return SL_ENOMEM;
        tlen = sl_fmt_utf8_lossy(conv, pat, n);
        text = conv;
    }
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (!cc) {
        free(conv);
        return SL_ENOMEM;
    }
    pcre2_set_newline(cc, PCRE2_NEWLINE_ANY);
    int ecode;
    PCRE2_SIZE eoff;
    re->code = pcre2_compile((PCRE2_SPTR)text, tlen, PCRE2_UTF | PCRE2_ALT_BSUX, &ecode, &eoff, cc);
    pcre2_compile_context_free(cc);
    free(conv);
    if (!re->code) {
        re->bad = true;
        return 0;
    }
    (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE); /* the interpreter without JIT */
    re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
    if (!re->md)
        return SL_ENOMEM;
    return 0;
}

/* The compiled pattern for argument a at row r (NULL: it does not compile). */
static int fs_re_get(struct sl_fn_state *st, const struct sl_fn_arg *a, uint32_t r,
                     struct sl_fn_ctx *ctx, struct fs_re **out)
{
    if (st->have_cre) {
        *out = st->cre.bad ? NULL : &st->cre;
        return 0;
    }
    const sl_str *p = fs_s(a, r);
    const char *pd = sl_str_data(p);
    for (unsigned i = 0; i < FS_RE_CACHE; i++) {
        struct fs_re *c = &st->cache[i];
        if (c->pat && c->plen == p->len && memcmp(c->pat, pd, p->len) == 0) {
            *out = c->bad ? NULL : c;
            return 0;
        }
    }
    struct fs_re *c = &st->cache[st->next++ % FS_RE_CACHE];
    if (fs_re_compile(c, pd, p->len)) {
        fs_re_clear(c);
        snprintf(ctx->msg, sizeof(ctx->msg), "out of memory compiling a regular expression");
        return SL_ENOMEM;
    }
    *out = c->bad ? NULL : c;
    return 0;
}

/* A match of re in s[0..n) from byte `from`: > 0, or <= 0 for none (or a match error, which
 * Java would raise as an exception Flink turns into NULL). */
static int fs_re_find(struct fs_re *re, const char *s, size_t n, size_t from, uint32_t opts)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, from, opts | PCRE2_NO_UTF_CHECK, re->md, NULL);
    return rc > 0 ? rc : 0;
}

/* ---- case mapping -------------------------------------------------------------------------- */

static pthread_once_t fs_loc_once = PTHREAD_ONCE_INIT;
static locale_t fs_loc;

static void fs_loc_init(void)
{
    fs_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Decodes a valid sequence of l bytes (l > 1); 0 when it is not one. */
static uint32_t fs_decode(const char *s, size_t l)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t c;
    if (l == 2 && u[0] >= 0xC2)
        c = u[0] & 0x1Fu;
    else if (l == 3)
        c = u[0] & 0x0Fu;
    else if (l == 4)
        c = u[0] & 0x07u;
    else
        return 0;
    for (size_t i = 1; i < l; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (u[i] & 0x3Fu);
    }
    if ((l == 3 && c < 0x800) || (l == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    return c;
}

static size_t fs_encode(char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Java's one-to-many upper-case mappings that are common (SpecialCasing.txt). */
static const char *fs_upper_special(uint32_t c)
{
    switch (c) {
    case 0xDF:
        return "SS";
    case 0xFB00:
        return "FF";
    case 0xFB01:
        return "FI";
    case 0xFB02:
        return "FL";
    case 0xFB03:
        return "FFI";
    case 0xFB04:
        return "FFL";
    case 0xFB05:
    case 0xFB06:
        return "ST";
    case 0x149:
        return "\xCA\xBCN";
    default:
        return NULL;
    }
}

/* Maps s (n bytes) into o (room for n * 3 / 2 + 4): returns the length. */
static size_t fs_case(char *o, const char *s, size_t n, bool upper)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            o[k++] = (char)(upper ? (b >= 'a' && b <= 'z' ? b - 32 : b)
                                  : (b >= 'A' && b <= 'Z' ? b + 32 : b));
            i++;
            continue;
        }
        size_t l = fs_cplen(s + i, n - i);
        uint32_t c = l > 1 ? fs_decode(s + i, l) : 0;
        if (!c) { /* not valid UTF-8: the byte as it is */
            o[k++] = s[i++];
            continue;
        }
        const char *sp = upper ? fs_upper_special(c) : NULL;
        if (sp) {
            size_t sl = strlen(sp);
            memcpy(o + k, sp, sl);
            k += sl;
        } else if (!upper && c == 0x130) { /* İ -> i + combining dot above, as Java */
            memcpy(o + k, "i\xCC\x87", 3);
            k += 3;
        } else {
            pthread_once(&fs_loc_once, fs_loc_init);
            uint32_t m = c;
            if (fs_loc)
                m = (uint32_t)(upper ? towupper_l((wint_t)c, fs_loc)
                                     : towlower_l((wint_t)c, fs_loc));
            if (m == 0 || m > 0x10FFFF || (m >= 0xD800 && m <= 0xDFFF))
                m = c;
            k += fs_encode(o + k, m);
        }
        i += l;
    }
    return k;
}

/* ---- functions ----------------------------------------------------------------------------- */

static int fs_substring(uint32_t na, const struct sl_fn_arg *a, uint32_t r, sl_str *out)
{
    const sl_str *s = fs_s(&a[0], r);
    const char *d = sl_str_data(s);
    size_t n = s->len;
    int64_t pos = fs_i(&a[1], r), len = na > 2 ? fs_i(&a[2], r) : INT32_MAX;
    if (len < 0)
        return 1; /* NULL */
    size_t off;
    if (pos > 0) {
        off = 0;
        int64_t k = pos - 1;
        while (k > 0 && off < n) {
            off += fs_cplen(d + off, n - off);
            k--;
        }
        if (k > 0 || off >= n) {
            *out = sl_str_make("", 0);
            return 0;
        }
    } else if (pos < 0) {
        int64_t start = (int64_t)fs_nchars(d, n) + pos;
        if (start < 0) {
            *out = sl_str_make("", 0);
            return 0;
        }
        off = fs_skip(d, n, 0, start);
    } else {
        off = 0;
    }
    size_t end = fs_skip(d, n, off, len);
    *out = sl_str_make(d + off, (uint32_t)(end - off));
    return 0;
}

/* Whether the character c (l bytes) is one of set's. */
static bool fs_in_set(const char *c, size_t l, const char *set, size_t sn)
{
    for (size_t i = 0; i < sn;) {
        size_t m = fs_cplen(set + i, sn - i);
        if (m == l && memcmp(set + i, c, l) == 0)
            return true;
        i += m;
    }
    return false;
}

static void fs_trim(sl_fn fn, const sl_str *s, const sl_str *set, sl_str *out)
{
    const char *d = sl_str_data(s), *sd = sl_str_data(set);
    size_t n = s->len, b = 0, e = n;
    if (fn != SL_FN_TRIM_TRAILING)
        while (b < e) {
            size_t l = fs_cplen(d + b, e - b);
            if (!fs_in_set(d + b, l, sd, set->len))
                break;
            b += l;
        }
    if (fn != SL_FN_TRIM_LEADING)
        while (e > b) {
            size_t st = e - 1; /* the start of the last character */
            while (st > b && ((unsigned char)d[st] & 0xC0) == 0x80 && e - st < 4)
                st--;
            size_t l = fs_cplen(d + st, e - st);
            if (st + l != e) { /* not one character: a stray byte */
                st = e - 1;
                l = 1;
            }
            if (!fs_in_set(d + st, l, sd, set->len))
                break;
            e = st;
        }
    *out = sl_str_make(d + b, (uint32_t)(e - b));
}

/* LPAD / RPAD, as Flink's SqlFunctionUtils.lpad / rpad. 1: NULL. */
static int fs_pad(sl_fn fn, const sl_str *s, int32_t len, const sl_str *pad, struct sl_fn_ctx *ctx,
                  sl_str *out)
{
    if (len < 0 || pad->len == 0)
        return 1;
    const char *d = sl_str_data(s), *pd = sl_str_data(pad);
    size_t bc = fs_nchars(d, s->len), pc = fs_nchars(pd, pad->len);
    size_t npad = (size_t)len > bc ? (size_t)len - bc : 0;
    size_t keep = bc < (size_t)len ? bc : (size_t)len;
    size_t keepb = fs_skip(d, s->len, 0, (int64_t)keep);
    /* bytes: the pad repeated, whole copies then a prefix */
    size_t full = npad / pc, part = npad % pc;
    size_t partb = fs_skip(pd, pad->len, 0, (int64_t)part);
    size_t total = keepb + full * pad->len + partb;
    if (full && full > SL_FN_STR_MAX / pad->len)
        total = SL_FN_STR_MAX + 1;
    char tmp[SL_STR_INLINE_MAX], *p;
    FS_TRY(fs_room(ctx, total, tmp, &p));
    size_t k = 0;
    if (fn == SL_FN_RPAD) {
        memcpy(p, d, keepb);
        k = keepb;
    }
    for (size_t i = 0; i < full; i++, k += pad->len)
        memcpy(p + k, pd, pad->len);
    memcpy(p + k, pd, partb);
    k += partb;
    if (fn == SL_FN_LPAD) {
        memcpy(p + k, d, keepb);
        k += keepb;
    }
    *out = sl_str_make(p, (uint32_t)k);
    return 0;
}

/* Java's String.replace(search, repl). */
static int fs_replace(const sl_str *s, const sl_str *q, const sl_str *w, struct sl_fn_ctx *ctx,
                      sl_str *out)
{
    const char *d = sl_str_data(s), *qd = sl_str_data(q), *wd = sl_str_data(w);
    size_t n = s->len, ql = q->len, wl = w->len, cnt = 0;
    if (ql == 0) {
        cnt = fs_nchars(d, n) + 1;
    } else {
        for (const char *x = d; (x = memmem(x, n - (size_t)(x - d), qd, ql)); x += ql)
            cnt++;
        if (!cnt) {
            *out = *s;
            return 0;
        }
    }
    size_t total = n - (ql ? cnt * ql : 0);
    if (wl && cnt > (SL_FN_STR_MAX + 1 - total) / wl)
        total = SL_FN_STR_MAX + 1;
    else
        total += cnt * wl;
    char tmp[SL_STR_INLINE_MAX], *p;
    FS_TRY(fs_room(ctx, total, tmp, &p));
    size_t k = 0, i = 0;
    if (ql == 0) {
        for (;;) {
            memcpy(p + k, wd, wl);
            k += wl;
            if (i >= n)
                break;
            size_t l = fs_cplen(d + i, n - i);
            memcpy(p + k, d + i, l);
            k += l;
            i += l;
        }
    } else {
        for (const char *x; (x = memmem(d + i, n - i, qd, ql)); i = (size_t)(x - d) + ql) {
            memcpy(p + k, d + i, (size_t)(x - d) - i);
            k += (size_t)(x - d) - i;
            memcpy(p + k, wd, wl);
            k += wl;
        }
        memcpy(p + k, d + i, n - i);
        k += n - i;
    }
    *out = sl_str_make(p, (uint32_t)k);
    return 0;
}

/* Java's Character.isWhitespace of the character at s (l bytes). */
static bool fs_java_space(const char *s, size_t l)
{
    if (l == 1) {
        unsigned char c = (unsigned char)s[0];
        return (c >= 9 && c <= 13) || (c >= 0x1C && c <= 0x20);
    }
    uint32_t c = fs_decode(s, l);
    return c == 0x1680 || (c >= 0x2000 && c <= 0x2006) || (c >= 0x2008 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x205F || c == 0x3000;
}

/* SPLIT_INDEX: 1 for NULL. */
static int fs_split_index(const sl_str *s, const sl_str *sep, int32_t idx, sl_str *out)
{
    const char *d = sl_str_data(s), *sd = sl_str_data(sep);
    size_t n = s->len, sl = sep->len;
    if (idx < 0 || n == 0)
        return 1;
    size_t b = 0;
    int32_t k = 0;
    for (;;) {
        size_t e, next;
        if (sl) {
            const char *x = memmem(d + b, n - b, sd, sl);
            e = x ? (size_t)(x - d) : n;
            next = e + sl;
        } else {
            e = b;
            while (e < n && !fs_java_space(d + e, fs_cplen(d + e, n - e)))
                e += fs_cplen(d + e, n - e);
            next = e < n ? e + fs_cplen(d + e, n - e) : n;
        }
        if (k == idx) {
            *out = sl_str_make(d + b, (uint32_t)(e - b));
            return 0;
        }
        if (e >= n)
            return 1;
        k++;
        b = next;
    }
}

static int fs_regexp(struct sl_fn_state *st, sl_fn fn, uint32_t na, const struct sl_fn_arg *a,
                     uint32_t r, struct sl_fn_ctx *ctx, void *outv, bool *isnull)
{
    const sl_str *s = fs_s(&a[0], r), *pat = fs_s(&a[1], r);
    struct fs_re *re;
    if (fn == SL_FN_REGEXP && pat->len == 0) {
        ((uint8_t *)outv)[r] = 0;
        return 0;
    }
    FS_TRY(fs_re_get(st, &a[1], r, ctx, &re));
    if (!re) { /* Flink logs the bad pattern and gives NULL (REGEXP: FALSE) */
        if (fn == SL_FN_REGEXP)
            ((uint8_t *)outv)[r] = 0;
        else
            *isnull = true;
        return 0;
    }
    const char *t;
    size_t tn;
    FS_TRY(fs_java_text(ctx, sl_str_data(s), s->len, &t, &tn));
    if (fn == SL_FN_REGEXP) {
        ((uint8_t *)outv)[r] = fs_re_find(re, t, tn, 0, 0) > 0;
        return 0;
    }
    sl_str *out = outv;
    if (fn == SL_FN_REGEXP_EXTRACT) {
        int32_t g = na > 2 ? fs_i(&a[2], r) : 0;
        int rc = fs_re_find(re, t, tn, 0, 0);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
        if (rc <= 0 || g < 0 || (uint32_t)g >= pcre2_get_ovector_count(re->md) ||
            ov[2 * g] == PCRE2_UNSET) {
            *isnull = true;
            return 0;
        }
        out[r] = sl_str_make(t + ov[2 * g], (uint32_t)(ov[2 * g + 1] - ov[2 * g]));
        return 0;
    }
    /* REGEXP_REPLACE: Java's replaceAll with a quoted replacement, two passes (size, build) */
    const sl_str *w = fs_s(&a[2], r);
    const char *wd = sl_str_data(w);
    char *p = NULL, tmp[SL_STR_INLINE_MAX];
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t k = 0, from = 0, copied = 0;
        while (from <= tn) {
            if (fs_re_find(re, t, tn, from, 0) <= 0)
                break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
            size_t ms = ov[0], me = ov[1];
            if (pass) {
                memcpy(p + k, t + copied, ms - copied);
                memcpy(p + k + ms - copied, wd, w->len);
            }
            k += ms - copied + w->len;
            copied = me;
            if (k > SL_FN_STR_MAX)
                break;
            if (me == ms) { /* an empty match: step over one character */
                if (me >= tn)
                    break;
                from = me + fs_cplen(t + me, tn - me);
            } else {
                from = me;
            }
        }
        if (pass)
            memcpy(p + k, t + copied, tn - copied);
        k += tn - copied;
        if (!pass) {
            total = k;
            FS_TRY(fs_room(ctx, total, tmp, &p));
        }
    }
    out[r] = sl_str_make(p, (uint32_t)total);
    return 0;
}

static size_t fs_initcap(char *o, const char *s, size_t n)
{
    bool start = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool digit = c >= '0' && c <= '9', up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z';
        if (start) {
            if (lo)
                c = (unsigned char)(c - 32);
            start = !(digit || up || lo);
        } else if (up) {
            c = (unsigned char)(c + 32);
        } else if (!digit && !lo) {
            start = true;
        }
        o[i] = (char)c;
    }
    return n;
}

static void fs_reverse(char *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = fs_cplen(s + i, n - i);
        memcpy(o + n - i - l, s + i, l);
        i += l;
    }
}

static void fs_hex(char *o, const uint8_t *d, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        o[2 * i] = hx[d[i] >> 4];
        o[2 * i + 1] = hx[d[i] & 15];
    }
}

/* GREATEST / LEAST of arguments of one type. */
static void fs_extreme(sl_fn fn, struct sl_type type, uint32_t na, const struct sl_fn_arg *a,
                       uint32_t r, void *out)
{
    bool gt = fn == SL_FN_GREATEST;
    uint32_t best = 0;
    for (uint32_t i = 1; i < na; i++) {
        int c;
        switch (sl_type_width(type.id)) {
        case 1: {
            uint8_t x = ((const uint8_t *)a[i].data)[r], y = ((const uint8_t *)a[best].data)[r];
            c = (x > y) - (x < y);
            break;
        }
        case 4: {
            int32_t x = ((const int32_t *)a[i].data)[r], y = ((const int32_t *)a[best].data)[r];
            c = (x > y) - (x < y);
            break;
        }
        case 8:
            if (type.id == SL_TYPE_DOUBLE) {
                double x = ((const double *)a[i].data)[r], y = ((const double *)a[best].data)[r];
                c = (x > y) - (x < y);
            } else {
                int64_t x = ((const int64_t *)a[i].data)[r], y = ((const int64_t *)a[best].data)[r];
                c = (x > y) - (x < y);
            }
            break;
        default: {
            const sl_str *x = fs_s(&a[i], r), *y = fs_s(&a[best], r);
            uint32_t m = x->len < y->len ? x->len : y->len;
            c = memcmp(sl_str_data(x), sl_str_data(y), m);
            if (!c)
                c = (x->len > y->len) - (x->len < y->len);
            break;
        }
        }
        if (gt ? c > 0 : c < 0)
            best = i;
    }
    size_t w = sl_type_width(type.id);
    memcpy((char *)out + (size_t)r * w, (const char *)a[best].data + (size_t)r * w, w);
}

/* ---- API ----------------------------------------------------------------------------------- */

bool sl_fnstr_has(sl_fn fn)
{
    return (fn >= SL_FN_SUBSTRING && fn <= SL_FN_LEAST) || fn == SL_FN_JSON_VALUE;
}

int sl_fnstr_compile(sl_fn fn, uint32_t nargs, const struct sl_fn_arg *args,
                     struct sl_fn_state **out, char *msg, size_t cap)
{
    *out = NULL;
    if (fn == SL_FN_JSON_VALUE) {
        struct sl_fn_state *js = calloc(1, sizeof(*js));
        if (!js) {
            snprintf(msg, cap, "out of memory");
            return SL_ENOMEM;
        }
        int rc = sl_fnjson_compile(nargs, args, &js->json, msg, cap);
        if (rc) {
            free(js);
            return rc;
        }
        *out = js;
        return 0;
    }
    if (fn != SL_FN_REGEXP && fn != SL_FN_REGEXP_EXTRACT && fn != SL_FN_REGEXP_REPLACE)
        return 0;
    if (nargs < 2) {
        snprintf(msg, cap, "%s needs a string and a pattern", sl_fn_name(fn));
        return SL_EINVAL;
    }
    struct sl_fn_state *st = calloc(1, sizeof(*st));
    if (!st) {
        snprintf(msg, cap, "out of memory");
        return SL_ENOMEM;
    }
    if (args[1].cconst && !args[1].cnull) {
        const sl_str *p = fs_s(&args[1], 0);
        if (fs_re_compile(&st->cre, sl_str_data(p), p->len)) {
            sl_fnstr_free(st);
            snprintf(msg, cap, "out of memory compiling a regular expression");
            return SL_ENOMEM;
        }
        st->have_cre = true;
    }
    *out = st;
    return 0;
}

void sl_fnstr_free(struct sl_fn_state *st)
{
    if (!st)
        return;
    sl_fnjson_free(st->json);
    fs_re_clear(&st->cre);
    for (unsigned i = 0; i < FS_RE_CACHE; i++)
        fs_re_clear(&st->cache[i]);
    free(st);
}

int sl_fnstr_eval(struct sl_fn_state *st, sl_fn fn, struct sl_type type, uint32_t na,
                  const struct sl_fn_arg *a, const sl_sel_t *sel, uint32_t n, void *outv,
                  uint64_t *valid, struct sl_fn_ctx *ctx)
{
    if (fn == SL_FN_JSON_VALUE)
        return sl_fnjson_eval(st->json, type, na, a, sel, n, outv, valid, ctx);
    sl_str *out = outv;
    char tmp[SL_STR_INLINE_MAX], *p;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = SL_ROW(sel, k);
        bool isnull = false;
        if (fn == SL_FN_CONCAT_WS) {
            if (a[0].cnull || !sl_valid_get(a[0].valid, r)) {
                sl_valid_set(valid, r, false);
                continue;
            }
        } else if (!fs_ok(a, na, r)) {
            sl_valid_set(valid, r, false);
            continue;
        }
        switch (fn) {
        case SL_FN_SUBSTRING:
            isnull = fs_substring(na, a, r, &out[r]) != 0;
            break;
        case SL_FN_CONCAT_N:
        case SL_FN_CONCAT_WS: {
            bool ws = fn == SL_FN_CONCAT_WS;
            const sl_str *sep = ws ? fs_s(&a[0], r) : NULL;
            size_t total = 0;
            bool first = true;
            for (uint32_t i = ws; i < na; i++) {
                if (ws && (a[i].cnull || !sl_valid_get(a[i].valid, r)))
                    continue;
                total += fs_s(&a[i], r)->len + (ws && !first ? sep->len : 0);
                first = false;
            }
            FS_TRY(fs_room(ctx, total, tmp, &p));
            size_t o = 0;
            first = true;
            for (uint32_t i = ws; i < na; i++) {
                if (ws && (a[i].cnull || !sl_valid_get(a[i].valid, r)))
                    continue;
                if (ws && !first) {
                    memcpy(p + o, sl_str_data(sep), sep->len);
                    o += sep->len;
                }
                const sl_str *x = fs_s(&a[i], r);
                memcpy(p + o, sl_str_data(x), x->len);
                o += x->len;
                first = false;
            }
            out[r] = sl_str_make(p, (uint32_t)o);
            break;
        }
        case SL_FN_UPPER:
        case SL_FN_LOWER:
        case SL_FN_INITCAP: {
            const sl_str *s = fs_s(&a[0], r);
            size_t room = fn == SL_FN_INITCAP ? s->len : (size_t)s->len + s->len / 2 + 4;
            char big[SL_STR_INLINE_MAX * 2 + 4];
            if (s->len <= SL_STR_INLINE_MAX)
                p = big;
            else
                FS_TRY(fs_room(ctx, room, tmp, &p));
            size_t len = fn == SL_FN_INITCAP
                             ? fs_initcap(p, sl_str_data(s), s->len)
                             : fs_case(p, sl_str_data(s), s->len, fn == SL_FN_UPPER);
            if (p == big && len > SL_STR_INLINE_MAX) { /* grew past the inline size */
                char *q;
                FS_TRY(fs_room(ctx, len, tmp, &q));
                memcpy(q, big, len);
                p = q;
            }
            out[r] = sl_str_make(p, (uint32_t)len);
            break;
        }
        case SL_FN_TRIM_BOTH:
        case SL_FN_TRIM_LEADING:
        case SL_FN_TRIM_TRAILING:
            fs_trim(fn, fs_s(&a[0], r), fs_s(&a[1], r), &out[r]);
            break;
        case SL_FN_LPAD:
        case SL_FN_RPAD: {
            int rc = fs_pad(fn, fs_s(&a[0], r), fs_i(&a[1], r), fs_s(&a[2], r), ctx, &out[r]);
            if (rc < 0)
                return rc;
            isnull = rc == 1;
            break;
        }
        case SL_FN_CHAR_LENGTH: {
            const sl_str *s = fs_s(&a[0], r);
            ((int32_t *)outv)[r] = (int32_t)fs_nchars(sl_str_data(s), s->len);
            break;
        }
        case SL_FN_POSITION: {
            const sl_str *q = fs_s(&a[0], r), *s = fs_s(&a[1], r);
            const char *d = sl_str_data(s);
            const char *x = q->len ? memmem(d, s->len, sl_str_data(q), q->len) : d;
            ((int32_t *)outv)[r] = x ? (int32_t)fs_nchars(d, (size_t)(x - d)) + 1 : 0;
            break;
        }
        case SL_FN_REPLACE:
            FS_TRY(fs_replace(fs_s(&a[0], r), fs_s(&a[1], r), fs_s(&a[2], r), ctx, &out[r]));
            break;
        case SL_FN_SPLIT_INDEX:
            isnull = fs_split_index(fs_s(&a[0], r), fs_s(&a[1], r), fs_i(&a[2], r), &out[r]) != 0;
            break;
        case SL_FN_REGEXP:
        case SL_FN_REGEXP_EXTRACT:
        case SL_FN_REGEXP_REPLACE:
            FS_TRY(fs_regexp(st, fn, na, a, r, ctx, outv, &isnull));
            break;
        case SL_FN_REVERSE: {
            const sl_str *s = fs_s(&a[0], r);
            FS_TRY(fs_room(ctx, s->len, tmp, &p));
            fs_reverse(p, sl_str_data(s), s->len);
            out[r] = sl_str_make(p, s->len);
            break;
        }
        case SL_FN_OVERLAY: {
            /* Flink's overlay(s, r, start, len): s unchanged for a start outside it */
            const sl_str *s = fs_s(&a[0], r), *w = fs_s(&a[1], r);
            const char *d = sl_str_data(s);
            int64_t start = fs_i(&a[2], r);
            size_t nc = fs_nchars(d, s->len);
            int64_t len = na > 3 ? fs_i(&a[3], r) : (int64_t)fs_nchars(sl_str_data(w), w->len);
            if (start <= 0 || start > (int64_t)nc) {
                out[r] = *s;
                break;
            }
            size_t head = fs_skip(d, s->len, 0, start - 1), tail = s->len;
            if (start + len <= (int64_t)nc && len > 0)
                tail = fs_skip(d, s->len, head, len);
            size_t total = head + w->len + (s->len - tail);
            FS_TRY(fs_room(ctx, total, tmp, &p));
            memcpy(p, d, head);
            memcpy(p + head, sl_str_data(w), w->len);
            memcpy(p + head + w->len, d + tail, s->len - tail);
            out[r] = sl_str_make(p, (uint32_t)total);
            break;
        }
        case SL_FN_MD5:
        case SL_FN_SHA256: {
            const sl_str *s = fs_s(&a[0], r);
            const char *t;
            size_t tn;
            FS_TRY(fs_java_text(ctx, sl_str_data(s), s->len, &t, &tn));
            uint8_t dig[SHA256_DIGEST_SIZE];
            size_t dn;
            if (fn == SL_FN_MD5) {
                struct md5_ctx h;
                md5_init(&h);
                md5_update(&h, tn, (const uint8_t *)t);
                md5_digest(&h, MD5_DIGEST_SIZE, dig);
                dn = MD5_DIGEST_SIZE;
            } else {
                struct sha256_ctx h;
                sha256_init(&h);
                sha256_update(&h, tn, (const uint8_t *)t);
                sha256_digest(&h, SHA256_DIGEST_SIZE, dig);
                dn = SHA256_DIGEST_SIZE;
            }
            FS_TRY(fs_room(ctx, 2 * dn, tmp, &p));
            fs_hex(p, dig, dn);
            out[r] = sl_str_make(p, (uint32_t)(2 * dn));
            break;
        }
        case SL_FN_GREATEST:
        case SL_FN_LEAST:
            fs_extreme(fn, type, na, a, r, outv);
            break;
        default:
            snprintf(ctx->msg, sizeof(ctx->msg), "function %s is not a string function",
                     sl_fn_name(fn));
            return SL_ENOTSUP;
        }
        sl_valid_set(valid, r, !isnull);
    }
    return 0;
}
