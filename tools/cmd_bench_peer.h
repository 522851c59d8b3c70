/*
 * tools/cmd_bench_peer.h - Apache Flink as the peer of `sluice bench run --peer flink`: runs a
 * workload's SQL in Flink 1.20 (tools/flink.sh, SqlRunner's --bench mode: a local MiniCluster
 * in a child JVM) and reads back per run its wall time, CPU time and row counts.
 *
 * HOW IT WORKS
 * The child is `bash tools/flink.sh run --bench REPS --warmup N --parallelism P ... FILE.sql`
 * (flink.sh execs java, so the child is the JVM). Its stdout carries one machine-readable
 * line per run (SqlRunner.java has the format); its stderr goes to a log file that is shown
 * when the run fails. The JVM runs the script's DDL once, the INSERTs --warmup times
 * untimed (class loading and JIT compilation are warm-up, not measurement) and then REPS
 * times, each a new Flink job; the runner times each job itself: the whole job, the part
 * before its tasks were deployed (planning, submission to the JVM's one MiniCluster,
 * scheduling: the job start overhead) and the run after it, with the process CPU time over
 * each. wait4() gives the JVM's own utime + stime over its whole life (start-up and warm-up
 * included) as a cross-check.
 *
 * Where flink.sh is: $SLUICE_FLINK_SH, else the source tree this binary was built from.
 * OWNERSHIP: plain structs, owned by the caller. THREADS: none.
 */
#ifndef SL_TOOLS_CMD_BENCH_PEER_H
#define SL_TOOLS_CMD_BENCH_PEER_H

#include <stdbool.h>
#include <stdint.h>

#define SL_PEER_MAX_REPS 64

/* One measured Flink job. */
struct sl_peer_rep {
    double run_s, run_cpu_s; /* from the first task's deployment to the job's end */
    double job_s, job_cpu_s; /* the whole job: execute() to its end */
    double start_s;          /* job_s - run_s: the job start overhead */
    uint64_t rows_in, rows_out, late;
    int source_subtasks; /* the source readers that counted rows_in */
};

struct sl_peer_result {
    int nreps;
    struct sl_peer_rep reps[SL_PEER_MAX_REPS];
    double jvm_wall_s, jvm_cpu_s; /* the JVM's whole life (wait4) */
};

/* How to run one script in Flink. */
struct sl_peer_opts {
    const char *sql_path;     /* the script (every statement, INSERTs included) */
    const char *source_table; /* counted as rows in; NULL: every source */
    const char *log_path;     /* the JVM's stderr goes here */
    int parallelism, warmup, reps;
    bool batch; /* Flink's batch mode (a query its streaming planner refuses) */
};

/* The path of tools/flink.sh, or NULL when there is none (said on stderr). Static storage. */
const char *sl_bench_flink_sh(void);

/* Builds the Flink runner if needed (tools/flink.sh build; untimed). 0 or -1 (said). */
int sl_bench_peer_build(void);

/* Runs the script in Flink as `o` says and fills `r`. 0 or -1 (said, with the log's tail). */
int sl_bench_peer_run(const struct sl_peer_opts *o, struct sl_peer_result *r);

#endif
