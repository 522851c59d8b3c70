/*
 * io/record.h - a record as it comes from or goes to a source or sink: bytes plus where they
 * came from. Decoders turn records into batch rows; encoders turn rows into records. The
 * position (topic, partition, offset) is what every error about a bad record names.
 *
 * A record does not own its bytes: the source that produced it (a librdkafka message, a file
 * buffer, the generator) keeps them alive until the batch decoded from it is done.
 */
#ifndef SL_IO_RECORD_H
#define SL_IO_RECORD_H

#include <stddef.h>
#include <stdint.h>

struct sl_record {
    const char *topic; /* or a file path; never NULL */
    int32_t partition; /* -1 when the source has no partitions (a file) */
    int64_t offset;    /* Kafka offset, or byte offset in a file, or event index */
    int64_t timestamp; /* ms since the epoch, -1 if unknown */
    const void *key;   /* may be NULL */
    size_t key_len;
    const void *value; /* NULL for a tombstone */
    size_t value_len;
    /* Kafka headers as a MAP<STRING, BYTES> value (engine/core/types.h's encoding), or NULL:
     * a Kafka source fills it when asked (sl_kafka_source_config.headers; a record without
     * headers then has an empty map), a Kafka sink writes each entry as a header. */
    const char *headers;
    uint32_t headers_len;
    /* Kafka: what `timestamp` is (librdkafka's rd_kafka_timestamp_type_t: 0 none, 1 the
     * producer's CreateTime, 2 the broker's LogAppendTime); 0 elsewhere */
    int8_t timestamp_type;
};

#endif
