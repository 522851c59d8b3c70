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
 * A few keys apply to a running job (engine/exec/livecfg.c): the checkpoint interval, a
 * source's rate limit, the source idle timeout, the log level ('sluice.log.level') and a
 * filesystem sink's rolling policy. The rest are read once at start; a change of one of them in
 * ZooKeeper is logged as "needs a restart" by the running members and takes effect at the
 * next start (docs/cluster.md).
 *
 * Per-table keys: "sluice.source.<table>.scan.rate-limit" is the table's 'scan.rate-limit'
 * option (records per second, 0: none) as a job setting; <table> is the name in CREATE
 * TABLE (letters, digits, '_', as an identifier; compared case-insensitively).
 * "sluice.sink.<table>.<option>" is a sink table's option as a job setting, for the few
 * options listed at sl_setting_sink_key.
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

/* Whether `key` is "sluice.sink.<table>.<option>" with an option sluice takes as a job
 * setting (the filesystem sink's 'sink.rolling-policy.file-size', '.rollover-interval',
 * '.inactivity-interval' - live -, the Kafka sink's 'properties.linger.ms',
 * 'properties.batch.size', 'properties.batch.num.messages' - at start): the table's name
 * into table[cap] and the option (static) into *option (may be NULL). */
bool sl_setting_sink_key(const char *key, char *table, size_t cap, const char **option);

/* A size: bytes, or a number with a unit (b, k/kb, m/mb, g/gb, t/tb; 1024-based, any case,
 * as the filesystem connector's sizes): the bytes, else -1. */
int64_t sl_setting_size_bytes(const char *s);

struct sl_job;
/* The job setting "sluice.<kind>.<table>.<option>" (the table's name in any case; the last
 * SET wins), or NULL. Owned by job. */
const char *sl_setting_table_value(const struct sl_job *job, const char *kind, const char *table,
                                   const char *option);

/* 'table.exec.state.ttl' of `job` (Flink's idle state retention, docs/sql.md): the
 * milliseconds a key's state of a regular join, an unbounded GROUP BY or a Top-N /
 * deduplication is kept after its last write; 0 (the default, also for a NULL job): forever;
 * -1 when the value is not a duration (the binder refuses such a SET before). */
int64_t sl_setting_state_ttl_ms(const struct sl_job *job);

/* The wall clock in milliseconds since the epoch (CLOCK_REALTIME): the state TTL's time,
 * absolute so that checkpoints carry it to another process, as Flink's TTL timestamps. */
int64_t sl_setting_now_ms(void);

/* A rate limit ('scan.rate-limit', records per second): an integer from 0 (none) to
 * SL_RATE_LIMIT_MAX, surrounding spaces allowed. 0 and *out, else -1. */
int sl_setting_rate_parse(const char *value, int64_t *out);

/* The known keys, for messages and `--help`: the i-th key (NULL past the end) and whether
 * it applies live. */
const char *sl_setting_key(size_t i, bool *live);

#endif
