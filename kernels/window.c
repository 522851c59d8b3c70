/*
 * kernels/window.c - scalar reference of the window assignment, and the family's dispatch.
 *
 * The reference divides once per row (the % of getWindowStartWithOffset); the SIMD levels
 * replace that division by a multiplication with the reciprocal in double, exact for every
 * timestamp of the next hundred thousand years (see window_avx2.c).
 */
#include "kernels/window.h"

static int sl_window_tumble_scalar(int64_t *out, const int64_t *ts, int64_t size, int64_t offset,
                                   const sl_sel_t *sel, uint32_t n)
{
    if (size <= 0)
        return -1;
    if (!sel) {
        for (uint32_t i = 0; i < n; i++)
            out[i] = sl_window_start(ts[i], offset, size);
    } else {
        for (uint32_t i = 0; i < n; i++)
            out[sel[i]] = sl_window_start(ts[sel[i]], offset, size);
    }
    return 0;
}

static int64_t sl_window_hop_scalar(uint32_t *restrict out_row, int64_t *restrict out_start,
                                    const int64_t *restrict ts, const uint64_t *restrict valid,
                                    const sl_sel_t *restrict sel, uint32_t n, int64_t size,
                                    int64_t slide, int64_t offset)
{
    if (size <= 0 || slide <= 0 || size % slide != 0)
        return -1;
    const int64_t k = size / slide;
    int64_t c = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = sel ? sel[i] : i;
        if (!sl_valid_get(valid, r))
            continue;
        uint64_t start = (uint64_t)sl_window_start(ts[r], offset, slide);
        for (int64_t j = 0; j < k; j++) {
            out_row[c] = r;
            out_start[c] = (int64_t)start;
            start -= (uint64_t)slide;
            c++;
        }
    }
    return c;
}

const struct sl_window_kernels sl_window_scalar = {
    .tumble = sl_window_tumble_scalar,
    .hop = sl_window_hop_scalar,
};

const struct sl_window_kernels *sl_window = &sl_window_scalar;

const struct sl_window_kernels *sl_window_kernels_for(sl_simd_level level)
{
    switch (level) {
    case SL_SIMD_AVX512:
        return &sl_window_avx512;
    case SL_SIMD_AVX2:
        return &sl_window_avx2;
    default:
        return &sl_window_scalar;
    }
}

void sl_window_kernels_activate(sl_simd_level level)
{
    sl_window = sl_window_kernels_for(level);
}
