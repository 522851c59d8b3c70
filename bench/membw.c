/*
 * bench/membw.c - the machine's memory bandwidth, measured in the same run as the kernels,
 * so that each kernel's figure can be read as a fraction of what the machine can move.
 *
 * membw/read: a streaming read of a 512 MiB array, far beyond the caches, with the cheapest
 * possible work per cache line (XOR into eight independent accumulators of the widest
 * registers the CPU has: AVX-512, else AVX2, else 64-bit). Its
 * bytes_per_second is the reference that DRAM-resident kernels are compared with.
 */
#include <immintrin.h>

#include "bench/bench_util.h"
#include "bench/shim.h"

__attribute__((target("avx2"), noinline)) static uint64_t sl_membw_xor(const int64_t *v, size_t n)
{
    __m256i a[8];
    for (int k = 0; k < 8; k++)
        a[k] = _mm256_setzero_si256();
    size_t blocks = n / 32;
    const __m256i *p = (const __m256i *)v;
    for (size_t bi = 0; bi < blocks; bi++, p += 8)
        for (int k = 0; k < 8; k++)
            a[k] = _mm256_xor_si256(a[k], _mm256_load_si256(p + k));
    for (int k = 1; k < 8; k++)
        a[0] = _mm256_xor_si256(a[0], a[k]);
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, a[0]);
    uint64_t r = lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3];
    for (size_t i = blocks * 32; i < n; i++)
        r ^= (uint64_t)v[i];
    return r;
}

__attribute__((target("avx512f"), noinline)) static uint64_t sl_membw_xor512(const int64_t *v,
                                                                             size_t n)
{
    __m512i a[8];
    for (int k = 0; k < 8; k++)
        a[k] = _mm512_setzero_si512();
    size_t blocks = n / 64;
    const __m512i *p = (const __m512i *)v;
    for (size_t bi = 0; bi < blocks; bi++, p += 8)
        for (int k = 0; k < 8; k++)
            a[k] = _mm512_xor_si512(a[k], _mm512_load_si512(p + k));
    for (int k = 1; k < 8; k++)
        a[0] = _mm512_xor_si512(a[0], a[k]);
    uint64_t lanes[8];
    _mm512_storeu_si512(lanes, a[0]);
    uint64_t r = 0;
    for (int k = 0; k < 8; k++)
        r ^= lanes[k];
    for (size_t i = blocks * 64; i < n; i++)
        r ^= (uint64_t)v[i];
    return r;
}

static uint64_t sl_membw_xor_scalar(const int64_t *v, size_t n)
{
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++)
        r ^= (uint64_t)v[i];
    return r;
}

static void bm_membw_read(struct sl_bench *b, void *arg)
{
    (void)arg;
    const int64_t *v = sl_bench_dram_i64();
    int avx2 = sl_simd_supported(SL_SIMD_AVX2);
    int avx512 = sl_simd_supported(SL_SIMD_AVX512);
    uint64_t r = 0;
    while (sl_bench_running(b))
        r += avx512 ? sl_membw_xor512(v, SL_BENCH_DRAM_ROWS)
             : avx2 ? sl_membw_xor(v, SL_BENCH_DRAM_ROWS)
                    : sl_membw_xor_scalar(v, SL_BENCH_DRAM_ROWS);
    sl_bench_keep(&r);
    sl_bench_items(b, SL_BENCH_DRAM_ROWS);
    sl_bench_bytes(b, (int64_t)SL_BENCH_DRAM_ROWS * 8);
}

SL_BENCH_REGISTER(sl_membw_register)
{
    struct sl_bench_def *d = sl_bench_add("membw/read", bm_membw_read, NULL);
    sl_bench_def_unit(d, 'm');
    sl_bench_def_min_time(d, 1.0);
}
