/*
 * engine/ops/eval_fn.h - the time and numeric scalar functions of the evaluator (DATE_FORMAT,
 * EXTRACT, FLOOR / CEIL TO, TIMESTAMPADD, TIMESTAMPDIFF, TO_TIMESTAMP, UNIX_TIMESTAMP,
 * FROM_UNIXTIME, CURRENT_TIMESTAMP; ABS, ROUND, FLOOR, CEIL, POWER, SQRT, LN, LOG10, LOG, EXP,
 * RAND). Internal to engine/ops/eval.c, which compiles and evaluates the argument nodes and
 * hands this module plain vectors: it knows nothing of the node tree, and the node tree
 * nothing of calendars.
 *
 * A call is evaluated over the rows of a selection (sel, n; sel NULL = rows 0..n-1) like every
 * node of eval.c: each argument is a vector indexed by row plus a validity bitmap (NULL: no
 * NULL), the result goes to out[row] and its validity to sl_tfn_call.valid (the arguments'
 * validity, or vbuf when the function makes NULLs of its own: TO_TIMESTAMP of bad text).
 * Strings longer than the inline 12 bytes go to the evaluator's scratch through str_alloc.
 * Per-call state (a constant pattern compiled once, RAND's generator) lives in a struct
 * sl_tfn_state that eval.c allocates (sl_fn_state_size) and sl_fn_prepare fills.
 */
#ifndef SL_ENGINE_OPS_EVAL_FN_H
#define SL_ENGINE_OPS_EVAL_FN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/plan/plan.h"

struct sl_tfn_state;

struct sl_tfn_arg {
    const void *data;      /* by row */
    const uint64_t *valid; /* NULL: none is NULL */
    struct sl_type type;
    bool is_const; /* the same value at every row (data[0] when sel is not used) */
    bool cnull;    /* the constant NULL */
};

struct sl_tfn_call {
    /* in */
    sl_fn fn;
    struct sl_type type; /* the result's */
    uint32_t nargs;
    struct sl_tfn_arg args[3];
    const sl_sel_t *sel;
    uint32_t n;
    uint32_t rows; /* the batch's rows (validity bitmaps cover them) */
    void *out;     /* room for SL_BATCH_CAP results */
    uint64_t *vbuf;
    struct sl_tfn_state *st;
    char *(*str_alloc)(void *ctx, size_t len); /* NULL when out of memory */
    void *str_ctx;
    /* out */
    const uint64_t *valid;
    int err_code; /* when sl_fn_eval fails: the message for the row err_row */
    uint32_t err_row;
    char err_msg[200];
};

/* Whether eval.c routes fn to this module; whether a call of it must not be folded into a
 * constant (CURRENT_TIMESTAMP, RAND, UNIX_TIMESTAMP()). */
bool sl_fn_handles(sl_fn fn);
bool sl_fn_volatile(sl_fn fn, uint32_t nargs);

size_t sl_fn_state_size(void);

/*
 * Prepares st (sl_fn_state_size bytes, zeroed) for a call whose arguments are c->args (only
 * the types, is_const, cnull and, for constants, data[0] are read): compiles a constant
 * pattern, seeds RAND. Returns 0, or a negative code with c->err_msg (an invalid pattern:
 * Java's words).
 */
int sl_fn_prepare(struct sl_tfn_call *c, struct sl_tfn_state *st);

/* Evaluates the call (see the top). Returns 0, or a negative code with err_row / err_msg. */
int sl_fn_eval(struct sl_tfn_call *c);

#endif
