/*
 * kernels/simd.c - CPU detection and the start-up dispatch (see simd.h).
 */
#include "kernels/simd.h"

#include <stdlib.h>
#include <string.h>

#define SL_FAMILY(f) void sl_##f##_kernels_activate(sl_simd_level level);
#include "kernels/families.def"
#undef SL_FAMILY

static sl_simd_level sl_simd_current = SL_SIMD_SCALAR;

static const char *const sl_simd_names[SL_SIMD_COUNT] = {"scalar", "avx2", "avx512"};

bool sl_simd_supported(sl_simd_level level)
{
    __builtin_cpu_init();
    switch (level) {
    case SL_SIMD_SCALAR:
        return true;
    case SL_SIMD_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
    case SL_SIMD_AVX512:
        return sl_simd_supported(SL_SIMD_AVX2) && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd");
    default:
        return false;
    }
}

sl_simd_level sl_simd_detect(void)
{
    for (int l = SL_SIMD_COUNT - 1; l > SL_SIMD_SCALAR; l--)
        if (sl_simd_supported((sl_simd_level)l))
            return (sl_simd_level)l;
    return SL_SIMD_SCALAR;
}

const char *sl_simd_name(sl_simd_level level)
{
    return (unsigned)level < SL_SIMD_COUNT ? sl_simd_names[level] : "unknown";
}

int sl_simd_parse(const char *name, sl_simd_level *level)
{
    for (int l = 0; l < SL_SIMD_COUNT; l++) {
        if (strcmp(name, sl_simd_names[l]) == 0) {
            *level = (sl_simd_level)l;
            return 0;
        }
    }
    return -1;
}

int sl_simd_use(sl_simd_level level)
{
    if (!sl_simd_supported(level))
        return -1;
    sl_simd_current = level;
#define SL_FAMILY(f) sl_##f##_kernels_activate(level);
#include "kernels/families.def"
#undef SL_FAMILY
    return 0;
}

int sl_simd_init(void)
{
    const char *env = getenv("SLUICE_SIMD");
    sl_simd_level level = sl_simd_detect();
    if (env && *env && sl_simd_parse(env, &level) != 0)
        return -1;
    return sl_simd_use(level);
}

sl_simd_level sl_simd_active(void)
{
    return sl_simd_current;
}
