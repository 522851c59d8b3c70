/*
 * engine/ops/join_store.h - the pieces the two stream joins share (the regular join,
 * engine/ops/op_join.h, and the interval join, engine/ops/op_ijoin.h): a side's columnar row
 * store with its chained hash table on the key, the key hashing of an input batch, the
 * messages that carry rows to their owner worker, and the store's checkpoint layout.
 *
 * HOW IT WORKS (op_join.h has the whole story and the byte budget per row)
 * A side keeps per column one array of values (the batch's physical width) and a validity
 * bitmap where the column can be NULL; strings longer than 12 bytes are copied into
 * append-only chunks (256 KiB, or a quarter of the side's string bytes up to 32 MiB). Per row it
 * keeps its key hash and the next row of the same hash slot: heads per slot (a power of two,
 * doubled when half of them head a chain). Rows are appended; the interval join drops rows with
 * sl_jn_compact, which moves the kept rows down, copies their long strings into fresh chunks and
 * rebuilds the chains. The per-row arrays double as the side grows; from 2 MiB on they, and
 * string chunks of that size, are mappings of their own (huge pages; the arrays grown with
 * mremap, without a copy), not heap blocks - except in sanitizer builds (SL_MEM_SYSTEM).
 *
 * A side's state (sl_jn_save_side / sl_jn_restore_side), little-endian:
 *   4       ncols (must be the plan's), 4 rows
 *   8 x rows  the key hashes
 *   4 x rows  an outer join's preserved side only: the match counts (SL_JN_NONE exactly for
 *           a row with a NULL key)
 *   per column not skipped: rows x width bytes of values (VARCHAR: per row 4 bytes length +
 *           the bytes), then, where the column is nullable, ceil(rows / 64) x 8 bytes of
 *           validity
 * A message (sl_jn_save_msg / sl_jn_read_msg): 4 side, 4 rows, 8 x rows hashes, then the
 * side's columns as above. A message with row kinds (a regular join over updating inputs) has
 * 0x100 added to its side and 1 x rows kinds (engine/core/batch.h's SL_ROW_*) after the
 * hashes; one without is all +I (the layout before updating inputs, still read).
 *
 * OWNERSHIP: a side owns its arrays and chunks (sl_jn_side_free); a message is one
 * allocation (sl_jn_msg_free, its pl.free_fn) that owns its strings. Functions that allocate
 * take the operator's heap and return false (or NULL, or SL_ENOMEM) when out of memory.
 * THREADS: a side is its worker's; a message moves to its receiver.
 */
#ifndef SL_OPS_JOIN_STORE_H
#define SL_OPS_JOIN_STORE_H

#include "engine/core/state.h"
#include "engine/ops/operator.h"

#define SL_JN_NONE UINT32_MAX
#define SL_JN_CHUNK (256u * 1024u)
#define SL_JN_CHUNK_MAX (32u * 1024u * 1024u) /* chunks grow with the strings up to it */

/* ---- a side's row store ---------------------------------------------------------------- */

struct sl_jn_chunk {
    struct sl_jn_chunk *next;
    size_t size, used;
    char data[];
};

struct sl_jn_side {
    uint32_t ncols, nkeys;
    const int *keys;       /* the key columns of this side */
    bool outer;            /* its rows without a match are emitted null-padded */
    uint32_t *match;       /* outer: per row its matches (Flink's associated records, at
                              most UINT32_MAX - 1), SL_JN_NONE for a NULL key (never in a
                              chain); NULL for an inner side */
    struct sl_type *types; /* ncols */
    uint8_t *width;        /* ncols */
    bool *skip;            /* ncols: nothing downstream reads it (not stored, zero out) */
    uint8_t **col;         /* per column: cap x width bytes (NULL when skipped) */
    uint64_t **valid;      /* per column: cap bits, NULL when the column is NOT NULL */
    uint8_t **bcol;        /* scratch: an input batch's columns */
    uint64_t **bvalid;
    uint64_t *hash;        /* per row */
    uint32_t *next;        /* per row: the next row of its slot */
    uint32_t *head;        /* nslots */
    uint32_t nslots, used; /* slots, and those that head a chain */
    uint32_t rows, cap;
    /* a failed sl_jn_grow: its first grow_done arrays have grow_cap rows (0: none) */
    uint32_t grow_cap, grow_done;
    struct sl_jn_chunk *chunks;
    uint64_t str_bytes;
    uint64_t dead_bytes; /* of removed rows' long strings, still in the chunks */
    /* the regular join's state TTL (engine/ops/op_join.h): with `ttl` set, per row its last
     * write (ms since the epoch; 0: unknown), moved with the row; new rows get `now` */
    bool ttl;
    int64_t *ts;
    int64_t now;
};

/* Rows sent to their owner: dense columns (widths as the store's), strings in the tail. */
struct sl_jn_msg {
    struct sl_msg_payload pl;
    uint32_t side, rows;
    uint64_t *hash;
    uint8_t *kind; /* per row its kind (a regular join over updating inputs); NULL: all +I */
    uint8_t **col;
    uint64_t **valid;
};

static inline size_t sl_jn_words(uint32_t bits)
{
    return ((size_t)bits + 63) / 64;
}

/* Sets up side s for the relation rel with key columns keys[0..nkeys) (kept by pointer);
 * `outer`: a preserved side of an outer join (keeps its rows with a NULL key, out of the
 * chains, and a match count per row). */
bool sl_jn_side_init(struct sl_heap *heap, struct sl_jn_side *s, const struct sl_rel *rel,
                     const int *keys, uint32_t nkeys, bool outer);
void sl_jn_side_free(struct sl_jn_side *s);

/* Grows the store to hold `need` rows. */
bool sl_jn_grow(struct sl_heap *heap, struct sl_jn_side *s, uint32_t need);

/* Rebuilds the chains with at least 2 x `slots` slots. */
bool sl_jn_rehash(struct sl_heap *heap, struct sl_jn_side *s, uint32_t slots);

/* Appends n rows: row idx[i] (i when idx is NULL) of the columns `col` / `valid` (a batch's
 * or a message's), with their hashes h[i] (and, with a TTL, the time s->now). Strings are
 * copied into the store. */
bool sl_jn_append(struct sl_heap *heap, struct sl_jn_side *s, uint8_t *const *col,
                  uint64_t *const *valid, const sl_sel_t *idx, uint32_t n, const uint64_t *h);

/* Rescaling (engine/core/keygroup.h): appends the rows of `src` (a side of the same layout,
 * restored from an old worker's state) whose key hash worker `worker` owns at `nworkers`
 * (kg_max: the job's key groups), in order, with their match counts (and TTL times). */
bool sl_jn_take_owned(struct sl_heap *heap, struct sl_jn_side *dst, const struct sl_jn_side *src,
                      int worker, int nworkers, uint32_t kg_max);

/* Keeps the rows r with keep[r] (in order) and drops the others. */
bool sl_jn_compact(struct sl_heap *heap, struct sl_jn_side *s, const bool *keep);

/* Whether row a of side sa and row b of side sb have equal keys (neither NULL). */
bool sl_jn_keys_eq(const struct sl_jn_side *sa, uint32_t a, const struct sl_jn_side *sb,
                   uint32_t b);

/* Gathers side s's rows rows[0..n) into out's columns from `c0` on; with `pad`, a row
 * SL_JN_NONE gives NULLs (an outer join's padding, whose columns are nullable in out). */
void sl_jn_gather(const struct sl_jn_side *s, const uint32_t *rows, uint32_t n,
                  struct sl_batch *out, uint32_t c0, bool pad);

/* hashes[i] = the key hash of active position i of b (n of them); returns how many have no
 * NULL key (on an outer side: all of them), their rows compacted into sorted[] and their
 * hashes into hashes[] (i64buf: scratch, SL_BATCH_CAP each). */
uint32_t sl_jn_hash(const struct sl_jn_side *s, struct sl_batch *b, uint32_t n, uint64_t *hashes,
                    int64_t *i64buf, sl_sel_t *sorted);

/* A message with rows idx[0..n) (0..n-1 when idx is NULL) of the columns col / valid with
 * hashes h and row kinds kind (indexed as the columns; NULL: all +I), for side sd; NULL when
 * out of memory. The caller owns it. */
struct sl_jn_msg *sl_jn_msg_new(const struct sl_jn_side *s, int sd, uint8_t *const *col,
                                uint64_t *const *valid, const uint8_t *kind, const sl_sel_t *idx,
                                uint32_t n, const uint64_t *h);

/* Removes row r of side s: the last row moves into its place (its chain relinked); the long
 * strings of r stay in the chunks until a compaction (sl_jn_compact, done here when such dead
 * bytes are half of the side's string bytes or more). False when out of memory. */
bool sl_jn_remove(struct sl_heap *heap, struct sl_jn_side *s, uint32_t r);

/* Whether row a of side s equals row b of s in every stored column (NULLs equal). */
bool sl_jn_rows_eq(const struct sl_jn_side *s, uint32_t a, uint32_t b);
void sl_jn_msg_free(void *p);

/* Projection pushdown into a join's sides (left, right) before any row: need[c] says whether
 * column c of the join's output (left's columns, then right's) is read downstream; the others
 * are not stored. Keys, and where `keep` is not NULL column keep[sd] of each side, are kept. */
void sl_jn_prune(struct sl_jn_side *sides, const bool *need, const int *keep);

/* Checkpoints (the layouts above). */
void sl_jn_save_side(const struct sl_jn_side *s, struct sl_sbuf *out);
int sl_jn_restore_side(struct sl_heap *heap, struct sl_jn_side *s, struct sl_sread *in,
                       struct sl_error *err);
void sl_jn_save_msg(const struct sl_jn_side *sides, const struct sl_jn_msg *m, struct sl_sbuf *out);
/* Reads a message of sides[0] or sides[1] into *out (the caller's). */
int sl_jn_read_msg(struct sl_heap *heap, const struct sl_jn_side *sides, struct sl_sread *in,
                   struct sl_jn_msg **out, struct sl_error *err);

#endif
