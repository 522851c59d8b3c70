/*
 * kernels/window.h - event-time window assignment on TIMESTAMP(3) (int64 milliseconds), with
 * Flink's semantics.
 *
 * Tumbling: the window of ts starts at ts - floor_mod(ts - offset, size) (Flink's
 * TimeWindow.getWindowStartWithOffset), correct for negative timestamps and offsets; the
 * window is [start, start + size). The arithmetic is Java's long arithmetic: ts - offset
 * wraps, so even timestamps within `size` of INT64_MIN / INT64_MAX give what Flink gives.
 *
 * Hopping (HOP(size, slide)): every window [start, start + size) that contains ts, with the
 * window starts on the grid offset + j * slide. Flink's HOP window TVF (SliceAssigners
 * .hopping) requires size > 0, slide > 0 and size an integral multiple of slide; so does
 * this kernel. Each timestamp then lies in exactly k = size / slide windows, whose starts
 * are last, last - slide, ..., last - (k-1) * slide with last = the tumbling start of ts for
 * (slide, offset); this closed form is what Flink's assigner loop
 * (start = last; start > ts - size; start -= slide) produces, without the loop's wrap-around
 * at the extremes of the long range.
 *
 * Output order of hop: pairs (row, start) in the order of the positions (rows increasing),
 * and for each row its k windows in decreasing start (the latest window first), the order in
 * which Flink's assigner emits them. NULL timestamps (valid bit 0) get no window.
 *
 * Every SIMD variant returns bit-for-bit what the scalar reference returns.
 */
#ifndef SL_KERNELS_WINDOW_H
#define SL_KERNELS_WINDOW_H

#include "kernels/kcommon.h"
#include "kernels/simd.h"

struct sl_window_kernels {
    /* out[r] = the start of the tumbling window of ts[r] for every selected row r (NULL rows
     * included: their output is meaningless but harmless). Returns 0, or -1 when size <= 0
     * (nothing written). `out` may be `ts`. */
    int (*tumble)(int64_t *out, const int64_t *ts, int64_t size, int64_t offset,
                  const sl_sel_t *sel, uint32_t n);
    /* The hopping windows of the selected valid rows into out_row[] / out_start[], which the
     * caller sizes for n * (size / slide) pairs. Returns the number of pairs, or -1 when the
     * parameters break Flink's rules (size <= 0, slide <= 0, size % slide != 0; nothing
     * written). */
    int64_t (*hop)(uint32_t *restrict out_row, int64_t *restrict out_start,
                   const int64_t *restrict ts, const uint64_t *restrict valid,
                   const sl_sel_t *restrict sel, uint32_t n, int64_t size, int64_t slide,
                   int64_t offset);
};

/* Flink's getWindowStartWithOffset in Java's long arithmetic; size > 0. */
static inline int64_t sl_window_start(int64_t ts, int64_t offset, int64_t size)
{
    int64_t d = (int64_t)((uint64_t)ts - (uint64_t)offset);
    int64_t rem = d % size;
    if (rem < 0)
        rem += size;
    return (int64_t)((uint64_t)ts - (uint64_t)rem);
}

extern const struct sl_window_kernels sl_window_scalar;
extern const struct sl_window_kernels sl_window_avx2;
extern const struct sl_window_kernels sl_window_avx512;

/* The active table (scalar until sl_simd_init()). */
extern const struct sl_window_kernels *sl_window;

const struct sl_window_kernels *sl_window_kernels_for(sl_simd_level level);
void sl_window_kernels_activate(sl_simd_level level);

#endif
