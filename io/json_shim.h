/*
 * io/json_shim.h - the C face of io/json_shim.cc, which walks JSON documents with
 * simdjson's On-Demand API (C++). Internal to the JSON format: only io/json.c and
 * io/jsonfast.c include it.
 *
 * io/json.c turns the flattened schema back into a tree (the plan): one node per JSON
 * object key the schema knows, leaves naming a column. The shim walks one record's object
 * along the plan, converts each leaf it meets into its column, and leaves everything else
 * to On-Demand's skipping (which is iterative, so deep nesting cannot overflow the stack).
 *
 * Projection pushdown (sl_json_prune) marks the nodes nobody reads: a leaf whose column is
 * not needed, a ROW all of whose leaves are not. A skipped leaf's value is validated as JSON
 * exactly as far as a read VARCHAR's (a scalar completely: string escapes, number syntax,
 * literals; a container through raw_json()) and then dropped: no conversion, no copy, no
 * type error. A skipped ROW is walked like any other (its leaves are all skipped ones), or
 * validated as a value when it is not an object. The columns not
 * needed start each record as "seen" (seen0), so they are neither set NULL per record nor
 * reported missing: sl_json_decode fills them for the whole batch (sl_fmt_mask_fill).
 */
#ifndef SL_IO_JSON_SHIM_H
#define SL_IO_JSON_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sl_json_node {
    const char *name; /* the key (one segment of a dotted field name), not NUL-terminated */
    uint32_t name_len;
    int32_t col;     /* leaf: its column; a ROW: -1 */
    uint32_t child0; /* ROW: children are nodes[child0 .. child0 + nchild) */
    uint32_t nchild;
    uint32_t hint;  /* the child expected next (keys usually come in schema order) */
    uint32_t skip;  /* projection pushdown: nothing under this node is needed */
    char *key_json; /* encoder: "\"name\":" JSON-escaped, NUL-terminated, owned by the plan */
    uint32_t key_json_len;
    uint64_t pat[2];  /* decoder: name + '"' as 16 little-endian bytes (names < 16 bytes) */
    uint64_t mask[2]; /* decoder: which bytes of pat count */
};

struct sl_json_plan {
    struct sl_json_node *nodes; /* nodes[0] is the root object */
    uint32_t nnodes;
    uint32_t ncols;
    uint32_t max_name;   /* longest key, for the parser's read-ahead padding */
    uint32_t seen_words; /* SL_JSON_SEEN_WORDS(ncols) */
    uint64_t *seen0;     /* a record's "seen" columns before its first key: the ones not
                            needed (projection pushdown); seen_words words */
};

/* Words of a per-record "seen columns" bitmap. */
#define SL_JSON_SEEN_WORDS(ncols) (((ncols) + 63u) / 64u + 1u)

struct sl_json_shim;

/* A parser for records of up to max_bytes; NULL when out of memory. */
struct sl_json_shim *sl_json_shim_new(const struct sl_json_plan *plan, size_t max_bytes);
void sl_json_shim_free(struct sl_json_shim *shim);

/*
 * Decodes one JSON document (data[0 .. len), copied into a padded buffer first) into row
 * `row` of `b`: every column gets a value or NULL. Returns 0, or a negative code with err
 * naming the field and what was wrong (no record position).
 */
int sl_json_shim_row(struct sl_json_shim *shim, struct sl_json_plan *plan, const char *data,
                     size_t len, struct sl_batch *b, uint32_t row, struct sl_error *err);

#ifdef __cplusplus
}
#endif

#endif
