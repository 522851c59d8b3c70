/*
 * engine/core/fault.h - named fault points and crash points, for tests of durable I/O.
 *
 * A fault point is a name in the code ("snapshot.fsync") where an I/O step can be made to
 * fail as if the system call had returned an error. A crash point ("snapshot.before_rename")
 * is a place where the process can be made to die at once, as a power cut or kill -9 would,
 * so that recovery can be tested at every step of a protocol.
 *
 * Both are armed from the environment, read once at the first check:
 *
 *     SLUICE_FAULT=snapshot.fsync:EIO                    the first hit fails with EIO
 *     SLUICE_FAULT=snapshot.write:ENOSPC@3,snapshot.rename:EIO
 *                                                        the 3rd write, and the 1st rename
 *     SLUICE_CRASH_AT=snapshot.before_rename             exit status 137 on the first hit
 *     SLUICE_CRASH_AT=snapshot.after_write@2             ... on the second hit
 *
 * An error is an errno name (EIO, ENOSPC, EDQUOT, EROFS, ENOMEM, EPERM, EACCES, EBADF,
 * EINVAL, EEXIST, ENOENT, ENOSYS, EFBIG, EINTR, EAGAIN; ECONNRESET and ETIMEDOUT for the
 * ZooKeeper points of coord/zk.h) or SHORT (a write that transfers only part of its bytes). Each
 * armed entry fires once, on its N-th hit (default 1), and is then spent. Tests arm them through
 * sl_fault_set() and sl_crash_set() instead; those replace what the environment said. All functions
 * are thread-safe.
 *
 * Code asks with sl_fault_hit("point"), which returns 0 (go on) or the fault (a negative
 * errno, or SL_FAULT_SHORT), and calls sl_crash_point("point") where a crash may happen.
 */
#ifndef SL_IO_FAULT_H
#define SL_IO_FAULT_H

#include "engine/core/error.h"

/* The exit status of a crash point: what a kill -9 leaves behind, no atexit handlers, no
 * stdio flush, no ZooKeeper session close. */
#define SL_CRASH_STATUS 137

/* The result of sl_fault_hit for a SHORT fault: a write transfers half its bytes. */
#define SL_FAULT_SHORT 1

/*
 * Replaces the armed faults with `spec` (the SLUICE_FAULT syntax; NULL or "" disarms all).
 * Returns 0, or SL_EINVAL with a message naming the bad entry (nothing changes then).
 */
int sl_fault_set(const char *spec, struct sl_error *err);

/* Replaces the armed crash points with `spec` (the SLUICE_CRASH_AT syntax); as above. */
int sl_crash_set(const char *spec, struct sl_error *err);

/* Forgets what sl_fault_set / sl_crash_set armed and reads the environment again (for a
 * test that sets SLUICE_FAULT or SLUICE_CRASH_AT itself, e.g. in a forked child). */
void sl_fault_reload(void);

/* 0, or the fault armed for this hit of `point`: a negative errno or SL_FAULT_SHORT. */
int sl_fault_hit(const char *point);

/* Ends the process at once with status 137 (the exit_group system call: nothing runs on the
 * way out, not even a sanitizer's exit checks) if a crash is armed for this hit of `point`. */
void sl_crash_point(const char *point);

/* How many times `point` was passed (sl_fault_hit and sl_crash_point both count) since
 * the last sl_fault_set / sl_crash_set; lets tests check that a point is reached. */
unsigned sl_fault_hits(const char *point);

/* "EIO" for EIO etc.; NULL for an errno the table does not name. */
const char *sl_fault_errno_name(int e);

#endif
