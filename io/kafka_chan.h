/*
 * io/kafka_chan.h - the channel between workers of different sluice processes: one Kafka
 * topic whose partition d carries every message to global worker d (issue #15).
 *
 * HOW IT WORKS
 * A job spread over processes has W workers with global indexes 0..W-1; between two workers
 * of one process the SPSC rings (engine/core/ring.h) carry DATA, WATERMARK, BARRIER and END
 * messages, FIFO per (sender, receiver). Between processes this channel carries the same
 * messages: the topic has exactly W partitions, partition d is destination worker d's inbox,
 * and every sender writes to it. Kafka keeps each producer's records to one partition in the
 * order they were produced, and the producer is idempotent (enable.idempotence=true), so a
 * retried request neither reorders nor duplicates: each sender's messages to d arrive in the
 * order it sent them - the FIFO order the aligned barriers of docs/checkpoint-protocol.md rely
 * on. Messages of different senders interleave arbitrarily, as they do in the rings.
 *
 * One channel handle per process: one idempotent producer (shared by the process's local
 * senders, [sender_lo, sender_hi)) and one consumer that reads the local destinations'
 * partitions [dest_lo, dest_hi), each through its own queue (rd_kafka_queue_get_partition
 * forwarded to a queue per destination, as io/kafka_source.c gives each worker its own), so
 * destinations are polled independently by their workers. Partitions are assigned explicitly
 * (no consumer group, nothing committed to Kafka).
 *
 * RECORD FORMAT
 * No key; the value is a fixed 24-byte little-endian prefix, then the message's bytes:
 *     0  u32  magic "SLK1" (SL_KCHAN_MAGIC: a record that is not the channel's is refused)
 *     4  u32  sender (global worker index)
 *     8  u32  kind (the caller's: SL_MSG_DATA ... SL_MSG_END, say)
 *    12  u32  aux  (the caller's: a DATA payload's tag, say)
 *    16  u64  seq  (per (sender, destination): 0, 1, 2, ... with no gap)
 * A prefix rather than Kafka headers: the sender builds prefix and bytes in one buffer that
 * librdkafka takes over (RD_KAFKA_MSG_F_FREE: one copy, as RD_KAFKA_MSG_F_COPY would make),
 * and the receiver reads it from the payload it already holds, with no header list to parse
 * nor allocate per record (librdkafka allocates headers per record on both sides) and 24
 * bytes on the wire instead of four named headers.
 *
 * SEQUENCE CHECK
 * The receiver expects each sender's next seq on each destination: a gap (a record lost) or a
 * repeat (a record twice) is an error, SL_ECORRUPT naming the topic, partition, offset, the
 * sender, the expected and the found seq - never a silent drop. A channel read from the
 * beginning expects seq 0 first; one started at a given offset (start_offsets) takes each
 * sender's first record there as its start. Once a sender's END (kind == end_kind) arrived on
 * a destination, any later record of that sender there is an error too.
 *
 * LIFETIME OF A TOPIC ("generations")
 * Nothing of the channel is checkpointed: its barriers travel in it, and a job that restarts
 * after a failure does so on a NEW topic (one per generation, e.g. "<job>.chan.<generation>"),
 * so nothing of a dead run is read again; the old generation's topic is dropped with
 * sl_kchan_delete_topic. sl_kchan_open creates the topic when it does not exist (CreateTopics,
 * W partitions, the given replication factor; cleanup.policy=delete, retention.ms=-1 so that
 * only purge deletes, segment.bytes=50 MiB so that purged segments are freed soon - Kafka
 * Streams' settings for its repartition topics). Processes may race to create it: "already
 * exists" is fine when the partition count is W. An existing topic with another partition
 * count is SL_EINVAL naming both counts. librdkafka's mock cluster (2.0.2) cannot create
 * topics: there the caller creates it first (sl_kafka_mock_topic_create).
 *
 * START
 * A destination that starts at the beginning (SL_KCHAN_OFFSET_BEGINNING) is assigned at its
 * partition's first retained offset, looked up at open (one ListOffsets per leader), never
 * at the logical offset: librdkafka resolves a logical offset only once it knows the
 * partition's leader, and a new consumer that does not know it yet at the assignment waits
 * a fixed 500 ms before it asks again - every new process's first record came 0.5 s late
 * (docs/kafka.md, "The channel").
 *
 * PURGE
 * After an epoch commits, what a destination read before the epoch's barriers is of no use:
 * sl_kchan_purge(dest, offset) deletes the partition's records below `offset`
 * (DeleteRecords, as Kafka Streams purges its repartition topics after a commit); offsets come
 * with each polled message (sl_kchan_msg.offset) and sl_kchan_position.
 *
 * WAKE-UP
 * sl_kchan_set_waker(dest, wake, arg): librdkafka calls wake(arg) on one of its threads when a
 * record arrives on the destination's empty queue (rd_kafka_queue_cb_event_enable), e.g.
 * sl_wake_signal on the worker's struct sl_wake (engine/core/wake.h); the worker then finds
 * it in its next poll. As for the Kafka source, the call comes with librdkafka's queue lock
 * held: wake must only wake. sl_kchan_set_send_waker does the same for delivery reports.
 *
 * ERRORS
 * Sending never blocks: a full local queue (queue.buffering.max.messages / .kbytes) is
 * SL_EFULL, and the caller keeps the message and sends it again later (the sequence number is
 * spent only on success). A failed delivery (librdkafka gave up after its retries) or a fatal
 * idempotent-producer error puts the producer side in an error state naming the topic,
 * partition and reason, returned by every later send and flush. On the receiving side any
 * error of a destination (a partition error, a bad prefix, a sequence error) is returned by
 * that destination's next poll and every poll after it; the messages before it in the same
 * fetch are handed out first.
 *
 * OWNERSHIP
 * sl_kchan_open copies what it keeps of the config; the handle is the caller's
 * (sl_kchan_close). Polled messages point into librdkafka's fetched records (no copy): their
 * bytes stay valid until the next poll of the same destination or sl_kchan_close.
 *
 * THREADS
 * open and close on one thread while no one else uses the handle. send: any thread, but a
 * given sender's calls from one thread at a time (its sequence numbers are not locked);
 * different senders send in parallel. flush and poll_sends: any thread. poll, position,
 * set_waker with destination d: one thread at a time (d's worker); different destinations in
 * parallel. purge: any thread (it waits for the broker's answer, up to the timeout).
 */
#ifndef SL_IO_KAFKA_CHAN_H
#define SL_IO_KAFKA_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"

#define SL_KCHAN_MAGIC 0x314b4c53u /* "SLK1" little-endian */
#define SL_KCHAN_HDR_SIZE 24
/* start_offsets: from the partition's first retained record */
#define SL_KCHAN_OFFSET_BEGINNING (-2)

struct sl_kchan_config {
    const char *bootstrap; /* "host:port,..." */
    const char *topic;
    /* librdkafka properties, "key=value" (the job's Kafka settings: security, say), applied
     * to the producer, the consumer and the admin requests after the channel's defaults. */
    const char *const *props;
    size_t nprops;
    int workers;                  /* W: global workers = partitions */
    int dest_lo, dest_hi;         /* local destinations [lo, hi) (may be empty) */
    int sender_lo, sender_hi;     /* local senders [lo, hi) (may be empty) */
    int replication;              /* for a topic created here; 0 means 1, -1 broker default */
    const int64_t *start_offsets; /* per local destination; NULL: every one from the start */
    uint32_t end_kind;            /* the kind after which a sender sends nothing more to d */
    int timeout_ms;               /* for start-up requests; 0 means 10 s */
};

struct sl_kchan_msg {
    int32_t sender;
    uint32_t kind;
    uint32_t aux;
    uint64_t seq;
    int64_t offset;    /* in the destination's partition */
    const void *bytes; /* valid until the next poll of this destination */
    size_t len;
};

struct sl_kchan_stats {
    uint64_t sent;      /* accepted by librdkafka */
    uint64_t delivered; /* acknowledged by the broker */
    uint64_t failed;    /* delivery reports with an error */
    uint64_t received;  /* handed out by poll */
};

struct sl_kchan;

/*
 * Opens the channel: checks (or creates) the topic with exactly `workers` partitions, makes
 * the producer (when there are local senders) and the consumer (when there are local
 * destinations) and assigns the local partitions at their start offsets. SL_EINVAL for a bad
 * range or property, or a topic with another partition count; Kafka codes naming the topic
 * otherwise.
 */
int sl_kchan_open(const struct sl_kchan_config *cfg, struct sl_kchan **out, struct sl_error *err);

/*
 * Sends one message from local `sender` to global worker `dest`: partition `dest`, after the
 * prefix. The bytes are copied; the call never waits. 0; SL_EFULL when librdkafka's queue is
 * full (nothing was sent: send it again after the queue drained, sl_kchan_poll_sends or
 * flush); SL_ERANGE for a message larger than the producer's message.max.bytes; SL_EINVAL for
 * a sender or dest out of range; or the producer side's error state.
 */
int sl_kchan_send(struct sl_kchan *ch, int dest, int sender, uint32_t kind, uint32_t aux,
                  const void *bytes, size_t len, struct sl_error *err);

/* Serves delivery reports without waiting; returns the producer side's error state. */
int sl_kchan_poll_sends(struct sl_kchan *ch, struct sl_error *err);

/* Waits up to timeout_ms until every message sent so far is acknowledged: 0, SL_ETIMEOUT
 * (they stay in flight: flush again), or the producer side's error state. */
int sl_kchan_flush(struct sl_kchan *ch, int timeout_ms, struct sl_error *err);

/*
 * Up to `max` messages for local destination `dest`, without waiting: their count (0: none
 * yet), or the destination's error state (see ERRORS). The previous poll's messages of this
 * destination are released first.
 */
int sl_kchan_poll(struct sl_kchan *ch, int dest, struct sl_kchan_msg *out, int max,
                  struct sl_error *err);

/* The offset after the last message polled for `dest` (its start offset before the first
 * one, SL_KCHAN_OFFSET_BEGINNING for a start at the beginning; -1 for a destination that is
 * not local). */
int64_t sl_kchan_position(const struct sl_kchan *ch, int dest);

/* The offset librdkafka's consumer was assigned for local destination `dest`
 * (rd_kafka_assignment): the given start offset, or for a start at the beginning the
 * partition's first retained offset looked up at open (absolute, never a logical offset:
 * see START below); -1 for a destination that is not local. */
int64_t sl_kchan_assigned_offset(const struct sl_kchan *ch, int dest);

/* Deletes the records of local destination `dest`'s partition below `offset`
 * (DeleteRecords), waiting up to timeout_ms for the broker. 0, or an error naming the topic,
 * partition and offset. */
int sl_kchan_purge(struct sl_kchan *ch, int dest, int64_t offset, int timeout_ms,
                   struct sl_error *err);

/* wake(arg) when a record arrives on local destination `dest`'s empty queue (see WAKE-UP);
 * NULL stops it. */
void sl_kchan_set_waker(struct sl_kchan *ch, int dest, void (*wake)(void *), void *arg);
/* wake(arg) when delivery reports wait to be served (sl_kchan_poll_sends); NULL stops it. */
void sl_kchan_set_send_waker(struct sl_kchan *ch, void (*wake)(void *), void *arg);

struct sl_kchan_stats sl_kchan_stats(const struct sl_kchan *ch);

/* Writes the record prefix (SL_KCHAN_HDR_SIZE bytes) into `dst`: for tools and tests that
 * write channel records with a client of their own. */
void sl_kchan_header_put(void *dst, uint32_t sender, uint32_t kind, uint32_t aux, uint64_t seq);

/* Flushes up to timeout_ms (what is still in flight then is dropped), closes the consumer and
 * frees everything; NULL is allowed. The topic stays. */
void sl_kchan_close(struct sl_kchan *ch, int timeout_ms);

/* Deletes an old generation's topic (DeleteTopics): 0, SL_ENOTFOUND when it does not exist,
 * Kafka codes naming it otherwise. `props` as in the config. */
int sl_kchan_delete_topic(const char *bootstrap, const char *topic, const char *const *props,
                          size_t nprops, int timeout_ms, struct sl_error *err);

#endif
