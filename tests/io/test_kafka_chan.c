/*
 * tests/io/test_kafka_chan.c - the Kafka channel between sluice processes (io/kafka_chan.h)
 * on librdkafka's mock cluster, in this process; one mock for the file, a topic per test.
 *
 *   exchange          3 senders x 4 workers over two handles ("processes"), thousands of
 *                     messages of 0 B .. 300 KB, order, kinds, bytes, END last, full queues
 *                     retried (tests/io/kchan_check.h)
 *   (purge: librdkafka 2.0.2's mock has no DeleteRecords - and after the refused request
 *   librdkafka leaks 176 bytes it allocated in rd_kafka_new, which fails the ASan build -
 *   so tests/io/test_kafka_chan_broker.c purges, on a real broker, as its exchange reads)
 *   sequence errors   forged records with a gap, a repeat, a record after END, and one that is
 *                     no channel record: each an error naming the offset, sender and seqs
 *   partition count   an existing topic with another partition count is refused
 *   start offsets     what librdkafka's consumer is assigned: absolute offsets, the first
 *                     retained one for a start at the beginning, never the logical offset
 *                     (which a new consumer resolved only after a fixed 500 ms: START in
 *                     io/kafka_chan.h); a given start as given
 *   wake-up           a record arriving wakes a sleeping worker (engine/core/wake.h)
 *   bad arguments     ranges, senders and destinations out of range, a message too large
 *   queue full        a queue of one message: the next send is SL_EFULL, sent again it arrives
 *   delivery error    a produce the broker refuses for good: the error names the topic,
 *                     partition, sender and seq, and sticks
 *   measure           64 KB messages one sender to one receiver, and a small message's round
 *                     trip (figures on stderr, "MEASURE")
 */
#include "tests/util/testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "engine/core/error.h"
#include "engine/core/ring.h"
#include "engine/core/wake.h"
#include "io/kafka_chan.h"
#include "io/kafka_conf.h"
#include "io/kafka_mock.h"
#include "tests/io/kchan_check.h"
#include "tests/util/kmock.h"

/* small producer queues: sends meet SL_EFULL */
static const char *const g_props[] = {"log_level=0", "queue.buffering.max.messages=32"};

static void test_exchange(void **state)
{
    (void)state;
    kc_exchange(sl_kmock_bootstrap(), sl_kmock_topic("chan", KC_W), g_props, 2, 250, 0);
}

/* A raw producer's record on `part` with the channel's prefix. */
static void forge(rd_kafka_t *rk, const char *topic, int part, uint32_t sender, uint32_t kind,
                  uint64_t seq)
{
    unsigned char v[SL_KCHAN_HDR_SIZE + 3];
    sl_kchan_header_put(v, sender, kind, 7, seq);
    memcpy(v + SL_KCHAN_HDR_SIZE, "abc", 3);
    assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_VALUE(v, sizeof(v)), RD_KAFKA_V_END),
                     0);
}

/* Polls `dest` until the error; returns the messages before it. */
static int poll_to_error(struct sl_kchan *ch, int dest, int expect_ok, struct sl_error *err)
{
    struct sl_kchan_msg m[8];
    int ok = 0;
    double t0 = kc_now();
    for (;;) {
        int n = sl_kchan_poll(ch, dest, m, 8, err);
        if (n < 0) {
            assert_int_equal(n, SL_ECORRUPT);
            fprintf(stderr, "expected error: %s\n", err->msg);
            break;
        }
        for (int k = 0; k < n; k++) {
            assert_int_equal(m[k].len, 3);
            assert_memory_equal(m[k].bytes, "abc", 3);
            assert_int_equal(m[k].aux, 7);
        }
        ok += n;
        assert_true(kc_now() - t0 < 10);
    }
    assert_int_equal(ok, expect_ok);
    /* sticky: the next poll says the same */
    struct sl_error again;
    assert_int_equal(sl_kchan_poll(ch, dest, m, 8, &again), SL_ECORRUPT);
    assert_string_equal(again.msg, err->msg);
    return ok;
}

static void test_sequence_errors(void **state)
{
    (void)state;
    char topic[64];
    snprintf(topic, sizeof(topic), "%s", sl_kmock_topic("chan", 4));
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", sl_kmock_bootstrap(), NULL, 0),
                     0);
    rd_kafka_conf_set_log_cb(conf, sl_kafka_log_quiet);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, NULL, 0);
    assert_non_null(rk);
    /* 0: sender 1 sends 0, 1, then 3 (2 lost); sender 2's 0 before it is fine */
    forge(rk, topic, 0, 1, SL_MSG_DATA, 0);
    forge(rk, topic, 0, 2, SL_MSG_DATA, 0);
    forge(rk, topic, 0, 1, SL_MSG_DATA, 1);
    forge(rk, topic, 0, 1, SL_MSG_DATA, 3);
    /* 1: sender 0 repeats 1 */
    forge(rk, topic, 1, 0, SL_MSG_DATA, 0);
    forge(rk, topic, 1, 0, SL_MSG_DATA, 1);
    forge(rk, topic, 1, 0, SL_MSG_DATA, 1);
    /* 2: sender 3 sends after its END */
    forge(rk, topic, 2, 3, SL_MSG_DATA, 0);
    forge(rk, topic, 2, 3, SL_MSG_END, 1);
    forge(rk, topic, 2, 3, SL_MSG_DATA, 2);
    /* 3: a record that is no channel record */
    assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(3),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_VALUE("hello", 5), RD_KAFKA_V_END),
                     0);
    assert_int_equal(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);

    struct sl_kchan_config c = {.bootstrap = sl_kmock_bootstrap(),
                                .topic = topic,
                                .props = g_props,
                                .nprops = 1,
                                .workers = 4,
                                .dest_lo = 0,
                                .dest_hi = 4,
                                .end_kind = SL_MSG_END};
    struct sl_kchan *ch;
    struct sl_error err;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), 0);
    char want[256];
    poll_to_error(ch, 0, 3, &err);
    snprintf(want, sizeof(want),
             "topic '%s' partition 0 offset 3: sender 1 expected seq 2, found seq 3 (messages "
             "lost)",
             topic);
    assert_non_null(strstr(err.msg, want));
    poll_to_error(ch, 1, 2, &err);
    snprintf(want, sizeof(want),
             "topic '%s' partition 1 offset 2: sender 0 expected seq 2, found seq 1 (a message "
             "repeated)",
             topic);
    assert_non_null(strstr(err.msg, want));
    poll_to_error(ch, 2, 2, &err);
    snprintf(want, sizeof(want),
             "topic '%s' partition 2 offset 2: sender 3 sent seq 2 after its end (seq 1)", topic);
    assert_non_null(strstr(err.msg, want));
    poll_to_error(ch, 3, 0, &err);
    snprintf(want, sizeof(want), "topic '%s' partition 3 offset 0: not a channel record", topic);
    assert_non_null(strstr(err.msg, want));
    sl_kchan_close(ch, 0);

    /* started at a given offset, a sender's first record there is its start: partition 0
     * from offset 2 reads sender 1's seq 1, then the gap to 3 */
    int64_t start[1] = {2};
    c.dest_hi = 1;
    c.start_offsets = start;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), 0);
    assert_int_equal(sl_kchan_assigned_offset(ch, 0), 2);
    poll_to_error(ch, 0, 1, &err);
    assert_non_null(strstr(err.msg, "offset 3: sender 1 expected seq 2, found seq 3"));
    sl_kchan_close(ch, 0);
}

/* A process of a job: local senders and destinations, so the topic check runs on the
 * producer and the consumer has seen no metadata of the topic when it is assigned. */
static void test_start_offsets(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("chan", 3);
    struct sl_kchan_config c = {.bootstrap = sl_kmock_bootstrap(),
                                .topic = topic,
                                .props = g_props,
                                .nprops = 1,
                                .workers = 3,
                                .dest_lo = 1,
                                .dest_hi = 3,
                                .sender_lo = 1,
                                .sender_hi = 3,
                                .end_kind = SL_MSG_END};
    struct sl_kchan *ch;
    struct sl_error err;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), 0);
    /* the position still says "from the beginning"; the consumer holds the absolute offset */
    assert_int_equal(sl_kchan_position(ch, 1), SL_KCHAN_OFFSET_BEGINNING);
    assert_int_equal(sl_kchan_assigned_offset(ch, 1), 0);
    assert_int_equal(sl_kchan_assigned_offset(ch, 2), 0);
    assert_int_equal(sl_kchan_assigned_offset(ch, 0), -1); /* not local */
    for (int i = 0; i < 3; i++)
        assert_int_equal(sl_kchan_send(ch, 2, 1, SL_MSG_DATA, (uint32_t)i, &i, sizeof(i), &err), 0);
    assert_int_equal(sl_kchan_flush(ch, 10000, &err), 0);
    /* read from the start: seq 0 first */
    struct sl_kchan_msg m[4];
    int got = 0;
    double t0 = kc_now();
    while (got < 3) {
        int n = sl_kchan_poll(ch, 2, m, 4, &err);
        assert_true(n >= 0);
        for (int k = 0; k < n; k++, got++) {
            assert_int_equal(m[k].seq, (uint64_t)got);
            assert_int_equal(m[k].offset, got);
        }
        assert_true(kc_now() - t0 < 10);
    }
    sl_kchan_close(ch, 1000);
    /* another process's handle, destinations only, one of them from a given offset */
    int64_t start[2] = {SL_KCHAN_OFFSET_BEGINNING, 1};
    c.sender_hi = c.sender_lo;
    c.start_offsets = start;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), 0);
    assert_int_equal(sl_kchan_assigned_offset(ch, 1), 0);
    assert_int_equal(sl_kchan_assigned_offset(ch, 2), 1);
    got = 0;
    t0 = kc_now();
    while (got < 2) {
        int n = sl_kchan_poll(ch, 2, m, 4, &err);
        assert_true(n >= 0);
        for (int k = 0; k < n; k++, got++)
            assert_int_equal(m[k].offset, got + 1);
        assert_true(kc_now() - t0 < 10);
    }
    sl_kchan_close(ch, 0);
}

static void test_partition_count(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("chan", 3);
    struct sl_kchan_config c = {.bootstrap = sl_kmock_bootstrap(),
                                .topic = topic,
                                .props = g_props,
                                .nprops = 1,
                                .workers = 4,
                                .dest_lo = 0,
                                .dest_hi = 2,
                                .sender_lo = 0,
                                .sender_hi = 2};
    struct sl_kchan *ch = NULL;
    struct sl_error err;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), SL_EINVAL);
    assert_null(ch);
    fprintf(stderr, "expected error: %s\n", err.msg);
    char want[160];
    snprintf(want, sizeof(want), "topic '%s' exists with 3 partitions, but the job has 4 workers",
             topic);
    assert_non_null(strstr(err.msg, want));
}

static void test_wake(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("chan", 2);
    struct sl_kchan_config c = {.bootstrap = sl_kmock_bootstrap(),
                                .topic = topic,
                                .props = g_props,
                                .nprops = 1,
                                .workers = 2,
                                .dest_lo = 1,
                                .dest_hi = 2,
                                .sender_lo = 0,
                                .sender_hi = 1};
    struct sl_kchan *ch;
    struct sl_error err;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), 0);
    struct sl_wake w;
    assert_int_equal(sl_wake_init(&w, &err), 0);
    sl_kchan_set_waker(ch, 1, kc_wake, &w);
    struct sl_kchan_msg m[2];
    assert_int_equal(sl_kchan_poll(ch, 1, m, 2, &err), 0);
    /* nothing sent: whatever wakes it (librdkafka's own operations on the queue may: a
     * wake-up only makes the worker look) finds nothing */
    sl_wake_wait(&w, sl_wake_now_ns() + 100 * 1000 * 1000);
    assert_int_equal(sl_kchan_poll(ch, 1, m, 2, &err), 0);
    assert_int_equal(sl_kchan_send(ch, 1, 0, SL_MSG_WATERMARK, 5, NULL, 0, &err), 0);
    assert_int_equal(sl_kchan_flush(ch, 10000, &err), 0);
    /* the record's arrival wakes the sleeping worker long before a 10 s deadline */
    double t0 = kc_now();
    int n;
    while ((n = sl_kchan_poll(ch, 1, m, 2, &err)) == 0) {
        assert_true(sl_wake_wait(&w, sl_wake_now_ns() + 10 * 1000000000LL));
        assert_true(kc_now() - t0 < 5);
    }
    assert_int_equal(n, 1);
    assert_int_equal(m[0].kind, SL_MSG_WATERMARK);
    assert_int_equal(m[0].aux, 5);
    assert_int_equal(m[0].len, 0);
    assert_int_equal(m[0].offset, 0);
    assert_int_equal(sl_kchan_position(ch, 1), 1);
    sl_kchan_set_waker(ch, 1, NULL, NULL);
    sl_kchan_close(ch, 1000);
    sl_wake_free(&w);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("chan", 2);
    struct sl_kchan_config c = {.bootstrap = sl_kmock_bootstrap(),
                                .topic = topic,
                                .props = g_props,
                                .nprops = 1,
                                .workers = 2,
                                .dest_lo = 1,
                                .dest_hi = 3};
    struct sl_kchan *ch;
    struct sl_error err;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), SL_EINVAL); /* dest_hi > workers */
    c.dest_hi = 1;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), SL_EINVAL); /* nothing local */
    assert_non_null(strstr(err.msg, "no local sender and no local destination"));
    static const char *const bad[] = {"no.such.property=1"};
    c.props = bad;
    c.sender_hi = 1;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "no.such.property"));
    c.props = g_props;
    c.dest_hi = 2;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), 0);
    struct sl_kchan_msg m[1];
    assert_int_equal(sl_kchan_send(ch, 1, 1, SL_MSG_DATA, 0, "x", 1, &err), SL_EINVAL);
    assert_int_equal(sl_kchan_send(ch, 2, 0, SL_MSG_DATA, 0, "x", 1, &err), SL_EINVAL);
    assert_int_equal(sl_kchan_poll(ch, 0, m, 1, &err), SL_EINVAL);
    assert_int_equal(sl_kchan_purge(ch, 0, 1, 1000, &err), SL_EINVAL);
    /* larger than message.max.bytes (1 000 000 by default) */
    unsigned char *big = calloc(1, 1000 * 1000);
    assert_int_equal(sl_kchan_send(ch, 1, 0, SL_MSG_DATA, 0, big, 1000 * 1000, &err), SL_ERANGE);
    free(big);
    /* the refused messages spent no sequence number */
    assert_int_equal(sl_kchan_send(ch, 1, 0, SL_MSG_END, 0, "x", 1, &err), 0);
    int n;
    double t0 = kc_now();
    while ((n = sl_kchan_poll(ch, 1, m, 1, &err)) == 0)
        assert_true(kc_now() - t0 < 10);
    assert_int_equal(n, 1);
    assert_int_equal(m[0].seq, 0);
    sl_kchan_close(ch, 1000);
}

static void test_queue_full(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("chan", 1);
    /* a long linger keeps the message in the queue (a flush sends it at once) */
    static const char *const one[] = {"log_level=0", "queue.buffering.max.messages=1",
                                      "linger.ms=1000"};
    struct sl_kchan_config c = {.bootstrap = sl_kmock_bootstrap(),
                                .topic = topic,
                                .props = one,
                                .nprops = 3,
                                .workers = 1,
                                .dest_lo = 0,
                                .dest_hi = 1,
                                .sender_lo = 0,
                                .sender_hi = 1,
                                .end_kind = SL_MSG_END};
    struct sl_kchan *ch;
    struct sl_error err;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), 0);
    /* one message waiting fills the queue: the next send is SL_EFULL, and sent again after
     * a flush it arrives, nothing lost and no seq spent on the refusal */
    int full = 0;
    for (int i = 0; i < 20; i++) {
        int rc;
        while ((rc = sl_kchan_send(ch, 0, 0, i == 19 ? SL_MSG_END : SL_MSG_DATA, (uint32_t)i, &i,
                                   sizeof(i), &err)) == SL_EFULL) {
            full++;
            assert_non_null(strstr(err.msg, "queue is full"));
            assert_int_equal(sl_kchan_flush(ch, 10000, &err), 0);
        }
        assert_int_equal(rc, 0);
    }
    assert_true(full >= 10); /* every other send at least */
    assert_int_equal(sl_kchan_flush(ch, 10000, &err), 0);
    struct sl_kchan_msg m[8];
    int got = 0;
    double t0 = kc_now();
    while (got < 20) {
        int n = sl_kchan_poll(ch, 0, m, 8, &err);
        assert_true(n >= 0);
        for (int k = 0; k < n; k++, got++) {
            assert_int_equal(m[k].aux, (uint32_t)got);
            assert_int_equal(m[k].seq, (uint64_t)got);
            assert_int_equal(m[k].len, sizeof(int));
            assert_memory_equal(m[k].bytes, &got, sizeof(int));
        }
        assert_true(kc_now() - t0 < 10);
    }
    fprintf(stderr, "queue full: %d refusals in 20 sends\n", full);
    sl_kchan_close(ch, 1000);
}

static void test_delivery_error(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("chan", 2);
    struct sl_kchan_config c = {.bootstrap = sl_kmock_bootstrap(),
                                .topic = topic,
                                .props = g_props,
                                .nprops = 1,
                                .workers = 2,
                                .sender_lo = 0,
                                .sender_hi = 2};
    struct sl_kchan *ch;
    struct sl_error err;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), 0);
    /* warm up: the producer has its id and its connection */
    assert_int_equal(sl_kchan_send(ch, 1, 0, SL_MSG_DATA, 0, "x", 1, &err), 0);
    assert_int_equal(sl_kchan_flush(ch, 10000, &err), 0);
    /* the broker rejects the next produce for good */
    rd_kafka_mock_push_request_errors(sl_kafka_mock_cluster(sl_kmock()), 0 /* ApiKey Produce */, 1,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    /* accepted; its failed report comes back from this send (when the mock answered
     * before the send's own poll of reports) or from the flush */
    int rc = sl_kchan_send(ch, 1, 1, SL_MSG_DATA, 0, "y", 1, &err);
    assert_true(rc == 0 || rc == SL_EKAFKA);
    assert_int_equal(sl_kchan_flush(ch, 10000, &err), SL_EKAFKA);
    fprintf(stderr, "expected error: %s\n", err.msg);
    char want[160];
    snprintf(want, sizeof(want),
             "topic '%s' partition 1: delivery of sender 1's message seq 0 failed", topic);
    assert_non_null(strstr(err.msg, want));
    /* sticky: every later send and flush says the same */
    struct sl_error again;
    assert_int_equal(sl_kchan_send(ch, 0, 0, SL_MSG_DATA, 0, "z", 1, &again), SL_EKAFKA);
    assert_string_equal(again.msg, err.msg);
    assert_int_equal(sl_kchan_poll_sends(ch, &again), SL_EKAFKA);
    assert_int_equal(sl_kchan_flush(ch, 1000, &again), SL_EKAFKA);
    struct sl_kchan_stats st = sl_kchan_stats(ch);
    assert_int_equal(st.sent, 2);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(st.failed, 1);
    sl_kchan_close(ch, 0);
}

static void test_measure(void **state)
{
    (void)state;
    static const char *const props[] = {"log_level=0"};
    kc_measure("mock", sl_kmock_bootstrap(), sl_kmock_topic("chan", 2), props, 1, 400, 64 * 1024,
               32, 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exchange),       cmocka_unit_test(test_sequence_errors),
        cmocka_unit_test(test_start_offsets),  cmocka_unit_test(test_partition_count),
        cmocka_unit_test(test_wake),           cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_delivery_error), cmocka_unit_test(test_queue_full),
        cmocka_unit_test(test_measure),
    };
    return cmocka_run_group_tests(tests, sl_kmock_setup, sl_kmock_teardown);
}
