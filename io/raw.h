/*
 * io/raw.h - the raw record format: a fixed binary layout, the fastest way in and out.
 *
 * One record is one row of the table's (flattened) schema, little-endian, in three parts:
 *
 *   offset          size              contents
 *   0               NB = ceil(C / 8)  null bitmap over the C columns: bit (i & 7) of byte
 *                                     (i >> 3) is 1 when column i is NULL; the unused high
 *                                     bits of the last byte are 0
 *   NB              W                 the fixed-width fields, every non-VARCHAR column in
 *                                     schema order, packed without padding:
 *                                       BOOLEAN        1 byte, 0 or 1
 *                                       INT            4 bytes, two's complement
 *                                       BIGINT         8 bytes, two's complement
 *                                       DOUBLE         8 bytes, IEEE 754 binary64
 *                                       DECIMAL(p,s)   8 bytes, the value times 10^s
 *                                       TIMESTAMP(3)   8 bytes, ms since 1970-01-01 UTC
 *                                     a NULL field's bytes are written 0 and ignored on read
 *   NB + W          4 + len, each     the strings, every VARCHAR column in schema order: a
 *                                     4-byte length, then that many bytes of UTF-8; a NULL
 *                                     string has length 0
 *
 * The record is exactly NB + W + sum(4 + len) bytes: anything else is a bad record. So is a
 * NULL in a NOT NULL column, a BOOLEAN byte other than 0/1, a DECIMAL beyond its precision,
 * a set unused bitmap bit, and a string that is not valid UTF-8.
 *
 * Example, schema (id BIGINT, name VARCHAR, ok BOOLEAN) with id 7, name 'ab', ok NULL:
 *   04 | 07 00 00 00 00 00 00 00 | 00 | 02 00 00 00 61 62        (16 bytes)
 *
 * The layout is also documented in docs/formats.md.
 */
#ifndef SL_IO_RAW_H
#define SL_IO_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "io/badrec.h"
#include "io/fmt.h"
#include "io/record.h"

struct sl_raw;

/*
 * A raw codec for `schema` (not owned; it must outlive the codec). `opts` may be NULL
 * (defaults); only max_record_bytes is used. NULL with err set on a bad schema or out of
 * memory. Free with sl_raw_free.
 */
struct sl_raw *sl_raw_new(const struct sl_schema *schema, const struct sl_fmt_opts *opts,
                          struct sl_error *err);
void sl_raw_free(struct sl_raw *raw);

/* Bytes of a record before its strings (NB + W above). */
size_t sl_raw_fixed_size(const struct sl_raw *raw);

/*
 * Projection pushdown: from now on decode only the columns with needed[c] true (ncols flags,
 * not kept; NULL: all) and the NOT NULL ones; the others come out NULL, see struct
 * sl_fmt_mask (io/fmt.h). The layout is still checked in full (the record's length, every
 * string's length, the unused bitmap bits, no bytes in a NULL string) and so is the UTF-8 of
 * every string; the value checks of a column not needed (a BOOLEAN byte other than 0/1, a
 * DECIMAL beyond its precision) are not made. Call between
 * decodes.
 */
void sl_raw_prune(struct sl_raw *raw, const bool *needed, uint32_t ncols);

/* Decodes records into rows of `b`: see sl_fmt_decode_records (io/fmt.h) for the contract. */
int sl_raw_decode(struct sl_raw *raw, const struct sl_record *recs, size_t n, struct sl_batch *b,
                  struct sl_badrec *bad, size_t *consumed, struct sl_error *err);

/* Appends one record per active row of `b` (its selection honoured) to `out`. */
int sl_raw_encode(struct sl_raw *raw, struct sl_batch *b, struct sl_fmt_out *out,
                  struct sl_error *err);

#endif
