/*
 * engine/core/mem.h - per-worker memory.
 *
 * Each worker allocates from its own heap: a mimalloc heap (mi_heap_new), so allocation never
 * contends with other workers and memory stays on the worker's NUMA node. A heap must be
 * created, and allocated from, on the thread that owns it; memory from it may be freed on
 * any thread. Every block is 64-byte aligned (a cache line, an AVX-512 register).
 *
 * Builds with SL_MEM_SYSTEM (the sanitizer build) take memory from libc instead, so that
 * AddressSanitizer sees every allocation and every leak.
 */
#ifndef SL_ENGINE_MEM_H
#define SL_ENGINE_MEM_H

#include <stddef.h>
#include <stdint.h>

#define SL_MEM_ALIGN 64

struct sl_heap;

/* A new heap owned by the calling thread; NULL when out of memory. Free with sl_heap_free. */
struct sl_heap *sl_heap_new(void);

/* Frees the heap itself. Blocks still allocated from it stay valid until sl_mem_free. */
void sl_heap_free(struct sl_heap *heap);

/* `size` bytes, 64-byte aligned, from `heap` (NULL: the process heap); NULL when out of
 * memory. The caller owns the block and frees it with sl_mem_free. */
void *sl_mem_alloc(struct sl_heap *heap, size_t size);

/* Like sl_mem_alloc, zero-filled. */
void *sl_mem_zalloc(struct sl_heap *heap, size_t size);

/* Frees a block from sl_mem_alloc / sl_mem_zalloc (NULL is allowed), on any thread. */
void sl_mem_free(void *p);

/* Grows the array *arr (elements of `size` bytes, room for *cap of them, the first `n` in use)
 * to room for at least `need`: nothing when it has that already, else a new block from `heap`
 * of the next power of two (16 at the least, UINT32_MAX at the most) with the `n` elements
 * copied, and the old block freed. The caller owns *arr (NULL with *cap 0 at the start) and
 * frees it with sl_mem_free. Returns 0, or SL_ENOMEM with *arr and *cap unchanged. */
int sl_mem_grow(struct sl_heap *heap, void **arr, uint32_t *cap, uint32_t n, uint32_t need,
                size_t size);

/* Rounds up to a multiple of SL_MEM_ALIGN. */
static inline size_t sl_mem_round(size_t size)
{
    return (size + SL_MEM_ALIGN - 1) & ~(size_t)(SL_MEM_ALIGN - 1);
}

#endif
