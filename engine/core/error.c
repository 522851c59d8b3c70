/*
 * engine/core/error.c - the error table and error details (see error.h).
 */
#include "engine/core/error.h"

#include <errno.h>

#include <stdio.h>
#include <string.h>

struct sl_err_info {
    int code;
    bool retriable;
    const char *msg;
};

static const struct sl_err_info sl_err_table[] = {
#define SL_ERR_ROW(name, value, retriable, msg) {value, retriable, msg},
    SL_ERRORS(SL_ERR_ROW)
#undef SL_ERR_ROW
};

static const struct sl_err_info *sl_err_lookup(int code)
{
    for (size_t i = 0; i < sizeof(sl_err_table) / sizeof(sl_err_table[0]); i++)
        if (sl_err_table[i].code == code)
            return &sl_err_table[i];
    return NULL;
}

const char *sl_strerror(int code)
{
    const struct sl_err_info *info = sl_err_lookup(code);
    return info ? info->msg : "unknown error";
}

bool sl_err_retriable(int code)
{
    const struct sl_err_info *info = sl_err_lookup(code);
    return info ? info->retriable : false;
}

int sl_error_vset(struct sl_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    }
    return code;
}

int sl_error_set(struct sl_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void sl_error_clear(struct sl_error *err)
{
    if (err) {
        err->code = SL_OK;
        err->msg[0] = '\0';
    }
}

int sl_error_from_errno(int e)
{
    switch (e) {
    case ENOSPC:
    case EDQUOT:
        return SL_EFULL;
    case ENOMEM:
        return SL_ENOMEM;
    case ENOENT:
        return SL_ENOTFOUND;
    case ETIMEDOUT:
        return SL_ETIMEOUT;
    default:
        return SL_EIO;
    }
}
