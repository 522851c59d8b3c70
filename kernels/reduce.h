/*
 * kernels/reduce.h - reductions of a column to one value: SUM, MIN and MAX of BIGINT
 * (also TIMESTAMP and DECIMAL, which are int64 underneath). The engine's watermarks are the
 * minimum over partitions and batches; SUM over a whole column is the kernel that the
 * memory-bandwidth benchmark measures against.
 *
 * Every function takes (v, valid, sel, n) as described in kernels/kcommon.h and skips NULLs.
 * Sums wrap on overflow (two's complement, as Java's long does in Flink).
 */
#ifndef SL_KERNELS_REDUCE_H
#define SL_KERNELS_REDUCE_H

#include "kernels/kcommon.h"
#include "kernels/simd.h"

struct sl_reduce_kernels {
    /* Sum of the valid values; *count receives how many there were. */
    int64_t (*sum_i64)(const int64_t *restrict v, const uint64_t *restrict valid,
                       const sl_sel_t *restrict sel, uint32_t n, uint64_t *restrict count);
    /* Minimum (maximum) of the valid values into *out; returns false (and leaves *out
     * alone) when there is none. */
    bool (*min_i64)(const int64_t *restrict v, const uint64_t *restrict valid,
                    const sl_sel_t *restrict sel, uint32_t n, int64_t *restrict out);
    bool (*max_i64)(const int64_t *restrict v, const uint64_t *restrict valid,
                    const sl_sel_t *restrict sel, uint32_t n, int64_t *restrict out);
};

extern const struct sl_reduce_kernels sl_reduce_scalar;
extern const struct sl_reduce_kernels sl_reduce_avx2;
extern const struct sl_reduce_kernels sl_reduce_avx512;

/* The active table (scalar until sl_simd_init()). */
extern const struct sl_reduce_kernels *sl_reduce;

const struct sl_reduce_kernels *sl_reduce_kernels_for(sl_simd_level level);
void sl_reduce_kernels_activate(sl_simd_level level);

#endif
