/*
 * coord/lock.h - a distributed lock on ZooKeeper, fenced by its holder's session.
 *
 * HOW IT WORKS (ZooKeeper's lock recipe, on the leader latch of coord/latch.h)
 * A contender creates an ephemeral sequential node "<path>/n-<16 hex>-<10 digits>" whose
 * data names it (sl_lock_new's `owner`, e.g. "job q host h1 pid 4242"); the lowest
 * sequence number holds the lock. A waiter watches only its predecessor, so a release (or
 * a holder's death) wakes one process - its successor - not the herd; a waiter whose
 * predecessor left the line without holding lists the children again and watches the new
 * predecessor. Lost creates are found again by the token in the name (coord/latch.c).
 *
 * FENCING. The lock lives as long as the holder's ZooKeeper session: a holder that dies
 * (SIGKILL, a crash) or freezes longer than the session timeout loses its node when the
 * server expires the session, and the next in line takes the lock. A holder whose session
 * expired has lost the lock for good (this object does not take it again: the caller
 * stops what it guarded). sl_lock_held answers from what the client knows (no I/O: cheap
 * enough for every write); sl_lock_check asks the server (the node still there, in this
 * session): the check to make before an action another holder must never see twice (the
 * filesystem sink's rename into place). Between the check and the action there remains a
 * window as long as the action: ZooKeeper has no fencing token the file system checks.
 *
 * THREADS: sl_lock_held may be called from any thread; the rest from one thread at a time.
 * The sl_zk handle is borrowed and must outlive the lock; give the lock a session of its
 * own when its life differs from the handle's other users'.
 */
#ifndef SL_COORD_LOCK_H
#define SL_COORD_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "coord/zk.h"
#include "engine/core/error.h"

struct sl_lock;

/* A lock at `path` (under zk's chroot; created when missing) for `owner` (at most 120
 * bytes, no newline: the node's data, what others see as the holder). *out is the
 * caller's (sl_lock_free). Nothing is created in ZooKeeper yet. */
int sl_lock_new(struct sl_zk *zk, const char *path, const char *owner, struct sl_lock **out,
                struct sl_error *err);

/*
 * Waits up to timeout_ms (< 0: forever; 0: one look) for the lock. 0 when held;
 * SL_ETIMEOUT while another holds it - the message names the path and the holder's data,
 * and this contender stays in the line (call again to go on waiting, sl_lock_release to
 * leave); SL_EFENCED when the session expired (never held again by this object).
 */
int sl_lock_acquire(struct sl_lock *lock, int timeout_ms, struct sl_error *err);

/* A flag (borrowed; NULL: none) that ends sl_lock_acquire's wait once non-zero (a SIGINT /
 * SIGTERM handler sets it): looked at least every 100 ms; the acquire then returns
 * SL_ESTOPPED and this contender's node stays in the line until sl_lock_release or
 * sl_lock_free, as after SL_ETIMEOUT. */
void sl_lock_set_stop(struct sl_lock *lock, const _Atomic int *stop);

/* A group that holds the lock together (NULL: none, the default; before the first
 * acquire): contenders whose owner text starts with `group` (e.g. "job J host ") do not
 * wait for one another - each holds it once every node before its own is of the group -
 * and any other contender waits until none of them is before it (coord/latch.h,
 * sl_latch_set_group). The processes of one job over several machines share a folder's lock
 * so; another job still waits for all of them. Fencing stays per process (its session). */
void sl_lock_set_group(struct sl_lock *lock, const char *group);

/* Whether the lock is held as far as the client knows: acquired, not released, the
 * session not expired. No I/O. */
bool sl_lock_held(struct sl_lock *lock);

/* Asks ZooKeeper whether the lock is still held (the node exists and belongs to this
 * session): 0 if so; SL_EFENCED (with the reason) when it is lost. While the server cannot
 * be reached (a restart, a blip) it asks again once connected, for up to 60 s; SL_EZK_RETRY
 * when it still cannot be asked then (not known to be held: do not act on it). */
int sl_lock_check(struct sl_lock *lock, struct sl_error *err);

/* The data of the node that holds the lock now into buf[cap] ("" when none): 0, or an error
 * of ZooKeeper. */
int sl_lock_holder(struct sl_lock *lock, char *buf, size_t cap, struct sl_error *err);

/* This contender's node ("" when none); owned by the lock. */
const char *sl_lock_node(const struct sl_lock *lock);

/* Leaves the line or gives the lock up (the node is deleted; the successor is woken). */
int sl_lock_release(struct sl_lock *lock, struct sl_error *err);

/* Releases (errors ignored) and frees; NULL is fine. */
void sl_lock_free(struct sl_lock *lock);

/* The lock path of a filesystem folder: "/fs/<escaped>" where <escaped> is the folder's
 * real path (symbolic links resolved) with '%' as "%25", '/' as "%2F" and bytes outside
 * printable ASCII as %XX. SL_EIO when the folder does not resolve, SL_ERANGE when the path
 * does not fit cap. */
int sl_lock_fs_path(const char *folder, char *out, size_t cap, struct sl_error *err);

#endif
