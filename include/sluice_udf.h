/*
 * sluice_udf.h - user-defined scalar functions in C for sluice: the ABI a UDF library
 * implements. Version 1 (SLUICE_UDF_ABI_VERSION); docs/udf.md is the guide.
 *
 * HOW IT WORKS
 * A UDF library is a shared object that exports one function, `sluice_udf_library`, which
 * returns a static table: the ABI version it was built for and its functions, each with an
 * identifier, a signature (argument and result types) and a `call` that computes a whole
 * column at once. SQL names a function by its identifier:
 *
 *     CREATE FUNCTION count_char AS 'com.github.nexmark.flink.udf.CountChar';
 *
 * sluice opens the libraries on its UDF path (`sluice run --udf-path`, SET
 * 'sluice.udf.path', the default directory next to the program) with dlopen, asks each for
 * its table, checks the version and takes the first function with that identifier. The
 * binder type-checks every call against the signature and casts arguments as Flink does
 * for a ScalarFunction's eval (implicit widening only: INT -> BIGINT -> DOUBLE).
 *
 * A call gets the rows of one batch as columns, as sluice holds them: values indexed by row
 * (`data`), a validity bitmap (bit r & 63 of word r >> 6 set = row r holds a value; NULL =
 * no NULL), and the positions to compute (`sel`, `n`: rows sel[0..n-1] in increasing order,
 * or rows 0..n-1 when sel is NULL). It writes `out` at those rows only.
 *
 *   type                 value in data[row]
 *   SLUICE_UDF_BOOLEAN   uint8_t, 0 or 1
 *   SLUICE_UDF_INT       int32_t
 *   SLUICE_UDF_BIGINT    int64_t
 *   SLUICE_UDF_DOUBLE    double
 *   SLUICE_UDF_STRING    sluice_udf_str (a 16-byte view; bytes are UTF-8 as the SQL gave
 *                        them: sluice does not re-check them for a UDF)
 *   SLUICE_UDF_TIMESTAMP int64_t, milliseconds since 1970-01-01 00:00:00 (TIMESTAMP(3))
 *
 * NULLs: by default sluice calls a function only at the rows where every argument holds a
 * value, and the result is NULL where one does not (SQL's usual rule, and what Flink gives a
 * ScalarFunction whose eval takes primitives). SLUICE_UDF_NULL_CALL gives the function every
 * row and the arguments' bitmaps instead. Either way the result is NOT NULL unless the
 * function sets SLUICE_UDF_RETURNS_NULL (then `out_valid` is given, with the bits of the
 * computed rows set, and the function clears a bit to return NULL) or, without
 * SLUICE_UDF_NULL_CALL, an argument can be NULL.
 *
 * Errors: `call` returns 0, or non-zero after writing a message (sluice_udf_fail); the job
 * then fails with that message, the function's name and the SQL position of the call.
 *
 * State: `init` (optional) runs once per evaluator - one per worker thread and call site -
 * before the first batch, and `destroy` (optional) after the last; `call` gets the state in
 * `call->state`. A call never runs on two threads at once with the same state; different
 * states are used by different threads at the same time, so shared data must be read-only or
 * locked by the library.
 *
 * Memory: argument views and bytes are valid during the call only. Result strings of more
 * than 12 bytes must live in memory from `call->alloc` (freed by sluice after the batch);
 * shorter ones are copied into the view by sluice_udf_str_make.
 *
 * ABI STABILITY: the version changes whenever a struct below or a rule above changes; a
 * library built for another version is refused with both numbers in the message.
 */
#ifndef SLUICE_UDF_H
#define SLUICE_UDF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLUICE_UDF_ABI_VERSION 1
#define SLUICE_UDF_MAX_ARGS 16
#define SLUICE_UDF_ENTRY "sluice_udf_library" /* the symbol sluice looks up */

enum sluice_udf_type {
    SLUICE_UDF_BOOLEAN = 1,
    SLUICE_UDF_INT = 2,
    SLUICE_UDF_BIGINT = 3,
    SLUICE_UDF_DOUBLE = 4,
    SLUICE_UDF_STRING = 5,
    SLUICE_UDF_TIMESTAMP = 6,
};

/* flags of a function */
#define SLUICE_UDF_NULL_CALL 1u    /* called at rows with NULL arguments too */
#define SLUICE_UDF_RETURNS_NULL 2u /* may return NULL (clears bits of out_valid) */

/*
 * A string: 16 bytes. Up to 12 bytes live inline (len, then the bytes in prefix + inl,
 * zero-padded); longer ones keep their first 4 bytes in prefix and point at all of them.
 *
 *   offset  size  field
 *        0     4  len
 *        4     4  prefix
 *        8     8  inl (bytes 4..11) or ptr (all bytes)
 */
typedef struct sluice_udf_str {
    uint32_t len;
    char prefix[4];
    union {
        char inl[8];
        const char *ptr;
    } u;
} sluice_udf_str;

/* The bytes of a string (not NUL-terminated). */
static inline const char *sluice_udf_str_data(const sluice_udf_str *s)
{
    return s->len <= 12 ? s->prefix : s->u.ptr;
}

/* A view of len bytes at data: copied when short, else referenced (data must then come from
 * call->alloc or outlive the batch). */
static inline sluice_udf_str sluice_udf_str_make(const char *data, uint32_t len)
{
    sluice_udf_str s;
    memset(&s, 0, sizeof(s));
    s.len = len;
    if (len <= 12) {
        if (len)
            memcpy(s.prefix, data, len);
    } else {
        memcpy(s.prefix, data, 4);
        s.u.ptr = data;
    }
    return s;
}

/* Whether row `row` of a bitmap holds a value (NULL bitmap: always). */
static inline int sluice_udf_valid(const uint64_t *valid, uint32_t row)
{
    return valid == NULL || ((valid[row >> 6] >> (row & 63u)) & 1u);
}

/* Marks row `row` of the result NULL (only with SLUICE_UDF_RETURNS_NULL). */
static inline void sluice_udf_set_null(uint64_t *valid, uint32_t row)
{
    valid[row >> 6] &= ~((uint64_t)1 << (row & 63u));
}

/* An argument column. */
struct sluice_udf_arg {
    const void *data;      /* values indexed by row, of the declared type */
    const uint64_t *valid; /* NULL: no NULL at the computed rows */
};

/* One call over the rows of a batch. Filled by sluice; the function writes out, out_valid
 * and error. */
struct sluice_udf_call {
    uint32_t n;                        /* positions */
    const uint32_t *sel;               /* rows, increasing; NULL: rows 0 .. n-1 */
    uint32_t nargs;                    /* as declared */
    const struct sluice_udf_arg *args; /* nargs columns */
    void *out;                         /* result values indexed by row */
    uint64_t *out_valid;               /* with SLUICE_UDF_RETURNS_NULL, else NULL */
    void *state;                       /* what init made (NULL without init) */
    /* `len` bytes that live until sluice has copied the batch's results; NULL when out of
     * memory (then fail the call) */
    char *(*alloc)(struct sluice_udf_call *call, size_t len);
    char *error; /* a message on failure, NUL-terminated, at most error_cap bytes */
    size_t error_cap;
    void *engine; /* sluice's own; do not touch */
};

/* Writes the message into call->error and returns -1: `return sluice_udf_fail(call, ...);` */
static inline int sluice_udf_fail(struct sluice_udf_call *call, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static inline int sluice_udf_fail(struct sluice_udf_call *call, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->error, call->error_cap, fmt, ap);
    va_end(ap);
    return -1;
}

struct sluice_udf_function {
    const char *identifier;                    /* what CREATE FUNCTION ... AS '...' names */
    uint32_t result;                           /* enum sluice_udf_type */
    uint32_t nargs;                            /* 0 .. SLUICE_UDF_MAX_ARGS */
    uint32_t args[SLUICE_UDF_MAX_ARGS];        /* enum sluice_udf_type, nargs of them */
    uint32_t flags;                            /* SLUICE_UDF_NULL_CALL | SLUICE_UDF_RETURNS_NULL */
    int (*call)(struct sluice_udf_call *call); /* 0, or non-zero with call->error written */
    /* optional: makes the state of one evaluator; 0, or non-zero with `error` written */
    int (*init)(void **state, char *error, size_t error_cap);
    void (*destroy)(void *state); /* optional: frees it */
};

struct sluice_udf_library {
    uint32_t abi_version; /* SLUICE_UDF_ABI_VERSION */
    uint32_t nfunctions;
    const struct sluice_udf_function *functions;
};

#if defined(__GNUC__)
#define SLUICE_UDF_EXPORT __attribute__((visibility("default")))
#else
#define SLUICE_UDF_EXPORT
#endif

/* What a library defines (once): returns its static table. */
typedef const struct sluice_udf_library *(*sluice_udf_library_fn)(void);

#ifdef __cplusplus
}
#endif

#endif
