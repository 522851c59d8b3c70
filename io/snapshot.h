/*
 * io/snapshot.h - durable snapshot files: the format, the io_uring writer, the reader.
 *
 * A snapshot file holds one worker's operator state at one checkpoint epoch as a sequence
 * of typed blocks (the caller decides what a block holds and what its type means). The
 * writer makes it durable the only way POSIX allows: write "<name>.tmp", wait for every
 * write, fsync it, rename it to "<name>", fsync the directory. A file under the final name
 * is therefore always complete; a crash leaves at most a ".tmp". The reader checks every
 * byte against a CRC32C (engine/core/crc32c.h) and refuses a damaged or truncated file with an
 * error that names the file, the block and what is wrong.
 *
 * ---- Format (version 1; every integer little-endian) -----------------------------------
 *
 * File:  header | block 0 | block 1 | ... | block n-1 | index | footer
 *
 * Header, 64 bytes, at offset 0:
 *   off size field
 *     0    8 magic "SLUICESN"
 *     8    4 format version (1)
 *    12    4 flags: bit 0 SL_SNAPSHOT_F_INCREMENTAL (blocks may be references); bits 1-15
 *            reserved (must be 0); bits 16-31 the caller's
 *    16    8 epoch
 *    24    4 worker
 *    28   32 job id: UTF-8 bytes, NUL-padded (at most 32 bytes, no NUL inside)
 *    60    4 CRC32C of bytes 0-59
 *
 * Block, 24 + length bytes, the first at offset 64, each right after the previous:
 *   off size field
 *     0    4 type (the caller's)
 *     4    4 flags: bit 0 SL_SNAPSHOT_B_REF (the payload is a reference); others 0
 *     8    8 payload length
 *    16    4 CRC32C of the payload
 *    20    4 CRC32C of bytes 0-19
 *    24  len payload
 *
 * Reference payload (a block with SL_SNAPSHOT_B_REF; its length is 24): the block's
 * contents are those of block `index` of the same job and worker's snapshot of `epoch`.
 *   off size field
 *     0    8 epoch of the snapshot holding the data (less than this file's epoch)
 *     8    4 block index in that snapshot
 *    12    4 CRC32C of that block's payload
 *    16    8 length of that block's payload
 * The referenced block has the same type. It may itself be a reference (to an older
 * epoch); the reader follows such hops and checks every CRC on the way.
 *
 * Index, 32 bytes per block, right after the last block:
 *   off size field
 *     0    8 offset of the block (its 24-byte header) in the file
 *     8    8 payload length
 *    16    4 type
 *    20    4 block flags
 *    24    4 CRC32C of the payload
 *    28    4 zero
 *
 * Footer, 40 bytes, the last bytes of the file:
 *   off size field
 *     0    8 offset of the index
 *     8    8 block count
 *    16    8 total file length, footer included
 *    24    4 CRC32C of header (64 bytes) || index || footer bytes 0-23
 *    28    4 zero
 *    32    8 magic "SLSNEND\0"
 *
 * The footer is written last and names the file's length, so a file cut short anywhere
 * is refused; the index is also checked against the block headers (blocks are contiguous
 * and end where the index begins), so a reader never trusts a length it has not checked.
 *
 * ---- Incremental snapshots ---------------------------------------------------------------
 *
 * A caller whose state is mostly unchanged since an earlier epoch writes a reference block
 * (sl_snapshot_writer_append_ref) instead of the bytes. The writer returns each block's
 * "origin" (epoch, index, CRC, length), which is what a later epoch references; a reader
 * gives the same for blocks it reads (a reference's origin is its target), so a caller
 * need never hold more than the previous epoch's list. A full snapshot every K epochs
 * (bounding the chain and letting old files be deleted) is the caller's policy: it simply
 * appends every block as data; the file then needs no other. Which earlier files a file
 * needs is sl_snapshot_reader_deps().
 *
 * ---- Writing -------------------------------------------------------------------------------
 *
 * Appended bytes are copied into a ring of large page-aligned buffers (default 4 x 1 MiB)
 * that go out as whole-buffer writes at increasing offsets, several in flight at once,
 * through io_uring (registered buffers where the kernel allows) - so many small blocks
 * cost one large write, and the caller owns its bytes again as soon as append returns.
 * When io_uring is unavailable (an old kernel, a seccomp filter, a container that forbids
 * it) the writer falls back, at open, to pwrite with one buffer; sl_snapshot_writer_backend
 * says which is in use and why. SLUICE_SNAPSHOT_IO=uring|pwrite forces one.
 *
 * Commit: every write is waited for (a linked fsync would only wait for the write before
 * it), then fsync, close, rename to the final name, fsync of the directory. A write that
 * transfers fewer bytes than asked is an error (on a regular file that means the disk is
 * full), as is every failed system call: each comes back with a message naming the file
 * and the step, and the code SL_EFULL for ENOSPC / EDQUOT, SL_ENOMEM for ENOMEM and
 * SL_EIO for everything else. A failed snapshot never leaves a file under the final name:
 * if even the directory fsync fails, the renamed file is unlinked again.
 *
 * ---- Faults and crashes --------------------------------------------------------------------
 *
 * All file I/O goes through struct sl_snapshot_io. The default table checks these fault
 * points (engine/core/fault.h) before each call: snapshot.open, snapshot.write (also SHORT),
 * snapshot.fsync, snapshot.rename, snapshot.dirfsync, and snapshot.uring_init when the ring
 * is set up (a fault there makes the writer fall back to pwrite). Crash points, in order:
 * snapshot.after_open, snapshot.after_write (after each buffer write is submitted),
 * snapshot.before_fsync (every write done), snapshot.before_rename (fsync done),
 * snapshot.before_dirfsync (renamed), snapshot.after_dirfsync.
 *
 * A writer and a reader are each used by one thread at a time.
 */
#ifndef SL_IO_SNAPSHOT_H
#define SL_IO_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"

#define SL_SNAPSHOT_VERSION 1
#define SL_SNAPSHOT_HEADER_SIZE 64
#define SL_SNAPSHOT_BLOCK_HEADER_SIZE 24
#define SL_SNAPSHOT_REF_SIZE 24
#define SL_SNAPSHOT_INDEX_ENTRY_SIZE 32
#define SL_SNAPSHOT_FOOTER_SIZE 40
#define SL_SNAPSHOT_JOB_MAX 32

#define SL_SNAPSHOT_F_INCREMENTAL 0x1u /* header flag */
#define SL_SNAPSHOT_F_RESERVED 0xfffeu /* header flags that must be 0 */
#define SL_SNAPSHOT_B_REF 0x1u         /* block flag */

/* Who wrote a snapshot and when. */
struct sl_snapshot_meta {
    char job[SL_SNAPSHOT_JOB_MAX + 1]; /* NUL-terminated, 1..32 bytes */
    uint64_t epoch;
    uint32_t worker;
    uint32_t flags; /* SL_SNAPSHOT_F_INCREMENTAL | caller's bits 16-31 */
};

/* Where a block's bytes live: block `index` of the snapshot of `epoch`. */
struct sl_snapshot_ref {
    uint64_t epoch;
    uint32_t index;
    uint32_t crc;    /* CRC32C of the payload */
    uint64_t length; /* payload bytes */
};

/* A block as the index describes it. */
struct sl_snapshot_block {
    uint32_t index;
    uint32_t type;
    bool is_ref;
    uint64_t length; /* of the data: for a reference, the referenced payload's length */
    uint32_t crc;    /* of the data, likewise */
    struct sl_snapshot_ref origin; /* data: (this epoch, index, crc, length); ref: target */
};

/* ---- the I/O table (fault injection) --------------------------------------------------- */

struct io_uring;

/* One buffer write. */
struct sl_snapshot_wreq {
    int fd;
    const void *buf;
    size_t len;
    uint64_t off;
    int fixed;     /* index of the registered buffer holding buf, or -1 */
    uint64_t tag;  /* the io_uring request's user_data */
    int64_t res;   /* set by the pwrite path: bytes written or -errno */
    bool injected; /* set by an io_uring path that queued a no-op instead of the write: its
                      completion then counts as `res` */
};

/*
 * Every file operation of the writer. Functions return a value >= 0 or -errno. `write`
 * with ring == NULL writes synchronously (pwrite) and sets req->res; with a ring it
 * queues the write (or, to inject a fault, a no-op with req->injected and req->res set),
 * submits it and returns 0, or -errno if it could not be submitted; the writer reaps the
 * completion. sl_snapshot_io_default() is the real system with the fault points above.
 */
struct sl_snapshot_io {
    int (*open)(const char *path, int flags, unsigned mode); /* fd */
    int (*write)(struct io_uring *ring, struct sl_snapshot_wreq *req);
    int (*fsync)(int fd);
    int (*rename)(const char *from, const char *to);
    int (*dir_fsync)(const char *dir);
};
const struct sl_snapshot_io *sl_snapshot_io_default(void);

/* ---- writer ------------------------------------------------------------------------------ */

enum sl_snapshot_backend {
    SL_SNAPSHOT_AUTO = 0, /* io_uring if it works, else pwrite (SLUICE_SNAPSHOT_IO overrides) */
    SL_SNAPSHOT_URING,    /* io_uring or fail with SL_ENOTSUP */
    SL_SNAPSHOT_PWRITE,
};

struct sl_snapshot_wopts {
    enum sl_snapshot_backend backend;
    size_t buf_size;                 /* bytes per write buffer (0: 1 MiB; rounded to 4 KiB) */
    unsigned depth;                  /* buffers, i.e. writes in flight (0: 4); pwrite uses 1 */
    const struct sl_snapshot_io *io; /* NULL: sl_snapshot_io_default() */
};

struct sl_snapshot_writer;

/*
 * Starts the snapshot `path` (the final name; the bytes go to "<path>.tmp", created or
 * truncated) for `meta` (copied). `opts` may be NULL (defaults). On success *out is a
 * writer that the caller ends with sl_snapshot_writer_commit and frees with
 * sl_snapshot_writer_free. Errors: SL_EINVAL (a bad meta), SL_ENOTSUP (io_uring forced
 * but unavailable), the I/O codes above, SL_ENOMEM.
 */
int sl_snapshot_writer_open(const char *path, const struct sl_snapshot_meta *meta,
                            const struct sl_snapshot_wopts *opts, struct sl_snapshot_writer **out,
                            struct sl_error *err);

/* "io_uring (4 x 1048576 B, registered buffers)" or "pwrite (io_uring unavailable: ...)".
 * The string belongs to the writer. */
const char *sl_snapshot_writer_backend(const struct sl_snapshot_writer *w);

/* Whether the writer writes through io_uring. */
bool sl_snapshot_writer_uses_uring(const struct sl_snapshot_writer *w);

/*
 * Appends a data block of `len` bytes. The bytes are copied before this returns: the caller
 * keeps ownership of `data`. If `origin` is not NULL it receives the block's origin (for
 * references from later epochs). After any error the writer is failed: every later call
 * returns the same error, and the snapshot can only be freed.
 */
int sl_snapshot_writer_append(struct sl_snapshot_writer *w, uint32_t type, const void *data,
                              size_t len, struct sl_snapshot_ref *origin, struct sl_error *err);

/*
 * Appends a reference to a block of an earlier epoch (target->epoch < this epoch) whose
 * payload has target->crc and target->length; the snapshot must have been opened with
 * SL_SNAPSHOT_F_INCREMENTAL (else SL_ESTATE). The target is not checked here (the writer
 * does not read old files); the reader checks it.
 */
int sl_snapshot_writer_append_ref(struct sl_snapshot_writer *w, uint32_t type,
                                  const struct sl_snapshot_ref *target, struct sl_error *err);

/* Blocks appended so far. */
uint32_t sl_snapshot_writer_count(const struct sl_snapshot_writer *w);

/*
 * Writes the index and footer, waits for every write, fsyncs, renames "<path>.tmp" to
 * `path` and fsyncs the directory. Returns 0 once the snapshot is durable under its final
 * name; on error nothing is under the final name. Either way, free the writer next.
 * `bytes`, if not NULL, receives the file's length.
 */
int sl_snapshot_writer_commit(struct sl_snapshot_writer *w, uint64_t *bytes, struct sl_error *err);

/* Frees the writer (NULL is allowed). Waits for writes still in flight; a snapshot that was
 * not committed is abandoned and its ".tmp" unlinked. */
void sl_snapshot_writer_free(struct sl_snapshot_writer *w);

/* ---- reader ------------------------------------------------------------------------------ */

/*
 * Finds the file of the snapshot of `epoch` for the same job and worker as `head`: writes
 * its path into path[cap] and returns 0, or a negative code.
 */
typedef int (*sl_snapshot_locate_fn)(void *ctx, const struct sl_snapshot_meta *head, uint64_t epoch,
                                     char *path, size_t cap);

/* The naming convention "<dir>/<job>-w<worker>-e<epoch>.snap"; returns 0 or SL_ERANGE. */
int sl_snapshot_path(char *path, size_t cap, const char *dir, const char *job, uint32_t worker,
                     uint64_t epoch);

/* A locator for that convention; ctx is the directory (a NUL-terminated string). */
int sl_snapshot_locate_dir(void *ctx, const struct sl_snapshot_meta *head, uint64_t epoch,
                           char *path, size_t cap);

struct sl_snapshot_reader;

/*
 * Opens `path` and checks its header, footer and index (magic, version, flags, lengths, the
 * CRCs of header, index and footer, the block layout); payload CRCs are checked as blocks
 * are read (or all at once by sl_snapshot_reader_verify). On success *out is a reader the
 * caller frees with sl_snapshot_reader_free. Errors: SL_ENOTFOUND (no such file), SL_EIO,
 * SL_ECORRUPT (with what and where), SL_ENOTSUP (a newer format version), SL_ENOMEM.
 */
int sl_snapshot_reader_open(const char *path, struct sl_snapshot_reader **out,
                            struct sl_error *err);

/* Lets the reader follow references: earlier snapshots are found through `locate` (ctx is
 * passed to it and must outlive the reader) and opened when first needed. Without it,
 * reading a reference block fails with SL_ESTATE. */
void sl_snapshot_reader_set_locator(struct sl_snapshot_reader *r, sl_snapshot_locate_fn locate,
                                    void *ctx);

/* The header (owned by the reader). */
const struct sl_snapshot_meta *sl_snapshot_reader_meta(const struct sl_snapshot_reader *r);
uint32_t sl_snapshot_reader_count(const struct sl_snapshot_reader *r);
uint64_t sl_snapshot_reader_size(const struct sl_snapshot_reader *r);

/* Block `i` (< count) as the index describes it (no I/O). */
int sl_snapshot_reader_block(const struct sl_snapshot_reader *r, uint32_t i,
                             struct sl_snapshot_block *out, struct sl_error *err);

/*
 * Reads the data of block `i` into buf[cap] (cap >= its length), following references,
 * checking the block header against the index and every CRC on the way.
 */
int sl_snapshot_reader_read(struct sl_snapshot_reader *r, uint32_t i, void *buf, size_t cap,
                            struct sl_error *err);

/*
 * Iterates: the first call gives block 0, each further call the next. Returns 1 with
 * *blk and *data (the block's bytes, in a buffer of the reader valid until the next call
 * or free), 0 after the last block, or a negative code.
 */
int sl_snapshot_reader_next(struct sl_snapshot_reader *r, struct sl_snapshot_block *blk,
                            const void **data, struct sl_error *err);

/* Reads every block and checks every CRC, following references if a locator is set (else
 * references are checked for form only). 0 if the whole file (and chain) is sound. */
int sl_snapshot_reader_verify(struct sl_snapshot_reader *r, struct sl_error *err);

/*
 * The epochs this snapshot references directly, ascending and without repeats: *out is an
 * array of *n epochs that the caller frees with free(). A full snapshot has none. (Reads the
 * reference blocks; fails on a damaged one.)
 */
int sl_snapshot_reader_deps(struct sl_snapshot_reader *r, uint64_t **out, size_t *n,
                            struct sl_error *err);

/* Frees the reader and the readers it opened for references (NULL is allowed). */
void sl_snapshot_reader_free(struct sl_snapshot_reader *r);

#endif
