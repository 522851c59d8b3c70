/*
 * engine/sql/lexer.h - the tokens of Flink SQL, and ${NAME} placeholders.
 *
 * HOW IT WORKS
 * sl_sql_source_new() takes the text of a .sql file and the --set values, replaces every
 * ${NAME} (inside string literals too, as Flink's SQL client and the Nexmark runner do) and
 * keeps a map from the expanded text back to the original, so that every error still names
 * the line and column of the file as the user sees it. The lexer then walks the expanded
 * text: keywords are identifiers (SQL keywords are not reserved the same way everywhere; the
 * parser decides), back-quoted identifiers keep their exact spelling and may be any word,
 * string literals use '' for a quote, comments are -- to the end of the line and / * * /.
 */
#ifndef SL_ENGINE_SQL_LEXER_H
#define SL_ENGINE_SQL_LEXER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

/* A parameter for ${NAME}: the name (without ${ }) and its value. */
struct sl_sql_param {
    const char *name;
    const char *value;
};

/* The text of a SQL file after placeholder expansion, with the map back to the original. */
struct sl_sql_source;

/*
 * Expands the placeholders of `text` (len bytes) from `params`. `path` names the file in
 * errors. Fills `err` and returns NULL on an undefined placeholder ("q.sql:3:14: ${TPS} is not
 * set; pass --set TPS=value") or when out of memory. The caller owns the result
 * (sl_sql_source_free).
 */
struct sl_sql_source *sl_sql_source_new(const char *path, const char *text, size_t len,
                                        const struct sl_sql_param *params, size_t nparams,
                                        struct sl_error *err);
void sl_sql_source_free(struct sl_sql_source *src);

/* One file of a multi-file source. */
struct sl_sql_input {
    const char *path;
    const char *text;
    size_t len;
};

/*
 * Like sl_sql_source_new for several files read as one script, in order (as Flink's SQL
 * client runs ddl.sql, views.sql and a query file one after the other): statements may not
 * span files, and every position maps back to its own file, line and column.
 */
struct sl_sql_source *sl_sql_source_new_multi(const struct sl_sql_input *in, size_t n,
                                              const struct sl_sql_param *params, size_t nparams,
                                              struct sl_error *err);

/* The expanded text (NUL-terminated) and its length. */
const char *sl_sql_source_text(const struct sl_sql_source *src);
size_t sl_sql_source_len(const struct sl_sql_source *src);
const char *sl_sql_source_path(const struct sl_sql_source *src);

/* Line and column (both from 1) in the original file of byte `pos` of the expanded text;
 * the file's path, if `path` is not NULL. */
void sl_sql_source_position(const struct sl_sql_source *src, size_t pos, uint32_t *line,
                            uint32_t *col);
const char *sl_sql_source_path_at(const struct sl_sql_source *src, size_t pos);

/*
 * Fills `err` with "path:line:col: message", the original source line and a caret under the
 * column, and returns `code`.
 */
int sl_sql_error_at(const struct sl_sql_source *src, size_t pos, struct sl_error *err, int code,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

typedef enum sl_tok_kind {
    SL_TOK_EOF = 0,
    SL_TOK_IDENT,    /* a plain word: identifier or keyword, compare case-insensitively */
    SL_TOK_QIDENT,   /* `back-quoted` identifier: exact spelling, never a keyword */
    SL_TOK_STRING,   /* 'string literal' */
    SL_TOK_INTEGER,  /* 123 */
    SL_TOK_DECIMAL,  /* 1.5, .5, 1e3 */
    SL_TOK_LPAREN, SL_TOK_RPAREN, SL_TOK_COMMA, SL_TOK_DOT, SL_TOK_SEMI,
    SL_TOK_STAR, SL_TOK_PLUS, SL_TOK_MINUS, SL_TOK_SLASH, SL_TOK_PERCENT, SL_TOK_CONCAT,
    SL_TOK_EQ, SL_TOK_NE, SL_TOK_LT, SL_TOK_LE, SL_TOK_GT, SL_TOK_GE,
} sl_tok_kind;

struct sl_token {
    sl_tok_kind kind;
    size_t pos;  /* byte offset in the expanded text */
    size_t len;  /* bytes of the token in the text (quotes included) */
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
