/*
 * engine/conn/fs_partition.c - the partitioned filesystem sink, and the partition path
 * helpers both directions share (see fs_partition.h for the layout and the escaping).
 *
 * PART FILES
 * Each partition folder holds the part files of fs_writer.h (the protocol of the
 * unpartitioned sink, shared): a worker keeps one open file (struct sl_fsw_file) per
 * partition it wrote in the current epoch,
 *
 *     <path>/<partition>/.part-<worker>-E[-k].<ext>.inprogress   rows being written
 *     <path>/<partition>/.part-<worker>-E[-k].<ext>.pending      prepare(E): fsynced, closed
 *     <path>/<partition>/part-<worker>-E[-k].<ext>               commit(E): visible
 *
 * rolled at every checkpoint and by the rolling policy ('sink.rolling-policy.*', fs_writer.h).
 * Partition columns are not written into the files (Flink's writer projects them away).
 *
 * WRITING A BATCH (vectorized): one pass per partition column hashes the active rows'
 * values (XXH3, chained over the columns, NULL and '' alike: both are the default name) into
 * a hash per row; one pass over the rows groups them by hash in a small open-addressing
 * table, a row joining a group only when its values equal the group's first row's
 * (fsp_same_part: a hash collision never merges two partitions). Then per group, not per
 * row: its folder path is built from its first row and looked up (hash, then the path) in the
 * worker's table of open files; a counting pass lays each group's rows out as a selection,
 * in batch order, and each group goes through the encoder once.
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
 * that worker's struct fsp_worker, closing files into the writer's pending list and prepare
 * adding to s->ewm under s->fw.lock. commit and recover run on the coordinator's thread under
 * s->fw.commit_lock; the pending partitions are theirs only.
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
#include <xxhash.h>

#include "engine/conn/fs_writer.h"
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

int sl_fsp_data_columns(const struct sl_table *t, uint32_t **data, struct sl_schema **schema,
                        struct sl_error *err)
{
    uint32_t nd = t->physical.ncols - t->npart, n = 0;
    uint32_t *d = malloc((nd ? nd : 1) * sizeof(*d));
    const char **names = malloc((nd ? nd : 1) * sizeof(*names));
    struct sl_type *types = malloc((nd ? nd : 1) * sizeof(*types));
    for (uint32_t c = 0; d && names && types && c < t->physical.ncols; c++) {
        bool part = false;
        for (uint32_t k = 0; k < t->npart; k++)
            part |= t->part[k] == c;
        if (part)
            continue;
        d[n] = c;
        names[n] = t->physical.cols[c].name;
        types[n] = t->physical.cols[c].type;
        n++;
    }
    struct sl_schema *sc = d && names && types ? sl_schema_new(nd, names, types) : NULL;
    free(names);
    free(types);
    if (!sc) {
        free(d);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    *data = d;
    *schema = sc;
    return 0;
}

/* ---- the sink: types ----------------------------------------------------------------------- */

/* A partition of the batch being written: its first row, its value hash, its rows. */
struct fsp_group {
    uint64_t hash;
    uint32_t rep;   /* the row whose values are the partition's */
    uint32_t count; /* rows of the batch in it */
    uint32_t start; /* its rows' offset in sel */
    uint32_t file;  /* index into the worker's open files */
    uint32_t into;  /* the group whose rows it joins: itself, or an earlier group of the same
                       folder (a value equal to the default name and a NULL, say) */
};

/* A partition written in the current epoch: its open file (fs_writer.h). */
struct fsp_open {
    struct sl_fsw_file f;
    uint64_t hash;  /* XXH3 of f.rel */
    uint64_t stamp; /* the batch that last took it (fsp_group) */
    uint32_t group; /* that batch's group of it */
};

struct fsp_worker {
    struct sl_conn_codec codec; /* over the data (non-partition) columns */
    /* The partitions written in the current epoch, found by the hash of their folder path in
     * an open-addressing table of indexes + 1. */
    struct fsp_open *open;
    uint32_t nopen, capopen;
    uint64_t batches; /* batches grouped (fsp_open.stamp) */
    uint32_t *slots;  /* capslots entries, a power of two, at most half full */
    uint32_t capslots;
    uint64_t epoch; /* checkpoints: 1 + the last epoch prepared or recovered; 0 without */
    int64_t wm;     /* the last watermark the sink saw (INT64_MIN: none) */
    bool ended;     /* flush: no more input */
    /* a batch being written, SL_BATCH_CAP entries each (gslots twice that) */
    uint64_t *hash; /* each active row's partition hash */
    uint32_t *gid;  /* each active row's group */
    struct fsp_group *groups;
    uint32_t *gslots; /* group index + 1 by hash */
    uint32_t capg;
    sl_sel_t *sel;          /* the rows of each group in turn */
    struct sl_column *cols; /* the data columns of a batch being written */
    char *key;              /* a partition path being built */
    size_t keycap;
    char pad[64];
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
    struct sl_fsw fw; /* the part files of every partition folder; fw.lock also guards ewm */
    struct sl_conn_fmtspec spec;
    struct sl_schema *schema; /* the data columns */
    uint32_t ndata;
    uint32_t *data; /* physical index of each data column */
    const char *default_name;
    enum fsp_trigger trigger;
    int64_t delay_ms;
    bool success_file;
    const char *success_name;
    const char *ts_pattern;   /* NULL: the first partition value */
    const char *ts_formatter; /* NULL: yyyy-MM-dd HH:mm:ss */
    struct fsp_worker *w;
    struct fsp_ewm *ewm;
    struct fsp_part *parts; /* under fw.commit_lock */
};

/* ---- the sink: writing --------------------------------------------------------------------- */

/* The partition path of row `row` of b into w->key (NUL-terminated); its length. */
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
                                s->fw.dir, name, k - start + nl + 1, NAME_MAX);
    }
    w->key[k] = 0;
    *len = k;
    return 0;
}

#define FSP_NULL_HASH 0x9e3779b97f4a7c15ull /* a NULL or empty value: the default name */

/* The hash of each active row's partition values into w->hash, a column at a time: XXH3 of
 * the value's bytes seeded with the hash of the columns before it. Two rows have the same
 * partition path exactly when their values are equal (fsp_same_part), NULL and '' alike. */
static void fsp_hash_rows(const struct fsp_sink *s, struct fsp_worker *w, struct sl_batch *b,
                          uint32_t n)
{
    const sl_sel_t *sel = b->sel;
    for (uint32_t j = 0; j < n; j++)
        w->hash[j] = 0;
    for (uint32_t i = 0; i < s->t->npart; i++) {
        struct sl_column *col = &b->cols[s->t->part[i]];
        switch (col->type.id) {
        case SL_TYPE_VARCHAR: {
            const sl_str *v = sl_col_str(col);
            for (uint32_t j = 0; j < n; j++) {
                uint32_t r = sel ? sel[j] : j;
                bool none = (col->valid && sl_col_is_null(col, r)) || v[r].len == 0;
                w->hash[j] = none ? XXH3_64bits_withSeed(&w->hash[j], 8, FSP_NULL_HASH)
                                  : XXH3_64bits_withSeed(sl_str_data(&v[r]), v[r].len, w->hash[j]);
            }
            break;
        }
        case SL_TYPE_INT:
        case SL_TYPE_BIGINT:
        case SL_TYPE_BOOLEAN:
        case SL_TYPE_TIMESTAMP:
            for (uint32_t j = 0; j < n; j++) {
                uint32_t r = sel ? sel[j] : j;
                int64_t x = col->type.id == SL_TYPE_INT       ? sl_col_i32(col)[r]
                            : col->type.id == SL_TYPE_BOOLEAN ? sl_col_bool(col)[r] != 0
                                                              : sl_col_i64(col)[r];
                w->hash[j] = col->valid && sl_col_is_null(col, r)
                                 ? XXH3_64bits_withSeed(&w->hash[j], 8, FSP_NULL_HASH)
                                 : XXH3_64bits_withSeed(&x, sizeof(x), w->hash[j]);
            }
            break;
        default:
            break; /* refused at open */
        }
    }
}

/* Whether rows a and b of batch b have the same partition values (NULL and '' alike). */
static bool fsp_same_part(const struct fsp_sink *s, struct sl_batch *b, uint32_t ra, uint32_t rb)
{
    for (uint32_t i = 0; i < s->t->npart; i++) {
        struct sl_column *col = &b->cols[s->t->part[i]];
        bool na = col->valid && sl_col_is_null(col, ra);
        bool nb = col->valid && sl_col_is_null(col, rb);
        switch (col->type.id) {
        case SL_TYPE_VARCHAR: {
            const sl_str *v = sl_col_str(col);
            na |= !na && v[ra].len == 0;
            nb |= !nb && v[rb].len == 0;
            if (na != nb ||
                (!na && (v[ra].len != v[rb].len ||
                         memcmp(sl_str_data(&v[ra]), sl_str_data(&v[rb]), v[ra].len) != 0)))
                return false;
            break;
        }
        case SL_TYPE_INT:
            if (na != nb || (!na && sl_col_i32(col)[ra] != sl_col_i32(col)[rb]))
                return false;
            break;
        case SL_TYPE_BOOLEAN:
            if (na != nb || (!na && !sl_col_bool(col)[ra] != !sl_col_bool(col)[rb]))
                return false;
            break;
        default: /* BIGINT, TIMESTAMP */
            if (na != nb || (!na && sl_col_i64(col)[ra] != sl_col_i64(col)[rb]))
                return false;
            break;
        }
    }
    return true;
}

/* The open file of the partition of row `rep`, added when the epoch has none yet. */
static int fsp_find(struct fsp_sink *s, struct fsp_worker *w, struct sl_batch *b, uint32_t rep,
                    uint32_t *idx, struct sl_error *err)
{
    size_t kl = 0;
    int rc = fsp_key(s, w, b, rep, &kl, err);
    if (rc)
        return rc;
    uint64_t h = XXH3_64bits(w->key, kl);
    uint32_t mask = w->capslots - 1, slot = (uint32_t)h & mask;
    for (; w->capslots && w->slots[slot]; slot = (slot + 1) & mask) {
        uint32_t i = w->slots[slot] - 1;
        if (w->open[i].hash == h && strcmp(w->open[i].f.rel, w->key) == 0) {
            *idx = i;
            return 0;
        }
    }
    if (w->nopen == w->capopen) {
        uint32_t cap = w->capopen ? 2 * w->capopen : 8;
        struct fsp_open *no = realloc(w->open, cap * sizeof(*no));
        if (!no)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        w->open = no;
        w->capopen = cap;
    }
    if (2 * (w->nopen + 1) > w->capslots) { /* grow the table, at most half full */
        uint32_t cap = w->capslots ? 2 * w->capslots : 16;
        uint32_t *ns = calloc(cap, sizeof(*ns));
        if (!ns)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        for (uint32_t i = 0; i < w->nopen; i++) {
            uint32_t sl = (uint32_t)w->open[i].hash & (cap - 1);
            while (ns[sl])
                sl = (sl + 1) & (cap - 1);
            ns[sl] = i + 1;
        }
        free(w->slots);
        w->slots = ns;
        w->capslots = cap;
        for (slot = (uint32_t)h & (cap - 1); w->slots[slot]; slot = (slot + 1) & (cap - 1))
            ;
    }
    struct fsp_open *o = &w->open[w->nopen];
    if ((rc = sl_fsw_file_init(&o->f, w->key, err)))
        return rc;
    o->hash = h;
    o->stamp = 0;
    w->slots[slot] = w->nopen + 1;
    *idx = w->nopen++;
    return 0;
}

/* Groups the n active rows of b by partition: w->groups (in the order of their first row),
 * each with its open file and its rows in w->sel[start, start + count); the group count. */
static int fsp_group(struct fsp_sink *s, struct fsp_worker *w, struct sl_batch *b, uint32_t n,
                     uint32_t *ngroups, struct sl_error *err)
{
    fsp_hash_rows(s, w, b, n);
    const sl_sel_t *sel = b->sel;
    uint32_t ng = 0, mask = w->capg - 1;
    memset(w->gslots, 0, w->capg * sizeof(*w->gslots));
    for (uint32_t j = 0; j < n; j++) {
        uint32_t r = sel ? sel[j] : j, slot = (uint32_t)w->hash[j] & mask, g = UINT32_MAX;
        for (; w->gslots[slot]; slot = (slot + 1) & mask) {
            struct fsp_group *gr = &w->groups[w->gslots[slot] - 1];
            if (gr->hash == w->hash[j] && fsp_same_part(s, b, gr->rep, r)) {
                g = w->gslots[slot] - 1;
                break;
            }
        }
        if (g == UINT32_MAX) {
            g = ng++;
            w->groups[g] = (struct fsp_group){w->hash[j], r, 0, 0, 0, g};
            w->gslots[slot] = g + 1;
        }
        w->gid[j] = g;
        w->groups[g].count++;
    }
    uint64_t stamp = ++w->batches;
    for (uint32_t g = 0; g < ng; g++) {
        struct fsp_group *gr = &w->groups[g];
        int rc = fsp_find(s, w, b, gr->rep, &gr->file, err);
        if (rc)
            return rc;
        struct fsp_open *o = &w->open[gr->file];
        if (o->stamp != stamp) {
            o->stamp = stamp;
            o->group = g;
        }
        gr->into = o->group;
        if (gr->into != g)
            w->groups[gr->into].count += gr->count;
    }
    uint32_t off = 0;
    for (uint32_t g = 0; g < ng; g++) {
        struct fsp_group *gr = &w->groups[g];
        gr->start = off;
        off += gr->into == g ? gr->count : 0;
        gr->count = 0;
    }
    for (uint32_t j = 0; j < n; j++) { /* each folder's rows in batch order */
        struct fsp_group *gr = &w->groups[w->groups[w->gid[j]].into];
        w->sel[gr->start + gr->count++] = sel ? sel[j] : (sl_sel_t)j;
    }
    *ngroups = ng;
    return 0;
}

static int fsp_write(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_batch *b,
                     struct sl_error *err)
{
    struct fsp_sink *s = (struct fsp_sink *)sk;
    struct fsp_worker *w = &s->w[ctx->worker];
    uint32_t n = sl_batch_active(b);
    int64_t now = sl_fsw_now_ms();
    int rc = 0;
    for (uint32_t i = 0; i < w->nopen && !rc; i++) /* the time-based rolling policy */
        if (sl_fsw_due(&s->fw, &w->open[i].f, now))
            rc = sl_fsw_close(&s->fw, &w->open[i].f, ctx->worker, w->epoch, w->epoch, err);
    uint32_t ng;
    if (rc || !n || (rc = fsp_group(s, w, b, n, &ng, err)))
        return rc;
    /* a view of the data columns; each partition's rows in turn through the encoder */
    for (uint32_t c = 0; c < s->ndata; c++)
        w->cols[c] = b->cols[s->data[c]];
    struct sl_batch view = *b;
    view.ncols = s->ndata;
    view.cols = w->cols;
    view.schema = s->schema;
    for (uint32_t g = 0; g < ng; g++) {
        const struct fsp_group *gr = &w->groups[g];
        if (gr->into != g)
            continue; /* its rows are in an earlier group of the same folder */
        view.sel = w->sel + gr->start;
        view.nsel = gr->count;
        size_t added;
        rc = sl_fsw_write(&s->fw, &w->open[gr->file].f, ctx->worker, w->epoch, &w->codec, &view,
                          now, &added, err);
        sl_stats_add(&ctx->stats->rows_out, gr->count);
        sl_stats_add(&ctx->stats->bytes_out, added);
        if (rc)
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
        int rc = sl_fsw_drain(&s->fw, &w->open[i].f, err);
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

/* Forgets w's partitions of the epoch (an open file is discarded: see the callers). */
static void fsp_forget(struct fsp_sink *s, struct fsp_worker *w, int worker)
{
    for (uint32_t i = 0; i < w->nopen; i++)
        sl_fsw_file_free(&s->fw, &w->open[i].f, worker, w->epoch);
    w->nopen = 0;
    if (w->slots)
        memset(w->slots, 0, w->capslots * sizeof(*w->slots));
}

static int fsp_prepare(struct sl_sink *sk, struct sl_worker_ctx *ctx, uint64_t epoch,
                       struct sl_error *err)
{
    struct fsp_sink *s = (struct fsp_sink *)sk;
    struct fsp_worker *w = &s->w[ctx->worker];
    if (!s->fw.ckpt)
        return fsp_flush(sk, ctx, err);
    int rc = sl_fsw_prepare_check(&s->fw, ctx->worker, w->epoch, epoch, err);
    for (uint32_t i = 0; i < w->nopen && !rc; i++)
        rc = sl_fsw_close(&s->fw, &w->open[i].f, ctx->worker, w->epoch, epoch, err);
    if (rc)
        return rc;
    fsp_forget(s, w, ctx->worker);
    /* the committer's watermark at this checkpoint: the smallest of the workers' */
    struct fsp_ewm *e;
    pthread_mutex_lock(&s->fw.lock);
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
    pthread_mutex_unlock(&s->fw.lock);
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
                          s->fw.dir, rel, text,
                          s->ts_formatter ? s->ts_formatter : "yyyy-MM-dd HH:mm:ss");
    free(text);
    return rc;
}

/* Writes the success file of partition `rel`. */
static int fsp_success(const struct fsp_sink *s, const char *rel, struct sl_error *err)
{
    size_t n = strlen(s->fw.dir) + strlen(rel) + strlen(s->success_name) + 3;
    char *path = malloc(n), *d = malloc(n);
    if (!path || !d) {
        free(path);
        free(d);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    snprintf(path, n, "%s/%s/%s", s->fw.dir, rel, s->success_name);
    snprintf(d, n, "%s/%s", s->fw.dir, rel);
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
    int64_t now = sl_fsw_now_ms();
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

/* fs_writer's commit made the files of folder rel visible: the partition is pending. */
static int fsp_visible(void *ctx, const char *rel, struct sl_error *err)
{
    struct fsp_sink *s = ctx;
    return fsp_add_part(s, rel, sl_fsw_now_ms(), err);
}

static int fsp_commit(struct sl_sink *sk, uint64_t epoch, struct sl_error *err)
{
    struct fsp_sink *s = (struct fsp_sink *)sk;
    if (!s->fw.ckpt)
        return 0;
    pthread_mutex_lock(&s->fw.commit_lock);
    int64_t wm = INT64_MIN;
    bool all = false;
    pthread_mutex_lock(&s->fw.lock);
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
    pthread_mutex_unlock(&s->fw.lock);
    int rc = sl_fsw_commit(&s->fw, epoch, fsp_visible, s, err);
    if (!rc)
        rc = fsp_commit_parts(s, wm, all, err);
    pthread_mutex_unlock(&s->fw.commit_lock);
    return rc;
}

/* ---- the sink: recovery -------------------------------------------------------------------- */

/* Recover's walk of the folder `rel` below the path (depth: partition columns left): the
 * partition folders at depth 0 through fs_writer. */
static int fsp_recover_dir(struct fsp_sink *s, const char *rel, uint32_t depth, uint64_t committed,
                           bool dry, struct sl_error *err)
{
    if (depth == 0) {
        bool visible, success;
        int rc = sl_fsw_recover_folder(&s->fw, rel, committed, dry, s->success_name, &visible,
                                       &success, err);
        if (!rc && !dry && visible && !success && s->success_file)
            rc = fsp_add_part(s, rel, sl_fsw_now_ms(), err);
        return rc;
    }
    size_t dl = strlen(s->fw.dir) + strlen(rel) + 2;
    char *d = malloc(dl);
    if (!d)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    snprintf(d, dl, "%s/%s", s->fw.dir, rel);
    DIR *dir = opendir(d);
    if (!dir) {
        int e = errno;
        free(d);
        return e == ENOENT ? 0
                           : sl_error_set(err, SL_EIO, "directory '%s/%s': %s", s->fw.dir, rel,
                                          strerror(e));
    }
    int rc = 0;
    struct dirent *de;
    while (!rc && (de = readdir(dir))) {
        const char *nm = de->d_name;
        if (nm[0] == '.' || nm[0] == '_' || !strchr(nm, '='))
            continue;
        size_t rl = strlen(rel) + strlen(nm) + 2;
        char *sub = malloc(rl), *full = malloc(strlen(s->fw.dir) + rl + 1);
        if (!sub || !full) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        } else {
            snprintf(sub, rl, "%s%s%s", rel, *rel ? "/" : "", nm);
            snprintf(full, strlen(s->fw.dir) + rl + 1, "%s/%s", s->fw.dir, sub);
            struct stat st;
            if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
                rc = fsp_recover_dir(s, sub, depth - 1, committed, dry, err);
        }
        free(sub);
        free(full);
    }
    closedir(dir);
    free(d);
    return rc;
}

static int fsp_recover(struct sl_sink *sk, uint64_t committed, struct sl_error *err)
{
    struct fsp_sink *s = (struct fsp_sink *)sk;
    if (!s->fw.ckpt)
        return 0;
    /* one job at a time writes a folder: the lock first (with --zk), then the folder */
    int lrc = sl_fsw_lock(&s->fw, err);
    if (lrc)
        return lrc;
    for (int i = 0; i < s->nworkers; i++)
        if (s->w[i].nopen)
            return sl_error_set(err, SL_ESTATE,
                                "filesystem sink '%s': recover after worker %d wrote rows",
                                s->fw.dir, i);
    pthread_mutex_lock(&s->fw.commit_lock);
    /* first a walk that only looks, so that a refusal (a visible part of a later epoch)
     * changes nothing */
    int rc = fsp_recover_dir(s, "", s->t->npart, committed, true, err);
    if (!rc)
        rc = fsp_recover_dir(s, "", s->t->npart, committed, false, err);
    if (!rc) {
        sl_fsw_forget_pending(&s->fw);
        for (int i = 0; i < s->nworkers; i++)
            s->w[i].epoch = committed + 1;
    }
    pthread_mutex_unlock(&s->fw.commit_lock);
    return rc;
}

/* ---- the sink: end ------------------------------------------------------------------------- */

static int fsp_close(struct sl_sink *sk, struct sl_error *err)
{
    struct fsp_sink *s = (struct fsp_sink *)sk;
    if (s->fw.ckpt) {
        /* as the unpartitioned sink: what no commit made visible stays hidden (fsp_forget
         * discards the files still in progress) */
        for (int i = 0; i < s->nworkers; i++)
            fsp_forget(s, &s->w[i], i);
        /* the end of the job: the partitions whose rows are visible and not committed yet
         * commit now (Flink's endInput). Not only after the last epoch's commit: a resumed
         * run whose input had all been read before its crash takes no new epoch, and a
         * worker finished before the checkpoint it resumes from does not flush again. */
        pthread_mutex_lock(&s->fw.commit_lock);
        int rc = fsp_commit_parts(s, INT64_MAX, true, err);
        pthread_mutex_unlock(&s->fw.commit_lock);
        return rc;
    }
    /* without checkpoints: every file made visible, every partition committed (end of
     * input) */
    pthread_mutex_lock(&s->fw.commit_lock);
    int rc = 0;
    for (int i = 0; i < s->nworkers && !rc; i++) {
        struct fsp_worker *w = &s->w[i];
        for (uint32_t k = 0; k < w->nopen && !rc; k++) {
            struct sl_fsw_file *o = &w->open[k].f;
            if ((o->fd >= 0 || o->k) && !(rc = sl_fsw_close(&s->fw, o, i, 0, 0, err)))
                rc = fsp_add_part(s, o->rel, 0, err);
        }
        if (!rc)
            fsp_forget(s, w, i);
    }
    if (!rc)
        rc = fsp_commit_parts(s, INT64_MAX, true, err);
    pthread_mutex_unlock(&s->fw.commit_lock);
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
            fsp_forget(s, w, i); /* a file never closed: leave no trace */
            free(w->open);
            free(w->slots);
            sl_conn_codec_destroy(&w->codec);
            free(w->hash);
            free(w->gid);
            free(w->groups);
            free(w->gslots);
            free(w->sel);
            free(w->cols);
            free(w->key);
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
    sl_fsw_destroy(&s->fw);
    free(s->w);
    free(s->data);
    sl_schema_free(s->schema);
    free(s);
}

/* A live rolling-policy change (engine/conn/fs_writer.h). */
static int fsp_set_option(struct sl_sink *sk, const char *option, const char *value,
                          struct sl_error *err)
{
    return sl_fsw_set_option(&((struct fsp_sink *)sk)->fw, option, value, err);
}

static const struct sl_sink_ops fsp_ops = {.write = fsp_write,
                                           .flush = fsp_flush,
                                           .close = fsp_close,
                                           .free = fsp_free,
                                           .prepare = fsp_prepare,
                                           .commit = fsp_commit,
                                           .recover = fsp_recover,
                                           .watermark = fsp_watermark,
                                           .set_option = fsp_set_option};

/* ---- the sink: options --------------------------------------------------------------------- */

/* (the rolling policy's keys are fs_writer's: sl_fsw_option_keys) */
const char *const sl_fsp_option_keys[] = {"partition.default-name",
                                          "sink.partition-commit.trigger",
                                          "sink.partition-commit.delay",
                                          "sink.partition-commit.watermark-time-zone",
                                          "sink.partition-commit.policy.kind",
                                          "sink.partition-commit.success-file.name",
                                          "partition.time-extractor.kind",
                                          "partition.time-extractor.timestamp-pattern",
                                          "partition.time-extractor.timestamp-formatter",
                                          NULL};
int sl_conn_fs_psink(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                     struct sl_sink **out, struct sl_error *err)
{
    const char *path;
    int rc = sl_fs_path(t, env, &path, err);
    if (rc)
        return rc;
    struct fsp_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    s->base.ops = &fsp_ops;
    s->base.table = t;
    s->t = t;
    s->nworkers = nworkers;
    if ((rc = sl_conn_fmtspec_parse(t, env, &s->spec, err)) ||
        (rc = sl_conn_fmtspec_sink_check(t, env, &s->spec, err)) ||
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
    if ((rc = sl_fsw_init(&s->fw, t, env, err)) ||
        (rc = sl_fsw_opt_duration(t, env, "sink.partition-commit.delay", 0, &s->delay_ms, err)))
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
    if ((rc = sl_fs_sink_dir(t, env, &s->fw.dir, err)))
        goto out_free;
    s->fw.ext = sl_conn_format_ext(s->spec.format);
    s->fw.raw = s->spec.format == SL_CONN_RAW;
    /* the data columns: every physical column but the partition columns, in their order */
    s->ndata = t->physical.ncols - t->npart;
    if ((rc = sl_fsp_data_columns(t, &s->data, &s->schema, err)))
        goto out_free;
    s->w = calloc((size_t)nworkers, sizeof(*s->w));
    if (!s->w) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    for (int i = 0; i < nworkers; i++) {
        struct fsp_worker *w = &s->w[i];
        w->epoch = s->fw.ckpt ? 1 : 0;
        w->wm = INT64_MIN;
        for (w->capg = 4; w->capg < 2 * SL_BATCH_CAP; w->capg *= 2)
            ;
        w->sel = malloc(SL_BATCH_CAP * sizeof(*w->sel));
        w->hash = malloc(SL_BATCH_CAP * sizeof(*w->hash));
        w->gid = malloc(SL_BATCH_CAP * sizeof(*w->gid));
        w->groups = malloc(SL_BATCH_CAP * sizeof(*w->groups));
        w->gslots = malloc(w->capg * sizeof(*w->gslots));
        w->cols = malloc(s->ndata * sizeof(*w->cols));
        if (!w->sel || !w->hash || !w->gid || !w->groups || !w->gslots || !w->cols) {
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
