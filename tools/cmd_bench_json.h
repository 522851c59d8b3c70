/*
 * tools/cmd_bench_json.h - a small JSON reader (a tree) for `sluice bench compare` and
 * `sluice bench plot`, which read google-benchmark-shaped result files back.
 *
 * The whole text becomes a tree of nodes allocated one by one; result files are small
 * (kilobytes), so simplicity beats speed here. Strings are unescaped to UTF-8 (\uXXXX
 * including surrogate pairs); numbers are doubles. Depth is limited to 64.
 *
 * OWNERSHIP: sl_bench_json_parse returns a tree the caller frees with sl_bench_json_free;
 * every pointer into it (keys, strings, children) lives as long as the tree.
 */
#ifndef SL_TOOLS_CMD_BENCH_JSON_H
#define SL_TOOLS_CMD_BENCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "engine/core/error.h"

enum sl_bench_json_kind {
    SL_BJ_NULL,
    SL_BJ_BOOL,
    SL_BJ_NUMBER,
    SL_BJ_STRING,
    SL_BJ_ARRAY,
    SL_BJ_OBJECT,
};

struct sl_bench_json {
    enum sl_bench_json_kind kind;
    bool b;
    double num;
    char *str;                    /* SL_BJ_STRING */
    size_t n;                     /* children of an array or object */
    char **keys;                  /* object keys, n of them */
    struct sl_bench_json **items; /* array elements or object values */
};

/* Parses `text` (`len` bytes). NULL on malformed input or out of memory, with `err` naming
 * the byte offset and what was expected. */
struct sl_bench_json *sl_bench_json_parse(const char *text, size_t len, struct sl_error *err);

/* Reads and parses a file; NULL with `err` set when it cannot be read or parsed. */
struct sl_bench_json *sl_bench_json_load(const char *path, struct sl_error *err);

/* The value of `key` in object `o` (NULL when o is not an object or has no such key). */
const struct sl_bench_json *sl_bench_json_get(const struct sl_bench_json *o, const char *key);

/* The string / number of `key` in `o`, or NULL / `dflt` when absent or of another kind. */
const char *sl_bench_json_str(const struct sl_bench_json *o, const char *key);
double sl_bench_json_num(const struct sl_bench_json *o, const char *key, double dflt);

void sl_bench_json_free(struct sl_bench_json *j);

/* Writes `s` as a JSON string literal (quotes and escapes) to `f`. */
void sl_bench_json_write_str(FILE *f, const char *s);

#endif
