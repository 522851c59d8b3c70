/*
 * coord/latch.c - leader latch (see latch.h).
 *
 * A create that fails with connection loss may still have created the node: ZooKeeper's
 * recipe finds it again by a unique name part. Here the node's data names the process and
 * the session ("host pid session"), and after a lost create the latch lists the children and
 * adopts the one carrying its own session id, so a retry never leaves an orphan node that
 * would sit in the line ahead of everyone until the session ends.
 */
#include "coord/latch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sl_latch {
    struct sl_zk *zk;
    char dir[SL_ZK_PATH_MAX / 2];
    char node[SL_ZK_PATH_MAX]; /* "" before joining */
    char ident[128];           /* the node's data */
    int64_t session;           /* the session that created node */
    bool leader;
};

static double sl_latch_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int sl_latch_new(struct sl_zk *zk, const char *dir, struct sl_latch **out,
                 struct sl_error *err)
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

/* Finds a child of the latch directory whose data is this session's ident (after a create
 * whose answer was lost). */
static int sl_latch_find_own(struct sl_latch *l, struct sl_error *err)
{
    char **names;
    size_t n;
    int rc = sl_zk_children(l->zk, l->dir, &names, &n, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !l->node[0]; i++) {
        char path[SL_ZK_PATH_MAX], data[sizeof(l->ident)];
        size_t len;
        snprintf(path, sizeof(path), "%s/%s", l->dir, names[i]);
        if (sl_zk_get(l->zk, path, data, sizeof(data) - 1, &len, NULL, NULL) == 0) {
            data[len] = '\0';
            if (strcmp(data, l->ident) == 0)
                strcpy(l->node, path);
        }
    }
    sl_zk_names_free(names, n);
    return 0;
}

static int sl_latch_join(struct sl_latch *l, double deadline, struct sl_error *err)
{
    char host[64] = "?";
    gethostname(host, sizeof(host) - 1);
    snprintf(l->ident, sizeof(l->ident), "%s %ld %016" PRIx64, host, (long)getpid(),
             (uint64_t)sl_zk_session_id(l->zk));
    int rc = sl_zk_ensure(l->zk, l->dir, err);
    if (rc)
        return rc;
    char prefix[SL_ZK_PATH_MAX];
    snprintf(prefix, sizeof(prefix), "%s/n-", l->dir);
    l->session = sl_zk_session_id(l->zk);
    for (;;) {
        rc = sl_zk_create(l->zk, prefix, l->ident, strlen(l->ident),
                          SL_ZK_EPHEMERAL | SL_ZK_SEQUENTIAL, l->node, sizeof(l->node), err);
        if (rc != SL_EZK_RETRY)
            return rc;
        l->node[0] = '\0';
        double left = deadline - sl_latch_now();
        rc = sl_zk_wait_connected(l->zk, left < 0 ? 0 : (int)(left * 1000), err);
        if (rc)
            return rc;
        rc = sl_latch_find_own(l, err);
        if (rc || l->node[0])
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
    int rc = 0;
    if (!l->node[0] && (rc = sl_latch_join(l, deadline, err)) != 0)
        return rc;
    const char *own = strrchr(l->node, '/') + 1;
    for (;;) {
        uint64_t seen = sl_zk_events(l->zk);
        char **names;
        size_t n;
        rc = sl_zk_children(l->zk, l->dir, &names, &n, err);
        if (rc == SL_EZK_RETRY) {
            double left = deadline - sl_latch_now();
            if (left <= 0)
                return sl_error_set(err, SL_ETIMEOUT, "latch %s: ZooKeeper unreachable",
                                    l->dir);
            rc = sl_zk_wait_connected(l->zk, left > 1e6 ? -1 : (int)(left * 1000), err);
            if (rc == SL_EZK_RETRY)
                continue;
        }
        if (rc == SL_EFENCED)
            l->node[0] = '\0';
        if (rc)
            return rc;
        /* names are sorted and sequence numbers are zero-padded: the order is the line */
        size_t me = n;
        for (size_t i = 0; i < n; i++)
            if (strcmp(names[i], own) == 0)
                me = i;
        char pred[SL_ZK_PATH_MAX] = "";
        if (me < n && me > 0)
            snprintf(pred, sizeof(pred), "%s/%s", l->dir, names[me - 1]);
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
            return sl_error_set(err, SL_ETIMEOUT, "latch %s: still a standby behind %s",
                                l->dir, pred);
        /* also wake now and then: a watch lost with a connection is set again on the next
         * round */
        sl_zk_wait_event(l->zk, seen, left > 1.0 ? 1000 : (int)(left * 1000) + 1);
    }
}

bool sl_latch_is_leader(const struct sl_latch *l) { return l->leader; }

const char *sl_latch_node(const struct sl_latch *l) { return l->node; }

int sl_latch_release(struct sl_latch *l, struct sl_error *err)
{
    l->leader = false;
    if (!l->node[0])
        return 0;
    int rc = sl_zk_delete(l->zk, l->node, -1, err);
    if (rc == SL_ENOTFOUND)
        rc = 0;
    if (rc == 0)
        l->node[0] = '\0';
    return rc;
}

void sl_latch_free(struct sl_latch *l)
{
    if (!l)
        return;
    if (!sl_zk_expired(l->zk))
        sl_latch_release(l, NULL);
    free(l);
}
