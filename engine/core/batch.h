/*
 * engine/core/batch.h - columnar batches, schemas and batch pools.
 *
 * HOW IT WORKS
 * A batch holds up to SL_BATCH_CAP rows (2048 by default, a power of two; the test suite also
 * builds with 2) as one column per field. A column is an array of SL_BATCH_CAP values of its
 * type's width (engine/core/types.h), 64-byte aligned, plus a validity bitmap when the field can
 * hold NULL. Strings are 16-byte views (kernels/kcommon.h); those longer than 12 bytes point
 * into the batch's string heap, which lives and dies with the batch's contents.
 *
 * Filters never copy rows: they narrow the batch's selection. `sel == NULL` means every row
 * 0 .. rows-1 is active; otherwise the active rows are sel[0 .. nsel-1], in increasing order.
 * Each batch owns two selection buffers so that a filter can write the next selection while
 * reading the current one (sl_batch_sel_next / sl_batch_sel_commit).
 *
 * A batch is one allocation: header, column array, column data, bitmaps and selection
 * buffers, each part 64-byte aligned. Batches come from a pool of one schema, on the
 * worker's heap, and go back to it when done: in the steady state a worker allocates nothing.
 *
 *   part                 size (bytes)
 *   struct sl_batch      sizeof, rounded to 64
 *   columns              ncols * sizeof(struct sl_column), rounded to 64
 *   per column           SL_BATCH_CAP * width, rounded to 64
 *                        + SL_VALID_WORDS(SL_BATCH_CAP) * 8 rounded to 64 if nullable
 *   selection buffers    2 * SL_BATCH_CAP * 4
 *   row kinds            SL_BATCH_CAP, rounded to 64
 *
 * ROW KINDS: a batch of a changelog (the output of an updating operator, such as an unbounded
 * GROUP BY) says per row what it does to the result, as Flink's RowKind: +I insert, -U the
 * row before an update, +U the row after it, -D delete. `kind == NULL` means every row is
 * +I, so insert-only batches cost nothing; an updating operator points it at the batch's own
 * buffer (sl_batch_kinds) and fills kind[row] for rows 0 .. rows-1. Stateless operators pass
 * kinds through (a filter keeps them, a projection gathers them with its rows).
 *
 * THREADS: a pool and its batches belong to one worker thread. A batch that travels to
 * another worker is handed back through the exchange rings, never put into a foreign pool.
 */
#ifndef SL_ENGINE_BATCH_H
#define SL_ENGINE_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/mem.h"
#include "engine/core/types.h"
#include "kernels/kcommon.h"

/* ---- schema -------------------------------------------------------------------------------- */

struct sl_field {
    char *name; /* owned by the schema */
    struct sl_type type;
};

struct sl_schema {
    uint32_t ncols;
    struct sl_field *fields; /* owned by the schema */
};

/* A schema with `ncols` fields copied from names and types; NULL when out of memory.
 * The caller owns it and frees it with sl_schema_free. */
struct sl_schema *sl_schema_new(uint32_t ncols, const char *const *names,
                                const struct sl_type *types);
void sl_schema_free(struct sl_schema *schema);

/* Index of the field named `name` (case-insensitive, as SQL identifiers are), or -1. */
int sl_schema_find(const struct sl_schema *schema, const char *name);

/* ---- columns and batches ------------------------------------------------------------------- */

struct sl_column {
    struct sl_type type;
    void *data;      /* SL_BATCH_CAP values, 64-byte aligned */
    uint64_t *valid; /* validity bitmap (bit set = value present), NULL if not nullable */
};

/* The string heap: a chain of chunks; reset keeps the first chunk for reuse. */
struct sl_strchunk {
    struct sl_strchunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
};

struct sl_batch {
    uint32_t rows; /* rows 0 .. rows-1 hold data */
    uint32_t nsel; /* number of active rows when sel != NULL */
    sl_sel_t *sel; /* NULL (all rows active) or one of sel_buf[] */
    uint32_t ncols;
    struct sl_column *cols;
    const struct sl_schema *schema; /* not owned */
    struct sl_batch_pool *pool;     /* the owner */
    struct sl_batch *next_free;     /* pool's free list */
    sl_sel_t *sel_buf[2];
    struct sl_strchunk *strheap;
    uint8_t *kind;     /* NULL (every row +I) or kind_buf: sl_row_kind by row */
    uint8_t *kind_buf; /* SL_BATCH_CAP bytes */
};

/* Flink's RowKind, with its short strings (+I, -U, +U, -D) in this order. */
typedef enum sl_row_kind {
    SL_ROW_INSERT = 0,
    SL_ROW_UPDATE_BEFORE = 1,
    SL_ROW_UPDATE_AFTER = 2,
    SL_ROW_DELETE = 3,
} sl_row_kind;

/* "+I", "-U", "+U", "-D" (Flink's RowKind.shortString()); "+I" for anything else. */
static inline const char *sl_row_kind_str(uint8_t kind)
{
    static const char *const s[4] = {"+I", "-U", "+U", "-D"};
    return kind < 4 ? s[kind] : s[0];
}

/* The kind of row `row` (+I when the batch carries no kinds). */
static inline uint8_t sl_batch_kind(const struct sl_batch *b, uint32_t row)
{
    return b->kind ? b->kind[row] : (uint8_t)SL_ROW_INSERT;
}

/* Makes the batch carry row kinds and returns them (SL_BATCH_CAP bytes; the caller fills
 * the rows it writes). */
static inline uint8_t *sl_batch_kinds(struct sl_batch *b)
{
    b->kind = b->kind_buf;
    return b->kind;
}

/* Number of active rows. */
static inline uint32_t sl_batch_active(const struct sl_batch *b)
{
    return b->sel ? b->nsel : b->rows;
}

static inline int64_t *sl_col_i64(struct sl_column *c)
{
    return (int64_t *)c->data;
}
static inline int32_t *sl_col_i32(struct sl_column *c)
{
    return (int32_t *)c->data;
}
static inline double *sl_col_f64(struct sl_column *c)
{
    return (double *)c->data;
}
static inline uint8_t *sl_col_bool(struct sl_column *c)
{
    return (uint8_t *)c->data;
}
static inline sl_str *sl_col_str(struct sl_column *c)
{
    return (sl_str *)c->data;
}

/* Marks row `row` of a nullable column NULL (or present again). */
static inline void sl_col_set_null(struct sl_column *c, uint32_t row, bool is_null)
{
    sl_valid_set(c->valid, row, !is_null);
}

static inline bool sl_col_is_null(const struct sl_column *c, uint32_t row)
{
    return !sl_valid_get(c->valid, row);
}

/*
 * The selection buffer a filter writes into: the one that `sel` does not point at. After
 * writing `nsel` entries, sl_batch_sel_commit makes it the batch's selection.
 */
static inline sl_sel_t *sl_batch_sel_next(struct sl_batch *b)
{
    return b->sel == b->sel_buf[0] ? b->sel_buf[1] : b->sel_buf[0];
}

static inline void sl_batch_sel_commit(struct sl_batch *b, sl_sel_t *sel, uint32_t nsel)
{
    b->sel = sel;
    b->nsel = nsel;
}

/*
 * Copies `len` bytes into the batch's string heap and returns a view of them (inline strings
 * do not touch the heap). On out of memory returns a view with len UINT32_MAX; check with
 * sl_str_ok. The bytes live until the batch is reset or returned to its pool.
 */
sl_str sl_batch_str(struct sl_batch *b, const char *data, uint32_t len);

static inline bool sl_str_ok(sl_str s)
{
    return s.len != UINT32_MAX;
}

/* Empties the batch for reuse: no rows, no selection, empty string heap, all values valid. */
void sl_batch_reset(struct sl_batch *b);

/* ---- pools --------------------------------------------------------------------------------- */

struct sl_batch_pool;

/*
 * A pool of batches of `schema` (not owned; it must outlive the pool) allocated from `heap`
 * (not owned; NULL for the process heap). At most `keep` free batches are kept; more are
 * freed when returned. NULL when out of memory.
 */
struct sl_batch_pool *sl_batch_pool_new(struct sl_heap *heap, const struct sl_schema *schema,
                                        uint32_t keep);

/* Frees the pool and its free batches. Every batch taken must have been put back. */
void sl_batch_pool_free(struct sl_batch_pool *pool);

/* An empty batch (as after sl_batch_reset), owned by the caller until sl_batch_pool_put;
 * NULL when out of memory. */
struct sl_batch *sl_batch_pool_get(struct sl_batch_pool *pool);

/* Gives a batch back to the pool it came from. */
void sl_batch_pool_put(struct sl_batch *b);

/* Batches taken and not yet put back. */
uint32_t sl_batch_pool_outstanding(const struct sl_batch_pool *pool);

#endif
