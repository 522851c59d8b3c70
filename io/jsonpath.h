/*
 * io/jsonpath.h - JSON_VALUE's path evaluation: a SQL/JSON path (Flink's subset of Jayway
 * JsonPath behind Calcite's "lax" / "strict" modes) run over one JSON text by simdjson's
 * DOM parser (io/jsonpath.cc, C++; this is its C face for engine/ops/fn_json.c).
 *
 * HOW IT WORKS
 * sl_jpath_compile turns the path text into steps once (a constant path: once per call
 * site). sl_jdoc owns a simdjson parser and a padded copy of the input, both reused from
 * row to row and grown only when a longer text comes, so a row does not allocate. The
 * value found is classified as Flink's SqlJsonUtils does:
 *   - lax (the "lax " prefix): a missing key or index, a JSON null, an object or array, and
 *     a text that is not JSON are EMPTY;
 *   - strict (the "strict " prefix, and a path with neither prefix, as Calcite's
 *     JSON_PATH_BASE): a JSON null, a missing key or index, a step into a scalar, an object
 *     or array, and a text that is not JSON are ERROR;
 *   - a path that does not parse is ERROR (every row).
 * Paths: $ then any of .name, ['name'], ["name"], .['name'], [n] (n >= 0). Other Jayway
 * syntax (wildcards, deep scan .., filters, negative indexes, unions) is an invalid path.
 *
 * THREADS: a sl_jdoc belongs to one thread; a compiled path is read-only.
 */
#ifndef SL_IO_JSONPATH_H
#define SL_IO_JSONPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_jv_kind {
    SL_JV_EMPTY,  /* the EMPTY behaviour applies */
    SL_JV_ERROR,  /* the ERROR behaviour applies; .s/.len say why */
    SL_JV_STRING, /* .s/.len: the unescaped UTF-8 text */
    SL_JV_INT,    /* .i (a JSON integer that fits int64) */
    SL_JV_UINT,   /* .u (a JSON integer above INT64_MAX) */
    SL_JV_DOUBLE, /* .d (a JSON number with a fraction or exponent) */
    SL_JV_BOOL,   /* .b */
} sl_jv_kind;

struct sl_jv {
    sl_jv_kind kind;
    const char *s; /* STRING: into the sl_jdoc (valid until its next use); ERROR: a reason */
    size_t len;
    int64_t i;
    uint64_t u;
    double d;
    bool b;
};

struct sl_jpath;
struct sl_jdoc;

/* Compiles a path. Returns 0 (*out set), SL_EINVAL with msg filled (an invalid path:
 * *out still set, and every evaluation gives ERROR with msg), or SL_ENOMEM. */
int sl_jpath_compile(const char *s, size_t len, struct sl_jpath **out, char *msg, size_t cap);
void sl_jpath_free(struct sl_jpath *p);

struct sl_jdoc *sl_jdoc_new(void);
void sl_jdoc_free(struct sl_jdoc *d);

/* The value path p selects in the JSON text (json, len). Returns 0, or SL_ENOMEM. */
int sl_jpath_eval(struct sl_jdoc *d, const struct sl_jpath *p, const char *json, size_t len,
                  struct sl_jv *out);

#ifdef __cplusplus
}
#endif

#endif
