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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/log.h"
#include "engine/exec/exec.h"
#include "engine/exec/livecfg.h"
#include "engine/exec/metrics.h"
#include "engine/sql/binder.h"
#include "io/kafka_mock.h"
#include "tools/cli.h"
#include "tools/cmd_metrics_http.h"

static const char sl_run_usage[] =
    "usage: sluice run FILE.sql... [--set NAME=VALUE]... [--workers N] [--brokers HOST:PORT]\n"
    "                  [--property KEY=VALUE]... [--no-pin] [--quiet]\n"
    "                  [--job ID] [--state-dir DIR] [--zk HOSTS[/chroot]]\n"
    "                  [--checkpoint-interval MS]\n"
    "                  [--metrics-port PORT] [--metrics-host ADDR]\n"
    "                  [--udf-path DIR_OR_FILE]...\n"
    "                  [--cluster W:LO --cluster-brokers HOST:PORT [--cluster-topic T]]\n"
    "                  [--cluster auto --cluster-brokers HOST:PORT [--cluster-min-members N]\n"
    "                   [--standby]]\n"
    "\n"
    "Runs every INSERT INTO of the Flink SQL files, read one after the other as one script\n"
    "(e.g. ddl_gen.sql ddl_views.sql q5.sql), until the sources end (bounded tables) or\n"
    "until SIGINT / SIGTERM. A bare SELECT (one per script) prints its result on stdout as\n"
    "Flink's SQL client does in tableau mode; `sluice sql` runs statements one by one.\n"
    "\n"
    "  --set NAME=VALUE     fills ${NAME} placeholders in the file (repeatable)\n"
    "  --workers N          worker threads (default: the cores hwloc reports)\n"
    "  --brokers B          Kafka bootstrap servers for every 'kafka' table (overrides\n"
    "                       'properties.bootstrap.servers'); without it and without that\n"
    "                       option, Kafka tables use an embedded in-memory broker\n"
    "  --property K=V       a librdkafka property for every Kafka client (repeatable)\n"
    "  --no-pin             do not pin workers to cores\n"
    "  --quiet              no progress line and no summary on stderr\n"
    "  --metrics-port PORT  serve Prometheus metrics at http://ADDR:PORT/metrics while the\n"
    "                       job runs (0: an ephemeral port); stderr says where, as\n"
    "                       'metrics: http://ADDR:PORT/metrics'. Also SET\n"
    "                       'sluice.metrics.port'. docs/metrics.md lists the metrics.\n"
    "  --metrics-host ADDR  the IPv4 address to serve them on (default 127.0.0.1; also\n"
    "                       SET 'sluice.metrics.host')\n"
    "  --udf-path P         where CREATE FUNCTION finds C functions: a UDF library (.so)\n"
    "                       or a directory of them (repeatable; searched after SET\n"
    "                       'sluice.udf.path' and before the directory udf/ next to the\n"
    "                       sluice program, which holds the Nexmark UDFs; docs/udf.md)\n"
    "\n"
    "One job over several processes, static mode (docs/cluster.md): every process runs\n"
    "the same SQL with its own part of the job's W workers, given on the command line.\n"
    "Without --zk nothing checks that the processes agree and there are no checkpoints.\n"
    "With --zk Z --job J --state-dir D (D one folder all the processes reach, e.g. on\n"
    "NFS) the job takes checkpoints over the cluster: the process holding the job's\n"
    "leader latch leads (it triggers epochs, collects the members' acks, commits), the\n"
    "others are members; the leader waits until the processes' ranges cover [0, W) with\n"
    "one W and one plan, then publishes a new generation with its own channel topic\n"
    "('sluice-J-g<generation>', W partitions; --cluster-topic is not used). A process\n"
    "that dies fails the others' runs; restarting every process resumes from the last\n"
    "committed epoch (another split of W, or another W, restores too).\n"
    "  --cluster W:LO       the job has W workers; this one runs the global workers\n"
    "                       [LO, LO + --workers); key groups and source splits follow W\n"
    "  --cluster-brokers B  the Kafka brokers of the channel between the processes\n"
    "  --cluster-topic T    its topic: W partitions, new for each run (default:\n"
    "                       sluice-JOB-static, JOB from --job or the last file's name);\n"
    "                       created when absent, except on `sluice kafka-mock`, which\n"
    "                       cannot: there `sluice kafka-mock --topic T:W` creates it\n"
    "\n"
    "One job over several processes, the assignment from ZooKeeper (docs/cluster.md):\n"
    "  --cluster auto       with --zk Z --job J --state-dir D --cluster-brokers B: the\n"
    "                       processes of job J form its group, each with its --workers;\n"
    "                       the latch holder leads: once the member set has been stable\n"
    "                       for SET 'jobmanager.adaptive-scheduler.resource-stabilization-\n"
    "                       timeout' (default 2 s) it publishes a generation: W = the sum\n"
    "                       of the members' workers, each a range of them (sticky), the\n"
    "                       channel topic 'sluice-J-g<generation>-w<W>'. A member joining,\n"
    "                       leaving (SIGTERM) or dying (its ZooKeeper session expired)\n"
    "                       makes a new generation: every process stops its executor and\n"
    "                       restores the last committed epoch at the new W, without a\n"
    "                       restart; a dead leader's latch falls to a member, which leads\n"
    "  --cluster-min-members N  the first generation waits for N working members\n"
    "  --standby            a spare: it joins with role standby, takes no work and does\n"
    "                       not try the latch; when a working member leaves or dies, the\n"
    "                       next generation gives its place to a spare (one of the same\n"
    "                       --workers first: then W and every other range stay, no\n"
    "                       rescale), which restores the last committed epoch and runs\n"
    "                       as a member from then on. A spare whose job has no working\n"
    "                       process left (for the stabilization timeout) runs it itself.\n"
    "                       Without --cluster, a second process of a job with --zk or a\n"
    "                       state directory waits as a standby anyway: --standby says so\n"
    "                       and changes nothing; with --cluster W:LO it is refused\n"
    "\n"
    "Checkpoints (exactly-once; docs/checkpoint-protocol.md) need a place to keep them, as\n"
    "in Flink: --state-dir DIR, or SET 'execution.checkpointing.dir' (Flink 2) or\n"
    "'state.checkpoints.dir' (Flink 1) in the SQL ('file:///path' or a plain path). Nothing\n"
    "is kept in the current folder unless you say so. An interval set in the SQL without\n"
    "a directory runs without checkpoints (with a note on stderr).\n"
    "  --state-dir DIR      where snapshots and manifests go; DIR/ID/ holds the job's files\n"
    "  --job ID             the job's id (default: the last SQL file's name without .sql,\n"
    "                       printed at start)\n"
    "  --zk HOSTS[/chroot]  commit epochs in ZooKeeper (e.g. 127.0.0.1:2181/sluice); a\n"
    "                       second process with the same job waits as a standby; without\n"
    "                       it, a commit file in the state directory (one process). With\n"
    "                       it, the process is a member of the job (`sluice status`) and\n"
    "                       takes the job's settings node (`sluice config`): at start,\n"
    "                       and live where a setting allows (docs/cluster.md)\n"
    "  --checkpoint-interval MS  between epochs (default: the SQL's SET, else 1000)\n"
    "  --restart            start the job anew: restore nothing from its checkpoints (the\n"
    "                       epoch numbers go on, so earlier output files stay apart)\n"
    "--job, --zk, --checkpoint-interval and --restart need a state directory.\n"
    "Running the same command again (same job and state directory) resumes from the last\n"
    "committed epoch; filesystem sinks make each epoch's part files visible only once it\n"
    "is committed. SIGINT / SIGTERM take a final epoch, then stop (exit 0); the same\n"
    "command resumes. A standby, or a job waiting for a filesystem folder's lock, stops at\n"
    "once on SIGINT / SIGTERM (exit 0, its ZooKeeper node removed). A job whose bounded\n"
    "input ended is finished: running it again is refused (exit 3) instead of resuming\n"
    "into nothing; --restart or a new --job runs it again.\n"
    "SQL settings:\n"
    "'state.checkpoints.num-retained' (epochs kept, default 3),\n"
    "'execution.checkpointing.tolerable-failed-checkpoints' (default 0: a failed epoch\n"
    "fails the run), 'sluice.checkpoint.full-every' (a full snapshot every N epochs,\n"
    "incremental in between; default 10), 'high-availability.zookeeper.client.session-\n"
    "timeout' (default 10 s), 'high-availability.zookeeper.client.connection-timeout'\n"
    "(the first connection's patience, default 15 s). `sluice checkpoints` lists\n"
    "committed epochs.\n"
    "\n"
    "Event time: SET 'table.exec.source.idle-timeout' = '5 s' lets an idle split stop\n"
    "holding the watermark back (default: never, as in Flink).\n"
    "\n"
    "Rate limit: a table's 'scan.rate-limit' = 'N' (or SET 'sluice.source.TABLE.scan.\n"
    "rate-limit') reads at most N records/s from it; with --zk, `sluice config` changes it,\n"
    "the checkpoint interval, the idle timeout, the log level and a filesystem sink's\n"
    "rolling policy while the job runs (docs/cluster.md).\n"
    "\n"
    "Log level: SET 'sluice.log.level' = 'ERROR' | 'WARN' | 'INFO' (default) | 'DEBUG'.\n"
    "With --zk, a filesystem sink locks its folder in ZooKeeper: one job at a time writes\n"
    "it (docs/connectors.md).\n"
    "\n"
    "Test mode: SLUICE_EXCHANGE_CODEC=1 in the environment encodes every message between\n"
    "two workers into bytes and decodes it on the receiver (the path to a worker of another\n"
    "process, minus the channel); the summary then counts the messages and bytes\n"
    "(docs/testing.md).\n";

static const char sl_explain_usage[] =
    "usage: sluice explain FILE.sql... [--set NAME=VALUE]... [--udf-path DIR_OR_FILE]...\n"
    "\n"
    "Parses and binds the SQL files (one script, in order) and prints the plan of every\n"
    "INSERT INTO: one operator per line, its output columns and types. Nothing runs.\n";

/* Set by SIGINT / SIGTERM, read by the workers (sl_exec_opts.stop): a lock-free atomic,
 * which a signal handler may store to (C11 7.14.1.1) and other threads may read. */
static _Atomic int sl_run_stop;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler may store to an atomic int");

static void sl_run_on_signal(int sig)
{
    (void)sig;
    atomic_store_explicit(&sl_run_stop, 1, memory_order_relaxed);
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
    bool pin, quiet, restart, standby;
    const char *job, *state_dir, *zk;
    int64_t interval_ms; /* 0: not given */
    int metrics_port;    /* -1: not given */
    const char *metrics_host;
    const char *udf_paths[32]; /* --udf-path, in order */
    uint32_t nudf_paths;
    int cluster_workers, cluster_lo; /* --cluster W:LO (0: not given) */
    bool cluster_auto;               /* --cluster auto */
    int cluster_min_members;         /* --cluster-min-members (0: not given) */
    const char *cluster_brokers, *cluster_topic;
};

/* A TCP port from 0 to 65535, or -1. */
static int sl_run_port(const char *text)
{
    char *end;
    long v = strtol(text, &end, 10);
    return *text && !*end && v >= 0 && v <= 65535 ? (int)v : -1;
}

/* 0 ok, 1 help shown, 2 usage error (said). */
static int sl_run_parse(int argc, char **argv, struct sl_run_args *a, const char *usage, bool run)
{
    memset(a, 0, sizeof(*a));
    a->pin = true;
    a->metrics_port = -1;
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
        if (run && !strcmp(arg, "--restart")) {
            a->restart = true;
            continue;
        }
        if (run && !strcmp(arg, "--standby")) {
            a->standby = true;
            continue;
        }
        /* the first two for both commands, the rest for run only */
        static const char *const valued[] = {"--set",
                                             "--udf-path",
                                             "--workers",
                                             "--brokers",
                                             "--property",
                                             "--job",
                                             "--state-dir",
                                             "--zk",
                                             "--checkpoint-interval",
                                             "--metrics-port",
                                             "--metrics-host",
                                             "--cluster",
                                             "--cluster-brokers",
                                             "--cluster-topic",
                                             "--cluster-min-members"};
        const char *val;
        int which = sl_cli_value(argc, argv, &i, argv[0], usage, valued,
                                 run ? sizeof(valued) / sizeof(valued[0]) : 2, &val);
        switch (which) {
        case -1:
            return 2;
        case 0: { /* --set */
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
            break;
        }
        case 1: /* --udf-path */
            if (a->nudf_paths == sizeof(a->udf_paths) / sizeof(a->udf_paths[0])) {
                fprintf(stderr, "sluice %s: at most 32 --udf-path\n", argv[0]);
                return 2;
            }
            a->udf_paths[a->nudf_paths++] = val;
            break;
        case 2: { /* --workers */
            char *end;
            long n = strtol(val, &end, 10);
            if (*end || n < 1 || n > 1024) {
                fprintf(stderr,
                        "sluice run: --workers needs a number from 1 to 1024, not "
                        "'%s'\n",
                        val);
                return 2;
            }
            a->workers = (int)n;
            break;
        }
        case 3:
            a->brokers = val;
            break;
        case 4: /* --property */
            if (!strchr(val, '=') || a->nprops == sizeof(a->props) / sizeof(a->props[0])) {
                fprintf(stderr, "sluice run: --property needs KEY=VALUE, not '%s'\n", val);
                return 2;
            }
            a->props[a->nprops++] = val;
            break;
        case 5:
            a->job = val;
            break;
        case 6:
            a->state_dir = val;
            break;
        case 7:
            a->zk = val;
            break;
        case 8: { /* --checkpoint-interval */
            char *end;
            long long ms = strtoll(val, &end, 10);
            if (*end || ms < 1 || ms > 86400000) {
                fprintf(stderr,
                        "sluice run: --checkpoint-interval needs milliseconds from 1 "
                        "to 86400000, not '%s'\n",
                        val);
                return 2;
            }
            a->interval_ms = ms;
            break;
        }
        case 9:
            if ((a->metrics_port = sl_run_port(val)) < 0) {
                fprintf(stderr,
                        "sluice run: --metrics-port needs a port from 0 to 65535, not "
                        "'%s'\n",
                        val);
                return 2;
            }
            break;
        case 10:
            a->metrics_host = val;
            break;
        case 11: { /* --cluster W:LO | auto */
            if (!strcmp(val, "auto")) {
                a->cluster_auto = true;
                break;
            }
            char *end;
            long w = strtol(val, &end, 10), lo = -1;
            if (*end == ':' && end[1])
                lo = strtol(end + 1, &end, 10);
            if (*end || w < 1 || w > 32768 || lo < 0 || lo >= w) {
                fprintf(stderr,
                        "sluice run: --cluster needs W:LO (the job's workers, from 1 to 32768, "
                        "and this process's first global worker, from 0 to W - 1), not '%s'\n",
                        val);
                return 2;
            }
            a->cluster_workers = (int)w;
            a->cluster_lo = (int)lo;
            break;
        }
        case 12:
            a->cluster_brokers = val;
            break;
        case 13:
            a->cluster_topic = val;
            break;
        default: { /* --cluster-min-members */
            char *end;
            long n = strtol(val, &end, 10);
            if (*end || n < 1 || n > 32768) {
                fprintf(stderr,
                        "sluice run: --cluster-min-members needs a number from 1 to 32768, "
                        "not '%s'\n",
                        val);
                return 2;
            }
            a->cluster_min_members = (int)n;
            break;
        }
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
    struct sl_bind_opts opts = {a->nudf_paths, a->udf_paths};
    job = sl_job_from_sql_opts(in, n, a->params, a->nparams, &opts, &err);
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

/* The log level from SET 'sluice.log.level' (the settings node's wins, being added after
 * the SQL's); the binder checked the value. */
static void sl_run_log_level(const struct sl_job *job)
{
    int level = sl_log_level_parse(sl_job_setting(job, "sluice.log.level"));
    if (level >= 0)
        sl_log_set_level((enum sl_log_level)level);
}

int sl_cmd_run(int argc, char **argv)
{
    struct sl_run_args a;
    int rc = sl_run_parse(argc, argv, &a, sl_run_usage, true);
    if (rc)
        return rc == 1 ? 0 : 2;
    int status = 1;
    struct sl_kafka_mock *mock = NULL;
    struct sl_metrics *metrics = NULL;
    struct sl_metrics_http *http = NULL;
    struct sl_livecfg *live = NULL;
    struct sl_job *job = sl_run_load(&a);
    if (!job) {
        status = 2;
        goto out;
    }
    struct sl_error err;
    sl_error_clear(&err);
    sl_run_log_level(job);
    if (!a.brokers && sl_job_uses_kafka(job)) {
        if (sl_kafka_mock_new(NULL, &mock, &err)) {
            fprintf(stderr, "sluice run: cannot start the embedded broker: %s\n", err.msg);
            goto out;
        }
        a.brokers = sl_kafka_mock_bootstrap(mock);
        if (!a.quiet && sl_log_enabled(SL_LOG_INFO))
            fprintf(stderr,
                    "sluice run: no --brokers: Kafka tables use an embedded broker at "
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
    const char *xcodec = getenv("SLUICE_EXCHANGE_CODEC");
    opts.exchange_codec = xcodec && strcmp(xcodec, "1") == 0;
    struct sl_ckpt_opts ck = {0};
    char jobbuf[64], topicbuf[256];
    /* Checkpoint storage, as Flink: an explicit directory (flag or SQL setting), never a
     * folder chosen behind the user's back. */
    const char *sdir = a.state_dir;
    const char *sdir_from = "--state-dir";
    if (!sdir && (sdir = sl_job_setting(job, "execution.checkpointing.dir")))
        sdir_from = "SET 'execution.checkpointing.dir'";
    if (!sdir && (sdir = sl_job_setting(job, "state.checkpoints.dir")))
        sdir_from = "SET 'state.checkpoints.dir'";
    if (sdir && !strncmp(sdir, "file://", 7))
        sdir += 7;
    if (sdir && !*sdir) {
        fprintf(stderr, "sluice run: %s is empty: which directory?\n", sdir_from);
        status = 2;
        goto out;
    }
    /* the channel's fragment size, a test mode of both cluster modes (docs/testing.md) */
    const char *frag = getenv("SLUICE_CHANNEL_FRAGMENT");
    if (frag && atoi(frag) > 0)
        opts.cluster_fragment = (uint32_t)atoi(frag);
    if (a.cluster_auto) { /* the assignment from ZooKeeper (docs/cluster.md) */
        const char *miss = !a.zk                ? "--zk"
                           : !sdir              ? "--state-dir"
                           : !a.cluster_brokers ? "--cluster-brokers"
                                                : NULL;
        if (miss || a.cluster_topic) {
            fprintf(stderr,
                    "sluice run: --cluster auto %s %s: the leader assigns the work through "
                    "ZooKeeper (--zk), the processes share one state directory (--state-dir, "
                    "e.g. on NFS) and exchange through the channel (--cluster-brokers); each "
                    "generation has its own channel topic\n",
                    miss ? "needs" : "takes no", miss ? miss : "--cluster-topic");
            status = 2;
            goto out;
        }
        opts.cluster_auto = true;
        opts.cluster_brokers = a.cluster_brokers;
        opts.cluster_min_members = a.cluster_min_members;
        opts.cluster_stabilization_ms = -1;
        const char *v =
            sl_job_setting(job, "jobmanager.adaptive-scheduler.resource-stabilization-timeout");
        if (v)
            opts.cluster_stabilization_ms = (int)sl_setting_duration_ms(v);
        opts.standby = a.standby;
    } else if (a.cluster_min_members) {
        fprintf(stderr, "sluice run: --cluster-min-members needs --cluster auto\n");
        status = 2;
        goto out;
    }
    if (a.standby && a.cluster_workers) {
        fprintf(stderr, "sluice run: --standby with --cluster W:LO: a process of the static mode "
                        "runs the range its command line gives, and its processes are restarted "
                        "together; a spare that takes a lost member's range is --cluster auto "
                        "--standby\n");
        status = 2;
        goto out;
    }
    if (a.cluster_workers) { /* a job over several processes (docs/cluster.md) */
        const char *ckw = sdir            ? sdir_from
                          : a.zk          ? "--zk"
                          : a.interval_ms ? "--checkpoint-interval"
                          : a.restart     ? "--restart"
                                          : NULL;
        if (ckw && (!a.zk || !sdir)) {
            fprintf(stderr,
                    "sluice run: --cluster with %s: checkpoints of a job over several processes "
                    "need --zk (where the leader and the members meet) and --state-dir (one "
                    "folder every process reaches, e.g. on NFS)\n",
                    ckw);
            status = 2;
            goto out;
        }
        int n = a.workers > 0 ? a.workers : sl_exec_default_workers();
        if (a.cluster_lo + n > a.cluster_workers) {
            fprintf(stderr,
                    "sluice run: --cluster %d:%d with --workers %d: workers [%d, %d) are not "
                    "within the job's %d\n",
                    a.cluster_workers, a.cluster_lo, n, a.cluster_lo, a.cluster_lo + n,
                    a.cluster_workers);
            status = 2;
            goto out;
        }
        if (!a.cluster_brokers) {
            fprintf(stderr, "sluice run: --cluster needs --cluster-brokers HOST:PORT (the "
                            "Kafka brokers of the channel between the processes)\n");
            status = 2;
            goto out;
        }
        if (!a.cluster_topic && !ckw) {
            const char *base = a.job;
            size_t k = base ? strlen(base) : 0;
            if (!base) { /* the last file's name without .sql */
                base = strrchr(a.files[a.nfiles - 1], '/');
                base = base ? base + 1 : a.files[a.nfiles - 1];
                k = strlen(base);
                if (k > 4 && !strcmp(base + k - 4, ".sql"))
                    k -= 4;
            }
            snprintf(topicbuf, sizeof(topicbuf), "sluice-%.*s-static", (int)(k > 200 ? 200 : k),
                     base);
            a.cluster_topic = topicbuf;
        }
        opts.cluster_workers = a.cluster_workers;
        opts.cluster_lo = a.cluster_lo;
        opts.cluster_brokers = a.cluster_brokers;
        opts.cluster_topic = a.cluster_topic;
        if (!a.quiet && sl_log_enabled(SL_LOG_INFO))
            fprintf(stderr,
                    "sluice run: workers [%d, %d) of the job's %d; the channel is topic '%s' at "
                    "%s\n",
                    a.cluster_lo, a.cluster_lo + n, a.cluster_workers,
                    a.cluster_topic ? a.cluster_topic : "(the leader's assignment names it)",
                    a.cluster_brokers);
    } else if (!a.cluster_auto && (a.cluster_brokers || a.cluster_topic)) {
        fprintf(stderr, "sluice run: %s needs --cluster W:LO\n",
                a.cluster_brokers ? "--cluster-brokers" : "--cluster-topic");
        status = 2;
        goto out;
    }
    if (a.standby && !sdir) {
        fprintf(stderr, "sluice run: --standby waits for the job's leadership, which its "
                        "checkpoints hold: give --state-dir DIR (and --zk for processes on "
                        "several machines)\n");
        status = 2;
        goto out;
    }
    if (a.standby && !a.cluster_auto && !a.quiet && sl_log_enabled(SL_LOG_INFO))
        fprintf(stderr, "sluice run: --standby without --cluster: every process of a job but "
                        "the leader waits as a standby anyway, and this one leads once the "
                        "leadership falls to it (the flag changes nothing)\n");
    if (!sdir && ((a.job && !a.cluster_workers) || a.zk || a.interval_ms || a.restart)) {
        fprintf(stderr,
                "sluice run: %s needs a place for the checkpoints: give --state-dir DIR (or "
                "SET 'execution.checkpointing.dir' in the SQL)\n",
                a.job       ? "--job"
                : a.zk      ? "--zk"
                : a.restart ? "--restart"
                            : "--checkpoint-interval");
        status = 2;
        goto out;
    }
    if (!sdir && sl_job_setting(job, "execution.checkpointing.interval") && !a.quiet &&
        sl_log_enabled(SL_LOG_WARN))
        fprintf(stderr, "sluice run: note: the SQL sets 'execution.checkpointing.interval' but "
                        "no checkpoint directory: running without checkpoints (nothing "
                        "survives a crash); --state-dir DIR makes them durable\n");
    if (sdir) {
        bool job_defaulted = !a.job;
        if (!a.job) { /* the last file's name, as far as it is a valid id */
            const char *base = strrchr(a.files[a.nfiles - 1], '/');
            base = base ? base + 1 : a.files[a.nfiles - 1];
            size_t k = 0;
            for (; base[k] && k < 32 && strcmp(base + k, ".sql"); k++)
                jobbuf[k] = strchr("._-", base[k]) || (base[k] >= '0' && base[k] <= '9') ||
                                    ((base[k] | 32) >= 'a' && (base[k] | 32) <= 'z')
                                ? base[k]
                                : '_';
            jobbuf[k] = 0;
            a.job = jobbuf;
        }
        if (sl_ckpt_check_job(a.job, &err)) {
            fprintf(stderr, "sluice run: --job: %s\n", err.msg);
            status = 2;
            goto out;
        }
        ck.job = a.job;
        ck.state_dir = sdir;
        ck.zk = a.zk;
        ck.restart = a.restart;
        ck.interval_ms = a.interval_ms;
        ck.keep = 3;
        ck.full_every = 10;
        ck.tolerable_failures = 0;
        ck.standby_timeout_ms = -1;
        ck.log = stderr;
        const char *v;
        if (ck.zk) {
            /* a member of the job; the settings node's keys join the job's settings before
             * anything below reads them (engine/exec/livecfg.h) */
            v = sl_job_setting(job, "high-availability.zookeeper.client.session-timeout");
            int64_t sms = v ? sl_setting_duration_ms(v) : 0;
            struct sl_livecfg_config lcc = {.zk = ck.zk,
                                            .job = ck.job,
                                            .session_ms = sms >= 400 && sms <= 40000 ? (int)sms : 0,
                                            .workers = a.workers > 0 ? a.workers
                                                                     : sl_exec_default_workers(),
                                            .log = stderr,
                                            .role = a.cluster_auto && !a.standby ? "member" : NULL,
                                            .stop = &sl_run_stop};
            int lrc = sl_livecfg_open(&lcc, job, &live, &err);
            if (lrc) {
                fprintf(stderr, "sluice run: ZooKeeper (the job's member and settings nodes): %s\n",
                        err.msg);
                if (lrc == SL_ESTOPPED) /* SIGINT / SIGTERM while connecting: a stop */
                    status = 0;
                goto out;
            }
            opts.live = live;
            sl_run_log_level(job); /* the settings node's, if it has one */
        }
        if ((v = sl_job_setting(job, "state.checkpoints.num-retained")))
            ck.keep = atoi(v);
        if ((v = sl_job_setting(job, "execution.checkpointing.tolerable-failed-checkpoints")))
            ck.tolerable_failures = atoi(v);
        if ((v = sl_job_setting(job, "sluice.checkpoint.full-every")))
            ck.full_every = atoi(v);
        if ((v = sl_job_setting(job, "high-availability.zookeeper.client.session-timeout"))) {
            int64_t ms = sl_setting_duration_ms(v);
            if (ms < 400 || ms > 40000) {
                fprintf(stderr,
                        "sluice run: SET 'high-availability.zookeeper.client."
                        "session-timeout' = '%s': a duration from 400 ms to 40 s\n",
                        v);
                status = 2;
                goto out;
            }
            ck.zk_session_ms = (int)ms;
        }
        if ((v = sl_job_setting(job, "high-availability.zookeeper.client.connection-timeout"))) {
            int64_t ms = sl_setting_duration_ms(v);
            if (ms < 100 || ms > 600000) {
                fprintf(stderr,
                        "sluice run: SET 'high-availability.zookeeper.client."
                        "connection-timeout' = '%s': a duration from 100 ms to 10 min\n",
                        v);
                status = 2;
                goto out;
            }
            ck.zk_connect_ms = (int)ms;
        }
        if (ck.keep < 1 || ck.tolerable_failures < 0 || ck.full_every < 1) {
            fprintf(stderr, "sluice run: a checkpoint setting out of range (num-retained >= 1, "
                            "tolerable-failed-checkpoints >= 0, full-every >= 1)\n");
            status = 2;
            goto out;
        }
        opts.ckpt = &ck;
        if (!a.quiet && sl_log_enabled(SL_LOG_INFO))
            fprintf(stderr,
                    "sluice run: checkpoints: job '%s'%s, state in %s/%s (from %s), commits "
                    "in %s\n",
                    ck.job, job_defaulted ? " (from the file name; --job ID to choose)" : "",
                    ck.state_dir, ck.job, sdir_from, ck.zk ? ck.zk : "the state directory");
    }
    /* metrics: the flag, else the SQL setting */
    const char *mport = sl_job_setting(job, "sluice.metrics.port");
    if (a.metrics_port < 0 && mport && (a.metrics_port = sl_run_port(mport)) < 0) {
        fprintf(stderr, "sluice run: SET 'sluice.metrics.port' = '%s': a port from 0 to 65535\n",
                mport);
        status = 2;
        goto out;
    }
    if (a.metrics_port >= 0) {
        const char *host =
            a.metrics_host ? a.metrics_host : sl_job_setting(job, "sluice.metrics.host");
        if (!host)
            host = "127.0.0.1";
        char namebuf[64];
        const char *name = a.job;
        if (!name) { /* the last file's name without .sql */
            const char *base = strrchr(a.files[a.nfiles - 1], '/');
            base = base ? base + 1 : a.files[a.nfiles - 1];
            size_t k = strlen(base);
            if (k > 4 && !strcmp(base + k - 4, ".sql"))
                k -= 4;
            snprintf(namebuf, sizeof(namebuf), "%.*s", (int)k, base);
            name = namebuf;
        }
        int bound = 0;
        if (sl_metrics_new(name, &metrics, &err) ||
            sl_metrics_http_start(metrics, host, a.metrics_port, &http, &bound, &err)) {
            fprintf(stderr, "sluice run: %s\n", err.msg);
            status = 2;
            goto out;
        }
        fprintf(stderr, "metrics: http://%s:%d/metrics\n", host, bound);
        opts.metrics = metrics;
        char url[128];
        snprintf(url, sizeof(url), "http://%s:%d/metrics", host, bound);
        sl_livecfg_metrics(live, url); /* the member node says where */
    }
    struct sl_exec_summary sum;
    rc = sl_exec_run(job, &opts, &sum, &err);
    sl_metrics_http_stop(http); /* the endpoint goes with the job */
    http = NULL;
    fflush(stdout);
    if (rc) {
        fprintf(stderr, "sluice run: %s\n", err.msg);
        if (rc == SL_EFINISHED) {
            status = 3;
            goto out;
        }
        if (rc == SL_ESTOPPED) { /* SIGINT / SIGTERM while waiting: a stop, as a running job's */
            status = 0;
            goto out;
        }
        if (opts.ckpt)
            fprintf(stderr,
                    "sluice run: job '%s': what was committed stays in %s/%s; once the "
                    "cause is fixed, the same command resumes from the last committed "
                    "epoch\n",
                    ck.job, ck.state_dir, ck.job);
        goto out;
    }
    if (!a.quiet && sl_log_enabled(SL_LOG_INFO)) {
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
        if (opts.exchange_codec)
            fprintf(stderr,
                    "sluice run: exchange codec: %llu messages encoded, %llu B (%.1f B per "
                    "message, %.2f B per row in)\n",
                    (unsigned long long)sum.codec_msgs, (unsigned long long)sum.codec_bytes,
                    sum.codec_msgs ? (double)sum.codec_bytes / (double)sum.codec_msgs : 0.0,
                    sum.rows_in ? (double)sum.codec_bytes / (double)sum.rows_in : 0.0);
        char from[48] = "a fresh start";
        if (sum.restored_epoch)
            snprintf(from, sizeof(from), "resumed from epoch %llu",
                     (unsigned long long)sum.restored_epoch);
        if (opts.ckpt)
            fprintf(stderr,
                    "sluice run: checkpoints: %s, committed %u (last %llu, "
                    "%u failed), duration p50 %.1f ms p99 %.1f ms max %.1f ms, last state %llu "
                    "B (%llu B written), restore %.1f ms\n",
                    from, sum.checkpoints, (unsigned long long)sum.last_epoch,
                    sum.checkpoints_failed, sum.ckpt_p50_ms, sum.ckpt_p99_ms, sum.ckpt_max_ms,
                    (unsigned long long)sum.ckpt_state_bytes, (unsigned long long)sum.ckpt_bytes,
                    sum.restore_ms);
        if (opts.cluster_auto && sum.promoted)
            fprintf(stderr,
                    "sluice run: cluster: a spare (--standby) until generation %lld gave it "
                    "work\n",
                    (long long)sum.promoted);
        if (opts.cluster_auto && sum.rebalances)
            fprintf(stderr,
                    "sluice run: cluster: %u generations run, %u led by this process; "
                    "rebalance time (publication to the first committed epoch) last %.1f ms, "
                    "max %.1f ms\n",
                    sum.generations, sum.rebalances, sum.rebalance_last_ms, sum.rebalance_max_ms);
        else if (opts.cluster_auto)
            fprintf(stderr, "sluice run: cluster: %u generations run, none led by this process\n",
                    sum.generations);
        if (opts.cluster_workers || opts.cluster_auto)
            fprintf(stderr,
                    "sluice run: channel: %llu messages sent (%llu B), %llu received (%llu B), "
                    "%u sends waited for room, %llu messages in fragments\n",
                    (unsigned long long)sum.chan_sent, (unsigned long long)sum.chan_sent_bytes,
                    (unsigned long long)sum.chan_recv, (unsigned long long)sum.chan_recv_bytes,
                    sum.chan_full, (unsigned long long)sum.chan_frags);
    }
    status = 0;
out:
    sl_livecfg_close(live); /* the member node goes */
    sl_metrics_http_stop(http);
    sl_metrics_free(metrics);
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

static const char sl_checkpoints_usage[] =
    "usage: sluice checkpoints --job ID --state-dir DIR [--zk HOSTS[/chroot]]\n"
    "\n"
    "Lists the job's committed checkpoint epochs, newest first: number, time, state size\n"
    "and source offsets, and the phase of the current epoch record; a finished job (its\n"
    "bounded input ended) is marked so. Reads the commit store (ZooKeeper with --zk, else\n"
    "DIR/ID/commit) without taking part in the job, so it works while the job runs.\n";

int sl_cmd_checkpoints(int argc, char **argv)
{
    struct sl_ckpt_opts o = {0};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(sl_checkpoints_usage, stdout);
            return 0;
        }
        static const char *const valued[] = {"--job", "--state-dir", "--zk"};
        const char **slots[] = {&o.job, &o.state_dir, &o.zk};
        const char *val;
        int which =
            sl_cli_value(argc, argv, &i, "checkpoints", sl_checkpoints_usage, valued, 3, &val);
        if (which < 0)
            return 2;
        *slots[which] = val;
    }
    if (!o.job || !o.state_dir) {
        fprintf(stderr, "sluice checkpoints: which %s? (%s)\n%s", o.job ? "state directory" : "job",
                o.job ? "--state-dir DIR" : "--job ID", sl_checkpoints_usage);
        return 2;
    }
    struct sl_error err;
    sl_error_clear(&err);
    if (sl_ckpt_list(&o, stdout, &err)) {
        fprintf(stderr, "sluice checkpoints: %s\n", err.msg);
        return 1;
    }
    return 0;
}
