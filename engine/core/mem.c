/*
 * engine/core/mem.c - per-worker memory on mimalloc heaps, or libc in SL_MEM_SYSTEM builds.
 *
 * Large blocks (SL_MEM_HUGE_MIN and up: hash tables, aggregate states of millions of groups)
 * are advised to the kernel as transparent-huge-page candidates (madvise MADV_HUGEPAGE on the
 * 2 MiB-aligned part of the block), because such blocks are read at random: with 4 KiB pages
 * every access beyond a few MiB is also a TLB miss and a page walk, which measured about 20 %
 * of the time of a GROUP BY into 10 M groups (bench/hashagg.c). Systems whose THP setting is
 * "madvise" (the common default) only give huge pages to advised ranges. The advice is a hint:
 * if it fails (no THP, or the range was already faulted in small pages) nothing changes.
 */
#include "engine/core/mem.h"

#include "engine/core/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SL_MEM_HUGE_PAGE ((size_t)2 << 20)
#define SL_MEM_HUGE_MIN ((size_t)4 << 20)

/* Advises the 2 MiB-aligned interior of a large block as a huge-page candidate. */
static void sl_mem_advise_huge(void *p, size_t size)
{
#ifdef MADV_HUGEPAGE
    if (!p || size < SL_MEM_HUGE_MIN)
        return;
    uintptr_t lo = ((uintptr_t)p + SL_MEM_HUGE_PAGE - 1) & ~(uintptr_t)(SL_MEM_HUGE_PAGE - 1);
    uintptr_t hi = ((uintptr_t)p + size) & ~(uintptr_t)(SL_MEM_HUGE_PAGE - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p;
    (void)size;
#endif
}

#ifdef SL_MEM_SYSTEM

struct sl_heap {
    int unused;
};

struct sl_heap *sl_heap_new(void)
{
    return calloc(1, sizeof(struct sl_heap));
}

void sl_heap_free(struct sl_heap *heap)
{
    free(heap);
}

void *sl_mem_alloc(struct sl_heap *heap, size_t size)
{
    (void)heap;
    size = sl_mem_round(size ? size : 1);
    void *p = aligned_alloc(SL_MEM_ALIGN, size);
    sl_mem_advise_huge(p, size);
    return p;
}

void sl_mem_free(void *p)
{
    free(p);
}

#else

#include <mimalloc.h>

/* The sl_heap handle is the mimalloc heap itself. */
struct sl_heap *sl_heap_new(void)
{
    return (struct sl_heap *)mi_heap_new();
}

void sl_heap_free(struct sl_heap *heap)
{
    /* mi_heap_delete keeps live blocks valid: they move to the thread's default heap */
    if (heap)
        mi_heap_delete((mi_heap_t *)heap);
}

void *sl_mem_alloc(struct sl_heap *heap, size_t size)
{
    size = sl_mem_round(size ? size : 1);
    void *p = heap ? mi_heap_malloc_aligned((mi_heap_t *)heap, size, SL_MEM_ALIGN)
                   : mi_malloc_aligned(size, SL_MEM_ALIGN);
    sl_mem_advise_huge(p, size);
    return p;
}

void sl_mem_free(void *p)
{
    mi_free(p);
}

#endif

void *sl_mem_zalloc(struct sl_heap *heap, size_t size)
{
    void *p = sl_mem_alloc(heap, size);
    if (p)
        memset(p, 0, sl_mem_round(size ? size : 1));
    return p;
}

int sl_mem_grow(struct sl_heap *heap, void **arr, uint32_t *cap, uint32_t n, uint32_t need,
                size_t size)
{
    if (need <= *cap)
        return 0;
    uint64_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    if (c > UINT32_MAX)
        c = UINT32_MAX;
    void *a = sl_mem_alloc(heap, (size_t)c * size);
    if (!a)
        return SL_ENOMEM;
    if (n)
        memcpy(a, *arr, (size_t)n * size);
    sl_mem_free(*arr);
    *arr = a;
    *cap = (uint32_t)c;
    return 0;
}
