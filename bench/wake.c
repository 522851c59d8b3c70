/*
 * bench/wake.c - what sleeping idle workers cost (engine/core/wake.h).
 *
 * wake/handoff/park: two threads pass a token back and forth through a pair of SPSC rings,
 *   as two workers exchange messages; the receiver sleeps in sl_wake_wait whenever its ring
 *   is empty and the sender wakes it with sl_wake_notify - the executor's protocol. One
 *   iteration is one round trip; the reported time / 2 is the wake-up latency of one
 *   message to a sleeping worker (p50 / p99 of single handoffs as counters, in us).
 * wake/handoff/spin: the same with receivers that spin on their rings (what the workers did
 *   before): the floor a sleeping worker is compared with, paid for with a whole core each.
 * wake/notify/running: sl_wake_notify to a worker that is not asleep - the cost every
 *   message send pays on the busy path (a fence and a load).
 *
 * Handoff times are wall clock (two threads); on a 2-core machine with other load they
 * include the scheduler's delay in waking a thread, which is exactly what a worker sees.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bench/shim.h"
#include "engine/core/ring.h"
#include "engine/core/wake.h"

struct sl_bw_side {
    struct sl_ring *in, *out;
    struct sl_wake wake, *peer;
    bool spin;
};

struct sl_bw_pair {
    struct sl_bw_side a, b;
    _Atomic int stop;
};

/* Waits for one message on side s (sleeping or spinning); false when told to stop. */
static bool sl_bw_recv(struct sl_bw_side *s, _Atomic int *stop, struct sl_msg *m)
{
    for (;;) {
        if (sl_ring_pop(s->in, m))
            return true;
        if (atomic_load_explicit(stop, memory_order_relaxed))
            return false;
        if (s->spin)
            continue;
        sl_wake_prepare(&s->wake);
        if (sl_ring_count(s->in) > 0 || atomic_load(stop)) {
            sl_wake_cancel(&s->wake);
            continue;
        }
        sl_wake_wait(&s->wake, sl_wake_now_ns() + 100 * 1000000LL);
    }
}

static void sl_bw_send(struct sl_bw_side *s, struct sl_msg m)
{
    while (!sl_ring_push(s->out, m))
        ;
    sl_wake_notify(s->peer);
}

/* The echo side: sends back every message it gets. */
static void *sl_bw_echo(void *arg)
{
    struct sl_bw_pair *p = arg;
    struct sl_msg m;
    while (sl_bw_recv(&p->b, &p->stop, &m))
        sl_bw_send(&p->b, m);
    return NULL;
}

static int sl_bw_cmp(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

static void bm_handoff(struct sl_bench *b, void *arg)
{
    bool spin = arg != NULL;
    struct sl_bw_pair p;
    memset(&p, 0, sizeof(p));
    struct sl_error err;
    struct sl_ring *ab = sl_ring_new(NULL, 64), *ba = sl_ring_new(NULL, 64);
    if (!ab || !ba || sl_wake_init(&p.a.wake, &err) || sl_wake_init(&p.b.wake, &err)) {
        sl_bench_error(b, "set-up failed");
        return;
    }
    p.a.in = ba, p.a.out = ab, p.a.peer = &p.b.wake, p.a.spin = spin;
    p.b.in = ab, p.b.out = ba, p.b.peer = &p.a.wake, p.b.spin = spin;
    pthread_t t;
    if (pthread_create(&t, NULL, sl_bw_echo, &p) != 0) {
        sl_bench_error(b, "cannot start the echo thread");
        return;
    }
    enum { NSAMPLES = 1 << 16 };
    int64_t *rt = malloc(NSAMPLES * sizeof(*rt));
    size_t n = 0;
    while (sl_bench_running(b)) {
        int64_t t0 = sl_wake_now_ns();
        sl_bw_send(&p.a, (struct sl_msg){.kind = SL_MSG_DATA, .num = 1});
        struct sl_msg m;
        sl_bw_recv(&p.a, &p.stop, &m);
        if (rt && n < NSAMPLES)
            rt[n++] = sl_wake_now_ns() - t0;
    }
    atomic_store(&p.stop, 1);
    sl_wake_signal(&p.b.wake);
    pthread_join(t, NULL);
    if (rt && n) {
        qsort(rt, n, sizeof(*rt), sl_bw_cmp);
        sl_bench_counter(b, "oneway_p50_us", (double)rt[n / 2] / 2e3);
        sl_bench_counter(b, "oneway_p99_us", (double)rt[n * 99 / 100] / 2e3);
    }
    sl_bench_counter(b, "sleeps", (double)(p.a.wake.waits + p.b.wake.waits));
    free(rt);
    sl_wake_free(&p.a.wake);
    sl_wake_free(&p.b.wake);
    sl_ring_free(ab);
    sl_ring_free(ba);
}

static void bm_notify_running(struct sl_bench *b, void *arg)
{
    (void)arg;
    struct sl_wake w;
    struct sl_error err;
    if (sl_wake_init(&w, &err)) {
        sl_bench_error(b, "eventfd failed");
        return;
    }
    while (sl_bench_running(b))
        for (int i = 0; i < 1000; i++)
            sl_wake_notify(&w);
    sl_bench_items(b, 1000);
    sl_wake_free(&w);
}

SL_BENCH_REGISTER(sl_bm_wake_register)
{
    struct sl_bench_def *d = sl_bench_add("wake/handoff/park", bm_handoff, NULL);
    sl_bench_def_real_time(d);
    sl_bench_def_unit(d, 'u');
    d = sl_bench_add("wake/handoff/spin", bm_handoff, (void *)1);
    sl_bench_def_real_time(d);
    sl_bench_def_unit(d, 'u');
    sl_bench_add("wake/notify/running", bm_notify_running, NULL);
}
