/*
 * tests/util/kmock.h - the Kafka C tests' fixture: one librdkafka mock cluster per test
 * program (io/kafka_mock.h), made by a cmocka group setup and freed by its teardown, and
 * fresh topics on it (a new name each call, so that the cases of a group never share data).
 */
#ifndef SL_TESTS_KMOCK_H
#define SL_TESTS_KMOCK_H

#include "io/kafka_mock.h"

/* cmocka group setup / teardown: start and stop the mock cluster (setup fails the group
 * with the reason on stderr when it cannot start). */
int sl_kmock_setup(void **state);
int sl_kmock_teardown(void **state);

/* The running mock (between setup and teardown) and its bootstrap address. */
struct sl_kafka_mock *sl_kmock(void);
const char *sl_kmock_bootstrap(void);

/* A new topic "<prefix><n>" of `partitions` partitions (the test fails if it cannot be
 * made). The name lives in a static buffer until the next call: copy it to keep two. */
const char *sl_kmock_topic(const char *prefix, int partitions);

#endif
