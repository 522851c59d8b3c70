/*
 * engine/core/keygroup.h - key groups: the unit in which keyed state is owned by workers and
 * moved between them when a job is restored at another worker count (Flink's
 * KeyGroupRangeAssignment).
 *
 * HOW IT WORKS
 * A job has a fixed number of key groups, its max parallelism M ('pipeline.max-parallelism',
 * default 128, fixed at the job's first start and kept in every checkpoint manifest). A key's
 * group is taken from the top 32 bits of its 64-bit routing hash (the hash kernels'), scaled
 * to [0, M) by a multiply (no division):
 *
 *     kg(h) = ((h >> 32) * M) >> 32
 *
 * and worker w of N owns the contiguous range of groups whose owner is w:
 *
 *     owner(kg) = kg * N / M          range(w) = [ceil(w * M / N), ceil((w + 1) * M / N))
 *
 * as Flink's computeOperatorIndexForKeyGroup / computeKeyGroupRangeForOperatorIndex. The top
 * bits are used so that the owner of a key is independent of the low bits that the
 * operators' hash tables index by (h & mask): every worker's table sees well spread hashes.
 *
 * N must not exceed M (the executor refuses it). M = 0 is the routing of checkpoints written
 * before key groups existed, kept so that they restore at their worker count: owner = h % N.
 *
 * THREADS: pure functions.
 */
#ifndef SL_ENGINE_KEYGROUP_H
#define SL_ENGINE_KEYGROUP_H

#include <stdint.h>

#define SL_KG_DEFAULT 128u /* Flink's default max parallelism for small jobs */
#define SL_KG_MAX 32768u   /* Flink's upper bound (2^15) */

/* The key group of routing hash h among m (m >= 1). */
static inline uint32_t sl_kg_of(uint64_t h, uint32_t m)
{
    return (uint32_t)(((h >> 32) * (uint64_t)m) >> 32);
}

/* The worker of n that owns key group kg of m. 32-bit arithmetic (kg < m <= SL_KG_MAX and
 * n <= m: the product is below 2^30), a cheaper division than a 64-bit one. */
static inline uint32_t sl_kg_owner(uint32_t kg, uint32_t m, uint32_t n)
{
    return kg * n / m;
}

/* The worker of n that owns routing hash h; m = 0: h % n (checkpoints before key groups). */
static inline uint32_t sl_kg_route(uint64_t h, uint32_t m, uint32_t n)
{
    return m ? sl_kg_owner(sl_kg_of(h, m), m, n) : (uint32_t)(h % n);
}

/* Worker w's key groups among m at n workers: [*lo, *hi) (m >= n >= 1). */
static inline void sl_kg_range(uint32_t w, uint32_t n, uint32_t m, uint32_t *lo, uint32_t *hi)
{
    *lo = (uint32_t)(((uint64_t)w * m + n - 1) / n);
    *hi = (uint32_t)(((uint64_t)(w + 1) * m + n - 1) / n);
}

#endif
