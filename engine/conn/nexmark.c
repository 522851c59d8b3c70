/*
 * engine/conn/nexmark.c - the 'nexmark' source: the Nexmark generator (io/nexmark.h) as a
 * table, with the options of the nexmark repository's Flink connector.
 *
 * SPLITS
 * One split per worker, split id = worker id, cut as the generator draws ('sluice.rng'):
 * - splittable (the default): as the nexmark repository's source does at parallelism N
 *   (NexmarkSource.getSplits, GeneratorConfig.split): worker w generates sub-stream w of
 *   sl_nexmark_config_split(cfg, N, w) - its own block of event ids, its own timeline at
 *   1/N of the rate, its own SplittableRandom. The events depend on N, as Flink's depend on
 *   the parallelism; `sluice gen nexmark --splits N` writes the same events. All sub-streams
 *   share one timeline, so the workers' event times advance together.
 * - per-event: one stream; worker w generates the event indexes w, w + N, w + 2N, ...
 *   (interleaved). Every event depends only on (config, index), so the set of events - and
 *   so every result - is the same whatever N.
 *
 * RATE
 * The rates set the events' timestamps (the generator's timeline). Emission in wall-clock
 * time follows the Java source reader: with 'max-emit-speed' = 'true' (its default) events
 * go out as fast as they can be made; with 'false' the source emits first-event.rate events
 * per second of wall-clock time in total, each worker rate / N, from its first poll on (the
 * Java reader sleeps until each event's wall-clock time). A pacing poll hands out the events
 * that are due (at most a batch) and, when none is, sleeps until the next one is or the
 * poll's timeout passes. 'rate.limited' is accepted and changes nothing.
 *
 * BOUNDS
 * 'events.num' > 0 (or 'stop-at' >= 0) bounds the stream: the worker is done once its
 * indexes below that count are out.
 *
 * OPTIONS
 * Every key sl_nexmark_config_set knows under its connector name, plus sluice's own:
 *   'sluice.base-time'  event time (ms since the epoch) of event number 0; default: the
 *                       time the source is opened (as the generator does). Tests set it
 *                       to get the same timestamps on every run.
 *   'sluice.rng'        'splittable' (default) or 'per-event': how the generator draws
 *                       (io/nexmark.h): nexmark-flink's one SplittableRandom per split, or
 *                       Beam's java.util.Random seeded with each event id.
 *   'sluice.seed'       the generator's seed (splittable: split i draws from
 *                       new SplittableRandom(seed + i); per-event: 0 is Java's seeding).
 *
 * CHECKPOINTS
 * save (per worker = per split): the next event index of the worker's sub-stream (and, in
 * splittable mode, the state of its random before that event: the stream continues exactly
 * as it would have; Java's reader starts a fresh unseeded random instead), whether it is done, the
 * base time (event time of event 0: by default the open time, so without it a restarted process
 * would shift every timestamp), and what fixes the continuation: the worker count,
 * first-event.rate, the stream's event count, the seed and a fingerprint of every other generator
 * option. Summary: "<split>=<next index>". restore: the worker continues at the saved index with
 * the saved base time. A saved base time wins over a defaulted one; one set in the table
 * ('sluice.base-time') that differs is an error naming both, and so is any other option that
 * changed (the events would not be the uninterrupted run's). The generator is immutable and shared
 * by the workers, which restore concurrently: the first worker that needs the saved base time
 * builds a second generator with it (under a lock), which the others reuse. Pacing restarts its
 * wall clock at the restored index (no burst catching up the time the job was down); a bounded
 * stream emits exactly the events it had left. In splittable mode each worker owns its split's
 * generator and rebuilds it itself for a restored base time.
 *
 * SCHEMA
 * The table's physical columns must be the generator's (sl_nexmark_schema_new, the DDL of
 * the nexmark repository's ddl_gen.sql): same count, names (case-insensitive) and type ids
 * in the same order, and nullable wherever the generator's column is. The first mismatch is
 * the error.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/conn/conn_impl.h"
#include "engine/conn/registry.h"
#include "io/nexmark.h"

struct nx_worker {
    struct sl_nexmark_event ev;
    bool ev_ready;
    const struct sl_nexmark_gen *gen; /* src->gen, or src->rgen after a restore; own */
    struct sl_nexmark_gen *own;       /* splittable: this worker's split's generator (owned) */
    int64_t seek_index;               /* splittable: where the random stands before `ev` */
    uint64_t seek_state;              /* has generated anything (start, or restored) */
    int64_t emitted;                  /* events this worker handed out */
    int64_t total;                    /* events of this worker; INT64_MAX when unbounded */
    int64_t start_ns;  /* monotonic time of the first poll (after a restore), 0 before */
    int64_t pace_from; /* `emitted` when the pacing clock started (0, or the restored count) */
    char pad[64];
};

struct nx_source {
    struct sl_source base;
    struct sl_nexmark_gen *gen;
    struct sl_nexmark_config cfg; /* the generator's, for a rebuilt base time */
    bool base_set;                /* the table sets 'sluice.base-time' */
    uint64_t fingerprint;         /* of cfg but base_time (nx_fingerprint) */
    int64_t events;               /* events of the stream; -1 unbounded */
    int nworkers;
    double rate_per_worker;      /* events per second */
    bool pace;                   /* 'max-emit-speed' = 'false': emit at the rate in wall time */
    int64_t buffer_ns;           /* paced: how long due events may wait to fill a batch */
    uint32_t skip;               /* columns nobody reads (nx_prune): left NULL */
    pthread_mutex_t lock;        /* guards rgen */
    struct sl_nexmark_gen *rgen; /* with the restored base time (NULL: none needed) */
    struct nx_worker *w;
};

static int64_t nx_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int nx_poll(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_batch *b,
                   int timeout_ms, struct sl_source_info *info, struct sl_error *err)
{
    (void)timeout_ms; /* a paced worker sleeps in the executor until info->wake_ns instead */
    struct nx_source *src = (struct nx_source *)s;
    struct nx_worker *w = &src->w[ctx->worker];
    info->split = ctx->worker;
    info->split_done = info->worker_done = false;
    if (w->emitted >= w->total) {
        info->split_done = info->worker_done = true;
        return 0;
    }
    if (!w->ev_ready) {
        if (sl_nexmark_event_init(&w->ev, w->gen) != 0)
            return sl_error_set(err, SL_ENOMEM, "nexmark: out of memory");
        w->ev_ready = true;
        if (w->own)
            sl_nexmark_event_seek(&w->ev, w->gen, w->seek_index, w->seek_state);
    }
    int64_t now = nx_now_ns();
    if (!w->start_ns)
        w->start_ns = now;
    /* events due by now: those with (emitted - pace_from) / rate <= elapsed */
    double elapsed = (double)(now - w->start_ns) / 1e9;
    double due_f = (double)w->pace_from + elapsed * src->rate_per_worker + 1.0;
    int64_t due = !src->pace || due_f > 9.0e18 ? INT64_MAX : (int64_t)due_f;
    int64_t room = w->total - w->emitted;
    if (room > (int64_t)(SL_BATCH_CAP - b->rows))
        room = SL_BATCH_CAP - b->rows;
    if (ctx->poll_max && room > (int64_t)ctx->poll_max) /* a rate limit's tokens */
        room = ctx->poll_max;
    if (src->pace && (due <= w->emitted || due - w->emitted < room)) {
        /* Paced, and not a full batch due: wait - the worker sleeps meanwhile - until the
         * first event not yet emitted has been due for 'execution.buffer-timeout', or a
         * full batch is due, whichever comes first. Event k is due (k - pace_from) / rate
         * seconds after the start. */
        double first_s = (double)(w->emitted - w->pace_from) / src->rate_per_worker;
        double full_s = (double)(w->emitted + room - 1 - w->pace_from) / src->rate_per_worker;
        double flush_s = first_s + (double)src->buffer_ns / 1e9;
        double at_s = full_s < flush_s ? full_s : flush_s;
        if (elapsed < at_s) {
            double ns = (double)w->start_ns + at_s * 1e9;
            info->wake_ns = ns > 9.0e18 ? INT64_MAX : (int64_t)ns + 1;
            return 0;
        }
        if (due <= w->emitted)
            return 0;
    }
    int64_t n = due - w->emitted;
    if (n > room)
        n = room;
    bool splittable = src->cfg.rng == SL_NEXMARK_RNG_SPLITTABLE;
    int64_t stride = splittable ? 1 : src->nworkers;
    int64_t first = splittable ? w->emitted : ctx->worker + w->emitted * stride;
    uint32_t before = b->rows;
    int rc = sl_nexmark_fill_skip(w->gen, &w->ev, first, stride, (uint32_t)n, src->skip, b);
    if (rc) {
        /* the rows filled before the failure stay (sl_nexmark_fill_stride keeps them) */
        int64_t done = (int64_t)(b->rows - before);
        w->emitted += done;
        sl_stats_add(&ctx->stats->rows_in, (uint64_t)done);
        return sl_error_set(err, rc, "nexmark: cannot fill event %lld into the batch: %s",
                            (long long)(first + done * stride), sl_strerror(rc));
    }
    w->emitted += n;
    sl_stats_add(&ctx->stats->rows_in, (uint64_t)n);
    if (w->emitted >= w->total)
        info->split_done = info->worker_done = true;
    return 0;
}

static int nx_splits(struct sl_source *s, int worker, int32_t *ids, uint32_t cap, uint32_t *n)
{
    (void)s;
    *n = 1;
    if (cap < 1)
        return SL_EFULL;
    ids[0] = worker;
    return 0;
}

static void nx_free(struct sl_source *s)
{
    struct nx_source *src = (struct nx_source *)s;
    if (!src)
        return;
    if (src->w)
        for (int i = 0; i < src->nworkers; i++) {
            if (src->w[i].ev_ready)
                sl_nexmark_event_free(&src->w[i].ev);
            sl_nexmark_gen_free(src->w[i].own);
        }
    free(src->w);
    sl_nexmark_gen_free(src->gen);
    sl_nexmark_gen_free(src->rgen);
    pthread_mutex_destroy(&src->lock);
    free(src);
}

/* Projection pushdown: VARCHAR columns nobody reads are not copied into batches. */
static void nx_prune(struct sl_source *s, const bool *needed, uint32_t ncols)
{
    struct nx_source *src = (struct nx_source *)s;
    src->skip = 0;
    for (uint32_t c = 0; c < ncols && c < SL_NEXMARK_NCOLS; c++)
        if (!needed[c])
            src->skip |= 1u << c;
}

/* ---- checkpoints --------------------------------------------------------------------------- */

#define NX_STATE_MAGIC 0x3153584eu  /* "NXS1": per-event */
#define NX_STATE_MAGIC2 0x3253584eu /* "NXS2": splittable, with the random's state */

/* FNV-1a over the options that shape the events, base_time excepted (it is saved as such):
 * a restore refuses a table whose generator would make other events. */
static uint64_t nx_fingerprint(const struct sl_nexmark_config *c)
{
    const int64_t v[] = {c->first_event_rate,     c->events_num,
                         c->person_avg_size,      c->auction_avg_size,
                         c->bid_avg_size,         c->person_proportion,
                         c->auction_proportion,   c->bid_proportion,
                         c->hot_auction_ratio,    c->hot_bidders_ratio,
                         c->hot_sellers_ratio,    c->stop_at,
                         c->num_active_people,    c->num_in_flight_auctions,
                         c->num_event_generators, c->first_event_id,
                         c->first_event_number,   (int64_t)c->seed};
    /* per-event: as before the rng option existed, so older checkpoints still restore */
    uint64_t h = c->rng == SL_NEXMARK_RNG_PER_EVENT ? 0xcbf29ce484222325u : 0x53504c495454u;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        for (int b = 0; b < 64; b += 8) {
            h ^= (uint64_t)v[i] >> b & 0xff;
            h *= 0x100000001b3u;
        }
    return h;
}

static int nx_save(struct sl_source *s, int worker, struct sl_sbuf *out, struct sl_sbuf *summary,
                   struct sl_error *err)
{
    struct nx_source *src = (struct nx_source *)s;
    const struct nx_worker *w = &src->w[worker];
    bool splittable = src->cfg.rng == SL_NEXMARK_RNG_SPLITTABLE;
    int64_t next = splittable ? w->emitted : worker + w->emitted * src->nworkers;
    uint64_t rng_state = 0;
    if (splittable) {
        int64_t at = w->seek_index;
        rng_state = w->seek_state;
        if (w->ev_ready)
            sl_nexmark_event_position(&w->ev, &at, &rng_state);
        if (at != next)
            return sl_error_set(err, SL_EINVAL,
                                "nexmark: worker %d is at event %" PRId64
                                " but its random at %" PRId64,
                                worker, next, at);
    }
    sl_sbuf_put_u32(out, splittable ? NX_STATE_MAGIC2 : NX_STATE_MAGIC);
    sl_sbuf_put_u32(out, (uint32_t)src->nworkers);
    sl_sbuf_put_u32(out, (uint32_t)worker);
    sl_sbuf_put_i64(out, next);
    sl_sbuf_put_u8(out, w->emitted >= w->total);
    sl_sbuf_put_i64(out, sl_nexmark_gen_config(w->gen)->base_time);
    sl_sbuf_put_i64(out, src->cfg.first_event_rate);
    sl_sbuf_put_i64(out, src->events);
    sl_sbuf_put_u64(out, src->cfg.seed);
    sl_sbuf_put_u64(out, src->fingerprint);
    if (splittable)
        sl_sbuf_put_u64(out, rng_state);
    char text[48];
    int len = snprintf(text, sizeof(text), "%d=%" PRId64, worker, next);
    sl_sbuf_put(summary, text, (size_t)len);
    int rc = sl_sbuf_check(out, err);
    return rc ? rc : sl_sbuf_check(summary, err);
}

/* SL_ECORRUPT "<what>: <message> at byte <off>" with a formatted message. */
static int nx_corrupt(struct sl_sread *r, struct sl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int nx_corrupt(struct sl_sread *r, struct sl_error *err, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sl_sread_fail(r, err, msg);
}

/* The generator with base time `base`: src->gen, or the one built for the restored base
 * time (once, shared by the workers). */
static int nx_gen_for_base(struct nx_source *src, struct sl_sread *in, int64_t base,
                           const struct sl_nexmark_gen **out, struct sl_error *err)
{
    if (base == src->cfg.base_time) {
        *out = src->gen;
        return 0;
    }
    int rc = 0;
    pthread_mutex_lock(&src->lock);
    if (!src->rgen) {
        struct sl_nexmark_config c = src->cfg;
        c.base_time = base;
        struct sl_error e;
        sl_error_clear(&e);
        if ((rc = sl_nexmark_gen_new(&c, &src->rgen, &e)))
            rc = sl_error_set(err, rc, "nexmark: restoring base time %" PRId64 ": %s", base, e.msg);
    } else if (sl_nexmark_gen_config(src->rgen)->base_time != base) {
        rc = nx_corrupt(in, err,
                        "base time %" PRId64 " differs from another worker's saved %" PRId64, base,
                        sl_nexmark_gen_config(src->rgen)->base_time);
    }
    if (!rc)
        *out = src->rgen;
    pthread_mutex_unlock(&src->lock);
    return rc;
}

static int nx_restore(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_sread *in,
                      struct sl_error *err)
{
    struct nx_source *src = (struct nx_source *)s;
    int worker = ctx->worker;
    struct nx_worker *w = &src->w[worker];
    uint32_t magic, nworkers, split;
    int64_t next, base, rate, events;
    uint8_t done;
    uint64_t seed, fp;
    int rc;
    if ((rc = sl_sread_u32(in, &magic, err)))
        return rc;
    if (magic != NX_STATE_MAGIC && magic != NX_STATE_MAGIC2)
        return sl_sread_fail(in, err, "not the state of a nexmark source");
    bool splittable = src->cfg.rng == SL_NEXMARK_RNG_SPLITTABLE;
    if ((magic == NX_STATE_MAGIC2) != splittable)
        return nx_corrupt(in, err, "'sluice.rng' is '%s', the checkpoint's generator was %s",
                          splittable ? "splittable" : "per-event",
                          splittable ? "per-event" : "splittable");
    uint64_t rng_state = 0;
    if ((rc = sl_sread_u32(in, &nworkers, err)) || (rc = sl_sread_u32(in, &split, err)) ||
        (rc = sl_sread_i64(in, &next, err)) || (rc = sl_sread_u8(in, &done, err)) ||
        (rc = sl_sread_i64(in, &base, err)) || (rc = sl_sread_i64(in, &rate, err)) ||
        (rc = sl_sread_i64(in, &events, err)) || (rc = sl_sread_u64(in, &seed, err)) ||
        (rc = sl_sread_u64(in, &fp, err)) ||
        (splittable && (rc = sl_sread_u64(in, &rng_state, err))) || (rc = sl_sread_end(in, err)))
        return rc;
    if (nworkers != (uint32_t)src->nworkers)
        return nx_corrupt(in, err, "saved by %" PRIu32 " workers, restored into %d", nworkers,
                          src->nworkers);
    if (split != (uint32_t)worker)
        return nx_corrupt(in, err, "the state of split %" PRIu32 " given to worker %d", split,
                          worker);
    if (rate != src->cfg.first_event_rate)
        return nx_corrupt(in, err,
                          "'first-event.rate' is %" PRId64 ", the checkpoint's is %" PRId64,
                          src->cfg.first_event_rate, rate);
    if (events != src->events)
        return nx_corrupt(in, err,
                          "the stream has %" PRId64 " events ('events.num', 'stop-at'; -1: "
                          "unbounded), the checkpoint's had %" PRId64,
                          src->events, events);
    if (seed != src->cfg.seed)
        return nx_corrupt(in, err, "'sluice.seed' is %" PRIu64 ", the checkpoint's is %" PRIu64,
                          src->cfg.seed, seed);
    if (fp != src->fingerprint)
        return nx_corrupt(in, err,
                          "the generator options differ from the checkpoint's (its events "
                          "would not continue the saved stream)");
    if (src->base_set && base != src->cfg.base_time)
        return nx_corrupt(in, err,
                          "'sluice.base-time' is %" PRId64 ", the checkpoint's base time is "
                          "%" PRId64,
                          src->cfg.base_time, base);
    if (splittable ? next < 0 : next < worker || (next - worker) % src->nworkers != 0)
        return nx_corrupt(in, err, "event index %" PRId64 " is not one of worker %d's", next,
                          worker);
    int64_t emitted = splittable ? next : (next - worker) / src->nworkers;
    if (emitted > w->total)
        return nx_corrupt(in, err, "event index %" PRId64 " is past the end of the stream", next);
    if (done > 1 || (done != 0) != (emitted >= w->total))
        return nx_corrupt(in, err, "done flag %u does not fit event index %" PRId64, (unsigned)done,
                          next);
    const struct sl_nexmark_gen *gen;
    if (splittable) { /* the worker's own split generator, rebuilt for another base time */
        gen = w->own;
        if (base != sl_nexmark_gen_config(w->own)->base_time) {
            struct sl_nexmark_config c = *sl_nexmark_gen_config(w->own);
            c.base_time = base;
            struct sl_nexmark_gen *g2;
            struct sl_error e;
            sl_error_clear(&e);
            if ((rc = sl_nexmark_gen_new(&c, &g2, &e)))
                return sl_error_set(err, rc, "nexmark: restoring base time %" PRId64 ": %s", base,
                                    e.msg);
            if (w->ev_ready) {
                sl_nexmark_event_free(&w->ev);
                w->ev_ready = false;
            }
            sl_nexmark_gen_free(w->own);
            gen = w->own = g2;
        }
        w->seek_index = emitted;
        w->seek_state = rng_state;
        if (w->ev_ready)
            sl_nexmark_event_seek(&w->ev, gen, emitted, rng_state);
    } else if ((rc = nx_gen_for_base(src, in, base, &gen, err))) {
        return rc;
    }
    if (w->ev_ready && gen != w->gen) { /* scratch sized for the old generator */
        sl_nexmark_event_free(&w->ev);
        w->ev_ready = false;
    }
    w->gen = gen;
    w->emitted = emitted;
    w->pace_from = emitted;
    w->start_ns = 0;
    return 0;
}

static const struct sl_source_ops nx_ops = {.poll = nx_poll,
                                            .splits = nx_splits,
                                            .free = nx_free,
                                            .prune = nx_prune,
                                            .save = nx_save,
                                            .restore = nx_restore};

/* The table's columns against the generator's. */
static int nx_check_schema(const struct sl_table *t, const struct sl_connector_env *env,
                           struct sl_error *err)
{
    struct sl_schema *g = sl_nexmark_schema_new();
    if (!g)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int rc = 0;
    const struct sl_rel *r = &t->physical;
    for (uint32_t i = 0; i < g->ncols && !rc; i++) {
        const struct sl_field *f = &g->fields[i];
        char want[64];
        sl_type_format(f->type, want, sizeof(want));
        if (i >= r->ncols) {
            rc = sl_conn_err_at(env, t, SIZE_MAX, err, SL_EINVAL,
                                "a nexmark table has the columns of the generator; column %u "
                                "'%s' %s is missing",
                                i + 1, f->name, want);
            break;
        }
        const struct sl_rel_col *c = &r->cols[i];
        char got[64];
        sl_type_format(c->type, got, sizeof(got));
        if (strcasecmp(c->name, f->name) != 0 || c->type.id != f->type.id ||
            (f->type.nullable && !c->type.nullable))
            rc = sl_conn_err_at(env, t, SIZE_MAX, err, SL_EINVAL,
                                "a nexmark table has the columns of the generator: column %u "
                                "is '%s' %s, the generator's is '%s' %s",
                                i + 1, c->name, got, f->name, want);
    }
    if (!rc && r->ncols > g->ncols)
        rc = sl_conn_err_at(env, t, SIZE_MAX, err, SL_EINVAL,
                            "a nexmark table has the %u columns of the generator; column %u "
                            "'%s' is one too many",
                            g->ncols, g->ncols + 1, r->cols[g->ncols].name);
    sl_schema_free(g);
    return rc;
}

static const char *const nx_keys[] = {"first-event.rate",
                                      "next-event.rate",
                                      "events.num",
                                      "person.avg-size",
                                      "auction.avg-size",
                                      "bid.avg-size",
                                      "person.proportion",
                                      "auction.proportion",
                                      "bid.proportion",
                                      "bid.hot-ratio.auctions",
                                      "bid.hot-ratio.bidders",
                                      "auction.hot-ratio.sellers",
                                      "stop-at",
                                      "rate.period",
                                      "rate.shape",
                                      "rate.limited",
                                      "keep-alive",
                                      "max-emit-speed",
                                      "sluice.base-time",
                                      "sluice.seed",
                                      "sluice.rng",
                                      NULL};

int sl_conn_nexmark_source(const struct sl_table *t, const struct sl_connector_env *env,
                           int nworkers, struct sl_source **out, struct sl_error *err)
{
    int rc = sl_conn_check_options(t, env, nx_keys, NULL, err);
    if (rc)
        return rc;
    if ((rc = nx_check_schema(t, env, err)))
        return rc;
    struct sl_nexmark_config cfg;
    sl_nexmark_config_init(&cfg);
    for (uint32_t i = 0; i < t->nopts; i++) {
        const struct sl_option *o = &t->opts[i];
        if (strcmp(o->key, "connector") == 0)
            continue;
        const char *key = strncmp(o->key, "sluice.", 7) == 0 ? o->key + 7 : o->key;
        struct sl_error e;
        sl_error_clear(&e);
        rc = sl_nexmark_config_set(&cfg, key, o->value, &e);
        if (rc)
            return sl_conn_err_at(env, t, o->pos, err, rc, "%s", e.msg);
    }
    struct sl_error e;
    sl_error_clear(&e);
    if ((rc = sl_nexmark_config_check(&cfg, &e)))
        return sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
    struct nx_source *src = calloc(1, sizeof(*src));
    if (!src)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    pthread_mutex_init(&src->lock, NULL);
    src->base.ops = &nx_ops;
    src->base.table = t;
    src->nworkers = nworkers;
    src->cfg = cfg;
    src->base_set = sl_conn_opt(t, "sluice.base-time") != NULL;
    src->fingerprint = nx_fingerprint(&cfg);
    src->rate_per_worker = (double)cfg.first_event_rate / nworkers;
    src->pace = !cfg.max_emit_speed;
    src->buffer_ns = 1000000; /* 1 ms */
    const char *bt = sl_job_setting(env->job, "execution.buffer-timeout");
    if (bt) {
        int64_t ms = sl_setting_duration_ms(bt);
        if (ms < 0 && strcmp(bt, "-1") != 0) {
            nx_free(&src->base);
            return sl_error_set(err, SL_EINVAL,
                                "SET 'execution.buffer-timeout' = '%s': a duration ('1 ms', "
                                "'0': no waiting, '-1': full batches only)",
                                bt);
        }
        src->buffer_ns = ms < 0 ? INT64_MAX / 4 : ms * 1000000;
    }
    src->w = calloc((size_t)nworkers, sizeof(*src->w));
    if (!src->w) {
        nx_free(&src->base);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    int64_t events = sl_nexmark_config_stream_events(&cfg);
    bool bounded = cfg.events_num > 0 || cfg.stop_at >= 0;
    src->events = bounded ? events : -1;
    if (cfg.rng == SL_NEXMARK_RNG_SPLITTABLE) {
        /* Flink's splits: worker i generates sub-stream i of nworkers, from its own random */
        for (int i = 0; i < nworkers; i++) {
            struct nx_worker *w = &src->w[i];
            struct sl_nexmark_config sc;
            sl_nexmark_config_split(&cfg, nworkers, i, &sc);
            if ((rc = sl_nexmark_gen_new(&sc, &w->own, &e))) {
                nx_free(&src->base);
                return sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
            }
            w->gen = w->own;
            w->seek_index = 0;
            w->seek_state = sl_nexmark_gen_start_state(w->own);
            w->total = bounded ? sl_nexmark_config_stream_events(&sc) : INT64_MAX;
        }
        *out = &src->base;
        return 0;
    }
    if ((rc = sl_nexmark_gen_new(&cfg, &src->gen, &e))) {
        nx_free(&src->base);
        return sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
    }
    for (int i = 0; i < nworkers; i++) {
        src->w[i].gen = src->gen;
        src->w[i].total = !bounded     ? INT64_MAX
                          : events > i ? (events - i + nworkers - 1) / nworkers
                                       : 0;
    }
    *out = &src->base;
    return 0;
}

/* ---- the connector ------------------------------------------------------------------------ */

/* Bounded when 'events.num' is positive. */
static bool nx_bounded(const struct sl_table *t)
{
    const char *en = sl_table_option(t, "events.num");
    return en && atoll(en) > 0;
}

const struct sl_connector sl_connector_nexmark = {
    .name = "nexmark",
    .summary = "the Nexmark generator (persons, auctions, bids), as the nexmark repository's",
    .source = sl_conn_nexmark_source,
    .bounded = nx_bounded,
    .options = nx_keys,
};
