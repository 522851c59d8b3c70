/*
 * bench/bench_util.h - shared helpers of the micro-benchmarks: deterministic data and the
 * list of SIMD levels this CPU runs.
 */
#ifndef SL_BENCH_UTIL_H
#define SL_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/simd.h"

/* Rows in a "DRAM-resident" benchmark array: 64 M int64 = 512 MiB, far beyond any cache. */
#define SL_BENCH_DRAM_ROWS (64u * 1024u * 1024u)

/* A 64-byte aligned buffer of `bytes`, filled by the caller; aborts when out of memory (a
 * benchmark cannot run without it). Freed with sl_bench_free. */
void *sl_bench_alloc(size_t bytes);
void sl_bench_free(void *p);

/* xorshift64*: deterministic pseudo-random numbers for benchmark data. */
static inline uint64_t sl_bench_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Fills `n` int64 with values uniform in [lo, hi]. */
void sl_bench_fill_i64(int64_t *v, size_t n, int64_t lo, int64_t hi, uint64_t seed);

/* A shared DRAM-resident int64 array of SL_BENCH_DRAM_ROWS values in [0, 1e6], created on
 * first use (several benchmarks read it; it is never freed). */
const int64_t *sl_bench_dram_i64(void);

#endif
