/*
 * io/gentext.h - the text pieces the generators write: decimal integers, SQL timestamps and
 * JSON string bodies, appended at a cursor with no printf on the hot path.
 *
 * Every function writes at `p` and returns the position after what it wrote. The caller
 * guarantees the room (each function says its maximum); nothing is NUL-terminated.
 *
 * Integers go two digits at a time through a 200-byte table. Timestamps are UTC, because
 * Flink's TIMESTAMP(3) (without time zone) holds the generator's Instant as UTC wall time,
 * and are written by engine/core/datetime.h's inline SQL formatter (the same code as
 * sl_dt_format(SL_DT_SQL), so generated text is what the JSON and CSV encoders write).
 */
#ifndef SL_IO_GENTEXT_H
#define SL_IO_GENTEXT_H

#include <emmintrin.h>
#include <stdint.h>
#include <string.h>

#include "engine/core/datetime.h"

static const char sl_gentext_digits2[201] = "00010203040506070809"
                                            "10111213141516171819"
                                            "20212223242526272829"
                                            "30313233343536373839"
                                            "40414243444546474849"
                                            "50515253545556575859"
                                            "60616263646566676869"
                                            "70717273747576777879"
                                            "80818283848586878889"
                                            "90919293949596979899";

/* Number of decimal digits of v (1..20). */
static inline unsigned sl_gentext_ndigits(uint64_t v)
{
    unsigned n = 1;
    while (v >= 10000) {
        v /= 10000;
        n += 4;
    }
    return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

/* Decimal digits of v, at most 20 bytes, written back to front in place. */
static inline char *sl_gentext_u64(char *p, uint64_t v)
{
    unsigned n = sl_gentext_ndigits(v);
    char *t = p + n;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        t -= 2;
        t[0] = sl_gentext_digits2[d];
        t[1] = sl_gentext_digits2[d + 1];
    }
    if (v >= 10) {
        t[-2] = sl_gentext_digits2[v * 2];
        t[-1] = sl_gentext_digits2[v * 2 + 1];
    } else {
        t[-1] = (char)('0' + v);
    }
    return p + n;
}

/* Decimal of a signed v (INT64_MIN included), at most 20 bytes. */
static inline char *sl_gentext_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return sl_gentext_u64(p, 0 - (uint64_t)v);
    }
    return sl_gentext_u64(p, (uint64_t)v);
}

/* Exactly two digits of v (0..99). */
static inline char *sl_gentext_2(char *p, unsigned v)
{
    p[0] = sl_gentext_digits2[v * 2];
    p[1] = sl_gentext_digits2[v * 2 + 1];
    return p + 2;
}

/* "yyyy-MM-dd HH:mm:ss.SSS" (UTC) of milliseconds since the epoch: 23 bytes for years
 * 0..9999, at most SL_DT_TEXT_MAX outside them (such times never come from the generators
 * but are written as sl_dt_format writes them). */
static inline char *sl_gentext_timestamp(char *p, int64_t ms)
{
    return sl_dt_put(p, ms, SL_DT_SQL);
}

static inline int sl_gentext_special(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

/* Bit i set when byte i of the 16 at `s` is below 0x20, '"' or '\\' (SSE2, in every x86-64). */
static inline unsigned sl_gentext_special16(const char *s)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
    __m128i q = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
    __m128i b = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_or_si128(q, b)));
}

/*
 * The body of a JSON string (no quotes) for `len` bytes of `s`: '"' and '\\' get a backslash,
 * control bytes below 0x20 become \uXXXX (or \n, \t, ...), everything else is copied. At most
 * 6 * len bytes; for the generators' alphabets (the extra padding has '\\' among its
 * characters) at most 2 * len. Clean runs are found and copied 16 bytes at a time, so the
 * function may store up to 15 bytes past the end it returns (callers' bounds include that).
 */
static inline char *sl_gentext_json_str(char *p, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    for (;;) {
        while (i + 16 <= len) {
            unsigned m = sl_gentext_special16(s + i);
            if (!m) {
                _mm_storeu_si128((__m128i *)(void *)p,
                                 _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
                p += 16;
                i += 16;
                continue;
            }
            unsigned k = (unsigned)__builtin_ctz(m);
            _mm_storeu_si128((__m128i *)(void *)p,
                             _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
            p += k;
            i += k;
            goto escape;
        }
        if (len >= 16 && i < len) {
            /* the last 16 bytes, overlapping what is done: only bytes from i on count; they
             * go out through a local copy so that nothing past s + len is read */
            unsigned off = (unsigned)(16 - (len - i));
            unsigned m = sl_gentext_special16(s + len - 16) >> off;
            char tmp[32];
            memcpy(tmp, s + len - 16, 16);
            memcpy(p, tmp + off, 16);
            if (!m) {
                p += len - i;
                return p;
            }
            unsigned k = (unsigned)__builtin_ctz(m);
            p += k;
            i += k;
            goto escape;
        }
        while (i < len && !sl_gentext_special((unsigned char)s[i]))
            *p++ = s[i++];
        if (i == len)
            return p;
    escape:;
        unsigned char c = (unsigned char)s[i++];
        *p++ = '\\';
        switch (c) {
        case '"':
            *p++ = '"';
            break;
        case '\\':
            *p++ = '\\';
            break;
        case '\n':
            *p++ = 'n';
            break;
        case '\r':
            *p++ = 'r';
            break;
        case '\t':
            *p++ = 't';
            break;
        case '\b':
            *p++ = 'b';
            break;
        case '\f':
            *p++ = 'f';
            break;
        default:
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
}

/* Appends a string literal or known bytes. */
static inline char *sl_gentext_put(char *p, const char *s, size_t len)
{
    memcpy(p, s, len);
    return p + len;
}

#define SL_GENTEXT_LIT(p, lit) sl_gentext_put((p), (lit), sizeof(lit) - 1)

#endif
