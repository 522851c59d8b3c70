/*
 * io/kafka_mock.h - a Kafka-protocol broker in this process: librdkafka's mock cluster
 * (rdkafka_mock.h), for tests, benchmarks, the demo and `sluice kafka-mock`.
 *
 * WHAT THE MOCK IS (librdkafka 2.0.2, measured)
 * Produce, Fetch, ListOffsets, Metadata, offset commit/fetch, consumer groups and the
 * transactional API calls work. CreateTopics, DeleteTopics and offset lookup by timestamp
 * do not. Topics are created on first use (Metadata auto-creates them with the mock's
 * default partition count) or explicitly through sl_kafka_mock_topic_create. Each partition
 * keeps about 5 MiB of record batches and then drops the oldest; a Fetch returns one batch
 * per partition; an empty Fetch is held for the client's whole fetch.wait.max.ms, so
 * clients want 1-10 ms there and socket.nagle.disable=true. Transactions are API-level
 * only: a read_committed consumer still sees open and aborted records.
 *
 * PORTS
 * The mock binds each broker's listener itself to 127.0.0.1 with port 0, so the kernel
 * picks the port; 2.0.2 offers no way to choose it nor to hand it a socket (the listener is
 * made with an internal socket call, not the configurable socket_cb). For a fixed address,
 * `port` starts a small TCP forwarder on 127.0.0.1:port that relays each connection to
 * broker 1. A client only bootstraps through it: the Metadata it gets back names the
 * brokers' real (ephemeral) ports on 127.0.0.1, which it then connects to directly, so the
 * forwarder carries no data traffic and only works for clients on this machine.
 *
 * THREADS: the mock runs on its own thread; these calls may be made from any thread.
 */
#ifndef SL_IO_KAFKA_MOCK_H
#define SL_IO_KAFKA_MOCK_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "engine/core/error.h"

struct sl_kafka_mock;

struct sl_kafka_mock_config {
    int brokers; /* brokers in the cluster, ids 1..brokers; 0 means 1 */
    int port;    /* 0: no fixed port; else a bootstrap forwarder on 127.0.0.1:port */
};

/*
 * Starts a mock cluster. `cfg` may be NULL (one broker, no fixed port). On success *out is
 * the caller's, to be freed with sl_kafka_mock_free. SL_EIO naming the port when the
 * forwarder cannot listen there, SL_EKAFKA when the mock cannot start.
 */
int sl_kafka_mock_new(const struct sl_kafka_mock_config *cfg, struct sl_kafka_mock **out,
                      struct sl_error *err);

/* The bootstrap address clients use ("127.0.0.1:P" with a fixed port, else the brokers'
 * list); owned by the mock, valid until it is freed. */
const char *sl_kafka_mock_bootstrap(const struct sl_kafka_mock *mock);

/* Creates `topic` with `partitions` partitions (replication factor 1). SL_EINVAL for a bad
 * count, SL_EKAFKA with the mock's reason otherwise ("Topic already exists" when it does). */
int sl_kafka_mock_topic_create(struct sl_kafka_mock *mock, const char *topic, int partitions,
                               struct sl_error *err);

/* The underlying cluster, for error injection (rd_kafka_mock_push_request_errors ...);
 * owned by the mock. */
rd_kafka_mock_cluster_t *sl_kafka_mock_cluster(struct sl_kafka_mock *mock);

/* Stops the forwarder and the cluster and frees everything; NULL is allowed. Clients still
 * connected see their connections close. */
void sl_kafka_mock_free(struct sl_kafka_mock *mock);

#endif
