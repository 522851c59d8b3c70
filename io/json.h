/*
 * io/json.h - the JSON record format (Flink's 'json' format), decoder and encoder.
 *
 * A record is one JSON object. ROW columns are nested objects: the flattened field
 * "bid.price" is key "price" of the object under key "bid". Keys are case-sensitive (as in
 * Flink); keys the schema does not know are skipped. JSON null and a missing key are NULL
 * (an error for a NOT NULL field); a ROW key whose value is null makes all of its fields
 * NULL.
 *
 *   type          accepted JSON values
 *   BOOLEAN       true | false, or a string "true" / "false" (any case)
 *   INT, BIGINT   an integer number, or a string holding one; a fraction, an exponent or a
 *                 value out of range is an error
 *   DOUBLE        a number, or a string with a number, NaN, Infinity, -Infinity
 *   DECIMAL(p,s)  a number or a string, rounded half-up to s digits; more than p-s integer
 *                 digits is an error
 *   TIMESTAMP(3)  a string by engine/core/datetime.h's rules: Flink's SQL standard
 *                 'yyyy-MM-dd HH:mm:ss.SSS' and its ISO-8601 one 'yyyy-MM-ddTHH:mm:ss.SSS'
 *                 (seconds and fraction optional, a date alone, 'Z'), both always; or a
 *                 JSON integer: epoch ms (a sluice extension)
 *   VARCHAR       a string; as Flink, a number or boolean gives its JSON text, an object or
 *                 array its JSON text (minified)
 *
 * Invalid JSON, invalid UTF-8 (simdjson validates the whole record), content after the
 * object, a non-object record, a record over the size limit, an empty record and a Kafka
 * tombstone are bad records (io/badrec.h). One limit comes from simdjson On-Demand, which
 * validates what is read: the value of a key the schema does not know is skipped after
 * stage 1's checks (UTF-8, string syntax, structure) and a count of nesting, so a wrong
 * bracket kind or a misspelt literal *inside an ignored value* goes unnoticed; everything
 * that reaches a column is fully validated.
 *
 * Decoding takes one of two paths per record with the same results: a one-pass decoder
 * specialised for the schema (io/jsonfast.h) for the common case, simdjson for the rest
 * (and the reference for every value, error and message).
 *
 * The encoder writes Flink's shape: nested objects from the dotted names, in schema order
 * of first appearance; a ROW whose fields are all NULL is written as null; TIMESTAMP(3) as
 * "yyyy-MM-dd HH:mm:ss.SSS"; DECIMAL as a plain number; DOUBLE NaN and infinities as the
 * strings "NaN", "Infinity", "-Infinity" (Jackson's default); NULL as null.
 */
#ifndef SL_IO_JSON_H
#define SL_IO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "io/badrec.h"
#include "io/fmt.h"
#include "io/record.h"

struct sl_json;

/*
 * A JSON codec for `schema` (not owned; it must outlive the codec). `opts` may be NULL
 * (defaults: 1 MiB max record, no line ends when encoding). NULL with err set when the
 * dotted names do not form a tree ("a" and "a.b" both, an empty segment, a duplicate) or
 * out of memory. Free with sl_json_free. A codec belongs to one thread.
 */
struct sl_json *sl_json_new(const struct sl_schema *schema, const struct sl_fmt_opts *opts,
                            struct sl_error *err);
void sl_json_free(struct sl_json *json);

/* Decodes records into rows of `b`: see sl_fmt_decode_records (io/fmt.h) for the contract. */
int sl_json_decode(struct sl_json *json, const struct sl_record *recs, size_t n, struct sl_batch *b,
                   struct sl_badrec *bad, size_t *consumed, struct sl_error *err);

/*
 * Projection pushdown: from now on decode only the columns with needed[c] true (ncols flags,
 * not kept; NULL: all of them) and the NOT NULL ones; the others come out NULL, see struct
 * sl_fmt_mask (io/fmt.h). A record is still checked to be one well-formed JSON object in
 * valid UTF-8, and a value under a key of a column not needed is validated as JSON exactly
 * as far as a read VARCHAR's (a scalar completely; a container as far as simdjson's
 * raw_json() goes) - but it is not converted, so a type error in it (a string in an INT
 * field, a scalar where a ROW's object should be) is not reported: Flink's json format with
 * a projection pushed into it (JsonParserToRowDataConverters skips unprojected fields token
 * by token) behaves the same. Call between decodes, on the codec's thread.
 */
void sl_json_prune(struct sl_json *json, const bool *needed, uint32_t ncols);

/*
 * How the records this codec decoded went: `fast` through the schema-specialised one-pass
 * decoder, `fallback` through simdjson (which the fast path hands anything unusual to, so
 * results never depend on the path). For metrics and tests; the fast path is disabled for a
 * codec made with SLUICE_JSON_FAST=off in the environment.
 */
struct sl_json_stats {
    uint64_t fast;
    uint64_t fallback;
};
void sl_json_stats(const struct sl_json *json, struct sl_json_stats *stats);

/* Appends one record per active row of `b` (its selection honoured) to `out`. */
int sl_json_encode(struct sl_json *json, struct sl_batch *b, struct sl_fmt_out *out,
                   struct sl_error *err);

/* Appends the JSON object of row `row` of `b` to `out`, without ending a record (an
 * envelope format writes it inside its own object: io/debezium.h). 0 or SL_ENOMEM. */
int sl_json_put_row(struct sl_json *json, struct sl_batch *b, uint32_t row, struct sl_fmt_out *out);

#endif
