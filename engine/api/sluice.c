/*
 * engine/api/sluice.c - libsluice's public face (include/sluice.h) over the SQL front end
 * (engine/sql/binder.h) and the executor (engine/exec/exec.h). The top of the engine's
 * layers: nothing in engine/ includes it.
 *
 * A job collects SQL texts, ${NAME} values and options as copies; sluice_job_run binds
 * them into a struct sl_job, starts an embedded Kafka broker when a Kafka table has no
 * bootstrap servers (as `sluice run` does), and runs it with sl_exec_run. The stop flag is
 * a plain int the executor polls, so sluice_job_stop is safe from a signal handler.
 */
#include "include/sluice.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error.h"
#include "engine/exec/checkpoint.h"
#include "engine/exec/exec.h"
#include "engine/sql/binder.h"
#include "io/kafka_mock.h"

/* The public codes are the engine's (engine/core/error.h). */
static_assert(SLUICE_ENOMEM == SL_ENOMEM && SLUICE_EINVAL == SL_EINVAL && SLUICE_EIO == SL_EIO &&
                  SLUICE_ENOTSUP == SL_ENOTSUP && SLUICE_EPARSE == SL_EPARSE &&
                  SLUICE_ECORRUPT == SL_ECORRUPT && SLUICE_EFINISHED == SL_EFINISHED,
              "include/sluice.h's codes must equal engine/core/error.h's");

#define SL_API_MAX_FILES 64
#define SL_API_MAX_PARAMS 256
#define SL_API_MAX_PROPS 64
#define SL_API_MAX_UDF_PATHS 32

struct sluice_job {
    struct sl_sql_input in[SL_API_MAX_FILES]; /* path and text are owned */
    size_t nin;
    struct sl_sql_param params[SL_API_MAX_PARAMS]; /* name and value are owned */
    size_t nparams;
    char *props[SL_API_MAX_PROPS]; /* "key=value", owned */
    uint32_t nprops;
    int workers;
    bool pin;
    char *brokers;
    char *udf_paths[SL_API_MAX_UDF_PATHS]; /* "udf-path", in order, owned */
    uint32_t nudf_paths;
    /* checkpoints */
    char *state_dir, *job_id, *zk;
    int64_t interval_ms;
    bool restart;
    bool ran;
    _Atomic int stop_flag; /* what the executor polls (sl_exec_opts.stop); lock-free, so a
                            * signal handler may store to it */
    char error[SL_ERROR_MSG_MAX];
    struct sluice_stats stats;
    bool have_stats;
};

const char *sluice_version(void)
{
    return SLUICE_VERSION;
}

const char *sluice_strerror(int code)
{
    return sl_strerror(code);
}

static int sl_api_fail(sluice_job *job, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int sl_api_fail(sluice_job *job, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(job->error, sizeof(job->error), fmt, ap);
    va_end(ap);
    return code;
}

sluice_job *sluice_job_new(void)
{
    sluice_job *job = calloc(1, sizeof(*job));
    if (job)
        job->pin = true;
    return job;
}

void sluice_job_free(sluice_job *job)
{
    if (!job)
        return;
    for (size_t i = 0; i < job->nin; i++) {
        free((char *)job->in[i].path);
        free((char *)job->in[i].text);
    }
    for (size_t i = 0; i < job->nparams; i++) {
        free((char *)job->params[i].name);
        free((char *)job->params[i].value);
    }
    for (uint32_t i = 0; i < job->nprops; i++)
        free(job->props[i]);
    free(job->brokers);
    for (uint32_t i = 0; i < job->nudf_paths; i++)
        free(job->udf_paths[i]);
    free(job->state_dir);
    free(job->job_id);
    free(job->zk);
    free(job);
}

static int sl_api_add(sluice_job *job, const char *path, char *text, size_t len)
{
    if (job->nin == SL_API_MAX_FILES) {
        free(text);
        return sl_api_fail(job, SLUICE_EINVAL, "at most %d SQL texts", SL_API_MAX_FILES);
    }
    char *p = strdup(path);
    if (!p) {
        free(text);
        return sl_api_fail(job, SLUICE_ENOMEM, "out of memory");
    }
    job->in[job->nin++] = (struct sl_sql_input){.path = p, .text = text, .len = len};
    return 0;
}

int sluice_job_add_file(sluice_job *job, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sl_api_fail(job, SLUICE_EIO, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf)
        return sl_api_fail(job, SLUICE_ENOMEM, "out of memory reading %s", path);
    if (bad) {
        free(buf);
        return sl_api_fail(job, SLUICE_EIO, "cannot read %s", path);
    }
    buf[n] = 0;
    return sl_api_add(job, path, buf, n);
}

int sluice_job_add_sql(sluice_job *job, const char *name, const char *sql)
{
    char *text = strdup(sql ? sql : "");
    if (!text)
        return sl_api_fail(job, SLUICE_ENOMEM, "out of memory");
    return sl_api_add(job, name && *name ? name : "<sql>", text, strlen(text));
}

int sluice_job_set_param(sluice_job *job, const char *name, const char *value)
{
    if (!name || !*name || !value)
        return sl_api_fail(job, SLUICE_EINVAL, "a parameter needs a name and a value");
    for (size_t i = 0; i < job->nparams; i++)
        if (!strcmp(job->params[i].name, name)) {
            char *v = strdup(value);
            if (!v)
                return sl_api_fail(job, SLUICE_ENOMEM, "out of memory");
            free((char *)job->params[i].value);
            job->params[i].value = v;
            return 0;
        }
    if (job->nparams == SL_API_MAX_PARAMS)
        return sl_api_fail(job, SLUICE_EINVAL, "at most %d parameters", SL_API_MAX_PARAMS);
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return sl_api_fail(job, SLUICE_ENOMEM, "out of memory");
    }
    job->params[job->nparams++] = (struct sl_sql_param){.name = n, .value = v};
    return 0;
}

static int sl_api_bool(sluice_job *job, const char *key, const char *value, bool *out)
{
    if (!strcmp(value, "true") || !strcmp(value, "1")) {
        *out = true;
        return 0;
    }
    if (!strcmp(value, "false") || !strcmp(value, "0")) {
        *out = false;
        return 0;
    }
    return sl_api_fail(job, SLUICE_EINVAL, "option '%s': 'true' or 'false', not '%s'", key, value);
}

static int sl_api_str(sluice_job *job, char **slot, const char *value)
{
    char *v = strdup(value);
    if (!v)
        return sl_api_fail(job, SLUICE_ENOMEM, "out of memory");
    free(*slot);
    *slot = v;
    return 0;
}

int sluice_job_set_option(sluice_job *job, const char *key, const char *value)
{
    if (!key || !value)
        return sl_api_fail(job, SLUICE_EINVAL, "an option needs a key and a value");
    if (!strcmp(key, "workers")) {
        char *end;
        long n = strtol(value, &end, 10);
        if (*end || end == value || n < 1 || n > 1024)
            return sl_api_fail(job, SLUICE_EINVAL,
                               "option 'workers': a number from 1 to 1024, not '%s'", value);
        job->workers = (int)n;
        return 0;
    }
    if (!strcmp(key, "pin"))
        return sl_api_bool(job, key, value, &job->pin);
    if (!strcmp(key, "restart"))
        return sl_api_bool(job, key, value, &job->restart);
    if (!strcmp(key, "brokers"))
        return sl_api_str(job, &job->brokers, value);
    if (!strcmp(key, "state-dir"))
        return sl_api_str(job, &job->state_dir, value);
    if (!strcmp(key, "job"))
        return sl_api_str(job, &job->job_id, value);
    if (!strcmp(key, "zk"))
        return sl_api_str(job, &job->zk, value);
    if (!strcmp(key, "checkpoint-interval")) {
        char *end;
        long long ms = strtoll(value, &end, 10);
        if (*end || end == value || ms < 1 || ms > 86400000)
            return sl_api_fail(job, SLUICE_EINVAL,
                               "option 'checkpoint-interval': milliseconds from 1 to 86400000, "
                               "not '%s'",
                               value);
        job->interval_ms = ms;
        return 0;
    }
    if (!strcmp(key, "udf-path")) {
        if (job->nudf_paths == SL_API_MAX_UDF_PATHS)
            return sl_api_fail(job, SLUICE_EINVAL, "at most %d UDF paths", SL_API_MAX_UDF_PATHS);
        if (!(job->udf_paths[job->nudf_paths] = strdup(value)))
            return sl_api_fail(job, SLUICE_ENOMEM, "out of memory");
        job->nudf_paths++;
        return 0;
    }
    if (!strncmp(key, "property.", 9) && key[9]) {
        if (job->nprops == SL_API_MAX_PROPS)
            return sl_api_fail(job, SLUICE_EINVAL, "at most %d Kafka properties", SL_API_MAX_PROPS);
        size_t n = strlen(key + 9) + strlen(value) + 2;
        char *kv = malloc(n);
        if (!kv)
            return sl_api_fail(job, SLUICE_ENOMEM, "out of memory");
        snprintf(kv, n, "%s=%s", key + 9, value);
        job->props[job->nprops++] = kv;
        return 0;
    }
    return sl_api_fail(job, SLUICE_EINVAL,
                       "unknown option '%s' (workers, pin, brokers, property.KEY, state-dir, "
                       "job, zk, checkpoint-interval, restart, udf-path)",
                       key);
}

static bool sl_api_uses_kafka(const struct sl_job *j)
{
    for (uint32_t i = 0; i < j->ntables; i++)
        if (!strcmp(j->tables[i]->connector, "kafka") &&
            !sl_table_option(j->tables[i], "properties.bootstrap.servers"))
            return true;
    return false;
}

int sluice_job_run(sluice_job *job)
{
    if (job->ran)
        return sl_api_fail(job, SLUICE_EINVAL, "a job runs once; make a new one");
    job->ran = true;
    job->error[0] = 0;
    if (!job->nin)
        return sl_api_fail(job, SLUICE_EINVAL, "no SQL: add a file or text first");
    if (!job->state_dir && (job->job_id || job->zk || job->interval_ms || job->restart))
        return sl_api_fail(job, SLUICE_EINVAL,
                           "checkpoint options need a place for the checkpoints: set "
                           "'state-dir'");
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_bind_opts bopts = {job->nudf_paths, (const char *const *)job->udf_paths};
    struct sl_job *j =
        sl_job_from_sql_opts(job->in, job->nin, job->params, job->nparams, &bopts, &err);
    if (!j)
        return sl_api_fail(job, err.code ? err.code : SLUICE_EPARSE, "%s", err.msg);
    int rc = 0;
    struct sl_kafka_mock *mock = NULL;
    const char *brokers = job->brokers;
    if (!brokers && sl_api_uses_kafka(j)) {
        if ((rc = sl_kafka_mock_new(NULL, &mock, &err)) != 0) {
            rc = sl_api_fail(job, rc, "cannot start the embedded Kafka broker: %s", err.msg);
            goto out;
        }
        brokers = sl_kafka_mock_bootstrap(mock);
    }
    struct sl_exec_opts opts = {.workers = job->workers,
                                .pin = job->pin,
                                .brokers = brokers,
                                .kafka_props = (const char *const *)job->props,
                                .nkafka_props = job->nprops,
                                .print_out = stdout,
                                .stop = &job->stop_flag};
    struct sl_ckpt_opts ck = {0};
    if (job->state_dir) {
        ck.state_dir = job->state_dir;
        ck.job = job->job_id ? job->job_id : "job";
        ck.zk = job->zk;
        ck.interval_ms = job->interval_ms;
        ck.restart = job->restart;
        ck.keep = 3;
        ck.full_every = 10;
        ck.standby_timeout_ms = -1;
        const char *v;
        if ((v = sl_job_setting(j, "state.checkpoints.num-retained")) && atoi(v) >= 1)
            ck.keep = atoi(v);
        if ((v = sl_job_setting(j, "execution.checkpointing.tolerable-failed-checkpoints")) &&
            atoi(v) >= 0)
            ck.tolerable_failures = atoi(v);
        if ((v = sl_job_setting(j, "sluice.checkpoint.full-every")) && atoi(v) >= 1)
            ck.full_every = atoi(v);
        opts.ckpt = &ck;
    }
    struct sl_exec_summary sum;
    rc = sl_exec_run(j, &opts, &sum, &err);
    if (rc) {
        sl_api_fail(job, rc, "%s", err.msg);
        goto out;
    }
    job->stats = (struct sluice_stats){.workers = sum.workers,
                                       .seconds = sum.seconds,
                                       .cpu_seconds = sum.cpu_seconds,
                                       .rows_in = sum.rows_in,
                                       .rows_out = sum.rows_out,
                                       .late_rows = sum.late_rows,
                                       .bad_records = sum.bad_records,
                                       .checkpoints = sum.checkpoints,
                                       .last_epoch = sum.last_epoch};
    job->have_stats = true;
out:
    fflush(stdout);
    sl_job_free(j);
    sl_kafka_mock_free(mock);
    return rc;
}

void sluice_job_stop(sluice_job *job)
{
    if (job)
        atomic_store_explicit(&job->stop_flag, 1, memory_order_relaxed);
}

const char *sluice_job_error(const sluice_job *job)
{
    return job->error;
}

int sluice_job_stats(const sluice_job *job, struct sluice_stats *out)
{
    if (!job->have_stats)
        return SLUICE_EINVAL;
    *out = job->stats;
    return 0;
}
