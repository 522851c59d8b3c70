/*
 * engine/mem.c - per-worker memory on mimalloc heaps, or libc in SL_MEM_SYSTEM builds.
 */
#include "engine/mem.h"

#include <stdlib.h>
#include <string.h>

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
    return aligned_alloc(SL_MEM_ALIGN, sl_mem_round(size ? size : 1));
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
    if (heap)
        return mi_heap_malloc_aligned((mi_heap_t *)heap, size, SL_MEM_ALIGN);
    return mi_malloc_aligned(size, SL_MEM_ALIGN);
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
