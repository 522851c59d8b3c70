/*
 * engine/core/log.h - the log level of sluice's diagnostic messages ('sluice.log.level').
 *
 * HOW IT WORKS
 * One process-wide level, ERROR < WARN < INFO < DEBUG (Flink's names; default INFO), held in
 * an atomic so that it can change while a job runs (engine/exec/livecfg.c applies the job
 * setting 'sluice.log.level' live). A message of a level above the current one is not
 * written. What each level covers:
 *   ERROR  why a job or a command failed (always written: these are the exit's reason);
 *   WARN   something went wrong but the job goes on (a tolerated checkpoint failure, a
 *          cleanup that failed, a setting ignored or needing a restart);
 *   INFO   what an operator wants to see once (the metrics address, a live setting applied,
 *          a setting read from ZooKeeper at start, the progress display);
 *   DEBUG  one line per committed checkpoint epoch (its number and duration).
 * Messages are written whole with one fprintf to the stream given (stderr unless a caller
 * logs elsewhere), each as "sluice: ..." plus a newline.
 *
 * THREADS: any; the level is read with a relaxed atomic load.
 */
#ifndef SL_ENGINE_LOG_H
#define SL_ENGINE_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum sl_log_level { SL_LOG_ERROR = 0, SL_LOG_WARN = 1, SL_LOG_INFO = 2, SL_LOG_DEBUG = 3 };

/* The level's name ("ERROR", ...); "?" for none. */
const char *sl_log_level_name(int level);
/* "ERROR", "WARN" (or "WARNING"), "INFO", "DEBUG" in any case, surrounding spaces allowed:
 * the level, else -1. */
int sl_log_level_parse(const char *s);

void sl_log_set_level(enum sl_log_level level);
enum sl_log_level sl_log_get_level(void);
/* Whether a message of `level` is written now. */
bool sl_log_enabled(enum sl_log_level level);

/* Writes "sluice: <message>\n" to `out` (NULL: stderr) when `level` is enabled. */
void sl_log(FILE *out, enum sl_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
