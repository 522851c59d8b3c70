/*
 * tests/util/conntest.c - see conntest.h.
 */
#include "tests/util/conntest.h"

#include "tests/util/testutil.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/sql/ast.h"
#include "engine/sql/binder.h"

struct sl_job *sl_ct_job(const char *sql)
{
    /* the binder wants something to run: a dummy INSERT after the tables keeps their
     * positions as written */
    static const char tail[] = "\nCREATE TABLE ct_dummy_ (x INT) WITH ('connector' = "
                               "'blackhole');\nINSERT INTO ct_dummy_ SELECT x FROM ct_dummy_;\n";
    size_t n = strlen(sql);
    char *text = malloc(n + sizeof(tail));
    assert_non_null(text);
    memcpy(text, sql, n);
    memcpy(text + n, tail, sizeof(tail));
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_job *job = sl_job_from_sql("t.sql", text, strlen(text), NULL, 0, &err);
    free(text);
    if (!job)
        fprintf(stderr, "bind: %s\n", err.msg);
    assert_non_null(job);
    return job;
}

const struct sl_table *sl_ct_table(const struct sl_job *job, const char *name)
{
    for (uint32_t i = 0; i < job->ntables; i++)
        if (strcmp(job->tables[i]->name, name) == 0)
            return job->tables[i];
    fail_msg("no table %s", name);
    return NULL;
}

const struct sl_sql_source *sl_ct_sql(const struct sl_job *job)
{
    return job->file->src;
}

int sl_ct_poll(struct sl_source *src, struct sl_worker_ctx *ctx, struct sl_batch *b, int timeout_ms,
               struct sl_source_info *info, struct sl_error *err)
{
    int rc = src->ops->poll(src, ctx, b, timeout_ms, info, err);
    if (rc || b->rows || info->wake_ns <= 0)
        return rc;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    int64_t wait = info->wake_ns - now_ns;
    if (wait > (int64_t)timeout_ms * 1000000)
        wait = (int64_t)timeout_ms * 1000000;
    if (wait > 0) {
        struct timespec ts = {(time_t)(wait / 1000000000), (long)(wait % 1000000000)};
        nanosleep(&ts, NULL);
    }
    return src->ops->poll(src, ctx, b, timeout_ms, info, err);
}

struct sl_connector_env sl_ct_env(const struct sl_job *job, FILE *out)
{
    struct sl_connector_env env = {0};
    env.sql = sl_ct_sql(job);
    env.print_out = out;
    env.job = job;
    env.source_open = sl_source_open;
    return env;
}

void sl_ct_ctx_init(struct sl_ct_ctx *c, int worker, int nworkers, const struct sl_job *job)
{
    memset(c, 0, sizeof(*c));
    c->ctx.worker = worker;
    c->ctx.nworkers = nworkers;
    c->ctx.heap = sl_heap_new();
    assert_non_null(c->ctx.heap);
    c->ctx.sql = job ? sl_ct_sql(job) : NULL;
    c->ctx.stats = &c->stats;
    c->stats.watermark = INT64_MIN;
}

void sl_ct_ctx_free(struct sl_ct_ctx *c)
{
    sl_heap_free(c->ctx.heap);
}

char *sl_ct_tmpdir(void)
{
    char tmpl[] = "/tmp/sluice-conn-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

void sl_ct_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[1024];
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        if (unlink(p) != 0)
            sl_ct_rmdir(p);
    }
    closedir(d);
    rmdir(dir);
}
