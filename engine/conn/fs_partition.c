/*
 * engine/conn/fs_partition.c - the partitioned filesystem sink, and the partition path
 * helpers both directions share (see fs_partition.h for the layout and the escaping).
 *
 * PART FILES
 * Each worker keeps one open part file per partition it wrote in the current epoch, in the
 * partition's folder, with the names of the unpartitioned sink (filesystem.c):
 *
 *     <path>/<partition>/.part-<worker>-E.<ext>.inprogress   rows being written
 *     <path>/<partition>/.part-<worker>-E.<ext>.pending      prepare(E): fsynced, closed
 *     <path>/<partition>/part-<worker>-E.<ext>               commit(E): visible
 *
 * A part file rolls (is closed and a new one begun) at every checkpoint, and within an
 * epoch by the rolling policy: 'sink.rolling-policy.file-size' (default 128mb) when it holds
 * that many bytes, 'sink.rolling-policy.rollover-interval' (default 30 min) when it is that
 * old and 'sink.rolling-policy.inactivity-interval' when it had no row for that long (both
 * looked at on every write of the worker and every 'sink.rolling-policy.check-interval',
 * default 1 min, i.e. on the next write after it passed). A file rolled within an epoch is
 * renamed to pending at once and committed with its epoch; the k-th roll of an epoch is
 * part-<worker>-E-<k>.<ext> (the first keeps the name of today). Without checkpoints the
 * files are made visible when the job ends (close), as the unpartitioned sink does.
 * Partition columns are not written into the files (Flink's writer projects them away).
 *
 * PARTITION COMMIT ('sink.partition-commit.policy.kind' = 'success-file')
 * Flink's PartitionCommitter on one thread: when commit(E) made a partition's parts of
 * epoch E visible, the partition becomes pending (its creation time is the wall clock of
 * that commit, as Flink's ProcTimeCommitTrigger records it when the committer first hears
 * of it); then every pending partition is tested:
 *   process-time:   now - creation >= 'sink.partition-commit.delay' (0: at once)
 *   partition-time: W > partition time + delay, where W is the smallest watermark of the
 *                   workers when they prepared epoch E (the committer's watermark at the
 *                   checkpoint) and the partition time comes from the partition values by
 *                   'partition.time-extractor.timestamp-pattern' ('$dt $hm:00'; default:
 *                   the first partition value) and '.timestamp-formatter' (default
 *                   yyyy-MM-dd HH:mm:ss), read in UTC ('sink.partition-commit.watermark-
 *                   time-zone' must be UTC).
 * A partition that passes gets an empty '_SUCCESS' file ('sink.partition-commit.success-
 * file.name'), the folder fsynced. When every worker has ended its input (bounded job)
 * before it prepared E, every pending partition commits (Flink's trigger endInput). New
 * rows of a committed partition make it pending again (Flink commits it again too).
 * Without the policy option no success file is written (Flink requires the option with a
 * trigger; sluice only writes what it names).
 *
 * RECOVERY. recover(C) walks every folder below the path: what it does to part files is
 * that of the unpartitioned sink; a partition with visible parts but no success file is
 * pending again (the committer's list is not in the checkpoint: it is found again in the
 * folders, with the restart as its creation time, which commits no earlier than Flink).
 *
 * THREADS: write, flush, prepare and watermark run on the worker's thread and touch only
 * that worker's struct fsp_worker, prepare adding to s->pend and s->ewm under s->lock.
 * commit and recover run on the coordinator's thread under s->commit_lock; the pending
 * partitions are theirs only.
 */
#include "engine/conn/fs_partition.h"

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

#include "engine/core/datetime.h"
#include "engine/core/durable.h"
#include "engine/core/fault.h"

/* ---- paths --------------------------------------------------------------------------------- */

static bool fsp_needs_escape(unsigned char c)
{
    if ((c >= 0x01 && c <= 0x1F) || c == 0x7F)
        return true;
    return c && strchr("\"#%'*/:=?\\{[]^", c) != NULL;
}

size_t sl_fsp_escape(const char *v, size_t n, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (fsp_needs_escape(c)) {
            out[k++] = '%';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        } else {
            out[k++] = (char)c;
        }
    }
    return k;
}

static int fsp_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t sl_fsp_unescape(char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int h, l;
        if (s[i] == '%' && i + 2 < n && (h = fsp_hexval(s[i + 1])) >= 0 &&
            (l = fsp_hexval(s[i + 2])) >= 0) {
            s[k++] = (char)(h * 16 + l);
            i += 2;
        } else {
            s[k++] = s[i];
        }
    }
    s[k] = 0;
    return k;
}

int sl_fsp_parse_path(const struct sl_table *t, const char *default_name, const char *rel,
                      char **vals, struct sl_error *err)
{
    const char *q = rel;
    for (uint32_t k = 0; k < t->npart; k++) {
        vals[k] = NULL;
        const char *name = t->physical.cols[t->part[k]].name;
        size_t nl = strlen(name);
        const char *slash = strchr(q, '/');
        if (!slash || strncmp(q, name, nl) != 0 || q[nl] != '=' || q + nl >= slash) {
            for (uint32_t i = 0; i < k; i++) {
                free(vals[i]);
                vals[i] = NULL;
            }
            return sl_error_set(err, SL_EINVAL,
                                "filesystem source: file '%s' is not in a partition folder: "
                                "expected '%s=<value>/' at '%s'",
                                rel, name, q);
        }
        const char *v = q + nl + 1;
        size_t vl = (size_t)(slash - v);
        char *s = malloc(vl + 1);
        if (!s) {
            for (uint32_t i = 0; i < k; i++)
                free(vals[i]);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        memcpy(s, v, vl);
        s[vl] = 0;
        if (strcmp(s, default_name) == 0) {
            free(s);
        } else {
            sl_fsp_unescape(s, vl);
            vals[k] = s;
        }
        q = slash + 1;
    }
    return 0;
}

/* ---- the sink: types ----------------------------------------------------------------------- */

/* An open part file of one worker: the rows of one partition in the current epoch. */
struct fsp_open {
    char *rel;      /* the partition's folder below the path ("a=1/b=x") */
    uint64_t hash;  /* of rel */
    int fd;         /* -1: closed (rolled); the next row opens roll k + 1 */
    uint32_t k;     /* rolls of this partition in this epoch */
    uint64_t bytes; /* written to fd (drained and buffered) */
    int64_t opened_ms, last_ms;
    struct sl_fmt_out out;
};

struct fsp_worker {
    struct sl_conn_codec codec; /* over the data (non-partition) columns */
    struct fsp_open *open;
    uint32_t nopen, capopen;
    uint64_t epoch; /* checkpoints: 1 + the last epoch prepared or recovered */
    int64_t wm;     /* the last watermark the sink saw (INT64_MIN: none) */
    bool ended;     /* flush: no more input */
    sl_sel_t *sel;  /* SL_BATCH_CAP */
    uint32_t *rowpart;
    struct sl_column *cols; /* the data columns of a batch being written */
    char *key;              /* a partition path being built */
    size_t keycap;
    char *name; /* a file name being built */
    size_t namecap;
    char pad[64];
};

/* A part file renamed to pending, not visible yet. */
struct fsp_pending {
    struct fsp_pending *next;
    int worker;
    uint64_t epoch;
    uint32_t k;
    char *rel;
};

/* The workers' watermarks at the checkpoint of one epoch. */
struct fsp_ewm {
    struct fsp_ewm *next;
    uint64_t epoch;
    int64_t wm;
    int nprep, nended;
};

/* A partition waiting for its commit. */
struct fsp_part {
    struct fsp_part *next;
    char *rel;
    int64_t created_ms;
};

enum fsp_trigger { FSP_PROCESS_TIME, FSP_PARTITION_TIME };

struct fsp_sink {
    struct sl_sink base;
    const struct sl_table *t;
    int nworkers;
    bool ckpt;
    bool locks;
    char *dir;
    const char *ext;
    struct sl_conn_fmtspec spec;
    struct sl_schema *schema; /* the data columns */
    uint32_t ndata;
    uint32_t *data; /* physical index of each data column */
    const char *default_name;
    uint64_t roll_size;
    int64_t roll_interval_ms, inactivity_ms, check_ms;
    enum fsp_trigger trigger;
    int64_t delay_ms;
    bool success_file;
    const char *success_name;
    const char *ts_pattern;   /* NULL: the first partition value */
    const char *ts_formatter; /* NULL: yyyy-MM-dd HH:mm:ss */
    struct fsp_worker *w;
    pthread_mutex_t lock;        /* pend, ewm */
    pthread_mutex_t commit_lock; /* commit, recover; parts */
    struct fsp_pending *pend;
    struct fsp_ewm *ewm;
    struct fsp_part *parts;
};

static int64_t fsp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t fsp_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* mkdir -p */
static int fsp_mkdirs(const char *path)
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

static int fsp_write_all(int fd, const char *data, size_t len, const char *path,
                         struct sl_error *err)
{
    while (len) {
        ssize_t k = write(fd, data, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return sl_error_set(err, SL_EIO, "file '%s': write: %s", path, strerror(errno));
        data += k;
        len -= (size_t)k;
    }
    return 0;
}

enum fsp_kind { FSP_INPROGRESS, FSP_PENDING, FSP_VISIBLE };

/* The name of a part file: "<dir>/<rel>/[.]part-<w>-E[-k].<ext>[.inprogress|.pending]",
 * malloc'd (NULL: out of memory). Without checkpoints: epoch 0, unpadded. */
static char *fsp_name(const struct fsp_sink *s, const char *rel, enum fsp_kind kind, int worker,
                      uint64_t epoch, uint32_t k)
{
    char e[32], roll[16] = "";
    if (s->ckpt)
        snprintf(e, sizeof(e), "%010llu", (unsigned long long)epoch);
    else
        snprintf(e, sizeof(e), "0");
    if (k)
        snprintf(roll, sizeof(roll), "-%u", k);
    size_t n = strlen(s->dir) + strlen(rel) + strlen(s->ext) + 96;
    char *b = malloc(n);
    if (!b)
        return NULL;
    snprintf(b, n, "%s/%s/%spart-%d-%s%s.%s%s", s->dir, rel, kind == FSP_VISIBLE ? "" : ".", worker,
             e, roll, s->ext,
             kind == FSP_INPROGRESS ? ".inprogress"
             : kind == FSP_PENDING  ? ".pending"
                                    : "");
    return b;
}

/* Whether `name` is a part file of this format: kind, worker, epoch and roll. */
static bool fsp_parse_part(const char *name, const char *ext, enum fsp_kind *kind, int *worker,
                           uint64_t *epoch, uint32_t *k)
{
    bool hidden = name[0] == '.';
    const char *q = name + hidden;
    if (strncmp(q, "part-", 5) != 0)
        return false;
    q += 5;
    char *end;
    errno = 0;
    unsigned long long w = strtoull(q, &end, 10);
    if (end == q || *end != '-' || w > INT32_MAX || errno)
        return false;
    q = end + 1;
    unsigned long long e = strtoull(q, &end, 10);
    if (end == q || errno)
        return false;
    q = end;
    unsigned long long r = 0;
    if (*q == '-') {
        r = strtoull(q + 1, &end, 10);
        if (end == q + 1 || r > UINT32_MAX || errno)
            return false;
        q = end;
    }
    if (*q++ != '.')
        return false;
    size_t el = strlen(ext);
    if (strncmp(q, ext, el) != 0)
        return false;
    q += el;
    *worker = (int)w;
    *epoch = e;
    *k = (uint32_t)r;
    if (!hidden && !*q)
        *kind = FSP_VISIBLE;
    else if (hidden && !strcmp(q, ".inprogress"))
        *kind = FSP_INPROGRESS;
    else if (hidden && !strcmp(q, ".pending"))
        *kind = FSP_PENDING;
    else
        return false;
    return true;
}

/* ---- the sink: writing --------------------------------------------------------------------- */

/* Appends the partition path of row `row` of b to w->key (NUL-terminated); its length. */
static int fsp_key(struct fsp_sink *s, struct fsp_worker *w, struct sl_batch *b, uint32_t row,
                   size_t *len, struct sl_error *err)
{
    size_t k = 0;
    for (uint32_t i = 0; i < s->t->npart; i++) {
        uint32_t c = s->t->part[i];
        struct sl_column *col = &b->cols[c];
        const char *name = s->t->physical.cols[c].name;
        char num[64];
        const char *v = NULL;
        size_t vl = 0;
        if (!col->valid || !sl_col_is_null(col, row)) {
            switch (col->type.id) {
            case SL_TYPE_VARCHAR: {
                sl_str *st = &sl_col_str(col)[row];
                v = sl_str_data(st);
                vl = st->len;
                break;
            }
            case SL_TYPE_INT:
                vl = (size_t)snprintf(num, sizeof(num), "%d", sl_col_i32(col)[row]);
                v = num;
                break;
            case SL_TYPE_BIGINT:
                vl = (size_t)snprintf(num, sizeof(num), "%lld", (long long)sl_col_i64(col)[row]);
                v = num;
                break;
            case SL_TYPE_BOOLEAN:
                v = sl_col_bool(col)[row] ? "true" : "false";
                vl = strlen(v);
                break;
            case SL_TYPE_TIMESTAMP:
                vl = sl_dt_format(num, sl_col_i64(col)[row], SL_DT_JAVA);
                v = num;
                break;
            default:
                break; /* refused at open */
            }
        }
        if (!vl) { /* NULL or empty */
            v = s->default_name;
            vl = strlen(v);
        }
        size_t need = k + strlen(name) + 2 + 3 * vl + 1;
        if (need > w->keycap) {
            size_t cap = need * 2;
            char *nk = realloc(w->key, cap);
            if (!nk)
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            w->key = nk;
            w->keycap = cap;
        }
        if (i)
            w->key[k++] = '/';
        size_t nl = strlen(name);
        memcpy(w->key + k, name, nl);
        k += nl;
        w->key[k++] = '=';
        size_t start = k;
        if (v == s->default_name) {
            memcpy(w->key + k, v, vl);
            k += vl;
        } else {
            k += sl_fsp_escape(v, vl, w->key + k);
        }
        if (k - start + nl + 1 > NAME_MAX)
            return sl_error_set(err, SL_ERANGE,
                                "filesystem sink '%s': the value of partition column '%s' is "
                                "too long for a folder name (%zu bytes escaped, at most %d)",
                                s->dir, name, k - start + nl + 1, NAME_MAX);
    }
    w->key[k] = 0;
    *len = k;
    return 0;
}

/* Opens (creates) the in-progress file of o. */
static int fsp_open_file(struct fsp_sink *s, struct fsp_worker *w, int worker, struct fsp_open *o,
                         struct sl_error *err)
{
    char *name = fsp_name(s, o->rel, FSP_INPROGRESS, worker, w->epoch, o->k);
    if (!name)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int rc = 0;
    o->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o->fd < 0 && errno == ENOENT) {
        /* the partition's folder is new */
        size_t dl = strlen(s->dir) + strlen(o->rel) + 2;
        char *d = malloc(dl);
        if (d) {
            snprintf(d, dl, "%s/%s", s->dir, o->rel);
            if (fsp_mkdirs(d) == 0)
                o->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            free(d);
        }
    }
    if (o->fd < 0)
        rc = sl_error_set(err, SL_EIO, "file '%s': %s", name, strerror(errno));
    free(name);
    o->bytes = 0;
    o->opened_ms = o->last_ms = fsp_now_ms();
    return rc;
}

static int fsp_drain(struct fsp_sink *s, struct fsp_open *o, struct sl_error *err)
{
    int rc = 0;
    if (s->spec.format != SL_CONN_RAW) {
        rc = fsp_write_all(o->fd, o->out.data, o->out.len, o->rel, err);
    } else {
        size_t need = o->out.len + 4 * (size_t)o->out.nrec;
        char *buf = malloc(need ? need : 1);
        if (!buf)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        size_t k = 0;
        for (uint32_t i = 0; i < o->out.nrec; i++) {
            size_t l = sl_fmt_out_rec_len(&o->out, i);
            buf[k++] = (char)(l & 0xff);
            buf[k++] = (char)((l >> 8) & 0xff);
            buf[k++] = (char)((l >> 16) & 0xff);
            buf[k++] = (char)((l >> 24) & 0xff);
            memcpy(buf + k, sl_fmt_out_rec(&o->out, i), l);
            k += l;
        }
        rc = fsp_write_all(o->fd, buf, k, o->rel, err);
        free(buf);
    }
    sl_fmt_out_clear(&o->out);
    return rc;
}

/* Closes o's file: drained, fsynced, renamed to pending (checkpoints) or to its final name
 * (close without checkpoints); a pending one goes into s->pend. */
static int fsp_close_file(struct fsp_sink *s, struct fsp_worker *w, int worker, struct fsp_open *o,
                          struct sl_error *err)
{
    if (o->fd < 0)
        return 0;
    int rc = o->out.len ? fsp_drain(s, o, err) : 0;
    if (!rc && fsync(o->fd) != 0)
        rc = sl_error_set(err, SL_EIO, "partition '%s': fsync: %s", o->rel, strerror(errno));
    close(o->fd);
    o->fd = -1;
    if (rc)
        return rc; /* the in-progress file stays: recover deletes it */
    char *from = fsp_name(s, o->rel, FSP_INPROGRESS, worker, w->epoch, o->k);
    char *to = fsp_name(s, o->rel, s->ckpt ? FSP_PENDING : FSP_VISIBLE, worker, w->epoch, o->k);
    struct fsp_pending *node = s->ckpt ? malloc(sizeof(*node)) : NULL;
    char *rel = s->ckpt ? strdup(o->rel) : NULL;
    if (!from || !to || (s->ckpt && (!node || !rel))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (s->ckpt)
        sl_crash_point("fs_sink.before_prepare_rename");
    if (rename(from, to) != 0) {
        rc = sl_error_set(err, SL_EIO, "rename '%s' to '%s': %s", from, to, strerror(errno));
        goto out;
    }
    size_t dl = strlen(s->dir) + strlen(o->rel) + 2;
    char *d = malloc(dl);
    if (!d) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    } else {
        snprintf(d, dl, "%s/%s", s->dir, o->rel);
        rc = sl_durable_fsync_dir(d, err);
        free(d);
    }
    if (s->ckpt) {
        *node = (struct fsp_pending){NULL, worker, w->epoch, o->k, rel};
        pthread_mutex_lock(&s->lock);
        node->next = s->pend;
        s->pend = node;
        pthread_mutex_unlock(&s->lock);
        node = NULL;
        rel = NULL;
    }
    o->k++;
out:
    free(node);
    free(rel);
    free(from);
    free(to);
    return rc;
}

/* Rolls every open file of w that the rolling policy says is due. */
static int fsp_roll_due(struct fsp_sink *s, struct fsp_worker *w, int worker, struct sl_error *err)
{
    int64_t now = fsp_now_ms();
    for (uint32_t i = 0; i < w->nopen; i++) {
        struct fsp_open *o = &w->open[i];
        if (o->fd < 0)
            continue;
        bool due = o->bytes >= s->roll_size || now - o->opened_ms >= s->roll_interval_ms ||
                   (s->inactivity_ms > 0 && now - o->last_ms >= s->inactivity_ms);
        if (due) {
            int rc = fsp_close_file(s, w, worker, o, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int fsp_find(struct fsp_sink *s, struct fsp_worker *w, size_t keylen, uint32_t *idx,
                    struct sl_error *err)
{
    uint64_t h = fsp_hash(w->key, keylen);
    for (uint32_t i = 0; i < w->nopen; i++)
        if (w->open[i].hash == h && strcmp(w->open[i].rel, w->key) == 0) {
            *idx = i;
            return 0;
        }
    (void)s;
    if (w->nopen == w->capopen) {
        uint32_t cap = w->capopen ? 2 * w->capopen : 8;
        struct fsp_open *no = realloc(w->open, cap * sizeof(*no));
        if (!no)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        w->open = no;
        w->capopen = cap;
    }
    struct fsp_open *o = &w->open[w->nopen];
    memset(o, 0, sizeof(*o));
    o->fd = -1;
    o->hash = h;
    o->rel = strdup(w->key);
    if (!o->rel)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    sl_fmt_out_init(&o->out);
    *idx = w->nopen++;
    return 0;
}

static int fsp_write(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_batch *b,
                     struct sl_error *err)
{
    struct fsp_sink *s = (struct fsp_sink *)sk;
    struct fsp_worker *w = &s->w[ctx->worker];
    uint32_t n = sl_batch_active(b);
    int rc = fsp_roll_due(s, w, ctx->worker, err);
    if (rc || !n)
        return rc;
    /* which partition each active row goes to */
    for (uint32_t j = 0; j < n; j++) {
        uint32_t row = b->sel ? b->sel[j] : j;
        size_t kl = 0;
        if ((rc = fsp_key(s, w, b, row, &kl, err)) ||
            (rc = fsp_find(s, w, kl, &w->rowpart[j], err)))
            return rc;
    }
    /* a view of the data columns; each partition's rows in turn through the encoder */
    for (uint32_t c = 0; c < s->ndata; c++)
        w->cols[c] = b->cols[s->data[c]];
    struct sl_batch view = *b;
    view.ncols = s->ndata;
    view.cols = w->cols;
    view.schema = s->schema;
    int64_t now = fsp_now_ms();
    for (uint32_t j = 0; j < n; j++) {
        uint32_t pi = w->rowpart[j];
        if (pi == UINT32_MAX)
            continue; /* written with an earlier row's partition */
        uint32_t m = 0;
        for (uint32_t i = j; i < n; i++)
            if (w->rowpart[i] == pi) {
                w->sel[m++] = b->sel ? b->sel[i] : (sl_sel_t)i;
                w->rowpart[i] = UINT32_MAX;
            }
        struct fsp_open *o = &w->open[pi];
        if (o->fd < 0 && (rc = fsp_open_file(s, w, ctx->worker, o, err)))
            return rc;
        view.sel = w->sel;
        view.nsel = m;
        size_t len0 = o->out.len;
        if ((rc = sl_conn_codec_encode(&w->codec, &view, &o->out, err)))
            return rc;
        size_t add = o->out.len - len0;
        if (s->spec.format == SL_CONN_RAW)
            add += 4 * (size_t)m;
        o->bytes += add;
        o->last_ms = now;
        sl_stats_add(&ctx->stats->rows_out, m);
        sl_stats_add(&ctx->stats->bytes_out, o->out.len - len0);
        if (o->out.len >= (1u << 20) && (rc = fsp_drain(s, o, err)))
            return rc;
        if (o->bytes >= s->roll_size && (rc = fsp_close_file(s, w, ctx->worker, o, err)))
            return rc;
    }
    return 0;
}

static int fsp_flush(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct fsp_sink *s = (struct fsp_sink *)sk;
    struct fsp_worker *w = &s->w[ctx->worker];
    w->ended = true;
    for (uint32_t i = 0; i < w->nopen; i++) {
        struct fsp_open *o = &w->open[i];
        int rc = o->fd >= 0 && o->out.len ? fsp_drain(s, o, err) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

static int fsp_watermark(struct sl_sink *sk, struct sl_worker_ctx *ctx, int64_t wm,
                         struct sl_error *err)
{
    (void)err;
    struct fsp_sink *s = (struct fsp_sink *)sk;
    if (wm > s->w[ctx->worker].wm)
        s->w[ctx->worker].wm = wm;
    return 0;
}

/* Forgets w's partitions of the epoch (their files are closed). */
static void fsp_forget(struct fsp_worker *w)
{
    for (uint32_t i = 0; i < w->nopen; i++) {
        free(w->open[i].rel);
        sl_fmt_out_free(&w->open[i].out);
    }
    w->nopen = 0;
}

static int fsp_prepare(struct sl_sink *sk, struct sl_worker_ctx *ctx, uint64_t epoch,
                       struct sl_error *err)
{
    struct fsp_sink *s = (struct fsp_sink *)sk;
    struct fsp_worker *w = &s->w[ctx->worker];
    if (!s->ckpt)
        return fsp_flush(sk, ctx, err);
    if (epoch < w->epoch)
        return sl_error_set(err, SL_ESTATE,
                            "filesystem sink '%s': worker %d prepares epoch %llu after epoch "
                            "%llu",
                            s->dir, ctx->worker, (unsigned long long)epoch,
                            (unsigned long long)w->epoch - 1);
    for (uint32_t i = 0; i < w->nopen; i++) {
        int rc = fsp_close_file(s, w, ctx->worker, &w->open[i], err);
        if (rc)
            return rc;
    }
    fsp_forget(w);
    /* the committer's watermark at this checkpoint: the smallest of the workers' */
    struct fsp_ewm *e;
    pthread_mutex_lock(&s->lock);
    for (e = s->ewm; e && e->epoch != epoch; e = e->next)
        ;
    if (!e && (e = calloc(1, sizeof(*e)))) {
        e->epoch = epoch;
        e->wm = INT64_MAX;
        e->next = s->ewm;
        s->ewm = e;
    }
    if (e) {
        if (w->wm < e->wm)
            e->wm = w->wm;
        e->nprep++;
        e->nended += w->ended;
    }
    pthread_mutex_unlock(&s->lock);
    if (!e)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    w->epoch = epoch + 1;
    return 0;
}

/* ---- the sink: partition commit ------------------------------------------------------------ */

/* Reads `text` by a java.time pattern of the letters yyyy MM dd HH mm ss (other characters
 * are literals, 'x' quoted literals are not supported) into ms; false when it does not
 * fit. */
static bool fsp_parse_formatted(const char *text, const char *fmt, int64_t *ms)
{
    unsigned v[6] = {1970, 1, 1, 0, 0, 0}; /* y M d H m s */
    const char *t = text;
    for (const char *f = fmt; *f;) {
        static const char letters[] = "yMdHms";
        const char *l = strchr(letters, *f);
        if (*f && l) {
            size_t run = 0;
            while (f[run] == *f)
                run++;
            unsigned x = 0;
            size_t got = 0;
            while (got < run && t[got] >= '0' && t[got] <= '9') {
                x = x * 10 + (unsigned)(t[got] - '0');
                got++;
            }
            if (got != run)
                return false;
            v[l - letters] = x;
            t += got;
            f += run;
        } else {
            if (*t != *f)
                return false;
            t++;
            f++;
        }
    }
    if (*t || !sl_dt_date_valid(v[0], v[1], v[2]) || v[3] > 23 || v[4] > 59 || v[5] > 59)
        return false;
    *ms = sl_dt_to_ms(v[0], v[1], v[2], v[3], v[4], v[5], 0);
    return true;
}

/* The partition time of `rel` (Flink's DefaultPartTimeExtractor, in UTC). */
static int fsp_part_time(const struct fsp_sink *s, const char *rel, int64_t *ms,
                         struct sl_error *err)
{
    const struct sl_table *t = s->t;
    char *vals[64] = {0};
    char *relf = malloc(strlen(rel) + 2); /* sl_fsp_parse_path wants a trailing '/' */
    if (!relf)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    sprintf(relf, "%s/", rel);
    int rc = sl_fsp_parse_path(t, s->default_name, relf, vals, err);
    free(relf);
    if (rc)
        return rc;
    /* the pattern with each $name replaced by its value, longer names first so that
     * $hm does not eat the start of $hms */
    size_t cap = 64;
    const char *pat = s->ts_pattern ? s->ts_pattern : NULL;
    char *text = NULL;
    if (!pat) {
        text = strdup(vals[0] ? vals[0] : "");
    } else {
        cap += strlen(pat);
        for (uint32_t k = 0; k < t->npart; k++)
            cap += (vals[k] ? strlen(vals[k]) : 0) * strlen(pat);
        text = malloc(cap);
        if (text) {
            size_t n = 0;
            for (const char *p = pat; *p;) {
                int best = -1;
                size_t bl = 0;
                if (*p == '$')
                    for (uint32_t k = 0; k < t->npart; k++) {
                        const char *nm = t->physical.cols[t->part[k]].name;
                        size_t l = strlen(nm);
                        if (l > bl && strncmp(p + 1, nm, l) == 0) {
                            best = (int)k;
                            bl = l;
                        }
                    }
                if (best >= 0) {
                    const char *v = vals[best] ? vals[best] : "";
                    memcpy(text + n, v, strlen(v));
                    n += strlen(v);
                    p += 1 + bl;
                } else {
                    text[n++] = *p++;
                }
            }
            text[n] = 0;
        }
    }
    for (uint32_t k = 0; k < t->npart; k++)
        free(vals[k]);
    if (!text)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    bool ok;
    if (s->ts_formatter) {
        ok = fsp_parse_formatted(text, s->ts_formatter, ms);
    } else {
        const char *why;
        ok = sl_dt_parse(text, strlen(text), ms, &why) == 0;
    }
    if (!ok)
        rc = sl_error_set(err, SL_EPARSE,
                          "filesystem sink '%s': partition '%s': partition time '%s' does not "
                          "match 'partition.time-extractor.timestamp-formatter' '%s'",
                          s->dir, rel, text,
                          s->ts_formatter ? s->ts_formatter : "yyyy-MM-dd HH:mm:ss");
    free(text);
    return rc;
}

/* Writes the success file of partition `rel`. */
static int fsp_success(const struct fsp_sink *s, const char *rel, struct sl_error *err)
{
    size_t n = strlen(s->dir) + strlen(rel) + strlen(s->success_name) + 3;
    char *path = malloc(n), *d = malloc(n);
    if (!path || !d) {
        free(path);
        free(d);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    snprintf(path, n, "%s/%s/%s", s->dir, rel, s->success_name);
    snprintf(d, n, "%s/%s", s->dir, rel);
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || fsync(fd) != 0)
        rc = sl_error_set(err, SL_EIO, "file '%s': %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (!rc)
        rc = sl_durable_fsync_dir(d, err);
    free(path);
    free(d);
    return rc;
}

/* Adds `rel` to the pending partitions (once). Under commit_lock. */
static int fsp_add_part(struct fsp_sink *s, const char *rel, int64_t now, struct sl_error *err)
{
    for (struct fsp_part *p = s->parts; p; p = p->next)
        if (strcmp(p->rel, rel) == 0)
            return 0;
    struct fsp_part *p = malloc(sizeof(*p));
    char *r = strdup(rel);
    if (!p || !r) {
        free(p);
        free(r);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    *p = (struct fsp_part){s->parts, r, now};
    s->parts = p;
    return 0;
}

/* Commits the pending partitions the trigger lets through (all of them when `all`), with
 * the committer's watermark `wm`. Under commit_lock. */
static int fsp_commit_parts(struct fsp_sink *s, int64_t wm, bool all, struct sl_error *err)
{
    int64_t now = fsp_now_ms();
    for (struct fsp_part **pp = &s->parts; *pp;) {
        struct fsp_part *p = *pp;
        bool go = all;
        if (!go && s->trigger == FSP_PROCESS_TIME) {
            go = s->delay_ms == 0 || now - p->created_ms >= s->delay_ms;
        } else if (!go) {
            int64_t pt;
            int rc = fsp_part_time(s, p->rel, &pt, err);
            if (rc)
                return rc;
            go = wm != INT64_MIN && wm > pt + s->delay_ms;
        }
        if (!go) {
            pp = &p->next;
            continue;
        }
        if (s->success_file) {
            int rc = fsp_success(s, p->rel, err);
            if (rc)
                return rc;
        }
        *pp = p->next;
        free(p->rel);
        free(p);
    }
    return 0;
}

static int fsp_commit(struct sl_sink *sk, uint64_t epoch, struct sl_error *err)
{
    struct fsp_sink *s = (struct fsp_sink *)sk;
    if (!s->ckpt)
        return 0;
    pthread_mutex_lock(&s->commit_lock);
    struct fsp_pending *todo = NULL, **pp;
    int64_t wm = INT64_MIN;
    bool all = false;
    pthread_mutex_lock(&s->lock);
    for (pp = &s->pend; *pp;) {
        struct fsp_pending *n = *pp;
        if (n->epoch <= epoch) {
            *pp = n->next;
            n->next = todo;
            todo = n;
        } else {
            pp = &n->next;
        }
    }
    for (struct fsp_ewm **ep = &s->ewm; *ep;) {
        struct fsp_ewm *e = *ep;
        if (e->epoch > epoch) {
            ep = &e->next;
            continue;
        }
        if (e->epoch == epoch) {
            wm = e->nprep == s->nworkers ? e->wm : INT64_MIN;
            all = e->nended == s->nworkers;
        }
        *ep = e->next;
        free(e);
    }
    pthread_mutex_unlock(&s->lock);
    int rc = 0;
    int64_t now = fsp_now_ms();
    while (todo && !rc) {
        struct fsp_pending *n = todo;
        char *from = fsp_name(s, n->rel, FSP_PENDING, n->worker, n->epoch, n->k);
        char *to = fsp_name(s, n->rel, FSP_VISIBLE, n->worker, n->epoch, n->k);
        if (!from || !to) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        } else {
            sl_crash_point("fs_sink.before_rename");
            int fault = sl_fault_hit("fs_sink.commit_rename");
            int e = fault < 0 ? -fault : fault ? EIO : 0;
            if (!e && rename(from, to) != 0)
                e = errno;
            struct stat st;
            if (e == ENOENT && stat(to, &st) == 0)
                e = 0;
            if (e)
                rc = sl_error_set(err, SL_EIO, "rename '%s' to '%s': %s", from, to, strerror(e));
            else
                sl_crash_point("fs_sink.after_rename");
        }
        if (!rc) {
            size_t dl = strlen(s->dir) + strlen(n->rel) + 2;
            char *d = malloc(dl);
            if (!d) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            } else {
                snprintf(d, dl, "%s/%s", s->dir, n->rel);
                rc = sl_durable_fsync_dir(d, err);
                free(d);
            }
        }
        if (!rc)
            rc = fsp_add_part(s, n->rel, now, err);
        free(from);
        free(to);
        if (rc)
            break;
        todo = n->next;
        free(n->rel);
        free(n);
    }
    if (todo) { /* not renamed: a later commit retries them */
        pthread_mutex_lock(&s->lock);
        while (todo) {
            struct fsp_pending *n = todo;
            todo = n->next;
            n->next = s->pend;
            s->pend = n;
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (!rc)
        rc = fsp_commit_parts(s, wm, all, err);
    pthread_mutex_unlock(&s->commit_lock);
    return rc;
}

/* ---- the sink: recovery -------------------------------------------------------------------- */

/* Recover's walk of the folder `rel` below the path (depth: partition columns left). */
static int fsp_recover_dir(struct fsp_sink *s, const char *rel, uint32_t depth, uint64_t committed,
                           bool dry, bool *bad, struct sl_error *err)
{
    size_t dl = strlen(s->dir) + strlen(rel) + 2;
    char *d = malloc(dl);
    if (!d)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    snprintf(d, dl, "%s/%s", s->dir, rel);
    DIR *dir = opendir(d);
    if (!dir) {
        int e = errno;
        free(d);
        return e == ENOENT
                   ? 0
                   : sl_error_set(err, SL_EIO, "directory '%s/%s': %s", s->dir, rel, strerror(e));
    }
    int rc = 0;
    bool changed = false, visible = false, success = false;
    struct dirent *de;
    while (!rc && (de = readdir(dir))) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, ".."))
            continue;
        if (depth > 0) {
            if (nm[0] == '.' || nm[0] == '_' || !strchr(nm, '='))
                continue;
            size_t rl = strlen(rel) + strlen(nm) + 2;
            char *sub = malloc(rl);
            if (!sub) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                break;
            }
            snprintf(sub, rl, "%s%s%s", rel, *rel ? "/" : "", nm);
            struct stat st;
            size_t fl = strlen(s->dir) + rl + 1;
            char *full = malloc(fl);
            if (full) {
                snprintf(full, fl, "%s/%s", s->dir, sub);
                if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
                    rc = fsp_recover_dir(s, sub, depth - 1, committed, dry, bad, err);
                free(full);
            } else {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            }
            free(sub);
            continue;
        }
        if (!strcmp(nm, s->success_name))
            success = true;
        enum fsp_kind kind;
        int worker;
        uint64_t epoch;
        uint32_t k;
        if (!fsp_parse_part(nm, s->ext, &kind, &worker, &epoch, &k))
            continue;
        if (*bad)
            continue;
        if (kind == FSP_VISIBLE && epoch > committed) {
            rc = sl_error_set(err, SL_ECORRUPT,
                              "filesystem sink: '%s/%s' is a part file of epoch %llu but the "
                              "last committed epoch is %llu: the directory holds output this "
                              "job's checkpoints do not know (another job's, or its state "
                              "was reset); move it away or restore the matching state",
                              d, nm, (unsigned long long)epoch, (unsigned long long)committed);
            *bad = true;
            break;
        }
        if (kind == FSP_VISIBLE) {
            visible = true;
            continue;
        }
        if (dry)
            continue;
        char *from = fsp_name(s, rel, kind, worker, epoch, k);
        char *to = fsp_name(s, rel, FSP_VISIBLE, worker, epoch, k);
        if (!from || !to) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        } else if (kind == FSP_PENDING && epoch <= committed) {
            if (rename(from, to) != 0)
                rc =
                    sl_error_set(err, SL_EIO, "rename '%s' to '%s': %s", from, to, strerror(errno));
            visible = true;
        } else if (unlink(from) != 0 && errno != ENOENT) {
            rc = sl_error_set(err, SL_EIO, "unlink '%s': %s", from, strerror(errno));
        }
        changed = true;
        free(from);
        free(to);
    }
    closedir(dir);
    if (!rc && changed)
        rc = sl_durable_fsync_dir(d, err);
    free(d);
    if (!rc && !dry && depth == 0 && visible && !success && s->success_file)
        rc = fsp_add_part(s, rel, fsp_now_ms(), err);
    return rc;
}

static int fsp_recover(struct sl_sink *sk, uint64_t committed, struct sl_error *err)
{
    struct fsp_sink *s = (struct fsp_sink *)sk;
    if (!s->ckpt)
        return 0;
    for (int i = 0; i < s->nworkers; i++)
        if (s->w[i].nopen)
            return sl_error_set(err, SL_ESTATE,
                                "filesystem sink '%s': recover after worker %d wrote rows", s->dir,
                                i);
    pthread_mutex_lock(&s->commit_lock);
    /* first a walk that only looks, so that a refusal (a visible part of a later epoch)
     * changes nothing */
    bool bad = false;
    int rc = fsp_recover_dir(s, "", s->t->npart, committed, true, &bad, err);
    if (!rc)
        rc = fsp_recover_dir(s, "", s->t->npart, committed, false, &bad, err);
    if (!rc) {
        pthread_mutex_lock(&s->lock);
        while (s->pend) {
            struct fsp_pending *n = s->pend;
            s->pend = n->next;
            free(n->rel);
            free(n);
        }
        pthread_mutex_unlock(&s->lock);
        for (int i = 0; i < s->nworkers; i++)
            s->w[i].epoch = committed + 1;
    }
    pthread_mutex_unlock(&s->commit_lock);
    return rc;
}

/* ---- the sink: end ------------------------------------------------------------------------- */

static int fsp_close(struct sl_sink *sk, struct sl_error *err)
{
    struct fsp_sink *s = (struct fsp_sink *)sk;
    if (s->ckpt) {
        /* as the unpartitioned sink: what no commit made visible stays hidden */
        for (int i = 0; i < s->nworkers; i++) {
            struct fsp_worker *w = &s->w[i];
            for (uint32_t k = 0; k < w->nopen; k++) {
                struct fsp_open *o = &w->open[k];
                if (o->fd < 0)
                    continue;
                close(o->fd);
                o->fd = -1;
                char *name = fsp_name(s, o->rel, FSP_INPROGRESS, i, w->epoch, o->k);
                if (name)
                    unlink(name);
                free(name);
            }
            fsp_forget(w);
        }
        /* the end of the job: the partitions whose rows are visible and not committed yet
         * commit now (Flink's endInput). Not only after the last epoch's commit: a resumed
         * run whose input had all been read before its crash takes no new epoch, and a
         * worker finished before the checkpoint it resumes from does not flush again. */
        pthread_mutex_lock(&s->commit_lock);
        int rc = fsp_commit_parts(s, INT64_MAX, true, err);
        pthread_mutex_unlock(&s->commit_lock);
        return rc;
    }
    /* without checkpoints: every file made visible, every partition committed (end of
     * input) */
    pthread_mutex_lock(&s->commit_lock);
    int rc = 0;
    for (int i = 0; i < s->nworkers && !rc; i++) {
        struct fsp_worker *w = &s->w[i];
        for (uint32_t k = 0; k < w->nopen && !rc; k++) {
            struct fsp_open *o = &w->open[k];
            if ((o->fd >= 0 || o->k) && !(rc = fsp_close_file(s, w, i, o, err)))
                rc = fsp_add_part(s, o->rel, 0, err);
        }
        if (!rc)
            fsp_forget(w);
    }
    if (!rc)
        rc = fsp_commit_parts(s, INT64_MAX, true, err);
    pthread_mutex_unlock(&s->commit_lock);
    return rc;
}

static void fsp_free(struct sl_sink *sk)
{
    struct fsp_sink *s = (struct fsp_sink *)sk;
    if (!s)
        return;
    if (s->w)
        for (int i = 0; i < s->nworkers; i++) {
            struct fsp_worker *w = &s->w[i];
            for (uint32_t k = 0; k < w->nopen; k++) {
                struct fsp_open *o = &w->open[k];
                if (o->fd >= 0) { /* never closed: leave no trace */
                    close(o->fd);
                    char *name = fsp_name(s, o->rel, FSP_INPROGRESS, i, w->epoch, o->k);
                    if (name)
                        unlink(name);
                    free(name);
                }
            }
            fsp_forget(w);
            free(w->open);
            sl_conn_codec_destroy(&w->codec);
            free(w->sel);
            free(w->rowpart);
            free(w->cols);
            free(w->key);
            free(w->name);
        }
    while (s->pend) {
        struct fsp_pending *n = s->pend;
        s->pend = n->next;
        free(n->rel);
        free(n);
    }
    while (s->ewm) {
        struct fsp_ewm *e = s->ewm;
        s->ewm = e->next;
        free(e);
    }
    while (s->parts) {
        struct fsp_part *p = s->parts;
        s->parts = p->next;
        free(p->rel);
        free(p);
    }
    if (s->locks) {
        pthread_mutex_destroy(&s->lock);
        pthread_mutex_destroy(&s->commit_lock);
    }
    free(s->w);
    free(s->data);
    free(s->dir);
    sl_schema_free(s->schema);
    free(s);
}

static const struct sl_sink_ops fsp_ops = {.write = fsp_write,
                                           .flush = fsp_flush,
                                           .close = fsp_close,
                                           .free = fsp_free,
                                           .prepare = fsp_prepare,
                                           .commit = fsp_commit,
                                           .recover = fsp_recover,
                                           .watermark = fsp_watermark};

/* ---- the sink: options --------------------------------------------------------------------- */

const char *const sl_fsp_option_keys[] = {"partition.default-name",
                                          "sink.rolling-policy.file-size",
                                          "sink.rolling-policy.rollover-interval",
                                          "sink.rolling-policy.check-interval",
                                          "sink.rolling-policy.inactivity-interval",
                                          "sink.partition-commit.trigger",
                                          "sink.partition-commit.delay",
                                          "sink.partition-commit.watermark-time-zone",
                                          "sink.partition-commit.policy.kind",
                                          "sink.partition-commit.success-file.name",
                                          "partition.time-extractor.kind",
                                          "partition.time-extractor.timestamp-pattern",
                                          "partition.time-extractor.timestamp-formatter",
                                          NULL};

/* A duration option as Flink's TimeUtils reads it: a number and a unit (ms, s, sec, min, m,
 * h, d and their long names; none: ms), into milliseconds. */
static int fsp_opt_duration(const struct sl_table *t, const struct sl_connector_env *env,
                            const char *key, int64_t dflt, int64_t *out, struct sl_error *err)
{
    static const struct {
        const char *name;
        int64_t ms;
    } units[] = {{"", 1},
                 {"ms", 1},
                 {"milli", 1},
                 {"millis", 1},
                 {"millisecond", 1},
                 {"milliseconds", 1},
                 {"s", 1000},
                 {"sec", 1000},
                 {"secs", 1000},
                 {"second", 1000},
                 {"seconds", 1000},
                 {"m", 60000},
                 {"min", 60000},
                 {"mins", 60000},
                 {"minute", 60000},
                 {"minutes", 60000},
                 {"h", 3600000},
                 {"hour", 3600000},
                 {"hours", 3600000},
                 {"d", 86400000},
                 {"day", 86400000},
                 {"days", 86400000}};
    const struct sl_option *o = sl_conn_opt(t, key);
    if (!o) {
        *out = dflt;
        return 0;
    }
    const char *s = o->value;
    while (*s == ' ')
        s++;
    int64_t v = 0;
    bool digits = false, big = false;
    for (; *s >= '0' && *s <= '9'; s++, digits = true) {
        big |= v > (INT64_MAX / 1000 / 86400000);
        v = big ? v : v * 10 + (*s - '0');
    }
    while (*s == ' ')
        s++;
    size_t ul = strlen(s);
    while (ul && s[ul - 1] == ' ')
        ul--;
    int unit = -1;
    for (size_t i = 0; digits && i < sizeof(units) / sizeof(units[0]); i++)
        if (strlen(units[i].name) == ul && strncasecmp(s, units[i].name, ul) == 0)
            unit = (int)i;
    if (unit < 0 || big)
        return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                              "option '%s': not a duration: '%s' (a number with a unit: ms, s, "
                              "min, h, d)",
                              key, o->value);
    *out = v * units[unit].ms;
    return 0;
}

int sl_conn_fs_psink(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                     struct sl_sink **out, struct sl_error *err)
{
    const char *path;
    int rc = sl_fs_path(t, env, &path, err);
    if (rc)
        return rc;
    size_t ppos = sl_conn_opt(t, "path")->pos;
    struct fsp_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    s->base.ops = &fsp_ops;
    s->base.table = t;
    s->t = t;
    s->nworkers = nworkers;
    s->ckpt = env->checkpoints;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return sl_error_set(err, SL_ENOMEM, "out of memory (mutex)");
    }
    if (pthread_mutex_init(&s->commit_lock, NULL) != 0) {
        pthread_mutex_destroy(&s->lock);
        free(s);
        return sl_error_set(err, SL_ENOMEM, "out of memory (mutex)");
    }
    s->locks = true;
    if ((rc = sl_conn_fmtspec_parse(t, env, &s->spec, err)) ||
        (rc = sl_fs_no_avro(t, env, &s->spec, err)))
        goto out_free;
    s->spec.opts.csv_line_end = s->spec.opts.json_line_end = true;
    /* the partition columns: types with a text form, not every column */
    for (uint32_t k = 0; k < t->npart; k++) {
        const struct sl_rel_col *c = &t->physical.cols[t->part[k]];
        bool ok = (c->type.id == SL_TYPE_VARCHAR && c->type.logical == SL_LOGICAL_NONE) ||
                  c->type.id == SL_TYPE_INT || c->type.id == SL_TYPE_BIGINT ||
                  c->type.id == SL_TYPE_BOOLEAN ||
                  (c->type.id == SL_TYPE_TIMESTAMP && c->type.logical == SL_LOGICAL_NONE);
        if (!ok) {
            rc = sl_conn_err_at(env, t, t->part_pos, err, SL_ENOTSUP,
                                "partition column '%s': partitions by this type are not "
                                "supported (STRING, INT, BIGINT, BOOLEAN or TIMESTAMP)",
                                c->name);
            goto out_free;
        }
    }
    if (t->npart >= t->physical.ncols) {
        rc = sl_conn_err_at(env, t, t->part_pos, err, SL_EINVAL,
                            "every column of table '%s' is a partition column: the files would "
                            "hold nothing",
                            t->name);
        goto out_free;
    }
    const char *v;
    s->default_name = (v = sl_table_option(t, "partition.default-name")) ? v : SL_FSP_DEFAULT_NAME;
    if (!*s->default_name || strchr(s->default_name, '/')) {
        rc = sl_conn_err_at(env, t, sl_conn_opt(t, "partition.default-name")->pos, err, SL_EINVAL,
                            "option 'partition.default-name': not a folder name: '%s'",
                            s->default_name);
        goto out_free;
    }
    if ((rc = sl_fs_opt_size(t, env, "sink.rolling-policy.file-size", 128ull << 20, &s->roll_size,
                             err)) ||
        (rc = fsp_opt_duration(t, env, "sink.rolling-policy.rollover-interval", 30 * 60000,
                               &s->roll_interval_ms, err)) ||
        (rc = fsp_opt_duration(t, env, "sink.rolling-policy.check-interval", 60000, &s->check_ms,
                               err)) ||
        (rc = fsp_opt_duration(t, env, "sink.rolling-policy.inactivity-interval", 30 * 60000,
                               &s->inactivity_ms, err)) ||
        (rc = fsp_opt_duration(t, env, "sink.partition-commit.delay", 0, &s->delay_ms, err)))
        goto out_free;
    static const char *const triggers[] = {"process-time", "partition-time", NULL};
    int trig;
    if ((rc = sl_conn_opt_choice(t, env, "sink.partition-commit.trigger", triggers, 0, &trig, err)))
        goto out_free;
    s->trigger = trig ? FSP_PARTITION_TIME : FSP_PROCESS_TIME;
    const struct sl_option *o;
    if ((o = sl_conn_opt(t, "sink.partition-commit.watermark-time-zone")) &&
        strcasecmp(o->value, "UTC") != 0) {
        rc = sl_conn_err_at(env, t, o->pos, err, SL_ENOTSUP,
                            "option 'sink.partition-commit.watermark-time-zone': only 'UTC' is "
                            "supported (sluice's timestamps are UTC), not '%s'",
                            o->value);
        goto out_free;
    }
    if ((o = sl_conn_opt(t, "partition.time-extractor.kind")) &&
        strcasecmp(o->value, "default") != 0) {
        rc = sl_conn_err_at(env, t, o->pos, err, SL_ENOTSUP,
                            "option 'partition.time-extractor.kind': only 'default' is "
                            "supported, not '%s'",
                            o->value);
        goto out_free;
    }
    s->ts_pattern = sl_table_option(t, "partition.time-extractor.timestamp-pattern");
    s->ts_formatter = sl_table_option(t, "partition.time-extractor.timestamp-formatter");
    if ((o = sl_conn_opt(t, "sink.partition-commit.policy.kind"))) {
        /* a comma-separated list; sluice has success-file */
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", o->value);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ')
                tok++;
            size_t l = strlen(tok);
            while (l && tok[l - 1] == ' ')
                tok[--l] = 0;
            if (strcasecmp(tok, "success-file") == 0) {
                s->success_file = true;
                continue;
            }
            rc = sl_conn_err_at(env, t, o->pos, err, SL_ENOTSUP,
                                "option 'sink.partition-commit.policy.kind': policy '%s' is not "
                                "supported (sluice has 'success-file'; 'metastore' needs a Hive "
                                "catalog)",
                                tok);
            goto out_free;
        }
    }
    s->success_name =
        (v = sl_table_option(t, "sink.partition-commit.success-file.name")) ? v : "_SUCCESS";
    if (!*s->success_name || strchr(s->success_name, '/')) {
        rc = sl_conn_err_at(env, t, sl_conn_opt(t, "sink.partition-commit.success-file.name")->pos,
                            err, SL_EINVAL,
                            "option 'sink.partition-commit.success-file.name': not a file name: "
                            "'%s'",
                            s->success_name);
        goto out_free;
    }
    if (s->trigger == FSP_PARTITION_TIME && s->ts_pattern) {
        /* every $name of the pattern is a partition column */
        for (const char *p = strchr(s->ts_pattern, '$'); p; p = strchr(p + 1, '$')) {
            bool known = false;
            for (uint32_t k = 0; k < t->npart && !known; k++) {
                const char *nm = t->physical.cols[t->part[k]].name;
                known = strncmp(p + 1, nm, strlen(nm)) == 0;
            }
            if (!known) {
                rc = sl_conn_err_at(
                    env, t, sl_conn_opt(t, "partition.time-extractor.timestamp-pattern")->pos, err,
                    SL_EINVAL,
                    "option 'partition.time-extractor.timestamp-pattern': '%s' names no "
                    "partition column",
                    p);
                goto out_free;
            }
        }
    }
    if (fsp_mkdirs(path) != 0) {
        rc = sl_conn_err_at(env, t, ppos, err, SL_EIO, "path '%s': %s", path, strerror(errno));
        goto out_free;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rc = sl_conn_err_at(env, t, ppos, err, SL_EINVAL,
                            "path '%s' is not a directory (a filesystem sink writes part files "
                            "into a directory)",
                            path);
        goto out_free;
    }
    s->dir = strdup(path);
    s->ext = sl_conn_format_ext(s->spec.format);
    /* the data columns: every physical column but the partition columns, in their order */
    s->ndata = t->physical.ncols - t->npart;
    s->data = malloc(s->ndata * sizeof(*s->data));
    const char **names = malloc(s->ndata * sizeof(*names));
    struct sl_type *types = malloc(s->ndata * sizeof(*types));
    s->w = calloc((size_t)nworkers, sizeof(*s->w));
    if (!s->dir || !s->data || !names || !types || !s->w) {
        free(names);
        free(types);
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    uint32_t n = 0;
    for (uint32_t c = 0; c < t->physical.ncols; c++) {
        bool part = false;
        for (uint32_t k = 0; k < t->npart; k++)
            part |= t->part[k] == c;
        if (part)
            continue;
        s->data[n] = c;
        names[n] = t->physical.cols[c].name;
        types[n] = t->physical.cols[c].type;
        n++;
    }
    s->schema = sl_schema_new(s->ndata, names, types);
    free(names);
    free(types);
    if (!s->schema) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    for (int i = 0; i < nworkers; i++) {
        struct fsp_worker *w = &s->w[i];
        w->epoch = 1;
        w->wm = INT64_MIN;
        w->sel = malloc(SL_BATCH_CAP * sizeof(*w->sel));
        w->rowpart = malloc(SL_BATCH_CAP * sizeof(*w->rowpart));
        w->cols = malloc(s->ndata * sizeof(*w->cols));
        if (!w->sel || !w->rowpart || !w->cols) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out_free;
        }
        struct sl_error e;
        sl_error_clear(&e);
        if ((rc = sl_conn_codec_init(&w->codec, &s->spec, s->schema, &e))) {
            rc = sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
            goto out_free;
        }
    }
    *out = &s->base;
    return 0;
out_free:
    fsp_free(&s->base);
    return rc;
}
