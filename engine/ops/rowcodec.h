/*
 * engine/ops/rowcodec.h - rows of a batch as bytes: the one encoding of a row's columns that
 * the operators keeping or sending whole rows share (Top-N's checkpointed rows and its
 * exchange messages, engine/ops/op_rank.c; the OVER aggregate's waiting rows and its exchange
 * messages, engine/ops/op_over.c).
 *
 * HOW IT WORKS
 * A row, little-endian (engine/core/state.h), per column of the batch:
 *   1          flag: 0 a value follows, 1 NULL, 2 not stored (a column nothing downstream
 *              reads: skip[c])
 *   ...        the value when the flag is 0: VARCHAR as 4 length + the bytes, every other
 *              type its width (sl_type_width) as the column holds it
 * A batch (sl_rowc_put_batch, an exchange message's rows):
 *   4          rows (at most SL_BATCH_CAP), the batch's active rows in order
 *   1          kinds present (0/1), then if 1 one byte per row: its sl_row_kind
 *   ...        the rows as above
 * Reading (sl_rowc_get, sl_rowc_get_batch) checks every flag, kind and length against the
 * batch it writes into: SL_ECORRUPT "<in->what>: <what>: ... at byte <off>" for bytes that do
 * not fit (a NULL in a NOT NULL column, a column stored where it is skipped or the other way
 * round, a truncated value), never a crash.
 *
 * OWNERSHIP: strings longer than SL_STR_INLINE_MAX are copied into the destination batch's
 * string heap; nothing points into the reader's bytes afterwards.
 */
#ifndef SL_OPS_ROWCODEC_H
#define SL_OPS_ROWCODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "engine/core/state.h"

/* Appends row r of b's first ncols columns (skip: NULL, or per column whether it is not
 * stored). */
void sl_rowc_put(struct sl_sbuf *out, const struct sl_batch *b, uint32_t r, uint32_t ncols,
                 const bool *skip);

/* Reads one row into row j of b (j < SL_BATCH_CAP; b->rows is not changed); a skipped column
 * gets zeros (and NULL where it is nullable). `what` names the reader for errors. 0,
 * SL_ECORRUPT or SL_ENOMEM (the string heap). */
int sl_rowc_get(struct sl_sread *in, struct sl_batch *b, uint32_t j, const bool *skip,
                const char *what, struct sl_error *err);

/* Appends b's active rows with their kinds (the layout above). */
void sl_rowc_put_batch(struct sl_sbuf *out, const struct sl_batch *b, const bool *skip);

/* Reads what sl_rowc_put_batch wrote into the empty batch b (same columns): 0, SL_ECORRUPT or
 * SL_ENOMEM. */
int sl_rowc_get_batch(struct sl_sread *in, struct sl_batch *b, const bool *skip, const char *what,
                      struct sl_error *err);

#endif
