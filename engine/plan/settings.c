/*
 * engine/plan/settings.c - the table of known job settings (see settings.h).
 *
 * Each entry names its key, the kind of value and its bounds, and whether a running job
 * applies a change (live). The messages say what a valid value is; they are the same for a
 * SET in a SQL file (the binder prefixes file:line:col) and for `sluice config set`.
 */
#include "engine/plan/settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <stdio.h>

#include "engine/core/log.h"
#include "engine/plan/catalog.h"

enum sl_setting_kind {
    SL_SK_DURATION, /* sl_setting_duration_ms, within [lo, hi] ms */
    SL_SK_INT,      /* an integer within [lo, hi] */
    SL_SK_BOOL,     /* 'true' or 'false', any case */
    SL_SK_BUFFER,   /* a duration, or '-1' (execution.buffer-timeout) */
    SL_SK_TEXT,     /* anything without a newline (a path, an address) */
    SL_SK_LEVEL,    /* a log level: ERROR, WARN, INFO, DEBUG (engine/core/log.h) */
    SL_SK_SIZE,     /* sl_setting_size_bytes, within [lo, hi] bytes */
};

struct sl_setting_def {
    const char *key;
    enum sl_setting_kind kind;
    int64_t lo, hi;
    bool live;
    const char *what; /* what a valid value is, for the message */
};

#define SL_DAY_MS (24LL * 3600 * 1000)

static const struct sl_setting_def sl_settings[] = {
    {"execution.checkpointing.interval", SL_SK_DURATION, 1, 365 * SL_DAY_MS, true,
     "a positive duration (e.g. '1 s', '500 ms')"},
    {"table.exec.source.idle-timeout", SL_SK_DURATION, 0, 365 * SL_DAY_MS, true,
     "a duration (e.g. '5 s', '500 ms'; '0': never idle)"},
    {"execution.checkpointing.tolerable-failed-checkpoints", SL_SK_INT, 0, INT32_MAX, false,
     "an integer >= 0"},
    {"state.checkpoints.num-retained", SL_SK_INT, 1, INT32_MAX, false, "an integer >= 1"},
    {"sluice.checkpoint.full-every", SL_SK_INT, 1, INT32_MAX, false, "an integer >= 1"},
    {"high-availability.zookeeper.client.session-timeout", SL_SK_DURATION, 400, 40000, false,
     "a duration from 400 ms to 40 s"},
    {"high-availability.zookeeper.client.connection-timeout", SL_SK_DURATION, 100, 600000, false,
     "a duration from 100 ms to 10 min"},
    {"table.optimizer.distinct-agg.split.enabled", SL_SK_BOOL, 0, 0, false, "'true' or 'false'"},
    {"table.optimizer.distinct-agg.split.bucket-num", SL_SK_INT, 1, INT32_MAX, false,
     "a positive integer"},
    {"table.optimizer.reuse-source-enabled", SL_SK_BOOL, 0, 0, false, "'true' or 'false'"},
    {"table.exec.mini-batch.enabled", SL_SK_BOOL, 0, 0, false, "'true' or 'false'"},
    {"table.exec.mini-batch.allow-latency", SL_SK_DURATION, 0, 365 * SL_DAY_MS, false,
     "a duration (e.g. '2 s', '500 ms')"},
    {"table.exec.mini-batch.size", SL_SK_INT, 1, INT64_MAX, false, "a positive number of rows"},
    {"table.exec.state.ttl", SL_SK_DURATION, 0, 100 * 365 * SL_DAY_MS, false,
     "a duration (e.g. '1 h', '60 s', '100 ms'; '0': state kept forever)"},
    {"execution.buffer-timeout", SL_SK_BUFFER, 0, 365 * SL_DAY_MS, false,
     "a duration ('1 ms', '0': no waiting, '-1': full batches only)"},
    {"sluice.metrics.port", SL_SK_INT, 0, 65535, false, "a port from 0 to 65535"},
    {"sluice.metrics.host", SL_SK_TEXT, 0, 0, false, "an IPv4 address"},
    {"execution.checkpointing.dir", SL_SK_TEXT, 0, 0, false, "a directory"},
    {"state.checkpoints.dir", SL_SK_TEXT, 0, 0, false, "a directory"},
    {"sluice.udf.path", SL_SK_TEXT, 0, 0, false, "UDF libraries or directories"},
    {"pipeline.max-parallelism", SL_SK_INT, 1, 32768, false, "an integer from 1 to 32768"},
    {"jobmanager.adaptive-scheduler.resource-stabilization-timeout", SL_SK_DURATION, 0, 3600 * 1000,
     false, "a duration from 0 to 1 h (e.g. '1 s', '500 ms')"},
    {"sluice.log.level", SL_SK_LEVEL, 0, 0, true, "'ERROR', 'WARN', 'INFO' or 'DEBUG'"},
};
#define SL_NSETTINGS (sizeof(sl_settings) / sizeof(sl_settings[0]))

static const struct sl_setting_def sl_rate_def = {"sluice.source.<table>.scan.rate-limit",
                                                  SL_SK_INT,
                                                  0,
                                                  SL_RATE_LIMIT_MAX,
                                                  true,
                                                  "records per second: an integer from 0 (no "
                                                  "limit) to 1000000000"};

/* The per-table sink keys "sluice.sink.<table>.<option>": the sink table's own option of
 * that name, as a job setting. The filesystem sink's rolling policy applies live (it only
 * decides when the next part file begins); the Kafka producer's batching is librdkafka's
 * configuration, fixed when the producer is made: a change takes effect at the next start. */
static const struct sl_setting_def sl_sink_defs[] = {
    {"sink.rolling-policy.file-size", SL_SK_SIZE, 1, 1LL << 40, true,
     "a size from 1 byte to 1 tb (e.g. '128mb', '64 kb', '1000')"},
    {"sink.rolling-policy.rollover-interval", SL_SK_DURATION, 1, 365 * SL_DAY_MS, true,
     "a positive duration (e.g. '30 min', '500 ms')"},
    {"sink.rolling-policy.inactivity-interval", SL_SK_DURATION, 0, 365 * SL_DAY_MS, true,
     "a duration (e.g. '30 min', '500 ms')"},
    {"properties.linger.ms", SL_SK_INT, 0, 900000, false, "milliseconds from 0 to 900000"},
    {"properties.batch.size", SL_SK_INT, 1, INT32_MAX, false, "a positive number of bytes"},
    {"properties.batch.num.messages", SL_SK_INT, 1, 1000000, false,
     "a number of messages from 1 to 1000000"},
};
#define SL_NSINKDEFS (sizeof(sl_sink_defs) / sizeof(sl_sink_defs[0]))
static const char *const sl_sink_key_names[SL_NSINKDEFS] = {
    "sluice.sink.<table>.sink.rolling-policy.file-size",
    "sluice.sink.<table>.sink.rolling-policy.rollover-interval",
    "sluice.sink.<table>.sink.rolling-policy.inactivity-interval",
    "sluice.sink.<table>.properties.linger.ms",
    "sluice.sink.<table>.properties.batch.size",
    "sluice.sink.<table>.properties.batch.num.messages",
};

/* An integer with optional surrounding spaces, into *out; false when it is none. */
static bool sl_setting_int(const char *s, int64_t *out)
{
    while (*s == ' ')
        s++;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno)
        return false;
    while (*end == ' ')
        end++;
    if (*end)
        return false;
    *out = v;
    return true;
}

int64_t sl_setting_state_ttl_ms(const struct sl_job *job)
{
    const char *v = job ? sl_job_setting(job, "table.exec.state.ttl") : NULL;
    return v ? sl_setting_duration_ms(v) : 0;
}

int64_t sl_setting_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sl_setting_rate_parse(const char *value, int64_t *out)
{
    int64_t v;
    if (!value || !sl_setting_int(value, &v) || v < 0 || v > SL_RATE_LIMIT_MAX)
        return -1;
    *out = v;
    return 0;
}

bool sl_setting_rate_table(const char *key, char *table, size_t cap)
{
    static const char pre[] = "sluice.source.", post[] = ".scan.rate-limit";
    size_t n = key ? strlen(key) : 0, lp = sizeof(pre) - 1, lq = sizeof(post) - 1;
    if (n <= lp + lq || strncmp(key, pre, lp) != 0 || strcmp(key + n - lq, post) != 0)
        return false;
    size_t tl = n - lp - lq;
    if (tl + 1 > cap)
        return false;
    for (size_t i = 0; i < tl; i++) {
        char c = key[lp + i];
        if (!(c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z')))
            return false;
    }
    memcpy(table, key + lp, tl);
    table[tl] = '\0';
    return true;
}

bool sl_setting_sink_key(const char *key, char *table, size_t cap, const char **option)
{
    static const char pre[] = "sluice.sink.";
    size_t lp = sizeof(pre) - 1;
    if (!key || strncmp(key, pre, lp) != 0)
        return false;
    const char *name = key + lp, *dot = strchr(name, '.');
    if (!dot || dot == name || (size_t)(dot - name) + 1 > cap)
        return false;
    for (const char *c = name; c < dot; c++)
        if (!(*c == '_' || (*c >= '0' && *c <= '9') || ((*c | 32) >= 'a' && (*c | 32) <= 'z')))
            return false;
    for (size_t i = 0; i < SL_NSINKDEFS; i++)
        if (strcmp(dot + 1, sl_sink_defs[i].key) == 0) {
            memcpy(table, name, (size_t)(dot - name));
            table[dot - name] = '\0';
            if (option)
                *option = sl_sink_defs[i].key;
            return true;
        }
    return false;
}

int64_t sl_setting_size_bytes(const char *s)
{
    static const char *const units[] = {"",  "b",  "bytes",     "k", "kb", "kibibytes",
                                        "m", "mb", "mebibytes", "g", "gb", "gibibytes",
                                        "t", "tb", "tebibytes"};
    if (!s)
        return -1;
    while (*s == ' ')
        s++;
    int64_t v = 0;
    bool digits = false;
    for (; *s >= '0' && *s <= '9'; s++, digits = true) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    while (*s == ' ')
        s++;
    size_t ul = strlen(s);
    while (ul && s[ul - 1] == ' ')
        ul--;
    for (size_t i = 0; digits && i < sizeof(units) / sizeof(units[0]); i++)
        if (strlen(units[i]) == ul && strncasecmp(s, units[i], ul) == 0) {
            unsigned shift = 10 * (unsigned)(i / 3);
            return v > (INT64_MAX >> shift) ? -1 : v << shift;
        }
    return -1;
}

const char *sl_setting_table_value(const struct sl_job *job, const char *kind, const char *table,
                                   const char *option)
{
    char key[512];
    snprintf(key, sizeof(key), "sluice.%s.%s.%s", kind, table, option);
    const char *v = NULL;
    for (uint32_t i = 0; job && i < job->nsets; i++) /* the table's name in any case */
        if (strcasecmp(job->sets[i].key, key) == 0)
            v = job->sets[i].value;
    return v;
}

static int sl_setting_check_def(const struct sl_setting_def *d, const char *key, const char *value,
                                struct sl_error *err)
{
    int64_t v = 0;
    bool ok;
    switch (d->kind) {
    case SL_SK_DURATION:
        v = sl_setting_duration_ms(value);
        ok = v >= d->lo && v <= d->hi;
        break;
    case SL_SK_BUFFER:
        v = sl_setting_duration_ms(value);
        ok = (v >= d->lo && v <= d->hi) || strcmp(value, "-1") == 0;
        break;
    case SL_SK_INT:
        ok = sl_setting_int(value, &v) && v >= d->lo && v <= d->hi;
        break;
    case SL_SK_BOOL:
        ok = strcasecmp(value, "true") == 0 || strcasecmp(value, "false") == 0;
        break;
    case SL_SK_LEVEL:
        ok = sl_log_level_parse(value) >= 0;
        break;
    case SL_SK_SIZE:
        v = sl_setting_size_bytes(value);
        ok = v >= d->lo && v <= d->hi;
        break;
    default:
        ok = !strchr(value, '\n');
    }
    if (!ok)
        return sl_error_set(err, SL_EINVAL, "SET '%s' = '%.200s': not %s", key, value, d->what);
    return 0;
}

int sl_setting_check(const char *key, const char *value, bool *live, struct sl_error *err)
{
    if (!key || !value)
        return sl_error_set(err, SL_EINVAL, "a setting needs a key and a value");
    char table[128];
    const struct sl_setting_def *d = NULL;
    for (size_t i = 0; i < SL_NSETTINGS && !d; i++)
        if (strcmp(sl_settings[i].key, key) == 0)
            d = &sl_settings[i];
    if (!d && sl_setting_rate_table(key, table, sizeof(table)))
        d = &sl_rate_def;
    const char *opt = NULL;
    if (!d && sl_setting_sink_key(key, table, sizeof(table), &opt))
        for (size_t i = 0; i < SL_NSINKDEFS && !d; i++)
            if (sl_sink_defs[i].key == opt)
                d = &sl_sink_defs[i];
    if (!d)
        return sl_error_set(err, SL_ENOTFOUND,
                            "'%.200s' is not a setting sluice knows ('sluice config keys' "
                            "lists them)",
                            key);
    if (live)
        *live = d->live;
    return sl_setting_check_def(d, key, value, err);
}

const char *sl_setting_key(size_t i, bool *live)
{
    const struct sl_setting_def *d = i < SL_NSETTINGS    ? &sl_settings[i]
                                     : i == SL_NSETTINGS ? &sl_rate_def
                                     : i <= SL_NSETTINGS + SL_NSINKDEFS
                                         ? &sl_sink_defs[i - SL_NSETTINGS - 1]
                                         : NULL;
    if (d && live)
        *live = d->live;
    if (d && i > SL_NSETTINGS)
        return sl_sink_key_names[i - SL_NSETTINGS - 1];
    return d ? d->key : NULL;
}
