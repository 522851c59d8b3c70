/*
 * tests/coord/test_lock.c - the ZooKeeper lock (coord/lock.h) against a real ZooKeeper
 * server (tests/util/zkserver.h), and the filesystem sink's folder lock with two `sluice
 * run --zk` processes of different jobs.
 *
 *   - mutual exclusion and no herd: A holds; B and C wait (each on its own session, in a
 *     thread); A releases: B holds, C is still waiting and its handle saw no event (it
 *     watches B's node, not A's); B releases: C holds;
 *   - a look (timeout 0) while another holds: SL_ETIMEOUT naming the holder's data;
 *   - session expiry: A holds; its session is ended from the server side: sl_lock_check
 *     says SL_EFENCED, sl_lock_held false, acquire refuses for good; the waiter takes it;
 *   - the fs path of a folder: real path, escaped;
 *   - two jobs, one folder: job a writes it (checkpoint interval 1 h: an in-progress file,
 *     nothing committed); job b with 'sluice.lock-timeout' = '1 s' fails, the message
 *     naming the folder and job a; job b again (60 s): it waits and writes nothing; SIGKILL
 *     to job a: after a's session timeout (2 s) job b takes the lock (deleting a's
 *     in-progress file) and its epochs become visible part files; a frozen holder: job c
 *     waits behind b, b's interval goes to 1 h (live: no commit in flight), b is stopped
 *     (SIGSTOP) past its session timeout, c takes the lock (and refuses the folder: b's
 *     committed parts are not its own); b, resumed, fails: it lost the folder's lock;
 *     the lock's line is empty;
 *   - a waiter's stop flag (sl_lock_set_stop): the wait ends with SL_ESTOPPED, its node
 *     stays until released, a flag set before the call makes no node;
 *   - SIGTERM and SIGINT to a waiting `sluice run`: a standby of a job whose leader runs,
 *     and a job waiting for the lock of a folder another job writes: it exits 0 (as a
 *     running job stopped by the signal does) saying what it waited for, its node is gone
 *     from ZooKeeper, the leader / holder keeps its node and runs on.
 * No timing thresholds but one: every wait is for an event, with a generous limit; a stop
 * must end a wait within 5 s (in-process) or 10 s (a process), where the wait would
 * otherwise last 60 s or for ever.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/util/testutil.h"

#include "coord/lock.h"
#include "coord/zk.h"
#include "tests/util/proctest.h"

static struct sl_pt g_pt;

struct waiter {
    struct sl_lock *lock;
    pthread_t thread;
    _Atomic int rc; /* 1: waiting */
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    struct sl_error err;
    sl_error_clear(&err);
    atomic_store(&w->rc, sl_lock_acquire(w->lock, 60000, &err));
    return NULL;
}

static void waiter_start(struct waiter *w, struct sl_lock *lock)
{
    w->lock = lock;
    atomic_store(&w->rc, 1);
    assert_int_equal(pthread_create(&w->thread, NULL, waiter_main, w), 0);
}

/* Waits up to 30 s for the waiter's result. */
static int waiter_join(struct waiter *w)
{
    for (int i = 0; i < 300 && atomic_load(&w->rc) == 1; i++)
        sl_pt_sleep_ms(100);
    if (atomic_load(&w->rc) == 1)
        return 1;
    pthread_join(w->thread, NULL);
    return atomic_load(&w->rc);
}

static void test_exclusion_no_herd(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *za = sl_pt_open_zk(&g_pt, 4000), *zb = sl_pt_open_zk(&g_pt, 4000),
                 *zc = sl_pt_open_zk(&g_pt, 4000);
    struct sl_lock *a, *b, *c;
    assert_int_equal(sl_lock_new(za, "/t/excl", "owner a", &a, &err), 0);
    assert_int_equal(sl_lock_new(zb, "/t/excl", "owner b", &b, &err), 0);
    assert_int_equal(sl_lock_new(zc, "/t/excl", "owner c", &c, &err), 0);
    assert_false(sl_lock_held(a));
    assert_int_equal(sl_lock_acquire(a, 5000, &err), 0);
    assert_true(sl_lock_held(a));
    assert_int_equal(sl_lock_check(a, &err), 0);
    /* a look while a holds: refused, naming a */
    assert_int_equal(sl_lock_acquire(b, 0, &err), SL_ETIMEOUT);
    assert_non_null(strstr(err.msg, "held by 'owner a'"));
    assert_non_null(strstr(err.msg, "/t/excl"));
    char holder[128];
    assert_int_equal(sl_lock_holder(c, holder, sizeof(holder), &err), 0);
    assert_string_equal(holder, "owner a");
    /* b is in the line already (its node stays); c joins behind it */
    struct waiter wb, wc;
    waiter_start(&wb, b);
    waiter_start(&wc, c);
    for (int i = 0; i < 300 && sl_pt_nchildren(za, "/t/excl") < 3; i++)
        sl_pt_sleep_ms(50);
    assert_int_equal((int)sl_pt_nchildren(za, "/t/excl"), 3);
    sl_pt_sleep_ms(500); /* both watch their predecessor by now */
    assert_int_equal(atomic_load(&wb.rc), 1);
    assert_int_equal(atomic_load(&wc.rc), 1);
    uint64_t ec = sl_zk_events(zc);
    assert_int_equal(sl_lock_release(a, &err), 0);
    assert_false(sl_lock_held(a));
    assert_int_equal(waiter_join(&wb), 0); /* b, the successor, holds */
    assert_true(sl_lock_held(b));
    sl_pt_sleep_ms(300);
    /* no herd: c still waits and nothing woke it (it watches b's node) */
    assert_int_equal(atomic_load(&wc.rc), 1);
    assert_true(sl_zk_events(zc) == ec);
    assert_int_equal(sl_lock_holder(a, holder, sizeof(holder), &err), 0);
    assert_string_equal(holder, "owner b");
    assert_int_equal(sl_lock_release(b, &err), 0);
    assert_int_equal(waiter_join(&wc), 0);
    assert_true(sl_lock_held(c));
    /* ... and its watch on b's node fires: c's wait also looks again once a second (a watch
     * lost with a connection is set anew then), so on a loaded machine that look can find c
     * first before the NodeDeleted event reaches zc's session (a clean-clone run of the suite
     * saw zc's count unchanged right after the join); the event comes all the same */
    for (int i = 0; i < 200 && sl_zk_events(zc) == ec; i++)
        sl_pt_sleep_ms(50);
    assert_true(sl_zk_events(zc) > ec);
    sl_lock_free(c);
    assert_int_equal((int)sl_pt_nchildren(za, "/t/excl"), 0);
    sl_lock_free(a);
    sl_lock_free(b);
    sl_zk_close(za);
    sl_zk_close(zb);
    sl_zk_close(zc);
}

/* A group (sl_lock_set_group): the processes of one job hold the lock together; another
 * job waits for all of them, and a peer that joins behind another job's waiter waits too. */
static void test_group(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *z1 = sl_pt_open_zk(&g_pt, 4000), *z2 = sl_pt_open_zk(&g_pt, 4000),
                 *zb = sl_pt_open_zk(&g_pt, 4000), *z3 = sl_pt_open_zk(&g_pt, 4000);
    struct sl_lock *a1, *a2, *b, *a3;
    assert_int_equal(sl_lock_new(z1, "/t/group", "job a host h1 pid 1", &a1, &err), 0);
    assert_int_equal(sl_lock_new(z2, "/t/group", "job a host h2 pid 2", &a2, &err), 0);
    assert_int_equal(sl_lock_new(zb, "/t/group", "job ab host h3 pid 3", &b, &err), 0);
    assert_int_equal(sl_lock_new(z3, "/t/group", "job a host h4 pid 4", &a3, &err), 0);
    sl_lock_set_group(a1, "job a host ");
    sl_lock_set_group(a2, "job a host ");
    sl_lock_set_group(b, "job ab host "); /* "job a" is a prefix of its job's name, not a peer */
    sl_lock_set_group(a3, "job a host ");
    /* both processes of job a hold it */
    assert_int_equal(sl_lock_acquire(a1, 5000, &err), 0);
    assert_int_equal(sl_lock_acquire(a2, 5000, &err), 0);
    assert_true(sl_lock_held(a1) && sl_lock_held(a2));
    assert_int_equal(sl_lock_check(a2, &err), 0);
    /* job ab waits, naming the first holder */
    assert_int_equal(sl_lock_acquire(b, 0, &err), SL_ETIMEOUT);
    assert_non_null(strstr(err.msg, "held by 'job a host h1 pid 1'"));
    /* a third process of job a joins behind ab's node: it waits (the line is fair) */
    assert_int_equal(sl_lock_acquire(a3, 0, &err), SL_ETIMEOUT);
    /* a1 leaves: ab still waits for a2 */
    assert_int_equal(sl_lock_release(a1, &err), 0);
    assert_int_equal(sl_lock_acquire(b, 300, &err), SL_ETIMEOUT);
    /* a2 leaves: ab holds, a3 waits for it */
    struct waiter wb;
    waiter_start(&wb, b);
    assert_int_equal(sl_lock_release(a2, &err), 0);
    assert_int_equal(waiter_join(&wb), 0);
    assert_true(sl_lock_held(b));
    assert_int_equal(sl_lock_acquire(a3, 300, &err), SL_ETIMEOUT);
    assert_non_null(strstr(err.msg, "held by 'job ab host h3 pid 3'"));
    assert_int_equal(sl_lock_release(b, &err), 0);
    assert_int_equal(sl_lock_acquire(a3, 5000, &err), 0);
    sl_lock_free(a1);
    sl_lock_free(a2);
    sl_lock_free(b);
    sl_lock_free(a3);
    sl_zk_close(z1);
    sl_zk_close(z2);
    sl_zk_close(zb);
    sl_zk_close(z3);
}

static void test_session_expiry(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *za = sl_pt_open_zk(&g_pt, 2000), *zb = sl_pt_open_zk(&g_pt, 4000);
    struct sl_lock *a, *b;
    assert_int_equal(sl_lock_new(za, "/t/exp", "owner a", &a, &err), 0);
    assert_int_equal(sl_lock_new(zb, "/t/exp", "owner b", &b, &err), 0);
    assert_int_equal(sl_lock_acquire(a, 5000, &err), 0);
    struct waiter wb;
    waiter_start(&wb, b);
    assert_int_equal(sl_zk_kill_session(g_pt.addr, za, 10000, &err), 0);
    /* the waiter takes the lock once the server dropped a's node */
    assert_int_equal(waiter_join(&wb), 0);
    assert_true(sl_lock_held(b));
    /* a learns it lost the lock: from the server, and then without asking */
    int rc = 1;
    for (int i = 0; i < 300 && rc != SL_EFENCED; i++) {
        sl_error_clear(&err);
        rc = sl_lock_check(a, &err);
        if (rc != SL_EFENCED)
            sl_pt_sleep_ms(100);
    }
    assert_int_equal(rc, SL_EFENCED);
    assert_non_null(strstr(err.msg, "/t/exp"));
    assert_false(sl_lock_held(a));
    assert_int_equal(sl_lock_acquire(a, 0, &err), SL_EFENCED);
    assert_int_equal(sl_lock_check(b, &err), 0);
    sl_lock_free(a);
    sl_lock_free(b);
    sl_zk_close(za);
    sl_zk_close(zb);
}

static void test_fs_path(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    char dir[400], link[400], p1[256], p2[256];
    snprintf(dir, sizeof(dir), "%s/a b%%c", g_pt.tmp);
    snprintf(link, sizeof(link), "%s/ln", g_pt.tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(symlink(dir, link), 0);
    assert_int_equal(sl_lock_fs_path(dir, p1, sizeof(p1), &err), 0);
    assert_int_equal(sl_lock_fs_path(link, p2, sizeof(p2), &err), 0);
    assert_string_equal(p1, p2); /* one folder, one lock, however it is named */
    assert_int_equal(strncmp(p1, "/fs/%2F", 7), 0);
    assert_non_null(strstr(p1, "%2Fa%20b%25c"));
    assert_null(strchr(p1 + 4, '/'));
    assert_int_equal(sl_lock_fs_path("/no/such/folder", p1, sizeof(p1), &err), SL_EIO);
    assert_int_equal(sl_lock_fs_path(dir, p1, 12, &err), SL_ERANGE);
}

/* ---- two jobs, one folder ---------------------------------------------------------------- */

static int count_files(const char *dir, const char *prefix, const char *part)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "ls -a %s 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), p))
        n += strncmp(line, prefix, strlen(prefix)) == 0 && strstr(line, part) != NULL;
    pclose(p);
    return n;
}

static void write_sql(const char *path, const char *out, const char *interval,
                      const char *lock_timeout)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "SET 'execution.checkpointing.interval' = '%s';\n"
            "SET 'high-availability.zookeeper.client.session-timeout' = '2 s';\n"
            "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen',\n"
            "  'fields.id.kind' = 'sequence', 'fields.id.start' = '1',\n"
            "  'fields.id.end' = '100000000', 'scan.rate-limit' = '100');\n"
            "CREATE TABLE out_t (id BIGINT) WITH ('connector' = 'filesystem', 'path' = '%s',\n"
            "  'format' = 'csv', 'sluice.lock-timeout' = '%s');\n"
            "INSERT INTO out_t SELECT id FROM gen;\n",
            interval, out, lock_timeout);
    fclose(f);
}

static void test_two_jobs_one_folder(void **state)
{
    (void)state;
    char out[300], sqla[300], sqlb[300], sqlb2[300], loga[300], logb[300], logb2[300], sdir[300];
    snprintf(out, sizeof(out), "%s/shared", g_pt.tmp);
    snprintf(sqla, sizeof(sqla), "%s/a.sql", g_pt.tmp);
    snprintf(sqlb, sizeof(sqlb), "%s/b.sql", g_pt.tmp);
    snprintf(sqlb2, sizeof(sqlb2), "%s/b2.sql", g_pt.tmp);
    snprintf(loga, sizeof(loga), "%s/a.log", g_pt.tmp);
    snprintf(logb, sizeof(logb), "%s/b.log", g_pt.tmp);
    snprintf(logb2, sizeof(logb2), "%s/b2.log", g_pt.tmp);
    snprintf(sdir, sizeof(sdir), "%s/state", g_pt.tmp);
    /* a commits nothing (a folder with another job's committed parts is refused anyway:
     * their epochs are not b's); b's recover deletes a's in-progress file */
    write_sql(sqla, out, "1 h", "60 s");
    write_sql(sqlb, out, "200 ms", "1 s");
    write_sql(sqlb2, out, "200 ms", "60 s");
    const char *arga[] = {g_pt.bin,      "run", sqla,        "--zk", g_pt.addr,  "--job", "a",
                          "--state-dir", sdir,  "--workers", "1",    "--no-pin", NULL};
    pid_t pa = sl_pt_spawn(arga, loga);
    /* a writes (its in-progress part file) */
    bool writing = false;
    for (int i = 0; i < 600 && !writing; i++) {
        writing = count_files(out, ".part-0-", ".inprogress") == 1;
        if (!writing)
            sl_pt_sleep_ms(100);
    }
    if (!writing)
        fprintf(stderr, "--- a ---\n%s\n", sl_pt_read_all(loga));
    assert_true(writing);
    /* b (another job) gives up after 1 s, naming the folder and the holder */
    const char *argb[] = {g_pt.bin,      "run", sqlb,        "--zk", g_pt.addr,  "--job", "b",
                          "--state-dir", sdir,  "--workers", "1",    "--no-pin", NULL};
    pid_t pb = sl_pt_spawn(argb, logb);
    int st = 0;
    assert_int_equal(waitpid(pb, &st, 0), pb);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    char real[300];
    assert_non_null(realpath(out, real));
    char needle[400];
    snprintf(needle, sizeof(needle), "the folder '%s' is written by another job", out);
    if (!strstr(sl_pt_read_all(logb), needle))
        fprintf(stderr, "--- b ---\n%s\n", sl_pt_read_all(logb));
    assert_non_null(strstr(sl_pt_read_all(logb), needle));
    assert_non_null(strstr(sl_pt_read_all(logb), "held by 'job a host "));
    assert_non_null(strstr(sl_pt_read_all(logb), "/fs/%2F"));
    /* b again, patient: it waits and writes nothing (one in-progress file: a's) */
    pid_t pb2 =
        sl_pt_spawn((const char *const[]){g_pt.bin, "run", sqlb2, "--zk", g_pt.addr, "--job", "b",
                                          "--state-dir", sdir, "--workers", "1", "--no-pin", NULL},
                    logb2);
    sl_pt_sleep_ms(1500);
    assert_int_equal(waitpid(pb2, &st, WNOHANG), 0);
    assert_int_equal(count_files(out, ".part-0-", ".inprogress"), 1);
    assert_int_equal(count_files(out, "part-0-", ".csv"), 0);
    /* a dies: after its session timeout, b takes the folder, its epochs become visible */
    kill(pa, SIGKILL);
    assert_int_equal(waitpid(pa, &st, 0), pa);
    bool took = false;
    for (int i = 0; i < 600 && !took; i++) {
        took = count_files(out, "part-0-", ".csv") >= 3;
        if (!took)
            sl_pt_sleep_ms(100);
    }
    if (!took)
        fprintf(stderr, "--- b2 ---\n%s\n", sl_pt_read_all(logb2));
    assert_true(took);
    /* a frozen holder: c (job c) waits behind b; b is stopped past its session timeout,
     * c takes the lock (and then refuses the folder: b's committed parts are not its
     * own); b, resumed, finds its session expired and stops: the lock is lost */
    char sqlc[300], logc[300];
    snprintf(sqlc, sizeof(sqlc), "%s/c.sql", g_pt.tmp);
    snprintf(logc, sizeof(logc), "%s/c.log", g_pt.tmp);
    write_sql(sqlc, out, "200 ms", "60 s");
    pid_t pc =
        sl_pt_spawn((const char *const[]){g_pt.bin, "run", sqlc, "--zk", g_pt.addr, "--job", "c",
                                          "--state-dir", sdir, "--workers", "1", "--no-pin", NULL},
                    logc);
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *zk;
    char locks[320];
    snprintf(locks, sizeof(locks), "%.*s/sluice-locks", (int)strcspn(g_pt.addr, "/"), g_pt.addr);
    assert_int_equal(sl_zk_open(locks, 4000, 10000, &zk, &err), 0);
    char lp[256];
    assert_int_equal(sl_lock_fs_path(out, lp, sizeof(lp), &err), 0);
    for (int i = 0; i < 600 && sl_pt_nchildren(zk, lp) < 2; i++)
        sl_pt_sleep_ms(100);
    assert_int_equal((int)sl_pt_nchildren(zk, lp), 2);
    /* no commit in flight when b resumes (its commit store would stop it first): its
     * interval to 1 h, live */
    char logcfg[300];
    snprintf(logcfg, sizeof(logcfg), "%s/cfg.log", g_pt.tmp);
    pid_t pcfg =
        sl_pt_spawn((const char *const[]){g_pt.bin, "config", "--zk", g_pt.addr, "--job", "b",
                                          "set", "execution.checkpointing.interval", "1 h", NULL},
                    logcfg);
    assert_int_equal(waitpid(pcfg, &st, 0), pcfg);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    bool applied = false;
    for (int i = 0; i < 600 && !applied; i++) {
        applied = strstr(sl_pt_read_all(logb2), "applied execution.checkpointing.interval = '1 h'");
        if (!applied)
            sl_pt_sleep_ms(100);
    }
    assert_true(applied);
    sl_pt_sleep_ms(1000); /* an epoch under way when the interval changed has ended */
    kill(pb2, SIGSTOP);
    assert_int_equal(waitpid(pc, &st, 0), pc);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    if (!strstr(sl_pt_read_all(logc),
                "the directory holds output this job's checkpoints do not know"))
        fprintf(stderr, "--- c ---\n%s\n", sl_pt_read_all(logc));
    assert_non_null(strstr(sl_pt_read_all(logc), "this job's checkpoints do not know"));
    kill(pb2, SIGCONT);
    assert_int_equal(waitpid(pb2, &st, 0), pb2);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    /* the worker's next write (or the commit's question to the server) found it lost */
    bool lost = strstr(sl_pt_read_all(logb2), "lost the folder's lock (") ||
                strstr(sl_pt_read_all(logb2), "not made visible: lock ");
    if (!lost)
        fprintf(stderr, "--- b2 ---\n%s\n", sl_pt_read_all(logb2));
    assert_true(lost);
    /* the lock's line is empty */
    assert_int_equal((int)sl_pt_nchildren(zk, lp), 0);
    sl_zk_close(zk);
}

/* A waiter's stop flag (what a SIGINT / SIGTERM handler sets): the wait ends with
 * SL_ESTOPPED within a few of the latch's 100 ms looks (the limit, 5 s, is far below the
 * 60 s it would wait otherwise), its node stays in the line until released, the holder
 * holds on. */
static void test_stop_flag(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *za = sl_pt_open_zk(&g_pt, 4000), *zb = sl_pt_open_zk(&g_pt, 4000);
    struct sl_lock *a, *b;
    assert_int_equal(sl_lock_new(za, "/t/stop", "owner a", &a, &err), 0);
    assert_int_equal(sl_lock_new(zb, "/t/stop", "owner b", &b, &err), 0);
    assert_int_equal(sl_lock_acquire(a, 5000, &err), 0);
    static _Atomic int stop;
    atomic_store(&stop, 0);
    sl_lock_set_stop(b, &stop);
    struct waiter wb;
    waiter_start(&wb, b);
    for (int i = 0; i < 300 && sl_pt_nchildren(za, "/t/stop") < 2; i++)
        sl_pt_sleep_ms(50);
    assert_int_equal((int)sl_pt_nchildren(za, "/t/stop"), 2);
    sl_pt_sleep_ms(300); /* b watches a's node by now */
    assert_int_equal(atomic_load(&wb.rc), 1);
    double t0 = sl_pt_now();
    atomic_store(&stop, 1);
    while (atomic_load(&wb.rc) == 1 && sl_pt_now() - t0 < 5)
        sl_pt_sleep_ms(10);
    assert_int_equal(atomic_load(&wb.rc), SL_ESTOPPED);
    pthread_join(wb.thread, NULL);
    assert_false(sl_lock_held(b));
    assert_int_equal((int)sl_pt_nchildren(za, "/t/stop"), 2); /* until released */
    assert_int_equal(sl_lock_release(b, &err), 0);
    assert_int_equal((int)sl_pt_nchildren(za, "/t/stop"), 1);
    /* a flag set before the call: no node is made */
    assert_int_equal(sl_lock_acquire(b, 60000, &err), SL_ESTOPPED);
    assert_non_null(strstr(err.msg, "stopped while waiting"));
    assert_int_equal((int)sl_pt_nchildren(za, "/t/stop"), 1);
    assert_int_equal(sl_lock_check(a, &err), 0);
    sl_lock_free(b);
    sl_lock_free(a);
    assert_int_equal((int)sl_pt_nchildren(za, "/t/stop"), 0);
    sl_zk_close(za);
    sl_zk_close(zb);
}

/* The only child of `path` into name[cap] ("" when there is not exactly one). */
static void only_child(struct sl_zk *zk, const char *path, char *name, size_t cap)
{
    char **names;
    size_t n = 0;
    struct sl_error err;
    sl_error_clear(&err);
    name[0] = '\0';
    if (sl_zk_children(zk, path, &names, &n, &err) != 0)
        return;
    if (n == 1)
        snprintf(name, cap, "%s", names[0]);
    sl_zk_names_free(names, n);
}

/* Waits up to 60 s until `path` has n children. */
static bool wait_children(struct sl_zk *zk, const char *path, size_t n)
{
    for (int i = 0; i < 600; i++) {
        if (sl_pt_nchildren(zk, path) == n)
            return true;
        sl_pt_sleep_ms(100);
    }
    fprintf(stderr, "%s: %zu children, not %zu\n", path, sl_pt_nchildren(zk, path), n);
    return false;
}

/* Sends sig to a waiting `sluice run` (a standby, or a job waiting for a folder's lock): it
 * exits 0 - as a running job stopped by the same signal - within 10 s (its wait would last
 * 60 s or forever), saying what it was waiting for; the number of seconds it took is
 * printed. */
static void stop_waiter(pid_t pid, int sig, const char *log, const char *said)
{
    double t0 = sl_pt_now();
    assert_int_equal(sl_pt_signal_wait(pid, sig, 10000, log), 0);
    fprintf(stderr, "%s: stopped by signal %d in %.2f s\n", log, sig, sl_pt_now() - t0);
    if (!strstr(sl_pt_read_all(log), said))
        fprintf(stderr, "--- %s ---\n%s\n", log, sl_pt_read_all(log));
    assert_non_null(strstr(sl_pt_read_all(log), said));
}

/* SIGTERM and SIGINT end a standby's wait for the job's leader latch and a job's wait for
 * a folder's lock: exit 0, the waiter's node gone from ZooKeeper, the leader / holder
 * unaffected (the same node, still running, and stopped in order after). */
static void test_signal_ends_waits(void **state)
{
    (void)state;
    char sql[300], sqlw[300], out[300], outw[300], sdir[300], logl[300], logh[300], logw[300];
    snprintf(sql, sizeof(sql), "%s/sig.sql", g_pt.tmp);
    snprintf(sqlw, sizeof(sqlw), "%s/sigw.sql", g_pt.tmp);
    snprintf(out, sizeof(out), "%s/sig-out", g_pt.tmp);
    snprintf(outw, sizeof(outw), "%s/sig-shared", g_pt.tmp);
    snprintf(sdir, sizeof(sdir), "%s/sig-state", g_pt.tmp);
    snprintf(logl, sizeof(logl), "%s/sig-leader.log", g_pt.tmp);
    snprintf(logh, sizeof(logh), "%s/sig-holder.log", g_pt.tmp);
    write_sql(sql, out, "200 ms", "60 s");
    write_sql(sqlw, outw, "1 h", "60 s");
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *zk, *zl;
    assert_int_equal(sl_zk_open(g_pt.addr, 4000, 10000, &zk, &err), 0);
    char locks[320], lp[256];
    snprintf(locks, sizeof(locks), "%.*s/sluice-locks", (int)strcspn(g_pt.addr, "/"), g_pt.addr);
    assert_int_equal(sl_zk_open(locks, 4000, 10000, &zl, &err), 0);
    /* the leader of job sl; the holder of folder sig-shared (job sh) */
    pid_t pl =
        sl_pt_spawn((const char *const[]){g_pt.bin, "run", sql, "--zk", g_pt.addr, "--job", "sl",
                                          "--state-dir", sdir, "--workers", "1", "--no-pin", NULL},
                    logl);
    pid_t ph =
        sl_pt_spawn((const char *const[]){g_pt.bin, "run", sqlw, "--zk", g_pt.addr, "--job", "sh",
                                          "--state-dir", sdir, "--workers", "1", "--no-pin", NULL},
                    logh);
    assert_true(wait_children(zk, "/sl/latch", 1));
    char leader[128], holder[128];
    only_child(zk, "/sl/latch", leader, sizeof(leader));
    assert_true(leader[0]);
    bool writing = false;
    for (int i = 0; i < 600 && !writing; i++) {
        writing = count_files(outw, ".part-0-", ".inprogress") == 1;
        if (!writing)
            sl_pt_sleep_ms(100);
    }
    if (!writing)
        fprintf(stderr, "--- holder ---\n%s\n", sl_pt_read_all(logh));
    assert_true(writing);
    assert_int_equal(sl_lock_fs_path(outw, lp, sizeof(lp), &err), 0);
    only_child(zl, lp, holder, sizeof(holder));
    assert_true(holder[0]);
    const int sigs[] = {SIGTERM, SIGINT};
    for (int k = 0; k < 2; k++) {
        /* a standby of job sl */
        snprintf(logw, sizeof(logw), "%s/sig-standby-%d.log", g_pt.tmp, sigs[k]);
        pid_t pw = sl_pt_spawn((const char *const[]){g_pt.bin, "run", sql, "--zk", g_pt.addr,
                                                     "--job", "sl", "--state-dir", sdir,
                                                     "--workers", "1", "--no-pin", NULL},
                               logw);
        assert_true(sl_pt_wait_log(logw, "waiting as a standby", 60000));
        assert_true(wait_children(zk, "/sl/latch", 2));
        stop_waiter(pw, sigs[k], logw, "stopped while waiting as a standby for job 'sl'");
        assert_int_equal((int)sl_pt_nchildren(zk, "/sl/latch"), 1); /* its node is gone */
        char now[128];
        only_child(zk, "/sl/latch", now, sizeof(now));
        assert_string_equal(now, leader);
        assert_int_equal(waitpid(pl, NULL, WNOHANG), 0);
        /* a job (sw) waiting for folder sig-shared */
        snprintf(logw, sizeof(logw), "%s/sig-lockwait-%d.log", g_pt.tmp, sigs[k]);
        pw = sl_pt_spawn((const char *const[]){g_pt.bin, "run", sqlw, "--zk", g_pt.addr, "--job",
                                               "sw", "--state-dir", sdir, "--workers", "1",
                                               "--no-pin", NULL},
                         logw);
        assert_true(wait_children(zl, lp, 2));
        char said[400];
        snprintf(said, sizeof(said), "the folder '%s' is written by 'job sh host ", outw);
        assert_true(sl_pt_wait_log(logw, said, 60000));
        assert_true(sl_pt_wait_log(logw, "waiting up to 60000 ms for its lock", 60000));
        snprintf(said, sizeof(said), "stopped while waiting for the lock of folder '%s'", outw);
        stop_waiter(pw, sigs[k], logw, said);
        assert_int_equal((int)sl_pt_nchildren(zl, lp), 1);
        only_child(zl, lp, now, sizeof(now));
        assert_string_equal(now, holder);
        assert_int_equal(waitpid(ph, NULL, WNOHANG), 0);
    }
    /* the leader committed epochs all along (visible part files) and stops in order */
    assert_true(count_files(out, "part-0-", ".csv") >= 1);
    assert_int_equal(sl_pt_signal_wait(pl, SIGTERM, 60000, logl), 0);
    assert_int_equal(sl_pt_signal_wait(ph, SIGTERM, 60000, logh), 0);
    assert_true(wait_children(zk, "/sl/latch", 0));
    assert_true(wait_children(zl, lp, 0));
    sl_zk_close(zk);
    sl_zk_close(zl);
}

/* ZooKeeper down and back (a restart keeping its data: the session lives on): a check made
 * while it cannot be reached asks again once it is back and finds the lock held - it is not
 * an error that would stop the holder (it failed a job's commit before). The check runs on
 * a thread; the server is restarted from this one (it dies with the thread that starts it). */
struct checker {
    pthread_t t;
    struct sl_lock *lock;
    int rc;
    struct sl_error err;
};

static void *check_main(void *arg)
{
    struct checker *c = arg;
    sl_error_clear(&c->err);
    c->rc = sl_lock_check(c->lock, &c->err);
    return NULL;
}

static void test_check_across_restart(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *za = sl_pt_open_zk(&g_pt, 15000);
    struct sl_lock *a;
    assert_int_equal(sl_lock_new(za, "/t/restart", "owner a", &a, &err), 0);
    assert_int_equal(sl_lock_acquire(a, 5000, &err), 0);
    assert_int_equal(sl_lock_check(a, &err), 0);
    sl_zkserver_stop(g_pt.zk);
    struct checker c = {.lock = a, .rc = 1};
    assert_int_equal(pthread_create(&c.t, NULL, check_main, &c), 0);
    sl_pt_sleep_ms(1500); /* the check is made while the server is down */
    assert_int_equal(sl_zkserver_restart(g_pt.zk, 0, &err), 0);
    pthread_join(c.t, NULL);
    if (c.rc)
        fprintf(stderr, "check: %s\n", c.err.msg);
    assert_int_equal(c.rc, 0);
    assert_true(sl_lock_held(a));
    sl_lock_free(a);
    sl_zk_close(za);
}

static int setup(void **state)
{
    (void)state;
    return sl_pt_setup(&g_pt, "lock", "lk");
}

static int teardown(void **state)
{
    (void)state;
    return sl_pt_teardown(&g_pt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fs_path),
        cmocka_unit_test(test_check_across_restart),
        cmocka_unit_test(test_exclusion_no_herd),
        cmocka_unit_test(test_session_expiry),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_two_jobs_one_folder),
        cmocka_unit_test(test_stop_flag),
        cmocka_unit_test(test_signal_ends_waits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
