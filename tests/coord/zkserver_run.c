/*
 * tests/coord/zkserver_run.c - a ZooKeeper server for shell tests: starts one with
 * tests/util/zkserver.h (Debian's zookeeper package, a loopback port, a temporary data
 * directory), prints its address ("127.0.0.1:PORT") on a line of its own on stdout, and runs
 * until SIGTERM or SIGINT, when it stops the server and removes its directory.
 *
 * Exit status: 0 after a signal, 77 when Java or the zookeeper jars are missing (a test
 * skips then: the message is on stderr), 1 when the server did not come up.
 */
#include <signal.h>
#include <stdio.h>

#include "tests/util/zkserver.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

int main(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zkserver *zs = NULL;
    int rc = sl_zkserver_start(&zs, &err); /* the Java child starts with no signal blocked */
    if (rc) {
        fprintf(stderr, "zkserver_run: %s\n", err.msg);
        return rc == SL_ENOTSUP ? 77 : 1;
    }
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, &old);
    printf("%s\n", sl_zkserver_address(zs));
    fflush(stdout);
    while (!g_stop)
        sigsuspend(&old); /* no signal is lost between the test and the wait */
    sl_zkserver_free(zs);
    return 0;
}
