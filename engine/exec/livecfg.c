/*
 * engine/exec/livecfg.c - live configuration through ZooKeeper and the rate limit (see
 * livecfg.h).
 *
 * The watcher thread owns the ZooKeeper handle and `seen` (the settings as last applied or
 * reported). It sleeps in sl_zk_wait_event until the settings node's watch fires (or the
 * session changes, or 200 ms pass, to see a stop), reads the node again - which arms the
 * next watch - and walks the union of the old and the new keys: a key whose value differs
 * is a change. Changes reach the run through atomics: a table's bucket rate (the workers
 * read it at every poll) and `interval_ms` (the monitor thread takes it in
 * sl_livecfg_turn).
 */
#include "engine/exec/livecfg.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "coord/jobconf.h"
#include "engine/core/log.h"
#include "engine/exec/exec_int.h"
#include "engine/plan/settings.h"
#include "engine/plan/sql_source.h"
#include "engine/sql/ast.h"

/* ---- the rate limit ---------------------------------------------------------------------- */

#define SL_NS 1000000000LL

/* What a parked worker waits for: about 10 ms of tokens, at least 1, at most a batch. */
static int64_t sl_rate_chunk(int64_t rate)
{
    int64_t c = rate / 100;
    return c < 1 ? 1 : c > SL_BATCH_CAP ? SL_BATCH_CAP : c;
}

/* The capacity: two chunks, so that a worker woken a little late (the bucket holds a chunk
 * when it is due) finds the tokens that accrued meanwhile still there: while the source
 * can keep up, nothing is lost to the cap and the long-run rate is exact. */
static int64_t sl_rate_cap(int64_t rate)
{
    return 2 * sl_rate_chunk(rate);
}

void sl_rate_init(struct sl_rate *r, int64_t rate)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r->last_ns = (int64_t)ts.tv_sec * SL_NS + ts.tv_nsec;
    r->cap = sl_rate_cap(rate);
    atomic_store(&r->rate, rate);
}

void sl_rate_destroy(struct sl_rate *r)
{
    pthread_mutex_destroy(&r->mu);
}

/* Accrues the tokens of [last_ns, now) at the current rate; under mu. */
static void sl_rate_refill(struct sl_rate *r, int64_t now)
{
    int64_t rate = atomic_load_explicit(&r->rate, memory_order_relaxed);
    int64_t dt = now - r->last_ns;
    if (dt <= 0)
        return;
    r->last_ns = now;
    if (rate <= 0)
        return;
    int64_t full = r->cap * SL_NS;
    /* rate * dt would overflow long before the bucket could hold it: full is enough */
    if (r->tokens >= full || dt >= (full - r->tokens) / rate + 1)
        r->tokens = full > r->tokens ? full : r->tokens;
    else
        r->tokens += rate * dt;
}

void sl_rate_set(struct sl_rate *r, int64_t rate)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    pthread_mutex_lock(&r->mu);
    sl_rate_refill(r, (int64_t)ts.tv_sec * SL_NS + ts.tv_nsec);
    atomic_store(&r->rate, rate);
    r->cap = sl_rate_cap(rate);
    if (r->tokens > r->cap * SL_NS)
        r->tokens = r->cap * SL_NS;
    if (rate == 0)
        r->tokens = 0; /* no limit: nothing owed, nothing saved for a later limit */
    pthread_mutex_unlock(&r->mu);
}

uint32_t sl_rate_take(struct sl_rate *r, uint32_t want, int64_t now_ns, int64_t *wake_ns)
{
    pthread_mutex_lock(&r->mu);
    sl_rate_refill(r, now_ns);
    int64_t rate = atomic_load_explicit(&r->rate, memory_order_relaxed);
    uint32_t got = 0;
    if (rate <= 0) {
        got = want;
    } else if (r->tokens >= SL_NS) {
        int64_t have = r->tokens / SL_NS;
        got = have < (int64_t)want ? (uint32_t)have : want;
        r->tokens -= (int64_t)got * SL_NS;
    } else {
        /* the time a chunk is there: no wake-up per token */
        int64_t need = sl_rate_chunk(rate) * SL_NS - r->tokens;
        *wake_ns = now_ns + need / rate + 1;
    }
    pthread_mutex_unlock(&r->mu);
    return got;
}

void sl_rate_settle(struct sl_rate *r, uint32_t taken, uint32_t rows)
{
    if (taken == rows)
        return;
    pthread_mutex_lock(&r->mu);
    if (atomic_load_explicit(&r->rate, memory_order_relaxed) > 0) {
        r->tokens += ((int64_t)taken - (int64_t)rows) * SL_NS;
        if (r->tokens > r->cap * SL_NS)
            r->tokens = r->cap * SL_NS;
    }
    pthread_mutex_unlock(&r->mu);
}

int sl_livecfg_table_rate(const struct sl_job *job, const struct sl_table *t, int64_t *rate,
                          struct sl_error *err)
{
    *rate = 0;
    char key[SL_JOBCONF_KEY_MAX];
    snprintf(key, sizeof(key), "sluice.source.%s.scan.rate-limit", t->name);
    const char *v = NULL;
    for (uint32_t i = 0; i < job->nsets; i++) { /* the table's name in any case */
        if (strcasecmp(job->sets[i].key, key) == 0)
            v = job->sets[i].value;
    }
    if (v) {
        if (sl_setting_rate_parse(v, rate))
            return sl_error_set(err, SL_EINVAL,
                                "SET '%s' = '%s': not records per second (an integer from 0, "
                                "no limit, to %lld)",
                                key, v, (long long)SL_RATE_LIMIT_MAX);
        return 0;
    }
    const struct sl_option *o = NULL;
    for (uint32_t i = 0; i < t->nopts; i++)
        if (strcmp(t->opts[i].key, "scan.rate-limit") == 0)
            o = &t->opts[i];
    if (o && sl_setting_rate_parse(o->value, rate)) {
        if (job->file)
            return sl_sql_error_at(job->file->src, o->pos, err, SL_EINVAL,
                                   "table '%s': option 'scan.rate-limit' = '%s': not records "
                                   "per second (an integer from 0, no limit, to %lld)",
                                   t->name, o->value, (long long)SL_RATE_LIMIT_MAX);
        return sl_error_set(err, SL_EINVAL, "table '%s': option 'scan.rate-limit' = '%s' is bad",
                            t->name, o->value);
    }
    return 0;
}

/* ---- live configuration ----------------------------------------------------------------- */

struct sl_livecfg {
    struct sl_livecfg_config cfg;
    char job[64];
    struct sl_zk *zk;
    FILE *log;
    struct sl_member me;
    bool joined;
    /* settings as the run last took them (the watcher's) */
    struct sl_jobconf seen;
    /* the run (between attach and detach) */
    struct sl_exec *x;
    int64_t interval_base_ms;
    _Atomic int64_t interval_ms; /* a new interval for the coordinator (0: none pending) */
    pthread_t thread;
    bool running;
    _Atomic int stop;
    pthread_mutex_t mu; /* the member node's writes (role changes vs. the watcher's rejoin) */
};

/* A line of the live configuration at `level` ('sluice.log.level'; -1: whatever the level,
 * for a change of the level itself). */
static void sl_lc_logl(struct sl_livecfg *lc, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sl_lc_logl(struct sl_livecfg *lc, int level, const char *fmt, ...)
{
    if (level >= 0 && !sl_log_enabled((enum sl_log_level)level))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(lc->log, "sluice: live config: %s\n", msg);
    fflush(lc->log);
}

static int64_t sl_lc_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Joins as a member; with `reopen`, in a new session first (the old one expired). Under
 * mu: role and metrics updates from other threads never meet a handle being reopened. */
static int sl_lc_join(struct sl_livecfg *lc, bool reopen, struct sl_error *err)
{
    pthread_mutex_lock(&lc->mu);
    int rc = reopen ? sl_zk_reopen(lc->zk, 2000, err) : 0;
    if (!rc)
        rc = sl_member_join(lc->zk, lc->job, &lc->me, err);
    lc->joined = rc == 0;
    pthread_mutex_unlock(&lc->mu);
    return rc;
}

int sl_livecfg_open(const struct sl_livecfg_config *cfg, struct sl_job *job,
                    struct sl_livecfg **out, struct sl_error *err)
{
    struct sl_livecfg *lc = calloc(1, sizeof(*lc));
    if (!lc)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    pthread_mutex_init(&lc->mu, NULL);
    lc->cfg = *cfg;
    lc->log = cfg->log ? cfg->log : stderr;
    snprintf(lc->job, sizeof(lc->job), "%s", cfg->job);
    lc->seen.version = -1;
    int rc =
        sl_zk_open_stop(cfg->zk, cfg->session_ms > 0 ? cfg->session_ms : 10000,
                        cfg->connect_ms > 0 ? cfg->connect_ms : 15000, cfg->stop, &lc->zk, err);
    if (rc)
        goto fail;
    char host[SL_MEMBER_TEXT] = "localhost";
    gethostname(host, sizeof(host) - 1);
    snprintf(lc->me.host, sizeof(lc->me.host), "%s", host);
    lc->me.pid = getpid();
    lc->me.cores = sl_exec_default_workers(); /* the cores hwloc reports */
    lc->me.workers = cfg->workers;
    snprintf(lc->me.metrics, sizeof(lc->me.metrics), "%s", cfg->metrics ? cfg->metrics : "");
    lc->me.started_ms = sl_lc_unix_ms();
    snprintf(lc->me.role, sizeof(lc->me.role), "%s", cfg->role ? cfg->role : "standby");
    if ((rc = sl_lc_join(lc, false, err)) != 0)
        goto fail;
    if ((rc = sl_jobconf_read(lc->zk, lc->job, false, &lc->seen, err)) != 0)
        goto fail;
    /* the node's keys join the job's settings after the SQL's own, so they win */
    for (size_t i = 0; i < lc->seen.n; i++) {
        const char *k = lc->seen.keys[i], *v = lc->seen.values[i];
        struct sl_error e;
        sl_error_clear(&e);
        if (sl_setting_check(k, v, NULL, &e)) {
            sl_lc_logl(lc, SL_LOG_WARN, "ignored at start: %s (settings version %d)", e.msg,
                       (int)lc->seen.version);
            continue;
        }
        if (sl_job_add_setting(job, k, v)) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto fail;
        }
        sl_lc_logl(lc, SL_LOG_INFO,
                   "from ZooKeeper at start: %s = '%s' (settings version %d, mzxid 0x%" PRIx64 ")",
                   k, v, (int)lc->seen.version, (uint64_t)lc->seen.mzxid);
    }
    *out = lc;
    return 0;
fail:
    sl_livecfg_close(lc);
    return rc;
}

void sl_livecfg_close(struct sl_livecfg *lc)
{
    if (!lc)
        return;
    sl_livecfg_detach(lc);
    if (lc->zk && lc->joined && !sl_zk_expired(lc->zk)) {
        struct sl_error e;
        sl_error_clear(&e);
        sl_member_leave(lc->zk, lc->job, &lc->me, &e);
    }
    sl_zk_close(lc->zk);
    sl_jobconf_free(&lc->seen);
    pthread_mutex_destroy(&lc->mu);
    free(lc);
}

void sl_livecfg_role(struct sl_livecfg *lc, const char *role)
{
    if (!lc)
        return;
    pthread_mutex_lock(&lc->mu);
    snprintf(lc->me.role, sizeof(lc->me.role), "%s", role);
    struct sl_error e;
    sl_error_clear(&e);
    if (lc->joined && sl_member_update(lc->zk, lc->job, &lc->me, &e))
        fprintf(lc->log, "sluice: live config: the member node's role: %s\n", e.msg);
    pthread_mutex_unlock(&lc->mu);
}

int sl_livecfg_cluster(struct sl_livecfg *lc, const char *role, int64_t w, int64_t lo, int64_t hi,
                       uint64_t fingerprint, struct sl_error *err)
{
    pthread_mutex_lock(&lc->mu);
    snprintf(lc->me.role, sizeof(lc->me.role), "%s", role);
    lc->me.cluster_w = w;
    lc->me.cluster_lo = lo;
    lc->me.cluster_hi = hi;
    snprintf(lc->me.fingerprint, sizeof(lc->me.fingerprint), "%016" PRIx64, fingerprint);
    int rc = lc->joined ? sl_member_update(lc->zk, lc->job, &lc->me, err)
                        : sl_error_set(err, SL_ESTATE,
                                       "job '%s': this process's member node "
                                       "is not in ZooKeeper",
                                       lc->job);
    pthread_mutex_unlock(&lc->mu);
    return rc;
}

int sl_livecfg_ensure_member(struct sl_livecfg *lc, struct sl_error *err)
{
    if (!lc || lc->running)
        return 0; /* the live thread rejoins by itself while it runs */
    bool expired = sl_zk_expired(lc->zk);
    if (!expired && lc->joined)
        return 0;
    int rc = sl_lc_join(lc, expired, err);
    if (!rc)
        sl_lc_logl(lc, SL_LOG_INFO, "joined the job's group again as %s (%s)", lc->me.name,
                   expired ? "the ZooKeeper session had expired" : "the member node was lost");
    return rc;
}

struct sl_zk *sl_livecfg_zk(struct sl_livecfg *lc)
{
    return lc ? lc->zk : NULL;
}

const char *sl_livecfg_member_name(const struct sl_livecfg *lc)
{
    return lc ? lc->me.name : "";
}

void sl_livecfg_metrics(struct sl_livecfg *lc, const char *url)
{
    if (!lc)
        return;
    pthread_mutex_lock(&lc->mu);
    snprintf(lc->me.metrics, sizeof(lc->me.metrics), "%s", url);
    struct sl_error e;
    sl_error_clear(&e);
    if (lc->joined && sl_member_update(lc->zk, lc->job, &lc->me, &e))
        fprintf(lc->log, "sluice: live config: the member node's metrics address: %s\n", e.msg);
    pthread_mutex_unlock(&lc->mu);
}

/* The value a removed key goes back to: the SQL's SET before the node's was added. */
static const char *sl_lc_sql_value(struct sl_livecfg *lc, const char *key)
{
    const struct sl_job *job = lc->x->job;
    const char *v = NULL;
    for (uint32_t i = 0; i < job->nsets; i++)
        if (job->sets[i].pos != SIZE_MAX && strcmp(job->sets[i].key, key) == 0)
            v = job->sets[i].value; /* SIZE_MAX: added from ZooKeeper */
    return v;
}

/* A sink table's live option: every sink of the run writing `table` takes it (a removed
 * key goes back to the SQL's SET of it, else the table's own option). */
static void sl_lc_sink(struct sl_livecfg *lc, const struct sl_jobconf *c, const char *key,
                       const char *value, const char *table, const char *option)
{
    struct sl_exec *x = lc->x;
    const char *shown = value ? value : "(removed)";
    const char *v = value ? value : sl_lc_sql_value(lc, key);
    const struct sl_sink *done = NULL;
    int found = 0, restart = 0;
    for (uint32_t i = 0; i < x->npipes; i++) {
        struct sl_sink *sk = x->pipes[i].sink;
        if (!sk || sk == done || strcasecmp(sk->table->name, table) != 0)
            continue;
        done = sk;
        found++;
        struct sl_error e;
        sl_error_clear(&e);
        int rc = sk->ops->set_option ? sk->ops->set_option(sk, option, v, &e) : SL_ENOTFOUND;
        if (rc == SL_ENOTFOUND) {
            restart++;
        } else if (rc) {
            sl_lc_logl(lc, SL_LOG_WARN, "ignored %s = '%s': %s (settings version %d)", key, shown,
                       e.msg, (int)c->version);
            return;
        }
    }
    if (!found)
        sl_lc_logl(lc, SL_LOG_WARN,
                   "ignored %s = '%s': this job writes no table '%s' (settings version %d)", key,
                   shown, table, (int)c->version);
    else if (restart)
        sl_lc_logl(lc, SL_LOG_WARN,
                   "%s = '%s' needs a restart: the sink of table '%s' takes it only at start "
                   "(settings version %d, mzxid 0x%" PRIx64 ")",
                   key, shown, table, (int)c->version, (uint64_t)c->mzxid);
    else
        sl_lc_logl(lc, SL_LOG_INFO,
                   "applied %s = '%s' (the sink of table '%s'; settings version %d, mzxid "
                   "0x%" PRIx64 ")",
                   key, shown, table, (int)c->version, (uint64_t)c->mzxid);
}

/* Applies key = value (NULL: removed) of settings `c`. */
static void sl_lc_apply(struct sl_livecfg *lc, const struct sl_jobconf *c, const char *key,
                        const char *value)
{
    struct sl_exec *x = lc->x;
    struct sl_error e;
    sl_error_clear(&e);
    bool live = false;
    const char *shown = value ? value : "(removed)";
    int rc = value ? sl_setting_check(key, value, &live, &e) : 0;
    if (!value) { /* a removed key: known and live whatever its old value was */
        if (sl_setting_check(key, "", &live, &e) == SL_ENOTFOUND)
            rc = SL_ENOTFOUND;
        sl_error_clear(&e);
    }
    if (rc) {
        sl_lc_logl(lc, SL_LOG_WARN, "ignored %s = '%s': %s (settings version %d)", key, shown,
                   rc == SL_ENOTFOUND ? "not a setting sluice knows" : e.msg, (int)c->version);
        return;
    }
    if (!live) {
        sl_lc_logl(lc, SL_LOG_WARN,
                   "%s = '%s' needs a restart: not applied to the running job (settings "
                   "version %d, mzxid 0x%" PRIx64 ")",
                   key, shown, (int)c->version, (uint64_t)c->mzxid);
        return;
    }
    if (!strcmp(key, "execution.checkpointing.interval")) {
        if (!x->ck) {
            sl_lc_logl(lc, SL_LOG_WARN,
                       "%s = '%s': the job runs without checkpoints: nothing to apply "
                       "(settings version %d)",
                       key, shown, (int)c->version);
            return;
        }
        int64_t ms = lc->interval_base_ms;
        if (value) {
            ms = sl_setting_duration_ms(value);
        } else if (!ms) {
            const char *sql = sl_lc_sql_value(lc, key);
            ms = sql ? sl_setting_duration_ms(sql) : 1000;
        }
        atomic_store(&lc->interval_ms, ms);
        sl_lc_logl(lc, SL_LOG_INFO,
                   "applied %s = '%s' (%" PRId64 " ms; settings version %d, mzxid 0x%" PRIx64 ")",
                   key, shown, ms, (int)c->version, (uint64_t)c->mzxid);
        return;
    }
    if (!strcmp(key, "sluice.log.level")) {
        const char *v = value ? value : sl_lc_sql_value(lc, key);
        int level = v ? sl_log_level_parse(v) : -1;
        if (level < 0)
            level = SL_LOG_INFO;
        sl_log_set_level((enum sl_log_level)level);
        /* written whatever the level: the last line before a quieter log says why */
        sl_lc_logl(lc, -1, "applied %s = '%s' (%s; settings version %d, mzxid 0x%" PRIx64 ")", key,
                   shown, sl_log_level_name(level), (int)c->version, (uint64_t)c->mzxid);
        return;
    }
    if (!strcmp(key, "table.exec.source.idle-timeout")) {
        const char *v = value ? value : sl_lc_sql_value(lc, key);
        int64_t ms = v ? sl_setting_duration_ms(v) : 0;
        atomic_store(&x->idle_ms, ms < 0 ? 0 : ms);
        sl_exec_wake_all(x); /* each worker takes it at its next turn */
        sl_lc_logl(lc, SL_LOG_INFO,
                   "applied %s = '%s' (%" PRId64 " ms%s; settings version %d, mzxid 0x%" PRIx64 ")",
                   key, shown, ms < 0 ? 0 : ms, ms > 0 ? "" : ": never idle", (int)c->version,
                   (uint64_t)c->mzxid);
        return;
    }
    char table[128];
    const char *option;
    if (sl_setting_sink_key(key, table, sizeof(table), &option)) {
        sl_lc_sink(lc, c, key, value, table, option);
        return;
    }
    if (!sl_setting_rate_table(key, table, sizeof(table)))
        return;
    bool found = false;
    for (uint32_t i = 0; i < x->npipes; i++) {
        const struct sl_table *t = x->pipes[i].nodes[0]->scan.table;
        if (strcasecmp(t->name, table) != 0)
            continue;
        int64_t rate = 0;
        if (value) {
            sl_setting_rate_parse(value, &rate);
        } else { /* back to the table's own option (or the SQL's SET) */
            const char *sql = sl_lc_sql_value(lc, key);
            if (!sql || sl_setting_rate_parse(sql, &rate)) {
                rate = 0;
                const char *o = sl_table_option(t, "scan.rate-limit");
                if (o && sl_setting_rate_parse(o, &rate))
                    rate = 0;
            }
        }
        sl_rate_set(&x->pipes[i].rate, rate);
        sl_exec_wake_all(x); /* a worker parked for tokens looks again */
        if (!found)
            sl_lc_logl(lc, SL_LOG_INFO,
                       "applied %s = '%s' (%" PRId64 " records/s%s; settings version %d, "
                       "mzxid 0x%" PRIx64 ")",
                       key, shown, rate, rate ? "" : ": no limit", (int)c->version,
                       (uint64_t)c->mzxid);
        found = true;
    }
    if (!found)
        sl_lc_logl(lc, SL_LOG_WARN,
                   "ignored %s = '%s': this job reads no table '%s' (settings version %d)", key,
                   shown, table, (int)c->version);
}

/* The changes from lc->seen to c, applied in key order; c becomes lc->seen. */
static void sl_lc_diff(struct sl_livecfg *lc, struct sl_jobconf *c)
{
    size_t i = 0, j = 0;
    const struct sl_jobconf *o = &lc->seen;
    while (i < o->n || j < c->n) {
        int cmp = i == o->n ? 1 : j == c->n ? -1 : strcmp(o->keys[i], c->keys[j]);
        if (cmp < 0) {
            sl_lc_apply(lc, c, o->keys[i], NULL);
            i++;
        } else if (cmp > 0) {
            sl_lc_apply(lc, c, c->keys[j], c->values[j]);
            j++;
        } else {
            if (strcmp(o->values[i], c->values[j]) != 0)
                sl_lc_apply(lc, c, c->keys[j], c->values[j]);
            i++;
            j++;
        }
    }
    sl_jobconf_free(&lc->seen);
    lc->seen = *c;
    memset(c, 0, sizeof(*c));
}

static void *sl_lc_main(void *arg)
{
    struct sl_livecfg *lc = arg;
    bool warned = false;
    while (!atomic_load(&lc->stop)) {
        struct sl_error e;
        sl_error_clear(&e);
        bool expired = sl_zk_expired(lc->zk);
        if (expired || !lc->joined) {
            /* the session (and with it the member node) is gone: a new one, joined again */
            if (sl_lc_join(lc, expired, &e)) {
                if (!warned)
                    sl_lc_logl(lc, SL_LOG_WARN,
                               "the ZooKeeper session %s; joining again failed: %s",
                               expired ? "expired" : "lost the member node", e.msg);
                warned = true;
                sl_zk_wait_event(lc->zk, sl_zk_events(lc->zk), 200);
                continue;
            }
            sl_lc_logl(lc, SL_LOG_INFO, "joined the job again as %s after %s", lc->me.name,
                       expired ? "the ZooKeeper session expired" : "an error");
        }
        uint64_t seen = sl_zk_events(lc->zk);
        struct sl_jobconf c;
        int rc = sl_jobconf_read(lc->zk, lc->job, true, &c, &e);
        if (rc) {
            if (!warned && rc != SL_EZK_RETRY && rc != SL_EFENCED)
                sl_lc_logl(lc, SL_LOG_WARN, "cannot read the settings: %s", e.msg);
            warned = true;
            sl_zk_wait_event(lc->zk, seen, 200);
            continue;
        }
        warned = false;
        if (c.version != lc->seen.version || c.exists != lc->seen.exists)
            sl_lc_diff(lc, &c);
        sl_jobconf_free(&c);
        while (!atomic_load(&lc->stop) && sl_zk_events(lc->zk) == seen)
            sl_zk_wait_event(lc->zk, seen, 200);
    }
    return NULL;
}

int sl_livecfg_attach(struct sl_livecfg *lc, struct sl_exec *x, int64_t interval_flag_ms,
                      struct sl_error *err)
{
    lc->x = x;
    lc->interval_base_ms = interval_flag_ms;
    atomic_store(&lc->stop, 0);
    if (pthread_create(&lc->thread, NULL, sl_lc_main, lc) != 0)
        return sl_error_set(err, SL_ENOMEM, "cannot start the live configuration thread");
    lc->running = true;
    return 0;
}

void sl_livecfg_detach(struct sl_livecfg *lc)
{
    if (!lc || !lc->running)
        return;
    atomic_store(&lc->stop, 1);
    pthread_join(lc->thread, NULL);
    lc->running = false;
    lc->x = NULL;
}

void sl_livecfg_turn(struct sl_livecfg *lc, struct sl_coordinator *cc)
{
    if (!lc)
        return;
    int64_t ms = atomic_exchange(&lc->interval_ms, 0);
    if (ms <= 0)
        return;
    double s = (double)ms / 1e3;
    /* the next epoch: the new interval after the end of the last one */
    cc->next_at += s - cc->interval_s;
    cc->interval_s = s;
}
