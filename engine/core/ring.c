/*
 * engine/core/ring.c - creation of SPSC rings (push and pop are inline in ring.h).
 */
#include "engine/core/ring.h"

#include <string.h>

struct sl_ring *sl_ring_new(struct sl_heap *heap, uint32_t capacity)
{
    uint64_t cap = 2;
    while (cap < capacity)
        cap <<= 1;
    struct sl_ring *r = sl_mem_zalloc(heap, sizeof(*r));
    if (!r)
        return NULL;
    r->slots = sl_mem_zalloc(heap, cap * sizeof(*r->slots));
    if (!r->slots) {
        sl_mem_free(r);
        return NULL;
    }
    r->mask = cap - 1;
    return r;
}

void sl_ring_free(struct sl_ring *r)
{
    if (!r)
        return;
    struct sl_msg m;
    while (sl_ring_pop(r, &m)) {
        struct sl_msg_payload *p = m.ptr;
        if (m.kind == SL_MSG_DATA && p && p->free_fn)
            p->free_fn(p);
    }
    sl_mem_free(r->slots);
    sl_mem_free(r);
}
