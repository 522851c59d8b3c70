/*
 * io/kafka_sink.c - the Kafka sink (see kafka_sink.h).
 *
 * Delivery reports arrive through dr_msg_cb, which librdkafka runs inside rd_kafka_poll /
 * rd_kafka_flush on the calling thread - always the sink's own - so the counters and the
 * error state need no lock. The producer's error callback runs there too; it turns a fatal
 * error (an idempotent producer that lost its sequence) into the error state and leaves
 * the transient ones (a broker briefly away), which librdkafka retries by itself, to the
 * log.
 *
 * Records are produced with RD_KAFKA_MSG_F_COPY. Letting librdkafka point into the caller's
 * batch would save a copy but tie the batch's lifetime to delivery, which happens long
 * after the operator moved on; the copy is cheap next to the rest of the produce path.
 *
 * Records without a timestamp of their own (the engine's: Kafka stamps them with the
 * produce time, as Flink's sink does without a `timestamp` metadata column) go through
 * rd_kafka_produce_batch, a call per partition per write: one topic lock and one clock
 * read for the lot instead of per record (rd_kafka_producev: its varargs, the topic's
 * read lock, two clock reads and a partition lookup per record - a quarter of the
 * produce path's CPU, docs/kafka.md). Records with a timestamp take rd_kafka_producev.
 */
#include "io/kafka_sink.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "engine/core/types.h"
#include "io/kafka_conf.h"

struct sl_kafka_sink {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    char *topic;
    enum sl_kafka_partitioner partitioner;
    int32_t partition;   /* FIXED */
    int32_t npartitions; /* ROUND_ROBIN, FIXED */
    uint64_t rr_next;
    rd_kafka_message_t *msgs; /* write's rd_kafka_produce_batch arrays */
    size_t msgs_cap;
    struct sl_kafka_sink_stats stats;
    struct sl_error err; /* sticky; code 0 while healthy */
    void (*on_delivered)(void *, const void *, size_t);
    void *on_delivered_arg;
    rd_kafka_queue_t *mainq; /* set_waker: the queue delivery reports arrive on */
    void (*wake)(void *);
    void *wake_arg;
};

static void sl_sink_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct sl_kafka_sink *s = opaque;
    if (!m->err) {
        s->stats.delivered++;
        if (s->on_delivered)
            s->on_delivered(s->on_delivered_arg, m->payload, m->len);
        return;
    }
    s->stats.failed++;
    if (!s->err.code)
        /* librdkafka has retried already: the record is lost, whatever the cause */
        sl_error_set(&s->err, SL_EKAFKA, "Kafka topic '%s' partition %d: delivery failed: %s",
                     s->topic, (int)m->partition, rd_kafka_err2str(m->err));
}

static void sl_sink_error_cb(rd_kafka_t *rk, int kerr, const char *reason, void *opaque)
{
    struct sl_kafka_sink *s = opaque;
    if (kerr != RD_KAFKA_RESP_ERR__FATAL || s->err.code)
        return;
    char fatal[256];
    rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    sl_error_set(&s->err, SL_EKAFKA, "Kafka topic '%s': producer failed: %s (%s)", s->topic, fatal,
                 orig ? rd_kafka_err2name(orig) : reason);
}

/* Throughput defaults (docs/kafka.md); every one can be overridden through cfg->props. */
static const sl_kafka_kv sl_sink_defaults[] = {
    {"client.id", "sluice"},
    {"enable.idempotence", "true"},
    {"partitioner", "murmur2_random"},
    {"socket.nagle.disable", "true"},
    {"linger.ms", "5"},
    {"batch.num.messages", "10000"},
    {"batch.size", "1000000"},
    {"queue.buffering.max.messages", "1000000"},
    {"queue.buffering.max.kbytes", "1048576"},
    {"log.connection.close", "false"},
};

const sl_kafka_kv *sl_kafka_sink_defaults(size_t *n)
{
    *n = sizeof(sl_sink_defaults) / sizeof(sl_sink_defaults[0]);
    return sl_sink_defaults;
}

int sl_kafka_sink_new(const struct sl_kafka_sink_config *cfg, struct sl_kafka_sink **out,
                      struct sl_error *err)
{
    if (!cfg->bootstrap || !cfg->topic)
        return sl_error_set(err, SL_EINVAL, "Kafka sink: bootstrap and topic needed");
    struct sl_kafka_sink *s = calloc(1, sizeof(*s));
    if (!s || !(s->topic = strdup(cfg->topic))) {
        free(s);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    s->partitioner = cfg->partitioner;
    s->partition = cfg->partition;
    s->on_delivered = cfg->on_delivered;
    s->on_delivered_arg = cfg->on_delivered_arg;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = sl_kafka_conf_set(conf, "bootstrap.servers", cfg->bootstrap, err);
    for (size_t i = 0; !rc && i < sizeof(sl_sink_defaults) / sizeof(sl_sink_defaults[0]); i++)
        rc = sl_kafka_conf_set(conf, sl_sink_defaults[i][0], sl_sink_defaults[i][1], err);
    if (!rc)
        rc = sl_kafka_conf_set_strings(conf, cfg->props, cfg->nprops, err);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        goto fail;
    }
    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_conf_set_dr_msg_cb(conf, sl_sink_dr);
    rd_kafka_conf_set_error_cb(conf, sl_sink_error_cb);
    char why[256];
    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!s->rk) {
        rd_kafka_conf_destroy(conf);
        rc = sl_error_set(err, SL_EKAFKA, "Kafka producer for %s: %s", cfg->bootstrap, why);
        goto fail;
    }
    s->rkt = rd_kafka_topic_new(s->rk, s->topic, NULL);
    if (!s->rkt) {
        rc = sl_error_set(err, SL_EKAFKA, "Kafka topic '%s': %s", s->topic,
                          rd_kafka_err2str(rd_kafka_last_error()));
        goto fail;
    }
    if (s->partitioner != SL_KAFKA_PART_KEY_HASH) {
        rc = sl_kafka_partition_count_create(
            s->rk, s->topic, cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000, &s->npartitions, err);
        if (rc)
            goto fail;
        if (s->partitioner == SL_KAFKA_PART_FIXED &&
            (s->partition < 0 || s->partition >= s->npartitions)) {
            rc = sl_error_set(err, SL_EINVAL,
                              "Kafka topic '%s' has %d partitions: there is no partition %d",
                              s->topic, (int)s->npartitions, (int)s->partition);
            goto fail;
        }
    }
    *out = s;
    return 0;
fail:
    sl_kafka_sink_free(s, 0);
    return rc;
}

static int sl_sink_state(struct sl_kafka_sink *s, struct sl_error *err)
{
    if (s->err.code && err)
        *err = s->err;
    return s->err.code;
}

/* sl_kafka_produce_batch's check: the sink's error state, set by a delivery report. */
static int sl_sink_check(void *arg, struct sl_error *err)
{
    return sl_sink_state(arg, err);
}

/* msgs[0..n) to partition `part` (RD_KAFKA_PARTITION_UA: the configured partitioner), in
 * order; a full queue waits for room (sl_kafka_produce_batch). */
static int sl_sink_produce_batch(struct sl_kafka_sink *s, rd_kafka_message_t *msgs, size_t n,
                                 int32_t part, struct sl_error *err)
{
    return sl_kafka_produce_batch(s->rk, s->rkt, part, msgs, n, sl_sink_check, s,
                                  &s->stats.produced, err);
}

static void sl_sink_msg(rd_kafka_message_t *m, const struct sl_record *r)
{
    *m = (rd_kafka_message_t){.payload = (void *)r->value,
                              .len = r->value ? r->value_len : 0,
                              .key = (void *)r->key,
                              .key_len = r->key ? r->key_len : 0};
}

int sl_kafka_sink_write(struct sl_kafka_sink *s, const struct sl_record *recs, size_t n,
                        struct sl_error *err)
{
    if (s->err.code)
        return sl_sink_state(s, err);
    bool stamped = false;
    for (size_t i = 0; i < n && !stamped; i++) /* or with headers: rd_kafka_producev too */
        stamped = recs[i].timestamp > 0 || recs[i].headers;
    if (stamped) {
        for (size_t i = 0; i < n; i++) {
            int32_t part = RD_KAFKA_PARTITION_UA;
            if (s->partitioner == SL_KAFKA_PART_FIXED)
                part = s->partition;
            else if (s->partitioner == SL_KAFKA_PART_ROUND_ROBIN)
                part = (int32_t)(s->rr_next++ % (uint64_t)s->npartitions);
            int rc = sl_kafka_produce_one(s->rk, s->rkt, part, &recs[i], NULL, sl_sink_check, s,
                                          &s->stats.produced, err);
            if (rc)
                return rc;
        }
        rd_kafka_poll(s->rk, 0);
        return sl_sink_state(s, err);
    }
    if (n > s->msgs_cap) {
        rd_kafka_message_t *m = realloc(s->msgs, n * sizeof(*m));
        if (!m)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        s->msgs = m;
        s->msgs_cap = n;
    }
    int rc = 0;
    if (s->partitioner == SL_KAFKA_PART_ROUND_ROBIN && s->npartitions > 1) {
        /* record i goes to (rr_next + i) % partitions: a batch per partition, in order */
        uint64_t np = (uint64_t)s->npartitions;
        for (uint64_t q = 0; q < np && q < n && !rc; q++) {
            size_t k = 0;
            for (size_t i = (size_t)q; i < n; i += (size_t)np)
                sl_sink_msg(&s->msgs[k++], &recs[i]);
            rc = sl_sink_produce_batch(s, s->msgs, k, (int32_t)((s->rr_next + q) % np), err);
        }
        s->rr_next += n;
    } else {
        for (size_t i = 0; i < n; i++)
            sl_sink_msg(&s->msgs[i], &recs[i]);
        int32_t part = RD_KAFKA_PARTITION_UA;
        if (s->partitioner == SL_KAFKA_PART_FIXED)
            part = s->partition;
        else if (s->partitioner == SL_KAFKA_PART_ROUND_ROBIN)
            part = 0; /* one partition */
        rc = sl_sink_produce_batch(s, s->msgs, n, part, err);
    }
    if (rc)
        return rc;
    rd_kafka_poll(s->rk, 0);
    return sl_sink_state(s, err);
}

int sl_kafka_sink_flush(struct sl_kafka_sink *s, int timeout_ms, struct sl_error *err)
{
    rd_kafka_resp_err_t kerr = rd_kafka_flush(s->rk, timeout_ms);
    rd_kafka_poll(s->rk, 0);
    if (s->err.code)
        return sl_sink_state(s, err);
    if (kerr == RD_KAFKA_RESP_ERR__TIMED_OUT)
        return sl_error_set(err, SL_ETIMEOUT,
                            "Kafka topic '%s': %d records still unacknowledged after %d ms",
                            s->topic, rd_kafka_outq_len(s->rk), timeout_ms);
    if (kerr)
        return sl_error_set(err, sl_kafka_err_code(kerr), "Kafka topic '%s': flush: %s", s->topic,
                            rd_kafka_err2str(kerr));
    return 0;
}

int sl_kafka_sink_poll(struct sl_kafka_sink *s, struct sl_error *err)
{
    rd_kafka_poll(s->rk, 0);
    return sl_sink_state(s, err);
}

/* librdkafka's queue event: a report was enqueued on the empty main queue (on one of its
 * threads, with the queue's lock held: only the wake-up). */
static void sl_sink_queue_event(rd_kafka_t *rk, void *opaque)
{
    (void)rk;
    struct sl_kafka_sink *s = opaque;
    if (s->wake)
        s->wake(s->wake_arg);
}

void sl_kafka_sink_set_waker(struct sl_kafka_sink *s, void (*wake)(void *), void *arg)
{
    if (!s->mainq && !(s->mainq = rd_kafka_queue_get_main(s->rk)))
        return;
    if (!wake) {
        rd_kafka_queue_cb_event_enable(s->mainq, NULL, NULL);
        s->wake = NULL;
        s->wake_arg = NULL;
        return;
    }
    s->wake = wake;
    s->wake_arg = arg;
    rd_kafka_queue_cb_event_enable(s->mainq, sl_sink_queue_event, s);
}

struct sl_kafka_sink_stats sl_kafka_sink_stats(const struct sl_kafka_sink *s)
{
    return s->stats;
}

void sl_kafka_sink_free(struct sl_kafka_sink *s, int timeout_ms)
{
    if (!s)
        return;
    if (s->mainq) {
        rd_kafka_queue_cb_event_enable(s->mainq, NULL, NULL);
        rd_kafka_queue_destroy(s->mainq);
    }
    if (s->rk) {
        rd_kafka_flush(s->rk, timeout_ms);
        rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(s->rk, 0);
        if (s->rkt)
            rd_kafka_topic_destroy(s->rkt);
        rd_kafka_destroy(s->rk);
    }
    free(s->msgs);
    free(s->topic);
    free(s);
}
