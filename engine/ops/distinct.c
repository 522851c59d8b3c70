/*
 * engine/ops/distinct.c - distinct-value sets (see distinct.h for the layout and why one set
 * per column).
 *
 * Growth: the entries array doubles (copy) when full; the slot index doubles when it would
 * be more than half full and is rebuilt from the entries (the hash is recomputed from gid
 * and value: one multiply-xorshift, cheaper than keeping 8 more bytes per entry).
 */
#include "engine/ops/distinct.h"

#include <string.h>

#include "kernels/hash.h"

#define SL_DISTINCT_INIT 64u

static inline uint64_t sl_distinct_hash(uint32_t gid, uint64_t value)
{
    return sl_hash_combine_u64(sl_hash_u64(value), gid);
}

void sl_distinct_init(struct sl_distinct *d, struct sl_heap *heap)
{
    memset(d, 0, sizeof(*d));
    d->heap = heap;
}

void sl_distinct_release(struct sl_distinct *d)
{
    sl_mem_free(d->entries);
    sl_mem_free(d->slots);
    sl_distinct_init(d, d->heap);
}

void sl_distinct_clear(struct sl_distinct *d)
{
    if (d->slots)
        memset(d->slots, 0, (d->mask + 1) * sizeof(*d->slots));
    d->n = 0;
}

static int sl_distinct_grow_slots(struct sl_distinct *d)
{
    uint64_t nslots = d->slots ? (d->mask + 1) * 2 : SL_DISTINCT_INIT * 2;
    if (nslots > ((uint64_t)1 << 33))
        return SL_ENOMEM;
    uint32_t *slots = sl_mem_zalloc(d->heap, nslots * sizeof(*slots));
    if (!slots)
        return SL_ENOMEM;
    for (uint32_t e = 0; e < d->n; e++) {
        uint64_t i = sl_distinct_hash(d->entries[e].gid, d->entries[e].value) & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = e + 1;
    }
    if (d->slots)
        d->bytes -= (d->mask + 1) * sizeof(*d->slots);
    sl_mem_free(d->slots);
    d->slots = slots;
    d->mask = nslots - 1;
    d->bytes += nslots * sizeof(*slots);
    return 0;
}

static int sl_distinct_grow_entries(struct sl_distinct *d)
{
    if (d->cap >= UINT32_MAX / 2)
        return SL_ENOMEM;
    uint32_t cap = d->cap ? d->cap * 2 : SL_DISTINCT_INIT;
    struct sl_distinct_entry *e = sl_mem_alloc(d->heap, (size_t)cap * sizeof(*e));
    if (!e)
        return SL_ENOMEM;
    if (d->n)
        memcpy(e, d->entries, (size_t)d->n * sizeof(*e));
    d->bytes -= (size_t)d->cap * sizeof(*e);
    sl_mem_free(d->entries);
    d->entries = e;
    d->cap = cap;
    d->bytes += (size_t)cap * sizeof(*e);
    return 0;
}

int sl_distinct_add(struct sl_distinct *d, uint32_t gid, uint64_t value, uint32_t bits,
                    uint32_t *fresh)
{
    *fresh = 0;
    if (!d->slots || (uint64_t)(d->n + 1) * 2 > d->mask + 1) {
        int rc = sl_distinct_grow_slots(d);
        if (rc)
            return rc;
    }
    uint64_t i = sl_distinct_hash(gid, value) & d->mask;
    for (;;) {
        uint32_t s = d->slots[i];
        if (!s)
            break;
        struct sl_distinct_entry *e = &d->entries[s - 1];
        if (e->value == value && e->gid == gid) {
            *fresh = bits & ~e->mask;
            e->mask |= bits;
            return 0;
        }
        i = (i + 1) & d->mask;
    }
    if (d->n == d->cap) {
        int rc = sl_distinct_grow_entries(d);
        if (rc)
            return rc;
    }
    d->entries[d->n] = (struct sl_distinct_entry){value, gid, bits};
    d->slots[i] = ++d->n;
    *fresh = bits;
    return 0;
}
