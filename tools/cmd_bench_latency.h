/*
 * tools/cmd_bench_latency.h - `sluice bench latency`: end-to-end latency of a Kafka ->
 * sluice -> Kafka pipeline against a real broker at a fixed offered load, and Kafka's own
 * produce -> consume latency at the same load (tools/cmd_bench_latency.c says how).
 */
#ifndef SL_TOOLS_CMD_BENCH_LATENCY_H
#define SL_TOOLS_CMD_BENCH_LATENCY_H

/* argv[0] is "latency"; returns the exit status (0 ok, 1 a failed run, 2 a usage error). */
int sl_bench_latency(int argc, char **argv);

#endif
