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
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <librdkafka/rdkafka.h>
#include <pcre2.h>

#include "engine/core/types.h"
#include "io/kafka_conf.h"

struct sl_kafka_part {
    int32_t topic; /* index into src->topics */
    int32_t partition;
    int32_t split;
    int worker;
    int64_t next; /* next offset to hand out; SL_KAFKA_OFFSET_EARLIEST until known. Written
                     by its worker with relaxed atomic stores (sl_kafka_source_lag reads it
                     from another thread) */
    int64_t end;  /* bounded: end offset at start-up; else -1 */
    bool done;    /* bounded: reached `end` */
};

struct sl_kafka_topic {
    char *name;
    /* Held from start-up on, so that the partitions' leaders are known (from the metadata
     * cache) before rd_kafka_assign; without it the first offset lookup of a partition
     * often finds no leader and librdkafka retries it only after 500 ms. */
    rd_kafka_topic_t *rkt;
    int32_t npart;    /* partitions known (written by the discovering thread only) */
    int32_t split_hi; /* split ids (split_hi << 16) | partition; -1: the partition itself */
    int start;        /* partition p goes to worker (start + p) % nworkers */
};

struct sl_kafka_worker {
    rd_kafka_queue_t *queue;   /* the partitions' queues forward here */
    rd_kafka_message_t **held; /* messages behind the records handed out, until release */
    size_t nheld, held_cap;
    char **hbufs; /* the records' header maps (config .headers), one buffer a poll, until
                     release */
    size_t nhbufs, hbufs_cap;
    size_t live;          /* partitions not done (bounded) */
    bool started;         /* its partitions are assigned (its first poll) */
    struct sl_error err;  /* sticky; code 0 while healthy */
    void (*wake)(void *); /* called when its queue turns non-empty (NULL: none) */
    void *wake_arg;
    /* the last message's topic handle and partition, and its entry (runs of one partition) */
    const rd_kafka_topic_t *c_rkt;
    int32_t c_pid;
    struct sl_kafka_part *c_part;
};

struct sl_kafka_source {
    rd_kafka_t *rk;
    bool bounded;
    bool single; /* one listed topic: split id = partition, owner = index % N */
    int timeout_ms;
    /* Topics and partitions: append-only arrays of fixed capacity; an entry is complete
     * before the count that covers it is stored (release), readers load it (acquire). */
    struct sl_kafka_topic *topics;
    _Atomic size_t ntopics;
    struct sl_kafka_part *parts;
    _Atomic size_t nparts;
    /* (topic, partition) -> index + 1 into parts (0: empty slot), open addressing */
    _Atomic uint32_t *map;
    uint32_t map_mask;
    pcre2_code *re; /* the topic pattern, or NULL */
    struct sl_kafka_worker *workers;
    int nworkers;
    bool headers; /* fill sl_record.headers */
    /* discovery: the thread, its stop flag and its sticky error; `mu` also serializes
     * adding partitions with a worker's first assignment */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t disc;
    bool disc_on, stop;
    int64_t interval_ms;
    _Atomic int disc_failed;
    struct sl_error disc_err; /* under mu */
};

/* ---- topics and the partition table --------------------------------------------------------- */

/* java.lang.String.hashCode of an ASCII name (Kafka's topic names are ASCII). */
static int32_t sl_java_hash(const char *s)
{
    uint32_t h = 0;
    for (; *s; s++)
        h = 31 * h + (uint32_t)(unsigned char)*s;
    return (int32_t)h;
}

static size_t sl_source_ntopics(const struct sl_kafka_source *src)
{
    return atomic_load_explicit(&((struct sl_kafka_source *)src)->ntopics, memory_order_acquire);
}

static size_t sl_source_nparts(const struct sl_kafka_source *src)
{
    return atomic_load_explicit(&((struct sl_kafka_source *)src)->nparts, memory_order_acquire);
}

static int32_t sl_source_topic_find(const struct sl_kafka_source *src, const char *name)
{
    size_t n = sl_source_ntopics(src);
    for (size_t i = 0; i < n; i++) /* records carry the source's own names: same address */
        if (src->topics[i].name == name)
            return (int32_t)i;
    for (size_t i = 0; i < n; i++)
        if (strcmp(src->topics[i].name, name) == 0)
            return (int32_t)i;
    return -1;
}

static uint32_t sl_source_slot(const struct sl_kafka_source *src, int32_t topic, int32_t partition)
{
    return ((uint32_t)topic * 0x9E3779B1u ^ (uint32_t)partition * 0x85EBCA77u) & src->map_mask;
}

static struct sl_kafka_part *sl_source_find(const struct sl_kafka_source *src, int32_t topic,
                                            int32_t partition)
{
    if (topic < 0)
        return NULL;
    struct sl_kafka_source *s = (struct sl_kafka_source *)src;
    for (uint32_t h = sl_source_slot(src, topic, partition);; h = (h + 1) & src->map_mask) {
        uint32_t v = atomic_load_explicit(&s->map[h], memory_order_acquire);
        if (v == 0)
            return NULL;
        struct sl_kafka_part *p = &s->parts[v - 1];
        if (p->topic == topic && p->partition == partition)
            return p;
    }
}

static struct sl_kafka_part *sl_source_find_name(const struct sl_kafka_source *src,
                                                 const char *topic, int32_t partition)
{
    return sl_source_find(src, topic ? sl_source_topic_find(src, topic) : 0, partition);
}

/* Adds topic `name` (not read yet) with no partitions; *idx is its index. */
static int sl_source_topic_add(struct sl_kafka_source *src, const char *name, int32_t *idx,
                               struct sl_error *err)
{
    size_t n = sl_source_ntopics(src);
    if (n == SL_KAFKA_MAX_TOPICS)
        return sl_error_set(err, SL_EFULL,
                            "Kafka topic '%s': the source reads %d topics already, its most", name,
                            SL_KAFKA_MAX_TOPICS);
    struct sl_kafka_topic *t = &src->topics[n];
    memset(t, 0, sizeof(*t));
    if (!(t->name = strdup(name)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int32_t jh = sl_java_hash(name);
    t->start =
        src->single ? 0 : (int)(((uint32_t)jh * 31u & 0x7FFFFFFFu) % (uint32_t)src->nworkers);
    t->split_hi = -1;
    if (!src->single) { /* the next h no other topic of the source has */
        int32_t h = (int32_t)((uint32_t)jh % 32749u);
        for (bool taken = true; taken;) {
            taken = false;
            for (size_t i = 0; i < n && !taken; i++)
                taken = src->topics[i].split_hi == h;
            if (taken)
                h = (h + 1) % 32749;
        }
        t->split_hi = h;
    }
    /* a topic handle makes librdkafka keep the topic's metadata (leaders) at hand */
    if (!(t->rkt = rd_kafka_topic_new(src->rk, name, NULL))) {
        free(t->name);
        return sl_error_set(err, SL_EKAFKA, "Kafka topic '%s': %s", name,
                            rd_kafka_err2str(rd_kafka_last_error()));
    }
    atomic_store_explicit(&src->ntopics, n + 1, memory_order_release);
    *idx = (int32_t)n;
    return 0;
}

/* Adds partition `partition` of topic `topic` for `worker` (-1: its owner by TOPICS), next
 * offset `next`; *out is its entry. The caller adds partitions of a topic in order. */
static int sl_source_part_add(struct sl_kafka_source *src, int32_t topic, int32_t partition,
                              int worker, int64_t next, struct sl_kafka_part **out,
                              struct sl_error *err)
{
    struct sl_kafka_topic *t = &src->topics[topic];
    size_t n = sl_source_nparts(src);
    if (n == SL_KAFKA_MAX_PARTS)
        return sl_error_set(err, SL_EFULL,
                            "Kafka topic '%s' partition %d: the source reads %d partitions "
                            "already, its most",
                            t->name, (int)partition, SL_KAFKA_MAX_PARTS);
    if (!src->single && partition > 0xFFFF)
        return sl_error_set(err, SL_ERANGE,
                            "Kafka topic '%s' partition %d: a source of several topics reads "
                            "partitions 0..65535 only",
                            t->name, (int)partition);
    struct sl_kafka_part *p = &src->parts[n];
    *p = (struct sl_kafka_part){
        .topic = topic,
        .partition = partition,
        .split = t->split_hi < 0 ? partition
                                 : (int32_t)(((uint32_t)t->split_hi << 16) | (uint32_t)partition),
        .worker = worker >= 0 ? worker : (int)(((int64_t)t->start + partition) % src->nworkers),
        .next = next,
        .end = -1};
    uint32_t h = sl_source_slot(src, topic, partition);
    while (atomic_load_explicit(&src->map[h], memory_order_relaxed) != 0)
        h = (h + 1) & src->map_mask;
    atomic_store_explicit(&src->map[h], (uint32_t)n + 1, memory_order_release);
    if (partition >= t->npart)
        t->npart = partition + 1;
    atomic_store_explicit(&src->nparts, n + 1, memory_order_release);
    *out = p;
    return 0;
}

/* Whether the pattern matches the whole of `name` (Kafka's internal topics never do). */
static bool sl_source_matches(const struct sl_kafka_source *src, const char *name)
{
    if (strcmp(name, "__consumer_offsets") == 0 || strcmp(name, "__transaction_state") == 0)
        return false;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(src->re, NULL);
    if (!md)
        return false;
    int rc = pcre2_match(src->re, (PCRE2_SPTR)name, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

static int sl_source_compile(const char *pattern, pcre2_code **out, struct sl_error *err)
{
    int ecode;
    PCRE2_SIZE eoff;
    /* Java's Matcher.matches(): the whole name, as Flink's TopicPatternSubscriber asks */
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_ANCHORED | PCRE2_ENDANCHORED, &ecode, &eoff, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ecode, msg, sizeof(msg));
        return sl_error_set(err, SL_EPARSE, "topic-pattern '%s': %s at character %zu", pattern,
                            (const char *)msg, (size_t)eoff + 1);
    }
    *out = re;
    return 0;
}

int sl_kafka_pattern_check(const char *pattern, struct sl_error *err)
{
    pcre2_code *re = NULL;
    int rc = sl_source_compile(pattern, &re, err);
    pcre2_code_free(re);
    return rc;
}

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
        /* topic NULL: the source's first (its only one: a list or pattern refuses these) */
        out[k] = (struct sl_kafka_offset){.partition = (int32_t)part, .offset = off};
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

static const char *sl_part_topic(const struct sl_kafka_source *src, const struct sl_kafka_part *p)
{
    return src->topics[p->topic].name;
}

/* What the source reads, for messages that name no one partition: its first topic, or (a
 * pattern that matched nothing yet) the pattern's topics. */
static const char *sl_source_label(const struct sl_kafka_source *src)
{
    return sl_source_ntopics(src) > 0 ? src->topics[0].name
                                      : "(none matches the topic-pattern yet)";
}

static int sl_source_watermarks(struct sl_kafka_source *src, const char *topic, int32_t partition,
                                int64_t *lo, int64_t *hi, struct sl_error *err)
{
    rd_kafka_resp_err_t kerr =
        rd_kafka_query_watermark_offsets(src->rk, topic, partition, lo, hi, src->timeout_ms);
    if (kerr)
        return sl_error_set(err, sl_kafka_err_code(kerr),
                            "Kafka topic '%s' partition %d: cannot read its offsets: %s", topic,
                            (int)partition, rd_kafka_err2str(kerr));
    return 0;
}

/* Looks up the first offset at or after `ts` for parts[0 .. n-1] (ListOffsets by time). */
static int sl_source_offsets_for_time(struct sl_kafka_source *src, size_t n, int64_t ts,
                                      int64_t *out, struct sl_error *err)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, sl_part_topic(src, &src->parts[i]),
                                          src->parts[i].partition)
            ->offset = ts;
    int rc = 0;
    rd_kafka_resp_err_t kerr = rd_kafka_offsets_for_times(src->rk, list, src->timeout_ms);
    if (kerr) {
        rc = sl_error_set(err, sl_kafka_err_code(kerr),
                          "Kafka topic '%s': cannot look up offsets for timestamp %" PRId64 ": %s",
                          sl_source_label(src), ts, rd_kafka_err2str(kerr));
        goto out;
    }
    for (int i = 0; i < list->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &list->elems[i];
        if (tp->err) {
            rc = sl_error_set(err, sl_kafka_err_code(tp->err),
                              "Kafka topic '%s' partition %d: cannot look up the offset for "
                              "timestamp %" PRId64 ": %s",
                              tp->topic, (int)tp->partition, ts, rd_kafka_err2str(tp->err));
            goto out;
        }
        struct sl_kafka_part *p = sl_source_find_name(src, tp->topic, tp->partition);
        if (p)
            out[p - src->parts] = tp->offset;
    }
out:
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

static int sl_source_resolve_timestamps(struct sl_kafka_source *src, size_t n, int64_t ts,
                                        int64_t *start, struct sl_error *err)
{
    int rc = sl_source_offsets_for_time(src, n, ts, start, err);
    if (rc)
        return rc;
    bool all_none = true;
    for (size_t i = 0; i < n; i++)
        all_none &= start[i] < 0;
    if (all_none && n > 0) {
        /* See "START OFFSETS" above: tell a cluster that cannot look up by time from
         * partitions that simply hold nothing that recent. */
        int64_t *probe = calloc(n, sizeof(*probe));
        if (!probe)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        rc = sl_source_offsets_for_time(src, n, 0, probe, err);
        for (size_t i = 0; !rc && i < n; i++) {
            const struct sl_kafka_part *p = &src->parts[i];
            int64_t lo, hi;
            rc = sl_source_watermarks(src, sl_part_topic(src, p), p->partition, &lo, &hi, err);
            if (!rc && probe[i] < 0 && hi > lo)
                rc = sl_error_set(
                    err, SL_ENOTSUP,
                    "Kafka topic '%s': the cluster cannot look up offsets by timestamp "
                    "(partition %d holds offsets %" PRId64 "..%" PRId64
                    " but has none for time 0; librdkafka's mock cluster does not implement "
                    "ListOffsets by time): scan.startup.mode 'timestamp' needs a real broker",
                    sl_part_topic(src, p), (int)p->partition, lo, hi - 1);
        }
        free(probe);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (start[i] < 0) { /* nothing that recent: start at the end, concretely */
            const struct sl_kafka_part *p = &src->parts[i];
            int64_t lo, hi;
            rc = sl_source_watermarks(src, sl_part_topic(src, p), p->partition, &lo, &hi, err);
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
                                   const struct sl_kafka_source_config *cfg, size_t n,
                                   int64_t *start, struct sl_error *err)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, sl_part_topic(src, &src->parts[i]),
                                          src->parts[i].partition);
    int rc = 0;
    rd_kafka_resp_err_t kerr = rd_kafka_committed(src->rk, list, src->timeout_ms);
    if (kerr)
        rc = sl_error_set(err, sl_kafka_err_code(kerr),
                          "Kafka topic '%s': cannot read the committed offsets of consumer group "
                          "'%s': %s",
                          sl_source_label(src), cfg->group_id, rd_kafka_err2str(kerr));
    const char *reset = cfg->offset_reset ? cfg->offset_reset : "error";
    for (int i = 0; !rc && i < list->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &list->elems[i];
        struct sl_kafka_part *p = sl_source_find_name(src, tp->topic, tp->partition);
        if (!p)
            continue;
        int64_t *s = &start[p - src->parts];
        if (tp->err)
            rc = sl_error_set(err, sl_kafka_err_code(tp->err),
                              "Kafka topic '%s' partition %d: cannot read the committed offset "
                              "of consumer group '%s': %s",
                              tp->topic, (int)tp->partition, cfg->group_id,
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
                              tp->topic, (int)tp->partition, cfg->group_id);
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

/* Fills start[i] for parts[0 .. n-1] according to the start-up mode. */
static int sl_source_start_offsets(struct sl_kafka_source *src,
                                   const struct sl_kafka_source_config *cfg, size_t n,
                                   int64_t *start, struct sl_error *err)
{
    for (size_t i = 0; i < n; i++)
        start[i] = SL_KAFKA_OFFSET_EARLIEST;
    switch (cfg->startup) {
    case SL_KAFKA_START_EARLIEST:
        return 0;
    case SL_KAFKA_START_LATEST:
        for (size_t i = 0; i < n; i++)
            start[i] = SL_KAFKA_OFFSET_LATEST;
        break;
    case SL_KAFKA_START_SPECIFIC:
        for (size_t k = 0; k < cfg->noffsets; k++) {
            const struct sl_kafka_offset *o = &cfg->offsets[k];
            const struct sl_kafka_part *p = sl_source_find_name(src, o->topic, o->partition);
            const char *tn = o->topic ? o->topic : src->topics[0].name;
            if (!p)
                return sl_error_set(err, SL_EINVAL,
                                    "Kafka topic '%s': a start offset is given for partition "
                                    "%d, which the source does not read",
                                    tn, (int)o->partition);
            if (o->offset < SL_KAFKA_OFFSET_EARLIEST)
                return sl_error_set(err, SL_EINVAL,
                                    "Kafka topic '%s' partition %d: start offset %" PRId64
                                    " is not valid",
                                    tn, (int)o->partition, o->offset);
            start[p - src->parts] = o->offset;
        }
        break;
    case SL_KAFKA_START_TIMESTAMP:
        if (cfg->timestamp_ms < 0)
            return sl_error_set(err, SL_EINVAL,
                                "scan.startup.timestamp-millis %" PRId64 " is negative",
                                cfg->timestamp_ms);
        return sl_source_resolve_timestamps(src, n, cfg->timestamp_ms, start, err);
    case SL_KAFKA_START_GROUP: {
        int rc = sl_source_group_offsets(src, cfg, n, start, err);
        if (rc)
            return rc;
        break;
    }
    default:
        return sl_error_set(err, SL_EINVAL, "Kafka source: unknown start-up mode %d",
                            (int)cfg->startup);
    }
    for (size_t i = 0; i < n; i++) {
        if (start[i] == SL_KAFKA_OFFSET_LATEST) {
            const struct sl_kafka_part *p = &src->parts[i];
            int64_t lo, hi;
            int rc = sl_source_watermarks(src, sl_part_topic(src, p), p->partition, &lo, &hi, err);
            if (rc)
                return rc;
            start[i] = hi;
        }
    }
    return 0;
}

/* The topics a pattern matches now, sorted by name (a start that does not depend on the
 * order the cluster lists them in); *out is the caller's (free each, then the array). */
static int sl_source_pattern_topics(struct sl_kafka_source *src, char ***out, size_t *n,
                                    struct sl_error *err)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr = rd_kafka_metadata(src->rk, 1, NULL, &md, src->timeout_ms);
    if (kerr)
        return sl_error_set(err, sl_kafka_err_code(kerr), "Kafka metadata (topic-pattern): %s",
                            rd_kafka_err2str(kerr));
    char **names = calloc((size_t)md->topic_cnt + 1, sizeof(*names));
    size_t k = 0;
    int rc = names ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < md->topic_cnt; i++) {
        const struct rd_kafka_metadata_topic *t = &md->topics[i];
        if (t->err || !sl_source_matches(src, t->topic))
            continue;
        if (!(names[k++] = strdup(t->topic)))
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    rd_kafka_metadata_destroy(md);
    if (rc) {
        for (size_t i = 0; names && i < k; i++)
            free(names[i]);
        free(names);
        return rc;
    }
    for (size_t i = 1; i < k; i++) /* insertion sort: a handful of names */
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *tmp = names[j];
            names[j] = names[j - 1];
            names[j - 1] = tmp;
        }
    *out = names;
    *n = k;
    return 0;
}

/* Adds the topics cfg names (or the pattern matches) and their partitions. */
static int sl_source_partitions(struct sl_kafka_source *src,
                                const struct sl_kafka_source_config *cfg, struct sl_error *err)
{
    char **names = NULL;
    size_t nnames = 0;
    int rc = 0;
    if (cfg->topic_pattern) {
        if ((rc = sl_source_pattern_topics(src, &names, &nnames, err)))
            return rc;
    } else if (cfg->topic) {
        nnames = 1;
    } else {
        nnames = cfg->ntopics;
    }
    for (size_t k = 0; !rc && k < nnames; k++) {
        const char *name = names ? names[k] : cfg->topic ? cfg->topic : cfg->topics[k];
        int32_t count = 0, ti;
        if (sl_source_topic_find(src, name) >= 0) {
            rc = sl_error_set(err, SL_EINVAL, "Kafka topic '%s' is listed twice", name);
            break;
        }
        if ((rc = sl_kafka_partition_count(src->rk, name, src->timeout_ms, &count, err)) ||
            (rc = sl_source_topic_add(src, name, &ti, err)))
            break;
        size_t n = cfg->partitions ? cfg->npartitions : (size_t)count;
        for (size_t i = 0; !rc && i < n; i++) {
            int32_t p = cfg->partitions ? cfg->partitions[i] : (int32_t)i;
            int w = cfg->partition_worker ? cfg->partition_worker[i]
                    : cfg->partitions     ? (int)(i % (size_t)cfg->nworkers)
                                          : -1;
            struct sl_kafka_part *part;
            if (p < 0 || p >= count)
                rc = sl_error_set(err, SL_EINVAL,
                                  "Kafka topic '%s' has %d partitions: there is no partition %d",
                                  name, (int)count, (int)p);
            else if (sl_source_find(src, ti, p))
                rc = sl_error_set(err, SL_EINVAL, "Kafka topic '%s': partition %d listed twice",
                                  name, (int)p);
            else if (w < -1 || w >= cfg->nworkers)
                rc = sl_error_set(err, SL_EINVAL,
                                  "Kafka topic '%s' partition %d: worker %d is not in 0..%d", name,
                                  (int)p, w, cfg->nworkers - 1);
            else
                rc = sl_source_part_add(src, ti, p, w, SL_KAFKA_OFFSET_EARLIEST, &part, err);
        }
        src->topics[ti].npart = count; /* what discovery compares with */
    }
    for (size_t k = 0; names && k < nnames; k++)
        free(names[k]);
    free(names);
    return rc;
}

/* Forwards a partition's queue to its worker's queue (nothing is fetched before the
 * partition is assigned). */
static int sl_source_forward(struct sl_kafka_source *src, const struct sl_kafka_part *p,
                             struct sl_error *err)
{
    rd_kafka_queue_t *pq =
        rd_kafka_queue_get_partition(src->rk, sl_part_topic(src, p), p->partition);
    if (!pq)
        return sl_error_set(err, SL_EKAFKA, "Kafka topic '%s' partition %d: no queue",
                            sl_part_topic(src, p), (int)p->partition);
    rd_kafka_queue_forward(pq, src->workers[p->worker].queue);
    rd_kafka_queue_destroy(pq);
    return 0;
}

/* Assigns the partitions in `list`; the error names `what`. */
static int sl_source_assign(struct sl_kafka_source *src, rd_kafka_topic_partition_list_t *list,
                            const char *what, struct sl_error *err)
{
    if (list->cnt == 0)
        return 0;
    rd_kafka_error_t *e = rd_kafka_incremental_assign(src->rk, list);
    if (!e)
        return 0;
    int rc = sl_error_set(err, sl_kafka_err_code(rd_kafka_error_code(e)),
                          "Kafka topic '%s': assign: %s", what, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return rc;
}

/* Assigns worker `worker`'s partitions that are not done, each at its next offset (under
 * mu: discovery assigns what it adds itself once the worker has started). */
static int sl_source_start_worker(struct sl_kafka_source *src, int worker, struct sl_error *err)
{
    struct sl_kafka_worker *w = &src->workers[worker];
    pthread_mutex_lock(&src->mu);
    w->started = true;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(4);
    size_t n = sl_source_nparts(src);
    for (size_t i = 0; i < n; i++) {
        struct sl_kafka_part *p = &src->parts[i];
        if (p->worker != worker || p->done)
            continue; /* another worker's, or bounded and already at its end: never fetched */
        rd_kafka_topic_partition_list_add(list, sl_part_topic(src, p), p->partition)->offset =
            p->next;
    }
    int rc = sl_source_assign(src, list, sl_source_label(src), err);
    pthread_mutex_unlock(&src->mu);
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

/* Bounded at given end offsets: partition p's from cfg->end_offsets (SL_EINVAL when the list
 * does not name it: a bounded source reads no partition without an end). */
static int sl_source_given_end(struct sl_kafka_source *src,
                               const struct sl_kafka_source_config *cfg, struct sl_kafka_part *p,
                               struct sl_error *err)
{
    for (size_t k = 0; k < cfg->nend_offsets; k++) {
        const struct sl_kafka_offset *e = &cfg->end_offsets[k];
        if (e->partition == p->partition &&
            strcmp(e->topic ? e->topic : src->topics[0].name, sl_part_topic(src, p)) == 0) {
            p->end = e->offset;
            return 0;
        }
    }
    return sl_error_set(err, SL_EINVAL,
                        "Kafka topic '%s': the bounded source's end offsets name no offset for "
                        "partition %d (every partition read needs one)",
                        sl_part_topic(src, p), (int)p->partition);
}

/* ---- discovery ------------------------------------------------------------------------------ */

/* One look at the cluster's topics (on the discovery thread), from the metadata `md` it
 * fetched: new partitions of the topics read, and new topics the pattern matches, are added
 * and assigned at the earliest offset. Under mu. */
static int sl_source_discover(struct sl_kafka_source *src, const struct rd_kafka_metadata *md,
                              struct sl_error *err)
{
    /* new topics in name order, as a start would add them */
    const struct rd_kafka_metadata_topic **order =
        calloc((size_t)md->topic_cnt + 1, sizeof(*order));
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(4);
    int rc = order ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
    int k = 0;
    for (int i = 0; !rc && i < md->topic_cnt; i++) {
        const struct rd_kafka_metadata_topic *t = &md->topics[i];
        if (t->err || t->partition_cnt <= 0)
            continue;
        if (sl_source_topic_find(src, t->topic) < 0 &&
            !(src->re && sl_source_matches(src, t->topic)))
            continue;
        int j = k++;
        for (; j > 0 && strcmp(order[j - 1]->topic, t->topic) > 0; j--)
            order[j] = order[j - 1];
        order[j] = t;
    }
    for (int i = 0; !rc && i < k; i++) {
        const struct rd_kafka_metadata_topic *t = order[i];
        int32_t ti = sl_source_topic_find(src, t->topic);
        if (ti < 0 && (rc = sl_source_topic_add(src, t->topic, &ti, err)))
            break;
        struct sl_kafka_topic *tp = &src->topics[ti];
        for (int32_t p = tp->npart; !rc && p < t->partition_cnt; p++) {
            struct sl_kafka_part *part = NULL;
            rc = sl_source_part_add(src, ti, p, -1, SL_KAFKA_OFFSET_EARLIEST, &part, err);
            if (!rc)
                rc = sl_source_forward(src, part, err);
            if (!rc && src->workers[part->worker].started)
                rd_kafka_topic_partition_list_add(list, tp->name, p)->offset =
                    SL_KAFKA_OFFSET_EARLIEST;
        }
    }
    if (!rc)
        rc = sl_source_assign(src, list, "(discovered partitions)", err);
    rd_kafka_topic_partition_list_destroy(list);
    free(order);
    return rc;
}

static void *sl_source_discovery_main(void *arg)
{
    struct sl_kafka_source *src = arg;
    pthread_mutex_lock(&src->mu);
    while (!src->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(src->interval_ms / 1000);
        ts.tv_nsec += (long)(src->interval_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!src->stop && pthread_cond_timedwait(&src->cv, &src->mu, &ts) == 0)
            ;
        if (src->stop)
            break;
        /* the request without the lock: a worker's first poll or a restore need not wait
         * for the cluster's answer (up to timeout_ms when a broker is away); _free does, in
         * its join */
        pthread_mutex_unlock(&src->mu);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t kerr = rd_kafka_metadata(src->rk, 1, NULL, &md, src->timeout_ms);
        pthread_mutex_lock(&src->mu);
        struct sl_error e;
        sl_error_clear(&e);
        int rc = src->stop ? 0
                 : kerr ? sl_error_set(&e, sl_kafka_err_code(kerr), "Kafka partition discovery: %s",
                                       rd_kafka_err2str(kerr))
                        : sl_source_discover(src, md, &e);
        if (md)
            rd_kafka_metadata_destroy(md);
        if (src->stop)
            break;
        /* retriable (a broker away for the request's whole timeout too): look again at the
         * next interval */
        if (rc && rc != SL_EKAFKA_RETRY && rc != SL_ETIMEOUT) {
            src->disc_err = e;
            atomic_store_explicit(&src->disc_failed, 1, memory_order_release);
            break;
        }
    }
    pthread_mutex_unlock(&src->mu);
    return NULL;
}

/* ---- start-up ------------------------------------------------------------------------------- */

int sl_kafka_source_new(const struct sl_kafka_source_config *cfg, struct sl_kafka_source **out,
                        struct sl_error *err)
{
    int nsel = (cfg->topic != NULL) + (cfg->topics != NULL) + (cfg->topic_pattern != NULL);
    if (!cfg->bootstrap || nsel != 1 || (cfg->topics && cfg->ntopics == 0) || cfg->nworkers < 1)
        return sl_error_set(err, SL_EINVAL,
                            "Kafka source: bootstrap, exactly one of a topic, a topic list and a "
                            "topic pattern, and at least one worker needed");
    bool single = cfg->topic || (cfg->topics && cfg->ntopics == 1);
    const char *what = cfg->topic_pattern ? cfg->topic_pattern
                       : cfg->topic       ? cfg->topic
                                          : cfg->topics[0];
    if (cfg->partitions && !single)
        return sl_error_set(err, SL_EINVAL,
                            "Kafka source '%s': an explicit partition list needs a single topic",
                            what);
    if (!single && (cfg->noffsets || cfg->nend_offsets))
        for (size_t k = 0; k < cfg->noffsets + cfg->nend_offsets; k++) {
            const struct sl_kafka_offset *o =
                k < cfg->noffsets ? &cfg->offsets[k] : &cfg->end_offsets[k - cfg->noffsets];
            if (!o->topic)
                return sl_error_set(err, SL_EINVAL,
                                    "Kafka source '%s': offsets for partition %d name no topic, "
                                    "and the source reads several",
                                    what, (int)o->partition);
        }
    if (cfg->startup == SL_KAFKA_START_GROUP && (!cfg->group_id || !cfg->group_id[0]))
        return sl_error_set(err, SL_EINVAL,
                            "Kafka topic '%s': scan.startup.mode 'group-offsets' needs a "
                            "consumer group ('properties.group.id')",
                            what);
    struct sl_kafka_source *src = calloc(1, sizeof(*src));
    if (!src)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    pthread_mutex_init(&src->mu, NULL);
    pthread_cond_init(&src->cv, NULL);
    src->bounded = cfg->bounded;
    src->headers = cfg->headers;
    src->single = single;
    src->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
    src->nworkers = cfg->nworkers;
    src->interval_ms = cfg->bounded || cfg->partitions ? 0 : cfg->discovery_interval_ms;
    src->workers = calloc((size_t)cfg->nworkers, sizeof(*src->workers));
    src->topics = calloc(SL_KAFKA_MAX_TOPICS, sizeof(*src->topics));
    src->parts = calloc(SL_KAFKA_MAX_PARTS, sizeof(*src->parts));
    src->map_mask = 2 * SL_KAFKA_MAX_PARTS - 1;
    src->map = calloc((size_t)src->map_mask + 1, sizeof(*src->map));
    int64_t *start = NULL;
    int rc;
    if (!src->workers || !src->topics || !src->parts || !src->map) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    if (cfg->topic_pattern && (rc = sl_source_compile(cfg->topic_pattern, &src->re, err)))
        goto fail;

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
    if (sl_source_ntopics(src) == 0 && src->interval_ms <= 0) {
        rc = sl_error_set(err, SL_ENOTFOUND,
                          "Kafka topic-pattern '%s' matches no topic, and with %s nothing will "
                          "look again (set 'scan.topic-partition-discovery.interval' to wait "
                          "for such topics)",
                          cfg->topic_pattern, cfg->bounded ? "a bounded source" : "discovery off");
        goto fail;
    }
    size_t nparts = sl_source_nparts(src);
    for (size_t k = 0; cfg->bounded && k < cfg->nend_offsets; k++) {
        const struct sl_kafka_offset *e = &cfg->end_offsets[k];
        const char *tn = e->topic ? e->topic : src->topics[0].name;
        int32_t ti = sl_source_topic_find(src, tn);
        if (ti < 0 || e->partition < 0 || e->partition >= src->topics[ti].npart || e->offset < 0) {
            rc = sl_error_set(
                err, SL_EINVAL,
                "Kafka topic '%s' has partitions 0..%d: no end offset %" PRId64 " for partition %d",
                tn, ti < 0 ? -1 : (int)src->topics[ti].npart - 1, e->offset, (int)e->partition);
            goto fail;
        }
    }
    start = calloc(nparts ? nparts : 1, sizeof(*start));
    if (!start) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    rc = sl_source_start_offsets(src, cfg, nparts, start, err);
    if (rc)
        goto fail;
    for (size_t i = 0; i < nparts; i++) {
        struct sl_kafka_part *p = &src->parts[i];
        __atomic_store_n(&p->next, start[i], __ATOMIC_RELAXED);
        if (src->bounded) {
            int64_t lo;
            rc = sl_source_watermarks(src, sl_part_topic(src, p), p->partition, &lo, &p->end, err);
            if (rc)
                goto fail;
            if (cfg->end_offsets && (rc = sl_source_given_end(src, cfg, p, err)))
                goto fail;
            /* Already at (or past) the end, or empty: done before it starts. */
            p->done = p->end <= (start[i] >= 0 ? start[i] : lo);
        }
        if (!p->done)
            src->workers[p->worker].live++;
        if ((rc = sl_source_forward(src, p, err)))
            goto fail;
    }
    if (src->interval_ms > 0) {
        if (pthread_create(&src->disc, NULL, sl_source_discovery_main, src) != 0) {
            rc = sl_error_set(err, SL_ENOMEM, "Kafka source '%s': no discovery thread", what);
            goto fail;
        }
        src->disc_on = true;
    }
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
    rd_kafka_topic_partition_list_add(list, sl_part_topic(src, p), p->partition);
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
                           const struct sl_kafka_part *p, const rd_kafka_message_t *m)
{
    int32_t partition = m->partition;
    const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : sl_source_label(src);
    int64_t want = m->offset;
    if (p && p->next >= 0)
        want = p->next;
    if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
        m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
        int64_t lo = -1, hi = -1;
        struct sl_error werr;
        if (sl_source_watermarks(src, topic, partition, &lo, &hi, &werr) != 0) {
            sl_error_set(&w->err, SL_EKAFKA,
                         "Kafka topic '%s' partition %d: offset %" PRId64
                         " is out of range, and the retained range cannot be read (%s)",
                         topic, (int)partition, want, werr.msg);
        } else if (want < lo) {
            sl_error_set(&w->err, SL_EKAFKA,
                         "Kafka topic '%s' partition %d: offset %" PRId64
                         " is out of range: the broker now keeps offsets %" PRId64 "..%" PRId64
                         ", so the %" PRId64 " records at offsets %" PRId64 "..%" PRId64
                         " were lost before they were read (set 'auto.offset.reset' to "
                         "'earliest' or 'latest' to skip them)",
                         topic, (int)partition, want, lo, hi - 1, lo - want, want, lo - 1);
        } else {
            sl_error_set(&w->err, SL_EKAFKA,
                         "Kafka topic '%s' partition %d: offset %" PRId64
                         " is out of range: the broker keeps offsets %" PRId64 "..%" PRId64
                         " (the offset is past the end)",
                         topic, (int)partition, want, lo, hi - 1);
        }
        return;
    }
    sl_error_set(&w->err, sl_kafka_err_code(m->err),
                 "Kafka topic '%s' partition %d at offset %" PRId64 ": %s", topic, (int)partition,
                 want, rd_kafka_message_errstr(m));
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

/* Header i of hdrs unless an earlier header has its name (then NULL), with the value of the
 * last header of that name (the config's rule). */
static const char *sl_source_header(rd_kafka_headers_t *hdrs, size_t cnt, size_t i,
                                    const void **val, size_t *size)
{
    const char *name;
    if (rd_kafka_header_get_all(hdrs, i, &name, val, size))
        return NULL;
    for (size_t j = 0; j < i; j++) {
        const char *nj;
        const void *vj;
        size_t sj;
        if (!rd_kafka_header_get_all(hdrs, j, &nj, &vj, &sj) && strcmp(nj, name) == 0)
            return NULL;
    }
    for (size_t k = i + 1; k < cnt; k++) {
        const char *nk;
        const void *vk;
        size_t sk;
        if (!rd_kafka_header_get_all(hdrs, k, &nk, &vk, &sk) && strcmp(nk, name) == 0) {
            *val = vk;
            *size = sk;
        }
    }
    return name;
}

/* The header maps of recs[0..n) (from msgs[0..n)) in one buffer that lives until release. */
static int sl_source_headers(struct sl_kafka_worker *w, rd_kafka_message_t **msgs,
                             struct sl_record *recs, size_t n, struct sl_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        rd_kafka_headers_t *hdrs = NULL;
        size_t cnt = 0, len = 4;
        if (!rd_kafka_message_headers(msgs[i], &hdrs))
            cnt = rd_kafka_header_cnt(hdrs);
        for (size_t k = 0; k < cnt; k++) {
            const void *v;
            size_t sz;
            const char *name = sl_source_header(hdrs, cnt, k, &v, &sz);
            if (name)
                len += sl_map_entry_size((uint32_t)strlen(name), v, (uint32_t)sz);
        }
        if (len > UINT32_MAX - 1)
            return sl_error_set(err, SL_ERANGE,
                                "topic '%s' partition %d offset %" PRId64
                                ": its headers take more than 4 GiB",
                                recs[i].topic, (int)recs[i].partition, recs[i].offset);
        recs[i].headers_len = (uint32_t)len;
        total += len;
    }
    if (w->nhbufs == w->hbufs_cap) {
        size_t ncap = w->hbufs_cap ? 2 * w->hbufs_cap : 8;
        char **nb = realloc(w->hbufs, ncap * sizeof(*nb));
        if (!nb)
            return sl_error_set(err, SL_ENOMEM, "out of memory for Kafka headers");
        w->hbufs = nb;
        w->hbufs_cap = ncap;
    }
    char *buf = malloc(total ? total : 1);
    if (!buf)
        return sl_error_set(err, SL_ENOMEM, "out of memory for Kafka headers");
    w->hbufs[w->nhbufs++] = buf;
    for (size_t i = 0; i < n; i++) {
        rd_kafka_headers_t *hdrs = NULL;
        size_t cnt = 0, pos = 4;
        uint32_t entries = 0;
        if (!rd_kafka_message_headers(msgs[i], &hdrs))
            cnt = rd_kafka_header_cnt(hdrs);
        for (size_t k = 0; k < cnt; k++) {
            const void *v;
            size_t sz;
            const char *name = sl_source_header(hdrs, cnt, k, &v, &sz);
            if (name) {
                pos += sl_map_put_entry(buf + pos, name, (uint32_t)strlen(name), v, (uint32_t)sz);
                entries++;
            }
        }
        sl_map_put_count(buf, entries);
        recs[i].headers = buf;
        buf += pos;
    }
    return 0;
}

/* The entry of message m's partition (NULL: not one the source reads). */
static struct sl_kafka_part *sl_source_part_of(struct sl_kafka_source *src,
                                               struct sl_kafka_worker *w,
                                               const rd_kafka_message_t *m)
{
    if (!m->rkt)
        return NULL;
    if (m->rkt == w->c_rkt && m->partition == w->c_pid)
        return w->c_part;
    struct sl_kafka_part *p =
        sl_source_find(src, sl_source_topic_find(src, rd_kafka_topic_name(m->rkt)), m->partition);
    w->c_rkt = m->rkt;
    w->c_pid = m->partition;
    w->c_part = p;
    return p;
}

int sl_kafka_source_poll(struct sl_kafka_source *src, int worker, struct sl_record *recs,
                         size_t cap, int timeout_ms, size_t *n, struct sl_error *err)
{
    struct sl_kafka_worker *w = &src->workers[worker];
    *n = 0;
    if (!w->err.code && atomic_load_explicit(&src->disc_failed, memory_order_acquire)) {
        pthread_mutex_lock(&src->mu);
        w->err = src->disc_err;
        pthread_mutex_unlock(&src->mu);
    }
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
        return sl_error_set(err, SL_EKAFKA, "Kafka topic '%s': consume: %s", sl_source_label(src),
                            rd_kafka_err2str(rd_kafka_last_error()));
    size_t keep = 0;
    for (ssize_t i = 0; i < ngot; i++) {
        rd_kafka_message_t *m = got[i];
        struct sl_kafka_part *p = sl_source_part_of(src, w, m);
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
                sl_source_fail(src, w, p, m);
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
        r->topic = sl_part_topic(src, p);
        r->partition = p->partition;
        r->offset = m->offset;
        rd_kafka_timestamp_type_t tstype;
        r->timestamp = rd_kafka_message_timestamp(m, &tstype);
        r->timestamp_type = (int8_t)tstype;
        r->key = m->key;
        r->key_len = m->key_len;
        r->value = m->payload;
        r->value_len = m->len;
        r->headers = NULL;
        r->headers_len = 0;
        __atomic_store_n(&p->next, m->offset + 1, __ATOMIC_RELAXED);
        if (src->bounded && p->next >= p->end)
            sl_source_mark_done(src, p);
        got[keep++] = m;
    }
    w->nheld += keep;
    if (src->headers && keep && !w->err.code && sl_source_headers(w, got, recs, keep, &w->err))
        goto error; /* sticky; the messages are held, release frees them */
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
    for (size_t i = 0; i < w->nhbufs; i++)
        free(w->hbufs[i]);
    w->nhbufs = 0;
}

bool sl_kafka_source_finished(const struct sl_kafka_source *src, int worker)
{
    return src->bounded && src->workers[worker].live == 0;
}

int sl_kafka_source_positions(const struct sl_kafka_source *src, int worker,
                              struct sl_kafka_offset *out, size_t cap, size_t *n)
{
    size_t k = 0, np = sl_source_nparts(src);
    for (size_t i = 0; i < np; i++) {
        const struct sl_kafka_part *p = &src->parts[i];
        if (worker >= 0 && p->worker != worker)
            continue;
        if (k < cap)
            out[k] = (struct sl_kafka_offset){p->partition, p->next, sl_part_topic(src, p)};
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
    size_t np = sl_source_nparts(src); /* partitions discovered later: the next scrape */
    for (size_t i = 0; i < np; i++) {
        const struct sl_kafka_part *p = &src->parts[i];
        const char *topic = sl_part_topic(src, p);
        int64_t next = __atomic_load_n(&p->next, __ATOMIC_RELAXED);
        int64_t lo = -1, hi = -1;
        /* librdkafka's cached values (from fetch responses): no request, any thread */
        if (rd_kafka_get_watermark_offsets(src->rk, topic, p->partition, &lo, &hi) !=
            RD_KAFKA_RESP_ERR_NO_ERROR)
            lo = hi = -1;
        if (next < 0) /* nothing handed out yet from an 'earliest' start */
            next = lo >= 0 ? lo : -1;
        emit(arg, topic, p->partition, next, hi);
    }
}

int sl_kafka_source_state(const struct sl_kafka_source *src, int worker,
                          struct sl_kafka_part_state *out, size_t cap, size_t *n)
{
    size_t k = 0, np = sl_source_nparts(src);
    for (size_t i = 0; i < np; i++) {
        const struct sl_kafka_part *p = &src->parts[i];
        if (p->worker != worker)
            continue;
        if (k < cap)
            out[k] = (struct sl_kafka_part_state){p->partition, p->next, p->end, p->done,
                                                  sl_part_topic(src, p)};
        k++;
    }
    *n = k;
    return k > cap ? SL_EFULL : 0;
}

static int sl_source_resume_locked(struct sl_kafka_source *src, int worker,
                                   const struct sl_kafka_part_state *in, size_t n,
                                   bool unlisted_earliest, struct sl_error *err);

int sl_kafka_source_restore(struct sl_kafka_source *src, int worker,
                            const struct sl_kafka_part_state *in, size_t n, struct sl_error *err)
{
    return sl_kafka_source_resume(src, worker, in, n, false, err);
}

int sl_kafka_source_resume(struct sl_kafka_source *src, int worker,
                           const struct sl_kafka_part_state *in, size_t n, bool unlisted_earliest,
                           struct sl_error *err)
{
    struct sl_kafka_worker *w = &src->workers[worker];
    if (w->started)
        return sl_error_set(err, SL_EINVAL,
                            "Kafka topic '%s': worker %d restores after its first poll",
                            sl_source_label(src), worker);
    pthread_mutex_lock(&src->mu); /* discovery may add partitions (and npart) meanwhile */
    int rc = sl_source_resume_locked(src, worker, in, n, unlisted_earliest, err);
    pthread_mutex_unlock(&src->mu);
    return rc;
}

static int sl_source_resume_locked(struct sl_kafka_source *src, int worker,
                                   const struct sl_kafka_part_state *in, size_t n,
                                   bool unlisted_earliest, struct sl_error *err)
{
    struct sl_kafka_worker *w = &src->workers[worker];
    /* check everything before changing anything */
    for (size_t k = 0; k < n; k++) {
        const struct sl_kafka_part_state *s = &in[k];
        const char *tn = s->topic ? s->topic : src->topics[0].name;
        int32_t ti = s->topic ? sl_source_topic_find(src, s->topic) : 0;
        if (ti < 0)
            return sl_error_set(err, SL_EINVAL,
                                "Kafka topic '%s' partition %d is in the checkpoint, but the "
                                "source does not read that topic now",
                                tn, (int)s->partition);
        const struct sl_kafka_part *p = sl_source_find(src, ti, s->partition);
        if (s->partition < 0 || s->partition >= src->topics[ti].npart)
            return sl_error_set(err, SL_ENOTFOUND,
                                "Kafka topic '%s' partition %d is in the checkpoint, but the "
                                "topic has %d partitions now",
                                tn, (int)s->partition, (int)src->topics[ti].npart);
        if (!p || p->worker != worker)
            return sl_error_set(err, SL_EINVAL,
                                "Kafka topic '%s' partition %d is in worker %d's checkpoint, but "
                                "%s",
                                tn, (int)s->partition, worker,
                                !p ? "the source does not read it now"
                                   : "another worker reads it now");
        if (s->next < SL_KAFKA_OFFSET_EARLIEST || s->next == SL_KAFKA_OFFSET_LATEST)
            return sl_error_set(err, SL_EINVAL,
                                "Kafka topic '%s' partition %d: checkpoint offset %" PRId64
                                " is not valid",
                                tn, (int)s->partition, s->next);
        if (src->bounded && s->end < 0)
            return sl_error_set(err, SL_EINVAL,
                                "Kafka topic '%s' partition %d: the checkpoint has no end "
                                "offset for the bounded source",
                                tn, (int)s->partition);
        for (size_t j = 0; j < k; j++)
            if (in[j].partition == s->partition &&
                sl_source_find_name(src, in[j].topic, in[j].partition) == p)
                return sl_error_set(err, SL_EINVAL,
                                    "Kafka topic '%s' partition %d is in the checkpoint twice", tn,
                                    (int)s->partition);
    }
    size_t np = sl_source_nparts(src);
    bool *listed = calloc(np ? np : 1, sizeof(*listed));
    if (!listed)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        const struct sl_kafka_part_state *s = &in[k];
        struct sl_kafka_part *p = sl_source_find_name(src, s->topic, s->partition);
        listed[p - src->parts] = true;
        __atomic_store_n(&p->next, s->next, __ATOMIC_RELAXED);
        p->end = src->bounded ? s->end : -1;
        p->done = src->bounded && (s->done || (s->next >= 0 && s->next >= s->end));
    }
    w->live = 0;
    for (size_t i = 0; i < np; i++) {
        struct sl_kafka_part *p = &src->parts[i];
        if (p->worker != worker)
            continue;
        /* new since the checkpoint: from its first record, as discovery starts it */
        if (unlisted_earliest && !listed[i])
            __atomic_store_n(&p->next, SL_KAFKA_OFFSET_EARLIEST, __ATOMIC_RELAXED);
        if (!p->done)
            w->live++;
    }
    free(listed);
    return 0;
}

size_t sl_kafka_source_npartitions(const struct sl_kafka_source *src)
{
    return sl_source_nparts(src);
}

int64_t sl_kafka_source_end_offset_of(const struct sl_kafka_source *src, const char *topic,
                                      int32_t partition)
{
    const struct sl_kafka_part *p = sl_source_find_name(src, topic, partition);
    return src->bounded && p ? p->end : -1;
}

int64_t sl_kafka_source_end_offset(const struct sl_kafka_source *src, int32_t partition)
{
    return sl_kafka_source_end_offset_of(src, NULL, partition);
}

int32_t sl_kafka_source_split(const struct sl_kafka_source *src, const char *topic,
                              int32_t partition)
{
    const struct sl_kafka_part *p = sl_source_find_name(src, topic, partition);
    return p ? p->split : -1;
}

int sl_kafka_source_worker_of(const struct sl_kafka_source *src, const char *topic,
                              int32_t partition)
{
    const struct sl_kafka_part *p = sl_source_find_name(src, topic, partition);
    return p ? p->worker : -1;
}

int sl_kafka_source_splits(const struct sl_kafka_source *src, int worker, int32_t *ids, size_t cap,
                           size_t *n)
{
    size_t k = 0, np = sl_source_nparts(src);
    for (size_t i = 0; i < np; i++) {
        if (src->parts[i].worker != worker)
            continue;
        if (k < cap)
            ids[k] = src->parts[i].split;
        k++;
    }
    *n = k;
    return k > cap ? SL_EFULL : 0;
}

size_t sl_kafka_source_ntopics(const struct sl_kafka_source *src)
{
    return sl_source_ntopics(src);
}

const char *sl_kafka_source_topic(const struct sl_kafka_source *src, size_t i)
{
    return src->topics[i].name;
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
        rd_kafka_topic_partition_list_add(l, offs[i].topic ? offs[i].topic : src->topics[0].name,
                                          offs[i].partition)
            ->offset = offs[i].offset;
    rd_kafka_resp_err_t kerr = rd_kafka_commit(src->rk, l, 1 /* async */);
    rd_kafka_topic_partition_list_destroy(l);
    if (kerr)
        return sl_error_set(err, sl_kafka_err_code(kerr),
                            "Kafka topic '%s': committing offsets to the consumer group: %s",
                            sl_source_label(src), rd_kafka_err2str(kerr));
    return 0;
}

void sl_kafka_source_free(struct sl_kafka_source *src)
{
    if (!src)
        return;
    if (src->disc_on) {
        pthread_mutex_lock(&src->mu);
        src->stop = true;
        pthread_cond_broadcast(&src->cv);
        pthread_mutex_unlock(&src->mu);
        pthread_join(src->disc, NULL);
    }
    if (src->workers) {
        for (int w = 0; w < src->nworkers; w++) {
            sl_kafka_source_release(src, w);
            free(src->workers[w].held);
            free(src->workers[w].hbufs);
        }
    }
    size_t nt = src->topics ? sl_source_ntopics(src) : 0;
    if (src->rk) {
        rd_kafka_assign(src->rk, NULL);
        for (int w = 0; w < src->nworkers; w++)
            if (src->workers[w].queue)
                rd_kafka_queue_destroy(src->workers[w].queue);
        for (size_t i = 0; i < nt; i++)
            if (src->topics[i].rkt)
                rd_kafka_topic_destroy(src->topics[i].rkt);
        rd_kafka_consumer_close(src->rk);
        rd_kafka_destroy(src->rk);
    }
    for (size_t i = 0; i < nt; i++)
        free(src->topics[i].name);
    pcre2_code_free(src->re);
    pthread_cond_destroy(&src->cv);
    pthread_mutex_destroy(&src->mu);
    free(src->workers);
    free(src->topics);
    free(src->parts);
    free((void *)src->map);
    free(src);
}
