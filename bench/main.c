/*
 * bench/main.c - the sluice-bench program: every micro-benchmark in bench/, run through
 * google-benchmark, with the machine described in the results' context.
 *
 *   sluice-bench [google-benchmark flags]   e.g. --benchmark_filter=reduce
 *                                                --benchmark_format=json
 */
#include <stdio.h>
#include <string.h>

#include "bench/shim.h"
#include "kernels/simd.h"

int main(int argc, char **argv)
{
    if (sl_simd_init() != 0) {
        fprintf(stderr, "sluice-bench: SLUICE_SIMD names a level this CPU lacks\n");
        return 2;
    }
    sl_bench_context("sluice_simd_detected", sl_simd_name(sl_simd_detect()));
    sl_bench_context("sluice_batch_cap", SL_BATCH_CAP == 2048 ? "2048" : "other");
    char model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof(line), f)) {
            if (strncmp(line, "model name", 10) == 0) {
                char *colon = strchr(line, ':');
                if (colon) {
                    snprintf(model, sizeof(model), "%s", colon + 2);
                    model[strcspn(model, "\n")] = '\0';
                }
                break;
            }
        }
        fclose(f);
    }
    sl_bench_context("cpu_model", model);
    return sl_bench_main(argc, argv);
}
