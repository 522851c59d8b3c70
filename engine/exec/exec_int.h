/*
 * engine/exec/exec_int.h - what the executor (exec.c, prefix sl_exec_) and the checkpoint
 * coordinator (coordinator.c, prefix sl_coordinator_) share: the run, its workers and
 * pipelines. Not for anything outside engine/exec/.
 *
 * THREADS: struct sl_worker belongs to its worker thread, except the fields marked
 * _Atomic (read by the coordinator) and ck_state (handed over through ck_ready); struct
 * sl_coordinator belongs to the run's monitor thread.
 */
#ifndef SL_ENGINE_EXEC_INT_H
#define SL_ENGINE_EXEC_INT_H

#include <hwloc.h>
#include <pthread.h>
#include <stdatomic.h>

#include "coord/cluster.h"
#include "engine/conn/registry.h"
#include "engine/core/ring.h"
#include "engine/core/wake.h"
#include "engine/exec/checkpoint.h"
#include "engine/exec/exec.h"
#include "engine/exec/livecfg.h"
#include "engine/exec/metrics.h"
#include "engine/exec/msgq.h"
#include "engine/ops/operator.h"
#include "io/kafka_chan.h"

#define SL_RING_CAP 1024
#define SL_MAX_SPLITS 4096

/* A pipeline: one INSERT's chain from its first scan to its sink, or a segment: the chain
 * from another scan of the INSERT to one input of a join (the join's right input, plan
 * join.right). A plan that is a tree is its INSERT's pipeline plus one segment per join,
 * each segment in x->pipes after the pipeline whose join it feeds. */
struct sl_pipe {
    const struct sl_plan **nodes; /* scan first, sink (or the join's right input) last */
    uint32_t nnodes;
    struct sl_source *source; /* owned unless share >= 0 */
    /* source reuse ('table.optimizer.reuse-source-enabled', Flink's, on by default): a
     * pipeline scanning the same table as an earlier one reads that one's source (share:
     * its index) - polled once, each batch copied into this pipeline's chain (its needed
     * columns) - else share is -1; follow[0 .. nfollow) are the pipelines that read this
     * one's */
    int share;
    uint32_t nfollow;
    uint32_t *follow;
    struct sl_sink *sink; /* NULL for a segment */
    int into_pipe;        /* a segment: the pipeline of the join it feeds; -1 otherwise */
    uint32_t into_node;   /* ... and the join's node index there */
    struct sl_schema *scan_schema;
    uint32_t tag_base; /* node i's operator has tag tag_base + i */
    bool **need;       /* need[i][c]: column c of node i's output is read downstream */

    /* the source's rate limit (engine/exec/livecfg.h), once rate_init */
    struct sl_rate rate;
    bool rate_init;
};

/* A pipeline's instance on one worker. */
struct sl_wpipe {
    struct sl_op **ops;  /* index = node index; [0] (the scan) is NULL */
    struct sl_op *first; /* the operator above the scan */
    struct sl_op *wm;    /* the watermark operator, if the table has one */
    struct sl_op *ptwm;  /* the processing-time watermark operator, if a window needs one */
    struct sl_batch_pool *pool;
    int64_t wake_ns; /* the source's last hint: its next rows are due then (0: none) */
    bool source_done;
    bool finished; /* the sink's finish() ran on this worker */
};

/* What one worker did for one pipeline, for the metrics (engine/exec/metrics.h): its
 * struct sl_worker_stats split by pipeline (sl_exec_account). Written by that worker only,
 * through sl_stats_add; read by the metrics endpoint's thread. */
struct sl_pipe_stats {
    uint64_t rows_in, bytes_in, bad_records; /* the pipeline's source */
    uint64_t late_rows;
    uint64_t rows_out, bytes_out; /* the pipeline's sink */
};

/* The checkpoint figures the metrics read (the coordinator stores them with relaxed atomic
 * stores on the monitor thread; sums in microseconds, so that a summary is exact). */
struct sl_ckpt_live {
    uint64_t epoch;       /* the last committed epoch (0: none) */
    uint64_t committed;   /* epochs this run committed */
    uint64_t failed;      /* epochs that failed */
    uint64_t dur_us;      /* sum over the committed epochs: trigger to sinks committed */
    uint64_t align_us;    /* sum: trigger to the last worker's snapshot */
    uint64_t bytes;       /* the last epoch's snapshot bytes written */
    uint64_t state_bytes; /* the last epoch's state bytes */
};

/* A DATA message encoded for a worker of another process, sent fragment by fragment
 * (exec.c, SL_CHAN_FRAG): active while fragments remain after a full channel queue. */
struct sl_chan_out {
    struct sl_sbuf buf;
    size_t off;
    bool active;
};

struct sl_worker {
    struct sl_exec *exec;
    int id;  /* local: the index into x->workers, rings, ck_states, pstats */
    int gid; /* global: x->base + id, the worker index operators and connectors see */
    pthread_t thread;
    bool started;
    struct sl_worker_ctx ctx;
    struct sl_worker_stats stats;
    struct sl_wpipe *wp;
    struct sl_op **by_tag;
    struct sl_pending *pending; /* per destination worker (global index: x->nall) */
    /* a job over several processes (x->chan): per sender (global index), the messages that
     * came through the channel after that sender's checkpoint barrier, decoded, kept in
     * order until this worker's snapshot (one channel partition interleaves every remote
     * sender, so a sender cannot simply be left unread as a ring is); the channel's
     * encoding buffer and figures */
    struct sl_holdback held;
    struct sl_chan_out *chan_out; /* per destination (global): a DATA message being sent */
    struct sl_sbuf *chan_in;      /* per sender (global): a fragmented message's bytes so far */
    uint64_t chan_sent, chan_sent_bytes, chan_recv, chan_recv_bytes;
    uint32_t chan_full;
    uint64_t chan_frags;
    int rc;
    struct sl_error err;
    double end; /* wall time its loop ended (the summary's clock) */
    _Atomic int done;
    /* checkpoints (see "checkpoints" below) */
    uint64_t ck_epoch;               /* the epoch being aligned; 0 when none */
    uint64_t ck_done;                /* the last epoch this worker took its snapshot of */
    bool *ck_blocked;                /* per sender (global): its barrier of ck_epoch arrived */
    int ck_nbar;                     /* how many have */
    struct sl_ckpt_wstate *ck_state; /* x->ck_states[id]: read by the coordinator */
    int ck_rc;                       /* the snapshot's outcome, with ck_err */
    bool ck_ended; /* at its last snapshot, every pipeline of this worker had finished */
    struct sl_error ck_err;
    _Atomic uint64_t ck_ready; /* ck_state holds this epoch's snapshot */
    _Atomic int idle_done;     /* every pipeline finished: only barriers are left to serve */
    _Atomic int input_ended;   /* every pipeline finished because its input ended (not a stop) */
    double restored_at;        /* wall time its operators were built and restored */
    struct sl_wake wake;       /* where it sleeps when idle (engine/core/wake.h) */
    /* metrics: stats as far as sl_exec_account has split them by pipeline (the worker's),
     * this worker's row of x->pstats, and the time of its busy turns (atomic stores) */
    struct sl_worker_stats acct;
    struct sl_pipe_stats *pstats;
    uint64_t busy_ns;
    int64_t last_tick_ns; /* the last idle-timeout watermark tick */
    /* the exchange codec's loopback (sl_exec_opts.exchange_codec): the encoding buffer, and
     * the DATA messages this worker encoded for other workers and their bytes */
    struct sl_sbuf codec_buf;
    uint64_t codec_msgs, codec_bytes;
};

struct sl_exec {
    const struct sl_job *job;
    const struct sl_exec_opts *opts;
    int n;    /* local workers (threads; rings n x n) */
    int nall; /* the job's workers over every process (W; n in a single process) */
    int base; /* this process's first global worker: its workers are [base, base + n) */
    struct sl_kchan *chan; /* the channel to the other processes' workers (NULL: none) */
    uint32_t kg_max;       /* the job's key groups (engine/core/keygroup.h; 0: hash % n) */
    bool rescaled; /* the restored epoch had another worker count (sl_coordinator_rescale) */
    struct sl_pipe *pipes;
    uint32_t npipes; /* the INSERTs' pipelines first, then the segments (struct sl_pipe) */
    uint32_t nsegs;  /* while setting up: pipes set up so far */
    uint32_t ntags;
    struct sl_worker *workers;
    struct sl_ring **rings; /* rings[from * n + to] */
    _Atomic int failed;
    /* checkpoints: the workers built and restored their operators (counted whether or not
     * that succeeded); they start only once `gate` opens, after the sinks' recovery, so that a
     * state refused at restore (another generator rate, a source that no longer fits) leaves
     * the sinks' visible output as it was */
    _Atomic int nrestored, gate;
    struct sl_connector_env env;
    struct sl_conn_shared shared; /* env.shared */
    /* 'table.exec.source.idle-timeout' (0: never idle); a live change (livecfg.c) is taken
     * by each worker at its next turn */
    _Atomic int64_t idle_ms;
    hwloc_topology_t topo;
    int ncores;
    /* checkpoints: NULL ck when off */
    struct sl_ckpt *ck;
    struct sl_ckpt_wstate *ck_states; /* n entries */
    _Atomic uint64_t ck_req;          /* the latest epoch the coordinator triggered */
    _Atomic int ck_shutdown;          /* the final epoch committed: workers leave */
    /* metrics (engine/exec/metrics.h) */
    struct sl_pipe_stats *pstats; /* [worker * npipes + pipe] */
    uint32_t *tag_pipe;           /* an operator's tag -> its pipeline */
    struct sl_ckpt_live ck_live;
    uint64_t *op_state; /* [worker * ntags + tag]: state bytes + 1 of the operator in the
                           last committed epoch (0: it saved none) */
    /* checkpoints of a job over several processes (ccluster.c): the generation's
     * assignment, this process's member name, whether it leads */
    bool cl_ckpt, cl_leader;
    struct sl_assignment assign;
    const char *cl_member;
    struct sl_cauto *cl_auto; /* --cluster auto: the state kept across generations */
    /* the job has exactly-once Kafka tables (io/kafka_txn.h); over several processes the
     * global worker that writes them all (the leader's first, engine/ops/op_txsink.h),
     * else -1 */
    bool txn;
    int txn_writer;
    bool reuse_source; /* 'table.optimizer.reuse-source-enabled' (struct sl_pipe's share) */
};

/* --cluster auto (ccluster.c): what one process keeps from one generation to the next (the
 * executor itself is built anew for each). */
struct sl_cauto {
    int64_t generation; /* the last generation this process ran (0: none yet) */
    double published;   /* sl_exec_wall() when the leader published it (0: not the leader) */
    bool measured;      /* its first committed epoch was seen (the rebalance time logged) */
    bool committed;     /* an epoch was committed since this process started (--restart
                         * applies until then: a later generation restores what this run
                         * committed, not what a run before it did) */
    uint32_t generations, rebalances;
    double rebalance_last_ms, rebalance_max_ms;
    /* --standby: still a spare (sl_ccluster_standby waits before a generation is built);
     * started as one (--cluster-min-members is not waited for then); the generation that
     * gave it work (0: none yet) */
    bool standby, was_standby;
    int64_t promoted;
};

/* The checkpoint coordinator's state (the monitor thread's). */
struct sl_coordinator {
    uint64_t epoch;    /* the last epoch number used */
    uint64_t inflight; /* the epoch triggered and not yet done, 0 when none */
    bool final;        /* it is the last one: the workers leave after it */
    bool ended;        /* ... because every source ended (the job is finished) */
    double t_trigger, next_at, interval_s;
    int failed_in_row;
    uint64_t committed; /* the last committed epoch */
    uint32_t ncommitted, nfailed;
    double *dur, *align; /* ms per committed epoch */
    uint32_t ndur, capdur;
    uint64_t bytes, state_bytes;
    /* a job over several processes (ccluster.c) */
    bool files_done;                /* the leader: its own files of `inflight` are written */
    uint64_t acked;                 /* a member: the last epoch it acked */
    double next_watch, next_follow; /* membership / generation checks; a member's reads */
    uint64_t watch_seen;            /* sl_zk_events + 1 at the last membership look (0: none) */
    struct sl_ckpt_stats cst;       /* the leader's own files of `inflight` */
};

/* ---- the executor, for the coordinator (exec.c) -------------------------------------------- */

/* Runs a message from worker `from` through the operator it is for. */
int sl_exec_dispatch(struct sl_worker *w, int from, struct sl_msg m, struct sl_error *err);
/* Sends msg to worker `to` through the ring, or this worker's queue for it when full. */
int sl_exec_send_raw(struct sl_worker *w, int to, struct sl_msg msg, struct sl_error *err);
/* Wakes every sleeping worker (a checkpoint request, the final epoch, a stop, a failure). */
void sl_exec_wake_all(struct sl_exec *x);
/* CLOCK_MONOTONIC seconds. */
double sl_exec_wall(void);

/* Splits what worker w counted since its last call (rows, bytes, bad and late records)
 * onto pipeline `pipe` (its row of x->pstats). On the worker's thread, after each piece of
 * work that belongs to one pipeline. */
void sl_exec_account(struct sl_worker *w, uint32_t pipe);

/* ---- checkpoints of a job over several processes (ccluster.c) ----
 * setup: after sl_ckpt_open, before the channel opens: roles, the member node's range, the
 * assignment (the leader waits for the members and publishes it, a member waits for it),
 * recovery; x->assign.topic is then the channel's topic. leader_complete: the leader's
 * epoch once its own workers are ready (own files, ack, collect, manifest over W, commit):
 * 1 committed, 0 not yet (acks missing), < 0 an error that fails the run. member_turn: a
 * member's coordinator turn (snapshot files and ack; follow the leader's commits). watch:
 * every 100 ms, a member of the assignment gone or a newer generation fails the run. */
int sl_ccluster_setup(struct sl_exec *x, struct sl_error *err);
/* --cluster auto: the same before the pipelines are built (sl_ckpt_open done with a
 * placeholder range): the leader settles the record, waits for a stable member set,
 * publishes the next generation (sticky); a member waits for a generation newer than
 * x->cl_auto->generation that lists it. Sets x->nall, x->base and the store's range, then
 * recovers. first_commit: the monitor saw the generation's first committed epoch (logs
 * the rebalance time once). */
int sl_ccluster_auto_setup(struct sl_exec *x, struct sl_error *err);
void sl_ccluster_first_commit(struct sl_exec *x, uint64_t epoch);
/* --cluster auto --standby, before a generation's executor is built (no store, no
 * workers): waits, on the member node's ZooKeeper session, until an assignment of a
 * generation after ca->generation gives this process a range (promoted: ca->promoted), or
 * until no working process of the job has been there for the stabilization timeout while
 * the job has an assignment (it then runs as a member, and leads if the latch falls to
 * it). Clears ca->standby. SL_ESTOPPED on SIGINT / SIGTERM. */
int sl_ccluster_standby(const struct sl_exec_opts *opts, struct sl_cauto *ca, struct sl_error *err);
int sl_ccluster_leader_complete(struct sl_exec *x, struct sl_coordinator *cc, uint64_t e,
                                struct sl_ckpt_stats *st, struct sl_error *err);
int sl_ccluster_member_turn(struct sl_exec *x, struct sl_coordinator *cc, struct sl_error *err);
int sl_ccluster_watch(struct sl_exec *x, struct sl_coordinator *cc, struct sl_error *err);
/* The sinks' commit of `e` and the sources' committed() hook (coordinator.c). */
int sl_coordinator_sinks_commit(struct sl_exec *x, uint64_t e, struct sl_error *err);

/* ---- metrics (metrics.c) ---------------------------------------------------------------- */

/* The run's figures become visible to sl_metrics_render (after the workers were set up),
 * and stop being so (before they are freed). On the thread that runs sl_exec_run. */
void sl_metrics_attach(struct sl_metrics *m, struct sl_exec *x);
void sl_metrics_detach(struct sl_metrics *m);

/* ---- checkpoints: the worker's side (coordinator.c, on the worker's thread) ------------- */

/* Starts aligning epoch `epoch`: a barrier to every other worker, no more source polls. */
int sl_coordinator_begin(struct sl_worker *w, uint64_t epoch, struct sl_error *err);
/* The barrier of `epoch` from worker `from` arrived (starting the epoch if it had not). */
int sl_coordinator_barrier(struct sl_worker *w, int from, uint64_t epoch, struct sl_error *err);
/* Serves every message this worker sent itself before its cut. */
int sl_coordinator_drain_self(struct sl_worker *w, struct sl_error *err);
/* Every barrier is in: saves the worker's state of the epoch for the coordinator and goes
 * on (the outcome is the coordinator's to judge, through ck_rc / ck_err). */
void sl_coordinator_snapshot(struct sl_worker *w);
/* Restores the worker's pipelines from the restored epoch's state, before its first poll. */
int sl_coordinator_restore(struct sl_worker *w, const struct sl_ckpt_wstate *ws,
                           struct sl_error *err);
/* The same from an epoch taken with another worker count (x->rescaled): every source and
 * stateful operator takes its part of every old worker's state through its `rescale`
 * (its splits, its key groups); one without is refused, naming it. */
int sl_coordinator_rescale(struct sl_worker *w, struct sl_error *err);

/* ---- checkpoints: the coordinator's side (coordinator.c, on the monitor thread) ---------- */

/*
 * What a checkpoint's state depends on, one line per plan node of every pipeline (see
 * coordinator.c): a restore is refused, naming the first line that differs, when it
 * changed. The caller frees the text. NULL when out of memory.
 */
char *sl_coordinator_layout(const struct sl_job *job);
/* One turn: triggers epochs, and completes the one in flight once every worker took its
 * snapshot (commit, the sinks' commit, cleanup). 0, or an error that fails the run. */
int sl_coordinator_turn(struct sl_exec *x, struct sl_coordinator *cc, struct sl_error *err);
/* Room for one more epoch duration in cc->dur / cc->align (none when out of memory: the
 * figure is then not kept). */
void sl_coordinator_dur_room(struct sl_coordinator *cc);
/* The checkpoint figures of the run into `sum`. */
void sl_coordinator_summary(struct sl_coordinator *cc, struct sl_exec_summary *sum);
/* Frees what the coordinator allocated (not cc itself). */
void sl_coordinator_free(struct sl_coordinator *cc);

#endif
