/*
 * coord/store_zk.c - the commit store on ZooKeeper (see store_zk.h).
 *
 * The store remembers the epoch node's version and the history's epochs from its own
 * reads and writes. Only the leader writes, so they stay true; if they do not (another
 * writer), the multi's version check fails and the put reports SL_EFENCED rather than
 * overwrite - the expected version is the second half of the fencing, after the latch
 * check. History entries are named by epoch, zero-padded, so their order is the names'.
 *
 * WRITES OF UNKNOWN OUTCOME. A multi that fails with SL_EZK_RETRY (connection lost,
 * operation timeout) may have landed - applied by the server, only the answer lost - and
 * one that was on its way when the connection went may even land later, after this
 * process reconnected. So the store remembers every record it sent whose outcome it does
 * not know (unsure[]), across put calls: a put may give up with "outcome unknown" and the
 * caller put again later, or read first. All of them were sent as "set the epoch node at
 * `version`", so at most one of them can ever land, and only as version + 1. Every fresh
 * read of the epoch node (after a sync) settles them:
 *   - still at `version`: nothing landed (yet). They stay unsure, and the put sends again;
 *     should a late one land first, the new multi meets BadVersion and reads back again;
 *   - moved, and holding one of the unsure records or the record being put (all fields
 *     equal, nonce included - a nonce is random per attempt, so no other process writes
 *     the same record): this process's own write. The version is adopted; a COMMITTED
 *     record's multi also created its history entry and trimmed the oldest, so hist[] is
 *     brought along the same way; nothing is unsure any more (the rest were conditional on
 *     the old version);
 *   - moved, holding anything else: another process wrote it. A put reports SL_EFENCED,
 *     naming the version and the record found; a read (sl_commit_last, acquire) takes it as
 *     the new truth, as before, and lists the history again before the next COMMITTED put.
 * A put that meets BadVersion (or NoNode) on the epoch node reads back the same way before
 * it concludes anything: the multi it raced may have been its own. A put whose history
 * operations fail (NodeExists on e-N, NoNode on the entry to trim: the history is not as
 * remembered) lists the history and tries again, once; the epoch node is settled before,
 * so a history changed by its own earlier attempt is never the reason.
 *
 * Fault point (engine/core/fault.h): zk.readback - a read of the epoch node made while a put's
 * outcome is unknown fails as if ZooKeeper stayed away for op_timeout_ms, so that the put
 * returns "outcome unknown" and the caller's retry has to settle it.
 */
#include "coord/store_zk.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coord/latch.h"
#include "engine/core/fault.h"

#define SL_ZS_UNSURE_MAX 4
/* A put gives up after this many multis in one call (each one lost, or raced by a write
 * that turned out to be this process's own): a safety net, never reached in practice. */
#define SL_ZS_ROUNDS_MAX 16

struct sl_zk_store {
    struct sl_commit_store base; /* first: the commit.c view */
    struct sl_zk *zk;
    struct sl_latch *latch;
    int op_timeout_ms;
    char job_dir[SL_ZK_PATH_MAX / 4];
    char epoch_path[SL_ZK_PATH_MAX / 4 + 16];
    char history_dir[SL_ZK_PATH_MAX / 4 + 16];
    int32_t version;                     /* of epoch_path as last read or written; -2 unknown */
    int64_t hist[SL_COMMIT_HISTORY + 1]; /* epochs in the history, ascending */
    size_t nhist;
    bool hist_stale; /* another process moved the epoch node: list hist[] before a COMMITTED */
    /* Records sent as "set epoch_path at `version`" whose outcome is unknown, oldest first.
     * The engine has at most one (it retries the same record); a caller that keeps
     * switching records while ZooKeeper is away pushes the oldest out. */
    struct sl_epoch_rec unsure[SL_ZS_UNSURE_MAX];
    size_t nunsure;
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

/* Reads the epoch node (after a sync: sl_zk_get_synced, shared with coord/cluster.c) into
 * *rec and *version, retrying a lost connection until `deadline`. */
static int sl_zs_read_epoch(struct sl_zk_store *zs, struct sl_epoch_rec *rec, int32_t *version,
                            double deadline, struct sl_error *err)
{
    char buf[SL_EPOCH_ENCODED_MAX + 1];
    if (zs->nunsure > 0 && sl_fault_hit("zk.readback"))
        return sl_error_set(err, SL_EZK_RETRY,
                            "zookeeper store %s: read of %s: ZooKeeper unreachable for %d ms "
                            "(fault point zk.readback)",
                            zs->job_dir, zs->epoch_path, zs->op_timeout_ms);
    size_t len = 0;
    struct sl_zk_stat st;
    int rc = sl_zk_get_synced(zs->zk, zs->epoch_path, buf, sizeof(buf), &len, &st,
                              sl_zs_left_ms(deadline), err);
    if (rc == SL_ENOTFOUND) { /* before the first acquire made it */
        sl_error_clear(err);
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
    zs->hist_stale = false;
    return 0;
}

/* ---- what this process wrote ------------------------------------------------------------ */

static void sl_zs_hist_name(const struct sl_zk_store *zs, int64_t epoch, char *out)
{
    snprintf(out, SL_ZK_PATH_MAX, "%s/e-%020" PRId64, zs->history_dir, epoch);
}

/* The history after committing `epoch`: hist[] with epoch added and the oldest dropped -
 * what the COMMITTED multi does to the nodes. */
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

/* Remembers `rec` as sent at zs->version with its outcome unknown. */
static void sl_zs_unsure_add(struct sl_zk_store *zs, const struct sl_epoch_rec *rec)
{
    for (size_t i = 0; i < zs->nunsure; i++)
        if (sl_epoch_equal(&zs->unsure[i], rec))
            return;
    if (zs->nunsure == SL_ZS_UNSURE_MAX) {
        memmove(zs->unsure, zs->unsure + 1, (SL_ZS_UNSURE_MAX - 1) * sizeof(zs->unsure[0]));
        zs->nunsure--;
    }
    zs->unsure[zs->nunsure++] = *rec;
}

static bool sl_zs_unsure_has(const struct sl_zk_store *zs, const struct sl_epoch_rec *rec)
{
    for (size_t i = 0; i < zs->nunsure; i++)
        if (sl_epoch_equal(&zs->unsure[i], rec))
            return true;
    return false;
}

/* The epoch node holds `mine`, written by this process, at `version`: the write landed. */
static void sl_zs_adopt(struct sl_zk_store *zs, const struct sl_epoch_rec *mine, int32_t version)
{
    int64_t epoch = mine->epoch;
    bool committed = mine->phase == SL_EPOCH_COMMITTED;
    zs->version = version;
    zs->nunsure = 0; /* the rest were conditional on the old version */
    if (committed)
        sl_zs_hist_add(zs, epoch);
}

/* Takes in a read of the epoch node that the caller goes on from (acquire, read). */
static void sl_zs_took(struct sl_zk_store *zs, const struct sl_epoch_rec *back, int32_t version)
{
    if (version == zs->version)
        return; /* nothing moved: what is unsure stays unsure */
    if (version > zs->version && sl_zs_unsure_has(zs, back)) {
        sl_zs_adopt(zs, back, version);
        return;
    }
    zs->version = version; /* moved by another hand: its record is the new base */
    zs->nunsure = 0;
    zs->hist_stale = true;
}

/*
 * Reads the epoch node back (after a sync, retrying a lost connection until `deadline`)
 * and settles what this process sent (see the top of this file). 0 with *have telling
 * whether the node now holds `rec`; SL_EFENCED when another process wrote it, or the
 * session expired meanwhile; SL_EZK_RETRY "outcome unknown" when ZooKeeper stayed away.
 * Every error is worded for the caller of the put.
 */
static int sl_zs_settle(struct sl_zk_store *zs, const struct sl_epoch_rec *rec, double deadline,
                        bool *have, struct sl_error *err)
{
    struct sl_epoch_rec back;
    int32_t version;
    struct sl_error rerr;
    *have = false;
    int rc = sl_zs_read_epoch(zs, &back, &version, deadline, &rerr);
    if (rc == SL_EFENCED)
        return sl_error_set(err, SL_EFENCED,
                            "zookeeper store %s: session expired while settling the commit of "
                            "epoch %" PRId64 " (%s): leadership lost, stop committing; the next "
                            "leader reads whether it landed",
                            zs->job_dir, rec->epoch, sl_epoch_phase_name(rec->phase));
    if (rc == SL_EZK_RETRY)
        return sl_error_set(err, SL_EZK_RETRY,
                            "zookeeper store %s: epoch %" PRId64 " (%s) outcome unknown: %s; "
                            "the next put or read of this store settles it",
                            zs->job_dir, rec->epoch, sl_epoch_phase_name(rec->phase), rerr.msg);
    if (rc) {
        if (err)
            *err = rerr;
        return rc;
    }
    if (version == zs->version)
        return 0; /* nothing landed (yet) */
    if (version > zs->version && (sl_epoch_equal(&back, rec) || sl_zs_unsure_has(zs, &back))) {
        sl_zs_adopt(zs, &back, version);
        *have = sl_epoch_equal(&back, rec);
        return 0;
    }
    return sl_error_set(err, SL_EFENCED,
                        "zookeeper store %s: the epoch node is at version %d, this process "
                        "expected %d, and holds epoch %" PRId64 " %s with nonce %016" PRIx64
                        ", which is not this process's write: another process wrote it",
                        zs->job_dir, (int)version, (int)zs->version, back.epoch,
                        sl_epoch_phase_name(back.phase), back.nonce);
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
    int32_t version;
    double deadline = sl_zs_now() + zs->op_timeout_ms / 1000.0;
    if ((rc = sl_zs_read_epoch(zs, &rec, &version, deadline, err)) != 0)
        return rc;
    sl_zs_took(zs, &rec, version);
    return sl_zs_load_history(zs, err);
}

static int sl_zs_read(struct sl_commit_store *s, struct sl_epoch_rec *out, struct sl_error *err)
{
    struct sl_zk_store *zs = (struct sl_zk_store *)s;
    double deadline = sl_zs_now() + zs->op_timeout_ms / 1000.0;
    int32_t version;
    int rc = sl_zs_read_epoch(zs, out, &version, deadline, err);
    if (rc == 0)
        sl_zs_took(zs, out, version);
    return rc;
}

/* The multi of a put into ops[] (paths[] holds the history paths): check the latch node,
 * set the epoch node at zs->version, and for COMMITTED delete e-N if the history has it,
 * create e-N, delete the oldest beyond SL_COMMIT_HISTORY. Returns the count. */
static int sl_zs_build(const struct sl_zk_store *zs, const char *latch,
                       const struct sl_epoch_rec *rec, const char *data, size_t len,
                       struct sl_zk_op *ops, char (*paths)[SL_ZK_PATH_MAX])
{
    int n = 0;
    ops[n++] = (struct sl_zk_op){.type = SL_ZK_OP_CHECK, .path = latch, .version = -1};
    ops[n++] = (struct sl_zk_op){.type = SL_ZK_OP_SET,
                                 .path = zs->epoch_path,
                                 .data = data,
                                 .len = len,
                                 .version = zs->version};
    if (rec->phase != SL_EPOCH_COMMITTED)
        return n;
    int np = 0, again = 0;
    for (size_t i = 0; i < zs->nhist; i++)
        again |= zs->hist[i] == rec->epoch;
    sl_zs_hist_name(zs, rec->epoch, paths[np]);
    if (again)
        ops[n++] = (struct sl_zk_op){.type = SL_ZK_OP_DELETE, .path = paths[np], .version = -1};
    ops[n++] =
        (struct sl_zk_op){.type = SL_ZK_OP_CREATE, .path = paths[np++], .data = data, .len = len};
    size_t keep = zs->nhist - (size_t)again + 1;
    for (size_t i = 0; keep > SL_COMMIT_HISTORY && i < zs->nhist; i++) {
        if (zs->hist[i] == rec->epoch)
            continue;
        sl_zs_hist_name(zs, zs->hist[i], paths[np]);
        ops[n++] = (struct sl_zk_op){.type = SL_ZK_OP_DELETE, .path = paths[np++], .version = -1};
        keep--;
    }
    return n;
}

static int sl_zs_put(struct sl_commit_store *s, const struct sl_epoch_rec *rec,
                     struct sl_error *err)
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

    double deadline = sl_zs_now() + zs->op_timeout_ms / 1000.0;
    bool relisted = false;
    for (int round = 0;; round++) {
        bool have;
        if (zs->nunsure > 0) { /* an earlier multi, of this call or before, may have landed */
            if ((rc = sl_zs_settle(zs, rec, deadline, &have, err)) != 0)
                return rc;
            if (have)
                return 0; /* it landed before the connection went */
            if (round > 0 && sl_zs_now() >= deadline)
                return sl_error_set(err, SL_EZK_RETRY,
                                    "zookeeper store %s: epoch %" PRId64 " (%s) outcome "
                                    "unknown: its request was lost for %d ms; the next put or "
                                    "read of this store settles it",
                                    zs->job_dir, rec->epoch, sl_epoch_phase_name(rec->phase),
                                    zs->op_timeout_ms);
        }
        if (round == SL_ZS_ROUNDS_MAX)
            return sl_error_set(err, SL_EZK,
                                "zookeeper store %s: epoch %" PRId64 " (%s): gave up after %d "
                                "multis, each lost or raced",
                                zs->job_dir, rec->epoch, sl_epoch_phase_name(rec->phase),
                                SL_ZS_ROUNDS_MAX);
        if (zs->hist_stale && rec->phase == SL_EPOCH_COMMITTED) {
            rc = sl_zs_load_history(zs, err);
            if (rc == SL_EZK_RETRY && sl_zs_now() < deadline &&
                (rc = sl_zk_wait_connected(zs->zk, sl_zs_left_ms(deadline), err)) == 0)
                continue;
            if (rc)
                return rc;
        }

        struct sl_zk_op ops[4 + SL_COMMIT_HISTORY];
        char paths[2 + SL_COMMIT_HISTORY][SL_ZK_PATH_MAX];
        int n = sl_zs_build(zs, latch, rec, data, len, ops, paths);
        assert(sl_zk_multi_size(zs->zk, ops, n) < SL_ZK_REQUEST_MAX);
        int failed;
        sl_crash_point("zk.before_multi");
        rc = sl_zk_multi(zs->zk, ops, n, &failed, err);
        if (rc == 0) {
            sl_crash_point("zk.after_multi");
            zs->version = ops[1].new_version;
            zs->nunsure = 0;
            if (rec->phase == SL_EPOCH_COMMITTED)
                sl_zs_hist_add(zs, rec->epoch);
            return 0;
        }
        if (failed == 0)
            return sl_error_set(err, SL_EFENCED,
                                "zookeeper store %s: latch node %s is gone: this process was "
                                "deposed; another process leads the job",
                                zs->job_dir, latch);
        if (failed == 1) {
            /* BadVersion (or NoNode): the node moved - maybe by a multi of this process whose
             * answer was lost. Read it back before concluding anything. */
            if ((rc = sl_zs_settle(zs, rec, deadline, &have, err)) != 0)
                return rc;
            if (have)
                return 0;
            continue; /* an earlier record of this process landed: send at the new version */
        }
        if (failed >= 2) { /* the history is not as remembered: list it again, once */
            if (relisted) {
                char why[SL_ERROR_MSG_MAX];
                snprintf(why, sizeof(why), "%s", err ? err->msg : "");
                return sl_error_set(err, SL_EZK,
                                    "zookeeper store %s: the history changed while committing "
                                    "epoch %" PRId64 " (%s); is another tool writing %s?",
                                    zs->job_dir, rec->epoch, why, zs->history_dir);
            }
            relisted = true;
            zs->hist_stale = true;
            continue;
        }
        if (rc == SL_EFENCED) {
            sl_zs_unsure_add(zs, rec); /* for the record: a new session re-reads anyway */
            return sl_error_set(err, SL_EFENCED,
                                "zookeeper store %s: session expired during the commit of "
                                "epoch %" PRId64 " (%s): leadership lost, stop committing; "
                                "the next leader reads whether it landed",
                                zs->job_dir, rec->epoch, sl_epoch_phase_name(rec->phase));
        }
        if (rc != SL_EZK_RETRY)
            return rc;
        /* the outcome is unknown: settled at the top of the next round, once the session
         * is back (sl_zs_read_epoch waits for it until the deadline) */
        sl_zs_unsure_add(zs, rec);
    }
}

static int sl_zs_history(struct sl_commit_store *s, struct sl_epoch_rec *out, size_t cap, size_t *n,
                         struct sl_error *err)
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
    if (jl == 0 || jl > 64 ||
        strspn(cfg->job, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
                         "WXYZ0123456789._-") != jl ||
        strcmp(cfg->job, ".") == 0 || strcmp(cfg->job, "..") == 0)
        return sl_error_set(err, SL_EINVAL, "job id '%s': 1 to 64 letters, digits, '.', '_' or '-'",
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
    int connect_ms = cfg->connect_ms > 0 ? cfg->connect_ms : 15000;
    int rc = sl_zk_open_stop(cfg->connect, session_ms, connect_ms, cfg->stop, &zs->zk, err);
    if (rc == 0)
        rc = sl_latch_new(zs->zk, latch_dir, &zs->latch, err);
    if (rc == 0)
        sl_latch_set_stop(zs->latch, cfg->stop);
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
