/*
 * io/kafka_source.c - the Kafka source (see kafka_source.h for the model).
 *
 * LAYOUT
 * struct sl_kafka_source holds the consumer, the per-partition state (an array in the
 * order partitions were given, plus a map from partition id to that index) and one struct
 * sl_kafka_worker per worker. A worker's fields are touched only by its own thread; a
 * partition's `next`/`done` only by the thread of the worker that owns it. Nothing is
 * shared between workers, so there is no lock on the hot path.
 *
 * THE HOT PATH
 * A poll grows the worker's `held` array so that `cap` more messages fit, lets
 * rd_kafka_consume_batch_queue write straight into its tail, then walks the new messages
 * once: data records become struct sl_record and stay held; EOF events and records past a
 * bounded end are destroyed on the spot and the survivors are compacted in place.
 *
 * DEFERRED ASSIGNMENT
 * sl_kafka_source_new resolves every start offset and forwards every partition's queue to
 * its worker's, but assigns nothing: worker w's partitions are assigned (with
 * rd_kafka_incremental_assign, at their start offsets) by w's first poll. Between the two,
 * sl_kafka_source_restore may replace the worker's offsets with a checkpoint's, so that a
 * restored partition is fetched from its saved offset from the very first fetch request
 * (on a real cluster as on the mock): there is never a fetch from the start-up offset for
 * a seek to race. Each worker assigns only its own partitions; librdkafka serializes the
 * assignments of several workers on its own thread. The consumer joins no group (it never
 * subscribes), so neither rebalance protocol applies and incremental assignment is allowed.
 *
 * START OFFSETS
 * Everything is resolved before rd_kafka_assign: "latest" and bounded ends through one
 * watermark query per partition, timestamps through rd_kafka_offsets_for_times. librdkafka
 * 2.0.2's mock answers every lookup by time with -1 ("no such record"), which a real broker
 * only says when no record is that recent; so when every partition answers -1, the source
 * asks again for time 0, which a real broker answers with a real offset for any partition
 * that holds records. If the answer for time 0 is -1 too on a partition with records, the
 * cluster cannot look up by time, and the source says so instead of silently starting at
 * the end.
 */
#include "io/kafka_source.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "io/kafka_conf.h"

struct sl_kafka_part {
    int32_t partition;
    int worker;
    int64_t next; /* next offset to hand out; SL_KAFKA_OFFSET_EARLIEST until known. Written
                     by its worker with relaxed atomic stores (sl_kafka_source_lag reads it
                     from another thread) */
    int64_t end;  /* bounded: end offset at start-up; else -1 */
    bool done;    /* bounded: reached `end` */
};

struct sl_kafka_worker {
    rd_kafka_queue_t *queue;   /* the partitions' queues forward here */
    rd_kafka_message_t **held; /* messages behind the records handed out, until release */
    size_t nheld, held_cap;
    size_t live;          /* partitions not done (bounded) */
    bool started;         /* its partitions are assigned (its first poll) */
    struct sl_error err;  /* sticky; code 0 while healthy */
    void (*wake)(void *); /* called when its queue turns non-empty (NULL: none) */
    void *wake_arg;
};

struct sl_kafka_source {
    rd_kafka_t *rk;
    /* Held from start-up on, so that the partitions' leaders are known (from the metadata
     * cache) before rd_kafka_assign; without it the first offset lookup of a partition
     * often finds no leader and librdkafka retries it only after 500 ms. */
    rd_kafka_topic_t *rkt;
    char *topic;
    bool bounded;
    int timeout_ms;
    struct sl_kafka_part *parts;
    size_t nparts;
    int32_t *part_index; /* partition id -> index into parts, -1 if not assigned */
    int32_t topic_partitions;
    struct sl_kafka_worker *workers;
    int nworkers;
};

/* ---- parsing -------------------------------------------------------------------------------- */

int sl_kafka_startup_parse(const char *text, enum sl_kafka_startup *out, struct sl_error *err)
{
    static const struct {
        const char *name;
        enum sl_kafka_startup mode;
    } modes[] = {{"earliest-offset", SL_KAFKA_START_EARLIEST},
                 {"latest-offset", SL_KAFKA_START_LATEST},
                 {"specific-offsets", SL_KAFKA_START_SPECIFIC},
                 {"timestamp", SL_KAFKA_START_TIMESTAMP},
                 {"group-offsets", SL_KAFKA_START_GROUP}};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(text, modes[i].name) == 0) {
            *out = modes[i].mode;
            return 0;
        }
    }
    return sl_error_set(err, SL_EINVAL,
                        "scan.startup.mode '%s' is not one of earliest-offset, latest-offset, "
                        "specific-offsets, timestamp, group-offsets",
                        text);
}

/* Expects `word` at *p (after blanks); advances past it. */
static bool sl_expect(const char **p, const char *word)
{
    while (isspace((unsigned char)**p))
        (*p)++;
    size_t len = strlen(word);
    if (strncmp(*p, word, len) != 0)
        return false;
    *p += len;
    return true;
}

static bool sl_parse_i64(const char **p, int64_t *v)
{
    while (isspace((unsigned char)**p))
        (*p)++;
    if (!isdigit((unsigned char)**p))
        return false;
    int64_t x = 0;
    while (isdigit((unsigned char)**p)) {
        int d = **p - '0';
        if (x > (INT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
        (*p)++;
    }
    *v = x;
    return true;
}

int sl_kafka_parse_specific_offsets(const char *text, struct sl_kafka_offset *out, size_t cap,
                                    size_t *n, struct sl_error *err)
{
    const char *p = text;
    size_t k = 0;
    *n = 0;
    for (;;) {
        int64_t part, off;
        const char *at = p;
        if (!sl_expect(&p, "partition") || !sl_expect(&p, ":") || !sl_parse_i64(&p, &part) ||
            !sl_expect(&p, ",") || !sl_expect(&p, "offset") || !sl_expect(&p, ":") ||
            !sl_parse_i64(&p, &off))
            return sl_error_set(err, SL_EPARSE,
                                "expected 'partition:N,offset:M' at character %zu of '%s'",
                                (size_t)(at - text) + 1, text);
        if (part > INT32_MAX)
            return sl_error_set(err, SL_EINVAL, "partition %" PRId64 " is too large", part);
        for (size_t i = 0; i < k; i++)
            if (out[i].partition == (int32_t)part)
                return sl_error_set(err, SL_EINVAL, "partition %" PRId64 " is listed twice", part);
        if (k == cap)
            return sl_error_set(err, SL_EFULL, "more than %zu partitions", cap);
        out[k].partition = (int32_t)part;
        out[k].offset = off;
        k++;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        if (*p != ';')
            return sl_error_set(err, SL_EPARSE, "expected ';' at character %zu of '%s'",
                                (size_t)(p - text) + 1, text);
        p++;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0') /* a trailing ';' is allowed */
            break;
    }
    *n = k;
    return 0;
}

/* ---- start-up ------------------------------------------------------------------------------- */

/* Sane throughput defaults; every one can be overridden through cfg->props. */
static const sl_kafka_kv sl_source_defaults[] = {
    {"client.id", "sluice"},
    {"group.id", "sluice"}, /* rd_kafka_assign needs a group handle; no group is joined */
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    {"enable.partition.eof", "true"},
    {"fetch.wait.max.ms", "10"},
    {"fetch.error.backoff.ms", "10"},
    {"socket.nagle.disable", "true"},
    /* Fetch answers small enough to stay in cache and to be reused by the allocator:
     * with 16 MB per partition (and 100 MB per answer) every answer was a fresh
     * mapping, page-faulted in by recvmsg and read back from memory - 3.4x the CPU
     * per record (docs/kafka.md). librdkafka's own prefetch limits stay
     * (queued.min.messages 100 000, queued.max.messages.kbytes 64 MB). */
    {"fetch.max.bytes", "8388608"},
    {"max.partition.fetch.bytes", "1048576"},
    {"receive.message.max.bytes", "134217728"},
    {"log.connection.close", "false"},
};

const sl_kafka_kv *sl_kafka_source_defaults(size_t *n)
{
    *n = sizeof(sl_source_defaults) / sizeof(sl_source_defaults[0]);
    return sl_source_defaults;
}

static int sl_source_conf(const struct sl_kafka_source_config *cfg, rd_kafka_conf_t *conf,
                          struct sl_error *err)
{
    int rc = sl_kafka_conf_set(conf, "bootstrap.servers", cfg->bootstrap, err);
    for (size_t i = 0; !rc && i < sizeof(sl_source_defaults) / sizeof(sl_source_defaults[0]); i++)
        rc = sl_kafka_conf_set(conf, sl_source_defaults[i][0], sl_source_defaults[i][1], err);
    if (rc)
        return rc;
    const char *reset = cfg->offset_reset ? cfg->offset_reset : "error";
    if (strcmp(reset, "error") != 0 && strcmp(reset, "earliest") != 0 &&
        strcmp(reset, "latest") != 0)
        return sl_error_set(err, SL_EINVAL,
                            "auto.offset.reset '%s' is not one of error, earliest, latest", reset);
    rc = sl_kafka_conf_set(conf, "auto.offset.reset", reset, err);
    if (!rc && cfg->group_id)
        rc = sl_kafka_conf_set(conf, "group.id", cfg->group_id, err);
    if (!rc)
        rc = sl_kafka_conf_set_strings(conf, cfg->props, cfg->nprops, err);
    return rc;
}

static int sl_source_watermarks(struct sl_kafka_source *src, int32_t partition, int64_t *lo,
                                int64_t *hi, struct sl_error *err)
{
    rd_kafka_resp_err_t kerr =
        rd_kafka_query_watermark_offsets(src->rk, src->topic, partition, lo, hi, src->timeout_ms);
    if (kerr)
        return sl_error_set(err, sl_kafka_err_code(kerr),
                            "Kafka topic '%s' partition %d: cannot read its offsets: %s",
                            src->topic, (int)partition, rd_kafka_err2str(kerr));
    return 0;
}

/* Looks up the first offset at or after `ts` for every partition (ListOffsets by time). */
static int sl_source_offsets_for_time(struct sl_kafka_source *src, int64_t ts, int64_t *out,
                                      struct sl_error *err)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)src->nparts);
    for (size_t i = 0; i < src->nparts; i++)
        rd_kafka_topic_partition_list_add(list, src->topic, src->parts[i].partition)->offset = ts;
    int rc = 0;
    rd_kafka_resp_err_t kerr = rd_kafka_offsets_for_times(src->rk, list, src->timeout_ms);
    if (kerr) {
        rc = sl_error_set(err, sl_kafka_err_code(kerr),
                          "Kafka topic '%s': cannot look up offsets for timestamp %" PRId64 ": %s",
                          src->topic, ts, rd_kafka_err2str(kerr));
        goto out;
    }
    for (int i = 0; i < list->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &list->elems[i];
        if (tp->err) {
            rc = sl_error_set(err, sl_kafka_err_code(tp->err),
                              "Kafka topic '%s' partition %d: cannot look up the offset for "
                              "timestamp %" PRId64 ": %s",
                              src->topic, (int)tp->partition, ts, rd_kafka_err2str(tp->err));
            goto out;
        }
        out[src->part_index[tp->partition]] = tp->offset;
    }
out:
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

static int sl_source_resolve_timestamps(struct sl_kafka_source *src, int64_t ts, int64_t *start,
                                        struct sl_error *err)
{
    int rc = sl_source_offsets_for_time(src, ts, start, err);
    if (rc)
        return rc;
    bool all_none = true;
    for (size_t i = 0; i < src->nparts; i++)
        all_none &= start[i] < 0;
    if (all_none && src->nparts > 0) {
        /* See "START OFFSETS" above: tell a cluster that cannot look up by time from
         * partitions that simply hold nothing that recent. */
        int64_t *probe = calloc(src->nparts, sizeof(*probe));
        if (!probe)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        rc = sl_source_offsets_for_time(src, 0, probe, err);
        for (size_t i = 0; !rc && i < src->nparts; i++) {
            int64_t lo, hi;
            rc = sl_source_watermarks(src, src->parts[i].partition, &lo, &hi, err);
            if (!rc && probe[i] < 0 && hi > lo)
                rc = sl_error_set(
                    err, SL_ENOTSUP,
                    "Kafka topic '%s': the cluster cannot look up offsets by timestamp "
                    "(partition %d holds offsets %" PRId64 "..%" PRId64
                    " but has none for time 0; librdkafka's mock cluster does not implement "
                    "ListOffsets by time): scan.startup.mode 'timestamp' needs a real broker",
                    src->topic, (int)src->parts[i].partition, lo, hi - 1);
        }
        free(probe);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < src->nparts; i++) {
        if (start[i] < 0) { /* nothing that recent: start at the end, concretely */
            int64_t lo, hi;
            rc = sl_source_watermarks(src, src->parts[i].partition, &lo, &hi, err);
            if (rc)
                return rc;
            start[i] = hi;
        }
    }
    return 0;
}

/* The group's committed offsets (Flink's committedOffsets(reset strategy)): a partition
 * without one starts where 'auto.offset.reset' says, and is an error without it (Flink's
 * default strategy NONE). */
static int sl_source_group_offsets(struct sl_kafka_source *src,
                                   const struct sl_kafka_source_config *cfg, int64_t *start,
                                   struct sl_error *err)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)src->nparts);
    for (size_t i = 0; i < src->nparts; i++)
        rd_kafka_topic_partition_list_add(list, src->topic, src->parts[i].partition);
    int rc = 0;
    rd_kafka_resp_err_t kerr = rd_kafka_committed(src->rk, list, src->timeout_ms);
    if (kerr)
        rc = sl_error_set(err, sl_kafka_err_code(kerr),
                          "Kafka topic '%s': cannot read the committed offsets of consumer group "
                          "'%s': %s",
                          src->topic, cfg->group_id, rd_kafka_err2str(kerr));
    const char *reset = cfg->offset_reset ? cfg->offset_reset : "error";
    for (int i = 0; !rc && i < list->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &list->elems[i];
        int64_t *s = &start[src->part_index[tp->partition]];
        if (tp->err)
            rc = sl_error_set(err, sl_kafka_err_code(tp->err),
                              "Kafka topic '%s' partition %d: cannot read the committed offset "
                              "of consumer group '%s': %s",
                              src->topic, (int)tp->partition, cfg->group_id,
                              rd_kafka_err2str(tp->err));
        else if (tp->offset >= 0)
            *s = tp->offset;
        else if (strcmp(reset, "earliest") == 0)
            *s = SL_KAFKA_OFFSET_EARLIEST;
        else if (strcmp(reset, "latest") == 0)
            *s = SL_KAFKA_OFFSET_LATEST;
        else
            rc = sl_error_set(err, SL_ENOTFOUND,
                              "Kafka topic '%s' partition %d: consumer group '%s' has no "
                              "committed offset for it (set 'properties.auto.offset.reset' to "
                              "'earliest' or 'latest' to start such partitions there)",
                              src->topic, (int)tp->partition, cfg->group_id);
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

/* Fills start[i] for every partition according to the start-up mode. */
static int sl_source_start_offsets(struct sl_kafka_source *src,
                                   const struct sl_kafka_source_config *cfg, int64_t *start,
                                   struct sl_error *err)
{
    for (size_t i = 0; i < src->nparts; i++)
        start[i] = SL_KAFKA_OFFSET_EARLIEST;
    switch (cfg->startup) {
    case SL_KAFKA_START_EARLIEST:
        return 0;
    case SL_KAFKA_START_LATEST:
        for (size_t i = 0; i < src->nparts; i++)
            start[i] = SL_KAFKA_OFFSET_LATEST;
        break;
    case SL_KAFKA_START_SPECIFIC:
        for (size_t k = 0; k < cfg->noffsets; k++) {
            const struct sl_kafka_offset *o = &cfg->offsets[k];
            if (o->partition < 0 || o->partition >= src->topic_partitions ||
                src->part_index[o->partition] < 0)
                return sl_error_set(err, SL_EINVAL,
                                    "Kafka topic '%s': a start offset is given for partition "
                                    "%d, which the source does not read",
                                    src->topic, (int)o->partition);
            if (o->offset < SL_KAFKA_OFFSET_EARLIEST)
                return sl_error_set(err, SL_EINVAL,
                                    "Kafka topic '%s' partition %d: start offset %" PRId64
                                    " is not valid",
                                    src->topic, (int)o->partition, o->offset);
            start[src->part_index[o->partition]] = o->offset;
        }
        break;
    case SL_KAFKA_START_TIMESTAMP:
        if (cfg->timestamp_ms < 0)
            return sl_error_set(err, SL_EINVAL,
                                "scan.startup.timestamp-millis %" PRId64 " is negative",
                                cfg->timestamp_ms);
        return sl_source_resolve_timestamps(src, cfg->timestamp_ms, start, err);
    case SL_KAFKA_START_GROUP: {
        int rc = sl_source_group_offsets(src, cfg, start, err);
        if (rc)
            return rc;
        break;
    }
    default:
        return sl_error_set(err, SL_EINVAL, "Kafka topic '%s': unknown start-up mode %d",
                            src->topic, (int)cfg->startup);
    }
    for (size_t i = 0; i < src->nparts; i++) {
        if (start[i] == SL_KAFKA_OFFSET_LATEST) {
            int64_t lo, hi;
            int rc = sl_source_watermarks(src, src->parts[i].partition, &lo, &hi, err);
            if (rc)
                return rc;
            start[i] = hi;
        }
    }
    return 0;
}

/* Builds the partition table from cfg (all partitions of the topic when none are given). */
static int sl_source_partitions(struct sl_kafka_source *src,
                                const struct sl_kafka_source_config *cfg, struct sl_error *err)
{
    int rc =
        sl_kafka_partition_count(src->rk, src->topic, src->timeout_ms, &src->topic_partitions, err);
    if (rc)
        return rc;
    size_t n = cfg->partitions ? cfg->npartitions : (size_t)src->topic_partitions;
    src->parts = calloc(n ? n : 1, sizeof(*src->parts));
    src->part_index = malloc(sizeof(*src->part_index) * (size_t)(src->topic_partitions + 1));
    if (!src->parts || !src->part_index)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (int32_t p = 0; p < src->topic_partitions; p++)
        src->part_index[p] = -1;
    for (size_t i = 0; i < n; i++) {
        int32_t p = cfg->partitions ? cfg->partitions[i] : (int32_t)i;
        int w = cfg->partition_worker ? cfg->partition_worker[i] : (int)(i % (size_t)cfg->nworkers);
        if (p < 0 || p >= src->topic_partitions)
            return sl_error_set(err, SL_EINVAL,
                                "Kafka topic '%s' has %d partitions: there is no partition %d",
                                src->topic, (int)src->topic_partitions, (int)p);
        if (src->part_index[p] >= 0)
            return sl_error_set(err, SL_EINVAL, "Kafka topic '%s': partition %d listed twice",
                                src->topic, (int)p);
        if (w < 0 || w >= cfg->nworkers)
            return sl_error_set(err, SL_EINVAL,
                                "Kafka topic '%s' partition %d: worker %d is not in 0..%d",
                                src->topic, (int)p, w, cfg->nworkers - 1);
        src->part_index[p] = (int32_t)i;
        src->parts[i] = (struct sl_kafka_part){.partition = p, .worker = w, .end = -1};
    }
    src->nparts = n;
    return 0;
}

/* Forwards each partition's queue to its worker's queue (nothing is fetched before a
 * partition is assigned). */
static int sl_source_forward(struct sl_kafka_source *src, struct sl_error *err)
{
    for (size_t i = 0; i < src->nparts; i++) {
        struct sl_kafka_part *p = &src->parts[i];
        rd_kafka_queue_t *pq = rd_kafka_queue_get_partition(src->rk, src->topic, p->partition);
        if (!pq)
            return sl_error_set(err, SL_EKAFKA, "Kafka topic '%s' partition %d: no queue",
                                src->topic, (int)p->partition);
        rd_kafka_queue_forward(pq, src->workers[p->worker].queue);
        rd_kafka_queue_destroy(pq);
    }
    return 0;
}

/* Assigns worker `worker`'s partitions that are not done, each at its next offset. */
static int sl_source_start_worker(struct sl_kafka_source *src, int worker, struct sl_error *err)
{
    struct sl_kafka_worker *w = &src->workers[worker];
    w->started = true;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(4);
    for (size_t i = 0; i < src->nparts; i++) {
        struct sl_kafka_part *p = &src->parts[i];
        if (p->worker != worker || p->done)
            continue; /* another worker's, or bounded and already at its end: never fetched */
        rd_kafka_topic_partition_list_add(list, src->topic, p->partition)->offset = p->next;
    }
    rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (list->cnt > 0) {
        rd_kafka_error_t *e = rd_kafka_incremental_assign(src->rk, list);
        if (e) {
            kerr = rd_kafka_error_code(e);
            sl_error_set(err, sl_kafka_err_code(kerr), "Kafka topic '%s': assign: %s", src->topic,
                         rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
    return kerr ? err->code : 0;
}

/* Bounded at given end offsets: partition p's from cfg->end_offsets (SL_EINVAL when the list
 * does not name it: a bounded source reads no partition without an end). */
static int sl_source_given_end(struct sl_kafka_source *src,
                               const struct sl_kafka_source_config *cfg, struct sl_kafka_part *p,
                               struct sl_error *err)
{
    for (size_t k = 0; k < cfg->nend_offsets; k++) {
        if (cfg->end_offsets[k].partition == p->partition) {
            p->end = cfg->end_offsets[k].offset;
            return 0;
        }
    }
    return sl_error_set(err, SL_EINVAL,
                        "Kafka topic '%s': the bounded source's end offsets name no offset for "
                        "partition %d (every partition read needs one)",
                        src->topic, (int)p->partition);
}

int sl_kafka_source_new(const struct sl_kafka_source_config *cfg, struct sl_kafka_source **out,
                        struct sl_error *err)
{
    if (!cfg->bootstrap || !cfg->topic || cfg->nworkers < 1)
        return sl_error_set(err, SL_EINVAL,
                            "Kafka source: bootstrap, topic and at least one worker needed");
    if (cfg->startup == SL_KAFKA_START_GROUP && (!cfg->group_id || !cfg->group_id[0]))
        return sl_error_set(err, SL_EINVAL,
                            "Kafka topic '%s': scan.startup.mode 'group-offsets' needs a "
                            "consumer group ('properties.group.id')",
                            cfg->topic);
    struct sl_kafka_source *src = calloc(1, sizeof(*src));
    if (!src)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    src->bounded = cfg->bounded;
    src->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
    src->nworkers = cfg->nworkers;
    src->topic = strdup(cfg->topic);
    src->workers = calloc((size_t)cfg->nworkers, sizeof(*src->workers));
    int64_t *start = NULL;
    int rc;
    if (!src->topic || !src->workers) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rc = sl_source_conf(cfg, conf, err);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        goto fail;
    }
    char why[256];
    src->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
    if (!src->rk) {
        rd_kafka_conf_destroy(conf);
        rc = sl_error_set(err, SL_EKAFKA, "Kafka consumer for %s: %s", cfg->bootstrap, why);
        goto fail;
    }
    for (int w = 0; w < cfg->nworkers; w++) {
        src->workers[w].queue = rd_kafka_queue_new(src->rk);
        if (!src->workers[w].queue) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto fail;
        }
    }
    rc = sl_source_partitions(src, cfg, err);
    if (rc)
        goto fail;
    /* Only now that the topic is known to exist: a topic handle makes librdkafka ask for
     * the topic's metadata, which creates it on brokers that auto-create topics. */
    src->rkt = rd_kafka_topic_new(src->rk, src->topic, NULL);
    if (!src->rkt) {
        rc = sl_error_set(err, SL_EKAFKA, "Kafka topic '%s': %s", src->topic,
                          rd_kafka_err2str(rd_kafka_last_error()));
        goto fail;
    }
    for (size_t k = 0; cfg->bounded && k < cfg->nend_offsets; k++) {
        const struct sl_kafka_offset *e = &cfg->end_offsets[k];
        if (e->partition < 0 || e->partition >= src->topic_partitions || e->offset < 0) {
            rc = sl_error_set(
                err, SL_EINVAL,
                "Kafka topic '%s' has partitions 0..%d: no end offset %" PRId64 " for partition %d",
                src->topic, (int)src->topic_partitions - 1, e->offset, (int)e->partition);
            goto fail;
        }
    }
    start = calloc(src->nparts ? src->nparts : 1, sizeof(*start));
    if (!start) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    rc = sl_source_start_offsets(src, cfg, start, err);
    if (rc)
        goto fail;
    for (size_t i = 0; i < src->nparts; i++) {
        struct sl_kafka_part *p = &src->parts[i];
        __atomic_store_n(&p->next, start[i], __ATOMIC_RELAXED);
        if (src->bounded) {
            int64_t lo;
            rc = sl_source_watermarks(src, p->partition, &lo, &p->end, err);
            if (rc)
                goto fail;
            if (cfg->end_offsets && (rc = sl_source_given_end(src, cfg, p, err)))
                goto fail;
            /* Already at (or past) the end, or empty: done before it starts. */
            p->done = p->end <= (start[i] >= 0 ? start[i] : lo);
        }
        if (!p->done)
            src->workers[p->worker].live++;
    }
    rc = sl_source_forward(src, err);
    if (rc)
        goto fail;
    free(start);
    *out = src;
    return 0;
fail:
    free(start);
    sl_kafka_source_free(src);
    return rc;
}

/* ---- the worker's hot path ------------------------------------------------------------------ */

static void sl_source_pause(struct sl_kafka_source *src, struct sl_kafka_part *p)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, src->topic, p->partition);
    rd_kafka_pause_partitions(src->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
}

static void sl_source_mark_done(struct sl_kafka_source *src, struct sl_kafka_part *p)
{
    if (p->done)
        return;
    p->done = true;
    src->workers[p->worker].live--;
    sl_source_pause(src, p);
}

/* The sticky error of a partition's failure, naming what was lost for an offset out of
 * range. */
static void sl_source_fail(struct sl_kafka_source *src, struct sl_kafka_worker *w,
                           const rd_kafka_message_t *m)
{
    int32_t partition = m->partition;
    int64_t want = m->offset;
    if (partition >= 0 && partition < src->topic_partitions && src->part_index[partition] >= 0) {
        int64_t next = src->parts[src->part_index[partition]].next;
        if (next >= 0)
            want = next;
    }
    if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
        m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
        int64_t lo = -1, hi = -1;
        struct sl_error werr;
        if (sl_source_watermarks(src, partition, &lo, &hi, &werr) != 0) {
            sl_error_set(&w->err, SL_EKAFKA,
                         "Kafka topic '%s' partition %d: offset %" PRId64
                         " is out of range, and the retained range cannot be read (%s)",
                         src->topic, (int)partition, want, werr.msg);
        } else if (want < lo) {
            sl_error_set(&w->err, SL_EKAFKA,
                         "Kafka topic '%s' partition %d: offset %" PRId64
                         " is out of range: the broker now keeps offsets %" PRId64 "..%" PRId64
                         ", so the %" PRId64 " records at offsets %" PRId64 "..%" PRId64
                         " were lost before they were read (set 'auto.offset.reset' to "
                         "'earliest' or 'latest' to skip them)",
                         src->topic, (int)partition, want, lo, hi - 1, lo - want, want, lo - 1);
        } else {
            sl_error_set(&w->err, SL_EKAFKA,
                         "Kafka topic '%s' partition %d: offset %" PRId64
                         " is out of range: the broker keeps offsets %" PRId64 "..%" PRId64
                         " (the offset is past the end)",
                         src->topic, (int)partition, want, lo, hi - 1);
        }
        return;
    }
    sl_error_set(&w->err, sl_kafka_err_code(m->err),
                 "Kafka topic '%s' partition %d at offset %" PRId64 ": %s", src->topic,
                 (int)partition, want, rd_kafka_message_errstr(m));
}

/* librdkafka's queue event: a message was enqueued on the worker's empty queue (on one of
 * librdkafka's threads, with the queue's lock held: only the wake-up, nothing else). */
static void sl_kafka_queue_event(rd_kafka_t *rk, void *opaque)
{
    (void)rk;
    struct sl_kafka_worker *w = opaque;
    if (w->wake)
        w->wake(w->wake_arg);
}

void sl_kafka_source_set_waker(struct sl_kafka_source *src, int worker, void (*wake)(void *),
                               void *arg)
{
    struct sl_kafka_worker *w = &src->workers[worker];
    if (!wake) {
        rd_kafka_queue_cb_event_enable(w->queue, NULL, NULL);
        w->wake = NULL;
        w->wake_arg = NULL;
        return;
    }
    w->wake = wake;
    w->wake_arg = arg;
    rd_kafka_queue_cb_event_enable(w->queue, sl_kafka_queue_event, w);
}

int sl_kafka_source_poll(struct sl_kafka_source *src, int worker, struct sl_record *recs,
                         size_t cap, int timeout_ms, size_t *n, struct sl_error *err)
{
    struct sl_kafka_worker *w = &src->workers[worker];
    *n = 0;
    if (w->err.code)
        goto error;
    if (!w->started && sl_source_start_worker(src, worker, &w->err) != 0)
        goto error;
    if ((src->bounded && w->live == 0) || cap == 0)
        return 0;
    if (w->held_cap - w->nheld < cap) {
        size_t ncap = w->nheld + cap;
        if (ncap < 2 * w->held_cap)
            ncap = 2 * w->held_cap;
        rd_kafka_message_t **held = realloc(w->held, ncap * sizeof(*held));
        if (!held)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        w->held = held;
        w->held_cap = ncap;
    }
    if (worker == 0)
        rd_kafka_poll(src->rk, 0); /* serve the client's own events (errors, logs) */
    /* rd_kafka_consume_batch_queue waits until the array is full or the time is up, which
     * would hold records that have arrived (and a bounded stream's last few) for the whole
     * timeout. So: take what is there; if nothing is, wait for one, then take the rest. */
    rd_kafka_message_t **got = w->held + w->nheld;
    ssize_t ngot = rd_kafka_consume_batch_queue(w->queue, 0, got, cap);
    if (ngot == 0 && timeout_ms != 0) {
        ngot = rd_kafka_consume_batch_queue(w->queue, timeout_ms, got, 1);
        if (ngot == 1 && cap > 1) {
            ssize_t more = rd_kafka_consume_batch_queue(w->queue, 0, got + 1, cap - 1);
            ngot = more < 0 ? more : 1 + more;
        }
    }
    if (ngot < 0)
        return sl_error_set(err, SL_EKAFKA, "Kafka topic '%s': consume: %s", src->topic,
                            rd_kafka_err2str(rd_kafka_last_error()));
    size_t keep = 0;
    for (ssize_t i = 0; i < ngot; i++) {
        rd_kafka_message_t *m = got[i];
        int32_t pid = m->partition;
        struct sl_kafka_part *p = NULL;
        if (pid >= 0 && pid < src->topic_partitions && src->part_index[pid] >= 0)
            p = &src->parts[src->part_index[pid]];
        if (w->err.code || !p) {
            rd_kafka_message_destroy(m); /* after an error, or not ours: never handed out */
            continue;
        }
        if (m->err) {
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (m->offset > p->next)
                    __atomic_store_n(&p->next, m->offset, __ATOMIC_RELAXED);
                if (src->bounded && p->next >= p->end)
                    sl_source_mark_done(src, p);
            } else {
                sl_source_fail(src, w, m);
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (p->done || (src->bounded && m->offset >= p->end)) {
            sl_source_mark_done(src, p);
            rd_kafka_message_destroy(m);
            continue;
        }
        struct sl_record *r = &recs[keep];
        r->topic = src->topic;
        r->partition = pid;
        r->offset = m->offset;
        r->timestamp = rd_kafka_message_timestamp(m, NULL);
        r->key = m->key;
        r->key_len = m->key_len;
        r->value = m->payload;
        r->value_len = m->len;
        __atomic_store_n(&p->next, m->offset + 1, __ATOMIC_RELAXED);
        if (src->bounded && p->next >= p->end)
            sl_source_mark_done(src, p);
        got[keep++] = m;
    }
    w->nheld += keep;
    *n = keep;
    if (keep > 0 || !w->err.code)
        return 0;
error:
    if (err)
        *err = w->err;
    return w->err.code;
}

void sl_kafka_source_release(struct sl_kafka_source *src, int worker)
{
    struct sl_kafka_worker *w = &src->workers[worker];
    for (size_t i = 0; i < w->nheld; i++)
        rd_kafka_message_destroy(w->held[i]);
    w->nheld = 0;
}

bool sl_kafka_source_finished(const struct sl_kafka_source *src, int worker)
{
    return src->bounded && src->workers[worker].live == 0;
}

int sl_kafka_source_positions(const struct sl_kafka_source *src, int worker,
                              struct sl_kafka_offset *out, size_t cap, size_t *n)
{
    size_t k = 0;
    for (int32_t pid = 0; pid < src->topic_partitions; pid++) {
        int32_t i = src->part_index[pid];
        if (i < 0 || (worker >= 0 && src->parts[i].worker != worker))
            continue;
        if (k < cap)
            out[k] = (struct sl_kafka_offset){pid, src->parts[i].next};
        k++;
    }
    *n = k;
    return k > cap ? SL_EFULL : 0;
}

void sl_kafka_source_lag(struct sl_kafka_source *src,
                         void (*emit)(void *arg, const char *topic, int32_t partition, int64_t next,
                                      int64_t high),
                         void *arg)
{
    for (size_t i = 0; i < src->nparts; i++) {
        const struct sl_kafka_part *p = &src->parts[i];
        int64_t next = __atomic_load_n(&p->next, __ATOMIC_RELAXED);
        int64_t lo = -1, hi = -1;
        /* librdkafka's cached values (from fetch responses): no request, any thread */
        if (rd_kafka_get_watermark_offsets(src->rk, src->topic, p->partition, &lo, &hi) !=
            RD_KAFKA_RESP_ERR_NO_ERROR)
            lo = hi = -1;
        if (next < 0) /* nothing handed out yet from an 'earliest' start */
            next = lo >= 0 ? lo : -1;
        emit(arg, src->topic, p->partition, next, hi);
    }
}

int sl_kafka_source_state(const struct sl_kafka_source *src, int worker,
                          struct sl_kafka_part_state *out, size_t cap, size_t *n)
{
    size_t k = 0;
    for (int32_t pid = 0; pid < src->topic_partitions; pid++) {
        int32_t i = src->part_index[pid];
        if (i < 0 || src->parts[i].worker != worker)
            continue;
        const struct sl_kafka_part *p = &src->parts[i];
        if (k < cap)
            out[k] = (struct sl_kafka_part_state){pid, p->next, p->end, p->done};
        k++;
    }
    *n = k;
    return k > cap ? SL_EFULL : 0;
}

int sl_kafka_source_restore(struct sl_kafka_source *src, int worker,
                            const struct sl_kafka_part_state *in, size_t n, struct sl_error *err)
{
    struct sl_kafka_worker *w = &src->workers[worker];
    if (w->started)
        return sl_error_set(err, SL_EINVAL,
                            "Kafka topic '%s': worker %d restores after its first poll", src->topic,
                            worker);
    /* check everything before changing anything */
    for (size_t k = 0; k < n; k++) {
        const struct sl_kafka_part_state *s = &in[k];
        if (s->partition < 0 || s->partition >= src->topic_partitions)
            return sl_error_set(err, SL_ENOTFOUND,
                                "Kafka topic '%s' partition %d is in the checkpoint, but the "
                                "topic has %d partitions now",
                                src->topic, (int)s->partition, (int)src->topic_partitions);
        int32_t i = src->part_index[s->partition];
        if (i < 0 || src->parts[i].worker != worker)
            return sl_error_set(err, SL_EINVAL,
                                "Kafka topic '%s' partition %d is in worker %d's checkpoint, but "
                                "%s",
                                src->topic, (int)s->partition, worker,
                                i < 0 ? "the source does not read it now"
                                      : "another worker reads it now");
        if (s->next < SL_KAFKA_OFFSET_EARLIEST || s->next == SL_KAFKA_OFFSET_LATEST)
            return sl_error_set(err, SL_EINVAL,
                                "Kafka topic '%s' partition %d: checkpoint offset %" PRId64
                                " is not valid",
                                src->topic, (int)s->partition, s->next);
        if (src->bounded && s->end < 0)
            return sl_error_set(err, SL_EINVAL,
                                "Kafka topic '%s' partition %d: the checkpoint has no end "
                                "offset for the bounded source",
                                src->topic, (int)s->partition);
        for (size_t j = 0; j < k; j++)
            if (in[j].partition == s->partition)
                return sl_error_set(err, SL_EINVAL,
                                    "Kafka topic '%s' partition %d is in the checkpoint twice",
                                    src->topic, (int)s->partition);
    }
    for (size_t k = 0; k < n; k++) {
        const struct sl_kafka_part_state *s = &in[k];
        struct sl_kafka_part *p = &src->parts[src->part_index[s->partition]];
        __atomic_store_n(&p->next, s->next, __ATOMIC_RELAXED);
        p->end = src->bounded ? s->end : -1;
        p->done = src->bounded && (s->done || (s->next >= 0 && s->next >= s->end));
    }
    w->live = 0;
    for (size_t i = 0; i < src->nparts; i++)
        if (src->parts[i].worker == worker && !src->parts[i].done)
            w->live++;
    return 0;
}

size_t sl_kafka_source_npartitions(const struct sl_kafka_source *src)
{
    return src->nparts;
}

int64_t sl_kafka_source_end_offset(const struct sl_kafka_source *src, int32_t partition)
{
    if (!src->bounded || partition < 0 || partition >= src->topic_partitions ||
        src->part_index[partition] < 0)
        return -1;
    return src->parts[src->part_index[partition]].end;
}

int sl_kafka_source_commit_offsets(struct sl_kafka_source *src, const struct sl_kafka_offset *offs,
                                   size_t n, struct sl_error *err)
{
    if (n == 0)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    if (!l)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, src->topic, offs[i].partition)->offset =
            offs[i].offset;
    rd_kafka_resp_err_t kerr = rd_kafka_commit(src->rk, l, 1 /* async */);
    rd_kafka_topic_partition_list_destroy(l);
    if (kerr)
        return sl_error_set(err, sl_kafka_err_code(kerr),
                            "Kafka topic '%s': committing offsets to the consumer group: %s",
                            src->topic, rd_kafka_err2str(kerr));
    return 0;
}

void sl_kafka_source_free(struct sl_kafka_source *src)
{
    if (!src)
        return;
    if (src->workers) {
        for (int w = 0; w < src->nworkers; w++) {
            sl_kafka_source_release(src, w);
            free(src->workers[w].held);
        }
    }
    if (src->rk) {
        rd_kafka_assign(src->rk, NULL);
        for (int w = 0; w < src->nworkers; w++)
            if (src->workers[w].queue)
                rd_kafka_queue_destroy(src->workers[w].queue);
        if (src->rkt)
            rd_kafka_topic_destroy(src->rkt);
        rd_kafka_consumer_close(src->rk);
        rd_kafka_destroy(src->rk);
    }
    free(src->workers);
    free(src->parts);
    free(src->part_index);
    free(src->topic);
    free(src);
}
