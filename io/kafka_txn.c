/*
 * io/kafka_txn.c - exactly-once output into Kafka: a transaction per epoch on two
 * transactional producers (see kafka_txn.h for the protocol).
 *
 * HOW IT WORKS
 * Two slots, each a transactional producer ("<prefix>-0", "<prefix>-1") with the at-least-once
 * sink's throughput settings (sl_kafka_sink_defaults, minus enable.idempotence, which a
 * transactional.id implies) and the table's properties last. Epoch E lives on slot E % 2.
 * A slot's transaction is begun by the first write of its epoch (or by the commit of an
 * epoch that wrote nothing) and ended by sl_kafka_txn_commit (or an abort).
 *
 * THREADS AND LOCKS (per slot)
 *   open       the epoch of the slot's open transaction, 0 when none. Workers read it
 *              without a lock on every write (the fast path: it already names their
 *              epoch); a write that sees another value takes `lock`, under which the one
 *              rd_kafka_begin_transaction of an epoch happens and `open` changes. Commit and
 *              abort clear it under `lock` too. `committed` (the slot's last committed
 *              epoch) is read and written under `lock` only.
 *   cur        the epoch that the counters and the error below belong to. Set when a
 *              transaction begins, before any of its records exists; every record carries
 *              its epoch as its delivery-report opaque, and a report of another epoch (a
 *              record purged by the abort of an earlier one) is ignored.
 *   counters   written (accepted by librdkafka), acked, failed: C11 atomics, since the
 *              delivery-report callback runs on whichever thread polls the producer - a
 *              worker in write, the coordinator in flush or commit.
 *   err        the epoch's first failed delivery, or the producer's fatal error (fenced,
 *              say), under `err_lock`; `has_err` lets a write check it without the lock.
 *              `err_lock` is held only to copy an error in or out, never across a librdkafka
 *              call, so a callback that runs inside any librdkafka call can take it.
 * Nothing else is shared: the topic table is filled before the first write (a later
 * sl_kafka_txn_topic is refused), the marker and the stats are the coordinator's or
 * atomics.
 *
 * COMMIT
 * The marker goes into the transaction, then rd_kafka_commit_transaction (which flushes
 * first) within the configured timeout. Its failures, as librdkafka classifies them:
 *   requires abort  a record or the marker failed: abort the transaction here (nothing of
 *                   the epoch becomes visible) and return the cause
 *   retriable       (a timeout, a coordinator moving) commit again - librdkafka resumes the
 *                   commit it has in progress - until the timeout is spent; then the outcome
 *                   is unknown and the error says so (sl_kafka_txn_resolve on the next start)
 *   fatal           the producer is done for (SL_EFENCED when a newer instance with the same
 *                   transactional id fenced it): the outcome is left to the next start, which
 *                   aborts what is open
 * A delivery error seen before the commit (flush already returned it) aborts as well.
 *
 * RESOLVE
 * A consumer with isolation.level=read_committed and no group membership (rd_kafka_assign)
 * reads partition 0 of the marker topic: first the last SL_TXN_TAIL offsets, then, if the
 * job's marker is not among them, the rest from the log start. A read_committed reader gets
 * no further than the last stable offset (and its ListOffsets answers that offset, not the
 * high watermark), so the tail is read until an end-of-partition at the high watermark that
 * the same fetch answer reported: one held back by another producer's open transaction
 * becomes a timeout that says so, never a "not committed" that missed a marker behind it
 * (the job's own ids were aborted by sl_kafka_txn_new already).
 */
#include "io/kafka_txn.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "io/kafka_conf.h"
#include "io/kafka_sink.h"

#define SL_TXN_TIMEOUT_MS 30000
#define SL_TXN_FREE_ABORT_MS 5000 /* free's abort: the next start aborts anyway */
#define SL_TXN_TAIL 1024          /* marker offsets resolve reads first */

struct sl_txn_slot {
    struct sl_kafka_txn *t;
    char *id; /* transactional id */
    rd_kafka_t *rk;
    rd_kafka_topic_t *marker_rkt;
    pthread_mutex_t lock;  /* begin and end of transactions: open, committed */
    _Atomic uint64_t open; /* epoch of the open transaction, 0: none */
    uint64_t committed;    /* last epoch committed here (lock) */
    _Atomic uint64_t cur;  /* epoch the counters and err count for */
    _Atomic uint64_t written, acked, failed;
    pthread_mutex_t err_lock; /* err */
    atomic_bool has_err;
    struct sl_error err; /* first delivery error of cur, or the producer's fatal error */
};

struct sl_txn_topic {
    char *name;
    int32_t partitions;
    rd_kafka_topic_t *rkt[2]; /* per slot */
};

struct sl_kafka_txn {
    char *bootstrap, *job, *marker_topic;
    char *marker_prefix; /* "sluice-epoch <job> " */
    char **props;        /* copies, for the resolve consumer */
    size_t nprops;
    int timeout_ms;
    struct sl_txn_slot slot[2];
    struct sl_txn_topic *topics;
    int ntopics;
    atomic_bool writing; /* a write happened: the topic table is frozen */
    _Atomic uint64_t written, delivered, commits, aborts;
    /* the checkpoint's thread only: what this handle committed and resolved, so that the
     * calls of every sink table sharing it do the work once */
    uint64_t committed_epoch; /* 0: none */
    uint64_t resolved_epoch;  /* 0: none */
    bool resolved_committed;
};

/* ---- time ----------------------------------------------------------------------------------- */

static struct timespec sl_txn_deadline(int timeout_ms)
{
    struct timespec d;
    clock_gettime(CLOCK_MONOTONIC, &d);
    d.tv_sec += timeout_ms / 1000;
    d.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (d.tv_nsec >= 1000000000) {
        d.tv_sec++;
        d.tv_nsec -= 1000000000;
    }
    return d;
}

static int sl_txn_left_ms(struct timespec deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms =
        (long)(deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
    return ms <= 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* ---- errors --------------------------------------------------------------------------------- */

static bool sl_txn_fenced(rd_kafka_resp_err_t kerr)
{
    return kerr == RD_KAFKA_RESP_ERR__FENCED || kerr == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
           kerr == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

/* Records the slot's error unless it has one. Any thread; takes err_lock. */
__attribute__((format(printf, 3, 4))) static void sl_txn_fail(struct sl_txn_slot *s, int code,
                                                              const char *fmt, ...)
{
    pthread_mutex_lock(&s->err_lock);
    if (!s->err.code) {
        va_list ap;
        va_start(ap, fmt);
        sl_error_vset(&s->err, code, fmt, ap);
        va_end(ap);
        atomic_store_explicit(&s->has_err, true, memory_order_release);
    }
    pthread_mutex_unlock(&s->err_lock);
}

/* The slot's error (0 if none), copied to err. Any thread. */
static int sl_txn_state(struct sl_txn_slot *s, struct sl_error *err)
{
    if (!atomic_load_explicit(&s->has_err, memory_order_acquire))
        return 0;
    pthread_mutex_lock(&s->err_lock);
    int rc = s->err.code;
    if (err)
        *err = s->err;
    pthread_mutex_unlock(&s->err_lock);
    return rc;
}

static int sl_txn_check(void *arg, struct sl_error *err)
{
    return sl_txn_state(arg, err);
}

/* init_transactions of one producer on a thread of its own (sl_kafka_txn_new). */
struct sl_txn_init {
    rd_kafka_t *rk;
    int timeout_ms;
    rd_kafka_error_t *e;
};

static void *sl_txn_init_main(void *arg)
{
    struct sl_txn_init *in = arg;
    in->e = rd_kafka_init_transactions(in->rk, in->timeout_ms);
    return NULL;
}

/* A transactional call's error object as a sluice error naming the broker, the
 * transactional id and what was done; destroys e. */
static int sl_txn_kerror(struct sl_txn_slot *s, rd_kafka_error_t *e, const char *what,
                         struct sl_error *err)
{
    rd_kafka_resp_err_t kerr = rd_kafka_error_code(e);
    bool fatal = rd_kafka_error_is_fatal(e);
    int code = sl_txn_fenced(kerr) ? SL_EFENCED
               : fatal             ? SL_EKAFKA
               : rd_kafka_error_is_retriable(e) && sl_kafka_err_code(kerr) != SL_ETIMEOUT
                   ? SL_EKAFKA_RETRY
                   : sl_kafka_err_code(kerr);
    if (!code)
        code = SL_EKAFKA;
    sl_error_set(err, code, "Kafka at %s, transactional id '%s': %s: %s%s", s->t->bootstrap, s->id,
                 what, rd_kafka_error_string(e), fatal ? " (fatal)" : "");
    rd_kafka_error_destroy(e);
    return code;
}

/* ---- producers ------------------------------------------------------------------------------ */

/* A delivery report: on the thread that polls the slot's producer (any worker, the
 * coordinator), no lock held. */
static void sl_txn_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct sl_txn_slot *s = opaque;
    uintptr_t epoch = (uintptr_t)m->_private;
    /* 0: the marker (its fate is the commit's); another epoch: purged by an abort */
    if (epoch == 0 || epoch != (uintptr_t)atomic_load(&s->cur))
        return;
    if (!m->err) {
        atomic_fetch_add_explicit(&s->acked, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->t->delivered, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&s->failed, 1, memory_order_relaxed);
    /* librdkafka has retried already: the record is lost, the epoch must be aborted */
    sl_txn_fail(s, SL_EKAFKA,
                "Kafka topic '%s' partition %d: delivery of a record of epoch %" PRIu64
                " (transactional id '%s') failed: %s",
                rd_kafka_topic_name(m->rkt), (int)m->partition, (uint64_t)epoch, s->id,
                rd_kafka_err2str(m->err));
}

/* librdkafka's error callback (one of its threads): a fatal error (fenced, say) is the
 * slot's error; transient ones (a broker briefly away) librdkafka retries by itself. */
static void sl_txn_error_cb(rd_kafka_t *rk, int kerr, const char *reason, void *opaque)
{
    struct sl_txn_slot *s = opaque;
    if (kerr != RD_KAFKA_RESP_ERR__FATAL)
        return;
    char fatal[256];
    rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    sl_txn_fail(s, sl_txn_fenced(orig) ? SL_EFENCED : SL_EKAFKA,
                "Kafka at %s, transactional id '%s': producer failed: %s (%s)", s->t->bootstrap,
                s->id, fatal, orig ? rd_kafka_err2name(orig) : reason);
}

static int sl_txn_producer(struct sl_kafka_txn *t, struct sl_txn_slot *s, const char *const *props,
                           size_t nprops, struct sl_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = sl_kafka_conf_set(conf, "bootstrap.servers", t->bootstrap, err);
    size_t ndef;
    const sl_kafka_kv *def = sl_kafka_sink_defaults(&ndef);
    for (size_t i = 0; !rc && i < ndef; i++)
        if (strcmp(def[i][0], "enable.idempotence") != 0) /* implied by transactional.id */
            rc = sl_kafka_conf_set(conf, def[i][0], def[i][1], err);
    if (!rc)
        rc = sl_kafka_conf_set(conf, "transactional.id", s->id, err);
    if (!rc)
        rc = sl_kafka_conf_set_strings(conf, props, nprops, err);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_conf_set_dr_msg_cb(conf, sl_txn_dr);
    rd_kafka_conf_set_error_cb(conf, sl_txn_error_cb);
    char why[256];
    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!s->rk) {
        rd_kafka_conf_destroy(conf);
        return sl_error_set(err, SL_EKAFKA, "Kafka producer for %s, transactional id '%s': %s",
                            t->bootstrap, s->id, why);
    }
    return 0;
}

/* Makes sure the marker topic exists, with one partition when it is created here. */
static int sl_txn_marker_topic(struct sl_kafka_txn *t, struct sl_error *err)
{
    int32_t count;
    int rc = sl_kafka_partition_count(t->slot[0].rk, t->marker_topic, t->timeout_ms, &count, err);
    if (rc != SL_ENOTFOUND)
        return rc;
    /* compacted on the job id (the last marker of a job stays, however long the job is
     * down: retention would delete it and a restart would then roll a committed epoch back
     * and write it twice), replicated as the broker's topics are */
    static const char *const cfg[][2] = {{"cleanup.policy", "compact"}};
    rc = sl_kafka_topic_create_with(t->bootstrap, t->marker_topic, 1, -1, cfg, 1,
                                    (const char *const *)t->props, t->nprops, t->timeout_ms, err);
    if (rc == SL_EKAFKA) {
        /* an existing topic is SL_EKAFKA too: created meanwhile by another start? */
        struct sl_error again;
        if (sl_kafka_partition_count(t->slot[0].rk, t->marker_topic, t->timeout_ms, &count,
                                     &again) == 0) {
            sl_error_clear(err);
            rc = 0;
        }
    }
    return rc;
}

static char *sl_txn_strdup(const char *s, bool *oom)
{
    char *d = strdup(s);
    *oom |= !d;
    return d;
}

int sl_kafka_txn_new(const struct sl_kafka_txn_config *cfg, struct sl_kafka_txn **out,
                     struct sl_error *err)
{
    if (!cfg->bootstrap || !cfg->prefix || !*cfg->prefix || !cfg->job || !*cfg->job)
        return sl_error_set(err, SL_EINVAL, "Kafka transactions: bootstrap, prefix and job needed");
    for (size_t i = 0; i < cfg->nprops; i++)
        if (strncmp(cfg->props[i], "transactional.id=", 17) == 0)
            return sl_error_set(err, SL_EINVAL,
                                "Kafka property '%s': the transactional ids are '%s-0' and "
                                "'%s-1' (set the prefix instead)",
                                cfg->props[i], cfg->prefix, cfg->prefix);
    struct sl_kafka_txn *t = calloc(1, sizeof(*t));
    if (!t)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    t->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : SL_TXN_TIMEOUT_MS;
    bool oom = false;
    t->bootstrap = sl_txn_strdup(cfg->bootstrap, &oom);
    t->job = sl_txn_strdup(cfg->job, &oom);
    size_t plen = strlen(cfg->prefix), jlen = strlen(cfg->job);
    t->marker_topic = cfg->marker_topic ? sl_txn_strdup(cfg->marker_topic, &oom)
                                        : malloc(plen + sizeof("-epochs"));
    if (!cfg->marker_topic && t->marker_topic)
        snprintf(t->marker_topic, plen + sizeof("-epochs"), "%s-epochs", cfg->prefix);
    if ((t->marker_prefix = malloc(jlen + sizeof("sluice-epoch  "))))
        snprintf(t->marker_prefix, jlen + sizeof("sluice-epoch  "), "sluice-epoch %s ", cfg->job);
    oom |= !t->marker_topic || !t->marker_prefix;
    if (cfg->nprops && (t->props = calloc(cfg->nprops, sizeof(*t->props))))
        for (size_t i = 0; i < cfg->nprops; i++)
            t->props[i] = sl_txn_strdup(cfg->props[i], &oom);
    oom |= cfg->nprops && !t->props;
    t->nprops = cfg->nprops;
    for (int i = 0; i < 2; i++) {
        struct sl_txn_slot *s = &t->slot[i];
        s->t = t;
        pthread_mutex_init(&s->lock, NULL);
        pthread_mutex_init(&s->err_lock, NULL);
        if ((s->id = malloc(plen + 3)))
            snprintf(s->id, plen + 3, "%s-%d", cfg->prefix, i);
        oom |= !s->id;
    }
    int rc = 0;
    if (oom) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < 2 && !rc; i++)
        rc = sl_txn_producer(t, &t->slot[i], cfg->props, cfg->nprops, err);
    /* fences older producers with these ids and aborts what they left open: both at once
     * (each waits for its coordinator, and for the abort of what the id left open - part of
     * a new generation's start in a job over several processes) */
    if (!rc) {
        struct sl_txn_init in1 = {.rk = t->slot[1].rk, .timeout_ms = t->timeout_ms};
        pthread_t th;
        bool threaded = pthread_create(&th, NULL, sl_txn_init_main, &in1) == 0;
        rd_kafka_error_t *e0 = rd_kafka_init_transactions(t->slot[0].rk, t->timeout_ms);
        if (threaded)
            pthread_join(th, NULL);
        else
            sl_txn_init_main(&in1);
        if (e0)
            rc = sl_txn_kerror(&t->slot[0], e0, "init_transactions", err);
        if (in1.e && !rc)
            rc = sl_txn_kerror(&t->slot[1], in1.e, "init_transactions", err);
        else if (in1.e)
            rd_kafka_error_destroy(in1.e);
    }
    if (!rc)
        rc = sl_txn_marker_topic(t, err);
    for (int i = 0; i < 2 && !rc; i++)
        if (!(t->slot[i].marker_rkt = rd_kafka_topic_new(t->slot[i].rk, t->marker_topic, NULL)))
            rc = sl_error_set(err, SL_EKAFKA, "Kafka topic '%s': %s", t->marker_topic,
                              rd_kafka_err2str(rd_kafka_last_error()));
    if (rc)
        goto fail;
    *out = t;
    return 0;
fail:
    sl_kafka_txn_free(t);
    return rc;
}

int sl_kafka_txn_topic(struct sl_kafka_txn *t, const char *topic, int *id, int32_t *partitions,
                       struct sl_error *err)
{
    for (int i = 0; i < t->ntopics; i++)
        if (strcmp(t->topics[i].name, topic) == 0) {
            *id = i;
            *partitions = t->topics[i].partitions;
            return 0;
        }
    if (atomic_load(&t->writing))
        return sl_error_set(err, SL_ESTATE,
                            "Kafka topic '%s': registered after the first write (workers read "
                            "the topic table without a lock)",
                            topic);
    int32_t count;
    int rc = sl_kafka_partition_count_create(t->slot[0].rk, topic, t->timeout_ms, &count, err);
    if (rc)
        return rc;
    struct sl_txn_topic *nt = realloc(t->topics, ((size_t)t->ntopics + 1) * sizeof(*nt));
    if (!nt)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    t->topics = nt;
    struct sl_txn_topic *tp = &nt[t->ntopics];
    *tp = (struct sl_txn_topic){.name = strdup(topic), .partitions = count};
    for (int i = 0; i < 2 && tp->name; i++)
        if (!(tp->rkt[i] = rd_kafka_topic_new(t->slot[i].rk, topic, NULL))) {
            rc = sl_error_set(err, SL_EKAFKA, "Kafka topic '%s': %s", topic,
                              rd_kafka_err2str(rd_kafka_last_error()));
            break;
        }
    if (!tp->name)
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    if (rc) {
        for (int i = 0; i < 2; i++)
            if (tp->rkt[i])
                rd_kafka_topic_destroy(tp->rkt[i]);
        free(tp->name);
        return rc;
    }
    *id = t->ntopics++;
    *partitions = count;
    return 0;
}

/* ---- transactions --------------------------------------------------------------------------- */

/* Makes `epoch` the slot's open transaction: nothing if it is, else begins one (once: under
 * the slot's lock). Any thread. */
static int sl_txn_begin(struct sl_txn_slot *s, uint64_t epoch, struct sl_error *err)
{
    if (atomic_load_explicit(&s->open, memory_order_acquire) == epoch)
        return 0;
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    uint64_t open = atomic_load_explicit(&s->open, memory_order_relaxed);
    if (open == epoch) {
        /* begun by another worker meanwhile */
    } else if (open != 0) {
        rc = sl_error_set(err, SL_ESTATE,
                          "Kafka transactional id '%s': epoch %" PRIu64 " used while epoch %" PRIu64
                          " is still open on the same producer (at most two epochs at a time: "
                          "E is committed before E + 2 is written)",
                          s->id, epoch, open);
    } else if (epoch <= s->committed) {
        rc = sl_error_set(err, SL_ESTATE,
                          "Kafka transactional id '%s': epoch %" PRIu64 " used after epoch %" PRIu64
                          " was committed on this producer",
                          s->id, epoch, s->committed);
    } else {
        rd_kafka_error_t *e = rd_kafka_begin_transaction(s->rk);
        if (e) {
            rc = sl_txn_kerror(s, e, "begin_transaction", err);
        } else {
            /* no record of the epoch exists yet: the reports of earlier ones are stale */
            atomic_store(&s->cur, epoch);
            atomic_store(&s->written, 0);
            atomic_store(&s->acked, 0);
            atomic_store(&s->failed, 0);
            pthread_mutex_lock(&s->err_lock);
            sl_error_clear(&s->err);
            atomic_store(&s->has_err, false);
            pthread_mutex_unlock(&s->err_lock);
            atomic_store_explicit(&s->open, epoch, memory_order_release);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Ends the slot's transaction: `committed` or aborted. The coordinator's thread. */
static void sl_txn_end(struct sl_txn_slot *s, uint64_t epoch, bool committed)
{
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->open, 0);
    if (committed)
        s->committed = epoch;
    pthread_mutex_unlock(&s->lock);
    atomic_fetch_add(committed ? &s->t->commits : &s->t->aborts, 1);
}

/* Aborts the slot's open transaction of `epoch` and serves the purged records' reports;
 * err says why if that fails. */
static int sl_txn_abort(struct sl_txn_slot *s, uint64_t epoch, int timeout_ms, struct sl_error *err)
{
    rd_kafka_error_t *e = rd_kafka_abort_transaction(s->rk, timeout_ms);
    if (e)
        return sl_txn_kerror(s, e, "abort_transaction", err);
    rd_kafka_poll(s->rk, 0);
    sl_txn_end(s, epoch, false);
    return 0;
}

/* Aborts after `cause` (copied into err, with what the abort did). */
static int sl_txn_abort_after(struct sl_kafka_txn *t, struct sl_txn_slot *s, uint64_t epoch,
                              const struct sl_error *cause, struct sl_error *err)
{
    struct sl_error aerr;
    int code = cause->code ? cause->code : SL_EKAFKA;
    if (sl_txn_abort(s, epoch, t->timeout_ms, &aerr) == 0)
        return sl_error_set(err, code, "%s; the transaction of epoch %" PRIu64 " was aborted",
                            cause->msg, epoch);
    return sl_error_set(err, code,
                        "%s; aborting the transaction of epoch %" PRIu64
                        " failed too (the next start aborts it): %s",
                        cause->msg, epoch, aerr.msg);
}

static void sl_txn_msg(rd_kafka_message_t *m, const struct sl_record *r, uint64_t epoch)
{
    *m = (rd_kafka_message_t){.payload = (void *)r->value,
                              .len = r->value ? r->value_len : 0,
                              .key = (void *)r->key,
                              .key_len = r->key ? r->key_len : 0,
                              ._private = (void *)(uintptr_t)epoch};
}

/* Produces recs[0..n) of `epoch` to topic tp on slot s: one rd_kafka_produce_batch per
 * partition, each in the records' order; records with timestamps or headers one by one. */
static int sl_txn_produce(struct sl_txn_slot *s, int si, const struct sl_txn_topic *tp,
                          uint64_t epoch, const struct sl_record *recs, const int32_t *parts,
                          size_t n, uint64_t *queued, struct sl_error *err)
{
    bool one = true, stamped = false;
    for (size_t i = 0; i < n; i++) {
        if (parts[i] < RD_KAFKA_PARTITION_UA || parts[i] >= tp->partitions)
            return sl_error_set(err, SL_EINVAL,
                                "Kafka topic '%s' has %d partitions: there is no partition %d",
                                tp->name, (int)tp->partitions, (int)parts[i]);
        one &= parts[i] == parts[0];
        stamped |= recs[i].timestamp > 0 || recs[i].headers;
    }
    if (stamped) { /* timestamps or headers of their own: rd_kafka_producev, one at a time */
        int rc = 0;
        for (size_t i = 0; i < n && !rc; i++)
            rc = sl_kafka_produce_one(s->rk, tp->rkt[si], parts[i], &recs[i],
                                      (void *)(uintptr_t)epoch, sl_txn_check, s, queued, err);
        return rc;
    }
    rd_kafka_message_t *msgs = malloc(n * sizeof(*msgs));
    size_t nb = one ? 1 : (size_t)tp->partitions + 1; /* bucket p + 1: partition p, 0: UA */
    size_t *start = one ? NULL : calloc(nb + 1, sizeof(*start));
    if (!msgs || (!one && !start)) {
        free(msgs);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    int rc = 0;
    if (one) {
        for (size_t i = 0; i < n; i++)
            sl_txn_msg(&msgs[i], &recs[i], epoch);
        rc = sl_kafka_produce_batch(s->rk, tp->rkt[si], parts[0], msgs, n, sl_txn_check, s, queued,
                                    err);
    } else {
        /* a stable counting sort by partition */
        for (size_t i = 0; i < n; i++)
            start[(size_t)(parts[i] + 1) + 1]++;
        for (size_t b = 1; b <= nb; b++)
            start[b] += start[b - 1];
        for (size_t i = 0; i < n; i++)
            sl_txn_msg(&msgs[start[(size_t)(parts[i] + 1)]++], &recs[i], epoch);
        /* start[b] is now the end of bucket b */
        for (size_t b = 0, from = 0; b < nb && !rc; from = start[b++])
            if (start[b] > from)
                rc = sl_kafka_produce_batch(s->rk, tp->rkt[si], (int32_t)b - 1, msgs + from,
                                            start[b] - from, sl_txn_check, s, queued, err);
    }
    free(start);
    free(msgs);
    return rc;
}

int sl_kafka_txn_write(struct sl_kafka_txn *t, uint64_t epoch, int id, const struct sl_record *recs,
                       const int32_t *parts, size_t n, struct sl_error *err)
{
    if (epoch == 0)
        return sl_error_set(err, SL_EINVAL, "Kafka transactions: epochs count from 1");
    if (id < 0 || id >= t->ntopics)
        return sl_error_set(err, SL_EINVAL, "Kafka transactions: no topic has the id %d", id);
    if (!atomic_load_explicit(&t->writing, memory_order_relaxed))
        atomic_store(&t->writing, true);
    int si = (int)(epoch % 2);
    struct sl_txn_slot *s = &t->slot[si];
    int rc = sl_txn_begin(s, epoch, err);
    if (!rc)
        rc = sl_txn_state(s, err);
    if (rc || n == 0)
        return rc;
    uint64_t queued = 0;
    rc = sl_txn_produce(s, si, &t->topics[id], epoch, recs, parts, n, &queued, err);
    atomic_fetch_add(&s->written, queued);
    atomic_fetch_add_explicit(&t->written, queued, memory_order_relaxed);
    if (rc)
        return rc;
    rd_kafka_poll(s->rk, 0);
    return sl_txn_state(s, err);
}

int sl_kafka_txn_flush(struct sl_kafka_txn *t, uint64_t epoch, int timeout_ms, struct sl_error *err)
{
    struct sl_txn_slot *s = &t->slot[epoch % 2];
    if (epoch == 0 || atomic_load(&s->open) != epoch)
        return 0; /* the epoch wrote nothing, or is committed */
    rd_kafka_resp_err_t kerr = rd_kafka_flush(s->rk, timeout_ms);
    int rc = sl_txn_state(s, err);
    if (rc)
        return rc;
    uint64_t left = atomic_load(&s->written) - atomic_load(&s->acked) - atomic_load(&s->failed);
    if (kerr == RD_KAFKA_RESP_ERR__TIMED_OUT || left > 0)
        return sl_error_set(err, SL_ETIMEOUT,
                            "Kafka transactional id '%s': %" PRIu64 " records of epoch %" PRIu64
                            " still unacknowledged after %d ms",
                            s->id, left, epoch, timeout_ms);
    if (kerr)
        return sl_error_set(err, sl_kafka_err_code(kerr),
                            "Kafka transactional id '%s': flush of epoch %" PRIu64 ": %s", s->id,
                            epoch, rd_kafka_err2str(kerr));
    return 0;
}

/* Produces the marker of `epoch` into the slot's transaction. */
static int sl_txn_marker(struct sl_kafka_txn *t, struct sl_txn_slot *s, uint64_t epoch,
                         struct sl_error *err)
{
    size_t cap = strlen(t->marker_prefix) + 21;
    char *value = malloc(cap);
    if (!value)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int len = snprintf(value, cap, "%s%" PRIu64, t->marker_prefix, epoch);
    rd_kafka_resp_err_t kerr;
    for (;;) {
        kerr = rd_kafka_producev(
            s->rk, RD_KAFKA_V_RKT(s->marker_rkt), RD_KAFKA_V_PARTITION(0),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(t->job, strlen(t->job)),
            RD_KAFKA_V_VALUE(value, (size_t)len), RD_KAFKA_V_OPAQUE(NULL), RD_KAFKA_V_END);
        if (kerr != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        rd_kafka_poll(s->rk, 10); /* make room: serve delivery reports */
    }
    free(value);
    if (kerr)
        return sl_error_set(err, sl_kafka_err_code(kerr),
                            "Kafka marker topic '%s' partition 0, transactional id '%s': the "
                            "marker of epoch %" PRIu64 ": %s",
                            t->marker_topic, s->id, epoch, rd_kafka_err2str(kerr));
    return 0;
}

int sl_kafka_txn_commit(struct sl_kafka_txn *t, uint64_t epoch, struct sl_error *err)
{
    if (epoch == 0)
        return sl_error_set(err, SL_EINVAL, "Kafka transactions: epochs count from 1");
    if (epoch == t->committed_epoch)
        return 0; /* committed for another table of the job already */
    struct sl_txn_slot *s = &t->slot[epoch % 2];
    struct timespec deadline = sl_txn_deadline(t->timeout_ms);
    int rc = sl_txn_begin(s, epoch, err);
    if (rc)
        return rc;
    struct sl_error cause;
    if (sl_txn_state(s, &cause) || sl_txn_marker(t, s, epoch, &cause))
        return sl_txn_abort_after(t, s, epoch, &cause, err);
    for (;;) {
        int left = sl_txn_left_ms(deadline);
        rd_kafka_error_t *e = rd_kafka_commit_transaction(s->rk, left > 0 ? left : 1);
        if (!e)
            break;
        if (rd_kafka_error_txn_requires_abort(e)) {
            sl_txn_kerror(s, e, "commit_transaction", &cause);
            return sl_txn_abort_after(t, s, epoch, &cause, err);
        }
        if (rd_kafka_error_is_retriable(e) && sl_txn_left_ms(deadline) > 0) {
            rd_kafka_error_destroy(e); /* librdkafka resumes the commit in progress */
            struct timespec pause = {.tv_nsec = 50 * 1000 * 1000};
            nanosleep(&pause, NULL);
            continue;
        }
        rc = sl_txn_kerror(s, e, "commit_transaction", &cause);
        return sl_error_set(err, rc,
                            "%s; whether epoch %" PRIu64
                            " committed is for sl_kafka_txn_resolve on the next start",
                            cause.msg, epoch);
    }
    sl_txn_end(s, epoch, true);
    t->committed_epoch = epoch;
    t->resolved_epoch = 0; /* markers changed: a later resolve reads again */
    return 0;
}

static int sl_txn_resolve(struct sl_kafka_txn *t, uint64_t epoch, bool *committed,
                          struct sl_error *err);

/* ---- resolve -------------------------------------------------------------------------------- */

/* The epoch of a marker record of this job: SL_ECORRUPT if its value is not one. */
static int sl_txn_parse_marker(const struct sl_kafka_txn *t, const rd_kafka_message_t *m,
                               uint64_t *epoch, struct sl_error *err)
{
    size_t plen = strlen(t->marker_prefix);
    const char *v = m->payload;
    char digits[24];
    size_t nd = m->len >= plen ? m->len - plen : 0;
    bool ok = v && m->len > plen && memcmp(v, t->marker_prefix, plen) == 0 && nd < sizeof(digits);
    if (ok) {
        memcpy(digits, v + plen, nd);
        digits[nd] = '\0';
        ok = strspn(digits, "0123456789") == nd;
        char *end;
        errno = 0;
        *epoch = ok ? strtoull(digits, &end, 10) : 0;
        ok &= errno == 0 && *epoch > 0;
    }
    if (!ok)
        return sl_error_set(err, SL_ECORRUPT,
                            "Kafka marker topic '%s' partition 0 offset %" PRId64
                            ": the record of job '%s' is not \"%s<epoch>\": '%.*s'",
                            t->marker_topic, (int64_t)m->offset, t->job, t->marker_prefix,
                            (int)(m->len < 80 ? m->len : 80), v ? v : "");
    return 0;
}

/* Reads the marker partition read_committed from offset `from` up to `to` (exclusive), or
 * with `to` < 0 to its end: the high watermark, which an end-of-partition at the last stable
 * offset below it (another producer's open transaction) is not. *last is the epoch of the
 * job's last marker read (*found). */
static int sl_txn_scan(struct sl_kafka_txn *t, rd_kafka_t *rk, int64_t from, int64_t to,
                       struct timespec deadline, uint64_t epoch, uint64_t *last, bool *found,
                       struct sl_error *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, t->marker_topic, 0)->offset = from;
    rd_kafka_resp_err_t kerr = rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (kerr)
        return sl_error_set(err, sl_kafka_err_code(kerr), "Kafka marker topic '%s': assign: %s",
                            t->marker_topic, rd_kafka_err2str(kerr));
    size_t jlen = strlen(t->job);
    int64_t stable = -1, high = -1; /* an end short of the high watermark */
    char why[256] = "";
    int rc = 0;
    for (;;) {
        int left = sl_txn_left_ms(deadline);
        if (left == 0) {
            if (stable >= 0)
                rc =
                    sl_error_set(err, SL_ETIMEOUT,
                                 "Kafka marker topic '%s' at %s: the last stable offset stayed "
                                 "at %" PRId64 " below the high watermark %" PRId64
                                 " for %d ms (a transaction of another producer is open on "
                                 "it): cannot tell whether epoch %" PRIu64 " committed",
                                 t->marker_topic, t->bootstrap, stable, high, t->timeout_ms, epoch);
            else
                rc = sl_error_set(err, SL_ETIMEOUT,
                                  "Kafka marker topic '%s' at %s: partition 0 from offset %" PRId64
                                  " not read within %d ms%s%s: cannot tell whether epoch %" PRIu64
                                  " committed",
                                  t->marker_topic, t->bootstrap, from, t->timeout_ms,
                                  why[0] ? ": " : "", why, epoch);
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, left < 100 ? left : 100);
        if (!m)
            continue;
        bool done = false;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            /* the fetch answer that ended here also brought the high watermark */
            int64_t lo = 0, hi = INT64_MAX;
            rd_kafka_get_watermark_offsets(rk, t->marker_topic, 0, &lo, &hi);
            done = to >= 0 ? m->offset >= to : m->offset >= hi;
            if (!done) {
                stable = m->offset;
                high = hi;
            }
        } else if (m->err) {
            snprintf(why, sizeof(why), "%s", rd_kafka_message_errstr(m));
            if (sl_kafka_err_code(m->err) == SL_EKAFKA) {
                rc = sl_error_set(err, SL_EKAFKA, "Kafka marker topic '%s' at %s: %s",
                                  t->marker_topic, t->bootstrap, why);
                done = true;
            }
        } else if (to >= 0 && m->offset >= to) {
            done = true;
        } else if (m->key_len == jlen && m->key && memcmp(m->key, t->job, jlen) == 0) {
            uint64_t e = 0;
            rc = sl_txn_parse_marker(t, m, &e, err);
            done = rc != 0;
            if (!rc) {
                *last = e;
                *found = true;
            }
        }
        rd_kafka_message_destroy(m);
        if (done)
            break;
    }
    rd_kafka_assign(rk, NULL);
    return rc;
}

int sl_kafka_txn_resolve(struct sl_kafka_txn *t, uint64_t epoch, bool *committed,
                         struct sl_error *err)
{
    if (epoch != 0 && epoch == t->resolved_epoch) { /* asked for another table already */
        *committed = t->resolved_committed;
        return 0;
    }
    int rc = sl_txn_resolve(t, epoch, committed, err);
    if (!rc) {
        t->resolved_epoch = epoch;
        t->resolved_committed = *committed;
    }
    return rc;
}

static int sl_txn_resolve(struct sl_kafka_txn *t, uint64_t epoch, bool *committed,
                          struct sl_error *err)
{
    *committed = false;
    struct timespec deadline = sl_txn_deadline(t->timeout_ms);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    static const sl_kafka_kv reader[] = {
        {"group.id", "sluice-txn-resolve"}, /* no group is joined: rd_kafka_assign */
        {"isolation.level", "read_committed"}, {"enable.partition.eof", "true"},
        {"enable.auto.commit", "false"},       {"auto.offset.reset", "earliest"},
    };
    int rc = sl_kafka_conf_set(conf, "bootstrap.servers", t->bootstrap, err);
    for (size_t i = 0; !rc && i < sizeof(reader) / sizeof(reader[0]); i++)
        rc = sl_kafka_conf_set(conf, reader[i][0], reader[i][1], err);
    if (!rc)
        rc = sl_kafka_conf_set_strings(conf, (const char *const *)t->props, t->nprops, err);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    char why[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return sl_error_set(err, SL_EKAFKA, "Kafka marker reader for %s: %s", t->bootstrap, why);
    }
    /* a read_committed client's ListOffsets answers the last stable offset, not the high
     * watermark: the end is found by reading (sl_txn_scan) */
    int64_t lo, stable;
    rd_kafka_resp_err_t kerr =
        rd_kafka_query_watermark_offsets(rk, t->marker_topic, 0, &lo, &stable, t->timeout_ms);
    uint64_t last = 0;
    bool found = false;
    if (kerr) {
        rc = sl_error_set(err, sl_kafka_err_code(kerr),
                          "Kafka marker topic '%s' at %s: offsets of partition 0: %s",
                          t->marker_topic, t->bootstrap, rd_kafka_err2str(kerr));
    } else {
        int64_t tail = stable - lo > SL_TXN_TAIL ? stable - SL_TXN_TAIL : lo;
        rc = sl_txn_scan(t, rk, tail, -1, deadline, epoch, &last, &found, err);
        if (!rc && !found && tail > lo)
            rc = sl_txn_scan(t, rk, lo, tail, deadline, epoch, &last, &found, err);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (!rc)
        *committed = found && last >= epoch;
    return rc;
}

/* ---- the rest ------------------------------------------------------------------------------- */

struct sl_kafka_txn_stats sl_kafka_txn_stats(const struct sl_kafka_txn *t)
{
    return (struct sl_kafka_txn_stats){.written = atomic_load(&t->written),
                                       .delivered = atomic_load(&t->delivered),
                                       .commits = atomic_load(&t->commits),
                                       .aborts = atomic_load(&t->aborts)};
}

void sl_kafka_txn_free(struct sl_kafka_txn *t)
{
    if (!t)
        return;
    for (int i = 0; i < 2; i++) {
        struct sl_txn_slot *s = &t->slot[i];
        if (!s->rk)
            continue;
        uint64_t open = atomic_load(&s->open);
        if (open) {
            int ms = t->timeout_ms < SL_TXN_FREE_ABORT_MS ? t->timeout_ms : SL_TXN_FREE_ABORT_MS;
            struct sl_error ignored; /* a fenced producer cannot; the next start aborts */
            sl_txn_abort(s, open, ms, &ignored);
        }
        rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(s->rk, 0);
    }
    for (int k = 0; k < t->ntopics; k++) {
        for (int i = 0; i < 2; i++)
            rd_kafka_topic_destroy(t->topics[k].rkt[i]);
        free(t->topics[k].name);
    }
    for (int i = 0; i < 2; i++) {
        struct sl_txn_slot *s = &t->slot[i];
        if (s->marker_rkt)
            rd_kafka_topic_destroy(s->marker_rkt);
        if (s->rk)
            rd_kafka_destroy(s->rk);
        pthread_mutex_destroy(&s->lock);
        pthread_mutex_destroy(&s->err_lock);
        free(s->id);
    }
    for (size_t i = 0; t->props && i < t->nprops; i++)
        free(t->props[i]);
    free(t->props);
    free(t->topics);
    free(t->bootstrap);
    free(t->job);
    free(t->marker_topic);
    free(t->marker_prefix);
    free(t);
}
