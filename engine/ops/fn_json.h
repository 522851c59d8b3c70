/*
 * engine/ops/fn_json.h - Flink's JSON_VALUE over a selection of a batch (the evaluator's
 * SL_FN_JSON_VALUE, reached through fn_string.h's sl_fnstr_* like the string functions).
 *
 * ARGUMENTS (the binder makes them): json (STRING), path (a STRING constant), the ON EMPTY
 * behaviour (an INT constant, sl_json_beh), its DEFAULT value (of the result type, or a NULL
 * constant), the ON ERROR behaviour and its DEFAULT. The result type is the RETURNING type:
 * STRING (the default), INT, BIGINT, DOUBLE or BOOLEAN, always nullable.
 *
 * SEMANTICS (Flink 1.20's SqlJsonUtils.jsonValue, Calcite's JsonFunctions; the path modes
 * are io/jsonpath.h's): a NULL json gives NULL. The path's value is EMPTY or ERROR by its
 * mode, or a scalar, converted to the result type: STRING takes a string's text, an
 * integer's digits, a fraction's Java Double.toString ("1000.0" for 1e3), "true"/"false";
 * INT / BIGINT take an integer in range, a fraction truncated, a string of an integer;
 * DOUBLE a number or a string of one; BOOLEAN a boolean, 0 / 1, or a string true / t / yes /
 * 1 / false / f / no / 0. A value that does not convert is ERROR. EMPTY and ERROR then give
 * NULL, the DEFAULT, or (ERROR ON ...) a run-time error naming the reason and the value.
 *
 * The compiled path and a simdjson parser live in the call site's state (made once by
 * sl_fnjson_compile); each row's text is parsed into reused buffers, strings go to the
 * evaluator's arena: no row allocates.
 */
#ifndef SL_ENGINE_FN_JSON_H
#define SL_ENGINE_FN_JSON_H

#include "engine/ops/fn_string.h"

typedef enum sl_json_beh { SL_JSON_NULL, SL_JSON_ERROR, SL_JSON_DEFAULT } sl_json_beh;

struct sl_fnjson;

/* Makes the state: compiles the constant path. Returns 0 (an invalid path too: every row
 * is then ERROR), or SL_EINVAL / SL_ENOMEM with msg filled. */
int sl_fnjson_compile(uint32_t nargs, const struct sl_fn_arg *args, struct sl_fnjson **out,
                      char *msg, size_t cap);

/* Evaluates JSON_VALUE at the rows of (sel, n), as sl_fnstr_eval. */
int sl_fnjson_eval(struct sl_fnjson *st, struct sl_type type, uint32_t nargs,
                   const struct sl_fn_arg *args, const sl_sel_t *sel, uint32_t n, void *out,
                   uint64_t *valid, struct sl_fn_ctx *ctx);

void sl_fnjson_free(struct sl_fnjson *st);

#endif
