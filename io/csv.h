/*
 * io/csv.h - the CSV record format (RFC 4180), decoder and encoder.
 *
 * Fields come in schema order, separated by a delimiter (',' unless configured). A field
 * may be quoted with '"'; inside quotes "" stands for one '"', and the delimiter, CR and LF
 * are plain text. After a closing quote comes the delimiter or the end of the record. A
 * record ends with LF or CRLF (optional on the last one).
 *
 * NULLs. Flink's csv.null-literal (disabled by default) makes a field equal to that text
 * NULL; since Flink 1.18 (FLINK-32665) an empty field of a non-string type is NULL too,
 * while an empty VARCHAR field is ''. sluice differs in one place, so that NULL and ''
 * both survive a round trip: an empty *unquoted* field is NULL for every type, VARCHAR
 * included, and a quoted empty field "" is '' (and NULL for the other types, as in Flink).
 * With a null literal configured, an unquoted field equal to it is NULL; a quoted one is
 * text. The encoder writes NULL as an empty field (or the null literal) and '' as "".
 *
 * Values of the other types follow io/fmt.h. A record with fewer or more fields than the
 * schema, a stray quote in an unquoted field, an unclosed quote, invalid UTF-8 in a VARCHAR
 * field: all bad records (io/badrec.h).
 *
 * Two ways in:
 *   sl_csv_decode         one record per message (Kafka): one trailing LF or CRLF is
 *                         allowed; a second line in a message is an error.
 *   sl_csv_decode_stream  a byte stream of lines (files); quoted fields may hold newlines.
 */
#ifndef SL_IO_CSV_H
#define SL_IO_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "io/badrec.h"
#include "io/fmt.h"
#include "io/record.h"

struct sl_csv;

/*
 * A CSV codec for `schema` (not owned; it must outlive the codec). `opts` may be NULL
 * (defaults: ',', no null literal, 1 MiB max record, no line ends when encoding); the
 * null-literal string is not copied and must outlive the codec. NULL with err set on a bad
 * option (a delimiter that is '"', CR or LF) or out of memory. Free with sl_csv_free.
 */
struct sl_csv *sl_csv_new(const struct sl_schema *schema, const struct sl_fmt_opts *opts,
                          struct sl_error *err);
void sl_csv_free(struct sl_csv *csv);

/*
 * Projection pushdown: from now on decode only the columns with needed[c] true (ncols flags,
 * not kept; NULL: all) and the NOT NULL ones; the others come out NULL, see struct
 * sl_fmt_mask (io/fmt.h). Every field is still delimited and checked for what makes the
 * record well-formed - the field count, its quoting, no line break outside quotes, valid
 * UTF-8 - but a field not needed is neither unescaped nor parsed, so a type error in it is
 * not reported: as Flink's csv format with a projection (CsvFileFormatFactory parses every
 * column of the line and converts only the projected ones). Call between decodes.
 */
void sl_csv_prune(struct sl_csv *csv, const bool *needed, uint32_t ncols);

/* One record per message: see sl_fmt_decode_records (io/fmt.h) for the contract. */
int sl_csv_decode(struct sl_csv *csv, const struct sl_record *recs, size_t n, struct sl_batch *b,
                  struct sl_badrec *bad, size_t *consumed, struct sl_error *err);

/*
 * Decodes lines from buf[0 .. len) into rows of `b` until the lines or the batch run out.
 * Bad lines are reported as records of `name` (a file path), partition -1, offset
 * base_offset + the line's start. Without `final`, a last line without its LF is left for
 * the next call (more bytes may follow); with it, that line is decoded too. Sets *used to
 * the bytes dealt with: continue at buf + *used (with base_offset + *used). Errors as in
 * sl_fmt_decode_records; *used then points at the bad line.
 */
int sl_csv_decode_stream(struct sl_csv *csv, const char *buf, size_t len, bool final,
                         const char *name, int64_t base_offset, struct sl_batch *b,
                         struct sl_badrec *bad, size_t *used, struct sl_error *err);

/* Appends one record per active row of `b` (its selection honoured) to `out`. */
int sl_csv_encode(struct sl_csv *csv, struct sl_batch *b, struct sl_fmt_out *out,
                  struct sl_error *err);

#endif
