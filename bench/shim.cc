// bench/shim.cc - google-benchmark behind the C interface of bench/shim.h.
#include "bench/shim.h"

#include <benchmark/benchmark.h>

#include <string>

struct sl_bench_def {
    benchmark::internal::Benchmark *bm;
};

static benchmark::State *st(struct sl_bench *b)
{
    return reinterpret_cast<benchmark::State *>(b);
}

extern "C" struct sl_bench_def *sl_bench_add(const char *name, sl_bench_fn fn, void *arg)
{
    auto *def = new sl_bench_def; // lives as long as the program, like the registration
    def->bm = benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &state) {
        fn(reinterpret_cast<struct sl_bench *>(&state), arg);
    });
    return def;
}

extern "C" void sl_bench_def_min_time(struct sl_bench_def *def, double seconds)
{
    def->bm->MinTime(seconds);
}

extern "C" void sl_bench_def_real_time(struct sl_bench_def *def)
{
    def->bm->UseRealTime();
}

extern "C" void sl_bench_def_unit(struct sl_bench_def *def, char unit)
{
    def->bm->Unit(unit == 'u'   ? benchmark::kMicrosecond
                  : unit == 'm' ? benchmark::kMillisecond
                                : benchmark::kNanosecond);
}

extern "C" int sl_bench_running(struct sl_bench *b)
{
    return st(b)->KeepRunning();
}

extern "C" void sl_bench_items(struct sl_bench *b, int64_t per_iteration)
{
    st(b)->SetItemsProcessed(st(b)->iterations() * per_iteration);
}

extern "C" void sl_bench_bytes(struct sl_bench *b, int64_t per_iteration)
{
    st(b)->SetBytesProcessed(st(b)->iterations() * per_iteration);
}

extern "C" void sl_bench_counter(struct sl_bench *b, const char *name, double value)
{
    st(b)->counters[name] = value;
}

extern "C" void sl_bench_error(struct sl_bench *b, const char *msg)
{
    st(b)->SkipWithError(msg);
}

extern "C" void sl_bench_pause(struct sl_bench *b)
{
    st(b)->PauseTiming();
}

extern "C" void sl_bench_resume(struct sl_bench *b)
{
    st(b)->ResumeTiming();
}

extern "C" void sl_bench_keep(const void *p)
{
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
}

extern "C" void sl_bench_context(const char *key, const char *value)
{
    benchmark::AddCustomContext(key, value);
}

extern "C" int sl_bench_main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
