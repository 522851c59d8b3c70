/*
 * kernels/window_avx512.c - AVX-512 variants of the window assignment (compiled with
 * -mavx512f and friends; reached only through the dispatch in simd.c).
 *
 * The same exact double-precision floor_mod as window_avx2.c (read its comment for the
 * bounds), eight lanes at a time, with AVX-512DQ's vcvtqq2pd / vcvtpd2qq in place of the
 * magic-number conversions and vpscatterqq for selections. hop writes each row's k pairs with
 * masked stores, eight at a time.
 */
#include <immintrin.h>

#include "kernels/window.h"

#define SL_WIN_EXACT_BITS 51

struct sl_win_avx512 {
    __m512i off;
    __m512d size, rcp;
};

static inline struct sl_win_avx512 sl_win_avx512_setup(int64_t size, int64_t offset)
{
    struct sl_win_avx512 w;
    w.off = _mm512_set1_epi64(offset);
    w.size = _mm512_set1_pd((double)size);
    w.rcp = _mm512_set1_pd(1.0 / (double)size);
    return w;
}

/* The window starts of eight timestamps; false when a lane is outside the exact range. */
static inline bool sl_win_avx512_start8(const struct sl_win_avx512 *w, __m512i t, __m512i *start)
{
    __m512i d = _mm512_sub_epi64(t, w->off);
    __m512i biased = _mm512_add_epi64(d, _mm512_set1_epi64(1ll << SL_WIN_EXACT_BITS));
    if (_mm512_test_epi64_mask(biased, _mm512_set1_epi64(-(1ll << (SL_WIN_EXACT_BITS + 1)))))
        return false;
    __m512d dd = _mm512_cvtepi64_pd(d);
    __m512d q =
        _mm512_roundscale_pd(_mm512_mul_pd(dd, w->rcp), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512d r = _mm512_fnmadd_pd(q, w->size, dd);
    r = _mm512_mask_add_pd(r, _mm512_cmp_pd_mask(r, _mm512_setzero_pd(), _CMP_LT_OQ), r, w->size);
    r = _mm512_mask_sub_pd(r, _mm512_cmp_pd_mask(r, w->size, _CMP_GE_OQ), r, w->size);
    *start = _mm512_sub_epi64(t, _mm512_cvttpd_epi64(r));
    return true;
}

static inline __m512i sl_win_avx512_load8(const int64_t *ts, const sl_sel_t *sel, uint32_t i)
{
    if (sel)
        return _mm512_i32gather_epi64(_mm256_loadu_si256((const __m256i *)(sel + i)), ts, 8);
    return _mm512_loadu_si512(ts + i);
}

static int sl_window_tumble_avx512(int64_t *out, const int64_t *ts, int64_t size, int64_t offset,
                                   const sl_sel_t *sel, uint32_t n)
{
    if (size <= 0)
        return -1;
    if (size >= (1ll << SL_WIN_EXACT_BITS))
        return sl_window_scalar.tumble(out, ts, size, offset, sel, n);
    const struct sl_win_avx512 w = sl_win_avx512_setup(size, offset);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512i s;
        if (SL_UNLIKELY(!sl_win_avx512_start8(&w, sl_win_avx512_load8(ts, sel, i), &s))) {
            for (uint32_t k = i; k < i + 8; k++) {
                uint32_t r = sel ? sel[k] : k;
                out[r] = sl_window_start(ts[r], offset, size);
            }
            continue;
        }
        if (sel)
            _mm512_i32scatter_epi64(out, _mm256_loadu_si256((const __m256i *)(sel + i)), s, 8);
        else
            _mm512_storeu_si512(out + i, s);
    }
    for (; i < n; i++) {
        uint32_t r = sel ? sel[i] : i;
        out[r] = sl_window_start(ts[r], offset, size);
    }
    return 0;
}

static int64_t sl_window_hop_avx512(uint32_t *restrict out_row, int64_t *restrict out_start,
                                    const int64_t *restrict ts, const uint64_t *restrict valid,
                                    const sl_sel_t *restrict sel, uint32_t n, int64_t size,
                                    int64_t slide, int64_t offset)
{
    if (size <= 0 || slide <= 0 || size % slide != 0)
        return -1;
    if (slide >= (1ll << SL_WIN_EXACT_BITS))
        return sl_window_scalar.hop(out_row, out_start, ts, valid, sel, n, size, slide, offset);
    const struct sl_win_avx512 w = sl_win_avx512_setup(slide, offset);
    const int64_t k = size / slide;
    /* j * slide for the eight lanes j = 0..7, and the step to the next eight */
    const __m512i jslide0 =
        _mm512_mullo_epi64(_mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), _mm512_set1_epi64(slide));
    const __m512i jstep = _mm512_set1_epi64((int64_t)((uint64_t)slide * 8u));
    int64_t c = 0;
    int64_t lanes[8];
    for (uint32_t i = 0; i < n; i += 8) {
        uint32_t m = n - i < 8 ? n - i : 8;
        __m512i s;
        if (m == 8 && sl_win_avx512_start8(&w, sl_win_avx512_load8(ts, sel, i), &s)) {
            _mm512_storeu_si512(lanes, s);
        } else {
            for (uint32_t l = 0; l < m; l++)
                lanes[l] = sl_window_start(ts[sel ? sel[i + l] : i + l], offset, slide);
        }
        for (uint32_t l = 0; l < m; l++) {
            uint32_t r = sel ? sel[i + l] : i + l;
            if (!sl_valid_get(valid, r))
                continue;
            const __m512i last = _mm512_set1_epi64(lanes[l]);
            const __m256i row = _mm256_set1_epi32((int)r);
            __m512i js = jslide0;
            for (int64_t j = 0; j < k; j += 8) {
                __mmask8 mk = k - j >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (k - j)) - 1u);
                _mm512_mask_storeu_epi64(out_start + c + j, mk, _mm512_sub_epi64(last, js));
                _mm256_mask_storeu_epi32(out_row + c + j, mk, row);
                js = _mm512_add_epi64(js, jstep);
            }
            c += k;
        }
    }
    return c;
}

const struct sl_window_kernels sl_window_avx512 = {
    .tumble = sl_window_tumble_avx512,
    .hop = sl_window_hop_avx512,
};
