/*
 * io/avro.h - the Avro record format (Flink's 'avro' format, flink-avro's
 * AvroRowDataSerializationSchema / AvroRowDataDeserializationSchema), decoder and encoder.
 *
 * A record is one Avro datum in the binary encoding (Avro specification, "Binary Encoding"),
 * nothing else: no Confluent schema-registry header, no object container file. Writer and
 * reader schema are the same, derived from the table's columns as Flink's
 * AvroSchemaConverter.convertToSchema (flink-formats/flink-avro/.../typeutils/
 * AvroSchemaConverter.java) derives it:
 *
 *   the table      a record named "record" in namespace "org.apache.flink.avro.generated",
 *                  one field per column, in column order, named as the column
 *   a nullable     the union ["null", T] with "default": null; a NOT NULL column is T
 *   column
 *   BOOLEAN        "boolean"                   one byte, 0 or 1
 *   INT            "int"                       zig-zag varint, 32 bits
 *   BIGINT         "long"                      zig-zag varint, 64 bits
 *   DOUBLE         "double"                    8 bytes, little-endian IEEE 754
 *   DECIMAL(p,s)   {"type":"bytes","logicalType":"decimal","precision":p,"scale":s}
 *                                              length, then the unscaled value as big-endian
 *                                              two's complement, in as few bytes as Java's
 *                                              BigInteger.toByteArray writes it
 *   TIMESTAMP(3)   {"type":"long","logicalType":"timestamp-millis"}   ms since 1970-01-01
 *                  (UTC, as Flink's TimestampData.toInstant); with the option
 *                  'avro.timestamp_mapping.legacy' = 'false' the logical type is
 *                  "local-timestamp-millis" (Flink 1.19+), the same bytes
 *   VARCHAR        "string"                    length, then UTF-8 bytes
 *
 * A union's branch is its index as a zig-zag varint (0 null, 1 the value). sl_avro_schema
 * gives the schema's JSON text, spelt as Avro Java's Schema.toString() spells it; libavro
 * (Avro C) parses it when the codec is made, so a schema sluice writes is one Avro accepts.
 *
 * Not supported (refused when the codec is made, with the column named): column names
 * that are not Avro names ([A-Za-z_][A-Za-z0-9_]*, which Avro Java refuses too), and so the
 * flattened fields of ROW columns ("bid.price": Flink writes a nested record there).
 *
 * Bad records (io/badrec.h): a datum that ends early, a varint longer than its type (5
 * bytes for int, 10 for long) or out of the int range, a union index other than 0 or 1
 * (for a NOT NULL column: any union index, as there is none), a negative length, a
 * BOOLEAN byte other than 0/1, a DECIMAL beyond its precision (Flink makes it NULL), a
 * zero-length DECIMAL (Java's BigInteger refuses it), invalid UTF-8 in a string (Java
 * decodes it with replacement characters), and bytes left after the last field (Flink
 * ignores them; sluice calls the record bad, as a sign of a writer with another schema).
 * The message names the field, e.g. "field 'price' (BIGINT): varint longer than 10 bytes".
 *
 * Decoding reads the binary encoding directly into the batch's columns (no per-record
 * objects); libavro's generic value API is the tests' independent reference.
 */
#ifndef SL_IO_AVRO_H
#define SL_IO_AVRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "io/badrec.h"
#include "io/fmt.h"
#include "io/record.h"

struct sl_avro;

/*
 * An Avro codec for `schema` (not owned; it must outlive the codec). `opts` may be NULL
 * (defaults); max_record_bytes and avro_local_timestamp are used. NULL with err set when a
 * column cannot be an Avro field (see above) or out of memory. Free with sl_avro_free.
 * A codec belongs to one thread.
 */
struct sl_avro *sl_avro_new(const struct sl_schema *schema, const struct sl_fmt_opts *opts,
                            struct sl_error *err);
void sl_avro_free(struct sl_avro *avro);

/* The Avro schema's JSON text (owned by the codec), as Flink's AvroSchemaConverter writes
 * it for the same table. */
const char *sl_avro_schema(const struct sl_avro *avro);

/*
 * Projection pushdown: from now on decode only the columns with needed[c] true (ncols flags,
 * not kept; NULL: all) and the NOT NULL ones; the others come out NULL, see struct
 * sl_fmt_mask (io/fmt.h). Every field's bytes are still walked (the binary encoding has no
 * way to skip a field without reading its lengths), union indexes, lengths and strings'
 * UTF-8 checked; the value checks of a column not needed (a BOOLEAN byte, a DECIMAL's
 * precision, the int range) are not made. Call between decodes.
 */
void sl_avro_prune(struct sl_avro *avro, const bool *needed, uint32_t ncols);

/* Decodes records into rows of `b`: see sl_fmt_decode_records (io/fmt.h) for the contract. */
int sl_avro_decode(struct sl_avro *avro, const struct sl_record *recs, size_t n, struct sl_batch *b,
                   struct sl_badrec *bad, size_t *consumed, struct sl_error *err);

/* Appends one record per active row of `b` (its selection honoured) to `out`. */
int sl_avro_encode(struct sl_avro *avro, struct sl_batch *b, struct sl_fmt_out *out,
                   struct sl_error *err);

#endif
