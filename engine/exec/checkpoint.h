/*
 * engine/exec/checkpoint.h - checkpoint epochs of a running job: the files in the state
 * directory, the commit through coord/, and recovery. The executor (engine/exec/exec.c) runs
 * the barriers and calls this module from its coordinator thread; docs/checkpoint-protocol.md
 * is the whole protocol.
 *
 * HOW IT WORKS
 * Every worker serializes its state at a consistent cut into a struct sl_ckpt_wstate: a list
 * of blocks (the executor's per-pipeline flags, each source's position, each stateful
 * operator's state; engine/core/state.h bytes) and a human summary of the source offsets. The
 * coordinator then calls sl_ckpt_commit_epoch, which
 *   1. writes one snapshot file per worker (io/snapshot.h: io_uring, CRC32C per block,
 *      fsync, rename, directory fsync); a block equal (length and CRC32C) to the same
 *      block of the previous epoch becomes a reference to it (incremental), except every
 *      `full_every`-th epoch, which is written whole;
 *   2. writes the manifest "manifest-<epoch>" (text: job, epoch, time, workers, plan
 *      fingerprint, each worker's file with its size and CRC and the epochs it references,
 *      the offsets) with write, fsync, rename, directory fsync;
 *   3. puts PREPARED then COMMITTED <epoch> in the commit store (coord/commit.h: the file
 *      store in the state directory, or ZooKeeper with --zk), the record holding the
 *      manifest's name and CRC32C and the offsets.
 * After it returns 0 the epoch is committed; the executor then lets the sinks commit it
 * (rename part files) and calls sl_ckpt_cleanup, which deletes the snapshot files and
 * manifests no longer needed by the last `keep` committed epochs.
 *
 * Recovery (sl_ckpt_open): become the leader (a second process with the same job waits as
 * a standby), read the store's record. NONE: a fresh start. COMMITTED N: restore N, unless
 * N was the epoch a finished bounded job ended with: that is refused (SL_EFINISHED), and
 * opts.restart starts the job anew instead (nothing restored, epochs numbered from N + 1).
 * PREPARED N (a crash between the two puts): everything of N is durable, so N is rolled
 * forward (COMMITTED N is put) and restored. Restoring reads the manifest (its CRC must
 * match the record's), checks the worker count and the plan fingerprint against this run
 * (a different SQL or --workers is refused, naming both), and reads every worker's file
 * completely, verifying every CRC and following references: a damaged state is refused
 * with the file, block and reason - never half-restored.
 *
 * LAYOUT of the state directory (--state-dir DIR, job J):
 *   DIR/J/commit, commit.lock          the file store (without --zk)
 *   DIR/J/J-w<worker>-e<epoch>.snap    snapshot files
 *   DIR/J/manifest-<epoch>             manifests
 *   DIR/J/finished                     "finished <epoch>": the job ran to the end of its
 *                                      bounded input and its output is complete
 *
 * CRASH POINTS (engine/core/fault.h), in order within an epoch: ckpt.before_snapshot,
 * (snapshot.* of each file), ckpt.after_snapshot, ckpt.before_manifest_rename,
 * ckpt.after_manifest, (file.* / zk.* of the PREPARED put), ckpt.after_prepared,
 * (COMMITTED put), ckpt.after_committed; the executor adds ckpt.after_sink_commit and
 * ckpt.after_cleanup. Fault points: snapshot.* (io/snapshot.h), manifest.write,
 * manifest.fsync, manifest.rename.
 *
 * THREADS: one thread uses a struct sl_ckpt at a time (the executor's coordinator).
 */
#ifndef SL_ENGINE_CHECKPOINT_H
#define SL_ENGINE_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/core/error.h"
#include "engine/core/state.h"

struct sl_ckpt_opts {
    const char *state_dir;  /* required */
    const char *job;        /* required: letters, digits, '.', '_', '-'; at most 32 bytes */
    const char *zk;         /* "host:port[,host:port][/chroot]", or NULL: the file store */
    int zk_session_ms;      /* ZooKeeper session timeout (0: 10000) */
    int zk_connect_ms;      /* patience for the first ZooKeeper connection (0: 15000) */
    int64_t interval_ms;    /* between the end of one epoch and the trigger of the next */
    int keep;               /* committed epochs whose files are kept (>= 1) */
    int full_every;         /* a full snapshot every this many epochs (1: always full) */
    int tolerable_failures; /* consecutive failed epochs before the job fails (Flink: 0) */
    int standby_timeout_ms; /* how long to wait as a standby (< 0: forever) */
    /* The run's stop flag (sl_exec_opts.stop; NULL: none): ends a wait as a standby with
     * SL_ESTOPPED (its latch node removed), "stopped while waiting as a standby". */
    const _Atomic int *stop;
    /* The job's key groups ('pipeline.max-parallelism', engine/core/keygroup.h) as this run
     * would use them; 0: not set by the job - a restored epoch's own value is taken, else
     * SL_KG_DEFAULT. A restored epoch with another value is refused, naming both. */
    uint32_t kg_max;
    bool restart; /* start the job anew: restore nothing (epoch numbers go on) */
    /* A job over several processes (docs/cluster.md, engine/exec/ccluster.c), or 0: the
     * job's W global workers, of which this process runs [cluster_lo, cluster_lo +
     * nworkers). Files and manifest lines are named by the global worker; sl_ckpt_open
     * does not wait as a standby (the latch holder leads, the others are members) and does
     * not recover: sl_ckpt_recover, once the roles are settled. Needs zk. */
    int cluster_workers, cluster_lo;
    FILE *log; /* progress messages (recovery, failures), or NULL */
    /* Transactional sinks (the executor sets these; NULL: none). precommit runs before an
     * epoch's PREPARED (a failure fails the epoch), commit_txn between PREPARED and
     * COMMITTED (a failure fails the run: the next start resolves the epoch), resolve at a
     * start that finds PREPARED E: *committed false rolls E back (the previous committed
     * epoch is restored and the next epoch is E again, docs/checkpoint-protocol.md). */
    int (*precommit)(void *arg, uint64_t epoch, struct sl_error *err);
    int (*commit_txn)(void *arg, uint64_t epoch, struct sl_error *err);
    int (*resolve)(void *arg, uint64_t epoch, bool *committed, struct sl_error *err);
    void *txn_arg;
};

/* Block types in a worker's state. */
enum {
    SL_CKPT_PIPE = 1,   /* the executor's flags of one pipeline */
    SL_CKPT_SOURCE = 2, /* a source's position */
    SL_CKPT_OP = 3,     /* an operator's state (node = its index in the pipeline) */
};

struct sl_ckpt_block {
    uint32_t type, pipe, node;
    size_t off, len; /* in the wstate's data */
};

/* One worker's state at one epoch. The executor fills it on the worker's thread; the
 * coordinator reads it. Owned by whoever embeds it; sl_ckpt_wstate_free frees the inside. */
struct sl_ckpt_wstate {
    struct sl_sbuf data;
    struct sl_ckpt_block *blocks;
    uint32_t nblocks, cap;
    struct sl_sbuf summary; /* "table:split=offset,..." text, no NUL */
};

void sl_ckpt_wstate_reset(struct sl_ckpt_wstate *ws);
void sl_ckpt_wstate_free(struct sl_ckpt_wstate *ws);
/* Records that data[off .. data.len) is a block; SL_ENOMEM. */
int sl_ckpt_wstate_add(struct sl_ckpt_wstate *ws, uint32_t type, uint32_t pipe, uint32_t node,
                       size_t off, struct sl_error *err);
/* The block of (type, pipe, node), or NULL. */
const struct sl_ckpt_block *sl_ckpt_wstate_find(const struct sl_ckpt_wstate *ws, uint32_t type,
                                                uint32_t pipe, uint32_t node);

/* What one committed epoch cost. */
struct sl_ckpt_stats {
    uint64_t epoch;
    uint64_t bytes;       /* snapshot bytes written (references are small) */
    uint64_t state_bytes; /* state bytes the epoch describes (references counted whole) */
    double write_s;       /* snapshot files durable */
    double commit_s;      /* manifest + both puts */
};

struct sl_ckpt;

/*
 * Opens the job's checkpoint store and recovers: see above. `layout` is what the state
 * depends on, one line per plan node (engine/exec/coordinator.c): a restored epoch must
 * have the same, else the refusal names the first line that changed. On success *out is
 * the caller's (sl_ckpt_free) and sl_ckpt_restored_epoch says what was restored (0: none).
 *
 * RESCALING: an epoch taken with another worker count restores when its manifest names its
 * key groups ("max-parallelism M", written since key groups exist) and M is at least this
 * run's worker count: every old worker's file is read, and sl_ckpt_restored_workers says
 * how many; each new worker then takes its key groups and splits out of all of them
 * (engine/exec/coordinator.c). An older manifest restores at its own worker count only.
 */
int sl_ckpt_open(const struct sl_ckpt_opts *opts, int nworkers, const char *layout,
                 struct sl_ckpt **out, struct sl_error *err);

/* The epoch restored by sl_ckpt_open (0: a fresh start or --restart). */
uint64_t sl_ckpt_restored_epoch(const struct sl_ckpt *c);

/* The worker count of the restored epoch (0: nothing restored); another than this run's
 * means the state is rescaled. */
int sl_ckpt_restored_workers(const struct sl_ckpt *c);

/* The key groups of this run (engine/core/keygroup.h): the restored epoch's, or the job's
 * setting (opts.kg_max), or SL_KG_DEFAULT; 0 when the restored epoch was written before key
 * groups existed (routing by hash modulo the worker count, as it was then). */
uint32_t sl_ckpt_kg_max(const struct sl_ckpt *c);

/* The last epoch the store committed before this run (0: none): the next epoch this run
 * takes is one more (epoch numbers are never reused, so sink files never collide), and the
 * sinks' recover() settles their files up to it. Equal to the restored epoch unless the
 * run restarts the job (opts.restart). */
uint64_t sl_ckpt_base_epoch(const struct sl_ckpt *c);

/* A job over several processes whose settle rolled a PREPARED epoch back (its Kafka
 * transaction had not committed): that epoch, which the next one is again (base + 1: the
 * store takes PREPARED E after PREPARED E only); else 0. */
uint64_t sl_ckpt_redo_epoch(const struct sl_ckpt *c);

/* The last epoch whose output counts (the sinks' recover() settles their files up to it):
 * the base epoch, except after a rollback of a PREPARED epoch whose transaction did not
 * commit, where it is the committed epoch before it (0: none). */
uint64_t sl_ckpt_settled_epoch(const struct sl_ckpt *c);

/* The next epoch committed is the job's last: every source has ended (a bounded job ran to
 * its end). Its manifest says so ("finished 1"). A run stopped by a signal is not finished:
 * its final epoch is resumed as usual. */
void sl_ckpt_mark_finished(struct sl_ckpt *c);

/* The finished job's last epoch `epoch` is committed and every sink has made its output
 * visible: writes the marker DIR/J/finished durably. From then on sl_ckpt_open refuses to
 * "resume" the job (SL_EFINISHED, naming the job, its state directory and the way out)
 * unless opts.restart: resuming it would silently produce nothing. A process killed before
 * the marker resumes as usual, so the restart completes what the sinks had left. */
int sl_ckpt_finish(struct sl_ckpt *c, uint64_t epoch, struct sl_error *err);

/* Old worker w's restored state (0 <= w < sl_ckpt_restored_workers; NULL on a fresh start,
 * or once dropped); valid until sl_ckpt_drop_restored(c, w) - which worker w's thread may
 * call for its own entry when the state is not rescaled - or sl_ckpt_free. */
const struct sl_ckpt_wstate *sl_ckpt_restored_state(const struct sl_ckpt *c, int worker);
void sl_ckpt_drop_restored(struct sl_ckpt *c, int worker);

/* Makes `epoch` (restored + 1, + 2, ...) durable and committed from the workers' states
 * (ws[nworkers]). 0: committed. Otherwise nothing of `epoch` counts: the last committed
 * epoch stays the one to restore. SL_EFENCED: another process took over - stop at once. */
int sl_ckpt_commit_epoch(struct sl_ckpt *c, uint64_t epoch, const struct sl_ckpt_wstate *ws,
                         struct sl_ckpt_stats *st, struct sl_error *err);

/* The two halves of sl_ckpt_commit_epoch, for a job over several processes. write_files:
 * this process's workers' snapshot files of `epoch`; their manifest lines ("worker <global>
 * FILE BYTES DEPS\n" each) are appended to `lines`, their offsets summaries to `offs`
 * (',' separated); st gets bytes, state bytes and write_s. The incremental references of
 * the files are taken for the next epoch by sl_ckpt_files_taken (a member, once it acked)
 * or by commit_lines (the leader, at the commit). commit_lines: the manifest of `workers`
 * workers over `lines` and `offs` (every process's), then PREPARED and COMMITTED, as
 * sl_ckpt_commit_epoch. */
struct sl_sbuf;
int sl_ckpt_write_files(struct sl_ckpt *c, uint64_t epoch, const struct sl_ckpt_wstate *ws,
                        struct sl_ckpt_stats *st, struct sl_sbuf *lines, struct sl_sbuf *offs,
                        struct sl_error *err);
void sl_ckpt_files_taken(struct sl_ckpt *c);
int sl_ckpt_commit_lines(struct sl_ckpt *c, uint64_t epoch, int workers,
                         const struct sl_sbuf *lines, const struct sl_sbuf *offs,
                         struct sl_ckpt_stats *st, struct sl_error *err);

/* ---- a job over several processes (cluster_workers > 0) ----
 * is_leader: this process holds the latch (true without a cluster). try_lead: a member
 * tries the latch again without waiting (the leader of a dead run may have left it since).
 * recover: the recovery sl_ckpt_open does for one process (a no-op once done). */
bool sl_ckpt_is_leader(const struct sl_ckpt *c);
int sl_ckpt_try_lead(struct sl_ckpt *c, struct sl_error *err);
int sl_ckpt_recover(struct sl_ckpt *c, struct sl_error *err);
/* --cluster auto (engine/exec/ccluster.c): settle, by the leader before it publishes a
 * generation: a PREPARED record is rolled forward (committed), and *kg_max gets the job's
 * key groups (the last committed manifest's, else the job's setting or the default); from
 * then on this store recovers as a member's does (the last committed epoch of the history).
 * range: the job's W and this process's first global worker for the generation, set before
 * sl_ckpt_recover (the store is opened before the assignment is known). */
int sl_ckpt_cluster_settle(struct sl_ckpt *c, uint32_t *kg_max, struct sl_error *err);
void sl_ckpt_cluster_range(struct sl_ckpt *c, int workers, int lo);
/* The plan fingerprint (XXH64 of the layout), as manifests write it. */
uint64_t sl_ckpt_fingerprint(const struct sl_ckpt *c);
/* The commit store's ZooKeeper handle and latch node (NULL / "" without zk). */
struct sl_zk;
struct sl_zk *sl_ckpt_zk(struct sl_ckpt *c);
const char *sl_ckpt_latch_node(struct sl_ckpt *c);
/* Whether the restored state is rescaled (its epoch had another worker count than the job's
 * W now): every old worker's state is in sl_ckpt_restored_state(0 .. restored_workers). */
bool sl_ckpt_rescaled(const struct sl_ckpt *c);
/* The next epoch committed ends the run ("final 1" in its manifest): members stop after it. */
void sl_ckpt_mark_final(struct sl_ckpt *c);
/* The store's current record, read fresh (a member follows the leader's commits). */
struct sl_epoch_rec;
int sl_ckpt_read_record(struct sl_ckpt *c, struct sl_epoch_rec *rec, struct sl_error *err);
/* A member saw `rec` COMMITTED: whether its manifest says final / finished; the epochs to
 * keep are read from the store's history (for sl_ckpt_cleanup). */
int sl_ckpt_member_committed(struct sl_ckpt *c, const struct sl_epoch_rec *rec, bool *final,
                             bool *finished, struct sl_error *err);

/* After a failed epoch: whether this process still leads the job. SL_EFENCED with err
 * naming why when its ZooKeeper session expired or another process has written the commit
 * store since this one last did (a standby took over while this one was paused: its
 * failure is a consequence, and the job must stop, not retry); else 0. Reads the store. */
int sl_ckpt_check_leader(struct sl_ckpt *c, struct sl_error *err);

/* Deletes snapshot files and manifests that the last `keep` committed epochs do not need;
 * files of epochs above the last committed one are never deleted (in a cluster a member's
 * files of the epoch in flight are written before the leader commits it).
 * Failures are reported (err) but harmless: they are retried after the next epoch. */
int sl_ckpt_cleanup(struct sl_ckpt *c, struct sl_error *err);

void sl_ckpt_free(struct sl_ckpt *c);

/*
 * `sluice checkpoints`: prints the committed epochs of the job (newest first): number,
 * time, state size, offsets; and the current record's phase. Reads the store without
 * becoming the leader (works beside a running job).
 */
int sl_ckpt_list(const struct sl_ckpt_opts *opts, FILE *out, struct sl_error *err);

/* A job id's validity: 0, or SL_EINVAL with a message. */
int sl_ckpt_check_job(const char *job, struct sl_error *err);

#endif
