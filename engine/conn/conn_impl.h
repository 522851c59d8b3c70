/*
 * engine/conn/conn_impl.h - what the connector files (engine/conn/ files) share; not for users of
 * connectors, who include engine/ops/connector.h.
 *
 * OPTIONS
 * Every connector names its valid option keys (and key prefixes such as "properties.");
 * sl_conn_check_options rejects any other key with an error that points at it in the SQL
 * file and lists the valid ones. Values are read with sl_conn_opt_* helpers whose errors
 * point at the option too ("q.sql:4:7: option 'events.num': not an integer: 'x'").
 *
 * FORMATS
 * Kafka and filesystem tables carry a record format ('format' = json | csv | raw | avro |
 * debezium-json) with its options ('csv.field-delimiter', 'csv.null-literal',
 * 'avro.encoding', 'avro.timestamp_mapping.legacy', 'debezium-json.schema-include',
 * 'debezium-json.timestamp-format.standard') and a bad-record policy (avro: Kafka tables
 * only, see sl_conn_fs_source):
 *   'json.ignore-parse-errors' = 'true'      Flink's option: skip bad records (and
 *   'debezium-json.ignore-parse-errors'      the same for 'debezium-json')
 *   'sluice.bad-records' = fail | skip | dead-letter   (wins over the one above)
 *   'sluice.dead-letter.path' = FILE          where dead-lettered records go (required with
 *                                             dead-letter); each bad record is appended as
 *                                             "<message>\n<len> bytes: <raw bytes>\n"
 * struct sl_conn_codec wraps the three codecs behind one decode / encode pair, and passes a
 * source's projection pushdown (its prune op) on to the decoder (sl_conn_codec_prune).
 *
 * OWNERSHIP: everything here is owned by the connector that created it and freed by its
 * free function. THREADS: a codec and a badrec belong to one worker; a dead-letter file is
 * shared by the workers and locked per record.
 */
#ifndef SL_ENGINE_CONN_IMPL_H
#define SL_ENGINE_CONN_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "engine/ops/connector.h"
#include "io/badrec.h"
#include "io/fmt.h"

/* ---- options ------------------------------------------------------------------------------- */

/* The option `key` of t, or NULL. */
const struct sl_option *sl_conn_opt(const struct sl_table *t, const char *key);

/* Fills err with "<file:line:col>: table 'T': <message>" pointing at `pos` (the table's
 * position when pos is SIZE_MAX) and returns code. Without env->sql: no position. */
int sl_conn_err_at(const struct sl_connector_env *env, const struct sl_table *t, size_t pos,
                   struct sl_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Checks every option key of t against `valid` (NULL-terminated) and `prefixes`
 * (NULL-terminated, may be NULL). 'connector' is always valid. */
int sl_conn_check_options(const struct sl_table *t, const struct sl_connector_env *env,
                          const char *const *valid, const char *const *prefixes,
                          struct sl_error *err);

/* Integer option: absent -> *out = dflt. Error (at the option) when not an integer in
 * [lo, hi]. */
int sl_conn_opt_i64(const struct sl_table *t, const struct sl_connector_env *env, const char *key,
                    int64_t dflt, int64_t lo, int64_t hi, int64_t *out, struct sl_error *err);

/* Boolean option ('true' / 'false', any case). */
int sl_conn_opt_bool(const struct sl_table *t, const struct sl_connector_env *env, const char *key,
                     bool dflt, bool *out, struct sl_error *err);

/* Required string option: error at the table when absent or empty. */
int sl_conn_opt_required(const struct sl_table *t, const struct sl_connector_env *env,
                         const char *key, const char **out, struct sl_error *err);

/* One of `choices` (NULL-terminated): *out is its index, dflt when absent. */
int sl_conn_opt_choice(const struct sl_table *t, const struct sl_connector_env *env,
                       const char *key, const char *const *choices, int dflt, int *out,
                       struct sl_error *err);

/* ---- formats ------------------------------------------------------------------------------- */

enum sl_conn_format { SL_CONN_JSON, SL_CONN_CSV, SL_CONN_RAW, SL_CONN_AVRO, SL_CONN_DEBEZIUM_JSON };

/* The format part of a table's options. */
struct sl_conn_fmtspec {
    enum sl_conn_format format;
    struct sl_fmt_opts opts; /* csv_null_literal points into the table's options */
    enum sl_badrec_policy policy;
    const char *dead_letter_path; /* the table's option value, or NULL */
};

/* The option keys sl_conn_fmtspec_parse reads (for sl_conn_check_options lists). */
extern const char *const sl_conn_format_keys[];

/* Reads 'format' (required), its options and the bad-record policy. */
int sl_conn_fmtspec_parse(const struct sl_table *t, const struct sl_connector_env *env,
                          struct sl_conn_fmtspec *spec, struct sl_error *err);

/* What a sink's format refuses that a source's takes ('debezium-json.schema-include' =
 * 'true': Flink's serializer refuses it with these words), at the option. */
int sl_conn_fmtspec_sink_check(const struct sl_table *t, const struct sl_connector_env *env,
                               const struct sl_conn_fmtspec *spec, struct sl_error *err);

/* A parsed format name ("json" | "csv" | "raw" | "avro" | "debezium-json"); -1 when
 * unknown. */
int sl_conn_format_from_name(const char *name);
const char *sl_conn_format_ext(enum sl_conn_format f);

struct sl_conn_codec {
    enum sl_conn_format format;
    void *codec; /* struct sl_json / sl_csv / sl_raw / sl_avro / sl_debezium */
};

/* Whether a table's format is a changelog (rows of every kind, 'debezium-json'): its sink
 * takes updating input and its scan produces a changelog (engine/plan/changelog.h). Reads
 * the options only ('format', else 'value.format'). */
bool sl_conn_format_changelog(const struct sl_table *t);

/* A codec of `spec` for `schema` (not owned). */
int sl_conn_codec_init(struct sl_conn_codec *c, const struct sl_conn_fmtspec *spec,
                       const struct sl_schema *schema, struct sl_error *err);
void sl_conn_codec_destroy(struct sl_conn_codec *c);
int sl_conn_codec_decode(struct sl_conn_codec *c, const struct sl_record *recs, size_t n,
                         struct sl_batch *b, struct sl_badrec *bad, size_t *consumed,
                         struct sl_error *err);
/*
 * Projection pushdown into the decoder (sl_json_prune, sl_csv_prune, sl_raw_prune,
 * sl_avro_prune): only the
 * columns with needed[c] true (and the NOT NULL ones) are decoded, the others come out NULL;
 * records are still checked to be well-formed, but type errors in the columns not read are
 * not reported. `needed` (ncols flags) is not kept; NULL: every column. A source's prune op
 * calls it for each worker's codec, before any poll. Cannot fail.
 */
void sl_conn_codec_prune(struct sl_conn_codec *c, const bool *needed, uint32_t ncols);
int sl_conn_codec_encode(struct sl_conn_codec *c, struct sl_batch *b, struct sl_fmt_out *out,
                         struct sl_error *err);

/* A dead-letter file shared by a source's workers. */
struct sl_conn_dlq {
    FILE *f;
    pthread_mutex_t lock;
    char *path;
};

/* Opens (appends to) `path`. */
int sl_conn_dlq_open(struct sl_conn_dlq *d, const char *path, struct sl_error *err);
void sl_conn_dlq_close(struct sl_conn_dlq *d);
/* The sl_badrec_dead_letter_fn for a struct sl_conn_dlq context. */
int sl_conn_dlq_write(void *ctx, const struct sl_record *rec, const char *msg);

/* Sets up `bad` for spec's policy with `dlq` (opened when the policy is dead-letter). */
void sl_conn_badrec_init(struct sl_badrec *bad, const struct sl_conn_fmtspec *spec,
                         struct sl_conn_dlq *dlq);

/* ---- the connectors ------------------------------------------------------------------------ */

int sl_conn_nexmark_source(const struct sl_table *t, const struct sl_connector_env *env,
                           int nworkers, struct sl_source **out, struct sl_error *err);
int sl_conn_datagen_source(const struct sl_table *t, const struct sl_connector_env *env,
                           int nworkers, struct sl_source **out, struct sl_error *err);
int sl_conn_kafka_source(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                         struct sl_source **out, struct sl_error *err);
int sl_conn_fs_source(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                      struct sl_source **out, struct sl_error *err);
int sl_conn_kafka_sink(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                       struct sl_sink **out, struct sl_error *err);
int sl_conn_fs_sink(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                    struct sl_sink **out, struct sl_error *err);
int sl_conn_print_sink(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                       struct sl_sink **out, struct sl_error *err);
int sl_conn_blackhole_sink(const struct sl_table *t, const struct sl_connector_env *env,
                           int nworkers, struct sl_sink **out, struct sl_error *err);

#endif
