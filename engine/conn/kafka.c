/*
 * engine/conn/kafka.c - the 'kafka' connector: io/kafka_source + a decoder in,
 * a format encoder + io/kafka_sink out, with Flink's option names.
 *
 * OPTIONS (one list for both directions, as Flink's factory validates)
 *   topic                          a source: one name or a list 'a;b'; a sink: one name
 *   topic-pattern                  a source: every topic the (PCRE2) pattern matches
 *                                  whole; never with 'topic' (io/kafka_source.h TOPICS)
 *   scan.topic-partition-discovery.interval  a duration, Flink's default 5 min; 0 or
 *                                  negative: off; bounded sources never discover
 *   properties.bootstrap.servers   the cluster; env->brokers (--brokers) wins when set
 *   properties.group.id            the consumer group whose committed offsets
 *                                  'group-offsets' starts from; with checkpoints every
 *                                  committed epoch's offsets are committed to it (for
 *                                  Kafka's tools: offsets live in checkpoints)
 *   properties.commit.offsets.on.checkpoint  'false' turns that commit off (Flink's)
 *   properties.auto.offset.reset   error (default) | earliest | latest: what an offset out
 *                                  of range does (io/kafka_source.h)
 *   properties.*                   passed to librdkafka as they are; env->kafka_props after
 *   format / value.format, csv.*, json.ignore-parse-errors, avro.*, sluice.bad-records,
 *   sluice.dead-letter.path        engine/conn/conn_impl.h
 *   scan.startup.mode              earliest-offset (sluice's default; Flink's is
 *                                  group-offsets, which needs offsets some other consumer
 *                                  committed) | latest-offset | specific-offsets | timestamp
 *                                  | group-offsets
 *   scan.startup.specific-offsets  'partition:0,offset:42;partition:1,offset:7' (a single
 *                                  topic only, as Flink's)
 *   scan.startup.timestamp-millis  for 'timestamp'
 *   scan.bounded.mode              unbounded (default) | latest-offset | specific-offsets
 *   scan.bounded.specific-offsets  'partition:0,offset:42;...': the end offset (exclusive)
 *                                  of every partition (one not named is an error; Flink
 *                                  would take the group's committed offset or the earliest);
 *                                  an end beyond what the partition holds yet is waited for
 *   sink.partitioner               Flink's meanings: 'default' = Kafka's default partitioner
 *                                  (murmur2 of the key; without a key any partition),
 *                                  'round-robin' = Kafka's round robin (per worker's
 *                                  producer), 'fixed' = each sink subtask (worker w) writes
 *                                  to partition w % partitions (FlinkFixedPartitioner)
 *   sink.delivery-guarantee        at-least-once (default) | exactly-once | none (Flink's)
 *   sink.transactional-id-prefix   exactly-once: the transactional ids are <prefix>-0/-1
 *   key.fields, key.format,        the key is the named columns ('a;b') in key.format;
 *   value.fields-include,          the value holds ALL columns (default) or EXCEPT_KEY;
 *   key.fields-prefix              with EXCEPT_KEY, key columns named with the prefix, the
 *                                  key format's names without it (Flink's rules). A source
 *                                  decodes keys with EXCEPT_KEY; with ALL the value holds
 *                                  every column and wins, as in Flink.
 *   source metadata                'timestamp', 'timestamp-type', 'partition', 'offset',
 *                                  'topic', 'headers'; a sink writes 'timestamp' and
 *                                  'headers' (docs/connectors.md)
 *
 * SOURCE
 * One consumer for the table, partitions spread over workers (one topic: partition p ->
 * worker p % N; several: Flink's getSplitOwner), split id = partition (one topic) or
 * (topic hash << 16) | partition (io/kafka_source.h TOPICS). A poll decodes records of one
 * partition of one topic only (a batch holds one split): it stops at a change and keeps the
 * rest of the fetched records for the next poll. The fetched librdkafka messages are released when
 * every record of them has been decoded (decoders copy strings into the batch's heap). Projection
 * pushdown (prune): the decoders skip the columns the pipeline does not read, which come out NULL;
 * records are still checked to be well-formed (engine/conn/conn_impl.h,
 * sl_conn_codec_prune). Here sluice differs from Flink's kafka connector, whose
 * KafkaDynamicSource pushes no projection into its format (FLINK-32609 proposes it, opt-in),
 * so there a type error in a column no query reads fails the record; sluice behaves as
 * Flink's filesystem source does, which hands its format the projection. split_done comes when a
 * bounded partition's last record before its end offset has been decoded; a partition
 * that is empty from the start never reports it, worker_done covers it.
 *
 * CHANGELOGS
 * 'format' = 'debezium-json' (io/debezium.h) makes the table a changelog: the sink writes
 * every row kind, the source's rows carry kinds (a "u" record gives two rows, so with
 * metadata or key columns records go one at a time and each of its rows gets the record's
 * metadata and key). The 'upsert-kafka' connector (sl_connector_upsert_kafka, options
 * upk_keys) is this file's sink with the PRIMARY KEY as 'key.fields': -U rows are dropped
 * before encoding (a selection over the batch), -D rows go out as tombstones (value NULL).
 * Reading it: the kafka source with each worker's last value per key (struct ka_upk, in
 * place of Flink's ChangelogNormalize; not in checkpoints yet, so refused with them).
 *
 * SINK
 * One idempotent producer per worker; flush waits for every delivery and returns the
 * first delivery error. Records carry no timestamp (the broker's time). Delivery reports
 * are served as they arrive: librdkafka's main queue wakes the worker (set_waker, as the
 * source's queue does), whose every turn polls the sink; env->on_delivered sees each.
 *
 * CHECKPOINTS
 * Source save (per worker), format KAS2 (little-endian, engine/core/state.h):
 *
 *   bytes   field
 *   4       magic 0x3253414b ("KAS2")
 *   1       bounded (0/1)
 *   4       ntopics, then per topic: 4 length + the name (the source's topics, in the
 *           order it found them)
 *   4       nentries, then per partition of the worker (25 bytes):
 *     4       topic: index into the names above
 *     4       partition
 *     8       next offset (>= 0, or -2: earliest, nothing delivered yet)
 *     8       end offset (bounded), else -1
 *     1       done (0/1; bounded only)
 *
 * The format before topic lists, KAS1 - magic 0x3153414b, the topic (4 + name), bounded
 * (1), nentries (4) and entries without the topic index (21 bytes) - still restores: its
 * entries are partitions of that topic, which the table must still read. Saved per entry:
 * the next offset to read - just after the last record DECODED into a batch, so
 * records fetched but not decoded yet (held for the next poll) are read again after a
 * restore - its bounded end offset and done flag (done only when no fetched record of it
 * is pending). Summary: "<topic>:<partition>=<offset>" joined by ',' ("earliest" for a
 * partition started at the earliest offset that has delivered nothing yet).
 * Source restore (before the worker's first poll): io/kafka_source starts each saved
 * partition at its saved offset (replacing 'scan.startup.mode': nothing was fetched yet,
 * the worker's first poll assigns at these offsets), bounded with the saved end offsets so
 * a restart reads exactly the saved range; a saved partition the topic no longer has is an error
 * naming topic and partition; an offset the broker no longer holds is the poll's usual
 * out-of-range error. A partition saved done reports split_done once on a following poll.
 * With KAS2, a partition of the worker the checkpoint does not list appeared after it was
 * taken and starts from the earliest offset (Flink's restored enumerator treats it as
 * discovered), whatever the start-up mode; with KAS1, per the start-up mode, as before.
 * An entry of a topic the table no longer reads, or another bounded mode than the
 * checkpoint's, is SL_ECORRUPT naming both.
 * Sink prepare, at-least-once: waits for every delivery of the worker's records, as flush
 * does (same sticky delivery errors); a restored job writes the records after the
 * checkpoint again. 'none': no wait. Exactly-once: no per-worker producer; every worker
 * writes into the job's transaction of the epoch it is in (struct ka_txn_shared, one
 * io/kafka_txn for every exactly-once table of the job), prepare moves the worker on to the
 * next epoch, and the checkpoint's precommit / commit_txn / resolve hooks flush, commit
 * (with the epoch marker) and, at a start that finds an epoch PREPARED, tell whether its
 * transaction committed (docs/checkpoint-protocol.md, "Exactly-once into Kafka").
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/conn/conn_impl.h"
#include "engine/conn/registry.h"
#include "engine/core/fault.h"
#include "engine/plan/settings.h"
#include "io/kafka_conf.h"
#include "io/kafka_sink.h"
#include "io/kafka_source.h"
#include "io/kafka_txn.h"

#include <xxhash.h>

static const char *const ka_keys[] = {"topic",
                                      "topic-pattern",
                                      "scan.topic-partition-discovery.interval",
                                      "format",
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
                                      "scan.startup.mode",
                                      "scan.startup.specific-offsets",
                                      "scan.startup.timestamp-millis",
                                      "scan.bounded.mode",
                                      "scan.bounded.specific-offsets",
                                      "sink.partitioner",
                                      "sink.delivery-guarantee",
                                      "sink.transactional-id-prefix",
                                      "key.fields",
                                      "key.format",
                                      "key.fields-prefix",
                                      "value.fields-include",
                                      NULL};
static const char *const ka_prefixes[] = {"properties.", NULL};

/* The 'upsert-kafka' connector's options (Flink's UpsertKafkaDynamicTableFactory): the key
 * is the PRIMARY KEY, so no 'key.fields'; a source reads from the earliest offset (no
 * 'scan.startup.*'), a sink has no partitioner (records go by their key's hash). */
static const char *const upk_keys[] = {"topic",
                                       "key.format",
                                       "key.fields-prefix",
                                       "value.format",
                                       "value.fields-include",
                                       "csv.field-delimiter",
                                       "csv.null-literal",
                                       "json.ignore-parse-errors",
                                       "avro.encoding",
                                       "avro.timestamp_mapping.legacy",
                                       "sink.delivery-guarantee",
                                       "sink.transactional-id-prefix",
                                       "scan.bounded.mode",
                                       "scan.bounded.specific-offsets",
                                       NULL};

static bool ka_is_upsert(const struct sl_table *t)
{
    return t->connector && strcmp(t->connector, "upsert-kafka") == 0;
}
#define KA_MAX_PROPS 64

/* The librdkafka properties of a table: "key=value" strings (owned by *props). */
struct ka_props {
    char *s[KA_MAX_PROPS];
    const char *p[KA_MAX_PROPS];
    size_t n;
    const char *bootstrap;
    const char *offset_reset;
    const char *group_id;
    const char *commit_on_ckpt; /* 'properties.commit.offsets.on.checkpoint' (Flink's) */
};

static void ka_props_free(struct ka_props *pr)
{
    for (size_t i = 0; i < pr->n; i++)
        free(pr->s[i]);
    pr->n = 0;
}

static int ka_props_add(struct ka_props *pr, const char *kv, const struct sl_table *t,
                        const struct sl_connector_env *env, size_t pos, struct sl_error *err)
{
    if (pr->n == KA_MAX_PROPS)
        return sl_conn_err_at(env, t, pos, err, SL_EFULL, "more than %d Kafka properties",
                              KA_MAX_PROPS);
    if (!(pr->s[pr->n] = strdup(kv)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    pr->p[pr->n] = pr->s[pr->n];
    pr->n++;
    return 0;
}

static int ka_props_build(const struct sl_table *t, const struct sl_connector_env *env,
                          struct ka_props *pr, struct sl_error *err)
{
    memset(pr, 0, sizeof(*pr));
    int rc;
    for (uint32_t i = 0; i < t->nopts; i++) {
        const struct sl_option *o = &t->opts[i];
        if (strncmp(o->key, "properties.", 11) != 0)
            continue;
        const char *k = o->key + 11;
        if (strcmp(k, "group.id") == 0) {
            pr->group_id = o->value;
            continue;
        }
        if (strcmp(k, "bootstrap.servers") == 0) {
            pr->bootstrap = o->value;
            continue;
        }
        if (strcmp(k, "auto.offset.reset") == 0) {
            pr->offset_reset = o->value;
            continue;
        }
        if (strcmp(k, "commit.offsets.on.checkpoint") == 0) {
            if (strcmp(o->value, "true") != 0 && strcmp(o->value, "false") != 0)
                return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                                      "option '%s': '%s' is not 'true' or 'false'", o->key,
                                      o->value);
            pr->commit_on_ckpt = o->value;
            continue;
        }
        char kv[1024];
        snprintf(kv, sizeof(kv), "%s=%s", k, o->value);
        if ((rc = ka_props_add(pr, kv, t, env, o->pos, err)))
            return rc;
    }
    for (uint32_t i = 0; env && i < env->nkafka_props; i++)
        if ((rc = ka_props_add(pr, env->kafka_props[i], t, env, SIZE_MAX, err)))
            return rc;
    if (env && env->brokers && env->brokers[0])
        pr->bootstrap = env->brokers;
    if (!pr->bootstrap)
        return sl_conn_err_at(env, t, SIZE_MAX, err, SL_EINVAL,
                              "connector 'kafka' needs 'properties.bootstrap.servers' (or "
                              "--brokers)");
    return 0;
}

/* The job settings "sluice.sink.<table>.properties.<k>" a sink takes (the producer's
 * batching: engine/plan/settings.h), after the table's own properties so that they win (the
 * last value of a librdkafka property is the one it keeps). Read when the producer is made:
 * a change of them takes effect at the next start. */
static int ka_sink_job_props(const struct sl_table *t, const struct sl_connector_env *env,
                             struct ka_props *pr, struct sl_error *err)
{
    static const char *const keys[] = {"properties.linger.ms", "properties.batch.size",
                                       "properties.batch.num.messages"};
    for (size_t i = 0; env && i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *v = sl_setting_table_value(env->job, "sink", t->name, keys[i]);
        if (!v)
            continue;
        char kv[1024];
        snprintf(kv, sizeof(kv), "%s=%s", keys[i] + 11, v);
        int rc = ka_props_add(pr, kv, t, env, SIZE_MAX, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- metadata columns ---------------------------------------------------------------------- */

/* A schema of some columns of `schema`. */
static struct sl_schema *ka_subschema(const struct sl_schema *schema, const int *idx, uint32_t n)
{
    const char **names = calloc(n ? n : 1, sizeof(*names));
    struct sl_type *types = calloc(n ? n : 1, sizeof(*types));
    struct sl_schema *sub = NULL;
    if (names && types) {
        for (uint32_t i = 0; i < n; i++) {
            names[i] = schema->fields[idx[i]].name;
            types[i] = schema->fields[idx[i]].type;
        }
        sub = sl_schema_new(n, names, types);
    }
    free(names);
    free(types);
    return sub;
}

/* Flink's Kafka metadata that sluice has: key, type, writable (sinks). 'timestamp' is
 * TIMESTAMP_LTZ(3) in Flink; a column may also be TIMESTAMP(3), to which Flink casts it
 * implicitly (the same milliseconds: the session time zone is UTC). */
enum ka_meta_kind {
    KA_META_TIMESTAMP,
    KA_META_PARTITION,
    KA_META_OFFSET,
    KA_META_TOPIC,
    KA_META_HEADERS,
    KA_META_TIMESTAMP_TYPE
};
static const char *const ka_meta_keys[] = {"timestamp", "partition",      "offset", "topic",
                                           "headers",   "timestamp-type", NULL};
static const sl_type_id ka_meta_types[] = {SL_TYPE_TIMESTAMP, SL_TYPE_INT,     SL_TYPE_BIGINT,
                                           SL_TYPE_VARCHAR,   SL_TYPE_VARCHAR, SL_TYPE_VARCHAR};
static const char *const ka_meta_type_names[] = {"TIMESTAMP_LTZ(3) (or TIMESTAMP(3))",
                                                 "INT",
                                                 "BIGINT",
                                                 "STRING",
                                                 "MAP<STRING, BYTES>",
                                                 "STRING"};
/* 'timestamp-type' as Kafka's TimestampType.toString() spells it (what Flink gives), by
 * rd_kafka_timestamp_type_t */
static const char *const ka_ts_type_names[] = {"NoTimestampType", "CreateTime", "LogAppendTime"};

#define KA_META_MAX 6

/* Whether a column of type t can hold metadata k: its type, and for 'timestamp' also
 * TIMESTAMP_LTZ(3), for 'headers' exactly MAP<STRING, BYTES>. */
static bool ka_meta_type_ok(enum ka_meta_kind k, struct sl_type t)
{
    if (t.id != ka_meta_types[k])
        return false;
    if (k == KA_META_HEADERS)
        return sl_type_is_map(t);
    return t.logical == SL_LOGICAL_NONE || (k == KA_META_TIMESTAMP && sl_type_is_ltz(t));
}

struct ka_meta {
    uint32_t col;
    enum ka_meta_kind kind;
    bool is_virtual; /* read only: a sink does not write it */
};

/* The table's metadata columns (the registry checked the keys) with their types checked,
 * and the value columns - the others - into idx[] / *nval. */
static int ka_meta_resolve(const struct sl_table *t, const struct sl_connector_env *env, bool sink,
                           struct ka_meta *meta, uint32_t *nmeta, int *idx, uint32_t *nval,
                           struct sl_error *err)
{
    *nmeta = 0;
    for (uint32_t i = 0; i < t->nmeta && i < KA_META_MAX; i++) {
        int k = 0;
        while (ka_meta_keys[k] && strcmp(ka_meta_keys[k], t->meta[i].key) != 0)
            k++;
        if (!ka_meta_keys[k])
            return sl_error_set(err, SL_EINVAL, "metadata '%s'", t->meta[i].key);
        const struct sl_rel_col *c = &t->physical.cols[t->meta[i].col];
        if (!ka_meta_type_ok((enum ka_meta_kind)k, c->type)) {
            char tn[64];
            struct sl_type ct = c->type;
            ct.nullable = true;
            sl_type_format(ct, tn, sizeof(tn));
            return sl_conn_err_at(env, t, t->meta[i].pos, err, SL_EINVAL,
                                  "metadata '%s' is %s: column '%s' cannot be %s", ka_meta_keys[k],
                                  ka_meta_type_names[k], c->name, tn);
        }
        if (!sink && k == KA_META_TIMESTAMP && !c->type.nullable)
            return sl_conn_err_at(env, t, t->meta[i].pos, err, SL_EINVAL,
                                  "metadata 'timestamp' is NULL for a record without one: "
                                  "column '%s' cannot be NOT NULL",
                                  c->name);
        if (sink && k != KA_META_TIMESTAMP && k != KA_META_HEADERS && !t->meta[i].is_virtual)
            return sl_conn_err_at(env, t, t->meta[i].pos, err, SL_EINVAL,
                                  "metadata '%s' is read only: declare column '%s' VIRTUAL (a "
                                  "sink writes only 'timestamp' and 'headers')",
                                  ka_meta_keys[k], c->name);
        meta[(*nmeta)++] =
            (struct ka_meta){t->meta[i].col, (enum ka_meta_kind)k, t->meta[i].is_virtual};
    }
    *nval = 0;
    for (uint32_t c = 0; c < t->physical.ncols; c++) {
        bool m = false;
        for (uint32_t i = 0; i < *nmeta; i++)
            m |= meta[i].col == c;
        if (!m)
            idx[(*nval)++] = (int)c;
    }
    return 0;
}

/* ---- keys: 'key.fields', 'key.format', 'key.fields-prefix', 'value.fields-include' ------------
 */

struct ka_keyspec {
    int *idx; /* the key columns, in 'key.fields' order (owned) */
    uint32_t n;
    bool except_key;    /* 'value.fields-include' = 'EXCEPT_KEY' */
    const char *prefix; /* 'key.fields-prefix', "" when absent */
    enum sl_conn_format format;
};

/* The key options of `t` over `schema` (the table's physical columns); n = 0 without
 * 'key.fields'. Flink's rules: 'key.fields' needs 'key.format'; 'key.fields-prefix' needs
 * 'EXCEPT_KEY', and every key column's name starts with it (the key format sees the names
 * without it). */
static int ka_keyspec_parse(const struct sl_table *t, const struct sl_connector_env *env,
                            const struct sl_schema *schema, struct ka_keyspec *ks,
                            struct sl_error *err)
{
    memset(ks, 0, sizeof(*ks));
    ks->prefix = "";
    const struct sl_option *kf = sl_conn_opt(t, "key.fields");
    const struct sl_option *kfmt = sl_conn_opt(t, "key.format");
    const struct sl_option *inc = sl_conn_opt(t, "value.fields-include");
    const struct sl_option *pre = sl_conn_opt(t, "key.fields-prefix");
    bool upsert = ka_is_upsert(t);
    if (upsert && !kfmt)
        return sl_conn_err_at(env, t, SIZE_MAX, err, SL_EINVAL,
                              "connector 'upsert-kafka' needs the option 'key.format' (the "
                              "format of the PRIMARY KEY columns in the message key)");
    if (!kf && !upsert) {
        const struct sl_option *o = kfmt ? kfmt : inc ? inc : pre;
        if (o)
            return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL, "option '%s' needs 'key.fields'",
                                  o->key);
        return 0;
    }
    if (!kfmt)
        return sl_conn_err_at(env, t, kf->pos, err, SL_EINVAL,
                              "option 'key.fields' needs 'key.format'");
    int f = sl_conn_format_from_name(kfmt->value);
    if (f == SL_CONN_DEBEZIUM_JSON) /* Flink: a key format must be insert-only */
        return sl_conn_err_at(env, t, kfmt->pos, err, SL_EINVAL,
                              "option 'key.format': 'debezium-json' is a changelog format; a "
                              "key format must be insert-only ('json', 'csv', 'raw', 'avro')");
    if (f < 0)
        return sl_conn_err_at(env, t, kfmt->pos, err, SL_ENOTSUP,
                              "option 'key.format': format '%s' is not supported ('json', "
                              "'csv', 'raw' or 'avro')",
                              kfmt->value);
    ks->format = (enum sl_conn_format)f;
    if (inc && strcmp(inc->value, "ALL") != 0 && strcmp(inc->value, "EXCEPT_KEY") != 0)
        return sl_conn_err_at(env, t, inc->pos, err, SL_EINVAL,
                              "option 'value.fields-include': '%s' is not one of 'ALL', "
                              "'EXCEPT_KEY'",
                              inc->value);
    ks->except_key = inc && strcmp(inc->value, "EXCEPT_KEY") == 0;
    if (pre) {
        if (!ks->except_key)
            return sl_conn_err_at(env, t, pre->pos, err, SL_EINVAL,
                                  "option 'key.fields-prefix' needs 'value.fields-include' = "
                                  "'EXCEPT_KEY'");
        ks->prefix = pre->value;
    }
    uint32_t nc = schema->ncols;
    if (!(ks->idx = calloc(nc ? nc : 1, sizeof(int))))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    const char *p = kf ? kf->value : "";
    int rc = 0;
    for (uint32_t k = 0; upsert && !rc && k < t->npk; k++) { /* the PRIMARY KEY */
        const char *name = t->physical.cols[t->pk[k]].name;
        if (strncmp(name, ks->prefix, strlen(ks->prefix)) != 0)
            rc = sl_conn_err_at(env, t, pre ? pre->pos : SIZE_MAX, err, SL_EINVAL,
                                "PRIMARY KEY column '%s' does not start with the "
                                "'key.fields-prefix' '%s'",
                                name, ks->prefix);
        else if (ks->n < nc)
            ks->idx[ks->n++] = (int)t->pk[k];
    }
    while (!rc && !upsert) {
        const char *q = strchr(p, ';');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(len < 255 ? len : 255), p);
        int c = -1;
        for (uint32_t i = 0; i < nc; i++)
            if (strcmp(schema->fields[i].name, name) == 0)
                c = (int)i;
        bool twice = false;
        for (uint32_t k = 0; c >= 0 && k < ks->n; k++)
            twice |= ks->idx[k] == c;
        bool meta = false;
        for (uint32_t k = 0; c >= 0 && k < t->nmeta; k++)
            meta |= t->meta[k].col == (uint32_t)c;
        if (c < 0 || twice || meta)
            rc = sl_conn_err_at(env, t, kf->pos, err, SL_EINVAL, "option 'key.fields': '%s' is %s",
                                name,
                                c < 0   ? "not a column of the table"
                                : twice ? "listed twice"
                                        : "a metadata column");
        else if (strncmp(name, ks->prefix, strlen(ks->prefix)) != 0)
            rc = sl_conn_err_at(env, t, kf->pos, err, SL_EINVAL,
                                "option 'key.fields': '%s' does not start with the "
                                "'key.fields-prefix' '%s'",
                                name, ks->prefix);
        else if (ks->n < nc)
            ks->idx[ks->n++] = c;
        if (!q)
            break;
        p = q + 1;
    }
    if (rc) {
        free(ks->idx);
        ks->idx = NULL;
        ks->n = 0;
    }
    return rc;
}

/* The key format's schema: the key columns, named without the prefix. */
static struct sl_schema *ka_key_schema(const struct sl_schema *schema, const struct ka_keyspec *ks)
{
    const char **names = calloc(ks->n ? ks->n : 1, sizeof(*names));
    struct sl_type *types = calloc(ks->n ? ks->n : 1, sizeof(*types));
    struct sl_schema *sub = NULL;
    size_t pl = strlen(ks->prefix);
    if (names && types) {
        for (uint32_t i = 0; i < ks->n; i++) {
            names[i] = schema->fields[ks->idx[i]].name + pl;
            types[i] = schema->fields[ks->idx[i]].type;
        }
        sub = sl_schema_new(ks->n, names, types);
    }
    free(names);
    free(types);
    return sub;
}

/* ---- source -------------------------------------------------------------------------------- */

struct ka_worker {
    struct sl_conn_codec codec;
    struct sl_badrec bad;
    struct sl_record *recs; /* SL_BATCH_CAP */
    size_t n, pos;          /* fetched records, the next to decode */
    bool held;              /* messages not yet released */
    int32_t *parts;         /* the split ids of the worker's partitions at start-up */
    uint32_t nparts;
    int32_t *report; /* split ids of restored done partitions whose split_done is to come */
    uint32_t nreport;
    struct sl_kafka_offset *saved; /* the last save()'s next offsets (group commits) */
    size_t nsaved;
    struct sl_column *vcols; /* metadata columns: the value columns' view of a batch */
    struct sl_column *kcols; /* key columns: their view of a batch */
    struct sl_conn_codec kcodec;
    struct ka_upk *upk; /* upsert-kafka: the last value of every key (NULL: not upsert) */
};

/* ---- upsert-kafka source: the last value per key ------------------------------------------
 * Flink turns an upsert topic into a changelog with ChangelogNormalize, keyed state of the
 * last row per primary key. Here each source worker keeps the last value (its bytes) of
 * every key (its bytes) of the partitions it reads: an upsert topic is partitioned by key
 * (what Kafka's default partitioner, Flink's and sluice's upsert sinks do), so all of a
 * key's records reach one worker, in order. A value for a key not seen is +I, for a known
 * key -U of the old value (decoded again from its bytes) and +U of the new one; a tombstone
 * is -D of the old value, or nothing. Keys are compared as bytes (Flink compares decoded
 * keys: two encodings of one key, e.g. JSON with other spacing, are two keys here). The
 * state is not saved in checkpoints yet, so a job with checkpoints refuses the table.
 * Linear probing over a power-of-two table; a freed slot becomes a grave (key KA_UPK_GRAVE)
 * until the next growth. Values replaced or deleted during one poll stay alive (garbage)
 * until its rows are decoded. */
struct ka_upk_slot {
    uint64_t h;
    char *key; /* NULL: empty; KA_UPK_GRAVE: deleted */
    char *val;
    uint32_t klen, vlen;
};

struct ka_upk {
    struct ka_upk_slot *slot;
    size_t cap, used; /* used: live and graves */
    char **garbage;
    size_t ngarbage, capgarbage;
};

static char ka_upk_grave_byte;
#define KA_UPK_GRAVE (&ka_upk_grave_byte)

static long ka_upk_find(const struct ka_upk *m, const void *key, uint32_t klen, uint64_t h)
{
    for (size_t i = h & (m->cap - 1), k = 0; m->cap && k < m->cap;
         i = (i + 1) & (m->cap - 1), k++) {
        const struct ka_upk_slot *e = &m->slot[i];
        if (!e->key)
            return -1;
        if (e->key != KA_UPK_GRAVE && e->h == h && e->klen == klen && !memcmp(e->key, key, klen))
            return (long)i;
    }
    return -1;
}

static int ka_upk_trash(struct ka_upk *m, char *p)
{
    if (m->ngarbage == m->capgarbage) {
        size_t nc = m->capgarbage ? 2 * m->capgarbage : 64;
        char **g = realloc(m->garbage, nc * sizeof(*g));
        if (!g)
            return SL_ENOMEM;
        m->garbage = g;
        m->capgarbage = nc;
    }
    m->garbage[m->ngarbage++] = p;
    return 0;
}

static void ka_upk_empty_trash(struct ka_upk *m)
{
    for (size_t i = 0; i < m->ngarbage; i++)
        free(m->garbage[i]);
    m->ngarbage = 0;
}

static int ka_upk_grow(struct ka_upk *m)
{
    size_t nc = m->cap ? 2 * m->cap : 64;
    struct ka_upk_slot *ns = calloc(nc, sizeof(*ns));
    if (!ns)
        return SL_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        struct ka_upk_slot *e = &m->slot[i];
        if (!e->key || e->key == KA_UPK_GRAVE)
            continue;
        size_t j = e->h & (nc - 1);
        while (ns[j].key)
            j = (j + 1) & (nc - 1);
        ns[j] = *e;
    }
    size_t live = 0;
    for (size_t i = 0; i < nc; i++)
        live += ns[i].key != NULL;
    free(m->slot);
    m->slot = ns;
    m->cap = nc;
    m->used = live;
    return 0;
}

/* Sets key's value to a copy of val (the old one, if any, to the garbage). */
static int ka_upk_put(struct ka_upk *m, long at, const void *key, uint32_t klen, uint64_t h,
                      const void *val, uint32_t vlen)
{
    char *v = malloc(vlen ? vlen : 1);
    if (!v)
        return SL_ENOMEM;
    memcpy(v, val, vlen);
    if (at >= 0) {
        struct ka_upk_slot *e = &m->slot[at];
        if (ka_upk_trash(m, e->val)) {
            free(v);
            return SL_ENOMEM;
        }
        e->val = v;
        e->vlen = vlen;
        return 0;
    }
    if ((m->used + 1) * 4 > m->cap * 3 && ka_upk_grow(m)) {
        free(v);
        return SL_ENOMEM;
    }
    char *k = malloc(klen ? klen : 1);
    if (!k) {
        free(v);
        return SL_ENOMEM;
    }
    memcpy(k, key, klen);
    size_t i = h & (m->cap - 1);
    while (m->slot[i].key && m->slot[i].key != KA_UPK_GRAVE)
        i = (i + 1) & (m->cap - 1);
    m->used += !m->slot[i].key;
    m->slot[i] = (struct ka_upk_slot){.h = h, .key = k, .val = v, .klen = klen, .vlen = vlen};
    return 0;
}

static int ka_upk_del(struct ka_upk *m, long at)
{
    struct ka_upk_slot *e = &m->slot[at];
    if (ka_upk_trash(m, e->val))
        return SL_ENOMEM;
    free(e->key);
    e->key = KA_UPK_GRAVE;
    e->val = NULL;
    return 0;
}

static void ka_upk_free(struct ka_upk *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].key && m->slot[i].key != KA_UPK_GRAVE) {
            free(m->slot[i].key);
            free(m->slot[i].val);
        }
    ka_upk_empty_trash(m);
    free(m->garbage);
    free(m->slot);
    free(m);
}

/* A source table's 'topic' list ('a;b'), split: the names are owned here. */
struct ka_topics {
    char **names;
    size_t n;
};

/* Splits Flink's topic list 'a;b;c' (blanks around a name dropped; a trailing ';' allowed,
 * an empty name or one listed twice is an error). */
static int ka_topics_split(const char *list, struct ka_topics *out, struct sl_error *err)
{
    size_t cap = 1;
    for (const char *c = list; *c; c++)
        cap += *c == ';';
    if (!(out->names = calloc(cap, sizeof(*out->names))))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (const char *p = list;;) {
        const char *q = strchr(p, ';');
        const char *e = q ? q : p + strlen(p);
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (p == e && !(q == NULL && out->n > 0))
            return sl_error_set(err, SL_EINVAL,
                                "'topic' = '%s': an empty topic name at character %zu", list,
                                (size_t)(p - list) + 1);
        if (p < e) {
            for (size_t i = 0; i < out->n; i++)
                if (strlen(out->names[i]) == (size_t)(e - p) &&
                    memcmp(out->names[i], p, (size_t)(e - p)) == 0)
                    return sl_error_set(err, SL_EINVAL, "'topic' = '%s' lists '%s' twice", list,
                                        out->names[i]);
            if (!(out->names[out->n] = strndup(p, (size_t)(e - p))))
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            out->n++;
        }
        if (!q)
            break;
        p = q + 1;
    }
    return 0;
}

/* What a source reads: 'topic' (one name: cfg->topic; a list: *list, split later) or
 * 'topic-pattern' (cfg->topic_pattern, checked to compile), never both (Flink: "Option
 * 'topic' and 'topic-pattern' shouldn't be set together"); and the discovery interval. */
static int ka_topics_check(const struct sl_table *t, const struct sl_connector_env *env,
                           struct sl_kafka_source_config *cfg, const char **list,
                           int64_t *interval_ms, struct sl_error *err)
{
    const struct sl_option *to = sl_conn_opt(t, "topic"), *po = sl_conn_opt(t, "topic-pattern");
    if (to && po)
        return sl_conn_err_at(env, t, po->pos, err, SL_EINVAL,
                              "options 'topic' and 'topic-pattern' shouldn't be set together "
                              "(a source reads a list of topics or the topics a pattern "
                              "matches)");
    if (!to && !po)
        return sl_conn_err_at(env, t, SIZE_MAX, err, SL_EINVAL,
                              "a Kafka source needs the option 'topic' (a name, or names "
                              "separated by ';') or 'topic-pattern'");
    if (po) {
        struct sl_error e;
        sl_error_clear(&e);
        int rc = sl_kafka_pattern_check(po->value, &e);
        if (rc)
            return sl_conn_err_at(env, t, po->pos, err, rc, "option 'topic-pattern': %s", e.msg);
        cfg->topic_pattern = po->value;
    } else if (strchr(to->value, ';')) {
        *list = to->value;
    } else {
        cfg->topic = to->value;
    }
    /* Flink's default, 5 minutes; 0 (or a negative number) turns discovery off */
    *interval_ms = 5 * 60 * 1000;
    const struct sl_option *io = sl_conn_opt(t, "scan.topic-partition-discovery.interval");
    if (io) {
        const char *v = io->value;
        while (*v == ' ')
            v++;
        *interval_ms = *v == '-' ? 0 : sl_setting_duration_ms(v);
        if (*interval_ms < 0)
            return sl_conn_err_at(env, t, io->pos, err, SL_EINVAL,
                                  "option 'scan.topic-partition-discovery.interval': '%s' is not "
                                  "a duration ('30 s', '5 min', '1000 ms'; 0 turns discovery off)",
                                  io->value);
    }
    return 0;
}

struct ka_source {
    struct sl_source base;
    struct ka_topics topics;
    int nworkers;
    bool bounded;
    struct sl_kafka_source *ks;
    struct sl_schema *schema;
    struct sl_conn_fmtspec spec;
    struct sl_conn_dlq dlq;
    struct ka_worker *w;
    bool commit_group; /* commit each committed epoch's offsets to 'properties.group.id' */
    /* metadata columns: the format decodes the value columns into a view of the batch
     * (vschema, vidx), the source fills the metadata columns from the records */
    struct ka_meta meta[KA_META_MAX];
    uint32_t nmeta, nval;
    int *vidx;
    struct sl_schema *vschema;
    /* 'key.fields' with EXCEPT_KEY: the key format decodes the record keys into these */
    uint32_t nkey;
    int *kidx;
    struct sl_schema *kschema;
    struct sl_conn_fmtspec kspec;
};

static void ka_set_waker(struct sl_source *s, int worker, void (*wake)(void *), void *arg)
{
    struct ka_source *src = (struct ka_source *)s;
    sl_kafka_source_set_waker(src->ks, worker, wake, arg);
}

/* The metadata of record `r` into row `row` of `b`. */
static int ka_meta_fill(const struct ka_source *src, struct sl_batch *b, uint32_t row,
                        const struct sl_record *r, struct sl_error *err)
{
    for (uint32_t i = 0; i < src->nmeta; i++) {
        struct sl_column *c = &b->cols[src->meta[i].col];
        switch (src->meta[i].kind) {
        case KA_META_TIMESTAMP:
            sl_col_i64(c)[row] = r->timestamp;
            if (c->valid) /* NOT NULL is refused for it (ka_meta_resolve) */
                sl_col_set_null(c, row, r->timestamp < 0); /* a record without one */
            break;
        case KA_META_PARTITION:
            sl_col_i32(c)[row] = r->partition;
            if (c->valid)
                sl_col_set_null(c, row, false);
            break;
        case KA_META_OFFSET:
            sl_col_i64(c)[row] = r->offset;
            if (c->valid)
                sl_col_set_null(c, row, false);
            break;
        case KA_META_TIMESTAMP_TYPE: {
            const char *tt = ka_ts_type_names[r->timestamp_type >= 0 && r->timestamp_type <= 2
                                                  ? r->timestamp_type
                                                  : 0];
            sl_col_str(c)[row] = sl_batch_str(b, tt, (uint32_t)strlen(tt));
            if (!sl_str_ok(sl_col_str(c)[row]))
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            if (c->valid)
                sl_col_set_null(c, row, false);
            break;
        }
        case KA_META_TOPIC:
            sl_col_str(c)[row] = sl_batch_str(b, r->topic, (uint32_t)strlen(r->topic));
            if (!sl_str_ok(sl_col_str(c)[row]))
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            if (c->valid)
                sl_col_set_null(c, row, false);
            break;
        case KA_META_HEADERS: {
            /* the source built the map (sl_kafka_source_config.headers); its keys are a
             * STRING's: a header name that is not UTF-8 is an error naming the record */
            static const char empty[4] = {0};
            const char *h = r->headers ? r->headers : empty;
            uint32_t hl = r->headers ? r->headers_len : 4;
            if (!sl_fmt_map_keys_utf8(h, hl))
                return sl_error_set(err, SL_EPARSE,
                                    "topic '%s' partition %d offset %" PRId64
                                    ": header name is not UTF-8 text",
                                    r->topic, (int)r->partition, r->offset);
            sl_col_str(c)[row] = sl_batch_str(b, h, hl);
            if (!sl_str_ok(sl_col_str(c)[row]))
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            if (c->valid)
                sl_col_set_null(c, row, false);
            break;
        }
        }
    }
    return 0;
}

/* The key of record `r` into row `row` of the key view `kv` (rows == row): through the
 * key format; a record without a key gives NULL key columns where they may be NULL, else
 * it is a bad record (the table's policy judges it). 1: a row made, 0: the record was
 * skipped as bad, < 0: an error code. */
/* A bad key's dead letter is its whole record: the value too (the key decoder sees a
 * record whose value is the key). */
struct ka_key_dlq {
    const struct sl_badrec *bad; /* the table's */
    const struct sl_record *rec; /* the record whose key this is */
};

static int ka_key_dead_letter(void *ctx, const struct sl_record *key_rec, const char *msg)
{
    (void)key_rec;
    const struct ka_key_dlq *d = ctx;
    return d->bad->dead_letter(d->bad->ctx, d->rec, msg);
}

static int ka_decode_key(struct ka_worker *w, struct sl_batch *kv, uint32_t row,
                         const struct sl_record *r, struct sl_error *err)
{
    if (!r->key) {
        uint32_t notnull = kv->ncols;
        for (uint32_t i = 0; i < kv->ncols && notnull == kv->ncols; i++)
            if (!kv->cols[i].valid)
                notnull = i;
        if (notnull == kv->ncols) {
            for (uint32_t i = 0; i < kv->ncols; i++)
                sl_col_set_null(&kv->cols[i], row, true);
            kv->rows = row + 1;
            return 1;
        }
        /* not an empty key: raw or csv would read "" into it */
        char what[160];
        snprintf(what, sizeof(what), "the record has no key, and key field '%s' is NOT NULL",
                 kv->schema->fields[notnull].name);
        int rc = sl_badrec_handle(&w->bad, r, SL_EINVAL, what, err);
        return rc ? rc : 0;
    }
    struct sl_record k = *r;
    k.value = r->key ? r->key : "";
    k.value_len = r->key ? r->key_len : 0;
    struct ka_key_dlq dlq = {&w->bad, r};
    struct sl_badrec kbad = w->bad; /* the table's policy, with the whole record dead-lettered */
    kbad.skipped = kbad.dead_lettered = 0;
    if (kbad.policy == SL_BADREC_DEAD_LETTER) {
        kbad.dead_letter = ka_key_dead_letter;
        kbad.ctx = &dlq;
    }
    size_t got = 0;
    int rc = sl_conn_codec_decode(&w->kcodec, &k, 1, kv, &kbad, &got, err);
    w->bad.skipped += kbad.skipped;
    w->bad.dead_lettered += kbad.dead_lettered;
    if (rc)
        return rc; /* sluice's error codes are negative */
    return kv->rows > row;
}

/* Decodes records pos.. end of the worker into `b` when the record is more than its value
 * - metadata columns, or a key ('key.fields' with EXCEPT_KEY): the value format fills the
 * value columns through a view of `b`, the key format the key columns through another, and
 * each row gets its record's metadata. With neither a key nor a bad-record policy other
 * than 'fail', every record makes a row (or the decode fails) and rows and records pair
 * up; else records go one at a time, so that each row has its own record's key and
 * metadata, and a record whose key is bad is skipped whole. */
static int ka_decode_split(struct ka_source *src, struct ka_worker *w, size_t end,
                           struct sl_batch *b, size_t *consumed, struct sl_error *err)
{
    struct sl_batch v = *b, kv = *b;
    for (uint32_t i = 0; i < src->nval; i++)
        w->vcols[i] = b->cols[src->vidx[i]];
    v.cols = w->vcols;
    v.ncols = src->nval;
    v.schema = src->vschema;
    for (uint32_t i = 0; i < src->nkey; i++)
        w->kcols[i] = b->cols[src->kidx[i]];
    kv.cols = w->kcols;
    kv.ncols = src->nkey;
    kv.schema = src->kschema;
    *consumed = 0;
    /* a changelog format's record may make two rows (debezium-json's "u"): one at a time */
    bool one =
        src->nkey || w->bad.policy != SL_BADREC_FAIL || src->spec.format == SL_CONN_DEBEZIUM_JSON;
    int rc = 0;
    while (!rc && w->pos + *consumed < end && v.rows < SL_BATCH_CAP) {
        size_t first = w->pos + *consumed, got = 0;
        uint32_t rows0 = v.rows;
        rc = sl_conn_codec_decode(&w->codec, w->recs + first, one ? 1 : end - first, &v, &w->bad,
                                  &got, err);
        b->kind = v.kind; /* a changelog format (debezium-json) sets the rows' kinds */
        for (uint32_t r = rows0; !rc && src->nkey && r < v.rows; r++) { /* each row of it */
            kv.strheap = v.strheap;
            int k = ka_decode_key(w, &kv, r, &w->recs[first], err);
            v.strheap = kv.strheap;
            if (k < 0)
                rc = k; /* an error code (negative) */
            if (k <= 0)
                v.rows = rows0; /* no key: no row */
        }
        b->rows = v.rows;
        b->strheap = v.strheap;
        if (one) {
            for (uint32_t r = rows0; !rc && r < v.rows; r++)
                rc = ka_meta_fill(src, b, r, &w->recs[first], err);
        } else {
            for (uint32_t r = rows0; !rc && r < v.rows; r++)
                rc = ka_meta_fill(src, b, r, &w->recs[first + (r - rows0)], err);
        }
        *consumed += got;
        if (!got)
            break;
        v.strheap = b->strheap; /* the metadata strings may have grown the heap */
    }
    return rc;
}

/* One record into b (its key and metadata too): 0 with a row appended, or none when the
 * record was bad and the policy skipped it; else an error. */
static int ka_upsert_one(struct ka_source *src, struct ka_worker *w, const struct sl_record *rec,
                         struct sl_batch *b, struct sl_error *err)
{
    size_t got = 0;
    if (!src->nmeta && !src->nkey)
        return sl_conn_codec_decode(&w->codec, rec, 1, b, &w->bad, &got, err);
    struct sl_record *recs = w->recs;
    size_t pos = w->pos;
    w->recs = (struct sl_record *)rec; /* ka_decode_split reads w->recs[w->pos ..] */
    w->pos = 0;
    int rc = ka_decode_split(src, w, 1, b, &got, err);
    w->recs = recs;
    w->pos = pos;
    return rc;
}

static void ka_upsert_kind(struct sl_batch *b, uint32_t row, uint8_t kind)
{
    if (!b->kind)
        memset(sl_batch_kinds(b), SL_ROW_INSERT, row);
    b->kind[row] = kind;
}

/* upsert-kafka: records pos.. end of the worker through its last-value state (struct
 * ka_upk) into rows with kinds; a record takes at most two rows, so it stops with fewer
 * than two free. */
static int ka_upsert_decode(struct ka_source *src, struct ka_worker *w, size_t end,
                            struct sl_batch *b, size_t *consumed, struct sl_error *err)
{
    struct ka_upk *m = w->upk;
    int rc = 0;
    *consumed = 0;
    while (w->pos + *consumed < end && SL_BATCH_CAP - b->rows >= 2) {
        const struct sl_record *r = &w->recs[w->pos + *consumed];
        if (!r->key) {
            if ((rc = sl_badrec_handle(&w->bad, r, SL_EINVAL,
                                       "an 'upsert-kafka' record without a key", err)))
                break;
            (*consumed)++;
            continue;
        }
        uint64_t h = XXH3_64bits(r->key, r->key_len);
        long at = ka_upk_find(m, r->key, (uint32_t)r->key_len, h);
        uint32_t rows0 = b->rows;
        if (at >= 0) { /* the key's last row goes: -U before a new value, -D at a tombstone */
            struct sl_record old = *r;
            old.value = m->slot[at].val;
            old.value_len = m->slot[at].vlen;
            if ((rc = ka_upsert_one(src, w, &old, b, err)))
                break;
            if (b->rows > rows0)
                ka_upsert_kind(b, rows0, r->value ? SL_ROW_UPDATE_BEFORE : SL_ROW_DELETE);
        }
        if (r->value) {
            uint32_t rows1 = b->rows;
            if ((rc = ka_upsert_one(src, w, r, b, err))) {
                b->rows = rows0; /* the record is not consumed: none of its rows */
                break;
            }
            if (b->rows == rows1) {
                b->rows = rows0; /* a bad value (skipped): the key keeps its last row */
            } else {
                ka_upsert_kind(b, rows1, at >= 0 ? SL_ROW_UPDATE_AFTER : SL_ROW_INSERT);
                if ((rc = ka_upk_put(m, at, r->key, (uint32_t)r->key_len, h, r->value,
                                     (uint32_t)r->value_len))) {
                    b->rows = rows0;
                    rc = sl_error_set(err, rc, "out of memory");
                    break;
                }
            }
        } else if (at >= 0 && (rc = ka_upk_del(m, at))) {
            b->rows = rows0;
            rc = sl_error_set(err, rc, "out of memory");
            break;
        }
        (*consumed)++;
    }
    ka_upk_empty_trash(m); /* the rows hold copies of every value they read */
    return rc;
}

static int ka_poll(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_batch *b,
                   int timeout_ms, struct sl_source_info *info, struct sl_error *err)
{
    struct ka_source *src = (struct ka_source *)s;
    struct ka_worker *w = &src->w[ctx->worker];
    info->split = -1;
    info->split_done = info->worker_done = false;
    int rc;
    if (w->nreport > 0 && w->pos >= w->n) { /* a partition restored as done */
        info->split = w->report[--w->nreport];
        info->split_done = true;
        info->worker_done = w->nreport == 0 && sl_kafka_source_finished(src->ks, ctx->worker);
        return 0;
    }
    if (w->pos >= w->n) {
        if (w->held)
            sl_kafka_source_release(src->ks, ctx->worker);
        w->held = false;
        w->n = w->pos = 0;
        size_t n = 0;
        rc = sl_kafka_source_poll(src->ks, ctx->worker, w->recs, SL_BATCH_CAP, timeout_ms, &n, err);
        w->n = n;
        w->held = n > 0;
        if (rc && !n)
            return rc;
        if (!n) {
            info->worker_done = sl_kafka_source_finished(src->ks, ctx->worker);
            return 0;
        }
    }
    int32_t part = w->recs[w->pos].partition;
    const char *topic = w->recs[w->pos].topic; /* the source's name: compared by address */
    size_t end = w->pos;
    while (end < w->n && w->recs[end].partition == part && w->recs[end].topic == topic)
        end++;
    info->split = sl_kafka_source_split(src->ks, topic, part);
    uint64_t bad0 = w->bad.skipped + w->bad.dead_lettered;
    uint32_t rows0 = b->rows;
    size_t consumed = 0;
    if (w->upk)
        rc = ka_upsert_decode(src, w, end, b, &consumed, err);
    else if (src->nmeta || src->nkey)
        rc = ka_decode_split(src, w, end, b, &consumed, err);
    else
        rc = sl_conn_codec_decode(&w->codec, w->recs + w->pos, end - w->pos, b, &w->bad, &consumed,
                                  err);
    uint64_t bytes = 0;
    for (size_t k = w->pos; k < w->pos + consumed; k++)
        bytes += w->recs[k].key_len + w->recs[k].value_len;
    w->pos += consumed;
    sl_stats_add(&ctx->stats->rows_in, b->rows - rows0);
    sl_stats_add(&ctx->stats->bytes_in, bytes);
    sl_stats_add(&ctx->stats->bad_records, w->bad.skipped + w->bad.dead_lettered - bad0);
    if (rc)
        return rc;
    if (src->bounded && w->pos == end && consumed) {
        int64_t eo = sl_kafka_source_end_offset_of(src->ks, topic, part);
        info->split_done = eo >= 0 && w->recs[end - 1].offset + 1 >= eo;
    }
    if (w->pos >= w->n) {
        /* everything fetched is decoded: give the messages back now */
        sl_kafka_source_release(src->ks, ctx->worker);
        w->held = false;
        w->n = w->pos = 0;
        info->worker_done = sl_kafka_source_finished(src->ks, ctx->worker);
    }
    return 0;
}

static int ka_splits(struct sl_source *s, int worker, int32_t *ids, uint32_t cap, uint32_t *n)
{
    struct ka_source *src = (struct ka_source *)s;
    struct ka_worker *w = &src->w[worker];
    *n = w->nparts;
    if (w->nparts > cap)
        return SL_EFULL;
    memcpy(ids, w->parts, w->nparts * sizeof(*ids));
    return 0;
}

static void ka_free(struct sl_source *s)
{
    struct ka_source *src = (struct ka_source *)s;
    if (!src)
        return;
    sl_kafka_source_free(src->ks);
    if (src->w)
        for (int i = 0; i < src->nworkers; i++) {
            sl_conn_codec_destroy(&src->w[i].codec);
            free(src->w[i].recs);
            free(src->w[i].parts);
            free(src->w[i].report);
            free(src->w[i].saved);
            free(src->w[i].vcols);
            free(src->w[i].kcols);
            sl_conn_codec_destroy(&src->w[i].kcodec);
            ka_upk_free(src->w[i].upk);
        }
    free(src->w);
    for (size_t i = 0; i < src->topics.n; i++)
        free(src->topics.names[i]);
    free(src->topics.names);
    free(src->vidx);
    sl_schema_free(src->vschema);
    free(src->kidx);
    sl_schema_free(src->kschema);
    sl_conn_dlq_close(&src->dlq);
    sl_schema_free(src->schema);
    free(src);
}

/* ---- source checkpoints -------------------------------------------------------------------- */

#define KA_STATE_MAGIC 0x3153414bu  /* "KAS1": one topic (written before topic lists) */
#define KA_STATE_MAGIC2 0x3253414bu /* "KAS2": per (topic, partition) */
#define KA_STATE_ENTRY (4 + 8 + 8 + 1)
#define KA_STATE_ENTRY2 (4 + KA_STATE_ENTRY)

/* The worker's partition states, adjusted for fetched records not decoded yet; *out is the
 * caller's (free). The topic names are the source's. */
static int ka_state(struct ka_source *src, int worker, struct sl_kafka_part_state **out, size_t *n,
                    struct sl_error *err)
{
    struct ka_worker *w = &src->w[worker];
    struct sl_kafka_part_state *st = NULL;
    for (size_t cap = 0;;) { /* discovery may add partitions between two calls */
        if (sl_kafka_source_state(src->ks, worker, st, cap, n) == 0)
            break;
        free(st);
        cap = *n + 8;
        if (!(st = calloc(cap, sizeof(*st))))
            return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    if (!st && !(st = calloc(1, sizeof(*st))))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t k = 0; k < *n; k++)
        for (size_t i = w->pos; i < w->n; i++)
            if (w->recs[i].partition == st[k].partition && w->recs[i].topic == st[k].topic) {
                /* the first pending record of the partition is the next to decode */
                st[k].next = w->recs[i].offset;
                st[k].done = false;
                break;
            }
    *out = st;
    return 0;
}

static int ka_save(struct sl_source *s, int worker, struct sl_sbuf *out, struct sl_sbuf *summary,
                   struct sl_error *err)
{
    struct ka_source *src = (struct ka_source *)s;
    struct sl_kafka_part_state *st = NULL;
    size_t n;
    int rc = ka_state(src, worker, &st, &n, err);
    if (rc)
        return rc;
    if (src->commit_group) { /* what committed() hands to the group once the epoch commits */
        struct ka_worker *w = &src->w[worker];
        struct sl_kafka_offset *sv = realloc(w->saved, (n ? n : 1) * sizeof(*sv));
        if (!sv) {
            free(st);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        w->saved = sv;
        w->nsaved = 0;
        for (size_t k = 0; k < n; k++)
            if (st[k].next >= 0) /* not a partition still at its logical start */
                sv[w->nsaved++] =
                    (struct sl_kafka_offset){st[k].partition, st[k].next, st[k].topic};
    }
    /* the topic table: the source's topics in its order (those of this worker's entries
     * are what restore needs; all of them keep the format simple) */
    size_t nt = sl_kafka_source_ntopics(src->ks);
    sl_sbuf_put_u32(out, KA_STATE_MAGIC2);
    sl_sbuf_put_u8(out, src->bounded);
    sl_sbuf_put_u32(out, (uint32_t)nt);
    for (size_t i = 0; i < nt; i++)
        sl_sbuf_put_str(out, sl_kafka_source_topic(src->ks, i));
    sl_sbuf_put_u32(out, (uint32_t)n);
    for (size_t k = 0; k < n; k++) {
        uint32_t ti = 0;
        while (ti < nt && sl_kafka_source_topic(src->ks, ti) != st[k].topic)
            ti++;
        sl_sbuf_put_u32(out, ti);
        sl_sbuf_put_u32(out, (uint32_t)st[k].partition);
        sl_sbuf_put_i64(out, st[k].next);
        sl_sbuf_put_i64(out, st[k].end);
        sl_sbuf_put_u8(out, st[k].done);
        char text[48];
        int len =
            st[k].next == SL_KAFKA_OFFSET_EARLIEST
                ? snprintf(text, sizeof(text), ":%d=earliest", (int)st[k].partition)
                : snprintf(text, sizeof(text), ":%d=%" PRId64, (int)st[k].partition, st[k].next);
        if (k)
            sl_sbuf_put(summary, ",", 1);
        sl_sbuf_put(summary, st[k].topic, strlen(st[k].topic));
        sl_sbuf_put(summary, text, (size_t)len);
    }
    free(st);
    rc = sl_sbuf_check(out, err);
    return rc ? rc : sl_sbuf_check(summary, err);
}

/* SL_ECORRUPT "<what>: <message> at byte <off>" with a formatted message. */
static int ka_corrupt(struct sl_sread *r, struct sl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ka_corrupt(struct sl_sread *r, struct sl_error *err, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sl_sread_fail(r, err, msg);
}

/* The source's own name of checkpointed topic (tp, tlen); SL_ECORRUPT naming it when the
 * table does not read it (any more). */
static int ka_state_topic(struct ka_source *src, struct sl_sread *in, const void *tp, uint32_t tlen,
                          const char **out, struct sl_error *err)
{
    size_t nt = sl_kafka_source_ntopics(src->ks);
    for (size_t i = 0; i < nt; i++) {
        const char *name = sl_kafka_source_topic(src->ks, i);
        if (strlen(name) == tlen && memcmp(name, tp, tlen) == 0) {
            *out = name;
            return 0;
        }
    }
    const struct sl_option *o = sl_conn_opt(src->base.table, "topic");
    const struct sl_option *po = sl_conn_opt(src->base.table, "topic-pattern");
    return ka_corrupt(in, err,
                      "the checkpoint read topic '%.*s', which the table does not read "
                      "now (it reads %s '%s')",
                      (int)(tlen > 200 ? 200 : tlen), (const char *)tp,
                      o ? "'topic' =" : "'topic-pattern' =", o ? o->value : po->value);
}

/* Reads a checkpoint of either format; *new_format says whether it is KAS2 (whose
 * unlisted partitions are new since: they start from the earliest offset). */
static int ka_read_state(struct ka_source *src, struct sl_sread *in,
                         struct sl_kafka_part_state **out, uint32_t *n, bool *new_format,
                         struct sl_error *err)
{
    uint32_t magic;
    int rc;
    if ((rc = sl_sread_u32(in, &magic, err)))
        return rc;
    if (magic != KA_STATE_MAGIC && magic != KA_STATE_MAGIC2)
        return sl_sread_fail(in, err, "not the state of a kafka source");
    *new_format = magic == KA_STATE_MAGIC2;
    const char **names = NULL;
    struct {
        const void *p;
        uint32_t len;
    } *tnames = NULL; /* KAS2: the checkpoint's names, for the error about one */
    uint32_t nt = 1;
    uint8_t bounded;
    if (magic == KA_STATE_MAGIC) { /* KAS1: u32 magic, str topic, u8 bounded, entries */
        const void *tp;
        uint32_t tlen;
        if ((rc = sl_sread_bytes(in, &tp, &tlen, err)) || (rc = sl_sread_u8(in, &bounded, err)))
            return rc;
        if (!(names = calloc(1, sizeof(*names))))
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        if ((rc = ka_state_topic(src, in, tp, tlen, &names[0], err)))
            goto out;
    } else { /* KAS2: u32 magic, u8 bounded, u32 ntopics, str topic..., entries */
        if ((rc = sl_sread_u8(in, &bounded, err)) || (rc = sl_sread_count(in, &nt, 4, err)))
            return rc;
        names = calloc(nt ? nt : 1, sizeof(*names));
        tnames = calloc(nt ? nt : 1, sizeof(*tnames));
        if (!names || !tnames) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        for (uint32_t i = 0; i < nt && !rc; i++) {
            const void *tp;
            uint32_t tlen;
            if (!(rc = sl_sread_bytes(in, &tp, &tlen, err)))
                tnames[i].p = tp, tnames[i].len = tlen;
            if (!rc && ka_state_topic(src, in, tp, tlen, &names[i], err) != 0) {
                names[i] = NULL; /* an error only where an entry names it */
                sl_error_clear(err);
            }
        }
        if (rc)
            goto out;
    }
    if (bounded > 1 || (bounded != 0) != src->bounded) {
        rc = ka_corrupt(in, err,
                        "the checkpoint's source was %s, the table's 'scan.bounded.mode' is "
                        "'%s'",
                        bounded == 1 ? "bounded"
                        : bounded    ? "of unknown mode"
                                     : "unbounded",
                        src->bounded ? sl_table_option(src->base.table, "scan.bounded.mode")
                                     : "unbounded");
        goto out;
    }
    if ((rc = sl_sread_count(in, n, *new_format ? KA_STATE_ENTRY2 : KA_STATE_ENTRY, err)))
        goto out;
    struct sl_kafka_part_state *st = calloc(*n ? *n : 1, sizeof(*st));
    if (!st) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t k = 0; k < *n && !rc; k++) {
        uint32_t ti = 0, part;
        uint8_t done;
        if ((*new_format && (rc = sl_sread_u32(in, &ti, err))) ||
            (rc = sl_sread_u32(in, &part, err)) || (rc = sl_sread_i64(in, &st[k].next, err)) ||
            (rc = sl_sread_i64(in, &st[k].end, err)) || (rc = sl_sread_u8(in, &done, err)))
            break;
        st[k].partition = (int32_t)part;
        st[k].done = done != 0;
        if (ti >= nt) {
            rc = ka_corrupt(
                in, err, "topic number %" PRIu32 " is not in the checkpoint's %" PRIu32 " topics",
                ti, nt);
            break;
        }
        if (!names[ti]) { /* a topic the table no longer reads, with partitions to restore */
            rc = ka_state_topic(src, in, tnames[ti].p, tnames[ti].len, &names[ti], err);
            break;
        }
        const char *topic = st[k].topic = names[ti];
        if (part > INT32_MAX)
            rc = ka_corrupt(in, err, "partition %" PRIu32 " is not a partition", part);
        else if (st[k].next < 0 && st[k].next != SL_KAFKA_OFFSET_EARLIEST)
            rc = ka_corrupt(in, err, "topic '%s' partition %d: offset %" PRId64 " is not valid",
                            topic, (int)part, st[k].next);
        else if (src->bounded ? st[k].end < 0 : st[k].end != -1)
            rc = ka_corrupt(in, err,
                            "topic '%s' partition %d: end offset %" PRId64
                            " does not fit the bounded mode",
                            topic, (int)part, st[k].end);
        else if (done > 1 || (done && !src->bounded))
            rc = ka_corrupt(in, err, "topic '%s' partition %d: done flag %u is not valid", topic,
                            (int)part, (unsigned)done);
        for (uint32_t j = 0; j < k && !rc; j++)
            if (st[j].partition == st[k].partition && st[j].topic == st[k].topic)
                rc = ka_corrupt(in, err, "topic '%s' partition %d is listed twice", topic,
                                (int)part);
    }
    if (!rc)
        rc = sl_sread_end(in, err);
    if (rc) {
        free(st);
        goto out;
    }
    *out = st;
out:
    free(names);
    free(tnames);
    return rc;
}

/* Starts worker ctx->worker's partitions st[0 .. n - 1] at their saved positions; those
 * saved done report split_done once, in partition order, on its next polls. KAS2
 * (new_format): partitions the checkpoint does not list appeared after it was taken and start
 * from their first record (Flink's restored enumerator treats them as discovered); KAS1
 * (written before discovery existed): per the start-up mode, as then. */
static int ka_resume(struct ka_source *src, struct sl_worker_ctx *ctx,
                     const struct sl_kafka_part_state *st, size_t n, bool new_format,
                     struct sl_error *err)
{
    struct ka_worker *w = &src->w[ctx->worker];
    int32_t *report = calloc(n ? n : 1, sizeof(*report));
    if (!report)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int rc = sl_kafka_source_resume(src->ks, ctx->worker, st, n, new_format, err);
    if (rc) {
        free(report);
        return rc;
    }
    uint32_t nr = 0;
    for (size_t k = n; k-- > 0;) /* reported in partition order */
        if (st[k].done)
            report[nr++] = sl_kafka_source_split(src->ks, st[k].topic, st[k].partition);
    free(w->report);
    w->report = report;
    w->nreport = nr;
    return 0;
}

static int ka_restore(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_sread *in,
                      struct sl_error *err)
{
    struct ka_source *src = (struct ka_source *)s;
    struct sl_kafka_part_state *st = NULL;
    uint32_t n;
    bool new_format = false;
    int rc = ka_read_state(src, in, &st, &n, &new_format, err);
    if (!rc)
        rc = ka_resume(src, ctx, st, n, new_format, err);
    free(st);
    return rc;
}

/* Restore at another worker count: every old worker's partitions, of which this worker takes
 * those it reads now (Flink's split owner at the new parallelism). A partition the source
 * does not read any more goes to worker 0, whose resume refuses it, naming it. */
static int ka_rescale(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_sread *in,
                      uint32_t nold, struct sl_error *err)
{
    struct ka_source *src = (struct ka_source *)s;
    struct sl_kafka_part_state *mine = NULL;
    size_t nmine = 0, cap = 0;
    bool new_format = true;
    int rc = 0;
    for (uint32_t j = 0; j < nold && !rc; j++) {
        struct sl_kafka_part_state *st = NULL;
        uint32_t n = 0;
        bool nf = false;
        if ((rc = ka_read_state(src, &in[j], &st, &n, &nf, err)))
            break;
        new_format = new_format && nf;
        for (uint32_t k = 0; k < n && !rc; k++) {
            int owner = sl_kafka_source_worker_of(src->ks, st[k].topic, st[k].partition);
            if (owner != ctx->worker && !(owner < 0 && ctx->worker == 0))
                continue;
            if (nmine == cap) {
                size_t nc = cap ? 2 * cap : 16;
                struct sl_kafka_part_state *g = realloc(mine, nc * sizeof(*g));
                if (!g) {
                    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                    break;
                }
                mine = g;
                cap = nc;
            }
            mine[nmine++] = st[k];
        }
        free(st);
    }
    if (!rc)
        rc = ka_resume(src, ctx, mine, nmine, new_format, err);
    free(mine);
    return rc;
}

/* Projection pushdown: each worker's decoder skips the columns nobody reads. Called once,
 * before any poll, on the thread that builds the job (no worker runs yet). */
static void ka_prune(struct sl_source *s, const bool *needed, uint32_t ncols)
{
    struct ka_source *src = (struct ka_source *)s;
    bool *vneeded = NULL;
    if (src->nmeta || src->nkey) { /* the codec sees the value columns only */
        if (!(vneeded = calloc(src->nval ? src->nval : 1, sizeof(*vneeded))))
            return; /* no pruning: every column decoded, which is always correct */
        for (uint32_t i = 0; i < src->nval; i++)
            vneeded[i] = (uint32_t)src->vidx[i] < ncols && needed[src->vidx[i]];
        needed = vneeded;
        ncols = src->nval;
    }
    for (int i = 0; i < src->nworkers; i++)
        sl_conn_codec_prune(&src->w[i].codec, needed, ncols);
    free(vneeded);
}

/* The committed epoch's positions to the consumer group (Flink's KafkaSource commits on a
 * completed checkpoint the same way): for Kafka's tools, never read back by sluice. */
static void ka_committed(struct sl_source *s, uint64_t epoch, FILE *log)
{
    struct ka_source *src = (struct ka_source *)s;
    if (!src->commit_group)
        return;
    size_t n = 0;
    for (int i = 0; i < src->nworkers; i++)
        n += src->w[i].nsaved;
    struct sl_kafka_offset *all = malloc((n ? n : 1) * sizeof(*all));
    struct sl_error err;
    sl_error_clear(&err);
    int rc = all ? 0 : sl_error_set(&err, SL_ENOMEM, "out of memory");
    for (int i = 0, k = 0; all && i < src->nworkers; i++)
        for (size_t j = 0; j < src->w[i].nsaved; j++)
            all[k++] = src->w[i].saved[j];
    if (!rc)
        rc = sl_kafka_source_commit_offsets(src->ks, all, n, &err);
    if (rc && log)
        fprintf(log, "\nsluice: table '%s': epoch %llu: %s (the job goes on)\n",
                src->base.table->name, (unsigned long long)epoch, err.msg);
    free(all);
}

/* Consumer lag for the metrics: the source's next offsets and librdkafka's cached high
 * watermarks (sl_kafka_source_lag; any thread). */
static void ka_lag(struct sl_source *s,
                   void (*emit)(void *arg, const char *topic, int32_t split, int64_t next,
                                int64_t end),
                   void *arg)
{
    struct ka_source *src = (struct ka_source *)s;
    sl_kafka_source_lag(src->ks, emit, arg);
}

static const struct sl_source_ops ka_source_ops = {.poll = ka_poll,
                                                   .lag = ka_lag,
                                                   .committed = ka_committed,
                                                   .splits = ka_splits,
                                                   .free = ka_free,
                                                   .prune = ka_prune,
                                                   .save = ka_save,
                                                   .restore = ka_restore,
                                                   .rescale = ka_rescale,
                                                   .set_waker = ka_set_waker};

#define KA_MAX_OFFSETS 1024

int sl_conn_kafka_source(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                         struct sl_source **out, struct sl_error *err)
{
    int rc = sl_conn_check_options(t, env, ka_keys, ka_prefixes, err);
    if (rc)
        return rc;
    struct sl_kafka_source_config cfg = {0};
    const char *list = NULL;
    int64_t interval_ms = 0;
    if ((rc = ka_topics_check(t, env, &cfg, &list, &interval_ms, err)))
        return rc;
    const struct sl_option *o = sl_conn_opt(t, "scan.startup.mode");
    cfg.startup = SL_KAFKA_START_EARLIEST;
    struct sl_error e;
    sl_error_clear(&e);
    if (o && (rc = sl_kafka_startup_parse(o->value, &cfg.startup, &e)))
        return sl_conn_err_at(env, t, o->pos, err, rc, "option 'scan.startup.mode': %s", e.msg);
    if (cfg.startup == SL_KAFKA_START_GROUP && !sl_conn_opt(t, "properties.group.id"))
        return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                              "'scan.startup.mode' = 'group-offsets' needs the option "
                              "'properties.group.id' (the consumer group whose committed "
                              "offsets to start from)");
    struct sl_kafka_offset *offs = NULL;
    o = sl_conn_opt(t, "scan.startup.specific-offsets");
    if (cfg.startup == SL_KAFKA_START_SPECIFIC) {
        if (!o)
            return sl_conn_err_at(env, t, sl_conn_opt(t, "scan.startup.mode")->pos, err, SL_EINVAL,
                                  "'scan.startup.mode' = 'specific-offsets' needs the option "
                                  "'scan.startup.specific-offsets'");
        if (!cfg.topic) /* Flink: "only supports specific offset for single topic" */
            return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                                  "'scan.startup.specific-offsets' names partitions of one "
                                  "topic: it needs a single 'topic' (as Flink's, which supports "
                                  "specific offsets for a single topic only)");
        offs = malloc(KA_MAX_OFFSETS * sizeof(*offs));
        if (!offs)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        if ((rc = sl_kafka_parse_specific_offsets(o->value, offs, KA_MAX_OFFSETS, &cfg.noffsets,
                                                  &e))) {
            free(offs);
            return sl_conn_err_at(env, t, o->pos, err, rc,
                                  "option 'scan.startup.specific-offsets': %s", e.msg);
        }
        cfg.offsets = offs;
    } else if (o) {
        return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                              "option 'scan.startup.specific-offsets' needs "
                              "'scan.startup.mode' = 'specific-offsets'");
    }
    o = sl_conn_opt(t, "scan.startup.timestamp-millis");
    if (cfg.startup == SL_KAFKA_START_TIMESTAMP && !o) {
        free(offs);
        return sl_conn_err_at(env, t, sl_conn_opt(t, "scan.startup.mode")->pos, err, SL_EINVAL,
                              "'scan.startup.mode' = 'timestamp' needs the option "
                              "'scan.startup.timestamp-millis'");
    }
    if (o && cfg.startup != SL_KAFKA_START_TIMESTAMP) {
        free(offs);
        return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                              "option 'scan.startup.timestamp-millis' needs "
                              "'scan.startup.mode' = 'timestamp'");
    }
    if ((rc = sl_conn_opt_i64(t, env, "scan.startup.timestamp-millis", 0, 0, INT64_MAX,
                              &cfg.timestamp_ms, err))) {
        free(offs);
        return rc;
    }
    static const char *const bounded_modes[] = {"unbounded", "latest-offset", "specific-offsets",
                                                NULL};
    int bm = 0;
    if ((rc = sl_conn_opt_choice(t, env, "scan.bounded.mode", bounded_modes, 0, &bm, err))) {
        free(offs);
        return rc;
    }
    cfg.bounded = bm != 0;
    struct sl_kafka_offset *ends = NULL;
    o = sl_conn_opt(t, "scan.bounded.specific-offsets");
    if (bm == 2) {
        if (!o) {
            free(offs);
            return sl_conn_err_at(env, t, sl_conn_opt(t, "scan.bounded.mode")->pos, err, SL_EINVAL,
                                  "'scan.bounded.mode' = 'specific-offsets' needs the option "
                                  "'scan.bounded.specific-offsets'");
        }
        if (!cfg.topic) {
            free(offs);
            return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                                  "'scan.bounded.specific-offsets' names partitions of one "
                                  "topic: it needs a single 'topic' (as Flink's, which supports "
                                  "specific offsets for a single topic only)");
        }
        ends = malloc(KA_MAX_OFFSETS * sizeof(*ends));
        if (!ends) {
            free(offs);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        if ((rc = sl_kafka_parse_specific_offsets(o->value, ends, KA_MAX_OFFSETS, &cfg.nend_offsets,
                                                  &e))) {
            free(offs);
            free(ends);
            return sl_conn_err_at(env, t, o->pos, err, rc,
                                  "option 'scan.bounded.specific-offsets': %s", e.msg);
        }
        cfg.end_offsets = ends;
    } else if (o) {
        free(offs);
        return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                              "option 'scan.bounded.specific-offsets' needs "
                              "'scan.bounded.mode' = 'specific-offsets'");
    }
    struct ka_source *src = calloc(1, sizeof(*src));
    if (!src) {
        free(offs);
        free(ends);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    src->base.ops = &ka_source_ops;
    src->base.table = t;
    src->nworkers = nworkers;
    src->bounded = cfg.bounded;
    struct ka_props pr;
    sl_error_clear(&e);
    if (list && (rc = ka_topics_split(list, &src->topics, &e))) {
        rc = sl_conn_err_at(env, t, sl_conn_opt(t, "topic")->pos, err, rc, "option 'topic': %s",
                            e.msg);
        goto out_free;
    }
    if (src->topics.n == 1)
        cfg.topic = src->topics.names[0];
    else if (src->topics.n > 1) {
        cfg.topics = (const char *const *)src->topics.names;
        cfg.ntopics = src->topics.n;
    }
    cfg.discovery_interval_ms = interval_ms;
    if ((rc = sl_conn_fmtspec_parse(t, env, &src->spec, err)) ||
        (rc = ka_props_build(t, env, &pr, err)))
        goto out_free;
    src->schema = sl_plan_rel_schema(&t->physical);
    src->w = calloc((size_t)nworkers, sizeof(*src->w));
    src->vidx = calloc(t->physical.ncols ? t->physical.ncols : 1, sizeof(*src->vidx));
    if (!src->schema || !src->w || !src->vidx) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_props;
    }
    if ((rc = ka_meta_resolve(t, env, false, src->meta, &src->nmeta, src->vidx, &src->nval, err)))
        goto out_props;
    struct ka_keyspec ks;
    if ((rc = ka_keyspec_parse(t, env, src->schema, &ks, err)))
        goto out_props;
    if (ks.n && ks.except_key) { /* the value: neither metadata nor key columns */
        src->kidx = ks.idx;
        src->nkey = ks.n;
        src->kspec = src->spec;
        src->kspec.format = ks.format;
        uint32_t nv = 0;
        for (uint32_t i = 0; i < src->nval; i++) {
            bool key = false;
            for (uint32_t k = 0; k < ks.n; k++)
                key |= ks.idx[k] == src->vidx[i];
            if (!key)
                src->vidx[nv++] = src->vidx[i];
        }
        src->nval = nv;
        if (!(src->kschema = ka_key_schema(src->schema, &ks))) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out_props;
        }
    } else {
        free(ks.idx); /* ALL: the value holds every column, and its fields win (as Flink) */
    }
    if ((src->nmeta || src->nkey) &&
        !(src->vschema = ka_subschema(src->schema, src->vidx, src->nval))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_props;
    }
    if (src->spec.policy == SL_BADREC_DEAD_LETTER &&
        (rc = sl_conn_dlq_open(&src->dlq, src->spec.dead_letter_path, err)))
        goto out_props;
    for (int i = 0; i < nworkers; i++) {
        struct ka_worker *w = &src->w[i];
        sl_error_clear(&e);
        if ((rc = sl_conn_codec_init(&w->codec, &src->spec,
                                     src->vschema ? src->vschema : src->schema, &e))) {
            rc = sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
            goto out_props;
        }
        sl_conn_badrec_init(&w->bad, &src->spec, &src->dlq);
        if ((src->nmeta || src->nkey) &&
            (!(w->vcols = calloc(src->nval ? src->nval : 1, sizeof(*w->vcols))) ||
             !(w->kcols = calloc(src->nkey ? src->nkey : 1, sizeof(*w->kcols))))) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out_props;
        }
        sl_error_clear(&e);
        if (src->nkey && (rc = sl_conn_codec_init(&w->kcodec, &src->kspec, src->kschema, &e))) {
            rc = sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
            goto out_props;
        }
        if (!(w->recs = malloc(SL_BATCH_CAP * sizeof(*w->recs)))) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out_props;
        }
    }
    cfg.bootstrap = pr.bootstrap;
    cfg.offset_reset = pr.offset_reset;
    cfg.group_id = pr.group_id;
    /* as Flink's source: with a group and checkpoints, each committed epoch's offsets go to
     * the group ('properties.commit.offsets.on.checkpoint' = 'false' turns it off) */
    src->commit_group = pr.group_id && env && env->checkpoints &&
                        !(pr.commit_on_ckpt && strcmp(pr.commit_on_ckpt, "false") == 0);
    cfg.nworkers = nworkers;
    cfg.props = pr.p;
    cfg.nprops = pr.n;
    for (uint32_t i = 0; i < src->nmeta; i++)
        cfg.headers |= src->meta[i].kind == KA_META_HEADERS;
    sl_error_clear(&e);
    if ((rc = sl_kafka_source_new(&cfg, &src->ks, &e))) {
        rc = sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
        goto out_props;
    }
    for (int i = 0; i < nworkers; i++) {
        struct ka_worker *w = &src->w[i];
        size_t np = 0;
        sl_kafka_source_splits(src->ks, i, NULL, 0, &np);
        w->parts = calloc(np ? np : 1, sizeof(*w->parts));
        if (!w->parts) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out_props;
        }
        sl_kafka_source_splits(src->ks, i, w->parts, np, &np);
        w->nparts = (uint32_t)np;
    }
    ka_props_free(&pr);
    free(offs);
    free(ends);
    *out = &src->base;
    return 0;
out_props:
    ka_props_free(&pr);
out_free:
    free(offs);
    free(ends);
    ka_free(&src->base);
    return rc;
}

/* ---- sink ---------------------------------------------------------------------------------- */

struct ka_part {
    struct sl_kafka_sink *ks;           /* at-least-once / none; NULL with a transaction */
    uint64_t epoch;                     /* exactly-once: the epoch its rows belong to */
    uint64_t rr;                        /* exactly-once round robin */
    int32_t *parts;                     /* exactly-once: each record's partition */
    const struct sl_connector_env *env; /* on_delivered */
    int worker;
    struct sl_conn_codec vcodec, kcodec;
    struct sl_fmt_out vout, kout;
    struct sl_record *recs;
    struct sl_column *kcols, *vcols; /* shallow column views (key; value with EXCEPT_KEY) */
    sl_sel_t *usel;                  /* upsert: the rows written (all but -U) */
};

/* The job's one transaction per epoch, shared by its exactly-once sink tables
 * (env->shared->kafka_txn; io/kafka_txn.h). */
struct ka_txn_shared {
    struct sl_kafka_txn *txn; /* opened by the leader (ka_txn_open), NULL before */
    char *prefix, *bootstrap, *job;
    struct ka_props props;
    int refs;
};

struct ka_sink {
    struct sl_sink base;
    int nworkers;
    int part_mode;                 /* 0 key hash (default), 1 round robin, 2 fixed */
    bool at_prepare_flush;         /* at-least-once: prepare waits for deliveries */
    struct sl_conn_shared *shared; /* exactly-once: where the ka_txn_shared is */
    struct ka_txn_shared *txs;     /* exactly-once, else NULL */
    char *topic;                   /* exactly-once: registered in txs->txn when opened */
    int topic_id;                  /* in txs->txn, -1 before */
    int32_t npartitions;
    struct sl_schema *schema, *kschema, *vschema; /* kschema / vschema: NULL if unused */
    uint32_t nkey, nval;
    int *key_idx, *val_idx;
    int ts_col;  /* the 'timestamp' metadata column: each record's timestamp, else -1 */
    int hdr_col; /* the 'headers' metadata column: each record's headers, else -1 */
    bool upsert; /* 'upsert-kafka': -U rows dropped, -D rows written as tombstones */
    struct ka_part *p;
};

/* A view of some columns of `b` (no copy): the encoders read only rows, sel and cols. */
static void ka_view(const struct sl_batch *b, struct sl_batch *v, struct sl_column *cols,
                    const int *idx, uint32_t n, const struct sl_schema *schema)
{
    *v = *b;
    for (uint32_t i = 0; i < n; i++)
        cols[i] = b->cols[idx[i]];
    v->cols = cols;
    v->ncols = n;
    v->schema = schema;
}

static int ka_sink_write(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_batch *b,
                         struct sl_error *err)
{
    struct ka_sink *s = (struct ka_sink *)sk;
    struct ka_part *p = &s->p[ctx->worker];
    uint32_t n = sl_batch_active(b);
    struct sl_batch ub;
    if (s->upsert && b->kind) { /* upsert: an update is its +U alone, -U rows are dropped */
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t row = b->sel ? b->sel[i] : i;
            p->usel[m] = (sl_sel_t)row;
            m += b->kind[row] != SL_ROW_UPDATE_BEFORE;
        }
        ub = *b;
        ub.sel = p->usel;
        ub.nsel = n = m;
        b = &ub;
    }
    if (!n)
        return 0;
    sl_fmt_out_clear(&p->vout);
    sl_fmt_out_clear(&p->kout);
    int rc;
    if (s->vschema) {
        struct sl_batch v;
        ka_view(b, &v, p->vcols, s->val_idx, s->nval, s->vschema);
        rc = sl_conn_codec_encode(&p->vcodec, &v, &p->vout, err);
    } else {
        rc = sl_conn_codec_encode(&p->vcodec, b, &p->vout, err);
    }
    if (!rc && s->kschema) {
        struct sl_batch k;
        ka_view(b, &k, p->kcols, s->key_idx, s->nkey, s->kschema);
        rc = sl_conn_codec_encode(&p->kcodec, &k, &p->kout, err);
    }
    if (rc)
        return rc;
    for (uint32_t i = 0; i < n; i++) {
        int64_t ts = 0; /* 0: Kafka stamps the record */
        if (s->ts_col >= 0) {
            uint32_t row = b->sel ? b->sel[i] : i;
            struct sl_column *c = &b->cols[s->ts_col];
            if (!sl_col_is_null(c, row))
                ts = sl_col_i64(c)[row];
            if (ts < 0) { /* as Kafka's ProducerRecord, which Flink's sink fails on */
                char text[SL_DT_TEXT_MAX + 1];
                text[sl_dt_format(text, ts, SL_DT_SQL)] = 0;
                return sl_error_set(err, SL_EINVAL,
                                    "Kafka sink table '%s': metadata 'timestamp' %s is before "
                                    "1970-01-01: Kafka record timestamps are not negative",
                                    s->base.table->name, text);
            }
        }
        p->recs[i] = (struct sl_record){.topic = "",
                                        .partition = -1,
                                        .offset = -1,
                                        .timestamp = ts,
                                        .value = sl_fmt_out_rec(&p->vout, i),
                                        .value_len = sl_fmt_out_rec_len(&p->vout, i)};
        if (s->kschema) {
            p->recs[i].key = sl_fmt_out_rec(&p->kout, i);
            p->recs[i].key_len = sl_fmt_out_rec_len(&p->kout, i);
        }
        if (s->upsert && sl_batch_kind(b, b->sel ? b->sel[i] : i) == SL_ROW_DELETE) {
            p->recs[i].value = NULL; /* a tombstone: the key's row is gone */
            p->recs[i].value_len = 0;
        }
        if (s->hdr_col >= 0) { /* a NULL map: no headers */
            uint32_t row = b->sel ? b->sel[i] : i;
            struct sl_column *c = &b->cols[s->hdr_col];
            if (!sl_col_is_null(c, row)) {
                const sl_str *h = &sl_col_str(c)[row];
                p->recs[i].headers = sl_str_data(h);
                p->recs[i].headers_len = h->len;
            }
        }
    }
    if (s->txs) {
        for (uint32_t i = 0; i < n; i++)
            p->parts[i] = s->part_mode == 0   ? -1 /* RD_KAFKA_PARTITION_UA: murmur2 */
                          : s->part_mode == 1 ? (int32_t)(p->rr++ % (uint64_t)s->npartitions)
                                              : (int32_t)(p->worker % s->npartitions);
        rc = sl_kafka_txn_write(s->txs->txn, p->epoch, s->topic_id, p->recs, p->parts, n, err);
    } else {
        rc = sl_kafka_sink_write(p->ks, p->recs, n, err);
    }
    if (rc)
        return rc;
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        bytes += p->recs[i].key_len + p->recs[i].value_len;
    sl_stats_add(&ctx->stats->rows_out, n);
    sl_stats_add(&ctx->stats->bytes_out, bytes);
    return 0;
}

static void ka_sink_delivered(void *arg, const void *value, size_t len)
{
    struct ka_part *p = arg;
    p->env->on_delivered(p->env->on_delivered_arg, p->worker, value, len);
}

static void ka_sink_set_waker(struct sl_sink *sk, int worker, void (*wake)(void *), void *arg)
{
    struct ka_sink *s = (struct ka_sink *)sk;
    if (s->p[worker].ks)
        sl_kafka_sink_set_waker(s->p[worker].ks, wake, arg);
}

static int ka_sink_poll(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct ka_sink *s = (struct ka_sink *)sk;
    return s->p[ctx->worker].ks ? sl_kafka_sink_poll(s->p[ctx->worker].ks, err) : 0;
}

static int ka_sink_flush(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct ka_sink *s = (struct ka_sink *)sk;
    /* exactly-once: the epoch's transaction is flushed and committed by the checkpoint */
    return s->p[ctx->worker].ks ? sl_kafka_sink_flush(s->p[ctx->worker].ks, 60000, err) : 0;
}

static int ka_sink_close(struct sl_sink *sk, struct sl_error *err)
{
    (void)sk;
    (void)err;
    return 0; /* each worker's flush waited for its deliveries */
}

static void ka_sink_free(struct sl_sink *sk)
{
    struct ka_sink *s = (struct ka_sink *)sk;
    if (!s)
        return;
    for (int i = 0; s->p && i < s->nworkers; i++) {
        struct ka_part *p = &s->p[i];
        sl_kafka_sink_free(p->ks, 5000);
        free(p->parts);
        sl_conn_codec_destroy(&p->vcodec);
        sl_conn_codec_destroy(&p->kcodec);
        sl_fmt_out_free(&p->vout);
        sl_fmt_out_free(&p->kout);
        free(p->recs);
        free(p->kcols);
        free(p->vcols);
        free(p->usel);
    }
    free(s->p);
    if (s->txs && --s->txs->refs == 0) { /* the job's last exactly-once table */
        sl_kafka_txn_free(s->txs->txn);  /* aborts an epoch that did not commit */
        ka_props_free(&s->txs->props);
        free(s->txs->prefix);
        free(s->txs->bootstrap);
        free(s->txs->job);
        free(s->txs);
        s->shared->kafka_txn = NULL;
    }
    free(s->topic);
    free(s->key_idx);
    free(s->val_idx);
    sl_schema_free(s->schema);
    sl_schema_free(s->kschema);
    sl_schema_free(s->vschema);
    free(s);
}

/* Checkpoint barrier: every record of this worker written so far is delivered (at least
 * once: the records after the checkpoint are written again by a restored job). */
static int ka_sink_prepare(struct sl_sink *sk, struct sl_worker_ctx *ctx, uint64_t epoch,
                           struct sl_error *err)
{
    struct ka_sink *s = (struct ka_sink *)sk;
    if (s->txs) { /* exactly-once: this worker's later rows go into the next epoch */
        s->p[ctx->worker].epoch = epoch + 1;
        return 0;
    }
    return s->at_prepare_flush ? ka_sink_flush(sk, ctx, err) : 0;
}

/* ---- exactly-once (io/kafka_txn.h; docs/checkpoint-protocol.md) ---- */

/* Opens the job's transactional producers (init_transactions fences older ones: only the
 * leader may) and registers this table's topic. */
static int ka_txn_open(struct ka_sink *s, struct sl_error *err)
{
    struct ka_txn_shared *x = s->txs;
    int rc = 0;
    if (!x->txn) {
        struct sl_kafka_txn_config cfg = {.bootstrap = x->bootstrap,
                                          .prefix = x->prefix,
                                          .job = x->job,
                                          .props = x->props.p,
                                          .nprops = x->props.n};
        if ((rc = sl_kafka_txn_new(&cfg, &x->txn, err)))
            return rc;
    }
    if (s->topic_id < 0)
        rc = sl_kafka_txn_topic(x->txn, s->topic, &s->topic_id, &s->npartitions, err);
    return rc;
}

static int ka_sink_begin(struct sl_sink *sk, uint64_t epoch, struct sl_error *err)
{
    struct ka_sink *s = (struct ka_sink *)sk;
    int rc = ka_txn_open(s, err);
    for (int i = 0; !rc && i < s->nworkers; i++)
        s->p[i].epoch = epoch;
    return rc;
}

static int ka_sink_precommit(struct sl_sink *sk, uint64_t epoch, struct sl_error *err)
{
    struct ka_sink *s = (struct ka_sink *)sk;
    return sl_kafka_txn_flush(s->txs->txn, epoch, 60000, err);
}

static int ka_sink_commit_txn(struct sl_sink *sk, uint64_t epoch, struct sl_error *err)
{
    struct ka_sink *s = (struct ka_sink *)sk;
    sl_crash_point("kafka_sink.before_txn_commit");
    /* one transaction for every table: the first table's call commits it */
    return sl_kafka_txn_commit(s->txs->txn, epoch, err);
}

static int ka_sink_resolve(struct sl_sink *sk, uint64_t epoch, bool *committed,
                           struct sl_error *err)
{
    struct ka_sink *s = (struct ka_sink *)sk;
    int rc = ka_txn_open(s, err);
    return rc ? rc : sl_kafka_txn_resolve(s->txs->txn, epoch, committed, err);
}

static const struct sl_sink_ops ka_sink_ops = {.write = ka_sink_write,
                                               .flush = ka_sink_flush,
                                               .close = ka_sink_close,
                                               .free = ka_sink_free,
                                               .prepare = ka_sink_prepare,
                                               .set_waker = ka_sink_set_waker,
                                               .poll = ka_sink_poll};

static const struct sl_sink_ops ka_txn_sink_ops = {.write = ka_sink_write,
                                                   .flush = ka_sink_flush,
                                                   .close = ka_sink_close,
                                                   .free = ka_sink_free,
                                                   .prepare = ka_sink_prepare,
                                                   .begin = ka_sink_begin,
                                                   .precommit = ka_sink_precommit,
                                                   .commit_txn = ka_sink_commit_txn,
                                                   .resolve = ka_sink_resolve};

/* The transactional timeout the producers will have ('properties.transaction.timeout.ms',
 * else librdkafka's default, 60 s). */
static int64_t ka_txn_timeout_ms(const struct ka_props *pr)
{
    int64_t v = 60000;
    for (size_t i = 0; i < pr->n; i++)
        if (!strncmp(pr->p[i], "transaction.timeout.ms=", 23)) {
            char *end;
            long long x = strtoll(pr->p[i] + 23, &end, 10);
            v = *end || end == pr->p[i] + 23 ? -1 : x; /* -1: not a number of ms */
        }
    return v;
}

/* Exactly-once: joins the job's transaction (opened later, by the leader: ka_txn_open). */
static int ka_txn_attach(struct ka_sink *s, const struct sl_table *t,
                         const struct sl_connector_env *env, const char *topic,
                         const struct ka_props *pr, struct sl_error *err)
{
    const struct sl_option *g = sl_conn_opt(t, "sink.delivery-guarantee");
    if (!env || !env->checkpoints || !env->shared || !env->job_id)
        return sl_conn_err_at(env, t, g->pos, err, SL_EINVAL,
                              "'sink.delivery-guarantee' = 'exactly-once' needs checkpoints: "
                              "each epoch's rows are one Kafka transaction, committed with "
                              "the epoch (give a state directory: --state-dir or SET "
                              "'execution.checkpointing.dir')");
    const char *prefix;
    int rc = sl_conn_opt_required(t, env, "sink.transactional-id-prefix", &prefix, err);
    if (rc)
        return rc;
    int64_t tmo = ka_txn_timeout_ms(pr);
    if (tmo < 0)
        return sl_conn_err_at(env, t, g->pos, err, SL_EINVAL,
                              "'properties.transaction.timeout.ms' is not a number of "
                              "milliseconds");
    if (tmo < 2 * env->checkpoint_interval_ms)
        return sl_conn_err_at(env, t, g->pos, err, SL_EINVAL,
                              "'properties.transaction.timeout.ms' is %lld ms, less than twice "
                              "the checkpoint interval (%lld ms): an epoch's transaction stays "
                              "open from the first row after one checkpoint until the commit "
                              "after the next; raise it (the broker caps it at its "
                              "transaction.max.timeout.ms, 15 min by default)",
                              (long long)tmo, (long long)env->checkpoint_interval_ms);
    struct ka_txn_shared *x = env->shared->kafka_txn;
    bool same_props = x && x->props.n == pr->n;
    for (size_t i = 0; same_props && i < pr->n; i++)
        same_props = strcmp(x->props.p[i], pr->p[i]) == 0;
    if (x && !same_props)
        return sl_conn_err_at(env, t, g->pos, err, SL_EINVAL,
                              "every exactly-once Kafka sink of a job writes through the same "
                              "transactional producers: give them the same 'properties.*' "
                              "(another table's differ)");
    if (x && (strcmp(x->prefix, prefix) != 0 || strcmp(x->bootstrap, pr->bootstrap) != 0))
        return sl_conn_err_at(env, t, sl_conn_opt(t, "sink.transactional-id-prefix")->pos, err,
                              SL_EINVAL,
                              "every exactly-once Kafka sink of a job writes into one "
                              "transaction per epoch: give them the same cluster and "
                              "'sink.transactional-id-prefix' (another table has '%s' at %s)",
                              x->prefix, x->bootstrap);
    if (!x) {
        if (!(x = calloc(1, sizeof(*x))) || !(x->prefix = strdup(prefix)) ||
            !(x->bootstrap = strdup(pr->bootstrap)) || !(x->job = strdup(env->job_id))) {
            if (x) {
                free(x->prefix);
                free(x->bootstrap);
                free(x);
            }
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        for (size_t i = 0; !rc && i < pr->n; i++)
            rc = ka_props_add(&x->props, pr->p[i], t, env, SIZE_MAX, err);
        if (rc) {
            ka_props_free(&x->props);
            free(x->prefix);
            free(x->bootstrap);
            free(x->job);
            free(x);
            return rc;
        }
        env->shared->kafka_txn = x;
    }
    x->refs++;
    s->txs = x;
    s->shared = env->shared;
    s->topic_id = -1;
    if (!(s->topic = strdup(topic)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    return 0;
}

/* 'key.fields' ('a;b') into s->key_idx and the key format's schema (prefix stripped), and
 * the value columns with EXCEPT_KEY; *format: the key format. */
static int ka_key_fields(struct ka_sink *s, const struct sl_table *t,
                         const struct sl_connector_env *env, enum sl_conn_format *format,
                         struct sl_error *err)
{
    struct ka_keyspec ks;
    int rc = ka_keyspec_parse(t, env, s->schema, &ks, err);
    if (rc || !ks.n)
        return rc;
    s->key_idx = ks.idx;
    s->nkey = ks.n;
    *format = ks.format;
    if (!(s->kschema = ka_key_schema(s->schema, &ks)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (!ks.except_key)
        return 0;
    uint32_t nc = s->schema->ncols;
    if (!(s->val_idx = calloc(nc ? nc : 1, sizeof(int))))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < nc; i++) {
        bool key = false;
        for (uint32_t k = 0; k < s->nkey; k++)
            key |= s->key_idx[k] == (int)i;
        if (!key)
            s->val_idx[s->nval++] = (int)i;
    }
    if (!(s->vschema = ka_subschema(s->schema, s->val_idx, s->nval)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    return 0;
}

/* Metadata columns of a sink table: 'timestamp' sets each record's timestamp, and no
 * metadata column is in the value (nor in the key). */
static int ka_sink_meta(struct ka_sink *s, const struct sl_table *t,
                        const struct sl_connector_env *env, struct sl_error *err)
{
    s->ts_col = -1;
    s->hdr_col = -1;
    if (!t->nmeta)
        return 0;
    struct ka_meta meta[KA_META_MAX];
    uint32_t nmeta, nrest;
    uint32_t nc = s->schema->ncols;
    int *rest = calloc(nc ? nc : 1, sizeof(int));
    if (!rest)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int rc = ka_meta_resolve(t, env, true, meta, &nmeta, rest, &nrest, err);
    for (uint32_t i = 0; !rc && i < nmeta; i++) {
        if (meta[i].is_virtual)
            ; /* read only: not written */
        else if (meta[i].kind == KA_META_HEADERS)
            s->hdr_col = (int)meta[i].col;
        else
            s->ts_col = (int)meta[i].col; /* 'timestamp', the other writable one */
        for (uint32_t k = 0; !rc && k < s->nkey; k++)
            if (s->key_idx[k] == (int)meta[i].col)
                rc = sl_conn_err_at(env, t, t->meta[0].pos, err, SL_EINVAL,
                                    "option 'key.fields': '%s' is a metadata column",
                                    s->schema->fields[meta[i].col].name);
    }
    if (!rc) { /* the value: every column but the metadata ones (and, EXCEPT_KEY, the key) */
        uint32_t nv = 0;
        for (uint32_t i = 0; i < nrest; i++) {
            bool key = false;
            for (uint32_t k = 0; s->vschema && k < s->nkey; k++)
                key |= s->key_idx[k] == rest[i];
            if (!key)
                rest[nv++] = rest[i];
        }
        sl_schema_free(s->vschema);
        free(s->val_idx);
        s->val_idx = rest;
        s->nval = nv;
        rest = NULL;
        if (!(s->vschema = ka_subschema(s->schema, s->val_idx, s->nval)))
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    free(rest);
    return rc;
}

/* The 'upsert-kafka' table's checks (Flink's UpsertKafkaDynamicTableFactory, its words). */
static int ka_upsert_check(const struct sl_table *t, const struct sl_connector_env *env,
                           const struct sl_conn_fmtspec *spec, struct sl_error *err)
{
    if (!t->npk)
        return sl_conn_err_at(env, t, SIZE_MAX, err, SL_EINVAL,
                              "'upsert-kafka' tables require to define a PRIMARY KEY constraint. "
                              "The PRIMARY KEY specifies which columns should be read from or "
                              "write to the Kafka message key. The PRIMARY KEY also defines "
                              "records in the 'upsert-kafka' table should update or delete on "
                              "which keys.");
    if (spec->format == SL_CONN_DEBEZIUM_JSON) {
        const struct sl_option *o = sl_conn_opt(t, "value.format");
        return sl_conn_err_at(env, t, o ? o->pos : SIZE_MAX, err, SL_EINVAL,
                              "'upsert-kafka' connector doesn't support '%s' as value format, "
                              "because '%s' is not in insert-only mode.",
                              o->value, o->value);
    }
    return 0;
}

static int ka_sink_open(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                        bool upsert, struct sl_sink **out, struct sl_error *err)
{
    int rc = sl_conn_check_options(t, env, upsert ? upk_keys : ka_keys, ka_prefixes, err);
    if (rc)
        return rc;
    if (upsert && !sl_conn_opt(t, "value.format")) /* Flink's required options */
        return sl_conn_err_at(env, t, SIZE_MAX, err, SL_EINVAL,
                              "connector 'upsert-kafka' needs the option 'value.format' (the "
                              "format of the message value)");
    const char *topic;
    const struct sl_option *pat = sl_conn_opt(t, "topic-pattern");
    if (pat)
        return sl_conn_err_at(env, t, pat->pos, err, SL_EINVAL,
                              "a Kafka sink writes one topic: 'topic-pattern' is for sources "
                              "(Flink's sink takes a single 'topic' only)");
    if ((rc = sl_conn_opt_required(t, env, "topic", &topic, err)))
        return rc;
    if (strchr(topic, ';'))
        return sl_conn_err_at(env, t, sl_conn_opt(t, "topic")->pos, err, SL_EINVAL,
                              "a Kafka sink writes one topic, but 'topic' = '%s' is a list "
                              "(Flink's sink takes a single topic only)",
                              topic);
    static const char *const parts[] = {"default", "round-robin", "fixed", NULL};
    int part = 0;
    if ((rc = sl_conn_opt_choice(t, env, "sink.partitioner", parts, 0, &part, err)))
        return rc;
    static const char *const guarantees[] = {"at-least-once", "exactly-once", "none", NULL};
    int guarantee = 0;
    if ((rc =
             sl_conn_opt_choice(t, env, "sink.delivery-guarantee", guarantees, 0, &guarantee, err)))
        return rc;
    struct ka_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    s->upsert = upsert;
    s->base.ops = guarantee == 1 ? &ka_txn_sink_ops : &ka_sink_ops;
    s->part_mode = part;
    s->at_prepare_flush = guarantee == 0;
    s->base.table = t;
    s->nworkers = nworkers;
    struct sl_conn_fmtspec spec, kspec;
    struct ka_props pr = {0};
    if ((rc = sl_conn_fmtspec_parse(t, env, &spec, err)) ||
        (rc = sl_conn_fmtspec_sink_check(t, env, &spec, err)) ||
        (upsert && (rc = ka_upsert_check(t, env, &spec, err))))
        goto out_free;
    /* a bad-record policy is about decoding: harmless on a sink, as in Flink */
    if (!(s->schema = sl_plan_rel_schema(&t->physical))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    kspec = spec;
    if ((rc = ka_key_fields(s, t, env, &kspec.format, err)) || (rc = ka_sink_meta(s, t, env, err)))
        goto out_free;
    if ((rc = ka_props_build(t, env, &pr, err)) || (rc = ka_sink_job_props(t, env, &pr, err)))
        goto out_props;
    struct sl_kafka_sink_config cfg = {.bootstrap = pr.bootstrap,
                                       .topic = topic,
                                       .partitioner = part == 0   ? SL_KAFKA_PART_KEY_HASH
                                                      : part == 1 ? SL_KAFKA_PART_ROUND_ROBIN
                                                                  : SL_KAFKA_PART_FIXED,
                                       .props = pr.p,
                                       .nprops = pr.n};
    int32_t count = 0;
    struct sl_error e;
    sl_error_clear(&e);
    if (part == 2 && guarantee != 1 &&
        (rc =
             sl_kafka_topic_partitions(pr.bootstrap, topic, pr.p, pr.n, 10000, true, &count, &e))) {
        rc = sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
        goto out_props;
    }
    s->p = calloc((size_t)nworkers, sizeof(*s->p));
    if (!s->p) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_props;
    }
    if (guarantee == 1 && (rc = ka_txn_attach(s, t, env, topic, &pr, err)))
        goto out_props;
    for (int i = 0; i < nworkers; i++) {
        struct ka_part *p = &s->p[i];
        sl_fmt_out_init(&p->vout);
        sl_fmt_out_init(&p->kout);
        p->recs = malloc(SL_BATCH_CAP * sizeof(*p->recs));
        p->kcols = calloc(s->schema->ncols ? s->schema->ncols : 1, sizeof(*p->kcols));
        p->vcols = calloc(s->schema->ncols ? s->schema->ncols : 1, sizeof(*p->vcols));
        p->usel = malloc(SL_BATCH_CAP * sizeof(*p->usel));
        if (!p->recs || !p->kcols || !p->vcols || !p->usel) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out_props;
        }
        sl_error_clear(&e);
        if ((rc = sl_conn_codec_init(&p->vcodec, &spec, s->vschema ? s->vschema : s->schema, &e)) ||
            (s->kschema && (rc = sl_conn_codec_init(&p->kcodec, &kspec, s->kschema, &e)))) {
            rc = sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
            goto out_props;
        }
        p->env = env;
        p->worker = i;
        if (s->txs) {
            if (!(p->parts = malloc(SL_BATCH_CAP * sizeof(*p->parts)))) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto out_props;
            }
            continue;
        }
        if (env && env->worker_hi > env->worker_lo && env->worker_hi <= nworkers &&
            (i < env->worker_lo || i >= env->worker_hi))
            continue; /* another process's worker (a job over several processes) */
        if (part == 2)
            cfg.partition = i % count;
        cfg.on_delivered = env && env->on_delivered ? ka_sink_delivered : NULL;
        cfg.on_delivered_arg = p;
        sl_error_clear(&e);
        if ((rc = sl_kafka_sink_new(&cfg, &p->ks, &e))) {
            rc = sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
            goto out_props;
        }
    }
    ka_props_free(&pr);
    *out = &s->base;
    return 0;
out_props:
    ka_props_free(&pr);
out_free:
    ka_sink_free(&s->base);
    return rc;
}

int sl_conn_kafka_sink(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                       struct sl_sink **out, struct sl_error *err)
{
    return ka_sink_open(t, env, nworkers, false, out, err);
}

static int ka_upsert_sink(const struct sl_table *t, const struct sl_connector_env *env,
                          int nworkers, struct sl_sink **out, struct sl_error *err)
{
    return ka_sink_open(t, env, nworkers, true, out, err);
}

/* An upsert topic as a changelog: the kafka source with each worker's last value per key
 * (struct ka_upk, in place of Flink's ChangelogNormalize). */
static int ka_upsert_source(const struct sl_table *t, const struct sl_connector_env *env,
                            int nworkers, struct sl_source **out, struct sl_error *err)
{
    *out = NULL;
    int rc = sl_conn_check_options(t, env, upk_keys, ka_prefixes, err);
    if (rc)
        return rc;
    if (env && env->checkpoints)
        return sl_conn_err_at(env, t, SIZE_MAX, err, SL_ENOTSUP,
                              "reading an 'upsert-kafka' table in a job with checkpoints is "
                              "not supported yet: the last value of every key (Flink's "
                              "ChangelogNormalize state) is not saved in checkpoints");
    struct sl_conn_fmtspec spec;
    if ((rc = sl_conn_fmtspec_parse(t, env, &spec, err)) ||
        (rc = ka_upsert_check(t, env, &spec, err)) ||
        (rc = sl_conn_kafka_source(t, env, nworkers, out, err)))
        return rc;
    struct ka_source *src = (struct ka_source *)*out;
    for (int i = 0; i < nworkers; i++)
        if (!(src->w[i].upk = calloc(1, sizeof(*src->w[i].upk)))) {
            ka_free(*out);
            *out = NULL;
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
    return 0;
}

/* ---- the connector ------------------------------------------------------------------------ */

/* Bounded when 'scan.bounded.mode' says where to stop (Flink's option). */
static bool ka_bounded(const struct sl_table *t)
{
    const char *bm = sl_table_option(t, "scan.bounded.mode");
    return bm && strcmp(bm, "unbounded") != 0;
}

static bool ka_upsert_changelog(const struct sl_table *t)
{
    (void)t;
    return true;
}

const struct sl_connector sl_connector_kafka = {
    .name = "kafka",
    .summary = "a Kafka topic: records decoded by a format in, encoded out",
    .source = sl_conn_kafka_source,
    .sink = sl_conn_kafka_sink,
    .bounded = ka_bounded,
    .options = ka_keys,
    .prefixes = ka_prefixes,
    .metadata = ka_meta_keys,
    .changelog = sl_conn_format_changelog,
};

const struct sl_connector sl_connector_upsert_kafka = {
    .name = "upsert-kafka",
    .summary = "a Kafka topic as an upsert log: the PRIMARY KEY as the message key, "
               "tombstones for deletes (sink only)",
    .source = ka_upsert_source,
    .sink = ka_upsert_sink,
    .options = upk_keys,
    .prefixes = ka_prefixes,
    .metadata = ka_meta_keys,
    .changelog = ka_upsert_changelog,
};
