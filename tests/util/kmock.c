/* tests/util/kmock.c - see kmock.h. */
#include "tests/util/kmock.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

static struct sl_kafka_mock *g_mock;

int sl_kmock_setup(void **state)
{
    (void)state;
    struct sl_error err;
    if (sl_kafka_mock_new(NULL, &g_mock, &err) != 0) {
        fprintf(stderr, "mock: %s\n", err.msg);
        return -1;
    }
    return 0;
}

int sl_kmock_teardown(void **state)
{
    (void)state;
    sl_kafka_mock_free(g_mock);
    g_mock = NULL;
    return 0;
}

struct sl_kafka_mock *sl_kmock(void)
{
    return g_mock;
}

const char *sl_kmock_bootstrap(void)
{
    return sl_kafka_mock_bootstrap(g_mock);
}

const char *sl_kmock_topic(const char *prefix, int partitions)
{
    static char name[64];
    static int seq;
    snprintf(name, sizeof(name), "%s%d", prefix, ++seq);
    struct sl_error err;
    int rc = sl_kafka_mock_topic_create(g_mock, name, partitions, &err);
    if (rc)
        fprintf(stderr, "topic %s: %s\n", name, err.msg);
    assert_int_equal(rc, 0);
    return name;
}
