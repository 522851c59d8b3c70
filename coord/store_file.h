/*
 * coord/store_file.h - the embedded commit store: one process, no ZooKeeper server, a file
 * in the state directory.
 *
 * FILES in the state directory:
 *   commit        the current record and the history (format below)
 *   commit.tmp    the next version while it is written; a leftover from a crash is
 *                 ignored and overwritten
 *   commit.lock   flock'ed by the leader for as long as the store lives; a second store on
 *                 the same directory waits as a standby (sl_commit_acquire) and takes over
 *                 when the holder exits, even by a crash (the kernel drops the lock)
 *
 * FORMAT of `commit` (text):
 *   "sluice-commit 1\n"
 *   the current record (coord/commit.h text, through "end\n")
 *   0 to SL_COMMIT_HISTORY committed records, newest first
 *   "checksum <XXH64 of every byte before this line, 16 hex digits>\n"
 *
 * A PUT writes the whole file to commit.tmp, fsyncs it, renames it over `commit` and
 * fsyncs the directory: after a crash the file is either the old one or the new one,
 * whole. A rename that reports an error is checked by reading `commit` back: if it holds
 * the new content the rename happened and the put succeeds. Crash points (engine/core/fault.h):
 * file.before_write, file.before_rename, file.after_rename; fault points (engine/core/fault.h):
 * file.rename, file.rename_reply. Errors: SL_EIO naming the file and the system's reason
 * (and, for a failed rename, whether the record is in place); SL_ECORRUPT when `commit`
 * fails its checksum or does not parse (never silently reset).
 */
#ifndef SL_COORD_STORE_FILE_H
#define SL_COORD_STORE_FILE_H

#include "coord/commit.h"

/* A store in `state_dir` (created if missing, one level); *out is the caller's
 * (sl_commit_free). Not the leader yet: sl_commit_acquire. */
int sl_file_store_new(const char *state_dir, struct sl_commit_store **out, struct sl_error *err);

#endif
