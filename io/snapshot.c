/*
 * io/snapshot.c - snapshot files: writer (io_uring or pwrite), reader, references.
 *
 * The format and the durability contract are in snapshot.h. How the writer works:
 *
 * - Bytes are staged in `depth` page-aligned buffers of `buf_size` bytes. The buffer being
 *   filled is sent as one write at the file offset where it starts as soon as it is full,
 *   and filling goes on in the next buffer; a buffer still in flight is waited for (its
 *   completion reaped) before it is reused. So the file is written in large sequential
 *   pieces with up to `depth` of them queued in the kernel, and the only copy is the one
 *   into the buffer (which the CRC pass over the caller's bytes has just brought into cache).
 * - With io_uring the buffers are registered once (IORING_REGISTER_BUFFERS) so the kernel
 *   does not map the pages on every write; if registration fails (RLIMIT_MEMLOCK) the
 *   writes are plain IORING_OP_WRITE and the backend string says so.
 * - With pwrite there is one buffer and each write is synchronous.
 * - Any failure makes the writer "failed": the error is kept and returned by every later
 *   call, and free() drains the writes still in flight (the kernel may still be reading
 *   the buffers) before releasing anything.
 *
 * The reader keeps the file descriptor, the header and the index; payloads are read with
 * pread on demand, so a large snapshot is never read twice just to be opened. Readers of
 * referenced epochs are opened lazily and cached in the reader that needed them.
 */
#include "io/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine/core/crc32c.h"
#include "engine/core/fault.h"
#include "engine/core/le.h"

static const unsigned char sl_snap_magic[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'S', 'N'};
static const unsigned char sl_snap_end_magic[8] = {'S', 'L', 'S', 'N', 'E', 'N', 'D', 0};

#define SL_SNAP_PAGE 4096u
#define SL_SNAP_DEFAULT_BUF (1u << 20)
#define SL_SNAP_DEFAULT_DEPTH 4u
#define SL_SNAP_MAX_DEPTH 64u
#define SL_SNAP_MAX_HOPS 4096u

/* ---- little-endian helpers ------------------------------------------------------------- */

static int sl_snap_code(int e)
{
    return sl_error_from_errno(e);
}

static const char *sl_snap_errname(int e)
{
    const char *n = sl_fault_errno_name(e);
    return n ? n : "errno";
}

/* ---- the default I/O table ------------------------------------------------------------- */

static int sl_snap_io_open(const char *path, int flags, unsigned mode)
{
    int f = sl_fault_hit("snapshot.open");
    if (f < 0)
        return f;
    int fd;
    do
        fd = open(path, flags, (mode_t)mode);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

static int sl_snap_io_write(struct io_uring *ring, struct sl_snapshot_wreq *req)
{
    int f = sl_fault_hit("snapshot.write");
    int64_t injected = f == SL_FAULT_SHORT ? (int64_t)(req->len / 2) : f;
    if (!ring) {
        if (f) {
            req->res = injected;
            return 0;
        }
        ssize_t n;
        do
            n = pwrite(req->fd, req->buf, req->len, (off_t)req->off);
        while (n < 0 && errno == EINTR);
        req->res = n < 0 ? -errno : n;
        return 0;
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) {
        int rc = io_uring_submit(ring);
        if (rc < 0)
            return rc;
        sqe = io_uring_get_sqe(ring);
        if (!sqe)
            return -EBUSY;
    }
    if (f) {
        io_uring_prep_nop(sqe);
        req->injected = true;
        req->res = injected;
    } else if (req->fixed >= 0) {
        io_uring_prep_write_fixed(sqe, req->fd, req->buf, (unsigned)req->len, req->off, req->fixed);
    } else {
        io_uring_prep_write(sqe, req->fd, req->buf, (unsigned)req->len, req->off);
    }
    io_uring_sqe_set_data64(sqe, req->tag);
    int rc;
    do
        rc = io_uring_submit(ring);
    while (rc == -EINTR);
    return rc < 0 ? rc : 0;
}

static int sl_snap_io_fsync(int fd)
{
    int f = sl_fault_hit("snapshot.fsync");
    if (f < 0)
        return f;
    return fsync(fd) < 0 ? -errno : 0;
}

static int sl_snap_io_rename(const char *from, const char *to)
{
    int f = sl_fault_hit("snapshot.rename");
    if (f < 0)
        return f;
    return rename(from, to) < 0 ? -errno : 0;
}

static int sl_snap_io_dir_fsync(const char *dir)
{
    int f = sl_fault_hit("snapshot.dirfsync");
    if (f < 0)
        return f;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

static const struct sl_snapshot_io sl_snap_io_sys = {
    sl_snap_io_open, sl_snap_io_write, sl_snap_io_fsync, sl_snap_io_rename, sl_snap_io_dir_fsync,
};

const struct sl_snapshot_io *sl_snapshot_io_default(void)
{
    return &sl_snap_io_sys;
}

/* ---- writer ------------------------------------------------------------------------------ */

struct sl_snap_buf {
    unsigned char *mem;
    size_t used;
    bool busy; /* a write of it is in flight */
    struct sl_snapshot_wreq req;
};

struct sl_snap_index {
    uint64_t off, len;
    uint32_t type, flags, crc;
};

struct sl_snapshot_writer {
    char *path, *tmp, *dir;
    const struct sl_snapshot_io *io;
    struct sl_snapshot_meta meta;
    int fd;
    bool uring, ring_ok, fixed;
    struct io_uring ring;
    char backend[192];
    struct sl_snap_buf *bufs;
    unsigned nbuf, cur, inflight;
    size_t bufsz;
    uint64_t buf_off; /* file offset of bufs[cur] */
    struct sl_snap_index *index;
    uint32_t nblocks, capblocks;
    uint32_t meta_crc; /* running CRC of header || index || footer[0..23] */
    int failed;
    struct sl_error ferr;
    bool committed, renamed;
};

static int sl_snap_fail(struct sl_snapshot_writer *w, struct sl_error *err, int code,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int sl_snap_fail(struct sl_snapshot_writer *w, struct sl_error *err, int code,
                        const char *fmt, ...)
{
    if (!w->failed) {
        va_list ap;
        va_start(ap, fmt);
        sl_error_vset(&w->ferr, code, fmt, ap);
        va_end(ap);
        w->failed = code;
    }
    if (err)
        *err = w->ferr;
    return w->failed;
}

static int sl_snap_failed(struct sl_snapshot_writer *w, struct sl_error *err)
{
    if (err)
        *err = w->ferr;
    return w->failed;
}

/* Takes the result of one finished write of buffer b. */
static int sl_snap_write_done(struct sl_snapshot_writer *w, struct sl_snap_buf *b, int64_t res,
                              struct sl_error *err)
{
    b->busy = false;
    if (res < 0)
        return sl_snap_fail(w, err, sl_snap_code((int)-res),
                            "snapshot %s: write of %zu bytes at offset %llu: %s (%s)", w->tmp,
                            b->req.len, (unsigned long long)b->req.off, strerror((int)-res),
                            sl_snap_errname((int)-res));
    if ((uint64_t)res != b->req.len)
        return sl_snap_fail(w, err, SL_EIO,
                            "snapshot %s: short write at offset %llu: %lld of %zu bytes "
                            "written (disk full?)",
                            w->tmp, (unsigned long long)b->req.off, (long long)res, b->req.len);
    return 0;
}

/* Reaps one io_uring completion (waiting for it). */
static int sl_snap_reap(struct sl_snapshot_writer *w, struct sl_error *err)
{
    struct io_uring_cqe *cqe;
    int rc;
    do
        rc = io_uring_wait_cqe(&w->ring, &cqe);
    while (rc == -EINTR);
    if (rc < 0) {
        /* The ring itself failed: nothing more can be reaped, so nothing is in flight that
         * we could wait for; forget the writes (the buffers are freed only at exit of the
         * ring, which waits for the kernel). */
        for (unsigned i = 0; i < w->nbuf; i++)
            w->bufs[i].busy = false;
        w->inflight = 0;
        return sl_snap_fail(w, err, SL_EIO, "snapshot %s: waiting for writes: %s", w->tmp,
                            strerror(-rc));
    }
    uint64_t tag = io_uring_cqe_get_data64(cqe);
    int64_t res = cqe->res;
    io_uring_cqe_seen(&w->ring, cqe);
    if (tag >= w->nbuf || !w->bufs[tag].busy)
        return sl_snap_fail(w, err, SL_EIO, "snapshot %s: unexpected io_uring completion", w->tmp);
    struct sl_snap_buf *b = &w->bufs[tag];
    if (b->req.injected)
        res = b->req.res;
    w->inflight--;
    return sl_snap_write_done(w, b, res, err);
}

/* Waits for every write in flight; keeps the first error. */
static int sl_snap_drain(struct sl_snapshot_writer *w, struct sl_error *err)
{
    int first = 0;
    while (w->inflight) {
        int rc = sl_snap_reap(w, err);
        if (rc < 0 && !first)
            first = rc;
    }
    return first ? sl_snap_failed(w, err) : 0;
}

/* Sends bufs[cur] and moves on to a free buffer. */
static int sl_snap_flush(struct sl_snapshot_writer *w, struct sl_error *err)
{
    struct sl_snap_buf *b = &w->bufs[w->cur];
    if (b->used == 0)
        return 0;
    b->req = (struct sl_snapshot_wreq){.fd = w->fd,
                                       .buf = b->mem,
                                       .len = b->used,
                                       .off = w->buf_off,
                                       .fixed = w->fixed ? (int)w->cur : -1,
                                       .tag = w->cur};
    if (!w->uring) {
        int rc = w->io->write(NULL, &b->req);
        if (rc < 0)
            b->req.res = rc;
        rc = sl_snap_write_done(w, b, b->req.res, err);
        if (rc < 0)
            return rc;
    } else {
        int rc = w->io->write(&w->ring, &b->req);
        if (rc < 0)
            return sl_snap_fail(w, err, sl_snap_code(-rc),
                                "snapshot %s: submitting a write of %zu bytes at offset %llu: "
                                "%s (%s)",
                                w->tmp, b->req.len, (unsigned long long)b->req.off, strerror(-rc),
                                sl_snap_errname(-rc));
        b->busy = true;
        w->inflight++;
    }
    sl_crash_point("snapshot.after_write");
    w->buf_off += b->used;
    w->cur = (w->cur + 1) % w->nbuf;
    struct sl_snap_buf *next = &w->bufs[w->cur];
    while (next->busy) {
        int rc = sl_snap_reap(w, err);
        if (rc < 0)
            return rc;
    }
    next->used = 0;
    return 0;
}

/* Appends bytes to the stream. */
static int sl_snap_emit(struct sl_snapshot_writer *w, const void *p, size_t n, struct sl_error *err)
{
    const unsigned char *s = p;
    while (n) {
        struct sl_snap_buf *b = &w->bufs[w->cur];
        size_t k = w->bufsz - b->used;
        if (k > n)
            k = n;
        memcpy(b->mem + b->used, s, k);
        b->used += k;
        s += k;
        n -= k;
        if (b->used == w->bufsz) {
            int rc = sl_snap_flush(w, err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static uint64_t sl_snap_pos(const struct sl_snapshot_writer *w)
{
    return w->buf_off + w->bufs[w->cur].used;
}

static char *sl_snap_strdup(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    char *p = malloc(a + b + 1);
    if (p) {
        memcpy(p, s, a);
        memcpy(p + a, suffix, b + 1);
    }
    return p;
}

static int sl_snap_check_meta(const struct sl_snapshot_meta *meta, struct sl_error *err)
{
    size_t jl = strnlen(meta->job, sizeof(meta->job));
    if (jl == 0 || jl > SL_SNAPSHOT_JOB_MAX)
        return sl_error_set(err, SL_EINVAL, "snapshot: the job id must have 1 to %d bytes",
                            SL_SNAPSHOT_JOB_MAX);
    if (meta->flags & SL_SNAPSHOT_F_RESERVED)
        return sl_error_set(err, SL_EINVAL, "snapshot: flags 0x%x use reserved bits", meta->flags);
    return 0;
}

static void sl_snap_encode_header(unsigned char h[SL_SNAPSHOT_HEADER_SIZE],
                                  const struct sl_snapshot_meta *meta)
{
    memset(h, 0, SL_SNAPSHOT_HEADER_SIZE);
    memcpy(h, sl_snap_magic, 8);
    sl_le_put32(h + 8, SL_SNAPSHOT_VERSION);
    sl_le_put32(h + 12, meta->flags);
    sl_le_put64(h + 16, meta->epoch);
    sl_le_put32(h + 24, meta->worker);
    memcpy(h + 28, meta->job, strnlen(meta->job, SL_SNAPSHOT_JOB_MAX));
    sl_le_put32(h + 60, sl_crc32c(0, h, 60));
}

/* Chooses the backend; fills w->uring, w->fixed, w->backend. */
static int sl_snap_setup_backend(struct sl_snapshot_writer *w, enum sl_snapshot_backend want,
                                 struct sl_error *err)
{
    const char *env = getenv("SLUICE_SNAPSHOT_IO");
    if (want == SL_SNAPSHOT_AUTO && env && *env) {
        if (strcmp(env, "uring") == 0 || strcmp(env, "io_uring") == 0)
            want = SL_SNAPSHOT_URING;
        else if (strcmp(env, "pwrite") == 0)
            want = SL_SNAPSHOT_PWRITE;
        else
            return sl_error_set(err, SL_EINVAL,
                                "SLUICE_SNAPSHOT_IO='%s': expected 'uring' or 'pwrite'", env);
    }
    if (want == SL_SNAPSHOT_PWRITE) {
        w->nbuf = 1;
        snprintf(w->backend, sizeof(w->backend), "pwrite (%zu B buffer, chosen)", w->bufsz);
        return 0;
    }
    int rc = sl_fault_hit("snapshot.uring_init");
    if (rc == 0)
        rc = io_uring_queue_init(2 * w->nbuf, &w->ring, 0);
    if (rc < 0) {
        if (want == SL_SNAPSHOT_URING)
            return sl_error_set(err, SL_ENOTSUP, "snapshot %s: io_uring unavailable: %s", w->path,
                                strerror(-rc));
        w->nbuf = 1;
        snprintf(w->backend, sizeof(w->backend),
                 "pwrite (%zu B buffer; io_uring unavailable: io_uring_queue_init: %s)", w->bufsz,
                 strerror(-rc));
        return 0;
    }
    w->uring = w->ring_ok = true;
    snprintf(w->backend, sizeof(w->backend), "io_uring (%u x %zu B", w->nbuf, w->bufsz);
    return 0;
}

static int sl_snap_alloc_bufs(struct sl_snapshot_writer *w, struct sl_error *err)
{
    w->bufs = calloc(w->nbuf, sizeof(*w->bufs));
    if (!w->bufs)
        return sl_error_set(err, SL_ENOMEM, "snapshot %s: out of memory", w->path);
    struct iovec iov[SL_SNAP_MAX_DEPTH];
    for (unsigned i = 0; i < w->nbuf; i++) {
        w->bufs[i].mem = aligned_alloc(SL_SNAP_PAGE, w->bufsz);
        if (!w->bufs[i].mem)
            return sl_error_set(err, SL_ENOMEM, "snapshot %s: out of memory for %u x %zu B",
                                w->path, w->nbuf, w->bufsz);
        iov[i].iov_base = w->bufs[i].mem;
        iov[i].iov_len = w->bufsz;
    }
    if (w->uring) {
        size_t l = strlen(w->backend);
        int rc = io_uring_register_buffers(&w->ring, iov, w->nbuf);
        w->fixed = rc == 0;
        if (w->fixed)
            snprintf(w->backend + l, sizeof(w->backend) - l, ", registered buffers)");
        else
            snprintf(w->backend + l, sizeof(w->backend) - l,
                     ", unregistered buffers: registering failed: %s)", strerror(-rc));
    }
    return 0;
}

int sl_snapshot_writer_open(const char *path, const struct sl_snapshot_meta *meta,
                            const struct sl_snapshot_wopts *opts, struct sl_snapshot_writer **out,
                            struct sl_error *err)
{
    *out = NULL;
    int rc = sl_snap_check_meta(meta, err);
    if (rc < 0)
        return rc;
    struct sl_snapshot_wopts o = opts ? *opts : (struct sl_snapshot_wopts){0};
    struct sl_snapshot_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return sl_error_set(err, SL_ENOMEM, "snapshot %s: out of memory", path);
    w->fd = -1;
    w->meta = *meta;
    w->io = o.io ? o.io : &sl_snap_io_sys;
    w->bufsz = o.buf_size ? (o.buf_size + SL_SNAP_PAGE - 1) & ~(size_t)(SL_SNAP_PAGE - 1)
                          : SL_SNAP_DEFAULT_BUF;
    if (w->bufsz > (1u << 30))
        w->bufsz = 1u << 30; /* one io_uring write takes an unsigned length */
    w->nbuf = o.depth ? o.depth : SL_SNAP_DEFAULT_DEPTH;
    if (w->nbuf > SL_SNAP_MAX_DEPTH)
        w->nbuf = SL_SNAP_MAX_DEPTH;
    w->path = sl_snap_strdup(path, "");
    w->tmp = sl_snap_strdup(path, ".tmp");
    const char *slash = strrchr(path, '/');
    w->dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!w->path || !w->tmp || !w->dir) {
        rc = sl_error_set(err, SL_ENOMEM, "snapshot %s: out of memory", path);
        goto out_free;
    }
    rc = sl_snap_setup_backend(w, o.backend, err);
    if (rc < 0)
        goto out_free;
    rc = sl_snap_alloc_bufs(w, err);
    if (rc < 0)
        goto out_free;
    int fd = w->io->open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc =
            sl_error_set(err, fd == -ENOENT ? SL_ENOTFOUND : sl_snap_code(-fd),
                         "snapshot %s: open: %s (%s)", w->tmp, strerror(-fd), sl_snap_errname(-fd));
        goto out_free;
    }
    w->fd = fd;
    sl_crash_point("snapshot.after_open");
    unsigned char h[SL_SNAPSHOT_HEADER_SIZE];
    sl_snap_encode_header(h, meta);
    w->meta_crc = sl_crc32c(0, h, sizeof(h));
    rc = sl_snap_emit(w, h, sizeof(h), err);
    if (rc < 0)
        goto out_free;
    *out = w;
    return 0;
out_free:
    sl_snapshot_writer_free(w);
    return rc;
}

const char *sl_snapshot_writer_backend(const struct sl_snapshot_writer *w)
{
    return w->backend;
}

bool sl_snapshot_writer_uses_uring(const struct sl_snapshot_writer *w)
{
    return w->uring;
}

uint32_t sl_snapshot_writer_count(const struct sl_snapshot_writer *w)
{
    return w->nblocks;
}

static int sl_snap_add_block(struct sl_snapshot_writer *w, uint32_t type, uint32_t flags,
                             const void *payload, size_t len, uint32_t crc, struct sl_error *err)
{
    if (w->failed)
        return sl_snap_failed(w, err);
    if (w->committed)
        return sl_error_set(err, SL_ESTATE, "snapshot %s: already committed", w->path);
    if (w->nblocks == UINT32_MAX)
        return sl_snap_fail(w, err, SL_ERANGE, "snapshot %s: too many blocks", w->path);
    if (w->nblocks == w->capblocks) {
        uint32_t cap = w->capblocks ? w->capblocks * 2 : 64;
        if (cap < w->capblocks)
            cap = UINT32_MAX;
        struct sl_snap_index *ix = realloc(w->index, (size_t)cap * sizeof(*ix));
        if (!ix)
            return sl_snap_fail(w, err, SL_ENOMEM, "snapshot %s: out of memory", w->path);
        w->index = ix;
        w->capblocks = cap;
    }
    unsigned char bh[SL_SNAPSHOT_BLOCK_HEADER_SIZE];
    sl_le_put32(bh, type);
    sl_le_put32(bh + 4, flags);
    sl_le_put64(bh + 8, len);
    sl_le_put32(bh + 16, crc);
    sl_le_put32(bh + 20, sl_crc32c(0, bh, 20));
    struct sl_snap_index *e = &w->index[w->nblocks];
    *e = (struct sl_snap_index){sl_snap_pos(w), len, type, flags, crc};
    int rc = sl_snap_emit(w, bh, sizeof(bh), err);
    if (rc == 0)
        rc = sl_snap_emit(w, payload, len, err);
    if (rc < 0)
        return rc;
    w->nblocks++;
    return 0;
}

int sl_snapshot_writer_append(struct sl_snapshot_writer *w, uint32_t type, const void *data,
                              size_t len, struct sl_snapshot_ref *origin, struct sl_error *err)
{
    if (len && !data)
        return sl_error_set(err, SL_EINVAL, "snapshot %s: NULL data", w->path);
    uint32_t crc = sl_crc32c(0, data, len);
    uint32_t idx = w->nblocks;
    int rc = sl_snap_add_block(w, type, 0, data, len, crc, err);
    if (rc == 0 && origin)
        *origin = (struct sl_snapshot_ref){w->meta.epoch, idx, crc, len};
    return rc;
}

int sl_snapshot_writer_append_ref(struct sl_snapshot_writer *w, uint32_t type,
                                  const struct sl_snapshot_ref *target, struct sl_error *err)
{
    if (!(w->meta.flags & SL_SNAPSHOT_F_INCREMENTAL))
        return sl_error_set(err, SL_ESTATE,
                            "snapshot %s: a reference needs SL_SNAPSHOT_F_INCREMENTAL", w->path);
    if (target->epoch >= w->meta.epoch)
        return sl_error_set(err, SL_EINVAL,
                            "snapshot %s: a reference must point to an earlier epoch "
                            "(%llu is not before %llu)",
                            w->path, (unsigned long long)target->epoch,
                            (unsigned long long)w->meta.epoch);
    unsigned char p[SL_SNAPSHOT_REF_SIZE];
    sl_le_put64(p, target->epoch);
    sl_le_put32(p + 8, target->index);
    sl_le_put32(p + 12, target->crc);
    sl_le_put64(p + 16, target->length);
    return sl_snap_add_block(w, type, SL_SNAPSHOT_B_REF, p, sizeof(p), sl_crc32c(0, p, sizeof(p)),
                             err);
}

/* Writes the index and footer into the stream. */
static int sl_snap_write_tail(struct sl_snapshot_writer *w, uint64_t *total, struct sl_error *err)
{
    uint64_t index_off = sl_snap_pos(w);
    uint32_t crc = w->meta_crc;
    for (uint32_t i = 0; i < w->nblocks; i++) {
        const struct sl_snap_index *e = &w->index[i];
        unsigned char ie[SL_SNAPSHOT_INDEX_ENTRY_SIZE] = {0};
        sl_le_put64(ie, e->off);
        sl_le_put64(ie + 8, e->len);
        sl_le_put32(ie + 16, e->type);
        sl_le_put32(ie + 20, e->flags);
        sl_le_put32(ie + 24, e->crc);
        crc = sl_crc32c(crc, ie, sizeof(ie));
        int rc = sl_snap_emit(w, ie, sizeof(ie), err);
        if (rc < 0)
            return rc;
    }
    unsigned char f[SL_SNAPSHOT_FOOTER_SIZE] = {0};
    *total =
        index_off + (uint64_t)w->nblocks * SL_SNAPSHOT_INDEX_ENTRY_SIZE + SL_SNAPSHOT_FOOTER_SIZE;
    sl_le_put64(f, index_off);
    sl_le_put64(f + 8, w->nblocks);
    sl_le_put64(f + 16, *total);
    sl_le_put32(f + 24, sl_crc32c(crc, f, 24));
    memcpy(f + 32, sl_snap_end_magic, 8);
    return sl_snap_emit(w, f, sizeof(f), err);
}

int sl_snapshot_writer_commit(struct sl_snapshot_writer *w, uint64_t *bytes, struct sl_error *err)
{
    if (w->failed)
        return sl_snap_failed(w, err);
    if (w->committed)
        return sl_error_set(err, SL_ESTATE, "snapshot %s: already committed", w->path);
    uint64_t total = 0;
    int rc = sl_snap_write_tail(w, &total, err);
    if (rc == 0)
        rc = sl_snap_flush(w, err);
    if (rc == 0)
        rc = sl_snap_drain(w, err);
    if (rc < 0)
        return rc;
    sl_crash_point("snapshot.before_fsync");
    rc = w->io->fsync(w->fd);
    if (rc < 0)
        return sl_snap_fail(w, err, sl_snap_code(-rc), "snapshot %s: fsync: %s (%s)", w->tmp,
                            strerror(-rc), sl_snap_errname(-rc));
    close(w->fd); /* after a successful fsync, close has nothing left to report */
    w->fd = -1;
    sl_crash_point("snapshot.before_rename");
    rc = w->io->rename(w->tmp, w->path);
    if (rc < 0)
        return sl_snap_fail(w, err, sl_snap_code(-rc), "snapshot %s: rename from %s: %s (%s)",
                            w->path, w->tmp, strerror(-rc), sl_snap_errname(-rc));
    w->renamed = true;
    sl_crash_point("snapshot.before_dirfsync");
    rc = w->io->dir_fsync(w->dir);
    if (rc < 0) {
        /* The rename may not be durable, and the caller is told the snapshot failed: it
         * must not find the file under its final name either. */
        unlink(w->path);
        w->renamed = false;
        return sl_snap_fail(w, err, sl_snap_code(-rc),
                            "snapshot %s: fsync of directory %s: %s (%s)", w->path, w->dir,
                            strerror(-rc), sl_snap_errname(-rc));
    }
    sl_crash_point("snapshot.after_dirfsync");
    w->committed = true;
    if (bytes)
        *bytes = total;
    return 0;
}

void sl_snapshot_writer_free(struct sl_snapshot_writer *w)
{
    if (!w)
        return;
    if (w->ring_ok) {
        sl_snap_drain(w, NULL);
        io_uring_queue_exit(&w->ring);
    }
    if (w->fd >= 0)
        close(w->fd);
    if (!w->committed && w->tmp && !w->renamed)
        unlink(w->tmp);
    if (w->bufs)
        for (unsigned i = 0; i < w->nbuf; i++)
            free(w->bufs[i].mem);
    free(w->bufs);
    free(w->index);
    free(w->path);
    free(w->tmp);
    free(w->dir);
    free(w);
}

/* ---- reader ------------------------------------------------------------------------------ */

struct sl_snap_dep {
    uint64_t epoch;
    struct sl_snapshot_reader *r;
};

struct sl_snapshot_reader {
    char *path;
    int fd;
    uint64_t size, index_off;
    struct sl_snapshot_meta meta;
    uint32_t nblocks;
    struct sl_snap_index *index;
    sl_snapshot_locate_fn locate;
    void *locate_ctx;
    struct sl_snap_dep *deps; /* readers of referenced epochs, opened on demand */
    size_t ndeps, capdeps;
    uint32_t next;           /* sl_snapshot_reader_next's position */
    unsigned char *iter_buf; /* its buffer */
    size_t iter_cap;
};

static int sl_snap_pread(struct sl_snapshot_reader *r, void *buf, size_t n, uint64_t off,
                         const char *what, struct sl_error *err)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t k = pread(r->fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return sl_error_set(err, SL_EIO, "snapshot %s: reading %s at offset %llu: %s", r->path,
                                what, (unsigned long long)off, strerror(errno));
        if (k == 0)
            return sl_error_set(err, SL_ECORRUPT,
                                "snapshot %s: %s at offset %llu: file ends early (truncated)",
                                r->path, what, (unsigned long long)off);
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

static int sl_snap_bad(const struct sl_snapshot_reader *r, struct sl_error *err, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));

static int sl_snap_bad(const struct sl_snapshot_reader *r, struct sl_error *err, const char *fmt,
                       ...)
{
    char what[SL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return sl_error_set(err, SL_ECORRUPT, "snapshot %s: %s", r->path, what);
}

static int sl_snap_parse_header(struct sl_snapshot_reader *r, const unsigned char *h,
                                struct sl_error *err)
{
    if (memcmp(h, sl_snap_magic, 8) != 0)
        return sl_snap_bad(r, err, "header: wrong magic (not a sluice snapshot)");
    uint32_t crc = sl_crc32c(0, h, 60);
    if (crc != sl_le_get32(h + 60))
        return sl_snap_bad(r, err, "header: CRC32C 0x%08x does not match the stored 0x%08x", crc,
                           sl_le_get32(h + 60));
    uint32_t version = sl_le_get32(h + 8);
    if (version != SL_SNAPSHOT_VERSION)
        return sl_error_set(err, version > SL_SNAPSHOT_VERSION ? SL_ENOTSUP : SL_ECORRUPT,
                            "snapshot %s: header: format version %u (this build reads %u)", r->path,
                            version, SL_SNAPSHOT_VERSION);
    r->meta.flags = sl_le_get32(h + 12);
    if (r->meta.flags & SL_SNAPSHOT_F_RESERVED)
        return sl_snap_bad(r, err, "header: reserved flag bits set (0x%x)", r->meta.flags);
    r->meta.epoch = sl_le_get64(h + 16);
    r->meta.worker = sl_le_get32(h + 24);
    memcpy(r->meta.job, h + 28, SL_SNAPSHOT_JOB_MAX);
    r->meta.job[SL_SNAPSHOT_JOB_MAX] = 0;
    size_t jl = strlen(r->meta.job);
    if (jl == 0)
        return sl_snap_bad(r, err, "header: empty job id");
    for (size_t i = jl; i < SL_SNAPSHOT_JOB_MAX; i++)
        if (h[28 + i])
            return sl_snap_bad(r, err, "header: job id padding is not zero");
    return 0;
}

/* Reads and checks footer and index (the header is already checked). */
static int sl_snap_load_index(struct sl_snapshot_reader *r, const unsigned char *h,
                              struct sl_error *err)
{
    unsigned char f[SL_SNAPSHOT_FOOTER_SIZE];
    int rc = sl_snap_pread(r, f, sizeof(f), r->size - sizeof(f), "footer", err);
    if (rc < 0)
        return rc;
    if (memcmp(f + 32, sl_snap_end_magic, 8) != 0)
        return sl_snap_bad(r, err, "footer: wrong magic (file truncated or not complete)");
    uint64_t index_off = sl_le_get64(f), count = sl_le_get64(f + 8), total = sl_le_get64(f + 16);
    if (total != r->size)
        return sl_snap_bad(r, err,
                           "footer: the file should have %llu bytes but has %llu (truncated?)",
                           (unsigned long long)total, (unsigned long long)r->size);
    if (sl_le_get32(f + 28) != 0)
        return sl_snap_bad(r, err, "footer: reserved field is not zero");
    uint64_t room = r->size - SL_SNAPSHOT_FOOTER_SIZE - SL_SNAPSHOT_HEADER_SIZE;
    if (index_off < SL_SNAPSHOT_HEADER_SIZE || index_off - SL_SNAPSHOT_HEADER_SIZE > room ||
        count > UINT32_MAX ||
        count * SL_SNAPSHOT_INDEX_ENTRY_SIZE != r->size - SL_SNAPSHOT_FOOTER_SIZE - index_off)
        return sl_snap_bad(r, err,
                           "footer: index of %llu blocks at offset %llu does not fit a file "
                           "of %llu bytes",
                           (unsigned long long)count, (unsigned long long)index_off,
                           (unsigned long long)r->size);
    size_t ilen = (size_t)count * SL_SNAPSHOT_INDEX_ENTRY_SIZE;
    unsigned char *raw = malloc(ilen ? ilen : 1);
    r->index = malloc(count ? (size_t)count * sizeof(*r->index) : 1);
    if (!raw || !r->index) {
        free(raw);
        return sl_error_set(err, SL_ENOMEM, "snapshot %s: out of memory for the index", r->path);
    }
    rc = sl_snap_pread(r, raw, ilen, index_off, "index", err);
    if (rc < 0)
        goto out;
    uint32_t crc = sl_crc32c(0, h, SL_SNAPSHOT_HEADER_SIZE);
    crc = sl_crc32c(crc, raw, ilen);
    crc = sl_crc32c(crc, f, 24);
    if (crc != sl_le_get32(f + 24)) {
        rc = sl_snap_bad(r, err,
                         "footer: CRC32C of header, index and footer 0x%08x does not match "
                         "the stored 0x%08x",
                         crc, sl_le_get32(f + 24));
        goto out;
    }
    uint64_t expect = SL_SNAPSHOT_HEADER_SIZE;
    for (uint32_t i = 0; i < (uint32_t)count; i++) {
        const unsigned char *ie = raw + (size_t)i * SL_SNAPSHOT_INDEX_ENTRY_SIZE;
        struct sl_snap_index *e = &r->index[i];
        *e = (struct sl_snap_index){sl_le_get64(ie), sl_le_get64(ie + 8), sl_le_get32(ie + 16),
                                    sl_le_get32(ie + 20), sl_le_get32(ie + 24)};
        if (e->off != expect || e->len > index_off - e->off - SL_SNAPSHOT_BLOCK_HEADER_SIZE ||
            index_off - e->off < SL_SNAPSHOT_BLOCK_HEADER_SIZE) {
            rc = sl_snap_bad(r, err,
                             "index: block %u at offset %llu with %llu bytes does not follow "
                             "the previous block or passes the index",
                             i, (unsigned long long)e->off, (unsigned long long)e->len);
            goto out;
        }
        if ((e->flags & ~SL_SNAPSHOT_B_REF) || sl_le_get32(ie + 28) != 0) {
            rc = sl_snap_bad(r, err, "index: block %u has unknown flags 0x%x", i, e->flags);
            goto out;
        }
        if (e->flags & SL_SNAPSHOT_B_REF) {
            if (!(r->meta.flags & SL_SNAPSHOT_F_INCREMENTAL)) {
                rc = sl_snap_bad(r, err,
                                 "index: block %u is a reference but the snapshot is not "
                                 "incremental",
                                 i);
                goto out;
            }
            if (e->len != SL_SNAPSHOT_REF_SIZE) {
                rc = sl_snap_bad(r, err, "index: reference block %u has %llu bytes, not %d", i,
                                 (unsigned long long)e->len, SL_SNAPSHOT_REF_SIZE);
                goto out;
            }
        }
        expect = e->off + SL_SNAPSHOT_BLOCK_HEADER_SIZE + e->len;
    }
    if (expect != index_off) {
        rc = sl_snap_bad(r, err, "index: blocks end at offset %llu but the index is at %llu",
                         (unsigned long long)expect, (unsigned long long)index_off);
        goto out;
    }
    r->nblocks = (uint32_t)count;
    r->index_off = index_off;
out:
    free(raw);
    return rc;
}

int sl_snapshot_reader_open(const char *path, struct sl_snapshot_reader **out, struct sl_error *err)
{
    *out = NULL;
    struct sl_snapshot_reader *r = calloc(1, sizeof(*r));
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return sl_error_set(err, SL_ENOMEM, "snapshot %s: out of memory", path);
    }
    int rc;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        int e = errno;
        rc = sl_error_set(err, e == ENOENT ? SL_ENOTFOUND : SL_EIO, "snapshot %s: open: %s", path,
                          strerror(e));
        goto out_free;
    }
    struct stat st;
    if (fstat(r->fd, &st) < 0) {
        rc = sl_error_set(err, SL_EIO, "snapshot %s: stat: %s", path, strerror(errno));
        goto out_free;
    }
    r->size = (uint64_t)st.st_size;
    if (r->size < SL_SNAPSHOT_HEADER_SIZE + SL_SNAPSHOT_FOOTER_SIZE) {
        rc = sl_snap_bad(r, err, "%llu bytes is too short for a snapshot (truncated?)",
                         (unsigned long long)r->size);
        goto out_free;
    }
    unsigned char h[SL_SNAPSHOT_HEADER_SIZE];
    rc = sl_snap_pread(r, h, sizeof(h), 0, "header", err);
    if (rc == 0)
        rc = sl_snap_parse_header(r, h, err);
    if (rc == 0)
        rc = sl_snap_load_index(r, h, err);
    if (rc < 0)
        goto out_free;
    *out = r;
    return 0;
out_free:
    sl_snapshot_reader_free(r);
    return rc;
}

void sl_snapshot_reader_set_locator(struct sl_snapshot_reader *r, sl_snapshot_locate_fn locate,
                                    void *ctx)
{
    r->locate = locate;
    r->locate_ctx = ctx;
}

const struct sl_snapshot_meta *sl_snapshot_reader_meta(const struct sl_snapshot_reader *r)
{
    return &r->meta;
}

uint32_t sl_snapshot_reader_count(const struct sl_snapshot_reader *r)
{
    return r->nblocks;
}

uint64_t sl_snapshot_reader_size(const struct sl_snapshot_reader *r)
{
    return r->size;
}

/* Reads and checks block i's header and (for a reference) its payload. */
static int sl_snap_block_header(struct sl_snapshot_reader *r, uint32_t i,
                                struct sl_snapshot_ref *ref, struct sl_error *err)
{
    const struct sl_snap_index *e = &r->index[i];
    unsigned char bh[SL_SNAPSHOT_BLOCK_HEADER_SIZE + SL_SNAPSHOT_REF_SIZE];
    size_t n =
        SL_SNAPSHOT_BLOCK_HEADER_SIZE + ((e->flags & SL_SNAPSHOT_B_REF) ? SL_SNAPSHOT_REF_SIZE : 0);
    int rc = sl_snap_pread(r, bh, n, e->off, "block header", err);
    if (rc < 0)
        return rc;
    uint32_t crc = sl_crc32c(0, bh, 20);
    if (crc != sl_le_get32(bh + 20))
        return sl_snap_bad(r, err,
                           "block %u at offset %llu: header CRC32C 0x%08x does not "
                           "match the stored 0x%08x",
                           i, (unsigned long long)e->off, crc, sl_le_get32(bh + 20));
    if (sl_le_get32(bh) != e->type || sl_le_get32(bh + 4) != e->flags ||
        sl_le_get64(bh + 8) != e->len || sl_le_get32(bh + 16) != e->crc)
        return sl_snap_bad(r, err,
                           "block %u at offset %llu: header (type %u, %llu bytes, CRC32C "
                           "0x%08x) disagrees with the index",
                           i, (unsigned long long)e->off, sl_le_get32(bh),
                           (unsigned long long)sl_le_get64(bh + 8), sl_le_get32(bh + 16));
    if (e->flags & SL_SNAPSHOT_B_REF) {
        const unsigned char *p = bh + SL_SNAPSHOT_BLOCK_HEADER_SIZE;
        crc = sl_crc32c(0, p, SL_SNAPSHOT_REF_SIZE);
        if (crc != e->crc)
            return sl_snap_bad(r, err,
                               "block %u (a reference): CRC32C 0x%08x does not match "
                               "the stored 0x%08x",
                               i, crc, e->crc);
        *ref = (struct sl_snapshot_ref){sl_le_get64(p), sl_le_get32(p + 8), sl_le_get32(p + 12),
                                        sl_le_get64(p + 16)};
        if (ref->epoch >= r->meta.epoch)
            return sl_snap_bad(r, err, "block %u references epoch %llu, not an earlier one", i,
                               (unsigned long long)ref->epoch);
    }
    return 0;
}

/* The reader of the referenced epoch (opened on first use) and its block entry checked
 * against the reference. */
static int sl_snap_dep(struct sl_snapshot_reader *r, uint32_t i, const struct sl_snapshot_ref *ref,
                       struct sl_snapshot_reader **out, struct sl_error *err)
{
    if (!r->locate)
        return sl_error_set(err, SL_ESTATE,
                            "snapshot %s: block %u references epoch %llu and no locator is set",
                            r->path, i, (unsigned long long)ref->epoch);
    struct sl_snapshot_reader *d = NULL;
    for (size_t k = 0; k < r->ndeps; k++)
        if (r->deps[k].epoch == ref->epoch)
            d = r->deps[k].r;
    if (!d) {
        char path[4096];
        int rc = r->locate(r->locate_ctx, &r->meta, ref->epoch, path, sizeof(path));
        if (rc < 0)
            return sl_error_set(err, rc,
                                "snapshot %s: block %u: cannot locate the snapshot of epoch "
                                "%llu: %s",
                                r->path, i, (unsigned long long)ref->epoch, sl_strerror(rc));
        if (r->ndeps == r->capdeps) {
            size_t cap = r->capdeps ? 2 * r->capdeps : 4;
            struct sl_snap_dep *nd = realloc(r->deps, cap * sizeof(*nd));
            if (!nd)
                return sl_error_set(err, SL_ENOMEM, "snapshot %s: out of memory", r->path);
            r->deps = nd;
            r->capdeps = cap;
        }
        struct sl_error sub;
        rc = sl_snapshot_reader_open(path, &d, &sub);
        if (rc < 0)
            return sl_error_set(err, rc, "snapshot %s: block %u references epoch %llu: %s", r->path,
                                i, (unsigned long long)ref->epoch, sub.msg);
        sl_snapshot_reader_set_locator(d, r->locate, r->locate_ctx);
        r->deps[r->ndeps++] = (struct sl_snap_dep){ref->epoch, d};
        if (d->meta.epoch != ref->epoch || d->meta.worker != r->meta.worker ||
            strcmp(d->meta.job, r->meta.job) != 0)
            return sl_snap_bad(r, err,
                               "block %u references epoch %llu but %s is job '%s' worker %u "
                               "epoch %llu",
                               i, (unsigned long long)ref->epoch, d->path, d->meta.job,
                               d->meta.worker, (unsigned long long)d->meta.epoch);
    }
    if (ref->index >= d->nblocks)
        return sl_snap_bad(r, err, "block %u references block %u of epoch %llu, which has %u", i,
                           ref->index, (unsigned long long)ref->epoch, d->nblocks);
    const struct sl_snap_index *t = &d->index[ref->index];
    const struct sl_snap_index *e = &r->index[i];
    bool t_ref = t->flags & SL_SNAPSHOT_B_REF;
    /* A reference to a reference is checked when that one is resolved. */
    if (t->type != e->type || (!t_ref && (t->crc != ref->crc || t->len != ref->length)))
        return sl_snap_bad(r, err,
                           "block %u references block %u of epoch %llu (type %u, %llu bytes, "
                           "CRC32C 0x%08x) but that block is type %u, %llu bytes, CRC32C 0x%08x",
                           i, ref->index, (unsigned long long)ref->epoch, e->type,
                           (unsigned long long)ref->length, ref->crc, t->type,
                           (unsigned long long)t->len, t->crc);
    *out = d;
    return 0;
}

/* Reads block i's data into buf (cap >= its data length), following references. */
static int sl_snap_read(struct sl_snapshot_reader *r, uint32_t i, void *buf, size_t cap,
                        const struct sl_snapshot_ref *want, unsigned hops, struct sl_error *err)
{
    const struct sl_snap_index *e = &r->index[i];
    struct sl_snapshot_ref ref;
    int rc = sl_snap_block_header(r, i, &ref, err);
    if (rc < 0)
        return rc;
    if (e->flags & SL_SNAPSHOT_B_REF) {
        if (hops >= SL_SNAP_MAX_HOPS)
            return sl_snap_bad(r, err, "block %u: more than %u reference hops", i,
                               SL_SNAP_MAX_HOPS);
        if (want && (ref.crc != want->crc || ref.length != want->length))
            return sl_snap_bad(r, err,
                               "block %u: a reference to data of CRC32C 0x%08x and %llu bytes "
                               "is itself a reference to CRC32C 0x%08x and %llu bytes",
                               i, want->crc, (unsigned long long)want->length, ref.crc,
                               (unsigned long long)ref.length);
        struct sl_snapshot_reader *d;
        rc = sl_snap_dep(r, i, &ref, &d, err);
        if (rc < 0)
            return rc;
        return sl_snap_read(d, ref.index, buf, cap, &ref, hops + 1, err);
    }
    if (e->len > cap)
        return sl_error_set(err, SL_ERANGE, "snapshot %s: block %u has %llu bytes, buffer %zu",
                            r->path, i, (unsigned long long)e->len, cap);
    rc = sl_snap_pread(r, buf, (size_t)e->len, e->off + SL_SNAPSHOT_BLOCK_HEADER_SIZE,
                       "block payload", err);
    if (rc < 0)
        return rc;
    uint32_t crc = sl_crc32c(0, buf, (size_t)e->len);
    if (crc != e->crc)
        return sl_snap_bad(r, err,
                           "block %u at offset %llu (%llu bytes): payload CRC32C 0x%08x does "
                           "not match the stored 0x%08x",
                           i, (unsigned long long)e->off, (unsigned long long)e->len, crc, e->crc);
    return 0;
}

/* The data length and CRC of block i as the index says (for a reference: the target's, as the
 * reference says; it is read from the file). */
static int sl_snap_describe(struct sl_snapshot_reader *r, uint32_t i, struct sl_snapshot_block *out,
                            struct sl_error *err)
{
    const struct sl_snap_index *e = &r->index[i];
    *out = (struct sl_snapshot_block){.index = i,
                                      .type = e->type,
                                      .is_ref = (e->flags & SL_SNAPSHOT_B_REF) != 0,
                                      .length = e->len,
                                      .crc = e->crc,
                                      .origin = {r->meta.epoch, i, e->crc, e->len}};
    if (out->is_ref) {
        int rc = sl_snap_block_header(r, i, &out->origin, err);
        if (rc < 0)
            return rc;
        out->length = out->origin.length;
        out->crc = out->origin.crc;
    }
    return 0;
}

int sl_snapshot_reader_block(const struct sl_snapshot_reader *r, uint32_t i,
                             struct sl_snapshot_block *out, struct sl_error *err)
{
    if (i >= r->nblocks)
        return sl_error_set(err, SL_ERANGE, "snapshot %s: no block %u (it has %u)", r->path, i,
                            r->nblocks);
    /* describe only reads through the descriptor; the reader's state is not changed */
    return sl_snap_describe((struct sl_snapshot_reader *)r, i, out, err);
}

int sl_snapshot_reader_read(struct sl_snapshot_reader *r, uint32_t i, void *buf, size_t cap,
                            struct sl_error *err)
{
    if (i >= r->nblocks)
        return sl_error_set(err, SL_ERANGE, "snapshot %s: no block %u (it has %u)", r->path, i,
                            r->nblocks);
    return sl_snap_read(r, i, buf, cap, NULL, 0, err);
}

int sl_snapshot_reader_next(struct sl_snapshot_reader *r, struct sl_snapshot_block *blk,
                            const void **data, struct sl_error *err)
{
    if (r->next >= r->nblocks)
        return 0;
    uint32_t i = r->next;
    int rc = sl_snap_describe(r, i, blk, err);
    if (rc < 0)
        return rc;
    if (blk->length > SIZE_MAX - 1)
        return sl_error_set(err, SL_ENOMEM, "snapshot %s: block %u too large", r->path, i);
    if (blk->length > r->iter_cap || !r->iter_buf) {
        size_t cap = blk->length ? (size_t)blk->length : 1;
        unsigned char *nb = realloc(r->iter_buf, cap);
        if (!nb)
            return sl_error_set(err, SL_ENOMEM,
                                "snapshot %s: out of memory for block %u "
                                "(%llu bytes)",
                                r->path, i, (unsigned long long)blk->length);
        r->iter_buf = nb;
        r->iter_cap = cap;
    }
    rc = sl_snap_read(r, i, r->iter_buf, r->iter_cap, NULL, 0, err);
    if (rc < 0)
        return rc;
    r->next++;
    *data = r->iter_buf;
    return 1;
}

/* Checks the payload CRC of data block i, streaming it in pieces. */
static int sl_snap_verify_data(struct sl_snapshot_reader *r, uint32_t i, unsigned char *buf,
                               size_t bufsz, struct sl_error *err)
{
    const struct sl_snap_index *e = &r->index[i];
    uint64_t off = e->off + SL_SNAPSHOT_BLOCK_HEADER_SIZE, left = e->len;
    uint32_t crc = 0;
    while (left) {
        size_t n = left < bufsz ? (size_t)left : bufsz;
        int rc = sl_snap_pread(r, buf, n, off, "block payload", err);
        if (rc < 0)
            return rc;
        crc = sl_crc32c(crc, buf, n);
        off += n;
        left -= n;
    }
    if (crc != e->crc)
        return sl_snap_bad(r, err,
                           "block %u at offset %llu (%llu bytes): payload CRC32C 0x%08x does "
                           "not match the stored 0x%08x",
                           i, (unsigned long long)e->off, (unsigned long long)e->len, crc, e->crc);
    return 0;
}

/* Follows the reference of block i to its data and checks the data's CRC. */
static int sl_snap_verify_ref(struct sl_snapshot_reader *r, uint32_t i, unsigned char *buf,
                              size_t bufsz, struct sl_error *err)
{
    struct sl_snapshot_reader *cur = r;
    uint32_t ci = i;
    struct sl_snapshot_ref ref;
    for (unsigned hops = 0;; hops++) {
        int rc = sl_snap_block_header(cur, ci, &ref, err);
        if (rc < 0)
            return rc;
        if (!(cur->index[ci].flags & SL_SNAPSHOT_B_REF))
            return sl_snap_verify_data(cur, ci, buf, bufsz, err);
        if (!r->locate)
            return 0; /* form checked; no way to follow it */
        if (hops >= SL_SNAP_MAX_HOPS)
            return sl_snap_bad(cur, err, "block %u: more than %u reference hops", ci,
                               SL_SNAP_MAX_HOPS);
        struct sl_snapshot_reader *d;
        rc = sl_snap_dep(cur, ci, &ref, &d, err);
        if (rc < 0)
            return rc;
        cur = d;
        ci = ref.index;
    }
}

int sl_snapshot_reader_verify(struct sl_snapshot_reader *r, struct sl_error *err)
{
    size_t bufsz = 1u << 20;
    unsigned char *buf = malloc(bufsz);
    if (!buf)
        return sl_error_set(err, SL_ENOMEM, "snapshot %s: out of memory", r->path);
    int rc = 0;
    for (uint32_t i = 0; i < r->nblocks && rc == 0; i++) {
        struct sl_snapshot_ref ref;
        rc = sl_snap_block_header(r, i, &ref, err);
        if (rc == 0)
            rc = (r->index[i].flags & SL_SNAPSHOT_B_REF)
                     ? sl_snap_verify_ref(r, i, buf, bufsz, err)
                     : sl_snap_verify_data(r, i, buf, bufsz, err);
    }
    free(buf);
    return rc;
}

static int sl_snap_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int sl_snapshot_reader_deps(struct sl_snapshot_reader *r, uint64_t **out, size_t *n,
                            struct sl_error *err)
{
    *out = NULL;
    *n = 0;
    uint64_t *v = malloc((r->nblocks ? r->nblocks : 1) * sizeof(*v));
    if (!v)
        return sl_error_set(err, SL_ENOMEM, "snapshot %s: out of memory", r->path);
    size_t k = 0;
    for (uint32_t i = 0; i < r->nblocks; i++) {
        if (!(r->index[i].flags & SL_SNAPSHOT_B_REF))
            continue;
        struct sl_snapshot_ref ref = {0};
        int rc = sl_snap_block_header(r, i, &ref, err);
        if (rc < 0) {
            free(v);
            return rc;
        }
        v[k++] = ref.epoch;
    }
    qsort(v, k, sizeof(*v), sl_snap_cmp_u64);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (m == 0 || v[m - 1] != v[i])
            v[m++] = v[i];
    *out = v;
    *n = m;
    return 0;
}

void sl_snapshot_reader_free(struct sl_snapshot_reader *r)
{
    if (!r)
        return;
    for (size_t k = 0; k < r->ndeps; k++)
        sl_snapshot_reader_free(r->deps[k].r);
    free(r->deps);
    if (r->fd >= 0)
        close(r->fd);
    free(r->index);
    free(r->iter_buf);
    free(r->path);
    free(r);
}

/* ---- naming --------------------------------------------------------------------------------- */

int sl_snapshot_path(char *path, size_t cap, const char *dir, const char *job, uint32_t worker,
                     uint64_t epoch)
{
    int n =
        snprintf(path, cap, "%s/%s-w%u-e%llu.snap", dir, job, worker, (unsigned long long)epoch);
    return n < 0 || (size_t)n >= cap ? SL_ERANGE : 0;
}

int sl_snapshot_locate_dir(void *ctx, const struct sl_snapshot_meta *head, uint64_t epoch,
                           char *path, size_t cap)
{
    return sl_snapshot_path(path, cap, (const char *)ctx, head->job, head->worker, epoch);
}
