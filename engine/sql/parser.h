/*
 * engine/sql/parser.h - the recursive-descent parser of sluice's Flink SQL subset.
 *
 * Statements: CREATE [TEMPORARY] TABLE [IF NOT EXISTS], CREATE [TEMPORARY] VIEW, INSERT INTO,
 * SET 'key' = 'value', and bare queries are refused by name. Queries: SELECT [DISTINCT] ...
 * FROM table | (subquery) | TABLE(TUMBLE|HOP|CUMULATE|SESSION(...)) [[INNER|LEFT|...] JOIN
 * ... ON ...] [WHERE] [GROUP BY] [HAVING]. Expressions with SQL precedence: OR < AND < NOT <
 * comparison / IS NULL / BETWEEN / IN / LIKE < + - || < * / % < unary - < primary.
 *
 * The parser checks syntax only; names and types are the binder's. Every error names the
 * file, line and column, shows the line with a caret, and says what was expected.
 */
#ifndef SL_ENGINE_SQL_PARSER_H
#define SL_ENGINE_SQL_PARSER_H

#include "engine/core/error.h"
#include "engine/sql/ast.h"

/*
 * Parses `text` (len bytes, from `path`, for messages) after expanding ${NAME} from
 * `params`. Returns a file the caller owns (sl_sql_file_free), or NULL with `err` filled.
 */
struct sl_sql_file *sl_sql_parse(const char *path, const char *text, size_t len,
                                 const struct sl_sql_param *params, size_t nparams,
                                 struct sl_error *err);

/* Parses several files as one script, in order (see sl_sql_source_new_multi). */
struct sl_sql_file *sl_sql_parse_multi(const struct sl_sql_input *in, size_t n,
                                       const struct sl_sql_param *params, size_t nparams,
                                       struct sl_error *err);

void sl_sql_file_free(struct sl_sql_file *file);

#endif
