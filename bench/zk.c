/*
 * bench/zk.c - the latency of one epoch put (one zoo_multi: latch check + epoch set, and for
 * COMMITTED the history create and trim) against a local ZooKeeper server on loopback,
 * started by the benchmark itself (tests/util/zkserver.h); and the same put on the embedded file
 * store (write, fsync, rename, fsync of the directory) in a temporary directory.
 *
 *   zk/commit_epoch     one iteration = PREPARED N + COMMITTED N (two round trips); the
 *                       counters p50_ms and p99_ms are per put, over every put of the run
 *   file/commit_epoch   the same on the file store
 *
 * The goal is p99 <= 10 ms per ZooKeeper commit. Both depend on the disk's fsync
 * (the ZooKeeper server fsyncs its transaction log before answering). Without Java or the
 * zookeeper package, zk/commit_epoch stops with a message.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/shim.h"
#include "coord/commit.h"
#include "coord/store_file.h"
#include "coord/store_zk.h"
#include "tests/util/zkserver.h"

#define SL_BM_MAX_PUTS 200000

static double sl_bm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int sl_bm_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs epochs on a leading store while the benchmark runs; reports put percentiles. */
static void sl_bm_epochs(struct sl_bench *b, struct sl_commit_store *s)
{
    struct sl_error err;
    struct sl_epoch_rec last;
    if (sl_commit_acquire(s, 10000, &err) || sl_commit_last(s, &last, &err)) {
        sl_bench_error(b, err.msg);
        return;
    }
    double *lat = malloc(SL_BM_MAX_PUTS * sizeof(*lat));
    size_t n = 0;
    int64_t epoch = last.phase == SL_EPOCH_NONE ? 0 : last.epoch;
    while (sl_bench_running(b)) {
        epoch++;
        struct sl_epoch_rec r = {.epoch = epoch,
                                 .phase = SL_EPOCH_PREPARED,
                                 .nonce = (uint64_t)epoch * 0x9e3779b97f4a7c15ull,
                                 .manifest_crc = (uint32_t)epoch};
        snprintf(r.manifest, sizeof(r.manifest), "epoch-%" PRId64 "/manifest", epoch);
        snprintf(r.offsets, sizeof(r.offsets), "bids:0=%" PRId64 ",1=%" PRId64 ",2=%" PRId64,
                 epoch * 1000, epoch * 1000 + 1, epoch * 1000 + 2);
        for (int phase = 0; phase < 2; phase++) {
            r.phase = phase ? SL_EPOCH_COMMITTED : SL_EPOCH_PREPARED;
            double t0 = sl_bm_now_ms();
            if (sl_commit_put(s, &r, &err)) {
                sl_bench_error(b, err.msg);
                free(lat);
                return;
            }
            if (lat && n < SL_BM_MAX_PUTS)
                lat[n++] = sl_bm_now_ms() - t0;
        }
    }
    if (lat && n > 0) {
        qsort(lat, n, sizeof(*lat), sl_bm_cmp);
        sl_bench_counter(b, "p50_ms", lat[n / 2]);
        sl_bench_counter(b, "p99_ms", lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]);
        sl_bench_counter(b, "puts", (double)n);
    }
    free(lat);
}

/* One server for the program's life, stopped at exit. */
static struct sl_zkserver *sl_bm_server;

static void sl_bm_server_stop(void)
{
    sl_zkserver_free(sl_bm_server);
    sl_bm_server = NULL;
}

static void bm_zk_commit(struct sl_bench *b, void *arg)
{
    (void)arg;
    struct sl_zkserver *server = sl_bm_server;
    struct sl_error err;
    if (!server) {
        if (sl_zkserver_start(&server, &err) != 0) {
            sl_bench_error(b, err.msg);
            return;
        }
        sl_bm_server = server;
        atexit(sl_bm_server_stop);
    }
    struct sl_zk_store_config cfg = {
        .connect = sl_zkserver_address(server), .job = "bench", .session_ms = 10000};
    struct sl_commit_store *s;
    if (sl_zk_store_new(&cfg, &s, &err) != 0) {
        sl_bench_error(b, err.msg);
        return;
    }
    sl_bm_epochs(b, s);
    sl_commit_free(s);
}

static void bm_file_commit(struct sl_bench *b, void *arg)
{
    (void)arg;
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/sluice-bench-commit-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        sl_bench_error(b, "mkdtemp failed");
        return;
    }
    struct sl_commit_store *s;
    struct sl_error err;
    if (sl_file_store_new(dir, &s, &err) != 0) {
        sl_bench_error(b, err.msg);
        return;
    }
    sl_bm_epochs(b, s);
    sl_commit_free(s);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench file/commit_epoch: could not remove %s\n", dir);
}

SL_BENCH_REGISTER(sl_bm_register_zk)
{
    struct sl_bench_def *d = sl_bench_add("zk/commit_epoch", bm_zk_commit, NULL);
    sl_bench_def_real_time(d);
    sl_bench_def_unit(d, 'm');
    sl_bench_def_min_time(d, 2.0);
    d = sl_bench_add("file/commit_epoch", bm_file_commit, NULL);
    sl_bench_def_real_time(d);
    sl_bench_def_unit(d, 'm');
    sl_bench_def_min_time(d, 2.0);
}
