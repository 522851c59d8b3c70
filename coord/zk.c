/*
 * coord/zk.c - the synchronous ZooKeeper wrapper (see zk.h).
 *
 * The handle's watcher runs on the client library's completion thread; it only updates
 * three fields under `mu` (connected, expired, events) and wakes the waiters. Everything
 * else runs on the caller's thread through the library's synchronous calls (THREADED).
 * The one asynchronous call, sync, completes into a context on the caller's stack: the
 * library calls every completion exactly once, with ZCONNECTIONLOSS or ZCLOSING at worst,
 * so waiting for it without a time limit cannot hang past the session.
 */
#define THREADED
#include <zookeeper/zookeeper.h>

#include "coord/zk.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/fault.h"

struct sl_zk {
    zhandle_t *zh;
    char *hosts;  /* "host:port,..." without the chroot */
    char *chroot; /* "/sluice" */
    int session_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool connected;
    bool expired;
    uint64_t events;
    sl_zk_hook_fn hook;
    void *hook_ctx;
};

/* ---- session ------------------------------------------------------------------------- */

static void sl_zk_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    (void)zh;
    (void)path;
    struct sl_zk *zk = ctx;
    pthread_mutex_lock(&zk->mu);
    if (type == ZOO_SESSION_EVENT) {
        if (state == ZOO_CONNECTED_STATE) {
            zk->connected = true;
        } else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
            zk->connected = false;
            zk->expired = true;
        } else {
            zk->connected = false;
        }
    }
    zk->events++;
    pthread_cond_broadcast(&zk->cv);
    pthread_mutex_unlock(&zk->mu);
}

static void sl_zk_deadline(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

int sl_zk_wait_connected(struct sl_zk *zk, int timeout_ms, struct sl_error *err)
{
    struct timespec dl;
    sl_zk_deadline(&dl, timeout_ms < 0 ? 0 : timeout_ms);
    int rc = 0;
    pthread_mutex_lock(&zk->mu);
    while (!zk->connected && !zk->expired) {
        if (timeout_ms >= 0 && pthread_cond_timedwait(&zk->cv, &zk->mu, &dl) == ETIMEDOUT)
            break;
        if (timeout_ms < 0)
            pthread_cond_wait(&zk->cv, &zk->mu);
    }
    if (zk->expired)
        rc = sl_error_set(err, SL_EFENCED, "zookeeper %s: session expired", zk->hosts);
    else if (!zk->connected)
        rc = sl_error_set(err, SL_EZK_RETRY, "zookeeper %s: not connected after %d ms", zk->hosts,
                          timeout_ms);
    pthread_mutex_unlock(&zk->mu);
    return rc;
}

/* How often the first connection's wait looks at the stop flag (sl_zk_open_stop): as often
 * as coord/latch.c's waits and the executor's workers look at theirs. */
#define SL_ZK_STOP_POLL_MS 100

static bool sl_zk_stopped(const _Atomic int *stop)
{
    return stop && atomic_load_explicit(stop, memory_order_relaxed) != 0;
}

static int64_t sl_zk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* sl_zk_wait_connected up to connect_ms in slices of SL_ZK_STOP_POLL_MS, looking at `stop`
 * (NULL: none) before each: SL_ESTOPPED once it is set. */
static int sl_zk_wait_first(struct sl_zk *zk, int connect_ms, const _Atomic int *stop,
                            struct sl_error *err)
{
    if (!stop)
        return sl_zk_wait_connected(zk, connect_ms, err);
    int64_t until = sl_zk_now_ms() + (connect_ms < 0 ? 0 : connect_ms);
    for (;;) {
        if (sl_zk_stopped(stop))
            return sl_error_set(err, SL_ESTOPPED,
                                "zookeeper %s: stopped while waiting for the first connection",
                                zk->hosts);
        int64_t left = until - sl_zk_now_ms();
        int rc = sl_zk_wait_connected(zk,
                                      left <= 0                   ? 0
                                      : left > SL_ZK_STOP_POLL_MS ? SL_ZK_STOP_POLL_MS
                                                                  : (int)left,
                                      err);
        if (rc != SL_EZK_RETRY)
            return rc;
        if (left <= SL_ZK_STOP_POLL_MS)
            return sl_error_set(err, SL_EZK_RETRY, "zookeeper %s: not connected after %d ms",
                                zk->hosts, connect_ms);
    }
}

static int sl_zk_start(struct sl_zk *zk, const clientid_t *cid, int connect_ms,
                       const _Atomic int *stop, struct sl_error *err)
{
    pthread_mutex_lock(&zk->mu);
    zk->connected = false;
    zk->expired = false;
    pthread_mutex_unlock(&zk->mu);
    zk->zh = zookeeper_init(zk->hosts, sl_zk_watcher, zk->session_ms, cid, zk, 0);
    if (!zk->zh)
        return sl_error_set(err, SL_EZK, "zookeeper %s: cannot create a client (%s)", zk->hosts,
                            strerror(errno));
    return sl_zk_wait_first(zk, connect_ms, stop, err);
}

static void sl_zk_stop(struct sl_zk *zk)
{
    if (zk->zh)
        zookeeper_close(zk->zh);
    zk->zh = NULL;
}

/* The client library logs every connection attempt at INFO to stderr; sluice keeps its
 * errors only (SLUICE_ZK_LOG=debug|info|warn brings the rest back). */
static void sl_zk_quiet(void)
{
    const char *lv = getenv("SLUICE_ZK_LOG");
    ZooLogLevel level = ZOO_LOG_LEVEL_ERROR;
    if (lv && strcmp(lv, "debug") == 0)
        level = ZOO_LOG_LEVEL_DEBUG;
    else if (lv && strcmp(lv, "info") == 0)
        level = ZOO_LOG_LEVEL_INFO;
    else if (lv && strcmp(lv, "warn") == 0)
        level = ZOO_LOG_LEVEL_WARN;
    zoo_set_debug_level(level);
}

static int sl_zk_new(const char *connect, int session_ms, struct sl_zk **out, struct sl_error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sl_zk_quiet);
    const char *slash = strchr(connect, '/');
    size_t hlen = slash ? (size_t)(slash - connect) : strlen(connect);
    if (hlen == 0 || (slash && (slash[1] == '\0' || slash[strlen(slash) - 1] == '/')) ||
        strlen(connect) >= SL_ZK_PATH_MAX / 2)
        return sl_error_set(err, SL_EINVAL,
                            "zookeeper address '%s': expected host:port[,host:port][/chroot]",
                            connect);
    struct sl_zk *zk = calloc(1, sizeof(*zk));
    if (!zk)
        return sl_error_set(err, SL_ENOMEM, "zookeeper: out of memory");
    zk->hosts = strndup(connect, hlen);
    zk->chroot = strdup(slash ? slash : "/sluice");
    zk->session_ms = session_ms;
    pthread_mutex_init(&zk->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&zk->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (!zk->hosts || !zk->chroot) {
        sl_zk_close(zk);
        return sl_error_set(err, SL_ENOMEM, "zookeeper: out of memory");
    }
    *out = zk;
    return 0;
}

int sl_zk_open(const char *connect, int session_ms, int connect_ms, struct sl_zk **out,
               struct sl_error *err)
{
    return sl_zk_open_stop(connect, session_ms, connect_ms, NULL, out, err);
}

int sl_zk_open_stop(const char *connect, int session_ms, int connect_ms, const _Atomic int *stop,
                    struct sl_zk **out, struct sl_error *err)
{
    struct sl_zk *zk;
    int rc = sl_zk_new(connect, session_ms, &zk, err);
    if (rc)
        return rc;
    rc = sl_zk_start(zk, NULL, connect_ms, stop, err);
    if (rc) {
        sl_zk_close(zk);
        return rc;
    }
    *out = zk;
    return 0;
}

int sl_zk_reopen(struct sl_zk *zk, int connect_ms, struct sl_error *err)
{
    sl_zk_stop(zk);
    return sl_zk_start(zk, NULL, connect_ms, NULL, err);
}

void sl_zk_close(struct sl_zk *zk)
{
    if (!zk)
        return;
    sl_zk_stop(zk);
    pthread_cond_destroy(&zk->cv);
    pthread_mutex_destroy(&zk->mu);
    free(zk->hosts);
    free(zk->chroot);
    free(zk);
}

const char *sl_zk_chroot(const struct sl_zk *zk)
{
    return zk->chroot;
}

bool sl_zk_expired(struct sl_zk *zk)
{
    pthread_mutex_lock(&zk->mu);
    bool e = zk->expired;
    pthread_mutex_unlock(&zk->mu);
    return e;
}

int64_t sl_zk_session_id(struct sl_zk *zk)
{
    const clientid_t *cid = zk->zh ? zoo_client_id(zk->zh) : NULL;
    return cid ? cid->client_id : 0;
}

uint64_t sl_zk_events(struct sl_zk *zk)
{
    pthread_mutex_lock(&zk->mu);
    uint64_t e = zk->events;
    pthread_mutex_unlock(&zk->mu);
    return e;
}

void sl_zk_wait_event(struct sl_zk *zk, uint64_t seen, int timeout_ms)
{
    struct timespec dl;
    sl_zk_deadline(&dl, timeout_ms < 0 ? 0 : timeout_ms);
    pthread_mutex_lock(&zk->mu);
    while (zk->events <= seen) {
        if (timeout_ms < 0)
            pthread_cond_wait(&zk->cv, &zk->mu);
        else if (pthread_cond_timedwait(&zk->cv, &zk->mu, &dl) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&zk->mu);
}

void sl_zk_set_hook(struct sl_zk *zk, sl_zk_hook_fn fn, void *ctx)
{
    zk->hook = fn;
    zk->hook_ctx = ctx;
}

/* ---- errors and paths ---------------------------------------------------------------- */

static int sl_zk_code(int zrc)
{
    switch (zrc) {
    case ZOK:
        return 0;
    case ZCONNECTIONLOSS:
    case ZOPERATIONTIMEOUT:
    case ZTHROTTLEDOP:
    case ZCLOSING:
        return SL_EZK_RETRY;
    case ZSESSIONEXPIRED:
    case ZSESSIONMOVED:
    case ZINVALIDSTATE:
        return SL_EFENCED;
    case ZNONODE:
        return SL_ENOTFOUND;
    case ZNODEEXISTS:
    case ZBADVERSION:
    case ZNOTEMPTY:
        return SL_ESTATE;
    default:
        return SL_EZK;
    }
}

static int sl_zk_fail(struct sl_zk *zk, int zrc, const char *what, const char *path,
                      struct sl_error *err)
{
    int code = sl_zk_code(zrc);
    if (code == SL_EFENCED && zrc == ZINVALIDSTATE)
        return sl_error_set(err, code, "zookeeper %s: %s %s: session expired", zk->hosts, what,
                            path);
    return sl_error_set(err, code, "zookeeper %s: %s %s: %s", zk->hosts, what, path, zerror(zrc));
}

/* ---- fault points (zk.h: FAULT POINTS) ------------------------------------------------ */

/* The ZooKeeper code a lost request or answer gets: ETIMEDOUT armed -> an operation
 * timeout, anything else -> a connection loss. 0 when the point does not fire. */
static int sl_zk_fault(const char *point)
{
    int f = sl_fault_hit(point);
    if (f == 0)
        return ZOK;
    return f == -ETIMEDOUT ? ZOPERATIONTIMEOUT : ZCONNECTIONLOSS;
}

/* The error of a fired fault point: SL_EZK_RETRY, saying what ZooKeeper did. */
static int sl_zk_fault_fail(struct sl_zk *zk, int zrc, const char *point, const char *what,
                            const char *path, struct sl_error *err)
{
    int sent = strstr(point, "_reply") != NULL;
    return sl_error_set(err, sl_zk_code(zrc), "zookeeper %s: %s %s: %s (fault point %s: %s)",
                        zk->hosts, what, path, zerror(zrc), point,
                        sent ? "the server answered, the answer was dropped"
                             : "the request was never sent");
}

/* chroot + path into full[SL_ZK_PATH_MAX]; -1 when it does not fit or path is not absolute. */
static int sl_zk_full(const struct sl_zk *zk, const char *path, char *full)
{
    if (path[0] != '/')
        return -1;
    int n = strcmp(path, "/") == 0 ? snprintf(full, SL_ZK_PATH_MAX, "%s", zk->chroot)
                                   : snprintf(full, SL_ZK_PATH_MAX, "%s%s", zk->chroot, path);
    return n < 0 || n >= SL_ZK_PATH_MAX ? -1 : 0;
}

#define SL_ZK_FULL(zk, path, full, err) \
    char full[SL_ZK_PATH_MAX];          \
    if (sl_zk_full(zk, path, full))     \
    return sl_error_set(err, SL_EINVAL, "zookeeper: bad path '%s'", path)

static int sl_zk_mode(int flags)
{
    if ((flags & SL_ZK_EPHEMERAL) && (flags & SL_ZK_SEQUENTIAL))
        return ZOO_EPHEMERAL_SEQUENTIAL;
    if (flags & SL_ZK_EPHEMERAL)
        return ZOO_EPHEMERAL;
    if (flags & SL_ZK_SEQUENTIAL)
        return ZOO_PERSISTENT_SEQUENTIAL;
    return ZOO_PERSISTENT;
}

/* ---- operations ---------------------------------------------------------------------- */

int sl_zk_ensure(struct sl_zk *zk, const char *path, struct sl_error *err)
{
    SL_ZK_FULL(zk, path, full, err);
    for (char *p = full + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        int zrc = zoo_create(zk->zh, full, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0);
        if (zrc != ZOK && zrc != ZNODEEXISTS) {
            int rc = sl_zk_fail(zk, zrc, "create", full, err);
            *p = c;
            return rc;
        }
        *p = c;
        if (c == '\0')
            return 0;
    }
}

int sl_zk_create(struct sl_zk *zk, const char *path, const void *data, size_t len, int flags,
                 char *out_path, size_t cap, struct sl_error *err)
{
    SL_ZK_FULL(zk, path, full, err);
    char made[SL_ZK_PATH_MAX];
    int zrc = sl_zk_fault("zk.create_send");
    if (zrc != ZOK)
        return sl_zk_fault_fail(zk, zrc, "zk.create_send", "create", full, err);
    zrc = zoo_create(zk->zh, full, data, data ? (int)len : -1, &ZOO_OPEN_ACL_UNSAFE,
                     sl_zk_mode(flags), made, sizeof(made));
    int lost = sl_zk_fault("zk.create_reply");
    if (lost != ZOK)
        return sl_zk_fault_fail(zk, lost, "zk.create_reply", "create", full, err);
    if (zrc != ZOK)
        return sl_zk_fail(zk, zrc, "create", full, err);
    if (out_path) {
        size_t skip = strlen(zk->chroot);
        if (strncmp(made, zk->chroot, skip) != 0 || strlen(made + skip) >= cap)
            return sl_error_set(err, SL_ERANGE, "zookeeper: created path '%s' does not fit", made);
        strcpy(out_path, made + skip);
    }
    return 0;
}

int sl_zk_get(struct sl_zk *zk, const char *path, void *buf, size_t cap, size_t *len,
              struct sl_zk_stat *stat, struct sl_error *err)
{
    SL_ZK_FULL(zk, path, full, err);
    struct Stat st;
    int n = cap > INT32_MAX ? INT32_MAX : (int)cap;
    int zrc = zoo_get(zk->zh, full, 0, buf, &n, &st);
    if (zrc != ZOK)
        return sl_zk_fail(zk, zrc, "get", full, err);
    if (n < 0)
        n = 0; /* a node with NULL data */
    if (st.dataLength > (int32_t)cap)
        return sl_error_set(err, SL_EFULL, "zookeeper: get %s: %d bytes, room for %zu", full,
                            (int)st.dataLength, cap);
    if (len)
        *len = (size_t)n;
    if (stat)
        *stat = (struct sl_zk_stat){.version = st.version,
                                    .ephemeral_owner = st.ephemeralOwner,
                                    .mzxid = st.mzxid,
                                    .ctime_ms = st.ctime,
                                    .mtime_ms = st.mtime};
    return 0;
}

int sl_zk_delete(struct sl_zk *zk, const char *path, int version, struct sl_error *err)
{
    SL_ZK_FULL(zk, path, full, err);
    int zrc = zoo_delete(zk->zh, full, version);
    return zrc == ZOK ? 0 : sl_zk_fail(zk, zrc, "delete", full, err);
}

int sl_zk_exists(struct sl_zk *zk, const char *path, bool watch, bool *exists, struct sl_error *err)
{
    SL_ZK_FULL(zk, path, full, err);
    struct Stat st;
    int zrc = zoo_exists(zk->zh, full, watch ? 1 : 0, &st);
    if (zrc != ZOK && zrc != ZNONODE)
        return sl_zk_fail(zk, zrc, "exists", full, err);
    *exists = zrc == ZOK;
    return 0;
}

static int sl_zk_cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sl_zk_children(struct sl_zk *zk, const char *path, char ***names, size_t *n,
                   struct sl_error *err)
{
    return sl_zk_children_watch(zk, path, false, names, n, err);
}

int sl_zk_children_watch(struct sl_zk *zk, const char *path, bool watch, char ***names, size_t *n,
                         struct sl_error *err)
{
    SL_ZK_FULL(zk, path, full, err);
    struct String_vector sv = {0, NULL};
    *names = NULL;
    *n = 0;
    int zrc = zoo_get_children(zk->zh, full, watch ? 1 : 0, &sv);
    if (zrc != ZOK)
        return sl_zk_fail(zk, zrc, "children", full, err);
    char **out = calloc(sv.count > 0 ? (size_t)sv.count : 1, sizeof(*out));
    int rc = out ? 0 : sl_error_set(err, SL_ENOMEM, "zookeeper: out of memory");
    for (int i = 0; !rc && i < sv.count; i++)
        if (!(out[i] = strdup(sv.data[i])))
            rc = sl_error_set(err, SL_ENOMEM, "zookeeper: out of memory");
    if (rc) {
        sl_zk_names_free(out, (size_t)sv.count);
    } else {
        qsort(out, (size_t)sv.count, sizeof(*out), sl_zk_cmp_name);
        *names = out;
        *n = (size_t)sv.count;
    }
    deallocate_String_vector(&sv);
    return rc;
}

void sl_zk_names_free(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

struct sl_zk_sync_ctx {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int zrc;
};

static void sl_zk_sync_done(int rc, const char *value, const void *data)
{
    (void)value;
    struct sl_zk_sync_ctx *c = (struct sl_zk_sync_ctx *)data;
    pthread_mutex_lock(&c->mu);
    c->zrc = rc;
    c->done = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

int sl_zk_sync(struct sl_zk *zk, const char *path, struct sl_error *err)
{
    SL_ZK_FULL(zk, path, full, err);
    struct sl_zk_sync_ctx c = {.done = 0};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    int zrc = zoo_async(zk->zh, full, sl_zk_sync_done, &c);
    if (zrc == ZOK) {
        pthread_mutex_lock(&c.mu);
        while (!c.done)
            pthread_cond_wait(&c.cv, &c.mu);
        pthread_mutex_unlock(&c.mu);
        zrc = c.zrc;
    }
    pthread_cond_destroy(&c.cv);
    pthread_mutex_destroy(&c.mu);
    return zrc == ZOK ? 0 : sl_zk_fail(zk, zrc, "sync", full, err);
}

int sl_zk_get_synced(struct sl_zk *zk, const char *path, void *buf, size_t cap, size_t *len,
                     struct sl_zk_stat *stat, int timeout_ms, struct sl_error *err)
{
    struct timespec dl, now;
    sl_zk_deadline(&dl, timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        int rc = sl_zk_sync(zk, path, err);
        if (rc == 0)
            rc = sl_zk_get(zk, path, buf, cap, len, stat, err);
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t left_ms =
            (int64_t)(dl.tv_sec - now.tv_sec) * 1000 + (dl.tv_nsec - now.tv_nsec) / 1000000L;
        if (rc != SL_EZK_RETRY || left_ms <= 0)
            return rc;
        rc = sl_zk_wait_connected(zk, (int)left_ms + 1, err);
        if (rc != 0 && rc != SL_EZK_RETRY)
            return rc; /* SL_EFENCED: the session expired meanwhile */
    }
}

size_t sl_zk_multi_size(const struct sl_zk *zk, const struct sl_zk_op *ops, int n)
{
    /* per operation: header, type, flags, version and the one ACL entry ("world",
     * "anyone", perms) - 64 bytes is generous - plus the path and the data. */
    size_t bytes = 64;
    for (int i = 0; i < n; i++)
        bytes += 64 + strlen(zk->chroot) + strlen(ops[i].path) + ops[i].len;
    return bytes;
}

#define SL_ZK_MULTI_OPS 32

int sl_zk_multi(struct sl_zk *zk, struct sl_zk_op *ops, int n, int *failed, struct sl_error *err)
{
    zoo_op_t zops[SL_ZK_MULTI_OPS];
    zoo_op_result_t res[SL_ZK_MULTI_OPS];
    struct Stat stats[SL_ZK_MULTI_OPS];
    char full[SL_ZK_MULTI_OPS][SL_ZK_PATH_MAX];
    *failed = -1;
    if (n < 1 || n > SL_ZK_MULTI_OPS)
        return sl_error_set(err, SL_EINVAL, "zookeeper: multi of %d operations", n);
    size_t bytes = sl_zk_multi_size(zk, ops, n);
    if (bytes > SL_ZK_REQUEST_MAX)
        return sl_error_set(err, SL_ERANGE,
                            "zookeeper: multi of %zu bytes exceeds sluice's bound of %d "
                            "(ZooKeeper's limit is 1 MiB)",
                            bytes, SL_ZK_REQUEST_MAX);
    for (int i = 0; i < n; i++) {
        struct sl_zk_op *op = &ops[i];
        if (sl_zk_full(zk, op->path, full[i]))
            return sl_error_set(err, SL_EINVAL, "zookeeper: bad path '%s'", op->path);
        op->rc = 0;
        op->new_version = -1;
        switch (op->type) {
        case SL_ZK_OP_CREATE:
            zoo_create_op_init(&zops[i], full[i], op->data, op->data ? (int)op->len : -1,
                               &ZOO_OPEN_ACL_UNSAFE, sl_zk_mode(op->flags), NULL, 0);
            break;
        case SL_ZK_OP_SET:
            zoo_set_op_init(&zops[i], full[i], op->data, op->data ? (int)op->len : -1, op->version,
                            &stats[i]);
            break;
        case SL_ZK_OP_DELETE:
            zoo_delete_op_init(&zops[i], full[i], op->version);
            break;
        case SL_ZK_OP_CHECK:
        default:
            zoo_check_op_init(&zops[i], full[i], op->version);
            break;
        }
    }
    int rc = zk->hook ? zk->hook(zk->hook_ctx, "multi.before", 0) : 0;
    int zrc = ZOK;
    const char *fault = NULL; /* the fault point that fired */
    if (rc == 0 && (zrc = sl_zk_fault("zk.multi_send")) != ZOK) {
        fault = "zk.multi_send";
        rc = sl_zk_code(zrc);
    } else if (rc == 0) {
        /* zoo_multi is zoo_amulti plus a wait for its completion: when it returns, the
         * server has answered (or the connection is gone).
         * Not on a handle whose session is gone: libzookeeper-mt's zoo_amulti (3.8) then
         * fails the first operation's set-up with ZINVALIDSTATE, skips the set-up of the
         * others and frees each one's path from a request struct it never filled in - the
         * previous operation's path, here a stack buffer (ASan: "attempting free on address
         * which was not malloc()-ed" in zoo_amulti, test_zk's two-process test on a loaded
         * machine). Asking the state first leaves only the instant between this check and
         * zoo_amulti's own, which nothing in the client can close. */
        int state = zoo_state(zk->zh);
        if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE)
            zrc = ZINVALIDSTATE;
        else
            zrc = zoo_multi(zk->zh, n, zops, res);
        int lost = sl_zk_fault("zk.multi_reply");
        if (lost != ZOK) {
            fault = "zk.multi_reply";
            zrc = lost;
        }
        rc = sl_zk_code(zrc);
        if (zrc == ZOK) {
            for (int i = 0; i < n; i++)
                if (ops[i].type == SL_ZK_OP_SET)
                    ops[i].new_version = stats[i].version;
        } else {
            /* On a failed multi each result says ZOK or ZRUNTIMEINCONSISTENCY (rolled back)
             * but the one that failed; on a failed request none was filled in. */
            for (int i = 0;
                 i < n && *failed < 0 && zrc != ZCONNECTIONLOSS && zrc != ZOPERATIONTIMEOUT &&
                 zrc != ZSESSIONEXPIRED && zrc != ZINVALIDSTATE && zrc != ZCLOSING;
                 i++) {
                if (res[i].err != ZOK && res[i].err != ZRUNTIMEINCONSISTENCY) {
                    *failed = i;
                    ops[i].rc = sl_zk_code(res[i].err);
                    zrc = res[i].err;
                    rc = ops[i].rc;
                }
            }
        }
    }
    if (zk->hook)
        rc = zk->hook(zk->hook_ctx, "multi.after", rc);
    if (rc == 0)
        return 0;
    if (fault && rc == sl_zk_code(zrc))
        return sl_zk_fault_fail(zk, zrc, fault, "multi at", full[0], err);
    if (*failed >= 0)
        return sl_zk_fail(zk, zrc, "multi, operation on", full[*failed], err);
    if (zrc == ZOK) /* a hook's answer */
        return sl_error_set(err, rc, "zookeeper %s: multi: %s (injected)", zk->hosts,
                            sl_strerror(rc));
    return sl_zk_fail(zk, zrc, "multi at", full[0], err);
}

int sl_zk_kill_session(const char *connect, struct sl_zk *victim, int timeout_ms,
                       struct sl_error *err)
{
    const clientid_t *vid = victim->zh ? zoo_client_id(victim->zh) : NULL;
    if (!vid || vid->client_id == 0)
        return sl_error_set(err, SL_ESTATE, "zookeeper: the victim has no session");
    clientid_t cid = *vid;
    struct sl_zk *zk;
    int rc = sl_zk_new(connect, victim->session_ms, &zk, err);
    if (rc)
        return rc;
    /* Closing the shared session ends it for the victim too - unless the victim
     * reconnected in between and took the session back, so that this client was cut off
     * and its close never reached the server. So: connect with the session until the
     * server says it expired. */
    for (int attempt = 0; attempt < 50; attempt++) {
        rc = sl_zk_start(zk, &cid, timeout_ms, NULL, err);
        sl_zk_stop(zk);
        if (rc == SL_EFENCED) {
            rc = 0;
            break;
        }
        if (rc)
            break;
        rc = sl_error_set(err, SL_EZK, "zookeeper %s: session %016llx outlived 50 closes",
                          zk->hosts, (unsigned long long)cid.client_id);
    }
    sl_zk_close(zk);
    return rc;
}
