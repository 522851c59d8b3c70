/*
 * coord/store_zk.c - the commit store on ZooKeeper (see store_zk.h).
 *
 * The store remembers the epoch node's version and the history's epochs from its own
 * reads and writes. Only the leader writes, so they stay true; if they do not (another
 * writer), the multi's version check fails and the put reports SL_EFENCED rather than
 * overwrite - the expected version is the second half of the fencing, after the latch
 * check. History entries are named by epoch, zero-padded, so their order is the names'.
 */
#include "coord/store_zk.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/fault.h"
#include "coord/latch.h"

struct sl_zk_store {
    struct sl_commit_store base; /* first: the commit.c view */
    struct sl_zk *zk;
    struct sl_latch *latch;
    int op_timeout_ms;
    char job_dir[SL_ZK_PATH_MAX / 4];
    char epoch_path[SL_ZK_PATH_MAX / 4 + 16];
    char history_dir[SL_ZK_PATH_MAX / 4 + 16];
    int32_t version; /* of epoch_path as last read or written; -2 unknown */
    int64_t hist[SL_COMMIT_HISTORY + 1]; /* epochs in the history, ascending */
    size_t nhist;
};

static_assert(4 * (SL_EPOCH_ENCODED_MAX + 64 + SL_ZK_PATH_MAX) < SL_ZK_REQUEST_MAX,
              "an epoch multi must stay far below ZooKeeper's request limit");

static double sl_zs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int sl_zs_left_ms(double deadline)
{
    double left = deadline - sl_zs_now();
    return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

/* ---- reading --------------------------------------------------------------------------- */

/* Reads the epoch node (after a sync) into *rec and *version, retrying a lost connection
 * until `deadline`. */
static int sl_zs_read_epoch(struct sl_zk_store *zs, struct sl_epoch_rec *rec, int32_t *version,
                            double deadline, struct sl_error *err)
{
    char buf[SL_EPOCH_ENCODED_MAX + 1];
    for (;;) {
        size_t len = 0;
        struct sl_zk_stat st;
        int rc = sl_zk_sync(zs->zk, zs->epoch_path, err);
        if (rc == 0)
            rc = sl_zk_get(zs->zk, zs->epoch_path, buf, sizeof(buf), &len, &st, err);
        if (rc == SL_EZK_RETRY && sl_zs_now() < deadline) {
            rc = sl_zk_wait_connected(zs->zk, sl_zs_left_ms(deadline), err);
            if (rc == 0 || rc == SL_EZK_RETRY)
                continue;
        }
        if (rc == SL_ENOTFOUND) { /* before the first acquire made it */
            memset(rec, 0, sizeof(*rec));
            *version = -1;
            return 0;
        }
        if (rc)
            return rc;
        *version = st.version;
        if (len == 0) {
            memset(rec, 0, sizeof(*rec));
            return 0;
        }
        return sl_epoch_decode(buf, len, rec, NULL, err);
    }
}

static int sl_zs_load_history(struct sl_zk_store *zs, struct sl_error *err)
{
    char **names;
    size_t n;
    int rc = sl_zk_children(zs->zk, zs->history_dir, &names, &n, err);
    if (rc)
        return rc;
    zs->nhist = 0;
    /* ascending; only the newest SL_COMMIT_HISTORY + 1 can be kept in hist[] - more than
     * that never exist unless written by someone else, and the next commit trims to them */
    size_t from = n > SL_COMMIT_HISTORY ? n - SL_COMMIT_HISTORY : 0;
    for (size_t i = from; i < n; i++) {
        char *e;
        long long v = strncmp(names[i], "e-", 2) == 0 ? strtoll(names[i] + 2, &e, 10) : -1;
        if (v >= 0 && *e == '\0')
            zs->hist[zs->nhist++] = v;
    }
    sl_zk_names_free(names, n);
    return 0;
}

/* ---- the ops table ----------------------------------------------------------------------- */

static int sl_zs_acquire(struct sl_commit_store *s, int timeout_ms, struct sl_error *err)
{
    struct sl_zk_store *zs = (struct sl_zk_store *)s;
    int rc;
    if (sl_zk_expired(zs->zk) && (rc = sl_zk_reopen(zs->zk, zs->op_timeout_ms, err)) != 0)
        return rc;
    if ((rc = sl_zk_ensure(zs->zk, zs->history_dir, err)) != 0)
        return rc;
    rc = sl_zk_create(zs->zk, zs->epoch_path, NULL, 0, 0, NULL, 0, err);
    if (rc && rc != SL_ESTATE) /* SL_ESTATE: it exists */
        return rc;
    if ((rc = sl_latch_acquire(zs->latch, timeout_ms, err)) != 0)
        return rc;
    struct sl_epoch_rec rec;
    double deadline = sl_zs_now() + zs->op_timeout_ms / 1000.0;
    if ((rc = sl_zs_read_epoch(zs, &rec, &zs->version, deadline, err)) != 0)
        return rc;
    return sl_zs_load_history(zs, err);
}

static int sl_zs_read(struct sl_commit_store *s, struct sl_epoch_rec *out, struct sl_error *err)
{
    struct sl_zk_store *zs = (struct sl_zk_store *)s;
    double deadline = sl_zs_now() + zs->op_timeout_ms / 1000.0;
    int32_t version;
    int rc = sl_zs_read_epoch(zs, out, &version, deadline, err);
    if (rc == 0)
        zs->version = version;
    return rc;
}

static void sl_zs_hist_name(const struct sl_zk_store *zs, int64_t epoch, char *out)
{
    snprintf(out, SL_ZK_PATH_MAX, "%s/e-%020" PRId64, zs->history_dir, epoch);
}

/* The history after committing `epoch`: hist[] with epoch added and the oldest dropped. */
static void sl_zs_hist_add(struct sl_zk_store *zs, int64_t epoch)
{
    size_t k = 0;
    for (size_t i = 0; i < zs->nhist; i++)
        if (zs->hist[i] != epoch)
            zs->hist[k++] = zs->hist[i];
    zs->nhist = k;
    size_t at = zs->nhist;
    while (at > 0 && zs->hist[at - 1] > epoch)
        at--;
    memmove(&zs->hist[at + 1], &zs->hist[at], (zs->nhist - at) * sizeof(zs->hist[0]));
    zs->hist[at] = epoch;
    zs->nhist++;
    if (zs->nhist > SL_COMMIT_HISTORY) {
        size_t drop = zs->nhist - SL_COMMIT_HISTORY;
        memmove(zs->hist, zs->hist + drop, SL_COMMIT_HISTORY * sizeof(zs->hist[0]));
        zs->nhist = SL_COMMIT_HISTORY;
    }
}

/* One put; reload_ok: when a history operation fails (the history is not as this process
 * remembers it), list it again and try once more. */
static int sl_zs_put_try(struct sl_commit_store *s, const struct sl_epoch_rec *rec,
                         int reload_ok, struct sl_error *err)
{
    struct sl_zk_store *zs = (struct sl_zk_store *)s;
    const char *latch = sl_latch_node(zs->latch);
    if (!sl_latch_is_leader(zs->latch) || !latch[0])
        return sl_error_set(err, SL_EFENCED, "zookeeper store %s: not the leader", zs->job_dir);
    if (sl_zk_expired(zs->zk))
        return sl_error_set(err, SL_EFENCED,
                            "zookeeper store %s: session expired, leadership lost: stop "
                            "committing",
                            zs->job_dir);
    char data[SL_EPOCH_ENCODED_MAX];
    size_t len;
    int rc = sl_epoch_encode(rec, data, sizeof(data), &len);
    if (rc)
        return sl_error_set(err, rc, "zookeeper store: epoch %" PRId64 " cannot be encoded",
                            rec->epoch);

    /* check latch, set epoch, [delete e-N if present, create e-N, delete the oldest] */
    struct sl_zk_op ops[4 + SL_COMMIT_HISTORY];
    char paths[2 + SL_COMMIT_HISTORY][SL_ZK_PATH_MAX];
    int n = 0;
    ops[n++] = (struct sl_zk_op){.type = SL_ZK_OP_CHECK, .path = latch, .version = -1};
    ops[n++] = (struct sl_zk_op){.type = SL_ZK_OP_SET,
                                 .path = zs->epoch_path,
                                 .data = data,
                                 .len = len,
                                 .version = zs->version};
    if (rec->phase == SL_EPOCH_COMMITTED) {
        int np = 0, again = 0;
        for (size_t i = 0; i < zs->nhist; i++)
            again |= zs->hist[i] == rec->epoch;
        sl_zs_hist_name(zs, rec->epoch, paths[np]);
        if (again)
            ops[n++] = (struct sl_zk_op){.type = SL_ZK_OP_DELETE, .path = paths[np], .version = -1};
        ops[n++] = (struct sl_zk_op){
            .type = SL_ZK_OP_CREATE, .path = paths[np++], .data = data, .len = len};
        size_t keep = zs->nhist - (size_t)again + 1;
        for (size_t i = 0; keep > SL_COMMIT_HISTORY && i < zs->nhist; i++) {
            if (zs->hist[i] == rec->epoch)
                continue;
            sl_zs_hist_name(zs, zs->hist[i], paths[np]);
            ops[n++] = (struct sl_zk_op){.type = SL_ZK_OP_DELETE, .path = paths[np++], .version = -1};
            keep--;
        }
    }
    assert(sl_zk_multi_size(zs->zk, ops, n) < SL_ZK_REQUEST_MAX);

    double deadline = sl_zs_now() + zs->op_timeout_ms / 1000.0;
    for (;;) {
        int failed;
        sl_crash_point("zk.before_multi");
        rc = sl_zk_multi(zs->zk, ops, n, &failed, err);
        if (rc == 0) {
            sl_crash_point("zk.after_multi");
            zs->version = ops[1].new_version;
            if (rec->phase == SL_EPOCH_COMMITTED)
                sl_zs_hist_add(zs, rec->epoch);
            return 0;
        }
        if (failed == 0)
            return sl_error_set(err, SL_EFENCED,
                                "zookeeper store %s: latch node %s is gone: this process was "
                                "deposed; another process leads the job",
                                zs->job_dir, latch);
        if (failed == 1 && rc == SL_ESTATE)
            return sl_error_set(err, SL_EFENCED,
                                "zookeeper store %s: the epoch node moved past version %d: "
                                "another process wrote it",
                                zs->job_dir, (int)zs->version);
        if (failed >= 2 && reload_ok) { /* the history is not as remembered: look again */
            if ((rc = sl_zs_load_history(zs, err)) != 0)
                return rc;
            return sl_zs_put_try(s, rec, 0, err);
        }
        if (rc == SL_EFENCED)
            return sl_error_set(err, SL_EFENCED,
                                "zookeeper store %s: session expired during the commit of "
                                "epoch %" PRId64 " (%s): leadership lost, stop committing; "
                                "the next leader reads whether it landed",
                                zs->job_dir, rec->epoch, sl_epoch_phase_name(rec->phase));
        if (rc != SL_EZK_RETRY)
            return rc;
        /* The outcome is unknown: read the epoch node back and decide. */
        struct sl_epoch_rec back;
        int32_t version;
        struct sl_error rerr;
        int rrc = sl_zs_read_epoch(zs, &back, &version, deadline, &rerr);
        if (rrc == SL_EFENCED)
            return sl_error_set(err, SL_EFENCED,
                                "zookeeper store %s: session expired while resolving the "
                                "commit of epoch %" PRId64 ": leadership lost",
                                zs->job_dir, rec->epoch);
        if (rrc) {
            if (err)
                *err = rerr;
            return rrc == SL_EZK_RETRY
                       ? sl_error_set(err, SL_EZK_RETRY,
                                      "zookeeper store %s: epoch %" PRId64
                                      " outcome unknown: %s",
                                      zs->job_dir, rec->epoch, rerr.msg)
                       : rrc;
        }
        if (version == zs->version + 1 && sl_epoch_equal(&back, rec)) {
            zs->version = version;
            if (rec->phase == SL_EPOCH_COMMITTED)
                sl_zs_hist_add(zs, rec->epoch);
            return 0; /* it landed before the connection went */
        }
        if (version != zs->version)
            return sl_error_set(err, SL_EFENCED,
                                "zookeeper store %s: epoch node at version %d, expected %d or "
                                "%d: another process wrote it",
                                zs->job_dir, (int)version, (int)zs->version,
                                (int)zs->version + 1);
        if (sl_zs_now() >= deadline)
            return sl_error_set(err, SL_EZK_RETRY,
                                "zookeeper store %s: epoch %" PRId64 " not committed: "
                                "ZooKeeper unreachable",
                                zs->job_dir, rec->epoch);
        /* not applied: send it again */
    }
}

static int sl_zs_put(struct sl_commit_store *s, const struct sl_epoch_rec *rec,
                     struct sl_error *err)
{
    return sl_zs_put_try(s, rec, 1, err);
}

static int sl_zs_history(struct sl_commit_store *s, struct sl_epoch_rec *out, size_t cap,
                         size_t *n, struct sl_error *err)
{
    struct sl_zk_store *zs = (struct sl_zk_store *)s;
    char **names;
    size_t count;
    int rc = sl_zk_children(zs->zk, zs->history_dir, &names, &count, err);
    if (rc)
        return rc;
    *n = 0;
    for (size_t i = count; rc == 0 && i-- > 0 && *n < cap;) {
        char path[SL_ZK_PATH_MAX], buf[SL_EPOCH_ENCODED_MAX + 1];
        size_t len;
        snprintf(path, sizeof(path), "%s/%s", zs->history_dir, names[i]);
        rc = sl_zk_get(zs->zk, path, buf, sizeof(buf), &len, NULL, err);
        if (rc == SL_ENOTFOUND) { /* trimmed meanwhile */
            rc = 0;
            continue;
        }
        if (rc == 0 && (rc = sl_epoch_decode(buf, len, &out[*n], NULL, err)) == 0)
            (*n)++;
    }
    sl_zk_names_free(names, count);
    return rc;
}

static void sl_zs_free(struct sl_commit_store *s)
{
    struct sl_zk_store *zs = (struct sl_zk_store *)s;
    sl_latch_free(zs->latch);
    sl_zk_close(zs->zk);
    free(zs);
}

static const struct sl_commit_ops sl_zs_ops = {
    .name = "zookeeper",
    .acquire = sl_zs_acquire,
    .read = sl_zs_read,
    .put = sl_zs_put,
    .history = sl_zs_history,
    .free = sl_zs_free,
};

/* ---- creation ------------------------------------------------------------------------------ */

int sl_zk_store_new(const struct sl_zk_store_config *cfg, struct sl_commit_store **out,
                    struct sl_error *err)
{
    size_t jl = cfg->job ? strlen(cfg->job) : 0;
    if (jl == 0 || jl > 64 || strspn(cfg->job, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
                                               "WXYZ0123456789._-") != jl ||
        strcmp(cfg->job, ".") == 0 || strcmp(cfg->job, "..") == 0)
        return sl_error_set(err, SL_EINVAL,
                            "job id '%s': 1 to 64 letters, digits, '.', '_' or '-'",
                            cfg->job ? cfg->job : "");
    struct sl_zk_store *zs = calloc(1, sizeof(*zs));
    if (!zs)
        return sl_error_set(err, SL_ENOMEM, "zookeeper store: out of memory");
    zs->base.ops = &sl_zs_ops;
    int session_ms = cfg->session_ms > 0 ? cfg->session_ms : 10000;
    zs->op_timeout_ms = cfg->op_timeout_ms > 0 ? cfg->op_timeout_ms : session_ms;
    zs->version = -2;
    snprintf(zs->job_dir, sizeof(zs->job_dir), "/%s", cfg->job);
    snprintf(zs->epoch_path, sizeof(zs->epoch_path), "%s/epoch", zs->job_dir);
    snprintf(zs->history_dir, sizeof(zs->history_dir), "%s/history", zs->job_dir);
    char latch_dir[SL_ZK_PATH_MAX / 4 + 16];
    snprintf(latch_dir, sizeof(latch_dir), "%s/latch", zs->job_dir);
    int rc = sl_zk_open(cfg->connect, session_ms, zs->op_timeout_ms, &zs->zk, err);
    if (rc == 0)
        rc = sl_latch_new(zs->zk, latch_dir, &zs->latch, err);
    if (rc) {
        sl_zs_free(&zs->base);
        return rc;
    }
    *out = &zs->base;
    return 0;
}

struct sl_zk *sl_zk_store_handle(struct sl_commit_store *s)
{
    return ((struct sl_zk_store *)s)->zk;
}

const char *sl_zk_store_latch_node(struct sl_commit_store *s)
{
    return sl_latch_node(((struct sl_zk_store *)s)->latch);
}
