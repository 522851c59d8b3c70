/*
 * engine/core/durable.c - durable small files (see durable.h).
 */
#include "engine/core/durable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fault.h"

#define SL_DURABLE_PATH 4096

static int sl_durable_fault(const char *what, const char *step)
{
    char point[96];
    snprintf(point, sizeof(point), "%s.%s", what, step);
    return sl_fault_hit(point);
}

static void sl_durable_crash(const char *what, const char *step, const char *extra)
{
    char point[96];
    snprintf(point, sizeof(point), "%s.%s", what, step);
    sl_crash_point(point);
    if (extra && strcmp(extra, point) != 0)
        sl_crash_point(extra);
}

/* Whether `path` holds exactly data[0..len): 1 yes, 0 no (or missing), -1 unreadable
 * (errno set). */
static int sl_durable_holds(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    char *got = malloc(len + 1);
    if (!got) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    size_t n = 0;
    ssize_t r = 0;
    while (n <= len && (r = read(fd, got + n, len + 1 - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        n += (size_t)r;
    }
    int e = errno;
    close(fd);
    int same = r < 0 ? -1 : n == len && memcmp(got, data, len) == 0;
    free(got);
    errno = e;
    return same;
}

int sl_durable_fsync_dir(const char *dir, struct sl_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return sl_error_set(err, sl_error_from_errno(errno), "%s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc)
        return sl_error_set(err, sl_error_from_errno(e), "fsync of directory %s: %s", dir,
                            strerror(e));
    return 0;
}

int sl_durable_mkdir(const char *dir, struct sl_error *err)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return 0;
    return sl_error_set(err, sl_error_from_errno(errno), "cannot create the directory %s: %s", dir,
                        strerror(errno));
}

int sl_durable_write(const char *dir, const char *name, const void *data, size_t len,
                     const char *what, const struct sl_durable_points *pts, struct sl_error *err)
{
    char path[SL_DURABLE_PATH], tmp[SL_DURABLE_PATH + 8];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
        return sl_error_set(err, SL_EINVAL, "%s: the path %s/%s is too long", what, dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (pts && pts->before_write)
        sl_crash_point(pts->before_write);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sl_error_set(err, sl_error_from_errno(errno), "%s: cannot create %s: %s", what, tmp,
                            strerror(errno));
    const char *p = data;
    size_t done = 0;
    while (done < len) {
        int f = sl_durable_fault(what, "write");
        ssize_t n;
        if (f == SL_FAULT_SHORT) /* a write that transfers part of its bytes: go on */
            n = write(fd, p + done, (len - done + 1) / 2);
        else if (f < 0)
            n = (errno = -f, -1);
        else
            n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : ENOSPC;
            close(fd);
            unlink(tmp);
            return sl_error_set(err, sl_error_from_errno(e), "%s: writing %s: %s", what, tmp,
                                strerror(e));
        }
        done += (size_t)n;
    }
    int f = sl_durable_fault(what, "fsync");
    if (f < 0 || fsync(fd) != 0) {
        int e = f < 0 ? -f : errno;
        close(fd);
        unlink(tmp);
        return sl_error_set(err, sl_error_from_errno(e), "%s: fsync of %s: %s", what, tmp,
                            strerror(e));
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return sl_error_set(err, sl_error_from_errno(e), "%s: close of %s: %s", what, tmp,
                            strerror(e));
    }
    sl_durable_crash(what, "before_rename", pts ? pts->before_rename : NULL);
    /* A rename that reports an error may have happened all the same (a lost reply from a
     * network file system, or the fault point `what`.rename_reply): the target is read back
     * and decides. Its new bytes mean renamed; its old ones (or none) mean not. */
    f = sl_durable_fault(what, "rename");
    int e = 0;
    if (f)
        e = f < 0 ? -f : EIO;
    else if (rename(tmp, path) != 0)
        e = errno;
    else if ((f = sl_durable_fault(what, "rename_reply")) != 0)
        e = f < 0 ? -f : EIO;
    if (e) {
        int held = sl_durable_holds(path, data, len);
        if (held == 0) {
            unlink(tmp);
            return sl_error_set(err, sl_error_from_errno(e),
                                "%s: rename %s -> %s: %s; %s still holds its previous content",
                                what, tmp, path, strerror(e), path);
        }
        if (held < 0)
            return sl_error_set(err, SL_EIO,
                                "%s: rename %s -> %s: %s, and %s cannot be read back (%s): "
                                "whether it was replaced is unknown",
                                what, tmp, path, strerror(e), path, strerror(errno));
        unlink(tmp); /* held: renamed after all (the temporary file is gone, or a copy) */
    }
    if (pts && pts->after_rename)
        sl_crash_point(pts->after_rename);
    return sl_durable_fsync_dir(dir, err);
}

int sl_durable_read(const char *path, size_t max, char **out, size_t *len, struct sl_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sl_error_set(err, sl_error_from_errno(errno), "%s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    int rc = 0;
    for (;;) {
        if (!buf) {
            rc = sl_error_set(err, SL_ENOMEM, "%s: out of memory reading it", path);
            break;
        }
        if (n == cap) {
            if (cap >= max) {
                rc = sl_error_set(err, SL_EFULL, "%s: larger than %zu bytes", path, max);
                break;
            }
            cap = cap * 2 > max ? max : cap * 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                rc = sl_error_set(err, SL_ENOMEM, "%s: out of memory reading it", path);
                break;
            }
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = sl_error_set(err, sl_error_from_errno(errno), "%s: %s", path, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}
