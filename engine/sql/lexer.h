/*
 * engine/sql/lexer.h - the tokens of Flink SQL.
 *
 * HOW IT WORKS
 * The lexer walks the expanded text of a struct sl_sql_source (engine/plan/sql_source.h:
 * ${NAME} placeholders already replaced, positions mapped back to the files): keywords are
 * identifiers (SQL keywords are not reserved the same way everywhere; the parser decides),
 * back-quoted identifiers keep their exact spelling and may be any word, string literals use '' for
 * a quote, comments are -- to the end of the line and / * * /.
 */
#ifndef SL_ENGINE_SQL_LEXER_H
#define SL_ENGINE_SQL_LEXER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"
#include "engine/plan/sql_source.h"

typedef enum sl_tok_kind {
    SL_TOK_EOF = 0,
    SL_TOK_IDENT,   /* a plain word: identifier or keyword, compare case-insensitively */
    SL_TOK_QIDENT,  /* `back-quoted` identifier: exact spelling, never a keyword */
    SL_TOK_STRING,  /* 'string literal' */
    SL_TOK_INTEGER, /* 123 */
    SL_TOK_DECIMAL, /* 1.5, .5, 1e3 */
    SL_TOK_LPAREN,
    SL_TOK_RPAREN,
    SL_TOK_COMMA,
    SL_TOK_DOT,
    SL_TOK_SEMI,
    SL_TOK_STAR,
    SL_TOK_PLUS,
    SL_TOK_MINUS,
    SL_TOK_SLASH,
    SL_TOK_PERCENT,
    SL_TOK_CONCAT,
    SL_TOK_EQ,
    SL_TOK_NE,
    SL_TOK_LT,
    SL_TOK_LE,
    SL_TOK_GT,
    SL_TOK_GE,
    SL_TOK_LBRACKET, /* [ : m['k'], MAP['k', v] */
    SL_TOK_RBRACKET,
} sl_tok_kind;

struct sl_token {
    sl_tok_kind kind;
    size_t pos; /* byte offset in the expanded text */
    size_t len; /* bytes of the token in the text (quotes included) */
};

/* A lexer over a source (not owned; it must outlive the lexer). */
struct sl_lexer {
    const struct sl_sql_source *src;
    const char *text;
    size_t len;
    size_t pos;
};

void sl_lexer_init(struct sl_lexer *lx, const struct sl_sql_source *src);

/* The next token into *tok; returns 0, or SL_EPARSE with `err` filled (unterminated string,
 * quoted identifier or comment, a character that starts no token). */
int sl_lexer_next(struct sl_lexer *lx, struct sl_token *tok, struct sl_error *err);

/* "end of input", "identifier", "','", ... for messages. */
const char *sl_tok_name(sl_tok_kind kind);

#endif
