/*
 * engine/sql/lexer.c - the tokenizer (see lexer.h).
 */
#include "engine/sql/lexer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sl_lexer_init(struct sl_lexer *lx, const struct sl_sql_source *src)
{
    lx->src = src;
    lx->text = sl_sql_source_text(src);
    lx->len = sl_sql_source_len(src);
    lx->pos = 0;
}

static const char *const sl_tok_names[] = {
    [SL_TOK_EOF] = "end of input",  [SL_TOK_IDENT] = "identifier",
    [SL_TOK_QIDENT] = "identifier", [SL_TOK_STRING] = "string literal",
    [SL_TOK_INTEGER] = "number",    [SL_TOK_DECIMAL] = "number",
    [SL_TOK_LPAREN] = "'('",        [SL_TOK_RPAREN] = "')'",
    [SL_TOK_COMMA] = "','",         [SL_TOK_DOT] = "'.'",
    [SL_TOK_SEMI] = "';'",          [SL_TOK_STAR] = "'*'",
    [SL_TOK_PLUS] = "'+'",          [SL_TOK_MINUS] = "'-'",
    [SL_TOK_SLASH] = "'/'",         [SL_TOK_PERCENT] = "'%'",
    [SL_TOK_CONCAT] = "'||'",       [SL_TOK_EQ] = "'='",
    [SL_TOK_NE] = "'<>'",           [SL_TOK_LT] = "'<'",
    [SL_TOK_LE] = "'<='",           [SL_TOK_GT] = "'>'",
    [SL_TOK_GE] = "'>='",           [SL_TOK_LBRACKET] = "'['",
    [SL_TOK_RBRACKET] = "']'",
};

const char *sl_tok_name(sl_tok_kind kind)
{
    return (unsigned)kind < sizeof(sl_tok_names) / sizeof(sl_tok_names[0]) && sl_tok_names[kind]
               ? sl_tok_names[kind]
               : "token";
}

static int sl_lex_skip_space(struct sl_lexer *lx, struct sl_error *err)
{
    const char *t = lx->text;
    for (;;) {
        while (lx->pos < lx->len && isspace((unsigned char)t[lx->pos]))
            lx->pos++;
        if (lx->pos + 1 < lx->len && t[lx->pos] == '-' && t[lx->pos + 1] == '-') {
            while (lx->pos < lx->len && t[lx->pos] != '\n')
                lx->pos++;
            continue;
        }
        if (lx->pos + 1 < lx->len && t[lx->pos] == '/' && t[lx->pos + 1] == '*') {
            /* a comment ends with its file, as a statement does */
            size_t start = lx->pos, end = sl_sql_source_file_end(lx->src, start);
            lx->pos += 2;
            while (lx->pos + 1 < end && !(t[lx->pos] == '*' && t[lx->pos + 1] == '/'))
                lx->pos++;
            if (lx->pos + 1 >= end)
                return sl_sql_error_at(lx->src, start, err, SL_EPARSE,
                                       "unterminated comment: '/*' without '*/'");
            lx->pos += 2;
            continue;
        }
        return 0;
    }
}

int sl_lexer_next(struct sl_lexer *lx, struct sl_token *tok, struct sl_error *err)
{
    int rc = sl_lex_skip_space(lx, err);
    if (rc)
        return rc;
    const char *t = lx->text;
    size_t p = lx->pos;
    tok->pos = p;
    if (p >= lx->len) {
        tok->kind = SL_TOK_EOF;
        tok->len = 0;
        return 0;
    }
    unsigned char c = (unsigned char)t[p];
    if (isalpha(c) || c == '_') {
        while (p < lx->len && (isalnum((unsigned char)t[p]) || t[p] == '_' || t[p] == '$'))
            p++;
        tok->kind = SL_TOK_IDENT;
    } else if (c == '`') {
        p++;
        for (;;) {
            if (p >= lx->len || t[p] == '\n')
                return sl_sql_error_at(
                    lx->src, tok->pos, err, SL_EPARSE,
                    "unterminated quoted identifier: '`' without its closing '`'");
            if (t[p] == '`') {
                if (p + 1 < lx->len && t[p + 1] == '`') {
                    p += 2;
                    continue;
                }
                break;
            }
            p++;
        }
        p++;
        if (p - tok->pos == 2)
            return sl_sql_error_at(lx->src, tok->pos, err, SL_EPARSE, "empty quoted identifier");
        tok->kind = SL_TOK_QIDENT;
    } else if (c == '\'') {
        size_t end = sl_sql_source_file_end(lx->src, p); /* a string ends with its file */
        p++;
        for (;;) {
            if (p >= end)
                return sl_sql_error_at(lx->src, tok->pos, err, SL_EPARSE,
                                       "unterminated string literal: ' without its closing '");
            if (t[p] == '\'') {
                if (p + 1 < end && t[p + 1] == '\'') {
                    p += 2;
                    continue;
                }
                break;
            }
            p++;
        }
        p++;
        tok->kind = SL_TOK_STRING;
    } else if (isdigit(c) || (c == '.' && p + 1 < lx->len && isdigit((unsigned char)t[p + 1]))) {
        bool dec = false;
        while (p < lx->len && isdigit((unsigned char)t[p]))
            p++;
        if (p < lx->len && t[p] == '.') {
            dec = true;
            p++;
            while (p < lx->len && isdigit((unsigned char)t[p]))
                p++;
        }
        if (p < lx->len && (t[p] == 'e' || t[p] == 'E')) {
            size_t q = p + 1;
            if (q < lx->len && (t[q] == '+' || t[q] == '-'))
                q++;
            if (q < lx->len && isdigit((unsigned char)t[q])) {
                dec = true;
                p = q;
                while (p < lx->len && isdigit((unsigned char)t[p]))
                    p++;
            }
        }
        if (p < lx->len && (isalpha((unsigned char)t[p]) || t[p] == '_'))
            return sl_sql_error_at(lx->src, p, err, SL_EPARSE,
                                   "unexpected '%c' right after a number", t[p]);
        tok->kind = dec ? SL_TOK_DECIMAL : SL_TOK_INTEGER;
    } else {
        p++;
        char n = p < lx->len ? t[p] : '\0';
        switch (c) {
        case '(':
            tok->kind = SL_TOK_LPAREN;
            break;
        case '[':
            tok->kind = SL_TOK_LBRACKET;
            break;
        case ']':
            tok->kind = SL_TOK_RBRACKET;
            break;
        case ')':
            tok->kind = SL_TOK_RPAREN;
            break;
        case ',':
            tok->kind = SL_TOK_COMMA;
            break;
        case '.':
            tok->kind = SL_TOK_DOT;
            break;
        case ';':
            tok->kind = SL_TOK_SEMI;
            break;
        case '*':
            tok->kind = SL_TOK_STAR;
            break;
        case '+':
            tok->kind = SL_TOK_PLUS;
            break;
        case '-':
            tok->kind = SL_TOK_MINUS;
            break;
        case '/':
            tok->kind = SL_TOK_SLASH;
            break;
        case '%':
            tok->kind = SL_TOK_PERCENT;
            break;
        case '=':
            tok->kind = SL_TOK_EQ;
            break;
        case '|':
            if (n != '|')
                return sl_sql_error_at(lx->src, tok->pos, err, SL_EPARSE,
                                       "unexpected '|' (did you mean '||'?)");
            p++;
            tok->kind = SL_TOK_CONCAT;
            break;
        case '!':
            if (n != '=')
                return sl_sql_error_at(lx->src, tok->pos, err, SL_EPARSE,
                                       "unexpected '!' (did you mean '<>' or NOT?)");
            p++;
            tok->kind = SL_TOK_NE;
            break;
        case '<':
            if (n == '=') {
                p++;
                tok->kind = SL_TOK_LE;
            } else if (n == '>') {
                p++;
                tok->kind = SL_TOK_NE;
            } else
                tok->kind = SL_TOK_LT;
            break;
        case '>':
            if (n == '=') {
                p++;
                tok->kind = SL_TOK_GE;
            } else
                tok->kind = SL_TOK_GT;
            break;
        default:
            if (c >= 0x20 && c < 0x7f)
                return sl_sql_error_at(lx->src, tok->pos, err, SL_EPARSE,
                                       "unexpected character '%c'", c);
            return sl_sql_error_at(lx->src, tok->pos, err, SL_EPARSE,
                                   "unexpected byte 0x%02x (non-ASCII text belongs in a string "
                                   "literal or a `quoted identifier`)",
                                   c);
        }
    }
    tok->len = p - tok->pos;
    lx->pos = p;
    return 0;
}
