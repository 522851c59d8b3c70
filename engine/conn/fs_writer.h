/*
 * engine/conn/fs_writer.h - the part-file protocol of the 'filesystem' sink, one folder at a
 * time: what the unpartitioned sink (filesystem.c, one folder: the table's path) and the
 * partitioned sink (fs_partition.c, one folder per partition) share.
 *
 * A part file is one worker's rows of one folder, epoch and roll. Its names (E: the epoch as
 * 10 digits, zero-padded; without checkpoints the epoch is 0, unpadded; -k: the k-th roll of
 * the epoch, none for the first):
 *
 *     <dir>/<rel>/.part-<worker>-E[-k].<ext>.inprogress   rows being written
 *     <dir>/<rel>/.part-<worker>-E[-k].<ext>.pending      closed: drained, fsynced, renamed,
 *                                                         folder fsynced - durable, hidden
 *     <dir>/<rel>/part-<worker>-E[-k].<ext>               committed: visible
 *
 * (rel "" is the table's folder itself: <dir>/part-...). A file is closed at every prepare
 * (checkpoint), and within an epoch by the rolling policy (Flink's options and defaults):
 * 'sink.rolling-policy.file-size' (128mb) when it holds that many bytes,
 * '.rollover-interval' (30 min) when it is that old, '.inactivity-interval' (30 min) when it
 * had no row for that long; the time-based rules are looked at on each write of the worker
 * (Flink's '.check-interval', default 1 min, is the period of its timer; sluice looks at
 * least that often while rows come). With checkpoints a closed file is pending and becomes
 * visible when its epoch commits; without them it is visible at once (a rolled file) or
 * when the job ends (close).
 *
 * commit(E) renames every pending file of an epoch <= E, folder by folder (sorted), and
 * fsyncs each folder once its files are renamed. recover(C), folder by folder, renames the
 * pending files of epochs <= C (committed, the crash came before their rename), deletes the
 * in-progress files and the pending files of later epochs (the restored job writes their
 * rows again), and refuses a visible file of an epoch > C (output this job's checkpoints do
 * not know). No state of the writer is in the checkpoint: the folders are the state, and the
 * names are those sluice wrote before the writer was shared (old output recovers as it is).
 *
 * Crash points (engine/core/fault.h):
 *     fs_sink.before_prepare_rename   a file fsynced and closed, not renamed to pending
 *     fs_sink.before_rename           in commit, before each pending -> visible rename
 *     fs_sink.after_rename            in commit, after each rename (folder not fsynced)
 * fault point fs_sink.commit_rename: a commit rename fails (a later commit retries).
 *
 * THREADS: a struct sl_fsw_file belongs to one worker, whose thread writes, rolls and closes
 * it; closing adds a pending node to the shared list under fw->lock. commit and recover run on
 * the coordinator's thread; the sink holds fw->commit_lock around them.
 */
#ifndef SL_ENGINE_CONN_FS_WRITER_H
#define SL_ENGINE_CONN_FS_WRITER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "coord/lock.h"
#include "engine/conn/conn_impl.h"

enum sl_fsw_kind { SL_FSW_INPROGRESS, SL_FSW_PENDING, SL_FSW_VISIBLE };

/* A closed file not made visible yet (checkpoints). Allocated before the rename that makes
 * the pending file, so that a pending file is never missing from the list for want of
 * memory. */
struct sl_fsw_pending {
    struct sl_fsw_pending *next;
    int worker;
    uint64_t epoch;
    uint32_t k;
    char *rel; /* owned */
};

/* What every part file of one sink shares: set when the sink opens, then read-only but for
 * `pend` (under `lock`) and the rolling policy, which a live job setting may change
 * (sl_fsw_set_option, on the live configuration's thread; atomics the workers read). */
struct sl_fsw {
    char *dir;       /* the table's path, owned */
    const char *ext; /* the format's file extension (static) */
    bool ckpt;       /* env->checkpoints */
    bool raw;        /* raw format: a 4-byte little-endian length before each record */
    bool locks;      /* the mutexes are initialised */
    /* a job over several processes (env->cluster): recovery touches only the part files of
     * this process's global workers [wlo, whi), and those >= the job's W (wall) when whi is
     * W; -1: every file */
    int wlo, whi, wall;
    _Atomic uint64_t roll_size;
    _Atomic int64_t roll_interval_ms, inactivity_ms;
    int64_t check_ms;
    /* the table's own values (its WITH options, else Flink's defaults): what a removed job
     * setting goes back to */
    uint64_t table_roll_size;
    int64_t table_roll_interval_ms, table_inactivity_ms;
    /* the folder's ZooKeeper lock (with --zk; coord/lock.h): taken by sl_fsw_lock before
     * recover, held for the sink's life; NULL without */
    char *lock_connect;           /* "hosts/sluice-locks": the lock's own session, owned */
    char *lock_owner;             /* "job J host H pid P", owned */
    bool lock_shared;             /* a job over several processes: its processes share the
                                   * lock (its group, "job J host "; coord/latch.h) */
    int lock_session_ms;          /* the job's ZooKeeper session timeout (0: 10 s) */
    int64_t lock_wait_ms;         /* 'sluice.lock-timeout' */
    const _Atomic int *lock_stop; /* the run's stop flag (env->stop): ends the wait */
    struct sl_zk *lock_zk;
    struct sl_lock *folder_lock;
    pthread_mutex_t lock;        /* pend */
    pthread_mutex_t commit_lock; /* taken by the sink around commit and recover */
    struct sl_fsw_pending *pend;
};

/* One worker's open part file of one folder. */
struct sl_fsw_file {
    char *rel;      /* the folder below dir ("" : dir itself), owned */
    int fd;         /* -1: none open; the next row opens roll k */
    uint32_t k;     /* files closed in this epoch */
    uint64_t bytes; /* written to the file (drained and buffered, raw frames counted) */
    int64_t opened_ms, last_ms;
    struct sl_fmt_out out; /* encoded, not yet written */
};

/* The rolling-policy option keys (NULL-terminated), which every filesystem table takes. */
extern const char *const sl_fsw_option_keys[];

/* Takes the folder's lock (nothing without --zk): waits up to 'sluice.lock-timeout' for a
 * job that writes the same folder; SL_ETIMEOUT naming the folder, the lock and its holder;
 * SL_ESTOPPED when the run's stop flag was set meanwhile (SIGINT / SIGTERM). Called by the
 * sinks' recover, before anything in the folder is touched. */
int sl_fsw_lock(struct sl_fsw *fw, struct sl_error *err);

/* A live change of the rolling policy: `option` is "sink.rolling-policy.file-size",
 * ".rollover-interval" or ".inactivity-interval", `value` as the job setting takes it
 * (engine/plan/settings.h), NULL: back to the table's own. The next write of each worker
 * rolls by the new policy (a file already over the new size or age is closed then).
 * SL_ENOTFOUND for another option, SL_EINVAL for a bad value. */
int sl_fsw_set_option(struct sl_fsw *fw, const char *option, const char *value,
                      struct sl_error *err);

/* Initialises fw (mutexes, the rolling policy from t's options; dir and ext are the
 * caller's to set) - errors name the option. sl_fsw_destroy frees what it holds (the pending
 * nodes, not their files: recover commits or deletes those) and dir. */
int sl_fsw_init(struct sl_fsw *fw, const struct sl_table *t, const struct sl_connector_env *env,
                struct sl_error *err);
void sl_fsw_destroy(struct sl_fsw *fw);

/* Reads "<digits> <unit>" (spaces around; the unit case-insensitive, one of units[0, nunits))
 * as Flink's MemorySize and TimeUtils read their options: the unit's index, -1 for no digits
 * or no such unit. *v the number; *big when it passed cap (*v is not the number then). */
int sl_fs_scan_unit(const char *value, const char *const *units, size_t nunits, uint64_t cap,
                    uint64_t *v, bool *big);

/* A duration option as Flink's TimeUtils reads it (ms, s, min, h, d and their long names;
 * no unit: ms), in milliseconds. */
int sl_fsw_opt_duration(const struct sl_table *t, const struct sl_connector_env *env,
                        const char *key, int64_t dflt, int64_t *out, struct sl_error *err);

/* The wall clock in ms. */
int64_t sl_fsw_now_ms(void);

/* mkdir -p (0 or -1 with errno). */
int sl_fsw_mkdirs(const char *path);

/* The name of a part file, malloc'd (NULL: out of memory; the caller frees it). */
char *sl_fsw_name(const struct sl_fsw *fw, const char *rel, enum sl_fsw_kind kind, int worker,
                  uint64_t epoch, uint32_t k);

/* Whether directory entry `name` is a part file of extension ext: its kind, worker, epoch
 * and roll. Epochs are read unpadded too ("part-0-0.json" of a run without checkpoints). */
bool sl_fsw_parse_name(const char *name, const char *ext, enum sl_fsw_kind *kind, int *worker,
                       uint64_t *epoch, uint32_t *k);

/* f for folder rel (copied); sl_fsw_file_free closes and deletes a file still in progress
 * (not final: it leaves no trace) and frees f's memory. */
int sl_fsw_file_init(struct sl_fsw_file *f, const char *rel, struct sl_error *err);
void sl_fsw_file_free(const struct sl_fsw *fw, struct sl_fsw_file *f, int worker, uint64_t epoch);

/* Encodes the active rows of `view` with codec into f (opening its in-progress file of
 * `worker` and `epoch` first when none is open, creating the folder when it is new), writes
 * out what is buffered past 1 MiB and closes the file once it holds the roll size. *added:
 * the encoded bytes (the rows' bytes_out). */
int sl_fsw_write(struct sl_fsw *fw, struct sl_fsw_file *f, int worker, uint64_t epoch,
                 struct sl_conn_codec *codec, struct sl_batch *view, int64_t now, size_t *added,
                 struct sl_error *err);

/* Writes out what f buffers (no-op when none is open). */
int sl_fsw_drain(const struct sl_fsw *fw, struct sl_fsw_file *f, struct sl_error *err);

/* Whether the time-based rolling policy closes f's open file at `now`. */
bool sl_fsw_due(const struct sl_fsw *fw, const struct sl_fsw_file *f, int64_t now);

/* Closes f's open file (no-op when none), the in-progress file of `epoch`: drained, fsynced,
 * renamed to pending (checkpoints; into fw->pend) or visible under the name of epoch `as`
 * (prepare(E) names the file by E: the epoch whose rows it holds), folder fsynced; f->k counts
 * it. On failure before the rename the in-progress file stays for recover to delete. */
int sl_fsw_close(struct sl_fsw *fw, struct sl_fsw_file *f, int worker, uint64_t epoch, uint64_t as,
                 struct sl_error *err);

/* prepare(epoch) of a worker whose rows go to epoch `have`: SL_ESTATE (naming the sink and
 * the worker) when epoch is an earlier one. */
int sl_fsw_prepare_check(const struct sl_fsw *fw, int worker, uint64_t have, uint64_t epoch,
                         struct sl_error *err);

/* Closes f's open file without keeping it (checkpoints, close: rows no epoch holds). */
void sl_fsw_discard(const struct sl_fsw *fw, struct sl_fsw_file *f, int worker, uint64_t epoch);

/* Makes the pending files of epochs <= epoch visible (see above); then, for each folder
 * whose files it renamed and fsynced, visible(ctx, rel) when given. Files it could not
 * rename stay for a later commit. The caller holds fw->commit_lock. */
int sl_fsw_commit(struct sl_fsw *fw, uint64_t epoch,
                  int (*visible)(void *ctx, const char *rel, struct sl_error *err), void *ctx,
                  struct sl_error *err);

/* recover(committed) of folder rel. dry: only look (a refusal changes nothing). *visible:
 * the folder holds visible part files (after the renames); *marked: it holds a file named
 * `marker` (may be NULL). A missing folder other than dir itself is empty. */
int sl_fsw_recover_folder(struct sl_fsw *fw, const char *rel, uint64_t committed, bool dry,
                          const char *marker, bool *visible, bool *marked, struct sl_error *err);

/* After a successful recover: the pending list is what the folders said (empty). */
void sl_fsw_forget_pending(struct sl_fsw *fw);

#endif
