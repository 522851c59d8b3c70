/*
 * engine/plan/catalog.c - looking up table options and job settings (see catalog.h).
 */
#include "engine/plan/catalog.h"

#include "engine/core/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *sl_job_setting(const struct sl_job *job, const char *key)
{
    const char *v = NULL;
    for (uint32_t i = 0; i < job->nsets; i++)
        if (strcmp(job->sets[i].key, key) == 0)
            v = job->sets[i].value;
    return v;
}

int sl_job_add_setting(struct sl_job *job, const char *key, const char *value)
{
    uint32_t n = job->nsets + 1;
    struct sl_option *s = sl_arena_alloc(&job->arena, n * sizeof(*s));
    char *k = sl_arena_strndup(&job->arena, key, strlen(key));
    char *v = sl_arena_strndup(&job->arena, value, strlen(value));
    if (!s || !k || !v)
        return SL_ENOMEM;
    if (job->nsets)
        memcpy(s, job->sets, job->nsets * sizeof(*s));
    s[n - 1] = (struct sl_option){.key = k, .value = v, .pos = SIZE_MAX};
    job->sets = s;
    job->nsets = n;
    return 0;
}

const char *sl_table_option(const struct sl_table *t, const char *key)
{
    for (uint32_t i = 0; i < t->nopts; i++)
        if (strcmp(t->opts[i].key, key) == 0)
            return t->opts[i].value;
    return NULL;
}

int64_t sl_setting_duration_ms(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    if (!*end || !strcmp(end, "ms") || !strcmp(end, "milli") || !strcmp(end, "millis"))
        return (int64_t)v;
    if (!strcmp(end, "s") || !strcmp(end, "sec") || !strcmp(end, "second") ||
        !strcmp(end, "seconds"))
        return (int64_t)(v * 1000);
    if (!strcmp(end, "min") || !strcmp(end, "minute") || !strcmp(end, "minutes"))
        return (int64_t)(v * 60000);
    if (!strcmp(end, "h") || !strcmp(end, "hour") || !strcmp(end, "hours"))
        return (int64_t)(v * 3600000);
    return -1;
}
