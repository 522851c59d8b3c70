/*
 * kernels/simd.h - instruction-set levels and the start-up dispatch.
 *
 * Each kernel family (kernels/<family>.h) is a table of function pointers with one
 * implementation per level: the scalar reference (<family>.c), AVX2 (<family>_avx2.c) and
 * AVX-512 (<family>_avx512.c). A family may leave a level out; it then reuses the next level
 * down. sl_simd_init() picks the level once at start-up: the best the CPU supports, or the one
 * named by the environment variable SLUICE_SIMD (scalar | avx2 | avx512), so tests and
 * benchmarks can compare. Asking for a level the CPU lacks is an error, never a crash.
 *
 * Calls read `sl_reduce->sum_i64(...)`: one indirect call per batch, never per row.
 */
#ifndef SL_KERNELS_SIMD_H
#define SL_KERNELS_SIMD_H

#include <stdbool.h>

typedef enum sl_simd_level {
    SL_SIMD_SCALAR = 0,
    SL_SIMD_AVX2 = 1,
    SL_SIMD_AVX512 = 2,
    SL_SIMD_COUNT
} sl_simd_level;

/* The best level this CPU (and OS, for the AVX register state) supports. */
sl_simd_level sl_simd_detect(void);

/* Whether this CPU supports `level`. */
bool sl_simd_supported(sl_simd_level level);

/* "scalar", "avx2", "avx512". */
const char *sl_simd_name(sl_simd_level level);

/* Parses a level name; returns 0, or -1 for an unknown name. */
int sl_simd_parse(const char *name, sl_simd_level *level);

/*
 * Chooses the level: SLUICE_SIMD if set, else sl_simd_detect(), and points every family at
 * it. Returns 0, or -1 when SLUICE_SIMD names an unknown level or one this CPU lacks (nothing
 * is changed then). Call once before any kernel runs; calling again is harmless.
 */
int sl_simd_init(void);

/* Points every family at `level` (tests and benchmarks); -1 if the CPU lacks it. */
int sl_simd_use(sl_simd_level level);

/* The level in use (SCALAR until sl_simd_init()). */
sl_simd_level sl_simd_active(void);

#endif
