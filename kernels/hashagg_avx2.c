/*
 * kernels/hashagg_avx2.c - the AVX2 level of the hashagg kernels: the loops of
 * hashagg_impl.h compiled with -mavx2 -mbmi2, plus the K = 1 probe's window compare (two
 * 32-byte loads of the four slots idx .. idx + 3, their key words compared with the key; see
 * kernels/hashagg.h). Bit-identical to the scalar level: the window only finds the slot that
 * the scalar loop would reach, and anything else falls back to that loop.
 */
#include <immintrin.h>

#include "kernels/kcommon.h"

/* The header of the first non-empty slot among s[0..3] holding `key`, else 0. */
static inline uint64_t sl_ha_window_avx2(const uint64_t *s, uint64_t key)
{
    const __m256i k = _mm256_set1_epi64x((long long)key);
    const __m256i a = _mm256_cmpeq_epi64(_mm256_loadu_si256((const __m256i *)s), k);
    const __m256i b = _mm256_cmpeq_epi64(_mm256_loadu_si256((const __m256i *)(s + 4)), k);
    /* key words sit in the odd lanes */
    const unsigned m = ((unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(a)) |
                        ((unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(b)) << 4)) &
                       0xAAu;
    if (m == 0)
        return 0;
    return s[__builtin_ctz(m) - 1]; /* 0 when the slot is empty (key 0 in a zeroed slot) */
}

#define SL_HA_WINDOW(s, key) sl_ha_window_avx2((s), (key))

#include "kernels/hashagg_impl.h"

SL_HASHAGG_TABLE(sl_hashagg_avx2, sl_ha_probe);
