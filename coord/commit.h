/*
 * coord/commit.h - the commit store: where a job's checkpoint epochs become durable, and the
 * epoch protocol on top of it.
 *
 * HOW IT WORKS
 * A store is a table of function pointers (struct sl_commit_ops) with two implementations:
 * coord/store_zk.h (ZooKeeper: multi-process jobs and HA) and coord/store_file.h (one
 * process, a file in the state directory). Both hold the same thing: the job's current
 * epoch record and a short history of committed ones. The record is a small pointer - epoch
 * number, phase, nonce, the manifest's path and checksum, a summary of the source offsets -
 * never the state itself, which lives in the snapshot files the manifest names.
 *
 * An epoch N goes through two puts of the same record with the same nonce:
 *     PREPARED N   (snapshot durable, Kafka transaction T_N not yet committed)
 *     COMMITTED N  (T_N committed; N joins the history)
 * The rules (sl_commit_check_transition) are checked here, before the store is asked:
 *   - PREPARED N follows nothing (N >= 1), COMMITTED M < N (the numbers of epochs that failed
 *     before their PREPARED are not reused), or PREPARED N itself (a leader
 *     that rolled a PREPARED N back redoes epoch N with a fresh nonce);
 *   - COMMITTED N follows only PREPARED N with the same nonce, manifest and checksum.
 * Only the leader puts: sl_commit_acquire makes this process the leader (or waits as a
 * standby) and loads the current record; the store fences every put (ZooKeeper: a check of
 * the leader's latch node and the epoch node's expected version, in one multi).
 *
 * ERRORS
 *   SL_EFENCED     another process took over, or the ZooKeeper session expired: stop
 *                  committing at once; the caller regains leadership (sl_commit_acquire) or
 *                  exits with the message
 *   SL_EZK_RETRY   ZooKeeper unreachable for longer than the store's patience; whether the
 *                  put happened is settled by the next sl_commit_last or sl_commit_put (the
 *                  store remembers what it sent: a put that landed unseen is recognised as
 *                  this process's own, never reported as another writer's)
 *   SL_ESTATE      a put that breaks the rules above; SL_EINVAL a malformed record
 *   SL_ECORRUPT    the stored record cannot be decoded
 *   SL_ETIMEOUT    sl_commit_acquire waited longer than asked
 *
 * THREADS: a store is used by one thread at a time.
 */
#ifndef SL_COORD_COMMIT_H
#define SL_COORD_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"

enum sl_epoch_phase {
    SL_EPOCH_NONE = 0, /* no epoch was ever put */
    SL_EPOCH_PREPARED = 1,
    SL_EPOCH_COMMITTED = 2,
};

/* Room for the manifest path and the offsets summary, terminating NUL included. Neither may
 * hold a newline. */
#define SL_EPOCH_MANIFEST_MAX 256
#define SL_EPOCH_OFFSETS_MAX 1024
/* An encoded record never exceeds this many bytes (sl_epoch_encode). */
#define SL_EPOCH_ENCODED_MAX (SL_EPOCH_MANIFEST_MAX + SL_EPOCH_OFFSETS_MAX + 192)
/* Committed epochs kept in the history, newest first. */
#define SL_COMMIT_HISTORY 8

/* One epoch record: 1.5 KiB at most, copied by value. */
struct sl_epoch_rec {
    int64_t epoch; /* >= 1; 0 with phase NONE */
    enum sl_epoch_phase phase;
    uint64_t nonce;        /* random per attempt of an epoch; the Kafka marker carries it */
    uint32_t manifest_crc; /* CRC32C of the manifest file */
    char manifest[SL_EPOCH_MANIFEST_MAX]; /* relative to the state directory */
    char offsets[SL_EPOCH_OFFSETS_MAX];   /* e.g. "bids:0=1200,1=1187" */
};

struct sl_commit_store;

struct sl_commit_ops {
    const char *name; /* "zookeeper", "file" */
    /* Becomes the leader, waiting as a standby up to timeout_ms (< 0: forever). 0, or
     * SL_ETIMEOUT, SL_EFENCED, SL_EZK*, SL_EIO; SL_ESTOPPED when the store's stop flag
     * ended the wait (the ZooKeeper store: sl_zk_store_config.stop). */
    int (*acquire)(struct sl_commit_store *s, int timeout_ms, struct sl_error *err);
    /* The current record (phase NONE when nothing was put), read fresh from the store. */
    int (*read)(struct sl_commit_store *s, struct sl_epoch_rec *out, struct sl_error *err);
    /* Replaces the current record by `rec` (already checked against the current one) and,
     * for COMMITTED, adds it to the history, trimmed to SL_COMMIT_HISTORY, atomically. */
    int (*put)(struct sl_commit_store *s, const struct sl_epoch_rec *rec, struct sl_error *err);
    /* Up to `cap` committed records, newest first, into out[]; their count into *n. */
    int (*history)(struct sl_commit_store *s, struct sl_epoch_rec *out, size_t cap, size_t *n,
                   struct sl_error *err);
    /* Gives up leadership and frees the store. */
    void (*free)(struct sl_commit_store *s);
};

/* The common head of every store; the implementations embed it first. */
struct sl_commit_store {
    const struct sl_commit_ops *ops;
    int leader;               /* set by sl_commit_acquire, cleared on SL_EFENCED */
    struct sl_epoch_rec last; /* the current record as this process last saw it */
};

/* Becomes the leader (waiting up to timeout_ms, < 0 forever) and loads the current record. */
int sl_commit_acquire(struct sl_commit_store *s, int timeout_ms, struct sl_error *err);

/* Reads the current record from the store into *out (and the store's cache). */
int sl_commit_last(struct sl_commit_store *s, struct sl_epoch_rec *out, struct sl_error *err);

/* Puts `rec` (PREPARED or COMMITTED) after checking it against the current record. Only the
 * leader may put: SL_ESTATE before sl_commit_acquire or after SL_EFENCED. */
int sl_commit_put(struct sl_commit_store *s, const struct sl_epoch_rec *rec, struct sl_error *err);

/* Committed records, newest first (see sl_commit_ops.history). */
int sl_commit_history(struct sl_commit_store *s, struct sl_epoch_rec *out, size_t cap, size_t *n,
                      struct sl_error *err);

/* Frees the store (NULL is fine); a leader's latch is released. */
void sl_commit_free(struct sl_commit_store *s);

/* 0 when `next` may follow `cur` (rules above), else SL_ESTATE or SL_EINVAL with a message. */
int sl_commit_check_transition(const struct sl_epoch_rec *cur, const struct sl_epoch_rec *next,
                               struct sl_error *err);

/* Whether two records are the same put (all fields equal). */
int sl_epoch_equal(const struct sl_epoch_rec *a, const struct sl_epoch_rec *b);

/*
 * The record as text, one "key value" line each, ending with "end\n":
 *     sluice-epoch 1 / epoch N / phase PREPARED|COMMITTED|NONE / nonce HEX16 /
 *     manifest PATH / manifest-crc HEX8 / offsets TEXT / end
 * readable in zkCli and in the state directory. Writes at most `cap` bytes (no NUL) and the
 * length into *len; SL_EINVAL for a newline or missing NUL in a text field, SL_EFULL when
 * cap is short (SL_EPOCH_ENCODED_MAX always suffices).
 */
int sl_epoch_encode(const struct sl_epoch_rec *rec, char *buf, size_t cap, size_t *len);

/* Parses one record from buf[0..len); *used (if not NULL) gets the bytes consumed, through
 * "end\n". SL_ECORRUPT with a message on anything malformed. */
int sl_epoch_decode(const char *buf, size_t len, struct sl_epoch_rec *rec, size_t *used,
                    struct sl_error *err);

/* "NONE", "PREPARED", "COMMITTED". */
const char *sl_epoch_phase_name(enum sl_epoch_phase phase);

#endif
