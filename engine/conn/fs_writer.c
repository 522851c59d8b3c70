/*
 * engine/conn/fs_writer.c - the part-file protocol of the 'filesystem' sink, one folder at a
 * time (the names, rolling, commit and recovery are described in fs_writer.h; the sinks that
 * use it are filesystem.c and fs_partition.c).
 */
#include "engine/conn/fs_writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/conn/fs_partition.h"
#include "engine/core/durable.h"
#include "engine/core/fault.h"
#include "engine/core/log.h"
#include "engine/plan/catalog.h"
#include "engine/plan/settings.h"

#define FSW_DRAIN (1u << 20) /* encoded bytes buffered before they are written out */

const char *const sl_fsw_option_keys[] = {"sink.rolling-policy.file-size",
                                          "sink.rolling-policy.rollover-interval",
                                          "sink.rolling-policy.check-interval",
                                          "sink.rolling-policy.inactivity-interval",
                                          "sluice.lock-timeout",
                                          NULL};

/* ---- options ------------------------------------------------------------------------------- */

int sl_fs_scan_unit(const char *value, const char *const *units, size_t nunits, uint64_t cap,
                    uint64_t *v, bool *big)
{
    const char *s = value;
    while (*s == ' ')
        s++;
    bool digits = false;
    *v = 0;
    *big = false;
    for (; *s >= '0' && *s <= '9'; s++, digits = true) {
        *big |= *v > cap;
        *v = *big ? *v : *v * 10 + (uint64_t)(*s - '0');
    }
    while (*s == ' ')
        s++;
    size_t ul = strlen(s);
    while (ul && s[ul - 1] == ' ')
        ul--;
    int unit = -1;
    for (size_t i = 0; digits && i < nunits; i++)
        if (strlen(units[i]) == ul && strncasecmp(s, units[i], ul) == 0)
            unit = (int)i;
    return unit;
}

int sl_fsw_opt_duration(const struct sl_table *t, const struct sl_connector_env *env,
                        const char *key, int64_t dflt, int64_t *out, struct sl_error *err)
{
    static const char *const units[] = {
        "",     "ms",     "milli",   "millis", "millisecond", "milliseconds", "s",      "sec",
        "secs", "second", "seconds", "m",      "min",         "mins",         "minute", "minutes",
        "h",    "hour",   "hours",   "d",      "day",         "days"};
    static const int64_t ms[] = {
        1,     1,     1,     1,     1,     1,       1000,    1000,    1000,     1000,     1000,
        60000, 60000, 60000, 60000, 60000, 3600000, 3600000, 3600000, 86400000, 86400000, 86400000};
    const struct sl_option *o = sl_conn_opt(t, key);
    if (!o) {
        *out = dflt;
        return 0;
    }
    uint64_t v;
    bool big;
    int unit = sl_fs_scan_unit(o->value, units, sizeof(units) / sizeof(units[0]),
                               INT64_MAX / 1000 / 86400000, &v, &big);
    if (unit < 0 || big)
        return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                              "option '%s': not a duration: '%s' (a number with a unit: ms, s, "
                              "min, h, d)",
                              key, o->value);
    *out = (int64_t)v * ms[unit];
    return 0;
}

int sl_fsw_init(struct sl_fsw *fw, const struct sl_table *t, const struct sl_connector_env *env,
                struct sl_error *err)
{
    fw->ckpt = env->checkpoints;
    fw->wlo = env->cluster ? env->worker_lo : -1;
    fw->whi = env->cluster ? env->worker_hi : -1;
    fw->wall = env->cluster;
    if (pthread_mutex_init(&fw->lock, NULL) != 0)
        return sl_error_set(err, SL_ENOMEM, "out of memory (mutex)");
    if (pthread_mutex_init(&fw->commit_lock, NULL) != 0) {
        pthread_mutex_destroy(&fw->lock);
        return sl_error_set(err, SL_ENOMEM, "out of memory (mutex)");
    }
    fw->locks = true;
    int rc;
    if ((rc = sl_fs_opt_size(t, env, "sink.rolling-policy.file-size", 128ull << 20,
                             &fw->table_roll_size, err)) ||
        (rc = sl_fsw_opt_duration(t, env, "sink.rolling-policy.rollover-interval", 30 * 60000,
                                  &fw->table_roll_interval_ms, err)) ||
        (rc = sl_fsw_opt_duration(t, env, "sink.rolling-policy.check-interval", 60000,
                                  &fw->check_ms, err)) ||
        (rc = sl_fsw_opt_duration(t, env, "sink.rolling-policy.inactivity-interval", 30 * 60000,
                                  &fw->table_inactivity_ms, err)))
        return rc;
    if ((rc = sl_fsw_opt_duration(t, env, "sluice.lock-timeout", 60000, &fw->lock_wait_ms, err)))
        return rc;
    if (env->zk && env->checkpoints) {
        /* a job over several processes writes one folder from each of them (part files
         * named by global worker): they share the lock as one group, the job, and another
         * job waits for all of them (sl_lock_set_group) */
        fw->lock_shared = env->cluster > 0;
        /* the lock's session: the job's ensemble, under /sluice-locks whatever the job's
         * chroot, so that jobs of every chroot see one another's locks */
        const char *slash = strchr(env->zk, '/');
        size_t hl = slash ? (size_t)(slash - env->zk) : strlen(env->zk);
        char host[64] = "?";
        gethostname(host, sizeof(host) - 1);
        fw->lock_connect = malloc(hl + 16);
        fw->lock_owner = malloc(200);
        if (!fw->lock_connect || !fw->lock_owner)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        snprintf(fw->lock_connect, hl + 16, "%.*s/sluice-locks", (int)hl, env->zk);
        snprintf(fw->lock_owner, 200, "job %.32s host %.64s pid %ld",
                 env->job_id ? env->job_id : "?", host, (long)getpid());
        fw->lock_session_ms = env->zk_session_ms;
        fw->lock_stop = env->stop;
    }
    fw->roll_size = fw->table_roll_size;
    fw->roll_interval_ms = fw->table_roll_interval_ms;
    fw->inactivity_ms = fw->table_inactivity_ms;
    /* the job's settings "sluice.sink.<table>.sink.rolling-policy.*" (SET, or the job's
     * settings node in ZooKeeper) win over the table's options */
    for (const char *const *k = sl_fsw_option_keys; *k; k++) {
        const char *v = sl_setting_table_value(env->job, "sink", t->name, *k);
        if (v && (rc = sl_fsw_set_option(fw, *k, v, err)) != 0 && rc != SL_ENOTFOUND)
            return rc;
    }
    return 0;
}

int sl_fsw_lock(struct sl_fsw *fw, struct sl_error *err)
{
    if (!fw->lock_connect || fw->folder_lock)
        return 0;
    char path[SL_ZK_PATH_MAX / 2 - 8];
    struct sl_error e;
    sl_error_clear(&e);
    int rc = sl_lock_fs_path(fw->dir, path, sizeof(path), &e);
    if (!rc)
        rc =
            sl_zk_open_stop(fw->lock_connect, fw->lock_session_ms > 0 ? fw->lock_session_ms : 10000,
                            15000, fw->lock_stop, &fw->lock_zk, &e);
    if (!rc)
        rc = sl_lock_new(fw->lock_zk, path, fw->lock_owner, &fw->folder_lock, &e);
    if (!rc && fw->lock_shared) {
        /* the owner text up to its host: "job J host " (the same cut of J as the owner's) */
        const char *h = strstr(fw->lock_owner, " host ");
        char group[160];
        snprintf(group, sizeof(group), "%.*s", h ? (int)(h - fw->lock_owner) + 6 : 0,
                 fw->lock_owner);
        sl_lock_set_group(fw->folder_lock, group);
    }
    if (!rc) {
        sl_lock_set_stop(fw->folder_lock, fw->lock_stop); /* SIGINT / SIGTERM end the wait */
        rc = sl_lock_acquire(fw->folder_lock, 0, &e);     /* one look: free, or held by whom */
        if (rc == SL_ETIMEOUT && fw->lock_wait_ms > 0) {
            /* a wait that may be long says so, as a standby does (checkpoint.c) */
            char holder[128] = "";
            sl_lock_holder(fw->folder_lock, holder, sizeof(holder), NULL);
            sl_log(NULL, SL_LOG_INFO,
                   "filesystem sink: the folder '%s' is written by '%s'; waiting up to %lld ms "
                   "for its lock ('sluice.lock-timeout')",
                   fw->dir, holder[0] ? holder : "?", (long long)fw->lock_wait_ms);
            sl_error_clear(&e);
            rc = sl_lock_acquire(fw->folder_lock, (int)fw->lock_wait_ms, &e);
        }
    }
    if (rc == SL_ESTOPPED) /* this process's node goes when the sink is freed */
        return sl_error_set(err, SL_ESTOPPED,
                            "filesystem sink: stopped while waiting for the lock of folder '%s'",
                            fw->dir);
    if (rc == SL_ETIMEOUT)
        return sl_error_set(err, SL_ETIMEOUT,
                            "filesystem sink: the folder '%s' is written by another job: %s; "
                            "one job at a time writes a folder ('sluice.lock-timeout' is how long "
                            "a job waits)",
                            fw->dir, e.msg);
    if (rc)
        return sl_error_set(err, rc, "filesystem sink '%s': the folder's lock: %s", fw->dir, e.msg);
    return 0;
}

/* The folder's lock, if it has one, is still held (as far as the client knows). */
static int fsw_lock_held(const struct sl_fsw *fw, struct sl_error *err)
{
    if (!fw->folder_lock || sl_lock_held(fw->folder_lock))
        return 0;
    return sl_error_set(err, SL_EFENCED,
                        "filesystem sink '%s': lost the folder's lock (%s: the ZooKeeper session "
                        "expired): another job may write the folder now; this one stops",
                        fw->dir, sl_lock_node(fw->folder_lock));
}

int sl_fsw_set_option(struct sl_fsw *fw, const char *option, const char *value,
                      struct sl_error *err)
{
    if (strcmp(option, "sink.rolling-policy.file-size") == 0) {
        int64_t v = value ? sl_setting_size_bytes(value) : (int64_t)fw->table_roll_size;
        if (v <= 0)
            return sl_error_set(err, SL_EINVAL, "'%s' = '%s': not a size", option, value);
        fw->roll_size = (uint64_t)v;
        return 0;
    }
    bool interval = strcmp(option, "sink.rolling-policy.rollover-interval") == 0;
    if (!interval && strcmp(option, "sink.rolling-policy.inactivity-interval") != 0)
        return sl_error_set(err, SL_ENOTFOUND, "'%s' is not a live option of a filesystem sink",
                            option);
    int64_t ms = value      ? sl_setting_duration_ms(value)
                 : interval ? fw->table_roll_interval_ms
                            : fw->table_inactivity_ms;
    if (ms < 0 || (interval && ms == 0))
        return sl_error_set(err, SL_EINVAL, "'%s' = '%s': not a duration", option, value);
    if (interval)
        fw->roll_interval_ms = ms;
    else
        fw->inactivity_ms = ms;
    return 0;
}

void sl_fsw_destroy(struct sl_fsw *fw)
{
    sl_lock_free(fw->folder_lock); /* the successor is woken */
    fw->folder_lock = NULL;
    sl_zk_close(fw->lock_zk);
    fw->lock_zk = NULL;
    free(fw->lock_connect);
    free(fw->lock_owner);
    fw->lock_connect = fw->lock_owner = NULL;
    while (fw->pend) { /* their files stay: recover commits or deletes them */
        struct sl_fsw_pending *n = fw->pend;
        fw->pend = n->next;
        free(n->rel);
        free(n);
    }
    if (fw->locks) {
        pthread_mutex_destroy(&fw->lock);
        pthread_mutex_destroy(&fw->commit_lock);
        fw->locks = false;
    }
    free(fw->dir);
    fw->dir = NULL;
}

/* ---- names --------------------------------------------------------------------------------- */

int64_t sl_fsw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sl_fsw_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0)
            continue;
        char c = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        buf[i] = c;
    }
    return 0;
}

/* "<dir>/<rel>" or "<dir>" for rel "", malloc'd. */
static char *fsw_folder(const struct sl_fsw *fw, const char *rel)
{
    size_t n = strlen(fw->dir) + strlen(rel) + 2;
    char *d = malloc(n);
    if (d)
        snprintf(d, n, "%s%s%s", fw->dir, *rel ? "/" : "", rel);
    return d;
}

char *sl_fsw_name(const struct sl_fsw *fw, const char *rel, enum sl_fsw_kind kind, int worker,
                  uint64_t epoch, uint32_t k)
{
    char e[32], roll[16] = "";
    if (fw->ckpt)
        snprintf(e, sizeof(e), "%010llu", (unsigned long long)epoch);
    else
        snprintf(e, sizeof(e), "0");
    if (k)
        snprintf(roll, sizeof(roll), "-%u", k);
    size_t n = strlen(fw->dir) + strlen(rel) + strlen(fw->ext) + 96;
    char *b = malloc(n);
    if (!b)
        return NULL;
    snprintf(b, n, "%s%s%s/%spart-%d-%s%s.%s%s", fw->dir, *rel ? "/" : "", rel,
             kind == SL_FSW_VISIBLE ? "" : ".", worker, e, roll, fw->ext,
             kind == SL_FSW_INPROGRESS ? ".inprogress"
             : kind == SL_FSW_PENDING  ? ".pending"
                                       : "");
    return b;
}

/* Reads decimal digits at *q (at least one) into *v; false on none or past max. */
static bool fsw_parse_u64(const char **q, uint64_t max, uint64_t *v)
{
    const char *c = *q;
    uint64_t x = 0;
    if (*c < '0' || *c > '9')
        return false;
    for (; *c >= '0' && *c <= '9'; c++) {
        uint64_t d = (uint64_t)(*c - '0');
        if (x > (max - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *q = c;
    *v = x;
    return true;
}

bool sl_fsw_parse_name(const char *name, const char *ext, enum sl_fsw_kind *kind, int *worker,
                       uint64_t *epoch, uint32_t *k)
{
    bool hidden = name[0] == '.';
    const char *q = name + hidden;
    uint64_t w, r = 0;
    if (strncmp(q, "part-", 5) != 0)
        return false;
    q += 5;
    if (!fsw_parse_u64(&q, INT32_MAX, &w) || *q++ != '-' || !fsw_parse_u64(&q, UINT64_MAX, epoch))
        return false;
    if (*q == '-' && (++q, !fsw_parse_u64(&q, UINT32_MAX, &r)))
        return false;
    if (*q++ != '.')
        return false;
    size_t el = strlen(ext);
    if (strncmp(q, ext, el) != 0)
        return false;
    q += el;
    *worker = (int)w;
    *k = (uint32_t)r;
    if (!hidden && !*q)
        *kind = SL_FSW_VISIBLE;
    else if (hidden && !strcmp(q, ".inprogress"))
        *kind = SL_FSW_INPROGRESS;
    else if (hidden && !strcmp(q, ".pending"))
        *kind = SL_FSW_PENDING;
    else
        return false;
    return true;
}

/* ---- writing ------------------------------------------------------------------------------- */

int sl_fsw_file_init(struct sl_fsw_file *f, const char *rel, struct sl_error *err)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    sl_fmt_out_init(&f->out);
    f->rel = strdup(rel);
    return f->rel ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
}

void sl_fsw_file_free(const struct sl_fsw *fw, struct sl_fsw_file *f, int worker, uint64_t epoch)
{
    sl_fsw_discard(fw, f, worker, epoch);
    sl_fmt_out_free(&f->out);
    free(f->rel);
    f->rel = NULL;
}

static int fsw_open(const struct sl_fsw *fw, struct sl_fsw_file *f, int worker, uint64_t epoch,
                    int64_t now, struct sl_error *err)
{
    char *name = sl_fsw_name(fw, f->rel, SL_FSW_INPROGRESS, worker, epoch, f->k);
    if (!name)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int rc = 0;
    f->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0 && errno == ENOENT && *f->rel) { /* the partition's folder is new */
        char *d = fsw_folder(fw, f->rel);
        if (d && sl_fsw_mkdirs(d) == 0)
            f->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        free(d);
    }
    if (f->fd < 0)
        rc = sl_error_set(err, SL_EIO, "file '%s': %s", name, strerror(errno));
    free(name);
    f->bytes = 0;
    f->opened_ms = f->last_ms = now;
    return rc;
}

static int fsw_write_all(int fd, const char *data, size_t len, const struct sl_fsw *fw,
                         const char *rel, struct sl_error *err)
{
    while (len) {
        ssize_t k = write(fd, data, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return sl_error_set(err, SL_EIO, "filesystem sink '%s%s%s': write: %s", fw->dir,
                                *rel ? "/" : "", rel, strerror(errno));
        data += k;
        len -= (size_t)k;
    }
    return 0;
}

int sl_fsw_drain(const struct sl_fsw *fw, struct sl_fsw_file *f, struct sl_error *err)
{
    if (f->fd < 0 || !f->out.len)
        return 0;
    int rc = 0;
    if (!fw->raw) {
        rc = fsw_write_all(f->fd, f->out.data, f->out.len, fw, f->rel, err);
    } else {
        /* frame into a second buffer: a 4-byte length before each record */
        size_t need = f->out.len + 4 * (size_t)f->out.nrec;
        char *buf = malloc(need ? need : 1);
        if (!buf)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        size_t k = 0;
        for (uint32_t i = 0; i < f->out.nrec; i++) {
            size_t l = sl_fmt_out_rec_len(&f->out, i);
            buf[k++] = (char)(l & 0xff);
            buf[k++] = (char)((l >> 8) & 0xff);
            buf[k++] = (char)((l >> 16) & 0xff);
            buf[k++] = (char)((l >> 24) & 0xff);
            memcpy(buf + k, sl_fmt_out_rec(&f->out, i), l);
            k += l;
        }
        rc = fsw_write_all(f->fd, buf, k, fw, f->rel, err);
        free(buf);
    }
    sl_fmt_out_clear(&f->out);
    return rc;
}

bool sl_fsw_due(const struct sl_fsw *fw, const struct sl_fsw_file *f, int64_t now)
{
    return f->fd >= 0 && (f->bytes >= fw->roll_size || now - f->opened_ms >= fw->roll_interval_ms ||
                          (fw->inactivity_ms > 0 && now - f->last_ms >= fw->inactivity_ms));
}

int sl_fsw_write(struct sl_fsw *fw, struct sl_fsw_file *f, int worker, uint64_t epoch,
                 struct sl_conn_codec *codec, struct sl_batch *view, int64_t now, size_t *added,
                 struct sl_error *err)
{
    int rc;
    *added = 0;
    if ((rc = fsw_lock_held(fw, err)) != 0)
        return rc;
    if (f->fd < 0 && (rc = fsw_open(fw, f, worker, epoch, now, err)))
        return rc;
    size_t len0 = f->out.len;
    if ((rc = sl_conn_codec_encode(codec, view, &f->out, err)))
        return rc;
    *added = f->out.len - len0;
    f->bytes += *added + (fw->raw ? 4 * (size_t)sl_batch_active(view) : 0);
    f->last_ms = now;
    if (f->out.len >= FSW_DRAIN && (rc = sl_fsw_drain(fw, f, err)))
        return rc;
    if (f->bytes >= fw->roll_size)
        return sl_fsw_close(fw, f, worker, epoch, epoch, err);
    return 0;
}

int sl_fsw_close(struct sl_fsw *fw, struct sl_fsw_file *f, int worker, uint64_t epoch, uint64_t as,
                 struct sl_error *err)
{
    if (f->fd < 0)
        return 0;
    int rc = sl_fsw_drain(fw, f, err);
    if (!rc && fsync(f->fd) != 0)
        rc = sl_error_set(err, SL_EIO, "filesystem sink '%s%s%s': fsync: %s", fw->dir,
                          *f->rel ? "/" : "", f->rel, strerror(errno));
    close(f->fd);
    f->fd = -1;
    if (rc)
        return rc; /* the in-progress file stays: recover deletes it */
    char *from = sl_fsw_name(fw, f->rel, SL_FSW_INPROGRESS, worker, epoch, f->k);
    char *to =
        sl_fsw_name(fw, f->rel, fw->ckpt ? SL_FSW_PENDING : SL_FSW_VISIBLE, worker, as, f->k);
    char *d = fsw_folder(fw, f->rel);
    struct sl_fsw_pending *node = fw->ckpt ? malloc(sizeof(*node)) : NULL;
    char *rel = fw->ckpt ? strdup(f->rel) : NULL;
    if (!from || !to || !d || (fw->ckpt && (!node || !rel))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (fw->ckpt)
        sl_crash_point("fs_sink.before_prepare_rename");
    if (rename(from, to) != 0) {
        rc = sl_error_set(err, SL_EIO, "rename '%s' to '%s': %s", from, to, strerror(errno));
        goto out;
    }
    if (fw->ckpt) {
        *node = (struct sl_fsw_pending){NULL, worker, as, f->k, rel};
        pthread_mutex_lock(&fw->lock);
        node->next = fw->pend;
        fw->pend = node;
        pthread_mutex_unlock(&fw->lock);
        node = NULL;
        rel = NULL;
    }
    f->k++;
    rc = sl_durable_fsync_dir(d, err);
out:
    free(node);
    free(rel);
    free(from);
    free(to);
    free(d);
    return rc;
}

int sl_fsw_prepare_check(const struct sl_fsw *fw, int worker, uint64_t have, uint64_t epoch,
                         struct sl_error *err)
{
    if (epoch >= have)
        return 0;
    return sl_error_set(err, SL_ESTATE,
                        "filesystem sink '%s': worker %d prepares epoch %llu after epoch %llu",
                        fw->dir, worker, (unsigned long long)epoch, (unsigned long long)have - 1);
}

void sl_fsw_discard(const struct sl_fsw *fw, struct sl_fsw_file *f, int worker, uint64_t epoch)
{
    if (f->fd < 0)
        return;
    close(f->fd);
    f->fd = -1;
    char *name = sl_fsw_name(fw, f->rel, SL_FSW_INPROGRESS, worker, epoch, f->k);
    if (name)
        unlink(name);
    free(name);
    sl_fmt_out_clear(&f->out);
}

/* ---- commit -------------------------------------------------------------------------------- */

static int fsw_pend_cmp(const void *a, const void *b)
{
    const struct sl_fsw_pending *x = *(struct sl_fsw_pending *const *)a;
    const struct sl_fsw_pending *y = *(struct sl_fsw_pending *const *)b;
    int c = strcmp(x->rel, y->rel);
    if (c)
        return c;
    if (x->worker != y->worker)
        return x->worker < y->worker ? -1 : 1;
    if (x->epoch != y->epoch)
        return x->epoch < y->epoch ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

/* fsyncs folder rel, whose files were renamed, then tells `visible`. */
static int fsw_folder_done(struct sl_fsw *fw, const char *rel,
                           int (*visible)(void *ctx, const char *rel, struct sl_error *err),
                           void *ctx, struct sl_error *err)
{
    char *d = fsw_folder(fw, rel);
    if (!d)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int rc = sl_durable_fsync_dir(d, err);
    free(d);
    return !rc && visible ? visible(ctx, rel, err) : rc;
}

int sl_fsw_commit(struct sl_fsw *fw, uint64_t epoch,
                  int (*visible)(void *ctx, const char *rel, struct sl_error *err), void *ctx,
                  struct sl_error *err)
{
    if (!fw->ckpt)
        return 0;
    if (fw->folder_lock) { /* asked of the server: what becomes visible is this job's */
        struct sl_error e;
        sl_error_clear(&e);
        int rc = sl_lock_check(fw->folder_lock, &e);
        if (rc)
            return sl_error_set(err, rc, "filesystem sink '%s': epoch %llu not made visible: %s",
                                fw->dir, (unsigned long long)epoch, e.msg);
    }
    /* the pending files of epochs <= epoch, out of the list (a worker's prepare of a later
     * epoch goes on meanwhile) */
    size_t n = 0;
    pthread_mutex_lock(&fw->lock);
    for (struct sl_fsw_pending *p = fw->pend; p; p = p->next)
        n += p->epoch <= epoch;
    struct sl_fsw_pending **due = n ? malloc(n * sizeof(*due)) : NULL;
    if (n && !due) {
        pthread_mutex_unlock(&fw->lock);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    size_t m = 0;
    for (struct sl_fsw_pending **pp = &fw->pend; *pp;) {
        struct sl_fsw_pending *p = *pp;
        if (p->epoch <= epoch) {
            *pp = p->next;
            due[m++] = p;
        } else {
            pp = &p->next;
        }
    }
    pthread_mutex_unlock(&fw->lock);
    if (!n)
        return 0;
    qsort(due, n, sizeof(*due), fsw_pend_cmp); /* folder by folder */
    int rc = 0;
    size_t i = 0, run = 0; /* due[run .. i) renamed, their folder not fsynced yet */
    for (; i < n; i++) {
        struct sl_fsw_pending *p = due[i];
        if (i > run && strcmp(due[run]->rel, p->rel) != 0) {
            if ((rc = fsw_folder_done(fw, due[run]->rel, visible, ctx, err)))
                break;
            run = i;
        }
        char *from = sl_fsw_name(fw, p->rel, SL_FSW_PENDING, p->worker, p->epoch, p->k);
        char *to = sl_fsw_name(fw, p->rel, SL_FSW_VISIBLE, p->worker, p->epoch, p->k);
        if (!from || !to) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        } else {
            sl_crash_point("fs_sink.before_rename");
            int fault = sl_fault_hit("fs_sink.commit_rename");
            int e = fault < 0 ? -fault : fault ? EIO : 0;
            struct stat st;
            if (!e && rename(from, to) != 0)
                e = errno;
            if (e == ENOENT && stat(to, &st) == 0)
                e = 0; /* made visible already (by recover) */
            if (e)
                rc = sl_error_set(err, SL_EIO, "rename '%s' to '%s': %s", from, to, strerror(e));
            else
                sl_crash_point("fs_sink.after_rename");
        }
        free(from);
        free(to);
        if (rc)
            break;
    }
    if (i > run) { /* the last folder's renamed files (also after a failed rename) */
        struct sl_error e2;
        int r2 = fsw_folder_done(fw, due[run]->rel, visible, ctx, rc ? &e2 : err);
        rc = rc ? rc : r2;
    }
    for (size_t j = 0; j < i; j++) {
        free(due[j]->rel);
        free(due[j]);
    }
    if (i < n) { /* not renamed: a later commit retries them */
        pthread_mutex_lock(&fw->lock);
        for (size_t j = i; j < n; j++) {
            due[j]->next = fw->pend;
            fw->pend = due[j];
        }
        pthread_mutex_unlock(&fw->lock);
    }
    free(due);
    return rc;
}

/* ---- recovery ------------------------------------------------------------------------------ */

/* A part file recover found, not visible. */
struct fsw_found {
    enum sl_fsw_kind kind;
    int worker;
    uint64_t epoch;
    uint32_t k;
};

int sl_fsw_recover_folder(struct sl_fsw *fw, const char *rel, uint64_t committed, bool dry,
                          const char *marker, bool *visible, bool *marked, struct sl_error *err)
{
    *visible = *marked = false;
    char *d = fsw_folder(fw, rel);
    if (!d)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    DIR *dir = opendir(d);
    if (!dir) {
        int e = errno;
        int rc = e == ENOENT && *rel
                     ? 0
                     : sl_error_set(err, SL_EIO, "directory '%s': %s", d, strerror(e));
        free(d);
        return rc;
    }
    int rc = 0;
    struct fsw_found *found = NULL;
    size_t nfound = 0, cap = 0;
    /* first the whole listing, so that a refusal changes nothing */
    struct dirent *de;
    while ((de = readdir(dir))) {
        const char *nm = de->d_name;
        if (marker && !strcmp(nm, marker))
            *marked = true;
        struct fsw_found f;
        if (!sl_fsw_parse_name(nm, fw->ext, &f.kind, &f.worker, &f.epoch, &f.k))
            continue;
        if (fw->wlo >= 0 && (f.worker < fw->wlo || (f.worker >= fw->whi && fw->whi < fw->wall)))
            continue; /* another process's worker: its own recovery settles it */
        /* A visible part of an epoch after the last committed one cannot come from this
         * job: commit(e) runs only once the commit store holds e durably, and the commit
         * store never goes back, so every visible part is of an epoch <= committed. One
         * that is not means the folder holds another job's output, or the job's state
         * (commit store) was reset or lost: resuming would write those rows a second time.
         * Refuse rather than guess. */
        if (f.kind == SL_FSW_VISIBLE && f.epoch > committed) {
            rc = sl_error_set(err, SL_ECORRUPT,
                              "filesystem sink: '%s/%s' is a part file of epoch %llu but the "
                              "last committed epoch is %llu: the directory holds output this "
                              "job's checkpoints do not know (another job's, or its state "
                              "was reset); move it away or restore the matching state",
                              d, nm, (unsigned long long)f.epoch, (unsigned long long)committed);
            goto out;
        }
        if (f.kind == SL_FSW_VISIBLE) {
            *visible = true;
            continue;
        }
        if (nfound == cap) {
            cap = cap ? 2 * cap : 16;
            struct fsw_found *nf = realloc(found, cap * sizeof(*found));
            if (!nf) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto out;
            }
            found = nf;
        }
        found[nfound++] = f;
    }
    if (dry)
        goto out;
    for (size_t i = 0; i < nfound && !rc; i++) {
        const struct fsw_found *f = &found[i];
        char *from = sl_fsw_name(fw, rel, f->kind, f->worker, f->epoch, f->k);
        char *to = sl_fsw_name(fw, rel, SL_FSW_VISIBLE, f->worker, f->epoch, f->k);
        if (!from || !to) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        } else if (f->kind == SL_FSW_PENDING && f->epoch <= committed) {
            /* committed, but the crash came before its rename (or its folder's fsync) */
            if (rename(from, to) != 0)
                rc =
                    sl_error_set(err, SL_EIO, "rename '%s' to '%s': %s", from, to, strerror(errno));
            *visible = true;
        } else if (unlink(from) != 0 && errno != ENOENT) {
            /* in progress (never prepared) or prepared for an epoch never committed */
            rc = sl_error_set(err, SL_EIO, "unlink '%s': %s", from, strerror(errno));
        }
        free(from);
        free(to);
    }
    if (!rc && nfound)
        rc = sl_durable_fsync_dir(d, err);
out:
    closedir(dir);
    free(found);
    free(d);
    return rc;
}

void sl_fsw_forget_pending(struct sl_fsw *fw)
{
    pthread_mutex_lock(&fw->lock);
    while (fw->pend) { /* the folders said it all */
        struct sl_fsw_pending *n = fw->pend;
        fw->pend = n->next;
        free(n->rel);
        free(n);
    }
    pthread_mutex_unlock(&fw->lock);
}
