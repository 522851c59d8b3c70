/*
 * io/kafka_sink.h - writing records to one Kafka topic.
 *
 * HOW IT WORKS
 * An idempotent librdkafka producer (enable.idempotence=true: no duplicates and no
 * reordering per partition when librdkafka retries). sl_kafka_sink_write hands records to
 * librdkafka, which copies key and value, so the caller's batch may be reused as soon as
 * the call returns. Records go to a partition chosen by one of three policies:
 *   KEY_HASH     murmur2 of the key bytes, as Kafka's Java client does (librdkafka's
 *                "murmur2_random" partitioner); records without a key go to a random
 *                available partition
 *   ROUND_ROBIN  partition i % count for the i-th record the sink writes
 *   FIXED        one given partition
 *
 * DELIVERY
 * librdkafka reports every record's fate on the sink's own thread, inside sink calls (write
 * polls for reports as it goes; flush waits for all of them). A failed delivery never
 * vanishes: the first one puts the sink in an error state whose message names the topic,
 * partition and librdkafka's reason, and every later write or flush returns it. An
 * idempotent producer's fatal error does the same. Counters say how many records were
 * accepted (produced), acknowledged by the broker (delivered) and failed.
 *
 * FLUSH
 * sl_kafka_sink_flush(timeout) returns 0 once every record written so far is acknowledged:
 * the call a checkpoint makes before it declares its epoch's output durable. SL_ETIMEOUT
 * when some are still in flight at the deadline (they stay in flight; flush again).
 *
 * THREADS: a sink belongs to one thread.
 */
#ifndef SL_IO_KAFKA_SINK_H
#define SL_IO_KAFKA_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"
#include "io/record.h"

enum sl_kafka_partitioner {
    SL_KAFKA_PART_KEY_HASH,
    SL_KAFKA_PART_ROUND_ROBIN,
    SL_KAFKA_PART_FIXED,
};

struct sl_kafka_sink_config {
    const char *bootstrap;
    const char *topic;
    enum sl_kafka_partitioner partitioner;
    int32_t partition; /* FIXED: the partition */
    /* librdkafka properties, "key=value", applied after sluice's defaults. */
    const char *const *props;
    size_t nprops;
    int timeout_ms; /* for the start-up metadata request; 0 means 10 s */
    /* Optional: called inside the sink's calls (its own thread) for every record the
     * broker acknowledged, with the value as written (valid during the call only). */
    void (*on_delivered)(void *arg, const void *value, size_t len);
    void *on_delivered_arg;
};

struct sl_kafka_sink_stats {
    uint64_t produced;  /* accepted by librdkafka */
    uint64_t delivered; /* acknowledged by the broker */
    uint64_t failed;    /* delivery reports with an error */
};

struct sl_kafka_sink;

/*
 * Creates the producer. ROUND_ROBIN and FIXED read the topic's partition count first; a
 * topic that does not exist is asked for by name then, so that a broker that auto-creates
 * topics creates it (sl_kafka_partition_count_create: SL_ENOTFOUND when the broker does not);
 * SL_EINVAL for a FIXED partition the topic lacks. KEY_HASH reads nothing: the topic is
 * created on first write where the broker allows it. `cfg` may be freed after the call; on
 * success *out is the caller's (sl_kafka_sink_free).
 */
int sl_kafka_sink_new(const struct sl_kafka_sink_config *cfg, struct sl_kafka_sink **out,
                      struct sl_error *err);

/*
 * Writes n records (their topic, partition and offset fields are ignored: the broker sets
 * offsets; a timestamp <= 0 means "now", as in librdkafka). Waits while librdkafka's queue
 * is full. Returns 0, or the sink's error state.
 */
int sl_kafka_sink_write(struct sl_kafka_sink *sink, const struct sl_record *recs, size_t n,
                        struct sl_error *err);

/* Waits up to timeout_ms for every record written so far to be acknowledged; 0,
 * SL_ETIMEOUT, or the sink's error state. */
int sl_kafka_sink_flush(struct sl_kafka_sink *sink, int timeout_ms, struct sl_error *err);

/* Serves pending delivery reports without waiting; returns the error state (0 if none). */
int sl_kafka_sink_poll(struct sl_kafka_sink *sink, struct sl_error *err);

/* wake(arg) is called on one of librdkafka's threads when delivery reports wait to be
 * served (sl_kafka_sink_poll) while none were; NULL wake stops it. From the sink's thread. */
void sl_kafka_sink_set_waker(struct sl_kafka_sink *sink, void (*wake)(void *), void *arg);

struct sl_kafka_sink_stats sl_kafka_sink_stats(const struct sl_kafka_sink *sink);

/* Frees the sink after waiting up to timeout_ms for outstanding deliveries (what is still in
 * flight then is dropped); NULL is allowed. */
void sl_kafka_sink_free(struct sl_kafka_sink *sink, int timeout_ms);

/* The librdkafka properties the sink sets before the table's own ones (`n` of them): for
 * tools that must run librdkafka alone with the same settings (`sluice bench`'s floor). */
const char *const (*sl_kafka_sink_defaults(size_t *n))[2];

#endif
