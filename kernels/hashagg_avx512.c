/*
 * kernels/hashagg_avx512.c - the AVX-512 level of the hashagg kernels: the loops of
 * hashagg_impl.h compiled with the AVX-512 flags, plus the K = 1 probe's window compare (one
 * 64-byte load of the four slots idx .. idx + 3, one masked compare of their key words with
 * the key; see kernels/hashagg.h). Bit-identical to the scalar level: the window only finds
 * the slot that the scalar loop would reach, and anything else falls back to that loop.
 */
#include <immintrin.h>

#include "kernels/kcommon.h"

/* The header of the first non-empty slot among s[0..3] holding `key`, else 0. */
static inline uint64_t sl_ha_window_avx512(const uint64_t *s, uint64_t key)
{
    const __m512i w = _mm512_loadu_si512((const void *)s);
    /* key words sit in the odd lanes */
    const __mmask8 m = _mm512_mask_cmpeq_epi64_mask(0xAA, w, _mm512_set1_epi64((long long)key));
    if (m == 0)
        return 0;
    return s[__builtin_ctz(m) - 1]; /* 0 when the slot is empty (key 0 in a zeroed slot) */
}

#define SL_HA_WINDOW(s, key) sl_ha_window_avx512((s), (key))

#include "kernels/hashagg_impl.h"

SL_HASHAGG_TABLE(sl_hashagg_avx512, sl_ha_probe);
