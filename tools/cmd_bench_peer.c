/*
 * tools/cmd_bench_peer.c - Apache Flink as the peer of `sluice bench run --peer flink` (see
 * cmd_bench_peer.h): the child JVM, its machine-readable lines, its CPU time.
 */
#include "tools/cmd_bench_peer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SLUICE_SOURCE_DIR
#define SLUICE_SOURCE_DIR "."
#endif

const char *sl_bench_flink_sh(void)
{
    static char path[4096];
    const char *env = getenv("SLUICE_FLINK_SH");
    if (env && *env)
        snprintf(path, sizeof(path), "%s", env);
    else
        snprintf(path, sizeof(path), "%s/tools/flink.sh", SLUICE_SOURCE_DIR);
    if (access(path, R_OK) != 0) {
        fprintf(stderr,
                "sluice bench: no Flink runner script at %s (set SLUICE_FLINK_SH to "
                "tools/flink.sh of a sluice source tree)\n",
                path);
        return NULL;
    }
    return path;
}

static double sl_peer_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints the last lines of a log file to stderr. */
static void sl_peer_tail(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char lines[30][512];
    int n = 0;
    while (fgets(lines[n % 30], sizeof(lines[0]), f))
        n++;
    fclose(f);
    for (int i = n > 30 ? n - 30 : 0; i < n; i++)
        fprintf(stderr, "  %s", lines[i % 30]);
}

int sl_bench_peer_build(void)
{
    const char *sh = sl_bench_flink_sh();
    if (!sh)
        return -1;
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "bash '%s' build >&2", sh);
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
        fprintf(stderr,
                "sluice bench: the Flink runner could not be built (%s build: needs "
                "a JDK 17 and Maven; tools/setup.sh installs them)\n",
                sh);
        return -1;
    }
    return 0;
}

/* The value of " key=" in a flink-bench line, or -1. */
static double sl_peer_field(const char *line, const char *key)
{
    char k[64];
    snprintf(k, sizeof(k), " %s=", key);
    const char *p = strstr(line, k);
    return p ? strtod(p + strlen(k), NULL) : -1;
}

/* Reads one flink-bench line into `r` when it is a measured run. */
static void sl_peer_line(const char *line, struct sl_peer_result *r)
{
    if (strncmp(line, "flink-bench:", 12) != 0 || sl_peer_field(line, "measured") != 1 ||
        r->nreps == SL_PEER_MAX_REPS)
        return;
    struct sl_peer_rep *p = &r->reps[r->nreps++];
    p->job_s = sl_peer_field(line, "job_ms") / 1e3;
    p->start_s = sl_peer_field(line, "start_ms") / 1e3;
    p->run_s = sl_peer_field(line, "run_ms") / 1e3;
    p->job_cpu_s = sl_peer_field(line, "cpu_ms") / 1e3;
    p->run_cpu_s = sl_peer_field(line, "run_cpu_ms") / 1e3;
    double v; /* a field missing from the line (-1) counts as none */
    p->rows_in = (v = sl_peer_field(line, "rows_in")) > 0 ? (uint64_t)v : 0;
    p->rows_out = (v = sl_peer_field(line, "rows_out")) > 0 ? (uint64_t)v : 0;
    p->late = (v = sl_peer_field(line, "late")) > 0 ? (uint64_t)v : 0;
    p->source_subtasks = (int)sl_peer_field(line, "source_subtasks");
}

int sl_bench_peer_run(const struct sl_peer_opts *o, struct sl_peer_result *r)
{
    memset(r, 0, sizeof(*r));
    const char *sh = sl_bench_flink_sh();
    if (!sh)
        return -1;
    char reps[16], warmup[16], par[16];
    snprintf(reps, sizeof(reps), "%d", o->reps);
    snprintf(warmup, sizeof(warmup), "%d", o->warmup);
    snprintf(par, sizeof(par), "%d", o->parallelism);
    /* pipeline.object-reuse: as the Nexmark repository's flink-conf.yaml sets it */
    const char *argv[24] = {"bash",
                            sh,
                            "run",
                            "--bench",
                            reps,
                            "--warmup",
                            warmup,
                            "--parallelism",
                            par,
                            "--conf",
                            "pipeline.object-reuse=true"};
    int argc = 11;
    if (o->batch)
        argv[argc++] = "--batch";
    if (o->source_table) {
        argv[argc++] = "--bench-source";
        argv[argc++] = o->source_table;
    }
    argv[argc++] = o->sql_path;
    argv[argc] = NULL;

    int pipefd[2];
    if (pipe(pipefd) != 0) {
        fprintf(stderr, "sluice bench: pipe: %s\n", strerror(errno));
        return -1;
    }
    int logfd = open(o->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0) {
        fprintf(stderr, "sluice bench: cannot write %s: %s\n", o->log_path, strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    double t0 = sl_peer_now();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "sluice bench: fork: %s\n", strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        dup2(pipefd[1], 1);
        dup2(logfd, 2);
        close(pipefd[0]);
        close(pipefd[1]);
        execvp("bash", (char *const *)argv);
        fprintf(stderr, "exec bash: %s\n", strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    close(logfd);
    FILE *in = fdopen(pipefd[0], "r");
    char line[1024];
    while (in && fgets(line, sizeof(line), in))
        sl_peer_line(line, r);
    if (in)
        fclose(in);
    else
        close(pipefd[0]);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    r->jvm_wall_s = sl_peer_now() - t0;
    r->jvm_cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || r->nreps != o->reps) {
        fprintf(stderr, "sluice bench: Flink failed (%d of %d runs reported); %s:\n", r->nreps,
                o->reps, o->log_path);
        sl_peer_tail(o->log_path);
        return -1;
    }
    return 0;
}
