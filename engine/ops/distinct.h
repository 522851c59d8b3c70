/*
 * engine/ops/distinct.h - the distinct-value sets of DISTINCT aggregates (COUNT / SUM /
 * AVG(DISTINCT x) [FILTER (WHERE ...)]) inside a hashagg (engine/ops/hashagg.h).
 *
 * HOW IT WORKS
 * One set per distinct input column of a hashagg, keyed by (group id, value word) - the
 * value in the hashagg's key encoding (an INT sign-extended, a BIGINT / DECIMAL / TIMESTAMP
 * as it is, a DOUBLE's normalized bits, a VARCHAR's id in the hashagg's string dictionary).
 * Each entry carries a mask of up to 32 bits: bit b is set once the value has been counted
 * for the b-th FILTER of that column (bit 0 is "no FILTER" when there is one). This is
 * Flink's DistinctAggregate with filter arguments (DistinctAggCodeGenerator: a MapView per
 * distinct column whose value is a bitmask of the filters it was counted for), so that
 * `COUNT(DISTINCT bidder)`, `COUNT(DISTINCT bidder) FILTER (WHERE price < 10000)`, ... share
 * one set: a value seen again for a filter it already counted for changes nothing;
 * sl_distinct_add returns the bits that are new, and the hashagg folds the value into exactly
 * the aggregates of those bits.
 *
 * One set per column rather than one per (group, column): there is no per-group allocation,
 * a group with one value costs one entry, and clearing a window's table is one memset.
 *
 * LAYOUT: one open-addressing table of 16-byte entries { value: 8, gid: 4, mask: 4 } (mask 0:
 * an empty slot), linear probing on a mix of gid and value, at most 3/4 full, doubled when
 * full. A lookup is one cache miss (the entries are the table: no separate index), and
 * sl_distinct_add_many hashes a whole batch first and prefetches every slot before it
 * probes, so the misses of a batch overlap. Memory per distinct (group, value): 16 bytes / load
 * factor, 21 to 43 bytes (about 32 on average), plus for VARCHAR the string in the hashagg's
 * dictionary once per distinct string. Iteration (merge, checkpoint) walks the slots: the
 * order depends on the insertions, and a loaded set is filled in the saved order.
 *
 * THREADS: a set belongs to its hashagg's worker thread.
 */
#ifndef SL_ENGINE_DISTINCT_H
#define SL_ENGINE_DISTINCT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"
#include "engine/core/mem.h"
#include "engine/core/state.h"

struct sl_distinct_entry {
    uint64_t value; /* the value word */
    uint32_t gid;   /* the hashagg group */
    uint32_t mask;  /* the filters this value has been counted for */
};

struct sl_distinct {
    struct sl_heap *heap;            /* not owned; NULL = the process heap */
    struct sl_distinct_entry *slots; /* the table; mask 0 = empty */
    uint64_t cap;                    /* slots, a power of two (0 before the first add) */
    uint32_t n;                      /* entries in use */
    size_t bytes;                    /* heap bytes held */
};

/* An empty set whose memory will come from `heap` (not owned). Allocates nothing yet. */
void sl_distinct_init(struct sl_distinct *d, struct sl_heap *heap);

/* Frees the set's memory; the set is empty afterwards and can be used again. */
void sl_distinct_release(struct sl_distinct *d);

/* Forgets every entry, keeps the memory. */
void sl_distinct_clear(struct sl_distinct *d);

/*
 * Marks (gid, value) as counted for the filters in `bits` (non-zero); *fresh receives the
 * bits that were not set before (0: nothing new to fold in). 0 or SL_ENOMEM (nothing
 * changed).
 */
int sl_distinct_add(struct sl_distinct *d, uint32_t gid, uint64_t value, uint32_t bits,
                    uint32_t *fresh);

/*
 * sl_distinct_add for n pairs at once: gids[i], values[i], bits[i] (0: skip position i);
 * fresh[i] receives the new bits of position i. hashes is scratch of n words. 0 or
 * SL_ENOMEM (then no pair was added).
 */
int sl_distinct_add_many(struct sl_distinct *d, const uint32_t *gids, const uint64_t *values,
                         const uint32_t *bits, uint32_t n, uint32_t *fresh, uint64_t *hashes);

/* Entries so far. */
static inline uint32_t sl_distinct_size(const struct sl_distinct *d)
{
    return d->n;
}

/* Bytes of heap memory held. */
static inline size_t sl_distinct_memory(const struct sl_distinct *d)
{
    return d->bytes;
}

#endif
