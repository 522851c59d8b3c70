/*
 * tests/util/kafkabroker.h - a real Apache Kafka broker for a test program, and the client
 * helpers its tests need (topics, records, consumer-group offsets, transactions).
 *
 * HOW IT WORKS
 * sl_kbroker_start runs `tools/kafka.sh start --owner <this pid> ARGS` (the repository is
 * found through SLUICE_SOURCE_DIR, which ctest gives every test) and reads back the
 * BOOTSTRAP= and KAFKA_DIR= lines it prints; the broker (and the ZooKeeper kafka.sh started
 * for it) runs until sl_kbroker_free, or until this process exits however it exits (kafka.sh's
 * --owner watcher). A broker takes several seconds to start, so a test program starts ONE in
 * its group set-up and gives every test a fresh topic (sl_kbroker_topic_name).
 *
 * The first start on a machine fetches the broker's jars from Maven Central (tools/kafka.sh
 * fetch; cached afterwards). When the broker cannot be fetched or started, sl_kbroker_start
 * returns SL_EIO with kafka.sh's message: tests FAIL then, they do not skip (CI machines
 * reach Maven Central).
 *
 * The helpers use one librdkafka producer handle that the broker object keeps (admin
 * requests, metadata, watermarks); producing and consuming use handles of their own.
 * Every helper waits for its answer (timeouts of 30 s) and returns 0 or a negative sl code
 * with a message naming the topic.
 */
#ifndef SL_TESTS_KAFKABROKER_H
#define SL_TESTS_KAFKABROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"

struct sl_kbroker;

/* Starts a broker; `args` are more kafka.sh start arguments ("--kraft", "--partitions 8";
 * NULL for none). *out is the caller's (sl_kbroker_free). */
int sl_kbroker_start(const char *args, struct sl_kbroker **out, struct sl_error *err);
/* The one broker of a test program whose tests share it: cmocka_run_group_tests(tests,
 * sl_kbroker_group_setup, sl_kbroker_group_teardown). The set-up starts it (kafka.sh's
 * defaults: ZooKeeper mode) or prints "FAIL: no Kafka broker: <why>" and fails the group;
 * the tear-down stops it. In between sl_kbroker_group() is that broker and
 * sl_kbroker_group_bootstrap() its address (NULL before the set-up). */
int sl_kbroker_group_setup(void **state);
int sl_kbroker_group_teardown(void **state);
struct sl_kbroker *sl_kbroker_group(void);
const char *sl_kbroker_group_bootstrap(void);

/* "127.0.0.1:PORT" and the broker's directory (logs: broker.log); owned by kb. */
const char *sl_kbroker_bootstrap(const struct sl_kbroker *kb);
const char *sl_kbroker_dir(const struct sl_kbroker *kb);
/* Stops the broker process only (tools/kafka.sh down: data and ZooKeeper stay), and starts
 * it again on the same port with the same data (tools/kafka.sh up). */
int sl_kbroker_down(struct sl_kbroker *kb, struct sl_error *err);
int sl_kbroker_up(struct sl_kbroker *kb, struct sl_error *err);
/* Stops the broker (tools/kafka.sh stop) and frees kb; NULL is fine. */
void sl_kbroker_free(struct sl_kbroker *kb);

/* A fresh topic name "<prefix>-<n>" (n counts up per program); a static buffer. */
const char *sl_kbroker_topic_name(const char *prefix);

/* Creates a topic with `partitions` partitions and the topic configs configs[0..nconfigs-1]
 * as "key=value" ("cleanup.policy=compact"). Waits until every partition has a leader. */
int sl_kbroker_create_topic(struct sl_kbroker *kb, const char *topic, int partitions,
                            const char *const *configs, size_t nconfigs, struct sl_error *err);

/* Whether the topic exists (metadata of all topics: asks without creating it). */
int sl_kbroker_topic_exists(struct sl_kbroker *kb, const char *topic, bool *exists,
                            int32_t *partitions, struct sl_error *err);

/* A record to produce: partition < 0 lets the key hash pick; timestamp <= 0 means now. */
struct sl_kbroker_rec {
    int32_t partition;
    const char *key; /* NULL: no key */
    const char *value;
    int64_t timestamp;
};

/* Produces n records (idempotent producer) and waits for every delivery. */
int sl_kbroker_produce(struct sl_kbroker *kb, const char *topic, const struct sl_kbroker_rec *recs,
                       size_t n, struct sl_error *err);

/* Produces n records in one transaction of a transactional producer (transactional.id
 * `txn_id`), then commits it (commit) or aborts it (!commit). */
int sl_kbroker_produce_txn(struct sl_kbroker *kb, const char *topic, const char *txn_id,
                           const struct sl_kbroker_rec *recs, size_t n, bool commit,
                           struct sl_error *err);

/* The low and high watermarks (first retained offset, next offset) of a partition. */
int sl_kbroker_watermarks(struct sl_kbroker *kb, const char *topic, int32_t partition, int64_t *lo,
                          int64_t *hi, struct sl_error *err);

/* Deletes the records before `offset` of a partition (DeleteRecords: what retention does,
 * at once). */
int sl_kbroker_delete_records(struct sl_kbroker *kb, const char *topic, int32_t partition,
                              int64_t offset, struct sl_error *err);

/* Commits `offset` as consumer group `group`'s offset of a partition. */
int sl_kbroker_commit_offset(struct sl_kbroker *kb, const char *group, const char *topic,
                             int32_t partition, int64_t offset, struct sl_error *err);
/* Reads group `group`'s committed offset of a partition (-1001, librdkafka's
 * RD_KAFKA_OFFSET_INVALID, when none). */
int sl_kbroker_committed_offset(struct sl_kbroker *kb, const char *group, const char *topic,
                                int32_t partition, int64_t *offset, struct sl_error *err);

/* A record read back. */
struct sl_kbroker_msg {
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    char *key; /* NUL-terminated copies; NULL when absent */
    char *value;
};

/* Reads every record of the topic from the start to the high watermarks read at the call
 * (read_committed, an independent consumer of its own): *out (caller frees with
 * sl_kbroker_msgs_free) in partition order, offset order within a partition. */
int sl_kbroker_consume(struct sl_kbroker *kb, const char *topic, struct sl_kbroker_msg **out,
                       size_t *n, struct sl_error *err);
void sl_kbroker_msgs_free(struct sl_kbroker_msg *msgs, size_t n);

#endif
