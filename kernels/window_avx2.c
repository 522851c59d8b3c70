/*
 * kernels/window_avx2.c - AVX2 variants of the window assignment (compiled with -mavx2;
 * reached only through the dispatch in simd.c).
 *
 * The reference's cost is one 64-bit division per row (floor_mod(ts - offset, size)). Here
 * the quotient comes from double arithmetic, exactly:
 *   - d = ts - offset (wrapping, as in Java) is converted to double with the 2^52 + 2^51
 *     "magic number" (AVX2 has no vcvtqq2pd); exact when |d| < 2^51;
 *   - q = floor(d * (1 / size)): with |d / size| <= 2^51 the two roundings move the quotient
 *     by less than 1, so q is floor(d / size) or one off;
 *   - r = d - q * size in one FMA is exact (an integer below 2^53), and one correction step
 *     (r < 0: += size; r >= size: -= size) gives floor_mod; start = ts - r. (By the bounds,
 *     q can only come out one too low, when d is an exact multiple of size and the rounded
 *     reciprocal is low, as for size = 3600000; the r < 0 step is a guard that costs two
 *     instructions.)
 * |d| < 2^51 ms is about 71,000 years around the offset; a vector with a lane outside that
 * range (or a size >= 2^51) goes through the scalar reference, so results are bit-for-bit
 * the reference's for every input.
 *
 * hop computes the latest window start of four rows this way and writes the k pairs of each
 * row with scalar stores (AVX2 has no cheap masked store for a variable k).
 */
#include <immintrin.h>

#include "kernels/window.h"

#define SL_WIN_EXACT_BITS 51

struct sl_win_avx2 {
    __m256i off;
    __m256d size, rcp;
};

static inline struct sl_win_avx2 sl_win_avx2_setup(int64_t size, int64_t offset)
{
    struct sl_win_avx2 w;
    w.off = _mm256_set1_epi64x(offset);
    w.size = _mm256_set1_pd((double)size);
    w.rcp = _mm256_set1_pd(1.0 / (double)size);
    return w;
}

/* The window starts of four timestamps; false when a lane is outside the exact range. */
static inline bool sl_win_avx2_start4(const struct sl_win_avx2 *w, __m256i t, __m256i *start)
{
    const __m256d magic = _mm256_set1_pd(6755399441055744.0); /* 2^52 + 2^51 */
    const __m256d zero = _mm256_setzero_pd();
    __m256i d = _mm256_sub_epi64(t, w->off);
    __m256i biased = _mm256_add_epi64(d, _mm256_set1_epi64x(1ll << SL_WIN_EXACT_BITS));
    if (!_mm256_testz_si256(biased, _mm256_set1_epi64x(-(1ll << (SL_WIN_EXACT_BITS + 1)))))
        return false;
    __m256d dd =
        _mm256_sub_pd(_mm256_castsi256_pd(_mm256_add_epi64(d, _mm256_castpd_si256(magic))), magic);
    __m256d q = _mm256_floor_pd(_mm256_mul_pd(dd, w->rcp));
    __m256d r = _mm256_fnmadd_pd(q, w->size, dd);
    r = _mm256_add_pd(r, _mm256_and_pd(_mm256_cmp_pd(r, zero, _CMP_LT_OQ), w->size));
    r = _mm256_sub_pd(r, _mm256_and_pd(_mm256_cmp_pd(r, w->size, _CMP_GE_OQ), w->size));
    __m256i ri =
        _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(r, magic)), _mm256_castpd_si256(magic));
    *start = _mm256_sub_epi64(t, ri);
    return true;
}

static inline __m256i sl_win_avx2_load4(const int64_t *ts, const sl_sel_t *sel, uint32_t i)
{
    if (sel)
        return _mm256_i32gather_epi64((const long long *)ts,
                                      _mm_loadu_si128((const __m128i *)(sel + i)), 8);
    return _mm256_loadu_si256((const __m256i *)(ts + i));
}

/* Starts of the positions i .. i+3 into dst[0..3] (by position). */
static inline void sl_win_avx2_starts(const struct sl_win_avx2 *w, int64_t *dst, const int64_t *ts,
                                      const sl_sel_t *sel, uint32_t i, int64_t size, int64_t offset)
{
    __m256i t = sl_win_avx2_load4(ts, sel, i), s;
    if (SL_LIKELY(sl_win_avx2_start4(w, t, &s))) {
        _mm256_storeu_si256((__m256i *)dst, s);
        return;
    }
    for (uint32_t k = 0; k < 4; k++)
        dst[k] = sl_window_start(ts[sel ? sel[i + k] : i + k], offset, size);
}

static int sl_window_tumble_avx2(int64_t *out, const int64_t *ts, int64_t size, int64_t offset,
                                 const sl_sel_t *sel, uint32_t n)
{
    if (size <= 0)
        return -1;
    if (size >= (1ll << SL_WIN_EXACT_BITS))
        return sl_window_scalar.tumble(out, ts, size, offset, sel, n);
    const struct sl_win_avx2 w = sl_win_avx2_setup(size, offset);
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        if (!sel) {
            sl_win_avx2_starts(&w, out + i, ts, NULL, i, size, offset);
        } else {
            int64_t lanes[4];
            sl_win_avx2_starts(&w, lanes, ts, sel, i, size, offset);
            for (uint32_t k = 0; k < 4; k++)
                out[sel[i + k]] = lanes[k];
        }
    }
    for (; i < n; i++) {
        uint32_t r = sel ? sel[i] : i;
        out[r] = sl_window_start(ts[r], offset, size);
    }
    return 0;
}

static int64_t sl_window_hop_avx2(uint32_t *restrict out_row, int64_t *restrict out_start,
                                  const int64_t *restrict ts, const uint64_t *restrict valid,
                                  const sl_sel_t *restrict sel, uint32_t n, int64_t size,
                                  int64_t slide, int64_t offset)
{
    if (size <= 0 || slide <= 0 || size % slide != 0)
        return -1;
    if (slide >= (1ll << SL_WIN_EXACT_BITS))
        return sl_window_scalar.hop(out_row, out_start, ts, valid, sel, n, size, slide, offset);
    const struct sl_win_avx2 w = sl_win_avx2_setup(slide, offset);
    const int64_t k = size / slide;
    int64_t c = 0;
    int64_t lanes[4];
    for (uint32_t i = 0; i < n; i += 4) {
        uint32_t m = n - i < 4 ? n - i : 4;
        if (m == 4) {
            sl_win_avx2_starts(&w, lanes, ts, sel, i, slide, offset);
        } else {
            for (uint32_t l = 0; l < m; l++)
                lanes[l] = sl_window_start(ts[sel ? sel[i + l] : i + l], offset, slide);
        }
        for (uint32_t l = 0; l < m; l++) {
            uint32_t r = sel ? sel[i + l] : i + l;
            if (!sl_valid_get(valid, r))
                continue;
            uint64_t start = (uint64_t)lanes[l];
            for (int64_t j = 0; j < k; j++) {
                out_row[c + j] = r;
                out_start[c + j] = (int64_t)start;
                start -= (uint64_t)slide;
            }
            c += k;
        }
    }
    return c;
}

const struct sl_window_kernels sl_window_avx2 = {
    .tumble = sl_window_tumble_avx2,
    .hop = sl_window_hop_avx2,
};
