/*
 * sluice.h - libsluice: the sluice stream processing engine as a C library.
 *
 * A job is one or more Flink SQL scripts (CREATE TABLE / VIEW, SET, INSERT INTO) run by the
 * same vectorized engine as the `sluice run` command, with the same options:
 *
 *     sluice_job *job = sluice_job_new();
 *     sluice_job_add_file(job, "q1.sql");           // or sluice_job_add_sql(job, name, text)
 *     sluice_job_set_param(job, "EVENTS", "1000");  // fills ${EVENTS}
 *     sluice_job_set_option(job, "workers", "2");
 *     if (sluice_job_run(job) != 0)                 // blocks until the sources end
 *         fprintf(stderr, "%s\n", sluice_job_error(job));
 *     sluice_job_free(job);
 *
 * OWNERSHIP: a job is the caller's from sluice_job_new to sluice_job_free. Every string
 * passed in is copied; the strings returned belong to the job (or are static) and stay
 * valid until the next call on the same job.
 *
 * THREADS: one thread calls a job's functions, except sluice_job_stop, which any thread -
 * or a signal handler - may call while sluice_job_run runs. The engine starts its own
 * worker threads inside sluice_job_run and ends them before it returns. Different jobs are
 * independent.
 *
 * ERRORS: functions return 0 or a negative code (SLUICE_E*); sluice_job_error then says
 * what and where ("q1.sql:3:14: ..." for SQL; topic, partition and offset for a record).
 *
 * Link: `pkg-config --cflags --libs sluice`, or CMake's find_package(sluice) and the target
 * sluice::sluice. docs/embedding.md has a complete example.
 */
#ifndef SLUICE_H
#define SLUICE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLUICE_VERSION_MAJOR 0
#define SLUICE_VERSION_MINOR 1
#define SLUICE_VERSION_PATCH 0

/* Error codes (the engine's own table; others may appear: treat any negative as failure). */
#define SLUICE_OK 0
#define SLUICE_ENOMEM -1     /* out of memory */
#define SLUICE_EINVAL -2     /* a bad option or argument */
#define SLUICE_EIO -4        /* a file or system call failed */
#define SLUICE_ENOTSUP -5    /* the SQL or option is not supported */
#define SLUICE_EPARSE -6     /* the SQL does not parse or bind */
#define SLUICE_ECORRUPT -9   /* a bad record (fail policy) or damaged checkpoint */
#define SLUICE_EFINISHED -20 /* the checkpointed job already ran to its end */

/* "0.1.0": the library's version (may differ from the header's SLUICE_VERSION_*). */
const char *sluice_version(void);

/* The message of a code ("invalid argument"); static. */
const char *sluice_strerror(int code);

typedef struct sluice_job sluice_job;

/* A new, empty job; NULL when out of memory. */
sluice_job *sluice_job_new(void);

/* Frees the job (NULL is fine). Not while sluice_job_run runs. */
void sluice_job_free(sluice_job *job);

/* Adds the SQL file at `path` (read now). Files form one script, in the order added, as
 * `sluice run a.sql b.sql` does. SLUICE_EIO when it cannot be read. */
int sluice_job_add_file(sluice_job *job, const char *path);

/* Adds SQL text; `name` is what errors call it ("<name>:line:col"). */
int sluice_job_add_sql(sluice_job *job, const char *name, const char *sql);

/* Gives ${NAME} placeholders in the SQL a value (`sluice run --set NAME=VALUE`). */
int sluice_job_set_param(sluice_job *job, const char *name, const char *value);

/*
 * Sets an option of the run, by the `sluice run` flag's name without the dashes:
 *   "workers"              worker threads (default: the cores hwloc reports)
 *   "pin"                  "true" (default) or "false": pin workers to cores
 *   "brokers"              Kafka bootstrap servers for every 'kafka' table; without it
 *                          (and without 'properties.bootstrap.servers') Kafka tables get an
 *                          embedded in-memory broker for the run
 *   "property.KEY"         a librdkafka property for every Kafka client
 *   "state-dir"            checkpoints: where snapshots and manifests go (turns them on)
 *   "job"                  checkpoints: the job's id (default "job")
 *   "zk"                   checkpoints: commit epochs in ZooKeeper ("host:port/chroot")
 *   "checkpoint-interval"  checkpoints: ms between epochs (default: SET, else 1000)
 *   "restart"              checkpoints: "true": start anew instead of resuming
 *   "udf-path"             a UDF library or a directory of them for CREATE FUNCTION
 *                          (repeatable, in order; include/sluice_udf.h, docs/udf.md)
 * SLUICE_EINVAL for an unknown key or a bad value. The SQL's SET statements apply as well.
 */
int sluice_job_set_option(sluice_job *job, const char *key, const char *value);

/*
 * Parses, binds and runs the job until its sources end (bounded tables) or
 * sluice_job_stop. 0 when it ran to the end (or was stopped cleanly); a negative code
 * otherwise, with sluice_job_error saying why. A job runs once.
 */
int sluice_job_run(sluice_job *job);

/* Asks a running job to stop (with checkpoints: after a final epoch). Any thread, or a
 * signal handler; a no-op when the job is not running. */
void sluice_job_stop(sluice_job *job);

/* The last error's text ("" when none). */
const char *sluice_job_error(const sluice_job *job);

/* What a run did. */
struct sluice_stats {
    int workers;
    double seconds;       /* wall time of the run */
    double cpu_seconds;   /* CPU time of the process during it */
    uint64_t rows_in;     /* rows the sources produced */
    uint64_t rows_out;    /* rows the sinks took */
    uint64_t late_rows;   /* rows dropped as late */
    uint64_t bad_records; /* records skipped or dead-lettered */
    uint64_t checkpoints; /* epochs committed by this run */
    uint64_t last_epoch;  /* the last committed epoch (0: none) */
};

/* The stats of the last sluice_job_run into *out. SLUICE_EINVAL before any run. */
int sluice_job_stats(const sluice_job *job, struct sluice_stats *out);

#ifdef __cplusplus
}
#endif

#endif
