/*
 * kernels/kcommon.h - what every kernel shares: selection vectors, validity bitmaps and
 * string views. Kernels include nothing but libc and intrinsics; the engine builds its data
 * model (engine/core/batch.h) on these definitions.
 *
 * Conventions of every kernel
 *   - `n` is the number of positions to process. With `sel == NULL` the positions are the
 *     rows 0 .. n-1 ("all selected", the fast path); otherwise they are sel[0 .. n-1], row
 *     indexes in increasing order.
 *   - `valid` is a validity bitmap indexed by row (not by position): bit (i & 63) of word
 *     i >> 6 is 1 when row i holds a value. `valid == NULL` means no NULLs (the fast path).
 *   - Outputs indexed by row are written for the rows named by the positions only.
 *   - No kernel allocates, does I/O, or keeps state between calls.
 *   - Every SIMD variant returns bit-for-bit what the scalar reference returns (tests
 *     compare them); where floating-point order would differ, the header says so.
 */
#ifndef SL_KERNELS_KCOMMON_H
#define SL_KERNELS_KCOMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef SL_BATCH_CAP
#define SL_BATCH_CAP 2048
#endif

typedef uint32_t sl_sel_t;

#define SL_LIKELY(x) __builtin_expect(!!(x), 1)
#define SL_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Number of 64-bit words in a validity bitmap of `rows` rows. */
#define SL_VALID_WORDS(rows) (((rows) + 63u) >> 6)

static inline bool sl_valid_get(const uint64_t *valid, uint32_t row)
{
    return valid == NULL || ((valid[row >> 6] >> (row & 63u)) & 1u);
}

static inline void sl_valid_set(uint64_t *valid, uint32_t row, bool v)
{
    uint64_t bit = (uint64_t)1 << (row & 63u);
    valid[row >> 6] = v ? (valid[row >> 6] | bit) : (valid[row >> 6] & ~bit);
}

/*
 * A string view, 16 bytes. Strings of up to 12 bytes live inline: `len`, then the bytes in
 * prefix[4] + inl[8], zero-padded (so two inline views are equal exactly when their 16 bytes
 * are). Longer strings keep their first 4 bytes in `prefix` and point at all their bytes
 * (the first 4 again) in the batch's string heap. Equality checks len + prefix as one 8-byte
 * word first and touches the heap only when they match.
 *
 *   offset  size  field
 *        0     4  len      length in bytes
 *        4     4  prefix   first 4 bytes (zero-padded when shorter)
 *        8     8  inl/ptr  bytes 4..11 inline (zero-padded), or pointer to all bytes
 */
#define SL_STR_INLINE_MAX 12u

typedef struct sl_str {
    uint32_t len;
    char prefix[4];
    union {
        char inl[8];
        const char *ptr;
    };
} sl_str;

_Static_assert(sizeof(sl_str) == 16, "sl_str is 16 bytes");

static inline const char *sl_str_data(const sl_str *s)
{
    return s->len <= SL_STR_INLINE_MAX ? s->prefix : s->ptr;
}

/*
 * Makes a view of `len` bytes at `data`. Inline strings are copied into the view; longer ones
 * are referenced: `data` must outlive the view (the batch heap owns it).
 */
static inline sl_str sl_str_make(const char *data, uint32_t len)
{
    sl_str s;
    memset(&s, 0, sizeof(s));
    s.len = len;
    if (len <= SL_STR_INLINE_MAX) {
        if (len)
            memcpy(s.prefix, data, len);
    } else {
        memcpy(s.prefix, data, 4);
        s.ptr = data;
    }
    return s;
}

static inline bool sl_str_eq(const sl_str *a, const sl_str *b)
{
    uint64_t ha, hb;
    memcpy(&ha, a, 8);
    memcpy(&hb, b, 8);
    if (ha != hb)
        return false;
    if (a->len <= SL_STR_INLINE_MAX)
        return memcmp(a->inl, b->inl, 8) == 0;
    return memcmp(a->ptr + 4, b->ptr + 4, a->len - 4) == 0;
}

#endif
