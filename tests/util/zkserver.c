/*
 * tests/util/zkserver.c - a local ZooKeeper server as a child process (see zkserver.h).
 *
 * Readiness is asked with the "srvr" four-letter command over a plain socket rather than
 * with the C client, so that a test of the client does not depend on the client to know
 * that the server is up; "ruok" answers "imok" before the server serves requests, "srvr"
 * says "Mode: standalone" only once it does.
 */
#include "tests/util/zkserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct sl_zkserver {
    char dir[256]; /* temporary directory: zoo.cfg, data/, server.log */
    char address[64];
    int port;
    pid_t pid; /* 0 when stopped */
};

static const char *const sl_zkserver_jars[] = {
    "zookeeper",
    "zookeeper-jute",
    "slf4j-api",
    "slf4j-nop",
    "netty-handler",
    "netty-common",
    "netty-buffer",
    "netty-transport",
    "netty-codec",
    "netty-resolver",
    "netty-transport-native-epoll",
    "netty-transport-native-unix-common",
    "metrics-core",
    "commons-cli",
    "snappy-java",
    "commons-io",
};

static double sl_zkserver_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int sl_zkserver_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* Whether the server answers "srvr" with its mode. */
static int sl_zkserver_ready(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[2048];
    size_t got = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && write(fd, "srvr", 4) == 4) {
        ssize_t r;
        while (got < sizeof(buf) - 1 && (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
            got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    return strstr(buf, "Mode: ") != NULL;
}

static int sl_zkserver_spawn(struct sl_zkserver *zs, struct sl_error *err)
{
    char cfg[320], log[320], cp[4096];
    snprintf(cfg, sizeof(cfg), "%s/zoo.cfg", zs->dir);
    snprintf(log, sizeof(log), "%s/server.log", zs->dir);
    const char *java = getenv("SLUICE_JAVA") ? getenv("SLUICE_JAVA") : "/usr/bin/java";
    if (access(java, X_OK) != 0)
        return sl_error_set(err, SL_ENOTSUP, "zookeeper server: no java at %s", java);
    const char *env_cp = getenv("SLUICE_ZK_CLASSPATH");
    if (env_cp) {
        snprintf(cp, sizeof(cp), "%s", env_cp);
    } else {
        size_t used = 0;
        for (size_t i = 0; i < sizeof(sl_zkserver_jars) / sizeof(sl_zkserver_jars[0]); i++) {
            char jar[160];
            snprintf(jar, sizeof(jar), "/usr/share/java/%s.jar", sl_zkserver_jars[i]);
            if (access(jar, R_OK) != 0)
                return sl_error_set(err, SL_ENOTSUP,
                                    "zookeeper server: %s is missing (Debian's zookeeper "
                                    "package; tools/setup.sh installs it)",
                                    jar);
            used += (size_t)snprintf(cp + used, sizeof(cp) - used, "%s%s", used ? ":" : "", jar);
        }
    }
    pid_t pid = fork();
    if (pid < 0)
        return sl_error_set(err, SL_EIO, "zookeeper server: fork: %s", strerror(errno));
    if (pid == 0) {
        /* the server goes with the program that started it, even when that one crashes
         * (the signal comes when the forking thread ends: tests and benchmarks start the
         * server from their main thread) */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1)
            _exit(127);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int nul = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (nul >= 0)
            dup2(nul, 0);
        execl(java, "java", "-Xms32m", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
              "-cp", cp, "org.apache.zookeeper.server.ZooKeeperServerMain", cfg, (char *)NULL);
        _exit(127);
    }
    zs->pid = pid;
    double deadline = sl_zkserver_now() + 30.0;
    while (sl_zkserver_now() < deadline) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            zs->pid = 0;
            /* the log goes with the temporary directory: quote its end in the error */
            char tail[1024] = "";
            FILE *f = fopen(log, "r");
            if (f) {
                fseek(f, 0, SEEK_END);
                long size = ftell(f);
                fseek(f, size > (long)sizeof(tail) - 1 ? size - (long)sizeof(tail) + 1 : 0,
                      SEEK_SET);
                size_t n = fread(tail, 1, sizeof(tail) - 1, f);
                tail[n] = 0;
                fclose(f);
            }
            return sl_error_set(err, strstr(tail, "Address already in use") ? SL_EFULL : SL_EIO,
                                "zookeeper server on port %d exited at start-up (status "
                                "%d); the end of its log:\n%s",
                                zs->port, WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail);
        }
        if (sl_zkserver_ready(zs->port))
            return 0;
        usleep(50 * 1000);
    }
    sl_zkserver_stop(zs);
    return sl_error_set(err, SL_EIO, "zookeeper server not up on port %d after 30 s (see %s)",
                        zs->port, log);
}

static void sl_zkserver_rmtree(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/rm", "rm", "-rf", path, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

int sl_zkserver_start(struct sl_zkserver **out, struct sl_error *err)
{
    struct sl_zkserver *zs = calloc(1, sizeof(*zs));
    if (!zs)
        return sl_error_set(err, SL_ENOMEM, "zookeeper server: out of memory");
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(zs->dir, sizeof(zs->dir), "%s/sluice-zk-XXXXXX", tmp);
    if (!mkdtemp(zs->dir)) {
        int e = errno;
        free(zs);
        return sl_error_set(err, SL_EIO, "zookeeper server: mkdtemp in %s: %s", tmp, strerror(e));
    }
    /* A free port is found by binding port 0 and closing it again, so another process may
     * take it before the server binds it (tests start several servers at once): the server
     * then exits with "Address already in use" (SL_EFULL above), and a new port is tried. */
    int rc = SL_EIO;
    for (int attempt = 0; attempt < 5; attempt++) {
        zs->port = sl_zkserver_free_port();
        snprintf(zs->address, sizeof(zs->address), "127.0.0.1:%d", zs->port);
        char cfg[320];
        snprintf(cfg, sizeof(cfg), "%s/zoo.cfg", zs->dir);
        FILE *f = fopen(cfg, "w");
        if (!f || zs->port < 0) {
            if (f)
                fclose(f);
            sl_zkserver_free(zs);
            return sl_error_set(err, SL_EIO, "zookeeper server: cannot write %s or find a port",
                                cfg);
        }
        fprintf(f,
                "tickTime=200\ndataDir=%s/data\nclientPort=%d\nclientPortAddress=127.0.0.1\n"
                "minSessionTimeout=400\nmaxSessionTimeout=40000\nadmin.enableServer=false\n"
                "4lw.commands.whitelist=srvr\n",
                zs->dir, zs->port);
        fclose(f);
        rc = sl_zkserver_spawn(zs, err);
        if (rc != SL_EFULL)
            break;
    }
    if (rc) {
        sl_zkserver_free(zs);
        return rc;
    }
    *out = zs;
    return 0;
}

const char *sl_zkserver_address(const struct sl_zkserver *zs)
{
    return zs->address;
}

void sl_zkserver_stop(struct sl_zkserver *zs)
{
    if (!zs || zs->pid <= 0)
        return;
    kill(zs->pid, SIGTERM);
    double deadline = sl_zkserver_now() + 5.0;
    int status;
    while (waitpid(zs->pid, &status, WNOHANG) == 0) {
        if (sl_zkserver_now() > deadline) {
            kill(zs->pid, SIGKILL);
            waitpid(zs->pid, &status, 0);
            break;
        }
        usleep(20 * 1000);
    }
    zs->pid = 0;
}

int sl_zkserver_restart(struct sl_zkserver *zs, int wipe, struct sl_error *err)
{
    sl_zkserver_stop(zs);
    if (wipe) {
        char data[320];
        snprintf(data, sizeof(data), "%s/data", zs->dir);
        sl_zkserver_rmtree(data);
    }
    return sl_zkserver_spawn(zs, err);
}

void sl_zkserver_free(struct sl_zkserver *zs)
{
    if (!zs)
        return;
    sl_zkserver_stop(zs);
    sl_zkserver_rmtree(zs->dir);
    free(zs);
}
