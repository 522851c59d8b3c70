/*
 * tools/cmd_run.c - `sluice run FILE.sql`: parse, bind and run every INSERT of a file;
 * `sluice explain FILE.sql`: print the plans.
 *
 * Without --brokers, Kafka tables run against an embedded Kafka-protocol broker (librdkafka's
 * mock cluster, in this process and in memory), so a demo needs nothing else running.
 */
#include "tools/cmd_run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/exec.h"
#include "engine/sql/binder.h"
#include "io/kafka_mock.h"

static const char sl_run_usage[] =
    "usage: sluice run FILE.sql... [--set NAME=VALUE]... [--workers N] [--brokers HOST:PORT]\n"
    "                  [--property KEY=VALUE]... [--no-pin] [--quiet]\n"
    "\n"
    "Runs every INSERT INTO of the Flink SQL files, read one after the other as one script\n"
    "(e.g. ddl_gen.sql ddl_views.sql q5.sql), until the sources end (bounded tables) or\n"
    "until SIGINT / SIGTERM.\n"
    "\n"
    "  --set NAME=VALUE     fills ${NAME} placeholders in the file (repeatable)\n"
    "  --workers N          worker threads (default: the cores hwloc reports)\n"
    "  --brokers B          Kafka bootstrap servers for every 'kafka' table (overrides\n"
    "                       'properties.bootstrap.servers'); without it and without that\n"
    "                       option, Kafka tables use an embedded in-memory broker\n"
    "  --property K=V       a librdkafka property for every Kafka client (repeatable)\n"
    "  --no-pin             do not pin workers to cores\n"
    "  --quiet              no progress line and no summary on stderr\n"
    "\n"
    "Event time: SET 'table.exec.source.idle-timeout' = '5 s' lets an idle split stop\n"
    "holding the watermark back (default: never, as in Flink).\n";

static const char sl_explain_usage[] =
    "usage: sluice explain FILE.sql... [--set NAME=VALUE]...\n"
    "\n"
    "Parses and binds the SQL files (one script, in order) and prints the plan of every\n"
    "INSERT INTO: one operator per line, its output columns and types. Nothing runs.\n";

static volatile int sl_run_stop;

static void sl_run_on_signal(int sig)
{
    (void)sig;
    sl_run_stop = 1;
}

static char *sl_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "sluice: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fprintf(stderr, "sluice: out of memory reading %s\n", path);
            break;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) {
            if (ferror(f)) {
                fprintf(stderr, "sluice: cannot read %s: %s\n", path, strerror(errno));
                free(buf);
                buf = NULL;
            }
            break;
        }
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    fclose(f);
    if (buf)
        *len = n;
    return buf;
}

struct sl_run_args {
    const char *files[32];
    size_t nfiles;
    struct sl_sql_param params[128];
    size_t nparams;
    const char *props[64];
    uint32_t nprops;
    int workers;
    const char *brokers;
    bool pin, quiet;
};

/* 0 ok, 1 help shown, 2 usage error (said). */
static int sl_run_parse(int argc, char **argv, struct sl_run_args *a, const char *usage,
                        bool run)
{
    memset(a, 0, sizeof(*a));
    a->pin = true;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage, stdout);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (a->nfiles == sizeof(a->files) / sizeof(a->files[0])) {
                fprintf(stderr, "sluice %s: at most 32 SQL files\n", argv[0]);
                return 2;
            }
            a->files[a->nfiles++] = arg;
            continue;
        }
        if (run && !strcmp(arg, "--no-pin")) {
            a->pin = false;
            continue;
        }
        if (run && !strcmp(arg, "--quiet")) {
            a->quiet = true;
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
        bool known = (nlen == 5 && !strncmp(arg, "--set", 5)) ||
                     (run && nlen == 9 && !strncmp(arg, "--workers", 9)) ||
                     (run && nlen == 9 && !strncmp(arg, "--brokers", 9)) ||
                     (run && nlen == 10 && !strncmp(arg, "--property", 10));
        if (!known) {
            fprintf(stderr, "sluice %s: unknown option '%s'\n%s", argv[0], arg, usage);
            return 2;
        }
        if (!val) {
            fprintf(stderr, "sluice %s: %.*s needs a value\n", argv[0], (int)nlen, arg);
            return 2;
        }
        if (!eq)
            i++;
        if (!strncmp(arg, "--set", 5)) {
            const char *e = strchr(val, '=');
            if (!e || e == val || a->nparams == sizeof(a->params) / sizeof(a->params[0])) {
                fprintf(stderr, "sluice %s: --set needs NAME=VALUE, not '%s'\n", argv[0], val);
                return 2;
            }
            char *name = strndup(val, (size_t)(e - val));
            if (!name)
                return 2;
            a->params[a->nparams].name = name;
            a->params[a->nparams++].value = e + 1;
        } else if (!strncmp(arg, "--workers", 9)) {
            char *end;
            long n = strtol(val, &end, 10);
            if (*end || n < 1 || n > 1024) {
                fprintf(stderr, "sluice run: --workers needs a number from 1 to 1024, not "
                                "'%s'\n",
                        val);
                return 2;
            }
            a->workers = (int)n;
        } else if (!strncmp(arg, "--brokers", 9)) {
            a->brokers = val;
        } else {
            if (!strchr(val, '=') || a->nprops == sizeof(a->props) / sizeof(a->props[0])) {
                fprintf(stderr, "sluice run: --property needs KEY=VALUE, not '%s'\n", val);
                return 2;
            }
            a->props[a->nprops++] = val;
        }
    }
    if (!a->nfiles) {
        fprintf(stderr, "sluice %s: which SQL file?\n%s", argv[0], usage);
        return 2;
    }
    return 0;
}

static void sl_run_args_free(struct sl_run_args *a)
{
    for (size_t i = 0; i < a->nparams; i++)
        free((char *)a->params[i].name);
}

static struct sl_job *sl_run_load(const struct sl_run_args *a)
{
    struct sl_sql_input in[32];
    struct sl_job *job = NULL;
    size_t n = 0;
    for (; n < a->nfiles; n++) {
        in[n].path = a->files[n];
        in[n].text = sl_read_file(a->files[n], &in[n].len);
        if (!in[n].text)
            goto out;
    }
    struct sl_error err;
    sl_error_clear(&err);
    job = sl_job_from_sql_multi(in, n, a->params, a->nparams, &err);
    if (!job)
        fprintf(stderr, "%s\n", err.msg);
out:
    for (size_t i = 0; i < n; i++)
        free((char *)in[i].text);
    return job;
}

static bool sl_job_uses_kafka(const struct sl_job *job)
{
    for (uint32_t i = 0; i < job->ntables; i++)
        if (!strcmp(job->tables[i]->connector, "kafka") &&
            !sl_table_option(job->tables[i], "properties.bootstrap.servers"))
            return true;
    return false;
}

int sl_cmd_run(int argc, char **argv)
{
    struct sl_run_args a;
    int rc = sl_run_parse(argc, argv, &a, sl_run_usage, true);
    if (rc)
        return rc == 1 ? 0 : 2;
    int status = 1;
    struct sl_kafka_mock *mock = NULL;
    struct sl_job *job = sl_run_load(&a);
    if (!job) {
        status = 2;
        goto out;
    }
    struct sl_error err;
    sl_error_clear(&err);
    if (!a.brokers && sl_job_uses_kafka(job)) {
        if (sl_kafka_mock_new(NULL, &mock, &err)) {
            fprintf(stderr, "sluice run: cannot start the embedded broker: %s\n", err.msg);
            goto out;
        }
        a.brokers = sl_kafka_mock_bootstrap(mock);
        if (!a.quiet)
            fprintf(stderr, "sluice run: no --brokers: Kafka tables use an embedded broker at "
                            "%s (in memory, gone at exit)\n",
                    a.brokers);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = sl_run_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct sl_exec_opts opts = {.workers = a.workers,
                                .pin = a.pin,
                                .brokers = a.brokers,
                                .kafka_props = a.props,
                                .nkafka_props = a.nprops,
                                .print_out = stdout,
                                .progress = !a.quiet && isatty(STDERR_FILENO),
                                .stop = &sl_run_stop};
    struct sl_exec_summary sum;
    rc = sl_exec_run(job, &opts, &sum, &err);
    fflush(stdout);
    if (rc) {
        fprintf(stderr, "sluice run: %s\n", err.msg);
        goto out;
    }
    if (!a.quiet) {
        double cores = sum.seconds > 0 ? sum.cpu_seconds / sum.seconds : 0;
        fprintf(stderr,
                "sluice run: %s in %.3f s on %d workers: %llu rows in (%.2f M/s, %.2f M/s per "
                "core), %llu rows out, %llu late, %llu bad records\n",
                sl_run_stop ? "stopped" : "done", sum.seconds, sum.workers,
                (unsigned long long)sum.rows_in,
                sum.seconds > 0 ? sum.rows_in / sum.seconds / 1e6 : 0.0,
                sum.cpu_seconds > 0 ? sum.rows_in / sum.cpu_seconds / 1e6 : 0.0,
                (unsigned long long)sum.rows_out, (unsigned long long)sum.late_rows,
                (unsigned long long)sum.bad_records);
        (void)cores;
    }
    status = 0;
out:
    sl_job_free(job);
    sl_kafka_mock_free(mock);
    sl_run_args_free(&a);
    return status;
}

int sl_cmd_explain(int argc, char **argv)
{
    struct sl_run_args a;
    int rc = sl_run_parse(argc, argv, &a, sl_explain_usage, false);
    if (rc)
        return rc == 1 ? 0 : 2;
    struct sl_job *job = sl_run_load(&a);
    int status = 2;
    if (job) {
        for (uint32_t i = 0; i < job->ninserts; i++) {
            printf("%s-- INSERT %u of %u\n", i ? "\n" : "", i + 1, job->ninserts);
            sl_plan_explain(job->inserts[i], stdout);
        }
        status = 0;
    }
    sl_job_free(job);
    sl_run_args_free(&a);
    return status;
}
