/*
 * engine/ops/distinct.c - distinct-value sets (see distinct.h for the layout and why one set
 * per column).
 *
 * Growth: the table doubles when it would be more than 3/4 full and is rebuilt by
 * re-inserting every entry (the hash is recomputed from gid and value: one multiply-xorshift,
 * cheaper than keeping 8 more bytes per entry). sl_distinct_add_many first makes room for
 * the whole batch, so its probes never see a resize.
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
    sl_mem_free(d->slots);
    sl_distinct_init(d, d->heap);
}

void sl_distinct_clear(struct sl_distinct *d)
{
    if (d->slots && d->n)
        memset(d->slots, 0, d->cap * sizeof(*d->slots));
    d->n = 0;
}

/* Room for `more` entries beyond n without passing 3/4 of the table. */
static int sl_distinct_reserve(struct sl_distinct *d, uint32_t more)
{
    uint64_t need = (uint64_t)d->n + more;
    uint64_t cap = d->cap ? d->cap : SL_DISTINCT_INIT;
    while (need * 4 > cap * 3)
        cap *= 2;
    if (cap == d->cap)
        return 0;
    if (cap > ((uint64_t)1 << 36) / sizeof(*d->slots))
        return SL_ENOMEM;
    struct sl_distinct_entry *slots = sl_mem_zalloc(d->heap, cap * sizeof(*slots));
    if (!slots)
        return SL_ENOMEM;
    for (uint64_t j = 0; j < d->cap; j++) {
        const struct sl_distinct_entry *e = &d->slots[j];
        if (!e->mask)
            continue;
        uint64_t i = sl_distinct_hash(e->gid, e->value) & (cap - 1);
        while (slots[i].mask)
            i = (i + 1) & (cap - 1);
        slots[i] = *e;
    }
    d->bytes -= d->cap * sizeof(*d->slots);
    sl_mem_free(d->slots);
    d->slots = slots;
    d->cap = cap;
    d->bytes += cap * sizeof(*slots);
    return 0;
}

/* The probe of one pair whose hash is h (room reserved). */
static inline uint32_t sl_distinct_probe(struct sl_distinct *d, uint64_t h, uint32_t gid,
                                         uint64_t value, uint32_t bits)
{
    const uint64_t m = d->cap - 1;
    uint64_t i = h & m;
    for (;;) {
        struct sl_distinct_entry *e = &d->slots[i];
        if (!e->mask) {
            *e = (struct sl_distinct_entry){value, gid, bits};
            d->n++;
            return bits;
        }
        if (e->value == value && e->gid == gid) {
            uint32_t fresh = bits & ~e->mask;
            e->mask |= bits;
            return fresh;
        }
        i = (i + 1) & m;
    }
}

int sl_distinct_add(struct sl_distinct *d, uint32_t gid, uint64_t value, uint32_t bits,
                    uint32_t *fresh)
{
    *fresh = 0;
    int rc = sl_distinct_reserve(d, 1);
    if (rc)
        return rc;
    *fresh = sl_distinct_probe(d, sl_distinct_hash(gid, value), gid, value, bits);
    return 0;
}

int sl_distinct_add_many(struct sl_distinct *d, const uint32_t *gids, const uint64_t *values,
                         const uint32_t *bits, uint32_t n, uint32_t *fresh, uint64_t *hashes)
{
    int rc = sl_distinct_reserve(d, n);
    if (rc)
        return rc;
    const uint64_t m = d->cap - 1;
    for (uint32_t i = 0; i < n; i++) {
        hashes[i] = sl_distinct_hash(gids[i], values[i]);
        __builtin_prefetch(&d->slots[hashes[i] & m], 1);
    }
    for (uint32_t i = 0; i < n; i++)
        fresh[i] = bits[i] ? sl_distinct_probe(d, hashes[i], gids[i], values[i], bits[i]) : 0;
    return 0;
}
