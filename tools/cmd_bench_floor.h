/*
 * tools/cmd_bench_floor.h - librdkafka alone, as `sluice bench`'s floor for the Kafka
 * workloads: the same client settings as sluice's source and sink (io/kafka_source.h,
 * io/kafka_sink.h), none of sluice's decoding, encoding or operators.
 *
 *   consume  drains a topic from its earliest offsets with rd_kafka_consume_batch_queue,
 *            releasing each message; timed from the client's creation to the last record
 *   produce  writes records held in memory with rd_kafka_produce_batch, a batch of 2048
 *            per partition in turn (round robin, as the sink), until every one is
 *            acknowledged; timed from the client's creation to the last acknowledgement
 *
 * CPU is the whole process's (CLOCK_PROCESS_CPUTIME_ID: the caller's thread and
 * librdkafka's), the broker being another process; with the in-process mock broker its
 * threads are counted too, as for sluice's own Kafka workloads.
 */
#ifndef SL_TOOLS_CMD_BENCH_FLOOR_H
#define SL_TOOLS_CMD_BENCH_FLOOR_H

#include <stddef.h>
#include <stdint.h>

struct sl_floor_rep {
    double wall, cpu;
    uint64_t records;
};

/* Records held in memory: value i is bytes[off[i], off[i + 1]). */
struct sl_floor_values {
    char *bytes;
    size_t *off;
    uint64_t n;
};

/* Drains `want` records of `topic` (all its partitions, earliest first). 0, or -1 said on
 * stderr. With `keep`, also copies the values into it (the caller frees it with
 * sl_bench_floor_values_free). */
int sl_bench_floor_consume(const char *bootstrap, const char *topic, uint64_t want,
                           struct sl_floor_rep *rep, struct sl_floor_values *keep);

/* Writes every value of `v` into `topic` (which has `partitions` partitions) and waits for
 * their acknowledgement. 0, or -1 said on stderr. */
int sl_bench_floor_produce(const char *bootstrap, const char *topic, int partitions,
                           const struct sl_floor_values *v, struct sl_floor_rep *rep);

void sl_bench_floor_values_free(struct sl_floor_values *v);

#endif
