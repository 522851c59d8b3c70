/*
 * engine/plan/settings.h - the job settings sluice knows (SET 'key' = 'value'): one table
 * that says, for every key, what a valid value is and whether a running job can take a
 * change of it without a restart.
 *
 * HOW IT WORKS
 * The binder checks every SET against this table (sl_setting_check): a known key with a bad
 * value is refused at bind time, with the SET's position; a key the table does not know is
 * accepted and ignored, as Flink's SET does. `sluice config set` (tools/cmd_cluster.c) calls
 * the same function before it writes the job's settings node in ZooKeeper, and there an
 * unknown key is refused too (SL_ENOTFOUND): a live setting nobody reads is a typo.
 *
 * A few keys apply to a running job (engine/exec/livecfg.c): the checkpoint interval and a
 * source's rate limit. The rest are read once at start; a change of one of them in
 * ZooKeeper is logged as "needs a restart" by the running members and takes effect at the
 * next start (docs/cluster.md).
 *
 * Per-table keys: "sluice.source.<table>.scan.rate-limit" is the table's 'scan.rate-limit'
 * option (records per second, 0: none) as a job setting; <table> is the name in CREATE
 * TABLE (letters, digits, '_', as an identifier; compared case-insensitively).
 */
#ifndef SL_ENGINE_PLAN_SETTINGS_H
#define SL_ENGINE_PLAN_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"

/* The largest rate limit, records per second. */
#define SL_RATE_LIMIT_MAX 1000000000LL

/*
 * Checks `key` = `value`. 0 when the key is known and the value valid (*live, when not
 * NULL, says whether a running job applies a change of it); SL_ENOTFOUND when sluice does
 * not know the key; SL_EINVAL when the value is not valid for it. The message names the key,
 * the value and what is expected. NULL key or value: SL_EINVAL.
 */
int sl_setting_check(const char *key, const char *value, bool *live, struct sl_error *err);

/* Whether `key` is "sluice.source.<table>.scan.rate-limit": the table's name into
 * table[cap] (NUL-terminated; false when it does not fit). */
bool sl_setting_rate_table(const char *key, char *table, size_t cap);

/* A rate limit ('scan.rate-limit', records per second): an integer from 0 (none) to
 * SL_RATE_LIMIT_MAX, surrounding spaces allowed. 0 and *out, else -1. */
int sl_setting_rate_parse(const char *value, int64_t *out);

/* The known keys, for messages and `--help`: the i-th key (NULL past the end) and whether
 * it applies live. */
const char *sl_setting_key(size_t i, bool *live);

#endif
