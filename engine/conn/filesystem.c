/*
 * engine/conn/filesystem.c - the 'filesystem' connector: files of records in, part files
 * out.
 *
 * SOURCE (bounded)
 * 'path' is a file or a directory; a directory's regular files are read (not its
 * subdirectories), sorted by name, skipping hidden names that start with '.' or '_' (as
 * Flink does: in-progress and marker files). Framing is that of docs/formats.md: json and
 * csv one record per line (csv quoted fields may hold newlines; an empty json line is no
 * record and is passed over), raw a 4-byte little-endian length before each record. A
 * truncated raw frame at the end of a file is a bad record. Errors and dead letters name
 * the file and the byte offset of the record (byte offsets, never line numbers: a range
 * that starts mid-file cannot know its line numbers without reading what comes before).
 *
 * Byte-range splits. Files are cut into byte ranges so that one large file is read by all
 * the workers (the rule is at "source: ranges": files up to 'sluice.split-size', default
 * 32 MiB, are one range; a larger file is cut into a multiple of N equal ranges of at
 * most that size), and range j belongs to worker j % N. A range [a, b) owns the records
 * that START in it (Hadoop's rule): its reader skips to the first record start at or
 * after a and reads past b to finish its last record. Where records start:
 *   json  after a '\n': the first record of a range starts after the first '\n' at or
 *         after a - 1.
 *   csv   after a '\n' outside quotes. io/csv.c frames lines with a quote toggle (every
 *         '"' flips it, a line ends at a '\n' with the toggle off, and every line starts
 *         with it off), so whether a is inside quotes is the parity of the '"' before a in
 *         the file. A range's reader takes that parity from the previous range's reader
 *         (published when that range ends: the scan that finishes its last line passes b)
 *         or, when it is not known yet, counts the '"' of the ranges before it itself, from
 *         the nearest one whose parity is known (every such count is published too); so
 *         the file's quotes are counted about once in all, by the workers in parallel.
 *   raw   at the frames' length chain from offset 0: the first frame at or after a is
 *         found by walking the chain from the nearest earlier range whose first frame is
 *         known (the previous range's reader publishes where its last frame ends). A walk
 *         reads 4 bytes a frame but every page of what it walks.
 * Where a range's first record is, once found, is published for that range and for every
 * later range of the file that starts before it (also by a reader whose last record runs
 * past its end): a record that spans many ranges is scanned about once per worker, rather
 * than once per range.
 * A worker reads its ranges in order, so its rows of one file come in file order. For event
 * time a worker's ranges of one file are one split (its id is the file's index): they are
 * a subsequence of the file, so a file whose timestamps are out of order by at most the
 * WATERMARK's bound stays so, and a range not begun yet does not hold the watermark back.
 * The split is done when the worker's last range of the file is.
 *
 * Memory. A worker reads with pread into its own buffer ('sluice.read-buffer', default 4
 * MiB), refilled as the records are decoded (decoders copy strings into the batch); a
 * record longer than the buffer doubles it until it fits, and it shrinks back when the
 * range ends. Nothing maps or holds a whole file, so a worker's memory is its buffer and its
 * batches whatever the file's size.
 *
 * The files are those of the listing: a file is read up to the size it had then (a file
 * that grew is read to that size, one that shrank is an error naming it).
 *
 * Checkpoints (source): save records, per worker, the index of the range being read and the
 * byte offset of its next record, plus the worker count, the split size and the names and
 * sizes of the worker's files, so that a restore against files that changed is refused
 * (SL_ECORRUPT naming the file) instead of resuming at an offset that means something else.
 * The state layout is at fs_save.
 *
 * Fault point: fs_source.read (a read fails, or with SHORT transfers half its bytes).
 *
 * SINK
 * 'path' is a directory (created when missing). Records are framed as above. The part files
 * and their protocol are fs_writer.h's, shared with the partitioned sink (fs_partition.c,
 * one folder per partition; here the one folder is 'path'): each worker writes one open part
 * file at a time, rolled by the rolling policy ('sink.rolling-policy.file-size' 128mb,
 * '.rollover-interval' 30 min, '.inactivity-interval' 30 min, '.check-interval': Flink's
 * options and defaults) and, with checkpoints, at every prepare.
 *
 * Without checkpoints (env->checkpoints false) each worker writes part-<worker>-0.<ext>
 * (a rolled file: part-<worker>-0-<k>.<ext>), first under the hidden name
 * .part-<worker>-0.<ext>.inprogress; close() fsyncs each file, renames it into place and
 * fsyncs the directory, so a reader never sees a partial part file. A worker that wrote no
 * row leaves no file.
 *
 * With checkpoints: exactly-once part files, as Flink's FileSink does it. A part file is
 * one worker's rows of one epoch (or of a roll within it) and goes through three names (E =
 * the epoch as 10 digits, zero-padded, so that `ls` and `cat part-*` order a worker's parts
 * by epoch; an epoch past 9999999999 simply gets longer; -k the k-th roll of the epoch):
 *
 *     .part-<worker>-E[-k].<ext>.inprogress   rows being written (the epoch after the last
 *                                             prepared one)
 *     .part-<worker>-E[-k].<ext>.pending      prepare(E) or a roll: drained, fsynced,
 *                                             closed, renamed, directory fsynced - durable,
 *                                             not visible
 *     part-<worker>-E[-k].<ext>               commit(E): every pending part of an epoch <= E
 *                                             renamed, directory fsynced - visible
 *
 * Hidden names start with '.', which readers of the directory skip (sluice's own
 * filesystem source does, like Flink's). A worker that wrote no row in an epoch leaves no
 * file for it; its next rows open the next epoch's file. recover(C) before the job starts
 * renames the pending parts of epochs <= C (committed, but the crash came before their
 * rename) and deletes every in-progress part and the pending parts of epochs > C (their
 * rows are written again by the restored job). close() only releases: whatever no commit
 * made visible stays hidden (rows written after the last prepare are dropped with their
 * in-progress file; the engine prepares and commits a final epoch before close). The crash
 * and fault points of the protocol are listed in fs_writer.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/conn/conn_impl.h"
#include "engine/conn/fs_partition.h"
#include "engine/conn/fs_writer.h"
#include "engine/conn/registry.h"
#include "engine/core/durable.h"
#include "engine/core/fault.h"
#include "io/csv.h"

/* ---- source -------------------------------------------------------------------------------- */

#define FS_SPLIT_SIZE (32ull << 20) /* 'sluice.split-size' by default */
#define FS_READ_BUFFER (4ull << 20) /* 'sluice.read-buffer' by default */
#define FS_SIZE_MAX (1ull << 40)    /* the largest value of either option */
#define FS_MAX_RANGES (1u << 20)    /* ranges of one source, all files together */
#define FS_UNKNOWN UINT64_MAX       /* a range fact nobody has worked out yet */
#define SL_FS_MAX_COLS 1024         /* partitioned source: columns pruned (more: none) */

/* A byte range of a file: it owns the records that START in [start, end). */
struct fs_range {
    uint32_t file;
    uint64_t start, end;
};

/* One worker's reader. THREADS: touched by its worker's thread only. */
struct fs_worker {
    struct sl_conn_codec codec;
    struct sl_badrec bad;
    struct sl_record *recs; /* SL_BATCH_CAP records (json, raw framing) */
    uint64_t *ends;         /* the byte after each framed record */
    uint32_t next;          /* index into this worker's ranges (range worker + next * N) */
    bool open;              /* range `next` is begun: pos, end and flen hold */
    int fd;                 /* file fd_file, kept open from one range of it to the next */
    uint32_t fd_file;
    uint64_t pos;     /* file offset of the next record (always a record start) */
    uint64_t end;     /* the range's end: records starting before it are the range's */
    uint64_t flen;    /* the file's size when the source was opened */
    uint64_t endsync; /* csv: the quote state at `end` once a scan passed it, else FS_UNKNOWN */
    char *buf;        /* file bytes [boff, boff + blen); cap bytes allocated (0: none yet) */
    size_t cap, blen;
    uint64_t boff;
    struct sl_column *view; /* partitioned: the data columns of the batch being filled */
    char pad[64];           /* workers' structs are written on every poll: no shared cache line */
};

struct fs_source {
    struct sl_source base;
    int nworkers;
    uint32_t nfiles;
    char **files;
    uint64_t *sizes;     /* each file's size when the source was opened */
    size_t name_off;     /* files[i] + name_off is the name under 'path' (checkpoint state) */
    char *path;          /* the 'path' option (errors) */
    uint64_t split_size; /* 'sluice.split-size' */
    size_t read_buffer;  /* 'sluice.read-buffer' */
    uint32_t nranges;
    struct fs_range *ranges; /* every file's ranges, in file order then offset order */
    /* Facts about the ranges that workers share (FS_UNKNOWN until one worked it out; a
     * file's first range knows both: 0). They are facts about the file, so racing writers
     * store the same value. THREADS: any worker, atomics.
     * first: the offset of the range's first record - the first record start at or after
     *        its start (the file's size when none). Published by whoever finds it: the
     *        reader of the range, or the reader of an earlier range whose scan (or last
     *        record) passed the range's start - so that a record spanning many ranges is
     *        not scanned again for each of them.
     * quote: csv only, the quote state at the range's start (0 outside quotes, 1 inside):
     *        the parity of the '"' before it in the file. */
    _Atomic uint64_t *first;
    _Atomic uint64_t *quote;
    struct sl_schema *schema;
    struct sl_conn_fmtspec spec;
    struct sl_conn_dlq dlq;
    struct fs_worker *w;
    /* PARTITIONED BY (fs_partition.h): the codecs decode the data columns (data[i]: their
     * physical index) into a view of the batch, poll fills the partition columns from
     * pvals[file * npart + k] (the unescaped folder value; NULL: the default name, NULL). */
    uint32_t npart, ndata;
    uint32_t *data;
    struct sl_schema *data_schema;
    char **pvals;
};

/* A listed file while sorting: name and size travel together. */
struct fs_entry {
    char *path;
    uint64_t size;
};

static int fs_cmp(const void *a, const void *b)
{
    return strcmp(((const struct fs_entry *)a)->path, ((const struct fs_entry *)b)->path);
}

/*
 * The regular files of directory `dir` into ents (not sorted). A partitioned table's files
 * are those of its partition folders: at `depth` k < t->npart only the folders named
 * '<k-th partition column>=...' are entered, and files are taken at depth t->npart only
 * (others are passed over, as Flink lists only the partition folders).
 */
static int fs_walk(const char *dir, const struct sl_table *t, uint32_t depth,
                   const struct sl_connector_env *env, size_t pos, struct fs_entry **ents,
                   uint32_t *n, uint32_t *cap, struct sl_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return sl_conn_err_at(env, t, pos, err, SL_EIO, "path '%s': %s", dir, strerror(errno));
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d))) {
        if (de->d_name[0] == '.' || de->d_name[0] == '_')
            continue;
        bool folder = depth < t->npart;
        if (folder) {
            const char *col = t->physical.cols[t->part[depth]].name;
            size_t cl = strlen(col);
            if (strncmp(de->d_name, col, cl) != 0 || de->d_name[cl] != '=')
                continue;
        }
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        char *full = malloc(len);
        if (!full) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            break;
        }
        snprintf(full, len, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(full, &st) != 0 || (folder ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) {
            free(full);
            continue;
        }
        if (folder) {
            rc = fs_walk(full, t, depth + 1, env, pos, ents, n, cap, err);
            free(full);
            continue;
        }
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 16;
            struct fs_entry *ne = realloc(*ents, *cap * sizeof(**ents));
            if (!ne) {
                free(full);
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                break;
            }
            *ents = ne;
        }
        (*ents)[(*n)++] = (struct fs_entry){full, (uint64_t)st.st_size};
    }
    closedir(d);
    return rc;
}

/* The files of `path` (sorted) into src->files and src->sizes. */
static int fs_list(struct fs_source *src, const char *path, const struct sl_connector_env *env,
                   const struct sl_table *t, size_t pos, struct sl_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return sl_conn_err_at(env, t, pos, err, SL_ENOTFOUND, "path '%s': %s", path,
                              strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        src->files = malloc(sizeof(char *));
        src->sizes = malloc(sizeof(uint64_t));
        if (!src->files || !src->sizes || !(src->files[0] = strdup(path)))
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        src->sizes[0] = (uint64_t)st.st_size;
        src->nfiles = 1;
        const char *slash = strrchr(path, '/');
        src->name_off = slash ? (size_t)(slash + 1 - path) : 0;
        return 0;
    }
    src->name_off = strlen(path) + 1;
    struct fs_entry *ents = NULL;
    uint32_t n = 0, cap = 0;
    int rc = fs_walk(path, t, 0, env, pos, &ents, &n, &cap, err);
    if (!rc && n) {
        qsort(ents, n, sizeof(*ents), fs_cmp);
        src->files = malloc(n * sizeof(char *));
        src->sizes = malloc(n * sizeof(uint64_t));
        if (!src->files || !src->sizes)
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < n; i++) {
        if (rc) {
            free(ents[i].path);
            continue;
        }
        src->files[i] = ents[i].path;
        src->sizes[i] = ents[i].size;
    }
    if (!rc)
        src->nfiles = n;
    free(ents);
    return rc;
}

/* ---- source: ranges ----
 * A file of L bytes is one range when L <= S (S = 'sluice.split-size'); otherwise it is cut
 * into k = ceil(L / S) ranges rounded up to a multiple of N (the worker count), of equal
 * size to a byte (range i starts at i * (L / k) + min(i, L % k)), so that every worker gets
 * the same share of the file. Ranges are numbered over all files in order; range j belongs
 * to worker j % N. With no file above S, range j is file j: the assignment of before. */

static uint64_t fs_range_count(uint64_t len, uint64_t split, uint32_t nworkers)
{
    if (len <= split)
        return 1;
    uint64_t k = len / split + (len % split != 0);
    return (k + nworkers - 1) / nworkers * nworkers;
}

static int fs_plan_ranges(struct fs_source *src, const struct sl_connector_env *env,
                          const struct sl_table *t, struct sl_error *err)
{
    uint64_t total = 0;
    for (uint32_t f = 0; f < src->nfiles && total <= FS_MAX_RANGES; f++)
        total += fs_range_count(src->sizes[f], src->split_size, (uint32_t)src->nworkers);
    if (total > FS_MAX_RANGES) {
        const struct sl_option *o = sl_conn_opt(t, "sluice.split-size");
        return sl_conn_err_at(env, t, o ? o->pos : SIZE_MAX, err, SL_ERANGE,
                              "'sluice.split-size' = %llu bytes cuts the files of path '%s' "
                              "into more than %u ranges: choose a larger split size",
                              (unsigned long long)src->split_size, src->path, FS_MAX_RANGES);
    }
    src->ranges = malloc((total ? total : 1) * sizeof(*src->ranges));
    src->first = malloc((total ? total : 1) * sizeof(*src->first));
    src->quote = malloc((total ? total : 1) * sizeof(*src->quote));
    if (!src->ranges || !src->first || !src->quote)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    uint32_t j = 0;
    for (uint32_t f = 0; f < src->nfiles; f++) {
        uint64_t len = src->sizes[f];
        uint64_t k = fs_range_count(len, src->split_size, (uint32_t)src->nworkers);
        uint64_t q = len / k, rem = len % k;
        for (uint64_t i = 0; i < k; i++, j++) {
            uint64_t start = i * q + (i < rem ? i : rem);
            src->ranges[j] = (struct fs_range){f, start, start + q + (i < rem)};
            atomic_init(&src->first[j], i == 0 ? 0 : FS_UNKNOWN);
            atomic_init(&src->quote[j], i == 0 ? 0 : FS_UNKNOWN);
        }
    }
    src->nranges = j;
    return 0;
}

/* How many ranges worker `worker` reads: ranges worker, worker + N, worker + 2N, ... */
static uint32_t fs_mine(const struct fs_source *src, int worker)
{
    uint32_t w = (uint32_t)worker, n = (uint32_t)src->nworkers;
    return src->nranges > w ? (src->nranges - w + n - 1) / n : 0;
}

/* The global index of `worker`'s i-th range. */
static uint32_t fs_range_of(const struct fs_source *src, int worker, uint32_t i)
{
    return (uint32_t)worker + i * (uint32_t)src->nworkers;
}

/* ---- source: reading ----
 * A worker reads with pread into its own buffer (src->read_buffer bytes; doubled while a
 * record does not fit, back to its size when the range ends), so at most a buffer of each
 * file is resident, never the file. */

static void fs_close_range(struct fs_source *src, struct fs_worker *w, bool close_file)
{
    if (close_file && w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    w->open = false;
    w->blen = 0;
    w->boff = 0;
    if (w->cap > src->read_buffer) { /* a long record grew it */
        free(w->buf);
        w->buf = NULL;
        w->cap = 0;
    }
}

/* Makes the buffer start at file offset `from` (keeping what it holds from there on) and
 * hold at least `min` bytes from it, or up to the end of the file; reads as much as fits. */
static int fs_read_more(struct fs_source *src, struct fs_worker *w, uint64_t from, size_t min,
                        const char *path, struct sl_error *err)
{
    uint64_t bend = w->boff + w->blen;
    if (from < w->boff || from >= bend) {
        w->boff = from;
        w->blen = 0;
    } else if (from > w->boff) {
        w->blen = (size_t)(bend - from);
        memmove(w->buf, w->buf + (from - w->boff), w->blen);
        w->boff = from;
    }
    if (min > w->flen - from)
        min = (size_t)(w->flen - from);
    do {
        if (w->blen == w->cap) {
            size_t ncap = w->cap ? 2 * w->cap : src->read_buffer;
            char *nb = realloc(w->buf, ncap);
            if (!nb)
                return sl_error_set(err, SL_ENOMEM, "out of memory (read buffer of %zu bytes)",
                                    ncap);
            w->buf = nb;
            w->cap = ncap;
        }
        uint64_t at = w->boff + w->blen;
        size_t want = w->cap - w->blen;
        if (want > w->flen - at)
            want = (size_t)(w->flen - at);
        if (!want)
            break;
        int fault = sl_fault_hit("fs_source.read");
        if (fault == SL_FAULT_SHORT && want > 1)
            want /= 2;
        ssize_t k =
            fault < 0 ? (errno = -fault, -1) : pread(w->fd, w->buf + w->blen, want, (off_t)at);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return sl_error_set(err, SL_EIO, "file '%s': read at offset %llu: %s", path,
                                (unsigned long long)at, strerror(errno));
        if (k == 0)
            return sl_error_set(err, SL_EIO,
                                "file '%s' ends at offset %llu but had %llu bytes when the job "
                                "started: it changed",
                                path, (unsigned long long)at, (unsigned long long)w->flen);
        w->blen += (size_t)k;
    } while (w->blen < min);
    return 0;
}

/* Points *p at file bytes [at, at + *n) of the buffer, *n >= min(need, the rest of the
 * file); reads when the buffer does not hold them. at < the file's size. */
static int fs_view(struct fs_source *src, struct fs_worker *w, uint64_t at, size_t need,
                   const char **p, size_t *n, const char *path, struct sl_error *err)
{
    uint64_t bend = w->boff + w->blen;
    if (at < w->boff || at >= bend || (bend - at < need && bend < w->flen)) {
        int rc = fs_read_more(src, w, at, need, path, err);
        if (rc)
            return rc;
    }
    *p = w->buf + (at - w->boff);
    *n = (size_t)(w->boff + w->blen - at);
    return 0;
}

static uint32_t fs_le32(const char *p)
{
    return (uint32_t)(uint8_t)p[0] | (uint32_t)(uint8_t)p[1] << 8 | (uint32_t)(uint8_t)p[2] << 16 |
           (uint32_t)(uint8_t)p[3] << 24;
}

/* The parity of the '"' in p[0 .. n): a loop the compiler vectorizes. */
static unsigned fs_quote_parity(const char *p, size_t n)
{
    uint8_t x = 0;
    for (size_t i = 0; i < n; i++)
        x ^= (uint8_t)(p[i] == '"');
    return x & 1u;
}

/* csv: the quote state at the start of range j, i.e. the parity of the '"' before it in its
 * file (csv's line framing is a quote toggle, io/csv.c: a line ends at a '\n' outside
 * quotes, and every line starts outside). Counts quotes from the nearest earlier range of
 * the file whose state is known and publishes every state it passes. */
static int fs_csv_state(struct fs_source *src, struct fs_worker *w, uint32_t j, uint64_t *q,
                        const char *path, struct sl_error *err)
{
    uint32_t i = j;
    uint64_t v;
    while ((v = atomic_load_explicit(&src->quote[i], memory_order_acquire)) == FS_UNKNOWN)
        i--; /* stops at the file's first range, whose state is 0 */
    for (; i < j; i++) {
        uint64_t at = src->ranges[i].start, to = src->ranges[i].end;
        while (at < to) {
            const char *p;
            size_t n;
            int rc = fs_view(src, w, at, 1, &p, &n, path, err);
            if (rc)
                return rc;
            if (n > to - at)
                n = (size_t)(to - at);
            v ^= fs_quote_parity(p, n);
            at += n;
        }
        atomic_store_explicit(&src->quote[i + 1], v, memory_order_release);
    }
    *q = v;
    return 0;
}

/* raw: the first frame start at or after range j's start (the file's size when none): walks
 * the length chain from the nearest earlier range whose value is known, publishing every
 * value it passes. A truncated frame ends the chain (it runs to the end of the file). */
static int fs_raw_start(struct fs_source *src, struct fs_worker *w, uint32_t j, uint64_t *out,
                        const char *path, struct sl_error *err)
{
    uint32_t i = j;
    uint64_t p;
    while ((p = atomic_load_explicit(&src->first[i], memory_order_acquire)) == FS_UNKNOWN)
        i--;
    for (; i < j; i++) {
        uint64_t to = src->ranges[i + 1].start;
        while (p < to) {
            uint64_t rest = w->flen - p;
            const char *q;
            size_t n;
            if (rest < 4) {
                p = w->flen;
                break;
            }
            int rc = fs_view(src, w, p, 4, &q, &n, path, err);
            if (rc)
                return rc;
            uint32_t len = fs_le32(q);
            if (len > rest - 4) {
                p = w->flen;
                break;
            }
            p += 4 + (uint64_t)len;
        }
        atomic_store_explicit(&src->first[i + 1], p, memory_order_release);
    }
    *out = p;
    return 0;
}

/* The first record start at or after `a` (0 < a < the file's size) of the range w is
 * beginning: json after the first '\n' at or after a - 1; csv the same with the '\n'
 * outside quotes (from quote state q at a); the file's size when there is none. A csv scan
 * that passes the range's end notes the quote state there (w->endsync). */
static int fs_align_line(struct fs_source *src, struct fs_worker *w, uint64_t a, bool csv,
                         uint64_t q, uint64_t *out, const char *path, struct sl_error *err)
{
    const char *p;
    size_t n;
    int rc = fs_view(src, w, a - 1, 1, &p, &n, path, err);
    if (rc)
        return rc;
    if (p[0] == '\n' && (!csv || q == 0)) {
        *out = a;
        return 0;
    }
    for (uint64_t t = a; t < w->flen;) {
        if ((rc = fs_view(src, w, t, 1, &p, &n, path, err)))
            return rc;
        if (!csv) {
            const char *nl = memchr(p, '\n', n);
            if (nl) {
                *out = t + (uint64_t)(nl - p) + 1;
                return 0;
            }
            t += n;
            continue;
        }
        for (size_t i = 0; i < n; i++, t++) {
            if (t == w->end)
                w->endsync = q;
            if (p[i] == '"')
                q ^= 1;
            else if (p[i] == '\n' && q == 0) {
                *out = t + 1;
                return 0;
            }
        }
    }
    *out = w->flen;
    return 0;
}

/* Opens file f for worker w (its fd; w->fd is -1). */
static int fs_open_file(struct fs_source *src, struct fs_worker *w, uint32_t f,
                        struct sl_error *err)
{
    const char *path = src->files[f];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sl_error_set(err, SL_EIO, "file '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sl_error_set(err, SL_EIO, "file '%s': %s", path, strerror(e));
    }
    if ((uint64_t)st.st_size < src->sizes[f]) {
        close(fd);
        return sl_error_set(err, SL_EIO,
                            "file '%s' has %llu bytes but had %llu when the job started: it "
                            "changed",
                            path, (unsigned long long)st.st_size,
                            (unsigned long long)src->sizes[f]);
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    w->fd = fd;
    w->fd_file = f;
    return 0;
}

/* Opens range j for worker w (pos at the range's start), its file unless already open. */
static int fs_open_range(struct fs_source *src, struct fs_worker *w, uint32_t j,
                         struct sl_error *err)
{
    const struct fs_range *r = &src->ranges[j];
    bool reopen = w->fd < 0 || w->fd_file != r->file;
    fs_close_range(src, w, reopen);
    int rc = reopen ? fs_open_file(src, w, r->file, err) : 0;
    if (rc)
        return rc;
    w->flen = src->sizes[r->file];
    w->end = r->end;
    w->endsync = FS_UNKNOWN;
    w->pos = r->start;
    w->open = true;
    return 0;
}

/* No record starts in [ranges[j].start, s) and one starts at s (or s is the file's end):
 * s is the first record of range j and of every later range of the file that starts at or
 * before s. */
static void fs_publish_first(struct fs_source *src, uint32_t j, uint64_t s)
{
    uint32_t f = src->ranges[j].file;
    for (; j < src->nranges && src->ranges[j].file == f && src->ranges[j].start <= s; j++)
        atomic_store_explicit(&src->first[j], s, memory_order_release);
}

/* Begins range j on worker w: opens its file and finds its first record. */
static int fs_begin(struct fs_source *src, struct fs_worker *w, uint32_t j, struct sl_error *err)
{
    int rc = fs_open_range(src, w, j, err);
    if (rc)
        return rc;
    const struct fs_range *r = &src->ranges[j];
    const char *path = src->files[r->file];
    uint64_t s = atomic_load_explicit(&src->first[j], memory_order_acquire);
    if (s == FS_UNKNOWN) {
        s = r->start;
        uint64_t q = 0;
        switch (src->spec.format) {
        case SL_CONN_JSON:
        case SL_CONN_DEBEZIUM_JSON:
            rc = fs_align_line(src, w, s, false, 0, &s, path, err);
            break;
        case SL_CONN_CSV:
            rc = fs_csv_state(src, w, j, &q, path, err);
            if (!rc)
                rc = fs_align_line(src, w, s, true, q, &s, path, err);
            break;
        case SL_CONN_RAW:
            rc = fs_raw_start(src, w, j, &s, path, err);
            break;
        case SL_CONN_AVRO: /* refused when the table is opened (fs_no_avro) */
            rc = sl_error_set(err, SL_ENOTSUP, "avro files are not supported");
            break;
        }
        if (!rc)
            fs_publish_first(src, j, s);
    }
    w->pos = s;
    if (rc)
        fs_close_range(src, w, true);
    return rc;
}

/* Range j is done (pos >= end): tells the next ranges of the file what this one learned
 * (pos is the first record of those that start at or before it; csv: the quote state at
 * the next one's start); closes the file unless the worker's next range is of it too. */
static void fs_finish(struct fs_source *src, struct fs_worker *w, uint32_t j)
{
    uint32_t n = (uint32_t)src->nworkers;
    bool same = j + n < src->nranges && src->ranges[j + n].file == src->ranges[j].file;
    if (j + 1 < src->nranges && src->ranges[j + 1].file == src->ranges[j].file) {
        fs_publish_first(src, j + 1, w->pos);
        uint64_t q = w->pos == w->end ? 0 : w->endsync;
        if (src->spec.format == SL_CONN_CSV && q != FS_UNKNOWN)
            atomic_store_explicit(&src->quote[j + 1], q, memory_order_release);
    }
    fs_close_range(src, w, !same);
    if (j + n >= src->nranges) { /* the worker is done: its buffer goes too */
        free(w->buf);
        w->buf = NULL;
        w->cap = 0;
    }
}

/* json, raw: frames up to `room` records of the range from w->pos, as far as the buffer
 * holds whole records; returns how many (ends[] set). *need: a record at w->pos is not
 * wholly in the buffer. A truncated raw frame is handled as a bad record right here (*rc
 * set when the policy fails). */
static size_t fs_frame(struct fs_source *src, struct fs_worker *w, const char *path, size_t room,
                       bool *need, int *rc, struct sl_error *err)
{
    uint64_t pos = w->pos, bend = w->boff + w->blen;
    size_t n = 0;
    *rc = 0;
    *need = false;
    while (n < room && pos < w->end) {
        if (pos < w->boff || pos >= bend) {
            *need = true;
            break;
        }
        const char *p = w->buf + (pos - w->boff);
        size_t left = (size_t)(bend - pos); /* buffered */
        uint64_t rest = w->flen - pos;      /* in the file */
        struct sl_record *r = &w->recs[n];
        *r = (struct sl_record){.topic = path,
                                .partition = -1,
                                .offset = (int64_t)pos,
                                .timestamp = -1,
                                .value = NULL,
                                .value_len = 0};
        if (src->spec.format == SL_CONN_RAW) {
            if (left < 4 && rest >= 4) {
                *need = true;
                break;
            }
            uint32_t len = rest >= 4 ? fs_le32(p) : 0;
            if (rest < 4 || len > rest - 4) {
                if (n)
                    break; /* decode what came before first */
                if (left < rest) {
                    *need = true; /* the bad record is the rest of the file */
                    break;
                }
                r->value = p;
                r->value_len = left;
                char what[96];
                snprintf(what, sizeof(what), "truncated raw frame (%zu bytes left, %s)", left,
                         left < 4 ? "no length" : "length past the end of the file");
                *rc = sl_badrec_handle(&w->bad, r, SL_ECORRUPT, what, err);
                if (!*rc)
                    w->pos = w->flen;
                return 0;
            }
            if (4 + (uint64_t)len > left) {
                *need = true;
                break;
            }
            r->value = p + 4;
            r->value_len = len;
            pos += 4 + (uint64_t)len;
        } else {
            const char *nl = memchr(p, '\n', left);
            if (!nl && left < rest) {
                *need = true;
                break;
            }
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

static int fs_read_framed(struct fs_source *src, struct fs_worker *w, const char *path,
                          struct sl_batch *b, struct sl_error *err)
{
    int rc = 0;
    while (b->rows < SL_BATCH_CAP && w->pos < w->end) {
        bool need;
        size_t n = fs_frame(src, w, path, SL_BATCH_CAP - b->rows, &need, &rc, err);
        if (rc)
            break;
        if (n) {
            size_t consumed = 0;
            rc = sl_conn_codec_decode(&w->codec, w->recs, n, b, &w->bad, &consumed, err);
            if (consumed)
                w->pos = w->ends[consumed - 1];
            if (rc || !consumed) /* none: no room (a debezium-json "u" makes two rows) */
                break;
        } else if (need) {
            uint64_t bend = w->boff + w->blen; /* more than the buffer holds from pos */
            size_t have = w->pos >= w->boff && w->pos < bend ? (size_t)(bend - w->pos) : 0;
            if ((rc = fs_read_more(src, w, w->pos, have + 1, path, err)))
                break;
        }
    }
    return rc;
}

/* csv: the line at w->pos does not end before the range's end: finds its end (a '\n'
 * outside quotes, counting from the line's start, as io/csv.c frames it; or the end of the
 * file), noting the quote state at the range's end, and decodes that one line. */
static int fs_csv_straddle(struct fs_source *src, struct fs_worker *w, const char *path,
                           struct sl_batch *b, struct sl_error *err)
{
    uint64_t t = w->pos, e = w->flen;
    unsigned q = 0;
    for (;;) {
        uint64_t bend = w->boff + w->blen;
        if (t >= bend) {
            if (bend >= w->flen)
                break; /* no '\n': the line runs to the end of the file */
            int rc = fs_read_more(src, w, w->pos, (size_t)(bend - w->pos) + 1, path, err);
            if (rc)
                return rc;
            continue;
        }
        char c = w->buf[t - w->boff];
        if (t == w->end)
            w->endsync = q;
        t++;
        if (c == '"')
            q ^= 1;
        else if (c == '\n' && !q) {
            e = t;
            break;
        }
    }
    size_t used = 0;
    int rc = sl_csv_decode_stream(w->codec.codec, w->buf + (w->pos - w->boff), (size_t)(e - w->pos),
                                  true, path, (int64_t)w->pos, b, &w->bad, &used, err);
    w->pos += used;
    return rc;
}

static int fs_read_csv(struct fs_source *src, struct fs_worker *w, const char *path,
                       struct sl_batch *b, struct sl_error *err)
{
    int rc = 0;
    while (b->rows < SL_BATCH_CAP && w->pos < w->end) {
        uint64_t bend = w->boff + w->blen;
        if (w->pos < w->boff || w->pos >= bend) {
            if ((rc = fs_read_more(src, w, w->pos, 1, path, err)))
                break;
            continue;
        }
        uint64_t vend = bend < w->end ? bend : w->end;
        size_t used = 0;
        rc = sl_csv_decode_stream(w->codec.codec, w->buf + (w->pos - w->boff),
                                  (size_t)(vend - w->pos), vend == w->flen, path, (int64_t)w->pos,
                                  b, &w->bad, &used, err);
        w->pos += used;
        if (rc)
            break;
        if (used || b->rows >= SL_BATCH_CAP)
            continue;
        /* nothing decoded: the line at pos does not end in [pos, vend) */
        if (vend < w->end)
            rc = fs_read_more(src, w, w->pos, (size_t)(bend - w->pos) + 1, path, err);
        else
            rc = fs_csv_straddle(src, w, path, b, err);
        if (rc)
            break;
    }
    return rc;
}

/* Partitioned: the partition columns of rows [from, b->rows), all of file `file`, from its
 * folder names, parsed as their column's type. */
static int fs_fill_partition(struct fs_source *src, struct sl_batch *b, uint32_t from,
                             uint32_t file, struct sl_error *err)
{
    for (uint32_t k = 0; k < src->npart; k++) {
        const struct sl_table *t = src->base.table;
        uint32_t c = t->part[k];
        const char *v = src->pvals[(size_t)file * src->npart + k];
        for (uint32_t row = from; row < b->rows; row++) {
            int rc = v ? sl_fmt_store_text(b, c, row, v, strlen(v), err)
                       : sl_fmt_store_null(b, c, row, err);
            if (rc)
                return sl_error_set(err, rc, "file '%s': partition folder '%s=%s': %s",
                                    src->files[file], t->physical.cols[c].name, v ? v : "(default)",
                                    err->msg);
        }
    }
    return 0;
}

static int fs_poll(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_batch *b,
                   int timeout_ms, struct sl_source_info *info, struct sl_error *err)
{
    (void)timeout_ms;
    struct fs_source *src = (struct fs_source *)s;
    struct fs_worker *w = &src->w[ctx->worker];
    uint32_t mine = fs_mine(src, ctx->worker);
    info->split = -1;
    info->split_done = info->worker_done = false;
    if (w->next >= mine) {
        info->worker_done = true;
        return 0;
    }
    uint32_t j = fs_range_of(src, ctx->worker, w->next);
    const struct fs_range *r = &src->ranges[j];
    const char *path = src->files[r->file];
    info->split = (int32_t)r->file;
    int rc = 0;
    if (!w->open && (rc = fs_begin(src, w, j, err)))
        return rc;
    uint64_t bad0 = w->bad.skipped + w->bad.dead_lettered;
    uint32_t rows0 = b->rows;
    uint64_t pos0 = w->pos;
    struct sl_batch view, *into = b;
    if (src->npart) { /* the decoder fills the data columns only */
        for (uint32_t c = 0; c < src->ndata; c++)
            w->view[c] = b->cols[src->data[c]];
        view = *b;
        view.ncols = src->ndata;
        view.cols = w->view;
        view.schema = src->data_schema;
        into = &view;
    }
    if (src->spec.format == SL_CONN_CSV)
        rc = fs_read_csv(src, w, path, into, err);
    else
        rc = fs_read_framed(src, w, path, into, err);
    if (src->npart) {
        b->rows = view.rows;
        b->strheap = view.strheap;
        if (!rc)
            rc = fs_fill_partition(src, b, rows0, r->file, err);
    }
    sl_stats_add(&ctx->stats->rows_in, b->rows - rows0);
    sl_stats_add(&ctx->stats->bytes_in, w->pos > pos0 ? w->pos - pos0 : 0);
    sl_stats_add(&ctx->stats->bad_records, w->bad.skipped + w->bad.dead_lettered - bad0);
    if (rc)
        return rc;
    if (w->pos >= w->end) {
        fs_finish(src, w, j);
        w->next++;
        /* the file is this worker's split: done after its last range of the file */
        info->split_done =
            w->next >= mine || src->ranges[fs_range_of(src, ctx->worker, w->next)].file != r->file;
        info->worker_done = w->next >= mine;
    }
    return 0;
}

/* The files worker `worker` has ranges of, in reading order, into ids[0 .. *n-1]. */
static int fs_splits(struct sl_source *s, int worker, int32_t *ids, uint32_t cap, uint32_t *n)
{
    struct fs_source *src = (struct fs_source *)s;
    uint32_t mine = fs_mine(src, worker), k = 0, prev = UINT32_MAX;
    for (uint32_t i = 0; i < mine; i++) {
        uint32_t f = src->ranges[fs_range_of(src, worker, i)].file;
        if (f == prev)
            continue;
        if (k < cap)
            ids[k] = (int32_t)f;
        k++;
        prev = f;
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
            struct fs_worker *w = &src->w[i];
            fs_close_range(src, w, true);
            free(w->buf);
            sl_conn_codec_destroy(&w->codec);
            free(w->recs);
            free(w->ends);
            free(w->view);
        }
    free(src->w);
    if (src->pvals)
        for (size_t i = 0; i < (size_t)src->nfiles * src->npart; i++)
            free(src->pvals[i]);
    free(src->pvals);
    free(src->data);
    sl_schema_free(src->data_schema);
    for (uint32_t i = 0; i < src->nfiles; i++)
        free(src->files[i]);
    free(src->files);
    free(src->sizes);
    free(src->ranges);
    free(src->first);
    free(src->quote);
    free(src->path);
    sl_conn_dlq_close(&src->dlq);
    sl_schema_free(src->schema);
    free(src);
}

/* ---- source checkpoints ----
 * State of one worker (little-endian, engine/core/state.h):
 *   u8   version (2)
 *   u32  workers (the ranges' assignment depends on it)
 *   u64  'sluice.split-size' in bytes (the ranges' bounds depend on it)
 *   u32  files in the whole listing (all workers)
 *   u32  the files this worker has ranges of, then for each (in reading order):
 *        str  its name under 'path' (the file name itself when 'path' is a file)
 *        u64  its size when the source was opened
 *   u32  next: index (into this worker's ranges) of the range being read or to read next
 *   u64  the byte offset in its file of that range's next record; 0 when the range was not
 *        begun (it starts at its first record, found again)
 *   u8   done: every range of this worker was read (next == its range count, offset 0)
 * The names and sizes make a restore against a directory whose files changed fail with
 * SL_ECORRUPT naming the file, instead of resuming at an offset that means something else;
 * with the worker count and the split size they fix the ranges. Offsets are exact: poll
 * advances its position only past records it returned (or passed over as bad), so the next
 * poll after restore starts at the record the saved run would have read next. Version 1
 * (one split per file) is refused. */
#define FS_STATE_VERSION 2

static int fs_save(struct sl_source *s, int worker, struct sl_sbuf *out, struct sl_sbuf *summary,
                   struct sl_error *err)
{
    struct fs_source *src = (struct fs_source *)s;
    const struct fs_worker *w = &src->w[worker];
    uint32_t mine = fs_mine(src, worker);
    uint64_t pos = w->open ? w->pos : 0;
    sl_sbuf_put_u8(out, FS_STATE_VERSION);
    sl_sbuf_put_u32(out, (uint32_t)src->nworkers);
    sl_sbuf_put_u64(out, src->split_size);
    sl_sbuf_put_u32(out, src->nfiles);
    uint32_t nf = 0;
    fs_splits(s, worker, NULL, 0, &nf);
    sl_sbuf_put_u32(out, nf);
    for (uint32_t i = 0, prev = UINT32_MAX; i < mine; i++) {
        uint32_t f = src->ranges[fs_range_of(src, worker, i)].file;
        if (f == prev)
            continue;
        sl_sbuf_put_str(out, src->files[f] + src->name_off);
        sl_sbuf_put_u64(out, src->sizes[f]);
        prev = f;
    }
    sl_sbuf_put_u32(out, w->next);
    sl_sbuf_put_u64(out, pos);
    sl_sbuf_put_u8(out, w->next >= mine);
    /* summary: the split (file) being read and the offset of its next record (the range's
     * start when it was not begun); a worker that is done shows its last range's end; a
     * worker without ranges shows nothing */
    char text[64];
    int k = 0;
    if (w->next < mine) {
        const struct fs_range *r = &src->ranges[fs_range_of(src, worker, w->next)];
        k = snprintf(text, sizeof(text), "%u=%llu", r->file,
                     (unsigned long long)(w->open ? w->pos : r->start));
    } else if (mine) {
        const struct fs_range *r = &src->ranges[fs_range_of(src, worker, mine - 1)];
        k = snprintf(text, sizeof(text), "%u=%llu", r->file, (unsigned long long)r->end);
    }
    if (k > 0)
        sl_sbuf_put(summary, text, (size_t)k);
    int rc = sl_sbuf_check(out, err);
    return rc ? rc : sl_sbuf_check(summary, err);
}

static int fs_restore(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_sread *in,
                      struct sl_error *err)
{
    struct fs_source *src = (struct fs_source *)s;
    struct fs_worker *w = &src->w[ctx->worker];
    const char *what = in->what ? in->what : "filesystem source";
    uint32_t mine = fs_mine(src, ctx->worker), nworkers, nfiles, saved, next, nf = 0;
    uint8_t version, done;
    uint64_t split, pos;
    int rc;
    if ((rc = sl_sread_u8(in, &version, err)))
        return rc;
    if (version == 1)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: the checkpoint was taken by a sluice that read one file per "
                            "worker (state version 1), before byte-range splits: resume it "
                            "with that sluice, or start the job anew (--restart)",
                            what);
    if (version != FS_STATE_VERSION)
        return sl_sread_fail(in, err, "unknown state version");
    if ((rc = sl_sread_u32(in, &nworkers, err)) || (rc = sl_sread_u64(in, &split, err)))
        return rc;
    if (nworkers != (uint32_t)src->nworkers)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: the checkpoint was taken with %u workers, this job has %d", what,
                            nworkers, src->nworkers);
    if (split != src->split_size)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: the checkpoint was taken with 'sluice.split-size' = %llu bytes, "
                            "the table now says %llu: the files' ranges would differ",
                            what, (unsigned long long)split, (unsigned long long)src->split_size);
    fs_splits(s, ctx->worker, NULL, 0, &nf);
    if ((rc = sl_sread_u32(in, &nfiles, err)) || (rc = sl_sread_count(in, &saved, 4 + 8, err)))
        return rc;
    uint32_t i = 0, prev = UINT32_MAX, f = 0; /* walks this worker's files with the saved ones */
    for (uint32_t k = 0; k < saved; k++) {
        const void *name;
        uint32_t len;
        uint64_t size;
        if ((rc = sl_sread_bytes(in, &name, &len, err)) || (rc = sl_sread_u64(in, &size, err)))
            return rc;
        while (i < mine && (f = src->ranges[fs_range_of(src, ctx->worker, i)].file) == prev)
            i++;
        if (i >= mine)
            return sl_error_set(err, SL_ECORRUPT,
                                "%s: the checkpoint read file '%.*s' but path '%s' now holds "
                                "only %u files for worker %d (of %d): the files changed",
                                what, (int)(len > 200 ? 200 : len), (const char *)name, src->path,
                                nf, ctx->worker, src->nworkers);
        prev = f;
        const char *have = src->files[f] + src->name_off;
        if (strlen(have) != len || memcmp(have, name, len) != 0)
            return sl_error_set(err, SL_ECORRUPT,
                                "%s: file '%s' is not the file the checkpoint read there "
                                "('%.*s'): the files of path '%s' changed",
                                what, src->files[f], (int)(len > 200 ? 200 : len),
                                (const char *)name, src->path);
        if (size != src->sizes[f])
            return sl_error_set(err, SL_ECORRUPT,
                                "%s: file '%s' changed since the checkpoint (%llu bytes, then "
                                "%llu)",
                                what, src->files[f], (unsigned long long)src->sizes[f],
                                (unsigned long long)size);
    }
    if (saved != nf || nfiles != src->nfiles) {
        while (i < mine && (f = src->ranges[fs_range_of(src, ctx->worker, i)].file) == prev)
            i++;
        if (saved < nf)
            return sl_error_set(err, SL_ECORRUPT,
                                "%s: file '%s' was not there when the checkpoint was taken", what,
                                src->files[f]);
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: path '%s' holds %u files, the checkpoint was taken with %u: "
                            "the files changed",
                            what, src->path, src->nfiles, nfiles);
    }
    if ((rc = sl_sread_u32(in, &next, err)) || (rc = sl_sread_u64(in, &pos, err)) ||
        (rc = sl_sread_u8(in, &done, err)))
        return rc;
    if (next > mine)
        return sl_sread_fail(in, err, "range index past this worker's ranges");
    if (done > 1 || (done != 0) != (next == mine))
        return sl_sread_fail(in, err, "done flag does not match the range index");
    const struct fs_range *r =
        next < mine ? &src->ranges[fs_range_of(src, ctx->worker, next)] : NULL;
    if (pos && (!r || pos < r->start || pos >= r->end))
        return sl_sread_fail(in, err, "byte offset outside its range");
    if ((rc = sl_sread_end(in, err)))
        return rc;
    fs_close_range(src, w, true);
    w->next = next;
    if (pos) { /* pos is a record start: no search for the range's first record */
        if ((rc = fs_open_range(src, w, fs_range_of(src, ctx->worker, next), err)))
            return rc;
        w->pos = pos;
    }
    return 0;
}

/* Projection pushdown: each worker's decoder skips the columns nobody reads. */
static void fs_prune(struct sl_source *s, const bool *needed, uint32_t ncols)
{
    struct fs_source *src = (struct fs_source *)s;
    bool dneed[SL_FS_MAX_COLS];
    if (src->npart) { /* the decoders see the data columns only */
        for (uint32_t c = 0; c < src->ndata && c < SL_FS_MAX_COLS; c++)
            dneed[c] = !needed || (src->data[c] < ncols && needed[src->data[c]]);
        needed = src->ndata <= SL_FS_MAX_COLS ? dneed : NULL;
        ncols = src->ndata;
    }
    for (int i = 0; i < src->nworkers; i++)
        sl_conn_codec_prune(&src->w[i].codec, needed, ncols);
}

static const struct sl_source_ops fs_source_ops = {.poll = fs_poll,
                                                   .splits = fs_splits,
                                                   .free = fs_free,
                                                   .prune = fs_prune,
                                                   .save = fs_save,
                                                   .restore = fs_restore};

/*
 * Flink's filesystem connector writes and reads 'avro' as Avro object container files
 * (flink-avro's AvroFileFormatFactory: a header with the schema, blocks compressed by
 * 'avro.codec', sync markers), not as one datum after another; sluice's avro format is the
 * per-record one of Kafka tables, so a filesystem table refuses it rather than write files
 * Flink cannot read.
 */
static int fs_no_avro(const struct sl_table *t, const struct sl_connector_env *env,
                      const struct sl_conn_fmtspec *spec, struct sl_error *err)
{
    if (spec->format != SL_CONN_AVRO)
        return 0;
    const struct sl_option *o = sl_conn_opt(t, "format");
    if (!o)
        o = sl_conn_opt(t, "value.format");
    return sl_conn_err_at(env, t, o ? o->pos : SIZE_MAX, err, SL_ENOTSUP,
                          "format 'avro' is not supported by the filesystem connector (Flink "
                          "writes Avro container files there, which sluice does not; 'avro' "
                          "is for Kafka tables)");
}

/* A size option: bytes, or a number with a unit as Flink's MemorySize writes them ('64mb',
 * '64 m', '1 gb'; k, m, g, t are powers of 1024), from 1 byte to FS_SIZE_MAX. */
static int fs_opt_size(const struct sl_table *t, const struct sl_connector_env *env,
                       const char *key, uint64_t dflt, uint64_t *out, struct sl_error *err)
{
    static const char *const units[] = {"",  "b",  "bytes",     "k", "kb", "kibibytes",
                                        "m", "mb", "mebibytes", "g", "gb", "gibibytes",
                                        "t", "tb", "tebibytes"};
    const struct sl_option *o = sl_conn_opt(t, key);
    if (!o) {
        *out = dflt;
        return 0;
    }
    uint64_t v;
    bool big;
    int unit =
        sl_fs_scan_unit(o->value, units, sizeof(units) / sizeof(units[0]), FS_SIZE_MAX, &v, &big);
    if (unit < 0)
        return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                              "option '%s': not a size: '%s' (bytes, or a number with a unit: "
                              "kb, mb, gb, tb)",
                              key, o->value);
    unsigned shift = 10 * (unsigned)(unit / 3); /* b, k, m, g, t: three names each */
    if (big || v == 0 || v > FS_SIZE_MAX >> shift)
        return sl_conn_err_at(env, t, o->pos, err, SL_ERANGE,
                              "option '%s': '%s' is out of range [1 byte, 1 tb]", key, o->value);
    *out = v << shift;
    return 0;
}

int sl_fs_path(const struct sl_table *t, const struct sl_connector_env *env, const char **path,
               struct sl_error *err)
{
    int rc = sl_conn_opt_required(t, env, "path", path, err);
    if (rc)
        return rc;
    const char *v = *path, *colon = strstr(v, "://");
    if (!colon || strchr(v, '/') < colon)
        return 0; /* a local path */
    if ((size_t)(colon - v) == 4 && strncasecmp(v, "file", 4) == 0 && colon[3] == '/') {
        *path = colon + 3; /* file:///abs/path, as Flink's Path reads it */
        return 0;
    }
    return sl_conn_err_at(env, t, sl_conn_opt(t, "path")->pos, err, SL_ENOTSUP,
                          "path '%s': only local files are supported (a path, or file:///path)", v);
}

int sl_fs_no_avro(const struct sl_table *t, const struct sl_connector_env *env,
                  const struct sl_conn_fmtspec *spec, struct sl_error *err)
{
    return fs_no_avro(t, env, spec, err);
}

int sl_fs_opt_size(const struct sl_table *t, const struct sl_connector_env *env, const char *key,
                   uint64_t dflt, uint64_t *out, struct sl_error *err)
{
    return fs_opt_size(t, env, key, dflt, out, err);
}

/* A partitioned source: its data columns and schema, each file's partition values, the
 * workers' column views. */
static int fs_partition_setup(struct fs_source *src, const struct sl_connector_env *env,
                              const struct sl_table *t, struct sl_error *err)
{
    struct stat st;
    if (stat(src->path, &st) != 0 || !S_ISDIR(st.st_mode))
        return sl_conn_err_at(env, t, sl_conn_opt(t, "path")->pos, err, SL_EINVAL,
                              "path '%s': a partitioned table's path is a directory (of "
                              "'name=value' partition folders)",
                              src->path);
    if (t->npart >= t->physical.ncols)
        return sl_conn_err_at(env, t, t->part_pos, err, SL_EINVAL,
                              "every column of table '%s' is a partition column: the files "
                              "would hold nothing",
                              t->name);
    const char *dflt = sl_table_option(t, "partition.default-name");
    if (!dflt)
        dflt = SL_FSP_DEFAULT_NAME;
    src->npart = t->npart;
    src->ndata = t->physical.ncols - t->npart;
    int rc = sl_fsp_data_columns(t, &src->data, &src->data_schema, err);
    if (rc)
        return rc;
    if (!(src->pvals = calloc((size_t)src->nfiles * t->npart + 1, sizeof(*src->pvals))))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (uint32_t f = 0; f < src->nfiles && !rc; f++)
        rc = sl_fsp_parse_path(t, dflt, src->files[f] + src->name_off,
                               &src->pvals[(size_t)f * t->npart], err);
    for (int i = 0; i < src->nworkers && !rc; i++)
        if (!(src->w[i].view = malloc(src->ndata * sizeof(*src->w[i].view))))
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    return rc;
}

static const char *const fs_source_keys[] = {"path", "sluice.split-size", "sluice.read-buffer",
                                             NULL};

int sl_conn_fs_source(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                      struct sl_source **out, struct sl_error *err)
{
    /* a partitioned table may carry its sink's options (as in Flink, one table for both) */
    const char *const *lists[4] = {fs_source_keys, sl_conn_format_keys, sl_fsw_option_keys,
                                   sl_fsp_option_keys};
    const char *keys[48];
    size_t nk = 0;
    for (int l = 0; l < (t->npart ? 4 : 3); l++)
        for (const char *const *k = lists[l]; *k; k++)
            keys[nk++] = *k;
    keys[nk] = NULL;
    int rc = sl_conn_check_options(t, env, keys, NULL, err);
    if (rc)
        return rc;
    const char *path;
    if ((rc = sl_fs_path(t, env, &path, err)))
        return rc;
    struct fs_source *src = calloc(1, sizeof(*src));
    if (!src)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    src->base.ops = &fs_source_ops;
    src->base.table = t;
    src->nworkers = nworkers;
    uint64_t rb = 0;
    if ((rc = sl_conn_fmtspec_parse(t, env, &src->spec, err)) ||
        (rc = fs_no_avro(t, env, &src->spec, err)) ||
        (rc = fs_opt_size(t, env, "sluice.split-size", FS_SPLIT_SIZE, &src->split_size, err)) ||
        (rc = fs_opt_size(t, env, "sluice.read-buffer", FS_READ_BUFFER, &rb, err)))
        goto out_free;
    src->read_buffer = (size_t)rb;
    if (!(src->path = strdup(path))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    if ((rc = fs_list(src, path, env, t, sl_conn_opt(t, "path")->pos, err)) ||
        (rc = fs_plan_ranges(src, env, t, err)))
        goto out_free;
    src->schema = sl_plan_rel_schema(&t->physical);
    src->w = calloc((size_t)nworkers, sizeof(*src->w));
    if (!src->schema || !src->w) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    for (int i = 0; i < nworkers; i++)
        src->w[i].fd = -1;
    if (t->npart && (rc = fs_partition_setup(src, env, t, err)))
        goto out_free;
    if (src->spec.policy == SL_BADREC_DEAD_LETTER &&
        (rc = sl_conn_dlq_open(&src->dlq, src->spec.dead_letter_path, err)))
        goto out_free;
    for (int i = 0; i < nworkers; i++) {
        struct fs_worker *w = &src->w[i];
        struct sl_error e;
        sl_error_clear(&e);
        if ((rc = sl_conn_codec_init(&w->codec, &src->spec,
                                     src->npart ? src->data_schema : src->schema, &e))) {
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

/* ---- sink ----------------------------------------------------------------------------------
 * One folder (the table's path) of fs_writer.h's part files: each worker writes one open
 * file, rolled by the rolling policy and at every prepare. */

struct fs_wout {
    struct sl_conn_codec codec;
    struct sl_fsw_file f; /* rel "" */
    uint64_t epoch;       /* checkpoints: the epoch this worker's rows go to (1 + the last one
                             prepared or recovered); 0 without */
    char pad[64];
};

struct fs_sink {
    struct sl_sink base;
    int nworkers;
    struct sl_fsw fw;
    struct sl_schema *schema;
    struct sl_conn_fmtspec spec;
    struct fs_wout *p;
};

static int fs_sink_write(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_batch *b,
                         struct sl_error *err)
{
    struct fs_sink *s = (struct fs_sink *)sk;
    struct fs_wout *p = &s->p[ctx->worker];
    uint32_t n = sl_batch_active(b);
    int64_t now = sl_fsw_now_ms();
    int rc = sl_fsw_due(&s->fw, &p->f, now)
                 ? sl_fsw_close(&s->fw, &p->f, ctx->worker, p->epoch, p->epoch, err)
                 : 0;
    if (rc || !n)
        return rc;
    size_t added;
    rc = sl_fsw_write(&s->fw, &p->f, ctx->worker, p->epoch, &p->codec, b, now, &added, err);
    sl_stats_add(&ctx->stats->rows_out, n);
    sl_stats_add(&ctx->stats->bytes_out, added);
    return rc;
}

static int fs_sink_flush(struct sl_sink *sk, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct fs_sink *s = (struct fs_sink *)sk;
    return sl_fsw_drain(&s->fw, &s->p[ctx->worker].f, err);
}

/* ---- sink checkpoints ----
 * THREADS: write, flush and prepare run on the worker's thread and touch only that
 * worker's fs_wout (closing a file adds it to the writer's pending list under its lock);
 * commit and recover run on the coordinator's thread under s->fw.commit_lock. */

static int fs_sink_prepare(struct sl_sink *sk, struct sl_worker_ctx *ctx, uint64_t epoch,
                           struct sl_error *err)
{
    struct fs_sink *s = (struct fs_sink *)sk;
    struct fs_wout *p = &s->p[ctx->worker];
    if (!s->fw.ckpt)
        return fs_sink_flush(sk, ctx, err);
    /* no row since the last roll: no file */
    int rc = sl_fsw_prepare_check(&s->fw, ctx->worker, p->epoch, epoch, err);
    if (rc || (rc = sl_fsw_close(&s->fw, &p->f, ctx->worker, p->epoch, epoch, err)))
        return rc;
    p->f.k = 0;
    p->epoch = epoch + 1;
    return 0;
}

static int fs_sink_commit(struct sl_sink *sk, uint64_t epoch, struct sl_error *err)
{
    struct fs_sink *s = (struct fs_sink *)sk;
    pthread_mutex_lock(&s->fw.commit_lock);
    int rc = sl_fsw_commit(&s->fw, epoch, NULL, NULL, err);
    pthread_mutex_unlock(&s->fw.commit_lock);
    return rc;
}

static int fs_sink_recover(struct sl_sink *sk, uint64_t committed, struct sl_error *err)
{
    struct fs_sink *s = (struct fs_sink *)sk;
    if (!s->fw.ckpt)
        return 0;
    /* one job at a time writes a folder: the lock first (with --zk), then the folder */
    int lrc = sl_fsw_lock(&s->fw, err);
    if (lrc)
        return lrc;
    for (int i = 0; i < s->nworkers; i++)
        if (s->p[i].f.fd >= 0 || s->p[i].f.k)
            return sl_error_set(err, SL_ESTATE,
                                "filesystem sink '%s': recover after worker %d wrote rows",
                                s->fw.dir, i);
    pthread_mutex_lock(&s->fw.commit_lock);
    bool visible, marked;
    int rc = sl_fsw_recover_folder(&s->fw, "", committed, false, NULL, &visible, &marked, err);
    if (!rc) {
        sl_fsw_forget_pending(&s->fw);
        for (int i = 0; i < s->nworkers; i++)
            s->p[i].epoch = committed + 1;
    }
    pthread_mutex_unlock(&s->fw.commit_lock);
    return rc;
}

static int fs_sink_close(struct sl_sink *sk, struct sl_error *err)
{
    struct fs_sink *s = (struct fs_sink *)sk;
    for (int i = 0; i < s->nworkers; i++) {
        struct fs_wout *p = &s->p[i];
        if (s->fw.ckpt) {
            /* Everything an epoch holds was prepared and committed (the engine takes a
             * final epoch before close) or stays hidden for recover: rows written after the
             * last prepare belong to no epoch and are dropped with their in-progress file. */
            sl_fsw_discard(&s->fw, &p->f, i, p->epoch);
            continue;
        }
        int rc = sl_fsw_close(&s->fw, &p->f, i, 0, 0, err);
        if (rc)
            return rc;
    }
    return 0;
}

static void fs_sink_free(struct sl_sink *sk)
{
    struct fs_sink *s = (struct fs_sink *)sk;
    if (!s)
        return;
    if (s->p)
        for (int i = 0; i < s->nworkers; i++) {
            struct fs_wout *p = &s->p[i];
            if (p->f.rel) /* never closed: the output is not final, leave no trace */
                sl_fsw_file_free(&s->fw, &p->f, i, p->epoch);
            sl_conn_codec_destroy(&p->codec);
        }
    sl_fsw_destroy(&s->fw);
    free(s->p);
    sl_schema_free(s->schema);
    free(s);
}

/* A live rolling-policy change (engine/conn/fs_writer.h). */
static int fs_sink_set_option(struct sl_sink *sk, const char *option, const char *value,
                              struct sl_error *err)
{
    return sl_fsw_set_option(&((struct fs_sink *)sk)->fw, option, value, err);
}

static const struct sl_sink_ops fs_sink_ops = {.write = fs_sink_write,
                                               .flush = fs_sink_flush,
                                               .close = fs_sink_close,
                                               .free = fs_sink_free,
                                               .prepare = fs_sink_prepare,
                                               .commit = fs_sink_commit,
                                               .recover = fs_sink_recover,
                                               .set_option = fs_sink_set_option};

int sl_conn_fs_sink(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                    struct sl_sink **out, struct sl_error *err)
{
    static const char *const keys[] = {"path",
                                       "format",
                                       "value.format",
                                       "csv.field-delimiter",
                                       "csv.null-literal",
                                       "debezium-json.schema-include",
                                       "debezium-json.timestamp-format.standard",
                                       NULL};
    const char *pkeys[32];
    size_t nk = 0;
    for (const char *const *k = keys; *k; k++)
        pkeys[nk++] = *k;
    for (const char *const *k = sl_fsw_option_keys; *k; k++)
        pkeys[nk++] = *k;
    for (const char *const *k = sl_fsp_option_keys; t->npart && *k; k++)
        pkeys[nk++] = *k;
    pkeys[nk] = NULL;
    int rc = sl_conn_check_options(t, env, pkeys, NULL, err);
    if (rc)
        return rc;
    if (t->npart) /* Hive-style partition folders: engine/conn/fs_partition.c */
        return sl_conn_fs_psink(t, env, nworkers, out, err);
    struct fs_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    s->base.ops = &fs_sink_ops;
    s->base.table = t;
    s->nworkers = nworkers;
    const char *path;
    if ((rc = sl_fs_path(t, env, &path, err)) ||
        (rc = sl_conn_fmtspec_parse(t, env, &s->spec, err)) ||
        (rc = sl_conn_fmtspec_sink_check(t, env, &s->spec, err)) ||
        (rc = fs_no_avro(t, env, &s->spec, err)) || (rc = sl_fsw_init(&s->fw, t, env, err)) ||
        (rc = sl_fs_sink_dir(t, env, &s->fw.dir, err)))
        goto out_free;
    s->spec.opts.csv_line_end = s->spec.opts.json_line_end = true;
    s->fw.ext = sl_conn_format_ext(s->spec.format);
    s->fw.raw = s->spec.format == SL_CONN_RAW;
    s->schema = sl_plan_rel_schema(&t->physical);
    s->p = calloc((size_t)nworkers, sizeof(*s->p));
    if (!s->schema || !s->p) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    for (int i = 0; i < nworkers; i++) {
        struct fs_wout *p = &s->p[i];
        p->epoch = s->fw.ckpt ? 1 : 0;
        if ((rc = sl_fsw_file_init(&p->f, "", err)))
            goto out_free;
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

/* The directory of a sink: 'path', created with its missing parents (as Flink's FileSink
 * does); *dir malloc'd. */
int sl_fs_sink_dir(const struct sl_table *t, const struct sl_connector_env *env, char **dir,
                   struct sl_error *err)
{
    const char *path;
    int rc = sl_fs_path(t, env, &path, err);
    if (rc)
        return rc;
    size_t ppos = sl_conn_opt(t, "path")->pos;
    if (sl_fsw_mkdirs(path) != 0)
        return sl_conn_err_at(env, t, ppos, err, SL_EIO, "path '%s': %s", path, strerror(errno));
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return sl_conn_err_at(env, t, ppos, err, SL_EINVAL,
                              "path '%s' is not a directory (a filesystem sink writes part "
                              "files into a directory)",
                              path);
    *dir = strdup(path);
    return *dir ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
}

/* ---- the connector ------------------------------------------------------------------------ */

static bool fs_bounded(const struct sl_table *t)
{
    (void)t;
    return true; /* the files as they are when the job starts */
}

static const char *const fs_keys[] = {"path",
                                      "format",
                                      "value.format",
                                      "csv.field-delimiter",
                                      "csv.null-literal",
                                      "json.ignore-parse-errors",
                                      "debezium-json.schema-include",
                                      "debezium-json.ignore-parse-errors",
                                      "debezium-json.timestamp-format.standard",
                                      "sluice.bad-records",
                                      "sluice.dead-letter.path",
                                      "sluice.split-size",
                                      "sluice.read-buffer",
                                      "sink.rolling-policy.file-size",
                                      "sink.rolling-policy.rollover-interval",
                                      "sink.rolling-policy.check-interval",
                                      "sink.rolling-policy.inactivity-interval",
                                      "sluice.lock-timeout",
                                      NULL};

const struct sl_connector sl_connector_filesystem = {
    .name = "filesystem",
    .summary = "files of records in (bounded), part files in a directory out",
    .source = sl_conn_fs_source,
    .sink = sl_conn_fs_sink,
    .bounded = fs_bounded,
    .options = fs_keys,
    .changelog = sl_conn_format_changelog, /* 'debezium-json' files, as Flink's */
};
