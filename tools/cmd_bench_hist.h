/*
 * tools/cmd_bench_hist.h - a log-linear histogram of non-negative integers (latencies in ns).
 *
 * HOW IT WORKS
 * As HdrHistogram lays out its counts: values below 2^7 have a bucket each; above, every
 * power of two [2^e, 2^(e+1)) is cut into 128 equal buckets, so a bucket is never wider
 * than 1/128 of its values (a quantile read back is within 0.8% of the true one). Values
 * up to 2^44 (about 4.9 hours in ns) are kept; larger ones count in the last bucket. The
 * exact minimum and maximum are kept beside the counts. Adding is an index computation and
 * an increment; a histogram is a flat array (39 KiB), one per thread, merged at the end.
 *
 * OWNERSHIP: a struct sl_hist is plain data, owned by whoever declares or allocates it.
 * THREADS: none; use one histogram per thread and sl_hist_merge.
 */
#ifndef SL_ENGINE_HIST_H
#define SL_ENGINE_HIST_H

#include <stdint.h>

#define SL_HIST_SUB_BITS 7
#define SL_HIST_SUB (1u << SL_HIST_SUB_BITS)
#define SL_HIST_MAX_BITS 44
#define SL_HIST_BUCKETS ((SL_HIST_MAX_BITS - SL_HIST_SUB_BITS + 1) * SL_HIST_SUB)

struct sl_hist {
    uint64_t n;        /* total weight added */
    uint64_t min, max; /* exact; min is UINT64_MAX while empty */
    uint64_t count[SL_HIST_BUCKETS];
};

/* Empties `h`. */
void sl_hist_reset(struct sl_hist *h);

/* Adds value `v` with weight `w` (e.g. the rows of a batch that all saw latency v). */
void sl_hist_add(struct sl_hist *h, uint64_t v, uint64_t w);

/* Adds every count of `src` into `dst`. */
void sl_hist_merge(struct sl_hist *dst, const struct sl_hist *src);

/* The value at quantile q in [0, 1] (0.5 = median, 0.999 = p99.9): the middle of the
 * bucket holding the ceil(q * n)-th smallest value, clamped to [min, max]. 0 when empty. */
uint64_t sl_hist_quantile(const struct sl_hist *h, double q);

/* The bucket index of `v`, and the smallest value of bucket `i` (exposed for tests). */
uint32_t sl_hist_index(uint64_t v);
uint64_t sl_hist_lower(uint32_t i);

#endif
