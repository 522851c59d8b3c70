/*
 * coord/latch.h - a leader latch on ZooKeeper.
 *
 * HOW IT WORKS (ZooKeeper's leader-election recipe)
 * Each contender creates an ephemeral sequential node "<dir>/n-<16 hex>-<10 digits>" whose
 * data names it ("host pid session"); the hex is a token random per latch and session, by
 * which a create whose answer was lost is found again instead of being made twice
 * (Curator's protected mode; coord/latch.c). The contender with the lowest sequence number
 * is the leader. A standby watches only its predecessor (the next lower node), so a
 * leader's end wakes one process, not the whole herd; when the predecessor goes, the
 * standby lists the children again (the predecessor may have been a standby that left, not
 * the leader).
 *
 * The node is the leader's fencing token: the commit multi checks that it still exists
 * (coord/store_zk.c), so a leader whose session expired - its node deleted by the server -
 * or whose node an operator removed cannot commit, even if it has not noticed yet.
 *
 * THREADS: one thread per latch; the sl_zk handle may be shared.
 */
#ifndef SL_COORD_LATCH_H
#define SL_COORD_LATCH_H

#include <stdbool.h>

#include "coord/zk.h"
#include "engine/core/error.h"

struct sl_latch;

/* A latch in `dir` (under zk's chroot, created if missing); zk is borrowed and must outlive
 * the latch. *out is the caller's (sl_latch_free). Nothing is created in ZooKeeper yet. */
int sl_latch_new(struct sl_zk *zk, const char *dir, struct sl_latch **out, struct sl_error *err);

/* The data of this process's node from its next join on (at most 127 bytes; default "host pid
 * session"): who is in the line, for operators and for a lock's "held by" (coord/lock.h). */
void sl_latch_set_data(struct sl_latch *latch, const char *data);

/* A group (at most 127 bytes; NULL or "": none, the default): the nodes before this one
 * whose data start with `group` are its PEERS and do not stand in its way - it leads once
 * every node before it is a peer, and waits (watching the nearest one) for the others. So
 * several processes of one group hold it at once, and another group's waits for all of
 * them: a lock shared by the processes of one job (coord/lock.h, sl_lock_set_group). Its
 * own data (sl_latch_set_data) should start with the group. */
void sl_latch_set_group(struct sl_latch *latch, const char *group);

/* A flag (borrowed; NULL: none) that ends sl_latch_acquire's waits once non-zero - set by
 * a SIGINT / SIGTERM handler (tools/cmd_run.c) or any thread: a wait looks at it at least
 * every 100 ms. */
void sl_latch_set_stop(struct sl_latch *latch, const _Atomic int *stop);

/*
 * Joins (creating this process's node if it has none) and waits up to timeout_ms (< 0:
 * forever) until it is the leader. 0 when leader; SL_ETIMEOUT while still a standby (the
 * node stays: call again to keep waiting); SL_EFENCED when the session expired (the node
 * is gone; after sl_zk_reopen a new call joins afresh, at the back of the line). A node
 * deleted by someone else while the session lives is replaced by a new one, at the back.
 * SL_ESTOPPED once the stop flag (sl_latch_set_stop) is set: the node, if made, stays
 * until sl_latch_release / sl_latch_free, as after SL_ETIMEOUT.
 */
int sl_latch_acquire(struct sl_latch *latch, int timeout_ms, struct sl_error *err);

/* Whether the last sl_latch_acquire made this process the leader. */
bool sl_latch_is_leader(const struct sl_latch *latch);

/* This process's node ("<dir>/n-<token>-0000000003", under the chroot) or "" before
 * joining; owned by the latch. */
const char *sl_latch_node(const struct sl_latch *latch);

/* Deletes this process's node (leaving the line or giving up leadership), and any node a
 * lost create of it left behind. */
int sl_latch_release(struct sl_latch *latch, struct sl_error *err);

/* Releases (ignoring errors) and frees; NULL is fine. */
void sl_latch_free(struct sl_latch *latch);

#endif
