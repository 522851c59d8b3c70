/*
 * io/fmt.h - what the record formats share: text <-> typed values, UTF-8 validation, output
 * buffers and the per-format options.
 *
 * JSON and CSV read every field as text at some point (a CSV field always, a JSON string or
 * number token when the declared type asks for it), so the rules of "text into a SQL type"
 * live here, once:
 *
 *   type          accepted text (surrounding spaces and tabs are trimmed, except VARCHAR)
 *   BOOLEAN       true | false, any case (Flink's Boolean.parseBoolean maps every other
 *                 string to false; sluice calls it an error instead, so typos are seen)
 *   INT, BIGINT   [+-]digits; a fraction, an exponent or a value out of range is an error
 *   DOUBLE        a decimal or exponent number, NaN, Infinity, -Infinity (Java's spellings)
 *   DECIMAL(p,s)  [+-]digits[.digits][e[+-]digits]; rounded half-up to s fraction digits
 *                 (as Flink's DecimalData.fromBigDecimal); more than p-s integer digits is an
 *                 error (Flink would make it NULL silently)
 *   TIMESTAMP(3)  engine/core/datetime.h (sl_dt_parse): yyyy-MM-dd[( |T)HH:mm[:ss[.f{1,9}]]
 *                 [Z]], years 0000-9999, strict dates; digits past milliseconds are
 *                 truncated
 *   VARCHAR       the bytes as they are; they must be valid UTF-8
 *   BYTES         base64 (RFC 4648 standard alphabet, '=' padding required, no line breaks,
 *                 nothing trimmed): what Flink's json and csv formats write and read
 *                 (Jackson's binary node, Base64Variants.MIME_NO_LINEFEEDS)
 *   MAP           not read from text (a MAP comes from Kafka headers only); an error
 *
 * Formatting is the inverse and round-trips: a value formatted and parsed again is the same
 * value (DOUBLE uses the shortest of %.15g/%.16g/%.17g that reads back exactly; TIMESTAMP(3)
 * is written by sl_dt_format(SL_DT_SQL) and reads back for the years 0000-9999, Flink's
 * TIMESTAMP range).
 *
 * Errors are negative codes from engine/core/error.h with a message in `struct sl_error` that
 * names the field, its type and the offending text (cut to 64 bytes, non-printable bytes as
 * \xNN), e.g. "field 'bid.price' (BIGINT): out of range: '99999999999999999999'".
 */
#ifndef SL_IO_FMT_H
#define SL_IO_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/datetime.h"
#include "engine/core/error.h"
#include "engine/core/types.h"
#include "io/badrec.h"
#include "io/record.h"

/* ---- options shared by the formats ---------------------------------------------------------- */

#define SL_FMT_DEFAULT_MAX_RECORD (1u << 20) /* 1 MiB */

struct sl_fmt_opts {
    size_t max_record_bytes;      /* a longer record is a bad record; 0 = the default (1 MiB) */
    char csv_delimiter;           /* CSV field delimiter; 0 = ',' */
    const char *csv_null_literal; /* CSV: a field equal to this text is NULL (NULL: none);
                                     not owned, must outlive the decoder */
    bool csv_line_end;            /* CSV encoder: end each record with "\n" (files); Kafka: false */
    bool json_line_end;           /* JSON encoder: end each record with "\n" */
    bool avro_local_timestamp;    /* Avro: TIMESTAMP(3) as "local-timestamp-millis", not
                                     "timestamp-millis" ('avro.timestamp_mapping.legacy' =
                                     'false'); the same bytes */
    bool debezium_schema_include; /* debezium-json: the envelope is under "payload"
                                     ('debezium-json.schema-include'; decode only) */
};

/* ---- text -> values ------------------------------------------------------------------------- */

/* Each returns 0, SL_EPARSE (not the type's syntax) or SL_ERANGE (does not fit), and sets
 * *why to a short static description of what was wrong (when not 0). */
int sl_fmt_parse_bool(const char *s, size_t n, uint8_t *out, const char **why);
int sl_fmt_parse_i64(const char *s, size_t n, int64_t *out, const char **why);
int sl_fmt_parse_i32(const char *s, size_t n, int32_t *out, const char **why);
int sl_fmt_parse_f64(const char *s, size_t n, double *out, const char **why);
int sl_fmt_parse_decimal(const char *s, size_t n, unsigned precision, unsigned scale, int64_t *out,
                         const char **why);

/* Whether the n bytes at s are valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool sl_fmt_utf8_valid(const char *s, size_t n);

/* The n bytes at s as UTF-8 text the way Java's new String(bytes, UTF_8) reads them: valid
 * sequences as they are, each maximal ill-formed subpart replaced by U+FFFD (EF BF BD);
 * out has room for 3 * n bytes. Returns the length written. (CAST(BYTES AS STRING).) */
size_t sl_fmt_utf8_lossy(char *out, const char *s, size_t n);

/* Base64 text of n bytes: SL_FMT_BASE64_LEN(n) bytes, standard alphabet, '=' padded. */
#define SL_FMT_BASE64_LEN(n) (((size_t)(n) + 2) / 3 * 4)
size_t sl_fmt_base64_encode(char *out, const char *in, size_t n);

/* Decodes base64 text (n bytes) into out (room for n / 4 * 3 bytes), *outlen its length.
 * Returns 0 or SL_EPARSE with *why set: a length that is not a multiple of 4, a byte
 * outside the alphabet, '=' anywhere but at the end. */
int sl_fmt_base64_decode(const char *s, size_t n, char *out, size_t *outlen, const char **why);

/* Whether every key of the MAP<STRING, BYTES> value m[0..n) (a valid encoding,
 * engine/core/types.h) is valid UTF-8: a map made from outside bytes must check it. */
bool sl_fmt_map_keys_utf8(const char *m, uint32_t n);

/* Checks that a DECIMAL(p, s) value (scaled int64) fits its precision: |v| < 10^p. */
static inline bool sl_fmt_decimal_fits(int64_t v, unsigned precision)
{
    int64_t lim = sl_pow10_i64(precision);
    return precision >= 19 || (v < lim && v > -lim);
}

/*
 * Parses `n` bytes of text as the type of column `col` and stores it in row `row` (marking
 * the row present). VARCHAR text is validated and copied into the batch's string heap.
 * `name` is the field name for the message in err. Returns 0 or a negative code.
 */
int sl_fmt_store_text(struct sl_batch *b, uint32_t col, uint32_t row, const char *s, size_t n,
                      struct sl_error *err);

/* Stores n bytes as the VARCHAR value of row `row` (copied to the string heap), without a
 * UTF-8 check: for text a parser has validated already (simdjson validates every record
 * and rejects unpaired surrogate escapes). Returns 0 or SL_ENOMEM / SL_ERANGE. */
int sl_fmt_store_varchar(struct sl_batch *b, uint32_t col, uint32_t row, const char *s, size_t n,
                         struct sl_error *err);

/* Marks row `row` of column `col` NULL, or fails with SL_EINVAL "missing/NULL value for NOT
 * NULL field" when the column is not nullable. */
int sl_fmt_store_null(struct sl_batch *b, uint32_t col, uint32_t row, struct sl_error *err);

/* Fills err with "field 'NAME' (TYPE): WHY: 'TEXT'" (TEXT may be NULL) and returns code. */
int sl_fmt_field_error(struct sl_error *err, int code, const struct sl_field *field,
                       const char *why, const char *text, size_t n);

/* ---- projection pushdown: the columns a decoder materialises -------------------------------- */

/*
 * A decoder's column mask (every decoder has one; all columns needed until set). A column
 * that is not needed is skipped in every record: its bytes are checked only for what makes
 * the record well-formed in its format (syntax, UTF-8, layout), never converted and never
 * copied into the batch's string heap, and type errors in it are not reported (as Flink's
 * formats with a projection pushed into them). In the batch its rows are NULL (validity bit
 * cleared).
 *
 * A NOT NULL column is always decoded, needed or not: it has no validity bitmap to say
 * "absent", and a made-up value is not harmless downstream - the projection operator
 * evaluates every expression of a view, the unread ones too, so a zero could turn into a
 * division by zero that the real value would not have caused (NULL only ever gives NULL).
 */
struct sl_fmt_mask {
    uint32_t ncols;
    uint32_t npruned;               /* columns not decoded */
    bool *need;                     /* ncols flags, owned */
    uint32_t *pruned;               /* the npruned columns not decoded, ascending, owned */
    const struct sl_schema *schema; /* not owned */
};

/* Every column of `schema` (not owned, must outlive the mask) needed. Returns 0 or
 * SL_ENOMEM; free with sl_fmt_mask_free. */
int sl_fmt_mask_init(struct sl_fmt_mask *m, const struct sl_schema *schema);
void sl_fmt_mask_free(struct sl_fmt_mask *m);

/* Decodes exactly the columns with needed[c] true, and every NOT NULL one. `needed` (n
 * flags, not kept) may be NULL: every column. Columns at n and beyond stay needed. Allocates
 * nothing, so never fails. */
void sl_fmt_mask_set(struct sl_fmt_mask *m, const bool *needed, uint32_t n);

/* Makes rows [from, to) of every column not decoded NULL. Called by the decoders once after
 * each decode call, over the rows that call appended. */
void sl_fmt_mask_fill(const struct sl_fmt_mask *m, struct sl_batch *b, uint32_t from, uint32_t to);

/* ---- the decode loop every format shares ---------------------------------------------------- */

/*
 * Decodes one record's bytes into row `row` of `b`. Writes every column of the row (a value
 * or NULL) or fails; on failure the row is simply not counted (b->rows is not advanced), so a
 * failed record never leaves a half-written row. `err` gets the field and what was wrong,
 * without the record's position (the loop adds it).
 */
typedef int (*sl_fmt_row_fn)(void *codec, const char *data, size_t len, struct sl_batch *b,
                             uint32_t row, struct sl_error *err);

/*
 * Checks that apply to every format: a tombstone (value NULL), an empty record, one longer
 * than max_bytes. Returns 0 or a negative code with err set (without the position).
 */
int sl_fmt_check_record(const struct sl_record *rec, size_t max_bytes, struct sl_error *err);

/*
 * The decode loop: appends one row per good record to `b` (from b->rows on) until the
 * records run out or the batch is full. Bad records go to `bad` (NULL: fail). Sets
 * *consumed to the records dealt with (decoded, skipped or dead-lettered); when it is less
 * than n and the return is 0, the batch is full: continue with recs + *consumed and a fresh
 * batch. On an error (fail policy, a failing dead-letter callback, out of memory) returns
 * the negative code with err naming the record, and *consumed is the index of that record;
 * the rows of the records before it are in the batch. `b` must have no selection.
 */
int sl_fmt_decode_records(sl_fmt_row_fn fn, void *codec, size_t max_bytes,
                          const struct sl_record *recs, size_t n, struct sl_batch *b,
                          struct sl_badrec *bad, size_t *consumed, struct sl_error *err);

/* ---- values -> text ------------------------------------------------------------------------- */

/* Minimum room formatters need in their output buffer. */
#define SL_FMT_VALUE_MAX 48

/* Each writes at most SL_FMT_VALUE_MAX bytes (no terminating NUL) and returns the length. */
size_t sl_fmt_i64(char *buf, int64_t v);
size_t sl_fmt_decimal(char *buf, int64_t v, unsigned scale);
/* Finite values only (callers spell NaN and the infinities in their format's way). -0.0 is
 * written "-0.0". */
size_t sl_fmt_f64(char *buf, double v);
/* A double as Java's Double.toString prints it (Flink's CAST(d AS STRING), JSON_VALUE of a
 * number): the shortest digits that read back, plain for 1e-3 <= |d| < 1e7 ("100.0",
 * "0.001"), else "1.0E7", "1.234E-5"; "NaN", "Infinity", "-Infinity". */
size_t sl_fmt_java_double(char *buf, double v);

/* ---- output buffers ------------------------------------------------------------------------- */

/*
 * Bytes of encoded records, one after another: record i is data[off[i] .. off[i+1]). The
 * encoders append to it; the sink hands each record to Kafka or writes data[0 .. len) to a
 * file. The buffer owns data and off (free with sl_fmt_out_free); clear keeps the memory.
 */
struct sl_fmt_out {
    char *data;
    size_t len, cap;
    size_t *off; /* nrec + 1 entries, off[0] = 0 */
    uint32_t nrec, offcap;
};

void sl_fmt_out_init(struct sl_fmt_out *o);
void sl_fmt_out_free(struct sl_fmt_out *o);
void sl_fmt_out_clear(struct sl_fmt_out *o);
/* Makes room for `extra` more bytes; SL_ENOMEM when out of memory. */
int sl_fmt_out_reserve(struct sl_fmt_out *o, size_t extra);
/* Ends the current record at o->len (appends an offset). */
int sl_fmt_out_end_record(struct sl_fmt_out *o);

static inline size_t sl_fmt_out_rec_len(const struct sl_fmt_out *o, uint32_t i)
{
    return o->off[i + 1] - o->off[i];
}

static inline const char *sl_fmt_out_rec(const struct sl_fmt_out *o, uint32_t i)
{
    return o->data + o->off[i];
}

#endif
