/*
 * engine/sql/parser.c - recursive descent over the tokens of lexer.c (see parser.h).
 *
 * One token of lookahead (`cur`) plus a saved lexer position for the few places that need
 * two (a ROW field list, `t.*`). Every node is allocated in the file's arena; on an error the
 * whole file is freed, so no rule cleans up after itself.
 */
#include "engine/sql/parser.h"

#include "engine/sql/lexer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sl_parser {
    struct sl_sql_file *file;
    struct sl_lexer lx;
    struct sl_token cur;
    struct sl_error *err;
    int depth;
};

#define SL_PARSE_MAX_DEPTH 200

#define TRY(x)          \
    do {                \
        int rc_ = (x);  \
        if (rc_)        \
            return rc_; \
    } while (0)

/* ---- tokens -------------------------------------------------------------------------------- */

static int sl_p_advance(struct sl_parser *p)
{
    return sl_lexer_next(&p->lx, &p->cur, p->err);
}

static const char *sl_p_text(const struct sl_parser *p)
{
    return p->lx.text + p->cur.pos;
}

static bool sl_p_is_kw(const struct sl_parser *p, const char *kw)
{
    return p->cur.kind == SL_TOK_IDENT && strlen(kw) == p->cur.len &&
           strncasecmp(sl_p_text(p), kw, p->cur.len) == 0;
}

static int sl_p_error(struct sl_parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int sl_p_error(struct sl_parser *p, size_t pos, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sl_sql_error_at(p->file->src, pos, p->err, SL_EPARSE, "%s", msg);
}

/* "expected X, found Y" at the current token. */
static int sl_p_expected(struct sl_parser *p, const char *what)
{
    if (p->cur.kind == SL_TOK_EOF)
        return sl_p_error(p, p->cur.pos, "expected %s, found the end of the input", what);
    if (p->cur.kind == SL_TOK_SEMI &&
        p->cur.pos >= sl_sql_source_file_end(p->file->src, p->cur.pos))
        /* the ';' between two files, which the user did not write */
        return sl_p_error(p, p->cur.pos, "expected %s, found the end of %s", what,
                          sl_sql_source_path_at(p->file->src, p->cur.pos));
    return sl_p_error(p, p->cur.pos, "expected %s, found '%.*s'", what,
                      (int)(p->cur.len > 40 ? 40 : p->cur.len), sl_p_text(p));
}

static int sl_p_accept_kw(struct sl_parser *p, const char *kw, bool *found)
{
    *found = sl_p_is_kw(p, kw);
    return *found ? sl_p_advance(p) : 0;
}

static int sl_p_expect_kw(struct sl_parser *p, const char *kw)
{
    if (!sl_p_is_kw(p, kw)) {
        char what[64];
        snprintf(what, sizeof(what), "%s", kw);
        return sl_p_expected(p, what);
    }
    return sl_p_advance(p);
}

static int sl_p_expect(struct sl_parser *p, sl_tok_kind kind)
{
    if (p->cur.kind != kind)
        return sl_p_expected(p, sl_tok_name(kind));
    return sl_p_advance(p);
}

static void *sl_p_alloc(struct sl_parser *p, size_t size)
{
    void *m = sl_arena_alloc(&p->file->arena, size);
    if (!m)
        sl_error_set(p->err, SL_ENOMEM, "out of memory parsing SQL");
    return m;
}

static struct sl_ast *sl_p_node(struct sl_parser *p, sl_ast_kind kind, size_t pos)
{
    struct sl_ast *n = sl_p_alloc(p, sizeof(*n));
    if (n) {
        n->kind = kind;
        n->pos = pos;
    }
    return n;
}

static int sl_list_push(struct sl_parser *p, struct sl_ast_list *l, struct sl_ast *item)
{
    /* capacities are powers of two; grow by copying into the arena */
    if ((l->n & (l->n - 1)) == 0) {
        uint32_t cap = l->n ? l->n * 2 : 4;
        if (l->n == 0 || l->n >= 4) {
            struct sl_ast **items = sl_p_alloc(p, cap * sizeof(*items));
            if (!items)
                return SL_ENOMEM;
            if (l->n)
                memcpy(items, l->items, l->n * sizeof(*items));
            l->items = items;
        }
    }
    l->items[l->n++] = item;
    return 0;
}

/* Words that end an expression or a relation and so are never taken as an implicit alias. */
static bool sl_p_is_reserved(const struct sl_parser *p)
{
    static const char *const words[] = {
        "FROM",   "WHERE",  "GROUP",  "HAVING", "ORDER",     "LIMIT",   "UNION",
        "JOIN",   "INNER",  "LEFT",   "RIGHT",  "FULL",      "CROSS",   "ON",
        "AND",    "OR",     "NOT",    "AS",     "SELECT",    "BY",      "WHEN",
        "THEN",   "ELSE",   "END",    "IS",     "IN",        "BETWEEN", "LIKE",
        "WINDOW", "INSERT", "CREATE", "SET",    "LATERAL",   "OUTER",   "NATURAL",
        "USING",  "EMIT",   "OVER",   "FOR",    "INTERSECT", "EXCEPT",  "MINUS",
    };
    if (p->cur.kind != SL_TOK_IDENT)
        return false;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (sl_p_is_kw(p, words[i]))
            return true;
    return false;
}

/* An identifier (plain or back-quoted) into *out, owned by the arena. */
static int sl_p_ident(struct sl_parser *p, const char **out, const char *what)
{
    if (p->cur.kind == SL_TOK_IDENT) {
        *out = sl_arena_strndup(&p->file->arena, sl_p_text(p), p->cur.len);
    } else if (p->cur.kind == SL_TOK_QIDENT) {
        /* strip the quotes, `` -> ` */
        char *s = sl_p_alloc(p, p->cur.len);
        if (!s)
            return SL_ENOMEM;
        size_t k = 0;
        for (size_t i = 1; i + 1 < p->cur.len; i++) {
            s[k++] = sl_p_text(p)[i];
            if (sl_p_text(p)[i] == '`')
                i++;
        }
        s[k] = '\0';
        *out = s;
    } else {
        return sl_p_expected(p, what);
    }
    if (!*out)
        return sl_error_set(p->err, SL_ENOMEM, "out of memory parsing SQL");
    return sl_p_advance(p);
}

/* A string literal's value (quotes removed, '' -> ') into *out. */
static int sl_p_string(struct sl_parser *p, const char **out, const char *what)
{
    if (p->cur.kind != SL_TOK_STRING)
        return sl_p_expected(p, what);
    char *s = sl_p_alloc(p, p->cur.len);
    if (!s)
        return SL_ENOMEM;
    size_t k = 0;
    for (size_t i = 1; i + 1 < p->cur.len; i++) {
        s[k++] = sl_p_text(p)[i];
        if (sl_p_text(p)[i] == '\'')
            i++;
    }
    s[k] = '\0';
    *out = s;
    return sl_p_advance(p);
}

/* ---- types --------------------------------------------------------------------------------- */

static int sl_p_uint(struct sl_parser *p, unsigned *out, unsigned max, const char *what)
{
    if (p->cur.kind != SL_TOK_INTEGER)
        return sl_p_expected(p, what);
    unsigned long v = strtoul(sl_p_text(p), NULL, 10);
    if (p->cur.len > 9 || v > max)
        return sl_p_error(p, p->cur.pos, "%s must be at most %u", what, max);
    *out = (unsigned)v;
    return sl_p_advance(p);
}

static int sl_p_type(struct sl_parser *p, struct sl_ast_type **out);

static int sl_p_row_type(struct sl_parser *p, struct sl_ast_type *t)
{
    /* ROW<name type, ...> or ROW(name type, ...) */
    sl_tok_kind close;
    if (p->cur.kind == SL_TOK_LT)
        close = SL_TOK_GT;
    else if (p->cur.kind == SL_TOK_LPAREN)
        close = SL_TOK_RPAREN;
    else
        return sl_p_expected(p, "'<' after ROW");
    TRY(sl_p_advance(p));
    t->is_row = true;
    uint32_t cap = 0;
    for (;;) {
        const char *name;
        TRY(sl_p_ident(p, &name, "a field name"));
        struct sl_ast_type *ft;
        TRY(sl_p_type(p, &ft));
        if (t->nfields == cap) {
            cap = cap ? cap * 2 : 8;
            const char **nn = sl_p_alloc(p, cap * sizeof(*nn));
            struct sl_ast_type **nt = sl_p_alloc(p, cap * sizeof(*nt));
            if (!nn || !nt)
                return SL_ENOMEM;
            if (t->nfields) {
                memcpy(nn, t->field_names, t->nfields * sizeof(*nn));
                memcpy(nt, t->field_types, t->nfields * sizeof(*nt));
            }
            t->field_names = nn;
            t->field_types = nt;
        }
        for (uint32_t i = 0; i < t->nfields; i++)
            if (strcmp(t->field_names[i], name) == 0)
                return sl_p_error(p, ft->pos, "duplicate field '%s' in ROW", name);
        t->field_names[t->nfields] = name;
        t->field_types[t->nfields++] = ft;
        if (p->cur.kind == SL_TOK_COMMA) {
            TRY(sl_p_advance(p));
            continue;
        }
        if (p->cur.kind == SL_TOK_GT && close == SL_TOK_GT)
            return sl_p_advance(p);
        if (p->cur.kind == SL_TOK_GE && close == SL_TOK_GT) {
            /* ROW<a ROW<b INT>> lexes '>>' as '>' '>'; '>=' cannot close a type */
            return sl_p_expected(p, "'>'");
        }
        if (p->cur.kind == close)
            return sl_p_advance(p);
        return sl_p_expected(p, close == SL_TOK_GT ? "',' or '>'" : "',' or ')'");
    }
}

static int sl_p_type(struct sl_parser *p, struct sl_ast_type **out)
{
    struct sl_ast_type *t = sl_p_alloc(p, sizeof(*t));
    if (!t)
        return SL_ENOMEM;
    t->pos = p->cur.pos;
    *out = t;
    if (p->cur.kind != SL_TOK_IDENT)
        return sl_p_expected(p, "a type");
    size_t tpos = p->cur.pos;
    char word[32];
    snprintf(word, sizeof(word), "%.*s", (int)(p->cur.len < 31 ? p->cur.len : 31), sl_p_text(p));
    for (char *c = word; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    TRY(sl_p_advance(p));
    bool found;
    if (strcmp(word, "ROW") == 0) {
        TRY(sl_p_row_type(p, t));
    } else if (strcmp(word, "BIGINT") == 0) {
        t->scalar = sl_type_make(SL_TYPE_BIGINT, true);
    } else if (strcmp(word, "INT") == 0 || strcmp(word, "INTEGER") == 0) {
        t->scalar = sl_type_make(SL_TYPE_INT, true);
    } else if (strcmp(word, "DOUBLE") == 0) {
        TRY(sl_p_accept_kw(p, "PRECISION", &found));
        t->scalar = sl_type_make(SL_TYPE_DOUBLE, true);
    } else if (strcmp(word, "BOOLEAN") == 0) {
        t->scalar = sl_type_make(SL_TYPE_BOOLEAN, true);
    } else if (strcmp(word, "STRING") == 0) {
        t->scalar = sl_type_make(SL_TYPE_VARCHAR, true);
    } else if (strcmp(word, "VARCHAR") == 0 || strcmp(word, "CHAR") == 0) {
        t->scalar = sl_type_make(SL_TYPE_VARCHAR, true);
        if (p->cur.kind == SL_TOK_LPAREN) {
            unsigned n;
            TRY(sl_p_advance(p));
            TRY(sl_p_uint(p, &n, 2147483647u, "a length"));
            TRY(sl_p_expect(p, SL_TOK_RPAREN));
        }
    } else if (strcmp(word, "BYTES") == 0 || strcmp(word, "VARBINARY") == 0) {
        /* BYTES is VARBINARY(2147483647); a shorter VARBINARY(n) is taken as BYTES, as
         * VARCHAR(n) is taken as STRING */
        t->scalar = sl_type_logical(SL_TYPE_VARCHAR, SL_LOGICAL_BYTES, true);
        if (strcmp(word, "VARBINARY") == 0 && p->cur.kind == SL_TOK_LPAREN) {
            unsigned n;
            TRY(sl_p_advance(p));
            TRY(sl_p_uint(p, &n, 2147483647u, "a length"));
            TRY(sl_p_expect(p, SL_TOK_RPAREN));
        }
    } else if (strcmp(word, "MAP") == 0) {
        /* MAP<k, v>: only MAP<STRING, BYTES> (the Kafka 'headers' type) so far */
        if (p->cur.kind != SL_TOK_LT)
            return sl_p_expected(p, "'<' after MAP");
        TRY(sl_p_advance(p));
        struct sl_ast_type *kt, *vt;
        TRY(sl_p_type(p, &kt));
        TRY(sl_p_expect(p, SL_TOK_COMMA));
        TRY(sl_p_type(p, &vt));
        if (p->cur.kind != SL_TOK_GT)
            return sl_p_expected(p, "'>' to close MAP<");
        TRY(sl_p_advance(p));
        if (kt->is_row || vt->is_row || !sl_type_is_string(kt->scalar) ||
            !sl_type_is_bytes(vt->scalar))
            return sl_p_error(p, tpos,
                              "only MAP<STRING, BYTES> is supported yet (the type of Kafka's "
                              "'headers')");
        t->scalar = sl_type_logical(SL_TYPE_VARCHAR, SL_LOGICAL_MAP, true);
    } else if (strcmp(word, "DECIMAL") == 0 || strcmp(word, "DEC") == 0 ||
               strcmp(word, "NUMERIC") == 0) {
        unsigned prec = 10, scale = 0; /* Flink's default DECIMAL is DECIMAL(10, 0) */
        if (p->cur.kind == SL_TOK_LPAREN) {
            TRY(sl_p_advance(p));
            size_t ppos = p->cur.pos;
            TRY(sl_p_uint(p, &prec, SL_DECIMAL_MAX_PRECISION, "a DECIMAL precision"));
            if (prec < 1)
                return sl_p_error(p, ppos, "DECIMAL precision must be at least 1");
            if (p->cur.kind == SL_TOK_COMMA) {
                TRY(sl_p_advance(p));
                size_t spos = p->cur.pos;
                TRY(sl_p_uint(p, &scale, 38, "a scale"));
                if (scale > prec)
                    return sl_p_error(p, spos, "DECIMAL scale %u is larger than its precision %u",
                                      scale, prec);
            }
            TRY(sl_p_expect(p, SL_TOK_RPAREN));
        }
        t->scalar = sl_type_decimal(prec, scale, true);
    } else if (strcmp(word, "TIMESTAMP") == 0 || strcmp(word, "TIMESTAMP_LTZ") == 0) {
        unsigned prec = 6; /* Flink's default TIMESTAMP precision */
        bool explicit_prec = false;
        size_t ppos = p->cur.pos;
        if (p->cur.kind == SL_TOK_LPAREN) {
            TRY(sl_p_advance(p));
            ppos = p->cur.pos;
            TRY(sl_p_uint(p, &prec, 9, "a precision"));
            TRY(sl_p_expect(p, SL_TOK_RPAREN));
            explicit_prec = true;
        }
        /* TIMESTAMP_LTZ(p) is Flink's short form of TIMESTAMP(p) WITH LOCAL TIME ZONE */
        bool ltz = strcmp(word, "TIMESTAMP_LTZ") == 0, with = false;
        if (!ltz)
            TRY(sl_p_accept_kw(p, "WITH", &with));
        if (with) {
            bool local;
            TRY(sl_p_accept_kw(p, "LOCAL", &local));
            if (!local)
                return sl_p_error(p, tpos,
                                  "TIMESTAMP WITH TIME ZONE is not supported (nor by Flink); "
                                  "use TIMESTAMP(3) or TIMESTAMP_LTZ(3)");
            TRY(sl_p_expect_kw(p, "TIME"));
            TRY(sl_p_expect_kw(p, "ZONE"));
            ltz = true;
        } else if (!ltz) {
            TRY(sl_p_accept_kw(p, "WITHOUT", &found));
            if (found) {
                TRY(sl_p_expect_kw(p, "TIME"));
                TRY(sl_p_expect_kw(p, "ZONE"));
            }
        }
        if (prec != 3)
            return sl_p_error(p, explicit_prec ? ppos : tpos,
                              "%s(%u) is not supported yet: sluice keeps timestamps in "
                              "milliseconds, write %s(3)",
                              ltz ? "TIMESTAMP_LTZ" : "TIMESTAMP", prec,
                              ltz ? "TIMESTAMP_LTZ" : "TIMESTAMP");
        t->scalar = ltz ? sl_type_logical(SL_TYPE_TIMESTAMP, SL_LOGICAL_LTZ, true)
                        : sl_type_make(SL_TYPE_TIMESTAMP, true);
    } else if (strcmp(word, "TINYINT") == 0 || strcmp(word, "SMALLINT") == 0 ||
               strcmp(word, "FLOAT") == 0 || strcmp(word, "REAL") == 0 ||
               strcmp(word, "DATE") == 0 || strcmp(word, "TIME") == 0 ||
               strcmp(word, "BINARY") == 0 || strcmp(word, "ARRAY") == 0 ||
               strcmp(word, "MULTISET") == 0) {
        return sl_p_error(p, tpos, "type %s is not supported yet", word);
    } else {
        return sl_p_error(p, tpos, "unknown type '%s'", word);
    }
    /* NOT NULL / NULL */
    if (sl_p_is_kw(p, "NOT")) {
        TRY(sl_p_advance(p));
        TRY(sl_p_expect_kw(p, "NULL"));
        if (t->is_row)
            return sl_p_error(p, t->pos, "NOT NULL on a ROW type is not supported yet");
        t->scalar.nullable = false;
    } else {
        TRY(sl_p_accept_kw(p, "NULL", &found));
    }
    return 0;
}

/* ---- expressions --------------------------------------------------------------------------- */

static int sl_p_expr(struct sl_parser *p, struct sl_ast **out);
static int sl_p_query(struct sl_parser *p, struct sl_ast **out);

static int sl_p_interval(struct sl_parser *p, struct sl_ast **out, size_t pos)
{
    /* INTERVAL 'n' unit  |  INTERVAL 'n' unit(precision) ; Flink also takes a number */
    const char *val;
    size_t vpos = p->cur.pos;
    if (p->cur.kind == SL_TOK_INTEGER) {
        val = sl_arena_strndup(&p->file->arena, sl_p_text(p), p->cur.len);
        TRY(sl_p_advance(p));
    } else {
        TRY(sl_p_string(p, &val, "a quoted interval value such as '10'"));
    }
    if (p->cur.kind != SL_TOK_IDENT)
        return sl_p_expected(p, "an interval unit (SECOND, MINUTE, HOUR, DAY, ...)");
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"MILLISECOND", 1}, {"SECOND", 1000},   {"MINUTE", 60000},  {"HOUR", 3600000},
                 {"DAY", 86400000},  {"SECONDS", 1000},  {"MINUTES", 60000}, {"HOURS", 3600000},
                 {"DAYS", 86400000}, {"MILLISECONDS", 1}};
    int64_t unit_ms = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (sl_p_is_kw(p, units[i].unit))
            unit_ms = units[i].ms;
    if (!unit_ms) {
        if (sl_p_is_kw(p, "MONTH") || sl_p_is_kw(p, "YEAR"))
            return sl_p_error(p, p->cur.pos, "year-month intervals are not supported yet");
        return sl_p_expected(p, "an interval unit (SECOND, MINUTE, HOUR, DAY, ...)");
    }
    TRY(sl_p_advance(p));
    if (p->cur.kind == SL_TOK_LPAREN) { /* SECOND(3) */
        unsigned ignored;
        TRY(sl_p_advance(p));
        TRY(sl_p_uint(p, &ignored, 9, "a precision"));
        TRY(sl_p_expect(p, SL_TOK_RPAREN));
    }
    /* the value: an integer, or for SECOND a decimal like '1.5' */
    char *end;
    const char *v = val;
    while (*v == ' ')
        v++;
    double d = strtod(v, &end);
    while (*end == ' ')
        end++;
    if (end == v || *end != '\0' || d < 0 || d * (double)unit_ms > 9.2e18)
        return sl_p_error(p, vpos, "invalid interval value '%s'", val);
    struct sl_ast *n = sl_p_node(p, SL_AST_INTERVAL, pos);
    if (!n)
        return SL_ENOMEM;
    n->lit = val;
    n->ival = (int64_t)(d * (double)unit_ms + 0.5);
    *out = n;
    return 0;
}

static int sl_p_args(struct sl_parser *p, struct sl_ast_list *args)
{
    /* after '(' : expr {, expr} ')' or ')' */
    if (p->cur.kind == SL_TOK_RPAREN)
        return sl_p_advance(p);
    for (;;) {
        struct sl_ast *e;
        TRY(sl_p_expr(p, &e));
        TRY(sl_list_push(p, args, e));
        if (p->cur.kind == SL_TOK_COMMA) {
            TRY(sl_p_advance(p));
            continue;
        }
        return sl_p_expect(p, SL_TOK_RPAREN);
    }
}

static int sl_p_add(struct sl_parser *p, struct sl_ast **out);

/*
 * The SQL standard's keyword forms of string functions, as calls the binder knows:
 *   TRIM([BOTH|LEADING|TRAILING] [chars] FROM s), TRIM(s)  -> $TRIM(mode 0|1|2, chars, s)
 *   POSITION(a IN b)                                       -> POSITION(a, b)
 *   SUBSTRING(s FROM i [FOR n])                            -> SUBSTRING(s, i [, n])
 *   OVERLAY(s PLACING r FROM i [FOR n])                    -> OVERLAY(s, r, i [, n])
 * The comma forms (SUBSTRING(s, i, n)) are parsed here too. *done is false (and nothing
 * consumed) when the name is not followed by '(': then it is a column.
 */
static int sl_p_sql_call(struct sl_parser *p, struct sl_ast **out, size_t pos, bool *done)
{
    struct sl_lexer save = p->lx;
    struct sl_token save_tok = p->cur;
    const char *name = sl_p_is_kw(p, "TRIM")       ? "$TRIM"
                       : sl_p_is_kw(p, "POSITION") ? "POSITION"
                       : sl_p_is_kw(p, "OVERLAY")  ? "OVERLAY"
                                                   : "SUBSTRING";
    TRY(sl_p_advance(p));
    *done = p->cur.kind == SL_TOK_LPAREN;
    if (!*done) {
        p->lx = save;
        p->cur = save_tok;
        return 0;
    }
    TRY(sl_p_advance(p));
    struct sl_ast *n = sl_p_node(p, SL_AST_CALL, pos), *e;
    if (!n)
        return SL_ENOMEM;
    n->name = name;
    *out = n;
    bool found;
    if (name[0] == '$') {
        const char *mode = "0";
        if (sl_p_is_kw(p, "BOTH") || sl_p_is_kw(p, "LEADING") || sl_p_is_kw(p, "TRAILING")) {
            mode = sl_p_is_kw(p, "BOTH") ? "0" : sl_p_is_kw(p, "LEADING") ? "1" : "2";
            TRY(sl_p_advance(p));
        }
        struct sl_ast *m = sl_p_node(p, SL_AST_INT, pos), *chars = NULL, *str = NULL;
        if (!m)
            return SL_ENOMEM;
        m->lit = mode;
        TRY(sl_list_push(p, &n->args, m));
        if (!sl_p_is_kw(p, "FROM"))
            TRY(sl_p_expr(p, &chars));
        TRY(sl_p_accept_kw(p, "FROM", &found));
        if (found) {
            TRY(sl_p_expr(p, &str));
        } else {
            str = chars;
            chars = NULL;
        }
        if (!chars) {
            chars = sl_p_node(p, SL_AST_STR, pos);
            if (!chars)
                return SL_ENOMEM;
            chars->lit = " ";
        }
        TRY(sl_list_push(p, &n->args, chars));
        TRY(sl_list_push(p, &n->args, str));
        return sl_p_expect(p, SL_TOK_RPAREN);
    }
    if (name[0] == 'P') {
        TRY(sl_p_add(p, &e));
        TRY(sl_list_push(p, &n->args, e));
        if (p->cur.kind == SL_TOK_COMMA)
            TRY(sl_p_advance(p));
        else
            TRY(sl_p_expect_kw(p, "IN"));
        TRY(sl_p_expr(p, &e));
        TRY(sl_list_push(p, &n->args, e));
        return sl_p_expect(p, SL_TOK_RPAREN);
    }
    TRY(sl_p_expr(p, &e));
    TRY(sl_list_push(p, &n->args, e));
    if (p->cur.kind == SL_TOK_COMMA) { /* the comma form */
        TRY(sl_p_advance(p));
        return sl_p_args(p, &n->args);
    }
    if (name[0] == 'O') {
        TRY(sl_p_expect_kw(p, "PLACING"));
        TRY(sl_p_expr(p, &e));
        TRY(sl_list_push(p, &n->args, e));
    }
    TRY(sl_p_expect_kw(p, "FROM"));
    TRY(sl_p_expr(p, &e));
    TRY(sl_list_push(p, &n->args, e));
    TRY(sl_p_accept_kw(p, "FOR", &found));
    if (found) {
        TRY(sl_p_expr(p, &e));
        TRY(sl_list_push(p, &n->args, e));
    }
    return sl_p_expect(p, SL_TOK_RPAREN);
}

/*
 * JSON_VALUE(json, path [RETURNING type] [{NULL|ERROR|DEFAULT e} ON EMPTY]
 *            [{NULL|ERROR|DEFAULT e} ON ERROR])
 * -> $JSON_VALUE(json, path, empty, empty_default, error, error_default) with .type the
 * RETURNING type (NULL: STRING); a behaviour is an INT node (engine/ops/fn_json.h's
 * sl_json_beh), a missing default a NULL node. Called after "JSON_VALUE" "(".
 */
static int sl_p_json_value(struct sl_parser *p, struct sl_ast **out, size_t pos)
{
    struct sl_ast *n = sl_p_node(p, SL_AST_CALL, pos), *e,
                  *beh[2][2] = {{NULL, NULL}, {NULL, NULL}};
    if (!n)
        return SL_ENOMEM;
    n->name = "$JSON_VALUE";
    *out = n;
    TRY(sl_p_expr(p, &e));
    TRY(sl_list_push(p, &n->args, e));
    TRY(sl_p_expect(p, SL_TOK_COMMA));
    TRY(sl_p_expr(p, &e));
    TRY(sl_list_push(p, &n->args, e));
    bool found;
    TRY(sl_p_accept_kw(p, "RETURNING", &found));
    if (found)
        TRY(sl_p_type(p, &n->type));
    while (sl_p_is_kw(p, "NULL") || sl_p_is_kw(p, "ERROR") || sl_p_is_kw(p, "DEFAULT")) {
        size_t bpos = p->cur.pos;
        const char *mode = sl_p_is_kw(p, "NULL") ? "0" : sl_p_is_kw(p, "ERROR") ? "1" : "2";
        struct sl_ast *m = sl_p_node(p, SL_AST_INT, bpos), *def = NULL;
        if (!m)
            return SL_ENOMEM;
        m->lit = mode;
        TRY(sl_p_advance(p));
        if (mode[0] == '2')
            TRY(sl_p_expr(p, &def));
        TRY(sl_p_expect_kw(p, "ON"));
        int which = sl_p_is_kw(p, "EMPTY") ? 0 : sl_p_is_kw(p, "ERROR") ? 1 : -1;
        if (which < 0)
            return sl_p_expected(p, "EMPTY or ERROR");
        if (beh[which][0] || (which == 0 && beh[1][0]))
            return sl_p_error(p, bpos, "JSON_VALUE: %s",
                              which ? "ON ERROR given twice"
                                    : "ON EMPTY must come once, before ON ERROR");
        TRY(sl_p_advance(p));
        beh[which][0] = m;
        beh[which][1] = def;
    }
    for (int i = 0; i < 2; i++) {
        if (!beh[i][0]) {
            beh[i][0] = sl_p_node(p, SL_AST_INT, pos);
            if (!beh[i][0])
                return SL_ENOMEM;
            beh[i][0]->lit = "0";
        }
        if (!beh[i][1] && !(beh[i][1] = sl_p_node(p, SL_AST_NULL, pos)))
            return SL_ENOMEM;
        TRY(sl_list_push(p, &n->args, beh[i][0]));
        TRY(sl_list_push(p, &n->args, beh[i][1]));
    }
    return sl_p_expect(p, SL_TOK_RPAREN);
}

/* After "EXTRACT(", "FLOOR(", "CEIL(" or "CEILING(": EXTRACT(unit FROM e) becomes EXTRACT
 * with the arguments unit, e; FLOOR(e TO unit) / CEIL(e TO unit) become $FLOOR_TO / $CEIL_TO
 * with unit, e; FLOOR(e) / CEIL(e) stay plain calls. A unit is a name (a COLUMN node the
 * binder reads as the unit). */
static int sl_p_time_call(struct sl_parser *p, struct sl_ast *n)
{
    bool extract = strcasecmp(n->name, "EXTRACT") == 0;
    struct sl_ast *unit = NULL, *e;
    if (extract) {
        unit = sl_p_node(p, SL_AST_COLUMN, p->cur.pos);
        if (!unit)
            return SL_ENOMEM;
        unit->npath = 1;
        unit->path = sl_p_alloc(p, sizeof(*unit->path));
        if (!unit->path)
            return SL_ENOMEM;
        TRY(sl_p_ident(p, &unit->path[0], "a time unit (YEAR, MONTH, DAY, HOUR...)"));
        TRY(sl_p_expect_kw(p, "FROM"));
    }
    TRY(sl_p_expr(p, &e));
    if (!extract && sl_p_is_kw(p, "TO")) {
        TRY(sl_p_advance(p));
        unit = sl_p_node(p, SL_AST_COLUMN, p->cur.pos);
        if (!unit)
            return SL_ENOMEM;
        unit->npath = 1;
        unit->path = sl_p_alloc(p, sizeof(*unit->path));
        if (!unit->path)
            return SL_ENOMEM;
        TRY(sl_p_ident(p, &unit->path[0], "a time unit (YEAR, MONTH, DAY, HOUR...)"));
        n->name = toupper((unsigned char)n->name[0]) == 'F' ? "$FLOOR_TO" : "$CEIL_TO";
    }
    if (unit)
        TRY(sl_list_push(p, &n->args, unit));
    TRY(sl_list_push(p, &n->args, e));
    if (!unit && p->cur.kind == SL_TOK_COMMA) {
        TRY(sl_p_advance(p));
        return sl_p_args(p, &n->args);
    }
    return sl_p_expect(p, SL_TOK_RPAREN);
}

static int sl_p_case(struct sl_parser *p, struct sl_ast **out, size_t pos)
{
    struct sl_ast *n = sl_p_node(p, SL_AST_CASE, pos);
    if (!n)
        return SL_ENOMEM;
    if (!sl_p_is_kw(p, "WHEN"))
        TRY(sl_p_expr(p, &n->left));
    if (!sl_p_is_kw(p, "WHEN"))
        return sl_p_expected(p, "WHEN");
    while (sl_p_is_kw(p, "WHEN")) {
        struct sl_ast *w, *t;
        TRY(sl_p_advance(p));
        TRY(sl_p_expr(p, &w));
        TRY(sl_p_expect_kw(p, "THEN"));
        TRY(sl_p_expr(p, &t));
        TRY(sl_list_push(p, &n->args, w));
        TRY(sl_list_push(p, &n->args, t));
    }
    bool found;
    TRY(sl_p_accept_kw(p, "ELSE", &found));
    if (found)
        TRY(sl_p_expr(p, &n->right));
    TRY(sl_p_expect_kw(p, "END"));
    *out = n;
    return 0;
}

/*
 * call OVER (PARTITION BY e, ... ORDER BY e [ASC | DESC] [NULLS FIRST | LAST], ... [frame]):
 * ROW_NUMBER, which the binder turns into Top-N or deduplication (engine/plan/plan.h,
 * SL_PLAN_RANK), or an aggregate COUNT / SUM / MIN / MAX / AVG with an optional frame
 *   ROWS | RANGE [BETWEEN] {UNBOUNDED | n | INTERVAL '..' unit} PRECEDING [AND CURRENT ROW]
 * (SL_PLAN_OVER). RANK(), DENSE_RANK() (with Flink's words), other functions, other frames and
 * named windows are refused here, at their position.
 */
static int sl_p_over(struct sl_parser *p, struct sl_ast *call, struct sl_ast **out)
{
    size_t over_pos = p->cur.pos;
    const char *fn = call->name;
    bool agg = strcasecmp(fn, "COUNT") == 0 || strcasecmp(fn, "SUM") == 0 ||
               strcasecmp(fn, "MIN") == 0 || strcasecmp(fn, "MAX") == 0 ||
               strcasecmp(fn, "AVG") == 0;
    /* Flink 1.20's StreamExecRank refuses both in streaming mode, over insert-only and
     * updating inputs alike (checked against it): its words */
    if (strcasecmp(fn, "RANK") == 0 || strcasecmp(fn, "DENSE_RANK") == 0)
        return sl_p_error(p, call->pos,
                          "%s() on streaming table is not supported currently (Flink's "
                          "words; ROW_NUMBER() OVER (... ORDER BY ...) runs: Top-N and "
                          "deduplication)",
                          strcasecmp(fn, "RANK") == 0 ? "RANK" : "DENSE_RANK");
    if (!agg && strcasecmp(fn, "ROW_NUMBER") != 0)
        return sl_p_error(p, call->pos,
                          "%s(...) OVER is not supported yet; ROW_NUMBER() OVER (...) (Top-N "
                          "and deduplication) and COUNT, SUM, MIN, MAX, AVG OVER (...) are",
                          fn);
    if (!agg && (call->star || call->distinct || call->args.n || call->right))
        return sl_p_error(p, call->pos, "ROW_NUMBER takes no arguments: ROW_NUMBER() OVER (...)");
    if (agg && call->distinct)
        return sl_p_error(p, call->pos, "%s(DISTINCT ...) OVER is not supported yet", fn);
    if (agg && call->right)
        return sl_p_error(p, call->right->pos, "%s(...) FILTER (...) OVER is not supported yet",
                          fn);
    TRY(sl_p_advance(p));
    if (p->cur.kind != SL_TOK_LPAREN)
        return sl_p_error(p, p->cur.pos,
                          "named windows (OVER w) are not supported yet: write OVER (PARTITION "
                          "BY ... ORDER BY ...)");
    TRY(sl_p_advance(p));
    struct sl_ast *n = sl_p_node(p, SL_AST_OVER, over_pos);
    if (!n)
        return SL_ENOMEM;
    n->over.call = call;
    if (sl_p_is_kw(p, "PARTITION")) {
        TRY(sl_p_advance(p));
        TRY(sl_p_expect_kw(p, "BY"));
        for (;;) {
            struct sl_ast *e;
            TRY(sl_p_expr(p, &e));
            TRY(sl_list_push(p, &n->over.part, e));
            if (p->cur.kind != SL_TOK_COMMA)
                break;
            TRY(sl_p_advance(p));
        }
    }
    if (!sl_p_is_kw(p, "ORDER"))
        return sl_p_error(p, p->cur.pos,
                          agg ? "%s(...) OVER needs an ORDER BY on a time attribute (Flink's "
                                "OVER aggregates in stream mode)"
                              : "ROW_NUMBER() OVER needs an ORDER BY (Flink: the ranking order)",
                          fn);
    TRY(sl_p_advance(p));
    TRY(sl_p_expect_kw(p, "BY"));
    bool desc[64];
    uint8_t nulls[64];
    for (;;) {
        struct sl_ast *e;
        TRY(sl_p_expr(p, &e));
        if (n->over.order.n == 64)
            return sl_p_error(p, e->pos, "ORDER BY of more than 64 items");
        bool found;
        uint32_t i = n->over.order.n;
        desc[i] = false;
        nulls[i] = 0;
        TRY(sl_p_accept_kw(p, "DESC", &found));
        desc[i] = found;
        if (!found)
            TRY(sl_p_accept_kw(p, "ASC", &found));
        if (sl_p_is_kw(p, "NULLS")) {
            TRY(sl_p_advance(p));
            if (sl_p_is_kw(p, "FIRST"))
                nulls[i] = 1;
            else if (sl_p_is_kw(p, "LAST"))
                nulls[i] = 2;
            else
                return sl_p_expected(p, "FIRST or LAST after NULLS");
            TRY(sl_p_advance(p));
        }
        TRY(sl_list_push(p, &n->over.order, e));
        if (p->cur.kind != SL_TOK_COMMA)
            break;
        TRY(sl_p_advance(p));
    }
    if ((sl_p_is_kw(p, "ROWS") || sl_p_is_kw(p, "RANGE")) && !agg)
        return sl_p_error(p, p->cur.pos,
                          "a window frame (%.*s ...) is not supported yet: ROW_NUMBER() OVER "
                          "(PARTITION BY ... ORDER BY ...) takes none",
                          (int)p->cur.len, sl_p_text(p));
    if (sl_p_is_kw(p, "ROWS") || sl_p_is_kw(p, "RANGE")) {
        n->over.frame = sl_p_is_kw(p, "ROWS") ? 1 : 2;
        n->over.frame_pos = p->cur.pos;
        TRY(sl_p_advance(p));
        bool between;
        TRY(sl_p_accept_kw(p, "BETWEEN", &between));
        if (sl_p_is_kw(p, "UNBOUNDED")) {
            TRY(sl_p_advance(p));
        } else if (sl_p_is_kw(p, "CURRENT")) {
            return sl_p_error(p, p->cur.pos,
                              "a frame starting at CURRENT ROW is not supported yet: write "
                              "BETWEEN ... PRECEDING AND CURRENT ROW");
        } else {
            TRY(sl_p_expr(p, &n->over.preceding));
        }
        if (sl_p_is_kw(p, "FOLLOWING"))
            return sl_p_error(p, p->cur.pos,
                              "FOLLOWING in an OVER frame is not supported (Flink: OVER "
                              "windows in stream mode end at the CURRENT ROW)");
        TRY(sl_p_expect_kw(p, "PRECEDING"));
        if (between) {
            TRY(sl_p_expect_kw(p, "AND"));
            if (!sl_p_is_kw(p, "CURRENT"))
                return sl_p_error(p, p->cur.pos,
                                  "an OVER frame must end at the CURRENT ROW (Flink: OVER "
                                  "windows in stream mode); %.*s is not supported",
                                  (int)p->cur.len, sl_p_text(p));
            TRY(sl_p_advance(p));
            TRY(sl_p_expect_kw(p, "ROW"));
        }
    }
    TRY(sl_p_expect(p, SL_TOK_RPAREN));
    n->over.desc = sl_p_alloc(p, n->over.order.n * sizeof(*n->over.desc));
    n->over.nulls = sl_p_alloc(p, n->over.order.n);
    if (!n->over.desc || !n->over.nulls)
        return SL_ENOMEM;
    memcpy(n->over.desc, desc, n->over.order.n * sizeof(*desc));
    memcpy(n->over.nulls, nulls, n->over.order.n);
    *out = n;
    return 0;
}

static int sl_p_primary(struct sl_parser *p, struct sl_ast **out)
{
    size_t pos = p->cur.pos;
    struct sl_ast *n;
    switch (p->cur.kind) {
    case SL_TOK_INTEGER:
    case SL_TOK_DECIMAL:
        n = sl_p_node(p, p->cur.kind == SL_TOK_INTEGER ? SL_AST_INT : SL_AST_DEC, pos);
        if (!n)
            return SL_ENOMEM;
        n->lit = sl_arena_strndup(&p->file->arena, sl_p_text(p), p->cur.len);
        *out = n;
        return sl_p_advance(p);
    case SL_TOK_STRING:
        n = sl_p_node(p, SL_AST_STR, pos);
        if (!n)
            return SL_ENOMEM;
        *out = n;
        return sl_p_string(p, &n->lit, "a string");
    case SL_TOK_LPAREN:
        TRY(sl_p_advance(p));
        if (sl_p_is_kw(p, "SELECT"))
            return sl_p_error(p, p->cur.pos, "scalar subqueries are not supported yet");
        TRY(sl_p_expr(p, out));
        return sl_p_expect(p, SL_TOK_RPAREN);
    case SL_TOK_STAR:
        n = sl_p_node(p, SL_AST_STAR, pos);
        if (!n)
            return SL_ENOMEM;
        *out = n;
        return sl_p_advance(p);
    case SL_TOK_IDENT:
    case SL_TOK_QIDENT:
        break;
    default:
        return sl_p_expected(p, "an expression");
    }
    if (p->cur.kind == SL_TOK_IDENT) {
        if (sl_p_is_kw(p, "NULL") || sl_p_is_kw(p, "TRUE") || sl_p_is_kw(p, "FALSE")) {
            n = sl_p_node(p, sl_p_is_kw(p, "NULL") ? SL_AST_NULL : SL_AST_BOOL, pos);
            if (!n)
                return SL_ENOMEM;
            n->ival = sl_p_is_kw(p, "TRUE");
            *out = n;
            return sl_p_advance(p);
        }
        if (sl_p_is_kw(p, "CASE")) {
            TRY(sl_p_advance(p));
            return sl_p_case(p, out, pos);
        }
        if (sl_p_is_kw(p, "INTERVAL")) {
            TRY(sl_p_advance(p));
            return sl_p_interval(p, out, pos);
        }
        if (sl_p_is_kw(p, "CAST") || sl_p_is_kw(p, "TRY_CAST")) {
            bool try_cast = sl_p_is_kw(p, "TRY_CAST");
            TRY(sl_p_advance(p));
            if (try_cast)
                return sl_p_error(p, pos, "TRY_CAST is not supported yet");
            TRY(sl_p_expect(p, SL_TOK_LPAREN));
            n = sl_p_node(p, SL_AST_CAST, pos);
            if (!n)
                return SL_ENOMEM;
            TRY(sl_p_expr(p, &n->left));
            TRY(sl_p_expect_kw(p, "AS"));
            TRY(sl_p_type(p, &n->type));
            TRY(sl_p_expect(p, SL_TOK_RPAREN));
            *out = n;
            return 0;
        }
        if (sl_p_is_kw(p, "TIMESTAMP")) {
            /* TIMESTAMP '2026-01-01 00:00:00' literal; otherwise a column named timestamp */
            struct sl_lexer save = p->lx;
            struct sl_token save_tok = p->cur;
            TRY(sl_p_advance(p));
            if (p->cur.kind == SL_TOK_STRING) {
                n = sl_p_node(p, SL_AST_TS_LIT, pos);
                if (!n)
                    return SL_ENOMEM;
                *out = n;
                return sl_p_string(p, &n->lit, "a timestamp");
            }
            p->lx = save;
            p->cur = save_tok;
        }
        if (sl_p_is_kw(p, "EXISTS"))
            return sl_p_error(p, pos, "EXISTS subqueries are not supported yet");
        if (sl_p_is_kw(p, "JSON_VALUE")) {
            struct sl_lexer save = p->lx;
            struct sl_token save_tok = p->cur;
            TRY(sl_p_advance(p));
            if (p->cur.kind == SL_TOK_LPAREN) {
                TRY(sl_p_advance(p));
                return sl_p_json_value(p, out, pos);
            }
            p->lx = save;
            p->cur = save_tok;
        }
        if (sl_p_is_kw(p, "TRIM") || sl_p_is_kw(p, "POSITION") || sl_p_is_kw(p, "SUBSTRING") ||
            sl_p_is_kw(p, "OVERLAY")) {
            bool done;
            TRY(sl_p_sql_call(p, out, pos, &done));
            if (done)
                return 0;
        }
    }
    if (sl_p_is_reserved(p))
        return sl_p_expected(p, "an expression");
    /* a name: column path, or a function call */
    bool quoted = p->cur.kind == SL_TOK_QIDENT;
    const char *first;
    TRY(sl_p_ident(p, &first, "a name"));
    if (!quoted && p->cur.kind == SL_TOK_LBRACKET && strcasecmp(first, "MAP") == 0) {
        /* the value constructor MAP[k1, v1, k2, v2, ...]: a call of "$MAP" */
        TRY(sl_p_advance(p));
        n = sl_p_node(p, SL_AST_CALL, pos);
        if (!n)
            return SL_ENOMEM;
        n->name = "$MAP";
        for (;;) {
            struct sl_ast *e;
            TRY(sl_p_expr(p, &e));
            TRY(sl_list_push(p, &n->args, e));
            if (p->cur.kind != SL_TOK_COMMA)
                break;
            TRY(sl_p_advance(p));
        }
        TRY(sl_p_expect(p, SL_TOK_RBRACKET));
        *out = n;
        return 0;
    }
    if (!quoted && p->cur.kind != SL_TOK_LPAREN &&
        (strcasecmp(first, "CURRENT_TIMESTAMP") == 0 || strcasecmp(first, "LOCALTIMESTAMP") == 0)) {
        /* niladic time functions, written without parentheses (reserved words in Flink) */
        n = sl_p_node(p, SL_AST_CALL, pos);
        if (!n)
            return SL_ENOMEM;
        n->name = first;
        *out = n;
        return 0;
    }
    if (p->cur.kind == SL_TOK_LPAREN && !quoted) {
        TRY(sl_p_advance(p));
        n = sl_p_node(p, SL_AST_CALL, pos);
        if (!n)
            return SL_ENOMEM;
        n->name = first;
        if (strcasecmp(first, "EXTRACT") == 0 || strcasecmp(first, "FLOOR") == 0 ||
            strcasecmp(first, "CEIL") == 0 || strcasecmp(first, "CEILING") == 0) {
            TRY(sl_p_time_call(p, n));
            *out = n;
            return 0;
        }
        if (p->cur.kind == SL_TOK_STAR) {
            n->star = true;
            TRY(sl_p_advance(p));
            TRY(sl_p_expect(p, SL_TOK_RPAREN));
        } else {
            bool found;
            TRY(sl_p_accept_kw(p, "DISTINCT", &found));
            n->distinct = found;
            if (!found)
                TRY(sl_p_accept_kw(p, "ALL", &found));
            TRY(sl_p_args(p, &n->args));
        }
        if (sl_p_is_kw(p, "FILTER")) { /* agg(...) FILTER (WHERE cond): the binder checks agg */
            TRY(sl_p_advance(p));
            TRY(sl_p_expect(p, SL_TOK_LPAREN));
            TRY(sl_p_expect_kw(p, "WHERE"));
            TRY(sl_p_expr(p, &n->right));
            TRY(sl_p_expect(p, SL_TOK_RPAREN));
        }
        if (sl_p_is_kw(p, "OVER"))
            return sl_p_over(p, n, out);
        *out = n;
        return 0;
    }
    n = sl_p_node(p, SL_AST_COLUMN, pos);
    if (!n)
        return SL_ENOMEM;
    const char *parts[16];
    uint32_t np = 0;
    parts[np++] = first;
    while (p->cur.kind == SL_TOK_DOT) {
        TRY(sl_p_advance(p));
        if (p->cur.kind == SL_TOK_STAR) {
            n->kind = SL_AST_STAR;
            TRY(sl_p_advance(p));
            break;
        }
        if (np == 16)
            return sl_p_error(p, p->cur.pos, "a name has more than 16 parts");
        TRY(sl_p_ident(p, &parts[np], "a field name after '.'"));
        np++;
    }
    n->npath = np;
    n->path = sl_p_alloc(p, np * sizeof(*n->path));
    if (!n->path)
        return SL_ENOMEM;
    memcpy(n->path, parts, np * sizeof(*parts));
    *out = n;
    return 0;
}

static int sl_p_unary(struct sl_parser *p, struct sl_ast **out)
{
    if (p->cur.kind == SL_TOK_MINUS || p->cur.kind == SL_TOK_PLUS) {
        size_t pos = p->cur.pos;
        sl_ast_op op = p->cur.kind == SL_TOK_MINUS ? SL_OP_NEG : SL_OP_PLUS;
        TRY(sl_p_advance(p));
        if (++p->depth > SL_PARSE_MAX_DEPTH)
            return sl_p_error(p, pos, "expression nested too deeply");
        struct sl_ast *n = sl_p_node(p, SL_AST_UNARY, pos);
        if (!n)
            return SL_ENOMEM;
        n->op = op;
        TRY(sl_p_unary(p, &n->left));
        p->depth--;
        *out = n;
        return 0;
    }
    TRY(sl_p_primary(p, out));
    /* item access x[k] (Flink's ITEM operator): a call of "$ITEM" */
    while (p->cur.kind == SL_TOK_LBRACKET) {
        struct sl_ast *n = sl_p_node(p, SL_AST_CALL, p->cur.pos);
        if (!n)
            return SL_ENOMEM;
        n->name = "$ITEM";
        TRY(sl_p_advance(p));
        struct sl_ast *k;
        TRY(sl_p_expr(p, &k));
        TRY(sl_p_expect(p, SL_TOK_RBRACKET));
        TRY(sl_list_push(p, &n->args, *out));
        TRY(sl_list_push(p, &n->args, k));
        *out = n;
    }
    return 0;
}

static int sl_p_binary_node(struct sl_parser *p, sl_ast_op op, struct sl_ast *l, struct sl_ast *r,
                            struct sl_ast **out)
{
    struct sl_ast *n = sl_p_node(p, SL_AST_BINARY, l->pos);
    if (!n)
        return SL_ENOMEM;
    n->op = op;
    n->left = l;
    n->right = r;
    *out = n;
    return 0;
}

static int sl_p_mul(struct sl_parser *p, struct sl_ast **out)
{
    TRY(sl_p_unary(p, out));
    for (;;) {
        sl_ast_op op = p->cur.kind == SL_TOK_STAR      ? SL_OP_MUL
                       : p->cur.kind == SL_TOK_SLASH   ? SL_OP_DIV
                       : p->cur.kind == SL_TOK_PERCENT ? SL_OP_MOD
                                                       : SL_OP_NONE;
        if (op == SL_OP_NONE)
            return 0;
        TRY(sl_p_advance(p));
        struct sl_ast *r;
        TRY(sl_p_unary(p, &r));
        TRY(sl_p_binary_node(p, op, *out, r, out));
    }
}

static int sl_p_add(struct sl_parser *p, struct sl_ast **out)
{
    TRY(sl_p_mul(p, out));
    for (;;) {
        sl_ast_op op = p->cur.kind == SL_TOK_PLUS     ? SL_OP_ADD
                       : p->cur.kind == SL_TOK_MINUS  ? SL_OP_SUB
                       : p->cur.kind == SL_TOK_CONCAT ? SL_OP_CONCAT
                                                      : SL_OP_NONE;
        if (op == SL_OP_NONE)
            return 0;
        TRY(sl_p_advance(p));
        struct sl_ast *r;
        TRY(sl_p_mul(p, &r));
        TRY(sl_p_binary_node(p, op, *out, r, out));
    }
}

static int sl_p_comparison(struct sl_parser *p, struct sl_ast **out)
{
    TRY(sl_p_add(p, out));
    for (;;) {
        size_t pos = (*out)->pos;
        sl_ast_op op = SL_OP_NONE;
        switch (p->cur.kind) {
        case SL_TOK_EQ:
            op = SL_OP_EQ;
            break;
        case SL_TOK_NE:
            op = SL_OP_NE;
            break;
        case SL_TOK_LT:
            op = SL_OP_LT;
            break;
        case SL_TOK_LE:
            op = SL_OP_LE;
            break;
        case SL_TOK_GT:
            op = SL_OP_GT;
            break;
        case SL_TOK_GE:
            op = SL_OP_GE;
            break;
        default:
            break;
        }
        if (op != SL_OP_NONE) {
            TRY(sl_p_advance(p));
            struct sl_ast *r;
            TRY(sl_p_add(p, &r));
            TRY(sl_p_binary_node(p, op, *out, r, out));
            continue;
        }
        if (sl_p_is_kw(p, "IS")) {
            TRY(sl_p_advance(p));
            bool neg;
            TRY(sl_p_accept_kw(p, "NOT", &neg));
            if (sl_p_is_kw(p, "TRUE") || sl_p_is_kw(p, "FALSE") || sl_p_is_kw(p, "DISTINCT"))
                return sl_p_error(p, p->cur.pos, "IS [NOT] %.*s is not supported yet",
                                  (int)p->cur.len, sl_p_text(p));
            TRY(sl_p_expect_kw(p, "NULL"));
            struct sl_ast *n = sl_p_node(p, SL_AST_IS_NULL, pos);
            if (!n)
                return SL_ENOMEM;
            n->negated = neg;
            n->left = *out;
            *out = n;
            continue;
        }
        /* [NOT] BETWEEN / IN / LIKE */
        bool neg = false;
        if (sl_p_is_kw(p, "NOT")) {
            struct sl_lexer save = p->lx;
            struct sl_token save_tok = p->cur;
            TRY(sl_p_advance(p));
            if (!sl_p_is_kw(p, "BETWEEN") && !sl_p_is_kw(p, "IN") && !sl_p_is_kw(p, "LIKE")) {
                p->lx = save;
                p->cur = save_tok;
                return 0;
            }
            neg = true;
        }
        if (sl_p_is_kw(p, "BETWEEN")) {
            TRY(sl_p_advance(p));
            bool sym;
            TRY(sl_p_accept_kw(p, "ASYMMETRIC", &sym));
            if (sl_p_is_kw(p, "SYMMETRIC"))
                return sl_p_error(p, p->cur.pos, "BETWEEN SYMMETRIC is not supported yet");
            struct sl_ast *n = sl_p_node(p, SL_AST_BETWEEN, pos), *lo, *hi;
            if (!n)
                return SL_ENOMEM;
            TRY(sl_p_add(p, &lo));
            TRY(sl_p_expect_kw(p, "AND"));
            TRY(sl_p_add(p, &hi));
            n->negated = neg;
            n->left = *out;
            TRY(sl_list_push(p, &n->args, lo));
            TRY(sl_list_push(p, &n->args, hi));
            *out = n;
            continue;
        }
        if (sl_p_is_kw(p, "IN")) {
            TRY(sl_p_advance(p));
            TRY(sl_p_expect(p, SL_TOK_LPAREN));
            if (sl_p_is_kw(p, "SELECT"))
                return sl_p_error(p, p->cur.pos, "IN (subquery) is not supported yet");
            struct sl_ast *n = sl_p_node(p, SL_AST_IN, pos);
            if (!n)
                return SL_ENOMEM;
            n->negated = neg;
            n->left = *out;
            if (p->cur.kind == SL_TOK_RPAREN)
                return sl_p_expected(p, "a value in the IN list");
            TRY(sl_p_args(p, &n->args));
            *out = n;
            continue;
        }
        if (sl_p_is_kw(p, "LIKE")) {
            TRY(sl_p_advance(p));
            struct sl_ast *n = sl_p_node(p, SL_AST_LIKE, pos);
            if (!n)
                return SL_ENOMEM;
            n->negated = neg;
            n->left = *out;
            TRY(sl_p_add(p, &n->right));
            if (sl_p_is_kw(p, "ESCAPE"))
                return sl_p_error(p, p->cur.pos, "LIKE ... ESCAPE is not supported yet");
            *out = n;
            continue;
        }
        return 0;
    }
}

static int sl_p_not(struct sl_parser *p, struct sl_ast **out)
{
    if (sl_p_is_kw(p, "NOT")) {
        size_t pos = p->cur.pos;
        TRY(sl_p_advance(p));
        if (++p->depth > SL_PARSE_MAX_DEPTH)
            return sl_p_error(p, pos, "expression nested too deeply");
        struct sl_ast *n = sl_p_node(p, SL_AST_UNARY, pos);
        if (!n)
            return SL_ENOMEM;
        n->op = SL_OP_NOT;
        TRY(sl_p_not(p, &n->left));
        p->depth--;
        *out = n;
        return 0;
    }
    return sl_p_comparison(p, out);
}

static int sl_p_and(struct sl_parser *p, struct sl_ast **out)
{
    TRY(sl_p_not(p, out));
    while (sl_p_is_kw(p, "AND")) {
        TRY(sl_p_advance(p));
        struct sl_ast *r;
        TRY(sl_p_not(p, &r));
        TRY(sl_p_binary_node(p, SL_OP_AND, *out, r, out));
    }
    return 0;
}

static int sl_p_expr(struct sl_parser *p, struct sl_ast **out)
{
    if (++p->depth > SL_PARSE_MAX_DEPTH)
        return sl_p_error(p, p->cur.pos, "expression nested too deeply");
    TRY(sl_p_and(p, out));
    while (sl_p_is_kw(p, "OR")) {
        TRY(sl_p_advance(p));
        struct sl_ast *r;
        TRY(sl_p_and(p, &r));
        TRY(sl_p_binary_node(p, SL_OP_OR, *out, r, out));
    }
    p->depth--;
    return 0;
}

/* ---- queries ------------------------------------------------------------------------------- */

static int sl_p_alias(struct sl_parser *p, const char **alias)
{
    bool as;
    TRY(sl_p_accept_kw(p, "AS", &as));
    if (as)
        return sl_p_ident(p, alias, "an alias after AS");
    if ((p->cur.kind == SL_TOK_IDENT && !sl_p_is_reserved(p)) || p->cur.kind == SL_TOK_QIDENT)
        return sl_p_ident(p, alias, "an alias");
    return 0;
}

static int sl_p_window_tvf(struct sl_parser *p, struct sl_ast **out, size_t pos)
{
    /* after TABLE '(' : FUNC(TABLE t, DESCRIPTOR(col), args...) ')' */
    struct sl_ast *n = sl_p_node(p, SL_AST_WINDOW, pos);
    if (!n)
        return SL_ENOMEM;
    size_t fpos = p->cur.pos;
    n->pos = fpos; /* errors about the window point at its function */
    TRY(sl_p_ident(p, &n->func, "a window function (TUMBLE, HOP, CUMULATE)"));
    if (strcasecmp(n->func, "TUMBLE") && strcasecmp(n->func, "HOP") &&
        strcasecmp(n->func, "CUMULATE") && strcasecmp(n->func, "SESSION"))
        return sl_p_error(p, fpos,
                          "unknown table function '%s' (expected TUMBLE, HOP, "
                          "CUMULATE or SESSION)",
                          n->func);
    TRY(sl_p_expect(p, SL_TOK_LPAREN));
    size_t tpos = p->cur.pos;
    TRY(sl_p_expect_kw(p, "TABLE"));
    struct sl_ast *t = sl_p_node(p, SL_AST_TABLE_REF, tpos);
    if (!t)
        return SL_ENOMEM;
    TRY(sl_p_ident(p, &t->table, "a table name"));
    n->wtable = t;
    if (sl_p_is_kw(p, "PARTITION")) { /* SESSION(TABLE t PARTITION BY k | (k1, k2), ...) */
        TRY(sl_p_advance(p));
        TRY(sl_p_expect_kw(p, "BY"));
        bool paren = p->cur.kind == SL_TOK_LPAREN;
        if (paren)
            TRY(sl_p_advance(p));
        do {
            if (n->wpart.n)
                TRY(sl_p_advance(p)); /* the comma */
            struct sl_ast *e;
            TRY(sl_p_expr(p, &e));
            TRY(sl_list_push(p, &n->wpart, e));
        } while (paren && p->cur.kind == SL_TOK_COMMA);
        if (paren)
            TRY(sl_p_expect(p, SL_TOK_RPAREN));
    }
    TRY(sl_p_expect(p, SL_TOK_COMMA));
    TRY(sl_p_expect_kw(p, "DESCRIPTOR"));
    TRY(sl_p_expect(p, SL_TOK_LPAREN));
    TRY(sl_p_ident(p, &n->descriptor, "a time attribute column"));
    TRY(sl_p_expect(p, SL_TOK_RPAREN));
    while (p->cur.kind == SL_TOK_COMMA) {
        TRY(sl_p_advance(p));
        struct sl_ast *e;
        TRY(sl_p_expr(p, &e));
        TRY(sl_list_push(p, &n->wargs, e));
    }
    TRY(sl_p_expect(p, SL_TOK_RPAREN));
    TRY(sl_p_expect(p, SL_TOK_RPAREN));
    *out = n;
    return 0;
}

static int sl_p_from_item(struct sl_parser *p, struct sl_ast **out)
{
    size_t pos = p->cur.pos;
    struct sl_ast *n = NULL;
    if (p->cur.kind == SL_TOK_LPAREN) {
        TRY(sl_p_advance(p));
        n = sl_p_node(p, SL_AST_SUBQUERY, pos);
        if (!n)
            return SL_ENOMEM;
        TRY(sl_p_query(p, &n->query));
        TRY(sl_p_expect(p, SL_TOK_RPAREN));
    } else if (sl_p_is_kw(p, "TABLE")) {
        TRY(sl_p_advance(p));
        TRY(sl_p_expect(p, SL_TOK_LPAREN));
        TRY(sl_p_window_tvf(p, &n, pos));
    } else if (sl_p_is_kw(p, "LATERAL") || sl_p_is_kw(p, "UNNEST")) {
        return sl_p_error(p, pos, "%.*s is not supported yet", (int)p->cur.len, sl_p_text(p));
    } else {
        n = sl_p_node(p, SL_AST_TABLE_REF, pos);
        if (!n)
            return SL_ENOMEM;
        TRY(sl_p_ident(p, &n->table, "a table name"));
        if (sl_p_is_kw(p, "FOR")) {
            /* FOR SYSTEM_TIME AS OF expr: a temporal (lookup) join's version time */
            TRY(sl_p_advance(p));
            TRY(sl_p_expect_kw(p, "SYSTEM_TIME"));
            TRY(sl_p_expect_kw(p, "AS"));
            TRY(sl_p_expect_kw(p, "OF"));
            TRY(sl_p_expr(p, &n->systime));
        }
        if (p->cur.kind == SL_TOK_DOT)
            return sl_p_error(p, p->cur.pos,
                              "catalog.database.table names are not supported "
                              "yet; use the table's own name");
    }
    TRY(sl_p_alias(p, &n->alias));
    *out = n;
    return 0;
}

static int sl_p_from(struct sl_parser *p, struct sl_ast **out)
{
    TRY(sl_p_from_item(p, out));
    for (;;) {
        size_t pos = p->cur.pos;
        sl_join_kind kind;
        bool found;
        if (p->cur.kind == SL_TOK_COMMA) {
            /* FROM a, b: a cross join whose keys come from the WHERE (binder.c, sl_b_joins) */
            TRY(sl_p_advance(p));
            struct sl_ast *j = sl_p_node(p, SL_AST_JOIN, pos);
            if (!j)
                return SL_ENOMEM;
            j->join = SL_JOIN_CROSS;
            j->jleft = *out;
            TRY(sl_p_from_item(p, &j->jright));
            *out = j;
            continue;
        } else if (sl_p_is_kw(p, "JOIN")) {
            kind = SL_JOIN_INNER;
        } else if (sl_p_is_kw(p, "INNER")) {
            kind = SL_JOIN_INNER;
            TRY(sl_p_advance(p));
        } else if (sl_p_is_kw(p, "LEFT") || sl_p_is_kw(p, "RIGHT") || sl_p_is_kw(p, "FULL")) {
            kind = sl_p_is_kw(p, "LEFT")    ? SL_JOIN_LEFT
                   : sl_p_is_kw(p, "RIGHT") ? SL_JOIN_RIGHT
                                            : SL_JOIN_FULL;
            TRY(sl_p_advance(p));
            TRY(sl_p_accept_kw(p, "OUTER", &found));
        } else if (sl_p_is_kw(p, "CROSS")) {
            kind = SL_JOIN_CROSS;
            TRY(sl_p_advance(p));
        } else {
            return 0;
        }
        TRY(sl_p_expect_kw(p, "JOIN"));
        struct sl_ast *j = sl_p_node(p, SL_AST_JOIN, (*out)->pos);
        if (!j)
            return SL_ENOMEM;
        j->join = kind;
        j->jleft = *out;
        TRY(sl_p_from_item(p, &j->jright));
        if (kind != SL_JOIN_CROSS) {
            if (sl_p_is_kw(p, "USING"))
                return sl_p_error(p, p->cur.pos, "JOIN ... USING is not supported yet; write ON");
            TRY(sl_p_expect_kw(p, "ON"));
            TRY(sl_p_expr(p, &j->cond));
        }
        *out = j;
    }
}

static int sl_p_select(struct sl_parser *p, struct sl_ast **out)
{
    size_t pos = p->cur.pos;
    TRY(sl_p_expect_kw(p, "SELECT"));
    struct sl_ast *n = sl_p_node(p, SL_AST_SELECT, pos);
    if (!n)
        return SL_ENOMEM;
    bool found;
    TRY(sl_p_accept_kw(p, "DISTINCT", &found));
    n->select.distinct = found;
    if (!found)
        TRY(sl_p_accept_kw(p, "ALL", &found));
    for (;;) {
        struct sl_ast *e;
        TRY(sl_p_expr(p, &e));
        if (e->kind != SL_AST_STAR)
            TRY(sl_p_alias(p, &e->alias));
        TRY(sl_list_push(p, &n->select.items, e));
        if (p->cur.kind != SL_TOK_COMMA)
            break;
        TRY(sl_p_advance(p));
    }
    TRY(sl_p_accept_kw(p, "FROM", &found));
    if (found)
        TRY(sl_p_from(p, &n->select.from));
    TRY(sl_p_accept_kw(p, "WHERE", &found));
    if (found)
        TRY(sl_p_expr(p, &n->select.where));
    if (sl_p_is_kw(p, "GROUP")) {
        TRY(sl_p_advance(p));
        TRY(sl_p_expect_kw(p, "BY"));
        for (;;) {
            struct sl_ast *e;
            TRY(sl_p_expr(p, &e));
            TRY(sl_list_push(p, &n->select.group_by, e));
            if (p->cur.kind != SL_TOK_COMMA)
                break;
            TRY(sl_p_advance(p));
        }
    }
    TRY(sl_p_accept_kw(p, "HAVING", &found));
    if (found)
        TRY(sl_p_expr(p, &n->select.having));
    if (sl_p_is_kw(p, "ORDER") || sl_p_is_kw(p, "LIMIT") || sl_p_is_kw(p, "UNION") ||
        sl_p_is_kw(p, "INTERSECT") || sl_p_is_kw(p, "EXCEPT") || sl_p_is_kw(p, "MINUS") ||
        sl_p_is_kw(p, "WINDOW"))
        return sl_p_error(p, p->cur.pos, "%.*s is not supported yet", (int)p->cur.len,
                          sl_p_text(p));
    *out = n;
    return 0;
}

static int sl_p_query(struct sl_parser *p, struct sl_ast **out)
{
    if (sl_p_is_kw(p, "WITH"))
        return sl_p_error(p, p->cur.pos,
                          "WITH (common table expressions) is not supported yet; "
                          "use CREATE VIEW");
    if (sl_p_is_kw(p, "VALUES"))
        return sl_p_error(p, p->cur.pos, "VALUES is not supported yet");
    if (p->cur.kind == SL_TOK_LPAREN) {
        TRY(sl_p_advance(p));
        TRY(sl_p_query(p, out));
        return sl_p_expect(p, SL_TOK_RPAREN);
    }
    if (!sl_p_is_kw(p, "SELECT"))
        return sl_p_expected(p, "SELECT");
    return sl_p_select(p, out);
}

/* ---- statements ---------------------------------------------------------------------------- */

static int sl_p_create_table(struct sl_parser *p, struct sl_ast *n)
{
    struct sl_ast_create_table *ct = &n->create_table;
    bool found;
    if (sl_p_is_kw(p, "IF")) {
        TRY(sl_p_advance(p));
        TRY(sl_p_expect_kw(p, "NOT"));
        TRY(sl_p_expect_kw(p, "EXISTS"));
        ct->if_not_exists = true;
    }
    TRY(sl_p_ident(p, &ct->name, "a table name"));
    if (p->cur.kind == SL_TOK_DOT)
        return sl_p_error(p, p->cur.pos, "catalog.database.table names are not supported yet");
    TRY(sl_p_expect(p, SL_TOK_LPAREN));
    uint32_t cap = 0;
    for (;;) {
        size_t pos = p->cur.pos;
        if (sl_p_is_kw(p, "WATERMARK")) {
            TRY(sl_p_advance(p));
            if (ct->wm_column)
                return sl_p_error(p, pos, "a table has at most one WATERMARK");
            TRY(sl_p_expect_kw(p, "FOR"));
            ct->wm_pos = p->cur.pos;
            TRY(sl_p_ident(p, &ct->wm_column, "the rowtime column"));
            TRY(sl_p_expect_kw(p, "AS"));
            TRY(sl_p_expr(p, &ct->wm_expr));
        } else if (sl_p_is_kw(p, "PRIMARY") || sl_p_is_kw(p, "CONSTRAINT")) {
            if (sl_p_is_kw(p, "CONSTRAINT")) {
                const char *cname;
                TRY(sl_p_advance(p));
                TRY(sl_p_ident(p, &cname, "a constraint name"));
            }
            TRY(sl_p_expect_kw(p, "PRIMARY"));
            TRY(sl_p_expect_kw(p, "KEY"));
            TRY(sl_p_expect(p, SL_TOK_LPAREN));
            const char *keys[64];
            uint32_t nk = 0;
            for (;;) {
                if (nk == 64)
                    return sl_p_error(p, p->cur.pos, "too many primary key columns");
                TRY(sl_p_ident(p, &keys[nk++], "a column name"));
                if (p->cur.kind != SL_TOK_COMMA)
                    break;
                TRY(sl_p_advance(p));
            }
            TRY(sl_p_expect(p, SL_TOK_RPAREN));
            TRY(sl_p_expect_kw(p, "NOT"));
            TRY(sl_p_expect_kw(p, "ENFORCED"));
            ct->pk = sl_p_alloc(p, nk * sizeof(*ct->pk));
            if (!ct->pk)
                return SL_ENOMEM;
            memcpy(ct->pk, keys, nk * sizeof(*keys));
            ct->npk = nk;
        } else {
            if (ct->ncols == cap) {
                cap = cap ? cap * 2 : 16;
                struct sl_ast_column_def *nc = sl_p_alloc(p, cap * sizeof(*nc));
                if (!nc)
                    return SL_ENOMEM;
                if (ct->ncols)
                    memcpy(nc, ct->cols, ct->ncols * sizeof(*nc));
                ct->cols = nc;
            }
            struct sl_ast_column_def *c = &ct->cols[ct->ncols];
            c->pos = pos;
            TRY(sl_p_ident(p, &c->name, "a column name, WATERMARK or PRIMARY KEY"));
            for (uint32_t i = 0; i < ct->ncols; i++)
                if (strcmp(ct->cols[i].name, c->name) == 0)
                    return sl_p_error(p, pos, "duplicate column '%s'", c->name);
            TRY(sl_p_accept_kw(p, "AS", &found));
            if (found) {
                TRY(sl_p_expr(p, &c->expr));
            } else {
                TRY(sl_p_type(p, &c->type));
                if (sl_p_is_kw(p, "METADATA")) {
                    TRY(sl_p_advance(p));
                    c->metadata = true;
                    TRY(sl_p_accept_kw(p, "FROM", &found));
                    if (found)
                        TRY(sl_p_string(p, &c->meta_key, "a metadata key string"));
                    TRY(sl_p_accept_kw(p, "VIRTUAL", &c->meta_virtual));
                }
                if (sl_p_is_kw(p, "PRIMARY"))
                    return sl_p_error(p, p->cur.pos,
                                      "write PRIMARY KEY (col) NOT ENFORCED as "
                                      "its own line of the table");
            }
            if (sl_p_is_kw(p, "COMMENT")) {
                const char *comment;
                TRY(sl_p_advance(p));
                TRY(sl_p_string(p, &comment, "a comment string"));
            }
            ct->ncols++;
        }
        if (p->cur.kind == SL_TOK_COMMA) {
            TRY(sl_p_advance(p));
            continue;
        }
        TRY(sl_p_expect(p, SL_TOK_RPAREN));
        break;
    }
    if (sl_p_is_kw(p, "COMMENT")) {
        const char *comment;
        TRY(sl_p_advance(p));
        TRY(sl_p_string(p, &comment, "a comment string"));
    }
    if (sl_p_is_kw(p, "PARTITIONED")) { /* PARTITIONED BY (col, ...) */
        ct->part_pos = p->cur.pos;
        TRY(sl_p_advance(p));
        TRY(sl_p_expect_kw(p, "BY"));
        TRY(sl_p_expect(p, SL_TOK_LPAREN));
        const char *keys[64];
        uint32_t nk = 0;
        for (;;) {
            if (nk == 64)
                return sl_p_error(p, p->cur.pos, "too many partition columns");
            TRY(sl_p_ident(p, &keys[nk++], "a partition column name"));
            if (p->cur.kind != SL_TOK_COMMA)
                break;
            TRY(sl_p_advance(p));
        }
        TRY(sl_p_expect(p, SL_TOK_RPAREN));
        ct->part = sl_p_alloc(p, nk * sizeof(*ct->part));
        if (!ct->part)
            return SL_ENOMEM;
        memcpy(ct->part, keys, nk * sizeof(*keys));
        ct->npart = nk;
    }
    if (sl_p_is_kw(p, "LIKE"))
        return sl_p_error(p, p->cur.pos, "CREATE TABLE ... LIKE is not supported yet");
    TRY(sl_p_expect_kw(p, "WITH"));
    TRY(sl_p_expect(p, SL_TOK_LPAREN));
    cap = 0;
    for (;;) {
        if (ct->nopts == cap) {
            cap = cap ? cap * 2 : 16;
            struct sl_ast_option *no = sl_p_alloc(p, cap * sizeof(*no));
            if (!no)
                return SL_ENOMEM;
            if (ct->nopts)
                memcpy(no, ct->opts, ct->nopts * sizeof(*no));
            ct->opts = no;
        }
        struct sl_ast_option *o = &ct->opts[ct->nopts];
        o->pos = p->cur.pos;
        TRY(sl_p_string(p, &o->key, "an option key in quotes, such as 'connector'"));
        for (uint32_t i = 0; i < ct->nopts; i++)
            if (strcmp(ct->opts[i].key, o->key) == 0)
                return sl_p_error(p, o->pos, "option '%s' is given twice", o->key);
        TRY(sl_p_expect(p, SL_TOK_EQ));
        TRY(sl_p_string(p, &o->value, "an option value in quotes"));
        ct->nopts++;
        if (p->cur.kind == SL_TOK_COMMA) {
            TRY(sl_p_advance(p));
            continue;
        }
        return sl_p_expect(p, SL_TOK_RPAREN);
    }
}

/* After CREATE / DROP: [TEMPORARY] [SYSTEM] FUNCTION, then for CREATE [IF NOT EXISTS] name AS
 * 'identifier' [LANGUAGE C | JAVA], for DROP [IF EXISTS] name (Flink's grammar; a
 * catalog-qualified name and USING JAR are refused). */
static int sl_p_function(struct sl_parser *p, struct sl_ast *n, bool create)
{
    TRY(sl_p_accept_kw(p, "SYSTEM", &n->function.system));
    TRY(sl_p_expect_kw(p, "FUNCTION"));
    if (sl_p_is_kw(p, "IF")) {
        TRY(sl_p_advance(p));
        if (create)
            TRY(sl_p_expect_kw(p, "NOT"));
        TRY(sl_p_expect_kw(p, "EXISTS"));
        n->function.if_exists = true;
    }
    n->function.name_pos = p->cur.pos;
    TRY(sl_p_ident(p, &n->function.name, "a function name"));
    if (p->cur.kind == SL_TOK_DOT)
        return sl_p_error(p, n->function.name_pos,
                          "a catalog- or database-qualified function name is not supported");
    if (!create)
        return 0;
    TRY(sl_p_expect_kw(p, "AS"));
    TRY(sl_p_string(p, &n->function.identifier, "the function's identifier in quotes"));
    bool found;
    TRY(sl_p_accept_kw(p, "LANGUAGE", &found));
    if (found) {
        if (!sl_p_is_kw(p, "C") && !sl_p_is_kw(p, "JAVA"))
            return sl_p_error(p, p->cur.pos,
                              "LANGUAGE %.*s is not supported: sluice runs functions written "
                              "in C (LANGUAGE C; JAVA names a C function registered under the "
                              "Java class name, docs/udf.md)",
                              (int)p->cur.len, sl_p_text(p));
        TRY(sl_p_advance(p));
    }
    if (sl_p_is_kw(p, "USING"))
        return sl_p_error(p, p->cur.pos,
                          "USING JAR is not supported: sluice finds C functions on its UDF "
                          "path (--udf-path, SET 'sluice.udf.path')");
    return 0;
}

/* At DROP: whether [TEMPORARY] [SYSTEM] FUNCTION follows (the parser is left unmoved). */
static bool sl_p_drop_function(struct sl_parser *p)
{
    struct sl_lexer save = p->lx;
    struct sl_token save_tok = p->cur;
    bool is_fn = false;
    if (!sl_p_advance(p)) {
        if (sl_p_is_kw(p, "TEMPORARY") && sl_p_advance(p))
            goto out;
        if (sl_p_is_kw(p, "SYSTEM") && sl_p_advance(p))
            goto out;
        is_fn = sl_p_is_kw(p, "FUNCTION");
    }
out:
    p->lx = save;
    p->cur = save_tok;
    return is_fn;
}

static int sl_p_statement(struct sl_parser *p, struct sl_ast **out)
{
    size_t pos = p->cur.pos;
    bool found;
    struct sl_ast *n = NULL;
    if (sl_p_is_kw(p, "CREATE")) {
        TRY(sl_p_advance(p));
        bool temporary;
        TRY(sl_p_accept_kw(p, "TEMPORARY", &temporary));
        if (sl_p_is_kw(p, "TABLE")) {
            TRY(sl_p_advance(p));
            n = sl_p_node(p, SL_AST_CREATE_TABLE, pos);
            if (!n)
                return SL_ENOMEM;
            n->create_table.temporary = temporary;
            TRY(sl_p_create_table(p, n));
        } else if (sl_p_is_kw(p, "VIEW")) {
            TRY(sl_p_advance(p));
            n = sl_p_node(p, SL_AST_CREATE_VIEW, pos);
            if (!n)
                return SL_ENOMEM;
            if (sl_p_is_kw(p, "IF")) {
                TRY(sl_p_advance(p));
                TRY(sl_p_expect_kw(p, "NOT"));
                TRY(sl_p_expect_kw(p, "EXISTS"));
            }
            TRY(sl_p_ident(p, &n->target, "a view name"));
            if (p->cur.kind == SL_TOK_LPAREN)
                return sl_p_error(p, p->cur.pos,
                                  "a column list after the view name is not "
                                  "supported yet; alias the columns in the query");
            TRY(sl_p_expect_kw(p, "AS"));
            TRY(sl_p_query(p, &n->query));
        } else if (sl_p_is_kw(p, "FUNCTION") || sl_p_is_kw(p, "SYSTEM")) {
            n = sl_p_node(p, SL_AST_CREATE_FUNCTION, pos);
            if (!n)
                return SL_ENOMEM;
            n->function.temporary = temporary;
            TRY(sl_p_function(p, n, true));
        } else if (sl_p_is_kw(p, "CATALOG") || sl_p_is_kw(p, "DATABASE")) {
            return sl_p_error(p, pos, "CREATE %.*s is not supported yet", (int)p->cur.len,
                              sl_p_text(p));
        } else {
            return sl_p_expected(p, "TABLE or VIEW after CREATE");
        }
    } else if (sl_p_is_kw(p, "INSERT")) {
        TRY(sl_p_advance(p));
        if (sl_p_is_kw(p, "OVERWRITE"))
            return sl_p_error(p, p->cur.pos, "INSERT OVERWRITE is not supported yet");
        TRY(sl_p_expect_kw(p, "INTO"));
        n = sl_p_node(p, SL_AST_INSERT, pos);
        if (!n)
            return SL_ENOMEM;
        TRY(sl_p_ident(p, &n->target, "a table name"));
        if (p->cur.kind == SL_TOK_LPAREN) {
            /* INSERT INTO t (cols) is a column list, INSERT INTO t (SELECT ...) a query */
            struct sl_lexer save = p->lx;
            struct sl_token save_tok = p->cur;
            TRY(sl_p_advance(p));
            bool is_query = sl_p_is_kw(p, "SELECT");
            p->lx = save;
            p->cur = save_tok;
            if (!is_query)
                return sl_p_error(p, p->cur.pos,
                                  "a column list in INSERT INTO is not supported "
                                  "yet; select the columns in the table's order");
        }
        TRY(sl_p_query(p, &n->query));
    } else if (sl_p_is_kw(p, "SET")) {
        TRY(sl_p_advance(p));
        n = sl_p_node(p, SL_AST_SET, pos);
        if (!n)
            return SL_ENOMEM;
        TRY(sl_p_string(p, &n->set_key, "a quoted key, as in SET 'key' = 'value'"));
        TRY(sl_p_expect(p, SL_TOK_EQ));
        TRY(sl_p_string(p, &n->set_value, "a quoted value, as in SET 'key' = 'value'"));
    } else if (sl_p_is_kw(p, "SELECT") || sl_p_is_kw(p, "WITH")) {
        /* a bare query: its result is printed (an INSERT without a target; the binder
         * gives it the tableau sink, engine/conn/tableau.c) */
        n = sl_p_node(p, SL_AST_INSERT, pos);
        if (!n)
            return SL_ENOMEM;
        n->target = NULL;
        TRY(sl_p_query(p, &n->query));
    } else if (sl_p_is_kw(p, "EXECUTE") || sl_p_is_kw(p, "BEGIN")) {
        /* EXECUTE STATEMENT SET BEGIN ... END: every INSERT of a file runs anyway */
        TRY(sl_p_accept_kw(p, "EXECUTE", &found));
        if (found) {
            TRY(sl_p_expect_kw(p, "STATEMENT"));
            TRY(sl_p_expect_kw(p, "SET"));
        }
        TRY(sl_p_expect_kw(p, "BEGIN"));
        *out = NULL;
        return 0;
    } else if (sl_p_is_kw(p, "END")) {
        TRY(sl_p_advance(p));
        *out = NULL;
        return 0;
    } else if (sl_p_is_kw(p, "DROP") && sl_p_drop_function(p)) {
        TRY(sl_p_advance(p));
        n = sl_p_node(p, SL_AST_DROP_FUNCTION, pos);
        if (!n)
            return SL_ENOMEM;
        TRY(sl_p_accept_kw(p, "TEMPORARY", &n->function.temporary));
        TRY(sl_p_function(p, n, false));
    } else if (sl_p_is_kw(p, "DROP") || sl_p_is_kw(p, "ALTER") || sl_p_is_kw(p, "USE") ||
               sl_p_is_kw(p, "SHOW") || sl_p_is_kw(p, "DESCRIBE") || sl_p_is_kw(p, "EXPLAIN") ||
               sl_p_is_kw(p, "RESET") || sl_p_is_kw(p, "LOAD")) {
        return sl_p_error(p, pos, "%.*s statements are not supported", (int)p->cur.len,
                          sl_p_text(p));
    } else {
        return sl_p_expected(p, "a statement (CREATE TABLE, CREATE VIEW, INSERT INTO, SET)");
    }
    *out = n;
    return 0;
}

struct sl_sql_file *sl_sql_parse(const char *path, const char *text, size_t len,
                                 const struct sl_sql_param *params, size_t nparams,
                                 struct sl_error *err)
{
    struct sl_sql_input in = {path, text, len};
    return sl_sql_parse_multi(&in, 1, params, nparams, err);
}

struct sl_sql_file *sl_sql_parse_multi(const struct sl_sql_input *in, size_t nin,
                                       const struct sl_sql_param *params, size_t nparams,
                                       struct sl_error *err)
{
    struct sl_sql_file *file = calloc(1, sizeof(*file));
    if (!file) {
        sl_error_set(err, SL_ENOMEM, "out of memory parsing SQL");
        return NULL;
    }
    file->src = sl_sql_source_new_multi(in, nin, params, nparams, err);
    if (!file->src)
        goto out_free;
    struct sl_parser p = {.file = file, .err = err};
    sl_lexer_init(&p.lx, file->src);
    if (sl_p_advance(&p))
        goto out_free;
    for (;;) {
        while (p.cur.kind == SL_TOK_SEMI)
            if (sl_p_advance(&p))
                goto out_free;
        if (p.cur.kind == SL_TOK_EOF)
            break;
        struct sl_ast *stmt = NULL;
        p.depth = 0;
        if (sl_p_statement(&p, &stmt))
            goto out_free;
        if (stmt && sl_list_push(&p, &file->stmts, stmt))
            goto out_free;
        if (p.cur.kind != SL_TOK_SEMI && p.cur.kind != SL_TOK_EOF) {
            sl_p_expected(&p, "';' or the end of the statement");
            goto out_free;
        }
    }
    return file;
out_free:
    sl_sql_file_free(file);
    return NULL;
}

void sl_sql_file_free(struct sl_sql_file *file)
{
    if (!file)
        return;
    sl_arena_free(&file->arena);
    sl_sql_source_free(file->src);
    free(file);
}
