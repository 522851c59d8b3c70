/*
 * coord/store_zk.h - the commit store on ZooKeeper (multi-process jobs and HA).
 *
 * LAYOUT under the chroot of `connect` (default "/sluice"), for job J:
 *   /J/latch/n-<token>-0000000007  ephemeral sequential: the leader latch (coord/latch.h)
 *   /J/epoch                  the current epoch record (coord/commit.h text, < 1.5 KiB);
 *                             empty before the first put
 *   /J/history/e-<20 digits>  the last SL_COMMIT_HISTORY committed records, by epoch
 *
 * A PUT is one zoo_multi:
 *   check /J/latch/<own node>          fencing: a deposed leader's put fails
 *   set   /J/epoch at expected version the version this process last read or wrote
 *   COMMITTED only: create /J/history/e-N, delete the oldest beyond SL_COMMIT_HISTORY
 * so the history can never disagree with the epoch node. The request is a few KiB, far
 * below ZooKeeper's 1 MiB limit (checked before sending, SL_ERANGE).
 *
 * OUTCOMES of a put:
 *   applied                             0
 *   latch node gone                     SL_EFENCED (deposed: another process leads)
 *   epoch node moved (BadVersion)       read back first (after a sync): if it holds this
 *                                       process's own record - one it sent earlier whose
 *                                       answer was lost, same nonce and all - that is
 *                                       adopted (0, or the put goes on from there);
 *                                       anything else is SL_EFENCED "another process
 *                                       wrote it", naming the version and record found
 *   session expired                     SL_EFENCED: stop committing; whether the put
 *                                       landed is for the next leader's read to say
 *   connection lost (outcome unknown)   the record is remembered as "maybe landed" - in
 *                                       the store, across put calls - and settled by the
 *                                       next read of /J/epoch (after the session is back
 *                                       and a sync): still the expected version means not
 *                                       landed yet, and the multi is sent again (a late
 *                                       landing then meets BadVersion, above); one of
 *                                       this process's remembered records at a later
 *                                       version means landed; anything else, another
 *                                       writer: SL_EFENCED
 *   ZooKeeper away beyond op_timeout_ms SL_EZK_RETRY "outcome unknown": the caller may put
 *                                       the same record again, or read (sl_commit_last):
 *                                       either settles it as above, never as a foreign
 *                                       write
 *   history not as remembered           (NodeExists on e-N, NoNode on a trimmed entry) the
 *                                       history is listed again and the put sent once more
 * coord/store_zk.c explains why (WRITES OF UNKNOWN OUTCOME).
 * Crash points: zk.before_multi, zk.after_multi (engine/core/fault.h). Fault point: zk.readback
 * (the read that settles an unknown outcome fails; see store_zk.c), besides coord/zk.h's.
 */
#ifndef SL_COORD_STORE_ZK_H
#define SL_COORD_STORE_ZK_H

#include "coord/commit.h"
#include "coord/zk.h"

struct sl_zk_store_config {
    const char *connect; /* "host:port[,host:port][/chroot]" */
    const char *job;     /* job id: letters, digits, '.', '_', '-' */
    int session_ms;      /* ZooKeeper session timeout; 0 means 10000 */
    int connect_ms;      /* patience for the first connection; 0 means 15000 (Flink's
                          * high-availability.zookeeper.client.connection-timeout) */
    int op_timeout_ms;   /* patience for a lost connection during a put or read; 0 means
                          * session_ms */
    /* Ends a wait as a standby once non-zero (borrowed; NULL: none): sl_commit_acquire then
     * fails with SL_ESTOPPED and the latch node goes when the store is freed (latch.h). The
     * wait for the first connection looks at it too (sl_zk_open_stop): SL_ESTOPPED. */
    const _Atomic int *stop;
};

/* Connects (waiting up to connect_ms for the first session) and makes the store; *out
 * is the caller's (sl_commit_free). Not the leader yet: sl_commit_acquire. */
int sl_zk_store_new(const struct sl_zk_store_config *cfg, struct sl_commit_store **out,
                    struct sl_error *err);

/* The store's ZooKeeper handle (for tests and tools: hooks, session id); owned by the
 * store. */
struct sl_zk *sl_zk_store_handle(struct sl_commit_store *s);

/* The store's latch node ("" when not in the line); owned by the store. */
const char *sl_zk_store_latch_node(struct sl_commit_store *s);

#endif
