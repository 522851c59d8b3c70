/*
 * io/kafka_conf.h - what the Kafka source, sink and metadata calls share: building a
 * librdkafka configuration from sluice's defaults plus the user's key=value properties,
 * turning librdkafka error codes into sluice's, and the topic metadata lookup.
 *
 * PROPERTIES
 * Every librdkafka property can be passed through as a "key=value" string (the WITH clause
 * of a table, or --set on the command line). They are applied in order after sluice's
 * defaults, so a user's value always wins; an unknown key or a bad value is an error that
 * names the key and quotes librdkafka's reason.
 *
 * ERRORS
 * librdkafka errors become SL_EKAFKA_RETRY when a later attempt may succeed (the broker is
 * briefly away, a request timed out) and SL_EKAFKA otherwise; the message always carries
 * librdkafka's own text, so nothing is lost in translation.
 */
#ifndef SL_IO_KAFKA_CONF_H
#define SL_IO_KAFKA_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "engine/core/error.h"
#include "io/record.h"

/*
 * Sets `n` properties on `conf`, each given as "key=value" (the first '=' splits). Returns 0,
 * or SL_EINVAL naming the property when a string has no '=', the key is unknown or the value
 * is rejected. `conf` stays owned by the caller.
 */
int sl_kafka_conf_set_strings(rd_kafka_conf_t *conf, const char *const *props, size_t n,
                              struct sl_error *err);

/* Sets one property; SL_EINVAL naming it on failure. */
int sl_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                      struct sl_error *err);

/* A librdkafka property: name, value. */
typedef const char *const sl_kafka_kv[2];

/* The sluice code for a librdkafka error: 0 for NO_ERROR, SL_ETIMEOUT for a timeout,
 * SL_EKAFKA_RETRY for a retriable error, SL_EKAFKA otherwise. */
int sl_kafka_err_code(rd_kafka_resp_err_t kerr);

/*
 * Number of partitions of `topic` as the cluster behind `rk` knows it (a Metadata request
 * that does not create the topic). SL_ENOTFOUND naming the topic when it does not exist,
 * a Kafka error code when the request fails or times out. `rk` stays the caller's.
 */
int sl_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, int32_t *count,
                             struct sl_error *err);

/*
 * For a producer that is about to write to `topic`: the same, except that a topic that does
 * not exist is then asked for by name, which makes a broker with auto.create.topics.enable
 * create it (with its num.partitions), as a Kafka producer's first write does - what Flink's
 * sink relies on. Asks again until the topic has partitions or `timeout_ms` is over; then
 * SL_ENOTFOUND saying that the broker did not create it. `rk` must be a producer (librdkafka
 * lets producers, not consumers, ask for auto-creation).
 */
int sl_kafka_partition_count_create(rd_kafka_t *rk, const char *topic, int timeout_ms,
                                    int32_t *count, struct sl_error *err);

/*
 * The same for a cluster given by its bootstrap address: makes a short-lived client with
 * the extra `props` (security settings, say), asks (`create`: as
 * sl_kafka_partition_count_create), and destroys it.
 */
int sl_kafka_topic_partitions(const char *bootstrap, const char *topic, const char *const *props,
                              size_t nprops, int timeout_ms, bool create, int32_t *count,
                              struct sl_error *err);

/*
 * Creates `topic` with `partitions` partitions (replication factor 1) on the cluster at
 * `bootstrap` (CreateTopics; an existing topic is SL_EKAFKA) and waits until every partition
 * has a leader. Or deletes it (DeleteTopics; a missing one is SL_ENOTFOUND). A short-lived
 * client with the extra `props`; errors name the topic. For tools (`sluice bench
 * --brokers`): a job's own topics are Flink's business, created outside it.
 */
int sl_kafka_topic_create(const char *bootstrap, const char *topic, int partitions,
                          const char *const *props, size_t nprops, int timeout_ms,
                          struct sl_error *err);
/* The same with a replication factor (-1: the broker's default.replication.factor) and
 * topic configs (name, value pairs, e.g. cleanup.policy). */
int sl_kafka_topic_create_with(const char *bootstrap, const char *topic, int partitions,
                               int replication, const char *const (*configs)[2], size_t nconfigs,
                               const char *const *props, size_t nprops, int timeout_ms,
                               struct sl_error *err);
int sl_kafka_topic_delete(const char *bootstrap, const char *topic, const char *const *props,
                          size_t nprops, int timeout_ms, struct sl_error *err);

/*
 * Hands one record to librdkafka through rd_kafka_producev, for what
 * rd_kafka_produce_batch cannot carry: the record's own timestamp (r->timestamp > 0; 0 and
 * below: librdkafka stamps it with the produce time) and its headers (r->headers, a
 * MAP<STRING, BYTES> value: each entry one header, in order). `opaque` is its delivery-report
 * opaque. A full queue waits as in sl_kafka_produce_batch (poll 10 ms, then `check`); any
 * other error names the topic and partition. `*queued` is increased by one when librdkafka
 * accepted it. Any thread.
 */
int sl_kafka_produce_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t part,
                         const struct sl_record *r, void *opaque,
                         int (*check)(void *arg, struct sl_error *err), void *arg, uint64_t *queued,
                         struct sl_error *err);

/*
 * Hands msgs[0..n) to librdkafka for partition `part` of `rkt` (RD_KAFKA_PARTITION_UA: the
 * topic's partitioner picks per record), with RD_KAFKA_MSG_F_COPY and each record's
 * `_private` as its delivery-report opaque, in order. librdkafka enqueues a prefix and marks
 * the rest: a full queue marks every record from the first that did not fit, and that suffix
 * is offered again after rd_kafka_poll(rk, 10) has served delivery reports - unless
 * `check(arg, err)`, called after each such poll, returns non-zero (the caller's own error
 * state, a failed delivery say), which is then returned. Any other error names the topic and
 * partition. `*queued` is increased by the number of records librdkafka accepted, also when
 * an error stops the call. `rk` is the handle of `rkt`; any thread (librdkafka's produce and
 * poll calls are thread-safe; delivery reports run inside the poll, on this thread).
 */
int sl_kafka_produce_batch(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t part,
                           rd_kafka_message_t *msgs, size_t n,
                           int (*check)(void *arg, struct sl_error *err), void *arg,
                           uint64_t *queued, struct sl_error *err);

/* A librdkafka log callback that drops every line: for clients whose every problem is
 * reported through sluice's errors instead (tests, the mock's own handle). */
void sl_kafka_log_quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

#endif
