/*
 * coord/store_file.c - the embedded commit store (see store_file.h).
 *
 * The whole file is rewritten on every put: it is at most (1 + SL_COMMIT_HISTORY) records
 * of 1.5 KiB, and a rewrite plus rename is the one way to change a file atomically on
 * every filesystem. The cost is two fsyncs (file, directory) per put - the same durability
 * work ZooKeeper does for its transaction log.
 *
 * A RENAME THAT REPORTS FAILURE MAY HAVE HAPPENED: over NFS a retransmitted RENAME whose
 * first copy succeeded answers ENOENT, and EIO leaves the journal's state open. So a failed
 * rename reads `commit` back and compares it, byte for byte, with what was written: the
 * same means the rename happened and the put goes on (the directory fsync); the previous
 * content means it did not (SL_EIO, "not committed"); unreadable means the outcome is
 * unknown (SL_EIO saying so). The write is engine/core/durable.h's, which does exactly this
 * for every durable file; its fault points here are file.rename (the rename fails without
 * renaming) and file.rename_reply (it renames, then reports the error), file.write and
 * file.fsync.
 */
#include "coord/store_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "engine/core/durable.h"
#include "engine/core/fault.h"

#define SL_FS_HEADER "sluice-commit 1\n"
#define SL_FS_MAX (32 + (SL_COMMIT_HISTORY + 1) * SL_EPOCH_ENCODED_MAX + 32)

struct sl_file_store {
    struct sl_commit_store base; /* first: the commit.c view */
    char dir[512];
    char path[560];
    char tmp[560];
    char lock[560];
    int lock_fd; /* -1 until acquired */
    struct sl_epoch_rec hist[SL_COMMIT_HISTORY];
    size_t nhist;
};

/* ---- the file -------------------------------------------------------------------------- */

/* Reads and checks `commit`: the current record into *cur, the history into fs->hist. */
static int sl_fs_load(struct sl_file_store *fs, struct sl_epoch_rec *cur, struct sl_error *err)
{
    memset(cur, 0, sizeof(*cur));
    int fd = open(fs->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        fs->nhist = 0;
        return 0; /* nothing committed yet */
    }
    if (fd < 0)
        return sl_error_set(err, SL_EIO, "%s: %s", fs->path, strerror(errno));
    char *buf = malloc(SL_FS_MAX + 1);
    size_t len = 0;
    ssize_t r = 0;
    while (buf && len <= SL_FS_MAX && (r = read(fd, buf + len, SL_FS_MAX + 1 - len)) > 0)
        len += (size_t)r;
    int e = errno;
    close(fd);
    if (!buf)
        return sl_error_set(err, SL_ENOMEM, "%s: out of memory", fs->path);
    int rc = 0;
    if (r < 0) {
        rc = sl_error_set(err, SL_EIO, "%s: %s", fs->path, strerror(e));
        goto out;
    }
    /* the checksum line: "checksum " + 16 hex + "\n" at the very end */
    const size_t tail = 9 + 16 + 1;
    size_t hl = strlen(SL_FS_HEADER);
    if (len > SL_FS_MAX || len < hl + tail || memcmp(buf, SL_FS_HEADER, hl) != 0 ||
        memcmp(buf + len - tail, "checksum ", 9) != 0 || buf[len - 1] != '\n') {
        rc = sl_error_set(err, SL_ECORRUPT, "%s: not a sluice commit file", fs->path);
        goto out;
    }
    char hex[17];
    memcpy(hex, buf + len - 17, 16);
    hex[16] = '\0';
    char *end;
    uint64_t want = strtoull(hex, &end, 16);
    if (*end || XXH64(buf, len - tail, 0) != want) {
        rc = sl_error_set(err, SL_ECORRUPT, "%s: checksum mismatch", fs->path);
        goto out;
    }
    size_t at = hl, used;
    len -= tail;
    if ((rc = sl_epoch_decode(buf + at, len - at, cur, &used, err)) != 0)
        goto out;
    at += used;
    fs->nhist = 0;
    while (at < len) {
        if (fs->nhist == SL_COMMIT_HISTORY) {
            rc = sl_error_set(err, SL_ECORRUPT, "%s: more than %d history records", fs->path,
                              SL_COMMIT_HISTORY);
            goto out;
        }
        if ((rc = sl_epoch_decode(buf + at, len - at, &fs->hist[fs->nhist], &used, err)) != 0)
            goto out;
        fs->nhist++;
        at += used;
    }
out:
    if (rc && err) {
        char msg[SL_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        if (!strstr(msg, fs->path))
            sl_error_set(err, rc, "%s: %s", fs->path, msg);
    }
    free(buf);
    return rc;
}

/* Writes cur + hist[0..nhist) as the new `commit`, durably. */
static int sl_fs_store(struct sl_file_store *fs, const struct sl_epoch_rec *cur,
                       const struct sl_epoch_rec *hist, size_t nhist, struct sl_error *err)
{
    char *buf = malloc(SL_FS_MAX);
    if (!buf)
        return sl_error_set(err, SL_ENOMEM, "%s: out of memory", fs->path);
    size_t len = strlen(SL_FS_HEADER), n;
    memcpy(buf, SL_FS_HEADER, len);
    int rc = sl_epoch_encode(cur, buf + len, SL_FS_MAX - len, &n);
    len += rc ? 0 : n;
    for (size_t i = 0; rc == 0 && i < nhist; i++) {
        rc = sl_epoch_encode(&hist[i], buf + len, SL_FS_MAX - len, &n);
        len += rc ? 0 : n;
    }
    if (rc) {
        free(buf);
        return sl_error_set(err, rc, "%s: epoch %" PRId64 " cannot be encoded", fs->path,
                            cur->epoch);
    }
    len += (size_t)snprintf(buf + len, SL_FS_MAX - len, "checksum %016" PRIx64 "\n",
                            (uint64_t)XXH64(buf, len, 0));

    static const struct sl_durable_points pts = {.before_write = "file.before_write",
                                                 .before_rename = "file.before_rename",
                                                 .after_rename = "file.after_rename"};
    rc = sl_durable_write(fs->dir, "commit", buf, len, "file", &pts, err);
    if (rc) {
        char msg[SL_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        sl_error_set(err, rc, "%s: epoch %" PRId64 " (%s) %s: %s", fs->path, cur->epoch,
                     sl_epoch_phase_name(cur->phase),
                     strstr(msg, "is unknown") ? "may or may not be committed" : "not committed",
                     msg);
    }
    free(buf);
    return rc;
}

/* ---- the ops table ----------------------------------------------------------------------- */

static int sl_fs_acquire(struct sl_commit_store *s, int timeout_ms, struct sl_error *err)
{
    struct sl_file_store *fs = (struct sl_file_store *)s;
    if (fs->lock_fd < 0) {
        fs->lock_fd = open(fs->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fs->lock_fd < 0)
            return sl_error_set(err, SL_EIO, "%s: %s", fs->lock, strerror(errno));
    }
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (flock(fs->lock_fd, LOCK_EX | LOCK_NB) == 0)
            break;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return sl_error_set(err, SL_EIO, "%s: %s", fs->lock, strerror(errno));
        clock_gettime(CLOCK_MONOTONIC, &t);
        double ms = (double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6;
        if (timeout_ms >= 0 && ms >= timeout_ms)
            return sl_error_set(err, SL_ETIMEOUT, "%s: another process leads this state directory",
                                fs->lock);
        usleep(20 * 1000);
    }
    struct sl_epoch_rec cur;
    return sl_fs_load(fs, &cur, err);
}

static int sl_fs_read(struct sl_commit_store *s, struct sl_epoch_rec *out, struct sl_error *err)
{
    return sl_fs_load((struct sl_file_store *)s, out, err);
}

static int sl_fs_put(struct sl_commit_store *s, const struct sl_epoch_rec *rec,
                     struct sl_error *err)
{
    struct sl_file_store *fs = (struct sl_file_store *)s;
    struct sl_epoch_rec hist[SL_COMMIT_HISTORY];
    size_t n = 0;
    if (rec->phase == SL_EPOCH_COMMITTED)
        hist[n++] = *rec;
    for (size_t i = 0; i < fs->nhist && n < SL_COMMIT_HISTORY; i++)
        if (fs->hist[i].epoch != rec->epoch || rec->phase != SL_EPOCH_COMMITTED)
            hist[n++] = fs->hist[i];
    int rc = sl_fs_store(fs, rec, hist, n, err);
    if (rc == 0) {
        memcpy(fs->hist, hist, n * sizeof(hist[0]));
        fs->nhist = n;
    }
    return rc;
}

static int sl_fs_history(struct sl_commit_store *s, struct sl_epoch_rec *out, size_t cap, size_t *n,
                         struct sl_error *err)
{
    struct sl_file_store *fs = (struct sl_file_store *)s;
    struct sl_epoch_rec cur;
    int rc = sl_fs_load(fs, &cur, err);
    if (rc)
        return rc;
    for (*n = 0; *n < cap && *n < fs->nhist; (*n)++)
        out[*n] = fs->hist[*n];
    return 0;
}

static void sl_fs_free(struct sl_commit_store *s)
{
    struct sl_file_store *fs = (struct sl_file_store *)s;
    if (fs->lock_fd >= 0)
        close(fs->lock_fd); /* drops the flock */
    free(fs);
}

static const struct sl_commit_ops sl_fs_ops = {
    .name = "file",
    .acquire = sl_fs_acquire,
    .read = sl_fs_read,
    .put = sl_fs_put,
    .history = sl_fs_history,
    .free = sl_fs_free,
};

int sl_file_store_new(const char *state_dir, struct sl_commit_store **out, struct sl_error *err)
{
    if (!state_dir || !state_dir[0] || strlen(state_dir) >= 500)
        return sl_error_set(err, SL_EINVAL, "state directory '%s': empty or too long",
                            state_dir ? state_dir : "");
    if (mkdir(state_dir, 0755) != 0 && errno != EEXIST)
        return sl_error_set(err, SL_EIO, "%s: %s", state_dir, strerror(errno));
    struct sl_file_store *fs = calloc(1, sizeof(*fs));
    if (!fs)
        return sl_error_set(err, SL_ENOMEM, "file store: out of memory");
    fs->base.ops = &sl_fs_ops;
    fs->lock_fd = -1;
    snprintf(fs->dir, sizeof(fs->dir), "%s", state_dir);
    snprintf(fs->path, sizeof(fs->path), "%s/commit", state_dir);
    snprintf(fs->tmp, sizeof(fs->tmp), "%s/commit.tmp", state_dir);
    snprintf(fs->lock, sizeof(fs->lock), "%s/commit.lock", state_dir);
    *out = &fs->base;
    return 0;
}
