/*
 * tests/util/proctest.c - child processes and a ZooKeeper server for tests (proctest.h).
 */
#include "tests/util/proctest.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/util/testutil.h"

/* Every child sl_pt_spawn started, for sl_pt_teardown to end those a failed test left
 * running (a failed assertion leaves the test function at once). */
static pid_t sl_pt_children[256];
static size_t sl_pt_nchildren_started;

int sl_pt_setup(struct sl_pt *pt, const char *name, const char *chroot)
{
    memset(pt, 0, sizeof(*pt));
    pt->bin = getenv("SLUICE_BIN");
    if (!pt->bin) {
        fprintf(stderr, "SLUICE_BIN must be set (ctest sets it)\n");
        return -1;
    }
    const char *tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(pt->tmp, sizeof(pt->tmp), "%s/sl-%s-XXXXXX", tmpdir, name);
    if (!mkdtemp(pt->tmp)) {
        fprintf(stderr, "mkdtemp %s: %s\n", pt->tmp, strerror(errno));
        return -1;
    }
    struct sl_error err;
    sl_error_clear(&err);
    if (sl_zkserver_start(&pt->zk, &err) != 0) {
        fprintf(stderr, "skipped: %s\n", err.msg);
        return -1;
    }
    snprintf(pt->addr, sizeof(pt->addr), "%s/%s", sl_zkserver_address(pt->zk), chroot);
    return 0;
}

int sl_pt_teardown(struct sl_pt *pt)
{
    /* waitpid answers 0 only for a child of this process still running: a pid reaped
     * already (ECHILD), even one reused by someone else since, is left alone */
    for (size_t i = 0; i < sl_pt_nchildren_started; i++) {
        int st;
        if (waitpid(sl_pt_children[i], &st, WNOHANG) == 0) {
            fprintf(stderr, "teardown: child %ld still runs: killed\n", (long)sl_pt_children[i]);
            kill(sl_pt_children[i], SIGKILL);
            waitpid(sl_pt_children[i], &st, 0);
        }
    }
    sl_pt_nchildren_started = 0;
    sl_zkserver_free(pt->zk);
    pt->zk = NULL;
    if (!pt->tmp[0])
        return 0;
    if (getenv("SLUICE_TEST_KEEP")) { /* the logs stay for a look */
        fprintf(stderr, "kept %s\n", pt->tmp);
        return 0;
    }
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", pt->tmp);
    return system(cmd) != 0 ? -1 : 0;
}

void sl_pt_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

double sl_pt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

char *sl_pt_read_all(const char *path)
{
    static char buf[1 << 16];
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f) {
        size_t k = fread(buf, 1, sizeof(buf) - 1, f);
        buf[k] = '\0';
        fclose(f);
    }
    return buf;
}

pid_t sl_pt_spawn(const char *const *argv, const char *log)
{
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (pid > 0 && sl_pt_nchildren_started < sizeof(sl_pt_children) / sizeof(sl_pt_children[0]))
        sl_pt_children[sl_pt_nchildren_started++] = pid;
    return pid;
}

static int sl_pt_status(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

int sl_pt_wait(pid_t pid, int timeout_ms)
{
    int st = 0;
    double deadline = sl_pt_now() + timeout_ms / 1000.0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return sl_pt_status(st);
        if (r < 0 && errno != EINTR)
            return -1;
        if (sl_pt_now() >= deadline)
            break;
        sl_pt_sleep_ms(20);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

int sl_pt_signal_wait(pid_t pid, int sig, int timeout_ms, const char *log)
{
    kill(pid, sig);
    int rc = sl_pt_wait(pid, timeout_ms);
    if (rc != 0 && log)
        fprintf(stderr, "exit status %d\n--- %s ---\n%s\n", rc, log, sl_pt_read_all(log));
    return rc;
}

bool sl_pt_wait_log(const char *log, const char *needle, int timeout_ms)
{
    double deadline = sl_pt_now() + timeout_ms / 1000.0;
    for (;;) {
        if (strstr(sl_pt_read_all(log), needle))
            return true;
        if (sl_pt_now() >= deadline)
            break;
        sl_pt_sleep_ms(100);
    }
    fprintf(stderr, "not in the log: %s\n--- %s ---\n%s\n", needle, log, sl_pt_read_all(log));
    return false;
}

int sl_pt_run(const struct sl_pt *pt, char *out, char *errb, size_t cap, const char *const *args)
{
    const char *argv[24];
    int n = 0;
    argv[n++] = pt->bin;
    for (; *args && n < 23; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    char po[300], pe[300];
    snprintf(po, sizeof(po), "%s/cli.out", pt->tmp);
    snprintf(pe, sizeof(pe), "%s/cli.err", pt->tmp);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(pt->bin, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    const char *paths[2] = {po, pe};
    char *bufs[2] = {out, errb};
    for (int i = 0; i < 2; i++) {
        bufs[i][0] = '\0';
        FILE *f = fopen(paths[i], "r");
        if (f) {
            size_t k = fread(bufs[i], 1, cap - 1, f);
            bufs[i][k] = '\0';
            fclose(f);
        }
    }
    return sl_pt_status(st);
}

size_t sl_pt_nchildren(struct sl_zk *zk, const char *path)
{
    char **names;
    size_t n = 0;
    struct sl_error err;
    sl_error_clear(&err);
    if (sl_zk_children(zk, path, &names, &n, &err) == 0)
        sl_zk_names_free(names, n);
    return n;
}

struct sl_zk *sl_pt_open_zk(const struct sl_pt *pt, int session_ms)
{
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *zk = NULL;
    int rc = sl_zk_open(pt->addr, session_ms, 10000, &zk, &err);
    if (rc)
        fprintf(stderr, "ZooKeeper %s: %s (%d)\n", pt->addr, err.msg, rc);
    assert_int_equal(rc, 0);
    return zk;
}
