/*
 * engine/plan/udf.h - user-defined scalar functions in C: the loader and the job's function
 * namespace (CREATE / DROP FUNCTION). The ABI is the public include/sluice_udf.h.
 *
 * HOW IT WORKS
 * A job owns one struct sl_udf_set: its UDF path (directories and files from `sluice run
 * --udf-path`, then the default directories next to the program: <dir of the program>/udf
 * and <dir>/../lib/sluice/udf), the libraries it has opened, and the functions CREATE
 * FUNCTION declared. Resolving an identifier walks the path - first SET 'sluice.udf.path'
 * (':'-separated, as the SQL had it at the CREATE FUNCTION), then the set's own entries -
 * opening each library once (dlopen RTLD_NOW | RTLD_LOCAL), asking its `sluice_udf_library`
 * table, checking the ABI version, and takes the first function whose identifier matches.
 * In a directory, files named *.so are tried in name order and a shared object without the
 * entry symbol is skipped; a file named on the path must be a UDF library. Libraries stay
 * open until sl_udf_set_free (the job's end), so plans and evaluators may point into them.
 *
 * The plan refers to a function through struct sl_udf (SL_FN_UDF calls in plan.h); the
 * evaluator (engine/ops/eval.c) makes each call site's state and calls it batch by batch.
 *
 * THREADS: a set is built by the binder on one thread; afterwards it is read-only and the
 * struct sl_udf it holds may be read by every worker.
 */
#ifndef SL_ENGINE_PLAN_UDF_H
#define SL_ENGINE_PLAN_UDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice_udf.h> /* the public ABI: includes nothing of sluice's (not a layer) */

#include "engine/core/types.h"

/* A declared function (CREATE FUNCTION name AS 'identifier'). */
struct sl_udf {
    const char *name;       /* the SQL name, as created (matched case-insensitively) */
    const char *identifier; /* the AS '...' string */
    const char *library;    /* the path of the library it came from */
    const struct sluice_udf_function *fn;
    struct sl_type result; /* nullable per the flags (see sl_udf_result_nullable) */
    uint32_t nargs;
    struct sl_type args[SLUICE_UDF_MAX_ARGS];
    bool system; /* CREATE ... SYSTEM FUNCTION: looked up before built-in functions */
    bool dropped;
};

struct sl_udf_set;

/* An empty set with no path; NULL when out of memory. The caller owns it. */
struct sl_udf_set *sl_udf_set_new(void);

/* Closes every library and frees the functions (NULL is fine). */
void sl_udf_set_free(struct sl_udf_set *set);

/* Appends a directory or a library file to the path (copied); SL_ENOMEM. */
int sl_udf_set_add_path(struct sl_udf_set *set, const char *path);

/* Appends the default directories next to the running program (those that exist). */
int sl_udf_set_add_default_path(struct sl_udf_set *set);

/*
 * Finds `identifier` on `sql_path` (':'-separated, may be NULL) then on the set's path, and
 * fills *udf (name and flags left to the caller). Returns 0, or a negative code with `msg`
 * naming the library and the identifier: SL_ENOENT not found (the message lists what was
 * searched), SL_EIO a path entry that cannot be read or a library dlopen refuses, SL_EINVAL
 * not a UDF library, another ABI version, or a malformed entry.
 */
int sl_udf_resolve(struct sl_udf_set *set, const char *sql_path, const char *identifier,
                   struct sl_udf *udf, char *msg, size_t cap);

/* Adds a function (copied; strings copied); returns it, or NULL when out of memory. */
struct sl_udf *sl_udf_add(struct sl_udf_set *set, const struct sl_udf *udf);

/* The live (not dropped) function named `name`, case-insensitively, or NULL. */
struct sl_udf *sl_udf_find(const struct sl_udf_set *set, const char *name);

/* The SQL type of an ABI type (id SL_TYPE_COUNT for an unknown one). */
struct sl_type sl_udf_type(uint32_t abi_type);

/* "STRING", "BIGINT", ... for messages. */
const char *sl_udf_type_name(uint32_t abi_type);

#endif
