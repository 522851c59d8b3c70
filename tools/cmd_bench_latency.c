/*
 * tools/cmd_bench_latency.c - `sluice bench latency`: end-to-end latency of a Kafka -> sluice
 * -> Kafka pipeline against a real broker at a fixed offered load, beside Kafka's own
 * produce -> consume latency at the same load (the floor), in one run.
 *
 *   sluice bench latency --brokers B [--rate R | --load F] [--seconds S] [--warmup S]
 *                        [--max-events N] [--workers N] [--checkpoint-interval MS]
 *                        [--sink-guarantee at-least-once|exactly-once] [--json FILE]
 *
 * HOW IT WORKS
 * A paced producer (librdkafka, a thread of this process, linger.ms 0) writes Nexmark-shaped
 * bids as JSON, R records per second of wall time, each stamped with its send time: the
 * field "ts" (CLOCK_MONOTONIC ns, read just before rd_kafka_producev; producer, pipeline
 * and measurement share the process and its clock) is the first field of the value.
 *   1. max: without --rate, N records (--max-events, default 500 000) are written as fast
 *      as possible, then a bounded sluice job reads them through the pipeline below; its
 *      wall time gives the maximum rate, and R = F (--load, default 0.5) of it.
 *   2. floor: the paced producer into a fresh topic and a plain librdkafka consumer (the
 *      settings of sluice's source) on another thread; per record, receive time - ts
 *      ("kafka consume"), and per delivery report of the producer, report time - ts
 *      ("kafka ack": one produce round trip, which the pipeline pays again at its sink).
 *   3. sluice: the paced producer into the input topic; in this process the job
 *        INSERT INTO bids_out SELECT ts, auction, bidder, price * 908 / 1000 FROM bids_in
 *      (Nexmark q1's shape; Kafka source, JSON both ways, Kafka sink with linger.ms 0); per
 *      output record, the time its delivery report is served on the worker (the sink's
 *      delivery callback, engine/exec/exec.h on_delivered) - ts parsed from the value;
 *      and per record a read_committed consumer of the output topic receives, receive time
 *      - ts ("sluice to committed read": what a downstream reader sees). With
 *      --checkpoint-interval the job takes checkpoints (a file store in a fresh directory);
 *      with --sink-guarantee exactly-once its sink writes Kafka transactions committed once
 *      per epoch, so the committed read waits for the epoch's commit: its latency is
 *      bounded below by the interval (about half of it on average, plus the commit).
 * Each measured run starts with one priming record (ts 0) sent and seen at the far end
 * before pacing starts, so that connection set-up is not measured; records sent within the
 * first --warmup seconds are counted but not put in the histograms. A run ends when every
 * record sent came out (or 30 s after the producer stopped: then the counts say so).
 * Histograms: tools/cmd_bench_hist.h (log-linear, within 0.8 %).
 *
 * THREADS: the producer and the floor's consumer are threads of their own; the pipeline's
 * hook runs on its worker threads (a histogram per worker, merged at the end).
 */
#include "tools/cmd_bench_latency.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "engine/exec/exec.h"
#include "engine/plan/catalog.h"
#include "engine/sql/binder.h"
#include "io/kafka_conf.h"
#include "tools/cmd_bench.h"
#include "tools/cmd_bench_hist.h"

static const char sl_lat_usage[] =
    "usage: sluice bench latency --brokers B [options]\n"
    "\n"
    "End-to-end latency of Kafka -> sluice (q1's projection, JSON) -> Kafka at a fixed\n"
    "offered load, from each record's send time (a field of the value) to the sink's\n"
    "delivery report, and Kafka's own produce -> consume latency at the same load.\n"
    "\n"
    "  --brokers B        the cluster (tools/kafka.sh start); required\n"
    "  --rate R           offered load, records per second (default: --load of the\n"
    "                     maximum measured first)\n"
    "  --load F           fraction of the measured maximum (default 0.5)\n"
    "  --max-events N     records of the maximum-rate run (default 500000)\n"
    "  --seconds S        length of each paced run (default 10)\n"
    "  --warmup S         seconds of each run not put in the histograms (default 2)\n"
    "  --workers N        worker threads and partitions (default 1)\n"
    "  --no-floor         skip the Kafka-only run\n"
    "  --checkpoint-interval MS\n"
    "                     the job takes checkpoints (a file store in a temporary\n"
    "                     directory) every MS milliseconds (default: none)\n"
    "  --sink-guarantee G at-least-once (default) or exactly-once (Kafka transactions,\n"
    "                     committed once per checkpoint; --checkpoint-interval\n"
    "                     defaults to 1000 with it)\n"
    "  --json FILE        the figures as JSON ('-': stdout)\n"
    "\n"
    "The pipeline's output is also read by a read_committed consumer (\"sluice to\n"
    "committed read\"): what a downstream reader sees. With exactly-once it is bounded\n"
    "below by the checkpoint interval, as output becomes visible once per epoch.\n";

struct sl_lat_args {
    const char *brokers;
    double rate, load, seconds, warmup;
    int64_t max_events;
    int workers;
    bool floor;
    const char *json;
    int64_t ckpt_ms;   /* 0: no checkpoints */
    bool exactly_once; /* the sink's 'sink.delivery-guarantee' */
};

/* One path's figures. */
struct sl_lat_path {
    const char *name;
    uint64_t sent;     /* paced records sent (priming excluded) */
    uint64_t received; /* of them, seen at the far end */
    struct sl_hist h;  /* ns, records sent after the warm-up */
};

static int64_t sl_lat_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sl_lat_sleep_until(int64_t t)
{
    struct timespec ts = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* The send time in a value written by sl_lat_value: {"ts":N,... (-1 when absent). */
static int64_t sl_lat_ts(const void *value, size_t len)
{
    const char *v = value;
    if (len < 7 || memcmp(v, "{\"ts\":", 6) != 0)
        return -1;
    int64_t ts = 0;
    for (size_t i = 6; i < len && v[i] >= '0' && v[i] <= '9'; i++)
        ts = ts * 10 + (v[i] - '0');
    return ts;
}

static int sl_lat_value(char *buf, size_t cap, int64_t ts, uint64_t i)
{
    return snprintf(buf, cap,
                    "{\"ts\":%" PRId64 ",\"auction\":%" PRIu64 ",\"bidder\":%" PRIu64
                    ",\"price\":%" PRIu64 ",\"channel\":\"Google\",\"url\":\"https://www.nexmark."
                    "com/item.htm?query=1&channel_id=%" PRIu64 "\",\"extra\":\"\"}",
                    ts, 1000 + i % 997, 2000 + i % 4099, 100 + i % 9973, i % 10000);
}

/* ---- producer --------------------------------------------------------------------------- */

struct sl_lat_prod {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    int partitions;
    uint64_t n; /* records produced (round robin over the partitions) */
    /* ack latency (the floor run): the producer's delivery reports */
    struct sl_hist *ack;
    int64_t measure_from; /* ts at or after which a record counts in the histograms */
    uint64_t acked;
    int failed;
};

static void sl_lat_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct sl_lat_prod *p = opaque;
    if (m->err) {
        p->failed++;
        return;
    }
    int64_t ts = sl_lat_ts(m->payload, m->len);
    if (ts <= 0)
        return;
    p->acked++;
    if (p->ack && ts >= p->measure_from)
        sl_hist_add(p->ack, (uint64_t)(sl_lat_now() - ts), 1);
}

static int sl_lat_prod_new(struct sl_lat_prod *p, const char *brokers, const char *topic,
                           int partitions, bool fast)
{
    memset(p, 0, sizeof(*p));
    p->partitions = partitions;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char why[256];
    const char *kv[][2] = {
        {"bootstrap.servers", brokers},   {"socket.nagle.disable", "true"},
        {"enable.idempotence", "true"},   {"linger.ms", fast ? "5" : "0"},
        {"batch.num.messages", "10000"},  {"queue.buffering.max.messages", "1000000"},
        {"log.connection.close", "false"}};
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], why, sizeof(why)) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "sluice bench latency: %s\n", why);
            rd_kafka_conf_destroy(conf);
            return -1;
        }
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, sl_lat_dr);
    if (!(p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why)))) {
        fprintf(stderr, "sluice bench latency: producer: %s\n", why);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    p->rkt = rd_kafka_topic_new(p->rk, topic, NULL);
    return 0;
}

static void sl_lat_prod_free(struct sl_lat_prod *p)
{
    if (!p->rk)
        return;
    rd_kafka_flush(p->rk, 10000);
    rd_kafka_topic_destroy(p->rkt);
    rd_kafka_destroy(p->rk);
    p->rk = NULL;
}

/* Sends one record stamped `ts` now (ts < 0: the current time). */
static void sl_lat_send(struct sl_lat_prod *p, int64_t ts)
{
    char buf[256];
    for (;;) {
        int64_t t = ts < 0 ? sl_lat_now() : ts;
        int len = sl_lat_value(buf, sizeof(buf), t, p->n);
        if (!rd_kafka_produce(p->rkt, (int32_t)(p->n % (uint64_t)p->partitions),
                              RD_KAFKA_MSG_F_COPY, buf, (size_t)len, NULL, 0, NULL))
            break;
        rd_kafka_poll(p->rk, 1); /* queue full: serve reports */
    }
    p->n++;
}

/* The paced part of a run: `rate` records a second for `seconds` (rate * seconds records,
 * the i-th due at i / rate); the priming record went before. Returns the records sent. */
static uint64_t sl_lat_pace(struct sl_lat_prod *p, double rate, double seconds)
{
    int64_t t0 = sl_lat_now(), end = t0 + (int64_t)(seconds * 1e9);
    uint64_t sent = 0, total = (uint64_t)(rate * seconds + 0.5);
    while (sent < total) {
        int64_t now = sl_lat_now();
        uint64_t due = (uint64_t)((double)(now - t0) * rate / 1e9) + 1;
        if (due > total || now >= end)
            due = total;
        while (sent < due) {
            sl_lat_send(p, -1);
            sent++;
        }
        rd_kafka_poll(p->rk, 0);
        /* the next record's time, at most 1 ms away */
        int64_t next = t0 + (int64_t)((double)sent * 1e9 / rate);
        if (next > now + 1000000)
            next = now + 1000000;
        if (next > now)
            sl_lat_sleep_until(next);
    }
    return sent;
}

/* ---- the pipeline run ------------------------------------------------------------------ */

struct sl_lat_worker {
    _Alignas(64) struct sl_hist h;
    _Atomic uint64_t delivered; /* paced records (ts > 0) */
    _Atomic uint64_t primed;
};

struct sl_lat_run {
    struct sl_lat_worker *w;
    int nw;
    int64_t measure_from;
};

static void sl_lat_on_delivered(void *arg, int worker, const void *value, size_t len)
{
    struct sl_lat_run *r = arg;
    struct sl_lat_worker *w = &r->w[worker];
    int64_t ts = sl_lat_ts(value, len);
    if (ts < 0)
        return;
    if (ts == 0) {
        atomic_fetch_add_explicit(&w->primed, 1, memory_order_relaxed);
        return;
    }
    if (ts >= r->measure_from)
        sl_hist_add(&w->h, (uint64_t)(sl_lat_now() - ts), 1);
    atomic_fetch_add_explicit(&w->delivered, 1, memory_order_relaxed);
}

static uint64_t sl_lat_sum(struct sl_lat_run *r, bool primed)
{
    uint64_t n = 0;
    for (int i = 0; i < r->nw; i++)
        n += atomic_load_explicit(primed ? &r->w[i].primed : &r->w[i].delivered,
                                  memory_order_relaxed);
    return n;
}

static char *sl_lat_sql(const char *in, const char *out, bool bounded, bool exactly_once)
{
    char *sql = NULL;
    char eos[256] = "";
    if (exactly_once)
        snprintf(eos, sizeof(eos),
                 ",\n  'sink.delivery-guarantee' = 'exactly-once',"
                 " 'sink.transactional-id-prefix' = '%s-txn'",
                 out);
    if (asprintf(&sql,
                 "CREATE TABLE bids_in (ts BIGINT, auction BIGINT, bidder BIGINT, price BIGINT,\n"
                 "  channel VARCHAR, url VARCHAR, extra VARCHAR)\n"
                 "WITH ('connector' = 'kafka', 'topic' = '%s', 'format' = 'json',\n"
                 "  'scan.startup.mode' = 'earliest-offset'%s);\n"
                 "CREATE TABLE bids_out (ts BIGINT, auction BIGINT, bidder BIGINT, price BIGINT)\n"
                 "WITH ('connector' = 'kafka', 'topic' = '%s', 'format' = 'json',\n"
                 "  'sink.partitioner' = 'fixed', 'properties.linger.ms' = '0'%s);\n"
                 "INSERT INTO bids_out SELECT ts, auction, bidder, price * 908 / 1000 FROM "
                 "bids_in;\n",
                 in, bounded ? ", 'scan.bounded.mode' = 'latest-offset'" : "", out, eos) < 0)
        return NULL;
    return sql;
}

struct sl_lat_exec {
    const struct sl_lat_args *a;
    struct sl_job *job;
    struct sl_lat_run *run;
    const struct sl_ckpt_opts *ckpt; /* NULL: no checkpoints */
    _Atomic int stop;
    struct sl_exec_summary sum;
    struct sl_error err;
    int rc;
};

static void *sl_lat_exec_main(void *arg)
{
    struct sl_lat_exec *x = arg;
    struct sl_exec_opts opts = {.workers = x->a->workers,
                                .pin = false,
                                .brokers = x->a->brokers,
                                .stop = &x->stop,
                                .on_delivered = x->run ? sl_lat_on_delivered : NULL,
                                .on_delivered_arg = x->run,
                                .ckpt = x->ckpt};
    sl_error_clear(&x->err);
    x->rc = sl_exec_run(x->job, &opts, &x->sum, &x->err);
    return NULL;
}

static struct sl_job *sl_lat_job(const char *sql)
{
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_sql_input in = {.path = "latency.sql", .text = sql, .len = strlen(sql)};
    struct sl_job *job = sl_job_from_sql_multi(&in, 1, NULL, 0, &err);
    if (!job)
        fprintf(stderr, "sluice bench latency: %s\n", err.msg);
    return job;
}

static int sl_lat_topics(const struct sl_lat_args *a, const char *const *names, size_t n,
                         bool create)
{
    for (size_t i = 0; i < n; i++) {
        struct sl_error err;
        sl_error_clear(&err);
        int rc = create
                     ? sl_kafka_topic_create(a->brokers, names[i], a->workers, NULL, 0, 30000, &err)
                     : sl_kafka_topic_delete(a->brokers, names[i], NULL, 0, 30000, &err);
        if (rc) {
            fprintf(stderr, "sluice bench latency: %s\n", err.msg);
            if (create)
                return -1;
        }
    }
    return 0;
}

/* Phase 1: N records at full speed, then a bounded job through the pipeline: records/s. */
static double sl_lat_max(const struct sl_lat_args *a, const char *in, const char *out)
{
    struct sl_lat_prod p;
    if (sl_lat_prod_new(&p, a->brokers, in, a->workers, true))
        return -1;
    for (int64_t i = 0; i < a->max_events; i++) {
        sl_lat_send(&p, 1 + i);
        if ((i & 1023) == 0)
            rd_kafka_poll(p.rk, 0);
    }
    rd_kafka_flush(p.rk, 60000);
    int failed = p.failed;
    sl_lat_prod_free(&p);
    if (failed) {
        fprintf(stderr, "sluice bench latency: %d records of the max-rate run failed\n", failed);
        return -1;
    }
    char *sql = sl_lat_sql(in, out, true, false);
    struct sl_lat_exec x = {.a = a, .job = sql ? sl_lat_job(sql) : NULL};
    free(sql);
    if (!x.job)
        return -1;
    sl_lat_exec_main(&x);
    sl_job_free(x.job);
    if (x.rc) {
        fprintf(stderr, "sluice bench latency: %s\n", x.err.msg);
        return -1;
    }
    if (x.sum.rows_out != (uint64_t)a->max_events)
        fprintf(stderr,
                "sluice bench latency: the max-rate run wrote %" PRIu64 " of %" PRId64 " records\n",
                x.sum.rows_out, a->max_events);
    return x.sum.seconds > 0 ? (double)x.sum.rows_out / x.sum.seconds : -1;
}

/* Waits until done() says so, up to timeout_s; false on a timeout. */
static bool sl_lat_wait(bool (*done)(void *), void *arg, double timeout_s)
{
    int64_t end = sl_lat_now() + (int64_t)(timeout_s * 1e9);
    while (!done(arg)) {
        if (sl_lat_now() > end)
            return false;
        usleep(1000);
    }
    return true;
}

struct sl_lat_until {
    struct sl_lat_run *run;
    uint64_t want;
    bool primed;
};

static bool sl_lat_until_done(void *arg)
{
    struct sl_lat_until *u = arg;
    return sl_lat_sum(u->run, u->primed) >= u->want;
}

/* ---- the floor: Kafka alone ------------------------------------------------------------ */

struct sl_lat_cons {
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    struct sl_hist h;
    _Atomic int64_t measure_from;
    _Atomic uint64_t received, primed;
    _Atomic int stop;
};

static void *sl_lat_cons_main(void *arg)
{
    struct sl_lat_cons *c = arg;
    rd_kafka_message_t *msgs[1024];
    while (!atomic_load(&c->stop)) {
        /* the first message with a wait, the rest without: consume_batch_queue with a
         * timeout waits for a full batch */
        rd_kafka_message_t *first = rd_kafka_consume_queue(c->q, 100);
        if (!first)
            continue;
        msgs[0] = first;
        ssize_t n = rd_kafka_consume_batch_queue(c->q, 0, msgs + 1, 1023);
        n = n < 0 ? 1 : n + 1;
        int64_t now = sl_lat_now();
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = msgs[i];
            if (!m->err) {
                int64_t ts = sl_lat_ts(m->payload, m->len);
                if (ts == 0)
                    atomic_fetch_add(&c->primed, 1);
                else if (ts > 0) {
                    if (ts >= atomic_load_explicit(&c->measure_from, memory_order_relaxed))
                        sl_hist_add(&c->h, (uint64_t)(now - ts), 1);
                    atomic_fetch_add(&c->received, 1);
                }
            }
            rd_kafka_message_destroy(m);
        }
    }
    return NULL;
}

static int sl_lat_cons_new(struct sl_lat_cons *c, const struct sl_lat_args *a, const char *topic)
{
    /* the settings of sluice's source (io/kafka_source.c) that matter for latency */
    const char *kv[][2] = {{"bootstrap.servers", a->brokers},
                           {"group.id", "sluice-latency-floor"},
                           {"enable.auto.commit", "false"},
                           {"enable.partition.eof", "false"},
                           {"isolation.level", "read_committed"}, /* librdkafka's default */
                           {"fetch.wait.max.ms", "10"},
                           {"fetch.error.backoff.ms", "10"},
                           {"socket.nagle.disable", "true"},
                           {"fetch.max.bytes", "8388608"},
                           {"max.partition.fetch.bytes", "1048576"},
                           {"log.connection.close", "false"}};
    char why[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], why, sizeof(why)) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "sluice bench latency: %s\n", why);
            rd_kafka_conf_destroy(conf);
            return -1;
        }
    if (!(c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why)))) {
        fprintf(stderr, "sluice bench latency: consumer: %s\n", why);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(a->workers);
    for (int i = 0; i < a->workers; i++)
        rd_kafka_topic_partition_list_add(tp, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c->rk, tp);
    rd_kafka_topic_partition_list_destroy(tp);
    c->q = rd_kafka_queue_get_consumer(c->rk);
    return 0;
}

static void sl_lat_cons_free(struct sl_lat_cons *c)
{
    if (!c)
        return;
    if (c->q)
        rd_kafka_queue_destroy(c->q);
    if (c->rk) {
        rd_kafka_consumer_close(c->rk);
        rd_kafka_destroy(c->rk);
    }
    free(c);
}

struct sl_lat_cwait {
    struct sl_lat_cons *c;
    uint64_t want;
    bool primed;
};

static bool sl_lat_cwait_done(void *arg)
{
    struct sl_lat_cwait *w = arg;
    return atomic_load(w->primed ? &w->c->primed : &w->c->received) >= w->want;
}

static int sl_lat_floor(const struct sl_lat_args *a, double rate, const char *topic,
                        struct sl_lat_path *cons, struct sl_lat_path *ack)
{
    struct sl_lat_cons *c = calloc(1, sizeof(*c));
    struct sl_lat_prod p = {0};
    int rc = -1;
    if (!c)
        return -1;
    sl_hist_reset(&c->h);
    sl_hist_reset(&ack->h);
    atomic_init(&c->measure_from, INT64_MAX);
    pthread_t th;
    if (sl_lat_cons_new(c, a, topic) || sl_lat_prod_new(&p, a->brokers, topic, a->workers, false))
        goto out;
    if (pthread_create(&th, NULL, sl_lat_cons_main, c))
        goto out;
    for (int i = 0; i < a->workers; i++)
        sl_lat_send(&p, 0);
    rd_kafka_flush(p.rk, 10000);
    struct sl_lat_cwait w = {.c = c, .want = (uint64_t)a->workers, .primed = true};
    if (!sl_lat_wait(sl_lat_cwait_done, &w, 30)) {
        fprintf(stderr, "sluice bench latency: the floor's consumer saw no priming record\n");
    } else {
        int64_t from = sl_lat_now() + (int64_t)(a->warmup * 1e9);
        atomic_store(&c->measure_from, from);
        p.measure_from = from;
        p.ack = &ack->h;
        cons->sent = ack->sent = sl_lat_pace(&p, rate, a->seconds);
        rd_kafka_flush(p.rk, 10000);
        w = (struct sl_lat_cwait){.c = c, .want = cons->sent, .primed = false};
        if (!sl_lat_wait(sl_lat_cwait_done, &w, 30))
            fprintf(stderr, "sluice bench latency: the floor's consumer missed records\n");
        rc = p.failed ? -1 : 0;
    }
    atomic_store(&c->stop, 1);
    pthread_join(th, NULL);
    cons->received = atomic_load(&c->received);
    ack->received = p.acked;
    cons->h = c->h;
out:
    sl_lat_prod_free(&p);
    sl_lat_cons_free(c);
    return rc;
}

/* A fresh state directory for the job's checkpoints (file store), into ck; 0 or -1. */
static int sl_lat_ckpt(const struct sl_lat_args *a, char *dir, size_t cap, struct sl_ckpt_opts *ck)
{
    snprintf(dir, cap, "%s/sluice-latency-state-XXXXXX", sl_bench_state_base());
    if (!mkdtemp(dir)) {
        fprintf(stderr, "sluice bench latency: cannot make a state directory %s: %s\n", dir,
                strerror(errno));
        return -1;
    }
    *ck = (struct sl_ckpt_opts){.state_dir = dir,
                                .job = "latency",
                                .interval_ms = a->ckpt_ms,
                                .keep = 2,
                                .full_every = 10,
                                .standby_timeout_ms = 0};
    return 0;
}

/* Phase 3: the pipeline at `rate`: res[0] to the sink's delivery reports, res[1] to a
 * read_committed consumer of the output topic. */
static int sl_lat_sluice(const struct sl_lat_args *a, double rate, const char *in, const char *out,
                         struct sl_lat_path res[2], struct sl_exec_summary *sum)
{
    struct sl_lat_run run = {.nw = a->workers, .measure_from = INT64_MAX};
    run.w = aligned_alloc(64, (size_t)a->workers * sizeof(*run.w));
    struct sl_lat_cons *c = calloc(1, sizeof(*c));
    if (!run.w || !c) {
        free(run.w);
        free(c);
        return -1;
    }
    for (int i = 0; i < a->workers; i++) {
        sl_hist_reset(&run.w[i].h);
        atomic_init(&run.w[i].delivered, 0);
        atomic_init(&run.w[i].primed, 0);
    }
    sl_hist_reset(&c->h);
    atomic_init(&c->measure_from, INT64_MAX);
    char *sql = sl_lat_sql(in, out, false, a->exactly_once);
    struct sl_lat_exec x = {.a = a, .job = sql ? sl_lat_job(sql) : NULL, .run = &run};
    free(sql);
    struct sl_lat_prod p = {0};
    struct sl_ckpt_opts ck;
    char sdir[512] = "";
    pthread_t th, cth;
    bool cons_started = false;
    int rc = -1;
    if (!x.job || sl_lat_prod_new(&p, a->brokers, in, a->workers, false) ||
        sl_lat_cons_new(c, a, out))
        goto out;
    if (a->ckpt_ms > 0) {
        if (sl_lat_ckpt(a, sdir, sizeof(sdir), &ck))
            goto out;
        x.ckpt = &ck;
    }
    if (pthread_create(&cth, NULL, sl_lat_cons_main, c))
        goto out;
    cons_started = true;
    atomic_init(&x.stop, 0);
    if (pthread_create(&th, NULL, sl_lat_exec_main, &x))
        goto out;
    /* priming: one record per partition through the whole path, to the committed reader */
    for (int i = 0; i < a->workers; i++)
        sl_lat_send(&p, 0);
    rd_kafka_flush(p.rk, 10000);
    struct sl_lat_until u = {.run = &run, .want = (uint64_t)a->workers, .primed = true};
    struct sl_lat_cwait w = {.c = c, .want = (uint64_t)a->workers, .primed = true};
    double patience = 30 + 2 * (double)a->ckpt_ms / 1000;
    /* an exactly-once sink's records have no delivery hook: their transaction's commit is
     * what counts, and the committed read sees it */
    bool acks = !a->exactly_once;
    if ((acks && !sl_lat_wait(sl_lat_until_done, &u, patience)) ||
        !sl_lat_wait(sl_lat_cwait_done, &w, patience))
        fprintf(stderr,
                "sluice bench latency: the pipeline did not pass the priming records "
                "within %.0f s\n",
                patience);
    else {
        run.measure_from = sl_lat_now() + (int64_t)(a->warmup * 1e9);
        atomic_store(&c->measure_from, run.measure_from);
        res[0].sent = res[1].sent = sl_lat_pace(&p, rate, a->seconds);
        rd_kafka_flush(p.rk, 10000);
        u = (struct sl_lat_until){.run = &run, .want = res[0].sent, .primed = false};
        w = (struct sl_lat_cwait){.c = c, .want = res[1].sent, .primed = false};
        if ((acks && !sl_lat_wait(sl_lat_until_done, &u, patience)) ||
            !sl_lat_wait(sl_lat_cwait_done, &w, patience))
            fprintf(stderr, "sluice bench latency: not every record came out within %.0f s\n",
                    patience);
        rc = p.failed ? -1 : 0;
    }
    atomic_store(&x.stop, 1);
    pthread_join(th, NULL);
    if (x.rc) {
        fprintf(stderr, "sluice bench latency: %s\n", x.err.msg);
        rc = -1;
    }
    *sum = x.sum;
    res[0].received = sl_lat_sum(&run, false);
    sl_hist_reset(&res[0].h);
    for (int i = 0; i < a->workers; i++)
        sl_hist_merge(&res[0].h, &run.w[i].h);
out:
    if (cons_started) {
        atomic_store(&c->stop, 1);
        pthread_join(cth, NULL);
        res[1].received = atomic_load(&c->received);
        res[1].h = c->h;
    }
    sl_lat_cons_free(c);
    sl_lat_prod_free(&p);
    if (x.job)
        sl_job_free(x.job);
    free(run.w);
    if (sdir[0])
        sl_bench_rmtree(sdir);
    return rc;
}

/* ---- report ----------------------------------------------------------------------------- */

static double sl_lat_ms(const struct sl_hist *h, double q)
{
    return (double)sl_hist_quantile(h, q) / 1e6;
}

static void sl_lat_print(FILE *f, const struct sl_lat_path *p, size_t n)
{
    fprintf(f, "%-22s %10s %10s %10s %8s %8s %8s %8s\n", "path", "sent", "received", "measured",
            "p50_ms", "p99_ms", "p999_ms", "max_ms");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-22s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8.3f %8.3f %8.3f %8.3f\n",
                p[i].name, p[i].sent, p[i].received, p[i].h.n, sl_lat_ms(&p[i].h, 0.5),
                sl_lat_ms(&p[i].h, 0.99), sl_lat_ms(&p[i].h, 0.999),
                p[i].h.n ? (double)p[i].h.max / 1e6 : 0.0);
}

static void sl_lat_json(FILE *f, const struct sl_lat_args *a, double max, double rate,
                        const struct sl_lat_path *p, size_t n, const struct sl_exec_summary *sum)
{
    fprintf(f,
            "{\n  \"brokers\": \"%s\",\n  \"workers\": %d,\n  \"max_rate\": %.0f,\n"
            "  \"rate\": %.0f,\n  \"seconds\": %g,\n  \"warmup\": %g,\n"
            "  \"sink_guarantee\": \"%s\",\n  \"checkpoint_interval_ms\": %" PRId64 ",\n"
            "  \"checkpoints\": %u,\n  \"checkpoint_p50_ms\": %.3f,\n"
            "  \"checkpoint_p99_ms\": %.3f,\n  \"paths\": [\n",
            a->brokers, a->workers, max, rate, a->seconds, a->warmup,
            a->exactly_once ? "exactly-once" : "at-least-once", a->ckpt_ms, sum->checkpoints,
            sum->ckpt_p50_ms, sum->ckpt_p99_ms);
    for (size_t i = 0; i < n; i++)
        fprintf(f,
                "    {\"name\": \"%s\", \"sent\": %" PRIu64 ", \"received\": %" PRIu64
                ", \"measured\": %" PRIu64 ", \"p50_ms\": %.4f, \"p99_ms\": %.4f, "
                "\"p999_ms\": %.4f, \"max_ms\": %.4f}%s\n",
                p[i].name, p[i].sent, p[i].received, p[i].h.n, sl_lat_ms(&p[i].h, 0.5),
                sl_lat_ms(&p[i].h, 0.99), sl_lat_ms(&p[i].h, 0.999),
                p[i].h.n ? (double)p[i].h.max / 1e6 : 0.0, i + 1 < n ? "," : "");
    fprintf(f, "  ]\n}\n");
}

static int sl_lat_parse(int argc, char **argv, struct sl_lat_args *a)
{
    *a = (struct sl_lat_args){
        .load = 0.5, .seconds = 10, .warmup = 2, .max_events = 500000, .workers = 1, .floor = true};
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        if (!strcmp(k, "--help") || !strcmp(k, "-h")) {
            fputs(sl_lat_usage, stdout);
            return 1;
        }
        if (!strcmp(k, "--no-floor")) {
            a->floor = false;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "sluice bench latency: '%s' needs a value\n%s", k, sl_lat_usage);
            return 2;
        }
        const char *v = argv[++i];
        char *end = NULL;
        double d = strtod(v, &end);
        bool num = end && end != v && !*end;
        if (!strcmp(k, "--brokers"))
            a->brokers = v;
        else if (!strcmp(k, "--json"))
            a->json = v;
        else if (!strcmp(k, "--rate") && num && d > 0)
            a->rate = d;
        else if (!strcmp(k, "--load") && num && d > 0 && d <= 1)
            a->load = d;
        else if (!strcmp(k, "--seconds") && num && d > 0)
            a->seconds = d;
        else if (!strcmp(k, "--warmup") && num && d >= 0)
            a->warmup = d;
        else if (!strcmp(k, "--max-events") && num && d >= 1)
            a->max_events = (int64_t)d;
        else if (!strcmp(k, "--workers") && num && d >= 1 && d <= 64)
            a->workers = (int)d;
        else if (!strcmp(k, "--checkpoint-interval") && num && d >= 1 && d <= 3600000)
            a->ckpt_ms = (int64_t)d;
        else if (!strcmp(k, "--sink-guarantee") &&
                 (!strcmp(v, "exactly-once") || !strcmp(v, "at-least-once")))
            a->exactly_once = !strcmp(v, "exactly-once");
        else {
            fprintf(stderr, "sluice bench latency: bad option '%s %s'\n%s", k, v, sl_lat_usage);
            return 2;
        }
    }
    if (!a->brokers) {
        fprintf(stderr, "sluice bench latency: --brokers is required\n%s", sl_lat_usage);
        return 2;
    }
    if (a->exactly_once && a->ckpt_ms == 0)
        a->ckpt_ms = 1000; /* transactions commit with checkpoints */
    return 0;
}

int sl_bench_latency(int argc, char **argv)
{
    struct sl_lat_args a;
    int rc = sl_lat_parse(argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : 2;
    /* the last name is the exactly-once sink's marker topic, which sluice creates */
    char names[6][128];
    const char *tn[6];
    static const char *const suffix[6] = {"max-in", "max-out", "floor",
                                          "in",     "out",     "out-txn-epochs"};
    for (int i = 0; i < 6; i++) {
        snprintf(names[i], sizeof(names[i]), "sluice-latency-%d-%s", (int)getpid(), suffix[i]);
        tn[i] = names[i];
    }
    if (sl_lat_topics(&a, tn, 5, true))
        return 1;
    struct sl_lat_path paths[4] = {{.name = "kafka consume"},
                                   {.name = "kafka ack"},
                                   {.name = "sluice to sink ack"},
                                   {.name = "sluice to committed read"}};
    struct sl_exec_summary sum = {0};
    int status = 1;
    double max = -1, rate = a.rate;
    if (rate <= 0) {
        max = sl_lat_max(&a, tn[0], tn[1]);
        if (max <= 0)
            goto out;
        rate = max * a.load;
    }
    fprintf(stderr,
            "sluice bench latency: %s, %d worker(s); max %.0f records/s; offered %.0f records/s "
            "(%s) for %g s, warm-up %g s\n",
            a.brokers, a.workers, max, rate, a.rate > 0 ? "--rate" : "--load of the max", a.seconds,
            a.warmup);
    if (a.floor && sl_lat_floor(&a, rate, tn[2], &paths[0], &paths[1]))
        goto out;
    if (sl_lat_sluice(&a, rate, tn[3], tn[4], &paths[2], &sum))
        goto out;
    /* the paths measured: the floor's two, the sink's acknowledgements (not with an
     * exactly-once sink), the committed read */
    struct sl_lat_path shown[4];
    size_t ns = 0;
    for (size_t i = 0; i < 4; i++)
        if ((i >= 2 || a.floor) && (i != 2 || !a.exactly_once))
            shown[ns++] = paths[i];
    printf("max_rate %.0f\nrate %.0f\n", max, rate);
    printf("sink %s, checkpoint interval %" PRId64 " ms: %u checkpoints, p50 %.1f ms, p99 %.1f ms "
           "(trigger to commit)\n",
           a.exactly_once ? "exactly-once" : "at-least-once", a.ckpt_ms, sum.checkpoints,
           sum.ckpt_p50_ms, sum.ckpt_p99_ms);
    sl_lat_print(stdout, shown, ns);
    if (a.json) {
        FILE *f = strcmp(a.json, "-") ? fopen(a.json, "w") : stdout;
        if (!f) {
            fprintf(stderr, "sluice bench latency: cannot write %s: %s\n", a.json, strerror(errno));
            goto out;
        }
        sl_lat_json(f, &a, max, rate, shown, ns, &sum);
        if (f != stdout)
            fclose(f);
    }
    status = 0;
out:
    sl_lat_topics(&a, tn, a.exactly_once ? 6 : 5, false);
    return status;
}
