/*
 * io/kafka_conf.c - librdkafka configuration, error codes and topic metadata (see
 * kafka_conf.h).
 *
 * The metadata lookup asks for all topics rather than for the one topic: a request that
 * names a topic may create it on brokers with auto-creation turned on (the mock cluster
 * does), and a source must report a missing topic instead of conjuring an empty one.
 */
#include "io/kafka_conf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/types.h"

int sl_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                      struct sl_error *err)
{
    char why[256];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) != RD_KAFKA_CONF_OK)
        return sl_error_set(err, SL_EINVAL, "Kafka property '%s=%s': %s", key, value, why);
    return 0;
}

int sl_kafka_conf_set_strings(rd_kafka_conf_t *conf, const char *const *props, size_t n,
                              struct sl_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(props[i], '=');
        if (!eq || eq == props[i])
            return sl_error_set(err, SL_EINVAL, "Kafka property '%s': expected key=value",
                                props[i]);
        size_t klen = (size_t)(eq - props[i]);
        char key[256];
        if (klen >= sizeof(key))
            return sl_error_set(err, SL_EINVAL, "Kafka property '%.40s...': key too long",
                                props[i]);
        memcpy(key, props[i], klen);
        key[klen] = '\0';
        int rc = sl_kafka_conf_set(conf, key, eq + 1, err);
        if (rc)
            return rc;
    }
    return 0;
}

int sl_kafka_err_code(rd_kafka_resp_err_t kerr)
{
    switch (kerr) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        return 0;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        return SL_ETIMEOUT;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
        return SL_EKAFKA_RETRY;
    default:
        return SL_EKAFKA;
    }
}

int sl_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, int32_t *count,
                             struct sl_error *err)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (kerr)
        return sl_error_set(err, sl_kafka_err_code(kerr), "Kafka metadata for topic '%s': %s",
                            topic, rd_kafka_err2str(kerr));
    int rc = sl_error_set(err, SL_ENOTFOUND, "Kafka topic '%s' does not exist", topic);
    for (int i = 0; i < md->topic_cnt; i++) {
        const struct rd_kafka_metadata_topic *t = &md->topics[i];
        if (strcmp(t->topic, topic) != 0)
            continue;
        if (t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            break;
        if (t->err) {
            rc = sl_error_set(err, sl_kafka_err_code(t->err), "Kafka topic '%s': %s", topic,
                              rd_kafka_err2str(t->err));
            break;
        }
        *count = t->partition_cnt;
        rc = 0;
        sl_error_clear(err);
        break;
    }
    rd_kafka_metadata_destroy(md);
    return rc;
}

int sl_kafka_partition_count_create(rd_kafka_t *rk, const char *topic, int timeout_ms,
                                    int32_t *count, struct sl_error *err)
{
    int rc = sl_kafka_partition_count(rk, topic, timeout_ms, count, err);
    if (rc != SL_ENOTFOUND)
        return rc;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt)
        return sl_error_set(err, SL_EKAFKA, "Kafka topic '%s': %s", topic,
                            rd_kafka_err2str(rd_kafka_last_error()));
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        /* a request that names the topic: the broker creates it if it is allowed to */
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t kerr = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
        if (kerr) {
            rc = sl_error_set(err, sl_kafka_err_code(kerr), "Kafka metadata for topic '%s': %s",
                              topic, rd_kafka_err2str(kerr));
            break;
        }
        rd_kafka_resp_err_t terr = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        if (md->topic_cnt == 1 && strcmp(md->topics[0].topic, topic) == 0) {
            terr = md->topics[0].err;
            *count = md->topics[0].partition_cnt;
        }
        rd_kafka_metadata_destroy(md);
        if (terr == RD_KAFKA_RESP_ERR_NO_ERROR && *count > 0) {
            rc = 0;
            sl_error_clear(err);
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        long ms = (long)(t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms >= timeout_ms) {
            rc = terr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || !terr
                     ? sl_error_set(err, SL_ENOTFOUND,
                                    "Kafka topic '%s' does not exist, and the broker did not "
                                    "create it on request (auto.create.topics.enable=false): "
                                    "create the topic first",
                                    topic)
                     : sl_error_set(err, sl_kafka_err_code(terr), "Kafka topic '%s': %s", topic,
                                    rd_kafka_err2str(terr));
            break;
        }
        /* a topic being created answers LEADER_NOT_AVAILABLE for a moment */
        struct timespec pause = {.tv_nsec = 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    rd_kafka_topic_destroy(rkt);
    return rc;
}

int sl_kafka_topic_partitions(const char *bootstrap, const char *topic, const char *const *props,
                              size_t nprops, int timeout_ms, bool create, int32_t *count,
                              struct sl_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = sl_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err);
    if (!rc)
        rc = sl_kafka_conf_set_strings(conf, props, nprops, err);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    char why[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return sl_error_set(err, SL_EKAFKA, "Kafka client for %s: %s", bootstrap, why);
    }
    rc = create ? sl_kafka_partition_count_create(rk, topic, timeout_ms, count, err)
                : sl_kafka_partition_count(rk, topic, timeout_ms, count, err);
    rd_kafka_destroy(rk);
    return rc;
}

static rd_kafka_t *sl_kafka_admin_client(const char *bootstrap, const char *const *props,
                                         size_t nprops, struct sl_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (sl_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err) ||
        sl_kafka_conf_set_strings(conf, props, nprops, err)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    char why[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        sl_error_set(err, SL_EKAFKA, "Kafka client for %s: %s", bootstrap, why);
    }
    return rk;
}

/* Waits for the admin result on `q`; the result's one topic error as a sluice error. */
static int sl_kafka_admin_result(rd_kafka_queue_t *q, bool create, const char *topic,
                                 int timeout_ms, struct sl_error *err)
{
    const char *what = create ? "create" : "delete";
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
    if (!ev)
        return sl_error_set(err, SL_ETIMEOUT, "Kafka: %s topic '%s': no answer", what, topic);
    int rc = 0;
    size_t n = 0;
    const rd_kafka_topic_result_t **res = NULL;
    if (rd_kafka_event_error(ev))
        rc = sl_error_set(err, sl_kafka_err_code(rd_kafka_event_error(ev)),
                          "Kafka: %s topic '%s': %s", what, topic, rd_kafka_event_error_string(ev));
    else if (create)
        res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    else
        res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    if (!rc && n == 1 && rd_kafka_topic_result_error(res[0])) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[0]);
        rc = sl_error_set(
            err, e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? SL_ENOTFOUND : sl_kafka_err_code(e),
            "Kafka: %s topic '%s': %s", what, topic, rd_kafka_topic_result_error_string(res[0]));
    } else if (!rc && n != 1) {
        rc = sl_error_set(err, SL_EKAFKA, "Kafka: %s topic '%s': no result", what, topic);
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

int sl_kafka_topic_create(const char *bootstrap, const char *topic, int partitions,
                          const char *const *props, size_t nprops, int timeout_ms,
                          struct sl_error *err)
{
    return sl_kafka_topic_create_with(bootstrap, topic, partitions, 1, NULL, 0, props, nprops,
                                      timeout_ms, err);
}

int sl_kafka_topic_create_with(const char *bootstrap, const char *topic, int partitions,
                               int replication, const char *const (*configs)[2], size_t nconfigs,
                               const char *const *props, size_t nprops, int timeout_ms,
                               struct sl_error *err)
{
    rd_kafka_t *rk = sl_kafka_admin_client(bootstrap, props, nprops, err);
    if (!rk)
        return err->code;
    char why[256];
    rd_kafka_NewTopic_t *nt =
        rd_kafka_NewTopic_new(topic, partitions, replication, why, sizeof(why));
    for (size_t i = 0; nt && i < nconfigs; i++)
        if (rd_kafka_NewTopic_set_config(nt, configs[i][0], configs[i][1])) {
            snprintf(why, sizeof(why), "topic config %s=%s refused", configs[i][0], configs[i][1]);
            rd_kafka_NewTopic_destroy(nt);
            nt = NULL;
        }
    if (!nt) {
        rd_kafka_destroy(rk);
        return sl_error_set(err, SL_EINVAL, "Kafka: create topic '%s': %s", topic, why);
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    int rc = sl_kafka_admin_result(q, true, topic, timeout_ms, err);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    /* every partition has a leader before the topic is used */
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!rc) {
        const struct rd_kafka_metadata *md = NULL;
        bool ready = false;
        if (rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms) == 0) {
            for (int i = 0; i < md->topic_cnt; i++) {
                const struct rd_kafka_metadata_topic *mt = &md->topics[i];
                if (strcmp(mt->topic, topic) != 0 || mt->err || mt->partition_cnt != partitions)
                    continue;
                ready = true;
                for (int p = 0; p < mt->partition_cnt; p++)
                    ready &= mt->partitions[p].leader >= 0 && !mt->partitions[p].err;
            }
            rd_kafka_metadata_destroy(md);
        }
        if (ready)
            break;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= timeout_ms)
            rc = sl_error_set(err, SL_ETIMEOUT,
                              "Kafka: create topic '%s': partitions without a leader", topic);
        struct timespec pause = {.tv_nsec = 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    rd_kafka_destroy(rk);
    return rc;
}

int sl_kafka_topic_delete(const char *bootstrap, const char *topic, const char *const *props,
                          size_t nprops, int timeout_ms, struct sl_error *err)
{
    rd_kafka_t *rk = sl_kafka_admin_client(bootstrap, props, nprops, err);
    if (!rk)
        return err->code;
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
    int rc = sl_kafka_admin_result(q, false, topic, timeout_ms, err);
    rd_kafka_queue_destroy(q);
    rd_kafka_DeleteTopic_destroy(dt);
    rd_kafka_destroy(rk);
    return rc;
}

int sl_kafka_produce_batch(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t part,
                           rd_kafka_message_t *msgs, size_t n,
                           int (*check)(void *arg, struct sl_error *err), void *arg,
                           uint64_t *queued, struct sl_error *err)
{
    while (n > 0) {
        int chunk = n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
        int good = rd_kafka_produce_batch(rkt, part, RD_KAFKA_MSG_F_COPY, msgs, chunk);
        size_t first_bad = (size_t)chunk;
        if (good < chunk)
            for (size_t i = 0; i < (size_t)chunk; i++)
                if (msgs[i].err) {
                    first_bad = i;
                    break;
                }
        *queued += (uint64_t)(good > 0 ? good : 0);
        if (first_bad == (size_t)chunk) {
            msgs += chunk;
            n -= (size_t)chunk;
            continue;
        }
        rd_kafka_resp_err_t kerr = msgs[first_bad].err;
        for (size_t i = first_bad; kerr == RD_KAFKA_RESP_ERR__QUEUE_FULL && i < (size_t)chunk; i++)
            if (msgs[i].err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                kerr = msgs[i].err; /* a record after the first full one failed otherwise */
        if (kerr != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return sl_error_set(
                err, sl_kafka_err_code(kerr), "Kafka topic '%s' partition %d: produce: %s",
                rd_kafka_topic_name(rkt),
                (int)(part == RD_KAFKA_PARTITION_UA ? msgs[first_bad].partition : part),
                rd_kafka_err2str(kerr));
        rd_kafka_poll(rk, 10); /* make room: serve delivery reports */
        int rc = check ? check(arg, err) : 0;
        if (rc)
            return rc;
        msgs += first_bad;
        n -= first_bad;
    }
    return 0;
}

/* The record's header map as librdkafka headers (each entry one header, in order; a NULL
 * value a header without one), or NULL when it has none; *hdrs is the caller's until
 * rd_kafka_producev takes it. */
static int sl_kafka_headers(const struct sl_record *r, rd_kafka_headers_t **hdrs,
                            struct sl_error *err)
{
    *hdrs = NULL;
    uint32_t n = r->headers ? sl_map_count(r->headers, r->headers_len) : 0;
    if (!n)
        return 0;
    if (!(*hdrs = rd_kafka_headers_new(n)))
        return sl_error_set(err, SL_ENOMEM, "out of memory for Kafka headers");
    const char *k, *v;
    uint32_t kl, vl;
    size_t pos = 0;
    while (sl_map_next(r->headers, r->headers_len, &pos, &k, &kl, &v, &vl))
        rd_kafka_header_add(*hdrs, k, (ssize_t)kl, v, v ? (ssize_t)vl : 0);
    return 0;
}

int sl_kafka_produce_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t part,
                         const struct sl_record *r, void *opaque,
                         int (*check)(void *arg, struct sl_error *err), void *arg, uint64_t *queued,
                         struct sl_error *err)
{
    rd_kafka_headers_t *hdrs;
    int rc = sl_kafka_headers(r, &hdrs, err);
    if (rc)
        return rc;
    for (;;) {
        /* RD_KAFKA_V_HEADERS(NULL) is not "no headers": librdkafka would take NULL */
        rd_kafka_resp_err_t kerr =
            hdrs
                ? rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(part),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_KEY((void *)r->key, r->key ? r->key_len : 0),
                                    RD_KAFKA_V_VALUE((void *)r->value, r->value ? r->value_len : 0),
                                    RD_KAFKA_V_TIMESTAMP(r->timestamp > 0 ? r->timestamp : 0),
                                    RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_HEADERS(hdrs),
                                    RD_KAFKA_V_END)
                : rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(part),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_KEY((void *)r->key, r->key ? r->key_len : 0),
                                    RD_KAFKA_V_VALUE((void *)r->value, r->value ? r->value_len : 0),
                                    RD_KAFKA_V_TIMESTAMP(r->timestamp > 0 ? r->timestamp : 0),
                                    RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (!kerr)
            break; /* librdkafka owns hdrs now */
        if (kerr != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            return sl_error_set(err, sl_kafka_err_code(kerr),
                                "Kafka topic '%s' partition %d: produce: %s",
                                rd_kafka_topic_name(rkt), (int)part, rd_kafka_err2str(kerr));
        }
        rd_kafka_poll(rk, 10); /* make room: serve delivery reports */
        rc = check ? check(arg, err) : 0;
        if (rc) {
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            return rc;
        }
    }
    (*queued)++;
    return 0;
}

void sl_kafka_log_quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    (void)fac;
    (void)buf;
}
