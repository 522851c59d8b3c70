/*
 * tests/util/proctest.h - helpers of the tests that run the sluice program as child processes
 * beside a real ZooKeeper server (tests/coord/test_lock.c, tests/coord/test_livecfg.c,
 * tests/coord/test_cluster.c).
 *
 * A test's group setup (sl_pt_setup) finds the program (SLUICE_BIN, which ctest sets), makes
 * a fresh directory $TMPDIR/sl-<name>-XXXXXX (/tmp without TMPDIR) for its files and logs, and
 * starts a ZooKeeper server (tests/util/zkserver.h); the group teardown (sl_pt_teardown) stops the
 * server and removes the directory (kept, and named on stderr, with SLUICE_TEST_KEEP set). Children
 * write stdout and stderr into one log file that the test reads (sl_pt_read_all), waits on
 * (sl_pt_wait_log) and shows when an assertion is about to fail.
 *
 * No timing thresholds here: every wait is for an event, with a limit the caller gives.
 */
#ifndef SL_TESTS_PROCTEST_H
#define SL_TESTS_PROCTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "coord/zk.h"
#include "tests/util/zkserver.h"

struct sl_pt {
    struct sl_zkserver *zk;
    const char *bin; /* the sluice program (SLUICE_BIN) */
    char tmp[256];   /* the test's directory */
    char addr[300];  /* "127.0.0.1:PORT/<chroot>": the server with the test's chroot */
};

/* SLUICE_BIN, a fresh directory "$TMPDIR/sl-<name>-XXXXXX" and a ZooKeeper server; pt->addr
 * gets the chroot "/<chroot>". 0, or -1 with the reason on stderr ("skipped: ..." when Java
 * or the zookeeper package is missing). */
int sl_pt_setup(struct sl_pt *pt, const char *name, const char *chroot);
/* Kills (SIGKILL) every child of sl_pt_spawn still running (a failed test's), stops the
 * server and removes the directory (unless SLUICE_TEST_KEEP is set): 0 or -1. */
int sl_pt_teardown(struct sl_pt *pt);

/* Sleeps ms milliseconds (through EINTR). */
void sl_pt_sleep_ms(int ms);
/* Monotonic seconds. */
double sl_pt_now(void);

/* The first 64 KiB of a file, NUL-terminated, in a static buffer ("" when unreadable);
 * valid until the next call. */
char *sl_pt_read_all(const char *path);

/* Forks and runs argv[0] with argv (NULL-terminated), stdout and stderr into `log`
 * (truncated); the child's pid. */
pid_t sl_pt_spawn(const char *const *argv, const char *log);

/* Waits up to timeout_ms for the child to end: its exit status, 128 + the signal that
 * ended it, or -1 when it was still running (it is then killed with SIGKILL and reaped). */
int sl_pt_wait(pid_t pid, int timeout_ms);

/* Sends `sig` and waits up to timeout_ms: as sl_pt_wait; when the status is not 0 the log
 * is shown on stderr. */
int sl_pt_signal_wait(pid_t pid, int sig, int timeout_ms, const char *log);

/* Waits up to timeout_ms for `needle` in the log: true, or false with the log on stderr. */
bool sl_pt_wait_log(const char *log, const char *needle, int timeout_ms);

/* Runs the sluice program with args (NULL-terminated, without the program; at most 22) and
 * waits for it: stdout into out[cap], stderr into errb[cap] (through files in pt->tmp); the
 * exit status (128 + signal when killed). */
int sl_pt_run(const struct sl_pt *pt, char *out, char *errb, size_t cap, const char *const *args);

/* A session with the test's server (pt->addr, chroot included) of session_ms; fails the
 * running test (cmocka) when it cannot be opened. */
struct sl_zk *sl_pt_open_zk(const struct sl_pt *pt, int session_ms);

/* The number of children of a node (0 when it does not exist or cannot be listed). */
size_t sl_pt_nchildren(struct sl_zk *zk, const char *path);

#endif
