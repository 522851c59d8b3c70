/*
 * coord/crash.h - named crash points for the checkpoint crash tests.
 *
 * Every step of the epoch protocol that a crash could interrupt calls
 * sl_crash_point("module.step"). When the environment variable SLUICE_CRASH_AT names that
 * point, the process ends right there with _exit(137) - no atexit handlers, no stdio flush,
 * no ZooKeeper session close - which is what a kill -9 at that instant leaves behind. A test
 * forks, sets SLUICE_CRASH_AT in the child and checks what survives.
 *
 * The points in coord/ (docs/checkpoint.md lists them all):
 *   zk.before_multi    ZooKeeper store: the commit multi is built but not sent
 *   zk.after_multi     ZooKeeper store: the server applied the multi, the caller has not seen it
 *   file.before_write  file store: nothing of the new record is on disk yet
 *   file.before_rename file store: the temporary file is written and fsynced, not renamed
 *   file.after_rename  file store: renamed into place, the directory not fsynced yet
 *
 * The variable is read at every call (tests set it after fork), which costs a getenv: the
 * points sit on paths that do I/O, never in a batch loop.
 */
#ifndef SL_COORD_CRASH_H
#define SL_COORD_CRASH_H

/* The exit status of a crash point. */
#define SL_CRASH_STATUS 137

/* Ends the process with _exit(SL_CRASH_STATUS) when SLUICE_CRASH_AT equals `point`. */
void sl_crash_point(const char *point);

#endif
