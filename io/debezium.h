/*
 * io/debezium.h - Flink's 'debezium-json' format: a changelog in Debezium's JSON envelope,
 * decoder and encoder.
 *
 * A record is one JSON object {"before": ROW, "after": ROW, "op": STRING} (with
 * 'debezium-json.schema-include' = 'true', Debezium's Kafka Connect shape: the envelope
 * under "payload", "schema" ignored). The ROWs are the table's columns as the 'json' format
 * reads and writes them (io/json.h: every type rule, nested ROWs, errors); other keys of the
 * envelope ("source", "ts_ms", "transaction") are skipped.
 *
 *   op          rows (Flink's DebeziumJsonDeserializationSchema)
 *   "c", "r"    +I of "after"
 *   "u"         -U of "before", then +U of "after"
 *   "d"         -D of "before"
 *   other       a bad record: Unknown "op" value "x". The Debezium JSON message is '...'
 *
 * A Kafka tombstone (value NULL) or an empty record is skipped without a count, as Flink's
 * deserializer skips them: Debezium writes a tombstone after each delete for log compaction.
 * An "u" or "d" whose "before" is null or missing is a bad record with Flink's message (The
 * "before" field of UPDATE message is null, ... REPLICA IDENTITY to FULL level); so is a
 * "c", "r" or "u" without "after". One difference: the JSON decoder reads a ROW that is null
 * and a ROW whose every field is null the same way, so a "before" (or "after") object whose
 * fields are all null counts as missing. A NULL in a NOT NULL column is a bad record.
 *
 * Encoding (Flink's DebeziumJsonSerializationSchema), per row by its kind:
 *   +I, +U      {"before":null,"after":{...},"op":"c"}
 *   -U, -D      {"before":{...},"after":null,"op":"d"}
 * so an update is a delete of the old row and a create of the new one, never an "u"; the
 * schema-include shape is decode-only (Flink refuses it on a sink too).
 *
 * HOW IT WORKS
 * The decoder is the JSON decoder over an envelope schema - the table's columns twice,
 * "before.<col>" and "after.<col>" (all nullable), then "op" - decoding into a scratch batch
 * of that schema; then one pass over its rows picks each row's kinds, and one gather per
 * column moves the picked halves into the caller's batch (strings copied into its heap). A
 * "u" makes two rows, so a call decodes at most (room left) / 2 records at a time (with one
 * row left, one record, which stays for the next call if it is a "u"). With the
 * 'fail' policy, records go to the JSON decoder in runs (between tombstones), so scratch
 * row i is record i of the run; with 'skip' or 'dead-letter' one at a time.
 * The encoder writes the envelope around the JSON encoder's object (sl_json_put_row).
 *
 * OWNERSHIP: the codec owns its envelope schema, its JSON codecs and its scratch batch.
 * THREADS: a codec belongs to one thread.
 */
#ifndef SL_IO_DEBEZIUM_H
#define SL_IO_DEBEZIUM_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "io/badrec.h"
#include "io/fmt.h"
#include "io/record.h"

struct sl_debezium;

/*
 * A codec for `schema` (the table's columns; not owned, must outlive the codec). `opts` may
 * be NULL; opts->debezium_schema_include selects the "payload" envelope (decode only: the
 * encoder refuses it). NULL with err set as sl_json_new, or out of memory.
 */
struct sl_debezium *sl_debezium_new(const struct sl_schema *schema, const struct sl_fmt_opts *opts,
                                    struct sl_error *err);
void sl_debezium_free(struct sl_debezium *d);

/*
 * Decodes records into rows of `b` with their kinds (b->kind is set; rows already in `b`
 * without kinds stay +I). The contract of sl_fmt_decode_records (io/fmt.h), except that one
 * record may give two rows and tombstones are skipped (consumed, not counted).
 */
int sl_debezium_decode(struct sl_debezium *d, const struct sl_record *recs, size_t n,
                       struct sl_batch *b, struct sl_badrec *bad, size_t *consumed,
                       struct sl_error *err);

/* Projection pushdown, as sl_json_prune: only the needed columns of "before" and "after"
 * are converted ("op" always). */
void sl_debezium_prune(struct sl_debezium *d, const bool *needed, uint32_t ncols);

/* Appends one envelope per active row of `b` (by its kind, above) to `out`. */
int sl_debezium_encode(struct sl_debezium *d, struct sl_batch *b, struct sl_fmt_out *out,
                       struct sl_error *err);

#endif
