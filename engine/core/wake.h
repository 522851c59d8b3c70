/*
 * engine/core/wake.h - how an idle worker sleeps and who wakes it.
 *
 * HOW IT WORKS
 * Each worker owns one struct sl_wake: an eventfd and a "parked" flag. A worker that found
 * nothing to do (no message in its rings, no rows from its sources) parks:
 *
 *     sl_wake_prepare(w);                   parked = 1, then a full fence
 *     if (anything arrived meanwhile)       look at the rings (and flags) once more
 *         sl_wake_cancel(w);
 *     else
 *         sl_wake_wait(w, deadline);        poll() on the eventfd, up to the deadline
 *
 * and whoever gives it work wakes it: a worker that pushed a message into its ring calls
 * sl_wake_notify (a fence, then a write to the eventfd only when the flag says it is parked:
 * the busy path costs one load), the checkpoint coordinator and the run's monitor call it
 * for a checkpoint request, the final epoch, a stop or a failure. The fences on both sides
 * (store flag / load rings against push / load flag) make a lost wake-up impossible: either
 * the parker sees the message in its second look, or the sender sees the flag and writes.
 *
 * Under ThreadSanitizer (SL_TSAN), which does not model fences (GCC refuses them with
 * -Wtsan), both sides use a sequentially consistent read-modify-write of the flag instead:
 * the parker's exchange and the sender's fetch-or are ordered in the flag's modification
 * order, so either the sender reads 1, or the parker's exchange reads from the sender's
 * release and sees the pushed message. Same guarantee; it costs an exclusive cache line per
 * send, which is why the release build keeps the fence and a shared load.
 *
 * Sources whose rows arrive from another thread (librdkafka's) call sl_wake_signal from
 * there when a queue turns non-empty: an unconditional write, since that thread cannot take
 * part in the flag protocol; a write to a running worker only makes its next park return at
 * once. Sources that know when their next rows are due (a paced generator) give that time,
 * and the worker sleeps until then.
 *
 * THREADS: sl_wake_prepare / cancel / wait on the owner's thread; notify and signal from any.
 */
#ifndef SL_ENGINE_CORE_WAKE_H
#define SL_ENGINE_CORE_WAKE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/core/error.h"

struct sl_wake {
    int fd;             /* eventfd (non-blocking) */
    _Atomic int parked; /* the owner is (about to be) asleep in sl_wake_wait */
    uint64_t waits;     /* times the owner slept (statistics, owner's thread) */
    uint64_t wakeups;   /* ... of which ended by a write rather than the deadline */
};

/* Creates the eventfd. SL_EIO with the reason when the system refuses. */
int sl_wake_init(struct sl_wake *w, struct sl_error *err);
/* Closes it; a zeroed or failed struct is fine. */
void sl_wake_free(struct sl_wake *w);

/* Makes the owner's next (or current) sl_wake_wait return at once. Any thread; also safe
 * from a signal handler (a write(2) of 8 bytes). */
void sl_wake_signal(struct sl_wake *w);

/* Wakes the owner if it is parked (or about to park). Any thread. */
static inline void sl_wake_notify(struct sl_wake *w)
{
#ifdef SL_TSAN
    if (atomic_fetch_or_explicit(&w->parked, 0, memory_order_seq_cst))
        sl_wake_signal(w);
#else
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&w->parked, memory_order_relaxed))
        sl_wake_signal(w);
#endif
}

/* The owner is going to sleep: publish that before the last look for work. */
static inline void sl_wake_prepare(struct sl_wake *w)
{
#ifdef SL_TSAN
    (void)atomic_exchange_explicit(&w->parked, 1, memory_order_seq_cst);
#else
    atomic_store_explicit(&w->parked, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
#endif
}

/* The last look found work: not going to sleep after all. */
static inline void sl_wake_cancel(struct sl_wake *w)
{
    atomic_store_explicit(&w->parked, 0, memory_order_relaxed);
}

/* Sleeps until a write or until the CLOCK_MONOTONIC time deadline_ns (<= now: returns at
 * once; INT64_MAX: no deadline), then clears the flag and the eventfd. True when woken by a
 * write. */
bool sl_wake_wait(struct sl_wake *w, int64_t deadline_ns);

/* CLOCK_MONOTONIC now, in ns. */
int64_t sl_wake_now_ns(void);

#endif
