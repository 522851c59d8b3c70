/*
 * tools/cmd_bench_hist.c - log-linear histogram (see hist.h). Bucket i < 2 * SUB holds the value i;
 * above, with shift = i / SUB - 1, bucket i holds [(i - shift * SUB) << shift, + 2^shift).
 */
#include "tools/cmd_bench_hist.h"

#include <string.h>

void sl_hist_reset(struct sl_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

uint32_t sl_hist_index(uint64_t v)
{
    if (v >= (1ull << SL_HIST_MAX_BITS))
        return SL_HIST_BUCKETS - 1;
    if (v < 2 * SL_HIST_SUB)
        return (uint32_t)v;
    int e = 63 - __builtin_clzll(v); /* >= SUB_BITS + 1 */
    int shift = e - SL_HIST_SUB_BITS;
    return (uint32_t)((uint64_t)shift * SL_HIST_SUB + (v >> shift));
}

uint64_t sl_hist_lower(uint32_t i)
{
    if (i < 2 * SL_HIST_SUB)
        return i;
    uint32_t shift = i / SL_HIST_SUB - 1;
    return (uint64_t)(i - shift * SL_HIST_SUB) << shift;
}

void sl_hist_add(struct sl_hist *h, uint64_t v, uint64_t w)
{
    if (!w)
        return;
    h->count[sl_hist_index(v)] += w;
    h->n += w;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void sl_hist_merge(struct sl_hist *dst, const struct sl_hist *src)
{
    for (uint32_t i = 0; i < SL_HIST_BUCKETS; i++)
        dst->count[i] += src->count[i];
    dst->n += src->n;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t sl_hist_quantile(const struct sl_hist *h, double q)
{
    if (!h->n)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    double t = q * (double)h->n;
    uint64_t target = (uint64_t)t;
    if ((double)target < t)
        target++;
    if (target < 1)
        target = 1;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < SL_HIST_BUCKETS; i++) {
        seen += h->count[i];
        if (seen >= target) {
            uint64_t lo = sl_hist_lower(i);
            uint64_t hi = i + 1 < SL_HIST_BUCKETS ? sl_hist_lower(i + 1) - 1 : h->max;
            uint64_t mid = lo + (hi - lo) / 2;
            if (mid < h->min)
                mid = h->min;
            if (mid > h->max)
                mid = h->max;
            return mid;
        }
    }
    return h->max;
}
