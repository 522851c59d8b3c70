/*
 * engine/conn/registry.c - the table of connectors (registry.h), sl_source_open /
 * sl_sink_open through it, and what the connectors share (engine/conn/conn_impl.h): option checking
 * with errors that point into the SQL file, the format options and codecs, dead-letter files.
 *
 * Counting: sources add the rows they produce to ctx->stats->rows_in and the records a
 * bad-record policy skipped or dead-lettered to ctx->stats->bad_records; sinks add the rows
 * they took to ctx->stats->rows_out, always through sl_stats_add (engine/ops/operator.h: the
 * monitor thread reads them meanwhile). The executor does not count these itself.
 */
#include "engine/conn/registry.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/conn/conn_impl.h"
#include "engine/plan/sql_source.h"
#include "io/avro.h"
#include "io/csv.h"
#include "io/debezium.h"
#include "io/json.h"
#include "io/raw.h"

/* ---- the table ---------------------------------------------------------------------------- */

static const struct sl_connector *const sl_connectors[] = {
    &sl_connector_kafka,   &sl_connector_nexmark,      &sl_connector_filesystem,
    &sl_connector_print,   &sl_connector_blackhole,    &sl_connector_datagen,
    &sl_connector_tableau, &sl_connector_upsert_kafka,
};
#define SL_NCONNECTORS (sizeof(sl_connectors) / sizeof(sl_connectors[0]))

const struct sl_connector *sl_connector_find(const char *name)
{
    for (size_t i = 0; name && i < SL_NCONNECTORS; i++)
        if (strcmp(sl_connectors[i]->name, name) == 0)
            return sl_connectors[i];
    return NULL;
}

const struct sl_connector *const *sl_connector_all(size_t *n)
{
    *n = SL_NCONNECTORS;
    return sl_connectors;
}

/* The names of the connectors that can be a source (want_source) or a sink, or all. */
static void sl_connector_list(char *buf, size_t cap, int want_source)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < SL_NCONNECTORS; i++) {
        const struct sl_connector *c = sl_connectors[i];
        if ((want_source == 1 && !c->source) || (want_source == 0 && !c->sink))
            continue;
        int k = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", c->name);
        if (k < 0 || (size_t)k >= cap - used)
            break;
        used += (size_t)k;
    }
}

const char *sl_connector_names(void)
{
    static char names[256];
    if (!names[0])
        sl_connector_list(names, sizeof(names), -1);
    return names;
}

static int sl_conn_no_connector(const struct sl_table *t, const struct sl_connector_env *env,
                                const char *what, int want_source, struct sl_error *err)
{
    char valid[256];
    sl_connector_list(valid, sizeof(valid), want_source);
    const struct sl_option *o = sl_conn_opt(t, "connector");
    return sl_conn_err_at(env, t, o ? o->pos : SIZE_MAX, err, SL_ENOTSUP,
                          "connector '%s' cannot be used as a %s (%s connectors: %s)",
                          t->connector ? t->connector : "", what, what, valid);
}

/* A metadata key the connector does not have is refused where its column is declared. */
static int sl_conn_check_metadata(const struct sl_connector *c, const struct sl_table *t,
                                  const struct sl_connector_env *env, struct sl_error *err)
{
    for (uint32_t i = 0; i < t->nmeta; i++) {
        bool ok = false;
        for (const char *const *k = c->metadata; k && *k && !ok; k++)
            ok = strcmp(*k, t->meta[i].key) == 0;
        if (ok)
            continue;
        char list[256] = "";
        size_t n = 0;
        for (const char *const *k = c->metadata; k && *k; k++)
            n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0, "%s'%s'",
                                  n ? ", " : "", *k);
        return sl_conn_err_at(env, t, t->meta[i].pos, err, SL_ENOTSUP,
                              "connector '%s' has no metadata '%s' (%s%s)", c->name, t->meta[i].key,
                              n ? "it has: " : "it has none", n ? list : "");
    }
    return 0;
}

int sl_source_open(const struct sl_table *table, const struct sl_connector_env *env, int nworkers,
                   struct sl_source **out, struct sl_error *err)
{
    *out = NULL;
    if (nworkers < 1)
        return sl_error_set(err, SL_EINVAL, "sl_source_open: nworkers %d", nworkers);
    const struct sl_connector *c = sl_connector_find(table->connector);
    if (!c || !c->source)
        return sl_conn_no_connector(table, env, "source", 1, err);
    int rc = sl_conn_check_metadata(c, table, env, err);
    return rc ? rc : c->source(table, env, nworkers, out, err);
}

int sl_sink_open(const struct sl_table *table, const struct sl_connector_env *env, int nworkers,
                 struct sl_sink **out, struct sl_error *err)
{
    *out = NULL;
    if (nworkers < 1)
        return sl_error_set(err, SL_EINVAL, "sl_sink_open: nworkers %d", nworkers);
    const struct sl_connector *c = sl_connector_find(table->connector);
    if (!c || !c->sink)
        return sl_conn_no_connector(table, env, "sink", 0, err);
    int rc = sl_conn_check_metadata(c, table, env, err);
    return rc ? rc : c->sink(table, env, nworkers, out, err);
}

/* ---- options ------------------------------------------------------------------------------- */

const struct sl_option *sl_conn_opt(const struct sl_table *t, const char *key)
{
    const struct sl_option *found = NULL;
    for (uint32_t i = 0; i < t->nopts; i++)
        if (strcmp(t->opts[i].key, key) == 0)
            found = &t->opts[i]; /* the last one wins, as sl_table_option's callers expect */
    return found;
}

int sl_conn_err_at(const struct sl_connector_env *env, const struct sl_table *t, size_t pos,
                   struct sl_error *err, int code, const char *fmt, ...)
{
    char msg[SL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (pos == SIZE_MAX)
        pos = t->pos;
    if (env && env->sql)
        return sl_sql_error_at(env->sql, pos, err, code, "table '%s': %s", t->name, msg);
    return sl_error_set(err, code, "table '%s': %s", t->name, msg);
}

static bool sl_conn_key_listed(const char *key, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(key, *list) == 0)
            return true;
    return false;
}

int sl_conn_check_options(const struct sl_table *t, const struct sl_connector_env *env,
                          const char *const *valid, const char *const *prefixes,
                          struct sl_error *err)
{
    for (uint32_t i = 0; i < t->nopts; i++) {
        const char *k = t->opts[i].key;
        /* 'sluice.late-data.*' are the planner's, on any source (engine/plan/late.h);
         * 'scan.rate-limit' the executor's (engine/exec/livecfg.h) */
        if (strcmp(k, "connector") == 0 || sl_conn_key_listed(k, valid) ||
            strncmp(k, "sluice.late-data.", 17) == 0 || strcmp(k, "scan.rate-limit") == 0)
            continue;
        bool ok = false;
        for (const char *const *p = prefixes; p && *p; p++)
            ok |= strncmp(k, *p, strlen(*p)) == 0 && k[strlen(*p)] != '\0';
        if (ok)
            continue;
        char list[320];
        size_t len = 0;
        list[0] = '\0';
        for (const char *const *v = valid; v && *v && len < sizeof(list); v++)
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%s'%s'", len ? ", " : "", *v);
        for (const char *const *p = prefixes; p && *p && len < sizeof(list); p++)
            len += (size_t)snprintf(list + len, sizeof(list) - len, ", '%s*'", *p);
        return sl_conn_err_at(env, t, t->opts[i].pos, err, SL_EINVAL,
                              "unknown option '%s' for connector '%s' (valid: %s)", k, t->connector,
                              list);
    }
    return 0;
}

int sl_conn_opt_i64(const struct sl_table *t, const struct sl_connector_env *env, const char *key,
                    int64_t dflt, int64_t lo, int64_t hi, int64_t *out, struct sl_error *err)
{
    const struct sl_option *o = sl_conn_opt(t, key);
    if (!o) {
        *out = dflt;
        return 0;
    }
    const char *s = o->value;
    while (*s == ' ')
        s++;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    while (end && *end == ' ')
        end++;
    if (end == s || *end || errno)
        return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL, "option '%s': not an integer: '%s'",
                              key, o->value);
    if (v < lo || v > hi)
        return sl_conn_err_at(env, t, o->pos, err, SL_ERANGE,
                              "option '%s': %lld is out of range [%" PRId64 ", %" PRId64 "]", key,
                              v, lo, hi);
    *out = v;
    return 0;
}

int sl_conn_opt_bool(const struct sl_table *t, const struct sl_connector_env *env, const char *key,
                     bool dflt, bool *out, struct sl_error *err)
{
    const struct sl_option *o = sl_conn_opt(t, key);
    if (!o)
        *out = dflt;
    else if (strcasecmp(o->value, "true") == 0)
        *out = true;
    else if (strcasecmp(o->value, "false") == 0)
        *out = false;
    else
        return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                              "option '%s': '%s' is not 'true' or 'false'", key, o->value);
    return 0;
}

int sl_conn_opt_required(const struct sl_table *t, const struct sl_connector_env *env,
                         const char *key, const char **out, struct sl_error *err)
{
    const struct sl_option *o = sl_conn_opt(t, key);
    if (!o || !o->value[0])
        return sl_conn_err_at(env, t, o ? o->pos : SIZE_MAX, err, SL_EINVAL,
                              "connector '%s' needs the option '%s'", t->connector, key);
    *out = o->value;
    return 0;
}

int sl_conn_opt_choice(const struct sl_table *t, const struct sl_connector_env *env,
                       const char *key, const char *const *choices, int dflt, int *out,
                       struct sl_error *err)
{
    const struct sl_option *o = sl_conn_opt(t, key);
    if (!o) {
        *out = dflt;
        return 0;
    }
    char list[256];
    size_t len = 0;
    list[0] = '\0';
    for (int i = 0; choices[i]; i++) {
        if (strcmp(o->value, choices[i]) == 0) {
            *out = i;
            return 0;
        }
        if (len < sizeof(list))
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%s'%s'", i ? ", " : "",
                                    choices[i]);
    }
    return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL, "option '%s': '%s' is not one of %s", key,
                          o->value, list);
}

/* ---- formats ------------------------------------------------------------------------------- */

const char *const sl_conn_format_keys[] = {"format",
                                           "value.format",
                                           "csv.field-delimiter",
                                           "csv.null-literal",
                                           "json.ignore-parse-errors",
                                           "avro.encoding",
                                           "avro.timestamp_mapping.legacy",
                                           "debezium-json.schema-include",
                                           "debezium-json.ignore-parse-errors",
                                           "debezium-json.timestamp-format.standard",
                                           "sluice.bad-records",
                                           "sluice.dead-letter.path",
                                           NULL};

int sl_conn_format_from_name(const char *name)
{
    if (strcmp(name, "json") == 0)
        return SL_CONN_JSON;
    if (strcmp(name, "csv") == 0)
        return SL_CONN_CSV;
    if (strcmp(name, "raw") == 0)
        return SL_CONN_RAW;
    if (strcmp(name, "avro") == 0)
        return SL_CONN_AVRO;
    if (strcmp(name, "debezium-json") == 0)
        return SL_CONN_DEBEZIUM_JSON;
    return -1;
}

bool sl_conn_format_changelog(const struct sl_table *t)
{
    const char *f = sl_table_option(t, "format");
    if (!f)
        f = sl_table_option(t, "value.format");
    return f && sl_conn_format_from_name(f) == SL_CONN_DEBEZIUM_JSON;
}

const char *sl_conn_format_ext(enum sl_conn_format f)
{
    return f == SL_CONN_JSON || f == SL_CONN_DEBEZIUM_JSON ? "json"
           : f == SL_CONN_CSV                              ? "csv"
           : f == SL_CONN_RAW                              ? "raw"
                                                           : "avro";
}

int sl_conn_fmtspec_parse(const struct sl_table *t, const struct sl_connector_env *env,
                          struct sl_conn_fmtspec *spec, struct sl_error *err)
{
    memset(spec, 0, sizeof(*spec));
    const struct sl_option *o = sl_conn_opt(t, "format");
    if (!o)
        o = sl_conn_opt(t, "value.format"); /* Flink's alias */
    if (!o)
        return sl_conn_err_at(env, t, SIZE_MAX, err, SL_EINVAL,
                              "connector '%s' needs the option 'format' ('json', 'csv', "
                              "'raw', 'avro' or 'debezium-json')",
                              t->connector);
    int f = sl_conn_format_from_name(o->value);
    if (f < 0)
        return sl_conn_err_at(env, t, o->pos, err, SL_ENOTSUP,
                              "option '%s': format '%s' is not supported ('json', 'csv', "
                              "'raw', 'avro' or 'debezium-json')",
                              o->key, o->value);
    spec->format = (enum sl_conn_format)f;
    const struct sl_option *d = sl_conn_opt(t, "csv.field-delimiter");
    if (d) {
        /* Flink accepts one character, or the escape "\t" */
        const char *v = d->value;
        char c = strcmp(v, "\\t") == 0 ? '\t' : v[0];
        if (!(strcmp(v, "\\t") == 0 || (v[0] && !v[1])) || c == '"' || c == '\n' || c == '\r')
            return sl_conn_err_at(env, t, d->pos, err, SL_EINVAL,
                                  "option 'csv.field-delimiter': '%s' is not one character "
                                  "other than '\"', CR and LF",
                                  v);
        spec->opts.csv_delimiter = c;
    }
    const struct sl_option *nl = sl_conn_opt(t, "csv.null-literal");
    if (nl)
        spec->opts.csv_null_literal = nl->value;
    if ((d || nl) && spec->format != SL_CONN_CSV)
        return sl_conn_err_at(env, t, (d ? d : nl)->pos, err, SL_EINVAL,
                              "option '%s' needs 'format' = 'csv'", (d ? d : nl)->key);
    /* Flink's avro options (flink-avro's AvroFormatOptions): 'avro.encoding' = binary | json,
     * 'avro.timestamp_mapping.legacy' = true | false */
    const struct sl_option *ae = sl_conn_opt(t, "avro.encoding");
    const struct sl_option *al = sl_conn_opt(t, "avro.timestamp_mapping.legacy");
    if ((ae || al) && spec->format != SL_CONN_AVRO)
        return sl_conn_err_at(env, t, (ae ? ae : al)->pos, err, SL_EINVAL,
                              "option '%s' needs 'format' = 'avro'", (ae ? ae : al)->key);
    if (ae && strcmp(ae->value, "binary") != 0)
        return sl_conn_err_at(env, t, ae->pos, err, SL_ENOTSUP,
                              strcmp(ae->value, "json") == 0
                                  ? "option 'avro.encoding': '%s' (Avro's JSON encoding) is not "
                                    "supported by sluice, only 'binary'"
                                  : "option 'avro.encoding': '%s' is not one of 'binary', 'json'",
                              ae->value);
    bool legacy_ts = true;
    int rc = sl_conn_opt_bool(t, env, "avro.timestamp_mapping.legacy", true, &legacy_ts, err);
    if (rc)
        return rc;
    spec->opts.avro_local_timestamp = !legacy_ts;
    bool ignore = false;
    rc = sl_conn_opt_bool(t, env, "json.ignore-parse-errors", false, &ignore, err);
    if (rc)
        return rc;
    const struct sl_option *ij = sl_conn_opt(t, "json.ignore-parse-errors");
    if (ij && spec->format != SL_CONN_JSON)
        return sl_conn_err_at(env, t, ij->pos, err, SL_EINVAL,
                              "option 'json.ignore-parse-errors' needs 'format' = 'json'");
    /* Flink's debezium-json options (DebeziumJsonFormatOptions); its timestamps are read in
     * both standards always and written as 'SQL' */
    const struct sl_option *dsi = sl_conn_opt(t, "debezium-json.schema-include");
    const struct sl_option *dip = sl_conn_opt(t, "debezium-json.ignore-parse-errors");
    const struct sl_option *dts = sl_conn_opt(t, "debezium-json.timestamp-format.standard");
    const struct sl_option *dany = dsi ? dsi : dip ? dip : dts;
    if (dany && spec->format != SL_CONN_DEBEZIUM_JSON)
        return sl_conn_err_at(env, t, dany->pos, err, SL_EINVAL,
                              "option '%s' needs 'format' = 'debezium-json'", dany->key);
    if (dts && strcmp(dts->value, "SQL") != 0)
        return sl_conn_err_at(env, t, dts->pos, err, SL_ENOTSUP,
                              strcmp(dts->value, "ISO-8601") == 0
                                  ? "option 'debezium-json.timestamp-format.standard': '%s' is "
                                    "not supported by sluice, only 'SQL' (both are read)"
                                  : "option 'debezium-json.timestamp-format.standard': '%s' is "
                                    "not one of 'SQL', 'ISO-8601'",
                              dts->value);
    bool dinc = false, dignore = false;
    if ((rc = sl_conn_opt_bool(t, env, "debezium-json.schema-include", false, &dinc, err)) ||
        (rc = sl_conn_opt_bool(t, env, "debezium-json.ignore-parse-errors", false, &dignore, err)))
        return rc;
    spec->opts.debezium_schema_include = dinc;
    spec->policy = ignore || dignore ? SL_BADREC_SKIP : SL_BADREC_FAIL;
    const struct sl_option *br = sl_conn_opt(t, "sluice.bad-records");
    if (br && sl_badrec_parse(br->value, &spec->policy) != 0)
        return sl_conn_err_at(env, t, br->pos, err, SL_EINVAL,
                              "option 'sluice.bad-records': '%s' is not one of 'fail', 'skip', "
                              "'dead-letter'",
                              br->value);
    const struct sl_option *dl = sl_conn_opt(t, "sluice.dead-letter.path");
    if (spec->policy == SL_BADREC_DEAD_LETTER && (!dl || !dl->value[0]))
        return sl_conn_err_at(env, t, br->pos, err, SL_EINVAL,
                              "'sluice.bad-records' = 'dead-letter' needs the option "
                              "'sluice.dead-letter.path' (a file)");
    if (dl && spec->policy != SL_BADREC_DEAD_LETTER)
        return sl_conn_err_at(env, t, dl->pos, err, SL_EINVAL,
                              "option 'sluice.dead-letter.path' needs 'sluice.bad-records' = "
                              "'dead-letter'");
    spec->dead_letter_path = dl ? dl->value : NULL;
    return 0;
}

int sl_conn_fmtspec_sink_check(const struct sl_table *t, const struct sl_connector_env *env,
                               const struct sl_conn_fmtspec *spec, struct sl_error *err)
{
    if (!spec->opts.debezium_schema_include)
        return 0;
    return sl_conn_err_at(env, t, sl_conn_opt(t, "debezium-json.schema-include")->pos, err,
                          SL_ENOTSUP,
                          "Debezium JSON serialization doesn't support "
                          "'debezium-json.schema-include' option been set to true.");
}

int sl_conn_codec_init(struct sl_conn_codec *c, const struct sl_conn_fmtspec *spec,
                       const struct sl_schema *schema, struct sl_error *err)
{
    c->format = spec->format;
    switch (spec->format) {
    case SL_CONN_JSON:
        c->codec = sl_json_new(schema, &spec->opts, err);
        break;
    case SL_CONN_CSV:
        c->codec = sl_csv_new(schema, &spec->opts, err);
        break;
    case SL_CONN_RAW:
        c->codec = sl_raw_new(schema, &spec->opts, err);
        break;
    case SL_CONN_AVRO:
        c->codec = sl_avro_new(schema, &spec->opts, err);
        break;
    case SL_CONN_DEBEZIUM_JSON:
        c->codec = sl_debezium_new(schema, &spec->opts, err);
        break;
    }
    return c->codec ? 0 : (err && err->code ? err->code : SL_ENOMEM);
}

void sl_conn_codec_destroy(struct sl_conn_codec *c)
{
    if (!c->codec)
        return;
    switch (c->format) {
    case SL_CONN_JSON:
        sl_json_free(c->codec);
        break;
    case SL_CONN_CSV:
        sl_csv_free(c->codec);
        break;
    case SL_CONN_RAW:
        sl_raw_free(c->codec);
        break;
    case SL_CONN_AVRO:
        sl_avro_free(c->codec);
        break;
    case SL_CONN_DEBEZIUM_JSON:
        sl_debezium_free(c->codec);
        break;
    }
    c->codec = NULL;
}

int sl_conn_codec_decode(struct sl_conn_codec *c, const struct sl_record *recs, size_t n,
                         struct sl_batch *b, struct sl_badrec *bad, size_t *consumed,
                         struct sl_error *err)
{
    switch (c->format) {
    case SL_CONN_JSON:
        return sl_json_decode(c->codec, recs, n, b, bad, consumed, err);
    case SL_CONN_CSV:
        return sl_csv_decode(c->codec, recs, n, b, bad, consumed, err);
    case SL_CONN_RAW:
        return sl_raw_decode(c->codec, recs, n, b, bad, consumed, err);
    case SL_CONN_AVRO:
        return sl_avro_decode(c->codec, recs, n, b, bad, consumed, err);
    case SL_CONN_DEBEZIUM_JSON:
        return sl_debezium_decode(c->codec, recs, n, b, bad, consumed, err);
    }
    return SL_EINVAL;
}

void sl_conn_codec_prune(struct sl_conn_codec *c, const bool *needed, uint32_t ncols)
{
    switch (c->format) {
    case SL_CONN_JSON:
        sl_json_prune(c->codec, needed, ncols);
        break;
    case SL_CONN_CSV:
        sl_csv_prune(c->codec, needed, ncols);
        break;
    case SL_CONN_RAW:
        sl_raw_prune(c->codec, needed, ncols);
        break;
    case SL_CONN_AVRO:
        sl_avro_prune(c->codec, needed, ncols);
        break;
    case SL_CONN_DEBEZIUM_JSON:
        sl_debezium_prune(c->codec, needed, ncols);
        break;
    }
}

int sl_conn_codec_encode(struct sl_conn_codec *c, struct sl_batch *b, struct sl_fmt_out *out,
                         struct sl_error *err)
{
    switch (c->format) {
    case SL_CONN_JSON:
        return sl_json_encode(c->codec, b, out, err);
    case SL_CONN_CSV:
        return sl_csv_encode(c->codec, b, out, err);
    case SL_CONN_RAW:
        return sl_raw_encode(c->codec, b, out, err);
    case SL_CONN_AVRO:
        return sl_avro_encode(c->codec, b, out, err);
    case SL_CONN_DEBEZIUM_JSON:
        return sl_debezium_encode(c->codec, b, out, err);
    }
    return SL_EINVAL;
}

/* ---- dead letters -------------------------------------------------------------------------- */

int sl_conn_dlq_open(struct sl_conn_dlq *d, const char *path, struct sl_error *err)
{
    d->f = fopen(path, "ab");
    if (!d->f)
        return sl_error_set(err, SL_EIO, "dead-letter file '%s': %s", path, strerror(errno));
    d->path = strdup(path);
    if (!d->path) {
        fclose(d->f);
        d->f = NULL;
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&d->lock, NULL);
    return 0;
}

void sl_conn_dlq_close(struct sl_conn_dlq *d)
{
    if (!d->f)
        return;
    fclose(d->f);
    pthread_mutex_destroy(&d->lock);
    free(d->path);
    d->f = NULL;
    d->path = NULL;
}

int sl_conn_dlq_write(void *ctx, const struct sl_record *rec, const char *msg)
{
    struct sl_conn_dlq *d = ctx;
    pthread_mutex_lock(&d->lock);
    int bad = fprintf(d->f, "%s\n", msg) < 0;
    if (rec->key) { /* a Kafka record's key: kept too (nothing of the record is lost) */
        bad |= fprintf(d->f, "key %zu bytes: ", rec->key_len) < 0;
        bad |= rec->key_len && fwrite(rec->key, 1, rec->key_len, d->f) != rec->key_len;
        bad |= fputc('\n', d->f) == EOF;
    }
    bad |= fprintf(d->f, "%zu bytes: ", rec->value ? rec->value_len : 0) < 0;
    if (rec->value && rec->value_len)
        bad |= fwrite(rec->value, 1, rec->value_len, d->f) != rec->value_len;
    bad |= fputc('\n', d->f) == EOF;
    bad |= fflush(d->f) != 0;
    pthread_mutex_unlock(&d->lock);
    return bad ? SL_EIO : 0;
}

void sl_conn_badrec_init(struct sl_badrec *bad, const struct sl_conn_fmtspec *spec,
                         struct sl_conn_dlq *dlq)
{
    sl_badrec_init(bad, spec->policy, sl_conn_dlq_write, dlq);
}
