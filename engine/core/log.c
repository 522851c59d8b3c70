/*
 * engine/core/log.c - the log level (see log.h).
 */
#include "engine/core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

static _Atomic int sl_log_level = SL_LOG_INFO;

static const char *const sl_log_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

const char *sl_log_level_name(int level)
{
    return level >= SL_LOG_ERROR && level <= SL_LOG_DEBUG ? sl_log_names[level] : "?";
}

int sl_log_level_parse(const char *s)
{
    if (!s)
        return -1;
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    for (int i = SL_LOG_ERROR; i <= SL_LOG_DEBUG; i++)
        if (n == strlen(sl_log_names[i]) && strncasecmp(s, sl_log_names[i], n) == 0)
            return i;
    if (n == 7 && strncasecmp(s, "WARNING", n) == 0)
        return SL_LOG_WARN;
    return -1;
}

void sl_log_set_level(enum sl_log_level level)
{
    atomic_store_explicit(&sl_log_level, (int)level, memory_order_relaxed);
}

enum sl_log_level sl_log_get_level(void)
{
    return (enum sl_log_level)atomic_load_explicit(&sl_log_level, memory_order_relaxed);
}

bool sl_log_enabled(enum sl_log_level level)
{
    return (int)level <= atomic_load_explicit(&sl_log_level, memory_order_relaxed);
}

void sl_log(FILE *out, enum sl_log_level level, const char *fmt, ...)
{
    if (!sl_log_enabled(level))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    out = out ? out : stderr;
    fprintf(out, "sluice: %s\n", msg);
    fflush(out);
}
