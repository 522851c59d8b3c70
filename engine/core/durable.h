/*
 * engine/core/durable.h - the one way sluice makes a small file durable: write a temporary
 * file beside it, fsync it, rename it over the target, fsync the directory. After
 * sl_durable_write returns 0 the file survives a power cut with exactly the new bytes; after
 * any failure or crash the target holds exactly the old bytes (or is absent if it was), and
 * at most a stray "NAME.tmp" is left, which the next write replaces. Manifests, the file
 * commit store, the finished-job marker and the filesystem sink's part files go through here;
 * snapshot files write their data through io_uring and use the same directory fsync.
 *
 * A rename that reports an error may have happened all the same (a reply lost on a network
 * file system): the target is read back, and its new bytes count as success, its old ones
 * as failure (the target unchanged), an unreadable target as "unknown" (SL_EIO saying so).
 *
 * FAULT AND CRASH POINTS (engine/core/fault.h), named by the caller's `what` (e.g.
 * "manifest"): `what`.write, `what`.fsync and `what`.rename fail the step as the system
 * call would; `what`.rename_reply renames, then reports the fault as if the reply were
 * lost; the crash point `what`.before_rename (and those the caller passes in
 * sl_durable_points) end the process there.
 *
 * ERRORS: the system's errno through sl_error_from_errno (ENOSPC -> SL_EFULL, ...), with a
 * message naming the step and the path.
 */
#ifndef SL_ENGINE_CORE_DURABLE_H
#define SL_ENGINE_CORE_DURABLE_H

#include <stddef.h>

#include "engine/core/error.h"

/* Crash points of one durable write, by step (NULL: none there). */
struct sl_durable_points {
    const char *before_write;  /* nothing of the new bytes is on disk yet */
    const char *before_rename; /* the temporary file is complete and fsynced */
    const char *after_rename;  /* renamed, the directory not fsynced yet */
};

/*
 * Writes data[0..len) to dir/name durably (above). `what` names the fault points and is the
 * word the error messages use; `pts` may be NULL. 0, or a code with `err` naming the step.
 */
int sl_durable_write(const char *dir, const char *name, const void *data, size_t len,
                     const char *what, const struct sl_durable_points *pts, struct sl_error *err);

/* fsync of a directory, so that renames and creations in it survive a power cut. */
int sl_durable_fsync_dir(const char *dir, struct sl_error *err);

/* mkdir of one directory, which may exist already. */
int sl_durable_mkdir(const char *dir, struct sl_error *err);

/*
 * Reads the whole file at `path` into a NUL-terminated buffer (*out, the caller's: free)
 * of *len bytes. SL_ENOTFOUND when it does not exist; SL_EFULL beyond `max` bytes.
 */
int sl_durable_read(const char *path, size_t max, char **out, size_t *len, struct sl_error *err);

#endif
