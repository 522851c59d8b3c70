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

int sl_kafka_topic_partitions(const char *bootstrap, const char *topic, const char *const *props,
                              size_t nprops, int timeout_ms, int32_t *count, struct sl_error *err)
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
    rc = sl_kafka_partition_count(rk, topic, timeout_ms, count, err);
    rd_kafka_destroy(rk);
    return rc;
}

void sl_kafka_log_quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    (void)fac;
    (void)buf;
}
