/*
 * engine/ops/operator.c - what the operators share beyond operator.h's inline helpers.
 */
#include "engine/ops/operator.h"

#include <stdarg.h>
#include <stdio.h>

#include "engine/plan/sql_source.h"

int sl_op_error(const struct sl_worker_ctx *ctx, size_t pos, struct sl_error *err, int code,
                const char *fmt, ...)
{
    char msg[SL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ctx && ctx->sql)
        return sl_sql_error_at(ctx->sql, pos, err, code, "%s", msg);
    return sl_error_set(err, code, "%s", msg);
}
