/*
 * engine/sql/binder.c - names, types and plans (see binder.h).
 *
 * HOW IT WORKS
 * Statements are bound in file order: CREATE TABLE adds a table (ROW columns flattened to
 * "row.field" columns, computed columns bound over the physical ones, the WATERMARK checked),
 * CREATE VIEW stores its query (bound afresh at every use, like a macro, so each use gets its
 * own plan), SET records a setting, and INSERT INTO binds its query into a plan rooted at a
 * sink.
 *
 * A query binds bottom-up: FROM (table scan, view, subquery, window TVF, lookup join), WHERE
 * (filter), GROUP BY and aggregates (a projection of keys and aggregate inputs, the
 * aggregation, HAVING as a filter), then the select list (a projection).
 *
 * Types follow Flink (LogicalTypeMerging): exact integer literals are INT or BIGINT, decimal
 * literals DECIMAL(p, s), literals with an exponent DOUBLE. Arithmetic widens INT < BIGINT <
 * DECIMAL < DOUBLE; INT and BIGINT count as DECIMAL(10, 0) and DECIMAL(19, 0) next to a
 * DECIMAL; + and - give DECIMAL(max(p1-s1, p2-s2) + max(s1, s2) + 1, max(s1, s2)), * gives
 * DECIMAL(p1 + p2 + 1, s1 + s2), / gives scale max(6, s1 + p2 + 1) and precision
 * p1 - s1 + s2 + scale, MOD of integers has the divisor's type; precision is capped at 38
 * keeping at least min(scale, 6) digits of scale. Integer division is integer division (INT /
 * INT is INT). COUNT is BIGINT NOT NULL; SUM keeps INT / BIGINT / DOUBLE and makes DECIMAL(38,
 * s); AVG keeps the input type (integer division for integers) and makes DECIMAL(38, max(s,
 * 6)); MIN / MAX keep the type.
 *
 * Operands are cast explicitly (SL_FN_CAST nodes) to the type an operator computes in, so the
 * executor never guesses: comparisons, + - MOD, CASE branches and IN lists see one type;
 * for * and / on DECIMAL each side keeps its own scale and the result type says the scale.
 */
#include "engine/sql/binder.h"

#include "engine/conn/registry.h"
#include "engine/conn/tableau.h"
#include "engine/core/datetime.h"
#include "engine/core/dtpattern.h"
#include "engine/plan/changelog.h"
#include "engine/plan/late.h"
#include "engine/plan/settings.h"
#include "engine/plan/udf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sl_binder {
    struct sl_job *job;
    const struct sl_sql_source *src;
    struct sl_error *err;
    int view_depth;
    const struct sl_b_gwin *gwin; /* the group window of the query block being bound, or NULL */
};

/* A group window: GROUP BY ..., TUMBLE(ts, size) | HOP(ts, slide, size) | SESSION(ts, gap),
 * bound as the window table function of that kind plus GROUP BY window_start, window_end; its
 * auxiliary functions (TUMBLE_START ...) resolve to those columns. */
struct sl_b_gwin {
    const char *func; /* "TUMBLE", "HOP" or "SESSION", as written */
    const struct sl_ast *call;
};
struct sl_scope;
static int sl_b_gwin_aux(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *a,
                         struct sl_expr **out);
static int sl_b_slice_fuse(struct sl_binder *b, struct sl_plan *ag);
static bool sl_b_attached_window(const struct sl_plan *in, struct sl_expr **keys, uint32_t nkeys,
                                 int *wstart, int *wend);
static int sl_b_session_check(struct sl_binder *b, const struct sl_ast_select *s,
                              const struct sl_plan *in, struct sl_expr **keys, uint32_t nkeys,
                              int wstart, int wend, bool *session);

/* What expressions resolve against: a relation, and in an aggregation also the keys and the
 * aggregate calls (the select list and HAVING of a GROUP BY query). */
struct sl_agg_scope {
    const struct sl_rel *pre; /* the relation before aggregation */
    uint32_t nkeys;
    struct sl_expr **keys; /* bound over `pre` */
    uint32_t naggs;
    struct sl_ast **agg_asts; /* the aggregate calls, in agg-column order */
};

struct sl_scope {
    const struct sl_rel *rel;
    const struct sl_agg_scope *agg; /* NULL outside an aggregation */
    const char *clause;             /* "WHERE", "the select list", ... for messages */
};

#define TRY(x)          \
    do {                \
        int rc_ = (x);  \
        if (rc_)        \
            return rc_; \
    } while (0)

#define TRYP(x)               \
    do {                      \
        if (!(x))             \
            return SL_ENOMEM; \
    } while (0)

static int sl_b_err(struct sl_binder *b, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int sl_b_err(struct sl_binder *b, size_t pos, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sl_sql_error_at(b->src, pos, b->err, SL_EPARSE, "%s", msg);
}

static void *sl_b_alloc(struct sl_binder *b, size_t size)
{
    void *p = sl_arena_alloc(&b->job->arena, size);
    if (!p)
        sl_error_set(b->err, SL_ENOMEM, "out of memory binding SQL");
    return p;
}

static const char *sl_b_strdup(struct sl_binder *b, const char *s)
{
    char *p = sl_arena_strndup(&b->job->arena, s, strlen(s));
    if (!p)
        sl_error_set(b->err, SL_ENOMEM, "out of memory binding SQL");
    return p;
}

static void sl_type_str(struct sl_type t, char *buf, size_t len)
{
    t.nullable = true; /* messages talk about types, not nullability */
    sl_type_format(t, buf, len);
}

/* ---- relations ----------------------------------------------------------------------------- */

static int sl_rel_alloc(struct sl_binder *b, struct sl_rel *rel, uint32_t ncols)
{
    rel->ncols = ncols;
    rel->cols = sl_b_alloc(b, (ncols ? ncols : 1) * sizeof(*rel->cols));
    return rel->cols ? 0 : SL_ENOMEM;
}

static struct sl_plan *sl_plan_new(struct sl_binder *b, sl_plan_kind kind, struct sl_plan *input,
                                   size_t pos)
{
    struct sl_plan *p = sl_b_alloc(b, sizeof(*p));
    if (p) {
        p->kind = kind;
        p->input = input;
        p->pos = pos;
    }
    return p;
}

/* Gives every column of `rel` the qualifier `qual`. */
static void sl_rel_requalify(struct sl_rel *rel, const char *qual)
{
    for (uint32_t i = 0; i < rel->ncols; i++)
        rel->cols[i].qual = qual;
}

/* Levenshtein distance, capped: for "did you mean" suggestions. */
static unsigned sl_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    unsigned d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            unsigned c = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            unsigned m = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < m)
                m = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + c < m)
                m = d[i - 1][j - 1] + c;
            d[i][j] = m;
        }
    return d[la][lb];
}

static void sl_join_path(const struct sl_ast *col, uint32_t from, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = '\0';
    for (uint32_t i = from; i < col->npath; i++)
        k += (size_t)snprintf(buf + (k < len ? k : len), k < len ? len - k : 0, "%s%s",
                              i > from ? "." : "", col->path[i]);
}

/* Resolves a column reference against `rel`: its index, or an error naming it. */
static int sl_b_resolve(struct sl_binder *b, const struct sl_rel *rel, const struct sl_ast *col,
                        int *out)
{
    char full[256], rest[256];
    sl_join_path(col, 0, full, sizeof(full));
    sl_join_path(col, 1, rest, sizeof(rest));
    int found = -1, nfound = 0;
    for (uint32_t i = 0; i < rel->ncols; i++) {
        const struct sl_rel_col *c = &rel->cols[i];
        bool match = strcmp(c->name, full) == 0 ||
                     (col->npath >= 2 && c->qual && strcmp(c->qual, col->path[0]) == 0 &&
                      strcmp(c->name, rest) == 0);
        if (match) {
            if (nfound && found >= 0) {
                /* the same column reachable twice is ambiguous only if they differ */
                nfound++;
                continue;
            }
            found = (int)i;
            nfound++;
        }
    }
    if (nfound == 1) {
        *out = found;
        return 0;
    }
    if (nfound > 1)
        return sl_b_err(b, col->pos,
                        "column '%s' is ambiguous: qualify it with its table name "
                        "or alias",
                        full);
    /* a suggestion: same name but for case, or a near name */
    const char *best = NULL;
    unsigned best_d = 3;
    for (uint32_t i = 0; i < rel->ncols; i++) {
        unsigned d = sl_edit_distance(rel->cols[i].name, col->npath >= 2 ? rest : full);
        unsigned d2 = sl_edit_distance(rel->cols[i].name, full);
        if (d2 < d)
            d = d2;
        if (d < best_d) {
            best_d = d;
            best = rel->cols[i].name;
        }
    }
    if (best)
        return sl_b_err(b, col->pos, "unknown column '%s' (did you mean '%s'?)", full, best);
    /* the columns that fit whole, then "..." if any did not (a name may be long: snprintf's
     * result is what it would have written, so an unchecked sum may pass the end) */
    char avail[200];
    size_t k = 0;
    uint32_t i = 0;
    avail[0] = '\0';
    for (; i < rel->ncols; i++) {
        const char *sep = i ? ", " : "";
        if (k + strlen(sep) + strlen(rel->cols[i].name) + sizeof(", ...") > sizeof(avail))
            break;
        k += (size_t)snprintf(avail + k, sizeof(avail) - k, "%s%s", sep, rel->cols[i].name);
    }
    if (i < rel->ncols)
        snprintf(avail + k, sizeof(avail) - k, "%s...", k ? ", " : "");
    return sl_b_err(b, col->pos, "unknown column '%s' (available: %s)", full, avail);
}

/* ---- expression construction --------------------------------------------------------------- */

static struct sl_expr *sl_expr_new(struct sl_binder *b, sl_expr_kind kind, struct sl_type type,
                                   size_t pos)
{
    struct sl_expr *e = sl_b_alloc(b, sizeof(*e));
    if (e) {
        e->kind = kind;
        e->type = type;
        e->pos = pos;
    }
    return e;
}

static struct sl_expr *sl_expr_call(struct sl_binder *b, sl_fn fn, struct sl_type type, size_t pos,
                                    uint32_t nargs, struct sl_expr **args)
{
    struct sl_expr *e = sl_expr_new(b, SL_EXPR_CALL, type, pos);
    if (!e)
        return NULL;
    e->fn = fn;
    e->nargs = nargs;
    e->args = sl_b_alloc(b, (nargs ? nargs : 1) * sizeof(*e->args));
    if (!e->args)
        return NULL;
    memcpy(e->args, args, nargs * sizeof(*args));
    return e;
}

static struct sl_expr *sl_expr_col(struct sl_binder *b, const struct sl_rel *rel, int col,
                                   size_t pos)
{
    struct sl_expr *e = sl_expr_new(b, SL_EXPR_COL, rel->cols[col].type, pos);
    if (e)
        e->col = col;
    return e;
}

static bool sl_is_numeric(struct sl_type t)
{
    return t.id == SL_TYPE_INT || t.id == SL_TYPE_BIGINT || t.id == SL_TYPE_DECIMAL ||
           t.id == SL_TYPE_DOUBLE;
}

static bool sl_is_null_lit(const struct sl_expr *e)
{
    return e->kind == SL_EXPR_LIT && e->lit_null;
}

/* An integer type seen as a DECIMAL. */
static struct sl_type sl_as_decimal(struct sl_type t)
{
    if (t.id == SL_TYPE_INT)
        return sl_type_decimal(10, 0, t.nullable);
    if (t.id == SL_TYPE_BIGINT)
        return sl_type_decimal(19, 0, t.nullable);
    return t;
}

static struct sl_type sl_decimal_adjust(int precision, int scale, bool nullable)
{
    if (precision > SL_DECIMAL_MAX_PRECISION) {
        int int_digits = precision - scale;
        int min_scale = scale < 6 ? scale : 6;
        scale = SL_DECIMAL_MAX_PRECISION - int_digits;
        if (scale < min_scale)
            scale = min_scale;
        precision = SL_DECIMAL_MAX_PRECISION;
    }
    return sl_type_decimal((unsigned)precision, (unsigned)scale, nullable);
}

/*
 * The common type of a and b (comparison, CASE, IN, + -, sink); returns false when there is
 * none. Nullability is the OR of both.
 */
static bool sl_common_type(struct sl_type a, struct sl_type b, struct sl_type *out)
{
    bool nullable = a.nullable || b.nullable;
    if (a.logical != b.logical) {
        /* TIMESTAMP(3) and TIMESTAMP_LTZ(3) cast implicitly to each other (Flink's
         * LogicalTypeCasts: each is in the other's implicitFrom); their common type is
         * TIMESTAMP_LTZ(3) (LogicalTypeMerging). STRING, BYTES and MAP have none: Flink casts
         * between character and binary strings only explicitly. */
        if (a.id != SL_TYPE_TIMESTAMP || b.id != SL_TYPE_TIMESTAMP)
            return false;
        *out = sl_type_logical(SL_TYPE_TIMESTAMP, SL_LOGICAL_LTZ, nullable);
        return true;
    }
    if (a.id == b.id && a.id != SL_TYPE_DECIMAL) {
        *out = a;
        out->nullable = nullable;
        return true;
    }
    if (!sl_is_numeric(a) || !sl_is_numeric(b))
        return false;
    if (a.id == SL_TYPE_DOUBLE || b.id == SL_TYPE_DOUBLE) {
        *out = sl_type_make(SL_TYPE_DOUBLE, nullable);
        return true;
    }
    if (a.id != SL_TYPE_DECIMAL && b.id != SL_TYPE_DECIMAL) {
        *out = sl_type_make(SL_TYPE_BIGINT, nullable); /* INT with BIGINT */
        return true;
    }
    struct sl_type da = sl_as_decimal(a), db = sl_as_decimal(b);
    int scale = da.scale > db.scale ? da.scale : db.scale;
    int ia = da.precision - da.scale, ib = db.precision - db.scale;
    *out = sl_decimal_adjust((ia > ib ? ia : ib) + scale, scale, nullable);
    return true;
}

/* Wraps `e` in a CAST to `t` unless it already has that type (nullability aside). A NULL
 * literal simply takes the type. */
static struct sl_expr *sl_b_cast(struct sl_binder *b, struct sl_expr *e, struct sl_type t)
{
    t.nullable = e->type.nullable;
    if (sl_is_null_lit(e)) {
        e->type = t;
        e->type.nullable = true;
        return e;
    }
    if (sl_type_equal(e->type, t))
        return e;
    struct sl_expr *args[1] = {e};
    return sl_expr_call(b, SL_FN_CAST, t, e->pos, 1, args);
}

static bool sl_castable(struct sl_type from, struct sl_type to)
{
    /* MAP only to itself; BYTES to and from STRING (Flink: VARCHAR explicitFromFamily
     * PREDEFINED, VARBINARY explicitFromFamily CHARACTER_STRING), nothing else */
    if (sl_type_is_map(from) || sl_type_is_map(to))
        return sl_type_is_map(from) && sl_type_is_map(to);
    if (sl_type_is_bytes(from) || sl_type_is_bytes(to))
        return from.id == SL_TYPE_VARCHAR && to.id == SL_TYPE_VARCHAR;
    if (from.id == to.id)
        return true;
    if (sl_is_numeric(from) && sl_is_numeric(to))
        return true;
    if (to.id == SL_TYPE_VARCHAR || from.id == SL_TYPE_VARCHAR)
        return true; /* to text always; from text parsed at run time (errors name the row) */
    if (from.id == SL_TYPE_BOOLEAN && sl_is_numeric(to))
        return true;
    return false;
}

/* ---- literals ------------------------------------------------------------------------------ */

static int sl_b_int_lit(struct sl_binder *b, const struct sl_ast *a, struct sl_expr **out)
{
    errno = 0;
    char *end;
    long long v = strtoll(a->lit, &end, 10);
    if (errno == ERANGE || *end)
        return sl_b_err(b, a->pos, "integer literal %s is out of range for BIGINT", a->lit);
    bool small = v >= INT32_MIN && v <= INT32_MAX;
    struct sl_expr *e = sl_expr_new(
        b, SL_EXPR_LIT, sl_type_make(small ? SL_TYPE_INT : SL_TYPE_BIGINT, false), a->pos);
    TRYP(e);
    e->lit.i = v;
    *out = e;
    return 0;
}

static int sl_b_dec_lit(struct sl_binder *b, const struct sl_ast *a, struct sl_expr **out)
{
    const char *s = a->lit;
    if (strchr(s, 'e') || strchr(s, 'E')) {
        struct sl_expr *e =
            sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_DOUBLE, false), a->pos);
        TRYP(e);
        e->lit.d = strtod(s, NULL);
        *out = e;
        return 0;
    }
    /* digits[.digits]: an exact DECIMAL(p, s) */
    uint64_t v = 0;
    int digits = 0, scale = 0;
    bool after = false, leading = true;
    for (const char *c = s; *c; c++) {
        if (*c == '.') {
            after = true;
            continue;
        }
        if (after)
            scale++;
        if (leading && *c == '0' && !after)
            continue;
        leading = false;
        digits++;
        if (v > (uint64_t)(INT64_MAX - 9) / 10)
            return sl_b_err(b, a->pos,
                            "decimal literal %s has more digits than sluice keeps "
                            "(18)",
                            s);
        v = v * 10 + (uint64_t)(*c - '0');
    }
    int precision = digits > scale ? digits : scale;
    if (precision < 1)
        precision = 1;
    struct sl_expr *e = sl_expr_new(
        b, SL_EXPR_LIT, sl_type_decimal((unsigned)precision, (unsigned)scale, false), a->pos);
    TRYP(e);
    e->lit.i = (int64_t)v;
    *out = e;
    return 0;
}

/* ---- expressions --------------------------------------------------------------------------- */

static int sl_b_expr(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *a,
                     struct sl_expr **out);

/* the aggregate functions (sl_b_agg binds them; SHOW FUNCTIONS lists them, sl_sql_builtins) */
static const char *const sl_aggfns[] = {"COUNT", "SUM", "MIN", "MAX", "AVG"};

static bool sl_is_agg_name(const char *name)
{
    for (size_t i = 0; i < sizeof(sl_aggfns) / sizeof(sl_aggfns[0]); i++)
        if (strcasecmp(name, sl_aggfns[i]) == 0)
            return true;
    return false;
}

static bool sl_ast_has_agg(const struct sl_ast *a)
{
    if (!a)
        return false;
    switch (a->kind) {
    case SL_AST_CALL:
        if (sl_is_agg_name(a->name))
            return true;
        /* fall through */
    case SL_AST_BETWEEN:
    case SL_AST_IN:
    case SL_AST_CASE:
        for (uint32_t i = 0; i < a->args.n; i++)
            if (sl_ast_has_agg(a->args.items[i]))
                return true;
        return sl_ast_has_agg(a->left) || sl_ast_has_agg(a->right);
    case SL_AST_UNARY:
    case SL_AST_BINARY:
    case SL_AST_IS_NULL:
    case SL_AST_LIKE:
    case SL_AST_CAST:
        return sl_ast_has_agg(a->left) || sl_ast_has_agg(a->right);
    default:
        return false;
    }
}

static bool sl_expr_equal(const struct sl_expr *x, const struct sl_expr *y)
{
    if (x->kind != y->kind || !sl_type_equal(x->type, y->type))
        return false;
    switch (x->kind) {
    case SL_EXPR_COL:
        return x->col == y->col;
    case SL_EXPR_LIT:
        if (x->lit_null != y->lit_null)
            return false;
        if (x->type.id == SL_TYPE_VARCHAR)
            return x->lit.slen == y->lit.slen && memcmp(x->lit.s, y->lit.s, x->lit.slen) == 0;
        if (x->type.id == SL_TYPE_DOUBLE)
            return memcmp(&x->lit.d, &y->lit.d, sizeof(double)) == 0;
        return x->lit.i == y->lit.i;
    case SL_EXPR_CALL:
        if (x->fn != y->fn || x->nargs != y->nargs || x->udf != y->udf)
            return false;
        for (uint32_t i = 0; i < x->nargs; i++)
            if (!sl_expr_equal(x->args[i], y->args[i]))
                return false;
        return true;
    }
    return false;
}

static int sl_b_need_bool(struct sl_binder *b, struct sl_expr *e, const char *what)
{
    if (sl_is_null_lit(e)) {
        e->type = sl_type_make(SL_TYPE_BOOLEAN, true);
        return 0;
    }
    if (e->type.id != SL_TYPE_BOOLEAN) {
        char t[64];
        sl_type_str(e->type, t, sizeof(t));
        return sl_b_err(b, e->pos, "%s needs a BOOLEAN, found %s", what, t);
    }
    return 0;
}

/* Comparison of two bound operands: cast to their common type. */
static int sl_b_compare(struct sl_binder *b, sl_fn fn, struct sl_expr *l, struct sl_expr *r,
                        size_t pos, struct sl_expr **out)
{
    struct sl_type t;
    if (sl_is_null_lit(l) && sl_is_null_lit(r))
        t = sl_type_make(SL_TYPE_BOOLEAN, true);
    else if (sl_is_null_lit(l))
        t = r->type;
    else if (sl_is_null_lit(r))
        t = l->type;
    else if (!sl_common_type(l->type, r->type, &t)) {
        char lt[64], rt[64];
        sl_type_str(l->type, lt, sizeof(lt));
        sl_type_str(r->type, rt, sizeof(rt));
        return sl_b_err(b, pos, "cannot compare %s with %s", lt, rt);
    }
    /* a MAP is not comparable at all; BYTES only for equality (sluice does not order bytes) */
    if (sl_type_is_map(t) || (sl_type_is_bytes(t) && fn != SL_FN_EQ && fn != SL_FN_NE)) {
        char tt[64];
        sl_type_str(t, tt, sizeof(tt));
        return sl_b_err(b, pos, "%s values cannot be compared%s", tt,
                        sl_type_is_map(t) ? "" : " by order, only with = and <>");
    }
    struct sl_expr *args[2] = {sl_b_cast(b, l, t), sl_b_cast(b, r, t)};
    TRYP(args[0] && args[1]);
    *out = sl_expr_call(b, fn, sl_type_make(SL_TYPE_BOOLEAN, l->type.nullable || r->type.nullable),
                        pos, 2, args);
    TRYP(*out);
    return 0;
}

static int sl_b_arith(struct sl_binder *b, sl_fn fn, struct sl_expr *l, struct sl_expr *r,
                      size_t pos, struct sl_expr **out)
{
    static const char *const op_names[] = {[SL_FN_ADD] = "+",
                                           [SL_FN_SUB] = "-",
                                           [SL_FN_MUL] = "*",
                                           [SL_FN_DIV] = "/",
                                           [SL_FN_MOD] = "MOD"};
    bool nullable = l->type.nullable || r->type.nullable;
    if (sl_is_null_lit(l))
        l->type = r->type;
    if (sl_is_null_lit(r))
        r->type = l->type;
    /* timestamp arithmetic: TIMESTAMP +- INTERVAL */
    if ((fn == SL_FN_ADD || fn == SL_FN_SUB) && l->type.id == SL_TYPE_TIMESTAMP && r->interval) {
        struct sl_expr *args[2] = {l, r};
        struct sl_type t = l->type; /* TIMESTAMP_LTZ +- INTERVAL stays TIMESTAMP_LTZ */
        t.nullable = nullable;
        *out = sl_expr_call(b, fn, t, pos, 2, args);
        TRYP(*out);
        return 0;
    }
    if (fn == SL_FN_ADD && r->type.id == SL_TYPE_TIMESTAMP && l->interval) {
        struct sl_expr *args[2] = {r, l};
        struct sl_type t = r->type;
        t.nullable = nullable;
        *out = sl_expr_call(b, fn, t, pos, 2, args);
        TRYP(*out);
        return 0;
    }
    if (l->interval || r->interval || !sl_is_numeric(l->type) || !sl_is_numeric(r->type)) {
        char lt[64], rt[64];
        sl_type_str(l->type, lt, sizeof(lt));
        sl_type_str(r->type, rt, sizeof(rt));
        if (l->interval)
            snprintf(lt, sizeof(lt), "INTERVAL");
        if (r->interval)
            snprintf(rt, sizeof(rt), "INTERVAL");
        return sl_b_err(b, pos, "cannot apply '%s' to %s and %s", op_names[fn], lt, rt);
    }
    struct sl_type t;
    struct sl_expr *args[2] = {l, r};
    bool dec = l->type.id == SL_TYPE_DECIMAL || r->type.id == SL_TYPE_DECIMAL;
    bool dbl = l->type.id == SL_TYPE_DOUBLE || r->type.id == SL_TYPE_DOUBLE;
    if (dbl || !dec) {
        if (fn == SL_FN_MOD && !dbl)
            t = r->type; /* Flink: MOD of integers has the divisor's type */
        else
            sl_common_type(l->type, r->type, &t);
        if (fn == SL_FN_MOD && !dbl) {
            struct sl_type w;
            sl_common_type(l->type, r->type, &w);
            args[0] = sl_b_cast(b, l, w); /* computed in the wider type, then narrowed */
            args[1] = sl_b_cast(b, r, w);
            TRYP(args[0] && args[1]);
            w.nullable = nullable;
            struct sl_expr *m = sl_expr_call(b, fn, w, pos, 2, args);
            TRYP(m);
            t.nullable = nullable;
            *out = sl_b_cast(b, m, t);
            TRYP(*out);
            return 0;
        }
        args[0] = sl_b_cast(b, l, t);
        args[1] = sl_b_cast(b, r, t);
    } else {
        struct sl_type dl = sl_as_decimal(l->type), dr = sl_as_decimal(r->type);
        int p1 = dl.precision, s1 = dl.scale, p2 = dr.precision, s2 = dr.scale;
        switch (fn) {
        case SL_FN_ADD:
        case SL_FN_SUB: {
            int s = s1 > s2 ? s1 : s2;
            int i = (p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2);
            t = sl_decimal_adjust(i + s + 1, s, nullable);
            /* both operands at the result's scale */
            args[0] = sl_b_cast(b, l, sl_type_decimal(t.precision, t.scale, false));
            args[1] = sl_b_cast(b, r, sl_type_decimal(t.precision, t.scale, false));
            break;
        }
        case SL_FN_MUL:
            t = sl_decimal_adjust(p1 + p2 + 1, s1 + s2, nullable);
            args[0] = sl_b_cast(b, l, dl);
            args[1] = sl_b_cast(b, r, dr);
            break;
        case SL_FN_DIV: {
            int s = 6 > s1 + p2 + 1 ? 6 : s1 + p2 + 1;
            t = sl_decimal_adjust(p1 - s1 + s2 + s, s, nullable);
            args[0] = sl_b_cast(b, l, dl);
            args[1] = sl_b_cast(b, r, dr);
            break;
        }
        default: { /* MOD */
            int s = s1 > s2 ? s1 : s2;
            int i = (p1 - s1 < p2 - s2 ? p1 - s1 : p2 - s2);
            t = sl_decimal_adjust(i + s, s, nullable);
            args[0] = sl_b_cast(b, l, sl_type_decimal(SL_DECIMAL_MAX_PRECISION, t.scale, false));
            args[1] = sl_b_cast(b, r, sl_type_decimal(SL_DECIMAL_MAX_PRECISION, t.scale, false));
            break;
        }
        }
    }
    TRYP(args[0] && args[1]);
    t.nullable = nullable;
    *out = sl_expr_call(b, fn, t, pos, 2, args);
    TRYP(*out);
    return 0;
}

static int sl_b_case(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *a,
                     struct sl_expr **out)
{
    uint32_t nwhen = a->args.n / 2;
    uint32_t nargs = nwhen * 2 + 1;
    struct sl_expr **args = sl_b_alloc(b, nargs * sizeof(*args));
    TRYP(args);
    struct sl_expr *operand = NULL;
    if (a->left)
        TRY(sl_b_expr(b, sc, a->left, &operand));
    struct sl_type t;
    bool have_t = false, nullable = false;
    for (uint32_t i = 0; i < nwhen; i++) {
        struct sl_expr *w, *v;
        TRY(sl_b_expr(b, sc, a->args.items[2 * i], &w));
        if (operand)
            TRY(sl_b_compare(b, SL_FN_EQ, operand, w, w->pos, &w));
        TRY(sl_b_need_bool(b, w, "WHEN"));
        TRY(sl_b_expr(b, sc, a->args.items[2 * i + 1], &v));
        args[2 * i] = w;
        args[2 * i + 1] = v;
    }
    struct sl_expr *els = NULL;
    if (a->right)
        TRY(sl_b_expr(b, sc, a->right, &els));
    /* the result type: common type of every branch */
    for (uint32_t i = 0; i <= nwhen; i++) {
        struct sl_expr *v = i < nwhen ? args[2 * i + 1] : els;
        if (!v || sl_is_null_lit(v)) {
            nullable = true;
            continue;
        }
        if (!have_t) {
            t = v->type;
            have_t = true;
        } else if (!sl_common_type(t, v->type, &t)) {
            char tt[64], vt[64];
            sl_type_str(t, tt, sizeof(tt));
            sl_type_str(v->type, vt, sizeof(vt));
            return sl_b_err(b, v->pos, "CASE branches have incompatible types %s and %s", tt, vt);
        }
        nullable |= v->type.nullable;
    }
    if (!have_t)
        return sl_b_err(b, a->pos, "CASE whose every branch is NULL has no type: CAST one");
    for (uint32_t i = 0; i < nwhen; i++) {
        args[2 * i + 1] = sl_b_cast(b, args[2 * i + 1], t);
        TRYP(args[2 * i + 1]);
    }
    if (!els) {
        els = sl_expr_new(b, SL_EXPR_LIT, t, a->pos);
        TRYP(els);
        els->lit_null = true;
        els->type.nullable = true;
    }
    args[nargs - 1] = sl_b_cast(b, els, t);
    TRYP(args[nargs - 1]);
    t.nullable = nullable;
    *out = sl_expr_call(b, SL_FN_CASE, t, a->pos, nargs, args);
    TRYP(*out);
    return 0;
}

/* ---- user-defined functions (engine/plan/udf.h) --------------------------------------------- */

/* Whether an argument of type `from` goes to a UDF parameter of type `to` without an explicit
 * CAST (Flink's implicit casts for a function's arguments: the same type, or widening of a
 * number; LogicalTypeCasts.supportsImplicitCast). */
static bool sl_b_udf_arg_ok(struct sl_type from, struct sl_type to)
{
    if (from.logical != SL_LOGICAL_NONE)
        return false; /* BYTES, MAP, TIMESTAMP_LTZ: no UDF parameter type takes them */
    if (from.id == to.id)
        return true;
    if (to.id == SL_TYPE_BIGINT)
        return from.id == SL_TYPE_INT;
    if (to.id == SL_TYPE_DOUBLE)
        return from.id == SL_TYPE_INT || from.id == SL_TYPE_BIGINT || from.id == SL_TYPE_DECIMAL;
    return false;
}

/* "(STRING, STRING)", the declared parameters of `u`. */
static void sl_b_udf_sig(const struct sl_udf *u, char *buf, size_t cap)
{
    size_t k = (size_t)snprintf(buf, cap, "(");
    for (uint32_t i = 0; i < u->nargs && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? ", " : "",
                              sl_udf_type_name(u->fn->args[i]));
    if (k < cap)
        snprintf(buf + k, cap - k, ")");
}

/* A call of a UDF: the arguments bound, checked against its signature and cast. */
static int sl_b_udf_call(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *a,
                         const struct sl_udf *u, struct sl_expr **out)
{
    char sig[200];
    sl_b_udf_sig(u, sig, sizeof(sig));
    if (a->star || a->distinct)
        return sl_b_err(b, a->pos, "%s is a scalar function: no * or DISTINCT", a->name);
    if (a->args.n != u->nargs)
        return sl_b_err(b, a->pos, "function %s takes %u argument%s %s, found %u", a->name,
                        u->nargs, u->nargs == 1 ? "" : "s", sig, a->args.n);
    struct sl_expr **args = sl_b_alloc(b, (u->nargs ? u->nargs : 1) * sizeof(*args));
    TRYP(args);
    bool any_null = false;
    for (uint32_t i = 0; i < u->nargs; i++) {
        TRY(sl_b_expr(b, sc, a->args.items[i], &args[i]));
        if (!sl_is_null_lit(args[i]) && !sl_b_udf_arg_ok(args[i]->type, u->args[i])) {
            char t[64];
            sl_type_str(args[i]->type, t, sizeof(t));
            return sl_b_err(b, a->args.items[i]->pos,
                            "argument %u of %s is %s, but %s takes %s (CAST it)", i + 1, a->name, t,
                            a->name, sig);
        }
        TRYP(args[i] = sl_b_cast(b, args[i], u->args[i]));
        any_null |= args[i]->type.nullable;
    }
    uint32_t flags = u->fn->flags;
    struct sl_type t = u->result;
    t.nullable = (flags & SLUICE_UDF_RETURNS_NULL) || (!(flags & SLUICE_UDF_NULL_CALL) && any_null);
    *out = sl_expr_call(b, SL_FN_UDF, t, a->pos, u->nargs, args);
    TRYP(*out);
    (*out)->udf = u;
    return 0;
}

/* CREATE [TEMPORARY] [SYSTEM] FUNCTION [IF NOT EXISTS] name AS 'identifier'. Functions live
 * in one namespace per job whatever TEMPORARY says (a job is one session); SYSTEM ones are
 * looked up before the built-in functions, the others after (Flink's resolution order). */
static int sl_b_create_function(struct sl_binder *b, const struct sl_ast *a)
{
    const char *name = a->function.name;
    if (sl_udf_find(b->job->udfs, name)) {
        if (a->function.if_exists)
            return 0;
        return sl_b_err(b, a->function.name_pos, "function %s is already declared", name);
    }
    struct sl_udf u;
    char msg[SL_ERROR_MSG_MAX - 112];
    int rc = sl_udf_resolve(b->job->udfs, sl_job_setting(b->job, "sluice.udf.path"),
                            a->function.identifier, &u, msg, sizeof(msg));
    if (rc)
        return sl_sql_error_at(b->src, a->pos, b->err, rc == SL_ENOMEM ? SL_ENOMEM : SL_EPARSE,
                               "CREATE FUNCTION %s: %s", name, msg);
    u.name = name;
    u.system = a->function.system;
    if (!sl_udf_add(b->job->udfs, &u))
        return sl_error_set(b->err, SL_ENOMEM, "out of memory binding SQL");
    return 0;
}

static int sl_b_drop_function(struct sl_binder *b, const struct sl_ast *a)
{
    struct sl_udf *u = sl_udf_find(b->job->udfs, a->function.name);
    if (!u) {
        if (a->function.if_exists)
            return 0;
        return sl_b_err(b, a->function.name_pos, "function %s does not exist", a->function.name);
    }
    u->dropped = true; /* plans bound before keep it; later calls do not find it */
    return 0;
}

/* ---- string, regex, hash and conditional functions ------------------------------------------
 * Flink's scalar functions of engine/ops/fn_string.h: arguments are checked against a
 * signature (S a STRING, I an integer cast to INT), the result is nullable when an argument
 * is or when the function can give NULL itself. COALESCE, NULLIF and IF become CASE (lazy,
 * as Flink's generated code); GREATEST / LEAST cast their arguments to their common type. */

struct sl_strfn {
    const char *name;
    sl_fn fn;
    const char *sig; /* argument kinds; '+' repeats the previous kind, '[' starts the optional */
    sl_type_id result;
    bool may_null; /* NULL from non-NULL arguments */
};

static const struct sl_strfn sl_strfns[] = {
    {"SUBSTRING", SL_FN_SUBSTRING, "SI[I", SL_TYPE_VARCHAR, true},
    {"SUBSTR", SL_FN_SUBSTRING, "SI[I", SL_TYPE_VARCHAR, true},
    {"CONCAT", SL_FN_CONCAT_N, "S+", SL_TYPE_VARCHAR, false},
    {"CONCAT_WS", SL_FN_CONCAT_WS, "SS+", SL_TYPE_VARCHAR, false},
    {"UPPER", SL_FN_UPPER, "S", SL_TYPE_VARCHAR, false},
    {"LOWER", SL_FN_LOWER, "S", SL_TYPE_VARCHAR, false},
    {"$TRIM", SL_FN_TRIM_BOTH, "ISS", SL_TYPE_VARCHAR, false},
    {"LTRIM", SL_FN_TRIM_LEADING, "S[S", SL_TYPE_VARCHAR, false},
    {"RTRIM", SL_FN_TRIM_TRAILING, "S[S", SL_TYPE_VARCHAR, false},
    {"LPAD", SL_FN_LPAD, "SIS", SL_TYPE_VARCHAR, true},
    {"RPAD", SL_FN_RPAD, "SIS", SL_TYPE_VARCHAR, true},
    {"CHAR_LENGTH", SL_FN_CHAR_LENGTH, "S", SL_TYPE_INT, false},
    {"CHARACTER_LENGTH", SL_FN_CHAR_LENGTH, "S", SL_TYPE_INT, false},
    {"POSITION", SL_FN_POSITION, "SS", SL_TYPE_INT, false},
    {"REPLACE", SL_FN_REPLACE, "SSS", SL_TYPE_VARCHAR, false},
    {"SPLIT_INDEX", SL_FN_SPLIT_INDEX, "SSI", SL_TYPE_VARCHAR, true},
    {"REGEXP", SL_FN_REGEXP, "SS", SL_TYPE_BOOLEAN, false},
    {"REGEXP_EXTRACT", SL_FN_REGEXP_EXTRACT, "SS[I", SL_TYPE_VARCHAR, true},
    {"REGEXP_REPLACE", SL_FN_REGEXP_REPLACE, "SSS", SL_TYPE_VARCHAR, true},
    {"INITCAP", SL_FN_INITCAP, "S", SL_TYPE_VARCHAR, false},
    {"REVERSE", SL_FN_REVERSE, "S", SL_TYPE_VARCHAR, false},
    {"OVERLAY", SL_FN_OVERLAY, "SSI[I", SL_TYPE_VARCHAR, false},
    {"MD5", SL_FN_MD5, "S", SL_TYPE_VARCHAR, false},
    {"SHA256", SL_FN_SHA256, "S", SL_TYPE_VARCHAR, false},
};

/* CASE WHEN c1 THEN v1 ... ELSE els END over bound expressions, all of type t. */
static int sl_b_mkcase(struct sl_binder *b, struct sl_expr **cv, uint32_t nwhen,
                       struct sl_expr *els, struct sl_type t, size_t pos, struct sl_expr **out)
{
    struct sl_expr **args = sl_b_alloc(b, (2 * nwhen + 1) * sizeof(*args));
    TRYP(args);
    for (uint32_t i = 0; i < nwhen; i++) {
        args[2 * i] = cv[2 * i];
        args[2 * i + 1] = sl_b_cast(b, cv[2 * i + 1], t);
        TRYP(args[2 * i + 1]);
    }
    args[2 * nwhen] = sl_b_cast(b, els, t);
    TRYP(args[2 * nwhen]);
    *out = sl_expr_call(b, SL_FN_CASE, t, pos, 2 * nwhen + 1, args);
    TRYP(*out);
    return 0;
}

/* The common type of exprs (NULL literals aside); an error naming the one that has none. */
static int sl_b_common(struct sl_binder *b, const char *what, struct sl_expr **x, uint32_t n,
                       size_t pos, struct sl_type *t)
{
    bool have = false;
    for (uint32_t i = 0; i < n; i++) {
        if (sl_is_null_lit(x[i]))
            continue;
        if (!have) {
            *t = x[i]->type;
            have = true;
        } else if (!sl_common_type(*t, x[i]->type, t)) {
            char tt[64], vt[64];
            sl_type_str(*t, tt, sizeof(tt));
            sl_type_str(x[i]->type, vt, sizeof(vt));
            return sl_b_err(b, x[i]->pos, "%s arguments have incompatible types %s and %s", what,
                            tt, vt);
        }
    }
    if (!have)
        return sl_b_err(b, pos, "%s of only NULLs has no type: CAST one", what);
    return 0;
}

static struct sl_expr *sl_b_null_of(struct sl_binder *b, struct sl_type t, size_t pos)
{
    struct sl_expr *e = sl_expr_new(b, SL_EXPR_LIT, t, pos);
    if (e) {
        e->lit_null = true;
        e->type.nullable = true;
    }
    return e;
}

/* ---- time and numeric functions --------------------------------------------------------------
 * Flink's built-in time and numeric scalar functions (docs/sql.md has the list). Result types
 * are Flink 1.20's, as its planner reports them: EXTRACT / HOUR... BIGINT, TIMESTAMPDIFF INT,
 * FLOOR / CEIL TO keep the TIMESTAMP, DATE_FORMAT / FROM_UNIXTIME a nullable STRING,
 * TO_TIMESTAMP a nullable TIMESTAMP(3), UNIX_TIMESTAMP BIGINT; ABS keeps the type; ROUND(x, d)
 * keeps INT / BIGINT / DOUBLE and makes DECIMAL(p, s) DECIMAL(p, s) when d >= s,
 * DECIMAL(min(38, 1 + p - s), 0) when d < 0, else DECIMAL(min(38, 1 + p - s + d), d)
 * (LogicalTypeMerging.findRoundDecimalType); FLOOR / CEIL keep INT / BIGINT / DOUBLE and make
 * DECIMAL(p, s) DECIMAL(p, 0); POWER, SQRT, LN, LOG10, LOG, EXP and RAND are DOUBLE.
 * Returns 1 when `a` is none of these functions. */

static int sl_b_fn_arg(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *a,
                       uint32_t i, struct sl_expr **out)
{
    return sl_b_expr(b, sc, a->args.items[i], out);
}

/* Checks that e is of type id (a NULL literal takes it); `what` names the argument. */
static int sl_b_fn_need(struct sl_binder *b, struct sl_expr *e, sl_type_id id, const char *fn,
                        const char *what)
{
    if (sl_is_null_lit(e))
        e->type = sl_type_make(id, true);
    bool ok = e->type.id == id;
    if (id == SL_TYPE_VARCHAR)
        ok = sl_type_is_string(e->type);
    if (id == SL_TYPE_BIGINT)
        ok = e->type.id == SL_TYPE_INT || e->type.id == SL_TYPE_BIGINT;
    if (id == SL_TYPE_DOUBLE)
        ok = sl_is_numeric(e->type);
    if (ok)
        return 0;
    char t[64];
    sl_type_str(e->type, t, sizeof(t));
    return sl_b_err(b, e->pos, "%s needs %s, found %s", fn, what, t);
}

/* An INT constant for a time unit. */
static int sl_b_fn_unit(struct sl_binder *b, const struct sl_ast *u, const char *fn, bool floor,
                        struct sl_expr **out)
{
    sl_time_unit unit = SL_TU_COUNT;
    if (u->kind == SL_AST_COLUMN && u->npath == 1)
        unit = sl_time_unit_find(u->path[0]);
    bool ok = unit != SL_TU_COUNT;
    if (ok && floor) /* FLOOR / CEIL TO */
        ok = unit <= SL_TU_YEAR && unit != SL_TU_MICROSECOND && unit != SL_TU_NANOSECOND;
    if (ok && fn[0] == 'T') /* TIMESTAMPADD / TIMESTAMPDIFF */
        ok = unit >= SL_TU_SECOND && unit <= SL_TU_YEAR;
    if (!ok)
        return sl_b_err(b, u->pos, "%s: unknown or unsupported time unit%s%s", fn,
                        u->kind == SL_AST_COLUMN && u->npath == 1 ? " " : "",
                        u->kind == SL_AST_COLUMN && u->npath == 1 ? u->path[0] : "");
    *out = sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_INT, false), u->pos);
    TRYP(*out);
    (*out)->lit.i = unit;
    return 0;
}

static struct sl_expr *sl_b_fn_str(struct sl_binder *b, const char *s, size_t pos)
{
    struct sl_expr *e = sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_VARCHAR, false), pos);
    if (e) {
        e->lit.s = s;
        e->lit.slen = (uint32_t)strlen(s);
    }
    return e;
}

/* $JSON_VALUE(json, path, empty, empty_default, error, error_default) from the parser, with
 * .type the RETURNING type: the path a constant STRING (as Flink's LITERAL), the result
 * nullable, the defaults cast to it (engine/ops/fn_json.h). */
static int sl_b_json_value(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *a,
                           struct sl_expr **out)
{
    struct sl_expr **x = sl_b_alloc(b, 6 * sizeof(*x));
    TRYP(x);
    if (a->args.n != 6)
        return sl_b_err(b, a->pos, "JSON_VALUE takes a json text and a path");
    struct sl_type t = sl_type_make(SL_TYPE_VARCHAR, true);
    if (a->type) {
        t = a->type->scalar;
        if (a->type->is_row ||
            (t.id != SL_TYPE_VARCHAR && t.id != SL_TYPE_INT && t.id != SL_TYPE_BIGINT &&
             t.id != SL_TYPE_DOUBLE && t.id != SL_TYPE_BOOLEAN))
            return sl_b_err(b, a->type->pos,
                            "JSON_VALUE can return STRING, INT, BIGINT, DOUBLE or BOOLEAN");
        t.nullable = true;
    }
    TRY(sl_b_expr(b, sc, a->args.items[0], &x[0]));
    TRY(sl_b_fn_need(b, x[0], SL_TYPE_VARCHAR, "JSON_VALUE", "a STRING json text"));
    TRY(sl_b_expr(b, sc, a->args.items[1], &x[1]));
    TRY(sl_b_fn_need(b, x[1], SL_TYPE_VARCHAR, "JSON_VALUE", "a STRING path"));
    if (x[1]->kind == SL_EXPR_CALL && x[1]->fn == SL_FN_CAST && sl_is_null_lit(x[1]->args[0])) {
        x[1] = sl_b_null_of(b, sl_type_make(SL_TYPE_VARCHAR, true), x[1]->pos); /* a typed NULL */
        TRYP(x[1]);
    }
    if (x[1]->kind != SL_EXPR_LIT)
        return sl_b_err(b, x[1]->pos, "JSON_VALUE needs a constant path");
    for (int i = 2; i < 6; i += 2) {
        const struct sl_ast *m = a->args.items[i], *d = a->args.items[i + 1];
        x[i] = sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_INT, false), m->pos);
        TRYP(x[i]);
        x[i]->lit.i = m->lit[0] - '0';
        if (d->kind == SL_AST_NULL) {
            x[i + 1] = sl_b_null_of(b, t, d->pos);
            TRYP(x[i + 1]);
            continue;
        }
        TRY(sl_b_expr(b, sc, d, &x[i + 1]));
        if (!sl_is_null_lit(x[i + 1]) && !sl_castable(x[i + 1]->type, t)) {
            char dt[64], rt[64];
            sl_type_str(x[i + 1]->type, dt, sizeof(dt));
            sl_type_str(t, rt, sizeof(rt));
            return sl_b_err(b, x[i + 1]->pos, "JSON_VALUE: a DEFAULT of type %s for %s", dt, rt);
        }
        if (t.id == SL_TYPE_VARCHAR && x[i + 1]->type.id == SL_TYPE_BOOLEAN) {
            /* Flink writes the default with String.valueOf: "true" / "false", not CAST's */
            struct sl_expr *dv = x[i + 1], *cv[4];
            cv[0] = dv;
            cv[1] = sl_b_fn_str(b, "true", dv->pos);
            cv[2] = sl_expr_call(b, SL_FN_NOT, sl_type_make(SL_TYPE_BOOLEAN, dv->type.nullable),
                                 dv->pos, 1, &cv[0]);
            cv[3] = sl_b_fn_str(b, "false", dv->pos);
            struct sl_expr *els = sl_b_null_of(b, t, dv->pos);
            TRYP(cv[1]);
            TRYP(cv[2]);
            TRYP(cv[3]);
            TRYP(els);
            TRY(sl_b_mkcase(b, cv, 2, els, t, dv->pos, &x[i + 1]));
            continue;
        }
        x[i + 1] = sl_b_cast(b, x[i + 1], t);
        TRYP(x[i + 1]);
    }
    *out = sl_expr_call(b, SL_FN_JSON_VALUE, t, a->pos, 6, x);
    TRYP(*out);
    return 0;
}

static const char *const sl_condfns[] = {"COALESCE", "NULLIF", "IF", "GREATEST", "LEAST"};

/* Binds a call of a function of sl_strfns or sl_condfns (COALESCE, NULLIF, IF, GREATEST,
 * LEAST), LOCATE. Returns 1 when the name is none of them. */
static int sl_b_strfn(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *a,
                      struct sl_expr **out)
{
    const char *const *cond = sl_condfns;
    const struct sl_strfn *f = NULL;
    int ci = -1;
    if (strcmp(a->name, "$JSON_VALUE") == 0)
        return sl_b_json_value(b, sc, a, out);
    for (size_t i = 0; i < sizeof(sl_strfns) / sizeof(sl_strfns[0]); i++)
        if (strcasecmp(a->name, sl_strfns[i].name) == 0)
            f = &sl_strfns[i];
    if (strcasecmp(a->name, "LOCATE") == 0 && a->args.n == 2)
        f = &sl_strfns[13]; /* LOCATE(a, b) is POSITION(a IN b) */
    else if (strcasecmp(a->name, "LOCATE") == 0)
        return sl_b_err(b, a->pos,
                        "LOCATE takes 2 arguments, found %u (a start position, Flink's third "
                        "argument, is not supported yet)",
                        a->args.n);
    for (int i = 0; i < 5; i++)
        if (strcasecmp(a->name, cond[i]) == 0)
            ci = i;
    if (!f && ci < 0)
        return 1;
    uint32_t na = a->args.n;
    const char *fname = f ? (f->name[0] == '$' ? "TRIM" : f->name) : cond[ci];
    struct sl_expr **x = sl_b_alloc(b, (na ? na : 1) * sizeof(*x));
    TRYP(x);
    for (uint32_t i = 0; i < na; i++)
        TRY(sl_b_expr(b, sc, a->args.items[i], &x[i]));
    if (ci >= 0) {
        struct sl_type t;
        bool nullable = false;
        switch (ci) {
        case 0: /* COALESCE(a, b, ...): CASE WHEN a IS NOT NULL THEN a ... ELSE last END */
        case 3: /* GREATEST */
        case 4: /* LEAST */
            if (na < 1 || (ci && na < 2))
                return sl_b_err(b, a->pos, "%s needs %s arguments, found %u", fname,
                                ci ? "at least 2" : "at least 1", na);
            TRY(sl_b_common(b, fname, x, na, a->pos, &t));
            if (ci) {
                for (uint32_t i = 0; i < na; i++) {
                    nullable |= x[i]->type.nullable || sl_is_null_lit(x[i]);
                    x[i] = sl_b_cast(b, x[i], t);
                    TRYP(x[i]);
                }
                t.nullable = nullable;
                *out = sl_expr_call(b, ci == 3 ? SL_FN_GREATEST : SL_FN_LEAST, t, a->pos, na, x);
                TRYP(*out);
                return 0;
            }
            nullable = true;
            for (uint32_t i = 0; i < na; i++)
                nullable &= x[i]->type.nullable || sl_is_null_lit(x[i]);
            t.nullable = nullable;
            {
                struct sl_expr **cv = sl_b_alloc(b, 2 * na * sizeof(*cv));
                TRYP(cv);
                for (uint32_t i = 0; i + 1 < na; i++) {
                    cv[2 * i] =
                        sl_expr_call(b, SL_FN_IS_NOT_NULL, sl_type_make(SL_TYPE_BOOLEAN, false),
                                     x[i]->pos, 1, &x[i]);
                    TRYP(cv[2 * i]);
                    cv[2 * i + 1] = x[i];
                }
                return sl_b_mkcase(b, cv, na - 1, x[na - 1], t, a->pos, out);
            }
        case 1: { /* NULLIF(a, b): CASE WHEN a = b THEN NULL ELSE a END */
            if (na != 2)
                return sl_b_err(b, a->pos, "NULLIF takes 2 arguments, found %u", na);
            if (sl_is_null_lit(x[0]))
                return sl_b_err(b, x[0]->pos, "NULLIF of NULL has no type: CAST it");
            struct sl_expr *cv[2];
            TRY(sl_b_compare(b, SL_FN_EQ, x[0], x[1], a->pos, &cv[0]));
            t = x[0]->type;
            t.nullable = true;
            cv[1] = sl_b_null_of(b, t, a->pos);
            TRYP(cv[1]);
            return sl_b_mkcase(b, cv, 1, x[0], t, a->pos, out);
        }
        default: { /* IF(c, a, b): CASE WHEN c THEN a ELSE b END */
            if (na != 3)
                return sl_b_err(b, a->pos, "IF takes 3 arguments, found %u", na);
            TRY(sl_b_need_bool(b, x[0], "IF"));
            TRY(sl_b_common(b, "IF", x + 1, 2, a->pos, &t));
            t.nullable = x[1]->type.nullable || x[2]->type.nullable || sl_is_null_lit(x[1]) ||
                         sl_is_null_lit(x[2]);
            struct sl_expr *cv[2] = {x[0], x[1]};
            return sl_b_mkcase(b, cv, 1, x[2], t, a->pos, out);
        }
        }
    }
    /* the signature: kinds without the '[' and '+' marks */
    char kinds[8];
    uint32_t nk = 0, need = 0;
    bool opt = false, rep = false;
    for (const char *c = f->sig; *c; c++) {
        if (*c == '[')
            opt = true;
        else if (*c == '+')
            rep = true;
        else {
            kinds[nk++] = *c;
            need += !opt;
        }
    }
    if (na < need || (!rep && na > nk)) {
        if (rep)
            return sl_b_err(b, a->pos, "%s takes at least %u arguments, found %u", fname, need, na);
        if (need == nk)
            return sl_b_err(b, a->pos, "%s takes %u argument%s, found %u", fname, need,
                            need == 1 ? "" : "s", na);
        return sl_b_err(b, a->pos, "%s takes %u to %u arguments, found %u", fname, need, nk, na);
    }
    bool nullable = false;
    for (uint32_t i = 0; i < na; i++) {
        char kind = kinds[i < nk ? i : nk - 1];
        struct sl_type want = sl_type_make(kind == 'S' ? SL_TYPE_VARCHAR : SL_TYPE_INT, true);
        if (sl_is_null_lit(x[i])) {
            x[i]->type = want;
        } else if (kind == 'S' ? !sl_type_is_string(x[i]->type)
                               : x[i]->type.id != SL_TYPE_INT && x[i]->type.id != SL_TYPE_BIGINT) {
            char t[64];
            sl_type_str(x[i]->type, t, sizeof(t));
            return sl_b_err(b, x[i]->pos, "%s argument %u must be %s, found %s", fname, i + 1,
                            kind == 'S' ? "a STRING" : "an INT", t);
        } else if (kind == 'I') {
            x[i] = sl_b_cast(b, x[i], sl_type_make(SL_TYPE_INT, false));
            TRYP(x[i]);
        }
        if (f->fn != SL_FN_CONCAT_WS || i == 0)
            nullable |= x[i]->type.nullable || sl_is_null_lit(x[i]);
    }
    sl_fn fn = f->fn;
    struct sl_expr **args = x;
    if (fn == SL_FN_TRIM_BOTH) { /* $TRIM(mode, chars, s) -> TRIM_*(s, chars) */
        fn = x[0]->lit.i == 1 ? SL_FN_TRIM_LEADING : x[0]->lit.i == 2 ? SL_FN_TRIM_TRAILING : fn;
        struct sl_expr *s = x[2];
        x[2] = NULL;
        x[0] = s;
        na = 2;
    } else if ((fn == SL_FN_TRIM_LEADING || fn == SL_FN_TRIM_TRAILING) && na == 1) {
        struct sl_expr **y = sl_b_alloc(b, 2 * sizeof(*y));
        TRYP(y);
        y[0] = x[0];
        y[1] = sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_VARCHAR, false), a->pos);
        TRYP(y[1]);
        y[1]->lit.s = " ";
        y[1]->lit.slen = 1;
        args = y;
        na = 2;
    }
    nullable |= f->may_null && !(fn == SL_FN_SUBSTRING && na == 2); /* no length: never NULL */
    *out = sl_expr_call(b, fn, sl_type_make(f->result, nullable), a->pos, na, args);
    TRYP(*out);
    return 0;
}

/* A constant integer argument (ROUND's digits, RAND's seed): n, -n or +n. */
static int sl_b_fn_const_int(struct sl_binder *b, const struct sl_ast *a, const char *fn,
                             int64_t *v)
{
    const struct sl_ast *x = a;
    bool neg = false;
    if (x->kind == SL_AST_UNARY && (x->op == SL_OP_NEG || x->op == SL_OP_PLUS)) {
        neg = x->op == SL_OP_NEG;
        x = x->left;
    }
    errno = 0;
    char *end;
    long long n = x->kind == SL_AST_INT ? strtoll(x->lit, &end, 10) : 0;
    if (x->kind != SL_AST_INT || errno || *end || n > INT32_MAX)
        return sl_b_err(b, a->pos, "%s needs an INT constant here", fn);
    *v = neg ? -n : n;
    return 0;
}

/* the time and numeric functions: argument counts; HOUR(ts)...: EXTRACT of `unit` */
struct sl_timefn {
    const char *name;
    sl_fn fn;
    uint8_t min, max;
    sl_time_unit unit;
};

static const struct sl_timefn sl_timefns[] = {
    {"DATE_FORMAT", SL_FN_DATE_FORMAT, 2, 2, SL_TU_COUNT},
    {"FROM_UNIXTIME", SL_FN_FROM_UNIXTIME, 1, 2, SL_TU_COUNT},
    {"EXTRACT", SL_FN_EXTRACT, 2, 2, SL_TU_COUNT},
    {"$FLOOR_TO", SL_FN_TS_FLOOR, 2, 2, SL_TU_COUNT},
    {"$CEIL_TO", SL_FN_TS_CEIL, 2, 2, SL_TU_COUNT},
    {"TIMESTAMPADD", SL_FN_TIMESTAMPADD, 3, 3, SL_TU_COUNT},
    {"TIMESTAMPDIFF", SL_FN_TIMESTAMPDIFF, 3, 3, SL_TU_COUNT},
    {"TO_TIMESTAMP", SL_FN_TO_TIMESTAMP, 1, 2, SL_TU_COUNT},
    {"UNIX_TIMESTAMP", SL_FN_UNIX_TIMESTAMP, 0, 2, SL_TU_COUNT},
    {"CURRENT_TIMESTAMP", SL_FN_NOW, 0, 0, SL_TU_COUNT},
    {"LOCALTIMESTAMP", SL_FN_NOW, 0, 0, SL_TU_COUNT},
    {"NOW", SL_FN_NOW, 0, 0, SL_TU_COUNT},
    {"CURRENT_ROW_TIMESTAMP", SL_FN_NOW, 0, 0, SL_TU_COUNT},
    {"YEAR", SL_FN_EXTRACT, 1, 1, SL_TU_YEAR},
    {"QUARTER", SL_FN_EXTRACT, 1, 1, SL_TU_QUARTER},
    {"MONTH", SL_FN_EXTRACT, 1, 1, SL_TU_MONTH},
    {"WEEK", SL_FN_EXTRACT, 1, 1, SL_TU_WEEK},
    {"DAYOFYEAR", SL_FN_EXTRACT, 1, 1, SL_TU_DOY},
    {"DAYOFMONTH", SL_FN_EXTRACT, 1, 1, SL_TU_DAY},
    {"DAYOFWEEK", SL_FN_EXTRACT, 1, 1, SL_TU_DOW},
    {"HOUR", SL_FN_EXTRACT, 1, 1, SL_TU_HOUR},
    {"MINUTE", SL_FN_EXTRACT, 1, 1, SL_TU_MINUTE},
    {"SECOND", SL_FN_EXTRACT, 1, 1, SL_TU_SECOND},
    {"ABS", SL_FN_ABS, 1, 1, SL_TU_COUNT},
    {"ROUND", SL_FN_ROUND, 1, 2, SL_TU_COUNT},
    {"FLOOR", SL_FN_FLOOR, 1, 1, SL_TU_COUNT},
    {"CEIL", SL_FN_CEIL, 1, 1, SL_TU_COUNT},
    {"CEILING", SL_FN_CEIL, 1, 1, SL_TU_COUNT},
    {"POWER", SL_FN_POWER, 2, 2, SL_TU_COUNT},
    {"SQRT", SL_FN_SQRT, 1, 1, SL_TU_COUNT},
    {"LN", SL_FN_LN, 1, 1, SL_TU_COUNT},
    {"LOG10", SL_FN_LOG10, 1, 1, SL_TU_COUNT},
    {"LOG", SL_FN_LOG, 1, 2, SL_TU_COUNT},
    {"EXP", SL_FN_EXP, 1, 1, SL_TU_COUNT},
    {"RAND", SL_FN_RAND, 0, 1, SL_TU_COUNT},
};

static int sl_b_fn_time(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *a,
                        struct sl_expr **out)
{
    const struct sl_timefn *fns = sl_timefns;
    size_t k = 0, nfns = sizeof(sl_timefns) / sizeof(sl_timefns[0]);
    while (k < nfns && strcasecmp(a->name, fns[k].name) != 0)
        k++;
    if (k == nfns)
        return 1;
    const char *name = a->name[0] == '$' ? fns[k].fn == SL_FN_TS_FLOOR ? "FLOOR" : "CEIL" : a->name;
    uint32_t na = a->args.n;
    if (na < fns[k].min || na > fns[k].max) {
        if (fns[k].min == fns[k].max)
            return sl_b_err(b, a->pos, "%s takes %u argument%s, found %u", name, fns[k].min,
                            fns[k].min == 1 ? "" : "s", na);
        return sl_b_err(b, a->pos, "%s takes %u to %u arguments, found %u", name, fns[k].min,
                        fns[k].max, na);
    }
    sl_fn fn = fns[k].fn;
    struct sl_expr *args[3] = {NULL, NULL, NULL}, *x;
    bool nullable = false;
    struct sl_type t;
    uint32_t nargs = na;
    switch (fn) {
    case SL_FN_DATE_FORMAT:
    case SL_FN_FROM_UNIXTIME:
    case SL_FN_TO_TIMESTAMP:
    case SL_FN_UNIX_TIMESTAMP:
        for (uint32_t i = 0; i < na; i++) {
            TRY(sl_b_fn_arg(b, sc, a, i, &args[i]));
            nullable |= args[i]->type.nullable;
        }
        if (na == 2)
            TRY(sl_b_fn_need(b, args[1], SL_TYPE_VARCHAR, name, "a STRING format"));
        if (fn == SL_FN_DATE_FORMAT) {
            if (sl_is_null_lit(args[0]))
                args[0]->type = sl_type_make(SL_TYPE_VARCHAR, true);
            if (args[0]->type.id != SL_TYPE_TIMESTAMP)
                TRY(sl_b_fn_need(b, args[0], SL_TYPE_VARCHAR, name, "a TIMESTAMP or a STRING"));
            t = sl_type_make(SL_TYPE_VARCHAR, true);
        } else if (fn == SL_FN_FROM_UNIXTIME) {
            TRY(sl_b_fn_need(b, args[0], SL_TYPE_BIGINT, name, "an INT or BIGINT of seconds"));
            args[0] = sl_b_cast(b, args[0], sl_type_make(SL_TYPE_BIGINT, args[0]->type.nullable));
            TRYP(args[0]);
            t = sl_type_make(SL_TYPE_VARCHAR, true);
        } else if (fn == SL_FN_TO_TIMESTAMP) {
            TRY(sl_b_fn_need(b, args[0], SL_TYPE_VARCHAR, name, "a STRING"));
            t = sl_type_make(SL_TYPE_TIMESTAMP, true);
        } else {
            if (na)
                TRY(sl_b_fn_need(b, args[0], SL_TYPE_VARCHAR, name, "a STRING"));
            t = sl_type_make(SL_TYPE_BIGINT, nullable);
        }
        if (na == 2 && args[1]->kind == SL_EXPR_LIT && !args[1]->lit_null) {
            /* a constant pattern is checked here, so that explain and the binder report it */
            struct sl_dtp *pat = sl_b_alloc(b, sizeof(*pat)); /* in the job's arena */
            TRYP(pat);
            char why[120];
            bool dtf = fn == SL_FN_TO_TIMESTAMP ||
                       (fn == SL_FN_DATE_FORMAT && args[0]->type.id == SL_TYPE_TIMESTAMP);
            if (sl_dtp_compile(pat, args[1]->lit.s, args[1]->lit.slen,
                               dtf ? SL_DTP_DTF : SL_DTP_SDF, why, sizeof(why)))
                return sl_b_err(b, args[1]->pos, "%s: invalid pattern: %s", name, why);
        }
        /* SimpleDateFormat's default where Flink has one */
        if (na == 1 && (fn == SL_FN_FROM_UNIXTIME || fn == SL_FN_UNIX_TIMESTAMP)) {
            args[1] = sl_b_fn_str(b, "yyyy-MM-dd HH:mm:ss", a->pos);
            TRYP(args[1]);
            nargs = 2;
        }
        break;
    case SL_FN_EXTRACT:
    case SL_FN_TS_FLOOR:
    case SL_FN_TS_CEIL:
        if (fns[k].unit != SL_TU_COUNT) { /* HOUR(ts)... */
            args[0] = sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_INT, false), a->pos);
            TRYP(args[0]);
            args[0]->lit.i = fns[k].unit;
            TRY(sl_b_fn_arg(b, sc, a, 0, &args[1]));
            nargs = 2;
        } else {
            TRY(sl_b_fn_unit(b, a->args.items[0], name, fn != SL_FN_EXTRACT, &args[0]));
            TRY(sl_b_fn_arg(b, sc, a, 1, &args[1]));
        }
        TRY(sl_b_fn_need(b, args[1], SL_TYPE_TIMESTAMP, name, "a TIMESTAMP"));
        t = fn == SL_FN_EXTRACT ? sl_type_make(SL_TYPE_BIGINT, false) : args[1]->type;
        t.nullable = args[1]->type.nullable;
        break;
    case SL_FN_TIMESTAMPADD:
    case SL_FN_TIMESTAMPDIFF:
        TRY(sl_b_fn_unit(b, a->args.items[0], name, false, &args[0]));
        TRY(sl_b_fn_arg(b, sc, a, 1, &args[1]));
        TRY(sl_b_fn_arg(b, sc, a, 2, &args[2]));
        if (fn == SL_FN_TIMESTAMPADD) {
            TRY(sl_b_fn_need(b, args[1], SL_TYPE_BIGINT, name, "an INT or BIGINT count"));
            args[1] = sl_b_cast(b, args[1], sl_type_make(SL_TYPE_BIGINT, args[1]->type.nullable));
            TRYP(args[1]);
            TRY(sl_b_fn_need(b, args[2], SL_TYPE_TIMESTAMP, name, "a TIMESTAMP"));
            t = args[2]->type;
        } else {
            TRY(sl_b_fn_need(b, args[1], SL_TYPE_TIMESTAMP, name, "a TIMESTAMP"));
            TRY(sl_b_fn_need(b, args[2], SL_TYPE_TIMESTAMP, name, "a TIMESTAMP"));
            t = sl_type_make(SL_TYPE_INT, false);
        }
        t.nullable = args[1]->type.nullable || args[2]->type.nullable;
        break;
    case SL_FN_NOW:
        t = toupper((unsigned char)a->name[0]) == 'L'
                ? sl_type_make(SL_TYPE_TIMESTAMP, false)
                : sl_type_logical(SL_TYPE_TIMESTAMP, SL_LOGICAL_LTZ, false);
        break;
    case SL_FN_RAND: {
        int64_t seed = 0;
        if (na)
            TRY(sl_b_fn_const_int(b, a->args.items[0], name, &seed));
        if (na) {
            args[0] = sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_BIGINT, false), a->pos);
            TRYP(args[0]);
            args[0]->lit.i = seed;
        }
        t = sl_type_make(SL_TYPE_DOUBLE, false);
        break;
    }
    case SL_FN_ABS:
    case SL_FN_ROUND:
    case SL_FN_FLOOR:
    case SL_FN_CEIL:
        TRY(sl_b_fn_arg(b, sc, a, 0, &x));
        TRY(sl_b_fn_need(b, x, SL_TYPE_DOUBLE, name, "a number"));
        args[0] = x;
        t = x->type;
        if (fn == SL_FN_ROUND) {
            int64_t d = 0;
            if (na == 2)
                TRY(sl_b_fn_const_int(b, a->args.items[1], name, &d));
            args[1] = sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_INT, false), a->pos);
            TRYP(args[1]);
            args[1]->lit.i = d;
            nargs = 2;
            if (t.id == SL_TYPE_DECIMAL && d < t.scale) {
                int p = (int)t.precision, s = (int)t.scale;
                int rp = d < 0 ? 1 + p - s : 1 + p - s + (int)d;
                t = sl_type_decimal(
                    (unsigned)(rp > SL_DECIMAL_MAX_PRECISION ? SL_DECIMAL_MAX_PRECISION : rp),
                    d < 0 ? 0u : (unsigned)d, x->type.nullable);
            }
        } else if (fn != SL_FN_ABS && t.id == SL_TYPE_DECIMAL) {
            t = sl_type_decimal(t.precision, 0, x->type.nullable);
        }
        break;
    default: /* POWER SQRT LN LOG10 LOG EXP: DOUBLE of DOUBLE arguments */
        for (uint32_t i = 0; i < na; i++) {
            TRY(sl_b_fn_arg(b, sc, a, i, &args[i]));
            TRY(sl_b_fn_need(b, args[i], SL_TYPE_DOUBLE, name, "a number"));
            nullable |= args[i]->type.nullable;
            args[i] = sl_b_cast(b, args[i], sl_type_make(SL_TYPE_DOUBLE, args[i]->type.nullable));
            TRYP(args[i]);
        }
        t = sl_type_make(SL_TYPE_DOUBLE, nullable);
        break;
    }
    *out = sl_expr_call(b, fn, t, a->pos, nargs, args);
    TRYP(*out);
    return 0;
}

static int sl_b_call(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *a,
                     struct sl_expr **out)
{
    if (a->right && !sl_is_agg_name(a->name))
        return sl_b_err(b, a->right->pos, "FILTER (WHERE ...) is only for aggregates, not %s",
                        a->name);
    const struct sl_udf *udf = sl_udf_find(b->job->udfs, a->name);
    if (udf && udf->system)
        return sl_b_udf_call(b, sc, a, udf, out);
    if (sl_is_agg_name(a->name)) {
        if (!sc->agg)
            return sl_b_err(b, a->pos, "aggregate function %s is not allowed in %s", a->name,
                            sc->clause);
        return sl_b_err(b, a->pos, "aggregate function %s cannot be nested in another", a->name);
    }
    int frc = sl_b_fn_time(b, sc, a, out);
    if (frc != 1)
        return frc;
    if (strcasecmp(a->name, "MOD") == 0) {
        if (a->args.n != 2)
            return sl_b_err(b, a->pos, "MOD takes 2 arguments, found %u", a->args.n);
        struct sl_expr *l, *r;
        TRY(sl_b_expr(b, sc, a->args.items[0], &l));
        TRY(sl_b_expr(b, sc, a->args.items[1], &r));
        return sl_b_arith(b, SL_FN_MOD, l, r, a->pos, out);
    }
    if (strcasecmp(a->name, "PROCTIME") == 0) {
        /* PROCTIME(): a processing-time attribute, Flink's TIMESTAMP_LTZ(3) *PROCTIME*
         * (engine/ops/op_proctime.h: the wall clock when the row's batch is evaluated) */
        if (a->args.n != 0)
            return sl_b_err(b, a->pos, "PROCTIME takes no arguments, found %u", a->args.n);
        struct sl_expr *none[1] = {NULL};
        *out = sl_expr_call(b, SL_FN_PROCTIME,
                            sl_type_logical(SL_TYPE_TIMESTAMP, SL_LOGICAL_LTZ, false), a->pos, 0,
                            none);
        TRYP(*out);
        return 0;
    }
    if (strcasecmp(a->name, "TO_TIMESTAMP_LTZ") == 0) {
        /* TO_TIMESTAMP_LTZ(epoch, 3 | 0): a TIMESTAMP_LTZ(3), as in Flink (the session time
         * zone is UTC in sluice) */
        if (a->args.n != 2 || a->args.items[1]->kind != SL_AST_INT ||
            (strcmp(a->args.items[1]->lit, "3") && strcmp(a->args.items[1]->lit, "0")))
            return sl_b_err(b, a->pos,
                            "TO_TIMESTAMP_LTZ takes an epoch number and its "
                            "precision, 3 (milliseconds) or 0 (seconds)");
        struct sl_expr *x;
        TRY(sl_b_expr(b, sc, a->args.items[0], &x));
        if (x->type.id != SL_TYPE_INT && x->type.id != SL_TYPE_BIGINT) {
            char t[64];
            sl_type_str(x->type, t, sizeof(t));
            return sl_b_err(b, a->args.items[0]->pos,
                            "TO_TIMESTAMP_LTZ needs an INT or "
                            "BIGINT epoch, found %s",
                            t);
        }
        x = sl_b_cast(b, x, sl_type_make(SL_TYPE_BIGINT, false));
        TRYP(x);
        if (!strcmp(a->args.items[1]->lit, "0")) {
            struct sl_expr *k =
                sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_BIGINT, false), a->pos);
            TRYP(k);
            k->lit.i = 1000;
            struct sl_expr *args[2] = {x, k};
            x = sl_expr_call(b, SL_FN_MUL, sl_type_make(SL_TYPE_BIGINT, x->type.nullable), a->pos,
                             2, args);
            TRYP(x);
        }
        *out = sl_expr_call(b, SL_FN_CAST,
                            sl_type_logical(SL_TYPE_TIMESTAMP, SL_LOGICAL_LTZ, x->type.nullable),
                            a->pos, 1, &x);
        TRYP(*out);
        return 0;
    }
    if (strcmp(a->name, "$ITEM") == 0 || strcasecmp(a->name, "CARDINALITY") == 0) {
        /* m[k] (Flink's ITEM: BYTES, NULL when the key is absent) and CARDINALITY(m) */
        bool item = a->name[0] == '$';
        if (a->args.n != (item ? 2u : 1u))
            return sl_b_err(b, a->pos, "CARDINALITY takes one argument, found %u", a->args.n);
        struct sl_expr *args[2];
        TRY(sl_b_expr(b, sc, a->args.items[0], &args[0]));
        if (!sl_type_is_map(args[0]->type)) {
            char t[64];
            sl_type_str(args[0]->type, t, sizeof(t));
            return sl_b_err(b, a->args.items[0]->pos, "%s needs a MAP<STRING, BYTES>, found %s",
                            item ? "item access [...]" : "CARDINALITY", t);
        }
        if (!item) {
            *out = sl_expr_call(b, SL_FN_CARDINALITY,
                                sl_type_make(SL_TYPE_INT, args[0]->type.nullable), a->pos, 1, args);
            TRYP(*out);
            return 0;
        }
        TRY(sl_b_expr(b, sc, a->args.items[1], &args[1]));
        if (sl_is_null_lit(args[1]))
            args[1]->type = sl_type_make(SL_TYPE_VARCHAR, true);
        if (!sl_type_is_string(args[1]->type)) {
            char t[64];
            sl_type_str(args[1]->type, t, sizeof(t));
            return sl_b_err(b, a->args.items[1]->pos,
                            "a MAP<STRING, BYTES> key is a STRING, "
                            "found %s",
                            t);
        }
        *out = sl_expr_call(b, SL_FN_ITEM, sl_type_logical(SL_TYPE_VARCHAR, SL_LOGICAL_BYTES, true),
                            a->pos, 2, args);
        TRYP(*out);
        return 0;
    }
    if (strcmp(a->name, "$MAP") == 0) {
        /* MAP[k1, v1, ...]: STRING keys, BYTES values (or NULL) */
        uint32_t na = a->args.n;
        if (na < 2 || na % 2)
            return sl_b_err(b, a->pos, "MAP[...] needs key, value pairs, found %u values", na);
        struct sl_expr **args = sl_b_alloc(b, na * sizeof(*args));
        TRYP(args);
        for (uint32_t i = 0; i < na; i++) {
            TRY(sl_b_expr(b, sc, a->args.items[i], &args[i]));
            bool key = i % 2 == 0;
            if (sl_is_null_lit(args[i]))
                args[i]->type = key ? sl_type_make(SL_TYPE_VARCHAR, true)
                                    : sl_type_logical(SL_TYPE_VARCHAR, SL_LOGICAL_BYTES, true);
            if (key ? !sl_type_is_string(args[i]->type) : !sl_type_is_bytes(args[i]->type)) {
                char t[64];
                sl_type_str(args[i]->type, t, sizeof(t));
                return sl_b_err(
                    b, a->args.items[i]->pos, "MAP[...] builds a MAP<STRING, BYTES>: %s %u is %s%s",
                    key ? "key" : "value", i / 2 + 1, t, key ? "" : " (CAST it AS BYTES)");
            }
        }
        *out = sl_expr_call(b, SL_FN_MAP, sl_type_logical(SL_TYPE_VARCHAR, SL_LOGICAL_MAP, false),
                            a->pos, na, args);
        TRYP(*out);
        return 0;
    }
    if (b->gwin) {
        int rc = sl_b_gwin_aux(b, sc, a, out);
        if (rc != 1)
            return rc;
    }
    int rs = sl_b_strfn(b, sc, a, out);
    if (rs != 1)
        return rs;
    if (udf)
        return sl_b_udf_call(b, sc, a, udf, out);
    static const char *const later[] = {"SESSION",      "TUMBLE",     "HOP",       "CUMULATE",
                                        "TUMBLE_START", "TUMBLE_END", "HOP_START", "HOP_END"};
    for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
        if (strcasecmp(a->name, later[i]) == 0)
            return sl_b_err(b, a->pos,
                            "%s() is a group window function: it belongs in GROUP BY (its "
                            "_START / _END / _ROWTIME functions in the select list of such a "
                            "query), or use the window table functions: FROM TABLE(%s(TABLE t, "
                            "DESCRIPTOR(col), ...))",
                            a->name, strncasecmp(a->name, "HOP", 3) == 0 ? "HOP" : "TUMBLE");
    return sl_b_err(b, a->pos, "function %s is not supported yet", a->name);
}

static int sl_b_expr_plain(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *a,
                           struct sl_expr **out)
{
    struct sl_expr *l = NULL, *r = NULL, *e;
    switch (a->kind) {
    case SL_AST_INT:
        return sl_b_int_lit(b, a, out);
    case SL_AST_DEC:
        return sl_b_dec_lit(b, a, out);
    case SL_AST_STR:
        e = sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_VARCHAR, false), a->pos);
        TRYP(e);
        e->lit.s = a->lit;
        e->lit.slen = (uint32_t)strlen(a->lit);
        *out = e;
        return 0;
    case SL_AST_BOOL:
        e = sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_BOOLEAN, false), a->pos);
        TRYP(e);
        e->lit.i = a->ival;
        *out = e;
        return 0;
    case SL_AST_NULL:
        e = sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_BOOLEAN, true), a->pos);
        TRYP(e);
        e->lit_null = true;
        *out = e;
        return 0;
    case SL_AST_INTERVAL:
        e = sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_BIGINT, false), a->pos);
        TRYP(e);
        e->lit.i = a->ival;
        e->interval = true;
        *out = e;
        return 0;
    case SL_AST_TS_LIT: {
        /* the rules of CAST(... AS TIMESTAMP(3)) and of the formats (engine/core/datetime.h);
         * an impossible date is an error here, when the statement is bound, as in Flink */
        int64_t ms;
        const char *why = NULL;
        if (sl_dt_parse(a->lit, strlen(a->lit), &ms, &why) != 0)
            return sl_b_err(b, a->pos, "invalid TIMESTAMP literal '%s': %s", a->lit, why);
        e = sl_expr_new(b, SL_EXPR_LIT, sl_type_make(SL_TYPE_TIMESTAMP, false), a->pos);
        TRYP(e);
        e->lit.i = ms;
        *out = e;
        return 0;
    }
    case SL_AST_COLUMN: {
        if (sc->agg) {
            char full[256];
            sl_join_path(a, 0, full, sizeof(full));
            return sl_b_err(b, a->pos,
                            "column '%s' is neither in GROUP BY nor in an aggregate "
                            "function",
                            full);
        }
        int col;
        TRY(sl_b_resolve(b, sc->rel, a, &col));
        *out = sl_expr_col(b, sc->rel, col, a->pos);
        TRYP(*out);
        return 0;
    }
    case SL_AST_STAR:
        return sl_b_err(b, a->pos, "'*' is only allowed in the select list and in COUNT(*)");
    case SL_AST_UNARY:
        TRY(sl_b_expr(b, sc, a->left, &l));
        if (a->op == SL_OP_PLUS) {
            if (!sl_is_numeric(l->type))
                return sl_b_err(b, a->pos, "unary '+' needs a number");
            *out = l;
            return 0;
        }
        if (a->op == SL_OP_NOT) {
            TRY(sl_b_need_bool(b, l, "NOT"));
            *out = sl_expr_call(b, SL_FN_NOT, l->type, a->pos, 1, &l);
            TRYP(*out);
            return 0;
        }
        if (!sl_is_numeric(l->type))
            return sl_b_err(b, a->pos, "unary '-' needs a number");
        if (l->kind == SL_EXPR_LIT && !l->lit_null && l->type.id != SL_TYPE_DOUBLE &&
            l->lit.i != INT64_MIN) {
            l->lit.i = -l->lit.i; /* fold negative literals */
            l->pos = a->pos;
            *out = l;
            return 0;
        }
        if (l->kind == SL_EXPR_LIT && !l->lit_null && l->type.id == SL_TYPE_DOUBLE) {
            l->lit.d = -l->lit.d;
            l->pos = a->pos;
            *out = l;
            return 0;
        }
        *out = sl_expr_call(b, SL_FN_NEG, l->type, a->pos, 1, &l);
        TRYP(*out);
        return 0;
    case SL_AST_BINARY: {
        TRY(sl_b_expr(b, sc, a->left, &l));
        TRY(sl_b_expr(b, sc, a->right, &r));
        switch (a->op) {
        case SL_OP_AND:
        case SL_OP_OR: {
            TRY(sl_b_need_bool(b, l, a->op == SL_OP_AND ? "AND" : "OR"));
            TRY(sl_b_need_bool(b, r, a->op == SL_OP_AND ? "AND" : "OR"));
            struct sl_expr *args[2] = {l, r};
            *out = sl_expr_call(b, a->op == SL_OP_AND ? SL_FN_AND : SL_FN_OR,
                                sl_type_make(SL_TYPE_BOOLEAN, l->type.nullable || r->type.nullable),
                                a->pos, 2, args);
            TRYP(*out);
            return 0;
        }
        case SL_OP_EQ:
            return sl_b_compare(b, SL_FN_EQ, l, r, a->pos, out);
        case SL_OP_NE:
            return sl_b_compare(b, SL_FN_NE, l, r, a->pos, out);
        case SL_OP_LT:
            return sl_b_compare(b, SL_FN_LT, l, r, a->pos, out);
        case SL_OP_LE:
            return sl_b_compare(b, SL_FN_LE, l, r, a->pos, out);
        case SL_OP_GT:
            return sl_b_compare(b, SL_FN_GT, l, r, a->pos, out);
        case SL_OP_GE:
            return sl_b_compare(b, SL_FN_GE, l, r, a->pos, out);
        case SL_OP_ADD:
            return sl_b_arith(b, SL_FN_ADD, l, r, a->pos, out);
        case SL_OP_SUB:
            return sl_b_arith(b, SL_FN_SUB, l, r, a->pos, out);
        case SL_OP_MUL:
            return sl_b_arith(b, SL_FN_MUL, l, r, a->pos, out);
        case SL_OP_DIV:
            return sl_b_arith(b, SL_FN_DIV, l, r, a->pos, out);
        case SL_OP_MOD:
            return sl_b_arith(b, SL_FN_MOD, l, r, a->pos, out);
        case SL_OP_CONCAT: {
            if (sl_is_null_lit(l))
                l->type = sl_type_make(SL_TYPE_VARCHAR, true);
            if (sl_is_null_lit(r))
                r->type = sl_type_make(SL_TYPE_VARCHAR, true);
            if (!sl_type_is_string(l->type) || !sl_type_is_string(r->type))
                return sl_b_err(b, a->pos,
                                "'||' needs two strings: CAST the other operand "
                                "to VARCHAR");
            struct sl_expr *args[2] = {l, r};
            *out = sl_expr_call(b, SL_FN_CONCAT,
                                sl_type_make(SL_TYPE_VARCHAR, l->type.nullable || r->type.nullable),
                                a->pos, 2, args);
            TRYP(*out);
            return 0;
        }
        default:
            return sl_b_err(b, a->pos, "unknown operator");
        }
    }
    case SL_AST_IS_NULL:
        TRY(sl_b_expr(b, sc, a->left, &l));
        *out = sl_expr_call(b, a->negated ? SL_FN_IS_NOT_NULL : SL_FN_IS_NULL,
                            sl_type_make(SL_TYPE_BOOLEAN, false), a->pos, 1, &l);
        TRYP(*out);
        return 0;
    case SL_AST_BETWEEN: {
        /* x BETWEEN lo AND hi  ==  x >= lo AND x <= hi  (NOT: x < lo OR x > hi) */
        struct sl_expr *x, *lo, *hi, *c1, *c2;
        TRY(sl_b_expr(b, sc, a->left, &x));
        TRY(sl_b_expr(b, sc, a->args.items[0], &lo));
        TRY(sl_b_expr(b, sc, a->args.items[1], &hi));
        TRY(sl_b_compare(b, a->negated ? SL_FN_LT : SL_FN_GE, x, lo, a->pos, &c1));
        TRY(sl_b_compare(b, a->negated ? SL_FN_GT : SL_FN_LE, x, hi, a->pos, &c2));
        struct sl_expr *args[2] = {c1, c2};
        *out = sl_expr_call(b, a->negated ? SL_FN_OR : SL_FN_AND,
                            sl_type_make(SL_TYPE_BOOLEAN, c1->type.nullable || c2->type.nullable),
                            a->pos, 2, args);
        TRYP(*out);
        return 0;
    }
    case SL_AST_IN: {
        uint32_t n = a->args.n + 1;
        struct sl_expr **args = sl_b_alloc(b, n * sizeof(*args));
        TRYP(args);
        TRY(sl_b_expr(b, sc, a->left, &args[0]));
        struct sl_type t = args[0]->type;
        bool nullable = t.nullable;
        for (uint32_t i = 1; i < n; i++) {
            TRY(sl_b_expr(b, sc, a->args.items[i - 1], &args[i]));
            if (sl_is_null_lit(args[i])) {
                nullable = true;
                continue;
            }
            if (!sl_common_type(t, args[i]->type, &t)) {
                char lt[64], rt[64];
                sl_type_str(args[0]->type, lt, sizeof(lt));
                sl_type_str(args[i]->type, rt, sizeof(rt));
                return sl_b_err(b, args[i]->pos,
                                "IN list value of type %s cannot be compared "
                                "with %s",
                                rt, lt);
            }
            nullable |= args[i]->type.nullable;
        }
        if (sl_type_is_map(t))
            return sl_b_err(b, a->pos, "MAP<STRING, BYTES> values cannot be compared");
        for (uint32_t i = 0; i < n; i++) {
            args[i] = sl_b_cast(b, args[i], t);
            TRYP(args[i]);
        }
        struct sl_expr *in =
            sl_expr_call(b, SL_FN_IN, sl_type_make(SL_TYPE_BOOLEAN, nullable), a->pos, n, args);
        TRYP(in);
        if (a->negated) {
            *out = sl_expr_call(b, SL_FN_NOT, in->type, a->pos, 1, &in);
            TRYP(*out);
        } else {
            *out = in;
        }
        return 0;
    }
    case SL_AST_LIKE: {
        TRY(sl_b_expr(b, sc, a->left, &l));
        TRY(sl_b_expr(b, sc, a->right, &r));
        if (!sl_type_is_string(l->type))
            return sl_b_err(b, a->left->pos, "LIKE needs a string on its left");
        if (r->kind != SL_EXPR_LIT || r->type.id != SL_TYPE_VARCHAR || r->lit_null)
            return sl_b_err(b, a->right->pos, "LIKE needs a constant string pattern");
        struct sl_expr *args[2] = {l, r};
        struct sl_expr *like = sl_expr_call(
            b, SL_FN_LIKE, sl_type_make(SL_TYPE_BOOLEAN, l->type.nullable), a->pos, 2, args);
        TRYP(like);
        if (a->negated) {
            *out = sl_expr_call(b, SL_FN_NOT, like->type, a->pos, 1, &like);
            TRYP(*out);
        } else {
            *out = like;
        }
        return 0;
    }
    case SL_AST_CASE:
        return sl_b_case(b, sc, a, out);
    case SL_AST_CAST: {
        TRY(sl_b_expr(b, sc, a->left, &l));
        if (a->type->is_row)
            return sl_b_err(b, a->type->pos, "CAST to ROW is not supported yet");
        struct sl_type t = a->type->scalar;
        if (!sl_is_null_lit(l) && !sl_castable(l->type, t)) {
            char lt[64], tt[64];
            sl_type_str(l->type, lt, sizeof(lt));
            sl_type_str(t, tt, sizeof(tt));
            return sl_b_err(b, a->pos, "cannot CAST %s to %s", lt, tt);
        }
        t.nullable = l->type.nullable || l->type.id == SL_TYPE_VARCHAR;
        if (sl_is_null_lit(l)) {
            /* CAST(NULL AS t): a typed NULL (a CAST node, so it is no bare NULL) */
            l->type = t;
            l->type.nullable = true;
            t.nullable = true;
            *out = sl_expr_call(b, SL_FN_CAST, t, a->pos, 1, &l);
            TRYP(*out);
            return 0;
        }
        if (sl_type_equal(l->type, t)) {
            *out = l;
            return 0;
        }
        *out = sl_expr_call(b, SL_FN_CAST, t, a->pos, 1, &l);
        TRYP(*out);
        return 0;
    }
    case SL_AST_CALL:
        return sl_b_call(b, sc, a, out);
    case SL_AST_OVER:
        return sl_b_err(b, a->pos,
                        "ROW_NUMBER() OVER (...) is supported as a whole item of a select list "
                        "only (in %s here), for Flink's Top-N and deduplication",
                        sc->clause);
    default:
        return sl_b_err(b, a->pos, "not an expression");
    }
}

static int sl_b_expr(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *a,
                     struct sl_expr **out)
{
    const struct sl_agg_scope *agg = sc->agg;
    if (agg) {
        /* an aggregate call: its output column */
        if (a->kind == SL_AST_CALL && sl_is_agg_name(a->name)) {
            for (uint32_t i = 0; i < agg->naggs; i++)
                if (agg->agg_asts[i] == a) {
                    const struct sl_rel *rel = sc->rel;
                    *out = sl_expr_col(b, rel, (int)(agg->nkeys + i), a->pos);
                    TRYP(*out);
                    return 0;
                }
            return sl_b_err(b, a->pos, "aggregate function %s is not allowed here", a->name);
        }
        /* an expression without aggregates that is a grouping key: the key's column */
        if (!sl_ast_has_agg(a) && a->kind != SL_AST_INT && a->kind != SL_AST_DEC &&
            a->kind != SL_AST_STR && a->kind != SL_AST_BOOL && a->kind != SL_AST_NULL &&
            a->kind != SL_AST_INTERVAL && a->kind != SL_AST_TS_LIT) {
            struct sl_scope pre = {agg->pre, NULL, sc->clause};
            struct sl_expr *e;
            TRY(sl_b_expr(b, &pre, a, &e));
            for (uint32_t k = 0; k < agg->nkeys; k++)
                if (sl_expr_equal(e, agg->keys[k])) {
                    *out = sl_expr_col(b, sc->rel, (int)k, a->pos);
                    TRYP(*out);
                    return 0;
                }
        }
    }
    return sl_b_expr_plain(b, sc, a, out);
}

/* ---- queries ------------------------------------------------------------------------------- */

static int sl_b_query(struct sl_binder *b, const struct sl_ast *q, struct sl_plan **out);

static struct sl_table *sl_b_find_table(struct sl_binder *b, const char *name)
{
    for (uint32_t i = 0; i < b->job->ntables; i++)
        if (strcmp(b->job->tables[i]->name, name) == 0)
            return b->job->tables[i];
    return NULL;
}

static struct sl_view *sl_b_find_view(struct sl_binder *b, const char *name)
{
    for (uint32_t i = 0; i < b->job->nviews; i++)
        if (strcmp(b->job->views[i].name, name) == 0)
            return &b->job->views[i];
    return NULL;
}

static int sl_b_unknown_table(struct sl_binder *b, const char *name, size_t pos)
{
    const char *best = NULL;
    unsigned best_d = 3;
    for (uint32_t i = 0; i < b->job->ntables; i++) {
        unsigned d = sl_edit_distance(b->job->tables[i]->name, name);
        if (d < best_d) {
            best_d = d;
            best = b->job->tables[i]->name;
        }
    }
    for (uint32_t i = 0; i < b->job->nviews; i++) {
        unsigned d = sl_edit_distance(b->job->views[i].name, name);
        if (d < best_d) {
            best_d = d;
            best = b->job->views[i].name;
        }
    }
    if (best)
        return sl_b_err(b, pos, "unknown table or view '%s' (did you mean '%s'?)", name, best);
    return sl_b_err(b, pos,
                    "unknown table or view '%s': declare it with CREATE TABLE or "
                    "CREATE VIEW before its use",
                    name);
}

/* A table's scan: physical columns, computed columns, watermark assignment. */
static int sl_b_scan(struct sl_binder *b, const struct sl_table *t, const char *qual, size_t pos,
                     struct sl_plan **out)
{
    struct sl_plan *scan = sl_plan_new(b, SL_PLAN_SCAN, NULL, pos);
    TRYP(scan);
    scan->scan.table = t;
    TRY(sl_rel_alloc(b, &scan->out, t->physical.ncols));
    memcpy(scan->out.cols, t->physical.cols, t->physical.ncols * sizeof(*scan->out.cols));
    sl_rel_requalify(&scan->out, qual);
    struct sl_plan *top = scan;
    if (t->ncomputed) {
        uint32_t n = t->physical.ncols + t->ncomputed;
        struct sl_plan *pr = sl_plan_new(b, SL_PLAN_PROJECT, scan, pos);
        TRYP(pr);
        pr->note = "computed columns";
        TRY(sl_rel_alloc(b, &pr->out, n));
        pr->project.nexprs = n;
        pr->project.exprs = sl_b_alloc(b, n * sizeof(*pr->project.exprs));
        TRYP(pr->project.exprs);
        for (uint32_t i = 0; i < t->physical.ncols; i++) {
            pr->out.cols[i] = scan->out.cols[i];
            pr->project.exprs[i] = sl_expr_col(b, &scan->out, (int)i, pos);
            TRYP(pr->project.exprs[i]);
        }
        for (uint32_t i = 0; i < t->ncomputed; i++) {
            pr->out.cols[t->physical.ncols + i] = t->computed_cols[i];
            pr->out.cols[t->physical.ncols + i].qual = qual;
            pr->project.exprs[t->physical.ncols + i] = t->computed[i];
        }
        top = pr;
    }
    if (t->rowtime >= 0) {
        struct sl_plan *wm = sl_plan_new(b, SL_PLAN_WATERMARK, top, pos);
        TRYP(wm);
        wm->out = top->out;
        wm->watermark.rowtime = t->rowtime;
        wm->watermark.delay_ms = t->wm_delay_ms;
        top = wm;
    }
    *out = top;
    return 0;
}

static int sl_b_window(struct sl_binder *b, const struct sl_ast *a, struct sl_plan **out)
{
    struct sl_plan *in;
    const struct sl_ast *tref = a->wtable;
    /* the windowed table: a table or a view */
    struct sl_table *t = sl_b_find_table(b, tref->table);
    if (t) {
        TRY(sl_b_scan(b, t, tref->table, tref->pos, &in));
    } else {
        struct sl_view *v = sl_b_find_view(b, tref->table);
        if (!v)
            return sl_b_unknown_table(b, tref->table, tref->pos);
        if (++b->view_depth > 32)
            return sl_b_err(b, tref->pos, "views nest deeper than 32 (a view that uses itself?)");
        TRY(sl_b_query(b, v->query, &in));
        b->view_depth--;
        sl_rel_requalify(&in->out, v->name);
    }
    const char *fn = a->func;
    sl_window_kind kind;
    if (strcasecmp(fn, "TUMBLE") == 0)
        kind = SL_WINDOW_TUMBLE;
    else if (strcasecmp(fn, "HOP") == 0)
        kind = SL_WINDOW_HOP;
    else if (strcasecmp(fn, "CUMULATE") == 0)
        kind = SL_WINDOW_CUMULATE;
    else
        kind = SL_WINDOW_SESSION;
    if (a->wpart.n && kind != SL_WINDOW_SESSION)
        return sl_b_err(b, a->wpart.items[0]->pos, "PARTITION BY is for SESSION windows only");
    /* the time attribute */
    struct sl_ast col = {
        .kind = SL_AST_COLUMN, .pos = a->pos, .npath = 1, .path = (const char **)&a->descriptor};
    int tc;
    TRY(sl_b_resolve(b, &in->out, &col, &tc));
    bool proctime = in->out.cols[tc].proctime && !in->out.cols[tc].rowtime;
    if (!in->out.cols[tc].rowtime && !proctime)
        return sl_b_err(b, a->pos,
                        "column '%s' is not a time attribute: window functions need "
                        "a column with a WATERMARK or a PROCTIME() (or derived from one "
                        "unchanged)",
                        a->descriptor);
    if (proctime) {
        /* a processing-time window: the wall clock is its watermark (op_proctime.h) */
        struct sl_plan *pw = sl_plan_new(b, SL_PLAN_WATERMARK, in, a->pos);
        TRYP(pw);
        pw->out = in->out;
        pw->watermark.rowtime = tc;
        pw->watermark.proctime = true;
        in = pw;
    }
    uint32_t want = kind == SL_WINDOW_TUMBLE || kind == SL_WINDOW_SESSION ? 1 : 2;
    if (kind == SL_WINDOW_SESSION && a->wargs.n != 1)
        return sl_b_err(b, a->pos,
                        "SESSION takes TABLE t [PARTITION BY k | (k1, ...)], DESCRIPTOR and a gap");
    if (a->wargs.n < want || a->wargs.n > want + 1)
        return sl_b_err(b, a->pos, "%s takes TABLE, DESCRIPTOR and %s%s", fn,
                        kind == SL_WINDOW_TUMBLE ? "a size"
                        : kind == SL_WINDOW_HOP  ? "a slide and a size"
                                                 : "a step and a size",
                        " (and an optional offset)");
    int64_t iv[3] = {0, 0, 0};
    for (uint32_t i = 0; i < a->wargs.n; i++) {
        const struct sl_ast *x = a->wargs.items[i];
        if (x->kind != SL_AST_INTERVAL)
            return sl_b_err(b, x->pos, "%s needs INTERVAL arguments here", fn);
        iv[i] = x->ival;
    }
    struct sl_plan *w = sl_plan_new(b, SL_PLAN_WINDOW, in, a->pos);
    TRYP(w);
    w->window.kind = kind;
    w->window.time_col = tc;
    if (kind == SL_WINDOW_TUMBLE || kind == SL_WINDOW_SESSION) {
        w->window.size_ms = w->window.slide_ms = iv[0];
        w->window.offset_ms = iv[1];
    } else {
        w->window.slide_ms = iv[0];
        w->window.size_ms = iv[1];
        w->window.offset_ms = iv[2];
    }
    if (w->window.size_ms <= 0 || w->window.slide_ms <= 0)
        return sl_b_err(b, a->pos, "window size and slide must be positive");
    if (kind == SL_WINDOW_SESSION) {
        w->window.npart = (int)a->wpart.n;
        int *pc = sl_b_alloc(b, (a->wpart.n + 1) * sizeof(*pc));
        TRYP(pc);
        for (uint32_t i = 0; i < a->wpart.n; i++) {
            if (a->wpart.items[i]->kind != SL_AST_COLUMN)
                return sl_b_err(b, a->wpart.items[i]->pos, "PARTITION BY takes columns");
            TRY(sl_b_resolve(b, &in->out, a->wpart.items[i], &pc[i]));
        }
        w->window.part = pc;
    }
    if (kind != SL_WINDOW_TUMBLE && w->window.size_ms % w->window.slide_ms != 0)
        return sl_b_err(b, a->wargs.items[1]->pos,
                        "%s size (%lld ms) must be a whole multiple of its %s (%lld ms)", fn,
                        (long long)w->window.size_ms, kind == SL_WINDOW_HOP ? "slide" : "step",
                        (long long)w->window.slide_ms);
    if (w->window.offset_ms >= w->window.slide_ms)
        return sl_b_err(b, a->pos, "window offset must be smaller than the %s",
                        kind == SL_WINDOW_TUMBLE ? "size"
                        : kind == SL_WINDOW_HOP  ? "slide"
                                                 : "step");
    uint32_t n = in->out.ncols + 3;
    TRY(sl_rel_alloc(b, &w->out, n));
    memcpy(w->out.cols, in->out.cols, in->out.ncols * sizeof(*w->out.cols));
    static const char *const names[3] = {"window_start", "window_end", "window_time"};
    for (int i = 0; i < 3; i++) {
        struct sl_rel_col *c = &w->out.cols[in->out.ncols + (uint32_t)i];
        c->name = names[i];
        c->qual = NULL;
        c->type = sl_type_make(SL_TYPE_TIMESTAMP, false);
        /* Flink: window_start and window_end are TIMESTAMP(3); window_time has the type of
         * the time attribute (TIMESTAMP_LTZ(3) on a TIMESTAMP_LTZ rowtime) */
        if (i == 2)
            c->type.logical = in->out.cols[tc].type.logical;
        c->rowtime = i == 2 && !proctime;
        c->proctime = i == 2 && proctime;
    }
    /* the input's time attribute stops being one after windowing (as in Flink) */
    w->out.cols[tc].rowtime = false;
    w->out.cols[tc].proctime = false;
    *out = w;
    return 0;
}

static int sl_b_from(struct sl_binder *b, const struct sl_ast *a, struct sl_plan **out);

/* ---- interval joins (engine/ops/op_ijoin.h) --------------------------------------------------
 * Flink's IntervalJoinUtil: among a join's conjuncts (columns of the join's output: the left's,
 * then the right's), a comparison (<, <=, >, >=) of a left and a right rowtime attribute, each
 * plus or minus a constant INTERVAL, bounds r.rt - l.rt from one side (a strict one 1 ms
 * inside); exactly one lower and one upper bound on one pair of time attributes make the join
 * an interval join (BETWEEN is such a pair). */

static uint32_t sl_b_conjuncts(struct sl_expr *e, struct sl_expr **out, uint32_t cap);

/* A time term: a column, or a column +- an INTERVAL constant (*off ms). */
static bool sl_b_time_term(const struct sl_expr *e, int *col, int64_t *off)
{
    *off = 0;
    if (e->kind == SL_EXPR_CALL && (e->fn == SL_FN_ADD || e->fn == SL_FN_SUB) && e->nargs == 2 &&
        e->args[1]->kind == SL_EXPR_LIT && e->args[1]->interval && !e->args[1]->lit_null) {
        *off = e->fn == SL_FN_ADD ? e->args[1]->lit.i : -e->args[1]->lit.i;
        e = e->args[0];
    }
    if (e->kind != SL_EXPR_COL)
        return false;
    *col = e->col;
    return true;
}

struct sl_b_ival {
    int ltime, rtime;  /* left input column, right input column */
    int64_t lo, hi;    /* r.rt - l.rt in [lo, hi] */
    uint32_t plo, phi; /* the conjuncts that gave them */
};

/* Whether parts[0..n) of join j (j->out's columns, nl of them the left's) hold an interval
 * condition (*iv). */
static bool sl_b_interval_find(const struct sl_plan *j, struct sl_expr *const *parts, uint32_t n,
                               struct sl_b_ival *iv)
{
    int nl = (int)j->input->out.ncols, nlo = 0, nhi = 0;
    *iv = (struct sl_b_ival){.ltime = -1, .rtime = -1};
    for (uint32_t i = 0; i < n; i++) {
        const struct sl_expr *e = parts[i];
        if (e->kind != SL_EXPR_CALL || e->nargs != 2 ||
            (e->fn != SL_FN_LT && e->fn != SL_FN_LE && e->fn != SL_FN_GT && e->fn != SL_FN_GE))
            continue;
        int ca, cb;
        int64_t oa, ob;
        if (!sl_b_time_term(e->args[0], &ca, &oa) || !sl_b_time_term(e->args[1], &cb, &ob))
            continue;
        /* a OP b with a on the left: l + oa OP r + ob  <=>  d = r - l  OP' oa - ob */
        bool left_first = ca < nl;
        int lc = left_first ? ca : cb, rc = (left_first ? cb : ca) - nl;
        if (lc >= nl || rc < 0 || !j->input->out.cols[lc].rowtime ||
            !j->join.right->out.cols[rc].rowtime)
            continue;
        if ((iv->ltime >= 0 && iv->ltime != lc) || (iv->rtime >= 0 && iv->rtime != rc))
            return false; /* bounds on more than one pair of time attributes */
        iv->ltime = lc;
        iv->rtime = rc;
        int64_t c = left_first ? oa - ob : ob - oa;
        sl_fn fn = e->fn;
        if (!left_first) /* r + oa OP l + ob  <=>  d OP ob - oa */
            fn = fn == SL_FN_LT   ? SL_FN_GT
                 : fn == SL_FN_LE ? SL_FN_GE
                 : fn == SL_FN_GT ? SL_FN_LT
                                  : SL_FN_LE;
        switch (fn) {
        case SL_FN_LE: /* d >= c */
            iv->lo = c, iv->plo = i, nlo++;
            break;
        case SL_FN_LT:
            iv->lo = c + 1, iv->plo = i, nlo++;
            break;
        case SL_FN_GE:
            iv->hi = c, iv->phi = i, nhi++;
            break;
        default: /* GT */
            iv->hi = c - 1, iv->phi = i, nhi++;
        }
    }
    return nlo == 1 && nhi == 1;
}

/* ---- regular joins of two streams (engine/ops/op_join.h) ------------------------------------
 * `a JOIN b ON ...`, `FROM a, b WHERE ...` and CROSS JOIN ... WHERE between two streams
 * (anything but a bounded table on the right, which stays a lookup join). The join node is
 * made here with its whole ON condition (join.cond); sl_b_joins (after the WHERE is bound)
 * takes a WHERE filter right above an inner join into it, moves the conjuncts that read one
 * side below the join (as Flink's FlinkFilterJoinRule), makes the equalities of a left and a
 * right column the keys, and refuses a join that has none. Output: the left's columns, then
 * the right's; time attributes become plain TIMESTAMPs (Flink materializes them in a regular
 * join, whose output has no watermark order). LEFT / RIGHT / FULL OUTER: the padded side's
 * columns become nullable; a WHERE stays above the join; of ON, the conditions on the
 * null-generating side alone go below it, the others besides the keys are its residual
 * condition (join.residual: they decide matching). */
static int sl_b_stream_join(struct sl_binder *b, const struct sl_ast *a, struct sl_plan **out)
{
    struct sl_plan *left, *right;
    TRY(sl_b_from(b, a->jleft, &left));
    TRY(sl_b_from(b, a->jright, &right));
    struct sl_plan *j = sl_plan_new(b, SL_PLAN_JOIN, left, a->pos);
    TRYP(j);
    j->join.right = right;
    uint32_t nl = left->out.ncols, n = nl + right->out.ncols;
    TRY(sl_rel_alloc(b, &j->out, n));
    memcpy(j->out.cols, left->out.cols, nl * sizeof(*j->out.cols));
    memcpy(j->out.cols + nl, right->out.cols, right->out.ncols * sizeof(*j->out.cols));
    for (uint32_t i = 0; i < n; i++) {
        j->out.cols[i].mtime |= j->out.cols[i].rowtime;
        j->out.cols[i].rowtime = j->out.cols[i].proctime = false;
    }
    j->join.type = a->join == SL_JOIN_LEFT    ? SL_PLAN_JOIN_LEFT
                   : a->join == SL_JOIN_RIGHT ? SL_PLAN_JOIN_RIGHT
                   : a->join == SL_JOIN_FULL  ? SL_PLAN_JOIN_FULL
                                              : SL_PLAN_JOIN_INNER;
    for (uint32_t i = 0; i < n; i++)
        if ((i < nl && j->join.type >= SL_PLAN_JOIN_RIGHT) ||
            (i >= nl && (j->join.type == SL_PLAN_JOIN_LEFT || j->join.type == SL_PLAN_JOIN_FULL)))
            j->out.cols[i].type.nullable = true;
    if (a->cond) {
        struct sl_scope sc = {&j->out, NULL, "a join condition"};
        TRY(sl_b_expr(b, &sc, a->cond, &j->join.cond));
        TRY(sl_b_need_bool(b, j->join.cond, "a join condition"));
        /* an interval join keeps both time attributes (Flink's RelTimeIndicatorConverter
         * materializes them for regular joins only); a comma join's WHERE comes later
         * (sl_b_join_keys), when what reads the join's output is bound already */
        struct sl_expr *parts[64];
        struct sl_b_ival iv;
        if (sl_b_interval_find(j, parts, sl_b_conjuncts(j->join.cond, parts, 64), &iv)) {
            if (a->join != SL_JOIN_INNER)
                return sl_b_err(b, a->pos,
                                "outer interval joins are not supported yet: sluice runs "
                                "interval joins (a time attribute of each side bounded by the "
                                "other's) as INNER JOIN only");
            j->out.cols[iv.ltime].rowtime = true;
            j->out.cols[nl + iv.rtime].rowtime = true;
        }
    }
    *out = j;
    return 0;
}

static int sl_b_join(struct sl_binder *b, const struct sl_ast *a, struct sl_plan **out)
{
    const struct sl_ast *r = a->jright;
    struct sl_table *bt = r->kind == SL_AST_TABLE_REF ? sl_b_find_table(b, r->table) : NULL;
    if (!bt || !bt->bounded || a->join == SL_JOIN_CROSS) /* FROM a, b: a regular join */
        return sl_b_stream_join(b, a, out);
    if (a->join == SL_JOIN_CROSS || a->join == SL_JOIN_RIGHT || a->join == SL_JOIN_FULL || !bt ||
        !bt->bounded)
        return sl_b_err(b, a->pos,
                        "this join is not supported yet: sluice joins a stream with a "
                        "bounded table ('connector' = 'filesystem') on one equality "
                        "key (INNER or LEFT JOIN ... ON s.k = t.k)");
    struct sl_plan *left;
    TRY(sl_b_from(b, a->jleft, &left));
    const char *rq = r->alias ? r->alias : r->table;
    struct sl_rel right = bt->physical;
    struct sl_rel rq_rel;
    TRY(sl_rel_alloc(b, &rq_rel, right.ncols));
    memcpy(rq_rel.cols, right.cols, right.ncols * sizeof(*right.cols));
    sl_rel_requalify(&rq_rel, rq);
    for (uint32_t i = 0; i < rq_rel.ncols; i++)
        rq_rel.cols[i].rowtime = false;
    struct sl_plan *j = sl_plan_new(b, SL_PLAN_LOOKUP_JOIN, left, a->pos);
    TRYP(j);
    j->lookup.table = bt;
    j->lookup.left_outer = a->join == SL_JOIN_LEFT;
    uint32_t n = left->out.ncols + rq_rel.ncols;
    TRY(sl_rel_alloc(b, &j->out, n));
    memcpy(j->out.cols, left->out.cols, left->out.ncols * sizeof(*j->out.cols));
    memcpy(j->out.cols + left->out.ncols, rq_rel.cols, rq_rel.ncols * sizeof(*j->out.cols));
    if (j->lookup.left_outer)
        for (uint32_t i = left->out.ncols; i < n; i++)
            j->out.cols[i].type.nullable = true;
    /* ON: one equality between a left and a right column; the rest filters after the join */
    const struct sl_ast *cond = a->cond;
    const struct sl_ast *eq = cond;
    const struct sl_ast *rest = NULL;
    if (cond->kind == SL_AST_BINARY && cond->op == SL_OP_AND) {
        eq = cond->left;
        rest = cond->right;
        while (eq->kind == SL_AST_BINARY && eq->op == SL_OP_AND) {
            /* left-deep ANDs: take the first equality */
            return sl_b_err(b, cond->pos,
                            "a lookup join condition is one equality "
                            "(s.k = t.k) optionally AND one more condition");
        }
    }
    if (r->systime) {
        /* FOR SYSTEM_TIME AS OF: processing time only (a lookup join reads the table as it
         * is; sluice's bounded tables never change, so every version is the same) */
        struct sl_scope ts = {&left->out, NULL, "FOR SYSTEM_TIME AS OF"};
        struct sl_expr *st;
        TRY(sl_b_expr(b, &ts, r->systime, &st));
        if (st->kind == SL_EXPR_COL && left->out.cols[st->col].rowtime)
            return sl_b_err(b, r->systime->pos,
                            "event-time temporal joins (FOR SYSTEM_TIME AS OF an event-time "
                            "attribute) are not supported yet; use a PROCTIME() attribute");
        if (st->kind != SL_EXPR_COL || !left->out.cols[st->col].proctime)
            return sl_b_err(b, r->systime->pos,
                            "FOR SYSTEM_TIME AS OF needs a processing-time attribute of the "
                            "left side (a column defined as PROCTIME())");
    }
    if (eq->kind != SL_AST_BINARY || eq->op != SL_OP_EQ)
        return sl_b_err(b, eq->pos,
                        "a lookup join needs an equality of a key of the stream (a column "
                        "or an expression) and a column of the table (s.k = t.k)");
    if (eq->left->kind != SL_AST_COLUMN || eq->right->kind != SL_AST_COLUMN) {
        /* the stream's key is an expression: computed by the join (plan lookup.probe_expr) */
        const struct sl_ast *pa = eq->left, *ba = eq->right;
        if (pa->kind == SL_AST_COLUMN && ba->kind != SL_AST_COLUMN) {
            pa = eq->right;
            ba = eq->left;
        }
        int bc;
        if (ba->kind != SL_AST_COLUMN)
            return sl_b_err(b, eq->pos,
                            "a lookup join needs a column of the table on one side of its "
                            "equality (s.k = t.k, or f(s.x) = t.k)");
        TRY(sl_b_resolve(b, &j->out, ba, &bc));
        if (bc < (int)left->out.ncols)
            return sl_b_err(b, ba->pos, "a lookup join needs one column of the table '%s' here",
                            rq);
        struct sl_scope ps = {&left->out, NULL, "a lookup join key"};
        struct sl_expr *pe;
        TRY(sl_b_expr(b, &ps, pa, &pe));
        struct sl_type bt_ = j->out.cols[bc].type;
        bool ints = (pe->type.id == SL_TYPE_INT || pe->type.id == SL_TYPE_BIGINT) &&
                    (bt_.id == SL_TYPE_INT || bt_.id == SL_TYPE_BIGINT);
        /* INT with BIGINT: both compare as 64-bit numbers (op_lookup.c), as Flink's
         * common type BIGINT would */
        if ((pe->type.id != bt_.id && !ints) || sl_type_is_map(pe->type) ||
            (pe->type.id == SL_TYPE_VARCHAR && pe->type.logical != bt_.logical)) {
            char lt[64], rt[64];
            sl_type_str(pe->type, lt, sizeof(lt));
            sl_type_str(bt_, rt, sizeof(rt));
            return sl_b_err(b, eq->pos, "join keys have different types %s and %s", lt, rt);
        }
        j->lookup.probe_col = -1;
        j->lookup.probe_expr = pe;
        j->lookup.build_col = bc - (int)left->out.ncols;
        goto rest;
    }
    int lc, rc;
    TRY(sl_b_resolve(b, &j->out, eq->left, &lc));
    TRY(sl_b_resolve(b, &j->out, eq->right, &rc));
    if (lc >= (int)left->out.ncols && rc < (int)left->out.ncols) {
        int tmp = lc;
        lc = rc;
        rc = tmp;
    }
    if (lc >= (int)left->out.ncols || rc < (int)left->out.ncols)
        return sl_b_err(b, eq->pos, "a lookup join needs one column from each side");
    struct sl_type ct;
    if (!sl_common_type(j->out.cols[lc].type, j->out.cols[rc].type, &ct) ||
        j->out.cols[lc].type.id != j->out.cols[rc].type.id || sl_type_is_map(ct)) {
        char lt[64], rt[64];
        sl_type_str(j->out.cols[lc].type, lt, sizeof(lt));
        sl_type_str(j->out.cols[rc].type, rt, sizeof(rt));
        return sl_b_err(b, eq->pos, "join keys have different types %s and %s", lt, rt);
    }
    j->lookup.probe_col = lc;
    j->lookup.build_col = rc - (int)left->out.ncols;
rest:;
    struct sl_plan *top = j;
    if (rest) {
        struct sl_scope sc = {&j->out, NULL, "a join condition"};
        struct sl_expr *pred;
        TRY(sl_b_expr(b, &sc, rest, &pred));
        TRY(sl_b_need_bool(b, pred, "a join condition"));
        struct sl_plan *f = sl_plan_new(b, SL_PLAN_FILTER, j, rest->pos);
        TRYP(f);
        f->out = j->out;
        f->filter.pred = pred;
        top = f;
    }
    *out = top;
    return 0;
}

static int sl_b_from(struct sl_binder *b, const struct sl_ast *a, struct sl_plan **out)
{
    struct sl_plan *p = NULL;
    switch (a->kind) {
    case SL_AST_TABLE_REF: {
        const char *qual = a->alias ? a->alias : a->table;
        if (a->systime)
            return sl_b_err(b, a->systime->pos,
                            "FOR SYSTEM_TIME AS OF belongs to the table on the right of a "
                            "lookup join (stream JOIN table FOR SYSTEM_TIME AS OF s.p ON ...)");
        struct sl_table *t = sl_b_find_table(b, a->table);
        if (t) {
            TRY(sl_b_scan(b, t, qual, a->pos, &p));
            break;
        }
        struct sl_view *v = sl_b_find_view(b, a->table);
        if (!v)
            return sl_b_unknown_table(b, a->table, a->pos);
        if (++b->view_depth > 32)
            return sl_b_err(b, a->pos, "views nest deeper than 32 (a view that uses itself?)");
        TRY(sl_b_query(b, v->query, &p));
        b->view_depth--;
        sl_rel_requalify(&p->out, qual);
        if (!p->note)
            p->note = v->name;
        break;
    }
    case SL_AST_SUBQUERY:
        TRY(sl_b_query(b, a->query, &p));
        sl_rel_requalify(&p->out, a->alias);
        break;
    case SL_AST_WINDOW:
        TRY(sl_b_window(b, a, &p));
        if (a->alias)
            sl_rel_requalify(&p->out, a->alias);
        break;
    case SL_AST_JOIN:
        TRY(sl_b_join(b, a, &p));
        break;
    default:
        return sl_b_err(b, a->pos, "not a table");
    }
    *out = p;
    return 0;
}

static int sl_b_collect_aggs(struct sl_binder *b, const struct sl_ast *a, struct sl_ast ***list,
                             uint32_t *n, uint32_t *cap)
{
    if (!a)
        return 0;
    if (a->kind == SL_AST_CALL && sl_is_agg_name(a->name)) {
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            struct sl_ast **nl = sl_b_alloc(b, *cap * sizeof(*nl));
            TRYP(nl);
            if (*n)
                memcpy(nl, *list, *n * sizeof(*nl));
            *list = nl;
        }
        (*list)[(*n)++] = (struct sl_ast *)a;
        return 0; /* nested aggregates are an error when the argument is bound */
    }
    for (uint32_t i = 0; i < a->args.n && (a->kind == SL_AST_CALL || a->kind == SL_AST_CASE ||
                                           a->kind == SL_AST_IN || a->kind == SL_AST_BETWEEN);
         i++)
        TRY(sl_b_collect_aggs(b, a->args.items[i], list, n, cap));
    if (a->kind == SL_AST_UNARY || a->kind == SL_AST_BINARY || a->kind == SL_AST_IS_NULL ||
        a->kind == SL_AST_LIKE || a->kind == SL_AST_CAST || a->kind == SL_AST_CASE ||
        a->kind == SL_AST_IN || a->kind == SL_AST_BETWEEN) {
        TRY(sl_b_collect_aggs(b, a->left, list, n, cap));
        TRY(sl_b_collect_aggs(b, a->right, list, n, cap));
    }
    return 0;
}

static const char *sl_b_item_name(struct sl_binder *b, const struct sl_ast *item, uint32_t i)
{
    if (item->alias)
        return item->alias;
    if (item->kind == SL_AST_COLUMN)
        return item->path[item->npath - 1];
    char buf[32];
    snprintf(buf, sizeof(buf), "EXPR$%u", i);
    return sl_b_strdup(b, buf);
}

/* ---- FILTER (WHERE ...) of aggregates ------------------------------------------------------ */

/* Whether two bound expressions are the same computation (so one FILTER column serves both). */
static bool sl_b_expr_same(const struct sl_expr *x, const struct sl_expr *y)
{
    if (x->kind != y->kind || !sl_type_equal(x->type, y->type) ||
        x->type.nullable != y->type.nullable)
        return false;
    switch (x->kind) {
    case SL_EXPR_COL:
        return x->col == y->col;
    case SL_EXPR_LIT:
        if (x->lit_null != y->lit_null || x->interval != y->interval)
            return false;
        if (x->lit_null)
            return true;
        if (x->type.id == SL_TYPE_VARCHAR)
            return x->lit.slen == y->lit.slen && memcmp(x->lit.s, y->lit.s, x->lit.slen) == 0;
        if (x->type.id == SL_TYPE_DOUBLE)
            return memcmp(&x->lit.d, &y->lit.d, sizeof(double)) == 0;
        return x->lit.i == y->lit.i;
    case SL_EXPR_CALL:
        if (x->fn != y->fn || x->nargs != y->nargs)
            return false;
        for (uint32_t i = 0; i < x->nargs; i++)
            if (!sl_b_expr_same(x->args[i], y->args[i]))
                return false;
        return true;
    }
    return false;
}

/* The FILTER (WHERE cond) of aggregate call c bound over the aggregation's input (*out NULL
 * without one): a BOOLEAN without aggregates (Flink: SqlValidator's "FILTER expression must
 * be of type BOOLEAN"). */
static int sl_b_agg_filter(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *c,
                           struct sl_expr **out)
{
    *out = NULL;
    if (!c->right)
        return 0;
    if (sl_ast_has_agg(c->right))
        return sl_b_err(b, c->right->pos, "aggregate functions are not allowed in FILTER");
    struct sl_scope fs = {sc->rel, NULL, "FILTER"};
    TRY(sl_b_expr(b, &fs, c->right, out));
    return sl_b_need_bool(b, *out, "FILTER");
}

/* Appends the distinct FILTER conditions to the pre-projection (from column *k on) and points
 * each aggregate's .filter at its column. */
static int sl_b_agg_filter_cols(struct sl_binder *b, struct sl_plan *pre, struct sl_expr **fins,
                                struct sl_agg *aggs, uint32_t naggs, uint32_t *k)
{
    uint32_t first = *k;
    for (uint32_t i = 0; i < naggs; i++) {
        aggs[i].filter = 0;
        if (!fins[i])
            continue;
        uint32_t j = first;
        while (j < *k && !sl_b_expr_same(pre->project.exprs[j], fins[i]))
            j++;
        if (j == *k) {
            pre->project.exprs[j] = fins[i];
            char buf[32];
            snprintf(buf, sizeof(buf), "FILTER$%u", j - first);
            pre->out.cols[j].name = sl_b_strdup(b, buf);
            TRYP(pre->out.cols[j].name);
            pre->out.cols[j].type = fins[i]->type;
            (*k)++;
        }
        aggs[i].filter = (int)j + 1;
    }
    return 0;
}

/* GROUP BY: pre-projection of keys and aggregate inputs, the aggregation, HAVING. */
static int sl_b_aggregate(struct sl_binder *b, const struct sl_ast *q, struct sl_plan *in,
                          struct sl_agg_scope *agg, struct sl_plan **out)
{
    const struct sl_ast_select *s = &q->select;
    struct sl_scope plain = {&in->out, NULL, "GROUP BY"};
    uint32_t nkeys = s->group_by.n;
    struct sl_ast **agg_asts = NULL;
    uint32_t naggs = 0, cap = 0;
    for (uint32_t i = 0; i < s->items.n; i++)
        TRY(sl_b_collect_aggs(b, s->items.items[i], &agg_asts, &naggs, &cap));
    TRY(sl_b_collect_aggs(b, s->having, &agg_asts, &naggs, &cap));
    for (uint32_t i = 0; i < nkeys; i++)
        if (sl_ast_has_agg(s->group_by.items[i]))
            return sl_b_err(b, s->group_by.items[i]->pos,
                            "aggregate functions are not allowed "
                            "in GROUP BY");
    /* keys and aggregate inputs, bound over the input */
    struct sl_expr **keys = sl_b_alloc(b, (nkeys ? nkeys : 1) * sizeof(*keys));
    struct sl_expr **ins = sl_b_alloc(b, (naggs ? naggs : 1) * sizeof(*ins));
    struct sl_agg *aggs = sl_b_alloc(b, (naggs ? naggs : 1) * sizeof(*aggs));
    struct sl_expr **fins = sl_b_alloc(b, (naggs ? naggs : 1) * sizeof(*fins));
    TRYP(keys && ins && aggs && fins);
    memset(fins, 0, (naggs ? naggs : 1) * sizeof(*fins));
    for (uint32_t i = 0; i < nkeys; i++) {
        TRY(sl_b_expr(b, &plain, s->group_by.items[i], &keys[i]));
        if (sl_type_is_map(keys[i]->type))
            return sl_b_err(b, s->group_by.items[i]->pos,
                            "GROUP BY a MAP<STRING, BYTES> is not supported");
    }
    struct sl_scope argscope = {&in->out, NULL, "an aggregate function's argument"};
    for (uint32_t i = 0; i < naggs; i++) {
        const struct sl_ast *c = agg_asts[i];
        const char *fn = c->name;
        struct sl_agg *g = &aggs[i];
        g->distinct = c->distinct;
        TRY(sl_b_agg_filter(b, &argscope, c, &fins[i]));
        if (c->star) {
            if (strcasecmp(fn, "COUNT") != 0)
                return sl_b_err(b, c->pos, "%s(*) is not valid; only COUNT(*)", fn);
            g->fn = SL_AGG_COUNT_STAR;
            g->col = -1;
            g->type = sl_type_make(SL_TYPE_BIGINT, false);
            ins[i] = NULL;
            continue;
        }
        if (c->args.n != 1)
            return sl_b_err(b, c->pos, "%s takes one argument, found %u", fn, c->args.n);
        TRY(sl_b_expr(b, &argscope, c->args.items[0], &ins[i]));
        struct sl_type t = ins[i]->type;
        if (strcasecmp(fn, "COUNT") == 0) {
            g->fn = SL_AGG_COUNT;
            g->type = sl_type_make(SL_TYPE_BIGINT, false);
            if (g->distinct && sl_type_is_map(t))
                return sl_b_err(b, c->pos, "COUNT(DISTINCT ...) of a MAP is not supported");
            continue;
        }
        if (strcasecmp(fn, "MIN") == 0 || strcasecmp(fn, "MAX") == 0) {
            g->fn = strcasecmp(fn, "MIN") == 0 ? SL_AGG_MIN : SL_AGG_MAX;
            if (t.id == SL_TYPE_BOOLEAN || sl_type_is_bytes(t) || sl_type_is_map(t)) {
                char tt[64];
                sl_type_str(t, tt, sizeof(tt));
                return sl_b_err(b, c->pos, "%s of %s is not supported yet", fn, tt);
            }
            g->type = t;
            g->type.nullable = true;
            g->distinct = false; /* MIN / MAX(DISTINCT x) = MIN / MAX(x) */
            continue;
        }
        if (!sl_is_numeric(t)) {
            char tt[64];
            sl_type_str(t, tt, sizeof(tt));
            return sl_b_err(b, c->args.items[0]->pos, "%s needs a number, found %s", fn, tt);
        }
        g->fn = strcasecmp(fn, "SUM") == 0 ? SL_AGG_SUM : SL_AGG_AVG;
        g->type = t;
        if (t.id == SL_TYPE_DECIMAL)
            g->type = sl_type_decimal(SL_DECIMAL_MAX_PRECISION,
                                      g->fn == SL_AGG_AVG && t.scale < 6 ? 6 : t.scale, true);
        g->type.nullable = true;
    }
    /* the pre-projection: keys then aggregate inputs */
    uint32_t npre = nkeys;
    for (uint32_t i = 0; i < naggs; i++)
        npre += (ins[i] != NULL) + (fins[i] != NULL);
    struct sl_plan *pre = sl_plan_new(b, SL_PLAN_PROJECT, in, q->pos);
    TRYP(pre);
    pre->note = "group keys and aggregate inputs";
    TRY(sl_rel_alloc(b, &pre->out, npre));
    pre->project.nexprs = npre;
    pre->project.exprs = sl_b_alloc(b, (npre ? npre : 1) * sizeof(*pre->project.exprs));
    TRYP(pre->project.exprs);
    int wstart = -1, wend = -1;
    for (uint32_t i = 0; i < nkeys; i++) {
        pre->project.exprs[i] = keys[i];
        struct sl_rel_col *c = &pre->out.cols[i];
        if (keys[i]->kind == SL_EXPR_COL) {
            *c = in->out.cols[keys[i]->col];
            if (strcmp(c->name, "window_start") == 0 && c->type.id == SL_TYPE_TIMESTAMP)
                wstart = (int)i;
            if (strcmp(c->name, "window_end") == 0 && c->type.id == SL_TYPE_TIMESTAMP)
                wend = (int)i;
        } else {
            char buf[32];
            snprintf(buf, sizeof(buf), "KEY$%u", i);
            c->name = sl_b_strdup(b, buf);
            TRYP(c->name);
            c->type = keys[i]->type;
        }
    }
    uint32_t k = nkeys;
    for (uint32_t i = 0; i < naggs; i++) {
        if (!ins[i])
            continue;
        pre->project.exprs[k] = ins[i];
        char buf[32];
        snprintf(buf, sizeof(buf), "AGGIN$%u", i);
        pre->out.cols[k].name = sl_b_strdup(b, buf);
        TRYP(pre->out.cols[k].name);
        pre->out.cols[k].type = ins[i]->type;
        aggs[i].col = (int)k++;
    }
    TRY(sl_b_agg_filter_cols(b, pre, fins, aggs, naggs, &k));
    pre->out.ncols = pre->project.nexprs = k;
    /* windowed or not */
    bool has_window = false;
    for (uint32_t i = 0; i < in->out.ncols; i++)
        if (strcmp(in->out.cols[i].name, "window_start") == 0)
            has_window = true;
    if ((wstart < 0 || wend < 0) && has_window)
        return sl_b_err(b, s->group_by.n ? s->group_by.items[0]->pos : q->pos,
                        "a window aggregation must GROUP BY both window_start and "
                        "window_end");
    /* a cascaded window aggregation: the keys hold the window columns of a window
     * aggregation below under other names (or window_start / window_end by name over one) */
    bool attached = sl_b_attached_window(in, keys, nkeys, &wstart, &wend);
    /* no window: an unbounded GROUP BY, whose result is a changelog (engine/ops/op_groupagg.h;
     * the sink's check is sl_b_changelog_check) */
    if (wstart < 0 || wend < 0)
        wstart = wend = -1;
    /* no keys and no window: Flink's global aggregate, one group (op_groupagg.c) */
    bool session = false;
    if (wstart >= 0)
        TRY(sl_b_session_check(b, s, in, keys, nkeys, wstart, wend, &session));
    struct sl_plan *ag = sl_plan_new(b, SL_PLAN_AGG, pre, q->pos);
    TRYP(ag);
    ag->agg.session = session;
    ag->agg.nkeys = nkeys;
    ag->agg.keys = sl_b_alloc(b, (nkeys ? nkeys : 1) * sizeof(int));
    TRYP(ag->agg.keys);
    for (uint32_t i = 0; i < nkeys; i++)
        ag->agg.keys[i] = (int)i;
    ag->agg.naggs = naggs;
    ag->agg.aggs = aggs;
    ag->agg.window_start = wstart;
    ag->agg.window_end = wend;
    ag->agg.attached = attached && wstart >= 0;
    TRY(sl_rel_alloc(b, &ag->out, nkeys + naggs));
    for (uint32_t i = 0; i < nkeys; i++) {
        ag->out.cols[i] = pre->out.cols[i];
        ag->out.cols[i].rowtime = false;
        ag->out.cols[i].proctime = false;
        ag->out.cols[i].mtime = false;
    }
    for (uint32_t i = 0; i < naggs; i++) {
        char buf[32];
        snprintf(buf, sizeof(buf), "AGG$%u", i);
        ag->out.cols[nkeys + i].name = sl_b_strdup(b, buf);
        TRYP(ag->out.cols[nkeys + i].name);
        ag->out.cols[nkeys + i].type = aggs[i].type;
    }
    TRY(sl_b_slice_fuse(b, ag));
    agg->pre = &in->out;
    agg->nkeys = nkeys;
    agg->keys = keys;
    agg->naggs = naggs;
    agg->agg_asts = agg_asts;
    struct sl_plan *top = ag;
    if (s->having) {
        struct sl_scope hs = {&ag->out, agg, "HAVING"};
        struct sl_expr *pred;
        TRY(sl_b_expr(b, &hs, s->having, &pred));
        TRY(sl_b_need_bool(b, pred, "HAVING"));
        struct sl_plan *f = sl_plan_new(b, SL_PLAN_FILTER, ag, s->having->pos);
        TRYP(f);
        f->out = ag->out;
        f->filter.pred = pred;
        top = f;
    }
    *out = top;
    return 0;
}

/* ---- window slicing ------------------------------------------------------------------------ */

/* Whether `e` reads a column at index >= from (a window column of the window node below). */
static bool sl_b_reads_from(const struct sl_expr *e, int from)
{
    if (e->kind == SL_EXPR_COL && e->col >= from)
        return true;
    for (uint32_t i = 0; i < e->nargs; i++)
        if (sl_b_reads_from(e->args[i], from))
            return true;
    return false;
}

/*
 * Window slicing (issue #13, Flink's slicing window operator): when the pre-projection of
 * window aggregation `ag` reads a HOP or CUMULATE window node directly and uses its window
 * columns only as the keys window_start and window_end (not window_time, not in another key,
 * aggregate input or FILTER), the window node goes: the pre-projection reads the window's
 * input, both keys become its rowtime, and ag->agg.slice tells the operator the window, which
 * assigns every row to its one slice (engine/ops/op_winagg.c). Anything else keeps the window
 * node (one copy of a row per window). A processing-time window keeps it too.
 */
static int sl_b_slice_fuse(struct sl_binder *b, struct sl_plan *ag)
{
    struct sl_plan *pre = ag->input;
    struct sl_plan *wn = pre ? pre->input : NULL;
    if (!pre || pre->kind != SL_PLAN_PROJECT || !wn || wn->kind != SL_PLAN_WINDOW ||
        (wn->window.kind != SL_WINDOW_HOP && wn->window.kind != SL_WINDOW_CUMULATE) ||
        ag->agg.session || ag->agg.window_start < 0 || ag->agg.window_end < 0)
        return 0;
    const struct sl_plan *src = wn->input;
    int nin = (int)src->out.ncols, tc = wn->window.time_col;
    int64_t size = wn->window.size_ms, slide = wn->window.slide_ms;
    if (tc < 0 || tc >= nin || !src->out.cols[tc].rowtime ||
        src->out.cols[tc].type.id != SL_TYPE_TIMESTAMP || size <= 0 || slide <= 0 ||
        size % slide != 0 || size / slide > (1 << 20))
        return 0;
    uint32_t ws = (uint32_t)ag->agg.window_start, we = (uint32_t)ag->agg.window_end;
    for (uint32_t i = 0; i < pre->project.nexprs; i++) {
        const struct sl_expr *e = pre->project.exprs[i];
        if (i == ws || i == we) {
            if (e->kind != SL_EXPR_COL || e->col != nin + (i == ws ? 0 : 1))
                return 0;
        } else if (sl_b_reads_from(e, nin)) {
            return 0;
        }
    }
    struct sl_expr **exprs = sl_b_alloc(b, pre->project.nexprs * sizeof(*exprs));
    struct sl_rel_col *cols = sl_b_alloc(b, pre->out.ncols * sizeof(*cols));
    TRYP(exprs);
    TRYP(cols);
    memcpy(exprs, pre->project.exprs, pre->project.nexprs * sizeof(*exprs));
    memcpy(cols, pre->out.cols, pre->out.ncols * sizeof(*cols));
    for (int k = 0; k < 2; k++) {
        uint32_t i = k ? we : ws;
        TRYP(exprs[i] = sl_expr_col(b, &src->out, tc, pre->project.exprs[i]->pos));
        cols[i].type = src->out.cols[tc].type;
        cols[i].rowtime = false;
    }
    pre->project.exprs = exprs;
    pre->out.cols = cols;
    pre->input = wn->input;
    pre->note = "group keys and aggregate inputs (window slicing: keys window_start and "
                "window_end hold the rowtime)";
    ag->agg.slice.kind = wn->window.kind;
    ag->agg.slice.size_ms = size;
    ag->agg.slice.slide_ms = slide;
    ag->agg.slice.offset_ms = wn->window.offset_ms;
    return 0;
}

/* ---- cascaded window aggregation ----------------------------------------------------------- */

/* The node whose window column input column `col` of `p` is, through projections of columns and
 * filters: a window aggregation (its key window_start or window_end) or a window table function
 * (its window_start or window_end); *which is 0 for the start, 1 for the end. NULL: none. */
static const struct sl_plan *sl_b_window_col(const struct sl_plan *p, int col, int *which)
{
    for (int depth = 0; p && depth < 256; depth++) {
        if (col < 0 || (uint32_t)col >= p->out.ncols)
            return NULL;
        switch (p->kind) {
        case SL_PLAN_PROJECT: {
            const struct sl_expr *e = p->project.exprs[col];
            if (e->kind != SL_EXPR_COL)
                return NULL;
            col = e->col;
            p = p->input;
            break;
        }
        case SL_PLAN_FILTER:
            p = p->input;
            break;
        case SL_PLAN_AGG:
            if (p->agg.window_start < 0 || p->agg.session)
                return NULL;
            if (col == p->agg.window_start || col == p->agg.window_end) {
                *which = col == p->agg.window_end;
                return p;
            }
            return NULL;
        case SL_PLAN_WINDOW: {
            int nin = (int)p->input->out.ncols;
            if (p->window.kind == SL_WINDOW_SESSION || (col != nin && col != nin + 1))
                return NULL;
            *which = col == nin + 1;
            return p;
        }
        default:
            return NULL;
        }
    }
    return NULL;
}

/*
 * Cascaded window aggregation (Flink's WindowAttachedWindowingStrategy): a GROUP BY over the
 * output of a window aggregation (insert-only: one final row per group and window) whose keys
 * include that aggregation's window_start and window_end, under any names, keeps its windows.
 * It is a window aggregation whose window comes from those two input columns (op_winagg.c takes
 * a row's window from its window_start / window_end columns), fired when the watermark passes
 * the window's end. Renamed window columns of a window table function make an ordinary window
 * aggregation the same way. Sets *wstart / *wend (key indexes) when they are not set by name
 * yet; returns whether the window comes from a window aggregation below (EXPLAIN: attached).
 */
static bool sl_b_attached_window(const struct sl_plan *in, struct sl_expr **keys, uint32_t nkeys,
                                 int *wstart, int *wend)
{
    const struct sl_plan *node[2] = {NULL, NULL};
    int at[2] = {-1, -1};
    for (uint32_t i = 0; i < nkeys; i++) {
        int which = 0;
        const struct sl_plan *w =
            keys[i]->kind == SL_EXPR_COL ? sl_b_window_col(in, keys[i]->col, &which) : NULL;
        if (!w || at[which] >= 0)
            continue;
        node[which] = w;
        at[which] = (int)i;
    }
    if (at[0] < 0 || at[1] < 0 || node[0] != node[1])
        return false;
    if (*wstart >= 0 && *wend >= 0) /* by name: the same columns, or not a cascade */
        return *wstart == at[0] && *wend == at[1] && node[0]->kind == SL_PLAN_AGG;
    if (*wstart >= 0 || *wend >= 0)
        return false;
    *wstart = at[0];
    *wend = at[1];
    return node[0]->kind == SL_PLAN_AGG;
}

/* ---- group windows and SESSION windows ------------------------------------------------------ */

/* The window node that `p` reads through filters and projections, or NULL. */
static const struct sl_plan *sl_b_window_below(const struct sl_plan *p)
{
    while (p && (p->kind == SL_PLAN_FILTER || p->kind == SL_PLAN_PROJECT))
        p = p->input;
    return p && p->kind == SL_PLAN_WINDOW ? p : NULL;
}

/* An aggregation over SESSION windows merges them per key: its keys besides window_start and
 * window_end must be the PARTITION BY columns (a group window's are its GROUP BY keys). */
static int sl_b_session_check(struct sl_binder *b, const struct sl_ast_select *s,
                              const struct sl_plan *in, struct sl_expr **keys, uint32_t nkeys,
                              int wstart, int wend, bool *session)
{
    const struct sl_plan *wn = sl_b_window_below(in);
    *session = wn && wn->window.kind == SL_WINDOW_SESSION;
    if (!*session || wn->window.npart < 0)
        return 0;
    uint32_t nother = 0;
    bool ok = true;
    for (uint32_t i = 0; i < nkeys; i++) {
        if ((int)i == wstart || (int)i == wend)
            continue;
        nother++;
        bool found = false;
        for (int j = 0; j < wn->window.npart && keys[i]->kind == SL_EXPR_COL; j++)
            found |= strcmp(in->out.cols[keys[i]->col].name,
                            wn->input->out.cols[wn->window.part[j]].name) == 0;
        ok &= found;
    }
    if (!ok || nother != (uint32_t)wn->window.npart)
        return sl_b_err(b, s->group_by.n ? s->group_by.items[0]->pos : wn->pos,
                        "an aggregation over SESSION windows must GROUP BY window_start, "
                        "window_end and exactly the window's PARTITION BY columns (%d of them)",
                        wn->window.npart);
    return 0;
}

static bool sl_b_is_gwin_call(const struct sl_ast *a)
{
    return a->kind == SL_AST_CALL && !a->star &&
           (strcasecmp(a->name, "TUMBLE") == 0 || strcasecmp(a->name, "HOP") == 0 ||
            strcasecmp(a->name, "SESSION") == 0);
}

static struct sl_ast *sl_b_col_ast(struct sl_binder *b, const char *name, size_t pos)
{
    struct sl_ast *c = sl_b_alloc(b, sizeof(*c));
    const char **path = sl_b_alloc(b, sizeof(*path));
    if (!c || !path)
        return NULL;
    memset(c, 0, sizeof(*c));
    c->kind = SL_AST_COLUMN;
    c->pos = pos;
    path[0] = name;
    c->npath = 1;
    c->path = path;
    return c;
}

/*
 * GROUP BY ..., TUMBLE(ts, size) | HOP(ts, slide, size) | SESSION(ts, gap) (Flink's group window
 * aggregation): the window node of that kind over *p, and in *q2 a copy of q whose GROUP BY has
 * window_start, window_end in place of the call; *qa is q2 then, else q (no group window).
 */
static int sl_b_group_window(struct sl_binder *b, const struct sl_ast *q, struct sl_plan **p,
                             struct sl_ast *q2, const struct sl_ast **qa, struct sl_b_gwin *gw)
{
    const struct sl_ast_select *s = &q->select;
    *qa = q;
    int gi = -1;
    for (uint32_t i = 0; i < s->group_by.n; i++) {
        if (!sl_b_is_gwin_call(s->group_by.items[i]))
            continue;
        if (gi >= 0)
            return sl_b_err(b, s->group_by.items[i]->pos, "GROUP BY has more than one window");
        gi = (int)i;
    }
    if (gi < 0)
        return 0;
    const struct sl_ast *c = s->group_by.items[gi];
    sl_window_kind kind = strcasecmp(c->name, "TUMBLE") == 0 ? SL_WINDOW_TUMBLE
                          : strcasecmp(c->name, "HOP") == 0  ? SL_WINDOW_HOP
                                                             : SL_WINDOW_SESSION;
    uint32_t want = kind == SL_WINDOW_HOP ? 3 : 2;
    if (c->args.n != want || c->args.items[0]->kind != SL_AST_COLUMN)
        return sl_b_err(b, c->pos, "%s takes a time attribute column and %s", c->name,
                        kind == SL_WINDOW_TUMBLE ? "a size"
                        : kind == SL_WINDOW_HOP  ? "a slide and a size"
                                                 : "a gap");
    int tc;
    TRY(sl_b_resolve(b, &(*p)->out, c->args.items[0], &tc));
    if (!(*p)->out.cols[tc].rowtime)
        return sl_b_err(b, c->args.items[0]->pos,
                        "column '%s' is not a time attribute: %s needs a column with a "
                        "WATERMARK (or derived from one unchanged)",
                        (*p)->out.cols[tc].name, c->name);
    int64_t iv[2] = {0, 0};
    for (uint32_t i = 1; i < want; i++) {
        const struct sl_ast *x = c->args.items[i];
        if (x->kind != SL_AST_INTERVAL)
            return sl_b_err(b, x->pos, "%s needs INTERVAL arguments here", c->name);
        if (x->ival <= 0)
            return sl_b_err(b, x->pos, "%s: the interval must be positive", c->name);
        iv[i - 1] = x->ival;
    }
    struct sl_plan *in = *p;
    struct sl_plan *w = sl_plan_new(b, SL_PLAN_WINDOW, in, c->pos);
    TRYP(w);
    w->window.kind = kind;
    w->window.time_col = tc;
    w->window.slide_ms = iv[0];
    w->window.size_ms = kind == SL_WINDOW_HOP ? iv[1] : iv[0];
    w->window.npart = -1;
    if (kind == SL_WINDOW_HOP && w->window.size_ms % w->window.slide_ms != 0)
        return sl_b_err(b, c->args.items[2]->pos,
                        "HOP size (%lld ms) must be a whole multiple of its slide (%lld ms)",
                        (long long)w->window.size_ms, (long long)w->window.slide_ms);
    uint32_t n = in->out.ncols + 3;
    TRY(sl_rel_alloc(b, &w->out, n));
    memcpy(w->out.cols, in->out.cols, in->out.ncols * sizeof(*w->out.cols));
    static const char *const names[3] = {"window_start", "window_end", "window_time"};
    for (int i = 0; i < 3; i++) {
        struct sl_rel_col *col = &w->out.cols[in->out.ncols + (uint32_t)i];
        col->name = names[i];
        col->qual = NULL;
        col->type = sl_type_make(SL_TYPE_TIMESTAMP, false);
        if (i == 2)
            col->type.logical = in->out.cols[tc].type.logical;
        col->rowtime = i == 2;
    }
    w->out.cols[tc].rowtime = false;
    /* GROUP BY: the other items, then window_start, window_end */
    struct sl_ast **items = sl_b_alloc(b, (s->group_by.n + 1) * sizeof(*items));
    TRYP(items);
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->group_by.n; i++)
        if ((int)i != gi)
            items[k++] = s->group_by.items[i];
    TRYP(items[k++] = sl_b_col_ast(b, "window_start", c->pos));
    TRYP(items[k++] = sl_b_col_ast(b, "window_end", c->pos));
    *q2 = *q;
    q2->select.group_by.items = items;
    q2->select.group_by.n = k;
    *qa = q2;
    *p = w;
    gw->func = c->name;
    gw->call = c;
    return 0;
}

/* Returns 1 when `a` is not an auxiliary function of the group window b->gwin; else binds it:
 * <F>_START -> window_start, <F>_END -> window_end, <F>_ROWTIME -> window_end - 1 ms (Flink's
 * rowtime of a group window; sluice's is a plain TIMESTAMP(3) here, not a time attribute). */
static int sl_b_gwin_aux(struct sl_binder *b, const struct sl_scope *sc, const struct sl_ast *a,
                         struct sl_expr **out)
{
    const struct sl_b_gwin *gw = b->gwin;
    size_t fl = strlen(gw->func);
    if (strncasecmp(a->name, gw->func, fl) != 0 || a->name[fl] != '_')
        return 1;
    const char *suffix = a->name + fl + 1;
    int which = strcasecmp(suffix, "START") == 0     ? 0
                : strcasecmp(suffix, "END") == 0     ? 1
                : strcasecmp(suffix, "ROWTIME") == 0 ? 2
                                                     : -1;
    if (which < 0)
        return 1;
    const struct sl_ast *c = gw->call;
    bool same = a->args.n == c->args.n && a->args.n > 0 &&
                a->args.items[0]->kind == SL_AST_COLUMN &&
                a->args.items[0]->npath == c->args.items[0]->npath;
    for (uint32_t i = 0; same && i < a->args.items[0]->npath; i++)
        same = strcmp(a->args.items[0]->path[i], c->args.items[0]->path[i]) == 0;
    for (uint32_t i = 1; same && i < a->args.n; i++)
        same = a->args.items[i]->kind == SL_AST_INTERVAL &&
               a->args.items[i]->ival == c->args.items[i]->ival;
    if (!same)
        return sl_b_err(b, a->pos, "%s needs the arguments of the GROUP BY's %s(...)", a->name,
                        c->name);
    struct sl_ast *col = sl_b_col_ast(b, which == 0 ? "window_start" : "window_end", a->pos);
    TRYP(col);
    if (which < 2)
        return sl_b_expr(b, sc, col, out);
    struct sl_ast *one = sl_b_alloc(b, sizeof(*one)), *minus = sl_b_alloc(b, sizeof(*minus));
    TRYP(one && minus);
    memset(one, 0, sizeof(*one));
    one->kind = SL_AST_INTERVAL;
    one->pos = a->pos;
    one->ival = 1;
    memset(minus, 0, sizeof(*minus));
    minus->kind = SL_AST_BINARY;
    minus->pos = a->pos;
    minus->op = SL_OP_SUB;
    minus->left = col;
    minus->right = one;
    return sl_b_expr(b, sc, minus, out);
}

/* ---- ROW_NUMBER() OVER: Top-N and deduplication (engine/plan/plan.h, SL_PLAN_RANK) ----------
 * As Flink's planner: the select list of a query block holds ROW_NUMBER() OVER (PARTITION BY
 * ... ORDER BY ...) as a whole item; it becomes a Rank node over the block's FROM / WHERE
 * (its columns, then the row number), and the select list reads the row number as a column.
 * The query that selects from that block must filter on the row number (Flink's
 * RankUtil.extractRankRange): conjuncts rn <= N, rn < N, rn = N, rn >= M, rn > M (either side)
 * give the range [M, N]; other conjuncts stay a filter above. Without an upper bound, or with
 * rn in any other condition, the query is refused (Flink would plan an OVER aggregation,
 * which sluice does not run). When nothing above reads the row number, the Rank leaves it out
 * (Flink's outputRankNumber = false), and with the range [1, 1] and a single time attribute
 * as the ORDER BY it is a deduplication (Flink's RankUtil.canConvertToDeduplicate). */

static uint32_t sl_b_conjuncts(struct sl_expr *e, struct sl_expr **out, uint32_t cap);
static struct sl_expr *sl_b_and(struct sl_binder *b, struct sl_expr **e, uint32_t n);

/* A Rank under `p` whose range no WHERE gave: refused (Flink plans an OVER aggregation). */
static int sl_b_rank_check(struct sl_binder *b, const struct sl_plan *p)
{
    for (; p; p = p->input)
        if (p->kind == SL_PLAN_RANK && p->rank.end == 0)
            return sl_b_err(b, p->pos,
                            "ROW_NUMBER() OVER needs the query that selects from it to filter "
                            "on the row number (WHERE rn <= N: Flink's Top-N); an OVER "
                            "aggregation is not supported");
    return 0;
}

/* The OVER item of a select list (NULL when none): SL_EPARSE for two. */
static int sl_b_over_item(struct sl_binder *b, const struct sl_ast_select *s,
                          const struct sl_ast **out, uint32_t *index)
{
    *out = NULL;
    for (uint32_t i = 0; i < s->items.n; i++) {
        if (s->items.items[i]->kind != SL_AST_OVER ||
            strcasecmp(s->items.items[i]->over.call->name, "ROW_NUMBER") != 0)
            continue;
        if (*out)
            return sl_b_err(b, s->items.items[i]->pos,
                            "a second ROW_NUMBER() OVER in one select list is not supported");
        *out = s->items.items[i];
        *index = i;
    }
    return 0;
}

/* The column an OVER's PARTITION BY / ORDER BY item names, in `rel`. */
static int sl_b_over_col(struct sl_binder *b, const struct sl_rel *rel, const struct sl_ast *a,
                         const char *clause, int *col)
{
    struct sl_scope sc = {rel, NULL, clause};
    struct sl_expr *e;
    TRY(sl_b_expr(b, &sc, a, &e));
    if (e->kind != SL_EXPR_COL)
        return sl_b_err(b, a->pos,
                        "the %s of ROW_NUMBER() OVER takes columns only yet (compute the "
                        "expression in a subquery)",
                        clause);
    sl_type_id t = (sl_type_id)e->type.id;
    if (sl_type_is_map(e->type) || t >= SL_TYPE_COUNT)
        return sl_b_err(b, a->pos, "the %s of ROW_NUMBER() OVER: column '%s' of type MAP", clause,
                        rel->cols[e->col].name);
    *col = e->col;
    return 0;
}

/* The block's OVER item over *p: a Rank node (range not known yet) whose last column is the
 * row number, *rn_col. *rn_col -1 when the block has none. */
static int sl_b_rank_node(struct sl_binder *b, const struct sl_ast *q, bool aggregating,
                          struct sl_plan **p, int *rn_col)
{
    const struct sl_ast *it;
    uint32_t idx = 0;
    *rn_col = -1;
    TRY(sl_b_over_item(b, &q->select, &it, &idx));
    if (!it)
        return 0;
    if (aggregating)
        return sl_b_err(b, it->pos,
                        "ROW_NUMBER() OVER in a block with GROUP BY or aggregates is not "
                        "supported yet: rank the aggregation's result in an outer query "
                        "(a Top-N over a GROUP BY)");
    const struct sl_rel *in = &(*p)->out;
    struct sl_plan *r = sl_plan_new(b, SL_PLAN_RANK, *p, it->pos);
    TRYP(r);
    uint32_t np = it->over.part.n, no = it->over.order.n;
    int *part = sl_b_alloc(b, (np ? np : 1) * sizeof(*part));
    int *order = sl_b_alloc(b, no * sizeof(*order));
    bool *desc = sl_b_alloc(b, no * sizeof(*desc));
    bool *nf = sl_b_alloc(b, no * sizeof(*nf));
    TRYP(part && order && desc && nf);
    for (uint32_t i = 0; i < np; i++)
        TRY(sl_b_over_col(b, in, it->over.part.items[i], "PARTITION BY", &part[i]));
    for (uint32_t i = 0; i < no; i++) {
        TRY(sl_b_over_col(b, in, it->over.order.items[i], "ORDER BY", &order[i]));
        desc[i] = it->over.desc[i];
        /* Flink's default null collation is LOW: NULLs sort first ascending, last descending */
        nf[i] = it->over.nulls[i] ? it->over.nulls[i] == 1 : !desc[i];
    }
    r->rank.npart = np;
    r->rank.part = part;
    r->rank.norder = no;
    r->rank.order = order;
    r->rank.desc = desc;
    r->rank.nulls_first = nf;
    r->rank.row_number = true;
    TRY(sl_rel_alloc(b, &r->out, in->ncols + 1));
    memcpy(r->out.cols, in->cols, in->ncols * sizeof(*in->cols));
    struct sl_rel_col *c = &r->out.cols[in->ncols];
    memset(c, 0, sizeof(*c));
    c->name = sl_b_item_name(b, it, idx);
    TRYP(c->name);
    c->type = sl_type_make(SL_TYPE_BIGINT, false);
    *rn_col = (int)in->ncols;
    *p = r;
    return 0;
}

/* The Rank whose row number is column `col` of `p`'s output, through projections that pass
 * it on (NULL when there is none or its range is known already). */
static struct sl_plan *sl_b_rank_below(struct sl_plan *p, int col)
{
    for (int depth = 0; p && depth < 8; depth++) {
        if (p->kind == SL_PLAN_RANK)
            return p->rank.end == 0 && col == (int)p->out.ncols - 1 ? p : NULL;
        if (p->kind == SL_PLAN_PROJECT) {
            const struct sl_expr *e = p->project.exprs[col];
            if (e->kind != SL_EXPR_COL)
                return NULL;
            col = e->col;
        } else if (p->kind != SL_PLAN_FILTER) {
            return NULL;
        }
        p = p->input;
    }
    return NULL;
}

/* A pending Rank (range unknown) at the top of `p`, through projections and filters. */
static struct sl_plan *sl_b_rank_pending(struct sl_plan *p)
{
    for (uint32_t c = 0; p && c < p->out.ncols; c++) {
        struct sl_plan *r = sl_b_rank_below(p, (int)c);
        if (r)
            return r;
    }
    return NULL;
}

static bool sl_b_expr_reads(const struct sl_expr *e, int col)
{
    if (e->kind == SL_EXPR_COL)
        return e->col == col;
    for (uint32_t i = 0; e->kind == SL_EXPR_CALL && i < e->nargs; i++)
        if (sl_b_expr_reads(e->args[i], col))
            return true;
    return false;
}

/* An integer constant (maybe cast): *v. */
static bool sl_b_int_const(const struct sl_expr *e, int64_t *v)
{
    while (e->kind == SL_EXPR_CALL && e->fn == SL_FN_CAST && e->nargs == 1)
        e = e->args[0];
    if (e->kind != SL_EXPR_LIT || e->lit_null || e->interval ||
        (e->type.id != SL_TYPE_INT && e->type.id != SL_TYPE_BIGINT) || e->type.scale)
        return false;
    *v = e->lit.i;
    return true;
}

/* Folds one conjunct on the row number (column `rn`) into [*lo, *hi]; false when it is not
 * such a comparison with a constant. */
static bool sl_b_rank_bound(const struct sl_expr *e, int rn, int64_t *lo, int64_t *hi)
{
    if (e->kind != SL_EXPR_CALL || e->nargs != 2)
        return false;
    sl_fn fn = e->fn;
    const struct sl_expr *l = e->args[0], *r = e->args[1];
    int64_t v;
    if (r->kind == SL_EXPR_COL && r->col == rn) { /* c op rn -> rn op' c */
        const struct sl_expr *t = l;
        l = r;
        r = t;
        fn = fn == SL_FN_LT   ? SL_FN_GT
             : fn == SL_FN_LE ? SL_FN_GE
             : fn == SL_FN_GT ? SL_FN_LT
             : fn == SL_FN_GE ? SL_FN_LE
                              : fn;
    }
    if (l->kind != SL_EXPR_COL || l->col != rn || !sl_b_int_const(r, &v))
        return false;
    switch (fn) {
    case SL_FN_LE:
        *hi = v < *hi ? v : *hi;
        return true;
    case SL_FN_LT:
        *hi = v - 1 < *hi ? v - 1 : *hi;
        return true;
    case SL_FN_EQ:
        *hi = v < *hi ? v : *hi;
        *lo = v > *lo ? v : *lo;
        return true;
    case SL_FN_GE:
        *lo = v > *lo ? v : *lo;
        return true;
    case SL_FN_GT:
        *lo = v + 1 > *lo ? v + 1 : *lo;
        return true;
    default:
        return false;
    }
}

#define SL_B_RANK_MAX 100000 /* rows per partition a Top-N keeps at most */

/* The WHERE `f` (a filter over a block with a pending Rank): the Rank's range from the
 * conjuncts on its row number; f keeps the others, or is replaced by its input (*p). */
static int sl_b_rank_where(struct sl_binder *b, struct sl_plan **p, struct sl_plan **rank)
{
    struct sl_plan *f = *p;
    *rank = NULL;
    if (f->kind != SL_PLAN_FILTER)
        return 0;
    int rn = -1;
    struct sl_plan *r = NULL;
    for (uint32_t c = 0; !r && c < f->input->out.ncols; c++)
        if ((r = sl_b_rank_below(f->input, (int)c)) != NULL)
            rn = (int)c;
    if (!r)
        return 0;
    struct sl_expr *parts[64], *keep[64];
    uint32_t n = sl_b_conjuncts(f->filter.pred, parts, 64), nk = 0;
    int64_t lo = 1, hi = INT64_MAX;
    bool any = false;
    for (uint32_t i = 0; i < n; i++) {
        if (!sl_b_expr_reads(parts[i], rn)) {
            keep[nk++] = parts[i];
            continue;
        }
        if (!sl_b_rank_bound(parts[i], rn, &lo, &hi))
            return sl_b_err(b, parts[i]->pos,
                            "a condition on the row number '%s' of ROW_NUMBER() OVER that is "
                            "not supported: write %s <= N (or < N, = N, >= M, > M with constants, "
                            "joined by AND) for Flink's Top-N",
                            f->input->out.cols[rn].name, f->input->out.cols[rn].name);
        any = true;
    }
    if (!any || hi == INT64_MAX)
        return sl_b_err(b, f->pos,
                        "ROW_NUMBER() OVER needs an upper bound on '%s' in this WHERE (%s <= N: "
                        "Flink's Top-N); an OVER aggregation without one is not supported",
                        f->input->out.cols[rn].name, f->input->out.cols[rn].name);
    if (lo > hi)
        return sl_b_err(b, f->pos, "the condition on '%s' selects no row number (%lld > %lld)",
                        f->input->out.cols[rn].name, (long long)lo, (long long)hi);
    if (hi > SL_B_RANK_MAX)
        return sl_b_err(b, f->pos,
                        "a Top-N of %lld rows per partition: sluice keeps at most %d (state "
                        "grows with it)",
                        (long long)hi, SL_B_RANK_MAX);
    r->rank.start = lo;
    r->rank.end = hi;
    if (nk) {
        f->filter.pred = sl_b_and(b, keep, nk);
        TRYP(f->filter.pred);
    } else {
        *p = f->input;
    }
    *rank = r;
    return 0;
}

/* After the select list `pr` of the block whose WHERE ranged `r`: leaves the row number out
 * when nothing reads it, and picks the strategy. */
static void sl_b_rank_finish(struct sl_plan *r, struct sl_plan *pr)
{
    struct sl_plan *chain[8]; /* pr .. the node right above r */
    uint32_t nc = 0;
    for (struct sl_plan *q = pr; q && q != r && nc < 8; q = q->input)
        chain[nc++] = q;
    bool used = nc == 0 || nc == 8 || chain[nc - 1]->input != r;
    /* from r upwards: `col` carries the row number in the input of chain[k]; a projection
     * passes it on only as its last column; `top` is the first node that drops it */
    int col = (int)r->out.ncols - 1;
    uint32_t top = nc;
    for (uint32_t k = nc; !used && k-- > 0;) {
        struct sl_plan *q = chain[k];
        if (q->kind == SL_PLAN_FILTER) {
            used = sl_b_expr_reads(q->filter.pred, col);
            continue;
        }
        if (q->kind != SL_PLAN_PROJECT) {
            used = true;
            break;
        }
        uint32_t last = q->project.nexprs - 1;
        const struct sl_expr *le = q->project.exprs[last];
        for (uint32_t i = 0; i < last && !used; i++)
            used = sl_b_expr_reads(q->project.exprs[i], col);
        if (used)
            break;
        if (!sl_b_expr_reads(le, col)) {
            top = k;
            break;
        }
        if (k == 0 || le->kind != SL_EXPR_COL || q->out.ncols != q->project.nexprs) {
            used = true;
            break;
        }
        col = (int)last;
    }
    if (!used && top < nc) {
        r->out.ncols--;
        for (uint32_t k = nc; k-- > top + 1;) {
            struct sl_plan *q = chain[k];
            if (q->kind == SL_PLAN_PROJECT)
                q->project.nexprs--;
            q->out.ncols--;
        }
        r->rank.row_number = false;
    }
    r->rank.strategy = SL_RANK_TOPN;
    const struct sl_rel *in = &r->input->out;
    if (!r->rank.row_number && r->rank.start == 1 && r->rank.end == 1 && r->rank.norder == 1 &&
        (in->cols[r->rank.order[0]].rowtime || in->cols[r->rank.order[0]].proctime)) {
        r->rank.strategy = r->rank.desc[0] ? SL_RANK_DEDUP_LAST : SL_RANK_DEDUP_FIRST;
        r->rank.proctime = in->cols[r->rank.order[0]].proctime;
    }
    /* over an updating input a Top-N retracts (Flink's RetractStrategy); a deduplication
     * takes insert-only input, as Flink's (the changelog check refuses it) */
    r->rank.retract = r->rank.strategy == SL_RANK_TOPN &&
                      sl_plan_changelog(r->input, NULL, NULL) != SL_CHANGELOG_INSERT_ONLY;
}

/* ---- OVER aggregates (engine/plan/plan.h, SL_PLAN_OVER; engine/ops/op_over.h) --------------
 * As Flink's planner: the select list holds COUNT / SUM / MIN / MAX / AVG(x) OVER (PARTITION
 * BY ... ORDER BY rowtime [frame]) as whole items; they become one Over node over the block's
 * FROM / WHERE (its columns, then one per aggregate), which the select list reads as columns.
 * Every OVER aggregate of a block shares one window (Flink: "All aggregates must be computed
 * on the same window."); the ORDER BY is one rowtime attribute, ascending; no frame is RANGE
 * UNBOUNDED PRECEDING (the SQL standard's default with an ORDER BY). */

static bool sl_b_is_over_agg(const struct sl_ast *it)
{
    return it->kind == SL_AST_OVER && strcasecmp(it->over.call->name, "ROW_NUMBER") != 0;
}

/* Whether two OVER items have the same window (as written: the same columns, frame). */
static bool sl_b_same_window(struct sl_binder *b, const struct sl_rel *in, const struct sl_ast *x,
                             const struct sl_ast *y, const int *part, uint32_t np, int tcol,
                             bool rows, int64_t preceding)
{
    if (x->over.part.n != np || x->over.order.n != 1 || x->over.desc[0])
        return false;
    struct sl_scope sc = {in, NULL, "PARTITION BY"};
    for (uint32_t i = 0; i < np; i++) {
        struct sl_expr *e;
        if (sl_b_expr(b, &sc, x->over.part.items[i], &e) || e->kind != SL_EXPR_COL ||
            e->col != part[i])
            return false;
    }
    struct sl_expr *e;
    if (sl_b_expr(b, &sc, x->over.order.items[0], &e) || e->kind != SL_EXPR_COL || e->col != tcol)
        return false;
    (void)y;
    bool xrows = x->over.frame == 1;
    if (xrows != rows)
        return false;
    if (!x->over.preceding)
        return preceding == -1;
    struct sl_scope ps = {in, NULL, "the frame"};
    if (sl_b_expr(b, &ps, x->over.preceding, &e) || e->kind != SL_EXPR_LIT)
        return false;
    return e->lit.i == preceding;
}

/* The block's OVER aggregates over *p: an Over node; over_col[i] the output column of select
 * item i (-1 for the others). *nover 0 when the block has none. */
static int sl_b_over_node(struct sl_binder *b, const struct sl_ast *q, bool aggregating,
                          struct sl_plan **p, int *over_col, uint32_t *nover)
{
    const struct sl_ast_select *s = &q->select;
    *nover = 0;
    const struct sl_ast *first = NULL;
    uint32_t na = 0;
    for (uint32_t i = 0; i < s->items.n; i++) {
        over_col[i] = -1;
        const struct sl_ast *it = s->items.items[i];
        if (sl_b_is_over_agg(it)) {
            first = first ? first : it;
            na++;
        } else if (it->kind == SL_AST_OVER && first) {
            return sl_b_err(b, it->pos,
                            "ROW_NUMBER() OVER and OVER aggregates in one select list are not "
                            "supported yet");
        }
    }
    if (!first)
        return 0;
    for (uint32_t i = 0; i < s->items.n; i++)
        if (s->items.items[i]->kind == SL_AST_OVER && !sl_b_is_over_agg(s->items.items[i]))
            return sl_b_err(b, s->items.items[i]->pos,
                            "ROW_NUMBER() OVER and OVER aggregates in one select list are not "
                            "supported yet");
    if (aggregating)
        return sl_b_err(b, first->pos,
                        "OVER aggregates in a block with GROUP BY or aggregates are not "
                        "supported yet: compute the OVER aggregates in an outer query");
    const struct sl_rel *in = &(*p)->out;
    if (first->over.part.n == 0)
        return sl_b_err(b, first->pos,
                        "an OVER aggregate without PARTITION BY is not supported yet");
    if (first->over.order.n != 1)
        return sl_b_err(b, first->over.order.n ? first->over.order.items[1]->pos : first->pos,
                        "OVER windows' ordering in stream mode must be defined on a single "
                        "time attribute (Flink); ORDER BY one rowtime attribute");
    uint32_t np = first->over.part.n;
    int *part = sl_b_alloc(b, np * sizeof(*part));
    TRYP(part);
    for (uint32_t i = 0; i < np; i++) {
        struct sl_scope sc = {in, NULL, "PARTITION BY"};
        struct sl_expr *e;
        const struct sl_ast *a = first->over.part.items[i];
        TRY(sl_b_expr(b, &sc, a, &e));
        if (e->kind != SL_EXPR_COL)
            return sl_b_err(b, a->pos,
                            "the PARTITION BY of an OVER aggregate takes columns only yet "
                            "(compute the expression in a subquery)");
        if (sl_type_is_map(e->type) || e->type.id >= SL_TYPE_COUNT)
            return sl_b_err(b, a->pos, "the PARTITION BY of an OVER aggregate: a MAP column");
        part[i] = e->col;
    }
    const struct sl_ast *oa = first->over.order.items[0];
    struct sl_scope osc = {in, NULL, "ORDER BY"};
    struct sl_expr *oe;
    TRY(sl_b_expr(b, &osc, oa, &oe));
    if (oe->kind == SL_EXPR_COL && in->cols[oe->col].proctime)
        return sl_b_err(b, oa->pos,
                        "an OVER aggregate ordered by a processing-time attribute is not "
                        "supported yet (ORDER BY an event-time attribute)");
    /* over an updating input (sluice's own, FLINK-19059) a rowtime a regular join
     * materialized still orders it: the watermark that passed the join is its event time */
    bool updating = sl_plan_changelog(*p, NULL, NULL) != SL_CHANGELOG_INSERT_ONLY;
    if (oe->kind != SL_EXPR_COL ||
        !(in->cols[oe->col].rowtime || (updating && in->cols[oe->col].mtime)))
        return sl_b_err(b, oa->pos,
                        "OVER windows' ordering in stream mode must be defined on a time "
                        "attribute (Flink); ORDER BY a rowtime attribute (a column with a "
                        "WATERMARK)");
    if (first->over.desc[0])
        return sl_b_err(b, oa->pos,
                        "OVER windows' ordering in stream mode must be ascending on the time "
                        "attribute (Flink: DESC is not supported)");
    int tcol = oe->col;
    bool rows = first->over.frame == 1;
    int64_t preceding = -1;
    if (first->over.preceding) {
        const struct sl_ast *pa = first->over.preceding;
        struct sl_scope ps = {in, NULL, "the frame"};
        struct sl_expr *pe;
        TRY(sl_b_expr(b, &ps, pa, &pe));
        if (pe->kind != SL_EXPR_LIT || pe->lit_null)
            return sl_b_err(b, pa->pos, "an OVER frame's PRECEDING bound must be a constant");
        if (rows && (pe->interval || (pe->type.id != SL_TYPE_INT && pe->type.id != SL_TYPE_BIGINT)))
            return sl_b_err(b, pa->pos,
                            "a ROWS frame's PRECEDING bound is a number of rows (an integer "
                            "constant)");
        if (!rows && !pe->interval)
            return sl_b_err(b, pa->pos,
                            "a RANGE frame over a time attribute needs an INTERVAL bound "
                            "(RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW)");
        if (pe->lit.i < 0 || (rows && pe->lit.i > 1000000))
            return sl_b_err(b, pa->pos,
                            "an OVER frame's PRECEDING bound of %lld: sluice takes 0 .. %s",
                            (long long)pe->lit.i, rows ? "1000000 rows" : "any interval >= 0");
        preceding = pe->lit.i;
    }
    struct sl_plan *o = sl_plan_new(b, SL_PLAN_OVER, *p, first->pos);
    TRYP(o);
    struct sl_agg *aggs = sl_b_alloc(b, na * sizeof(*aggs));
    TRYP(aggs);
    TRY(sl_rel_alloc(b, &o->out, in->ncols + na));
    memcpy(o->out.cols, in->cols, in->ncols * sizeof(*in->cols));
    struct sl_scope argscope = {in, NULL, "an OVER aggregate's argument"};
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->items.n; i++) {
        const struct sl_ast *it = s->items.items[i];
        if (!sl_b_is_over_agg(it))
            continue;
        if (it != first && !sl_b_same_window(b, in, it, first, part, np, tcol, rows, preceding))
            return sl_b_err(b, it->pos, "All aggregates must be computed on the same window.");
        const struct sl_ast *c = it->over.call;
        const char *fn = c->name;
        struct sl_agg *g = &aggs[k];
        memset(g, 0, sizeof(*g));
        if (c->star) {
            if (strcasecmp(fn, "COUNT") != 0)
                return sl_b_err(b, c->pos, "%s(*) is not valid; only COUNT(*)", fn);
            g->fn = SL_AGG_COUNT_STAR;
            g->col = -1;
            g->type = sl_type_make(SL_TYPE_BIGINT, false);
        } else {
            if (c->args.n != 1)
                return sl_b_err(b, c->pos, "%s takes one argument, found %u", fn, c->args.n);
            struct sl_expr *e;
            TRY(sl_b_expr(b, &argscope, c->args.items[0], &e));
            if (e->kind != SL_EXPR_COL)
                return sl_b_err(b, c->args.items[0]->pos,
                                "an OVER aggregate's argument is a column only yet (compute "
                                "the expression in a subquery)");
            struct sl_type t = e->type;
            g->col = e->col;
            char tt[64];
            sl_type_str(t, tt, sizeof(tt));
            if (strcasecmp(fn, "COUNT") == 0) {
                g->fn = SL_AGG_COUNT;
                g->type = sl_type_make(SL_TYPE_BIGINT, false);
            } else if (strcasecmp(fn, "MIN") == 0 || strcasecmp(fn, "MAX") == 0) {
                g->fn = strcasecmp(fn, "MIN") == 0 ? SL_AGG_MIN : SL_AGG_MAX;
                if (updating && preceding < 0)
                    return sl_b_err(b, c->pos,
                                    "%s(...) OVER an unbounded frame over an updating input is "
                                    "not supported yet (a retraction needs the frame's rows)",
                                    fn);
                if (t.id != SL_TYPE_INT && t.id != SL_TYPE_BIGINT && t.id != SL_TYPE_DOUBLE &&
                    t.id != SL_TYPE_TIMESTAMP)
                    return sl_b_err(b, c->pos, "%s(...) OVER of %s is not supported yet", fn, tt);
                g->type = t;
            } else {
                g->fn = strcasecmp(fn, "SUM") == 0 ? SL_AGG_SUM : SL_AGG_AVG;
                if (t.id != SL_TYPE_INT && t.id != SL_TYPE_BIGINT && t.id != SL_TYPE_DOUBLE)
                    return sl_b_err(b, c->args.items[0]->pos,
                                    "%s(...) OVER of %s is not supported yet (INT, BIGINT, "
                                    "DOUBLE are)",
                                    fn, tt);
                g->type = t;
            }
            if (g->fn != SL_AGG_COUNT)
                g->type.nullable = true;
        }
        struct sl_rel_col *oc = &o->out.cols[in->ncols + k];
        memset(oc, 0, sizeof(*oc));
        oc->name = sl_b_item_name(b, it, i);
        TRYP(oc->name);
        oc->type = g->type;
        over_col[i] = (int)(in->ncols + k);
        k++;
    }
    o->over.npart = np;
    o->over.part = part;
    o->over.time_col = tcol;
    o->over.rows = rows;
    o->over.preceding = preceding;
    o->over.naggs = na;
    o->over.aggs = aggs;
    *nover = na;
    *p = o;
    return 0;
}

static int sl_b_query(struct sl_binder *b, const struct sl_ast *q, struct sl_plan **out)
{
    const struct sl_ast_select *s = &q->select;
    if (s->distinct)
        return sl_b_err(b, q->pos, "SELECT DISTINCT is not supported yet");
    if (!s->from)
        return sl_b_err(b, q->pos, "SELECT without FROM is not supported yet");
    struct sl_plan *p;
    TRY(sl_b_from(b, s->from, &p));
    if (s->where) {
        if (sl_ast_has_agg(s->where))
            return sl_b_err(b, s->where->pos, "aggregate functions are not allowed in WHERE");
        struct sl_scope sc = {&p->out, NULL, "WHERE"};
        struct sl_expr *pred;
        TRY(sl_b_expr(b, &sc, s->where, &pred));
        TRY(sl_b_need_bool(b, pred, "WHERE"));
        struct sl_plan *f = sl_plan_new(b, SL_PLAN_FILTER, p, s->where->pos);
        TRYP(f);
        f->out = p->out;
        f->filter.pred = pred;
        p = f;
    }
    struct sl_plan *rank = NULL; /* ROW_NUMBER() OVER: the WHERE above a Top-N */
    if (s->where)
        TRY(sl_b_rank_where(b, &p, &rank));
    if (!rank && sl_b_rank_pending(p))
        return sl_b_err(b, sl_b_rank_pending(p)->pos,
                        "ROW_NUMBER() OVER needs the query that selects from it to filter on "
                        "the row number (WHERE rn <= N: Flink's Top-N); an OVER aggregation is "
                        "not supported");
    bool aggregating = s->group_by.n > 0 || s->having;
    for (uint32_t i = 0; i < s->items.n && !aggregating; i++)
        aggregating = sl_ast_has_agg(s->items.items[i]);
    struct sl_agg_scope agg;
    memset(&agg, 0, sizeof(agg));
    /* a group window: its window node, and the auxiliary functions bound while this block is */
    const struct sl_b_gwin *outer_gwin = b->gwin;
    struct sl_b_gwin gw = {NULL, NULL};
    struct sl_ast q2;
    const struct sl_ast *qa = q;
    b->gwin = NULL;
    if (aggregating) {
        int rc = sl_b_group_window(b, q, &p, &q2, &qa, &gw);
        if (!rc && gw.call)
            b->gwin = &gw;
        if (!rc)
            rc = sl_b_aggregate(b, qa, p, &agg, &p);
        if (rc) {
            b->gwin = outer_gwin;
            return rc;
        }
    } else {
        const struct sl_plan *wn = sl_b_window_below(p);
        if (wn && wn->window.kind == SL_WINDOW_SESSION)
            return sl_b_err(b, wn->pos,
                            "SESSION windows are supported under a window aggregation only "
                            "(GROUP BY window_start, window_end and the PARTITION BY columns)");
    }
    int *over_col = sl_b_alloc(b, (s->items.n ? s->items.n : 1) * sizeof(*over_col));
    TRYP(over_col);
    uint32_t nover = 0; /* OVER aggregates in this select list: their Over node's columns */
    TRY(sl_b_over_node(b, q, aggregating, &p, over_col, &nover));
    int rn_col = -1; /* ROW_NUMBER() OVER in this select list: its Rank's row number column */
    TRY(sl_b_rank_node(b, q, aggregating, &p, &rn_col));
    /* '*' leaves the row number and the OVER aggregates out */
    const uint32_t nstar = p->out.ncols - (rn_col >= 0) - nover;
    /* the select list; '*' expands */
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->items.n; i++) {
        const struct sl_ast *it = s->items.items[i];
        if (it->kind != SL_AST_STAR) {
            n++;
            continue;
        }
        if (aggregating)
            return sl_b_err(b, it->pos, "'*' cannot be used with GROUP BY");
        for (uint32_t c = 0; c < nstar; c++)
            n += !it->npath ||
                 (p->out.cols[c].qual && strcmp(p->out.cols[c].qual, it->path[0]) == 0);
    }
    struct sl_plan *pr = sl_plan_new(b, SL_PLAN_PROJECT, p, q->pos);
    TRYP(pr);
    TRY(sl_rel_alloc(b, &pr->out, n));
    pr->project.nexprs = n;
    pr->project.exprs = sl_b_alloc(b, (n ? n : 1) * sizeof(*pr->project.exprs));
    TRYP(pr->project.exprs);
    struct sl_scope sc = {&p->out, aggregating ? &agg : NULL, "the select list"};
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->items.n; i++) {
        const struct sl_ast *it = s->items.items[i];
        if (it->kind == SL_AST_STAR) {
            bool any = false;
            for (uint32_t c = 0; c < nstar; c++) {
                if (it->npath &&
                    !(p->out.cols[c].qual && strcmp(p->out.cols[c].qual, it->path[0]) == 0))
                    continue;
                pr->project.exprs[k] = sl_expr_col(b, &p->out, (int)c, it->pos);
                TRYP(pr->project.exprs[k]);
                pr->out.cols[k++] = p->out.cols[c];
                any = true;
            }
            if (!any)
                return sl_b_err(b, it->pos, "no table named '%s' for '%s.*'", it->path[0],
                                it->path[0]);
            continue;
        }
        struct sl_expr *e;
        if (it->kind == SL_AST_OVER)
            TRYP(e = sl_expr_col(b, &p->out, over_col[i] >= 0 ? over_col[i] : rn_col, it->pos));
        else
            TRY(sl_b_expr(b, &sc, it, &e));
        pr->project.exprs[k] = e;
        struct sl_rel_col *c = &pr->out.cols[k];
        c->name = sl_b_item_name(b, it, k);
        TRYP(c->name);
        c->type = e->type;
        if (e->kind == SL_EXPR_COL) {
            /* a CAST (of a column to its own type: no call) materializes, as in Flink */
            c->rowtime = p->out.cols[e->col].rowtime && it->kind != SL_AST_CAST;
            c->mtime = p->out.cols[e->col].mtime && it->kind != SL_AST_CAST;
            c->proctime = p->out.cols[e->col].proctime;
            c->qual = p->out.cols[e->col].qual;
        }
        c->proctime |= e->kind == SL_EXPR_CALL && e->fn == SL_FN_PROCTIME;
        if (sl_is_null_lit(e))
            return sl_b_err(b, it->pos, "a bare NULL has no type: CAST(NULL AS type)");
        k++;
    }
    b->gwin = outer_gwin;
    if (rank)
        sl_b_rank_finish(rank, pr);
    *out = pr;
    return 0;
}

/* ---- statements ---------------------------------------------------------------------------- */

/*
 * Flink's legacy connector properties (the TableFactory descriptors before FLIP-122, which
 * Nexmark's q13 still uses): 'connector.type' = 'filesystem', 'connector.path' and
 * 'format.type' are read as 'connector', 'path' (a `file://` scheme dropped) and 'format'.
 * Only for the filesystem connector, and only without the new 'connector' key; other
 * legacy keys are then unknown options of the filesystem connector and refused by name.
 * Flink 1.20 no longer has these factories (docs/sql.md).
 */
static int sl_b_legacy_options(struct sl_binder *b, struct sl_table *t)
{
    const char *type = sl_table_option(t, "connector.type");
    if (!type || sl_table_option(t, "connector"))
        return 0;
    for (uint32_t i = 0; i < t->nopts; i++) {
        struct sl_option *o = &t->opts[i];
        if (strcmp(o->key, "connector.type") == 0) {
            if (strcmp(o->value, "filesystem") != 0)
                return sl_b_err(b, o->pos,
                                "legacy 'connector.type' = '%s' is not supported: legacy "
                                "options are read for 'filesystem' only; write 'connector' = ...",
                                o->value);
            o->key = "connector";
        } else if (strcmp(o->key, "connector.path") == 0) {
            o->key = "path";
            if (strncmp(o->value, "file://", 7) == 0)
                o->value += 7;
        } else if (strcmp(o->key, "format.type") == 0) {
            o->key = "format";
        }
    }
    return 0;
}

static int sl_b_flatten(struct sl_binder *b, const char *prefix, const char *name,
                        const struct sl_ast_type *t, struct sl_rel_col **cols, uint32_t *n,
                        uint32_t *cap)
{
    char full[512];
    snprintf(full, sizeof(full), "%s%s%s", prefix ? prefix : "", prefix ? "." : "", name);
    if (t->is_row) {
        for (uint32_t i = 0; i < t->nfields; i++)
            TRY(sl_b_flatten(b, full, t->field_names[i], t->field_types[i], cols, n, cap));
        return 0;
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        struct sl_rel_col *nc = sl_b_alloc(b, *cap * sizeof(*nc));
        TRYP(nc);
        if (*n)
            memcpy(nc, *cols, *n * sizeof(*nc));
        *cols = nc;
    }
    struct sl_rel_col *c = &(*cols)[(*n)++];
    c->name = sl_b_strdup(b, full);
    TRYP(c->name);
    c->type = t->scalar;
    /* a field of a ROW is nullable: the whole ROW can be NULL */
    if (prefix)
        c->type.nullable = true;
    return 0;
}

static int sl_b_create_table(struct sl_binder *b, const struct sl_ast *a)
{
    const struct sl_ast_create_table *ct = &a->create_table;
    if (sl_b_find_table(b, ct->name) || sl_b_find_view(b, ct->name)) {
        if (ct->if_not_exists)
            return 0;
        return sl_b_err(b, a->pos, "table or view '%s' is already declared", ct->name);
    }
    struct sl_table *t = sl_b_alloc(b, sizeof(*t));
    TRYP(t);
    t->name = ct->name;
    t->pos = a->pos;
    t->rowtime = -1;
    uint32_t cap = 0;
    for (uint32_t i = 0; i < ct->ncols; i++) {
        if (!ct->cols[i].type)
            continue;
        if (ct->cols[i].metadata) {
            if (ct->cols[i].type->is_row)
                return sl_b_err(b, ct->cols[i].pos, "metadata column '%s' cannot be a ROW",
                                ct->cols[i].name);
            struct sl_table_meta *nm =
                sl_b_alloc(b, (t->nmeta + 1) * sizeof(*nm)); /* few: copied whole */
            TRYP(nm);
            if (t->nmeta)
                memcpy(nm, t->meta, t->nmeta * sizeof(*nm));
            const char *key = ct->cols[i].meta_key ? ct->cols[i].meta_key : ct->cols[i].name;
            for (uint32_t k = 0; k < t->nmeta; k++)
                if (strcmp(nm[k].key, key) == 0)
                    return sl_b_err(b, ct->cols[i].pos, "metadata key '%s' is read by two columns",
                                    key);
            nm[t->nmeta] = (struct sl_table_meta){.col = t->physical.ncols,
                                                  .key = key,
                                                  .is_virtual = ct->cols[i].meta_virtual,
                                                  .pos = ct->cols[i].pos};
            t->meta = nm;
            t->nmeta++;
        }
        TRY(sl_b_flatten(b, NULL, ct->cols[i].name, ct->cols[i].type, &t->physical.cols,
                         &t->physical.ncols, &cap));
    }
    for (uint32_t i = 0; i < t->physical.ncols; i++)
        t->physical.cols[i].qual = t->name;
    /* computed columns over the physical ones */
    for (uint32_t i = 0; i < ct->ncols; i++)
        t->ncomputed += ct->cols[i].expr != NULL;
    if (t->ncomputed) {
        t->computed_cols = sl_b_alloc(b, t->ncomputed * sizeof(*t->computed_cols));
        t->computed = sl_b_alloc(b, t->ncomputed * sizeof(*t->computed));
        TRYP(t->computed_cols && t->computed);
        struct sl_scope sc = {&t->physical, NULL, "a computed column"};
        uint32_t k = 0;
        for (uint32_t i = 0; i < ct->ncols; i++) {
            if (!ct->cols[i].expr)
                continue;
            if (sl_ast_has_agg(ct->cols[i].expr))
                return sl_b_err(b, ct->cols[i].expr->pos,
                                "aggregate functions are not allowed "
                                "in a computed column");
            TRY(sl_b_expr(b, &sc, ct->cols[i].expr, &t->computed[k]));
            t->computed_cols[k].name = ct->cols[i].name;
            t->computed_cols[k].qual = t->name;
            t->computed_cols[k].type = t->computed[k]->type;
            t->computed_cols[k].proctime =
                t->computed[k]->kind == SL_EXPR_CALL && t->computed[k]->fn == SL_FN_PROCTIME;
            k++;
        }
    }
    /* the watermark: WATERMARK FOR c AS c [- INTERVAL ...] */
    if (ct->wm_column) {
        struct sl_rel all;
        TRY(sl_rel_alloc(b, &all, t->physical.ncols + t->ncomputed));
        if (t->physical.ncols) /* none: a table of only a WATERMARK line (fuzz_sql) */
            memcpy(all.cols, t->physical.cols, t->physical.ncols * sizeof(*all.cols));
        if (t->ncomputed)
            memcpy(all.cols + t->physical.ncols, t->computed_cols,
                   t->ncomputed * sizeof(*all.cols));
        struct sl_ast col = {.kind = SL_AST_COLUMN,
                             .pos = ct->wm_pos,
                             .npath = 1,
                             .path = (const char **)&ct->wm_column};
        int rc;
        TRY(sl_b_resolve(b, &all, &col, &rc));
        if (all.cols[rc].type.id != SL_TYPE_TIMESTAMP)
            return sl_b_err(b, ct->wm_pos,
                            "the WATERMARK column '%s' must be TIMESTAMP(3) or TIMESTAMP_LTZ(3)",
                            ct->wm_column);
        const struct sl_ast *w = ct->wm_expr;
        int64_t delay = 0;
        bool ok = false;
        if (w->kind == SL_AST_COLUMN && w->npath == 1 && strcmp(w->path[0], ct->wm_column) == 0) {
            ok = true;
        } else if (w->kind == SL_AST_BINARY && w->op == SL_OP_SUB &&
                   w->left->kind == SL_AST_COLUMN && w->left->npath == 1 &&
                   strcmp(w->left->path[0], ct->wm_column) == 0 &&
                   w->right->kind == SL_AST_INTERVAL) {
            delay = w->right->ival;
            ok = true;
        }
        if (!ok)
            return sl_b_err(b, w->pos,
                            "a WATERMARK must be '%s' or '%s - INTERVAL ...' "
                            "(bounded out-of-orderness); other strategies are not "
                            "supported yet",
                            ct->wm_column, ct->wm_column);
        t->rowtime = rc;
        t->wm_delay_ms = delay;
        if (rc < (int)t->physical.ncols)
            t->physical.cols[rc].rowtime = true;
        else
            t->computed_cols[rc - (int)t->physical.ncols].rowtime = true;
    }
    /* PARTITIONED BY: declared physical columns (not ROWs, not metadata), each once */
    if (ct->npart) {
        uint32_t *pc = sl_b_alloc(b, ct->npart * sizeof(*pc));
        TRYP(pc);
        for (uint32_t i = 0; i < ct->npart; i++) {
            int c = -1;
            for (uint32_t k = 0; k < t->physical.ncols; k++)
                if (strcmp(t->physical.cols[k].name, ct->part[i]) == 0)
                    c = (int)k;
            for (uint32_t k = 0; k < t->nmeta; k++)
                if (c >= 0 && t->meta[k].col == (uint32_t)c)
                    c = -1;
            if (c < 0)
                return sl_b_err(b, ct->part_pos,
                                "partition column '%s' is not a physical column of table '%s' "
                                "(a declared column, not computed, metadata or a ROW)",
                                ct->part[i], ct->name);
            for (uint32_t k = 0; k < i; k++)
                if (pc[k] == (uint32_t)c)
                    return sl_b_err(b, ct->part_pos, "partition column '%s' is given twice",
                                    ct->part[i]);
            pc[i] = (uint32_t)c;
        }
        t->part = pc;
        t->npart = ct->npart;
        t->part_pos = ct->part_pos;
    }
    t->nopts = ct->nopts;
    t->opts = sl_b_alloc(b, (ct->nopts ? ct->nopts : 1) * sizeof(*t->opts));
    TRYP(t->opts);
    for (uint32_t i = 0; i < ct->nopts; i++) {
        t->opts[i].key = ct->opts[i].key;
        t->opts[i].value = ct->opts[i].value;
        t->opts[i].pos = ct->opts[i].pos;
    }
    TRY(sl_b_legacy_options(b, t));
    t->connector = sl_table_option(t, "connector");
    if (!t->connector)
        return sl_b_err(b, a->pos,
                        "table '%s' has no 'connector' option (kafka, nexmark, "
                        "filesystem, print or blackhole)",
                        t->name);
    const struct sl_connector *conn = sl_connector_find(t->connector);
    if (!conn) {
        size_t pos = a->pos;
        for (uint32_t i = 0; i < t->nopts; i++)
            if (strcmp(t->opts[i].key, "connector") == 0)
                pos = t->opts[i].pos;
        return sl_b_err(b, pos, "connector '%s' is not supported (%s)", t->connector,
                        sl_connector_names());
    }
    if (t->npart && strcmp(conn->name, "filesystem") != 0)
        return sl_b_err(b, t->part_pos,
                        "PARTITIONED BY: connector '%s' has no partitions (only 'filesystem' "
                        "tables do)",
                        conn->name);
    t->bounded = conn->bounded && conn->bounded(t);
    /* PRIMARY KEY (..) NOT ENFORCED: physical columns (the upsert-kafka connector's key) */
    if (ct->npk) {
        uint32_t *pk = sl_b_alloc(b, ct->npk * sizeof(*pk));
        TRYP(pk);
        for (uint32_t k = 0; k < ct->npk; k++) {
            int col = -1;
            for (uint32_t c = 0; c < t->physical.ncols && col < 0; c++)
                if (strcmp(t->physical.cols[c].name, ct->pk[k]) == 0)
                    col = (int)c;
            for (uint32_t m = 0; col >= 0 && m < t->nmeta; m++)
                if (t->meta[m].col == (uint32_t)col)
                    col = -1;
            if (col < 0)
                return sl_b_err(b, a->pos,
                                "PRIMARY KEY: '%s' is not a physical column of table '%s' (a "
                                "key is made of declared columns, not computed or metadata "
                                "ones)",
                                ct->pk[k], t->name);
            pk[k] = (uint32_t)col;
        }
        t->pk = pk;
        t->npk = ct->npk;
    }
    t->changelog = conn->changelog && conn->changelog(t);
    uint32_t n = b->job->ntables + 1;
    struct sl_table **tables = sl_b_alloc(b, n * sizeof(*tables));
    TRYP(tables);
    if (b->job->ntables)
        memcpy(tables, b->job->tables, b->job->ntables * sizeof(*tables));
    tables[n - 1] = t;
    b->job->tables = tables;
    b->job->ntables = n;
    return 0;
}

/* ---- filter pushdown ------------------------------------------------------------------------
 *
 * WHERE is bound above the FROM clause, so a filter on the stream's own columns ends up
 * above a lookup join (which joins every row and then drops most of them again) and above
 * a window table function (which replicates HOP rows before the filter drops them). Both
 * keep their input's columns as the first columns of their output, unchanged, so a
 * conjunct that reads only those columns means the same below them: it moves down, as
 * Flink's planner pushes filters. Through a LEFT lookup join this holds too (the left
 * row's columns are the same whether or not it matched). Not through a watermark: which
 * rows advance event time must not change.
 */

/* The largest input column an expression reads (-1: none). */
static int sl_b_max_col(const struct sl_expr *e)
{
    if (e->kind == SL_EXPR_COL)
        return e->col;
    int m = -1;
    for (uint32_t i = 0; i < e->nargs; i++) {
        int c = sl_b_max_col(e->args[i]);
        if (c > m)
            m = c;
    }
    return m;
}

/* The conjuncts of `e` (an AND tree) into out[]; their count (at most cap: the rest stay
 * together in the last). */
static uint32_t sl_b_conjuncts(struct sl_expr *e, struct sl_expr **out, uint32_t cap)
{
    if (e->kind == SL_EXPR_CALL && e->fn == SL_FN_AND && e->nargs == 2 && cap >= 2) {
        uint32_t n = sl_b_conjuncts(e->args[0], out, cap - 1);
        return n + sl_b_conjuncts(e->args[1], out + n, cap - n);
    }
    out[0] = e;
    return 1;
}

/* AND of e[0..n), or NULL for none. */
static struct sl_expr *sl_b_and(struct sl_binder *b, struct sl_expr **e, uint32_t n)
{
    if (n == 0)
        return NULL;
    struct sl_expr *acc = e[0];
    for (uint32_t i = 1; i < n; i++) {
        struct sl_expr *x = sl_b_alloc(b, sizeof(*x));
        struct sl_expr **args = sl_b_alloc(b, 2 * sizeof(*args));
        if (!x || !args)
            return NULL;
        memset(x, 0, sizeof(*x));
        x->kind = SL_EXPR_CALL;
        x->fn = SL_FN_AND;
        x->pos = acc->pos;
        x->type = sl_type_make(SL_TYPE_BOOLEAN, acc->type.nullable || e[i]->type.nullable);
        args[0] = acc;
        args[1] = e[i];
        x->nargs = 2;
        x->args = args;
        acc = x;
    }
    return acc;
}

/* ---- regular joins: keys, pushdown, partitioning (see sl_b_stream_join) ---------------- */

static int sl_b_min_col(const struct sl_expr *e)
{
    if (e->kind == SL_EXPR_COL)
        return e->col;
    int m = INT32_MAX;
    for (uint32_t i = 0; i < e->nargs; i++) {
        int c = sl_b_min_col(e->args[i]);
        if (c < m)
            m = c;
    }
    return m;
}

/* Shifts every column reference of e (bound once, used once: changed in place) by d. */
static void sl_b_shift_cols(struct sl_expr *e, int d)
{
    if (e->kind == SL_EXPR_COL)
        e->col += d;
    for (uint32_t i = 0; i < e->nargs; i++)
        sl_b_shift_cols(e->args[i], d);
}

/* A filter with predicate AND(parts) right above `input`, or input itself when n = 0. */
static int sl_b_filter_over(struct sl_binder *b, struct sl_plan **input, struct sl_expr **parts,
                            uint32_t n)
{
    if (!n)
        return 0;
    struct sl_plan *f = sl_plan_new(b, SL_PLAN_FILTER, *input, parts[0]->pos);
    TRYP(f);
    f->out = (*input)->out;
    f->filter.pred = sl_b_and(b, parts, n);
    TRYP(f->filter.pred);
    *input = f;
    return 0;
}

/* Whether the join's left rows already sit on the owner of its key: its left input is
 * (through filters) a join whose key columns are this join's left keys. */
static bool sl_b_join_left_local(const struct sl_plan *j)
{
    const struct sl_plan *l = j->input;
    while (l->kind == SL_PLAN_FILTER)
        l = l->input;
    if (l->kind != SL_PLAN_JOIN || l->join.nkeys != j->join.nkeys)
        return false;
    int nll = (int)l->input->out.ncols;
    for (uint32_t k = 0; k < j->join.nkeys; k++) {
        int c = j->join.lkeys[k];
        if (c != l->join.lkeys[k] && c != nll + l->join.rkeys[k])
            return false;
        if (l->input->out.cols[l->join.lkeys[k]].type.id != j->input->out.cols[c].type.id)
            return false;
    }
    return true;
}

/* The rewrite for the join in *slot (with `above` the filter over it, or NULL). */
static int sl_b_join_keys(struct sl_binder *b, struct sl_plan **slot, struct sl_plan *above)
{
    struct sl_plan *j = *slot;
    struct sl_expr *parts[64], *lp[64], *rp[64], *rest[64], *res[64];
    uint32_t n = 0, nlp = 0, nrp = 0, nrest = 0, nk = 0, nres = 0;
    if (j->join.cond)
        n = sl_b_conjuncts(j->join.cond, parts, 32);
    if (above)
        n += sl_b_conjuncts(above->filter.pred, parts + n, 32);
    int nl = (int)j->input->out.ncols;
    int *lk = sl_b_alloc(b, (n ? n : 1) * sizeof(*lk)),
        *rk = sl_b_alloc(b, (n ? n : 1) * sizeof(*rk));
    TRYP(lk);
    TRYP(rk);
    sl_plan_join_type jt = j->join.type;
    bool lkeep = jt == SL_PLAN_JOIN_LEFT || jt == SL_PLAN_JOIN_FULL, /* preserved sides */
        rkeep = jt == SL_PLAN_JOIN_RIGHT || jt == SL_PLAN_JOIN_FULL;
    for (uint32_t i = 0; i < n; i++) {
        struct sl_expr *e = parts[i];
        int lo = sl_b_min_col(e), hi = sl_b_max_col(e);
        bool eqk = e->kind == SL_EXPR_CALL && e->fn == SL_FN_EQ &&
                   e->args[0]->kind == SL_EXPR_COL && e->args[1]->kind == SL_EXPR_COL;
        if (jt != SL_PLAN_JOIN_INNER &&
            ((hi < nl && lkeep) || (lo >= nl && rkeep) || (hi >= nl && lo < nl && !eqk))) {
            /* it decides which rows match, not which are kept: neither a filter below nor
             * above the join, but the join's residual condition (over its output) */
            res[nres++] = e;
            continue;
        }
        if (hi < nl) { /* the left's columns only (or none) */
            lp[nlp++] = e;
            continue;
        }
        if (lo >= nl) {
            sl_b_shift_cols(e, -nl);
            rp[nrp++] = e;
            continue;
        }
        if (e->kind == SL_EXPR_CALL && e->fn == SL_FN_EQ && e->args[0]->kind == SL_EXPR_COL &&
            e->args[1]->kind == SL_EXPR_COL) {
            int x = e->args[0]->col, y = e->args[1]->col;
            if (x >= nl) {
                int t = x;
                x = y;
                y = t;
            }
            struct sl_type tx = j->out.cols[x].type, ty = j->out.cols[y].type;
            if (tx.id != ty.id || sl_type_is_map(tx) ||
                (tx.id == SL_TYPE_VARCHAR && tx.logical != ty.logical)) {
                char a1[64], a2[64];
                sl_type_str(tx, a1, sizeof(a1));
                sl_type_str(ty, a2, sizeof(a2));
                return sl_b_err(b, e->pos,
                                "join keys have different types %s and %s (CAST one side in "
                                "a subquery)",
                                a1, a2);
            }
            lk[nk] = x;
            rk[nk++] = y - nl;
            continue;
        }
        if (!nk && e->kind == SL_EXPR_CALL && e->fn == SL_FN_EQ) {
            /* an equality of the two sides that is no key: name what it compares */
            const struct sl_expr *x = e->args[0], *y = e->args[1];
            if (x->kind == SL_EXPR_CALL && x->fn == SL_FN_CAST)
                x = x->args[0];
            if (y->kind == SL_EXPR_CALL && y->fn == SL_FN_CAST)
                y = y->args[0];
            if (x->kind == SL_EXPR_COL && y->kind == SL_EXPR_COL && x->type.id != y->type.id) {
                char a1[64], a2[64];
                sl_type_str(x->type, a1, sizeof(a1));
                sl_type_str(y->type, a2, sizeof(a2));
                return sl_b_err(b, e->pos,
                                "join keys have different types %s and %s (CAST one side in "
                                "a subquery)",
                                a1, a2);
            }
        }
        rest[nrest++] = e;
    }
    if (!nk)
        return sl_b_err(b, j->pos,
                        "a join of two streams needs an equality between a column of each side "
                        "(ON a.k = b.k, or WHERE a.k = b.k in a comma join): sluice does not "
                        "run cross joins or joins on conditions without such a key");
    struct sl_b_ival iv;
    if (sl_b_interval_find(j, rest, nrest, &iv)) { /* an interval join (engine/ops/op_ijoin.h) */
        j->join.interval = true;
        j->join.ltime = iv.ltime;
        j->join.rtime = iv.rtime;
        j->join.lo = iv.lo;
        j->join.hi = iv.hi;
        j->out.cols[iv.ltime].rowtime = true;
        j->out.cols[nl + iv.rtime].rowtime = true;
        uint32_t m = 0; /* the bounds are the operator's, not a filter's */
        for (uint32_t i = 0; i < nrest; i++)
            if (i != iv.plo && i != iv.phi)
                rest[m++] = rest[i];
        nrest = m;
    }
    j->join.cond = NULL;
    if (nres)
        TRYP(j->join.residual = sl_b_and(b, res, nres));
    j->join.nkeys = nk;
    j->join.lkeys = lk;
    j->join.rkeys = rk;
    TRY(sl_b_filter_over(b, &j->input, lp, nlp));
    TRY(sl_b_filter_over(b, &j->join.right, rp, nrp));
    /* the other conditions: a filter right above the join (the same for an INNER join) */
    return sl_b_filter_over(b, slot, rest, nrest);
}

/* Rewrites every regular join under *slot: a join's keys first (its one-side conditions go
 * down, where a join below takes them in turn: FROM a, b, c WHERE ...), then its inputs',
 * then whether its left input's rows are already partitioned by its key. */
static int sl_b_joins_at(struct sl_binder *b, struct sl_plan **slot)
{
    struct sl_plan *p = *slot, *j = NULL;
    if (!p)
        return 0;
    if (p->kind == SL_PLAN_FILTER && p->input && p->input->kind == SL_PLAN_JOIN &&
        !p->input->join.nkeys && p->input->join.type == SL_PLAN_JOIN_INNER) {
        /* an inner join's WHERE: one condition with its ON (the filter goes away); an outer
         * join's stays above it (it filters the padded rows too) */
        j = p->input;
        *slot = j;
        TRY(sl_b_join_keys(b, slot, p));
    } else if (p->kind == SL_PLAN_JOIN && !p->join.nkeys) {
        j = p;
        TRY(sl_b_join_keys(b, slot, NULL));
    }
    if (!j)
        return sl_b_joins_at(b, &p->input);
    TRY(sl_b_joins_at(b, &j->input));
    TRY(sl_b_joins_at(b, &j->join.right));
    j->join.left_local = sl_b_join_left_local(j);
    return 0;
}

static int sl_b_joins(struct sl_binder *b, struct sl_plan *sink)
{
    return sl_b_joins_at(b, &sink->input);
}

static int sl_b_push_filters(struct sl_binder *b, struct sl_plan *root)
{
    struct sl_plan **slot = &root->input;
    while (*slot) {
        struct sl_plan *f = *slot, *below = f->input;
        if (f->kind != SL_PLAN_FILTER || !below ||
            (below->kind != SL_PLAN_LOOKUP_JOIN && below->kind != SL_PLAN_WINDOW)) {
            slot = &f->input;
            continue;
        }
        int width = (int)below->input->out.ncols; /* the input's columns come first */
        struct sl_expr *parts[64], *keep[64], *move[64];
        uint32_t n = sl_b_conjuncts(f->filter.pred, parts, 64), nk = 0, nm = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (sl_b_max_col(parts[i]) < width)
                move[nm++] = parts[i];
            else
                keep[nk++] = parts[i];
        }
        if (!nm) {
            slot = &f->input;
            continue;
        }
        struct sl_plan *g = sl_plan_new(b, SL_PLAN_FILTER, below->input, f->pos);
        TRYP(g);
        g->out = below->input->out;
        g->filter.pred = sl_b_and(b, move, nm);
        TRYP(g->filter.pred);
        below->input = g;
        if (nk) {
            f->filter.pred = sl_b_and(b, keep, nk);
            TRYP(f->filter.pred);
            slot = &f->input;
        } else {
            *slot = below; /* the whole filter moved: look at what is above it now again */
        }
    }
    return 0;
}

/* ---- changelogs (engine/plan/changelog.h) ---------------------------------------------------
 * The plan under `sink` may carry updates (an unbounded GROUP BY) only into nodes and a sink
 * that take them; else Flink's planner error, in its words. */
static int sl_b_changelog_check(struct sl_binder *b, const struct sl_plan *sink)
{
    TRY(sl_b_rank_check(b, sink));
    const struct sl_plan *prod = NULL, *ref = NULL;
    sl_changelog_mode m = sl_plan_changelog(sink, &prod, &ref);
    char name[300];
    if (ref) {
        const struct sl_plan *below = NULL;
        sl_plan_changelog(ref->input, &below, NULL);
        char who[64];
        sl_plan_node_name(below ? below : ref->input, name, sizeof(name));
        sl_plan_node_name(ref, who, sizeof(who));
        char *paren = strchr(who, '(');
        if (paren)
            *paren = '\0';
        return sl_b_err(
            b, ref->pos,
            "%s doesn't support consuming update changes which is produced by node "
            "%s (sluice's windows, interval joins and lookup joins take insert-only input yet)",
            who, name);
    }
    if (m == SL_CHANGELOG_INSERT_ONLY)
        return 0;
    const struct sl_table *t = sink->sink.table;
    const struct sl_connector *c = sl_connector_find(t->connector);
    if (c && (c->updates || t->changelog))
        return 0;
    sl_plan_node_name(prod, name, sizeof(name));
    return sl_b_err(b, sink->pos,
                    "Table sink 'default_catalog.default_database.%s' doesn't support consuming "
                    "update %schanges which is produced by node %s",
                    t->name, m == SL_CHANGELOG_ALL ? "and delete " : "", name);
}

/* A bare `SELECT ...`: its result goes to the tableau sink (engine/conn/tableau.c) through a
 * table made here, "(SELECT)", whose columns are the query's cast to STRING, as
 * Flink's SQL client renders values (CAST to STRING), with the widths Flink derives from the
 * query's types. One per script: sluice runs a script's statements at once, so two results
 * would interleave on the terminal. */
static int sl_b_select_stmt(struct sl_binder *b, const struct sl_ast *a)
{
    for (uint32_t i = 0; i < b->job->ninserts; i++)
        if (strcmp(b->job->inserts[i]->sink.table->connector, SL_TABLEAU_CONNECTOR) == 0 &&
            b->job->inserts[i]->sink.table->name[0] == '(')
            return sl_b_err(b, a->pos,
                            "a second bare SELECT: sluice runs every statement of a script at "
                            "once, so a script prints one query's result (`sluice sql` runs "
                            "them one by one)");
    struct sl_plan *q;
    TRY(sl_b_query(b, a->query, &q));
    uint32_t nc = q->out.ncols;
    struct sl_table *t = sl_b_alloc(b, sizeof(*t));
    TRYP(t);
    t->name = "(SELECT)";
    TRYP(t->name);
    t->pos = a->pos;
    t->rowtime = -1;
    t->connector = SL_TABLEAU_CONNECTOR;
    TRY(sl_rel_alloc(b, &t->physical, nc));
    struct sl_plan *pr = sl_plan_new(b, SL_PLAN_PROJECT, q, a->pos);
    TRYP(pr);
    pr->note = "the result as text (CAST to STRING, as Flink's SQL client prints it)";
    TRY(sl_rel_alloc(b, &pr->out, nc));
    pr->project.nexprs = nc;
    pr->project.exprs = sl_b_alloc(b, (nc ? nc : 1) * sizeof(*pr->project.exprs));
    TRYP(pr->project.exprs);
    size_t wcap = (size_t)nc * 12 + 1, wlen = 0;
    char *widths = sl_b_alloc(b, wcap);
    TRYP(widths);
    struct sl_type str = sl_type_make(SL_TYPE_VARCHAR, true);
    for (uint32_t i = 0; i < nc; i++) {
        struct sl_type ty = q->out.cols[i].type;
        if (sl_type_is_map(ty)) {
            const struct sl_ast *item =
                i < a->query->select.items.n ? a->query->select.items.items[i] : a->query;
            return sl_b_err(b, item->pos,
                            "column '%s' is a MAP, which a bare SELECT cannot print yet "
                            "(select its values: m['key'])",
                            q->out.cols[i].name);
        }
        struct sl_expr *e = sl_expr_col(b, &q->out, (int)i, a->pos);
        TRYP(e);
        pr->project.exprs[i] =
            ty.id == SL_TYPE_VARCHAR && !sl_type_is_bytes(ty) ? e : sl_b_cast(b, e, str);
        TRYP(pr->project.exprs[i]);
        pr->out.cols[i] = q->out.cols[i];
        pr->out.cols[i].type = str;
        t->physical.cols[i] = pr->out.cols[i];
        t->physical.cols[i].qual = NULL;
        t->physical.cols[i].rowtime = false;
        wlen += (size_t)snprintf(widths + wlen, wcap - wlen, "%s%d", i ? "," : "",
                                 sl_tableau_width(ty, q->out.cols[i].name));
    }
    t->opts = sl_b_alloc(b, sizeof(*t->opts));
    TRYP(t->opts);
    t->nopts = 1;
    t->opts[0].key = SL_TABLEAU_WIDTHS;
    t->opts[0].value = widths;
    t->opts[0].pos = a->pos;
    struct sl_plan *sink = sl_plan_new(b, SL_PLAN_SINK, pr, a->pos);
    TRYP(sink);
    TRY(sl_b_joins(b, sink));
    TRY(sl_b_push_filters(b, sink));
    sink->sink.table = t;
    sink->out = t->physical;
    TRY(sl_b_changelog_check(b, sink));
    uint32_t n = b->job->ninserts + 1;
    struct sl_plan **ins = sl_b_alloc(b, n * sizeof(*ins));
    TRYP(ins);
    if (b->job->ninserts)
        memcpy(ins, b->job->inserts, b->job->ninserts * sizeof(*ins));
    ins[n - 1] = sink;
    b->job->inserts = ins;
    b->job->ninserts = n;
    return 0;
}

static int sl_b_insert(struct sl_binder *b, const struct sl_ast *a)
{
    if (!a->target)
        return sl_b_select_stmt(b, a);
    struct sl_table *t = sl_b_find_table(b, a->target);
    if (!t) {
        if (sl_b_find_view(b, a->target))
            return sl_b_err(b, a->pos, "'%s' is a view; INSERT INTO needs a table", a->target);
        return sl_b_unknown_table(b, a->target, a->pos);
    }
    /* Flink writes a table's persisted columns: a VIRTUAL metadata column is read only and
     * not in the query; the sink gets a placeholder there (NULL, or a zero value when NOT
     * NULL), which no connector reads (metadata columns are never in a record's value) */
    bool *virt = sl_b_alloc(b, (t->physical.ncols ? t->physical.ncols : 1) * sizeof(*virt));
    TRYP(virt);
    uint32_t nvirt = 0;
    for (uint32_t i = 0; i < t->nmeta; i++)
        if (t->meta[i].is_virtual && !virt[t->meta[i].col]) {
            virt[t->meta[i].col] = true;
            nvirt++;
        }
    uint32_t nwrite = t->physical.ncols - nvirt;
    struct sl_plan *q;
    TRY(sl_b_query(b, a->query, &q));
    if (q->out.ncols != nwrite)
        return sl_b_err(b, a->query->pos, "the query has %u columns, table '%s' has %u%s",
                        q->out.ncols, t->name, nwrite,
                        nvirt ? " (its VIRTUAL metadata columns are read only, not written)" : "");
    /* Flink refuses to write two rowtime attributes (an interval join's output keeps both):
     * the sink's event time would be ambiguous */
    for (uint32_t i = 0, first = UINT32_MAX; i < q->out.ncols; i++) {
        if (!q->out.cols[i].rowtime)
            continue;
        if (first == UINT32_MAX) {
            first = i;
            continue;
        }
        return sl_b_err(b, a->query->pos,
                        "the query has more than one rowtime attribute column (%s, %s) for "
                        "writing into table '%s': CAST all but one of them to TIMESTAMP(3), as "
                        "Flink requires",
                        q->out.cols[first].name, q->out.cols[i].name, t->name);
    }
    /* implicit casts to the sink's types where Flink allows them */
    bool need = nvirt > 0;
    for (uint32_t i = 0, j = 0; i < t->physical.ncols; i++) {
        if (virt[i])
            continue;
        struct sl_type have = q->out.cols[j].type, want = t->physical.cols[i].type;
        have.nullable = want.nullable = true;
        j++;
        if (sl_type_equal(have, want))
            continue;
        struct sl_type common;
        bool widening =
            sl_common_type(have, want, &common) &&
            (common.id == want.id || (have.id == SL_TYPE_DECIMAL && want.id == SL_TYPE_DECIMAL));
        if (!widening) {
            char ht[64], wt[64];
            sl_type_str(have, ht, sizeof(ht));
            sl_type_str(want, wt, sizeof(wt));
            const struct sl_ast *item =
                j - 1 < a->query->select.items.n ? a->query->select.items.items[j - 1] : a->query;
            return sl_b_err(b, item->pos,
                            "column %u of the query is %s, but column '%s' of "
                            "table '%s' is %s",
                            j, ht, t->physical.cols[i].name, t->name, wt);
        }
        need = true;
    }
    struct sl_plan *top = q;
    if (need) {
        uint32_t nc = t->physical.ncols;
        struct sl_plan *pr = sl_plan_new(b, SL_PLAN_PROJECT, q, a->pos);
        TRYP(pr);
        pr->note = nvirt ? "casts to the sink's types, VIRTUAL columns' placeholders"
                         : "casts to the sink's types";
        TRY(sl_rel_alloc(b, &pr->out, nc));
        pr->project.nexprs = nc;
        pr->project.exprs = sl_b_alloc(b, nc * sizeof(*pr->project.exprs));
        TRYP(pr->project.exprs);
        for (uint32_t i = 0, j = 0; i < nc; i++) {
            struct sl_type want = t->physical.cols[i].type;
            if (virt[i]) {
                struct sl_expr *e = sl_expr_new(b, SL_EXPR_LIT, want, a->pos);
                TRYP(e);
                e->lit_null = want.nullable;
                if (want.id == SL_TYPE_VARCHAR)
                    e->lit.s = "";
                pr->project.exprs[i] = e;
                pr->out.cols[i] = t->physical.cols[i];
                continue;
            }
            struct sl_expr *e = sl_expr_col(b, &q->out, (int)j, a->pos);
            TRYP(e);
            pr->project.exprs[i] = sl_b_cast(b, e, want);
            TRYP(pr->project.exprs[i]);
            pr->out.cols[i] = q->out.cols[j++];
            pr->out.cols[i].type = pr->project.exprs[i]->type;
        }
        top = pr;
    }
    struct sl_plan *sink = sl_plan_new(b, SL_PLAN_SINK, top, a->pos);
    TRYP(sink);
    TRY(sl_b_joins(b, sink));
    TRY(sl_b_push_filters(b, sink));
    sink->sink.table = t;
    sink->out = t->physical;
    TRY(sl_b_changelog_check(b, sink));
    uint32_t n = b->job->ninserts + 1;
    struct sl_plan **ins = sl_b_alloc(b, n * sizeof(*ins));
    TRYP(ins);
    if (b->job->ninserts)
        memcpy(ins, b->job->inserts, b->job->ninserts * sizeof(*ins));
    ins[n - 1] = sink;
    b->job->inserts = ins;
    b->job->ninserts = n;
    return 0;
}

static int sl_b_statement(struct sl_binder *b, const struct sl_ast *a)
{
    switch (a->kind) {
    case SL_AST_CREATE_TABLE:
        return sl_b_create_table(b, a);
    case SL_AST_CREATE_VIEW: {
        if (sl_b_find_table(b, a->target) || sl_b_find_view(b, a->target))
            return sl_b_err(b, a->pos, "table or view '%s' is already declared", a->target);
        /* bind once now so errors show at the view, not at its first use */
        struct sl_plan *check;
        uint32_t nviews = b->job->nviews;
        TRY(sl_b_query(b, a->query, &check));
        struct sl_view *v = sl_b_alloc(b, (nviews + 1) * sizeof(*v));
        TRYP(v);
        if (nviews)
            memcpy(v, b->job->views, nviews * sizeof(*v));
        v[nviews].name = a->target;
        v[nviews].pos = a->pos;
        v[nviews].query = a->query;
        b->job->views = v;
        b->job->nviews = nviews + 1;
        return 0;
    }
    case SL_AST_INSERT:
        return sl_b_insert(b, a);
    case SL_AST_CREATE_FUNCTION:
        return sl_b_create_function(b, a);
    case SL_AST_DROP_FUNCTION:
        return sl_b_drop_function(b, a);
    case SL_AST_SET: {
        /* a known key's value is checked here (engine/plan/settings.h: the same check as
         * `sluice config set`); a key sluice does not know is kept and ignored, as Flink's SET
         * does. The split-distinct options are checked, then nothing to do (docs/sql.md). */
        struct sl_error serr;
        sl_error_clear(&serr);
        if (sl_setting_check(a->set_key, a->set_value, NULL, &serr) == SL_EINVAL)
            return sl_b_err(b, a->pos, "%s", serr.msg);
        uint32_t n = b->job->nsets + 1;
        struct sl_option *s = sl_b_alloc(b, n * sizeof(*s));
        TRYP(s);
        if (b->job->nsets)
            memcpy(s, b->job->sets, b->job->nsets * sizeof(*s));
        s[n - 1].key = a->set_key;
        s[n - 1].value = a->set_value;
        s[n - 1].pos = a->pos;
        b->job->sets = s;
        b->job->nsets = n;
        return 0;
    }
    default:
        return sl_b_err(b, a->pos, "not a statement");
    }
}

static struct sl_job *sl_job_bind_any(struct sl_sql_file *file, const struct sl_bind_opts *opts,
                                      bool need_insert, struct sl_error *err);

struct sl_job *sl_job_bind(struct sl_sql_file *file, struct sl_error *err)
{
    return sl_job_bind_opts(file, NULL, err);
}

struct sl_job *sl_job_bind_opts(struct sl_sql_file *file, const struct sl_bind_opts *opts,
                                struct sl_error *err)
{
    return sl_job_bind_any(file, opts, true, err);
}

struct sl_job *sl_job_bind_catalog(struct sl_sql_file *file, struct sl_error *err)
{
    return sl_job_bind_any(file, NULL, false, err);
}

static struct sl_job *sl_job_bind_any(struct sl_sql_file *file, const struct sl_bind_opts *opts,
                                      bool need_insert, struct sl_error *err)
{
    struct sl_job *job = calloc(1, sizeof(*job));
    if (!job || !(job->udfs = sl_udf_set_new())) {
        free(job);
        sl_error_set(err, SL_ENOMEM, "out of memory binding SQL");
        return NULL;
    }
    for (uint32_t i = 0; opts && i < opts->nudf_paths; i++)
        if (sl_udf_set_add_path(job->udfs, opts->udf_paths[i])) {
            sl_job_free(job);
            sl_error_set(err, SL_ENOMEM, "out of memory binding SQL");
            return NULL;
        }
    if (sl_udf_set_add_default_path(job->udfs)) {
        sl_job_free(job);
        sl_error_set(err, SL_ENOMEM, "out of memory binding SQL");
        return NULL;
    }
    struct sl_binder b = {.job = job, .src = file->src, .err = err};
    for (uint32_t i = 0; i < file->stmts.n; i++) {
        if (sl_b_statement(&b, file->stmts.items[i])) {
            sl_job_free(job);
            return NULL;
        }
    }
    /* the late-data side outputs (engine/plan/late.h): after every INSERT is bound */
    if (sl_late_plan(job, file->src, err)) {
        sl_job_free(job);
        return NULL;
    }
    if (job->ninserts == 0 && need_insert) {
        sl_sql_error_at(file->src, 0, err, SL_EPARSE,
                        "nothing to run: the file has no INSERT INTO statement");
        sl_job_free(job);
        return NULL;
    }
    job->file = file;
    return job;
}

struct sl_job *sl_job_from_sql(const char *path, const char *text, size_t len,
                               const struct sl_sql_param *params, size_t nparams,
                               struct sl_error *err)
{
    struct sl_sql_file *file = sl_sql_parse(path, text, len, params, nparams, err);
    if (!file)
        return NULL;
    struct sl_job *job = sl_job_bind(file, err);
    if (!job)
        sl_sql_file_free(file);
    return job;
}

struct sl_job *sl_job_from_sql_multi(const struct sl_sql_input *in, size_t n,
                                     const struct sl_sql_param *params, size_t nparams,
                                     struct sl_error *err)
{
    return sl_job_from_sql_opts(in, n, params, nparams, NULL, err);
}

struct sl_job *sl_job_from_sql_opts(const struct sl_sql_input *in, size_t n,
                                    const struct sl_sql_param *params, size_t nparams,
                                    const struct sl_bind_opts *opts, struct sl_error *err)
{
    struct sl_sql_file *file = sl_sql_parse_multi(in, n, params, nparams, err);
    if (!file)
        return NULL;
    struct sl_job *job = sl_job_bind_opts(file, opts, err);
    if (!job)
        sl_sql_file_free(file);
    return job;
}

void sl_job_free(struct sl_job *job)
{
    if (!job)
        return;
    sl_arena_free(&job->arena);
    sl_sql_file_free(job->file);
    sl_udf_set_free(job->udfs); /* closes the UDF libraries: after the plans that use them */
    free(job);
}

/* ---- the built-in functions' names (SHOW FUNCTIONS) ---------------------------------------- */

/* The operators with a function of the evaluator (engine/plan/plan.c names them) and the
 * parser's BETWEEN; the functions sl_b_call binds by code of its own; the group window
 * functions (sl_b_gwin_aux: <F>_START, <F>_END, <F>_ROWTIME). The tables sl_aggfns,
 * sl_strfns, sl_condfns and sl_timefns give the rest. */
static const sl_fn sl_b_op_fns[] = {SL_FN_AND,         SL_FN_OR,     SL_FN_NOT,  SL_FN_IS_NULL,
                                    SL_FN_IS_NOT_NULL, SL_FN_CASE,   SL_FN_CAST, SL_FN_IN,
                                    SL_FN_LIKE,        SL_FN_CONCAT, SL_FN_MAP};
static const char *const sl_b_own_fns[] = {
    "MOD",    "PROCTIME", "TO_TIMESTAMP_LTZ", "CARDINALITY", "LOCATE", "JSON_VALUE",
    "TUMBLE", "HOP",      "CUMULATE",         "SESSION"};
#define SL_B_GWIN_AUX(F) F "_START", F "_END", F "_ROWTIME"
static const char *const sl_b_gwin_fns[] = {SL_B_GWIN_AUX("TUMBLE"), SL_B_GWIN_AUX("HOP"),
                                            SL_B_GWIN_AUX("SESSION")};
#undef SL_B_GWIN_AUX

static void sl_b_builtin_add(struct sl_sql_builtin *out, size_t cap, size_t *n, const char *name,
                             sl_sql_builtin_form form)
{
    if (*n < cap)
        out[*n] = (struct sl_sql_builtin){name, form};
    (*n)++;
}

size_t sl_sql_builtins(struct sl_sql_builtin *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof(sl_b_op_fns) / sizeof(sl_b_op_fns[0]); i++)
        sl_b_builtin_add(out, cap, &n, sl_fn_name(sl_b_op_fns[i]), SL_SQL_BUILTIN_OPERATOR);
    sl_b_builtin_add(out, cap, &n, "BETWEEN", SL_SQL_BUILTIN_OPERATOR);
    for (size_t i = 0; i < sizeof(sl_aggfns) / sizeof(sl_aggfns[0]); i++)
        sl_b_builtin_add(out, cap, &n, sl_aggfns[i], SL_SQL_BUILTIN_AGGREGATE);
    for (size_t i = 0; i < sizeof(sl_strfns) / sizeof(sl_strfns[0]); i++) {
        const char *name = sl_strfns[i].name;
        if (name[0] == '$') /* a form the parser makes: TRIM(BOTH ... FROM ...) */
            name = sl_strfns[i].fn == SL_FN_TRIM_BOTH ? "TRIM" : NULL;
        if (name)
            sl_b_builtin_add(out, cap, &n, name, SL_SQL_BUILTIN_CALL);
    }
    for (size_t i = 0; i < sizeof(sl_condfns) / sizeof(sl_condfns[0]); i++)
        sl_b_builtin_add(out, cap, &n, sl_condfns[i], SL_SQL_BUILTIN_CALL);
    for (size_t i = 0; i < sizeof(sl_timefns) / sizeof(sl_timefns[0]); i++)
        if (sl_timefns[i].name[0] != '$') /* FLOOR / CEIL(ts TO unit): FLOOR and CEIL */
            sl_b_builtin_add(out, cap, &n, sl_timefns[i].name, SL_SQL_BUILTIN_CALL);
    for (size_t i = 0; i < sizeof(sl_b_own_fns) / sizeof(sl_b_own_fns[0]); i++)
        sl_b_builtin_add(out, cap, &n, sl_b_own_fns[i], SL_SQL_BUILTIN_CALL);
    for (size_t i = 0; i < sizeof(sl_b_gwin_fns) / sizeof(sl_b_gwin_fns[0]); i++)
        sl_b_builtin_add(out, cap, &n, sl_b_gwin_fns[i], SL_SQL_BUILTIN_GROUP_WINDOW);
    return n;
}
