/*
 * tests/util/iotest.h - helpers of the record-format tests (tests/io/): a schema with every
 * type (nested ROWs included), random batches with the extremes, row comparison, records
 * from strings, and a dead-letter callback that writes to a file.
 */
#ifndef SL_TESTS_IOTEST_H
#define SL_TESTS_IOTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/core/batch.h"
#include "io/badrec.h"
#include "io/fmt.h"
#include "io/record.h"

/* Columns of sl_iot_schema(): */
enum {
    IOT_B,   /* "b"      BOOLEAN */
    IOT_I,   /* "i"      INT */
    IOT_L,   /* "l"      BIGINT */
    IOT_D,   /* "d"      DOUBLE */
    IOT_M,   /* "m"      DECIMAL(18, 4) */
    IOT_N,   /* "n"      DECIMAL(5, 2) */
    IOT_T,   /* "t"      TIMESTAMP(3) */
    IOT_S,   /* "s"      VARCHAR */
    IOT_RX,  /* "r.x"    BIGINT */
    IOT_RYZ, /* "r.y.z"  VARCHAR */
    IOT_K,   /* "k"      BIGINT NOT NULL */
    IOT_NCOLS
};

/* The all-types schema above; the caller frees it with sl_schema_free. */
struct sl_schema *sl_iot_schema(void);

/* A batch environment: a heap, a pool of `schema` and one batch taken from it. */
struct sl_iot {
    struct sl_schema *schema;
    struct sl_heap *heap;
    struct sl_batch_pool *pool;
    struct sl_batch *b;
};
void sl_iot_open(struct sl_iot *t, struct sl_schema *schema); /* takes the schema */
void sl_iot_close(struct sl_iot *t);                          /* frees everything */

/* A record of topic "t", partition 0, the given offset and a NUL-terminated value. */
struct sl_record sl_iot_rec(const char *value, int64_t offset);

/* Fills rows 0..rows-1 of every column with random values (extremes, NULLs in about
 * null_pct percent of nullable cells, strings with quotes, commas, newlines, control bytes,
 * multi-byte UTF-8, empty and long ones; timestamps within years 0000-9999, the range text
 * formats carry) and sets b->rows. */
void sl_iot_fill(struct sl_batch *b, uint32_t rows, unsigned null_pct, uint64_t *rs);

/* Whether row ra of a equals row rb of b, column by column (NaN equals NaN; -0.0 differs
 * from 0.0). On a difference, prints the column to stderr. */
bool sl_iot_row_equal(struct sl_batch *a, uint32_t ra, struct sl_batch *b, uint32_t rb);

/* Dead-letter sink for tests: appends "MSG\n<len> bytes: VALUE\n" to a file, counts. */
struct sl_iot_dlq {
    FILE *f;
    unsigned count;
    int fail_with; /* when non-zero, the callback fails with this code */
};
int sl_iot_dlq_cb(void *ctx, const struct sl_record *rec, const char *msg);
/* The whole file as a NUL-terminated string (caller frees). */
char *sl_iot_slurp(FILE *f);

#endif

/* ---- round trips ------------------------------------------------------------------------- */

typedef int (*sl_iot_enc_fn)(void *codec, struct sl_batch *b, struct sl_fmt_out *out,
                             struct sl_error *err);
typedef int (*sl_iot_dec_fn)(void *codec, const struct sl_record *recs, size_t n,
                             struct sl_batch *b, struct sl_badrec *bad, size_t *consumed,
                             struct sl_error *err);

/*
 * For every length of sl_test_lengths that fits a batch, with no NULLs, some NULLs and a
 * selection, and all NULLs: fills t->b at random, encodes it, decodes the records into
 * another batch of the pool and checks decode(encode(x)) == x row by row.
 */
void sl_iot_round_trip(struct sl_iot *t, void *codec, sl_iot_enc_fn enc, sl_iot_dec_fn dec,
                       uint64_t *rs);
