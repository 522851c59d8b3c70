/*
 * engine/core/ring.h - a single-producer single-consumer ring of messages between two workers.
 *
 * HOW IT WORKS
 * A power-of-two array of 16-byte messages with a head (written by the consumer) and a tail
 * (written by the producer) on separate cache lines. The producer writes a message, then
 * publishes it with a release store of the tail; the consumer reads the tail with an
 * acquire load, reads the message, then releases the slot with a release store of the head.
 * Each side caches the other's index and re-reads it only when the ring looks full (or
 * empty), so an uncontended push or pop touches one shared cache line.
 *
 * Messages carry a kind and a payload: a pointer (a batch, a partial aggregation) whose
 * ownership moves to the consumer with the message, or a number (a watermark, an epoch).
 * A DATA payload begins with a struct sl_msg_payload, so that messages nobody received
 * (a run stopped by an error) can still be freed.
 * Barriers and watermarks travel through the same ring as data, so they stay in order with
 * it.
 *
 * THREADS: exactly one producer thread calls sl_ring_push, exactly one consumer thread calls
 * sl_ring_pop / sl_ring_peek; creation and free happen while neither runs.
 */
#ifndef SL_ENGINE_RING_H
#define SL_ENGINE_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/core/mem.h"

typedef enum sl_msg_kind {
    SL_MSG_NONE = 0,
    SL_MSG_DATA,      /* .ptr: payload owned by the receiver from now on; .aux: its tag */
    SL_MSG_WATERMARK, /* .num: event time (ms) the sender will not go below again */
    SL_MSG_BARRIER,   /* .num: checkpoint epoch */
    SL_MSG_END,       /* the sender sends nothing more */
} sl_msg_kind;

/* The first member of every SL_MSG_DATA payload. */
struct sl_msg_payload {
    void (*free_fn)(void *payload); /* frees the whole payload */
};

struct sl_msg {
    uint32_t kind; /* sl_msg_kind */
    uint32_t aux;  /* a small tag the protocol defines (e.g. which operator) */
    union {
        void *ptr;
        int64_t num;
    };
};

_Static_assert(sizeof(struct sl_msg) == 16, "a message is 16 bytes");

struct sl_ring {
    alignas(64) _Atomic uint64_t tail; /* next slot the producer writes */
    uint64_t head_cache;               /* producer's copy of head */
    alignas(64) _Atomic uint64_t head; /* next slot the consumer reads */
    uint64_t tail_cache;               /* consumer's copy of tail */
    alignas(64) uint64_t mask;
    struct sl_msg *slots;
};

/* A ring of `capacity` messages (rounded up to a power of two, at least 2) from `heap`;
 * NULL when out of memory. Free with sl_ring_free. */
struct sl_ring *sl_ring_new(struct sl_heap *heap, uint32_t capacity);

/* Frees the ring and the payloads of the DATA messages still in it. */
void sl_ring_free(struct sl_ring *r);

/* Producer: appends `m`; false (and nothing written) when the ring is full. */
static inline bool sl_ring_push(struct sl_ring *r, struct sl_msg m)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (t - r->head_cache > r->mask) {
        r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        if (t - r->head_cache > r->mask)
            return false;
    }
    r->slots[t & r->mask] = m;
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return true;
}

/* Consumer: removes the oldest message into *m; false when the ring is empty. */
static inline bool sl_ring_pop(struct sl_ring *r, struct sl_msg *m)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h == r->tail_cache) {
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (h == r->tail_cache)
            return false;
    }
    *m = r->slots[h & r->mask];
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return true;
}

/* Messages in the ring (exact for the consumer; a lower bound for the producer). */
static inline uint64_t sl_ring_count(struct sl_ring *r)
{
    return atomic_load_explicit(&r->tail, memory_order_acquire) -
           atomic_load_explicit(&r->head, memory_order_acquire);
}

#endif
