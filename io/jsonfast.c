/*
 * io/jsonfast.c - the JSON decoder's fast path: one pass over a record, specialised for the
 * schema, that decodes it exactly as the simdjson path would or gives up (see jsonfast.h).
 *
 * HOW IT WORKS
 * 1. UTF-8: the whole record is checked for ASCII 32/64 bytes at a time; only a record with
 *    a non-ASCII byte goes through the full validator (sl_fmt_utf8_valid). simdjson also
 *    validates the whole record, so both paths agree on what is valid.
 * 2. The walk: a recursive descent along the plan's tree. At each key, the child after the
 *    last match (the plan's hint: writers emit keys in a fixed order) is tried first as a
 *    16-byte masked compare of name + '"' (as the simdjson path does); on a miss the key is
 *    scanned and compared against every child, and a key the schema does not know has its
 *    value skipped by a strict, iterative validator (a bit stack of 60 levels). Unlike the
 *    simdjson path, ignored values are fully validated: being stricter only sends more
 *    records to the fallback, it never accepts what simdjson would reject.
 * 3. Strings: a 64-bit mask of the quotes, backslashes and control bytes of the next 64
 *    bytes (AVX-512: one compare; AVX2: two of 32; scalar: a loop), whose bits are walked
 *    until the closing quote, so an escape costs no new load. A block at the record's end
 *    is read through a masked load (AVX-512) or as the record's last 64 bytes (AVX2), never
 *    past the end. Escapes are validated in place; a string going to a column is unescaped
 *    in the same pass into a scratch buffer (runs between escapes copied with memcpy).
 * 4. Values go straight into the column: integers of up to 18 digits (longer ones through
 *    io/fmt.h), DOUBLEs through Clinger's exact fast path (at most 2^53 scaled by 10^-22 ..
 *    10^22: one correctly rounded operation) or else strtod (correctly rounded, as
 *    simdjson's parser; only for normal-range results of at most 19 significant digits,
 *    where the two provably agree), timestamps of the exact form
 *    'yyyy-MM-dd HH:mm:ss.SSS' (checked and converted with engine/core/datetime.h, the date's
 *    day number cached between records); anything else goes through the same io/fmt.h
 *    functions the simdjson path calls, so the value is the same by construction.
 * 5. Projection pushdown: a key whose plan node is skipped (json_shim.h: no column under it
 *    is needed) has its value - scalar, container or a whole ROW - passed over by the same
 *    strict validator as an unknown key's, so nothing of it is converted or copied; the
 *    columns not needed start each record as seen (plan->seen0). Strict validation accepts
 *    only valid JSON, which the simdjson path's skipping accepts as well, so the fast path
 *    still never accepts what the simdjson path would reject.
 * 6. Anything unexpected - invalid or unusual JSON, an error of any kind (a NOT NULL field
 *    missing, a bad value), a container for a VARCHAR - returns FALLBACK. The batch's string
 *    heap is rolled back first (every chunk added during the record is emptied and the
 *    chunk that was current gets its fill level back), so a fallback leaves no trace.
 *
 * Rules mirrored from io/json_shim.cc, field by field: a key seen twice overwrites (last
 * wins); a ROW key with null leaves its fields as they are (unseen fields end NULL); a
 * missing field is NULL; a number into an INT/BIGINT/DECIMAL/VARCHAR is its token's text
 * parsed as that type, into a TIMESTAMP epoch milliseconds, into a BOOLEAN an error; true /
 * false into a VARCHAR is that text.
 */
#include "io/jsonfast.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <immintrin.h>

#include "engine/core/datetime.h"
#include "io/fmt.h"

/* Deepest nesting inside an ignored value before giving up (simdjson allows 1024). */
#define JF_MAX_SKIP_DEPTH 60

/* The specials ('"', '\\', bytes below 0x20) among the 64 bytes from p, as bits (bit i:
 * p[i]); bytes at or past end give 0. [begin, end) is the record: only it is read. */
typedef uint64_t (*jf_mask_fn)(const char *begin, const char *p, const char *end);
typedef int (*jf_ascii_fn)(const char *p, size_t n);

struct sl_jsonfast {
    struct sl_json_plan *plan;
    sl_simd_level level;
    jf_mask_fn mask;
    jf_ascii_fn ascii;
    uint64_t *seen; /* columns written in this record */
    uint32_t seen_words;
    char *scratch; /* unescaped strings */
    size_t scratch_cap;
    char date_key[10]; /* the last 'yyyy-MM-dd' parsed and its day number */
    int64_t date_days;
    bool date_ok;
};

/* ---- SIMD scanning ------------------------------------------------------------------------ */

static inline bool jf_special_byte(unsigned char c)
{
    return c == '"' || c == '\\' || c < 0x20;
}

static uint64_t jf_mask_scalar(const char *begin, const char *p, const char *end)
{
    (void)begin;
    uint64_t m = 0;
    size_t n = end - p < 64 ? (size_t)(end - p) : 64;
    for (size_t i = 0; i < n; i++)
        m |= (uint64_t)jf_special_byte((unsigned char)p[i]) << i;
    return m;
}

static int jf_ascii_scalar(const char *p, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= (unsigned char)p[i];
    return (acc & 0x8080808080808080ull) == 0;
}

__attribute__((target("avx2,bmi"))) static inline uint32_t jf_special_mask32(__m256i x)
{
    __m256i q = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('"'));
    __m256i bs = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\'));
    __m256i ctl = _mm256_cmpeq_epi8(_mm256_min_epu8(x, _mm256_set1_epi8(0x1f)), x);
    return (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(q, bs), ctl));
}

__attribute__((target("avx2,bmi"))) static inline uint64_t jf_special_mask64_avx2(const char *q)
{
    uint64_t lo = jf_special_mask32(_mm256_loadu_si256((const __m256i *)(const void *)q));
    uint64_t hi = jf_special_mask32(_mm256_loadu_si256((const __m256i *)(const void *)(q + 32)));
    return lo | hi << 32;
}

__attribute__((target("avx2,bmi"))) static uint64_t jf_mask_avx2(const char *begin, const char *p,
                                                                 const char *end)
{
    if (end - p >= 64)
        return jf_special_mask64_avx2(p);
    if (end - begin >= 64) /* the record's last 64 bytes, without those before p */
        return jf_special_mask64_avx2(end - 64) >> (unsigned)(p - (end - 64));
    char tmp[64]; /* a short record: a copy, its bytes past end masked off */
    memset(tmp, 'a', sizeof(tmp));
    memcpy(tmp, p, (size_t)(end - p));
    return jf_special_mask64_avx2(tmp) & (((uint64_t)1 << (end - p)) - 1);
}

__attribute__((target("avx2"))) static int jf_ascii_avx2(const char *p, size_t n)
{
    __m256i acc = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        acc = _mm256_or_si256(acc, _mm256_loadu_si256((const __m256i *)(const void *)(p + i)));
    if (i < n && n >= 32)
        acc = _mm256_or_si256(acc, _mm256_loadu_si256((const __m256i *)(const void *)(p + n - 32)));
    else if (i < n)
        return _mm256_movemask_epi8(acc) == 0 && jf_ascii_scalar(p + i, n - i);
    return _mm256_movemask_epi8(acc) == 0;
}

#define JF_AVX512 "avx512f,avx512bw,avx512vl,avx2,bmi,bmi2"

__attribute__((target(JF_AVX512))) static inline uint64_t jf_special_mask64(__m512i x)
{
    __mmask64 q = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('"'));
    __mmask64 bs = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\\'));
    __mmask64 ctl = _mm512_cmplt_epu8_mask(x, _mm512_set1_epi8(0x20));
    return (uint64_t)(q | bs | ctl);
}

__attribute__((target(JF_AVX512))) static uint64_t jf_mask_avx512(const char *begin, const char *p,
                                                                  const char *end)
{
    (void)begin;
    if (end - p >= 64)
        return jf_special_mask64(_mm512_loadu_si512((const void *)p));
    /* a masked load reads only the bytes before end (faults are suppressed) */
    __mmask64 live = _bzhi_u64(~0ull, (unsigned)(end - p));
    return jf_special_mask64(_mm512_maskz_loadu_epi8(live, p)) & live;
}

__attribute__((target(JF_AVX512))) static int jf_ascii_avx512(const char *p, size_t n)
{
    __m512i acc = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        acc = _mm512_or_si512(acc, _mm512_loadu_si512((const void *)(p + i)));
    if (i < n)
        acc = _mm512_or_si512(acc,
                              _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, (unsigned)(n - i)), p + i));
    return _mm512_movepi8_mask(acc) == 0;
}

static sl_simd_level jf_level(sl_simd_level level)
{
    while (level > SL_SIMD_SCALAR && !sl_simd_supported(level))
        level = (sl_simd_level)(level - 1);
    return level;
}

static jf_mask_fn jf_mask_for(sl_simd_level level)
{
    return level == SL_SIMD_AVX512 ? jf_mask_avx512
           : level == SL_SIMD_AVX2 ? jf_mask_avx2
                                   : jf_mask_scalar;
}

static jf_ascii_fn jf_ascii_for(sl_simd_level level)
{
    return level == SL_SIMD_AVX512 ? jf_ascii_avx512
           : level == SL_SIMD_AVX2 ? jf_ascii_avx2
                                   : jf_ascii_scalar;
}

const char *sl_jsonfast_find_special(sl_simd_level level, const char *begin, const char *p,
                                     const char *end)
{
    jf_mask_fn mask = jf_mask_for(jf_level(level));
    for (; p < end; p += 64) {
        uint64_t m = mask(begin, p, end);
        if (m)
            return p + __builtin_ctzll(m);
    }
    return end;
}

int sl_jsonfast_is_ascii(sl_simd_level level, const char *p, size_t n)
{
    return jf_ascii_for(jf_level(level))(p, n);
}

/* ---- the decoder -------------------------------------------------------------------------- */

int sl_jsonfast_new(struct sl_json_plan *plan, sl_simd_level level, struct sl_jsonfast **out)
{
    *out = NULL;
    for (uint32_t i = 1; i < plan->nnodes; i++)
        for (uint32_t k = 0; k < plan->nodes[i].name_len; k++)
            if (jf_special_byte((unsigned char)plan->nodes[i].name[k]))
                return 0; /* a key the record would have to escape */
    struct sl_jsonfast *f = calloc(1, sizeof(*f));
    if (!f)
        return SL_ENOMEM;
    f->plan = plan;
    f->level = jf_level(level);
    f->mask = jf_mask_for(f->level);
    f->ascii = jf_ascii_for(f->level);
    f->seen_words = plan->seen_words;
    f->seen = calloc(f->seen_words, sizeof(*f->seen));
    if (!f->seen) {
        free(f);
        return SL_ENOMEM;
    }
    *out = f;
    return 0;
}

void sl_jsonfast_free(struct sl_jsonfast *f)
{
    if (!f)
        return;
    free(f->seen);
    free(f->scratch);
    free(f);
}

/* One record's walk. Every helper returns false to give up (fall back). */
struct jf_ctx {
    struct sl_jsonfast *f;
    const char *begin, *p, *end;
    struct sl_batch *b;
    uint32_t row;
    struct sl_error err; /* sink for the io/fmt.h helpers' messages (never shown) */
};

static inline void jf_ws(struct jf_ctx *x)
{
    while (x->p < x->end && (*x->p == ' ' || *x->p == '\n' || *x->p == '\r' || *x->p == '\t'))
        x->p++;
}

static inline int jf_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The code unit of "\uXXXX" at s (s[0] == 'u', 5 bytes available), or -1. */
static inline long jf_u4(const char *s)
{
    long v = 0;
    for (int k = 1; k <= 4; k++) {
        int h = jf_hex(s[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/*
 * The escape at c (c[0] == '\\', before end): returns the byte after it, or NULL when it is
 * invalid or one the fast path leaves to simdjson (a lone surrogate). With w, appends its
 * bytes (UTF-8 for \u) at *w.
 */
static inline const char *jf_escape(const char *c, const char *end, char **w)
{
    static const char simple[256] = {['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
                                     ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t'};
    if (end - c < 2)
        return NULL;
    unsigned char e = (unsigned char)c[1];
    if (simple[e]) {
        if (w)
            *(*w)++ = simple[e];
        return c + 2;
    }
    if (e != 'u' || end - c < 6)
        return NULL;
    long u = jf_u4(c + 1);
    if (u < 0 || (u >= 0xDC00 && u <= 0xDFFF))
        return NULL;                  /* not hex, or a low surrogate first */
    if (u >= 0xD800 && u <= 0xDBFF) { /* a high surrogate: its low one must follow */
        if (end - c < 12 || c[6] != '\\' || c[7] != 'u')
            return NULL;
        long lo = jf_u4(c + 7);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return NULL;
        if (w) {
            unsigned long cp =
                0x10000 + ((unsigned long)(u - 0xD800) << 10) + (unsigned long)(lo - 0xDC00);
            char *o = *w;
            o[0] = (char)(0xF0 | (cp >> 18));
            o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
            o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
            o[3] = (char)(0x80 | (cp & 0x3F));
            *w += 4;
        }
        return c + 12;
    }
    if (w) {
        char *o = *w;
        if (u < 0x80) {
            o[0] = (char)u;
            *w += 1;
        } else if (u < 0x800) {
            o[0] = (char)(0xC0 | (u >> 6));
            o[1] = (char)(0x80 | (u & 0x3F));
            *w += 2;
        } else {
            o[0] = (char)(0xE0 | (u >> 12));
            o[1] = (char)(0x80 | ((u >> 6) & 0x3F));
            o[2] = (char)(0x80 | (u & 0x3F));
            *w += 3;
        }
    }
    return c + 6;
}

/*
 * Scans a string whose opening quote is just before x->p, 64 bytes a mask: on success x->p
 * is after the closing quote and [*out, *out + *n) its contents - unescaped into the
 * scratch buffer when `unescape` and it has escapes (an unescaped string is never longer
 * than its source), else the raw bytes (*esc tells whether there were escapes).
 */
static inline bool jf_string_impl(struct jf_ctx *x, const char **out, size_t *n, bool *esc,
                                  bool unescape)
{
    const char *p = x->p, *end = x->end, *s = p, *from = p;
    char *w = NULL;
    *esc = false;
    for (;;) {
        if (p >= end)
            return false;
        uint64_t m = x->f->mask(x->begin, p, end);
        while (m) {
            const char *c = p + __builtin_ctzll(m);
            if (*c == '"') {
                x->p = c + 1;
                if (w) {
                    memcpy(w, from, (size_t)(c - from));
                    w += c - from;
                    *out = x->f->scratch;
                    *n = (size_t)(w - x->f->scratch);
                } else {
                    *out = s;
                    *n = (size_t)(c - s);
                }
                return true;
            }
            if (*c != '\\')
                return false; /* a raw control byte */
            *esc = true;
            if (unescape && !w) {
                size_t need = (size_t)(end - s);
                if (x->f->scratch_cap < need) {
                    char *nb = realloc(x->f->scratch, need);
                    if (!nb)
                        return false;
                    x->f->scratch = nb;
                    x->f->scratch_cap = need;
                }
                w = x->f->scratch;
            }
            if (w) {
                memcpy(w, from, (size_t)(c - from));
                w += c - from;
            }
            const char *after = jf_escape(c, end, w ? &w : NULL);
            if (!after)
                return false;
            from = after;
            size_t skip = (size_t)(after - p);
            if (skip >= 64) { /* the escape ran past this block */
                p = after;
                goto next_block;
            }
            m &= ~(uint64_t)0 << skip;
        }
        p += 64;
    next_block:;
    }
}

/* A key or an ignored string: validated, not unescaped. */
static inline bool jf_string(struct jf_ctx *x, const char **s, size_t *n, bool *esc)
{
    return jf_string_impl(x, s, n, esc, false);
}

/* The byte after a scalar must end it: whitespace, ',', '}' or ']' (not the record's end:
 * a scalar is always inside the object). */
static inline bool jf_scalar_end(const struct jf_ctx *x)
{
    if (x->p >= x->end)
        return false;
    char c = *x->p;
    return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* A JSON number token at x->p: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, ended as a
 * scalar. *is_int when it has neither fraction nor exponent. */
static inline bool jf_number(struct jf_ctx *x, const char **tok, size_t *n, bool *is_int)
{
    const char *p = x->p, *end = x->end;
    *tok = p;
    *is_int = true;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return false;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return false;
    }
    if (p < end && *p == '.') {
        *is_int = false;
        const char *d = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *is_int = false;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        const char *d = p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return false;
    }
    *n = (size_t)(p - *tok);
    x->p = p;
    return jf_scalar_end(x);
}

/* A literal (true, false, null) at x->p, ended as a scalar. */
static inline bool jf_literal(struct jf_ctx *x, const char *lit, size_t n)
{
    if ((size_t)(x->end - x->p) < n || memcmp(x->p, lit, n) != 0)
        return false;
    x->p += n;
    if (jf_scalar_end(x))
        return true;
    x->p -= n; /* unmoved on failure, so the caller may try another literal */
    return false;
}

/* An integer token of at most 18 digits (no sign issues, no overflow): its value. */
static inline bool jf_small_int(const char *s, size_t n, int64_t *out)
{
    bool neg = s[0] == '-';
    size_t i = neg;
    if (n - i > 18)
        return false;
    int64_t v = 0;
    for (; i < n; i++)
        v = v * 10 + (s[i] - '0');
    *out = neg ? -v : v;
    return true;
}

/*
 * Beyond Clinger's fast path: strtod, which (glibc) rounds correctly, as simdjson's parser
 * does, so both give the nearest double. Where simdjson might differ in kind - overflow to
 * infinity (an error there), results in the subnormal range or zero - it is left to simdjson.
 */
static bool jf_double_slow(const char *s, size_t n, double *out)
{
    char tmp[128];
    if (n >= sizeof(tmp))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double v = strtod(tmp, NULL);
    if (!(fabs(v) >= DBL_MIN && fabs(v) <= DBL_MAX))
        return false;
    *out = v;
    return true;
}

/* The nearest double of a number token: Clinger's exact fast path (an integer of at most
 * 2^53 times or divided by a power of ten up to 10^22, one correctly rounded operation),
 * else jf_double_slow. */
static bool jf_double(const char *s, size_t n, double *out)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    bool neg = s[0] == '-';
    i += neg;
    uint64_t w = 0;
    int digits = 0, frac = 0;
    bool lead = true; /* still in leading zeros (which do not count as digits) */
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        w = w * 10 + (uint64_t)(s[i] - '0');
        lead = lead && s[i] == '0';
        digits += !lead;
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            w = w * 10 + (uint64_t)(s[i] - '0');
            lead = lead && s[i] == '0';
            digits += !lead;
            frac++;
        }
        if (frac > 400)
            return jf_double_slow(s, n, out);
    }
    long e = 0;
    if (i < n) { /* 'e' or 'E' */
        i++;
        bool eneg = false;
        if (s[i] == '+' || s[i] == '-')
            eneg = s[i++] == '-';
        if (n - i > 3)
            return jf_double_slow(s, n, out);
        for (; i < n; i++)
            e = e * 10 + (s[i] - '0');
        if (eneg)
            e = -e;
    }
    e -= frac;
    if (w == 0 && neg)
        return false; /* -0: left to simdjson */
    /* More than 19 significant digits: simdjson 3.0.1 misreads some of these (its issue
     * #2093: "0.95000000000000000000" gives 0.0277), so both paths parse them with strtod,
     * which rounds correctly. */
    if (digits > 19)
        return jf_double_slow(s, n, out);
    if (w > (1ull << 53) || e < -22 || e > 22)
        return jf_double_slow(s, n, out);
    double v = (double)w;
    v = e < 0 ? v / p10[-e] : v * p10[e];
    *out = neg ? -v : v;
    return true;
}

static inline bool jf_d2(const char *s, unsigned *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return false;
    *v = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
    return true;
}

/* 'yyyy-MM-dd HH:mm:ss.SSS' (or with 'T'), exactly 23 bytes, valid by the rules of
 * engine/core/datetime.h; false for any other text, which then goes through sl_dt_parse
 * (the same rules, so the two paths agree: tests/engine/test_datetime.c checks it). The
 * date's day number is kept for the next record, which usually has the same date. */
static bool jf_timestamp(struct sl_jsonfast *f, const char *s, size_t n, int64_t *ms)
{
    if (n != 23 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
        s[16] != ':' || s[19] != '.')
        return false;
    unsigned hh, mm, ss, f1, f2;
    if (!jf_d2(s + 11, &hh) || !jf_d2(s + 14, &mm) || !jf_d2(s + 17, &ss) || !jf_d2(s + 20, &f1) ||
        s[22] < '0' || s[22] > '9' || hh > 23 || mm > 59 || ss > 59)
        return false;
    f2 = (unsigned)(s[22] - '0');
    if (!f->date_ok || memcmp(f->date_key, s, 10) != 0) {
        unsigned y1, y2, mon, day;
        if (!jf_d2(s, &y1) || !jf_d2(s + 2, &y2) || !jf_d2(s + 5, &mon) || !jf_d2(s + 8, &day))
            return false;
        int64_t y = y1 * 100 + y2;
        if (!sl_dt_date_valid(y, mon, day))
            return false;
        memcpy(f->date_key, s, 10);
        f->date_days = sl_dt_days_from_civil(y, mon, day);
        f->date_ok = true;
    }
    *ms =
        f->date_days * SL_DT_MS_PER_DAY + (((int64_t)hh * 60 + mm) * 60 + ss) * 1000 + f1 * 10 + f2;
    return true;
}

static inline void jf_present(struct sl_column *c, uint32_t row)
{
    if (c->valid)
        sl_col_set_null(c, row, false);
}

/* A leaf value at x->p into column col. */
static bool jf_leaf(struct jf_ctx *x, int32_t col)
{
    struct sl_batch *b = x->b;
    struct sl_column *c = &b->cols[col];
    uint32_t row = x->row;
    x->f->seen[col >> 6] |= (uint64_t)1 << (col & 63);
    if (x->p >= x->end)
        return false;
    char ch = *x->p;
    if (ch == '"') {
        const char *s;
        size_t n;
        bool esc;
        x->p++;
        if (!jf_string_impl(x, &s, &n, &esc, true))
            return false;
        if (sl_type_is_string(c->type)) /* BYTES: base64, through store_text */
            return sl_fmt_store_varchar(b, (uint32_t)col, row, s, n, &x->err) == 0;
        if (c->type.id == SL_TYPE_TIMESTAMP && jf_timestamp(x->f, s, n, &sl_col_i64(c)[row])) {
            jf_present(c, row);
            return true;
        }
        return sl_fmt_store_text(b, (uint32_t)col, row, s, n, &x->err) == 0;
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        const char *tok;
        size_t n;
        bool is_int;
        if (!jf_number(x, &tok, &n, &is_int))
            return false;
        int64_t v;
        switch (c->type.id) {
        case SL_TYPE_DOUBLE:
            if (!jf_double(tok, n, &sl_col_f64(c)[row]))
                return false;
            break;
        case SL_TYPE_TIMESTAMP: {
            const char *why;
            if (!is_int || (!jf_small_int(tok, n, &sl_col_i64(c)[row]) &&
                            sl_fmt_parse_i64(tok, n, &sl_col_i64(c)[row], &why) != 0))
                return false;
            if (sl_col_i64(c)[row] < SL_DT_MIN_MS || sl_col_i64(c)[row] > SL_DT_MAX_MS)
                return false; /* the slow path names the error */
            break;
        }
        case SL_TYPE_BIGINT:
            if (!is_int || !jf_small_int(tok, n, &sl_col_i64(c)[row]))
                return sl_fmt_store_text(b, (uint32_t)col, row, tok, n, &x->err) == 0;
            break;
        case SL_TYPE_INT:
            if (!is_int || !jf_small_int(tok, n, &v) || v < INT32_MIN || v > INT32_MAX)
                return sl_fmt_store_text(b, (uint32_t)col, row, tok, n, &x->err) == 0;
            sl_col_i32(c)[row] = (int32_t)v;
            break;
        case SL_TYPE_DECIMAL:
        case SL_TYPE_VARCHAR:
            return sl_fmt_store_text(b, (uint32_t)col, row, tok, n, &x->err) == 0;
        default:
            return false; /* BOOLEAN: an error */
        }
        jf_present(c, row);
        return true;
    }
    if (ch == 't' || ch == 'f') {
        bool t = ch == 't';
        if (!(t ? jf_literal(x, "true", 4) : jf_literal(x, "false", 5)))
            return false;
        if (c->type.id == SL_TYPE_BOOLEAN) {
            sl_col_bool(c)[row] = t;
            jf_present(c, row);
            return true;
        }
        if (c->type.id == SL_TYPE_VARCHAR)
            return sl_fmt_store_text(b, (uint32_t)col, row, t ? "true" : "false", t ? 4 : 5,
                                     &x->err) == 0;
        return false;
    }
    if (ch == 'n')
        return jf_literal(x, "null", 4) && sl_fmt_store_null(b, (uint32_t)col, row, &x->err) == 0;
    return false; /* an object or array (only a VARCHAR takes it: left to simdjson) */
}

/* Skips a key string and its ':' (x->p at the opening quote). */
static inline bool jf_key_colon(struct jf_ctx *x)
{
    const char *s;
    size_t n;
    bool esc;
    if (x->p >= x->end || *x->p != '"')
        return false;
    x->p++;
    if (!jf_string(x, &s, &n, &esc))
        return false;
    jf_ws(x);
    if (x->p >= x->end || *x->p != ':')
        return false;
    x->p++;
    return true;
}

/* Skips any value at x->p, validating it strictly. */
static bool jf_skip(struct jf_ctx *x)
{
    uint64_t arrays = 0; /* bit d: the container at depth d + 1 is an array */
    int depth = 0;
    for (;;) {
        /* a value */
        jf_ws(x);
        if (x->p >= x->end)
            return false;
        char c = *x->p;
        if (c == '{' || c == '[') {
            x->p++;
            jf_ws(x);
            if (x->p < x->end && *x->p == (c == '{' ? '}' : ']')) {
                x->p++;
            } else {
                if (depth == JF_MAX_SKIP_DEPTH)
                    return false;
                arrays = c == '[' ? arrays | (1ull << depth) : arrays & ~(1ull << depth);
                depth++;
                if (c == '{' && !jf_key_colon(x))
                    return false;
                continue;
            }
        } else if (c == '"') {
            const char *s;
            size_t n;
            bool esc;
            x->p++;
            if (!jf_string(x, &s, &n, &esc))
                return false;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            const char *tok;
            size_t n;
            bool is_int;
            if (!jf_number(x, &tok, &n, &is_int))
                return false;
        } else if (!jf_literal(x, "true", 4) && !jf_literal(x, "false", 5) &&
                   !jf_literal(x, "null", 4)) {
            return false;
        }
        /* after a value: close containers or go on to the next element */
        for (;;) {
            if (depth == 0)
                return true;
            jf_ws(x);
            if (x->p >= x->end)
                return false;
            bool arr = (arrays >> (depth - 1)) & 1;
            c = *x->p++;
            if (c == ',') {
                if (!arr) {
                    jf_ws(x);
                    if (!jf_key_colon(x))
                        return false;
                }
                break;
            }
            if (c != (arr ? ']' : '}'))
                return false;
            depth--;
        }
    }
}

/* A skipped field's value (projection pushdown): a string - the common case - straight
 * through the string scanner, anything else through jf_skip; both validate strictly. */
static inline bool jf_skip_value(struct jf_ctx *x)
{
    if (x->p < x->end && *x->p == '"') {
        const char *s;
        size_t n;
        bool esc;
        x->p++;
        return jf_string(x, &s, &n, &esc);
    }
    return jf_skip(x);
}

/* Whether the key at k (after its opening quote) is node nd's name followed by '"'. */
static inline bool jf_key_is(const struct jf_ctx *x, const char *k, const struct sl_json_node *nd)
{
    if (nd->name_len < 16 && x->end - k >= 16) {
        uint64_t w[2];
        memcpy(w, k, 16);
        return ((w[0] ^ nd->pat[0]) & nd->mask[0]) == 0 && ((w[1] ^ nd->pat[1]) & nd->mask[1]) == 0;
    }
    return (size_t)(x->end - k) > nd->name_len && memcmp(k, nd->name, nd->name_len) == 0 &&
           k[nd->name_len] == '"';
}

/* The members of an object whose '{' is just before x->p, along plan node `node`. */
static bool jf_object(struct jf_ctx *x, struct sl_json_node *node)
{
    struct sl_json_plan *plan = x->f->plan;
    struct sl_json_node *kids = plan->nodes + node->child0;
    jf_ws(x);
    if (x->p < x->end && *x->p == '}') {
        x->p++;
        return true;
    }
    for (;;) {
        if (x->p >= x->end || *x->p != '"')
            return false;
        const char *k = ++x->p;
        int32_t hit = -1;
        uint32_t h = node->hint < node->nchild ? node->hint : 0;
        if (node->nchild && jf_key_is(x, k, &kids[h])) {
            hit = (int32_t)h;
            x->p = k + kids[h].name_len + 1;
        } else {
            const char *s;
            size_t n;
            bool esc;
            if (!jf_string(x, &s, &n, &esc) || esc)
                return false; /* an escaped key: simdjson unescapes it */
            for (uint32_t i = 0; i < node->nchild; i++)
                if (kids[i].name_len == n && memcmp(kids[i].name, s, n) == 0) {
                    hit = (int32_t)i;
                    break;
                }
        }
        jf_ws(x);
        if (x->p >= x->end || *x->p != ':')
            return false;
        x->p++;
        jf_ws(x);
        if (hit < 0) {
            if (!jf_skip(x))
                return false;
        } else {
            node->hint = (uint32_t)hit + 1;
            struct sl_json_node *child = &kids[hit];
            if (child->skip) { /* projection pushdown: validated, not decoded */
                if (!jf_skip_value(x))
                    return false;
            } else if (child->col >= 0) {
                if (!jf_leaf(x, child->col))
                    return false;
            } else if (x->p < x->end && *x->p == '{') {
                x->p++;
                if (!jf_object(x, child))
                    return false;
            } else if (!jf_literal(x, "null", 4)) {
                return false; /* a ROW needs an object or null */
            }
        }
        jf_ws(x);
        if (x->p >= x->end)
            return false;
        char c = *x->p++;
        if (c == '}')
            return true;
        if (c != ',')
            return false;
        jf_ws(x);
    }
}

/* Empties what the string heap gained since (head, used) were taken. */
static void jf_heap_rollback(struct sl_batch *b, struct sl_strchunk *head, size_t used)
{
    for (struct sl_strchunk *c = b->strheap; c && c != head; c = c->next)
        c->used = 0;
    if (head)
        head->used = used;
}

int sl_jsonfast_row(struct sl_jsonfast *f, const char *data, size_t len, struct sl_batch *b,
                    uint32_t row)
{
    if (!f->ascii(data, len) && !sl_fmt_utf8_valid(data, len))
        return SL_JSONFAST_FALLBACK;
    struct sl_strchunk *head = b->strheap;
    size_t used = head ? head->used : 0;
    struct jf_ctx x;
    x.f = f;
    x.begin = x.p = data;
    x.end = data + len;
    x.b = b;
    x.row = row;
    memcpy(f->seen, f->plan->seen0, f->seen_words * sizeof(*f->seen));
    jf_ws(&x);
    bool ok = x.p < x.end && *x.p == '{';
    if (ok) {
        x.p++;
        ok = jf_object(&x, f->plan->nodes);
    }
    if (ok) {
        jf_ws(&x);
        ok = x.p == x.end;
    }
    /* fields the record did not have are NULL (a NOT NULL one: simdjson reports it) */
    for (uint32_t c = 0; ok && c < f->plan->ncols; c++) {
        if (!((f->seen[c >> 6] >> (c & 63)) & 1)) {
            struct sl_column *col = &b->cols[c];
            if (col->valid)
                col->valid[row >> 6] &= ~((uint64_t)1 << (row & 63));
            else
                ok = false;
        }
    }
    if (ok)
        return 0;
    jf_heap_rollback(b, head, used);
    return SL_JSONFAST_FALLBACK;
}
