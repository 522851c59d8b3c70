/*
 * engine/core/error.h - error codes and error details.
 *
 * Every sluice function that can fail returns 0 or a negative code from the table below
 * (never the global errno). The table also gives each code's message and whether a caller
 * may retry (a Kafka broker or ZooKeeper server that is briefly away is retriable; a bad
 * SQL statement is not).
 *
 * Where a failure needs more than a code - which file, line and column, which topic,
 * partition and offset - the function takes a `struct sl_error *` and fills its message.
 * A NULL `struct sl_error *` is allowed everywhere and means "the caller only wants the
 * code".
 */
#ifndef SL_ENGINE_ERROR_H
#define SL_ENGINE_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

/* X(name, value, retriable, message) */
#define SL_ERRORS(X)                                               \
    X(SL_OK, 0, false, "success")                                  \
    X(SL_ENOMEM, -1, true, "out of memory")                        \
    X(SL_EINVAL, -2, false, "invalid argument")                    \
    X(SL_ERANGE, -3, false, "value out of range")                  \
    X(SL_EIO, -4, true, "I/O error")                               \
    X(SL_ENOTSUP, -5, false, "not supported")                      \
    X(SL_EPARSE, -6, false, "parse error")                         \
    X(SL_EFULL, -7, true, "no room left")                          \
    X(SL_EEMPTY, -8, true, "nothing available")                    \
    X(SL_ECORRUPT, -9, false, "data is corrupted")                 \
    X(SL_ENOTFOUND, -10, false, "not found")                       \
    X(SL_ETIMEOUT, -11, true, "timed out")                         \
    X(SL_EKAFKA, -12, false, "Kafka error")                        \
    X(SL_EKAFKA_RETRY, -13, true, "Kafka error (retriable)")       \
    X(SL_EZK, -14, false, "ZooKeeper error")                       \
    X(SL_EZK_RETRY, -15, true, "ZooKeeper error (retriable)")      \
    X(SL_EFENCED, -16, false, "fenced: another process took over") \
    X(SL_EDIVZERO, -17, false, "division by zero")                 \
    X(SL_EOVERFLOW, -18, false, "arithmetic overflow")             \
    X(SL_ESTATE, -19, false, "operation not valid in this state")  \
    X(SL_EFINISHED, -20, false, "the job already finished")        \
    X(SL_ESTOPPED, -21, false, "stopped (SIGINT / SIGTERM)")       \
    X(SL_EREBALANCE, -22, true, "a new generation of the job's processes")

enum sl_err {
#define SL_ERR_ENUM(name, value, retriable, msg) name = value,
    SL_ERRORS(SL_ERR_ENUM)
#undef SL_ERR_ENUM
};

/* The message of an error code; "unknown error" for a code outside the table. */
const char *sl_strerror(int code);

/* Whether an operation that failed with `code` may succeed if tried again. */
bool sl_err_retriable(int code);

#define SL_ERROR_MSG_MAX 512

/* An error with its details: the code and a message that names the problem and where. */
struct sl_error {
    int code;
    char msg[SL_ERROR_MSG_MAX];
};

/*
 * Sets `err` (if not NULL) to `code` with a printf-style message and returns `code`, so a
 * failure reads `return sl_error_set(err, SL_EPARSE, "%s:%d:%d: ...", ...);`.
 */
int sl_error_set(struct sl_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int sl_error_vset(struct sl_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Clears `err` (if not NULL) to SL_OK with an empty message. */
void sl_error_clear(struct sl_error *err);

/* The one mapping of a system errno to a code of this table, for every file and socket
 * operation: ENOSPC, EDQUOT -> SL_EFULL; ENOMEM -> SL_ENOMEM; ENOENT -> SL_ENOTFOUND;
 * ETIMEDOUT -> SL_ETIMEOUT; anything else -> SL_EIO. Callers put strerror(e) in the
 * message. */
int sl_error_from_errno(int e);

#endif
