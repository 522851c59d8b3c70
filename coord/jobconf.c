/*
 * coord/jobconf.c - the settings node and the member nodes of a job (see jobconf.h).
 *
 * Both are small text nodes written whole. The settings' read-modify-write is an
 * optimistic loop: read (data and version), change the pairs in memory, then either a
 * versioned set (one SET operation through sl_zk_multi, which returns the new version) or,
 * for an absent node, a create; BadVersion / NodeExists / NoNode mean another writer came
 * first, and the loop reads again. An unknown outcome (SL_EZK_RETRY) is returned as is:
 * the caller reads back (`sluice config get`).
 */
#include "coord/jobconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the settings node ------------------------------------------------------------------- */

void sl_jobconf_free(struct sl_jobconf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->keys[i]);
        free(c->values[i]);
    }
    free(c->keys);
    free(c->values);
    memset(c, 0, sizeof(*c));
    c->version = -1;
}

const char *sl_jobconf_get(const struct sl_jobconf *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->keys[i], key) == 0)
            return c->values[i];
    return NULL;
}

/* Sets (value != NULL) or removes key in c, keeping the keys sorted; SL_ENOMEM. */
static int sl_jobconf_put(struct sl_jobconf *c, const char *key, const char *value)
{
    size_t i = 0;
    while (i < c->n && strcmp(c->keys[i], key) < 0)
        i++;
    bool here = i < c->n && strcmp(c->keys[i], key) == 0;
    if (!value) {
        if (here) {
            free(c->keys[i]);
            free(c->values[i]);
            memmove(c->keys + i, c->keys + i + 1, (c->n - i - 1) * sizeof(*c->keys));
            memmove(c->values + i, c->values + i + 1, (c->n - i - 1) * sizeof(*c->values));
            c->n--;
        }
        return 0;
    }
    char *v = strdup(value);
    if (!v)
        return SL_ENOMEM;
    if (here) {
        free(c->values[i]);
        c->values[i] = v;
        return 0;
    }
    char *k = strdup(key);
    char **nk = realloc(c->keys, (c->n + 1) * sizeof(*nk));
    if (nk)
        c->keys = nk;
    char **nv = nk ? realloc(c->values, (c->n + 1) * sizeof(*nv)) : NULL;
    if (nv)
        c->values = nv;
    if (!k || !nk || !nv) {
        free(k);
        free(v);
        return SL_ENOMEM;
    }
    memmove(c->keys + i + 1, c->keys + i, (c->n - i) * sizeof(*c->keys));
    memmove(c->values + i + 1, c->values + i, (c->n - i) * sizeof(*c->values));
    c->keys[i] = k;
    c->values[i] = v;
    c->n++;
    return 0;
}

int sl_jobconf_decode(const char *buf, size_t len, struct sl_jobconf *out, struct sl_error *err)
{
    out->n = 0;
    out->keys = out->values = NULL;
    size_t pos = 0;
    int line = 0;
    char key[SL_JOBCONF_KEY_MAX], value[SL_JOBCONF_VALUE_MAX];
    while (pos < len) {
        line++;
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        const char *eq = memchr(buf + pos, '=', end - pos);
        size_t kl = eq ? (size_t)(eq - (buf + pos)) : 0;
        size_t vl = eq ? end - pos - kl - 1 : 0;
        if (!eq || kl == 0 || kl >= sizeof(key) || vl >= sizeof(value) ||
            memchr(buf + pos, '\0', end - pos)) {
            sl_jobconf_free(out);
            return sl_error_set(err, SL_ECORRUPT,
                                "settings node, line %d: not 'key=value' (a key of 1 to %d "
                                "bytes, a value of at most %d)",
                                line, SL_JOBCONF_KEY_MAX - 1, SL_JOBCONF_VALUE_MAX - 1);
        }
        memcpy(key, buf + pos, kl);
        key[kl] = '\0';
        memcpy(value, eq + 1, vl);
        value[vl] = '\0';
        if (sl_jobconf_put(out, key, value)) {
            sl_jobconf_free(out);
            return sl_error_set(err, SL_ENOMEM, "out of memory reading the settings node");
        }
        pos = end + 1;
    }
    return 0;
}

int sl_jobconf_encode(const struct sl_jobconf *c, char *buf, size_t cap, size_t *len,
                      struct sl_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        const char *k = c->keys[i], *v = c->values[i];
        size_t kl = strlen(k), vl = strlen(v);
        if (!kl || kl >= SL_JOBCONF_KEY_MAX || strpbrk(k, "=\n") || vl >= SL_JOBCONF_VALUE_MAX ||
            strchr(v, '\n'))
            return sl_error_set(err, SL_EINVAL,
                                "setting '%.100s': a key of 1 to %d bytes without '=' or a "
                                "newline, a value of at most %d bytes without a newline",
                                k, SL_JOBCONF_KEY_MAX - 1, SL_JOBCONF_VALUE_MAX - 1);
        if (n + kl + vl + 2 > cap)
            return sl_error_set(err, SL_ERANGE, "the job's settings would exceed %zu bytes", cap);
        memcpy(buf + n, k, kl);
        buf[n + kl] = '=';
        memcpy(buf + n + kl + 1, v, vl);
        buf[n + kl + 1 + vl] = '\n';
        n += kl + vl + 2;
    }
    *len = n;
    return 0;
}

int sl_jobconf_read(struct sl_zk *zk, const char *job, bool watch, struct sl_jobconf *out,
                    struct sl_error *err)
{
    memset(out, 0, sizeof(*out));
    out->version = -1;
    char path[SL_ZK_PATH_MAX];
    snprintf(path, sizeof(path), "/%s/settings", job);
    if (watch) {
        bool exists;
        int rc = sl_zk_exists(zk, path, true, &exists, err);
        if (rc)
            return rc;
    }
    char *buf = malloc(SL_JOBCONF_MAX);
    if (!buf)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    size_t len = 0;
    struct sl_zk_stat st;
    int rc = sl_zk_get(zk, path, buf, SL_JOBCONF_MAX, &len, &st, err);
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        free(buf);
        return 0;
    }
    if (!rc)
        rc = sl_jobconf_decode(buf, len, out, err);
    free(buf);
    if (rc)
        return rc;
    out->exists = true;
    out->version = st.version;
    out->mzxid = st.mzxid;
    return 0;
}

int sl_jobconf_update(struct sl_zk *zk, const char *job, const char *key, const char *value,
                      int32_t *version, bool *changed, struct sl_error *err)
{
    char path[SL_ZK_PATH_MAX], dir[SL_ZK_PATH_MAX];
    snprintf(path, sizeof(path), "/%s/settings", job);
    snprintf(dir, sizeof(dir), "/%s", job);
    char *buf = malloc(SL_JOBCONF_MAX);
    if (!buf)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int rc = sl_zk_ensure(zk, dir, err);
    for (int attempt = 0; !rc; attempt++) {
        struct sl_jobconf c;
        if ((rc = sl_jobconf_read(zk, job, false, &c, err)) != 0)
            break;
        const char *old = sl_jobconf_get(&c, key);
        bool same = value ? old && strcmp(old, value) == 0 : !old;
        if (changed)
            *changed = !same;
        if (same) {
            if (version)
                *version = c.version;
            sl_jobconf_free(&c);
            break;
        }
        size_t len = 0;
        if (sl_jobconf_put(&c, key, value))
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        else
            rc = sl_jobconf_encode(&c, buf, SL_JOBCONF_MAX, &len, err);
        if (!rc && !c.exists) {
            rc = sl_zk_create(zk, path, buf, len, 0, NULL, 0, err);
            if (!rc && version)
                *version = 0;
        } else if (!rc) {
            struct sl_zk_op op = {
                .type = SL_ZK_OP_SET, .path = path, .data = buf, .len = len, .version = c.version};
            int failed;
            rc = sl_zk_multi(zk, &op, 1, &failed, err);
            if (!rc && version)
                *version = op.new_version;
        }
        sl_jobconf_free(&c);
        /* another writer came first (BadVersion, NodeExists) or removed the node: again */
        if ((rc == SL_ESTATE || rc == SL_ENOTFOUND) && attempt < 100) {
            sl_error_clear(err);
            rc = 0;
            continue;
        }
        break;
    }
    free(buf);
    return rc;
}

/* ---- members ----------------------------------------------------------------------------- */

static void sl_member_path(const char *job, const struct sl_member *m, char *path, size_t cap)
{
    snprintf(path, cap, "/%s/members/%s", job, m->name);
}

static size_t sl_member_encode(const struct sl_member *m, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "host %s\npid %" PRId64 "\ncores %" PRId64 "\nworkers %" PRId64
                     "\nmetrics %s\nstarted %" PRId64 "\nrole %s\nsession %" PRIx64 "\n",
                     m->host, m->pid, m->cores, m->workers, m->metrics, m->started_ms, m->role,
                     (uint64_t)m->session);
    if (n >= 0 && (size_t)n < cap && m->cluster_w > 0)
        n += snprintf(buf + n, cap - (size_t)n, "cluster %" PRId64 " %" PRId64 " %" PRId64 " %s\n",
                      m->cluster_w, m->cluster_lo, m->cluster_hi,
                      m->fingerprint[0] ? m->fingerprint : "-");
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* Copies a line's text (up to the newline) into dst[cap], cut to fit. */
static void sl_member_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

void sl_member_decode(const char *buf, size_t len, struct sl_member *m)
{
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        const char *sp = memchr(buf + pos, ' ', end - pos);
        if (sp) {
            size_t kl = (size_t)(sp - (buf + pos));
            const char *v = sp + 1;
            size_t vl = end - (size_t)(v - buf);
            char num[32];
            sl_member_text(num, sizeof(num), v, vl);
#define SL_MKEY(name) (kl == sizeof(name) - 1 && !memcmp(buf + pos, name, kl))
            if (SL_MKEY("host"))
                sl_member_text(m->host, sizeof(m->host), v, vl);
            else if (SL_MKEY("metrics"))
                sl_member_text(m->metrics, sizeof(m->metrics), v, vl);
            else if (SL_MKEY("role"))
                sl_member_text(m->role, sizeof(m->role), v, vl);
            else if (SL_MKEY("pid"))
                m->pid = strtoll(num, NULL, 10);
            else if (SL_MKEY("cores"))
                m->cores = strtoll(num, NULL, 10);
            else if (SL_MKEY("workers"))
                m->workers = strtoll(num, NULL, 10);
            else if (SL_MKEY("started"))
                m->started_ms = strtoll(num, NULL, 10);
            else if (SL_MKEY("session"))
                m->session = (int64_t)strtoull(num, NULL, 16);
            else if (SL_MKEY("cluster")) {
                char line[96], fp[20] = "";
                long long cw = 0, clo = 0, chi = 0;
                sl_member_text(line, sizeof(line), v, vl);
                if (sscanf(line, "%lld %lld %lld %19s", &cw, &clo, &chi, fp) >= 3) {
                    m->cluster_w = cw;
                    m->cluster_lo = clo;
                    m->cluster_hi = chi;
                    snprintf(m->fingerprint, sizeof(m->fingerprint), "%s", fp);
                }
            }
#undef SL_MKEY
        }
        pos = end + 1;
    }
}

int sl_member_join(struct sl_zk *zk, const char *job, struct sl_member *m, struct sl_error *err)
{
    char host[64];
    size_t k = 0;
    for (const char *h = m->host; *h && k < sizeof(host) - 1; h++)
        host[k++] =
            strchr("._-", *h) || (*h >= '0' && *h <= '9') || ((*h | 32) >= 'a' && (*h | 32) <= 'z')
                ? *h
                : '_';
    host[k] = '\0';
    snprintf(m->name, sizeof(m->name), "m-%s-%" PRId64, host, m->pid);
    m->session = sl_zk_session_id(zk);
    char dir[SL_ZK_PATH_MAX], path[SL_ZK_PATH_MAX], buf[1024];
    snprintf(dir, sizeof(dir), "/%s/members", job);
    sl_member_path(job, m, path, sizeof(path));
    size_t len = sl_member_encode(m, buf, sizeof(buf));
    int rc = sl_zk_ensure(zk, dir, err);
    if (rc)
        return rc;
    rc = sl_zk_create(zk, path, buf, len, SL_ZK_EPHEMERAL, NULL, 0, err);
    if (rc == SL_ESTATE) { /* an earlier session's node (expiring), or a lost create's */
        sl_error_clear(err);
        rc = sl_zk_delete(zk, path, -1, err);
        if (rc == SL_ENOTFOUND) {
            sl_error_clear(err);
            rc = 0;
        }
        if (!rc)
            rc = sl_zk_create(zk, path, buf, len, SL_ZK_EPHEMERAL, NULL, 0, err);
    }
    return rc;
}

int sl_member_update(struct sl_zk *zk, const char *job, const struct sl_member *m,
                     struct sl_error *err)
{
    char path[SL_ZK_PATH_MAX], buf[1024];
    sl_member_path(job, m, path, sizeof(path));
    size_t len = sl_member_encode(m, buf, sizeof(buf));
    struct sl_zk_op op = {
        .type = SL_ZK_OP_SET, .path = path, .data = buf, .len = len, .version = -1};
    int failed;
    return sl_zk_multi(zk, &op, 1, &failed, err);
}

int sl_member_leave(struct sl_zk *zk, const char *job, const struct sl_member *m,
                    struct sl_error *err)
{
    char path[SL_ZK_PATH_MAX];
    sl_member_path(job, m, path, sizeof(path));
    int rc = sl_zk_delete(zk, path, -1, err);
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        rc = 0;
    }
    return rc;
}

int sl_member_list(struct sl_zk *zk, const char *job, struct sl_member **out, size_t *n,
                   struct sl_error *err)
{
    *out = NULL;
    *n = 0;
    char dir[SL_ZK_PATH_MAX];
    snprintf(dir, sizeof(dir), "/%s/members", job);
    char **names = NULL;
    size_t nn = 0;
    int rc = sl_zk_children(zk, dir, &names, &nn, err);
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        return 0;
    }
    if (rc)
        return rc;
    struct sl_member *ms = calloc(nn ? nn : 1, sizeof(*ms));
    if (!ms) {
        sl_zk_names_free(names, nn);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < nn && !rc; i++) {
        char path[2 * SL_ZK_PATH_MAX], buf[1024];
        size_t len = 0;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        rc = sl_zk_get(zk, path, buf, sizeof(buf), &len, NULL, err);
        if (rc == SL_ENOTFOUND) { /* left meanwhile */
            sl_error_clear(err);
            rc = 0;
            continue;
        }
        if (rc)
            break;
        sl_member_text(ms[k].name, sizeof(ms[k].name), names[i], strlen(names[i]));
        sl_member_decode(buf, len, &ms[k]);
        k++;
    }
    sl_zk_names_free(names, nn);
    if (rc) {
        free(ms);
        return rc;
    }
    *out = ms;
    *n = k;
    return 0;
}
