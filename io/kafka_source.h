/*
 * io/kafka_source.h - reading Kafka topics into records, for N workers.
 *
 * HOW IT WORKS
 * One librdkafka consumer per source (one per process in a job). Partitions are assigned
 * explicitly with rd_kafka_assign: there is no consumer-group rebalancing, and offsets live
 * in sluice's checkpoints (as in Flink), never in Kafka's committed offsets. Each assigned
 * partition's queue is forwarded to the queue of the worker that owns the partition; a
 * worker drains its own queue with rd_kafka_consume_batch_queue, straight into its array of
 * rd_kafka_message_t, and gets back records (io/record.h) that point into those messages'
 * keys and payloads: no byte is copied. The messages stay alive until the worker calls
 * sl_kafka_source_release; then they go back to librdkafka.
 *
 * OFFSETS
 * The source tracks, per partition, the next offset to read: the offset of the last record
 * handed out plus one (or the position librdkafka reports at a partition EOF, which skips
 * transaction markers). That is exactly what a checkpoint stores, and restoring means
 * starting with SL_KAFKA_START_SPECIFIC at those offsets. Until a partition started at
 * "earliest" has delivered anything its next offset stays SL_KAFKA_OFFSET_EARLIEST, which
 * restores to the same start. A "latest" start is resolved at start-up to the partition's
 * concrete end offset (a checkpoint taken before any record arrives must not say "latest",
 * which would skip what was written in between).
 *
 * TOPICS (Flink's KafkaSource semantics)
 * A source reads one topic, a list of topics, or every topic whose name a pattern matches
 * whole (PCRE2, anchored at both ends as Java's Matcher.matches(); Kafka's two internal
 * topics __consumer_offsets and __transaction_state never match). Each partition belongs to
 * one worker: with a single listed topic partition p goes to worker p % N (as before there
 * were several topics, so older checkpoints restore); otherwise Flink's
 * KafkaSourceEnumerator.getSplitOwner: ((javaHashCode(topic) * 31) & 0x7FFFFFFF) % N + p,
 * mod N - a function of the topic, the partition and N only, so a partition found later or
 * after a restart goes to the same worker. Its split id (what watermarks are tracked by) is
 * p for a single listed topic, else (h << 16) | p with h = javaHashCode(topic) mod 32749
 * (the next free h when two topics of the source collide; partition ids stay below 65536).
 *
 * PARTITION DISCOVERY ('scan.topic-partition-discovery.interval')
 * With an interval > 0 and an unbounded source, a thread of the source asks the cluster for
 * its topics every interval (one Metadata request, never on a worker's path): partitions
 * added to a topic the source reads, and topics that newly match the pattern, are added,
 * forwarded to their owner's queue and assigned at the EARLIEST offset (as Flink's
 * KafkaSource starts a partition it discovers), whatever the start-up mode. The partition
 * table only grows: entries are written once, then published (release stores) to the
 * workers, whose lookups take no lock. A bounded source never discovers (Flink sets the
 * interval to -1 for a bounded KafkaSource). A failure of the Metadata request that Kafka
 * calls retriable, or its timeout (a broker away), is retried at the next interval; any other
 * discovery failure (a partition id past 65535, more than SL_KAFKA_MAX_PARTS partitions) becomes
 * every worker's error.
 *
 * ASSIGNMENT AND RESTORE
 * Nothing is fetched until a worker polls: its first poll assigns its partitions at their
 * start offsets. Before that poll, sl_kafka_source_restore may put a checkpoint's offsets
 * (and, bounded, end offsets and done flags) in place of the start-up ones, so the first
 * fetch of every partition is already at the restored offset - no seek racing a fetch.
 *
 * START-UP MODES (Flink's 'scan.startup.mode')
 *   earliest-offset    each partition from its first retained record
 *   latest-offset      from the end offset at start-up
 *   specific-offsets   from given offsets; partitions not listed start from the earliest
 *   timestamp          from the first record with a timestamp >= the given one (ListOffsets
 *                      by time); the mock cluster cannot do this and says so
 *   group-offsets      from the offsets consumer group `group_id` committed in Kafka (the
 *                      source only reads them: it joins no group and commits nothing; its
 *                      offsets live in sluice's checkpoints); a partition without one starts
 *                      where 'auto.offset.reset' says (earliest, latest), else it is an error
 *                      naming the partition and the group (Flink's default, NONE)
 *
 * BOUNDED MODE ('scan.bounded.mode' = 'latest-offset' | 'specific-offsets')
 * The end offsets are read at start-up (rd_kafka_query_watermark_offsets) or given per
 * partition (end_offsets; a partition the list does not name is an error); records at or
 * beyond them are never handed out, a partition that reaches its end is paused, and a
 * worker's stream ends (sl_kafka_source_finished) when all its partitions have.
 *
 * ERRORS
 * An offset out of range - the broker no longer holds records the source had not read - is
 * an error that names the topic, the partition and the lost offsets, never a silent skip,
 * unless the table sets 'auto.offset.reset' (earliest or latest), which is passed through to
 * librdkafka. Any error a partition reports stops the worker that owns it: its next poll
 * returns the error, and so does every poll after that. Records of the same batch that came
 * before the error are handed out first.
 *
 * THREADS
 * sl_kafka_source_new and _free run on one thread while no worker polls (_free stops the
 * discovery thread first); sl_kafka_source_lag on any thread. Worker w's calls
 * (poll, release, finished, positions, state and restore with worker w) run on w's thread
 * only; different
 * workers poll in parallel.
 */
#ifndef SL_IO_KAFKA_SOURCE_H
#define SL_IO_KAFKA_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"
#include "io/record.h"

/* The next offset of a partition that started at "earliest" and has not delivered yet
 * (librdkafka's RD_KAFKA_OFFSET_BEGINNING); in a specific-offsets start it means the same. */
#define SL_KAFKA_OFFSET_EARLIEST (-2)
/* In a specific-offsets start only: the end offset at start-up (RD_KAFKA_OFFSET_END). */
#define SL_KAFKA_OFFSET_LATEST (-1)

enum sl_kafka_startup {
    SL_KAFKA_START_EARLIEST,  /* 'earliest-offset' */
    SL_KAFKA_START_LATEST,    /* 'latest-offset' */
    SL_KAFKA_START_SPECIFIC,  /* 'specific-offsets' */
    SL_KAFKA_START_TIMESTAMP, /* 'timestamp' */
    SL_KAFKA_START_GROUP,     /* 'group-offsets' (needs group_id) */
};

/* Most topics and partitions one source reads (its tables are allocated once, so that
 * discovery can add to them while workers read them without a lock). */
#define SL_KAFKA_MAX_TOPICS 1024
#define SL_KAFKA_MAX_PARTS 65536

/* A partition and an offset: a start position or a tracked next offset. `topic` NULL means
 * the source's first topic (start and end offsets, which Flink allows for a single topic
 * only); as the source returns it, the topic's name, owned by the source. */
struct sl_kafka_offset {
    int32_t partition;
    int64_t offset;
    const char *topic;
};

struct sl_kafka_source_config {
    const char *bootstrap; /* "host:port,..." */
    /* What to read - exactly one of: `topic` (one topic), `topics[0 .. ntopics-1]` (a list,
     * in the table's order, no name twice) or `topic_pattern` (a PCRE2 pattern matched
     * against whole topic names; sl_kafka_pattern_check says whether it compiles). */
    const char *topic;
    const char *const *topics;
    size_t ntopics;
    const char *topic_pattern;
    /* Partition discovery every this many ms; <= 0 (and any bounded source): none. */
    int64_t discovery_interval_ms;
    enum sl_kafka_startup startup;
    const struct sl_kafka_offset *offsets; /* SPECIFIC: start offsets (>= 0, or the two
                                              logical offsets above) */
    size_t noffsets;
    int64_t timestamp_ms; /* TIMESTAMP: ms since the epoch */
    const char *group_id; /* GROUP: the consumer group (also the consumer's group.id) */
    bool bounded;         /* stop at end offsets: end_offsets, else those read at start-up */
    /* bounded: NULL (the end offsets at start-up, 'latest-offset') or an end offset (>= 0,
     * exclusive) for every partition read ('specific-offsets'); it may lie beyond what the
     * partition holds yet: the source then waits for the records up to it. */
    const struct sl_kafka_offset *end_offsets;
    size_t nend_offsets;
    /* NULL or "error": out-of-range offsets are errors; "earliest"/"latest": librdkafka
     * resets to that end (records are skipped, as the table asked). */
    const char *offset_reset;
    int nworkers; /* >= 1 */
    /* One topic only: partitions to read (NULL: every partition of the topic) and, for each,
     * the worker that owns it (NULL: partitions[i] goes to worker i % nworkers). With these
     * there is no discovery. */
    const int32_t *partitions;
    const int *partition_worker;
    size_t npartitions;
    /* librdkafka properties, "key=value", applied after sluice's defaults. */
    const char *const *props;
    size_t nprops;
    int timeout_ms; /* for start-up requests (metadata, offsets); 0 means 10 s */
    /* Fill sl_record.headers: each record's headers as a MAP<STRING, BYTES> value, one
     * entry per key in the order the keys first appear, each with the value of the LAST
     * header of that key (Flink's KafkaDynamicSource puts the headers into a HashMap in
     * order, so a later header replaces an earlier one); a NULL header value is a NULL map
     * value. The encodings live until sl_kafka_source_release. */
    bool headers;
};

struct sl_kafka_source;

/*
 * Parses Flink's 'scan.startup.mode' value; an unknown one is SL_EINVAL naming it.
 */
int sl_kafka_startup_parse(const char *text, enum sl_kafka_startup *out, struct sl_error *err);

/*
 * Parses Flink's 'scan.startup.specific-offsets' (or 'scan.bounded.specific-offsets') value,
 * "partition:0,offset:42;partition:1,offset:300", into out[0 .. *n-1] (at most `cap`). SL_EPARSE
 * naming the position of a syntax error, SL_EFULL when there are more than `cap` entries, SL_EINVAL
 * for a partition listed twice or a negative number.
 */
int sl_kafka_parse_specific_offsets(const char *text, struct sl_kafka_offset *out, size_t cap,
                                    size_t *n, struct sl_error *err);

/*
 * Checks that `pattern` compiles as a topic pattern: SL_EPARSE naming PCRE2's message and
 * the character (1-based) where it went wrong.
 */
int sl_kafka_pattern_check(const char *pattern, struct sl_error *err);

/*
 * Creates the consumer and resolves start (and, bounded, end) offsets; each worker's
 * partitions are assigned by its first poll. SL_ENOTFOUND when a listed topic does not exist,
 * or when a pattern matches no topic and nothing will look again (discovery off, or bounded;
 * with discovery the source waits for such topics, as Flink's does), SL_EINVAL
 * for a bad configuration (a partition the topic lacks, a bad property), SL_ENOTSUP for a cluster
 * that cannot look up offsets by timestamp, SL_ENOTFOUND for a group-offsets start of a partition
 * the group has no offset for (and no 'auto.offset.reset'), Kafka codes otherwise.
 * `cfg` and everything it points to may be freed after the call. On success *out is the
 * caller's; free it with sl_kafka_source_free.
 */
int sl_kafka_source_new(const struct sl_kafka_source_config *cfg, struct sl_kafka_source **out,
                        struct sl_error *err);

/*
 * Worker `worker` takes up to `cap` records, waiting at most `timeout_ms` for the first
 * (0: no wait). *n is how many were written to recs[]; 0 on a timeout or when the worker
 * has finished. The records point into messages the source keeps until
 * sl_kafka_source_release(src, worker); several polls may precede one release. Returns 0 or
 * the worker's error (sticky: see ERRORS above).
 */
int sl_kafka_source_poll(struct sl_kafka_source *src, int worker, struct sl_record *recs,
                         size_t cap, int timeout_ms, size_t *n, struct sl_error *err);

/*
 * Idle workers sleep: from now on `wake(arg)` is called - on one of librdkafka's threads,
 * so it must only wake the worker - whenever a message arrives on worker `worker`'s empty
 * queue. NULL switches it off (before whatever `arg` points to goes away).
 */
void sl_kafka_source_set_waker(struct sl_kafka_source *src, int worker, void (*wake)(void *),
                               void *arg);

/* Gives every message that worker's polls returned back to librdkafka: the records they
 * filled are invalid from here on. */
void sl_kafka_source_release(struct sl_kafka_source *src, int worker);

/* True once, in bounded mode, every partition of the worker has reached its end offset
 * (always false when unbounded). */
bool sl_kafka_source_finished(const struct sl_kafka_source *src, int worker);

/*
 * The next offset of each partition of `worker` (-1: of every partition, which is only
 * safe while no worker polls), in topic then partition order (partitions found by
 * discovery after those), with the topic's name, into out[0 .. *n-1]. SL_EFULL when
 * `cap` is too small (*n then says how many are needed).
 */
int sl_kafka_source_positions(const struct sl_kafka_source *src, int worker,
                              struct sl_kafka_offset *out, size_t cap, size_t *n);

/*
 * Consumer lag, for metrics: calls emit(arg, topic, partition, next, high) for every
 * assigned partition, `next` the next offset to hand out (the partition's low watermark
 * while nothing was handed out from an 'earliest' start; -1 while neither is known) and
 * `high` its high watermark as librdkafka cached it from the last fetch response (-1 before
 * the first). Sends no request. Any thread, while workers poll.
 */
void sl_kafka_source_lag(struct sl_kafka_source *src,
                         void (*emit)(void *arg, const char *topic, int32_t partition, int64_t next,
                                      int64_t high),
                         void *arg);

/* One partition's position as a checkpoint keeps it. */
struct sl_kafka_part_state {
    int32_t partition;
    int64_t next; /* next offset to hand out (>= 0, or SL_KAFKA_OFFSET_EARLIEST) */
    int64_t end;  /* bounded: the end offset; -1 when unbounded */
    bool done;    /* bounded: every record before `end` was handed out */
    /* The topic: from sl_kafka_source_state, the source's name for it (owned by the
     * source); to sl_kafka_source_restore, any string, or NULL for the source's first. */
    const char *topic;
};

/*
 * The state of each partition of `worker`, in the order of sl_kafka_source_positions, into
 * out[0 .. *n-1]:
 * `next` is the offset after the last record its polls returned. SL_EFULL when `cap` is too
 * small (*n then says how many are needed). Runs on the worker's thread.
 */
int sl_kafka_source_state(const struct sl_kafka_source *src, int worker,
                          struct sl_kafka_part_state *out, size_t cap, size_t *n);

/*
 * Before worker `worker`'s first poll, on its thread: its partitions listed in in[0 .. n-1]
 * start at their saved `next` (replacing the start-up mode's offset); bounded, they keep the
 * saved end offset and done flag, so the restored source reads exactly the saved range.
 * Partitions of the worker not listed keep the start-up mode's offset, or with
 * `unlisted_earliest` start from the earliest offset: partitions that appeared after the
 * checkpoint was taken (Flink's restored enumerator treats them as discovered). Nothing is
 * changed on an error: SL_EINVAL for a topic the source does not read, SL_ENOTFOUND for a
 * partition the topic does not have, SL_EINVAL for one this worker does not read (or listed
 * twice, or a bad offset), or when the worker already polled. Each error names the topic and
 * the partition.
 */
int sl_kafka_source_restore(struct sl_kafka_source *src, int worker,
                            const struct sl_kafka_part_state *in, size_t n, struct sl_error *err);
int sl_kafka_source_resume(struct sl_kafka_source *src, int worker,
                           const struct sl_kafka_part_state *in, size_t n, bool unlisted_earliest,
                           struct sl_error *err);

/* Partitions read (so far), and the end offset of one of the first topic, or of `topic`
 * (bounded mode; -1 otherwise or when the partition is not read). */
size_t sl_kafka_source_npartitions(const struct sl_kafka_source *src);
int64_t sl_kafka_source_end_offset(const struct sl_kafka_source *src, int32_t partition);
int64_t sl_kafka_source_end_offset_of(const struct sl_kafka_source *src, const char *topic,
                                      int32_t partition);

/* The split id (see TOPICS) of a partition the source reads, -1 for one it does not; and the
 * split ids of worker `worker`'s partitions known now, as sl_kafka_source_positions orders
 * them (SL_EFULL when `cap` is too small; *n says how many). Any thread. */
int32_t sl_kafka_source_split(const struct sl_kafka_source *src, const char *topic,
                              int32_t partition);
/* The worker that reads partition `partition` of `topic` (NULL: the source's only topic), -1
 * for a partition the source does not read. Any thread. */
int sl_kafka_source_worker_of(const struct sl_kafka_source *src, const char *topic,
                              int32_t partition);
int sl_kafka_source_splits(const struct sl_kafka_source *src, int worker, int32_t *ids, size_t cap,
                           size_t *n);

/* The topics read now (discovery may add more), in the order they were found; `i` <
 * sl_kafka_source_ntopics. The names are the source's. */
size_t sl_kafka_source_ntopics(const struct sl_kafka_source *src);
const char *sl_kafka_source_topic(const struct sl_kafka_source *src, size_t i);

/* Releases every message, closes the consumer and frees the source; NULL is allowed. */
void sl_kafka_source_free(struct sl_kafka_source *src);

/* The librdkafka properties the source sets before the table's own ones (`n` of them): for
 * tools that must run librdkafka alone with the same settings (`sluice bench`'s floor). */
const char *const (*sl_kafka_source_defaults(size_t *n))[2];

/*
 * Commits offsets[0 .. n-1] (topic NULL: the first topic) to the consumer group of the consumer's
 * group.id (the table's 'properties.group.id'), asynchronously: for Kafka's own tools
 * (kafka-consumer-groups.sh, lag exporters) - the source's positions live in checkpoints
 * and never come from there, except with 'group-offsets' at a fresh start. The outcome is
 * librdkafka's (a failure is logged by it); 0, or a Kafka error code for a call refused
 * at once. Any thread.
 */
int sl_kafka_source_commit_offsets(struct sl_kafka_source *src, const struct sl_kafka_offset *offs,
                                   size_t n, struct sl_error *err);

#endif
