/*
 * tests/io/kchan_check.h - what the Kafka channel's tests share (test_kafka_chan.c on the
 * mock cluster, test_kafka_chan_broker.c on a real broker): the exchange check and the
 * measurements. Static functions, included once per test program.
 *
 * THE EXCHANGE
 * W = 4 workers in two "processes" (two channel handles on one topic): A owns destinations
 * 0..1 and senders 0..1, B destinations 2..3 and sender 2. Every sender sends `per` messages
 * to every destination, from one thread that interleaves senders, destinations and polls:
 * message i of (s, d) has a size and bytes that follow from (s, d, i) alone (mostly 0..2000
 * bytes, one in 40 up to 300 KB), kinds DATA, now and then WATERMARK or BARRIER, and END
 * last. Each receiver checks, per sender, the order (i counts up, carried in aux), the kind,
 * the length and every byte, and that END comes last. The producers' queues are small, so
 * sends meet SL_EFULL and are tried again, the message kept (how often depends on the
 * machine's speed; test_kafka_chan.c's test_queue_full makes it certain); the bytes a destination
 * has not read yet stay under 2 MiB (the mock keeps 5 MiB per partition); every `purge_every`
 * messages a destination purges what it read.
 */
#ifndef SL_TESTS_IO_KCHAN_CHECK_H
#define SL_TESTS_IO_KCHAN_CHECK_H

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/ring.h"
#include "engine/core/wake.h"
#include "io/kafka_chan.h"

#define KC_W 4
#define KC_SENDERS 3
#define KC_BIG (300 * 1024)

static double kc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t kc_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t kc_seed(int s, int d, int i)
{
    return kc_mix(((uint64_t)s << 48) ^ ((uint64_t)d << 32) ^ (uint64_t)i);
}

static size_t kc_len(int s, int d, int i)
{
    uint64_t r = kc_seed(s, d, i);
    if (r % 40 == 0)
        return (size_t)((r >> 8) % (KC_BIG + 1));
    return (size_t)((r >> 8) % 2001);
}

static uint32_t kc_kind(int i, int per)
{
    if (i == per - 1)
        return SL_MSG_END;
    if (i % 17 == 16)
        return SL_MSG_WATERMARK;
    if (i % 53 == 52)
        return SL_MSG_BARRIER;
    return SL_MSG_DATA;
}

static void kc_fill(unsigned char *buf, size_t len, uint64_t seed)
{
    for (size_t j = 0; j < len; j += 8) {
        uint64_t v = kc_mix(seed + j);
        memcpy(buf + j, &v, len - j < 8 ? len - j : 8);
    }
}

struct kc_run {
    struct sl_kchan *a, *b;
    int per;
    int purge_every;
    int next_send[KC_SENDERS][KC_W]; /* the next i each (s, d) sends */
    int next_recv[KC_W][KC_SENDERS]; /* the next i each d expects from s */
    uint64_t unread[KC_W];           /* bytes sent to d and not read yet */
    int since_purge[KC_W];
    uint64_t efull, purges, received, bytes;
    unsigned char *buf, *want;
};

static struct sl_kchan *kc_owner(struct kc_run *r, int d)
{
    return d < 2 ? r->a : r->b;
}

/* Polls destination d once, checking what arrives; the number of messages. */
static int kc_poll(struct kc_run *r, int d)
{
    struct sl_kchan_msg m[16];
    struct sl_error err;
    int n = sl_kchan_poll(kc_owner(r, d), d, m, 16, &err);
    if (n < 0)
        fprintf(stderr, "poll %d: %s\n", d, err.msg);
    assert_true(n >= 0);
    for (int k = 0; k < n; k++) {
        int s = m[k].sender;
        assert_true(s >= 0 && s < KC_SENDERS);
        int i = r->next_recv[d][s]++;
        assert_int_equal(m[k].aux, (uint32_t)i); /* the sender's order */
        assert_int_equal(m[k].seq, (uint64_t)i);
        assert_true(i < r->per);
        assert_int_equal(m[k].kind, kc_kind(i, r->per)); /* END last: the last i */
        size_t len = kc_len(s, d, i);
        assert_int_equal(m[k].len, len);
        kc_fill(r->want, len, kc_seed(s, d, i));
        assert_true(len == 0 || memcmp(m[k].bytes, r->want, len) == 0);
        r->unread[d] -= len;
        r->received++;
        r->bytes += len;
    }
    if (n > 0 && r->purge_every > 0 && (r->since_purge[d] += n) >= r->purge_every) {
        r->since_purge[d] = 0;
        int64_t pos = sl_kchan_position(kc_owner(r, d), d);
        assert_true(pos > 0);
        int rc = sl_kchan_purge(kc_owner(r, d), d, pos, 10000, &err);
        if (rc)
            fprintf(stderr, "purge %d below %" PRId64 ": %s\n", d, pos, err.msg);
        assert_int_equal(rc, 0);
        r->purges++;
    }
    return n;
}

static void kc_poll_all(struct kc_run *r)
{
    for (int d = 0; d < KC_W; d++)
        while (kc_poll(r, d) > 0)
            ;
}

/* Sends message next_send[s][d] of (s, d), retrying after SL_EFULL. */
static void kc_send(struct kc_run *r, int s, int d)
{
    int i = r->next_send[s][d];
    size_t len = kc_len(s, d, i);
    while (r->unread[d] + len > 2u * 1024 * 1024 && r->unread[d] > 0) {
        struct sl_error err;
        int rc = sl_kchan_flush(r->a, 10000, &err);
        if (!rc)
            rc = sl_kchan_flush(r->b, 10000, &err);
        if (rc)
            fprintf(stderr, "flush: %s\n", err.msg);
        assert_int_equal(rc, 0);
        kc_poll_all(r);
        struct timespec pause = {.tv_nsec = 200 * 1000};
        nanosleep(&pause, NULL);
    }
    kc_fill(r->buf, len, kc_seed(s, d, i));
    struct sl_kchan *ch = s < 2 ? r->a : r->b;
    double t0 = kc_now();
    for (;;) {
        struct sl_error err;
        int rc = sl_kchan_send(ch, d, s, kc_kind(i, r->per), (uint32_t)i, r->buf, len, &err);
        if (rc == 0)
            break;
        if (rc != SL_EFULL)
            fprintf(stderr, "send: %s\n", err.msg);
        assert_int_equal(rc, SL_EFULL);
        r->efull++;
        assert_true(kc_now() - t0 < 30);
        assert_int_equal(sl_kchan_poll_sends(ch, &err), 0);
        kc_poll_all(r);
        struct timespec pause = {.tv_nsec = 200 * 1000};
        nanosleep(&pause, NULL);
    }
    r->next_send[s][d]++;
    r->unread[d] += len;
}

/* The whole exchange on `topic` (which exists with KC_W partitions, or is created by the
 * first open); `props` go to both handles. */
static void kc_exchange(const char *bs, const char *topic, const char *const *props, size_t nprops,
                        int per, int purge_every)
{
    struct kc_run *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->per = per;
    r->purge_every = purge_every;
    r->buf = malloc(KC_BIG + 8);
    r->want = malloc(KC_BIG + 8);
    struct sl_error err;
    struct sl_kchan_config ca = {.bootstrap = bs,
                                 .topic = topic,
                                 .props = props,
                                 .nprops = nprops,
                                 .workers = KC_W,
                                 .dest_lo = 0,
                                 .dest_hi = 2,
                                 .sender_lo = 0,
                                 .sender_hi = 2,
                                 .end_kind = SL_MSG_END};
    struct sl_kchan_config cb = ca;
    cb.dest_lo = 2;
    cb.dest_hi = 4;
    cb.sender_lo = 2;
    cb.sender_hi = 3;
    int rc = sl_kchan_open(&ca, &r->a, &err);
    if (rc)
        fprintf(stderr, "open A: %s\n", err.msg);
    assert_int_equal(rc, 0);
    rc = sl_kchan_open(&cb, &r->b, &err);
    if (rc)
        fprintf(stderr, "open B: %s\n", err.msg);
    assert_int_equal(rc, 0);
    double t0 = kc_now();
    uint64_t st = 42;
    int left = KC_SENDERS * KC_W * per;
    while (left > 0) {
        /* a random (s, d) that has messages left: senders interleave arbitrarily */
        st = kc_mix(st);
        int s = (int)(st % KC_SENDERS), d = (int)((st >> 8) % KC_W);
        if (r->next_send[s][d] == per)
            continue;
        kc_send(r, s, d);
        left--;
        if (left % 8 == 0)
            kc_poll_all(r);
    }
    assert_int_equal(sl_kchan_flush(r->a, 30000, &err), 0);
    assert_int_equal(sl_kchan_flush(r->b, 30000, &err), 0);
    uint64_t want = (uint64_t)KC_SENDERS * KC_W * (uint64_t)per;
    while (r->received < want) {
        assert_true(kc_now() - t0 < 120);
        int n = 0;
        for (int d = 0; d < KC_W; d++)
            n += kc_poll(r, d);
        if (!n) {
            struct timespec pause = {.tv_nsec = 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    for (int d = 0; d < KC_W; d++)
        for (int s = 0; s < KC_SENDERS; s++)
            assert_int_equal(r->next_recv[d][s], per); /* every one, END included */
    /* nothing after the ENDs */
    struct timespec pause = {.tv_nsec = 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    for (int d = 0; d < KC_W; d++)
        assert_int_equal(kc_poll(r, d), 0);
    struct sl_kchan_stats sa = sl_kchan_stats(r->a), sb = sl_kchan_stats(r->b);
    assert_int_equal(sa.sent + sb.sent, want);
    assert_int_equal(sa.delivered + sb.delivered, want);
    assert_int_equal(sa.failed + sb.failed, 0);
    assert_int_equal(sa.received + sb.received, want);
    fprintf(stderr,
            "exchange: %" PRIu64 " messages (%.1f MB) from %d senders to %d workers in %.2f s, "
            "%" PRIu64 " full-queue retries, %" PRIu64 " purges\n",
            r->received, (double)r->bytes / 1e6, KC_SENDERS, KC_W, kc_now() - t0, r->efull,
            r->purges);
    if (purge_every > 0)
        assert_true(r->purges > 0);
    sl_kchan_close(r->a, 1000);
    sl_kchan_close(r->b, 1000);
    free(r->buf);
    free(r->want);
    free(r);
}

/* ---- measurements --------------------------------------------------------------------------- */

struct kc_bench {
    struct sl_kchan *rx;
    int dest;
    int n;
    size_t len;
    _Atomic int got;
    struct sl_wake wake;
    int rc;
};

static void kc_wake(void *arg)
{
    sl_wake_signal(arg);
}

static void *kc_bench_rx(void *p)
{
    struct kc_bench *b = p;
    struct sl_kchan_msg m[64];
    struct sl_error err;
    while (atomic_load(&b->got) < b->n) {
        int n = sl_kchan_poll(b->rx, b->dest, m, 64, &err);
        if (n < 0) {
            fprintf(stderr, "bench poll: %s\n", err.msg);
            b->rc = n;
            return NULL;
        }
        for (int k = 0; k < n; k++)
            if (m[k].len != b->len || m[k].seq != (uint64_t)atomic_load(&b->got) + (uint64_t)k)
                b->rc = SL_ECORRUPT;
        atomic_fetch_add(&b->got, n);
        if (!n)
            sl_wake_wait(&b->wake, sl_wake_now_ns() + 100 * 1000 * 1000);
    }
    return NULL;
}

/* One sender to one receiver: n messages of `len` bytes, at most `window` unread (the mock
 * keeps 5 MiB per partition); then the round trip of a small message, `rounds` times.
 * Prints the figures under `label`. */
static void kc_measure(const char *label, const char *bs, const char *topic,
                       const char *const *props, size_t nprops, int n, size_t len, int window,
                       int rounds)
{
    struct sl_error err;
    struct sl_kchan_config ca = {.bootstrap = bs,
                                 .topic = topic,
                                 .props = props,
                                 .nprops = nprops,
                                 .workers = 2,
                                 .dest_lo = 0,
                                 .dest_hi = 1,
                                 .sender_lo = 0,
                                 .sender_hi = 1,
                                 .end_kind = SL_MSG_END};
    struct sl_kchan_config cb = ca;
    cb.dest_lo = 1;
    cb.dest_hi = 2;
    cb.sender_lo = 1;
    cb.sender_hi = 2;
    struct sl_kchan *a, *b;
    assert_int_equal(sl_kchan_open(&ca, &a, &err), 0);
    assert_int_equal(sl_kchan_open(&cb, &b, &err), 0);
    /* throughput: a (sender 0) to b (worker 1) */
    struct kc_bench bench = {.rx = b, .dest = 1, .n = n, .len = len};
    assert_int_equal(sl_wake_init(&bench.wake, &err), 0);
    sl_kchan_set_waker(b, 1, kc_wake, &bench.wake);
    unsigned char *buf = calloc(1, len);
    pthread_t t;
    double t0 = kc_now();
    assert_int_equal(pthread_create(&t, NULL, kc_bench_rx, &bench), 0);
    for (int i = 0; i < n; i++) {
        while (i - atomic_load(&bench.got) >= window)
            sl_kchan_poll_sends(a, NULL);
        int rc;
        while ((rc = sl_kchan_send(a, 1, 0, SL_MSG_DATA, 0, buf, len, &err)) == SL_EFULL)
            sl_kchan_poll_sends(a, NULL);
        assert_int_equal(rc, 0);
    }
    assert_int_equal(sl_kchan_flush(a, 30000, &err), 0);
    pthread_join(t, NULL);
    double dt = kc_now() - t0;
    assert_int_equal(bench.rc, 0);
    fprintf(stderr, "MEASURE %s: %d messages of %zu bytes in %.2f s: %.0f messages/s, %.1f MB/s\n",
            label, n, len, dt, n / dt, (double)n * (double)len / dt / 1e6);
    sl_kchan_set_waker(b, 1, NULL, NULL);
    sl_wake_free(&bench.wake);
    free(buf);
    /* round trip: a sends to worker 1, b answers to worker 0 */
    struct sl_wake wa, wb;
    assert_int_equal(sl_wake_init(&wa, &err), 0);
    assert_int_equal(sl_wake_init(&wb, &err), 0);
    sl_kchan_set_waker(a, 0, kc_wake, &wa);
    sl_kchan_set_waker(b, 1, kc_wake, &wb);
    double *rt = calloc((size_t)rounds, sizeof(*rt));
    struct sl_kchan_msg m[4];
    for (int i = 0; i < rounds; i++) {
        double s0 = kc_now();
        assert_int_equal(sl_kchan_send(a, 1, 0, SL_MSG_BARRIER, (uint32_t)i, "ping", 4, &err), 0);
        int got;
        while ((got = sl_kchan_poll(b, 1, m, 4, &err)) == 0) {
            sl_kchan_poll_sends(a, NULL);
            sl_wake_wait(&wb, sl_wake_now_ns() + 20 * 1000 * 1000);
        }
        assert_int_equal(got, 1);
        assert_int_equal(m[0].aux, (uint32_t)i);
        assert_int_equal(sl_kchan_send(b, 0, 1, SL_MSG_BARRIER, (uint32_t)i, "pong", 4, &err), 0);
        while ((got = sl_kchan_poll(a, 0, m, 4, &err)) == 0) {
            sl_kchan_poll_sends(b, NULL);
            sl_wake_wait(&wa, sl_wake_now_ns() + 20 * 1000 * 1000);
        }
        assert_int_equal(got, 1);
        assert_int_equal(m[0].aux, (uint32_t)i);
        rt[i] = kc_now() - s0;
    }
    for (int i = 1; i < rounds; i++) /* insertion sort: few rounds */
        for (int j = i; j > 0 && rt[j] < rt[j - 1]; j--) {
            double x = rt[j];
            rt[j] = rt[j - 1];
            rt[j - 1] = x;
        }
    fprintf(stderr,
            "MEASURE %s: round trip of a small message over %d rounds: median %.2f ms, "
            "p90 %.2f ms, max %.2f ms\n",
            label, rounds, rt[rounds / 2] * 1e3, rt[rounds * 9 / 10] * 1e3, rt[rounds - 1] * 1e3);
    free(rt);
    sl_kchan_set_waker(a, 0, NULL, NULL);
    sl_kchan_set_waker(b, 1, NULL, NULL);
    sl_kchan_close(a, 1000);
    sl_kchan_close(b, 1000);
    sl_wake_free(&wa);
    sl_wake_free(&wb);
}

#endif
