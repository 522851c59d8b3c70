/*
 * bench/checkpoint.c - what a checkpoint epoch costs (engine/exec/checkpoint.h), beside what the
 * disk takes for the same bytes, in one run:
 *
 *   checkpoint/epoch/<size>        sl_ckpt_commit_epoch of <size> of state over 2 workers,
 *                                  full_every = 1 (every epoch written whole): two snapshot
 *                                  files (CRC per block, fsync, rename, directory fsync),
 *                                  the manifest, PREPARED + COMMITTED in the file store
 *   checkpoint/plain/<size>        the same bytes with plain write() in 1 MiB pieces and one
 *                                  fsync, to one file: the disk's sequential baseline
 *   checkpoint/incremental/100MB   the same 100 MB committed again unchanged with
 *                                  full_every = 10: blocks become references to the last
 *                                  full epoch (only CRCs and the small files are written);
 *                                  every 10th epoch is whole, so p50 is the incremental cost
 *                                  and p99 the full one
 *   checkpoint/recover/<size>      sl_ckpt_open on a state directory holding one committed
 *                                  epoch of <size>: the record, the manifest, every worker
 *                                  file read completely and every CRC verified - the state
 *                                  part of a restart. "cold": the files are dropped from the
 *                                  page cache before each iteration (posix_fadvise
 *                                  DONTNEED, possible since they are clean); "warm": not.
 *                                  The operators' own restore() is not part of it.
 *   checkpoint/commit/zk           an epoch of a tiny state (a few hundred bytes) committed
 *                                  through a real ZooKeeper on loopback (tests/util/zkserver.h,
 *                                  started here; skipped with a message without Java or the
 *                                  zookeeper jars): the epoch latency is dominated by the
 *                                  manifest's fsync and the two puts
 *   checkpoint/commit/file         the same on the file store
 *
 * The state is random bytes (nothing dedups or compresses), cut into 4 large blocks per
 * worker beside the small executor and source blocks a real worker state has. Each
 * benchmark times every iteration itself and reports, besides google-benchmark's mean,
 * the counters p50_ms / p99_ms of the epoch (with few iterations p99 is the maximum),
 * write_p50_ms (snapshot files durable) and commit_p50_ms / commit_p99_ms (manifest + both
 * puts), and bytes_per_second of state. sl_ckpt_cleanup runs after every epoch, untimed.
 *
 * Files go to a fresh directory under $SLUICE_BENCH_DIR, else $TMPDIR, else /var/tmp
 * (/tmp may be a RAM disk, which would say nothing about the disk), removed afterwards. The
 * 1 GB sizes are skipped with a message when that file system has less than 4 GB free.
 * Figures from a VM's virtual disk are noisy, and the page cache of the host is out of
 * reach: compare the variants of one run, not runs of different machines.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include "engine/exec/checkpoint.h"
#include "tests/util/zkserver.h"

#define SL_BM_CK_WORKERS 2
#define SL_BM_CK_BLOCKS 4 /* large state blocks per worker */
#define SL_BM_CK_MAX_ITERS 100000
#define SL_BM_CK_MIN_FREE (4ull << 30) /* needed to run the 1 GB sizes */
#define SL_BM_CK_LAYOUT "pipeline 0 node 0: benchmark state\n"

enum {
    SL_BM_CK_EPOCH,
    SL_BM_CK_PLAIN,
    SL_BM_CK_INCR,
    SL_BM_CK_RECOVER_COLD,
    SL_BM_CK_RECOVER_WARM,
    SL_BM_CK_ZK,
    SL_BM_CK_FILE
};

struct sl_bm_ck {
    size_t bytes; /* state over all workers */
    int kind;
};

static double sl_bm_ck_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int sl_bm_ck_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* p50 and p99 (nearest rank) of n sorted values, in ms. */
static void sl_bm_ck_pct(struct sl_bench *b, const char *name, double *v, size_t n)
{
    if (!n)
        return;
    qsort(v, n, sizeof(*v), sl_bm_ck_cmp);
    char key[64];
    snprintf(key, sizeof(key), "%sp50_ms", name);
    sl_bench_counter(b, key, v[n / 2] * 1e3);
    size_t k = (size_t)((double)(n - 1) * 0.99 + 0.5);
    snprintf(key, sizeof(key), "%sp99_ms", name);
    sl_bench_counter(b, key, v[k] * 1e3);
}

/* ---- the state ------------------------------------------------------------------------------ */

/* The workers' states of `bytes` in total (built once per size, random, kept until another
 * size is asked for). */
static const struct sl_ckpt_wstate *sl_bm_ck_states(size_t bytes)
{
    static struct sl_ckpt_wstate ws[SL_BM_CK_WORKERS];
    static size_t have;
    static bool init;
    if (init && have == bytes)
        return ws;
    for (int w = 0; w < SL_BM_CK_WORKERS; w++) {
        if (init)
            sl_ckpt_wstate_free(&ws[w]);
        memset(&ws[w], 0, sizeof(ws[w]));
        sl_sbuf_init(&ws[w].data);
        sl_sbuf_init(&ws[w].summary);
    }
    init = true;
    have = bytes;
    static uint64_t chunk[(1u << 20) / 8];
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    struct sl_error err;
    size_t per_block = bytes / SL_BM_CK_WORKERS / SL_BM_CK_BLOCKS;
    for (int w = 0; w < SL_BM_CK_WORKERS; w++) {
        struct sl_ckpt_wstate *s = &ws[w];
        /* the executor's pipeline flags and the source's position, as small as real ones */
        size_t off = s->data.len;
        sl_sbuf_put_u32(&s->data, 0);
        if (sl_ckpt_wstate_add(s, SL_CKPT_PIPE, 0, 0, off, &err))
            abort();
        off = s->data.len;
        sl_sbuf_put_u32(&s->data, 1);
        sl_sbuf_put_u32(&s->data, (uint32_t)w);
        sl_sbuf_put_i64(&s->data, 123456789 + w);
        if (sl_ckpt_wstate_add(s, SL_CKPT_SOURCE, 0, 0, off, &err))
            abort();
        for (uint32_t k = 0; k < SL_BM_CK_BLOCKS; k++) {
            off = s->data.len;
            if (!sl_sbuf_reserve(&s->data, per_block))
                abort();
            for (size_t done = 0; done < per_block;) {
                for (size_t i = 0; i < sizeof(chunk) / 8; i++)
                    chunk[i] = sl_bench_rand(&seed);
                size_t n = per_block - done < sizeof(chunk) ? per_block - done : sizeof(chunk);
                sl_sbuf_put(&s->data, chunk, n);
                done += n;
            }
            if (sl_ckpt_wstate_add(s, SL_CKPT_OP, 0, k + 1, off, &err))
                abort();
        }
        char sum[64];
        int n = snprintf(sum, sizeof(sum), "bench:%d=%d", w, 123456789 + w);
        sl_sbuf_put(&s->summary, sum, (size_t)n);
        if (s->data.failed || s->summary.failed)
            abort();
    }
    return ws;
}

/* ---- the directory -------------------------------------------------------------------------- */

static const char *sl_bm_ck_base(void)
{
    const char *d = getenv("SLUICE_BENCH_DIR");
    if (!d || !*d)
        d = getenv("TMPDIR");
    return d && *d ? d : "/var/tmp";
}

/* A fresh directory for `bytes` of files into dir[cap]; 0, or -1 with the benchmark
 * stopped (an error, or a skip for want of space). */
static int sl_bm_ck_mkdir(struct sl_bench *b, size_t bytes, char *dir, size_t cap)
{
    const char *base = sl_bm_ck_base();
    struct statvfs sv;
    if (bytes >= (1ull << 30) && statvfs(base, &sv) == 0 &&
        (unsigned long long)sv.f_bavail * sv.f_frsize < SL_BM_CK_MIN_FREE) {
        char msg[256];
        snprintf(msg, sizeof(msg), "skipped: %s has %.1f GB free, the 1 GB sizes need 4 GB", base,
                 (double)sv.f_bavail * (double)sv.f_frsize / 1e9);
        sl_bench_error(b, msg);
        return -1;
    }
    snprintf(dir, cap, "%s/sluice-bench-ckpt-XXXXXX", base);
    if (!mkdtemp(dir)) {
        sl_bench_error(b, "mkdtemp failed (set SLUICE_BENCH_DIR to a writable directory)");
        return -1;
    }
    return 0;
}

static int sl_bm_ck_rm1(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void sl_bm_ck_rmdir(const char *dir)
{
    if (nftw(dir, sl_bm_ck_rm1, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "bench checkpoint: could not remove all of %s\n", dir);
}

static int sl_bm_ck_drop1(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag != FTW_F)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
    return 0;
}

/* Drops the (clean) pages of every file under dir from the page cache. */
static void sl_bm_ck_drop_cache(const char *dir)
{
    nftw(dir, sl_bm_ck_drop1, 16, FTW_PHYS);
}

/* ---- the benchmarks ------------------------------------------------------------------------- */

static int sl_bm_ck_open(struct sl_bench *b, const char *dir, const char *zk, int full_every,
                         struct sl_ckpt **out)
{
    struct sl_ckpt_opts o = {.state_dir = dir,
                             .job = "bench",
                             .zk = zk,
                             .interval_ms = 1000,
                             .keep = 1,
                             .full_every = full_every,
                             .tolerable_failures = 0,
                             .standby_timeout_ms = 10000};
    struct sl_error err;
    if (sl_ckpt_open(&o, SL_BM_CK_WORKERS, SL_BM_CK_LAYOUT, out, &err) != 0) {
        sl_bench_error(b, err.msg);
        return -1;
    }
    return 0;
}

/* One server for the program's life, stopped at exit. */
static struct sl_zkserver *sl_bm_ck_server;

static void sl_bm_ck_server_stop(void)
{
    sl_zkserver_free(sl_bm_ck_server);
    sl_bm_ck_server = NULL;
}

/* Epochs of `ws` while the benchmark runs: epoch, plain and incremental, commit. */
static void sl_bm_ck_epochs(struct sl_bench *b, const struct sl_bm_ck *p,
                            const struct sl_ckpt_wstate *ws, const char *dir, const char *zk)
{
    struct sl_ckpt *c;
    if (sl_bm_ck_open(b, dir, zk, p->kind == SL_BM_CK_INCR ? 10 : 1, &c))
        return;
    double *t = malloc(3 * SL_BM_CK_MAX_ITERS * sizeof(*t));
    if (!t) {
        sl_ckpt_free(c);
        sl_bench_error(b, "out of memory");
        return;
    }
    double *tw = t + SL_BM_CK_MAX_ITERS, *tc = tw + SL_BM_CK_MAX_ITERS;
    size_t n = 0;
    uint64_t epoch = sl_ckpt_restored_epoch(c);
    struct sl_ckpt_stats st;
    struct sl_error err;
    uint64_t written = 0;
    if (p->kind == SL_BM_CK_INCR) { /* the full epoch the others refer to, untimed */
        if (sl_ckpt_commit_epoch(c, ++epoch, ws, &st, &err) != 0) {
            sl_bench_error(b, err.msg);
            goto out;
        }
    }
    while (sl_bench_running(b)) {
        double t0 = sl_bm_ck_now();
        if (sl_ckpt_commit_epoch(c, ++epoch, ws, &st, &err) != 0) {
            sl_bench_error(b, err.msg);
            goto out;
        }
        double t1 = sl_bm_ck_now();
        if (n < SL_BM_CK_MAX_ITERS) {
            t[n] = t1 - t0;
            tw[n] = st.write_s;
            tc[n++] = st.commit_s;
        }
        written += st.bytes;
        sl_bench_pause(b);
        if (sl_ckpt_cleanup(c, &err) != 0)
            fprintf(stderr, "bench checkpoint: cleanup: %s\n", err.msg);
        sl_bench_resume(b);
    }
    sl_bm_ck_pct(b, "", t, n);
    sl_bm_ck_pct(b, "write_", tw, n);
    sl_bm_ck_pct(b, "commit_", tc, n);
    sl_bench_counter(b, "iters", (double)n);
    if (n)
        sl_bench_counter(b, "written_bytes_per_epoch", (double)written / (double)n);
    sl_bench_bytes(b, (int64_t)st.state_bytes);
out:
    free(t);
    sl_ckpt_free(c);
}

static void sl_bm_ck_plain(struct sl_bench *b, const struct sl_bm_ck *p,
                           const struct sl_ckpt_wstate *ws, const char *dir)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/plain", dir);
    double *t = malloc(SL_BM_CK_MAX_ITERS * sizeof(*t));
    size_t n = 0;
    size_t total = 0;
    for (int w = 0; w < SL_BM_CK_WORKERS; w++)
        total += ws[w].data.len;
    while (t && sl_bench_running(b)) {
        double t0 = sl_bm_ck_now();
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            sl_bench_error(b, "open of the plain file failed");
            break;
        }
        bool ok = true;
        for (int w = 0; w < SL_BM_CK_WORKERS && ok; w++)
            for (size_t off = 0; off < ws[w].data.len && ok;) {
                size_t k = ws[w].data.len - off < (1u << 20) ? ws[w].data.len - off : (1u << 20);
                ssize_t r = write(fd, ws[w].data.p + off, k);
                ok = r > 0;
                off += ok ? (size_t)r : 0;
            }
        ok = ok && fsync(fd) == 0;
        close(fd);
        if (!ok) {
            sl_bench_error(b, "write or fsync of the plain file failed");
            break;
        }
        if (n < SL_BM_CK_MAX_ITERS)
            t[n++] = sl_bm_ck_now() - t0;
        sl_bench_pause(b);
        unlink(path);
        sl_bench_resume(b);
    }
    unlink(path);
    if (t)
        sl_bm_ck_pct(b, "", t, n);
    sl_bench_counter(b, "iters", (double)n);
    sl_bench_bytes(b, (int64_t)total);
    free(t);
    (void)p;
}

static void sl_bm_ck_recover(struct sl_bench *b, const struct sl_bm_ck *p,
                             const struct sl_ckpt_wstate *ws, const char *dir)
{
    struct sl_ckpt *c;
    struct sl_error err;
    struct sl_ckpt_stats st;
    if (sl_bm_ck_open(b, dir, NULL, 1, &c))
        return;
    int rc = sl_ckpt_commit_epoch(c, sl_ckpt_restored_epoch(c) + 1, ws, &st, &err);
    sl_ckpt_free(c);
    if (rc) {
        sl_bench_error(b, err.msg);
        return;
    }
    double *t = malloc(SL_BM_CK_MAX_ITERS * sizeof(*t));
    size_t n = 0;
    bool cold = p->kind == SL_BM_CK_RECOVER_COLD;
    if (cold)
        sl_bm_ck_drop_cache(dir);
    while (t && sl_bench_running(b)) {
        double t0 = sl_bm_ck_now();
        if (sl_bm_ck_open(b, dir, NULL, 1, &c))
            break;
        double t1 = sl_bm_ck_now();
        bool whole = true;
        for (int w = 0; w < SL_BM_CK_WORKERS; w++) {
            const struct sl_ckpt_wstate *r = sl_ckpt_restored_state(c, w);
            whole &= r && r->data.len == ws[w].data.len && r->nblocks == ws[w].nblocks;
        }
        sl_bench_pause(b);
        sl_ckpt_free(c);
        if (!whole) {
            sl_bench_resume(b);
            sl_bench_error(b, "the restored state differs from the committed one");
            break;
        }
        if (n < SL_BM_CK_MAX_ITERS)
            t[n++] = t1 - t0;
        if (cold)
            sl_bm_ck_drop_cache(dir);
        sl_bench_resume(b);
    }
    if (t)
        sl_bm_ck_pct(b, "", t, n);
    sl_bench_counter(b, "iters", (double)n);
    sl_bench_bytes(b, (int64_t)st.state_bytes);
    free(t);
}

static void bm_checkpoint(struct sl_bench *b, void *arg)
{
    const struct sl_bm_ck *p = arg;
    const char *zk = NULL;
    if (p->kind == SL_BM_CK_ZK) {
        struct sl_error err;
        if (!sl_bm_ck_server) {
            if (sl_zkserver_start(&sl_bm_ck_server, &err) != 0) {
                char msg[SL_ERROR_MSG_MAX + 64];
                snprintf(msg, sizeof(msg), "skipped: no ZooKeeper server: %s", err.msg);
                sl_bench_error(b, msg);
                return;
            }
            atexit(sl_bm_ck_server_stop);
        }
        /* a fresh chroot per call: each call has a fresh state directory, and the job's
         * record must not point into an earlier one */
        static int calls;
        static char zkbuf[300];
        snprintf(zkbuf, sizeof(zkbuf), "%s/bench%d", sl_zkserver_address(sl_bm_ck_server), ++calls);
        zk = zkbuf;
    }
    char dir[512];
    if (sl_bm_ck_mkdir(b, p->bytes * 2, dir, sizeof(dir)))
        return;
    const struct sl_ckpt_wstate *ws = sl_bm_ck_states(p->bytes);
    switch (p->kind) {
    case SL_BM_CK_PLAIN:
        sl_bm_ck_plain(b, p, ws, dir);
        break;
    case SL_BM_CK_RECOVER_COLD:
    case SL_BM_CK_RECOVER_WARM:
        sl_bm_ck_recover(b, p, ws, dir);
        break;
    default:
        sl_bm_ck_epochs(b, p, ws, dir, zk);
    }
    sl_bm_ck_rmdir(dir);
}

SL_BENCH_REGISTER(sl_bm_checkpoint_register)
{
    static const size_t sizes[] = {1u << 20, 100u << 20, 1u << 30};
    static const char *const size_names[] = {"1MB", "100MB", "1GB"};
    /* size index -1: the tiny state of the commit benchmarks */
    static const struct {
        int kind, size;
        const char *name;
    } list[] = {
        {SL_BM_CK_EPOCH, 0, "epoch"},          {SL_BM_CK_PLAIN, 0, "plain"},
        {SL_BM_CK_EPOCH, 1, "epoch"},          {SL_BM_CK_PLAIN, 1, "plain"},
        {SL_BM_CK_EPOCH, 2, "epoch"},          {SL_BM_CK_PLAIN, 2, "plain"},
        {SL_BM_CK_INCR, 1, "incremental"},     {SL_BM_CK_RECOVER_COLD, 0, "recover"},
        {SL_BM_CK_RECOVER_WARM, 0, "recover"}, {SL_BM_CK_RECOVER_COLD, 1, "recover"},
        {SL_BM_CK_RECOVER_WARM, 1, "recover"}, {SL_BM_CK_RECOVER_COLD, 2, "recover"},
        {SL_BM_CK_RECOVER_WARM, 2, "recover"}, {SL_BM_CK_ZK, -1, "commit/zk"},
        {SL_BM_CK_FILE, -1, "commit/file"},
    };
    enum { N = sizeof(list) / sizeof(list[0]) };
    static struct sl_bm_ck args[N];
    static char names[N][64];
    for (int i = 0; i < N; i++) {
        int s = list[i].size;
        /* tiny: 256 bytes per block, 4 blocks per worker */
        args[i] = (struct sl_bm_ck){s < 0 ? 2048 : sizes[s], list[i].kind};
        if (s < 0)
            snprintf(names[i], sizeof(names[i]), "checkpoint/%s", list[i].name);
        else
            snprintf(names[i], sizeof(names[i]), "checkpoint/%s/%s%s", list[i].name, size_names[s],
                     list[i].kind == SL_BM_CK_RECOVER_COLD   ? "/cold"
                     : list[i].kind == SL_BM_CK_RECOVER_WARM ? "/warm"
                                                             : "");
        struct sl_bench_def *d = sl_bench_add(names[i], bm_checkpoint, &args[i]);
        sl_bench_def_real_time(d);
        sl_bench_def_unit(d, 'm');
        sl_bench_def_min_time(d, s == 2 ? 4.0 : 2.0);
    }
}
