/*
 * engine/sql/binder.h - from syntax to a typed logical plan.
 *
 * The binder resolves names (tables, views, columns, ROW fields, aliases), types every
 * expression with Flink's rules (engine/sql/binder.c says which), expands views, checks
 * what sluice can run, and builds one plan per INSERT INTO. Errors name the file, line and
 * column with the source line and a caret: unknown table or column (with a suggestion when
 * only the case differs or a near name exists), type mismatch, and what is not supported
 * yet, by name.
 */
#ifndef SL_ENGINE_SQL_BINDER_H
#define SL_ENGINE_SQL_BINDER_H

#include "engine/core/error.h"
#include "engine/plan/catalog.h"
#include "engine/sql/parser.h"

/*
 * Binds a parsed file. On success the job takes ownership of `file` (freed by sl_job_free);
 * on failure returns NULL with `err` filled and `file` still the caller's.
 */
struct sl_job *sl_job_bind(struct sl_sql_file *file, struct sl_error *err);

/* What binding takes besides the SQL: the UDF path (`sluice run --udf-path`, in order;
 * searched after SET 'sluice.udf.path' and before the default directory, engine/plan/udf.h).
 * Strings are borrowed for the call. */
struct sl_bind_opts {
    uint32_t nudf_paths;
    const char *const *udf_paths;
};

/* sl_job_bind with options (NULL: none). */
struct sl_job *sl_job_bind_opts(struct sl_sql_file *file, const struct sl_bind_opts *opts,
                                struct sl_error *err);

/* sl_job_from_sql_multi with options (NULL: none). */
struct sl_job *sl_job_from_sql_opts(const struct sl_sql_input *in, size_t n,
                                    const struct sl_sql_param *params, size_t nparams,
                                    const struct sl_bind_opts *opts, struct sl_error *err);

/* As sl_job_bind, but a script without INSERT INTO (or SELECT) binds too: the tables,
 * views and settings of a session (`sluice sql`). */
struct sl_job *sl_job_bind_catalog(struct sl_sql_file *file, struct sl_error *err);

/* Parses and binds in one step; NULL with `err` filled on failure. */
struct sl_job *sl_job_from_sql(const char *path, const char *text, size_t len,
                               const struct sl_sql_param *params, size_t nparams,
                               struct sl_error *err);

/* Parses and binds several files as one script, in order. */
struct sl_job *sl_job_from_sql_multi(const struct sl_sql_input *in, size_t n,
                                     const struct sl_sql_param *params, size_t nparams,
                                     struct sl_error *err);

/* How a built-in function is written (sl_sql_builtins). */
typedef enum sl_sql_builtin_form {
    SL_SQL_BUILTIN_CALL,        /* NAME(args) anywhere an expression goes */
    SL_SQL_BUILTIN_AGGREGATE,   /* NAME(args) in a select list of a GROUP BY or window query */
    SL_SQL_BUILTIN_OPERATOR,    /* syntax of its own: a AND b, x IS NULL, CASE ... END, s || t */
    SL_SQL_BUILTIN_GROUP_WINDOW /* <F>_START(...) in the select list of GROUP BY F(...) */
} sl_sql_builtin_form;

struct sl_sql_builtin {
    const char *name; /* static */
    sl_sql_builtin_form form;
};

/* The built-in functions and operators (SHOW FUNCTIONS; user-defined functions are the
 * session's), each name once (tests/engine/test_sql_functions.c), from the tables the
 * binder resolves names with: the first
 * `cap` into out (NULL when cap is 0). Returns how many there are. */
size_t sl_sql_builtins(struct sl_sql_builtin *out, size_t cap);

#endif
