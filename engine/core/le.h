/*
 * engine/core/le.h - the little-endian codec every on-disk and in-state integer goes through
 * (checkpoint state, snapshot files, hash aggregation's bulk columns).
 *
 * Every byte layout sluice writes is little-endian, whatever the machine: the state of one
 * process must restore in another. On a little-endian machine (every x86-64) the loads and
 * stores are single unaligned moves; elsewhere they are byte loops with the same result.
 */
#ifndef SL_ENGINE_CORE_LE_H
#define SL_ENGINE_CORE_LE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SL_LE_NATIVE 1
#else
#define SL_LE_NATIVE 0
#endif

static inline void sl_le_put32(void *dst, uint32_t v)
{
#if SL_LE_NATIVE
    memcpy(dst, &v, 4);
#else
    unsigned char *p = dst;
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
#endif
}

static inline void sl_le_put64(void *dst, uint64_t v)
{
#if SL_LE_NATIVE
    memcpy(dst, &v, 8);
#else
    unsigned char *p = dst;
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
#endif
}

static inline uint32_t sl_le_get32(const void *src)
{
#if SL_LE_NATIVE
    uint32_t v;
    memcpy(&v, src, 4);
    return v;
#else
    const unsigned char *p = src;
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
#endif
}

static inline uint64_t sl_le_get64(const void *src)
{
#if SL_LE_NATIVE
    uint64_t v;
    memcpy(&v, src, 8);
    return v;
#else
    const unsigned char *p = src;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
#endif
}

/* n 64-bit words to dst (8 n bytes): one copy on a little-endian machine. */
static inline void sl_le_put64_array(void *dst, const uint64_t *w, size_t n)
{
#if SL_LE_NATIVE
    memcpy(dst, w, n * 8);
#else
    for (size_t i = 0; i < n; i++)
        sl_le_put64((unsigned char *)dst + 8 * i, w[i]);
#endif
}

static inline void sl_le_get64_array(uint64_t *w, const void *src, size_t n)
{
#if SL_LE_NATIVE
    memcpy(w, src, n * 8);
#else
    for (size_t i = 0; i < n; i++)
        w[i] = sl_le_get64((const unsigned char *)src + 8 * i);
#endif
}

#endif
