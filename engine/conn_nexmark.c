/*
 * engine/conn_nexmark.c - the 'nexmark' source: the Nexmark generator (io/nexmark.h) as a
 * table, with the options of the nexmark repository's Flink connector.
 *
 * SPLITS
 * One stream of events, one split per worker: worker w of N generates the event indexes
 * w, w + N, w + 2N, ... (interleaved). Every event depends only on (config, index), so the
 * set of events - and so every result - is the same whatever N, and the workers' event
 * times advance together (their watermarks stay close). Split id = worker id.
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
 *   'sluice.seed'       the generator's seed (0: Java's per-event seeding).
 *
 * SCHEMA
 * The table's physical columns must be the generator's (sl_nexmark_schema_new, the DDL of
 * the nexmark repository's ddl_gen.sql): same count, names (case-insensitive) and type ids
 * in the same order, and nullable wherever the generator's column is. The first mismatch is
 * the error.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/conn_impl.h"
#include "io/nexmark.h"

struct nx_worker {
    struct sl_nexmark_event ev;
    bool ev_ready;
    int64_t emitted;  /* events this worker handed out */
    int64_t total;    /* events of this worker; INT64_MAX when unbounded */
    int64_t start_ns; /* monotonic time of the first poll, 0 before */
    char pad[64];
};

struct nx_source {
    struct sl_source base;
    struct sl_nexmark_gen *gen;
    int nworkers;
    double rate_per_worker; /* events per second */
    bool pace;              /* 'max-emit-speed' = 'false': emit at the rate in wall time */
    uint32_t skip;          /* columns nobody reads (nx_prune): left NULL */
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
    struct nx_source *src = (struct nx_source *)s;
    struct nx_worker *w = &src->w[ctx->worker];
    info->split = ctx->worker;
    info->split_done = info->worker_done = false;
    if (w->emitted >= w->total) {
        info->split_done = info->worker_done = true;
        return 0;
    }
    if (!w->ev_ready) {
        if (sl_nexmark_event_init(&w->ev, src->gen) != 0)
            return sl_error_set(err, SL_ENOMEM, "nexmark: out of memory");
        w->ev_ready = true;
    }
    int64_t now = nx_now_ns();
    if (!w->start_ns)
        w->start_ns = now;
    /* events due by now: those with emitted / rate <= elapsed */
    double elapsed = (double)(now - w->start_ns) / 1e9;
    double due_f = elapsed * src->rate_per_worker + 1.0;
    int64_t due = !src->pace || due_f > 9.0e18 ? INT64_MAX : (int64_t)due_f;
    if (due <= w->emitted) {
        double wait_s = (double)w->emitted / src->rate_per_worker - elapsed;
        double max_s = timeout_ms > 0 ? timeout_ms / 1000.0 : 0.0;
        if (wait_s > max_s)
            wait_s = max_s;
        if (wait_s > 0) {
            struct timespec ts = {(time_t)wait_s, (long)((wait_s - (double)(time_t)wait_s) * 1e9)};
            nanosleep(&ts, NULL);
        }
        now = nx_now_ns();
        elapsed = (double)(now - w->start_ns) / 1e9;
        due_f = elapsed * src->rate_per_worker + 1.0;
        due = due_f > 9.0e18 ? INT64_MAX : (int64_t)due_f;
        if (due <= w->emitted)
            return 0;
    }
    int64_t n = due - w->emitted;
    if (n > w->total - w->emitted)
        n = w->total - w->emitted;
    if (n > (int64_t)(SL_BATCH_CAP - b->rows))
        n = SL_BATCH_CAP - b->rows;
    int64_t stride = src->nworkers;
    int64_t first = ctx->worker + w->emitted * stride;
    uint32_t before = b->rows;
    int rc = sl_nexmark_fill_skip(src->gen, &w->ev, first, stride, (uint32_t)n, src->skip, b);
    if (rc) {
        /* the rows filled before the failure stay (sl_nexmark_fill_stride keeps them) */
        int64_t done = (int64_t)(b->rows - before);
        w->emitted += done;
        ctx->stats->rows_in += (uint64_t)done;
        return sl_error_set(err, rc, "nexmark: cannot fill event %lld into the batch: %s",
                            (long long)(first + done * stride), sl_strerror(rc));
    }
    w->emitted += n;
    ctx->stats->rows_in += (uint64_t)n;
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
        for (int i = 0; i < src->nworkers; i++)
            if (src->w[i].ev_ready)
                sl_nexmark_event_free(&src->w[i].ev);
    free(src->w);
    sl_nexmark_gen_free(src->gen);
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

static const struct sl_source_ops nx_ops = {
    .poll = nx_poll, .splits = nx_splits, .free = nx_free, .prune = nx_prune};

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
    src->base.ops = &nx_ops;
    src->base.table = t;
    src->nworkers = nworkers;
    src->rate_per_worker = (double)cfg.first_event_rate / nworkers;
    src->pace = !cfg.max_emit_speed;
    src->w = calloc((size_t)nworkers, sizeof(*src->w));
    if (!src->w) {
        nx_free(&src->base);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    if ((rc = sl_nexmark_gen_new(&cfg, &src->gen, &e))) {
        nx_free(&src->base);
        return sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
    }
    int64_t events = sl_nexmark_config_stream_events(&cfg);
    bool bounded = cfg.events_num > 0 || cfg.stop_at >= 0;
    for (int i = 0; i < nworkers; i++)
        src->w[i].total = !bounded     ? INT64_MAX
                          : events > i ? (events - i + nworkers - 1) / nworkers
                                       : 0;
    *out = &src->base;
    return 0;
}
