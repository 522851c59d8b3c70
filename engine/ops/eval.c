/*
 * engine/ops/eval.c - vectorized expression evaluation (see eval.h for the model and semantics).
 *
 * HOW IT WORKS
 * Compilation turns each struct sl_expr into a struct sl_enode (one per occurrence: the
 * binder shares a few subtrees, e.g. the operand of BETWEEN and of CASE x WHEN, and giving
 * each occurrence its own node keeps "every node is evaluated at most once per pass" true,
 * which is what lets results alias their children's buffers). A node whose arguments are
 * all constants is folded: evaluated once at compile time over one row and turned into a
 * constant (so CAST(1 AS BIGINT) in `auction IN (1, 2)` becomes a constant and the IN takes
 * the in_i64 fast path). A fold that fails (1 / 0, a bad CAST) is left for run time, so the
 * error surfaces with the data, as in Flink.
 *
 * Evaluation is recursive over the node tree, dispatching on type once per node and batch;
 * the loops are the kernels' (kernels/arith.h, select.h, gather.h). The hand-written loops
 * here are the ones no kernel covers: three-valued AND / OR / NOT, IS NULL, LIKE matching,
 * string building (CONCAT, CAST to VARCHAR), the parsers of CAST from VARCHAR, and DECIMAL
 * cases beyond the kernels' 10^18 range (done exactly in 128 bits, row by row: rare).
 *
 * Trade-offs: a result vector per node costs memory (SL_BATCH_CAP * width each: 32 KiB for a
 * string node at 2048 rows) but makes every kernel call a straight array-to-array loop with
 * no copies; lazy CASE / AND / OR cost a selection split per branch but never raise an error
 * for a row the SQL would not evaluate.
 */
#include "engine/ops/eval.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/datetime.h"
#include "engine/ops/eval_fn.h"
#include "engine/ops/fn_string.h"
#include "engine/ops/op_proctime.h"
#include "engine/plan/sql_source.h"
#include "engine/plan/udf.h"
#include "io/fmt.h"
#include "kernels/arith.h"
#include "kernels/gather.h"
#include "kernels/select.h"

/* ---- types --------------------------------------------------------------------------------- */

enum { SL_EN_COL, SL_EN_CONST, SL_EN_CALL };
enum { SL_LIKE_GENERAL, SL_LIKE_PREFIX, SL_LIKE_EXACT };

struct sl_enode {
    const struct sl_expr *e;
    struct sl_type type;
    int kind; /* SL_EN_* */
    sl_fn fn;
    uint32_t nargs;
    struct sl_enode **args;
    /* the result of the latest evaluation, indexed by row */
    void *data;            /* buf, a column of the input batch, or a child's data */
    const uint64_t *valid; /* NULL: no NULL at the evaluated rows */
    /* owned scratch (from the evaluator's heap) */
    void *buf;      /* SL_BATCH_CAP values of the type's width */
    uint64_t *vbuf; /* SL_VALID_WORDS(SL_BATCH_CAP) words */
    sl_sel_t *s[4]; /* selection buffers, as the function needs them */
    int64_t *aux;   /* IN over INT: the operand widened to int64 */
    bool cnull;     /* SL_EN_CONST: the constant NULL */
    /* IN with a constant list: the non-NULL constants */
    bool in_fast, in_null;
    uint32_t nset;
    int64_t *set;
    /* LIKE */
    int like_kind;
    const char *pat;
    uint32_t plen;
    sl_str pstr;
    /* SL_FN_UDF: the call site's state (init'ed when udf_live), the result's own validity */
    void *udf_state;
    bool udf_live;
    uint64_t *uvalid;
    struct sl_enode *udf_next; /* the evaluator's list of UDF nodes, for destroy */
    /* string functions (fn_string.h): their arguments and state */
    struct sl_fn_arg *fargs;
    struct sl_fn_state *fst;
    struct sl_enode *fnext; /* the next node with a state, for sl_eval_free */
    /* time and numeric functions (eval_fn.h) */
    struct sl_tfn_state *tfst;
};

/* Scratch for string bytes a batch produces; reset at every call. */
struct sl_eval_chunk {
    struct sl_eval_chunk *next;
    size_t size, used;
    char data[];
};

/* Every block the evaluator allocates, for sl_eval_free. */
struct sl_eval_block {
    struct sl_eval_block *next;
    char pad[SL_MEM_ALIGN - sizeof(void *)];
};

struct sl_eval {
    struct sl_heap *heap;
    const struct sl_rel *in;
    const struct sl_sql_source *sql;
    uint32_t nexprs;
    struct sl_enode **roots;
    struct sl_eval_block *blocks;
    struct sl_eval_chunk *chunks, *cur;
    struct sl_batch *batch; /* the batch being evaluated (NULL while folding) */
    uint32_t rows;          /* its row count (1 while folding) */
    struct sl_enode *udfs;  /* UDF call sites whose state sl_eval_free destroys */
    struct sl_enode *fns;   /* nodes with a string function state (fn_string.h) */
    int64_t proctime;       /* the last PROCTIME() given (never decreases; op_proctime.h) */
};

#define SL_TRY(x)       \
    do {                \
        int rc_ = (x);  \
        if (rc_)        \
            return rc_; \
    } while (0)

#define SL_ROW(sel, k) ((sel) ? (sel)[k] : (k))

static const int64_t *const sl_p10 = sl_arith_pow10;

/* ---- memory -------------------------------------------------------------------------------- */

static void *ev_alloc(struct sl_eval *ev, size_t size)
{
    struct sl_eval_block *b = sl_mem_zalloc(ev->heap, sizeof(*b) + size);
    if (!b)
        return NULL;
    b->next = ev->blocks;
    ev->blocks = b;
    return b + 1;
}

static void ev_str_reset(struct sl_eval *ev)
{
    for (struct sl_eval_chunk *c = ev->chunks; c; c = c->next)
        c->used = 0;
    ev->cur = ev->chunks;
}

/* `len` bytes of string scratch that live until the next reset; NULL when out of memory. */
static char *ev_str_alloc(struct sl_eval *ev, size_t len)
{
    struct sl_eval_chunk *c = ev->cur;
    while (c && c->size - c->used < len)
        c = c->next;
    if (!c) {
        size_t size = len > 65536 ? len : 65536;
        c = sl_mem_alloc(ev->heap, sizeof(*c) + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = ev->chunks;
        ev->chunks = c;
    }
    ev->cur = c;
    char *p = c->data + c->used;
    c->used += len;
    return p;
}

/* A view of len bytes: inline, or copied into the scratch. Returns false when out of memory. */
static bool ev_str_make(struct sl_eval *ev, const char *data, uint32_t len, sl_str *out)
{
    if (len <= SL_STR_INLINE_MAX) {
        *out = sl_str_make(data, len);
        return true;
    }
    char *p = ev_str_alloc(ev, len);
    if (!p)
        return false;
    memcpy(p, data, len);
    *out = sl_str_make(p, len);
    return true;
}

/* ---- errors -------------------------------------------------------------------------------- */

/* Text for a message: cut to 64 bytes, non-printable bytes as \xNN. */
static void ev_quote(const char *s, size_t n, char *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == 64) {
            k += (size_t)snprintf(buf + k, cap - k, "...");
            break;
        }
        if (c < 0x20 || c == 0x7f)
            k += (size_t)snprintf(buf + k, cap - k, "\\x%02X", c);
        else
            buf[k++] = (char)c;
    }
    buf[k] = '\0';
}

static int ev_fail(const struct sl_eval *ev, const struct sl_enode *nd, struct sl_error *err,
                   int code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Fills err with "file:line:col: MESSAGE in 'EXPR'" at the node's SQL position. */
static int ev_fail(const struct sl_eval *ev, const struct sl_enode *nd, struct sl_error *err,
                   int code, const char *fmt, ...)
{
    char msg[256], text[100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    text[0] = '\0';
    char *mem = NULL;
    size_t mlen = 0;
    FILE *f = open_memstream(&mem, &mlen);
    if (f) {
        sl_expr_print(nd->e, ev->in, f);
        fclose(f);
        if (mem)
            snprintf(text, sizeof(text), "%.80s%s", mem, mlen > 80 ? "..." : "");
        free(mem);
    }
    if (ev->sql)
        return sl_sql_error_at(ev->sql, nd->e->pos, err, code, "%s in '%s'", msg, text);
    return sl_error_set(err, code, "at byte %zu: %s in '%s'", nd->e->pos, msg, text);
}

/* A value of a node's type at a row, printed for a message. */
static void ev_value_str(const struct sl_enode *nd, uint32_t row, char *buf, size_t cap)
{
    char tmp[SL_FMT_VALUE_MAX + 1];
    size_t n = 0;
    if (!sl_valid_get(nd->valid, row)) {
        snprintf(buf, cap, "NULL");
        return;
    }
    switch (nd->type.id) {
    case SL_TYPE_BOOLEAN:
        snprintf(buf, cap, "%s", ((const uint8_t *)nd->data)[row] ? "TRUE" : "FALSE");
        return;
    case SL_TYPE_INT:
        n = sl_fmt_i64(tmp, ((const int32_t *)nd->data)[row]);
        break;
    case SL_TYPE_BIGINT:
        n = sl_fmt_i64(tmp, ((const int64_t *)nd->data)[row]);
        break;
    case SL_TYPE_TIMESTAMP:
        n = sl_dt_format(tmp, ((const int64_t *)nd->data)[row], SL_DT_SQL);
        break;
    case SL_TYPE_DECIMAL:
        if (nd->type.scale <= 18)
            n = sl_fmt_decimal(tmp, ((const int64_t *)nd->data)[row], nd->type.scale);
        else
            n = (size_t)snprintf(tmp, sizeof(tmp), "%lldE-%u",
                                 (long long)((const int64_t *)nd->data)[row], nd->type.scale);
        break;
    case SL_TYPE_DOUBLE:
        n = (size_t)snprintf(tmp, sizeof(tmp), "%.17g", ((const double *)nd->data)[row]);
        break;
    case SL_TYPE_VARCHAR: {
        const sl_str *s = &((const sl_str *)nd->data)[row];
        char q[80];
        ev_quote(sl_str_data(s), s->len, q, sizeof(q));
        snprintf(buf, cap, "'%s'", q);
        return;
    }
    default:
        break;
    }
    tmp[n] = '\0';
    snprintf(buf, cap, "%s", tmp);
}

/* ---- small helpers ------------------------------------------------------------------------- */

static size_t ev_width(sl_type_id id)
{
    return sl_type_width(id);
}

/* The validity of a result whose NULLs are the union of a's and b's. */
static const uint64_t *ev_valid_and(struct sl_eval *ev, struct sl_enode *nd, const uint64_t *a,
                                    const uint64_t *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    sl_arith->valid_and(nd->vbuf, a, b, ev->rows);
    return nd->vbuf;
}

/* An all-NULL validity (for operations with a NULL constant operand). */
static const uint64_t *ev_all_null(struct sl_eval *ev, struct sl_enode *nd)
{
    memset(nd->vbuf, 0, SL_VALID_WORDS(ev->rows) * sizeof(uint64_t));
    return nd->vbuf;
}

static bool ev_is_const(const struct sl_enode *nd)
{
    return nd->kind == SL_EN_CONST && !nd->cnull;
}

static int64_t ev_ci64(const struct sl_enode *nd)
{
    return ((const int64_t *)nd->buf)[0];
}

/* 10^k in 128 bits, k in [0, 38]. */
static __int128 ev_p10_128(unsigned k)
{
    __int128 p = 1;
    while (k--)
        p *= 10;
    return p;
}

/* a / b rounded half-up (away from zero on a tie), b != 0. */
static __int128 ev_div_round(__int128 a, __int128 b)
{
    __int128 q = a / b, r = a % b;
    __int128 ar = r < 0 ? -r : r, ab = b < 0 ? -b : b;
    if (ar && 2 * ar >= ab)
        q += ((a < 0) != (b < 0)) ? -1 : 1;
    return q;
}

static bool ev_fits_i64(__int128 v)
{
    return v >= INT64_MIN && v <= INT64_MAX;
}

/* ---- evaluation: forward declarations ------------------------------------------------------- */

static int ev_value(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                    struct sl_error *err);
static int ev_select(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                     sl_sel_t *out, uint32_t *nout, struct sl_error *err);

/* ---- time and numeric functions (eval_fn.c) ------------------------------------------------ */

static char *ev_fn_str_alloc(void *ctx, size_t len)
{
    return ev_str_alloc(ctx, len);
}

/* The call's view of the node: its arguments' vectors (constants: their buffer). */
static void ev_fn_call_init(struct sl_eval *ev, struct sl_enode *nd, struct sl_tfn_call *c)
{
    memset(c, 0, offsetof(struct sl_tfn_call, err_msg) + 1);
    c->fn = nd->fn;
    c->type = nd->type;
    c->nargs = nd->nargs < 3 ? nd->nargs : 3;
    for (uint32_t i = 0; i < c->nargs; i++) {
        const struct sl_enode *a = nd->args[i];
        c->args[i].data = a->kind == SL_EN_CONST ? a->buf : a->data;
        c->args[i].valid = a->kind == SL_EN_CONST ? NULL : a->valid;
        c->args[i].type = a->type;
        c->args[i].is_const = a->kind == SL_EN_CONST;
        c->args[i].cnull = a->kind == SL_EN_CONST && a->cnull;
    }
    c->rows = ev->rows;
    c->out = nd->buf;
    c->vbuf = nd->vbuf;
    c->st = nd->tfst;
    c->str_alloc = ev_fn_str_alloc;
    c->str_ctx = ev;
}

static int ev_fn_compile(struct sl_eval *ev, struct sl_enode *nd, struct sl_error *err)
{
    if (nd->nargs > 3)
        return ev_fail(ev, nd, err, SL_EINVAL, "%s: too many arguments", sl_fn_name(nd->fn));
    nd->tfst = ev_alloc(ev, sl_fn_state_size());
    if (!nd->tfst)
        return sl_error_set(err, SL_ENOMEM, "out of memory compiling expressions");
    struct sl_tfn_call c;
    ev_fn_call_init(ev, nd, &c);
    int rc = sl_fn_prepare(&c, nd->tfst);
    if (rc)
        return ev_fail(ev, nd, err, rc, "%s", c.err_msg);
    return 0;
}

static int ev_fn_value(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                       struct sl_error *err)
{
    for (uint32_t i = 0; i < nd->nargs; i++)
        SL_TRY(ev_value(ev, nd->args[i], sel, n, err));
    struct sl_tfn_call c;
    ev_fn_call_init(ev, nd, &c);
    c.sel = sel;
    c.n = n;
    int rc = sl_fn_eval(&c);
    nd->data = nd->buf;
    nd->valid = c.valid;
    if (rc == SL_ENOMEM)
        return sl_error_set(err, SL_ENOMEM, "out of memory evaluating %s", sl_fn_name(nd->fn));
    if (rc) {
        char v[80] = "";
        if (nd->nargs) {
            uint32_t a = nd->fn == SL_FN_EXTRACT || nd->fn == SL_FN_TS_FLOOR ||
                                 nd->fn == SL_FN_TS_CEIL || nd->fn == SL_FN_TIMESTAMPADD
                             ? nd->nargs - 1
                             : 0;
            ev_value_str(nd->args[a], c.err_row, v, sizeof(v));
        }
        return ev_fail(ev, nd, err, rc, "%s (at the value %s)", c.err_msg, v);
    }
    return 0;
}

/* ---- comparisons ---------------------------------------------------------------------------- */

static sl_cmp_op ev_cmp_op(sl_fn fn)
{
    switch (fn) {
    case SL_FN_EQ:
        return SL_CMP_EQ;
    case SL_FN_NE:
        return SL_CMP_NE;
    case SL_FN_LT:
        return SL_CMP_LT;
    case SL_FN_LE:
        return SL_CMP_LE;
    case SL_FN_GT:
        return SL_CMP_GT;
    default:
        return SL_CMP_GE;
    }
}

/* Rows of (sel, n) where a op b is TRUE; both operands evaluated already at those rows. A
 * constant operand takes the kernels' constant path. */
static uint32_t ev_cmp_kernel(sl_cmp_op op, const struct sl_enode *a, const struct sl_enode *b,
                              const sl_sel_t *sel, uint32_t n, sl_sel_t *out)
{
    if ((a->kind == SL_EN_CONST && a->cnull) || (b->kind == SL_EN_CONST && b->cnull))
        return 0;
    if (ev_is_const(a) && !ev_is_const(b)) {
        const struct sl_enode *t = a;
        a = b;
        b = t;
        op = sl_cmp_op_swap(op);
    }
    const struct sl_select_kernels *k = sl_select;
    bool c = ev_is_const(b);
    switch (a->type.id) {
    case SL_TYPE_BOOLEAN:
        return c ? k->bool_const(op, a->data, ((const uint8_t *)b->buf)[0], a->valid, sel, n, out)
                 : k->bool_col(op, a->data, b->data, a->valid, b->valid, sel, n, out);
    case SL_TYPE_INT:
        return c ? k->i32_const(op, a->data, ((const int32_t *)b->buf)[0], a->valid, sel, n, out)
                 : k->i32_col(op, a->data, b->data, a->valid, b->valid, sel, n, out);
    case SL_TYPE_DOUBLE:
        return c ? k->f64_const(op, a->data, ((const double *)b->buf)[0], a->valid, sel, n, out)
                 : k->f64_col(op, a->data, b->data, a->valid, b->valid, sel, n, out);
    case SL_TYPE_VARCHAR:
        return c ? k->str_const(op, a->data, (const sl_str *)b->buf, a->valid, sel, n, out)
                 : k->str_col(op, a->data, b->data, a->valid, b->valid, sel, n, out);
    default: /* BIGINT, DECIMAL (one scale), TIMESTAMP */
        return c ? k->i64_const(op, a->data, ev_ci64(b), a->valid, sel, n, out)
                 : k->i64_col(op, a->data, b->data, a->valid, b->valid, sel, n, out);
    }
}

/* ---- LIKE ----------------------------------------------------------------------------------- */

/* Bytes of the UTF-8 character that starts with byte c (1 for a stray continuation byte). */
static size_t ev_u8len(unsigned char c)
{
    if (c < 0xC0)
        return 1;
    if (c < 0xE0)
        return 2;
    if (c < 0xF0)
        return 3;
    return 4;
}

/*
 * SQL LIKE over UTF-8: '%' any run of characters, '_' one character. Greedy with
 * backtracking to the last '%' only (the classic wildcard algorithm): linear in practice,
 * O(len(s) * len(p)) at worst. Backtracking moves by whole characters so that '_' always
 * starts on a character boundary.
 */
static bool ev_like_match(const char *s, size_t sn, const char *p, size_t pn)
{
    size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '%') {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        if (pi < pn && p[pi] == '_') {
            si += ev_u8len((unsigned char)s[si]);
            pi++;
            continue;
        }
        if (pi < pn && p[pi] == s[si]) {
            si++;
            pi++;
            continue;
        }
        if (star_p == SIZE_MAX)
            return false;
        star_s += ev_u8len((unsigned char)s[star_s]);
        si = star_s;
        pi = star_p;
    }
    if (si > sn)
        return false; /* a '_' ran past a truncated last character */
    while (pi < pn && p[pi] == '%')
        pi++;
    return pi == pn;
}

static void ev_like_compile(struct sl_enode *nd)
{
    const struct sl_enode *pat = nd->args[1];
    const sl_str *ps = (const sl_str *)pat->buf;
    nd->pat = sl_str_data(ps);
    nd->plen = ps->len;
    nd->pstr = *ps;
    const char *p = nd->pat;
    uint32_t n = nd->plen, wild = 0, first = n;
    for (uint32_t i = 0; i < n; i++)
        if (p[i] == '%' || p[i] == '_') {
            wild++;
            if (first == n)
                first = i;
        }
    nd->like_kind = SL_LIKE_GENERAL;
    if (wild == 0) {
        nd->like_kind = SL_LIKE_EXACT;
    } else {
        /* 'abc%', 'abc%%': a prefix */
        bool prefix = p[first] == '%';
        for (uint32_t i = first; i < n; i++)
            prefix &= p[i] == '%';
        if (prefix) {
            nd->like_kind = SL_LIKE_PREFIX;
            nd->plen = first;
        }
    }
}

static int ev_like_select(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                          sl_sel_t *out, uint32_t *nout, struct sl_error *err)
{
    struct sl_enode *a = nd->args[0];
    SL_TRY(ev_value(ev, a, sel, n, err));
    SL_TRY(ev_value(ev, nd->args[1], sel, n, err));
    const sl_str *v = a->data;
    switch (nd->like_kind) {
    case SL_LIKE_PREFIX:
        *nout = sl_select->str_prefix(v, nd->pat, nd->plen, a->valid, sel, n, out);
        return 0;
    case SL_LIKE_EXACT:
        *nout = sl_select->str_const(SL_CMP_EQ, v, &nd->pstr, a->valid, sel, n, out);
        return 0;
    default: {
        uint32_t m = 0;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t r = SL_ROW(sel, k);
            if (!sl_valid_get(a->valid, r))
                continue;
            if (ev_like_match(sl_str_data(&v[r]), v[r].len, nd->pat, nd->plen))
                out[m++] = r;
        }
        *nout = m;
        return 0;
    }
    }
}

/* ---- IN ------------------------------------------------------------------------------------- */

static int ev_in_select(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                        sl_sel_t *out, uint32_t *nout, struct sl_error *err)
{
    struct sl_enode *x = nd->args[0];
    SL_TRY(ev_value(ev, x, sel, n, err));
    if (nd->in_fast) {
        const int64_t *v = x->data;
        if (x->type.id == SL_TYPE_INT) {
            sl_arith->cast_i32_i64(nd->aux, x->data, sel, n);
            v = nd->aux;
        }
        *nout = sl_select->in_i64(v, nd->set, nd->nset, x->valid, sel, n, out);
        return 0;
    }
    /* equality chain: acc = rows matched so far, rem = rows not matched yet */
    sl_sel_t *acc = nd->s[1], *tmp = nd->s[3], *hit = nd->s[2];
    const sl_sel_t *rem = sel;
    uint32_t nacc = 0, nrem = n;
    for (uint32_t i = 1; i < nd->nargs && nrem; i++) {
        struct sl_enode *it = nd->args[i];
        SL_TRY(ev_value(ev, it, rem, nrem, err));
        uint32_t m = ev_cmp_kernel(SL_CMP_EQ, x, it, rem, nrem, hit);
        if (!m)
            continue;
        uint32_t na = sl_select->sel_or(acc, nacc, hit, m, tmp);
        sl_sel_t *t = acc;
        acc = tmp;
        tmp = t;
        nacc = na;
        nrem = sl_select->sel_not(rem, nrem, hit, m, nd->s[0]);
        rem = nd->s[0];
    }
    /* later items were not evaluated at rows matched already: that is fine, those rows are
     * TRUE whatever the items hold; the rows left in rem saw every item */
    memmove(out, acc, nacc * sizeof(*out));
    *nout = nacc;
    return 0;
}

/* ---- predicates as values ------------------------------------------------------------------- */

/* Marks the TRUE rows (t, nt) in the BOOLEAN buffer: 0 at every position of (sel, n), then 1. */
static void ev_bool_from_sel(uint8_t *out, const sl_sel_t *sel, uint32_t n, const sl_sel_t *t,
                             uint32_t nt)
{
    if (!sel)
        memset(out, 0, n);
    else
        for (uint32_t k = 0; k < n; k++)
            out[sel[k]] = 0;
    for (uint32_t k = 0; k < nt; k++)
        out[t[k]] = 1;
}

static int ev_pred_value(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                         struct sl_error *err)
{
    uint32_t nt;
    SL_TRY(ev_select(ev, nd, sel, n, nd->s[0], &nt, err));
    uint8_t *out = nd->buf;
    ev_bool_from_sel(out, sel, n, nd->s[0], nt);
    nd->data = out;
    if (nd->fn == SL_FN_LIKE) {
        nd->valid = nd->args[0]->valid;
        return 0;
    }
    if (nd->fn != SL_FN_IN) {
        struct sl_enode *a = nd->args[0], *b = nd->args[1];
        if ((a->kind == SL_EN_CONST && a->cnull) || (b->kind == SL_EN_CONST && b->cnull))
            nd->valid = ev_all_null(ev, nd);
        else
            nd->valid = ev_valid_and(ev, nd, a->valid, b->valid);
        return 0;
    }
    /* IN: not TRUE is NULL when x or an element is NULL at the row */
    struct sl_enode *x = nd->args[0];
    bool any = x->valid != NULL || nd->in_null;
    if (!nd->in_fast)
        for (uint32_t i = 1; i < nd->nargs; i++)
            any |= nd->args[i]->valid != NULL;
    if (!any) {
        nd->valid = NULL;
        return 0;
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = SL_ROW(sel, k);
        bool v = out[r] != 0;
        if (!v) {
            v = sl_valid_get(x->valid, r) && !nd->in_null;
            if (!nd->in_fast)
                for (uint32_t i = 1; i < nd->nargs && v; i++)
                    v = sl_valid_get(nd->args[i]->valid, r);
        }
        sl_valid_set(nd->vbuf, r, v);
    }
    nd->valid = nd->vbuf;
    return 0;
}

/* ---- AND / OR / NOT / IS NULL ---------------------------------------------------------------- */

static int ev_andor_value(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                          struct sl_error *err)
{
    bool is_and = nd->fn == SL_FN_AND;
    struct sl_enode *a = nd->args[0], *b = nd->args[1];
    SL_TRY(ev_value(ev, a, sel, n, err));
    const uint8_t *av = a->data;
    /* the right side only where the left does not decide: AND where a is not FALSE, OR where
     * a is not TRUE (NULL rows of a need b) */
    sl_sel_t *sub = nd->s[0];
    uint32_t m = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = SL_ROW(sel, k);
        bool known = sl_valid_get(a->valid, r);
        bool decides = known && (is_and ? av[r] == 0 : av[r] != 0);
        sub[m] = r;
        m += !decides;
    }
    if (m)
        SL_TRY(ev_value(ev, b, sub, m, err));
    const uint8_t *bv = b->data;
    uint8_t *out = nd->buf;
    bool nulls = a->valid || (m && b->valid);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = SL_ROW(sel, k);
        bool ak = sl_valid_get(a->valid, r), at = ak && av[r];
        bool af = ak && !av[r];
        uint8_t val;
        bool known;
        if (is_and ? af : at) {
            val = !is_and;
            known = true;
        } else {
            bool bk = sl_valid_get(b->valid, r), bt = bk && bv[r], bf = bk && !bv[r];
            if (is_and ? bf : bt) {
                val = !is_and;
                known = true;
            } else {
                val = is_and; /* both TRUE (AND) or both FALSE (OR) when known */
                known = ak && bk;
            }
        }
        out[r] = val;
        if (nulls)
            sl_valid_set(nd->vbuf, r, known);
    }
    nd->data = out;
    nd->valid = nulls ? nd->vbuf : NULL;
    return 0;
}

static int ev_not_value(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                        struct sl_error *err)
{
    struct sl_enode *a = nd->args[0];
    SL_TRY(ev_value(ev, a, sel, n, err));
    const uint8_t *av = a->data;
    uint8_t *out = nd->buf;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = SL_ROW(sel, k);
        out[r] = av[r] == 0;
    }
    nd->data = out;
    nd->valid = a->valid;
    return 0;
}

static int ev_isnull_value(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                           struct sl_error *err)
{
    struct sl_enode *a = nd->args[0];
    SL_TRY(ev_value(ev, a, sel, n, err));
    uint8_t want_null = nd->fn == SL_FN_IS_NULL, *out = nd->buf;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = SL_ROW(sel, k);
        out[r] = (uint8_t)(!sl_valid_get(a->valid, r) == want_null);
    }
    nd->data = out;
    nd->valid = NULL;
    return 0;
}

/* ---- arithmetic ------------------------------------------------------------------------------ */

static sl_arith_op ev_arith_op(sl_fn fn)
{
    switch (fn) {
    case SL_FN_ADD:
        return SL_ARITH_ADD;
    case SL_FN_SUB:
        return SL_ARITH_SUB;
    case SL_FN_MUL:
        return SL_ARITH_MUL;
    case SL_FN_DIV:
        return SL_ARITH_DIV;
    default:
        return SL_ARITH_MOD;
    }
}

static int ev_zero_or_overflow(const struct sl_eval *ev, const struct sl_enode *nd, uint32_t row,
                               struct sl_error *err)
{
    const struct sl_enode *a = nd->args[0], *b = nd->args[1];
    char av[96], bv[96];
    ev_value_str(a, ev_is_const(a) ? 0 : row, av, sizeof(av));
    ev_value_str(b, ev_is_const(b) ? 0 : row, bv, sizeof(bv));
    bool zero = false;
    if (nd->fn == SL_FN_DIV || nd->fn == SL_FN_MOD) {
        uint32_t br = ev_is_const(b) ? 0 : row;
        switch (b->type.id) {
        case SL_TYPE_INT:
            zero = ((const int32_t *)b->data)[br] == 0;
            break;
        case SL_TYPE_DOUBLE:
            break;
        default:
            zero = ((const int64_t *)b->data)[br] == 0;
            break;
        }
    }
    static const char *const names[] = {[SL_FN_ADD] = "+",
                                        [SL_FN_SUB] = "-",
                                        [SL_FN_MUL] = "*",
                                        [SL_FN_DIV] = "/",
                                        [SL_FN_MOD] = "MOD"};
    if (zero)
        return ev_fail(ev, nd, err, SL_EDIVZERO, "division by zero: %s %s %s", av, names[nd->fn],
                       bv);
    char tt[64];
    sl_type_format(nd->type, tt, sizeof(tt));
    return ev_fail(ev, nd, err, SL_EOVERFLOW, "%s overflow: %s %s %s", tt, av, names[nd->fn], bv);
}

/* DECIMAL precision of the result (p <= 18): |v| < 10^p at every valid row. */
static int ev_dec_precision(const struct sl_eval *ev, const struct sl_enode *nd,
                            const sl_sel_t *sel, uint32_t n, struct sl_error *err, const char *what)
{
    if (nd->type.precision > SL_DECIMAL_EXACT_PRECISION)
        return 0;
    uint32_t er;
    if (sl_arith->dec_check_precision(nd->data, nd->type.precision, nd->valid, sel, n, &er)) {
        char tt[64], v[96];
        struct sl_type t = nd->type;
        t.nullable = true;
        sl_type_format(t, tt, sizeof(tt));
        int64_t x = ((const int64_t *)nd->data)[er];
        size_t len = nd->type.scale <= 18 ? sl_fmt_decimal(v, x, nd->type.scale)
                                          : (size_t)snprintf(v, sizeof(v), "%lld", (long long)x);
        v[len] = '\0';
        return ev_fail(ev, nd, err, SL_EOVERFLOW, "%s overflow: %s does not fit %s", what, v, tt);
    }
    return 0;
}

/* DECIMAL * and / outside the kernels' range, exactly in 128 bits, row by row. */
static int ev_dec_muldiv_slow(const struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel,
                              uint32_t n, struct sl_error *err)
{
    const struct sl_enode *a = nd->args[0], *b = nd->args[1];
    int sa = a->type.scale, sb = b->type.scale, st = nd->type.scale;
    int64_t *out = nd->buf;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = SL_ROW(sel, k);
        if (!sl_valid_get(nd->valid, r))
            continue;
        __int128 x = ((const int64_t *)a->data)[ev_is_const(a) ? 0 : r];
        __int128 y = ((const int64_t *)b->data)[ev_is_const(b) ? 0 : r];
        __int128 q;
        if (nd->fn == SL_FN_MUL) {
            int d = sa + sb - st; /* >= 0: the binder only ever lowers the product's scale */
            q = x * y;
            if (d > 0)
                q = d > 38 ? 0 : ev_div_round(q, ev_p10_128((unsigned)d));
            else if (d < 0 && q != 0)
                goto overflow;
        } else {
            if (y == 0)
                return ev_zero_or_overflow(ev, nd, r, err);
            int shift = st + sb - sa;
            if (shift >= 0) {
                /* long division, one decimal digit at a time, stopping on overflow */
                bool neg = (x < 0) != (y < 0);
                unsigned __int128 ux = (unsigned __int128)(x < 0 ? -x : x);
                unsigned __int128 uy = (unsigned __int128)(y < 0 ? -y : y);
                unsigned __int128 uq = ux / uy, ur = ux % uy;
                for (int i = 0; i < shift; i++) {
                    if (uq > (unsigned __int128)INT64_MAX * 10)
                        goto overflow;
                    ur *= 10;
                    uq = uq * 10 + ur / uy;
                    ur %= uy;
                }
                if (ur && 2 * ur >= uy)
                    uq++;
                if (uq > (unsigned __int128)INT64_MAX + 1)
                    goto overflow;
                q = neg ? -(__int128)uq : (__int128)uq;
            } else {
                int kk = -shift;
                q = kk > 19 ? 0 : ev_div_round(x, y * ev_p10_128((unsigned)kk));
            }
        }
        if (!ev_fits_i64(q))
            goto overflow;
        out[r] = (int64_t)q;
        continue;
    overflow:
        nd->data = out;
        return ev_zero_or_overflow(ev, nd, r, err);
    }
    return 0;
}

static int ev_arith(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                    struct sl_error *err)
{
    struct sl_enode *a = nd->args[0], *b = nd->args[1];
    SL_TRY(ev_value(ev, a, sel, n, err));
    SL_TRY(ev_value(ev, b, sel, n, err));
    nd->data = nd->buf;
    if ((a->kind == SL_EN_CONST && a->cnull) || (b->kind == SL_EN_CONST && b->cnull)) {
        nd->valid = ev_all_null(ev, nd);
        return 0;
    }
    nd->valid = ev_valid_and(ev, nd, a->valid, b->valid);
    bool ac = ev_is_const(a), bc = ev_is_const(b);
    sl_arith_op op = ev_arith_op(nd->fn);
    uint32_t er = 0;
    int rc = 0;
    const struct sl_arith_kernels *k = sl_arith;
    switch (nd->type.id) {
    case SL_TYPE_INT: {
        int32_t ca = ac ? ((const int32_t *)a->buf)[0] : 0,
                cb = bc ? ((const int32_t *)b->buf)[0] : 0;
        rc = k->binop_i32(op, nd->buf, ac ? NULL : a->data, ca, bc ? NULL : b->data, cb, nd->valid,
                          sel, n, &er);
        break;
    }
    case SL_TYPE_BIGINT:
    case SL_TYPE_TIMESTAMP: {
        int64_t ca = ac ? ev_ci64(a) : 0, cb = bc ? ev_ci64(b) : 0;
        rc = k->binop_i64(op, nd->buf, ac ? NULL : a->data, ca, bc ? NULL : b->data, cb, nd->valid,
                          sel, n, &er);
        break;
    }
    case SL_TYPE_DOUBLE: {
        double ca = ac ? ((const double *)a->buf)[0] : 0, cb = bc ? ((const double *)b->buf)[0] : 0;
        k->binop_f64(op, nd->buf, ac ? NULL : a->data, ca, bc ? NULL : b->data, cb, sel, n);
        return 0;
    }
    case SL_TYPE_DECIMAL: {
        int64_t ca = ac ? ev_ci64(a) : 0, cb = bc ? ev_ci64(b) : 0;
        const int64_t *pa = ac ? NULL : a->data, *pb = bc ? NULL : b->data;
        int sa = a->type.scale, sb = b->type.scale, st = nd->type.scale;
        switch (nd->fn) {
        case SL_FN_ADD:
            rc = k->dec_add(nd->buf, pa, ca, pb, cb, nd->valid, sel, n, &er);
            break;
        case SL_FN_SUB:
            rc = k->dec_sub(nd->buf, pa, ca, pb, cb, nd->valid, sel, n, &er);
            break;
        case SL_FN_MUL:
            if (sa + sb == st)
                rc = k->dec_mul(nd->buf, pa, ca, pb, cb, nd->valid, sel, n, &er);
            else
                SL_TRY(ev_dec_muldiv_slow(ev, nd, sel, n, err));
            break;
        case SL_FN_DIV: {
            int shift = st + sb - sa;
            if (shift >= -18 && shift <= 18)
                rc = k->dec_div(nd->buf, pa, ca, pb, cb, shift, nd->valid, sel, n, &er);
            else
                SL_TRY(ev_dec_muldiv_slow(ev, nd, sel, n, err));
            break;
        }
        default: /* MOD at one scale: the scaled integers' remainder */
            rc = k->binop_i64(SL_ARITH_MOD, nd->buf, pa, ca, pb, cb, nd->valid, sel, n, &er);
            break;
        }
        if (rc)
            return ev_zero_or_overflow(ev, nd, er, err);
        return ev_dec_precision(ev, nd, sel, n, err, "arithmetic");
    }
    default:
        return ev_fail(ev, nd, err, SL_ENOTSUP, "arithmetic on this type is not supported");
    }
    if (rc)
        return ev_zero_or_overflow(ev, nd, er, err);
    return 0;
}

static int ev_neg(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                  struct sl_error *err)
{
    struct sl_enode *a = nd->args[0];
    SL_TRY(ev_value(ev, a, sel, n, err));
    nd->data = nd->buf;
    nd->valid = a->valid;
    uint32_t er;
    switch (nd->type.id) {
    case SL_TYPE_INT:
        sl_arith->binop_i32(SL_ARITH_SUB, nd->buf, NULL, 0, a->data, 0, NULL, sel, n, &er);
        return 0;
    case SL_TYPE_BIGINT:
        sl_arith->binop_i64(SL_ARITH_SUB, nd->buf, NULL, 0, a->data, 0, NULL, sel, n, &er);
        return 0;
    case SL_TYPE_DOUBLE: /* -x, not 0 - x: -(0.0) is -0.0 */
        sl_arith->binop_f64(SL_ARITH_MUL, nd->buf, NULL, -1.0, a->data, 0, sel, n);
        return 0;
    case SL_TYPE_DECIMAL:
        if (sl_arith->dec_sub(nd->buf, NULL, 0, a->data, 0, nd->valid, sel, n, &er)) {
            char v[64];
            ev_value_str(a, er, v, sizeof(v));
            return ev_fail(ev, nd, err, SL_EOVERFLOW, "DECIMAL overflow: -(%s)", v);
        }
        return 0;
    default:
        return ev_fail(ev, nd, err, SL_ENOTSUP, "negation of this type is not supported");
    }
}

/* ---- CONCAT ---------------------------------------------------------------------------------- */

static int ev_concat(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                     struct sl_error *err)
{
    struct sl_enode *a = nd->args[0], *b = nd->args[1];
    SL_TRY(ev_value(ev, a, sel, n, err));
    SL_TRY(ev_value(ev, b, sel, n, err));
    nd->data = nd->buf;
    if ((a->kind == SL_EN_CONST && a->cnull) || (b->kind == SL_EN_CONST && b->cnull)) {
        nd->valid = ev_all_null(ev, nd);
        return 0;
    }
    nd->valid = ev_valid_and(ev, nd, a->valid, b->valid);
    const sl_str *av = a->data, *bv = b->data;
    sl_str *out = nd->buf;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = SL_ROW(sel, k);
        if (!sl_valid_get(nd->valid, r))
            continue;
        const sl_str *x = &av[r], *y = &bv[r];
        uint64_t len = (uint64_t)x->len + y->len;
        if (len >= UINT32_MAX)
            return ev_fail(ev, nd, err, SL_ERANGE, "string of %llu bytes is too long",
                           (unsigned long long)len);
        char tmp[SL_STR_INLINE_MAX];
        char *p = len <= SL_STR_INLINE_MAX ? tmp : ev_str_alloc(ev, (size_t)len);
        if (!p)
            return sl_error_set(err, SL_ENOMEM, "out of memory evaluating ||");
        memcpy(p, sl_str_data(x), x->len);
        memcpy(p + x->len, sl_str_data(y), y->len);
        out[r] = sl_str_make(p, (uint32_t)len);
    }
    return 0;
}

/* ---- string, regex, hash functions, GREATEST / LEAST (fn_string.c) ------------------------- */

static char *ev_fn_alloc(void *ev, size_t len)
{
    return ev_str_alloc(ev, len);
}

static void ev_fn_args(struct sl_enode *nd)
{
    for (uint32_t i = 0; i < nd->nargs; i++) {
        const struct sl_enode *a = nd->args[i];
        nd->fargs[i] = (struct sl_fn_arg){.data = a->data,
                                          .valid = a->valid,
                                          .cnull = a->kind == SL_EN_CONST && a->cnull,
                                          .cconst = a->kind == SL_EN_CONST,
                                          .type = a->type};
    }
}

static int ev_fnstr(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                    struct sl_error *err)
{
    for (uint32_t i = 0; i < nd->nargs; i++)
        SL_TRY(ev_value(ev, nd->args[i], sel, n, err));
    ev_fn_args(nd);
    struct sl_fn_ctx ctx = {.alloc = ev_fn_alloc, .ev = ev};
    nd->data = nd->buf;
    nd->valid = nd->vbuf;
    int rc = sl_fnstr_eval(nd->fst, nd->fn, nd->type, nd->nargs, nd->fargs, sel, n, nd->buf,
                           nd->vbuf, &ctx);
    if (rc)
        return ev_fail(ev, nd, err, rc, "%s", ctx.msg);
    return 0;
}

/* ---- MAP<STRING, BYTES> ---------------------------------------------------------------------- */

/* m[k]: the value of the last entry with key k (engine/core/types.h); NULL when the map or
 * the key is NULL, when there is no such entry, or when its value is NULL (Flink's ITEM on a
 * MAP). The value is a view into the map's bytes. */
static int ev_item(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                   struct sl_error *err)
{
    struct sl_enode *m = nd->args[0], *k = nd->args[1];
    SL_TRY(ev_value(ev, m, sel, n, err));
    SL_TRY(ev_value(ev, k, sel, n, err));
    nd->data = nd->buf;
    nd->valid = nd->vbuf;
    const sl_str *mv = m->data, *kv = k->data;
    sl_str *out = nd->buf;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = SL_ROW(sel, i);
        const char *v = NULL;
        uint32_t vl = 0;
        bool ok =
            !(m->kind == SL_EN_CONST && m->cnull) && !(k->kind == SL_EN_CONST && k->cnull) &&
            sl_valid_get(m->valid, r) && sl_valid_get(k->valid, r) &&
            sl_map_get(sl_str_data(&mv[r]), mv[r].len, sl_str_data(&kv[r]), kv[r].len, &v, &vl) &&
            v;
        sl_valid_set(nd->vbuf, r, ok);
        if (ok)
            out[r] = sl_str_make(v, vl);
    }
    return 0;
}

/* PROCTIME(): the wall clock once per evaluation, the same instant for every row of the
 * selection, never NULL, never earlier than what this evaluator gave before. */
static int ev_proctime(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n)
{
    int64_t now = sl_proctime_now_ms();
    if (now < ev->proctime)
        now = ev->proctime;
    ev->proctime = now;
    int64_t *out = nd->buf;
    for (uint32_t i = 0; i < n; i++)
        out[SL_ROW(sel, i)] = now;
    nd->data = nd->buf;
    nd->valid = NULL;
    return 0;
}

/* CARDINALITY(m): INT, NULL for a NULL map. */
static int ev_cardinality(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                          struct sl_error *err)
{
    struct sl_enode *m = nd->args[0];
    SL_TRY(ev_value(ev, m, sel, n, err));
    nd->data = nd->buf;
    if (m->kind == SL_EN_CONST && m->cnull) {
        nd->valid = ev_all_null(ev, nd);
        return 0;
    }
    nd->valid = m->valid;
    const sl_str *mv = m->data;
    int32_t *out = nd->buf;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = SL_ROW(sel, i);
        if (sl_valid_get(m->valid, r))
            out[r] = (int32_t)sl_map_count(sl_str_data(&mv[r]), mv[r].len);
    }
    return 0;
}

/* MAP[k1, v1, ...]: one entry per key in the order the keys first appear, each with the
 * value given last for it (as the Kafka source builds header maps); a NULL value is kept as
 * a NULL value, a NULL key is an error naming the expression. */
static int ev_map(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                  struct sl_error *err)
{
    uint32_t na = nd->nargs;
    for (uint32_t j = 0; j < na; j++)
        SL_TRY(ev_value(ev, nd->args[j], sel, n, err));
    nd->data = nd->buf;
    nd->valid = NULL;
    sl_str *out = nd->buf;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = SL_ROW(sel, i);
        size_t len = 4;
        uint32_t cnt = 0;
        for (int pass = 0; pass < 2; pass++) {
            char *p = NULL;
            if (pass) {
                if (len > UINT32_MAX - 1)
                    return ev_fail(ev, nd, err, SL_ERANGE, "MAP value of %zu bytes is too long",
                                   len);
                p = ev_str_alloc(ev, len);
                if (!p)
                    return sl_error_set(err, SL_ENOMEM, "out of memory evaluating MAP[...]");
                sl_map_put_count(p, cnt);
                len = 4;
            }
            for (uint32_t j = 0; j + 1 < na; j += 2) {
                const struct sl_enode *ka = nd->args[j];
                if ((ka->kind == SL_EN_CONST && ka->cnull) || !sl_valid_get(ka->valid, r))
                    return ev_fail(ev, nd, err, SL_EINVAL, "MAP[...] key %u is NULL", j / 2 + 1);
                const sl_str *key = &((const sl_str *)ka->data)[r];
                bool dup = false;
                for (uint32_t q = 0; q < j && !dup; q += 2) {
                    const sl_str *kq = &((const sl_str *)nd->args[q]->data)[r];
                    dup = sl_str_eq(kq, key);
                }
                if (dup)
                    continue;
                const char *v = NULL;
                uint32_t vl = 0;
                for (uint32_t q = j; q + 1 < na; q += 2) { /* the last value of this key */
                    const sl_str *kq = &((const sl_str *)nd->args[q]->data)[r];
                    const struct sl_enode *va = nd->args[q + 1];
                    if (q != j && !sl_str_eq(kq, key))
                        continue;
                    bool vnull =
                        (va->kind == SL_EN_CONST && va->cnull) || !sl_valid_get(va->valid, r);
                    v = vnull ? NULL : sl_str_data(&((const sl_str *)va->data)[r]);
                    vl = vnull ? 0 : ((const sl_str *)va->data)[r].len;
                }
                if (!pass) {
                    len += sl_map_entry_size(key->len, v, vl);
                    cnt++;
                } else {
                    len += sl_map_put_entry(p + len, sl_str_data(key), key->len, v, vl);
                }
            }
            if (pass)
                out[r] = sl_str_make(p, (uint32_t)len);
        }
    }
    return 0;
}

/* ---- CASE ------------------------------------------------------------------------------------ */

/* out[r] = src[r] at the rows of (sel, n), for a value of type id. */
static void ev_scatter(sl_type_id id, void *out, const void *src, const sl_sel_t *sel, uint32_t n)
{
    switch (ev_width(id)) {
    case 1:
        for (uint32_t k = 0; k < n; k++) {
            uint32_t r = SL_ROW(sel, k);
            ((uint8_t *)out)[r] = ((const uint8_t *)src)[r];
        }
        break;
    case 4:
        sl_arith->scatter_i32(out, src, sel, n);
        break;
    case 8:
        sl_arith->scatter_i64(out, src, sel, n);
        break;
    default:
        sl_arith->scatter_str(out, src, sel, n);
        break;
    }
}

static int ev_case(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                   struct sl_error *err)
{
    uint32_t nwhen = nd->nargs / 2;
    const sl_sel_t *rem = sel;
    uint32_t nrem = n;
    sl_sel_t *hit = nd->s[0], *rest = nd->s[1];
    bool nulls = false;
    nd->data = nd->buf;
    for (uint32_t i = 0; i <= nwhen && nrem; i++) {
        const sl_sel_t *take = rem;
        uint32_t ntake = nrem;
        if (i < nwhen) {
            SL_TRY(ev_select(ev, nd->args[2 * i], rem, nrem, hit, &ntake, err));
            take = hit;
            if (!ntake)
                continue;
        }
        struct sl_enode *v = i < nwhen ? nd->args[2 * i + 1] : nd->args[nd->nargs - 1];
        SL_TRY(ev_value(ev, v, take, ntake, err));
        ev_scatter(nd->type.id, nd->buf, v->data, take, ntake);
        for (uint32_t k = 0; k < ntake; k++) {
            uint32_t r = SL_ROW(take, k);
            bool ok = sl_valid_get(v->valid, r);
            sl_valid_set(nd->vbuf, r, ok);
            nulls |= !ok;
        }
        if (i < nwhen) {
            nrem = sl_select->sel_not(rem, nrem, hit, ntake, rest);
            rem = rest;
        } else {
            nrem = 0;
        }
    }
    nd->valid = nulls ? nd->vbuf : NULL;
    return 0;
}

/* ---- CAST ------------------------------------------------------------------------------------ */

/* Java's (int) of a double: truncation, saturation, NaN -> 0. */
static int32_t ev_d2i(double d)
{
    if (d != d)
        return 0;
    if (d >= 2147483647.0)
        return INT32_MAX;
    if (d <= -2147483648.0)
        return INT32_MIN;
    return (int32_t)d;
}

/* A DECIMAL of any scale as text, every scale digit printed (Flink's BigDecimal.toPlainString
 * of a value with that scale). */
static size_t ev_fmt_decimal(char *buf, int64_t v, unsigned scale)
{
    if (scale <= 18)
        return sl_fmt_decimal(buf, v, scale);
    size_t k = 0;
    uint64_t a = (uint64_t)v;
    if (v < 0) {
        buf[k++] = '-';
        a = 0u - a;
    }
    buf[k++] = '0';
    buf[k++] = '.';
    char d[24];
    int nd = snprintf(d, sizeof(d), "%llu", (unsigned long long)a);
    for (unsigned i = 0; i + (unsigned)nd < scale; i++)
        buf[k++] = '0';
    memcpy(buf + k, d, (size_t)nd);
    return k + (size_t)nd;
}

static bool ev_is_num(sl_type_id id)
{
    return id == SL_TYPE_INT || id == SL_TYPE_BIGINT || id == SL_TYPE_DOUBLE ||
           id == SL_TYPE_DECIMAL;
}

/* Whether the evaluator runs CAST from `from` to `to` (every pair the binder allows). */
static bool ev_cast_supported(sl_type_id from, sl_type_id to)
{
    if (from == to || to == SL_TYPE_VARCHAR || from == SL_TYPE_VARCHAR)
        return true;
    if ((ev_is_num(from) || from == SL_TYPE_BOOLEAN) && ev_is_num(to))
        return true;
    /* TO_TIMESTAMP_LTZ(epoch ms, 3): both are int64 milliseconds */
    return from == SL_TYPE_BIGINT && to == SL_TYPE_TIMESTAMP;
}

/* "CAST overflow: VALUE does not fit TYPE" for the operand's value at `row`. */
static int ev_cast_overflow(const struct sl_eval *ev, const struct sl_enode *nd, uint32_t row,
                            struct sl_error *err)
{
    char v[96], tt[64];
    ev_value_str(nd->args[0], row, v, sizeof(v));
    struct sl_type t = nd->type;
    t.nullable = true;
    sl_type_format(t, tt, sizeof(tt));
    return ev_fail(ev, nd, err, SL_EOVERFLOW, "cannot CAST %s to %s: overflow", v, tt);
}

/* DECIMAL(*, sf) int64 values to scale st: out may be the same array as in. */
static int ev_rescale(const struct sl_eval *ev, struct sl_enode *nd, int64_t *out,
                      const int64_t *in, unsigned sf, unsigned st, const sl_sel_t *sel, uint32_t n,
                      struct sl_error *err)
{
    uint32_t er = 0;
    if (st > sf) {
        unsigned k = st - sf;
        if (k <= 18) {
            if (sl_arith->dec_rescale_up(out, in, k, nd->valid, sel, n, &er))
                goto overflow;
            return 0;
        }
        for (uint32_t i = 0; i < n; i++) {
            er = SL_ROW(sel, i);
            if (sl_valid_get(nd->valid, er) && in[er] != 0)
                goto overflow;
            out[er] = 0;
        }
        return 0;
    }
    if (st < sf) {
        unsigned k = sf - st;
        if (k <= 18) {
            sl_arith->dec_rescale_down(out, in, k, sel, n);
            return 0;
        }
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = SL_ROW(sel, i);
            out[r] = k > 38 ? 0 : (int64_t)ev_div_round(in[r], ev_p10_128(k));
        }
        return 0;
    }
    if (out != in)
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = SL_ROW(sel, i);
            out[r] = in[r];
        }
    return 0;
overflow:
    return ev_cast_overflow(ev, nd, er, err);
}

/* Integers (int64, at `in`) to the node's DECIMAL(p, s): out = in * 10^s, checked. */
static int ev_int_to_dec(const struct sl_eval *ev, struct sl_enode *nd, const int64_t *in,
                         const sl_sel_t *sel, uint32_t n, struct sl_error *err)
{
    unsigned p = nd->type.precision, s = nd->type.scale;
    uint32_t er;
    if (p <= 18) {
        if (sl_arith->cast_i64_dec(nd->buf, in, p, s, nd->valid, sel, n, &er))
            return ev_cast_overflow(ev, nd, er, err);
        return 0;
    }
    return ev_rescale(ev, nd, nd->buf, in, 0, s, sel, n, err);
}

static int ev_cast_parse_fail(const struct sl_eval *ev, const struct sl_enode *nd, int rc,
                              const sl_str *s, const char *why, struct sl_error *err)
{
    char q[300], tt[64];
    struct sl_type t = nd->type;
    t.nullable = true;
    sl_type_format(t, tt, sizeof(tt));
    ev_quote(sl_str_data(s), s->len, q, sizeof(q));
    return ev_fail(ev, nd, err, rc == SL_ERANGE ? SL_ERANGE : SL_EPARSE,
                   "cannot CAST '%s' to %s: %s", q, tt, why ? why : "invalid");
}

static int ev_cast_from_varchar(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel,
                                uint32_t n, struct sl_error *err)
{
    struct sl_enode *a = nd->args[0];
    const sl_str *v = a->data;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = SL_ROW(sel, k);
        if (!sl_valid_get(a->valid, r))
            continue;
        const char *s = sl_str_data(&v[r]), *why = NULL;
        size_t len = v[r].len;
        int rc;
        switch (nd->type.id) {
        case SL_TYPE_BOOLEAN:
            rc = sl_fmt_parse_bool(s, len, &((uint8_t *)nd->buf)[r], &why);
            break;
        case SL_TYPE_INT:
            rc = sl_fmt_parse_i32(s, len, &((int32_t *)nd->buf)[r], &why);
            break;
        case SL_TYPE_BIGINT:
            rc = sl_fmt_parse_i64(s, len, &((int64_t *)nd->buf)[r], &why);
            break;
        case SL_TYPE_DOUBLE:
            rc = sl_fmt_parse_f64(s, len, &((double *)nd->buf)[r], &why);
            break;
        case SL_TYPE_DECIMAL:
            rc = sl_fmt_parse_decimal(s, len, nd->type.precision, nd->type.scale,
                                      &((int64_t *)nd->buf)[r], &why);
            break;
        case SL_TYPE_TIMESTAMP:
            rc = sl_dt_parse(s, len, &((int64_t *)nd->buf)[r], &why);
            break;
        default:
            rc = SL_ENOTSUP;
            break;
        }
        if (rc)
            return ev_cast_parse_fail(ev, nd, rc, &v[r], why, err);
    }
    return 0;
}

static int ev_cast_to_varchar(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel,
                              uint32_t n, struct sl_error *err)
{
    struct sl_enode *a = nd->args[0];
    sl_str *out = nd->buf;
    char tmp[SL_FMT_VALUE_MAX + 32];
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = SL_ROW(sel, k);
        if (!sl_valid_get(a->valid, r))
            continue;
        size_t len;
        switch (a->type.id) {
        case SL_TYPE_BOOLEAN:
            len = ((const uint8_t *)a->data)[r] ? 4 : 5;
            memcpy(tmp, len == 4 ? "TRUE" : "FALSE", len);
            break;
        case SL_TYPE_INT:
            len = sl_fmt_i64(tmp, ((const int32_t *)a->data)[r]);
            break;
        case SL_TYPE_BIGINT:
            len = sl_fmt_i64(tmp, ((const int64_t *)a->data)[r]);
            break;
        case SL_TYPE_DOUBLE:
            len = sl_fmt_java_double(tmp, ((const double *)a->data)[r]);
            break;
        case SL_TYPE_DECIMAL:
            len = ev_fmt_decimal(tmp, ((const int64_t *)a->data)[r], a->type.scale);
            break;
        case SL_TYPE_TIMESTAMP:
            len = sl_dt_format(tmp, ((const int64_t *)a->data)[r], SL_DT_SQL);
            break;
        default:
            return ev_fail(ev, nd, err, SL_ENOTSUP, "CAST to VARCHAR of this type");
        }
        if (!ev_str_make(ev, tmp, (uint32_t)len, &out[r]))
            return sl_error_set(err, SL_ENOMEM, "out of memory evaluating CAST");
    }
    return 0;
}

/* CAST(BYTES AS STRING): the bytes read as UTF-8 the way Flink's BinaryToStringCastRule does
 * (new String(bytes, UTF_8): each ill-formed subpart becomes U+FFFD); valid UTF-8 is kept as
 * it is. CAST(STRING AS BYTES) is the identity (StringToBinaryCastRule: the UTF-8 bytes). */
static int ev_cast_bytes_to_string(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel,
                                   uint32_t n, struct sl_error *err)
{
    struct sl_enode *a = nd->args[0];
    const sl_str *in = a->data;
    sl_str *out = nd->buf;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = SL_ROW(sel, k);
        if (!sl_valid_get(a->valid, r))
            continue;
        const char *s = sl_str_data(&in[r]);
        if (sl_fmt_utf8_valid(s, in[r].len)) {
            out[r] = in[r];
            continue;
        }
        char *tmp = malloc(3 * (size_t)in[r].len);
        if (!tmp)
            return sl_error_set(err, SL_ENOMEM, "out of memory evaluating CAST");
        size_t len = sl_fmt_utf8_lossy(tmp, s, in[r].len);
        bool ok = len <= UINT32_MAX - 1 && ev_str_make(ev, tmp, (uint32_t)len, &out[r]);
        free(tmp);
        if (!ok)
            return sl_error_set(err, SL_ENOMEM, "out of memory evaluating CAST");
    }
    return 0;
}

static int ev_cast(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                   struct sl_error *err)
{
    struct sl_enode *a = nd->args[0];
    SL_TRY(ev_value(ev, a, sel, n, err));
    sl_type_id from = a->type.id, to = nd->type.id;
    nd->valid = a->valid;
    if (sl_type_is_bytes(a->type) && sl_type_is_string(nd->type)) {
        nd->data = nd->buf;
        return ev_cast_bytes_to_string(ev, nd, sel, n, err);
    }
    if ((from == to && from != SL_TYPE_DECIMAL) ||
        (from == SL_TYPE_BIGINT && to == SL_TYPE_TIMESTAMP)) {
        nd->data = a->data; /* the same int64 values; only the type or nullability differs */
        return 0;
    }
    nd->data = nd->buf;
    if (from == SL_TYPE_VARCHAR)
        return ev_cast_from_varchar(ev, nd, sel, n, err);
    if (to == SL_TYPE_VARCHAR)
        return ev_cast_to_varchar(ev, nd, sel, n, err);
    const struct sl_arith_kernels *k = sl_arith;
    unsigned s = nd->type.scale, p = nd->type.precision;
    int64_t *o64 = nd->buf;
    if (from == SL_TYPE_BOOLEAN) {
        const uint8_t *v = a->data;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = SL_ROW(sel, i);
            switch (to) {
            case SL_TYPE_INT:
                ((int32_t *)nd->buf)[r] = v[r] != 0;
                break;
            case SL_TYPE_DOUBLE:
                ((double *)nd->buf)[r] = v[r] != 0;
                break;
            default:
                o64[r] = v[r] != 0;
                break; /* BIGINT, and DECIMAL before its scale */
            }
        }
        if (to != SL_TYPE_DECIMAL)
            return 0;
        return ev_int_to_dec(ev, nd, o64, sel, n, err);
    }
    switch (from) {
    case SL_TYPE_INT:
        switch (to) {
        case SL_TYPE_BIGINT:
            k->cast_i32_i64(o64, a->data, sel, n);
            return 0;
        case SL_TYPE_DOUBLE:
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = SL_ROW(sel, i);
                ((double *)nd->buf)[r] = ((const int32_t *)a->data)[r];
            }
            return 0;
        default: /* DECIMAL */
            k->cast_i32_i64(o64, a->data, sel, n);
            return ev_int_to_dec(ev, nd, o64, sel, n, err);
        }
    case SL_TYPE_BIGINT:
        switch (to) {
        case SL_TYPE_INT:
            k->cast_i64_i32(nd->buf, a->data, sel, n);
            return 0;
        case SL_TYPE_DOUBLE:
            k->cast_i64_f64(nd->buf, a->data, sel, n);
            return 0;
        default: /* DECIMAL */
            if (p > 18 && s == 0) {
                nd->data = a->data; /* DECIMAL(19+, 0) of a BIGINT: the same int64 */
                return 0;
            }
            return ev_int_to_dec(ev, nd, a->data, sel, n, err);
        }
    case SL_TYPE_DOUBLE:
        switch (to) {
        case SL_TYPE_INT:
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = SL_ROW(sel, i);
                ((int32_t *)nd->buf)[r] = ev_d2i(((const double *)a->data)[r]);
            }
            return 0;
        case SL_TYPE_BIGINT:
            k->cast_f64_i64(o64, a->data, sel, n);
            return 0;
        default: { /* DECIMAL: BigDecimal.valueOf(d).setScale(s, HALF_UP) */
            unsigned pp = p > 18 ? 18 : p;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = SL_ROW(sel, i);
                if (!sl_valid_get(a->valid, r))
                    continue;
                double d = ((const double *)a->data)[r];
                char tmp[SL_FMT_VALUE_MAX + 1];
                const char *why = NULL;
                if (!isfinite(d))
                    return ev_cast_overflow(ev, nd, r, err);
                size_t len = sl_fmt_f64(tmp, d);
                if (sl_fmt_parse_decimal(tmp, len, pp, s, &o64[r], &why))
                    return ev_cast_overflow(ev, nd, r, err);
            }
            return 0;
        }
        }
    case SL_TYPE_DECIMAL: {
        unsigned sf = a->type.scale;
        const int64_t *v = a->data;
        switch (to) {
        case SL_TYPE_DOUBLE:
            if (sf <= 18) {
                k->cast_dec_f64(nd->buf, v, sf, sel, n);
            } else {
                for (uint32_t i = 0; i < n; i++) {
                    uint32_t r = SL_ROW(sel, i);
                    ((double *)nd->buf)[r] = (double)v[r] / pow(10.0, sf);
                }
            }
            return 0;
        case SL_TYPE_INT:
        case SL_TYPE_BIGINT: /* truncation toward zero; INT keeps the low 32 bits */
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = SL_ROW(sel, i);
                int64_t x = sf <= 18 ? v[r] / sl_p10[sf] : 0;
                if (to == SL_TYPE_INT)
                    ((int32_t *)nd->buf)[r] = (int32_t)(uint32_t)(uint64_t)x;
                else
                    o64[r] = x;
            }
            return 0;
        default: /* DECIMAL */
            SL_TRY(ev_rescale(ev, nd, o64, v, sf, s, sel, n, err));
            return ev_dec_precision(ev, nd, sel, n, err, "CAST");
        }
    }
    default:
        return ev_fail(ev, nd, err, SL_ENOTSUP, "this CAST is not supported");
    }
}

/* ---- dispatch -------------------------------------------------------------------------------- */

/* ---- user-defined functions (include/sluice_udf.h, engine/plan/udf.h) ------------------------
 */

/* call->alloc: string bytes in the evaluator's scratch, which lives until the next batch. */
static char *ev_udf_alloc(struct sluice_udf_call *call, size_t len)
{
    return len >= UINT32_MAX ? NULL : ev_str_alloc(call->engine, len ? len : 1);
}

/* A UDF over (sel, n): the rows where every argument holds a value (or all of them with
 * SLUICE_UDF_NULL_CALL) go to the function in one call; its error fails the evaluation with
 * its message at the call's SQL position. */
static int ev_udf(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                  struct sl_error *err)
{
    const struct sl_udf *u = nd->e->udf;
    uint32_t flags = u->fn->flags;
    struct sluice_udf_arg args[SLUICE_UDF_MAX_ARGS];
    const uint64_t *valid = NULL; /* the rows to compute: NULL = all of (sel, n) */
    for (uint32_t i = 0; i < nd->nargs; i++) {
        struct sl_enode *a = nd->args[i];
        SL_TRY(ev_value(ev, a, sel, n, err));
        args[i].data = a->data;
        args[i].valid = a->valid;
        if (!(flags & SLUICE_UDF_NULL_CALL))
            valid = ev_valid_and(ev, nd, valid, a->valid);
    }
    nd->data = nd->buf;
    const sl_sel_t *csel = sel;
    uint32_t cn = n;
    if (valid) {
        sl_sel_t *s = nd->s[0];
        cn = 0;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t r = SL_ROW(sel, k);
            s[cn] = r;
            cn += sl_valid_get(valid, r);
        }
        csel = s;
    }
    nd->valid = valid;
    if (flags & SLUICE_UDF_RETURNS_NULL) {
        for (uint32_t k = 0; k < n; k++) {
            uint32_t r = SL_ROW(sel, k);
            sl_valid_set(nd->uvalid, r, sl_valid_get(valid, r));
        }
        nd->valid = nd->uvalid;
    }
    if (cn == 0)
        return 0;
    char msg[256];
    msg[0] = '\0';
    struct sluice_udf_call call = {
        .n = cn,
        .sel = csel,
        .nargs = nd->nargs,
        .args = args,
        .out = nd->buf,
        .out_valid = (flags & SLUICE_UDF_RETURNS_NULL) ? nd->uvalid : NULL,
        .state = nd->udf_state,
        .alloc = ev_udf_alloc,
        .error = msg,
        .error_cap = sizeof(msg),
        .engine = ev,
    };
    if (u->fn->call(&call) != 0) {
        msg[sizeof(msg) - 1] = '\0';
        return ev_fail(ev, nd, err, SL_EINVAL, "function %s ('%s' from %s) failed: %s", u->name,
                       u->identifier, u->library, msg[0] ? msg : "(no message)");
    }
    return 0;
}

/* Makes the call site's state (sluice_udf_function.init) and lists the node for destroy. */
static int ev_udf_compile(struct sl_eval *ev, struct sl_enode *nd, struct sl_error *err)
{
    const struct sl_udf *u = nd->e->udf;
    if (!u || !u->fn || nd->nargs != u->nargs || nd->nargs > SLUICE_UDF_MAX_ARGS)
        return ev_fail(ev, nd, err, SL_EINVAL, "a user-defined function call without its function");
    nd->uvalid = ev_alloc(ev, SL_VALID_WORDS(SL_BATCH_CAP) * sizeof(uint64_t));
    if (!nd->uvalid)
        return sl_error_set(err, SL_ENOMEM, "out of memory compiling expressions");
    if (u->fn->init) {
        char msg[256];
        msg[0] = '\0';
        if (u->fn->init(&nd->udf_state, msg, sizeof(msg)) != 0) {
            msg[sizeof(msg) - 1] = '\0';
            return ev_fail(ev, nd, err, SL_EINVAL, "function %s ('%s' from %s): init failed: %s",
                           u->name, u->identifier, u->library, msg[0] ? msg : "(no message)");
        }
    }
    nd->udf_live = true;
    nd->udf_next = ev->udfs;
    ev->udfs = nd;
    return 0;
}

static bool ev_is_pred(sl_fn fn)
{
    return (fn >= SL_FN_EQ && fn <= SL_FN_GE) || fn == SL_FN_IN || fn == SL_FN_LIKE;
}

static int ev_value(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                    struct sl_error *err)
{
    switch (nd->kind) {
    case SL_EN_COL: {
        struct sl_column *c = &ev->batch->cols[nd->e->col];
        nd->data = c->data;
        nd->valid = c->valid;
        return 0;
    }
    case SL_EN_CONST:
        nd->data = nd->buf;
        nd->valid = nd->cnull ? nd->vbuf : NULL;
        return 0;
    default:
        break;
    }
    switch (nd->fn) {
    case SL_FN_ADD:
    case SL_FN_SUB:
    case SL_FN_MUL:
    case SL_FN_DIV:
    case SL_FN_MOD:
        return ev_arith(ev, nd, sel, n, err);
    case SL_FN_NEG:
        return ev_neg(ev, nd, sel, n, err);
    case SL_FN_AND:
    case SL_FN_OR:
        return ev_andor_value(ev, nd, sel, n, err);
    case SL_FN_NOT:
        return ev_not_value(ev, nd, sel, n, err);
    case SL_FN_IS_NULL:
    case SL_FN_IS_NOT_NULL:
        return ev_isnull_value(ev, nd, sel, n, err);
    case SL_FN_CASE:
        return ev_case(ev, nd, sel, n, err);
    case SL_FN_CAST:
        return ev_cast(ev, nd, sel, n, err);
    case SL_FN_CONCAT:
        return ev_concat(ev, nd, sel, n, err);
    case SL_FN_ITEM:
        return ev_item(ev, nd, sel, n, err);
    case SL_FN_CARDINALITY:
        return ev_cardinality(ev, nd, sel, n, err);
    case SL_FN_MAP:
        return ev_map(ev, nd, sel, n, err);
    case SL_FN_UDF:
        return ev_udf(ev, nd, sel, n, err);
    case SL_FN_PROCTIME:
        return ev_proctime(ev, nd, sel, n);
    default:
        if (sl_fnstr_has(nd->fn))
            return ev_fnstr(ev, nd, sel, n, err);
        if (sl_fn_handles(nd->fn))
            return ev_fn_value(ev, nd, sel, n, err);
        if (ev_is_pred(nd->fn))
            return ev_pred_value(ev, nd, sel, n, err);
        return ev_fail(ev, nd, err, SL_ENOTSUP, "function %s is not supported", sl_fn_name(nd->fn));
    }
}

/* The rows of (sel, n) where the BOOLEAN node is TRUE, into out (which may be sel). */
static int ev_select(struct sl_eval *ev, struct sl_enode *nd, const sl_sel_t *sel, uint32_t n,
                     sl_sel_t *out, uint32_t *nout, struct sl_error *err)
{
    if (nd->kind == SL_EN_CALL) {
        switch (nd->fn) {
        case SL_FN_EQ:
        case SL_FN_NE:
        case SL_FN_LT:
        case SL_FN_LE:
        case SL_FN_GT:
        case SL_FN_GE:
            SL_TRY(ev_value(ev, nd->args[0], sel, n, err));
            SL_TRY(ev_value(ev, nd->args[1], sel, n, err));
            *nout = ev_cmp_kernel(ev_cmp_op(nd->fn), nd->args[0], nd->args[1], sel, n, out);
            return 0;
        case SL_FN_IN:
            return ev_in_select(ev, nd, sel, n, out, nout, err);
        case SL_FN_LIKE:
            return ev_like_select(ev, nd, sel, n, out, nout, err);
        case SL_FN_AND: {
            uint32_t m;
            SL_TRY(ev_select(ev, nd->args[0], sel, n, out, &m, err));
            if (!m) {
                *nout = 0;
                return 0;
            }
            return ev_select(ev, nd->args[1], out, m, out, nout, err);
        }
        case SL_FN_OR: {
            uint32_t na, nrest, nb;
            SL_TRY(ev_select(ev, nd->args[0], sel, n, nd->s[0], &na, err));
            nrest = sl_select->sel_not(sel, n, nd->s[0], na, nd->s[1]);
            nb = 0;
            if (nrest)
                SL_TRY(ev_select(ev, nd->args[1], nd->s[1], nrest, nd->s[2], &nb, err));
            *nout = sl_select->sel_or(nd->s[0], na, nd->s[2], nb, out);
            return 0;
        }
        case SL_FN_IS_NULL:
        case SL_FN_IS_NOT_NULL: {
            struct sl_enode *a = nd->args[0];
            SL_TRY(ev_value(ev, a, sel, n, err));
            bool want_null = nd->fn == SL_FN_IS_NULL;
            uint32_t m = 0;
            for (uint32_t k = 0; k < n; k++) {
                uint32_t r = SL_ROW(sel, k);
                out[m] = r;
                m += !sl_valid_get(a->valid, r) == want_null;
            }
            *nout = m;
            return 0;
        }
        default:
            break;
        }
    }
    SL_TRY(ev_value(ev, nd, sel, n, err));
    *nout = sl_select->is_true(nd->data, nd->valid, sel, n, out);
    return 0;
}

/* ---- compilation ------------------------------------------------------------------------------
 */

/* Turns a node whose arguments are all constants into a constant, when evaluating it over
 * one row succeeds (failures stay for run time). */
static int ev_fold(struct sl_eval *ev, struct sl_enode *nd)
{
    struct sl_error ferr;
    static const sl_sel_t zero = 0;
    ev->rows = 1;
    ev_str_reset(ev);
    if (ev_value(ev, nd, &zero, 1, &ferr))
        return 0;
    bool isnull = !sl_valid_get(nd->valid, 0);
    size_t w = ev_width(nd->type.id);
    char val[16];
    memcpy(val, (const char *)nd->data, w);
    if (nd->type.id == SL_TYPE_VARCHAR && !isnull) {
        sl_str s;
        memcpy(&s, val, sizeof(s));
        if (s.len > SL_STR_INLINE_MAX) {
            char *p = ev_alloc(ev, s.len);
            if (!p)
                return SL_ENOMEM;
            memcpy(p, s.ptr, s.len);
            s = sl_str_make(p, s.len);
            memcpy(val, &s, sizeof(s));
        }
    }
    nd->kind = SL_EN_CONST;
    nd->cnull = isnull;
    if (isnull) {
        memset(nd->vbuf, 0, SL_VALID_WORDS(SL_BATCH_CAP) * sizeof(uint64_t));
        memset(nd->buf, 0, w * SL_BATCH_CAP);
    } else {
        for (uint32_t i = 0; i < SL_BATCH_CAP; i++)
            memcpy((char *)nd->buf + i * w, val, w);
    }
    return 0;
}

static int ev_compile(struct sl_eval *ev, const struct sl_expr *e, struct sl_enode **out,
                      struct sl_error *err)
{
    struct sl_enode *nd = ev_alloc(ev, sizeof(*nd));
    if (!nd)
        return sl_error_set(err, SL_ENOMEM, "out of memory compiling expressions");
    nd->e = e;
    nd->type = e->type;
    if (e->type.id >= SL_TYPE_COUNT)
        return sl_error_set(err, SL_EINVAL, "expression of unknown type");
    size_t w = ev_width(e->type.id);
    *out = nd;
    if (e->kind == SL_EXPR_COL) {
        nd->kind = SL_EN_COL;
        if (e->col < 0 || (uint32_t)e->col >= ev->in->ncols ||
            ev->in->cols[e->col].type.id != e->type.id)
            return ev_fail(ev, nd, err, SL_EINVAL, "column %d is not in the input", e->col);
        return 0;
    }
    nd->buf = ev_alloc(ev, w * SL_BATCH_CAP);
    nd->vbuf = ev_alloc(ev, SL_VALID_WORDS(SL_BATCH_CAP) * sizeof(uint64_t));
    if (!nd->buf || !nd->vbuf)
        return sl_error_set(err, SL_ENOMEM, "out of memory compiling expressions");
    if (e->kind == SL_EXPR_LIT) {
        nd->kind = SL_EN_CONST;
        nd->cnull = e->lit_null;
        if (e->lit_null)
            return 0;
        char val[16];
        switch (e->type.id) {
        case SL_TYPE_BOOLEAN:
            val[0] = (char)(e->lit.i != 0);
            break;
        case SL_TYPE_INT: {
            int32_t v = (int32_t)e->lit.i;
            memcpy(val, &v, 4);
            break;
        }
        case SL_TYPE_DOUBLE:
            memcpy(val, &e->lit.d, 8);
            break;
        case SL_TYPE_VARCHAR: {
            sl_str s = sl_str_make(e->lit.s, e->lit.slen);
            memcpy(val, &s, 16);
            break;
        }
        default:
            memcpy(val, &e->lit.i, 8);
            break;
        }
        for (uint32_t i = 0; i < SL_BATCH_CAP; i++)
            memcpy((char *)nd->buf + i * w, val, w);
        return 0;
    }
    nd->kind = SL_EN_CALL;
    nd->fn = e->fn;
    nd->nargs = e->nargs;
    nd->args = ev_alloc(ev, (e->nargs ? e->nargs : 1) * sizeof(*nd->args));
    if (!nd->args)
        return sl_error_set(err, SL_ENOMEM, "out of memory compiling expressions");
    bool all_const = true;
    for (uint32_t i = 0; i < e->nargs; i++) {
        SL_TRY(ev_compile(ev, e->args[i], &nd->args[i], err));
        all_const &= nd->args[i]->kind == SL_EN_CONST;
    }
    if (sl_fn_handles(e->fn)) {
        SL_TRY(ev_fn_compile(ev, nd, err));
        if (all_const && !sl_fn_volatile(e->fn, e->nargs))
            SL_TRY(ev_fold(ev, nd));
        return 0;
    }
    unsigned nsel = 0;
    switch (e->fn) {
    case SL_FN_ADD:
    case SL_FN_SUB:
    case SL_FN_MUL:
    case SL_FN_DIV:
    case SL_FN_MOD:
    case SL_FN_EQ:
    case SL_FN_NE:
    case SL_FN_LT:
    case SL_FN_LE:
    case SL_FN_GT:
    case SL_FN_GE:
    case SL_FN_AND:
    case SL_FN_OR:
    case SL_FN_CONCAT:
        if (e->nargs != 2)
            return ev_fail(ev, nd, err, SL_EINVAL, "%s needs 2 arguments", sl_fn_name(e->fn));
        nsel = ev_is_pred(e->fn) ? 1 : (e->fn == SL_FN_AND || e->fn == SL_FN_OR) ? 3 : 0;
        if (ev_is_pred(e->fn) && nd->args[0]->type.id != nd->args[1]->type.id)
            return ev_fail(ev, nd, err, SL_EINVAL, "comparison of two types");
        break;
    case SL_FN_NEG:
    case SL_FN_NOT:
    case SL_FN_IS_NULL:
    case SL_FN_IS_NOT_NULL:
    case SL_FN_CAST:
        if (e->nargs != 1)
            return ev_fail(ev, nd, err, SL_EINVAL, "%s needs 1 argument", sl_fn_name(e->fn));
        if (e->fn == SL_FN_CAST && !ev_cast_supported(nd->args[0]->type.id, e->type.id))
            return ev_fail(ev, nd, err, SL_ENOTSUP, "CAST from %s to %s is not supported",
                           sl_type_name(nd->args[0]->type.id), sl_type_name(e->type.id));
        break;
    case SL_FN_ITEM:
    case SL_FN_CARDINALITY:
    case SL_FN_MAP:
        if (e->nargs != (e->fn == SL_FN_ITEM          ? 2u
                         : e->fn == SL_FN_CARDINALITY ? 1u
                                                      : e->nargs) ||
            (e->fn == SL_FN_MAP && (e->nargs < 2 || e->nargs % 2)))
            return ev_fail(ev, nd, err, SL_EINVAL, "%s: wrong arguments", sl_fn_name(e->fn));
        break;
    case SL_FN_UDF:
        nsel = 1;
        all_const = false; /* not folded: a UDF runs with its state, batch by batch */
        SL_TRY(ev_udf_compile(ev, nd, err));
        break;
    case SL_FN_PROCTIME:
        if (e->nargs != 0 || e->type.id != SL_TYPE_TIMESTAMP)
            return ev_fail(ev, nd, err, SL_EINVAL, "PROCTIME() takes no arguments");
        all_const = false; /* a new value every batch: never folded */
        break;
    case SL_FN_CASE:
        if (e->nargs % 2 != 1)
            return ev_fail(ev, nd, err, SL_EINVAL, "CASE needs an ELSE argument");
        nsel = 2;
        break;
    case SL_FN_IN: {
        if (e->nargs < 1)
            return ev_fail(ev, nd, err, SL_EINVAL, "IN needs an operand");
        nsel = 4;
        sl_type_id t = nd->args[0]->type.id;
        bool ints = t == SL_TYPE_INT || t == SL_TYPE_BIGINT || t == SL_TYPE_DECIMAL ||
                    t == SL_TYPE_TIMESTAMP;
        bool consts = true;
        for (uint32_t i = 1; i < e->nargs; i++)
            consts &= nd->args[i]->kind == SL_EN_CONST;
        if (ints && consts) {
            nd->in_fast = true;
            nd->set = ev_alloc(ev, e->nargs * sizeof(int64_t));
            if (t == SL_TYPE_INT)
                nd->aux = ev_alloc(ev, SL_BATCH_CAP * sizeof(int64_t));
            if (!nd->set || (t == SL_TYPE_INT && !nd->aux))
                return sl_error_set(err, SL_ENOMEM, "out of memory compiling expressions");
            for (uint32_t i = 1; i < e->nargs; i++) {
                const struct sl_enode *c = nd->args[i];
                if (c->cnull) {
                    nd->in_null = true;
                    continue;
                }
                nd->set[nd->nset++] = t == SL_TYPE_INT ? ((const int32_t *)c->buf)[0] : ev_ci64(c);
            }
        }
        break;
    }
    case SL_FN_LIKE:
        if (e->nargs != 2 || nd->args[1]->kind != SL_EN_CONST || nd->args[1]->cnull ||
            nd->args[1]->type.id != SL_TYPE_VARCHAR || nd->args[0]->type.id != SL_TYPE_VARCHAR)
            return ev_fail(ev, nd, err, SL_ENOTSUP, "LIKE needs a constant string pattern");
        nsel = 1;
        ev_like_compile(nd);
        break;
    default: {
        if (!sl_fnstr_has(e->fn) || !e->nargs)
            return ev_fail(ev, nd, err, SL_ENOTSUP, "function %s is not supported",
                           sl_fn_name(e->fn));
        nd->fargs = ev_alloc(ev, e->nargs * sizeof(*nd->fargs));
        if (!nd->fargs)
            return sl_error_set(err, SL_ENOMEM, "out of memory compiling expressions");
        for (uint32_t i = 0; i < e->nargs; i++) /* constants: their value at row 0 */
            if (nd->args[i]->kind == SL_EN_CONST)
                SL_TRY(ev_value(ev, nd->args[i], NULL, 0, err));
        ev_fn_args(nd);
        char msg[200];
        int rc = sl_fnstr_compile(e->fn, e->nargs, nd->fargs, &nd->fst, msg, sizeof(msg));
        if (rc)
            return ev_fail(ev, nd, err, rc, "%s", msg);
        if (nd->fst) {
            nd->fnext = ev->fns;
            ev->fns = nd;
        }
        break;
    }
    }
    for (unsigned i = 0; i < nsel; i++) {
        nd->s[i] = ev_alloc(ev, SL_BATCH_CAP * sizeof(sl_sel_t));
        if (!nd->s[i])
            return sl_error_set(err, SL_ENOMEM, "out of memory compiling expressions");
    }
    if (all_const)
        SL_TRY(ev_fold(ev, nd));
    return 0;
}

/* ---- API --------------------------------------------------------------------------------------
 */

struct sl_eval *sl_eval_new(struct sl_heap *heap, const struct sl_rel *in, uint32_t nexprs,
                            struct sl_expr *const *exprs, const struct sl_sql_source *sql,
                            struct sl_error *err)
{
    struct sl_eval *ev = sl_mem_zalloc(heap, sizeof(*ev));
    if (!ev) {
        sl_error_set(err, SL_ENOMEM, "out of memory compiling expressions");
        return NULL;
    }
    ev->heap = heap;
    ev->in = in;
    ev->sql = sql;
    ev->nexprs = nexprs;
    ev->roots = ev_alloc(ev, (nexprs ? nexprs : 1) * sizeof(*ev->roots));
    if (!ev->roots) {
        sl_error_set(err, SL_ENOMEM, "out of memory compiling expressions");
        goto out_free;
    }
    for (uint32_t i = 0; i < nexprs; i++)
        if (ev_compile(ev, exprs[i], &ev->roots[i], err))
            goto out_free;
    ev_str_reset(ev);
    return ev;
out_free:
    sl_eval_free(ev);
    return NULL;
}

void sl_eval_free(struct sl_eval *ev)
{
    if (!ev)
        return;
    for (struct sl_enode *nd = ev->udfs; nd; nd = nd->udf_next)
        if (nd->udf_live && nd->e->udf->fn->destroy)
            nd->e->udf->fn->destroy(nd->udf_state);
    for (struct sl_enode *nd = ev->fns; nd; nd = nd->fnext)
        sl_fnstr_free(nd->fst);
    for (struct sl_eval_block *b = ev->blocks, *next; b; b = next) {
        next = b->next;
        sl_mem_free(b);
    }
    for (struct sl_eval_chunk *c = ev->chunks, *next; c; c = next) {
        next = c->next;
        sl_mem_free(c);
    }
    sl_mem_free(ev);
}

/* Copies a result (values at the rows of sel) into a dense column of out. */
static int ev_emit(struct sl_batch *out, uint32_t col, const struct sl_enode *nd,
                   const sl_sel_t *sel, uint32_t n, struct sl_error *err)
{
    struct sl_column *c = &out->cols[col];
    size_t w = ev_width(nd->type.id);
    if (sel) {
        switch (w) {
        case 1:
            for (uint32_t k = 0; k < n; k++)
                ((uint8_t *)c->data)[k] = ((const uint8_t *)nd->data)[sel[k]];
            break;
        case 4:
            sl_gather->g32(nd->data, sel, n, c->data);
            break;
        case 8:
            sl_gather->g64(nd->data, sel, n, c->data);
            break;
        default:
            sl_gather->g128(nd->data, sel, n, c->data);
            break;
        }
    } else if (n) {
        memcpy(c->data, nd->data, w * n);
    }
    if (c->valid) {
        uint32_t words = SL_VALID_WORDS(n);
        if (!nd->valid) {
            memset(c->valid, 0xff, words * sizeof(uint64_t));
        } else if (sel) {
            sl_gather->valid(nd->valid, sel, n, c->valid);
        } else if (n) {
            memcpy(c->valid, nd->valid, words * sizeof(uint64_t));
        }
        if (n & 63u)
            c->valid[words - 1] &= ((uint64_t)1 << (n & 63u)) - 1;
    } else if (nd->valid) {
        for (uint32_t k = 0; k < n; k++)
            if (!sl_valid_get(nd->valid, SL_ROW(sel, k)))
                return sl_error_set(err, SL_EINVAL, "NULL in column %u, which is NOT NULL",
                                    col + 1);
    }
    if (nd->type.id == SL_TYPE_VARCHAR) {
        sl_str *s = c->data;
        for (uint32_t k = 0; k < n; k++) {
            if (s[k].len <= SL_STR_INLINE_MAX || !sl_valid_get(c->valid, k))
                continue;
            s[k] = sl_batch_str(out, s[k].ptr, s[k].len);
            if (!sl_str_ok(s[k]))
                return sl_error_set(err, SL_ENOMEM, "out of memory copying strings");
        }
    }
    return 0;
}

int sl_eval_project(struct sl_eval *ev, struct sl_batch *in, struct sl_batch *out,
                    struct sl_error *err)
{
    if (out->ncols != ev->nexprs || out->rows != 0)
        return sl_error_set(err, SL_EINVAL,
                            "projection output batch has %u columns and %u "
                            "rows; want %u columns, empty",
                            out->ncols, out->rows, ev->nexprs);
    for (uint32_t i = 0; i < ev->nexprs; i++)
        if (out->cols[i].type.id != ev->roots[i]->type.id)
            return sl_error_set(err, SL_EINVAL,
                                "projection output column %u has type %s, the "
                                "expression %s",
                                i + 1, sl_type_name(out->cols[i].type.id),
                                sl_type_name(ev->roots[i]->type.id));
    ev->batch = in;
    ev->rows = in->rows;
    ev_str_reset(ev);
    uint32_t n = sl_batch_active(in);
    for (uint32_t i = 0; i < ev->nexprs; i++) {
        struct sl_enode *nd = ev->roots[i];
        if (n)
            SL_TRY(ev_value(ev, nd, in->sel, n, err));
        else
            continue;
        SL_TRY(ev_emit(out, i, nd, in->sel, n, err));
    }
    out->rows = n;
    out->sel = NULL;
    return 0;
}

int sl_eval_filter(struct sl_eval *ev, struct sl_batch *in, struct sl_error *err)
{
    if (ev->nexprs < 1 || ev->roots[0]->type.id != SL_TYPE_BOOLEAN)
        return sl_error_set(err, SL_EINVAL, "a filter needs a BOOLEAN expression");
    ev->batch = in;
    ev->rows = in->rows;
    ev_str_reset(ev);
    uint32_t n = sl_batch_active(in), m = 0;
    sl_sel_t *out = sl_batch_sel_next(in);
    if (n)
        SL_TRY(ev_select(ev, ev->roots[0], in->sel, n, out, &m, err));
    sl_batch_sel_commit(in, out, m);
    return 0;
}
