/*
 * bench/snapshot.c - snapshot write throughput: the snapshot writer (io_uring, and its pwrite
 * fallback) against plain sequential pwrite + fsync of the same bytes, side by side in one
 * run, for 1 MB, 100 MB and 1 GB of state.
 *
 * The state is cut into 64 KiB blocks (many blocks, coalesced into the writer's buffers);
 * each iteration writes a whole snapshot and makes it durable (writes, fsync, rename,
 * directory fsync). "plain" opens a file, pwrites the same bytes in 1 MiB pieces, fsyncs and
 * closes it: the floor a durable write cannot beat; "plain ... rename_dirfsync" adds what
 * the snapshot's durability contract costs on top (write to .tmp, rename, fsync of the
 * directory), with no format, CRC or copy. Unlinking the file is outside the timing.
 * Besides google-benchmark's mean, each benchmark reports the p50 and p99 of its iterations
 * (counters p50_ms, p99_ms; with few iterations p99 is the maximum). Files go to
 * $SLUICE_BENCH_DIR (default /tmp). Disk figures from a VM disk are noisy: compare the
 * variants of one run, not runs of different machines.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include "io/snapshot.h"

#define SL_BM_SNAP_BLOCK (64u << 10)
#define SL_BM_SNAP_MAX_ITERS 4096

enum { SL_BM_URING, SL_BM_PWRITE, SL_BM_PLAIN, SL_BM_PLAIN_RENAME };

struct sl_bm_snap {
    size_t bytes;
    int variant;
};

static double sl_bm_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const unsigned char *sl_bm_snap_data(size_t bytes)
{
    static unsigned char *data;
    static size_t have;
    if (have < bytes) {
        sl_bench_free(data);
        data = sl_bench_alloc(bytes);
        uint64_t s = 12345;
        for (size_t i = 0; i + 8 <= bytes; i += 8) {
            uint64_t v = sl_bench_rand(&s);
            memcpy(data + i, &v, 8);
        }
        have = bytes;
    }
    return data;
}

static int sl_bm_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int sl_bm_snap_once(const char *path, const struct sl_bm_snap *p, const unsigned char *data,
                           char *msg, size_t cap)
{
    struct sl_error err;
    if (p->variant == SL_BM_PLAIN || p->variant == SL_BM_PLAIN_RENAME) {
        char tmp[600];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int fd = open(p->variant == SL_BM_PLAIN ? path : tmp,
                      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            return snprintf(msg, cap, "open of the plain file failed"), -1;
        for (size_t off = 0; off < p->bytes;) {
            size_t n = p->bytes - off < (1u << 20) ? p->bytes - off : (1u << 20);
            ssize_t w = pwrite(fd, data + off, n, (off_t)off);
            if (w <= 0) {
                close(fd);
                return snprintf(msg, cap, "pwrite failed"), -1;
            }
            off += (size_t)w;
        }
        int rc = fsync(fd);
        close(fd);
        if (rc < 0)
            return snprintf(msg, cap, "fsync failed"), -1;
        if (p->variant == SL_BM_PLAIN)
            return 0;
        if (rename(tmp, path) < 0)
            return snprintf(msg, cap, "rename failed"), -1;
        const char *slash = strrchr(path, '/');
        char dir[512];
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        rc = dfd < 0 ? -1 : fsync(dfd);
        if (dfd >= 0)
            close(dfd);
        return rc < 0 ? (snprintf(msg, cap, "directory fsync failed"), -1) : 0;
    }
    struct sl_snapshot_meta m;
    memset(&m, 0, sizeof(m));
    strcpy(m.job, "bench");
    m.epoch = 1;
    struct sl_snapshot_wopts o = {.backend = p->variant == SL_BM_URING ? SL_SNAPSHOT_URING
                                                                       : SL_SNAPSHOT_PWRITE};
    struct sl_snapshot_writer *w;
    int rc = sl_snapshot_writer_open(path, &m, &o, &w, &err);
    for (size_t off = 0; rc == 0 && off < p->bytes; off += SL_BM_SNAP_BLOCK) {
        size_t n = p->bytes - off < SL_BM_SNAP_BLOCK ? p->bytes - off : SL_BM_SNAP_BLOCK;
        rc = sl_snapshot_writer_append(w, 1, data + off, n, NULL, &err);
    }
    if (rc == 0)
        rc = sl_snapshot_writer_commit(w, NULL, &err);
    if (w)
        sl_snapshot_writer_free(w);
    if (rc < 0)
        snprintf(msg, cap, "%s", err.msg);
    return rc;
}

static void bm_snapshot(struct sl_bench *b, void *arg)
{
    const struct sl_bm_snap *p = arg;
    const unsigned char *data = sl_bm_snap_data(p->bytes);
    const char *dir = getenv("SLUICE_BENCH_DIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/sluice-bench-snap-%d.snap", dir && *dir ? dir : "/tmp",
             (int)getpid());
    static double t[SL_BM_SNAP_MAX_ITERS];
    size_t n = 0;
    char msg[SL_ERROR_MSG_MAX];
    while (sl_bench_running(b)) {
        double t0 = sl_bm_now();
        if (sl_bm_snap_once(path, p, data, msg, sizeof(msg)) < 0) {
            unlink(path);
            sl_bench_error(b, msg);
            return;
        }
        double t1 = sl_bm_now();
        if (n < SL_BM_SNAP_MAX_ITERS)
            t[n++] = t1 - t0;
        sl_bench_pause(b);
        unlink(path);
        sl_bench_resume(b);
    }
    qsort(t, n, sizeof(t[0]), sl_bm_cmp);
    if (n) {
        sl_bench_counter(b, "p50_ms", t[n / 2] * 1e3);
        size_t k = (size_t)((double)(n - 1) * 0.99 + 0.5);
        sl_bench_counter(b, "p99_ms", t[k] * 1e3);
        sl_bench_counter(b, "iters", (double)n);
    }
    sl_bench_bytes(b, (int64_t)p->bytes);
}

SL_BENCH_REGISTER(sl_bm_snapshot_register)
{
    static const size_t sizes[] = {1u << 20, 100u << 20, 1u << 30};
    static const char *const size_names[] = {"1MB", "100MB", "1GB"};
    static const char *const var_names[] = {"io_uring", "pwrite_fallback", "plain_pwrite_fsync",
                                            "plain_pwrite_fsync_rename_dirfsync"};
    static struct sl_bm_snap args[3][4];
    static char names[3][4][80];
    for (int s = 0; s < 3; s++) {
        for (int v = 0; v < 4; v++) {
            args[s][v] = (struct sl_bm_snap){sizes[s], v};
            snprintf(names[s][v], sizeof(names[s][v]), "snapshot/write/%s/%s", size_names[s],
                     var_names[v]);
            struct sl_bench_def *d = sl_bench_add(names[s][v], bm_snapshot, &args[s][v]);
            sl_bench_def_real_time(d);
            sl_bench_def_unit(d, 'm');
            sl_bench_def_min_time(d, s == 2 ? 4.0 : 1.0);
        }
    }
}
