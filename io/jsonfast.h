/*
 * io/jsonfast.h - the schema-specialised fast path of the JSON decoder. Internal to the
 * JSON format: only io/json.c and the tests include it.
 *
 * sl_json_decode (io/json.h) first hands each record to sl_jsonfast_row. That walks the
 * record once, in C, along the codec's plan (io/json_shim.h), and either decodes the whole
 * row or gives up without a trace (SL_JSONFAST_FALLBACK), in which case the simdjson path
 * (io/json_shim.cc) decodes the record and produces the result or the error. The fast path
 * accepts a strict subset of what the simdjson path accepts, and for that subset writes
 * exactly the same row: so results, errors and error messages are always the simdjson
 * path's. What it gives up on: anything that is not strict JSON, an escaped key, a lone
 * surrogate \u escape, a value that would be an error, a container going into a VARCHAR,
 * a DOUBLE of more than 19 significant digits, -0 or outside the normal range, nesting
 * deeper than 60 inside an ignored value.
 *
 * The SIMD level (scalar, AVX2, AVX-512) is fixed when the decoder is made; tests make one
 * per level the CPU has.
 */
#ifndef SL_IO_JSONFAST_H
#define SL_IO_JSONFAST_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "io/json_shim.h"
#include "kernels/simd.h"

/* sl_jsonfast_row's answer when the record must go to the simdjson path. */
#define SL_JSONFAST_FALLBACK 1

struct sl_jsonfast;

/*
 * A fast decoder for `plan` (not owned; it must outlive the decoder and is written to only
 * in its key-order hints) at SIMD `level` (lowered to what the CPU supports). Returns 0
 * with *out set, or SL_ENOMEM. *out is NULL (and 0 returned) when the plan cannot take the
 * fast path: a key holding a quote, a backslash or a control byte. Free with
 * sl_jsonfast_free.
 */
int sl_jsonfast_new(struct sl_json_plan *plan, sl_simd_level level, struct sl_jsonfast **out);
void sl_jsonfast_free(struct sl_jsonfast *fast);

/*
 * Decodes data[0 .. len) (not read past len, not padded) into row `row` of `b`. Returns 0
 * (every column of the row written, a value or NULL) or SL_JSONFAST_FALLBACK: the record
 * must be decoded by the simdjson path; the batch's string heap is then as it was before
 * the call, and the row's cells are unspecified (the simdjson path rewrites all of them).
 */
int sl_jsonfast_row(struct sl_jsonfast *fast, const char *data, size_t len, struct sl_batch *b,
                    uint32_t row);

/*
 * Internals exposed for the tests, at a given level (lowered to what the CPU supports):
 * the first byte in [p, end) that is '"', '\\' or below 0x20, or end; `begin` <= p is
 * where the record starts (reads stay inside [begin, end)). And whether [p, end) is all
 * ASCII.
 */
const char *sl_jsonfast_find_special(sl_simd_level level, const char *begin, const char *p,
                                     const char *end);
int sl_jsonfast_is_ascii(sl_simd_level level, const char *p, size_t n);

#endif
