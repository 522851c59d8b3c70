/*
 * tests/io/test_kafka_chan_broker.c - the Kafka channel between sluice processes
 * (io/kafka_chan.h) against a real Apache Kafka broker (tools/kafka.sh through
 * tests/util/kafkabroker.h), one broker for the program: what the mock cannot do.
 *
 *   exchange        the ordering check of tests/io/kchan_check.h over two handles on a
 *                   topic the first open creates (CreateTopics), purging as it reads
 *   topic           created with W partitions, also by two processes racing; another
 *                   partition count refused; an old generation's topic deleted
 *   purge           the partition's low watermark moves to the purge offset; a channel
 *                   opened afterwards from the beginning is assigned there (kafka_chan.h,
 *                   START)
 *   measure         64 KB messages one sender to one receiver, and a small message's round
 *                   trip (figures on stderr, "MEASURE")
 * Without a broker the program FAILS (it does not skip).
 */
#include "tests/util/testutil.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error.h"
#include "engine/core/ring.h"
#include "io/kafka_chan.h"
#include "tests/io/kchan_check.h"
#include "tests/util/kafkabroker.h"

static const char *const g_props[] = {"log_level=0", "queue.buffering.max.messages=32"};

static void assert_topic(const char *topic, bool exists, int32_t partitions)
{
    bool e = false;
    int32_t n = 0;
    struct sl_error err;
    assert_int_equal(sl_kbroker_topic_exists(sl_kbroker_group(), topic, &e, &n, &err), 0);
    assert_int_equal(e, exists);
    if (exists)
        assert_int_equal(n, partitions);
}

static void test_exchange(void **state)
{
    (void)state;
    char topic[64];
    snprintf(topic, sizeof(topic), "%s", sl_kbroker_topic_name("chan"));
    assert_topic(topic, false, 0);
    kc_exchange(sl_kbroker_group_bootstrap(), topic, g_props, 2, 100,
                40); /* the first open creates it */
    assert_topic(topic, true, KC_W);
    for (int d = 0; d < KC_W; d++) { /* purged as the destinations read */
        int64_t lo, hi;
        struct sl_error err;
        assert_int_equal(sl_kbroker_watermarks(sl_kbroker_group(), topic, d, &lo, &hi, &err), 0);
        fprintf(stderr, "partition %d keeps %" PRId64 "..%" PRId64 "\n", d, lo, hi);
        assert_true(lo > 0 && lo <= hi);
    }
}

struct opener {
    const char *topic;
    struct sl_kchan *ch;
    int rc;
    struct sl_error err;
};

static void *open_main(void *p)
{
    struct opener *o = p;
    struct sl_kchan_config c = {.bootstrap = sl_kbroker_group_bootstrap(),
                                .topic = o->topic,
                                .props = g_props,
                                .nprops = 1,
                                .workers = 3,
                                .dest_lo = 0,
                                .dest_hi = 3,
                                .sender_lo = 0,
                                .sender_hi = 3,
                                .end_kind = SL_MSG_END};
    o->rc = sl_kchan_open(&c, &o->ch, &o->err);
    return NULL;
}

static void test_topic(void **state)
{
    (void)state;
    char topic[64];
    snprintf(topic, sizeof(topic), "%s", sl_kbroker_topic_name("chan-gen"));
    /* two processes open a new generation's topic at once: both succeed, W partitions */
    struct opener o[2] = {{.topic = topic}, {.topic = topic}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, open_main, &o[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        if (o[i].rc)
            fprintf(stderr, "open %d: %s\n", i, o[i].err.msg);
        assert_int_equal(o[i].rc, 0);
        sl_kchan_close(o[i].ch, 1000);
    }
    assert_topic(topic, true, 3);
    /* a job with another worker count on it: refused, naming both */
    struct sl_kchan_config c = {.bootstrap = sl_kbroker_group_bootstrap(),
                                .topic = topic,
                                .props = g_props,
                                .nprops = 1,
                                .workers = 5,
                                .dest_lo = 0,
                                .dest_hi = 5};
    struct sl_kchan *ch = NULL;
    struct sl_error err;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), SL_EINVAL);
    fprintf(stderr, "expected error: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "exists with 3 partitions, but the job has 5 workers"));
    /* the old generation dropped */
    assert_int_equal(
        sl_kchan_delete_topic(sl_kbroker_group_bootstrap(), topic, g_props, 1, 10000, &err), 0);
    assert_topic(topic, false, 0);
    assert_int_equal(
        sl_kchan_delete_topic(sl_kbroker_group_bootstrap(), topic, g_props, 1, 10000, &err),
        SL_ENOTFOUND);
    assert_non_null(strstr(err.msg, topic));
}

static void test_purge(void **state)
{
    (void)state;
    char topic[64];
    snprintf(topic, sizeof(topic), "%s", sl_kbroker_topic_name("chan-purge"));
    struct sl_kchan_config c = {.bootstrap = sl_kbroker_group_bootstrap(),
                                .topic = topic,
                                .props = g_props,
                                .nprops = 1,
                                .workers = 2,
                                .dest_lo = 1,
                                .dest_hi = 2,
                                .sender_lo = 0,
                                .sender_hi = 1,
                                .end_kind = SL_MSG_END};
    struct sl_kchan *ch;
    struct sl_error err;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), 0);
    assert_int_equal(sl_kchan_position(ch, 1), SL_KCHAN_OFFSET_BEGINNING);
    assert_int_equal(sl_kchan_assigned_offset(ch, 1), 0);
    for (int i = 0; i < 100; i++) {
        int rc;
        while ((rc = sl_kchan_send(ch, 1, 0, i == 99 ? SL_MSG_END : SL_MSG_DATA, (uint32_t)i, &i,
                                   sizeof(i), &err)) == SL_EFULL)
            sl_kchan_poll_sends(ch, NULL);
        assert_int_equal(rc, 0);
    }
    assert_int_equal(sl_kchan_flush(ch, 10000, &err), 0);
    int got = 0;
    double t0 = kc_now();
    while (got < 100) {
        struct sl_kchan_msg m[16];
        int n = sl_kchan_poll(ch, 1, m, 16, &err);
        assert_true(n >= 0);
        for (int k = 0; k < n; k++) {
            assert_int_equal(m[k].aux, (uint32_t)got);
            assert_int_equal(m[k].offset, got); /* idempotent producer, no transactions */
            got++;
        }
        assert_true(kc_now() - t0 < 30);
    }
    assert_int_equal(sl_kchan_position(ch, 1), 100);
    int64_t lo, hi;
    assert_int_equal(sl_kbroker_watermarks(sl_kbroker_group(), topic, 1, &lo, &hi, &err), 0);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 100);
    assert_int_equal(sl_kchan_purge(ch, 1, 60, 10000, &err), 0);
    assert_int_equal(sl_kbroker_watermarks(sl_kbroker_group(), topic, 1, &lo, &hi, &err), 0);
    assert_int_equal(lo, 60);
    assert_int_equal(sl_kchan_purge(ch, 1, sl_kchan_position(ch, 1), 10000, &err), 0);
    assert_int_equal(sl_kbroker_watermarks(sl_kbroker_group(), topic, 1, &lo, &hi, &err), 0);
    assert_int_equal(lo, 100);
    assert_int_equal(hi, 100);
    /* beyond the end: the broker's error, naming topic, partition and offset */
    assert_true(sl_kchan_purge(ch, 1, 500, 10000, &err) < 0);
    fprintf(stderr, "expected error: %s\n", err.msg);
    char want[160];
    snprintf(want, sizeof(want), "topic '%s' partition 1: purge below offset 500", topic);
    assert_non_null(strstr(err.msg, want));
    sl_kchan_close(ch, 1000);
    /* opened again from the beginning: assigned at the first retained offset, 100 */
    c.sender_hi = c.sender_lo;
    assert_int_equal(sl_kchan_open(&c, &ch, &err), 0);
    assert_int_equal(sl_kchan_assigned_offset(ch, 1), 100);
    sl_kchan_close(ch, 0);
    assert_int_equal(
        sl_kchan_delete_topic(sl_kbroker_group_bootstrap(), topic, g_props, 1, 10000, &err), 0);
}

static void test_measure(void **state)
{
    (void)state;
    static const char *const props[] = {"log_level=0"};
    char topic[64];
    snprintf(topic, sizeof(topic), "%s", sl_kbroker_topic_name("chan-measure"));
    kc_measure("broker", sl_kbroker_group_bootstrap(), topic, props, 1, 1000, 64 * 1024, 256, 100);
    struct sl_error err;
    assert_int_equal(
        sl_kchan_delete_topic(sl_kbroker_group_bootstrap(), topic, props, 1, 10000, &err), 0);
    /* the channel's linger.ms (0) against the sink's (5) */
    static const char *const linger[] = {"log_level=0", "linger.ms=5"};
    snprintf(topic, sizeof(topic), "%s", sl_kbroker_topic_name("chan-measure"));
    kc_measure("broker linger.ms=5", sl_kbroker_group_bootstrap(), topic, linger, 2, 1000,
               64 * 1024, 256, 100);
    assert_int_equal(
        sl_kchan_delete_topic(sl_kbroker_group_bootstrap(), topic, props, 1, 10000, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exchange),
        cmocka_unit_test(test_topic),
        cmocka_unit_test(test_purge),
        cmocka_unit_test(test_measure),
    };
    return cmocka_run_group_tests(tests, sl_kbroker_group_setup, sl_kbroker_group_teardown);
}
