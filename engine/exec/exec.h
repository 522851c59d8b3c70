/*
 * engine/exec/exec.h - running a bound job: workers, pipelines, watermarks, exchange.
 *
 * HOW IT WORKS
 * sl_exec_run() turns every INSERT's plan into a pipeline: one source shared by all workers
 * (each worker reads its own splits: Kafka partitions, generator sub-streams, files) and,
 * per worker, a chain of operators built from the plan nodes above the scan. N workers
 * (default: the cores hwloc reports) run on their own threads, each pinned to a core, each
 * allocating from its own mimalloc heap. A worker loops: serve the messages other workers
 * sent it (engine/core/ring.h, one ring per ordered pair of workers), poll each of its sources
 * once, push what came down the chain. Event time: the watermark operator keeps the largest
 * rowtime per split; a worker's watermark is the minimum over its live splits (a split idle
 * for longer than 'table.exec.source.idle-timeout' stops counting; a finished split stops
 * counting), minus the table's out-of-orderness bound. A bounded run ends when every source
 * is exhausted and every window has been emitted.
 */
#ifndef SL_ENGINE_EXEC_H
#define SL_ENGINE_EXEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/core/error.h"
#include "engine/exec/checkpoint.h"
#include "engine/exec/metrics.h"
#include "engine/plan/catalog.h"

struct sl_livecfg;

struct sl_exec_opts {
    int workers;                    /* 0: one per core hwloc reports */
    bool pin;                       /* pin worker w to core w % cores */
    const char *brokers;            /* overrides every Kafka table's bootstrap servers */
    const char *const *kafka_props; /* extra librdkafka properties, "key=value" */
    uint32_t nkafka_props;
    FILE *print_out; /* the 'print' connector's output (NULL: stdout) */
    bool progress;   /* a one-line progress display on stderr */
    /* Set non-zero (from a signal handler or any thread) to stop an unbounded run. An
     * atomic, not a volatile int: the workers read it on their own threads, and a plain
     * store in a handler on another thread is a data race with those reads. */
    _Atomic int *stop;
    /* Latency (sluice bench): when set, called on the worker's thread right after each sink
     * write, with `ingest_ns` = the CLOCK_MONOTONIC time (ns) at which the source batch whose
     * push led to this write came out of its source's poll, and `rows` the rows written. For
     * a stateless pipeline that is the batch's time in the engine; for a window it is the
     * delay from the batch that moved the watermark past the window's end to the window's
     * output. `ingest_ns` is 0 when the write has no such batch: output made while serving
     * another worker's messages (exchanged windows at N > 1 workers), at the end of the
     * input, or on an idle-timeout tick. Must be cheap and thread-safe per worker. */
    void (*on_emit)(void *arg, int worker, uint64_t ingest_ns, uint64_t rows);
    void *on_emit_arg;
    /* Window delay (sluice bench): when set, called on the worker's thread right after a
     * window's rows were written downstream, with `fired_ns` = the CLOCK_MONOTONIC time (ns)
     * at which the first worker's watermark passed the window's end (the moment the window
     * could first be closed) and `rows` the window's rows. now - fired_ns is the delay of
     * the window's output after the watermark passed its end: the exchange, the wait for
     * the slowest worker's watermark, the merge and the write. */
    void (*on_window)(void *arg, int worker, uint64_t fired_ns, uint64_t rows);
    void *on_window_arg;
    /* Delivery reports (sluice bench latency): when set, a Kafka sink calls it on the
     * worker's thread for every record the broker acknowledged, with the value it wrote
     * (struct sl_connector_env's on_delivered). */
    void (*on_delivered)(void *arg, int worker, const void *value, size_t len);
    void *on_delivered_arg;
    /* Checkpoints (engine/exec/checkpoint.h; docs/checkpoint-protocol.md), or NULL: none. With
     * them the run resumes from the job's last committed epoch, takes an epoch every
     * ckpt->interval_ms (0: SET 'execution.checkpointing.interval', else 1 s), and ends a
     * bounded run - or one stopped through *stop - with a final epoch, so that everything
     * the sinks wrote is committed. */
    const struct sl_ckpt_opts *ckpt;
    /* Metrics (engine/exec/metrics.h), or NULL: the run's figures, readable through
     * sl_metrics_render from any thread while it runs. The caller owns it. */
    struct sl_metrics *metrics;
    /* Live configuration through ZooKeeper (engine/exec/livecfg.h), or NULL: the run
     * watches the job's settings node and applies what changes while it runs. The caller
     * owns it (sl_livecfg_open before, sl_livecfg_close after the run). */
    struct sl_livecfg *live;
    /* A test mode (`sluice run` with SLUICE_EXCHANGE_CODEC=1; docs/testing.md): every DATA
     * message between two different workers is encoded into bytes by its operator's
     * msg_encode on the sender and decoded by msg_decode on the receiver just before
     * receive() - the path a message to a worker of another process takes, minus the
     * channel. An operator without a codec is refused. Messages a worker sends itself stay
     * as they are. */
    bool exchange_codec;
    /* One job over several processes, static mode (docs/cluster.md), or all zero: a job of
     * cluster_workers (W) global workers of which this process runs [cluster_lo,
     * cluster_lo + workers): its workers have the global indexes base + local index, key
     * groups and source splits follow them at W, and messages to workers of other processes
     * go through the Kafka channel (io/kafka_chan.h) of topic cluster_topic at
     * cluster_brokers (its W partitions must exist). Checkpoints are refused with it. */
    int cluster_workers, cluster_lo;
    const char *cluster_brokers, *cluster_topic;
    /* One job over several processes with the assignment from ZooKeeper (`--cluster auto`,
     * docs/cluster.md; needs ckpt with zk, live and cluster_brokers; cluster_workers 0):
     * processes of the same job form the group, the leader assigns each its range of the
     * job's W global workers (coord/cluster.h: sticky, after the member set has been stable
     * for cluster_stabilization_ms with at least cluster_min_members working members), and
     * a membership change makes a new generation that every process runs WITHOUT a restart:
     * sl_exec_run tears the executor down and builds it again at the new W, restoring the
     * last committed epoch. */
    bool cluster_auto;
    int cluster_stabilization_ms; /* < 0: 2000 */
    int cluster_min_members;      /* 0: 1 */
    /* --cluster auto --standby: a spare (docs/cluster.md). It joins the group with role
     * "standby", takes no range and does not try the latch; sl_exec_run waits
     * (sl_ccluster_standby) until a generation gives it the range of a working member that
     * left, or until no working process of the job is left, then runs as a member. */
    bool standby;
    /* The largest channel record's payload: a DATA message encoded larger crosses in
     * fragments of this size (0: 512 KiB, well under Kafka's 1 MB message.max.bytes; a
     * test sets a small one: SLUICE_CHANNEL_FRAGMENT, docs/testing.md). */
    uint32_t cluster_fragment;
};

struct sl_exec_summary {
    int workers;
    double seconds;       /* wall time from start to the end of the last pipeline */
    double cpu_seconds;   /* CPU time of the process over the run */
    uint64_t rows_in;     /* rows the sources produced */
    uint64_t rows_out;    /* rows the sinks took */
    uint64_t late_rows;   /* rows dropped as late */
    uint64_t bad_records; /* records skipped or dead-lettered */
    int64_t watermark;    /* the lowest worker watermark at the end */
    /* checkpoints */
    uint64_t restored_epoch; /* the epoch the run resumed from (0: none) */
    uint64_t last_epoch;     /* the last epoch committed (0: none) */
    uint32_t checkpoints;    /* epochs committed by this run */
    uint32_t checkpoints_failed;
    double ckpt_p50_ms, ckpt_p99_ms, ckpt_max_ms; /* trigger to commit, sinks committed */
    double ckpt_align_p50_ms;                     /* trigger to the last worker's snapshot */
    uint64_t ckpt_bytes;                          /* snapshot bytes of the last epoch */
    uint64_t ckpt_state_bytes;                    /* state bytes of the last epoch */
    double restore_ms; /* resuming: from opening the commit store to the last worker's
                          sources and operators restored (0: a fresh start) */
    /* sl_exec_opts.exchange_codec: the DATA messages encoded, and their bytes */
    uint64_t codec_msgs, codec_bytes;
    /* a job over several processes: the messages and bytes (payloads, without the channel's
     * 24-byte prefix) this process sent to and received from the others */
    uint64_t chan_sent, chan_sent_bytes, chan_recv, chan_recv_bytes;
    uint32_t chan_full;  /* sends the channel refused as full (sent again later) */
    uint64_t chan_frags; /* messages sent in fragments (sl_exec_opts.cluster_fragment) */
    /* --cluster auto: the generations this process ran (the figures above are the last
     * one's), and the rebalance times it measured as the leader of a generation (from its
     * publication to the first epoch it committed) */
    uint32_t generations, rebalances;
    double rebalance_last_ms, rebalance_max_ms;
    int64_t promoted; /* started with --standby: the generation that gave it work (0: none) */
};

/*
 * Runs every INSERT of `job` until the sources end (bounded) or *opts->stop is set. Fills
 * `sum` (may be NULL). Returns 0 or the first error of any worker (the others are stopped),
 * with `err` naming what and where.
 */
int sl_exec_run(const struct sl_job *job, const struct sl_exec_opts *opts,
                struct sl_exec_summary *sum, struct sl_error *err);

/* The number of cores hwloc reports within the cpuset this process is bound to (taskset,
 * a cgroup's cpuset; at least 1): the default worker count, and the `cores` of a member
 * node - so --cluster auto's assignment, as many global workers per member as it runs, is
 * proportional to the members' cores when --workers is not given. */
int sl_exec_default_workers(void);

#endif
