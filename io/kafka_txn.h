/*
 * io/kafka_txn.h - a job's exactly-once output into Kafka: one Kafka transaction per
 * checkpoint epoch, spanning every exactly-once Kafka sink table of the job, with an epoch
 * marker inside it that tells a recovering job whether the transaction committed.
 *
 * Why this shape (docs/checkpoint-protocol.md, "Exactly-once into Kafka"):
 *
 * - Rows of epoch E (written between a worker's cut of E-1 and its cut of E) go into the
 *   transaction of E. A worker that passed its cut of E writes rows of E+1 while the
 *   transaction of E still waits for its commit, and a producer has one transaction at a
 *   time: so two transactional producers take epochs in turn, epoch E on producer E % 2,
 *   with the transactional ids "<prefix>-0" and "<prefix>-1". The set of ids is fixed by the
 *   prefix: a restarted job (or a standby taking over) calls init_transactions on both,
 *   which fences every older producer with those ids (a zombie's later commit fails) and
 *   aborts what they left open, so no lingering transaction pins the last stable offset.
 * - One transaction for every sink table of the job (Kafka transactions span topics): a
 *   crash can never leave one table's rows of an epoch committed and another's not.
 * - librdkafka cannot resume another session's transaction, so a transaction that was open
 *   at a crash is always aborted by the next start. The order of an epoch is: its records
 *   all acknowledged (sl_kafka_txn_flush) -> the commit store's PREPARED E -> the marker
 *   record {job, E} written into the transaction and the transaction committed
 *   (sl_kafka_txn_commit) -> the store's COMMITTED E. A start that finds PREPARED E asks
 *   sl_kafka_txn_resolve: the marker of E visible to a read_committed reader means the
 *   transaction committed (roll forward to E); otherwise it was aborted, and the job
 *   restores epoch E-1 and writes E's rows again.
 *
 * The marker topic (one partition, created when missing) holds records with key "<job>"
 * and value "sluice-epoch <job> <epoch>"; only the job's own transactions write it.
 *
 * Threads: sl_kafka_txn_write may be called by every worker at once (for the epoch each
 * is in: at most two epochs at a time); flush, commit and resolve by one thread (the
 * checkpoint coordinator), never for an epoch that is still being written.
 */
#ifndef SL_IO_KAFKA_TXN_H
#define SL_IO_KAFKA_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"
#include "io/record.h"

struct sl_kafka_txn;

struct sl_kafka_txn_config {
    const char *bootstrap;
    const char *prefix;       /* transactional ids "<prefix>-0", "<prefix>-1" */
    const char *job;          /* the job id, in the markers */
    const char *marker_topic; /* NULL: "<prefix>-epochs" */
    /* librdkafka properties for both producers and the marker reader, "name=value" (the
     * table's 'properties.*', e.g. transaction.timeout.ms, security settings) */
    const char *const *props;
    size_t nprops;
    int timeout_ms; /* for init_transactions, metadata and the marker lookup (0: 30 000) */
};

/* Creates the two producers and calls init_transactions on both (fencing and aborting
 * whatever earlier producers with these ids left), and makes sure the marker topic exists.
 * Errors name the broker, the transactional id and librdkafka's reason; a
 * 'transactional.id' among the props is SL_EINVAL (the prefix sets the ids). `cfg` and its
 * strings may be freed after the call; on success *out is the caller's (sl_kafka_txn_free). */
int sl_kafka_txn_new(const struct sl_kafka_txn_config *cfg, struct sl_kafka_txn **out,
                     struct sl_error *err);

/* Registers `topic` for writing (idempotent: the same name gives the same id); `*id` is
 * its handle for sl_kafka_txn_write and `*partitions` its partition count (a missing topic
 * is created by a broker that auto-creates topics, as the at-least-once sink's is; else an
 * error naming it). Call before the first write: a new topic after it is SL_ESTATE. */
int sl_kafka_txn_topic(struct sl_kafka_txn *t, const char *topic, int *id, int32_t *partitions,
                       struct sl_error *err);

/* Writes records into the transaction of `epoch` (epochs count from 1; begun on the first
 * write of the epoch, on producer epoch % 2), record i to partition parts[i] of topic `id`
 * (RD_KAFKA_PARTITION_UA, -1: murmur2 of the key, as Kafka's Java client). Records carry
 * no timestamp of their own (Kafka stamps them). A full producer queue waits for room. A
 * delivery error makes every later call of the epoch fail with it. An epoch written while
 * epoch - 2 (the same producer's) is not committed yet, or after it was committed, is
 * SL_ESTATE. */
int sl_kafka_txn_write(struct sl_kafka_txn *t, uint64_t epoch, int id, const struct sl_record *recs,
                       const int32_t *parts, size_t n, struct sl_error *err);

/* Waits until every record written into `epoch` is acknowledged; the epoch's first
 * delivery error, or SL_ETIMEOUT naming the count still unacknowledged. 0 at once for an
 * epoch that has no open transaction (it wrote nothing, or is committed). */
int sl_kafka_txn_flush(struct sl_kafka_txn *t, uint64_t epoch, int timeout_ms,
                       struct sl_error *err);

/* Writes the marker of `epoch` into its transaction (beginning one if the epoch wrote
 * nothing) and commits it. A failure leaves the outcome to sl_kafka_txn_resolve on the next
 * start (a commit that failed with an abortable error is aborted here); SL_EFENCED when a
 * newer instance with the same prefix has fenced this one. The epoch this handle committed
 * last (every sink table of the job calls it) is 0 at once; an older one is SL_ESTATE (a
 * replay). The checkpoint's thread. */
int sl_kafka_txn_commit(struct sl_kafka_txn *t, uint64_t epoch, struct sl_error *err);

/* Whether the transaction of `epoch` committed: the job's last marker visible to a
 * read_committed reader names `epoch` or a later one. Call right after sl_kafka_txn_new
 * (its init_transactions has aborted whatever was open). A transaction of some other
 * producer open on the marker topic hides what follows it: SL_ETIMEOUT naming the offsets
 * after the timeout, never a guess. The answer is kept until this handle commits: a second
 * call for the same epoch (every sink table of the job asks) does not read again. The
 * checkpoint's thread. */
int sl_kafka_txn_resolve(struct sl_kafka_txn *t, uint64_t epoch, bool *committed,
                         struct sl_error *err);

/* Counts for tests and the summary. */
struct sl_kafka_txn_stats {
    uint64_t written, delivered, commits, aborts;
};
struct sl_kafka_txn_stats sl_kafka_txn_stats(const struct sl_kafka_txn *t);

/* Aborts an open transaction (nothing of an uncommitted epoch becomes visible) and frees. */
void sl_kafka_txn_free(struct sl_kafka_txn *t);

#endif
