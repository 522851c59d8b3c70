/*
 * bench/bench_util.c - shared helpers of the micro-benchmarks.
 */
#include "bench/bench_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "engine/core/mem.h"

void *sl_bench_alloc(size_t bytes)
{
    void *p = sl_mem_alloc(NULL, bytes);
    if (!p) {
        fprintf(stderr, "sluice-bench: out of memory allocating %zu bytes\n", bytes);
        abort();
    }
    return p;
}

void sl_bench_free(void *p)
{
    sl_mem_free(p);
}

void sl_bench_fill_i64(int64_t *v, size_t n, int64_t lo, int64_t hi, uint64_t seed)
{
    uint64_t s = seed | 1;
    uint64_t span = (uint64_t)(hi - lo) + 1;
    for (size_t i = 0; i < n; i++)
        v[i] = lo + (int64_t)(span ? sl_bench_rand(&s) % span : sl_bench_rand(&s));
}

const int64_t *sl_bench_dram_i64(void)
{
    static int64_t *arr;
    if (!arr) {
        arr = sl_bench_alloc((size_t)SL_BENCH_DRAM_ROWS * sizeof(int64_t));
        sl_bench_fill_i64(arr, SL_BENCH_DRAM_ROWS, 0, 1000000, 42);
    }
    return arr;
}
