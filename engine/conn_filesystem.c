/*
 * engine/conn_filesystem.c - the 'filesystem' connector: files of records in, part files
 * out.
 *
 * SOURCE (bounded)
 * 'path' is a file or a directory; a directory's regular files are read (not its
 * subdirectories), sorted by name, skipping hidden names that start with '.' or '_' (as
 * Flink does: in-progress and marker files). One split per file; file i (in that order)
 * belongs to worker i % N, and its split id is i. A worker reads its files one after the
 * other; each file is mapped (mmap) and decoded straight from the mapping (decoders copy
 * strings into the batch, so the mapping is dropped when the file is done). Framing is
 * that of docs/formats.md: json and csv one record per line (csv quoted fields may hold
 * newlines; an empty json line is no record and is passed over), raw a 4-byte
 * little-endian length before each record. A truncated raw frame at the end of a file is a
 * bad record. Errors and dead letters name the file and the byte offset of the record.
 *
 * SINK
 * 'path' is a directory (created when missing). Each worker writes its own part file
 * part-<worker>-<n>.<ext> (n = 0 today; the checkpoint issue makes it one per epoch),
 * first under the hidden name .part-<worker>-<n>.<ext>.inprogress; close() fsyncs each
 * file, renames it into place and fsyncs the directory, so a reader never sees a partial
 * part file. A worker that wrote no row leaves no file. Records are framed as above.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/conn_impl.h"
#include "io/csv.h"

/* ---- source -------------------------------------------------------------------------------- */

struct fs_worker {
    struct sl_conn_codec codec;
    struct sl_badrec bad;
    struct sl_record *recs; /* SL_BATCH_CAP records (json, raw framing) */
    size_t *ends;           /* the byte after each framed record */
    uint32_t next;          /* index into the worker's files (of src->files) */
    const char *map;        /* the current file, or NULL */
    size_t len, pos;
    bool open;
};

struct fs_source {
    struct sl_source base;
    int nworkers;
    uint32_t nfiles;
    char **files;
    struct sl_schema *schema;
    struct sl_conn_fmtspec spec;
    struct sl_conn_dlq dlq;
    struct fs_worker *w;
};

static int fs_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of `path` (sorted) into src->files. */
static int fs_list(struct fs_source *src, const char *path, const struct sl_connector_env *env,
                   const struct sl_table *t, size_t pos, struct sl_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return sl_conn_err_at(env, t, pos, err, SL_ENOTFOUND, "path '%s': %s", path,
                              strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        src->files = malloc(sizeof(char *));
        if (!src->files || !(src->files[0] = strdup(path)))
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        src->nfiles = 1;
        return 0;
    }
    DIR *d = opendir(path);
    if (!d)
        return sl_conn_err_at(env, t, pos, err, SL_EIO, "path '%s': %s", path, strerror(errno));
    uint32_t cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || de->d_name[0] == '_')
            continue;
        size_t n = strlen(path) + strlen(de->d_name) + 2;
        char *full = malloc(n);
        if (!full) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            break;
        }
        snprintf(full, n, "%s/%s", path, de->d_name);
        if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(full);
            continue;
        }
        if (src->nfiles == cap) {
            cap = cap ? 2 * cap : 16;
            char **nf = realloc(src->files, cap * sizeof(char *));
            if (!nf) {
                free(full);
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                break;
            }
            src->files = nf;
        }
        src->files[src->nfiles++] = full;
    }
    closedir(d);
    if (!rc && src->nfiles)
        qsort(src->files, src->nfiles, sizeof(char *), fs_cmp);
    return rc;
}

static void fs_close_file(struct fs_worker *w)
{
    if (w->map && w->len)
        munmap((void *)w->map, w->len);
    w->map = NULL;
    w->len = w->pos = 0;
    w->open = false;
}

static int fs_open_file(struct fs_source *src, struct fs_worker *w, const char *path,
                        struct sl_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sl_error_set(err, SL_EIO, "file '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sl_error_set(err, SL_EIO, "file '%s': %s", path, strerror(e));
    }
    w->len = (size_t)st.st_size;
    w->pos = 0;
    w->map = NULL;
    if (w->len) {
        void *m = mmap(NULL, w->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            return sl_error_set(err, SL_EIO, "file '%s': mmap: %s", path, strerror(e));
        }
        madvise(m, w->len, MADV_SEQUENTIAL);
        w->map = m;
    }
    close(fd);
    w->open = true;
    (void)src;
    return 0;
}

/* Frames up to `room` records from w->pos; returns how many (ends[] set). A truncated raw
 * frame is handled as a bad record right here (*rc set when the policy fails). */
static size_t fs_frame(struct fs_source *src, struct fs_worker *w, const char *path, size_t room,
                       int *rc, struct sl_error *err)
{
    size_t n = 0, pos = w->pos;
    *rc = 0;
    while (n < room && pos < w->len) {
        const char *p = w->map + pos;
        size_t left = w->len - pos;
        struct sl_record *r = &w->recs[n];
        *r = (struct sl_record){path, -1, (int64_t)pos, -1, NULL, 0, NULL, 0};
        if (src->spec.format == SL_CONN_RAW) {
            uint32_t len = 0;
            if (left >= 4)
                len = (uint32_t)(uint8_t)p[0] | (uint32_t)(uint8_t)p[1] << 8 |
                      (uint32_t)(uint8_t)p[2] << 16 | (uint32_t)(uint8_t)p[3] << 24;
            if (left < 4 || len > left - 4) {
                if (n)
                    break; /* decode what came before first */
                r->value = p;
                r->value_len = left;
                char what[96];
                snprintf(what, sizeof(what), "truncated raw frame (%zu bytes left, %s)", left,
                         left < 4 ? "no length" : "length past the end of the file");
                *rc = sl_badrec_handle(&w->bad, r, SL_ECORRUPT, what, err);
                if (!*rc)
                    w->pos = w->len;
                return 0;
            }
            r->value = p + 4;
            r->value_len = len;
            pos += 4 + (size_t)len;
        } else {
            const char *nl = memchr(p, '\n', left);
            size_t ll = nl ? (size_t)(nl - p) : left;
            pos += nl ? ll + 1 : ll;
            if (ll && p[ll - 1] == '\r')
                ll--;
            if (!ll) {
                if (!n)
                    w->pos = pos; /* an empty line is no record */
                continue;
            }
            r->value = p;
            r->value_len = ll;
        }
        w->ends[n++] = pos;
    }
    return n;
}

static int fs_poll(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_batch *b,
                   int timeout_ms, struct sl_source_info *info, struct sl_error *err)
{
    (void)timeout_ms;
    struct fs_source *src = (struct fs_source *)s;
    struct fs_worker *w = &src->w[ctx->worker];
    uint32_t mine = src->nfiles > (uint32_t)ctx->worker
                        ? (src->nfiles - (uint32_t)ctx->worker + (uint32_t)src->nworkers - 1) /
                              (uint32_t)src->nworkers
                        : 0;
    info->split = -1;
    info->split_done = info->worker_done = false;
    if (w->next >= mine) {
        info->worker_done = true;
        return 0;
    }
    uint32_t file = (uint32_t)ctx->worker + w->next * (uint32_t)src->nworkers;
    const char *path = src->files[file];
    info->split = (int32_t)file;
    int rc = 0;
    if (!w->open && (rc = fs_open_file(src, w, path, err)))
        return rc;
    uint64_t bad0 = w->bad.skipped + w->bad.dead_lettered;
    uint32_t rows0 = b->rows;
    while (b->rows < SL_BATCH_CAP && w->pos < w->len) {
        if (src->spec.format == SL_CONN_CSV) {
            size_t used = 0;
            rc = sl_csv_decode_stream(w->codec.codec, w->map + w->pos, w->len - w->pos, true, path,
                                      (int64_t)w->pos, b, &w->bad, &used, err);
            w->pos += used;
            if (rc)
                break;
            continue;
        }
        size_t n = fs_frame(src, w, path, SL_BATCH_CAP - b->rows, &rc, err);
        if (rc)
            break;
        if (!n)
            continue;
        size_t consumed = 0;
        rc = sl_conn_codec_decode(&w->codec, w->recs, n, b, &w->bad, &consumed, err);
        if (consumed)
            w->pos = w->ends[consumed - 1];
        if (rc)
            break;
    }
    ctx->stats->rows_in += b->rows - rows0;
    ctx->stats->bad_records += w->bad.skipped + w->bad.dead_lettered - bad0;
    if (rc)
        return rc;
    if (w->pos >= w->len) {
        fs_close_file(w);
        w->next++;
        info->split_done = true;
        info->worker_done = w->next >= mine;
    }
    return 0;
}

static int fs_splits(struct sl_source *s, int worker, int32_t *ids, uint32_t cap, uint32_t *n)
{
    struct fs_source *src = (struct fs_source *)s;
    uint32_t k = 0;
    for (uint32_t f = (uint32_t)worker; f < src->nfiles; f += (uint32_t)src->nworkers) {
        if (k < cap)
            ids[k] = (int32_t)f;
        k++;
    }
    *n = k;
    return k > cap ? SL_EFULL : 0;
}

static void fs_free(struct sl_source *s)
{
    struct fs_source *src = (struct fs_source *)s;
    if (!src)
        return;
    if (src->w)
        for (int i = 0; i < src->nworkers; i++) {
            fs_close_file(&src->w[i]);
            sl_conn_codec_destroy(&src->w[i].codec);
            free(src->w[i].recs);
            free(src->w[i].ends);
        }
    free(src->w);
    for (uint32_t i = 0; i < src->nfiles; i++)
        free(src->files[i]);
    free(src->files);
    sl_conn_dlq_close(&src->dlq);
    sl_schema_free(src->schema);
    free(src);
}

static const struct sl_source_ops fs_source_ops = {
    .poll = fs_poll, .splits = fs_splits, .free = fs_free};

static const char *const fs_source_keys[] = {"path", NULL};

int sl_conn_fs_source(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                      struct sl_source **out, struct sl_error *err)
{
    const char *const *lists[2] = {fs_source_keys, sl_conn_format_keys};
    const char *keys[16];
    size_t nk = 0;
    for (int l = 0; l < 2; l++)
        for (const char *const *k = lists[l]; *k; k++)
            keys[nk++] = *k;
    keys[nk] = NULL;
    int rc = sl_conn_check_options(t, env, keys, NULL, err);
    if (rc)
        return rc;
    const char *path;
    if ((rc = sl_conn_opt_required(t, env, "path", &path, err)))
        return rc;
    struct fs_source *src = calloc(1, sizeof(*src));
    if (!src)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    src->base.ops = &fs_source_ops;
    src->base.table = t;
    src->nworkers = nworkers;
    if ((rc = sl_conn_fmtspec_parse(t, env, &src->spec, err)))
        goto out_free;
    if ((rc = fs_list(src, path, env, t, sl_conn_opt(t, "path")->pos, err)))
        goto out_free;
    src->schema = sl_schema_from_rel(&t->physical);
    src->w = calloc((size_t)nworkers, sizeof(*src->w));
    if (!src->schema || !src->w) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    if (src->spec.policy == SL_BADREC_DEAD_LETTER &&
        (rc = sl_conn_dlq_open(&src->dlq, src->spec.dead_letter_path, err)))
        goto out_free;
    for (int i = 0; i < nworkers; i++) {
        struct fs_worker *w = &src->w[i];
        struct sl_error e;
        sl_error_clear(&e);
        if ((rc = sl_conn_codec_init(&w->codec, &src->spec, src->schema, &e))) {
            rc = sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
            goto out_free;
        }
        sl_conn_badrec_init(&w->bad, &src->spec, &src->dlq);
        w->recs = malloc(SL_BATCH_CAP * sizeof(*w->recs));
        w->ends = malloc(SL_BATCH_CAP * sizeof(*w->ends));
        if (!w->recs || !w->ends) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out_free;
        }
    }
    *out = &src->base;
    return 0;
out_free:
    fs_free(&src->base);
    return rc;
}

/* ---- sink ---------------------------------------------------------------------------------- */

struct fs_part {
    struct sl_conn_codec codec;
    struct sl_fmt_out out;
    int fd;            /* -1 until the first row */
    char *tmp, *final; /* the in-progress and final names */
    char pad[64];
};

struct fs_sink {
    struct sl_sink base;
    int nworkers;
    char *dir;
    struct sl_schema *schema;
    struct sl_conn_fmtspec spec;
    struct fs_part *p;
};

static int fs_write_all(int fd, const char *data, size_t len, const char *path,
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

/* Writes the encoded records of p->out (raw: each behind its length) and clears it. */
static int fs_drain(struct fs_sink *s, struct fs_part *p, struct sl_error *err)
{
    int rc = 0;
    if (s->spec.format != SL_CONN_RAW) {
        rc = fs_write_all(p->fd, p->out.data, p->out.len, p->tmp, err);
    } else {
        /* frame into a second pass buffer: length prefixes are 4 bytes per record */
        size_t need = p->out.len + 4 * (size_t)p->out.nrec;
        char *buf = malloc(need ? need : 1);
        if (!buf)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        size_t k = 0;
        for (uint32_t i = 0; i < p->out.nrec; i++) {
            size_t l = sl_fmt_out_rec_len(&p->out, i);
            buf[k++] = (char)(l & 0xff);
            buf[k++] = (char)((l >> 8) & 0xff);
            buf[k++] = (char)((l >> 16) & 0xff);
            buf[k++] = (char)((l >> 24) & 0xff);
            memcpy(buf + k, sl_fmt_out_rec(&p->out, i), l);
            k += l;
        }
        rc = fs_write_all(p->fd, buf, k, p->tmp, err);
        free(buf);
    }
    sl_fmt_out_clear(&p->out);
    return rc;
}

static int fs_sink_write(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_batch *b,
                         struct sl_error *err)
{
    struct fs_sink *s = (struct fs_sink *)sk;
    struct fs_part *p = &s->p[ctx->worker];
    uint32_t n = sl_batch_active(b);
    if (!n)
        return 0;
    if (p->fd < 0) {
        p->fd = open(p->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (p->fd < 0)
            return sl_error_set(err, SL_EIO, "file '%s': %s", p->tmp, strerror(errno));
    }
    int rc = sl_conn_codec_encode(&p->codec, b, &p->out, err);
    if (rc)
        return rc;
    ctx->stats->rows_out += n;
    if (p->out.len >= (1u << 20))
        return fs_drain(s, p, err);
    return 0;
}

static int fs_sink_flush(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct fs_sink *s = (struct fs_sink *)sk;
    struct fs_part *p = &s->p[ctx->worker];
    return p->fd >= 0 ? fs_drain(s, p, err) : 0;
}

static int fs_fsync_dir(const char *dir, struct sl_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return sl_error_set(err, SL_EIO, "directory '%s': %s", dir, strerror(errno));
    int rc = fsync(fd) != 0
                 ? sl_error_set(err, SL_EIO, "directory '%s': fsync: %s", dir, strerror(errno))
                 : 0;
    close(fd);
    return rc;
}

static int fs_sink_close(struct sl_sink *sk, struct sl_error *err)
{
    struct fs_sink *s = (struct fs_sink *)sk;
    bool any = false;
    for (int i = 0; i < s->nworkers; i++) {
        struct fs_part *p = &s->p[i];
        if (p->fd < 0)
            continue;
        int rc = p->out.len ? fs_drain(s, p, err) : 0;
        if (!rc && fsync(p->fd) != 0)
            rc = sl_error_set(err, SL_EIO, "file '%s': fsync: %s", p->tmp, strerror(errno));
        close(p->fd);
        p->fd = -1;
        if (!rc && rename(p->tmp, p->final) != 0)
            rc = sl_error_set(err, SL_EIO, "rename '%s' to '%s': %s", p->tmp, p->final,
                              strerror(errno));
        if (rc)
            return rc;
        any = true;
    }
    return any ? fs_fsync_dir(s->dir, err) : 0;
}

static void fs_sink_free(struct sl_sink *sk)
{
    struct fs_sink *s = (struct fs_sink *)sk;
    if (!s)
        return;
    if (s->p)
        for (int i = 0; i < s->nworkers; i++) {
            struct fs_part *p = &s->p[i];
            if (p->fd >= 0) { /* never closed: the output is not final, leave no trace */
                close(p->fd);
                unlink(p->tmp);
            }
            sl_conn_codec_destroy(&p->codec);
            sl_fmt_out_free(&p->out);
            free(p->tmp);
            free(p->final);
        }
    free(s->p);
    free(s->dir);
    sl_schema_free(s->schema);
    free(s);
}

static const struct sl_sink_ops fs_sink_ops = {
    .write = fs_sink_write, .flush = fs_sink_flush, .close = fs_sink_close, .free = fs_sink_free};

int sl_conn_fs_sink(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                    struct sl_sink **out, struct sl_error *err)
{
    static const char *const keys[] = {
        "path", "format", "value.format", "csv.field-delimiter", "csv.null-literal", NULL};
    int rc = sl_conn_check_options(t, env, keys, NULL, err);
    if (rc)
        return rc;
    const char *path;
    if ((rc = sl_conn_opt_required(t, env, "path", &path, err)))
        return rc;
    size_t ppos = sl_conn_opt(t, "path")->pos;
    struct fs_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    s->base.ops = &fs_sink_ops;
    s->base.table = t;
    s->nworkers = nworkers;
    if ((rc = sl_conn_fmtspec_parse(t, env, &s->spec, err)))
        goto out_free;
    s->spec.opts.csv_line_end = s->spec.opts.json_line_end = true;
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
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
    s->schema = sl_schema_from_rel(&t->physical);
    s->p = calloc((size_t)nworkers, sizeof(*s->p));
    if (!s->dir || !s->schema || !s->p) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    for (int i = 0; i < nworkers; i++)
        s->p[i].fd = -1;
    const char *ext = sl_conn_format_ext(s->spec.format);
    for (int i = 0; i < nworkers; i++) {
        struct fs_part *p = &s->p[i];
        sl_fmt_out_init(&p->out);
        size_t n = strlen(path) + 64;
        p->tmp = malloc(n);
        p->final = malloc(n);
        if (!p->tmp || !p->final) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out_free;
        }
        snprintf(p->tmp, n, "%s/.part-%d-0.%s.inprogress", path, i, ext);
        snprintf(p->final, n, "%s/part-%d-0.%s", path, i, ext);
        struct sl_error e;
        sl_error_clear(&e);
        if ((rc = sl_conn_codec_init(&p->codec, &s->spec, s->schema, &e))) {
            rc = sl_conn_err_at(env, t, SIZE_MAX, err, rc, "%s", e.msg);
            goto out_free;
        }
    }
    *out = &s->base;
    return 0;
out_free:
    fs_sink_free(&s->base);
    return rc;
}
