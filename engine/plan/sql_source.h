/*
 * engine/plan/sql_source.h - the text of a job's SQL files, with ${NAME} placeholders
 * expanded, and positions in it mapped back to file, line and column.
 *
 * HOW IT WORKS
 * sl_sql_source_new() takes the text of a .sql file and the --set values, replaces every
 * ${NAME} (inside string literals too, as Flink's SQL client and the Nexmark runner do) and
 * keeps a map from the expanded text back to the original, so that every error still names
 * the line and column of the file as the user sees it: the parser's and the binder's, and
 * the run-time errors of operators and connectors (division by zero, a bad option), which
 * point at the expression or option that caused them. It belongs to the plan layer so that
 * everything above it - the SQL front end, operators, connectors - can name positions
 * without depending on each other.
 */
#ifndef SL_ENGINE_PLAN_SQL_SOURCE_H
#define SL_ENGINE_PLAN_SQL_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"

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

/* Where the file that holds byte `pos` of the expanded text ends (in the expanded text):
 * the length of the text for the last file, else the start of the ';' line that separates
 * it from the next. A string literal, a comment or a statement ends with its file. */
size_t sl_sql_source_file_end(const struct sl_sql_source *src, size_t pos);

/* Line and column (both from 1) in the original file of byte `pos` of the expanded text;
 * a position between two files is the end of the first. */
void sl_sql_source_position(const struct sl_sql_source *src, size_t pos, uint32_t *line,
                            uint32_t *col);
/* The path of the file that byte `pos` of the expanded text came from. */
const char *sl_sql_source_path_at(const struct sl_sql_source *src, size_t pos);

/*
 * Fills `err` with "path:line:col: message", the original source line and a caret under the
 * column, and returns `code`. A path longer than 160 bytes is shown as "..." and its end, so
 * that the position always fits in the message.
 */
int sl_sql_error_at(const struct sl_sql_source *src, size_t pos, struct sl_error *err, int code,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
