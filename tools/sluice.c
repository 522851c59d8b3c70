/*
 * tools/sluice.c - the sluice command-line program.
 *
 *   sluice --help | --version
 *   sluice kernels        the SIMD level chosen on this CPU and what each level needs
 *   sluice kafka-mock     an in-memory Kafka-protocol broker (tools/cmd_kafka_mock.c)
 *   sluice gen ...        the Nexmark and YSB generators (tools/cmd_gen.c)
 *   sluice run | explain  run or explain a Flink SQL file (tools/cmd_run.c)
 *   sluice checkpoints    a job's committed checkpoint epochs (tools/cmd_run.c)
 *   sluice config | status  a job's live settings, members and epoch in ZooKeeper
 *                         (tools/cmd_cluster.c)
 *   sluice bench ...      end-to-end benchmarks and the regression gate (tools/cmd_bench.c)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/simd.h"
#include "tools/cmd_bench.h"
#include "tools/cmd_cluster.h"
#include "tools/cmd_gen.h"
#include "tools/cmd_kafka_mock.h"
#include "tools/cmd_run.h"
#include "tools/cmd_sql.h"

/* libzookeeper-mt 3.8.0 does not free the completion entries of a request that is lost with
 * its connection or its session (zoo_amulti's per-operation results, 168 bytes each; the
 * completion of an asynchronous create or sync): the restart, unreachable, expiry and
 * lost-answer tests make that happen on purpose. The leaks are inside the library, whose
 * Debian build has no symbols for its internal frames, so they are suppressed by the
 * library's name; a leak of sluice's own memory has no frame of it and still fails. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:zoo_amulti\nleak:libzookeeper_mt.so\n";
}

static const char sl_usage[] =
    "usage: sluice [--help] [--version] COMMAND [ARGS]\n"
    "\n"
    "sluice is a vectorized, batch-at-a-time stream processing engine.\n"
    "\n"
    "commands:\n"
    "  run         run the INSERT statements of a Flink SQL file\n"
    "  explain     print the plans of a Flink SQL file\n"
    "  sql         a Flink SQL shell (SELECT prints results; INSERT runs as a job), or -f FILE\n"
    "  checkpoints list a job's committed checkpoint epochs\n"
    "  config      get or change a running job's settings in ZooKeeper (applied live)\n"
    "  status      a job's processes, roles, last epoch and settings (ZooKeeper)\n"
    "  bench       end-to-end benchmarks (Nexmark, YSB, your SQL), compare, plot\n"
    "  gen         write Nexmark or YSB benchmark events (JSON, CSV, raw) to a file or Kafka\n"
    "  kafka-mock  run an in-memory Kafka-protocol broker for local use and tests\n"
    "  kernels     show the SIMD level chosen for the compute kernels on this CPU\n"
    "\n"
    "environment:\n"
    "  SLUICE_SIMD=scalar|avx2|avx512   force a kernel level (an error if the CPU lacks it)\n"
    "\n"
    "Run 'sluice COMMAND --help' for a command's options.\n";

static const char sl_kernels_usage[] =
    "usage: sluice kernels\n"
    "\n"
    "Prints the SIMD levels this CPU supports and the one the kernels use. The level is the\n"
    "best the CPU supports unless SLUICE_SIMD names another.\n";

static int sl_cmd_kernels(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(sl_kernels_usage, stdout);
            return 0;
        }
        fprintf(stderr, "sluice kernels: unknown argument '%s'\n%s", argv[i], sl_kernels_usage);
        return 2;
    }
    for (int l = 0; l < SL_SIMD_COUNT; l++)
        printf("%-8s %s\n", sl_simd_name((sl_simd_level)l),
               sl_simd_supported((sl_simd_level)l) ? "supported" : "not supported");
    printf("detected: %s\n", sl_simd_name(sl_simd_detect()));
    printf("active:   %s\n", sl_simd_name(sl_simd_active()));
    printf("batch capacity: %d rows\n", SL_BATCH_CAP);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(sl_usage, stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(sl_usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("sluice %s\n", SLUICE_VERSION);
        return 0;
    }
    if (sl_simd_init() != 0) {
        fprintf(stderr,
                "sluice: SLUICE_SIMD='%s' is not a level this CPU supports "
                "(scalar, avx2, avx512; see 'sluice kernels')\n",
                getenv("SLUICE_SIMD"));
        return 2;
    }
    if (strcmp(argv[1], "kernels") == 0)
        return sl_cmd_kernels(argc - 1, argv + 1);
    if (strcmp(argv[1], "kafka-mock") == 0)
        return sl_cmd_kafka_mock(argc - 1, argv + 1);
    if (strcmp(argv[1], "gen") == 0)
        return sl_cmd_gen(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return sl_cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "bench") == 0)
        return sl_cmd_bench(argc - 1, argv + 1);
    if (strcmp(argv[1], "checkpoints") == 0)
        return sl_cmd_checkpoints(argc - 1, argv + 1);
    if (strcmp(argv[1], "config") == 0)
        return sl_cmd_config(argc - 1, argv + 1);
    if (strcmp(argv[1], "status") == 0)
        return sl_cmd_status(argc - 1, argv + 1);
    if (strcmp(argv[1], "explain") == 0)
        return sl_cmd_explain(argc - 1, argv + 1);
    if (strcmp(argv[1], "sql") == 0)
        return sl_cmd_sql(argc - 1, argv + 1);
    fprintf(stderr, "sluice: unknown command '%s'\n%s", argv[1], sl_usage);
    return 2;
}
