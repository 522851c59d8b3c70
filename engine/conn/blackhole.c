/*
 * engine/conn/blackhole.c - the 'blackhole' sink: takes every row and drops it (Flink's
 * blackhole connector, which has no options). The rows are counted in ctx->stats->rows_out.
 */
#include <stdlib.h>

#include "engine/conn/conn_impl.h"
#include "engine/conn/registry.h"

/* ---- blackhole ----------------------------------------------------------------------------- */

static int bh_write(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_batch *b,
                    struct sl_error *err)
{
    (void)sk;
    (void)err;
    sl_stats_add(&ctx->stats->rows_out, sl_batch_active(b));
    return 0;
}

static void bh_free(struct sl_sink *sk)
{
    free(sk);
}

static int bh_flush(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    (void)sk;
    (void)ctx;
    (void)err;
    return 0;
}

static int bh_close(struct sl_sink *sk, struct sl_error *err)
{
    (void)sk;
    (void)err;
    return 0;
}

static const struct sl_sink_ops bh_ops = {
    .write = bh_write, .flush = bh_flush, .close = bh_close, .free = bh_free};

int sl_conn_blackhole_sink(const struct sl_table *t, const struct sl_connector_env *env,
                           int nworkers, struct sl_sink **out, struct sl_error *err)
{
    (void)nworkers;
    int rc = sl_conn_check_options(t, env, NULL, NULL, err);
    if (rc)
        return rc;
    struct sl_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    s->ops = &bh_ops;
    s->table = t;
    *out = s;
    return 0;
}

const struct sl_connector sl_connector_blackhole = {
    .name = "blackhole",
    .summary = "counts the rows and drops them",
    .sink = sl_conn_blackhole_sink,
    .updates = true,
};
