/*
 * engine/ops/connector.h - what a source and a sink are to the operators and the executor:
 * the interface every connector implements. The implementations and the table of them are
 * engine/conn/ (registry.h opens a table's source or sink by its 'connector' option):
 *
 *   connector    source                                   sink
 *   kafka        io/kafka_source + a format decoder       io/kafka_sink + a format encoder
 *   upsert-kafka the kafka source + the last value per key   the kafka sink: PRIMARY KEY as the
 *                (+I, -U/+U, tombstones -D)               key, -U dropped, -D a tombstone
 *   nexmark      io/nexmark (the generator)               -
 *   filesystem   files of records (bounded)               part files in a directory
 *   print        -                                        Flink's +I[...] rows on stdout
 *   blackhole    -                                        counts and drops
 *
 * A source or sink is created once per table use and shared by the job's workers: every
 * call names its worker, and calls of different workers may run at the same time (each
 * worker touches only its own part). Options are checked when the connector is created;
 * an error points at the option in the SQL file (file, line, column).
 */
#ifndef SL_ENGINE_CONNECTOR_H
#define SL_ENGINE_CONNECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "engine/core/state.h"
#include "engine/ops/operator.h"
#include "engine/plan/catalog.h"

struct sl_source;

/* What connectors get from the command line and the job. */
struct sl_connector_env {
    const struct sl_sql_source *sql; /* for errors that point at an option */
    const char *brokers;            /* --brokers: overrides 'properties.bootstrap.servers' if set */
    const char *const *kafka_props; /* extra librdkafka properties, "key=value" */
    uint32_t nkafka_props;
    FILE *print_out;          /* where 'print' writes (stdout) */
    const struct sl_job *job; /* SET values (e.g. table.exec.source.idle-timeout) */
    bool checkpoints;         /* the job takes checkpoints: sinks write per-epoch parts that
                                 only commit() makes visible */
    /* Opens a table's source (the lookup join loads its bounded table through it): the
     * registry's sl_source_open, set by whoever builds the operators. */
    int (*source_open)(const struct sl_table *table, const struct sl_connector_env *env,
                       int nworkers, struct sl_source **out, struct sl_error *err);
    /* Delivery reports (sluice bench latency), or NULL: called on worker `worker`'s thread
     * for every record a Kafka sink got acknowledged, with the encoded value as written. */
    void (*on_delivered)(void *arg, int worker, const void *value, size_t len);
    void *on_delivered_arg;
    /* With checkpoints: the job id and the checkpoint interval (exactly-once sinks name
     * their epochs with the one and size their transactions by the other). */
    const char *job_id;
    int64_t checkpoint_interval_ms;
    /* With --zk: the ZooKeeper ensemble ("host:port[,...][/chroot]") and session timeout of
     * the job; a filesystem sink locks its folder there (coord/lock.h). NULL: none. */
    const char *zk;
    int zk_session_ms;
    /* The run's stop flag (sl_exec_opts.stop; NULL: none): non-zero once the run was asked
     * to stop (SIGINT). The tableau sink ends with Flink's "Query terminated" then. */
    const _Atomic int *stop;
    /* State the connectors share between the tables of one job (owned by the job's
     * executor, zeroed; each connector frees what it put there when its last table goes). */
    struct sl_conn_shared *shared;
    /* The global workers this process runs, [worker_lo, worker_hi) (a job over several
     * processes, docs/cluster.md; else [0, nworkers)): a source or sink is opened with the
     * job's worker count and called with global worker indexes, but only these call it; it
     * must not touch (assign, open, flush) another worker's part. Both 0: every worker. */
    int worker_lo, worker_hi;
    /* A job over several processes: its W (0: one process). One folder is written by every
     * process of the job: a filesystem sink takes no folder lock, and its recovery touches
     * only the part files of [worker_lo, worker_hi) - and of workers >= W for the process
     * whose range ends at W (a restart at a smaller W settles the files of the old ones). */
    int cluster;
};

/* What the connectors of one job share. */
struct sl_conn_shared {
    /* the Kafka connector's one transaction per epoch for every exactly-once sink
     * (engine/conn/kafka.c) */
    void *kafka_txn;
};

/* ---- sources ------------------------------------------------------------------------------- */

/* What one poll produced. A batch holds rows of one split only. */
struct sl_source_info {
    int32_t split;    /* the split (Kafka partition, generator sub-stream, file) of the rows */
    bool split_done;  /* that split has no more rows (bounded) */
    bool worker_done; /* every split of this worker is done: polls return no more rows */
    /* With no rows: the CLOCK_MONOTONIC time (ns) at which this worker's next rows are due
     * (a paced generator knows it), so that an idle worker sleeps until then; 0 when the
     * source cannot tell (then it has set_waker, or the worker looks again soon). */
    int64_t wake_ns;
};

struct sl_source;

struct sl_source_ops {
    /* Appends rows of one split to `b` (empty, the table's physical schema, flattened),
     * waiting at most timeout_ms for the first. 0 rows and no flags on a timeout. */
    int (*poll)(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_batch *b, int timeout_ms,
                struct sl_source_info *info, struct sl_error *err);
    /* The ids of the splits worker `worker` reads, into ids[0 .. *n-1]; SL_EFULL if `cap` is
     * too small (*n says how many). */
    int (*splits)(struct sl_source *s, int worker, int32_t *ids, uint32_t cap, uint32_t *n);
    void (*free)(struct sl_source *s);
    /* Optional (NULL: every column is produced). Projection pushdown: the pipeline reads
     * only the physical columns with needed[i] true; the source may leave the others NULL.
     * Called once, before any poll. */
    void (*prune)(struct sl_source *s, const bool *needed, uint32_t ncols);
    /* Checkpoints (both NULL: the source cannot resume, and a job with checkpoints refuses
     * it with an error naming the table).
     * save: appends to `out` the position of worker `worker`'s splits - where its next poll
     * continues, i.e. just after every row its polls have returned - plus whatever the
     * source needs to go on identically (a generator's base time); and to `summary` a short
     * human text of the offsets, "split=offset" pairs separated by ',' (no spaces, no
     * newline), e.g. "0=1200,1=1187". Runs on that worker's thread between two polls.
     * restore: puts worker `worker`'s splits back where `in` (bytes save wrote, possibly by
     * another process) says; runs on that worker's thread before its first poll. A split
     * that save marked done stays done (its next poll reports split_done again). Errors:
     * SL_ECORRUPT for bytes that do not fit this table, with what and where. */
    int (*save)(struct sl_source *s, int worker, struct sl_sbuf *out, struct sl_sbuf *summary,
                struct sl_error *err);
    int (*restore)(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_sread *in,
                   struct sl_error *err);
    /* Optional: restore from a checkpoint taken at another worker count: in[0 .. nold - 1]
     * are what save wrote on each old worker (the callee reads each to its end); worker
     * ctx->worker takes the splits it reads at ctx->nworkers. NULL: the source's position
     * cannot be rescaled (its splits depend on the worker count), and the run is refused
     * naming the table. */
    int (*rescale)(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_sread *in,
                   uint32_t nold, struct sl_error *err);
    /* Optional: epoch `epoch` is committed; the positions of the workers' last save() are
     * the epoch's. On the coordinator's thread, before any save of the next epoch. The
     * Kafka source commits them to the table's consumer group, as Flink's does on a
     * completed checkpoint, so that Kafka's own tools show the job's progress and lag;
     * nothing depends on it (errors go to `log`). */
    void (*committed)(struct sl_source *s, uint64_t epoch, FILE *log);
    /* Optional: idle workers sleep (engine/core/wake.h). The source calls wake(arg) - from
     * any thread, e.g. a client library's - when rows may have arrived for worker `worker`
     * after one of its polls returned none. Called once per worker before its first poll. A
     * source with neither this nor wake_ns hints is polled again after 1 ms of sleep. */
    void (*set_waker)(struct sl_source *s, int worker, void (*wake)(void *arg), void *arg);
    /* Optional: consumer lag for the metrics (engine/exec/metrics.h). Calls emit(arg, topic,
     * split, next, end) once per split this process reads: `next` the offset of the next
     * record its polls will hand out (-1 while unknown: nothing read yet from an 'earliest'
     * start), `end` the split's end as the source last learnt it without asking anyone
     * (Kafka: the partition's high watermark from librdkafka's last fetch response; -1 while
     * unknown). Runs on a thread that is no worker's (the metrics endpoint's) while workers
     * poll: it reads only what may be read concurrently, takes no lock a worker holds for
     * long and never waits on the network. */
    void (*lag)(struct sl_source *s,
                void (*emit)(void *arg, const char *topic, int32_t split, int64_t next,
                             int64_t end),
                void *arg);
};

struct sl_source {
    const struct sl_source_ops *ops;
    const struct sl_table *table;
};

/* ---- sinks --------------------------------------------------------------------------------- */

struct sl_sink;

struct sl_sink_ops {
    /* Writes the active rows of `b` (the table's physical schema; `b` stays the caller's). */
    int (*write)(struct sl_sink *s, struct sl_worker_ctx *ctx, struct sl_batch *b,
                 struct sl_error *err);
    /* This worker wrote everything: flush its buffers, wait for deliveries. */
    int (*flush)(struct sl_sink *s, struct sl_worker_ctx *ctx, struct sl_error *err);
    /* Every worker has flushed: make the output final (close files). */
    int (*close)(struct sl_sink *s, struct sl_error *err);
    void (*free)(struct sl_sink *s);
    /* ---- checkpoints (all optional) ----
     * prepare: a checkpoint barrier of epoch `epoch` reached this worker: the rows it wrote
     * so far belong to that epoch. An exactly-once sink makes them durable but not visible
     * (the filesystem sink: fsync and close the epoch's in-progress part file; later rows
     * go to a new one); an at-least-once sink makes them durable (Kafka: wait for every
     * delivery). NULL: flush() is called instead. Runs on the worker's thread.
     * commit: epoch `epoch` is committed: make every prepared part of an epoch <= `epoch`
     * visible (rename into place, fsync the directory). Idempotent. Runs on the checkpoint
     * coordinator's thread, while workers may write rows of later epochs.
     * recover: before any write of a job that resumes (committed = the last committed
     * epoch) or starts with checkpoints (committed = 0): commit the prepared parts of epochs
     * <= committed that are not visible yet (a crash between the commit and the rename) and
     * delete everything of later epochs (never committed: the restored job writes those rows
     * again). Runs once, before the workers start.
     * With checkpoints on, close() must not make visible anything that commit() did not.
     *
     * A transactional sink (the Kafka sink with 'sink.delivery-guarantee' =
     * 'exactly-once') also has the four below, all on the coordinator's thread:
     * begin: once this process leads the job (never in a standby: opening transactional
     * producers fences the leader's), before the workers start: `epoch` is the first epoch
     * this run takes (its rows go into that epoch's transaction).
     * precommit: every worker prepared `epoch` and its snapshot is durable, before the
     * commit store's PREPARED: every record of the epoch acknowledged (a failure fails the
     * epoch, nothing of it committed).
     * commit_txn: after PREPARED, before COMMITTED: commit the epoch's transaction (with
     * its marker). A failure stops the run; the next start resolves the epoch.
     * resolve: at a start that finds PREPARED `epoch` in the store (a crash between
     * PREPARED and COMMITTED), as the leader, before begin: did its transaction commit?
     * Yes: the epoch is rolled forward; no: it is rolled back, the previous committed
     * epoch restored and the epoch's rows written again. */
    int (*prepare)(struct sl_sink *s, struct sl_worker_ctx *ctx, uint64_t epoch,
                   struct sl_error *err);
    int (*commit)(struct sl_sink *s, uint64_t epoch, struct sl_error *err);
    int (*recover)(struct sl_sink *s, uint64_t committed, struct sl_error *err);
    int (*begin)(struct sl_sink *s, uint64_t epoch, struct sl_error *err);
    int (*precommit)(struct sl_sink *s, uint64_t epoch, struct sl_error *err);
    int (*commit_txn)(struct sl_sink *s, uint64_t epoch, struct sl_error *err);
    int (*resolve)(struct sl_sink *s, uint64_t epoch, bool *committed, struct sl_error *err);
    /* ---- asynchronous completions (both optional) ----
     * set_waker: as the source's: `wake(arg)` is called from another thread (librdkafka's)
     * when something arrived that poll() should serve (Kafka: delivery reports); NULL wake
     * stops it. poll: serves it without waiting; the worker calls it every turn. Both on
     * the worker's thread. */
    void (*set_waker)(struct sl_sink *s, int worker, void (*wake)(void *arg), void *arg);
    int (*poll)(struct sl_sink *s, struct sl_worker_ctx *ctx, struct sl_error *err);
    /* Optional: the worker's watermark moved to `wm` (the partitioned filesystem sink's
     * partition-time commit trigger reads it). On the worker's thread. */
    int (*watermark)(
        struct sl_sink *s, struct sl_worker_ctx *ctx, int64_t wm,
        struct sl_error
            *err); /* Optional: a live job setting "sluice.sink.<table>.<option>" changed to `value`
                    * (NULL: removed, back to the table's own option). On the live configuration's
                    * thread (engine/exec/livecfg.c), while workers write: what it changes, workers
                    * read atomically. SL_ENOTFOUND: this sink cannot take `option` without a
                    * restart. */
    int (*set_option)(struct sl_sink *s, const char *option, const char *value,
                      struct sl_error *err);
};

struct sl_sink {
    const struct sl_sink_ops *ops;
    const struct sl_table *table;
};

#endif
