/*
 * tests/util/testutil.h - shared helpers of the cmocka tests.
 *
 * Kernel tests compare every SIMD variant this CPU runs with the scalar reference, at the
 * lengths that find boundary bugs (SL_TEST_LENGTHS), with and without NULLs and selections.
 * Variants the CPU lacks are reported as skipped on stderr.
 */
#ifndef SL_TESTS_TESTUTIL_H
#define SL_TESTS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernels/kcommon.h"
#include "kernels/simd.h"

/* Lengths every kernel test runs: 0, 1, capacity - 1, capacity, and a few odd ones up to 65
 * (kernels take any n, so they run even when the batch capacity is 2). Arrays a test passes
 * to kernels hold SL_TEST_MAXLEN values. */
#define SL_TEST_MAXLEN (SL_BATCH_CAP > 128 ? SL_BATCH_CAP : 128)
extern const uint32_t sl_test_lengths[];
extern const size_t sl_test_nlengths;

/* The SIMD levels above scalar that this CPU supports; returns how many (into out[]). Prints
 * a "skipped" line for each level the CPU lacks. */
int sl_test_simd_levels(sl_simd_level out[SL_SIMD_COUNT]);

/* Deterministic pseudo-random numbers (xorshift64*). */
uint64_t sl_test_rand(uint64_t *state);

/* Fills with random int64 that include the extremes (INT64_MIN, INT64_MAX, 0, -1) now and
 * then. */
void sl_test_fill_i64(int64_t *v, uint32_t n, uint64_t *state);
/* Random int64 in [lo, hi]. */
void sl_test_fill_i64_range(int64_t *v, uint32_t n, int64_t lo, int64_t hi, uint64_t *state);
void sl_test_fill_i32(int32_t *v, uint32_t n, uint64_t *state);
/* Random doubles including NaN, +-Inf, -0.0, DBL_MAX and denormals now and then. */
void sl_test_fill_f64(double *v, uint32_t n, uint64_t *state);

/* A validity bitmap of n rows with roughly `null_pct` percent NULLs; the words after row n are
 * filled with garbage bits so that kernels reading past n are caught. */
void sl_test_fill_valid(uint64_t *valid, uint32_t n, unsigned null_pct, uint64_t *state);

/* A random increasing selection of the rows 0..rows-1, each kept with probability
 * keep_pct percent; returns its length. */
uint32_t sl_test_fill_sel(sl_sel_t *sel, uint32_t rows, unsigned keep_pct, uint64_t *state);

#endif
