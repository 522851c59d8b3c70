/*
 * engine/exec/metrics.c - a running job's figures as Prometheus exposition text (see
 * metrics.h; every metric is in docs/metrics.md).
 *
 * The render runs on the caller's thread (the HTTP server's) under the handle's mutex and
 * reads only what the run's threads store atomically: the workers' struct sl_worker_stats
 * and busy time, the per-pipeline split of those (struct sl_pipe_stats), the coordinator's
 * struct sl_ckpt_live and op_state, and the sources' lag hooks. Series are per table name
 * (two INSERTs reading the same table add up) and per worker.
 */
#include "engine/exec/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/exec/exec_int.h"
#include "io/fmt.h"

struct sl_metrics {
    pthread_mutex_t mu; /* held by renders and by attach / detach only */
    char *job;
    struct sl_exec *x; /* the run, while it is attached */
    /* --cluster auto (sl_metrics_cluster): set once the first call came */
    _Atomic int cluster;
    _Atomic int64_t generation, rebalance_us; /* rebalance_us < 0: none measured */
    _Atomic uint64_t started;
};

int sl_metrics_new(const char *job, struct sl_metrics **out, struct sl_error *err)
{
    struct sl_metrics *m = calloc(1, sizeof(*m));
    if (!m || !(m->job = strdup(job ? job : ""))) {
        free(m);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&m->mu, NULL);
    *out = m;
    return 0;
}

void sl_metrics_free(struct sl_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->mu);
    free(m->job);
    free(m);
}

void sl_metrics_cluster(struct sl_metrics *m, int64_t generation, uint64_t started,
                        double rebalance_ms)
{
    if (!m)
        return;
    atomic_store(&m->generation, generation);
    atomic_store(&m->started, started);
    atomic_store(&m->rebalance_us, rebalance_ms < 0 ? -1 : (int64_t)(rebalance_ms * 1e3));
    atomic_store(&m->cluster, 1);
}

void sl_metrics_attach(struct sl_metrics *m, struct sl_exec *x)
{
    pthread_mutex_lock(&m->mu);
    m->x = x;
    pthread_mutex_unlock(&m->mu);
}

void sl_metrics_detach(struct sl_metrics *m)
{
    pthread_mutex_lock(&m->mu);
    m->x = NULL;
    pthread_mutex_unlock(&m->mu);
}

/* ---- the exposition format ----------------------------------------------------------------- */

void sl_prom_escape(FILE *f, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else if (*s == '"' && quote)
            fputs("\\\"", f);
        else
            fputc(*s, f);
    }
}

void sl_prom_family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s ", name);
    sl_prom_escape(f, help, 0);
    fprintf(f, "\n# TYPE %s %s\n", name, type);
}

static void sl_prom_name(FILE *f, const char *name, const char *const *labels, uint32_t n)
{
    fputs(name, f);
    if (!n)
        return;
    fputc('{', f);
    for (uint32_t i = 0; i < n; i++) {
        fprintf(f, "%s%s=\"", i ? "," : "", labels[2 * i]);
        sl_prom_escape(f, labels[2 * i + 1], 1);
        fputc('"', f);
    }
    fputc('}', f);
}

void sl_prom_sample(FILE *f, const char *name, const char *const *labels, uint32_t n, double v)
{
    sl_prom_name(f, name, labels, n);
    if (isnan(v))
        fputs(" NaN\n", f);
    else if (isinf(v))
        fputs(v > 0 ? " +Inf\n" : " -Inf\n", f);
    else if (v == floor(v) && fabs(v) < 9007199254740992.0)
        fprintf(f, " %lld\n", (long long)v);
    else { /* as sluice writes a DOUBLE everywhere: digits that read back as v */
        char buf[SL_FMT_VALUE_MAX];
        size_t len = sl_fmt_f64(buf, v);
        fprintf(f, " %.*s\n", (int)len, buf);
    }
}

void sl_prom_sample_u64(FILE *f, const char *name, const char *const *labels, uint32_t n,
                        uint64_t v)
{
    sl_prom_name(f, name, labels, n);
    fprintf(f, " %llu\n", (unsigned long long)v);
}

/* ---- the render ---------------------------------------------------------------------------- */

#define SL_LD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

static const char *sl_metrics_src_table(const struct sl_exec *x, uint32_t i)
{
    return x->pipes[i].nodes[0]->scan.table->name;
}

static const char *sl_metrics_sink_table(const struct sl_exec *x, uint32_t i)
{
    while (x->pipes[i].into_pipe >= 0) /* a segment into a join: its INSERT's sink */
        i = (uint32_t)x->pipes[i].into_pipe;
    return x->pipes[i].sink->table->name;
}

/* True when pipeline i is the first with its table's name (the one whose series carries
 * the sums over all of them). */
static bool sl_metrics_first(const struct sl_exec *x, uint32_t i,
                             const char *(*table)(const struct sl_exec *, uint32_t))
{
    for (uint32_t k = 0; k < i; k++)
        if (!strcmp(table(x, k), table(x, i)))
            return false;
    return true;
}

enum sl_metrics_field {
    SL_MF_ROWS_IN,
    SL_MF_BYTES_IN,
    SL_MF_BAD,
    SL_MF_LATE,
    SL_MF_ROWS_OUT,
    SL_MF_BYTES_OUT
};

static uint64_t sl_metrics_field(const struct sl_pipe_stats *ps, enum sl_metrics_field f)
{
    switch (f) {
    case SL_MF_ROWS_IN:
        return SL_LD(&ps->rows_in);
    case SL_MF_BYTES_IN:
        return SL_LD(&ps->bytes_in);
    case SL_MF_BAD:
        return SL_LD(&ps->bad_records);
    case SL_MF_LATE:
        return SL_LD(&ps->late_rows);
    case SL_MF_ROWS_OUT:
        return SL_LD(&ps->rows_out);
    default:
        return SL_LD(&ps->bytes_out);
    }
}

/* One counter family per table and worker: the sum of `field` over the pipelines whose
 * `table` has that name. */
static void sl_metrics_per_table(FILE *f, const struct sl_metrics *m, const struct sl_exec *x,
                                 const char *name, const char *help,
                                 const char *(*table)(const struct sl_exec *, uint32_t),
                                 enum sl_metrics_field field)
{
    sl_prom_family(f, name, "counter", help);
    if (!x)
        return;
    for (uint32_t i = 0; i < x->npipes; i++) {
        if (!sl_metrics_first(x, i, table))
            continue;
        for (int w = 0; w < x->n; w++) {
            uint64_t v = 0;
            for (uint32_t k = i; k < x->npipes; k++)
                if (!strcmp(table(x, k), table(x, i)))
                    v += sl_metrics_field(&x->pstats[(size_t)w * x->npipes + k], field);
            char wbuf[16];
            snprintf(wbuf, sizeof(wbuf), "%d", x->base + w); /* global */
            const char *l[] = {"job", m->job, "table", table(x, i), "worker", wbuf};
            sl_prom_sample_u64(f, name, l, 3, v);
        }
    }
}

/* Consumer lag: what the sources' lag hooks report, per table, topic and partition (two
 * pipelines reading one table: the larger lag). */
struct sl_metrics_lag {
    const char *topic;
    int32_t split;
    int64_t next, end;
};

struct sl_metrics_lags {
    struct sl_metrics_lag *v;
    size_t n, cap;
    bool oom;
};

static void sl_metrics_lag_emit(void *arg, const char *topic, int32_t split, int64_t next,
                                int64_t end)
{
    struct sl_metrics_lags *ls = arg;
    for (size_t i = 0; i < ls->n; i++) { /* another pipeline's source of the same table */
        struct sl_metrics_lag *l = &ls->v[i];
        if (l->split == split && !strcmp(l->topic, topic)) {
            if (next >= 0 && (l->next < 0 || next < l->next))
                l->next = next;
            if (end > l->end)
                l->end = end;
            return;
        }
    }
    if (ls->n == ls->cap) {
        size_t ncap = ls->cap ? ls->cap * 2 : 64;
        struct sl_metrics_lag *nv = realloc(ls->v, ncap * sizeof(*nv));
        if (!nv) {
            ls->oom = true;
            return;
        }
        ls->v = nv;
        ls->cap = ncap;
    }
    ls->v[ls->n++] = (struct sl_metrics_lag){topic, split, next, end};
}

/* The lag families, each one group of samples as the format wants: what every table's
 * sources report is collected first (`tables[j]` for ls[j]), then printed family by
 * family. */
static bool sl_metrics_lags(FILE *f, const struct sl_metrics *m, const struct sl_exec *x)
{
    static const char *const names[] = {"sluice_kafka_consumer_lag_records",
                                        "sluice_kafka_consumer_offset",
                                        "sluice_kafka_high_watermark_offset"};
    static const char *const helps[] = {
        "Records of a Kafka partition not read yet: the partition's high watermark (as of "
        "the last fetch) minus the next offset the source hands out",
        "The next offset the source hands out of a Kafka partition",
        "A Kafka partition's high watermark (end offset) as of the last fetch"};
    uint32_t np = x ? x->npipes : 0;
    struct sl_metrics_lags *ls = calloc(np ? np : 1, sizeof(*ls));
    bool ok = ls != NULL;
    for (uint32_t i = 0; i < np && ok; i++) {
        if (!x->pipes[i].source->ops->lag || !sl_metrics_first(x, i, sl_metrics_src_table))
            continue;
        for (uint32_t k = i; k < np; k++)
            if (x->pipes[k].source->ops->lag &&
                !strcmp(sl_metrics_src_table(x, k), sl_metrics_src_table(x, i)))
                x->pipes[k].source->ops->lag(x->pipes[k].source, sl_metrics_lag_emit, &ls[i]);
        ok = !ls[i].oom;
    }
    for (int fam = 0; fam < 3; fam++) {
        sl_prom_family(f, names[fam], "gauge", helps[fam]);
        for (uint32_t i = 0; i < np && ok; i++)
            for (size_t j = 0; j < ls[i].n; j++) {
                const struct sl_metrics_lag *l = &ls[i].v[j];
                char pbuf[16];
                snprintf(pbuf, sizeof(pbuf), "%d", (int)l->split);
                const char *lab[] = {"job",   m->job,   "table",     sl_metrics_src_table(x, i),
                                     "topic", l->topic, "partition", pbuf};
                if (fam == 0 && l->next >= 0 && l->end >= 0)
                    sl_prom_sample(f, names[fam], lab, 4,
                                   (double)(l->end > l->next ? l->end - l->next : 0));
                else if (fam == 1 && l->next >= 0)
                    sl_prom_sample(f, names[fam], lab, 4, (double)l->next);
                else if (fam == 2 && l->end >= 0)
                    sl_prom_sample(f, names[fam], lab, 4, (double)l->end);
            }
    }
    for (uint32_t i = 0; ls && i < np; i++)
        free(ls[i].v);
    free(ls);
    return ok;
}

static const char *sl_metrics_op_name(const struct sl_plan *n)
{
    switch (n->kind) {
    case SL_PLAN_WATERMARK:
        return "watermark";
    case SL_PLAN_WINDOW:
        return "window";
    case SL_PLAN_AGG:
        return n->agg.window_start >= 0 ? "window-aggregate" : "aggregate";
    case SL_PLAN_JOIN:
        return "join";
    case SL_PLAN_RANK:
        return "rank";
    case SL_PLAN_OVER:
        return "over";
    default:
        return "operator";
    }
}

/* --cluster auto's figures (sl_metrics_cluster), whether or not a generation runs now. */
static void sl_metrics_cluster_fams(FILE *f, struct sl_metrics *m)
{
    const char *j[] = {"job", m->job};
    sl_prom_family(f, "sluice_cluster_generation", "gauge",
                   "The generation of the job's assignment this process runs (0: none yet, or "
                   "a spare waiting)");
    sl_prom_sample(f, "sluice_cluster_generation", j, 1, (double)atomic_load(&m->generation));
    sl_prom_family(f, "sluice_cluster_rebalances_total", "counter",
                   "Generations this process started (each a rebalance: a member joined, left "
                   "or died, or the process joined)");
    sl_prom_sample_u64(f, "sluice_cluster_rebalances_total", j, 1, atomic_load(&m->started));
    int64_t us = atomic_load(&m->rebalance_us);
    sl_prom_family(f, "sluice_cluster_rebalance_duration_seconds", "gauge",
                   "The last rebalance this process led: from the generation's publication to "
                   "its first committed epoch");
    if (us >= 0)
        sl_prom_sample(f, "sluice_cluster_rebalance_duration_seconds", j, 1, (double)us / 1e6);
}

static void sl_metrics_ckpt(FILE *f, const struct sl_metrics *m, const struct sl_exec *x)
{
    const struct sl_ckpt_live *l = &x->ck_live;
    const char *j[] = {"job", m->job};
    sl_prom_family(f, "sluice_checkpoint_epoch", "gauge",
                   "The last checkpoint epoch this run committed (0 before its first)");
    sl_prom_sample_u64(f, "sluice_checkpoint_epoch", j, 1, SL_LD(&l->epoch));
    sl_prom_family(f, "sluice_checkpoints_total", "counter",
                   "Checkpoint epochs this run committed");
    sl_prom_sample_u64(f, "sluice_checkpoints_total", j, 1, SL_LD(&l->committed));
    sl_prom_family(f, "sluice_checkpoints_failed_total", "counter",
                   "Checkpoint epochs that failed (nothing of them committed)");
    sl_prom_sample_u64(f, "sluice_checkpoints_failed_total", j, 1, SL_LD(&l->failed));
    sl_prom_family(f, "sluice_checkpoint_duration_seconds", "summary",
                   "Committed checkpoints: from the trigger to the sinks' commit");
    sl_prom_sample(f, "sluice_checkpoint_duration_seconds_sum", j, 1, SL_LD(&l->dur_us) / 1e6);
    sl_prom_sample_u64(f, "sluice_checkpoint_duration_seconds_count", j, 1, SL_LD(&l->committed));
    sl_prom_family(f, "sluice_checkpoint_alignment_seconds", "summary",
                   "Committed checkpoints: from the trigger to the last worker's snapshot "
                   "(barrier alignment)");
    sl_prom_sample(f, "sluice_checkpoint_alignment_seconds_sum", j, 1, SL_LD(&l->align_us) / 1e6);
    sl_prom_sample_u64(f, "sluice_checkpoint_alignment_seconds_count", j, 1, SL_LD(&l->committed));
    sl_prom_family(f, "sluice_checkpoint_size_bytes", "gauge",
                   "Snapshot bytes the last committed checkpoint wrote (unchanged blocks are "
                   "references)");
    sl_prom_sample_u64(f, "sluice_checkpoint_size_bytes", j, 1, SL_LD(&l->bytes));
    sl_prom_family(f, "sluice_checkpoint_state_bytes", "gauge",
                   "State bytes the last committed checkpoint describes");
    sl_prom_sample_u64(f, "sluice_checkpoint_state_bytes", j, 1, SL_LD(&l->state_bytes));
    sl_prom_family(f, "sluice_operator_state_bytes", "gauge",
                   "A stateful operator's state on one worker in the last committed checkpoint");
    for (uint32_t i = 0; i < x->npipes; i++)
        for (uint32_t k = 1; k < x->pipes[i].nnodes; k++)
            for (int w = 0; w < x->n; w++) {
                uint64_t v = SL_LD(&x->op_state[(size_t)w * x->ntags + x->pipes[i].tag_base + k]);
                if (!v)
                    continue; /* stateless, or no checkpoint yet */
                char op[64], wbuf[16];
                if (x->pipes[i].into_pipe >= 0) /* a join's input: "pipe.node" */
                    snprintf(op, sizeof(op), "%u.%u:%s", i, k,
                             sl_metrics_op_name(x->pipes[i].nodes[k]));
                else
                    snprintf(op, sizeof(op), "%u:%s", k, sl_metrics_op_name(x->pipes[i].nodes[k]));
                snprintf(wbuf, sizeof(wbuf), "%d", x->base + w); /* global */
                const char *lab[] = {"job",      m->job, "table",  sl_metrics_sink_table(x, i),
                                     "operator", op,     "worker", wbuf};
                sl_prom_sample_u64(f, "sluice_operator_state_bytes", lab, 4, v - 1);
            }
}

static void sl_metrics_workers(FILE *f, const struct sl_metrics *m, const struct sl_exec *x)
{
    const char *j[] = {"job", m->job};
    sl_prom_family(f, "sluice_workers", "gauge", "Worker threads of the run");
    if (x)
        sl_prom_sample(f, "sluice_workers", j, 1, x->n);
    sl_prom_family(f, "sluice_worker_busy_seconds_total", "counter",
                   "Time a worker spent in turns that found work (rows, messages, checkpoint "
                   "steps); the rest it waited or slept");
    for (int w = 0; x && w < x->n; w++) {
        char wbuf[16];
        snprintf(wbuf, sizeof(wbuf), "%d", x->base + w); /* global */
        const char *lab[] = {"job", m->job, "worker", wbuf};
        sl_prom_sample(f, "sluice_worker_busy_seconds_total", lab, 2,
                       SL_LD(&x->workers[w].busy_ns) / 1e9);
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double t = (double)now.tv_sec + now.tv_nsec * 1e-9;
    for (int fam = 0; fam < 2; fam++) {
        const char *name = fam ? "sluice_watermark_lag_seconds" : "sluice_watermark_seconds";
        sl_prom_family(f, name, "gauge",
                       fam ? "How far a worker's watermark is behind the wall clock (absent "
                             "before its first watermark and after its input ended)"
                           : "A worker's event-time watermark as Unix time (+Inf once its "
                             "input ended); absent before its first watermark");
        for (int w = 0; x && w < x->n; w++) {
            char wbuf[16];
            snprintf(wbuf, sizeof(wbuf), "%d", x->base + w); /* global */
            const char *lab[] = {"job", m->job, "worker", wbuf};
            int64_t wm = SL_LD(&x->workers[w].stats.watermark);
            if (wm == INT64_MIN || (fam && wm == INT64_MAX))
                continue;
            sl_prom_sample(f, name, lab, 2,
                           wm == INT64_MAX ? INFINITY
                           : fam           ? t - (double)wm / 1e3
                                           : (double)wm / 1e3);
        }
    }
}

/* The rate limit in force per source table (engine/exec/livecfg.h), changed live through
 * ZooKeeper (docs/cluster.md). */
static void sl_metrics_rates(FILE *f, const struct sl_metrics *m, const struct sl_exec *x)
{
    const char *name = "sluice_source_rate_limit_records_per_second";
    sl_prom_family(f, name, "gauge",
                   "A source table's rate limit in force, records per second (0: none)");
    for (uint32_t i = 0; i < x->npipes; i++) {
        if (!sl_metrics_first(x, i, sl_metrics_src_table))
            continue;
        const char *lab[] = {"job", m->job, "table", sl_metrics_src_table(x, i)};
        sl_prom_sample_u64(f, name, lab, 2, (uint64_t)atomic_load(&x->pipes[i].rate.rate));
    }
}

char *sl_metrics_render(struct sl_metrics *m, size_t *len)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    if (!f)
        return NULL;
    pthread_mutex_lock(&m->mu);
    const struct sl_exec *x = m->x;
    sl_metrics_per_table(f, m, x, "sluice_source_records_total",
                         "Rows a source table produced (decoded records)", sl_metrics_src_table,
                         SL_MF_ROWS_IN);
    sl_metrics_per_table(f, m, x, "sluice_source_bytes_total",
                         "Bytes of the records a source table read (Kafka: key and value; "
                         "files: the records)",
                         sl_metrics_src_table, SL_MF_BYTES_IN);
    sl_metrics_per_table(f, m, x, "sluice_source_bad_records_total",
                         "Records of a source table that its bad-record policy skipped or "
                         "dead-lettered",
                         sl_metrics_src_table, SL_MF_BAD);
    sl_metrics_per_table(f, m, x, "sluice_late_records_total",
                         "Rows of a source table dropped as late (their window had fired)",
                         sl_metrics_src_table, SL_MF_LATE);
    sl_metrics_per_table(f, m, x, "sluice_sink_records_total", "Rows a sink table took",
                         sl_metrics_sink_table, SL_MF_ROWS_OUT);
    sl_metrics_per_table(f, m, x, "sluice_sink_bytes_total",
                         "Bytes a sink table wrote (encoded records; 0 for print and "
                         "blackhole)",
                         sl_metrics_sink_table, SL_MF_BYTES_OUT);
    if (x)
        sl_metrics_rates(f, m, x);
    bool ok = sl_metrics_lags(f, m, x);
    sl_metrics_workers(f, m, x);
    if (x && x->ck)
        sl_metrics_ckpt(f, m, x);
    if (atomic_load(&m->cluster))
        sl_metrics_cluster_fams(f, m);
    pthread_mutex_unlock(&m->mu);
    if (fclose(f) != 0 || !ok) {
        free(text);
        return NULL;
    }
    if (len)
        *len = n;
    return text;
}
