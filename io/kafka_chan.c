/*
 * io/kafka_chan.c - the Kafka channel between sluice processes (see kafka_chan.h).
 *
 * The producer and consumer start from the Kafka sink's and source's defaults
 * (sl_kafka_sink_defaults, sl_kafka_source_defaults: idempotence, Nagle off, small fetch
 * waits), then the channel's own (below), then the job's properties.
 */
#include "io/kafka_chan.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "engine/core/le.h"
#include "io/kafka_conf.h"
#include "io/kafka_sink.h"
#include "io/kafka_source.h"

/* ---- types ---------------------------------------------------------------------------------- */

/* What a destination knows of one sender. */
struct sl_kchan_peer {
    uint64_t next; /* the seq expected next */
    uint8_t state; /* SL_KCHAN_PEER_* */
};

enum { SL_KCHAN_PEER_NEW, SL_KCHAN_PEER_OPEN, SL_KCHAN_PEER_ENDED };

/* A local destination: its queue, the messages handed out by the last poll, its peers.
 * Owned by its worker's thread (THREADS). */
struct sl_kchan_dest {
    rd_kafka_queue_t *queue;
    rd_kafka_message_t **held; /* the last poll's messages, released by the next */
    int nheld;
    int cap;
    int64_t pos;                 /* offset after the last message handed out */
    bool given_start;            /* started at a given offset: a sender's first seq is its start */
    struct sl_kchan_peer *peers; /* [workers] */
    struct sl_error err;         /* sticky; code 0 while healthy */
    _Atomic uint64_t received;
    void (*wake)(void *);
    void *wake_arg;
};

struct sl_kchan {
    char *topic;
    int workers;
    int dest_lo, dest_hi;
    int sender_lo, sender_hi;
    uint32_t end_kind;
    int timeout_ms;
    /* producer side */
    rd_kafka_t *prod;
    rd_kafka_topic_t *rkt;
    uint64_t *seq; /* [(sender - sender_lo) * workers + dest]: the next seq to send */
    pthread_mutex_t mu;
    struct sl_error perr; /* sticky producer error (under mu; perr_set tells without it) */
    _Atomic int perr_set;
    _Atomic uint64_t sent, delivered, failed;
    rd_kafka_queue_t *mainq; /* set_send_waker */
    void (*send_wake)(void *);
    void *send_wake_arg;
    /* consumer side */
    rd_kafka_t *cons;
    struct sl_kchan_dest *dests; /* [dest_hi - dest_lo] */
};

/* The channel's settings over the sink's and source's defaults. */
static const sl_kafka_kv sl_kchan_prod_defaults[] = {
    {"client.id", "sluice-chan"},
    /* a barrier waits for no one: at 0 a message goes out at once when no request is in
     * flight, and while the idempotent producer's 5 are, later ones batch up by themselves
     * (docs/kafka.md, "The channel": a round trip 1.7 ms at 0 against 5.4 ms at 1) */
    {"linger.ms", "0"},
    /* only sl_kchan_open creates the topic (with W partitions), never a metadata request;
     * and a dropped generation's topic is not brought back by a late producer */
    {"allow.auto.create.topics", "false"},
};
static const sl_kafka_kv sl_kchan_cons_defaults[] = {
    {"client.id", "sluice-chan"},
    {"enable.partition.eof", "false"},
    {"auto.offset.reset", "error"},
};
/* Kafka Streams' settings for its repartition topics (kafka_chan.h, LIFETIME) */
static const char *const sl_kchan_topic_configs[][2] = {
    {"cleanup.policy", "delete"},
    {"retention.ms", "-1"},
    {"segment.bytes", "52428800"},
};

void sl_kchan_header_put(void *dst, uint32_t sender, uint32_t kind, uint32_t aux, uint64_t seq)
{
    unsigned char *p = dst;
    sl_le_put32(p, SL_KCHAN_MAGIC);
    sl_le_put32(p + 4, sender);
    sl_le_put32(p + 8, kind);
    sl_le_put32(p + 12, aux);
    sl_le_put64(p + 16, seq);
}

/* ---- configuration ------------------------------------------------------------------------ */

static int sl_kchan_conf(rd_kafka_conf_t *conf, const struct sl_kchan_config *cfg,
                         const sl_kafka_kv *base, size_t nbase, const sl_kafka_kv *own, size_t nown,
                         struct sl_error *err)
{
    int rc = sl_kafka_conf_set(conf, "bootstrap.servers", cfg->bootstrap, err);
    for (size_t i = 0; !rc && i < nbase; i++)
        rc = sl_kafka_conf_set(conf, base[i][0], base[i][1], err);
    for (size_t i = 0; !rc && i < nown; i++)
        rc = sl_kafka_conf_set(conf, own[i][0], own[i][1], err);
    if (!rc)
        rc = sl_kafka_conf_set_strings(conf, cfg->props, cfg->nprops, err);
    return rc;
}

/* ---- producer side ------------------------------------------------------------------------ */

static void sl_kchan_perr(struct sl_kchan *ch, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sl_kchan_perr(struct sl_kchan *ch, int code, const char *fmt, ...)
{
    pthread_mutex_lock(&ch->mu);
    if (!ch->perr.code) {
        va_list ap;
        va_start(ap, fmt);
        sl_error_vset(&ch->perr, code, fmt, ap);
        va_end(ap);
        atomic_store(&ch->perr_set, 1);
    }
    pthread_mutex_unlock(&ch->mu);
}

/* The producer side's error state into *err (0 while healthy). */
static int sl_kchan_pstate(struct sl_kchan *ch, struct sl_error *err)
{
    if (!atomic_load_explicit(&ch->perr_set, memory_order_acquire))
        return 0;
    pthread_mutex_lock(&ch->mu);
    int rc = ch->perr.code;
    if (err)
        *err = ch->perr;
    pthread_mutex_unlock(&ch->mu);
    return rc;
}

/* Delivery report: on the thread that polls the producer (send, poll_sends, flush). */
static void sl_kchan_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct sl_kchan *ch = opaque;
    if (!m->err) {
        atomic_fetch_add_explicit(&ch->delivered, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&ch->failed, 1, memory_order_relaxed);
    uint32_t sender = 0;
    uint64_t seq = 0;
    if (m->len >= SL_KCHAN_HDR_SIZE) {
        sender = sl_le_get32((const unsigned char *)m->payload + 4);
        seq = sl_le_get64((const unsigned char *)m->payload + 16);
    }
    /* librdkafka has retried already: the message is lost, and so is the channel */
    sl_kchan_perr(ch, SL_EKAFKA,
                  "Kafka channel topic '%s' partition %d: delivery of sender %" PRIu32
                  "'s message seq %" PRIu64 " failed: %s",
                  ch->topic, (int)m->partition, sender, seq, rd_kafka_err2str(m->err));
}

static void sl_kchan_error_cb(rd_kafka_t *rk, int kerr, const char *reason, void *opaque)
{
    struct sl_kchan *ch = opaque;
    if (kerr != RD_KAFKA_RESP_ERR__FATAL)
        return; /* librdkafka retries the others itself */
    char fatal[256];
    rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    sl_kchan_perr(ch, SL_EKAFKA, "Kafka channel topic '%s': producer failed: %s (%s)", ch->topic,
                  fatal, orig ? rd_kafka_err2name(orig) : reason);
}

int sl_kchan_send(struct sl_kchan *ch, int dest, int sender, uint32_t kind, uint32_t aux,
                  const void *bytes, size_t len, struct sl_error *err)
{
    if (!ch->prod || sender < ch->sender_lo || sender >= ch->sender_hi || dest < 0 ||
        dest >= ch->workers)
        return sl_error_set(err, SL_EINVAL,
                            "Kafka channel topic '%s': no message from sender %d to worker %d "
                            "(local senders %d..%d, workers 0..%d)",
                            ch->topic, sender, dest, ch->sender_lo, ch->sender_hi - 1,
                            ch->workers - 1);
    int rc = sl_kchan_pstate(ch, err);
    if (rc)
        return rc;
    uint64_t *seq = &ch->seq[(size_t)(sender - ch->sender_lo) * (size_t)ch->workers + (size_t)dest];
    unsigned char *buf = malloc(SL_KCHAN_HDR_SIZE + len);
    if (!buf)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    sl_kchan_header_put(buf, (uint32_t)sender, kind, aux, *seq);
    if (len)
        memcpy(buf + SL_KCHAN_HDR_SIZE, bytes, len);
    rd_kafka_resp_err_t kerr =
        rd_kafka_producev(ch->prod, RD_KAFKA_V_RKT(ch->rkt), RD_KAFKA_V_PARTITION(dest),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
                          RD_KAFKA_V_VALUE(buf, SL_KCHAN_HDR_SIZE + len), RD_KAFKA_V_END);
    if (kerr) {
        free(buf); /* librdkafka frees it only when it took it */
        rd_kafka_poll(ch->prod, 0);
        if (kerr == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return sl_error_set(err, SL_EFULL,
                                "Kafka channel topic '%s' partition %d: the producer's queue is "
                                "full (%d messages): send again later",
                                ch->topic, dest, rd_kafka_outq_len(ch->prod));
        if (kerr == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
            return sl_error_set(err, SL_ERANGE,
                                "Kafka channel topic '%s' partition %d: a message of %zu bytes "
                                "is larger than the producer's message.max.bytes",
                                ch->topic, dest, SL_KCHAN_HDR_SIZE + len);
        return sl_error_set(err, sl_kafka_err_code(kerr),
                            "Kafka channel topic '%s' partition %d: produce: %s", ch->topic, dest,
                            rd_kafka_err2str(kerr));
    }
    (*seq)++;
    atomic_fetch_add_explicit(&ch->sent, 1, memory_order_relaxed);
    rd_kafka_poll(ch->prod, 0);
    return sl_kchan_pstate(ch, err);
}

int sl_kchan_poll_sends(struct sl_kchan *ch, struct sl_error *err)
{
    if (ch->prod)
        rd_kafka_poll(ch->prod, 0);
    return sl_kchan_pstate(ch, err);
}

int sl_kchan_flush(struct sl_kchan *ch, int timeout_ms, struct sl_error *err)
{
    if (!ch->prod)
        return 0;
    rd_kafka_resp_err_t kerr = rd_kafka_flush(ch->prod, timeout_ms);
    rd_kafka_poll(ch->prod, 0);
    int rc = sl_kchan_pstate(ch, err);
    if (rc)
        return rc;
    if (kerr == RD_KAFKA_RESP_ERR__TIMED_OUT)
        return sl_error_set(err, SL_ETIMEOUT,
                            "Kafka channel topic '%s': %d messages still unacknowledged after %d "
                            "ms",
                            ch->topic, rd_kafka_outq_len(ch->prod), timeout_ms);
    if (kerr)
        return sl_error_set(err, sl_kafka_err_code(kerr), "Kafka channel topic '%s': flush: %s",
                            ch->topic, rd_kafka_err2str(kerr));
    return 0;
}

static void sl_kchan_send_event(rd_kafka_t *rk, void *opaque)
{
    (void)rk;
    struct sl_kchan *ch = opaque;
    if (ch->send_wake)
        ch->send_wake(ch->send_wake_arg);
}

void sl_kchan_set_send_waker(struct sl_kchan *ch, void (*wake)(void *), void *arg)
{
    if (!ch->prod || (!ch->mainq && !(ch->mainq = rd_kafka_queue_get_main(ch->prod))))
        return;
    if (!wake) {
        rd_kafka_queue_cb_event_enable(ch->mainq, NULL, NULL);
        ch->send_wake = NULL;
        ch->send_wake_arg = NULL;
        return;
    }
    ch->send_wake = wake;
    ch->send_wake_arg = arg;
    rd_kafka_queue_cb_event_enable(ch->mainq, sl_kchan_send_event, ch);
}

/* ---- consumer side ------------------------------------------------------------------------ */

static void sl_kchan_release(struct sl_kchan_dest *d)
{
    for (int i = 0; i < d->nheld; i++)
        rd_kafka_message_destroy(d->held[i]);
    d->nheld = 0;
}

/* Checks message m of destination `dest` and fills *out; else sets d's error. */
static int sl_kchan_take(struct sl_kchan *ch, int dest, struct sl_kchan_dest *d,
                         const rd_kafka_message_t *m, struct sl_kchan_msg *out)
{
    if (m->err)
        return sl_error_set(&d->err, sl_kafka_err_code(m->err),
                            "Kafka channel topic '%s' partition %d at offset %" PRId64 ": %s",
                            ch->topic, dest, d->pos >= 0 ? d->pos : m->offset,
                            rd_kafka_message_errstr(m));
    const unsigned char *p = m->payload;
    if (m->len < SL_KCHAN_HDR_SIZE || sl_le_get32(p) != SL_KCHAN_MAGIC)
        return sl_error_set(&d->err, SL_ECORRUPT,
                            "Kafka channel topic '%s' partition %d offset %" PRId64
                            ": not a channel record (%zu bytes%s)",
                            ch->topic, dest, m->offset, m->len,
                            m->len < SL_KCHAN_HDR_SIZE ? ", shorter than the prefix"
                                                       : ", wrong magic");
    uint32_t sender = sl_le_get32(p + 4);
    uint64_t seq = sl_le_get64(p + 16);
    uint32_t kind = sl_le_get32(p + 8);
    if (sender >= (uint32_t)ch->workers)
        return sl_error_set(&d->err, SL_ECORRUPT,
                            "Kafka channel topic '%s' partition %d offset %" PRId64
                            ": sender %" PRIu32 " is not one of the %d workers",
                            ch->topic, dest, m->offset, sender, ch->workers);
    struct sl_kchan_peer *peer = &d->peers[sender];
    if (peer->state == SL_KCHAN_PEER_ENDED)
        return sl_error_set(&d->err, SL_ECORRUPT,
                            "Kafka channel topic '%s' partition %d offset %" PRId64
                            ": sender %" PRIu32 " sent seq %" PRIu64 " after its end (seq %" PRIu64
                            ")",
                            ch->topic, dest, m->offset, sender, seq, peer->next - 1);
    if (peer->state == SL_KCHAN_PEER_NEW && d->given_start)
        peer->next = seq; /* started at a given offset: the first record sets the start */
    if (seq != peer->next)
        return sl_error_set(&d->err, SL_ECORRUPT,
                            "Kafka channel topic '%s' partition %d offset %" PRId64
                            ": sender %" PRIu32 " expected seq %" PRIu64 ", found seq %" PRIu64
                            " (%s)",
                            ch->topic, dest, m->offset, sender, peer->next, seq,
                            seq > peer->next ? "messages lost" : "a message repeated");
    peer->next = seq + 1;
    peer->state = kind == ch->end_kind ? SL_KCHAN_PEER_ENDED : SL_KCHAN_PEER_OPEN;
    *out = (struct sl_kchan_msg){.sender = (int32_t)sender,
                                 .kind = kind,
                                 .aux = sl_le_get32(p + 12),
                                 .seq = seq,
                                 .offset = m->offset,
                                 .bytes = p + SL_KCHAN_HDR_SIZE,
                                 .len = m->len - SL_KCHAN_HDR_SIZE};
    return 0;
}

int sl_kchan_poll(struct sl_kchan *ch, int dest, struct sl_kchan_msg *out, int max,
                  struct sl_error *err)
{
    if (dest < ch->dest_lo || dest >= ch->dest_hi || max < 0)
        return sl_error_set(err, SL_EINVAL,
                            "Kafka channel topic '%s': worker %d is not a local destination "
                            "(%d..%d)",
                            ch->topic, dest, ch->dest_lo, ch->dest_hi - 1);
    struct sl_kchan_dest *d = &ch->dests[dest - ch->dest_lo];
    sl_kchan_release(d);
    if (d->err.code) {
        if (err)
            *err = d->err;
        return d->err.code;
    }
    if (max > d->cap) {
        rd_kafka_message_t **h = realloc(d->held, (size_t)max * sizeof(*h));
        if (!h)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        d->held = h;
        d->cap = max;
    }
    ssize_t n = max ? rd_kafka_consume_batch_queue(d->queue, 0, d->held, (size_t)max) : 0;
    if (n < 0)
        return sl_error_set(&d->err, sl_kafka_err_code(rd_kafka_last_error()),
                            "Kafka channel topic '%s' partition %d: consume: %s", ch->topic, dest,
                            rd_kafka_err2str(rd_kafka_last_error()));
    d->nheld = (int)n;
    int k = 0;
    for (int i = 0; i < (int)n; i++) {
        if (sl_kchan_take(ch, dest, d, d->held[i], &out[k]))
            break;
        d->pos = d->held[i]->offset + 1;
        k++;
    }
    atomic_fetch_add_explicit(&d->received, (uint64_t)k, memory_order_relaxed);
    if (k == 0 && d->err.code) {
        if (err)
            *err = d->err;
        return d->err.code;
    }
    return k;
}

int64_t sl_kchan_position(const struct sl_kchan *ch, int dest)
{
    if (dest < ch->dest_lo || dest >= ch->dest_hi)
        return -1;
    return ch->dests[dest - ch->dest_lo].pos;
}

int64_t sl_kchan_assigned_offset(const struct sl_kchan *ch, int dest)
{
    if (dest < ch->dest_lo || dest >= ch->dest_hi)
        return -1;
    rd_kafka_topic_partition_list_t *list = NULL;
    if (rd_kafka_assignment(ch->cons, &list) || !list)
        return -1;
    const rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(list, ch->topic, dest);
    int64_t off = p ? p->offset : -1;
    rd_kafka_topic_partition_list_destroy(list);
    return off;
}

static void sl_kchan_queue_event(rd_kafka_t *rk, void *opaque)
{
    (void)rk;
    struct sl_kchan_dest *d = opaque;
    if (d->wake)
        d->wake(d->wake_arg);
}

void sl_kchan_set_waker(struct sl_kchan *ch, int dest, void (*wake)(void *), void *arg)
{
    if (dest < ch->dest_lo || dest >= ch->dest_hi)
        return;
    struct sl_kchan_dest *d = &ch->dests[dest - ch->dest_lo];
    if (!wake) {
        rd_kafka_queue_cb_event_enable(d->queue, NULL, NULL);
        d->wake = NULL;
        d->wake_arg = NULL;
        return;
    }
    d->wake = wake;
    d->wake_arg = arg;
    rd_kafka_queue_cb_event_enable(d->queue, sl_kchan_queue_event, d);
}

int sl_kchan_purge(struct sl_kchan *ch, int dest, int64_t offset, int timeout_ms,
                   struct sl_error *err)
{
    if (dest < ch->dest_lo || dest >= ch->dest_hi || offset < 0)
        return sl_error_set(err, SL_EINVAL,
                            "Kafka channel topic '%s': cannot purge partition %d below offset "
                            "%" PRId64 " (local destinations %d..%d)",
                            ch->topic, dest, offset, ch->dest_lo, ch->dest_hi - 1);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, ch->topic, dest)->offset = offset;
    rd_kafka_DeleteRecords_t *del = rd_kafka_DeleteRecords_new(list);
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(ch->cons, RD_KAFKA_ADMIN_OP_ANY);
    char why[256];
    rd_kafka_AdminOptions_set_operation_timeout(opt, timeout_ms, why, sizeof(why));
    rd_kafka_AdminOptions_set_request_timeout(opt, timeout_ms, why, sizeof(why));
    rd_kafka_queue_t *q = rd_kafka_queue_new(ch->cons);
    rd_kafka_DeleteRecords(ch->cons, &del, 1, opt, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
    int rc = 0;
    if (!ev) {
        rc = sl_error_set(err, SL_ETIMEOUT,
                          "Kafka channel topic '%s' partition %d: purge below offset %" PRId64
                          ": no answer",
                          ch->topic, dest, offset);
    } else if (rd_kafka_event_error(ev)) {
        rc = sl_error_set(err, sl_kafka_err_code(rd_kafka_event_error(ev)),
                          "Kafka channel topic '%s' partition %d: purge below offset %" PRId64
                          ": %s",
                          ch->topic, dest, offset, rd_kafka_event_error_string(ev));
    } else {
        const rd_kafka_topic_partition_list_t *res =
            rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
        if (!res || res->cnt != 1)
            rc = sl_error_set(err, SL_EKAFKA,
                              "Kafka channel topic '%s' partition %d: purge: no result", ch->topic,
                              dest);
        else if (res->elems[0].err)
            rc = sl_error_set(err, sl_kafka_err_code(res->elems[0].err),
                              "Kafka channel topic '%s' partition %d: purge below offset %" PRId64
                              ": %s",
                              ch->topic, dest, offset, rd_kafka_err2str(res->elems[0].err));
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_DeleteRecords_destroy(del);
    return rc;
}

struct sl_kchan_stats sl_kchan_stats(const struct sl_kchan *ch)
{
    struct sl_kchan_stats s = {
        .sent = atomic_load_explicit(&ch->sent, memory_order_relaxed),
        .delivered = atomic_load_explicit(&ch->delivered, memory_order_relaxed),
        .failed = atomic_load_explicit(&ch->failed, memory_order_relaxed),
    };
    for (int i = 0; ch->dests && i < ch->dest_hi - ch->dest_lo; i++)
        s.received += atomic_load_explicit(&ch->dests[i].received, memory_order_relaxed);
    return s;
}

/* ---- open and close ----------------------------------------------------------------------- */

static int64_t sl_kchan_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The topic with exactly ch->workers partitions: found, or created (kafka_chan.h). */
static int sl_kchan_topic(struct sl_kchan *ch, rd_kafka_t *rk, const struct sl_kchan_config *cfg,
                          struct sl_error *err)
{
    int32_t count = 0;
    int rc = sl_kafka_partition_count(rk, ch->topic, ch->timeout_ms, &count, err);
    if (rc == SL_ENOTFOUND) {
        struct sl_error cerr;
        int crc = sl_kafka_topic_create_with(
            cfg->bootstrap, ch->topic, ch->workers, cfg->replication ? cfg->replication : 1,
            sl_kchan_topic_configs,
            sizeof(sl_kchan_topic_configs) / sizeof(sl_kchan_topic_configs[0]), cfg->props,
            cfg->nprops, ch->timeout_ms, &cerr);
        if (!crc)
            return 0;
        /* another process may have created it first: then it exists (soon) */
        int64_t until = sl_kchan_ms() + ch->timeout_ms;
        do {
            rc = sl_kafka_partition_count(rk, ch->topic, ch->timeout_ms, &count, err);
            if (rc != SL_ENOTFOUND)
                break;
            struct timespec pause = {.tv_nsec = 50 * 1000 * 1000};
            nanosleep(&pause, NULL);
        } while (sl_kchan_ms() < until);
        if (rc == SL_ENOTFOUND) {
            if (err)
                *err = cerr;
            return crc;
        }
    }
    if (rc)
        return rc;
    if (count != ch->workers)
        return sl_error_set(err, SL_EINVAL,
                            "Kafka channel topic '%s' exists with %d partitions, but the job has "
                            "%d workers (one partition each): use a new topic for this "
                            "generation",
                            ch->topic, (int)count, ch->workers);
    return 0;
}

static int sl_kchan_producer(struct sl_kchan *ch, const struct sl_kchan_config *cfg,
                             struct sl_error *err)
{
    size_t nbase;
    const sl_kafka_kv *base = sl_kafka_sink_defaults(&nbase);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = sl_kchan_conf(conf, cfg, base, nbase, sl_kchan_prod_defaults,
                           sizeof(sl_kchan_prod_defaults) / sizeof(sl_kchan_prod_defaults[0]), err);
    if (!rc)
        rc = sl_kafka_conf_set(conf, "enable.idempotence", "true", err); /* the order rests on it */
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, ch);
    rd_kafka_conf_set_dr_msg_cb(conf, sl_kchan_dr);
    rd_kafka_conf_set_error_cb(conf, sl_kchan_error_cb);
    char why[256];
    ch->prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!ch->prod) {
        rd_kafka_conf_destroy(conf);
        return sl_error_set(err, SL_EKAFKA, "Kafka channel producer for %s: %s", cfg->bootstrap,
                            why);
    }
    return 0;
}

static int sl_kchan_consumer(struct sl_kchan *ch, const struct sl_kchan_config *cfg,
                             struct sl_error *err)
{
    size_t nbase;
    const sl_kafka_kv *base = sl_kafka_source_defaults(&nbase);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = sl_kchan_conf(conf, cfg, base, nbase, sl_kchan_cons_defaults,
                           sizeof(sl_kchan_cons_defaults) / sizeof(sl_kchan_cons_defaults[0]), err);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    char why[256];
    ch->cons = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
    if (!ch->cons) {
        rd_kafka_conf_destroy(conf);
        return sl_error_set(err, SL_EKAFKA, "Kafka channel consumer for %s: %s", cfg->bootstrap,
                            why);
    }
    return 0;
}

/*
 * The absolute offsets of the partitions in `list` whose offset is RD_KAFKA_OFFSET_BEGINNING
 * (their first retained record, the low watermark), written into the list.
 *
 * Why not assign at the logical offset: librdkafka (2.0.2, and still in 2.x) resolves a
 * logical start offset with a ListOffsets request to the partition's leader, and when the
 * leader is not known yet at the assignment - a new consumer has not had the topic's
 * metadata, and the channel's topic check runs on the producer - it does not wait for the
 * metadata: it starts the offset query timer with a fixed 500 ms
 * (rd_kafka_toppar_offset_request, "no current leader for partition"), which no property
 * changes (fetch.error.backoff.ms, fetch.wait.max.ms, retry.backoff.ms are not it). A new
 * process's channel thus handed out its first record ~0.5 s after it was opened. An absolute
 * offset needs no lookup: the partition fetches as soon as it joins its leader's broker
 * thread. The lookup here (rd_kafka_offsets_for_times with the timestamp -2, "earliest",
 * which is what ListOffsets takes for BEGINNING) waits for the leaders itself and asks each
 * leader once for all its partitions.
 *
 * A topic created a moment ago (by this process or, racing, by another) may not have its
 * leaders yet: the metadata names a leader before that broker has taken the partition over,
 * and the answer is "Not leader for partition" (or "Leader not available", "Unknown topic or
 * partition"). Kafka calls these retriable; the lookup is repeated every 20 ms until the
 * channel's timeout, then the error stands. Seen with two sluice processes opening a new
 * topic on a Kafka 3.9 KRaft broker (bench/cluster.sh with its topic left to the processes):
 * one of the first 2-3 runs failed so, each of three times; with the wait, 33 runs of 33
 * passed. (Two handles in one process racing, as tests/io/test_kafka_chan_broker.c does,
 * did not hit it in 16 tries.)
 */
static bool sl_kchan_leader_pending(rd_kafka_resp_err_t e)
{
    return e == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
           e == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
           e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
}

static int sl_kchan_resolve_beginning(struct sl_kchan *ch, rd_kafka_topic_partition_list_t *list,
                                      struct sl_error *err)
{
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(list->cnt);
    for (int i = 0; i < list->cnt; i++)
        if (list->elems[i].offset == RD_KAFKA_OFFSET_BEGINNING)
            rd_kafka_topic_partition_list_add(q, ch->topic, list->elems[i].partition)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
    int rc = 0;
    rd_kafka_resp_err_t kerr = 0;
    int64_t until = sl_kchan_ms() + ch->timeout_ms;
    for (;;) {
        kerr = q->cnt ? rd_kafka_offsets_for_times(ch->cons, q, ch->timeout_ms) : 0;
        bool pending = sl_kchan_leader_pending(kerr);
        for (int i = 0; !kerr && i < q->cnt; i++)
            pending = pending || sl_kchan_leader_pending(q->elems[i].err);
        if (!pending || sl_kchan_ms() >= until)
            break;
        for (int i = 0; i < q->cnt; i++) { /* ask again from the start */
            q->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
            q->elems[i].err = 0;
        }
        struct timespec pause = {.tv_nsec = 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (kerr)
        rc = sl_error_set(err, sl_kafka_err_code(kerr),
                          "Kafka channel topic '%s': the first offsets of partitions %d..%d: %s",
                          ch->topic, ch->dest_lo, ch->dest_hi - 1, rd_kafka_err2str(kerr));
    for (int i = 0; !rc && i < q->cnt; i++) {
        const rd_kafka_topic_partition_t *r = &q->elems[i];
        if (r->err || r->offset < 0) {
            rc = sl_error_set(err, r->err ? sl_kafka_err_code(r->err) : SL_EKAFKA,
                              "Kafka channel topic '%s' partition %d: the first offset: %s",
                              ch->topic, (int)r->partition,
                              r->err ? rd_kafka_err2str(r->err) : "none returned");
            break;
        }
        rd_kafka_topic_partition_list_find(list, ch->topic, r->partition)->offset = r->offset;
    }
    rd_kafka_topic_partition_list_destroy(q);
    return rc;
}

/* Each local destination's queue, its partition's queue forwarded to it, and the assignment
 * at the start offsets (absolute ones: sl_kchan_resolve_beginning). */
static int sl_kchan_assign(struct sl_kchan *ch, const struct sl_kchan_config *cfg,
                           struct sl_error *err)
{
    int n = ch->dest_hi - ch->dest_lo;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(n);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        struct sl_kchan_dest *d = &ch->dests[i];
        int32_t part = ch->dest_lo + i;
        d->pos = cfg->start_offsets ? cfg->start_offsets[i] : SL_KCHAN_OFFSET_BEGINNING;
        d->given_start = d->pos != SL_KCHAN_OFFSET_BEGINNING;
        d->peers = calloc((size_t)ch->workers, sizeof(*d->peers));
        d->queue = rd_kafka_queue_new(ch->cons);
        rd_kafka_queue_t *pq = rd_kafka_queue_get_partition(ch->cons, ch->topic, part);
        if (!d->peers || !d->queue || !pq) {
            if (pq)
                rd_kafka_queue_destroy(pq);
            rc = sl_error_set(err, SL_ENOMEM, "Kafka channel topic '%s' partition %d: no queue",
                              ch->topic, (int)part);
            break;
        }
        rd_kafka_queue_forward(pq, d->queue);
        rd_kafka_queue_destroy(pq);
        rd_kafka_topic_partition_list_add(list, ch->topic, part)->offset = d->pos;
    }
    if (!rc)
        rc = sl_kchan_resolve_beginning(ch, list, err);
    if (!rc) {
        rd_kafka_resp_err_t kerr = rd_kafka_assign(ch->cons, list);
        if (kerr)
            rc = sl_error_set(err, sl_kafka_err_code(kerr),
                              "Kafka channel topic '%s': assign partitions %d..%d: %s", ch->topic,
                              ch->dest_lo, ch->dest_hi - 1, rd_kafka_err2str(kerr));
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

int sl_kchan_open(const struct sl_kchan_config *cfg, struct sl_kchan **out, struct sl_error *err)
{
    if (!cfg->bootstrap || !cfg->topic || cfg->workers < 1 || cfg->dest_lo < 0 ||
        cfg->dest_hi < cfg->dest_lo || cfg->dest_hi > cfg->workers || cfg->sender_lo < 0 ||
        cfg->sender_hi < cfg->sender_lo || cfg->sender_hi > cfg->workers)
        return sl_error_set(err, SL_EINVAL,
                            "Kafka channel: bootstrap, topic, workers >= 1 and ranges within "
                            "0..workers needed (workers %d, destinations %d..%d, senders %d..%d)",
                            cfg->workers, cfg->dest_lo, cfg->dest_hi, cfg->sender_lo,
                            cfg->sender_hi);
    struct sl_kchan *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    pthread_mutex_init(&ch->mu, NULL);
    ch->workers = cfg->workers;
    ch->dest_lo = cfg->dest_lo;
    ch->dest_hi = cfg->dest_hi;
    ch->sender_lo = cfg->sender_lo;
    ch->sender_hi = cfg->sender_hi;
    ch->end_kind = cfg->end_kind;
    ch->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
    size_t nseq = (size_t)(ch->sender_hi - ch->sender_lo) * (size_t)ch->workers;
    ch->topic = strdup(cfg->topic);
    ch->seq = calloc(nseq ? nseq : 1, sizeof(*ch->seq));
    ch->dests = calloc((size_t)(ch->dest_hi - ch->dest_lo) + 1, sizeof(*ch->dests));
    int rc;
    if (!ch->topic || !ch->seq || !ch->dests) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    if (ch->sender_hi > ch->sender_lo && (rc = sl_kchan_producer(ch, cfg, err)))
        goto fail;
    if (ch->dest_hi > ch->dest_lo && (rc = sl_kchan_consumer(ch, cfg, err)))
        goto fail;
    if (!ch->prod && !ch->cons) {
        rc = sl_error_set(err, SL_EINVAL,
                          "Kafka channel topic '%s': no local sender and no local destination",
                          ch->topic);
        goto fail;
    }
    if ((rc = sl_kchan_topic(ch, ch->prod ? ch->prod : ch->cons, cfg, err)))
        goto fail;
    /* the topic handle after the topic: its metadata request must not create it */
    if (ch->prod && !(ch->rkt = rd_kafka_topic_new(ch->prod, ch->topic, NULL))) {
        rc = sl_error_set(err, SL_EKAFKA, "Kafka channel topic '%s': %s", ch->topic,
                          rd_kafka_err2str(rd_kafka_last_error()));
        goto fail;
    }
    if (ch->cons && (rc = sl_kchan_assign(ch, cfg, err)))
        goto fail;
    *out = ch;
    return 0;
fail:
    sl_kchan_close(ch, 0);
    return rc;
}

void sl_kchan_close(struct sl_kchan *ch, int timeout_ms)
{
    if (!ch)
        return;
    if (ch->cons) {
        rd_kafka_assign(ch->cons, NULL);
        for (int i = 0; i < ch->dest_hi - ch->dest_lo; i++) {
            struct sl_kchan_dest *d = &ch->dests[i];
            sl_kchan_release(d);
            if (d->queue) {
                rd_kafka_queue_cb_event_enable(d->queue, NULL, NULL);
                rd_kafka_queue_destroy(d->queue);
            }
        }
        rd_kafka_consumer_close(ch->cons);
        rd_kafka_destroy(ch->cons);
    }
    for (int i = 0; ch->dests && i < ch->dest_hi - ch->dest_lo; i++) {
        free(ch->dests[i].held);
        free(ch->dests[i].peers);
    }
    if (ch->mainq) {
        rd_kafka_queue_cb_event_enable(ch->mainq, NULL, NULL);
        rd_kafka_queue_destroy(ch->mainq);
    }
    if (ch->prod) {
        rd_kafka_flush(ch->prod, timeout_ms);
        rd_kafka_purge(ch->prod, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(ch->prod, 0);
        if (ch->rkt)
            rd_kafka_topic_destroy(ch->rkt);
        rd_kafka_destroy(ch->prod);
    }
    pthread_mutex_destroy(&ch->mu);
    free(ch->dests);
    free(ch->seq);
    free(ch->topic);
    free(ch);
}

int sl_kchan_delete_topic(const char *bootstrap, const char *topic, const char *const *props,
                          size_t nprops, int timeout_ms, struct sl_error *err)
{
    return sl_kafka_topic_delete(bootstrap, topic, props, nprops,
                                 timeout_ms > 0 ? timeout_ms : 10000, err);
}
