/*
 * kernels/gather.h - gather (compact) a column through a selection: dst[j] = src[sel[j]].
 *
 * After a filter has narrowed a batch's selection, an operator that wants dense columns (a
 * hash table insert, an encoder, the exchange to another worker) copies the selected values
 * with these kernels. Widths: 4 bytes (INT), 8 bytes (BIGINT, DOUBLE, DECIMAL, TIMESTAMP),
 * 16 bytes (sl_str views: the view is copied, the heap bytes it points at are not), and
 * validity bitmaps (dst bit j = src bit sel[j]).
 *
 * Aliasing: dst == src is allowed and is the in-place compact of a column by its selection:
 * since sel is increasing, sel[j] >= j, so every value is read before its slot is written
 * (the SIMD variants read a whole vector of positions before storing it). Otherwise dst and
 * src must not overlap. sel must overlap neither. Values are read only at the rows sel names;
 * `n` is the number of positions (sel[0 .. n-1]), and the caller guarantees dst has room for
 * n values.
 *
 * Bitmaps: bits 0 .. n-1 of dst are written, and the rest of the last word written (bits
 * n .. 64 * SL_VALID_WORDS(n) - 1) is cleared; words after it are left alone. n == 0 writes
 * nothing.
 */
#ifndef SL_KERNELS_GATHER_H
#define SL_KERNELS_GATHER_H

#include "kernels/kcommon.h"
#include "kernels/simd.h"

struct sl_gather_kernels {
    /* dst, src: arrays of 4-byte, 8-byte or 16-byte values; borrowed for the call. */
    void (*g32)(const void *src, const sl_sel_t *restrict sel, uint32_t n, void *dst);
    void (*g64)(const void *src, const sl_sel_t *restrict sel, uint32_t n, void *dst);
    void (*g128)(const void *src, const sl_sel_t *restrict sel, uint32_t n, void *dst);
    void (*valid)(const uint64_t *src, const sl_sel_t *restrict sel, uint32_t n, uint64_t *dst);
};

extern const struct sl_gather_kernels sl_gather_scalar;
extern const struct sl_gather_kernels sl_gather_avx2;
extern const struct sl_gather_kernels sl_gather_avx512;

/* The active table (scalar until sl_simd_init()). */
extern const struct sl_gather_kernels *sl_gather;

const struct sl_gather_kernels *sl_gather_kernels_for(sl_simd_level level);
void sl_gather_kernels_activate(sl_simd_level level);

#endif
