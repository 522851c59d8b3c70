/*
 * coord/latch.c - leader latch (see latch.h).
 *
 * LOST CREATES (Curator's "protected mode"). A create that fails with connection loss may
 * still have created the node - under a sequence number this process never learned - and
 * one that was on its way may still land after the process looked. Each node's name
 * therefore carries a token, random per latch and session, in front of the sequence
 * number: "n-<16 hex>-0000000007", so every node with the token is this latch's. After a
 * lost create the latch syncs, lists the directory and adopts the node bearing its token
 * (the lowest, should there be two) instead of creating a second one; if none is there it
 * creates again. The token and "a create with it was lost" last as long as the session
 * (through failed calls, releases and joins again), and every later listing, and the
 * release, deletes a node with the token that is not the adopted one - a late landing -
 * so no orphan of this session sits in the line, where it would block everyone behind it
 * until the session ends. Nodes are ordered by the sequence number after the last '-',
 * which also orders names without a token.
 */
#include "coord/latch.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct sl_latch {
    struct sl_zk *zk;
    char dir[SL_ZK_PATH_MAX / 2];
    char node[SL_ZK_PATH_MAX]; /* "" before joining */
    char ident[128];           /* the node's data: "host pid session", for operators */
    char data[128];            /* sl_latch_set_data's, instead of ident ("": none) */
    char group[128];           /* sl_latch_set_group's: nodes whose data start with it are
                                * peers, which do not stand in the line ("": none) */
    char token[24];            /* "n-<16 hex>-": the name prefix in this session; "" before */
    bool lost;                 /* a create with `token` lost its answer: a node may exist */
    int64_t session;           /* the session that created node / token */
    bool leader;
    const _Atomic int *stop; /* sl_latch_set_stop's flag, or NULL */
};

/* How often a wait looks at the stop flag (sl_latch_set_stop): as often as the executor's
 * workers look at theirs, so a standby stops as promptly as a running job. */
#define SL_LATCH_STOP_POLL_MS 100

static double sl_latch_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int sl_latch_new(struct sl_zk *zk, const char *dir, struct sl_latch **out, struct sl_error *err)
{
    if (dir[0] != '/' || strlen(dir) >= SL_ZK_PATH_MAX / 2 - 1)
        return sl_error_set(err, SL_EINVAL, "latch: bad directory '%s'", dir);
    struct sl_latch *l = calloc(1, sizeof(*l));
    if (!l)
        return sl_error_set(err, SL_ENOMEM, "latch: out of memory");
    l->zk = zk;
    strcpy(l->dir, dir);
    *out = l;
    return 0;
}

/* A fresh token: 64 random bits (the clock, the pid and a counter if getrandom fails). */
static void sl_latch_new_token(struct sl_latch *l)
{
    static _Atomic uint64_t counter;
    uint64_t r;
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
            (counter++ * 0x9E3779B97F4A7C15ull);
    }
    snprintf(l->token, sizeof(l->token), "n-%016" PRIx64 "-", r);
    l->lost = false;
}

/* The sequence number of a latch node's name (the digits after the last '-'), -1 if none. */
static long long sl_latch_seq(const char *name)
{
    const char *dash = strrchr(name, '-');
    if (!dash || !dash[1])
        return -1;
    char *end;
    long long v = strtoll(dash + 1, &end, 10);
    return *end ? -1 : v;
}

static int sl_latch_cmp(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    long long sx = sl_latch_seq(x), sy = sl_latch_seq(y);
    return sx != sy ? (sx < sy ? -1 : 1) : strcmp(x, y);
}

/* The children of the latch directory in line order; *names is the caller's. */
static int sl_latch_list(struct sl_latch *l, char ***names, size_t *n, struct sl_error *err)
{
    int rc = sl_zk_children(l->zk, l->dir, names, n, err);
    if (rc == 0)
        qsort(*names, *n, sizeof(**names), sl_latch_cmp);
    return rc;
}

/* Deletes every node in names[0..n) bearing this latch's token but `keep` (a create of it
 * that landed late). SL_ENOTFOUND (gone already) is fine. */
static int sl_latch_sweep(struct sl_latch *l, char **names, size_t n, const char *keep,
                          struct sl_error *err)
{
    size_t tl = strlen(l->token);
    for (size_t i = 0; tl > 0 && i < n; i++) {
        if (strncmp(names[i], l->token, tl) != 0 || (keep && strcmp(names[i], keep) == 0))
            continue;
        char path[SL_ZK_PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", l->dir, names[i]);
        int rc = sl_zk_delete(l->zk, path, -1, err);
        if (rc && rc != SL_ENOTFOUND)
            return rc;
    }
    return 0;
}

/* After a create whose answer was lost: syncs, lists the directory and adopts the first node
 * bearing this latch's token (deleting any other), leaving node "" when there is none. */
static int sl_latch_find_own(struct sl_latch *l, struct sl_error *err)
{
    char **names;
    size_t n;
    int rc = sl_zk_sync(l->zk, l->dir, err);
    if (rc == 0)
        rc = sl_latch_list(l, &names, &n, err);
    if (rc)
        return rc;
    size_t tl = strlen(l->token);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(names[i], l->token, tl) == 0) {
            snprintf(l->node, sizeof(l->node), "%s/%s", l->dir, names[i]);
            rc = sl_latch_sweep(l, names, n, names[i], err);
            break;
        }
    }
    sl_zk_names_free(names, n);
    return rc;
}

void sl_latch_set_stop(struct sl_latch *l, const _Atomic int *stop)
{
    l->stop = stop;
}

static bool sl_latch_stopped(const struct sl_latch *l)
{
    return l->stop && atomic_load_explicit(l->stop, memory_order_relaxed) != 0;
}

static int sl_latch_stop_error(const struct sl_latch *l, struct sl_error *err)
{
    return sl_error_set(err, SL_ESTOPPED, "latch %s: stopped while waiting (%s)", l->dir,
                        l->node[0] ? l->node : "not in the line yet");
}

/* The next sleep of a wait until `deadline`, in ms (-1: no limit): the time left, cut to
 * SL_LATCH_STOP_POLL_MS when a stop flag is set. */
static int sl_latch_slice_ms(const struct sl_latch *l, double deadline)
{
    double left = deadline - sl_latch_now();
    int ms = left <= 0 ? 0 : left > 1e6 ? -1 : (int)(left * 1000) + 1;
    if (l->stop && (ms < 0 || ms > SL_LATCH_STOP_POLL_MS))
        ms = SL_LATCH_STOP_POLL_MS;
    return ms;
}

/* Waits until the session is connected, up to `deadline`, looking at the stop flag between
 * slices: 0, SL_EFENCED, SL_EZK_RETRY (the deadline passed unconnected), SL_ESTOPPED. */
static int sl_latch_wait_connected(struct sl_latch *l, double deadline, struct sl_error *err)
{
    for (;;) {
        if (sl_latch_stopped(l))
            return sl_latch_stop_error(l, err);
        int rc = sl_zk_wait_connected(l->zk, sl_latch_slice_ms(l, deadline), err);
        if (rc != SL_EZK_RETRY || deadline - sl_latch_now() <= 0)
            return rc;
    }
}

static int sl_latch_join(struct sl_latch *l, double deadline, struct sl_error *err)
{
    int64_t session = sl_zk_session_id(l->zk);
    if (session != l->session || !l->token[0]) {
        /* a new session: whatever the old one created went with it; a new token */
        l->session = session;
        sl_latch_new_token(l);
    }
    char host[64] = "?";
    gethostname(host, sizeof(host) - 1);
    if (l->data[0])
        snprintf(l->ident, sizeof(l->ident), "%s", l->data);
    else
        snprintf(l->ident, sizeof(l->ident), "%s %ld %016" PRIx64, host, (long)getpid(),
                 (uint64_t)session);
    int rc = sl_zk_ensure(l->zk, l->dir, err);
    if (rc)
        return rc;
    char prefix[SL_ZK_PATH_MAX];
    snprintf(prefix, sizeof(prefix), "%s/%s", l->dir, l->token);
    for (;;) {
        l->node[0] = '\0';
        if (l->lost) { /* an earlier create with this token may have landed */
            rc = sl_latch_find_own(l, err);
            if (rc || l->node[0])
                return rc;
        }
        rc = sl_zk_create(l->zk, prefix, l->ident, strlen(l->ident),
                          SL_ZK_EPHEMERAL | SL_ZK_SEQUENTIAL, l->node, sizeof(l->node), err);
        if (rc != SL_EZK_RETRY)
            return rc;
        l->node[0] = '\0';
        l->lost = true;
        rc = sl_latch_wait_connected(l, deadline, err);
        if (rc)
            return rc;
    }
}

int sl_latch_acquire(struct sl_latch *l, int timeout_ms, struct sl_error *err)
{
    double deadline = timeout_ms < 0 ? 1e300 : sl_latch_now() + timeout_ms / 1000.0;
    l->leader = false;
    if (sl_zk_expired(l->zk)) {
        l->node[0] = '\0';
        return sl_error_set(err, SL_EFENCED, "latch %s: ZooKeeper session expired", l->dir);
    }
    if (l->node[0] && l->session != sl_zk_session_id(l->zk))
        l->node[0] = '\0'; /* made by an earlier session (sl_zk_reopen): gone with it */
    if (sl_latch_stopped(l))
        return sl_latch_stop_error(l, err);
    int rc = 0;
    if (!l->node[0] && (rc = sl_latch_join(l, deadline, err)) != 0)
        return rc;
    const char *own = strrchr(l->node, '/') + 1;
    for (;;) {
        if (sl_latch_stopped(l)) /* the node stays: the caller releases it */
            return sl_latch_stop_error(l, err);
        uint64_t seen = sl_zk_events(l->zk);
        char **names;
        size_t n;
        rc = sl_latch_list(l, &names, &n, err);
        if (rc == SL_EZK_RETRY) {
            double left = deadline - sl_latch_now();
            if (left <= 0)
                return sl_error_set(err, SL_ETIMEOUT, "latch %s: ZooKeeper unreachable", l->dir);
            rc = sl_latch_wait_connected(l, deadline, err);
            if (rc == SL_EZK_RETRY)
                continue;
        }
        if (rc == SL_EFENCED)
            l->node[0] = '\0';
        if (rc)
            return rc;
        /* in sequence order: the line */
        size_t me = n;
        for (size_t i = 0; i < n; i++)
            if (strcmp(names[i], own) == 0)
                me = i;
        if (l->lost && me < n) {
            /* a late landing of a lost create: out of the line, and look again */
            size_t tl = strlen(l->token), dups = 0;
            for (size_t i = 0; i < n; i++)
                dups += i != me && strncmp(names[i], l->token, tl) == 0;
            if (dups > 0) {
                rc = sl_latch_sweep(l, names, n, own, err);
                sl_zk_names_free(names, n);
                if (rc == SL_EZK_RETRY) {
                    double left = deadline - sl_latch_now();
                    if (left <= 0)
                        return sl_error_set(err, SL_ETIMEOUT, "latch %s: ZooKeeper unreachable",
                                            l->dir);
                    rc = sl_latch_wait_connected(l, deadline, err);
                }
                if (rc && rc != SL_EZK_RETRY)
                    return rc;
                continue;
            }
        }
        char pred[SL_ZK_PATH_MAX] = "";
        if (me < n && me > 0 && l->group[0]) {
            /* a group: the nearest node before this one that is not a peer is what it
             * waits for; peers before it do not count (their data start with the group) */
            size_t gl = strlen(l->group);
            for (size_t i = me; i-- > 0 && !pred[0] && !rc;) {
                char p[SL_ZK_PATH_MAX], buf[160];
                size_t len = 0;
                snprintf(p, sizeof(p), "%s/%s", l->dir, names[i]);
                rc = sl_zk_get(l->zk, p, buf, sizeof(buf) - 1, &len, NULL, err);
                if (rc == SL_ENOTFOUND || rc == SL_EFULL) { /* gone meanwhile; long: not a peer */
                    if (rc == SL_EFULL)
                        snprintf(pred, sizeof(pred), "%s", p);
                    rc = 0;
                    continue;
                }
                if (!rc && (len < gl || memcmp(buf, l->group, gl) != 0))
                    snprintf(pred, sizeof(pred), "%s", p);
            }
            if (rc) {
                sl_zk_names_free(names, n);
                if (rc != SL_EZK_RETRY)
                    return rc;
                double left = deadline - sl_latch_now();
                if (left <= 0)
                    return sl_error_set(err, SL_ETIMEOUT, "latch %s: ZooKeeper unreachable",
                                        l->dir);
                if ((rc = sl_latch_wait_connected(l, deadline, err)) != 0 && rc != SL_EZK_RETRY)
                    return rc;
                continue;
            }
            if (!pred[0])
                me = 0; /* only peers before it: it holds, with them */
        } else if (me < n && me > 0) {
            snprintf(pred, sizeof(pred), "%s/%s", l->dir, names[me - 1]);
        }
        sl_zk_names_free(names, n);
        if (me == n) {
            /* deleted by someone else while the session lives on (an operator fencing this
             * process): join again, at the back of the line */
            l->node[0] = '\0';
            if ((rc = sl_latch_join(l, deadline, err)) != 0)
                return rc;
            own = strrchr(l->node, '/') + 1;
            continue;
        }
        if (me == 0) {
            l->leader = true;
            return 0;
        }
        bool exists;
        rc = sl_zk_exists(l->zk, pred, true, &exists, err);
        if (rc && rc != SL_EZK_RETRY)
            return rc;
        if (rc == 0 && !exists)
            continue;
        double left = deadline - sl_latch_now();
        if (left <= 0)
            return sl_error_set(err, SL_ETIMEOUT, "latch %s: still a standby behind %s", l->dir,
                                pred);
        /* also wake now and then: a watch lost with a connection is set again on the next
         * round; and a stop flag is looked at every SL_LATCH_STOP_POLL_MS (the top of the
         * loop), without asking ZooKeeper anything until the watch fires or a second passed */
        double until = sl_latch_now() + (left > 1.0 ? 1.0 : left);
        do {
            int ms = sl_latch_slice_ms(l, until);
            sl_zk_wait_event(l->zk, seen, ms < 0 ? 1000 : ms);
        } while (sl_zk_events(l->zk) == seen && !sl_latch_stopped(l) && sl_latch_now() < until);
    }
}

void sl_latch_set_data(struct sl_latch *l, const char *data)
{
    snprintf(l->data, sizeof(l->data), "%s", data ? data : "");
}

void sl_latch_set_group(struct sl_latch *l, const char *group)
{
    snprintf(l->group, sizeof(l->group), "%s", group ? group : "");
}

bool sl_latch_is_leader(const struct sl_latch *l)
{
    return l->leader;
}

const char *sl_latch_node(const struct sl_latch *l)
{
    return l->node;
}

int sl_latch_release(struct sl_latch *l, struct sl_error *err)
{
    l->leader = false;
    int rc = 0;
    if (l->node[0]) {
        /* A lost connection (or an operation timeout while the client reconnects) is
         * waited out and the delete sent again: deleting is idempotent (NoNode when the
         * first one landed), and a node left behind would hold the line until the session
         * expires. */
        for (int tries = 0;; tries++) {
            rc = sl_zk_delete(l->zk, l->node, -1, err);
            if (rc == SL_ENOTFOUND)
                rc = 0;
            if (rc != SL_EZK_RETRY || tries >= 20)
                break;
            rc = sl_zk_wait_connected(l->zk, 500, err);
            if (rc != 0 && rc != SL_EZK_RETRY)
                break;
        }
        if (rc)
            return rc;
        l->node[0] = '\0';
    }
    if (l->lost && l->session == sl_zk_session_id(l->zk)) {
        /* a lost create with this token may have landed unseen: leave none behind */
        char **names;
        size_t n;
        if ((rc = sl_latch_list(l, &names, &n, err)) != 0)
            return rc;
        rc = sl_latch_sweep(l, names, n, NULL, err);
        sl_zk_names_free(names, n);
        if (rc)
            return rc;
    }
    return 0; /* the token stays: a late landing is still recognised after joining again */
}

void sl_latch_free(struct sl_latch *l)
{
    if (!l)
        return;
    if (!sl_zk_expired(l->zk))
        sl_latch_release(l, NULL);
    free(l);
}
