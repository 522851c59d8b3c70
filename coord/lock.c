/*
 * coord/lock.c - the ZooKeeper lock (see lock.h): a leader latch whose leader is the holder,
 * plus what a holder needs to know that it still holds it.
 */
#include "coord/lock.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coord/latch.h"

/* How long sl_lock_check asks again while ZooKeeper cannot be reached. */
#define SL_LOCK_CHECK_PATIENCE_MS 60000

struct sl_lock {
    struct sl_zk *zk;
    struct sl_latch *latch;
    char path[SL_ZK_PATH_MAX / 2];
    int64_t session;   /* the session the lock was acquired in */
    _Atomic bool held; /* acquired and not released (the session may have expired since) */
    bool lost;         /* the session expired, or the node was found gone: for good */
};

int sl_lock_new(struct sl_zk *zk, const char *path, const char *owner, struct sl_lock **out,
                struct sl_error *err)
{
    if (!owner || strlen(owner) > 120 || strchr(owner, '\n'))
        return sl_error_set(err, SL_EINVAL, "lock %s: bad owner text", path);
    struct sl_lock *l = calloc(1, sizeof(*l));
    if (!l)
        return sl_error_set(err, SL_ENOMEM, "lock: out of memory");
    l->zk = zk;
    int rc = sl_latch_new(zk, path, &l->latch, err);
    if (rc) {
        free(l);
        return rc;
    }
    sl_latch_set_data(l->latch, owner);
    snprintf(l->path, sizeof(l->path), "%s", path);
    *out = l;
    return 0;
}

int sl_lock_holder(struct sl_lock *l, char *buf, size_t cap, struct sl_error *err)
{
    buf[0] = '\0';
    char **names;
    size_t n;
    int rc = sl_zk_children(l->zk, l->path, &names, &n, err);
    if (rc == SL_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    /* the lowest sequence number: the digits after the last '-' */
    const char *first = NULL;
    long long best = LLONG_MAX;
    for (size_t i = 0; i < n; i++) {
        const char *d = strrchr(names[i], '-');
        long long seq = d ? strtoll(d + 1, NULL, 10) : LLONG_MAX;
        if (seq < best) {
            best = seq;
            first = names[i];
        }
    }
    if (first) {
        char p[SL_ZK_PATH_MAX];
        size_t len = 0;
        snprintf(p, sizeof(p), "%s/%s", l->path, first);
        rc = sl_zk_get(l->zk, p, buf, cap - 1, &len, NULL, err);
        if (rc == SL_ENOTFOUND || rc == SL_EFULL) /* gone meanwhile; or long: cut */
            len = rc == SL_EFULL ? cap - 1 : 0, rc = 0;
        buf[rc ? 0 : len] = '\0';
    }
    sl_zk_names_free(names, n);
    return rc;
}

int sl_lock_acquire(struct sl_lock *l, int timeout_ms, struct sl_error *err)
{
    if (l->lost || sl_zk_expired(l->zk)) {
        l->lost = true;
        atomic_store(&l->held, false);
        return sl_error_set(err, SL_EFENCED, "lock %s: the ZooKeeper session expired", l->path);
    }
    if (atomic_load(&l->held))
        return 0;
    int rc = sl_latch_acquire(l->latch, timeout_ms, err);
    if (rc == 0) {
        l->session = sl_zk_session_id(l->zk);
        atomic_store(&l->held, true);
        return 0;
    }
    if (rc == SL_EFENCED)
        l->lost = true;
    if (rc == SL_ETIMEOUT) {
        char holder[128] = "";
        struct sl_error e;
        sl_error_clear(&e);
        sl_lock_holder(l, holder, sizeof(holder), &e);
        return sl_error_set(err, SL_ETIMEOUT, "lock %s: held by '%s' (waited %d ms)", l->path,
                            holder[0] ? holder : "?", timeout_ms);
    }
    if (rc == SL_ESTOPPED)
        return sl_error_set(err, SL_ESTOPPED, "lock %s: stopped while waiting for it", l->path);
    return rc;
}

void sl_lock_set_group(struct sl_lock *l, const char *group)
{
    sl_latch_set_group(l->latch, group);
}

void sl_lock_set_stop(struct sl_lock *l, const _Atomic int *stop)
{
    sl_latch_set_stop(l->latch, stop);
}

bool sl_lock_held(struct sl_lock *l)
{
    if (!atomic_load(&l->held))
        return false;
    if (sl_zk_expired(l->zk)) {
        atomic_store(&l->held, false);
        return false;
    }
    return true;
}

int sl_lock_check(struct sl_lock *l, struct sl_error *err)
{
    if (!atomic_load(&l->held) || l->lost)
        return sl_error_set(err, SL_EFENCED, "lock %s: not held", l->path);
    if (sl_zk_expired(l->zk) || sl_zk_session_id(l->zk) != l->session) {
        l->lost = true;
        atomic_store(&l->held, false);
        return sl_error_set(err, SL_EFENCED,
                            "lock %s: lost (the ZooKeeper session that held it expired)", l->path);
    }
    struct sl_zk_stat st = {0};
    char buf[256]; /* the owner's text: at most 120 bytes */
    size_t len;
    /* ZooKeeper unreachable for a while (restarted, a network blip) says nothing about the
     * lock: the session, and with it the node, lives on until it expires. Ask again once
     * connected, as the commit store does, for at most SL_LOCK_CHECK_PATIENCE_MS. */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc;
    for (;;) {
        rc = sl_zk_get(l->zk, sl_latch_node(l->latch), buf, sizeof(buf), &len, &st, err);
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t ms =
            (int64_t)(now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (rc != SL_EZK_RETRY || sl_zk_expired(l->zk) || ms >= SL_LOCK_CHECK_PATIENCE_MS)
            break;
        struct sl_error e2;
        sl_zk_wait_connected(l->zk, 500, &e2);
    }
    if (sl_zk_expired(l->zk) || sl_zk_session_id(l->zk) != l->session) {
        l->lost = true;
        atomic_store(&l->held, false);
        return sl_error_set(err, SL_EFENCED,
                            "lock %s: lost (the ZooKeeper session that held it expired)", l->path);
    }
    if (rc == SL_ENOTFOUND || (rc == 0 && st.ephemeral_owner != l->session)) {
        l->lost = true;
        atomic_store(&l->held, false);
        return sl_error_set(err, SL_EFENCED, "lock %s: lost (its node %s is gone)", l->path,
                            sl_latch_node(l->latch));
    }
    if (rc == SL_EFENCED) {
        l->lost = true;
        atomic_store(&l->held, false);
    }
    return rc;
}

const char *sl_lock_node(const struct sl_lock *l)
{
    return sl_latch_node(l->latch);
}

int sl_lock_release(struct sl_lock *l, struct sl_error *err)
{
    atomic_store(&l->held, false);
    if (sl_zk_expired(l->zk))
        return 0; /* the node went with the session */
    return sl_latch_release(l->latch, err);
}

void sl_lock_free(struct sl_lock *l)
{
    if (!l)
        return;
    atomic_store(&l->held, false);
    sl_latch_free(l->latch);
    free(l);
}

int sl_lock_fs_path(const char *folder, char *out, size_t cap, struct sl_error *err)
{
    char real[PATH_MAX];
    if (!realpath(folder, real))
        return sl_error_set(err, SL_EIO, "lock: folder '%s': %s", folder, strerror(errno));
    static const char hex[] = "0123456789ABCDEF";
    size_t n = (size_t)snprintf(out, cap, "/fs/");
    for (const unsigned char *c = (const unsigned char *)real; *c; c++) {
        bool plain = *c > 0x20 && *c < 0x7f && *c != '%' && *c != '/';
        if (n + 4 >= cap)
            return sl_error_set(err, SL_ERANGE, "lock: folder '%s': the path is too long", real);
        if (plain) {
            out[n++] = (char)*c;
        } else {
            out[n++] = '%';
            out[n++] = hex[*c >> 4];
            out[n++] = hex[*c & 15];
        }
    }
    out[n] = '\0';
    return 0;
}
