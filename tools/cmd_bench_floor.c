/*
 * tools/cmd_bench_floor.c - librdkafka alone: the floor of `sluice bench`'s Kafka workloads
 * (see cmd_bench_floor.h).
 */
#include "tools/cmd_bench_floor.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/kafka_conf.h"
#include "io/kafka_sink.h"
#include "io/kafka_source.h"

#define SL_FLOOR_BATCH 2048

static double sl_floor_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static rd_kafka_conf_t *sl_floor_conf(const char *bootstrap, const char *const (*kv)[2], size_t n)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct sl_error err;
    int rc = sl_kafka_conf_set(conf, "bootstrap.servers", bootstrap, &err);
    for (size_t i = 0; !rc && i < n; i++)
        rc = sl_kafka_conf_set(conf, kv[i][0], kv[i][1], &err);
    if (!rc)
        return conf;
    fprintf(stderr, "sluice bench: floor: %s\n", err.msg);
    rd_kafka_conf_destroy(conf);
    return NULL;
}

void sl_bench_floor_values_free(struct sl_floor_values *v)
{
    free(v->bytes);
    free(v->off);
    *v = (struct sl_floor_values){0};
}

/* Appends a value to `v` (capacities in *bcap and *ocap). */
static int sl_floor_keep(struct sl_floor_values *v, size_t *bcap, size_t *ocap, const void *p,
                         size_t len)
{
    size_t used = v->n ? v->off[v->n] : 0;
    if (v->n + 2 > *ocap) {
        size_t c = *ocap ? 2 * *ocap : 4096;
        size_t *o = realloc(v->off, c * sizeof(*o));
        if (!o)
            return -1;
        v->off = o;
        *ocap = c;
    }
    if (used + len > *bcap) {
        size_t c = *bcap ? 2 * *bcap : 1 << 20;
        while (c < used + len)
            c *= 2;
        char *b = realloc(v->bytes, c);
        if (!b)
            return -1;
        v->bytes = b;
        *bcap = c;
    }
    if (len)
        memcpy(v->bytes + used, p, len);
    v->off[v->n] = used;
    v->off[++v->n] = used + len;
    return 0;
}

int sl_bench_floor_consume(const char *bootstrap, const char *topic, uint64_t want,
                           struct sl_floor_rep *rep, struct sl_floor_values *keep)
{
    size_t ndef;
    const char *const(*def)[2] = sl_kafka_source_defaults(&ndef);
    double w0 = sl_floor_clock(CLOCK_MONOTONIC), c0 = sl_floor_clock(CLOCK_PROCESS_CPUTIME_ID);
    rd_kafka_conf_t *conf = sl_floor_conf(bootstrap, def, ndef);
    if (!conf)
        return -1;
    char why[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "sluice bench: floor consumer: %s\n", why);
        return -1;
    }
    int rc = -1;
    rd_kafka_message_t **msgs = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    size_t bcap = 0, ocap = 0;
    struct sl_error err;
    sl_error_clear(&err);
    int32_t np;
    rd_kafka_resp_err_t kerr;
    if (sl_kafka_partition_count(rk, topic, 30000, &np, &err)) {
        fprintf(stderr, "sluice bench: floor: %s\n", err.msg);
        goto out;
    }
    rd_kafka_poll_set_consumer(rk);
    parts = rd_kafka_topic_partition_list_new(np);
    for (int32_t p = 0; p < np; p++) { /* from the low watermark, as sluice's source starts */
        int64_t lo, hi;
        kerr = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 30000);
        if (kerr) {
            fprintf(stderr, "sluice bench: floor: %s [%d]: %s\n", topic, (int)p,
                    rd_kafka_err2str(kerr));
            goto out;
        }
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = lo;
    }
    kerr = rd_kafka_assign(rk, parts);
    if (kerr) {
        fprintf(stderr, "sluice bench: floor: assign %s: %s\n", topic, rd_kafka_err2str(kerr));
        goto out;
    }
    q = rd_kafka_queue_get_consumer(rk);
    msgs = malloc(SL_FLOOR_BATCH * sizeof(*msgs));
    if (!q || !msgs)
        goto out;
    uint64_t got = 0;
    double idle_since = sl_floor_clock(CLOCK_MONOTONIC);
    while (got < want) {
        /* as sluice's source: take what is there, else wait for one (a batch call with a
         * timeout waits for a full array) */
        ssize_t n = rd_kafka_consume_batch_queue(q, 0, msgs, SL_FLOOR_BATCH);
        if (n == 0)
            n = rd_kafka_consume_batch_queue(q, 100, msgs, 1);
        if (n < 0) {
            fprintf(stderr, "sluice bench: floor: consume %s: %s\n", topic,
                    rd_kafka_err2str(rd_kafka_last_error()));
            goto out;
        }
        bool bad = false;
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = msgs[i];
            if (!m->err) {
                got++;
                if (keep && !bad && sl_floor_keep(keep, &bcap, &ocap, m->payload, m->len)) {
                    fprintf(stderr, "sluice bench: floor: out of memory keeping %s's records\n",
                            topic);
                    bad = true;
                }
            } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && !bad) {
                fprintf(stderr, "sluice bench: floor: %s [%d]: %s\n", topic, (int)m->partition,
                        rd_kafka_message_errstr(m));
                bad = true;
            }
            rd_kafka_message_destroy(m);
        }
        if (bad)
            goto out;
        double now = sl_floor_clock(CLOCK_MONOTONIC);
        if (n > 0)
            idle_since = now;
        else if (now - idle_since > 60) {
            fprintf(stderr, "sluice bench: floor: %s: %llu of %llu records after 60 s idle\n",
                    topic, (unsigned long long)got, (unsigned long long)want);
            goto out;
        }
    }
    rep->wall = sl_floor_clock(CLOCK_MONOTONIC) - w0;
    rep->cpu = sl_floor_clock(CLOCK_PROCESS_CPUTIME_ID) - c0;
    rep->records = got;
    rc = 0;
out:
    free(msgs);
    if (q)
        rd_kafka_queue_destroy(q);
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (rc && keep)
        sl_bench_floor_values_free(keep);
    return rc;
}

struct sl_floor_dr {
    uint64_t acked, failed;
    rd_kafka_resp_err_t first;
};

static void sl_floor_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct sl_floor_dr *d = opaque;
    if (!m->err) {
        d->acked++;
    } else {
        if (!d->failed)
            d->first = m->err;
        d->failed++;
    }
}

int sl_bench_floor_produce(const char *bootstrap, const char *topic, int partitions,
                           const struct sl_floor_values *v, struct sl_floor_rep *rep)
{
    size_t ndef;
    const char *const(*def)[2] = sl_kafka_sink_defaults(&ndef);
    struct sl_floor_dr dr = {0};
    rd_kafka_message_t *msgs = malloc(SL_FLOOR_BATCH * sizeof(*msgs));
    if (!msgs)
        return -1;
    double w0 = sl_floor_clock(CLOCK_MONOTONIC), c0 = sl_floor_clock(CLOCK_PROCESS_CPUTIME_ID);
    rd_kafka_conf_t *conf = sl_floor_conf(bootstrap, def, ndef);
    if (!conf) {
        free(msgs);
        return -1;
    }
    rd_kafka_conf_set_opaque(conf, &dr);
    rd_kafka_conf_set_dr_msg_cb(conf, sl_floor_dr_cb);
    char why[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        free(msgs);
        fprintf(stderr, "sluice bench: floor producer: %s\n", why);
        return -1;
    }
    int rc = -1;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt)
        goto out;
    uint64_t np = partitions > 0 ? (uint64_t)partitions : 1;
    for (uint64_t first = 0; first < v->n; first += SL_FLOOR_BATCH) {
        uint64_t end = first + SL_FLOOR_BATCH < v->n ? first + SL_FLOOR_BATCH : v->n;
        for (uint64_t part = 0; part < np; part++) { /* record i to partition i % np */
            size_t k = 0;
            uint64_t i = first + (part + np - first % np) % np;
            for (; i < end; i += np)
                msgs[k++] = (rd_kafka_message_t){.payload = v->bytes + v->off[i],
                                                 .len = v->off[i + 1] - v->off[i]};
            uint64_t queued = 0;
            struct sl_error err;
            if (sl_kafka_produce_batch(rk, rkt, (int32_t)part, msgs, k, NULL, NULL, &queued,
                                       &err)) {
                fprintf(stderr, "sluice bench: floor: %s\n", err.msg);
                goto out;
            }
        }
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_resp_err_t kerr = rd_kafka_flush(rk, 120000);
    if (kerr || dr.acked != v->n) {
        fprintf(stderr, "sluice bench: floor: %s: %llu of %llu records acknowledged (%s)\n", topic,
                (unsigned long long)dr.acked, (unsigned long long)v->n,
                rd_kafka_err2str(kerr ? kerr : dr.first));
        goto out;
    }
    rep->wall = sl_floor_clock(CLOCK_MONOTONIC) - w0;
    rep->cpu = sl_floor_clock(CLOCK_PROCESS_CPUTIME_ID) - c0;
    rep->records = dr.acked;
    rc = 0;
out:
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk, 0);
    rd_kafka_destroy(rk);
    free(msgs);
    return rc;
}
