/*
 * kernels/gather.c - scalar reference of the gathers, and the family's dispatch.
 *
 * Plain loops: one load and one store per value. No `restrict` on src and dst because the
 * in-place compact (dst == src) is allowed; reading src[sel[j]] before writing dst[j] with
 * sel[j] >= j keeps it correct. The bitmap gather builds each 64-bit output word in a register
 * and stores it once, after its 64 positions (whose source bits are in that word or later ones)
 * have been read. The SIMD variants hand their tails to these functions.
 */
#include "kernels/gather.h"

static void sl_gather_g32_scalar(const void *src, const sl_sel_t *restrict sel, uint32_t n,
                                 void *dst)
{
    const uint32_t *s = src;
    uint32_t *d = dst;
    for (uint32_t j = 0; j < n; j++)
        d[j] = s[sel[j]];
}

static void sl_gather_g64_scalar(const void *src, const sl_sel_t *restrict sel, uint32_t n,
                                 void *dst)
{
    const uint64_t *s = src;
    uint64_t *d = dst;
    for (uint32_t j = 0; j < n; j++)
        d[j] = s[sel[j]];
}

static void sl_gather_g128_scalar(const void *src, const sl_sel_t *restrict sel, uint32_t n,
                                  void *dst)
{
    const uint64_t *s = src;
    uint64_t *d = dst;
    for (uint32_t j = 0; j < n; j++) {
        uint64_t lo = s[2 * (size_t)sel[j]], hi = s[2 * (size_t)sel[j] + 1];
        d[2 * (size_t)j] = lo;
        d[2 * (size_t)j + 1] = hi;
    }
}

static void sl_gather_valid_scalar(const uint64_t *src, const sl_sel_t *restrict sel, uint32_t n,
                                   uint64_t *dst)
{
    for (uint32_t w = 0; w < SL_VALID_WORDS(n); w++) {
        uint32_t end = (w + 1) * 64u < n ? (w + 1) * 64u : n;
        uint64_t bits = 0;
        for (uint32_t j = w * 64u; j < end; j++) {
            uint32_t r = sel[j];
            bits |= ((src[r >> 6] >> (r & 63u)) & 1u) << (j & 63u);
        }
        dst[w] = bits;
    }
}

const struct sl_gather_kernels sl_gather_scalar = {
    .g32 = sl_gather_g32_scalar,
    .g64 = sl_gather_g64_scalar,
    .g128 = sl_gather_g128_scalar,
    .valid = sl_gather_valid_scalar,
};

const struct sl_gather_kernels *sl_gather = &sl_gather_scalar;

const struct sl_gather_kernels *sl_gather_kernels_for(sl_simd_level level)
{
    switch (level) {
    case SL_SIMD_AVX512:
        return &sl_gather_avx512;
    case SL_SIMD_AVX2:
        return &sl_gather_avx2;
    default:
        return &sl_gather_scalar;
    }
}

void sl_gather_kernels_activate(sl_simd_level level)
{
    sl_gather = sl_gather_kernels_for(level);
}
