/*
 * engine/ops/fn_string.h - Flink's string, regular expression and hash functions, and GREATEST
 * / LEAST, over a selection of a batch (the evaluator's SL_FN_SUBSTRING .. SL_FN_LEAST).
 *
 * HOW IT WORKS
 * The evaluator (eval.c) evaluates a call's arguments over the selection, hands them here as
 * struct sl_fn_arg (a vector indexed by row and its validity, or a constant) and gets back
 * the result vector and its validity at the rows of the selection. A function whose result
 * is a piece of its input (SUBSTRING, TRIM, SPLIT_INDEX, REGEXP_EXTRACT) returns a view of
 * the input's bytes; a built string goes to the evaluator's scratch arena (ctx->alloc),
 * reused from batch to batch, so no row allocates. Per call site state (struct sl_fn_state)
 * is made once by sl_fnstr_compile: a constant regular expression compiled (and JIT
 * compiled) there, other patterns through a small cache of compiled patterns keyed by
 * their text, a match block, the code points of a constant TRIM set.
 *
 * SEMANTICS (Flink 1.20: SqlFunctionUtils, BinaryStringDataUtil; checked against Flink
 * itself, tests/sql/fn_string_fs.sql)
 *   - NULL in any argument gives NULL, except CONCAT_WS (NULL strings are skipped; a NULL
 *     separator gives NULL).
 *   - Lengths and positions count code points of the UTF-8 text, 1-based. A byte that does
 *     not start a valid sequence counts as one character. SUBSTRING(s, i [, n]): i < 0
 *     counts from the end, i = 0 is 1; n < 0 gives NULL; beyond the end gives ''.
 *     POSITION('' IN s) is 1. LPAD / RPAD: a negative length or an empty pad gives NULL,
 *     a length shorter than s cuts s.
 *   - TRIM removes the code points of its set (default ' ') from the ends. SPLIT_INDEX
 *     splits at every occurrence of the separator keeping empty pieces (commons-lang's
 *     splitByWholeSeparatorPreserveAllTokens); an empty separator splits at white space;
 *     '' has no pieces; an index out of range or negative gives NULL. REPLACE is Java's
 *     String.replace (an empty search inserts the replacement around every character).
 *   - Regular expressions are Java's syntax run by PCRE2 in UTF mode (docs/sql.md lists the
 *     differences). REGEXP finds a match anywhere (an empty pattern is FALSE);
 *     REGEXP_EXTRACT gives the group of the first match, NULL when there is no match, the
 *     group did not take part or does not exist; REGEXP_REPLACE replaces every match with
 *     the literal replacement (Flink quotes it: '$1' is not a group reference). An invalid
 *     pattern gives NULL (REGEXP: FALSE), as Flink does (it logs the error). Text that is
 *     not valid UTF-8 is matched as Java would decode it (each bad sequence U+FFFD).
 *   - UPPER / LOWER: ASCII in place, other code points through the C.UTF-8 locale's
 *     towupper / towlower plus Java's full mappings for the common one-to-many cases (ß ->
 *     SS, the Latin ligatures ﬀ..ﬆ); INITCAP upper-cases an ASCII letter after a character
 *     that is not an ASCII letter or digit and lower-cases the others (Calcite's initcap).
 *   - MD5 / SHA256: the lowercase hex digest of the UTF-8 bytes (nettle).
 *   - GREATEST / LEAST of arguments of one type (the binder casts them to their common
 *     type): NULL when any is NULL; strings compare by bytes (code point order).
 *
 * THREADS: a state belongs to one evaluator, so to one worker thread.
 */
#ifndef SL_ENGINE_FN_STRING_H
#define SL_ENGINE_FN_STRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/types.h"
#include "engine/plan/plan.h"
#include "kernels/kcommon.h"

/* One argument, evaluated over the selection. */
struct sl_fn_arg {
    const void *data;      /* values indexed by row (a constant: the same value at every row) */
    const uint64_t *valid; /* NULL: no NULL at the selected rows */
    bool cnull;            /* the constant NULL */
    bool cconst;           /* a constant: data[0] is it (valid unless cnull) */
    struct sl_type type;
};

/* The evaluator's scratch arena: len bytes that live until the next batch, NULL when out
 * of memory. */
struct sl_fn_ctx {
    char *(*alloc)(void *ev, size_t len);
    void *ev;
    char msg[200]; /* why sl_fnstr_eval failed */
};

struct sl_fn_state;

/* Whether fn is one of this file's functions. */
bool sl_fnstr_has(sl_fn fn);

/*
 * Makes the state of one call site (constant arguments are already constants; a constant
 * pattern is compiled here). *out is NULL when the function needs none. Returns 0, or a
 * negative code with msg filled (SL_ENOMEM; SL_EINVAL for wrong argument types).
 */
int sl_fnstr_compile(sl_fn fn, uint32_t nargs, const struct sl_fn_arg *args,
                     struct sl_fn_state **out, char *msg, size_t cap);

/*
 * Evaluates fn at the rows of (sel, n) (sel NULL: rows 0..n-1): out[r] (the result type's
 * width) and the bit r of valid. Strings that are built live in ctx's arena or are views of
 * the arguments' bytes. Returns 0, or a negative code with ctx->msg filled (SL_ENOMEM,
 * SL_ERANGE for a string result over SL_FN_STR_MAX bytes).
 */
int sl_fnstr_eval(struct sl_fn_state *st, sl_fn fn, struct sl_type type, uint32_t nargs,
                  const struct sl_fn_arg *args, const sl_sel_t *sel, uint32_t n, void *out,
                  uint64_t *valid, struct sl_fn_ctx *ctx);

/* Frees a state (NULL is allowed). */
void sl_fnstr_free(struct sl_fn_state *st);

/* The longest string a function builds (LPAD(s, 2000000000, 'x') is an error, not 2 GB). */
#define SL_FN_STR_MAX ((size_t)256 << 20)

#endif
